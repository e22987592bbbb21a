/*
 * zt-vl1d's control socket: zt-vl2d and zt-controllerd exchange VL2
 * packets with the engine over it (batched both ways), zt-ctl asks
 * questions in JSON.  The IPC library has already checked each peer's
 * role against its uid and each frame against the catalogue.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hex.h"
#include "log.h"
#include "node_int.h"
#include "packet.h"
#include "peerev.h"
#include "reasm.h"
#include "vl1d.h"

#define VL1D_CTL_JSON_MAX	(64 * 1024)

static struct log_drops up_drops = LOG_DROPS_INIT("vl2 packet to deliver");

/*
 * Destination 0 is no node: zt-vl2d does not know the roots, so it
 * stands for "upstream" (ipc_catalogue.h).  A MULTICAST_LIKE goes to
 * every root of the planet and the moons, as 1.14.1 announces groups
 * to all upstreams; anything else (a GATHER) to the best root only.
 */
static void
vl1d_send_upstream(struct vl1d_ctx *ctx, uint8_t verb,
    const uint8_t *payload, size_t plen)
{
	struct vl1_node *n = ctx->node;
	const struct world *w;
	struct vl1_peer *up;
	uint64_t a;
	unsigned int i, k;
	int64_t now = vl1d_now(ctx);

	if (verb != VL1_VERB_MULTICAST_LIKE) {
		if ((up = vl1_best_upstream(n, now)) != NULL)
			vl1_node_send(n, up->id.address, verb, payload, plen,
			    now);
		else
			log_debug("no upstream for verb 0x%02x", verb);
		return;
	}
	for (k = 0; k <= n->nmoons; k++) {
		w = k == 0 ? &n->planet : &n->moons[k - 1];
		for (i = 0; i < w->nroots; i++) {
			a = w->roots[i].identity.address;
			if (a != n->self.address)
				vl1_node_send(n, a, verb, payload, plen, now);
		}
	}
}

/* (u40 address, u8 verb, bytes16 payload)* -> the engine's send queue */
static int
vl1d_send_batch(struct vl1d_ctx *ctx, struct ipc_msg *m)
{
	const uint8_t *payload;
	size_t plen;
	uint64_t dest;
	uint8_t verb;

	while (rbuf_remaining(&m->body) > 0) {
		if (rbuf_get_u40(&m->body, &dest) == -1 ||
		    rbuf_get_u8(&m->body, &verb) == -1 ||
		    ipc_get_bytes16(&m->body, ZT_MAX_PACKET_LEN, &payload,
		    &plen) == -1)
			return -1;
		/* only VL2 verbs and their OK/ERROR replies come this way */
		if ((verb & ZT_PKT_VERB_MASK) != verb ||
		    !((verb >= VL1_VERB_FRAME && verb <= VL1_VERB_MULTICAST_FRAME &&
		    verb != VL1_VERB_ECHO) || verb == VL1_VERB_OK ||
		    verb == VL1_VERB_ERROR))
			return -1;
		if (dest == 0)
			vl1d_send_upstream(ctx, verb, payload, plen);
		else
			vl1_node_send(ctx->node, dest, verb, payload, plen,
			    vl1d_now(ctx));
	}
	vl1d_udp_flush(ctx);
	return 0;
}

static int
vl1d_on_vl2_send(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	return vl1d_send_batch(arg, m);
}

static int
vl1d_on_ctrl_send(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	return vl1d_send_batch(arg, m);
}

static int
vl1d_on_whois(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl1d_ctx *ctx = arg;
	uint8_t out[8192];
	struct vl1_peer *p;
	struct wbuf w;
	uint64_t a;

	wbuf_init(&w, out, sizeof(out));
	while (rbuf_remaining(&m->body) > 0) {
		if (rbuf_get_u40(&m->body, &a) == -1)
			return -1;
		if ((p = vl1_peers_get(&ctx->node->peers, a)) != NULL)
			identity_serialize(&p->id, false, &w);
		else
			vl1_node_whois(ctx->node, a, vl1d_now(ctx));
	}
	if (wbuf_failed(&w))
		return -1;
	return ipc_send_wbuf(c, IPC_MSG_VL2_WHOIS_REPLY, m->id, &w);
}

static const char *
vl1d_role_of(struct vl1d_ctx *ctx, uint64_t a)
{
	if (world_find_root(&ctx->node->planet, a) != NULL)
		return "PLANET";
	if (vl1_node_is_upstream(ctx->node, a))
		return "MOON";
	return "LEAF";
}

struct vl1d_peer_list {
	struct vl1d_ctx	*ctx;
	json_t		*arr;		/* NULL: count paths only */
	unsigned int	 npaths;
	bool		 api;		/* the HTTP API's shape */
};

/*
 * A peer as zt-ctl shows it, or with api as ZeroTier One's HTTP API
 * returns it (spec/service.md §6.6): exactly its keys, no more.
 */
json_t *
vl1d_json_peer(struct vl1d_ctx *ctx, struct vl1_peer *p, bool api)
{
	int64_t now = vl1d_now(ctx);
	struct vl1_path *best = vl1_peer_best_path(p, now, false);
	char a[11], ver[32], addr[INETADDR_STRLEN];
	json_t *o, *paths, *po;
	unsigned int i;

	paths = json_array();
	for (i = 0; i < VL1_MAX_PATHS; i++) {
		struct vl1_path *x = &p->paths[i];

		if (!x->used)
			continue;
		po = json_pack("{s:s, s:I, s:I, s:b, s:b, s:b, s:i, s:I}",
		    "address", inetaddr_fmt(&x->addr, addr),
		    "lastReceive", (json_int_t)x->lr,
		    "lastSend", (json_int_t)x->last_send,
		    "active", vl1_path_alive(x, now),
		    "expired", vl1_path_expired(x, now),
		    "preferred", x == best,
		    "localSocket", x->sock,
		    "trustedPathId", (json_int_t)vl1_node_trusted_id(
		    ctx->node, &x->addr));
		if (api)
			json_object_set_new(po, "localPort", json_integer(
			    x->sock >= 0 && (unsigned int)x->sock <
			    ctx->nsocks ? ctx->socks[x->sock].bound.port : 0));
		else
			json_object_set_new(po, "latency", json_integer(
			    x->latency == VL1_LATENCY_UNKNOWN ? -1 :
			    (int)x->latency));
		json_array_append_new(paths, po);
	}
	if (p->proto == 0)
		snprintf(ver, sizeof(ver), "-1.-1.-1");
	else
		snprintf(ver, sizeof(ver), "%u.%u.%u", p->vmajor, p->vminor,
		    p->vrev);
	o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:b, s:i, s:o}",
	    "address", zt_address_fmt(p->id.address, a),
	    "role", vl1d_role_of(ctx, p->id.address),
	    "version", ver,
	    "versionMajor", p->proto == 0 ? -1 : (int)p->vmajor,
	    "versionMinor", p->proto == 0 ? -1 : (int)p->vminor,
	    "versionRev", p->proto == 0 ? -1 : (int)p->vrev,
	    "tunneled", 0,
	    "latency", best == NULL || best->latency == VL1_LATENCY_UNKNOWN ?
	    -1 : (int)best->latency,
	    "paths", paths);
	if (api) {
		json_object_set_new(o, "isBonded", json_false());
	} else {
		json_object_set_new(o, "protocol", json_integer(p->proto));
		json_object_set_new(o, "lastReceive",
		    json_integer(p->last_recv));
	}
	return o;
}

static void
vl1d_peer_json(struct vl1_peer *p, void *arg)
{
	struct vl1d_peer_list *pl = arg;
	unsigned int i;

	for (i = 0; i < VL1_MAX_PATHS; i++)
		pl->npaths += p->paths[i].used;
	if (pl->arr != NULL)
		json_array_append_new(pl->arr, vl1d_json_peer(pl->ctx, p,
		    pl->api));
}

json_t *
vl1d_json_peers(struct vl1d_ctx *ctx, bool api)
{
	struct vl1d_peer_list pl = { ctx, json_array(), 0, api };

	vl1_peers_foreach(&ctx->node->peers, vl1d_peer_json, &pl);
	return pl.arr;
}

/*
 * zt_packet{packet_type,direction} and zt_packet_error{error_type,
 * direction} with their labels flattened into the key in label order,
 * as zt_data_udp_rx: zt_packet_hello_rx, zt_packet_error_obj_not_found_tx.
 */
static void
vl1d_ctl_verb_counters(const struct vl1_stats *st, json_t *o)
{
	static const char *const dir[2] = { "rx", "tx" };
	char key[96];
	const char *name;
	unsigned int d, i;

	for (d = 0; d < 2; d++) {
		for (i = 0; i < VL1_VERB_SLOTS; i++) {
			if ((name = vl1_verb_metric(i)) == NULL)
				continue;
			snprintf(key, sizeof(key), "zt_packet_%s_%s", name,
			    dir[d]);
			json_object_set_new(o, key,
			    json_integer((json_int_t)st->verbs[d][i]));
		}
		for (i = 0; i < VL1_ERROR_SLOTS; i++) {
			if ((name = vl1_error_metric(i)) == NULL)
				continue;
			snprintf(key, sizeof(key), "zt_packet_error_%s_%s",
			    name, dir[d]);
			json_object_set_new(o, key,
			    json_integer((json_int_t)st->errors[d][i]));
		}
	}
}

/* issue 4 item 8: what came in and out, and why packets were dropped */
static json_t *
vl1d_ctl_counters(struct vl1d_ctx *ctx)
{
	struct vl1_stats *st = &ctx->node->st;
	struct vl1d_peer_list pl = { ctx, NULL, 0, false };
	struct reasm_stats rs;
	json_t *o;

	reasm_get_stats(ctx->node->reasm, &rs);
	vl1_peers_foreach(&ctx->node->peers, vl1d_peer_json, &pl);
	/* zt_data{protocol="udp",direction=...} of ZeroTier One's metrics */
	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:i, s:i}",
	    "zt_data_udp_rx", (json_int_t)st->rx_bytes,
	    "zt_data_udp_tx", (json_int_t)st->tx_bytes,
	    "packetsIn", (json_int_t)st->rx_packets,
	    "packetsOut", (json_int_t)st->tx_packets,
	    "datagramsIn", (json_int_t)st->rx_datagrams,
	    "datagramsOut", (json_int_t)st->tx_datagrams,
	    "bytesIn", (json_int_t)st->rx_bytes,
	    "bytesOut", (json_int_t)st->tx_bytes,
	    "dropped",
	    "badMac", (json_int_t)st->rx_bad_mac,
	    "replay", (json_int_t)st->rx_duplicate,
	    "malformed", (json_int_t)(st->rx_malformed + st->rx_bad_compress +
	    st->rx_junk + st->rx_hello_rejected),
	    "badCipher", (json_int_t)st->rx_bad_cipher,
	    "fragmentBudget", (json_int_t)(rs.evicted + rs.expired +
	    rs.invalid),
	    "unknownPeer", (json_int_t)st->rx_park_dropped,
	    "rateLimited", (json_int_t)st->rx_ratelimited,
	    "unexpectedReply", (json_int_t)st->rx_unexpected_ok,
	    "relay", (json_int_t)st->relay_dropped,
	    "peers", (int)ctx->node->peers.count,
	    "paths", (int)pl.npaths);
	if (o != NULL)
		vl1d_ctl_verb_counters(st, o);
	return o;
}

static json_t *
vl1d_ctl_info(struct vl1d_ctx *ctx)
{
	struct vl1_stats *st = &ctx->node->st;
	char a[11], pub[IDENTITY_STRING_MAX];
	json_t *moons = json_array();
	unsigned int i;

	for (i = 0; i < ctx->node->nmoons; i++)
		json_array_append_new(moons, json_pack("{s:I, s:I}",
		    "id", (json_int_t)ctx->node->moons[i].id,
		    "timestamp", (json_int_t)ctx->node->moons[i].timestamp));
	identity_to_string(&ctx->id, false, pub, sizeof(pub));
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:{s:I, s:I}, s:o, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:i, s:b, s:o, "
	    "s:b, s:i}",
	    "address", zt_address_fmt(ctx->id.address, a),
	    "publicIdentity", pub,
	    "version", ZT_VERSION,
	    "online", vl1_node_online(ctx->node, vl1d_now(ctx)),
	    "root", ctx->node->am_upstream,
	    "planet", "id", (json_int_t)ctx->node->planet.id,
	    "timestamp", (json_int_t)ctx->node->planet.timestamp,
	    "moons", moons,
	    "stats",
	    "rxPackets", (json_int_t)st->rx_packets,
	    "rxBadMac", (json_int_t)st->rx_bad_mac,
	    "rxDuplicate", (json_int_t)st->rx_duplicate,
	    "rxMalformed", (json_int_t)st->rx_malformed,
	    "txPackets", (json_int_t)st->tx_packets,
	    "relayed", (json_int_t)st->relayed,
	    "whoisSent", (json_int_t)st->whois_sent,
	    "upDropped", (json_int_t)ctx->up_dropped,
	    "agreeFailed", (json_int_t)ctx->agree_failed,
	    "peers", (int)ctx->node->peers.count,
	    "vl2d", ctx->vl2d != NULL,
	    "counters", vl1d_ctl_counters(ctx),
	    "tcpFallbackActive", 0,
	    "trustedPaths", (int)ctx->ntrusted);
}

/* an ECHO through the send queue: WHOIS, relay and introduction */
static json_t *
vl1d_ctl_ping(struct vl1d_ctx *ctx, json_t *req)
{
	const char *addr;
	uint64_t a;

	if (json_unpack(req, "{s:s}", "address", &addr) == -1 ||
	    strlen(addr) != 10 || hex_parse_u64(addr, 10, &a) == -1 ||
	    zt_address_reserved(a))
		return json_pack("{s:s}", "error", "bad address");
	if (vl1_node_send(ctx->node, a, VL1_VERB_ECHO, NULL, 0,
	    vl1d_now(ctx)) == -1)
		return json_pack("{s:s}", "error", "cannot send");
	vl1d_udp_flush(ctx);
	return json_pack("{s:s, s:b}", "address", addr, "sent", 1);
}

json_t *
vl1d_json_moon(const struct world *w)
{
	char id[17], pub[IDENTITY_STRING_MAX], ep[INETADDR_STRLEN];
	char sig[2 * ZT_SIGNATURE_LEN + 1], key[2 * C25519_PUBLIC_LEN + 1];
	json_t *roots = json_array(), *eps;
	unsigned int i, k;

	for (i = 0; i < w->nroots; i++) {
		eps = json_array();
		for (k = 0; k < w->roots[i].nendpoints; k++)
			json_array_append_new(eps, json_string(inetaddr_fmt(
			    &w->roots[i].endpoints[k], ep)));
		identity_to_string(&w->roots[i].identity, false, pub,
		    sizeof(pub));
		json_array_append_new(roots, json_pack("{s:s, s:o}",
		    "identity", pub, "stableEndpoints", eps));
	}
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)w->id);
	hex_encode(w->signature, sizeof(w->signature), sig);
	hex_encode(w->update_key, sizeof(w->update_key), key);
	return json_pack("{s:s, s:o, s:s, s:I, s:s, s:b}", "id", id,
	    "roots", roots, "signature", sig,
	    "timestamp", (json_int_t)w->timestamp,
	    "updatesMustBeSignedBy", key, "waiting", 0);
}

/* spec/service.md §6.7, plus the moons still being fetched */
static json_t *
vl1d_ctl_listmoons(struct vl1d_ctx *ctx)
{
	struct vl1_node *n = ctx->node;
	json_t *arr = json_array();
	char id[17], seed[11];
	unsigned int i;

	for (i = 0; i < n->nmoons; i++)
		json_array_append_new(arr, vl1d_json_moon(&n->moons[i]));
	for (i = 0; i < n->nwanted; i++) {
		snprintf(id, sizeof(id), "%016llx",
		    (unsigned long long)n->wanted[i].id);
		json_array_append_new(arr, json_pack("{s:s, s:[], s:I, s:b, "
		    "s:s}", "id", id, "roots", "timestamp", (json_int_t)0,
		    "waiting", 1, "seed", zt_address_fmt(n->wanted[i].seed,
		    seed)));
	}
	return arr;
}

/* a world id in hex, at most 16 digits, not 0 */
static int
vl1d_parse_id(json_t *req, const char *key, size_t maxdigits,
    uint64_t *out)
{
	const char *s;

	if (json_unpack(req, "{s:s}", key, &s) == -1 || strlen(s) == 0 ||
	    strlen(s) > maxdigits || hex_parse_u64(s, strlen(s), out) == -1 ||
	    *out == 0)
		return -1;
	return 0;
}

int
vl1d_orbit(struct vl1d_ctx *ctx, uint64_t id, uint64_t seed,
    const struct world **held)
{
	char path[PATH_MAX];
	struct world w;
	int64_t now = vl1d_now(ctx);
	unsigned int i;

	*held = NULL;
	for (i = 0; i < ctx->node->nmoons; i++)
		if (ctx->node->moons[i].id == id) {
			*held = &ctx->node->moons[i];
			return 0;
		}
	/* §6.4: a moon file already in moons.d is orbited directly */
	snprintf(path, sizeof(path), "%s/moons.d/%016llx.moon",
	    ctx->cfg.home, (unsigned long long)id);
	if (vl1d_read_world(path, &w) == 0 && w.type == WORLD_TYPE_MOON &&
	    w.id == id && vl1_node_add_moon(ctx->node, &w, now) == 0) {
		log_info("orbiting moon %016llx from %s",
		    (unsigned long long)id, path);
		for (i = 0; i < ctx->node->nmoons; i++)
			if (ctx->node->moons[i].id == id)
				*held = &ctx->node->moons[i];
		return 0;
	}
	/* 1.14.1: without a seed only a moon it already has is orbited */
	if (seed == 0)
		return 0;
	if (vl1_node_orbit(ctx->node, id, seed, now) == -1)
		return -1;
	vl1d_save_seed(ctx, id, seed);
	vl1d_udp_flush(ctx);
	log_info("orbiting moon %016llx, asking %010llx for it",
	    (unsigned long long)id, (unsigned long long)seed);
	return 0;
}

int
vl1d_deorbit(struct vl1d_ctx *ctx, uint64_t id)
{
	/* ZeroTier answers OK for a moon it does not orbit, too */
	if (vl1_node_deorbit(ctx->node, id) == 0)
		log_info("left moon %016llx", (unsigned long long)id);
	return vl1d_forget_moon(ctx, id);
}

static json_t *
vl1d_ctl_orbit(struct vl1d_ctx *ctx, json_t *req)
{
	const struct world *held;
	uint64_t id, seed;

	if (vl1d_parse_id(req, "id", 16, &id) == -1 ||
	    vl1d_parse_id(req, "seed", 10, &seed) == -1 ||
	    zt_address_reserved(seed))
		return json_pack("{s:s}", "error", "bad moon id or seed");
	if (vl1d_orbit(ctx, id, seed, &held) == -1)
		return json_pack("{s:s}", "error", "too many moons");
	if (held != NULL)
		return vl1d_json_moon(held);
	return json_pack("{s:s, s:s, s:b}", "id", json_string_value(
	    json_object_get(req, "id")), "seed", json_string_value(
	    json_object_get(req, "seed")), "waiting", 1);
}

static json_t *
vl1d_ctl_deorbit(struct vl1d_ctx *ctx, json_t *req)
{
	uint64_t id;

	if (vl1d_parse_id(req, "id", 16, &id) == -1)
		return json_pack("{s:s}", "error", "bad moon id");
	if (vl1d_deorbit(ctx, id) == -1)
		return json_pack("{s:s}", "error",
		    "cannot remove the moon file");
	return json_pack("{s:s, s:b}", "id", json_string_value(
	    json_object_get(req, "id")), "deorbited", 1);
}

static int
vl1d_on_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl1d_ctx *ctx = arg;
	const uint8_t *p;
	json_error_t err;
	json_t *req, *reply;
	const char *cmd;
	size_t len = rbuf_remaining(&m->body);
	char *text;
	int rc;

	if (len > VL1D_CTL_JSON_MAX) {
		/* answered, so that zt-ctl says why instead of timing out */
		if (rbuf_skip(&m->body, len) == -1)
			return -1;
		return ipc_send_error(c, m->id, EMSGSIZE, "request over 64 KiB");
	}
	if (rbuf_get_ptr(&m->body, len, &p) == -1)
		return -1;
	if ((req = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL || json_unpack(req, "{s:s}", "cmd", &cmd) == -1) {
		json_decref(req);
		return ipc_send_error(c, m->id, 22, "bad request");
	}
	if (strcmp(cmd, "info") == 0)
		reply = vl1d_ctl_info(ctx);
	else if (strcmp(cmd, "peers") == 0) {
		reply = vl1d_json_peers(ctx, false);
	} else if (strcmp(cmd, "ping") == 0) {
		reply = vl1d_ctl_ping(ctx, req);
	} else if (strcmp(cmd, "listmoons") == 0) {
		reply = vl1d_ctl_listmoons(ctx);
	} else if (strcmp(cmd, "orbit") == 0) {
		reply = vl1d_ctl_orbit(ctx, req);
	} else if (strcmp(cmd, "deorbit") == 0) {
		reply = vl1d_ctl_deorbit(ctx, req);
	} else if (strcmp(cmd, "sandbox") == 0) {	/* zt-ctl sandbox */
		reply = json_pack("{s:s, s:s, s:[o, o], s:{s:b, s:b}}",
		    "daemon", "zt-vl1d", "version", ZT_VERSION, "processes",
		    sandbox_report_json(&vl1d_policy, 0),
		    vl1d_keyholder_report(ctx),
		    "links", "zt-vl2d", ctx->vl2d != NULL, "zt-controllerd",
		    ctx->ctrld != NULL);
	} else {
		json_decref(req);
		return ipc_send_error(c, m->id, 38, "unknown command");
	}
	json_decref(req);
	/*
	 * Unsorted: jansson sorts with qsort, and glibc's qsort of more
	 * than 1 KiB (an object of 64 keys, as "counters") asks sysinfo(2)
	 * for the memory size, which the sandbox kills.  zt-ctl sorts.
	 */
	if (reply == NULL || (text = json_dumps(reply,
	    JSON_COMPACT)) == NULL) {
		json_decref(reply);
		return ipc_send_error(c, m->id, 12, "out of memory");
	}
	rc = ipc_send(c, IPC_MSG_CTL_REPLY, m->id, text, strlen(text));
	free(text);
	json_decref(reply);
	return rc == -1 ? -1 : 0;
}

static void	vl1d_flush_one(struct vl1d_ctx *, struct ipc_conn *,
		    uint16_t, struct wbuf *);

/* one VL2_PEER_EVENT entry: UP with how the peer is reached, or DOWN */
static void
vl1d_put_peer_event(struct wbuf *w, struct vl1_peer *p, int64_t now)
{
	struct ipc_peer_ev e;
	struct vl1_path *best;

	memset(&e, 0, sizeof(e));
	e.kind = p->state == VL1_PEER_DOWN ? IPC_PEER_EVENT_DOWN :
	    IPC_PEER_EVENT_UP;
	e.address = p->id.address;
	e.latency = IPC_PEER_LATENCY_UNKNOWN;
	if (p->state == VL1_PEER_DIRECT) {
		e.flags = IPC_PEER_F_DIRECT;
		best = vl1_peer_best_path(p, now, false);
		if (best != NULL && best->latency < IPC_PEER_LATENCY_UNKNOWN)
			e.latency = (uint16_t)best->latency;
	}
	ipc_peer_ev_put(w, &e);
}

/* the batch is one frame at most: a full one leaves before it grows */
static void
vl1d_peer_event_room(struct vl1d_ctx *ctx)
{
	if (wbuf_len(&ctx->up_ev) + IPC_PEER_EVENT_LEN > IPC_PEER_EVENT_MAX)
		vl1d_flush_one(ctx, ctx->vl2d, IPC_MSG_VL2_PEER_EVENT,
		    &ctx->up_ev);
}

void
vl1d_peer_state(void *arg, struct vl1_peer *p, int64_t now)
{
	struct vl1d_ctx *ctx = arg;

	/* a zt-vl2d that connects later gets the whole list instead */
	if (ctx->vl2d == NULL)
		return;
	vl1d_peer_event_room(ctx);
	vl1d_put_peer_event(&ctx->up_ev, p, now);
}

struct vl1d_up_walk {
	struct vl1d_ctx	*ctx;
	int64_t		 now;
};

static void
vl1d_put_up_peer(struct vl1_peer *p, void *arg)
{
	struct vl1d_up_walk *uw = arg;

	if (p->state == VL1_PEER_DOWN)
		return;
	vl1d_peer_event_room(uw->ctx);
	vl1d_put_peer_event(&uw->ctx->up_ev, p, uw->now);
}

/*
 * A zt-vl2d that (re)connects hears our address first (its MACs derive
 * from it), then every peer that is up, then changes as they happen.
 */
static void
vl1d_tell_peers(struct vl1d_ctx *ctx)
{
	struct vl1d_up_walk uw = { ctx, vl1d_now(ctx) };
	struct ipc_peer_ev self;

	memset(&self, 0, sizeof(self));
	self.kind = IPC_PEER_EVENT_SELF;
	self.address = ctx->node->self.address;
	self.latency = IPC_PEER_LATENCY_UNKNOWN;
	/* what was queued for an earlier connection is in the list */
	wbuf_reset(&ctx->up_ev);
	ipc_peer_ev_put(&ctx->up_ev, &self);
	vl1_peers_foreach(&ctx->node->peers, vl1d_put_up_peer, &uw);
	vl1d_flush_one(ctx, ctx->vl2d, IPC_MSG_VL2_PEER_EVENT, &ctx->up_ev);
}

static void
vl1d_conn_up(struct ipc_conn *c, void *arg)
{
	struct vl1d_ctx *ctx = arg;

	switch (ipc_conn_role(c)) {
	case IPC_ROLE_VL2D:
		if (ctx->vl2d != NULL) {
			ipc_conn_close(ctx->vl2d);
			/* ids of the new link are not the old one's */
			vl1d_api_net_down(ctx);
		}
		ctx->vl2d = c;
		log_info("zt-vl2d connected");
		/* the data path: many frames per syscall, drained per wake-up */
		if (ipc_conn_set_batch(c, 8) == -1)
			log_warn("zt-vl2d link: no batching");
		vl1d_tell_peers(ctx);
		break;
	case IPC_ROLE_CONTROLLERD:
		if (ctx->ctrld != NULL)
			ipc_conn_close(ctx->ctrld);
		ctx->ctrld = c;
		log_info("zt-controllerd connected");
		break;
	default:
		break;
	}
}

static void
vl1d_conn_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct vl1d_ctx *ctx = arg;

	if (c == ctx->vl2d) {
		ctx->vl2d = NULL;
		log_info("zt-vl2d disconnected: %s", ipc_err_str(e));
		vl1d_api_net_down(ctx);
	} else if (c == ctx->ctrld) {
		ctx->ctrld = NULL;
		log_info("zt-controllerd disconnected: %s", ipc_err_str(e));
	}
}

/* zt-vl2d's answer to a /network request of the HTTP API */
static int
vl1d_on_api_reply(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	const uint8_t *p;
	uint16_t status;
	size_t len;

	(void)c;
	if (rbuf_get_u16(&m->body, &status) == -1)
		return -1;
	len = rbuf_remaining(&m->body);
	if (rbuf_get_ptr(&m->body, len, &p) == -1)
		return -1;
	vl1d_api_net_reply(arg, m->id, status, p, len);
	return 0;
}

static const struct ipc_handler vl1d_handlers[] = {
	{ IPC_MSG_VL2_SEND, vl1d_on_vl2_send },
	{ IPC_MSG_CTRL_SEND, vl1d_on_ctrl_send },
	{ IPC_MSG_VL2_WHOIS_REQ, vl1d_on_whois },
	{ IPC_MSG_VL2_API_REPLY, vl1d_on_api_reply },
	{ IPC_MSG_CTL_REQUEST, vl1d_on_ctl },
	{ 0, NULL },
};

static void
vl1d_flush_one(struct vl1d_ctx *ctx, struct ipc_conn *c, uint16_t type,
    struct wbuf *w)
{
	if (wbuf_len(w) == 0)
		return;
	if (c == NULL || ipc_send_wbuf(c, type, 0, w) == -1) {
		ctx->up_dropped++;
		log_drop(&up_drops, "no zt-%s to take it",
		    type == IPC_MSG_CTRL_CONFIG_REQ ? "controllerd" : "vl2d");
	}
	wbuf_reset(w);
}

void
vl1d_up_flush(struct vl1d_ctx *ctx)
{
	/* ups before the packets that brought them */
	vl1d_flush_one(ctx, ctx->vl2d, IPC_MSG_VL2_PEER_EVENT, &ctx->up_ev);
	vl1d_flush_one(ctx, ctx->vl2d, IPC_MSG_VL2_RECV, &ctx->up_vl2);
	vl1d_flush_one(ctx, ctx->ctrld, IPC_MSG_CTRL_CONFIG_REQ,
	    &ctx->up_ctrl);
}

/*
 * The controller needs the member's public identity (COM qualifiers,
 * identity pinning); zt-vl1d holds it since the packet authenticated.
 */
static void
vl1d_put_identity(struct vl1d_ctx *ctx, uint64_t src, struct wbuf *w)
{
	struct vl1_peer *p = vl1_peers_get(&ctx->node->peers, src);
	uint8_t id[128];
	struct wbuf iw;

	wbuf_init(&iw, id, sizeof(id));
	if (p == NULL || identity_serialize(&p->id, false, &iw) == -1)
		wbuf_reset(&iw);
	ipc_put_bytes16(w, id, wbuf_len(&iw));
}

void
vl1d_vl2_up(void *arg, uint64_t src, const uint8_t *pkt, size_t len,
    int64_t now)
{
	struct vl1d_ctx *ctx = arg;
	unsigned int verb = pkt[ZT_PKT_IDX_VERB] & ZT_PKT_VERB_MASK;
	struct wbuf *w = &ctx->up_vl2;
	uint64_t nwid;

	/* config requests for networks this node controls go to it */
	if (verb == VL1_VERB_NETWORK_CONFIG_REQUEST &&
	    len >= ZT_PKT_IDX_PAYLOAD + 8) {
		nwid = be64_get(pkt + ZT_PKT_IDX_PAYLOAD);
		if (nwid >> 24 == ctx->id.address)
			w = &ctx->up_ctrl;
	}
	if (wbuf_len(w) + 8 + 2 + 128 + len > IPC_PAYLOAD_MAX)
		vl1d_up_flush(ctx);
	wbuf_put_u40(w, src);
	wbuf_put_u8(w, 0);
	ipc_put_bytes16(w, pkt, len);
	if (w == &ctx->up_ctrl)
		vl1d_put_identity(ctx, src, w);
	(void)now;
}

int
vl1d_control_open(struct vl1d_ctx *ctx)
{
	static const struct ipc_callbacks cb = {
		.handlers = vl1d_handlers,
		.up = vl1d_conn_up,
		.down = vl1d_conn_down,
	};
	char path[PATH_MAX];
	struct group *gr;
	gid_t gid = (gid_t)-1;
	int fd;

	if (ctx->cfg.ctl_group != NULL &&
	    (gr = getgrnam(ctx->cfg.ctl_group)) != NULL)
		gid = gr->gr_gid;
	snprintf(path, sizeof(path), "%s/zt-vl1d.sock", ctx->cfg.rundir);
	/* an activated socket comes with the mode its .socket unit set */
	if ((fd = ctx->activated[VL1D_FD_CONTROL]) == -1 &&
	    (fd = ipc_socket_listen(path, 0660, gid)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	ctx->activated[VL1D_FD_CONTROL] = -1;
	ctx->listener = ipc_listener_new(ctx->ipc, fd, IPC_R(CTL), &cb, ctx);
	if (ctx->listener == NULL)
		return -1;
	/*
	 * The daemons' socket: open to every local user, because the IPC
	 * library admits only zt-vl2d's and zt-controllerd's roles, each
	 * from its own uid (SO_PEERCRED), and closes anything else.  The
	 * daemons need no membership of group zt, which gates zt-ctl.
	 */
	snprintf(path, sizeof(path), "%s/zt-vl1d-ipc.sock", ctx->cfg.rundir);
	if ((fd = ctx->activated[VL1D_FD_IPC]) == -1 &&
	    (fd = ipc_socket_listen(path, 0666, (gid_t)-1)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	ctx->activated[VL1D_FD_IPC] = -1;
	ctx->daemons = ipc_listener_new(ctx->ipc, fd,
	    IPC_R(VL2D) | IPC_R(CONTROLLERD), &cb, ctx);
	if (ctx->daemons == NULL)
		return -1;
	wbuf_init_dynamic(&ctx->up_vl2, IPC_PAYLOAD_MAX);
	wbuf_init_dynamic(&ctx->up_ctrl, IPC_PAYLOAD_MAX);
	wbuf_init_dynamic(&ctx->up_ev, IPC_PEER_EVENT_MAX);
	return 0;
}
