/*
 * ZeroTier type 0 identities (spec/vl1.md §1, vectors identities.json,
 * agreement.json, signatures.json).
 */
#include <sys/mman.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "c25519.h"
#include "hex.h"
#include "identity.h"
#include "salsa20.h"
#include "secmem.h"
#include "sha.h"

/* spec/vl1.md §1.4: fixed by identity type 0, never tunable */
#define MHH_MEMORY		2097152
#define MHH_WORDS		(MHH_MEMORY / 8)
#define MHH_FIRST_BYTE_MAX	17
/*
 * The keystream of the swap loop does not depend on the data, so it is
 * drawn in batches: the cipher's multi-block paths then do the work
 * instead of one 64-byte call per step.
 */
#define MHH_BATCH		65536
#define MHH_SCRATCH		(MHH_MEMORY + MHH_BATCH)

#define ADDRESS_MASK		UINT64_C(0xffffffffff)
/* ZeroTier's text parser copies into a buffer of this size first */
#define IDENTITY_TEXT_LIMIT	384

bool
zt_address_reserved(uint64_t a)
{
	return a == 0 || (a >> 32) == 0xff;
}

char *
zt_address_fmt(uint64_t a, char buf[11])
{
	snprintf(buf, 11, "%010" PRIx64, a & ADDRESS_MASK);
	return buf;
}

static uint64_t
mhh_load(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
mhh_store(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * The memory-hard hash of spec/vl1.md §1.4.  scratch holds MHH_SCRATCH
 * bytes and is reused across calls, so generation touches fresh pages
 * only once.
 */
static void
mhh_compute(uint8_t *scratch, const uint8_t pub[64], uint8_t d[64])
{
	struct salsa20 s;
	uint8_t *g = scratch, *ks = scratch + MHH_MEMORY, *ksp = ks;
	size_t i, j, a, b;
	uint64_t t;

	sha512(d, pub, 64);
	salsa20_init(&s, d, d + 32, 20);

	/* block i = block i-1 XOR keystream block i: a prefix XOR */
	salsa20_keystream(&s, g, MHH_MEMORY);
	for (i = 64; i < MHH_MEMORY; i += 8)
		mhh_store(g + i, mhh_load(g + i) ^ mhh_load(g + i - 64));

	for (j = 0; j < MHH_WORDS; j += 2) {
		if (ksp == ks + MHH_BATCH || j == 0) {
			salsa20_keystream(&s, ks, MHH_BATCH);
			ksp = ks;
		}
		a = (size_t)(be64_get(g + j * 8) % 8);
		b = (size_t)(be64_get(g + j * 8 + 8) % MHH_WORDS);
		t = mhh_load(g + b * 8);
		memcpy(g + b * 8, d + a * 8, 8);
		mhh_store(d + a * 8, t);
		for (i = 0; i < 64; i += 8)
			mhh_store(d + i, mhh_load(d + i) ^ mhh_load(ksp + i));
		ksp += 64;
	}
	salsa20_wipe(&s);
}

/*
 * The 2 MiB scratch is mapped and unmapped directly: through malloc a
 * freed block this size raises glibc's mmap threshold, and later ones
 * then stay on the heap, resident, for the life of a daemon.
 */
static uint8_t *
mhh_scratch_new(void)
{
	void *p = mmap(NULL, MHH_SCRATCH, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void
mhh_scratch_free(uint8_t *p)
{
	if (p != NULL)
		munmap(p, MHH_SCRATCH);
}

int
identity_memory_hard_hash(const uint8_t pub[64], uint8_t out[64])
{
	uint8_t *scratch;

	if ((scratch = mhh_scratch_new()) == NULL)
		return -1;
	mhh_compute(scratch, pub, out);
	mhh_scratch_free(scratch);
	return 0;
}

struct identity_hasher {
	uint8_t		*scratch;
};

struct identity_hasher *
identity_hasher_new(void)
{
	struct identity_hasher *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->scratch = mhh_scratch_new()) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
identity_hasher_free(struct identity_hasher *h)
{
	if (h == NULL)
		return;
	mhh_scratch_free(h->scratch);
	free(h);
}

/* spec/vl1.md §1.4: the three conditions of a valid identity */
static bool
identity_digest_valid(const struct identity *id, const uint8_t d[64])
{
	return !zt_address_reserved(id->address) &&
	    d[0] < MHH_FIRST_BYTE_MAX &&
	    be40_get(d + 59) == (id->address & ADDRESS_MASK);
}

bool
identity_hasher_valid(struct identity_hasher *h, const struct identity *id)
{
	uint8_t d[64];

	if (zt_address_reserved(id->address))
		return false;
	mhh_compute(h->scratch, id->pub, d);
	return identity_digest_valid(id, d);
}

bool
identity_locally_valid(const struct identity *id)
{
	uint8_t d[64];

	if (zt_address_reserved(id->address))
		return false;
	if (identity_memory_hard_hash(id->pub, d) == -1)
		return false;
	return identity_digest_valid(id, d);
}

static int
identity_keypair_random(uint8_t pub[64], uint8_t priv[64], void *arg)
{
	return c25519_generate(pub, priv);
}

int
identity_generate_with(struct identity *id,
    int (*keypair)(uint8_t pub[64], uint8_t priv[64], void *), void *arg,
    unsigned long *attempts)
{
	uint8_t *scratch = NULL, *priv = NULL, pub[64], d[64];
	unsigned long n = 0;
	uint64_t addr;

	memset(id, 0, sizeof(*id));
	if ((scratch = mhh_scratch_new()) == NULL)
		goto fail;
	if ((priv = secmem_alloc(C25519_PRIVATE_LEN)) == NULL)
		goto fail;
	/* spec/vl1.md §1.6: any key pair whose digest passes will do */
	for (;;) {
		if (keypair(pub, priv, arg) == -1)
			goto fail;
		n++;
		mhh_compute(scratch, pub, d);
		if (d[0] >= MHH_FIRST_BYTE_MAX)
			continue;
		addr = be40_get(d + 59);
		if (!zt_address_reserved(addr))
			break;
	}
	mhh_scratch_free(scratch);
	id->address = addr;
	memcpy(id->pub, pub, sizeof(id->pub));
	id->priv = priv;
	if (attempts != NULL)
		*attempts = n;
	return 0;
fail:
	mhh_scratch_free(scratch);
	secmem_free(priv, C25519_PRIVATE_LEN);
	if (attempts != NULL)
		*attempts = n;
	return -1;
}

int
identity_generate(struct identity *id)
{
	return identity_generate_with(id, identity_keypair_random, NULL,
	    NULL);
}

/*
 * ZeroTier's lenient hex digit: anything that is not a hex digit counts
 * as 0 (identities.json "zz" case).  Branch-free, since private keys go
 * through it.
 */
static uint8_t
hex_lenient_nibble(uint8_t c)
{
	int d = (int)c - '0', l = (int)(c | 0x20) - 'a';
	unsigned int md, ml;

	md = ((unsigned int)(d | (9 - d)) >> 31) - 1;
	ml = ((unsigned int)(l | (5 - l)) >> 31) - 1;
	return (uint8_t)(((unsigned int)d & md) |
	    ((unsigned int)(l + 10) & ml));
}

/*
 * ZeroTier's unhex: pairs of characters until the string ends or out is
 * full; surplus characters are ignored and an odd last one is dropped.
 * Returns the number of bytes written.
 */
static size_t
hex_lenient_decode(const char *s, uint8_t *out, size_t outlen)
{
	size_t n = 0;

	while (n < outlen && s[0] != '\0' && s[1] != '\0') {
		out[n++] = (uint8_t)(hex_lenient_nibble((uint8_t)s[0]) << 4 |
		    hex_lenient_nibble((uint8_t)s[1]));
		s += 2;
	}
	return n;
}

/* strtok_r with ":" as ZeroTier uses it: empty fields vanish */
static char *
identity_next_field(char **cursor)
{
	char *f = *cursor, *e;

	while (*f == ':')
		f++;
	if (*f == '\0') {
		*cursor = f;
		return NULL;
	}
	if ((e = strchr(f, ':')) != NULL) {
		*e = '\0';
		*cursor = e + 1;
	} else
		*cursor = f + strlen(f);
	return f;
}

static int
identity_parse_address(const char *f, uint64_t *out)
{
	uint64_t a;

	/*
	 * strtoull, as ZeroTier: leniency included (leading space, sign,
	 * "0x"); an overflow saturates and lands on a reserved address.
	 */
	a = strtoull(f, NULL, 16) & ADDRESS_MASK;
	if (zt_address_reserved(a))
		return -1;
	*out = a;
	return 0;
}

int
identity_from_string(struct identity *id, const char *str)
{
	char tmp[IDENTITY_TEXT_LIMIT], *cur, *f;
	size_t len;
	int fno = 0;

	memset(id, 0, sizeof(*id));
	if (str == NULL)
		return -1;
	len = strnlen(str, sizeof(tmp));
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, str, len + 1);
	cur = tmp;
	while ((f = identity_next_field(&cur)) != NULL) {
		switch (fno++) {
		case 0:
			if (identity_parse_address(f, &id->address) == -1)
				goto fail;
			break;
		case 1:
			if (strcmp(f, "0") != 0)
				goto fail;
			break;
		case 2:
			if (hex_lenient_decode(f, id->pub, sizeof(id->pub)) !=
			    sizeof(id->pub))
				goto fail;
			break;
		case 3:
			id->priv = secmem_alloc(C25519_PRIVATE_LEN);
			if (id->priv == NULL)
				goto fail;
			if (hex_lenient_decode(f, id->priv,
			    C25519_PRIVATE_LEN) != C25519_PRIVATE_LEN)
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	if (fno < 3)
		goto fail;
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
fail:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	identity_clear(id);
	return -1;
}

int
identity_to_string(const struct identity *id, bool with_private, char *out,
    size_t outlen)
{
	size_t need = 10 + 3 + 2 * C25519_PUBLIC_LEN + 1;
	char *p = out;

	/* asking for the secret form of a public identity is a bug */
	if (with_private && id->priv == NULL)
		return -1;
	if (with_private)
		need += 1 + 2 * C25519_PRIVATE_LEN;
	if (outlen < need)
		return -1;
	zt_address_fmt(id->address, p);
	p += 10;
	memcpy(p, ":0:", 3);
	p += 3;
	hex_encode(id->pub, sizeof(id->pub), p);
	p += 2 * sizeof(id->pub);
	if (with_private) {
		*p++ = ':';
		hex_encode(id->priv, C25519_PRIVATE_LEN, p);
	}
	return 0;
}

int
identity_serialize(const struct identity *id, bool with_private,
    struct wbuf *w)
{
	if (with_private && id->priv == NULL)
		return -1;
	wbuf_put_u40(w, id->address & ADDRESS_MASK);
	wbuf_put_u8(w, 0);
	wbuf_put_bytes(w, id->pub, sizeof(id->pub));
	if (with_private) {
		wbuf_put_u8(w, C25519_PRIVATE_LEN);
		wbuf_put_bytes(w, id->priv, C25519_PRIVATE_LEN);
	} else
		wbuf_put_u8(w, 0);
	return wbuf_failed(w) ? -1 : 0;
}

/*
 * As ZeroTier's Identity::deserialize: the address is not checked here
 * (identity_locally_valid does that), only the type and key length.
 */
int
identity_deserialize(struct identity *id, struct rbuf *r)
{
	uint8_t type, privlen;

	memset(id, 0, sizeof(*id));
	rbuf_get_u40(r, &id->address);
	rbuf_get_u8(r, &type);
	rbuf_get_bytes(r, id->pub, sizeof(id->pub));
	if (rbuf_get_u8(r, &privlen) == -1)
		goto fail;
	if (type != 0 || (privlen != 0 && privlen != C25519_PRIVATE_LEN)) {
		rbuf_fail(r);
		goto fail;
	}
	if (privlen != 0) {
		if ((id->priv = secmem_alloc(C25519_PRIVATE_LEN)) == NULL) {
			rbuf_fail(r);
			goto fail;
		}
		if (rbuf_get_bytes(r, id->priv, C25519_PRIVATE_LEN) == -1)
			goto fail;
	}
	return 0;
fail:
	identity_clear(id);
	return -1;
}

int
identity_agree_len(const struct identity *self,
    const struct identity *peer, uint8_t *key, size_t keylen)
{
	uint8_t raw[32], d[64];
	size_t n;

	if (self->priv == NULL)
		return -1;
	if (c25519_x25519(raw, self->priv, peer->pub) == -1) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return -1;
	}
	sha512(d, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	for (;;) {
		n = keylen < sizeof(d) ? keylen : sizeof(d);
		memcpy(key, d, n);
		key += n;
		keylen -= n;
		if (keylen == 0)
			break;
		sha512(d, d, sizeof(d));
	}
	OPENSSL_cleanse(d, sizeof(d));
	return 0;
}

int
identity_agree(const struct identity *self, const struct identity *peer,
    uint8_t key[ZT_AGREED_KEY_LEN])
{
	return identity_agree_len(self, peer, key, ZT_AGREED_KEY_LEN);
}

void
identity_hash_sha384(const struct identity *id, uint8_t out[48])
{
	uint8_t b[ZT_ADDRESS_LEN + C25519_PUBLIC_LEN];

	be40_put(b, id->address & ADDRESS_MASK);
	memcpy(b + ZT_ADDRESS_LEN, id->pub, C25519_PUBLIC_LEN);
	sha384(out, b, sizeof(b));
}

int
identity_sign(const struct identity *id, const void *msg, size_t len,
    uint8_t sig[ZT_SIGNATURE_LEN])
{
	if (id->priv == NULL)
		return -1;
	return c25519_zt_sign(sig, id->priv, msg, len);
}

int
identity_verify(const struct identity *id, const void *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	return c25519_zt_verify(id->pub, msg, len, sig, siglen);
}

bool
identity_has_private(const struct identity *id)
{
	return id->priv != NULL;
}

bool
identity_equal_public(const struct identity *a, const struct identity *b)
{
	return a->address == b->address &&
	    memcmp(a->pub, b->pub, sizeof(a->pub)) == 0;
}

int
identity_copy(struct identity *dst, const struct identity *src,
    bool with_private)
{
	memset(dst, 0, sizeof(*dst));
	if (with_private && src->priv == NULL)
		return -1;
	dst->address = src->address;
	memcpy(dst->pub, src->pub, sizeof(dst->pub));
	if (with_private) {
		if ((dst->priv = secmem_alloc(C25519_PRIVATE_LEN)) == NULL)
			return -1;
		memcpy(dst->priv, src->priv, C25519_PRIVATE_LEN);
	}
	return 0;
}

void
identity_clear(struct identity *id)
{
	secmem_free(id->priv, C25519_PRIVATE_LEN);
	OPENSSL_cleanse(id, sizeof(*id));
}
