/*
 * Frame switching (vl2d/switch.c): the FRAME / EXT_FRAME payloads of
 * vectors/packets.json "node_flow" reproduced from the Ethernet frames
 * and turned back into the frames 1.14.1 delivered to its ports, with
 * the network configs the vector controller sent; then hand-made cases
 * for EXT_FRAME flags, bridging and MAC learning, spoofed MACs, rules
 * (a dropped TCP port both ways, TEE, WATCH, REDIRECT), broadcast and
 * ARP, NDP emulation and the MAC table bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dictionary.h"
#include "mac.h"
#include "netconf.h"
#include "netconf_chunk.h"
#include "rulec.h"
#include "rules.h"
#include "switch.h"
#include "test.h"

#define NWID		0x9d3dee1129000001ULL
#define CONTROLLER	0x9d3dee1129ULL
#define ALICE		0x8899332b2cULL
#define BOB		0xc211c6b838ULL
#define CAROL		0xd9aeacd62fULL
#define DAVE		0x1122334455ULL
#define BRIDGED_MAC	0x02aabbccddeeULL	/* the vector's */
/* MACs outside the member range (first octet 0x02 on this network) */
#define HOST_MAC	0x06aabbccddeeULL
#define OTHER_MAC	0x06123456789aULL
#define UNKNOWN_MAC	0x06deadbeef01ULL

#define MAX_OUT		64

/* what the module handed to the hooks */
struct sent {
	uint64_t	 to;
	uint8_t		 verb;
	bool		 compress;
	uint8_t		*p;
	size_t		 len;
};

struct capture {
	struct sent	 sent[MAX_OUT];
	size_t		 nsent;
	uint8_t		*frame[MAX_OUT];	/* delivered Ethernet frames */
	size_t		 frame_len[MAX_OUT];
	size_t		 nframe;
	struct mac_group group;
	uint64_t	 mc_src;
	size_t		 mc_len;
	size_t		 nmc;
	size_t		 nbridged_groups;
	size_t		 npush;
	size_t		 ncom;
	/* the gate: peers allowed to send */
	uint64_t	 allowed[8];
	size_t		 nallowed;
	/* remote tags handed out for every peer */
	struct rules_tag remote_tags[2];
	size_t		 nremote_tags;
	uint32_t	 rnd;
	bool		 stuck_random;	/* never picks: 1 mod anything */
};

static void
cap_reset(struct capture *c)
{
	size_t i;

	for (i = 0; i < c->nsent; i++)
		free(c->sent[i].p);
	for (i = 0; i < c->nframe; i++)
		free(c->frame[i]);
	c->nsent = c->nframe = c->nmc = c->nbridged_groups = 0;
	c->npush = c->ncom = 0;
}

static void
io_send(void *arg, struct sw_net *net, uint64_t to, uint8_t verb,
    const uint8_t *head, size_t headlen, const uint8_t *data, size_t len,
    bool compress)
{
	struct capture *c = arg;
	struct sent *s;

	(void)net;
	REQUIRE(c->nsent < MAX_OUT);
	REQUIRE(headlen <= SW_HEAD_MAX);
	s = &c->sent[c->nsent++];
	s->to = to;
	s->verb = verb;
	s->compress = compress;
	s->len = headlen + len;
	s->p = malloc(s->len + 1);
	REQUIRE(s->p != NULL);
	memcpy(s->p, head, headlen);
	if (len != 0)
		memcpy(s->p + headlen, data, len);
}

static void
io_deliver(void *arg, struct sw_net *net, const uint8_t eth[SW_ETH_HEAD],
    const uint8_t *data, size_t len)
{
	struct capture *c = arg;
	uint8_t *f;

	(void)net;
	REQUIRE(c->nframe < MAX_OUT);
	f = malloc(SW_ETH_HEAD + len + 1);
	REQUIRE(f != NULL);
	memcpy(f, eth, SW_ETH_HEAD);
	if (len != 0)
		memcpy(f + SW_ETH_HEAD, data, len);
	c->frame[c->nframe] = f;
	c->frame_len[c->nframe++] = SW_ETH_HEAD + len;
}

static void
io_multicast(void *arg, struct sw_net *net, int64_t now,
    const struct mac_group *g, uint64_t src, uint16_t et,
    const uint8_t *data, size_t len)
{
	struct capture *c = arg;

	(void)net;
	(void)now;
	(void)et;
	(void)data;
	c->group = *g;
	c->mc_src = src;
	c->mc_len = len;
	c->nmc++;
}

static void
io_bridged_group(void *arg, struct sw_net *net, int64_t now,
    const struct mac_group *g)
{
	struct capture *c = arg;

	(void)net;
	(void)now;
	(void)g;
	c->nbridged_groups++;
}

static bool
io_may_send(void *arg, struct sw_net *net, uint64_t peer, int64_t now)
{
	struct capture *c = arg;
	size_t i;

	(void)net;
	(void)now;
	for (i = 0; i < c->nallowed; i++)
		if (c->allowed[i] == peer)
			return true;
	return false;
}

static void
io_peer_info(void *arg, struct sw_net *net, uint64_t peer, int64_t now,
    struct sw_peer_info *pi)
{
	struct capture *c = arg;

	(void)net;
	(void)peer;
	(void)now;
	pi->tags = c->remote_tags;
	pi->ntags = c->nremote_tags;
}

static void
io_offer_com(void *arg, struct sw_net *net, uint64_t peer,
    const struct com *com, int64_t now)
{
	struct capture *c = arg;

	(void)net;
	(void)now;
	CHECK(com_issued_to(com) == peer);
	c->ncom++;
}

static void
io_push(void *arg, struct sw_net *net, uint64_t peer, int64_t now)
{
	struct capture *c = arg;

	(void)net;
	(void)peer;
	(void)now;
	c->npush++;
}

static uint32_t
io_random(void *arg)
{
	struct capture *c = arg;

	if (c->stuck_random)
		return 1;
	c->rnd = c->rnd * 1103515245u + 12345u;
	return c->rnd >> 8;
}

static const struct sw_io test_io = {
	.send = io_send,
	.deliver = io_deliver,
	.multicast = io_multicast,
	.bridged_group = io_bridged_group,
	.may_send = io_may_send,
	.peer_info = io_peer_info,
	.offer_com = io_offer_com,
	.push_credentials = io_push,
	.random = io_random,
};

/* ---- vectors ---- */

static json_t *flow;

static json_t *
flow_packet(long long seq)
{
	json_t *pkts = json_object_get(flow, "packets"), *p;
	size_t i;

	json_array_foreach(pkts, i, p)
		if (test_jint(p, "seq") == seq)
			return p;
	REQUIRE(0);
	return NULL;
}

static uint8_t *
flow_payload(long long seq, size_t *len)
{
	return test_jhex(flow_packet(seq), "dearmored_payload", len);
}

static json_t *
flow_delivered(size_t i)
{
	json_t *a = json_object_get(flow, "frames_delivered_to_virtual_ports");

	REQUIRE(i < json_array_size(a));
	return json_array_get(a, i);
}

/* the Ethernet frame of a frames_delivered_to_virtual_ports entry */
static uint8_t *
delivered_frame(json_t *d, size_t *len)
{
	uint8_t *dst, *src, *pl, *f;
	size_t n, dl, sl;

	dst = test_jhex(d, "dest_mac", &dl);
	src = test_jhex(d, "source_mac", &sl);
	pl = test_jhex(d, "payload", &n);
	REQUIRE(dl == 6 && sl == 6);
	f = malloc(SW_ETH_HEAD + n);
	REQUIRE(f != NULL);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	be16_put(f + 12, (uint16_t)test_jint(d, "ethertype"));
	memcpy(f + SW_ETH_HEAD, pl, n);
	free(dst);
	free(src);
	free(pl);
	*len = SW_ETH_HEAD + n;
	return f;
}

/* the network config inside an OK(NETWORK_CONFIG_REQUEST) of the flow */
static struct netconf *
flow_netconf(long long seq)
{
	struct netconf *nc;
	struct netconf_chunk ch;
	struct rbuf r;
	struct dict d;
	uint8_t *p;
	size_t len;

	p = flow_payload(seq, &len);
	REQUIRE(len > 9 && p[0] == 0x0b);
	rbuf_init(&r, p + 9, len - 9);
	REQUIRE(netconf_chunk_parse(&ch, &r) == 0);
	REQUIRE(ch.index == 0 && ch.len == ch.total);
	dict_view(&d, ch.data, ch.len, DICT_CAP_NETCONF);
	nc = netconf_new();
	REQUIRE(nc != NULL);
	REQUIRE(netconf_decode(nc, &d) == 0);
	free(p);
	return nc;
}

/* ---- frames ---- */

static size_t
eth(uint8_t *f, uint64_t dst, uint64_t src, uint16_t et)
{
	mac_to_bytes(dst, f);
	mac_to_bytes(src, f + 6);
	be16_put(f + 12, et);
	return SW_ETH_HEAD;
}

/* IPv4 TCP to dport, 40 bytes after the Ethernet header */
static size_t
tcp_frame(uint8_t *f, uint64_t dst, uint64_t src, uint16_t dport)
{
	uint8_t *ip = f + SW_ETH_HEAD;

	eth(f, dst, src, SW_ETHERTYPE_IPV4);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	be16_put(ip + 2, 40);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\x93\x11\x0a\x0a\x93\x11\x0b", 8);
	be16_put(ip + 20, 40000);
	be16_put(ip + 22, dport);
	ip[32] = 0x50;
	ip[33] = 0x02;		/* SYN */
	return SW_ETH_HEAD + 40;
}

static struct netconf *
make_nc(uint64_t self, const char *rules, uint64_t flags, uint32_t ml,
    const uint64_t *bridges, size_t nbridges)
{
	struct netconf *nc = netconf_new();
	struct rulec_error err;
	json_t *out = NULL;
	size_t i, dropped;

	REQUIRE(nc != NULL);
	nc->version = NETCONF_VERSION;
	nc->nwid = NWID;
	nc->issued_to = self;
	nc->flags = flags;
	nc->multicast_limit = ml;
	nc->mtu = NETCONF_MTU_DEFAULT;
	nc->timestamp = 1700000000000LL;
	nc->credential_time_max_delta = 7200000;
	for (i = 0; i < nbridges; i++)
		nc->specialists[nc->nspecialists++] = bridges[i] |
		    NETCONF_SPECIALIST_ACTIVE_BRIDGE;
	if (rules == NULL)
		rules = "accept;";
	CHECKF(rulec_compile(rules, strlen(rules), &out, &err) == 0,
	    "%s: %s", rules, err.msg);
	REQUIRE(out != NULL);
	CHECK(rules_from_json(json_object_get(out, "rules"), nc->rules,
	    RULES_MAX_NETWORK, &nc->nrules, &dropped) == 0 && dropped == 0);
	json_decref(out);
	return nc;
}

static void
net_setup(struct sw_net *net, struct capture *c, uint64_t self,
    const struct netconf *nc)
{
	REQUIRE(sw_net_init(net, NWID, self, &test_io, c, 0, 0) == 0);
	REQUIRE(sw_net_set_config(net, nc) == 0);
}

/* ---- vectors: node_flow ---- */

/* alice's frames to bob as FRAME payloads, bob's to alice */
static void
test_flow_outbound(void)
{
	struct capture c = { 0 };
	struct sw_net a, b;
	struct netconf *nca = flow_netconf(9), *ncb = flow_netconf(21);
	uint8_t *f, *want;
	size_t flen, wlen;
	json_t *re;

	CHECK(nca->issued_to == ALICE && ncb->issued_to == BOB);
	net_setup(&a, &c, ALICE, nca);
	net_setup(&b, &c, BOB, ncb);
	CHECK(a.self_bridge && !b.self_bridge);

	/* seq 49: alice -> bob ICMP echo request (delivered entry 2) */
	f = delivered_frame(flow_delivered(2), &flen);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_UNICAST);
	want = flow_payload(49, &wlen);
	REQUIRE(c.nsent == 1);
	CHECK(c.sent[0].to == BOB && c.sent[0].verb == SW_VERB_FRAME);
	CHECK(!c.sent[0].compress);
	CHECK(c.sent[0].len == wlen &&
	    CHECK_MEM(c.sent[0].p, want, wlen, "FRAME seq 49"));
	CHECK(c.npush == 1);
	free(f);
	free(want);
	cap_reset(&c);

	/* seq 51: bob's echo reply (delivered entry 0) */
	f = delivered_frame(flow_delivered(0), &flen);
	CHECK(sw_outbound(&b, 1, f, flen) == SW_OUT_UNICAST);
	want = flow_payload(51, &wlen);
	REQUIRE(c.nsent == 1);
	CHECK(c.sent[0].to == ALICE && c.sent[0].len == wlen &&
	    CHECK_MEM(c.sent[0].p, want, wlen, "FRAME seq 51"));
	free(f);
	free(want);
	cap_reset(&c);

	/* the 2028-byte frame that went out in fragments (entry 3) */
	f = delivered_frame(flow_delivered(3), &flen);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_UNICAST);
	re = json_array_get(json_object_get(flow, "reassembled_packets"), 0);
	want = test_jhex(re, "dearmored_payload", &wlen);
	REQUIRE(c.nsent == 1);
	CHECK(c.sent[0].len == wlen &&
	    CHECK_MEM(c.sent[0].p, want, wlen, "fragmented FRAME"));
	free(f);
	free(want);
	cap_reset(&c);

	/* seq 56: alice bridges 02:aa:bb:cc:dd:ee to bob (entry 4) */
	f = delivered_frame(flow_delivered(4), &flen);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_BRIDGED);
	want = flow_payload(56, &wlen);
	REQUIRE(c.nsent == 1);
	CHECK(c.sent[0].to == BOB && c.sent[0].verb == SW_VERB_EXT_FRAME);
	CHECK(c.sent[0].len == wlen &&
	    CHECK_MEM(c.sent[0].p, want, wlen, "EXT_FRAME seq 56"));
	/* the same frame from bob, who is no bridge, goes nowhere */
	cap_reset(&c);
	CHECK(sw_outbound(&b, 1, f, flen) == SW_OUT_NOT_BRIDGE);
	CHECK(c.nsent == 0 && b.counters.out_drop_not_bridge == 1);
	free(f);
	free(want);
	cap_reset(&c);

	/* the ARP request for 10.147.17.11 is multicast to the group the
	   GATHER of seq 57 asks about */
	{
		uint8_t arp[SW_ETH_HEAD + 28], *g;
		size_t glen;

		eth(arp, MAC_BROADCAST, a.mac, SW_ETHERTYPE_ARP);
		memcpy(arp + SW_ETH_HEAD, "\x00\x01\x08\x00\x06\x04\x00\x01",
		    8);
		mac_to_bytes(a.mac, arp + SW_ETH_HEAD + 8);
		memcpy(arp + SW_ETH_HEAD + 14, "\x0a\x93\x11\x0a", 4);
		memset(arp + SW_ETH_HEAD + 18, 0, 6);
		memcpy(arp + SW_ETH_HEAD + 24, "\x0a\x93\x11\x0b", 4);
		CHECK(sw_outbound(&a, 1, arp, sizeof(arp)) ==
		    SW_OUT_MULTICAST);
		g = flow_payload(57, &glen);
		REQUIRE(glen >= 19);
		CHECK(c.nmc == 1 && c.mc_src == 0 && c.mc_len == 28);
		CHECK(c.group.mac == mac_from_bytes(g + 9));
		CHECK(c.group.adi == be32_get(g + 15));
		CHECK(c.group.adi == 0x0a93110b);
		free(g);
	}
	cap_reset(&c);
	sw_net_free(&a);
	sw_net_free(&b);
	netconf_free(nca);
	netconf_free(ncb);
}

/* FRAME / EXT_FRAME payloads of the flow into the frames delivered */
static void
test_flow_inbound(void)
{
	static const struct {
		long long	 seq;
		size_t		 delivered;
		uint64_t	 from;
		bool		 ext;
	} cases[] = {
		{ 37, 1, ALICE, false },	/* relayed by the root */
		{ 49, 2, ALICE, false },
		{ 51, 0, BOB, false },
		{ 56, 4, ALICE, true },
	};
	struct capture c = { 0 };
	struct sw_net a, b, *n;
	struct netconf *nca = flow_netconf(9), *ncb = flow_netconf(21);
	uint8_t *p, *want;
	size_t i, plen, wlen;
	enum sw_result r;

	net_setup(&a, &c, ALICE, nca);
	net_setup(&b, &c, BOB, ncb);
	c.allowed[c.nallowed++] = ALICE;
	c.allowed[c.nallowed++] = BOB;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = flow_payload(cases[i].seq, &plen);
		want = delivered_frame(flow_delivered(cases[i].delivered),
		    &wlen);
		n = cases[i].from == ALICE ? &b : &a;
		r = cases[i].ext ?
		    sw_inbound_ext_frame(n, 1, cases[i].from, 7, p, plen) :
		    sw_inbound_frame(n, 1, cases[i].from, 7, p, plen);
		CHECKF(r == SW_IN_DELIVERED, "seq %lld: %s", cases[i].seq,
		    sw_result_name(r));
		CHECKF(c.nframe == 1 && c.frame_len[0] == wlen &&
		    CHECK_MEM(c.frame[0], want, wlen, "delivered"),
		    "seq %lld", cases[i].seq);
		CHECK(c.nsent == 0);
		free(p);
		free(want);
		cap_reset(&c);
	}
	/* the fragmented one */
	p = test_jhex(json_array_get(json_object_get(flow,
	    "reassembled_packets"), 0), "dearmored_payload", &plen);
	want = delivered_frame(flow_delivered(3), &wlen);
	CHECK(sw_inbound_frame(&b, 1, ALICE, 7, p, plen) == SW_IN_DELIVERED);
	CHECK(c.nframe == 1 && c.frame_len[0] == wlen &&
	    CHECK_MEM(c.frame[0], want, wlen, "fragmented"));
	free(p);
	free(want);
	cap_reset(&c);

	/* bob learned 02:aa:bb:cc:dd:ee behind alice (that MAC has the
	   network's member first octet, so bob's own frames to it would
	   go to the member it decodes to, as in 1.14.1) */
	CHECK(sw_mac_lookup(&b, 1, BRIDGED_MAC) == ALICE);
	CHECK(b.counters.mac_learned == 1);
	cap_reset(&c);
	sw_net_free(&a);
	sw_net_free(&b);
	netconf_free(nca);
	netconf_free(ncb);
}

/* ---- hand-made ---- */

static size_t
ext_payload(uint8_t *p, uint8_t flags, uint64_t dst, uint64_t src,
    const uint8_t *com, size_t comlen, size_t datalen)
{
	size_t o = 0;

	be64_put(p, NWID);
	p[8] = flags;
	o = 9;
	if (comlen != 0) {
		memcpy(p + o, com, comlen);
		o += comlen;
	}
	mac_to_bytes(dst, p + o);
	mac_to_bytes(src, p + o + 6);
	be16_put(p + o + 12, SW_ETHERTYPE_IPV4);
	o += 14;
	memset(p + o, 0x45, datalen);
	return o + datalen;
}

static void
test_ext_frame_flags(void)
{
	struct capture c = { 0 };
	struct sw_net b;
	struct netconf *nc;
	uint64_t bridges[] = { ALICE };
	uint8_t p[512], want[17];
	size_t len;

	nc = make_nc(BOB, NULL, 0, 32, bridges, 1);
	net_setup(&b, &c, BOB, nc);
	c.allowed[c.nallowed++] = ALICE;

	/* ACK requested: OK(EXT_FRAME) with the nwid */
	len = ext_payload(p, SW_EXT_F_ACK, b.mac,
	    mac_from_address(ALICE, NWID), NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 0x1122334455667788ULL, p,
	    len) == SW_IN_DELIVERED);
	REQUIRE(c.nsent == 1);
	want[0] = SW_VERB_EXT_FRAME;
	be64_put(want + 1, 0x1122334455667788ULL);
	be64_put(want + 9, NWID);
	CHECK(c.sent[0].to == ALICE && c.sent[0].verb == SW_VERB_OK);
	CHECK(c.sent[0].len == 17 &&
	    CHECK_MEM(c.sent[0].p, want, 17, "OK(EXT_FRAME)"));
	CHECK(c.nframe == 1 && c.frame_len[0] == SW_ETH_HEAD + 20);
	cap_reset(&c);

	/* ACK even with no frame, none when the source MAC is ours */
	len = ext_payload(p, SW_EXT_F_ACK, b.mac, 0, NULL, 0, 0);
	CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 1, p, len) == SW_IN_EMPTY);
	CHECK(c.nsent == 1 && c.nframe == 0);
	cap_reset(&c);
	len = ext_payload(p, SW_EXT_F_ACK, b.mac, b.mac, NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 1, p, len) ==
	    SW_IN_OWN_SOURCE);
	CHECK(c.nsent == 0 && c.nframe == 0);
	len = ext_payload(p, 0, b.mac, 0, NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 1, p, len) ==
	    SW_IN_OWN_SOURCE);
	CHECK(c.nframe == 0);
	cap_reset(&c);

	/* the subtype bits are informational: a TEE copy is delivered */
	len = ext_payload(p, 0x02, b.mac, mac_from_address(ALICE, NWID),
	    NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 1, p, len) ==
	    SW_IN_DELIVERED);
	cap_reset(&c);

	/* an inline COM (flag 0x01) is offered, then the frame goes on */
	{
		struct com com;
		struct wbuf w;
		uint8_t cb[COM_WIRE_MAX];

		memset(&com, 0, sizeof(com));
		com.nq = 3;
		com.q[0].id = COM_Q_TIMESTAMP;
		com.q[0].value = 1000;
		com.q[0].max_delta = 10;
		com.q[1].id = COM_Q_NETWORK_ID;
		com.q[1].value = NWID;
		com.q[2].id = COM_Q_ISSUED_TO;
		com.q[2].value = ALICE;
		com.q[2].max_delta = UINT64_MAX;
		wbuf_init(&w, cb, sizeof(cb));
		REQUIRE(com_serialize(&com, &w) == 0);
		len = ext_payload(p, SW_EXT_F_COM, b.mac,
		    mac_from_address(ALICE, NWID), cb, wbuf_len(&w), 20);
		CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 1, p, len) ==
		    SW_IN_DELIVERED);
		CHECK(c.ncom == 1 && c.nframe == 1);
		CHECK(c.frame_len[0] == SW_ETH_HEAD + 20);
		cap_reset(&c);
		/* a COM cut short is a malformed packet */
		CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 1, p, 9 + 20) ==
		    SW_IN_MALFORMED);
		CHECK(c.ncom == 0 && c.nframe == 0 && c.nsent == 0);
	}

	/* the gate: ERROR(NEED_MEMBERSHIP_CERTIFICATE) quoting the packet */
	len = ext_payload(p, SW_EXT_F_ACK, b.mac,
	    mac_from_address(CAROL, NWID), NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, CAROL, 0x0102030405060708ULL, p,
	    len) == SW_IN_GATE);
	REQUIRE(c.nsent == 1);
	{
		uint8_t e[18] = { SW_VERB_EXT_FRAME, 1, 2, 3, 4, 5, 6, 7, 8,
		    SW_ERR_NEED_MEMBERSHIP_CERT };

		be64_put(e + 10, NWID);
		CHECK(c.sent[0].to == CAROL && c.sent[0].verb == SW_VERB_ERROR);
		CHECK(c.sent[0].len == 18 &&
		    CHECK_MEM(c.sent[0].p, e, 18, "ERROR(EXT_FRAME)"));
	}
	CHECK(c.nframe == 0 && b.counters.in_drop_gate == 1);
	cap_reset(&c);
	/* and for FRAME */
	be64_put(p, NWID);
	be16_put(p + 8, SW_ETHERTYPE_IPV4);
	CHECK(sw_inbound_frame(&b, 1, CAROL, 9, p, 30) == SW_IN_GATE);
	CHECK(c.nsent == 1 && c.sent[0].p[0] == SW_VERB_FRAME &&
	    c.sent[0].p[9] == SW_ERR_NEED_MEMBERSHIP_CERT);
	cap_reset(&c);

	/* short and foreign payloads */
	CHECK(sw_inbound_ext_frame(&b, 1, ALICE, 1, p, 8) == SW_IN_MALFORMED);
	CHECK(sw_inbound_frame(&b, 1, ALICE, 1, p, 9) == SW_IN_MALFORMED);
	be64_put(p, NWID + 1);
	CHECK(sw_inbound_frame(&b, 1, ALICE, 1, p, 30) ==
	    SW_IN_WRONG_NETWORK);
	be64_put(p, NWID);
	CHECK(sw_inbound_frame(&b, 1, ALICE, 1, p, 10) == SW_IN_EMPTY);
	CHECK(c.nsent == 0 && c.nframe == 0);
	CHECK(b.counters.in_drop_malformed == 3);

	sw_net_free(&b);
	netconf_free(nc);
}

/* spoofed source MACs, bridging both sides, the MAC table */
static void
test_bridging(void)
{
	struct capture c = { 0 };
	struct sw_net b, d;
	struct netconf *nc, *ncd;
	uint64_t bridges[] = { ALICE, DAVE };
	uint8_t p[256], f[SW_ETH_HEAD + 40];
	size_t len, flen;

	nc = make_nc(BOB, NULL, 0, 32, bridges, 1);
	net_setup(&b, &c, BOB, nc);
	c.allowed[c.nallowed++] = ALICE;
	c.allowed[c.nallowed++] = CAROL;

	/* carol is no bridge: a source MAC not her own is dropped */
	len = ext_payload(p, 0, b.mac, HOST_MAC, NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, CAROL, 1, p, len) ==
	    SW_IN_BRIDGING_REMOTE);
	CHECK(c.nframe == 0 && sw_mac_lookup(&b, 1, HOST_MAC) == 0);
	CHECK(b.counters.in_drop_bridging_remote == 1);
	/* same through MULTICAST_FRAME */
	CHECK(sw_inbound_multicast(&b, 1, CAROL, HOST_MAC, MAC_BROADCAST,
	    SW_ETHERTYPE_IPV4, p, 20) == SW_IN_BRIDGING_REMOTE);
	/* her own MAC to a MAC that is not bob's: bob is no bridge */
	len = ext_payload(p, 0, OTHER_MAC,
	    mac_from_address(CAROL, NWID), NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, CAROL, 1, p, len) ==
	    SW_IN_BRIDGING_LOCAL);
	/* to a multicast MAC it is fine while the limit is not 0 */
	len = ext_payload(p, 0, 0x333300000001ULL,
	    mac_from_address(CAROL, NWID), NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&b, 1, CAROL, 1, p, len) ==
	    SW_IN_DELIVERED);
	CHECK(c.nframe == 1);
	cap_reset(&c);

	/* alice is: learned, through MULTICAST_FRAME as well */
	CHECK(sw_inbound_multicast(&b, 5, ALICE, HOST_MAC, MAC_BROADCAST,
	    SW_ETHERTYPE_IPV4, p, 20) == SW_IN_DELIVERED);
	CHECK(sw_mac_lookup(&b, 5, HOST_MAC) == ALICE);
	/* and bob now sends there only, as EXT_FRAME from his own MAC */
	flen = tcp_frame(f, HOST_MAC, b.mac, 80);
	CHECK(sw_outbound(&b, 6, f, flen) == SW_OUT_BRIDGED);
	REQUIRE(c.nsent == 1);
	CHECK(c.sent[0].to == ALICE && c.sent[0].verb == SW_VERB_EXT_FRAME);
	CHECK(c.sent[0].len == SW_EXT_FRAME_HEAD + 40);
	CHECK(c.sent[0].p[8] == 0x00);
	CHECK(mac_from_bytes(c.sent[0].p + 9) == HOST_MAC);
	CHECK(mac_from_bytes(c.sent[0].p + 15) == b.mac);
	/* bridged unicast pushes no credentials (§6.8) */
	CHECK(c.npush == 0);
	cap_reset(&c);
	CHECK(sw_inbound_multicast(&b, 5, ALICE, HOST_MAC, 0x02000000001ULL,
	    SW_ETHERTYPE_IPV4, p, 20) == SW_IN_BAD_MULTICAST);
	CHECK(sw_inbound_multicast(&b, 5, ALICE, b.mac, MAC_BROADCAST,
	    SW_ETHERTYPE_IPV4, p, 20) == SW_IN_BAD_MULTICAST);
	cap_reset(&c);

	/* expiry */
	CHECK(sw_mac_lookup(&b, 5 + SW_MACTAB_TTL_DEFAULT + 1,
	    HOST_MAC) == 0);
	sw_expire(&b, 5 + SW_MACTAB_TTL_DEFAULT + 1);
	CHECK(sw_mac_count(&b) == 0 && b.counters.mac_expired == 1);

	/* unknown unicast: to every active bridge, never to ourselves */
	flen = tcp_frame(f, UNKNOWN_MAC, b.mac, 80);
	CHECK(sw_outbound(&b, 10, f, flen) == SW_OUT_BRIDGED);
	CHECK(c.nsent == 1 && c.sent[0].to == ALICE);
	cap_reset(&c);
	sw_net_free(&b);
	netconf_free(nc);

	/* dave is a bridge too: he may send any source MAC and accepts
	   unicast to MACs that are not his */
	ncd = make_nc(DAVE, NULL, 0, 32, bridges, 2);
	net_setup(&d, &c, DAVE, ncd);
	CHECK(d.self_bridge);
	len = ext_payload(p, 0, OTHER_MAC,
	    mac_from_address(CAROL, NWID), NULL, 0, 20);
	CHECK(sw_inbound_ext_frame(&d, 1, CAROL, 1, p, len) ==
	    SW_IN_DELIVERED);
	cap_reset(&c);
	flen = tcp_frame(f, UNKNOWN_MAC, HOST_MAC, 80);
	CHECK(sw_outbound(&d, 10, f, flen) == SW_OUT_BRIDGED);
	CHECK(c.nsent == 1 && c.sent[0].to == ALICE);
	CHECK(c.nsent == 1 && mac_from_bytes(c.sent[0].p + 15) ==
	    HOST_MAC);
	cap_reset(&c);
	/* bridged multicast adds the group behind us */
	eth(f, 0x01005e000001ULL, HOST_MAC, SW_ETHERTYPE_IPV4);
	CHECK(sw_outbound(&d, 10, f, SW_ETH_HEAD + 20) == SW_OUT_MULTICAST);
	CHECK(c.nbridged_groups == 1 && c.mc_src == HOST_MAC);
	cap_reset(&c);
	sw_net_free(&d);
	netconf_free(ncd);
}

/* more than 32 bridges and no route: 32 picked at random */
static void
test_bridge_spam(void)
{
	struct capture c = { 0 };
	struct sw_net b;
	struct netconf *nc;
	uint64_t bridges[40];
	uint8_t f[SW_ETH_HEAD + 40];
	size_t flen, i, j;

	for (i = 0; i < 40; i++)
		bridges[i] = DAVE + i;
	bridges[7] = BOB;
	nc = make_nc(BOB, NULL, 0, 32, bridges, 40);
	net_setup(&b, &c, BOB, nc);
	flen = tcp_frame(f, UNKNOWN_MAC, b.mac, 80);
	CHECK(sw_outbound(&b, 1, f, flen) == SW_OUT_BRIDGED);
	CHECK(c.nsent == SW_MAX_BRIDGE_SPAM);
	for (i = 0; i < c.nsent; i++) {
		CHECK(c.sent[i].to != BOB && sw_is_bridge(&b, c.sent[i].to));
		CHECK(c.sent[i].verb == SW_VERB_EXT_FRAME);
	}
	/* not simply the first 32 of the list */
	for (i = j = 0; i < c.nsent; i++)
		if (c.sent[i].to != bridges[i < 7 ? i : i + 1])
			j++;
	CHECK(j > 0);
	cap_reset(&c);
	/* a random source that never picks cannot make it spin */
	c.stuck_random = true;
	CHECK(sw_outbound(&b, 1, f, flen) == SW_OUT_NO_ROUTE);
	CHECK(c.nsent == 0);
	sw_net_free(&b);
	netconf_free(nc);
}

static void
test_mactab_bound(void)
{
	struct capture c = { 0 };
	struct sw_net b;
	struct netconf *nc;
	uint64_t bridges[] = { ALICE, DAVE };
	uint8_t p[128];
	size_t len, i;

	nc = make_nc(BOB, NULL, 0, 32, bridges, 2);
	REQUIRE(sw_net_init(&b, NWID, BOB, &test_io, &c, 8, 1000) == 0);
	REQUIRE(sw_net_set_config(&b, nc) == 0);
	c.allowed[c.nallowed++] = ALICE;
	c.allowed[c.nallowed++] = DAVE;
	/* alice fills 6 entries, dave 2 */
	for (i = 0; i < 8; i++) {
		len = ext_payload(p, 0, b.mac, 0x060000000100ULL + i, NULL, 0,
		    10);
		CHECK(sw_inbound_ext_frame(&b, 1, i < 6 ? ALICE : DAVE, 1, p,
		    len) == SW_IN_DELIVERED);
	}
	CHECK(sw_mac_count(&b) == 8);
	/* the ninth evicts everything of alice, who owns the most */
	len = ext_payload(p, 0, b.mac, 0x060000000200ULL, NULL, 0, 10);
	CHECK(sw_inbound_ext_frame(&b, 2, DAVE, 1, p, len) ==
	    SW_IN_DELIVERED);
	CHECK(sw_mac_count(&b) == 3 && b.counters.mac_evicted == 6);
	CHECK(sw_mac_lookup(&b, 2, 0x060000000100ULL) == 0);
	CHECK(sw_mac_lookup(&b, 2, 0x060000000106ULL) == DAVE);
	CHECK(sw_mac_lookup(&b, 2, 0x060000000200ULL) == DAVE);
	/* many more: never above the bound, and lookups stay right */
	for (i = 0; i < 1000; i++) {
		len = ext_payload(p, 0, b.mac, 0x060000010000ULL + i, NULL, 0,
		    10);
		(void)sw_inbound_ext_frame(&b, 3, i & 1 ? ALICE : DAVE, 1, p,
		    len);
		CHECK(sw_mac_count(&b) <= 8);
		cap_reset(&c);
	}
	CHECK(sw_mac_lookup(&b, 3, 0x060000010000ULL + 999) == ALICE);
	cap_reset(&c);
	sw_net_free(&b);
	netconf_free(nc);
}

/* a rule set that drops TCP port 22, both ways */
static void
test_rules_port(void)
{
	struct capture c = { 0 };
	struct sw_net a, b;
	struct netconf *nca, *ncb;
	const char *rules = "drop ipprotocol tcp dport 22;\naccept;\n";
	uint8_t f[SW_ETH_HEAD + 40], p[64];
	size_t flen;

	nca = make_nc(ALICE, rules, 0, 32, NULL, 0);
	ncb = make_nc(BOB, "accept;", 0, 32, NULL, 0);
	net_setup(&a, &c, ALICE, nca);
	net_setup(&b, &c, BOB, ncb);
	c.allowed[c.nallowed++] = ALICE;
	c.allowed[c.nallowed++] = BOB;

	flen = tcp_frame(f, b.mac, a.mac, 22);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_FILTER);
	CHECK(c.nsent == 0 && a.counters.out_drop_filter == 1);
	flen = tcp_frame(f, b.mac, a.mac, 80);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_UNICAST);
	CHECK(c.nsent == 1);
	cap_reset(&c);

	/* bob's rules let it out, alice's stop it coming in */
	flen = tcp_frame(f, a.mac, b.mac, 22);
	CHECK(sw_outbound(&b, 1, f, flen) == SW_OUT_UNICAST);
	REQUIRE(c.nsent == 1);
	memcpy(p, c.sent[0].p, c.sent[0].len);
	CHECK(sw_inbound_frame(&a, 1, BOB, 1, p, c.sent[0].len) ==
	    SW_IN_FILTER);
	CHECK(c.nframe == 0 && a.counters.in_drop_filter == 1);
	cap_reset(&c);
	flen = tcp_frame(f, a.mac, b.mac, 443);
	CHECK(sw_outbound(&b, 1, f, flen) == SW_OUT_UNICAST);
	REQUIRE(c.nsent == 1);
	memcpy(p, c.sent[0].p, c.sent[0].len);
	CHECK(sw_inbound_frame(&a, 1, BOB, 1, p, c.sent[0].len) ==
	    SW_IN_DELIVERED);
	CHECK(c.nframe == 1 && c.frame_len[0] == flen &&
	    CHECK_MEM(c.frame[0], f, flen, "delivered"));
	cap_reset(&c);

	sw_net_free(&a);
	sw_net_free(&b);
	netconf_free(nca);
	netconf_free(ncb);
}

/* TEE, WATCH and REDIRECT copies */
static void
test_rules_copies(void)
{
	struct capture c = { 0 };
	struct sw_net a;
	struct netconf *nc;
	uint8_t f[SW_ETH_HEAD + 40], p[64];
	size_t flen;
	char rules[256];

	snprintf(rules, sizeof(rules),
	    "tee 16 %010llx dport 80;\n"
	    "redirect %010llx dport 8080;\n"
	    "watch -1 %010llx dport 443;\n"
	    "accept;\n", (unsigned long long)CAROL,
	    (unsigned long long)DAVE, (unsigned long long)CAROL);
	nc = make_nc(ALICE, rules, 0, 32, NULL, 0);
	net_setup(&a, &c, ALICE, nc);
	c.allowed[c.nallowed++] = BOB;

	/* outbound TEE: 16 bytes to carol first, then the frame */
	flen = tcp_frame(f, mac_from_address(BOB, NWID), a.mac, 80);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_UNICAST);
	REQUIRE(c.nsent == 2);
	CHECK(c.sent[0].to == CAROL && c.sent[0].verb == SW_VERB_EXT_FRAME);
	CHECK(c.sent[0].compress);
	CHECK(c.sent[0].len == SW_EXT_FRAME_HEAD + 16);
	be64_put(p, NWID);
	p[8] = RULES_EXT_TEE_OUT;
	memcpy(p + 9, f, 12);
	be16_put(p + 21, SW_ETHERTYPE_IPV4);
	memcpy(p + 23, f + SW_ETH_HEAD, 16);
	CHECK(CHECK_MEM(c.sent[0].p, p, SW_EXT_FRAME_HEAD + 16, "TEE"));
	CHECK(c.sent[1].to == BOB && c.sent[1].verb == SW_VERB_FRAME);
	CHECK(a.counters.out_copies == 1);
	cap_reset(&c);

	/* WATCH: the whole frame, flags 0x16 */
	flen = tcp_frame(f, mac_from_address(BOB, NWID), a.mac, 443);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_UNICAST);
	REQUIRE(c.nsent == 2);
	CHECK(c.sent[0].to == CAROL && c.sent[0].p[8] == RULES_EXT_WATCH_OUT);
	CHECK(c.sent[0].len == SW_EXT_FRAME_HEAD + 40);
	cap_reset(&c);

	/* REDIRECT: the whole frame to dave, nothing to bob */
	flen = tcp_frame(f, mac_from_address(BOB, NWID), a.mac, 8080);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_REDIRECTED);
	REQUIRE(c.nsent == 1);
	CHECK(c.sent[0].to == DAVE && c.sent[0].p[8] ==
	    RULES_EXT_REDIRECT_OUT);
	CHECK(c.sent[0].len == SW_EXT_FRAME_HEAD + 40);
	CHECK(mac_from_bytes(c.sent[0].p + 9) == mac_from_address(BOB, NWID));
	cap_reset(&c);

	/* inbound TEE: flags 0x08, and the frame is delivered */
	flen = tcp_frame(f, a.mac, mac_from_address(BOB, NWID), 80);
	be64_put(p, NWID);
	be16_put(p + 8, SW_ETHERTYPE_IPV4);
	memcpy(p + 10, f + SW_ETH_HEAD, 40);
	CHECK(sw_inbound_frame(&a, 1, BOB, 1, p, 50) == SW_IN_DELIVERED);
	REQUIRE(c.nsent == 1);
	CHECK(c.sent[0].to == CAROL && c.sent[0].p[8] == RULES_EXT_TEE_IN);
	CHECK(c.nframe == 1 && a.counters.in_copies == 1);
	cap_reset(&c);
	/* inbound REDIRECT: 0x0a, not delivered here */
	flen = tcp_frame(f, a.mac, mac_from_address(BOB, NWID), 8080);
	memcpy(p + 10, f + SW_ETH_HEAD, 40);
	CHECK(sw_inbound_frame(&a, 1, BOB, 1, p, 50) == SW_IN_REDIRECTED);
	CHECK(c.nsent == 1 && c.sent[0].to == DAVE &&
	    c.sent[0].p[8] == RULES_EXT_REDIRECT_IN && c.nframe == 0);
	cap_reset(&c);

	/* the multicast per-recipient pass sends no TEE copy */
	flen = tcp_frame(f, 0x01005e000001ULL, a.mac, 80);
	CHECK(sw_filter_recipient(&a, 1, BOB, a.mac, 0x01005e000001ULL,
	    SW_ETHERTYPE_IPV4, f + SW_ETH_HEAD, 40));
	CHECK(c.nsent == 0);
	/* but the first multicast pass does */
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_MULTICAST);
	CHECK(c.nsent == 1 && c.sent[0].to == CAROL && c.nmc == 1);
	cap_reset(&c);
	sw_net_free(&a);
	netconf_free(nc);
}

/* tags: what the peer_info hook hands out reaches the rules */
static void
test_rules_tags(void)
{
	struct capture c = { 0 };
	struct sw_net a;
	struct netconf *nc;
	struct tag t;
	uint8_t f[SW_ETH_HEAD + 40];
	size_t flen;

	nc = make_nc(ALICE, "drop not teq 7 1;\naccept;\n", 0, 32, NULL, 0);
	memset(&t, 0, sizeof(t));
	t.nwid = NWID;
	t.id = 7;
	t.value = 1;
	t.issued_to = ALICE;
	REQUIRE(netconf_set_tags(nc, &t, 1) == 0);
	net_setup(&a, &c, ALICE, nc);
	c.allowed[c.nallowed++] = BOB;
	c.remote_tags[0].id = 7;
	c.remote_tags[0].value = 2;
	c.nremote_tags = 1;
	flen = tcp_frame(f, mac_from_address(BOB, NWID), a.mac, 80);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_FILTER);
	c.remote_tags[0].value = 1;
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_UNICAST);
	cap_reset(&c);
	sw_net_free(&a);
	netconf_free(nc);
}

static void
test_broadcast_local(void)
{
	struct capture c = { 0 };
	struct sw_net a;
	struct netconf *nc;
	uint8_t f[SW_ETH_HEAD + 64];
	size_t flen;

	nc = make_nc(ALICE, NULL, 0, 32, NULL, 0);
	net_setup(&a, &c, ALICE, nc);
	/* broadcast off: plain broadcast dropped, ARP requests still go */
	flen = eth(f, MAC_BROADCAST, a.mac, SW_ETHERTYPE_IPV4) + 20;
	memset(f + SW_ETH_HEAD, 0, 20);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_BROADCAST_OFF);
	nc->flags |= NETCONF_F_ENABLE_BROADCAST;
	REQUIRE(sw_net_set_config(&a, nc) == 0);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_MULTICAST);
	CHECK(c.nmc == 1 && c.group.mac == MAC_BROADCAST && c.group.adi == 0);
	/* an ARP reply is no request: plain broadcast group */
	flen = eth(f, MAC_BROADCAST, a.mac, SW_ETHERTYPE_ARP) + 28;
	memcpy(f + SW_ETH_HEAD, "\x00\x01\x08\x00\x06\x04\x00\x02", 8);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_MULTICAST);
	CHECK(c.group.adi == 0);
	/* multicast limit 0 */
	nc->multicast_limit = 0;
	REQUIRE(sw_net_set_config(&a, nc) == 0);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_MULTICAST_OFF);
	CHECK(sw_inbound_multicast(&a, 1, BOB, mac_from_address(BOB, NWID),
	    MAC_BROADCAST, SW_ETHERTYPE_ARP, f + SW_ETH_HEAD, 28) ==
	    SW_IN_MULTICAST_OFF);
	cap_reset(&c);
	/* to our own MAC: straight back to the port */
	flen = tcp_frame(f, a.mac, a.mac, 80);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_LOCAL);
	CHECK(c.nframe == 1 && c.frame_len[0] == flen &&
	    CHECK_MEM(c.frame[0], f, flen, "local"));
	cap_reset(&c);
	/* runts, oversize, reserved destinations, no config */
	CHECK(sw_outbound(&a, 1, f, 13) == SW_OUT_RUNT);
	{
		static uint8_t big[SW_ETH_HEAD + NETCONF_MTU_DEFAULT + 1];

		memcpy(big, f, SW_ETH_HEAD);
		CHECK(sw_outbound(&a, 1, big, sizeof(big)) == SW_OUT_TOO_BIG);
		CHECK(sw_outbound(&a, 1, big, sizeof(big) - 1) ==
		    SW_OUT_LOCAL);
	}
	flen = tcp_frame(f, mac_from_address(0, NWID), a.mac, 80);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_BAD_DEST);
	flen = tcp_frame(f, UNKNOWN_MAC, a.mac, 80);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_NO_ROUTE);
	CHECK(sw_net_set_config(&a, NULL) == 0);
	CHECK(sw_outbound(&a, 1, f, flen) == SW_OUT_NO_CONFIG);
	CHECK(a.counters.out_drop_no_config == 1);
	cap_reset(&c);
	sw_net_free(&a);
	netconf_free(nc);
}

static uint16_t
sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* NDP emulation (§1.6): a solicitation for bob's 6PLANE address */
static void
test_ndp(void)
{
	struct capture c = { 0 };
	struct sw_net a;
	struct netconf *nc;
	struct inetaddr mine, bob6;
	uint8_t f[SW_ETH_HEAD + 72], *ip = f + SW_ETH_HEAD, ph[40];
	const uint8_t *na;
	uint64_t sol = 0x3333ff000000ULL;

	nc = make_nc(ALICE, NULL, NETCONF_F_ENABLE_IPV6_NDP_EMU, 32, NULL, 0);
	mac_6plane(&mine, NWID, ALICE);
	nc->static_ips[nc->nstatic_ips++] = mine;
	net_setup(&a, &c, ALICE, nc);
	mac_6plane(&bob6, NWID, BOB);
	sol |= (uint64_t)bob6.ip[13] << 16 | bob6.ip[14] << 8 | bob6.ip[15];
	eth(f, sol, a.mac, SW_ETHERTYPE_IPV6);
	memset(ip, 0, 72);
	ip[0] = 0x60;
	be16_put(ip + 4, 32);
	ip[6] = 0x3a;
	ip[7] = 0xff;
	memcpy(ip + 8, mine.ip, 16);
	ip[24] = 0xff;
	ip[25] = 0x02;
	ip[40] = 0x87;
	memcpy(ip + 48, bob6.ip, 16);
	CHECK(sw_outbound(&a, 1, f, sizeof(f)) == SW_OUT_NDP);
	CHECK(c.nmc == 0 && c.nsent == 0);
	REQUIRE(c.nframe == 1 && c.frame_len[0] == SW_ETH_HEAD + 72);
	CHECK(mac_from_bytes(c.frame[0]) == a.mac);
	CHECK(mac_from_bytes(c.frame[0] + 6) == mac_from_address(BOB, NWID));
	CHECK(be16_get(c.frame[0] + 12) == SW_ETHERTYPE_IPV6);
	na = c.frame[0] + SW_ETH_HEAD;
	CHECK(na[0] == 0x60 && na[5] == 0x20 && na[6] == 0x3a &&
	    na[7] == 0xff && na[40] == 0x88 && na[44] == 0x60);
	CHECK(memcmp(na + 8, bob6.ip, 16) == 0);
	CHECK(memcmp(na + 24, mine.ip, 16) == 0);
	CHECK(memcmp(na + 48, bob6.ip, 16) == 0);
	CHECK(na[64] == 2 && na[65] == 1 &&
	    mac_from_bytes(na + 66) == mac_from_address(BOB, NWID));
	/* the checksum verifies: the sum over everything is 0xffff */
	memcpy(ph, na + 8, 32);
	memset(ph + 32, 0, 8);
	ph[35] = 32;
	ph[39] = 0x3a;
	CHECK(sum16(sum16(0, ph, 40), na + 40, 32) == 0xffff);
	cap_reset(&c);
	/* a solicitation for our own address is multicast as usual */
	memcpy(ip + 48, mine.ip, 16);
	CHECK(sw_outbound(&a, 1, f, sizeof(f)) == SW_OUT_MULTICAST);
	CHECK(c.nmc == 1 && c.group.mac == sol && c.group.adi == 0);
	cap_reset(&c);
	/* with the flag off: multicast */
	nc->flags = 0;
	REQUIRE(sw_net_set_config(&a, nc) == 0);
	memcpy(ip + 48, bob6.ip, 16);
	CHECK(sw_outbound(&a, 1, f, sizeof(f)) == SW_OUT_MULTICAST);
	cap_reset(&c);
	sw_net_free(&a);
	netconf_free(nc);
}

static void
count_cb(void *arg, const char *name, uint64_t v)
{
	size_t *n = arg;

	CHECK(name != NULL && *name != '\0');
	(void)v;
	(*n)++;
}

static void
test_names(void)
{
	struct sw_counters c;
	size_t n = 0;
	int r;

	memset(&c, 0, sizeof(c));
	sw_counters_foreach(&c, count_cb, &n);
	CHECK(n == SW_RESULT_COUNT + 8);
	for (r = 0; r < SW_RESULT_COUNT; r++)
		CHECK(strcmp(sw_result_name(r), "?") != 0);
	CHECK(strcmp(sw_result_name(SW_IN_BRIDGING_REMOTE),
	    "in_drop_bridging_remote") == 0);
	CHECK(sw_result_is_drop(SW_OUT_FILTER));
	CHECK(!sw_result_is_drop(SW_IN_DELIVERED));
}

int
main(void)
{
	json_t *v = test_vectors_load("packets.json");

	REQUIRE(v != NULL);
	flow = json_object_get(v, "node_flow");
	REQUIRE(flow != NULL);
	test_flow_outbound();
	test_flow_inbound();
	test_ext_frame_flags();
	test_bridging();
	test_bridge_spam();
	test_mactab_bound();
	test_rules_port();
	test_rules_copies();
	test_rules_tags();
	test_broadcast_local();
	test_ndp();
	test_names();
	json_decref(v);
	return test_main_end();
}
