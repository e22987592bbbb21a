/*
 * TAP offloads: virtio-net header checks, checksum completion and the
 * segmentation of super-frames into frames that fit the network MTU.
 * The rules are the kernel's own (net/ipv4/tcp_offload.c,
 * udp_offload.c, virtio_net_hdr_to_skb): every segment gets its own
 * IP length, IPv4 id and header checksum, TCP sequence number and full
 * TCP/UDP checksum; FIN and PSH stay on the last TCP segment only, CWR
 * on the first only.
 */
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "offload.h"

/* UDP segmentation offload arrived in Linux 6.2 (Debian 12 runs 6.1) */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6	0x40
#endif

#define ETH_HLEN	14
#define ET_IPV4		0x0800
#define ET_IPV6		0x86dd
#define ET_VLAN		0x8100
#define ET_QINQ		0x88a8
#define PROTO_TCP	6
#define PROTO_UDP	17
#define IP6_HOPOPTS	0
#define IP6_ROUTING	43
#define IP6_FRAGMENT	44
#define IP6_DSTOPTS	60
#define IP6_EXT_MAX	8	/* extension headers followed, at most */
#define TCP_FIN		0x01
#define TCP_PSH		0x08
#define TCP_CWR		0x80
#define TCP_CSUM_OFF	16
#define UDP_CSUM_OFF	6
#define UDP_HLEN	8
#define IP4_MF		0x2000
#define IP4_DF		0x4000
#define IP4_FRAG_MASK	0x3fff	/* MF and the offset: a fragment */
#define FRAG6_HLEN	8

/* where the headers of one frame are, as the frame itself says */
struct offload_pkt {
	size_t		 l3off;		/* after Ethernet and VLAN tags */
	size_t		 l4off;		/* after IP options / extensions */
	size_t		 l3end;		/* end of the IP packet */
	size_t		 l4hdr;		/* TCP data offset, 8 for UDP, else 0 */
	uint8_t		 proto;
	bool		 v6;
	bool		 v6ext;		/* IPv6 extension headers present */
};

static const char *const offload_errs[OFFLOAD_E_COUNT] = {
	[OFFLOAD_OK] = "ok",
	[OFFLOAD_E_SHORT] = "frame shorter than its headers",
	[OFFLOAD_E_HDR] = "invalid virtio-net header",
	[OFFLOAD_E_GSO_SIZE] = "gso type with gso_size 0",
	[OFFLOAD_E_CSUM] = "checksum position out of range",
	[OFFLOAD_E_PROTO] = "gso type does not match the frame",
	[OFFLOAD_E_PACKET] = "malformed IP/TCP/UDP headers",
	[OFFLOAD_E_UNSUPPORTED] = "unsupported header layout",
	[OFFLOAD_E_MTU] = "does not fit the network MTU",
	[OFFLOAD_E_ROOM] = "output storage too small",
};

const char *
offload_strerror(enum offload_err e)
{
	if ((unsigned int)e >= OFFLOAD_E_COUNT)
		return "unknown error";
	return offload_errs[e];
}

void
offload_init(struct offload_ctx *ctx, size_t vnet_hdr_len, uint16_t mtu)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->vnet_hdr_len = vnet_hdr_len == OFFLOAD_VNET_HDR_MRG_LEN ?
	    OFFLOAD_VNET_HDR_MRG_LEN : OFFLOAD_VNET_HDR_LEN;
	ctx->mtu = mtu;
	ctx->frag_id = 1;
	ctx->drops.what = "TAP frame";
}

void
offload_set_mtu(struct offload_ctx *ctx, uint16_t mtu)
{
	ctx->mtu = mtu;
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint16_t
get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int
offload_vnet_get(const uint8_t *p, size_t len, size_t hdr_len,
    struct offload_vnet *v)
{
	memset(v, 0, sizeof(*v));
	if (hdr_len < OFFLOAD_VNET_HDR_LEN || len < hdr_len)
		return -1;
	v->flags = p[0];
	v->gso_type = p[1] & ~OFFLOAD_GSO_ECN;
	v->ecn = (p[1] & OFFLOAD_GSO_ECN) != 0;
	v->hdr_len = get_le16(p + 2);
	v->gso_size = get_le16(p + 4);
	v->csum_start = get_le16(p + 6);
	v->csum_offset = get_le16(p + 8);
	return 0;
}

void
offload_tap_hdr(uint8_t *hdr, size_t hdr_len, bool data_valid)
{
	memset(hdr, 0, hdr_len);
	if (data_valid && hdr_len > 0)
		hdr[0] = OFFLOAD_F_DATA_VALID;
}

/*
 * Ones'-complement arithmetic is the same modulo 2^16 - 1 at any word
 * width and in either byte order (RFC 1071 §2), so 64-bit words of
 * memory are summed with end-around carry and folded at the end.
 */
uint64_t
offload_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint64_t q;
	uint32_t w;
	uint16_t h;
	uint8_t last[2];

	while (len >= 8) {
		memcpy(&q, p, 8);
		sum += q;
		sum += sum < q;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		sum += sum < w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		sum += sum < h;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* an odd last byte is the high half of a zero-padded word */
		last[0] = p[0];
		last[1] = 0;
		memcpy(&h, last, 2);
		sum += h;
		sum += sum < h;
	}
	return sum;
}

uint16_t
offload_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	sum = (sum & 0xffffffffULL) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* stores ~sum where the checksum field is, in memory order like the sum */
static void
csum_store(uint8_t *field, uint64_t sum, bool udp)
{
	uint16_t c = (uint16_t)~offload_csum_fold(sum);

	/* UDP sends a computed 0 as all ones: 0 means "no checksum" */
	if (udp && c == 0)
		c = 0xffff;
	memcpy(field, &c, 2);
}

static void
ip4_csum(uint8_t *ip, size_t ihl)
{
	ip[10] = ip[11] = 0;
	csum_store(ip + 10, offload_csum_add(0, ip, ihl), false);
}

/* the TCP/UDP pseudo-header of frame f for an L4 length of l4len */
static uint64_t
csum_pseudo(const uint8_t *f, const struct offload_pkt *k, size_t l4len)
{
	uint8_t tail[8];

	if (k->v6) {
		put_be32(tail, (uint32_t)l4len);
		tail[4] = tail[5] = tail[6] = 0;
		tail[7] = k->proto;
		return offload_csum_add(offload_csum_add(0,
		    f + k->l3off + 8, 32), tail, 8);
	}
	tail[0] = 0;
	tail[1] = k->proto;
	put_be16(tail + 2, (uint16_t)l4len);
	return offload_csum_add(offload_csum_add(0, f + k->l3off + 12, 8),
	    tail, 4);
}

/* the complete TCP/UDP checksum of the L4 part of f as it is now */
static void
l4_csum(uint8_t *f, const struct offload_pkt *k, size_t l4len)
{
	uint8_t *field = f + k->l4off + (k->proto == PROTO_TCP ?
	    TCP_CSUM_OFF : UDP_CSUM_OFF);
	uint64_t sum;

	field[0] = field[1] = 0;
	sum = offload_csum_add(csum_pseudo(f, k, l4len), f + k->l4off, l4len);
	csum_store(field, sum, k->proto == PROTO_UDP);
}

static enum offload_err
pkt_parse_ip4(const uint8_t *f, size_t len, struct offload_pkt *k)
{
	size_t off = k->l3off, ihl, tot;

	if (len - off < 20 || f[off] >> 4 != 4)
		return OFFLOAD_E_PACKET;
	ihl = (size_t)(f[off] & 0x0f) * 4;
	tot = get_be16(f + off + 2);
	if (ihl < 20 || ihl > len - off || tot < ihl || tot > len - off)
		return OFFLOAD_E_PACKET;
	/* a fragment's L4 header and checksum cover the whole datagram */
	if (get_be16(f + off + 6) & IP4_FRAG_MASK)
		return OFFLOAD_E_PACKET;
	k->proto = f[off + 9];
	k->l4off = off + ihl;
	k->l3end = off + tot;
	return OFFLOAD_OK;
}

static enum offload_err
pkt_parse_ip6(const uint8_t *f, size_t len, struct offload_pkt *k)
{
	size_t off = k->l3off, plen, p, elen;
	unsigned int i;
	uint8_t nh;

	if (len - off < 40 || f[off] >> 4 != 6)
		return OFFLOAD_E_PACKET;
	plen = get_be16(f + off + 4);
	/* payload length 0 is a jumbogram, which needs a hop-by-hop option */
	if (plen == 0)
		return OFFLOAD_E_UNSUPPORTED;
	if (plen > len - off - 40)
		return OFFLOAD_E_PACKET;
	k->v6 = true;
	k->l3end = off + 40 + plen;
	nh = f[off + 6];
	p = off + 40;
	for (i = 0; ; i++) {
		/* with a routing header the pseudo-header holds the final
		   destination, not the IPv6 header's */
		if (nh == IP6_ROUTING)
			return OFFLOAD_E_UNSUPPORTED;
		if (nh == IP6_FRAGMENT)
			return OFFLOAD_E_PACKET;
		if (nh != IP6_HOPOPTS && nh != IP6_DSTOPTS)
			break;
		if (i == IP6_EXT_MAX)
			return OFFLOAD_E_UNSUPPORTED;
		if (k->l3end - p < 8)
			return OFFLOAD_E_PACKET;
		elen = ((size_t)f[p + 1] + 1) * 8;
		if (elen > k->l3end - p)
			return OFFLOAD_E_PACKET;
		nh = f[p];
		p += elen;
		k->v6ext = true;
	}
	k->proto = nh;
	k->l4off = p;
	return OFFLOAD_OK;
}

/*
 * Finds the IP and L4 headers of an Ethernet frame (up to two VLAN
 * tags).  OFFLOAD_E_PROTO: not IP.
 */
static enum offload_err
pkt_parse(const uint8_t *f, size_t len, struct offload_pkt *k)
{
	enum offload_err e;
	size_t off = ETH_HLEN, room, thl;
	uint16_t type;
	int i;

	memset(k, 0, sizeof(*k));
	if (len < ETH_HLEN)
		return OFFLOAD_E_SHORT;
	type = get_be16(f + 12);
	for (i = 0; i < 2 && (type == ET_VLAN || type == ET_QINQ); i++) {
		if (len - off < 4)
			return OFFLOAD_E_PACKET;
		type = get_be16(f + off + 2);
		off += 4;
	}
	k->l3off = off;
	if (type == ET_IPV4)
		e = pkt_parse_ip4(f, len, k);
	else if (type == ET_IPV6)
		e = pkt_parse_ip6(f, len, k);
	else
		return OFFLOAD_E_PROTO;
	if (e != OFFLOAD_OK)
		return e;
	room = k->l3end - k->l4off;
	if (k->proto == PROTO_TCP) {
		if (room < 20)
			return OFFLOAD_E_PACKET;
		thl = (size_t)(f[k->l4off + 12] >> 4) * 4;
		if (thl < 20 || thl > room)
			return OFFLOAD_E_PACKET;
		k->l4hdr = thl;
	} else if (k->proto == PROTO_UDP) {
		if (room < UDP_HLEN)
			return OFFLOAD_E_PACKET;
		k->l4hdr = UDP_HLEN;
	}
	return OFFLOAD_OK;
}

static void
out_push(struct offload_out *out, const uint8_t *p, size_t len,
    bool in_buf)
{
	out->frames[out->n].p = p;
	out->frames[out->n].len = len;
	out->n++;
	if (in_buf)
		out->used += len;
}

/* reserves room for nseg frames carrying need bytes in all */
static enum offload_err
out_room(const struct offload_out *out, size_t nseg, size_t need)
{
	if (nseg > out->max_frames - out->n || need > out->cap - out->used)
		return OFFLOAD_E_ROOM;
	return OFFLOAD_OK;
}

/* the IP header of segment d after its payload changed to l3len bytes */
static void
seg_fix_ip(uint8_t *d, const struct offload_pkt *k, size_t l3len,
    uint16_t id)
{
	uint8_t *ip = d + k->l3off;

	if (k->v6) {
		put_be16(ip + 4, (uint16_t)(l3len - 40));
		return;
	}
	put_be16(ip + 2, (uint16_t)l3len);
	put_be16(ip + 4, id);
	ip4_csum(ip, k->l4off - k->l3off);
}

static enum offload_err
seg_tcp(const struct offload_ctx *ctx, const uint8_t *f,
    const struct offload_pkt *k, const struct offload_vnet *v,
    struct offload_out *out)
{
	size_t hl = k->l4off + k->l4hdr, paylen = k->l3end - hl;
	size_t room = (size_t)ctx->mtu + ETH_HLEN, mss, nseg, i, off, chunk;
	uint8_t flags0, *d, *th;
	uint32_t seq0;
	uint16_t id0;
	enum offload_err e;

	if (hl >= room)
		return OFFLOAD_E_MTU;
	/* a gso_size above what the network carries is cut to fit */
	mss = room - hl;
	if (v->gso_size < mss)
		mss = v->gso_size;
	nseg = paylen == 0 ? 1 : (paylen + mss - 1) / mss;
	if ((e = out_room(out, nseg, nseg * hl + paylen)) != OFFLOAD_OK)
		return e;
	seq0 = get_be32(f + k->l4off + 4);
	flags0 = f[k->l4off + 13];
	id0 = k->v6 ? 0 : get_be16(f + k->l3off + 4);
	for (i = 0, off = 0; i < nseg; i++, off += chunk) {
		chunk = paylen - off < mss ? paylen - off : mss;
		d = out->buf + out->used;
		memcpy(d, f, hl);
		memcpy(d + hl, f + hl + off, chunk);
		seg_fix_ip(d, k, hl + chunk - k->l3off, (uint16_t)(id0 + i));
		th = d + k->l4off;
		put_be32(th + 4, seq0 + (uint32_t)off);
		th[13] = flags0;
		if (i + 1 < nseg)
			th[13] &= ~(TCP_FIN | TCP_PSH);
		if (i > 0)
			th[13] &= ~TCP_CWR;
		l4_csum(d, k, k->l4hdr + chunk);
		out_push(out, d, hl + chunk, true);
	}
	return OFFLOAD_OK;
}

/* USO: every gso_size bytes of payload become a datagram of their own */
static enum offload_err
seg_udp_l4(const struct offload_ctx *ctx, const uint8_t *f,
    const struct offload_pkt *k, const struct offload_vnet *v,
    struct offload_out *out)
{
	size_t hl = k->l4off + UDP_HLEN, paylen = k->l3end - hl;
	size_t room = (size_t)ctx->mtu + ETH_HLEN, nseg, i, off, chunk;
	uint16_t id0;
	uint8_t *d;
	enum offload_err e;

	/* datagram boundaries are the sender's: they cannot move */
	chunk = paylen < v->gso_size ? paylen : v->gso_size;
	if (hl + chunk > room)
		return OFFLOAD_E_MTU;
	nseg = paylen == 0 ? 1 : (paylen + v->gso_size - 1) / v->gso_size;
	if ((e = out_room(out, nseg, nseg * hl + paylen)) != OFFLOAD_OK)
		return e;
	id0 = k->v6 ? 0 : get_be16(f + k->l3off + 4);
	for (i = 0, off = 0; i < nseg; i++, off += chunk) {
		chunk = paylen - off < v->gso_size ? paylen - off :
		    v->gso_size;
		d = out->buf + out->used;
		memcpy(d, f, hl);
		memcpy(d + hl, f + hl + off, chunk);
		seg_fix_ip(d, k, hl + chunk - k->l3off, (uint16_t)(id0 + i));
		put_be16(d + k->l4off + 4, (uint16_t)(UDP_HLEN + chunk));
		l4_csum(d, k, UDP_HLEN + chunk);
		out_push(out, d, hl + chunk, true);
	}
	return OFFLOAD_OK;
}

/*
 * UFO: one UDP datagram, checksummed whole, sent as IP fragments.  Only
 * plain headers: IPv4 options would need the copy-flag rules and IPv6
 * extension headers the unfragmentable-part rules, and the kernel sends
 * neither through UFO.
 */
static enum offload_err
seg_udp_frag(struct offload_ctx *ctx, const uint8_t *f,
    const struct offload_pkt *k, const struct offload_vnet *v,
    struct offload_out *out)
{
	size_t dlen = k->l3end - k->l4off, room = (size_t)ctx->mtu + ETH_HLEN;
	size_t fhl = k->l4off + (k->v6 ? FRAG6_HLEN : 0), fs, nfrag, i, off;
	size_t chunk, hcopy;
	uint8_t udp[UDP_HLEN], *d, *ip;
	uint64_t sum;
	uint32_t id6;
	uint16_t fo;
	enum offload_err e;

	if (k->v6 ? k->v6ext : (k->l4off - k->l3off != 20))
		return OFFLOAD_E_UNSUPPORTED;
	if (dlen > 0xffff)
		return OFFLOAD_E_PACKET;
	memcpy(udp, f + k->l4off, UDP_HLEN);
	put_be16(udp + 4, (uint16_t)dlen);
	udp[6] = udp[7] = 0;
	sum = offload_csum_add(csum_pseudo(f, k, dlen), udp, UDP_HLEN);
	sum = offload_csum_add(sum, f + k->l4off + UDP_HLEN,
	    dlen - UDP_HLEN);
	csum_store(udp + 6, sum, true);

	if (k->l4off + dlen <= room) {
		/* it fits whole: no fragments, only the checksum */
		if ((e = out_room(out, 1, k->l4off + dlen)) != OFFLOAD_OK)
			return e;
		d = out->buf + out->used;
		memcpy(d, f, k->l3end);
		memcpy(d + k->l4off, udp, UDP_HLEN);
		if (!k->v6)
			ip4_csum(d + k->l3off, 20);
		out_push(out, d, k->l3end, true);
		return OFFLOAD_OK;
	}
	if (fhl >= room || (fs = (room - fhl) & ~(size_t)7) == 0)
		return OFFLOAD_E_MTU;
	if (v->gso_size >= 8 && (v->gso_size & ~7U) < fs)
		fs = v->gso_size & ~7U;
	nfrag = (dlen + fs - 1) / fs;
	if ((e = out_room(out, nfrag, nfrag * fhl + dlen)) != OFFLOAD_OK)
		return e;
	id6 = ctx->frag_id++;
	for (i = 0, off = 0; i < nfrag; i++, off += chunk) {
		chunk = dlen - off < fs ? dlen - off : fs;
		d = out->buf + out->used;
		memcpy(d, f, k->l4off);
		ip = d + k->l3off;
		fo = (uint16_t)(off | (i + 1 < nfrag ? 1 : 0));
		if (k->v6) {
			/* fragment header after the fixed header */
			ip[6] = IP6_FRAGMENT;
			ip[40] = PROTO_UDP;
			ip[41] = 0;
			put_be16(ip + 42, fo);
			put_be32(ip + 44, id6);
			put_be16(ip + 4, (uint16_t)(FRAG6_HLEN + chunk));
		} else {
			put_be16(ip + 6, (uint16_t)(off / 8 |
			    (i + 1 < nfrag ? IP4_MF : 0)));
			put_be16(ip + 2, (uint16_t)(20 + chunk));
			ip4_csum(ip, 20);
		}
		hcopy = 0;
		if (off == 0) {
			memcpy(d + fhl, udp, UDP_HLEN);
			hcopy = UDP_HLEN;
		}
		memcpy(d + fhl + hcopy, f + k->l4off + off + hcopy,
		    chunk - hcopy);
		out_push(out, d, fhl + chunk, true);
	}
	return OFFLOAD_OK;
}

/* the virtio header's claims that need no look at the frame */
static enum offload_err
vnet_check(const struct offload_vnet *v, size_t flen)
{
	if (v->flags & ~(OFFLOAD_F_NEEDS_CSUM | OFFLOAD_F_DATA_VALID))
		return OFFLOAD_E_HDR;
	switch (v->gso_type) {
	case OFFLOAD_GSO_NONE:
		if (v->ecn)
			return OFFLOAD_E_HDR;
		return OFFLOAD_OK;
	case OFFLOAD_GSO_TCPV4:
	case OFFLOAD_GSO_TCPV6:
		break;
	case OFFLOAD_GSO_UDP:
	case OFFLOAD_GSO_UDP_L4:
		if (v->ecn)
			return OFFLOAD_E_HDR;
		break;
	default:
		return OFFLOAD_E_HDR;
	}
	if (v->gso_size == 0)
		return OFFLOAD_E_GSO_SIZE;
	/*
	 * hdr_len is the kernel's linear head (skb_headlen), a hint that
	 * may exceed the headers but never the frame.
	 */
	if (v->hdr_len > flen)
		return OFFLOAD_E_HDR;
	return OFFLOAD_OK;
}

/* NEEDS_CSUM must point at the frame's own L4 checksum */
static bool
csum_at_l4(const struct offload_vnet *v, const struct offload_pkt *k)
{
	return v->csum_start == k->l4off && v->csum_offset ==
	    (k->proto == PROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
}

static enum offload_err
input_gso(struct offload_ctx *ctx, const uint8_t *f, size_t flen,
    const struct offload_vnet *v, struct offload_out *out)
{
	struct offload_pkt k;
	enum offload_err e;
	bool tcp;

	if ((e = pkt_parse(f, flen, &k)) != OFFLOAD_OK)
		return e;
	tcp = v->gso_type == OFFLOAD_GSO_TCPV4 ||
	    v->gso_type == OFFLOAD_GSO_TCPV6;
	if ((tcp && k.proto != PROTO_TCP) || (!tcp && k.proto != PROTO_UDP) ||
	    (v->gso_type == OFFLOAD_GSO_TCPV4 && k.v6) ||
	    (v->gso_type == OFFLOAD_GSO_TCPV6 && !k.v6))
		return OFFLOAD_E_PROTO;
	if ((v->flags & OFFLOAD_F_NEEDS_CSUM) && !csum_at_l4(v, &k))
		return OFFLOAD_E_CSUM;
	if (k.l4off + k.l4hdr > OFFLOAD_HDRS_MAX)
		return OFFLOAD_E_UNSUPPORTED;
	ctx->st.gso_in++;
	if (tcp)
		return seg_tcp(ctx, f, &k, v, out);
	if (v->gso_type == OFFLOAD_GSO_UDP_L4)
		return seg_udp_l4(ctx, f, &k, v, out);
	return seg_udp_frag(ctx, f, &k, v, out);
}

/*
 * NEEDS_CSUM alone: TCP and UDP over IP get their checksum computed
 * whole (pseudo-header included, whatever the field held); anything
 * else gets the generic completion the virtio spec defines: the sum
 * from csum_start to the end, stored at csum_start + csum_offset.
 */
static enum offload_err
input_csum(uint8_t *f, size_t flen, const struct offload_vnet *v)
{
	struct offload_pkt k;
	enum offload_err e;
	uint8_t *field;

	e = pkt_parse(f, flen, &k);
	if (e == OFFLOAD_OK && (k.proto == PROTO_TCP ||
	    k.proto == PROTO_UDP)) {
		if (!csum_at_l4(v, &k))
			return OFFLOAD_E_CSUM;
		/* the receiver sums what the UDP length says */
		if (k.proto == PROTO_UDP && get_be16(f + k.l4off + 4) !=
		    k.l3end - k.l4off)
			return OFFLOAD_E_PACKET;
		l4_csum(f, &k, k.l3end - k.l4off);
		return OFFLOAD_OK;
	}
	if (v->csum_start < ETH_HLEN || v->csum_start >= flen ||
	    v->csum_offset > flen - v->csum_start ||
	    flen - v->csum_start - v->csum_offset < 2)
		return OFFLOAD_E_CSUM;
	field = f + v->csum_start + v->csum_offset;
	csum_store(field, offload_csum_add(0, f + v->csum_start,
	    flen - v->csum_start), false);
	return OFFLOAD_OK;
}

enum offload_err
offload_input(struct offload_ctx *ctx, uint8_t *in, size_t len,
    struct offload_out *out)
{
	struct offload_vnet v;
	enum offload_err e;
	uint8_t *f;
	size_t flen;

	out->n = 0;
	out->used = 0;
	ctx->st.frames_in++;
	memset(&v, 0, sizeof(v));
	if (offload_vnet_get(in, len, ctx->vnet_hdr_len, &v) == -1 ||
	    len - ctx->vnet_hdr_len < ETH_HLEN) {
		e = OFFLOAD_E_SHORT;
		goto drop;
	}
	f = in + ctx->vnet_hdr_len;
	flen = len - ctx->vnet_hdr_len;
	if ((e = vnet_check(&v, flen)) != OFFLOAD_OK)
		goto drop;
	if (v.gso_type != OFFLOAD_GSO_NONE) {
		if ((e = input_gso(ctx, f, flen, &v, out)) != OFFLOAD_OK) {
			out->n = 0;
			out->used = 0;
			goto drop;
		}
		ctx->st.csum_done += out->n;
		ctx->st.frames_out += out->n;
		return OFFLOAD_OK;
	}
	if (flen - ETH_HLEN > ctx->mtu) {
		e = OFFLOAD_E_MTU;
		goto drop;
	}
	if (out->max_frames == 0) {
		e = OFFLOAD_E_ROOM;
		goto drop;
	}
	if (v.flags & OFFLOAD_F_NEEDS_CSUM) {
		if ((e = input_csum(f, flen, &v)) != OFFLOAD_OK)
			goto drop;
		ctx->st.csum_done++;
	}
	out_push(out, f, flen, false);
	ctx->st.frames_out++;
	return OFFLOAD_OK;
drop:
	ctx->st.drops[e]++;
	log_drop(&ctx->drops, "%s (flags 0x%x, gso %u%s, gso_size %u, "
	    "csum %u+%u, hdr_len %u, %zu bytes)", offload_strerror(e),
	    v.flags, v.gso_type, v.ecn ? "+ecn" : "", v.gso_size,
	    v.csum_start, v.csum_offset, v.hdr_len, len);
	return e;
}

/*
 * Sets the kernel needs together: TSO with checksums, ECN with TSO, USO
 * only as the IPv4 and IPv6 pair (tun_set_offload refuses half of it).
 */
static const struct {
	uint32_t	 flags;
	uint32_t	 needs;
	const char	*name;
} offload_sets[] = {
	{ TUN_F_CSUM, 0, "csum" },
	{ TUN_F_TSO4, TUN_F_CSUM, "tso4" },
	{ TUN_F_TSO6, TUN_F_CSUM, "tso6" },
	{ TUN_F_TSO_ECN, TUN_F_TSO4 | TUN_F_TSO6, "tso-ecn" },
	{ TUN_F_USO4 | TUN_F_USO6, TUN_F_CSUM, "uso" },
};

static void
list_add(char *list, size_t size, const char *name)
{
	size_t off = strlen(list);

	snprintf(list + off, size - off, " %s", name);
}

int
offload_enable(int fd, uint32_t want, uint32_t *got)
{
	char on[96] = "", refused[96] = "";
	uint32_t cur = 0, s;
	size_t i;

	*got = 0;
	for (i = 0; i < sizeof(offload_sets) / sizeof(offload_sets[0]);
	    i++) {
		s = offload_sets[i].flags;
		if ((want & s) != s)
			continue;
		/* TUNSETOFFLOAD replaces the whole set; EINVAL: unknown bit */
		if ((cur & offload_sets[i].needs) != 0 ||
		    offload_sets[i].needs == 0) {
			if (ioctl(fd, TUNSETOFFLOAD,
			    (unsigned long)(cur | s)) == 0) {
				cur |= s;
				list_add(on, sizeof(on), offload_sets[i].name);
				continue;
			}
		}
		list_add(refused, sizeof(refused), offload_sets[i].name);
	}
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)cur) == -1) {
		log_warn("TUNSETOFFLOAD 0x%x", cur);
		ioctl(fd, TUNSETOFFLOAD, 0UL);
		return -1;
	}
	*got = cur;
	if (refused[0] != '\0')
		log_warnx("TAP offloads not enabled (refused by this kernel "
		    "or missing what they need):%s", refused);
	log_info("TAP offloads:%s", on[0] != '\0' ? on : " none");
	return 0;
}

void
offload_gro_init(struct offload_gro *g, size_t vnet_hdr_len)
{
	_Static_assert(offsetof(struct offload_gro, buf) == 0,
	    "the buffer comes first");
	/* the 64 KiB buffer is written before it is read: not cleared */
	memset((uint8_t *)g + sizeof(g->buf), 0, sizeof(*g) - sizeof(g->buf));
	g->vnet_hdr_len = vnet_hdr_len == OFFLOAD_VNET_HDR_MRG_LEN ?
	    OFFLOAD_VNET_HDR_MRG_LEN : OFFLOAD_VNET_HDR_LEN;
}

/*
 * A segment that may be joined: IPv4 without options or IPv6 without
 * extension headers, TCP with payload, ACK or ACK|PSH only, no padding,
 * and checksums that verify (a joined frame reaches the stack as
 * checked, so a corrupt segment must never be part of one).
 */
static bool
gro_candidate(const uint8_t *f, size_t len, struct offload_pkt *k)
{
	uint8_t flags;

	if (pkt_parse(f, len, k) != OFFLOAD_OK || k->proto != PROTO_TCP ||
	    k->l3end != len || k->l4off + k->l4hdr >= len ||
	    k->l4off + k->l4hdr > OFFLOAD_HDRS_MAX)
		return false;
	if (k->v6 ? k->v6ext : (k->l4off - k->l3off != 20))
		return false;
	flags = f[k->l4off + 13];
	if (flags != 0x10 && flags != (0x10 | TCP_PSH))
		return false;
	if (!k->v6 && offload_csum_fold(offload_csum_add(0, f + k->l3off,
	    20)) != 0xffff)
		return false;
	return offload_csum_fold(offload_csum_add(csum_pseudo(f, k,
	    len - k->l4off), f + k->l4off, len - k->l4off)) == 0xffff;
}

/* everything but lengths, IPv4 id and checksums, sequence and PSH */
static bool
gro_same_flow(const struct offload_gro *g, const uint8_t *f,
    const struct offload_pkt *k)
{
	const uint8_t *p = g->buf + g->vnet_hdr_len;
	size_t l3 = k->l3off, l4 = k->l4off;

	if (k->v6 != g->v6 || l3 != g->l3off || l4 != g->l4off ||
	    l4 + k->l4hdr != g->hl || memcmp(p, f, l3) != 0)
		return false;
	if (k->v6) {
		if (memcmp(p + l3, f + l3, 4) != 0 ||
		    memcmp(p + l3 + 6, f + l3 + 6, 34) != 0)
			return false;
	} else if (p[l3 + 1] != f[l3 + 1] ||
	    memcmp(p + l3 + 6, f + l3 + 6, 4) != 0 ||
	    memcmp(p + l3 + 12, f + l3 + 12, 8) != 0)
		return false;
	/* ports, ack, data offset, window, urgent pointer, options */
	return memcmp(p + l4, f + l4, 4) == 0 &&
	    memcmp(p + l4 + 8, f + l4 + 8, 5) == 0 &&
	    memcmp(p + l4 + 14, f + l4 + 14, 2) == 0 &&
	    memcmp(p + l4 + 18, f + l4 + 18, g->hl - l4 - 18) == 0;
}

enum offload_gro_verdict
offload_gro_add(struct offload_gro *g, const uint8_t *f, size_t len)
{
	struct offload_pkt k;
	uint8_t *p = g->buf + g->vnet_hdr_len;
	size_t hl, pay;
	uint32_t seq;
	bool psh;

	if (len > sizeof(g->buf) - g->vnet_hdr_len || !gro_candidate(f, len,
	    &k))
		return OFFLOAD_GRO_PASS;
	hl = k.l4off + k.l4hdr;
	pay = len - hl;
	seq = get_be32(f + k.l4off + 4);
	psh = (f[k.l4off + 13] & TCP_PSH) != 0;
	if (g->nseg == 0) {
		memcpy(p, f, len);
		g->len = len;
		g->nseg = 1;
		g->l3off = k.l3off;
		g->l4off = k.l4off;
		g->hl = hl;
		g->v6 = k.v6;
		g->seg_len = pay;
		g->next_seq = seq + (uint32_t)pay;
		g->closed = psh;
		g->frames_in++;
		return OFFLOAD_GRO_HELD;
	}
	/* the IP length field (IPv6: payload length) caps the whole */
	if (g->closed || g->nseg == OFFLOAD_GRO_SEGS_MAX ||
	    seq != g->next_seq || pay > g->seg_len ||
	    g->len + pay - g->l3off - (g->v6 ? 40 : 0) > 0xffff ||
	    g->len + pay > sizeof(g->buf) - g->vnet_hdr_len ||
	    !gro_same_flow(g, f, &k))
		return OFFLOAD_GRO_FLUSH;
	memcpy(p + g->len, f + hl, pay);
	g->len += pay;
	g->nseg++;
	g->next_seq += (uint32_t)pay;
	if (psh)
		p[g->l4off + 13] |= TCP_PSH;
	g->closed = psh || pay < g->seg_len;
	g->frames_in++;
	return OFFLOAD_GRO_HELD;
}

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

const uint8_t *
offload_gro_flush(struct offload_gro *g, size_t *len)
{
	struct offload_pkt k;
	uint8_t *h = g->buf, *p = g->buf + g->vnet_hdr_len;
	uint16_t partial;

	*len = 0;
	if (g->nseg == 0)
		return NULL;
	/* a lone segment goes as it came; its checksums were verified */
	offload_tap_hdr(h, g->vnet_hdr_len, true);
	if (g->nseg > 1) {
		memset(&k, 0, sizeof(k));
		k.l3off = g->l3off;
		k.l4off = g->l4off;
		k.v6 = g->v6;
		k.proto = PROTO_TCP;
		if (g->v6)
			put_be16(p + g->l3off + 4,
			    (uint16_t)(g->len - g->l3off - 40));
		else {
			put_be16(p + g->l3off + 2, (uint16_t)(g->len - g->l3off));
			ip4_csum(p + g->l3off, 20);
		}
		/* NEEDS_CSUM: the field holds the pseudo-header sum, the
		   rest is the kernel's to add (virtio-net semantics) */
		partial = offload_csum_fold(csum_pseudo(p, &k,
		    g->len - g->l4off));
		memcpy(p + g->l4off + TCP_CSUM_OFF, &partial, 2);
		h[0] = OFFLOAD_F_NEEDS_CSUM;
		h[1] = g->v6 ? OFFLOAD_GSO_TCPV6 : OFFLOAD_GSO_TCPV4;
		put_le16(h + 2, (uint16_t)g->hl);
		put_le16(h + 4, (uint16_t)g->seg_len);
		put_le16(h + 6, (uint16_t)g->l4off);
		put_le16(h + 8, TCP_CSUM_OFF);
		g->supers_out++;
	}
	*len = g->vnet_hdr_len + g->len;
	g->nseg = 0;
	g->len = 0;
	return g->buf;
}
