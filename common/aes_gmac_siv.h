#pragma once
/*
 * ZeroTier's AES-GMAC-SIV (cipher suite 3; spec/vl1.md §3.3,
 * vectors/README.md crypto.json): GMAC under k0 over the zero-padded AAD
 * and the plaintext, folded to 64 bits, encrypted with the IV under k1 into
 * the 16-byte tag, which (top bit of byte 12 cleared) starts AES-256-CTR
 * under k1 with a 32-bit big-endian counter in bytes 12..15.
 *
 * A struct aes_gmac_siv holds the key schedules of one key pair; make it
 * once per peer and reuse it for every packet.  Two engines: AES-NI with
 * OpenSSL's GHASH (CRYPTO_gcm128), or OpenSSL's EVP ciphers on CPUs
 * without AES-NI.  The EVP calls cost about 0.5 us of overhead per packet,
 * more than the AES work on a 1,400-byte packet, hence the first engine.
 */
#include <stddef.h>
#include <stdint.h>

#define AES_GMAC_SIV_TAG_LEN	16
/* the AAD is padded to one GHASH block, so it is at most 16 bytes */
#define AES_GMAC_SIV_AAD_MAX	16

struct aes_gmac_siv_state;

struct aes_gmac_siv {
	struct aes_gmac_siv_state	*st;
};

/* 0, or -1 (nothing to free then) */
int	 aes_gmac_siv_init(struct aes_gmac_siv *, const uint8_t k0[32],
	    const uint8_t k1[32]);
/* frees and wipes; safe on a zeroed or already freed struct */
void	 aes_gmac_siv_free(struct aes_gmac_siv *);
/*
 * out = CTR(in), tag = the SIV tag.  in and out may be the same buffer.
 * Returns 0, or -1 on an AAD longer than 16 bytes or an OpenSSL failure.
 */
int	 aes_gmac_siv_encrypt(struct aes_gmac_siv *, const uint8_t iv[8],
	    const uint8_t *aad, size_t aadlen, const uint8_t *in, uint8_t *out,
	    size_t len, uint8_t tag[16]);
/*
 * Decrypts in into out and checks the tag (constant-time comparison);
 * on success returns 0 and, if iv is not NULL, the sender's IV.  On -1 the
 * contents of out are garbage and must be dropped.
 */
int	 aes_gmac_siv_decrypt(struct aes_gmac_siv *, const uint8_t tag[16],
	    const uint8_t *aad, size_t aadlen, const uint8_t *in, uint8_t *out,
	    size_t len, uint8_t iv[8]);
/* "aesni" or "evp": the engine aes_gmac_siv_init picks now */
const char	*aes_gmac_siv_impl(void);
/* test and bench hook: nonzero makes later inits use the EVP engine */
void	 aes_gmac_siv_force_evp(int);
/* one AES-256 block (tests: FIPS-197 C.3 in crypto.json); 0 or -1 */
int	 aes256_encrypt_block(const uint8_t key[32], const uint8_t in[16],
	    uint8_t out[16]);
