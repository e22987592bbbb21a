/*
 * zt-ctl info, peers, listpeers, ping, orbit, deorbit, listmoons:
 * questions for zt-vl1d, printed as zerotier-cli prints them
 * (spec/service.md §7.2).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "hex.h"

static int
ctl_print_json_reply(json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(1) | JSON_SORT_KEYS);

	if (s == NULL)
		return ctl_error("out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

/*
 * info -j: zt-vl1d's reply carries its own "counters"; each other daemon
 * whose socket is there adds {"counters": {...}} under its name.
 */
static void
ctl_info_counters(const struct ctl_opts *o, json_t *info)
{
	static const char *const daemons[] = {
		"zt-vl2d", "zt-tapd", "zt-controllerd",
	};
	char path[PATH_MAX];
	json_t *req, *r;
	size_t i;

	for (i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.sock", o->rundir,
		    daemons[i]);
		if (access(path, F_OK) == -1)
			continue;
		req = json_pack("{s:s}", "cmd", "counters");
		if (ctl_call(o, daemons[i], req, &r) == 0) {
			if (json_is_object(r) &&
			    json_object_get(r, "error") == NULL)
				json_object_set_new(info, daemons[i],
				    json_pack("{s:O}", "counters", r));
			json_decref(r);
		}
		json_decref(req);
	}
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
	if (o->json) {
		ctl_info_counters(o, r);
		rc = ctl_print_json_reply(r);
	} else
		printf("200 info %s %s %s\n",
		    json_string_value(json_object_get(r, "address")),
		    json_string_value(json_object_get(r, "version")),
		    json_is_true(json_object_get(r, "tcpFallbackActive")) ?
		    "TUNNELED" : json_is_true(json_object_get(r, "online")) ?
		    "ONLINE" : "OFFLINE");
	json_decref(r);
	return rc;
}

/* ms since t by our clock, -1 for never (zerotier-cli's convention) */
static long long
ctl_age(json_t *o, const char *key)
{
	struct timespec ts;
	long long t = (long long)json_integer_value(json_object_get(o, key));

	if (t <= 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t;
}

static json_t *
ctl_preferred_path(json_t *p)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(p, "paths"), i, x)
		if (json_is_true(json_object_get(x, "preferred")))
			return x;
	return NULL;
}

/* "-1.-1.-1" (never heard a HELLO) prints as "-" */
static const char *
ctl_peer_version(json_t *p)
{
	const char *v = json_string_value(json_object_get(p, "version"));

	return v == NULL || v[0] == '-' ? "-" : v;
}

static void
ctl_listpeers_line(json_t *p)
{
	json_t *x = ctl_preferred_path(p);
	char path[128] = "-";

	if (x != NULL)
		snprintf(path, sizeof(path), "%s;%lld;%lld",
		    json_string_value(json_object_get(x, "address")),
		    ctl_age(x, "lastSend"), ctl_age(x, "lastReceive"));
	printf("200 listpeers %s %s %lld %s %s\n",
	    json_string_value(json_object_get(p, "address")), path,
	    (long long)json_integer_value(json_object_get(p, "latency")),
	    ctl_peer_version(p),
	    json_string_value(json_object_get(p, "role")));
}

static void
ctl_peers_line(json_t *p)
{
	json_t *x = ctl_preferred_path(p);

	printf("%s %-6s %-6s %5d ",
	    json_string_value(json_object_get(p, "address")),
	    ctl_peer_version(p),
	    json_string_value(json_object_get(p, "role")),
	    (int)json_integer_value(json_object_get(p, "latency")));
	if (x == NULL) {
		printf("RELAY\n");
		return;
	}
	printf("%s%-8lld %-8lld %s\n",
	    json_is_true(json_object_get(p, "tunneled")) ? "RELAY " :
	    "DIRECT   ", ctl_age(x, "lastSend"), ctl_age(x, "lastReceive"),
	    json_string_value(json_object_get(x, "address")));
}

static int
ctl_peer_table(const struct ctl_opts *o, bool list)
{
	json_t *req, *r, *p;
	size_t i;
	int rc;

	req = json_pack("{s:s}", "cmd", "peers");
	rc = ctl_call(o, "zt-vl1d", req, &r);
	json_decref(req);
	if (rc != 0)
		return rc;
	if (o->json)
		rc = ctl_print_json_reply(r);
	else if (list) {
		printf("200 listpeers <ztaddr> <path> <latency> <version> "
		    "<role>\n");
		json_array_foreach(r, i, p)
			ctl_listpeers_line(p);
	} else {
		printf("200 peers\n<ztaddr>   <ver>  <role> <lat> <link>   "
		    "<lastTX> <lastRX> <path>\n");
		json_array_foreach(r, i, p)
			ctl_peers_line(p);
	}
	json_decref(r);
	return rc;
}

int
ctl_peers(const struct ctl_opts *o, int argc, char **argv)
{
	if (argc != 0)
		return ctl_usage("peers takes no arguments");
	return ctl_peer_table(o, false);
}

int
ctl_listpeers(const struct ctl_opts *o, int argc, char **argv)
{
	if (argc != 0)
		return ctl_usage("listpeers takes no arguments");
	return ctl_peer_table(o, true);
}

/* one request whose reply may carry {"error": ...} */
static int
ctl_simple(const struct ctl_opts *o, json_t *req, const char *what,
    bool always_json)
{
	json_t *r, *e;
	int rc;

	rc = ctl_call(o, "zt-vl1d", req, &r);
	json_decref(req);
	if (rc != 0)
		return rc;
	if (json_is_object(r) && (e = json_object_get(r, "error")) != NULL)
		rc = ctl_error("%s: %s", what, json_string_value(e));
	else if (o->json || always_json)
		rc = ctl_print_json_reply(r);
	else
		printf("200 %s OK\n", what);
	json_decref(r);
	return rc;
}

/* hex, at most digits long, not zero (zerotier-cli ignores a zero id) */
static int
ctl_hex_arg(const char *s, size_t digits, uint64_t *v)
{
	return strlen(s) == 0 || strlen(s) > digits ||
	    hex_parse_u64(s, strlen(s), v) == -1 || *v == 0 ? -1 : 0;
}

int
ctl_listmoons(const struct ctl_opts *o, int argc, char **argv)
{
	if (argc != 0)
		return ctl_usage("listmoons takes no arguments");
	/* zerotier-cli prints moons as JSON with or without -j */
	return ctl_simple(o, json_pack("{s:s}", "cmd", "listmoons"),
	    "listmoons", true);
}

int
ctl_orbit(const struct ctl_opts *o, int argc, char **argv)
{
	char id[17], seed[11];
	uint64_t a, b;

	if (argc != 2)
		return ctl_usage("orbit takes a world id and a seed address");
	if (ctl_hex_arg(argv[0], 16, &a) == -1)
		return ctl_usage("'%s' is not a world id", argv[0]);
	if (ctl_hex_arg(argv[1], 10, &b) == -1)
		return ctl_usage("'%s' is not a ZeroTier address", argv[1]);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)a);
	snprintf(seed, sizeof(seed), "%010llx", (unsigned long long)b);
	return ctl_simple(o, json_pack("{s:s, s:s, s:s}", "cmd", "orbit",
	    "id", id, "seed", seed), "orbit", false);
}

int
ctl_deorbit(const struct ctl_opts *o, int argc, char **argv)
{
	char id[17];
	uint64_t a;

	if (argc != 1)
		return ctl_usage("deorbit takes a world id");
	if (ctl_hex_arg(argv[0], 16, &a) == -1)
		return ctl_usage("'%s' is not a world id", argv[0]);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)a);
	return ctl_simple(o, json_pack("{s:s, s:s}", "cmd", "deorbit",
	    "id", id), "deorbit", false);
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
