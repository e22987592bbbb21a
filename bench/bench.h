#pragma once
/*
 * Benchmarks, run by hand (zt-bench [name...]); each prints its figures
 * to stdout.  Never timed tests: figures depend on the machine.
 */
#include <stddef.h>
#include <stdint.h>

/* monotonic clock, nanoseconds */
uint64_t	 bench_now_ns(void);
/* median of n values (sorts v) */
double		 bench_median(double *v, size_t n);

/* bench/crypto.c; runs before bench_identity */
void	 bench_crypto(void);
void	 bench_identity(void);
