/*
 * Dictionary codec against vectors/dictionary.json ("sets",
 * "decode_cases" and the dictionary level of "network_configs"; the
 * NetworkConfig level is in test-netconf.c), plus capacity, replace and
 * integer parsing cases taken from 1.14.1's Dictionary.hpp behaviour.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dictionary.h"
#include "test.h"

static void
check_get(const struct dict *d, const char *key, const uint8_t *want,
    size_t wantlen, const char *what)
{
	uint8_t *v;
	size_t n;

	CHECKF(dict_get_alloc(d, key, &v, &n) == 0 && v != NULL,
	    "%s: key %s", what, key);
	if (v == NULL)
		return;
	CHECKF(n == wantlen, "%s: key %s: %zu bytes, want %zu", what, key, n,
	    wantlen);
	if (n == wantlen)
		CHECK_MEM(v, want, n, key);
	free(v);
}

/* adds one "sets" entry with the Dictionary::add overload its kind names */
static int
add_entry(struct dict *d, json_t *e)
{
	const char *kind = test_jstr(e, "kind"), *key = test_jstr(e, "key");
	const char *num;
	uint8_t *vb;
	size_t vlen;
	uint64_t a;
	int rc = -1;

	vb = test_jhex(e, "value_bytes", &vlen);
	if (strcmp(kind, "string") == 0 || strcmp(kind, "binary") == 0) {
		rc = dict_add(d, key, vb, vlen);
	} else if (strcmp(kind, "uint64") == 0 || strcmp(kind, "int64") == 0) {
		num = test_jstr(e, "value_number");
		/* value_bytes is the number as the generator printed it */
		CHECKF(vlen == strlen(num) && memcmp(vb, num, vlen) == 0,
		    "value_bytes of %s", key);
		if (kind[0] == 'u')
			rc = dict_add_u64(d, key, strtoull(num, NULL, 0));
		else
			rc = dict_add_i64(d, key, strtoll(num, NULL, 0));
	} else if (strcmp(kind, "bool") == 0) {
		rc = dict_add_bool(d, key, test_jbool(e, "value_bool"));
	} else if (strcmp(kind, "address") == 0) {
		a = strtoull(test_jstr(e, "value_address"), NULL, 16);
		rc = dict_add_address(d, key, a);
	} else {
		CHECKF(0, "unknown kind %s", kind);
	}
	free(vb);
	return rc;
}

static void
test_sets(json_t *sets)
{
	struct dict d, v, l;
	json_t *s, *e;
	size_t i, j, elen, glen;
	uint8_t *enc, *g;
	const char *text;

	REQUIRE(json_array_size(sets) > 0);
	json_array_foreach(sets, i, s) {
		const char *name = test_jstr(s, "name");

		/* every set is small enough for a config request's metadata */
		dict_init(&d, DICT_CAP_REQ_META);
		json_array_foreach(json_object_get(s, "entries"), j, e) {
			bool ok = add_entry(&d, e) == 0;

			CHECKF(ok == test_jbool(e, "add_ok"), "%s: add %s",
			    name, test_jstr(e, "key"));
			g = test_jhex(e, "get_bytes", &glen);
			CHECK(glen == (size_t)test_jint(e, "get_length"));
			check_get(&d, test_jstr(e, "key"), g, glen, name);
			free(g);
		}
		enc = test_jhex(s, "encoded", &elen);
		CHECKF(dict_len(&d) == elen, "%s: %zu bytes, want %zu", name,
		    dict_len(&d), elen);
		CHECK(elen == (size_t)test_jint(s, "size_bytes"));
		if (dict_len(&d) == elen)
			CHECK_MEM(dict_data(&d), enc, elen, name);
		if (json_object_get(s, "encoded_text") != NULL) {
			text = test_jstr(s, "encoded_text");
			CHECK(strlen(text) == elen &&
			    memcmp(text, enc, elen) == 0);
		}

		/* decode back, from a view and from a loaded copy */
		dict_view(&v, enc, elen, DICT_CAP_REQ_META);
		REQUIRE(dict_load(&l, enc, elen, DICT_CAP_REQ_META) == 0);
		CHECK(dict_len(&l) == elen);
		json_array_foreach(json_object_get(s, "entries"), j, e) {
			g = test_jhex(e, "get_bytes", &glen);
			check_get(&v, test_jstr(e, "key"), g, glen, name);
			check_get(&l, test_jstr(e, "key"), g, glen, name);
			free(g);
		}
		free(enc);
		dict_free(&l);
		dict_free(&d);
	}
}

static void
test_decode_cases(json_t *cases)
{
	struct dict d;
	json_t *c, *lk;
	size_t i, j, elen, vlen;
	uint8_t *enc, *val;
	uint64_t want;

	REQUIRE(json_array_size(cases) > 0);
	json_array_foreach(cases, i, c) {
		const char *desc = test_jstr(c, "description");

		enc = test_jhex(c, "encoded", &elen);
		dict_view(&d, enc, elen, DICT_CAP_NETCONF);
		CHECK(dict_len(&d) == elen);
		REQUIRE(json_array_size(json_object_get(c, "lookups")) > 0);
		json_array_foreach(json_object_get(c, "lookups"), j, lk) {
			const char *key = test_jstr(lk, "key");
			bool found = test_jbool(lk, "found");

			CHECKF(dict_has(&d, key) == found, "%s: %s", desc, key);
			val = test_jhex(lk, "value", &vlen);
			if (found)
				check_get(&d, key, val, vlen, desc);
			else
				CHECK(dict_get(&d, key, NULL, 0, NULL) == -1);
			free(val);
			want = strtoull(test_jstr(lk, "getUI"), NULL, 16);
			CHECKF(dict_get_u64(&d, key, 0) == want,
			    "%s: getUI(%s) = %016" PRIx64, desc, key,
			    dict_get_u64(&d, key, 0));
			CHECKF(dict_get_bool(&d, key, false) ==
			    test_jbool(lk, "getB_default_false"),
			    "%s: getB(%s)", desc, key);
		}
		free(enc);
	}
}

/* the dictionary level of every network config: entries and values */
static void
test_network_configs(json_t *ncs)
{
	struct dict d;
	json_t *nc, *e;
	size_t i, j, dlen, vlen, lines;
	uint8_t *dbytes, *val;

	REQUIRE(json_array_size(ncs) > 0);
	json_array_foreach(ncs, i, nc) {
		const char *name = test_jstr(nc, "name");
		json_t *entries = json_object_get(nc, "dictionary_entries");

		dbytes = test_jhex(nc, "dictionary", &dlen);
		CHECK(dlen == (size_t)test_jint(nc, "dictionary_size"));
		dict_view(&d, dbytes, dlen, DICT_CAP_NETCONF);
		CHECKF(dict_len(&d) == dlen, "%s", name);
		/* escaping keeps every entry on one line */
		lines = 1;
		for (j = 0; j < dlen; j++)
			lines += dbytes[j] == '\n';
		CHECKF(lines == json_array_size(entries), "%s: %zu lines",
		    name, lines);
		json_array_foreach(entries, j, e) {
			const char *key = test_jstr(e, "key");

			val = test_jhex(e, "value", &vlen);
			check_get(&d, key, val, vlen, name);
			if (json_object_get(e, "value_text") != NULL)
				CHECK(strlen(test_jstr(e, "value_text")) ==
				    vlen && memcmp(test_jstr(e, "value_text"),
				    val, vlen) == 0);
			free(val);
		}
		free(dbytes);
	}
}

/* 1.14.1 refuses an add that leaves no room for the NUL, atomically */
static void
test_capacity(void)
{
	struct dict d;
	uint8_t big[40];

	dict_init(&d, 8);
	CHECK(dict_add_str(&d, "a", "12345") == 0);	/* "a=12345" is 7 */
	CHECK(dict_len(&d) == 7);
	CHECK(dict_add_str(&d, "b", "") == -1);		/* "\nb=" needs 3 */
	CHECK(dict_len(&d) == 7 && memcmp(dict_data(&d), "a=12345", 7) == 0);
	dict_clear(&d);
	CHECK(dict_len(&d) == 0);
	CHECK(dict_add_str(&d, "a", "123456") == -1);	/* 8 + NUL > 8 */
	/* escaping counts: "k=\0\0" is 6 bytes */
	memset(big, 0, sizeof(big));
	CHECK(dict_add(&d, "k", big, 2) == 0 && dict_len(&d) == 6);
	CHECK(dict_add(&d, "k", big, 1) == -1 && dict_len(&d) == 6);
	dict_free(&d);

	/* growth across many adds up to exactly C - 1 bytes */
	dict_init(&d, 1000);
	for (int i = 0; i < 1000; i++)
		if (dict_add_str(&d, "x", "yyyyyyy") == -1)
			break;
	/* 9 bytes for the first, 10 for each later: 9 + 99 * 10 = 999 */
	CHECK(dict_len(&d) == 999);
	/* a value without digits parses as 0, not as the default */
	CHECK(dict_get_u64(&d, "x", 5) == 0);
	dict_free(&d);

	/* bad keys and read-only views */
	dict_init(&d, 100);
	CHECK(dict_add_str(&d, "", "v") == -1);
	CHECK(dict_add_str(&d, "a=b", "v") == -1);
	CHECK(dict_add_str(&d, "a\nb", "v") == -1);
	CHECK(dict_add_str(&d, "a\rb", "v") == -1);
	CHECK(dict_len(&d) == 0);
	dict_free(&d);
	dict_view(&d, "a=1", 3, 100);
	CHECK(dict_add_str(&d, "b", "2") == -1);
	CHECK(dict_remove(&d, "a") == -1);
	CHECK(dict_set(&d, "a", "2", 1) == -1);
	CHECK(dict_get_u64(&d, "a", 0) == 1);
}

/* views and loads stop at C - 1 bytes and at the first NUL */
static void
test_bounds(void)
{
	static const uint8_t raw[] = "a=1\nb=2\0c=3";
	struct dict d;
	uint8_t out[4];
	size_t n;

	dict_view(&d, raw, sizeof(raw) - 1, DICT_CAP_NETCONF);
	CHECK(dict_len(&d) == 7);
	CHECK(!dict_has(&d, "c"));
	dict_view(&d, raw, 7, 6);			/* keeps 5: "a=1\nb" */
	CHECK(dict_len(&d) == 5 && dict_has(&d, "a") && !dict_has(&d, "b"));
	dict_view(&d, "k=v\\", 4, 100);			/* trailing backslash */
	CHECK(dict_get(&d, "k", out, sizeof(out), &n) == 0 && n == 1 &&
	    out[0] == 'v');
	dict_view(&d, "k", 1, 100);			/* key without '=' */
	CHECK(!dict_has(&d, "k"));
	dict_view(&d, "k=", 2, 100);
	CHECK(dict_has(&d, "k") && dict_get_u64(&d, "k", 7) == 7);
	CHECK(dict_get_bool(&d, "k", true) == false);
	CHECK(dict_get_bool(&d, "missing", true) == true);
	dict_view(&d, NULL, 10, 100);
	CHECK(dict_len(&d) == 0 && !dict_has(&d, ""));

	CHECK(dict_load(&d, "a=1\nb=2", 7, 7) == -1);	/* 7 + NUL > 7 */
	CHECK(dict_load(&d, "a=1\nb=2", 7, 8) == 0 && dict_len(&d) == 7);
	CHECK(dict_add_str(&d, "c", "") == -1);
	dict_free(&d);
	CHECK(dict_load(&d, "a=1\0b=2", 7, 4) == 0 && dict_len(&d) == 3);
	dict_free(&d);

	/* a value longer than the destination is cut, as ZeroTier's get */
	dict_view(&d, "k=abcdef", 8, 100);
	CHECK(dict_get(&d, "k", out, 3, &n) == 0 && n == 3 &&
	    memcmp(out, "abc", 3) == 0);
}

static void
test_replace(void)
{
	struct dict d;
	uint8_t out[8];
	size_t n;

	dict_init(&d, 64);
	CHECK(dict_add_str(&d, "a", "1") == 0);
	CHECK(dict_add_str(&d, "ab", "2") == 0);
	CHECK(dict_add_str(&d, "a", "3") == 0);
	CHECK(dict_get_u64(&d, "a", 0) == 1);		/* first wins */
	CHECK(dict_set(&d, "a", "4", 1) == 0);
	CHECK(dict_len(&d) == 8 && memcmp(dict_data(&d), "ab=2\na=4", 8) == 0);
	CHECK(dict_set(&d, "ab", "5", 1) == 0);
	CHECK(dict_len(&d) == 8 && memcmp(dict_data(&d), "a=4\nab=5", 8) == 0);
	CHECK(dict_remove(&d, "ab") == 0);
	CHECK(dict_len(&d) == 3 && memcmp(dict_data(&d), "a=4", 3) == 0);
	CHECK(dict_remove(&d, "zz") == 0 && dict_len(&d) == 3);
	CHECK(dict_remove(&d, "a") == 0 && dict_len(&d) == 0);
	CHECK(dict_set(&d, "k", "v", 1) == 0 && dict_len(&d) == 3);
	/* a replacement that does not fit leaves the old entry */
	memset(out, 'x', sizeof(out));
	CHECK(dict_add_str(&d, "q", "0123456789012345678901234567890123") ==
	    0);
	CHECK(dict_set(&d, "k", "0123456789012345678901234567", 28) == -1);
	CHECK(dict_get(&d, "k", out, sizeof(out), &n) == 0 && n == 1 &&
	    out[0] == 'v');
	dict_free(&d);

	/* the networks.d/<nwid>.conf placeholder: a single LF, then adds */
	CHECK(dict_load(&d, "\n", 1, DICT_CAP_LOCAL_CONF) == 0);
	CHECK(dict_add_bool(&d, "allowManaged", true) == 0);
	CHECK(dict_len(&d) == 16 && dict_get_bool(&d, "allowManaged", false));
	dict_free(&d);
}

static void
test_parse_hex(void)
{
#define PU(s)	dict_parse_hex_u64((const uint8_t *)(s), strlen(s))
#define PI(s)	dict_parse_hex_i64((const uint8_t *)(s), strlen(s))
	CHECK(PU("ff") == 0xff);
	CHECK(PU(" \t0x1F") == 0x1f);
	CHECK(PU("0X") == 0);
	CHECK(PU("0xg") == 0);
	CHECK(PU("+10") == 0x10);
	CHECK(PU("-2a") == (uint64_t)0 - 0x2a);
	CHECK(PU("10000000000000000") == UINT64_MAX);
	CHECK(PU("-10000000000000000") == UINT64_MAX);
	CHECK(PU("ffffffffffffffff") == UINT64_MAX);
	CHECK(PU("fa lse") == 0xfa);
	CHECK(PU("") == 0);
	CHECK(PI("-2a") == -42);
	CHECK(PI("7fffffffffffffff") == INT64_MAX);
	CHECK(PI("8000000000000000") == INT64_MAX);
	CHECK(PI("-8000000000000000") == INT64_MIN);
	CHECK(PI("-8000000000000001") == INT64_MIN);
	CHECK(PI("0000018bcfe57d7c") == 1700000005500LL);
	CHECK(dict_parse_hex_u64((const uint8_t *)"12\0003", 4) == 0x12);
	CHECK(dict_parse_hex_u64(NULL, 0) == 0);
#undef PU
#undef PI
	{
		struct dict d;

		/* INT64_MIN is written as what a reader makes of it */
		dict_init(&d, 1000);
		CHECK(dict_add_i64(&d, "m", INT64_MIN) == 0);
		CHECK(dict_add_i64(&d, "n", -42) == 0);
		CHECK(dict_get_i64(&d, "m", 0) == INT64_MAX);
		CHECK(dict_get_i64(&d, "n", 0) == 42);
		dict_free(&d);
	}
	{
		struct dict d;

		/* getUI reads at most 127 bytes: spaces push digits out */
		char v[200];

		memset(v, ' ', sizeof(v));
		memcpy(v, "k=", 2);
		v[2 + 126] = '5';
		v[2 + 127] = '6';
		dict_view(&d, v, 2 + 128, 1000);
		CHECK(dict_get_u64(&d, "k", 9) == 5);
		CHECK(dict_get_i64(&d, "k", 9) == 5);
		CHECK(dict_get_i64(&d, "absent", -9) == -9);
	}
}

int
main(void)
{
	json_t *v = test_vectors_load("dictionary.json");

	test_sets(json_object_get(v, "sets"));
	test_decode_cases(json_object_get(v, "decode_cases"));
	test_network_configs(json_object_get(v, "network_configs"));
	test_capacity();
	test_bounds();
	test_replace();
	test_parse_hex();
	json_decref(v);
	return test_main_end();
}
