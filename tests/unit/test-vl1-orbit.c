/*
 * Engine additions for zt-vl1d's configuration, over a simulated wire:
 * orbiting a moon by id and seed (spec/vl1.md §6.4: the seed is found
 * through the planet's root, asked by HELLO with the moon at timestamp
 * 0, and sends world.json's moon_v1 back in OK(HELLO)), and trusted
 * paths (§3.4: cipher 2 out on a trusted network, believed in only with
 * the configured id).
 */
#include <string.h>

#include "node_int.h"
#include "packet.h"
#include "test.h"
#include "vl1sim.h"

#define NODES	3
#define QUEUE	4096

enum { ROOT, LEAF, MOON };

static struct vl1sim sim;
/* what each node's world_updated callback was given */
static struct {
	unsigned int	 worlds_saved;
	uint64_t	 saved_id;
} saved[NODES];
/* cipher of every datagram LEAF sent to ROOT, to see cipher 2 on it */
static unsigned int leaf_cipher2, leaf_other;

static void
s_sent(struct vl1sim_node *s, const struct inetaddr *to, const uint8_t *d,
    size_t len)
{
	if (s->index == LEAF && inetaddr_equal(to, &sim.node[ROOT].addr) &&
	    len >= ZT_PACKET_HEADER_LEN) {
		if (packet_cipher(d) == ARMOR_SUITE_TRUSTED)
			leaf_cipher2++;
		else
			leaf_other++;
	}
}

static void
s_world(struct vl1sim_node *s, const struct world *w)
{
	saved[s->index].worlds_saved++;
	saved[s->index].saved_id = w->id;
}

/* LEAF's identity cache (peers.d in the daemon): one entry, or off */
static struct identity cached;
static bool cache_on;
static unsigned int lookups;

static int
s_lookup(struct vl1sim_node *s, uint64_t a, struct identity *id)
{
	if (s->index != LEAF || !cache_on)
		return -1;
	lookups++;
	return identity_copy(id, &cached, false);
}

static void
run(int64_t *now, int64_t ms)
{
	int64_t end = *now + ms;

	for (; *now < end; *now += 100)
		vl1sim_tick(&sim, *now);
}

/* local.conf's physical blacklist, given to every node by setup() */
static struct inetaddr blacklist;
static unsigned int nblacklist;

static void
setup(json_t *ids, const struct world *planet,
    const struct vl1_trusted_path *tp, unsigned int ntp, int64_t now)
{
	static const char *names[NODES] = { "controller", "alice",
	    "moonroot" };
	static const uint8_t last[NODES] = { 1, 2, 9 };
	struct vl1_config c;
	int i;

	sim.ids = ids;
	sim.planet = planet;
	sim.sent = s_sent;
	sim.lookup = s_lookup;
	sim.world = s_world;
	memset(saved, 0, sizeof(saved));
	for (i = 0; i < NODES; i++) {
		uint8_t ip[4] = { 10, 200, 0, last[i] };

		memset(&c, 0, sizeof(c));
		c.trusted = tp;
		c.ntrusted = ntp;
		c.blacklist = &blacklist;
		c.nblacklist = nblacklist;
		vl1sim_start(&sim, i, names[i], ip, &c, now);
	}
}

static void
test_orbit(json_t *ids, json_t *worlds)
{
	struct world planet, moon;
	int64_t now = 1700000000000LL;
	uint64_t moonroot;

	test_load_world(worlds, "planet_netns", &planet);
	test_load_world(worlds, "moon_v1", &moon);
	moonroot = moon.roots[0].identity.address;
	setup(ids, &planet, NULL, 0, now);
	REQUIRE(vl1_node_add_moon(sim.node[MOON].n, &moon, now) == 0);
	run(&now, 3000);
	CHECK(vl1_node_online(sim.node[LEAF].n, now));
	CHECK(!vl1_node_is_upstream(sim.node[LEAF].n, moonroot));
	CHECK(sim.node[LEAF].n->nmoons == 0);

	/* a moon with the seed not among its roots is never taken */
	CHECK(vl1_node_orbit(sim.node[LEAF].n, moon.id,
	    sim.node[ROOT].id.address, now) == 0);
	run(&now, 3000);
	CHECK(sim.node[LEAF].n->nmoons == 0);
	CHECK(sim.node[LEAF].n->nwanted == 1);

	/* the right seed: found through the root, asked, answered */
	CHECK(vl1_node_orbit(sim.node[LEAF].n, moon.id, moonroot, now) == 0);
	CHECK(sim.node[LEAF].n->nwanted == 1);
	run(&now, 5000);
	CHECK(sim.node[LEAF].n->nwanted == 0);
	REQUIRE(sim.node[LEAF].n->nmoons == 1);
	CHECK(world_equal(&sim.node[LEAF].n->moons[0], &moon));
	CHECK(vl1_node_is_upstream(sim.node[LEAF].n, moonroot));
	CHECK(saved[LEAF].worlds_saved == 1);
	CHECK(saved[LEAF].saved_id == moon.id);
	/* the moon's root gets a direct path from its stable endpoint */
	run(&now, 20000);
	CHECK(vl1_peer_best_path(vl1_peers_get(&sim.node[LEAF].n->peers,
	    moonroot), now, false) != NULL);
	/* orbiting it again changes nothing */
	CHECK(vl1_node_orbit(sim.node[LEAF].n, moon.id, moonroot, now) == 0);
	CHECK(sim.node[LEAF].n->nwanted == 0 && sim.node[LEAF].n->nmoons == 1);

	CHECK(vl1_node_deorbit(sim.node[LEAF].n, moon.id) == 0);
	CHECK(sim.node[LEAF].n->nmoons == 0);
	CHECK(!vl1_node_is_upstream(sim.node[LEAF].n, moonroot));
	CHECK(vl1_node_deorbit(sim.node[LEAF].n, moon.id) == -1);
	/* a wanted moon can be given up before it arrives */
	CHECK(vl1_node_orbit(sim.node[LEAF].n, 0x1234, moonroot, now) == 0);
	CHECK(vl1_node_deorbit(sim.node[LEAF].n, 0x1234) == 0);
	CHECK(sim.node[LEAF].n->nwanted == 0);
	vl1sim_stop(&sim);
}

static void
test_trusted(json_t *ids, json_t *worlds)
{
	struct vl1_trusted_path tp;
	struct world planet;
	int64_t now = 1700000000000LL;
	uint8_t frame[64];
	uint64_t bad;

	test_load_world(worlds, "planet_netns", &planet);
	memset(&tp, 0, sizeof(tp));
	REQUIRE(inetaddr_parse_cidr(&tp.net, "10.200.0.0/24") == 0);
	tp.id = 0x0102030405060708ULL;
	setup(ids, &planet, &tp, 1, now);
	CHECK(vl1_node_trusted_id(sim.node[LEAF].n,
	    &sim.node[ROOT].addr) == tp.id);
	CHECK(vl1_node_trusted_id(sim.node[LEAF].n, &(struct inetaddr){
	    .family = INETADDR_V4, .ip = { 10, 201, 0, 1 } }) == 0);
	run(&now, 3000);
	REQUIRE(vl1_node_online(sim.node[LEAF].n, now));
	/* HELLO and its OK stay armored even on a trusted network */
	CHECK(leaf_other > 0);
	CHECK(leaf_cipher2 == 0);

	memset(frame, 0x5a, sizeof(frame));
	CHECK(vl1_node_send(sim.node[LEAF].n, sim.node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(leaf_cipher2 == 1);
	CHECK(sim.node[ROOT].vl2_count == 1);
	CHECK(sim.node[ROOT].n->st.rx_bad_mac == 0);
	CHECK(sim.node[ROOT].n->st.rx_bad_cipher == 0);

	/* a different id on the receiver: dropped, not believed */
	sim.node[ROOT].n->trusted[0].id = tp.id + 1;
	bad = sim.node[ROOT].n->st.rx_bad_cipher;
	CHECK(vl1_node_send(sim.node[LEAF].n, sim.node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(leaf_cipher2 == 2);
	CHECK(sim.node[ROOT].vl2_count == 1);
	CHECK(sim.node[ROOT].n->st.rx_bad_cipher == bad + 1);

	/* no trusted network on the receiver at all: dropped too */
	sim.node[ROOT].n->ntrusted = 0;
	CHECK(vl1_node_send(sim.node[LEAF].n, sim.node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(sim.node[ROOT].vl2_count == 1);
	CHECK(sim.node[ROOT].n->st.rx_bad_cipher == bad + 2);

	/* without trust on the sender the frame is armored and arrives */
	sim.node[LEAF].n->ntrusted = 0;
	CHECK(vl1_node_send(sim.node[LEAF].n, sim.node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(leaf_cipher2 == 3);
	CHECK(sim.node[ROOT].vl2_count == 2);
	vl1sim_stop(&sim);
}

/* §5.9: a cached identity is used instead of a WHOIS to the roots */
static void
test_cache(json_t *ids, json_t *worlds)
{
	struct world planet;
	int64_t now = 1700000000000LL;
	uint64_t sent, moonroot;
	uint8_t frame[32];

	test_load_world(worlds, "planet_netns", &planet);
	setup(ids, &planet, NULL, 0, now);
	/* two new identities from one /24 (§5.12): the second one waits */
	run(&now, 8000);
	REQUIRE(vl1_node_online(sim.node[LEAF].n, now));
	REQUIRE(vl1_node_online(sim.node[MOON].n, now));
	moonroot = sim.node[MOON].id.address;
	memset(frame, 1, sizeof(frame));

	/* an entry that is not the address asked for is not believed */
	REQUIRE(identity_copy(&cached, &sim.node[ROOT].id, false) == 0);
	cache_on = true;
	sent = sim.node[LEAF].n->st.whois_sent;
	CHECK(vl1_node_send(sim.node[LEAF].n, moonroot, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	CHECK(lookups == 1);
	CHECK(sim.node[LEAF].n->st.whois_sent == sent + 1);
	run(&now, 1000);
	CHECK(vl1_peers_get(&sim.node[LEAF].n->peers, moonroot) != NULL);
	vl1sim_stop(&sim);

	/* the right entry: no WHOIS, the frame goes out at once */
	lookups = 0;
	setup(ids, &planet, NULL, 0, now);
	run(&now, 8000);
	identity_clear(&cached);
	REQUIRE(identity_copy(&cached, &sim.node[MOON].id, false) == 0);
	sent = sim.node[LEAF].n->st.whois_sent;
	CHECK(vl1_node_send(sim.node[LEAF].n, moonroot, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	CHECK(lookups == 1);
	CHECK(sim.node[LEAF].n->st.whois_sent == sent);
	CHECK(vl1_peers_get(&sim.node[LEAF].n->peers, moonroot) != NULL);
	vl1sim_pump(&sim, now);
	run(&now, 1000);
	CHECK(sim.node[MOON].vl2_count == 1);
	cache_on = false;
	identity_clear(&cached);
	vl1sim_stop(&sim);
}

/* a blacklisted physical network never carries a path */
static void
test_blacklist(json_t *ids, json_t *worlds)
{
	struct world planet;
	int64_t now = 1700000000000LL;
	struct vl1_peer *p;

	test_load_world(worlds, "planet_netns", &planet);
	REQUIRE(inetaddr_parse_cidr(&blacklist, "10.200.0.0/24") == 0);
	nblacklist = 1;
	setup(ids, &planet, NULL, 0, now);
	run(&now, 8000);
	p = vl1_peers_get(&sim.node[LEAF].n->peers, sim.node[ROOT].id.address);
	REQUIRE(p != NULL);
	CHECK(vl1_peer_best_path(p, now, true) == NULL);
	CHECK(!vl1_path_allowed(sim.node[LEAF].n, p, &sim.node[ROOT].addr));
	vl1sim_stop(&sim);

	/* the same run without it learns the path */
	nblacklist = 0;
	setup(ids, &planet, NULL, 0, now);
	run(&now, 8000);
	p = vl1_peers_get(&sim.node[LEAF].n->peers, sim.node[ROOT].id.address);
	REQUIRE(p != NULL);
	CHECK(vl1_peer_best_path(p, now, false) != NULL);
	vl1sim_stop(&sim);
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");

	REQUIRE(ids != NULL && worlds != NULL);
	vl1sim_init(&sim, ids, NULL, QUEUE);
	test_orbit(ids, worlds);
	test_trusted(ids, worlds);
	test_cache(ids, worlds);
	test_blacklist(ids, worlds);
	vl1sim_free(&sim);
	json_decref(ids);
	json_decref(worlds);
	return test_main_end();
}
