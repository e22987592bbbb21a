/*
 * One-time Poly1305 (RFC 8439), two implementations of the same function:
 *
 * - poly1305_donna(): ours, the accumulator in three 44/44/42-bit limbs
 *   with 64x64->128-bit products, one 16-byte block per step;
 * - poly1305_evp(): OpenSSL's EVP_MAC "POLY1305" (assembly with vector
 *   units), fetched once, one context per thread re-keyed per message.
 *
 * ZeroTier needs a fresh key for every packet, so the cost that matters is
 * set-up plus ~1,400 bytes; bench/crypto.c measures both.  OpenSSL's
 * won (about 470 ns against 1,060 ns per 1,400-byte message with a new
 * key on the reference machine), so poly1305() uses it; building with
 * -DPOLY1305_USE_DONNA selects ours, e.g. for a libcrypto without the
 * vector code.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "poly1305.h"

#define M44	0xfffffffffffULL
#define M42	0x3ffffffffffULL

typedef unsigned __int128 u128;

struct poly1305_donna {
	uint64_t	 r[3], s1, s2;	/* s = r * 4 * 5 for the mod-p fold */
	uint64_t	 h[3];
	uint64_t	 pad[2];
};

static inline uint64_t
le64_load(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void
le64_store(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

static void
donna_init(struct poly1305_donna *st, const uint8_t key[32])
{
	uint64_t t0 = le64_load(key), t1 = le64_load(key + 8);

	/* r is clamped as RFC 8439 §2.5 requires, then split into limbs */
	st->r[0] = t0 & 0xffc0fffffffULL;
	st->r[1] = (t0 >> 44 | t1 << 20) & 0xfffffc0ffffULL;
	st->r[2] = (t1 >> 24) & 0x00ffffffc0fULL;
	st->s1 = st->r[1] * (5 << 2);
	st->s2 = st->r[2] * (5 << 2);
	st->h[0] = st->h[1] = st->h[2] = 0;
	st->pad[0] = le64_load(key + 16);
	st->pad[1] = le64_load(key + 24);
}

/* hibit is 2^128 as seen by the top limb: set for full blocks only */
static void
donna_blocks(struct poly1305_donna *st, const uint8_t *m, size_t nblocks,
    uint64_t hibit)
{
	uint64_t r0 = st->r[0], r1 = st->r[1], r2 = st->r[2];
	uint64_t s1 = st->s1, s2 = st->s2;
	uint64_t h0 = st->h[0], h1 = st->h[1], h2 = st->h[2], c, t0, t1;
	u128 d0, d1, d2;

	while (nblocks-- > 0) {
		t0 = le64_load(m);
		t1 = le64_load(m + 8);
		h0 += t0 & M44;
		h1 += (t0 >> 44 | t1 << 20) & M44;
		h2 += ((t1 >> 24) & M42) | hibit;

		/* h * r mod 2^130-5: limbs above 2^130 fold back times 5 */
		d0 = (u128)h0 * r0 + (u128)h1 * s2 + (u128)h2 * s1;
		d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)h2 * s2;
		d2 = (u128)h0 * r2 + (u128)h1 * r1 + (u128)h2 * r0;

		c = (uint64_t)(d0 >> 44);
		h0 = (uint64_t)d0 & M44;
		d1 += c;
		c = (uint64_t)(d1 >> 44);
		h1 = (uint64_t)d1 & M44;
		d2 += c;
		c = (uint64_t)(d2 >> 42);
		h2 = (uint64_t)d2 & M42;
		h0 += c * 5;
		c = h0 >> 44;
		h0 &= M44;
		h1 += c;
		m += 16;
	}
	st->h[0] = h0;
	st->h[1] = h1;
	st->h[2] = h2;
}

static void
donna_finish(struct poly1305_donna *st, uint8_t tag[16])
{
	uint64_t h0 = st->h[0], h1 = st->h[1], h2 = st->h[2];
	uint64_t g0, g1, g2, c, mask, t0, t1;

	/* full carry, twice round so every limb is in range */
	c = h1 >> 44;
	h1 &= M44;
	h2 += c;
	c = h2 >> 42;
	h2 &= M42;
	h0 += c * 5;
	c = h0 >> 44;
	h0 &= M44;
	h1 += c;
	c = h1 >> 44;
	h1 &= M44;
	h2 += c;
	c = h2 >> 42;
	h2 &= M42;
	h0 += c * 5;
	c = h0 >> 44;
	h0 &= M44;
	h1 += c;

	/* g = h - p; keep g unless it went negative, without a branch */
	g0 = h0 + 5;
	c = g0 >> 44;
	g0 &= M44;
	g1 = h1 + c;
	c = g1 >> 44;
	g1 &= M44;
	g2 = h2 + c - (1ULL << 42);
	mask = (g2 >> 63) - 1;
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);
	h2 = (h2 & ~mask) | (g2 & mask);

	/* tag = (h + s) mod 2^128 */
	t0 = st->pad[0];
	t1 = st->pad[1];
	h0 += t0 & M44;
	c = h0 >> 44;
	h0 &= M44;
	h1 += ((t0 >> 44 | t1 << 20) & M44) + c;
	c = h1 >> 44;
	h1 &= M44;
	h2 += ((t1 >> 24) & M42) + c;
	le64_store(tag, h0 | h1 << 44);
	le64_store(tag + 8, h1 >> 20 | h2 << 24);
}

void
poly1305_donna(uint8_t tag[16], const void *msg, size_t len,
    const uint8_t key[32])
{
	struct poly1305_donna st;
	const uint8_t *m = msg;
	uint8_t last[16];
	size_t full = len / 16, rest = len % 16;

	donna_init(&st, key);
	if (full > 0)
		donna_blocks(&st, m, full, 1ULL << 40);
	if (rest > 0) {
		/* a short last block gets a 1 byte after it, not 2^128 */
		memset(last, 0, sizeof(last));
		memcpy(last, m + 16 * full, rest);
		last[rest] = 1;
		donna_blocks(&st, last, 1, 0);
	}
	donna_finish(&st, tag);
	OPENSSL_cleanse(&st, sizeof(st));
}

static pthread_once_t		 poly1305_once = PTHREAD_ONCE_INIT;
static EVP_MAC			*poly1305_mac;
static __thread EVP_MAC_CTX	*poly1305_ctx;

static void
poly1305_fetch(void)
{
	if ((poly1305_mac = EVP_MAC_fetch(NULL, "POLY1305", NULL)) == NULL)
		fatalx("poly1305: OpenSSL lacks POLY1305");
}

int
poly1305_warmup(void)
{
	pthread_once(&poly1305_once, poly1305_fetch);
	if (poly1305_ctx == NULL &&
	    (poly1305_ctx = EVP_MAC_CTX_new(poly1305_mac)) == NULL)
		fatalx("poly1305: out of memory");
	return 0;
}

void
poly1305_evp(uint8_t tag[16], const void *msg, size_t len,
    const uint8_t key[32])
{
	size_t n;

	if (poly1305_ctx == NULL)
		poly1305_warmup();
	if (!EVP_MAC_init(poly1305_ctx, key, 32, NULL) ||
	    !EVP_MAC_update(poly1305_ctx, msg, len) ||
	    !EVP_MAC_final(poly1305_ctx, tag, &n, 16) || n != 16)
		fatalx("poly1305: EVP_MAC failed");
}

void
poly1305(uint8_t tag[16], const void *msg, size_t len, const uint8_t key[32])
{
#ifndef POLY1305_USE_DONNA
	poly1305_evp(tag, msg, len, key);
#else
	poly1305_donna(tag, msg, len, key);
#endif
}
