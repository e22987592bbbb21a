/*
 * Fragment reassembly (spec/vl1.md §2.8) fed a stream of heads and
 * fragments from a handful of sources: completed packets never exceed the
 * maximum, and the bytes held never exceed the cap, whatever the order.
 * Input records: kind/source byte, u16 length, then that many bytes.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "packet.h"
#include "reasm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[ZT_MAX_PACKET_LEN];
	struct reasm_stats st;
	const uint8_t *piece;
	struct reasm *r;
	struct rbuf rb;
	uint8_t kind, src;
	uint16_t len;
	size_t outlen;
	int64_t now = 0;
	int rc;

	if ((r = reasm_new(8, 3, 1000)) == NULL)
		return 0;
	rbuf_init(&rb, data, size);
	while (rbuf_get_u8(&rb, &kind) == 0 && rbuf_get_u16(&rb, &len) == 0 &&
	    rbuf_get_ptr(&rb, len, &piece) == 0) {
		src = kind & 7;
		now += (kind >> 4) * 100;
		if (kind & 8)
			rc = reasm_fragment(r, &src, 1, piece, len, now, out,
			    &outlen);
		else
			rc = reasm_head(r, &src, 1, piece, len, now, out,
			    &outlen);
		assert(rc >= -1 && rc <= 1);
		if (rc == 1)
			assert(outlen >= ZT_PACKET_HEADER_LEN &&
			    outlen <= ZT_MAX_PACKET_LEN);
		reasm_get_stats(r, &st);
		assert(st.bytes <= REASM_MAX_BYTES && st.sets <= 8);
		if (kind == 0xff)
			reasm_expire(r, now + 1000);
	}
	reasm_free(r);
	return 0;
}
