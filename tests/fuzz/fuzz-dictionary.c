/*
 * Dictionary parser and writer.  The input is read as an untrusted
 * dictionary (every lookup kind), then re-read as a list of entries to
 * add: whatever is added must come back unchanged from a lookup, and the
 * serialized form must stay within the capacity.
 */
#include <stdlib.h>
#include <string.h>

#include "dictionary.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CAP	600

static const char *const fuzz_keys[] = {
	"v", "nwid", "n", "C", "R", "DNS", "a", "ab", "", "ssoe", "x=y",
};

static void
fuzz_lookups(const struct dict *d, const char *key)
{
	uint8_t small[3], *v;
	size_t n, m;

	(void)dict_get_u64(d, key, 1);
	(void)dict_get_i64(d, key, -1);
	(void)dict_get_bool(d, key, true);
	if (dict_get_alloc(d, key, &v, &n) == -1)
		abort();
	if ((v != NULL) != dict_has(d, key))
		abort();
	if (v != NULL) {
		/* a short destination gets a prefix of the same value */
		if (dict_get(d, key, small, sizeof(small), &m) == -1 ||
		    m != (n < sizeof(small) ? n : sizeof(small)) ||
		    memcmp(small, v, m) != 0)
			abort();
	}
	free(v);
}

/* records: klen (1..8), key, vlen, value; NUL/CR/LF/'=' kept in values */
static void
fuzz_writes(const uint8_t *p, size_t size)
{
	struct dict d, back;
	char key[9];
	uint8_t *got;
	size_t i = 0, klen, vlen, glen, before;
	bool had;

	dict_init(&d, FUZZ_CAP);
	while (i + 2 <= size) {
		klen = (size_t)(p[i++] % 8) + 1;
		if (i + klen + 1 > size)
			break;
		for (size_t k = 0; k < klen; k++) {
			uint8_t c = p[i + k];

			key[k] = (c == 0 || c == '\r' || c == '\n' ||
			    c == '=') ? 'k' : (char)c;
		}
		key[klen] = '\0';
		i += klen;
		vlen = p[i++];
		if (vlen > size - i)
			vlen = size - i;
		had = dict_has(&d, key);
		before = dict_len(&d);
		if ((klen & 1) ? dict_set(&d, key, p + i, vlen) == 0 :
		    dict_add(&d, key, p + i, vlen) == 0) {
			/* a fresh (or replaced) key reads back exactly */
			if (!had || (klen & 1)) {
				if (dict_get_alloc(&d, key, &got, &glen) == -1)
					abort();
				if (got == NULL || glen != vlen ||
				    memcmp(got, p + i, vlen) != 0)
					abort();
				free(got);
			}
		} else if (!(klen & 1) && dict_len(&d) != before) {
			abort();	/* a failed add changed the dict */
		}
		if (dict_len(&d) > FUZZ_CAP - 1)
			abort();
		if (p[i - 1] == 0xff)
			dict_remove(&d, key);
		i += vlen;
	}
	/* what was written parses the same from a read-only view */
	dict_view(&back, dict_data(&d), dict_len(&d), FUZZ_CAP);
	if (dict_len(&back) != dict_len(&d))
		abort();
	for (i = 0; i < sizeof(fuzz_keys) / sizeof(fuzz_keys[0]); i++)
		fuzz_lookups(&back, fuzz_keys[i]);
	dict_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dict d;
	char key[5];
	size_t i;

	dict_view(&d, data, size, DICT_CAP_NETCONF);
	for (i = 0; i < sizeof(fuzz_keys) / sizeof(fuzz_keys[0]); i++)
		fuzz_lookups(&d, fuzz_keys[i]);
	/* a key taken from the input itself, so matches happen */
	for (i = 0; i < 4 && i < size && data[i] != 0; i++)
		key[i] = (char)data[i];
	key[i] = '\0';
	fuzz_lookups(&d, key);
	(void)dict_parse_hex_u64(data, size);
	(void)dict_parse_hex_i64(data, size);
	dict_view(&d, data, size, 64);
	fuzz_lookups(&d, key);
	fuzz_writes(data, size);
	return 0;
}
