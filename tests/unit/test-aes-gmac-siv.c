/*
 * AES-256 and AES-GMAC-SIV against crypto.json (ZeroTier One 1.14.1):
 * encryption gives ciphertext and tag, decryption recovers plaintext and
 * IV, and every tampered_<field>_byte<N>_decrypt_ok entry is replayed.
 */
#include <stdlib.h>
#include <string.h>

#include "aes_gmac_siv.h"
#include "test.h"

static void
check_blocks(json_t *root)
{
	json_t *arr = json_object_get(root, "aes256_block"), *e;
	uint8_t *key, *pt, *ct, out[16];
	size_t i, klen, plen, clen;

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	json_array_foreach(arr, i, e) {
		key = test_jhex(e, "key", &klen);
		pt = test_jhex(e, "plaintext", &plen);
		ct = test_jhex(e, "ciphertext", &clen);
		REQUIRE(klen == 32 && plen == 16 && clen == 16);
		CHECK(aes256_encrypt_block(key, pt, out) == 0);
		CHECKF(memcmp(out, ct, 16) == 0, "aes256_block %zu", i);
		free(key);
		free(pt);
		free(ct);
	}
}

/* replays one "tampered_<field>_byte<N>_decrypt_ok" member */
static void
check_tampered(struct aes_gmac_siv *s, const char *name, bool expect,
    const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t len,
    const uint8_t tag[16])
{
	uint8_t *c, t[16], *out;
	char field[32];
	unsigned int pos;
	int ok;

	REQUIRE(sscanf(name, "tampered_%31[a-z]_byte%u_decrypt_ok", field,
	    &pos) == 2);
	c = malloc(len + 1);
	out = malloc(len + 1);
	REQUIRE(c != NULL && out != NULL);
	memcpy(c, ct, len);
	memcpy(t, tag, 16);
	if (strcmp(field, "ciphertext") == 0) {
		REQUIRE(pos < len);
		c[pos] ^= 0x01;
	} else {
		REQUIRE(strcmp(field, "tag") == 0 && pos < 16);
		t[pos] ^= 0x01;
	}
	ok = aes_gmac_siv_decrypt(s, t, aad, aadlen, c, out, len, NULL) == 0;
	CHECKF(ok == expect, "%s", name);
	free(c);
	free(out);
}

static void
check_entry(json_t *e, size_t idx)
{
	struct aes_gmac_siv s;
	uint8_t *k0, *k1, *iv, *aad, *pt, *ct, *tag, *out, gottag[16];
	uint8_t gotiv[8];
	size_t l0, l1, ivlen, aadlen, ptlen, ctlen, taglen;
	const char *key;
	json_t *v;
	unsigned int tampers = 0;

	k0 = test_jhex(e, "k0", &l0);
	k1 = test_jhex(e, "k1", &l1);
	iv = test_jhex(e, "iv", &ivlen);
	aad = test_jhex(e, "aad", &aadlen);
	pt = test_jhex(e, "plaintext", &ptlen);
	ct = test_jhex(e, "ciphertext", &ctlen);
	tag = test_jhex(e, "tag", &taglen);
	REQUIRE(l0 == 32 && l1 == 32 && ivlen == 8 && taglen == 16);
	REQUIRE(ptlen == ctlen);
	REQUIRE((out = malloc(ptlen + 1)) != NULL);
	REQUIRE(aes_gmac_siv_init(&s, k0, k1) == 0);

	CHECK(aes_gmac_siv_encrypt(&s, iv, aad, aadlen, pt, out, ptlen,
	    gottag) == 0);
	CHECKF(memcmp(out, ct, ctlen) == 0, "ciphertext %zu", idx);
	CHECKF(memcmp(gottag, tag, 16) == 0, "tag %zu", idx);

	memset(out, 0, ptlen + 1);
	CHECK((aes_gmac_siv_decrypt(&s, tag, aad, aadlen, ct, out, ctlen,
	    gotiv) == 0) == test_jbool(e, "decrypt_ok"));
	CHECKF(memcmp(out, pt, ptlen) == 0, "plaintext %zu", idx);
	CHECK_MEM(gotiv, iv, 8, "recovered iv");

	/* a changed AAD byte (the flags, say) must fail too */
	aad[aadlen - 1] ^= 0x40;
	CHECK(aes_gmac_siv_decrypt(&s, tag, aad, aadlen, ct, out, ctlen,
	    NULL) == -1);
	aad[aadlen - 1] ^= 0x40;

	json_object_foreach(e, key, v) {
		if (strncmp(key, "tampered_", 9) != 0)
			continue;
		check_tampered(&s, key, json_is_true(v), aad, aadlen, ct,
		    ctlen, tag);
		tampers++;
	}
	CHECK(tampers >= 1);
	aes_gmac_siv_free(&s);
	aes_gmac_siv_free(&s);
	free(k0);
	free(k1);
	free(iv);
	free(aad);
	free(pt);
	free(ct);
	free(tag);
	free(out);
}

/*
 * Longer messages than the vectors: a round trip per length exercises
 * the 8-block CTR loop and its tail, and the two engines must agree.
 */
static void
check_long(void)
{
	struct aes_gmac_siv s;
	uint8_t k0[32], k1[32], iv[8] = { 9 }, aad[11] = { 3 }, tag[16];
	uint8_t in[700], ct[700], back[700], got[8];
	size_t len, i;

	for (i = 0; i < 32; i++) {
		k0[i] = (uint8_t)(i + 1);
		k1[i] = (uint8_t)(0xa0 ^ i);
	}
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 11);
	REQUIRE(aes_gmac_siv_init(&s, k0, k1) == 0);
	for (len = 0; len <= sizeof(in); len += 13) {
		CHECK(aes_gmac_siv_encrypt(&s, iv, aad, sizeof(aad), in, ct,
		    len, tag) == 0);
		CHECK(aes_gmac_siv_decrypt(&s, tag, aad, sizeof(aad), ct, back,
		    len, got) == 0);
		CHECKF(memcmp(back, in, len) == 0, "round trip %zu", len);
		CHECK(memcmp(got, iv, 8) == 0);
		if (len > 0) {
			ct[len - 1] ^= 0x80;
			CHECK(aes_gmac_siv_decrypt(&s, tag, aad, sizeof(aad),
			    ct, back, len, NULL) == -1);
		}
	}
	/* AAD longer than one GHASH block is refused */
	CHECK(aes_gmac_siv_encrypt(&s, iv, in, 17, in, ct, 1, tag) == -1);
	aes_gmac_siv_free(&s);
}

int
main(void)
{
	json_t *root = test_vectors_load("crypto.json");
	json_t *arr = json_object_get(root, "aes_gmac_siv"), *e;
	size_t i;
	int evp;

	REQUIRE(json_is_array(arr) && json_array_size(arr) > 0);
	/* both engines on the same vectors (EVP alone without AES-NI) */
	for (evp = 0; evp < 2; evp++) {
		aes_gmac_siv_force_evp(evp);
		printf("engine: %s\n", aes_gmac_siv_impl());
		CHECK(strcmp(aes_gmac_siv_impl(), "evp") == 0 || evp == 0);
		check_blocks(root);
		json_array_foreach(arr, i, e)
			check_entry(e, i);
		check_long();
	}
	aes_gmac_siv_force_evp(0);
	json_decref(root);
	return test_main_end();
}
