/*
 * Certificate of ownership (spec/vl2.md §6.6, vectors/credentials.json
 * "certificates_of_ownership").
 */
#include <string.h>

#include "credential.h"

#define COO_SIGNED_MAX	(8 + 8 + 8 + 8 + 4 + 2 + COO_MAX_THINGS * 17 + \
			    5 + 5 + 2 + 8)

int
coo_add_thing(struct coo *c, enum coo_thing_type type, const void *value,
    size_t len)
{
	struct coo_thing *t;

	if (c->nthings >= COO_MAX_THINGS || len > COO_THING_VALUE_LEN)
		return -1;
	t = &c->things[c->nthings++];
	memset(t, 0, sizeof(*t));
	t->type = (uint8_t)type;
	if (len > 0)
		memcpy(t->value, value, len);
	return 0;
}

bool
coo_owns(const struct coo *c, enum coo_thing_type type, const void *value,
    size_t len)
{
	unsigned int i;

	if (len > COO_THING_VALUE_LEN)
		return false;
	for (i = 0; i < c->nthings && i < COO_MAX_THINGS; i++)
		if (c->things[i].type == type &&
		    memcmp(c->things[i].value, value, len) == 0)
			return true;
	return false;
}

bool
coo_owns_mac(const struct coo *c, const uint8_t mac[6])
{
	return coo_owns(c, COO_THING_MAC, mac, 6);
}

bool
coo_owns_ipv4(const struct coo *c, const uint8_t ip[4])
{
	return coo_owns(c, COO_THING_IPV4, ip, 4);
}

bool
coo_owns_ipv6(const struct coo *c, const uint8_t ip[16])
{
	return coo_owns(c, COO_THING_IPV6, ip, 16);
}

static int
coo_put_body(const struct coo *c, struct wbuf *w)
{
	unsigned int i;

	if (c->nthings > COO_MAX_THINGS)
		return -1;
	wbuf_put_u64(w, c->nwid);
	wbuf_put_u64(w, (uint64_t)c->timestamp);
	wbuf_put_u64(w, c->flags);
	wbuf_put_u32(w, c->id);
	wbuf_put_u16(w, (uint16_t)c->nthings);
	for (i = 0; i < c->nthings; i++) {
		wbuf_put_u8(w, c->things[i].type);
		wbuf_put_bytes(w, c->things[i].value, COO_THING_VALUE_LEN);
	}
	wbuf_put_u40(w, c->issued_to);
	wbuf_put_u40(w, c->signed_by);
	return 0;
}

int
coo_serialize(const struct coo *c, struct wbuf *w)
{
	if (coo_put_body(c, w) == -1)
		return -1;
	cred_put_signature(w, c->signature);
	wbuf_put_u16(w, 0);
	return wbuf_failed(w) ? -1 : 0;
}

int
coo_deserialize(struct coo *c, struct rbuf *r)
{
	uint64_t ts;
	uint16_t n;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	rbuf_get_u64(r, &c->nwid);
	rbuf_get_u64(r, &ts);
	rbuf_get_u64(r, &c->flags);
	rbuf_get_u32(r, &c->id);
	if (rbuf_get_u16(r, &n) == -1)
		goto fail;
	if (n > COO_MAX_THINGS) {
		rbuf_fail(r);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		rbuf_get_u8(r, &c->things[i].type);
		rbuf_get_bytes(r, c->things[i].value, COO_THING_VALUE_LEN);
	}
	c->nthings = n;
	rbuf_get_u40(r, &c->issued_to);
	rbuf_get_u40(r, &c->signed_by);
	if (cred_get_signature(r, c->signature) == -1 ||
	    cred_skip_extensions(r) == -1)
		goto fail;
	c->timestamp = (int64_t)ts;
	return 0;
fail:
	memset(c, 0, sizeof(*c));
	return -1;
}

int
coo_signed_message(const struct coo *c, struct wbuf *w)
{
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	if (coo_put_body(c, w) == -1)
		return -1;
	wbuf_put_u16(w, 0);
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	return wbuf_failed(w) ? -1 : 0;
}

int
coo_sign(struct coo *c, const struct identity *signer)
{
	struct wbuf w;
	uint8_t buf[COO_SIGNED_MAX];
	uint64_t old = c->signed_by;

	if (!identity_has_private(signer))
		return -1;
	c->signed_by = signer->address;
	wbuf_init(&w, buf, sizeof(buf));
	if (coo_signed_message(c, &w) == -1 ||
	    identity_sign(signer, buf, wbuf_len(&w), c->signature) == -1) {
		c->signed_by = old;
		return -1;
	}
	return 0;
}

enum cred_verify
coo_verify(const struct coo *c, const struct identity *controller)
{
	struct wbuf w;
	uint8_t buf[COO_SIGNED_MAX];

	wbuf_init(&w, buf, sizeof(buf));
	if (coo_signed_message(c, &w) == -1)
		return CRED_VERIFY_BAD;
	return cred_check_signature(c->nwid, c->signed_by, controller, &w,
	    c->signature);
}

bool
coo_equal(const struct coo *a, const struct coo *b)
{
	unsigned int i;

	if (a->nwid != b->nwid || a->timestamp != b->timestamp ||
	    a->flags != b->flags || a->id != b->id ||
	    a->nthings != b->nthings || a->issued_to != b->issued_to ||
	    a->signed_by != b->signed_by ||
	    memcmp(a->signature, b->signature, ZT_SIGNATURE_LEN) != 0)
		return false;
	for (i = 0; i < a->nthings && i < COO_MAX_THINGS; i++)
		if (a->things[i].type != b->things[i].type ||
		    memcmp(a->things[i].value, b->things[i].value,
		    COO_THING_VALUE_LEN) != 0)
			return false;
	return true;
}
