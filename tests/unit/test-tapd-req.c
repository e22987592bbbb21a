/*
 * The TAP_* message bodies between zt-vl2d and zt-tapd: each decodes what
 * its encoder wrote, refuses every truncation and every trailing byte,
 * and refuses values outside the protocol (ipc_catalogue.h).
 */
#include <string.h>

#include "ipc.h"
#include "policy.h"
#include "test.h"

#define NWID	0x8056c2e21c000001ULL
#define NODE	0x89e92ceee5ULL

typedef int	 getter(struct rbuf *, void *);

static int
get_open(struct rbuf *rb, void *out)
{
	return tapd_open_req_get(rb, out);
}

static int
get_reply(struct rbuf *rb, void *out)
{
	return tapd_open_reply_get(rb, out);
}

static int
get_ref(struct rbuf *rb, void *out)
{
	return tapd_dev_ref_get(rb, out);
}

static int
get_addrs(struct rbuf *rb, void *out)
{
	return tapd_addrs_req_get(rb, out);
}

static int
get_routes(struct rbuf *rb, void *out)
{
	return tapd_routes_req_get(rb, out);
}

static int
get_link(struct rbuf *rb, void *out)
{
	return tapd_link_req_get(rb, out);
}

static int
get_mcast(struct rbuf *rb, void *out)
{
	return tapd_mcast_report_get(rb, out);
}

/* decodes; then every prefix and one trailing byte must be refused */
static void
check_framing(const char *what, const uint8_t *body, size_t len,
    size_t cap, getter *get, void *out)
{
	uint8_t more[16384 + 1];
	struct rbuf rb;
	size_t n;

	REQUIRE(len < sizeof(more));
	CHECKF(len <= cap, "%s: %zu bytes over the catalogue cap", what, len);
	rbuf_init(&rb, body, len);
	CHECKF(get(&rb, out) == 0, "%s decodes", what);
	for (n = 0; n < len; n++) {
		rbuf_init(&rb, body, n);
		CHECKF(get(&rb, out) == -1, "%s cut to %zu", what, n);
	}
	memcpy(more, body, len);
	more[len] = 0;
	rbuf_init(&rb, more, len + 1);
	CHECKF(get(&rb, out) == -1, "%s with a trailing byte", what);
	rbuf_init(&rb, body, len);
	CHECKF(get(&rb, out) == 0, "%s decodes again", what);
}

static int
decode(const struct wbuf *w, getter *get, void *out)
{
	struct rbuf rb;

	rbuf_init(&rb, wbuf_data(w), wbuf_len(w));
	return get(&rb, out);
}

static void
test_open(void)
{
	struct tapd_open_req r = { NWID, 0, 2800, 0 }, x;
	struct tapd_open_reply rep, y;
	uint8_t buf[128];
	struct rbuf rb;
	struct wbuf w;

	r.mac = mac_from_address(NODE, NWID);
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_open_req_put(&w, &r) == 0);
	CHECK(wbuf_len(&w) == 16);
	check_framing("open", wbuf_data(&w), wbuf_len(&w), 64, get_open, &x);
	CHECK(x.nwid == NWID && x.mac == r.mac && x.mtu == 2800);
	CHECK(x.flags == 0);

	/* the optional flags byte: present only when not 0, known bits */
	x = r;
	x.flags = TAPD_OPEN_VNET_HDR;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_open_req_put(&w, &x) == 0);
	CHECK(wbuf_len(&w) == 17);
	memset(&x, 0, sizeof(x));
	CHECK(decode(&w, get_open, &x) == 0 && x.flags == TAPD_OPEN_VNET_HDR &&
	    x.mtu == 2800);
	buf[16] = 0x02;
	CHECK(decode(&w, get_open, &x) == -1);
	buf[16] = 0x00;
	CHECK(decode(&w, get_open, &x) == -1);
	buf[16] = TAPD_OPEN_VNET_HDR;
	buf[17] = TAPD_OPEN_VNET_HDR;
	rbuf_init(&rb, buf, 18);
	CHECK(tapd_open_req_get(&rb, &x) == -1);

	/* MTU bounds of a ZeroTier network */
	x = r;
	x.mtu = TAPD_MTU_MIN;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_req_put(&w, &x);
	CHECK(decode(&w, get_open, &x) == 0);
	x.mtu = TAPD_MTU_MIN - 1;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_req_put(&w, &x);
	CHECK(decode(&w, get_open, &x) == -1);
	x = r;
	x.mtu = TAPD_MTU_MAX + 1;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_req_put(&w, &x);
	CHECK(decode(&w, get_open, &x) == -1);
	/* only a member MAC of this network, never multicast or another's */
	x = r;
	x.mac = mac_from_address(NODE, 0x1c33c1ced015c144ULL);
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_req_put(&w, &x);
	CHECK(decode(&w, get_open, &x) == -1);
	x = r;
	x.mac |= 0x010000000000ULL;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_req_put(&w, &x);
	CHECK(decode(&w, get_open, &x) == -1);
	x = r;
	x.nwid = 0;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_req_put(&w, &x);
	CHECK(decode(&w, get_open, &x) == -1);

	memset(&rep, 0, sizeof(rep));
	rep.nwid = NWID;
	strcpy(rep.ifname, "ztjdkbtxam");
	rep.ifindex = 7;
	rep.offloads = 0x7f;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_open_reply_put(&w, &rep) == 0);
	check_framing("open reply", wbuf_data(&w), wbuf_len(&w), 64,
	    get_reply, &y);
	CHECK(y.nwid == NWID && strcmp(y.ifname, rep.ifname) == 0 &&
	    y.ifindex == 7 && y.offloads == 0x7f);
	rep.ifindex = 0;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_reply_put(&w, &rep);
	CHECK(decode(&w, get_reply, &y) == -1);
}

static void
test_ref(void)
{
	struct tapd_dev_ref d = { NWID, "zt0" }, x;
	uint8_t buf[128];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_dev_ref_put(&w, &d) == 0);
	check_framing("close", wbuf_data(&w), wbuf_len(&w), 64, get_ref, &x);
	CHECK(x.nwid == NWID && strcmp(x.ifname, "zt0") == 0);
	/* names that are no interface name are malformed, not foreign */
	strcpy(d.ifname, "../etc");
	wbuf_init(&w, buf, sizeof(buf));
	tapd_dev_ref_put(&w, &d);
	CHECK(decode(&w, get_ref, &x) == -1);
	d.ifname[0] = '\0';
	wbuf_init(&w, buf, sizeof(buf));
	tapd_dev_ref_put(&w, &d);
	CHECK(decode(&w, get_ref, &x) == -1);
	/* a 16-character string does not fit IFNAMSIZ */
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u64(&w, NWID);
	ipc_put_str(&w, "sixteen-chars-16");
	CHECK(decode(&w, get_ref, &x) == -1);
	d.nwid = 0;
	strcpy(d.ifname, "zt0");
	wbuf_init(&w, buf, sizeof(buf));
	tapd_dev_ref_put(&w, &d);
	CHECK(decode(&w, get_ref, &x) == -1);
}

static void
test_addrs(void)
{
	static struct tapd_addrs_req r, x;
	uint8_t buf[8192];
	struct wbuf w;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	r.dev.nwid = NWID;
	strcpy(r.dev.ifname, "ztjdkbtxam");
	REQUIRE(inetaddr_parse_cidr(&r.addrs[0], "10.147.17.5/24") == 0);
	REQUIRE(inetaddr_parse_cidr(&r.addrs[1],
	    "fd80:56c2:e21c:0:199:9389:e92c:eee5/88") == 0);
	r.n = 2;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_addrs_req_put(&w, &r) == 0);
	check_framing("addrs", wbuf_data(&w), wbuf_len(&w), 8192, get_addrs,
	    &x);
	CHECK(x.n == 2 && inetaddr_equal(&x.addrs[0], &r.addrs[0]) &&
	    inetaddr_equal(&x.addrs[1], &r.addrs[1]));
	/* the largest set fits the catalogue's cap */
	for (i = 0; i < TAPD_ADDRS_MAX; i++)
		r.addrs[i] = r.addrs[1];
	r.n = TAPD_ADDRS_MAX;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_addrs_req_put(&w, &r) == 0);
	CHECK(wbuf_len(&w) <= 8192 && decode(&w, get_addrs, &x) == 0);
	r.n = TAPD_ADDRS_MAX + 1;
	r.addrs[TAPD_ADDRS_MAX - 1] = r.addrs[0];
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u64(&w, NWID);
	ipc_put_str(&w, "zt0");
	wbuf_put_u16(&w, TAPD_ADDRS_MAX + 1);
	for (i = 0; i <= TAPD_ADDRS_MAX; i++)
		inetaddr_serialize(&r.addrs[0], &w);
	CHECK(decode(&w, get_addrs, &x) == -1);
	/* a nil address or a prefix longer than the family's is malformed */
	r.n = 1;
	inetaddr_clear(&r.addrs[0]);
	wbuf_init(&w, buf, sizeof(buf));
	tapd_addrs_req_put(&w, &r);
	CHECK(decode(&w, get_addrs, &x) == -1);
	REQUIRE(inetaddr_parse_cidr(&r.addrs[0], "10.0.0.1/24") == 0);
	r.addrs[0].port = 33;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_addrs_req_put(&w, &r);
	CHECK(decode(&w, get_addrs, &x) == -1);
	REQUIRE(inetaddr_parse_cidr(&r.addrs[0], "fd00::1/64") == 0);
	r.addrs[0].port = 129;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_addrs_req_put(&w, &r);
	CHECK(decode(&w, get_addrs, &x) == -1);
	/* an empty set is valid: it removes every managed address */
	r.n = 0;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_addrs_req_put(&w, &r);
	CHECK(decode(&w, get_addrs, &x) == 0 && x.n == 0);
}

static void
test_routes(void)
{
	static struct tapd_routes_req r, x;
	uint8_t buf[16384];
	struct wbuf w;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	r.dev.nwid = NWID;
	strcpy(r.dev.ifname, "zt0");
	REQUIRE(inetaddr_parse_cidr(&r.routes[0].target,
	    "10.147.0.0/16") == 0);
	REQUIRE(inetaddr_parse_cidr(&r.routes[1].target, "0.0.0.0/0") == 0);
	REQUIRE(inetaddr_parse(&r.routes[1].via, "10.147.17.1") == 0);
	REQUIRE(inetaddr_parse_cidr(&r.routes[2].target, "fd00::/8") == 0);
	r.n = 3;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_routes_req_put(&w, &r) == 0);
	check_framing("routes", wbuf_data(&w), wbuf_len(&w), 16384,
	    get_routes, &x);
	CHECK(x.n == 3 && inetaddr_equal(&x.routes[1].target,
	    &r.routes[1].target) && inetaddr_equal(&x.routes[1].via,
	    &r.routes[1].via) && inetaddr_is_nil(&x.routes[0].via));
	for (i = 0; i < TAPD_ROUTES_MAX; i++)
		r.routes[i] = r.routes[2];
	r.n = TAPD_ROUTES_MAX;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_routes_req_put(&w, &r) == 0);
	CHECK(wbuf_len(&w) <= 16384 && decode(&w, get_routes, &x) == 0);
	/* over the count */
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u64(&w, NWID);
	ipc_put_str(&w, "zt0");
	wbuf_put_u16(&w, TAPD_ROUTES_MAX + 1);
	CHECK(decode(&w, get_routes, &x) == -1);
	/* a gateway of the other family */
	r.n = 1;
	REQUIRE(inetaddr_parse_cidr(&r.routes[0].target, "10.0.0.0/8") == 0);
	REQUIRE(inetaddr_parse(&r.routes[0].via, "fd00::1") == 0);
	wbuf_init(&w, buf, sizeof(buf));
	tapd_routes_req_put(&w, &r);
	CHECK(decode(&w, get_routes, &x) == -1);
	/* a nil target */
	inetaddr_clear(&r.routes[0].target);
	inetaddr_clear(&r.routes[0].via);
	wbuf_init(&w, buf, sizeof(buf));
	tapd_routes_req_put(&w, &r);
	CHECK(decode(&w, get_routes, &x) == -1);
}

static void
test_link(void)
{
	struct tapd_link_req r, x;
	uint8_t buf[128];
	struct wbuf w;

	memset(&r, 0, sizeof(r));
	r.dev.nwid = NWID;
	strcpy(r.dev.ifname, "zt0");
	r.mtu = 2800;
	r.up = true;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_link_req_put(&w, &r) == 0);
	check_framing("link", wbuf_data(&w), wbuf_len(&w), 64, get_link, &x);
	CHECK(x.mtu == 2800 && x.up);
	/* a boolean is 0 or 1 */
	buf[wbuf_len(&w) - 1] = 2;
	CHECK(decode(&w, get_link, &x) == -1);
	r.mtu = 100;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_link_req_put(&w, &r);
	CHECK(decode(&w, get_link, &x) == -1);
}

static void
test_mcast(void)
{
	static struct tapd_mcast_report r, x;
	uint8_t buf[16384];
	struct inetaddr a;
	struct wbuf w;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	r.dev.nwid = NWID;
	strcpy(r.dev.ifname, "zt0");
	REQUIRE(inetaddr_parse(&a, "10.147.17.5") == 0);
	REQUIRE(mac_group_for_ip(&a, &r.groups[0]) == 0);
	r.groups[1].mac = 0x333300000001ULL;
	r.n = 2;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_mcast_report_put(&w, &r) == 0);
	check_framing("mcast report", wbuf_data(&w), wbuf_len(&w), 16384,
	    get_mcast, &x);
	CHECK(x.n == 2 && x.groups[0].mac == MAC_BROADCAST &&
	    x.groups[0].adi == 0x0a931105 && x.groups[1].mac ==
	    0x333300000001ULL);
	for (i = 0; i < TAPD_MCAST_MAX; i++)
		r.groups[i] = r.groups[1];
	r.n = TAPD_MCAST_MAX;
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(tapd_mcast_report_put(&w, &r) == 0);
	CHECK(wbuf_len(&w) <= 16384 && decode(&w, get_mcast, &x) == 0);
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u64(&w, NWID);
	ipc_put_str(&w, "zt0");
	wbuf_put_u16(&w, TAPD_MCAST_MAX + 1);
	CHECK(decode(&w, get_mcast, &x) == -1);
}

int
main(void)
{
	test_open();
	test_ref();
	test_addrs();
	test_routes();
	test_link();
	test_mcast();
	return test_main_end();
}
