/*
 * zt-vl1d's local.conf: every key it reads, ZeroTier's defaults, and a
 * bad value of each key failing with an error that names the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localconf.h"
#include "test.h"

static int
parse(struct localconf *lc, const char *text, char *err)
{
	err[0] = '\0';
	return localconf_parse(lc, text, strlen(text), err, LOCALCONF_ERR_MAX);
}

static void
test_defaults(void)
{
	struct localconf lc;
	char err[LOCALCONF_ERR_MAX];

	REQUIRE(parse(&lc, "{}", err) == 0);
	CHECK(lc.primary_port == 0);
	CHECK(lc.secondary_port == 0);
	CHECK(lc.allow_secondary);
	CHECK(lc.nbinds == 0 && lc.nifprefix == 0 && lc.nphysical == 0);
	/* unknown keys are kept by ZeroTier, so they are not errors */
	REQUIRE(parse(&lc, "{\"settings\":{\"portMappingEnabled\":false,"
	    "\"softwareUpdate\":\"disable\"},\"other\":[1,2]}", err) == 0);
	CHECK(lc.allow_secondary);
}

static void
test_every_key(void)
{
	static const char text[] =
	    "{\"physical\":{"
	    "  \"10.1.0.0/16\":{\"trustedPathId\":12345,\"mtu\":1400},"
	    "  \"192.168.7.0/24\":{\"blacklist\":true},"
	    "  \"0.0.0.0/0\":{\"blacklist\":true},"
	    "  \"fd00:1::/64\":{\"trustedPathId\":\"18446744073709551615\"}},"
	    " \"virtual\":{\"0123456789\":{\"try\":[\"10.0.0.1/9993\"],"
	    "  \"blacklist\":[\"10.9.0.0/16\",\"fd00::/8\"]},"
	    "  \"abcdef0123\":{}},"
	    " \"settings\":{\"primaryPort\":9994,\"secondaryPort\":30000,"
	    "  \"allowSecondaryPort\":false,"
	    "  \"bind\":[\"198.18.1.1\",\"fd00::1\"],"
	    "  \"interfacePrefixBlacklist\":[\"docker\",\"veth\"],"
	    "  \"allowManagementFrom\":[\"198.18.0.0/15\"],"
	    "  \"httpApi\":false}}";
	struct localconf lc;
	struct inetaddr a;
	char err[LOCALCONF_ERR_MAX], buf[INETADDR_STRLEN];
	unsigned int i;

	REQUIRE(parse(&lc, text, err) == 0);
	CHECK(lc.primary_port == 9994);
	CHECK(lc.secondary_port == 30000);
	CHECK(!lc.allow_secondary);
	REQUIRE(lc.nbinds == 2);
	CHECK(strcmp(inetaddr_fmt_ip(&lc.binds[0], buf), "198.18.1.1") == 0);
	CHECK(lc.binds[1].family == INETADDR_V6);
	REQUIRE(lc.nifprefix == 2);
	CHECK(strcmp(lc.ifprefix[0], "docker") == 0);
	CHECK(strcmp(lc.ifprefix[1], "veth") == 0);
	CHECK(localconf_if_blacklisted(&lc, "veth12"));
	CHECK(localconf_if_blacklisted(&lc, "docker0"));
	CHECK(!localconf_if_blacklisted(&lc, "eth0"));
	REQUIRE(lc.nphysical == 4);
	for (i = 0; i < lc.nphysical; i++) {
		const struct localconf_physical *p = &lc.physical[i];
		char *s = inetaddr_fmt_ip(&p->net, buf);

		if (strcmp(s, "10.1.0.0") == 0) {
			CHECK(p->trusted_id == 12345);
			CHECK(p->mtu == 1400);
			CHECK(!p->blacklist);
		} else if (strcmp(s, "192.168.7.0") == 0) {
			CHECK(p->blacklist);
			CHECK(p->trusted_id == 0);
		} else if (strcmp(s, "0.0.0.0") == 0) {
			/* ZeroTier ignores a blacklist of everything */
			CHECK(!p->blacklist);
		} else {
			CHECK(p->net.family == INETADDR_V6);
			CHECK(p->trusted_id == UINT64_MAX);
		}
	}
	REQUIRE(inetaddr_parse(&a, "10.1.200.3/9993") == 0);
	CHECK(localconf_mtu(&lc, &a) == 1400);
	REQUIRE(inetaddr_parse(&a, "10.2.0.3/9993") == 0);
	CHECK(localconf_mtu(&lc, &a) == 0);
	REQUIRE(lc.nvirt == 2);
	CHECK(lc.virt[0].address == 0x0123456789ULL);
	REQUIRE(lc.virt[0].ntry == 1);
	CHECK(strcmp(inetaddr_fmt(&lc.virt[0].try[0], buf), "10.0.0.1/9993")
	    == 0);
	REQUIRE(lc.virt[0].nblacklist == 2);
	CHECK(inetaddr_netmask_bits(&lc.virt[0].blacklist[0]) == 16);
	CHECK(lc.virt[0].blacklist[1].family == INETADDR_V6);
	CHECK(lc.virt[1].address == 0xabcdef0123ULL);
	CHECK(lc.virt[1].ntry == 0 && lc.virt[1].nblacklist == 0);
	CHECK(!lc.http_api);
	REQUIRE(lc.nmgmt == 1);
	CHECK(inetaddr_netmask_bits(&lc.mgmt[0]) == 15);
	REQUIRE(inetaddr_parse(&a, "192.168.7.20/9993") == 0);
	CHECK(localconf_blacklisted(&lc, &a));
	REQUIRE(inetaddr_parse(&a, "192.168.8.20/9993") == 0);
	CHECK(!localconf_blacklisted(&lc, &a));
	REQUIRE(inetaddr_parse(&a, "10.1.2.3/9993") == 0);
	CHECK(!localconf_blacklisted(&lc, &a));
}

static void
test_bad_values(void)
{
	static const struct {
		const char	*text;
		const char	*key;	/* must appear in the error */
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"settings\":", "line" },
		{ "{\"a\":1,\"a\":2}", "duplicate" },
		{ "{\"settings\":[]}", "settings" },
		{ "{\"settings\":{\"primaryPort\":0}}",
		    "settings.primaryPort" },
		{ "{\"settings\":{\"primaryPort\":65536}}",
		    "settings.primaryPort" },
		{ "{\"settings\":{\"primaryPort\":\"9993\"}}",
		    "settings.primaryPort" },
		{ "{\"settings\":{\"secondaryPort\":-1}}",
		    "settings.secondaryPort" },
		{ "{\"settings\":{\"allowSecondaryPort\":1}}",
		    "settings.allowSecondaryPort" },
		{ "{\"settings\":{\"bind\":\"10.0.0.1\"}}", "settings.bind" },
		{ "{\"settings\":{\"bind\":[\"10.0.0.1/9993\"]}}",
		    "settings.bind[0]" },
		{ "{\"settings\":{\"bind\":[\"10.0.0.1\",\"nope\"]}}",
		    "settings.bind[1]" },
		{ "{\"settings\":{\"interfacePrefixBlacklist\":{}}}",
		    "settings.interfacePrefixBlacklist" },
		{ "{\"settings\":{\"interfacePrefixBlacklist\":[\"\"]}}",
		    "settings.interfacePrefixBlacklist[0]" },
		{ "{\"settings\":{\"interfacePrefixBlacklist\":"
		    "[\"a\",\"abcdefghijklmnopq\"]}}",
		    "settings.interfacePrefixBlacklist[1]" },
		{ "{\"physical\":[]}", "physical" },
		{ "{\"physical\":{\"10.0.0.1\":{}}}", "physical.10.0.0.1" },
		{ "{\"physical\":{\"10.0.0.0/8\":3}}", "physical.10.0.0.0/8" },
		{ "{\"physical\":{\"10.0.0.0/8\":{\"blacklist\":\"yes\"}}}",
		    "physical.10.0.0.0/8.blacklist" },
		{ "{\"physical\":{\"10.0.0.0/8\":{\"trustedPathId\":-5}}}",
		    "physical.10.0.0.0/8.trustedPathId" },
		{ "{\"physical\":{\"10.0.0.0/8\":{\"trustedPathId\":"
		    "\"18446744073709551616\"}}}",
		    "physical.10.0.0.0/8.trustedPathId" },
		{ "{\"physical\":{\"10.0.0.0/8\":{\"mtu\":500}}}",
		    "physical.10.0.0.0/8.mtu" },
		{ "{\"physical\":{\"10.0.0.0/8\":{\"mtu\":20000}}}",
		    "physical.10.0.0.0/8.mtu" },
		{ "{\"virtual\":7}", "virtual" },
		{ "{\"virtual\":{\"12345\":{}}}", "virtual.12345" },
		{ "{\"virtual\":{\"zz23456789\":{}}}", "virtual.zz23456789" },
		{ "{\"virtual\":{\"0123456789\":[]}}", "virtual.0123456789" },
		{ "{\"virtual\":{\"0123456789\":{\"try\":\"10.0.0.1/1\"}}}",
		    "virtual.0123456789.try" },
		{ "{\"virtual\":{\"0123456789\":{\"try\":[\"10.0.0.1\"]}}}",
		    "virtual.0123456789.try[0]" },
		{ "{\"virtual\":{\"0123456789\":{\"try\":[\"x/1\"]}}}",
		    "virtual.0123456789.try[0]" },
		{ "{\"virtual\":{\"0123456789\":{\"blacklist\":"
		    "[\"10.0.0.0/8\",\"10.0.0.1\"]}}}",
		    "virtual.0123456789.blacklist[1]" },
		{ "{\"virtual\":{\"0123456789\":{},\"0123456789\":{}}}",
		    "duplicate" },
		{ "{\"settings\":{\"allowManagementFrom\":[\"10.0.0.1\"]}}",
		    "settings.allowManagementFrom[0]" },
		{ "{\"settings\":{\"httpApi\":\"off\"}}", "settings.httpApi" },
	};
	struct localconf lc;
	char err[LOCALCONF_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECKF(parse(&lc, bad[i].text, err) == -1, "%s", bad[i].text);
		CHECKF(strstr(err, bad[i].key) != NULL, "%s: error '%s'",
		    bad[i].text, err);
		CHECKF(strchr(err, '\n') == NULL, "%s: one line", bad[i].text);
	}
}

static void
test_load(void)
{
	char dir[] = "/tmp/test-localconf.XXXXXX", path[256];
	char err[LOCALCONF_ERR_MAX];
	struct localconf lc;
	FILE *f;

	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/local.conf", dir);
	/* no file: ZeroTier's defaults */
	CHECK(localconf_load(&lc, path, err, sizeof(err)) == 0);
	CHECK(lc.allow_secondary && lc.primary_port == 0);
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"settings\":{\"primaryPort\":19993}}\n", f);
	fclose(f);
	CHECK(localconf_load(&lc, path, err, sizeof(err)) == 0);
	CHECK(lc.primary_port == 19993);
	REQUIRE((f = fopen(path, "w")) != NULL);
	fputs("{\"settings\":{\"primaryPort\":true}}\n", f);
	fclose(f);
	CHECK(localconf_load(&lc, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, "settings.primaryPort") != NULL);
	unlink(path);
	rmdir(dir);
}

static void
test_trustedpaths(void)
{
	static const char good[] =
	    "# legacy file\n"
	    "\n"
	    "2a 10.1.0.0/16\n"
	    "ffffffffffffffff fd00:1::/64\r\n"
	    "7 192.168.7.0/24\n";
	static const char *bad[] = {
	    "2a\n", "2a 10.1.0.0\n", "0 10.1.0.0/16\n", "xyz 10.0.0.0/8\n",
	    "2a 10.1.0.0/16 extra\n", "12345678901234567 10.0.0.0/8\n",
	};
	struct localconf lc;
	struct inetaddr a;
	char err[LOCALCONF_ERR_MAX];
	unsigned int i;

	/* local.conf's own id for 192.168.7.0/24 wins over the file's */
	REQUIRE(parse(&lc, "{\"physical\":{\"192.168.7.0/24\":"
	    "{\"trustedPathId\":99,\"mtu\":1500}}}", err) == 0);
	REQUIRE(localconf_parse_trustedpaths(&lc, good, strlen(good), err,
	    sizeof(err)) == 0);
	REQUIRE(lc.nphysical == 3);
	CHECK(lc.physical[0].trusted_id == 99 && lc.physical[0].mtu == 1500);
	CHECK(lc.physical[1].trusted_id == 0x2a);
	CHECK(inetaddr_netmask_bits(&lc.physical[1].net) == 16);
	CHECK(lc.physical[2].trusted_id == UINT64_MAX);
	CHECK(lc.physical[2].net.family == INETADDR_V6);
	REQUIRE(inetaddr_parse(&a, "10.1.3.4/9993") == 0);
	CHECK(inetaddr_contains(&lc.physical[1].net, &a));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		localconf_init(&lc);
		err[0] = '\0';
		CHECKF(localconf_parse_trustedpaths(&lc, bad[i],
		    strlen(bad[i]), err, sizeof(err)) == -1, "%s", bad[i]);
		CHECKF(strstr(err, "trustedpaths line 1") != NULL, "%s: '%s'",
		    bad[i], err);
	}
	/* the line number is the file's, blank lines counted */
	localconf_init(&lc);
	CHECK(localconf_parse_trustedpaths(&lc, "\n#\n1 10.0.0.0/8\nbad\n",
	    20, err, sizeof(err)) == -1);
	CHECK(strstr(err, "line 4") != NULL);
	CHECK(localconf_parse_trustedpaths(&lc, "1 10.0.0.0/8\0", 13, err,
	    sizeof(err)) == -1);
}

int
main(void)
{
	test_trustedpaths();
	test_defaults();
	test_every_key();
	test_bad_values();
	test_load();
	return test_main_end();
}
