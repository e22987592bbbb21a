/*
 * Tag (spec/vl2.md §6.4, vectors/credentials.json "tags").
 */
#include <string.h>

#include "credential.h"

#define TAG_SIGNED_LEN	(8 + 8 + 8 + 4 + 4 + 5 + 5 + 2 + 8)

static void
tag_put_body(const struct tag *t, struct wbuf *w)
{
	wbuf_put_u64(w, t->nwid);
	wbuf_put_u64(w, (uint64_t)t->timestamp);
	wbuf_put_u32(w, t->id);
	wbuf_put_u32(w, t->value);
	wbuf_put_u40(w, t->issued_to);
	wbuf_put_u40(w, t->signed_by);
}

int
tag_serialize(const struct tag *t, struct wbuf *w)
{
	tag_put_body(t, w);
	cred_put_signature(w, t->signature);
	wbuf_put_u16(w, 0);
	return wbuf_failed(w) ? -1 : 0;
}

int
tag_deserialize(struct tag *t, struct rbuf *r)
{
	uint64_t ts;

	memset(t, 0, sizeof(*t));
	rbuf_get_u64(r, &t->nwid);
	rbuf_get_u64(r, &ts);
	rbuf_get_u32(r, &t->id);
	rbuf_get_u32(r, &t->value);
	rbuf_get_u40(r, &t->issued_to);
	rbuf_get_u40(r, &t->signed_by);
	if (cred_get_signature(r, t->signature) == -1 ||
	    cred_skip_extensions(r) == -1) {
		memset(t, 0, sizeof(*t));
		return -1;
	}
	t->timestamp = (int64_t)ts;
	return 0;
}

int
tag_signed_message(const struct tag *t, struct wbuf *w)
{
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	tag_put_body(t, w);
	wbuf_put_u16(w, 0);
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	return wbuf_failed(w) ? -1 : 0;
}

int
tag_sign(struct tag *t, const struct identity *signer)
{
	struct wbuf w;
	uint8_t buf[TAG_SIGNED_LEN];
	uint64_t old = t->signed_by;

	if (!identity_has_private(signer))
		return -1;
	/* signed_by is part of what is signed */
	t->signed_by = signer->address;
	wbuf_init(&w, buf, sizeof(buf));
	if (tag_signed_message(t, &w) == -1 ||
	    identity_sign(signer, buf, wbuf_len(&w), t->signature) == -1) {
		t->signed_by = old;
		return -1;
	}
	return 0;
}

enum cred_verify
tag_verify(const struct tag *t, const struct identity *controller)
{
	struct wbuf w;
	uint8_t buf[TAG_SIGNED_LEN];

	wbuf_init(&w, buf, sizeof(buf));
	if (tag_signed_message(t, &w) == -1)
		return CRED_VERIFY_BAD;
	return cred_check_signature(t->nwid, t->signed_by, controller, &w,
	    t->signature);
}

bool
tag_equal(const struct tag *a, const struct tag *b)
{
	return a->nwid == b->nwid && a->timestamp == b->timestamp &&
	    a->id == b->id && a->value == b->value &&
	    a->issued_to == b->issued_to && a->signed_by == b->signed_by &&
	    memcmp(a->signature, b->signature, ZT_SIGNATURE_LEN) == 0;
}
