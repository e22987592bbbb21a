/*
 * The SQLite backend of the controller store: one database file under
 * the state directory in WAL mode with synchronous=FULL, so a change is
 * on disk (WAL synced) before it is acknowledged.  Objects are kept as
 * ZeroTier's compact JSON text beside the columns that index them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "objects.h"
#include "store.h"

/*
 * Journal MESSAGE_IDs of the audit trail, one fixed 128-bit id per kind
 * of change (journalctl MESSAGE_ID=...); matched on the start of the
 * "what" text, so "member delete (network deleted)" is a member delete.
 */
static const struct {
	const char	*what;
	const char	*id;
} ctrl_audit_ids[] = {
	{ "network create", "3f2cde0cebad4fe786fc67bdceed7833" },
	{ "network update", "4810cf2d393b4670accab5d8866910ba" },
	{ "network delete", "f8521368cd854881b6805e4d45bb1b0e" },
	{ "network import", "edcbbc5ae7af493d90096e0e83de23fa" },
	{ "member create", "e024514549734a6eba9d057f521b2420" },
	{ "member update", "b1f82da71f374a55b917db61abef58d8" },
	{ "member delete", "4bc986c05b9749afbf3d093910292e70" },
	{ "config request", "a7b5783f521448ca850fe8e49aa3fdc9" },
	{ "token create", "61276ecd08ff44319f7cc3f36b788963" },
	{ "token revoke", "4cc8236276e542fbb9d0a70731c8a4d6" },
};
/* any other change */
#define CTRL_AUDIT_OTHER	"7c1e5b2a0d9e4c6f8a3b51e2f4d6c8a0"

/* one change's journal record, held until its commit */
struct ctrl_audit {
	const char	*msgid;
	char		*field[6];	/* ZT_WHO= ... ZT_AFTER= */
};

struct ctrl_sqlite {
	struct ctrl_store	 store;
	sqlite3			*db;
	/*
	 * Group commit: while a batch is open every operation is a
	 * savepoint of one transaction that batch_commit syncs once.
	 */
	bool			 batch;
	/*
	 * Audit lines of changes not yet committed: they reach the
	 * journal only once the change is durable, never for a change
	 * that was rolled back.  mark: where the current operation began.
	 */
	struct ctrl_audit	*audit;
	size_t			 naudit, capaudit, mark;
	/*
	 * Prepared statements kept across calls, by the address of their
	 * SQL text: parsing dominated a small change.  A statement still
	 * stepping (a walk whose callback asks again) is not reused.
	 */
	struct ctrl_sq_stmt {
		const char	*sql;
		sqlite3_stmt	*st;
		bool		 busy;
	}			 stmts[48];
	size_t			 nstmts;
};

/* schema steps: step i brings user_version i to i + 1 */
static const char *const ctrl_migrations[CTRL_STORE_SCHEMA] = {
	"CREATE TABLE network (id INTEGER PRIMARY KEY, "
	"    revision INTEGER NOT NULL, obj TEXT NOT NULL);"
	"CREATE TABLE member (nwid INTEGER NOT NULL, id INTEGER NOT NULL, "
	"    revision INTEGER NOT NULL, obj TEXT NOT NULL, "
	"    PRIMARY KEY (nwid, id)) WITHOUT ROWID;"
	"CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
	"    time INTEGER NOT NULL, who TEXT NOT NULL, what TEXT NOT NULL, "
	"    nwid TEXT, member TEXT, before TEXT, after TEXT);",
	/* 2: named, scoped API tokens; history looked up per network */
	"CREATE TABLE token (name TEXT PRIMARY KEY, scope INTEGER NOT NULL, "
	"    hash BLOB NOT NULL, created INTEGER NOT NULL);"
	"CREATE INDEX history_nwid ON history (nwid, seq);",
};

static int64_t
ctrl_sq_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ctrl_sqlite *
ctrl_sq(struct ctrl_store *s)
{
	return (struct ctrl_sqlite *)s;
}

static int
ctrl_sq_exec(struct ctrl_sqlite *q, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(q->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
ctrl_sq_prep(struct ctrl_sqlite *q, const char *sql)
{
	struct ctrl_sq_stmt *c = NULL;
	sqlite3_stmt *st = NULL;
	size_t i;

	for (i = 0; i < q->nstmts; i++)
		if (q->stmts[i].sql == sql) {
			c = &q->stmts[i];
			break;
		}
	if (c != NULL && !c->busy) {
		c->busy = true;
		return c->st;
	}
	if (sqlite3_prepare_v3(q->db, sql, -1, c == NULL &&
	    q->nstmts < sizeof(q->stmts) / sizeof(q->stmts[0]) ?
	    SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, sqlite3_errmsg(q->db));
		sqlite3_finalize(st);
		return NULL;
	}
	if (c == NULL && q->nstmts < sizeof(q->stmts) / sizeof(q->stmts[0])) {
		c = &q->stmts[q->nstmts++];
		c->sql = sql;
		c->st = st;
		c->busy = true;
	}
	return st;
}

/* a statement from ctrl_sq_prep is done: kept ones are reset */
static void
ctrl_sq_done(struct ctrl_sqlite *q, sqlite3_stmt *st)
{
	size_t i;

	for (i = 0; i < q->nstmts; i++)
		if (q->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			q->stmts[i].busy = false;
			return;
		}
	sqlite3_finalize(st);
}

/* drops the audit records from index from on (their change is undone) */
static void
ctrl_sq_audit_drop(struct ctrl_sqlite *q, size_t from)
{
	size_t i;

	while (q->naudit > from) {
		q->naudit--;
		for (i = 0; i < 6; i++)
			free(q->audit[q->naudit].field[i]);
	}
}

/* the journal copy of committed changes (issue 5 item 5) */
static void
ctrl_sq_audit_emit(struct ctrl_sqlite *q)
{
	const char *f[7];
	struct ctrl_audit *a;
	size_t i, k;

	for (i = 0; i < q->naudit; i++) {
		a = &q->audit[i];
		for (k = 0; k < 6; k++)
			f[k] = a->field[k];
		f[6] = NULL;
		/* ZT_WHAT=, ZT_WHO=, ZT_NETWORK=, ZT_MEMBER= read as text */
		log_structured(LOG_LVL_INFO, a->msgid, f, "change: %s by %s "
		    "(network %s member %s)", a->field[1] + 8,
		    a->field[0] + 7, a->field[2] + 11, a->field[3] + 10);
	}
	ctrl_sq_audit_drop(q, 0);
}

static int
ctrl_sq_begin(struct ctrl_sqlite *q)
{
	q->store.generation++;
	q->mark = q->naudit;
	return ctrl_sq_exec(q, q->batch ? "SAVEPOINT op" : "BEGIN IMMEDIATE");
}

static int
ctrl_sq_end(struct ctrl_sqlite *q, int rc)
{
	if (q->batch) {
		/* only this operation is undone; the batch goes on */
		if (rc != CTRL_STORE_ERR && ctrl_sq_exec(q, "RELEASE op") == 0)
			return rc;
		ctrl_sq_exec(q, "ROLLBACK TO op");
		ctrl_sq_exec(q, "RELEASE op");
		ctrl_sq_audit_drop(q, q->mark);
		return CTRL_STORE_ERR;
	}
	if (rc == CTRL_STORE_ERR) {
		ctrl_sq_exec(q, "ROLLBACK");
		ctrl_sq_audit_drop(q, 0);
		return rc;
	}
	if (ctrl_sq_exec(q, "COMMIT") == -1) {
		ctrl_sq_exec(q, "ROLLBACK");
		ctrl_sq_audit_drop(q, 0);
		return CTRL_STORE_ERR;
	}
	ctrl_sq_audit_emit(q);
	return rc;
}

/* ends a delete: the deleted object is handed out only once committed */
static int
ctrl_sq_end_old(struct ctrl_sqlite *q, int rc, json_t **old)
{
	rc = ctrl_sq_end(q, rc);
	if (rc != CTRL_STORE_OK) {
		json_decref(*old);
		*old = NULL;
	}
	return rc;
}

static int
ctrl_sq_batch_begin(struct ctrl_store *s)
{
	struct ctrl_sqlite *q = ctrl_sq(s);

	if (q->batch)
		return CTRL_STORE_OK;
	if (ctrl_sq_exec(q, "BEGIN IMMEDIATE") == -1)
		return CTRL_STORE_ERR;
	q->batch = true;
	return CTRL_STORE_OK;
}

static int
ctrl_sq_batch_commit(struct ctrl_store *s)
{
	struct ctrl_sqlite *q = ctrl_sq(s);

	if (!q->batch)
		return CTRL_STORE_OK;
	q->batch = false;
	if (ctrl_sq_exec(q, "COMMIT") == -1) {
		q->store.generation++;
		ctrl_sq_exec(q, "ROLLBACK");
		ctrl_sq_audit_drop(q, 0);
		return CTRL_STORE_ERR;
	}
	ctrl_sq_audit_emit(q);
	return CTRL_STORE_OK;
}

static char *
ctrl_dump(const json_t *o)
{
	return o == NULL ? NULL : json_dumps(o, JSON_COMPACT |
	    JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static json_t *
ctrl_load_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	json_error_t e;

	if (t == NULL)
		return NULL;
	return json_loadb((const char *)t,
	    (size_t)sqlite3_column_bytes(st, col), JSON_REJECT_DUPLICATES, &e);
}

/* one object by key; CTRL_STORE_NONE if absent */
static int
ctrl_sq_get(struct ctrl_sqlite *q, const char *sql, int64_t a, int64_t b,
    json_t **out)
{
	sqlite3_stmt *st;
	int rc = CTRL_STORE_ERR, r;

	*out = NULL;
	if ((st = ctrl_sq_prep(q, sql)) == NULL)
		return rc;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if ((r = sqlite3_step(st)) == SQLITE_DONE)
		rc = CTRL_STORE_NONE;
	else if (r == SQLITE_ROW) {
		if ((*out = ctrl_load_text(st, 0)) != NULL)
			rc = CTRL_STORE_OK;
		else
			log_warnx("store: unreadable object %" PRIx64, a);
	} else
		log_warnx("store: %s", sqlite3_errmsg(q->db));
	ctrl_sq_done(q, st);
	return rc;
}

static char *
ctrl_sq_field(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 1;
	char *f;

	if ((f = malloc(n)) != NULL)
		snprintf(f, n, "%s%s", name, value);
	return f;
}

/*
 * Room for element n of an array of *cap elements of elsize, doubling
 * from first: the (possibly moved) array, or NULL with arr untouched.
 */
static void *
ctrl_sq_grow(void *arr, size_t n, size_t *cap, size_t elsize, size_t first)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap > 0 ? *cap * 2 : first;
	if ((p = reallocarray(arr, ncap, elsize)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

/* queues the journal record of one change until its commit */
static int
ctrl_sq_audit_add(struct ctrl_sqlite *q, const char *who, const char *what,
    const char *nwid, const char *mid, const char *before, const char *after)
{
	struct ctrl_audit *na, *a;
	size_t i;

	if ((na = ctrl_sq_grow(q->audit, q->naudit, &q->capaudit,
	    sizeof(*na), 16)) == NULL)
		return -1;
	q->audit = na;
	a = &q->audit[q->naudit];
	a->msgid = CTRL_AUDIT_OTHER;
	for (i = 0; i < sizeof(ctrl_audit_ids) / sizeof(ctrl_audit_ids[0]);
	    i++)
		if (strncmp(what, ctrl_audit_ids[i].what,
		    strlen(ctrl_audit_ids[i].what)) == 0) {
			a->msgid = ctrl_audit_ids[i].id;
			break;
		}
	a->field[0] = ctrl_sq_field("ZT_WHO=", who);
	a->field[1] = ctrl_sq_field("ZT_WHAT=", what);
	a->field[2] = ctrl_sq_field("ZT_NETWORK=", nwid);
	a->field[3] = ctrl_sq_field("ZT_MEMBER=", mid);
	a->field[4] = ctrl_sq_field("ZT_BEFORE=", before != NULL ? before :
	    "null");
	a->field[5] = ctrl_sq_field("ZT_AFTER=", after != NULL ? after :
	    "null");
	for (i = 0; i < 6; i++)
		if (a->field[i] == NULL) {
			for (i = 0; i < 6; i++)
				free(a->field[i]);
			return -1;
		}
	q->naudit++;
	return 0;
}

static int
ctrl_sq_history(struct ctrl_sqlite *q, const char *who, const char *what,
    uint64_t nwid, const uint64_t *mid, const json_t *before,
    const json_t *after)
{
	char n[17], m[11], *b = ctrl_dump(before), *a = ctrl_dump(after);
	sqlite3_stmt *st;
	int rc = -1;

	st = ctrl_sq_prep(q, "INSERT INTO history (time, who, what, nwid, "
	    "member, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, q->store.now());
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, what, -1, SQLITE_STATIC);
	if (nwid != 0)
		sqlite3_bind_text(st, 4, ctrl_nwid_fmt(nwid, n), -1,
		    SQLITE_STATIC);
	if (mid != NULL)
		sqlite3_bind_text(st, 5, ctrl_mid_fmt(*mid, m), -1,
		    SQLITE_STATIC);
	sqlite3_bind_text(st, 6, b, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("store: history: %s", sqlite3_errmsg(q->db));
		goto fail;
	}
	rc = ctrl_sq_audit_add(q, who, what, nwid != 0 ? n : "-",
	    mid != NULL ? m : "-", b, a);
	if (rc == 0)
		ctrl_obj_count_change(&q->store.counts, nwid, mid != NULL,
		    before, after);
fail:
	ctrl_sq_done(q, st);
	free(b);
	free(a);
	return rc;
}

/* sqlite3_close refuses a connection with statements left */
static void
ctrl_sq_free_stmts(struct ctrl_sqlite *q)
{
	size_t i;

	for (i = 0; i < q->nstmts; i++)
		sqlite3_finalize(q->stmts[i].st);
	q->nstmts = 0;
}

static void
ctrl_sq_close(struct ctrl_store *s)
{
	struct ctrl_sqlite *q = ctrl_sq(s);

	/* an open batch was never acknowledged: it is rolled back */
	if (q->batch)
		ctrl_sq_exec(q, "ROLLBACK");
	ctrl_sq_audit_drop(q, 0);
	free(q->audit);
	ctrl_sq_free_stmts(q);
	/* a clean close checkpoints the WAL into the main file */
	sqlite3_close(q->db);
	free(q);
}

static int
ctrl_sq_network_get(struct ctrl_store *s, uint64_t nwid, json_t **out)
{
	return ctrl_sq_get(ctrl_sq(s), "SELECT obj FROM network WHERE id = ?"
	    " AND ?2 = ?2", (int64_t)nwid, 0, out);
}

static int
ctrl_sq_network_ids(struct ctrl_store *s, uint64_t **ids, size_t *n)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	sqlite3_stmt *st;
	uint64_t *v = NULL, *nv;
	size_t cap = 0;
	int r;

	*ids = NULL;
	*n = 0;
	/* ids are stored as signed 64-bit: order by their unsigned value */
	if ((st = ctrl_sq_prep(q, "SELECT id FROM network ORDER BY "
	    "(id < 0), id")) == NULL)
		return CTRL_STORE_ERR;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = ctrl_sq_grow(v, *n, &cap, sizeof(*v), 64)) == NULL)
			break;
		v = nv;
		v[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
	}
	ctrl_sq_done(q, st);
	if (r != SQLITE_DONE) {
		free(v);
		*n = 0;
		return CTRL_STORE_ERR;
	}
	*ids = v;
	return CTRL_STORE_OK;
}

static int
ctrl_sq_put(struct ctrl_sqlite *q, const char *sql, int64_t a, int64_t b,
    json_t *obj)
{
	sqlite3_stmt *st;
	char *text;
	int rc = -1;

	if ((text = ctrl_dump(obj)) == NULL)
		return -1;
	if ((st = ctrl_sq_prep(q, sql)) != NULL) {
		sqlite3_bind_int64(st, 1, a);
		sqlite3_bind_int64(st, 2, b);
		sqlite3_bind_int64(st, 3,
		    json_integer_value(json_object_get(obj, "revision")));
		sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
		else
			log_warnx("store: %s", sqlite3_errmsg(q->db));
		ctrl_sq_done(q, st);
	}
	free(text);
	return rc;
}

static const char ctrl_sql_put_network[] =
    "INSERT OR REPLACE INTO network (id, revision, obj) "
    "VALUES (?1, ?3, ?4)";
static const char ctrl_sql_put_member[] =
    "INSERT OR REPLACE INTO member (nwid, id, revision, obj) "
    "VALUES (?1, ?2, ?3, ?4)";

/* the save rule of §6 shared by networks and members */
static int
ctrl_sq_save(struct ctrl_sqlite *q, uint64_t nwid, const uint64_t *mid,
    json_t *obj, const char *who, const char *what, bool *changed)
{
	json_t *old = NULL;
	int64_t rev = 0;
	int rc;

	*changed = false;
	if (ctrl_sq_begin(q) == -1)
		return CTRL_STORE_ERR;
	if (mid == NULL)
		rc = ctrl_sq_get(q, "SELECT obj FROM network WHERE id = ? "
		    "AND ?2 = ?2", (int64_t)nwid, 0, &old);
	else
		rc = ctrl_sq_get(q, "SELECT obj FROM member WHERE nwid = ? "
		    "AND id = ?", (int64_t)nwid, (int64_t)*mid, &old);
	if (rc == CTRL_STORE_ERR)
		goto done;
	rc = CTRL_STORE_OK;
	if (!ctrl_obj_changed(old, obj)) {
		json_object_set(obj, "revision",
		    json_object_get(old, "revision"));
		goto done;
	}
	if (old != NULL)
		rev = json_integer_value(json_object_get(old, "revision"));
	else
		rev = json_integer_value(json_object_get(obj, "revision"));
	json_object_set_new(obj, "revision", json_integer(rev + 1));
	if (ctrl_sq_put(q, mid == NULL ? ctrl_sql_put_network :
	    ctrl_sql_put_member, (int64_t)nwid, mid ? (int64_t)*mid : 0,
	    obj) == -1 ||
	    ctrl_sq_history(q, who, what, nwid, mid, old, obj) == -1)
		rc = CTRL_STORE_ERR;
	else
		*changed = true;
done:
	json_decref(old);
	rc = ctrl_sq_end(q, rc);
	if (rc == CTRL_STORE_ERR)
		*changed = false;
	return rc;
}

static int
ctrl_sq_network_save(struct ctrl_store *s, uint64_t nwid, json_t *obj,
    const char *who, const char *what, bool *changed)
{
	return ctrl_sq_save(ctrl_sq(s), nwid, NULL, obj, who, what, changed);
}

static int
ctrl_sq_member_save(struct ctrl_store *s, uint64_t nwid, uint64_t mid,
    json_t *obj, const char *who, const char *what, bool *changed)
{
	return ctrl_sq_save(ctrl_sq(s), nwid, &mid, obj, who, what, changed);
}

static int
ctrl_sq_step_done(struct ctrl_sqlite *q, const char *sql, int64_t a,
    int64_t b)
{
	sqlite3_stmt *st;
	int rc = -1;

	if ((st = ctrl_sq_prep(q, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		log_warnx("store: %s", sqlite3_errmsg(q->db));
	ctrl_sq_done(q, st);
	return rc;
}

/* history rows for every member of a network that is going away */
static int
ctrl_sq_members_gone(struct ctrl_sqlite *q, uint64_t nwid, const char *who)
{
	sqlite3_stmt *st;
	uint64_t mid;
	json_t *m;
	int r, rc = 0;

	if ((st = ctrl_sq_prep(q, "SELECT id, obj FROM member WHERE "
	    "nwid = ? ORDER BY id")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)nwid);
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		mid = (uint64_t)sqlite3_column_int64(st, 0);
		m = ctrl_load_text(st, 1);
		rc = ctrl_sq_history(q, who, "member delete (network deleted)",
		    nwid, &mid, m, NULL);
		json_decref(m);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = -1;
	ctrl_sq_done(q, st);
	return rc;
}

static int
ctrl_sq_network_delete(struct ctrl_store *s, uint64_t nwid, const char *who,
    json_t **old)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	int rc;

	*old = NULL;
	if (ctrl_sq_begin(q) == -1)
		return CTRL_STORE_ERR;
	rc = ctrl_sq_get(q, "SELECT obj FROM network WHERE id = ? AND "
	    "?2 = ?2", (int64_t)nwid, 0, old);
	if (rc != CTRL_STORE_OK)
		return ctrl_sq_end(q, rc);
	if (ctrl_sq_members_gone(q, nwid, who) == -1 ||
	    ctrl_sq_step_done(q, "DELETE FROM member WHERE nwid = ? AND "
	    "?2 = ?2", (int64_t)nwid, 0) == -1 ||
	    ctrl_sq_step_done(q, "DELETE FROM network WHERE id = ? AND "
	    "?2 = ?2", (int64_t)nwid, 0) == -1 ||
	    ctrl_sq_history(q, who, "network delete", nwid, NULL, *old,
	    NULL) == -1)
		rc = CTRL_STORE_ERR;
	return ctrl_sq_end_old(q, rc, old);
}

static int
ctrl_sq_member_get(struct ctrl_store *s, uint64_t nwid, uint64_t mid,
    json_t **out)
{
	return ctrl_sq_get(ctrl_sq(s), "SELECT obj FROM member WHERE "
	    "nwid = ? AND id = ?", (int64_t)nwid, (int64_t)mid, out);
}

static int
ctrl_sq_member_walk(struct ctrl_store *s, uint64_t nwid,
    ctrl_store_visit_fn *fn, void *arg)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	sqlite3_stmt *st;
	json_t *m;
	int r, stop = 0;

	if ((st = ctrl_sq_prep(q, "SELECT obj FROM member WHERE nwid = ? "
	    "ORDER BY id")) == NULL)
		return CTRL_STORE_ERR;
	sqlite3_bind_int64(st, 1, (int64_t)nwid);
	while (stop == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((m = ctrl_load_text(st, 0)) == NULL)
			continue;
		stop = fn(m, arg);
		json_decref(m);
	}
	ctrl_sq_done(q, st);
	return stop != 0 || r == SQLITE_DONE ? CTRL_STORE_OK :
	    CTRL_STORE_ERR;
}

static int
ctrl_sq_member_index(struct ctrl_store *s, uint64_t nwid,
    ctrl_store_index_fn *fn, void *arg)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	sqlite3_stmt *st;
	const char *id;
	int r, stop = 0;

	if ((st = ctrl_sq_prep(q, "SELECT json_extract(obj, '$.id'), "
	    "revision, json_extract(obj, '$.authorized') FROM member "
	    "WHERE nwid = ? ORDER BY id")) == NULL)
		return CTRL_STORE_ERR;
	sqlite3_bind_int64(st, 1, (int64_t)nwid);
	while (stop == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		stop = fn(id != NULL ? id : "", sqlite3_column_int64(st, 1),
		    sqlite3_column_int(st, 2) == 1, arg);
	}
	ctrl_sq_done(q, st);
	return stop != 0 || r == SQLITE_DONE ? CTRL_STORE_OK :
	    CTRL_STORE_ERR;
}

static int
ctrl_sq_member_delete(struct ctrl_store *s, uint64_t nwid, uint64_t mid,
    const char *who, json_t **old)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	int rc;

	*old = NULL;
	if (ctrl_sq_begin(q) == -1)
		return CTRL_STORE_ERR;
	rc = ctrl_sq_get(q, "SELECT obj FROM member WHERE nwid = ? AND "
	    "id = ?", (int64_t)nwid, (int64_t)mid, old);
	if (rc == CTRL_STORE_OK &&
	    (ctrl_sq_step_done(q, "DELETE FROM member WHERE nwid = ? AND "
	    "id = ?", (int64_t)nwid, (int64_t)mid) == -1 ||
	    ctrl_sq_history(q, who, "member delete", nwid, &mid, *old,
	    NULL) == -1))
		rc = CTRL_STORE_ERR;
	return ctrl_sq_end_old(q, rc, old);
}

static int
ctrl_sq_import(struct ctrl_store *s, uint64_t nwid, json_t *net,
    json_t *members, const char *who)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	json_t *m;
	size_t i;
	int rc = CTRL_STORE_OK;
	uint64_t mid;

	if (ctrl_sq_begin(q) == -1)
		return CTRL_STORE_ERR;
	if (ctrl_sq_put(q, ctrl_sql_put_network, (int64_t)nwid, 0, net) == -1)
		rc = CTRL_STORE_ERR;
	json_array_foreach(members, i, m) {
		if (rc != CTRL_STORE_OK)
			break;
		mid = (uint64_t)json_integer_value(json_object_get(m,
		    "_mid"));
		json_object_del(m, "_mid");
		if (ctrl_sq_put(q, ctrl_sql_put_member, (int64_t)nwid,
		    (int64_t)mid, m) == -1)
			rc = CTRL_STORE_ERR;
	}
	if (rc == CTRL_STORE_OK && ctrl_sq_history(q, who,
	    "network import", nwid, NULL, NULL, net) == -1)
		rc = CTRL_STORE_ERR;
	return ctrl_sq_end(q, rc);
}

static int
ctrl_sq_history_walk(struct ctrl_store *s, uint64_t nwid, size_t limit,
    ctrl_store_visit_fn *fn, void *arg)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	sqlite3_stmt *st;
	char n[17];
	json_t *h;
	int r, stop = 0;

	st = ctrl_sq_prep(q, nwid != 0 ?
	    "SELECT seq, time, who, what, nwid, member, before, after "
	    "FROM history WHERE nwid = ?1 ORDER BY seq DESC LIMIT ?2" :
	    "SELECT seq, time, who, what, nwid, member, before, after "
	    "FROM history WHERE ?1 IS NULL ORDER BY seq DESC LIMIT ?2");
	if (st == NULL)
		return CTRL_STORE_ERR;
	if (nwid != 0)
		sqlite3_bind_text(st, 1, ctrl_nwid_fmt(nwid, n), -1,
		    SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)limit);
	while (stop == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		h = json_pack("{s:I, s:I, s:s, s:s}",
		    "seq", (json_int_t)sqlite3_column_int64(st, 0),
		    "time", (json_int_t)sqlite3_column_int64(st, 1),
		    "who", (const char *)sqlite3_column_text(st, 2),
		    "what", (const char *)sqlite3_column_text(st, 3));
		if (h == NULL)
			continue;
		json_object_set_new(h, "nwid", sqlite3_column_text(st, 4) ?
		    json_string((const char *)sqlite3_column_text(st, 4)) :
		    json_null());
		json_object_set_new(h, "member", sqlite3_column_text(st, 5) ?
		    json_string((const char *)sqlite3_column_text(st, 5)) :
		    json_null());
		json_object_set_new(h, "before", sqlite3_column_text(st, 6) ?
		    ctrl_load_text(st, 6) : json_null());
		json_object_set_new(h, "after", sqlite3_column_text(st, 7) ?
		    ctrl_load_text(st, 7) : json_null());
		stop = fn(h, arg);
		json_decref(h);
	}
	ctrl_sq_done(q, st);
	return stop != 0 || r == SQLITE_DONE ? CTRL_STORE_OK :
	    CTRL_STORE_ERR;
}

static int
ctrl_sq_token_put(struct ctrl_store *s, const struct ctrl_token *t,
    const char *who)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	sqlite3_stmt *st;
	json_t *after;
	int rc = CTRL_STORE_ERR;

	if (ctrl_sq_begin(q) == -1)
		return CTRL_STORE_ERR;
	if ((st = ctrl_sq_prep(q, "INSERT INTO token (name, scope, hash, "
	    "created) VALUES (?, ?, ?, ?)")) != NULL) {
		sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)t->scope);
		sqlite3_bind_blob(st, 3, t->hash, sizeof(t->hash),
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, t->created);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = CTRL_STORE_OK;
		else if (sqlite3_errcode(q->db) == SQLITE_CONSTRAINT)
			rc = CTRL_STORE_NONE;	/* the name is taken */
		ctrl_sq_done(q, st);
	}
	/* the history names the token, never its secret */
	after = json_pack("{s:s, s:s}", "token", t->name, "scope",
	    t->scope == CTRL_SCOPE_ADMIN ? "admin" : "read");
	if (rc == CTRL_STORE_OK && ctrl_sq_history(q, who, "token create", 0,
	    NULL, NULL, after) == -1)
		rc = CTRL_STORE_ERR;
	json_decref(after);
	return ctrl_sq_end(q, rc);
}

static int
ctrl_sq_token_delete(struct ctrl_store *s, const char *name,
    const char *who)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	sqlite3_stmt *st;
	json_t *before;
	int rc = CTRL_STORE_ERR;

	if (ctrl_sq_begin(q) == -1)
		return CTRL_STORE_ERR;
	if ((st = ctrl_sq_prep(q, "DELETE FROM token WHERE name = ?")) !=
	    NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = sqlite3_changes(q->db) > 0 ? CTRL_STORE_OK :
			    CTRL_STORE_NONE;
		ctrl_sq_done(q, st);
	}
	before = json_pack("{s:s}", "token", name);
	if (rc == CTRL_STORE_OK && ctrl_sq_history(q, who, "token revoke", 0,
	    NULL, before, NULL) == -1)
		rc = CTRL_STORE_ERR;
	json_decref(before);
	return ctrl_sq_end(q, rc);
}

static int
ctrl_sq_token_list(struct ctrl_store *s, struct ctrl_token **out,
    size_t *n)
{
	struct ctrl_sqlite *q = ctrl_sq(s);
	struct ctrl_token *v = NULL, *nv, *t;
	sqlite3_stmt *st;
	size_t cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((st = ctrl_sq_prep(q, "SELECT name, scope, hash, created FROM "
	    "token ORDER BY name")) == NULL)
		return CTRL_STORE_ERR;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = ctrl_sq_grow(v, *n, &cap, sizeof(*v), 8)) == NULL)
			break;
		v = nv;
		t = &v[*n];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		t->scope = sqlite3_column_int(st, 1) == CTRL_SCOPE_ADMIN ?
		    CTRL_SCOPE_ADMIN : CTRL_SCOPE_READ;
		if (sqlite3_column_bytes(st, 2) == sizeof(t->hash))
			memcpy(t->hash, sqlite3_column_blob(st, 2),
			    sizeof(t->hash));
		t->created = sqlite3_column_int64(st, 3);
		(*n)++;
	}
	ctrl_sq_done(q, st);
	if (r != SQLITE_DONE) {
		free(v);
		*n = 0;
		return CTRL_STORE_ERR;
	}
	*out = v;
	return CTRL_STORE_OK;
}

static const struct ctrl_store_ops ctrl_sqlite_ops = {
	.close = ctrl_sq_close,
	.network_get = ctrl_sq_network_get,
	.network_ids = ctrl_sq_network_ids,
	.network_save = ctrl_sq_network_save,
	.network_delete = ctrl_sq_network_delete,
	.member_get = ctrl_sq_member_get,
	.member_walk = ctrl_sq_member_walk,
	.member_index = ctrl_sq_member_index,
	.member_save = ctrl_sq_member_save,
	.member_delete = ctrl_sq_member_delete,
	.import = ctrl_sq_import,
	.history_walk = ctrl_sq_history_walk,
	.token_put = ctrl_sq_token_put,
	.token_delete = ctrl_sq_token_delete,
	.token_list = ctrl_sq_token_list,
	.batch_begin = ctrl_sq_batch_begin,
	.batch_commit = ctrl_sq_batch_commit,
};

static int
ctrl_sq_pragma_int(struct ctrl_sqlite *q, const char *sql, int *v)
{
	sqlite3_stmt *st;
	int rc = -1;

	if ((st = ctrl_sq_prep(q, sql)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = 0;
	}
	ctrl_sq_done(q, st);
	return rc;
}

static int
ctrl_sq_pragma_text(struct ctrl_sqlite *q, const char *sql, char *out,
    size_t len)
{
	sqlite3_stmt *st;
	int rc = -1;

	if ((st = ctrl_sq_prep(q, sql)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL) {
		snprintf(out, len, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	ctrl_sq_done(q, st);
	return rc;
}

int
ctrl_store_sqlite_pragmas(struct ctrl_store *s, char *journal, size_t len,
    int *sync, int *schema)
{
	struct ctrl_sqlite *q = ctrl_sq(s);

	if (ctrl_sq_pragma_text(q, "PRAGMA journal_mode", journal, len) ==
	    -1 || ctrl_sq_pragma_int(q, "PRAGMA synchronous", sync) == -1 ||
	    ctrl_sq_pragma_int(q, "PRAGMA user_version", schema) == -1)
		return -1;
	return 0;
}

/* brings the schema to CTRL_STORE_SCHEMA, one transaction per step */
static int
ctrl_sq_migrate(struct ctrl_sqlite *q, char *err, size_t errlen)
{
	char sql[64];
	int v;

	if (ctrl_sq_pragma_int(q, "PRAGMA user_version", &v) == -1) {
		snprintf(err, errlen, "cannot read the schema version: %s",
		    sqlite3_errmsg(q->db));
		return -1;
	}
	if (v < 0 || v > CTRL_STORE_SCHEMA) {
		snprintf(err, errlen, "schema version %d is not one this "
		    "build knows (%d): refusing to touch it", v,
		    CTRL_STORE_SCHEMA);
		return -1;
	}
	for (; v < CTRL_STORE_SCHEMA; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (ctrl_sq_begin(q) == -1 ||
		    ctrl_sq_exec(q, ctrl_migrations[v]) == -1 ||
		    ctrl_sq_exec(q, sql) == -1 ||
		    ctrl_sq_end(q, CTRL_STORE_OK) != CTRL_STORE_OK) {
			ctrl_sq_exec(q, "ROLLBACK");
			snprintf(err, errlen, "migration to schema %d failed: "
			    "%s", v + 1, sqlite3_errmsg(q->db));
			return -1;
		}
		log_info("store: schema migrated to version %d", v + 1);
	}
	return 0;
}

struct ctrl_store *
ctrl_store_sqlite_open(const char *path, const char *vfs, char *err,
    size_t errlen)
{
	struct ctrl_sqlite *q;
	char mode[32], check[256] = "";
	int sync = -1;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->store.ops = &ctrl_sqlite_ops;
	q->store.now = ctrl_sq_clock;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, q->db != NULL ?
		    sqlite3_errmsg(q->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(q->db, 5000);
	sqlite3_extended_result_codes(q->db, 0);
	/*
	 * The first statements read the header: a file that is not a
	 * database fails here and start-up stops.
	 */
	if (ctrl_sq_pragma_text(q, "PRAGMA journal_mode = WAL", mode,
	    sizeof(mode)) == -1 || strcasecmp(mode, "wal") != 0) {
		snprintf(err, errlen, "%s: cannot use WAL mode: %s", path,
		    sqlite3_errmsg(q->db));
		goto fail;
	}
	/* the sandbox allows the state directory only: no temp files */
	if (ctrl_sq_exec(q, "PRAGMA temp_store = MEMORY") == -1 ||
	    ctrl_sq_exec(q, "PRAGMA synchronous = FULL") == -1 ||
	    ctrl_sq_pragma_int(q, "PRAGMA synchronous", &sync) == -1 ||
	    sync != 2) {
		snprintf(err, errlen, "%s: cannot set synchronous=FULL", path);
		goto fail;
	}
	if (ctrl_sq_pragma_text(q, "PRAGMA quick_check", check,
	    sizeof(check)) == -1 || strcmp(check, "ok") != 0) {
		snprintf(err, errlen, "%s: database is corrupt or unreadable: "
		    "%s", path, check[0] ? check : sqlite3_errmsg(q->db));
		goto fail;
	}
	if (ctrl_sq_migrate(q, err, errlen) == -1)
		goto fail;
	return &q->store;
fail:
	ctrl_sq_free_stmts(q);
	sqlite3_close(q->db);
	free(q);
	return NULL;
}
