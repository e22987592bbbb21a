/*
 * Bounds-checked byte buffers: the only code that indexes untrusted input.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* what a zero-length take or reservation points at when there is no data */
static uint8_t buf_empty[1];

void
rbuf_init(struct rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p != NULL ? len : 0;
	r->off = 0;
	r->err = false;
}

size_t
rbuf_remaining(const struct rbuf *r)
{
	return r->err ? 0 : r->len - r->off;
}

bool
rbuf_failed(const struct rbuf *r)
{
	return r->err;
}

bool
rbuf_done(const struct rbuf *r)
{
	return !r->err && r->off == r->len;
}

void
rbuf_fail(struct rbuf *r)
{
	r->err = true;
}

/* returns a pointer to the next n bytes and consumes them, or NULL */
static const uint8_t *
rbuf_take(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	if (r->p == NULL)
		return buf_empty;
	p = r->p + r->off;
	r->off += n;
	return p;
}

int
rbuf_get_u8(struct rbuf *r, uint8_t *v)
{
	const uint8_t *p;

	if ((p = rbuf_take(r, 1)) == NULL)
		return -1;
	*v = p[0];
	return 0;
}

int
rbuf_get_u16(struct rbuf *r, uint16_t *v)
{
	const uint8_t *p;

	if ((p = rbuf_take(r, 2)) == NULL)
		return -1;
	*v = be16_get(p);
	return 0;
}

int
rbuf_get_u32(struct rbuf *r, uint32_t *v)
{
	const uint8_t *p;

	if ((p = rbuf_take(r, 4)) == NULL)
		return -1;
	*v = be32_get(p);
	return 0;
}

int
rbuf_get_u40(struct rbuf *r, uint64_t *v)
{
	const uint8_t *p;

	if ((p = rbuf_take(r, 5)) == NULL)
		return -1;
	*v = be40_get(p);
	return 0;
}

int
rbuf_get_u64(struct rbuf *r, uint64_t *v)
{
	const uint8_t *p;

	if ((p = rbuf_take(r, 8)) == NULL)
		return -1;
	*v = be64_get(p);
	return 0;
}

int
rbuf_get_bytes(struct rbuf *r, void *out, size_t n)
{
	const uint8_t *p;

	if ((p = rbuf_take(r, n)) == NULL)
		return -1;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
rbuf_get_ptr(struct rbuf *r, size_t n, const uint8_t **out)
{
	const uint8_t *p;

	if ((p = rbuf_take(r, n)) == NULL)
		return -1;
	*out = p;
	return 0;
}

int
rbuf_skip(struct rbuf *r, size_t n)
{
	return rbuf_take(r, n) == NULL ? -1 : 0;
}

int
rbuf_get_sub(struct rbuf *r, uint64_t n, uint64_t max, struct rbuf *sub)
{
	const uint8_t *p;

	/* the claim is checked in 64 bits before it becomes a size_t */
	if (r->err || n > max || n > (uint64_t)(r->len - r->off)) {
		r->err = true;
		return -1;
	}
	p = rbuf_take(r, (size_t)n);
	rbuf_init(sub, p, (size_t)n);
	return 0;
}

int
rbuf_get_sub16(struct rbuf *r, uint64_t max, struct rbuf *sub)
{
	uint16_t n;

	if (rbuf_get_u16(r, &n) == -1)
		return -1;
	return rbuf_get_sub(r, n, max, sub);
}

int
rbuf_get_sub32(struct rbuf *r, uint64_t max, struct rbuf *sub)
{
	uint32_t n;

	if (rbuf_get_u32(r, &n) == -1)
		return -1;
	return rbuf_get_sub(r, n, max, sub);
}

int
rbuf_peek_u8(const struct rbuf *r, uint8_t *v)
{
	if (r->err || r->off >= r->len)
		return -1;
	*v = r->p[r->off];
	return 0;
}

void
wbuf_init(struct wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = p != NULL ? cap : 0;
	w->max = w->cap;
	w->len = 0;
	w->err = false;
	w->dynamic = false;
}

void
wbuf_init_dynamic(struct wbuf *w, size_t max)
{
	w->p = NULL;
	w->cap = 0;
	w->max = max;
	w->len = 0;
	w->err = false;
	w->dynamic = true;
}

void
wbuf_free(struct wbuf *w)
{
	if (w->dynamic) {
		free(w->p);
		w->p = NULL;
		w->cap = 0;
	}
	w->len = 0;
}

bool
wbuf_failed(const struct wbuf *w)
{
	return w->err;
}

size_t
wbuf_len(const struct wbuf *w)
{
	return w->len;
}

const uint8_t *
wbuf_data(const struct wbuf *w)
{
	return w->p;
}

uint8_t *
wbuf_steal(struct wbuf *w, size_t *len)
{
	uint8_t *p;

	if (!w->dynamic || w->err)
		return NULL;
	p = w->p;
	*len = w->len;
	w->p = NULL;
	w->cap = 0;
	w->len = 0;
	return p;
}

void
wbuf_reset(struct wbuf *w)
{
	w->len = 0;
	w->err = false;
}

/* makes room for n more bytes and returns where they go, or NULL */
static uint8_t *
wbuf_room(struct wbuf *w, size_t n)
{
	size_t need, ncap;
	uint8_t *np;

	if (w->err || n > w->max - w->len) {
		w->err = true;
		return NULL;
	}
	need = w->len + n;
	if (need > w->cap) {
		if (!w->dynamic) {
			w->err = true;
			return NULL;
		}
		ncap = w->cap < 256 ? 256 : w->cap;
		while (ncap < need)
			ncap = ncap > w->max / 2 ? w->max : ncap * 2;
		if ((np = realloc(w->p, ncap)) == NULL) {
			w->err = true;
			return NULL;
		}
		w->p = np;
		w->cap = ncap;
	}
	if (w->p == NULL)
		return buf_empty;
	np = w->p + w->len;
	w->len = need;
	return np;
}

int
wbuf_put_u8(struct wbuf *w, uint8_t v)
{
	uint8_t *p;

	if ((p = wbuf_room(w, 1)) == NULL)
		return -1;
	p[0] = v;
	return 0;
}

int
wbuf_put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *p;

	if ((p = wbuf_room(w, 2)) == NULL)
		return -1;
	be16_put(p, v);
	return 0;
}

int
wbuf_put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *p;

	if ((p = wbuf_room(w, 4)) == NULL)
		return -1;
	be32_put(p, v);
	return 0;
}

int
wbuf_put_u40(struct wbuf *w, uint64_t v)
{
	uint8_t *p;

	if (v >> 40 != 0) {
		w->err = true;
		return -1;
	}
	if ((p = wbuf_room(w, 5)) == NULL)
		return -1;
	be40_put(p, v);
	return 0;
}

int
wbuf_put_u64(struct wbuf *w, uint64_t v)
{
	uint8_t *p;

	if ((p = wbuf_room(w, 8)) == NULL)
		return -1;
	be64_put(p, v);
	return 0;
}

int
wbuf_put_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p;

	if ((p = wbuf_room(w, n)) == NULL)
		return -1;
	if (n > 0)
		memcpy(p, src, n);
	return 0;
}

int
wbuf_put_zero(struct wbuf *w, size_t n)
{
	uint8_t *p;

	if ((p = wbuf_room(w, n)) == NULL)
		return -1;
	if (n > 0)
		memset(p, 0, n);
	return 0;
}

int
wbuf_reserve(struct wbuf *w, size_t n, uint8_t **out)
{
	uint8_t *p;

	if ((p = wbuf_room(w, n)) == NULL)
		return -1;
	memset(p, 0, n);
	*out = p;
	return 0;
}

int
wbuf_patch_u16(struct wbuf *w, size_t off, uint16_t v)
{
	if (w->err || off > w->len || w->len - off < 2) {
		w->err = true;
		return -1;
	}
	be16_put(w->p + off, v);
	return 0;
}

int
wbuf_patch_u32(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->err || off > w->len || w->len - off < 4) {
		w->err = true;
		return -1;
	}
	be32_put(w->p + off, v);
	return 0;
}
