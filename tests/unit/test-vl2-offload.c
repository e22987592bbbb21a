/*
 * TAP offloads (vl2d/offload.c): super-frames built here the way the
 * kernel hands them over (virtio-net header, pseudo-header sum in the
 * checksum field, lengths of the whole super-frame) are cut, and every
 * piece is checked with this file's own checksum code: Ethernet payload
 * within the MTU, IP lengths and ids, TCP sequence numbers and flags,
 * IPv4 header and TCP/UDP checksums, the payload put back together.
 * Then each malformed header, TUNSETOFFLOAD on a real TAP, and real
 * super-frames from the kernel's TCP: a connection over a TAP in a
 * network namespace of its own, the far end played by this test.
 */
#define _GNU_SOURCE	/* unshare */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/ipv6.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "offload.h"
#include "test.h"

#define VH	OFFLOAD_VNET_HDR_LEN

static uint8_t inbuf[OFFLOAD_VNET_HDR_MRG_LEN + 70000];
static uint8_t outbuf[OFFLOAD_BYTES_MAX];
static struct offload_frame frames[OFFLOAD_FRAMES_MAX];
static struct offload_out out = {
	outbuf, sizeof(outbuf), frames, OFFLOAD_FRAMES_MAX, 0, 0
};

/* byte-by-byte RFC 1071 sum, independent of offload_csum_add */
static uint32_t
ref_add(uint32_t acc, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
wbe16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
wbe32(uint8_t *p, uint32_t v)
{
	wbe16(p, v >> 16);
	wbe16(p + 2, v & 0xffff);
}

static uint32_t
ref_pseudo(const uint8_t *ip, bool v6, uint8_t proto, size_t l4len)
{
	uint8_t t[8] = { 0 };

	wbe32(t, (uint32_t)l4len);
	t[7] = proto;
	if (v6)
		return ref_add(ref_add(0, ip + 8, 32), t, 8);
	return ref_add(ref_add(0, ip + 12, 8), t, 8);
}

/* what a frame's headers say, as this test reads them */
struct seen {
	size_t		 l3off, l4off, l3end;
	bool		 v6;
	uint8_t		 proto;
};

static bool
ref_parse(const uint8_t *f, size_t len, struct seen *s)
{
	size_t off = 14;
	uint16_t type = be16(f + 12);

	memset(s, 0, sizeof(*s));
	while (type == 0x8100 || type == 0x88a8) {
		type = be16(f + off + 2);
		off += 4;
	}
	s->l3off = off;
	if (type == 0x0800) {
		s->l4off = off + (f[off] & 15) * 4;
		s->l3end = off + be16(f + off + 2);
		s->proto = f[off + 9];
	} else if (type == 0x86dd) {
		s->v6 = true;
		s->l3end = off + 40 + be16(f + off + 4);
		s->proto = f[off + 6];
		s->l4off = off + 40;
		while (s->proto == 0 || s->proto == 60) {
			s->proto = f[s->l4off];
			s->l4off += (f[s->l4off + 1] + 1) * 8;
		}
	} else
		return false;
	return s->l3end <= len;
}

/* every check a receiver with offloads off would make */
static bool
frame_valid(const uint8_t *f, size_t len, uint16_t mtu)
{
	struct seen s;

	if (len < 14 || len - 14 > mtu || !ref_parse(f, len, &s))
		return false;
	if (!s.v6 && ref_add(0, f + s.l3off, s.l4off - s.l3off) != 0xffff)
		return false;
	if (s.proto == 17 && be16(f + s.l4off + 4) != s.l3end - s.l4off)
		return false;
	return ref_add(ref_pseudo(f + s.l3off, s.v6, s.proto,
	    s.l3end - s.l4off), f + s.l4off, s.l3end - s.l4off) == 0xffff;
}

static void
put_vnet(uint8_t *p, uint8_t flags, uint8_t gso, uint16_t hdr_len,
    uint16_t gso_size, uint16_t cstart, uint16_t coff)
{
	memset(p, 0, VH);
	p[0] = flags;
	p[1] = gso;
	p[2] = hdr_len & 0xff;
	p[3] = hdr_len >> 8;
	p[4] = gso_size & 0xff;
	p[5] = gso_size >> 8;
	p[6] = cstart & 0xff;
	p[7] = cstart >> 8;
	p[8] = coff & 0xff;
	p[9] = coff >> 8;
}

struct shape {
	bool		 v6;
	int		 vlans;
	size_t		 ipopt;		/* IPv4 options / IPv6 dst opts */
	size_t		 l4opt;		/* TCP options */
	uint8_t		 proto;
	size_t		 paylen;
	uint8_t		 tcpflags;
};

static uint8_t
pay_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 251 + 3);
}

/*
 * A frame as the kernel hands it over (no virtio header): lengths of
 * the whole, the pseudo-header sum (of the whole length) in the L4
 * checksum field.  Returns the frame length; *l4off where L4 starts.
 */
static size_t
build(uint8_t *f, const struct shape *sh, size_t *l4off_out)
{
	size_t off = 14, l3off, l4off, l4hdr, i;
	uint8_t nh = sh->proto;
	uint32_t ps;

	memcpy(f, "\x02\x11\x22\x33\x44\x55\x02\x66\x77\x88\x99\xaa", 12);
	for (i = 0; i < (size_t)sh->vlans; i++) {
		wbe16(f + off - 2, i == 0 && sh->vlans == 2 ? 0x88a8 : 0x8100);
		wbe16(f + off, (uint16_t)(100 + i));
		off += 4;
	}
	wbe16(f + off - 2, sh->v6 ? 0x86dd : 0x0800);
	l3off = off;
	l4hdr = sh->proto == 6 ? 20 + sh->l4opt : sh->proto == 17 ? 8 : 0;
	if (sh->v6) {
		memset(f + l3off, 0, 40);
		f[l3off] = 0x60;
		f[l3off + 7] = 64;
		memcpy(f + l3off + 8, "\xfd\x00\x00\x00\x00\x00\x00\x01"
		    "\x00\x00\x00\x00\x00\x00\x00\x11", 16);
		memcpy(f + l3off + 24, "\xfd\x00\x00\x00\x00\x00\x00\x01"
		    "\x00\x00\x00\x00\x00\x00\x00\x22", 16);
		l4off = l3off + 40;
		if (sh->ipopt) {
			/* destination options: PadN filling ipopt bytes */
			f[l3off + 6] = 60;
			f[l4off] = sh->proto;
			f[l4off + 1] = (uint8_t)(sh->ipopt / 8 - 1);
			f[l4off + 2] = 1;
			f[l4off + 3] = (uint8_t)(sh->ipopt - 4);
			memset(f + l4off + 4, 0, sh->ipopt - 4);
			l4off += sh->ipopt;
		} else
			f[l3off + 6] = nh;
		wbe16(f + l3off + 4, (uint16_t)(l4off - l3off - 40 + l4hdr +
		    sh->paylen));
	} else {
		f[l3off] = (uint8_t)(0x40 | (20 + sh->ipopt) / 4);
		f[l3off + 1] = 0;
		wbe16(f + l3off + 2, (uint16_t)(20 + sh->ipopt + l4hdr +
		    sh->paylen));
		wbe16(f + l3off + 4, 0xfffe);	/* ids wrap */
		wbe16(f + l3off + 6, 0x4000);
		f[l3off + 8] = 64;
		f[l3off + 9] = sh->proto;
		wbe16(f + l3off + 10, 0);
		memcpy(f + l3off + 12, "\xc6\x12\x01\x01\xc6\x12\x02\x02", 8);
		memset(f + l3off + 20, 1, sh->ipopt);	/* NOPs */
		wbe16(f + l3off + 10, (uint16_t)~ref_add(0, f + l3off,
		    20 + sh->ipopt));
		l4off = l3off + 20 + sh->ipopt;
	}
	if (sh->proto == 6) {
		memset(f + l4off, 0, l4hdr);
		wbe16(f + l4off, 40000);
		wbe16(f + l4off + 2, 5201);
		wbe32(f + l4off + 4, 0xfffff000);	/* sequence wraps */
		wbe32(f + l4off + 8, 12345);
		f[l4off + 12] = (uint8_t)((l4hdr / 4) << 4);
		f[l4off + 13] = sh->tcpflags;
		wbe16(f + l4off + 14, 502);
		memset(f + l4off + 20, 1, sh->l4opt);
	} else if (sh->proto == 17) {
		wbe16(f + l4off, 40000);
		wbe16(f + l4off + 2, 5201);
		wbe16(f + l4off + 4, (uint16_t)(8 + sh->paylen));
		wbe16(f + l4off + 6, 0);
	}
	for (i = 0; i < sh->paylen; i++)
		f[l4off + l4hdr + i] = pay_byte(i);
	if (sh->proto == 6 || sh->proto == 17) {
		ps = ref_pseudo(f + l3off, sh->v6, sh->proto,
		    l4hdr + sh->paylen);
		wbe16(f + l4off + (sh->proto == 6 ? 16 : 6), (uint16_t)ps);
	}
	*l4off_out = l4off;
	return l4off + l4hdr + sh->paylen;
}

static enum offload_err
run(struct offload_ctx *ctx, size_t flen)
{
	return offload_input(ctx, inbuf, VH + flen, &out);
}

/* one frame through a fresh context (MTU 9000) */
static bool
run_ok(size_t flen)
{
	struct offload_ctx ctx;

	offload_init(&ctx, VH, 9000);
	return run(&ctx, flen) == OFFLOAD_OK && out.n == 1;
}

static void
test_tcp_case(const struct shape *sh, uint16_t mtu, uint16_t gso_size)
{
	struct offload_ctx ctx;
	struct seen s;
	size_t flen, l4off, hl, paylen = 0, i, nexp, mss;
	uint8_t *f = inbuf + VH, fl;
	uint32_t seq0 = 0xfffff000;
	const uint8_t *g;

	offload_init(&ctx, VH, mtu);
	flen = build(f, sh, &l4off);
	hl = l4off + 20 + sh->l4opt;
	put_vnet(inbuf, OFFLOAD_F_NEEDS_CSUM, sh->v6 ? OFFLOAD_GSO_TCPV6 :
	    OFFLOAD_GSO_TCPV4, (uint16_t)hl, gso_size, (uint16_t)l4off, 16);
	CHECKF(run(&ctx, flen) == OFFLOAD_OK, "v6 %d pay %zu mtu %u gso %u",
	    sh->v6, sh->paylen, mtu, gso_size);
	mss = (size_t)mtu + 14 - hl < gso_size ? (size_t)mtu + 14 - hl :
	    gso_size;
	nexp = sh->paylen == 0 ? 1 : (sh->paylen + mss - 1) / mss;
	CHECKF(out.n == nexp, "%zu segments, expected %zu", out.n, nexp);
	for (i = 0; i < out.n; i++) {
		g = out.frames[i].p;
		CHECKF(frame_valid(g, out.frames[i].len, mtu),
		    "segment %zu of %zu (v6 %d pay %zu mtu %u gso %u)", i,
		    out.n, sh->v6, sh->paylen, mtu, gso_size);
		REQUIRE(ref_parse(g, out.frames[i].len, &s));
		CHECK(s.l3end == out.frames[i].len);
		CHECK(be32(g + s.l4off + 4) == seq0 + (uint32_t)paylen);
		fl = g[s.l4off + 13];
		CHECK(((fl & 0x01) != 0) == (i + 1 == out.n &&
		    (sh->tcpflags & 0x01)));
		CHECK(((fl & 0x08) != 0) == (i + 1 == out.n &&
		    (sh->tcpflags & 0x08)));
		CHECK(((fl & 0x80) != 0) == (i == 0 &&
		    (sh->tcpflags & 0x80)));
		CHECK((fl & 0x10) == (sh->tcpflags & 0x10));
		if (!sh->v6)
			CHECK(be16(g + s.l3off + 4) == (uint16_t)(0xfffe + i));
		/* same options, same ports */
		CHECK(memcmp(g + s.l4off + 20, f + l4off + 20,
		    sh->l4opt) == 0);
		CHECK(memcmp(g, f, 12) == 0);
		CHECK(s.l4off == l4off);
		/* the payload, piece by piece, in order */
		CHECK(memcmp(g + hl, f + hl + paylen,
		    out.frames[i].len - hl) == 0);
		if (i + 1 < out.n)
			CHECK(out.frames[i].len - hl == mss);
		paylen += out.frames[i].len - hl;
	}
	CHECKF(paylen == sh->paylen, "payload %zu of %zu", paylen,
	    sh->paylen);
	CHECK(ctx.st.gso_in == 1 && ctx.st.frames_out == out.n);
}

/*
 * Six layouts (IPv4/IPv6; plain, one VLAN tag with IP options / IPv6
 * destination options, two tags with TCP options too) times payload
 * sizes around the MSS, MTUs and gso_sizes below and above what fits.
 */
static void
test_tcp(void)
{
	static const size_t pays[] = { 0, 1, 1399, 1400, 1401, 2799, 9000,
	    32769, 64800 };
	static const uint16_t mtus[] = { 1280, 1400, 2800 };
	static const uint16_t gsos[] = { 1, 536, 1388, 1448, 9000 };
	struct shape sh;
	size_t i, v, p, m, g;

	for (i = 0; i < 6 * 9 * 3 * 5; i++) {
		v = i % 6;
		p = i / 6 % 9;
		m = i / 54 % 3;
		g = i / 162;
		/* 64 KiB at gso_size 1 would need too much room */
		if (gsos[g] == 1 && pays[p] > 1000)
			continue;
		memset(&sh, 0, sizeof(sh));
		sh.v6 = v & 1;
		sh.vlans = (int)(v / 2);
		sh.ipopt = v >= 2 ? (sh.v6 ? 16 : 12) : 0;
		sh.l4opt = v >= 4 ? 12 : 0;
		sh.proto = 6;
		sh.paylen = pays[p];
		/* ACK always; FIN+PSH on some (last segment only), CWR on
		   some (first only) */
		sh.tcpflags = (uint8_t)(0x10 | (p & 1 ? 0x09 : 0) |
		    (g & 1 ? 0x80 : 0));
		test_tcp_case(&sh, mtus[m], gsos[g]);
	}
}

static void
test_udp_l4(void)
{
	struct offload_ctx ctx;
	struct shape sh;
	struct seen s;
	size_t flen, l4off, i, v, got;
	uint8_t *f = inbuf + VH;

	for (v = 0; v < 2; v++) {
		memset(&sh, 0, sizeof(sh));
		sh.v6 = v;
		sh.proto = 17;
		sh.paylen = 20 * 1200 + 17;
		offload_init(&ctx, VH, 1400);
		flen = build(f, &sh, &l4off);
		put_vnet(inbuf, OFFLOAD_F_NEEDS_CSUM, OFFLOAD_GSO_UDP_L4,
		    (uint16_t)(l4off + 8), 1200, (uint16_t)l4off, 6);
		CHECK(run(&ctx, flen) == OFFLOAD_OK);
		CHECK(out.n == 21);
		for (i = 0, got = 0; i < out.n; i++) {
			CHECKF(frame_valid(out.frames[i].p, out.frames[i].len,
			    1400), "USO segment %zu", i);
			REQUIRE(ref_parse(out.frames[i].p, out.frames[i].len,
			    &s));
			CHECK(s.l3end - s.l4off - 8 == (i < 20 ? 1200 : 17));
			CHECK(memcmp(out.frames[i].p + s.l4off + 8,
			    f + l4off + 8 + got, s.l3end - s.l4off - 8) == 0);
			got += s.l3end - s.l4off - 8;
		}
		/* a segment that cannot fit: datagrams are not re-cut */
		offload_init(&ctx, VH, 1000);
		CHECK(run(&ctx, flen) == OFFLOAD_E_MTU);
		CHECK(ctx.st.drops[OFFLOAD_E_MTU] == 1 && out.n == 0);
	}
}

/* UFO: fragments put back together are the datagram, checksum whole */
static void
test_ufo(void)
{
	static uint8_t dg[70000];
	struct offload_ctx ctx;
	struct shape sh;
	struct seen s;
	size_t flen, l4off, i, v, off, fl, dlen = 0;
	uint8_t *f = inbuf + VH, *g;
	bool more;

	for (v = 0; v < 2; v++) {
		memset(&sh, 0, sizeof(sh));
		sh.v6 = v;
		sh.proto = 17;
		sh.paylen = 5000;
		offload_init(&ctx, VH, 1400);
		flen = build(f, &sh, &l4off);
		put_vnet(inbuf, 0, OFFLOAD_GSO_UDP, (uint16_t)l4off, 1400, 0,
		    0);
		CHECK(run(&ctx, flen) == OFFLOAD_OK);
		CHECK(out.n == 4);
		memset(dg, 0, sizeof(dg));
		for (i = 0; i < out.n; i++) {
			g = (uint8_t *)(uintptr_t)out.frames[i].p;
			fl = out.frames[i].len;
			CHECK(fl - 14 <= 1400);
			if (v == 0) {
				CHECK(ref_add(0, g + 14, 20) == 0xffff);
				CHECK(be16(g + 16) == fl - 14);
				CHECK(be16(g + 18) == 0xfffe);
				off = (size_t)(be16(g + 20) & 0x1fff) * 8;
				more = (be16(g + 20) & 0x2000) != 0;
				memcpy(dg + off, g + 34, fl - 34);
				dlen = off + fl - 34;
			} else {
				CHECK(g[14 + 6] == 44 && g[54] == 17);
				CHECK(be16(g + 18) == fl - 54);
				CHECK(be32(g + 58) == 1);
				off = be16(g + 56) & ~7;
				more = (be16(g + 56) & 1) != 0;
				memcpy(dg + off, g + 62, fl - 62);
				dlen = off + fl - 62;
			}
			CHECK(more == (i + 1 < out.n));
			CHECK(off % 8 == 0);
		}
		CHECK(dlen == 5008);
		CHECK(be16(dg + 4) == 5008);
		CHECK(memcmp(dg + 8, f + l4off + 8, 5000) == 0);
		/* checksum of the datagram, with the original addresses */
		REQUIRE(ref_parse(f, flen, &s));
		CHECK(ref_add(ref_pseudo(f + s.l3off, sh.v6, 17, 5008), dg,
		    5008) == 0xffff);
	}
	/* a UFO datagram that fits needs no fragments */
	sh.v6 = false;
	sh.paylen = 1000;
	offload_init(&ctx, VH, 1400);
	flen = build(f, &sh, &l4off);
	put_vnet(inbuf, 0, OFFLOAD_GSO_UDP, 0, 1400, 0, 0);
	CHECK(run(&ctx, flen) == OFFLOAD_OK && out.n == 1 &&
	    frame_valid(out.frames[0].p, out.frames[0].len, 1400));
	/* IPv4 options: not fragmented here */
	sh.paylen = 5000;
	sh.ipopt = 4;
	flen = build(f, &sh, &l4off);
	CHECK(run(&ctx, flen) == OFFLOAD_E_UNSUPPORTED);
}

/* NEEDS_CSUM alone: completed in place, the frame passed through */
static void
test_csum(void)
{
	struct offload_ctx ctx;
	struct shape sh;
	size_t flen, l4off, v;
	uint8_t *f = inbuf + VH;

	for (v = 0; v < 8; v++) {
		memset(&sh, 0, sizeof(sh));
		sh.v6 = v & 1;
		sh.proto = v & 2 ? 17 : 6;
		sh.vlans = v & 4 ? 1 : 0;
		sh.ipopt = v & 4 ? 8 : 0;
		sh.paylen = 333 + v;
		offload_init(&ctx, VH, 2800);
		flen = build(f, &sh, &l4off);
		put_vnet(inbuf, OFFLOAD_F_NEEDS_CSUM, 0, 0, 0,
		    (uint16_t)l4off, sh.proto == 6 ? 16 : 6);
		CHECK(!frame_valid(f, flen, 2800));
		CHECK(run(&ctx, flen) == OFFLOAD_OK);
		CHECK(out.n == 1 && out.used == 0 && out.frames[0].p == f &&
		    out.frames[0].len == flen);
		CHECKF(frame_valid(f, flen, 2800), "csum case %zu", v);
		CHECK(ctx.st.csum_done == 1);
		/* twice gives the same: the field's old content is ignored */
		CHECK(run(&ctx, flen) == OFFLOAD_OK && frame_valid(f, flen,
		    2800));
	}
	/* a UDP checksum that computes to 0 goes out as 0xffff */
	memset(&sh, 0, sizeof(sh));
	sh.proto = 17;
	sh.paylen = 2;
	offload_init(&ctx, VH, 2800);
	flen = build(f, &sh, &l4off);
	{
		uint32_t rest;
		uint16_t fill;

		/* choose the payload so that the sum is 0xffff */
		f[l4off + 8] = f[l4off + 9] = 0;
		f[l4off + 6] = f[l4off + 7] = 0;
		rest = ref_add(ref_pseudo(f + 14, false, 17, 10), f + l4off,
		    10);
		fill = (uint16_t)(0xffff - rest);
		wbe16(f + l4off + 8, fill);
		CHECK(ref_add(ref_pseudo(f + 14, false, 17, 10), f + l4off,
		    10) == 0xffff);
	}
	put_vnet(inbuf, OFFLOAD_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)l4off, 6);
	CHECK(run(&ctx, flen) == OFFLOAD_OK);
	CHECK(be16(f + l4off + 6) == 0xffff);
	CHECK(frame_valid(f, flen, 2800));

	/* not TCP/UDP (ICMP): the generic completion from csum_start */
	memset(&sh, 0, sizeof(sh));
	sh.proto = 1;
	sh.paylen = 64;
	flen = build(f, &sh, &l4off);
	f[l4off + 2] = f[l4off + 3] = 0;
	put_vnet(inbuf, OFFLOAD_F_NEEDS_CSUM, 0, 0, 0, (uint16_t)l4off, 2);
	CHECK(run(&ctx, flen) == OFFLOAD_OK);
	CHECK(ref_add(0, f + l4off, 64) == 0xffff);

	/* plain frames are untouched */
	memset(&sh, 0, sizeof(sh));
	sh.proto = 6;
	sh.paylen = 100;
	flen = build(f, &sh, &l4off);
	put_vnet(inbuf, OFFLOAD_F_DATA_VALID, 0, 0, 0, 0, 0);
	CHECK(run(&ctx, flen) == OFFLOAD_OK && out.n == 1 &&
	    out.frames[0].p == f && be16(f + l4off + 16) ==
	    (uint16_t)ref_pseudo(f + 14, false, 6, 120));
}

/*
 * GRO towards the TAP: the segments of a super-frame, joined again, give
 * the super-frame back byte for byte (the checksum field holding the
 * pseudo-header sum, as the kernel sends it), and cutting that once
 * more gives the same segments.
 */
static struct offload_gro gro;
static uint8_t segbuf[OFFLOAD_BYTES_MAX];
static struct offload_frame segs[OFFLOAD_FRAMES_MAX];

/* cuts inbuf (virtio header + frame of flen) into segs; how many */
static size_t
cut(uint16_t mtu, size_t flen)
{
	struct offload_ctx ctx;
	size_t i, off = 0;

	offload_init(&ctx, VH, mtu);
	REQUIRE(offload_input(&ctx, inbuf, VH + flen, &out) == OFFLOAD_OK);
	for (i = 0; i < out.n; i++) {
		memcpy(segbuf + off, out.frames[i].p, out.frames[i].len);
		segs[i].p = segbuf + off;
		segs[i].len = out.frames[i].len;
		off += out.frames[i].len;
	}
	return out.n;
}

static void
test_gro_case(bool v6, size_t paylen, uint16_t mtu, size_t l4opt)
{
	static uint8_t orig[VH + 70000];
	struct shape sh;
	struct offload_vnet v;
	size_t flen, l4off, n, i, len, mss;
	const uint8_t *p;

	memset(&sh, 0, sizeof(sh));
	sh.v6 = v6;
	sh.proto = 6;
	sh.paylen = paylen;
	sh.l4opt = l4opt;
	sh.tcpflags = 0x18;
	flen = build(inbuf + VH, &sh, &l4off);
	put_vnet(inbuf, OFFLOAD_F_NEEDS_CSUM, v6 ? OFFLOAD_GSO_TCPV6 :
	    OFFLOAD_GSO_TCPV4, (uint16_t)(l4off + 20 + l4opt), 65000,
	    (uint16_t)l4off, 16);
	memcpy(orig, inbuf, VH + flen);
	n = cut(mtu, flen);
	mss = (size_t)mtu + 14 - (l4off + 20 + l4opt);
	offload_gro_init(&gro, VH);
	for (i = 0; i < n; i++)
		CHECKF(offload_gro_add(&gro, segs[i].p, segs[i].len) ==
		    OFFLOAD_GRO_HELD, "segment %zu of %zu", i, n);
	REQUIRE((p = offload_gro_flush(&gro, &len)) != NULL);
	CHECK(len == VH + flen);
	REQUIRE(offload_vnet_get(p, len, VH, &v) == 0);
	if (n == 1) {
		/* one segment goes as it is, checksums complete */
		CHECK_MEM(p + VH, segs[0].p, segs[0].len, "lone segment");
		CHECK(v.flags == OFFLOAD_F_DATA_VALID && v.gso_type == 0);
		return;
	}
	CHECK_MEM(p + VH, orig + VH, flen, "joined frame");
	CHECK(v.flags == OFFLOAD_F_NEEDS_CSUM && v.gso_type ==
	    (v6 ? OFFLOAD_GSO_TCPV6 : OFFLOAD_GSO_TCPV4) && !v.ecn &&
	    v.gso_size == mss && v.csum_start == l4off &&
	    v.csum_offset == 16 && v.hdr_len == l4off + 20 + l4opt);
	CHECK(gro.supers_out == 1 && gro.frames_in == n);
	/* and cut once more: the same segments */
	memcpy(inbuf, p, len);
	memcpy(orig, segbuf, (size_t)(segs[n - 1].p - segbuf) +
	    segs[n - 1].len);
	CHECK(cut(mtu, len - VH) == n);
	for (i = 0; i < n; i++)
		CHECKF(segs[i].len == out.frames[i].len &&
		    memcmp(orig + (segs[i].p - segbuf), segs[i].p,
		    segs[i].len) == 0, "segment %zu again", i);
	CHECK(offload_gro_flush(&gro, &len) == NULL && len == 0);
}

/* an IPv4 TCP frame's checksum after the test changed it */
static void
fix_tcp4(uint8_t *f, size_t len)
{
	f[34 + 16] = f[34 + 17] = 0;
	wbe16(f + 34 + 16, (uint16_t)~ref_add(ref_pseudo(f + 14, false, 6,
	    len - 34), f + 34, len - 34));
}

static void
test_gro(void)
{
	struct shape sh;
	size_t flen, l4off, n, i, len;
	uint8_t *f = inbuf + VH, bad[2000];
	const uint8_t *p;

	test_gro_case(false, 30000, 1400, 12);
	test_gro_case(true, 30000, 1400, 0);
	test_gro_case(false, 64000, 2800, 12);
	test_gro_case(true, 64000, 2800, 12);
	test_gro_case(false, 1000, 1400, 0);
	test_gro_case(false, 2801, 1400, 0);

	/* what may not be joined */
	memset(&sh, 0, sizeof(sh));
	sh.proto = 6;
	sh.paylen = 20000;
	sh.tcpflags = 0x10;
	flen = build(f, &sh, &l4off);
	put_vnet(inbuf, 1, 1, 54, 1000, 34, 16);
	n = cut(1400, flen);
	REQUIRE(n == 20);
	offload_gro_init(&gro, VH);
	CHECK(offload_gro_add(&gro, segs[0].p, segs[0].len) ==
	    OFFLOAD_GRO_HELD);
	/* a corrupt checksum passes on, to be dropped by the stack */
	memcpy(bad, segs[1].p, segs[1].len);
	bad[60] ^= 1;
	CHECK(offload_gro_add(&gro, bad, segs[1].len) == OFFLOAD_GRO_PASS);
	/* out of order */
	CHECK(offload_gro_add(&gro, segs[2].p, segs[2].len) ==
	    OFFLOAD_GRO_FLUSH);
	CHECK(offload_gro_add(&gro, segs[1].p, segs[1].len) ==
	    OFFLOAD_GRO_HELD);
	/* another flow (a port) */
	memcpy(bad, segs[2].p, segs[2].len);
	bad[34 + 1] ^= 1;
	fix_tcp4(bad, segs[2].len);
	CHECK(frame_valid(bad, segs[2].len, 9000));
	CHECK(offload_gro_add(&gro, bad, segs[2].len) == OFFLOAD_GRO_FLUSH);
	/* another window, another ack, another TTL */
	memcpy(bad, segs[2].p, segs[2].len);
	bad[34 + 15] ^= 1;
	fix_tcp4(bad, segs[2].len);
	CHECK(offload_gro_add(&gro, bad, segs[2].len) == OFFLOAD_GRO_FLUSH);
	memcpy(bad, segs[2].p, segs[2].len);
	bad[34 + 11] ^= 1;
	fix_tcp4(bad, segs[2].len);
	CHECK(offload_gro_add(&gro, bad, segs[2].len) == OFFLOAD_GRO_FLUSH);
	memcpy(bad, segs[2].p, segs[2].len);
	bad[14 + 8] ^= 1;
	wbe16(bad + 24, 0);
	wbe16(bad + 24, (uint16_t)~ref_add(0, bad + 14, 20));
	CHECK(frame_valid(bad, segs[2].len, 9000));
	CHECK(offload_gro_add(&gro, bad, segs[2].len) == OFFLOAD_GRO_FLUSH);
	CHECK(offload_gro_add(&gro, segs[2].p, segs[2].len) ==
	    OFFLOAD_GRO_HELD);
	REQUIRE((p = offload_gro_flush(&gro, &len)) != NULL);
	CHECK(len == VH + 54 + 3 * 1000 && p[0] == OFFLOAD_F_NEEDS_CSUM);
	CHECK(offload_gro_flush(&gro, &len) == NULL && len == 0);
	/* SYN, FIN, RST, URG, CWR, a pure ACK, UDP, IPv4 options: never */
	for (i = 0; i < 5; i++) {
		memcpy(bad, segs[3].p, segs[3].len);
		bad[34 + 13] |= (uint8_t[]){ 0x02, 0x01, 0x04, 0x20, 0x80 }[i];
		fix_tcp4(bad, segs[3].len);
		CHECK(frame_valid(bad, segs[3].len, 9000));
		CHECK(offload_gro_add(&gro, bad, segs[3].len) ==
		    OFFLOAD_GRO_PASS);
	}
	sh.paylen = 0;
	flen = build(f, &sh, &l4off);
	put_vnet(inbuf, 1, 0, 0, 0, 34, 16);
	REQUIRE(run_ok(flen));
	CHECK(offload_gro_add(&gro, out.frames[0].p, out.frames[0].len) ==
	    OFFLOAD_GRO_PASS);
	sh.paylen = 100;
	sh.proto = 17;
	flen = build(f, &sh, &l4off);
	put_vnet(inbuf, 1, 0, 0, 0, 34, 6);
	REQUIRE(run_ok(flen));
	CHECK(offload_gro_add(&gro, out.frames[0].p, out.frames[0].len) ==
	    OFFLOAD_GRO_PASS);
	sh.proto = 6;
	sh.ipopt = 4;
	flen = build(f, &sh, &l4off);
	put_vnet(inbuf, 1, 0, 0, 0, (uint16_t)l4off, 16);
	REQUIRE(run_ok(flen));
	CHECK(offload_gro_add(&gro, out.frames[0].p, out.frames[0].len) ==
	    OFFLOAD_GRO_PASS);

	/* a short segment ends a super-frame; 64 segments at most */
	sh.ipopt = 0;
	sh.paylen = 100 * 70 + 50;
	flen = build(f, &sh, &l4off);
	put_vnet(inbuf, 1, 1, 54, 100, 34, 16);
	n = cut(1400, flen);
	REQUIRE(n == 71);
	offload_gro_init(&gro, VH);
	for (i = 0; i < 64; i++)
		CHECK(offload_gro_add(&gro, segs[i].p, segs[i].len) ==
		    OFFLOAD_GRO_HELD);
	CHECK(offload_gro_add(&gro, segs[64].p, segs[64].len) ==
	    OFFLOAD_GRO_FLUSH);
	REQUIRE(offload_gro_flush(&gro, &len) != NULL);
	CHECK(len == VH + 54 + 6400);
	for (i = 64; i < 71; i++)
		CHECK(offload_gro_add(&gro, segs[i].p, segs[i].len) ==
		    OFFLOAD_GRO_HELD);
	CHECK(offload_gro_add(&gro, segs[0].p, segs[0].len) ==
	    OFFLOAD_GRO_FLUSH);
	REQUIRE((p = offload_gro_flush(&gro, &len)) != NULL);
	CHECK(len == VH + 54 + 650 && p[1] == OFFLOAD_GSO_TCPV4 &&
	    p[4] == 100);
	/* a frame longer than the buffer, and the 12-byte header */
	CHECK(offload_gro_add(&gro, segbuf, sizeof(gro.buf)) ==
	    OFFLOAD_GRO_PASS);
	offload_gro_init(&gro, 12);
	CHECK(offload_gro_add(&gro, segs[0].p, segs[0].len) ==
	    OFFLOAD_GRO_HELD && offload_gro_add(&gro, segs[1].p,
	    segs[1].len) == OFFLOAD_GRO_HELD);
	REQUIRE((p = offload_gro_flush(&gro, &len)) != NULL);
	CHECK(len == 12 + 54 + 200 && p[10] == 0 && p[11] == 0);
}

static void
expect_drop(struct offload_ctx *ctx, size_t len, enum offload_err e,
    const char *what)
{
	uint64_t before = ctx->st.drops[e];
	enum offload_err got;

	got = offload_input(ctx, inbuf, len, &out);
	CHECKF(got == e, "%s: %s, expected %s", what, offload_strerror(got),
	    offload_strerror(e));
	CHECKF(ctx->st.drops[e] == before + 1, "%s not counted", what);
	CHECK(out.n == 0);
}

static void
test_malformed(void)
{
	struct offload_ctx ctx;
	struct shape sh;
	size_t flen, l4off;
	uint8_t *f = inbuf + VH;
	struct offload_out small;

	offload_init(&ctx, VH, 1400);
	memset(&sh, 0, sizeof(sh));
	sh.proto = 6;
	sh.paylen = 5000;
	sh.tcpflags = 0x10;
	flen = build(f, &sh, &l4off);

#define HDR(fl, gso, hl, gs, cs, co) \
	put_vnet(inbuf, fl, gso, hl, gs, cs, co)
	HDR(1, 1, 54, 1388, 34, 16);
	CHECK(offload_input(&ctx, inbuf, VH + flen, &out) == OFFLOAD_OK);

	expect_drop(&ctx, 5, OFFLOAD_E_SHORT, "shorter than the header");
	expect_drop(&ctx, VH + 13, OFFLOAD_E_SHORT, "no Ethernet header");
	HDR(0x04, 0, 0, 0, 0, 0);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_HDR, "unknown flag");
	HDR(1, 2, 54, 1388, 34, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_HDR, "unknown gso type");
	HDR(1, 0x80, 54, 1388, 34, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_HDR, "ECN without TCP");
	HDR(1, 0x85, 54, 1388, 34, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_HDR, "ECN with USO");
	HDR(1, 1, (uint16_t)(flen + 1), 1388, 34, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_HDR, "hdr_len past the end");
	HDR(1, 1, 54, 0, 34, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_GSO_SIZE, "gso_size 0");
	HDR(1, 1, 54, 1388, 36, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_CSUM, "csum_start not L4");
	HDR(1, 1, 54, 1388, 34, 6);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_CSUM, "csum_offset not TCP");
	HDR(1, 4, 54, 1388, 34, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PROTO, "TCPV6 on IPv4");
	HDR(1, 5, 54, 1388, 34, 6);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PROTO, "USO on TCP");
	HDR(1, 0, 0, 0, 34, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_MTU, "plain frame over MTU");
	/* the caller's storage */
	HDR(1, 1, 54, 1388, 34, 16);
	small = out;
	small.cap = 3000;
	CHECK(offload_input(&ctx, inbuf, VH + flen, &small) ==
	    OFFLOAD_E_ROOM && small.n == 0);
	small = out;
	small.max_frames = 3;
	CHECK(offload_input(&ctx, inbuf, VH + flen, &small) ==
	    OFFLOAD_E_ROOM && small.n == 0);
	CHECK(ctx.st.drops[OFFLOAD_E_ROOM] == 2);
	/* MTU too small for the headers */
	offload_init(&ctx, VH, 30);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_MTU, "MTU below headers");
	offload_init(&ctx, VH, 1400);

	/* frames whose own headers lie */
	f[14 + 2] = 0xff;		/* IPv4 total length past the end */
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "IP length");
	flen = build(f, &sh, &l4off);
	f[14] = 0x44;			/* IHL 16 bytes */
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "IHL");
	flen = build(f, &sh, &l4off);
	f[14 + 6] = 0x20;		/* a fragment */
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "fragment");
	flen = build(f, &sh, &l4off);
	f[l4off + 12] = 0x40;		/* TCP data offset 16 */
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "TCP offset");
	flen = build(f, &sh, &l4off);
	f[l4off + 12] = 0xf0;		/* 60 bytes but the packet ends */
	expect_drop(&ctx, 14 + 20 + 40 + VH, OFFLOAD_E_PACKET,
	    "TCP header past the end");
	flen = build(f, &sh, &l4off);
	f[14 + 9] = 17;			/* TCP gso on UDP */
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PROTO, "TCP gso on UDP");
	f[14 + 9] = 1;			/* TCP gso on ICMP */
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PROTO, "TCP gso on ICMP");
	flen = build(f, &sh, &l4off);
	f[12] = 0x08;
	f[13] = 0x06;			/* ARP */
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PROTO, "TCP gso on ARP");
	flen = build(f, &sh, &l4off);
	HDR(1, 1, 0, 1388, 34, 16);
	expect_drop(&ctx, VH + 14 + 10, OFFLOAD_E_PACKET, "cut IPv4");

	/* IPv6: routing header, fragment, jumbogram, bad extension */
	sh.v6 = true;
	flen = build(f, &sh, &l4off);
	HDR(1, 4, 74, 1388, 54, 16);
	CHECK(offload_input(&ctx, inbuf, VH + flen, &out) == OFFLOAD_OK);
	f[14 + 6] = 43;
	expect_drop(&ctx, VH + flen, OFFLOAD_E_UNSUPPORTED, "routing hdr");
	f[14 + 6] = 44;
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "IPv6 fragment");
	f[14 + 6] = 60;
	f[54 + 1] = 200;
	wbe16(f + 18, 16);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "long dst options");
	flen = build(f, &sh, &l4off);
	f[14 + 4] = f[14 + 5] = 0;
	expect_drop(&ctx, VH + flen, OFFLOAD_E_UNSUPPORTED, "jumbogram");
	flen = build(f, &sh, &l4off);
	f[14] = 0x40;
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "version");
	/* a chain of 9 extension headers */
	sh.ipopt = 0;
	sh.v6 = true;
	flen = build(f, &sh, &l4off);
	{
		size_t i, p = 54;

		memmove(f + 54 + 72, f + 54, flen - 54);
		f[20] = 60;
		for (i = 0; i < 9; i++, p += 8) {
			f[p] = i < 8 ? 60 : 6;
			f[p + 1] = 0;
			memset(f + p + 2, 0, 6);
		}
		wbe16(f + 18, (uint16_t)(be16(f + 18) + 72));
		flen += 72;
		HDR(1, 4, 74, 1388, 126, 16);
		expect_drop(&ctx, VH + flen, OFFLOAD_E_UNSUPPORTED,
		    "9 extension headers");
	}
	/* NEEDS_CSUM alone, out of range on a non-IP frame */
	sh.v6 = false;
	flen = build(f, &sh, &l4off);
	f[12] = 0x88;
	f[13] = 0xb5;
	HDR(1, 0, 0, 0, (uint16_t)(flen - 1), 0);
	expect_drop(&ctx, VH + 1000, OFFLOAD_E_CSUM, "csum field past end");
	HDR(1, 0, 0, 0, 10, 0);
	expect_drop(&ctx, VH + 1000, OFFLOAD_E_CSUM, "csum in the MAC");
	HDR(1, 0, 0, 0, 20, 0xffff);
	expect_drop(&ctx, VH + 1000, OFFLOAD_E_CSUM, "csum_offset huge");
	HDR(1, 0, 0, 0, 0xffff, 2);
	expect_drop(&ctx, VH + 1000, OFFLOAD_E_CSUM, "csum_start huge");
	/* on TCP it must be TCP's own field */
	sh.paylen = 100;
	flen = build(f, &sh, &l4off);
	HDR(1, 0, 0, 0, 40, 2);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_CSUM, "csum not TCP's");
	HDR(1, 0, 0, 0, 34, 16);
	CHECK(offload_input(&ctx, inbuf, VH + flen, &out) == OFFLOAD_OK);
	/* a UDP length that disagrees with the IP length */
	sh.proto = 17;
	flen = build(f, &sh, &l4off);
	wbe16(f + l4off + 4, 50);
	HDR(1, 0, 0, 0, 34, 6);
	expect_drop(&ctx, VH + flen, OFFLOAD_E_PACKET, "UDP length");
	CHECK(strcmp(offload_strerror(OFFLOAD_E_COUNT), "unknown error") == 0);
#undef HDR
}

/* the 12-byte header (num_buffers) and the header towards the TAP */
static void
test_hdr(void)
{
	struct offload_ctx ctx;
	struct offload_vnet v;
	struct shape sh;
	uint8_t h[12], big[OFFLOAD_VNET_HDR_MRG_LEN + 2000];
	size_t flen, l4off;

	offload_tap_hdr(h, 12, false);
	CHECK(memcmp(h, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0);
	offload_tap_hdr(h, 10, true);
	CHECK(h[0] == OFFLOAD_F_DATA_VALID && h[9] == 0);
	CHECK(offload_vnet_get(h, 9, 10, &v) == -1);
	put_vnet(h, 1, 0x81, 0x1234, 0x5678, 0x9abc, 0xdef0);
	CHECK(offload_vnet_get(h, 10, 10, &v) == 0 && v.flags == 1 &&
	    v.gso_type == 1 && v.ecn && v.hdr_len == 0x1234 &&
	    v.gso_size == 0x5678 && v.csum_start == 0x9abc &&
	    v.csum_offset == 0xdef0);

	offload_init(&ctx, 12, 1400);
	CHECK(ctx.vnet_hdr_len == 12);
	memset(&sh, 0, sizeof(sh));
	sh.proto = 6;
	sh.paylen = 1800;
	sh.tcpflags = 0x18;
	flen = build(big + 12, &sh, &l4off);
	put_vnet(big, 1, 1, 54, 1000, 34, 16);
	big[10] = 1;		/* num_buffers: ignored */
	CHECK(offload_input(&ctx, big, 12 + flen, &out) == OFFLOAD_OK &&
	    out.n == 2 && frame_valid(out.frames[1].p, out.frames[1].len,
	    1400));
	offload_init(&ctx, 7, 1400);
	CHECK(ctx.vnet_hdr_len == 10);
}

static int
tap_open_vnet(void)
{
	struct ifreq ifr;
	int fd;

	REQUIRE((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) != -1);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
	return fd;
}

/* the kernel accepts what it offers; USO from 6.2 on */
static void
test_enable(void)
{
	struct utsname u;
	uint32_t got = 1, want = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
	    TUN_F_TSO_ECN | 0x20 | 0x40;
	unsigned int maj = 0, min = 0;
	bool uso;
	int fd;

	REQUIRE(uname(&u) == 0);
	sscanf(u.release, "%u.%u", &maj, &min);
	uso = maj > 6 || (maj == 6 && min >= 2);
	fd = tap_open_vnet();
	CHECK(offload_enable(fd, want, &got) == 0);
	CHECKF(got == (uso ? want : want & ~0x60u), "got 0x%x", got);
	CHECK(offload_enable(fd, TUN_F_CSUM | TUN_F_TSO4, &got) == 0 &&
	    got == (TUN_F_CSUM | TUN_F_TSO4));
	/* TSO without checksums is never asked for */
	CHECK(offload_enable(fd, TUN_F_TSO4, &got) == 0 && got == 0);
	close(fd);
	CHECK(offload_enable(fd, want, &got) == -1 && got == 0);
}

/*
 * The kernel's own super-frames: a TCP connection from a socket in a
 * fresh network namespace through a TAP with TSO on, the peer played
 * here (SYN-ACK and ACKs written to the TAP).  Every frame read is
 * cut to a smaller MTU than the TAP's; each piece must be valid and the
 * byte stream must come out whole and in order.
 */
#define K_MTU		1400
#define K_STREAM	(256 * 1024)
#define K_PEER_SEQ	7000

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* where the socket's frames have their TCP header */
static size_t
k_l4off(bool v6)
{
	return 14 + (v6 ? 40 : 20);
}

/* a TCP segment from the peer to the socket, no payload */
static void
k_write(int fd, bool v6, const uint8_t *syn, uint32_t seq, uint32_t ack,
    uint8_t flags)
{
	uint8_t b[VH + 14 + 40 + 28], *f = b + VH, *ip = f + 14, *th;
	size_t thl = flags & 0x02 ? 28 : 20, l4 = k_l4off(v6);

	memset(b, 0, sizeof(b));
	memcpy(f, syn + 6, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x02", 6);
	th = f + l4;
	if (v6) {
		wbe16(f + 12, 0x86dd);
		ip[0] = 0x60;
		wbe16(ip + 4, (uint16_t)thl);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, syn + 14 + 24, 16);
		memcpy(ip + 24, syn + 14 + 8, 16);
	} else {
		wbe16(f + 12, 0x0800);
		ip[0] = 0x45;
		wbe16(ip + 2, (uint16_t)(20 + thl));
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, syn + 14 + 16, 4);
		memcpy(ip + 16, syn + 14 + 12, 4);
		wbe16(ip + 10, (uint16_t)~ref_add(0, ip, 20));
	}
	memcpy(th, syn + l4 + 2, 2);
	memcpy(th + 2, syn + l4, 2);
	wbe32(th + 4, seq);
	wbe32(th + 8, ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	wbe16(th + 14, 0xffff);
	if (thl == 28)	/* MSS 1440, NOP, window scale 7 */
		memcpy(th + 20, "\x02\x04\x05\xa0\x01\x03\x03\x07", 8);
	wbe16(th + 16, (uint16_t)~ref_add(ref_pseudo(ip, v6, 6, thl), th,
	    thl));
	offload_tap_hdr(b, VH, false);
	CHECK(write(fd, b, VH + l4 + thl) == (ssize_t)(VH + l4 + thl));
}

/* the TAP up without ARP/ND, and an address in 198.18.77.0/24 or fd00:: */
static void
k_setup(int fd, bool v6)
{
	struct in6_ifreq r6;
	struct sockaddr_in sin;
	struct ifreq ifr;
	int sfd;

	memset(&ifr, 0, sizeof(ifr));
	REQUIRE(ioctl(fd, TUNGETIFF, &ifr) == 0);
	REQUIRE((sfd = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	/*
	 * No ARP and no neighbour discovery (nor DAD): frames go out with
	 * the TAP's own MAC as destination, addresses are usable at once.
	 */
	ifr.ifr_flags = IFF_UP | IFF_NOARP;
	REQUIRE(ioctl(sfd, SIOCSIFFLAGS, &ifr) == 0);
	/* as zt-tapd sets it: the TAP's MTU is the network's */
	ifr.ifr_mtu = K_MTU;
	REQUIRE(ioctl(sfd, SIOCSIFMTU, &ifr) == 0);
	if (!v6) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		inet_pton(AF_INET, "198.18.77.1", &sin.sin_addr);
		memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
		REQUIRE(ioctl(sfd, SIOCSIFADDR, &ifr) == 0);
		inet_pton(AF_INET, "255.255.255.0", &sin.sin_addr);
		memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
		REQUIRE(ioctl(sfd, SIOCSIFNETMASK, &ifr) == 0);
		close(sfd);
		return;
	}
	REQUIRE(ioctl(sfd, SIOCGIFINDEX, &ifr) == 0);
	close(sfd);
	REQUIRE((sfd = socket(AF_INET6, SOCK_DGRAM, 0)) != -1);
	memset(&r6, 0, sizeof(r6));
	inet_pton(AF_INET6, "fd00:77::1", &r6.ifr6_addr);
	r6.ifr6_prefixlen = 64;
	r6.ifr6_ifindex = ifr.ifr_ifindex;
	REQUIRE(ioctl(sfd, SIOCSIFADDR, &r6) == 0);
	close(sfd);
}

/* runs in the child: a TAP, an address, a socket, the peer's part */
static void
k_child(bool v6)
{
	static uint8_t buf[VH + 65536 + 64], data[K_STREAM];
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct offload_ctx ctx;
	struct pollfd pfd;
	struct seen s;
	uint8_t syn[14 + 40 + 40];
	uint32_t got = 0, seq, isn = 0, got_tap;
	size_t i, j, dlen, supers = 0, sent = 0, l4 = k_l4off(v6);
	uint64_t end;
	ssize_t n;
	int fd, tcp, rc;
	enum offload_err e;
	bool have_syn = false;
	const uint8_t *g;

	REQUIRE(unshare(CLONE_NEWNET) == 0);
	fd = tap_open_vnet();
	REQUIRE(offload_enable(fd, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	    &got_tap) == 0);
	REQUIRE(got_tap & (v6 ? TUN_F_TSO6 : TUN_F_TSO4));
	k_setup(fd, v6);
	for (i = 0; i < K_STREAM; i++)
		data[i] = pay_byte(i);
	REQUIRE((tcp = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM |
	    SOCK_NONBLOCK, 0)) != -1);
	if (v6) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(5201);
		inet_pton(AF_INET6, "fd00:77::2", &sin6.sin6_addr);
		/* the address leaves "tentative" in a kernel work item */
		for (i = 0; i < 200; i++) {
			rc = connect(tcp, (struct sockaddr *)&sin6,
			    sizeof(sin6));
			if (rc == 0 || errno != EADDRNOTAVAIL)
				break;
			usleep(10 * 1000);
		}
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(5201);
		inet_pton(AF_INET, "198.18.77.2", &sin.sin_addr);
		rc = connect(tcp, (struct sockaddr *)&sin, sizeof(sin));
	}
	CHECKF(rc == -1 && errno == EINPROGRESS, "connect: %s", strerror(errno));
	REQUIRE(rc == -1 && errno == EINPROGRESS);
	offload_init(&ctx, VH, K_MTU);
	pfd.fd = fd;
	pfd.events = POLLIN;
	end = mono_ms() + 8000;
	while (got < K_STREAM && mono_ms() < end) {
		if (have_syn && sent < K_STREAM &&
		    (n = send(tcp, data + sent, K_STREAM - sent, 0)) > 0)
			sent += (size_t)n;
		if (poll(&pfd, 1, 50) != 1)
			continue;
		if ((n = read(fd, buf, sizeof(buf))) <= (ssize_t)(VH + l4 +
		    20))
			continue;
		g = buf + VH;
		/* only the connection's TCP; ND, MLD and the like skipped */
		if (be16(g + 12) != (v6 ? 0x86dd : 0x0800) ||
		    g[14 + (v6 ? 6 : 9)] != 6)
			continue;
		if (!have_syn) {
			if ((g[l4 + 13] & 0x02) == 0)
				continue;
			memcpy(syn, g, l4 + 20);
			isn = be32(g + l4 + 4);
			k_write(fd, v6, syn, K_PEER_SEQ, isn + 1, 0x12);
			have_syn = true;
			continue;
		}
		e = offload_input(&ctx, buf, (size_t)n, &out);
		CHECKF(e == OFFLOAD_OK, "kernel frame: %s", offload_strerror(e));
		if (buf[1] != OFFLOAD_GSO_NONE && out.n > 1)
			supers++;
		for (j = 0; j < out.n; j++) {
			CHECKF(frame_valid(out.frames[j].p, out.frames[j].len,
			    K_MTU), "kernel segment %zu of %zu", j, out.n);
			REQUIRE(ref_parse(out.frames[j].p, out.frames[j].len,
			    &s));
			seq = be32(out.frames[j].p + s.l4off + 4) - isn - 1;
			dlen = s.l3end - s.l4off -
			    (out.frames[j].p[s.l4off + 12] >> 4) * 4;
			if (dlen == 0 || seq != got)
				continue;	/* ACKs, retransmissions */
			REQUIRE(seq + dlen <= K_STREAM);
			CHECK(memcmp(out.frames[j].p + s.l3end - dlen,
			    data + seq, dlen) == 0);
			got += (uint32_t)dlen;
		}
		k_write(fd, v6, syn, K_PEER_SEQ + 1, isn + 1 + got, 0x10);
	}
	CHECKF(got == K_STREAM, "IPv%d: %u of %u bytes", v6 ? 6 : 4, got,
	    K_STREAM);
	CHECKF(supers > 0, "IPv%d: no super-frame from the kernel",
	    v6 ? 6 : 4);
	CHECK(ctx.st.drops[OFFLOAD_E_MTU] == 0);
	printf("kernel IPv%d: %zu super-frames, %llu reads, %llu frames "
	    "out\n", v6 ? 6 : 4, supers, (unsigned long long)ctx.st.frames_in,
	    (unsigned long long)ctx.st.frames_out);
	close(tcp);
	close(fd);
}

/*
 * USO: a UDP socket with UDP_SEGMENT hands the TAP one super-frame of
 * 1,200-byte datagrams where the kernel has USO (6.2 on), else the
 * kernel cuts them itself; either way each datagram comes out whole.
 */
static void
k_child_uso(void)
{
	static uint8_t buf[VH + 65536 + 64], data[12 * 1200 + 100];
	struct sockaddr_in sin;
	struct offload_ctx ctx;
	struct pollfd pfd;
	struct seen s;
	uint32_t got_tap;
	size_t i, j, dgrams = 0, supers = 0;
	uint64_t end;
	ssize_t n;
	int fd, u, seg = 1200;

	REQUIRE(unshare(CLONE_NEWNET) == 0);
	fd = tap_open_vnet();
	REQUIRE(offload_enable(fd, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
	    0x20 | 0x40, &got_tap) == 0);
	k_setup(fd, false);
	for (i = 0; i < sizeof(data); i++)
		data[i] = pay_byte(i);
	REQUIRE((u = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	REQUIRE(setsockopt(u, IPPROTO_UDP, 103 /* UDP_SEGMENT */, &seg,
	    sizeof(seg)) == 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5201);
	inet_pton(AF_INET, "198.18.77.2", &sin.sin_addr);
	REQUIRE(sendto(u, data, sizeof(data), 0, (struct sockaddr *)&sin,
	    sizeof(sin)) == (ssize_t)sizeof(data));
	offload_init(&ctx, VH, K_MTU);
	pfd.fd = fd;
	pfd.events = POLLIN;
	end = mono_ms() + 3000;
	while (dgrams < 13 && mono_ms() < end) {
		if (poll(&pfd, 1, 50) != 1 ||
		    (n = read(fd, buf, sizeof(buf))) <= VH + 14 + 28)
			continue;
		if (be16(buf + VH + 12) != 0x0800 || buf[VH + 14 + 9] != 17)
			continue;
		REQUIRE(offload_input(&ctx, buf, (size_t)n, &out) ==
		    OFFLOAD_OK);
		if (buf[1] == OFFLOAD_GSO_UDP_L4)
			supers++;
		for (j = 0; j < out.n; j++, dgrams++) {
			CHECK(frame_valid(out.frames[j].p, out.frames[j].len,
			    K_MTU));
			REQUIRE(ref_parse(out.frames[j].p, out.frames[j].len,
			    &s));
			CHECK(s.l3end - s.l4off - 8 == (dgrams < 12 ? 1200 :
			    100));
			CHECK(memcmp(out.frames[j].p + s.l4off + 8,
			    data + dgrams * 1200, s.l3end - s.l4off - 8) == 0);
		}
	}
	CHECKF(dgrams == 13, "%zu datagrams", dgrams);
	CHECKF((supers > 0) == ((got_tap & 0x20) != 0),
	    "%zu USO super-frames, offloads 0x%x", supers, got_tap);
	printf("kernel USO: %zu super-frames, %zu datagrams\n", supers,
	    dgrams);
	close(u);
	close(fd);
}

/*
 * GRO into the kernel: a peer's TCP stream, as frames within the MTU,
 * joined into super-frames and written to the TAP; the socket on the
 * other side must read every byte in order.
 */
/* one read if a frame waits, without blocking */
static bool
recv_nb(int fd, uint8_t *b, size_t n)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 1 && read(fd, b, n) > 0;
}

#define G_CHUNK		32000
#define G_CHUNKS	8
#define G_PEER_ISN	90000

static void
k_child_gro(void)
{
	static uint8_t rx[G_CHUNK], buf[VH + 2048];
	struct sockaddr_in sin;
	struct shape sh;
	struct ifreq ifr;
	struct pollfd pfd;
	uint8_t tpl[14 + 20 + 20], *f = inbuf + VH, mac[6];
	uint32_t kisn = 0, seq;
	size_t flen, l4off, n, i, c, got, len;
	uint64_t end;
	ssize_t r;
	int fd, lfd, afd = -1, one = 1, sfd;
	const uint8_t *p;

	REQUIRE(unshare(CLONE_NEWNET) == 0);
	fd = tap_open_vnet();
	k_setup(fd, false);
	memset(&ifr, 0, sizeof(ifr));
	REQUIRE(ioctl(fd, TUNGETIFF, &ifr) == 0);
	REQUIRE((sfd = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	REQUIRE(ioctl(sfd, SIOCGIFHWADDR, &ifr) == 0);
	close(sfd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	REQUIRE((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) != -1);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5201);
	inet_pton(AF_INET, "198.18.77.1", &sin.sin_addr);
	REQUIRE(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    listen(lfd, 1) == 0);

	/* the listener's side of the flow, for k_write to mirror */
	memset(tpl, 0, sizeof(tpl));
	memcpy(tpl + 6, mac, 6);
	memcpy(tpl + 14 + 12, "\xc6\x12\x4d\x01\xc6\x12\x4d\x02", 8);
	wbe16(tpl + 34, 5201);
	wbe16(tpl + 36, 40000);
	k_write(fd, false, tpl, G_PEER_ISN, 0, 0x02);
	pfd.fd = fd;
	pfd.events = POLLIN;
	end = mono_ms() + 3000;
	while (kisn == 0 && mono_ms() < end) {
		if (poll(&pfd, 1, 50) != 1 ||
		    (r = read(fd, buf, sizeof(buf))) < (ssize_t)(VH + 54))
			continue;
		if (be16(buf + VH + 12) == 0x0800 && buf[VH + 23] == 6 &&
		    buf[VH + 34 + 13] == 0x12)
			kisn = be32(buf + VH + 34 + 4);
	}
	REQUIRE(kisn != 0);
	k_write(fd, false, tpl, G_PEER_ISN + 1, kisn + 1, 0x10);
	pfd.fd = lfd;
	REQUIRE(poll(&pfd, 1, 2000) == 1);
	REQUIRE((afd = accept(lfd, NULL, NULL)) != -1);

	offload_gro_init(&gro, VH);
	for (c = 0; c < G_CHUNKS; c++) {
		memset(&sh, 0, sizeof(sh));
		sh.proto = 6;
		sh.paylen = G_CHUNK;
		sh.tcpflags = 0x18;
		flen = build(f, &sh, &l4off);
		memcpy(f, mac, 6);
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x02", 6);
		memcpy(f + 14 + 12, "\xc6\x12\x4d\x02\xc6\x12\x4d\x01", 8);
		wbe16(f + 14 + 10, 0);
		wbe16(f + 14 + 10, (uint16_t)~ref_add(0, f + 14, 20));
		wbe32(f + 34 + 4, G_PEER_ISN + 1 + (uint32_t)(c * G_CHUNK));
		wbe32(f + 34 + 8, kisn + 1);
		wbe16(f + 34 + 14, 0xffff);
		put_vnet(inbuf, OFFLOAD_F_NEEDS_CSUM, OFFLOAD_GSO_TCPV4, 54,
		    1000, 34, 16);
		n = cut(K_MTU, flen);
		for (i = 0; i < n; i++) {
			while (offload_gro_add(&gro, segs[i].p, segs[i].len) !=
			    OFFLOAD_GRO_HELD) {
				REQUIRE((p = offload_gro_flush(&gro, &len)) !=
				    NULL);
				CHECK(write(fd, p, len) == (ssize_t)len);
			}
		}
		if ((p = offload_gro_flush(&gro, &len)) != NULL)
			CHECK(write(fd, p, len) == (ssize_t)len);
		/* the socket reads the chunk whole and in order */
		pfd.fd = afd;
		for (got = 0; got < G_CHUNK && poll(&pfd, 1, 2000) == 1;
		    got += (size_t)r)
			if ((r = read(afd, rx + got, G_CHUNK - got)) <= 0)
				break;
		CHECKF(got == G_CHUNK, "chunk %zu: %zu bytes", c, got);
		for (i = 0; i < got && rx[i] == pay_byte(i); i++)
			;
		CHECKF(i == got, "chunk %zu differs at %zu", c, i);
		/* the kernel's ACKs are not needed */
		while (recv_nb(fd, buf, sizeof(buf)))
			;
	}
	seq = (uint32_t)(G_CHUNKS * G_CHUNK);
	CHECKF(gro.supers_out >= G_CHUNKS, "%llu super-frames",
	    (unsigned long long)gro.supers_out);
	printf("kernel GRO: %u bytes in %llu super-frames from %llu "
	    "segments\n", seq, (unsigned long long)gro.supers_out,
	    (unsigned long long)gro.frames_in);
	close(afd);
	close(lfd);
	close(fd);
}

static void
test_kernel(int which)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		/* only this child's own failures count */
		test_failures = 0;
		if (which == 3)
			k_child_gro();
		else if (which == 2)
			k_child_uso();
		else
			k_child(which == 1);
		fflush(stdout);
		_exit(test_failures == 0 ? 0 : 1);
	}
	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kernel child: 0x%x",
	    st);
}

int
main(void)
{
	log_init("test-vl2-offload", LOG_LVL_WARN);
	test_hdr();
	test_csum();
	test_tcp();
	test_udp_l4();
	test_ufo();
	test_malformed();
	test_gro();
	test_enable();
	test_kernel(0);
	test_kernel(1);
	test_kernel(2);
	test_kernel(3);
	return test_main_end();
}
