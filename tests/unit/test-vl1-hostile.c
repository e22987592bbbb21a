/*
 * zt-vl1d's engine under hostile input (issue 4 item 10), one class per
 * test: random bytes; malformed, truncated and oversized packets; valid
 * headers from unknown senders (the WHOIS toward the root stays bounded);
 * HELLOs from many fresh identities; bad MACs; replays; fragment floods
 * (reassembly never holds more than 4 MiB); a planet update with a bad
 * signature; HELLOs with absurd timestamps.  Every one is dropped and
 * counted, never delivered, never a crash.  Also the root's multicast
 * table over the wire and the fallback to relaying when a direct path
 * dies.  Identities and the planet come from the vectors.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "armor.h"
#include "buf.h"
#include "node_int.h"
#include "packet.h"
#include "reasm.h"
#include "test.h"
#include "vl1sim.h"

#define SIM_NODES	3
#define SIM_QUEUE	8192
#define T0		1700000000000LL

static struct vl1sim sim;
static bool cut_leaves;		/* the direct alice <-> bob link is down */
static json_t *ids;

static bool
sim_lost(const struct vl1sim *w, int from, int to)
{
	(void)w;
	return cut_leaves && to != 0 && from != 0;
}

static void
sim_setup(const struct world *planet)
{
	static const char *names[SIM_NODES] = { "controller", "alice", "bob" };
	int i;

	sim.planet = planet;
	sim.lost = sim_lost;
	for (i = 0; i < SIM_NODES; i++) {
		/* the planet's root is 10.200.0.1; leaves in their own /24 */
		uint8_t ip[4] = { 10, 200, (uint8_t)(i == 0 ? 0 : i),
		    (uint8_t)(i == 0 ? 1 : 2) };

		vl1sim_start(&sim, i, names[i], ip, NULL, T0);
	}
	cut_leaves = false;
}

/* the three nodes online, alice and bob known to each other */
static int64_t
sim_online(void)
{
	int64_t now = T0;
	uint8_t b = 0;
	int r;

	vl1sim_tick(&sim, now);
	for (r = 0; r < 3; r++) {
		now += 1000;
		vl1sim_tick(&sim, now);
	}
	REQUIRE(vl1_node_online(sim.node[1].n, now) &&
	    vl1_node_online(sim.node[2].n, now));
	REQUIRE(vl1_node_send(sim.node[1].n, sim.node[2].n->self.address,
	    VL1_VERB_FRAME, &b, 1, now) == 0);
	for (r = 0; r < 4; r++) {
		now += 500;
		vl1sim_tick(&sim, now);
	}
	REQUIRE(vl1_peers_get(&sim.node[1].n->peers,
	    sim.node[2].n->self.address));
	return now;
}

/* an armored packet from node a to node b with a random payload */
static size_t
make_packet(int a, int b, uint8_t verb, size_t plen, uint8_t *pkt)
{
	struct vl1_peer *p = vl1_peers_get(&sim.node[a].n->peers,
	    sim.node[b].n->self.address);
	size_t len;

	REQUIRE(p != NULL);
	len = vl1_header(sim.node[a].n, pkt, sim.node[b].n->self.address, verb);
	RAND_bytes(pkt + len, (int)plen);
	len += plen;
	REQUIRE(armor_packet(pkt, len, p->armor,
	    ARMOR_SUITE_AES_GMAC_SIV) == 0);
	return len;
}

static void
test_malformed(const struct world *planet)
{
	uint8_t pkt[ZT_MAX_PACKET_LEN + 64], d[ZT_MAX_PACKET_LEN + 64];
	struct vl1_node *bob;
	struct vl1_stats before;
	unsigned int vl2;
	int64_t now;
	size_t len, cut;

	sim_setup(planet);
	now = sim_online();
	bob = sim.node[2].n;
	vl2 = sim.node[2].vl2_count;
	before = bob->st;

	/* every truncation of a valid packet: junk or a bad MAC */
	len = make_packet(1, 2, VL1_VERB_FRAME, 200, pkt);
	for (cut = 0; cut < len; cut++) {
		memcpy(d, pkt, cut);
		vl1_node_receive(bob, 0, &sim.node[1].addr, d, cut, now);
	}
	CHECK(sim.node[2].vl2_count == vl2);
	CHECK(bob->st.rx_bad_mac - before.rx_bad_mac +
	    bob->st.rx_junk - before.rx_junk +
	    bob->st.rx_malformed - before.rx_malformed >= len - 1);
	/* one byte appended: the MAC no longer covers it */
	memcpy(d, pkt, len);
	d[len] = 0;
	vl1_node_receive(bob, 0, &sim.node[1].addr, d, len + 1, now);
	CHECK(sim.node[2].vl2_count == vl2);
	/* oversized datagrams never get past the door */
	memset(d, 0x11, sizeof(d));
	be40_put(d + ZT_PKT_IDX_DEST, bob->self.address);
	be40_put(d + ZT_PKT_IDX_SOURCE, sim.node[1].n->self.address);
	d[ZT_PKT_IDX_FLAGS] = 3 << 3;
	vl1_node_receive(bob, 0, &sim.node[1].addr, d, sizeof(d), now);
	CHECK(sim.node[2].vl2_count == vl2);
	/* a corrupt LZ4 block under a valid MAC is counted */
	{
		struct vl1_peer *p = vl1_peers_get(&sim.node[1].n->peers,
		    bob->self.address);

		len = vl1_header(sim.node[1].n, pkt, bob->self.address,
		    VL1_VERB_FRAME | ZT_PKT_VERB_COMPRESSED);
		memset(pkt + len, 0xff, 64);	/* a run that never ends */
		len += 64;
		REQUIRE(armor_packet(pkt, len, p->armor,
		    ARMOR_SUITE_AES_GMAC_SIV) == 0);
		vl1_node_receive(bob, 0, &sim.node[1].addr, pkt, len, now);
		CHECK(bob->st.rx_bad_compress == before.rx_bad_compress + 1);
	}
	/* undefined cipher suites */
	len = make_packet(1, 2, VL1_VERB_FRAME, 40, pkt);
	pkt[ZT_PKT_IDX_FLAGS] = (uint8_t)((pkt[ZT_PKT_IDX_FLAGS] & ~0x38) |
	    (5 << 3));
	vl1_node_receive(bob, 0, &sim.node[1].addr, pkt, len, now);
	CHECK(bob->st.rx_bad_cipher == before.rx_bad_cipher + 1);
	CHECK(sim.node[2].vl2_count == vl2);
	vl1sim_stop(&sim);
}

static void
test_bad_mac_and_replay(const struct world *planet)
{
	uint8_t pkt[256], d[256];
	struct vl1_node *bob;
	uint64_t bad, dup;
	unsigned int vl2, i;
	int64_t now;
	size_t len;

	sim_setup(planet);
	now = sim_online();
	bob = sim.node[2].n;
	vl2 = sim.node[2].vl2_count;
	bad = bob->st.rx_bad_mac;
	len = make_packet(1, 2, VL1_VERB_FRAME, 100, pkt);
	/* every single-bit flip outside the hop count fails the MAC */
	for (i = 0; i < len * 8; i++) {
		/* another destination, source, suite or the hop count */
		if (i / 8 >= ZT_PKT_IDX_DEST && i / 8 <= ZT_PKT_IDX_FLAGS)
			continue;
		memcpy(d, pkt, len);
		d[i / 8] ^= (uint8_t)(1 << (i % 8));
		vl1_node_receive(bob, 0, &sim.node[1].addr, d, len, now);
	}
	CHECK(sim.node[2].vl2_count == vl2);
	CHECKF(bob->st.rx_bad_mac - bad == (len - 11) * 8,
	    "%llu bad MACs", (unsigned long long)(bob->st.rx_bad_mac - bad));
	/* the genuine packet once, then 100 replays */
	dup = bob->st.rx_duplicate;
	for (i = 0; i <= 100; i++) {
		memcpy(d, pkt, len);
		vl1_node_receive(bob, 0, &sim.node[1].addr, d, len, now + i);
	}
	CHECK(sim.node[2].vl2_count == vl2 + 1);
	CHECK(bob->st.rx_duplicate == dup + 100);
	vl1sim_stop(&sim);
}

/* valid-looking packets from 5000 unknown addresses */
static void
test_unknown_senders(const struct world *planet)
{
	uint8_t pkt[128];
	struct vl1_node *alice;
	uint64_t whois, src;
	unsigned int i, parked = 0;
	int64_t now;
	size_t k;

	sim_setup(planet);
	now = sim_online();
	alice = sim.node[1].n;
	whois = alice->st.whois_sent;
	/* 20 s of flood, 250 strangers a second */
	for (i = 0; i < 5000; i++) {
		RAND_bytes(pkt, sizeof(pkt));
		src = 0x1000000000ULL + i;
		be40_put(pkt + ZT_PKT_IDX_DEST, alice->self.address);
		be40_put(pkt + ZT_PKT_IDX_SOURCE, src);
		pkt[ZT_PKT_IDX_FLAGS] = 3 << 3;
		vl1_node_receive(alice, 0, &sim.node[2].addr, pkt, sizeof(pkt),
		    now + i * 4);
		if (i % 25 == 0)
			vl1_node_tick(alice, now + i * 4);
	}
	/* one budget for all: a burst, then VL1_WHOIS_RATE a second */
	CHECKF(alice->st.whois_sent - whois <= VL1_WHOIS_BURST +
	    20 * VL1_WHOIS_RATE + 1, "%llu WHOIS for 5000 strangers",
	    (unsigned long long)(alice->st.whois_sent - whois));
	/* 32 strangers that never stop: retries draw on the same budget */
	now += 20000;
	whois = alice->st.whois_sent;
	for (i = 0; i < 3200; i++) {
		RAND_bytes(pkt, sizeof(pkt));
		be40_put(pkt + ZT_PKT_IDX_DEST, alice->self.address);
		be40_put(pkt + ZT_PKT_IDX_SOURCE, 0x2000000000ULL + i % 32);
		pkt[ZT_PKT_IDX_FLAGS] = 3 << 3;
		vl1_node_receive(alice, 0, &sim.node[2].addr, pkt, sizeof(pkt),
		    now + (i / 32) * 100);
		if (i % 32 == 0)
			vl1_node_tick(alice, now + (i / 32) * 100);
	}
	CHECKF(alice->st.whois_sent - whois <= VL1_WHOIS_BURST +
	    10 * VL1_WHOIS_RATE + 1, "%llu WHOIS for 32 strangers",
	    (unsigned long long)(alice->st.whois_sent - whois));
	CHECK(alice->st.whois_ratelimited > 0);
	for (k = 0; k < sizeof(alice->park) / sizeof(alice->park[0]); k++)
		parked += alice->park[k].used && alice->park[k].inbound;
	CHECK(parked <= VL1_PARK_MAX);
	CHECK(alice->st.rx_park_dropped >= 5000 - VL1_PARK_MAX);
	CHECK(sim.node[1].vl2_count == 0);
	/* the root answered nothing it did not know: no peers were made */
	vl1sim_pump(&sim, now + 20000);
	CHECK(alice->peers.count <= 3);
	vl1sim_stop(&sim);
}

/* HELLOs from fresh identities: rate-limited per /24 and table-bounded */
static void
test_fresh_identities(const struct world *planet)
{
	static const char *names[] = { "carol", "dave", "erin", "frank",
	    "grace", "heidi", "root1", "root2", "moonroot" };
	const size_t nn = sizeof(names) / sizeof(names[0]);
	struct vl1_config c;
	struct vl1_io io;
	struct vl1_node *v;
	struct identity id;
	struct armor_key *k;
	uint8_t pkt[512], key[48];
	struct inetaddr from;
	struct wbuf w;
	size_t i, len;
	int pass;

	sim_setup(planet);
	/* a victim whose peer table holds 4 */
	vl1sim_io(&sim, 1, &io);
	memset(&c, 0, sizeof(c));
	c.self = &sim.node[1].id;
	c.planet = planet;
	c.max_peers = 4;
	REQUIRE((v = vl1_node_new(&c, &io, T0)) != NULL);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nn; i++) {
			/* pass 0: one /24; pass 1: one /24 each */
			uint8_t ip[4] = { 198, 51, (uint8_t)(pass ? 10 + i : 1),
			    (uint8_t)(i + 1) };
			int64_t ts = (int64_t)i % 3 == 0 ? 0 :
			    (int64_t)i % 3 == 1 ? INT64_MAX : T0;

			inetaddr_set_v4(&from, ip, 9993);
			test_load_identity(ids, names[i], &id);
			len = vl1_header(sim.node[1].n, pkt, v->self.address,
			    VL1_VERB_HELLO);
			be40_put(pkt + ZT_PKT_IDX_SOURCE, id.address);
			wbuf_init(&w, pkt + len, sizeof(pkt) - len);
			wbuf_put_u8(&w, 12);
			wbuf_put_u8(&w, 1);
			wbuf_put_u8(&w, 14);
			wbuf_put_u16(&w, 1);
			/* absurd timestamps: 0 and the far future */
			wbuf_put_u64(&w, (uint64_t)ts);
			identity_serialize(&id, false, &w);
			REQUIRE(!wbuf_failed(&w));
			len += wbuf_len(&w);
			REQUIRE(identity_agree(&id, &sim.node[1].id, key) == 0);
			REQUIRE((k = armor_key_new(key)) != NULL);
			REQUIRE(armor_packet(pkt, len, k,
			    ARMOR_SUITE_POLY1305) == 0);
			armor_key_free(k);
			identity_clear(&id);
			vl1_node_receive(v, 0, &from, pkt, len,
			    T0 + pass * 10000);
		}
		if (pass == 0) {
			/* one identity check per /24 per 2 s */
			CHECK(v->st.rx_ratelimited == nn - 1);
			CHECK(v->peers.count <= 1 + 1);
		}
	}
	/* the table never grows beyond its bound (1 root + 3 leaves) */
	CHECKF(v->peers.count <= 4, "%zu peers", v->peers.count);
	CHECK(v->peers.count >= 2);
	vl1sim_clear(&sim);
	vl1_node_free(v);
	vl1sim_stop(&sim);
}

static void
test_fragment_flood(const struct world *planet)
{
	uint8_t d[ZT_MAX_PACKET_LEN];
	struct reasm_stats rs;
	struct inetaddr from;
	struct vl1_node *bob;
	size_t max_bytes = 0, max_sets = 0;
	unsigned int i;
	int64_t now;

	sim_setup(planet);
	now = sim_online();
	bob = sim.node[2].n;
	for (i = 0; i < 20000; i++) {
		uint8_t ip[4] = { 203, 0, (uint8_t)(i % 64), 7 };
		size_t len = 1000 + (i % 9) * 1000;

		inetaddr_set_v4(&from, ip, (uint16_t)(1000 + i % 7));
		RAND_bytes(d, (int)len);
		be40_put(d + ZT_PKT_IDX_DEST, bob->self.address);
		if (i % 2 == 0) {
			/* fragments 1..6 of 7: six share a packet id */
			be32_put(d, i / 12);
			be32_put(d + 4, 0x7f7f7f7f);
			d[ZT_FRAG_IDX_INDICATOR] = ZT_FRAG_INDICATOR;
			d[ZT_FRAG_IDX_COUNTS] = (uint8_t)(7 << 4 |
			    (1 + (i / 2) % 6));
			d[ZT_FRAG_IDX_HOPS] = 0;
		} else {
			/* heads that claim to be fragmented */
			d[ZT_FRAG_IDX_INDICATOR] = 0x42;
			d[ZT_PKT_IDX_FLAGS] = ZT_PKT_FLAG_FRAGMENTED | 3 << 3;
		}
		vl1_node_receive(bob, 0, &from, d, len, now + i / 100);
		reasm_get_stats(bob->reasm, &rs);
		if (rs.bytes > max_bytes)
			max_bytes = rs.bytes;
		if (rs.sets > max_sets)
			max_sets = rs.sets;
	}
	CHECKF(max_bytes <= REASM_MAX_BYTES, "reassembly held %zu bytes",
	    max_bytes);
	CHECK(max_bytes > REASM_MAX_BYTES / 2);	/* the flood did push */
	CHECK(max_sets <= 256);
	reasm_get_stats(bob->reasm, &rs);
	CHECK(rs.evicted > 0);
	CHECK(sim.node[2].vl2_count == 1);	/* only sim_online's frame */
	/* the flood is forgotten after the timeout */
	vl1_node_tick(bob, now + 60000);
	reasm_get_stats(bob->reasm, &rs);
	CHECK(rs.sets == 0 && rs.bytes == 0);
	vl1sim_stop(&sim);
}

/*
 * An OK(HELLO) from the root carrying our planet with a newer timestamp
 * but a signature that no longer matches: never applied.
 */
static void
test_bad_world(const struct world *planet)
{
	uint8_t pkt[VL1_BUF_LEN], inre[8];
	struct vl1_node *alice;
	struct vl1_peer *rp;
	struct world bad = *planet;
	struct wbuf w;
	size_t len, wl;
	int64_t now;

	sim_setup(planet);
	now = sim_online();
	alice = sim.node[1].n;
	bad.timestamp = planet->timestamp + 1000;
	/* alice expects a reply to this id */
	memset(inre, 0x5a, sizeof(inre));
	vl1_expect_add(alice, inre);
	rp = vl1_peers_get(&sim.node[0].n->peers, alice->self.address);
	REQUIRE(rp != NULL);
	len = vl1_reply_header(sim.node[0].n, pkt, alice->self.address,
	    VL1_VERB_OK, VL1_VERB_HELLO, inre);
	wbuf_init(&w, pkt + len, sizeof(pkt) - len);
	wbuf_put_u64(&w, (uint64_t)now);
	wbuf_put_u8(&w, 12);
	wbuf_put_u8(&w, 1);
	wbuf_put_u8(&w, 14);
	wbuf_put_u16(&w, 1);
	inetaddr_serialize(&sim.node[1].addr, &w);
	wl = wbuf_len(&w);
	wbuf_put_u16(&w, 0);
	REQUIRE(world_serialize(&bad, &w) == 0);
	wbuf_patch_u16(&w, wl, (uint16_t)(wbuf_len(&w) - wl - 2));
	REQUIRE(!wbuf_failed(&w));
	len += wbuf_len(&w);
	REQUIRE(armor_packet(pkt, len, rp->armor,
	    ARMOR_SUITE_AES_GMAC_SIV) == 0);
	vl1_node_receive(alice, 0, &sim.node[0].addr, pkt, len, now);
	CHECK(alice->planet.timestamp == planet->timestamp);
	CHECK(world_equal(&alice->planet, planet));
	vl1sim_stop(&sim);
}

/* the root keeps LIKEs and answers GATHER from its own table */
static void
test_root_multicast(const struct world *planet)
{
	uint8_t like[18], gather[23];
	struct vl1_node *root;
	struct rbuf r;
	uint64_t a, nwid = 0x9d3dee1129000001ULL;
	uint32_t total;
	uint16_t cnt;
	uint8_t verb;
	int64_t now;
	int i;

	sim_setup(planet);
	now = sim_online();
	root = sim.node[0].n;
	be32_put(like, (uint32_t)(nwid >> 32));
	be32_put(like + 4, (uint32_t)nwid);
	memset(like + 8, 0xff, 6);
	memset(like + 14, 0, 4);
	/* alice likes the broadcast group */
	REQUIRE(vl1_node_send(sim.node[1].n, root->self.address,
	    VL1_VERB_MULTICAST_LIKE, like, sizeof(like), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(root->st.mc_likes == 1);
	/* bob gathers it: the answer lists alice, not bob */
	memcpy(gather, like, 8);
	gather[8] = 0;
	memcpy(gather + 9, like + 8, 10);
	be32_put(gather + 19, 16);
	for (i = 0; i < 2; i++) {
		sim.node[2].vl2_count = 0;
		REQUIRE(vl1_node_send(sim.node[2].n, root->self.address,
		    VL1_VERB_MULTICAST_GATHER, gather, sizeof(gather),
		    now) == 0);
		vl1sim_pump(&sim, now);
		REQUIRE(sim.node[2].vl2_count == 1);
		rbuf_init(&r, sim.node[2].last_vl2 + ZT_PACKET_HEADER_LEN,
		    sim.node[2].last_vl2_len - ZT_PACKET_HEADER_LEN);
		CHECK((sim.node[2].last_vl2[ZT_PKT_IDX_VERB] & 0x1f) ==
		    VL1_VERB_OK);
		CHECK(rbuf_get_u8(&r, &verb) == 0 &&
		    verb == VL1_VERB_MULTICAST_GATHER);
		CHECK(rbuf_skip(&r, 8 + 8 + 6 + 4) == 0);
		CHECK(rbuf_get_u32(&r, &total) == 0);
		CHECK(rbuf_get_u16(&r, &cnt) == 0);
		CHECK(rbuf_get_u40(&r, &a) == 0);
		CHECK(rbuf_done(&r));
		CHECK(a == sim.node[1].n->self.address && cnt == 1);
		CHECK(total == (uint32_t)(i + 1));
		/* bob now likes it too: alice alone is still listed */
		REQUIRE(vl1_node_send(sim.node[2].n, root->self.address,
		    VL1_VERB_MULTICAST_LIKE, like, sizeof(like), now) == 0);
		vl1sim_pump(&sim, now);
	}
	/* alice asks: only bob is returned; then 600 s later nobody */
	sim.node[1].vl2_count = 0;
	REQUIRE(vl1_node_send(sim.node[1].n, root->self.address,
	    VL1_VERB_MULTICAST_GATHER, gather, sizeof(gather), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(sim.node[1].vl2_count == 1);
	CHECK(root->st.mc_gathers_answered == 3);
	vl1_node_tick(root, now + VL1_MC_EXPIRE + VL1_HOUSEKEEPING);
	CHECK(root->mcast.nmembers == 0);
	/* a leaf does not answer a gather itself: VL2 gets it */
	sim.node[1].vl2_count = 0;
	REQUIRE(vl1_node_send(sim.node[2].n, sim.node[1].n->self.address,
	    VL1_VERB_MULTICAST_GATHER, gather, sizeof(gather), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(sim.node[1].vl2_count == 1);
	vl1sim_stop(&sim);
}

/*
 * A direct path that dies: after ZT_PEER_PATH_EXPIRATION (243 s) traffic
 * goes through the root again, and the root introduces the two again so
 * that a restored link is punched anew (spec/vl1.md §5.5, §5.8).
 */
static void
test_relay_fallback(const struct world *planet)
{
	struct vl1_node *root, *alice, *bob;
	struct vl1_peer *p;
	uint8_t frame[64];
	uint64_t relayed;
	unsigned int got;
	int64_t now;
	int r;

	sim_setup(planet);
	now = sim_online();
	root = sim.node[0].n;
	alice = sim.node[1].n;
	bob = sim.node[2].n;
	p = vl1_peers_get(&alice->peers, bob->self.address);
	REQUIRE(p != NULL && vl1_peer_best_path(p, now, false) != NULL);

	cut_leaves = true;
	for (r = 0; r < 60; r++) {
		now += 5000;
		/* VL2 traffic keeps the peers "active" */
		memset(frame, r, sizeof(frame));
		vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME,
		    frame, sizeof(frame), now);
		vl1sim_tick(&sim, now);
	}
	CHECK(vl1_peer_best_path(p, now, false) == NULL);
	relayed = root->st.relayed;
	got = sim.node[2].vl2_count;
	CHECK(vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	vl1sim_pump(&sim, now);
	CHECKF(sim.node[2].vl2_count == got + 1, "relayed frame lost");
	CHECK(root->st.relayed > relayed);

	/* the link comes back: the next introduction punches it again */
	cut_leaves = false;
	for (r = 0; r < 8; r++) {
		now += 5000;
		vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME,
		    frame, sizeof(frame), now);
		vl1sim_tick(&sim, now);
	}
	CHECK(vl1_peer_best_path(p, now, false) != NULL);
	relayed = root->st.relayed;
	CHECK(vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(root->st.relayed == relayed);
	vl1sim_stop(&sim);
}

/* random bytes with the destination set, from many sources */
static void
test_random(const struct world *planet)
{
	uint8_t d[2048];
	struct inetaddr from;
	struct vl1_node *bob;
	unsigned int i;
	int64_t now;
	size_t len;

	sim_setup(planet);
	now = sim_online();
	bob = sim.node[2].n;
	for (i = 0; i < 20000; i++) {
		uint8_t ip[4] = { 192, 0, 2, (uint8_t)i };

		RAND_bytes((uint8_t *)&len, sizeof(len));
		len %= sizeof(d);
		RAND_bytes(d, (int)len);
		if (len > 18 && i % 2)
			be40_put(d + ZT_PKT_IDX_DEST, bob->self.address);
		if (len > 18 && i % 4 == 1)
			be40_put(d + ZT_PKT_IDX_SOURCE,
			    sim.node[1].n->self.address);
		inetaddr_set_v4(&from, ip, 9993);
		vl1_node_receive(bob, 0, &from, d, len, now + i / 50);
	}
	CHECK(sim.node[2].vl2_count == 1);
	CHECK(bob->st.rx_datagrams >= 20000);
	vl1sim_stop(&sim);
}

int
main(void)
{
	json_t *worlds = test_vectors_load("world.json");
	struct world planet;

	ids = test_vectors_load("identities.json");
	test_load_world(worlds, "planet_netns", &planet);
	vl1sim_init(&sim, ids, &planet, SIM_QUEUE);
	test_malformed(&planet);
	test_bad_mac_and_replay(&planet);
	test_unknown_senders(&planet);
	test_fresh_identities(&planet);
	test_fragment_flood(&planet);
	test_bad_world(&planet);
	test_root_multicast(&planet);
	test_relay_fallback(&planet);
	test_random(&planet);
	vl1sim_free(&sim);
	json_decref(ids);
	json_decref(worlds);
	return test_main_end();
}
