/*
 * ZeroTier's C25519 key pair and 96-byte signature on OpenSSL's X25519 and
 * Ed25519 (spec/vl1.md §1.1, §1.9; vectors/README.md, signatures.json).
 *
 * Building an EVP_PKEY from a raw private key makes OpenSSL derive its
 * public key, a full scalar multiplication.  A process signs and agrees
 * with one private key almost always (its identity), so each thread keeps
 * the EVP_PKEY of the last private key it used and rebuilds it only when
 * the key changes; c25519_forget() drops (and wipes) that cache.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "c25519.h"
#include "log.h"
#include "sha.h"

struct c25519_cache {
	EVP_PKEY	*pkey;
	uint8_t		 priv[32];
};

static __thread struct c25519_cache	c25519_xcache;
static __thread struct c25519_cache	c25519_edcache;
static __thread EVP_MD_CTX		*c25519_mdctx;
static __thread EVP_PKEY_CTX		*c25519_derivectx;

static void
c25519_cache_clear(struct c25519_cache *c)
{
	EVP_PKEY_free(c->pkey);
	c->pkey = NULL;
	OPENSSL_cleanse(c->priv, sizeof(c->priv));
}

void
c25519_forget(void)
{
	c25519_cache_clear(&c25519_xcache);
	c25519_cache_clear(&c25519_edcache);
	EVP_PKEY_CTX_free(c25519_derivectx);
	c25519_derivectx = NULL;
	EVP_MD_CTX_free(c25519_mdctx);
	c25519_mdctx = NULL;
}

/* the (cached) EVP_PKEY of a raw 32-byte private key of type nid */
static EVP_PKEY *
c25519_privkey(struct c25519_cache *c, int nid, const uint8_t priv[32])
{
	if (c->pkey != NULL && CRYPTO_memcmp(c->priv, priv, 32) == 0)
		return c->pkey;
	if (c == &c25519_xcache) {
		/* the derive context holds the old key */
		EVP_PKEY_CTX_free(c25519_derivectx);
		c25519_derivectx = NULL;
	}
	c25519_cache_clear(c);
	if ((c->pkey = EVP_PKEY_new_raw_private_key(nid, NULL, priv,
	    32)) == NULL)
		return NULL;
	memcpy(c->priv, priv, 32);
	return c->pkey;
}

static EVP_MD_CTX *
c25519_md_ctx(void)
{
	if (c25519_mdctx == NULL)
		c25519_mdctx = EVP_MD_CTX_new();
	else
		EVP_MD_CTX_reset(c25519_mdctx);
	return c25519_mdctx;
}

int
c25519_warmup(void)
{
	uint8_t pub[64], priv[64], sig[96];
	int rc;

	/* one of everything: loads and fetches while no sandbox is up */
	rc = c25519_generate(pub, priv);
	if (rc == 0)
		rc = c25519_zt_sign(sig, priv, "", 0);
	if (rc == 0)
		rc = c25519_zt_verify(pub, "", 0, sig, sizeof(sig));
	if (rc == 0)
		rc = c25519_x25519(sig, priv, pub);
	OPENSSL_cleanse(priv, sizeof(priv));
	OPENSSL_cleanse(sig, sizeof(sig));
	c25519_forget();
	return rc;
}

int
c25519_generate(uint8_t pub[64], uint8_t priv[64])
{
	if (RAND_priv_bytes(priv, 64) != 1) {
		log_warnx("c25519: no random bytes");
		return -1;
	}
	if (c25519_public_from_private(pub, priv) == -1) {
		OPENSSL_cleanse(priv, 64);
		return -1;
	}
	return 0;
}

static int
c25519_raw_public(EVP_PKEY *pk, uint8_t out[32])
{
	size_t n = 32;

	if (pk == NULL || !EVP_PKEY_get_raw_public_key(pk, out, &n) ||
	    n != 32)
		return -1;
	return 0;
}

int
c25519_public_from_private(uint8_t pub[64], const uint8_t priv[64])
{
	EVP_PKEY *x = NULL, *ed = NULL;
	int rc = -1;

	x = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv + 32,
	    32);
	if (c25519_raw_public(x, pub) == -1 ||
	    c25519_raw_public(ed, pub + 32) == -1)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_free(x);
	EVP_PKEY_free(ed);
	return rc;
}

int
c25519_x25519(uint8_t out[32], const uint8_t priv[64], const uint8_t pub[64])
{
	EVP_PKEY *mine, *peer = NULL;
	size_t n = 32;
	int rc = -1;

	if ((mine = c25519_privkey(&c25519_xcache, EVP_PKEY_X25519,
	    priv)) == NULL)
		return -1;
	if (c25519_derivectx == NULL &&
	    (c25519_derivectx = EVP_PKEY_CTX_new(mine, NULL)) == NULL)
		return -1;
	if ((peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
	    32)) == NULL)
		goto fail;
	/*
	 * OpenSSL refuses an all-zero result (a small-order peer key); that
	 * is a failed agreement for us too.
	 */
	if (EVP_PKEY_derive_init(c25519_derivectx) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(c25519_derivectx, peer, 0) <= 0 ||
	    EVP_PKEY_derive(c25519_derivectx, out, &n) <= 0 || n != 32)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_free(peer);
	return rc;
}

int
c25519_ed25519_sign(uint8_t sig[64], const uint8_t priv[64],
    const void *msg, size_t len)
{
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	size_t n = 64;

	if ((pk = c25519_privkey(&c25519_edcache, EVP_PKEY_ED25519,
	    priv + 32)) == NULL || (md = c25519_md_ctx()) == NULL)
		return -1;
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, pk) != 1 ||
	    EVP_DigestSign(md, sig, &n, msg, len) != 1 || n != 64)
		return -1;
	return 0;
}

int
c25519_ed25519_verify(const uint8_t pub[64], const void *msg, size_t len,
    const uint8_t sig[64])
{
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	int rc = -1;

	if ((pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    pub + 32, 32)) == NULL)
		return -1;
	if ((md = c25519_md_ctx()) == NULL)
		goto fail;
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) != 1 ||
	    EVP_DigestVerify(md, sig, 64, msg, len) != 1)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_free(pk);
	return rc;
}

int
c25519_zt_sign(uint8_t sig[96], const uint8_t priv[64], const void *msg,
    size_t len)
{
	uint8_t digest[64];
	int rc;

	/* what is signed is the 32-byte digest prefix, not msg itself */
	sha512(digest, msg, len);
	rc = c25519_ed25519_sign(sig, priv, digest, 32);
	memcpy(sig + 64, digest, 32);
	return rc;
}

int
c25519_zt_verify(const uint8_t pub[64], const void *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	uint8_t digest[64];

	if (siglen != ZT_SIGNATURE_LEN)
		return -1;
	sha512(digest, msg, len);
	/* the reference checks the appended digest first (Identity::verify) */
	if (CRYPTO_memcmp(digest, sig + 64, 32) != 0)
		return -1;
	return c25519_ed25519_verify(pub, digest, 32, sig);
}
