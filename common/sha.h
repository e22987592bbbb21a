#pragma once
/* SHA-2, HMAC-SHA384 and ZeroTier's KBKDF, through OpenSSL. */
#include <stddef.h>
#include <stdint.h>

/*
 * Fetches the algorithms and sets up this thread's contexts; called by
 * the first hash anyway, and before a sandbox forbids what OpenSSL needs
 * to load them.  Returns 0 (a broken OpenSSL is fatal).
 */
int	 sha_warmup(void);
void	 sha512(uint8_t out[64], const void *, size_t);
void	 sha384(uint8_t out[48], const void *, size_t);
void	 hmac_sha384(uint8_t out[48], const uint8_t *key, size_t keylen,
	    const void *msg, size_t len);
/*
 * ZeroTier's KBKDF: HMAC-SHA384(key, BE32(iter) || 'Z' 'T' label 0x00 ||
 * context || 00 00 01 80) (vectors/README.md, crypto.json).
 */
void	 zt_kbkdf_hmac_sha384(uint8_t out[48], const uint8_t key[48],
	    char label, uint8_t context, uint32_t iter);
