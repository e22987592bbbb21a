#pragma once
/*
 * ZeroTier's Dictionary (spec/vl2.md §4, vectors/dictionary.json): the
 * key=value text format of network configs, config request metadata,
 * auth-info, remote traces and networks.d/<nwid>.local.conf.
 *
 * Entries are lines separated by LF (CR also ends a line on read).  Values
 * are escaped on write (NUL, CR, LF, '\\' and '=' become "\0", "\r",
 * "\n", "\\\\" and "\e"); on read, '\\' followed by any other byte yields
 * that byte.  Keys are written raw.  Lookups return the first entry whose
 * key matches exactly, as ZeroTier's get() does.
 *
 * A dictionary has a capacity C that counts the NUL ZeroTier keeps after
 * the contents, so at most C - 1 bytes of contents.  An add that would not
 * fit fails and leaves the dictionary as it was (1.14.1 behaves the same).
 * The contents end at the first NUL byte of the input, as in ZeroTier,
 * whose dictionaries are C strings.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* capacities 1.14.1 uses, each including the trailing NUL */
#define DICT_CAP_NETCONF	484520	/* network config (x86-64 build) */
#define DICT_CAP_REQ_META	1024	/* NETWORK_CONFIG_REQUEST metadata */
#define DICT_CAP_AUTH_INFO_V0	4096	/* ERROR(AUTH_REQUIRED), aV=0 */
#define DICT_CAP_AUTH_INFO_V1	8192	/* ERROR(AUTH_REQUIRED), aV=1 */
#define DICT_CAP_TRACE		10000	/* one REMOTE_TRACE dictionary */
#define DICT_CAP_LOCAL_CONF	4096	/* networks.d/<nwid>.local.conf */

/* getUI/getI read at most this many value bytes (a 128-byte array) */
#define DICT_INT_TEXT_MAX	127

struct dict {
	const uint8_t	*p;	/* contents, without the trailing NUL */
	size_t		 len;
	size_t		 cap;	/* ZeroTier's C: contents + NUL */
	uint8_t		*buf;	/* heap storage of a writable dict */
	size_t		 alloc;	/* bytes allocated at buf */
	bool		 readonly;
};

/* an empty writable dictionary of capacity cap (>= 1); no allocation yet */
void	 dict_init(struct dict *, size_t cap);
/*
 * A read-only dictionary over caller-owned bytes, which must outlive it.
 * Like ZeroTier's Dictionary(s, len) it keeps at most cap - 1 bytes and
 * stops at the first NUL.
 */
void	 dict_view(struct dict *, const void *, size_t len, size_t cap);
/*
 * A writable copy of the bytes (up to the first NUL).  -1 if they do not
 * fit in cap - 1 bytes or memory runs out.
 */
int	 dict_load(struct dict *, const void *, size_t len, size_t cap);
void	 dict_free(struct dict *);
void	 dict_clear(struct dict *);

/* the serialized form: the contents without the trailing NUL */
const uint8_t	*dict_data(const struct dict *);
size_t	 dict_len(const struct dict *);

/*
 * Appends key=value (binary safe).  -1 if the key is empty or holds NUL,
 * CR, LF or '=', if the dictionary is read-only, if the entry does not
 * fit in the capacity, or if memory runs out; the dictionary is then
 * unchanged.  A key already present is not replaced (see dict_set).
 */
int	 dict_add(struct dict *, const char *key, const void *, size_t);
int	 dict_add_str(struct dict *, const char *key, const char *);
/* 16 lowercase hex digits, zero-padded */
int	 dict_add_u64(struct dict *, const char *key, uint64_t);
/*
 * As 1.14.1's add(int64_t): a negative value loses its sign and is
 * written as the 16 hex digits of its magnitude (vectors "neg").
 */
int	 dict_add_i64(struct dict *, const char *key, int64_t);
/* "1" or "0" */
int	 dict_add_bool(struct dict *, const char *key, bool);
/* as 1.14.1's add(Address): 16 hex digits, not the 10 of an address */
int	 dict_add_address(struct dict *, const char *key, uint64_t);
/* removes every entry with this key; -1 only if the dict is read-only */
int	 dict_remove(struct dict *, const char *key);
/*
 * Replaces every entry with this key by one entry at the end.  On
 * failure (as dict_add) the dictionary is unchanged.
 */
int	 dict_set(struct dict *, const char *key, const void *, size_t);

/*
 * First entry with this key: 0 and its decoded value, of which at most
 * outcap bytes are stored (the rest is dropped, as ZeroTier truncates to
 * its destination buffer), or -1 if there is none.  out may be NULL when
 * outcap is 0; outlen may be NULL.
 */
int	 dict_get(const struct dict *, const char *key, void *out,
	    size_t outcap, size_t *outlen);
/*
 * The whole decoded value in a heap buffer (free it).  Returns 0 with
 * *out NULL when the key is absent; -1 only if memory runs out.  An empty
 * value gives a non-NULL *out and *outlen 0.
 */
int	 dict_get_alloc(const struct dict *, const char *key, uint8_t **out,
	    size_t *outlen);
bool	 dict_has(const struct dict *, const char *key);
/*
 * ZeroTier's getUI/getI: the first DICT_INT_TEXT_MAX value bytes up to a
 * NUL, parsed as strtoull/strtoll do in base 16 (leading spaces, sign,
 * optional 0x, stop at the first non-digit, saturate on overflow).  dfl
 * when the key is absent or its value is empty.
 */
uint64_t dict_get_u64(const struct dict *, const char *key, uint64_t dfl);
int64_t	 dict_get_i64(const struct dict *, const char *key, int64_t dfl);
/*
 * ZeroTier's getB: dfl when absent; otherwise true when the value starts
 * with '1', 't' or 'T' (an empty value is false).
 */
bool	 dict_get_bool(const struct dict *, const char *key, bool dfl);

/* strtoull(s, NULL, 16) over at most len bytes, stopping at a NUL */
uint64_t dict_parse_hex_u64(const uint8_t *, size_t len);
/* strtoll(s, NULL, 16) over at most len bytes, stopping at a NUL */
int64_t	 dict_parse_hex_i64(const uint8_t *, size_t len);
