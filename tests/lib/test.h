#pragma once
/*
 * Minimal test support: CHECK records a failure and goes on, REQUIRE
 * stops the test program.  test_main_end() prints the totals and returns
 * the exit status.
 */
#undef NDEBUG
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

extern unsigned int test_checks, test_failures;

void	 test_fail(const char *file, int line, const char *expr,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	 test_main_end(void);

#define CHECK(e) do {							\
	test_checks++;							\
	if (!(e))							\
		test_fail(__FILE__, __LINE__, #e, NULL);		\
} while (0)

#define CHECKF(e, ...) do {						\
	test_checks++;							\
	if (!(e))							\
		test_fail(__FILE__, __LINE__, #e, __VA_ARGS__);		\
} while (0)

#define REQUIRE(e) do {							\
	test_checks++;							\
	if (!(e)) {							\
		test_fail(__FILE__, __LINE__, #e, NULL);		\
		fprintf(stderr, "required check failed, stopping\n");	\
		_exit(1);						\
	}								\
} while (0)

/* compares byte strings and prints both in hex when they differ */
#define CHECK_MEM(a, b, n, what) \
	test_check_mem(__FILE__, __LINE__, (a), (b), (n), (what))
bool	 test_check_mem(const char *, int, const void *, const void *, size_t,
	    const char *);

/*
 * Golden vectors: loads <vectors dir>/<name>.  The directory comes from
 * ZT_VECTORS_DIR (set by meson test).  A missing or unreadable file is a
 * failure, never a skip.
 */
json_t	*test_vectors_load(const char *name);
/* the named member as a string; fails the test (and returns "") if absent */
const char	*test_jstr(json_t *, const char *key);
/* hex member decoded into a heap buffer (free it); fails if absent/bad */
uint8_t	*test_jhex(json_t *, const char *key, size_t *len);
/* decodes hex text into a heap buffer */
uint8_t	*test_hex(const char *, size_t *len);
/* a boolean or integer member; fails if absent */
bool	 test_jbool(json_t *, const char *key);
long long	 test_jint(json_t *, const char *key);

#include <unistd.h>
