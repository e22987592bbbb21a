/*
 * VL1 packet framing (spec/vl1.md §2): classification, header accessors,
 * LZ4 decompression of a received payload, and splitting for a path MTU,
 * whose pieces must put the packet back together byte for byte.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "packet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[ZT_MAX_PACKET_LEN], back[ZT_MAX_PACKET_LEN];
	struct packet_piece pieces[ZT_MAX_FRAGMENTS];
	struct packet_fragbuf fb;
	size_t len, mtu, off;
	int i, np;

	if (packet_classify(data, size) == PACKET_KIND_PACKET) {
		assert(size >= ZT_PACKET_HEADER_LEN);
		(void)packet_dest(data);
		(void)packet_source(data);
		assert(packet_hops(data) < 8 && packet_cipher(data) < 8);
		(void)packet_fragmented(data);
	}
	if (size < ZT_PACKET_HEADER_LEN || size > ZT_MAX_PACKET_LEN)
		return 0;
	memcpy(buf, data, size);
	len = size;
	if (packet_uncompress(buf, &len) == 0)
		assert(len >= ZT_PACKET_HEADER_LEN &&
		    len <= ZT_MAX_PACKET_LEN);

	/* the first byte picks an MTU in the range a path may have */
	mtu = ZT_MIN_PHYSMTU + (size_t)data[0] * 40;
	if ((np = packet_split(data, size, mtu, &fb, pieces)) == -1)
		return 0;
	assert(np >= 1 && np <= ZT_MAX_FRAGMENTS);
	for (off = 0, i = 0; i < np; i++) {
		assert(pieces[i].len <= mtu);
		assert(off + pieces[i].len <= sizeof(back));
		memcpy(back + off, pieces[i].data, pieces[i].len);
		off += pieces[i].len;
		if (pieces[i].hdr != NULL) {
			assert(i > 0);
			assert(pieces[i].hdr[ZT_FRAG_IDX_INDICATOR] ==
			    ZT_FRAG_INDICATOR);
			assert((pieces[i].hdr[ZT_FRAG_IDX_COUNTS] >> 4) ==
			    np && (pieces[i].hdr[ZT_FRAG_IDX_COUNTS] & 15) ==
			    i);
		}
	}
	assert(off == size && memcmp(back, data, size) == 0);
	return 0;
}
