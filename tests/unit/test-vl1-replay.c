/*
 * Recorded 1.14.1 conversations (packets.json: node_flow and
 * live_capture) replayed into our engine, which plays each party in turn
 * with that party's identity.  Everything it sends to another party must
 * dearmor under that party's own key, and each reply must be the verb and
 * in-reply-to id that the real node answered with.  Our-node-to-our-node
 * tests cannot catch a consistent-but-wrong implementation; this can.
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

#define MAX_PARTIES	3
#define MAX_OUT		64

struct party {
	const char	*name;
	struct identity	 id;		/* secret */
};

/* a reply the recording says party P sent: (verb, in-re verb, in-re id) */
struct want {
	uint8_t		 verb, inre_verb;
	uint8_t		 inre[8];
	bool		 fed;		/* its request was fed to our engine */
	bool		 seen;		/* our engine sent it too */
};

struct capture {
	struct party	*self;
	struct inetaddr	 to[MAX_OUT];
	uint8_t		*data[MAX_OUT];
	size_t		 len[MAX_OUT];
	unsigned int	 n;
};

static struct party parties[MAX_PARTIES];
static unsigned int nparties;

static void
cap_send(void *arg, int sock, const struct inetaddr *to, const uint8_t *d,
    size_t len, int ttl)
{
	struct capture *c = arg;

	(void)sock;
	(void)ttl;
	REQUIRE(c->n < MAX_OUT);
	c->to[c->n] = *to;
	REQUIRE((c->data[c->n] = malloc(len)) != NULL);
	memcpy(c->data[c->n], d, len);
	c->len[c->n++] = len;
}

static int
cap_agree(void *arg, const struct identity *peer, uint8_t key[48])
{
	struct capture *c = arg;

	return identity_agree(&c->self->id, peer, key);
}

static void
cap_random(void *arg, void *p, size_t n)
{
	(void)arg;
	RAND_bytes(p, (int)n);
}

static void
cap_vl2(void *arg, uint64_t src, const uint8_t *p, size_t len, int64_t now)
{
	(void)arg;
	(void)src;
	(void)p;
	(void)len;
	(void)now;
}

static struct party *
party_by_address(uint64_t a)
{
	unsigned int i;

	for (i = 0; i < nparties; i++)
		if (parties[i].id.address == a)
			return &parties[i];
	return NULL;
}

static struct party *
party_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < nparties; i++)
		if (strcmp(parties[i].name, name) == 0)
			return &parties[i];
	return NULL;
}

static uint8_t
verb_code(const char *name)
{
	static const struct {
		const char	*name;
		uint8_t		 code;
	} v[] = {
		{ "HELLO", VL1_VERB_HELLO }, { "ERROR", VL1_VERB_ERROR },
		{ "OK", VL1_VERB_OK }, { "WHOIS", VL1_VERB_WHOIS },
		{ "ECHO", VL1_VERB_ECHO },
		{ "NETWORK_CONFIG_REQUEST", VL1_VERB_NETWORK_CONFIG_REQUEST },
		{ "MULTICAST_GATHER", VL1_VERB_MULTICAST_GATHER },
	};
	size_t i;

	for (i = 0; name != NULL && i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(v[i].name, name) == 0)
			return v[i].code;
	return 0xff;
}

/*
 * Checks one datagram our engine (playing self) sent: a packet for a
 * party dearmors under that party's key; a reply must be one the
 * recording has.  Returns the verb, or -1 for what is not a packet.
 */
static int
check_sent(const char *sec, struct party *self, const uint8_t *d,
    size_t len, struct want *w, unsigned int nw)
{
	uint8_t pkt[ZT_MAX_PACKET_LEN], key[48];
	struct armor_key *k;
	struct party *to, *src;
	unsigned int i, verb;
	size_t plen = len;

	if (packet_classify(d, len) != PACKET_KIND_PACKET)
		return -1;
	to = party_by_address(packet_dest(d));
	CHECKF(to != NULL, "%s: %s sent to a stranger", sec, self->name);
	if (to == NULL)
		return -1;
	/* a relayed packet (the root) was armored by its source */
	src = party_by_address(packet_source(d));
	REQUIRE(src != NULL);
	if (src != self) {
		CHECKF(packet_hops(d) > 0, "%s: relayed, hops 0", sec);
		return -1;
	}
	/* our replies are small: never fragmented */
	CHECKF(!packet_fragmented(d), "%s: fragmented reply", sec);
	REQUIRE(identity_agree(&to->id, &self->id, key) == 0);
	REQUIRE((k = armor_key_new(key)) != NULL);
	memcpy(pkt, d, len);
	CHECKF(armor_dearmor(pkt, len, k) == 0,
	    "%s: %s -> %s does not dearmor under %s's key", sec, self->name,
	    to->name, to->name);
	armor_key_free(k);
	CHECKF(packet_uncompress(pkt, &plen) == 0, "%s: LZ4", sec);
	verb = pkt[ZT_PKT_IDX_VERB] & ZT_PKT_VERB_MASK;
	if (verb != VL1_VERB_OK && verb != VL1_VERB_ERROR)
		return (int)verb;
	REQUIRE(plen >= ZT_PACKET_HEADER_LEN + 9);
	for (i = 0; i < nw; i++) {
		if (w[i].verb == verb && w[i].inre_verb ==
		    pkt[ZT_PACKET_HEADER_LEN] && memcmp(w[i].inre,
		    pkt + ZT_PACKET_HEADER_LEN + 1, 8) == 0) {
			w[i].seen = true;
			return (int)verb;
		}
	}
	CHECKF(0, "%s: %s sent verb %u in re %u that 1.14.1 never sent",
	    sec, self->name, verb, pkt[ZT_PACKET_HEADER_LEN]);
	return (int)verb;
}

/* the replies the recording has from self, marking those we feed */
static unsigned int
collect_wants(json_t *pkts, struct party *self, struct want *w,
    unsigned int max)
{
	unsigned int nw = 0;
	size_t i, k, dlen;
	json_t *e, *f;
	uint8_t *pl;

	json_array_foreach(pkts, i, e) {
		const char *verb = json_string_value(json_object_get(e,
		    "verb"));

		if (strcmp(test_jstr(e, "from_node"), self->name) != 0 ||
		    json_object_get(e, "in_re_verb") == NULL)
			continue;
		REQUIRE(nw < max);
		pl = test_jhex(e, "dearmored_payload", &dlen);
		REQUIRE(dlen >= 9);
		memset(&w[nw], 0, sizeof(w[nw]));
		w[nw].verb = verb_code(verb);
		w[nw].inre_verb = pl[0];
		memcpy(w[nw].inre, pl + 1, 8);
		free(pl);
		/* engine work: replies to HELLO, WHOIS and ECHO requests */
		json_array_foreach(pkts, k, f) {
			const char *fv = json_string_value(json_object_get(f,
			    "verb"));
			const char *wire = test_jstr(f, "wire");
			uint8_t *id;
			size_t idlen;

			if (strcmp(test_jstr(f, "to_node"), self->name) != 0 ||
			    fv == NULL || strlen(wire) < 16)
				continue;
			id = test_hex(wire, &idlen);
			if (memcmp(id, w[nw].inre, 8) == 0 &&
			    verb_code(fv) == w[nw].inre_verb &&
			    (w[nw].inre_verb == VL1_VERB_HELLO ||
			    w[nw].inre_verb == VL1_VERB_WHOIS ||
			    w[nw].inre_verb == VL1_VERB_ECHO))
				w[nw].fed = true;
			free(id);
		}
		nw++;
	}
	return nw;
}

static void
replay_as(const char *sec, json_t *pkts, struct party *self,
    const struct world *planet, int64_t base, unsigned int *nreplies)
{
	struct want w[256];
	struct capture cap;
	struct vl1_config c;
	struct vl1_node *n;
	struct inetaddr from;
	struct vl1_io io;
	unsigned int nw, i, fed = 0;
	size_t k, len;
	json_t *e;

	nw = collect_wants(pkts, self, w, 256);
	memset(&cap, 0, sizeof(cap));
	cap.self = self;
	memset(&io, 0, sizeof(io));
	io.arg = &cap;
	io.send = cap_send;
	io.agree = cap_agree;
	io.random = cap_random;
	io.vl2 = cap_vl2;
	memset(&c, 0, sizeof(c));
	c.self = &self->id;
	c.planet = planet;
	REQUIRE((n = vl1_node_new(&c, &io, base)) != NULL);
	json_array_foreach(pkts, k, e) {
		int64_t t = json_object_get(e, "t") != NULL ?
		    (int64_t)test_jint(e, "t") :
		    base + (int64_t)test_jint(e, "t_ms_since_first");
		uint8_t *wire = test_jhex(e, "wire", &len);

		/* the engine playing the sender expects the answers */
		if (strcmp(test_jstr(e, "from_node"), self->name) == 0 &&
		    strcmp(test_jstr(e, "kind"), "packet") == 0)
			vl1_expect_add(n, wire);
		if (strcmp(test_jstr(e, "to_node"), self->name) == 0) {
			REQUIRE(inetaddr_parse(&from,
			    test_jstr(e, "from_addr")) == 0);
			vl1_node_receive(n, 0, &from, wire, len, t);
			fed++;
		}
		free(wire);
		for (i = 0; i < cap.n; i++) {
			if (check_sent(sec, self, cap.data[i], cap.len[i], w,
			    nw) == VL1_VERB_OK)
				(*nreplies)++;
			free(cap.data[i]);
		}
		cap.n = 0;
	}
	CHECKF(fed > 0, "%s: nothing for %s", sec, self->name);
	for (i = 0; i < nw; i++)
		CHECKF(!w[i].fed || w[i].seen,
		    "%s: %s never answered verb %u in re %02x%02x%02x%02x",
		    sec, self->name, w[i].inre_verb, w[i].inre[0],
		    w[i].inre[1], w[i].inre[2], w[i].inre[3]);
	CHECKF(n->st.rx_bad_mac == 0, "%s: %s: bad MACs", sec, self->name);
	CHECKF(n->st.rx_malformed == 0, "%s: %s: malformed", sec,
	    self->name);
	vl1_node_free(n);
}

static void
load_parties(json_t *ids)
{
	static const char *names[MAX_PARTIES] = { "controller", "alice",
	    "bob" };
	json_t *e;
	size_t i;
	unsigned int k;

	for (k = 0; k < MAX_PARTIES; k++) {
		parties[k].name = names[k];
		json_array_foreach(json_object_get(ids, "valid"), i, e)
			if (strcmp(test_jstr(e, "name"), names[k]) == 0)
				REQUIRE(identity_from_string(&parties[k].id,
				    test_jstr(e, "secret")) == 0);
		REQUIRE(parties[k].id.address != 0);
	}
	nparties = MAX_PARTIES;
}

static void
load_planet(json_t *worlds, struct world *w)
{
	json_t *e;
	size_t i, n;
	uint8_t *b;
	struct rbuf r;

	json_array_foreach(json_object_get(worlds, "worlds"), i, e) {
		if (strcmp(test_jstr(e, "name"), "planet_netns") != 0)
			continue;
		b = test_jhex(e, "serialized", &n);
		rbuf_init(&r, b, n);
		REQUIRE(world_deserialize(w, &r) == 0);
		free(b);
		return;
	}
	REQUIRE(!"planet_netns missing");
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");
	json_t *worlds = test_vectors_load("world.json");
	json_t *pk = test_vectors_load("packets.json");
	json_t *flow, *live;
	unsigned int k, replies;
	struct world planet;

	load_parties(ids);
	load_planet(worlds, &planet);
	flow = json_object_get(json_object_get(pk, "node_flow"), "packets");
	live = json_object_get(json_object_get(pk, "live_capture"),
	    "packets");
	REQUIRE(json_array_size(flow) > 0 && json_array_size(live) > 0);
	for (k = 0; k < MAX_PARTIES; k++) {
		replies = 0;
		replay_as("node_flow", flow, &parties[k], &planet,
		    1700000000000LL, &replies);
		CHECKF(replies > 0, "node_flow: %s sent no OK",
		    parties[k].name);
	}
	/* live: only the controller and alice took part */
	for (k = 0; k < 2; k++) {
		replies = 0;
		replay_as("live_capture", live, party_by_name(
		    k == 0 ? "controller" : "alice"), &planet,
		    1700000000000LL, &replies);
		CHECKF(replies > 0, "live_capture: sent no OK");
	}
	for (k = 0; k < MAX_PARTIES; k++)
		identity_clear(&parties[k].id);
	json_decref(ids);
	json_decref(worlds);
	json_decref(pk);
	return test_main_end();
}
