/*
 * zt-tapd's settings and ZeroTier's scope rules for managed addresses
 * and routes (spec/service.md §4, 1.14.1 checkIfManagedIsAllowed), and
 * the device names derived from a network id (spec/service.md §9).
 */
#include <string.h>

#include "policy.h"
#include "test.h"

struct scope_case {
	const char		*cidr;
	enum tapd_verdict	 plain;		/* defaults */
	enum tapd_verdict	 all;		/* every allow* on */
};

static const struct scope_case cases[] = {
	/* private, shared and pseudo-private scopes pass by default */
	{ "10.1.2.3/24", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "172.16.0.1/12", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "192.168.192.1/24", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "198.18.5.1/24", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "192.0.2.1/24", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "203.0.113.9/24", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "100.64.1.1/10", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "6.1.2.3/8", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "25.0.0.1/8", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "56.255.0.1/8", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "240.0.0.1/4", TAPD_ALLOWED, TAPD_ALLOWED },
	{ "fd80:56c2:e21c:0:199:9389:e92c:eee5/88", TAPD_ALLOWED,
	    TAPD_ALLOWED },
	{ "fc9c:56c2:e389:e92c:eee5::1/40", TAPD_ALLOWED, TAPD_ALLOWED },
	/* global needs allowGlobal */
	{ "8.8.8.8/24", TAPD_NO_GLOBAL, TAPD_ALLOWED },
	{ "44.1.2.3/16", TAPD_NO_GLOBAL, TAPD_ALLOWED },
	{ "2001:db8::1/64", TAPD_NO_GLOBAL, TAPD_ALLOWED },
	{ "2a00:1450::/32", TAPD_NO_GLOBAL, TAPD_ALLOWED },
	/* default routes need allowDefault */
	{ "0.0.0.0/0", TAPD_NO_DEFAULT, TAPD_ALLOWED },
	{ "::/0", TAPD_NO_DEFAULT, TAPD_ALLOWED },
	/* never: none, loopback, link-local, multicast */
	{ "0.1.2.3/8", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "0.0.0.0/8", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "255.1.2.3/8", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "127.0.0.1/8", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "169.254.3.4/16", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "224.0.0.251/4", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "239.1.1.1/8", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "::1/128", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "::/128", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "fe80::1/64", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "fe80::1234/64", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
	{ "ff02::1/16", TAPD_BAD_SCOPE, TAPD_BAD_SCOPE },
};

static void
test_defaults(void)
{
	struct tapd_settings s;
	char v[64];

	tapd_settings_init(&s);
	CHECK(s.allow_managed && !s.allow_global && !s.allow_default &&
	    !s.allow_dns && s.nwhitelist == 0);
	CHECK(tapd_settings_get(&s, "allowManaged", v, sizeof(v)) == 0 &&
	    strcmp(v, "1") == 0);
	CHECK(tapd_settings_get(&s, "allowGlobal", v, sizeof(v)) == 0 &&
	    strcmp(v, "0") == 0);
	CHECK(tapd_settings_get(&s, "allowDefault", v, sizeof(v)) == 0 &&
	    strcmp(v, "0") == 0);
	CHECK(tapd_settings_get(&s, "allowDNS", v, sizeof(v)) == 0 &&
	    strcmp(v, "0") == 0);
	CHECK(tapd_settings_get(&s, "allowEverything", v, sizeof(v)) == -1);
	CHECK(tapd_settings_get(&s, "allowGlobal", v, 0) == -1);
}

static void
test_scopes(void)
{
	struct tapd_settings plain, all, off;
	struct inetaddr a;
	enum tapd_verdict v;
	size_t i;

	tapd_settings_init(&plain);
	tapd_settings_init(&all);
	tapd_settings_init(&off);
	REQUIRE(tapd_settings_set(&all, "allowGlobal", "1") == 0);
	REQUIRE(tapd_settings_set(&all, "allowDefault", "true") == 0);
	REQUIRE(tapd_settings_set(&all, "allowDNS", "1") == 0);
	REQUIRE(tapd_settings_set(&off, "allowManaged", "0") == 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		REQUIRE(inetaddr_parse_cidr(&a, cases[i].cidr) == 0);
		v = tapd_scope_check(&plain, &a);
		CHECKF(v == cases[i].plain, "%s: %s", cases[i].cidr,
		    tapd_verdict_str(v));
		v = tapd_scope_check(&all, &a);
		CHECKF(v == cases[i].all, "%s (all on): %s", cases[i].cidr,
		    tapd_verdict_str(v));
		/* allowManaged=0 refuses everything, default routes too */
		CHECK(tapd_scope_check(&off, &a) == TAPD_NO_MANAGED);
	}
	/* allowDefault alone does not open global addresses */
	tapd_settings_init(&plain);
	REQUIRE(tapd_settings_set(&plain, "allowDefault", "1") == 0);
	REQUIRE(inetaddr_parse_cidr(&a, "8.8.8.8/24") == 0);
	CHECK(tapd_scope_check(&plain, &a) == TAPD_NO_GLOBAL);
	REQUIRE(inetaddr_parse_cidr(&a, "0.0.0.0/0") == 0);
	CHECK(tapd_scope_check(&plain, &a) == TAPD_ALLOWED);
	/* 0.0.0.0/1 is a half route, not a default route: scope none */
	REQUIRE(inetaddr_parse_cidr(&a, "0.0.0.0/1") == 0);
	CHECK(tapd_scope_check(&plain, &a) == TAPD_BAD_SCOPE);
	for (v = TAPD_ALLOWED; v <= TAPD_NO_GLOBAL; v++)
		CHECK(strcmp(tapd_verdict_str(v), "unknown") != 0);
}

static void
test_whitelist(void)
{
	struct tapd_settings s;
	struct inetaddr a;
	char v[256];

	tapd_settings_init(&s);
	REQUIRE(tapd_settings_set(&s, "allowManaged",
	    "10.0.0.0/8,fd00::/8") == 0);
	CHECK(s.allow_managed && s.nwhitelist == 2);
	CHECK(tapd_settings_get(&s, "allowManaged", v, sizeof(v)) == 0 &&
	    strcmp(v, "10.0.0.0/8,fd00::/8") == 0);
	REQUIRE(inetaddr_parse_cidr(&a, "10.1.0.1/16") == 0);
	CHECK(tapd_scope_check(&s, &a) == TAPD_ALLOWED);
	/* inside, but a wider prefix than the listed one */
	REQUIRE(inetaddr_parse_cidr(&a, "10.0.0.0/7") == 0);
	CHECK(tapd_scope_check(&s, &a) == TAPD_NOT_LISTED);
	REQUIRE(inetaddr_parse_cidr(&a, "192.168.1.1/24") == 0);
	CHECK(tapd_scope_check(&s, &a) == TAPD_NOT_LISTED);
	REQUIRE(inetaddr_parse_cidr(&a, "fd12::1/64") == 0);
	CHECK(tapd_scope_check(&s, &a) == TAPD_ALLOWED);
	/* the list does not lift the scope rules */
	REQUIRE(tapd_settings_set(&s, "allowManaged", "0.0.0.0/0") == 0);
	REQUIRE(inetaddr_parse_cidr(&a, "8.8.8.8/24") == 0);
	CHECK(tapd_scope_check(&s, &a) == TAPD_NO_GLOBAL);
	REQUIRE(inetaddr_parse_cidr(&a, "0.0.0.0/0") == 0);
	CHECK(tapd_scope_check(&s, &a) == TAPD_NO_DEFAULT);
	/* a boolean replaces the list */
	REQUIRE(tapd_settings_set(&s, "allowManaged", "1") == 0);
	CHECK(s.nwhitelist == 0);
	CHECK(tapd_settings_get(&s, "allowManaged", v, sizeof(v)) == 0 &&
	    strcmp(v, "1") == 0);
	/* refused values leave the settings unchanged */
	CHECK(tapd_settings_set(&s, "allowManaged", "") == -1);
	CHECK(tapd_settings_set(&s, "allowManaged", "2") == -1);
	CHECK(tapd_settings_set(&s, "allowManaged", "10.0.0.0/33") == -1);
	CHECK(tapd_settings_set(&s, "allowManaged", "10.0.0.0/8,") == -1);
	CHECK(tapd_settings_set(&s, "allowManaged", ",10.0.0.0/8") == -1);
	CHECK(tapd_settings_set(&s, "allowManaged", "10.0.0.1") == -1);
	CHECK(tapd_settings_set(&s, "allowGlobal", "yes") == -1);
	CHECK(tapd_settings_set(&s, "allowGlobal", "") == -1);
	CHECK(tapd_settings_set(&s, "allowSomething", "1") == -1);
	CHECK(s.allow_managed && s.nwhitelist == 0 && !s.allow_global);
	/* the get buffer is too small for the list */
	REQUIRE(tapd_settings_set(&s, "allowManaged",
	    "10.0.0.0/8,172.16.0.0/12") == 0);
	CHECK(tapd_settings_get(&s, "allowManaged", v, 12) == -1);
}

static void
test_names(void)
{
	char name[TAPD_IFNAME_MAX];

	/* observed on ZeroTier One 1.14.1 (spec/service.md §9) */
	tapd_ifname_for(0x808977c85d6e1451ULL, 0, name);
	CHECK(strcmp(name, "ztjdkbtxam") == 0);
	tapd_ifname_for(0x808977c85d6e1451ULL, 1, name);
	CHECK(strcmp(name, "ztjdkbtxan") == 0);
	CHECK(tapd_ifname_valid(name));
	CHECK(tapd_ifname_valid("zt0"));
	CHECK(tapd_ifname_valid("a.b-c_d"));
	CHECK(tapd_ifname_valid("fifteen-chars15"));
	CHECK(!tapd_ifname_valid("sixteen-chars-16"));
	CHECK(!tapd_ifname_valid(""));
	CHECK(!tapd_ifname_valid("."));
	CHECK(!tapd_ifname_valid(".."));
	CHECK(!tapd_ifname_valid("a/b"));
	CHECK(!tapd_ifname_valid("a b"));
	CHECK(!tapd_ifname_valid("eth0:1"));
}

int
main(void)
{
	test_defaults();
	test_scopes();
	test_whitelist();
	test_names();
	return test_main_end();
}
