/* zt-ctl info / peers / ping: questions for zt-vl1d */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "hex.h"

static int
ctl_print_json_reply(json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s == NULL)
		return ctl_error("out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

int
ctl_info(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *req, *r;
	int rc;

	if (argc != 0)
		return ctl_usage("info takes no arguments");
	req = json_pack("{s:s}", "cmd", "info");
	rc = ctl_call(o, "zt-vl1d", req, &r);
	json_decref(req);
	if (rc != 0)
		return rc;
	if (o->json)
		rc = ctl_print_json_reply(r);
	else
		printf("200 info %s %s %s\n",
		    json_string_value(json_object_get(r, "address")),
		    json_string_value(json_object_get(r, "version")),
		    json_is_true(json_object_get(r, "online")) ? "ONLINE" :
		    "OFFLINE");
	json_decref(r);
	return rc;
}

static void
ctl_peer_line(json_t *p)
{
	json_t *paths = json_object_get(p, "paths"), *x, *pref = NULL;
	const char *link = "RELAY";
	size_t i;

	json_array_foreach(paths, i, x)
		if (json_is_true(json_object_get(x, "preferred")))
			pref = x;
	if (pref != NULL)
		link = "DIRECT";
	printf("200 listpeers %s %s %lld %s %s %s\n",
	    json_string_value(json_object_get(p, "address")),
	    pref != NULL ? json_string_value(json_object_get(pref,
	    "address")) : "-",
	    (long long)json_integer_value(json_object_get(p, "latency")),
	    json_string_value(json_object_get(p, "version")),
	    json_string_value(json_object_get(p, "role")), link);
}

int
ctl_peers(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *req, *r, *p;
	size_t i;
	int rc;

	if (argc != 0)
		return ctl_usage("peers takes no arguments");
	req = json_pack("{s:s}", "cmd", "peers");
	rc = ctl_call(o, "zt-vl1d", req, &r);
	json_decref(req);
	if (rc != 0)
		return rc;
	if (o->json)
		rc = ctl_print_json_reply(r);
	else {
		printf("200 listpeers <ztaddr> <path> <latency> <version> "
		    "<role> <link>\n");
		json_array_foreach(r, i, p)
			ctl_peer_line(p);
	}
	json_decref(r);
	return rc;
}

int
ctl_ping(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *req, *r, *e;
	uint64_t a;
	int rc;

	if (argc != 1)
		return ctl_usage("ping takes one address");
	if (strlen(argv[0]) != 10 || hex_parse_u64(argv[0], 10, &a) == -1)
		return ctl_usage("'%s' is not a ZeroTier address", argv[0]);
	req = json_pack("{s:s, s:s}", "cmd", "ping", "address", argv[0]);
	rc = ctl_call(o, "zt-vl1d", req, &r);
	json_decref(req);
	if (rc != 0)
		return rc;
	if ((e = json_object_get(r, "error")) != NULL)
		rc = ctl_error("ping: %s", json_string_value(e));
	else if (o->json)
		rc = ctl_print_json_reply(r);
	else
		printf("200 ping %s sent\n", argv[0]);
	json_decref(r);
	return rc;
}
