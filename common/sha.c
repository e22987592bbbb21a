/*
 * SHA-512/384 and HMAC-SHA384 through OpenSSL.  Algorithms are fetched once
 * per process and the contexts are kept per thread and reused: a fetch or
 * a context allocation per call (EVP_Q_digest) costs more than hashing a
 * short message.  A failing fetch means the OpenSSL installation is broken,
 * which no caller can handle, hence fatalx.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "sha.h"

static pthread_once_t	 sha_once = PTHREAD_ONCE_INIT;
static EVP_MD		*sha_md512;
static EVP_MD		*sha_md384;
static EVP_MAC		*sha_hmac;

static __thread EVP_MD_CTX	*sha_mdctx;
static __thread EVP_MAC_CTX	*sha_macctx;

static void
sha_fetch(void)
{
	sha_md512 = EVP_MD_fetch(NULL, "SHA512", NULL);
	sha_md384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	sha_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (sha_md512 == NULL || sha_md384 == NULL || sha_hmac == NULL)
		fatalx("sha: OpenSSL lacks SHA-512/SHA-384/HMAC");
}

int
sha_warmup(void)
{
	OSSL_PARAM params[2];
	char digest[] = "SHA384";

	pthread_once(&sha_once, sha_fetch);
	if (sha_mdctx == NULL && (sha_mdctx = EVP_MD_CTX_new()) == NULL)
		fatalx("sha: out of memory");
	if (sha_macctx == NULL) {
		if ((sha_macctx = EVP_MAC_CTX_new(sha_hmac)) == NULL)
			fatalx("sha: out of memory");
		/* the digest is set once; each call only sets the key */
		params[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_MAC_PARAM_DIGEST, digest, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_CTX_set_params(sha_macctx, params))
			fatalx("sha: cannot set up HMAC-SHA384");
	}
	return 0;
}

static void
sha_digest(const EVP_MD *md, uint8_t *out, const void *msg, size_t len)
{
	unsigned int n;

	if (sha_mdctx == NULL)
		sha_warmup();
	if (!EVP_DigestInit_ex2(sha_mdctx, md, NULL) ||
	    !EVP_DigestUpdate(sha_mdctx, msg, len) ||
	    !EVP_DigestFinal_ex(sha_mdctx, out, &n))
		fatalx("sha: digest failed");
}

void
sha512(uint8_t out[64], const void *msg, size_t len)
{
	pthread_once(&sha_once, sha_fetch);
	sha_digest(sha_md512, out, msg, len);
}

void
sha384(uint8_t out[48], const void *msg, size_t len)
{
	pthread_once(&sha_once, sha_fetch);
	sha_digest(sha_md384, out, msg, len);
}

void
hmac_sha384(uint8_t out[48], const uint8_t *key, size_t keylen,
    const void *msg, size_t len)
{
	size_t n;

	if (sha_macctx == NULL)
		sha_warmup();
	if (!EVP_MAC_init(sha_macctx, key, keylen, NULL) ||
	    !EVP_MAC_update(sha_macctx, msg, len) ||
	    !EVP_MAC_final(sha_macctx, out, &n, 48) || n != 48)
		fatalx("sha: HMAC-SHA384 failed");
}

void
zt_kbkdf_hmac_sha384(uint8_t out[48], const uint8_t key[48], char label,
    uint8_t context, uint32_t iter)
{
	uint8_t msg[13];

	/* vectors/README.md (agreement.json, KBKDF) */
	msg[0] = (uint8_t)(iter >> 24);
	msg[1] = (uint8_t)(iter >> 16);
	msg[2] = (uint8_t)(iter >> 8);
	msg[3] = (uint8_t)iter;
	msg[4] = 'Z';
	msg[5] = 'T';
	msg[6] = (uint8_t)label;
	msg[7] = 0;
	msg[8] = context;
	msg[9] = 0;
	msg[10] = 0;
	msg[11] = 0x01;
	msg[12] = 0x80;
	hmac_sha384(out, key, 48, msg, sizeof(msg));
}
