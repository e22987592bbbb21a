#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "test.h"

static void
test_reads(void)
{
	static const uint8_t d[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	    0x11, 0x12, 0x13, 0x14 };
	struct rbuf r;
	uint8_t u8, b[3];
	uint16_t u16;
	uint32_t u32;
	uint64_t u40, u64;

	rbuf_init(&r, d, sizeof(d));
	CHECK(rbuf_get_u8(&r, &u8) == 0 && u8 == 0x01);
	CHECK(rbuf_get_u16(&r, &u16) == 0 && u16 == 0x0203);
	CHECK(rbuf_get_u32(&r, &u32) == 0 && u32 == 0x04050607);
	CHECK(rbuf_get_u40(&r, &u40) == 0 && u40 == 0x08090a0b0cULL);
	CHECK(rbuf_get_u64(&r, &u64) == 0 && u64 == 0x0d0e0f1011121314ULL);
	CHECK(rbuf_done(&r));
	/* a short read fails, leaves the out-param alone and sticks */
	u8 = 0xaa;
	CHECK(rbuf_get_u8(&r, &u8) == -1 && u8 == 0xaa);
	CHECK(rbuf_failed(&r) && !rbuf_done(&r));
	CHECK(rbuf_remaining(&r) == 0);

	rbuf_init(&r, d, 3);
	u32 = 7;
	CHECK(rbuf_get_u32(&r, &u32) == -1 && u32 == 7);
	/* sticky: even a 1-byte read that would fit now fails */
	CHECK(rbuf_get_u8(&r, &u8) == -1);
	CHECK(rbuf_get_bytes(&r, b, 1) == -1);

	/* each width fails cleanly at every short length */
	for (size_t n = 0; n < 8; n++) {
		rbuf_init(&r, d, n);
		CHECK((rbuf_get_u64(&r, &u64) == -1) == (n < 8));
		rbuf_init(&r, d, n);
		CHECK((rbuf_get_u40(&r, &u40) == -1) == (n < 5));
		rbuf_init(&r, d, n);
		CHECK((rbuf_get_u16(&r, &u16) == -1) == (n < 2));
	}
	rbuf_init(&r, NULL, 10);
	CHECK(rbuf_remaining(&r) == 0 && rbuf_get_u8(&r, &u8) == -1);
}

static void
test_sub(void)
{
	/* length 3 with 4 bytes behind it, then a claim of 0xffff */
	static const uint8_t d[] = { 0x00, 0x03, 'a', 'b', 'c', 0xff, 0xff,
	    'x' };
	const uint8_t *p;
	struct rbuf r, s;
	uint8_t c;

	rbuf_init(&r, d, sizeof(d));
	CHECK(rbuf_get_sub16(&r, 100, &s) == 0);
	CHECK(rbuf_remaining(&s) == 3);
	CHECK(rbuf_get_ptr(&s, 3, &p) == 0 && memcmp(p, "abc", 3) == 0);
	CHECK(rbuf_done(&s));
	CHECK(rbuf_get_u8(&s, &c) == -1);
	/* failure of the sub-reader does not fail the parent */
	CHECK(!rbuf_failed(&r));
	CHECK(rbuf_get_sub16(&r, 100000, &s) == -1);	/* claim > remaining */
	CHECK(rbuf_failed(&r));

	/* a claim larger than the maximum fails even when the bytes exist */
	rbuf_init(&r, d, sizeof(d));
	CHECK(rbuf_get_sub16(&r, 2, &s) == -1);
	/* 64-bit claims never wrap */
	rbuf_init(&r, d, sizeof(d));
	CHECK(rbuf_get_sub(&r, UINT64_MAX, UINT64_MAX, &s) == -1);
	rbuf_init(&r, d, sizeof(d));
	CHECK(rbuf_skip(&r, SIZE_MAX) == -1);
	rbuf_init(&r, d, sizeof(d));
	CHECK(rbuf_skip(&r, 7) == 0 && rbuf_peek_u8(&r, &c) == 0 &&
	    c == 'x' && rbuf_remaining(&r) == 1);
	rbuf_fail(&r);
	CHECK(rbuf_peek_u8(&r, &c) == -1);
}

static void
test_writes(void)
{
	static const uint8_t want[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	    0x11, 0x12, 0x13, 0x14 };
	uint8_t a[20], small[3], *p;
	struct wbuf w;
	size_t n;

	wbuf_init(&w, a, sizeof(a));
	CHECK(wbuf_put_u8(&w, 0x01) == 0);
	CHECK(wbuf_put_u16(&w, 0x0203) == 0);
	CHECK(wbuf_put_u32(&w, 0x04050607) == 0);
	CHECK(wbuf_put_u40(&w, 0x08090a0b0cULL) == 0);
	CHECK(wbuf_put_u64(&w, 0x0d0e0f1011121314ULL) == 0);
	CHECK(wbuf_len(&w) == 20 && !wbuf_failed(&w));
	CHECK_MEM(a, want, sizeof(want), "big-endian writes");
	CHECK(wbuf_put_u8(&w, 0) == -1 && wbuf_failed(&w));
	CHECK(wbuf_len(&w) == 20);

	wbuf_init(&w, small, sizeof(small));
	CHECK(wbuf_put_u32(&w, 1) == -1);
	CHECK(wbuf_len(&w) == 0);
	CHECK(wbuf_put_u8(&w, 1) == -1);	/* sticky */
	wbuf_reset(&w);
	CHECK(wbuf_put_u16(&w, 0xbeef) == 0);
	CHECK(wbuf_patch_u16(&w, 0, 0x1234) == 0 && small[0] == 0x12);
	CHECK(wbuf_patch_u16(&w, 1, 0) == -1);
	wbuf_reset(&w);
	CHECK(wbuf_put_u40(&w, 1ULL << 40) == -1);	/* does not fit */

	/* dynamic writer grows to its maximum and no further */
	wbuf_init_dynamic(&w, 1000);
	for (int i = 0; i < 250; i++)
		CHECK(wbuf_put_u32(&w, (uint32_t)i) == 0);
	CHECK(wbuf_len(&w) == 1000);
	CHECK(wbuf_put_u8(&w, 0) == -1);
	CHECK(be32_get(wbuf_data(&w) + 996) == 249);
	wbuf_reset(&w);
	CHECK(wbuf_put_zero(&w, 10) == 0);
	CHECK(wbuf_reserve(&w, 4, &p) == 0 && p == w.p + 10);
	CHECK(wbuf_put_bytes(&w, "xyz", 3) == 0);
	CHECK(wbuf_patch_u32(&w, 10, 0xa1b2c3d4) == 0);
	p = wbuf_steal(&w, &n);
	CHECK(p != NULL && n == 17 && p[10] == 0xa1 && p[16] == 'z');
	free(p);
	wbuf_free(&w);
	wbuf_init_dynamic(&w, 4);
	CHECK(wbuf_put_u64(&w, 0) == -1);
	wbuf_free(&w);
}

int
main(void)
{
	test_reads();
	test_sub();
	test_writes();
	return test_main_end();
}
