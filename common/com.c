/*
 * Certificate of membership (spec/vl2.md §6.2, vectors/credentials.json
 * "certificates_of_membership" and "com_agreement").
 */
#include <string.h>

#include <openssl/crypto.h>

#include "credential.h"

#define COM_FORMAT		1
#define COM_NO_DELTA		0xffffffffffffffffULL

int
com_identity_hash(const struct identity *id, uint64_t words[4])
{
	uint8_t d[48];
	int i;

	identity_hash_sha384(id, d);
	/* only the first 32 of the 48 digest bytes are carried */
	for (i = 0; i < 4; i++)
		words[i] = be64_get(d + 8 * i);
	return 0;
}

int
com_issue(struct com *c, uint64_t nwid, int64_t timestamp,
    uint64_t max_delta, const struct identity *member)
{
	uint64_t h[4];
	int i;

	memset(c, 0, sizeof(*c));
	if (com_identity_hash(member, h) == -1)
		return -1;
	c->q[0] = (struct com_qualifier){ COM_Q_TIMESTAMP,
	    (uint64_t)timestamp, max_delta };
	c->q[1] = (struct com_qualifier){ COM_Q_NETWORK_ID, nwid, 0 };
	c->q[2] = (struct com_qualifier){ COM_Q_ISSUED_TO, member->address,
	    COM_NO_DELTA };
	for (i = 0; i < 4; i++)
		c->q[3 + i] = (struct com_qualifier){
		    (uint64_t)(COM_Q_IDHASH0 + i), h[i], COM_NO_DELTA };
	c->nq = 7;
	return 0;
}

uint64_t
com_qualifier_value(const struct com *c, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < c->nq; i++)
		if (c->q[i].id == id)
			return c->q[i].value;
	return 0;
}

int64_t
com_timestamp(const struct com *c)
{
	return (int64_t)com_qualifier_value(c, COM_Q_TIMESTAMP);
}

uint64_t
com_network_id(const struct com *c)
{
	return com_qualifier_value(c, COM_Q_NETWORK_ID);
}

uint64_t
com_issued_to(const struct com *c)
{
	return com_qualifier_value(c, COM_Q_ISSUED_TO);
}

static void
com_put_qualifiers(const struct com *c, struct wbuf *w)
{
	unsigned int i;

	for (i = 0; i < c->nq; i++) {
		wbuf_put_u64(w, c->q[i].id);
		wbuf_put_u64(w, c->q[i].value);
		wbuf_put_u64(w, c->q[i].max_delta);
	}
}

int
com_serialize(const struct com *c, struct wbuf *w)
{
	if (c->nq > COM_MAX_QUALIFIERS)
		return -1;
	wbuf_put_u8(w, COM_FORMAT);
	wbuf_put_u16(w, (uint16_t)c->nq);
	com_put_qualifiers(c, w);
	wbuf_put_u40(w, c->signed_by);
	if (c->signed_by != 0)
		wbuf_put_bytes(w, c->signature, ZT_SIGNATURE_LEN);
	return wbuf_failed(w) ? -1 : 0;
}

int
com_deserialize(struct com *c, struct rbuf *r)
{
	uint8_t format;
	uint16_t nq;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (rbuf_get_u8(r, &format) == -1 || rbuf_get_u16(r, &nq) == -1)
		goto fail;
	if (format != COM_FORMAT || nq > COM_MAX_QUALIFIERS) {
		rbuf_fail(r);
		goto fail;
	}
	for (i = 0; i < nq; i++) {
		rbuf_get_u64(r, &c->q[i].id);
		rbuf_get_u64(r, &c->q[i].value);
		rbuf_get_u64(r, &c->q[i].max_delta);
		/* equal ids pass, as in 1.14.1; descending ones do not */
		if (i > 0 && c->q[i].id < c->q[i - 1].id) {
			rbuf_fail(r);
			goto fail;
		}
	}
	c->nq = nq;
	if (rbuf_get_u40(r, &c->signed_by) == -1)
		goto fail;
	if (c->signed_by != 0 &&
	    rbuf_get_bytes(r, c->signature, ZT_SIGNATURE_LEN) == -1)
		goto fail;
	if (rbuf_failed(r))
		goto fail;
	return 0;
fail:
	memset(c, 0, sizeof(*c));
	return -1;
}

int
com_signed_message(const struct com *c, struct wbuf *w)
{
	if (c->nq > COM_MAX_QUALIFIERS)
		return -1;
	com_put_qualifiers(c, w);
	return wbuf_failed(w) ? -1 : 0;
}

int
com_sign(struct com *c, const struct identity *signer)
{
	struct wbuf w;
	uint8_t buf[COM_MAX_QUALIFIERS * 24];

	wbuf_init(&w, buf, sizeof(buf));
	if (!identity_has_private(signer) || com_signed_message(c, &w) == -1)
		return -1;
	if (identity_sign(signer, buf, wbuf_len(&w), c->signature) == -1)
		return -1;
	c->signed_by = signer->address;
	return 0;
}

enum cred_verify
com_verify(const struct com *c, const struct identity *controller)
{
	struct wbuf w;
	uint8_t buf[COM_MAX_QUALIFIERS * 24];

	wbuf_init(&w, buf, sizeof(buf));
	if (com_signed_message(c, &w) == -1)
		return CRED_VERIFY_BAD;
	return cred_check_signature(com_network_id(c), c->signed_by,
	    controller, &w, c->signature);
}

/* the value theirs holds for id; a repeated id counts by its last copy */
static bool
com_find(const struct com *c, uint64_t id, uint64_t *value)
{
	bool found = false;
	unsigned int i;

	for (i = 0; i < c->nq; i++) {
		if (c->q[i].id == id) {
			*value = c->q[i].value;
			found = true;
		}
	}
	return found;
}

bool
com_agrees(const struct com *mine, const struct com *theirs,
    const struct identity *their_identity)
{
	uint64_t a, b, h[4];
	bool full_id = false;
	unsigned int i;

	if (mine->nq == 0 || theirs->nq == 0)
		return false;
	for (i = 0; i < mine->nq; i++) {
		if (mine->q[i].id >= COM_Q_IDHASH0 &&
		    mine->q[i].id < COM_Q_IDHASH0 + 4)
			full_id = true;
		if (!com_find(theirs, mine->q[i].id, &b))
			return false;
		a = mine->q[i].value;
		if ((a >= b ? a - b : b - a) > mine->q[i].max_delta)
			return false;
	}
	/*
	 * Our COM carries our identity hash, so theirs must carry the hash
	 * of the identity that actually sent it: a COM copied from another
	 * member does not pass.
	 */
	if (full_id) {
		if (com_identity_hash(their_identity, h) == -1)
			return false;
		for (i = 0; i < 4; i++)
			if (!com_find(theirs, COM_Q_IDHASH0 + i, &b) ||
			    b != h[i])
				return false;
	}
	return true;
}

bool
com_equal(const struct com *a, const struct com *b)
{
	unsigned int i;

	if (a->nq != b->nq || a->signed_by != b->signed_by)
		return false;
	for (i = 0; i < a->nq; i++)
		if (a->q[i].id != b->q[i].id ||
		    a->q[i].value != b->q[i].value ||
		    a->q[i].max_delta != b->q[i].max_delta)
			return false;
	return a->signed_by == 0 ||
	    CRYPTO_memcmp(a->signature, b->signature, ZT_SIGNATURE_LEN) == 0;
}
