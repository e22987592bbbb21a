/*
 * Network config codec against vectors/dictionary.json "network_configs":
 * every config is decoded, compared field by field with "decoded", and
 * re-encoded byte for byte (all of them were written by 1.14.1's
 * toDictionary: minimal/rich by the generator, the others as stored by
 * a member after it re-serialized the config it received).  Then the
 * rejection rules and limits of 1.14.1's fromDictionary, and SSO.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dictionary.h"
#include "netconf.h"
#include "test.h"

static uint64_t
jhex64(json_t *o, const char *key)
{
	return strtoull(test_jstr(o, key), NULL, 16);
}

/* serialized bytes of a credential against a vector hex member */
static void
check_wbuf(struct wbuf *w, json_t *o, const char *key, const char *what)
{
	uint8_t *want;
	size_t n;

	want = test_jhex(o, key, &n);
	CHECKF(!wbuf_failed(w) && wbuf_len(w) == n, "%s: %zu bytes, want %zu",
	    what, wbuf_len(w), n);
	if (!wbuf_failed(w) && wbuf_len(w) == n)
		CHECK_MEM(wbuf_data(w), want, n, what);
	free(want);
	wbuf_reset(w);
}

static void
check_rules_json(const struct rule *rules, size_t n, json_t *want,
    const char *what)
{
	json_t *got = rules_to_json(rules, n);

	CHECKF(got != NULL && json_equal(got, want), "%s: rules JSON", what);
	json_decref(got);
}

static void
check_com(const struct com *c, json_t *j, struct wbuf *w, const char *nm)
{
	json_t *q;
	size_t i;
	uint8_t *sig;
	size_t siglen;

	com_serialize(c, w);
	check_wbuf(w, j, "serialized", nm);
	CHECK(c->nq == json_array_size(json_object_get(j, "qualifiers")));
	json_array_foreach(json_object_get(j, "qualifiers"), i, q) {
		if (i >= c->nq)
			break;
		CHECK(c->q[i].id == (uint64_t)test_jint(q, "id"));
		CHECK(c->q[i].value == jhex64(q, "value"));
		CHECK(c->q[i].max_delta == jhex64(q, "max_delta"));
	}
	CHECK(com_timestamp(c) == test_jint(j, "timestamp"));
	CHECK(com_network_id(c) == jhex64(j, "network_id"));
	CHECK(com_issued_to(c) == jhex64(j, "issued_to"));
	CHECK(c->signed_by == jhex64(j, "signed_by"));
	sig = test_jhex(j, "signature", &siglen);
	CHECK(siglen == ZT_SIGNATURE_LEN);
	if (siglen == ZT_SIGNATURE_LEN)
		CHECK_MEM(c->signature, sig, siglen, "COM signature");
	free(sig);
	com_signed_message(c, w);
	check_wbuf(w, j, "signed_message", "COM signed message");
}

static void
check_creds(const struct netconf *nc, json_t *dec, struct wbuf *w,
    const char *name)
{
	json_t *caps = json_object_get(dec, "capabilities");
	json_t *tags = json_object_get(dec, "tags");
	json_t *coos = json_object_get(dec, "certificates_of_ownership");
	json_t *e;
	size_t i;

	check_com(&nc->com, json_object_get(dec, "com"), w, name);
	CHECKF(nc->ncapabilities == json_array_size(caps), "%s: caps", name);
	json_array_foreach(caps, i, e) {
		if (i >= nc->ncapabilities)
			break;
		CHECK(nc->capabilities[i].id == (uint32_t)test_jint(e, "id"));
		check_rules_json(nc->capabilities[i].rules,
		    nc->capabilities[i].nrules, json_object_get(e, "rules"),
		    name);
		capability_serialize(&nc->capabilities[i], w);
		check_wbuf(w, e, "serialized", "capability");
		CHECK(netconf_capability(nc, nc->capabilities[i].id) ==
		    &nc->capabilities[i]);
	}
	CHECKF(nc->ntags == json_array_size(tags), "%s: tags", name);
	json_array_foreach(tags, i, e) {
		if (i >= nc->ntags)
			break;
		CHECK(nc->tags[i].id == (uint32_t)test_jint(e, "id"));
		CHECK(nc->tags[i].value == (uint32_t)test_jint(e, "value"));
		tag_serialize(&nc->tags[i], w);
		check_wbuf(w, e, "serialized", "tag");
		CHECK(netconf_tag(nc, nc->tags[i].id) == &nc->tags[i]);
	}
	CHECKF(nc->ncoos == json_array_size(coos), "%s: coos", name);
	json_array_foreach(coos, i, e) {
		if (i >= nc->ncoos)
			break;
		CHECK(nc->coos[i].id == (uint32_t)test_jint(e, "id"));
		coo_serialize(&nc->coos[i], w);
		check_wbuf(w, e, "serialized", "coo");
	}
}

static void
check_net(const struct netconf *nc, json_t *dec, struct wbuf *w,
    const char *name)
{
	json_t *a = json_object_get(dec, "routes"), *e, *dns;
	char s[INETADDR_STRLEN];
	size_t i, k;

	CHECKF(nc->nspecialists ==
	    json_array_size(json_object_get(dec, "specialists")), "%s", name);
	json_array_foreach(json_object_get(dec, "specialists"), i, e)
		CHECK(i < nc->nspecialists && nc->specialists[i] ==
		    strtoull(json_string_value(e), NULL, 16));
	CHECKF(nc->nroutes == json_array_size(a), "%s: routes", name);
	json_array_foreach(a, i, e) {
		if (i >= nc->nroutes)
			break;
		CHECK(strcmp(inetaddr_fmt(&nc->routes[i].target, s),
		    test_jstr(e, "target")) == 0);
		CHECK(strcmp(inetaddr_fmt_ip(&nc->routes[i].via, s),
		    test_jstr(e, "via")) == 0);
		CHECK(nc->routes[i].flags == test_jint(e, "flags"));
		CHECK(nc->routes[i].metric == test_jint(e, "metric"));
	}
	a = json_object_get(dec, "static_ips");
	CHECKF(nc->nstatic_ips == json_array_size(a), "%s: ips", name);
	json_array_foreach(a, i, e)
		CHECK(i < nc->nstatic_ips && strcmp(inetaddr_fmt(
		    &nc->static_ips[i], s), json_string_value(e)) == 0);
	check_rules_json(nc->rules, nc->nrules, json_object_get(dec, "rules"),
	    name);
	rules_encode(nc->rules, nc->nrules, w);
	check_wbuf(w, dec, "rules_binary", "rules");

	dns = json_object_get(dec, "dns");
	CHECK(strcmp((const char *)nc->dns.domain,
	    test_jstr(dns, "domain")) == 0);
	k = 0;
	for (i = 0; i < NETCONF_DNS_SERVERS; i++) {
		if (inetaddr_is_nil(&nc->dns.servers[i]))
			continue;
		e = json_array_get(json_object_get(dns, "servers"), k++);
		CHECK(e != NULL && strcmp(inetaddr_fmt_ip(&nc->dns.servers[i],
		    s), json_string_value(e)) == 0);
	}
	CHECK(k == json_array_size(json_object_get(dns, "servers")));
}

static void
check_decoded(const struct netconf *nc, json_t *dec, const char *name)
{
	char addr[11];
	struct wbuf w;

	CHECKF(nc->version == NETCONF_VERSION, "%s", name);
	CHECK(nc->nwid == jhex64(dec, "network_id"));
	CHECK(nc->timestamp == test_jint(dec, "timestamp"));
	CHECK(nc->credential_time_max_delta ==
	    test_jint(dec, "credential_time_max_delta"));
	CHECK(nc->revision == (uint64_t)test_jint(dec, "revision"));
	CHECK(strcmp(zt_address_fmt(nc->issued_to, addr),
	    test_jstr(dec, "issued_to")) == 0);
	CHECK(strcmp(zt_address_fmt(nc->remote_trace_target, addr),
	    test_jstr(dec, "remote_trace_target")) == 0);
	CHECK(nc->remote_trace_level == test_jint(dec, "remote_trace_level"));
	CHECK(nc->flags == jhex64(dec, "flags"));
	CHECK(nc->mtu == test_jint(dec, "mtu"));
	CHECK(nc->multicast_limit == test_jint(dec, "multicast_limit"));
	CHECK(nc->type == test_jint(dec, "type"));
	CHECKF(strcmp(nc->name, test_jstr(dec, "name")) == 0, "%s", name);
	CHECK(nc->sso_version == (uint64_t)test_jint(dec, "sso_version"));
	CHECK(nc->sso_enabled == test_jbool(dec, "sso_enabled"));
	wbuf_init_dynamic(&w, DICT_CAP_NETCONF);
	check_creds(nc, dec, &w, name);
	check_net(nc, dec, &w, name);
	wbuf_free(&w);
}

static void
test_vectors(json_t *ncs, struct netconf *nc)
{
	struct dict in, out;
	json_t *c;
	size_t i, n;
	uint8_t *bytes;

	REQUIRE(json_array_size(ncs) > 0);
	json_array_foreach(ncs, i, c) {
		const char *name = test_jstr(c, "name");
		bool ok = test_jbool(c, "from_dictionary_ok");

		bytes = test_jhex(c, "dictionary", &n);
		dict_view(&in, bytes, n, DICT_CAP_NETCONF);
		CHECKF((netconf_decode(nc, &in) == 0) == ok, "%s: decode",
		    name);
		if (ok)
			check_decoded(nc, json_object_get(c, "decoded"), name);
		/* the generator's own toDictionary result, when it says so */
		if (json_object_get(c, "to_dictionary_ok") != NULL)
			CHECK(test_jbool(c, "to_dictionary_ok"));
		dict_init(&out, DICT_CAP_NETCONF);
		CHECKF(netconf_encode(nc, &out) == 0, "%s: encode", name);
		CHECKF(dict_len(&out) == n, "%s: %zu bytes, want %zu", name,
		    dict_len(&out), n);
		if (dict_len(&out) == n)
			CHECK_MEM(dict_data(&out), bytes, n, name);
		dict_free(&out);
		free(bytes);
	}
}

/* decodes the base config with key set to val (NULL: removed) */
static int
decode_with(struct netconf *nc, const struct dict *base, const char *key,
    const void *val, size_t len)
{
	struct dict d;
	int rc;

	REQUIRE(dict_load(&d, dict_data(base), dict_len(base),
	    DICT_CAP_NETCONF) == 0);
	if (val == NULL)
		REQUIRE(dict_remove(&d, key) == 0);
	else
		REQUIRE(dict_set(&d, key, val, len) == 0);
	rc = netconf_decode(nc, &d);
	dict_free(&d);
	return rc;
}

#define DECODE_STR(nc, b, k, s)	decode_with((nc), (b), (k), (s), strlen(s))

/* fromDictionary's refusals and limits, on the "rich" config */
static void
test_rejects(json_t *ncs, struct netconf *nc)
{
	uint8_t blob[40 * 8 + 3], dns[200], *raw;
	struct dict base;
	json_t *c;
	size_t i, n = 0;

	raw = NULL;
	json_array_foreach(ncs, i, c)
		if (strcmp(test_jstr(c, "name"), "rich") == 0)
			raw = test_jhex(c, "dictionary", &n);
	REQUIRE(raw != NULL);
	dict_view(&base, raw, n, DICT_CAP_NETCONF);
	REQUIRE(netconf_decode(nc, &base) == 0);

	CHECK(decode_with(nc, &base, "v", NULL, 0) == -1);
	CHECK(DECODE_STR(nc, &base, "v", "5") == -1);
	CHECK(DECODE_STR(nc, &base, "v", "6") == 0);
	CHECK(DECODE_STR(nc, &base, "nwid", "0") == -1);
	CHECK(decode_with(nc, &base, "nwid", NULL, 0) == -1);
	CHECK(DECODE_STR(nc, &base, "id", "0000000000") == -1);
	/* only the low 40 bits make the address */
	CHECK(DECODE_STR(nc, &base, "id", "10000000000") == -1);
	CHECK(DECODE_STR(nc, &base, "id", "abc") == 0 &&
	    nc->issued_to == 0xabc);

	CHECK(DECODE_STR(nc, &base, "mtu", "10") == 0 && nc->mtu == 1280);
	CHECK(DECODE_STR(nc, &base, "mtu", "ffffff") == 0 && nc->mtu == 10000);
	CHECK(DECODE_STR(nc, &base, "mtu", "100000500") == 0 &&
	    nc->mtu == 1280);
	CHECK(decode_with(nc, &base, "mtu", NULL, 0) == 0 && nc->mtu == 2800);
	memset(dns, 'x', sizeof(dns));
	CHECK(decode_with(nc, &base, "n", dns, 200) == 0 &&
	    strlen(nc->name) == NETCONF_NAME_MAX);
	CHECK(decode_with(nc, &base, "n", "ab\0cd", 5) == 0 &&
	    strcmp(nc->name, "ab") == 0);

	/* malformed blobs that make 1.14.1 throw */
	CHECK(decode_with(nc, &base, "C", "\x02", 1) == -1);
	CHECK(decode_with(nc, &base, "C", "", 0) == -1);
	CHECK(decode_with(nc, &base, "I", "\x05\x01\x02", 3) == -1);
	CHECK(decode_with(nc, &base, "I", "\x04\x0a\x00", 3) == -1);
	CHECK(decode_with(nc, &base, "RT", "\x00\x00\x00", 3) == -1);
	CHECK(decode_with(nc, &base, "R", "\x25\x02\x08", 3) == -1);
	CHECK(decode_with(nc, &base, "COO", "\x00", 1) == -1);
	/*
	 * A truncated reserved address (types 1-3) moves 1.14.1's offset
	 * past the end: accepted as the last entry, fatal before a read.
	 */
	CHECK(decode_with(nc, &base, "I", "\x04\x0a\x00\x00\x01\x00\x18"
	    "\x01\x02", 9) == 0 && nc->nstatic_ips == 2 &&
	    inetaddr_is_nil(&nc->static_ips[1]));
	CHECK(decode_with(nc, &base, "I", "\x03\x00\x09\x01", 4) == 0 &&
	    nc->nstatic_ips == 1);
	CHECK(decode_with(nc, &base, "I", "\x03\x00", 2) == -1);
	CHECK(decode_with(nc, &base, "I", "\x03\x00\x01\x07\x00", 5) == 0 &&
	    nc->nstatic_ips == 2);
	CHECK(decode_with(nc, &base, "RT", "\x02\x00", 2) == -1);
	memset(dns, 0, sizeof(dns));
	dns[131] = 1;
	CHECK(decode_with(nc, &base, "DNS", dns, 132) == 0);
	dns[130] = 2;
	CHECK(decode_with(nc, &base, "DNS", dns, 132) == -1);
	memset(dns, 0, sizeof(dns));
	CHECK(decode_with(nc, &base, "DNS", dns, 127) == -1);
	CHECK(decode_with(nc, &base, "DNS", dns, 131) == -1);
	CHECK(decode_with(nc, &base, "DNS", dns, 132) == 0);
	/* byte 127 of the domain is forced to NUL */
	memset(dns, 'a', 128);
	CHECK(decode_with(nc, &base, "DNS", dns, 140) == 0 &&
	    strlen((const char *)nc->dns.domain) == 127);

	/* a bad capability or tag only ends the list */
	CHECK(decode_with(nc, &base, "CAP", "\x01\x02", 2) == 0 &&
	    nc->ncapabilities == 0);
	CHECK(decode_with(nc, &base, "TAG", "\x01", 1) == 0 &&
	    nc->ntags == 0);
	CHECK(decode_with(nc, &base, "TAG", "", 0) == 0 && nc->ntags == 0);

	/* specialists: whole u64s, at most 256 */
	memset(blob, 0, sizeof(blob));
	for (i = 0; i < 40; i++)
		be64_put(blob + 8 * i, 0x0000020000000000ULL | (i + 1));
	CHECK(decode_with(nc, &base, "S", blob, 8 * 40 + 3) == 0 &&
	    nc->nspecialists == 40 && nc->specialists[39] ==
	    (0x0000020000000000ULL | 40));
	free(raw);
}

/* SSO keys (spec/vl2.md §5.1): written and read per version */
static void
test_sso(struct netconf *nc, json_t *ncs)
{
	struct netconf *back = netconf_new();
	struct dict d, v;
	uint8_t *raw;
	size_t n;
	static const char v1_tail[] = "ssov=0000000000000001\nssoe=1\n"
	    "iurl=https://issuer.example\nssoce=https://central.example/x\n"
	    "sson=nonce\nssos=state\nssocid=client\nssop=default";

	REQUIRE(back != NULL);
	raw = test_jhex(json_array_get(ncs, 0), "dictionary", &n);
	dict_view(&v, raw, n, DICT_CAP_NETCONF);
	REQUIRE(netconf_decode(nc, &v) == 0);

	nc->sso_enabled = true;
	nc->sso_version = 0;
	snprintf(nc->authentication_url, sizeof(nc->authentication_url),
	    "https://auth.example/login?a=b");
	nc->authentication_expiry_time = 1700000000000LL;
	dict_init(&d, DICT_CAP_NETCONF);
	REQUIRE(netconf_encode(nc, &d) == 0);
	CHECK(netconf_decode(back, &d) == 0 && back->sso_enabled &&
	    strcmp(back->authentication_url, nc->authentication_url) == 0 &&
	    back->authentication_expiry_time == 1700000000000LL);
	CHECK(!dict_has(&d, "iurl"));

	nc->sso_version = 1;
	snprintf(nc->issuer_url, sizeof(nc->issuer_url),
	    "https://issuer.example");
	snprintf(nc->central_auth_url, sizeof(nc->central_auth_url),
	    "https://central.example/x");
	snprintf(nc->sso_nonce, sizeof(nc->sso_nonce), "nonce");
	snprintf(nc->sso_state, sizeof(nc->sso_state), "state");
	snprintf(nc->sso_client_id, sizeof(nc->sso_client_id), "client");
	snprintf(nc->sso_provider, sizeof(nc->sso_provider), "default");
	REQUIRE(netconf_encode(nc, &d) == 0);
	n = strlen(v1_tail);
	CHECK(dict_len(&d) > n && memcmp(dict_data(&d) + dict_len(&d) - n,
	    v1_tail, n) == 0);
	CHECK(netconf_decode(back, &d) == 0 && back->sso_version == 1 &&
	    strcmp(back->issuer_url, nc->issuer_url) == 0 &&
	    strcmp(back->sso_client_id, "client") == 0 &&
	    back->authentication_url[0] == '\0' &&
	    back->authentication_expiry_time == 0);
	/* a missing provider reads as "default" */
	REQUIRE(dict_remove(&d, "ssop") == 0);
	CHECK(netconf_decode(back, &d) == 0 &&
	    strcmp(back->sso_provider, "default") == 0);
	/* with ssoe false nothing else is read */
	REQUIRE(dict_set(&d, "ssoe", "0", 1) == 0);
	CHECK(netconf_decode(back, &d) == 0 && !back->sso_enabled &&
	    back->issuer_url[0] == '\0');

	nc->sso_enabled = false;
	REQUIRE(netconf_encode(nc, &d) == 0);
	n = strlen("ssov=0000000000000001\nssoe=0");
	CHECK(dict_len(&d) > n && memcmp(dict_data(&d) + dict_len(&d) - n,
	    "ssov=0000000000000001\nssoe=0", n) == 0);
	dict_free(&d);
	netconf_free(back);
	free(raw);
}

/* sorting of capabilities and tags, and the encoder's own limits */
static void
test_encode_limits(struct netconf *nc, json_t *ncs)
{
	struct tag t[3];
	struct dict d;
	uint8_t *raw;
	size_t n;

	raw = test_jhex(json_array_get(ncs, 0), "dictionary", &n);
	dict_view(&d, raw, n, DICT_CAP_NETCONF);
	REQUIRE(netconf_decode(nc, &d) == 0 && nc->ntags >= 2);
	t[0] = nc->tags[1];
	t[1] = nc->tags[0];
	t[2] = nc->tags[1];
	t[2].id = 5;
	REQUIRE(netconf_set_tags(nc, t, 3) == 0);
	CHECK(nc->tags[0].id == 5 && nc->tags[1].id == t[1].id &&
	    nc->tags[2].id == t[0].id);
	CHECK(netconf_tag(nc, 12345) == NULL);

	dict_init(&d, 200);		/* far too small for a config */
	CHECK(netconf_encode(nc, &d) == -1 && dict_len(&d) == 0);
	dict_free(&d);
	dict_init(&d, DICT_CAP_NETCONF);
	nc->nroutes = NETCONF_MAX_ROUTES + 1;
	CHECK(netconf_encode(nc, &d) == -1);
	nc->nroutes = 0;
	CHECK(netconf_encode(nc, &d) == 0 && !dict_has(&d, "RT"));
	/* no COM, no rules: their keys are left out; DNS never is */
	nc->com.nq = 0;
	nc->nrules = 0;
	CHECK(netconf_encode(nc, &d) == 0 && !dict_has(&d, "C") &&
	    !dict_has(&d, "R") && dict_has(&d, "DNS"));
	dict_free(&d);
	free(raw);
}

int
main(void)
{
	json_t *v = test_vectors_load("dictionary.json");
	json_t *ncs = json_object_get(v, "network_configs");
	struct netconf *nc = netconf_new();

	REQUIRE(nc != NULL);
	test_vectors(ncs, nc);
	test_rejects(ncs, nc);
	test_sso(nc, ncs);
	test_encode_limits(nc, ncs);
	netconf_free(nc);
	json_decref(v);
	return test_main_end();
}
