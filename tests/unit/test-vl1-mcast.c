/*
 * The root's multicast subscription table (vl1d/mcast.c): LIKE, refresh,
 * GATHER answers that skip the requester and never repeat, the caps, and
 * expiry after 600 s.
 */
#include <stdlib.h>
#include <string.h>

#include "mcast.h"
#include "test.h"

#define NWID	0x8056c2e21c000001ULL
#define BCAST	0xffffffffffffULL

/* parses a gather result; returns the count, fills addrs and *total */
static unsigned int
parse_gather(const uint8_t *b, size_t len, uint32_t *total,
    uint64_t *addrs, size_t max)
{
	struct rbuf r;
	uint16_t cnt, i;

	rbuf_init(&r, b, len);
	REQUIRE(rbuf_get_u32(&r, total) == 0);
	REQUIRE(rbuf_get_u16(&r, &cnt) == 0);
	REQUIRE(cnt <= max);
	for (i = 0; i < cnt; i++)
		REQUIRE(rbuf_get_u40(&r, &addrs[i]) == 0);
	CHECK(rbuf_done(&r));
	return cnt;
}

static void
test_like_gather(void)
{
	struct vl1_mcast t;
	uint8_t buf[1400];
	uint64_t a[300];
	uint32_t total;
	struct wbuf w;
	unsigned int n, i, k, rnd;
	int64_t now = 1000;

	REQUIRE(vl1_mcast_init(&t, 16, 1000, 0x1234) == 0);
	/* nobody known: an empty result */
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(vl1_mcast_gather(&t, NWID, BCAST, 0, 1, 10, 0, &w) == 0);
	for (i = 1; i <= 5; i++)
		CHECK(vl1_mcast_like(&t, NWID, BCAST, 0, i, now) == 0);
	/* a refresh adds nobody */
	CHECK(vl1_mcast_like(&t, NWID, BCAST, 0, 3, now + 1) == 0);
	CHECK(t.nmembers == 5 && t.ngroups == 1);
	/* another ADI is another group */
	CHECK(vl1_mcast_like(&t, NWID, BCAST, 0x0a000001, 9, now) == 0);
	CHECK(t.ngroups == 2);

	for (rnd = 0; rnd < 7; rnd++) {
		wbuf_init(&w, buf, sizeof(buf));
		n = vl1_mcast_gather(&t, NWID, BCAST, 0, 2, 100, rnd, &w);
		CHECK(n == 4);
		CHECK(parse_gather(buf, wbuf_len(&w), &total, a, 300) == n);
		/* the requester counts in the total but is never listed */
		CHECK(total == 5);
		for (i = 0; i < n; i++) {
			CHECK(a[i] != 2 && a[i] >= 1 && a[i] <= 5);
			for (k = 0; k < i; k++)
				CHECK(a[i] != a[k]);
		}
	}
	/* the limit holds */
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(vl1_mcast_gather(&t, NWID, BCAST, 0, 2, 2, 1, &w) == 2);
	/* a short buffer holds what fits, no more */
	wbuf_init(&w, buf, 6 + 5 * 2 + 3);
	CHECK(vl1_mcast_gather(&t, NWID, BCAST, 0, 99, 100, 0, &w) == 2);
	CHECK(!wbuf_failed(&w));
	/* unknown group, other network */
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(vl1_mcast_gather(&t, NWID + 1, BCAST, 0, 2, 10, 0, &w) == 0);

	/* expiry: member 3 was refreshed later, the rest go first */
	vl1_mcast_expire(&t, now + VL1_MC_EXPIRE);
	CHECK(t.nmembers == 1 && t.ngroups == 1);
	vl1_mcast_expire(&t, now + 1 + VL1_MC_EXPIRE);
	CHECK(t.nmembers == 0 && t.ngroups == 0);
	vl1_mcast_free(&t);
}

static void
test_bounds(void)
{
	struct vl1_mcast t;
	uint8_t buf[64];
	struct wbuf w;
	uint64_t i;
	uint32_t total;
	uint64_t a[16];

	/* the table refuses beyond its caps, whatever the flood */
	REQUIRE(vl1_mcast_init(&t, 4, 10, 0) == 0);
	for (i = 0; i < 100; i++)
		vl1_mcast_like(&t, NWID, i, 0, 0x1000 + i, 5);
	CHECK(t.ngroups == 4);
	CHECK(t.nmembers == 4);
	CHECK(t.refused == 96);
	for (i = 0; i < 100; i++)
		vl1_mcast_like(&t, NWID, 0, 0, 0x2000 + i, 5);
	CHECK(t.nmembers == 10);
	vl1_mcast_free(&t);

	/* a full group replaces its stalest member */
	REQUIRE(vl1_mcast_init(&t, 4, 100000, ~0ULL) == 0);
	for (i = 0; i < VL1_MC_GROUP_MAX; i++)
		CHECK(vl1_mcast_like(&t, NWID, BCAST, 0, 0x100 + i,
		    (int64_t)i) == 0);
	CHECK(vl1_mcast_like(&t, NWID, BCAST, 0, 0xabcdef, 1000000) == 0);
	CHECK(t.nmembers == VL1_MC_GROUP_MAX);
	vl1_mcast_expire(&t, VL1_MC_EXPIRE + VL1_MC_GROUP_MAX);
	CHECK(t.nmembers == 1);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(vl1_mcast_gather(&t, NWID, BCAST, 0, 1, 0xffffffff, 0, &w) == 1);
	CHECK(parse_gather(buf, wbuf_len(&w), &total, a, 16) == 1);
	CHECK(a[0] == 0xabcdef && total == 1);
	/* only the requester subscribed: nothing to answer */
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(vl1_mcast_gather(&t, NWID, BCAST, 0, 0xabcdef, 5, 0, &w) == 0);
	vl1_mcast_free(&t);
}

int
main(void)
{
	test_like_gather();
	test_bounds();
	return test_main_end();
}
