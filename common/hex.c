#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* nibble -> digit without indexing memory by the nibble's value */
static char
hex_digit(unsigned int n)
{
	/* n < 10: '0' + n; else 'a' + n - 10 */
	unsigned int gt9 = (9u - n) >> 8 & 1u;

	return (char)('0' + n + gt9 * ('a' - '0' - 10));
}

/* digit -> nibble, or a value with bit 8 set when c is not hex */
static unsigned int
hex_value(unsigned char c)
{
	int d = (int)c - '0';
	int l = (int)(c | 0x20) - 'a';
	/* sign bits: d in [0, 10), l in [0, 6) */
	unsigned int isd = ((unsigned int)(-1 - d) & (unsigned int)(d - 10))
	    >> 31;
	unsigned int isl = ((unsigned int)(-1 - l) & (unsigned int)(l - 6))
	    >> 31;
	unsigned int v = 0x100;

	v ^= (0x100u ^ (unsigned int)d) & (0u - isd);
	v ^= (0x100u ^ (unsigned int)(l + 10)) & (0u - isl);
	return v;
}

void
hex_encode(const void *src, size_t n, char *out)
{
	const uint8_t *p = src;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digit(p[i] >> 4);
		out[2 * i + 1] = hex_digit(p[i] & 0xf);
	}
	out[2 * n] = '\0';
}

int
hex_decode(const char *s, size_t len, void *out, size_t outlen)
{
	uint8_t *o = out;
	unsigned int bad = 0, hi, lo;
	size_t i;

	if (len / 2 != outlen || len % 2 != 0)
		return -1;
	for (i = 0; i < outlen; i++) {
		hi = hex_value((unsigned char)s[2 * i]);
		lo = hex_value((unsigned char)s[2 * i + 1]);
		bad |= (hi | lo) & 0x100;
		o[i] = (uint8_t)(hi << 4 | (lo & 0xf));
	}
	return bad ? -1 : 0;
}

int
hex_decode_alloc(const char *s, size_t max, uint8_t **out, size_t *outlen)
{
	size_t len = strlen(s);
	uint8_t *p;

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	if ((p = malloc(len / 2 + 1)) == NULL)
		return -1;
	if (hex_decode(s, len, p, len / 2) == -1) {
		free(p);
		return -1;
	}
	*out = p;
	*outlen = len / 2;
	return 0;
}

int
hex_parse_u64(const char *s, size_t ndigits, uint64_t *v)
{
	uint64_t r = 0;
	unsigned int d;
	size_t i;

	if (ndigits == 0 || ndigits > 16)
		return -1;
	for (i = 0; i < ndigits; i++) {
		if ((d = hex_value((unsigned char)s[i])) & 0x100)
			return -1;
		r = r << 4 | d;
	}
	*v = r;
	return 0;
}
