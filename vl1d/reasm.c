#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "reasm.h"

struct reasm_set {
	bool		 used;
	uint8_t		 id[8];
	uint8_t		 src[REASM_SRC_MAX];
	size_t		 srclen;
	int64_t		 created;
	unsigned int	 total;		/* from the fragments; 0 = not yet */
	unsigned int	 have;		/* bit n: piece n present (0 = head) */
	uint8_t		*piece[ZT_MAX_FRAGMENTS];
	size_t		 len[ZT_MAX_FRAGMENTS];
};

struct reasm {
	struct reasm_set	*sets;
	size_t			 max_sets;
	size_t			 per_source;
	int64_t			 timeout;
	struct reasm_stats	 st;
};

struct reasm *
reasm_new(size_t max_sets, size_t per_source, int64_t timeout_ms)
{
	struct reasm *r;

	if (max_sets == 0 || per_source == 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->sets = calloc(max_sets, sizeof(*r->sets))) == NULL) {
		free(r);
		return NULL;
	}
	r->max_sets = max_sets;
	r->per_source = per_source;
	r->timeout = timeout_ms;
	return r;
}

static void
reasm_release(struct reasm *r, struct reasm_set *s)
{
	size_t i;

	for (i = 0; i < ZT_MAX_FRAGMENTS; i++) {
		if (s->piece[i] != NULL) {
			r->st.bytes -= s->len[i];
			free(s->piece[i]);
		}
	}
	memset(s, 0, sizeof(*s));
	r->st.sets--;
}

void
reasm_free(struct reasm *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->max_sets; i++)
		if (r->sets[i].used)
			reasm_release(r, &r->sets[i]);
	free(r->sets);
	free(r);
}

void
reasm_expire(struct reasm *r, int64_t now)
{
	size_t i;

	for (i = 0; i < r->max_sets; i++) {
		if (r->sets[i].used && now - r->sets[i].created >= r->timeout) {
			reasm_release(r, &r->sets[i]);
			r->st.expired++;
		}
	}
}

void
reasm_get_stats(const struct reasm *r, struct reasm_stats *st)
{
	*st = r->st;
}

static bool
reasm_same_src(const struct reasm_set *s, const void *src, size_t srclen)
{
	return s->srclen == srclen && memcmp(s->src, src, srclen) == 0;
}

/* finds the set for id, or makes room for a new one charged to src */
static struct reasm_set *
reasm_lookup(struct reasm *r, const uint8_t *id, const void *src,
    size_t srclen, int64_t now)
{
	struct reasm_set *s, *freeslot = NULL, *oldest = NULL;
	struct reasm_set *src_oldest = NULL;
	size_t i, from_src = 0;

	for (i = 0; i < r->max_sets; i++) {
		s = &r->sets[i];
		if (!s->used) {
			if (freeslot == NULL)
				freeslot = s;
			continue;
		}
		if (memcmp(s->id, id, 8) == 0)
			return s;
		if (now - s->created >= r->timeout) {
			reasm_release(r, s);
			r->st.expired++;
			if (freeslot == NULL)
				freeslot = s;
			continue;
		}
		if (oldest == NULL || s->created < oldest->created)
			oldest = s;
		if (reasm_same_src(s, src, srclen)) {
			from_src++;
			if (src_oldest == NULL ||
			    s->created < src_oldest->created)
				src_oldest = s;
		}
	}
	/* a source over its budget recycles its own oldest set first */
	if (from_src >= r->per_source)
		s = src_oldest;
	else if (freeslot != NULL)
		s = freeslot;
	else
		s = oldest;
	if (s->used) {
		reasm_release(r, s);
		r->st.evicted++;
	}
	s->used = true;
	memcpy(s->id, id, 8);
	memcpy(s->src, src, srclen);
	s->srclen = srclen;
	s->created = now;
	r->st.sets++;
	return s;
}

/* evicts the oldest other sets until len more bytes fit the cap */
static int
reasm_make_room(struct reasm *r, const struct reasm_set *keep, size_t len)
{
	struct reasm_set *oldest;
	size_t i;

	while (r->st.bytes + len > REASM_MAX_BYTES) {
		oldest = NULL;
		for (i = 0; i < r->max_sets; i++) {
			struct reasm_set *s = &r->sets[i];

			if (s->used && s != keep && (oldest == NULL ||
			    s->created < oldest->created))
				oldest = s;
		}
		if (oldest == NULL)
			return -1;
		reasm_release(r, oldest);
		r->st.evicted++;
	}
	return 0;
}

static int
reasm_add(struct reasm *r, const void *src, size_t srclen, const uint8_t *id,
    unsigned int n, unsigned int total, const uint8_t *data, size_t len,
    int64_t now, uint8_t *out, size_t *outlen)
{
	struct reasm_set *s;
	size_t i, sum = 0;

	if (srclen > REASM_SRC_MAX) {
		r->st.invalid++;
		return -1;
	}
	s = reasm_lookup(r, id, src, srclen, now);
	if (total != 0) {
		if (s->total != 0 && s->total != total) {
			/* pieces disagree on the count: nothing is usable */
			reasm_release(r, s);
			r->st.invalid++;
			return -1;
		}
		s->total = total;
	}
	if (s->have & 1u << n) {
		r->st.duplicates++;
		return 0;
	}
	if (reasm_make_room(r, s, len) == -1) {
		r->st.invalid++;
		return -1;
	}
	if ((s->piece[n] = malloc(len)) == NULL) {
		r->st.invalid++;
		return -1;
	}
	memcpy(s->piece[n], data, len);
	s->len[n] = len;
	s->have |= 1u << n;
	r->st.bytes += len;
	if (s->total == 0 || s->have != (1u << s->total) - 1)
		return 0;

	for (i = 0; i < s->total; i++)
		sum += s->len[i];
	if (sum > ZT_MAX_PACKET_LEN) {
		reasm_release(r, s);
		r->st.invalid++;
		return -1;
	}
	*outlen = 0;
	for (i = 0; i < s->total; i++) {
		memcpy(out + *outlen, s->piece[i], s->len[i]);
		*outlen += s->len[i];
	}
	reasm_release(r, s);
	r->st.completed++;
	return 1;
}

int
reasm_head(struct reasm *r, const void *src, size_t srclen,
    const uint8_t *p, size_t len, int64_t now, uint8_t *out, size_t *outlen)
{
	if (len < ZT_PACKET_HEADER_LEN || len > ZT_MAX_PACKET_LEN ||
	    !packet_fragmented(p)) {
		r->st.invalid++;
		return -1;
	}
	return reasm_add(r, src, srclen, p, 0, 0, p, len, now, out, outlen);
}

int
reasm_fragment(struct reasm *r, const void *src, size_t srclen,
    const uint8_t *p, size_t len, int64_t now, uint8_t *out, size_t *outlen)
{
	unsigned int total, n;

	if (len <= ZT_FRAGMENT_HEADER_LEN || len > ZT_MAX_PACKET_LEN ||
	    p[ZT_FRAG_IDX_INDICATOR] != ZT_FRAG_INDICATOR) {
		r->st.invalid++;
		return -1;
	}
	total = p[ZT_FRAG_IDX_COUNTS] >> 4;
	n = p[ZT_FRAG_IDX_COUNTS] & 0x0f;
	/* 1.14.1 accepts 1 < total <= 7 and 1 <= n <= 6 */
	if (total < 2 || total > ZT_MAX_FRAGMENTS || n < 1 || n >= total) {
		r->st.invalid++;
		return -1;
	}
	return reasm_add(r, src, srclen, p, n, total,
	    p + ZT_FRAGMENT_HEADER_LEN, len - ZT_FRAGMENT_HEADER_LEN, now,
	    out, outlen);
}
