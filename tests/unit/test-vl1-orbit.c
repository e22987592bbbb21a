/*
 * Engine additions for zt-vl1d's configuration, over a simulated wire:
 * orbiting a moon by id and seed (spec/vl1.md §6.4: the seed is found
 * through the planet's root, asked by HELLO with the moon at timestamp
 * 0, and sends world.json's moon_v1 back in OK(HELLO)), and trusted
 * paths (§3.4: cipher 2 out on a trusted network, believed in only with
 * the configured id).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "buf.h"
#include "node_int.h"
#include "packet.h"
#include "test.h"

#define NODES	3
#define QUEUE	4096

enum { ROOT, LEAF, MOON };

struct dgram {
	int		 from;
	struct inetaddr	 to;
	size_t		 len;
	uint8_t		 data[ZT_MAX_PACKET_LEN];
};

struct simnode {
	struct vl1_node	*n;
	struct identity	 id;
	struct inetaddr	 addr;
	int		 index;
	unsigned int	 vl2_count;
	unsigned int	 worlds_saved;
	uint64_t	 saved_id;
};

static struct simnode node[NODES];
static struct dgram *wire;
static size_t whead, wtail;
/* cipher of every datagram LEAF sent to ROOT, to see cipher 2 on it */
static unsigned int leaf_cipher2, leaf_other;

static void
s_send(void *arg, int sock, const struct inetaddr *to, const uint8_t *d,
    size_t len, int ttl)
{
	struct simnode *s = arg;
	struct dgram *g;

	if (wtail - whead >= QUEUE || len > ZT_MAX_PACKET_LEN)
		return;
	if (s->index == LEAF && inetaddr_equal(to, &node[ROOT].addr) &&
	    len >= ZT_PACKET_HEADER_LEN) {
		if (packet_cipher(d) == ARMOR_SUITE_TRUSTED)
			leaf_cipher2++;
		else
			leaf_other++;
	}
	g = &wire[wtail++ % QUEUE];
	g->from = s->index;
	g->to = *to;
	g->len = len;
	memcpy(g->data, d, len);
}

static int
s_agree(void *arg, const struct identity *peer, uint8_t key[48])
{
	return identity_agree(&((struct simnode *)arg)->id, peer, key);
}

static void
s_random(void *arg, void *p, size_t n)
{
	RAND_bytes(p, (int)n);
}

static void
s_vl2(void *arg, uint64_t src, const uint8_t *p, size_t len, int64_t now)
{
	((struct simnode *)arg)->vl2_count++;
}

static void
s_world(void *arg, const struct world *w)
{
	struct simnode *s = arg;

	s->worlds_saved++;
	s->saved_id = w->id;
}

/* LEAF's identity cache (peers.d in the daemon): one entry, or off */
static struct identity cached;
static bool cache_on;
static unsigned int lookups;

static int
s_lookup(void *arg, uint64_t a, struct identity *id)
{
	if (((struct simnode *)arg)->index != LEAF || !cache_on)
		return -1;
	lookups++;
	return identity_copy(id, &cached, false);
}

static void
pump(int64_t now)
{
	int i;

	while (whead != wtail) {
		struct dgram *g = &wire[whead++ % QUEUE];

		for (i = 0; i < NODES; i++)
			if (inetaddr_equal(&node[i].addr, &g->to))
				break;
		if (i < NODES)
			vl1_node_receive(node[i].n, 0, &node[g->from].addr,
			    g->data, g->len, now);
	}
}

static void
run(int64_t *now, int64_t ms)
{
	int64_t end = *now + ms;
	int i;

	for (; *now < end; *now += 100) {
		for (i = 0; i < NODES; i++)
			vl1_node_tick(node[i].n, *now);
		pump(*now);
	}
}

static json_t *
named(json_t *arr, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (strcmp(test_jstr(e, "name"), name) == 0)
			return e;
	return NULL;
}

static void
world_named(json_t *worlds, const char *name, struct world *w)
{
	json_t *e = named(json_object_get(worlds, "worlds"), name);
	struct rbuf r;
	uint8_t *b;
	size_t n;

	REQUIRE(e != NULL);
	b = test_jhex(e, "serialized", &n);
	rbuf_init(&r, b, n);
	REQUIRE(world_deserialize(w, &r) == 0);
	free(b);
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
	struct vl1_io io;
	json_t *e;
	int i;

	for (i = 0; i < NODES; i++) {
		uint8_t ip[4] = { 10, 200, 0, last[i] };

		memset(&node[i], 0, sizeof(node[i]));
		node[i].index = i;
		e = named(json_object_get(ids, "valid"), names[i]);
		REQUIRE(e != NULL);
		REQUIRE(identity_from_string(&node[i].id,
		    test_jstr(e, "secret")) == 0);
		inetaddr_set_v4(&node[i].addr, ip, 9993);
		memset(&io, 0, sizeof(io));
		io.arg = &node[i];
		io.send = s_send;
		io.agree = s_agree;
		io.random = s_random;
		io.vl2 = s_vl2;
		io.world_updated = s_world;
		io.identity_lookup = s_lookup;
		memset(&c, 0, sizeof(c));
		c.self = &node[i].id;
		c.planet = planet;
		c.trusted = tp;
		c.ntrusted = ntp;
		c.blacklist = &blacklist;
		c.nblacklist = nblacklist;
		REQUIRE((node[i].n = vl1_node_new(&c, &io, now)) != NULL);
	}
}

static void
teardown(void)
{
	int i;

	for (i = 0; i < NODES; i++) {
		vl1_node_free(node[i].n);
		identity_clear(&node[i].id);
	}
	whead = wtail = 0;
}

static void
test_orbit(json_t *ids, json_t *worlds)
{
	struct world planet, moon;
	int64_t now = 1700000000000LL;
	uint64_t moonroot;

	world_named(worlds, "planet_netns", &planet);
	world_named(worlds, "moon_v1", &moon);
	moonroot = moon.roots[0].identity.address;
	setup(ids, &planet, NULL, 0, now);
	REQUIRE(vl1_node_add_moon(node[MOON].n, &moon, now) == 0);
	run(&now, 3000);
	CHECK(vl1_node_online(node[LEAF].n, now));
	CHECK(!vl1_node_is_upstream(node[LEAF].n, moonroot));
	CHECK(node[LEAF].n->nmoons == 0);

	/* a moon with the seed not among its roots is never taken */
	CHECK(vl1_node_orbit(node[LEAF].n, moon.id, node[ROOT].id.address,
	    now) == 0);
	run(&now, 3000);
	CHECK(node[LEAF].n->nmoons == 0);
	CHECK(node[LEAF].n->nwanted == 1);

	/* the right seed: found through the root, asked, answered */
	CHECK(vl1_node_orbit(node[LEAF].n, moon.id, moonroot, now) == 0);
	CHECK(node[LEAF].n->nwanted == 1);
	run(&now, 5000);
	CHECK(node[LEAF].n->nwanted == 0);
	REQUIRE(node[LEAF].n->nmoons == 1);
	CHECK(world_equal(&node[LEAF].n->moons[0], &moon));
	CHECK(vl1_node_is_upstream(node[LEAF].n, moonroot));
	CHECK(node[LEAF].worlds_saved == 1);
	CHECK(node[LEAF].saved_id == moon.id);
	/* the moon's root gets a direct path from its stable endpoint */
	run(&now, 20000);
	CHECK(vl1_peer_best_path(vl1_peers_get(&node[LEAF].n->peers,
	    moonroot), now, false) != NULL);
	/* orbiting it again changes nothing */
	CHECK(vl1_node_orbit(node[LEAF].n, moon.id, moonroot, now) == 0);
	CHECK(node[LEAF].n->nwanted == 0 && node[LEAF].n->nmoons == 1);

	CHECK(vl1_node_deorbit(node[LEAF].n, moon.id) == 0);
	CHECK(node[LEAF].n->nmoons == 0);
	CHECK(!vl1_node_is_upstream(node[LEAF].n, moonroot));
	CHECK(vl1_node_deorbit(node[LEAF].n, moon.id) == -1);
	/* a wanted moon can be given up before it arrives */
	CHECK(vl1_node_orbit(node[LEAF].n, 0x1234, moonroot, now) == 0);
	CHECK(vl1_node_deorbit(node[LEAF].n, 0x1234) == 0);
	CHECK(node[LEAF].n->nwanted == 0);
	teardown();
}

static void
test_trusted(json_t *ids, json_t *worlds)
{
	struct vl1_trusted_path tp;
	struct world planet;
	int64_t now = 1700000000000LL;
	uint8_t frame[64];
	uint64_t bad;

	world_named(worlds, "planet_netns", &planet);
	memset(&tp, 0, sizeof(tp));
	REQUIRE(inetaddr_parse_cidr(&tp.net, "10.200.0.0/24") == 0);
	tp.id = 0x0102030405060708ULL;
	setup(ids, &planet, &tp, 1, now);
	CHECK(vl1_node_trusted_id(node[LEAF].n, &node[ROOT].addr) == tp.id);
	CHECK(vl1_node_trusted_id(node[LEAF].n, &(struct inetaddr){
	    .family = INETADDR_V4, .ip = { 10, 201, 0, 1 } }) == 0);
	run(&now, 3000);
	REQUIRE(vl1_node_online(node[LEAF].n, now));
	/* HELLO and its OK stay armored even on a trusted network */
	CHECK(leaf_other > 0);
	CHECK(leaf_cipher2 == 0);

	memset(frame, 0x5a, sizeof(frame));
	CHECK(vl1_node_send(node[LEAF].n, node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	pump(now);
	CHECK(leaf_cipher2 == 1);
	CHECK(node[ROOT].vl2_count == 1);
	CHECK(node[ROOT].n->st.rx_bad_mac == 0);
	CHECK(node[ROOT].n->st.rx_bad_cipher == 0);

	/* a different id on the receiver: dropped, not believed */
	node[ROOT].n->trusted[0].id = tp.id + 1;
	bad = node[ROOT].n->st.rx_bad_cipher;
	CHECK(vl1_node_send(node[LEAF].n, node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	pump(now);
	CHECK(leaf_cipher2 == 2);
	CHECK(node[ROOT].vl2_count == 1);
	CHECK(node[ROOT].n->st.rx_bad_cipher == bad + 1);

	/* no trusted network on the receiver at all: dropped too */
	node[ROOT].n->ntrusted = 0;
	CHECK(vl1_node_send(node[LEAF].n, node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	pump(now);
	CHECK(node[ROOT].vl2_count == 1);
	CHECK(node[ROOT].n->st.rx_bad_cipher == bad + 2);

	/* without trust on the sender the frame is armored and arrives */
	node[LEAF].n->ntrusted = 0;
	CHECK(vl1_node_send(node[LEAF].n, node[ROOT].id.address,
	    VL1_VERB_FRAME, frame, sizeof(frame), now) == 0);
	pump(now);
	CHECK(leaf_cipher2 == 3);
	CHECK(node[ROOT].vl2_count == 2);
	teardown();
}

/* §5.9: a cached identity is used instead of a WHOIS to the roots */
static void
test_cache(json_t *ids, json_t *worlds)
{
	struct world planet;
	int64_t now = 1700000000000LL;
	uint64_t sent, moonroot;
	uint8_t frame[32];

	world_named(worlds, "planet_netns", &planet);
	setup(ids, &planet, NULL, 0, now);
	/* two new identities from one /24 (§5.12): the second one waits */
	run(&now, 8000);
	REQUIRE(vl1_node_online(node[LEAF].n, now));
	REQUIRE(vl1_node_online(node[MOON].n, now));
	moonroot = node[MOON].id.address;
	memset(frame, 1, sizeof(frame));

	/* an entry that is not the address asked for is not believed */
	REQUIRE(identity_copy(&cached, &node[ROOT].id, false) == 0);
	cache_on = true;
	sent = node[LEAF].n->st.whois_sent;
	CHECK(vl1_node_send(node[LEAF].n, moonroot, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	CHECK(lookups == 1);
	CHECK(node[LEAF].n->st.whois_sent == sent + 1);
	run(&now, 1000);
	CHECK(vl1_peers_get(&node[LEAF].n->peers, moonroot) != NULL);
	teardown();

	/* the right entry: no WHOIS, the frame goes out at once */
	lookups = 0;
	setup(ids, &planet, NULL, 0, now);
	run(&now, 8000);
	identity_clear(&cached);
	REQUIRE(identity_copy(&cached, &node[MOON].id, false) == 0);
	sent = node[LEAF].n->st.whois_sent;
	CHECK(vl1_node_send(node[LEAF].n, moonroot, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	CHECK(lookups == 1);
	CHECK(node[LEAF].n->st.whois_sent == sent);
	CHECK(vl1_peers_get(&node[LEAF].n->peers, moonroot) != NULL);
	pump(now);
	run(&now, 1000);
	CHECK(node[MOON].vl2_count == 1);
	cache_on = false;
	identity_clear(&cached);
	teardown();
}

/* a blacklisted physical network never carries a path */
static void
test_blacklist(json_t *ids, json_t *worlds)
{
	struct world planet;
	int64_t now = 1700000000000LL;
	struct vl1_peer *p;

	world_named(worlds, "planet_netns", &planet);
	REQUIRE(inetaddr_parse_cidr(&blacklist, "10.200.0.0/24") == 0);
	nblacklist = 1;
	setup(ids, &planet, NULL, 0, now);
	run(&now, 8000);
	p = vl1_peers_get(&node[LEAF].n->peers, node[ROOT].id.address);
	REQUIRE(p != NULL);
	CHECK(vl1_peer_best_path(p, now, true) == NULL);
	CHECK(!vl1_path_allowed(node[LEAF].n, p, &node[ROOT].addr));
	teardown();

	/* the same run without it learns the path */
	nblacklist = 0;
	setup(ids, &planet, NULL, 0, now);
	run(&now, 8000);
	p = vl1_peers_get(&node[LEAF].n->peers, node[ROOT].id.address);
	REQUIRE(p != NULL);
	CHECK(vl1_peer_best_path(p, now, false) != NULL);
	teardown();
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");

	REQUIRE(ids != NULL && worlds != NULL);
	REQUIRE((wire = calloc(QUEUE, sizeof(*wire))) != NULL);
	test_orbit(ids, worlds);
	test_trusted(ids, worlds);
	test_cache(ids, worlds);
	test_blacklist(ids, worlds);
	free(wire);
	json_decref(ids);
	json_decref(worlds);
	return test_main_end();
}
