/* zt-bench: runs the named benchmarks, or all of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

static const struct bench_entry {
	const char	*name;
	void		(*fn)(void);
} bench_table[] = {
	{ "crypto", bench_crypto },
	{ "identity", bench_identity },
	{ NULL, NULL },
};

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	const struct bench_entry *b;
	int i, rc = 0;

	if (argc < 2) {
		for (b = bench_table; b->name != NULL; b++)
			b->fn();
		return 0;
	}
	for (i = 1; i < argc; i++) {
		for (b = bench_table; b->name != NULL; b++)
			if (strcmp(b->name, argv[i]) == 0)
				break;
		if (b->name == NULL) {
			fprintf(stderr, "zt-bench: unknown benchmark %s\n",
			    argv[i]);
			rc = 2;
			continue;
		}
		b->fn();
	}
	return rc;
}
