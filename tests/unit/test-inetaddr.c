#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "inetaddr.h"
#include "test.h"

/* decodes hex wire bytes; returns the rbuf result and bytes consumed */
static int
decode_hex(const char *hex, struct inetaddr *a, size_t *used)
{
	struct rbuf r;
	uint8_t *p;
	size_t n;
	int rc;

	p = test_hex(hex, &n);
	rbuf_init(&r, p, n);
	rc = inetaddr_deserialize(a, &r);
	*used = n - rbuf_remaining(&r);
	if (rbuf_failed(&r))
		rc = -1;
	free(p);
	return rc;
}

static void
test_codec(void)
{
	static const struct {
		const char *text, *wire;
	} ok[] = {
		{ "10.200.0.1/9993", "040ac800012709" },
		{ "127.0.0.1/19993", "047f0000014e19" },
		{ "0.0.0.0/0", "04000000000000" },
		{ "fd00:200::1/9993", "06fd000200000000000000000000000001"
		    "2709" },
		{ "2a02:6ea0:d405::9993/9993", "062a026ea0d40500000000000000"
		    "0099932709" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/65535",
		    "06ffffffffffffffffffffffffffffffffffff" },
	};
	uint8_t buf[INETADDR_WIRE_MAX];
	char s[INETADDR_STRLEN], h[2 * INETADDR_WIRE_MAX + 1];
	struct inetaddr a, b;
	struct wbuf w;
	size_t used;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		REQUIRE(inetaddr_parse(&a, ok[i].text) == 0);
		CHECKF(strcmp(inetaddr_fmt(&a, s), ok[i].text) == 0, "%s", s);
		wbuf_init(&w, buf, sizeof(buf));
		CHECK(inetaddr_serialize(&a, &w) == 0);
		CHECK(wbuf_len(&w) == inetaddr_wire_len(&a));
		for (size_t j = 0; j < wbuf_len(&w); j++)
			snprintf(h + 2 * j, 3, "%02x", buf[j]);
		CHECKF(strcmp(h, ok[i].wire) == 0, "%s: %s", ok[i].text, h);
		CHECK(decode_hex(ok[i].wire, &b, &used) == 0);
		CHECK(used == strlen(ok[i].wire) / 2);
		CHECK(inetaddr_equal(&a, &b));
		CHECK(inetaddr_cmp(&a, &b) == 0);
	}

	/* none */
	inetaddr_clear(&a);
	CHECK(inetaddr_is_nil(&a));
	CHECK(inetaddr_wire_len(&a) == 1);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(inetaddr_serialize(&a, &w) == 0 && wbuf_len(&w) == 1 &&
	    buf[0] == 0);
	CHECK(strcmp(inetaddr_fmt(&a, s), "") == 0);
	CHECK(decode_hex("00", &b, &used) == 0 && used == 1 &&
	    inetaddr_is_nil(&b));
	/* the type byte alone decides the length: trailing bytes stay */
	CHECK(decode_hex("00ff", &b, &used) == 0 && used == 1);

	/* reserved types are skipped and give a nil address */
	CHECK(decode_hex("01aabbccddeeff", &b, &used) == 0 && used == 7 &&
	    inetaddr_is_nil(&b));
	CHECK(decode_hex("02aabbccddeeff99", &b, &used) == 0 && used == 7 &&
	    inetaddr_is_nil(&b));
	CHECK(decode_hex("030002aabb", &b, &used) == 0 && used == 5 &&
	    inetaddr_is_nil(&b));
	CHECK(decode_hex("030000", &b, &used) == 0 && used == 3);

	/* malformed */
	CHECK(decode_hex("", &b, &used) == -1);
	CHECK(decode_hex("01aabbccddee", &b, &used) == -1);
	CHECK(decode_hex("0300", &b, &used) == -1);
	CHECK(decode_hex("030003aabb", &b, &used) == -1);
	CHECK(decode_hex("040ac8000127", &b, &used) == -1 &&
	    inetaddr_is_nil(&b));
	CHECK(decode_hex("06fd00020000000000000000000000000127", &b,
	    &used) == -1);
	for (int t = 7; t < 256; t++) {
		char hx[3];

		snprintf(hx, sizeof(hx), "%02x", t);
		CHECKF(decode_hex(hx, &b, &used) == -1, "type %d", t);
	}
	CHECK(decode_hex("05", &b, &used) == -1);

	/* a full writer fails */
	REQUIRE(inetaddr_parse(&a, "10.0.0.1/1") == 0);
	wbuf_init(&w, buf, 6);
	CHECK(inetaddr_serialize(&a, &w) == -1);
}

static void
test_text(void)
{
	static const char *bad[] = {
		"", "1.2.3", "1.2.3.4/", "1.2.3.4/65536", "1.2.3.4/123456",
		"1.2.3.4/9x", "1.2.3.4/-1", "1.2.3.4/+5", "fe80::1%eth0/1",
		"hello", "1.2.3.4/1/2", " 1.2.3.4", "1.2.3.4 ", "1.2.3.256/1",
		"01.2.3.4x", "::ffff::1/1", "1:2:3:4:5:6:7:8:9/1", "/9993",
		"0x1.2.3.4/1",
		"1111:2222:3333:4444:5555:6666:7777:8888/99999999999999999",
	};
	char s[INETADDR_STRLEN], longs[300];
	struct inetaddr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.family = INETADDR_V4;
		CHECKF(inetaddr_parse(&a, bad[i]) == -1, "\"%s\"", bad[i]);
		CHECK(inetaddr_is_nil(&a));
	}
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	CHECK(inetaddr_parse(&a, longs) == -1);

	CHECK(inetaddr_parse(&a, "1.2.3.4") == 0 && a.port == 0 &&
	    a.family == INETADDR_V4);
	CHECK(strcmp(inetaddr_fmt(&a, s), "1.2.3.4/0") == 0);
	CHECK(strcmp(inetaddr_fmt_ip(&a, s), "1.2.3.4") == 0);
	CHECK(inetaddr_parse(&a, "2001:DB8::1/00080") == 0 && a.port == 80);
	CHECK(strcmp(inetaddr_fmt(&a, s), "2001:db8::1/80") == 0);
	CHECK(inetaddr_parse(&a, "::ffff:10.1.2.3/5") == 0 &&
	    a.family == INETADDR_V6 && a.ip[10] == 0xff && a.ip[12] == 10);

	/* CIDR form: bits required and bounded by the family */
	CHECK(inetaddr_parse_cidr(&a, "10.0.0.0/8") == 0 &&
	    inetaddr_netmask_bits(&a) == 8);
	CHECK(inetaddr_parse_cidr(&a, "10.0.0.0/32") == 0);
	CHECK(inetaddr_parse_cidr(&a, "10.0.0.0/33") == -1);
	CHECK(inetaddr_parse_cidr(&a, "::/128") == 0);
	CHECK(inetaddr_parse_cidr(&a, "::/129") == -1);
	CHECK(inetaddr_parse_cidr(&a, "10.0.0.1") == -1);
	CHECK(inetaddr_parse_cidr(&a, "fd00::/8") == 0 && a.port == 8);
}

static void
test_scope(void)
{
	static const struct {
		const char *ip;
		enum inetaddr_scope s;
	} t[] = {
		{ "0.0.0.0", INETADDR_SCOPE_NONE },
		{ "0.1.2.3", INETADDR_SCOPE_NONE },
		{ "255.255.255.255", INETADDR_SCOPE_NONE },
		{ "255.0.0.1", INETADDR_SCOPE_NONE },
		{ "10.1.2.3", INETADDR_SCOPE_PRIVATE },
		{ "100.64.0.1", INETADDR_SCOPE_PRIVATE },
		{ "100.127.255.255", INETADDR_SCOPE_PRIVATE },
		{ "100.128.0.1", INETADDR_SCOPE_GLOBAL },
		{ "100.63.255.255", INETADDR_SCOPE_GLOBAL },
		{ "172.16.0.1", INETADDR_SCOPE_PRIVATE },
		{ "172.31.255.255", INETADDR_SCOPE_PRIVATE },
		{ "172.32.0.1", INETADDR_SCOPE_GLOBAL },
		{ "192.168.1.1", INETADDR_SCOPE_PRIVATE },
		{ "192.169.1.1", INETADDR_SCOPE_GLOBAL },
		{ "192.0.2.7", INETADDR_SCOPE_PRIVATE },
		{ "192.0.3.7", INETADDR_SCOPE_GLOBAL },
		{ "198.18.0.1", INETADDR_SCOPE_PRIVATE },
		{ "198.19.255.1", INETADDR_SCOPE_PRIVATE },
		{ "198.20.0.1", INETADDR_SCOPE_GLOBAL },
		{ "198.51.100.9", INETADDR_SCOPE_PRIVATE },
		{ "203.0.113.9", INETADDR_SCOPE_PRIVATE },
		{ "203.0.114.9", INETADDR_SCOPE_GLOBAL },
		{ "127.0.0.1", INETADDR_SCOPE_LOOPBACK },
		{ "127.255.0.9", INETADDR_SCOPE_LOOPBACK },
		{ "169.254.1.1", INETADDR_SCOPE_LINK_LOCAL },
		{ "169.253.1.1", INETADDR_SCOPE_GLOBAL },
		{ "224.0.0.1", INETADDR_SCOPE_MULTICAST },
		{ "239.255.255.250", INETADDR_SCOPE_MULTICAST },
		{ "240.0.0.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "254.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "6.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "11.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "21.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "22.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "25.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "26.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "28.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "29.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "30.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "51.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "55.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "56.1.1.1", INETADDR_SCOPE_PSEUDOPRIVATE },
		{ "44.1.1.1", INETADDR_SCOPE_GLOBAL },
		{ "27.1.1.1", INETADDR_SCOPE_GLOBAL },
		{ "8.8.8.8", INETADDR_SCOPE_GLOBAL },
		{ "104.194.8.134", INETADDR_SCOPE_GLOBAL },
		{ "::", INETADDR_SCOPE_NONE },
		{ "::1", INETADDR_SCOPE_LOOPBACK },
		{ "::2", INETADDR_SCOPE_GLOBAL },
		{ "::ffff:127.0.0.1", INETADDR_SCOPE_LOOPBACK },
		{ "::ffff:10.0.0.1", INETADDR_SCOPE_GLOBAL },
		{ "fe80::1", INETADDR_SCOPE_LOOPBACK },
		{ "fe80::2", INETADDR_SCOPE_LINK_LOCAL },
		{ "fe80::1:0:0:1", INETADDR_SCOPE_LINK_LOCAL },
		/* as 1.14.1: ::1 anywhere in fe80::/10 counts as loopback */
		{ "febf::1", INETADDR_SCOPE_LOOPBACK },
		{ "febf::2", INETADDR_SCOPE_LINK_LOCAL },
		{ "fec0::1", INETADDR_SCOPE_GLOBAL },
		{ "fc00::1", INETADDR_SCOPE_PRIVATE },
		{ "fd80:56c2:e21c::9389:e92c:eee5", INETADDR_SCOPE_PRIVATE },
		{ "ff02::1", INETADDR_SCOPE_MULTICAST },
		{ "2001:db8::1", INETADDR_SCOPE_GLOBAL },
		{ "2605:9880:200:1200:30:571:e34:51", INETADDR_SCOPE_GLOBAL },
	};
	struct inetaddr a;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		REQUIRE(inetaddr_parse(&a, t[i].ip) == 0);
		CHECKF(inetaddr_scope(&a) == t[i].s, "%s: %s, want %s",
		    t[i].ip, inetaddr_scope_name(inetaddr_scope(&a)),
		    inetaddr_scope_name(t[i].s));
	}
	inetaddr_clear(&a);
	CHECK(inetaddr_scope(&a) == INETADDR_SCOPE_NONE);
	CHECK(strcmp(inetaddr_scope_name(INETADDR_SCOPE_SHARED),
	    "shared") == 0);

	/* spec/vl1.md §5.3 path validity */
	REQUIRE(inetaddr_parse(&a, "10.0.0.1/9993") == 0);
	CHECK(inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "8.8.8.8/53") == 0);
	CHECK(inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "6.0.0.1/1") == 0);
	CHECK(inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "2001:db8::1/9993") == 0);
	CHECK(inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "2001:470:1::1/9993") == 0);
	CHECK(!inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "127.0.0.1/9993") == 0);
	CHECK(!inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "169.254.9.9/9993") == 0);
	CHECK(!inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "224.0.0.1/9993") == 0);
	CHECK(!inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "fe80::9/9993") == 0);
	CHECK(!inetaddr_valid_for_path(&a));
	REQUIRE(inetaddr_parse(&a, "::ffff:127.0.0.1/9993") == 0);
	CHECK(!inetaddr_valid_for_path(&a));
	inetaddr_clear(&a);
	CHECK(!inetaddr_valid_for_path(&a));
}

static void
test_prefix(void)
{
	struct inetaddr n, a, o;
	char s[INETADDR_STRLEN];

	REQUIRE(inetaddr_parse_cidr(&n, "10.0.0.0/8") == 0);
	REQUIRE(inetaddr_parse(&a, "10.1.2.3/9993") == 0);
	CHECK(inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse(&a, "11.0.0.1") == 0);
	CHECK(!inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse(&a, "::a00:1") == 0);
	CHECK(!inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse_cidr(&n, "10.1.2.4/30") == 0);
	REQUIRE(inetaddr_parse(&a, "10.1.2.7") == 0);
	CHECK(inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse(&a, "10.1.2.8") == 0);
	CHECK(!inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse_cidr(&n, "0.0.0.0/0") == 0);
	CHECK(inetaddr_is_default_route(&n));
	CHECK(inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse_cidr(&n, "::/0") == 0);
	CHECK(inetaddr_is_default_route(&n));
	CHECK(!inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse_cidr(&n, "0.0.0.0/1") == 0);
	CHECK(!inetaddr_is_default_route(&n));
	REQUIRE(inetaddr_parse_cidr(&n, "fd80:56c2:e21c:0:199:9300::/88")
	    == 0);
	REQUIRE(inetaddr_parse(&a, "fd80:56c2:e21c:0:199:9389:e92c:eee5")
	    == 0);
	CHECK(inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse(&a, "fd80:56c2:e21c:0:199:9489:e92c:eee5")
	    == 0);
	CHECK(!inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse_cidr(&n, "2001:db8::1/128") == 0);
	REQUIRE(inetaddr_parse(&a, "2001:db8::1/9") == 0);
	CHECK(inetaddr_contains(&n, &a));
	REQUIRE(inetaddr_parse(&a, "2001:db8::2") == 0);
	CHECK(!inetaddr_contains(&n, &a));

	REQUIRE(inetaddr_parse_cidr(&n, "10.1.2.3/8") == 0);
	inetaddr_network(&n, &o);
	CHECK(strcmp(inetaddr_fmt(&o, s), "10.0.0.0/8") == 0);
	REQUIRE(inetaddr_parse_cidr(&n,
	    "fd80:56c2:e21c:0:199:9389:e92c:eee5/88") == 0);
	inetaddr_network(&n, &o);
	CHECK(strcmp(inetaddr_fmt(&o, s), "fd80:56c2:e21c:0:199:9300::/88")
	    == 0);
	REQUIRE(inetaddr_parse_cidr(&n, "10.1.2.3/20") == 0);
	inetaddr_network(&n, &o);
	CHECK(strcmp(inetaddr_fmt(&o, s), "10.1.0.0/20") == 0);
	/* a port read as bits is capped at the family's width */
	REQUIRE(inetaddr_parse(&n, "10.1.2.3/9993") == 0);
	CHECK(inetaddr_netmask_bits(&n) == 32);
}

static void
test_misc(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct inetaddr a, b;
	socklen_t len;

	REQUIRE(inetaddr_parse(&a, "10.200.0.1/9993") == 0);
	CHECK(inetaddr_to_sockaddr(&a, &ss, &len) == 0);
	CHECK(len == sizeof(struct sockaddr_in) && ss.ss_family == AF_INET);
	CHECK(((struct sockaddr_in *)&ss)->sin_port == htons(9993));
	CHECK(inetaddr_from_sockaddr(&b, (struct sockaddr *)&ss, len) == 0);
	CHECK(inetaddr_equal(&a, &b));
	CHECK(inetaddr_from_sockaddr(&b, (struct sockaddr *)&ss, len - 1)
	    == -1);

	REQUIRE(inetaddr_parse(&a, "fd00:200::1/9993") == 0);
	CHECK(inetaddr_to_sockaddr(&a, &ss, &len) == 0);
	CHECK(len == sizeof(struct sockaddr_in6) &&
	    sin6->sin6_family == AF_INET6 && sin6->sin6_port == htons(9993));
	CHECK(inetaddr_from_sockaddr(&b, (struct sockaddr *)&ss, len) == 0);
	CHECK(inetaddr_equal(&a, &b));
	ss.ss_family = AF_UNIX;
	CHECK(inetaddr_from_sockaddr(&b, (struct sockaddr *)&ss, len) == -1);
	inetaddr_clear(&a);
	CHECK(inetaddr_to_sockaddr(&a, &ss, &len) == -1);

	/* equality and order */
	REQUIRE(inetaddr_parse(&a, "10.0.0.1/1") == 0);
	REQUIRE(inetaddr_parse(&b, "10.0.0.1/2") == 0);
	CHECK(!inetaddr_equal(&a, &b) && inetaddr_ip_equal(&a, &b));
	CHECK(inetaddr_cmp(&a, &b) < 0 && inetaddr_cmp(&b, &a) > 0);
	REQUIRE(inetaddr_parse(&b, "::a00:1/1") == 0);
	CHECK(!inetaddr_ip_equal(&a, &b));
	CHECK(inetaddr_cmp(&a, &b) < 0);
	inetaddr_clear(&b);
	CHECK(inetaddr_cmp(&b, &a) < 0);
	CHECK(!inetaddr_equal(&a, &b));
	inetaddr_clear(&a);
	CHECK(inetaddr_equal(&a, &b) && inetaddr_cmp(&a, &b) == 0);
}

int
main(void)
{
	test_codec();
	test_text();
	test_scope();
	test_prefix();
	test_misc();
	return test_main_end();
}
