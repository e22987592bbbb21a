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
	    " \"virtual\":{\"0123456789\":{\"try\":[\"10.0.0.1/9993\"]}},"
	    " \"settings\":{\"primaryPort\":9994,\"secondaryPort\":30000,"
	    "  \"allowSecondaryPort\":false,"
	    "  \"bind\":[\"198.18.1.1\",\"fd00::1\"],"
	    "  \"interfacePrefixBlacklist\":[\"docker\",\"veth\"]}}";
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

int
main(void)
{
	test_defaults();
	test_every_key();
	test_bad_values();
	test_load();
	return test_main_end();
}
