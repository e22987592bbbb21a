/* vectors mac_ip.json: every entry of every list is checked */
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "mac.h"
#include "test.h"

static uint64_t
jhex64(json_t *o, const char *key, size_t digits)
{
	const char *s = test_jstr(o, key);
	uint64_t v = 0;

	CHECKF(strlen(s) == digits && hex_parse_u64(s, digits, &v) == 0,
	    "%s=%s", key, s);
	return v;
}

static void
check_derivation(json_t *e)
{
	uint64_t nwid = jhex64(e, "network_id", 16);
	uint64_t addr = jhex64(e, "address", 10);
	uint64_t mac, parsed;
	char s[MAC_STRLEN], ips[INETADDR_STRLEN];
	struct inetaddr a, want;
	uint8_t *b;
	size_t n;

	mac = mac_from_address(addr, nwid);
	CHECKF(strcmp(mac_fmt(mac, s), test_jstr(e, "mac")) == 0, "%s", s);
	CHECK(mac == jhex64(e, "mac_int", 12));
	CHECK(mac_parse(test_jstr(e, "mac"), &parsed) == 0 && parsed == mac);
	CHECK(mac_first_octet(nwid) == test_jint(e, "first_octet"));
	CHECK(mac_is_member(mac, nwid));
	CHECK(!mac_is_multicast(mac));
	CHECK(mac_to_address(mac, nwid) == jhex64(e, "mac_to_address", 10));
	CHECK(mac_to_address(mac, nwid) == addr);

	mac_rfc4193(&a, nwid, addr);
	b = test_jhex(e, "rfc4193_bytes", &n);
	CHECK(n == 16 && a.family == INETADDR_V6);
	CHECK_MEM(a.ip, b, 16, "rfc4193");
	free(b);
	CHECK(a.port == test_jint(e, "rfc4193_prefix_bits"));
	CHECKF(strcmp(inetaddr_fmt_ip(&a, ips), test_jstr(e, "rfc4193")) == 0,
	    "%s", ips);
	CHECK(inetaddr_parse(&want, test_jstr(e, "rfc4193")) == 0 &&
	    inetaddr_ip_equal(&a, &want));

	mac_6plane(&a, nwid, addr);
	b = test_jhex(e, "sixplane_bytes", &n);
	CHECK(n == 16 && a.family == INETADDR_V6);
	CHECK_MEM(a.ip, b, 16, "6plane");
	free(b);
	CHECK(a.port == test_jint(e, "sixplane_prefix_bits"));
	CHECKF(strcmp(inetaddr_fmt_ip(&a, ips), test_jstr(e, "sixplane"))
	    == 0, "%s", ips);
}

static void
check_inverse(json_t *e)
{
	uint64_t nwid = jhex64(e, "network_id", 16);
	uint64_t mac;

	REQUIRE(mac_parse(test_jstr(e, "mac"), &mac) == 0);
	CHECK(mac_to_address(mac, nwid) == jhex64(e, "mac_to_address", 10));
}

static void
check_group(json_t *e)
{
	struct mac_group g, back;
	struct inetaddr a;
	uint64_t mac;
	uint8_t buf[10], *adi;
	struct wbuf w;
	struct rbuf r;
	size_t n;

	REQUIRE(inetaddr_parse(&a, test_jstr(e, "ip")) == 0);
	REQUIRE(mac_parse(test_jstr(e, "multicast_mac"), &mac) == 0);
	adi = test_jhex(e, "adi", &n);
	REQUIRE(n == 4);
	CHECK(mac_group_for_ip(&a, &g) == 0);
	CHECKF(g.mac == mac, "%s", test_jstr(e, "ip"));
	CHECK(g.adi == be32_get(adi));
	CHECK(mac_is_multicast(g.mac));
	free(adi);

	wbuf_init(&w, buf, sizeof(buf));
	CHECK(mac_group_serialize(&g, &w) == 0 && wbuf_len(&w) == 10);
	rbuf_init(&r, buf, sizeof(buf));
	CHECK(mac_group_deserialize(&back, &r) == 0 && rbuf_done(&r));
	CHECK(mac_group_cmp(&g, &back) == 0);
}

static size_t
each(json_t *root, const char *key, void (*fn)(json_t *))
{
	json_t *list = json_object_get(root, key), *e;
	size_t i;

	REQUIRE(json_is_array(list) && json_array_size(list) > 0);
	json_array_foreach(list, i, e)
		fn(e);
	return json_array_size(list);
}

static void
test_local(void)
{
	struct mac_group a = { 0x3333ff000001ULL, 0 }, b;
	struct inetaddr ip;
	uint8_t bytes[6];
	uint64_t mac;
	char s[MAC_STRLEN];

	/* spec/vl2.md §1.3 and §10 observed examples */
	mac = mac_from_address(0xbb665e0d7eULL, 0x808977c85d6e1451ULL);
	CHECK(strcmp(mac_fmt(mac, s), "32:af:08:03:c5:09") == 0);
	mac_rfc4193(&ip, 0x808977c85d6e1451ULL, 0xbb665e0d7eULL);
	CHECK(strcmp(inetaddr_fmt(&ip, (char[INETADDR_STRLEN]){ 0 }),
	    "fd80:8977:c85d:6e14:5199:93bb:665e:d7e/88") == 0);
	mac_6plane(&ip, 0x808977c85d6e1451ULL, 0xbb665e0d7eULL);
	CHECK(strcmp(inetaddr_fmt(&ip, (char[INETADDR_STRLEN]){ 0 }),
	    "fcdd:e763:99bb:665e:d7e::1/40") == 0);

	CHECK(mac_is_broadcast(MAC_BROADCAST));
	CHECK(mac_is_multicast(MAC_BROADCAST));
	CHECK(!mac_is_broadcast(0xfffffffffffeULL));
	/* nwid low bit 0x01 is masked off: ...03 shares ...01's octet */
	CHECK(mac_is_member(0x0289e9300c27ULL, 0x8056c2e21c000003ULL));
	CHECK(!mac_is_member(0x0689e9300c27ULL, 0x8056c2e21c000001ULL));
	mac_to_bytes(0x0289e9300c27ULL, bytes);
	CHECK(bytes[0] == 0x02 && bytes[5] == 0x27);
	CHECK(mac_from_bytes(bytes) == 0x0289e9300c27ULL);

	CHECK(mac_parse("02:89:E9:30:0C:27", &mac) == 0 &&
	    mac == 0x0289e9300c27ULL);
	CHECK(mac_parse("02:89:e9:30:0c", &mac) == -1);
	CHECK(mac_parse("02:89:e9:30:0c:2", &mac) == -1);
	CHECK(mac_parse("02:89:e9:30:0c:277", &mac) == -1);
	CHECK(mac_parse("02-89-e9-30-0c-27", &mac) == -1);
	CHECK(mac_parse("02:89:e9:30:0c:2g", &mac) == -1);
	CHECK(mac_parse("", &mac) == -1);

	inetaddr_clear(&ip);
	CHECK(mac_group_for_ip(&ip, &b) == -1);
	b = a;
	b.adi = 1;
	CHECK(mac_group_cmp(&a, &b) < 0 && mac_group_cmp(&b, &a) > 0);
	b.adi = 0;
	b.mac = 0x3333ff000000ULL;
	CHECK(mac_group_cmp(&a, &b) > 0);
}

int
main(void)
{
	json_t *v = test_vectors_load("mac_ip.json");

	REQUIRE(v != NULL);
	CHECK(each(v, "derivations", check_derivation) == 56);
	each(v, "inverse_with_other_network", check_inverse);
	CHECK(each(v, "address_resolution_multicast_groups",
	    check_group) == 6);
	json_decref(v);
	test_local();
	return test_main_end();
}
