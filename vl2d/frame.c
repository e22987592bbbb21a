/*
 * zt-vl2d's data path: the glue between the TAP, zt-vl1d and the pure
 * modules of lib zt_vl2.  switch.c decides unicast and bridging with
 * the rules, multicast.c announces, gathers and picks recipients,
 * membership.c holds credentials and answers the gate; here they get
 * time, identities, the TAP fd and the VL2_SEND batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "vl2d.h"

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
	if (write(n->tap_fd, f, SW_ETH_HEAD + len) == -1) {
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
 * rules for its recipient first (§8.3 step 5); "the best root" is not
 * ours to pick (zt-vl1d knows the roots): the controller, always among
 * the upstream targets, answers gathers instead.
 */
static void
vl2d_mc_emit(void *arg, const struct vl2_mc_out *o)
{
	struct vl2d_ctx *ctx = arg;
	const struct vl2_mc_frame *f = o->frame;
	struct vl2d_net *n;

	if (o->to == VL2_MC_TO_ROOT || (n = vl2d_net_find(ctx, o->nwid)) ==
	    NULL)
		return;
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

/* new groups are announced at once to the controller (§8.2) */
static void
vl2d_frame_announce_added(struct vl2d_net *n, const struct mac_group *g,
    int k)
{
	if (k > 0 && n->nc != NULL)
		vl2_mc_like_emit(&n->ctx->mc, n->mcn, n->nwid >> 24, g,
		    (size_t)k);
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

void
vl2d_frame_tap_read(struct vl2d_net *n)
{
	int64_t now = vl2d_now(n->ctx);
	uint8_t *f = n->ctx->frame;
	enum sw_result r;
	unsigned int i;
	ssize_t len;

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
		if (!n->sw_ready) {
			n->tx_dropped++;
			continue;
		}
		r = sw_outbound(&n->sw, now, f, (size_t)len);
		if (sw_result_is_drop(r)) {
			n->tx_dropped++;
			log_drop(&tx_drops, "%s: %s", n->ifname,
			    sw_result_name(r));
		}
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
		n->rx_dropped++;
		log_drop(&rx_drops, "network %016llx: %010llx has no valid "
		    "membership", (unsigned long long)n->nwid,
		    (unsigned long long)src);
		vl2d_frame_need_cert(n, src, pkt);
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
		if (sw_result_is_drop(r)) {
			n->rx_dropped++;
			log_drop(&rx_drops, "network %016llx: from %010llx: "
			    "%s", (unsigned long long)n->nwid,
			    (unsigned long long)src, sw_result_name(r));
		}
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
		break;
	}
}

/* §8.2: our groups to the controller every 60 s */
void
vl2d_frame_tick(struct vl2d_net *n, int64_t now)
{
	if (n->mcn == NULL || n->nc == NULL || n->ctx->self == 0)
		return;
	vl2_mc_announce_upstream(&n->ctx->mc, n->mcn, NULL, 0, now);
	if (n->sw_ready)
		sw_expire(&n->sw, now);
}
