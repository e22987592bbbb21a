/*
 * Config chunks and their reassembly (spec/vl2.md §3.7), and the config
 * request payload (§3.5).  Every received byte is read through struct
 * rbuf; limits are checked in 64-bit before any copy.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "netconf_chunk.h"

int
netconf_chunk_parse(struct netconf_chunk *c, struct rbuf *r)
{
	const uint8_t *sig;
	size_t start = r->off;
	uint16_t siglen;
	uint8_t sigtype;

	memset(c, 0, sizeof(*c));
	c->raw = r->p + r->off;
	c->raw_len = rbuf_remaining(r);
	rbuf_get_u64(r, &c->nwid);
	rbuf_get_u16(r, &c->len);
	rbuf_get_ptr(r, c->len, &c->data);
	if (rbuf_failed(r))
		return -1;
	if (rbuf_remaining(r) == 0) {
		c->legacy = true;
		c->total = c->len;
		return c->total >= DICT_CAP_NETCONF ? -1 : 0;
	}
	rbuf_get_u8(r, &c->flags);
	rbuf_get_u64(r, &c->update_id);
	rbuf_get_u32(r, &c->total);
	rbuf_get_u32(r, &c->index);
	c->signed_len = r->off - start;
	rbuf_get_u8(r, &sigtype);
	rbuf_get_u16(r, &siglen);
	if (rbuf_failed(r))
		return -1;
	/* 1.14.1 checks the limits before the signature fields */
	if ((uint64_t)c->index + c->len > c->total ||
	    c->total >= DICT_CAP_NETCONF)
		return -1;
	if (sigtype != 1 || siglen != ZT_SIGNATURE_LEN)
		return -1;
	if (rbuf_get_ptr(r, ZT_SIGNATURE_LEN, &sig) == -1)
		return -1;
	memcpy(c->signature, sig, ZT_SIGNATURE_LEN);
	/* whatever follows the signature is ignored, as in 1.14.1 */
	rbuf_skip(r, rbuf_remaining(r));
	return 0;
}

uint64_t
netconf_chunk_id(const uint8_t sig[ZT_SIGNATURE_LEN])
{
	uint8_t b[8];
	int i;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 16; i++)
		b[i & 7] ^= sig[i];
	return be64_get(b);
}

void
netconf_chunks_free(struct netconf_chunks *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		free(cs->chunk[i].buf);
	free(cs->chunk);
	memset(cs, 0, sizeof(*cs));
}

int
netconf_chunks_build(struct netconf_chunks *cs, uint64_t nwid,
    uint64_t update_id, uint8_t flags, const uint8_t *dict, size_t len,
    size_t max_data)
{
	struct netconf_chunk_out *o;
	struct wbuf w;
	size_t i, off, n;

	memset(cs, 0, sizeof(*cs));
	if (max_data == 0 || max_data > NETCONF_CHUNK_DATA_MAX)
		max_data = NETCONF_CHUNK_DATA_MAX;
	if (update_id == 0 || len == 0 || len >= DICT_CAP_NETCONF)
		return -1;
	n = (len + max_data - 1) / max_data;
	if ((cs->chunk = calloc(n, sizeof(*cs->chunk))) == NULL)
		return -1;
	cs->nwid = nwid;
	cs->update_id = update_id;
	cs->n = n;
	for (i = 0, off = 0; i < n; i++, off += max_data) {
		size_t clen = len - off < max_data ? len - off : max_data;

		o = &cs->chunk[i];
		o->len = NETCONF_CHUNK_HEAD_LEN + clen +
		    NETCONF_CHUNK_SIGNED_TAIL + NETCONF_CHUNK_SIG_LEN;
		if ((o->buf = calloc(1, o->len)) == NULL)
			goto fail;
		wbuf_init(&w, o->buf, o->len);
		wbuf_put_u64(&w, nwid);
		wbuf_put_u16(&w, (uint16_t)clen);
		wbuf_put_bytes(&w, dict + off, clen);
		wbuf_put_u8(&w, flags);
		wbuf_put_u64(&w, update_id);
		wbuf_put_u32(&w, (uint32_t)len);
		wbuf_put_u32(&w, (uint32_t)off);
		o->signed_len = wbuf_len(&w);
		wbuf_put_u8(&w, 1);
		wbuf_put_u16(&w, ZT_SIGNATURE_LEN);
		wbuf_put_zero(&w, ZT_SIGNATURE_LEN);
		if (wbuf_failed(&w) || wbuf_len(&w) != o->len)
			goto fail;
	}
	return 0;
fail:
	netconf_chunks_free(cs);
	return -1;
}

const uint8_t *
netconf_chunks_message(const struct netconf_chunks *cs, size_t i,
    size_t *len)
{
	if (i >= cs->n)
		return NULL;
	*len = cs->chunk[i].signed_len;
	return cs->chunk[i].buf;
}

int
netconf_chunks_set_signature(struct netconf_chunks *cs, size_t i,
    const uint8_t sig[ZT_SIGNATURE_LEN])
{
	struct netconf_chunk_out *o;

	if (i >= cs->n)
		return -1;
	o = &cs->chunk[i];
	memcpy(o->buf + o->len - ZT_SIGNATURE_LEN, sig, ZT_SIGNATURE_LEN);
	o->signed_ok = true;
	return 0;
}

int
netconf_chunks_sign(struct netconf_chunks *cs, const struct identity *id)
{
	uint8_t sig[ZT_SIGNATURE_LEN];
	size_t i;

	for (i = 0; i < cs->n; i++) {
		if (identity_sign(id, cs->chunk[i].buf,
		    cs->chunk[i].signed_len, sig) == -1 ||
		    netconf_chunks_set_signature(cs, i, sig) == -1)
			return -1;
	}
	return 0;
}

bool
netconf_chunks_complete(const struct netconf_chunks *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (!cs->chunk[i].signed_ok)
			return false;
	return cs->n > 0;
}

int
netconf_chunk_message_check(const uint8_t *p, size_t len, uint64_t *nwid)
{
	uint32_t total, index;
	uint64_t id, update;
	uint16_t clen;
	uint8_t flags;
	struct rbuf r;

	rbuf_init(&r, p, len);
	rbuf_get_u64(&r, &id);
	rbuf_get_u16(&r, &clen);
	rbuf_skip(&r, clen);
	rbuf_get_u8(&r, &flags);
	rbuf_get_u64(&r, &update);
	rbuf_get_u32(&r, &total);
	rbuf_get_u32(&r, &index);
	if (!rbuf_done(&r))
		return -1;
	if (clen == 0 || clen > NETCONF_CHUNK_DATA_MAX || update == 0 ||
	    (uint64_t)index + clen > total || total >= DICT_CAP_NETCONF ||
	    (flags & ~NETCONF_CHUNK_F_FAST_PROPAGATE) != 0)
		return -1;
	*nwid = id;
	return 0;
}

void
netconf_asm_init(struct netconf_asm *a, uint64_t nwid)
{
	memset(a, 0, sizeof(*a));
	a->nwid = nwid;
	a->controller = nwid >> 24;
}

void
netconf_asm_free(struct netconf_asm *a)
{
	int i;

	for (i = 0; i < NETCONF_ASM_SLOTS; i++)
		free(a->slot[i].data);
	memset(a, 0, sizeof(*a));
}

/*
 * 1.14.1's slot choice: the slot holding this update (a duplicate chunk
 * id there ends the search), else the least recently used one.
 */
static struct netconf_asm_slot *
netconf_asm_find(struct netconf_asm *a, uint64_t update_id,
    uint64_t chunk_id, bool *dup)
{
	struct netconf_asm_slot *c = NULL, *s;
	size_t j;
	int i;

	*dup = false;
	for (i = 0; i < NETCONF_ASM_SLOTS; i++) {
		s = &a->slot[i];
		if (s->update_id == update_id) {
			for (j = 0; j < s->nids; j++)
				if (s->ids[j] == chunk_id)
					*dup = true;
			return s;
		}
		if (c == NULL || s->age < c->age)
			c = s;
	}
	return c;
}

static struct netconf_asm_slot *
netconf_asm_oldest(struct netconf_asm *a)
{
	struct netconf_asm_slot *c = &a->slot[0];
	int i;

	for (i = 1; i < NETCONF_ASM_SLOTS; i++)
		if (a->slot[i].age < c->age)
			c = &a->slot[i];
	return c;
}

/* a slot's buffer covers every byte a chunk of this total may touch */
static int
netconf_asm_grow(struct netconf_asm_slot *s, uint32_t total)
{
	size_t want = (size_t)total + 1;
	uint8_t *p;

	if (s->alloc >= want)
		return 0;
	if ((p = realloc(s->data, want)) == NULL)
		return -1;
	memset(p + s->alloc, 0, want - s->alloc);
	s->data = p;
	s->alloc = want;
	return 0;
}

enum netconf_asm_result
netconf_asm_add(struct netconf_asm *a, const struct netconf_chunk *c,
    uint64_t source, uint64_t packet_id, const struct identity *controller,
    const uint8_t **dict, size_t *len, uint64_t *update_id)
{
	struct netconf_asm_slot *s;
	uint64_t chunk_id, upd;
	bool dup;

	if (c->nwid != a->nwid)
		return NETCONF_ASM_WRONG_NETWORK;
	if (!c->legacy) {
		chunk_id = netconf_chunk_id(c->signature);
		upd = c->update_id;
		s = netconf_asm_find(a, upd, chunk_id, &dup);
		if (dup)
			return NETCONF_ASM_DUPLICATE;
		if (controller == NULL || controller->address != a->controller)
			return NETCONF_ASM_NO_CONTROLLER;
		if (identity_verify(controller, c->raw, c->signed_len,
		    c->signature, ZT_SIGNATURE_LEN) != 0)
			return NETCONF_ASM_BAD_SIGNATURE;
	} else {
		/* unsigned: only the controller itself may send it */
		if (source != a->controller && source != 0)
			return NETCONF_ASM_NOT_CONTROLLER;
		chunk_id = upd = packet_id;
		s = netconf_asm_oldest(a);
	}
	s->age++;
	if (s->update_id != upd) {
		s->update_id = upd;
		s->nids = 0;
		s->have_bytes = 0;
	}
	if (s->nids >= NETCONF_ASM_MAX_CHUNKS)
		return NETCONF_ASM_TOO_MANY;
	if (netconf_asm_grow(s, c->total) == -1)
		return NETCONF_ASM_NOMEM;
	s->ids[s->nids++] = chunk_id;
	if (c->len > 0)
		memcpy(s->data + c->index, c->data, c->len);
	s->have_bytes += c->len;
	if (s->have_bytes != c->total)
		return NETCONF_ASM_MORE;
	s->data[c->total] = 0;
	*dict = s->data;
	*len = c->total;
	*update_id = upd;
	return NETCONF_ASM_DONE;
}

bool
netconf_asm_should_forward(enum netconf_asm_result r,
    const struct netconf_chunk *c)
{
	if (c->legacy || (c->flags & NETCONF_CHUNK_F_FAST_PROPAGATE) == 0)
		return false;
	/* 1.14.1 forwards once the signature verified, before the count */
	return r == NETCONF_ASM_MORE || r == NETCONF_ASM_DONE ||
	    r == NETCONF_ASM_TOO_MANY || r == NETCONF_ASM_NOMEM;
}

const char *
netconf_asm_result_str(enum netconf_asm_result r)
{
	switch (r) {
	case NETCONF_ASM_MORE:
		return "more chunks due";
	case NETCONF_ASM_DONE:
		return "complete";
	case NETCONF_ASM_DUPLICATE:
		return "duplicate chunk";
	case NETCONF_ASM_NO_CONTROLLER:
		return "controller identity unknown";
	case NETCONF_ASM_BAD_SIGNATURE:
		return "bad signature";
	case NETCONF_ASM_NOT_CONTROLLER:
		return "unsigned chunk not from the controller";
	case NETCONF_ASM_TOO_MANY:
		return "too many chunks";
	case NETCONF_ASM_WRONG_NETWORK:
		return "chunk for another network";
	case NETCONF_ASM_NOMEM:
		return "out of memory";
	}
	return "unknown";
}

int
netconf_request_parse(struct netconf_request *q, struct rbuf *r)
{
	uint16_t mlen;

	memset(q, 0, sizeof(*q));
	rbuf_get_u64(r, &q->nwid);
	rbuf_get_u16(r, &mlen);
	rbuf_get_ptr(r, mlen, &q->meta);
	if (rbuf_failed(r))
		return -1;
	q->meta_len = mlen;
	/* older nodes stop after the metadata; the controller ignores these */
	if (rbuf_remaining(r) >= 16) {
		rbuf_get_u64(r, &q->revision);
		rbuf_get_u64(r, &q->timestamp);
	}
	rbuf_skip(r, rbuf_remaining(r));
	return rbuf_failed(r) ? -1 : 0;
}

int
netconf_request_build(struct wbuf *w, uint64_t nwid, const struct dict *meta,
    uint64_t revision, uint64_t timestamp)
{
	size_t mlen = dict_len(meta);

	if (mlen > UINT16_MAX)
		return -1;
	wbuf_put_u64(w, nwid);
	wbuf_put_u16(w, (uint16_t)mlen);
	wbuf_put_bytes(w, dict_data(meta), mlen);
	wbuf_put_u64(w, revision);
	wbuf_put_u64(w, timestamp);
	return wbuf_failed(w) ? -1 : 0;
}

int
netconf_request_meta_default(struct dict *d, const char *os)
{
	/* key, value: 1.14.1's request metadata, in its order (§3.5) */
	static const struct {
		const char	*key;
		uint64_t	 value;
	} keys[] = {
		{ "v", 7 }, { "vend", 1 }, { "pv", 12 }, { "majv", 1 },
		{ "minv", 14 }, { "revv", 1 }, { "mr", 1024 }, { "mc", 128 },
		{ "mcr", 64 }, { "mt", 128 }, { "f", 0 }, { "revr", 1 },
	};
	size_t i;

	dict_clear(d);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (dict_add_u64(d, keys[i].key, keys[i].value) == -1)
			return -1;
	if (os != NULL && dict_add_str(d, "o", os) == -1)
		return -1;
	return 0;
}
