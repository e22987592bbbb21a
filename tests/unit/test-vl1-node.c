/*
 * The VL1 engine over a simulated wire: three engines (a root built from
 * world.json's planet_netns, alice and bob from identities.json) find each
 * other through the root, relay, get introduced and punch a direct path;
 * then packets.json's node_flow (real 1.14.1 traffic) is replayed into
 * engines playing each of its nodes.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "armor.h"
#include "buf.h"
#include "hex.h"
#include "node_int.h"
#include "packet.h"
#include "test.h"
#include "vl1sim.h"

#define SIM_NODES	3
#define SIM_QUEUE	4096

static struct vl1sim sim;

static void
sim_setup(json_t *ids, const struct world *planet, int64_t now)
{
	static const char *names[SIM_NODES] = { "controller", "alice", "bob" };
	int i;

	sim.ids = ids;
	sim.planet = planet;
	for (i = 0; i < SIM_NODES; i++) {
		uint8_t ip[4] = { 10, 200, 0, (uint8_t)(i + 1) };

		vl1sim_start(&sim, i, names[i], ip, NULL, now);
	}
}

static void
test_three_nodes(json_t *ids, const struct world *planet)
{
	int64_t now = 1700000000000LL;
	struct vl1_node *root, *alice, *bob;
	struct vl1_peer *p;
	uint8_t frame[4000];
	uint64_t relayed;
	int round;

	sim_setup(ids, planet, now);
	root = sim.node[0].n;
	alice = sim.node[1].n;
	bob = sim.node[2].n;
	CHECK(root->am_upstream && !alice->am_upstream);

	/* the leaves HELLO the root at its stable endpoint; it answers */
	vl1sim_tick(&sim, now);
	/* bob shares alice's /24: the root's identity check waits 2 s */
	now += 2500;
	vl1sim_tick(&sim, now);
	now += 2500;
	vl1sim_tick(&sim, now);
	CHECK(vl1_peers_get(&root->peers, alice->self.address) != NULL);
	CHECK(vl1_peers_get(&root->peers, bob->self.address) != NULL);
	p = vl1_peers_get(&alice->peers, root->self.address);
	REQUIRE(p != NULL);
	CHECK(vl1_peer_best_path(p, now, false) != NULL);
	CHECK(p->proto == VL1_PROTO_VERSION);
	CHECK(vl1_node_online(alice, now) && vl1_node_online(bob, now));

	/* an empty payload to an unknown node parks (no payload bytes) */
	CHECK(vl1_node_send(alice, 0x0123456789ULL, VL1_VERB_ECHO, NULL, 0,
	    now) == 0);
	CHECK(alice->st.tx_parked >= 1);

	/* alice -> bob: WHOIS through the root, relayed, then introduced */
	memset(frame, 0x42, 100);
	CHECK(vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME, frame,
	    100, now) == 0);
	CHECK(alice->st.whois_sent >= 1);
	for (round = 0; round < 6; round++) {
		now += 500;
		vl1sim_tick(&sim, now);
	}
	CHECK(sim.node[2].vl2_count == 1);
	CHECK(sim.node[2].last_vl2_src == alice->self.address);
	CHECK(sim.node[2].last_vl2_len == ZT_PACKET_HEADER_LEN + 100);
	CHECK((sim.node[2].last_vl2[ZT_PKT_IDX_VERB] & 0x1f) == VL1_VERB_FRAME);
	CHECK(root->st.relayed >= 1);
	CHECK(root->st.rendezvous_sent >= 2);

	/* the introduction punched a direct path both ways */
	p = vl1_peers_get(&alice->peers, bob->self.address);
	REQUIRE(p != NULL);
	CHECK(vl1_peer_best_path(p, now, false) != NULL);
	p = vl1_peers_get(&bob->peers, alice->self.address);
	REQUIRE(p != NULL);
	CHECK(vl1_peer_best_path(p, now, false) != NULL);

	/* now direct: a large frame is fragmented and bypasses the root */
	relayed = root->st.relayed;
	RAND_bytes(frame, sizeof(frame));	/* incompressible */
	CHECK(vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(sim.node[2].vl2_count == 2);
	CHECK(sim.node[2].last_vl2_len == ZT_PACKET_HEADER_LEN + sizeof(frame));
	CHECK(memcmp(sim.node[2].last_vl2 + ZT_PACKET_HEADER_LEN, frame,
	    sizeof(frame)) == 0);
	CHECK(root->st.relayed == relayed);
	CHECK(bob->st.rx_fragments >= 2);

	/* a replayed datagram is dropped as a duplicate */
	{
		uint8_t pkt[ZT_PACKET_HEADER_LEN + 10];
		size_t len = vl1_header(alice, pkt, bob->self.address,
		    VL1_VERB_FRAME);
		struct vl1_peer *pb = vl1_peers_get(&alice->peers,
		    bob->self.address);
		uint8_t copy[sizeof(pkt)];

		memset(pkt + len, 1, 10);
		len += 10;
		REQUIRE(armor_packet(pkt, len, pb->armor,
		    ARMOR_SUITE_AES_GMAC_SIV) == 0);
		memcpy(copy, pkt, len);
		vl1_node_receive(bob, 0, &sim.node[1].addr, pkt, len, now);
		CHECK(sim.node[2].vl2_count == 3);
		vl1_node_receive(bob, 0, &sim.node[1].addr, copy, len, now);
		CHECK(sim.node[2].vl2_count == 3);
		CHECK(bob->st.rx_duplicate == 1);
		/* a flipped bit fails the MAC */
		memcpy(copy, pkt, len);
		copy[len - 1] ^= 1;
		vl1_node_receive(bob, 0, &sim.node[1].addr, copy, len, now);
		CHECK(bob->st.rx_bad_mac >= 1);
	}

	/* keepalive: after 30 s of silence the paths stay alive */
	for (round = 0; round < 12; round++) {
		now += 5000;
		vl1sim_tick(&sim, now);
	}
	p = vl1_peers_get(&alice->peers, bob->self.address);
	CHECK(p != NULL && vl1_peer_best_path(p, now, false) != NULL);
	vl1sim_stop(&sim);
}

/* junk of every shape never crashes an engine and is counted */
static void
test_garbage(json_t *ids, const struct world *planet)
{
	int64_t now = 1700000000000LL;
	uint8_t d[ZT_MAX_PACKET_LEN + 16];
	struct vl1_node *n;
	size_t len;
	int i;

	sim_setup(ids, planet, now);
	n = sim.node[1].n;
	for (i = 0; i < 20000; i++) {
		RAND_bytes((uint8_t *)&len, sizeof(len));
		len %= (i % 3 == 0) ? 64 : sizeof(d);
		RAND_bytes(d, (int)len);
		if (i % 4 == 0 && len > 18)	/* address it to the node */
			be40_put(d + 8, n->self.address);
		if (i % 8 == 0 && len > 28)
			d[ZT_PKT_IDX_FLAGS] = 0;	/* "cipher 0" */
		vl1_node_receive(n, 0, &sim.node[2].addr, d, len, now);
	}
	CHECK(n->st.rx_datagrams == 20000);
	CHECK(sim.node[1].vl2_count == 0);
	vl1sim_stop(&sim);
}

/* real 1.14.1 traffic replayed into our engines, one per flow node */
static void
test_node_flow(json_t *ids, json_t *pk, const struct world *planet)
{
	json_t *flow = json_object_get(pk, "node_flow");
	json_t *pkts = json_object_get(flow, "packets");
	static const char *names[SIM_NODES] = { "controller", "alice", "bob" };
	unsigned int want_vl2[SIM_NODES] = { 0 }, root_gathers = 0;
	size_t i, len;
	json_t *e;
	int k;

	REQUIRE(json_array_size(pkts) > 0);
	sim_setup(ids, planet, 1700000000000LL);
	json_array_foreach(pkts, i, e) {
		const char *from = test_jstr(e, "from_node");
		const char *to = test_jstr(e, "to_node");
		const char *kind = test_jstr(e, "kind");
		const char *verb = json_string_value(json_object_get(e,
		    "verb"));
		const char *inre = json_string_value(json_object_get(e,
		    "in_re_verb"));
		int64_t t = (int64_t)test_jint(e, "t");
		uint8_t *wire = test_jhex(e, "wire", &len);

		for (k = 0; k < SIM_NODES; k++) {
			/* the engine playing the sender expects replies */
			if (strcmp(from, names[k]) == 0 &&
			    strcmp(kind, "packet") == 0)
				vl1_expect_add(sim.node[k].n, wire);
		}
		for (k = 0; k < SIM_NODES; k++) {
			if (strcmp(to, names[k]) != 0)
				continue;
			/* the flow's one fragmented packet is a FRAME */
			if (strcmp(kind, "packet") == 0 && verb == NULL &&
			    packet_fragmented(wire))
				want_vl2[k]++;
			if (strcmp(kind, "packet") == 0 && verb != NULL &&
			    be40_get(wire + 8) == sim.node[k].n->self.address) {
				int code = (int)test_jint(e, "verb_code");

				/* a root answers MULTICAST_GATHER itself */
				if (code == VL1_VERB_MULTICAST_GATHER &&
				    sim.node[k].n->am_upstream)
					root_gathers++;
				else if ((code >= 6 && code <= 14) ||
				    (inre != NULL && strcmp(inre, "HELLO") &&
				    strcmp(inre, "WHOIS") &&
				    strcmp(inre, "ECHO")))
					want_vl2[k]++;
			}
			vl1_node_receive(sim.node[k].n, 0, &sim.node[(k + 1) %
			    SIM_NODES].addr, wire, len, t);
		}
		free(wire);
	}
	/* the flow's two gathers reached the root's own table */
	CHECK(root_gathers == 2);
	for (k = 0; k < SIM_NODES; k++) {
		struct vl1_stats *st = &sim.node[k].n->st;

		CHECKF(st->rx_bad_mac == 0, "%s: %llu bad MACs", names[k],
		    (unsigned long long)st->rx_bad_mac);
		CHECKF(st->rx_bad_compress == 0, "%s", names[k]);
		CHECKF(st->rx_malformed == 0, "%s", names[k]);
		/* every VL2 packet of the flow reached VL2 (bob's first
		 * HELLO is rate-limited by the root, as 1.14.1 did) */
		CHECKF(sim.node[k].vl2_count == want_vl2[k],
		    "%s: vl2 %u, wanted %u", names[k], sim.node[k].vl2_count,
		    want_vl2[k]);
	}
	vl1sim_stop(&sim);
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");
	json_t *pk = test_vectors_load("packets.json");
	struct world planet;

	test_load_world(worlds, "planet_netns", &planet);
	vl1sim_init(&sim, ids, &planet, SIM_QUEUE);
	test_three_nodes(ids, &planet);
	test_garbage(ids, &planet);
	test_node_flow(ids, pk, &planet);
	vl1sim_free(&sim);
	json_decref(ids);
	json_decref(worlds);
	json_decref(pk);
	return test_main_end();
}
