/*
 * The multicast parsers of zt-vl2d (vl2d/multicast.c) and what follows
 * them: MULTICAST_LIKE, MULTICAST_GATHER, MULTICAST_FRAME,
 * OK(MULTICAST_GATHER), OK(MULTICAST_FRAME) and TAP_MCAST_REPORT bodies,
 * fed into one long-lived table with small caps so that eviction, the
 * queue and expiry run too.  The first byte picks the parser and the
 * sender.  Checks: no crash or leak, every emitted packet fits a VL1
 * packet, an answer is never empty, the caps hold, and a frame without
 * a COM re-encodes to the bytes it came from.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "multicast.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NWID	0x9d3dee1129000001ULL
#define SELF	0x8899332b2cULL

static struct vl2_mc mc;
static struct vl2_mc_net *net;
static int64_t now = 1000;

static void
h_emit(void *arg, const struct vl2_mc_out *o)
{
	(void)arg;
	assert(o->len > 0);
	assert(o->len + VL2_MC_HEADER_LEN <= VL2_MC_PACKET_MAX);
	assert(o->nwid == NWID);
	if (o->verb == VL2_MC_VERB_FRAME) {
		assert(o->frame != NULL && o->frame->len <= o->len);
		assert(o->to != 0 && o->to != SELF);
	}
}

static bool
h_allowed(void *arg, uint64_t nwid)
{
	(void)arg;
	return (nwid & 1) != 0;
}

static void
h_setup(void)
{
	struct vl2_mc_caps caps = { 16, 64, 96, 64 * 1024 };
	struct vl2_mc_io io = { h_emit, NULL };
	struct vl2_mc_conf c;

	vl2_mc_init(&mc, &caps, &io, 42);
	assert((net = vl2_mc_net_add(&mc, NWID)) != NULL);
	memset(&c, 0, sizeof(c));
	c.self = SELF;
	c.limit = 4;
	c.broadcast = true;
	c.bridges[0] = 0x1111111111ULL;
	c.nbridges = 1;
	c.upstream[0] = 0x9d3dee1129ULL;
	c.nupstream = 1;
	c.self_replicator = true;
	assert(vl2_mc_net_configure(&mc, net, &c, NULL) >= 0);
}

static void
check_answer(const struct wbuf *w)
{
	assert(wbuf_len(w) <= VL2_MC_OK_PAYLOAD_MAX);
}

static void
do_frame(uint64_t sender, bool bridge, const uint8_t *d, size_t n)
{
	static uint8_t okb[VL2_MC_OK_PAYLOAD_MAX], re[VL2_MC_PACKET_MAX];
	struct vl2_mc_frame f;
	struct wbuf ok, w;
	bool bridged;

	if (vl2_mc_frame_parse(d, n, &f) == -1)
		return;
	if (!f.has_com && f.len <= VL2_MC_FRAME_DATA_MAX &&
	    (f.flags & ~0x0f) == 0) {
		wbuf_init(&w, re, sizeof(re));
		assert(vl2_mc_frame_put(&w, &f) == 0);
		assert(wbuf_len(&w) == n && memcmp(re, d, n) == 0);
	}
	wbuf_init(&ok, okb, sizeof(okb));
	vl2_mc_frame_receive(&mc, net, sender, bridge, &f, now, &bridged,
	    &ok);
	check_answer(&ok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t okb[VL2_MC_OK_PAYLOAD_MAX];
	static struct mac_group groups[VL2_MC_REPORT_MAX];
	struct vl2_mc_gather q;
	struct vl2_mc_gathered o;
	struct vl2_mc_send s;
	struct rbuf r;
	struct wbuf ok;
	uint64_t sender;
	size_t ng;

	if (net == NULL)
		h_setup();
	if (size < 1)
		return 0;
	now += 1000 * (data[0] >> 4);
	sender = 0x2000000000ULL + (data[0] >> 4);
	switch (data[0] & 0x07) {
	case 0:
		vl2_mc_like_receive(&mc, sender, data + 1, size - 1, now,
		    h_allowed, NULL);
		break;
	case 1:
		if (vl2_mc_gather_parse(data + 1, size - 1, &q) == -1)
			break;
		wbuf_init(&ok, okb, sizeof(okb));
		if (vl2_mc_gather_answer(&mc, net, sender, &q, &ok) ==
		    VL2_MC_ACCEPT)
			assert(wbuf_len(&ok) > 18 + 6);
		check_answer(&ok);
		break;
	case 2:
	case 3:
		do_frame(sender, (data[0] & 1) != 0, data + 1, size - 1);
		break;
	case 4:
		if (vl2_mc_gather_ok_parse(data + 1, size - 1, &o) == 0)
			vl2_mc_gathered_apply(&mc, &o, now);
		break;
	case 5:
		if (vl2_mc_frame_ok_parse(data + 1, size - 1, &o) == 0)
			vl2_mc_gathered_apply(&mc, &o, now);
		break;
	case 6:
		rbuf_init(&r, data + 1, size - 1);
		if (vl2_mc_report_parse(&r, groups, &ng) == 0)
			vl2_mc_local_report(net, groups, ng, NULL);
		break;
	default:
		/* a frame from the TAP: group from the first bytes */
		if (size < 12)
			break;
		memset(&s, 0, sizeof(s));
		s.group.mac = (be40_get(data + 1) << 8 | data[6]) & MAC_MASK;
		s.group.mac |= 1ULL << 40;	/* multicast bit */
		s.group.adi = be32_get(data + 7);
		s.src = net->mac;
		s.data = data + 11;
		s.len = size - 11;
		s.origin = data[0] & 0x80 ? sender : 0;
		vl2_mc_send(&mc, net, &s, now);
		break;
	}
	if ((data[0] & 0x70) == 0x70)
		vl2_mc_expire(&mc, now);
	assert(net->ngroups <= 16 && net->nsubs <= 64 && mc.nsubs <= 96);
	assert(mc.queued <= 64 * 1024);
	return 0;
}
