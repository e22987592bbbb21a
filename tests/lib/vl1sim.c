#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "fixtures.h"
#include "test.h"
#include "vl1sim.h"

void
vl1sim_init(struct vl1sim *sim, json_t *ids, const struct world *planet,
    size_t cap)
{
	memset(sim, 0, sizeof(*sim));
	sim->ids = ids;
	sim->planet = planet;
	sim->cap = cap;
	REQUIRE((sim->queue = calloc(cap, sizeof(*sim->queue))) != NULL);
}

void
vl1sim_free(struct vl1sim *sim)
{
	vl1sim_stop(sim);
	free(sim->queue);
	sim->queue = NULL;
}

static void
sim_send(void *arg, int sock, const struct inetaddr *to, const uint8_t *d,
    size_t len, int ttl)
{
	struct vl1sim_node *s = arg;
	struct vl1sim *sim = s->sim;
	struct vl1sim_dgram *g;

	(void)sock;
	(void)ttl;
	if (sim->sent != NULL)
		sim->sent(s, to, d, len);
	/* a full wire loses datagrams, as a congested link would */
	if (sim->tail - sim->head >= sim->cap || len > ZT_MAX_PACKET_LEN) {
		sim->overflow++;
		return;
	}
	g = &sim->queue[sim->tail++ % sim->cap];
	g->from = s->index;
	g->to = *to;
	g->len = len;
	memcpy(g->data, d, len);
}

static int
sim_agree(void *arg, const struct identity *peer, uint8_t key[48])
{
	struct vl1sim_node *s = arg;

	return identity_agree(&s->id, peer, key);
}

static void
sim_random(void *arg, void *p, size_t n)
{
	(void)arg;
	RAND_bytes(p, (int)n);
}

static void
sim_vl2(void *arg, uint64_t src, const uint8_t *p, size_t len, int64_t now)
{
	struct vl1sim_node *s = arg;

	(void)now;
	s->vl2_count++;
	s->last_vl2_src = src;
	s->last_vl2_len = len;
	memcpy(s->last_vl2, p, len);
}

static int
sim_lookup(void *arg, uint64_t a, struct identity *out)
{
	struct vl1sim_node *s = arg;

	return s->sim->lookup(s, a, out);
}

static void
sim_world(void *arg, const struct world *w)
{
	struct vl1sim_node *s = arg;

	s->sim->world(s, w);
}

void
vl1sim_io(struct vl1sim *sim, int i, struct vl1_io *io)
{
	memset(io, 0, sizeof(*io));
	io->arg = &sim->node[i];
	io->send = sim_send;
	io->agree = sim_agree;
	io->random = sim_random;
	io->vl2 = sim_vl2;
	/* left NULL unless asked for: the engine runs without them */
	if (sim->lookup != NULL)
		io->identity_lookup = sim_lookup;
	if (sim->world != NULL)
		io->world_updated = sim_world;
}

void
vl1sim_start(struct vl1sim *sim, int i, const char *name, const uint8_t ip[4],
    struct vl1_config *c, int64_t now)
{
	struct vl1sim_node *s = &sim->node[i];
	struct vl1_config dflt;
	struct vl1_io io;

	REQUIRE(i >= 0 && i < VL1SIM_MAX_NODES);
	memset(s, 0, sizeof(*s));
	s->sim = sim;
	s->index = i;
	test_load_identity(sim->ids, name, &s->id);
	inetaddr_set_v4(&s->addr, ip, 9993);
	if (c == NULL) {
		memset(&dflt, 0, sizeof(dflt));
		c = &dflt;
	}
	c->self = &s->id;
	c->planet = sim->planet;
	vl1sim_io(sim, i, &io);
	REQUIRE((s->n = vl1_node_new(c, &io, now)) != NULL);
	if (i >= sim->nodes)
		sim->nodes = i + 1;
}

void
vl1sim_stop(struct vl1sim *sim)
{
	int i;

	for (i = 0; i < sim->nodes; i++) {
		vl1_node_free(sim->node[i].n);
		sim->node[i].n = NULL;
		identity_clear(&sim->node[i].id);
	}
	sim->nodes = 0;
	vl1sim_clear(sim);
}

void
vl1sim_clear(struct vl1sim *sim)
{
	sim->head = sim->tail = 0;
}

size_t
vl1sim_pump(struct vl1sim *sim, int64_t now)
{
	struct vl1sim_dgram *g;
	size_t delivered = 0;
	int i;

	while (sim->head != sim->tail) {
		g = &sim->queue[sim->head++ % sim->cap];
		for (i = 0; i < sim->nodes; i++)
			if (inetaddr_equal(&sim->node[i].addr, &g->to))
				break;
		if (i == sim->nodes) {
			sim->unrouted++;
			continue;
		}
		if (sim->lost != NULL && sim->lost(sim, g->from, i))
			continue;
		delivered++;
		vl1_node_receive(sim->node[i].n, 0, &sim->node[g->from].addr,
		    g->data, g->len, now);
	}
	return delivered;
}

void
vl1sim_tick(struct vl1sim *sim, int64_t now)
{
	int i;

	for (i = 0; i < sim->nodes; i++)
		vl1_node_tick(sim->node[i].n, now);
	vl1sim_pump(sim, now);
}
