/*
 * Joined networks (spec/vl2.md §3.5-3.7, §11): join and leave, config
 * requests to the controller through zt-vl1d, chunk reassembly checked
 * against the controller's identity, the states ZeroTier reports, and
 * the TAP that follows the config.  Frames are switched by frame.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "frame.h"
#include "peerev.h"
#include "vl2d.h"

/* the "o" of the config request metadata (spec/vl2.md §3.5) */
#if defined(__x86_64__)
#define VL2D_ARCH	"x86_64"
#elif defined(__aarch64__)
#define VL2D_ARCH	"arm64"
#elif defined(__i386__)
#define VL2D_ARCH	"x86"
#else
#define VL2D_ARCH	"unknown"
#endif

static struct log_drops chunk_drops = LOG_DROPS_INIT("config chunk");
static struct log_drops pkt_drops = LOG_DROPS_INIT("vl2 packet");

struct vl2d_net *
vl2d_net_find(struct vl2d_ctx *ctx, uint64_t nwid)
{
	size_t i;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++)
		if (ctx->nets[i].used && ctx->nets[i].nwid == nwid)
			return &ctx->nets[i];
	return NULL;
}

static uint64_t
vl2d_controller(const struct vl2d_net *n)
{
	return n->nwid >> 24;
}

/*
 * Our MAC and the membership store need our address, learned from the
 * first packet or from a saved config.
 */
static void
vl2d_net_set_mac(struct vl2d_net *n)
{
	struct vl2d_ctx *ctx = n->ctx;
	const struct identity *ctrl;

	if (ctx->self == 0)
		return;
	if (n->mac == 0)
		n->mac = mac_from_address(ctx->self, n->nwid);
	if (n->ms != NULL)
		return;
	if ((n->ms = mship_store_new(n->nwid, ctx->self, NULL)) == NULL) {
		log_warnx("network %016llx: no memory for credentials",
		    (unsigned long long)n->nwid);
		return;
	}
	mship_set_lookup(n->ms, &ctx->lookup);
	mship_set_config(n->ms, n->nc);
	if ((ctrl = vl2d_identity(ctx, vl2d_controller(n))) != NULL)
		mship_set_controller(n->ms, ctrl);
	vl2d_frame_attach(n);
}

static void
vl2d_net_request(struct vl2d_net *n, int64_t now)
{
	struct vl2d_ctx *ctx = n->ctx;
	uint8_t buf[2048], tok[160];
	struct dict meta;
	struct wbuf w;
	int len;

	n->last_request = now;
	if (vl2d_identity(ctx, vl2d_controller(n)) == NULL)
		vl2d_whois(ctx, vl2d_controller(n));
	dict_init(&meta, DICT_CAP_REQ_META);
	wbuf_init(&w, buf, sizeof(buf));
	if (netconf_request_meta_default(&meta, "linux/" VL2D_ARCH) == -1)
		goto fail;
	if (n->local.token[0] != '\0') {
		len = snprintf((char *)tok, sizeof(tok), "token:%s",
		    n->local.token);
		if (len < 0 || (size_t)len >= sizeof(tok) ||
		    dict_add(&meta, "a", tok, (size_t)len) == -1)
			goto fail;
	}
	if (netconf_request_build(&w, n->nwid, &meta,
	    n->nc != NULL ? n->nc->revision : 0,
	    n->nc != NULL ? (uint64_t)n->nc->timestamp : 0) == -1 ||
	    wbuf_failed(&w))
		goto fail;
	vl2d_send(ctx, vl2d_controller(n), VL2D_VERB_NETWORK_CONFIG_REQUEST,
	    wbuf_data(&w), wbuf_len(&w));
	log_debug("network %016llx: config requested",
	    (unsigned long long)n->nwid);
	dict_free(&meta);
	return;
fail:
	log_warnx("network %016llx: cannot build the config request",
	    (unsigned long long)n->nwid);
	dict_free(&meta);
}

struct vl2d_net *
vl2d_net_join(struct vl2d_ctx *ctx, uint64_t nwid, bool save)
{
	struct vl2d_net *n;
	size_t i;

	if ((n = vl2d_net_find(ctx, nwid)) != NULL)
		return n;
	for (i = 0; i < VL2D_MAX_NETWORKS && ctx->nets[i].used; i++)
		;
	if (i == VL2D_MAX_NETWORKS)
		return NULL;
	n = &ctx->nets[i];
	memset(n, 0, sizeof(*n));
	n->used = true;
	n->ctx = ctx;
	n->nwid = nwid;
	n->tap_fd = -1;
	n->status = VL2_STATUS_REQUESTING;
	netconf_asm_init(&n->as, nwid);
	vl2d_frame_attach(n);
	if (vl2_local_load(ctx->cfg.statedir, nwid, &n->local) == -1)
		log_warnx("network %016llx: local settings unreadable, "
		    "defaults used", (unsigned long long)nwid);
	if (save && vl2_state_save(ctx->cfg.statedir, nwid, NULL, 0) == -1)
		log_warn("network %016llx: cannot save", (unsigned long long)
		    nwid);
	vl2d_net_set_mac(n);
	log_info("joined network %016llx", (unsigned long long)nwid);
	vl2d_net_request(n, vl2d_now(ctx));
	return n;
}

static void
vl2d_net_free(struct vl2d_net *n)
{
	size_t i;

	if (n->ev_tap != NULL)
		event_free(n->ev_tap);
	if (n->tap_fd != -1)
		close(n->tap_fd);
	vl2d_frame_tap_detach(n);
	for (i = 0; i < n->npending; i++)
		free(n->pending[i].pkt);
	vl2d_frame_detach(n);
	mship_store_free(n->ms);
	netconf_free(n->nc);
	netconf_asm_free(&n->as);
	memset(n, 0, sizeof(*n));
	n->tap_fd = -1;
}

int
vl2d_net_leave(struct vl2d_ctx *ctx, uint64_t nwid)
{
	struct vl2d_net *n;

	if (vl2_state_remove(ctx->cfg.statedir, nwid) == -1)
		log_warn("network %016llx: cannot remove its state",
		    (unsigned long long)nwid);
	if ((n = vl2d_net_find(ctx, nwid)) == NULL)
		return -1;
	vl2d_tap_close(n);
	vl2d_net_free(n);
	log_info("left network %016llx", (unsigned long long)nwid);
	return 0;
}

/* asks zt-tapd for what the config says, opening the TAP first */
static void
vl2d_net_sync_tap(struct vl2d_net *n)
{
	vl2d_net_set_mac(n);
	if (n->nc == NULL || n->mac == 0)
		return;
	if (n->tap_fd == -1) {
		vl2d_tap_open(n);
		return;
	}
	vl2d_tap_configure(n);
}

/* a decoded config, already checked to be ours (§3.7 step 4) */
static void
vl2d_net_apply(struct vl2d_net *n, struct netconf *nc, const uint8_t *dict,
    size_t len, bool save)
{
	struct netconf *old = n->nc;

	/* the store keeps a pointer: it gets the new config first */
	n->nc = nc;
	if (n->ms != NULL)
		mship_set_config(n->ms, nc);
	vl2d_frame_config(n);
	netconf_free(old);
	n->status = VL2_STATUS_OK;
	n->last_config = vl2d_now(n->ctx);
	if (save && vl2_state_save(n->ctx->cfg.statedir, n->nwid, dict,
	    len) == -1)
		log_warn("network %016llx: cannot save its config",
		    (unsigned long long)n->nwid);
	log_info("network %016llx: config revision %llu (%s)",
	    (unsigned long long)n->nwid, (unsigned long long)nc->revision,
	    nc->name);
	vl2d_net_sync_tap(n);
}

/* decodes a whole dictionary; the config must name us and this network */
static int
vl2d_net_decode(struct vl2d_net *n, const uint8_t *d, size_t len, bool save)
{
	struct vl2d_ctx *ctx = n->ctx;
	struct netconf *nc;
	struct dict dict;

	if ((nc = netconf_new()) == NULL)
		return -1;
	dict_view(&dict, d, len, DICT_CAP_NETCONF);
	if (netconf_decode(nc, &dict) == -1 || nc->nwid != n->nwid ||
	    zt_address_reserved(nc->issued_to) ||
	    (ctx->self != 0 && nc->issued_to != ctx->self) ||
	    nc->mtu < NETCONF_MTU_MIN || nc->mtu > NETCONF_MTU_MAX) {
		log_warnx("network %016llx: config refused (does not decode "
		    "or is not ours)", (unsigned long long)n->nwid);
		netconf_free(nc);
		return -1;
	}
	if (ctx->self == 0)
		ctx->self = nc->issued_to;
	vl2d_net_apply(n, nc, d, len, save);
	return 0;
}

void
vl2d_nets_restore(struct vl2d_ctx *ctx)
{
	uint64_t nwids[VL2D_MAX_NETWORKS];
	struct vl2d_net *n;
	uint8_t *d;
	size_t i, cnt, len;

	if (vl2_state_list(ctx->cfg.statedir, nwids, VL2D_MAX_NETWORKS,
	    &cnt) == -1) {
		log_warn("%s/networks.d", ctx->cfg.statedir);
		return;
	}
	for (i = 0; i < cnt; i++) {
		if ((n = vl2d_net_join(ctx, nwids[i], false)) == NULL)
			break;
		if (vl2_state_load(ctx->cfg.statedir, nwids[i], &d, &len) ==
		    -1 || len == 0)
			continue;
		/* the controller is asked again soon; this config bridges */
		if (vl2d_net_decode(n, d, len, false) == 0)
			n->last_config = 0;
		free(d);
	}
}

void
vl2d_net_pending_add(struct vl2d_net *n, uint64_t src, uint64_t wait,
    const uint8_t *pkt, size_t len)
{
	struct vl2d_pending *p;

	if (n->npending == VL2D_PENDING_MAX) {
		free(n->pending[0].pkt);
		memmove(&n->pending[0], &n->pending[1],
		    (VL2D_PENDING_MAX - 1) * sizeof(n->pending[0]));
		n->npending--;
	}
	p = &n->pending[n->npending];
	if ((p->pkt = malloc(len)) == NULL)
		return;
	memcpy(p->pkt, pkt, len);
	p->len = len;
	p->src = src;
	p->wait = wait;
	p->when = vl2d_now(n->ctx);
	n->npending++;
}

/* fast propagation of a config chunk (§3.7 step 2) */
struct vl2d_fwd {
	struct vl2d_net			*n;
	uint64_t			 from;
	const struct netconf_chunk	*ch;
};

static void
vl2d_net_forward_one(void *arg, uint64_t peer)
{
	struct vl2d_fwd *f = arg;

	if (peer == f->from || peer == vl2d_controller(f->n) ||
	    peer == f->n->ctx->self)
		return;
	vl2d_send(f->n->ctx, peer, VL2D_VERB_NETWORK_CONFIG, f->ch->raw,
	    f->ch->raw_len);
}

/*
 * One chunk: the payload of NETWORK_CONFIG (push) or of
 * OK(NETWORK_CONFIG_REQUEST) after its in-re fields.
 */
static void
vl2d_net_chunk(struct vl2d_net *n, uint64_t src, const uint8_t *pkt,
    size_t pkt_len, const uint8_t *p, size_t len, bool push)
{
	struct vl2d_ctx *ctx = n->ctx;
	const struct identity *ctrl;
	enum netconf_asm_result r;
	struct netconf_chunk ch;
	const uint8_t *dict;
	uint8_t ok[1 + 8 + 8 + 8];
	uint64_t upd, pid = be64_get(pkt + VL2D_PKT_IDX_ID);
	size_t dlen;
	struct rbuf rb;

	rbuf_init(&rb, p, len);
	if (netconf_chunk_parse(&ch, &rb) == -1 || ch.nwid != n->nwid) {
		log_drop(&chunk_drops, "network %016llx: malformed chunk "
		    "from %010llx", (unsigned long long)n->nwid,
		    (unsigned long long)src);
		return;
	}
	if ((ctrl = vl2d_identity(ctx, vl2d_controller(n))) == NULL) {
		/* kept until zt-vl1d tells us who the controller is */
		vl2d_net_pending_add(n, src, vl2d_controller(n), pkt, pkt_len);
		vl2d_whois(ctx, vl2d_controller(n));
		return;
	}
	r = netconf_asm_add(&n->as, &ch, src, pid, ctrl, &dict, &dlen, &upd);
	/*
	 * Signed by the controller and new to us: a chunk flagged for fast
	 * propagation goes on, unchanged, to every member we hold a record
	 * for but its sender and the controller (duplicates stop here).
	 */
	if (netconf_asm_should_forward(r, &ch) && n->ms != NULL) {
		struct vl2d_fwd f = { n, src, &ch };

		mship_each_peer(n->ms, vl2d_net_forward_one, &f);
	}
	if (r != NETCONF_ASM_MORE && r != NETCONF_ASM_DONE) {
		if (r != NETCONF_ASM_DUPLICATE)
			log_drop(&chunk_drops, "network %016llx: chunk from "
			    "%010llx: %s", (unsigned long long)n->nwid,
			    (unsigned long long)src,
			    netconf_asm_result_str(r));
		return;
	}
	if (r != NETCONF_ASM_DONE)
		return;
	if (vl2d_net_decode(n, dict, dlen, true) == -1)
		return;
	if (!push)
		return;
	/* §3.6: the OK names ECHO as its in-re verb, as 1.14.1 does */
	ok[0] = VL2D_VERB_ECHO;
	be64_put(ok + 1, pid);
	be64_put(ok + 9, n->nwid);
	be64_put(ok + 17, upd);
	vl2d_send(ctx, src, VL2D_VERB_OK, ok, sizeof(ok));
}

void
vl2d_net_identity(struct vl2d_ctx *ctx, const struct identity *id)
{
	struct vl2d_pending p[VL2D_PENDING_MAX];
	struct vl2d_net *n;
	size_t i, k, cnt, keep;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++) {
		n = &ctx->nets[i];
		if (!n->used)
			continue;
		if (n->ms != NULL && vl2d_controller(n) == id->address)
			mship_set_controller(n->ms, id);
		/* the waiting packets go again, in order, the others stay */
		cnt = keep = 0;
		for (k = 0; k < n->npending; k++)
			if (n->pending[k].wait == id->address)
				p[cnt++] = n->pending[k];
			else
				n->pending[keep++] = n->pending[k];
		n->npending = keep;
		for (k = 0; k < cnt; k++) {
			vl2d_net_packet(ctx, p[k].src, p[k].pkt, p[k].len);
			free(p[k].pkt);
		}
	}
}

/*
 * §3.9.1: the auth info dictionary after the nwid (u16 length, bytes).
 * Version 0 names the URL ("aU"); version 1 (OIDC) needs a client that
 * builds the URL from issuer, nonce and state, which zt-vl2d is not:
 * the URL stays empty then, as with no dictionary at all.
 */
static void
vl2d_net_auth_info(struct vl2d_net *n, const uint8_t *p, size_t len)
{
	struct dict d;
	size_t dlen, ulen;
	uint64_t ver;

	n->auth_url[0] = '\0';
	if (len <= 2)
		return;
	dlen = be16_get(p);
	if (dlen > len - 2) {
		log_drop(&pkt_drops, "network %016llx: auth info longer than "
		    "its packet", (unsigned long long)n->nwid);
		return;
	}
	dict_view(&d, p + 2, dlen, DICT_CAP_AUTH_INFO_V1);
	ver = dict_get_u64(&d, "aV", 0);
	if (ver != 0) {
		log_info("network %016llx: authentication (version %llu) "
		    "needs an OIDC client", (unsigned long long)n->nwid,
		    (unsigned long long)ver);
		return;
	}
	/* a longer URL is cut */
	if (dict_get(&d, "aU", n->auth_url, sizeof(n->auth_url) - 1,
	    &ulen) == -1)
		return;
	n->auth_url[ulen] = '\0';
}

/* ERROR in re NETWORK_CONFIG_REQUEST from the controller (§3.5) */
static void
vl2d_net_error(struct vl2d_net *n, uint64_t src, uint8_t code,
    const uint8_t *rest, size_t rlen)
{
	enum vl2_status st;

	if (src != vl2d_controller(n))
		return;
	if (code == VL2D_ERR_NETWORK_AUTH_REQUIRED)
		vl2d_net_auth_info(n, rest, rlen);
	switch (code) {
	case VL2D_ERR_OBJ_NOT_FOUND:
	case VL2D_ERR_UNSUPPORTED_OPERATION:
		st = VL2_STATUS_NOT_FOUND;
		break;
	case VL2D_ERR_NETWORK_ACCESS_DENIED:
		st = VL2_STATUS_ACCESS_DENIED;
		break;
	case VL2D_ERR_NETWORK_AUTH_REQUIRED:
		st = VL2_STATUS_AUTH_REQUIRED;
		break;
	default:
		return;
	}
	/* a port error takes precedence (§11) */
	if (n->status == VL2_STATUS_PORT_ERROR)
		return;
	if (n->status != st)
		log_info("network %016llx: %s", (unsigned long long)n->nwid,
		    vl2_status_name(st));
	n->status = st;
}

void
vl2d_net_packet(struct vl2d_ctx *ctx, uint64_t src, const uint8_t *pkt,
    size_t len)
{
	const uint8_t *p = pkt + VL2D_PKT_IDX_PAYLOAD;
	size_t plen;
	struct vl2d_net *n;
	uint8_t verb, inre;
	uint64_t self;

	if (len < VL2D_PKT_IDX_PAYLOAD + 8) {
		ctx->dropped++;
		log_drop(&pkt_drops, "short packet from %010llx",
		    (unsigned long long)src);
		return;
	}
	plen = len - VL2D_PKT_IDX_PAYLOAD;
	/* zt-vl1d passes up only packets addressed to this node */
	self = be40_get(pkt + VL2D_PKT_IDX_DEST);
	if (ctx->self == 0 && !zt_address_reserved(self))
		vl2d_nets_self(ctx, self);
	verb = pkt[VL2D_PKT_IDX_VERB] & VL2D_PKT_VERB_MASK;
	switch (verb) {
	case VL2D_VERB_OK:
	case VL2D_VERB_ERROR:
		/* in-re verb, in-re packet id, (code), then the nwid */
		if (plen < 9 + (verb == VL2D_VERB_ERROR ? 1 : 0) + 8)
			break;
		inre = p[0] & VL2D_PKT_VERB_MASK;
		if (verb == VL2D_VERB_ERROR) {
			if (inre == VL2D_VERB_NETWORK_CONFIG_REQUEST &&
			    (n = vl2d_net_find(ctx, be64_get(p + 10))) != NULL)
				vl2d_net_error(n, src, p[9], p + 18,
				    plen - 18);
			else
				vl2d_frame_error(ctx, src, p, plen);
			return;
		}
		if (inre == VL2D_VERB_NETWORK_CONFIG_REQUEST) {
			if ((n = vl2d_net_find(ctx, be64_get(p + 9))) != NULL)
				vl2d_net_chunk(n, src, pkt, len, p + 9,
				    plen - 9, false);
			return;
		}
		vl2d_frame_ok(ctx, src, pkt, len);
		return;
	case VL2D_VERB_NETWORK_CONFIG:
		if ((n = vl2d_net_find(ctx, be64_get(p))) != NULL)
			vl2d_net_chunk(n, src, pkt, len, p, plen, true);
		return;
	case VL2D_VERB_NETWORK_CREDENTIALS:
		/* credentials name their networks themselves (§3.4) */
		vl2d_frame_credentials(ctx, src, pkt, len);
		return;
	default:
		/* packets for networks not joined are ignored (§2.1) */
		if ((n = vl2d_net_find(ctx, be64_get(p))) == NULL)
			return;
		vl2d_frame_packet(n, src, verb, pkt, len);
		return;
	}
	ctx->dropped++;
	log_drop(&pkt_drops, "malformed verb 0x%02x from %010llx", verb,
	    (unsigned long long)src);
}

void
vl2d_nets_tick(struct vl2d_ctx *ctx, int64_t now)
{
	struct vl2d_net *n;
	size_t i;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++) {
		n = &ctx->nets[i];
		if (!n->used)
			continue;
		/* §11: no config, or none for 60 s; one request per 5 s */
		if ((n->nc == NULL || now - n->last_config >= VL2D_REFRESH_MS) &&
		    now - n->last_request >= VL2D_RETRY_MS)
			vl2d_net_request(n, now);
		if (n->nc != NULL && n->tap_fd == -1 && !n->tap_asked)
			vl2d_net_sync_tap(n);
		/* zt-vl1d did not know the address: the packets go */
		while (n->npending > 0 &&
		    now - n->pending[0].when > VL2D_PENDING_MS) {
			free(n->pending[0].pkt);
			memmove(&n->pending[0], &n->pending[1],
			    (n->npending - 1) * sizeof(n->pending[0]));
			n->npending--;
		}
		vl2d_frame_tick(n, now);
	}
	vl2_mc_expire(&ctx->mc, now);
}

void
vl2d_nets_tap_pause(struct vl2d_ctx *ctx, bool pause)
{
	struct vl2d_net *n;
	size_t i;

	if (ctx->vl1_blocked == pause)
		return;
	ctx->vl1_blocked = pause;
	for (i = 0; i < VL2D_MAX_NETWORKS; i++) {
		n = &ctx->nets[i];
		if (!n->used || n->ev_tap == NULL)
			continue;
		/* level-triggered: what waits is read once it is back */
		if (pause)
			event_del(n->ev_tap);
		else if (event_add(n->ev_tap, NULL) == -1)
			log_warnx("network %016llx: cannot watch %s again",
			    (unsigned long long)n->nwid, n->ifname);
	}
}

void
vl2d_nets_self(struct vl2d_ctx *ctx, uint64_t self)
{
	size_t i;

	if (ctx->self == self)
		return;
	if (ctx->self != 0) {
		/* a new identity under a running zt-vl2d: MACs would lie */
		log_warnx("zt-vl1d is %010llx now, was %010llx: restart "
		    "zt-vl2d", (unsigned long long)self,
		    (unsigned long long)ctx->self);
		return;
	}
	ctx->self = self;
	log_info("node address %010llx", (unsigned long long)self);
	for (i = 0; i < VL2D_MAX_NETWORKS; i++)
		if (ctx->nets[i].used)
			vl2d_net_sync_tap(&ctx->nets[i]);
}

static void
vl2d_net_cred_send(void *arg, uint64_t nwid, uint64_t to, const uint8_t *p,
    size_t len)
{
	vl2d_send(arg, to, VL2D_VERB_NETWORK_CREDENTIALS, p, len);
}

/*
 * A peer is up (its first live path, or back): a member of our private
 * networks gets our credentials now rather than with our next frame or
 * after its ERROR, which would cost it the frame that found them missing.
 */
static void
vl2d_nets_peer_up(struct vl2d_ctx *ctx, uint64_t peer, int64_t now)
{
	struct vl2d_net *n;
	size_t i;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++) {
		n = &ctx->nets[i];
		if (!n->used || n->ms == NULL)
			continue;
		switch (mship_peer_up(n->ms, peer, now, vl2d_net_cred_send,
		    ctx)) {
		case 1:
			ctx->peer_pushes++;
			log_debug("network %016llx: %010llx is up, credentials "
			    "sent", (unsigned long long)n->nwid,
			    (unsigned long long)peer);
			break;
		case -1:
			log_debug("network %016llx: no credentials for "
			    "%010llx", (unsigned long long)n->nwid,
			    (unsigned long long)peer);
			break;
		default:
			break;
		}
	}
}

/* what may be wrong once it is back (mship_peer_down) */
static void
vl2d_nets_peer_down(struct vl2d_ctx *ctx, uint64_t peer)
{
	size_t i;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++)
		if (ctx->nets[i].used && ctx->nets[i].ms != NULL)
			mship_peer_down(ctx->nets[i].ms, peer);
}

int
vl2d_nets_peer_events(struct vl2d_ctx *ctx, struct rbuf *r)
{
	int64_t now = vl2d_now(ctx);
	struct ipc_peer_ev e;

	while (rbuf_remaining(r) > 0) {
		if (ipc_peer_ev_get(r, &e) == -1)
			return -1;
		if (zt_address_reserved(e.address)) {
			ctx->dropped++;
			log_drop(&pkt_drops, "zt-vl1d names a reserved address "
			    "%010llx", (unsigned long long)e.address);
			continue;
		}
		switch (e.kind) {
		case IPC_PEER_EVENT_SELF:
			vl2d_nets_self(ctx, e.address);
			break;
		case IPC_PEER_EVENT_UP:
			ctx->peer_ups++;
			vl2d_nets_peer_up(ctx, e.address, now);
			break;
		case IPC_PEER_EVENT_DOWN:
			ctx->peer_downs++;
			vl2d_nets_peer_down(ctx, e.address);
			break;
		default:
			/* a kind from a newer zt-vl1d */
			break;
		}
	}
	return 0;
}

void
vl2d_nets_vl1_up(struct vl2d_ctx *ctx)
{
	int64_t now = vl2d_now(ctx);
	size_t i;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++)
		if (ctx->nets[i].used) {
			vl2d_net_request(&ctx->nets[i], now);
			/* zt-vl1d lost nothing, but announce again soon */
			if (ctx->nets[i].mcn != NULL)
				ctx->nets[i].mcn->announced = false;
		}
}

void
vl2d_nets_tapd_up(struct vl2d_ctx *ctx)
{
	struct vl2d_net *n;
	size_t i;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++) {
		n = &ctx->nets[i];
		if (!n->used)
			continue;
		n->tap_asked = false;
		/* zt-tapd restarted: the device stays, our fd stays valid */
		if (n->tap_fd != -1)
			vl2d_tap_configure(n);
		else
			vl2d_net_sync_tap(n);
	}
}

static void
vl2d_net_tap_read(evutil_socket_t fd, short what, void *arg)
{
	struct vl2d_net *n = arg;

	vl2d_link_cork(n->ctx, true);
	vl2d_frame_tap_read(n);
	vl2d_link_flush(n->ctx);
	vl2d_link_cork(n->ctx, false);
}

void
vl2d_net_tap_opened(struct vl2d_net *n, int fd, const char *ifname,
    uint32_t ifindex)
{
	n->tap_asked = false;
	if (n->tap_fd != -1) {
		/* an answer to a repeated request: the first fd serves */
		close(fd);
		return;
	}
	/* the data path drains it until EAGAIN */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		log_warn("network %016llx: %s", (unsigned long long)n->nwid,
		    ifname);
	n->tap_fd = fd;
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	n->ifindex = ifindex;
	n->port_error = 0;
	if (vl2d_frame_tap_attach(n, n->vnet_asked) == -1) {
		log_warnx("network %016llx: no memory for %s",
		    (unsigned long long)n->nwid, ifname);
		close(fd);
		n->tap_fd = -1;
		n->status = VL2_STATUS_PORT_ERROR;
		return;
	}
	if ((n->ev_tap = event_new(n->ctx->base, fd, EV_READ | EV_PERSIST,
	    vl2d_net_tap_read, n)) == NULL || (!n->ctx->vl1_blocked &&
	    event_add(n->ev_tap, NULL) == -1)) {
		log_warnx("network %016llx: cannot watch %s",
		    (unsigned long long)n->nwid, ifname);
		n->status = VL2_STATUS_PORT_ERROR;
		return;
	}
	if (n->status == VL2_STATUS_PORT_ERROR)
		n->status = n->nc != NULL ? VL2_STATUS_OK :
		    VL2_STATUS_REQUESTING;
	log_info("network %016llx: port %s (ifindex %u)",
	    (unsigned long long)n->nwid, ifname, ifindex);
	vl2d_tap_configure(n);
}

void
vl2d_net_tap_failed(struct vl2d_net *n, int err)
{
	n->tap_asked = false;
	n->port_error = err;
	n->status = VL2_STATUS_PORT_ERROR;
	log_warnx("network %016llx: port error: %s",
	    (unsigned long long)n->nwid, strerror(err));
}

void
vl2d_net_tap_groups(struct vl2d_net *n, const struct mac_group *g, size_t cnt)
{
	vl2d_frame_tap_groups(n, g, cnt);
}

size_t
vl2d_net_addrs(const struct vl2d_net *n, struct inetaddr *out, size_t max)
{
	if (n->nc == NULL)
		return 0;
	return vl2_config_addrs(n->nc, out, max);
}
