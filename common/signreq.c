/*
 * Typed signing requests (signreq.h).  The body is untrusted input to
 * the key holder: it is read through struct rbuf, parsed with the
 * credential codecs and must be consumed to its last byte.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "netconf_chunk.h"
#include "signreq.h"

const char *
signreq_err_str(enum signreq_err e)
{
	switch (e) {
	case SIGNREQ_OK:
		return "ok";
	case SIGNREQ_E_MALFORMED:
		return "not a signable object";
	case SIGNREQ_E_NETWORK:
		return "network not controlled by this node";
	case SIGNREQ_E_SIGN:
		return "signing failed";
	}
	return "unknown";
}

int
signreq_put_chunk(struct wbuf *w, const uint8_t *msg, size_t len)
{
	wbuf_put_u8(w, SIGNREQ_CHUNK);
	wbuf_put_bytes(w, msg, len);
	return wbuf_failed(w) ? -1 : 0;
}

int
signreq_put_com(struct wbuf *w, const struct com *c)
{
	struct com u = *c;

	/* the signature is the key holder's to make */
	u.signed_by = 0;
	wbuf_put_u8(w, SIGNREQ_COM);
	return com_serialize(&u, w);
}

int
signreq_put_capability(struct wbuf *w, const struct capability *c,
    uint64_t to)
{
	static struct capability u;

	u = *c;
	u.ncustody = 0;
	memset(u.custody, 0, sizeof(u.custody));
	wbuf_put_u8(w, SIGNREQ_CAPABILITY);
	wbuf_put_u40(w, to);
	return capability_serialize(&u, w);
}

int
signreq_put_tag(struct wbuf *w, const struct tag *t)
{
	wbuf_put_u8(w, SIGNREQ_TAG);
	return tag_serialize(t, w);
}

int
signreq_put_revocation(struct wbuf *w, const struct revocation *v)
{
	wbuf_put_u8(w, SIGNREQ_REVOCATION);
	return revocation_serialize(v, w);
}

int
signreq_put_coo(struct wbuf *w, const struct coo *c)
{
	wbuf_put_u8(w, SIGNREQ_COO);
	return coo_serialize(c, w);
}

static bool
signreq_ours(uint64_t nwid, const struct identity *key)
{
	return cred_controller(nwid) == key->address;
}

/* an object that already names a signer must name this node */
static bool
signreq_signer_ok(uint64_t signed_by, const struct identity *key)
{
	return signed_by == 0 || signed_by == key->address;
}

static enum signreq_err
signreq_sign_chunk(struct rbuf *r, const struct identity *key,
    uint8_t sig[ZT_SIGNATURE_LEN])
{
	const uint8_t *p;
	size_t len = rbuf_remaining(r);
	uint64_t nwid;

	if (rbuf_get_ptr(r, len, &p) == -1 ||
	    netconf_chunk_message_check(p, len, &nwid) == -1)
		return SIGNREQ_E_MALFORMED;
	if (!signreq_ours(nwid, key))
		return SIGNREQ_E_NETWORK;
	return identity_sign(key, p, len, sig) == 0 ? SIGNREQ_OK :
	    SIGNREQ_E_SIGN;
}

static enum signreq_err
signreq_sign_cred(enum signreq_kind kind, struct rbuf *r,
    const struct identity *key, uint8_t sig[ZT_SIGNATURE_LEN])
{
	/* static: a capability is large; the key holder is single-threaded */
	static struct capability cap;
	struct com com;
	struct tag tag;
	struct revocation rev;
	struct coo coo;
	uint64_t to = 0, nwid = 0;
	bool signer_ok = true;
	int rc = -1;

	switch (kind) {
	case SIGNREQ_COM:
		rc = com_deserialize(&com, r);
		nwid = com_network_id(&com);
		signer_ok = com.signed_by == 0;
		break;
	case SIGNREQ_CAPABILITY:
		rbuf_get_u40(r, &to);
		rc = capability_deserialize(&cap, r);
		nwid = cap.nwid;
		signer_ok = cap.ncustody == 0 && to != 0;
		break;
	case SIGNREQ_TAG:
		rc = tag_deserialize(&tag, r);
		nwid = tag.nwid;
		signer_ok = signreq_signer_ok(tag.signed_by, key);
		break;
	case SIGNREQ_REVOCATION:
		rc = revocation_deserialize(&rev, r);
		nwid = rev.nwid;
		signer_ok = signreq_signer_ok(rev.signed_by, key);
		break;
	case SIGNREQ_COO:
		rc = coo_deserialize(&coo, r);
		nwid = coo.nwid;
		signer_ok = signreq_signer_ok(coo.signed_by, key);
		break;
	default:
		return SIGNREQ_E_MALFORMED;
	}
	if (rc == -1 || !rbuf_done(r) || !signer_ok)
		return SIGNREQ_E_MALFORMED;
	if (!signreq_ours(nwid, key))
		return SIGNREQ_E_NETWORK;
	switch (kind) {
	case SIGNREQ_COM:
		rc = com_sign(&com, key);
		memcpy(sig, com.signature, ZT_SIGNATURE_LEN);
		break;
	case SIGNREQ_CAPABILITY:
		rc = capability_sign(&cap, key, to);
		memcpy(sig, cap.custody[0].signature, ZT_SIGNATURE_LEN);
		break;
	case SIGNREQ_TAG:
		rc = tag_sign(&tag, key);
		memcpy(sig, tag.signature, ZT_SIGNATURE_LEN);
		break;
	case SIGNREQ_REVOCATION:
		rc = revocation_sign(&rev, key);
		memcpy(sig, rev.signature, ZT_SIGNATURE_LEN);
		break;
	default:
		rc = coo_sign(&coo, key);
		memcpy(sig, coo.signature, ZT_SIGNATURE_LEN);
		break;
	}
	return rc == 0 ? SIGNREQ_OK : SIGNREQ_E_SIGN;
}

enum signreq_err
signreq_sign(const uint8_t *body, size_t len, const struct identity *key,
    enum signreq_kind *kind, uint8_t sig[ZT_SIGNATURE_LEN])
{
	enum signreq_err e;
	struct rbuf r;
	uint8_t k;

	rbuf_init(&r, body, len);
	if (rbuf_get_u8(&r, &k) == -1)
		return SIGNREQ_E_MALFORMED;
	*kind = k;
	if (k == SIGNREQ_CHUNK)
		e = signreq_sign_chunk(&r, key, sig);
	else
		e = signreq_sign_cred(k, &r, key, sig);
	if (e != SIGNREQ_OK)
		OPENSSL_cleanse(sig, ZT_SIGNATURE_LEN);
	return e;
}
