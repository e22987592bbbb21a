/*
 * Revocation (spec/vl2.md §6.5, vectors/credentials.json
 * "revocations").
 */
#include <string.h>

#include "credential.h"

#define REV_SIGNED_LEN	(8 + 4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1 + 2 + 8)

static void
revocation_put_body(const struct revocation *v, struct wbuf *w)
{
	wbuf_put_u32(w, 0);
	wbuf_put_u32(w, v->id);
	wbuf_put_u64(w, v->nwid);
	wbuf_put_u32(w, 0);
	wbuf_put_u32(w, v->credential_id);
	wbuf_put_u64(w, (uint64_t)v->threshold);
	wbuf_put_u64(w, v->flags);
	wbuf_put_u40(w, v->target);
	wbuf_put_u40(w, v->signed_by);
	wbuf_put_u8(w, v->type);
}

int
revocation_serialize(const struct revocation *v, struct wbuf *w)
{
	revocation_put_body(v, w);
	cred_put_signature(w, v->signature);
	wbuf_put_u16(w, 0);
	return wbuf_failed(w) ? -1 : 0;
}

int
revocation_deserialize(struct revocation *v, struct rbuf *r)
{
	uint64_t threshold;

	memset(v, 0, sizeof(*v));
	/* the two zero words are unused: 1.14.1 skips them unread */
	rbuf_skip(r, 4);
	rbuf_get_u32(r, &v->id);
	rbuf_get_u64(r, &v->nwid);
	rbuf_skip(r, 4);
	rbuf_get_u32(r, &v->credential_id);
	rbuf_get_u64(r, &threshold);
	rbuf_get_u64(r, &v->flags);
	rbuf_get_u40(r, &v->target);
	rbuf_get_u40(r, &v->signed_by);
	rbuf_get_u8(r, &v->type);
	if (cred_get_signature(r, v->signature) == -1 ||
	    cred_skip_extensions(r) == -1) {
		memset(v, 0, sizeof(*v));
		return -1;
	}
	v->threshold = (int64_t)threshold;
	return 0;
}

int
revocation_signed_message(const struct revocation *v, struct wbuf *w)
{
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	revocation_put_body(v, w);
	wbuf_put_u16(w, 0);
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	return wbuf_failed(w) ? -1 : 0;
}

int
revocation_sign(struct revocation *v, const struct identity *signer)
{
	struct wbuf w;
	uint8_t buf[REV_SIGNED_LEN];
	uint64_t old = v->signed_by;

	if (!identity_has_private(signer))
		return -1;
	v->signed_by = signer->address;
	wbuf_init(&w, buf, sizeof(buf));
	if (revocation_signed_message(v, &w) == -1 ||
	    identity_sign(signer, buf, wbuf_len(&w), v->signature) == -1) {
		v->signed_by = old;
		return -1;
	}
	return 0;
}

enum cred_verify
revocation_verify(const struct revocation *v,
    const struct identity *controller)
{
	struct wbuf w;
	uint8_t buf[REV_SIGNED_LEN];

	wbuf_init(&w, buf, sizeof(buf));
	if (revocation_signed_message(v, &w) == -1)
		return CRED_VERIFY_BAD;
	return cred_check_signature(v->nwid, v->signed_by, controller, &w,
	    v->signature);
}

bool
revocation_fast_propagate(const struct revocation *v)
{
	return (v->flags & REVOCATION_FLAG_FAST_PROPAGATE) != 0;
}

bool
revocation_equal(const struct revocation *a, const struct revocation *b)
{
	return a->id == b->id && a->nwid == b->nwid &&
	    a->credential_id == b->credential_id &&
	    a->threshold == b->threshold && a->flags == b->flags &&
	    a->target == b->target && a->signed_by == b->signed_by &&
	    a->type == b->type &&
	    memcmp(a->signature, b->signature, ZT_SIGNATURE_LEN) == 0;
}
