/*
 * Salsa20/12 and Salsa20/20 (Bernstein), the stream cipher of ZeroTier's
 * cipher suites 0/1, of HELLO's encrypted field and of the memory-hard
 * identity hash.  OpenSSL has no Salsa20, hence our own code.
 *
 * Two engines produce identical keystream: a portable one that makes one
 * 64-byte block at a time, and a vector one that computes 4 (SSE2) or 8
 * (AVX2) blocks side by side, one block per lane, with each vector holding
 * the same state word of every block.  The engine is picked once from the
 * CPU; salsa20_force_portable() lets tests run both on the same vectors.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "salsa20.h"

#if defined(__x86_64__) || defined(__i386__)
#define SALSA20_X86	1
#include <immintrin.h>
#endif

/* generates nblocks blocks of keystream XORed with in (NULL: zeros) */
typedef void	(*salsa20_bulk_fn)(uint32_t *, const uint8_t *, uint8_t *,
		    size_t);

static void	salsa20_bulk_portable(uint32_t *, const uint8_t *, uint8_t *,
		    size_t);

/* set once from the CPU; the "cur" pair is the test hook's override */
static salsa20_bulk_fn	 salsa20_bulk_best;
static const char	*salsa20_best_name;
static salsa20_bulk_fn	 salsa20_bulk_cur;
static const char	*salsa20_cur_name;

static inline uint32_t
le32_load(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
le32_store(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
rotl32(uint32_t v, int n)
{
	return v << n | v >> (32 - n);
}

void
salsa20_init(struct salsa20 *s, const uint8_t key[32], const uint8_t iv[8],
    unsigned int rounds)
{
	/* "expand 32-byte k" */
	s->state[0] = 0x61707865;
	s->state[5] = 0x3320646e;
	s->state[10] = 0x79622d32;
	s->state[15] = 0x6b206574;
	s->state[1] = le32_load(key);
	s->state[2] = le32_load(key + 4);
	s->state[3] = le32_load(key + 8);
	s->state[4] = le32_load(key + 12);
	s->state[11] = le32_load(key + 16);
	s->state[12] = le32_load(key + 20);
	s->state[13] = le32_load(key + 24);
	s->state[14] = le32_load(key + 28);
	s->state[6] = le32_load(iv);
	s->state[7] = le32_load(iv + 4);
	s->state[8] = 0;
	s->state[9] = 0;
	s->ks_left = 0;
	s->rounds = rounds == 20 ? 20 : 12;
}

void
salsa20_wipe(struct salsa20 *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

#define QR(a, b, c, d) do {						\
	b ^= rotl32(a + d, 7);						\
	c ^= rotl32(b + a, 9);						\
	d ^= rotl32(c + b, 13);						\
	a ^= rotl32(d + c, 18);						\
} while (0)

/* one block of keystream from the state in[16] */
static void
salsa20_block(const uint32_t in[16], unsigned int rounds, uint8_t out[64])
{
	uint32_t x[16];
	unsigned int i;

	memcpy(x, in, sizeof(x));
	for (i = 0; i < rounds; i += 2) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[5], x[9], x[13], x[1]);
		QR(x[10], x[14], x[2], x[6]);
		QR(x[15], x[3], x[7], x[11]);
		QR(x[0], x[1], x[2], x[3]);
		QR(x[5], x[6], x[7], x[4]);
		QR(x[10], x[11], x[8], x[9]);
		QR(x[15], x[12], x[13], x[14]);
	}
	for (i = 0; i < 16; i++)
		le32_store(out + 4 * i, x[i] + in[i]);
}

static inline void
salsa20_counter_add(uint32_t *st, uint64_t n)
{
	uint64_t c = ((uint64_t)st[9] << 32 | st[8]) + n;

	st[8] = (uint32_t)c;
	st[9] = (uint32_t)(c >> 32);
}

/*
 * st[16] is the state with the round count in st[16]: the bulk engines
 * take a plain array so that they need not know struct salsa20.
 */
static void
salsa20_bulk_portable(uint32_t *st, const uint8_t *in, uint8_t *out,
    size_t nblocks)
{
	uint8_t ks[64];
	size_t i;

	while (nblocks-- > 0) {
		salsa20_block(st, st[16], ks);
		if (in != NULL) {
			for (i = 0; i < 64; i++)
				out[i] = in[i] ^ ks[i];
			in += 64;
		} else
			memcpy(out, ks, 64);
		out += 64;
		salsa20_counter_add(st, 1);
	}
	OPENSSL_cleanse(ks, sizeof(ks));
}

#ifdef SALSA20_X86
/*
 * SSE2: four blocks at once.  Vector x[w] holds state word w of blocks
 * n..n+3; only the counter words differ between lanes.
 */
#define V4_ROTL(v, n)	_mm_or_si128(_mm_slli_epi32(v, n),		\
			    _mm_srli_epi32(v, 32 - (n)))
#define V4_QR(a, b, c, d) do {						\
	b = _mm_xor_si128(b, V4_ROTL(_mm_add_epi32(a, d), 7));		\
	c = _mm_xor_si128(c, V4_ROTL(_mm_add_epi32(b, a), 9));		\
	d = _mm_xor_si128(d, V4_ROTL(_mm_add_epi32(c, b), 13));		\
	a = _mm_xor_si128(a, V4_ROTL(_mm_add_epi32(d, c), 18));		\
} while (0)

/* stores words w..w+3 of 4 blocks: a 4x4 transpose */
static inline void
v4_store4(__m128i a, __m128i b, __m128i c, __m128i d, const uint8_t *in,
    uint8_t *out, size_t w)
{
	__m128i t0, t1, t2, t3, r[4];
	size_t i;

	t0 = _mm_unpacklo_epi32(a, b);
	t1 = _mm_unpacklo_epi32(c, d);
	t2 = _mm_unpackhi_epi32(a, b);
	t3 = _mm_unpackhi_epi32(c, d);
	r[0] = _mm_unpacklo_epi64(t0, t1);
	r[1] = _mm_unpackhi_epi64(t0, t1);
	r[2] = _mm_unpacklo_epi64(t2, t3);
	r[3] = _mm_unpackhi_epi64(t2, t3);
	for (i = 0; i < 4; i++) {
		if (in != NULL)
			r[i] = _mm_xor_si128(r[i], _mm_loadu_si128(
			    (const __m128i *)(in + 64 * i + 4 * w)));
		_mm_storeu_si128((__m128i *)(out + 64 * i + 4 * w), r[i]);
	}
}

static void
salsa20_bulk_sse2(uint32_t *st, const uint8_t *in, uint8_t *out,
    size_t nblocks)
{
	__m128i o[16], x[16];
	uint64_t c;
	unsigned int i, r;

	for (i = 0; i < 16; i++)
		o[i] = _mm_set1_epi32((int)st[i]);
	for (; nblocks >= 4; nblocks -= 4) {
		c = (uint64_t)st[9] << 32 | st[8];
		o[8] = _mm_set_epi32((int)(uint32_t)(c + 3),
		    (int)(uint32_t)(c + 2), (int)(uint32_t)(c + 1),
		    (int)(uint32_t)c);
		o[9] = _mm_set_epi32((int)(uint32_t)((c + 3) >> 32),
		    (int)(uint32_t)((c + 2) >> 32),
		    (int)(uint32_t)((c + 1) >> 32), (int)(uint32_t)(c >> 32));
		memcpy(x, o, sizeof(x));
		for (r = 0; r < st[16]; r += 2) {
			V4_QR(x[0], x[4], x[8], x[12]);
			V4_QR(x[5], x[9], x[13], x[1]);
			V4_QR(x[10], x[14], x[2], x[6]);
			V4_QR(x[15], x[3], x[7], x[11]);
			V4_QR(x[0], x[1], x[2], x[3]);
			V4_QR(x[5], x[6], x[7], x[4]);
			V4_QR(x[10], x[11], x[8], x[9]);
			V4_QR(x[15], x[12], x[13], x[14]);
		}
		for (i = 0; i < 16; i++)
			x[i] = _mm_add_epi32(x[i], o[i]);
		for (i = 0; i < 16; i += 4)
			v4_store4(x[i], x[i + 1], x[i + 2], x[i + 3], in, out,
			    i);
		if (in != NULL)
			in += 256;
		out += 256;
		salsa20_counter_add(st, 4);
	}
	memset(x, 0, sizeof(x));
	if (nblocks > 0)
		salsa20_bulk_portable(st, in, out, nblocks);
}

/*
 * AVX2: eight blocks at once, same layout as the SSE2 engine.  Rotations
 * by 16 or 8 have no special case in Salsa20, so shifts and an OR it is.
 */
#define V8_ROTL(v, n)	_mm256_or_si256(_mm256_slli_epi32(v, n),	\
			    _mm256_srli_epi32(v, 32 - (n)))
#define V8_QR(a, b, c, d) do {						\
	b = _mm256_xor_si256(b, V8_ROTL(_mm256_add_epi32(a, d), 7));	\
	c = _mm256_xor_si256(c, V8_ROTL(_mm256_add_epi32(b, a), 9));	\
	d = _mm256_xor_si256(d, V8_ROTL(_mm256_add_epi32(c, b), 13));	\
	a = _mm256_xor_si256(a, V8_ROTL(_mm256_add_epi32(d, c), 18));	\
} while (0)

/*
 * Words w..w+3 (a..d) and w+4..w+7 (e..h) of 8 blocks.  After the 4x4
 * transposes inside each 128-bit half, the low half of r[i] is words w..w+3
 * of block i and the high half those of block i+4.
 */
__attribute__((target("avx2")))
static inline void
v8_store8(__m256i a, __m256i b, __m256i c, __m256i d, const uint8_t *in,
    uint8_t *out, size_t w)
{
	__m256i t0, t1, t2, t3, r[4], v;
	size_t i, off;

	t0 = _mm256_unpacklo_epi32(a, b);
	t1 = _mm256_unpacklo_epi32(c, d);
	t2 = _mm256_unpackhi_epi32(a, b);
	t3 = _mm256_unpackhi_epi32(c, d);
	r[0] = _mm256_unpacklo_epi64(t0, t1);
	r[1] = _mm256_unpackhi_epi64(t0, t1);
	r[2] = _mm256_unpacklo_epi64(t2, t3);
	r[3] = _mm256_unpackhi_epi64(t2, t3);
	for (i = 0; i < 4; i++) {
		/* block i gets the low half, block i + 4 the high half */
		v = r[i];
		off = 64 * i + 4 * w;
		if (in != NULL) {
			__m256i m = _mm256_set_m128i(
			    _mm_loadu_si128((const __m128i *)(in + off + 256)),
			    _mm_loadu_si128((const __m128i *)(in + off)));
			v = _mm256_xor_si256(v, m);
		}
		_mm_storeu_si128((__m128i *)(out + off),
		    _mm256_castsi256_si128(v));
		_mm_storeu_si128((__m128i *)(out + off + 256),
		    _mm256_extracti128_si256(v, 1));
	}
}

__attribute__((target("avx2")))
static void
salsa20_bulk_avx2(uint32_t *st, const uint8_t *in, uint8_t *out,
    size_t nblocks)
{
	__m256i o[16], x[16];
	uint64_t c;
	uint32_t lo[8], hi[8];
	unsigned int i, r;

	for (i = 0; i < 16; i++)
		o[i] = _mm256_set1_epi32((int)st[i]);
	for (; nblocks >= 8; nblocks -= 8) {
		c = (uint64_t)st[9] << 32 | st[8];
		/*
		 * Lane order matches v8_store8: lanes 0-3 (low half) are
		 * blocks 0-3, lanes 4-7 blocks 4-7.
		 */
		for (i = 0; i < 8; i++) {
			lo[i] = (uint32_t)(c + i);
			hi[i] = (uint32_t)((c + i) >> 32);
		}
		o[8] = _mm256_loadu_si256((const __m256i *)lo);
		o[9] = _mm256_loadu_si256((const __m256i *)hi);
		memcpy(x, o, sizeof(x));
		for (r = 0; r < st[16]; r += 2) {
			V8_QR(x[0], x[4], x[8], x[12]);
			V8_QR(x[5], x[9], x[13], x[1]);
			V8_QR(x[10], x[14], x[2], x[6]);
			V8_QR(x[15], x[3], x[7], x[11]);
			V8_QR(x[0], x[1], x[2], x[3]);
			V8_QR(x[5], x[6], x[7], x[4]);
			V8_QR(x[10], x[11], x[8], x[9]);
			V8_QR(x[15], x[12], x[13], x[14]);
		}
		for (i = 0; i < 16; i++)
			x[i] = _mm256_add_epi32(x[i], o[i]);
		for (i = 0; i < 16; i += 4)
			v8_store8(x[i], x[i + 1], x[i + 2], x[i + 3], in, out,
			    i);
		if (in != NULL)
			in += 512;
		out += 512;
		salsa20_counter_add(st, 8);
	}
	memset(x, 0, sizeof(x));
	if (nblocks > 0)
		salsa20_bulk_sse2(st, in, out, nblocks);
}
#endif /* SALSA20_X86 */

static void
salsa20_pick(void)
{
	if (salsa20_bulk_best != NULL)
		return;
#ifdef SALSA20_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2")) {
		salsa20_best_name = "avx2";
		salsa20_bulk_best = salsa20_bulk_avx2;
		return;
	}
	if (__builtin_cpu_supports("sse2")) {
		salsa20_best_name = "sse2";
		salsa20_bulk_best = salsa20_bulk_sse2;
		return;
	}
#endif
	salsa20_best_name = "portable";
	salsa20_bulk_best = salsa20_bulk_portable;
}

static salsa20_bulk_fn
salsa20_engine(void)
{
	salsa20_pick();
	return salsa20_bulk_cur != NULL ? salsa20_bulk_cur : salsa20_bulk_best;
}

const char *
salsa20_impl(void)
{
	salsa20_pick();
	return salsa20_cur_name != NULL ? salsa20_cur_name : salsa20_best_name;
}

void
salsa20_force_portable(int best)
{
	/* the contract header's convention: 0 = portable, 1 = best */
	if (best)
		salsa20_set_impl(NULL);
	else
		salsa20_set_impl("portable");
}

int
salsa20_set_impl(const char *name)
{
	salsa20_pick();
	if (name == NULL) {
		salsa20_bulk_cur = NULL;
		salsa20_cur_name = NULL;
		return 0;
	}
	if (strcmp(name, "portable") == 0) {
		salsa20_bulk_cur = salsa20_bulk_portable;
		salsa20_cur_name = "portable";
		return 0;
	}
#ifdef SALSA20_X86
	if (strcmp(name, "sse2") == 0 && __builtin_cpu_supports("sse2")) {
		salsa20_bulk_cur = salsa20_bulk_sse2;
		salsa20_cur_name = "sse2";
		return 0;
	}
	if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) {
		salsa20_bulk_cur = salsa20_bulk_avx2;
		salsa20_cur_name = "avx2";
		return 0;
	}
#endif
	return -1;
}

/* in == NULL: produce bare keystream */
static void
salsa20_xor(struct salsa20 *s, const uint8_t *in, uint8_t *out, size_t len)
{
	uint32_t st[17];
	salsa20_bulk_fn bulk;
	size_t n, i, off;

	if (len == 0)
		return;
	/* leftover keystream of the previous call's last block */
	if (s->ks_left > 0) {
		n = len < s->ks_left ? len : s->ks_left;
		off = 64 - s->ks_left;
		for (i = 0; i < n; i++)
			out[i] = (in != NULL ? in[i] : 0) ^ s->ks[off + i];
		s->ks_left -= (unsigned int)n;
		if (s->ks_left == 0)
			OPENSSL_cleanse(s->ks, sizeof(s->ks));
		if (in != NULL)
			in += n;
		out += n;
		len -= n;
		if (len == 0)
			return;
	}
	memcpy(st, s->state, 16 * sizeof(uint32_t));
	st[16] = s->rounds;
	bulk = salsa20_engine();
	if ((n = len / 64) > 0) {
		bulk(st, in, out, n);
		if (in != NULL)
			in += 64 * n;
		out += 64 * n;
		len -= 64 * n;
	}
	if (len > 0) {
		salsa20_bulk_portable(st, NULL, s->ks, 1);
		for (i = 0; i < len; i++)
			out[i] = (in != NULL ? in[i] : 0) ^ s->ks[i];
		s->ks_left = (unsigned int)(64 - len);
	}
	s->state[8] = st[8];
	s->state[9] = st[9];
	OPENSSL_cleanse(st, sizeof(st));
}

void
salsa20_crypt(struct salsa20 *s, const uint8_t *in, uint8_t *out, size_t len)
{
	salsa20_xor(s, in, out, len);
}

void
salsa20_keystream(struct salsa20 *s, uint8_t *out, size_t len)
{
	salsa20_xor(s, NULL, out, len);
}
