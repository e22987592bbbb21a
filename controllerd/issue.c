/*
 * Config issuance (spec/controller.md §2-§3): decision, member update,
 * config and credentials, then signing in two stages through typed
 * requests (common/signreq.h) so the secret key stays in zt-vl1d's key
 * holder.  The network and member objects come from our own database
 * but are still read defensively: a wrong type is a default, never a
 * crash.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "credential.h"
#include "issue.h"
#include "log.h"
#include "mac.h"
#include "signreq.h"

#define ISSUE_MAX_POOL_TRIALS	1000
/* 1.14.1 reads the presented token into 512 bytes */
#define ISSUE_TEXT_MAX		512

/* keys 1.14.1 removes before saving a member (§4.2) */
static const char *const issue_member_transient[] = {
	"clock", "physicalAddr", "recentLog", "lastModified",
	"lastRequestMetaData", "authenticationURL", "authenticationClientID",
};

static bool
jbool(const json_t *o, const char *k, bool dfl)
{
	const json_t *v = json_object_get(o, k);
	const char *s;

	if (v == NULL || json_is_null(v))
		return dfl;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_string(v)) {
		s = json_string_value(v);
		return s[0] == '1' || s[0] == 't' || s[0] == 'T';
	}
	return dfl;
}

static int64_t	 jval(const json_t *);

static int64_t
jint(const json_t *o, const char *k, int64_t dfl)
{
	const json_t *v = json_object_get(o, k);

	if (v == NULL || !(json_is_number(v) || json_is_string(v) ||
	    json_is_boolean(v)))
		return dfl;
	return jval(v);
}

/* 1.14.1's jsonInt on a bare value: number, decimal string or bool */
static int64_t
jval(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_boolean(v))
		return json_is_true(v) ? 1 : 0;
	return 0;
}

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
jset(json_t *o, const char *k, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, k, v);
}

static int
jdefault(json_t *o, const char *k, json_t *v)
{
	if (json_object_get(o, k) != NULL) {
		json_decref(v);
		return 0;
	}
	return jset(o, k, v);
}

static int
jset_hex(json_t *o, const char *k, uint64_t v, int digits)
{
	char buf[17];

	snprintf(buf, sizeof(buf), "%0*llx", digits, (unsigned long long)v);
	return jset(o, k, json_string(buf));
}

int
issue_member_defaults(json_t *m, uint64_t nwid, uint64_t addr, int64_t now)
{
	int rc = 0;

	rc |= jdefault(m, "authorized", json_false());
	rc |= jdefault(m, "ssoExempt", json_false());
	rc |= jdefault(m, "authenticationExpiryTime", json_integer(0));
	rc |= jdefault(m, "activeBridge", json_false());
	rc |= jdefault(m, "noAutoAssignIps", json_false());
	rc |= jdefault(m, "ipAssignments", json_array());
	rc |= jdefault(m, "capabilities", json_array());
	rc |= jdefault(m, "tags", json_array());
	rc |= jdefault(m, "creationTime", json_integer(now));
	rc |= jdefault(m, "revision", json_integer(0));
	rc |= jdefault(m, "lastAuthorizedTime", json_integer(0));
	rc |= jdefault(m, "lastDeauthorizedTime", json_integer(0));
	rc |= jdefault(m, "lastAuthorizedCredentialType", json_null());
	rc |= jdefault(m, "lastAuthorizedCredential", json_null());
	rc |= jdefault(m, "vMajor", json_integer(-1));
	rc |= jdefault(m, "vMinor", json_integer(-1));
	rc |= jdefault(m, "vRev", json_integer(-1));
	rc |= jdefault(m, "vProto", json_integer(-1));
	rc |= jdefault(m, "remoteTraceTarget", json_null());
	/* 1.14.1 resets the level on every default fill (§8, quirk) */
	rc |= jset(m, "remoteTraceLevel", json_integer(0));
	rc |= jset(m, "objtype", json_string("member"));
	rc |= jset_hex(m, "id", addr, 10);
	rc |= jset_hex(m, "address", addr, 10);
	rc |= jset_hex(m, "nwid", nwid, 16);
	return rc == 0 ? 0 : -1;
}

static void
issue_member_clean(json_t *m)
{
	size_t i;

	for (i = 0; i < sizeof(issue_member_transient) /
	    sizeof(issue_member_transient[0]); i++)
		json_object_del(m, issue_member_transient[i]);
}

static uint64_t
issue_random64(void)
{
	uint64_t v = 0;

	while (v == 0)
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			fatalx("no randomness");
	return v;
}

/* §2.2: 0 when pinned to this identity (pinning it if not yet) */
static int
issue_pin(json_t *m, const struct identity *id)
{
	char text[IDENTITY_STRING_MAX];
	struct identity pinned;
	const char *s = jstr(m, "identity");
	bool same;

	if (s != NULL && s[0] != '\0') {
		memset(&pinned, 0, sizeof(pinned));
		if (identity_from_string(&pinned, s) == -1)
			return -1;
		same = identity_equal_public(&pinned, id);
		identity_clear(&pinned);
		return same ? 0 : -1;
	}
	if (identity_to_string(id, false, text, sizeof(text)) == -1)
		return -1;
	return jset(m, "identity", json_string(text));
}

/* §2.3 automatic authorization: "public", "token" or NULL */
static const char *
issue_auto_auth(const json_t *net, const struct dict *meta, int64_t now,
    char token[ISSUE_TEXT_MAX])
{
	const json_t *toks, *v;
	size_t len = 0;

	if (!jbool(net, "private", true))
		return "public";
	if (meta == NULL || dict_get(meta, "a", token, ISSUE_TEXT_MAX - 1,
	    &len) == -1)
		return NULL;
	token[len] = '\0';
	if (len <= 6 || strncmp(token, "token:", 6) != 0 ||
	    strlen(token) != len)
		return NULL;
	memmove(token, token + 6, len - 6 + 1);
	toks = json_object_get(net, "authTokens");
	if (!json_is_object(toks) || (v = json_object_get(toks, token)) ==
	    NULL || !json_is_integer(v))
		return NULL;
	if (json_integer_value(v) == 0 || json_integer_value(v) > now)
		return "token";
	return NULL;
}

static int
issue_authorize(json_t *m, const char *how, const char *token, int64_t now)
{
	int rc = 0;

	rc |= jset(m, "authorized", json_true());
	rc |= jset(m, "lastAuthorizedTime", json_integer(now));
	rc |= jset(m, "lastAuthorizedCredentialType", json_string(how));
	rc |= jset(m, "lastAuthorizedCredential",
	    strcmp(how, "token") == 0 ? json_string(token) : json_null());
	return rc == 0 ? 0 : -1;
}

static struct issue_job *
issue_job_new(const struct issue_params *p)
{
	struct issue_job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->nwid = p->nwid;
	j->member = p->member->address;
	j->packet_id = p->packet_id;
	dict_init(&j->dict, DICT_CAP_NETCONF);
	return j;
}

void
issue_job_free(struct issue_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	json_decref(j->member_obj);
	netconf_free(j->nc);
	for (i = 0; i < j->nsign; i++)
		free(j->sign[i].body);
	free(j->sign);
	dict_free(&j->dict);
	netconf_chunks_free(&j->chunks);
	free(j->packet);
	free(j);
}

/* the member as it will be saved; whether it differs from the stored */
static void
issue_keep_member(struct issue_job *j, json_t *m, const json_t *orig)
{
	issue_member_clean(m);
	j->member_changed = orig == NULL || !json_equal(m, (json_t *)orig);
	j->member_obj = m;
}

static int	 issue_build(struct issue_job *, const struct issue_params *,
		    json_t *, bool);

int
issue_request(const struct issue_params *p, struct issue_job **out)
{
	char token[ISSUE_TEXT_MAX];
	struct issue_job *j;
	const char *how;
	json_t *m = NULL;
	bool is_new;

	*out = NULL;
	if ((j = issue_job_new(p)) == NULL)
		return -1;
	*out = j;
	if (cred_controller(p->nwid) != p->controller) {
		j->result = ISSUE_IGNORE;
		return 0;
	}
	if (!json_is_object(p->network)) {
		j->result = ISSUE_NOT_FOUND;
		return 0;
	}
	is_new = !json_is_object(p->member_obj);
	m = is_new ? json_object() :
	    json_deep_copy((json_t *)p->member_obj);
	if (m == NULL || issue_member_defaults(m, p->nwid, j->member,
	    p->now) == -1)
		goto fail;
	if (issue_pin(m, p->member) == -1) {
		/* a different identity under this address: nothing saved */
		json_decref(m);
		j->result = ISSUE_ACCESS_DENIED;
		return 0;
	}
	if (!jbool(m, "authorized", false) &&
	    (how = issue_auto_auth(p->network, p->meta, p->now, token)) !=
	    NULL && issue_authorize(m, how, token, p->now) == -1)
		goto fail;
	/* 1.14.1 asks for SSO before it looks at the verdict (§2.4) */
	if (jbool(p->network, "ssoEnabled", false) &&
	    !jbool(m, "ssoExempt", false) &&
	    jint(m, "authenticationExpiryTime", 0) <= p->now) {
		j->result = ISSUE_AUTH_REQUIRED;
		issue_keep_member(j, m, p->member_obj);
		return 0;
	}
	if (!jbool(m, "authorized", false)) {
		j->result = ISSUE_ACCESS_DENIED;
		issue_keep_member(j, m, p->member_obj);
		return 0;
	}
	j->result = ISSUE_CONFIG;
	if (issue_build(j, p, m, is_new) == -1)
		goto fail;
	issue_keep_member(j, m, p->member_obj);
	return 0;
fail:
	json_decref(m);
	j->result = ISSUE_NOT_FOUND;
	return -1;
}

/*
 * Scalar fields (§2.6 table).
 */
static uint64_t
issue_trace_target(const json_t *o)
{
	const char *s = jstr(o, "remoteTraceTarget");

	if (s == NULL || strlen(s) != 10)
		return 0;
	return strtoull(s, NULL, 16);
}

static void
issue_scalars(struct netconf *nc, const struct issue_params *p,
    const json_t *net, const json_t *m)
{
	const char *name = jstr(net, "name");
	int64_t ctmd, mtu;

	nc->version = NETCONF_VERSION;
	nc->nwid = p->nwid;
	nc->type = jbool(net, "private", true) ? NETCONF_TYPE_PRIVATE :
	    NETCONF_TYPE_PUBLIC;
	nc->timestamp = p->now;
	ctmd = jint(net, "certificateTimeoutWindowSize", ISSUE_CTMD_DEFAULT);
	if (ctmd < ISSUE_CTMD_MIN)
		ctmd = ISSUE_CTMD_MIN;
	if (ctmd > ISSUE_CTMD_MAX)
		ctmd = ISSUE_CTMD_MAX;
	nc->credential_time_max_delta = ctmd;
	nc->revision = (uint64_t)jint(net, "revision", 0);
	nc->issued_to = p->member->address;
	nc->flags = jbool(net, "enableBroadcast", true) ?
	    NETCONF_F_ENABLE_BROADCAST : 0;
	if (name != NULL)
		strncpy(nc->name, name, NETCONF_NAME_MAX);
	mtu = jint(net, "mtu", NETCONF_MTU_DEFAULT);
	nc->mtu = (uint32_t)(mtu < NETCONF_MTU_MIN ? NETCONF_MTU_MIN :
	    mtu > NETCONF_MTU_MAX ? NETCONF_MTU_MAX : mtu);
	nc->multicast_limit = (uint32_t)jint(net, "multicastLimit", 32);
	if ((nc->remote_trace_target = issue_trace_target(m)) != 0)
		nc->remote_trace_level = (uint32_t)jint(m,
		    "remoteTraceLevel", 0);
	else {
		nc->remote_trace_target = issue_trace_target(net);
		nc->remote_trace_level = (uint32_t)jint(net,
		    "remoteTraceLevel", 0);
	}
	nc->sso_enabled = jbool(net, "ssoEnabled", false);
	nc->sso_version = 0;
	nc->authentication_expiry_time = jint(m, "authenticationExpiryTime",
	    0);
}

static int
issue_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
issue_specialists(struct netconf *nc, const struct issue_params *p)
{
	size_t i;

	for (i = 0; i < p->nbridges && i < NETCONF_MAX_SPECIALISTS; i++)
		nc->specialists[nc->nspecialists++] =
		    (p->bridges[i] & NETCONF_SPECIALIST_ADDRESS_MASK) |
		    NETCONF_SPECIALIST_ACTIVE_BRIDGE;
	qsort(nc->specialists, nc->nspecialists, sizeof(uint64_t),
	    issue_cmp_u64);
}

/* "ip/bits", or a bare ip stored as /0 (§5.1) */
static int
issue_parse_target(struct inetaddr *a, const char *s)
{
	if (s == NULL)
		return -1;
	if (inetaddr_parse_cidr(a, s) == 0)
		return 0;
	if (strchr(s, '/') == NULL && inetaddr_parse(a, s) == 0)
		return 0;
	return -1;
}

static void
issue_routes(struct netconf *nc, const json_t *net)
{
	const json_t *routes = json_object_get(net, "routes"), *r;
	struct netconf_route *rt;
	struct inetaddr via;
	size_t i;

	json_array_foreach(routes, i, r) {
		if (nc->nroutes >= NETCONF_MAX_ROUTES)
			break;
		rt = &nc->routes[nc->nroutes];
		memset(rt, 0, sizeof(*rt));
		if (issue_parse_target(&rt->target, jstr(r, "target")) == -1)
			continue;
		if (jstr(r, "via") != NULL &&
		    inetaddr_parse(&via, jstr(r, "via")) == 0 &&
		    via.family == rt->target.family)
			rt->via = via;
		nc->nroutes++;
	}
}

static void
issue_dns(struct netconf *nc, const json_t *net)
{
	const json_t *dns = json_object_get(net, "dns"), *s;
	const char *domain;
	size_t i;

	if (!json_is_object(dns))
		return;
	/* 1.14.1 overflows on 128 bytes or more; we keep what fits */
	if ((domain = jstr(dns, "domain")) != NULL)
		strncpy((char *)nc->dns.domain, domain,
		    NETCONF_DNS_DOMAIN_LEN - 1);
	/* slot i is server i; one that does not parse stays empty */
	json_array_foreach(json_object_get(dns, "servers"), i, s) {
		if (i >= NETCONF_DNS_SERVERS)
			break;
		if (!json_is_string(s) || inetaddr_parse(&nc->dns.servers[i],
		    json_string_value(s)) == -1)
			inetaddr_clear(&nc->dns.servers[i]);
	}
}

/*
 * Rules, capabilities, tags (§2.6).
 */
static int
issue_rules(struct netconf *nc, const struct dict *meta, const json_t *net)
{
	size_t dropped;

	if (meta == NULL || dict_get_u64(meta, "revr", 0) == 0) {
		memset(&nc->rules[0], 0, sizeof(nc->rules[0]));
		nc->rules[0].t = RULE_ACTION_ACCEPT;
		nc->nrules = 1;
		return 0;
	}
	if (rules_from_json(json_object_get(net, "rules"), nc->rules,
	    RULES_MAX_NETWORK, &nc->nrules, &dropped) == -1)
		nc->nrules = 0;
	return 0;
}

static const json_t *
issue_find_cap(const json_t *arr, uint32_t id)
{
	const json_t *e, *found = NULL;
	size_t i;

	/* the later of two entries with one id wins, as in 1.14.1's map */
	json_array_foreach(arr, i, e)
		if (json_is_object(e) &&
		    (uint32_t)jint(e, "id", 0) == id)
			found = e;
	return found;
}

static bool
issue_has_cap(const json_t *mcaps, uint32_t id)
{
	const json_t *e;
	size_t i;

	json_array_foreach(mcaps, i, e)
		if ((uint32_t)jval(e) == id)
			return true;
	return false;
}

static int
issue_capabilities(struct netconf *nc, const struct issue_params *p,
    const json_t *net, json_t *m, bool is_new)
{
	const json_t *ncaps = json_object_get(net, "capabilities"), *c, *e;
	json_t *mcaps = json_object_get(m, "capabilities");
	struct capability *caps = NULL;
	struct rule rules[RULES_MAX_CAPABILITY];
	size_t i, n = 0, nr, dropped;
	uint32_t id;
	int rc = -1;

	if (!json_is_array(mcaps)) {
		if (jset(m, "capabilities", json_array()) == -1)
			return -1;
		mcaps = json_object_get(m, "capabilities");
	}
	json_array_foreach(ncaps, i, c) {
		id = (uint32_t)jint(c, "id", 0);
		if (is_new && json_is_object(c) &&
		    jbool(c, "default", false) && !issue_has_cap(mcaps, id) &&
		    json_array_append_new(mcaps, json_integer(id)) == -1)
			return -1;
	}
	if ((caps = calloc(NETCONF_MAX_CAPABILITIES, sizeof(*caps))) == NULL)
		return -1;
	json_array_foreach(mcaps, i, e) {
		if (n >= NETCONF_MAX_CAPABILITIES)
			break;
		id = (uint32_t)jval(e);
		if ((c = issue_find_cap(ncaps, id)) == NULL ||
		    json_object_size(c) == 0)
			continue;
		if (rules_from_json(json_object_get(c, "rules"), rules,
		    RULES_MAX_CAPABILITY, &nr, &dropped) == -1)
			nr = 0;
		if (capability_init(&caps[n], p->nwid, p->now, id, rules, nr,
		    1) == -1)
			goto fail;
		n++;
	}
	rc = netconf_set_capabilities(nc, caps, n);
fail:
	free(caps);
	return rc;
}

/* 1.14.1 keeps member tags in a map: one value per id, the later wins */
static size_t
issue_tag_set(struct tag *tags, size_t n, uint32_t id, uint32_t value)
{
	size_t k;

	for (k = 0; k < n && tags[k].id != id; k++)
		;
	if (k == n) {
		if (n >= NETCONF_MAX_TAGS)
			return n;
		memset(&tags[k], 0, sizeof(tags[k]));
		tags[k].id = id;
		n++;
	}
	tags[k].value = value;
	return n;
}

static int
issue_tags(struct netconf *nc, const struct issue_params *p,
    const json_t *net, json_t *m)
{
	const json_t *nt = json_object_get(net, "tags"), *e, *dfl;
	json_t *mt = json_object_get(m, "tags");
	struct tag tags[NETCONF_MAX_TAGS];
	size_t i, k, n = 0, have;
	uint32_t id;

	json_array_foreach(mt, i, e)
		if (json_is_array(e) && json_array_size(e) == 2)
			n = issue_tag_set(tags, n,
			    (uint32_t)jval(json_array_get(e, 0)),
			    (uint32_t)jval(json_array_get(e, 1)));
	json_array_foreach(nt, i, e) {
		if (!json_is_object(e))
			continue;
		id = (uint32_t)jint(e, "id", 0);
		dfl = json_object_get(e, "default");
		for (k = 0; k < n && tags[k].id != id; k++)
			;
		if (!json_is_number(dfl) || k < n)
			continue;
		have = n;
		n = issue_tag_set(tags, n, id, (uint32_t)jval(dfl));
		if (n == have)
			continue;
		if (!json_is_array(mt)) {
			if (jset(m, "tags", json_array()) == -1)
				return -1;
			mt = json_object_get(m, "tags");
		}
		if (json_array_append_new(mt, json_pack("[I,O]",
		    (json_int_t)id, dfl)) == -1)
			return -1;
	}
	for (k = 0; k < n; k++) {
		tags[k].nwid = p->nwid;
		tags[k].timestamp = p->now;
		tags[k].issued_to = p->member->address;
		tags[k].signed_by = p->controller;
	}
	return netconf_set_tags(nc, tags, n);
}

/*
 * Static IPs (§2.7).
 */
static bool
issue_ip_in(const struct inetaddr *ip, const struct inetaddr *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (inetaddr_ip_equal(ip, &set[i]))
			return true;
	return false;
}

static int
issue_add_ip(struct netconf *nc, const struct inetaddr *ip, unsigned int bits)
{
	if (nc->nstatic_ips >= NETCONF_MAX_STATIC_IPS)
		return -1;
	nc->static_ips[nc->nstatic_ips] = *ip;
	nc->static_ips[nc->nstatic_ips].port = (uint16_t)bits;
	nc->nstatic_ips++;
	return 0;
}

static int
issue_append_ip(json_t *m, const struct inetaddr *ip)
{
	char text[INETADDR_STRLEN];

	return json_array_append_new(json_object_get(m, "ipAssignments"),
	    json_string(inetaddr_fmt_ip(ip, text)));
}

/* largest prefix among the routes that contain ip, -1 if none */
static int
issue_best_route(const struct netconf *nc, const struct inetaddr *ip)
{
	int best = -1, bits;
	size_t i;

	for (i = 0; i < nc->nroutes; i++) {
		if (nc->routes[i].target.family != ip->family ||
		    !inetaddr_contains(&nc->routes[i].target, ip))
			continue;
		bits = (int)inetaddr_netmask_bits(&nc->routes[i].target);
		if (bits > best)
			best = bits;
	}
	return best;
}

static void
issue_explicit_ips(struct netconf *nc, const json_t *m, bool *have4,
    bool *have6)
{
	const json_t *e;
	struct inetaddr ip;
	size_t i;
	int bits;

	json_array_foreach(json_object_get(m, "ipAssignments"), i, e) {
		if (!json_is_string(e) ||
		    inetaddr_parse(&ip, json_string_value(e)) == -1)
			continue;
		/* an IP outside every route stays in the record, unsent */
		if ((bits = issue_best_route(nc, &ip)) < 0)
			continue;
		issue_add_ip(nc, &ip, (unsigned int)bits);
		if (ip.family == INETADDR_V4)
			*have4 = true;
		else
			*have6 = true;
	}
}

/* not allocated in the network, nor (as text, as 1.14.1) the member's */
static bool
issue_ip_free(const struct issue_params *p, const json_t *m,
    const struct inetaddr *ip)
{
	char text[INETADDR_STRLEN];
	const json_t *e;
	size_t i;

	if (issue_ip_in(ip, p->allocated, p->nallocated))
		return false;
	inetaddr_fmt_ip(ip, text);
	json_array_foreach(json_object_get(m, "ipAssignments"), i, e)
		if (json_is_string(e) &&
		    strcmp(json_string_value(e), text) == 0)
			return false;
	return true;
}

/* prefix of the last gateway-less IPv6 route containing ip, 0 if none */
static unsigned int
issue_v6_route(const struct netconf *nc, const struct inetaddr *ip)
{
	unsigned int bits = 0;
	size_t i;

	for (i = 0; i < nc->nroutes; i++)
		if (nc->routes[i].target.family == INETADDR_V6 &&
		    inetaddr_is_nil(&nc->routes[i].via) &&
		    inetaddr_contains(&nc->routes[i].target, ip))
			bits = inetaddr_netmask_bits(&nc->routes[i].target);
	return bits;
}

static int
issue_pool_v6(struct netconf *nc, const struct issue_params *p, json_t *m,
    const struct inetaddr *s, const struct inetaddr *e)
{
	uint64_t shi = be64_get(s->ip), slo = be64_get(s->ip + 8);
	uint64_t ehi = be64_get(e->ip), elo = be64_get(e->ip + 8);
	uint64_t r[2], hi, lo;
	struct inetaddr ip;
	unsigned int bits, k;

	for (k = 0; k < ISSUE_MAX_POOL_TRIALS; k++) {
		if (k == 0 && elo > slo && elo - slo >= 0xffffffffffULL) {
			hi = shi;
			lo = slo + p->member->address;
		} else {
			if (RAND_bytes((unsigned char *)r, sizeof(r)) != 1)
				return -1;
			hi = shi + (ehi > shi ? r[0] % (ehi - shi) : 0);
			lo = slo + (elo > slo ? r[1] % (elo - slo) : 0);
		}
		memset(&ip, 0, sizeof(ip));
		ip.family = INETADDR_V6;
		be64_put(ip.ip, hi);
		be64_put(ip.ip + 8, lo);
		if ((bits = issue_v6_route(nc, &ip)) > 0 &&
		    issue_ip_free(p, m, &ip)) {
			if (issue_append_ip(m, &ip) == -1)
				return -1;
			issue_add_ip(nc, &ip, bits);
			return 1;
		}
	}
	return 0;
}

/* prefix of the first IPv4 route whose network holds ip, -1 if none */
static int
issue_v4_route(const struct netconf *nc, uint32_t ip)
{
	const struct inetaddr *t;
	unsigned int bits;
	uint32_t mask;
	size_t i;

	for (i = 0; i < nc->nroutes; i++) {
		t = &nc->routes[i].target;
		if (t->family != INETADDR_V4)
			continue;
		bits = inetaddr_netmask_bits(t);
		/* a shift by 32 is undefined; 1.14.1's /0 never matches */
		mask = bits == 0 ? 0xffffffffU : 0xffffffffU << (32 - bits);
		if (bits != 0 && (ip & mask) == be32_get(t->ip))
			return (int)bits;
		if (bits == 0 && ip == be32_get(t->ip))
			return 0;
	}
	return -1;
}

static int
issue_pool_v4(struct netconf *nc, const struct issue_params *p, json_t *m,
    uint32_t s, uint32_t e)
{
	uint32_t len = e - s, counter = (uint32_t)p->member->address, ip;
	struct inetaddr a;
	uint64_t k;
	int bits, trials = 0;

	for (k = s; k <= e && trials < ISSUE_MAX_POOL_TRIALS; k++, trials++) {
		ip = len > 0 ? s + counter % len : s;
		counter++;
		if ((ip & 0xff) == 0xff)
			continue;
		bits = issue_v4_route(nc, ip);
		memset(&a, 0, sizeof(a));
		a.family = INETADDR_V4;
		be32_put(a.ip, ip);
		if (bits > 0 && issue_ip_free(p, m, &a)) {
			if (issue_append_ip(m, &a) == -1)
				return -1;
			issue_add_ip(nc, &a, (unsigned int)bits);
			return 1;
		}
	}
	return 0;
}

static int
issue_pools(struct netconf *nc, const struct issue_params *p,
    const json_t *net, json_t *m, int family)
{
	const json_t *pools = json_object_get(net, "ipAssignmentPools"), *e;
	struct inetaddr s, t;
	size_t i;
	int rc;

	json_array_foreach(pools, i, e) {
		if (jstr(e, "ipRangeStart") == NULL ||
		    jstr(e, "ipRangeEnd") == NULL ||
		    inetaddr_parse(&s, jstr(e, "ipRangeStart")) == -1 ||
		    inetaddr_parse(&t, jstr(e, "ipRangeEnd")) == -1 ||
		    s.family != family || t.family != family)
			continue;
		if (family == INETADDR_V6)
			rc = issue_pool_v6(nc, p, m, &s, &t);
		else if (be32_get(t.ip) >= be32_get(s.ip) &&
		    be32_get(s.ip) != 0)
			rc = issue_pool_v4(nc, p, m, be32_get(s.ip),
			    be32_get(t.ip));
		else
			rc = 0;
		if (rc != 0)
			return rc == 1 ? 0 : -1;
	}
	return 0;
}

static int
issue_static_ips(struct netconf *nc, const struct issue_params *p,
    const json_t *net, json_t *m)
{
	const json_t *v6 = json_object_get(net, "v6AssignMode");
	const json_t *v4 = json_object_get(net, "v4AssignMode");
	bool noauto = jbool(m, "noAutoAssignIps", false);
	bool have4 = false, have6 = false;
	struct inetaddr a;

	if (json_is_object(v6) && !noauto) {
		if (jbool(v6, "rfc4193", false)) {
			mac_rfc4193(&a, p->nwid, p->member->address);
			issue_add_ip(nc, &a, 88);
			nc->flags |= NETCONF_F_ENABLE_IPV6_NDP_EMU;
		}
		if (jbool(v6, "6plane", false)) {
			mac_6plane(&a, p->nwid, p->member->address);
			issue_add_ip(nc, &a, 40);
			nc->flags |= NETCONF_F_ENABLE_IPV6_NDP_EMU;
		}
	}
	issue_explicit_ips(nc, m, &have4, &have6);
	if (!json_is_array(json_object_get(net, "ipAssignmentPools")) ||
	    noauto)
		return 0;
	if (jbool(v6, "zt", false) && !have6 &&
	    issue_pools(nc, p, net, m, INETADDR_V6) == -1)
		return -1;
	if (jbool(v4, "zt", false) && !have4 &&
	    issue_pools(nc, p, net, m, INETADDR_V4) == -1)
		return -1;
	return 0;
}

/*
 * Credentials bound to this config (§2.6): COO of the static IPs, COM.
 */
static void
issue_coo(struct netconf *nc, const struct issue_params *p)
{
	struct coo *c = &nc->coos[0];
	const struct inetaddr *ip;
	size_t i;

	if (nc->nstatic_ips == 0)
		return;
	memset(c, 0, sizeof(*c));
	c->nwid = p->nwid;
	c->timestamp = p->now;
	c->id = 1;
	c->issued_to = p->member->address;
	c->signed_by = p->controller;
	for (i = 0; i < nc->nstatic_ips; i++) {
		ip = &nc->static_ips[i];
		if (coo_add_thing(c, ip->family == INETADDR_V4 ?
		    COO_THING_IPV4 : COO_THING_IPV6, ip->ip,
		    ip->family == INETADDR_V4 ? 4 : 16) == -1)
			break;
	}
	nc->ncoos = 1;
}

static int
issue_add_sign(struct issue_job *j, struct wbuf *w)
{
	struct issue_sign *s;

	if (wbuf_failed(w))
		return -1;
	s = reallocarray(j->sign, j->nsign + 1, sizeof(*j->sign));
	if (s == NULL)
		return -1;
	j->sign = s;
	s = &j->sign[j->nsign];
	memset(s, 0, sizeof(*s));
	if ((s->body = wbuf_steal(w, &s->len)) == NULL)
		return -1;
	j->nsign++;
	return 0;
}

/* one credential's request; the writer is consumed either way */
static int
issue_cred_request(struct issue_job *j, int put_rc, struct wbuf *w)
{
	if (put_rc == -1 || issue_add_sign(j, w) == -1) {
		wbuf_free(w);
		return -1;
	}
	return 0;
}

/* stage 0 requests, in the order issue_creds_apply() reads them */
static int
issue_creds_requests(struct issue_job *j)
{
	struct netconf *nc = j->nc;
	struct wbuf w;
	size_t i;
	int rc;

	wbuf_init_dynamic(&w, SIGNREQ_BODY_MAX);
	rc = signreq_put_com(&w, &nc->com);
	if (issue_cred_request(j, rc, &w) == -1)
		return -1;
	for (i = 0; i < nc->ncapabilities; i++) {
		wbuf_init_dynamic(&w, SIGNREQ_BODY_MAX);
		rc = signreq_put_capability(&w, &nc->capabilities[i],
		    j->member);
		if (issue_cred_request(j, rc, &w) == -1)
			return -1;
	}
	for (i = 0; i < nc->ntags; i++) {
		wbuf_init_dynamic(&w, SIGNREQ_BODY_MAX);
		rc = signreq_put_tag(&w, &nc->tags[i]);
		if (issue_cred_request(j, rc, &w) == -1)
			return -1;
	}
	for (i = 0; i < nc->ncoos; i++) {
		wbuf_init_dynamic(&w, SIGNREQ_BODY_MAX);
		rc = signreq_put_coo(&w, &nc->coos[i]);
		if (issue_cred_request(j, rc, &w) == -1)
			return -1;
	}
	return 0;
}

static int
issue_build(struct issue_job *j, const struct issue_params *p, json_t *m,
    bool is_new)
{
	const struct dict *meta = p->meta;
	struct netconf *nc;
	struct dict empty;

	/* no metadata reads as an empty dictionary */
	if (meta == NULL) {
		dict_view(&empty, "", 0, DICT_CAP_REQ_META);
		meta = &empty;
	}
	if (p->packet_id != 0) {
		jset(m, "vMajor", json_integer((json_int_t)dict_get_u64(
		    meta, "majv", 0)));
		jset(m, "vMinor", json_integer((json_int_t)dict_get_u64(
		    meta, "minv", 0)));
		jset(m, "vRev", json_integer((json_int_t)dict_get_u64(
		    meta, "revv", 0)));
		jset(m, "vProto", json_integer((json_int_t)dict_get_u64(
		    meta, "pv", 0)));
	}
	if ((j->nc = nc = netconf_new()) == NULL)
		return -1;
	issue_scalars(nc, p, p->network, m);
	issue_specialists(nc, p);
	issue_rules(nc, p->meta, p->network);
	if (p->meta != NULL && dict_get_u64(p->meta, "revr", 0) != 0 &&
	    (issue_capabilities(nc, p, p->network, m, is_new) == -1 ||
	    issue_tags(nc, p, p->network, m) == -1))
		return -1;
	issue_routes(nc, p->network);
	if (issue_static_ips(nc, p, p->network, m) == -1)
		return -1;
	issue_dns(nc, p->network);
	issue_coo(nc, p);
	if (com_issue(&nc->com, p->nwid, p->now,
	    (uint64_t)nc->credential_time_max_delta, p->member) == -1)
		return -1;
	return issue_creds_requests(j);
}

/*
 * Signing stages.
 */
static void
issue_creds_apply(struct issue_job *j, size_t i,
    const uint8_t sig[ZT_SIGNATURE_LEN])
{
	struct netconf *nc = j->nc;
	struct capability *c;

	if (i == 0) {
		nc->com.signed_by = cred_controller(j->nwid);
		memcpy(nc->com.signature, sig, ZT_SIGNATURE_LEN);
		return;
	}
	i--;
	if (i < nc->ncapabilities) {
		c = &nc->capabilities[i];
		c->custody[0].to = j->member;
		c->custody[0].from = cred_controller(j->nwid);
		memcpy(c->custody[0].signature, sig, ZT_SIGNATURE_LEN);
		c->ncustody = 1;
		return;
	}
	i -= nc->ncapabilities;
	if (i < nc->ntags) {
		memcpy(nc->tags[i].signature, sig, ZT_SIGNATURE_LEN);
		return;
	}
	i -= nc->ntags;
	memcpy(nc->coos[i].signature, sig, ZT_SIGNATURE_LEN);
}

static void
issue_clear_sign(struct issue_job *j)
{
	size_t i;

	for (i = 0; i < j->nsign; i++)
		free(j->sign[i].body);
	free(j->sign);
	j->sign = NULL;
	j->nsign = j->nsigned = 0;
}

/* credentials signed: serialize, cut, and ask for the chunk signatures */
static int
issue_chunk_stage(struct issue_job *j)
{
	const uint8_t *msg;
	struct wbuf w;
	size_t i, len;

	issue_clear_sign(j);
	if (netconf_encode(j->nc, &j->dict) == -1 ||
	    netconf_chunks_build(&j->chunks, j->nwid, issue_random64(), 0,
	    dict_data(&j->dict), dict_len(&j->dict), 0) == -1)
		return -1;
	for (i = 0; i < j->chunks.n; i++) {
		msg = netconf_chunks_message(&j->chunks, i, &len);
		wbuf_init_dynamic(&w, SIGNREQ_BODY_MAX);
		if (signreq_put_chunk(&w, msg, len) == -1 ||
		    issue_add_sign(j, &w) == -1) {
			wbuf_free(&w);
			return -1;
		}
	}
	j->stage = 1;
	return 0;
}

static int
issue_revocation_done(struct issue_job *j)
{
	struct wbuf w;

	issue_clear_sign(j);
	wbuf_init_dynamic(&w, 16 + REVOCATION_WIRE_MAX);
	/* no COM, no capabilities, no tags, one revocation, no COOs */
	wbuf_put_u8(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 1);
	revocation_serialize(&j->revocation, &w);
	wbuf_put_u16(&w, 0);
	if (wbuf_failed(&w) || (j->packet = wbuf_steal(&w,
	    &j->packet_len)) == NULL) {
		wbuf_free(&w);
		return -1;
	}
	j->stage = 2;
	return 0;
}

int
issue_job_signature(struct issue_job *j, size_t i,
    const uint8_t sig[ZT_SIGNATURE_LEN])
{
	if (i >= j->nsign || j->sign[i].done || j->stage >= 2)
		return -1;
	if (j->result == ISSUE_REVOCATION)
		memcpy(j->revocation.signature, sig, ZT_SIGNATURE_LEN);
	else if (j->stage == 0)
		issue_creds_apply(j, i, sig);
	else if (netconf_chunks_set_signature(&j->chunks, i, sig) == -1)
		return -1;
	j->sign[i].done = true;
	if (++j->nsigned < j->nsign)
		return 0;
	if (j->result == ISSUE_REVOCATION)
		return issue_revocation_done(j);
	if (j->stage == 0)
		return issue_chunk_stage(j);
	issue_clear_sign(j);
	j->stage = 2;
	return 0;
}

size_t
issue_job_nsign(const struct issue_job *j)
{
	return j->nsign;
}

const uint8_t *
issue_job_sign_body(const struct issue_job *j, size_t i, size_t *len)
{
	if (i >= j->nsign || j->sign[i].done)
		return NULL;
	*len = j->sign[i].len;
	return j->sign[i].body;
}

bool
issue_job_done(const struct issue_job *j)
{
	return (j->result == ISSUE_CONFIG || j->result == ISSUE_REVOCATION) &&
	    j->stage == 2;
}

int
issue_job_sign_local(struct issue_job *j, const struct identity *key)
{
	uint8_t sig[ZT_SIGNATURE_LEN];
	enum signreq_kind kind;
	const uint8_t *body;
	size_t i, len;

	while (!issue_job_done(j) && j->nsign > 0) {
		for (i = 0; i < j->nsign; i++) {
			if ((body = issue_job_sign_body(j, i, &len)) == NULL)
				continue;
			if (signreq_sign(body, len, key, &kind, sig) !=
			    SIGNREQ_OK)
				return -1;
			/* the last signature of a stage starts the next */
			if (issue_job_signature(j, i, sig) == -1)
				return -1;
			break;
		}
	}
	return issue_job_done(j) ? 0 : -1;
}

size_t
issue_job_npackets(const struct issue_job *j)
{
	if (!issue_job_done(j))
		return 0;
	return j->result == ISSUE_REVOCATION ? 1 : j->chunks.n;
}

int
issue_job_packet(const struct issue_job *j, size_t i, uint8_t *verb,
    struct wbuf *w)
{
	if (i >= issue_job_npackets(j))
		return -1;
	if (j->result == ISSUE_REVOCATION) {
		*verb = ISSUE_VERB_NETWORK_CREDENTIALS;
		wbuf_put_bytes(w, j->packet, j->packet_len);
	} else if (j->packet_id != 0) {
		*verb = ISSUE_VERB_OK;
		wbuf_put_u8(w, ISSUE_VERB_NETWORK_CONFIG_REQ);
		wbuf_put_u64(w, j->packet_id);
		wbuf_put_bytes(w, j->chunks.chunk[i].buf,
		    j->chunks.chunk[i].len);
	} else {
		*verb = ISSUE_VERB_NETWORK_CONFIG;
		wbuf_put_bytes(w, j->chunks.chunk[i].buf,
		    j->chunks.chunk[i].len);
	}
	return wbuf_failed(w) ? -1 : 0;
}

uint8_t
issue_error_code(const struct issue_job *j)
{
	switch (j->result) {
	case ISSUE_NOT_FOUND:
		return ISSUE_ERR_OBJ_NOT_FOUND;
	case ISSUE_ACCESS_DENIED:
		return ISSUE_ERR_NETWORK_ACCESS_DENIED;
	case ISSUE_AUTH_REQUIRED:
		return ISSUE_ERR_NETWORK_AUTH_REQUIRED;
	default:
		return 0;
	}
}

int
issue_error_payload(const struct issue_job *j, struct wbuf *w)
{
	struct dict info;
	int rc = -1;

	if (issue_error_code(j) == 0)
		return -1;
	wbuf_put_u64(w, j->nwid);
	if (j->result != ISSUE_AUTH_REQUIRED)
		return wbuf_failed(w) ? -1 : 0;
	/* the file DB has no SSO provider: version 0, empty URL (§2.4) */
	dict_init(&info, DICT_CAP_AUTH_INFO_V0);
	if (dict_add_u64(&info, "aV", 0) == 0 &&
	    dict_add_str(&info, "aU", "") == 0) {
		wbuf_put_u16(w, (uint16_t)dict_len(&info));
		wbuf_put_bytes(w, dict_data(&info), dict_len(&info));
		rc = wbuf_failed(w) ? -1 : 0;
	}
	dict_free(&info);
	return rc;
}

int
issue_revoke(uint64_t nwid, uint64_t target, int64_t now, uint32_t id,
    struct issue_job **out)
{
	struct issue_job *j;
	struct revocation *v;
	struct wbuf w;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	dict_init(&j->dict, DICT_CAP_NETCONF);
	j->result = ISSUE_REVOCATION;
	j->nwid = nwid;
	j->member = target;
	v = &j->revocation;
	v->id = id;
	v->nwid = nwid;
	v->credential_id = 0;
	v->threshold = now;
	v->flags = REVOCATION_FLAG_FAST_PROPAGATE;
	v->target = target;
	v->signed_by = cred_controller(nwid);
	v->type = CRED_TYPE_COM;
	wbuf_init_dynamic(&w, SIGNREQ_BODY_MAX);
	if (signreq_put_revocation(&w, v) == -1 ||
	    issue_add_sign(j, &w) == -1) {
		wbuf_free(&w);
		issue_job_free(j);
		return -1;
	}
	*out = j;
	return 0;
}
