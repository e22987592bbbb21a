/*
 * AES-GMAC-SIV (spec/vl1.md §3.3).  Two engines compute the same thing:
 *
 * - "aesni": our AES-256 on AES-NI (key schedule, single blocks, and a
 *   CTR that runs 8 blocks at once with ZeroTier's 32-bit counter), with
 *   GHASH from OpenSSL's public CRYPTO_gcm128 interface (its carry-less
 *   multiply code), driven by our AES block function;
 * - "evp": OpenSSL EVP AES-256-GCM / -ECB / -CTR contexts, key schedules
 *   made once, only IVs set per packet.  Used without AES-NI.
 *
 * EVP CTR increments all 128 bits of the counter, ZeroTier only the low
 * 32 (big endian).  They agree unless the low word wraps, and with the top
 * bit of byte 12 cleared it starts below 2^31: wrapping needs more than
 * 2^31 blocks, far beyond the INT_MAX bytes we accept.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>

#include "aes_gmac_siv.h"
#include "log.h"

#if defined(__x86_64__) || defined(__i386__)
#define SIV_AESNI	1
#include <immintrin.h>
#endif

struct siv_aes_key {
	uint8_t		 rk[15][16];	/* AES-256 round keys */
};

struct aes_gmac_siv_state {
	int			 aesni;
	/* aesni engine */
	struct siv_aes_key	 k0enc, k1enc, k1dec;
	GCM128_CONTEXT		*gcm128;
	/* evp engine */
	EVP_CIPHER_CTX		*gcm, *ecb_enc, *ecb_dec, *ctr;
};

static pthread_once_t	 siv_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER	*siv_gcm;
static EVP_CIPHER	*siv_ecb;
static EVP_CIPHER	*siv_ctr;
static int		 siv_have_aesni;
static int		 siv_forced_evp;

static void
siv_fetch(void)
{
	siv_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	siv_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	siv_ctr = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
	if (siv_gcm == NULL || siv_ecb == NULL || siv_ctr == NULL)
		fatalx("aes_gmac_siv: OpenSSL lacks AES-256-GCM/ECB/CTR");
#ifdef SIV_AESNI
	__builtin_cpu_init();
	siv_have_aesni = __builtin_cpu_supports("aes") &&
	    __builtin_cpu_supports("sse4.1");
#endif
}

const char *
aes_gmac_siv_impl(void)
{
	pthread_once(&siv_once, siv_fetch);
	return siv_have_aesni && !siv_forced_evp ? "aesni" : "evp";
}

void
aes_gmac_siv_force_evp(int force)
{
	siv_forced_evp = force;
}

#ifdef SIV_AESNI
#define SIV_TARGET	__attribute__((target("aes,sse4.1")))

/* one AES-256 key expansion step for the even round keys */
SIV_TARGET static inline __m128i
siv_expand_even(__m128i k, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff);
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, assist);
}

/* and for the odd ones: SubWord without RotWord or rcon */
SIV_TARGET static inline __m128i
siv_expand_odd(__m128i k, __m128i prev_even)
{
	__m128i t = _mm_shuffle_epi32(
	    _mm_aeskeygenassist_si128(prev_even, 0), 0xaa);

	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, t);
}

#define SIV_EXPAND(i, rcon) do {					\
	rk[i] = siv_expand_even(rk[(i) - 2],				\
	    _mm_aeskeygenassist_si128(rk[(i) - 1], rcon));		\
	if ((i) < 14)							\
		rk[(i) + 1] = siv_expand_odd(rk[(i) - 1], rk[i]);	\
} while (0)

SIV_TARGET static void
siv_aes_schedule(const uint8_t key[32], struct siv_aes_key *enc,
    struct siv_aes_key *dec)
{
	__m128i rk[15];
	int i;

	rk[0] = _mm_loadu_si128((const __m128i *)key);
	rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
	SIV_EXPAND(2, 0x01);
	SIV_EXPAND(4, 0x02);
	SIV_EXPAND(6, 0x04);
	SIV_EXPAND(8, 0x08);
	SIV_EXPAND(10, 0x10);
	SIV_EXPAND(12, 0x20);
	SIV_EXPAND(14, 0x40);
	for (i = 0; i < 15; i++)
		_mm_storeu_si128((__m128i *)enc->rk[i], rk[i]);
	if (dec != NULL) {
		/* the equivalent inverse cipher's schedule */
		_mm_storeu_si128((__m128i *)dec->rk[0], rk[14]);
		for (i = 1; i < 14; i++)
			_mm_storeu_si128((__m128i *)dec->rk[i],
			    _mm_aesimc_si128(rk[14 - i]));
		_mm_storeu_si128((__m128i *)dec->rk[14], rk[0]);
	}
	memset(rk, 0, sizeof(rk));
}

SIV_TARGET static inline __m128i
siv_aes_enc(__m128i x, const struct siv_aes_key *k)
{
	int i;

	x = _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)k->rk[0]));
	for (i = 1; i < 14; i++)
		x = _mm_aesenc_si128(x,
		    _mm_loadu_si128((const __m128i *)k->rk[i]));
	return _mm_aesenclast_si128(x,
	    _mm_loadu_si128((const __m128i *)k->rk[14]));
}

SIV_TARGET static inline __m128i
siv_aes_dec(__m128i x, const struct siv_aes_key *k)
{
	int i;

	x = _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)k->rk[0]));
	for (i = 1; i < 14; i++)
		x = _mm_aesdec_si128(x,
		    _mm_loadu_si128((const __m128i *)k->rk[i]));
	return _mm_aesdeclast_si128(x,
	    _mm_loadu_si128((const __m128i *)k->rk[14]));
}

/* block128_f for CRYPTO_gcm128: H and the tag mask E(J0) */
SIV_TARGET static void
siv_aes_block(const unsigned char in[16], unsigned char out[16],
    const void *key)
{
	_mm_storeu_si128((__m128i *)out, siv_aes_enc(
	    _mm_loadu_si128((const __m128i *)in), key));
}

/* counter block with bytes 12..15 = BE32(n) */
SIV_TARGET static inline __m128i
siv_ctr_block(__m128i c0, uint32_t n)
{
	return _mm_insert_epi32(c0, (int)__builtin_bswap32(n), 3);
}

#define SIV_CTR_OUT(v, j) _mm_storeu_si128((__m128i *)(out + 16 * (j)),	\
	_mm_xor_si128(_mm_aesenclast_si128(v, rk),			\
	_mm_loadu_si128((const __m128i *)(in + 16 * (j)))))

/*
 * CTR with ZeroTier's counter: bytes 12..15 count up big-endian from
 * those of c0 and wrap without carrying into byte 11.  Eight blocks per
 * iteration keep the AES units busy.
 */
SIV_TARGET static void
siv_ctr32(const struct siv_aes_key *k, const uint8_t c0b[16],
    const uint8_t *in, uint8_t *out, size_t len)
{
	__m128i c0 = _mm_loadu_si128((const __m128i *)c0b), rk, x;
	__m128i x0, x1, x2, x3, x4, x5, x6, x7;
	uint32_t n;
	uint8_t ks[16];
	size_t i, r;

	n = (uint32_t)c0b[12] << 24 | (uint32_t)c0b[13] << 16 |
	    (uint32_t)c0b[14] << 8 | c0b[15];
	/* unrolled by hand: the eight states must stay in registers */
	for (; len >= 128; len -= 128, in += 128, out += 128, n += 8) {
		rk = _mm_loadu_si128((const __m128i *)k->rk[0]);
		x0 = _mm_xor_si128(siv_ctr_block(c0, n), rk);
		x1 = _mm_xor_si128(siv_ctr_block(c0, n + 1), rk);
		x2 = _mm_xor_si128(siv_ctr_block(c0, n + 2), rk);
		x3 = _mm_xor_si128(siv_ctr_block(c0, n + 3), rk);
		x4 = _mm_xor_si128(siv_ctr_block(c0, n + 4), rk);
		x5 = _mm_xor_si128(siv_ctr_block(c0, n + 5), rk);
		x6 = _mm_xor_si128(siv_ctr_block(c0, n + 6), rk);
		x7 = _mm_xor_si128(siv_ctr_block(c0, n + 7), rk);
		for (r = 1; r < 14; r++) {
			rk = _mm_loadu_si128((const __m128i *)k->rk[r]);
			x0 = _mm_aesenc_si128(x0, rk);
			x1 = _mm_aesenc_si128(x1, rk);
			x2 = _mm_aesenc_si128(x2, rk);
			x3 = _mm_aesenc_si128(x3, rk);
			x4 = _mm_aesenc_si128(x4, rk);
			x5 = _mm_aesenc_si128(x5, rk);
			x6 = _mm_aesenc_si128(x6, rk);
			x7 = _mm_aesenc_si128(x7, rk);
		}
		rk = _mm_loadu_si128((const __m128i *)k->rk[14]);
		SIV_CTR_OUT(x0, 0);
		SIV_CTR_OUT(x1, 1);
		SIV_CTR_OUT(x2, 2);
		SIV_CTR_OUT(x3, 3);
		SIV_CTR_OUT(x4, 4);
		SIV_CTR_OUT(x5, 5);
		SIV_CTR_OUT(x6, 6);
		SIV_CTR_OUT(x7, 7);
	}
	for (; len > 0; n++) {
		x = siv_aes_enc(siv_ctr_block(c0, n), k);
		if (len >= 16) {
			x = _mm_xor_si128(x,
			    _mm_loadu_si128((const __m128i *)in));
			_mm_storeu_si128((__m128i *)out, x);
			in += 16;
			out += 16;
			len -= 16;
			continue;
		}
		_mm_storeu_si128((__m128i *)ks, x);
		for (i = 0; i < len; i++)
			out[i] = in[i] ^ ks[i];
		OPENSSL_cleanse(ks, sizeof(ks));
		len = 0;
	}
}

static int
siv_ni_init(struct aes_gmac_siv_state *st, const uint8_t k0[32],
    const uint8_t k1[32])
{
	siv_aes_schedule(k0, &st->k0enc, NULL);
	siv_aes_schedule(k1, &st->k1enc, &st->k1dec);
	/* GHASH tables from H = E_k0(0), made once per key */
	st->gcm128 = CRYPTO_gcm128_new(&st->k0enc, siv_aes_block);
	return st->gcm128 == NULL ? -1 : 0;
}

static int
siv_ni_gmac(struct aes_gmac_siv_state *st, const uint8_t nonce[12],
    const uint8_t aad16[16], const uint8_t *m, size_t len, uint8_t t[16])
{
	CRYPTO_gcm128_setiv(st->gcm128, nonce, 12);
	if (CRYPTO_gcm128_aad(st->gcm128, aad16, 16) != 0 ||
	    CRYPTO_gcm128_aad(st->gcm128, m, len) != 0)
		return -1;
	CRYPTO_gcm128_tag(st->gcm128, t, 16);
	return 0;
}

SIV_TARGET static void
siv_ni_ecb(const struct siv_aes_key *k, int enc, const uint8_t in[16],
    uint8_t out[16])
{
	__m128i x = _mm_loadu_si128((const __m128i *)in);

	x = enc ? siv_aes_enc(x, k) : siv_aes_dec(x, k);
	_mm_storeu_si128((__m128i *)out, x);
}
#endif /* SIV_AESNI */

static int
siv_evp_init(struct aes_gmac_siv_state *st, const uint8_t k0[32],
    const uint8_t k1[32])
{
	static const uint8_t zero_iv[16];

	if ((st->gcm = EVP_CIPHER_CTX_new()) == NULL ||
	    (st->ecb_enc = EVP_CIPHER_CTX_new()) == NULL ||
	    (st->ecb_dec = EVP_CIPHER_CTX_new()) == NULL ||
	    (st->ctr = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	/* the GCM nonce is 12 bytes, OpenSSL's default */
	if (!EVP_EncryptInit_ex2(st->gcm, siv_gcm, k0, zero_iv, NULL) ||
	    !EVP_EncryptInit_ex2(st->ecb_enc, siv_ecb, k1, NULL, NULL) ||
	    !EVP_DecryptInit_ex2(st->ecb_dec, siv_ecb, k1, NULL, NULL) ||
	    !EVP_EncryptInit_ex2(st->ctr, siv_ctr, k1, zero_iv, NULL))
		return -1;
	EVP_CIPHER_CTX_set_padding(st->ecb_enc, 0);
	EVP_CIPHER_CTX_set_padding(st->ecb_dec, 0);
	return 0;
}

void
aes_gmac_siv_free(struct aes_gmac_siv *s)
{
	struct aes_gmac_siv_state *st = s->st;

	if (st == NULL)
		return;
	if (st->gcm128 != NULL)
		CRYPTO_gcm128_release(st->gcm128);
	/* EVP_CIPHER_CTX_free cleanses the key schedules */
	EVP_CIPHER_CTX_free(st->gcm);
	EVP_CIPHER_CTX_free(st->ecb_enc);
	EVP_CIPHER_CTX_free(st->ecb_dec);
	EVP_CIPHER_CTX_free(st->ctr);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
	s->st = NULL;
}

int
aes_gmac_siv_init(struct aes_gmac_siv *s, const uint8_t k0[32],
    const uint8_t k1[32])
{
	int rc;

	pthread_once(&siv_once, siv_fetch);
	if ((s->st = calloc(1, sizeof(*s->st))) == NULL)
		goto fail;
#ifdef SIV_AESNI
	if (siv_have_aesni && !siv_forced_evp) {
		s->st->aesni = 1;
		rc = siv_ni_init(s->st, k0, k1);
	} else
#endif
		rc = siv_evp_init(s->st, k0, k1);
	if (rc == -1)
		goto fail;
	return 0;
fail:
	log_warnx("aes_gmac_siv: cannot set up AES contexts");
	aes_gmac_siv_free(s);
	return -1;
}

static int
siv_evp_gmac(struct aes_gmac_siv_state *st, const uint8_t nonce[12],
    const uint8_t aad16[16], const uint8_t *m, size_t len, uint8_t t[16])
{
	int n;

	if (!EVP_EncryptInit_ex(st->gcm, NULL, NULL, NULL, nonce) ||
	    !EVP_EncryptUpdate(st->gcm, NULL, &n, aad16, 16))
		return -1;
	if (len > 0 && !EVP_EncryptUpdate(st->gcm, NULL, &n, m, (int)len))
		return -1;
	if (!EVP_EncryptFinal_ex(st->gcm, t, &n) ||
	    !EVP_CIPHER_CTX_ctrl(st->gcm, EVP_CTRL_AEAD_GET_TAG, 16, t))
		return -1;
	return 0;
}

/* folded GMAC: t64 = T[0:8] ^ T[8:16], T = GMAC_k0(iv || 0^4, aad16 || m) */
static int
siv_gmac(struct aes_gmac_siv_state *st, const uint8_t iv[8],
    const uint8_t *aad, size_t aadlen, const uint8_t *m, size_t len,
    uint8_t t64[8])
{
	uint8_t nonce[12], aad16[16], t[16];
	int i, rc;

	memcpy(nonce, iv, 8);
	memset(nonce + 8, 0, 4);
	memset(aad16, 0, sizeof(aad16));
	memcpy(aad16, aad, aadlen);
#ifdef SIV_AESNI
	if (st->aesni)
		rc = siv_ni_gmac(st, nonce, aad16, m, len, t);
	else
#endif
		rc = siv_evp_gmac(st, nonce, aad16, m, len, t);
	for (i = 0; i < 8; i++)
		t64[i] = t[i] ^ t[i + 8];
	return rc;
}

static int
siv_ecb_block(struct aes_gmac_siv_state *st, int enc, const uint8_t in[16],
    uint8_t out[16])
{
	int n;

#ifdef SIV_AESNI
	if (st->aesni) {
		siv_ni_ecb(enc ? &st->k1enc : &st->k1dec, enc, in, out);
		return 0;
	}
#endif
	if (enc && EVP_EncryptUpdate(st->ecb_enc, out, &n, in, 16) &&
	    n == 16)
		return 0;
	if (!enc && EVP_DecryptUpdate(st->ecb_dec, out, &n, in, 16) &&
	    n == 16)
		return 0;
	return -1;
}

static int
siv_ctr_crypt(struct aes_gmac_siv_state *st, const uint8_t tag[16],
    const uint8_t *in, uint8_t *out, size_t len)
{
	uint8_t c0[16];
	int n;

	if (len == 0)
		return 0;
	memcpy(c0, tag, 16);
	c0[12] &= 0x7f;
#ifdef SIV_AESNI
	if (st->aesni) {
		siv_ctr32(&st->k1enc, c0, in, out, len);
		return 0;
	}
#endif
	if (!EVP_EncryptInit_ex(st->ctr, NULL, NULL, NULL, c0) ||
	    !EVP_EncryptUpdate(st->ctr, out, &n, in, (int)len) ||
	    (size_t)n != len)
		return -1;
	return 0;
}

int
aes_gmac_siv_encrypt(struct aes_gmac_siv *s, const uint8_t iv[8],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, uint8_t *out,
    size_t len, uint8_t tag[16])
{
	uint8_t blk[16];

	if (s->st == NULL || aadlen > AES_GMAC_SIV_AAD_MAX || len > INT_MAX)
		return -1;
	memcpy(blk, iv, 8);
	if (siv_gmac(s->st, iv, aad, aadlen, in, len, blk + 8) == -1 ||
	    siv_ecb_block(s->st, 1, blk, tag) == -1)
		return -1;
	return siv_ctr_crypt(s->st, tag, in, out, len);
}

int
aes_gmac_siv_decrypt(struct aes_gmac_siv *s, const uint8_t tag[16],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, uint8_t *out,
    size_t len, uint8_t iv[8])
{
	uint8_t blk[16], t64[8], tagcopy[16];

	if (s->st == NULL || aadlen > AES_GMAC_SIV_AAD_MAX || len > INT_MAX)
		return -1;
	/* tag may lie inside out (armor decrypts in place) */
	memcpy(tagcopy, tag, 16);
	if (siv_ecb_block(s->st, 0, tagcopy, blk) == -1)
		return -1;
	if (siv_ctr_crypt(s->st, tagcopy, in, out, len) == -1 ||
	    siv_gmac(s->st, blk, aad, aadlen, out, len, t64) == -1)
		return -1;
	if (CRYPTO_memcmp(t64, blk + 8, 8) != 0)
		return -1;
	if (iv != NULL)
		memcpy(iv, blk, 8);
	return 0;
}

int
aes256_encrypt_block(const uint8_t key[32], const uint8_t in[16],
    uint8_t out[16])
{
	EVP_CIPHER_CTX *ctx;
	int n, rc = -1;

	pthread_once(&siv_once, siv_fetch);
#ifdef SIV_AESNI
	if (siv_have_aesni && !siv_forced_evp) {
		struct siv_aes_key k;

		siv_aes_schedule(key, &k, NULL);
		siv_ni_ecb(&k, 1, in, out);
		OPENSSL_cleanse(&k, sizeof(k));
		return 0;
	}
#endif
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_EncryptInit_ex2(ctx, siv_ecb, key, NULL, NULL) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_EncryptUpdate(ctx, out, &n, in, 16) && n == 16)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}
