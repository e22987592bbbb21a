/*
 * Frame switching (vl2d/switch.c): the same random bytes as a TAP frame
 * and as FRAME, EXT_FRAME and MULTICAST_FRAME contents from a peer, on
 * a network whose flags, bridges, gate and rule table come from the
 * input.  Whatever the module hands out must lie inside the input (or
 * be the one frame it builds itself, an NDP advertisement), every call
 * must end in one counted result, and the MAC table must stay bounded.
 *
 * Input: u8 control, u16 rule blob length, the blob (netconf "R"
 * encoding), then the frame / payload.
 */
#undef NDEBUG
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mac.h"
#include "netconf.h"
#include "rules.h"
#include "switch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NWID		0x8056c2e21c000001ULL
#define SELF		0x1111111111ULL
#define PEER		0x2222222222ULL
#define OTHER		0x3333333333ULL
#define MACTAB_MAX	64

struct fuzz_ctx {
	const uint8_t	*in;
	size_t		 len;
	bool		 gate;
	uint32_t	 rnd;
	size_t		 outputs;
};

static struct netconf *nc;

static bool
inside(const struct fuzz_ctx *c, const uint8_t *p, size_t n)
{
	if (n == 0)
		return true;
	return p >= c->in && n <= c->len && p - c->in <= (ptrdiff_t)(c->len - n);
}

static void
f_send(void *arg, struct sw_net *net, uint64_t to, uint8_t verb,
    const uint8_t *head, size_t hl, const uint8_t *data, size_t dl,
    bool compress)
{
	struct fuzz_ctx *c = arg;
	volatile uint8_t sink = 0;
	size_t i;

	(void)net;
	(void)compress;
	assert(to != 0 && to <= 0xffffffffffULL && to != SELF);
	assert(hl > 0 && hl <= SW_HEAD_MAX);
	assert(verb == SW_VERB_FRAME || verb == SW_VERB_EXT_FRAME ||
	    verb == SW_VERB_OK || verb == SW_VERB_ERROR);
	assert(inside(c, data, dl));
	for (i = 0; i < hl; i++)
		sink ^= head[i];
	for (i = 0; i < dl; i++)
		sink ^= data[i];
	(void)sink;
	c->outputs++;
}

static void
f_deliver(void *arg, struct sw_net *net, const uint8_t eth[SW_ETH_HEAD],
    const uint8_t *data, size_t len)
{
	struct fuzz_ctx *c = arg;
	volatile uint8_t sink = 0;
	size_t i;

	(void)net;
	/* the emulated neighbour advertisement is 72 bytes of our own */
	assert(inside(c, data, len) || len == 72);
	for (i = 0; i < SW_ETH_HEAD; i++)
		sink ^= eth[i];
	for (i = 0; i < len; i++)
		sink ^= data[i];
	(void)sink;
	c->outputs++;
}

static void
f_multicast(void *arg, struct sw_net *net, int64_t now,
    const struct mac_group *g, uint64_t src, uint16_t et,
    const uint8_t *data, size_t len)
{
	struct fuzz_ctx *c = arg;

	(void)net;
	(void)now;
	(void)et;
	assert(mac_is_multicast(g->mac));
	assert(src == 0 || src != net->mac);
	assert(inside(c, data, len));
	c->outputs++;
}

static bool
f_may_send(void *arg, struct sw_net *net, uint64_t peer, int64_t now)
{
	struct fuzz_ctx *c = arg;

	(void)net;
	(void)now;
	return c->gate && peer != 0;
}

static void
f_peer_info(void *arg, struct sw_net *net, uint64_t peer, int64_t now,
    struct sw_peer_info *pi)
{
	static const struct rules_tag tags[] = { { 1, 10 }, { 2, 20 } };
	static struct rules_cap caps[1];

	(void)arg;
	(void)now;
	assert(peer != 0);
	pi->tags = tags;
	pi->ntags = 2;
	/* the sender's capability: the same table as the base rules */
	caps[0].id = 9;
	caps[0].rules = net->nc->rules;
	caps[0].n = net->nc->nrules < RULES_MAX_CAPABILITY ?
	    net->nc->nrules : RULES_MAX_CAPABILITY;
	pi->caps = caps;
	pi->ncaps = 1;
}

static bool
f_peer_owns(void *arg, struct sw_net *net, uint64_t peer,
    enum rules_thing t, const uint8_t *p)
{
	(void)arg;
	(void)net;
	(void)peer;
	return t == RULES_THING_IPV4 && (p[3] & 1) != 0;
}

static void
f_offer_com(void *arg, struct sw_net *net, uint64_t peer,
    const struct com *com, int64_t now)
{
	(void)arg;
	(void)net;
	(void)now;
	assert(peer != 0 && com->nq <= COM_MAX_QUALIFIERS);
}

static uint32_t
f_random(void *arg)
{
	struct fuzz_ctx *c = arg;

	c->rnd = c->rnd * 1103515245u + 12345u;
	return c->rnd >> 4;
}

static const struct sw_io fuzz_io = {
	.send = f_send,
	.deliver = f_deliver,
	.multicast = f_multicast,
	.may_send = f_may_send,
	.peer_info = f_peer_info,
	.peer_owns = f_peer_owns,
	.offer_com = f_offer_com,
	.random = f_random,
};

static uint64_t
results_total(const struct sw_counters *k)
{
	uint64_t t = 0;

#define F_SUM(e, f, d)	t += k->f;
	SW_RESULTS(F_SUM)
#undef F_SUM
	return t;
}

static void
setup_config(uint8_t ctl)
{
	struct inetaddr a;
	size_t i;

	nc->version = NETCONF_VERSION;
	nc->nwid = NWID;
	nc->issued_to = SELF;
	nc->mtu = ctl & 0x80 ? NETCONF_MTU_MIN : NETCONF_MTU_DEFAULT;
	nc->multicast_limit = ctl & 0x10 ? 0 : 32;
	nc->flags = 0;
	if (ctl & 0x04)
		nc->flags |= NETCONF_F_ENABLE_BROADCAST;
	if (ctl & 0x08) {
		nc->flags |= NETCONF_F_ENABLE_IPV6_NDP_EMU;
		mac_6plane(&a, NWID, SELF);
		nc->static_ips[nc->nstatic_ips++] = a;
		mac_rfc4193(&a, NWID, SELF);
		nc->static_ips[nc->nstatic_ips++] = a;
	}
	if (ctl & 0x01)
		nc->specialists[nc->nspecialists++] = SELF |
		    NETCONF_SPECIALIST_ACTIVE_BRIDGE;
	if (ctl & 0x02)
		nc->specialists[nc->nspecialists++] = PEER |
		    NETCONF_SPECIALIST_ACTIVE_BRIDGE;
	/* enough bridges to take the random-pick path sometimes */
	if (ctl & 0x40)
		for (i = 0; i < 40; i++)
			nc->specialists[nc->nspecialists++] =
			    (OTHER + i) | NETCONF_SPECIALIST_ACTIVE_BRIDGE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx c;
	struct sw_net net;
	struct rbuf r, blob;
	uint8_t ctl, *buf;
	size_t len, calls = 0;
	uint64_t src, dst;

	if (nc == NULL && (nc = netconf_new()) == NULL)
		abort();
	netconf_reset(nc);
	rbuf_init(&r, data, size);
	if (rbuf_get_u8(&r, &ctl) == -1 ||
	    rbuf_get_sub16(&r, RULES_MAX_NETWORK * RULE_WIRE_MAX, &blob) == -1)
		return 0;
	if (rules_decode(&blob, nc->rules, 64, &nc->nrules) == -1)
		return 0;
	setup_config(ctl);

	len = rbuf_remaining(&r);
	/* an exact-size copy so the sanitizer sees any overread */
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		abort();
	if (len > 0 && rbuf_get_bytes(&r, buf, len) == -1)
		abort();
	memset(&c, 0, sizeof(c));
	c.in = buf;
	c.len = len;
	c.gate = (ctl & 0x20) != 0;
	c.rnd = ctl;

	if (sw_net_init(&net, NWID, SELF, &fuzz_io, &c, MACTAB_MAX, 0) == -1)
		abort();
	if (sw_net_set_config(&net, nc) == -1)
		abort();
	assert(net.self_bridge == ((ctl & 0x01) != 0));

	(void)sw_outbound(&net, 1, buf, len);
	calls++;
	/* a frame from our own MAC too, so more than bridges get past */
	if (len >= SW_ETH_HEAD) {
		uint8_t *own = malloc(len);

		if (own == NULL)
			abort();
		memcpy(own, buf, len);
		mac_to_bytes(net.mac, own + 6);
		c.in = own;
		(void)sw_outbound(&net, 2, own, len);
		calls++;
		c.in = buf;
		free(own);
	}
	(void)sw_inbound_frame(&net, 3, PEER, 7, buf, len);
	(void)sw_inbound_ext_frame(&net, 4, PEER, 8, buf, len);
	calls += 2;
	if (len >= 12) {
		dst = mac_from_bytes(buf);
		src = mac_from_bytes(buf + 6);
		(void)sw_inbound_multicast(&net, 5, PEER, src, dst,
		    SW_ETHERTYPE_IPV4, buf + 12, len - 12);
		(void)sw_filter_recipient(&net, 6, PEER, src, dst,
		    SW_ETHERTYPE_IPV6, buf + 12, len - 12);
		calls++;
	}
	assert(results_total(&net.counters) == calls);
	assert(sw_mac_count(&net) <= MACTAB_MAX);
	sw_expire(&net, INT64_MAX / 2);
	assert(sw_mac_count(&net) == 0);

	sw_net_free(&net);
	free(buf);
	return 0;
}
