/*
 * TAP offloads: a random virtio-net header and frame, as a hostile or
 * buggy kernel path could hand them over.  Whatever comes out must fit
 * the MTU, lie inside the caller's storage or the input, and every
 * checksum the module claims to have completed must verify with this
 * file's own arithmetic (UDP fragments once put back together).
 *
 * The frames that come out are then joined again (offload_gro_*) as
 * for the way into a TAP: every joined super-frame must cut again into
 * valid frames.
 *
 * Input: u8 control (bit 0: 12-byte header; bits 1-2: MTU), then the
 * virtio header and the frame.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offload.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t in[OFFLOAD_VNET_HDR_MRG_LEN + 65536 + 512];
static uint8_t obuf[OFFLOAD_BYTES_MAX];
static struct offload_frame frames[OFFLOAD_FRAMES_MAX];
static uint8_t dgram[70000];
static struct offload_gro gro;
static uint8_t again[OFFLOAD_VNET_HDR_MRG_LEN + 65536];
static uint8_t obuf2[OFFLOAD_BYTES_MAX];
static struct offload_frame frames2[OFFLOAD_FRAMES_MAX];

struct fz_pkt {
	size_t		 l3off, l4off, l3end;
	bool		 v6, frag;
	uint8_t		 proto;
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
sum16(uint32_t acc, const uint8_t *p, size_t n)
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

static uint32_t
pseudo(const uint8_t *ip, bool v6, uint8_t proto, size_t len)
{
	uint8_t t[8] = { 0, 0, 0, 0, 0, 0, 0, proto };

	t[0] = (uint8_t)(len >> 24);
	t[1] = (uint8_t)(len >> 16);
	t[2] = (uint8_t)(len >> 8);
	t[3] = (uint8_t)len;
	return sum16(v6 ? sum16(0, ip + 8, 32) : sum16(0, ip + 12, 8), t, 8);
}

/*
 * The frames whose TCP/UDP checksum the module computes whole: IP with
 * TCP or UDP, the same header rules as the module (a frame it takes for
 * something else gets the generic completion, which this cannot check).
 * frag: an IP fragment (only the module's own UFO output has them).
 */
static bool
fz_parse(const uint8_t *f, size_t len, struct fz_pkt *k)
{
	size_t off = 14, ihl, tot, room, e;
	uint16_t type;
	uint8_t nh;
	int i;

	memset(k, 0, sizeof(*k));
	if (len < 14)
		return false;
	type = be16(f + 12);
	for (i = 0; i < 2 && (type == 0x8100 || type == 0x88a8); i++) {
		if (len - off < 4)
			return false;
		type = be16(f + off + 2);
		off += 4;
	}
	k->l3off = off;
	if (type == 0x0800) {
		if (len - off < 20 || f[off] >> 4 != 4)
			return false;
		ihl = (size_t)(f[off] & 15) * 4;
		tot = be16(f + off + 2);
		if (ihl < 20 || ihl > len - off || tot < ihl ||
		    tot > len - off)
			return false;
		k->frag = (be16(f + off + 6) & 0x3fff) != 0;
		k->proto = f[off + 9];
		k->l4off = off + ihl;
		k->l3end = off + tot;
	} else if (type == 0x86dd) {
		if (len - off < 40 || f[off] >> 4 != 6 ||
		    be16(f + off + 4) == 0 ||
		    be16(f + off + 4) > len - off - 40)
			return false;
		k->v6 = true;
		k->l3end = off + 40 + be16(f + off + 4);
		nh = f[off + 6];
		k->l4off = off + 40;
		for (i = 0; i < 8 && (nh == 0 || nh == 60); i++) {
			if (k->l3end - k->l4off < 8)
				return false;
			e = ((size_t)f[k->l4off + 1] + 1) * 8;
			if (e > k->l3end - k->l4off)
				return false;
			nh = f[k->l4off];
			k->l4off += e;
		}
		if (nh == 0 || nh == 60 || nh == 43)
			return false;
		k->frag = nh == 44;
		k->proto = nh;
	} else
		return false;
	room = k->l3end - k->l4off;
	if (k->frag)
		return true;
	if (k->proto == 6)
		return room >= 20 && (f[k->l4off + 12] >> 4) * 4 >= 20 &&
		    (size_t)(f[k->l4off + 12] >> 4) * 4 <= room;
	if (k->proto == 17)
		return room >= 8;
	return false;
}

static void
check_l4(const uint8_t *f, const struct fz_pkt *k)
{
	size_t n = k->l3end - k->l4off;

	assert(sum16(pseudo(f + k->l3off, k->v6, k->proto, n), f + k->l4off,
	    n) == 0xffff);
	if (k->proto == 17)
		assert(be16(f + k->l4off + 4) == n);
}

/* UFO output: fragments in order; the datagram's checksum once whole */
static void
check_frags(const struct offload_out *o)
{
	struct fz_pkt k, first;
	size_t i, off, fo, dlen = 0, hl;
	const uint8_t *f;
	bool more = true;

	for (i = 0; i < o->n; i++) {
		f = o->frames[i].p;
		assert(fz_parse(f, o->frames[i].len, &k) && k.frag);
		if (i == 0)
			first = k;
		if (k.v6) {
			fo = be16(f + k.l4off + 2);
			off = fo & ~7U;
			more = fo & 1;
			hl = k.l4off + 8;
		} else {
			assert(sum16(0, f + k.l3off, k.l4off - k.l3off) ==
			    0xffff);
			fo = be16(f + k.l3off + 6);
			off = (fo & 0x1fff) * 8;
			more = (fo & 0x2000) != 0;
			hl = k.l4off;
		}
		assert(off == dlen);
		assert(more == (i + 1 < o->n));
		memcpy(dgram + off, f + hl, k.l3end - hl);
		dlen = off + k.l3end - hl;
	}
	f = o->frames[0].p;
	assert(dlen >= 8 && be16(dgram + 4) == dlen);
	assert(sum16(pseudo(f + first.l3off, first.v6, 17, dlen), dgram,
	    dlen) == 0xffff);
}

/* a joined frame, as the kernel would take it, cut once more */
static void
check_joined(const uint8_t *p, size_t len, uint16_t mtu)
{
	struct offload_out o = { obuf2, sizeof(obuf2), frames2,
	    OFFLOAD_FRAMES_MAX, 0, 0 };
	struct offload_ctx ctx;
	struct fz_pkt k;
	size_t i;

	assert(p != NULL && len <= sizeof(again));
	memcpy(again, p, len);
	offload_init(&ctx, OFFLOAD_VNET_HDR_LEN, mtu);
	assert(offload_input(&ctx, again, len, &o) == OFFLOAD_OK);
	for (i = 0; i < o.n; i++) {
		assert(fz_parse(o.frames[i].p, o.frames[i].len, &k) &&
		    !k.frag && k.proto == 6);
		if (!k.v6)
			assert(sum16(0, o.frames[i].p + k.l3off,
			    k.l4off - k.l3off) == 0xffff);
		check_l4(o.frames[i].p, &k);
	}
}

static void
join(const struct offload_out *o, uint16_t mtu)
{
	enum offload_gro_verdict gv;
	const uint8_t *p;
	size_t i, len;

	offload_gro_init(&gro, OFFLOAD_VNET_HDR_LEN);
	for (i = 0; i < o->n; i++) {
		gv = offload_gro_add(&gro, o->frames[i].p, o->frames[i].len);
		if (gv == OFFLOAD_GRO_FLUSH) {
			p = offload_gro_flush(&gro, &len);
			check_joined(p, len, mtu);
			/* an empty joiner takes the frame or passes it */
			gv = offload_gro_add(&gro, o->frames[i].p,
			    o->frames[i].len);
			assert(gv != OFFLOAD_GRO_FLUSH);
		}
		if (gv == OFFLOAD_GRO_PASS &&
		    (p = offload_gro_flush(&gro, &len)) != NULL)
			check_joined(p, len, mtu);
	}
	if ((p = offload_gro_flush(&gro, &len)) != NULL)
		check_joined(p, len, mtu);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t mtus[] = { 1280, 1400, 2800, 9000 };
	struct offload_out o = { obuf, sizeof(obuf), frames,
	    OFFLOAD_FRAMES_MAX, 0, 0 };
	struct offload_ctx ctx;
	struct offload_vnet v;
	struct fz_pkt k;
	size_t hdr, i, len;
	uint16_t mtu;
	const uint8_t *p;

	if (size < 1 || size - 1 > sizeof(in))
		return 0;
	hdr = data[0] & 1 ? OFFLOAD_VNET_HDR_MRG_LEN : OFFLOAD_VNET_HDR_LEN;
	mtu = mtus[(data[0] >> 1) & 3];
	len = size - 1;
	memcpy(in, data + 1, len);
	offload_init(&ctx, hdr, mtu);
	ctx.drops.burst = 1;
	if (offload_input(&ctx, in, len, &o) != OFFLOAD_OK) {
		assert(o.n == 0);
		return 0;
	}
	assert(o.n >= 1 && o.used <= o.cap && len >= hdr);
	assert(offload_vnet_get(in, len, hdr, &v) == 0);
	for (i = 0; i < o.n; i++) {
		p = o.frames[i].p;
		assert(o.frames[i].len >= 14 &&
		    o.frames[i].len - 14 <= mtu);
		if (p >= in && p < in + len)
			assert(o.frames[i].len <= (size_t)(in + len - p));
		else
			assert(p >= obuf &&
			    o.frames[i].len <= (size_t)(obuf + o.used - p));
	}
	if (v.gso_type == OFFLOAD_GSO_UDP && fz_parse(o.frames[0].p,
	    o.frames[0].len, &k) && k.frag) {
		check_frags(&o);
		return 0;
	}
	for (i = 0; i < o.n; i++) {
		p = o.frames[i].p;
		if (v.gso_type != OFFLOAD_GSO_NONE) {
			assert(fz_parse(p, o.frames[i].len, &k) && !k.frag);
			assert(k.l3end == o.frames[i].len);
			if (!k.v6)
				assert(sum16(0, p + k.l3off,
				    k.l4off - k.l3off) == 0xffff);
			check_l4(p, &k);
		} else if ((v.flags & OFFLOAD_F_NEEDS_CSUM) &&
		    fz_parse(data + 1 + hdr, len - hdr, &k) && !k.frag) {
			/*
			 * Told apart by the frame as it came: the generic
			 * completion may write anywhere, even into the
			 * headers, and make a different frame of it.
			 */
			assert(p == in + hdr);
			check_l4(p, &k);
		}
	}
	join(&o, mtu);
	return 0;
}
