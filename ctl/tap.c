/*
 * zt-ctl set / get / tap list: zt-tapd's per-network settings (the
 * allowManaged, allowGlobal, allowDefault and allowDNS of ZeroTier One's
 * local.conf, spec/service.md §4) and the TAP devices it holds.  Only
 * root and group zt reach zt-tapd's socket; zt-tapd itself refuses
 * zt-vl2d's uid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "hex.h"

static int
ctl_tap_print(json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s == NULL)
		return ctl_error("out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

static int
ctl_tap_nwid(const char *s)
{
	uint64_t v;

	if (strlen(s) != 16 || hex_parse_u64(s, 16, &v) == -1 || v == 0)
		return -1;
	return 0;
}

/* the reply, or an exit status when zt-tapd said no */
static int
ctl_tap_call(const struct ctl_opts *o, json_t *req, json_t **r)
{
	json_t *e;
	int rc;

	rc = ctl_call(o, "zt-tapd", req, r);
	json_decref(req);
	if (rc != 0)
		return rc;
	if ((e = json_object_get(*r, "error")) != NULL) {
		rc = ctl_error("%s", json_string_value(e));
		json_decref(*r);
		*r = NULL;
	}
	return rc;
}

int
ctl_set(const struct ctl_opts *o, int argc, char **argv)
{
	char name[32];
	const char *eq;
	json_t *r;
	int rc;

	if (argc != 2)
		return ctl_usage("set takes <nwid> <setting>=<value>");
	if (ctl_tap_nwid(argv[0]) == -1)
		return ctl_usage("'%s' is not a network id", argv[0]);
	if ((eq = strchr(argv[1], '=')) == NULL || eq == argv[1] ||
	    (size_t)(eq - argv[1]) >= sizeof(name))
		return ctl_usage("'%s' is not <setting>=<value>", argv[1]);
	memcpy(name, argv[1], (size_t)(eq - argv[1]));
	name[eq - argv[1]] = '\0';
	rc = ctl_tap_call(o, json_pack("{s:s, s:s, s:s, s:s}", "cmd", "set",
	    "nwid", argv[0], "name", name, "value", eq + 1), &r);
	if (rc != 0)
		return rc;
	if (o->json)
		rc = ctl_tap_print(r);
	else
		printf("200 set %s %s=%s\n", argv[0], name,
		    json_string_value(json_object_get(r, name)));
	json_decref(r);
	return rc;
}

int
ctl_get(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r;
	int rc;

	if (argc != 2)
		return ctl_usage("get takes <nwid> <setting>");
	if (ctl_tap_nwid(argv[0]) == -1)
		return ctl_usage("'%s' is not a network id", argv[0]);
	rc = ctl_tap_call(o, json_pack("{s:s, s:s, s:s}", "cmd", "get",
	    "nwid", argv[0], "name", argv[1]), &r);
	if (rc != 0)
		return rc;
	if (o->json)
		rc = ctl_tap_print(r);
	else
		printf("%s\n", json_string_value(json_object_get(r,
		    argv[1])));
	json_decref(r);
	return rc;
}

static int
ctl_tap_list(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r, *d, *s;
	size_t i;
	int rc;

	if (argc != 0)
		return ctl_usage("tap list takes no arguments");
	rc = ctl_tap_call(o, json_pack("{s:s}", "cmd", "tap-list"), &r);
	if (rc != 0)
		return rc;
	if (o->json) {
		rc = ctl_tap_print(r);
		json_decref(r);
		return rc;
	}
	printf("200 listtaps <nwid> <device> <ifindex> <allowManaged> "
	    "<allowGlobal> <allowDefault> <allowDNS>\n");
	json_array_foreach(r, i, d) {
		s = json_object_get(d, "settings");
		printf("200 listtaps %s %s %lld %s %s %s %s\n",
		    json_string_value(json_object_get(d, "nwid")),
		    json_string_value(json_object_get(d, "name")),
		    (long long)json_integer_value(json_object_get(d,
		    "ifindex")),
		    json_string_value(json_object_get(s, "allowManaged")),
		    json_string_value(json_object_get(s, "allowGlobal")),
		    json_string_value(json_object_get(s, "allowDefault")),
		    json_string_value(json_object_get(s, "allowDNS")));
	}
	json_decref(r);
	return 0;
}

const struct ctl_cmd ctl_tap_cmds[] = {
	{ "list", "", "TAP devices zt-tapd holds, with their settings",
	    ctl_tap_list, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
