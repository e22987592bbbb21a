/*
 * Rules engine (spec/vl2.md §7.3-7.7), matching ZeroTier One 1.14.1's
 * filter bit for bit on well-formed tables; vectors/rules.json holds
 * what the real filter decided.
 *
 * The frame is read once, through struct rbuf, into struct rules_pkt;
 * matches only look at that.  Where 1.14.1 reads past a short frame
 * (TCP flags of a truncated IPv4 header) the missing bytes count as 0.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rules_eval.h"

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_ARP		0x0806
#define ETHERTYPE_IPV6		0x86dd

#define ADDR_MASK		0xffffffffffULL

/* what the matches need from the frame */
struct rules_pkt {
	size_t		 len;
	bool		 v4;	/* IPv4 ethertype, >= 20 bytes */
	bool		 v6;	/* IPv6 ethertype, >= 40 bytes */
	bool		 walk;	/* IPv6 header chain readable */
	uint8_t		 src[16];	/* v4: 4 bytes */
	uint8_t		 dst[16];
	uint8_t		 tos;	/* v4 TOS byte, v6 traffic class */
	uint8_t		 proto;	/* v4 byte 9, v6 chain end */
	int		 sport;		/* -1: no port */
	int		 dport;
	bool		 icmp;
	uint8_t		 icmp_type;
	uint8_t		 icmp_code;
	uint16_t	 tcp_bits;	/* low nibble of byte 12, byte 13 */
	/* sender address for ownership (characteristics 60) */
	enum rules_thing owner_kind;	/* 0: none */
	uint8_t		 owner_ip[16];
	bool		 ndp_solicit;	/* counts as authenticated */
};

/* per-match outcome before the NOT bit; HARD_* ignore it */
enum rules_m {
	M_NO,
	M_YES,
	M_HARD_NO,
	M_HARD_YES,
};

struct rules_state {
	bool		 super_accept;
	bool		 skip_drop;
};

static int
pkt_peek(const struct rules_frame *f, size_t len, size_t off, void *out,
    size_t n)
{
	struct rbuf r;

	rbuf_init(&r, f->data, len);
	if (rbuf_skip(&r, off) == -1)
		return -1;
	return rbuf_get_bytes(&r, out, n);
}

static int
pkt_u8(const struct rules_frame *f, size_t len, size_t off, uint8_t *out)
{
	return pkt_peek(f, len, off, out, 1);
}

/*
 * IPv6 extension headers 1.14.1 steps over: hop-by-hop, routing,
 * destination options, mobility; anything else ends the chain.
 */
static bool
pkt_ipv6_walk(const struct rules_frame *f, size_t len, size_t *pos,
    uint8_t *proto)
{
	uint8_t nh, hl;
	size_t p;

	if (len < 40 || pkt_u8(f, len, 6, &nh) == -1)
		return false;
	p = 40;
	while (p <= len) {
		switch (nh) {
		case 0:
		case 43:
		case 60:
		case 135:
			if (p + 8 > len || pkt_u8(f, len, p, &nh) == -1 ||
			    pkt_u8(f, len, p + 1, &hl) == -1)
				return false;
			p += (size_t)hl * 8 + 8;
			break;
		default:
			*pos = p;
			*proto = nh;
			return true;
		}
	}
	return false;
}

/* TCP, UDP, SCTP, UDP-Lite all begin with source and destination port */
static bool
pkt_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

static void
pkt_l4(const struct rules_frame *f, struct rules_pkt *k, size_t off)
{
	uint8_t b[4];

	if (pkt_has_ports(k->proto) && k->len > off + 4 &&
	    pkt_peek(f, k->len, off, b, 4) == 0) {
		k->sport = (b[0] << 8) | b[1];
		k->dport = (b[2] << 8) | b[3];
	}
	if ((k->proto == 1 || k->proto == 0x3a) && k->len >= off + 2 &&
	    pkt_peek(f, k->len, off, b, 2) == 0) {
		k->icmp = true;
		k->icmp_type = b[0];
		k->icmp_code = b[1];
	}
	/* 1.14.1 wants 15 bytes of TCP over IPv6, reads 14 over IPv4 */
	if (k->proto == 6 && k->len > off + (k->v6 ? 14 : 13) &&
	    pkt_peek(f, k->len, off + 12, b, 2) == 0)
		k->tcp_bits = (uint16_t)(((b[0] & 0x0f) << 8) | b[1]);
}

static void
pkt_parse_v4(const struct rules_frame *f, struct rules_pkt *k)
{
	uint8_t h[20];

	if (pkt_peek(f, k->len, 0, h, sizeof(h)) == -1)
		return;
	k->v4 = true;
	k->tos = h[1];
	k->proto = h[9];
	memcpy(k->src, h + 12, 4);
	memcpy(k->dst, h + 16, 4);
	k->owner_kind = RULES_THING_IPV4;
	memcpy(k->owner_ip, h + 12, 4);
	/* ICMP needs protocol 1 itself; 58 over IPv4 is not ICMPv6 */
	pkt_l4(f, k, (size_t)(h[0] & 0x0f) * 4);
	if (k->proto != 1)
		k->icmp = false;
}

static void
pkt_parse_v6(const struct rules_frame *f, struct rules_pkt *k)
{
	uint8_t h[40], icmp;
	size_t pos;

	if (pkt_peek(f, k->len, 0, h, sizeof(h)) == -1)
		return;
	k->v6 = true;
	k->tos = (uint8_t)(((h[0] << 4) & 0xf0) | ((h[1] >> 4) & 0x0f));
	memcpy(k->src, h + 8, 16);
	memcpy(k->dst, h + 24, 16);
	/*
	 * NDP carries no usable source address: a solicitation counts as
	 * authenticated, an advertisement is judged by its target address.
	 */
	k->owner_kind = RULES_THING_IPV6;
	memcpy(k->owner_ip, h + 8, 16);
	if (k->len >= 64 && h[6] == 0x3a && pkt_u8(f, k->len, 40, &icmp) == 0) {
		if (icmp == 0x87) {
			k->ndp_solicit = true;
			k->owner_kind = 0;
		} else if (icmp == 0x88)
			(void)pkt_peek(f, k->len, 48, k->owner_ip, 16);
	}
	if (pkt_ipv6_walk(f, k->len, &pos, &k->proto)) {
		k->walk = true;
		pkt_l4(f, k, pos);
		if (k->proto != 0x3a)
			k->icmp = false;
	}
}

static void
pkt_parse(const struct rules_frame *f, struct rules_pkt *k)
{
	memset(k, 0, sizeof(*k));
	k->len = f->data != NULL ? f->len : 0;
	k->sport = k->dport = -1;
	if (f->ethertype == ETHERTYPE_IPV4 && k->len >= 20)
		pkt_parse_v4(f, k);
	else if (f->ethertype == ETHERTYPE_IPV6 && k->len >= 40)
		pkt_parse_v6(f, k);
	else if (f->ethertype == ETHERTYPE_ARP && k->len >= 28 &&
	    pkt_peek(f, k->len, 14, k->owner_ip, 4) == 0)
		k->owner_kind = RULES_THING_IPV4;
}

static const struct rules_tag *
tag_find(const struct rules_tag *tags, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tags[i].id == id)
			return &tags[i];
	return NULL;
}

static enum rules_m
m_bool(bool b)
{
	return b ? M_YES : M_NO;
}

static bool
v4_contains(const uint8_t *net, unsigned int bits, const uint8_t *ip)
{
	uint32_t a, b;

	if (bits == 0)
		return true;
	if (bits > 32)
		bits = 32;
	a = be32_get(net);
	b = be32_get(ip);
	return (a >> (32 - bits)) == (b >> (32 - bits));
}

/* 1.14.1 masks the frame's address only: rule host bits must be 0 */
static bool
v6_contains(const uint8_t *net, unsigned int bits, const uint8_t *ip)
{
	unsigned int i, b;
	uint8_t m;

	for (i = 0; i < 16; i++) {
		b = bits > i * 8 ? bits - i * 8 : 0;
		m = b >= 8 ? 0xff : (uint8_t)(0xff00 >> b);
		if ((ip[i] & m) != net[i])
			return false;
	}
	return true;
}

static enum rules_m
m_ip(const struct rules_pkt *k, const struct rule *r, unsigned int t)
{
	switch (t) {
	case RULE_MATCH_IPV4_SOURCE:
	case RULE_MATCH_IPV4_DEST:
		if (!k->v4)
			return M_HARD_NO;
		return m_bool(v4_contains(r->v.ipv4.ip, r->v.ipv4.mask,
		    t == RULE_MATCH_IPV4_SOURCE ? k->src : k->dst));
	case RULE_MATCH_IPV6_SOURCE:
	case RULE_MATCH_IPV6_DEST:
		if (!k->v6)
			return M_HARD_NO;
		return m_bool(v6_contains(r->v.ipv6.ip, r->v.ipv6.mask,
		    t == RULE_MATCH_IPV6_SOURCE ? k->src : k->dst));
	case RULE_MATCH_IP_TOS: {
		uint8_t tos = k->tos & r->v.ip_tos.mask;

		if (!k->v4 && !k->v6)
			return M_HARD_NO;
		return m_bool(tos >= r->v.ip_tos.value[0] &&
		    tos <= r->v.ip_tos.value[1]);
	}
	case RULE_MATCH_IP_PROTOCOL:
		if (!k->v4 && !k->walk)
			return M_HARD_NO;
		return m_bool(k->proto == r->v.ip_protocol);
	}
	return M_NO;
}

static enum rules_m
m_icmp(const struct rules_pkt *k, const struct rule *r)
{
	if (!k->icmp || k->icmp_type != r->v.icmp.type)
		return M_HARD_NO;
	if ((r->v.icmp.flags & RULE_ICMP_MATCH_CODE) == 0)
		return M_HARD_YES;
	return m_bool(k->icmp_code == r->v.icmp.code);
}

static enum rules_m
m_port(const struct rules_pkt *k, const struct rule *r, unsigned int t)
{
	int p = t == RULE_MATCH_IP_SOURCE_PORT_RANGE ? k->sport : k->dport;

	if (!k->v4 && !k->walk)
		return M_HARD_NO;
	/* over IPv6 1.14.1 takes port 0 as "no port" */
	if (p < 0 || (k->v6 && p == 0))
		return M_NO;
	return m_bool(p >= r->v.port[0] && p <= r->v.port[1]);
}

static uint64_t
chr_of(const struct rules_env *env, const struct rules_frame *f,
    const struct rules_pkt *k)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff };
	uint64_t cf = f->inbound ? RULES_CHR_INBOUND : 0;

	if (f->mac_dest[0] & 0x01)
		cf |= RULES_CHR_MULTICAST;
	if (memcmp(f->mac_dest, bcast, 6) == 0)
		cf |= RULES_CHR_BROADCAST;
	if (k->ndp_solicit)
		cf |= RULES_CHR_SENDER_IP_AUTH;
	if (env->owns != NULL) {
		if (k->owner_kind != 0 && env->owns(env->owns_arg, f->inbound,
		    k->owner_kind, k->owner_ip))
			cf |= RULES_CHR_SENDER_IP_AUTH;
		if (env->owns(env->owns_arg, f->inbound, RULES_THING_MAC,
		    f->mac_source))
			cf |= RULES_CHR_SENDER_MAC_AUTH;
	}
	return cf | k->tcp_bits;
}

/* §7.6: a missing remote tag is provisionally fine except inbound */
static enum rules_m
m_tags(const struct rules_env *env, const struct rules_frame *f,
    const struct rule *r, unsigned int t, struct rules_state *st)
{
	const struct rules_tag *lt, *rt;
	uint32_t lv, rv, want = r->v.tag.value;

	lt = tag_find(env->local_tags, env->n_local_tags, r->v.tag.id);
	if (lt == NULL)
		return M_HARD_NO;
	rt = tag_find(env->remote_tags, env->n_remote_tags, r->v.tag.id);
	if (rt == NULL) {
		if (f->inbound && !st->super_accept)
			return M_HARD_NO;
		st->skip_drop = true;
		return M_HARD_YES;
	}
	lv = lt->value;
	rv = rt->value;
	switch (t) {
	case RULE_MATCH_TAGS_DIFFERENCE:
		return m_bool((lv > rv ? lv - rv : rv - lv) <= want);
	case RULE_MATCH_TAGS_BITWISE_AND:
		return m_bool((lv & rv) == want);
	case RULE_MATCH_TAGS_BITWISE_OR:
		return m_bool((lv | rv) == want);
	case RULE_MATCH_TAGS_BITWISE_XOR:
		return m_bool((lv ^ rv) == want);
	default:
		return m_bool(lv == want && rv == want);
	}
}

static enum rules_m
m_tag_side(const struct rules_env *env, const struct rules_frame *f,
    const struct rule *r, unsigned int t, struct rules_state *st)
{
	const struct rules_tag *tag;
	bool remote;

	if (st->super_accept) {
		st->skip_drop = true;
		return M_HARD_YES;
	}
	/* the other party's tag: the sender's inbound, receiver's out */
	remote = (t == RULE_MATCH_TAG_SENDER) == f->inbound;
	if (remote) {
		tag = tag_find(env->remote_tags, env->n_remote_tags,
		    r->v.tag.id);
		if (tag == NULL) {
			if (t == RULE_MATCH_TAG_SENDER)
				return M_HARD_NO;
			st->skip_drop = true;
			return M_HARD_YES;
		}
	} else {
		tag = tag_find(env->local_tags, env->n_local_tags,
		    r->v.tag.id);
		if (tag == NULL)
			return M_HARD_NO;
	}
	return m_bool(tag->value == r->v.tag.value);
}

/* §7.4 INTEGER_RANGE, including the big-endian window quirk */
static enum rules_m
m_int_range(const struct rules_frame *f, const struct rules_pkt *k,
    const struct rule *r)
{
	unsigned int bits = (r->v.int_range.format & 63) + 1;
	size_t bytes = (bits + 7) / 8, idx, i;
	uint8_t b[8];
	uint64_t v = 0;

	if (r->v.int_range.format & RULE_INTRANGE_LITTLE) {
		idx = r->v.int_range.idx;
		if (idx + bytes <= k->len &&
		    pkt_peek(f, k->len, idx, b, bytes) == 0)
			for (i = 0; i < bytes; i++)
				v = (v >> 8) | ((uint64_t)b[i] << 56);
		v >>= 64 - bits;
	} else {
		idx = (size_t)r->v.int_range.idx + (8 - bytes);
		if (idx + bytes <= k->len &&
		    pkt_peek(f, k->len, idx, b, bytes) == 0)
			for (i = 0; i < bytes; i++)
				v = (v << 8) | b[i];
		v &= ~0ULL >> (64 - bits);
	}
	return m_bool(v >= r->v.int_range.start && v <= r->v.int_range.start +
	    (uint64_t)r->v.int_range.end);
}

static uint32_t
rand32(const struct rules_env *env)
{
	if (env->random != NULL)
		return env->random(env->random_arg);
	return arc4random();
}

static enum rules_m
m_eval(const struct rules_env *env, const struct rules_frame *f,
    const struct rules_pkt *k, const struct rule *r, struct rules_state *st)
{
	unsigned int t = rule_type_of(r);

	switch (t) {
	case RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
		return m_bool(r->v.zt == f->zt_source);
	case RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		return m_bool(r->v.zt == f->zt_dest);
	case RULE_MATCH_VLAN_ID:
		return m_bool(r->v.vlan_id == f->vlan_id);
	case RULE_MATCH_VLAN_PCP:
		/* 1.14.1 does not look at the frame for these two */
		return m_bool(r->v.vlan_pcp == 0);
	case RULE_MATCH_VLAN_DEI:
		return m_bool(r->v.vlan_dei == 0);
	case RULE_MATCH_MAC_SOURCE:
		return m_bool(memcmp(r->v.mac, f->mac_source, 6) == 0);
	case RULE_MATCH_MAC_DEST:
		return m_bool(memcmp(r->v.mac, f->mac_dest, 6) == 0);
	case RULE_MATCH_IPV4_SOURCE:
	case RULE_MATCH_IPV4_DEST:
	case RULE_MATCH_IPV6_SOURCE:
	case RULE_MATCH_IPV6_DEST:
	case RULE_MATCH_IP_TOS:
	case RULE_MATCH_IP_PROTOCOL:
		return m_ip(k, r, t);
	case RULE_MATCH_ETHERTYPE:
		return m_bool(r->v.ethertype == f->ethertype);
	case RULE_MATCH_ICMP:
		return m_icmp(k, r);
	case RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case RULE_MATCH_IP_DEST_PORT_RANGE:
		return m_port(k, r, t);
	case RULE_MATCH_CHARACTERISTICS:
		return m_bool((chr_of(env, f, k) & r->v.characteristics) != 0);
	case RULE_MATCH_FRAME_SIZE_RANGE:
		return m_bool(k->len >= r->v.frame_size[0] &&
		    k->len <= r->v.frame_size[1]);
	case RULE_MATCH_RANDOM:
		return m_bool(rand32(env) <= r->v.random_probability);
	case RULE_MATCH_TAGS_DIFFERENCE:
	case RULE_MATCH_TAGS_BITWISE_AND:
	case RULE_MATCH_TAGS_BITWISE_OR:
	case RULE_MATCH_TAGS_BITWISE_XOR:
	case RULE_MATCH_TAGS_EQUAL:
		return m_tags(env, f, r, t, st);
	case RULE_MATCH_TAG_SENDER:
	case RULE_MATCH_TAG_RECEIVER:
		return m_tag_side(env, f, r, t, st);
	case RULE_MATCH_INTEGER_RANGE:
		return m_int_range(f, k, r);
	}
	/* a newer controller's match: the network decides (§7.4) */
	return m_bool((env->flags & RULES_FLAG_UNSUPPORTED_MATCH) != 0);
}

static bool
is_forward(unsigned int t)
{
	return t == RULE_ACTION_TEE || t == RULE_ACTION_WATCH ||
	    t == RULE_ACTION_REDIRECT;
}

/*
 * A matching TEE/WATCH/REDIRECT: returns true when it ends the table
 * (v->result set), false when evaluation goes on.
 */
static bool
act_forward(const struct rules_env *env, const struct rules_frame *f,
    const struct rules_pkt *k, const struct rule *r, struct rules_verdict *v)
{
	uint64_t to = r->v.fwd.address & ADDR_MASK;
	unsigned int t = rule_type_of(r);

	/* copies to the sender or the destination would be pointless */
	if (to == f->zt_source)
		return false;
	if (to == (env->self & ADDR_MASK)) {
		if (!f->inbound)
			return false;
		v->result = RULES_SUPER_ACCEPT;
		return true;
	}
	if (to == f->zt_dest)
		return false;
	if (t == RULE_ACTION_REDIRECT) {
		v->redirect_to = to;
		v->result = RULES_REDIRECT;
		return true;
	}
	v->cc = to;
	v->cc_length = (uint32_t)k->len;
	if (r->v.fwd.length != 0 && r->v.fwd.length < k->len)
		v->cc_length = r->v.fwd.length;
	v->cc_watch = t == RULE_ACTION_WATCH;
	return false;
}

/* a matching action: true when it ends the table */
static bool
act(const struct rules_env *env, const struct rules_frame *f,
    const struct rules_pkt *k, const struct rule *r, struct rules_state *st,
    struct rules_verdict *v)
{
	switch (rule_type_of(r)) {
	case RULE_ACTION_PRIORITY:
		/* QoS is off in 1.14.1; the bucket is not even serialized */
		v->result = RULES_ACCEPT;
		return true;
	case RULE_ACTION_DROP:
		/* a provisional tag match lets one DROP pass (§7.6) */
		if (st->skip_drop) {
			st->skip_drop = false;
			return false;
		}
		v->result = RULES_DROP;
		return true;
	case RULE_ACTION_ACCEPT:
		v->result = st->super_accept ? RULES_SUPER_ACCEPT :
		    RULES_ACCEPT;
		return true;
	case RULE_ACTION_TEE:
	case RULE_ACTION_WATCH:
	case RULE_ACTION_REDIRECT:
		return act_forward(env, f, k, r, v);
	case RULE_ACTION_BREAK:
		v->result = RULES_NO_MATCH;
		return true;
	}
	/* unknown actions are no-ops */
	return false;
}

static void
trace(const struct rules_env *env, size_t i, const struct rule *r, bool rm,
    bool sm)
{
	if (env->trace != NULL)
		env->trace(env->trace_arg, i, r, rm, sm);
}

void
rules_eval(const struct rules_env *env, const struct rules_frame *f,
    const struct rule *rules, size_t n, struct rules_verdict *v)
{
	struct rules_state st = { false, false };
	struct rules_pkt k;
	enum rules_m m;
	bool set = true, inv, res;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->result = RULES_NO_MATCH;
	v->rule = n;
	pkt_parse(f, &k);
	for (i = 0; i < n; i++) {
		const struct rule *r = &rules[i];

		if (rule_is_action(r)) {
			trace(env, i, r, set, set);
			if (set) {
				if (act(env, f, &k, r, &st, v)) {
					v->rule = i;
					return;
				}
				continue;
			}
			/* a target accepts even if its own action failed */
			if (f->inbound && is_forward(rule_type_of(r)) &&
			    (r->v.fwd.address & ADDR_MASK) ==
			    (env->self & ADDR_MASK))
				st.super_accept = true;
			set = true;
			continue;
		}
		/* AND with a false set stays false: skip the work */
		if (!set && (r->t & RULE_OR) == 0)
			continue;
		m = m_eval(env, f, &k, r, &st);
		inv = (r->t & RULE_NOT) != 0;
		if (m == M_HARD_NO)
			res = false;
		else if (m == M_HARD_YES)
			res = true;
		else
			res = (m == M_YES) != inv;
		if (r->t & RULE_OR)
			set = set || res;
		else
			set = set && res;
		trace(env, i, r, res, set);
	}
}

/* a TEE/WATCH copy as 1.14.1 sends it (EXT_FRAME flags by direction) */
static void
filter_copy(struct rules_decision *d, const struct rules_verdict *v,
    bool inbound)
{
	struct rules_copy *c = &d->copy[d->n_copy++];

	c->to = v->cc;
	c->length = v->cc_length;
	if (inbound)
		c->flags = v->cc_watch ? RULES_EXT_WATCH_IN : RULES_EXT_TEE_IN;
	else
		c->flags = v->cc_watch ? RULES_EXT_WATCH_OUT :
		    RULES_EXT_TEE_OUT;
}

/*
 * Capabilities after a base NO_MATCH: the first that accepts decides.
 * Returns the accept level (0 none) and may change *dest.
 */
static int
filter_caps(const struct rules_env *env, const struct rules_frame *f,
    const struct rules_cap *caps, size_t n_caps, bool copies,
    uint64_t *dest, struct rules_decision *d)
{
	struct rules_verdict *cv = &d->cap_verdict;
	size_t c;

	for (c = 0; c < n_caps; c++) {
		rules_eval(env, f, caps[c].rules, caps[c].n, cv);
		/* a DROP in a capability only ends that capability */
		if (cv->result == RULES_NO_MATCH || cv->result == RULES_DROP)
			continue;
		d->cap = (long)c;
		if (cv->result == RULES_REDIRECT)
			*dest = cv->redirect_to;
		if (cv->cc != 0 && copies)
			filter_copy(d, cv, f->inbound);
		/* outbound, super-accept means nothing more than accept */
		return (cv->result == RULES_SUPER_ACCEPT && f->inbound) ? 2 : 1;
	}
	memset(cv, 0, sizeof(*cv));
	return 0;
}

void
rules_filter(const struct rules_env *env, const struct rules_frame *f,
    const struct rule *rules, size_t n, const struct rules_cap *caps,
    size_t n_caps, bool no_tee, struct rules_decision *d)
{
	uint64_t dest = f->zt_dest;
	/* no_tee exists for the per-recipient multicast passes only */
	bool copies = f->inbound || !no_tee;
	int accept = 0;

	memset(d, 0, sizeof(*d));
	d->cap = -1;
	rules_eval(env, f, rules, n, &d->base);
	switch (d->base.result) {
	case RULES_DROP:
		return;
	case RULES_REDIRECT:
		dest = d->base.redirect_to;
		accept = 1;
		break;
	case RULES_ACCEPT:
		accept = 1;
		break;
	case RULES_SUPER_ACCEPT:
		accept = 2;
		break;
	case RULES_NO_MATCH:
		accept = filter_caps(env, f, caps, n_caps, copies, &dest, d);
		break;
	}
	if (accept == 0)
		return;
	d->accept = accept;
	if (d->base.cc != 0 && copies)
		filter_copy(d, &d->base, f->inbound);
	/* a redirect to 0 is no redirect: 1.14.1 delivers normally */
	if (dest != f->zt_dest && dest != 0) {
		d->redirect_to = dest;
		d->redirect_flags = f->inbound ? RULES_EXT_REDIRECT_IN :
		    RULES_EXT_REDIRECT_OUT;
		return;
	}
	d->deliver = true;
}

const char *
rules_result_name(enum rules_result r)
{
	switch (r) {
	case RULES_NO_MATCH:
		return "NO_MATCH";
	case RULES_DROP:
		return "DROP";
	case RULES_REDIRECT:
		return "REDIRECT";
	case RULES_ACCEPT:
		return "ACCEPT";
	case RULES_SUPER_ACCEPT:
		return "SUPER_ACCEPT";
	}
	return "?";
}
