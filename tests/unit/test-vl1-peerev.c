/*
 * The VL1 engine's peer states, which zt-vl1d turns into VL2_PEER_EVENT
 * for zt-vl2d: over the simulated wire (a root and two leaves), bob
 * hears of the root with its first direct path, of alice first relayed
 * then direct once introduced, of alice down when nothing came from her
 * for VL1_PATH_ALIVE (checked every VL1_PING_CHECK), and of alice up
 * again when she is heard again.  A state is told once per change.
 * And the state function alone: a peer VL2 does not use is not probed,
 * so its silence changes nothing until its paths expire.
 */
#include <string.h>

#include "node_int.h"
#include "test.h"
#include "vl1sim.h"

#define SIM_QUEUE	4096
#define MAX_EVENTS	32

static struct vl1sim sim;

static struct event {
	uint64_t	 peer;
	uint8_t		 state;
	int64_t		 when;
} ev[MAX_EVENTS];
static size_t nev;

static bool cut_alice;

static void
on_state(void *arg, struct vl1_peer *p, int64_t now)
{
	REQUIRE(nev < MAX_EVENTS);
	ev[nev].peer = p->id.address;
	ev[nev].state = p->state;
	ev[nev].when = now;
	nev++;
}

static bool
lost(const struct vl1sim *s, int from, int to)
{
	return cut_alice && (from == 1 || to == 1);
}

/* the states told about peer, in order, as a string of digits */
static const char *
told(uint64_t peer)
{
	static char s[MAX_EVENTS + 1];
	size_t i, k = 0;

	for (i = 0; i < nev; i++)
		if (ev[i].peer == peer)
			s[k++] = (char)('0' + ev[i].state);
	s[k] = '\0';
	return s;
}

static void
test_states(json_t *ids, const struct world *planet)
{
	static const char *names[3] = { "controller", "alice", "bob" };
	int64_t now = 1700000000000LL, last_heard;
	struct vl1_node *root, *alice, *bob;
	uint8_t frame[100];
	struct vl1_peer *p;
	int i;

	sim.ids = ids;
	sim.planet = planet;
	sim.lost = lost;
	for (i = 0; i < 3; i++) {
		uint8_t ip[4] = { 10, 200, 0, (uint8_t)(i + 1) };

		vl1sim_start(&sim, i, names[i], ip, NULL, now);
	}
	root = sim.node[0].n;
	alice = sim.node[1].n;
	bob = sim.node[2].n;
	bob->io.peer_state = on_state;

	/* the root: direct from its first OK(HELLO) */
	for (i = 0; i < 3; i++) {
		vl1sim_tick(&sim, now);
		now += 2500;
	}
	CHECK(strcmp(told(root->self.address), "2") == 0);

	/* alice: relayed through the root, then direct once introduced */
	memset(frame, 0x42, sizeof(frame));
	CHECK(vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	for (i = 0; i < 6; i++) {
		now += 500;
		vl1sim_tick(&sim, now);
	}
	CHECK(sim.node[2].vl2_count == 1);
	CHECK(strcmp(told(alice->self.address), "12") == 0 ||
	    strcmp(told(alice->self.address), "2") == 0);
	p = vl1_peers_get(&bob->peers, alice->self.address);
	REQUIRE(p != NULL);
	CHECK(p->state == VL1_PEER_DIRECT);
	CHECK(vl1_peer_state(p, now) == VL1_PEER_DIRECT);

	/* alice falls silent: down within a ping check of her path dying */
	cut_alice = true;
	last_heard = p->last_recv;
	nev = 0;
	for (i = 0; i < 10; i++) {
		now += VL1_PING_CHECK;
		vl1sim_tick(&sim, now);
	}
	CHECK(strcmp(told(alice->self.address), "0") == 0);
	CHECK(nev >= 1 && ev[0].when >= last_heard + VL1_PATH_ALIVE &&
	    ev[0].when < last_heard + VL1_PATH_ALIVE + VL1_PING_CHECK + 1);
	/* the root stayed up: nothing told about it */
	CHECK(strcmp(told(root->self.address), "") == 0);

	/* she is back: up again, once */
	cut_alice = false;
	nev = 0;
	CHECK(vl1_node_send(alice, bob->self.address, VL1_VERB_FRAME, frame,
	    sizeof(frame), now) == 0);
	for (i = 0; i < 6; i++) {
		now += 500;
		vl1sim_tick(&sim, now);
	}
	CHECK(told(alice->self.address)[0] != '\0');
	CHECK(p->state != VL1_PEER_DOWN);
	CHECK(strchr(told(alice->self.address), '0') == NULL);
	vl1sim_stop(&sim);
}

/* the state function alone, on a peer made by hand */
static void
test_state_function(void)
{
	static struct vl1_peer p;
	const int64_t now = 1700000000000LL;

	memset(&p, 0, sizeof(p));
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_DOWN);
	/* heard through a root lately, no path of its own */
	p.last_recv = now - 1000;
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_RELAYED);
	p.paths[3].used = true;
	p.paths[3].lr = now - VL1_PATH_ALIVE + 1;
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_DIRECT);
	/* idle and quiet: the state told stays while the path lives */
	p.last_recv = p.paths[3].lr = now - VL1_PATH_ALIVE - 10000;
	p.state = VL1_PEER_DIRECT;
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_DIRECT);
	p.state = VL1_PEER_DOWN;
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_DOWN);
	/* used by VL2, hence probed: quiet is down */
	p.state = VL1_PEER_DIRECT;
	p.last_vl2_frame = now - VL1_PEER_ACTIVITY_TIMEOUT + 1;
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_DOWN);
	/* idle again, and its path expired: down */
	p.last_vl2_frame = now - VL1_PEER_ACTIVITY_TIMEOUT;
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_DIRECT);
	p.last_recv = p.paths[3].lr = now - VL1_PATH_EXPIRATION;
	CHECK(vl1_peer_state(&p, now) == VL1_PEER_DOWN);
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");
	struct world planet;

	test_load_world(worlds, "planet_netns", &planet);
	vl1sim_init(&sim, ids, &planet, SIM_QUEUE);
	test_state_function();
	test_states(ids, &planet);
	vl1sim_free(&sim);
	json_decref(ids);
	json_decref(worlds);
	return test_main_end();
}
