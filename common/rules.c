/*
 * Rule codec: binary (spec/vl2.md §7.2) and controller JSON
 * (spec/controller.md §4.3), checked against vectors/rules.json.
 */
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define ZT_ADDRESS_MASK		0xffffffffffULL

static const char *const rule_names[RULE_TYPE_MASK + 1] = {
	[RULE_ACTION_DROP] = "ACTION_DROP",
	[RULE_ACTION_ACCEPT] = "ACTION_ACCEPT",
	[RULE_ACTION_TEE] = "ACTION_TEE",
	[RULE_ACTION_WATCH] = "ACTION_WATCH",
	[RULE_ACTION_REDIRECT] = "ACTION_REDIRECT",
	[RULE_ACTION_BREAK] = "ACTION_BREAK",
	[RULE_ACTION_PRIORITY] = "ACTION_PRIORITY",
	[RULE_MATCH_SOURCE_ZEROTIER_ADDRESS] = "MATCH_SOURCE_ZEROTIER_ADDRESS",
	[RULE_MATCH_DEST_ZEROTIER_ADDRESS] = "MATCH_DEST_ZEROTIER_ADDRESS",
	[RULE_MATCH_VLAN_ID] = "MATCH_VLAN_ID",
	[RULE_MATCH_VLAN_PCP] = "MATCH_VLAN_PCP",
	[RULE_MATCH_VLAN_DEI] = "MATCH_VLAN_DEI",
	[RULE_MATCH_MAC_SOURCE] = "MATCH_MAC_SOURCE",
	[RULE_MATCH_MAC_DEST] = "MATCH_MAC_DEST",
	[RULE_MATCH_IPV4_SOURCE] = "MATCH_IPV4_SOURCE",
	[RULE_MATCH_IPV4_DEST] = "MATCH_IPV4_DEST",
	[RULE_MATCH_IPV6_SOURCE] = "MATCH_IPV6_SOURCE",
	[RULE_MATCH_IPV6_DEST] = "MATCH_IPV6_DEST",
	[RULE_MATCH_IP_TOS] = "MATCH_IP_TOS",
	[RULE_MATCH_IP_PROTOCOL] = "MATCH_IP_PROTOCOL",
	[RULE_MATCH_ETHERTYPE] = "MATCH_ETHERTYPE",
	[RULE_MATCH_ICMP] = "MATCH_ICMP",
	[RULE_MATCH_IP_SOURCE_PORT_RANGE] = "MATCH_IP_SOURCE_PORT_RANGE",
	[RULE_MATCH_IP_DEST_PORT_RANGE] = "MATCH_IP_DEST_PORT_RANGE",
	[RULE_MATCH_CHARACTERISTICS] = "MATCH_CHARACTERISTICS",
	[RULE_MATCH_FRAME_SIZE_RANGE] = "MATCH_FRAME_SIZE_RANGE",
	[RULE_MATCH_RANDOM] = "MATCH_RANDOM",
	[RULE_MATCH_TAGS_DIFFERENCE] = "MATCH_TAGS_DIFFERENCE",
	[RULE_MATCH_TAGS_BITWISE_AND] = "MATCH_TAGS_BITWISE_AND",
	[RULE_MATCH_TAGS_BITWISE_OR] = "MATCH_TAGS_BITWISE_OR",
	[RULE_MATCH_TAGS_BITWISE_XOR] = "MATCH_TAGS_BITWISE_XOR",
	[RULE_MATCH_TAGS_EQUAL] = "MATCH_TAGS_EQUAL",
	[RULE_MATCH_TAG_SENDER] = "MATCH_TAG_SENDER",
	[RULE_MATCH_TAG_RECEIVER] = "MATCH_TAG_RECEIVER",
	/* the controller's name for it lacks the MATCH_ prefix */
	[RULE_MATCH_INTEGER_RANGE] = "INTEGER_RANGE",
};

const char *
rule_type_name(unsigned int type)
{
	if (type > RULE_TYPE_MASK)
		return NULL;
	return rule_names[type];
}

static bool
rule_is_tag_match(unsigned int type)
{
	return type >= RULE_MATCH_TAGS_DIFFERENCE &&
	    type <= RULE_MATCH_TAG_RECEIVER;
}

/* bytes of fields a type carries on the wire (§7.2 table) */
static size_t
rule_field_len(unsigned int type)
{
	switch (type) {
	case RULE_ACTION_TEE:
	case RULE_ACTION_WATCH:
	case RULE_ACTION_REDIRECT:
		return 14;
	case RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case RULE_MATCH_DEST_ZEROTIER_ADDRESS:
	case RULE_MATCH_IPV4_SOURCE:
	case RULE_MATCH_IPV4_DEST:
		return 5;
	case RULE_MATCH_VLAN_ID:
	case RULE_MATCH_ETHERTYPE:
		return 2;
	case RULE_MATCH_VLAN_PCP:
	case RULE_MATCH_VLAN_DEI:
	case RULE_MATCH_IP_PROTOCOL:
		return 1;
	case RULE_MATCH_MAC_SOURCE:
	case RULE_MATCH_MAC_DEST:
		return 6;
	case RULE_MATCH_IPV6_SOURCE:
	case RULE_MATCH_IPV6_DEST:
		return 17;
	case RULE_MATCH_IP_TOS:
	case RULE_MATCH_ICMP:
		return 3;
	case RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case RULE_MATCH_IP_DEST_PORT_RANGE:
	case RULE_MATCH_FRAME_SIZE_RANGE:
	case RULE_MATCH_RANDOM:
		return 4;
	case RULE_MATCH_CHARACTERISTICS:
		return 8;
	case RULE_MATCH_INTEGER_RANGE:
		return 19;
	default:
		if (rule_is_tag_match(type))
			return 8;
		return 0;
	}
}

bool
rule_equal(const struct rule *a, const struct rule *b)
{
	struct wbuf wa, wb;
	uint8_t ba[RULE_WIRE_MAX], bb[RULE_WIRE_MAX];

	/*
	 * The encoding holds every field a rule has, so comparing the
	 * encodings avoids depending on union padding.
	 */
	wbuf_init(&wa, ba, sizeof(ba));
	wbuf_init(&wb, bb, sizeof(bb));
	if (rule_encode(a, &wa) == -1 || rule_encode(b, &wb) == -1)
		return false;
	return wbuf_len(&wa) == wbuf_len(&wb) &&
	    memcmp(ba, bb, wbuf_len(&wa)) == 0;
}

int
rule_encode(const struct rule *r, struct wbuf *w)
{
	unsigned int type = rule_type_of(r);
	size_t flen = rule_field_len(type);

	wbuf_put_u8(w, r->t);
	wbuf_put_u8(w, (uint8_t)flen);
	switch (type) {
	case RULE_ACTION_TEE:
	case RULE_ACTION_WATCH:
	case RULE_ACTION_REDIRECT:
		wbuf_put_u64(w, r->v.fwd.address);
		wbuf_put_u32(w, r->v.fwd.flags);
		wbuf_put_u16(w, r->v.fwd.length);
		break;
	case RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		wbuf_put_u40(w, r->v.zt & ZT_ADDRESS_MASK);
		break;
	case RULE_MATCH_VLAN_ID:
		wbuf_put_u16(w, r->v.vlan_id);
		break;
	case RULE_MATCH_VLAN_PCP:
		wbuf_put_u8(w, r->v.vlan_pcp);
		break;
	case RULE_MATCH_VLAN_DEI:
		wbuf_put_u8(w, r->v.vlan_dei);
		break;
	case RULE_MATCH_MAC_SOURCE:
	case RULE_MATCH_MAC_DEST:
		wbuf_put_bytes(w, r->v.mac, 6);
		break;
	case RULE_MATCH_IPV4_SOURCE:
	case RULE_MATCH_IPV4_DEST:
		wbuf_put_bytes(w, r->v.ipv4.ip, 4);
		wbuf_put_u8(w, r->v.ipv4.mask);
		break;
	case RULE_MATCH_IPV6_SOURCE:
	case RULE_MATCH_IPV6_DEST:
		wbuf_put_bytes(w, r->v.ipv6.ip, 16);
		wbuf_put_u8(w, r->v.ipv6.mask);
		break;
	case RULE_MATCH_IP_TOS:
		wbuf_put_u8(w, r->v.ip_tos.mask);
		wbuf_put_u8(w, r->v.ip_tos.value[0]);
		wbuf_put_u8(w, r->v.ip_tos.value[1]);
		break;
	case RULE_MATCH_IP_PROTOCOL:
		wbuf_put_u8(w, r->v.ip_protocol);
		break;
	case RULE_MATCH_ETHERTYPE:
		wbuf_put_u16(w, r->v.ethertype);
		break;
	case RULE_MATCH_ICMP:
		wbuf_put_u8(w, r->v.icmp.type);
		wbuf_put_u8(w, r->v.icmp.code);
		wbuf_put_u8(w, r->v.icmp.flags);
		break;
	case RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case RULE_MATCH_IP_DEST_PORT_RANGE:
		wbuf_put_u16(w, r->v.port[0]);
		wbuf_put_u16(w, r->v.port[1]);
		break;
	case RULE_MATCH_CHARACTERISTICS:
		wbuf_put_u64(w, r->v.characteristics);
		break;
	case RULE_MATCH_FRAME_SIZE_RANGE:
		wbuf_put_u16(w, r->v.frame_size[0]);
		wbuf_put_u16(w, r->v.frame_size[1]);
		break;
	case RULE_MATCH_RANDOM:
		wbuf_put_u32(w, r->v.random_probability);
		break;
	case RULE_MATCH_INTEGER_RANGE:
		/* the wire carries the absolute end */
		wbuf_put_u64(w, r->v.int_range.start);
		wbuf_put_u64(w, r->v.int_range.start + r->v.int_range.end);
		wbuf_put_u16(w, r->v.int_range.idx);
		wbuf_put_u8(w, r->v.int_range.format);
		break;
	default:
		if (rule_is_tag_match(type)) {
			wbuf_put_u32(w, r->v.tag.id);
			wbuf_put_u32(w, r->v.tag.value);
		}
		break;
	}
	return wbuf_failed(w) ? -1 : 0;
}

int
rules_encode(const struct rule *rules, size_t n, struct wbuf *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rule_encode(&rules[i], w) == -1)
			return -1;
	return 0;
}

/* reads the fields of a known type from the rule's field bytes */
static void
rule_decode_fields(struct rbuf *f, struct rule *r)
{
	unsigned int type = rule_type_of(r);
	uint64_t end;

	switch (type) {
	case RULE_ACTION_TEE:
	case RULE_ACTION_WATCH:
	case RULE_ACTION_REDIRECT:
		rbuf_get_u64(f, &r->v.fwd.address);
		rbuf_get_u32(f, &r->v.fwd.flags);
		rbuf_get_u16(f, &r->v.fwd.length);
		break;
	case RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		rbuf_get_u40(f, &r->v.zt);
		break;
	case RULE_MATCH_VLAN_ID:
		rbuf_get_u16(f, &r->v.vlan_id);
		break;
	case RULE_MATCH_VLAN_PCP:
		rbuf_get_u8(f, &r->v.vlan_pcp);
		break;
	case RULE_MATCH_VLAN_DEI:
		rbuf_get_u8(f, &r->v.vlan_dei);
		break;
	case RULE_MATCH_MAC_SOURCE:
	case RULE_MATCH_MAC_DEST:
		rbuf_get_bytes(f, r->v.mac, 6);
		break;
	case RULE_MATCH_IPV4_SOURCE:
	case RULE_MATCH_IPV4_DEST:
		rbuf_get_bytes(f, r->v.ipv4.ip, 4);
		rbuf_get_u8(f, &r->v.ipv4.mask);
		break;
	case RULE_MATCH_IPV6_SOURCE:
	case RULE_MATCH_IPV6_DEST:
		rbuf_get_bytes(f, r->v.ipv6.ip, 16);
		rbuf_get_u8(f, &r->v.ipv6.mask);
		break;
	case RULE_MATCH_IP_TOS:
		rbuf_get_u8(f, &r->v.ip_tos.mask);
		rbuf_get_u8(f, &r->v.ip_tos.value[0]);
		rbuf_get_u8(f, &r->v.ip_tos.value[1]);
		break;
	case RULE_MATCH_IP_PROTOCOL:
		rbuf_get_u8(f, &r->v.ip_protocol);
		break;
	case RULE_MATCH_ETHERTYPE:
		rbuf_get_u16(f, &r->v.ethertype);
		break;
	case RULE_MATCH_ICMP:
		rbuf_get_u8(f, &r->v.icmp.type);
		rbuf_get_u8(f, &r->v.icmp.code);
		rbuf_get_u8(f, &r->v.icmp.flags);
		break;
	case RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case RULE_MATCH_IP_DEST_PORT_RANGE:
		rbuf_get_u16(f, &r->v.port[0]);
		rbuf_get_u16(f, &r->v.port[1]);
		break;
	case RULE_MATCH_CHARACTERISTICS:
		rbuf_get_u64(f, &r->v.characteristics);
		break;
	case RULE_MATCH_FRAME_SIZE_RANGE:
		rbuf_get_u16(f, &r->v.frame_size[0]);
		rbuf_get_u16(f, &r->v.frame_size[1]);
		break;
	case RULE_MATCH_RANDOM:
		rbuf_get_u32(f, &r->v.random_probability);
		break;
	case RULE_MATCH_INTEGER_RANGE:
		rbuf_get_u64(f, &r->v.int_range.start);
		if (rbuf_get_u64(f, &end) == 0)
			r->v.int_range.end =
			    (uint32_t)(end - r->v.int_range.start);
		rbuf_get_u16(f, &r->v.int_range.idx);
		rbuf_get_u8(f, &r->v.int_range.format);
		break;
	default:
		if (rule_is_tag_match(type)) {
			rbuf_get_u32(f, &r->v.tag.id);
			rbuf_get_u32(f, &r->v.tag.value);
		}
		break;
	}
}

int
rule_decode(struct rbuf *rb, struct rule *r)
{
	struct rbuf f;
	uint8_t t, flen;

	memset(r, 0, sizeof(*r));
	if (rbuf_get_u8(rb, &t) == -1 || rbuf_get_u8(rb, &flen) == -1 ||
	    rbuf_get_sub(rb, flen, UINT8_MAX, &f) == -1)
		goto fail;
	r->t = t;
	rule_decode_fields(&f, r);
	if (rbuf_failed(&f)) {
		rbuf_fail(rb);
		goto fail;
	}
	return 0;
fail:
	memset(r, 0, sizeof(*r));
	return -1;
}

int
rules_decode(struct rbuf *rb, struct rule *rules, size_t max, size_t *n)
{
	size_t i = 0;

	*n = 0;
	while (i < max && rbuf_remaining(rb) > 0) {
		if (rule_decode(rb, &rules[i]) == -1)
			return -1;
		i++;
	}
	*n = i;
	return 0;
}

/*
 * The controller's lenient JSON accessors: a missing or null member, or
 * one of an unexpected kind, yields the default.
 */
static uint64_t
json_real_to_u64(double d)
{
	/* a C cast of an out-of-range double is undefined: clamp first */
	if (d >= 0 && d < 18446744073709551616.0)
		return (uint64_t)d;
	if (d < 0 && d > -9223372036854775808.0)
		return (uint64_t)(int64_t)d;
	return 0;
}

static uint64_t
jl_int(const json_t *o, const char *key, uint64_t dfl)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v))
		return json_real_to_u64(json_real_value(v));
	if (json_is_string(v))
		return strtoull(json_string_value(v), NULL, 10);
	if (json_is_boolean(v))
		return json_is_true(v) ? 1 : 0;
	return dfl;
}

static bool
jl_bool(const json_t *o, const char *key, bool dfl)
{
	const json_t *v = json_object_get(o, key);
	const char *s;

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return (uint64_t)json_integer_value(v) > 0;
	if (json_is_real(v))
		return json_real_to_u64(json_real_value(v)) > 0;
	if (json_is_string(v)) {
		s = json_string_value(v);
		return s[0] == 't' || s[0] == 'T' || s[0] == '1';
	}
	return dfl;
}

/* a string member, or a number printed in decimal (as the controller) */
static const char *
jl_str(const json_t *o, const char *key, const char *dfl, char *buf,
    size_t len)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v) || json_is_real(v)) {
		snprintf(buf, len, "%" PRIu64, json_is_integer(v) ?
		    (uint64_t)json_integer_value(v) :
		    json_real_to_u64(json_real_value(v)));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "1" : "0";
	return dfl;
}

static uint64_t
jl_hex(const json_t *o, const char *key)
{
	char buf[32];

	return strtoull(jl_str(o, key, "0", buf, sizeof(buf)), NULL, 16);
}

static int
hex_nibble(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* MAC from any text holding its hex digits, separators skipped */
static void
jl_mac(const json_t *o, const char *key, uint8_t mac[6])
{
	char buf[32];
	const char *s = jl_str(o, key, "0", buf, sizeof(buf));
	unsigned int nd = 0;
	int x;

	memset(mac, 0, 6);
	for (; *s != '\0' && nd < 12; s++) {
		if ((x = hex_nibble((unsigned char)*s)) == -1)
			continue;
		mac[nd / 2] |= (uint8_t)(nd % 2 == 0 ? x << 4 : x);
		nd++;
	}
}

/*
 * "ip/bits" as the controller reads it: the text before '/' is IPv6 if
 * it holds a ':', IPv4 if it holds a '.'; an unparseable address stays
 * zero.  The bits are kept whatever the family, and an address of the
 * other family than the rule's reads as zero (1.14.1 reinterprets the
 * socket address).  Returns the family (4, 6, or 0 for none).
 */
static int
jl_ip(const json_t *o, const char *key, uint8_t ip[16], unsigned int *bits)
{
	char nbuf[32], buf[64];
	const char *s = jl_str(o, key, "", nbuf, sizeof(nbuf));
	char *slash;
	int fam = 0;

	memset(ip, 0, 16);
	*bits = 0;
	if (strlen(s) >= sizeof(buf))
		return 0;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		*bits = (unsigned int)strtoul(slash + 1, NULL, 10) & 0xffff;
	}
	if (strchr(buf, ':') != NULL) {
		fam = 6;
		if (inet_pton(AF_INET6, buf, ip) != 1)
			memset(ip, 0, 16);
	} else if (strchr(buf, '.') != NULL) {
		fam = 4;
		if (inet_pton(AF_INET, buf, ip) != 1)
			memset(ip, 0, 16);
	} else
		*bits = 0;
	return fam;
}

static void
rule_json_fwd(const json_t *o, struct rule *r, bool with_length)
{
	r->v.fwd.address = jl_hex(o, "address") & ZT_ADDRESS_MASK;
	r->v.fwd.flags = (uint32_t)jl_int(o, "flags", 0);
	if (with_length)
		r->v.fwd.length = (uint16_t)jl_int(o, "length", 0);
}

/*
 * An IPv4 or IPv6 match (fam 4 or 6): an address of the other family
 * stays zero, the bits are clamped to the family's width.
 */
static void
rule_json_ip(const json_t *o, int fam, uint8_t *ip, uint8_t *mask)
{
	unsigned int bits, width = fam == 4 ? 32 : 128;
	uint8_t a[16];

	if (jl_ip(o, "ip", a, &bits) == fam)
		memcpy(ip, a, width / 8);
	bits &= 0xff;
	*mask = (uint8_t)(bits > width ? width : bits);
}

/* start, and end defaulting to start (port and frame size ranges) */
static void
rule_json_range(const json_t *o, uint16_t range[2])
{
	range[0] = (uint16_t)jl_int(o, "start", 0);
	range[1] = (uint16_t)jl_int(o, "end", range[0]);
}

static int
rule_json_characteristics(const json_t *o, struct rule *r)
{
	const json_t *v = json_object_get(o, "mask");

	if (v == NULL)
		return 0;
	if (json_is_integer(v))
		r->v.characteristics = (uint64_t)json_integer_value(v);
	else if (json_is_real(v))
		r->v.characteristics = json_real_to_u64(json_real_value(v));
	else if (json_is_string(v))
		r->v.characteristics = strtoull(json_string_value(v), NULL,
		    16);
	else
		return -1;	/* the controller throws on other kinds */
	return 0;
}

static int
rule_type_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; i <= RULE_TYPE_MASK; i++)
		if (rule_names[i] != NULL && strcmp(rule_names[i], name) == 0)
			return (int)i;
	return -1;
}

static int
rule_json_fields(const json_t *o, struct rule *r, unsigned int type)
{
	const json_t *code;

	switch (type) {
	case RULE_ACTION_DROP:
	case RULE_ACTION_ACCEPT:
	case RULE_ACTION_BREAK:
		break;
	case RULE_ACTION_TEE:
	case RULE_ACTION_WATCH:
		rule_json_fwd(o, r, true);
		break;
	case RULE_ACTION_REDIRECT:
		rule_json_fwd(o, r, false);
		break;
	case RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		r->v.zt = jl_hex(o, "zt") & ZT_ADDRESS_MASK;
		break;
	case RULE_MATCH_VLAN_ID:
		r->v.vlan_id = (uint16_t)jl_int(o, "vlanId", 0);
		break;
	case RULE_MATCH_VLAN_PCP:
		r->v.vlan_pcp = (uint8_t)jl_int(o, "vlanPcp", 0);
		break;
	case RULE_MATCH_VLAN_DEI:
		r->v.vlan_dei = (uint8_t)jl_int(o, "vlanDei", 0);
		break;
	case RULE_MATCH_MAC_SOURCE:
	case RULE_MATCH_MAC_DEST:
		jl_mac(o, "mac", r->v.mac);
		break;
	case RULE_MATCH_IPV4_SOURCE:
	case RULE_MATCH_IPV4_DEST:
		rule_json_ip(o, 4, r->v.ipv4.ip, &r->v.ipv4.mask);
		break;
	case RULE_MATCH_IPV6_SOURCE:
	case RULE_MATCH_IPV6_DEST:
		rule_json_ip(o, 6, r->v.ipv6.ip, &r->v.ipv6.mask);
		break;
	case RULE_MATCH_IP_TOS:
		r->v.ip_tos.mask = (uint8_t)jl_int(o, "mask", 0);
		r->v.ip_tos.value[0] = (uint8_t)jl_int(o, "start", 0);
		r->v.ip_tos.value[1] = (uint8_t)jl_int(o, "end", 0);
		break;
	case RULE_MATCH_IP_PROTOCOL:
		r->v.ip_protocol = (uint8_t)jl_int(o, "ipProtocol", 0);
		break;
	case RULE_MATCH_ETHERTYPE:
		r->v.ethertype = (uint16_t)jl_int(o, "etherType", 0);
		break;
	case RULE_MATCH_ICMP:
		r->v.icmp.type = (uint8_t)jl_int(o, "icmpType", 0);
		/* a missing or null code matches the type only */
		code = json_object_get(o, "icmpCode");
		if (code != NULL && !json_is_null(code)) {
			r->v.icmp.code = (uint8_t)jl_int(o, "icmpCode", 0);
			r->v.icmp.flags = RULE_ICMP_MATCH_CODE;
		}
		break;
	case RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case RULE_MATCH_IP_DEST_PORT_RANGE:
		rule_json_range(o, r->v.port);
		break;
	case RULE_MATCH_CHARACTERISTICS:
		return rule_json_characteristics(o, r);
	case RULE_MATCH_FRAME_SIZE_RANGE:
		rule_json_range(o, r->v.frame_size);
		break;
	case RULE_MATCH_RANDOM:
		r->v.random_probability =
		    (uint32_t)jl_int(o, "probability", 0);
		break;
	default:
		if (!rule_is_tag_match(type))
			return -1;
		r->v.tag.id = (uint32_t)jl_int(o, "id", 0);
		r->v.tag.value = (uint32_t)jl_int(o, "value", 0);
		break;
	}
	return 0;
}

int
rule_from_json(const json_t *o, struct rule *r)
{
	char buf[32];
	const char *name;
	int type;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return -1;
	name = jl_str(o, "type", "", buf, sizeof(buf));
	/*
	 * 1.14.1 never sets INTEGER_RANGE's type and always rejects it
	 * (spec/controller.md §4.3); PRIORITY has no JSON form at all.
	 */
	if ((type = rule_type_from_name(name)) == -1 ||
	    type == RULE_MATCH_INTEGER_RANGE || type == RULE_ACTION_PRIORITY)
		goto fail;
	r->t = (uint8_t)type;
	if (jl_bool(o, "not", false))
		r->t |= RULE_NOT;
	if (jl_bool(o, "or", false))
		r->t |= RULE_OR;
	if (rule_json_fields(o, r, (unsigned int)type) == -1)
		goto fail;
	return 0;
fail:
	memset(r, 0, sizeof(*r));
	return -1;
}

int
rules_from_json(const json_t *a, struct rule *rules, size_t max, size_t *n,
    size_t *dropped)
{
	size_t i;

	*n = 0;
	*dropped = 0;
	if (!json_is_array(a))
		return -1;
	for (i = 0; i < json_array_size(a) && *n < max; i++) {
		if (rule_from_json(json_array_get(a, i), &rules[*n]) == 0)
			(*n)++;
		else
			(*dropped)++;
	}
	return 0;
}

/* sets key to a new value, consuming the reference; -1 on failure */
static int
jset(json_t *o, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static int
jset_hex(json_t *o, const char *key, uint64_t v, int digits)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%0*" PRIx64, digits, v);
	return jset(o, key, json_string(buf));
}

static int
jset_ip(json_t *o, int af, const void *ip, unsigned int bits)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t l;

	if (inet_ntop(af, ip, buf, INET6_ADDRSTRLEN) == NULL)
		return -1;
	l = strlen(buf);
	snprintf(buf + l, sizeof(buf) - l, "/%u", bits);
	return jset(o, "ip", json_string(buf));
}

static int
jset_range(json_t *o, unsigned int start, unsigned int end)
{
	if (jset(o, "start", json_integer(start)) == -1)
		return -1;
	return jset(o, "end", json_integer(end));
}

static int
rule_json_render_action(json_t *o, const struct rule *r)
{
	unsigned int type = rule_type_of(r);
	int rc = 0;

	rc |= jset(o, "type", json_string(rule_names[type]));
	if (type == RULE_ACTION_TEE || type == RULE_ACTION_WATCH ||
	    type == RULE_ACTION_REDIRECT) {
		rc |= jset_hex(o, "address",
		    r->v.fwd.address & ZT_ADDRESS_MASK, 10);
		rc |= jset(o, "flags", json_integer(r->v.fwd.flags));
		if (type != RULE_ACTION_REDIRECT)
			rc |= jset(o, "length",
			    json_integer(r->v.fwd.length));
	}
	return rc;
}

static int
rule_json_render_match(json_t *o, const struct rule *r)
{
	unsigned int type = rule_type_of(r);
	char mac[18];
	int rc = 0;

	switch (type) {
	case RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		rc |= jset_hex(o, "zt", r->v.zt & ZT_ADDRESS_MASK, 10);
		break;
	case RULE_MATCH_VLAN_ID:
		rc |= jset(o, "vlanId", json_integer(r->v.vlan_id));
		break;
	case RULE_MATCH_VLAN_PCP:
		rc |= jset(o, "vlanPcp", json_integer(r->v.vlan_pcp));
		break;
	case RULE_MATCH_VLAN_DEI:
		rc |= jset(o, "vlanDei", json_integer(r->v.vlan_dei));
		break;
	case RULE_MATCH_MAC_SOURCE:
	case RULE_MATCH_MAC_DEST:
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		    r->v.mac[0], r->v.mac[1], r->v.mac[2], r->v.mac[3],
		    r->v.mac[4], r->v.mac[5]);
		rc |= jset(o, "mac", json_string(mac));
		break;
	case RULE_MATCH_IPV4_SOURCE:
	case RULE_MATCH_IPV4_DEST:
		rc |= jset_ip(o, AF_INET, r->v.ipv4.ip, r->v.ipv4.mask);
		break;
	case RULE_MATCH_IPV6_SOURCE:
	case RULE_MATCH_IPV6_DEST:
		rc |= jset_ip(o, AF_INET6, r->v.ipv6.ip, r->v.ipv6.mask);
		break;
	case RULE_MATCH_IP_TOS:
		rc |= jset(o, "mask", json_integer(r->v.ip_tos.mask));
		rc |= jset_range(o, r->v.ip_tos.value[0],
		    r->v.ip_tos.value[1]);
		break;
	case RULE_MATCH_IP_PROTOCOL:
		rc |= jset(o, "ipProtocol", json_integer(r->v.ip_protocol));
		break;
	case RULE_MATCH_ETHERTYPE:
		rc |= jset(o, "etherType", json_integer(r->v.ethertype));
		break;
	case RULE_MATCH_ICMP:
		rc |= jset(o, "icmpType", json_integer(r->v.icmp.type));
		rc |= jset(o, "icmpCode",
		    (r->v.icmp.flags & RULE_ICMP_MATCH_CODE) != 0 ?
		    json_integer(r->v.icmp.code) : json_null());
		break;
	case RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case RULE_MATCH_IP_DEST_PORT_RANGE:
		rc |= jset_range(o, r->v.port[0], r->v.port[1]);
		break;
	case RULE_MATCH_CHARACTERISTICS:
		rc |= jset_hex(o, "mask", r->v.characteristics, 16);
		break;
	case RULE_MATCH_FRAME_SIZE_RANGE:
		rc |= jset_range(o, r->v.frame_size[0], r->v.frame_size[1]);
		break;
	case RULE_MATCH_RANDOM:
		rc |= jset(o, "probability",
		    json_integer(r->v.random_probability));
		break;
	case RULE_MATCH_INTEGER_RANGE:
		rc |= jset_hex(o, "start", r->v.int_range.start, 16);
		rc |= jset_hex(o, "end",
		    r->v.int_range.start + r->v.int_range.end, 16);
		rc |= jset(o, "idx", json_integer(r->v.int_range.idx));
		rc |= jset(o, "little", json_boolean(
		    (r->v.int_range.format & RULE_INTRANGE_LITTLE) != 0));
		rc |= jset(o, "bits",
		    json_integer((r->v.int_range.format & 63) + 1));
		break;
	default:
		/* tag matches; the caller filtered out unnamed types */
		rc |= jset(o, "id", json_integer(r->v.tag.id));
		rc |= jset(o, "value", json_integer(r->v.tag.value));
		break;
	}
	rc |= jset(o, "type", json_string(rule_names[type]));
	rc |= jset(o, "not", json_boolean((r->t & RULE_NOT) != 0));
	rc |= jset(o, "or", json_boolean((r->t & RULE_OR) != 0));
	return rc;
}

json_t *
rule_to_json(const struct rule *r)
{
	unsigned int type = rule_type_of(r);
	json_t *o;
	int rc = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	/* actions render without not/or; PRIORITY and unknowns not at all */
	if (type == RULE_ACTION_PRIORITY || rule_names[type] == NULL)
		return o;
	if (type <= RULE_ACTION_LAST)
		rc = rule_json_render_action(o, r);
	else
		rc = rule_json_render_match(o, r);
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
rules_to_json(const struct rule *rules, size_t n)
{
	json_t *a, *o;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((o = rule_to_json(&rules[i])) == NULL ||
		    json_array_append_new(a, o) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
