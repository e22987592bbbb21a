#pragma once
/*
 * Rule tables (spec/vl2.md §7.1-7.2): the in-memory rule, its binary
 * encoding (netconf "R" and capability rules) and the controller's JSON
 * form (spec/controller.md §4.3).  Evaluation lives elsewhere.
 *
 * A struct rule is always fully zeroed before it is filled, so two rules
 * can be compared with rule_equal() and encodings are deterministic.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

/* bit 7 inverts a match, bit 6 ORs it with the previous one */
#define RULE_NOT		0x80
#define RULE_OR			0x40
#define RULE_TYPE_MASK		0x3f

/* type codes; 0-15 are actions, 16-63 matches */
enum rule_type {
	RULE_ACTION_DROP = 0,
	RULE_ACTION_ACCEPT = 1,
	RULE_ACTION_TEE = 2,
	RULE_ACTION_WATCH = 3,
	RULE_ACTION_REDIRECT = 4,
	RULE_ACTION_BREAK = 5,
	RULE_ACTION_PRIORITY = 6,
	RULE_ACTION_LAST = 15,
	RULE_MATCH_SOURCE_ZEROTIER_ADDRESS = 24,
	RULE_MATCH_DEST_ZEROTIER_ADDRESS = 25,
	RULE_MATCH_VLAN_ID = 26,
	RULE_MATCH_VLAN_PCP = 27,
	RULE_MATCH_VLAN_DEI = 28,
	RULE_MATCH_MAC_SOURCE = 29,
	RULE_MATCH_MAC_DEST = 30,
	RULE_MATCH_IPV4_SOURCE = 31,
	RULE_MATCH_IPV4_DEST = 32,
	RULE_MATCH_IPV6_SOURCE = 33,
	RULE_MATCH_IPV6_DEST = 34,
	RULE_MATCH_IP_TOS = 35,
	RULE_MATCH_IP_PROTOCOL = 36,
	RULE_MATCH_ETHERTYPE = 37,
	RULE_MATCH_ICMP = 38,
	RULE_MATCH_IP_SOURCE_PORT_RANGE = 39,
	RULE_MATCH_IP_DEST_PORT_RANGE = 40,
	RULE_MATCH_CHARACTERISTICS = 41,
	RULE_MATCH_FRAME_SIZE_RANGE = 42,
	RULE_MATCH_RANDOM = 43,
	RULE_MATCH_TAGS_DIFFERENCE = 44,
	RULE_MATCH_TAGS_BITWISE_AND = 45,
	RULE_MATCH_TAGS_BITWISE_OR = 46,
	RULE_MATCH_TAGS_BITWISE_XOR = 47,
	RULE_MATCH_TAGS_EQUAL = 48,
	RULE_MATCH_TAG_SENDER = 49,
	RULE_MATCH_TAG_RECEIVER = 50,
	RULE_MATCH_INTEGER_RANGE = 51,
};

/* MATCH_ICMP flags: match the code as well as the type */
#define RULE_ICMP_MATCH_CODE	0x01
/* INTEGER_RANGE format: bit 7 little endian, bits 0-5 = bit count - 1 */
#define RULE_INTRANGE_LITTLE	0x80

/* limits (spec/vl2.md §13) */
#define RULES_MAX_NETWORK	1024
#define RULES_MAX_CAPABILITY	64
/* longest encoding of one rule: type, length, 19 bytes (INTEGER_RANGE) */
#define RULE_WIRE_MAX		21

struct rule {
	uint8_t		 t;	/* NOT | OR | type */
	union {
		/* TEE, WATCH, REDIRECT (length unused by REDIRECT) */
		struct {
			uint64_t	 address;	/* 40 bits */
			uint32_t	 flags;
			uint16_t	 length;	/* 0 = whole frame */
		} fwd;
		uint64_t	 zt;		/* 40-bit address */
		uint16_t	 vlan_id;
		uint8_t		 vlan_pcp;
		uint8_t		 vlan_dei;
		uint8_t		 mac[6];
		struct {
			uint8_t		 ip[4];		/* network order */
			uint8_t		 mask;		/* prefix bits */
		} ipv4;
		struct {
			uint8_t		 ip[16];
			uint8_t		 mask;
		} ipv6;
		struct {
			uint8_t		 mask;
			uint8_t		 value[2];	/* start, end */
		} ip_tos;
		uint8_t		 ip_protocol;
		uint16_t	 ethertype;
		struct {
			uint8_t		 type;
			uint8_t		 code;
			uint8_t		 flags;
		} icmp;
		uint16_t	 port[2];	/* start, end */
		uint64_t	 characteristics;
		uint16_t	 frame_size[2];	/* start, end */
		uint32_t	 random_probability;
		/* every TAGS_* / TAG_SENDER / TAG_RECEIVER match */
		struct {
			uint32_t	 id;
			uint32_t	 value;
		} tag;
		/* held as ZeroTier holds it: end is (end - start), 32 bits */
		struct {
			uint64_t	 start;
			uint32_t	 end;
			uint16_t	 idx;
			uint8_t		 format;
		} int_range;
	} v;
};

static inline unsigned int
rule_type_of(const struct rule *r)
{
	return r->t & RULE_TYPE_MASK;
}

static inline bool
rule_is_action(const struct rule *r)
{
	return rule_type_of(r) <= RULE_ACTION_LAST;
}

/* field-by-field equality (rules are zeroed before filling) */
bool	 rule_equal(const struct rule *, const struct rule *);
/* "ACTION_DROP", "MATCH_ETHERTYPE", ...; NULL for an unnamed type */
const char	*rule_type_name(unsigned int type);

/*
 * Binary form: type byte, field length, fields.  Types without fields
 * (plain actions, PRIORITY, unknown types) are written with length 0.
 */
int	 rule_encode(const struct rule *, struct wbuf *);
int	 rules_encode(const struct rule *, size_t n, struct wbuf *);
/*
 * Reads one rule.  Fields of known types are read from the declared
 * field bytes; bytes beyond them are skipped (room for extensions),
 * unknown types keep only their type byte.  A declared length shorter
 * than the known fields is an error (1.14.1 would read into the next
 * rule).
 */
int	 rule_decode(struct rbuf *, struct rule *);
/*
 * Reads rules until the reader is empty or max rules were read; the
 * netconf "R" blob is read this way.  Bytes after the max-th rule are
 * left unread (1.14.1 ignores them), rbuf_done() tells the caller.
 */
int	 rules_decode(struct rbuf *, struct rule *, size_t max, size_t *n);

/*
 * Controller JSON (the controller's rule parser): fills the rule and
 * returns 0, or -1 for an object the controller silently drops (not an
 * object, unknown type, INTEGER_RANGE, ACTION_PRIORITY).  Lenient as
 * the controller is: numbers, decimal strings and booleans are accepted
 * as integers, missing fields are 0.
 */
int	 rule_from_json(const json_t *, struct rule *);
/*
 * Parses a JSON array of rules, dropping invalid entries as the
 * controller does; at most max are kept.  *dropped counts the invalid
 * ones.  -1 only if the value is not an array.
 */
int	 rules_from_json(const json_t *, struct rule *, size_t max,
	    size_t *n, size_t *dropped);
/*
 * Canonical rendering (the controller's rule renderer).  Types it cannot
 * render (PRIORITY, unknown) give an empty object, as in 1.14.1.
 * Returns a new reference, or NULL when out of memory.
 */
json_t	*rule_to_json(const struct rule *);
json_t	*rules_to_json(const struct rule *, size_t n);
