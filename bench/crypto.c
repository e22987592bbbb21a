/*
 * Crypto costs on one core: Salsa20/12 keystream per engine, both Poly1305
 * candidates with a fresh key per 1,400-byte message (the per-packet
 * case), packet armor for suites 1 and 3 on 1,400-byte packets, Ed25519
 * and X25519.  Each figure is the median of RUNS timed runs, timed in
 * this thread's CPU time so that other load on the machine (preemption)
 * does not count; contention for shared caches and SMT siblings still does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "armor.h"
#include "bench.h"
#include "c25519.h"
#include "poly1305.h"
#include "salsa20.h"
#include "sha.h"

#define RUNS		15
#define PKT_LEN		1400
#define STREAM_LEN	(64 * 1024)

/* keeps results alive so the compiler cannot drop the work */
static volatile uint8_t	bench_sink;

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double
mbps(double bytes, double ns)
{
	return bytes / ns * 1e9 / 1e6;
}

static void
bench_salsa(void)
{
	static const char *engines[] = { "portable", "sse2", "avx2" };
	struct salsa20 s;
	uint8_t key[32] = { 1 }, iv[8] = { 2 }, *buf;
	double v[RUNS];
	uint64_t t0;
	size_t e, r, i, reps = 64;

	if ((buf = malloc(STREAM_LEN)) == NULL)
		return;
	for (e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		if (salsa20_set_impl(engines[e]) == -1)
			continue;
		salsa20_init(&s, key, iv, 12);
		for (r = 0; r < RUNS; r++) {
			t0 = cpu_ns();
			for (i = 0; i < reps; i++)
				salsa20_keystream(&s, buf, STREAM_LEN);
			v[r] = mbps((double)reps * STREAM_LEN,
			    (double)(cpu_ns() - t0));
		}
		bench_sink ^= buf[0];
		printf("salsa20/12 keystream [%s]: %.0f MB/s\n", engines[e],
		    bench_median(v, RUNS));
	}
	salsa20_set_impl(NULL);
	free(buf);
}

static void
bench_poly(void)
{
	static const struct {
		const char	*name;
		void		(*fn)(uint8_t *, const void *, size_t,
				    const uint8_t *);
	} cands[] = {
		{ "donna (ours)", poly1305_donna },
		{ "OpenSSL EVP_MAC", poly1305_evp },
	};
	uint8_t key[32], msg[PKT_LEN], tag[16];
	double v[RUNS];
	uint64_t t0;
	size_t c, r, i, n = 20000;

	memset(msg, 0x5a, sizeof(msg));
	memset(key, 0x33, sizeof(key));
	poly1305_warmup();
	for (c = 0; c < sizeof(cands) / sizeof(cands[0]); c++) {
		for (r = 0; r < RUNS; r++) {
			t0 = cpu_ns();
			for (i = 0; i < n; i++) {
				/* a fresh key per message, as per packet */
				key[i & 31] ^= (uint8_t)i;
				cands[c].fn(tag, msg, sizeof(msg), key);
				bench_sink ^= tag[0];
			}
			v[r] = (double)(cpu_ns() - t0) / n;
		}
		printf("poly1305 %s, %d-byte messages, new key each: "
		    "%.0f MB/s (%.0f ns/msg)\n", cands[c].name, PKT_LEN,
		    mbps(PKT_LEN, bench_median(v, RUNS)),
		    bench_median(v, RUNS));
	}
}

static void
bench_armor_suite(struct armor_key *k, unsigned int suite, const char *name)
{
	uint8_t pkt[PKT_LEN];
	double v[RUNS], d[RUNS], ns;
	uint64_t t0, id;
	size_t r, i, n = 20000;

	memset(pkt, 0x42, sizeof(pkt));
	pkt[18] = 0;
	for (r = 0; r < RUNS; r++) {
		t0 = cpu_ns();
		for (i = 0; i < n; i++) {
			id = i;
			memcpy(pkt, &id, sizeof(id));
			armor_packet(pkt, sizeof(pkt), k, suite);
		}
		v[r] = (double)(cpu_ns() - t0) / n;
	}
	/* dearmor: the same packet each time, restored from a copy */
	for (r = 0; r < RUNS; r++) {
		uint8_t wire[PKT_LEN];

		memcpy(wire, pkt, sizeof(wire));
		t0 = cpu_ns();
		for (i = 0; i < n; i++) {
			memcpy(pkt, wire, sizeof(pkt));
			if (armor_dearmor(pkt, sizeof(pkt), k) == -1)
				bench_sink ^= 1;
		}
		d[r] = (double)(cpu_ns() - t0) / n;
		memcpy(pkt, wire, sizeof(pkt));
	}
	ns = bench_median(v, RUNS);
	printf("armor %s, %d-byte packets: %.0f MB/s, %.0f packets/s "
	    "(%.0f ns/packet)\n", name, PKT_LEN, mbps(PKT_LEN, ns), 1e9 / ns,
	    ns);
	ns = bench_median(d, RUNS);
	printf("dearmor %s, %d-byte packets: %.0f MB/s, %.0f packets/s\n",
	    name, PKT_LEN, mbps(PKT_LEN, ns), 1e9 / ns);
}

static void
bench_armor(void)
{
	struct armor_key k;
	uint8_t key[ARMOR_KEY_LEN];
	char name[64];
	int evp;

	memset(key, 0x17, sizeof(key));
	for (evp = 0; evp < 2; evp++) {
		/* the AES engine is chosen when the key is set up */
		aes_gmac_siv_force_evp(evp);
		if (armor_key_init(&k, key) == -1) {
			printf("armor: key set-up failed\n");
			return;
		}
		if (evp == 0)
			bench_armor_suite(&k, ARMOR_SUITE_SALSA2012_POLY1305,
			    "Salsa20/12-Poly1305 (suite 1)");
		snprintf(name, sizeof(name), "AES-GMAC-SIV (suite 3) [%s]",
		    aes_gmac_siv_impl());
		bench_armor_suite(&k, ARMOR_SUITE_AES_GMAC_SIV, name);
		armor_key_clear(&k);
	}
	aes_gmac_siv_force_evp(0);
}

static void
bench_report_op(const char *what, double ns)
{
	printf("%s: %.0f per second (%.1f us/op)\n", what, 1e9 / ns,
	    ns / 1e3);
}

static void
bench_25519(void)
{
	uint8_t pub[64], priv[64], peers[16][64], ppriv[64], sig[96];
	uint8_t msg[32] = { 7 }, out[32];
	double s[RUNS], v[RUNS], zv[RUNS], x[RUNS];
	uint64_t t0;
	size_t r, i, n = 400;

	if (c25519_warmup() == -1 || c25519_generate(pub, priv) == -1)
		return;
	for (i = 0; i < 16; i++)
		if (c25519_generate(peers[i], ppriv) == -1)
			return;
	for (r = 0; r < RUNS; r++) {
		t0 = cpu_ns();
		for (i = 0; i < n; i++) {
			msg[0] = (uint8_t)i;
			c25519_ed25519_sign(sig, priv, msg, sizeof(msg));
		}
		s[r] = (double)(cpu_ns() - t0) / n;
		t0 = cpu_ns();
		for (i = 0; i < n; i++)
			if (c25519_ed25519_verify(pub, msg, sizeof(msg),
			    sig) == -1)
				bench_sink ^= 1;
		v[r] = (double)(cpu_ns() - t0) / n;
		c25519_zt_sign(sig, priv, msg, sizeof(msg));
		t0 = cpu_ns();
		for (i = 0; i < n; i++)
			if (c25519_zt_verify(pub, msg, sizeof(msg), sig,
			    ZT_SIGNATURE_LEN) == -1)
				bench_sink ^= 1;
		zv[r] = (double)(cpu_ns() - t0) / n;
		/* one own key, a different peer each time: the key holder */
		t0 = cpu_ns();
		for (i = 0; i < n; i++)
			if (c25519_x25519(out, priv, peers[i & 15]) == -1)
				bench_sink ^= 1;
		x[r] = (double)(cpu_ns() - t0) / n;
	}
	bench_report_op("Ed25519 sign (32-byte message)", bench_median(s,
	    RUNS));
	bench_report_op("Ed25519 verify (32-byte message)", bench_median(v,
	    RUNS));
	bench_report_op("ZeroTier 96-byte signature verify",
	    bench_median(zv, RUNS));
	bench_report_op("X25519 agreement", bench_median(x, RUNS));
	c25519_forget();
}

void
bench_crypto(void)
{
	sha_warmup();
	printf("crypto: medians of %d runs, one core, thread CPU time\n",
	    RUNS);
	bench_salsa();
	bench_poly();
	bench_armor();
	bench_25519();
}
