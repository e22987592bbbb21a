/*
 * VL1 packet armor: Poly1305 (suite 0), Salsa20/12 + Poly1305 (suite 1)
 * and AES-GMAC-SIV (suite 3), as spec/vl1.md §3.2-3.3 describe and
 * packets.json pins down.  The packet buffer is caller memory holding a
 * packet whose length the caller has already bounded; we still check it
 * against ARMOR_MIN_LEN/ARMOR_MAX_LEN before touching any offset.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "armor.h"
#include "poly1305.h"
#include "salsa20.h"
#include "sha.h"

#define IDX_DEST	8
#define IDX_FLAGS	18
#define IDX_MAC		19
#define IDX_VERB	27

#define FLAG_ENCRYPTED	0x80	/* legacy bit, suite 1 only */
#define FLAG_CIPHER	0x38
#define FLAG_HOPS	0x07

int
armor_key_init(struct armor_key *k, const uint8_t key[ARMOR_KEY_LEN])
{
	uint8_t k0[48], k1[48];
	int rc;

	memcpy(k->key, key, ARMOR_KEY_LEN);
	/* agreement.json: the suite 3 keys are KBKDF labels '0' and '1' */
	zt_kbkdf_hmac_sha384(k0, key, '0', 0, 0);
	zt_kbkdf_hmac_sha384(k1, key, '1', 0, 0);
	rc = aes_gmac_siv_init(&k->siv, k0, k1);
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(k1, sizeof(k1));
	if (rc == -1)
		OPENSSL_cleanse(k->key, sizeof(k->key));
	return rc;
}

void
armor_key_clear(struct armor_key *k)
{
	aes_gmac_siv_free(&k->siv);
	OPENSSL_cleanse(k->key, sizeof(k->key));
}

struct armor_key *
armor_key_new(const uint8_t key[ARMOR_KEY_LEN])
{
	struct armor_key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if (armor_key_init(k, key) == -1) {
		free(k);
		return NULL;
	}
	return k;
}

void
armor_key_free(struct armor_key *k)
{
	if (k == NULL)
		return;
	armor_key_clear(k);
	free(k);
}

/*
 * Suites 0/1: the Salsa20/12 stream under the per-packet mangled key
 * (§3.2 step 2) positioned after block 0, whose first half is the
 * Poly1305 key.
 */
static void
armor_salsa_start(struct salsa20 *s, const uint8_t *pkt, size_t len,
    const struct armor_key *k, uint8_t polykey[32])
{
	uint8_t mk[32], block0[64];
	unsigned int i;

	memcpy(mk, k->key, 32);
	for (i = 0; i < 18; i++)
		mk[i] ^= pkt[i];
	mk[18] ^= pkt[IDX_FLAGS] & ~FLAG_HOPS;
	mk[19] ^= (uint8_t)len;
	mk[20] ^= (uint8_t)(len >> 8);
	salsa20_init(s, mk, pkt, 12);
	salsa20_keystream(s, block0, sizeof(block0));
	memcpy(polykey, block0, 32);
	OPENSSL_cleanse(mk, sizeof(mk));
	OPENSSL_cleanse(block0, sizeof(block0));
}

/* destination, source, flags without hops: 11 bytes (§3.3 step 3) */
static void
armor_siv_aad(const uint8_t *pkt, uint8_t aad[11])
{
	memcpy(aad, pkt + IDX_DEST, 10);
	aad[10] = pkt[IDX_FLAGS] & ~FLAG_HOPS;
}

int
armor_packet(uint8_t *pkt, size_t len, struct armor_key *k,
    unsigned int suite)
{
	struct salsa20 s;
	uint8_t polykey[32], tag[16], aad[11], iv[8];
	uint8_t flags;

	if (len < ARMOR_MIN_LEN || len > ARMOR_MAX_LEN)
		return -1;
	if (suite != ARMOR_SUITE_POLY1305 &&
	    suite != ARMOR_SUITE_SALSA2012_POLY1305 &&
	    suite != ARMOR_SUITE_AES_GMAC_SIV)
		return -1;
	flags = pkt[IDX_FLAGS] & ~(FLAG_ENCRYPTED | FLAG_CIPHER);
	flags |= (uint8_t)(suite << 3);
	if (suite == ARMOR_SUITE_SALSA2012_POLY1305)
		flags |= FLAG_ENCRYPTED;
	pkt[IDX_FLAGS] = flags;

	if (suite == ARMOR_SUITE_AES_GMAC_SIV) {
		memcpy(iv, pkt, 8);
		armor_siv_aad(pkt, aad);
		if (aes_gmac_siv_encrypt(&k->siv, iv, aad, sizeof(aad),
		    pkt + IDX_VERB, pkt + IDX_VERB, len - IDX_VERB, tag) == -1)
			return -1;
		memcpy(pkt, tag, 8);
		memcpy(pkt + IDX_MAC, tag + 8, 8);
		return 0;
	}
	armor_salsa_start(&s, pkt, len, k, polykey);
	if (suite == ARMOR_SUITE_SALSA2012_POLY1305)
		salsa20_crypt(&s, pkt + IDX_VERB, pkt + IDX_VERB,
		    len - IDX_VERB);
	poly1305(tag, pkt + IDX_VERB, len - IDX_VERB, polykey);
	memcpy(pkt + IDX_MAC, tag, 8);
	salsa20_wipe(&s);
	OPENSSL_cleanse(polykey, sizeof(polykey));
	return 0;
}

int
armor_dearmor(uint8_t *pkt, size_t len, struct armor_key *k)
{
	struct salsa20 s;
	uint8_t polykey[32], tag[16], aad[11];
	unsigned int suite;
	int rc = -1;

	if (len < ARMOR_MIN_LEN || len > ARMOR_MAX_LEN)
		return -1;
	suite = (pkt[IDX_FLAGS] & FLAG_CIPHER) >> 3;
	if (suite == ARMOR_SUITE_AES_GMAC_SIV) {
		memcpy(tag, pkt, 8);
		memcpy(tag + 8, pkt + IDX_MAC, 8);
		armor_siv_aad(pkt, aad);
		return aes_gmac_siv_decrypt(&k->siv, tag, aad, sizeof(aad),
		    pkt + IDX_VERB, pkt + IDX_VERB, len - IDX_VERB, NULL);
	}
	if (suite != ARMOR_SUITE_POLY1305 &&
	    suite != ARMOR_SUITE_SALSA2012_POLY1305)
		return -1;
	armor_salsa_start(&s, pkt, len, k, polykey);
	/* encrypt-then-MAC: check before decrypting anything */
	poly1305(tag, pkt + IDX_VERB, len - IDX_VERB, polykey);
	if (CRYPTO_memcmp(tag, pkt + IDX_MAC, 8) != 0)
		goto fail;
	if (suite == ARMOR_SUITE_SALSA2012_POLY1305)
		salsa20_crypt(&s, pkt + IDX_VERB, pkt + IDX_VERB,
		    len - IDX_VERB);
	rc = 0;
fail:
	salsa20_wipe(&s);
	OPENSSL_cleanse(polykey, sizeof(polykey));
	return rc;
}

int
armor_crypt_field(uint8_t *pkt, size_t len, const struct armor_key *k,
    size_t off, size_t n)
{
	struct salsa20 s;
	uint8_t iv[8];

	if (len < ARMOR_MIN_LEN || len > ARMOR_MAX_LEN || off > len ||
	    n > len - off)
		return -1;
	memcpy(iv, pkt, 8);
	iv[7] &= 0xf8;
	salsa20_init(&s, k->key, iv, 12);
	salsa20_crypt(&s, pkt + off, pkt + off, n);
	salsa20_wipe(&s);
	return 0;
}
