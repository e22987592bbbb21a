#pragma once
/*
 * ZeroTier's "C25519" key pair, through OpenSSL EVP_PKEY:
 * public  = X25519 public (32) || Ed25519 public (32)
 * private = X25519 private scalar (32) || Ed25519 seed (32)
 * and ZeroTier's 96-byte signature: Ed25519 signature (64) of the
 * 32-byte message SHA512(msg)[0:32], followed by that 32-byte digest.
 */
#include <stddef.h>
#include <stdint.h>

#define C25519_PUBLIC_LEN	64
#define C25519_PRIVATE_LEN	64
#define ZT_SIGNATURE_LEN	96

/*
 * Runs each operation once so that OpenSSL loads and fetches everything
 * before a sandbox is entered; 0 or -1.
 */
int	 c25519_warmup(void);
/*
 * Drops this thread's cached OpenSSL objects, including the last private
 * keys used (wiped), e.g. once a process no longer needs its secret key.
 */
void	 c25519_forget(void);
/* fresh key pair from the OS random source */
int	 c25519_generate(uint8_t pub[64], uint8_t priv[64]);
/* recomputes both public halves from the private key */
int	 c25519_public_from_private(uint8_t pub[64], const uint8_t priv[64]);
/* raw X25519: out = X25519(priv[0:32], pub[0:32]) */
int	 c25519_x25519(uint8_t out[32], const uint8_t priv[64],
	    const uint8_t pub[64]);
/* plain Ed25519 over msg with the seed priv[32:64] */
int	 c25519_ed25519_sign(uint8_t sig[64], const uint8_t priv[64],
	    const void *msg, size_t len);
int	 c25519_ed25519_verify(const uint8_t pub[64], const void *msg,
	    size_t len, const uint8_t sig[64]);
/* ZeroTier signature (96 bytes) */
int	 c25519_zt_sign(uint8_t sig[96], const uint8_t priv[64],
	    const void *msg, size_t len);
/* 0 when valid; -1 for any failure, including siglen != 96 */
int	 c25519_zt_verify(const uint8_t pub[64], const void *msg, size_t len,
	    const uint8_t *sig, size_t siglen);
