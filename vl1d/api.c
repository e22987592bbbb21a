/*
 * The node's local HTTP API (spec/service.md §6; issue 7 item 6): the
 * subset of ZeroTier One's routes that tools use, served by zt-vl1d with
 * libevent's evhttp on the primary port.  /status, /health, /config,
 * /peer, /moon and /metrics (Prometheus text) are answered here;
 * /controller and /unstable/controller are passed on to zt-controllerd
 * (api_forward); /network belongs to zt-vl2d (see api_network).  Every
 * request needs a loopback source (or one in
 * settings.allowManagementFrom) and the token of authtoken.secret (or
 * --api-token), which is made on first start if missing, mode 0640,
 * group zt; /metrics is allowed from any source, with that token or the
 * one of metricstoken.secret.  "settings": {"httpApi": false} in
 * local.conf turns the API off.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "file.h"
#include "hex.h"
#include "log.h"
#include "vl1d.h"

#define API_TOKEN_LEN		24	/* as ZeroTier One makes it */
#define API_TOKEN_MAX		128	/* longest token file accepted */
#define API_BODY_MAX		(16 * 1024)
#define API_HEADERS_MAX		(8 * 1024)
#define API_TIMEOUT_S		30
#define API_FWD_MAX		32	/* requests at zt-controllerd at once */
#define API_FWD_REPLY_MAX	(8 * 1024 * 1024) /* member lists are long */
#define API_FWD_TIMEOUT_S	10
#define API_FWD_BODY_MAX	(1024 * 1024)	/* zt-controllerd's cap */
#define API_NET_MAX		32	/* requests at zt-vl2d at once */
#define API_NET_TIMEOUT_S	5	/* zt-vl2d answers from memory */
#define API_NET_REQ_MAX		(32 * 1024)	/* VL2_API_REQ's cap */

struct vl1d_api {
	struct vl1d_ctx		*ctx;
	struct evhttp		*http;
	char			 token[API_TOKEN_MAX + 1];
	size_t			 token_len;
	/* metricstoken.secret: good for /metrics only (§6.2) */
	char			 mtoken[API_TOKEN_MAX + 1];
	size_t			 mtoken_len;
	json_t			*localconf;	/* the file as read, or {} */
	LIST_HEAD(, api_fwd)	 fwds;		/* requests at zt-controllerd */
	unsigned int		 nfwds;
	LIST_HEAD(, api_net)	 nets;		/* requests at zt-vl2d */
	unsigned int		 nnets;
	struct vl1d_tapd	*tapd;		/* made on first use */
};

/*
 * A /network request: at zt-tapd when it sets allow* fields, at zt-vl2d
 * (matched to its answer by IPC id), at zt-tapd again for the settings
 * shown in zt-vl2d's answer.
 */
enum api_net_stage {
	API_NET_TAPD_SET,
	API_NET_VL2D,
	API_NET_TAPD_GET,
};

struct api_net {
	LIST_ENTRY(api_net)	 entry;
	struct vl1d_api		*api;
	struct evhttp_request	*req;		/* the client's */
	struct event		*timer;
	enum evhttp_cmd_type	 method;
	enum api_net_stage	 stage;
	uint32_t		 id;
	char			*text;		/* for zt-vl2d, until sent */
	int			 status;	/* zt-vl2d's answer ... */
	json_t			*reply;		/* ... while zt-tapd is asked */
};

/*
 * A request passed on to zt-controllerd: the client's request stays
 * pending until the controller answers, fails or times out.
 */
struct api_fwd {
	LIST_ENTRY(api_fwd)	 entry;
	struct vl1d_api		*api;
	struct evhttp_request	*req;		/* the client's */
	struct bufferevent	*bev;		/* to zt-controllerd */
};

/* one parsed request, as the route handlers see it */
struct api_req {
	enum evhttp_cmd_type	 method;
	const char		*path;
	const uint8_t		*body;
	size_t			 len;
};

struct api_resp {
	int			 status;
	json_t			*json;		/* NULL: empty body ({}) */
	bool			 empty;		/* 404: no body at all */
};

static struct log_drops api_refused =
    LOG_DROPS_INIT("HTTP request without a valid token");
static struct log_drops api_foreign =
    LOG_DROPS_INIT("HTTP request from a non-management address");
static struct log_drops api_fwd_failed =
    LOG_DROPS_INIT("controller request not answered by zt-controllerd");
static struct log_drops api_net_failed =
    LOG_DROPS_INIT("network request not answered by zt-vl2d");
static struct log_drops api_tapd_failed =
    LOG_DROPS_INIT("network settings not answered by zt-tapd");

/* spec/service.md §6.1: errors carry their status and a description */
static void
api_error(struct api_resp *r, int status, const char *what)
{
	r->status = status;
	r->json = json_pack("{s:i, s:s}", "error", status, "description",
	    what);
}

static void
api_ok(struct api_resp *r, json_t *j)
{
	r->status = 200;
	r->json = j;
}

/* ZeroTier One's version, which is what this node speaks and tools read */
static void
api_version(json_t *o)
{
	char v[32];

	snprintf(v, sizeof(v), "%d.%d.%d", VL1_VERSION_MAJOR,
	    VL1_VERSION_MINOR, VL1_VERSION_REV);
	json_object_set_new(o, "version", json_string(v));
	json_object_set_new(o, "versionMajor", json_integer(
	    VL1_VERSION_MAJOR));
	json_object_set_new(o, "versionMinor", json_integer(
	    VL1_VERSION_MINOR));
	json_object_set_new(o, "versionRev", json_integer(VL1_VERSION_REV));
	json_object_set_new(o, "versionBuild", json_integer(0));
}

/* §6.4: local.conf with the effective settings written over it */
static json_t *
api_config(struct vl1d_api *api)
{
	struct vl1d_ctx *ctx = api->ctx;
	json_t *c = json_deep_copy(api->localconf), *s, *on;
	char buf[INETADDR_STRLEN];
	unsigned int i, sec = 0;

	if (c == NULL)
		return NULL;
	if ((s = json_object_get(c, "settings")) == NULL ||
	    !json_is_object(s)) {
		s = json_object();
		json_object_set_new(c, "settings", s);
	}
	on = json_array();
	for (i = 0; i < ctx->nsocks; i++) {
		json_array_append_new(on, json_string(inetaddr_fmt(
		    &ctx->socks[i].bound, buf)));
		if (ctx->socks[i].bound.port != ctx->cfg.port)
			sec = ctx->socks[i].bound.port;
	}
	json_object_set_new(s, "listeningOn", on);
	json_object_set_new(s, "surfaceAddresses", json_array());
	json_object_set_new(s, "primaryPort", json_integer(ctx->cfg.port));
	json_object_set_new(s, "secondaryPort", json_integer(sec));
	json_object_set_new(s, "tertiaryPort", json_integer(0));
	json_object_set_new(s, "allowTcpFallbackRelay", json_false());
	json_object_set_new(s, "forceTcpRelay", json_false());
	json_object_set_new(s, "portMappingEnabled", json_false());
	json_object_set_new(s, "softwareUpdate", json_string("disable"));
	json_object_set_new(s, "softwareUpdateChannel",
	    json_string("release"));
	json_object_set_new(s, "homeDir", json_string(ctx->cfg.home));
	return c;
}

static void
api_status(struct vl1d_api *api, struct api_resp *r)
{
	struct vl1d_ctx *ctx = api->ctx;
	char a[11], pub[IDENTITY_STRING_MAX];
	int64_t now = vl1d_now(ctx);
	json_t *o;

	identity_to_string(&ctx->id, false, pub, sizeof(pub));
	o = json_pack("{s:s, s:I, s:o*, s:b, s:I, s:I, s:s, s:b}",
	    "address", zt_address_fmt(ctx->id.address, a),
	    "clock", (json_int_t)now,
	    "config", api_config(api),
	    "online", ctx->node->am_upstream ||
	    vl1_node_online(ctx->node, now),
	    "planetWorldId", (json_int_t)ctx->node->planet.id,
	    "planetWorldTimestamp", (json_int_t)ctx->node->planet.timestamp,
	    "publicIdentity", pub,
	    "tcpFallbackActive", 0);
	if (o != NULL)
		api_version(o);
	api_ok(r, o);
}

static void
api_health(struct vl1d_api *api, struct api_resp *r)
{
	struct vl1d_ctx *ctx = api->ctx;
	int64_t now = vl1d_now(ctx);
	json_t *o;

	o = json_pack("{s:I, s:b}", "clock", (json_int_t)now, "online",
	    ctx->node->am_upstream || vl1_node_online(ctx->node, now));
	if (o != NULL)
		api_version(o);
	api_ok(r, o);
}

/* "<10 hex>" (or 16 for a moon id) after a route's prefix */
static int
api_hex_arg(const char *s, bool moon, uint64_t *out)
{
	size_t n = strlen(s);

	if (n != 10 && !(moon && n == 16))
		return -1;
	return hex_parse_u64(s, n, out);
}

static void
api_peer(struct vl1d_api *api, const struct api_req *q, const char *arg,
    struct api_resp *r)
{
	struct vl1_peer *p;
	uint64_t a;

	if (q->method != EVHTTP_REQ_GET)
		return api_error(r, 405, "GET only");
	if (arg == NULL)
		return api_ok(r, vl1d_json_peers(api->ctx, true));
	if (api_hex_arg(arg, false, &a) == -1) {
		r->status = 404;
		r->empty = true;
		return;
	}
	/* ZeroTier One answers 200 {} for a peer it does not know */
	if ((p = vl1_peers_get(&api->ctx->node->peers, a)) == NULL)
		return api_ok(r, json_object());
	api_ok(r, vl1d_json_peer(api->ctx, p, true));
}

/* §6.3: a moon being fetched, as 1.14.1 shows one */
static json_t *
api_moon_waiting(uint64_t id)
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)id);
	return json_pack("{s:s, s:[], s:n, s:i, s:n, s:b}", "id", hex,
	    "roots", "signature", "timestamp", 0, "updatesMustBeSignedBy",
	    "waiting", 1);
}

static json_t *
api_moons(struct vl1d_api *api)
{
	struct vl1_node *n = api->ctx->node;
	json_t *arr = json_array();
	unsigned int i;

	for (i = 0; i < n->nmoons; i++)
		json_array_append_new(arr, vl1d_json_moon(&n->moons[i]));
	for (i = 0; i < n->nwanted; i++)
		json_array_append_new(arr, api_moon_waiting(n->wanted[i].id));
	return arr;
}

static json_t *
api_moon_get(struct vl1d_api *api, uint64_t id)
{
	struct vl1_node *n = api->ctx->node;
	unsigned int i;

	for (i = 0; i < n->nmoons; i++)
		if (n->moons[i].id == id)
			return vl1d_json_moon(&n->moons[i]);
	for (i = 0; i < n->nwanted; i++)
		if (n->wanted[i].id == id)
			return api_moon_waiting(id);
	return json_object();
}

/* body {"seed": "<hex address>"}; anything else is a 400 */
static int
api_seed(const struct api_req *q, uint64_t *seed)
{
	json_error_t je;
	json_t *b;
	const char *s;
	int rc = -1;

	*seed = 0;
	if (q->len == 0)
		return 0;
	if ((b = json_loadb((const char *)q->body, q->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(b))
		goto done;
	if ((s = json_string_value(json_object_get(b, "seed"))) == NULL) {
		rc = json_object_get(b, "seed") == NULL ? 0 : -1;
		goto done;
	}
	if (strlen(s) == 0 || strlen(s) > 10 ||
	    hex_parse_u64(s, strlen(s), seed) == -1 ||
	    (*seed != 0 && zt_address_reserved(*seed)))
		goto done;
	rc = 0;
done:
	json_decref(b);
	return rc;
}

static void
api_moon(struct vl1d_api *api, const struct api_req *q, const char *arg,
    struct api_resp *r)
{
	const struct world *held;
	uint64_t id, seed;

	if (arg == NULL) {
		if (q->method != EVHTTP_REQ_GET)
			return api_error(r, 405, "GET only");
		return api_ok(r, api_moons(api));
	}
	if (api_hex_arg(arg, true, &id) == -1 || id == 0) {
		r->status = 404;
		r->empty = true;
		return;
	}
	switch (q->method) {
	case EVHTTP_REQ_GET:
		return api_ok(r, api_moon_get(api, id));
	case EVHTTP_REQ_POST:
	case EVHTTP_REQ_PUT:
		if (api_seed(q, &seed) == -1)
			return api_error(r, 400, "body must be {\"seed\": "
			    "\"<hex address>\"}");
		if (vl1d_orbit(api->ctx, id, seed, &held) == -1)
			return api_error(r, 409, "too many moons");
		if (held != NULL)
			return api_ok(r, vl1d_json_moon(held));
		/* 1.14.1: no seed and not held, nothing is orbited */
		if (seed == 0)
			return api_ok(r, json_object());
		return api_ok(r, api_moon_waiting(id));
	case EVHTTP_REQ_DELETE:
		if (vl1d_deorbit(api->ctx, id) == -1)
			return api_error(r, 500, "cannot remove the moon file");
		return api_ok(r, json_pack("{s:b}", "result", 1));
	default:
		return api_error(r, 405, "GET, POST, PUT or DELETE");
	}
}

static const char	*api_reason(int);
static void		 api_send(struct evhttp_request *,
			    const struct api_resp *);

static void
api_net_free(struct api_net *n)
{
	LIST_REMOVE(n, entry);
	n->api->nnets--;
	vl1d_tapd_cancel(n->api->tapd, n);
	if (n->timer != NULL)
		event_free(n->timer);
	free(n->text);
	json_decref(n->reply);
	free(n);
}

static void
api_net_fail(struct api_net *n, int status, const char *what)
{
	struct api_resp r;

	memset(&r, 0, sizeof(r));
	api_error(&r, status, what);
	log_drop(n->stage == API_NET_VL2D ? &api_net_failed :
	    &api_tapd_failed, "%d %s", status, what);
	api_send(n->req, &r);
	json_decref(r.json);
	api_net_free(n);
}

static void
api_net_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct api_net *n = arg;

	(void)fd;
	(void)what;
	api_net_fail(n, 504, n->stage == API_NET_VL2D ? "zt-vl2d did not "
	    "answer in time" : "zt-tapd did not answer in time");
}

/*
 * The allow* fields of a POST body are zt-tapd's (DESIGN.md): taken out
 * of the body zt-vl2d gets and collected as IPC_TAPD_ALLOW_* bits.
 * ZeroTier One takes booleans (and 0 / 1); anything else is refused
 * before any part of the request has an effect.  -1 with the field's
 * name in *bad.
 */
static int
api_net_allow(json_t *body, uint8_t *mask, uint8_t *values,
    const char **bad)
{
	static const struct {
		const char	*name;
		uint8_t		 bit;
	} keys[] = {
		{ "allowManaged", IPC_TAPD_ALLOW_MANAGED },
		{ "allowGlobal", IPC_TAPD_ALLOW_GLOBAL },
		{ "allowDefault", IPC_TAPD_ALLOW_DEFAULT },
		{ "allowDNS", IPC_TAPD_ALLOW_DNS },
	};
	json_t *v;
	size_t i;
	bool on;

	*mask = *values = 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = json_object_get(body, keys[i].name)) == NULL)
			continue;
		if (json_is_boolean(v))
			on = json_is_true(v);
		else if (json_is_integer(v) && (json_integer_value(v) == 0 ||
		    json_integer_value(v) == 1))
			on = json_integer_value(v) == 1;
		else {
			*bad = keys[i].name;
			return -1;
		}
		*mask |= keys[i].bit;
		if (on)
			*values |= keys[i].bit;
		json_object_del(body, keys[i].name);
	}
	return 0;
}

/* zt-tapd's values written over one network object */
static void
api_net_merge_one(json_t *o, const struct vl1d_tapd_setting *s, size_t n)
{
	const char *id;
	uint64_t nwid;
	size_t i;

	if (!json_is_object(o) || (id = json_string_value(json_object_get(o,
	    "id"))) == NULL || strlen(id) != 16 ||
	    hex_parse_u64(id, 16, &nwid) == -1)
		return;
	for (i = 0; i < n && s[i].nwid != nwid; i++)
		;
	if (i == n)
		return;
	json_object_set_new(o, "allowManaged", json_boolean(s[i].values &
	    IPC_TAPD_ALLOW_MANAGED));
	json_object_set_new(o, "allowGlobal", json_boolean(s[i].values &
	    IPC_TAPD_ALLOW_GLOBAL));
	json_object_set_new(o, "allowDefault", json_boolean(s[i].values &
	    IPC_TAPD_ALLOW_DEFAULT));
	json_object_set_new(o, "allowDNS", json_boolean(s[i].values &
	    IPC_TAPD_ALLOW_DNS));
}

/* zt-vl2d's answer, with zt-tapd's values when they came */
static void
api_net_finish(struct api_net *n, const struct vl1d_tapd_setting *s,
    size_t ns)
{
	struct api_resp r;
	json_t *o;
	size_t i;

	if (s != NULL) {
		if (json_is_array(n->reply))
			json_array_foreach(n->reply, i, o)
				api_net_merge_one(o, s, ns);
		else
			api_net_merge_one(n->reply, s, ns);
	}
	memset(&r, 0, sizeof(r));
	r.status = n->status;
	r.json = n->reply;
	api_send(n->req, &r);
	api_net_free(n);
}

static void
api_net_tapd_got(void *arg, int err, const char *why,
    const struct vl1d_tapd_setting *s, size_t ns)
{
	struct api_net *n = arg;

	/* without zt-tapd's answer zt-vl2d's object is shown as it is */
	if (err != 0) {
		log_drop(&api_tapd_failed, "shown as zt-vl2d has them: %s",
		    why);
		s = NULL;
	}
	api_net_finish(n, s, ns);
}

/*
 * zt-vl2d answered 200 with a network object or a list: zt-tapd is asked
 * for their settings.  0 when that is under way, -1 when the answer is
 * to go out as zt-vl2d gave it.
 */
static int
api_net_ask_tapd(struct api_net *n, int status, const uint8_t *text,
    size_t len)
{
	uint64_t nwids[IPC_TAPD_SETTINGS_MAX];
	const char *id;
	json_error_t je;
	json_t *j, *o;
	size_t i, k = 0;

	if (status != 200 || len == 0 || (j = json_loadb((const char *)text,
	    len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return -1;
	if (json_is_object(j)) {
		if ((id = json_string_value(json_object_get(j, "id"))) !=
		    NULL && strlen(id) == 16 && hex_parse_u64(id, 16,
		    &nwids[0]) == 0)
			k = 1;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, o) {
			if (k == IPC_TAPD_SETTINGS_MAX)
				break;
			if ((id = json_string_value(json_object_get(o,
			    "id"))) != NULL && strlen(id) == 16 &&
			    hex_parse_u64(id, 16, &nwids[k]) == 0)
				k++;
		}
	}
	if (k == 0 || vl1d_tapd_get(n->api->ctx, &n->api->tapd, nwids, k,
	    api_net_tapd_got, n) == -1) {
		json_decref(j);
		return -1;
	}
	n->stage = API_NET_TAPD_GET;
	n->status = status;
	n->reply = j;
	return 0;
}

/* the request goes on to zt-vl2d; -1 when it cannot (answered) */
static int
api_net_to_vl2d(struct api_net *n)
{
	struct vl1d_ctx *ctx = n->api->ctx;
	int rc;

	n->stage = API_NET_VL2D;
	if (ctx->vl2d == NULL) {
		api_net_fail(n, 503, "zt-vl2d is not connected: networks "
		    "are not available");
		return -1;
	}
	n->id = ipc_conn_next_id(ctx->vl2d);
	rc = ipc_send(ctx->vl2d, IPC_MSG_VL2_API_REQ, n->id, n->text,
	    strlen(n->text));
	free(n->text);
	n->text = NULL;
	if (rc == -1) {
		api_net_fail(n, 503, "zt-vl2d is busy");
		return -1;
	}
	return 0;
}

static void
api_net_tapd_set(void *arg, int err, const char *why,
    const struct vl1d_tapd_setting *s, size_t ns)
{
	struct api_net *n = arg;
	char msg[320];

	(void)s;
	(void)ns;
	if (err == 0) {
		api_net_to_vl2d(n);
		return;
	}
	snprintf(msg, sizeof(msg), "zt-tapd: %s", why);
	/* a busy, restarting or missing zt-tapd is worth a retry */
	api_net_fail(n, err == EINVAL ? 400 : err == EHOSTUNREACH ||
	    err == ECONNRESET || err == EAGAIN ? 503 : 500, msg);
}

/*
 * /network and /network/<nwid> are zt-vl2d's: it holds the networks and
 * answers with the handlers zt-ctl's join, leave and listnetworks use.
 * The request goes over the IPC link as {method, nwid, body} and the
 * evhttp request stays pending until VL2_API_REPLY with the same id
 * comes back (vl1d_api_net_reply), the timer fires or the link drops.
 * allowManaged, allowGlobal, allowDefault and allowDNS are zt-tapd's
 * (tapconn.c): a POST that has them sets them there first, and every
 * network object zt-vl2d answers with gets zt-tapd's values.
 */
static void
api_network(struct vl1d_api *api, struct evhttp_request *req,
    const struct api_req *q, struct api_resp *r)
{
	struct timeval tv = { API_NET_TIMEOUT_S, 0 };
	const char *method, *nwid = NULL, *bad = NULL;
	uint8_t mask = 0, values = 0;
	struct api_net *n;
	json_error_t je;
	json_t *body, *o;
	uint64_t id = 0;
	char *text, msg[96];

	if (q->path[8] == '/') {
		nwid = q->path + 9;
		if (*nwid == '\0' || strchr(nwid, '/') != NULL) {
			r->status = 404;
			r->empty = true;
			return;
		}
	}
	switch (q->method) {
	case EVHTTP_REQ_GET: method = "GET"; break;
	case EVHTTP_REQ_POST:
	case EVHTTP_REQ_PUT: method = "POST"; break;
	case EVHTTP_REQ_DELETE: method = "DELETE"; break;
	default: return api_error(r, 405, "GET, POST or DELETE");
	}
	if (nwid == NULL && q->method != EVHTTP_REQ_GET)
		return api_error(r, 405, "GET only");
	if (api->ctx->vl2d == NULL)
		return api_error(r, 503, "zt-vl2d is not connected: networks "
		    "are not available");
	if (api->nnets >= API_NET_MAX)
		return api_error(r, 503, "too many network requests at once");
	/* ZeroTier One takes an empty body as no settings */
	if (q->len == 0)
		body = json_object();
	else if ((body = json_loadb((const char *)q->body, q->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(body)) {
		json_decref(body);
		return api_error(r, 400, "the body is not a JSON object");
	}
	if (strcmp(method, "POST") == 0) {
		if (api_net_allow(body, &mask, &values, &bad) == -1) {
			json_decref(body);
			snprintf(msg, sizeof(msg), "%s must be true or false",
			    bad);
			return api_error(r, 400, msg);
		}
		if (mask != 0 && (strlen(nwid) != 16 ||
		    hex_parse_u64(nwid, 16, &id) == -1 || id == 0)) {
			json_decref(body);
			return api_error(r, 400, "invalid network id");
		}
	}
	o = json_pack("{s:s, s:s?, s:o}", "method", method, "nwid", nwid,
	    "body", body);
	if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		return api_error(r, 500, "out of memory");
	}
	json_decref(o);
	if (strlen(text) > API_NET_REQ_MAX) {
		free(text);
		return api_error(r, 413, "body too large");
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		free(text);
		return api_error(r, 500, "out of memory");
	}
	n->api = api;
	n->req = req;
	n->text = text;
	n->method = q->method;
	n->stage = API_NET_TAPD_SET;
	LIST_INSERT_HEAD(&api->nets, n, entry);
	api->nnets++;
	if ((n->timer = evtimer_new(api->ctx->base, api_net_timeout, n)) ==
	    NULL || evtimer_add(n->timer, &tv) == -1) {
		api_net_free(n);
		return api_error(r, 500, "cannot start a timer");
	}
	r->status = 0;		/* pending: answered by a callback */
	if (mask == 0) {
		api_net_to_vl2d(n);
		return;
	}
	/* the settings first: a refusal then leaves nothing joined */
	if (vl1d_tapd_set(api->ctx, &api->tapd, id, mask, values,
	    api_net_tapd_set, n) == -1) {
		log_drop(&api_tapd_failed, "%s", strerror(errno));
		api_net_free(n);
		api_error(r, 503, "zt-tapd is not reachable: allowManaged, "
		    "allowGlobal, allowDefault and allowDNS cannot be set");
	}
}

void
vl1d_api_net_reply(struct vl1d_ctx *ctx, uint32_t id, int status,
    const uint8_t *text, size_t len)
{
	struct vl1d_api *api = ctx->api;
	struct evbuffer *b;
	struct api_net *n;

	if (api == NULL)
		return;
	LIST_FOREACH(n, &api->nets, entry)
		if (n->stage == API_NET_VL2D && n->id == id)
			break;
	if (n == NULL) {
		/* timed out already: the client has had its 504 */
		log_drop(&api_net_failed, "late answer %u", (unsigned int)id);
		return;
	}
	if (status < 200 || status > 599)
		return api_net_fail(n, 502, "zt-vl2d's answer has no status");
	if (n->method != EVHTTP_REQ_DELETE &&
	    api_net_ask_tapd(n, status, text, len) == 0)
		return;
	if ((b = evbuffer_new()) == NULL)
		return api_net_fail(n, 500, "out of memory");
	if (len > 0) {
		evhttp_add_header(evhttp_request_get_output_headers(n->req),
		    "Content-Type", "application/json");
		evbuffer_add(b, text, len);
	}
	evhttp_add_header(evhttp_request_get_output_headers(n->req),
	    "Cache-Control", "no-store");
	evhttp_send_reply(n->req, status, api_reason(status), b);
	evbuffer_free(b);
	api_net_free(n);
}

/*
 * The link to zt-vl2d is gone: what it had will not be answered.  A
 * request at zt-tapd finds the link gone when its turn comes.
 */
void
vl1d_api_net_down(struct vl1d_ctx *ctx)
{
	struct api_net *n, *next;

	if (ctx->api == NULL)
		return;
	for (n = LIST_FIRST(&ctx->api->nets); n != NULL; n = next) {
		next = LIST_NEXT(n, entry);
		if (n->stage == API_NET_VL2D)
			api_net_fail(n, 503, "zt-vl2d disconnected");
	}
}

static void
api_route(struct vl1d_api *api, struct evhttp_request *req,
    const struct api_req *q, struct api_resp *r)
{
	static const struct {
		const char	*name;
		void		(*fn)(struct vl1d_api *, const struct api_req *,
				    const char *, struct api_resp *);
	} sub[] = {
		{ "peer", api_peer },
		{ "moon", api_moon },
	};
	const char *p = q->path, *slash, *arg;
	size_t i, n;

	if (strcmp(p, "/status") == 0 || strcmp(p, "/health") == 0 ||
	    strcmp(p, "/config") == 0) {
		if (q->method != EVHTTP_REQ_GET)
			return api_error(r, 405, "GET only");
		if (p[1] == 's')
			return api_status(api, r);
		if (p[1] == 'h')
			return api_health(api, r);
		return api_ok(r, json_deep_copy(api->localconf));
	}
	if (strcmp(p, "/network") == 0 || strncmp(p, "/network/", 9) == 0)
		return api_network(api, req, q, r);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		n = strlen(sub[i].name);
		if (p[0] != '/' || strncmp(p + 1, sub[i].name, n) != 0)
			continue;
		if (p[1 + n] == '\0')
			arg = NULL;
		else if (p[1 + n] == '/' && p[2 + n] != '\0')
			arg = p + 2 + n;
		else
			continue;
		if (arg != NULL && (slash = strchr(arg, '/')) != NULL)
			break;
		return sub[i].fn(api, q, arg, r);
	}
	/* §6.1: a path that matches no route is 404 with no body */
	r->status = 404;
	r->empty = true;
}

static const char *
api_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

static void
api_send(struct evhttp_request *req, const struct api_resp *r)
{
	struct evbuffer *b = evbuffer_new();
	char *text = NULL;

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (!r->empty) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/json");
		if (r->json != NULL && (text = json_dumps(r->json,
		    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)) != NULL)
			evbuffer_add(b, text, strlen(text));
		else
			evbuffer_add(b, "{}", 2);
		free(text);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evhttp_send_reply(req, r->status, api_reason(r->status), b);
	evbuffer_free(b);
}

/* §6.2: loopback, or a network of settings.allowManagementFrom */
static bool
api_source_ok(struct vl1d_api *api, struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const struct sockaddr *sa;
	const struct localconf *lc = &api->ctx->local;
	struct inetaddr a;
	unsigned int i;

	if (c == NULL || (sa = evhttp_connection_get_addr(c)) == NULL ||
	    inetaddr_from_sockaddr(&a, sa, sa->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == -1)
		return false;
	if (inetaddr_scope(&a) == INETADDR_SCOPE_LOOPBACK)
		return true;
	for (i = 0; i < lc->nmgmt; i++)
		if (lc->mgmt[i].family == a.family &&
		    inetaddr_contains(&lc->mgmt[i], &a))
			return true;
	return false;
}

/*
 * §6.2: the first of X-ZT1-Auth and "Authorization: Bearer" counts; for
 * /metrics the metrics token is as good as the API token.
 */
static bool
api_token_ok(struct vl1d_api *api, struct evhttp_request *req, bool metrics)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *v;

	if ((v = evhttp_find_header(h, "X-ZT1-Auth")) == NULL) {
		if ((v = evhttp_find_header(h, "Authorization")) == NULL ||
		    strncasecmp(v, "bearer ", 7) != 0)
			return false;
		v += 7;
	}
	if (metrics && api->mtoken_len > 0 && strlen(v) == api->mtoken_len &&
	    CRYPTO_memcmp(v, api->mtoken, api->mtoken_len) == 0)
		return true;
	return strlen(v) == api->token_len &&
	    CRYPTO_memcmp(v, api->token, api->token_len) == 0;
}

/* a token or a callback in a URL ends up in logs and histories */
static bool
api_query_ok(const char *query)
{
	struct evkeyvalq q;
	bool ok;

	if (query == NULL)
		return true;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) == -1)
		return false;
	ok = evhttp_find_header(&q, "auth") == NULL &&
	    evhttp_find_header(&q, "jsonp") == NULL;
	evhttp_clear_headers(&q);
	return ok;
}

/*
 * ZeroTier One serves its controller's routes on the node's port, and
 * UIs (ztncui, zero-ui, ztnet) know one address and one token.  Here the
 * controller is another process: its routes are passed on as they came,
 * auth header included, and zt-controllerd checks the token (the node's
 * token is one of its admin tokens).  The way there is zt-controllerd's
 * HTTP socket in the run directory, not its TCP port: this process may
 * then create AF_UNIX sockets only (a TCP client would need AF_INET,
 * and seccomp cannot hold connect() to loopback).  libevent 2.1's HTTP
 * client speaks TCP only, hence the small client below: one request per
 * connection ("Connection: close"), the answer read to EOF.
 */
static bool
api_is_controller(const char *path)
{
	if (strncmp(path, "/unstable", 9) == 0)
		path += 9;
	return strncmp(path, "/controller", 11) == 0 &&
	    (path[11] == '\0' || path[11] == '/');
}

static void
api_fwd_free(struct api_fwd *f)
{
	LIST_REMOVE(f, entry);
	f->api->nfwds--;
	if (f->bev != NULL)
		bufferevent_free(f->bev);
	free(f);
}

static void
api_fwd_fail(struct api_fwd *f, int status, const char *what)
{
	struct api_resp r;

	memset(&r, 0, sizeof(r));
	api_error(&r, status, what);
	log_drop(&api_fwd_failed, "%d %s", status, what);
	api_send(f->req, &r);
	json_decref(r.json);
	api_fwd_free(f);
}

/*
 * The whole answer is in: "HTTP/1.x NNN reason", headers, a blank line,
 * the body (Content-Length of it when given, else all that is left).
 */
static void
api_fwd_answer(struct api_fwd *f)
{
	struct evbuffer *in = bufferevent_get_input(f->bev), *b;
	char *line, *v, ctype[128] = "";
	size_t n, clen = SIZE_MAX;
	unsigned long ul;
	int code;

	if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL ||
	    n < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ' ||
	    sscanf(line + 9, "%3d", &code) != 1 || code < 100 || code > 599) {
		free(line);
		return api_fwd_fail(f, 502, "zt-controllerd's answer is not "
		    "HTTP");
	}
	free(line);
	for (;;) {
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) ==
		    NULL)
			return api_fwd_fail(f, 502, "zt-controllerd's answer "
			    "is cut short");
		if (n == 0)
			break;
		if ((v = strchr(line, ':')) != NULL) {
			*v++ = '\0';
			v += strspn(v, " \t");
			if (strcasecmp(line, "Content-Type") == 0)
				snprintf(ctype, sizeof(ctype), "%s", v);
			else if (strcasecmp(line, "Content-Length") == 0) {
				errno = 0;
				ul = strtoul(v, NULL, 10);
				clen = errno == 0 ? (size_t)ul : 0;
			}
		}
		free(line);
	}
	free(line);
	if (clen != SIZE_MAX) {
		if (evbuffer_get_length(in) < clen)
			return api_fwd_fail(f, 502, "zt-controllerd's answer "
			    "is cut short");
		if ((b = evbuffer_new()) == NULL)
			return api_fwd_fail(f, 500, "out of memory");
		evbuffer_remove_buffer(in, b, clen);
	} else if ((b = evbuffer_new()) == NULL)
		return api_fwd_fail(f, 500, "out of memory");
	else
		evbuffer_add_buffer(b, in);
	if (ctype[0] != '\0')
		evhttp_add_header(evhttp_request_get_output_headers(f->req),
		    "Content-Type", ctype);
	evhttp_add_header(evhttp_request_get_output_headers(f->req),
	    "Cache-Control", "no-store");
	evhttp_send_reply(f->req, code, api_reason(code), b);
	evbuffer_free(b);
	api_fwd_free(f);
}

static void
api_fwd_read(struct bufferevent *bev, void *arg)
{
	struct api_fwd *f = arg;

	if (evbuffer_get_length(bufferevent_get_input(bev)) >
	    API_FWD_REPLY_MAX)
		api_fwd_fail(f, 502, "zt-controllerd's answer is too large");
}

static void
api_fwd_event(struct bufferevent *bev, short what, void *arg)
{
	struct api_fwd *f = arg;

	if (what & BEV_EVENT_TIMEOUT)
		return api_fwd_fail(f, 504, "zt-controllerd did not answer "
		    "in time");
	if (what & BEV_EVENT_EOF) {
		/* the last bytes may come with the EOF */
		if (evbuffer_get_length(bufferevent_get_input(bev)) >
		    API_FWD_REPLY_MAX)
			return api_fwd_fail(f, 502, "zt-controllerd's answer "
			    "is too large");
		return api_fwd_answer(f);
	}
	if (what & BEV_EVENT_ERROR)
		return api_fwd_fail(f, 502, "zt-controllerd is not "
		    "reachable");
}

static int
api_fwd_connect(struct vl1d_api *api)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
	    api->ctx->cfg.rundir, VL1D_CTRL_HTTP_SOCK) >=
	    (int)sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* a local stream connect completes at once or fails at once */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
api_forward(struct vl1d_api *api, struct evhttp_request *req,
    const struct api_req *q, struct api_resp *r)
{
	static const char *const pass[] = { "X-ZT1-Auth", "Authorization",
	    "Content-Type" };
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query, *method, *v;
	struct timeval tv = { API_FWD_TIMEOUT_S, 0 };
	struct evbuffer *out;
	struct api_fwd *f;
	size_t i;
	bool busy;
	int fd, rc;

	if (q->len > API_FWD_BODY_MAX)
		return api_error(r, 413, "body too large");
	if (api->nfwds >= API_FWD_MAX)
		return api_error(r, 503, "too many controller requests at "
		    "once");
	switch (q->method) {
	case EVHTTP_REQ_GET: method = "GET"; break;
	case EVHTTP_REQ_POST: method = "POST"; break;
	case EVHTTP_REQ_PUT: method = "PUT"; break;
	case EVHTTP_REQ_DELETE: method = "DELETE"; break;
	default: return api_error(r, 405, "GET, POST, PUT or DELETE");
	}
	/* header values must not end a line early */
	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		if ((v = evhttp_find_header(in, pass[i])) != NULL &&
		    strpbrk(v, "\r\n") != NULL)
			return api_error(r, 400, "bad header");
	if ((fd = api_fwd_connect(api)) == -1) {
		busy = errno == EAGAIN;
		log_drop(&api_fwd_failed, "connect: %s", strerror(errno));
		/* a full listen queue: it is there, but behind */
		if (busy)
			return api_error(r, 503, "zt-controllerd is busy");
		return api_error(r, 502, "zt-controllerd is not reachable");
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		close(fd);
		return api_error(r, 500, "out of memory");
	}
	f->api = api;
	f->req = req;
	LIST_INSERT_HEAD(&api->fwds, f, entry);
	api->nfwds++;
	if ((f->bev = bufferevent_socket_new(api->ctx->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		api_fwd_free(f);
		return api_error(r, 500, "out of memory");
	}
	query = evhttp_uri_get_query(uri);
	out = bufferevent_get_output(f->bev);
	/* the path is evhttp's parse of what the client sent: no CR/LF */
	rc = evbuffer_add_printf(out, "%s %s%s%s HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n", method, q->path,
	    query != NULL ? "?" : "", query != NULL ? query : "", q->len);
	for (i = 0; i < sizeof(pass) / sizeof(pass[0]) && rc != -1; i++)
		if ((v = evhttp_find_header(in, pass[i])) != NULL)
			rc = evbuffer_add_printf(out, "%s: %s\r\n", pass[i],
			    v);
	if (rc == -1 || evbuffer_add(out, "\r\n", 2) == -1 ||
	    evbuffer_add(out, q->body, q->len) == -1) {
		api_fwd_free(f);
		return api_error(r, 500, "out of memory");
	}
	bufferevent_setcb(f->bev, api_fwd_read, NULL, api_fwd_event, f);
	bufferevent_set_timeouts(f->bev, &tv, &tv);
	if (bufferevent_enable(f->bev, EV_READ | EV_WRITE) == -1) {
		api_fwd_free(f);
		return api_error(r, 500, "cannot watch the socket");
	}
	r->status = 0;		/* pending: api_fwd_answer replies */
}

static bool
api_is_metrics(const struct evhttp_uri *uri)
{
	const char *p;

	return uri != NULL && (p = evhttp_uri_get_path(uri)) != NULL &&
	    strcmp(p, "/metrics") == 0;
}

static void
api_prom_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

struct api_prom_walk {
	struct evbuffer	*b;
	int64_t		 now;
};

/* zt_peer_path_count{node_id,status} as 1.14.1 labels it */
static void
api_prom_peer(struct vl1_peer *p, void *arg)
{
	struct api_prom_walk *w = arg;
	unsigned int i, alive = 0, dead = 0;
	char a[11];

	for (i = 0; i < VL1_MAX_PATHS; i++) {
		if (!p->paths[i].used)
			continue;
		if (vl1_path_alive(&p->paths[i], w->now))
			alive++;
		else
			dead++;
	}
	zt_address_fmt(p->id.address, a);
	evbuffer_add_printf(w->b, "zt_peer_path_count{node_id=\"%s\","
	    "status=\"alive\"} %u\n", a, alive);
	evbuffer_add_printf(w->b, "zt_peer_path_count{node_id=\"%s\","
	    "status=\"dead\"} %u\n", a, dead);
}

/*
 * GET /metrics (§6.3): ZeroTier One's Prometheus names and labels for
 * what zt-vl1d counts.  1.14.1 serves metrics.prom, rewritten every
 * 5 s; the text is made here from the live counters instead, so there
 * is no file to write.  zt-vl2d's and zt-controllerd's counters are
 * not in it (zt-ctl info -j shows them).  0, or -1 out of memory.
 */
static int
api_metrics(struct vl1d_api *api, struct evhttp_request *req)
{
	static const char *const dir[2] = { "rx", "tx" };
	const struct vl1_stats *st = &api->ctx->node->st;
	struct api_prom_walk w;
	const char *name;
	unsigned int d, i;

	if ((w.b = evbuffer_new()) == NULL)
		return -1;
	w.now = vl1d_now(api->ctx);
	api_prom_family(w.b, "zt_packet", "counter",
	    "incoming packet type counts");
	for (d = 0; d < 2; d++)
		for (i = 0; i < VL1_VERB_SLOTS; i++)
			if ((name = vl1_verb_metric(i)) != NULL)
				evbuffer_add_printf(w.b, "zt_packet{direction="
				    "\"%s\",packet_type=\"%s\"} %llu\n", dir[d],
				    name, (unsigned long long)st->verbs[d][i]);
	api_prom_family(w.b, "zt_packet_error", "counter",
	    "incoming packet errors");
	for (d = 0; d < 2; d++)
		for (i = 0; i < VL1_ERROR_SLOTS; i++)
			if ((name = vl1_error_metric(i)) != NULL)
				evbuffer_add_printf(w.b, "zt_packet_error{"
				    "direction=\"%s\",error_type=\"%s\"} "
				    "%llu\n", dir[d], name,
				    (unsigned long long)st->errors[d][i]);
	api_prom_family(w.b, "zt_data", "counter",
	    "number of bytes ZeroTier has transmitted or received");
	evbuffer_add_printf(w.b, "zt_data{direction=\"rx\",protocol=\"udp\"} "
	    "%llu\nzt_data{direction=\"tx\",protocol=\"udp\"} %llu\n",
	    (unsigned long long)st->rx_bytes,
	    (unsigned long long)st->tx_bytes);
	api_prom_family(w.b, "zt_peer_path_count", "gauge",
	    "number of paths to peer");
	vl1_peers_foreach(&api->ctx->node->peers, api_prom_peer, &w);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evhttp_send_reply(req, 200, api_reason(200), w.b);
	evbuffer_free(w.b);
	return 0;
}

static void
api_request(struct evhttp_request *req, void *arg)
{
	struct vl1d_api *api = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct api_resp r;
	struct api_req q;

	memset(&r, 0, sizeof(r));
	memset(&q, 0, sizeof(q));
	q.method = evhttp_request_get_command(req);
	if (q.method != EVHTTP_REQ_GET && q.method != EVHTTP_REQ_POST &&
	    q.method != EVHTTP_REQ_PUT && q.method != EVHTTP_REQ_DELETE) {
		api_error(&r, 405, "GET, POST, PUT or DELETE");
		goto send;
	}
	/* §6.2: /metrics is for scrapers anywhere, with a token */
	if (!api_source_ok(api, req) && !api_is_metrics(uri)) {
		log_drop(&api_foreign, "refused");
		api_error(&r, 403, "not a management address");
		goto send;
	}
	if (uri == NULL || (q.path = evhttp_uri_get_path(uri)) == NULL ||
	    q.path[0] != '/') {
		api_error(&r, 400, "bad URI");
		goto send;
	}
	if (!api_query_ok(evhttp_uri_get_query(uri))) {
		api_error(&r, 400, "tokens and JSONP are not accepted in URLs: "
		    "use the X-ZT1-Auth header");
		goto send;
	}
	if (api_is_controller(q.path)) {
		q.len = evbuffer_get_length(in);
		q.body = q.len > 0 ? evbuffer_pullup(in, -1) :
		    (const uint8_t *)"";
		if (q.body == NULL) {
			api_error(&r, 500, "out of memory");
			goto send;
		}
		api_forward(api, req, &q, &r);
		if (r.status == 0)
			return;
		goto send;
	}
	if (!api_token_ok(api, req, api_is_metrics(uri))) {
		log_drop(&api_refused, "%s", q.path);
		/* as 1.14.1: 401 with an empty object */
		r.status = 401;
		goto send;
	}
	if (api_is_metrics(uri)) {
		if (q.method != EVHTTP_REQ_GET) {
			api_error(&r, 405, "GET only");
			goto send;
		}
		if (api_metrics(api, req) == 0)
			return;
		api_error(&r, 500, "out of memory");
		goto send;
	}
	if ((q.len = evbuffer_get_length(in)) > API_BODY_MAX) {
		api_error(&r, 413, "body too large");
		goto send;
	}
	q.body = q.len > 0 ? evbuffer_pullup(in, -1) : (const uint8_t *)"";
	if (q.body == NULL) {
		api_error(&r, 500, "out of memory");
		goto send;
	}
	api_route(api, req, &q, &r);
	if (r.status == 0)		/* pending at zt-vl2d */
		return;
	if (r.status == 200 && r.json == NULL)
		api_error(&r, 500, "out of memory");
	/* orbit may have queued HELLOs to a seed */
	vl1d_udp_flush(api->ctx);
send:
	api_send(req, &r);
	json_decref(r.json);
}

/* 24 characters of [a-z0-9], uniformly drawn */
static int
api_token_make(char *tok)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t b;
	size_t n = 0;

	while (n < API_TOKEN_LEN) {
		if (RAND_bytes(&b, 1) != 1)
			return -1;
		if (b >= 252)		/* 252 = 7 * 36: no modulo bias */
			continue;
		tok[n++] = set[b % 36];
	}
	tok[n] = '\0';
	return 0;
}

/*
 * authtoken.secret (and metricstoken.secret): read and trimmed as
 * ZeroTier One does; made on first start, mode 0640, in group (zt for
 * the API token, so that group zt's tools can read it) when one is
 * given.  tok holds API_TOKEN_MAX + 1 bytes.
 */
static int
api_token_load(char *tok, size_t *toklen, const char *path,
    const char *group)
{
	char *text, *s, *e;
	struct group *gr;
	size_t len;

	if (file_read(path, API_TOKEN_MAX, &text, &len) == 0) {
		s = text;
		e = text + len;
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' ||
		    *s == '\n'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r' || e[-1] == '\n'))
			e--;
		*toklen = (size_t)(e - s);
		if (*toklen > 0 && memchr(s, '\0', *toklen) == NULL)
			memcpy(tok, s, *toklen);
		else
			*toklen = 0;
		OPENSSL_cleanse(text, len);
		free(text);
		if (*toklen == 0) {
			log_warnx("%s: empty or not text", path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		log_warn("%s", path);
		return -1;
	}
	if (api_token_make(tok) == -1 ||
	    file_write_atomic(path, tok, API_TOKEN_LEN, 0640) == -1) {
		log_warn("%s", path);
		return -1;
	}
	*toklen = API_TOKEN_LEN;
	if (group != NULL && (gr = getgrnam(group)) != NULL &&
	    chown(path, (uid_t)-1, gr->gr_gid) == -1)
		log_warn("%s: group %s", path, group);
	log_info("new API token in %s", path);
	return 0;
}

static json_t *
api_localconf_json(const char *home)
{
	char path[PATH_MAX], *text;
	json_error_t je;
	json_t *j;
	size_t len;

	snprintf(path, sizeof(path), "%s/local.conf", home);
	if (file_read(path, LOCALCONF_MAX_BYTES, &text, &len) == -1)
		return json_object();
	/* already checked by localconf_load */
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return json_object();
	}
	return j;
}

/*
 * Binds addr:port; the API is off on that address when it cannot.  IPv6
 * loopback is a bonus (a host or namespace may have no IPv6).
 */
static int
api_bind(struct vl1d_api *api, const char *addr, uint16_t port)
{
	if (evhttp_bind_socket_with_handle(api->http, addr, port) == NULL) {
		if (strcmp(addr, "::1") == 0)
			log_debug("HTTP API: not on ::1 port %u: %s",
			    (unsigned int)port, strerror(errno));
		else
			log_warn("HTTP API: cannot listen on %s port %u",
			    addr, (unsigned int)port);
		return -1;
	}
	return 0;
}

int
vl1d_api_open(struct vl1d_ctx *ctx)
{
	char path[PATH_MAX];
	struct vl1d_api *api;
	int bound = 0;

	if (!ctx->local.http_api) {
		log_info("HTTP API off (local.conf settings.httpApi)");
		return 0;
	}
	if ((api = calloc(1, sizeof(*api))) == NULL)
		return -1;
	api->ctx = ctx;
	LIST_INIT(&api->fwds);
	LIST_INIT(&api->nets);
	if (ctx->cfg.api_token != NULL)
		snprintf(path, sizeof(path), "%s", ctx->cfg.api_token);
	else
		snprintf(path, sizeof(path), "%s/authtoken.secret",
		    ctx->cfg.home);
	if (api_token_load(api->token, &api->token_len, path,
	    ctx->cfg.ctl_group) == -1)
		goto fail;
	/*
	 * Without it /metrics takes the API token only (logged).  It stays
	 * in zt-vl1's group: a scraper's configuration is root's to write.
	 */
	snprintf(path, sizeof(path), "%s/metricstoken.secret", ctx->cfg.home);
	if (api_token_load(api->mtoken, &api->mtoken_len, path, NULL) == -1)
		api->mtoken_len = 0;
	if ((api->localconf = api_localconf_json(ctx->cfg.home)) == NULL ||
	    (api->http = evhttp_new(ctx->base)) == NULL)
		goto fail;
	/*
	 * evhttp's own refusals are HTML; bodies a little over the caps
	 * (zt-controllerd's is the larger) and every method reach
	 * api_request, which refuses them in JSON.  Larger bodies are cut
	 * by evhttp before they are buffered.
	 */
	evhttp_set_max_body_size(api->http, API_FWD_BODY_MAX + API_BODY_MAX);
	evhttp_set_max_headers_size(api->http, API_HEADERS_MAX);
	evhttp_set_timeout(api->http, API_TIMEOUT_S);
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(api->http, api_request, api);
	/* other sources only when local.conf names management networks */
	bound += api_bind(api, ctx->local.nmgmt > 0 ? "0.0.0.0" :
	    "127.0.0.1", ctx->cfg.port) == 0;
	bound += api_bind(api, "::1", ctx->cfg.port) == 0;
	if (bound == 0)
		goto fail;
	ctx->api = api;
	log_info("HTTP API on %s port %u", ctx->local.nmgmt > 0 ?
	    "all addresses" : "loopback", (unsigned int)ctx->cfg.port);
	return 0;
fail:
	vl1d_api_free(api);
	return -1;
}

void
vl1d_api_free(struct vl1d_api *api)
{
	struct api_fwd *f;
	struct api_net *n;
	struct api_resp r;

	if (api == NULL)
		return;
	/* requests still at zt-controllerd get their answer: stopping */
	while ((f = LIST_FIRST(&api->fwds)) != NULL) {
		memset(&r, 0, sizeof(r));
		api_error(&r, 503, "zt-vl1d is stopping");
		api_send(f->req, &r);
		json_decref(r.json);
		api_fwd_free(f);
	}
	while ((n = LIST_FIRST(&api->nets)) != NULL) {
		memset(&r, 0, sizeof(r));
		api_error(&r, 503, "zt-vl1d is stopping");
		api_send(n->req, &r);
		json_decref(r.json);
		api_net_free(n);
	}
	vl1d_tapd_free(api->tapd);
	if (api->http != NULL)
		evhttp_free(api->http);
	json_decref(api->localconf);
	OPENSSL_cleanse(api->token, sizeof(api->token));
	OPENSSL_cleanse(api->mtoken, sizeof(api->mtoken));
	free(api);
}
