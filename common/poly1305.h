#pragma once
/* One-time Poly1305 (RFC 8439). */
#include <stddef.h>
#include <stdint.h>

/* the faster of the two below for 1,400-byte messages (bench/crypto.c) */
void	 poly1305(uint8_t tag[16], const void *msg, size_t len,
	    const uint8_t key[32]);
/* our 64-bit-limb implementation */
void	 poly1305_donna(uint8_t tag[16], const void *msg, size_t len,
	    const uint8_t key[32]);
/* OpenSSL's EVP_MAC "POLY1305", fetched once, context re-keyed */
void	 poly1305_evp(uint8_t tag[16], const void *msg, size_t len,
	    const uint8_t key[32]);
/* fetches OpenSSL's POLY1305 before a sandbox is entered; returns 0 */
int	 poly1305_warmup(void);
