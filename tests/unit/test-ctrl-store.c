/*
 * zt-controllerd's SQLite store: objects, revisions, history, tokens,
 * schema migrations, refusal of corrupt or newer databases, and
 * durability under a simulated power loss: a VFS that keeps every file
 * in memory twice (as written, and as last synced) throws away what
 * was not synced at the "crash".  A kill -9 test cannot fail (the page
 * cache survives it); this one fails if an acknowledged change was
 * not synced, which the lying-fsync control run shows.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "objects.h"
#include "store.h"
#include "test.h"

static int64_t test_clock = 1700000000000;

static int64_t
fixed_now(void)
{
	return test_clock++;
}

/* ---- the power-loss VFS ---- */

struct mem_file {
	char		 name[512];
	uint8_t		*cur, *dur;
	size_t		 curlen, durlen, curcap;
	void		**shm;
	int		 nshm;
	struct mem_file	*next;
};

static struct {
	struct mem_file	*files;
	bool		 dead;		/* crashed: nothing reaches "disk" */
	bool		 lying;		/* xSync makes nothing durable */
	unsigned int	 syncs;
	int		 tmpno;
} mem;

struct mem_handle {
	sqlite3_file	 base;
	struct mem_file	*f;
};

static struct mem_file *
mem_find(const char *name)
{
	struct mem_file *f;

	for (f = mem.files; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static int
mem_close(sqlite3_file *p)
{
	return SQLITE_OK;
}

static int
mem_read(sqlite3_file *p, void *buf, int n, sqlite3_int64 off)
{
	struct mem_file *f = ((struct mem_handle *)p)->f;
	size_t have = 0;

	if ((size_t)off < f->curlen)
		have = f->curlen - (size_t)off;
	if (have > (size_t)n)
		have = (size_t)n;
	if (have > 0)
		memcpy(buf, f->cur + off, have);
	if (have < (size_t)n) {
		memset((uint8_t *)buf + have, 0, (size_t)n - have);
		return SQLITE_IOERR_SHORT_READ;
	}
	return SQLITE_OK;
}

static int
mem_grow(struct mem_file *f, size_t len)
{
	uint8_t *n;
	size_t cap;

	if (len <= f->curcap)
		return 0;
	cap = len * 2 + 4096;
	if ((n = realloc(f->cur, cap)) == NULL)
		return -1;
	memset(n + f->curcap, 0, cap - f->curcap);
	f->cur = n;
	f->curcap = cap;
	return 0;
}

static int
mem_write(sqlite3_file *p, const void *buf, int n, sqlite3_int64 off)
{
	struct mem_file *f = ((struct mem_handle *)p)->f;

	if (mem.dead)
		return SQLITE_OK;
	if (mem_grow(f, (size_t)off + (size_t)n) == -1)
		return SQLITE_IOERR_WRITE;
	memcpy(f->cur + off, buf, (size_t)n);
	if ((size_t)off + (size_t)n > f->curlen)
		f->curlen = (size_t)off + (size_t)n;
	return SQLITE_OK;
}

static int
mem_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct mem_file *f = ((struct mem_handle *)p)->f;

	if (!mem.dead && (size_t)size < f->curlen)
		f->curlen = (size_t)size;
	return SQLITE_OK;
}

static int
mem_sync(sqlite3_file *p, int flags)
{
	struct mem_file *f = ((struct mem_handle *)p)->f;

	if (mem.dead)
		return SQLITE_OK;
	mem.syncs++;
	if (mem.lying)
		return SQLITE_OK;
	free(f->dur);
	f->dur = malloc(f->curlen + 1);
	if (f->dur == NULL)
		return SQLITE_IOERR_FSYNC;
	memcpy(f->dur, f->cur, f->curlen);
	f->durlen = f->curlen;
	return SQLITE_OK;
}

static int
mem_size(sqlite3_file *p, sqlite3_int64 *size)
{
	*size = (sqlite3_int64)((struct mem_handle *)p)->f->curlen;
	return SQLITE_OK;
}

static int
mem_lock(sqlite3_file *p, int l)
{
	return SQLITE_OK;
}

static int
mem_reserved(sqlite3_file *p, int *out)
{
	*out = 0;
	return SQLITE_OK;
}

static int
mem_fcntl(sqlite3_file *p, int op, void *arg)
{
	return SQLITE_NOTFOUND;
}

static int
mem_sector(sqlite3_file *p)
{
	return 512;
}

static int
mem_devchar(sqlite3_file *p)
{
	return 0;
}

static int
mem_shm_map(sqlite3_file *p, int i, int size, int extend, void volatile **pp)
{
	struct mem_file *f = ((struct mem_handle *)p)->f;
	void **n;

	*pp = NULL;
	if (i >= f->nshm) {
		if (!extend)
			return SQLITE_OK;
		if ((n = realloc(f->shm, sizeof(*n) * (size_t)(i + 1))) ==
		    NULL)
			return SQLITE_IOERR_NOMEM;
		memset(n + f->nshm, 0, sizeof(*n) * (size_t)(i + 1 - f->nshm));
		f->shm = n;
		f->nshm = i + 1;
	}
	if (f->shm[i] == NULL && (f->shm[i] = calloc(1, (size_t)size)) ==
	    NULL)
		return SQLITE_IOERR_NOMEM;
	*pp = f->shm[i];
	return SQLITE_OK;
}

static int
mem_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
	return SQLITE_OK;
}

static void
mem_shm_barrier(sqlite3_file *p)
{
}

static void
mem_shm_free(struct mem_file *f)
{
	int i;

	for (i = 0; i < f->nshm; i++)
		free(f->shm[i]);
	free(f->shm);
	f->shm = NULL;
	f->nshm = 0;
}

static int
mem_shm_unmap(sqlite3_file *p, int del)
{
	if (del)
		mem_shm_free(((struct mem_handle *)p)->f);
	return SQLITE_OK;
}

static const sqlite3_io_methods mem_io = {
	.iVersion = 2,
	.xClose = mem_close,
	.xRead = mem_read,
	.xWrite = mem_write,
	.xTruncate = mem_truncate,
	.xSync = mem_sync,
	.xFileSize = mem_size,
	.xLock = mem_lock,
	.xUnlock = mem_lock,
	.xCheckReservedLock = mem_reserved,
	.xFileControl = mem_fcntl,
	.xSectorSize = mem_sector,
	.xDeviceCharacteristics = mem_devchar,
	.xShmMap = mem_shm_map,
	.xShmLock = mem_shm_lock,
	.xShmBarrier = mem_shm_barrier,
	.xShmUnmap = mem_shm_unmap,
};

static int
mem_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags,
    int *out)
{
	struct mem_handle *h = (struct mem_handle *)p;
	char tmp[64];
	struct mem_file *f;

	if (name == NULL) {
		snprintf(tmp, sizeof(tmp), "/tmp-%d", mem.tmpno++);
		name = tmp;
	}
	if ((f = mem_find(name)) == NULL) {
		if (!(flags & SQLITE_OPEN_CREATE))
			return SQLITE_CANTOPEN;
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return SQLITE_NOMEM;
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->next = mem.files;
		mem.files = f;
	}
	h->f = f;
	h->base.pMethods = &mem_io;
	if (out != NULL)
		*out = flags;
	return SQLITE_OK;
}

static void
mem_file_free(struct mem_file *f)
{
	mem_shm_free(f);
	free(f->cur);
	free(f->dur);
	free(f);
}

static int
mem_delete(sqlite3_vfs *vfs, const char *name, int syncdir)
{
	struct mem_file **pp, *f;

	if (mem.dead)
		return SQLITE_OK;
	for (pp = &mem.files; (f = *pp) != NULL; pp = &f->next)
		if (strcmp(f->name, name) == 0) {
			*pp = f->next;
			mem_file_free(f);
			break;
		}
	return SQLITE_OK;
}

static int
mem_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	struct mem_file *f = mem_find(name);

	*out = f != NULL && (flags != SQLITE_ACCESS_EXISTS || f->curlen > 0);
	return SQLITE_OK;
}

static int
mem_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	snprintf(out, (size_t)n, "%s", name);
	return SQLITE_OK;
}

static int
mem_random(sqlite3_vfs *vfs, int n, char *out)
{
	sqlite3_vfs *real = vfs->pAppData;

	return real->xRandomness(real, n, out);
}

static int
mem_sleep(sqlite3_vfs *vfs, int us)
{
	return us;
}

static int
mem_time(sqlite3_vfs *vfs, double *t)
{
	sqlite3_vfs *real = vfs->pAppData;

	return real->xCurrentTime(real, t);
}

static int
mem_lasterr(sqlite3_vfs *vfs, int n, char *out)
{
	return 0;
}

static sqlite3_vfs mem_vfs = {
	.iVersion = 1,
	.szOsFile = sizeof(struct mem_handle),
	.mxPathname = 512,
	.zName = "powerloss",
	.xOpen = mem_open,
	.xDelete = mem_delete,
	.xAccess = mem_access,
	.xFullPathname = mem_fullpath,
	.xRandomness = mem_random,
	.xSleep = mem_sleep,
	.xCurrentTime = mem_time,
	.xGetLastError = mem_lasterr,
};

/* power loss: the connection dies, every file goes back to its synced state */
static void
mem_crash(struct ctrl_store *s)
{
	struct mem_file *f;

	mem.dead = true;
	ctrl_store_close(s);
	mem.dead = false;
	for (f = mem.files; f != NULL; f = f->next) {
		if (mem_grow(f, f->durlen) == 0) {
			if (f->durlen > 0)
				memcpy(f->cur, f->dur, f->durlen);
			f->curlen = f->durlen;
		}
		mem_shm_free(f);
	}
}

static void
mem_reset(void)
{
	struct mem_file *f;

	while ((f = mem.files) != NULL) {
		mem.files = f->next;
		mem_file_free(f);
	}
	mem.lying = false;
	mem.syncs = 0;
}

static struct ctrl_store *
open_store(const char *path, const char *vfs)
{
	char err[512];
	struct ctrl_store *s = ctrl_store_sqlite_open(path, vfs, err,
	    sizeof(err));

	if (s != NULL)
		s->now = fixed_now;
	else
		fprintf(stderr, "open %s: %s\n", path, err);
	return s;
}

/*
 * Acknowledged changes (save returned OK) survive the crash; returns
 * how many were lost.
 */
static unsigned int
crash_run(bool lying)
{
	const uint64_t nwid = 0x8056c2e21c000001ULL;
	struct ctrl_store *s;
	unsigned int lost = 0, i;
	json_t *o;
	bool changed;

	mem_reset();
	mem.lying = lying;
	REQUIRE((s = open_store("/db/controller.db", "powerloss")) != NULL);
	o = ctrl_network_new(nwid, 1);
	CHECK(s->ops->network_save(s, nwid, o, "test", "create",
	    &changed) == CTRL_STORE_OK);
	json_decref(o);
	for (i = 1; i <= 20; i++) {
		o = ctrl_member_new(nwid, i, 1);
		json_object_set_new(o, "authorized", json_true());
		CHECK(s->ops->member_save(s, nwid, i, o, "test", "create",
		    &changed) == CTRL_STORE_OK && changed);
		json_decref(o);
	}
	mem_crash(s);
	mem.lying = false;
	REQUIRE((s = open_store("/db/controller.db", "powerloss")) != NULL);
	if (s->ops->network_get(s, nwid, &o) != CTRL_STORE_OK)
		lost++;
	json_decref(o);
	for (i = 1; i <= 20; i++) {
		if (s->ops->member_get(s, nwid, i, &o) != CTRL_STORE_OK ||
		    !json_is_true(json_object_get(o, "authorized")))
			lost++;
		json_decref(o);
	}
	ctrl_store_close(s);
	return lost;
}

/*
 * Group commit: members saved inside a batch are acknowledged only by
 * batch_commit.  Batch A (with a failing operation in the middle,
 * undone alone) is committed; batch B is open at the crash.  Returns
 * lost A changes * 100 + surviving B changes; the syncs per committed
 * batch go to *syncs.
 */
static unsigned int
crash_run_batch(bool lying, unsigned int *syncs)
{
	const uint64_t nwid = 0x8056c2e21c000002ULL;
	struct ctrl_store *s;
	unsigned int bad = 0, i, before;
	json_t *o;
	bool changed;

	mem_reset();
	mem.lying = lying;
	REQUIRE((s = open_store("/db/controller.db", "powerloss")) != NULL);
	o = ctrl_network_new(nwid, 1);
	CHECK(s->ops->network_save(s, nwid, o, "test", "create",
	    &changed) == CTRL_STORE_OK);
	json_decref(o);
	before = mem.syncs;
	CHECK(s->ops->batch_begin(s) == CTRL_STORE_OK);
	for (i = 1; i <= 20; i++) {
		o = ctrl_member_new(nwid, i, 1);
		json_object_set_new(o, "authorized", json_true());
		CHECK(s->ops->member_save(s, nwid, i, o, "test", "create",
		    &changed) == CTRL_STORE_OK && changed);
		json_decref(o);
		if (i == 10)	/* a failing operation inside the batch */
			CHECK(s->ops->token_delete(s, "no-such-token",
			    "test") == CTRL_STORE_NONE);
	}
	CHECK(mem.syncs == before);	/* nothing synced before the commit */
	CHECK(s->ops->batch_commit(s) == CTRL_STORE_OK);
	*syncs = mem.syncs - before;
	/* batch B: never committed */
	CHECK(s->ops->batch_begin(s) == CTRL_STORE_OK);
	for (i = 21; i <= 30; i++) {
		o = ctrl_member_new(nwid, i, 1);
		CHECK(s->ops->member_save(s, nwid, i, o, "test", "create",
		    &changed) == CTRL_STORE_OK);
		json_decref(o);
	}
	mem_crash(s);
	mem.lying = false;
	REQUIRE((s = open_store("/db/controller.db", "powerloss")) != NULL);
	for (i = 1; i <= 30; i++) {
		if (s->ops->member_get(s, nwid, i, &o) == CTRL_STORE_OK)
			bad += i > 20 ? 1 : 0;
		else
			bad += i <= 20 ? 100 : 0;
		json_decref(o);
	}
	ctrl_store_close(s);
	return bad;
}

/* one datagram from the stand-in journal socket, NUL-terminated */
static ssize_t
journal_recv(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/*
 * The audit trail's journal records: native-protocol datagrams with the
 * fixed MESSAGE_ID of the change's kind and ZT_* fields, sent only once
 * the change is committed (an open batch sends nothing; a rolled-back
 * one never does).  A stand-in socket plays journald.
 */
static void
test_journal(const char *dir)
{
	const uint64_t nwid = 0x8056c2e21c000009ULL;
	struct sockaddr_un sun;
	struct ctrl_store *s;
	char path[512], buf[65536];
	json_t *o;
	bool changed;
	int fd;

	snprintf(path, sizeof(path), "%s/journal.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	REQUIRE(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path));
	REQUIRE((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	REQUIRE(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	/* stderr is not the journal: nothing is connected */
	unsetenv("JOURNAL_STREAM");
	CHECK(log_journal_open(path) == 0);
	setenv("JOURNAL_STREAM", "0:0", 1);
	REQUIRE(log_journal_open(path) == 0);
	log_setlevel(LOG_LVL_INFO);
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	REQUIRE((s = open_store(path, NULL)) != NULL);
	o = ctrl_network_new(nwid, 1);
	CHECK(s->ops->network_save(s, nwid, o, "token:ui", "network create",
	    &changed) == CTRL_STORE_OK);
	json_decref(o);
	CHECK(journal_recv(fd, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\nMESSAGE_ID=3f2cde0cebad4fe786fc67bdceed7833\n") !=
	    NULL);
	CHECK(strstr(buf, "\nPRIORITY=6\n") != NULL);
	CHECK(strstr(buf, "\nZT_WHO=token:ui\n") != NULL);
	CHECK(strstr(buf, "\nZT_NETWORK=8056c2e21c000009\n") != NULL);
	CHECK(strstr(buf, "\nZT_BEFORE=null\n") != NULL);
	CHECK(strncmp(buf, "MESSAGE=", 8) == 0);
	/* inside a batch: sent at the commit, not before */
	CHECK(s->ops->batch_begin(s) == CTRL_STORE_OK);
	o = ctrl_member_new(nwid, 0x1122334455ULL, 1);
	CHECK(s->ops->member_save(s, nwid, 0x1122334455ULL, o, "uid:0",
	    "member create", &changed) == CTRL_STORE_OK);
	json_decref(o);
	CHECK(journal_recv(fd, buf, sizeof(buf)) == -1);
	CHECK(s->ops->batch_commit(s) == CTRL_STORE_OK);
	CHECK(journal_recv(fd, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\nMESSAGE_ID=e024514549734a6eba9d057f521b2420\n") !=
	    NULL);
	CHECK(strstr(buf, "\nZT_MEMBER=1122334455\n") != NULL);
	/* a batch never committed (closed open) sends nothing */
	CHECK(s->ops->batch_begin(s) == CTRL_STORE_OK);
	CHECK(s->ops->token_delete(s, "none", "uid:0") == CTRL_STORE_NONE);
	o = ctrl_member_new(nwid, 0x1122334456ULL, 1);
	CHECK(s->ops->member_save(s, nwid, 0x1122334456ULL, o, "uid:0",
	    "member create", &changed) == CTRL_STORE_OK);
	json_decref(o);
	ctrl_store_close(s);
	CHECK(journal_recv(fd, buf, sizeof(buf)) == -1);
	log_setlevel(LOG_LVL_WARN);
	close(fd);
}

static void
test_durability(void)
{
	unsigned int syncs = 0;

	REQUIRE(sqlite3_vfs_register(&mem_vfs, 0) == SQLITE_OK);
	mem_vfs.pAppData = sqlite3_vfs_find(NULL);
	CHECKF(crash_run(false) == 0, "acknowledged changes lost");
	CHECKF(mem.syncs > 0, "no sync at all");
	/* control: with an fsync that lies the same test sees the loss */
	CHECKF(crash_run(true) > 0, "the crash test cannot see a loss");
	/* group commit: acknowledged batches survive, an open one is gone */
	CHECKF(crash_run_batch(false, &syncs) == 0, "a committed batch lost "
	    "changes or an uncommitted one survived");
	/* one commit: the WAL synced once, not once per change */
	CHECKF(syncs >= 1 && syncs <= 2, "%u syncs for one batch", syncs);
	CHECKF(crash_run_batch(true, &syncs) >= 100, "the batch crash test "
	    "cannot see a loss");
	mem_reset();
	sqlite3_vfs_unregister(&mem_vfs);
}

static void
test_pragmas(const char *dir)
{
	char path[512], journal[32];
	struct ctrl_store *s;
	int sync, schema;

	snprintf(path, sizeof(path), "%s/p.db", dir);
	REQUIRE((s = open_store(path, NULL)) != NULL);
	CHECK(ctrl_store_sqlite_pragmas(s, journal, sizeof(journal), &sync,
	    &schema) == 0);
	CHECK(strcmp(journal, "wal") == 0);
	CHECK(sync == 2);	/* FULL */
	CHECK(schema == CTRL_STORE_SCHEMA);
	ctrl_store_close(s);
}

struct walk_count {
	unsigned int	 n;
	json_t		*first;
};

static int
walk_count(json_t *o, void *arg)
{
	struct walk_count *w = arg;

	if (w->n++ == 0)
		w->first = json_incref(o);
	return 0;
}

static void
test_objects(const char *dir)
{
	const uint64_t nwid = 0x8056c2e21c000002ULL;
	struct walk_count w = { 0, NULL };
	struct ctrl_store *s;
	char path[512];
	uint64_t *ids;
	size_t n;
	json_t *o, *g, *old;
	bool changed;

	snprintf(path, sizeof(path), "%s/o.db", dir);
	REQUIRE((s = open_store(path, NULL)) != NULL);
	CHECK(s->ops->network_get(s, nwid, &g) == CTRL_STORE_NONE);
	o = ctrl_network_new(nwid, 5);
	CHECK(s->ops->network_save(s, nwid, o, "token:a", "network create",
	    &changed) == CTRL_STORE_OK && changed);
	CHECK(json_integer_value(json_object_get(o, "revision")) == 1);
	/* an unchanged save does nothing (spec §6) */
	CHECK(s->ops->network_save(s, nwid, o, "token:a", "network update",
	    &changed) == CTRL_STORE_OK && !changed);
	CHECK(json_integer_value(json_object_get(o, "revision")) == 1);
	json_object_set_new(o, "name", json_string("x"));
	CHECK(s->ops->network_save(s, nwid, o, "token:a", "network update",
	    &changed) == CTRL_STORE_OK && changed);
	CHECK(json_integer_value(json_object_get(o, "revision")) == 2);
	CHECK(s->ops->network_get(s, nwid, &g) == CTRL_STORE_OK);
	CHECK(json_equal(o, g));
	json_decref(g);
	json_decref(o);
	/* a second network sorts by unsigned id */
	o = ctrl_network_new(0xffffff0000000001ULL, 5);
	CHECK(s->ops->network_save(s, 0xffffff0000000001ULL, o, "t", "c",
	    &changed) == CTRL_STORE_OK);
	json_decref(o);
	CHECK(s->ops->network_ids(s, &ids, &n) == CTRL_STORE_OK && n == 2 &&
	    ids[0] == nwid && ids[1] == 0xffffff0000000001ULL);
	free(ids);

	o = ctrl_member_new(nwid, 0xabcdef0123ULL, 7);
	CHECK(s->ops->member_save(s, nwid, 0xabcdef0123ULL, o, "uid:0",
	    "member create", &changed) == CTRL_STORE_OK && changed);
	json_decref(o);
	o = ctrl_member_new(nwid, 0x0000000001ULL, 7);
	CHECK(s->ops->member_save(s, nwid, 1, o, "uid:0", "member create",
	    &changed) == CTRL_STORE_OK);
	json_decref(o);
	CHECK(s->ops->member_walk(s, nwid, walk_count, &w) == CTRL_STORE_OK);
	CHECK(w.n == 2);
	CHECK(strcmp(json_string_value(json_object_get(w.first, "id")),
	    "0000000001") == 0);
	json_decref(w.first);
	CHECK(s->ops->member_delete(s, nwid, 1, "uid:0", &old) ==
	    CTRL_STORE_OK && old != NULL);
	json_decref(old);
	CHECK(s->ops->member_delete(s, nwid, 1, "uid:0", &old) ==
	    CTRL_STORE_NONE);
	CHECK(s->ops->network_delete(s, nwid, "uid:0", &old) ==
	    CTRL_STORE_OK);
	json_decref(old);
	CHECK(s->ops->member_get(s, nwid, 0xabcdef0123ULL, &g) ==
	    CTRL_STORE_NONE);
	CHECK(s->ops->network_delete(s, nwid, "uid:0", &old) ==
	    CTRL_STORE_NONE);

	/* the history: newest first, who/what/before/after */
	w.n = 0;
	w.first = NULL;
	CHECK(s->ops->history_walk(s, nwid, 100, walk_count, &w) ==
	    CTRL_STORE_OK);
	/* 3 network saves, 2 member creates, 1 member delete, 1 member */
	/* gone with the network, 1 network delete */
	CHECKF(w.n == 7, "%u history rows", w.n);
	CHECK(w.first != NULL && strcmp(json_string_value(json_object_get(
	    w.first, "what")), "network delete") == 0 &&
	    json_is_object(json_object_get(w.first, "before")) &&
	    json_is_null(json_object_get(w.first, "after")) &&
	    strcmp(json_string_value(json_object_get(w.first, "who")),
	    "uid:0") == 0);
	json_decref(w.first);
	ctrl_store_close(s);
}

/* member save of o with authorized set to auth */
static bool
save_auth(struct ctrl_store *s, uint64_t nwid, uint64_t mid, json_t *o,
    bool auth)
{
	bool changed;

	json_object_set_new(o, "authorized", json_boolean(auth));
	return s->ops->member_save(s, nwid, mid, o, "uid:0", "member update",
	    &changed) == CTRL_STORE_OK;
}

/* ZeroTier One's controller change metrics, counted per history row */
static void
test_counts(const char *dir)
{
	const uint64_t nwid = 0x8056c2e21c000003ULL, mid = 0x1122334455ULL;
	const struct ctrl_store_counts *c;
	struct ctrl_token t;
	struct ctrl_store *s;
	json_t *o, *m, *old;
	char path[512];
	bool changed;

	snprintf(path, sizeof(path), "%s/c.db", dir);
	REQUIRE((s = open_store(path, NULL)) != NULL);
	c = &s->counts;
	o = ctrl_network_new(nwid, 5);
	CHECK(s->ops->network_save(s, nwid, o, "t", "network create",
	    &changed) == CTRL_STORE_OK);
	/* unchanged: no history row, no count */
	CHECK(s->ops->network_save(s, nwid, o, "t", "network update",
	    &changed) == CTRL_STORE_OK && !changed);
	json_decref(o);
	CHECKF(c->network_changes == 1, "%llu network changes",
	    (unsigned long long)c->network_changes);
	m = ctrl_member_new(nwid, mid, 7);
	CHECK(save_auth(s, nwid, mid, m, false));
	CHECK(c->member_changes == 1 && c->member_auths == 0);
	CHECK(save_auth(s, nwid, mid, m, true));
	CHECK(save_auth(s, nwid, mid, m, true));	/* unchanged */
	CHECK(c->member_changes == 2 && c->member_auths == 1);
	CHECK(save_auth(s, nwid, mid, m, false));
	CHECK(c->member_changes == 3 && c->member_deauths == 1);
	CHECK(save_auth(s, nwid, mid, m, true));
	CHECK(c->member_auths == 2);
	json_decref(m);
	/* tokens are no network's change */
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "ui");
	t.scope = CTRL_SCOPE_READ;
	CHECK(s->ops->token_put(s, &t, "uid:0") == CTRL_STORE_OK);
	CHECK(c->network_changes == 1 && c->member_changes == 4);
	/* an authorized member gone with its network is a deauth */
	CHECK(s->ops->network_delete(s, nwid, "uid:0", &old) ==
	    CTRL_STORE_OK);
	json_decref(old);
	CHECKF(c->network_changes == 2 && c->member_changes == 5 &&
	    c->member_auths == 2 && c->member_deauths == 2,
	    "%llu %llu %llu %llu", (unsigned long long)c->network_changes,
	    (unsigned long long)c->member_changes,
	    (unsigned long long)c->member_auths,
	    (unsigned long long)c->member_deauths);
	ctrl_store_close(s);
}

static void
test_tokens(const char *dir)
{
	struct ctrl_token t, *v;
	struct ctrl_store *s;
	char path[512];
	size_t n;

	snprintf(path, sizeof(path), "%s/t.db", dir);
	REQUIRE((s = open_store(path, NULL)) != NULL);
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "ui");
	t.scope = CTRL_SCOPE_READ;
	memset(t.hash, 0x5a, sizeof(t.hash));
	CHECK(s->ops->token_put(s, &t, "uid:0") == CTRL_STORE_OK);
	CHECK(s->ops->token_put(s, &t, "uid:0") == CTRL_STORE_NONE);
	CHECK(s->ops->token_list(s, &v, &n) == CTRL_STORE_OK && n == 1 &&
	    v[0].scope == CTRL_SCOPE_READ && v[0].hash[63] == 0x5a);
	free(v);
	CHECK(s->ops->token_delete(s, "ui", "uid:0") == CTRL_STORE_OK);
	CHECK(s->ops->token_delete(s, "ui", "uid:0") == CTRL_STORE_NONE);
	ctrl_store_close(s);
}

static void
test_migration(const char *dir)
{
	char path[512], journal[32];
	struct ctrl_store *s;
	sqlite3 *db;
	json_t *o;
	int sync, schema;

	/* a version-1 database as an earlier build wrote it */
	snprintf(path, sizeof(path), "%s/v1.db", dir);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
	    "CREATE TABLE network (id INTEGER PRIMARY KEY, "
	    "    revision INTEGER NOT NULL, obj TEXT NOT NULL);"
	    "CREATE TABLE member (nwid INTEGER NOT NULL, id INTEGER NOT NULL, "
	    "    revision INTEGER NOT NULL, obj TEXT NOT NULL, "
	    "    PRIMARY KEY (nwid, id)) WITHOUT ROWID;"
	    "CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
	    "    time INTEGER NOT NULL, who TEXT NOT NULL, what TEXT NOT NULL,"
	    "    nwid TEXT, member TEXT, before TEXT, after TEXT);"
	    "INSERT INTO network VALUES (5, 3, '{\"id\":\"0000000000000005\","
	    "\"revision\":3}');"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	REQUIRE((s = open_store(path, NULL)) != NULL);
	CHECK(ctrl_store_sqlite_pragmas(s, journal, sizeof(journal), &sync,
	    &schema) == 0 && schema == 2);
	CHECK(s->ops->network_get(s, 5, &o) == CTRL_STORE_OK &&
	    json_integer_value(json_object_get(o, "revision")) == 3);
	json_decref(o);
	ctrl_store_close(s);

	/* a database from a newer build is refused, not rewritten */
	snprintf(path, sizeof(path), "%s/v99.db", dir);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
	    NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(open_store(path, NULL) == NULL);
}

static void
test_corrupt(const char *dir)
{
	static const char junk[] = "this is not an SQLite database at all, "
	    "but it is long enough to have a header.........................."
	    "................................................................";
	char path[512], err[512];
	struct ctrl_store *s;
	int fd;

	snprintf(path, sizeof(path), "%s/junk.db", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd != -1);
	CHECK(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	err[0] = '\0';
	s = ctrl_store_sqlite_open(path, NULL, err, sizeof(err));
	CHECK(s == NULL);
	CHECKF(err[0] != '\0', "no reason given");
	ctrl_store_close(s);
	/* an unreadable path is an error too, not an empty database */
	snprintf(path, sizeof(path), "%s/missing-dir/x.db", dir);
	CHECK(ctrl_store_sqlite_open(path, NULL, err, sizeof(err)) == NULL);
}

int
main(void)
{
	char dir[] = "/tmp/test-ctrl-store.XXXXXX";
	char cmd[600];

	log_init("test-ctrl-store", LOG_LVL_WARN);
	REQUIRE(mkdtemp(dir) != NULL);
	test_pragmas(dir);
	test_objects(dir);
	test_counts(dir);
	test_tokens(dir);
	test_migration(dir);
	test_corrupt(dir);
	test_durability();
	/* last: the journal socket stays connected in this process */
	test_journal(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	return test_main_end();
}
