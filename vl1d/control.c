/*
 * zt-vl1d's control socket: zt-vl2d and zt-controllerd exchange VL2
 * packets with the engine over it (batched both ways), zt-ctl asks
 * questions in JSON.  The IPC library has already checked each peer's
 * role against its uid and each frame against the catalogue.
 */
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hex.h"
#include "log.h"
#include "packet.h"
#include "vl1d.h"

#define VL1D_CTL_JSON_MAX	(64 * 1024)

static struct log_drops up_drops = LOG_DROPS_INIT("vl2 packet to deliver");

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
	json_t		*arr;
};

static void
vl1d_peer_json(struct vl1_peer *p, void *arg)
{
	struct vl1d_peer_list *pl = arg;
	int64_t now = vl1d_now(pl->ctx);
	struct vl1_path *best = vl1_peer_best_path(p, now, false);
	char a[11], ver[32], addr[INETADDR_STRLEN];
	json_t *o, *paths;
	unsigned int i;

	paths = json_array();
	for (i = 0; i < VL1_MAX_PATHS; i++) {
		struct vl1_path *x = &p->paths[i];

		if (!x->used)
			continue;
		json_array_append_new(paths, json_pack(
		    "{s:s, s:I, s:I, s:b, s:b, s:b, s:i}",
		    "address", inetaddr_fmt(&x->addr, addr),
		    "lastReceive", (json_int_t)x->lr,
		    "lastSend", (json_int_t)x->last_send,
		    "active", vl1_path_alive(x, now),
		    "expired", vl1_path_expired(x, now),
		    "preferred", x == best,
		    "latency", x->latency == VL1_LATENCY_UNKNOWN ? -1 :
		    (int)x->latency));
	}
	if (p->proto == 0)
		snprintf(ver, sizeof(ver), "-1.-1.-1");
	else
		snprintf(ver, sizeof(ver), "%u.%u.%u", p->vmajor, p->vminor,
		    p->vrev);
	o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:o}",
	    "address", zt_address_fmt(p->id.address, a),
	    "role", vl1d_role_of(pl->ctx, p->id.address),
	    "version", ver,
	    "protocol", (int)p->proto,
	    "latency", best == NULL || best->latency == VL1_LATENCY_UNKNOWN ?
	    -1 : (int)best->latency,
	    "lastReceive", (json_int_t)p->last_recv,
	    "paths", paths);
	json_array_append_new(pl->arr, o);
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
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:i, s:b}",
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
	    "vl2d", ctx->vl2d != NULL);
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

static int
vl1d_on_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl1d_ctx *ctx = arg;
	struct vl1d_peer_list pl = { ctx, NULL };
	const uint8_t *p;
	json_error_t err;
	json_t *req, *reply;
	const char *cmd;
	size_t len = rbuf_remaining(&m->body);
	char *text;
	int rc;

	if (len > VL1D_CTL_JSON_MAX || rbuf_get_ptr(&m->body, len, &p) == -1)
		return -1;
	if ((req = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL || json_unpack(req, "{s:s}", "cmd", &cmd) == -1) {
		json_decref(req);
		return ipc_send_error(c, m->id, 22, "bad request");
	}
	if (strcmp(cmd, "info") == 0)
		reply = vl1d_ctl_info(ctx);
	else if (strcmp(cmd, "peers") == 0) {
		pl.arr = json_array();
		vl1_peers_foreach(&ctx->node->peers, vl1d_peer_json, &pl);
		reply = pl.arr;
	} else if (strcmp(cmd, "ping") == 0) {
		reply = vl1d_ctl_ping(ctx, req);
	} else {
		json_decref(req);
		return ipc_send_error(c, m->id, 38, "unknown command");
	}
	json_decref(req);
	if (reply == NULL || (text = json_dumps(reply, JSON_COMPACT |
	    JSON_SORT_KEYS)) == NULL) {
		json_decref(reply);
		return ipc_send_error(c, m->id, 12, "out of memory");
	}
	rc = ipc_send(c, IPC_MSG_CTL_REPLY, m->id, text, strlen(text));
	free(text);
	json_decref(reply);
	return rc == -1 ? -1 : 0;
}

static void
vl1d_conn_up(struct ipc_conn *c, void *arg)
{
	struct vl1d_ctx *ctx = arg;

	switch (ipc_conn_role(c)) {
	case IPC_ROLE_VL2D:
		if (ctx->vl2d != NULL)
			ipc_conn_close(ctx->vl2d);
		ctx->vl2d = c;
		log_info("zt-vl2d connected");
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
	} else if (c == ctx->ctrld) {
		ctx->ctrld = NULL;
		log_info("zt-controllerd disconnected: %s", ipc_err_str(e));
	}
}

static const struct ipc_handler vl1d_handlers[] = {
	{ IPC_MSG_VL2_SEND, vl1d_on_vl2_send },
	{ IPC_MSG_CTRL_SEND, vl1d_on_ctrl_send },
	{ IPC_MSG_VL2_WHOIS_REQ, vl1d_on_whois },
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
		    type == IPC_MSG_VL2_RECV ? "vl2d" : "controllerd");
	}
	wbuf_reset(w);
}

void
vl1d_up_flush(struct vl1d_ctx *ctx)
{
	vl1d_flush_one(ctx, ctx->vl2d, IPC_MSG_VL2_RECV, &ctx->up_vl2);
	vl1d_flush_one(ctx, ctx->ctrld, IPC_MSG_CTRL_CONFIG_REQ,
	    &ctx->up_ctrl);
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
	if (wbuf_len(w) + 8 + len > IPC_PAYLOAD_MAX)
		vl1d_up_flush(ctx);
	wbuf_put_u40(w, src);
	wbuf_put_u8(w, 0);
	ipc_put_bytes16(w, pkt, len);
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
	if ((fd = ipc_socket_listen(path, 0660, gid)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	ctx->listener = ipc_listener_new(ctx->ipc, fd,
	    IPC_R(VL2D) | IPC_R(CONTROLLERD) | IPC_R(CTL), &cb, ctx);
	if (ctx->listener == NULL)
		return -1;
	wbuf_init_dynamic(&ctx->up_vl2, IPC_PAYLOAD_MAX);
	wbuf_init_dynamic(&ctx->up_ctrl, IPC_PAYLOAD_MAX);
	return 0;
}
