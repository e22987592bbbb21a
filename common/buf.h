#pragma once
/*
 * Bounds-checked reading and writing of byte strings.  Every byte that
 * comes from outside the process (packets, IPC payloads, files) is read
 * through struct rbuf; every encoding is written through struct wbuf.
 *
 * Errors are sticky: after the first short read or overflowing write the
 * buffer stays failed, every later call fails too and writes nothing to
 * its out-parameter, so a parser may check once at the end.  Functions
 * return 0 on success and -1 on failure.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct rbuf {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	bool		 err;
};

void	 rbuf_init(struct rbuf *, const void *, size_t);
size_t	 rbuf_remaining(const struct rbuf *);
bool	 rbuf_failed(const struct rbuf *);
/* true when nothing failed and every byte was consumed */
bool	 rbuf_done(const struct rbuf *);
/* marks the buffer failed (for semantic errors found by the caller) */
void	 rbuf_fail(struct rbuf *);

int	 rbuf_get_u8(struct rbuf *, uint8_t *);
int	 rbuf_get_u16(struct rbuf *, uint16_t *);
int	 rbuf_get_u32(struct rbuf *, uint32_t *);
int	 rbuf_get_u40(struct rbuf *, uint64_t *);
int	 rbuf_get_u64(struct rbuf *, uint64_t *);
int	 rbuf_get_bytes(struct rbuf *, void *, size_t);
/* points into the buffer instead of copying; valid as long as the data */
int	 rbuf_get_ptr(struct rbuf *, size_t, const uint8_t **);
int	 rbuf_skip(struct rbuf *, size_t);
/*
 * Sub-reader over the next n bytes (which are consumed from the parent).
 * n is a length read from input: it is checked against what remains and
 * against max before anything else happens.
 */
int	 rbuf_get_sub(struct rbuf *, uint64_t n, uint64_t max, struct rbuf *);
/* reads a 16/32-bit big-endian length, then a sub-reader of that length */
int	 rbuf_get_sub16(struct rbuf *, uint64_t max, struct rbuf *);
int	 rbuf_get_sub32(struct rbuf *, uint64_t max, struct rbuf *);
/* peeks without consuming */
int	 rbuf_peek_u8(const struct rbuf *, uint8_t *);

struct wbuf {
	uint8_t		*p;
	size_t		 cap;	/* current allocation (or the fixed array) */
	size_t		 max;	/* growth limit for dynamic buffers */
	size_t		 len;
	bool		 err;
	bool		 dynamic;
};

/* writer over a caller-owned fixed array */
void	 wbuf_init(struct wbuf *, void *, size_t);
/* writer that grows on the heap up to max bytes; free with wbuf_free */
void	 wbuf_init_dynamic(struct wbuf *, size_t max);
void	 wbuf_free(struct wbuf *);
bool	 wbuf_failed(const struct wbuf *);
size_t	 wbuf_len(const struct wbuf *);
const uint8_t	*wbuf_data(const struct wbuf *);
/* hands the heap buffer of a dynamic writer to the caller */
uint8_t	*wbuf_steal(struct wbuf *, size_t *);
void	 wbuf_reset(struct wbuf *);

int	 wbuf_put_u8(struct wbuf *, uint8_t);
int	 wbuf_put_u16(struct wbuf *, uint16_t);
int	 wbuf_put_u32(struct wbuf *, uint32_t);
int	 wbuf_put_u40(struct wbuf *, uint64_t);
int	 wbuf_put_u64(struct wbuf *, uint64_t);
int	 wbuf_put_bytes(struct wbuf *, const void *, size_t);
int	 wbuf_put_zero(struct wbuf *, size_t);
/* reserves n bytes and returns where they start, to be filled later */
int	 wbuf_reserve(struct wbuf *, size_t, uint8_t **);
/* overwrites a big-endian u16 already written at off (length back-patch) */
int	 wbuf_patch_u16(struct wbuf *, size_t off, uint16_t);
int	 wbuf_patch_u32(struct wbuf *, size_t off, uint32_t);

/* plain big-endian helpers for fixed-size arrays the caller owns */
static inline uint16_t
be16_get(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
be40_get(const uint8_t *p)
{
	return (uint64_t)p[0] << 32 | (uint64_t)be32_get(p + 1);
}

static inline uint64_t
be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

static inline void
be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
be40_put(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)(v >> 32);
	be32_put(p + 1, (uint32_t)v);
}

static inline void
be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}
