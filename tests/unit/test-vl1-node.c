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

#define SIM_NODES	3
#define SIM_QUEUE	4096

struct sim_dgram {
	int		 from;		/* node index */
	struct inetaddr	 to;
	size_t		 len;
	uint8_t		 data[ZT_MAX_PACKET_LEN];
};

struct sim_node {
	struct vl1_node	*n;
	struct identity	 id;		/* with the private key */
	struct inetaddr	 addr;
	int		 index;
	unsigned int	 vl2_count;
	uint8_t		 last_vl2[ZT_MAX_PACKET_LEN];
	size_t		 last_vl2_len;
	uint64_t	 last_vl2_src;
};

static struct sim_node sim[SIM_NODES];
static struct sim_dgram *queue;
static size_t qhead, qtail;
static unsigned int dropped_junk;

static void
sim_send(void *arg, int sock, const struct inetaddr *to, const uint8_t *d,
    size_t len, int ttl)
{
	struct sim_node *s = arg;
	struct sim_dgram *g;

	if (qtail - qhead >= SIM_QUEUE || len > ZT_MAX_PACKET_LEN)
		return;
	g = &queue[qtail++ % SIM_QUEUE];
	g->from = s->index;
	g->to = *to;
	g->len = len;
	memcpy(g->data, d, len);
}

static int
sim_agree(void *arg, const struct identity *peer, uint8_t key[48])
{
	struct sim_node *s = arg;

	return identity_agree(&s->id, peer, key);
}

static void
sim_random(void *arg, void *p, size_t n)
{
	RAND_bytes(p, (int)n);
}

static void
sim_vl2(void *arg, uint64_t src, const uint8_t *p, size_t len, int64_t now)
{
	struct sim_node *s = arg;

	s->vl2_count++;
	s->last_vl2_src = src;
	s->last_vl2_len = len;
	memcpy(s->last_vl2, p, len);
}

/* delivers queued datagrams until the wire is quiet; returns how many */
static size_t
sim_pump(int64_t now)
{
	size_t delivered = 0;
	int i;

	while (qhead != qtail) {
		struct sim_dgram *g = &queue[qhead++ % SIM_QUEUE];

		for (i = 0; i < SIM_NODES; i++)
			if (inetaddr_ip_equal(&sim[i].addr, &g->to) &&
			    sim[i].addr.port == g->to.port)
				break;
		if (i == SIM_NODES) {
			dropped_junk++;
			continue;
		}
		delivered++;
		vl1_node_receive(sim[i].n, 0, &sim[g->from].addr, g->data,
		    g->len, now);
	}
	return delivered;
}

static void
sim_tick(int64_t now)
{
	int i;

	for (i = 0; i < SIM_NODES; i++)
		vl1_node_tick(sim[i].n, now);
	sim_pump(now);
}

static json_t *
find_named(json_t *arr, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")),
		    name) == 0)
			return e;
	return NULL;
}

static void
load_identity(json_t *ids, const char *name, struct identity *id)
{
	json_t *e = find_named(json_object_get(ids, "valid"), name);

	REQUIRE(e != NULL);
	REQUIRE(identity_from_string(id, test_jstr(e, "secret")) == 0);
}

static void
load_world(json_t *worlds, const char *name, struct world *w)
{
	json_t *e = find_named(json_object_get(worlds, "worlds"), name);
	uint8_t *b;
	size_t n;
	struct rbuf r;

	REQUIRE(e != NULL);
	b = test_jhex(e, "serialized", &n);
	rbuf_init(&r, b, n);
	REQUIRE(world_deserialize(w, &r) == 0);
	free(b);
}

static void
sim_setup(json_t *ids, const struct world *planet, int64_t now)
{
	static const char *names[SIM_NODES] = { "controller", "alice", "bob" };
	struct vl1_config c;
	struct vl1_io io;
	int i;

	for (i = 0; i < SIM_NODES; i++) {
		uint8_t ip[4] = { 10, 200, 0, (uint8_t)(i + 1) };

		memset(&sim[i], 0, sizeof(sim[i]));
		sim[i].index = i;
		load_identity(ids, names[i], &sim[i].id);
		inetaddr_set_v4(&sim[i].addr, ip, 9993);
		memset(&io, 0, sizeof(io));
		io.arg = &sim[i];
		io.send = sim_send;
		io.agree = sim_agree;
		io.random = sim_random;
		io.vl2 = sim_vl2;
		memset(&c, 0, sizeof(c));
		c.self = &sim[i].id;
		c.planet = planet;
		sim[i].n = vl1_node_new(&c, &io, now);
		REQUIRE(sim[i].n != NULL);
	}
}

static void
sim_teardown(void)
{
	int i;

	for (i = 0; i < SIM_NODES; i++) {
		vl1_node_free(sim[i].n);
		identity_clear(&sim[i].id);
	}
	qhead = qtail = 0;
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
	root = sim[0].n;
	alice = sim[1].n;
	bob = sim[2].n;
	CHECK(root->am_upstream && !alice->am_upstream);

	/* the leaves HELLO the root at its stable endpoint; it answers */
	sim_tick(now);
	/* bob shares alice's /24: the root's identity check waits 2 s */
	now += 2500;
	sim_tick(now);
	now += 2500;
	sim_tick(now);
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
		sim_tick(now);
	}
	CHECK(sim[2].vl2_count == 1);
	CHECK(sim[2].last_vl2_src == alice->self.address);
	CHECK(sim[2].last_vl2_len == ZT_PACKET_HEADER_LEN + 100);
	CHECK((sim[2].last_vl2[ZT_PKT_IDX_VERB] & 0x1f) == VL1_VERB_FRAME);
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
	sim_pump(now);
	CHECK(sim[2].vl2_count == 2);
	CHECK(sim[2].last_vl2_len == ZT_PACKET_HEADER_LEN + sizeof(frame));
	CHECK(memcmp(sim[2].last_vl2 + ZT_PACKET_HEADER_LEN, frame,
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
		vl1_node_receive(bob, 0, &sim[1].addr, pkt, len, now);
		CHECK(sim[2].vl2_count == 3);
		vl1_node_receive(bob, 0, &sim[1].addr, copy, len, now);
		CHECK(sim[2].vl2_count == 3);
		CHECK(bob->st.rx_duplicate == 1);
		/* a flipped bit fails the MAC */
		memcpy(copy, pkt, len);
		copy[len - 1] ^= 1;
		vl1_node_receive(bob, 0, &sim[1].addr, copy, len, now);
		CHECK(bob->st.rx_bad_mac >= 1);
	}

	/* keepalive: after 30 s of silence the paths stay alive */
	for (round = 0; round < 12; round++) {
		now += 5000;
		sim_tick(now);
	}
	p = vl1_peers_get(&alice->peers, bob->self.address);
	CHECK(p != NULL && vl1_peer_best_path(p, now, false) != NULL);
	sim_teardown();
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
	n = sim[1].n;
	for (i = 0; i < 20000; i++) {
		RAND_bytes((uint8_t *)&len, sizeof(len));
		len %= (i % 3 == 0) ? 64 : sizeof(d);
		RAND_bytes(d, (int)len);
		if (i % 4 == 0 && len > 18)	/* address it to the node */
			be40_put(d + 8, n->self.address);
		if (i % 8 == 0 && len > 28)
			d[ZT_PKT_IDX_FLAGS] = 0;	/* "cipher 0" */
		vl1_node_receive(n, 0, &sim[2].addr, d, len, now);
	}
	CHECK(n->st.rx_datagrams == 20000);
	CHECK(sim[1].vl2_count == 0);
	sim_teardown();
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
				vl1_expect_add(sim[k].n, wire);
		}
		for (k = 0; k < SIM_NODES; k++) {
			if (strcmp(to, names[k]) != 0)
				continue;
			/* the flow's one fragmented packet is a FRAME */
			if (strcmp(kind, "packet") == 0 && verb == NULL &&
			    packet_fragmented(wire))
				want_vl2[k]++;
			if (strcmp(kind, "packet") == 0 && verb != NULL &&
			    be40_get(wire + 8) == sim[k].n->self.address) {
				int code = (int)test_jint(e, "verb_code");

				/* a root answers MULTICAST_GATHER itself */
				if (code == VL1_VERB_MULTICAST_GATHER &&
				    sim[k].n->am_upstream)
					root_gathers++;
				else if ((code >= 6 && code <= 14) ||
				    (inre != NULL && strcmp(inre, "HELLO") &&
				    strcmp(inre, "WHOIS") &&
				    strcmp(inre, "ECHO")))
					want_vl2[k]++;
			}
			vl1_node_receive(sim[k].n, 0, &sim[(k + 1) %
			    SIM_NODES].addr, wire, len, t);
		}
		free(wire);
	}
	/* the flow's two gathers reached the root's own table */
	CHECK(root_gathers == 2);
	for (k = 0; k < SIM_NODES; k++) {
		struct vl1_stats *st = &sim[k].n->st;

		CHECKF(st->rx_bad_mac == 0, "%s: %llu bad MACs", names[k],
		    (unsigned long long)st->rx_bad_mac);
		CHECKF(st->rx_bad_compress == 0, "%s", names[k]);
		CHECKF(st->rx_malformed == 0, "%s", names[k]);
		/* every VL2 packet of the flow reached VL2 (bob's first
		 * HELLO is rate-limited by the root, as 1.14.1 did) */
		CHECKF(sim[k].vl2_count == want_vl2[k],
		    "%s: vl2 %u, wanted %u", names[k], sim[k].vl2_count,
		    want_vl2[k]);
	}
	sim_teardown();
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");
	json_t *pk = test_vectors_load("packets.json");
	struct world planet;

	queue = calloc(SIM_QUEUE, sizeof(*queue));
	REQUIRE(queue != NULL);
	load_world(worlds, "planet_netns", &planet);
	test_three_nodes(ids, &planet);
	test_garbage(ids, &planet);
	test_node_flow(ids, pk, &planet);
	free(queue);
	json_decref(ids);
	json_decref(worlds);
	json_decref(pk);
	return test_main_end();
}
