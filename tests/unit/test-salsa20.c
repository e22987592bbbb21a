/*
 * Salsa20/12 and /20 against crypto.json (computed by ZeroTier One
 * 1.14.1), on every engine this CPU has, and the engines against each
 * other over long streams split at awkward offsets.
 */
#include <stdlib.h>
#include <string.h>

#include "salsa20.h"
#include "test.h"

static const char *engines[] = { "portable", "sse2", "avx2" };

static void
check_entry(json_t *e, unsigned int rounds, const char *engine)
{
	struct salsa20 s;
	uint8_t *key, *iv, *ks, *pt, *ct, *out;
	size_t keylen, ivlen, kslen, ptlen, ctlen, split;
	char what[96];

	key = test_jhex(e, "key", &keylen);
	iv = test_jhex(e, "iv", &ivlen);
	ks = test_jhex(e, "keystream_256", &kslen);
	pt = test_jhex(e, "plaintext", &ptlen);
	ct = test_jhex(e, "ciphertext", &ctlen);
	REQUIRE(keylen == 32 && ivlen == 8 && kslen == 256);
	REQUIRE(ptlen == ctlen);
	snprintf(what, sizeof(what), "salsa20/%u %s %s", rounds, engine,
	    test_jstr(e, "description"));
	out = malloc(kslen > ptlen ? kslen : ptlen);
	REQUIRE(out != NULL);

	/* keystream in one call, then in pieces at every split point */
	salsa20_init(&s, key, iv, rounds);
	salsa20_keystream(&s, out, kslen);
	CHECK_MEM(out, ks, kslen, what);
	for (split = 1; split < kslen; split += 7) {
		memset(out, 0, kslen);
		salsa20_init(&s, key, iv, rounds);
		salsa20_keystream(&s, out, split);
		salsa20_keystream(&s, out + split, 1);
		salsa20_keystream(&s, out + split + 1, kslen - split - 1);
		CHECKF(memcmp(out, ks, kslen) == 0, "%s split %zu", what,
		    split);
	}

	/* encryption, separate buffers and in place */
	salsa20_init(&s, key, iv, rounds);
	salsa20_crypt(&s, pt, out, ptlen);
	CHECK_MEM(out, ct, ctlen, what);
	memcpy(out, ct, ctlen);
	salsa20_init(&s, key, iv, rounds);
	salsa20_crypt(&s, out, out, 37);
	salsa20_crypt(&s, out + 37, out + 37, ctlen - 37);
	CHECK_MEM(out, pt, ptlen, what);
	salsa20_wipe(&s);

	free(out);
	free(key);
	free(iv);
	free(ks);
	free(pt);
	free(ct);
}

static void
check_file(json_t *root, const char *name, unsigned int rounds)
{
	json_t *arr = json_object_get(root, name), *e;
	size_t i, k;
	unsigned int used = 0;

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	for (k = 0; k < sizeof(engines) / sizeof(engines[0]); k++) {
		if (salsa20_set_impl(engines[k]) == -1) {
			printf("engine %s not available here\n", engines[k]);
			continue;
		}
		CHECK(strcmp(salsa20_impl(), engines[k]) == 0);
		json_array_foreach(arr, i, e)
			check_entry(e, rounds, engines[k]);
		used++;
	}
	/* portable plus at least one vector engine on x86 */
	CHECK(used >= 1);
	salsa20_set_impl(NULL);
}

/* every engine gives the portable one's bytes over long ragged streams */
static void
check_engines_agree(unsigned int rounds)
{
	static const size_t chunks[] = { 1, 63, 64, 65, 255, 512, 513, 4096,
	    7, 1000, 8191 };
	struct salsa20 s;
	uint8_t key[32], iv[8], *ref, *got;
	size_t total = 0, off, i, k;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		total += chunks[i];
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + rounds);
	for (i = 0; i < 8; i++)
		iv[i] = (uint8_t)(0xf0 + i);
	ref = calloc(1, total);
	got = calloc(1, total);
	REQUIRE(ref != NULL && got != NULL);
	salsa20_set_impl("portable");
	salsa20_init(&s, key, iv, rounds);
	/* start near a 32-bit counter wrap to test the carry into word 9 */
	s.state[8] = 0xfffffffa;
	salsa20_keystream(&s, ref, total);
	for (k = 0; k < sizeof(engines) / sizeof(engines[0]); k++) {
		if (salsa20_set_impl(engines[k]) == -1)
			continue;
		memset(got, 0xaa, total);
		salsa20_init(&s, key, iv, rounds);
		s.state[8] = 0xfffffffa;
		for (i = 0, off = 0; i < sizeof(chunks) / sizeof(chunks[0]);
		    i++) {
			salsa20_keystream(&s, got + off, chunks[i]);
			off += chunks[i];
		}
		CHECKF(memcmp(ref, got, total) == 0, "engine %s rounds %u",
		    engines[k], rounds);
		CHECK(s.state[9] == 1);
	}
	/* the contract's hook: 0 = portable, 1 = best */
	salsa20_force_portable(0);
	CHECK(strcmp(salsa20_impl(), "portable") == 0);
	salsa20_force_portable(1);
	salsa20_set_impl(NULL);
	free(ref);
	free(got);
}

int
main(void)
{
	json_t *root = test_vectors_load("crypto.json");

	printf("best salsa20 engine: %s\n", salsa20_impl());
	check_file(root, "salsa20_12", 12);
	check_file(root, "salsa20_20", 20);
	check_engines_agree(12);
	check_engines_agree(20);
	json_decref(root);
	return test_main_end();
}
