/*
 * Identity costs: the memory-hard hash (what a node pays to check a new
 * peer's identity) and identity generation.  The key pairs come from a
 * seeded source so that runs hash the same keys and compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "buf.h"
#include "c25519.h"
#include "identity.h"
#include "salsa20.h"
#include "sha.h"

#define HASH_RUNS		101
#define GEN_MIN_ATTEMPTS	200
#define GEN_MAX_ATTEMPTS	4096

struct bench_keys {
	uint64_t	 ctr;
	uint64_t	 last_ns;	/* when the previous attempt began */
	double		*attempt_ms;
	size_t		 nattempts;
};

static int
bench_seeded_keypair(uint8_t pub[64], uint8_t priv[64], void *arg)
{
	struct bench_keys *k = arg;
	uint64_t now = bench_now_ns();
	uint8_t b[8];

	/* the time since the last call is one whole attempt */
	if (k->last_ns != 0 && k->nattempts < GEN_MAX_ATTEMPTS)
		k->attempt_ms[k->nattempts++] = (now - k->last_ns) / 1e6;
	k->last_ns = now;
	be64_put(b, k->ctr++);
	sha512(priv, b, sizeof(b));
	return c25519_public_from_private(pub, priv);
}

static void
bench_hash(const char *impl)
{
	double ms[HASH_RUNS];
	uint8_t priv[64], pub[64], d[64], b[8];
	uint64_t t0;
	size_t i;

	if (salsa20_set_impl(impl) == -1)
		return;
	for (i = 0; i < HASH_RUNS; i++) {
		be64_put(b, i);
		sha512(priv, b, sizeof(b));
		c25519_public_from_private(pub, priv);
		t0 = bench_now_ns();
		if (identity_memory_hard_hash(pub, d) == -1) {
			printf("identity: memory-hard hash failed\n");
			break;
		}
		ms[i] = (bench_now_ns() - t0) / 1e6;
	}
	if (i == HASH_RUNS)
		printf("identity: memory-hard hash (fresh 2 MiB each), "
		    "median %.2f ms over %d runs [salsa20: %s]\n",
		    bench_median(ms, HASH_RUNS), HASH_RUNS, salsa20_impl());
	salsa20_set_impl(NULL);
}

/* validation as zt-vl1d does it, with the 2 MiB kept */
static void
bench_validate(void)
{
	double ms[HASH_RUNS];
	struct identity_hasher *h;
	struct identity id;
	uint64_t t0;
	size_t i;

	if ((h = identity_hasher_new()) == NULL)
		return;
	memset(&id, 0, sizeof(id));
	for (i = 0; i < HASH_RUNS; i++) {
		be64_put(id.pub, i);
		id.address = 0x0123456789;
		t0 = bench_now_ns();
		(void)identity_hasher_valid(h, &id);
		ms[i] = (bench_now_ns() - t0) / 1e6;
	}
	printf("identity: validation (hasher, 2 MiB reused), median %.2f ms "
	    "over %d runs [salsa20: %s]\n", bench_median(ms, HASH_RUNS),
	    HASH_RUNS, salsa20_impl());
	identity_hasher_free(h);
}

static void
bench_generate(void)
{
	struct bench_keys k = { .ctr = 1 };
	struct identity id;
	unsigned long n, total = 0, ids = 0;
	uint64_t t0, ns = 0;

	if ((k.attempt_ms = calloc(GEN_MAX_ATTEMPTS,
	    sizeof(*k.attempt_ms))) == NULL)
		return;
	while (total < GEN_MIN_ATTEMPTS) {
		k.last_ns = 0;
		t0 = bench_now_ns();
		if (identity_generate_with(&id, bench_seeded_keypair, &k,
		    &n) == -1) {
			printf("identity: generation failed\n");
			goto done;
		}
		ns += bench_now_ns() - t0;
		if (!identity_locally_valid(&id))
			printf("identity: generated identity is invalid\n");
		identity_clear(&id);
		total += n;
		ids++;
	}
	printf("identity: generation attempt (key pair + hash, 2 MiB "
	    "reused), median %.2f ms over %zu attempts [salsa20: %s]\n",
	    bench_median(k.attempt_ms, k.nattempts), k.nattempts,
	    salsa20_impl());
	printf("identity: generation, mean %.1f ms per identity, %.1f "
	    "attempts per identity (%lu identities, %lu seeded attempts)\n",
	    ns / 1e6 / (double)ids, (double)total / (double)ids, ids, total);
done:
	free(k.attempt_ms);
}

void
bench_identity(void)
{
	/* every engine this CPU has; the best one is the default */
	bench_hash("portable");
	bench_hash("sse2");
	bench_hash("avx2");
	bench_validate();
	bench_generate();
}
