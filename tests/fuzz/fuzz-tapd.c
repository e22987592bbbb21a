/*
 * zt-tapd's request bodies from zt-vl2d (and the reply and report it
 * sends), on arbitrary bytes.  Input: u8 selector, then the body.
 * Whatever decodes re-encodes to bytes that decode to the same thing,
 * and every decoded address or route target goes through the scope
 * rules under the default and the most open settings.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

union fuzz_req {
	struct tapd_open_req	 open;
	struct tapd_open_reply	 reply;
	struct tapd_dev_ref	 ref;
	struct tapd_addrs_req	 addrs;
	struct tapd_routes_req	 routes;
	struct tapd_link_req	 link;
	struct tapd_mcast_report mcast;
};

static int
fuzz_get(unsigned int sel, struct rbuf *rb, union fuzz_req *u)
{
	switch (sel) {
	case 0:
		return tapd_open_req_get(rb, &u->open);
	case 1:
		return tapd_open_reply_get(rb, &u->reply);
	case 2:
		return tapd_dev_ref_get(rb, &u->ref);
	case 3:
		return tapd_addrs_req_get(rb, &u->addrs);
	case 4:
		return tapd_routes_req_get(rb, &u->routes);
	case 5:
		return tapd_link_req_get(rb, &u->link);
	default:
		return tapd_mcast_report_get(rb, &u->mcast);
	}
}

static int
fuzz_put(unsigned int sel, struct wbuf *wb, const union fuzz_req *u)
{
	switch (sel) {
	case 0:
		return tapd_open_req_put(wb, &u->open);
	case 1:
		return tapd_open_reply_put(wb, &u->reply);
	case 2:
		return tapd_dev_ref_put(wb, &u->ref);
	case 3:
		return tapd_addrs_req_put(wb, &u->addrs);
	case 4:
		return tapd_routes_req_put(wb, &u->routes);
	case 5:
		return tapd_link_req_put(wb, &u->link);
	default:
		return tapd_mcast_report_put(wb, &u->mcast);
	}
}

static void
fuzz_scope(const struct inetaddr *a)
{
	struct tapd_settings s;

	tapd_settings_init(&s);
	(void)tapd_scope_check(&s, a);
	s.allow_global = s.allow_default = true;
	assert(tapd_scope_check(&s, a) != TAPD_NO_GLOBAL);
	assert(tapd_scope_check(&s, a) != TAPD_NO_DEFAULT);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union fuzz_req u, v;
	static uint8_t out[32768], again[32768];
	struct wbuf w1, w2;
	struct rbuf rb;
	unsigned int sel, i;

	if (size < 1)
		return 0;
	sel = data[0] % 7;
	rbuf_init(&rb, data + 1, size - 1);
	if (fuzz_get(sel, &rb, &u) == -1)
		return 0;
	if (sel == 3)
		for (i = 0; i < u.addrs.n; i++)
			fuzz_scope(&u.addrs.addrs[i]);
	if (sel == 4)
		for (i = 0; i < u.routes.n; i++)
			fuzz_scope(&u.routes.routes[i].target);
	wbuf_init(&w1, out, sizeof(out));
	assert(fuzz_put(sel, &w1, &u) == 0);
	rbuf_init(&rb, wbuf_data(&w1), wbuf_len(&w1));
	assert(fuzz_get(sel, &rb, &v) == 0);
	wbuf_init(&w2, again, sizeof(again));
	assert(fuzz_put(sel, &w2, &v) == 0);
	assert(wbuf_len(&w1) == wbuf_len(&w2));
	assert(memcmp(out, again, wbuf_len(&w1)) == 0);
	return 0;
}
