/*
 * C25519 against ZeroTier One 1.14.1 data: ZeroTier signatures from
 * signatures.json (valid and tampered), public keys recomputed from the
 * secrets there, and X25519 against agreement.json's keys (secrets from
 * identities.json).
 */
#include <stdlib.h>
#include <string.h>

#include "c25519.h"
#include "hex.h"
#include "sha.h"
#include "test.h"

/* "address:0:pub(128 hex):priv(128 hex)" from an identity object */
static void
load_secret(json_t *id, uint8_t pub[64], uint8_t priv[64])
{
	const char *s = test_jstr(id, "secret"), *p;

	p = strchr(s, ':');
	REQUIRE(p != NULL && strncmp(p, ":0:", 3) == 0);
	p += 3;
	REQUIRE(strlen(p) == 128 + 1 + 128 && p[128] == ':');
	REQUIRE(hex_decode(p, 128, pub, 64) == 0);
	REQUIRE(hex_decode(p + 129, 128, priv, 64) == 0);
}

static void
check_valid(json_t *root)
{
	json_t *arr = json_object_get(root, "valid"), *e;
	uint8_t pub[64], priv[64], pub2[64], sig[96], *msg, *exp, *dig;
	size_t i, mlen, slen, dlen;

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		load_secret(json_object_get(e, "signer"), pub, priv);
		msg = test_jhex(e, "message", &mlen);
		exp = test_jhex(e, "signature", &slen);
		dig = test_jhex(e, "sha512_of_message", &dlen);
		REQUIRE(slen == 96 && dlen == 64);
		CHECK(c25519_public_from_private(pub2, priv) == 0);
		CHECK_MEM(pub2, pub, 64, "public from private");
		CHECK(c25519_zt_sign(sig, priv, msg, mlen) == 0);
		/* Ed25519 is deterministic, so are ZeroTier signatures */
		CHECK(test_jbool(e, "deterministic"));
		CHECK_MEM(sig, exp, 96, "zt signature");
		CHECK_MEM(sig + 64, dig, 32, "appended digest");
		CHECK((c25519_zt_verify(pub, msg, mlen, exp, slen) == 0) ==
		    test_jbool(e, "expect_verify"));
		/* the inner Ed25519 signature covers the digest prefix */
		CHECK(c25519_ed25519_verify(pub, dig, 32, exp) == 0);
		free(msg);
		free(exp);
		free(dig);
	}
}

static void
check_tampered(json_t *root)
{
	json_t *arr = json_object_get(root, "tampered"), *e;
	uint8_t pub[64], priv[64], *msg, *sig;
	size_t i, mlen, slen;
	bool expect;

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		load_secret(json_object_get(e, "verifier"), pub, priv);
		msg = test_jhex(e, "message", &mlen);
		sig = test_jhex(e, "signature", &slen);
		expect = test_jbool(e, "expect_verify");
		CHECKF((c25519_zt_verify(pub, msg, mlen, sig, slen) == 0) ==
		    expect, "%s", test_jstr(e, "description"));
		free(msg);
		free(sig);
	}
}

static json_t *
find_identity(json_t *ids, const char *name)
{
	json_t *arr = json_object_get(ids, "valid"), *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		if (strcmp(test_jstr(e, "name"), name) == 0)
			return e;
	}
	test_fail(__FILE__, __LINE__, name, "identity not in identities.json");
	_exit(1);
}

static void
check_agreement(json_t *root, json_t *ids)
{
	json_t *arr = json_object_get(root, "pairs"), *e;
	uint8_t apub[64], apriv[64], bpub[64], bpriv[64], s1[32], s2[32];
	uint8_t d[64], *key;
	size_t i, klen;

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		load_secret(find_identity(ids, test_jstr(e, "a")), apub,
		    apriv);
		load_secret(find_identity(ids, test_jstr(e, "b")), bpub,
		    bpriv);
		key = test_jhex(e, "key", &klen);
		REQUIRE(klen == 48);
		CHECK(c25519_x25519(s1, apriv, bpub) == 0);
		CHECK(c25519_x25519(s2, bpriv, apub) == 0);
		CHECK_MEM(s1, s2, 32, "x25519 symmetric");
		sha512(d, s1, 32);
		CHECK_MEM(d, key, 48, "agreed key");
		free(key);
	}
}

static void
check_roundtrip(void)
{
	uint8_t pub[64], priv[64], sig[96], zero[64] = { 0 }, out[32];
	const char msg[] = "a message";

	CHECK(c25519_warmup() == 0);
	CHECK(c25519_generate(pub, priv) == 0);
	CHECK(c25519_zt_sign(sig, priv, msg, sizeof(msg)) == 0);
	CHECK(c25519_zt_verify(pub, msg, sizeof(msg), sig, 96) == 0);
	CHECK(c25519_zt_verify(pub, msg, sizeof(msg) - 1, sig, 96) == -1);
	CHECK(c25519_ed25519_sign(sig, priv, msg, sizeof(msg)) == 0);
	CHECK(c25519_ed25519_verify(pub, msg, sizeof(msg), sig) == 0);
	sig[10] ^= 1;
	CHECK(c25519_ed25519_verify(pub, msg, sizeof(msg), sig) == -1);
	/* a small-order (all-zero) peer key gives no shared secret */
	CHECK(c25519_x25519(out, priv, zero) == -1);
	c25519_forget();
}

int
main(void)
{
	json_t *sigs = test_vectors_load("signatures.json");
	json_t *agree = test_vectors_load("agreement.json");
	json_t *ids = test_vectors_load("identities.json");

	check_valid(sigs);
	check_tampered(sigs);
	check_agreement(agree, ids);
	check_roundtrip();
	c25519_forget();
	json_decref(sigs);
	json_decref(agree);
	json_decref(ids);
	return test_main_end();
}
