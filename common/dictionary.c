/*
 * ZeroTier Dictionary codec (spec/vl2.md §4).  Reads are bounded index
 * loops over (p, len): the contents never need a NUL terminator and no
 * byte past len is ever looked at.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dictionary.h"

#define DICT_ALLOC_MIN	256

void
dict_init(struct dict *d, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->cap = cap > 0 ? cap : 1;
	d->p = (const uint8_t *)"";
}

void
dict_view(struct dict *d, const void *p, size_t len, size_t cap)
{
	const uint8_t *nul;

	dict_init(d, cap);
	d->readonly = true;
	if (p == NULL)
		return;
	/* Dictionary(s, len) keeps C - 1 bytes, and get() stops at a NUL */
	if (len > d->cap - 1)
		len = d->cap - 1;
	if ((nul = memchr(p, 0, len)) != NULL)
		len = (size_t)(nul - (const uint8_t *)p);
	d->p = p;
	d->len = len;
}

/* makes room for a total of need content bytes plus the NUL */
static int
dict_reserve(struct dict *d, size_t need)
{
	size_t n;
	uint8_t *b;

	if (need + 1 <= d->alloc)
		return 0;
	n = d->alloc > DICT_ALLOC_MIN ? d->alloc : DICT_ALLOC_MIN;
	while (n < need + 1 && n < d->cap)
		n = n > d->cap / 2 ? d->cap : n * 2;
	if (n > d->cap)
		n = d->cap;
	if (need + 1 > n)
		return -1;
	if ((b = realloc(d->buf, n)) == NULL)
		return -1;
	d->buf = b;
	d->alloc = n;
	d->p = b;
	return 0;
}

int
dict_load(struct dict *d, const void *p, size_t len, size_t cap)
{
	const uint8_t *nul;

	dict_init(d, cap);
	if (p == NULL)
		len = 0;
	else if ((nul = memchr(p, 0, len)) != NULL)
		len = (size_t)(nul - (const uint8_t *)p);
	if (len > d->cap - 1 || dict_reserve(d, len) == -1) {
		dict_free(d);
		return -1;
	}
	if (len > 0)
		memcpy(d->buf, p, len);
	d->buf[len] = 0;
	d->len = len;
	return 0;
}

void
dict_free(struct dict *d)
{
	size_t cap = d->cap;

	free(d->buf);
	dict_init(d, cap);
}

void
dict_clear(struct dict *d)
{
	if (d->readonly) {
		d->len = 0;
		return;
	}
	d->len = 0;
	if (d->buf != NULL)
		d->buf[0] = 0;
}

const uint8_t *
dict_data(const struct dict *d)
{
	return d->p;
}

size_t
dict_len(const struct dict *d)
{
	return d->len;
}

static bool
dict_escaped_byte(uint8_t c)
{
	return c == 0 || c == '\r' || c == '\n' || c == '\\' || c == '=';
}

static int
dict_key_check(const char *key, size_t *klen)
{
	size_t i;

	for (i = 0; key[i] != '\0'; i++)
		if (key[i] == '\r' || key[i] == '\n' || key[i] == '=')
			return -1;
	*klen = i;
	return i > 0 ? 0 : -1;
}

int
dict_add(struct dict *d, const char *key, const void *val, size_t vlen)
{
	const uint8_t *v = val;
	size_t klen, esc, need, i;
	struct wbuf w;
	uint8_t c;

	if (d->readonly || dict_key_check(key, &klen) == -1)
		return -1;
	if (v == NULL && vlen > 0)
		return -1;
	/* every value byte takes at least one byte: bound before counting */
	if (vlen >= d->cap || klen >= d->cap)
		return -1;
	esc = vlen;
	for (i = 0; i < vlen; i++)
		if (dict_escaped_byte(v[i]))
			esc++;
	need = (d->len > 0 ? 1 : 0) + klen + 1 + esc;
	/* 1.14.1 fails the add when the NUL would no longer fit */
	if (need > d->cap - 1 - d->len)
		return -1;
	if (dict_reserve(d, d->len + need) == -1)
		return -1;

	wbuf_init(&w, d->buf + d->len, need);
	if (d->len > 0)
		wbuf_put_u8(&w, '\n');
	wbuf_put_bytes(&w, key, klen);
	wbuf_put_u8(&w, '=');
	for (i = 0; i < vlen; i++) {
		c = v[i];
		if (!dict_escaped_byte(c)) {
			wbuf_put_u8(&w, c);
			continue;
		}
		wbuf_put_u8(&w, '\\');
		switch (c) {
		case 0:
			c = '0';
			break;
		case '\r':
			c = 'r';
			break;
		case '\n':
			c = 'n';
			break;
		case '=':
			c = 'e';
			break;
		default:
			break;
		}
		wbuf_put_u8(&w, c);
	}
	if (wbuf_failed(&w) || wbuf_len(&w) != need) {
		d->buf[d->len] = 0;
		return -1;
	}
	d->len += need;
	d->buf[d->len] = 0;
	return 0;
}

int
dict_add_str(struct dict *d, const char *key, const char *s)
{
	return dict_add(d, key, s, strlen(s));
}

int
dict_add_u64(struct dict *d, const char *key, uint64_t v)
{
	char tmp[17];

	snprintf(tmp, sizeof(tmp), "%016" PRIx64, v);
	return dict_add(d, key, tmp, 16);
}

int
dict_add_i64(struct dict *d, const char *key, int64_t v)
{
	/* 1.14.1 writes '-' before the digits, then returns past it */
	/*
	 * The magnitude of INT64_MIN does not fit: readers (ours and
	 * ZeroTier's strtoll) saturate it to INT64_MAX, so write that.
	 */
	if (v == INT64_MIN)
		return dict_add_u64(d, key, (uint64_t)INT64_MAX);
	if (v < 0)
		return dict_add_u64(d, key, 0 - (uint64_t)v);
	return dict_add_u64(d, key, (uint64_t)v);
}

int
dict_add_bool(struct dict *d, const char *key, bool v)
{
	return dict_add(d, key, v ? "1" : "0", 1);
}

int
dict_add_address(struct dict *d, const char *key, uint64_t addr)
{
	return dict_add_u64(d, key, addr & 0xffffffffffULL);
}

static bool
dict_eol(uint8_t c)
{
	return c == '\r' || c == '\n';
}

/*
 * ZeroTier's get() walk: compare the key from the start of each line;
 * on a mismatch skip to the next CR or LF.  Sets the raw (escaped) value
 * span [*vs, *ve).
 */
static int
dict_find(const struct dict *d, const char *key, size_t *vs, size_t *ve)
{
	const uint8_t *p = d->p;
	size_t n = d->len, i = 0, k;

	while (i < n) {
		for (k = 0; key[k] != '\0' && i < n &&
		    p[i] == (uint8_t)key[k]; k++)
			i++;
		if (key[k] == '\0' && i < n && p[i] == '=') {
			*vs = ++i;
			while (i < n && !dict_eol(p[i]))
				i++;
			*ve = i;
			return 0;
		}
		while (i < n && !dict_eol(p[i]))
			i++;
		if (i < n)
			i++;
	}
	return -1;
}

/* decodes raw[0, n); stores at most outcap bytes, returns how many */
static size_t
dict_unescape(const uint8_t *raw, size_t n, uint8_t *out, size_t outcap)
{
	size_t i, j = 0;
	bool esc = false;
	uint8_t c;

	for (i = 0; i < n && j < outcap; i++) {
		c = raw[i];
		if (!esc && c == '\\') {
			esc = true;
			continue;
		}
		if (esc) {
			esc = false;
			switch (c) {
			case 'r':
				c = '\r';
				break;
			case 'n':
				c = '\n';
				break;
			case '0':
				c = 0;
				break;
			case 'e':
				c = '=';
				break;
			default:
				break;
			}
		}
		out[j++] = c;
	}
	return j;
}

int
dict_get(const struct dict *d, const char *key, void *out, size_t outcap,
    size_t *outlen)
{
	size_t vs, ve, n;

	if (dict_find(d, key, &vs, &ve) == -1) {
		if (outlen != NULL)
			*outlen = 0;
		return -1;
	}
	n = out != NULL ? dict_unescape(d->p + vs, ve - vs, out, outcap) : 0;
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

int
dict_get_alloc(const struct dict *d, const char *key, uint8_t **out,
    size_t *outlen)
{
	size_t vs, ve;
	uint8_t *b;

	*out = NULL;
	*outlen = 0;
	if (dict_find(d, key, &vs, &ve) == -1)
		return 0;
	/* decoding never lengthens; +1 keeps an empty value non-NULL */
	if ((b = malloc(ve - vs + 1)) == NULL)
		return -1;
	*outlen = dict_unescape(d->p + vs, ve - vs, b, ve - vs);
	*out = b;
	return 0;
}

bool
dict_has(const struct dict *d, const char *key)
{
	size_t vs, ve;

	return dict_find(d, key, &vs, &ve) == 0;
}

static bool
dict_isspace(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
dict_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* the magnitude strto*() would see; *neg set for a leading '-' */
static uint64_t
dict_parse_mag(const uint8_t *s, size_t n, bool *neg, bool *overflow)
{
	uint64_t v = 0;
	size_t i = 0;
	int h;

	*neg = false;
	*overflow = false;
	if (s == NULL)
		return 0;
	if (memchr(s, 0, n) != NULL)
		n = (size_t)((const uint8_t *)memchr(s, 0, n) - s);
	while (i < n && dict_isspace(s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x')
		i += 2;
	for (; i < n && (h = dict_hexval(s[i])) >= 0; i++) {
		if (v > (UINT64_MAX >> 4))
			*overflow = true;
		v = v << 4 | (uint64_t)h;
	}
	return v;
}

uint64_t
dict_parse_hex_u64(const uint8_t *s, size_t n)
{
	bool neg, overflow;
	uint64_t v;

	v = dict_parse_mag(s, n, &neg, &overflow);
	if (overflow)
		return UINT64_MAX;
	return neg ? 0 - v : v;
}

int64_t
dict_parse_hex_i64(const uint8_t *s, size_t n)
{
	bool neg, overflow;
	uint64_t v;

	v = dict_parse_mag(s, n, &neg, &overflow);
	if (!neg)
		return overflow || v > (uint64_t)INT64_MAX ? INT64_MAX :
		    (int64_t)v;
	if (overflow || v >= (uint64_t)INT64_MAX + 1)
		return INT64_MIN;
	return -(int64_t)v;
}

uint64_t
dict_get_u64(const struct dict *d, const char *key, uint64_t dfl)
{
	uint8_t tmp[DICT_INT_TEXT_MAX];
	size_t n;

	if (dict_get(d, key, tmp, sizeof(tmp), &n) == -1 || n == 0)
		return dfl;
	return dict_parse_hex_u64(tmp, n);
}

int64_t
dict_get_i64(const struct dict *d, const char *key, int64_t dfl)
{
	uint8_t tmp[DICT_INT_TEXT_MAX];
	size_t n;

	if (dict_get(d, key, tmp, sizeof(tmp), &n) == -1 || n == 0)
		return dfl;
	return dict_parse_hex_i64(tmp, n);
}

bool
dict_get_bool(const struct dict *d, const char *key, bool dfl)
{
	uint8_t c;
	size_t n;

	if (dict_get(d, key, &c, 1, &n) == -1)
		return dfl;
	return n == 1 && (c == '1' || c == 't' || c == 'T');
}

/* true when the line [s, e) holds an entry for key */
static bool
dict_line_is(const uint8_t *p, size_t s, size_t e, const char *key,
    size_t klen)
{
	return e - s > klen && memcmp(p + s, key, klen) == 0 &&
	    p[s + klen] == '=';
}

int
dict_remove(struct dict *d, const char *key)
{
	size_t klen = strlen(key), i = 0, e, out = 0, n = d->len;
	bool dropped_last = false;
	uint8_t *p = d->buf;

	if (d->readonly)
		return -1;
	if (n == 0)
		return 0;
	/* compaction in place: out never passes i */
	while (i < n) {
		for (e = i; e < n && !dict_eol(p[e]); e++)
			;
		if (dict_line_is(p, i, e, key, klen)) {
			dropped_last = e >= n;
		} else {
			dropped_last = false;
			if (e < n)
				e++;
			memmove(p + out, p + i, e - i);
			out += e - i;
			i = e;
			continue;
		}
		i = e < n ? e + 1 : e;
	}
	if (dropped_last && out > 0 && dict_eol(p[out - 1]))
		out--;
	d->len = out;
	p[out] = 0;
	return 0;
}

int
dict_set(struct dict *d, const char *key, const void *val, size_t vlen)
{
	uint8_t *save = NULL;
	size_t savelen = d->len;
	size_t klen;

	if (d->readonly || dict_key_check(key, &klen) == -1)
		return -1;
	if (savelen > 0) {
		if ((save = malloc(savelen)) == NULL)
			return -1;
		memcpy(save, d->buf, savelen);
	}
	if (dict_remove(d, key) == -1 || dict_add(d, key, val, vlen) == -1)
		goto fail;
	free(save);
	return 0;
fail:
	/* the old contents fitted in the same buffer before */
	if (savelen > 0)
		memcpy(d->buf, save, savelen);
	d->len = savelen;
	if (d->buf != NULL)
		d->buf[savelen] = 0;
	free(save);
	return -1;
}
