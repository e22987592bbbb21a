/*
 * Identities, key agreement and signatures against ZeroTier One 1.14.1:
 * vectors identities.json, agreement.json, signatures.json.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "buf.h"
#include "c25519.h"
#include "hex.h"
#include "identity.h"
#include "sha.h"

#define MAX_NAMED	32

struct named {
	const char	*name;
	const char	*secret;
};

static struct named	named[MAX_NAMED];
static size_t		nnamed;
/* one reused hasher, checked against identity_locally_valid */
static struct identity_hasher	*hasher;

static const char *
named_secret(const char *name)
{
	size_t i;

	for (i = 0; i < nnamed; i++)
		if (strcmp(named[i].name, name) == 0)
			return named[i].secret;
	CHECKF(0, "no identity named %s", name);
	return "";
}

static uint64_t
addr_of(const char *hex10)
{
	uint64_t a = 0;

	CHECKF(strlen(hex10) == 10, "address %s", hex10);
	CHECK(hex_parse_u64(hex10, 10, &a) == 0);
	return a;
}

static void
check_text_forms(json_t *v, const struct identity *sec)
{
	char buf[IDENTITY_STRING_MAX];
	struct identity pub;

	REQUIRE(identity_to_string(sec, true, buf, sizeof(buf)) == 0);
	CHECKF(strcmp(buf, test_jstr(v, "secret")) == 0, "secret %s", buf);
	REQUIRE(identity_to_string(sec, false, buf, sizeof(buf)) == 0);
	CHECKF(strcmp(buf, test_jstr(v, "public")) == 0, "public %s", buf);
	/* one byte short of the NUL must fail, not truncate */
	CHECK(identity_to_string(sec, false, buf, 141) == -1);
	CHECK(identity_to_string(sec, true, buf, 270) == -1);

	REQUIRE(identity_from_string(&pub, test_jstr(v, "public")) == 0);
	CHECK(!identity_has_private(&pub));
	CHECK(identity_equal_public(&pub, sec));
	CHECK(identity_to_string(&pub, true, buf, sizeof(buf)) == -1);
	identity_clear(&pub);
}

static void
check_binary_forms(json_t *v, const struct identity *sec)
{
	uint8_t out[200], *sp, *ss;
	size_t splen, sslen;
	struct identity d;
	struct wbuf w;
	struct rbuf r;

	sp = test_jhex(v, "serialized_public", &splen);
	ss = test_jhex(v, "serialized_secret", &sslen);
	REQUIRE(sp != NULL && ss != NULL);

	wbuf_init(&w, out, sizeof(out));
	CHECK(identity_serialize(sec, false, &w) == 0);
	CHECK(wbuf_len(&w) == splen && splen == 71);
	CHECK_MEM(out, sp, splen, "serialized_public");
	wbuf_init(&w, out, sizeof(out));
	CHECK(identity_serialize(sec, true, &w) == 0);
	CHECK(wbuf_len(&w) == sslen && sslen == 135);
	CHECK_MEM(out, ss, sslen, "serialized_secret");
	/* a writer that is too small fails */
	wbuf_init(&w, out, 70);
	CHECK(identity_serialize(sec, false, &w) == -1);

	rbuf_init(&r, ss, sslen);
	REQUIRE(identity_deserialize(&d, &r) == 0);
	CHECK(rbuf_done(&r));
	CHECK(identity_equal_public(&d, sec));
	REQUIRE(identity_has_private(&d));
	CHECK_MEM(d.priv, sec->priv, 64, "deserialized private key");
	identity_clear(&d);

	rbuf_init(&r, sp, splen);
	REQUIRE(identity_deserialize(&d, &r) == 0);
	CHECK(rbuf_done(&r));
	CHECK(identity_equal_public(&d, sec));
	CHECK(!identity_has_private(&d));
	identity_clear(&d);

	/* type 1, private length 63, and every truncation are refused */
	memcpy(out, ss, sslen);
	out[5] = 1;
	rbuf_init(&r, out, sslen);
	CHECK(identity_deserialize(&d, &r) == -1 && rbuf_failed(&r));
	CHECK(d.priv == NULL);
	memcpy(out, ss, sslen);
	out[70] = 63;
	rbuf_init(&r, out, sslen);
	CHECK(identity_deserialize(&d, &r) == -1 && rbuf_failed(&r));
	for (size_t n = 0; n < sslen; n++) {
		if (n == splen)
			continue;
		rbuf_init(&r, ss, n);
		CHECKF(identity_deserialize(&d, &r) == -1, "truncated %zu", n);
		CHECK(d.priv == NULL);
	}
	free(sp);
	free(ss);
}

static void
check_keys(json_t *v, const struct identity *sec)
{
	uint8_t *pk, *sk, *h, pub[64], digest[64], hash[48];
	uint8_t *x_pub, *e_pub, *x_priv, *e_seed;
	size_t n, n2, n3, n4, n5, n6, n7;

	pk = test_jhex(v, "public_key", &n);
	sk = test_jhex(v, "private_key", &n2);
	x_pub = test_jhex(v, "x25519_public", &n3);
	e_pub = test_jhex(v, "ed25519_public", &n4);
	x_priv = test_jhex(v, "x25519_private", &n5);
	e_seed = test_jhex(v, "ed25519_private_seed", &n6);
	h = test_jhex(v, "memory_hard_digest", &n7);
	REQUIRE(n == 64 && n2 == 64 && n3 == 32 && n4 == 32 && n5 == 32 &&
	    n6 == 32 && n7 == 64);
	CHECK_MEM(sec->pub, pk, 64, "public_key");
	CHECK_MEM(sec->priv, sk, 64, "private_key");
	CHECK_MEM(pk, x_pub, 32, "x25519_public");
	CHECK_MEM(pk + 32, e_pub, 32, "ed25519_public");
	CHECK_MEM(sk, x_priv, 32, "x25519_private");
	CHECK_MEM(sk + 32, e_seed, 32, "ed25519_private_seed");
	/* both public halves follow from the private key (spec §1.1) */
	CHECK(c25519_public_from_private(pub, sk) == 0);
	CHECK_MEM(pub, pk, 64, "public from private");

	REQUIRE(identity_memory_hard_hash(pk, digest) == 0);
	CHECK_MEM(digest, h, 64, "memory_hard_digest");
	CHECK((digest[0] < 17) == test_jbool(v, "digest_first_byte_lt_17"));
	CHECK((be40_get(digest + 59) == sec->address) ==
	    test_jbool(v, "digest_tail_is_address"));

	free(h);
	h = test_jhex(v, "public_key_hash_sha384", &n);
	REQUIRE(n == 48);
	identity_hash_sha384(sec, hash);
	CHECK_MEM(hash, h, 48, "public_key_hash_sha384");
	free(pk);
	free(sk);
	free(x_pub);
	free(e_pub);
	free(x_priv);
	free(e_seed);
	free(h);
}

static void
test_valid_identities(json_t *arr)
{
	struct identity sec;
	size_t i;
	json_t *v;
	bool ok, lv;

	CHECK(json_array_size(arr) == 12);
	json_array_foreach(arr, i, v) {
		REQUIRE(nnamed < MAX_NAMED);
		named[nnamed].name = test_jstr(v, "name");
		named[nnamed].secret = test_jstr(v, "secret");
		nnamed++;
		CHECK(strlen(test_jstr(v, "role")) > 0);

		ok = identity_from_string(&sec, test_jstr(v, "secret")) == 0;
		CHECK(ok == test_jbool(v, "parse_ok"));
		REQUIRE(ok);
		CHECK(sec.address == addr_of(test_jstr(v, "address")));
		REQUIRE(identity_has_private(&sec));
		lv = identity_locally_valid(&sec);
		CHECK(lv == test_jbool(v, "locally_valid"));
		CHECK(identity_hasher_valid(hasher, &sec) == lv);
		CHECK((ok && lv) == test_jbool(v, "valid"));
		check_text_forms(v, &sec);
		check_binary_forms(v, &sec);
		check_keys(v, &sec);
		identity_clear(&sec);
		CHECK(sec.priv == NULL && sec.address == 0);
	}
}

static void
test_edge_identities(json_t *arr)
{
	struct identity id;
	const char *desc;
	size_t i;
	json_t *v;
	bool ok, lv;

	CHECK(json_array_size(arr) == 16);
	json_array_foreach(arr, i, v) {
		desc = test_jstr(v, "description");
		ok = identity_from_string(&id, test_jstr(v, "string")) == 0;
		CHECKF(ok == test_jbool(v, "parse_ok"), "%s", desc);
		lv = ok && identity_locally_valid(&id);
		CHECKF(lv == test_jbool(v, "locally_valid"), "%s", desc);
		CHECKF(!ok || identity_hasher_valid(hasher, &id) == lv, "%s",
		    desc);
		CHECKF((ok && lv) == test_jbool(v, "valid"), "%s", desc);
		if (ok) {
			CHECKF(id.address ==
			    addr_of(test_jstr(v, "parsed_address")), "%s",
			    desc);
			CHECKF(identity_has_private(&id) ==
			    test_jbool(v, "parsed_has_private"), "%s", desc);
		} else {
			CHECKF(json_object_get(v, "parsed_address") == NULL,
			    "%s", desc);
			CHECK(id.priv == NULL && id.address == 0);
		}
		identity_clear(&id);
	}
}

/* ZeroTier's parser quirks beyond the vectors (strtok, unhex, scopy) */
static void
test_parser_quirks(const char *secret)
{
	char s[600];
	struct identity a, b;
	size_t len = strlen(secret);

	REQUIRE(identity_from_string(&a, secret) == 0);
	/* a trailing newline (an edited file) still parses */
	snprintf(s, sizeof(s), "%s\n", secret);
	REQUIRE(identity_from_string(&b, s) == 0);
	CHECK(identity_equal_public(&a, &b));
	CHECK_MEM(a.priv, b.priv, 64, "private key with newline");
	identity_clear(&b);
	/* empty fields vanish, as with strtok */
	snprintf(s, sizeof(s), ":%.10s::0:%s", secret, secret + 13);
	REQUIRE(identity_from_string(&b, s) == 0);
	CHECK(identity_equal_public(&a, &b) && identity_has_private(&b));
	identity_clear(&b);
	/* surplus hex digits in a key are ignored */
	snprintf(s, sizeof(s), "%.141s00:%s", secret, secret + 142);
	REQUIRE(identity_from_string(&b, s) == 0);
	CHECK(identity_equal_public(&a, &b));
	identity_clear(&b);
	/* 384 characters and more are refused before parsing */
	memset(s, 0, sizeof(s));
	memcpy(s, secret, len);
	memset(s + len, '0', 383 - len);
	CHECK(identity_from_string(&b, s) == 0);
	identity_clear(&b);
	s[383] = '0';
	CHECK(identity_from_string(&b, s) == -1);
	CHECK(identity_from_string(&b, NULL) == -1);
	/* a sign or "0x" before the address is read as strtoull reads it */
	snprintf(s, sizeof(s), "0x%s", secret);
	REQUIRE(identity_from_string(&b, s) == 0);
	CHECK(b.address == a.address);
	identity_clear(&b);
	snprintf(s, sizeof(s), "-%s", secret);
	REQUIRE(identity_from_string(&b, s) == 0);
	CHECK(b.address == ((0 - a.address) & 0xffffffffffULL));
	CHECK(!identity_locally_valid(&b));
	identity_clear(&b);
	/* a too long address saturates to a reserved one */
	snprintf(s, sizeof(s), "1%s", secret);
	CHECK(identity_from_string(&b, s) == 0);
	identity_clear(&b);
	snprintf(s, sizeof(s), "fffffff%s", secret);
	CHECK(identity_from_string(&b, s) == -1);
	identity_clear(&a);
}

static void
test_agreement(void)
{
	json_t *root, *arr, *v;
	struct identity a, b, pa;
	uint8_t key[48], back[48], k128[128], kk[48], *x;
	size_t i, n;

	root = test_vectors_load("agreement.json");
	REQUIRE(root != NULL);
	arr = json_object_get(root, "pairs");
	CHECK(json_array_size(arr) == 39);
	json_array_foreach(arr, i, v) {
		REQUIRE(identity_from_string(&a,
		    named_secret(test_jstr(v, "a"))) == 0);
		REQUIRE(identity_from_string(&b,
		    named_secret(test_jstr(v, "b"))) == 0);
		CHECK(a.address == addr_of(test_jstr(v, "a_address")));
		CHECK(b.address == addr_of(test_jstr(v, "b_address")));
		REQUIRE(identity_agree(&a, &b, key) == 0);
		x = test_jhex(v, "key", &n);
		CHECK(n == 48);
		CHECK_MEM(key, x, 48, "key");
		free(x);
		REQUIRE(identity_agree(&b, &a, back) == 0);
		CHECK((memcmp(key, back, 48) == 0) ==
		    test_jbool(v, "symmetric"));
		x = test_jhex(v, "salsa20_key", &n);
		CHECK(n == 32);
		CHECK_MEM(key, x, 32, "salsa20_key");
		free(x);
		REQUIRE(identity_agree_len(&a, &b, k128, sizeof(k128)) == 0);
		x = test_jhex(v, "agree_128_bytes", &n);
		CHECK(n == 128);
		CHECK_MEM(k128, x, 128, "agree_128_bytes");
		free(x);
		zt_kbkdf_hmac_sha384(kk, key, '0', 0, 0);
		x = test_jhex(v, "aes_gmac_siv_k0", &n);
		CHECK(n == 32);
		CHECK_MEM(kk, x, 32, "aes_gmac_siv_k0");
		free(x);
		zt_kbkdf_hmac_sha384(kk, key, '1', 0, 0);
		x = test_jhex(v, "aes_gmac_siv_k1", &n);
		CHECK(n == 32);
		CHECK_MEM(kk, x, 32, "aes_gmac_siv_k1");
		free(x);
		/* a public identity cannot agree */
		REQUIRE(identity_copy(&pa, &a, false) == 0);
		CHECK(identity_agree(&pa, &b, back) == -1);
		identity_clear(&pa);
		identity_clear(&a);
		identity_clear(&b);
	}
	json_decref(root);
}

static void
load_party(json_t *v, const char *field, struct identity *id)
{
	json_t *p = json_object_get(v, field);

	REQUIRE(p != NULL);
	REQUIRE(identity_from_string(id, test_jstr(p, "secret")) == 0);
	CHECK(id->address == addr_of(test_jstr(p, "address")));
	CHECK(strcmp(test_jstr(p, "name"), "") != 0);
	CHECK(strncmp(test_jstr(p, "public"), test_jstr(p, "secret"),
	    141) == 0);
}

static void
test_signatures(void)
{
	json_t *root, *arr, *v;
	struct identity id, pub;
	uint8_t *msg, *sig, *h, again[96], d[64];
	size_t i, mlen, slen, hlen;

	root = test_vectors_load("signatures.json");
	REQUIRE(root != NULL);
	arr = json_object_get(root, "valid");
	CHECK(json_array_size(arr) == 8);
	json_array_foreach(arr, i, v) {
		load_party(v, "signer", &id);
		msg = test_jhex(v, "message", &mlen);
		sig = test_jhex(v, "signature", &slen);
		h = test_jhex(v, "sha512_of_message", &hlen);
		REQUIRE(slen == 96 && hlen == 64);
		sha512(d, msg, mlen);
		CHECK_MEM(d, h, 64, "sha512_of_message");
		CHECK_MEM(sig + 64, h, 32, "signature digest part");
		CHECK((identity_verify(&id, msg, mlen, sig, slen) == 0) ==
		    test_jbool(v, "expect_verify"));
		REQUIRE(identity_sign(&id, msg, mlen, again) == 0);
		CHECK((memcmp(again, sig, 96) == 0) ==
		    test_jbool(v, "deterministic"));
		/* the public half alone verifies, and cannot sign */
		REQUIRE(identity_copy(&pub, &id, false) == 0);
		CHECK(identity_verify(&pub, msg, mlen, sig, slen) == 0);
		CHECK(identity_sign(&pub, msg, mlen, again) == -1);
		identity_clear(&pub);
		identity_clear(&id);
		free(msg);
		free(sig);
		free(h);
	}
	arr = json_object_get(root, "tampered");
	CHECK(json_array_size(arr) == 11);
	json_array_foreach(arr, i, v) {
		load_party(v, "verifier", &id);
		msg = test_jhex(v, "message", &mlen);
		sig = test_jhex(v, "signature", &slen);
		CHECKF((identity_verify(&id, msg, mlen, sig, slen) == 0) ==
		    test_jbool(v, "expect_verify"), "%s",
		    test_jstr(v, "description"));
		identity_clear(&id);
		free(msg);
		free(sig);
	}
	json_decref(root);
}

static void
test_identities(void)
{
	json_t *root;

	root = test_vectors_load("identities.json");
	REQUIRE(root != NULL);
	test_valid_identities(json_object_get(root, "valid"));
	test_edge_identities(json_object_get(root, "invalid_or_edge_cases"));
	test_parser_quirks(named_secret("alice"));
	/* the named strings are used by the other tests: keep root */
	test_agreement();
	test_signatures();
	json_decref(root);
}

/* a reproducible key-pair source: SHA-512 of a counter */
static int
seeded_keypair(uint8_t pub[64], uint8_t priv[64], void *arg)
{
	uint64_t *ctr = arg;
	uint8_t b[8];

	be64_put(b, (*ctr)++);
	sha512(priv, b, sizeof(b));
	return c25519_public_from_private(pub, priv);
}

static int
failing_keypair(uint8_t pub[64], uint8_t priv[64], void *arg)
{
	return -1;
}

static void
test_generate(void)
{
	char s[IDENTITY_STRING_MAX], t[IDENTITY_STRING_MAX];
	struct identity a, b, c, d;
	uint8_t sig[96], k1[48], k2[48];
	uint64_t ctr;
	unsigned long n1, n2;

	REQUIRE(identity_generate(&a) == 0);
	CHECK(identity_has_private(&a));
	CHECK(!zt_address_reserved(a.address));
	CHECK(identity_locally_valid(&a));
	REQUIRE(identity_to_string(&a, true, s, sizeof(s)) == 0);
	CHECK(strlen(s) == 270);
	REQUIRE(identity_from_string(&b, s) == 0);
	CHECK(identity_locally_valid(&b));
	identity_clear(&b);
	/* one hex digit of the public key flipped: parses, fails */
	memcpy(t, s, sizeof(t));
	t[20] = t[20] == '0' ? '1' : '0';
	REQUIRE(identity_from_string(&b, t) == 0);
	CHECK(!identity_locally_valid(&b));
	identity_clear(&b);
	/* one hex digit of the address flipped */
	memcpy(t, s, sizeof(t));
	t[9] = t[9] == '0' ? '1' : '0';
	REQUIRE(identity_from_string(&b, t) == 0);
	CHECK(!identity_locally_valid(&b));
	identity_clear(&b);

	REQUIRE(identity_sign(&a, "abc", 3, sig) == 0);
	CHECK(identity_verify(&a, "abc", 3, sig, 96) == 0);
	CHECK(identity_verify(&a, "abd", 3, sig, 96) == -1);
	CHECK(identity_verify(&a, "abc", 3, sig, 95) == -1);

	ctr = 1000;
	REQUIRE(identity_generate_with(&b, seeded_keypair, &ctr, &n1) == 0);
	CHECK(n1 >= 1 && ctr == 1000 + n1);
	CHECK(identity_locally_valid(&b));
	ctr = 1000;
	REQUIRE(identity_generate_with(&c, seeded_keypair, &ctr, &n2) == 0);
	CHECK(n1 == n2 && identity_equal_public(&b, &c));
	CHECK(identity_agree(&a, &b, k1) == 0);
	CHECK(identity_agree(&b, &a, k2) == 0);
	CHECK_MEM(k1, k2, 48, "generated agreement");
	identity_clear(&c);
	CHECK(identity_generate_with(&c, failing_keypair, NULL, &n2) == -1);
	CHECK(n2 == 0 && c.priv == NULL);

	REQUIRE(identity_copy(&c, &a, true) == 0);
	CHECK(identity_equal_public(&c, &a));
	CHECK_MEM(c.priv, a.priv, 64, "copied private key");
	identity_clear(&c);
	REQUIRE(identity_copy(&c, &b, false) == 0);
	CHECK(!identity_has_private(&c));
	CHECK(identity_agree(&c, &a, k1) == -1);
	/* asking for a private key that is not there fails */
	CHECK(identity_copy(&d, &c, true) == -1);
	CHECK(d.priv == NULL);
	identity_clear(&c);
	identity_clear(&a);
	identity_clear(&b);
}

static void
test_address(void)
{
	char buf[11];

	CHECK(zt_address_reserved(0));
	CHECK(zt_address_reserved(0xff00000000ULL));
	CHECK(zt_address_reserved(0xffffffffffULL));
	CHECK(!zt_address_reserved(0xfe00000000ULL));
	CHECK(!zt_address_reserved(1));
	CHECK(strcmp(zt_address_fmt(0x00000000abULL, buf), "00000000ab") ==
	    0);
	CHECK(strcmp(zt_address_fmt(0x8899332b2cULL, buf), "8899332b2c") ==
	    0);
}

int
main(void)
{
	REQUIRE((hasher = identity_hasher_new()) != NULL);
	test_address();
	test_identities();
	test_generate();
	identity_hasher_free(hasher);
	return test_main_end();
}
