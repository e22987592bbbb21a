/*
 * local.conf's per-network and per-peer settings in the VL1 engine
 * (spec/service.md §3, spec/vl1.md §5.3 and §5.5): physical.<cidr>.mtu
 * sizes the datagrams sent on paths in that network, virtual.<address>.try
 * reaches a peer with no path and no root, virtual.<address>.blacklist
 * keeps a network from ever carrying that peer.  Three engines on a
 * simulated wire; the planet is world.json's planet_netns.
 */
#include <string.h>

#include <openssl/rand.h>

#include "node_int.h"
#include "packet.h"
#include "test.h"
#include "vl1sim.h"

#define SIM_NODES	3
#define SIM_QUEUE	1024

static struct vl1sim sim;
static struct {
	size_t	 max_sent;	/* largest datagram sent to the root */
	size_t	 first_sent;	/* first one, 0 when none yet */
} sent[SIM_NODES];
static bool root_down;			/* datagrams to node 0 are lost */

static void
sim_sent(struct vl1sim_node *s, const struct inetaddr *to, const uint8_t *d,
    size_t len)
{
	if (inetaddr_ip_equal(to, &sim.node[0].addr)) {
		if (sent[s->index].first_sent == 0)
			sent[s->index].first_sent = len;
		if (len > sent[s->index].max_sent)
			sent[s->index].max_sent = len;
	}
}

static bool
sim_lost(const struct vl1sim *w, int from, int to)
{
	return to == 0 && root_down;
}

/* the identity cache: every node of the simulation is "cached" */
static int
sim_lookup(struct vl1sim_node *s, uint64_t a, struct identity *out)
{
	int i;

	for (i = 0; i < SIM_NODES; i++)
		if (sim.node[i].id.address == a)
			return identity_copy(out, &sim.node[i].id, false);
	return -1;
}

/* node i with configuration c (self and planet are filled in) */
static void
sim_start(json_t *ids, const struct world *planet, int i,
    struct vl1_config *c, int64_t now)
{
	static const char *names[SIM_NODES] = { "controller", "alice", "bob" };
	uint8_t ip[4] = { 10, 200, 0, (uint8_t)(i + 1) };

	sim.ids = ids;
	sim.planet = planet;
	sim.sent = sim_sent;
	sim.lost = sim_lost;
	sim.lookup = sim_lookup;
	memset(&sent[i], 0, sizeof(sent[i]));
	vl1sim_start(&sim, i, names[i], ip, c, now);
}

static void
sim_stop(void)
{
	vl1sim_stop(&sim);
	root_down = false;
}

/* physical.10.200.0.0/24.mtu = 1400 on alice; bob keeps the default */
static void
test_mtu(json_t *ids, const struct world *planet)
{
	struct vl1_phys_mtu m;
	struct vl1_config c[SIM_NODES];
	struct inetaddr other;
	uint8_t frame[4000], ip[4] = { 10, 201, 0, 1 };
	uint64_t root;
	int64_t now = 1700000000000LL;
	int i;

	memset(c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	REQUIRE(inetaddr_parse_cidr(&m.net, "10.200.0.0/24") == 0);
	m.mtu = 1400;
	c[1].mtus = &m;
	c[1].nmtus = 1;
	for (i = 0; i < SIM_NODES; i++)
		sim_start(ids, planet, i, &c[i], now);
	root = sim.node[0].n->self.address;
	CHECK(vl1_node_path_mtu(sim.node[1].n, &sim.node[0].addr) == 1400);
	inetaddr_set_v4(&other, ip, 9993);
	CHECK(vl1_node_path_mtu(sim.node[1].n, &other) == ZT_DEFAULT_PHYSMTU);
	CHECK(vl1_node_path_mtu(sim.node[2].n, &sim.node[0].addr) ==
	    ZT_DEFAULT_PHYSMTU);
	for (i = 0; i < 3; i++) {
		vl1sim_tick(&sim, now);
		now += 2500;
	}
	REQUIRE(vl1_peers_get(&sim.node[1].n->peers, root) != NULL);
	REQUIRE(vl1_peers_get(&sim.node[2].n->peers, root) != NULL);
	RAND_bytes(frame, sizeof(frame));	/* incompressible */
	for (i = 1; i < SIM_NODES; i++) {
		sent[i].max_sent = sent[i].first_sent = 0;
		CHECK(vl1_node_send(sim.node[i].n, root, VL1_VERB_FRAME, frame,
		    sizeof(frame), now) == 0);
		vl1sim_pump(&sim, now);
	}
	CHECKF(sent[1].first_sent == 1400 && sent[1].max_sent == 1400,
	    "alice: first %zu, largest %zu", sent[1].first_sent,
	    sent[1].max_sent);
	CHECKF(sent[2].first_sent == ZT_DEFAULT_PHYSMTU &&
	    sent[2].max_sent == ZT_DEFAULT_PHYSMTU,
	    "bob: first %zu, largest %zu", sent[2].first_sent,
	    sent[2].max_sent);
	/* both arrived whole, whatever the fragment size */
	CHECK(sim.node[0].vl2_count == 2);
	sim_stop();
}

/*
 * The root is down, so alice can neither WHOIS nor relay: only bob's
 * "try" address gets her frame to him.  With a blacklist covering that
 * address the try is skipped and nothing arrives.
 */
static void
test_virtual(json_t *ids, const struct world *planet, bool blacklisted)
{
	struct vl1_config c[SIM_NODES];
	struct vl1_virtual v;
	struct vl1_peer *p;
	uint8_t frame[100];
	uint64_t bob;
	int64_t now = 1700000000000LL;
	int i;

	memset(c, 0, sizeof(c));
	memset(&v, 0, sizeof(v));
	for (i = 0; i < SIM_NODES; i++)
		sim_start(ids, planet, i, &c[i], now);
	bob = sim.node[2].n->self.address;
	vl1_node_free(sim.node[1].n);
	v.address = bob;
	v.try[v.ntry++] = sim.node[2].addr;
	if (blacklisted)
		REQUIRE(inetaddr_parse_cidr(&v.blacklist[v.nblacklist++],
		    "10.200.0.0/30") == 0);
	c[1].virt = &v;
	c[1].nvirt = 1;
	sim_start(ids, planet, 1, &c[1], now);
	root_down = true;

	memset(frame, 0x5a, sizeof(frame));
	CHECK(vl1_node_send(sim.node[1].n, bob, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	for (i = 0; i < 8; i++) {
		vl1sim_pump(&sim, now);
		now += 500;
		vl1sim_tick(&sim, now);
	}
	p = vl1_peers_get(&sim.node[1].n->peers, bob);
	REQUIRE(p != NULL);
	if (blacklisted) {
		CHECK(sim.node[2].vl2_count == 0);
		CHECK(vl1_peer_best_path(p, now, true) == NULL);
		CHECK(!vl1_path_allowed(sim.node[1].n, p, &sim.node[2].addr));
		/* the blacklist is bob's alone: the root may use it */
		p = vl1_peers_get(&sim.node[1].n->peers,
		    sim.node[0].n->self.address);
		REQUIRE(p != NULL);
		CHECK(vl1_path_allowed(sim.node[1].n, p, &sim.node[0].addr));
	} else {
		CHECK(sim.node[2].vl2_count == 1);
		CHECK(vl1_peer_best_path(p, now, false) != NULL);
		CHECK(sim.node[1].n->st.relayed == 0 &&
		    sim.node[0].n->st.relayed == 0);
	}
	sim_stop();
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");
	struct world planet;

	test_load_world(worlds, "planet_netns", &planet);
	vl1sim_init(&sim, ids, &planet, SIM_QUEUE);
	test_mtu(ids, &planet);
	test_virtual(ids, &planet, false);
	test_virtual(ids, &planet, true);
	vl1sim_free(&sim);
	json_decref(ids);
	json_decref(worlds);
	return test_main_end();
}
