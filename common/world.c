/*
 * World (planet/moon) encoding, signing and update rules (spec/vl1.md
 * §6; 1.14.1 node/World.hpp semantics).
 */
#include <stdlib.h>
#include <string.h>

#include "world.h"

/* the signed message is wrapped in these (spec/vl1.md §6.2) */
#define WORLD_SIG_HEAD		0x7f7f7f7f7f7f7f7fULL
#define WORLD_SIG_TAIL		0xf7f7f7f7f7f7f7f7ULL

void
world_clear(struct world *w)
{
	memset(w, 0, sizeof(*w));
}

int
world_init(struct world *w, uint8_t type, uint64_t id, uint64_t ts,
    const uint8_t update_key[C25519_PUBLIC_LEN])
{
	world_clear(w);
	if (type != WORLD_TYPE_PLANET && type != WORLD_TYPE_MOON)
		return -1;
	w->type = type;
	w->id = id;
	w->timestamp = ts;
	memcpy(w->update_key, update_key, C25519_PUBLIC_LEN);
	return 0;
}

int
world_add_root(struct world *w, const struct identity *id,
    const struct inetaddr *endpoints, unsigned int n)
{
	struct world_root *r;

	if (w->nroots >= WORLD_MAX_ROOTS || n > WORLD_MAX_ENDPOINTS)
		return -1;
	r = &w->roots[w->nroots];
	memset(r, 0, sizeof(*r));
	if (identity_copy(&r->identity, id, false) == -1)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		r->endpoints[i] = endpoints[i];
	r->nendpoints = n;
	w->nroots++;
	return 0;
}

static int
world_root_cmp(const void *a, const void *b)
{
	const struct world_root *ra = a, *rb = b;

	if (ra->identity.address != rb->identity.address)
		return ra->identity.address < rb->identity.address ? -1 : 1;
	return memcmp(ra->identity.pub, rb->identity.pub, C25519_PUBLIC_LEN);
}

static int
world_endpoint_cmp(const void *a, const void *b)
{
	return inetaddr_cmp(a, b);
}

void
world_sort(struct world *w)
{
	qsort(w->roots, w->nroots, sizeof(w->roots[0]), world_root_cmp);
	for (unsigned int i = 0; i < w->nroots; i++)
		qsort(w->roots[i].endpoints, w->roots[i].nendpoints,
		    sizeof(w->roots[i].endpoints[0]), world_endpoint_cmp);
}

/* the wire form, or (for_sign) the message the signature covers */
static int
world_write(const struct world *w, struct wbuf *b, bool for_sign)
{
	const struct world_root *r;

	if (w->nroots > WORLD_MAX_ROOTS)
		return -1;
	if (for_sign)
		wbuf_put_u64(b, WORLD_SIG_HEAD);
	wbuf_put_u8(b, w->type);
	wbuf_put_u64(b, w->id);
	wbuf_put_u64(b, w->timestamp);
	wbuf_put_bytes(b, w->update_key, C25519_PUBLIC_LEN);
	if (!for_sign)
		wbuf_put_bytes(b, w->signature, ZT_SIGNATURE_LEN);
	wbuf_put_u8(b, (uint8_t)w->nroots);
	for (unsigned int i = 0; i < w->nroots; i++) {
		r = &w->roots[i];
		if (r->nendpoints > WORLD_MAX_ENDPOINTS)
			return -1;
		identity_serialize(&r->identity, false, b);
		wbuf_put_u8(b, (uint8_t)r->nendpoints);
		for (unsigned int j = 0; j < r->nendpoints; j++)
			inetaddr_serialize(&r->endpoints[j], b);
	}
	/* moons carry an (always empty) dictionary length */
	if (w->type == WORLD_TYPE_MOON)
		wbuf_put_u16(b, 0);
	if (for_sign)
		wbuf_put_u64(b, WORLD_SIG_TAIL);
	return wbuf_failed(b) ? -1 : 0;
}

int
world_serialize(const struct world *w, struct wbuf *b)
{
	return world_write(w, b, false);
}

int
world_signed_message(const struct world *w, struct wbuf *b)
{
	return world_write(w, b, true);
}

static int
world_read_root(struct world_root *r, struct rbuf *b)
{
	uint8_t n;

	if (identity_deserialize(&r->identity, b) == -1)
		return -1;
	/* a root's secret has no business in a world from the network */
	if (identity_has_private(&r->identity)) {
		identity_clear(&r->identity);
		rbuf_fail(b);
		return -1;
	}
	if (rbuf_get_u8(b, &n) == -1)
		return -1;
	if (n > WORLD_MAX_ENDPOINTS) {
		rbuf_fail(b);
		return -1;
	}
	for (r->nendpoints = 0; r->nendpoints < n; r->nendpoints++)
		if (inetaddr_deserialize(&r->endpoints[r->nendpoints],
		    b) == -1)
			return -1;
	return 0;
}

int
world_deserialize(struct world *w, struct rbuf *b)
{
	size_t start = rbuf_remaining(b);
	uint16_t dictlen;
	uint8_t nroots;

	world_clear(w);
	if (rbuf_get_u8(b, &w->type) == -1)
		goto fail;
	if (w->type != WORLD_TYPE_NULL && w->type != WORLD_TYPE_PLANET &&
	    w->type != WORLD_TYPE_MOON) {
		rbuf_fail(b);
		goto fail;
	}
	rbuf_get_u64(b, &w->id);
	rbuf_get_u64(b, &w->timestamp);
	rbuf_get_bytes(b, w->update_key, C25519_PUBLIC_LEN);
	rbuf_get_bytes(b, w->signature, ZT_SIGNATURE_LEN);
	if (rbuf_get_u8(b, &nroots) == -1)
		goto fail;
	if (nroots > WORLD_MAX_ROOTS) {
		rbuf_fail(b);
		goto fail;
	}
	for (w->nroots = 0; w->nroots < nroots; w->nroots++)
		if (world_read_root(&w->roots[w->nroots], b) == -1)
			goto fail;
	/* the moon's dictionary is reserved; 1.14.1 skips it unread */
	if (w->type == WORLD_TYPE_MOON) {
		if (rbuf_get_u16(b, &dictlen) == -1 ||
		    rbuf_skip(b, dictlen) == -1)
			goto fail;
	}
	if (start - rbuf_remaining(b) > WORLD_MAX_SERIALIZED) {
		rbuf_fail(b);
		goto fail;
	}
	return 0;
fail:
	world_clear(w);
	return -1;
}

int
world_sign(struct world *w, const uint8_t priv[C25519_PRIVATE_LEN])
{
	uint8_t buf[WORLD_MAX_SERIALIZED];
	struct wbuf b;

	wbuf_init(&b, buf, sizeof(buf));
	if (world_signed_message(w, &b) == -1)
		return -1;
	return c25519_zt_sign(w->signature, priv, wbuf_data(&b),
	    wbuf_len(&b));
}

int
world_verify(const struct world *w, const uint8_t key[C25519_PUBLIC_LEN])
{
	uint8_t buf[WORLD_MAX_SERIALIZED];
	struct wbuf b;

	wbuf_init(&b, buf, sizeof(buf));
	if (world_signed_message(w, &b) == -1)
		return -1;
	return c25519_zt_verify(key, wbuf_data(&b), wbuf_len(&b),
	    w->signature, sizeof(w->signature));
}

int
world_verify_self(const struct world *w)
{
	return world_verify(w, w->update_key);
}

bool
world_should_be_replaced_by(const struct world *cur,
    const struct world *cand)
{
	if (cur->id == 0 || cur->type == WORLD_TYPE_NULL)
		return true;
	if (cand->id != cur->id || cand->type != cur->type ||
	    cand->timestamp <= cur->timestamp)
		return false;
	/* the current world names who may sign its successor */
	return world_verify(cand, cur->update_key) == 0;
}

static bool
world_root_equal(const struct world_root *a, const struct world_root *b)
{
	if (!identity_equal_public(&a->identity, &b->identity) ||
	    a->nendpoints != b->nendpoints)
		return false;
	for (unsigned int i = 0; i < a->nendpoints; i++)
		if (!inetaddr_equal(&a->endpoints[i], &b->endpoints[i]))
			return false;
	return true;
}

bool
world_equal(const struct world *a, const struct world *b)
{
	if (a->type != b->type || a->id != b->id ||
	    a->timestamp != b->timestamp || a->nroots != b->nroots ||
	    memcmp(a->update_key, b->update_key, C25519_PUBLIC_LEN) != 0 ||
	    memcmp(a->signature, b->signature, ZT_SIGNATURE_LEN) != 0)
		return false;
	for (unsigned int i = 0; i < a->nroots; i++)
		if (!world_root_equal(&a->roots[i], &b->roots[i]))
			return false;
	return true;
}

const struct world_root *
world_find_root(const struct world *w, uint64_t address)
{
	for (unsigned int i = 0; i < w->nroots; i++)
		if (w->roots[i].identity.address == address)
			return &w->roots[i];
	return NULL;
}
