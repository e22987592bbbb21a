/*
 * Config issuance (controllerd/issue.c, spec/controller.md §2-§3).
 *
 * The six networks a live 1.14.1 controller served (dictionary.json
 * "live_controller_*", created from the rules.json rule sets) are issued
 * again from the same controller JSON at the same clock: with the
 * controller key from the vectors (deterministic signatures) the whole
 * config dictionary must come out byte for byte, COM, capabilities, tags
 * and COO included.  Its chunks must reassemble and verify with
 * common/netconf_chunk.  Then the authorization cases, IPv4/IPv6 pool
 * assignment without collisions, RFC4193/6PLANE, revocations, the push
 * form, and the typed signing requests the key holder accepts.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dictionary.h"
#include "fixtures.h"
#include "issue.h"
#include "mac.h"
#include "netconf.h"
#include "netconf_chunk.h"
#include "signreq.h"
#include "test.h"

#define CTRL		0x9d3dee1129ULL
#define NWID		0x9d3dee1129000001ULL
#define NOW		1700000000000LL

static struct identity ctrl_pub, ctrl_sec, alice, bob, alice_sec;
static struct dict meta;
static const char *meta_text;

static void
load_fixtures(json_t *packets)
{
	json_t *ids = json_object_get(packets, "identities");

	test_identity_named(ids, "controller", "public", &ctrl_pub);
	test_identity_named(ids, "controller", "secret", &ctrl_sec);
	test_identity_named(ids, "alice", "public", &alice);
	test_identity_named(ids, "alice", "secret", &alice_sec);
	test_identity_named(ids, "bob", "public", &bob);
	REQUIRE(ctrl_pub.address == CTRL && identity_has_private(&ctrl_sec));
	/* the metadata 1.14.1 members sent (node_flow) */
	meta_text = test_jstr(packets, "network_config_request_metadata_text");
	REQUIRE(dict_load(&meta, meta_text, strlen(meta_text),
	    DICT_CAP_REQ_META) == 0);
	REQUIRE(dict_get_u64(&meta, "revr", 0) == 1);
}

static void
params_init(struct issue_params *p, const struct identity *member,
    const json_t *net, const json_t *m)
{
	memset(p, 0, sizeof(*p));
	p->controller = CTRL;
	p->nwid = NWID;
	p->member = member;
	p->meta = &meta;
	p->packet_id = 0x1122334455667788ULL;
	p->now = NOW;
	p->network = net;
	p->member_obj = m;
}

static json_t *
jparse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &e);

	if (j == NULL)
		fprintf(stderr, "bad test JSON: %s\n", e.text);
	REQUIRE(j != NULL);
	return j;
}

/* chunks of a finished job reassemble, verify and decode */
static struct netconf *
reassemble(const struct issue_job *j)
{
	uint8_t buf[NETCONF_CHUNK_WIRE_MAX + 16], verb;
	struct netconf_chunk c;
	struct netconf_asm a;
	struct netconf *nc;
	struct dict d;
	struct wbuf w;
	struct rbuf r;
	const uint8_t *out = NULL;
	size_t i, olen = 0;
	uint64_t upd, pid;
	uint8_t inre;
	enum netconf_asm_result res = NETCONF_ASM_MORE;

	REQUIRE(issue_job_done(j) && issue_job_npackets(j) > 0);
	netconf_asm_init(&a, j->nwid);
	for (i = 0; i < issue_job_npackets(j); i++) {
		wbuf_init(&w, buf, sizeof(buf));
		REQUIRE(issue_job_packet(j, i, &verb, &w) == 0);
		rbuf_init(&r, buf, wbuf_len(&w));
		if (j->packet_id != 0) {
			CHECK(verb == ISSUE_VERB_OK);
			rbuf_get_u8(&r, &inre);
			rbuf_get_u64(&r, &pid);
			CHECK(inre == ISSUE_VERB_NETWORK_CONFIG_REQ &&
			    pid == j->packet_id);
		} else
			CHECK(verb == ISSUE_VERB_NETWORK_CONFIG);
		REQUIRE(netconf_chunk_parse(&c, &r) == 0);
		CHECK(!c.legacy && c.len <= NETCONF_CHUNK_DATA_MAX);
		res = netconf_asm_add(&a, &c, CTRL, 1, &ctrl_pub, &out, &olen,
		    &upd);
	}
	CHECKF(res == NETCONF_ASM_DONE, "%s", netconf_asm_result_str(res));
	REQUIRE(res == NETCONF_ASM_DONE);
	CHECK(olen == dict_len(&j->dict));
	CHECK(memcmp(out, dict_data(&j->dict), olen) == 0);
	REQUIRE((nc = netconf_new()) != NULL);
	dict_view(&d, out, olen, DICT_CAP_NETCONF);
	CHECK(netconf_decode(nc, &d) == 0);
	netconf_asm_free(&a);
	return nc;
}

/* prints the first differing entry of two dictionaries */
static void
dict_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i = 0, ls = 0;

	while (i < alen && i < blen && a[i] == b[i]) {
		if (a[i] == '\n')
			ls = i + 1;
		i++;
	}
	fprintf(stderr, "differs at %zu, entry: got \"%.40s\" want \"%.40s\"\n",
	    i, (const char *)a + ls, (const char *)b + ls);
}

/*
 * Controller JSON for a live network, from the rule set it was created
 * with and the parts of its config that came from the network object.
 */
static json_t *
live_network(json_t *rs, json_t *dec)
{
	json_t *net = json_object(), *routes = json_array(), *r, *ip, *d;
	json_t *compiled = json_object_get(rs, "compiled");
	bool rfc = false, plane = false;
	size_t i;
	const char *via;

	json_object_set_new(net, "id", json_string(test_jstr(dec,
	    "network_id")));
	json_object_set_new(net, "name", json_string(test_jstr(dec, "name")));
	json_object_set_new(net, "private",
	    json_boolean(test_jint(dec, "type") == 0));
	json_object_set_new(net, "revision",
	    json_integer(test_jint(dec, "revision")));
	json_object_set_new(net, "mtu", json_integer(test_jint(dec, "mtu")));
	json_object_set_new(net, "multicastLimit",
	    json_integer(test_jint(dec, "multicast_limit")));
	json_object_set_new(net, "enableBroadcast", json_boolean(
	    strtoull(test_jstr(dec, "flags"), NULL, 16) & 2));
	json_array_foreach(json_object_get(dec, "routes"), i, r) {
		via = test_jstr(r, "via");
		json_array_append_new(routes, json_pack("{s:s,s:o}",
		    "target", test_jstr(r, "target"), "via",
		    via[0] ? json_string(via) : json_null()));
	}
	json_object_set_new(net, "routes", routes);
	json_array_foreach(json_object_get(dec, "static_ips"), i, ip) {
		rfc |= strncmp(json_string_value(ip), "fd", 2) == 0;
		plane |= strncmp(json_string_value(ip), "fc", 2) == 0;
	}
	json_object_set_new(net, "v6AssignMode", json_pack("{s:b,s:b,s:b}",
	    "rfc4193", rfc, "6plane", plane, "zt", 0));
	json_object_set_new(net, "v4AssignMode", json_pack("{s:b}", "zt", 0));
	d = json_object_get(dec, "dns");
	if (strlen(test_jstr(d, "domain")) > 0)
		json_object_set(net, "dns", d);
	json_object_set(net, "rules", json_object_get(compiled, "rules"));
	json_object_set(net, "capabilities",
	    json_object_get(compiled, "capabilities"));
	json_object_set(net, "tags", json_object_get(compiled, "tags"));
	return net;
}

static json_t *
live_member(json_t *rs, json_t *dec)
{
	json_t *lc = json_object_get(rs, "live_controller");
	json_t *m, *ips = json_array(), *tags = json_array();
	json_t *caps = json_array(), *e;
	size_t i;

	json_array_foreach(json_object_get(dec, "static_ips"), i, e) {
		char ip[64], *slash;

		snprintf(ip, sizeof(ip), "%s", json_string_value(e));
		if ((slash = strchr(ip, '/')) != NULL)
			*slash = '\0';
		if (strchr(ip, ':') == NULL)
			json_array_append_new(ips, json_string(ip));
	}
	json_array_foreach(json_object_get(lc, "member_tags"), i, e)
		json_array_append_new(tags, json_pack("[I,I]",
		    (json_int_t)test_jint(e, "id"),
		    (json_int_t)test_jint(e, "value")));
	json_array_foreach(json_object_get(lc, "capabilities_binary"), i, e)
		json_array_append_new(caps,
		    json_integer(test_jint(e, "id")));
	m = json_pack("{s:b,s:o,s:o,s:o}", "authorized", 1,
	    "ipAssignments", ips, "tags", tags, "capabilities", caps);
	REQUIRE(m != NULL);
	return m;
}

static void
test_live(json_t *dictv, json_t *rulesv)
{
	json_t *n, *rs = NULL, *lc = NULL, *dec, *net, *m, *sets;
	struct issue_params p;
	struct issue_job *j;
	struct netconf *nc;
	uint8_t *want;
	size_t i, k, wlen, nlive = 0;
	const char *nwid;

	json_array_foreach(json_object_get(dictv, "network_configs"), i, n) {
		if (strncmp(test_jstr(n, "name"), "live_controller_", 16) != 0)
			continue;
		dec = json_object_get(n, "decoded");
		nwid = test_jstr(dec, "network_id");
		sets = json_object_get(rulesv, "rule_sets");
		json_array_foreach(sets, k, rs) {
			lc = json_object_get(rs, "live_controller");
			if (strcmp(test_jstr(lc, "network_id"), nwid) == 0)
				break;
		}
		REQUIRE(k < json_array_size(sets));
		net = live_network(rs, dec);
		m = live_member(rs, dec);
		params_init(&p, &alice, net, m);
		p.nwid = strtoull(nwid, NULL, 16);
		p.now = test_jint(dec, "timestamp");
		REQUIRE(issue_request(&p, &j) == 0);
		CHECK(j->result == ISSUE_CONFIG);
		CHECK(issue_job_nsign(j) == 1 + j->nc->ncapabilities +
		    j->nc->ntags + j->nc->ncoos);
		REQUIRE(issue_job_sign_local(j, &ctrl_sec) == 0);
		want = test_jhex(n, "dictionary", &wlen);
		CHECKF(dict_len(&j->dict) == wlen &&
		    memcmp(dict_data(&j->dict), want, wlen) == 0,
		    "%s: issued config differs from 1.14.1's", nwid);
		if (dict_len(&j->dict) != wlen ||
		    memcmp(dict_data(&j->dict), want, wlen) != 0)
			dict_diff(dict_data(&j->dict), dict_len(&j->dict),
			    want, wlen);
		free(want);
		nc = reassemble(j);
		CHECK(nc->issued_to == alice.address && nc->nwid == p.nwid);
		CHECK(com_verify(&nc->com, &ctrl_pub) == CRED_VERIFY_OK);
		for (k = 0; k < nc->ncapabilities; k++)
			CHECK(capability_verify(&nc->capabilities[k],
			    &ctrl_pub, NULL) == CRED_VERIFY_OK);
		for (k = 0; k < nc->ntags; k++)
			CHECK(tag_verify(&nc->tags[k], &ctrl_pub) ==
			    CRED_VERIFY_OK);
		for (k = 0; k < nc->ncoos; k++)
			CHECK(coo_verify(&nc->coos[k], &ctrl_pub) ==
			    CRED_VERIFY_OK);
		/* the vl1 version fields came from the metadata */
		CHECK(json_integer_value(json_object_get(j->member_obj,
		    "vMinor")) == 14);
		netconf_free(nc);
		issue_job_free(j);
		json_decref(net);
		json_decref(m);
		nlive++;
	}
	CHECK(nlive == 6);
}

static json_t *
basic_network(bool private)
{
	json_t *net = jparse("{\"id\":\"9d3dee1129000001\",\"name\":\"t\","
	    "\"revision\":4,\"routes\":[{\"target\":\"10.147.17.0/24\","
	    "\"via\":null}],\"ipAssignmentPools\":[{\"ipRangeStart\":"
	    "\"10.147.17.1\",\"ipRangeEnd\":\"10.147.17.254\"}],"
	    "\"v4AssignMode\":{\"zt\":true},\"rules\":[{\"type\":"
	    "\"ACTION_DROP\"}],\"capabilities\":[{\"id\":7,\"default\":true,"
	    "\"rules\":[{\"type\":\"ACTION_ACCEPT\"}]}],\"tags\":[{\"id\":5,"
	    "\"default\":9},{\"id\":6,\"default\":null}],"
	    "\"authTokens\":{\"good\":0,\"old\":5}}");

	json_object_set_new(net, "private", json_boolean(private));
	return net;
}

static void
test_authorization(void)
{
	struct issue_params p;
	struct issue_job *j;
	json_t *net = basic_network(true), *pub = basic_network(false), *m;
	uint8_t buf[256];
	struct wbuf w;
	struct dict tok;
	char text[IDENTITY_STRING_MAX];

	/* no such network */
	params_init(&p, &alice, NULL, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_NOT_FOUND && j->member_obj == NULL);
	CHECK(issue_error_code(j) == ISSUE_ERR_OBJ_NOT_FOUND);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(issue_error_payload(j, &w) == 0 && wbuf_len(&w) == 8 &&
	    be64_get(buf) == NWID);
	issue_job_free(j);

	/* another controller's network: dropped silently */
	params_init(&p, &alice, net, NULL);
	p.nwid = 0x1111111111000001ULL;
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_IGNORE && issue_error_code(j) == 0);
	issue_job_free(j);

	/* private, unknown member: saved unauthorized, denied */
	params_init(&p, &alice, net, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_ACCESS_DENIED);
	CHECK(issue_error_code(j) == ISSUE_ERR_NETWORK_ACCESS_DENIED);
	REQUIRE(j->member_obj != NULL);
	CHECK(j->member_changed);
	CHECK(json_is_false(json_object_get(j->member_obj, "authorized")));
	CHECK(strcmp(json_string_value(json_object_get(j->member_obj, "id")),
	    "8899332b2c") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j->member_obj,
	    "nwid")), "9d3dee1129000001") == 0);
	identity_to_string(&alice, false, text, sizeof(text));
	CHECK(strcmp(json_string_value(json_object_get(j->member_obj,
	    "identity")), text) == 0);
	CHECK(json_integer_value(json_object_get(j->member_obj,
	    "vMajor")) == -1);
	/* asking again with the saved record changes nothing */
	m = json_deep_copy(j->member_obj);
	issue_job_free(j);
	params_init(&p, &alice, net, m);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_ACCESS_DENIED && !j->member_changed);
	issue_job_free(j);

	/* pinned to alice: bob's identity under alice's record is refused */
	{
		struct identity fake = bob;

		fake.address = alice.address;
		params_init(&p, &fake, net, m);
		REQUIRE(issue_request(&p, &j) == 0);
		CHECK(j->result == ISSUE_ACCESS_DENIED);
		CHECK(j->member_obj == NULL);
		issue_job_free(j);
	}
	json_decref(m);

	/* public network: authorized by the request itself */
	params_init(&p, &alice, pub, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_CONFIG);
	CHECK(json_is_true(json_object_get(j->member_obj, "authorized")));
	CHECK(strcmp(json_string_value(json_object_get(j->member_obj,
	    "lastAuthorizedCredentialType")), "public") == 0);
	CHECK(json_integer_value(json_object_get(j->member_obj,
	    "lastAuthorizedTime")) == NOW);
	CHECK(j->nc->type == NETCONF_TYPE_PUBLIC);
	/* a new member gets the default capability and tag (revr = 1) */
	CHECK(j->nc->ncapabilities == 1 &&
	    j->nc->capabilities[0].id == 7);
	CHECK(j->nc->ntags == 1 && j->nc->tags[0].id == 5 &&
	    j->nc->tags[0].value == 9);
	CHECK(json_array_size(json_object_get(j->member_obj,
	    "capabilities")) == 1);
	CHECK(json_array_size(json_object_get(j->member_obj, "tags")) == 1);
	CHECK(j->nc->nrules == 1 && j->nc->rules[0].t == RULE_ACTION_DROP);
	CHECK(issue_job_sign_local(j, &ctrl_sec) == 0);
	netconf_free(reassemble(j));
	issue_job_free(j);

	/* without "revr": one ACCEPT rule, no capabilities or tags */
	params_init(&p, &alice, pub, NULL);
	p.meta = NULL;
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_CONFIG && j->nc->nrules == 1 &&
	    j->nc->rules[0].t == RULE_ACTION_ACCEPT);
	CHECK(j->nc->ncapabilities == 0 && j->nc->ntags == 0);
	issue_job_free(j);

	/* tokens: valid (0 = no expiry), expired */
	dict_init(&tok, DICT_CAP_REQ_META);
	REQUIRE(dict_add_u64(&tok, "revr", 1) == 0);
	REQUIRE(dict_add_str(&tok, "a", "token:good") == 0);
	params_init(&p, &alice, net, NULL);
	p.meta = &tok;
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_CONFIG);
	CHECK(strcmp(json_string_value(json_object_get(j->member_obj,
	    "lastAuthorizedCredential")), "good") == 0);
	issue_job_free(j);
	dict_clear(&tok);
	REQUIRE(dict_add_str(&tok, "a", "token:old") == 0);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_ACCESS_DENIED);
	issue_job_free(j);
	dict_free(&tok);

	/* SSO with an expired authentication: saved, auth required */
	m = jparse("{\"authorized\":true}");
	json_object_set_new(net, "ssoEnabled", json_true());
	params_init(&p, &alice, net, m);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_AUTH_REQUIRED && j->member_obj != NULL);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(issue_error_payload(j, &w) == 0);
	CHECK(wbuf_len(&w) > 10 && be16_get(buf + 8) == wbuf_len(&w) - 10);
	CHECK(issue_error_code(j) == ISSUE_ERR_NETWORK_AUTH_REQUIRED);
	issue_job_free(j);
	/* exempt members are not asked */
	json_object_set_new(m, "ssoExempt", json_true());
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_CONFIG);
	issue_job_free(j);
	json_decref(m);
	/* 1.14.1 asks for SSO even before it looks at "authorized" */
	params_init(&p, &alice, net, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->result == ISSUE_AUTH_REQUIRED);
	issue_job_free(j);
	json_object_del(net, "ssoEnabled");

	/* capability ids as 1.14.1's jsonInt reads them; unknown ids */
	m = jparse("{\"authorized\":true,\"capabilities\":[\"7\",99],"
	    "\"tags\":[[5,1],[5,2],[8,3]]}");
	params_init(&p, &alice, net, m);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->nc->ncapabilities == 1 && j->nc->capabilities[0].id == 7);
	/* one tag per id, the later value; no default over a set tag */
	CHECK(j->nc->ntags == 2 && j->nc->tags[0].id == 5 &&
	    j->nc->tags[0].value == 2 && j->nc->tags[1].id == 8);
	CHECK(json_array_size(json_object_get(j->member_obj, "tags")) == 3);
	issue_job_free(j);
	json_decref(m);
	json_decref(net);
	json_decref(pub);
}

/* an identity with a chosen address (pool arithmetic only) */
static struct identity
with_address(uint64_t a)
{
	struct identity id = alice;

	id.address = a;
	return id;
}

static void
check_ip(const struct netconf *nc, size_t i, const char *want)
{
	char got[INETADDR_STRLEN];

	CHECKF(i < nc->nstatic_ips && strcmp(inetaddr_fmt(&nc->static_ips[i],
	    got), want) == 0, "static IP %zu: %s, want %s", i,
	    i < nc->nstatic_ips ? got : "none", want);
}

static void
test_ipv4_pool(void)
{
	json_t *net = basic_network(false), *m;
	struct identity a = with_address(0xbb665e0d7eULL);
	struct identity b = with_address(0x7c87b7c7d9ULL);
	struct inetaddr taken[2];
	struct issue_params p;
	struct issue_job *j;

	/* spec/controller.md §2.7, observed on 1.14.1 */
	params_init(&p, &a, net, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->nc->nstatic_ips == 1);
	check_ip(j->nc, 0, "10.147.17.224/24");
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(
	    j->member_obj, "ipAssignments"), 0)), "10.147.17.224") == 0);
	/* the saved assignment is reused, not a second one */
	m = json_deep_copy(j->member_obj);
	issue_job_free(j);
	params_init(&p, &a, net, m);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->nc->nstatic_ips == 1);
	check_ip(j->nc, 0, "10.147.17.224/24");
	CHECK(json_array_size(json_object_get(j->member_obj,
	    "ipAssignments")) == 1);
	issue_job_free(j);
	json_decref(m);

	params_init(&p, &b, net, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	check_ip(j->nc, 0, "10.147.17.35/24");
	issue_job_free(j);

	/* taken by other members: the next candidates */
	REQUIRE(inetaddr_parse(&taken[0], "10.147.17.224") == 0);
	REQUIRE(inetaddr_parse(&taken[1], "10.147.17.225") == 0);
	params_init(&p, &a, net, NULL);
	p.allocated = taken;
	p.nallocated = 2;
	REQUIRE(issue_request(&p, &j) == 0);
	check_ip(j->nc, 0, "10.147.17.226/24");
	issue_job_free(j);

	/* noAutoAssignIps: nothing */
	m = jparse("{\"noAutoAssignIps\":true}");
	params_init(&p, &a, net, m);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->nc->nstatic_ips == 0 && j->nc->ncoos == 0);
	issue_job_free(j);
	json_decref(m);

	/* explicit: the longest route wins; outside every route: unsent */
	json_array_append_new(json_object_get(net, "routes"),
	    jparse("{\"target\":\"10.147.17.128/25\",\"via\":null}"));
	m = jparse("{\"ipAssignments\":[\"192.168.9.9\",\"10.147.17.200\"]}");
	params_init(&p, &a, net, m);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->nc->nstatic_ips == 1);
	check_ip(j->nc, 0, "10.147.17.200/25");
	CHECK(json_array_size(json_object_get(j->member_obj,
	    "ipAssignments")) == 2);
	CHECK(j->nc->ncoos == 1 && j->nc->coos[0].nthings == 1);
	issue_job_free(j);
	json_decref(m);

	/* a default route counts for explicit IPs: sent as /0 (1.14.1) */
	m = jparse("{\"ipAssignments\":[\"192.168.9.9\"]}");
	json_array_append_new(json_object_get(net, "routes"),
	    jparse("{\"target\":\"0.0.0.0/0\",\"via\":\"10.147.17.1\"}"));
	params_init(&p, &a, net, m);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->nc->nstatic_ips == 1);
	check_ip(j->nc, 0, "192.168.9.9/0");
	issue_job_free(j);
	json_decref(m);

	/* a pool whose candidate is a .255 skips it */
	json_object_set_new(net, "ipAssignmentPools", jparse("[{"
	    "\"ipRangeStart\":\"10.147.17.254\",\"ipRangeEnd\":"
	    "\"10.147.18.1\"}]"));
	json_array_append_new(json_object_get(net, "routes"),
	    jparse("{\"target\":\"10.147.0.0/16\",\"via\":null}"));
	/*
	 * address & 0xffffffff = 1, mod 3: .255, skipped; then .0, whose
	 * first route is the /16
	 */
	a = with_address(0x0100000001ULL);
	params_init(&p, &a, net, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	check_ip(j->nc, 0, "10.147.18.0/16");
	issue_job_free(j);
	json_decref(net);
}

static void
test_ipv6(void)
{
	json_t *net = jparse("{\"id\":\"9d3dee1129000001\",\"private\":false,"
	    "\"v6AssignMode\":{\"rfc4193\":true,\"6plane\":true,\"zt\":true},"
	    "\"routes\":[{\"target\":\"fd00:1::/64\",\"via\":null}],"
	    "\"ipAssignmentPools\":[{\"ipRangeStart\":\"fd00:1::\","
	    "\"ipRangeEnd\":\"fd00:1::ffff:ffff:ffff:ffff\"}]}");
	struct issue_params p;
	struct issue_job *j;
	struct inetaddr a;
	char want[INETADDR_STRLEN];

	params_init(&p, &alice, net, NULL);
	REQUIRE(issue_request(&p, &j) == 0);
	CHECK(j->nc->flags == (NETCONF_F_ENABLE_BROADCAST |
	    NETCONF_F_ENABLE_IPV6_NDP_EMU));
	mac_rfc4193(&a, NWID, alice.address);
	check_ip(j->nc, 0, inetaddr_fmt(&a, want));
	mac_6plane(&a, NWID, alice.address);
	check_ip(j->nc, 1, inetaddr_fmt(&a, want));
	/* first trial: range start + member address */
	check_ip(j->nc, 2, "fd00:1::88:9933:2b2c/64");
	CHECK(strcmp(json_string_value(json_array_get(json_object_get(
	    j->member_obj, "ipAssignments"), 0)), "fd00:1::88:9933:2b2c") ==
	    0);
	CHECK(issue_job_sign_local(j, &ctrl_sec) == 0);
	netconf_free(reassemble(j));
	issue_job_free(j);
	json_decref(net);
}

static void
test_push_and_bridges(void)
{
	json_t *net = basic_network(false);
	uint64_t bridges[2] = { bob.address, alice.address };
	struct issue_params p;
	struct issue_job *j;
	struct netconf *nc;

	params_init(&p, &alice, net, NULL);
	p.packet_id = 0;
	p.bridges = bridges;
	p.nbridges = 2;
	REQUIRE(issue_request(&p, &j) == 0);
	/* a push records no version */
	CHECK(json_integer_value(json_object_get(j->member_obj,
	    "vMajor")) == -1);
	REQUIRE(issue_job_sign_local(j, &ctrl_sec) == 0);
	nc = reassemble(j);
	CHECK(nc->nspecialists == 2);
	CHECK(nc->specialists[0] == (alice.address |
	    NETCONF_SPECIALIST_ACTIVE_BRIDGE));
	CHECK(nc->specialists[1] == (bob.address |
	    NETCONF_SPECIALIST_ACTIVE_BRIDGE));
	CHECK(nc->revision == 4 && nc->credential_time_max_delta ==
	    ISSUE_CTMD_DEFAULT && nc->timestamp == NOW);
	netconf_free(nc);
	/* signatures after the end are refused */
	CHECK(issue_job_nsign(j) == 0);
	issue_job_free(j);
	json_decref(net);
}

static void
test_revocation(void)
{
	uint8_t buf[512], verb;
	struct revocation v;
	struct issue_job *j;
	struct wbuf w;
	struct rbuf r;
	uint16_t n;
	uint8_t z;

	REQUIRE(issue_revoke(NWID, bob.address, NOW, 0xabcdef, &j) == 0);
	CHECK(issue_job_nsign(j) == 1 && !issue_job_done(j));
	REQUIRE(issue_job_sign_local(j, &ctrl_sec) == 0);
	REQUIRE(issue_job_npackets(j) == 1);
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(issue_job_packet(j, 0, &verb, &w) == 0);
	CHECK(verb == ISSUE_VERB_NETWORK_CREDENTIALS);
	rbuf_init(&r, buf, wbuf_len(&w));
	rbuf_get_u8(&r, &z);
	CHECK(z == 0);
	rbuf_get_u16(&r, &n);
	CHECK(n == 0);
	rbuf_get_u16(&r, &n);
	CHECK(n == 0);
	rbuf_get_u16(&r, &n);
	CHECK(n == 1);
	CHECK(revocation_deserialize(&v, &r) == 0);
	rbuf_get_u16(&r, &n);
	CHECK(n == 0 && rbuf_done(&r));
	CHECK(revocation_verify(&v, &ctrl_pub) == CRED_VERIFY_OK);
	CHECK(v.target == bob.address && v.threshold == NOW &&
	    v.id == 0xabcdef && v.type == CRED_TYPE_COM &&
	    revocation_fast_propagate(&v));
	issue_job_free(j);
}

/* what the key holder signs and refuses (signreq_sign) */
static void
test_signreq(void)
{
	uint8_t body[SIGNREQ_BODY_MAX + 8], sig[ZT_SIGNATURE_LEN];
	uint8_t msg[64];
	enum signreq_kind kind;
	struct tag t;
	struct com c;
	struct wbuf w;
	size_t len;

	memset(&t, 0, sizeof(t));
	t.nwid = NWID;
	t.timestamp = NOW;
	t.id = 1;
	t.issued_to = bob.address;
	wbuf_init(&w, body, sizeof(body));
	REQUIRE(signreq_put_tag(&w, &t) == 0);
	len = wbuf_len(&w);
	CHECK(signreq_sign(body, len, &ctrl_sec, &kind, sig) == SIGNREQ_OK);
	CHECK(kind == SIGNREQ_TAG);
	t.signed_by = CTRL;
	memcpy(t.signature, sig, sizeof(sig));
	CHECK(tag_verify(&t, &ctrl_pub) == CRED_VERIFY_OK);
	/* a byte too many, or too few */
	CHECK(signreq_sign(body, len + 1, &ctrl_sec, &kind, sig) ==
	    SIGNREQ_E_MALFORMED);
	CHECK(signreq_sign(body, len - 1, &ctrl_sec, &kind, sig) ==
	    SIGNREQ_E_MALFORMED);
	/* not this key's network */
	CHECK(signreq_sign(body, len, &alice_sec, &kind, sig) ==
	    SIGNREQ_E_NETWORK);
	/* another signer already named */
	t.signed_by = alice.address;
	wbuf_init(&w, body, sizeof(body));
	REQUIRE(signreq_put_tag(&w, &t) == 0);
	CHECK(signreq_sign(body, wbuf_len(&w), &ctrl_sec, &kind, sig) ==
	    SIGNREQ_E_MALFORMED);
	/* a raw blob, and an unknown kind */
	memset(msg, 0x41, sizeof(msg));
	wbuf_init(&w, body, sizeof(body));
	REQUIRE(signreq_put_chunk(&w, msg, sizeof(msg)) == 0);
	CHECK(signreq_sign(body, wbuf_len(&w), &ctrl_sec, &kind, sig) ==
	    SIGNREQ_E_MALFORMED);
	body[0] = 99;
	CHECK(signreq_sign(body, wbuf_len(&w), &ctrl_sec, &kind, sig) ==
	    SIGNREQ_E_MALFORMED);
	CHECK(signreq_sign(body, 0, &ctrl_sec, &kind, sig) ==
	    SIGNREQ_E_MALFORMED);
	/* a COM of a foreign network */
	REQUIRE(com_issue(&c, 0x8899332b2c000001ULL, NOW, 1000, &bob) == 0);
	wbuf_init(&w, body, sizeof(body));
	REQUIRE(signreq_put_com(&w, &c) == 0);
	CHECK(signreq_sign(body, wbuf_len(&w), &ctrl_sec, &kind, sig) ==
	    SIGNREQ_E_NETWORK);
	CHECK(signreq_sign(body, wbuf_len(&w), &alice_sec, &kind, sig) ==
	    SIGNREQ_OK);
}

int
main(void)
{
	json_t *packets = test_vectors_load("packets.json");
	json_t *dictv = test_vectors_load("dictionary.json");
	json_t *rulesv = test_vectors_load("rules.json");

	REQUIRE(packets != NULL && dictv != NULL && rulesv != NULL);
	dict_init(&meta, DICT_CAP_REQ_META);
	load_fixtures(packets);
	test_live(dictv, rulesv);
	test_authorization();
	test_ipv4_pool();
	test_ipv6();
	test_push_and_bridges();
	test_revocation();
	test_signreq();
	dict_free(&meta);
	identity_clear(&ctrl_pub);
	identity_clear(&ctrl_sec);
	identity_clear(&alice_sec);
	identity_clear(&alice);
	identity_clear(&bob);
	json_decref(packets);
	json_decref(dictv);
	json_decref(rulesv);
	return test_main_end();
}
