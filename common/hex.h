#pragma once
/*
 * Hex encoding.  Encoding and strict decoding run in constant time with
 * respect to the data (no table lookups indexed by secret nibbles), so the
 * same functions serve secret keys.
 */
#include <stddef.h>
#include <stdint.h>

/* writes 2n lowercase digits and a NUL; out must hold 2n+1 bytes */
void	 hex_encode(const void *, size_t n, char *out);
/*
 * Strict: exactly 2*outlen hex digits (either case) in len characters.
 * Returns 0, or -1 on bad length or a non-hex character.
 */
int	 hex_decode(const char *, size_t len, void *out, size_t outlen);
/*
 * Decodes any even-length hex string into a heap buffer (at most max
 * bytes); returns 0 and sets *out and *outlen, or -1.
 */
int	 hex_decode_alloc(const char *, size_t max, uint8_t **out,
	    size_t *outlen);
/* parses exactly ndigits hex digits (<= 16) into a 64-bit value */
int	 hex_parse_u64(const char *, size_t ndigits, uint64_t *);
