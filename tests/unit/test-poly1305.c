/*
 * Poly1305 against crypto.json (computed by ZeroTier One 1.14.1; the
 * first entry is RFC 8439 §2.5.2): both implementations and poly1305()
 * itself, then both against each other on every length up to 1,500
 * bytes with keys that push the limbs to their edges.
 */
#include <stdlib.h>
#include <string.h>

#include "poly1305.h"
#include "test.h"

static void
check_vectors(json_t *root)
{
	json_t *arr = json_object_get(root, "poly1305"), *e;
	uint8_t *key, *msg, *tag, out[16];
	size_t i, klen, mlen, tlen;

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		key = test_jhex(e, "key", &klen);
		msg = test_jhex(e, "message", &mlen);
		tag = test_jhex(e, "tag", &tlen);
		REQUIRE(klen == 32 && tlen == 16);
		poly1305_donna(out, msg, mlen, key);
		CHECKF(memcmp(out, tag, 16) == 0, "donna entry %zu: %s", i,
		    test_jstr(e, "description"));
		poly1305_evp(out, msg, mlen, key);
		CHECKF(memcmp(out, tag, 16) == 0, "evp entry %zu", i);
		poly1305(out, msg, mlen, key);
		CHECKF(memcmp(out, tag, 16) == 0, "poly1305 entry %zu", i);
		free(key);
		free(msg);
		free(tag);
	}
}

static void
check_agree(void)
{
	uint8_t key[32], msg[1500], a[16], b[16];
	size_t len, i;
	unsigned int k;

	for (k = 0; k < 3; k++) {
		/* all-ones key and message: maximal limbs and carries */
		for (i = 0; i < sizeof(key); i++)
			key[i] = k == 0 ? 0xff : (uint8_t)(i * 13 + k);
		for (i = 0; i < sizeof(msg); i++)
			msg[i] = k == 0 ? 0xff : (uint8_t)(i * 31 + k);
		for (len = 0; len <= sizeof(msg); len++) {
			poly1305_donna(a, msg, len, key);
			poly1305_evp(b, msg, len, key);
			if (memcmp(a, b, 16) != 0)
				break;
		}
		CHECKF(len > sizeof(msg), "donna != evp at length %zu", len);
	}
}

int
main(void)
{
	json_t *root = test_vectors_load("crypto.json");

	CHECK(poly1305_warmup() == 0);
	check_vectors(root);
	check_agree();
	json_decref(root);
	return test_main_end();
}
