/*
 * zt-vl2d's pure network state (vl2d/state.c): the listnetworks line as
 * zerotier-cli prints it (spec/service.md §7.2, the observed example),
 * status names, network id parsing, the managed address set of a config
 * and the networks.d files a restarted zt-vl2d reads back.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "mac.h"
#include "network.h"
#include "test.h"

static void
test_line(void)
{
	const char *want = "200 listnetworks 808977c85d6e1451 testnet "
	    "32:af:08:03:c5:09 OK PRIVATE ztjdkbtxam "
	    "fd80:8977:c85d:6e14:5199:93bb:665e:d7e/88,"
	    "fcdd:e763:99bb:665e:d7e::1/40,10.147.17.224/24";
	struct inetaddr ips[3];
	struct vl2_net_line l;
	char buf[512], small[40];
	uint64_t nwid = 0x808977c85d6e1451ULL, addr = 0xbb665e0d7eULL;

	mac_rfc4193(&ips[0], nwid, addr);
	mac_6plane(&ips[1], nwid, addr);
	REQUIRE(inetaddr_parse_cidr(&ips[2], "10.147.17.224/24") == 0);
	memset(&l, 0, sizeof(l));
	l.nwid = nwid;
	l.name = "testnet";
	l.mac = mac_from_address(addr, nwid);
	l.status = VL2_STATUS_OK;
	l.type = "PRIVATE";
	l.dev = "ztjdkbtxam";
	l.ips = ips;
	l.nips = 3;
	CHECK(vl2_listnetworks_line(&l, buf, sizeof(buf)) ==
	    (int)strlen(want));
	CHECKF(strcmp(buf, want) == 0, "got '%s'", buf);
	/* too small a buffer is an error, never a cut line */
	CHECK(vl2_listnetworks_line(&l, small, sizeof(small)) == -1);

	/* before the first config: empty name, no device, no addresses */
	l.name = "";
	l.dev = "";
	l.nips = 0;
	l.status = VL2_STATUS_REQUESTING;
	REQUIRE(vl2_listnetworks_line(&l, buf, sizeof(buf)) > 0);
	CHECKF(strcmp(buf, "200 listnetworks 808977c85d6e1451  "
	    "32:af:08:03:c5:09 REQUESTING_CONFIGURATION PRIVATE  -") == 0,
	    "got '%s'", buf);
	CHECK(strcmp(vl2_listnetworks_header(), "200 listnetworks <nwid> "
	    "<name> <mac> <status> <type> <dev> <ZT assigned ips>") == 0);
}

static void
test_names(void)
{
	uint64_t v = 0;

	CHECK(strcmp(vl2_status_name(VL2_STATUS_ACCESS_DENIED),
	    "ACCESS_DENIED") == 0);
	CHECK(strcmp(vl2_status_name(VL2_STATUS_NOT_FOUND), "NOT_FOUND") ==
	    0);
	CHECK(strcmp(vl2_status_name(VL2_STATUS_PORT_ERROR), "PORT_ERROR") ==
	    0);
	CHECK(strcmp(vl2_status_name(VL2_STATUS_CLIENT_TOO_OLD),
	    "CLIENT_TOO_OLD") == 0);
	CHECK(strcmp(vl2_status_name(VL2_STATUS_AUTH_REQUIRED),
	    "AUTHENTICATION_REQUIRED") == 0);
	CHECK(strcmp(vl2_type_name(NULL), "PRIVATE") == 0);
	CHECK(vl2_nwid_parse("808977c85d6e1451", &v) == 0 &&
	    v == 0x808977c85d6e1451ULL);
	CHECK(vl2_nwid_parse("808977C85D6E1451", &v) == -1);
	CHECK(vl2_nwid_parse("808977c85d6e145", &v) == -1);
	CHECK(vl2_nwid_parse("808977c85d6e14511", &v) == -1);
	CHECK(vl2_nwid_parse("0000000000000000", &v) == -1);
	CHECK(vl2_nwid_parse("808977c85d6e14x1", &v) == -1);
	CHECK(vl2_state_name_nwid("808977c85d6e1451.conf", &v) == 0 &&
	    v == 0x808977c85d6e1451ULL);
	CHECK(vl2_state_name_nwid("808977c85d6e1451.local.conf", &v) == -1);
	CHECK(vl2_state_name_nwid("808977c85d6e1451.conf~", &v) == -1);
	CHECK(vl2_state_name_nwid(".conf", &v) == -1);
}

static void
test_addrs(void)
{
	struct netconf *nc = netconf_new();
	struct inetaddr out[NETCONF_MAX_STATIC_IPS];

	REQUIRE(nc != NULL);
	/* 1.14.1 keeps nil slots in the list; the TAP gets none of them */
	REQUIRE(inetaddr_parse_cidr(&nc->static_ips[1], "10.1.2.3/24") == 0);
	REQUIRE(inetaddr_parse_cidr(&nc->static_ips[3],
	    "fd00::1/88") == 0);
	nc->nstatic_ips = 4;
	CHECK(vl2_config_addrs(nc, out, NETCONF_MAX_STATIC_IPS) == 2);
	CHECK(inetaddr_equal(&out[0], &nc->static_ips[1]));
	CHECK(inetaddr_equal(&out[1], &nc->static_ips[3]));
	CHECK(vl2_config_addrs(nc, out, 1) == 1);
	netconf_free(nc);
}

static void
test_files(void)
{
	char dir[] = "/tmp/test-vl2-state.XXXXXX", path[256];
	uint64_t nwids[4], a = 0x808977c85d6e1451ULL, b = 0x1122334455000001ULL;
	const uint8_t conf[] = "v=0000000000000007\nnwid=808977c85d6e1451\n";
	struct vl2_local l;
	uint8_t *d;
	size_t n, len;

	REQUIRE(mkdtemp(dir) != NULL);
	CHECK(vl2_state_list(dir, nwids, 4, &n) == 0 && n == 0);
	/* a join writes the single LF: joined, no config yet */
	CHECK(vl2_state_save(dir, a, NULL, 0) == 0);
	CHECK(vl2_state_load(dir, a, &d, &len) == 0 && len == 0 && d == NULL);
	CHECK(vl2_state_save(dir, b, conf, sizeof(conf) - 1) == 0);
	CHECK(vl2_state_load(dir, b, &d, &len) == 0 &&
	    len == sizeof(conf) - 1 && memcmp(d, conf, len) == 0 &&
	    d[len] == '\0');
	free(d);
	/* a stray file in networks.d is not a network */
	snprintf(path, sizeof(path), "%s/networks.d/notes.txt", dir);
	CHECK(file_write_atomic(path, "x", 1, 0600) == 0);
	CHECK(vl2_state_list(dir, nwids, 4, &n) == 0 && n == 2 &&
	    ((nwids[0] == a && nwids[1] == b) ||
	    (nwids[0] == b && nwids[1] == a)));
	CHECK(vl2_state_list(dir, nwids, 1, &n) == 0 && n == 1);

	/* local settings: defaults, a token, a refused value */
	CHECK(vl2_local_load(dir, a, &l) == 0 && l.token[0] == '\0');
	CHECK(vl2_local_set(&l, "joinToken", "s3cr=t") == -1);
	CHECK(vl2_local_set(&l, "joinToken", "two words") == -1);
	CHECK(vl2_local_set(&l, "allowManaged", "1") == -1);
	CHECK(vl2_local_set(&l, "joinToken", "abc123") == 0);
	CHECK(vl2_local_save(dir, a, &l) == 0);
	memset(&l, 0, sizeof(l));
	CHECK(vl2_local_load(dir, a, &l) == 0 &&
	    strcmp(l.token, "abc123") == 0);
	snprintf(path, sizeof(path), "%s/networks.d/%016llx.local.conf", dir,
	    (unsigned long long)b);
	CHECK(file_write_atomic(path, "joinToken=a b\n", 14, 0600) == 0);
	CHECK(vl2_local_load(dir, b, &l) == -1);

	/* leaving removes both files; removing twice is fine */
	CHECK(vl2_state_remove(dir, a) == 0);
	CHECK(vl2_state_remove(dir, a) == 0);
	CHECK(vl2_state_load(dir, a, &d, &len) == -1);
	CHECK(vl2_local_load(dir, a, &l) == 0 && l.token[0] == '\0');
	CHECK(vl2_state_remove(dir, b) == 0);
	CHECK(unlink(path) == -1);
	snprintf(path, sizeof(path), "%s/networks.d/notes.txt", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/networks.d", dir);
	CHECK(rmdir(path) == 0);
	CHECK(rmdir(dir) == 0);
}

int
main(void)
{
	test_line();
	test_names();
	test_addrs();
	test_files();
	return test_main_end();
}
