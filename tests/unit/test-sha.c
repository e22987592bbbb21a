/*
 * SHA-512/384, HMAC-SHA384 and ZeroTier's KBKDF against crypto.json
 * (computed by ZeroTier One 1.14.1).
 */
#include <stdlib.h>
#include <string.h>

#include "sha.h"
#include "test.h"

static json_t *
section(json_t *root, const char *name)
{
	json_t *arr = json_object_get(root, name);

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	return arr;
}

static void
check_sha(json_t *root)
{
	json_t *e;
	size_t i, mlen, l512, l384;
	uint8_t *msg, *e512, *e384, out[64];

	json_array_foreach(section(root, "sha"), i, e) {
		msg = test_jhex(e, "message", &mlen);
		e512 = test_jhex(e, "sha512", &l512);
		e384 = test_jhex(e, "sha384", &l384);
		REQUIRE(l512 == 64 && l384 == 48);
		sha512(out, msg, mlen);
		CHECK_MEM(out, e512, 64, "sha512");
		sha384(out, msg, mlen);
		CHECK_MEM(out, e384, 48, "sha384");
		/* a second call reuses the context: same result */
		sha512(out, msg, mlen);
		CHECK_MEM(out, e512, 64, "sha512 again");
		free(msg);
		free(e512);
		free(e384);
	}
}

static void
check_hmac(json_t *root)
{
	json_t *e;
	size_t i, klen, mlen, olen;
	uint8_t *key, *msg, *exp, out[48];

	json_array_foreach(section(root, "hmac_sha384"), i, e) {
		key = test_jhex(e, "key", &klen);
		msg = test_jhex(e, "message", &mlen);
		exp = test_jhex(e, "hmac_sha384", &olen);
		REQUIRE(olen == 48);
		hmac_sha384(out, key, klen, msg, mlen);
		CHECK_MEM(out, exp, 48, "hmac_sha384");
		free(key);
		free(msg);
		free(exp);
	}
}

static void
check_kbkdf(json_t *root)
{
	json_t *e;
	size_t i, klen, olen;
	uint8_t *key, *exp, out[48];
	const char *label;

	json_array_foreach(section(root, "kbkdf_hmac_sha384"), i, e) {
		key = test_jhex(e, "key", &klen);
		exp = test_jhex(e, "output", &olen);
		label = test_jstr(e, "label");
		REQUIRE(klen == 48 && olen == 48);
		REQUIRE(strlen(label) == 1);
		zt_kbkdf_hmac_sha384(out, key, label[0],
		    (uint8_t)test_jint(e, "context"),
		    (uint32_t)test_jint(e, "iter"));
		CHECKF(memcmp(out, exp, 48) == 0, "kbkdf entry %zu", i);
		free(key);
		free(exp);
	}
}

int
main(void)
{
	json_t *root = test_vectors_load("crypto.json");

	CHECK(sha_warmup() == 0);
	check_sha(root);
	check_hmac(root);
	check_kbkdf(root);
	json_decref(root);
	return test_main_end();
}
