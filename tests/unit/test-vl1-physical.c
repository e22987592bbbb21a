/*
 * local.conf's per-network and per-peer settings in the VL1 engine
 * (spec/service.md §3, spec/vl1.md §5.3 and §5.5): physical.<cidr>.mtu
 * sizes the datagrams sent on paths in that network, virtual.<address>.try
 * reaches a peer with no path and no root, virtual.<address>.blacklist
 * keeps a network from ever carrying that peer.  Three engines on a
 * simulated wire; the planet is world.json's planet_netns.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "buf.h"
#include "node_int.h"
#include "packet.h"
#include "test.h"

#define SIM_NODES	3
#define SIM_QUEUE	1024

struct sim_dgram {
	int		 from;
	struct inetaddr	 to;
	size_t		 len;
	uint8_t		 data[ZT_MAX_PACKET_LEN];
};

struct sim_node {
	struct vl1_node	*n;
	struct identity	 id;
	struct inetaddr	 addr;
	int		 index;
	unsigned int	 vl2_count;
	size_t		 max_sent;	/* largest datagram sent to the root */
	size_t		 first_sent;	/* first one, 0 when none yet */
};

static struct sim_node sim[SIM_NODES];
static struct sim_dgram *queue;
static size_t qhead, qtail;
static bool root_down;			/* datagrams to node 0 are lost */

static void
sim_send(void *arg, int sock, const struct inetaddr *to, const uint8_t *d,
    size_t len, int ttl)
{
	struct sim_node *s = arg;
	struct sim_dgram *g;

	if (inetaddr_ip_equal(to, &sim[0].addr)) {
		if (s->first_sent == 0)
			s->first_sent = len;
		if (len > s->max_sent)
			s->max_sent = len;
	}
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
}

/* the identity cache: every node of the simulation is "cached" */
static int
sim_lookup(void *arg, uint64_t a, struct identity *out)
{
	int i;

	for (i = 0; i < SIM_NODES; i++)
		if (sim[i].id.address == a)
			return identity_copy(out, &sim[i].id, false);
	return -1;
}

static void
sim_pump(int64_t now)
{
	int i;

	while (qhead != qtail) {
		struct sim_dgram *g = &queue[qhead++ % SIM_QUEUE];

		for (i = 0; i < SIM_NODES; i++)
			if (inetaddr_ip_equal(&sim[i].addr, &g->to) &&
			    sim[i].addr.port == g->to.port)
				break;
		if (i == SIM_NODES || (i == 0 && root_down))
			continue;
		vl1_node_receive(sim[i].n, 0, &sim[g->from].addr, g->data,
		    g->len, now);
	}
}

static void
sim_tick(int64_t now)
{
	int i;

	for (i = 0; i < SIM_NODES; i++)
		vl1_node_tick(sim[i].n, now);
	sim_pump(now);
}

static void
load_identity(json_t *ids, const char *name, struct identity *id)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(ids, "valid"), i, e)
		if (strcmp(test_jstr(e, "name"), name) == 0) {
			REQUIRE(identity_from_string(id,
			    test_jstr(e, "secret")) == 0);
			return;
		}
	REQUIRE(!"identity in identities.json");
}

static void
load_planet(json_t *worlds, struct world *w)
{
	json_t *e;
	uint8_t *b;
	size_t i, n;
	struct rbuf r;

	json_array_foreach(json_object_get(worlds, "worlds"), i, e)
		if (strcmp(test_jstr(e, "name"), "planet_netns") == 0) {
			b = test_jhex(e, "serialized", &n);
			rbuf_init(&r, b, n);
			REQUIRE(world_deserialize(w, &r) == 0);
			free(b);
			return;
		}
	REQUIRE(!"planet_netns in world.json");
}

/* node i with configuration c (self and planet are filled in) */
static void
sim_start(json_t *ids, const struct world *planet, int i,
    struct vl1_config *c, int64_t now)
{
	static const char *names[SIM_NODES] = { "controller", "alice", "bob" };
	uint8_t ip[4] = { 10, 200, 0, (uint8_t)(i + 1) };
	struct vl1_io io;

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
	io.identity_lookup = sim_lookup;
	c->self = &sim[i].id;
	c->planet = planet;
	REQUIRE((sim[i].n = vl1_node_new(c, &io, now)) != NULL);
}

static void
sim_stop(void)
{
	int i;

	for (i = 0; i < SIM_NODES; i++) {
		vl1_node_free(sim[i].n);
		identity_clear(&sim[i].id);
	}
	qhead = qtail = 0;
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
	root = sim[0].n->self.address;
	CHECK(vl1_node_path_mtu(sim[1].n, &sim[0].addr) == 1400);
	inetaddr_set_v4(&other, ip, 9993);
	CHECK(vl1_node_path_mtu(sim[1].n, &other) == ZT_DEFAULT_PHYSMTU);
	CHECK(vl1_node_path_mtu(sim[2].n, &sim[0].addr) ==
	    ZT_DEFAULT_PHYSMTU);
	for (i = 0; i < 3; i++) {
		sim_tick(now);
		now += 2500;
	}
	REQUIRE(vl1_peers_get(&sim[1].n->peers, root) != NULL);
	REQUIRE(vl1_peers_get(&sim[2].n->peers, root) != NULL);
	RAND_bytes(frame, sizeof(frame));	/* incompressible */
	for (i = 1; i < SIM_NODES; i++) {
		sim[i].max_sent = sim[i].first_sent = 0;
		CHECK(vl1_node_send(sim[i].n, root, VL1_VERB_FRAME, frame,
		    sizeof(frame), now) == 0);
		sim_pump(now);
	}
	CHECKF(sim[1].first_sent == 1400 && sim[1].max_sent == 1400,
	    "alice: first %zu, largest %zu", sim[1].first_sent,
	    sim[1].max_sent);
	CHECKF(sim[2].first_sent == ZT_DEFAULT_PHYSMTU &&
	    sim[2].max_sent == ZT_DEFAULT_PHYSMTU,
	    "bob: first %zu, largest %zu", sim[2].first_sent,
	    sim[2].max_sent);
	/* both arrived whole, whatever the fragment size */
	CHECK(sim[0].vl2_count == 2);
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
	bob = sim[2].n->self.address;
	vl1_node_free(sim[1].n);
	v.address = bob;
	v.try[v.ntry++] = sim[2].addr;
	if (blacklisted)
		REQUIRE(inetaddr_parse_cidr(&v.blacklist[v.nblacklist++],
		    "10.200.0.0/30") == 0);
	c[1].virt = &v;
	c[1].nvirt = 1;
	sim_start(ids, planet, 1, &c[1], now);
	root_down = true;

	memset(frame, 0x5a, sizeof(frame));
	CHECK(vl1_node_send(sim[1].n, bob, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	for (i = 0; i < 8; i++) {
		sim_pump(now);
		now += 500;
		sim_tick(now);
	}
	p = vl1_peers_get(&sim[1].n->peers, bob);
	REQUIRE(p != NULL);
	if (blacklisted) {
		CHECK(sim[2].vl2_count == 0);
		CHECK(vl1_peer_best_path(p, now, true) == NULL);
		CHECK(!vl1_path_allowed(sim[1].n, p, &sim[2].addr));
		/* the blacklist is bob's alone: the root may use it */
		p = vl1_peers_get(&sim[1].n->peers, sim[0].n->self.address);
		REQUIRE(p != NULL);
		CHECK(vl1_path_allowed(sim[1].n, p, &sim[0].addr));
	} else {
		CHECK(sim[2].vl2_count == 1);
		CHECK(vl1_peer_best_path(p, now, false) != NULL);
		CHECK(sim[1].n->st.relayed == 0 && sim[0].n->st.relayed == 0);
	}
	sim_stop();
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");
	struct world planet;

	queue = calloc(SIM_QUEUE, sizeof(*queue));
	REQUIRE(queue != NULL);
	load_planet(worlds, &planet);
	test_mtu(ids, &planet);
	test_virtual(ids, &planet, false);
	test_virtual(ids, &planet, true);
	free(queue);
	json_decref(ids);
	json_decref(worlds);
	return test_main_end();
}
