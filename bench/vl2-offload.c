/*
 * bench-vl2-offload: what cutting TAP super-frames costs zt-vl2d on one
 * core.  64 KiB TCP super-frames (IPv4 and IPv6, timestamps option) are
 * segmented to the MTU with every checksum completed; then a 1,400-byte
 * UDP frame marked NEEDS_CSUM and a plain frame for the per-read floor.
 * Last, the way into the TAP: the segments of a 64 KiB super-frame
 * joined again (checksums verified, one super-frame written).
 * Each figure is the median of RUNS runs in this thread's CPU time.
 * Run by hand; never a timed test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "offload.h"

#define RUNS	11
#define VH	OFFLOAD_VNET_HDR_LEN

static uint8_t in[VH + 65536];
static uint8_t outbuf[OFFLOAD_BYTES_MAX];
static struct offload_frame frames[OFFLOAD_FRAMES_MAX];

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

/* a frame as the kernel hands it over; returns its length */
static size_t
build(bool v6, uint8_t proto, size_t paylen, uint8_t gso, uint16_t gso_size)
{
	uint8_t *f = in + VH, *ip = f + 14, *l4;
	size_t l3 = v6 ? 40 : 20, l4h = proto == 6 ? 32 : 8, i;

	memset(in, 0, VH + 14 + l3 + l4h);
	memcpy(f, "\x02\x11\x22\x33\x44\x55\x02\x66\x77\x88\x99\xaa", 12);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(l4h + paylen));
		ip[6] = proto;
		ip[7] = 64;
		ip[8] = ip[24] = 0xfd;
		ip[23] = 1;
		ip[39] = 2;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4h + paylen));
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, "\xc6\x12\x01\x01\xc6\x12\x02\x02", 8);
	}
	l4 = ip + l3;
	put16(l4, 40000);
	put16(l4 + 2, 5201);
	if (proto == 6) {
		l4[12] = 0x80;
		l4[13] = 0x18;
		memcpy(l4 + 20, "\x01\x01\x08\x0a", 4);
	} else
		put16(l4 + 4, (uint16_t)(8 + paylen));
	for (i = 0; i < paylen; i++)
		l4[l4h + i] = (uint8_t)(i * 13);
	in[0] = gso != 0 || proto == 17 ? OFFLOAD_F_NEEDS_CSUM : 0;
	in[1] = gso;
	put_le16(in + 2, (uint16_t)(14 + l3 + l4h));
	put_le16(in + 4, gso_size);
	put_le16(in + 6, (uint16_t)(14 + l3));
	put_le16(in + 8, proto == 6 ? 16 : 6);
	return 14 + l3 + l4h + paylen;
}

static void
run(const char *name, bool v6, uint8_t proto, size_t paylen, uint8_t gso,
    uint16_t gso_size, uint16_t mtu, size_t reps)
{
	struct offload_out out = { outbuf, sizeof(outbuf), frames,
	    OFFLOAD_FRAMES_MAX, 0, 0 };
	struct offload_ctx ctx;
	double v[RUNS], ns;
	size_t len, r, i, nout = 0;
	uint64_t t0;

	len = build(v6, proto, paylen, gso, gso_size);
	offload_init(&ctx, VH, mtu);
	for (r = 0; r < RUNS; r++) {
		t0 = cpu_ns();
		for (i = 0; i < reps; i++) {
			if (offload_input(&ctx, in, VH + len, &out) !=
			    OFFLOAD_OK) {
				fprintf(stderr, "%s: refused\n", name);
				exit(1);
			}
			nout = out.n;
		}
		v[r] = (double)(cpu_ns() - t0) / (double)reps;
	}
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	ns = v[RUNS / 2];
	printf("%-34s %6zu frames/read %9.0f ns/read %7.1f ns/frame "
	    "%6.2f Gbit/s payload\n", name, nout, ns, ns / (double)nout,
	    (double)paylen * 8 / ns);
}

static struct offload_gro gro;
static uint8_t segbuf[OFFLOAD_BYTES_MAX];

static void
run_gro(const char *name, uint16_t mtu, uint16_t gso_size, size_t reps)
{
	struct offload_out out = { outbuf, sizeof(outbuf), frames,
	    OFFLOAD_FRAMES_MAX, 0, 0 };
	struct offload_ctx ctx;
	const uint8_t *p;
	double v[RUNS], ns;
	size_t len, r, i, j, n, off = 0, plen;
	uint64_t t0;

	len = build(false, 6, 65000, 1, gso_size);
	offload_init(&ctx, VH, mtu);
	if (offload_input(&ctx, in, VH + len, &out) != OFFLOAD_OK)
		exit(1);
	/* the segments move to storage of their own */
	n = out.n;
	for (i = 0; i < n; i++) {
		memcpy(segbuf + off, out.frames[i].p, out.frames[i].len);
		frames[i].p = segbuf + off;
		off += out.frames[i].len;
	}
	offload_gro_init(&gro, VH);
	for (r = 0; r < RUNS; r++) {
		t0 = cpu_ns();
		for (j = 0; j < reps; j++) {
			for (i = 0; i < n; i++)
				if (offload_gro_add(&gro, frames[i].p,
				    frames[i].len) != OFFLOAD_GRO_HELD) {
					fprintf(stderr, "%s: not joined\n",
					    name);
					exit(1);
				}
			if ((p = offload_gro_flush(&gro, &plen)) == NULL)
				exit(1);
		}
		v[r] = (double)(cpu_ns() - t0) / (double)reps;
	}
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	ns = v[RUNS / 2];
	printf("%-34s %6zu frames/write %8.0f ns/write %7.1f ns/frame "
	    "%6.2f Gbit/s payload\n", name, n, ns, ns / (double)n,
	    65000.0 * 8 / ns);
}

int
main(void)
{
	log_init("bench-vl2-offload", LOG_LVL_WARN);
	printf("TAP offload segmentation, one core, median of %d runs\n",
	    RUNS);
	run("TCPv4 64K super-frame, MTU 2800", false, 6, 65000, 1, 2748,
	    2800, 2000);
	run("TCPv4 64K super-frame, MTU 1400", false, 6, 65000, 1, 1348,
	    1400, 2000);
	run("TCPv6 64K super-frame, MTU 2800", true, 6, 65000, 4, 2728,
	    2800, 2000);
	run("USO v4 64K (1,400-byte datagrams)", false, 17, 64400, 5, 1400,
	    1500, 2000);
	run("UDP 1,400 B, NEEDS_CSUM only", false, 17, 1400, 0, 0, 2800,
	    200000);
	run("TCP 1,400 B, plain", false, 6, 1400, 0, 0, 2800, 2000000);
	run_gro("GRO: 64K from MTU 2800 segments", 2800, 2748, 2000);
	run_gro("GRO: 64K from MTU 1400 segments", 1400, 1348, 2000);
	return 0;
}
