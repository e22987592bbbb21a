/*
 * Network and member objects (spec/controller.md §4, §5.1, §5.2).  The
 * stored form is what ZeroTier One 1.14.1 writes, so its controller.d
 * files import unchanged and existing UIs read what they expect.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inetaddr.h"
#include "objects.h"
#include "rules.h"
#include "store.h"

const char *
ctrl_nwid_fmt(uint64_t v, char buf[17])
{
	snprintf(buf, 17, "%016" PRIx64, v);
	return buf;
}

const char *
ctrl_mid_fmt(uint64_t v, char buf[11])
{
	snprintf(buf, 11, "%010" PRIx64, (uint64_t)(v & 0xffffffffffULL));
	return buf;
}

int
ctrl_json_int(const json_t *v, int64_t *out)
{
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		*out = (int64_t)json_real_value(v);
		return 0;
	}
	if (json_is_boolean(v)) {
		*out = json_is_true(v) ? 1 : 0;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0)
		return -1;
	*out = n;
	return 0;
}

int
ctrl_json_bool(const json_t *v, bool *out)
{
	const char *s;

	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v) != 0;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

static void
ctrl_default(json_t *o, const char *key, json_t *v)
{
	if (json_object_get(o, key) == NULL)
		json_object_set_new(o, key, v);
	else
		json_decref(v);
}

void
ctrl_network_defaults(json_t *o, uint64_t nwid, int64_t now)
{
	char id[17];

	ctrl_nwid_fmt(nwid, id);
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "nwid", json_string(id));
	json_object_set_new(o, "objtype", json_string("network"));
	ctrl_default(o, "name", json_string(""));
	ctrl_default(o, "private", json_true());
	ctrl_default(o, "creationTime", json_integer(now));
	ctrl_default(o, "revision", json_integer(0));
	ctrl_default(o, "enableBroadcast", json_true());
	ctrl_default(o, "multicastLimit", json_integer(32));
	ctrl_default(o, "mtu", json_integer(2800));
	ctrl_default(o, "v4AssignMode", json_pack("{s:b}", "zt", 0));
	ctrl_default(o, "v6AssignMode", json_pack("{s:b, s:b, s:b}",
	    "6plane", 0, "rfc4193", 0, "zt", 0));
	ctrl_default(o, "ipAssignmentPools", json_array());
	ctrl_default(o, "routes", json_array());
	ctrl_default(o, "rules", json_pack("[{s:b, s:b, s:s}]", "not", 0,
	    "or", 0, "type", "ACTION_ACCEPT"));
	ctrl_default(o, "capabilities", json_array());
	ctrl_default(o, "tags", json_array());
	/* 1.14.1 stores this one-element array until tokens are set */
	ctrl_default(o, "authTokens", json_pack("[n]"));
	ctrl_default(o, "dns", json_array());
	ctrl_default(o, "remoteTraceTarget", json_null());
	/* the misspelled default check of 1.14.1 always resets it */
	json_object_set_new(o, "remoteTraceLevel", json_integer(0));
	ctrl_default(o, "rulesSource", json_string(""));
	ctrl_default(o, "ssoEnabled", json_false());
	ctrl_default(o, "clientId", json_string(""));
	ctrl_default(o, "authorizationEndpoint", json_string(""));
}

json_t *
ctrl_network_new(uint64_t nwid, int64_t now)
{
	json_t *o = json_object();

	if (o != NULL)
		ctrl_network_defaults(o, nwid, now);
	return o;
}

void
ctrl_network_clean(json_t *o)
{
	static const char *const drop[] = { "clock", "authorizedMemberCount",
	    "activeMemberCount", "totalMemberCount", "lastModified" };
	size_t i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(o, drop[i]);
}

/* "IP" or "IP/x" -> canonical IP text without prefix */
static int
ctrl_ip_canon(const char *s, struct inetaddr *a, char buf[INETADDR_STRLEN])
{
	if (inetaddr_parse(a, s) == -1)
		return -1;
	inetaddr_fmt_ip(a, buf);
	return 0;
}

static json_t *
ctrl_routes(const json_t *v)
{
	char t[INETADDR_STRLEN + 8], via[INETADDR_STRLEN];
	struct inetaddr ta, va;
	json_t *out = json_array(), *r, *x;
	const char *s;
	size_t i;

	json_array_foreach(v, i, r) {
		if (json_array_size(out) >= CTRL_ARRAY_MAX)
			break;
		if (!json_is_object(r) ||
		    (s = json_string_value(json_object_get(r, "target"))) ==
		    NULL)
			continue;
		/* a missing prefix is stored as /0 (observed) */
		if (strchr(s, '/') != NULL) {
			if (inetaddr_parse_cidr(&ta, s) == -1)
				continue;
		} else if (inetaddr_parse(&ta, s) == -1)
			continue;
		inetaddr_fmt(&ta, t);
		x = json_object_get(r, "via");
		if (json_is_string(x) &&
		    ctrl_ip_canon(json_string_value(x), &va, via) == 0 &&
		    va.family == ta.family)
			json_array_append_new(out, json_pack("{s:s, s:s}",
			    "target", t, "via", via));
		else
			json_array_append_new(out, json_pack("{s:s, s:n}",
			    "target", t, "via"));
	}
	return out;
}

static json_t *
ctrl_pools(const json_t *v)
{
	char s[INETADDR_STRLEN], e[INETADDR_STRLEN];
	struct inetaddr sa, ea;
	json_t *out = json_array(), *p, *a, *b;
	size_t i;

	json_array_foreach(v, i, p) {
		if (json_array_size(out) >= CTRL_ARRAY_MAX)
			break;
		a = json_object_get(p, "ipRangeStart");
		b = json_object_get(p, "ipRangeEnd");
		if (!json_is_string(a) || !json_is_string(b) ||
		    ctrl_ip_canon(json_string_value(a), &sa, s) == -1 ||
		    ctrl_ip_canon(json_string_value(b), &ea, e) == -1 ||
		    sa.family != ea.family)
			continue;
		json_array_append_new(out, json_pack("{s:s, s:s}",
		    "ipRangeStart", s, "ipRangeEnd", e));
	}
	return out;
}

/* controller JSON rules -> canonical rendering; invalid ones dropped */
static json_t *
ctrl_rules(const json_t *v)
{
	struct rule *r;
	size_t n = 0, dropped = 0, max = json_array_size(v);
	json_t *out;

	if (max > CTRL_ARRAY_MAX)
		max = CTRL_ARRAY_MAX;
	if ((r = calloc(max + 1, sizeof(*r))) == NULL)
		return NULL;
	if (rules_from_json(v, r, max, &n, &dropped) == -1)
		n = 0;
	out = rules_to_json(r, n);
	free(r);
	return out;
}

static int
ctrl_id_cmp(const void *a, const void *b)
{
	int64_t x = json_integer_value(json_object_get(*(json_t *const *)a,
	    "id"));
	int64_t y = json_integer_value(json_object_get(*(json_t *const *)b,
	    "id"));

	return x < y ? -1 : x > y;
}

/* objects with an "id": later duplicates win, sorted by id */
static json_t *
ctrl_sorted_by_id(json_t *objs)
{
	json_t **v, *out, *o;
	size_t i, j, n = json_array_size(objs), k = 0;

	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return objs;
	for (i = 0; i < n; i++) {
		o = json_array_get(objs, i);
		for (j = 0; j < k; j++)
			if (json_integer_value(json_object_get(v[j], "id")) ==
			    json_integer_value(json_object_get(o, "id")))
				break;
		v[j] = o;
		if (j == k)
			k++;
	}
	qsort(v, k, sizeof(*v), ctrl_id_cmp);
	out = json_array();
	for (i = 0; i < k; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(objs);
	return out;
}

/* an element of a capabilities or tags array: an object with a 32-bit id */
static bool
ctrl_elem_id(const json_t *e, int64_t *id)
{
	return json_is_object(e) &&
	    ctrl_json_int(json_object_get(e, "id"), id) == 0 &&
	    *id >= 0 && *id <= UINT32_MAX;
}

static json_t *
ctrl_capabilities(const json_t *v)
{
	json_t *out = json_array(), *c, *rules;
	int64_t id;
	bool def;
	size_t i;

	json_array_foreach(v, i, c) {
		if (json_array_size(out) >= CTRL_ARRAY_MAX)
			break;
		if (!ctrl_elem_id(c, &id))
			continue;
		if (ctrl_json_bool(json_object_get(c, "default"), &def) == -1)
			def = false;
		rules = json_is_array(json_object_get(c, "rules")) ?
		    ctrl_rules(json_object_get(c, "rules")) : json_array();
		json_array_append_new(out, json_pack("{s:I, s:b, s:o}",
		    "id", (json_int_t)id, "default", def, "rules", rules));
	}
	return ctrl_sorted_by_id(out);
}

static json_t *
ctrl_tag_defs(const json_t *v)
{
	json_t *out = json_array(), *t, *d;
	int64_t id, def;
	size_t i;

	json_array_foreach(v, i, t) {
		if (json_array_size(out) >= CTRL_ARRAY_MAX)
			break;
		if (!ctrl_elem_id(t, &id))
			continue;
		d = json_object_get(t, "default");
		if (d != NULL && !json_is_null(d) &&
		    ctrl_json_int(d, &def) == 0)
			json_array_append_new(out, json_pack("{s:I, s:I}",
			    "id", (json_int_t)id, "default", (json_int_t)def));
		else
			json_array_append_new(out, json_pack("{s:I, s:n}",
			    "id", (json_int_t)id, "default"));
	}
	return ctrl_sorted_by_id(out);
}

static json_t *
ctrl_auth_tokens(const json_t *v)
{
	json_t *out, *x;
	const char *k;
	int64_t n;

	if (!json_is_object(v))
		return json_pack("[n]");
	out = json_object();
	json_object_foreach((json_t *)v, k, x) {
		if (json_object_size(out) >= CTRL_ARRAY_MAX)
			break;
		if (json_is_number(x) && ctrl_json_int(x, &n) == 0 && n >= 0)
			json_object_set_new(out, k, json_integer(n));
	}
	return out;
}

static json_t *
ctrl_v6_mode(const json_t *v)
{
	static const char *const keys[] = { "rfc4193", "zt", "6plane" };
	json_t *out = json_object(), *x;
	const char *s;
	bool b;
	size_t i;

	if (json_is_object(v)) {
		/* only keys present are kept (observed) */
		for (i = 0; i < 3; i++)
			if ((x = json_object_get(v, keys[i])) != NULL) {
				if (ctrl_json_bool(x, &b) == -1)
					b = false;
				json_object_set_new(out, keys[i],
				    json_boolean(b));
			}
		return out;
	}
	s = json_is_string(v) ? json_string_value(v) : "";
	for (i = 0; i < 3; i++) {
		const char *p = strstr(s, keys[i]);
		size_t kl = strlen(keys[i]);

		b = false;
		while (p != NULL && !b) {
			if ((p == s || p[-1] == ',') &&
			    (p[kl] == '\0' || p[kl] == ','))
				b = true;
			p = strstr(p + 1, keys[i]);
		}
		json_object_set_new(out, keys[i], json_boolean(b));
	}
	return out;
}

static json_t *
ctrl_trace_target(const json_t *v)
{
	if (json_is_string(v) && strlen(json_string_value(v)) == 10)
		return json_string(json_string_value(v));
	return json_null();
}

static json_t *
ctrl_dns(const json_t *v)
{
	json_t *d = json_object_get(v, "domain");

	if (d == NULL)
		d = json_null();
	/* kept as given: 1.14.1 validates neither (spec §5.1) */
	if (json_is_array(json_object_get(v, "servers")))
		return json_pack("{s:O, s:O}", "domain", d, "servers",
		    json_object_get(v, "servers"));
	return json_pack("{s:O}", "domain", d);
}

/* the array and object keys of a network POST body */
static int
ctrl_network_struct_key(json_t *o, const char *k, json_t *v)
{
	json_t *(*fn)(const json_t *) = NULL;

	if (strcmp(k, "authTokens") == 0) {
		json_object_set_new(o, k, ctrl_auth_tokens(v));
		return 0;
	}
	if (strcmp(k, "dns") == 0) {
		if (!json_is_object(v))
			return -1;
		json_object_set_new(o, k, ctrl_dns(v));
		return 0;
	}
	if (strcmp(k, "routes") == 0)
		fn = ctrl_routes;
	else if (strcmp(k, "ipAssignmentPools") == 0)
		fn = ctrl_pools;
	else if (strcmp(k, "rules") == 0)
		fn = ctrl_rules;
	else if (strcmp(k, "capabilities") == 0)
		fn = ctrl_capabilities;
	else if (strcmp(k, "tags") == 0)
		fn = ctrl_tag_defs;
	else
		return 0;	/* other keys are ignored, as 1.14.1 does */
	if (!json_is_array(v))
		return -1;
	json_object_set_new(o, k, fn(v));
	return 0;
}

/*
 * What a POST body's keys are applied with: the request's time, and
 * whether a member key took the member's authorization away.
 */
struct ctrl_key_ctx {
	int64_t	 now;
	bool	 deauth;
};

/* one key of a network POST body; -1 for a type that cannot be read */
static int
ctrl_network_key(json_t *o, const char *k, json_t *v, struct ctrl_key_ctx *cx)
{
	int64_t n;
	bool b;

	if (strcmp(k, "name") == 0) {
		if (!json_is_string(v))
			return -1;
		json_object_set_new(o, k, json_string(json_string_value(v)));
	} else if (strcmp(k, "private") == 0) {
		if (ctrl_json_bool(v, &b) == -1)
			return -1;
		json_object_set_new(o, k, json_boolean(b));
	} else if (strcmp(k, "enableBroadcast") == 0) {
		if (ctrl_json_bool(v, &b) == -1)
			b = false;
		json_object_set_new(o, k, json_boolean(b));
	} else if (strcmp(k, "multicastLimit") == 0 ||
	    strcmp(k, "remoteTraceLevel") == 0) {
		if (ctrl_json_int(v, &n) == -1)
			return -1;
		json_object_set_new(o, k, json_integer(n));
	} else if (strcmp(k, "mtu") == 0) {
		if (ctrl_json_int(v, &n) == -1)
			return -1;
		if (n < CTRL_MTU_MIN)
			n = CTRL_MTU_MIN;
		if (n > CTRL_MTU_MAX)
			n = CTRL_MTU_MAX;
		json_object_set_new(o, k, json_integer(n));
	} else if (strcmp(k, "remoteTraceTarget") == 0) {
		json_object_set_new(o, k, ctrl_trace_target(v));
	} else if (strcmp(k, "v4AssignMode") == 0) {
		b = false;
		if (json_is_object(v)) {
			if (ctrl_json_bool(json_object_get(v, "zt"), &b) == -1)
				b = false;
		} else if (json_is_string(v))
			b = strcmp(json_string_value(v), "zt") == 0;
		json_object_set_new(o, k, json_pack("{s:b}", "zt", b));
	} else if (strcmp(k, "v6AssignMode") == 0) {
		json_object_set_new(o, k, ctrl_v6_mode(v));
	} else
		return ctrl_network_struct_key(o, k, v);
	return 0;
}

/* every key of body through fn, all or nothing */
static int
ctrl_apply(json_t *o, const json_t *body,
    int (*fn)(json_t *, const char *, json_t *, struct ctrl_key_ctx *),
    struct ctrl_key_ctx *cx, char *err, size_t errlen)
{
	json_t *work, *v;
	const char *k;

	if (!json_is_object(body)) {
		snprintf(err, errlen, "body must be a JSON object");
		return -1;
	}
	/* work on a copy so that a refused key changes nothing */
	if ((work = json_deep_copy(o)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_foreach((json_t *)body, k, v) {
		if (fn(work, k, v, cx) == -1) {
			snprintf(err, errlen, "bad value for \"%s\"", k);
			json_decref(work);
			return -1;
		}
	}
	json_object_update(o, work);
	json_decref(work);
	return 0;
}

/*
 * A capability credential carries at most 1.14.1's per-capability limit;
 * cutting a longer list would hand members a different rule set than the
 * one stored, so the whole request is refused instead.
 */
static int
ctrl_cap_rule_limit(const json_t *caps, char *err, size_t errlen)
{
	const json_t *c, *rules;
	size_t i;

	if (!json_is_array(caps))
		return 0;
	json_array_foreach(caps, i, c) {
		rules = json_object_get(c, "rules");
		if (json_is_array(rules) &&
		    json_array_size(rules) > RULES_MAX_CAPABILITY) {
			snprintf(err, errlen, "\"capabilities\"[%zu]: %zu "
			    "rules, at most %d allowed", i,
			    json_array_size(rules), RULES_MAX_CAPABILITY);
			return -1;
		}
	}
	return 0;
}

int
ctrl_network_apply(json_t *o, const json_t *body, char *err, size_t errlen)
{
	struct ctrl_key_ctx cx = { 0, false };
	const json_t *rules = json_object_get(body, "rules");

	/* members could not hold more than 1.14.1's per-network limit */
	if (json_is_array(rules) &&
	    json_array_size(rules) > RULES_MAX_NETWORK) {
		snprintf(err, errlen, "\"rules\": %zu rules, at most %d "
		    "allowed", json_array_size(rules), RULES_MAX_NETWORK);
		return -1;
	}
	if (ctrl_cap_rule_limit(json_object_get(body, "capabilities"), err,
	    errlen) == -1)
		return -1;
	if (ctrl_apply(o, body, ctrl_network_key, &cx, err, errlen) == -1)
		return -1;
	ctrl_network_clean(o);
	return 0;
}

void
ctrl_member_defaults(json_t *o, uint64_t nwid, uint64_t mid, int64_t now)
{
	char n[17], m[11];

	ctrl_nwid_fmt(nwid, n);
	ctrl_mid_fmt(mid, m);
	ctrl_default(o, "id", json_string(m));
	ctrl_default(o, "address", json_string(m));
	json_object_set_new(o, "nwid", json_string(n));
	json_object_set_new(o, "objtype", json_string("member"));
	ctrl_default(o, "authorized", json_false());
	ctrl_default(o, "activeBridge", json_false());
	ctrl_default(o, "noAutoAssignIps", json_false());
	ctrl_default(o, "ipAssignments", json_array());
	ctrl_default(o, "capabilities", json_array());
	ctrl_default(o, "tags", json_array());
	ctrl_default(o, "creationTime", json_integer(now));
	ctrl_default(o, "revision", json_integer(0));
	ctrl_default(o, "lastAuthorizedTime", json_integer(0));
	ctrl_default(o, "lastDeauthorizedTime", json_integer(0));
	ctrl_default(o, "lastAuthorizedCredentialType", json_null());
	ctrl_default(o, "lastAuthorizedCredential", json_null());
	ctrl_default(o, "authenticationExpiryTime", json_integer(0));
	ctrl_default(o, "ssoExempt", json_false());
	ctrl_default(o, "vMajor", json_integer(-1));
	ctrl_default(o, "vMinor", json_integer(-1));
	ctrl_default(o, "vRev", json_integer(-1));
	ctrl_default(o, "vProto", json_integer(-1));
	ctrl_default(o, "remoteTraceTarget", json_null());
	/* same reset quirk as networks (§4.2) */
	json_object_set_new(o, "remoteTraceLevel", json_integer(0));
}

json_t *
ctrl_member_new(uint64_t nwid, uint64_t mid, int64_t now)
{
	json_t *o = json_object();

	if (o != NULL)
		ctrl_member_defaults(o, nwid, mid, now);
	return o;
}

void
ctrl_member_clean(json_t *o)
{
	static const char *const drop[] = { "clock", "physicalAddr",
	    "recentLog", "lastModified", "lastRequestMetaData",
	    "authenticationURL", "authenticationClientID" };
	size_t i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(o, drop[i]);
}

static int
ctrl_ips(const json_t *v, json_t **out)
{
	char buf[INETADDR_STRLEN];
	struct inetaddr a;
	json_t *x;
	size_t i;

	if (!json_is_array(v))
		return -1;
	*out = json_array();
	json_array_foreach(v, i, x) {
		/* a non-string element fails the request (observed) */
		if (!json_is_string(x)) {
			json_decref(*out);
			return -1;
		}
		if (json_array_size(*out) < CTRL_ARRAY_MAX &&
		    ctrl_ip_canon(json_string_value(x), &a, buf) == 0)
			json_array_append_new(*out, json_string(buf));
	}
	return 0;
}

static int
ctrl_u64_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* member tags: [[id, value], ...], later ids win, sorted */
static int
ctrl_member_tags(const json_t *v, json_t **out)
{
	int64_t (*t)[2], id, val;
	size_t i, j, n = 0;
	json_t *x;

	if (!json_is_array(v))
		return -1;
	if ((t = calloc(json_array_size(v) + 1, sizeof(*t))) == NULL)
		return -1;
	json_array_foreach(v, i, x) {
		if (n >= CTRL_ARRAY_MAX)
			break;
		if (!json_is_array(x) || json_array_size(x) != 2 ||
		    ctrl_json_int(json_array_get(x, 0), &id) == -1 ||
		    ctrl_json_int(json_array_get(x, 1), &val) == -1 ||
		    id < 0 || id > UINT32_MAX || val < 0 || val > UINT32_MAX)
			continue;
		for (j = 0; j < n && t[j][0] != id; j++)
			;
		t[j][0] = id;
		t[j][1] = val;
		if (j == n)
			n++;
	}
	qsort(t, n, sizeof(*t), ctrl_u64_cmp);
	*out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(*out, json_pack("[I, I]",
		    (json_int_t)t[i][0], (json_int_t)t[i][1]));
	free(t);
	return 0;
}

static int
ctrl_member_caps(const json_t *v, json_t **out)
{
	int64_t *c;
	size_t i, n = 0;
	json_t *x;

	if (!json_is_array(v))
		return -1;
	if ((c = calloc(json_array_size(v) + 1, sizeof(*c))) == NULL)
		return -1;
	json_array_foreach(v, i, x)
		if (n < CTRL_ARRAY_MAX && ctrl_json_int(x, &c[n]) == 0 &&
		    c[n] >= 0 && c[n] <= UINT32_MAX)
			n++;
	qsort(c, n, sizeof(*c), ctrl_u64_cmp);
	*out = json_array();
	for (i = 0; i < n; i++)
		if (i == 0 || c[i] != c[i - 1])
			json_array_append_new(*out, json_integer(c[i]));
	free(c);
	return 0;
}

static int
ctrl_member_key(json_t *o, const char *k, json_t *v, struct ctrl_key_ctx *cx)
{
	json_t *x = NULL;
	int64_t n;
	bool b;

	if (strcmp(k, "activeBridge") == 0 ||
	    strcmp(k, "noAutoAssignIps") == 0) {
		if (ctrl_json_bool(v, &b) == -1)
			return -1;
		json_object_set_new(o, k, json_boolean(b));
	} else if (strcmp(k, "authenticationExpiryTime") == 0 ||
	    strcmp(k, "remoteTraceLevel") == 0) {
		if (ctrl_json_int(v, &n) == -1)
			return -1;
		json_object_set_new(o, k, json_integer(n));
	} else if (strcmp(k, "name") == 0) {
		if (!json_is_string(v))
			return -1;
		json_object_set_new(o, k, json_string(json_string_value(v)));
	} else if (strcmp(k, "remoteTraceTarget") == 0) {
		json_object_set_new(o, k, ctrl_trace_target(v));
	} else if (strcmp(k, "authorized") == 0) {
		if (ctrl_json_bool(v, &b) == -1)
			return -1;
		if (b == json_is_true(json_object_get(o, k)))
			return 0;
		json_object_set_new(o, k, json_boolean(b));
		if (b) {
			json_object_set_new(o, "lastAuthorizedTime",
			    json_integer(cx->now));
			json_object_set_new(o, "lastAuthorizedCredentialType",
			    json_string("api"));
			json_object_set_new(o, "lastAuthorizedCredential",
			    json_null());
		} else {
			json_object_set_new(o, "lastDeauthorizedTime",
			    json_integer(cx->now));
			cx->deauth = true;
		}
	} else if (strcmp(k, "ipAssignments") == 0) {
		if (ctrl_ips(v, &x) == -1)
			return -1;
		json_object_set_new(o, k, x);
	} else if (strcmp(k, "tags") == 0) {
		if (ctrl_member_tags(v, &x) == -1)
			return -1;
		json_object_set_new(o, k, x);
	} else if (strcmp(k, "capabilities") == 0) {
		if (ctrl_member_caps(v, &x) == -1)
			return -1;
		json_object_set_new(o, k, x);
	}
	return 0;
}

int
ctrl_member_apply(json_t *o, const json_t *body, int64_t now,
    bool *deauthorized, char *err, size_t errlen)
{
	struct ctrl_key_ctx cx = { now, false };

	*deauthorized = false;
	if (ctrl_apply(o, body, ctrl_member_key, &cx, err, errlen) == -1)
		return -1;
	ctrl_member_clean(o);
	*deauthorized = cx.deauth;
	return 0;
}

void
ctrl_obj_count_change(struct ctrl_store_counts *c, uint64_t nwid,
    bool member, const json_t *before, const json_t *after)
{
	bool was, is;

	if (nwid == 0)
		return;
	if (!member) {
		c->network_changes++;
		return;
	}
	c->member_changes++;
	was = before != NULL && json_is_true(json_object_get(before,
	    "authorized"));
	is = after != NULL && json_is_true(json_object_get(after,
	    "authorized"));
	if (!was && is)
		c->member_auths++;
	else if (was && !is)
		c->member_deauths++;
}

bool
ctrl_obj_changed(const json_t *stored, const json_t *next)
{
	json_t *a, *b;
	bool changed;

	if (stored == NULL)
		return true;
	a = json_deep_copy(stored);
	b = json_deep_copy(next);
	if (a == NULL || b == NULL) {
		json_decref(a);
		json_decref(b);
		return true;
	}
	json_object_del(a, "revision");
	json_object_del(b, "revision");
	changed = !json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return changed;
}
