/*
 * Worlds against vectors world.json (every signing key, root identity,
 * world and update check) and default_planet.json.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "c25519.h"
#include "hex.h"
#include "identity.h"
#include "world.h"
#include "test.h"

static json_t *vec;

/* a named signing key: fills pub (and priv when not NULL) */
static void
signing_key(const char *name, uint8_t pub[64], uint8_t priv[64])
{
	json_t *k = json_object_get(json_object_get(vec, "signing_keys"),
	    name);
	uint8_t *p;
	size_t n;

	REQUIRE(k != NULL);
	p = test_jhex(k, "public", &n);
	REQUIRE(n == 64);
	memcpy(pub, p, 64);
	free(p);
	p = test_jhex(k, "private", &n);
	REQUIRE(n == 64);
	if (priv != NULL)
		memcpy(priv, p, 64);
	OPENSSL_cleanse(p, n);
	free(p);
}

static void
test_signing_keys(void)
{
	json_t *keys = json_object_get(vec, "signing_keys"), *k;
	uint8_t pub[64], priv[64], derived[64];
	const char *name;
	size_t count = 0;

	REQUIRE(json_is_object(keys));
	json_object_foreach(keys, name, k) {
		signing_key(name, pub, priv);
		CHECK(c25519_public_from_private(derived, priv) == 0);
		CHECK_MEM(derived, pub, 64, name);
		count++;
	}
	CHECK(count == 4);
	OPENSSL_cleanse(priv, sizeof(priv));
}

static void
test_root_identities(void)
{
	json_t *list = json_object_get(vec, "root_identities"), *e;
	struct identity pub, sec;
	char s[IDENTITY_STRING_MAX], a[11];
	size_t i;

	REQUIRE(json_is_array(list) && json_array_size(list) == 3);
	json_array_foreach(list, i, e) {
		REQUIRE(identity_from_string(&pub, test_jstr(e, "public"))
		    == 0);
		REQUIRE(identity_from_string(&sec, test_jstr(e, "secret"))
		    == 0);
		CHECKF(strcmp(zt_address_fmt(pub.address, a),
		    test_jstr(e, "address")) == 0, "%s",
		    test_jstr(e, "name"));
		CHECK(!identity_has_private(&pub));
		CHECK(identity_has_private(&sec));
		CHECK(identity_equal_public(&pub, &sec));
		CHECK(identity_to_string(&pub, false, s, sizeof(s)) == 0 &&
		    strcmp(s, test_jstr(e, "public")) == 0);
		identity_clear(&pub);
		identity_clear(&sec);
	}
}

static json_t *
world_entry(const char *name)
{
	json_t *list = json_object_get(vec, "worlds"), *e;
	size_t i;

	json_array_foreach(list, i, e)
		if (strcmp(test_jstr(e, "name"), name) == 0)
			return e;
	return NULL;
}

static int
world_decode(json_t *e, struct world *w)
{
	struct rbuf r;
	uint8_t *p;
	size_t n;
	int rc;

	p = test_jhex(e, "serialized", &n);
	rbuf_init(&r, p, n);
	rc = world_deserialize(w, &r);
	if (!rbuf_done(&r))
		rc = -1;
	free(p);
	return rc;
}

static void
check_roots(json_t *e, const struct world *w)
{
	json_t *roots = json_object_get(e, "roots"), *r, *eps, *ep;
	char s[IDENTITY_STRING_MAX], ip[INETADDR_STRLEN], a[11];
	const struct world_root *wr;
	size_t i, j;

	REQUIRE(json_is_array(roots));
	CHECK(w->nroots == json_array_size(roots));
	json_array_foreach(roots, i, r) {
		if (i >= w->nroots)
			break;
		wr = &w->roots[i];
		CHECK(identity_to_string(&wr->identity, false, s,
		    sizeof(s)) == 0);
		CHECKF(strcmp(s, test_jstr(r, "identity")) == 0, "%s", s);
		CHECK(strcmp(zt_address_fmt(wr->identity.address, a),
		    test_jstr(r, "address")) == 0);
		CHECK(world_find_root(w, wr->identity.address) == wr);
		eps = json_object_get(r, "stable_endpoints");
		REQUIRE(json_is_array(eps));
		CHECK(wr->nendpoints == json_array_size(eps));
		json_array_foreach(eps, j, ep) {
			if (j >= wr->nendpoints)
				break;
			CHECKF(strcmp(inetaddr_fmt(&wr->endpoints[j], ip),
			    json_string_value(ep)) == 0, "%s", ip);
		}
	}
}

/*
 * Rebuilds the world from its fields and signs it: Ed25519 is
 * deterministic, so the bytes must match the reference exactly.
 */
static void
check_remake(json_t *e, const struct world *w, const uint8_t priv[64])
{
	struct identity ids[WORLD_MAX_ROOTS];
	struct world m;
	uint8_t buf[WORLD_MAX_SERIALIZED], *ser;
	struct wbuf b;
	size_t n;

	REQUIRE(world_init(&m, w->type, w->id, w->timestamp,
	    w->update_key) == 0);
	for (unsigned int i = 0; i < w->nroots; i++) {
		ids[i] = w->roots[i].identity;
		CHECK(world_add_root(&m, &ids[i], w->roots[i].endpoints,
		    w->roots[i].nendpoints) == 0);
	}
	CHECK(world_sign(&m, priv) == 0);
	wbuf_init(&b, buf, sizeof(buf));
	CHECK(world_serialize(&m, &b) == 0);
	ser = test_jhex(e, "serialized", &n);
	CHECK(wbuf_len(&b) == n);
	CHECK_MEM(buf, ser, n, test_jstr(e, "name"));
	CHECK(world_equal(&m, w));
	free(ser);
}

static void
check_world(json_t *e)
{
	const char *name = test_jstr(e, "name");
	uint8_t key[64], priv[64], buf[WORLD_MAX_SERIALIZED], *p;
	uint8_t other[64];
	struct world w, back;
	struct wbuf b;
	struct rbuf r;
	uint64_t idhex;
	size_t n;
	bool valid;

	REQUIRE(world_decode(e, &w) == 0);
	p = test_jhex(e, "serialized", &n);
	rbuf_init(&r, p, n);
	REQUIRE(world_deserialize(&back, &r) == 0);
	CHECKF(n - rbuf_remaining(&r) ==
	    (size_t)test_jint(e, "deserialize_consumed_bytes"), "%s", name);
	CHECK(w.type == test_jint(e, "type"));
	CHECK(w.id == strtoull(test_jstr(e, "id"), NULL, 10));
	CHECK(hex_parse_u64(test_jstr(e, "id_hex"), 16, &idhex) == 0 &&
	    idhex == w.id);
	CHECK(w.timestamp == (uint64_t)test_jint(e, "timestamp"));
	free(p);
	p = test_jhex(e, "updates_must_be_signed_by", &n);
	CHECK(n == 64);
	CHECK_MEM(w.update_key, p, 64, "update key");
	free(p);
	p = test_jhex(e, "signature", &n);
	CHECK(n == 96);
	CHECK_MEM(w.signature, p, 96, "signature");
	free(p);
	check_roots(e, &w);

	/* round trip */
	wbuf_init(&b, buf, sizeof(buf));
	CHECK(world_serialize(&w, &b) == 0);
	p = test_jhex(e, "serialized", &n);
	CHECK((wbuf_len(&b) == n && memcmp(buf, p, n) == 0) ==
	    test_jbool(e, "roundtrip_equal"));
	free(p);
	CHECK(world_equal(&w, &back) == test_jbool(e, "roundtrip_equal"));

	wbuf_init(&b, buf, sizeof(buf));
	CHECK(world_signed_message(&w, &b) == 0);
	p = test_jhex(e, "signed_message", &n);
	CHECK(wbuf_len(&b) == n);
	CHECK_MEM(buf, p, n, "signed message");
	free(p);

	signing_key(test_jstr(e, "signed_with"), key, priv);
	valid = test_jbool(e, "signature_valid");
	CHECKF((world_verify(&w, key) == 0) == valid, "%s", name);
	if (valid)
		check_remake(e, &w, priv);
	else {
		/* exactly one other listed key made the bad signature */
		json_t *keys = json_object_get(vec, "signing_keys"), *k;
		const char *kn;
		int found = 0;

		json_object_foreach(keys, kn, k) {
			signing_key(kn, other, priv);
			if (world_verify(&w, other) == 0) {
				found++;
				check_remake(e, &w, priv);
			}
		}
		CHECKF(found == 1, "%s: %d keys verify", name, found);
	}
	OPENSSL_cleanse(priv, sizeof(priv));
}

static void
test_worlds(void)
{
	json_t *list = json_object_get(vec, "worlds"), *e;
	size_t i;

	REQUIRE(json_is_array(list) && json_array_size(list) == 6);
	json_array_foreach(list, i, e)
		check_world(e);
}

static void
test_update_checks(void)
{
	json_t *list = json_object_get(vec, "update_checks"), *e, *we;
	struct world cur, cand;
	const char *cn;
	size_t i;

	REQUIRE(json_is_array(list) && json_array_size(list) == 7);
	json_array_foreach(list, i, e) {
		cn = test_jstr(e, "current");
		if (strcmp(cn, "(null world)") == 0)
			world_clear(&cur);
		else {
			REQUIRE((we = world_entry(cn)) != NULL);
			REQUIRE(world_decode(we, &cur) == 0);
		}
		REQUIRE((we = world_entry(test_jstr(e, "candidate"))) != NULL);
		REQUIRE(world_decode(we, &cand) == 0);
		CHECKF(world_should_be_replaced_by(&cur, &cand) ==
		    test_jbool(e, "should_be_replaced"), "%s <- %s", cn,
		    test_jstr(e, "candidate"));
	}
}

/* every proper prefix of a valid world fails, and so do bad fields */
static void
test_malformed(void)
{
	json_t *we = world_entry("planet_v2");
	uint8_t *p, *q, priv[64], pub[64];
	struct world w;
	struct rbuf r;
	size_t n;

	REQUIRE(we != NULL);
	p = test_jhex(we, "serialized", &n);
	for (size_t k = 0; k < n; k++) {
		rbuf_init(&r, p, k);
		CHECKF(world_deserialize(&w, &r) == -1 && rbuf_failed(&r),
		    "prefix %zu", k);
		CHECK(w.type == WORLD_TYPE_NULL && w.nroots == 0);
	}
	q = malloc(n + 128);
	REQUIRE(q != NULL);

	/* type bytes other than 0, 1, 127 */
	for (int t = 0; t < 256; t++) {
		memcpy(q, p, n);
		q[0] = (uint8_t)t;
		rbuf_init(&r, q, n);
		if (t == WORLD_TYPE_NULL || t == WORLD_TYPE_PLANET)
			CHECKF(world_deserialize(&w, &r) == 0, "type %d", t);
		else if (t != WORLD_TYPE_MOON)
			CHECKF(world_deserialize(&w, &r) == -1, "type %d", t);
	}
	/* type 0 decodes but is a null world: anything replaces it */
	memcpy(q, p, n);
	q[0] = WORLD_TYPE_NULL;
	rbuf_init(&r, q, n);
	REQUIRE(world_deserialize(&w, &r) == 0);
	CHECK(world_should_be_replaced_by(&w, &w));

	/* root count 5 */
	memcpy(q, p, n);
	q[177] = 5;
	rbuf_init(&r, q, n);
	CHECK(world_deserialize(&w, &r) == -1);
	/* endpoint count 33 for the first root (after its 71 bytes) */
	memcpy(q, p, n);
	CHECK(q[178 + 71] == 2);
	q[178 + 71] = 33;
	rbuf_init(&r, q, n);
	CHECK(world_deserialize(&w, &r) == -1);
	/* an invalid endpoint type */
	memcpy(q, p, n);
	q[178 + 72] = 0x05;
	rbuf_init(&r, q, n);
	CHECK(world_deserialize(&w, &r) == -1);
	/* an identity type other than 0 */
	memcpy(q, p, n);
	q[178 + 5] = 1;
	rbuf_init(&r, q, n);
	CHECK(world_deserialize(&w, &r) == -1);
	/* a root carrying a private key is refused */
	memcpy(q, p, 178 + 70);
	q[178 + 70] = 64;
	memset(q + 178 + 71, 0xaa, 64);
	memcpy(q + 178 + 71 + 64, p + 178 + 71, n - 178 - 71);
	rbuf_init(&r, q, n + 64);
	CHECK(world_deserialize(&w, &r) == -1);

	/* two worlds back to back: self-delimiting */
	memcpy(q, p, n);
	memcpy(q + n, p, 100 < n ? 100 : n);
	rbuf_init(&r, q, n + 100);
	CHECK(world_deserialize(&w, &r) == 0 && rbuf_remaining(&r) == 100);
	free(p);
	free(q);

	/* a moon's attached dictionary is skipped, but not signed */
	we = world_entry("moon_v1");
	REQUIRE(we != NULL);
	p = test_jhex(we, "serialized", &n);
	q = malloc(n + 3);
	REQUIRE(q != NULL);
	memcpy(q, p, n - 2);
	q[n - 2] = 0;
	q[n - 1] = 3;
	memcpy(q + n, "a=b", 3);
	rbuf_init(&r, q, n + 3);
	CHECK(world_deserialize(&w, &r) == 0 && rbuf_done(&r));
	CHECK(world_verify_self(&w) == 0);
	rbuf_init(&r, q, n + 2);
	CHECK(world_deserialize(&w, &r) == -1);
	free(p);
	free(q);

	/* building: limits, self-signature, sorting */
	CHECK(c25519_generate(pub, priv) == 0);
	CHECK(world_init(&w, 2, 1, 1, pub) == -1);
	CHECK(world_init(&w, WORLD_TYPE_MOON, 0x43475e3b77ULL, 5, pub) == 0);
	{
		struct identity id;
		struct inetaddr eps[WORLD_MAX_ENDPOINTS + 1];
		struct world back;
		uint8_t buf[WORLD_MAX_SERIALIZED];
		struct wbuf b;

		memset(&id, 0, sizeof(id));
		for (unsigned int k = 0; k <= WORLD_MAX_ENDPOINTS; k++)
			REQUIRE(inetaddr_parse(&eps[k], "10.0.0.1/9993")
			    == 0);
		eps[0].port = 2;
		eps[1].port = 1;
		for (unsigned int k = 0; k < WORLD_MAX_ROOTS; k++) {
			id.address = 0x1000000000ULL - k;
			id.pub[0] = (uint8_t)k;
			CHECK(world_add_root(&w, &id, eps,
			    k == 0 ? WORLD_MAX_ENDPOINTS : 2) == 0);
		}
		CHECK(world_add_root(&w, &id, eps, 1) == -1);
		w.nroots--;
		CHECK(world_add_root(&w, &id, eps,
		    WORLD_MAX_ENDPOINTS + 1) == -1);
		w.nroots++;
		world_sort(&w);
		CHECK(w.roots[0].identity.address == 0x1000000000ULL - 3);
		CHECK(w.roots[3].identity.address == 0x1000000000ULL);
		CHECK(w.roots[0].endpoints[0].port == 1);
		CHECK(world_sign(&w, priv) == 0);
		CHECK(world_verify_self(&w) == 0);
		wbuf_init(&b, buf, sizeof(buf));
		CHECK(world_serialize(&w, &b) == 0);
		CHECK(wbuf_len(&b) == 178 + 4 * 72 + 32 * 7 + 3 * 2 * 7 + 2);
		rbuf_init(&r, buf, wbuf_len(&b));
		CHECK(world_deserialize(&back, &r) == 0 && rbuf_done(&r));
		CHECK(world_equal(&w, &back));
		CHECK(world_verify_self(&back) == 0);
		/* any change breaks the signature */
		back.timestamp++;
		CHECK(world_verify_self(&back) == -1);
		CHECK(!world_equal(&w, &back));
		back.timestamp--;
		back.roots[2].endpoints[1].port ^= 1;
		CHECK(world_verify_self(&back) == -1);
		CHECK(world_find_root(&w, 0x42) == NULL);
	}
	OPENSSL_cleanse(priv, sizeof(priv));
}

/* spec/vl1.md §6.5 */
static void
test_default_planet(void)
{
	static const struct {
		const char *identity, *ep4, *ep6;
	} roots[4] = {
		{ "cafe9efeb9:0:ccdef76bc7b97ded904eabc5df09886d9c1514a6100"
		  "36cb9139cc214001a2958978efcec15712dd3948c6e6b3a8e893df01f"
		  "f493d1f8d9806a860c5420571bf0",
		  "104.194.8.134/9993",
		  "2605:9880:200:1200:30:571:e34:51/9993" },
		{ "778cde7190:0:3f6681a99e5ad1895e9fba33e6212d4454e168bcec7"
		  "112101bf000956ed8e92e42892cb6f2ec410881a84ab19da50e1287ba"
		  "3d926c3a1f755cccf299a1207055",
		  "103.195.103.66/9993",
		  "2605:9880:400:c3:254:f2bc:a1f7:19/9993" },
		{ "62f865ae71:0:e2076c57de870e6288d7d5e7404408b1545efca37d6"
		  "7f77b87e9e54168c25d3ef1a9abf2905ea5e785c01dff23887ad4232d"
		  "95c7a8fd2c27111a72bd159322dc",
		  "50.7.252.138/9993", "2001:49f0:d0db:2::2/9993" },
		{ "cafe04eba9:0:6c6a9d1dea55c1616bfe2a2b8f0ff9a8cacaf70374f"
		  "b1f39e3bef81cbfebef17b7228268a0a2a29d3488c752565c6c965cbd"
		  "6506ec24397cc8a5d9d15285a87f",
		  "84.17.53.155/9993", "2a02:6ea0:d405::9993/9993" },
	};
	static const char key[] = "b8b388a469221491aa9acd66cc764cdefd56039f"
	    "1067ae15e69c6fb42d7b55330e3fdaac529c0792fd7340a6aa21aba8a489fd"
	    "aea44a39bf2d00659ac9c818eb";
	json_t *dp = test_vectors_load("default_planet.json");
	char s[IDENTITY_STRING_MAX], ip[INETADDR_STRLEN];
	uint8_t buf[WORLD_MAX_SERIALIZED], k[64], *p;
	const uint8_t *blob;
	struct world w, newer;
	struct wbuf b;
	struct rbuf r;
	size_t n, len;

	REQUIRE(dp != NULL);
	p = test_jhex(dp, "bytes_hex", &n);
	CHECK(n == (size_t)test_jint(dp, "length"));
	blob = world_default_planet(&len);
	CHECK(len == 570 && n == 570);
	CHECK_MEM(blob, p, n, "default planet bytes");
	free(p);

	REQUIRE(world_load_default_planet(&w) == 0);
	CHECK(w.type == WORLD_TYPE_PLANET);
	CHECK(w.id == (uint64_t)test_jint(dp, "expect_world_id"));
	CHECK(w.id == WORLD_ID_EARTH);
	CHECK(w.timestamp == (uint64_t)test_jint(dp, "expect_timestamp"));
	CHECK(w.timestamp == 1644592324813ULL);
	REQUIRE(hex_decode(key, strlen(key), k, sizeof(k)) == 0);
	CHECK_MEM(w.update_key, k, 64, "earth update key");
	CHECK(world_verify(&w, k) == 0);
	REQUIRE(w.nroots == 4);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK(identity_to_string(&w.roots[i].identity, false, s,
		    sizeof(s)) == 0);
		CHECKF(strcmp(s, roots[i].identity) == 0, "root %u", i);
		REQUIRE(w.roots[i].nendpoints == 2);
		CHECK(strcmp(inetaddr_fmt(&w.roots[i].endpoints[0], ip),
		    roots[i].ep4) == 0);
		CHECK(strcmp(inetaddr_fmt(&w.roots[i].endpoints[1], ip),
		    roots[i].ep6) == 0);
		CHECK(inetaddr_valid_for_path(&w.roots[i].endpoints[0]));
	}
	rbuf_init(&r, blob, len);
	CHECK(world_deserialize(&newer, &r) == 0 && rbuf_done(&r));
	wbuf_init(&b, buf, sizeof(buf));
	CHECK(world_serialize(&w, &b) == 0 && wbuf_len(&b) == 570);
	CHECK_MEM(buf, blob, 570, "default planet round trip");

	/* the built-in planet does not replace itself; a forged one fails */
	CHECK(!world_should_be_replaced_by(&w, &newer));
	newer.timestamp++;
	CHECK(!world_should_be_replaced_by(&w, &newer));
	json_decref(dp);
}

int
main(void)
{
	vec = test_vectors_load("world.json");
	REQUIRE(vec != NULL);
	test_signing_keys();
	test_root_identities();
	test_worlds();
	test_update_checks();
	test_malformed();
	json_decref(vec);
	test_default_planet();
	return test_main_end();
}
