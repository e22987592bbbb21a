/*
 * Credentials against vectors/credentials.json: every entry is decoded,
 * re-encoded, its signed message rebuilt, verified (tampered and wrongly
 * signed ones must give -1) and, with the controller's key, re-signed.
 */
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "hex.h"
#include "identity.h"
#include "test.h"

#define MAX_IDS		16
#define MAX_COMS	16

static struct identity controller_pub, controller_sec;
static uint64_t nwid;

/* named identities seen in the file (holders), public and secret */
static struct {
	char		 name[32];
	struct identity	 pub;
	struct identity	 sec;
} ids[MAX_IDS];
static size_t nids;

static struct {
	char		 name[64];
	struct com	 com;
} coms[MAX_COMS];
static size_t ncoms;

static uint64_t
jaddr(json_t *o, const char *key)
{
	uint64_t v = 0;
	const char *s = test_jstr(o, key);

	CHECKF(hex_parse_u64(s, strlen(s), &v) == 0, "%s: %s", key, s);
	return v;
}

static uint64_t
jhex64(json_t *o, const char *key)
{
	return jaddr(o, key);
}

static void
ids_add(json_t *holder)
{
	const char *name = test_jstr(holder, "name");
	size_t i;

	for (i = 0; i < nids; i++)
		if (strcmp(ids[i].name, name) == 0)
			return;
	REQUIRE(nids < MAX_IDS);
	snprintf(ids[nids].name, sizeof(ids[nids].name), "%s", name);
	REQUIRE(identity_from_string(&ids[nids].pub,
	    test_jstr(holder, "public")) == 0);
	REQUIRE(identity_from_string(&ids[nids].sec,
	    test_jstr(holder, "secret")) == 0);
	CHECK(ids[nids].pub.address == jaddr(holder, "address"));
	nids++;
}

static const struct identity *
ids_find(const char *name)
{
	size_t i;

	for (i = 0; i < nids; i++)
		if (strcmp(ids[i].name, name) == 0)
			return &ids[i].pub;
	return NULL;
}

static const struct identity *
ids_lookup(void *arg, uint64_t address)
{
	size_t i;

	(void)arg;
	for (i = 0; i < nids; i++)
		if (ids[i].pub.address == address)
			return &ids[i].pub;
	return NULL;
}

/* the vector's bytes, decoded into a wbuf-comparable buffer */
static void
check_bytes(const struct wbuf *w, json_t *e, const char *key,
    const char *name)
{
	uint8_t *want;
	size_t wlen;

	want = test_jhex(e, key, &wlen);
	CHECKF(!wbuf_failed(w) && wbuf_len(w) == wlen, "%s %s: length %zu "
	    "want %zu", name, key, wbuf_len(w), wlen);
	if (!wbuf_failed(w) && wbuf_len(w) == wlen)
		CHECK_MEM(wbuf_data(w), want, wlen, name);
	free(want);
}

/* every strict prefix of a serialization must fail to parse */
static void
check_truncations(const uint8_t *b, size_t len,
    int (*parse)(void *, struct rbuf *), void *obj, const char *name)
{
	struct rbuf r;
	size_t i;
	int bad = 0;

	for (i = 0; i < len; i++) {
		rbuf_init(&r, b, i);
		if (parse(obj, &r) == 0)
			bad++;
	}
	CHECKF(bad == 0, "%s: %d truncated forms parsed", name, bad);
}

static int
parse_com(void *o, struct rbuf *r)
{
	return com_deserialize(o, r);
}

static int
parse_cap(void *o, struct rbuf *r)
{
	return capability_deserialize(o, r);
}

static int
parse_tag(void *o, struct rbuf *r)
{
	return tag_deserialize(o, r);
}

static int
parse_rev(void *o, struct rbuf *r)
{
	return revocation_deserialize(o, r);
}

static int
parse_coo(void *o, struct rbuf *r)
{
	return coo_deserialize(o, r);
}

static void
test_com(json_t *e)
{
	const char *name = test_jstr(e, "name");
	struct com c, c2;
	struct wbuf w;
	struct rbuf r;
	json_t *qs, *q;
	uint8_t *ser, buf[COM_WIRE_MAX];
	size_t len, i;
	uint64_t h[4];
	const struct identity *holder;
	long long vr = test_jint(e, "verify_result");

	ids_add(json_object_get(e, "holder"));
	holder = ids_find(test_jstr(json_object_get(e, "holder"), "name"));
	ser = test_jhex(e, "serialized", &len);
	rbuf_init(&r, ser, len);
	CHECKF(com_deserialize(&c, &r) == 0 && rbuf_done(&r), "%s", name);

	qs = json_object_get(e, "qualifiers");
	CHECK(json_array_size(qs) == c.nq);
	json_array_foreach(qs, i, q) {
		if (i >= c.nq)
			break;
		CHECK(c.q[i].id == (uint64_t)test_jint(q, "id"));
		CHECK(c.q[i].value == jhex64(q, "value"));
		CHECK(c.q[i].max_delta == jhex64(q, "max_delta"));
	}
	CHECK(com_timestamp(&c) == test_jint(e, "timestamp"));
	CHECK(com_network_id(&c) == jaddr(e, "network_id"));
	CHECK(com_issued_to(&c) == jaddr(e, "issued_to"));
	CHECK(c.signed_by == jaddr(e, "signed_by"));
	if (json_object_get(e, "signature") != NULL) {
		uint8_t *sig;
		size_t slen;

		sig = test_jhex(e, "signature", &slen);
		CHECK(slen == ZT_SIGNATURE_LEN);
		CHECK_MEM(c.signature, sig, ZT_SIGNATURE_LEN, name);
		free(sig);
	}
	/* the holder's key hash is what qualifiers 3..6 carry */
	REQUIRE(holder != NULL);
	CHECK(com_identity_hash(holder, h) == 0);
	if (vr == 0)
		for (i = 0; i < 4; i++)
			CHECK(com_qualifier_value(&c, COM_Q_IDHASH0 + i) ==
			    h[i]);

	wbuf_init(&w, buf, sizeof(buf));
	CHECK(com_serialize(&c, &w) == 0);
	check_bytes(&w, e, "serialized", name);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(com_signed_message(&c, &w) == 0);
	check_bytes(&w, e, "signed_message", name);

	CHECKF(com_verify(&c, &controller_pub) == vr, "%s verify", name);
	CHECK(com_verify(&c, NULL) ==
	    (c.signed_by == cred_controller(com_network_id(&c)) ?
	    CRED_VERIFY_WHOIS : CRED_VERIFY_BAD));
	/* the wrong key never verifies */
	CHECK(com_verify(&c, &ids[0].pub) == CRED_VERIFY_BAD);

	/* Ed25519 is deterministic: re-signing a valid COM reproduces it */
	c2 = c;
	CHECK(com_sign(&c2, &controller_sec) == 0);
	if (com_network_id(&c2) >> 24 == controller_pub.address)
		CHECK(com_verify(&c2, &controller_pub) == CRED_VERIFY_OK);
	if (vr == 0)
		CHECK(com_equal(&c, &c2));
	CHECK(com_sign(&c2, &controller_pub) == -1);

	check_truncations(ser, len, parse_com, &c2, name);
	REQUIRE(ncoms < MAX_COMS);
	snprintf(coms[ncoms].name, sizeof(coms[ncoms].name), "%s", name);
	coms[ncoms++].com = c;
	free(ser);
}

static const struct com *
coms_find(const char *name)
{
	size_t i;

	for (i = 0; i < ncoms; i++)
		if (strcmp(coms[i].name, name) == 0)
			return &coms[i].com;
	return NULL;
}

static void
test_com_agreement(json_t *e)
{
	const struct com *a, *b;
	const struct identity *id;

	a = coms_find(test_jstr(e, "com_a"));
	b = coms_find(test_jstr(e, "com_b"));
	id = ids_find(test_jstr(e, "identity_of_b_holder"));
	REQUIRE(a != NULL && b != NULL && id != NULL);
	CHECKF(com_agrees(a, b, id) == test_jbool(e, "a_agrees_with_b"),
	    "%s", test_jstr(e, "note"));
}

static void
test_com_issue(void)
{
	struct com c, d;
	const struct com *alice = coms_find("com_alice");
	const struct identity *id = ids_find("alice");
	struct wbuf w;
	uint8_t buf[COM_WIRE_MAX];

	REQUIRE(alice != NULL && id != NULL);
	/* the controller's COM for alice, rebuilt from its parts */
	CHECK(com_issue(&c, com_network_id(alice), com_timestamp(alice),
	    alice->q[0].max_delta, id) == 0);
	CHECK(com_sign(&c, &controller_sec) == 0);
	CHECK(com_equal(&c, alice));
	CHECK(com_agrees(&c, alice, id));

	/* unsorted qualifiers, a bad format byte, too many qualifiers */
	d = c;
	d.q[0].id = 9;
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(com_serialize(&d, &w) == 0);
	{
		struct rbuf r;
		struct com e;

		rbuf_init(&r, buf, wbuf_len(&w));
		CHECK(com_deserialize(&e, &r) == -1);
		buf[0] = 2;
		d.q[0].id = 0;
		wbuf_init(&w, buf, sizeof(buf));
		CHECK(com_serialize(&d, &w) == 0);
		buf[0] = 2;
		rbuf_init(&r, buf, wbuf_len(&w));
		CHECK(com_deserialize(&e, &r) == -1);
		buf[0] = 1;
		buf[2] = 9;
		rbuf_init(&r, buf, wbuf_len(&w));
		CHECK(com_deserialize(&e, &r) == -1);
	}
	/* no qualifiers: never agrees */
	memset(&d, 0, sizeof(d));
	CHECK(!com_agrees(&d, alice, id));
	CHECK(!com_agrees(alice, &d, id));
}

static void
check_custody(const struct capability *c, json_t *e)
{
	json_t *cu, *x;
	size_t i;

	if ((cu = json_object_get(e, "custody")) == NULL)
		return;
	CHECK(json_array_size(cu) == c->ncustody);
	json_array_foreach(cu, i, x) {
		if (i >= c->ncustody)
			break;
		CHECK(c->custody[i].to == jaddr(x, "to"));
		CHECK(c->custody[i].from == jaddr(x, "from"));
	}
}

static void
check_cap_rules(const struct capability *c, json_t *e)
{
	struct rule rules[RULES_MAX_CAPABILITY];
	json_t *jr = json_object_get(e, "rules");
	size_t n, dropped, i;
	struct wbuf w;
	uint8_t buf[RULES_MAX_CAPABILITY * RULE_WIRE_MAX];

	if (jr == NULL)
		return;
	CHECK(rules_from_json(jr, rules, RULES_MAX_CAPABILITY, &n,
	    &dropped) == 0);
	CHECK(dropped == 0 && n == c->nrules);
	for (i = 0; i < n && i < c->nrules; i++)
		CHECK(rule_equal(&rules[i], &c->rules[i]));
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(rules_encode(c->rules, c->nrules, &w) == 0);
	check_bytes(&w, e, "rules_binary", "capability rules");
}

static void
test_capability(json_t *e)
{
	const char *name = test_jstr(e, "name");
	struct capability *c, *c2;
	struct wbuf w;
	struct rbuf r;
	uint8_t *ser, buf[CAP_WIRE_MAX];
	size_t len;
	long long vr = test_jint(e, "verify_result");
	struct cred_lookup lk = { ids_lookup, NULL };

	c = calloc(1, sizeof(*c));
	c2 = calloc(1, sizeof(*c2));
	REQUIRE(c != NULL && c2 != NULL);
	ser = test_jhex(e, "serialized", &len);
	rbuf_init(&r, ser, len);
	CHECKF(capability_deserialize(c, &r) == 0 && rbuf_done(&r), "%s",
	    name);
	if (json_object_get(e, "id") != NULL) {
		CHECK(c->id == (uint32_t)test_jint(e, "id"));
		CHECK(c->nwid == jaddr(e, "network_id"));
		CHECK(c->timestamp == test_jint(e, "timestamp"));
		CHECK(c->max_custody ==
		    (unsigned int)test_jint(e, "max_custody_chain_length"));
		CHECK(capability_issued_to(c) == jaddr(e, "issued_to"));
	}
	check_custody(c, e);
	check_cap_rules(c, e);

	wbuf_init(&w, buf, sizeof(buf));
	CHECK(capability_serialize(c, &w) == 0);
	check_bytes(&w, e, "serialized", name);
	if (json_object_get(e, "signed_message") != NULL) {
		wbuf_init(&w, buf, sizeof(buf));
		CHECK(capability_signed_message(c, &w) == 0);
		check_bytes(&w, e, "signed_message", name);
	}
	CHECKF(capability_verify(c, &controller_pub, &lk) == vr, "%s", name);

	/* re-issue: controller signs a copy with an empty chain */
	*c2 = *c;
	memset(c2->custody, 0, sizeof(c2->custody));
	c2->ncustody = 0;
	CHECK(capability_verify(c2, &controller_pub, NULL) ==
	    CRED_VERIFY_BAD);
	CHECK(capability_sign(c2, &controller_sec,
	    c->ncustody > 0 ? c->custody[0].to : 1) == 0);
	if (c2->nwid >> 24 == controller_pub.address) {
		CHECK(capability_verify(c2, &controller_pub, NULL) ==
		    CRED_VERIFY_OK);
		CHECK(capability_verify(c2, NULL, NULL) == CRED_VERIFY_WHOIS);
	}
	if (vr == 0)
		CHECK(capability_equal(c, c2));
	check_truncations(ser, len, parse_cap, c2, name);
	free(ser);
	free(c);
	free(c2);
}

/* controller -> alice -> bob, max chain 3 */
static void
test_capability_chain(void)
{
	struct capability *c, *d;
	struct rule accept = { .t = RULE_ACTION_ACCEPT };
	const struct identity *alice_sec = NULL, *bob = ids_find("bob");
	struct cred_lookup lk = { ids_lookup, NULL };
	struct wbuf w;
	struct rbuf r;
	uint8_t buf[CAP_WIRE_MAX];
	size_t i;

	for (i = 0; i < nids; i++)
		if (strcmp(ids[i].name, "alice") == 0)
			alice_sec = &ids[i].sec;
	REQUIRE(alice_sec != NULL && bob != NULL);
	c = calloc(1, sizeof(*c));
	d = calloc(1, sizeof(*d));
	REQUIRE(c != NULL && d != NULL);
	CHECK(capability_init(c, nwid, 1700000000000LL, 7, &accept, 1, 8) ==
	    -1);
	CHECK(capability_init(c, nwid, 1700000000000LL, 7, &accept, 65, 3) ==
	    -1);
	CHECK(capability_init(c, nwid, 1700000000000LL, 7, &accept, 1, 3) ==
	    0);
	CHECK(capability_sign(c, &controller_sec, alice_sec->address) == 0);
	CHECK(capability_sign(c, alice_sec, bob->address) == 0);
	CHECK(capability_issued_to(c) == bob->address);
	CHECK(capability_verify(c, &controller_pub, &lk) == CRED_VERIFY_OK);
	/* alice unknown: WHOIS */
	CHECK(capability_verify(c, &controller_pub, NULL) ==
	    CRED_VERIFY_WHOIS);

	wbuf_init(&w, buf, sizeof(buf));
	CHECK(capability_serialize(c, &w) == 0);
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(capability_deserialize(d, &r) == 0 && rbuf_done(&r));
	CHECK(capability_equal(c, d));
	CHECK(capability_verify(d, &controller_pub, &lk) == CRED_VERIFY_OK);

	/* a hop not from the previous holder */
	d->custody[1].from = bob->address;
	CHECK(capability_verify(d, &controller_pub, &lk) == CRED_VERIFY_BAD);
	*d = *c;
	d->custody[1].signature[5] ^= 1;
	CHECK(capability_verify(d, &controller_pub, &lk) == CRED_VERIFY_BAD);

	/* the chain is full at its max length */
	CHECK(capability_sign(c, &controller_sec, 0x1122334455ULL) == 0);
	CHECK(capability_sign(c, &controller_sec, 0x1122334455ULL) == -1);
	/* more entries on the wire than the max length: rejected */
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(capability_serialize(c, &w) == 0);
	/* patch the max length byte (after head and the one rule) to 2 */
	buf[8 + 8 + 4 + 2 + 2] = 2;
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(capability_deserialize(d, &r) == -1);
	buf[8 + 8 + 4 + 2 + 2] = 0;
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(capability_deserialize(d, &r) == -1);
	free(c);
	free(d);
}

static void
test_tag(json_t *e)
{
	const char *name = test_jstr(e, "name");
	struct tag t, t2;
	struct wbuf w;
	struct rbuf r;
	uint8_t *ser, buf[TAG_WIRE_MAX + 8];
	size_t len;
	long long vr = test_jint(e, "verify_result");

	ser = test_jhex(e, "serialized", &len);
	CHECK(len == TAG_WIRE_MAX);
	rbuf_init(&r, ser, len);
	CHECKF(tag_deserialize(&t, &r) == 0 && rbuf_done(&r), "%s", name);
	CHECK(t.value == (uint32_t)test_jint(e, "value"));
	if (json_object_get(e, "id") != NULL) {
		CHECK(t.id == (uint32_t)test_jint(e, "id"));
		CHECK(t.nwid == jaddr(e, "network_id"));
		CHECK(t.timestamp == test_jint(e, "timestamp"));
		CHECK(t.issued_to == jaddr(e, "issued_to"));
		CHECK(t.signed_by == jaddr(e, "signed_by"));
	}
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(tag_serialize(&t, &w) == 0);
	check_bytes(&w, e, "serialized", name);
	if (json_object_get(e, "signed_message") != NULL) {
		wbuf_init(&w, buf, sizeof(buf));
		CHECK(tag_signed_message(&t, &w) == 0);
		check_bytes(&w, e, "signed_message", name);
	}
	CHECKF(tag_verify(&t, &controller_pub) == vr, "%s", name);
	CHECK(tag_verify(&t, NULL) == CRED_VERIFY_WHOIS);
	t2 = t;
	CHECK(tag_sign(&t2, &controller_sec) == 0);
	CHECK(tag_verify(&t2, &controller_pub) == CRED_VERIFY_OK);
	if (vr == 0)
		CHECK(tag_equal(&t, &t2));
	/* signed by someone who is not the controller */
	CHECK(tag_sign(&t2, &ids[0].sec) == 0);
	CHECK(tag_verify(&t2, &controller_pub) == CRED_VERIFY_BAD);
	CHECK(tag_verify(&t2, &ids[0].pub) == CRED_VERIFY_BAD);
	check_truncations(ser, len, parse_tag, &t2, name);
	free(ser);
}

/* signature kinds other than 1 and extension bytes are skipped */
static void
test_tag_skips(void)
{
	struct tag t, u;
	struct wbuf w;
	struct rbuf r;
	uint8_t buf[256], out[256];
	size_t body = 8 + 8 + 4 + 4 + 5 + 5;

	memset(&t, 0, sizeof(t));
	t.nwid = nwid;
	t.id = 1;
	t.value = 2;
	t.issued_to = 0x0102030405ULL;
	CHECK(tag_sign(&t, &controller_sec) == 0);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(tag_serialize(&t, &w) == 0);
	/* append 3 extension bytes */
	buf[body + 99] = 0;
	buf[body + 100] = 3;
	memcpy(buf + body + 101, "xyz", 3);
	rbuf_init(&r, buf, body + 104);
	CHECK(tag_deserialize(&u, &r) == 0 && rbuf_done(&r));
	CHECK(tag_equal(&t, &u));
	/* signature type 2 with 4 bytes: parsed, not verifiable */
	buf[body] = 2;
	buf[body + 1] = 0;
	buf[body + 2] = 4;
	buf[body + 7] = 0;
	buf[body + 8] = 0;
	rbuf_init(&r, buf, body + 9);
	CHECK(tag_deserialize(&u, &r) == 0 && rbuf_done(&r));
	CHECK(tag_verify(&u, &controller_pub) == CRED_VERIFY_BAD);
	wbuf_init(&w, out, sizeof(out));
	CHECK(tag_serialize(&u, &w) == 0 && wbuf_len(&w) == TAG_WIRE_MAX);
	/* type 1 with a length other than 96 */
	buf[body] = 1;
	rbuf_init(&r, buf, body + 9);
	CHECK(tag_deserialize(&u, &r) == -1);
}

static void
test_revocation(json_t *e)
{
	const char *name = test_jstr(e, "name");
	struct revocation v, v2;
	struct wbuf w;
	struct rbuf r;
	uint8_t *ser, buf[REVOCATION_WIRE_MAX];
	size_t len;
	long long vr = test_jint(e, "verify_result");

	ser = test_jhex(e, "serialized", &len);
	CHECK(len == REVOCATION_WIRE_MAX);
	rbuf_init(&r, ser, len);
	CHECKF(revocation_deserialize(&v, &r) == 0 && rbuf_done(&r), "%s",
	    name);
	if (json_object_get(e, "id") != NULL) {
		CHECK(v.id == (uint32_t)test_jint(e, "id"));
		CHECK(v.nwid == jaddr(e, "network_id"));
		CHECK(v.credential_id ==
		    (uint32_t)test_jint(e, "credential_id"));
		CHECK(v.threshold == test_jint(e, "threshold"));
		CHECK(v.flags == jhex64(e, "flags"));
		CHECK(revocation_fast_propagate(&v) ==
		    ((jhex64(e, "flags") & 1) != 0));
		CHECK(v.target == jaddr(e, "target"));
		CHECK(v.type == test_jint(e, "credential_type"));
		CHECK(cred_type_valid(v.type));
		CHECK(v.signed_by == jaddr(e, "signed_by"));
	}
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(revocation_serialize(&v, &w) == 0);
	check_bytes(&w, e, "serialized", name);
	if (json_object_get(e, "signed_message") != NULL) {
		wbuf_init(&w, buf, sizeof(buf));
		CHECK(revocation_signed_message(&v, &w) == 0);
		check_bytes(&w, e, "signed_message", name);
	}
	CHECKF(revocation_verify(&v, &controller_pub) == vr, "%s", name);
	CHECK(revocation_verify(&v, NULL) == CRED_VERIFY_WHOIS);
	v2 = v;
	CHECK(revocation_sign(&v2, &controller_sec) == 0);
	CHECK(revocation_verify(&v2, &controller_pub) == CRED_VERIFY_OK);
	if (vr == 0)
		CHECK(revocation_equal(&v, &v2));
	check_truncations(ser, len, parse_rev, &v2, name);
	free(ser);
}

static void
check_things(const struct coo *c, json_t *e)
{
	json_t *th, *x;
	size_t i;
	uint8_t v[16];
	const char *s;

	if ((th = json_object_get(e, "things")) == NULL)
		return;
	CHECK(json_array_size(th) == c->nthings);
	json_array_foreach(th, i, x) {
		if (i >= c->nthings)
			break;
		CHECK(c->things[i].type == test_jint(x, "type"));
		memset(v, 0, sizeof(v));
		switch (c->things[i].type) {
		case COO_THING_IPV4:
			CHECK(inet_pton(AF_INET, test_jstr(x, "ipv4"), v) ==
			    1);
			break;
		case COO_THING_IPV6:
			CHECK(inet_pton(AF_INET6, test_jstr(x, "ipv6"), v) ==
			    1);
			break;
		case COO_THING_MAC:
			s = test_jstr(x, "mac");
			CHECK(strlen(s) == 17 && sscanf(s,
			    "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &v[0],
			    &v[1], &v[2], &v[3], &v[4], &v[5]) == 6);
			CHECK(coo_owns_mac(c, v));
			break;
		default:
			CHECKF(0, "thing type %u", c->things[i].type);
		}
		CHECK_MEM(c->things[i].value, v, 16, "thing value");
	}
}

static void
check_owns(const struct coo *c, json_t *e)
{
	json_t *owns, *want;
	const char *key;
	uint8_t ip[16];

	if ((owns = json_object_get(e, "owns")) == NULL)
		return;
	CHECK(json_object_size(owns) > 0);
	json_object_foreach(owns, key, want) {
		if (inet_pton(AF_INET, key, ip) == 1)
			CHECKF(coo_owns_ipv4(c, ip) == json_is_true(want),
			    "owns %s", key);
		else if (inet_pton(AF_INET6, key, ip) == 1)
			CHECKF(coo_owns_ipv6(c, ip) == json_is_true(want),
			    "owns %s", key);
		else
			CHECKF(0, "owns key %s", key);
	}
}

static void
test_coo(json_t *e)
{
	const char *name = test_jstr(e, "name");
	struct coo c, c2;
	struct wbuf w;
	struct rbuf r;
	uint8_t *ser, buf[COO_WIRE_MAX];
	size_t len;
	long long vr = test_jint(e, "verify_result");
	json_t *codes;

	ser = test_jhex(e, "serialized", &len);
	rbuf_init(&r, ser, len);
	CHECKF(coo_deserialize(&c, &r) == 0 && rbuf_done(&r), "%s", name);
	if (json_object_get(e, "id") != NULL) {
		CHECK(c.id == (uint32_t)test_jint(e, "id"));
		CHECK(c.nwid == jaddr(e, "network_id"));
		CHECK(c.timestamp == test_jint(e, "timestamp"));
		CHECK(c.issued_to == jaddr(e, "issued_to"));
		CHECK(c.signed_by == controller_pub.address);
	}
	if ((codes = json_object_get(e, "thing_type_codes")) != NULL) {
		CHECK(test_jint(codes, "null") == COO_THING_NULL);
		CHECK(test_jint(codes, "mac") == COO_THING_MAC);
		CHECK(test_jint(codes, "ipv4") == COO_THING_IPV4);
		CHECK(test_jint(codes, "ipv6") == COO_THING_IPV6);
	}
	check_things(&c, e);
	check_owns(&c, e);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(coo_serialize(&c, &w) == 0);
	check_bytes(&w, e, "serialized", name);
	if (json_object_get(e, "signed_message") != NULL) {
		wbuf_init(&w, buf, sizeof(buf));
		CHECK(coo_signed_message(&c, &w) == 0);
		check_bytes(&w, e, "signed_message", name);
	}
	CHECKF(coo_verify(&c, &controller_pub) == vr, "%s", name);
	c2 = c;
	CHECK(coo_sign(&c2, &controller_sec) == 0);
	CHECK(coo_verify(&c2, &controller_pub) == CRED_VERIFY_OK);
	if (vr == 0)
		CHECK(coo_equal(&c, &c2));

	/* rebuild from the things: same bytes once signed */
	memset(&c2, 0, sizeof(c2));
	c2.nwid = c.nwid;
	c2.timestamp = c.timestamp;
	c2.id = c.id;
	c2.flags = c.flags;
	c2.issued_to = c.issued_to;
	for (size_t i = 0; i < c.nthings; i++)
		CHECK(coo_add_thing(&c2, c.things[i].type, c.things[i].value,
		    c.things[i].type == COO_THING_MAC ? 6 :
		    c.things[i].type == COO_THING_IPV4 ? 4 : 16) == 0);
	CHECK(coo_sign(&c2, &controller_sec) == 0);
	if (vr == 0)
		CHECK(coo_equal(&c, &c2));
	check_truncations(ser, len, parse_coo, &c2, name);
	free(ser);
}

static void
test_coo_limits(void)
{
	struct coo c, d;
	struct wbuf w;
	struct rbuf r;
	uint8_t buf[COO_WIRE_MAX + 17], v[4] = { 10, 0, 0, 0 };
	unsigned int i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < COO_MAX_THINGS; i++) {
		v[3] = (uint8_t)i;
		CHECK(coo_add_thing(&c, COO_THING_IPV4, v, 4) == 0);
	}
	CHECK(coo_add_thing(&c, COO_THING_IPV4, v, 4) == -1);
	CHECK(coo_owns_ipv4(&c, v));
	v[3] = 200;
	CHECK(!coo_owns_ipv4(&c, v));
	CHECK(!coo_owns(&c, COO_THING_IPV6, v, 4));
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(coo_serialize(&c, &w) == 0 && wbuf_len(&w) == COO_WIRE_MAX);
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(coo_deserialize(&d, &r) == 0 && coo_equal(&c, &d));
	/* a 17th thing on the wire is refused */
	buf[8 + 8 + 8 + 4 + 1] = COO_MAX_THINGS + 1;
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(coo_deserialize(&d, &r) == -1);
}

static void
test_type_codes(json_t *codes)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach(codes, key, v) {
		const char *name = cred_type_name(
		    (unsigned int)json_integer_value(v));

		CHECKF(name != NULL && strcmp(name, key) == 0, "%s", key);
		CHECK(cred_type_valid((unsigned int)json_integer_value(v)) ==
		    (strcmp(key, "null") != 0));
		n++;
	}
	CHECK(n == 6);
	CHECK(CRED_TYPE_COM == 1 && CRED_TYPE_CAPABILITY == 2 &&
	    CRED_TYPE_TAG == 3 && CRED_TYPE_COO == 4 &&
	    CRED_TYPE_REVOCATION == 6);
	CHECK(!cred_type_valid(5) && cred_type_name(5) == NULL);
	CHECK(cred_revocation_key(CRED_TYPE_TAG, 100) == 0x300000064ULL);
}

static void
foreach_entry(json_t *v, const char *key, void (*fn)(json_t *))
{
	json_t *a = json_object_get(v, key), *e;
	size_t i;

	CHECKF(json_array_size(a) > 0, "%s", key);
	json_array_foreach(a, i, e)
		fn(e);
}

int
main(void)
{
	json_t *v = test_vectors_load("credentials.json"), *ctl;
	size_t i;

	ctl = json_object_get(v, "controller");
	REQUIRE(identity_from_string(&controller_pub,
	    test_jstr(ctl, "public")) == 0);
	REQUIRE(identity_from_string(&controller_sec,
	    test_jstr(ctl, "secret")) == 0);
	CHECK(controller_pub.address == jaddr(ctl, "address"));
	nwid = jaddr(v, "network_id");
	CHECK(cred_controller(nwid) == controller_pub.address);
	CHECK(json_is_string(json_object_get(v, "verify_result_meaning")));

	foreach_entry(v, "certificates_of_membership", test_com);
	foreach_entry(v, "com_agreement", test_com_agreement);
	test_com_issue();
	foreach_entry(v, "capabilities", test_capability);
	test_capability_chain();
	foreach_entry(v, "tags", test_tag);
	test_tag_skips();
	foreach_entry(v, "revocations", test_revocation);
	foreach_entry(v, "certificates_of_ownership", test_coo);
	test_coo_limits();
	test_type_codes(json_object_get(v, "credential_type_codes"));

	for (i = 0; i < nids; i++) {
		identity_clear(&ids[i].pub);
		identity_clear(&ids[i].sec);
	}
	identity_clear(&controller_pub);
	identity_clear(&controller_sec);
	json_decref(v);
	return test_main_end();
}
