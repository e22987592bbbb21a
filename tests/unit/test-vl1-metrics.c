/*
 * The engine's per-verb and per-error counters (ZeroTier One's
 * zt_packet and zt_packet_error metrics) over a simulated wire: a root
 * and a leaf from identities.json, nothing lost, so that every packet
 * one side counts out the other counts in, verb by verb.
 */
#include <string.h>

#include "buf.h"
#include "node_int.h"
#include "packet.h"
#include "test.h"
#include "vl1sim.h"

static struct vl1sim sim;

/* what a sent out, b took in, for every verb and error code */
static void
check_mirror(const struct vl1_node *a, const struct vl1_node *b,
    const char *what)
{
	unsigned int i;

	for (i = 0; i < VL1_VERB_SLOTS; i++)
		CHECKF(a->st.verbs[VL1_TX][i] == b->st.verbs[VL1_RX][i],
		    "%s: verb 0x%02x sent %llu, received %llu", what, i,
		    (unsigned long long)a->st.verbs[VL1_TX][i],
		    (unsigned long long)b->st.verbs[VL1_RX][i]);
	for (i = 0; i < VL1_ERROR_SLOTS; i++)
		CHECKF(a->st.errors[VL1_TX][i] == b->st.errors[VL1_RX][i],
		    "%s: error %u sent %llu, received %llu", what, i,
		    (unsigned long long)a->st.errors[VL1_TX][i],
		    (unsigned long long)b->st.errors[VL1_RX][i]);
}

static void
test_names(void)
{
	CHECK(strcmp(vl1_verb_metric(VL1_VERB_NOP), "nop") == 0);
	CHECK(strcmp(vl1_verb_metric(VL1_VERB_NETWORK_CONFIG_REQUEST),
	    "network_config_request") == 0);
	CHECK(strcmp(vl1_verb_metric(VL1_VERB_QOS_MEASUREMENT), "qos") == 0);
	CHECK(vl1_verb_metric(0x0f) == NULL);
	CHECK(vl1_verb_metric(VL1_VERB_SLOTS) == NULL);
	CHECK(strcmp(vl1_error_metric(VL1_ERR_NETWORK_AUTHENTICATION_REQUIRED),
	    "authentication_required") == 0);
	CHECK(vl1_error_metric(0) == NULL);
	CHECK(vl1_error_metric(VL1_ERROR_SLOTS) == NULL);
}

static void
test_counts(json_t *ids, const struct world *planet)
{
	/* the root where planet_netns says it is */
	static const uint8_t ip0[4] = { 10, 200, 0, 1 };
	static const uint8_t ip1[4] = { 10, 200, 1, 2 };
	int64_t now = 1700000000000LL;
	struct vl1_node *root, *leaf;
	uint8_t err[10];
	uint64_t echo_ok;

	sim.ids = ids;
	sim.planet = planet;
	vl1sim_start(&sim, 0, "controller", ip0, NULL, now);
	vl1sim_start(&sim, 1, "alice", ip1, NULL, now);
	root = sim.node[0].n;
	leaf = sim.node[1].n;
	vl1sim_tick(&sim, now);
	now += 2500;
	vl1sim_tick(&sim, now);
	REQUIRE(vl1_node_online(leaf, now));
	CHECK(leaf->st.verbs[VL1_TX][VL1_VERB_HELLO] >= 1);
	CHECK(root->st.verbs[VL1_TX][VL1_VERB_OK] >= 1);
	check_mirror(leaf, root, "leaf to root");
	check_mirror(root, leaf, "root to leaf");

	/* an ECHO is answered by an OK */
	echo_ok = root->st.verbs[VL1_TX][VL1_VERB_OK];
	CHECK(vl1_node_send(leaf, root->self.address, VL1_VERB_ECHO, NULL, 0,
	    now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(leaf->st.verbs[VL1_TX][VL1_VERB_ECHO] == 1);
	CHECK(root->st.verbs[VL1_RX][VL1_VERB_ECHO] == 1);
	CHECK(root->st.verbs[VL1_TX][VL1_VERB_OK] == echo_ok + 1);

	/* an ERROR is counted by its code too, as zt-vl2d sends them */
	err[0] = VL1_VERB_NETWORK_CONFIG_REQUEST;
	memset(err + 1, 0x11, 8);
	err[9] = VL1_ERR_NETWORK_ACCESS_DENIED;
	CHECK(vl1_node_send(root, leaf->self.address, VL1_VERB_ERROR, err,
	    sizeof(err), now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(root->st.errors[VL1_TX][VL1_ERR_NETWORK_ACCESS_DENIED] == 1);
	CHECK(leaf->st.errors[VL1_RX][VL1_ERR_NETWORK_ACCESS_DENIED] == 1);
	/* too short to carry a code: the verb counts, no code does */
	CHECK(vl1_node_send(root, leaf->self.address, VL1_VERB_ERROR, err,
	    5, now) == 0);
	vl1sim_pump(&sim, now);
	CHECK(leaf->st.verbs[VL1_RX][VL1_VERB_ERROR] == 2);
	check_mirror(leaf, root, "leaf to root, later");
	check_mirror(root, leaf, "root to leaf, later");
	vl1sim_stop(&sim);
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");
	struct world planet;

	test_names();
	test_load_world(worlds, "planet_netns", &planet);
	vl1sim_init(&sim, ids, &planet, 256);
	test_counts(ids, &planet);
	vl1sim_free(&sim);
	json_decref(ids);
	json_decref(worlds);
	return test_main_end();
}
