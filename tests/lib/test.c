#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "test.h"

unsigned int test_checks, test_failures;

void
test_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	test_failures++;
	fprintf(stderr, "FAIL %s:%d: %s", file, line, expr);
	if (fmt != NULL) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
}

int
test_main_end(void)
{
	printf("%u checks, %u failed\n", test_checks, test_failures);
	return test_failures == 0 && test_checks > 0 ? 0 : 1;
}

static void
test_print_hex(const char *label, const void *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (s == NULL)
		return;
	hex_encode(p, n, s);
	fprintf(stderr, "  %s: %s\n", label, s);
	free(s);
}

bool
test_check_mem(const char *file, int line, const void *a, const void *b,
    size_t n, const char *what)
{
	test_checks++;
	if (n == 0 || memcmp(a, b, n) == 0)
		return true;
	test_fail(file, line, "bytes equal", "%s", what);
	test_print_hex("got     ", a, n);
	test_print_hex("expected", b, n);
	return false;
}

json_t *
test_vectors_load(const char *name)
{
	const char *dir = getenv("ZT_VECTORS_DIR");
	char path[4096];
	json_error_t err;
	json_t *j;

	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "FAIL: ZT_VECTORS_DIR is not set\n");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((j = json_load_file(path, JSON_REJECT_DUPLICATES, &err)) == NULL) {
		fprintf(stderr, "FAIL: vector file %s: %s (line %d)\n", path,
		    err.text, err.line);
		exit(1);
	}
	return j;
}

const char *
test_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL) {
		test_fail(__FILE__, __LINE__, key, "string member missing");
		return "";
	}
	return s;
}

uint8_t *
test_hex(const char *s, size_t *len)
{
	uint8_t *p = NULL;

	if (hex_decode_alloc(s, SIZE_MAX / 2, &p, len) == -1) {
		test_fail(__FILE__, __LINE__, s, "bad hex");
		*len = 0;
		return calloc(1, 1);
	}
	return p;
}

uint8_t *
test_jhex(json_t *o, const char *key, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL) {
		test_fail(__FILE__, __LINE__, key, "hex member missing");
		*len = 0;
		return calloc(1, 1);
	}
	return test_hex(s, len);
}

bool
test_jbool(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		test_fail(__FILE__, __LINE__, key, "boolean member missing");
		return false;
	}
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	return json_is_true(v);
}

long long
test_jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v)) {
		test_fail(__FILE__, __LINE__, key, "integer member missing");
		return 0;
	}
	return json_integer_value(v);
}
