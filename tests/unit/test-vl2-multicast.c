/*
 * A member's multicast (vl2d/multicast.c): LIKE, GATHER and
 * MULTICAST_FRAME payloads byte for byte against packets.json (cases,
 * node_flow, live_capture) and the spec layouts, local subscriptions and
 * their announcement, recipients and the multicast limit, gathering and
 * the queue, the receive checks, expiry, the memory caps, and malformed
 * input of every parser.
 */
#include <stdlib.h>
#include <string.h>

#include "multicast.h"
#include "test.h"

#define NWID	0x9d3dee1129000001ULL
#define ALICE	0x8899332b2cULL
#define BOB	0xc211c6b838ULL
#define CTRL	0x9d3dee1129ULL
#define BCAST	0xffffffffffffULL

struct sent {
	uint64_t	 nwid, to;
	uint8_t		 verb;
	uint8_t		*p;
	size_t		 len;
	uint32_t	 gather;	/* frames: their gather limit */
	uint8_t		 flags;
};

static struct sent out[4096];
static size_t nout;

static void
rec_emit(void *arg, const struct vl2_mc_out *o)
{
	struct sent *s;

	(void)arg;
	REQUIRE(nout < sizeof(out) / sizeof(out[0]));
	s = &out[nout++];
	s->nwid = o->nwid;
	s->to = o->to;
	s->verb = o->verb;
	REQUIRE((s->p = malloc(o->len + 1)) != NULL);
	memcpy(s->p, o->payload, o->len);
	s->len = o->len;
	s->gather = o->frame != NULL ? o->frame->gather_limit : 0;
	s->flags = o->frame != NULL ? o->frame->flags : 0;
	/* a frame copy carries what its payload says */
	if (o->verb == VL2_MC_VERB_FRAME) {
		CHECK(o->frame != NULL);
		CHECK(o->frame->len <= o->len);
		CHECK(memcmp(o->frame->data, o->payload + o->len -
		    o->frame->len, o->frame->len) == 0);
	}
}

static void
rec_clear(void)
{
	size_t i;

	for (i = 0; i < nout; i++)
		free(out[i].p);
	nout = 0;
}

static size_t
rec_count(uint8_t verb)
{
	size_t i, k = 0;

	for (i = 0; i < nout; i++)
		if (out[i].verb == verb)
			k++;
	return k;
}

static void
mc_setup(struct vl2_mc *mc, const struct vl2_mc_caps *caps)
{
	struct vl2_mc_io io = { rec_emit, NULL };

	rec_clear();
	vl2_mc_init(mc, caps, &io, 0x0123456789abcdefULL);
}

static struct vl2_mc_net *
net_setup(struct vl2_mc *mc, uint64_t nwid, uint64_t self, uint32_t limit)
{
	struct vl2_mc_net *n;
	struct vl2_mc_conf c;

	REQUIRE((n = vl2_mc_net_add(mc, nwid)) != NULL);
	memset(&c, 0, sizeof(c));
	c.self = self;
	c.limit = limit;
	c.broadcast = true;
	REQUIRE(vl2_mc_net_configure(mc, n, &c, NULL) == 1);
	return n;
}

/* a payload from packets.json: cases by name or node_flow/live by seq */
static uint8_t *
flow_payload(json_t *v, const char *part, long long seq, size_t *len)
{
	json_t *pk, *e;
	size_t i;

	pk = json_object_get(json_object_get(v, part), "packets");
	json_array_foreach(pk, i, e)
		if (json_integer_value(json_object_get(e, "seq")) == seq)
			return test_jhex(e, "dearmored_payload", len);
	CHECKF(0, "%s seq %lld missing", part, seq);
	return NULL;
}

static uint8_t *
case_payload(json_t *v, const char *name, size_t *len)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(v, "cases"), i, e)
		if (strcmp(test_jstr(e, "name"), name) == 0)
			return test_jhex(e, "payload", len);
	CHECKF(0, "case %s missing", name);
	return NULL;
}

/* LIKE payloads rebuilt record by record are the same bytes */
static void
like_roundtrip(const uint8_t *p, size_t len)
{
	struct vl2_mc_like l;
	uint8_t buf[VL2_MC_LIKE_PER_PACKET * VL2_MC_LIKE_REC_LEN];
	struct rbuf r;
	struct wbuf w;

	CHECK(len % VL2_MC_LIKE_REC_LEN == 0);
	rbuf_init(&r, p, len);
	wbuf_init(&w, buf, sizeof(buf));
	while (rbuf_remaining(&r) > 0) {
		REQUIRE(vl2_mc_like_next(&r, &l) == 0);
		CHECK(vl2_mc_like_put(&w, l.nwid, &l.group) == 0);
	}
	CHECK(wbuf_len(&w) == len);
	CHECK_MEM(buf, p, len, "LIKE rebuilt");
}

static void
gather_roundtrip(const uint8_t *p, size_t len, uint8_t *com, size_t *comlen)
{
	struct vl2_mc_gather g;
	uint8_t buf[512], cb[COM_WIRE_MAX];
	struct wbuf w, cw;

	REQUIRE(vl2_mc_gather_parse(p, len, &g) == 0);
	wbuf_init(&cw, cb, sizeof(cb));
	if (g.has_com)
		REQUIRE(com_serialize(&g.com, &cw) == 0);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(vl2_mc_gather_put(&w, g.nwid, &g.group, g.limit,
	    g.has_com ? cb : NULL, wbuf_len(&cw)) == 0);
	CHECK(wbuf_len(&w) == len);
	CHECK_MEM(buf, p, len, "GATHER rebuilt");
	if (com != NULL) {
		memcpy(com, cb, wbuf_len(&cw));
		*comlen = wbuf_len(&cw);
	}
}

/* an IPv4 ARP request from alice (10.147.17.10) for tpa */
static void
arp_request(uint8_t d[28], const uint8_t tpa[4])
{
	static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };

	memset(d, 0, 28);
	memcpy(d, hdr, 8);
	d[8] = 0x02;
	d[14] = 10; d[15] = 147; d[16] = 17; d[17] = 10;
	memcpy(d + 24, tpa, 4);
}

static void
test_vectors(void)
{
	static const char *const likes[] = { "multicast_like_cs1",
	    "multicast_like_cs3" };
	static const uint8_t tpa[4] = { 10, 147, 17, 11 };
	struct vl2_mc mc;
	struct vl2_mc_net *n;
	struct vl2_mc_send s;
	struct mac_group added[VL2_MC_LOCAL_MAX], gr;
	struct inetaddr ip;
	uint8_t com[COM_WIRE_MAX], arp[28], a4[4] = { 10, 147, 17, 10 };
	uint8_t *p, *q;
	json_t *v, *pk, *e;
	size_t len, qlen, comlen = 0, i, nl = 0, ng = 0;
	uint64_t rx;
	int k;

	REQUIRE((v = test_vectors_load("packets.json")) != NULL);
	for (i = 0; i < 2; i++) {
		REQUIRE((p = case_payload(v, likes[i], &len)) != NULL);
		like_roundtrip(p, len);
		free(p);
	}
	REQUIRE((p = case_payload(v, "multicast_gather_cs3", &len)) != NULL);
	gather_roundtrip(p, len, NULL, NULL);
	free(p);

	/* every LIKE and GATHER alice sent to the live 1.14.1 controller */
	pk = json_object_get(json_object_get(v, "live_capture"), "packets");
	json_array_foreach(pk, i, e) {
		const char *verb = json_string_value(json_object_get(e,
		    "verb"));

		if (verb == NULL)
			continue;
		if (strcmp(verb, "MULTICAST_LIKE") == 0) {
			p = test_jhex(e, "dearmored_payload", &len);
			like_roundtrip(p, len);
			free(p);
			nl++;
		} else if (strcmp(verb, "MULTICAST_GATHER") == 0) {
			p = test_jhex(e, "dearmored_payload", &len);
			gather_roundtrip(p, len, NULL, NULL);
			free(p);
			ng++;
		}
	}
	CHECK(nl == 24 && ng == 58);

	/*
	 * node_flow: alice (10.147.17.10, broadcast on) announces to bob
	 * exactly the LIKE of seq 53, and her new ARP group alone (seq 29)
	 */
	mc_setup(&mc, NULL);
	n = net_setup(&mc, NWID, ALICE, 32);
	inetaddr_set_v4(&ip, a4, 24);
	k = vl2_mc_local_addrs(n, &ip, 1, added);
	CHECK(k == 1);
	CHECK(added[0].mac == BCAST && added[0].adi == 0x0a93110a);
	REQUIRE((p = flow_payload(v, "node_flow", 29, &len)) != NULL);
	vl2_mc_like_emit(&mc, n, CTRL, added, 1);
	REQUIRE(nout == 1);
	CHECK(out[0].to == CTRL && out[0].verb == VL2_MC_VERB_LIKE);
	CHECK(out[0].len == len && memcmp(out[0].p, p, len) == 0);
	free(p);
	rec_clear();
	REQUIRE((p = flow_payload(v, "node_flow", 53, &len)) != NULL);
	vl2_mc_like_emit(&mc, n, BOB, NULL, 0);
	REQUIRE(nout == 1);
	CHECK(out[0].to == BOB && out[0].nwid == NWID);
	CHECK(out[0].len == len && memcmp(out[0].p, p, len) == 0);
	free(p);
	rec_clear();

	/*
	 * node_flow seq 57/58: alice ARPs for 10.147.17.11 with nobody
	 * known; 1.14.1 sends the same GATHER (limit 33 = 32 - 0 + 1, her
	 * COM attached) to the best root and to the controller, which are
	 * one node there, and no frame
	 */
	REQUIRE((p = flow_payload(v, "node_flow", 57, &len)) != NULL);
	REQUIRE((q = flow_payload(v, "node_flow", 58, &qlen)) != NULL);
	CHECK(qlen == len && memcmp(p, q, len) == 0);
	gather_roundtrip(p, len, com, &comlen);
	n->conf.upstream[0] = CTRL;
	n->conf.nupstream = 1;
	arp_request(arp, tpa);
	CHECK(vl2_mc_group_for_frame(BCAST, 0x0806, arp, sizeof(arp), true,
	    &gr) == VL2_MC_ACCEPT);
	CHECK(gr.mac == BCAST && gr.adi == 0x0a93110b);
	memset(&s, 0, sizeof(s));
	s.group = gr;
	s.src = mac_from_address(ALICE, NWID);
	s.ethertype = 0x0806;
	s.data = arp;
	s.len = sizeof(arp);
	s.gather_com = com;
	s.gather_com_len = comlen;
	CHECK(vl2_mc_send(&mc, n, &s, 1000) == VL2_MC_ACCEPT);
	REQUIRE(nout == 2);
	CHECK(out[0].to == VL2_MC_TO_ROOT && out[1].to == CTRL);
	for (i = 0; i < 2; i++) {
		CHECK(out[i].verb == VL2_MC_VERB_GATHER);
		CHECK(out[i].len == len && memcmp(out[i].p, p, len) == 0);
	}
	free(p);
	free(q);
	rec_clear();
	vl2_mc_free(&mc);

	/* bob receives seq 53: alice is in both of her groups */
	mc_setup(&mc, NULL);
	n = net_setup(&mc, NWID, BOB, 32);
	REQUIRE((p = flow_payload(v, "node_flow", 53, &len)) != NULL);
	CHECK(vl2_mc_like_receive(&mc, ALICE, p, len, 17650, NULL,
	    NULL) == 2);
	gr.mac = BCAST;
	gr.adi = 0;
	CHECK(vl2_mc_members(n, &gr, &rx, 1) == 1 && rx == ALICE);
	gr.adi = 0x0a93110a;
	CHECK(vl2_mc_members(n, &gr, &rx, 1) == 1 && rx == ALICE);
	free(p);
	vl2_mc_free(&mc);
	json_decref(v);
}

/* MULTICAST_FRAME in every flag combination, against §3.9's layout */
static void
test_frame_layout(void)
{
	static const uint8_t data[5] = { 1, 2, 3, 4, 5 };
	uint8_t buf[1024], exp[1024], cb[COM_WIRE_MAX];
	struct vl2_mc_frame f, g;
	struct com com;
	struct identity id;
	struct wbuf w, cw;
	size_t e, comlen;
	unsigned int flags, cut;

	/* an unsigned COM as 1.14.1 issues one, for the flag 0x01 field */
	memset(&id, 0, sizeof(id));
	id.address = BOB;
	REQUIRE(com_issue(&com, NWID, 12345, 1800000, &id) == 0);
	wbuf_init(&cw, cb, sizeof(cb));
	REQUIRE(com_serialize(&com, &cw) == 0);
	comlen = wbuf_len(&cw);

	for (flags = 0; flags < 16; flags++) {
		memset(&f, 0, sizeof(f));
		f.nwid = NWID;
		f.flags = (uint8_t)(flags & ~VL2_MC_FF_COM);
		if (flags & VL2_MC_FF_COM) {
			f.com_wire = cb;
			f.com_len = comlen;
		}
		f.gather_limit = 0x01020304;
		f.src = 0x02aabbccddeeULL;
		f.group.mac = 0x01005e000001ULL;
		f.group.adi = 0x0a0b0c0d;
		f.ethertype = 0x0800;
		f.data = data;
		f.len = sizeof(data);
		wbuf_init(&w, buf, sizeof(buf));
		REQUIRE(vl2_mc_frame_put(&w, &f) == 0);

		e = 0;
		be64_put(exp, NWID);
		exp[8] = (uint8_t)flags;
		e = 9;
		if (flags & VL2_MC_FF_COM) {
			memcpy(exp + e, cb, comlen);
			e += comlen;
		}
		if (flags & VL2_MC_FF_GATHER) {
			be32_put(exp + e, 0x01020304);
			e += 4;
		}
		if (flags & VL2_MC_FF_SRC) {
			memcpy(exp + e, "\x02\xaa\xbb\xcc\xdd\xee", 6);
			e += 6;
		}
		memcpy(exp + e, "\x01\x00\x5e\x00\x00\x01\x0a\x0b\x0c\x0d"
		    "\x08\x00", 12);
		e += 12;
		memcpy(exp + e, data, sizeof(data));
		e += sizeof(data);
		CHECKF(wbuf_len(&w) == e, "flags %u", flags);
		CHECK_MEM(buf, exp, e, "MULTICAST_FRAME layout");

		REQUIRE(vl2_mc_frame_parse(buf, e, &g) == 0);
		CHECK(g.nwid == NWID && g.flags == flags);
		CHECK(g.has_com == ((flags & VL2_MC_FF_COM) != 0));
		if (g.has_com)
			CHECK(com_equal(&g.com, &com));
		CHECK(g.gather_limit == ((flags & VL2_MC_FF_GATHER) ?
		    0x01020304u : 0));
		CHECK(g.src == ((flags & VL2_MC_FF_SRC) ? f.src : 0));
		CHECK(g.group.mac == f.group.mac && g.group.adi == f.group.adi);
		CHECK(g.ethertype == 0x0800 && g.len == sizeof(data));
		CHECK(memcmp(g.data, data, sizeof(data)) == 0);
		/* every cut inside the fixed fields is malformed */
		for (cut = 0; cut < e - sizeof(data); cut++)
			CHECKF(vl2_mc_frame_parse(buf, cut, &g) == -1,
			    "flags %u cut %u", flags, cut);
		/* an empty payload parses (the receiver drops it later) */
		CHECK(vl2_mc_frame_parse(buf, e - sizeof(data), &g) == 0 &&
		    g.len == 0);
	}
	/* a COM flag with garbage where the COM should be */
	memset(buf, 0xff, 64);
	be64_put(buf, NWID);
	buf[8] = VL2_MC_FF_COM;
	buf[9] = 0x01;		/* COM version 1, then an absurd count */
	CHECK(vl2_mc_frame_parse(buf, 64, &g) == -1);
	/* data beyond 10 000 bytes is cut when sent */
	{
		static uint8_t big[VL2_MC_FRAME_DATA_MAX + 100];
		static uint8_t bb[VL2_MC_FRAME_DATA_MAX + 200];

		memset(&f, 0, sizeof(f));
		f.nwid = NWID;
		f.group.mac = BCAST;
		f.data = big;
		f.len = sizeof(big);
		wbuf_init(&w, bb, sizeof(bb));
		REQUIRE(vl2_mc_frame_put(&w, &f) == 0);
		CHECK(wbuf_len(&w) == 9 + 12 + VL2_MC_FRAME_DATA_MAX);
	}
}

static void
test_gather_ok_layout(void)
{
	uint8_t buf[256], cb[COM_WIRE_MAX];
	struct vl2_mc_gathered o;
	struct com com;
	struct identity id;
	struct wbuf w, cw;
	size_t len, cut, comlen;

	/* OK(MULTICAST_GATHER): nwid, MAC, ADI, total, count, addresses */
	memcpy(buf, "\x9d\x3d\xee\x11\x29\x00\x00\x01"
	    "\xff\xff\xff\xff\xff\xff\x0a\x93\x11\x0b"
	    "\x00\x00\x00\x07\x00\x02"
	    "\xc2\x11\xc6\xb8\x38\x88\x99\x33\x2b\x2c", 34);
	REQUIRE(vl2_mc_gather_ok_parse(buf, 34, &o) == 0);
	CHECK(o.nwid == NWID && o.group.mac == BCAST &&
	    o.group.adi == 0x0a93110b);
	CHECK(o.has_result && o.total == 7 && o.count == 2);
	CHECK(be40_get(o.addrs) == BOB && be40_get(o.addrs + 5) == ALICE);
	for (cut = 0; cut < 34; cut++)
		CHECK(vl2_mc_gather_ok_parse(buf, cut, &o) == -1);

	/* OK(MULTICAST_FRAME): ..., flags, COM if 0x01, result if 0x02 */
	memset(&id, 0, sizeof(id));
	id.address = CTRL;
	REQUIRE(com_issue(&com, NWID, 99, 1000, &id) == 0);
	wbuf_init(&cw, cb, sizeof(cb));
	REQUIRE(com_serialize(&com, &cw) == 0);
	comlen = wbuf_len(&cw);
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u64(&w, NWID);
	wbuf_put_bytes(&w, "\x33\x33\x00\x00\x00\x01", 6);
	wbuf_put_u32(&w, 0);
	wbuf_put_u8(&w, VL2_MC_OKF_COM | VL2_MC_OKF_GATHER);
	wbuf_put_bytes(&w, cb, comlen);
	wbuf_put_u32(&w, 1);
	wbuf_put_u16(&w, 1);
	wbuf_put_u40(&w, BOB);
	REQUIRE(!wbuf_failed(&w));
	len = wbuf_len(&w);
	REQUIRE(vl2_mc_frame_ok_parse(buf, len, &o) == 0);
	CHECK(o.has_com && com_equal(&o.com, &com));
	CHECK(o.has_result && o.count == 1 && be40_get(o.addrs) == BOB);
	for (cut = 0; cut < len; cut++)
		CHECK(vl2_mc_frame_ok_parse(buf, cut, &o) == -1);
	/* flags without a result: nothing to learn, still well formed */
	buf[18] = 0;
	CHECK(vl2_mc_frame_ok_parse(buf, 19, &o) == 0 && !o.has_result);
	/* a count the packet does not hold */
	memcpy(buf, "\x9d\x3d\xee\x11\x29\x00\x00\x01"
	    "\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00"
	    "\x00\x00\x00\x07\xff\xff\x01\x02\x03\x04\x05", 29);
	CHECK(vl2_mc_gather_ok_parse(buf, 29, &o) == -1);
	/* a GATHER cut short, and one with a bad COM */
	memcpy(buf, "\x9d\x3d\xee\x11\x29\x00\x00\x01\x00"
	    "\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x05", 23);
	for (cut = 0; cut < 23; cut++) {
		struct vl2_mc_gather g;

		CHECK(vl2_mc_gather_parse(buf, cut, &g) == -1);
	}
	{
		struct vl2_mc_gather g;

		CHECK(vl2_mc_gather_parse(buf, 23, &g) == 0 && g.limit == 5 &&
		    !g.has_com);
		buf[8] = VL2_MC_GF_COM;
		CHECK(vl2_mc_gather_parse(buf, 23, &g) == -1);
		buf[23] = 0x7f;
		CHECK(vl2_mc_gather_parse(buf, 24, &g) == -1);
	}
}

static bool
allow_all(void *arg, uint64_t nwid)
{
	(void)arg;
	(void)nwid;
	return true;
}

static bool
allow_none(void *arg, uint64_t nwid)
{
	(void)arg;
	(void)nwid;
	return false;
}

static void
test_like_receive_expiry(void)
{
	struct vl2_mc mc;
	struct vl2_mc_net *n;
	struct mac_group g = { BCAST, 0 }, g2 = { 0x333300000001ULL, 0 };
	uint8_t buf[200];
	uint64_t m[8];
	struct wbuf w;

	mc_setup(&mc, NULL);
	n = net_setup(&mc, NWID, ALICE, 32);
	wbuf_init(&w, buf, sizeof(buf));
	vl2_mc_like_put(&w, NWID, &g);
	vl2_mc_like_put(&w, NWID, &g2);
	vl2_mc_like_put(&w, NWID + 1, &g);	/* not joined */
	wbuf_put_bytes(&w, "\x01\x02\x03", 3);	/* trailing */
	CHECK(vl2_mc_like_receive(&mc, BOB, buf, wbuf_len(&w), 1000,
	    allow_all, NULL) == 2);
	CHECK(mc.drops[VL2_MC_DROP_NOT_JOINED] == 1);
	CHECK(mc.drops[VL2_MC_DROP_TRAILING] == 1);
	CHECK(vl2_mc_members(n, &g, m, 8) == 1 && m[0] == BOB);
	CHECK(vl2_mc_members(n, &g2, m, 8) == 1);
	/* a sender that fails the gate adds nothing */
	CHECK(vl2_mc_like_receive(&mc, CTRL, buf, 36, 1000, allow_none,
	    NULL) == 0);
	CHECK(mc.drops[VL2_MC_DROP_NOT_ALLOWED] == 2);
	/* a LIKE for a unicast MAC is not a subscription */
	wbuf_init(&w, buf, sizeof(buf));
	g.mac = 0x02aabbccddeeULL;
	vl2_mc_like_put(&w, NWID, &g);
	CHECK(vl2_mc_like_receive(&mc, CTRL, buf, 18, 1000, allow_all,
	    NULL) == 0);
	g.mac = BCAST;
	/* ourselves never */
	CHECK(vl2_mc_subscribe(&mc, n, &g, ALICE, 1000) == 0);
	CHECK(vl2_mc_members(n, &g, m, 8) == 1);
	/* refreshed at 300 000: alive until 900 000 */
	CHECK(vl2_mc_subscribe(&mc, n, &g, BOB, 300000) == 0);
	vl2_mc_expire(&mc, 600999);
	CHECK(vl2_mc_members(n, &g2, m, 8) == 1);
	vl2_mc_expire(&mc, 601000);
	CHECK(vl2_mc_members(n, &g, m, 8) == 1);
	CHECK(vl2_mc_members(n, &g2, m, 8) == 0);
	CHECK(n->ngroups == 1 && n->nsubs == 1 && mc.nsubs == 1);
	vl2_mc_expire(&mc, 899999);
	CHECK(vl2_mc_members(n, &g, m, 8) == 1);
	vl2_mc_expire(&mc, 900000);
	CHECK(vl2_mc_members(n, &g, m, 8) == 0);
	CHECK(n->ngroups == 0 && mc.nsubs == 0);
	/* UNWANTED_MULTICAST */
	vl2_mc_subscribe(&mc, n, &g, BOB, 1);
	vl2_mc_unsubscribe(&mc, n, &g, BOB);
	CHECK(vl2_mc_members(n, &g, m, 8) == 0);
	vl2_mc_free(&mc);
}

static bool
in_list(const uint64_t *a, size_t n, uint64_t x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == x)
			return true;
	return false;
}

static void
test_send_limit(void)
{
	static const uint8_t data[60];
	struct vl2_mc mc;
	struct vl2_mc_net *n;
	struct vl2_mc_conf c;
	struct vl2_mc_send s;
	struct mac_group g = { 0x01005e0000fbULL, 0 };
	struct vl2_mc_frame f;
	uint64_t seen[64];
	size_t i, j;
	int64_t now = 5000;

	mc_setup(&mc, NULL);
	n = net_setup(&mc, NWID, ALICE, 3);
	memset(&c, 0, sizeof(c));
	c.self = ALICE;
	c.limit = 3;
	c.broadcast = true;
	c.bridges[0] = 0x1111111111ULL;
	c.bridges[1] = ALICE;		/* self is never a bridge target */
	c.nbridges = 2;
	c.upstream[0] = CTRL;
	c.nupstream = 1;
	CHECK(vl2_mc_net_configure(&mc, n, &c, NULL) == 0);
	CHECK(n->conf.nbridges == 1);
	for (i = 0; i < 10; i++)
		vl2_mc_subscribe(&mc, n, &g, 0x2000000000ULL + i, now);
	vl2_mc_subscribe(&mc, n, &g, 0x1111111111ULL, now);
	memset(&s, 0, sizeof(s));
	s.group = g;
	s.src = n->mac;
	s.ethertype = 0x0800;
	s.data = data;
	s.len = sizeof(data);
	/* enough known: limit copies, bridge first, random distinct rest */
	for (j = 0; j < 20; j++) {
		rec_clear();
		CHECK(vl2_mc_send(&mc, n, &s, now) == VL2_MC_ACCEPT);
		REQUIRE(nout == 3);
		CHECK(rec_count(VL2_MC_VERB_GATHER) == 0);
		CHECK(out[0].to == 0x1111111111ULL);
		for (i = 0; i < 3; i++) {
			CHECK(out[i].verb == VL2_MC_VERB_FRAME);
			/* implicit gather of one, no source MAC */
			CHECK(out[i].flags == VL2_MC_FF_GATHER &&
			    out[i].gather == 1);
			REQUIRE(vl2_mc_frame_parse(out[i].p, out[i].len,
			    &f) == 0);
			CHECK(f.gather_limit == 1 && f.len == sizeof(data));
			seen[i] = out[i].to;
		}
		CHECK(seen[1] != seen[2] && seen[1] != ALICE);
	}
	/* the origin of a bridged-in frame gets no copy; src is sent */
	rec_clear();
	s.origin = 0x1111111111ULL;
	s.src = 0x02aabbccddeeULL;
	CHECK(vl2_mc_send(&mc, n, &s, now) == VL2_MC_ACCEPT);
	CHECK(nout == 3);
	for (i = 0; i < nout; i++) {
		CHECK(out[i].to != 0x1111111111ULL);
		REQUIRE(vl2_mc_frame_parse(out[i].p, out[i].len, &f) == 0);
		CHECK((f.flags & VL2_MC_FF_SRC) && f.src == s.src);
	}
	s.origin = 0;
	s.src = n->mac;

	/* limit 0: nothing at all */
	rec_clear();
	n->conf.limit = 0;
	CHECK(vl2_mc_send(&mc, n, &s, now) == VL2_MC_DROP_LIMIT_ZERO);
	CHECK(nout == 0);

	/* too few known: gather (rate-limited), queue, fill later */
	n->conf.limit = 8;
	g.mac = 0x01005e000001ULL;
	s.group = g;
	vl2_mc_subscribe(&mc, n, &g, 0x3000000001ULL, now);
	CHECK(vl2_mc_send(&mc, n, &s, now) == VL2_MC_ACCEPT);
	CHECK(rec_count(VL2_MC_VERB_GATHER) == 2);
	/* bridge + the one member; gather limit 8 - 1 + 1 */
	CHECK(rec_count(VL2_MC_VERB_FRAME) == 2);
	for (i = 0; i < nout; i++)
		if (out[i].verb == VL2_MC_VERB_FRAME)
			CHECK(out[i].gather == 8);
		else
			CHECK(out[i].len == 23 &&
			    be32_get(out[i].p + 19) == 8 && out[i].p[8] == 0);
	rec_clear();
	/* within 60 s with members known: no second gather */
	CHECK(vl2_mc_send(&mc, n, &s, now + 1000) == VL2_MC_ACCEPT);
	CHECK(rec_count(VL2_MC_VERB_GATHER) == 0);
	rec_clear();
	/* a member learned later gets both queued frames, once */
	vl2_mc_subscribe(&mc, n, &g, 0x3000000002ULL, now + 2000);
	CHECK(nout == 2);
	for (i = 0; i < nout; i++)
		CHECK(out[i].to == 0x3000000002ULL &&
		    out[i].verb == VL2_MC_VERB_FRAME);
	rec_clear();
	vl2_mc_subscribe(&mc, n, &g, 0x3000000002ULL, now + 2100);
	CHECK(nout == 0);
	/* after 60 s, a gather again */
	CHECK(vl2_mc_send(&mc, n, &s, now + 61000) == VL2_MC_ACCEPT);
	CHECK(rec_count(VL2_MC_VERB_GATHER) == 2);
	rec_clear();
	/* queued frames expire after 5 s */
	vl2_mc_expire(&mc, now + 61000 + VL2_MC_TX_TTL);
	vl2_mc_subscribe(&mc, n, &g, 0x3000000003ULL, now + 67000);
	CHECK(nout == 0);
	CHECK(mc.queued == 0);

	/* nobody known: a gather for every send */
	g.mac = 0x01005e000002ULL;
	s.group = g;
	for (i = 0; i < 3; i++)
		CHECK(vl2_mc_send(&mc, n, &s, now + (int64_t)i) ==
		    VL2_MC_ACCEPT);
	CHECK(rec_count(VL2_MC_VERB_GATHER) == 6);
	rec_clear();
	/* queue: 32 per group, the oldest dropped and counted */
	for (i = 0; i < 40; i++)
		vl2_mc_send(&mc, n, &s, now);
	CHECK(mc.drops[VL2_MC_DROP_QUEUE_FULL] == 3 + 40 - 32);
	rec_clear();
	/* a gather reply brings members: the queued frames reach them */
	{
		uint8_t ok[64];
		struct wbuf w;
		struct vl2_mc_gathered o;

		wbuf_init(&w, ok, sizeof(ok));
		wbuf_put_u64(&w, NWID);
		mac_group_serialize(&g, &w);
		wbuf_put_u32(&w, 3);
		wbuf_put_u16(&w, 3);
		wbuf_put_u40(&w, 0x4000000001ULL);
		wbuf_put_u40(&w, ALICE);
		wbuf_put_u40(&w, 0x4000000002ULL);
		REQUIRE(vl2_mc_gather_ok_parse(ok, wbuf_len(&w), &o) == 0);
		CHECK(vl2_mc_gathered_apply(&mc, &o, now) == VL2_MC_ACCEPT);
		CHECK(rec_count(VL2_MC_VERB_FRAME) == 2 * 32);
		for (i = 0; i < nout; i++)
			CHECK(out[i].to != ALICE);
		o.nwid++;
		CHECK(vl2_mc_gathered_apply(&mc, &o, now) ==
		    VL2_MC_DROP_NOT_JOINED);
	}
	rec_clear();
	/* the byte cap: nothing is queued beyond it */
	vl2_mc_free(&mc);
	{
		static const uint8_t big[2000];
		struct vl2_mc_caps caps = { 0, 0, 0, 3000 };

		mc_setup(&mc, &caps);
		n = net_setup(&mc, NWID, ALICE, 4);
		s.group = g;
		s.src = n->mac;
		s.data = big;
		s.len = sizeof(big);
		CHECK(vl2_mc_send(&mc, n, &s, now) == VL2_MC_ACCEPT);
		CHECK(vl2_mc_send(&mc, n, &s, now) ==
		    VL2_MC_DROP_QUEUE_BYTES);
		CHECK(mc.queued <= 3000);
		vl2_mc_free(&mc);
	}
	CHECK(in_list(seen, 3, 0x1111111111ULL));
	rec_clear();
}

static void
test_receive(void)
{
	static const uint8_t data[40];
	struct vl2_mc mc;
	struct vl2_mc_net *n;
	struct mac_group g = { BCAST, 0x0a93110a };
	struct vl2_mc_frame f;
	struct vl2_mc_gathered o;
	uint8_t buf[256], okb[VL2_MC_OK_PAYLOAD_MAX];
	struct wbuf w, ok;
	struct inetaddr ip;
	uint8_t a4[4] = { 10, 147, 17, 10 };
	bool bridged;
	size_t len, i;

	mc_setup(&mc, NULL);
	n = net_setup(&mc, NWID, ALICE, 32);
	inetaddr_set_v4(&ip, a4, 24);
	CHECK(vl2_mc_local_addrs(n, &ip, 1, NULL) == 1);
	for (i = 0; i < 5; i++)
		vl2_mc_subscribe(&mc, n, &g, 0x5000000000ULL + i, 1);
	vl2_mc_subscribe(&mc, n, &g, BOB, 1);

	memset(&f, 0, sizeof(f));
	f.nwid = NWID;
	f.flags = VL2_MC_FF_GATHER;
	f.gather_limit = 4;
	f.group = g;
	f.ethertype = 0x0806;
	f.data = data;
	f.len = sizeof(data);
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(vl2_mc_frame_put(&w, &f) == 0);
	len = wbuf_len(&w);

	/* accepted; the implicit gather lists us first, never bob */
	REQUIRE(vl2_mc_frame_parse(buf, len, &f) == 0);
	wbuf_init(&ok, okb, sizeof(okb));
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_ACCEPT);
	CHECK(!bridged && f.src == mac_from_address(BOB, NWID));
	REQUIRE(vl2_mc_frame_ok_parse(okb, wbuf_len(&ok), &o) == 0);
	REQUIRE(o.flags == VL2_MC_OKF_GATHER && o.has_result);
	CHECK(mc.delivered == 1);
	CHECK(o.nwid == NWID && o.group.adi == g.adi);
	CHECK(o.total == 7 && o.count == 4);
	CHECK(be40_get(o.addrs) == ALICE);
	for (i = 0; i < o.count; i++)
		CHECK(be40_get(o.addrs + 5 * i) != BOB);
	CHECK(wbuf_len(&ok) == 19 + 6 + 5 * 4);

	/* a foreign source: only from an active bridge */
	f.flags |= VL2_MC_FF_SRC;
	f.src = 0x02aabbccddeeULL;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_NOT_BRIDGE);
	CHECK(wbuf_len(&ok) == 0);
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, true, &f, 1, &bridged, &ok) ==
	    VL2_MC_ACCEPT && bridged);
	/* zero, multicast, our own source MAC */
	f.src = 0;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, true, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_BAD_SOURCE);
	f.src = 0x01aabbccddeeULL;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, true, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_BAD_SOURCE);
	f.src = n->mac;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, true, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_BAD_SOURCE);
	CHECK(mc.drops[VL2_MC_DROP_BAD_SOURCE] == 3);
	f.flags &= (uint8_t)~VL2_MC_FF_SRC;
	/* a unicast destination */
	f.group.mac = 0x02aabbccddeeULL;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_DEST_UNICAST);
	f.group = g;
	/* no payload: dropped, but the gather is still answered */
	f.len = 0;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_NO_PAYLOAD);
	CHECK(wbuf_len(&ok) > 0);
	f.len = VL2_MC_FRAME_DATA_MAX + 1;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_NO_PAYLOAD);
	f.len = sizeof(data);
	/* no gather asked: no answer */
	f.flags = 0;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_ACCEPT && wbuf_len(&ok) == 0);
	/* limit 0, other network */
	n->conf.limit = 0;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_LIMIT_ZERO);
	n->conf.limit = 32;
	f.nwid++;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged, &ok) ==
	    VL2_MC_DROP_NOT_JOINED);
	f.nwid--;

	/* MULTICAST_GATHER answers */
	{
		struct vl2_mc_gather q;

		memset(&q, 0, sizeof(q));
		q.nwid = NWID;
		q.group = g;
		q.limit = 100;
		CHECK(vl2_mc_gather_answer(&mc, n, 0x5000000000ULL, &q,
		    &ok) == VL2_MC_ACCEPT);
		REQUIRE(vl2_mc_gather_ok_parse(okb, wbuf_len(&ok), &o) == 0);
		CHECK(o.total == 7 && o.count == 6);
		q.limit = 0;
		CHECK(vl2_mc_gather_answer(&mc, n, BOB, &q, &ok) ==
		    VL2_MC_DROP_NO_RECIPIENT);
		/* a group nobody (us included) is in: no answer */
		q.limit = 5;
		q.group.adi = 1;
		CHECK(vl2_mc_gather_answer(&mc, n, BOB, &q, &ok) ==
		    VL2_MC_DROP_NO_RECIPIENT);
		CHECK(wbuf_len(&ok) == 0);
	}
	vl2_mc_free(&mc);
}

/* §8.3 step 1 and §3.9 step 3: replicators */
static void
test_replicator(void)
{
	static const uint8_t data[30];
	struct vl2_mc mc;
	struct vl2_mc_net *n;
	struct vl2_mc_send s;
	struct vl2_mc_frame f;
	struct mac_group g = { 0x01005e000009ULL, 0 };
	uint8_t buf[128], okb[64];
	struct wbuf w, ok;
	bool bridged;
	size_t i, q0;

	mc_setup(&mc, NULL);
	n = net_setup(&mc, NWID, ALICE, 8);
	for (i = 0; i < 4; i++)
		vl2_mc_subscribe(&mc, n, &g, 0x5100000000ULL + i, 1);
	n->conf.replicator = CTRL;
	memset(&s, 0, sizeof(s));
	s.group = g;
	s.src = n->mac;
	s.ethertype = 0x0800;
	s.data = data;
	s.len = sizeof(data);
	/* one copy, flags 0x0c, our MAC as the source, no gather field */
	CHECK(vl2_mc_send(&mc, n, &s, 5) == VL2_MC_ACCEPT);
	REQUIRE(nout == 1);
	CHECK(out[0].to == CTRL && out[0].verb == VL2_MC_VERB_FRAME);
	CHECK(out[0].len == 9 + 6 + 12 + sizeof(data));
	CHECK(out[0].p[8] == (VL2_MC_FF_SRC | VL2_MC_FF_REPLICATE));
	CHECK(mac_from_bytes(out[0].p + 9) == n->mac);
	rec_clear();
	/* the replicator's own frame does not go back to it */
	s.origin = CTRL;
	CHECK(vl2_mc_send(&mc, n, &s, 5) == VL2_MC_DROP_NO_RECIPIENT);
	CHECK(nout == 0);
	s.origin = 0;
	/* a unicast group is not sent as multicast */
	s.group.mac = 0x02aabbccddeeULL;
	CHECK(vl2_mc_send(&mc, n, &s, 5) == VL2_MC_DROP_MALFORMED);
	CHECK(nout == 0);
	s.group = g;
	/* an active bridge sends for itself */
	n->conf.self_bridge = true;
	CHECK(vl2_mc_send(&mc, n, &s, 5) == VL2_MC_ACCEPT);
	CHECK(rec_count(VL2_MC_VERB_FRAME) == 4);
	CHECK(rec_count(VL2_MC_VERB_GATHER) == 1 && nout == 5);
	rec_clear();
	n->conf.self_bridge = false;
	n->conf.replicator = 0;

	/* we replicate for bob: every subscriber but bob gets a copy */
	n->conf.self_replicator = true;
	vl2_mc_subscribe(&mc, n, &g, BOB, 1);
	/* (bob, new, got the frame queued above) */
	CHECK(nout == 1 && out[0].to == BOB);
	rec_clear();
	memset(&f, 0, sizeof(f));
	f.nwid = NWID;
	f.flags = VL2_MC_FF_SRC | VL2_MC_FF_REPLICATE;
	f.src = mac_from_address(BOB, NWID);
	f.group = g;
	f.ethertype = 0x0800;
	f.data = data;
	f.len = sizeof(data);
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(vl2_mc_frame_put(&w, &f) == 0);
	REQUIRE(vl2_mc_frame_parse(buf, wbuf_len(&w), &f) == 0);
	wbuf_init(&ok, okb, sizeof(okb));
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged,
	    &ok) == VL2_MC_ACCEPT);
	CHECK(rec_count(VL2_MC_VERB_FRAME) == 4);
	for (i = 0; i < nout; i++)
		CHECK(out[i].to != BOB && out[i].to != ALICE);
	rec_clear();
	/* without the role, flag 0x08 is only a flag */
	n->conf.self_replicator = false;
	CHECK(vl2_mc_frame_receive(&mc, n, BOB, false, &f, 1, &bridged,
	    &ok) == VL2_MC_ACCEPT);
	CHECK(nout == 0);
	/* a queued frame that reached its limit is let go at once */
	n->conf.limit = 3;
	g.mac = 0x01005e00000bULL;
	s.group = g;
	q0 = mc.queued;
	CHECK(vl2_mc_send(&mc, n, &s, 5) == VL2_MC_ACCEPT);
	CHECK(mc.queued > q0);
	vl2_mc_subscribe(&mc, n, &g, 0x5200000001ULL, 6);
	vl2_mc_subscribe(&mc, n, &g, 0x5200000002ULL, 6);
	CHECK(mc.queued > q0);
	vl2_mc_subscribe(&mc, n, &g, 0x5200000003ULL, 6);
	vl2_mc_subscribe(&mc, n, &g, 0x5200000004ULL, 6);
	CHECK(mc.queued == q0);
	CHECK(rec_count(VL2_MC_VERB_FRAME) == 3);
	rec_clear();
	/* at most 16 gather targets, the best root first */
	{
		struct vl2_mc_conf c = n->conf;

		for (i = 0; i < VL2_MC_GATHER_TARGETS; i++)
			c.upstream[i] = 0x5300000000ULL + i;
		c.nupstream = VL2_MC_GATHER_TARGETS;
		CHECK(vl2_mc_net_configure(&mc, n, &c, NULL) == 0);
		g.mac = 0x01005e00000cULL;
		s.group = g;
		CHECK(vl2_mc_send(&mc, n, &s, 5) == VL2_MC_ACCEPT);
		CHECK(rec_count(VL2_MC_VERB_GATHER) == VL2_MC_GATHER_TARGETS);
		CHECK(out[0].to == VL2_MC_TO_ROOT);
		c.nupstream = VL2_MC_GATHER_TARGETS + 1;
		CHECK(vl2_mc_net_configure(&mc, n, &c, NULL) == -1);
		n->conf.nupstream = 0;
		rec_clear();
	}
	/* a limit near 2^32 does not wrap the gather limit */
	n->conf.limit = UINT32_MAX;
	g.mac = 0x01005e00000aULL;
	s.group = g;
	CHECK(vl2_mc_send(&mc, n, &s, 5) == VL2_MC_ACCEPT);
	for (i = 0; i < nout; i++)
		if (out[i].verb == VL2_MC_VERB_GATHER)
			CHECK(be32_get(out[i].p + 19) == UINT32_MAX);
	CHECK(rec_count(VL2_MC_VERB_GATHER) == 1);
	rec_clear();
	vl2_mc_free(&mc);
}

static void
test_gather_bounds(void)
{
	struct vl2_mc mc;
	struct vl2_mc_net *n, *n2;
	struct mac_group g = { BCAST, 0 };
	struct vl2_mc_gather q;
	struct vl2_mc_gathered o;
	uint8_t okb[VL2_MC_OK_PAYLOAD_MAX];
	struct wbuf ok;
	uint64_t i, k;
	bool dup = false;

	/* 3000 subscribers: one packet holds 1 992 of them, no repeats */
	mc_setup(&mc, NULL);
	n = net_setup(&mc, NWID, ALICE, 32);
	for (i = 0; i < 3000; i++)
		vl2_mc_subscribe(&mc, n, &g, 0x6000000000ULL + i, 1);
	memset(&q, 0, sizeof(q));
	q.nwid = NWID;
	q.group = g;
	q.limit = 0xffffffff;
	wbuf_init(&ok, okb, sizeof(okb));
	CHECK(vl2_mc_gather_answer(&mc, n, BOB, &q, &ok) == VL2_MC_ACCEPT);
	REQUIRE(vl2_mc_gather_ok_parse(okb, wbuf_len(&ok), &o) == 0);
	/* ALICE is subscribed to broadcast: listed first */
	CHECK(o.total == 3001);
	CHECK(o.count == (VL2_MC_OK_PAYLOAD_MAX - 24) / 5);
	CHECK(be40_get(o.addrs) == ALICE);
	for (i = 1; i < o.count && !dup; i++)
		for (k = 1; k < i; k++)
			if (be40_get(o.addrs + 5 * i) ==
			    be40_get(o.addrs + 5 * k))
				dup = true;
	CHECK(!dup);
	/* refreshes and removals find each one (through the hash) */
	for (i = 0; i < 3000; i++)
		vl2_mc_subscribe(&mc, n, &g, 0x6000000000ULL + i, 2);
	CHECK(n->nsubs == 3000 && mc.nsubs == 3000);
	for (i = 0; i < 3000; i += 2)
		vl2_mc_unsubscribe(&mc, n, &g, 0x6000000000ULL + i);
	CHECK(n->nsubs == 1500);
	for (i = 0; i < 3000; i++)
		vl2_mc_subscribe(&mc, n, &g, 0x6000000000ULL + i, 3);
	CHECK(n->nsubs == 3000);
	CHECK(n->nhash >= n->nsubs);
	/* one address in many groups is many subscriptions (few buckets) */
	n2 = net_setup(&mc, NWID + 1, ALICE, 32);
	for (i = 0; i < 60; i++) {
		struct mac_group x = { 0x01005e000100ULL + i, 7 };

		vl2_mc_subscribe(&mc, n2, &x, BOB, 4);
	}
	for (i = 0, k = 0; i < 60; i++) {
		struct mac_group x = { 0x01005e000100ULL + i, 7 };
		uint64_t a;

		k += vl2_mc_members(n2, &x, &a, 1) == 1 && a == BOB;
	}
	CHECK(k == 60 && n2->nsubs == 60 && n2->nhash == 64);
	/* a small fixed buffer gets what fits */
	wbuf_init(&ok, okb, 18 + 6 + 5 * 3 + 2);
	CHECK(vl2_mc_gather_answer(&mc, n, BOB, &q, &ok) == VL2_MC_ACCEPT);
	REQUIRE(vl2_mc_gather_ok_parse(okb, wbuf_len(&ok), &o) == 0);
	CHECK(o.count == 3);
	vl2_mc_free(&mc);
}

static void
test_caps(void)
{
	struct vl2_mc_caps caps = { 4, 6, 10, 0 };
	struct vl2_mc mc;
	struct vl2_mc_net *n, *n2;
	struct mac_group g;
	uint64_t m[16], i;

	mc_setup(&mc, &caps);
	n = net_setup(&mc, NWID, ALICE, 32);
	n2 = net_setup(&mc, NWID + 1, ALICE, 32);
	/* groups: the least recently used goes, counted */
	g.adi = 0;
	for (i = 0; i < 6; i++) {
		g.mac = 0x01005e000000ULL + i;
		CHECK(vl2_mc_subscribe(&mc, n, &g, 0x7000000000ULL,
		    (int64_t)i) == 0);
	}
	CHECK(n->ngroups == 4);
	CHECK(mc.drops[VL2_MC_DROP_EVICT_GROUP] == 2);
	g.mac = 0x01005e000000ULL;
	CHECK(vl2_mc_members(n, &g, m, 16) == 0);
	g.mac = 0x01005e000005ULL;
	CHECK(vl2_mc_members(n, &g, m, 16) == 1);
	/* a refresh keeps a group: the next new one pushes out 3 */
	g.mac = 0x01005e000002ULL;
	CHECK(vl2_mc_subscribe(&mc, n, &g, 0x7000000000ULL, 50) == 0);
	g.mac = 0x01005e000010ULL;
	CHECK(vl2_mc_subscribe(&mc, n, &g, 0x7000000000ULL, 51) == 0);
	g.mac = 0x01005e000002ULL;
	CHECK(vl2_mc_members(n, &g, m, 16) == 1);
	g.mac = 0x01005e000003ULL;
	CHECK(vl2_mc_members(n, &g, m, 16) == 0);
	/* subscribers per network: the stalest is pushed out */
	g.mac = BCAST;
	for (i = 0; i < 10; i++)
		vl2_mc_subscribe(&mc, n, &g, 0x7100000000ULL + i,
		    100 + (int64_t)i);
	CHECK(n->nsubs == 6);
	CHECK(vl2_mc_members(n, &g, m, 16) == 6);
	/* in total: the oldest of any network goes */
	for (i = 0; i < 8; i++)
		vl2_mc_subscribe(&mc, n2, &g, 0x7200000000ULL + i,
		    200 + (int64_t)i);
	CHECK(mc.nsubs == 10);
	CHECK(n2->nsubs == 6 && n->nsubs == 4);
	CHECK(mc.drops[VL2_MC_DROP_EVICT_MEMBER] > 0);
	/* the survivors of n are its newest */
	CHECK(vl2_mc_members(n, &g, m, 16) == 4);
	for (i = 0; i < 4; i++)
		CHECK(m[i] >= 0x7100000006ULL && m[i] <= 0x7100000009ULL);
	vl2_mc_net_remove(&mc, n2);
	CHECK(mc.nsubs == 4 && mc.nnets == 1);
	vl2_mc_free(&mc);
	CHECK(mc.nsubs == 0 && mc.nnets == 0);
}

static void
test_local(void)
{
	struct vl2_mc mc;
	struct vl2_mc_net *n;
	struct vl2_mc_conf c;
	struct mac_group rep[3], added[VL2_MC_LOCAL_MAX], many[700], bg;
	uint8_t body[64];
	struct rbuf r;
	struct wbuf w;
	size_t ng, i;

	mc_setup(&mc, NULL);
	REQUIRE((n = vl2_mc_net_add(&mc, NWID)) != NULL);
	CHECK(vl2_mc_net_add(&mc, NWID) == n);
	CHECK(vl2_mc_net_find(&mc, NWID) == n);
	/* before a config: no broadcast group */
	rep[0].mac = 0x333300000001ULL; rep[0].adi = 0;
	rep[1].mac = 0x01005e000001ULL; rep[1].adi = 0;
	rep[2] = rep[0];
	CHECK(vl2_mc_local_report(n, rep, 3, added) == 2);
	CHECK(n->nlocal == 2);
	CHECK(added[0].mac == 0x01005e000001ULL);
	/* the same report again adds nothing */
	CHECK(vl2_mc_local_report(n, rep, 2, added) == 0);
	memset(&c, 0, sizeof(c));
	c.self = ALICE;
	c.limit = 32;
	c.broadcast = true;
	CHECK(vl2_mc_net_configure(&mc, n, &c, added) == 1);
	CHECK(added[0].mac == BCAST && added[0].adi == 0);
	bg.mac = BCAST;
	bg.adi = 0;
	CHECK(vl2_mc_subscribed(n, &bg));
	/* broadcast switched off: the group goes, nothing new */
	c.broadcast = false;
	CHECK(vl2_mc_net_configure(&mc, n, &c, added) == 0);
	CHECK(!vl2_mc_subscribed(n, &bg) && n->nlocal == 2);
	c.broadcast = true;
	CHECK(vl2_mc_net_configure(&mc, n, &c, added) == 1);
	/* a unicast group in a report refuses the whole set */
	rep[2].mac = 0x02aabbccddeeULL;
	CHECK(vl2_mc_local_report(n, rep, 3, added) == -1);
	CHECK(n->nlocal == 3);
	/* groups behind us as a bridge; a group known twice once */
	bg.mac = 0x01005e00007fULL;
	CHECK(vl2_mc_local_bridged(n, &bg, 5, added) == 1);
	CHECK(vl2_mc_local_bridged(n, &bg, 6, added) == 0);
	CHECK(vl2_mc_subscribed(n, &bg));
	/* a report that drops a group unsubscribes it */
	CHECK(vl2_mc_local_report(n, rep, 1, added) == 0);
	CHECK(n->nlocal == 3);
	/* sorted by MAC, then ADI */
	for (i = 1; i < n->nlocal; i++)
		CHECK(mac_group_cmp(&n->local[i - 1], &n->local[i]) < 0);

	/* packing: 554 records per LIKE, a new packet for the rest */
	for (i = 0; i < 700; i++) {
		many[i].mac = 0x01005e000000ULL + i;
		many[i].adi = (uint32_t)i;
	}
	CHECK(VL2_MC_LIKE_PER_PACKET == 554);
	vl2_mc_like_emit(&mc, n, BOB, many, 700);
	REQUIRE(nout == 2);
	CHECK(out[0].len == 554 * 18 && out[1].len == 146 * 18);
	CHECK(VL2_MC_HEADER_LEN + out[0].len + 24 >= VL2_MC_PACKET_MAX);
	CHECK(VL2_MC_HEADER_LEN + out[0].len - 18 + 24 < VL2_MC_PACKET_MAX);
	like_roundtrip(out[1].p, out[1].len);
	CHECK(be64_get(out[1].p) == NWID &&
	    be32_get(out[1].p + 14) == 554);
	rec_clear();
	/* nothing subscribed, nothing sent */
	vl2_mc_like_emit(&mc, n, BOB, many, 0);
	CHECK(nout == 0);

	/* the periodic pass: roots and upstream, the controller once */
	{
		uint64_t roots[2] = { CTRL, 0x1234567890ULL };
		int64_t last = 0;

		n->conf.upstream[0] = CTRL;
		n->conf.upstream[1] = 0x4444444444ULL;
		n->conf.nupstream = 2;
		rec_clear();
		CHECK(vl2_mc_announce_upstream(&mc, n, roots, 2, 500000));
		CHECK(nout == 3 && rec_count(VL2_MC_VERB_LIKE) == 3);
		CHECK(out[0].to == CTRL && out[1].to == roots[1] &&
		    out[2].to == 0x4444444444ULL);
		CHECK(out[0].len == n->nlocal * VL2_MC_LIKE_REC_LEN);
		rec_clear();
		CHECK(!vl2_mc_announce_upstream(&mc, n, roots, 2, 559999));
		CHECK(nout == 0);
		CHECK(vl2_mc_announce_peer(&mc, n, BOB, &last, 559999));
		CHECK(nout == 1 && out[0].to == BOB);
		CHECK(!vl2_mc_announce_peer(&mc, n, BOB, &last, 560000));
		CHECK(nout == 1);
		rec_clear();
		n->announced = false;
	}
	/* schedule: upstream every 60 s; a member by its own clock */
	CHECK(vl2_mc_upstream_due(n, 1000));
	CHECK(!vl2_mc_upstream_due(n, 60999));
	CHECK(vl2_mc_upstream_due(n, 61000));
	{
		int64_t last = 0;

		CHECK(vl2_mc_peer_due(&last, 500) && last == 500);
		CHECK(!vl2_mc_peer_due(&last, 60499));
		CHECK(vl2_mc_peer_due(&last, 60500) && last == 60500);
	}

	/* TAP_MCAST_REPORT body */
	wbuf_init(&w, body, sizeof(body));
	wbuf_put_u16(&w, 2);
	mac_group_serialize(&rep[0], &w);
	mac_group_serialize(&rep[1], &w);
	rbuf_init(&r, body, wbuf_len(&w));
	CHECK(vl2_mc_report_parse(&r, many, &ng) == 0 && ng == 2);
	CHECK(many[1].mac == rep[1].mac);
	for (i = 0; i < wbuf_len(&w); i++) {
		rbuf_init(&r, body, i);
		CHECK(vl2_mc_report_parse(&r, many, &ng) == -1 && ng == 0);
	}
	rbuf_init(&r, body, wbuf_len(&w));
	wbuf_put_u8(&w, 0);
	rbuf_init(&r, body, wbuf_len(&w));
	CHECK(vl2_mc_report_parse(&r, many, &ng) == -1);
	be16_put(body, VL2_MC_REPORT_MAX + 1);
	rbuf_init(&r, body, wbuf_len(&w));
	CHECK(vl2_mc_report_parse(&r, many, &ng) == -1);
	vl2_mc_free(&mc);
}

static void
test_group_for_frame(void)
{
	static const uint8_t tpa[4] = { 198, 18, 3, 4 };
	struct mac_group g;
	uint8_t arp[28];

	arp_request(arp, tpa);
	CHECK(vl2_mc_group_for_frame(BCAST, 0x0806, arp, 28, false, &g) ==
	    VL2_MC_ACCEPT);
	CHECK(g.mac == BCAST && g.adi == 0xc6120304);
	/* an ARP reply, or a short one: plain broadcast */
	arp[7] = 2;
	CHECK(vl2_mc_group_for_frame(BCAST, 0x0806, arp, 28, true, &g) ==
	    VL2_MC_ACCEPT && g.adi == 0);
	CHECK(vl2_mc_group_for_frame(BCAST, 0x0806, arp, 28, false, &g) ==
	    VL2_MC_DROP_BROADCAST_OFF);
	arp[7] = 1;
	CHECK(vl2_mc_group_for_frame(BCAST, 0x0806, arp, 27, true, &g) ==
	    VL2_MC_ACCEPT && g.adi == 0);
	CHECK(vl2_mc_group_for_frame(BCAST, 0x0800, arp, 28, true, &g) ==
	    VL2_MC_ACCEPT && g.adi == 0);
	CHECK(vl2_mc_group_for_frame(0x3333ff000001ULL, 0x86dd, arp, 28,
	    false, &g) == VL2_MC_ACCEPT);
	CHECK(g.mac == 0x3333ff000001ULL && g.adi == 0);
	CHECK(strcmp(vl2_mc_result_name(VL2_MC_DROP_NOT_BRIDGE),
	    "bridging_not_allowed") == 0);
	CHECK(strcmp(vl2_mc_result_name(VL2_MC_RESULT_MAX), "unknown") == 0);
}

int
main(void)
{
	test_vectors();
	test_frame_layout();
	test_gather_ok_layout();
	test_like_receive_expiry();
	test_send_limit();
	test_receive();
	test_replicator();
	test_gather_bounds();
	test_caps();
	test_local();
	test_group_for_frame();
	rec_clear();
	return test_main_end();
}
