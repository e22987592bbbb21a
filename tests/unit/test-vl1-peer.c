/*
 * vl1d/peer.c: the peer table (bounded, keyed by address), duplicate
 * suppression, and paths: learning, replacing, liveness (19 s), expiry
 * (243 s), quality by scope and latency (spec/vl1.md §5.3, §5.4, §5.10).
 * Identities come from identities.json.
 */
#include <stdlib.h>
#include <string.h>

#include "peer.h"
#include "test.h"

static unsigned int walked;

static void
count_peer(struct vl1_peer *p, void *arg)
{
	(void)p;
	(void)arg;
	walked++;
}

static void
v4(struct inetaddr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w,
    uint16_t port)
{
	uint8_t ip[4] = { x, y, z, w };

	inetaddr_set_v4(a, ip, port);
}

static void
test_table(json_t *ids)
{
	struct identity id[12];
	uint8_t key[ZT_AGREED_KEY_LEN];
	struct vl1_peers t;
	struct vl1_peer *p;
	json_t *e;
	size_t i, n = 0;

	json_array_foreach(json_object_get(ids, "valid"), i, e) {
		REQUIRE(n < 12);
		REQUIRE(identity_from_string(&id[n++],
		    test_jstr(e, "public")) == 0);
	}
	REQUIRE(n >= 6);
	memset(key, 7, sizeof(key));
	REQUIRE(vl1_peers_init(&t, 4, NULL) == 0);
	for (i = 0; i < n; i++) {
		p = vl1_peers_add(&t, &id[i], key);
		/* the fifth and later do not fit */
		CHECK((p != NULL) == (i < 4));
	}
	CHECK(t.count == 4);
	/* adding again returns the same entry, unchanged */
	p = vl1_peers_get(&t, id[0].address);
	REQUIRE(p != NULL);
	p->proto = 11;
	CHECK(vl1_peers_add(&t, &id[0], key) == p && p->proto == 11);
	CHECK(identity_equal_public(&p->id, &id[0]));
	CHECK(memcmp(p->key, key, sizeof(key)) == 0);
	CHECK(vl1_peers_get(&t, id[5].address) == NULL);
	walked = 0;
	vl1_peers_foreach(&t, count_peer, NULL);
	CHECK(walked == 4);
	vl1_peers_remove(&t, id[1].address);
	vl1_peers_remove(&t, id[1].address);	/* twice: harmless */
	CHECK(t.count == 3 && vl1_peers_get(&t, id[1].address) == NULL);
	CHECK(vl1_peers_add(&t, &id[5], key) != NULL && t.count == 4);
	vl1_peers_free(&t);
	for (i = 0; i < n; i++)
		identity_clear(&id[i]);
}

static void
test_dup(void)
{
	struct vl1_peer *p = calloc(1, sizeof(*p));
	uint64_t i;

	REQUIRE(p != NULL);
	CHECK(!vl1_peer_seen(p, 42));
	CHECK(vl1_peer_seen(p, 42));
	/* the window holds the last VL1_DUP_WINDOW ids */
	for (i = 1000; i < 1000 + VL1_DUP_WINDOW; i++)
		CHECK(!vl1_peer_seen(p, i));
	CHECK(vl1_peer_seen(p, 1000 + VL1_DUP_WINDOW - 1));
	CHECK(!vl1_peer_seen(p, 42));	/* pushed out */
	free(p);
}

static void
test_paths(void)
{
	struct vl1_peer *p = calloc(1, sizeof(*p));
	struct inetaddr a, b, c, priv, nat2;
	struct vl1_path *x, *y;
	int64_t now = 1000000;
	unsigned int i;

	REQUIRE(p != NULL);
	v4(&a, 93, 184, 216, 34, 9993);
	v4(&b, 93, 184, 216, 34, 40000);	/* the NAT moved the port */
	v4(&c, 93, 184, 216, 35, 9993);
	v4(&priv, 10, 1, 2, 3, 9993);
	CHECK(vl1_peer_best_path(p, now, true) == NULL);
	x = vl1_peer_learn_path(p, 0, &a, now);
	REQUIRE(x != NULL);
	CHECK(vl1_peer_path(p, 0, &a) == x);
	CHECK(vl1_peer_path(p, 1, &a) == NULL);	/* another socket */
	CHECK(vl1_peer_learn_path(p, 0, &a, now + 5) == x && x->lr == now + 5);
	CHECK(vl1_peer_has_live_ip(p, 0, &b, now));
	CHECK(vl1_path_alive(x, now + VL1_PATH_ALIVE - 1));
	CHECK(!vl1_path_alive(x, now + 5 + VL1_PATH_ALIVE));
	/* a dead path with the same IP is reused for the new port */
	y = vl1_peer_learn_path(p, 0, &b, now + 30000);
	CHECK(y == x && inetaddr_equal(&y->addr, &b));
	/* a live one is not */
	y = vl1_peer_learn_path(p, 0, &a, now + 30001);
	CHECK(y != x);
	/* private scope beats global at equal latency (§5.3) */
	x = vl1_peer_learn_path(p, 0, &priv, now + 30002);
	vl1_path_latency_sample(x, 50);
	vl1_path_latency_sample(y, 50);
	CHECK(vl1_path_quality(x, now + 30002) <
	    vl1_path_quality(y, now + 30002));
	CHECK(vl1_peer_best_path(p, now + 30002, false) == x);
	/* a dead path loses to a live one */
	CHECK(vl1_peer_best_path(p, now + 30002 + VL1_PATH_ALIVE, false) !=
	    NULL);
	vl1_path_latency_sample(vl1_peer_learn_path(p, 0, &c, now + 30002 +
	    VL1_PATH_ALIVE), 50);
	CHECK(inetaddr_equal(&vl1_peer_best_path(p, now + 30002 +
	    VL1_PATH_ALIVE, false)->addr, &c));
	/* expiry: none left after 243 s, except with any = true */
	CHECK(vl1_peer_best_path(p, now + 40000 + VL1_PATH_EXPIRATION +
	    VL1_PATH_ALIVE, false) == NULL);
	CHECK(vl1_peer_best_path(p, now + 40000 + VL1_PATH_EXPIRATION +
	    VL1_PATH_ALIVE, true) != NULL);
	CHECK(vl1_peer_prune_paths(p, now + 40000 + VL1_PATH_EXPIRATION +
	    VL1_PATH_ALIVE) == 0);
	CHECK(vl1_peer_best_path(p, now, true) == NULL);
	/* a full table replaces the path heard from least recently */
	for (i = 0; i < VL1_MAX_PATHS; i++) {
		v4(&nat2, 198, 18, 10, (uint8_t)(i + 1), 9993);
		vl1_peer_learn_path(p, 0, &nat2, now + i);
	}
	v4(&nat2, 198, 18, 11, 1, 9993);
	x = vl1_peer_learn_path(p, 0, &nat2, now + 100);
	v4(&a, 198, 18, 10, 1, 9993);
	CHECK(vl1_peer_path(p, 0, &a) == NULL);
	CHECK(vl1_peer_path(p, 0, &nat2) == x);
	/* latency: first sample taken as is, then averaged, capped */
	CHECK(x->latency == VL1_LATENCY_UNKNOWN);
	vl1_path_latency_sample(x, 100);
	vl1_path_latency_sample(x, 50);
	CHECK(x->latency == 75);
	vl1_path_latency_sample(x, 10000000);
	CHECK(x->latency < VL1_LATENCY_UNKNOWN);
	free(p);
}

int
main(void)
{
	json_t *ids = test_vectors_load("identities.json");

	test_table(ids);
	test_dup();
	test_paths();
	json_decref(ids);
	return test_main_end();
}
