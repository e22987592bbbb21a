/*
 * zt-vl2d's two daemon links: zt-vl1d (VL2 packets both ways, batched,
 * and identity lookups) and zt-tapd (the TAP_* requests, the TAP fd, the
 * multicast reports).  Both are IPC clients that reconnect with backoff
 * when the other daemon restarts; the library has already checked the
 * server's role against its uid and each frame against the catalogue.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "policy.h"
#include "priv.h"
#include "vl2d.h"

static struct log_drops out_drops = LOG_DROPS_INIT("vl2 packet to send");

/* one packet in the VL2_SEND batch: u40 dest, u8 verb, bytes16 payload */
int
vl2d_send(struct vl2d_ctx *ctx, uint64_t dest, uint8_t verb,
    const uint8_t *p, size_t len)
{
	if (len > VL2D_MAX_PACKET)
		return -1;
	if (wbuf_len(&ctx->out) + 5 + 1 + 2 + len > IPC_PAYLOAD_MAX)
		vl2d_link_flush(ctx);
	if (wbuf_put_u40(&ctx->out, dest) == -1 ||
	    wbuf_put_u8(&ctx->out, verb) == -1 ||
	    ipc_put_bytes16(&ctx->out, p, len) == -1) {
		/* a dynamic writer fails only when memory runs out */
		wbuf_reset(&ctx->out);
		ctx->out_dropped++;
		return -1;
	}
	return 0;
}

/* the end of a wake-up: joined frames to the TAPs, packets to zt-vl1d */
void
vl2d_link_flush(struct vl2d_ctx *ctx)
{
	struct ipc_conn *c = ipc_client_conn(ctx->vl1d);

	vl2d_frame_tap_flush(ctx);
	if (wbuf_len(&ctx->out) == 0)
		return;
	if (c == NULL || ipc_send_wbuf(c, IPC_MSG_VL2_SEND, 0, &ctx->out) ==
	    -1) {
		ctx->out_dropped++;
		log_drop(&out_drops, "zt-vl1d is not there to take it");
	}
	wbuf_reset(&ctx->out);
}

void
vl2d_link_cork(struct vl2d_ctx *ctx, bool on)
{
	struct ipc_conn *c = ipc_client_conn(ctx->vl1d);

	if (c != NULL)
		ipc_conn_cork(c, on);
}

void
vl2d_link_push(struct vl2d_ctx *ctx)
{
	vl2d_link_cork(ctx, false);
	vl2d_link_cork(ctx, true);
}

const struct identity *
vl2d_identity(struct vl2d_ctx *ctx, uint64_t addr)
{
	size_t i;

	for (i = 0; i < ctx->nids; i++)
		if (ctx->ids[i].address == addr)
			return &ctx->ids[i];
	return NULL;
}

void
vl2d_whois(struct vl2d_ctx *ctx, uint64_t addr)
{
	struct ipc_conn *c = ipc_client_conn(ctx->vl1d);
	uint8_t b[5];

	if (c == NULL)
		return;
	be40_put(b, addr);
	if (ipc_send(c, IPC_MSG_VL2_WHOIS_REQ, ipc_conn_next_id(c), b,
	    sizeof(b)) == -1)
		log_warnx("cannot ask zt-vl1d for %010llx",
		    (unsigned long long)addr);
}

static void
vl2d_identity_store(struct vl2d_ctx *ctx, const struct identity *id)
{
	size_t i;

	for (i = 0; i < ctx->nids; i++)
		if (ctx->ids[i].address == id->address)
			break;
	if (i == VL2D_IDCACHE_MAX) {
		/* oldest out: controllers are asked again when needed */
		identity_clear(&ctx->ids[0]);
		memmove(&ctx->ids[0], &ctx->ids[1],
		    (VL2D_IDCACHE_MAX - 1) * sizeof(ctx->ids[0]));
		i = VL2D_IDCACHE_MAX - 1;
	} else if (i == ctx->nids)
		ctx->nids++;
	identity_copy(&ctx->ids[i], id, false);
}

/* identities zt-vl1d knows (it authenticated packets from each) */
static int
vl2d_on_whois_reply(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	struct identity id;

	while (rbuf_remaining(&m->body) > 0) {
		memset(&id, 0, sizeof(id));
		if (identity_deserialize(&id, &m->body) == -1)
			return -1;
		if (identity_has_private(&id)) {
			identity_clear(&id);
			return -1;
		}
		vl2d_identity_store(ctx, &id);
		vl2d_net_identity(ctx, &id);
		identity_clear(&id);
	}
	vl2d_link_flush(ctx);
	return 0;
}

/* a batch of (u40 source, u8 flags, bytes16 packet) */
static int
vl2d_on_recv(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	const uint8_t *pkt;
	uint64_t src;
	uint8_t flags;
	size_t len;

	while (rbuf_remaining(&m->body) > 0) {
		if (rbuf_get_u40(&m->body, &src) == -1 ||
		    rbuf_get_u8(&m->body, &flags) == -1 ||
		    ipc_get_bytes16(&m->body, VL2D_MAX_PACKET, &pkt, &len) ==
		    -1)
			return -1;
		vl2d_net_packet(ctx, src, pkt, len);
	}
	vl2d_link_flush(ctx);
	return 0;
}

/* SELF (our address, first thing), peers up and down (network.c) */
static int
vl2d_on_peer_event(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;

	if (vl2d_nets_peer_events(ctx, &m->body) == -1)
		return -1;
	vl2d_link_flush(ctx);
	return 0;
}

static void
vl2d_vl1_up(struct ipc_conn *c, void *arg)
{
	struct vl2d_ctx *ctx = arg;

	log_info("connected to zt-vl1d");
	/* the data path: many frames per syscall, drained per wake-up */
	if (ipc_conn_set_batch(c, VL2D_IPC_BATCH) == -1)
		log_warn("zt-vl1d link: no batching");
	vl2d_nets_vl1_up(ctx);
	vl2d_link_flush(ctx);
}

static void
vl2d_vl1_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	log_info("zt-vl1d link down: %s", ipc_err_str(e));
	/* its queue went with it; frames are dropped until it is back */
	vl2d_nets_tap_pause(arg, false);
}

/* backpressure: zt-vl1d does not keep up, TAP reads wait */
static void
vl2d_vl1_high(struct ipc_conn *c, void *arg)
{
	log_debug("zt-vl1d's queue is full: TAP reads paused");
	vl2d_nets_tap_pause(arg, true);
}

static void
vl2d_vl1_low(struct ipc_conn *c, void *arg)
{
	vl2d_nets_tap_pause(arg, false);
}

static const struct ipc_handler vl2d_vl1_handlers[] = {
	{ IPC_MSG_VL2_RECV, vl2d_on_recv },
	{ IPC_MSG_VL2_WHOIS_REPLY, vl2d_on_whois_reply },
	{ IPC_MSG_VL2_PEER_EVENT, vl2d_on_peer_event },
	{ IPC_MSG_VL2_API_REQ, vl2d_on_api },
	{ 0, NULL },
};

struct ipc_conn *
vl2d_tapd_conn(struct vl2d_ctx *ctx)
{
	return ipc_client_conn(ctx->tapd);
}

static void
vl2d_dev_ref(const struct vl2d_net *n, struct tapd_dev_ref *r)
{
	memset(r, 0, sizeof(*r));
	r->nwid = n->nwid;
	snprintf(r->ifname, sizeof(r->ifname), "%s", n->ifname);
}

int
vl2d_tap_open(struct vl2d_net *n)
{
	struct ipc_conn *c = vl2d_tapd_conn(n->ctx);
	struct tapd_open_req r;
	uint8_t buf[64];
	struct wbuf w;

	if (c == NULL || n->tap_asked || n->nc == NULL || n->mac == 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.nwid = n->nwid;
	r.mac = n->mac;
	r.mtu = (uint16_t)n->nc->mtu;
	/* super-frames in, joined frames out: cut and checked in frame.c */
	n->vnet_asked = !n->ctx->cfg.no_offload;
	if (n->vnet_asked)
		r.flags = TAPD_OPEN_VNET_HDR;
	n->open_id = ipc_conn_next_id(c);
	wbuf_init(&w, buf, sizeof(buf));
	if (tapd_open_req_put(&w, &r) == -1 || ipc_send_wbuf(c,
	    IPC_MSG_TAP_OPEN_REQ, n->open_id, &w) == -1)
		return -1;
	n->tap_asked = true;
	return 0;
}

void
vl2d_tap_configure(struct vl2d_net *n)
{
	struct ipc_conn *c = vl2d_tapd_conn(n->ctx);
	struct tapd_routes_req *rr;
	struct tapd_addrs_req ar;
	struct tapd_link_req lr;
	struct wbuf w;
	size_t i;

	if (c == NULL || n->nc == NULL || n->tap_fd == -1)
		return;
	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		return;
	wbuf_init_dynamic(&w, 32768);
	vl2d_dev_ref(n, &lr.dev);
	lr.mtu = (uint16_t)n->nc->mtu;
	lr.up = true;
	if (tapd_link_req_put(&w, &lr) == -1 || ipc_send_wbuf(c,
	    IPC_MSG_TAP_SET_LINK, ipc_conn_next_id(c), &w) == -1)
		goto fail;
	wbuf_reset(&w);
	vl2d_dev_ref(n, &ar.dev);
	ar.n = (unsigned int)vl2d_net_addrs(n, ar.addrs, TAPD_ADDRS_MAX);
	if (tapd_addrs_req_put(&w, &ar) == -1 || ipc_send_wbuf(c,
	    IPC_MSG_TAP_SET_ADDRS, ipc_conn_next_id(c), &w) == -1)
		goto fail;
	wbuf_reset(&w);
	vl2d_dev_ref(n, &rr->dev);
	for (i = 0; i < n->nc->nroutes && rr->n < TAPD_ROUTES_MAX; i++) {
		rr->routes[rr->n].target = n->nc->routes[i].target;
		rr->routes[rr->n].via = n->nc->routes[i].via;
		rr->n++;
	}
	if (tapd_routes_req_put(&w, rr) == -1 || ipc_send_wbuf(c,
	    IPC_MSG_TAP_SET_ROUTES, ipc_conn_next_id(c), &w) == -1)
		goto fail;
	wbuf_free(&w);
	free(rr);
	return;
fail:
	log_warnx("network %016llx: cannot ask zt-tapd to configure %s",
	    (unsigned long long)n->nwid, n->ifname);
	wbuf_free(&w);
	free(rr);
}

void
vl2d_tap_close(struct vl2d_net *n)
{
	struct ipc_conn *c = vl2d_tapd_conn(n->ctx);
	struct tapd_dev_ref r;
	uint8_t buf[64];
	struct wbuf w;

	if (c == NULL || n->ifname[0] == '\0')
		return;
	vl2d_dev_ref(n, &r);
	wbuf_init(&w, buf, sizeof(buf));
	if (tapd_dev_ref_put(&w, &r) == -1 || ipc_send_wbuf(c,
	    IPC_MSG_TAP_CLOSE, ipc_conn_next_id(c), &w) == -1)
		log_warnx("network %016llx: cannot ask zt-tapd to delete %s",
		    (unsigned long long)n->nwid, n->ifname);
}

static int
vl2d_on_tap_open(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	struct tapd_open_reply r;
	struct vl2d_net *n;
	int fd;

	if (tapd_open_reply_get(&m->body, &r) == -1 ||
	    (fd = ipc_msg_take_fd(m, 0)) == -1)
		return -1;
	if ((n = vl2d_net_find(ctx, r.nwid)) == NULL) {
		/* left meanwhile: the device goes too */
		close(fd);
		return 0;
	}
	vl2d_net_tap_opened(n, fd, r.ifname, r.ifindex);
	return 0;
}

/* the answers to our requests: code 0 done, else an errno */
static int
vl2d_on_tap_error(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	char text[256];
	uint32_t code;
	size_t i;

	if (ipc_error_get(&m->body, &code, text, sizeof(text)) == -1)
		return -1;
	if (code == 0)
		return 0;
	/* a refused open fails the network whose open is outstanding */
	for (i = 0; i < VL2D_MAX_NETWORKS; i++)
		if (ctx->nets[i].used && ctx->nets[i].tap_asked &&
		    ctx->nets[i].open_id == m->id) {
			vl2d_net_tap_failed(&ctx->nets[i], (int)code);
			break;
		}
	log_warnx("zt-tapd refused request %u: %s (%u)", (unsigned int)m->id,
	    text, (unsigned int)code);
	return 0;
}

static int
vl2d_on_tap_mcast(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	struct tapd_mcast_report *r;
	struct vl2d_net *n;
	int rc = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return rbuf_skip(&m->body, rbuf_remaining(&m->body));
	if (tapd_mcast_report_get(&m->body, r) == -1)
		goto out;
	rc = 0;
	if ((n = vl2d_net_find(ctx, r->dev.nwid)) != NULL &&
	    strcmp(n->ifname, r->dev.ifname) == 0)
		vl2d_net_tap_groups(n, r->groups, r->n);
	vl2d_link_flush(ctx);
out:
	free(r);
	return rc;
}

static void
vl2d_tapd_up(struct ipc_conn *c, void *arg)
{
	struct vl2d_ctx *ctx = arg;

	log_info("connected to zt-tapd");
	vl2d_nets_tapd_up(ctx);
}

static void
vl2d_tapd_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	size_t i;

	log_info("zt-tapd link down: %s", ipc_err_str(e));
	for (i = 0; i < VL2D_MAX_NETWORKS; i++)
		ctx->nets[i].tap_asked = false;
}

static const struct ipc_handler vl2d_tapd_handlers[] = {
	{ IPC_MSG_TAP_OPEN_REPLY, vl2d_on_tap_open },
	{ IPC_MSG_ERROR, vl2d_on_tap_error },
	{ IPC_MSG_TAP_MCAST_REPORT, vl2d_on_tap_mcast },
	{ 0, NULL },
};

static const struct identity *
vl2d_lookup(void *arg, uint64_t addr)
{
	return vl2d_identity(arg, addr);
}

int
vl2d_link_open(struct vl2d_ctx *ctx)
{
	static const struct ipc_callbacks vl1_cb = {
		.handlers = vl2d_vl1_handlers,
		.up = vl2d_vl1_up,
		.down = vl2d_vl1_down,
		.high = vl2d_vl1_high,
		.low = vl2d_vl1_low,
	};
	static const struct ipc_callbacks tapd_cb = {
		.handlers = vl2d_tapd_handlers,
		.up = vl2d_tapd_up,
		.down = vl2d_tapd_down,
	};
	char path[PATH_MAX];

	if ((ctx->ids = calloc(VL2D_IDCACHE_MAX, sizeof(*ctx->ids))) == NULL)
		return -1;
	ctx->lookup.fn = vl2d_lookup;
	ctx->lookup.arg = ctx;
	wbuf_init_dynamic(&ctx->out, IPC_PAYLOAD_MAX);
	snprintf(path, sizeof(path), "%s/zt-vl1d-ipc.sock", ctx->cfg.rundir);
	if ((ctx->vl1d = ipc_client_new(ctx->ipc, path, IPC_ROLE_VL1D,
	    &vl1_cb, ctx)) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/zt-tapd-ipc.sock", ctx->cfg.rundir);
	if ((ctx->tapd = ipc_client_new(ctx->ipc, path, IPC_ROLE_TAPD,
	    &tapd_cb, ctx)) == NULL)
		return -1;
	/* a restarted daemon is found again within a second */
	ipc_client_set_backoff(ctx->vl1d, 50, 1000);
	ipc_client_set_backoff(ctx->tapd, 50, 1000);
	return 0;
}
