#pragma once
/*
 * ZeroTier identities, type 0 (spec/vl1.md §1): a 40-bit address bound to
 * a C25519 public key by the memory-hard hash.  The private key, when
 * present, lives in locked memory and is wiped when the identity is
 * cleared; it is never logged.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "c25519.h"

#define ZT_ADDRESS_LEN		5
/* "address:0:pub(128 hex):priv(128 hex)" + NUL */
#define IDENTITY_STRING_MAX	(10 + 3 + 128 + 1 + 128 + 1)
#define ZT_AGREED_KEY_LEN	48

struct identity {
	uint64_t	 address;		/* 40 bits */
	uint8_t		 pub[C25519_PUBLIC_LEN];
	uint8_t		*priv;			/* NULL, or 64 locked bytes */
};

/* true for the reserved addresses: zero, or first byte 0xff */
bool	 zt_address_reserved(uint64_t);
/* address as 10 lowercase hex digits; buf holds 11 bytes */
char	*zt_address_fmt(uint64_t, char buf[11]);

/* new identity with its private key; may take a second or so */
int	 identity_generate(struct identity *);
/*
 * identity_generate with another key-pair source (tests and benchmarks
 * seed it); keypair fills pub and priv and returns 0 or -1.  attempts, if
 * not NULL, receives the number of key pairs hashed.
 */
int	 identity_generate_with(struct identity *,
	    int (*keypair)(uint8_t pub[64], uint8_t priv[64], void *),
	    void *arg, unsigned long *attempts);
/* recomputes the memory-hard hash: address and key belong together */
bool	 identity_locally_valid(const struct identity *);
/* the 64-byte memory-hard digest of a public key (vectors check it) */
int	 identity_memory_hard_hash(const uint8_t pub[64], uint8_t out[64]);
/*
 * For a process that checks many identities (zt-vl1d, on HELLO): keeps
 * the hash's 2 MiB between calls, which saves mapping and faulting it in
 * each time (about a third of the cost).
 */
struct identity_hasher;
struct identity_hasher	*identity_hasher_new(void);
void	 identity_hasher_free(struct identity_hasher *);
bool	 identity_hasher_valid(struct identity_hasher *,
	    const struct identity *);

/* text forms, as identity.public / identity.secret */
int	 identity_from_string(struct identity *, const char *);
int	 identity_to_string(const struct identity *, bool with_private,
	    char *out, size_t outlen);
/* binary form: address(5) type(0) pub(64) privlen(0|64) [priv(64)] */
int	 identity_serialize(const struct identity *, bool with_private,
	    struct wbuf *);
int	 identity_deserialize(struct identity *, struct rbuf *);

/* SHA512(X25519(self.priv, peer.pub))[0:48] */
int	 identity_agree(const struct identity *self,
	    const struct identity *peer, uint8_t key[ZT_AGREED_KEY_LEN]);
/*
 * Any length of key: the SHA-512 digest of the X25519 secret, then
 * SHA-512 of the previous digest for each further 64 bytes
 * (agreement.json agree_128_bytes).
 */
int	 identity_agree_len(const struct identity *self,
	    const struct identity *peer, uint8_t *key, size_t keylen);
/* SHA-384(address(5) || pub(64)), for COM qualifiers 3..6 */
void	 identity_hash_sha384(const struct identity *, uint8_t out[48]);
int	 identity_sign(const struct identity *, const void *, size_t,
	    uint8_t sig[ZT_SIGNATURE_LEN]);
/* 0 when the signature is valid */
int	 identity_verify(const struct identity *, const void *, size_t,
	    const uint8_t *sig, size_t siglen);

bool	 identity_has_private(const struct identity *);
bool	 identity_equal_public(const struct identity *,
	    const struct identity *);
/* copies (public part only when with_private is false) */
int	 identity_copy(struct identity *dst, const struct identity *src,
	    bool with_private);
/* wipes and frees the private key */
void	 identity_clear(struct identity *);
