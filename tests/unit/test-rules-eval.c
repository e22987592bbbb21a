/*
 * Rules engine against vectors/rules.json (every evaluation of every
 * rule set: what ZeroTier 1.14.1's filter decided), then hand-made
 * cases for what the vectors do not reach: NOT with "hard" results,
 * OR, every match type, tags with and without the remote side,
 * capabilities, copies and redirects.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rules.h"
#include "rules_eval.h"
#include "test.h"

#define ALICE	0x8899332b2cULL
#define BOB	0xc211c6b838ULL
#define CAROL	0xd9aeacd62fULL

static json_t *frames;
/* vector frames an evaluation used: every one must be */
static bool frame_used[64];

static uint64_t
parse_addr(const char *s)
{
	return strtoull(s, NULL, 16);
}

static void
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6], i;

	CHECKF(sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5]) == 6, "mac %s", s);
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

static json_t *
frame_json(const char *name)
{
	size_t i;
	json_t *f;

	json_array_foreach(frames, i, f) {
		if (strcmp(test_jstr(f, "name"), name) == 0) {
			if (i < 64)
				frame_used[i] = true;
			return f;
		}
	}
	REQUIRE(!"frame missing from rules.json");
	return NULL;
}

/* fills a frame from the vectors; the payload is the caller's to free */
static uint8_t *
frame_load(const char *name, struct rules_frame *fr)
{
	json_t *f = frame_json(name);
	uint8_t *p;

	memset(fr, 0, sizeof(*fr));
	parse_mac(test_jstr(f, "source_mac"), fr->mac_source);
	parse_mac(test_jstr(f, "dest_mac"), fr->mac_dest);
	fr->ethertype = (uint16_t)test_jint(f, "ethertype");
	fr->vlan_id = (uint16_t)test_jint(f, "vlan_id");
	p = test_jhex(f, "payload", &fr->len);
	CHECK(fr->len == (size_t)test_jint(f, "payload_length"));
	fr->data = p;
	fr->zt_source = ALICE;
	fr->zt_dest = BOB;
	return p;
}

static uint64_t
participant(json_t *root, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(root, "participants"), i, p) {
		if (strcmp(test_jstr(p, "name"), name) == 0)
			return parse_addr(test_jstr(p, "address"));
	}
	CHECKF(0, "participant %s", name);
	return 0;
}

static void
check_eval(json_t *root, json_t *ev, const struct rule *rules, size_t n,
    const struct rules_env *base_env, const char *set)
{
	struct rules_env env = *base_env;
	struct rules_frame fr;
	struct rules_verdict v;
	struct rules_decision d;
	const char *dir = test_jstr(ev, "direction"), *want;
	json_t *cc;
	uint8_t *p;
	bool acc;

	p = frame_load(test_jstr(ev, "frame"), &fr);
	CHECK(strcmp(dir, "inbound") == 0 || strcmp(dir, "outbound") == 0);
	fr.inbound = strcmp(dir, "inbound") == 0;
	fr.zt_source = parse_addr(test_jstr(ev, "zt_source"));
	fr.zt_dest = parse_addr(test_jstr(ev, "zt_dest"));
	env.self = participant(root, test_jstr(ev, "self"));
	rules_eval(&env, &fr, rules, n, &v);

	want = test_jstr(ev, "result");
	CHECKF(strcmp(rules_result_name(v.result), want) == 0,
	    "%s %s %s self %s: got %s want %s", set, test_jstr(ev, "frame"),
	    dir, test_jstr(ev, "self"), rules_result_name(v.result), want);
	acc = v.result != RULES_NO_MATCH && v.result != RULES_DROP;
	CHECKF(acc == test_jbool(ev, "accepted"), "%s %s accepted", set,
	    test_jstr(ev, "frame"));
	if (json_object_get(ev, "redirect_to") != NULL)
		CHECK(v.result == RULES_REDIRECT && v.redirect_to ==
		    parse_addr(test_jstr(ev, "redirect_to")));
	else
		CHECK(v.redirect_to == 0);
	cc = json_object_get(ev, "cc");
	if (cc != NULL) {
		CHECKF(v.cc == parse_addr(json_string_value(cc)),
		    "%s %s cc %010llx", set, test_jstr(ev, "frame"),
		    (unsigned long long)v.cc);
		CHECK(v.cc_length == (uint32_t)test_jint(ev, "cc_length"));
		CHECK(v.cc_watch == test_jbool(ev, "cc_watch"));
	} else
		CHECKF(v.cc == 0, "%s %s unexpected cc", set,
		    test_jstr(ev, "frame"));

	/* the whole decision without capabilities agrees */
	rules_filter(&env, &fr, rules, n, NULL, 0, false, &d);
	CHECK(d.base.result == v.result);
	CHECK((d.accept != 0) == acc);
	CHECK(d.n_copy == (acc && v.cc != 0 ? 1u : 0u));
	CHECK(d.deliver == (acc && v.result != RULES_REDIRECT));
	free(p);
}

/* ethernet_frame is the payload behind a plain 14-byte header */
static void
check_frames(void)
{
	struct rules_frame fr;
	uint8_t *p, *eth;
	size_t i, len;
	json_t *f;

	json_array_foreach(frames, i, f) {
		p = frame_load(test_jstr(f, "name"), &fr);
		eth = test_jhex(f, "ethernet_frame", &len);
		CHECKF(len == fr.len + 14, "frame %zu length", i);
		if (len == fr.len + 14) {
			CHECK_MEM(eth, fr.mac_dest, 6, "dest mac");
			CHECK_MEM(eth + 6, fr.mac_source, 6, "source mac");
			CHECK(be16_get(eth + 12) == fr.ethertype);
			CHECK_MEM(eth + 14, p, fr.len, "payload");
		}
		free(eth);
		free(p);
	}
}

static void
test_vectors(void)
{
	struct rules_tag tags[8];
	struct rules_env env;
	struct rule *rules;
	json_t *root, *rs, *ev, *t;
	size_t i, j, n, len, nevals = 0, ntags;
	struct rbuf r;
	uint8_t *bin;

	root = test_vectors_load("rules.json");
	REQUIRE(root != NULL);
	frames = json_object_get(root, "frames");
	REQUIRE(json_array_size(frames) > 0);
	check_frames();
	memset(frame_used, 0, sizeof(frame_used));
	rules = calloc(RULES_MAX_NETWORK, sizeof(*rules));
	REQUIRE(rules != NULL);
	json_array_foreach(json_object_get(root, "rule_sets"), i, rs) {
		const char *name = test_jstr(rs, "name");

		bin = test_jhex(rs, "rules_binary", &len);
		rbuf_init(&r, bin, len);
		CHECK(rules_decode(&r, rules, RULES_MAX_NETWORK, &n) == 0);
		CHECK(rbuf_done(&r));
		CHECK(n == (size_t)test_jint(rs, "rule_count"));
		free(bin);

		ntags = 0;
		json_array_foreach(json_object_get(rs,
		    "local_tags_for_evaluation"), j, t) {
			REQUIRE(ntags < 8);
			tags[ntags].id = (uint32_t)test_jint(t, "id");
			tags[ntags].value = (uint32_t)test_jint(t, "value");
			ntags++;
		}
		memset(&env, 0, sizeof(env));
		env.local_tags = tags;
		env.n_local_tags = ntags;

		CHECKF(json_array_size(json_object_get(rs, "evaluations")) > 0,
		    "%s has no evaluations", name);
		json_array_foreach(json_object_get(rs, "evaluations"), j, ev) {
			check_eval(root, ev, rules, n, &env, name);
			nevals++;
		}
	}
	CHECKF(nevals >= 280, "only %zu evaluations", nevals);
	REQUIRE(json_array_size(frames) <= 64);
	for (i = 0; i < json_array_size(frames); i++)
		CHECKF(frame_used[i], "frame %zu never evaluated", i);
	free(rules);
	frames = NULL;
	json_decref(root);
}

/* --- hand-made cases ------------------------------------------------- */

static struct rule
R(unsigned int t)
{
	struct rule r;

	memset(&r, 0, sizeof(r));
	r.t = (uint8_t)t;
	return r;
}

static struct rule
R_ether(unsigned int flags, uint16_t et)
{
	struct rule r = R(RULE_MATCH_ETHERTYPE | flags);

	r.v.ethertype = et;
	return r;
}

static struct rule
R_tag(unsigned int t, uint32_t id, uint32_t value)
{
	struct rule r = R(t);

	r.v.tag.id = id;
	r.v.tag.value = value;
	return r;
}

static struct rule
R_fwd(unsigned int t, uint64_t to, uint16_t length)
{
	struct rule r = R(t);

	r.v.fwd.address = to;
	r.v.fwd.length = length;
	return r;
}

static struct rules_env hand_env;

static enum rules_result
run_env(const struct rules_env *env, const struct rule *rules, size_t n,
    const char *frame, bool inbound, struct rules_verdict *out)
{
	struct rules_frame fr;
	struct rules_verdict v;
	uint8_t *p;

	p = frame_load(frame, &fr);
	fr.inbound = inbound;
	rules_eval(env, &fr, rules, n, &v);
	free(p);
	if (out != NULL)
		*out = v;
	return v.result;
}

static enum rules_result
run(const struct rule *rules, size_t n, const char *frame, bool inbound)
{
	return run_env(&hand_env, rules, n, frame, inbound, NULL);
}

/* match -> DROP, else ACCEPT: tells whether the match set held */
static bool
holds(struct rule m, const char *frame, bool inbound)
{
	struct rule rs[3] = { m, R(RULE_ACTION_DROP), R(RULE_ACTION_ACCEPT) };

	return run(rs, 3, frame, inbound) == RULES_DROP;
}

static bool
holds_env(const struct rules_env *env, struct rule m, const char *frame,
    bool inbound)
{
	struct rule rs[3] = { m, R(RULE_ACTION_DROP), R(RULE_ACTION_ACCEPT) };

	return run_env(env, rs, 3, frame, inbound, NULL) == RULES_DROP;
}

static void
test_not_or(void)
{
	struct rule m, rs[6];

	/* NOT on a match the frame cannot answer is still false */
	m = R(RULE_MATCH_IPV4_SOURCE | RULE_NOT);
	memcpy(m.v.ipv4.ip, "\xc0\xa8\x00\x00", 4);
	m.v.ipv4.mask = 16;
	CHECK(!holds(m, "arp_request", false));
	CHECK(holds(m, "icmp_echo", false));
	m.v.ipv4.ip[0] = 10;
	m.v.ipv4.ip[1] = 147;
	CHECK(!holds(m, "icmp_echo", false));
	m.t &= ~RULE_NOT;
	CHECK(holds(m, "icmp_echo", false));
	CHECK(!holds(m, "arp_request", false));

	/* ethertype is not "hard": NOT flips it on any frame */
	CHECK(holds(R_ether(RULE_NOT, 0x0800), "arp_request", false));
	CHECK(!holds(R_ether(RULE_NOT, 0x0800), "icmp_echo", false));

	/* a OR b */
	rs[0] = R_ether(0, 0x86dd);
	rs[1] = R_ether(RULE_OR, 0x0806);
	rs[2] = R(RULE_ACTION_DROP);
	rs[3] = R(RULE_ACTION_ACCEPT);
	CHECK(run(rs, 4, "arp_request", false) == RULES_DROP);
	CHECK(run(rs, 4, "icmpv6_echo", true) == RULES_DROP);
	CHECK(run(rs, 4, "icmp_echo", false) == RULES_ACCEPT);

	/* a AND b OR c, left to right; b is skipped once a is false */
	rs[0] = R_ether(0, 0x88cc);
	rs[1] = R(RULE_MATCH_IP_PROTOCOL);
	rs[1].v.ip_protocol = 1;
	rs[2] = R_ether(RULE_OR, 0x0800);
	rs[3] = R(RULE_ACTION_DROP);
	rs[4] = R(RULE_ACTION_ACCEPT);
	CHECK(run(rs, 5, "icmp_echo", false) == RULES_DROP);
	CHECK(run(rs, 5, "arp_request", false) == RULES_ACCEPT);
	CHECK(run(rs, 5, "lldp", false) == RULES_ACCEPT);

	/* NOT OR */
	rs[0] = R_ether(0, 0x86dd);
	rs[1] = R_ether(RULE_OR | RULE_NOT, 0x0806);
	rs[2] = R(RULE_ACTION_DROP);
	rs[3] = R(RULE_ACTION_ACCEPT);
	CHECK(run(rs, 4, "icmp_echo", false) == RULES_DROP);
	CHECK(run(rs, 4, "arp_request", false) == RULES_ACCEPT);

	/* an empty table, and actions without matches */
	CHECK(run(rs, 0, "icmp_echo", false) == RULES_NO_MATCH);
	rs[0] = R(7);		/* unknown action: a no-op */
	rs[1] = R(RULE_ACTION_PRIORITY);
	CHECK(run(rs, 2, "icmp_echo", false) == RULES_ACCEPT);
	rs[0] = R(RULE_ACTION_BREAK);
	rs[1] = R(RULE_ACTION_DROP);
	CHECK(run(rs, 2, "icmp_echo", false) == RULES_NO_MATCH);
}

static void
test_l3_matches(void)
{
	struct rule m;

	m = R(RULE_MATCH_IPV4_DEST);
	memcpy(m.v.ipv4.ip, "\x0a\x93\x11\x0b", 4);
	m.v.ipv4.mask = 32;
	CHECK(holds(m, "tcp_syn_22", false));
	CHECK(!holds(m, "tcp_syn_22_other_host", false));
	m.v.ipv4.mask = 0;
	memset(m.v.ipv4.ip, 0, 4);
	CHECK(holds(m, "tcp_syn_22_other_host", false));
	m.v.ipv4.mask = 200;	/* beyond 32: a host match */
	CHECK(!holds(m, "tcp_syn_22_other_host", false));

	m = R(RULE_MATCH_IPV6_SOURCE);
	m.v.ipv6.ip[0] = 0xfc;
	m.v.ipv6.mask = 7;
	CHECK(holds(m, "ipv6_tcp_from_fc", false));
	/* fd00::a is in fc00::/7 */
	CHECK(holds(m, "icmpv6_echo", false));
	m.v.ipv6.mask = 8;
	CHECK(!holds(m, "icmpv6_echo", false));
	/* 1.14.1 does not mask the rule's address: host bits never match */
	m.v.ipv6.ip[15] = 1;
	CHECK(!holds(m, "ipv6_tcp_from_fc", false));
	m.v.ipv6.mask = 128;
	CHECK(holds(m, "ipv6_tcp_from_fc", false));
	CHECK(!holds(m, "icmp_echo", false));
	m.t |= RULE_NOT;
	CHECK(!holds(m, "icmp_echo", false));

	m = R(RULE_MATCH_IPV6_DEST);
	m.v.ipv6.ip[0] = 0xfd;
	m.v.ipv6.ip[15] = 0x0b;
	m.v.ipv6.mask = 128;
	CHECK(holds(m, "ipv6_hbh_tcp_22", false));

	m = R(RULE_MATCH_IP_TOS);
	m.v.ip_tos.mask = 0xfc;
	m.v.ip_tos.value[0] = 0xb8;
	m.v.ip_tos.value[1] = 0xb8;
	CHECK(holds(m, "udp_tos_ef", false));
	CHECK(!holds(m, "udp_53", false));
	m.v.ip_tos.value[0] = 0;
	m.v.ip_tos.value[1] = 0;
	CHECK(holds(m, "ipv6_tcp_from_fc", false));	/* class 0 */
	m.v.ip_tos.value[1] = 0xff;
	m.v.ip_tos.value[0] = 1;
	CHECK(!holds(m, "ipv6_tcp_from_fc", false));
	m.t |= RULE_NOT;
	CHECK(holds(m, "ipv6_tcp_from_fc", false));
	CHECK(!holds(m, "arp_request", false));

	/* the protocol after IPv6 extension headers */
	m = R(RULE_MATCH_IP_PROTOCOL);
	m.v.ip_protocol = 6;
	CHECK(holds(m, "ipv6_hbh_tcp_22", false));
	CHECK(holds(m, "tcp_syn_22", false));
	CHECK(!holds(m, "icmpv6_echo", false));
	m.v.ip_protocol = 0x3a;
	CHECK(holds(m, "icmpv6_echo", false));
	m.t |= RULE_NOT;
	CHECK(!holds(m, "lldp", false));
	CHECK(holds(m, "udp_53", false));

	m = R(RULE_MATCH_MAC_SOURCE);
	memcpy(m.v.mac, "\x02\xaa\xbb\xcc\xdd\xee", 6);
	CHECK(holds(m, "bridged_src_mac", false));
	CHECK(!holds(m, "icmp_echo", false));
	m = R(RULE_MATCH_MAC_DEST);
	memset(m.v.mac, 0xff, 6);
	CHECK(holds(m, "arp_request", false));
	CHECK(!holds(m, "icmp_echo", false));

	m = R(RULE_MATCH_SOURCE_ZEROTIER_ADDRESS);
	m.v.zt = ALICE;
	CHECK(holds(m, "icmp_echo", false));
	m.v.zt = BOB;
	CHECK(!holds(m, "icmp_echo", false));
	m = R(RULE_MATCH_DEST_ZEROTIER_ADDRESS);
	m.v.zt = BOB;
	CHECK(holds(m, "icmp_echo", true));

	m = R(RULE_MATCH_VLAN_ID);
	m.v.vlan_id = 42;
	CHECK(holds(m, "vlan42_ipv4", false));
	CHECK(!holds(m, "icmp_echo", false));
	m = R(RULE_MATCH_VLAN_PCP);
	CHECK(holds(m, "icmp_echo", false));
	m.v.vlan_pcp = 3;
	CHECK(!holds(m, "icmp_echo", false));
	m = R(RULE_MATCH_VLAN_DEI);
	m.v.vlan_dei = 1;
	CHECK(!holds(m, "icmp_echo", false));

	m = R(RULE_MATCH_FRAME_SIZE_RANGE);
	m.v.frame_size[0] = 44;
	m.v.frame_size[1] = 44;
	CHECK(holds(m, "icmp_echo", false));
	CHECK(!holds(m, "tcp_syn_22", false));
}

static void
test_l4_matches(void)
{
	struct rule m;

	m = R(RULE_MATCH_ICMP);
	m.v.icmp.type = 8;
	CHECK(holds(m, "icmp_echo", false));
	CHECK(!holds(m, "icmp_echo_reply", false));
	/* a type match without the code is "hard": NOT cannot undo it */
	m.t |= RULE_NOT;
	CHECK(holds(m, "icmp_echo", false));
	/* nor a type mismatch or a non-ICMP frame */
	CHECK(!holds(m, "icmp_echo_reply", false));
	CHECK(!holds(m, "tcp_syn_22", false));
	m.t &= ~RULE_NOT;
	m.v.icmp.flags = RULE_ICMP_MATCH_CODE;
	CHECK(holds(m, "icmp_echo", false));
	m.v.icmp.code = 1;
	CHECK(!holds(m, "icmp_echo", false));
	m.t |= RULE_NOT;
	CHECK(holds(m, "icmp_echo", false));	/* code compare is plain */
	m = R(RULE_MATCH_ICMP);
	m.v.icmp.type = 128;
	CHECK(holds(m, "icmpv6_echo", false));
	CHECK(!holds(m, "ipv6_hbh_tcp_22", false));

	m = R(RULE_MATCH_IP_DEST_PORT_RANGE);
	m.v.port[0] = 22;
	m.v.port[1] = 22;
	CHECK(holds(m, "tcp_syn_22", false));
	CHECK(holds(m, "ipv6_hbh_tcp_22", false));
	CHECK(!holds(m, "tcp_syn_80", false));
	/* other IPv4 protocols: plain false, so NOT makes it true */
	m.t |= RULE_NOT;
	CHECK(holds(m, "icmp_echo", false));
	CHECK(!holds(m, "arp_request", false));
	CHECK(holds(m, "icmpv6_echo", true));
	m = R(RULE_MATCH_IP_SOURCE_PORT_RANGE);
	m.v.port[0] = 40000;
	m.v.port[1] = 40100;
	CHECK(holds(m, "tcp_sport_40050", false));
	CHECK(holds(m, "ipv6_hbh_tcp_22", false));	/* 40001 */
	CHECK(!holds(m, "udp_53", false));

	m = R(RULE_MATCH_CHARACTERISTICS);
	m.v.characteristics = 0x02;	/* SYN */
	CHECK(holds(m, "tcp_syn_22", false));
	CHECK(holds(m, "ipv6_hbh_tcp_22", false));
	CHECK(!holds(m, "tcp_ack_80", false));
	CHECK(!holds(m, "udp_53", false));
	m.v.characteristics = 0x10;	/* ACK */
	CHECK(holds(m, "tcp_ack_80", false));
	m.v.characteristics = RULES_CHR_INBOUND;
	CHECK(holds(m, "udp_53", true));
	CHECK(!holds(m, "udp_53", false));
	m.v.characteristics = RULES_CHR_BROADCAST;
	CHECK(holds(m, "arp_request", false));
	CHECK(!holds(m, "lldp", false));
	m.v.characteristics = RULES_CHR_MULTICAST;
	CHECK(holds(m, "lldp", false));
	CHECK(holds(m, "udp_broadcast", false));
	CHECK(!holds(m, "udp_53", false));
}

/* owns 10.147.17.10 (alice's IP) and alice's MAC, records the asks */
static unsigned int owns_calls;
static bool owns_inbound;

static bool
owns_alice(void *arg, bool inbound, enum rules_thing t, const uint8_t *p)
{
	(void)arg;
	owns_calls++;
	owns_inbound = inbound;
	if (t == RULES_THING_IPV4)
		return memcmp(p, "\x0a\x93\x11\x0a", 4) == 0;
	if (t == RULES_THING_MAC)
		return memcmp(p, "\x02\x88\x99\x1a\x3a\xc2", 6) == 0;
	return false;
}

static void
test_ownership(void)
{
	struct rules_env env = hand_env;
	struct rules_frame fr;
	struct rules_verdict v;
	struct rule rs[3], m;
	/* IPv6 neighbour solicitation: 40 + 24 bytes */
	uint8_t ns[64];

	m = R(RULE_MATCH_CHARACTERISTICS);
	m.v.characteristics = RULES_CHR_SENDER_IP_AUTH;
	CHECK(!holds(m, "icmp_echo", true));
	env.owns = owns_alice;
	CHECK(holds_env(&env, m, "icmp_echo", true));
	CHECK(owns_inbound);
	CHECK(holds_env(&env, m, "arp_request", false));	/* ARP sender */
	CHECK(!owns_inbound);
	CHECK(!holds_env(&env, m, "tcp_from_192_168", true));
	m.v.characteristics = RULES_CHR_SENDER_MAC_AUTH;
	CHECK(holds_env(&env, m, "icmp_echo", true));
	CHECK(!holds_env(&env, m, "bridged_src_mac", true));
	owns_calls = 0;
	CHECK(!holds_env(&env, R_ether(0, 1), "icmp_echo", true));
	CHECK(owns_calls == 0);	/* only asked when a rule needs it */

	/* a solicitation is authenticated without any certificate */
	memset(ns, 0, sizeof(ns));
	ns[0] = 0x60;
	ns[5] = 24;
	ns[6] = 0x3a;
	ns[7] = 255;
	ns[40] = 0x87;
	memset(&fr, 0, sizeof(fr));
	fr.inbound = true;
	fr.ethertype = 0x86dd;
	fr.data = ns;
	fr.len = sizeof(ns);
	fr.mac_dest[0] = 0x33;
	m.v.characteristics = RULES_CHR_SENDER_IP_AUTH;
	rs[0] = m;
	rs[1] = R(RULE_ACTION_DROP);
	rs[2] = R(RULE_ACTION_ACCEPT);
	rules_eval(&hand_env, &fr, rs, 3, &v);
	CHECK(v.result == RULES_DROP);
	ns[40] = 0x88;		/* an advertisement is not */
	rules_eval(&hand_env, &fr, rs, 3, &v);
	CHECK(v.result == RULES_ACCEPT);
	fr.len = 63;
	ns[40] = 0x87;
	rules_eval(&hand_env, &fr, rs, 3, &v);
	CHECK(v.result == RULES_ACCEPT);
}

static uint32_t rand_value;

static uint32_t
fixed_random(void *arg)
{
	(void)arg;
	return rand_value;
}

static void
test_random_intrange(void)
{
	struct rules_env env = hand_env;
	struct rule m;

	env.random = fixed_random;
	m = R(RULE_MATCH_RANDOM);
	m.v.random_probability = 100;
	rand_value = 100;
	CHECK(holds_env(&env, m, "icmp_echo", false));
	rand_value = 101;
	CHECK(!holds_env(&env, m, "icmp_echo", false));
	m.v.random_probability = 0xffffffff;
	rand_value = 0xffffffff;
	CHECK(holds_env(&env, m, "icmp_echo", false));
	/* the system source: always-true at the top of the range */
	CHECK(holds(m, "icmp_echo", false));

	/* big-endian: the index names an 8-byte window, value at its end */
	m = R(RULE_MATCH_INTEGER_RANGE);
	m.v.int_range.format = 15;
	m.v.int_range.start = 0x4000;
	CHECK(holds(m, "icmp_echo", false));	/* bytes 6-7: 40 00 */
	m.v.int_range.start = 0x3fff;
	m.v.int_range.end = 0;
	CHECK(!holds(m, "icmp_echo", false));
	m.v.int_range.end = 1;
	CHECK(holds(m, "icmp_echo", false));
	/* 12 bits of bytes 6-7 */
	m.v.int_range.format = 11;
	m.v.int_range.start = 0;
	m.v.int_range.end = 0;
	CHECK(holds(m, "icmp_echo", false));
	/* past the end reads 0 */
	m.v.int_range.idx = 40;
	m.v.int_range.format = 63;
	CHECK(holds(m, "icmp_echo", false));
	m.v.int_range.start = 1;
	m.v.int_range.end = 0xffffffff;
	CHECK(!holds(m, "icmp_echo", false));
	/* little-endian from the index itself: bytes 2-3 00 2c */
	m.v.int_range.idx = 2;
	m.v.int_range.format = RULE_INTRANGE_LITTLE | 15;
	m.v.int_range.start = 0x2c00;
	m.v.int_range.end = 0;
	CHECK(holds(m, "icmp_echo", false));
	m.v.int_range.format = RULE_INTRANGE_LITTLE | 7;
	m.v.int_range.start = 0;
	CHECK(holds(m, "icmp_echo", false));
	m.v.int_range.idx = 3;
	CHECK(!holds(m, "icmp_echo", false));
	m.v.int_range.start = 0x2c;
	CHECK(holds(m, "icmp_echo", false));

	/* a match type this engine does not know: the network's flag */
	m = R(20);
	CHECK(!holds(m, "icmp_echo", false));
	env.flags = RULES_FLAG_UNSUPPORTED_MATCH;
	CHECK(holds_env(&env, m, "icmp_echo", false));
}

static void
test_tags(void)
{
	static const struct rules_tag local[] = { { 1000, 200 }, { 7, 1 } };
	static const struct rules_tag remote[] = { { 1000, 205 } };
	struct rules_env env = hand_env, none = hand_env;
	struct rules_verdict v;
	struct rule rs[4];

	env.local_tags = none.local_tags = local;
	env.n_local_tags = none.n_local_tags = 2;
	env.remote_tags = remote;
	env.n_remote_tags = 1;

	/* both sides known */
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAGS_DIFFERENCE, 1000, 5),
	    "icmp_echo", true));
	CHECK(!holds_env(&env, R_tag(RULE_MATCH_TAGS_DIFFERENCE, 1000, 4),
	    "icmp_echo", false));
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAGS_BITWISE_AND, 1000,
	    200 & 205), "icmp_echo", true));
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAGS_BITWISE_OR, 1000,
	    200 | 205), "icmp_echo", true));
	CHECK(!holds_env(&env, R_tag(RULE_MATCH_TAGS_BITWISE_OR, 1000,
	    200), "icmp_echo", true));
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAGS_BITWISE_XOR, 1000, 5),
	    "icmp_echo", true));
	CHECK(!holds_env(&env, R_tag(RULE_MATCH_TAGS_EQUAL, 1000, 200),
	    "icmp_echo", true));
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAGS_EQUAL | RULE_NOT, 1000,
	    200), "icmp_echo", true));
	/* no local tag: false whatever NOT says */
	CHECK(!holds_env(&env, R_tag(RULE_MATCH_TAGS_EQUAL | RULE_NOT, 9,
	    200), "icmp_echo", true));

	/* remote unknown: inbound refuses, outbound lets it go */
	CHECK(!holds_env(&none, R_tag(RULE_MATCH_TAGS_EQUAL, 1000, 200),
	    "icmp_echo", true));
	CHECK(!holds_env(&none, R_tag(RULE_MATCH_TAGS_EQUAL | RULE_NOT,
	    1000, 200), "icmp_echo", true));
	/* ...and the provisional yes skips the next DROP once */
	rs[0] = R_tag(RULE_MATCH_TAGS_DIFFERENCE | RULE_NOT, 1000, 0);
	rs[1] = R(RULE_ACTION_DROP);
	rs[2] = R(RULE_ACTION_BREAK);
	CHECK(run_env(&none, rs, 3, "icmp_echo", false, &v) ==
	    RULES_NO_MATCH);
	CHECK(v.rule == 2);
	CHECK(run_env(&env, rs, 3, "icmp_echo", false, &v) == RULES_DROP);
	CHECK(v.rule == 1);
	rs[2] = R(RULE_ACTION_DROP);
	CHECK(run_env(&none, rs, 3, "icmp_echo", false, &v) == RULES_DROP);
	CHECK(v.rule == 2);

	/* sender / receiver sides */
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAG_SENDER, 1000, 205),
	    "icmp_echo", true));
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAG_SENDER, 1000, 200),
	    "icmp_echo", false));
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAG_RECEIVER, 1000, 200),
	    "icmp_echo", true));
	CHECK(holds_env(&env, R_tag(RULE_MATCH_TAG_RECEIVER, 1000, 205),
	    "icmp_echo", false));
	CHECK(!holds_env(&env, R_tag(RULE_MATCH_TAG_RECEIVER, 1000, 200),
	    "icmp_echo", false));
	CHECK(!holds_env(&none, R_tag(RULE_MATCH_TAG_SENDER | RULE_NOT,
	    1000, 1), "icmp_echo", true));
	/* a provisional yes: the DROP right after it is skipped */
	CHECK(!holds_env(&none, R_tag(RULE_MATCH_TAG_RECEIVER | RULE_NOT,
	    1000, 1), "icmp_echo", false));
	/* inbound the receiver is this node: its own tag 200 is not 1 */
	CHECK(holds_env(&none, R_tag(RULE_MATCH_TAG_RECEIVER | RULE_NOT,
	    1000, 1), "icmp_echo", true));
	CHECK(!holds_env(&env, R_tag(RULE_MATCH_TAG_SENDER | RULE_NOT, 9,
	    1), "icmp_echo", false));
	CHECK(!holds_env(&env, R_tag(RULE_MATCH_TAG_RECEIVER | RULE_NOT, 9,
	    1), "icmp_echo", true));

	/* a TEE target (inbound) is lenient about tags it cannot know */
	none.self = CAROL;
	rs[0] = R_ether(0, 0x88cc);
	rs[1] = R_fwd(RULE_ACTION_TEE, CAROL, 0);
	rs[2] = R_tag(RULE_MATCH_TAG_SENDER, 1000, 12345);
	rs[3] = R(RULE_ACTION_ACCEPT);
	CHECK(run_env(&none, rs, 4, "icmp_echo", true, &v) ==
	    RULES_SUPER_ACCEPT);
	CHECK(v.rule == 3);
	rs[2] = R_tag(RULE_MATCH_TAGS_EQUAL, 1000, 1);
	CHECK(run_env(&none, rs, 4, "icmp_echo", true, &v) ==
	    RULES_SUPER_ACCEPT);
	CHECK(run_env(&none, rs, 4, "icmp_echo", false, &v) ==
	    RULES_ACCEPT);
}

static void
test_forwarding(void)
{
	struct rules_env env = hand_env;
	struct rules_verdict v;
	struct rule rs[3];

	env.self = BOB;
	rs[0] = R_fwd(RULE_ACTION_TEE, CAROL, 10);
	rs[1] = R(RULE_ACTION_ACCEPT);
	CHECK(run_env(&env, rs, 2, "icmp_echo", false, &v) == RULES_ACCEPT);
	CHECK(v.cc == CAROL && v.cc_length == 10 && !v.cc_watch);
	rs[0] = R_fwd(RULE_ACTION_WATCH, CAROL, 1000);
	CHECK(run_env(&env, rs, 2, "icmp_echo", false, &v) == RULES_ACCEPT);
	CHECK(v.cc == CAROL && v.cc_length == 44 && v.cc_watch);
	/* the last copy wins */
	rs[1] = R_fwd(RULE_ACTION_TEE, 0x1122334455ULL, 0);
	rs[2] = R(RULE_ACTION_ACCEPT);
	CHECK(run_env(&env, rs, 3, "icmp_echo", false, &v) == RULES_ACCEPT);
	CHECK(v.cc == 0x1122334455ULL && v.cc_length == 44 && !v.cc_watch);
	/* copies to the source, the destination or ourselves: none */
	rs[0] = R_fwd(RULE_ACTION_TEE, ALICE, 0);
	rs[1] = R_fwd(RULE_ACTION_REDIRECT, BOB, 0);
	rs[2] = R(RULE_ACTION_ACCEPT);
	CHECK(run_env(&env, rs, 3, "icmp_echo", false, &v) == RULES_ACCEPT);
	CHECK(v.cc == 0 && v.rule == 2);
	/* the address is 40 bits wide */
	rs[0] = R_fwd(RULE_ACTION_REDIRECT, CAROL | 0xff0000000000ULL, 0);
	CHECK(run_env(&env, rs, 1, "icmp_echo", false, &v) ==
	    RULES_REDIRECT);
	CHECK(v.redirect_to == CAROL && v.rule == 0);
}

static void
test_filter(void)
{
	struct rules_env env = hand_env;
	struct rules_decision d;
	struct rules_frame fr;
	struct rules_cap caps[2];
	struct rule base[3], c0[1], c1[4];
	uint8_t *p;

	env.self = ALICE;
	p = frame_load("tcp_syn_22", &fr);
	c0[0] = R(RULE_ACTION_DROP);
	c1[0] = R(RULE_MATCH_IP_DEST_PORT_RANGE);
	c1[0].v.port[0] = c1[0].v.port[1] = 22;
	c1[1] = R_fwd(RULE_ACTION_WATCH, CAROL, 20);
	c1[2] = c1[0];
	c1[3] = R(RULE_ACTION_ACCEPT);
	caps[0].id = 1;
	caps[0].rules = c0;
	caps[0].n = 1;
	caps[1].id = 2;
	caps[1].rules = c1;
	caps[1].n = 4;
	base[0] = R_fwd(RULE_ACTION_TEE, 0x1122334455ULL, 0);
	base[1] = R(RULE_ACTION_BREAK);

	/* no rules, no capabilities: dropped */
	rules_filter(&env, &fr, base, 0, NULL, 0, false, &d);
	CHECK(d.accept == 0 && !d.deliver && d.n_copy == 0 && d.cap == -1);

	/* a DROP in one capability only ends that one */
	rules_filter(&env, &fr, base, 2, caps, 2, false, &d);
	CHECK(d.base.result == RULES_NO_MATCH && d.base.rule == 1);
	CHECK(d.accept == 1 && d.deliver && d.cap == 1);
	CHECK(d.cap_verdict.result == RULES_ACCEPT && d.cap_verdict.rule == 3);
	CHECK(d.n_copy == 2);
	CHECK(d.copy[0].to == CAROL && d.copy[0].length == 20 &&
	    d.copy[0].flags == RULES_EXT_WATCH_OUT);
	CHECK(d.copy[1].to == 0x1122334455ULL && d.copy[1].length == 40 &&
	    d.copy[1].flags == RULES_EXT_TEE_OUT);
	rules_filter(&env, &fr, base, 2, caps, 2, true, &d);
	CHECK(d.accept == 1 && d.deliver && d.n_copy == 0);

	/* inbound copies carry the inbound flags, even with no_tee */
	env.self = BOB;
	fr.inbound = true;
	rules_filter(&env, &fr, base, 2, caps, 2, true, &d);
	CHECK(d.accept == 1 && d.n_copy == 2);
	CHECK(d.copy[0].flags == RULES_EXT_WATCH_IN);
	CHECK(d.copy[1].flags == RULES_EXT_TEE_IN);

	/* no capability takes it */
	free(p);
	p = frame_load("tcp_syn_80", &fr);
	rules_filter(&env, &fr, base, 2, caps, 2, false, &d);
	CHECK(d.accept == 0 && !d.deliver && d.n_copy == 0 && d.cap == -1);

	/* a capability naming us as target: super-accept inbound only */
	c1[0] = R_fwd(RULE_ACTION_TEE, BOB, 0);
	fr.inbound = true;
	rules_filter(&env, &fr, base, 1, caps, 2, false, &d);
	CHECK(d.accept == 2 && d.deliver && d.cap == 1);
	CHECK(d.n_copy == 1 && d.copy[0].flags == RULES_EXT_TEE_IN);
	env.self = ALICE;
	c1[0] = R_fwd(RULE_ACTION_REDIRECT, CAROL, 0);
	fr.inbound = false;
	rules_filter(&env, &fr, base, 1, caps, 2, false, &d);
	CHECK(d.accept == 1 && !d.deliver && d.cap == 1);
	CHECK(d.redirect_to == CAROL &&
	    d.redirect_flags == RULES_EXT_REDIRECT_OUT);

	/* the base table's REDIRECT and DROP win over capabilities */
	base[1] = R_fwd(RULE_ACTION_REDIRECT, CAROL, 0);
	env.self = BOB;
	fr.inbound = true;
	rules_filter(&env, &fr, base, 2, caps, 2, false, &d);
	CHECK(d.accept == 1 && !d.deliver && d.cap == -1);
	CHECK(d.redirect_to == CAROL &&
	    d.redirect_flags == RULES_EXT_REDIRECT_IN);
	CHECK(d.n_copy == 1 && d.copy[0].to == 0x1122334455ULL);
	base[1] = R(RULE_ACTION_DROP);
	rules_filter(&env, &fr, base, 2, caps, 2, false, &d);
	CHECK(d.accept == 0 && !d.deliver && d.n_copy == 0);
	CHECK(d.base.result == RULES_DROP && d.base.rule == 1);
	free(p);
}

struct trace_log {
	size_t	 n;
	size_t	 idx[8];
	bool	 rm[8];
	bool	 sm[8];
};

static void
trace_cb(void *arg, size_t idx, const struct rule *r, bool rm, bool sm)
{
	struct trace_log *t = arg;

	(void)r;
	if (t->n < 8) {
		t->idx[t->n] = idx;
		t->rm[t->n] = rm;
		t->sm[t->n] = sm;
	}
	t->n++;
}

static void
test_trace(void)
{
	struct rules_env env = hand_env;
	struct trace_log t;
	struct rules_verdict v;
	struct rule rs[6];

	memset(&t, 0, sizeof(t));
	env.trace = trace_cb;
	env.trace_arg = &t;
	rs[0] = R_ether(0, 0x0806);
	rs[1] = R_ether(0, 0x0800);	/* skipped: the set is false */
	rs[2] = R(RULE_ACTION_DROP);
	rs[3] = R_ether(RULE_NOT, 0x0806);
	rs[4] = R(RULE_ACTION_ACCEPT);
	rs[5] = R(RULE_ACTION_DROP);
	CHECK(run_env(&env, rs, 6, "icmp_echo", false, &v) == RULES_ACCEPT);
	CHECK(v.rule == 4);
	CHECK(t.n == 4);
	CHECK(t.idx[0] == 0 && !t.rm[0] && !t.sm[0]);
	CHECK(t.idx[1] == 2 && !t.sm[1]);
	CHECK(t.idx[2] == 3 && t.rm[2] && t.sm[2]);
	CHECK(t.idx[3] == 4 && t.sm[3]);
	CHECK(strcmp(rules_result_name(RULES_SUPER_ACCEPT),
	    "SUPER_ACCEPT") == 0);
}

/* truncated and odd headers: exact-size copies so ASan sees overreads */
static void
test_short_frames(void)
{
	static const uint8_t hbh[] = {
		0x60, 0, 0, 0, 0, 8, 0x00, 64,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
		0x06, 0x05, 0, 0,
	};
	struct rules_env env = hand_env;
	struct rules_frame fr;
	struct rules_verdict v;
	struct rule rs[3];
	uint8_t *p, *q;
	size_t len, cut;
	unsigned int t;

	/* the hop-by-hop header runs past the frame: not an IPv6 match */
	memset(&fr, 0, sizeof(fr));
	fr.ethertype = 0x86dd;
	q = malloc(sizeof(hbh));
	REQUIRE(q != NULL);
	memcpy(q, hbh, sizeof(hbh));
	fr.data = q;
	fr.len = sizeof(hbh);
	rs[0] = R(RULE_MATCH_IP_PROTOCOL | RULE_NOT);
	rs[0].v.ip_protocol = 6;
	rs[1] = R(RULE_ACTION_DROP);
	rs[2] = R(RULE_ACTION_ACCEPT);
	rules_eval(&env, &fr, rs, 3, &v);
	CHECK(v.result == RULES_ACCEPT);
	rs[0] = R(RULE_MATCH_IPV6_SOURCE | RULE_NOT);
	rs[0].v.ipv6.mask = 128;
	rules_eval(&env, &fr, rs, 3, &v);
	CHECK(v.result == RULES_DROP);	/* the fixed header is there */
	free(q);

	/* every match on every prefix of a TCP/IPv4 and IPv6 frame */
	p = frame_load("ipv6_hbh_tcp_22", &fr);
	len = fr.len;
	for (cut = 0; cut <= len; cut++) {
		q = malloc(cut + 1);
		REQUIRE(q != NULL);
		memcpy(q, p, cut);
		fr.data = q;
		fr.len = cut;
		for (t = 24; t <= 51; t++) {
			rs[0] = R(t);
			rs[0].v.characteristics = ~0ULL;
			rules_eval(&env, &fr, rs, 3, &v);
			CHECK(v.result == RULES_DROP ||
			    v.result == RULES_ACCEPT);
		}
		rs[0] = R(RULE_MATCH_CHARACTERISTICS);
		rs[0].v.characteristics = 0x02;
		rules_eval(&env, &fr, rs, 3, &v);
		CHECKF((v.result == RULES_DROP) == (cut > 48 + 14),
		    "syn seen at %zu", cut);
		free(q);
	}
	free(p);
	p = frame_load("tcp_syn_22", &fr);
	len = fr.len;
	for (cut = 0; cut <= len; cut++) {
		q = malloc(cut + 1);
		REQUIRE(q != NULL);
		memcpy(q, p, cut);
		fr.data = q;
		fr.len = cut;
		rules_eval(&env, &fr, rs, 3, &v);
		CHECKF((v.result == RULES_DROP) == (cut > 20 + 13),
		    "syn seen at %zu", cut);
		free(q);
	}
	free(p);
	/* no data at all */
	fr.data = NULL;
	fr.len = 100;
	rules_eval(&env, &fr, rs, 3, &v);
	CHECK(v.result == RULES_ACCEPT);
}

int
main(void)
{
	json_t *root;

	memset(&hand_env, 0, sizeof(hand_env));
	test_vectors();

	root = test_vectors_load("rules.json");
	REQUIRE(root != NULL);
	frames = json_object_get(root, "frames");
	test_not_or();
	test_l3_matches();
	test_l4_matches();
	test_ownership();
	test_random_intrange();
	test_tags();
	test_forwarding();
	test_filter();
	test_trace();
	test_short_frames();
	json_decref(root);
	return test_main_end();
}
