/*
 * Management handlers (spec/controller.md §5).  Every request is
 * checked completely before the store is touched, so a refused request
 * changes nothing; errors are 4xx with {"error": code, "description"}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api.h"
#include "buf.h"
#include "hex.h"
#include "log.h"
#include "objects.h"
#include "sha.h"

#define CTRL_CREATE_TRIES	100000

static int	 ctrl_api_reload_tokens(struct ctrl_api *);

static char *
ctrl_text(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static void
ctrl_reply(struct ctrl_resp *r, int status, json_t *o)
{
	r->status = status;
	r->text = o != NULL ? ctrl_text(o) : NULL;
	json_decref(o);
	if (o != NULL && r->text == NULL)
		r->status = 500;
}

static void
ctrl_error(struct ctrl_resp *r, int status, const char *what)
{
	ctrl_reply(r, status, json_pack("{s:i, s:s}", "error", status,
	    "description", what));
}

int
ctrl_api_parse_body(const uint8_t *p, size_t len, json_t **out, char *err,
    size_t errlen)
{
	struct rbuf rb;
	json_error_t e;
	unsigned int depth = 0;
	bool in_str = false, esc = false;
	uint8_t c;

	*out = NULL;
	if (len > CTRL_BODY_MAX) {
		snprintf(err, errlen, "body over %d bytes", CTRL_BODY_MAX);
		return -1;
	}
	/* nesting is capped before the recursive parser sees the text */
	rbuf_init(&rb, p, len);
	while (rbuf_get_u8(&rb, &c) == 0) {
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > CTRL_JSON_DEPTH) {
				snprintf(err, errlen, "JSON nested deeper "
				    "than %d", CTRL_JSON_DEPTH);
				return -1;
			}
		} else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	if ((*out = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &e)) == NULL) {
		snprintf(err, errlen, "invalid JSON: %s", e.text);
		return -1;
	}
	return 0;
}

static bool
ctrl_hex_id(const char *s, size_t n, uint64_t *v)
{
	return strlen(s) == n && hex_parse_u64(s, n, v) == 0;
}

static int64_t
ctrl_count_members(struct ctrl_api *a, uint64_t nwid, int64_t *authorized);

/* GET /controller: the exact text 1.14.1 sends */
static void
ctrl_get_controller(struct ctrl_api *a, struct ctrl_resp *r)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "{\n\t\"controller\": true,\n"
	    "\t\"apiVersion\": 4,\n\t\"clock\": %" PRId64 ",\n"
	    "\t\"databaseReady\": true\n}\n", a->now());
	r->status = 200;
	r->text = strdup(buf);
}

static void
ctrl_get_status(struct ctrl_api *a, struct ctrl_resp *r)
{
	char addr[11];
	bool online = a->hooks.online != NULL && a->hooks.online(a->hooks.arg);

	ctrl_reply(r, 200, json_pack("{s:s, s:I, s:b, s:b, s:s}",
	    "address", ctrl_mid_fmt(a->self, addr),
	    "clock", (json_int_t)a->now(),
	    "online", online,
	    "controller", 1,
	    "version", ZT_VERSION));
}

static void
ctrl_list_networks(struct ctrl_api *a, struct ctrl_resp *r)
{
	uint64_t *ids;
	size_t i, n;
	char id[17];
	json_t *arr;

	if (a->store->ops->network_ids(a->store, &ids, &n) != CTRL_STORE_OK)
		return ctrl_error(r, 500, "store failure");
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ctrl_nwid_fmt(ids[i],
		    id)));
	free(ids);
	ctrl_reply(r, 200, arr);
}

static void
ctrl_network_post(struct ctrl_api *a, const struct ctrl_req *q,
    uint64_t nwid, bool create, struct ctrl_resp *r)
{
	json_t *body = NULL, *net = NULL;
	char err[256];
	bool changed;
	int rc;

	if (ctrl_api_parse_body(q->body, q->len, &body, err,
	    sizeof(err)) == -1)
		return ctrl_error(r, 400, err);
	if ((rc = a->store->ops->network_get(a->store, nwid, &net)) ==
	    CTRL_STORE_ERR)
		goto store;
	if (rc == CTRL_STORE_NONE && (net = ctrl_network_new(nwid,
	    a->now())) == NULL)
		goto store;
	ctrl_network_defaults(net, nwid, a->now());
	if (ctrl_network_apply(net, body, err, sizeof(err)) == -1) {
		json_decref(body);
		json_decref(net);
		return ctrl_error(r, 400, err);
	}
	if (a->store->ops->network_save(a->store, nwid, net, q->who,
	    create || rc == CTRL_STORE_NONE ? "network create" :
	    "network update", &changed) != CTRL_STORE_OK)
		goto store;
	if (changed)
		ctrl_api_hook(a, CTRL_HOOK_NETWORK, nwid, 0);
	json_decref(body);
	return ctrl_reply(r, 200, net);
store:
	json_decref(body);
	json_decref(net);
	ctrl_error(r, 500, "store failure");
}

/* POST /controller/network[/<address>______]: a fresh random id */
static void
ctrl_network_create(struct ctrl_api *a, const struct ctrl_req *q,
    struct ctrl_resp *r)
{
	uint64_t nwid = 0;
	uint8_t rnd[3];
	json_t *o, *body;
	char err[256];
	int i, rc;

	/* refuse a bad body before spending an id on it */
	if (ctrl_api_parse_body(q->body, q->len, &body, err,
	    sizeof(err)) == -1)
		return ctrl_error(r, 400, err);
	json_decref(body);
	for (i = 0; i < CTRL_CREATE_TRIES; i++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return ctrl_error(r, 500, "no random bytes");
		nwid = a->self << 24 | (uint64_t)rnd[0] << 16 |
		    (uint64_t)rnd[1] << 8 | rnd[2];
		if (nwid == 0)
			continue;
		rc = a->store->ops->network_get(a->store, nwid, &o);
		json_decref(o);
		if (rc == CTRL_STORE_ERR)
			return ctrl_error(r, 500, "store failure");
		if (rc == CTRL_STORE_NONE)
			break;
	}
	if (i == CTRL_CREATE_TRIES)
		return ctrl_error(r, 503, "no free network id");
	ctrl_network_post(a, q, nwid, true, r);
}

static int
ctrl_collect_authorized(json_t *m, void *arg)
{
	json_t *arr = arg;

	if (json_is_true(json_object_get(m, "authorized")))
		json_array_append_new(arr, json_string(
		    json_string_value(json_object_get(m, "address"))));
	return 0;
}

static void
ctrl_network_delete(struct ctrl_api *a, const struct ctrl_req *q,
    uint64_t nwid, struct ctrl_resp *r)
{
	json_t *old, *auth = json_array(), *x;
	uint64_t mid;
	size_t i;
	int rc;

	/* the members to revoke, read before they are gone (spec §3) */
	if (a->store->ops->member_walk(a->store, nwid,
	    ctrl_collect_authorized, auth) != CTRL_STORE_OK) {
		json_decref(auth);
		return ctrl_error(r, 500, "store failure");
	}
	rc = a->store->ops->network_delete(a->store, nwid, q->who, &old);
	if (rc != CTRL_STORE_OK) {
		json_decref(auth);
		if (rc == CTRL_STORE_NONE)
			return ctrl_error(r, 404, "no such network");
		return ctrl_error(r, 500, "store failure");
	}
	json_array_foreach(auth, i, x)
		if (hex_parse_u64(json_string_value(x), 10, &mid) == 0)
			ctrl_api_hook(a, CTRL_HOOK_REVOKED, nwid, mid);
	json_decref(auth);
	ctrl_reply(r, 200, old);
}

struct ctrl_member_list {
	json_t		*out;		/* NULL: count only */
	int64_t		 total, authorized;
};

/*
 * Every member object, written as text one at a time: 100,000 members
 * never sit in memory as JSON trees (bench/controller.c).
 */
struct ctrl_member_text {
	struct wbuf	 w;
	int64_t		 total, authorized;
};

static int
ctrl_member_text_one(json_t *m, void *arg)
{
	struct ctrl_member_text *t = arg;
	size_t n = json_dumpb(m, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
	uint8_t *p;

	t->total++;
	if (json_is_true(json_object_get(m, "authorized")))
		t->authorized++;
	if (t->total > 1)
		wbuf_put_u8(&t->w, ',');
	if (n == 0 || wbuf_reserve(&t->w, n, &p) == -1)
		return -1;
	json_dumpb(m, (char *)p, n, JSON_COMPACT | JSON_SORT_KEYS);
	return 0;
}

static void
ctrl_member_objects(struct ctrl_api *a, uint64_t nwid, struct ctrl_resp *r)
{
	struct ctrl_member_text t;
	char tail[128];
	size_t len;

	memset(&t, 0, sizeof(t));
	wbuf_init_dynamic(&t.w, CTRL_LIST_TEXT_MAX);
	wbuf_put_bytes(&t.w, "{\"data\":[", 9);
	if (a->store->ops->member_walk(a->store, nwid, ctrl_member_text_one,
	    &t) != CTRL_STORE_OK || wbuf_failed(&t.w)) {
		wbuf_free(&t.w);
		return ctrl_error(r, 500, "store failure or list too large");
	}
	/* keys in sorted order, as everything else this API writes */
	snprintf(tail, sizeof(tail), "],\"meta\":{\"authorizedCount\":%"
	    PRId64 ",\"totalCount\":%" PRId64 "}}", t.authorized, t.total);
	wbuf_put_bytes(&t.w, tail, strlen(tail) + 1);
	if ((r->text = (char *)wbuf_steal(&t.w, &len)) == NULL) {
		wbuf_free(&t.w);
		return ctrl_error(r, 500, "out of memory");
	}
	r->status = 200;
}

static int
ctrl_member_index_one(const char *id, int64_t rev, bool authorized,
    void *arg)
{
	struct ctrl_member_list *l = arg;

	l->total++;
	if (authorized)
		l->authorized++;
	if (l->out != NULL && strlen(id) == 10)
		json_object_set_new(l->out, id, json_integer(rev));
	return 0;
}

static int64_t
ctrl_count_members(struct ctrl_api *a, uint64_t nwid, int64_t *authorized)
{
	struct ctrl_member_list l = { NULL, 0, 0 };

	a->store->ops->member_index(a->store, nwid, ctrl_member_index_one,
	    &l);
	*authorized = l.authorized;
	return l.total;
}

static bool
ctrl_network_exists(struct ctrl_api *a, uint64_t nwid, int *rc)
{
	json_t *o;

	*rc = a->store->ops->network_get(a->store, nwid, &o);
	json_decref(o);
	return *rc == CTRL_STORE_OK;
}

static void
ctrl_member_list(struct ctrl_api *a, uint64_t nwid, bool unstable,
    struct ctrl_resp *r)
{
	struct ctrl_member_list l = { NULL, 0, 0 };
	int rc;

	if (!ctrl_network_exists(a, nwid, &rc))
		return ctrl_error(r, rc == CTRL_STORE_NONE ? 404 : 500,
		    rc == CTRL_STORE_NONE ? "no such network" :
		    "store failure");
	if (unstable)
		return ctrl_member_objects(a, nwid, r);
	l.out = json_object();
	if (a->store->ops->member_index(a->store, nwid, ctrl_member_index_one,
	    &l) != CTRL_STORE_OK) {
		json_decref(l.out);
		return ctrl_error(r, 500, "store failure");
	}
	ctrl_reply(r, 200, l.out);
}

static void
ctrl_unstable_networks(struct ctrl_api *a, struct ctrl_resp *r)
{
	json_t *data = json_array(), *net;
	int64_t total, authorized;
	uint64_t *ids;
	size_t i, n;

	if (a->store->ops->network_ids(a->store, &ids, &n) != CTRL_STORE_OK) {
		json_decref(data);
		return ctrl_error(r, 500, "store failure");
	}
	for (i = 0; i < n; i++) {
		if (a->store->ops->network_get(a->store, ids[i], &net) !=
		    CTRL_STORE_OK)
			continue;
		total = ctrl_count_members(a, ids[i], &authorized);
		json_object_set_new(net, "meta", json_pack("{s:I, s:I}",
		    "authorizedMemberCount", (json_int_t)authorized,
		    "totalMemberCount", (json_int_t)total));
		json_array_append_new(data, net);
	}
	free(ids);
	ctrl_reply(r, 200, json_pack("{s:o, s:{s:I}}", "data", data, "meta",
	    "networkCount", (json_int_t)n));
}

static void
ctrl_member_post(struct ctrl_api *a, const struct ctrl_req *q,
    uint64_t nwid, uint64_t mid, const char *nwtext, const char *midtext,
    struct ctrl_resp *r)
{
	json_t *body = NULL, *m = NULL;
	char err[256];
	bool deauth, changed;
	int rc;

	if (ctrl_api_parse_body(q->body, q->len, &body, err,
	    sizeof(err)) == -1)
		return ctrl_error(r, 400, err);
	if (!ctrl_network_exists(a, nwid, &rc)) {
		json_decref(body);
		return ctrl_error(r, rc == CTRL_STORE_NONE ? 404 : 500,
		    rc == CTRL_STORE_NONE ? "no such network" :
		    "store failure");
	}
	if ((rc = a->store->ops->member_get(a->store, nwid, mid, &m)) ==
	    CTRL_STORE_ERR)
		goto store;
	if (rc == CTRL_STORE_NONE && (m = json_object()) == NULL)
		goto store;
	ctrl_member_defaults(m, nwid, mid, a->now());
	if (ctrl_member_apply(m, body, a->now(), &deauth, err,
	    sizeof(err)) == -1) {
		json_decref(body);
		json_decref(m);
		return ctrl_error(r, 400, err);
	}
	/* ids as typed in the URL (spec §5.2, observed) */
	json_object_set_new(m, "id", json_string(midtext));
	json_object_set_new(m, "address", json_string(midtext));
	json_object_set_new(m, "nwid", json_string(nwtext));
	if (a->store->ops->member_save(a->store, nwid, mid, m, q->who,
	    rc == CTRL_STORE_NONE ? "member create" : "member update",
	    &changed) != CTRL_STORE_OK)
		goto store;
	if (deauth)
		ctrl_api_hook(a, CTRL_HOOK_REVOKED, nwid, mid);
	if (changed)
		ctrl_api_hook(a, CTRL_HOOK_MEMBER, nwid, mid);
	json_decref(body);
	return ctrl_reply(r, 200, m);
store:
	json_decref(body);
	json_decref(m);
	ctrl_error(r, 500, "store failure");
}

static void
ctrl_member_one(struct ctrl_api *a, const struct ctrl_req *q,
    uint64_t nwid, uint64_t mid, const char *nwtext, const char *midtext,
    struct ctrl_resp *r)
{
	json_t *m;
	int rc;

	switch (q->method) {
	case CTRL_M_GET:
		rc = a->store->ops->member_get(a->store, nwid, mid, &m);
		break;
	case CTRL_M_POST:
		return ctrl_member_post(a, q, nwid, mid, nwtext, midtext, r);
	case CTRL_M_DELETE:
		rc = a->store->ops->member_delete(a->store, nwid, mid, q->who,
		    &m);
		if (rc == CTRL_STORE_OK &&
		    json_is_true(json_object_get(m, "authorized")))
			ctrl_api_hook(a, CTRL_HOOK_REVOKED, nwid, mid);
		break;
	default:
		return ctrl_error(r, 405, "method not allowed");
	}
	if (rc == CTRL_STORE_NONE)
		return ctrl_error(r, 404, "no such member");
	if (rc != CTRL_STORE_OK)
		return ctrl_error(r, 500, "store failure");
	ctrl_reply(r, 200, m);
}

static void
ctrl_network_one(struct ctrl_api *a, const struct ctrl_req *q,
    uint64_t nwid, struct ctrl_resp *r)
{
	json_t *o;
	int rc;

	switch (q->method) {
	case CTRL_M_GET:
		rc = a->store->ops->network_get(a->store, nwid, &o);
		if (rc == CTRL_STORE_NONE)
			return ctrl_error(r, 404, "no such network");
		if (rc != CTRL_STORE_OK)
			return ctrl_error(r, 500, "store failure");
		return ctrl_reply(r, 200, o);
	case CTRL_M_POST:
		return ctrl_network_post(a, q, nwid, false, r);
	case CTRL_M_DELETE:
		return ctrl_network_delete(a, q, nwid, r);
	default:
		return ctrl_error(r, 405, "method not allowed");
	}
}

/* splits path into at most 8 segments of a private copy */
static size_t
ctrl_split(const char *path, char *copy, size_t len, char **seg)
{
	size_t n = 0;
	char *p, *s;

	if (snprintf(copy, len, "%s", path) >= (int)len || copy[0] != '/')
		return 0;
	for (p = copy + 1; n < 8; p = s + 1) {
		seg[n++] = p;
		if ((s = strchr(p, '/')) == NULL)
			return n;
		*s = '\0';
	}
	return 9;	/* too many */
}

static void
ctrl_route_network(struct ctrl_api *a, const struct ctrl_req *q, char **seg,
    size_t n, bool unstable, struct ctrl_resp *r)
{
	uint64_t nwid, mid, addr;

	if (n == 2) {
		if (unstable)
			return q->method == CTRL_M_GET ?
			    ctrl_unstable_networks(a, r) :
			    ctrl_error(r, 405, "method not allowed");
		if (q->method == CTRL_M_GET)
			return ctrl_list_networks(a, r);
		if (q->method == CTRL_M_POST)
			return ctrl_network_create(a, q, r);
		return ctrl_error(r, 405, "method not allowed");
	}
	/* legacy create: <controller address>______ */
	if (n == 3 && !unstable && strlen(seg[2]) == 16 &&
	    strcmp(seg[2] + 10, "______") == 0 &&
	    hex_parse_u64(seg[2], 10, &addr) == 0) {
		if (q->method != CTRL_M_POST)
			return ctrl_error(r, 405, "method not allowed");
		if (addr != a->self)
			return ctrl_error(r, 400, "not this controller's "
			    "address");
		return ctrl_network_create(a, q, r);
	}
	if (!ctrl_hex_id(seg[2], 16, &nwid))
		return ctrl_error(r, 404, "no such route");
	if (n == 3 && !unstable)
		return ctrl_network_one(a, q, nwid, r);
	if (n == 4 && strcmp(seg[3], "member") == 0) {
		if (q->method != CTRL_M_GET)
			return ctrl_error(r, 405, "method not allowed");
		return ctrl_member_list(a, nwid, unstable, r);
	}
	if (n == 5 && !unstable && strcmp(seg[3], "member") == 0 &&
	    ctrl_hex_id(seg[4], 10, &mid))
		return ctrl_member_one(a, q, nwid, mid, seg[2], seg[4], r);
	ctrl_error(r, 404, "no such route");
}

void
ctrl_api_route(struct ctrl_api *a, const struct ctrl_req *q,
    struct ctrl_resp *r)
{
	char copy[256], *seg[9];
	size_t n;

	r->status = 500;
	r->text = NULL;
	if (q->method != CTRL_M_GET && q->scope != CTRL_SCOPE_ADMIN)
		return ctrl_error(r, 403, "this token may only read");
	n = ctrl_split(q->path, copy, sizeof(copy), seg);
	if (n == 1 && strcmp(seg[0], "status") == 0)
		return q->method == CTRL_M_GET ? ctrl_get_status(a, r) :
		    ctrl_error(r, 405, "method not allowed");
	if (n == 1 && strcmp(seg[0], "controller") == 0)
		return q->method == CTRL_M_GET ? ctrl_get_controller(a, r) :
		    ctrl_error(r, 405, "method not allowed");
	if (n >= 2 && n <= 5 && strcmp(seg[0], "controller") == 0 &&
	    strcmp(seg[1], "network") == 0)
		return ctrl_route_network(a, q, seg, n, false, r);
	if (n >= 3 && n <= 5 && strcmp(seg[0], "unstable") == 0 &&
	    strcmp(seg[1], "controller") == 0 &&
	    strcmp(seg[2], "network") == 0)
		return ctrl_route_network(a, q, seg + 1, n - 1, true, r);
	ctrl_error(r, 404, "no such route");
}

static void
ctrl_hook_run(struct ctrl_api *a, const struct ctrl_hook_ev *h)
{
	switch (h->kind) {
	case CTRL_HOOK_NETWORK:
		if (a->hooks.network_changed != NULL)
			a->hooks.network_changed(a->hooks.arg, h->nwid);
		break;
	case CTRL_HOOK_MEMBER:
		if (a->hooks.member_changed != NULL)
			a->hooks.member_changed(a->hooks.arg, h->nwid, h->mid);
		break;
	case CTRL_HOOK_REVOKED:
		if (a->hooks.member_revoked != NULL)
			a->hooks.member_revoked(a->hooks.arg, h->nwid, h->mid);
		break;
	}
}

/*
 * What a change means for online members happens only once the change
 * is durable: inside a batch it waits for the commit (and is dropped
 * if the commit fails).
 */
void
ctrl_api_hook(struct ctrl_api *a, enum ctrl_hook_kind kind, uint64_t nwid,
    uint64_t mid)
{
	struct ctrl_hook_ev h = { kind, nwid, mid }, *nh;
	size_t i;

	if (!a->batch)
		return ctrl_hook_run(a, &h);
	for (i = 0; i < a->nhooks; i++)
		if (a->hookq[i].kind == kind && a->hookq[i].nwid == nwid &&
		    a->hookq[i].mid == mid)
			return;		/* one push per object and batch */
	if (a->nhooks == a->caphooks) {
		if ((nh = reallocarray(a->hookq, a->caphooks ?
		    a->caphooks * 2 : 64, sizeof(*nh))) == NULL) {
			/* pushing a config early beats never pushing it */
			log_warnx("group commit: out of memory for a push");
			return ctrl_hook_run(a, &h);
		}
		a->hookq = nh;
		a->caphooks = a->caphooks ? a->caphooks * 2 : 64;
	}
	a->hookq[a->nhooks++] = h;
}

static void
ctrl_api_flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	ctrl_api_flush(arg);
}

int
ctrl_api_group_commit(struct ctrl_api *a, struct event_base *base)
{
	if ((a->flush_ev = event_new(base, -1, 0, ctrl_api_flush_cb,
	    a)) == NULL)
		return -1;
	return 0;
}

bool
ctrl_api_grouped(const struct ctrl_api *a)
{
	return a->flush_ev != NULL;
}

bool
ctrl_api_batching(const struct ctrl_api *a)
{
	return a->batch;
}

int
ctrl_api_batch_open(struct ctrl_api *a)
{
	if (a->batch)
		return 0;
	if (a->store->ops->batch_begin(a->store) != CTRL_STORE_OK)
		return -1;
	a->batch = true;
	/*
	 * Activated now, the flush runs after every callback already
	 * active in this loop turn: requests that arrived together share
	 * the commit.
	 */
	if (a->flush_ev != NULL)
		event_active(a->flush_ev, EV_TIMEOUT, 1);
	return 0;
}

void
ctrl_api_defer(struct ctrl_api *a, ctrl_api_done_fn *fn, void *arg)
{
	struct ctrl_deferred *nd;

	if (!a->batch)
		return fn(arg, true);
	if (a->ndeferred == a->capdeferred) {
		if ((nd = reallocarray(a->deferred, a->capdeferred ?
		    a->capdeferred * 2 : 64, sizeof(*nd))) == NULL) {
			/* commit now rather than lose the reply */
			fn(arg, ctrl_api_flush(a));
			return;
		}
		a->deferred = nd;
		a->capdeferred = a->capdeferred ? a->capdeferred * 2 : 64;
	}
	a->deferred[a->ndeferred].fn = fn;
	a->deferred[a->ndeferred].arg = arg;
	a->ndeferred++;
	/* without an event loop to flush later, the batch ends here */
	if (a->flush_ev == NULL || a->ndeferred >= CTRL_BATCH_MAX)
		ctrl_api_flush(a);
}

bool
ctrl_api_flush(struct ctrl_api *a)
{
	struct ctrl_deferred *d;
	struct ctrl_hook_ev *h;
	size_t nd, nh, i;
	bool ok;

	if (!a->batch)
		return true;
	a->batch = false;
	if (a->flush_ev != NULL)
		event_del(a->flush_ev);
	ok = a->store->ops->batch_commit(a->store) == CTRL_STORE_OK;
	if (!ok) {
		log_warnx("group commit failed: %zu changes undone",
		    a->ndeferred);
		/* a token created in the batch is gone again */
		if (ctrl_api_reload_tokens(a) == -1)
			log_warnx("cannot reload the token table");
	}
	/* callbacks may open the next batch: work on detached lists */
	d = a->deferred;
	nd = a->ndeferred;
	h = a->hookq;
	nh = a->nhooks;
	a->deferred = NULL;
	a->ndeferred = a->capdeferred = 0;
	a->hookq = NULL;
	a->nhooks = a->caphooks = 0;
	for (i = 0; ok && i < nh; i++)
		ctrl_hook_run(a, &h[i]);
	for (i = 0; i < nd; i++)
		d[i].fn(d[i].arg, ok);
	free(d);
	free(h);
	return ok;
}

static int
ctrl_api_reload_tokens(struct ctrl_api *a)
{
	struct ctrl_token *t;
	size_t n;

	if (a->store->ops->token_list(a->store, &t, &n) != CTRL_STORE_OK)
		return -1;
	if (a->tokens != NULL)
		OPENSSL_cleanse(a->tokens, a->ntokens * sizeof(*a->tokens));
	free(a->tokens);
	a->tokens = t;
	a->ntokens = n;
	return 0;
}

int
ctrl_api_init(struct ctrl_api *a, struct ctrl_store *s, uint64_t self,
    int64_t (*now)(void))
{
	memset(a, 0, sizeof(*a));
	a->store = s;
	a->self = self;
	a->now = now;
	return ctrl_api_reload_tokens(a);
}

void
ctrl_api_free(struct ctrl_api *a)
{
	ctrl_api_flush(a);
	if (a->flush_ev != NULL)
		event_free(a->flush_ev);
	a->flush_ev = NULL;
	if (a->tokens != NULL)
		OPENSSL_cleanse(a->tokens, a->ntokens * sizeof(*a->tokens));
	free(a->tokens);
	a->tokens = NULL;
	a->ntokens = 0;
}

int
ctrl_api_auth(struct ctrl_api *a, const char *token, enum ctrl_scope *scope,
    const char **name)
{
	uint8_t h[64];
	size_t i;
	int found = -1;

	if (token == NULL || *token == '\0')
		return -1;
	sha512(h, token, strlen(token));
	/* every entry is compared, so timing tells nothing of which */
	for (i = 0; i < a->ntokens; i++)
		if (CRYPTO_memcmp(h, a->tokens[i].hash, sizeof(h)) == 0 &&
		    found == -1)
			found = (int)i;
	OPENSSL_cleanse(h, sizeof(h));
	if (found == -1)
		return -1;
	*scope = a->tokens[found].scope;
	*name = a->tokens[found].name;
	return 0;
}

static bool
ctrl_token_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= sizeof(((struct ctrl_token *)0)->name))
		return false;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    strchr("-_.@", name[i]) != NULL))
			return false;
	return true;
}

int
ctrl_api_token_set(struct ctrl_api *a, const char *name,
    enum ctrl_scope scope, const char *secret, const char *who)
{
	struct ctrl_token t;
	int rc;

	if (!ctrl_token_name_ok(name))
		return CTRL_STORE_ERR;
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.scope = scope;
	t.created = a->now();
	sha512(t.hash, secret, strlen(secret));
	rc = a->store->ops->token_put(a->store, &t, who);
	OPENSSL_cleanse(&t, sizeof(t));
	if (rc == CTRL_STORE_OK && ctrl_api_reload_tokens(a) == -1)
		rc = CTRL_STORE_ERR;
	return rc;
}

int
ctrl_api_token_create(struct ctrl_api *a, const char *name,
    enum ctrl_scope scope, const char *who, char secret[CTRL_TOKEN_LEN + 1])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t b;
	size_t n = 0;
	int rc;

	/* ZeroTier's authtoken.secret alphabet, without modulo bias */
	while (n < CTRL_TOKEN_LEN) {
		if (RAND_bytes(&b, 1) != 1)
			return CTRL_STORE_ERR;
		if (b < 252)
			secret[n++] = alphabet[b % 36];
	}
	secret[n] = '\0';
	rc = ctrl_api_token_set(a, name, scope, secret, who);
	if (rc != CTRL_STORE_OK)
		OPENSSL_cleanse(secret, CTRL_TOKEN_LEN + 1);
	return rc;
}
