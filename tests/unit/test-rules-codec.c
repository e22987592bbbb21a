/*
 * Rule codec against vectors/rules.json: controller JSON -> struct rule
 * -> binary ("R" and capability rules) and back to the controller's
 * rendering.  Frames and evaluations belong to the rules engine; they
 * are read and checked for consistency here so the whole file is used.
 */
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "rules.h"
#include "test.h"

static void
check_wbuf_hex(const struct wbuf *w, const char *hex, const char *what)
{
	uint8_t *want;
	size_t wlen;

	want = test_hex(hex, &wlen);
	CHECKF(!wbuf_failed(w) && wbuf_len(w) == wlen,
	    "%s: length %zu want %zu", what, wbuf_len(w), wlen);
	if (!wbuf_failed(w) && wbuf_len(w) == wlen)
		CHECK_MEM(wbuf_data(w), want, wlen, what);
	free(want);
}

static void
check_json(json_t *got, json_t *want, const char *what)
{
	char *g, *x;

	if (got != NULL && json_equal(got, want))
		return;
	g = got != NULL ? json_dumps(got, JSON_SORT_KEYS) : NULL;
	x = json_dumps(want, JSON_SORT_KEYS);
	CHECKF(0, "%s: got %s want %s", what, g != NULL ? g : "(null)", x);
	free(g);
	free(x);
}

/* binary -> rules -> binary, and rendering of the decoded rules */
static void
check_decode(const char *hex, const struct rule *rules, size_t n,
    json_t *rendered, const char *name)
{
	struct rule *dec;
	struct rbuf r;
	struct wbuf w;
	uint8_t *bin;
	size_t len, m, i;
	json_t *j;

	dec = calloc(RULES_MAX_NETWORK, sizeof(*dec));
	REQUIRE(dec != NULL);
	bin = test_hex(hex, &len);
	rbuf_init(&r, bin, len);
	CHECK(rules_decode(&r, dec, RULES_MAX_NETWORK, &m) == 0);
	CHECKF(rbuf_done(&r) && m == n, "%s: decoded %zu of %zu", name, m,
	    n);
	for (i = 0; i < m && i < n; i++)
		CHECKF(rule_equal(&dec[i], &rules[i]), "%s rule %zu", name, i);
	if (rendered != NULL) {
		j = rules_to_json(dec, m);
		check_json(j, rendered, name);
		json_decref(j);
	}
	wbuf_init_dynamic(&w, 65536);
	CHECK(rules_encode(dec, m, &w) == 0);
	check_wbuf_hex(&w, hex, name);
	wbuf_free(&w);
	free(bin);
	free(dec);
}

static void
test_capabilities(json_t *rs, const char *name)
{
	json_t *caps = json_object_get(json_object_get(rs, "compiled"),
	    "capabilities");
	json_t *bins = json_object_get(rs, "capabilities_binary");
	json_t *cap, *bin;
	struct rule rules[RULES_MAX_CAPABILITY];
	struct wbuf w;
	size_t i, n, dropped;

	CHECK(json_is_array(caps) && json_is_array(bins));
	CHECK(json_array_size(caps) == json_array_size(bins));
	json_array_foreach(caps, i, cap) {
		bin = json_array_get(bins, i);
		CHECK(test_jint(cap, "id") == test_jint(bin, "id"));
		CHECK(json_is_boolean(json_object_get(cap, "default")));
		CHECK(rules_from_json(json_object_get(cap, "rules"), rules,
		    RULES_MAX_CAPABILITY, &n, &dropped) == 0 && dropped == 0);
		wbuf_init_dynamic(&w, 4096);
		CHECK(rules_encode(rules, n, &w) == 0);
		check_wbuf_hex(&w, test_jstr(bin, "rules_binary"), name);
		wbuf_free(&w);
		check_decode(test_jstr(bin, "rules_binary"), rules, n, NULL,
		    name);
	}
}

static void
test_live(json_t *rs, const char *rules_hex, const char *name)
{
	json_t *live = json_object_get(rs, "live_controller");
	json_t *tags, *local, *t;
	uint64_t nw;
	const char *s;
	size_t i;
	bool same;

	REQUIRE(live != NULL);
	s = test_jstr(live, "network_id");
	CHECK(strlen(s) == 16 && hex_parse_u64(s, 16, &nw) == 0);
	same = strcmp(test_jstr(live, "rules_binary"), rules_hex) == 0;
	CHECKF(same == test_jbool(live, "identical_to_rules_binary"), "%s",
	    name);
	CHECK(json_equal(json_object_get(live, "capabilities_binary"),
	    json_object_get(rs, "capabilities_binary")));
	/* the live member was given the tags the evaluation assumes */
	tags = json_object_get(live, "member_tags");
	local = json_object_get(rs, "local_tags_for_evaluation");
	CHECK(json_is_array(tags));
	CHECK(json_array_size(tags) == json_array_size(local));
	json_array_foreach(tags, i, t) {
		CHECK(test_jint(t, "id") ==
		    test_jint(json_array_get(local, i), "id"));
		CHECK(test_jint(t, "value") ==
		    test_jint(json_array_get(local, i), "value"));
	}
}

/* evaluation records: consistent and pointing at known frames */
static void
test_evaluations(json_t *rs, json_t *frames, json_t *meaning)
{
	json_t *evs = json_object_get(rs, "evaluations"), *e, *f;
	size_t i, j;
	const char *res;
	bool found;

	CHECK(json_array_size(evs) > 0);
	json_array_foreach(evs, i, e) {
		found = false;
		json_array_foreach(frames, j, f)
			if (strcmp(test_jstr(f, "name"),
			    test_jstr(e, "frame")) == 0)
				found = true;
		CHECKF(found, "frame %s", test_jstr(e, "frame"));
		res = test_jstr(e, "result");
		CHECKF(json_object_get(meaning, res) != NULL, "result %s",
		    res);
		CHECK(test_jbool(e, "accepted") ==
		    (strcmp(res, "ACCEPT") == 0 ||
		    strcmp(res, "REDIRECT") == 0 ||
		    strcmp(res, "SUPER_ACCEPT") == 0));
		CHECK(strcmp(test_jstr(e, "direction"), "inbound") == 0 ||
		    strcmp(test_jstr(e, "direction"), "outbound") == 0);
		CHECK(strlen(test_jstr(e, "zt_source")) == 10);
		CHECK(strlen(test_jstr(e, "zt_dest")) == 10);
		if (strcmp(res, "REDIRECT") == 0)
			CHECK(strlen(test_jstr(e, "redirect_to")) == 10);
	}
}

static void
test_rule_set(json_t *rs, json_t *frames, json_t *meaning)
{
	const char *name = test_jstr(rs, "name");
	json_t *compiled = json_object_get(rs, "compiled");
	json_t *rendered = json_object_get(rs, "rules_rendered_by_controller");
	json_t *each = json_object_get(rs, "rules_binary_each");
	struct rule *rules;
	struct wbuf w;
	size_t n, dropped, i;
	json_t *j;

	CHECK(strlen(test_jstr(rs, "dsl")) > 0);
	CHECK(json_is_array(json_object_get(compiled, "tags")));
	rules = calloc(RULES_MAX_NETWORK, sizeof(*rules));
	REQUIRE(rules != NULL);
	CHECK(rules_from_json(json_object_get(compiled, "rules"), rules,
	    RULES_MAX_NETWORK, &n, &dropped) == 0);
	CHECKF(n == (size_t)test_jint(rs, "rule_count"), "%s count", name);
	CHECK((dropped == 0) == test_jbool(rs, "all_rules_parsed"));

	wbuf_init_dynamic(&w, 65536);
	CHECK(rules_encode(rules, n, &w) == 0);
	check_wbuf_hex(&w, test_jstr(rs, "rules_binary"), name);
	wbuf_free(&w);

	CHECK(json_array_size(each) == n && json_array_size(rendered) == n);
	for (i = 0; i < n; i++) {
		wbuf_init_dynamic(&w, RULE_WIRE_MAX);
		CHECK(rule_encode(&rules[i], &w) == 0);
		check_wbuf_hex(&w, json_string_value(json_array_get(each, i)),
		    name);
		wbuf_free(&w);
		j = rule_to_json(&rules[i]);
		check_json(j, json_array_get(rendered, i), name);
		json_decref(j);
	}
	check_decode(test_jstr(rs, "rules_binary"), rules, n, rendered,
	    name);
	/* the rendering parses back to the same rules */
	{
		struct rule again[RULES_MAX_CAPABILITY];
		size_t m, d;

		CHECK(rules_from_json(rendered, again, RULES_MAX_CAPABILITY,
		    &m, &d) == 0 && m == n && d == 0);
		for (i = 0; i < m && i < n; i++)
			CHECK(rule_equal(&again[i], &rules[i]));
	}
	test_capabilities(rs, name);
	test_live(rs, test_jstr(rs, "rules_binary"), name);
	test_evaluations(rs, frames, meaning);
	free(rules);
}

static void
test_frames(json_t *frames)
{
	json_t *f;
	size_t i, plen, elen;
	uint8_t *p, *e;
	const char *sm, *dm;

	CHECK(json_array_size(frames) > 0);
	json_array_foreach(frames, i, f) {
		p = test_jhex(f, "payload", &plen);
		e = test_jhex(f, "ethernet_frame", &elen);
		sm = test_jstr(f, "source_mac");
		dm = test_jstr(f, "dest_mac");
		CHECK(strlen(test_jstr(f, "name")) > 0);
		CHECK(json_is_string(json_object_get(f, "description")));
		CHECK(plen == (size_t)test_jint(f, "payload_length"));
		CHECK(test_jint(f, "vlan_id") >= 0);
		/* the Ethernet frame is dest, source, ethertype, payload */
		CHECKF(elen == plen + 14, "%s", test_jstr(f, "name"));
		if (elen == plen + 14 && strlen(sm) == 17 && strlen(dm) == 17) {
			uint8_t mac[6];
			unsigned int k;

			for (k = 0; k < 6; k++)
				CHECK(hex_decode(dm + 3 * k, 2, &mac[k], 1) ==
				    0);
			CHECK_MEM(e, mac, 6, "dest mac");
			for (k = 0; k < 6; k++)
				CHECK(hex_decode(sm + 3 * k, 2, &mac[k], 1) ==
				    0);
			CHECK_MEM(e + 6, mac, 6, "source mac");
			CHECK(be16_get(e + 12) == test_jint(f, "ethertype"));
			CHECK_MEM(e + 14, p, plen, "payload");
		}
		free(p);
		free(e);
	}
}

/* the observed controller behaviour of spec/controller.md §4.3, §5.1 */
static void
test_controller_quirks(void)
{
	static const char *in = "["
	    "{\"type\":\"MATCH_IPV4_SOURCE\",\"ip\":\"10.1.2.3/40\"},"
	    "{\"type\":\"BOGUS\"},"
	    "{\"type\":\"ACTION_REDIRECT\",\"address\":\"1234567890\","
	    "\"length\":5},"
	    "{\"type\":\"INTEGER_RANGE\",\"start\":1,\"end\":2},"
	    "{\"type\":\"ACTION_PRIORITY\"},"
	    "17,"
	    "{\"type\":\"MATCH_VLAN_ID\",\"vlanId\":\"42\",\"not\":\"true\","
	    "\"or\":1},"
	    "{\"type\":\"MATCH_IP_DEST_PORT_RANGE\",\"start\":80},"
	    "{\"type\":\"MATCH_MAC_DEST\",\"mac\":\"AA-bb-cc-dd-ee-0F\"},"
	    "{\"type\":\"MATCH_CHARACTERISTICS\",\"mask\":3},"
	    "{\"type\":\"MATCH_CHARACTERISTICS\",\"mask\":null},"
	    "{\"type\":\"MATCH_ICMP\",\"icmpType\":3,\"icmpCode\":1},"
	    "{\"type\":\"MATCH_IPV6_DEST\",\"ip\":\"fd00::1/200\"},"
	    "{\"type\":\"MATCH_IPV4_DEST\",\"ip\":\"fd00::1/24\"},"
	    "{\"type\":\"MATCH_TAG_SENDER\",\"id\":5,\"value\":true},"
	    "{\"type\":\"ACTION_TEE\",\"address\":\"ffff1234567890\","
	    "\"flags\":1,\"length\":70000}"
	    "]";
	static const char *out = "["
	    "{\"ip\":\"10.1.2.3/32\",\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_IPV4_SOURCE\"},"
	    "{\"address\":\"1234567890\",\"flags\":0,"
	    "\"type\":\"ACTION_REDIRECT\"},"
	    "{\"vlanId\":42,\"not\":true,\"or\":true,"
	    "\"type\":\"MATCH_VLAN_ID\"},"
	    "{\"start\":80,\"end\":80,\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_IP_DEST_PORT_RANGE\"},"
	    "{\"mac\":\"aa:bb:cc:dd:ee:0f\",\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_MAC_DEST\"},"
	    "{\"mask\":\"0000000000000003\",\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_CHARACTERISTICS\"},"
	    "{\"icmpType\":3,\"icmpCode\":1,\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_ICMP\"},"
	    "{\"ip\":\"fd00::1/128\",\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_IPV6_DEST\"},"
	    "{\"ip\":\"0.0.0.0/24\",\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_IPV4_DEST\"},"
	    "{\"id\":5,\"value\":1,\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_TAG_SENDER\"},"
	    "{\"address\":\"1234567890\",\"flags\":1,\"length\":4464,"
	    "\"type\":\"ACTION_TEE\"}"
	    "]";
	json_t *jin, *jout, *j;
	struct rule rules[32];
	size_t n, dropped;

	jin = json_loads(in, JSON_REJECT_DUPLICATES, NULL);
	jout = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
	REQUIRE(jin != NULL && jout != NULL);
	CHECK(rules_from_json(jin, rules, 32, &n, &dropped) == 0);
	CHECK(n == 11 && dropped == 5);
	j = rules_to_json(rules, n);
	check_json(j, jout, "controller quirks");
	json_decref(j);
	CHECK(rules_from_json(jin, rules, 2, &n, &dropped) == 0 && n == 2);
	j = json_object();
	CHECK(rules_from_json(j, rules, 2, &n, &dropped) == -1);
	json_decref(j);
	json_decref(jin);
	json_decref(jout);
}

/* binary cases the vectors do not cover */
static void
test_binary_edges(void)
{
	/* INTEGER_RANGE start 5 end 0x105, idx 3, little endian 16 bits */
	static const char *intrange =
	    "3313000000000000000500000000000001050003" "8f";
	/* unknown type 20 with 3 field bytes; PRIORITY with 1 byte */
	static const char *unknown = "1403aabbcc" "060107";
	/* TEE with a 16-byte field: the 2 extra bytes are skipped */
	static const char *longer =
	    "0210000000fc079a1100000000000080ffff";
	/* ETHERTYPE declaring 1 byte: too short for its field */
	static const char *shorter = "250108" "0100";
	struct rule rules[8];
	struct rbuf r;
	struct wbuf w;
	uint8_t *b, out[64];
	size_t len, n;
	json_t *j, *want;

	b = test_hex(intrange, &len);
	rbuf_init(&r, b, len);
	CHECK(rules_decode(&r, rules, 8, &n) == 0 && n == 1);
	CHECK(rules[0].v.int_range.start == 5 &&
	    rules[0].v.int_range.end == 0x100 &&
	    rules[0].v.int_range.idx == 3 &&
	    rules[0].v.int_range.format == 0x8f);
	j = rule_to_json(&rules[0]);
	want = json_pack("{s:s, s:s, s:s, s:i, s:b, s:i, s:b, s:b}",
	    "type", "INTEGER_RANGE", "start", "0000000000000005",
	    "end", "0000000000000105", "idx", 3, "little", 1, "bits", 16,
	    "not", 0, "or", 0);
	check_json(j, want, "integer range");
	json_decref(j);
	json_decref(want);
	wbuf_init(&w, out, sizeof(out));
	CHECK(rules_encode(rules, n, &w) == 0);
	check_wbuf_hex(&w, intrange, "integer range");
	free(b);

	b = test_hex(unknown, &len);
	rbuf_init(&r, b, len);
	CHECK(rules_decode(&r, rules, 8, &n) == 0 && n == 2);
	CHECK(rules[0].t == 20 && rules[1].t == RULE_ACTION_PRIORITY);
	CHECK(rule_type_name(20) == NULL);
	j = rule_to_json(&rules[0]);
	CHECK(json_is_object(j) && json_object_size(j) == 0);
	json_decref(j);
	j = rule_to_json(&rules[1]);
	CHECK(json_is_object(j) && json_object_size(j) == 0);
	json_decref(j);
	wbuf_init(&w, out, sizeof(out));
	CHECK(rules_encode(rules, n, &w) == 0);
	check_wbuf_hex(&w, "14000600", "unknown types");
	/* max reached: the rest stays unread */
	rbuf_init(&r, b, len);
	CHECK(rules_decode(&r, rules, 1, &n) == 0 && n == 1 &&
	    rbuf_remaining(&r) == 3);
	free(b);

	b = test_hex(longer, &len);
	rbuf_init(&r, b, len);
	CHECK(rules_decode(&r, rules, 8, &n) == 0 && n == 1);
	CHECK(rules[0].v.fwd.address == 0xfc079a1100ULL &&
	    rules[0].v.fwd.length == 128);
	free(b);

	b = test_hex(shorter, &len);
	rbuf_init(&r, b, len);
	CHECK(rules_decode(&r, rules, 8, &n) == -1);
	/* a field length running past the end */
	rbuf_init(&r, b, 2);
	CHECK(rules_decode(&r, rules, 8, &n) == -1);
	free(b);

	CHECK(strcmp(rule_type_name(RULE_MATCH_ETHERTYPE),
	    "MATCH_ETHERTYPE") == 0);
	CHECK(rule_type_name(64) == NULL);
}

int
main(void)
{
	json_t *v = test_vectors_load("rules.json");
	json_t *sets = json_object_get(v, "rule_sets");
	json_t *frames = json_object_get(v, "frames");
	json_t *meaning = json_object_get(v, "result_meaning");
	json_t *parts = json_object_get(v, "participants"), *p;
	json_t *rs;
	size_t i;

	CHECK(strlen(test_jstr(v, "network_id")) == 16);
	CHECK(strlen(test_jstr(v, "alice_mac")) == 17);
	CHECK(strlen(test_jstr(v, "bob_mac")) == 17);
	CHECK(json_array_size(parts) > 0);
	json_array_foreach(parts, i, p)
		CHECK(strlen(test_jstr(p, "address")) == 10);
	CHECK(json_object_size(meaning) == 5);
	test_frames(frames);
	CHECK(json_array_size(sets) > 0);
	json_array_foreach(sets, i, rs)
		test_rule_set(rs, frames, meaning);
	test_controller_quirks();
	test_binary_edges();
	json_decref(v);
	return test_main_end();
}
