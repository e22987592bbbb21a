#include <string.h>

#include <lz4.h>

#include "buf.h"
#include "packet.h"

enum packet_kind
packet_classify(const uint8_t *p, size_t len)
{
	/* spec/vl1.md §2.1: byte 13 = 0xff is an impossible source address */
	if (len > ZT_FRAGMENT_HEADER_LEN &&
	    p[ZT_FRAG_IDX_INDICATOR] == ZT_FRAG_INDICATOR)
		return PACKET_KIND_FRAGMENT;
	if (len >= ZT_PACKET_HEADER_LEN && len <= ZT_MAX_PACKET_LEN)
		return PACKET_KIND_PACKET;
	if (len == 13)
		return PACKET_KIND_BEACON;
	return PACKET_KIND_JUNK;
}

uint64_t
packet_dest(const uint8_t *p)
{
	return be40_get(p + ZT_PKT_IDX_DEST);
}

uint64_t
packet_source(const uint8_t *p)
{
	return be40_get(p + ZT_PKT_IDX_SOURCE);
}

unsigned int
packet_hops(const uint8_t *p)
{
	return p[ZT_PKT_IDX_FLAGS] & ZT_PKT_HOPS_MASK;
}

unsigned int
packet_cipher(const uint8_t *p)
{
	return (p[ZT_PKT_IDX_FLAGS] & ZT_PKT_CIPHER_MASK) >> 3;
}

bool
packet_fragmented(const uint8_t *p)
{
	return (p[ZT_PKT_IDX_FLAGS] & ZT_PKT_FLAG_FRAGMENTED) != 0;
}

int
packet_compress(uint8_t *p, size_t *len)
{
	uint8_t tmp[ZT_MAX_PACKET_LEN];
	size_t plen;
	int n;

	if (*len <= ZT_PKT_IDX_PAYLOAD + ZT_COMPRESS_MIN_PAYLOAD ||
	    *len > ZT_MAX_PACKET_LEN ||
	    (p[ZT_PKT_IDX_VERB] & ZT_PKT_VERB_COMPRESSED) != 0)
		return 0;
	plen = *len - ZT_PKT_IDX_PAYLOAD;
	n = LZ4_compress_default((const char *)p + ZT_PKT_IDX_PAYLOAD,
	    (char *)tmp, (int)plen, (int)sizeof(tmp));
	if (n <= 0 || (size_t)n >= plen)
		return 0;
	memcpy(p + ZT_PKT_IDX_PAYLOAD, tmp, (size_t)n);
	p[ZT_PKT_IDX_VERB] |= ZT_PKT_VERB_COMPRESSED;
	*len = ZT_PKT_IDX_PAYLOAD + (size_t)n;
	return 1;
}

int
packet_uncompress(uint8_t *p, size_t *len)
{
	uint8_t tmp[ZT_MAX_PACKET_LEN - ZT_PKT_IDX_PAYLOAD];
	int n;

	if (*len < ZT_PACKET_HEADER_LEN || *len > ZT_MAX_PACKET_LEN)
		return -1;
	if ((p[ZT_PKT_IDX_VERB] & ZT_PKT_VERB_COMPRESSED) == 0)
		return 0;
	/* the output cap is fixed: a block may not expand past a packet */
	n = LZ4_decompress_safe((const char *)p + ZT_PKT_IDX_PAYLOAD,
	    (char *)tmp, (int)(*len - ZT_PKT_IDX_PAYLOAD), (int)sizeof(tmp));
	if (n < 0)
		return -1;
	memcpy(p + ZT_PKT_IDX_PAYLOAD, tmp, (size_t)n);
	p[ZT_PKT_IDX_VERB] &= (uint8_t)~ZT_PKT_VERB_COMPRESSED;
	*len = ZT_PKT_IDX_PAYLOAD + (size_t)n;
	return 0;
}

int
packet_split(const uint8_t *p, size_t len, size_t mtu,
    struct packet_fragbuf *fb, struct packet_piece out[ZT_MAX_FRAGMENTS])
{
	size_t chunk, off, rest, total, i;

	if (len < ZT_PACKET_HEADER_LEN || mtu <= ZT_FRAGMENT_HEADER_LEN)
		return -1;
	out[0].hdr = NULL;
	out[0].data = p;
	if (len <= mtu) {
		out[0].len = len;
		return 1;
	}
	out[0].len = mtu;
	chunk = mtu - ZT_FRAGMENT_HEADER_LEN;
	rest = len - mtu;
	total = 1 + (rest + chunk - 1) / chunk;
	if (total > ZT_MAX_FRAGMENTS)
		return -1;
	off = mtu;
	for (i = 1; i < total; i++) {
		uint8_t *h = fb->hdrs[i];

		memcpy(h, p, ZT_PKT_IDX_SOURCE);	/* id and destination */
		h[ZT_FRAG_IDX_INDICATOR] = ZT_FRAG_INDICATOR;
		h[ZT_FRAG_IDX_COUNTS] = (uint8_t)(total << 4 | i);
		h[ZT_FRAG_IDX_HOPS] = 0;
		out[i].hdr = h;
		out[i].data = p + off;
		out[i].len = rest < chunk ? rest : chunk;
		off += out[i].len;
		rest -= out[i].len;
	}
	return (int)total;
}
