/*
 * zt-ctl join / leave / listnetworks / set / get / rules test: the
 * networks of zt-vl2d, printed as zerotier-cli prints them
 * (spec/service.md §7.2).  The addressing settings (allowManaged,
 * allowGlobal, allowDefault, allowDNS) belong to zt-tapd; set and get
 * send those there (tap.c) and everything else to zt-vl2d.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "inetaddr.h"
#include "mac.h"
#include "network.h"

static bool
ctl_net_is_tapd_setting(const char *name)
{
	static const char *const names[] = {
		"allowManaged", "allowGlobal", "allowDefault", "allowDNS",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static int
ctl_net_nwid(const char *s)
{
	uint64_t v;

	return vl2_nwid_parse(s, &v);
}

/* the reply, or an exit status when zt-vl2d said no */
static int
ctl_net_call(const struct ctl_opts *o, json_t *req, json_t **r)
{
	json_t *e;
	int rc;

	rc = ctl_call(o, "zt-vl2d", req, r);
	json_decref(req);
	if (rc != 0)
		return rc;
	if (json_is_object(*r) && (e = json_object_get(*r, "error")) != NULL) {
		rc = ctl_error("%s", json_string_value(e));
		json_decref(*r);
		*r = NULL;
	}
	return rc;
}

static int
ctl_net_print(json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s == NULL)
		return ctl_error("out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

/* join and leave: one nwid, "200 <cmd> OK" as zerotier-cli */
static int
ctl_net_simple(const struct ctl_opts *o, const char *cmd, int argc,
    char **argv)
{
	json_t *r;
	int rc;

	if (argc != 1)
		return ctl_usage("%s takes <nwid>", cmd);
	if (ctl_net_nwid(argv[0]) == -1)
		return ctl_usage("invalid network id '%s'", argv[0]);
	if ((rc = ctl_net_call(o, json_pack("{s:s, s:s}", "cmd", cmd,
	    "nwid", argv[0]), &r)) != 0)
		return rc;
	if (o->json)
		rc = ctl_net_print(r);
	else
		printf("200 %s OK\n", cmd);
	json_decref(r);
	return rc;
}

int
ctl_join(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_net_simple(o, "join", argc, argv);
}

int
ctl_leave(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_net_simple(o, "leave", argc, argv);
}

/* a network object of the reply as a listnetworks line */
static int
ctl_net_line(json_t *n)
{
	struct inetaddr ips[32];
	struct vl2_net_line l;
	const char *s;
	char line[4096];
	json_t *a;
	size_t i;
	uint64_t mac = 0;
	int st;

	memset(&l, 0, sizeof(l));
	if (vl2_nwid_parse(json_string_value(json_object_get(n, "id")) ?
	    json_string_value(json_object_get(n, "id")) : "", &l.nwid) == -1)
		return -1;
	if ((s = json_string_value(json_object_get(n, "mac"))) != NULL)
		mac_parse(s, &mac);
	l.mac = mac;
	l.name = json_string_value(json_object_get(n, "name"));
	l.type = json_string_value(json_object_get(n, "type"));
	l.dev = json_string_value(json_object_get(n, "portDeviceName"));
	s = json_string_value(json_object_get(n, "status"));
	for (st = 0; st <= VL2_STATUS_AUTH_REQUIRED; st++)
		if (s != NULL && strcmp(s, vl2_status_name(st)) == 0)
			l.status = st;
	json_array_foreach(json_object_get(n, "assignedAddresses"), i, a)
		if (l.nips < 32 && json_is_string(a) &&
		    inetaddr_parse_cidr(&ips[l.nips], json_string_value(a)) ==
		    0)
			l.nips++;
	l.ips = ips;
	if (l.name == NULL || l.type == NULL || l.dev == NULL ||
	    vl2_listnetworks_line(&l, line, sizeof(line)) == -1)
		return -1;
	printf("%s\n", line);
	return 0;
}

/*
 * ZeroTier's network object carries allowManaged & co. as booleans;
 * here they are zt-tapd's, asked for when its socket is there.
 */
static void
ctl_net_merge_settings(const struct ctl_opts *o, json_t *n)
{
	char path[PATH_MAX];
	const char *k, *v;
	json_t *req, *r, *val;
	int rc;

	snprintf(path, sizeof(path), "%s/zt-tapd.sock", o->rundir);
	if (access(path, F_OK) == -1 || json_string_value(json_object_get(n,
	    "id")) == NULL)
		return;
	req = json_pack("{s:s, s:s}", "cmd", "get", "nwid",
	    json_string_value(json_object_get(n, "id")));
	rc = ctl_call(o, "zt-tapd", req, &r);
	json_decref(req);
	if (rc != 0)
		return;
	json_object_foreach(r, k, val) {
		if ((v = json_string_value(val)) == NULL)
			continue;
		/* a CIDR list of allowManaged allows, restricted */
		json_object_set_new(n, k, json_boolean(strcmp(v, "0") != 0));
	}
	json_decref(r);
}

int
ctl_listnetworks(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r, *n;
	size_t i;
	int rc;

	if (argc != 0)
		return ctl_usage("listnetworks takes no arguments");
	if ((rc = ctl_net_call(o, json_pack("{s:s}", "cmd", "listnetworks"),
	    &r)) != 0)
		return rc;
	if (o->json) {
		json_array_foreach(r, i, n)
			ctl_net_merge_settings(o, n);
		rc = ctl_net_print(r);
		json_decref(r);
		return rc;
	}
	printf("%s\n", vl2_listnetworks_header());
	json_array_foreach(r, i, n)
		if (ctl_net_line(n) == -1)
			rc = ctl_error("zt-vl2d sent a malformed network");
	json_decref(r);
	return rc;
}

int
ctl_net_set(const struct ctl_opts *o, int argc, char **argv)
{
	const char *eq;
	char name[32];
	json_t *r;
	int rc;

	if (argc != 2)
		return ctl_usage("set takes <nwid> <setting>=<value>");
	if (ctl_net_nwid(argv[0]) == -1)
		return ctl_usage("invalid format: must be a 16-digit "
		    "(network) ID");
	if ((eq = strchr(argv[1], '=')) == NULL || eq == argv[1] ||
	    (size_t)(eq - argv[1]) >= sizeof(name))
		return ctl_usage("invalid format: include a property name "
		    "to set");
	memcpy(name, argv[1], (size_t)(eq - argv[1]));
	name[eq - argv[1]] = '\0';
	if (ctl_net_is_tapd_setting(name))
		return ctl_set(o, argc, argv);
	if ((rc = ctl_net_call(o, json_pack("{s:s, s:s, s:s, s:s}", "cmd",
	    "set", "nwid", argv[0], "name", name, "value", eq + 1), &r)) != 0)
		return rc;
	if (o->json)
		rc = ctl_net_print(r);
	else
		printf("200 set %s %s=%s\n", argv[0], name,
		    json_string_value(json_object_get(r, name)));
	json_decref(r);
	return rc;
}

/* ip, ip4, ip6, ip6plane, ip6prefix: zerotier-cli's address views */
static int
ctl_net_get_ips(json_t *n, const char *what)
{
	const char *s;
	char ip[128], *slash;
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(n, "assignedAddresses"), i, a) {
		if ((s = json_string_value(a)) == NULL)
			continue;
		snprintf(ip, sizeof(ip), "%s", s);
		if ((slash = strchr(ip, '/')) != NULL)
			*slash = '\0';
		if ((strcmp(what, "ip4") == 0 && strchr(ip, '.') == NULL) ||
		    (strcmp(what, "ip6") == 0 && strchr(ip, ':') == NULL) ||
		    ((strcmp(what, "ip6plane") == 0 ||
		    strcmp(what, "ip6prefix") == 0) &&
		    (strchr(ip, ':') == NULL || strncmp(ip, "fc", 2) != 0)))
			continue;
		if (strcmp(what, "ip6prefix") == 0)
			ip[24] = '\0';
		printf("%s\n", ip);
	}
	return 0;
}

int
ctl_net_get(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r, *n = NULL, *v = NULL;
	size_t i;
	int rc;

	if (argc != 2)
		return ctl_usage("get takes <nwid> <field>");
	if (ctl_net_nwid(argv[0]) == -1)
		return ctl_usage("invalid format: must be a 16-digit "
		    "(network) ID");
	if (ctl_net_is_tapd_setting(argv[1]))
		return ctl_get(o, argc, argv);
	if ((rc = ctl_net_call(o, json_pack("{s:s}", "cmd", "listnetworks"),
	    &r)) != 0)
		return rc;
	json_array_foreach(r, i, n)
		if (strcmp(json_string_value(json_object_get(n, "id")) ?
		    json_string_value(json_object_get(n, "id")) : "",
		    argv[0]) == 0)
			break;
	if (i == json_array_size(r)) {
		json_decref(r);
		return ctl_error("unknown network ID, check that you are a "
		    "member of the network");
	}
	if (strncmp(argv[1], "ip", 2) == 0 && (strcmp(argv[1], "ip") == 0 ||
	    strcmp(argv[1], "ip4") == 0 || strcmp(argv[1], "ip6") == 0 ||
	    strcmp(argv[1], "ip6plane") == 0 ||
	    strcmp(argv[1], "ip6prefix") == 0))
		rc = ctl_net_get_ips(n, argv[1]);
	else if ((v = json_object_get(n, argv[1])) == NULL ||
	    json_is_array(v) || json_is_object(v))
		rc = ctl_error("error, unknown property name");
	else if (o->json)
		rc = ctl_net_print(json_pack("{s:O}", argv[1], v));
	else if (json_is_string(v))
		printf("%s\n", json_string_value(v));
	else if (json_is_boolean(v))
		printf("%d\n", json_is_true(v) ? 1 : 0);
	else if (json_is_integer(v))
		printf("%lld\n", (long long)json_integer_value(v));
	else
		rc = ctl_error("error, unknown property name");
	json_decref(r);
	return rc;
}

/* zt-ctl rules test <nwid> <frame-hex> [in]: the explain trace */
int
ctl_rules_test(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r, *t;
	size_t i;
	int rc;

	if (argc != 2 && !(argc == 3 && strcmp(argv[2], "in") == 0))
		return ctl_usage("rules test takes <nwid> <frame-hex> [in]");
	if (ctl_net_nwid(argv[0]) == -1)
		return ctl_usage("invalid network id '%s'", argv[0]);
	if ((rc = ctl_net_call(o, json_pack("{s:s, s:s, s:s, s:b}", "cmd",
	    "rules-test", "nwid", argv[0], "frame", argv[1], "inbound",
	    argc == 3), &r)) != 0)
		return rc;
	if (o->json) {
		rc = ctl_net_print(r);
		json_decref(r);
		return rc;
	}
	json_array_foreach(json_object_get(r, "trace"), i, t)
		printf("  rule %lld %s%s: match %d set %d\n",
		    (long long)json_integer_value(json_object_get(t, "rule")),
		    json_is_true(json_object_get(t, "not")) ? "NOT " : "",
		    json_string_value(json_object_get(t, "type")),
		    json_is_true(json_object_get(t, "match")),
		    json_is_true(json_object_get(t, "set")));
	printf("%s by rule %lld: %s\n", json_string_value(json_object_get(r,
	    "result")), (long long)json_integer_value(json_object_get(r,
	    "rule")), json_integer_value(json_object_get(r, "accept")) != 0 &&
	    json_is_true(json_object_get(r, "deliver")) ? "accepted" :
	    "dropped");
	json_decref(r);
	return 0;
}
