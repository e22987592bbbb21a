/*
 * zt-vl2d's data path: the glue between the TAP, zt-vl1d and the pure
 * modules of lib zt_vl2.  switch.c decides unicast and bridging with
 * the rules, multicast.c announces, gathers and picks recipients,
 * membership.c holds credentials and answers the gate; here they get
 * time, identities, the TAP fd and the VL2_SEND batch.
 */
#include <sys/uio.h>

#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "offload.h"
#include "vl2d.h"

/*
 * A TAP with a virtio header (TAPD_OPEN_VNET_HDR): the kernel hands
 * over TCP/UDP super-frames that offload_input cuts to the network MTU,
 * and frames from peers are joined again (offload_gro_*) so that the
 * host's stack takes one packet per flow and batch instead of dozens.
 */
struct vl2d_offload {
	struct offload_ctx	 oc;
	struct offload_gro	 gro;
	bool			 gro_on;
	uint32_t		 offloads;	/* TUN_F_* enabled */
};

/* what a super-frame may carry: checksums, TSO, ECN, USO where known */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#define TUN_F_USO6	0x40
#endif
#define VL2D_OFFLOADS	(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | \
	TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6)
#define VL2D_TAP_IN	(OFFLOAD_VNET_HDR_MRG_LEN + 65535)

static struct log_drops rx_drops = LOG_DROPS_INIT("frame from the network");
static struct log_drops tx_drops = LOG_DROPS_INIT("frame from the TAP");

static void
vl2d_cred_send(void *arg, uint64_t nwid, uint64_t to, const uint8_t *p,
    size_t len)
{
	vl2d_send(arg, to, VL2D_VERB_NETWORK_CREDENTIALS, p, len);
}

/* §6.8: our credentials go ahead of the first frame, and when asked */
static void
vl2d_frame_push(struct vl2d_net *n, uint64_t to, enum mship_push_why why)
{
	if (n->ms != NULL && mship_push_if_due(n->ms, to, vl2d_now(n->ctx),
	    why, vl2d_cred_send, n->ctx) == -1)
		log_debug("network %016llx: no credentials for %010llx",
		    (unsigned long long)n->nwid, (unsigned long long)to);
}

/* ---- what switch.c asks of the daemon ---- */

static void
vl2d_sw_send(void *arg, struct sw_net *sw, uint64_t to, uint8_t verb,
    const uint8_t *head, size_t hlen, const uint8_t *data, size_t dlen,
    bool compress)
{
	struct vl2d_net *n = arg;
	uint8_t b[VL2D_MAX_PACKET];

	/* zt-vl1d compresses what pays; the flag is 1.14.1's choice only */
	if (hlen + dlen > sizeof(b)) {
		n->tx_dropped++;
		return;
	}
	/* an ERROR or OK reply has a head and no data (data may be NULL) */
	memcpy(b, head, hlen);
	if (dlen > 0)
		memcpy(b + hlen, data, dlen);
	if (vl2d_send(n->ctx, to, verb, b, hlen + dlen) == 0 &&
	    (verb == VL2D_VERB_FRAME || verb == VL2D_VERB_EXT_FRAME))
		n->tx_frames++;
}

/* writes the frames g joined, if any, as one super-frame */
static int
vl2d_tap_gro_flush(struct vl2d_net *n)
{
	const uint8_t *p;
	size_t len;

	if ((p = offload_gro_flush(&n->off->gro, &len)) == NULL)
		return 0;
	return write(n->tap_fd, p, len) == -1 ? -1 : 0;
}

/* one frame to the TAP, behind a virtio header if the TAP has one */
static int
vl2d_tap_write(struct vl2d_net *n, const uint8_t *f, size_t len)
{
	struct vl2d_offload *o = n->off;
	uint8_t hdr[OFFLOAD_VNET_HDR_MRG_LEN];
	struct iovec iov[2];
	int rc = 0;

	if (o == NULL)
		return write(n->tap_fd, f, len) == -1 ? -1 : 0;
	if (o->gro_on) {
		switch (offload_gro_add(&o->gro, f, len)) {
		case OFFLOAD_GRO_HELD:
			n->ctx->gro_pending = true;
			return 0;
		case OFFLOAD_GRO_FLUSH:
			rc = vl2d_tap_gro_flush(n);
			/* an empty g takes any candidate */
			if (offload_gro_add(&o->gro, f, len) ==
			    OFFLOAD_GRO_HELD) {
				n->ctx->gro_pending = true;
				return rc;
			}
			break;
		case OFFLOAD_GRO_PASS:
			rc = vl2d_tap_gro_flush(n);
			break;
		}
		if (rc == -1)
			log_drop(&rx_drops, "%s: joined frames: %s",
			    n->ifname, strerror(errno));
	}
	/* zeroed: the kernel checks the checksums of a lone frame */
	offload_tap_hdr(hdr, o->oc.vnet_hdr_len, false);
	iov[0].iov_base = hdr;
	iov[0].iov_len = o->oc.vnet_hdr_len;
	iov[1].iov_base = (void *)(uintptr_t)f;
	iov[1].iov_len = len;
	return writev(n->tap_fd, iov, 2) == -1 ? -1 : 0;
}

void
vl2d_frame_tap_flush(struct vl2d_ctx *ctx)
{
	struct vl2d_net *n;
	size_t i;

	if (!ctx->gro_pending)
		return;
	ctx->gro_pending = false;
	for (i = 0; i < VL2D_MAX_NETWORKS; i++) {
		n = &ctx->nets[i];
		if (n->used && n->off != NULL && n->tap_fd != -1 &&
		    vl2d_tap_gro_flush(n) == -1) {
			n->rx_dropped++;
			log_drop(&rx_drops, "%s: joined frames: %s",
			    n->ifname, strerror(errno));
		}
	}
}

int
vl2d_frame_tap_attach(struct vl2d_net *n, bool vnet)
{
	struct vl2d_ctx *ctx = n->ctx;
	struct vl2d_offload *o;
	uint16_t mtu;

	vl2d_frame_tap_detach(n);
	if (!vnet)
		return 0;
	/* shared by every TAP: one read is handled at a time */
	if (ctx->tap_in == NULL) {
		ctx->tap_in = malloc(VL2D_TAP_IN);
		ctx->off_buf = malloc(OFFLOAD_BYTES_MAX);
		ctx->off_frames = calloc(OFFLOAD_FRAMES_MAX,
		    sizeof(*ctx->off_frames));
		if (ctx->tap_in == NULL || ctx->off_buf == NULL ||
		    ctx->off_frames == NULL) {
			free(ctx->tap_in);
			free(ctx->off_buf);
			free(ctx->off_frames);
			ctx->tap_in = ctx->off_buf = NULL;
			ctx->off_frames = NULL;
			return -1;
		}
	}
	if ((o = malloc(sizeof(*o))) == NULL)
		return -1;
	memset(&o->oc, 0, sizeof(o->oc));
	mtu = n->nc != NULL ? (uint16_t)n->nc->mtu : NETCONF_MTU_MIN;
	/* tapd leaves TUNSETVNETHDRSZ at its default, struct virtio_net_hdr */
	offload_init(&o->oc, OFFLOAD_VNET_HDR_LEN, mtu);
	offload_gro_init(&o->gro, OFFLOAD_VNET_HDR_LEN);
	o->gro_on = !ctx->cfg.no_gro;
	/* refused: frames still come, whole, behind the header */
	if (offload_enable(n->tap_fd, VL2D_OFFLOADS, &o->offloads) == -1)
		log_warnx("network %016llx: %s: no offloads, frames go one "
		    "by one", (unsigned long long)n->nwid, n->ifname);
	n->off = o;
	return 0;
}

void
vl2d_frame_tap_detach(struct vl2d_net *n)
{
	free(n->off);
	n->off = NULL;
}

static void
vl2d_sw_deliver(void *arg, struct sw_net *sw, const uint8_t eth[SW_ETH_HEAD],
    const uint8_t *data, size_t len)
{
	struct vl2d_net *n = arg;
	uint8_t *f = n->ctx->wframe;

	if (n->tap_fd == -1 || SW_ETH_HEAD + len > sizeof(n->ctx->wframe)) {
		n->rx_dropped++;
		return;
	}
	memcpy(f, eth, SW_ETH_HEAD);
	if (len > 0)
		memcpy(f + SW_ETH_HEAD, data, len);
	if (vl2d_tap_write(n, f, SW_ETH_HEAD + len) == -1) {
		n->rx_dropped++;
		log_drop(&rx_drops, "%s: %s", n->ifname, strerror(errno));
		return;
	}
	n->rx_frames++;
}

static void
vl2d_sw_multicast(void *arg, struct sw_net *sw, int64_t now,
    const struct mac_group *g, uint64_t src_mac, uint16_t type,
    const uint8_t *data, size_t len)
{
	struct vl2d_net *n = arg;
	struct vl2_mc_send s;
	enum vl2_mc_result r;

	if (n->mcn == NULL)
		return;
	memset(&s, 0, sizeof(s));
	s.group = *g;
	/* switch.c says 0 for our own MAC; multicast.c wants the MAC */
	s.src = src_mac != 0 ? src_mac : n->mac;
	s.ethertype = type;
	s.data = data;
	s.len = len;
	if ((r = vl2_mc_send(&n->ctx->mc, n->mcn, &s, now)) != VL2_MC_ACCEPT)
		log_drop(&tx_drops, "network %016llx: multicast: %s",
		    (unsigned long long)n->nwid, vl2_mc_result_name(r));
}

static void
vl2d_sw_bridged_group(void *arg, struct sw_net *sw, int64_t now,
    const struct mac_group *g)
{
	struct vl2d_net *n = arg;
	struct mac_group *added = n->ctx->mc_added;
	int k;

	if (n->mcn != NULL && (k = vl2_mc_local_bridged(n->mcn, g, now,
	    added)) > 0)
		vl2_mc_like_emit(&n->ctx->mc, n->mcn, n->nwid >> 24, added,
		    (size_t)k);
}

static bool
vl2d_sw_may_send(void *arg, struct sw_net *sw, uint64_t peer, int64_t now)
{
	struct vl2d_net *n = arg;

	return n->ms != NULL &&
	    mship_peer_may_send(n->ms, peer, now) == MSHIP_GATE_ALLOW;
}

static void
vl2d_sw_peer_info(void *arg, struct sw_net *sw, uint64_t peer, int64_t now,
    struct sw_peer_info *pi)
{
	struct vl2d_net *n = arg;
	struct vl2d_ctx *ctx = n->ctx;

	memset(pi, 0, sizeof(*pi));
	if (n->ms == NULL)
		return;
	pi->ntags = mship_remote_tags(n->ms, peer, ctx->tags,
	    NETCONF_MAX_TAGS);
	pi->tags = ctx->tags;
	pi->ncaps = mship_remote_caps(n->ms, peer, ctx->caps,
	    NETCONF_MAX_CAPABILITIES);
	pi->caps = ctx->caps;
}

static bool
vl2d_sw_peer_owns(void *arg, struct sw_net *sw, uint64_t peer,
    enum rules_thing what, const uint8_t *thing)
{
	struct vl2d_net *n = arg;
	struct mship_owner o;

	if (n->ms == NULL)
		return false;
	o.st = n->ms;
	o.peer = peer;
	return mship_owns(&o, true, what, thing);
}

static void
vl2d_sw_push(void *arg, struct sw_net *sw, uint64_t peer, int64_t now)
{
	vl2d_frame_push(arg, peer, MSHIP_PUSH_BEFORE_SEND);
}

static const struct sw_io vl2d_sw_io = {
	.send = vl2d_sw_send,
	.deliver = vl2d_sw_deliver,
	.multicast = vl2d_sw_multicast,
	.bridged_group = vl2d_sw_bridged_group,
	.may_send = vl2d_sw_may_send,
	.peer_info = vl2d_sw_peer_info,
	.peer_owns = vl2d_sw_peer_owns,
	.push_credentials = vl2d_sw_push,
};

/* ---- what multicast.c sends ---- */

/*
 * A LIKE, GATHER or MULTICAST_FRAME copy.  A copy runs the outbound
 * rules for its recipient first (§8.3 step 5).  The roots are zt-vl1d's
 * to know: a LIKE or GATHER for VL2_MC_TO_ROOT goes out addressed to 0,
 * which zt-vl1d sends to every root (LIKE) or to the best one (GATHER).
 */
static void
vl2d_mc_emit(void *arg, const struct vl2_mc_out *o)
{
	struct vl2d_ctx *ctx = arg;
	const struct vl2_mc_frame *f = o->frame;
	struct vl2d_net *n;

	if ((n = vl2d_net_find(ctx, o->nwid)) == NULL)
		return;
	if (o->to == VL2_MC_TO_ROOT) {
		if (o->verb == VL2_MC_VERB_LIKE ||
		    o->verb == VL2_MC_VERB_GATHER)
			vl2d_send(ctx, 0, o->verb, o->payload, o->len);
		return;
	}
	if (o->verb == VL2_MC_VERB_FRAME && f != NULL) {
		if (!n->sw_ready || !sw_filter_recipient(&n->sw, vl2d_now(ctx),
		    o->to, f->src != 0 ? f->src : n->mac, f->group.mac,
		    f->ethertype, f->data, f->len))
			return;
		vl2d_frame_push(n, o->to, MSHIP_PUSH_BEFORE_SEND);
		n->tx_frames++;
	}
	vl2d_send(ctx, o->to, o->verb, o->payload, o->len);
}

void
vl2d_frame_init(struct vl2d_ctx *ctx)
{
	struct vl2_mc_io io = { vl2d_mc_emit, ctx };
	uint64_t seed;

	seed = (uint64_t)vl2d_now(ctx) ^ (uint64_t)getpid() << 32;
	vl2_mc_init(&ctx->mc, NULL, &io, seed);
}

void
vl2d_frame_attach(struct vl2d_net *n)
{
	struct vl2d_ctx *ctx = n->ctx;

	if (n->mcn == NULL && (n->mcn = vl2_mc_net_add(&ctx->mc, n->nwid)) ==
	    NULL)
		log_warnx("network %016llx: no memory for multicast",
		    (unsigned long long)n->nwid);
	if (n->sw_ready || ctx->self == 0)
		return;
	if (sw_net_init(&n->sw, n->nwid, ctx->self, &vl2d_sw_io, n, 0, 0) ==
	    -1) {
		log_warnx("network %016llx: no memory for the switch",
		    (unsigned long long)n->nwid);
		return;
	}
	n->sw_ready = true;
	vl2d_frame_config(n);
}

void
vl2d_frame_detach(struct vl2d_net *n)
{
	if (n->sw_ready)
		sw_net_free(&n->sw);
	n->sw_ready = false;
	if (n->mcn != NULL)
		vl2_mc_net_remove(&n->ctx->mc, n->mcn);
	n->mcn = NULL;
}

/* the LIKE targets of §8.2 besides the roots: controller, specialists */
static bool
vl2d_frame_is_upstream(const struct vl2d_net *n, uint64_t a)
{
	size_t i;

	for (i = 0; i < n->mcn->conf.nupstream; i++)
		if (n->mcn->conf.upstream[i] == a)
			return true;
	return false;
}

/* one member's LIKEs (§8.2): to members that pass the gate, once */
struct vl2d_like_pass {
	struct vl2d_net		*n;
	const struct mac_group	*g;	/* NULL: all, when 60 s are due */
	size_t			 ng;
	int64_t			 now;
};

static void
vl2d_frame_like_member(void *arg, uint64_t peer)
{
	struct vl2d_like_pass *lp = arg;
	struct vl2d_net *n = lp->n;

	if (peer == n->ctx->self || vl2d_frame_is_upstream(n, peer) ||
	    mship_peer_may_send(n->ms, peer, lp->now) != MSHIP_GATE_ALLOW)
		return;
	if (lp->g != NULL)
		vl2_mc_like_emit(&n->ctx->mc, n->mcn, peer, lp->g, lp->ng);
	else if (mship_like_due(n->ms, peer, lp->now))
		vl2_mc_like_emit(&n->ctx->mc, n->mcn, peer, NULL, 0);
	else
		return;
	n->member_likes++;
}

/*
 * New groups are announced at once (§8.2): to every root (zt-vl1d's
 * upstream, address 0), the controller and specialists, every member.
 */
static void
vl2d_frame_announce_added(struct vl2d_net *n, const struct mac_group *g,
    int k)
{
	struct vl2d_like_pass lp = { n, g, (size_t)k, vl2d_now(n->ctx) };
	size_t i;

	if (k <= 0 || n->nc == NULL || n->mcn == NULL)
		return;
	vl2_mc_like_emit(&n->ctx->mc, n->mcn, VL2_MC_TO_ROOT, g, (size_t)k);
	for (i = 0; i < n->mcn->conf.nupstream; i++)
		vl2_mc_like_emit(&n->ctx->mc, n->mcn, n->mcn->conf.upstream[i],
		    g, (size_t)k);
	if (n->ms != NULL)
		mship_each_peer(n->ms, vl2d_frame_like_member, &lp);
}

void
vl2d_frame_config(struct vl2d_net *n)
{
	struct mac_group *added = n->ctx->mc_added;
	struct inetaddr ips[NETCONF_MAX_STATIC_IPS];
	const struct netconf *nc = n->nc;
	struct vl2_mc_conf c;
	uint64_t a;
	size_t i, nips;
	int k;

	if (n->sw_ready && sw_net_set_config(&n->sw, nc) == -1)
		log_warnx("network %016llx: the switch refused the config",
		    (unsigned long long)n->nwid);
	if (n->off != NULL && nc != NULL)
		offload_set_mtu(&n->off->oc, (uint16_t)nc->mtu);
	if (n->mcn == NULL || nc == NULL || n->ctx->self == 0)
		return;
	memset(&c, 0, sizeof(c));
	c.self = n->ctx->self;
	c.limit = nc->multicast_limit;
	c.broadcast = (nc->flags & NETCONF_F_ENABLE_BROADCAST) != 0;
	for (i = 0; i < nc->nspecialists; i++) {
		a = nc->specialists[i] & NETCONF_SPECIALIST_ADDRESS_MASK;
		if (a == c.self) {
			c.self_bridge = (nc->specialists[i] &
			    NETCONF_SPECIALIST_ACTIVE_BRIDGE) != 0;
			continue;
		}
		if ((nc->specialists[i] & NETCONF_SPECIALIST_ACTIVE_BRIDGE) &&
		    c.nbridges < VL2_MC_BRIDGES_MAX)
			c.bridges[c.nbridges++] = a;
		if ((nc->specialists[i] & (NETCONF_SPECIALIST_ANCHOR |
		    NETCONF_SPECIALIST_MULTICAST_REPLICATOR)) &&
		    c.nupstream < VL2_MC_GATHER_TARGETS)
			c.upstream[c.nupstream++] = a;
	}
	/* the controller first: it answers gathers for its members */
	if (c.nupstream == VL2_MC_GATHER_TARGETS)
		c.nupstream--;
	memmove(&c.upstream[1], &c.upstream[0],
	    c.nupstream * sizeof(c.upstream[0]));
	c.upstream[0] = n->nwid >> 24;
	c.nupstream++;
	if ((k = vl2_mc_net_configure(&n->ctx->mc, n->mcn, &c, added)) > 0)
		vl2d_frame_announce_added(n, added, k);
	nips = vl2d_net_addrs(n, ips, NETCONF_MAX_STATIC_IPS);
	if ((k = vl2_mc_local_addrs(n->mcn, ips, nips, added)) > 0)
		vl2d_frame_announce_added(n, added, k);
}

void
vl2d_frame_tap_groups(struct vl2d_net *n, const struct mac_group *g,
    size_t cnt)
{
	struct mac_group *added = n->ctx->mc_added;
	int k;

	if (n->mcn != NULL && (k = vl2_mc_local_report(n->mcn, g, cnt,
	    added)) > 0)
		vl2d_frame_announce_added(n, added, k);
}

/* ---- frames ---- */

/* one frame from the TAP through the rules to its recipients */
static void
vl2d_frame_out(struct vl2d_net *n, int64_t now, const uint8_t *f,
    size_t len)
{
	enum sw_result r;

	if (!n->sw_ready) {
		n->tx_dropped++;
		return;
	}
	r = sw_outbound(&n->sw, now, f, len);
	if (sw_result_is_drop(r)) {
		n->tx_dropped++;
		log_drop(&tx_drops, "%s: %s", n->ifname, sw_result_name(r));
	}
}

/*
 * A TAP with a virtio header: each read is up to 64 KiB, a super-frame
 * cut into frames within the MTU, each through the rules on its own.
 * Fewer reads carry more, so the cap on reads per wake-up is lower.
 */
static void
vl2d_frame_tap_read_vnet(struct vl2d_net *n)
{
	struct vl2d_ctx *ctx = n->ctx;
	int64_t now = vl2d_now(ctx);
	struct offload_out out;
	unsigned int i;
	size_t k;
	ssize_t len;

	out.buf = ctx->off_buf;
	out.cap = OFFLOAD_BYTES_MAX;
	out.frames = ctx->off_frames;
	out.max_frames = OFFLOAD_FRAMES_MAX;
	for (i = 0; i < 512; i++) {
		len = read(n->tap_fd, ctx->tap_in, VL2D_TAP_IN);
		if (len == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_drop(&tx_drops, "%s: %s", n->ifname,
				    strerror(errno));
			return;
		}
		if (len == 0)
			return;
		/* a drop is counted and logged by offload_input */
		if (offload_input(&n->off->oc, ctx->tap_in, (size_t)len,
		    &out) != OFFLOAD_OK) {
			n->tx_dropped++;
			continue;
		}
		for (k = 0; k < out.n; k++)
			vl2d_frame_out(n, now, out.frames[k].p,
			    out.frames[k].len);
		/* about VL2D_IPC_BATCH full VL2_SENDs: on their way */
		if (i % 16 == 15)
			vl2d_link_push(ctx);
		/* zt-vl1d's queue is full: the rest waits in the kernel */
		if (ctx->vl1_blocked)
			return;
	}
}

void
vl2d_frame_tap_read(struct vl2d_net *n)
{
	int64_t now = vl2d_now(n->ctx);
	uint8_t *f = n->ctx->frame;
	unsigned int i;
	ssize_t len;

	if (n->off != NULL) {
		vl2d_frame_tap_read_vnet(n);
		return;
	}
	/* drained fully, so the whole batch leaves in one VL2_SEND */
	for (i = 0; i < 4096; i++) {
		len = read(n->tap_fd, f, sizeof(n->ctx->frame));
		if (len == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_drop(&tx_drops, "%s: %s", n->ifname,
				    strerror(errno));
			return;
		}
		if (len == 0)
			return;
		vl2d_frame_out(n, now, f, (size_t)len);
		if (i % 256 == 255)
			vl2d_link_push(n->ctx);
		/* zt-vl1d's queue is full: the rest waits in the kernel */
		if (n->ctx->vl1_blocked)
			return;
	}
}

/* §2.1, §6.7: 0 when the sender may send; the switch answers denials */
static int
vl2d_frame_gate(struct vl2d_net *n, uint64_t src, const uint8_t *pkt,
    size_t len)
{
	size_t i;

	if (mship_peer_may_send(n->ms, src, vl2d_now(n->ctx)) !=
	    MSHIP_GATE_NEED_IDENTITY)
		return 0;
	/* retried as soon as zt-vl1d names the sender, asked once */
	for (i = 0; i < n->npending; i++)
		if (n->pending[i].wait == src)
			break;
	if (i == n->npending)
		vl2d_whois(n->ctx, src);
	vl2d_net_pending_add(n, src, src, pkt, len);
	return -1;
}

static void
vl2d_frame_need_cert(struct vl2d_net *n, uint64_t src, const uint8_t *pkt)
{
	uint8_t e[1 + 8 + 1 + 8];

	e[0] = pkt[VL2D_PKT_IDX_VERB] & VL2D_PKT_VERB_MASK;
	memcpy(e + 1, pkt + VL2D_PKT_IDX_ID, 8);
	e[9] = VL2D_ERR_NEED_MEMBERSHIP_CERTIFICATE;
	be64_put(e + 10, n->nwid);
	vl2d_send(n->ctx, src, VL2D_VERB_ERROR, e, sizeof(e));
}

/*
 * §2.1: a frame from a member whose COM we lack waits for it (the
 * ERROR that asks for it has gone out); 1 held.
 */
static int
vl2d_frame_hold(struct vl2d_net *n, uint64_t src, const uint8_t *pkt,
    size_t len, int64_t now)
{
	int rc = mship_hold(n->ms, src, pkt, len, now);

	if (rc == 1)
		log_debug("network %016llx: frame from %010llx waits for "
		    "its COM", (unsigned long long)n->nwid,
		    (unsigned long long)src);
	else if (rc == -1)
		log_drop(&rx_drops, "network %016llx: no room to keep a "
		    "frame from %010llx until its COM",
		    (unsigned long long)n->nwid, (unsigned long long)src);
	return rc;
}

static void
vl2d_held_deliver(void *arg, uint64_t src, const uint8_t *pkt, size_t len)
{
	struct vl2d_net *n = arg;

	vl2d_frame_packet(n, src, pkt[VL2D_PKT_IDX_VERB] & VL2D_PKT_VERB_MASK,
	    pkt, len);
}

static void
vl2d_held_ask(void *arg, uint64_t src, const uint8_t *pkt, size_t len)
{
	(void)len;
	/* as 1.14.1: every failed retry asks again */
	vl2d_frame_need_cert(arg, src, pkt);
}

/* held frames: delivered once their COM passed, expired, asked again */
static void
vl2d_frame_held_run(struct vl2d_net *n, int64_t now)
{
	const struct mship_held_ops ops = {
		.deliver = vl2d_held_deliver,
		.ask = vl2d_held_ask,
		.arg = n,
	};

	if (n->ms != NULL && mship_held_count(n->ms) > 0)
		mship_held_run(n->ms, now, &ops);
}

/* §3.9 */
static void
vl2d_frame_multicast_in(struct vl2d_net *n, uint64_t src, const uint8_t *pkt,
    size_t len)
{
	struct vl2d_ctx *ctx = n->ctx;
	int64_t now = vl2d_now(ctx);
	uint8_t okb[VL2_MC_OK_PAYLOAD_MAX + 9];
	struct vl2_mc_frame f;
	enum vl2_mc_result r;
	struct wbuf ok;
	enum sw_result sr;
	bool bridged = false;

	if (vl2_mc_frame_parse(pkt + VL2D_PKT_IDX_PAYLOAD,
	    len - VL2D_PKT_IDX_PAYLOAD, &f) == -1) {
		n->rx_dropped++;
		log_drop(&rx_drops, "malformed MULTICAST_FRAME from %010llx",
		    (unsigned long long)src);
		return;
	}
	if (!vl2d_sw_may_send(n, NULL, src, now)) {
		vl2d_frame_need_cert(n, src, pkt);
		if (vl2d_frame_hold(n, src, pkt, len, now) == 1)
			return;
		n->rx_dropped++;
		log_drop(&rx_drops, "network %016llx: %010llx has no valid "
		    "membership", (unsigned long long)n->nwid,
		    (unsigned long long)src);
		return;
	}
	/* the answer goes after the OK's in-re verb and packet id */
	okb[0] = VL2D_VERB_MULTICAST_FRAME;
	memcpy(okb + 1, pkt + VL2D_PKT_IDX_ID, 8);
	wbuf_init(&ok, okb + 9, sizeof(okb) - 9);
	r = vl2_mc_frame_receive(&ctx->mc, n->mcn, src, sw_is_bridge(&n->sw,
	    src), &f, now, &bridged, &ok);
	if (r == VL2_MC_ACCEPT) {
		sr = sw_inbound_multicast(&n->sw, now, src, f.src != 0 ?
		    f.src : mac_from_address(src, n->nwid), f.group.mac,
		    f.ethertype, f.data, f.len);
		if (sw_result_is_drop(sr)) {
			n->rx_dropped++;
			log_drop(&rx_drops, "network %016llx: multicast from "
			    "%010llx: %s", (unsigned long long)n->nwid,
			    (unsigned long long)src, sw_result_name(sr));
		}
	} else if (r != VL2_MC_DROP_NO_PAYLOAD) {
		n->rx_dropped++;
		log_drop(&rx_drops, "network %016llx: multicast from "
		    "%010llx: %s", (unsigned long long)n->nwid,
		    (unsigned long long)src, vl2_mc_result_name(r));
	}
	if (!wbuf_failed(&ok) && wbuf_len(&ok) > 0)
		vl2d_send(ctx, src, VL2D_VERB_OK, okb, 9 + wbuf_len(&ok));
}

/* §3.3: LIKEs count from members that pass the gate */
static bool
vl2d_like_allowed(void *arg, uint64_t nwid)
{
	struct vl2d_ctx *ctx = ((struct vl2d_net *)arg)->ctx;
	struct vl2d_net *n = vl2d_net_find(ctx, nwid);

	return n != NULL && n->ms != NULL && mship_peer_may_send(n->ms,
	    ctx->like_from, vl2d_now(ctx)) == MSHIP_GATE_ALLOW;
}

/* §3.8: answered for members that pass the gate */
static void
vl2d_frame_gather_in(struct vl2d_net *n, uint64_t src, const uint8_t *pkt,
    size_t len)
{
	uint8_t b[VL2_MC_OK_PAYLOAD_MAX + 9];
	struct vl2_mc_gather g;
	struct wbuf w;

	if (vl2_mc_gather_parse(pkt + VL2D_PKT_IDX_PAYLOAD,
	    len - VL2D_PKT_IDX_PAYLOAD, &g) == -1 ||
	    !vl2d_sw_may_send(n, NULL, src, vl2d_now(n->ctx)))
		return;
	/* the answer goes after the OK's in-re verb and packet id */
	b[0] = VL2D_VERB_MULTICAST_GATHER;
	memcpy(b + 1, pkt + VL2D_PKT_IDX_ID, 8);
	wbuf_init(&w, b + 9, sizeof(b) - 9);
	if (vl2_mc_gather_answer(&n->ctx->mc, n->mcn, src, &g, &w) ==
	    VL2_MC_ACCEPT && !wbuf_failed(&w))
		vl2d_send(n->ctx, src, VL2D_VERB_OK, b, 9 + wbuf_len(&w));
}

void
vl2d_frame_packet(struct vl2d_net *n, uint64_t src, uint8_t verb,
    const uint8_t *pkt, size_t len)
{
	struct vl2d_ctx *ctx = n->ctx;
	int64_t now = vl2d_now(ctx);
	const uint8_t *p = pkt + VL2D_PKT_IDX_PAYLOAD;
	size_t plen = len - VL2D_PKT_IDX_PAYLOAD;
	uint64_t pid = be64_get(pkt + VL2D_PKT_IDX_ID);
	enum sw_result r;

	if (!n->sw_ready || n->ms == NULL || n->mcn == NULL) {
		n->rx_dropped++;
		log_drop(&rx_drops, "network %016llx: verb 0x%02x from "
		    "%010llx before a config", (unsigned long long)n->nwid,
		    verb, (unsigned long long)src);
		return;
	}
	switch (verb) {
	case VL2D_VERB_FRAME:
	case VL2D_VERB_EXT_FRAME:
		if (vl2d_frame_gate(n, src, pkt, len) == -1)
			return;
		r = verb == VL2D_VERB_FRAME ?
		    sw_inbound_frame(&n->sw, now, src, pid, p, plen) :
		    sw_inbound_ext_frame(&n->sw, now, src, pid, p, plen);
		/* refused at the gate (ERROR sent): kept if only the COM
		   is missing */
		if (r == SW_IN_GATE && vl2d_frame_hold(n, src, pkt, len,
		    now) == 1)
			return;
		if (sw_result_is_drop(r)) {
			n->rx_dropped++;
			log_drop(&rx_drops, "network %016llx: from %010llx: "
			    "%s", (unsigned long long)n->nwid,
			    (unsigned long long)src, sw_result_name(r));
		}
		/* an inline COM may let earlier frames through */
		if (verb == VL2D_VERB_EXT_FRAME && r != SW_IN_GATE)
			vl2d_frame_held_run(n, now);
		return;
	case VL2D_VERB_MULTICAST_FRAME:
		if (vl2d_frame_gate(n, src, pkt, len) == 0)
			vl2d_frame_multicast_in(n, src, pkt, len);
		return;
	case VL2D_VERB_MULTICAST_LIKE:
		ctx->like_from = src;
		vl2_mc_like_receive(&ctx->mc, src, p, plen, now,
		    vl2d_like_allowed, n);
		return;
	case VL2D_VERB_MULTICAST_GATHER:
		vl2d_frame_gather_in(n, src, pkt, len);
		return;
	default:
		return;
	}
}

void
vl2d_frame_ok(struct vl2d_ctx *ctx, uint64_t src, const uint8_t *pkt,
    size_t len)
{
	const uint8_t *p = pkt + VL2D_PKT_IDX_PAYLOAD + 9;
	size_t plen = len - VL2D_PKT_IDX_PAYLOAD - 9;
	struct vl2_mc_gathered g;
	int rc;

	if (len < VL2D_PKT_IDX_PAYLOAD + 9)
		return;
	switch (pkt[VL2D_PKT_IDX_PAYLOAD] & VL2D_PKT_VERB_MASK) {
	case VL2D_VERB_MULTICAST_GATHER:
		rc = vl2_mc_gather_ok_parse(p, plen, &g);
		break;
	case VL2D_VERB_MULTICAST_FRAME:
		rc = vl2_mc_frame_ok_parse(p, plen, &g);
		break;
	default:
		/* OK(EXT_FRAME) acknowledges; nothing waits for it */
		return;
	}
	if (rc == -1 || vl2d_net_find(ctx, g.nwid) == NULL) {
		log_drop(&rx_drops, "OK from %010llx does not parse",
		    (unsigned long long)src);
		return;
	}
	vl2_mc_gathered_apply(&ctx->mc, &g, vl2d_now(ctx));
}

void
vl2d_frame_error(struct vl2d_ctx *ctx, uint64_t src, const uint8_t *p,
    size_t len)
{
	struct vl2d_net *n;

	log_debug("ERROR 0x%02x in re verb 0x%02x from %010llx", p[9],
	    p[0] & VL2D_PKT_VERB_MASK, (unsigned long long)src);
	/* the payload is in-re verb, id, code, then the nwid */
	if (p[9] != VL2D_ERR_NEED_MEMBERSHIP_CERTIFICATE || len < 18 ||
	    (n = vl2d_net_find(ctx, be64_get(p + 10))) == NULL)
		return;
	vl2d_frame_push(n, src, MSHIP_PUSH_ON_ERROR);
}

static struct mship_store *
vl2d_cred_find(void *arg, uint64_t nwid)
{
	struct vl2d_net *n = vl2d_net_find(arg, nwid);

	return n != NULL ? n->ms : NULL;
}

static void
vl2d_cred_revoked(void *arg, uint64_t nwid, uint64_t target)
{
	/* the gate fails from now on; subscriptions age out (600 s) */
	log_info("network %016llx: credentials of %010llx revoked",
	    (unsigned long long)nwid, (unsigned long long)target);
}

void
vl2d_frame_credentials(struct vl2d_ctx *ctx, uint64_t src,
    const uint8_t *pkt, size_t len)
{
	const struct mship_rx_ops ops = {
		.find = vl2d_cred_find,
		.send = vl2d_cred_send,
		.revoked = vl2d_cred_revoked,
		.arg = ctx,
	};
	struct mship_rx_info info;
	size_t i;

	switch (mship_recv_credentials(&ops, src, pkt + VL2D_PKT_IDX_PAYLOAD,
	    len - VL2D_PKT_IDX_PAYLOAD, vl2d_now(ctx), &info)) {
	case MSHIP_RX_DEFERRED:
		/* kept by the first network until the signer is known */
		for (i = 0; i < VL2D_MAX_NETWORKS; i++)
			if (ctx->nets[i].used) {
				vl2d_net_pending_add(&ctx->nets[i], src,
				    info.whois, pkt, len);
				break;
			}
		vl2d_whois(ctx, info.whois);
		break;
	case MSHIP_RX_MALFORMED:
		ctx->dropped++;
		log_drop(&rx_drops, "credentials from %010llx: %s",
		    (unsigned long long)src, info.reason != NULL ?
		    info.reason : "malformed");
		break;
	default:
		if (info.rejected > 0)
			log_drop(&rx_drops, "credentials from %010llx: %s",
			    (unsigned long long)src, info.reason != NULL ?
			    info.reason : "rejected");
		/* frames waiting for this COM go on at once (§2.1) */
		if (info.accepted > 0)
			for (i = 0; i < VL2D_MAX_NETWORKS; i++)
				if (ctx->nets[i].used)
					vl2d_frame_held_run(&ctx->nets[i],
					    vl2d_now(ctx));
		break;
	}
}

/*
 * §8.2: every 60 s our groups to the roots, the controller and the
 * specialists; to each member that passes the gate 60 s after its last.
 */
void
vl2d_frame_tick(struct vl2d_net *n, int64_t now)
{
	struct vl2d_like_pass lp = { n, NULL, 0, now };

	vl2d_frame_held_run(n, now);
	if (n->mcn == NULL || n->nc == NULL || n->ctx->self == 0)
		return;
	if (vl2_mc_announce_upstream(&n->ctx->mc, n->mcn, NULL, 0, now))
		vl2_mc_like_emit(&n->ctx->mc, n->mcn, VL2_MC_TO_ROOT, NULL,
		    0);
	if (n->ms != NULL)
		mship_each_peer(n->ms, vl2d_frame_like_member, &lp);
	if (n->sw_ready)
		sw_expire(&n->sw, now);
}
