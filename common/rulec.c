/*
 * Rule text compiler (spec/vl2.md §7.9).  Three passes, as the reference
 * compiler does them, so that its output and its acceptance of odd input
 * carry over:
 *
 *  1. tokens (whitespace separated, '#' comments) are grouped into nested
 *     blocks: a block-opening keyword starts one, a token ending in ';'
 *     closes the innermost non-empty one;
 *  2. top-level "macro", "tag" and "cap" definitions are collected;
 *  3. capabilities, then the base rule list, are rendered into JSON.
 *
 * Numbers follow JavaScript's parseInt/parseFloat, which the reference
 * uses: a numeric prefix counts ("22abc" is 22), and the few places where
 * it applies 32-bit bit operations (characteristic masks, tag flags and
 * defaults) are reproduced bit for bit, including their sign effects.
 * Names are compared byte-wise; case folding is ASCII only.
 *
 * The parse tree lives in one array of nodes addressed by index, so that
 * no pass recurses over the input's nesting depth; only "include"
 * recurses, bounded by RULEC_INCLUDE_DEPTH and a work budget.
 */
#include <sys/types.h>

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rulec.h"
#include "rules.h"

/* elements visited while rendering, all macro expansions included */
#define RC_WORK_MAX		(1UL << 22)
#define RC_SHOW_MAX		40

struct rc_node {
	const char	*s;		/* token text; NULL for a block */
	size_t		 len;
	unsigned int	 line, col;
	uint32_t	*kids;		/* a block's elements */
	size_t		 nkids, kcap;
};

/* a match argument: a token, or a macro parameter's value */
struct rc_val {
	const char	*s;
	size_t		 len;
	unsigned int	 line, col;
};

struct rc_sym {
	char		*name;
	size_t		 nlen;
	int64_t		 v;	/* enum/flag value, parameter index */
	const char	*val;		/* bound macro argument */
	size_t		 vlen;
};

struct rc_tag {
	char		*name;
	size_t		 nlen;
	int64_t		 id;
	int64_t		 dfl;		/* 0 is written as null */
	struct rc_sym	*enums, *flags;
	size_t		 nenums, nflags;
};

struct rc_cap {
	char		*name;
	size_t		 nlen;
	int64_t		 id;
	bool		 dfl;
	uint32_t	*body;
	size_t		 nbody;
	json_t		*rules;
};

struct rc_macro {
	char		*name;	/* lower-cased token, "(...)" cut */
	size_t		 nlen;
	struct rc_sym	*params;	/* slices of name */
	size_t		 nparams;
	const uint32_t	*body;
	size_t		 nbody;
};

struct rc_ctx {
	struct rc_node		*nodes;
	size_t			 nnodes, ncap;
	struct rc_tag		*tags;
	size_t			 ntags;
	struct rc_cap		*caps;
	size_t			 ncaps;
	struct rc_macro		*macros;
	size_t			 nmacros;
	unsigned long		 work;
	bool			 oom;
	struct rulec_error	*err;
};

static const char *const rc_open_words[] = {
	"macro", "tag", "cap", "drop", "accept", "tee", "watch", "redirect",
	"break", "priority", NULL
};

static const char *const rc_reserved[] = {
	"macro", "tag", "cap", "default", "drop", "accept", "tee", "watch",
	"redirect", "break", "priority", "ztsrc", "ztdest", "vlan", "vlanpcp",
	"vlandei", "ethertype", "macsrc", "macdest", "ipsrc", "ipdest",
	"iptos", "ipprotocol", "icmp", "sport", "dport", "chr", "framesize",
	"random", "tand", "tor", "txor", "tdiff", "teq", "tseq", "treq",
	"type", "enum", "class", "define", "import", "include", "log", "not",
	"xor", "or", "and", "set", "var", "let", NULL
};

struct rc_named {
	const char	*name;
	int		 v;
};

static const struct rc_named rc_ethertypes[] = {
	{ "ipv4", 0x0800 }, { "arp", 0x0806 }, { "wol", 0x0842 },
	{ "rarp", 0x8035 }, { "ipv6", 0x86dd }, { "atalk", 0x809b },
	{ "aarp", 0x80f3 }, { "ipx_a", 0x8137 }, { "ipx_b", 0x8138 },
	{ NULL, 0 }
};

static const struct rc_named rc_protocols[] = {
	{ "icmp", 1 }, { "icmp4", 1 }, { "icmpv4", 1 }, { "igmp", 2 },
	{ "ipip", 4 }, { "tcp", 6 }, { "egp", 8 }, { "igp", 9 },
	{ "udp", 17 }, { "rdp", 27 }, { "esp", 50 }, { "ah", 51 },
	{ "icmp6", 58 }, { "icmpv6", 58 }, { "l2tp", 115 }, { "sctp", 132 },
	{ "udplite", 136 }, { NULL, 0 }
};

/* characteristic bit numbers, 0 = least significant */
static const struct rc_named rc_chr_bits[] = {
	{ "inbound", 63 }, { "multicast", 62 }, { "broadcast", 61 },
	{ "ipauth", 60 }, { "macauth", 59 }, { "tcp_fin", 0 },
	{ "tcp_syn", 1 }, { "tcp_rst", 2 }, { "tcp_psh", 3 },
	{ "tcp_ack", 4 }, { "tcp_urg", 5 }, { "tcp_ece", 6 },
	{ "tcp_cwr", 7 }, { "tcp_ns", 8 }, { "tcp_rs2", 9 },
	{ "tcp_rs1", 10 }, { "tcp_rs0", 11 }, { NULL, 0 }
};

struct rc_match {
	const char	*word;
	int		 argc;
	/* checks the arguments, adds the fields to the JSON rule */
	int		(*fn)(struct rc_ctx *, const struct rc_match *,
			    const struct rc_val *, json_t *);
	int		 type;	/* RULE_MATCH_*, IPv4 form for ip */
	const char	*field;		/* JSON field of rc_m_num */
};

static int	rc_m_zt(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_num(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_random(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_mac(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_ip(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_tos(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_icmp(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_range(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_chr(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);
static int	rc_m_tag(struct rc_ctx *, const struct rc_match *,
	    const struct rc_val *, json_t *);

static const struct rc_match rc_match_table[] = {
	{ "ztsrc", 1, rc_m_zt, RULE_MATCH_SOURCE_ZEROTIER_ADDRESS, NULL },
	{ "ztdest", 1, rc_m_zt, RULE_MATCH_DEST_ZEROTIER_ADDRESS, NULL },
	{ "vlan", 1, rc_m_num, RULE_MATCH_VLAN_ID, "vlanId" },
	{ "vlanpcp", 1, rc_m_num, RULE_MATCH_VLAN_PCP, "vlanPcp" },
	{ "vlandei", 1, rc_m_num, RULE_MATCH_VLAN_DEI, "vlanDei" },
	{ "ethertype", 1, rc_m_num, RULE_MATCH_ETHERTYPE, "etherType" },
	{ "macsrc", 1, rc_m_mac, RULE_MATCH_MAC_SOURCE, NULL },
	{ "macdest", 1, rc_m_mac, RULE_MATCH_MAC_DEST, NULL },
	{ "ipsrc", 1, rc_m_ip, RULE_MATCH_IPV4_SOURCE, NULL },
	{ "ipdest", 1, rc_m_ip, RULE_MATCH_IPV4_DEST, NULL },
	{ "iptos", 2, rc_m_tos, RULE_MATCH_IP_TOS, NULL },
	{ "ipprotocol", 1, rc_m_num, RULE_MATCH_IP_PROTOCOL, "ipProtocol" },
	{ "icmp", 2, rc_m_icmp, RULE_MATCH_ICMP, NULL },
	{ "sport", 1, rc_m_range, RULE_MATCH_IP_SOURCE_PORT_RANGE, NULL },
	{ "dport", 1, rc_m_range, RULE_MATCH_IP_DEST_PORT_RANGE, NULL },
	{ "chr", 1, rc_m_chr, RULE_MATCH_CHARACTERISTICS, NULL },
	{ "framesize", 1, rc_m_range, RULE_MATCH_FRAME_SIZE_RANGE, NULL },
	{ "random", 1, rc_m_random, RULE_MATCH_RANDOM, NULL },
	{ "tand", 2, rc_m_tag, RULE_MATCH_TAGS_BITWISE_AND, NULL },
	{ "tor", 2, rc_m_tag, RULE_MATCH_TAGS_BITWISE_OR, NULL },
	{ "txor", 2, rc_m_tag, RULE_MATCH_TAGS_BITWISE_XOR, NULL },
	{ "tdiff", 2, rc_m_tag, RULE_MATCH_TAGS_DIFFERENCE, NULL },
	{ "teq", 2, rc_m_tag, RULE_MATCH_TAGS_EQUAL, NULL },
	{ "tseq", 2, rc_m_tag, RULE_MATCH_TAG_SENDER, NULL },
	{ "treq", 2, rc_m_tag, RULE_MATCH_TAG_RECEIVER, NULL },
	{ NULL, 0, 0, 0, NULL }
};

static int	rc_actions(struct rc_ctx *, const uint32_t *, size_t,
		    json_t *, const struct rc_sym *, size_t, int);

/* ---- byte-string helpers ---- */

static int
rc_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool
rc_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
rc_hexval(int c)
{
	c = rc_lower(c);
	if (rc_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
rc_eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* ASCII case-insensitive equality with a lower-case word */
static bool
rc_eq_lower(const char *s, size_t len, const char *word)
{
	size_t i;

	if (strlen(word) != len)
		return false;
	for (i = 0; i < len; i++)
		if (rc_lower((unsigned char)s[i]) != word[i])
			return false;
	return true;
}

static bool
rc_in_words(const char *s, size_t len, const char *const *words)
{
	for (; *words != NULL; words++)
		if (rc_eq(s, len, *words))
			return true;
	return false;
}

static const struct rc_named *
rc_named_find(const struct rc_named *t, const char *s, size_t len)
{
	for (; t->name != NULL; t++)
		if (rc_eq(s, len, t->name))
			return t;
	return NULL;
}

static bool
rc_same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static char *
rc_lowdup(struct rc_ctx *c, const char *s, size_t len)
{
	char *d;
	size_t i;

	if ((d = malloc(len + 1)) == NULL) {
		c->oom = true;
		return NULL;
	}
	for (i = 0; i < len; i++)
		d[i] = (char)rc_lower((unsigned char)s[i]);
	d[len] = '\0';
	return d;
}

static ssize_t
rc_index(const char *s, size_t len, char ch)
{
	const char *p;

	if ((p = memchr(s, ch, len)) == NULL)
		return -1;
	return p - s;
}

/*
 * A name of a tag, capability, macro, enum or flag: letters, digits and
 * '_', not starting with a digit.  Non-ASCII bytes count as letters (the
 * reference accepts Unicode letters).
 */
static bool
rc_valid_name(const char *s, size_t len)
{
	size_t i;
	unsigned char ch;

	if (len == 0 || rc_is_digit((unsigned char)s[0]))
		return false;
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch != '_' && ch < 0x80 && !rc_is_digit(ch) &&
		    !(rc_lower(ch) >= 'a' && rc_lower(ch) <= 'z'))
			return false;
	}
	return true;
}

/*
 * Splits s at runs of characters of sep, as JavaScript's split() with a
 * /[..]+/ pattern: empty leading and trailing pieces are kept.  Calls fn
 * with each piece and its position; stops at the first non-zero return.
 */
static bool
rc_is_sep(char ch, const char *sep)
{
	return ch != '\0' && strchr(sep, ch) != NULL;
}

static int
rc_split(const char *s, size_t len, const char *sep,
    int (*fn)(void *, size_t, const char *, size_t), void *arg)
{
	size_t i = 0, start, n = 0;
	int rc;

	for (;;) {
		start = i;
		while (i < len && !rc_is_sep(s[i], sep))
			i++;
		if ((rc = fn(arg, n++, s + start, i - start)) != 0)
			return rc;
		if (i >= len)
			return 0;
		while (i < len && rc_is_sep(s[i], sep))
			i++;
	}
}

/* ---- JavaScript number parsing ---- */

/* length of a JavaScript white-space character at s (UTF-8), or 0 */
static size_t
rc_js_space(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;

	if (len >= 1 && (s[0] == '\t' || s[0] == '\n' || s[0] == '\v' ||
	    s[0] == '\f' || s[0] == '\r' || s[0] == ' '))
		return 1;
	if (len >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
		return 2;
	if (len < 3)
		return 0;
	if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) ||
	    (s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) ||
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
	    (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) ||
	    (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf))
		return 3;
	return 0;
}

static size_t
rc_js_trim(const char *s, size_t len)
{
	size_t i = 0, n;

	while ((n = rc_js_space(s + i, len - i)) > 0)
		i += n;
	return i;
}

/* strtod over a copied digit string: correctly rounded like V8 */
static double
rc_strtod(const char *prefix, const char *s, size_t len)
{
	char *buf;
	size_t plen = strlen(prefix);
	double d;

	if ((buf = malloc(plen + len + 1)) == NULL)
		return INFINITY;
	memcpy(buf, prefix, plen);
	memcpy(buf + plen, s, len);
	buf[plen + len] = '\0';
	d = strtod(buf, NULL);
	free(buf);
	return d;
}

/*
 * parseInt(s, radix) with radix 10 or 16, or 0 for "decide by a 0x
 * prefix".  Returns false for NaN.
 */
static bool
rc_js_parse_int(const char *s, size_t len, int radix, double *out)
{
	size_t i, start;
	bool neg = false;
	double d;

	i = rc_js_trim(s, len);
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if ((radix == 16 || radix == 0) && len - i >= 2 && s[i] == '0' &&
	    rc_lower((unsigned char)s[i + 1]) == 'x') {
		i += 2;
		radix = 16;
	} else if (radix == 0)
		radix = 10;
	start = i;
	while (i < len && (radix == 16 ? rc_hexval((unsigned char)s[i]) >= 0 :
	    rc_is_digit((unsigned char)s[i])))
		i++;
	if (i == start)
		return false;
	d = rc_strtod(radix == 16 ? "0x" : "", s + start, i - start);
	*out = neg ? -d : d;
	return true;
}

/*
 * The reference's number syntax: decimal, or hex after "0x"; anything
 * unparsable is -1 (which every caller rejects or treats as "none").
 */
static double
rc_num(const char *s, size_t len)
{
	double d;

	if (len == 0)
		return -1;
	if (len > 2 && s[0] == '0' && rc_lower((unsigned char)s[1]) == 'x') {
		if (!rc_js_parse_int(s + 2, len - 2, 16, &d))
			return -1;
	} else if (!rc_js_parse_int(s, len, 10, &d))
		return -1;
	return d == 0 ? 0 : d;	/* -0 is 0 */
}

/* parseFloat(s); false for NaN */
static bool
rc_js_parse_float(const char *s, size_t len, double *out)
{
	size_t i, start, digits = 0, e;

	start = i = rc_js_trim(s, len);
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (len - i >= 8 && memcmp(s + i, "Infinity", 8) == 0) {
		*out = s[start] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	while (i < len && rc_is_digit((unsigned char)s[i])) {
		i++;
		digits++;
	}
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && rc_is_digit((unsigned char)s[i])) {
			i++;
			digits++;
		}
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		e = i + 1;
		if (e < len && (s[e] == '+' || s[e] == '-'))
			e++;
		if (e < len && rc_is_digit((unsigned char)s[e])) {
			while (e < len && rc_is_digit((unsigned char)s[e]))
				e++;
			i = e;
		}
	}
	*out = rc_strtod("", s + start, i - start);
	return true;
}

/*
 * The integer part of a >= 0 modulo 2^32, without libm.  From 2^63 on a
 * double is a multiple of 2^11, from 2^85 on of 2^33.
 */
static uint32_t
rc_mod32(double a)
{
	uint64_t hi;

	if (a < 9223372036854775808.0)
		return (uint32_t)(uint64_t)a;
	if (a >= 38685626227668133590597632.0)
		return 0;
	hi = (uint64_t)(a / 4294967296.0);
	return (uint32_t)(uint64_t)(a - (double)hi * 4294967296.0);
}

/* ECMAScript ToInt32 */
static int64_t
rc_to_int32(double d)
{
	uint32_t r;

	if (!isfinite(d))
		return 0;
	r = d < 0 ? 0U - rc_mod32(-d) : rc_mod32(d);
	return (int32_t)r;
}

/* ---- errors and output ---- */

static void
rc_show(char *dst, size_t dlen, const char *s, size_t len)
{
	size_t i, n = len < RC_SHOW_MAX ? len : RC_SHOW_MAX;

	if (n >= dlen)
		n = dlen - 1;
	for (i = 0; i < n; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[n] = '\0';
}

static int
rc_fail_at(struct rc_ctx *c, unsigned int line, unsigned int col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
rc_fail_at(struct rc_ctx *c, unsigned int line, unsigned int col,
    const char *fmt, ...)
{
	va_list ap;

	c->err->line = line;
	c->err->column = col;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* position of a node: a block's is that of its first token */
static void
rc_pos(const struct rc_ctx *c, uint32_t i, unsigned int *line,
    unsigned int *col)
{
	while (c->nodes[i].s == NULL && c->nodes[i].nkids > 0)
		i = c->nodes[i].kids[0];
	*line = c->nodes[i].line;
	*col = c->nodes[i].col;
}

static int
rc_fail_node(struct rc_ctx *c, uint32_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rc_fail_node(struct rc_ctx *c, uint32_t i, const char *fmt, ...)
{
	va_list ap;

	rc_pos(c, i, &c->err->line, &c->err->column);
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

#define RC_FAIL_VAL(c, v, ...)						\
	rc_fail_at((c), (v)->line, (v)->col, __VA_ARGS__)

static void
rc_set(struct rc_ctx *c, json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		c->oom = true;
}

static json_t *
rc_match_obj(struct rc_ctx *c, int type, bool not, bool or)
{
	json_t *o;

	if ((o = json_object()) == NULL) {
		c->oom = true;
		return NULL;
	}
	rc_set(c, o, "type", json_string(rule_type_name(type)));
	rc_set(c, o, "not", json_boolean(not));
	rc_set(c, o, "or", json_boolean(or));
	return o;
}

static int
rc_emit(struct rc_ctx *c, json_t *rules, json_t *o)
{
	if (o == NULL || c->oom) {
		json_decref(o);
		return rc_fail_at(c, 0, 0, "out of memory");
	}
	if (json_array_size(rules) >= RULEC_RULES_MAX) {
		json_decref(o);
		return rc_fail_at(c, 0, 0, "more than %d rules in one list",
		    RULEC_RULES_MAX);
	}
	if (json_array_append_new(rules, o) == -1)
		return rc_fail_at(c, 0, 0, "out of memory");
	return 0;
}

/* ---- pass 1: tokens and blocks ---- */

static int
rc_node_new(struct rc_ctx *c, const char *s, size_t len, unsigned int line,
    unsigned int col, uint32_t *idx)
{
	struct rc_node *n;
	size_t ncap;

	if (c->nnodes == c->ncap) {
		ncap = c->ncap ? c->ncap * 2 : 64;
		if ((n = reallocarray(c->nodes, ncap, sizeof(*n))) == NULL)
			return -1;
		c->nodes = n;
		c->ncap = ncap;
	}
	n = &c->nodes[c->nnodes];
	memset(n, 0, sizeof(*n));
	n->s = s;
	n->len = len;
	n->line = line;
	n->col = col;
	*idx = (uint32_t)c->nnodes++;
	return 0;
}

static int
rc_kid_add(struct rc_ctx *c, uint32_t block, uint32_t kid)
{
	struct rc_node *b = &c->nodes[block];
	uint32_t *k;
	size_t ncap;

	if (b->nkids == b->kcap) {
		ncap = b->kcap ? b->kcap * 2 : 8;
		if ((k = reallocarray(b->kids, ncap, sizeof(*k))) == NULL)
			return -1;
		b->kids = k;
		b->kcap = ncap;
	}
	b->kids[b->nkids++] = kid;
	return 0;
}

struct rc_lexer {
	uint32_t	*stack;	/* open blocks, [0] = top level */
	size_t		 depth, scap;
	const char	*tok;
	size_t		 tlen;
	unsigned int	 tline, tcol;
};

static int
rc_push_block(struct rc_ctx *c, struct rc_lexer *lx)
{
	uint32_t b, *s;
	size_t ncap;

	if (lx->depth == lx->scap) {
		ncap = lx->scap * 2;
		if ((s = reallocarray(lx->stack, ncap, sizeof(*s))) == NULL)
			return -1;
		lx->stack = s;
		lx->scap = ncap;
	}
	if (rc_node_new(c, NULL, 0, 0, 0, &b) == -1)
		return -1;
	lx->stack[lx->depth++] = b;
	return 0;
}

/* closes the innermost block into its parent */
static int
rc_pop_block(struct rc_ctx *c, struct rc_lexer *lx)
{
	uint32_t b = lx->stack[--lx->depth];

	return rc_kid_add(c, lx->stack[lx->depth - 1], b);
}

static uint32_t
rc_top(const struct rc_lexer *lx)
{
	return lx->stack[lx->depth - 1];
}

/* a token ends: attach it, then close or open a block */
static int
rc_token_end(struct rc_ctx *c, struct rc_lexer *lx, bool last)
{
	uint32_t t;
	bool eob = false;

	if (lx->tlen == 0)
		return 0;
	if (lx->tok[lx->tlen - 1] == ';') {
		eob = true;
		lx->tlen--;
	}
	if (lx->tlen > 0) {
		if (rc_node_new(c, lx->tok, lx->tlen, lx->tline, lx->tcol,
		    &t) == -1 || rc_kid_add(c, rc_top(lx), t) == -1)
			return -1;
	}
	/* the reference treats the last token of the input on its own */
	if (!last) {
		if (eob && lx->depth > 1 && c->nodes[rc_top(lx)].nkids > 0) {
			if (rc_pop_block(c, lx) == -1)
				return -1;
		} else if (lx->tlen > 0 &&
		    rc_in_words(lx->tok, lx->tlen, rc_open_words)) {
			if (rc_push_block(c, lx) == -1)
				return -1;
		}
	}
	lx->tlen = 0;
	return 0;
}

static int
rc_lex(struct rc_ctx *c, const char *src, size_t len, uint32_t *root)
{
	struct rc_lexer lx;
	struct rbuf r;
	const uint8_t *p;
	uint8_t ch;
	unsigned int line = 1, col = 0;
	bool skip = false;
	const struct rc_node *top;
	int rc = -1;

	memset(&lx, 0, sizeof(lx));
	lx.scap = 16;
	if ((lx.stack = calloc(lx.scap, sizeof(*lx.stack))) == NULL ||
	    rc_node_new(c, NULL, 0, 1, 1, &lx.stack[0]) == -1)
		goto oom;
	lx.depth = 1;
	rbuf_init(&r, src, len);
	while (rbuf_get_ptr(&r, 1, &p) == 0) {
		ch = *p;
		col++;
		if (skip) {
			/* CR ends a comment too, as in the reference */
			if (ch == '\r' || ch == '\n')
				skip = false;
		} else if (ch == '\n' || ch == '\r' || ch == '\t' ||
		    ch == ' ') {
			if (rc_token_end(c, &lx, false) == -1)
				goto oom;
		} else if (lx.tlen == 0 && ch == '#')
			skip = true;
		else {
			if (lx.tlen == 0) {
				lx.tok = (const char *)p;
				lx.tline = line;
				lx.tcol = col;
			}
			lx.tlen++;
		}
		if (ch == '\n') {
			line++;
			col = 0;
		}
	}
	if (rc_token_end(c, &lx, true) == -1)
		goto oom;
	while (lx.depth > 1 && c->nodes[rc_top(&lx)].nkids > 0)
		if (rc_pop_block(c, &lx) == -1)
			goto oom;
	/*
	 * Only the innermost block can be empty (a block opens after its
	 * keyword joined the parent).  With more blocks below it, their
	 * text would be dropped by the reference: refuse instead.
	 */
	if (lx.depth > 2) {
		top = &c->nodes[lx.stack[lx.depth - 2]];
		rc_fail_node(c, top->kids[top->nkids - 1], "a block opened "
		    "here is never closed (a lone ';' does not close an "
		    "empty block): the rules around it would be lost");
		goto done;
	}
	*root = lx.stack[0];
	rc = 0;
	goto done;
oom:
	rc_fail_at(c, 0, 0, "out of memory");
done:
	free(lx.stack);
	return rc;
}

/* ---- pass 3: matches ---- */

/*
 * IPv6 as the reference's unanchored pattern decides it: any "::", eight
 * colon-separated groups of 1-4 hex digits, or a "fe80:%" zone form.
 */
static bool
rc_hexrun_ok(const char *s, size_t from, size_t to)
{
	size_t i;

	if (to <= from || to - from > 4)
		return false;
	for (i = from; i < to; i++)
		if (rc_hexval((unsigned char)s[i]) < 0)
			return false;
	return true;
}

static bool
rc_v6_eight_groups(const char *s, size_t len)
{
	size_t c1, p, q;
	int g;

	/* a hex digit, then 6 x (':' 1-4 hex), then ':' and a hex digit */
	for (c1 = 1; c1 < len; c1++) {
		if (s[c1] != ':' || rc_hexval((unsigned char)s[c1 - 1]) < 0)
			continue;
		p = c1 + 1;
		for (g = 0; g < 6; g++) {
			q = p;
			while (q < len && q - p < 5 && s[q] != ':')
				q++;
			if (q >= len || s[q] != ':' || !rc_hexrun_ok(s, p, q))
				break;
			p = q + 1;
		}
		if (g == 6 && p < len && rc_hexval((unsigned char)s[p]) >= 0)
			return true;
	}
	return false;
}

static bool
rc_ipv6_like(const char *s, size_t len)
{
	size_t i;
	unsigned char z;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == ':' && s[i + 1] == ':')
			return true;
	for (i = 0; i + 6 < len; i++) {
		if (memcmp(s + i, "fe80:%", 6) != 0)
			continue;
		z = (unsigned char)s[i + 6];
		if (rc_is_digit(z) ||
		    (rc_lower(z) >= 'a' && rc_lower(z) <= 'z'))
			return true;
	}
	return rc_v6_eight_groups(s, len);
}

/* one dotted-quad octet between dots, as the pattern allows it */
static bool
rc_octet_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!rc_is_digit((unsigned char)s[i]))
			return false;
	switch (len) {
	case 1:
	case 2:
		return true;
	case 3:
		if (s[0] == '1')
			return true;
		if (s[0] == '2' && s[1] <= '4')
			return true;
		return s[0] == '2' && s[1] == '5' && s[2] <= '5';
	default:
		return false;
	}
}

static bool
rc_ipv4_like(const char *s, size_t len)
{
	size_t d1, d2, d3;

	for (d1 = 1; d1 < len; d1++) {
		if (s[d1] != '.' || !rc_is_digit((unsigned char)s[d1 - 1]))
			continue;
		for (d2 = d1 + 1; d2 < len && s[d2] != '.'; d2++)
			;
		if (d2 >= len || !rc_octet_ok(s + d1 + 1, d2 - d1 - 1))
			continue;
		for (d3 = d2 + 1; d3 < len && s[d3] != '.'; d3++)
			;
		if (d3 >= len || !rc_octet_ok(s + d2 + 1, d3 - d2 - 1))
			continue;
		if (d3 + 1 < len && rc_is_digit((unsigned char)s[d3 + 1]))
			return true;
	}
	return false;
}

static int
rc_m_zt(struct rc_ctx *c, const struct rc_match *m, const struct rc_val *a,
    json_t *o)
{
	char zt[11];
	size_t i, n = 0;

	for (i = 0; i < a->len; i++) {
		if (rc_hexval((unsigned char)a->s[i]) < 0)
			continue;
		if (n == 10)
			return RC_FAIL_VAL(c, a, "invalid ZeroTier address");
		zt[n++] = (char)rc_lower((unsigned char)a->s[i]);
	}
	if (n != 10)
		return RC_FAIL_VAL(c, a, "invalid ZeroTier address");
	zt[n] = '\0';
	rc_set(c, o, "zt", json_string(zt));
	return 0;
}

static int
rc_m_num(struct rc_ctx *c, const struct rc_match *m, const struct rc_val *a,
    json_t *o)
{
	const struct rc_named *nm = NULL;
	double d;

	if (m->type == RULE_MATCH_ETHERTYPE)
		nm = rc_named_find(rc_ethertypes, a->s, a->len);
	else if (m->type == RULE_MATCH_IP_PROTOCOL)
		nm = rc_named_find(rc_protocols, a->s, a->len);
	d = nm != NULL ? nm->v : rc_num(a->s, a->len);
	if (d < 0 || d > 4294967295.0)
		return RC_FAIL_VAL(c, a, "invalid number");
	rc_set(c, o, m->field, json_integer((json_int_t)d));
	return 0;
}

static int
rc_m_random(struct rc_ctx *c, const struct rc_match *m,
    const struct rc_val *a, json_t *o)
{
	double p;

	if (!rc_js_parse_float(a->s, a->len, &p) || p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	/* in [0, 2^32 - 1]: the cast is Math.floor() */
	rc_set(c, o, "probability",
	    json_integer((json_int_t)(4294967295.0 * p)));
	return 0;
}

static int
rc_m_mac(struct rc_ctx *c, const struct rc_match *m,
    const struct rc_val *a, json_t *o)
{
	char mac[18];
	size_t i, n = 0, run = 0;

	/* hex digits, a ':' after each pair; extra digits are ignored */
	for (i = 0; i < a->len && n < 17; i++) {
		if (rc_hexval((unsigned char)a->s[i]) < 0)
			continue;
		mac[n++] = (char)rc_lower((unsigned char)a->s[i]);
		if (n != 17 && ++run >= 2) {
			mac[n++] = ':';
			run = 0;
		}
	}
	if (n != 17)
		return RC_FAIL_VAL(c, a, "invalid MAC address");
	mac[n] = '\0';
	rc_set(c, o, "mac", json_stringn(mac, n));
	return 0;
}

static int
rc_m_ip(struct rc_ctx *c, const struct rc_match *m, const struct rc_val *a,
    json_t *o)
{
	ssize_t slash = rc_index(a->s, a->len, '/');
	int type = m->type;

	if (slash <= 0)
		return RC_FAIL_VAL(c, a, "IP address without /bits");
	/* the written text is kept whole; only the kind is decided here */
	if (rc_ipv6_like(a->s, (size_t)slash))
		type = type == RULE_MATCH_IPV4_SOURCE ?
		    RULE_MATCH_IPV6_SOURCE : RULE_MATCH_IPV6_DEST;
	else if (!rc_ipv4_like(a->s, (size_t)slash))
		return RC_FAIL_VAL(c, a, "invalid IP address (neither IPv4 "
		    "nor IPv6)");
	rc_set(c, o, "type", json_string(rule_type_name(type)));
	rc_set(c, o, "ip", json_stringn(a->s, a->len));
	return 0;
}

/* "n" or "a-b" within [0, max] */
static int
rc_range(const struct rc_val *a, double max, double *from, double *to)
{
	ssize_t dash = rc_index(a->s, a->len, '-');

	if (dash > 0) {
		if (rc_index(a->s + dash + 1, a->len - dash - 1, '-') >= 0)
			return -1;
		*from = rc_num(a->s, (size_t)dash);
		*to = rc_num(a->s + dash + 1, a->len - dash - 1);
	} else
		*from = *to = rc_num(a->s, a->len);
	if (*from < 0 || *from > max || *to < 0 || *to > max || *to < *from)
		return -1;
	return 0;
}

static int
rc_m_range(struct rc_ctx *c, const struct rc_match *m,
    const struct rc_val *a, json_t *o)
{
	double from, to;

	if (rc_range(a, 65535, &from, &to) == -1)
		return RC_FAIL_VAL(c, a, "invalid range (0-65535, a-b)");
	rc_set(c, o, "start", json_integer((json_int_t)from));
	rc_set(c, o, "end", json_integer((json_int_t)to));
	return 0;
}

static int
rc_m_tos(struct rc_ctx *c, const struct rc_match *m,
    const struct rc_val *a, json_t *o)
{
	double mask, from, to;

	mask = rc_num(a[0].s, a[0].len);
	if (mask < 0 || mask > 255)
		return RC_FAIL_VAL(c, &a[0], "invalid TOS mask");
	if (rc_range(&a[1], 255, &from, &to) == -1)
		return RC_FAIL_VAL(c, &a[1], "invalid TOS value range "
		    "(0-255, a-b)");
	rc_set(c, o, "mask", json_integer((json_int_t)mask));
	rc_set(c, o, "start", json_integer((json_int_t)from));
	rc_set(c, o, "end", json_integer((json_int_t)to));
	return 0;
}

static int
rc_m_icmp(struct rc_ctx *c, const struct rc_match *m,
    const struct rc_val *a, json_t *o)
{
	double type, code;

	type = rc_num(a[0].s, a[0].len);
	if (type < 0 || type > 255)
		return RC_FAIL_VAL(c, &a[0], "invalid ICMP type");
	/* -1, or anything unparsable, means "any code" */
	code = rc_num(a[1].s, a[1].len);
	if (code > 255)
		return RC_FAIL_VAL(c, &a[1], "invalid ICMP code (-1 = any)");
	rc_set(c, o, "icmpType", json_integer((json_int_t)type));
	rc_set(c, o, "icmpCode", code < 0 ? json_null() :
	    json_integer((json_int_t)code));
	return 0;
}

struct rc_chr_state {
	int32_t		 hi, lo;
	bool		 bad;
};

static int
rc_chr_piece(void *arg, size_t idx, const char *s, size_t len)
{
	struct rc_chr_state *st = arg;
	const struct rc_named *nm;
	double bit;

	(void)idx;
	if (len == 0)
		return 0;
	nm = rc_named_find(rc_chr_bits, s, len);
	bit = nm != NULL ? nm->v : rc_num(s, len);
	if (bit < 0 || bit > 63) {
		st->bad = true;
		return 1;
	}
	/* 32-bit halves with JavaScript's signed "|=", as the reference */
	if (bit >= 32)
		st->hi = (int32_t)((uint32_t)st->hi |
		    (1U << ((int)bit - 32)));
	else
		st->lo = (int32_t)((uint32_t)st->lo | (1U << (int)bit));
	return 0;
}

static int
rc_m_chr(struct rc_ctx *c, const struct rc_match *m,
    const struct rc_val *a, json_t *o)
{
	struct rc_chr_state st = { 0, 0, false };
	char mask[17];
	int64_t hi, lo;

	rc_split(a->s, a->len, ",", rc_chr_piece, &st);
	if (st.bad)
		return RC_FAIL_VAL(c, a, "invalid characteristic (a name or "
		    "a bit 0-63)");
	/*
	 * The reference prints Math.abs() of each signed half: with bit 31
	 * of a half set together with other bits the mask comes out
	 * different from the bits named.  Reproduced for compatibility.
	 */
	hi = st.hi < 0 ? -(int64_t)st.hi : st.hi;
	lo = st.lo < 0 ? -(int64_t)st.lo : st.lo;
	snprintf(mask, sizeof(mask), "%08llx%08llx", (unsigned long long)hi,
	    (unsigned long long)lo);
	rc_set(c, o, "mask", json_string(mask));
	return 0;
}

static const struct rc_tag *
rc_tag_find(const struct rc_ctx *c, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < c->ntags; i++)
		if (rc_same(c->tags[i].name, c->tags[i].nlen, s, len))
			return &c->tags[i];
	return NULL;
}

static const struct rc_sym *
rc_sym_find(const struct rc_sym *t, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rc_same(t[i].name, t[i].nlen, s, len))
			return &t[i];
	return NULL;
}

static int
rc_m_tag(struct rc_ctx *c, const struct rc_match *m,
    const struct rc_val *a, json_t *o)
{
	const struct rc_tag *t;
	const struct rc_sym *sym;
	double id, value;

	if ((t = rc_tag_find(c, a[0].s, a[0].len)) != NULL) {
		id = (double)t->id;
		if ((sym = rc_sym_find(t->flags, t->nflags, a[1].s,
		    a[1].len)) != NULL ||
		    (sym = rc_sym_find(t->enums, t->nenums, a[1].s,
		    a[1].len)) != NULL)
			value = (double)sym->v;
		else
			value = rc_num(a[1].s, a[1].len);
	} else {
		id = rc_num(a[0].s, a[0].len);
		value = rc_num(a[1].s, a[1].len);
	}
	if (id < 0 || id > 4294967295.0)
		return RC_FAIL_VAL(c, &a[0], "unknown tag name and not a tag "
		    "ID");
	if (value < 0 || value > 4294967295.0)
		return RC_FAIL_VAL(c, &a[1], "invalid tag value or unknown "
		    "flag/enum name");
	rc_set(c, o, "id", json_integer((json_int_t)id));
	rc_set(c, o, "value", json_integer((json_int_t)value));
	return 0;
}

static int
rc_work(struct rc_ctx *c)
{
	if (++c->work > RC_WORK_MAX)
		return rc_fail_at(c, 0, 0, "rule set too large once macros "
		    "are expanded");
	return 0;
}

/* the match's arguments: tokens, or "$name" macro parameters */
static int
rc_match_args(struct rc_ctx *c, const struct rc_match *m, const uint32_t *v,
    size_t n, size_t *k, const struct rc_sym *params, size_t nparams,
    struct rc_val *a)
{
	const struct rc_node *t;
	const struct rc_sym *p;
	int i;

	for (i = 0; i < m->argc; i++) {
		if (++*k >= n)
			return rc_fail_node(c, v[*k - 1], "'%s' needs %d "
			    "argument%s", m->word, m->argc,
			    m->argc > 1 ? "s" : "");
		t = &c->nodes[v[*k]];
		if (t->s == NULL || rc_in_words(t->s, t->len, rc_reserved))
			return rc_fail_node(c, v[*k - 1], "'%s' needs %d "
			    "argument%s (a reserved word is not one)",
			    m->word, m->argc, m->argc > 1 ? "s" : "");
		a[i].line = t->line;
		a[i].col = t->col;
		if (t->s[0] == '$') {
			if ((p = rc_sym_find(params, nparams, t->s,
			    t->len)) == NULL)
				return rc_fail_node(c, v[*k], "undefined "
				    "macro parameter");
			a[i].s = p->val;
			a[i].len = p->vlen;
		} else {
			a[i].s = t->s;
			a[i].len = t->len;
		}
	}
	return 0;
}

static int
rc_matches(struct rc_ctx *c, const uint32_t *v, size_t n, json_t *rules,
    const struct rc_sym *params, size_t nparams)
{
	const struct rc_node *t;
	const struct rc_match *m;
	struct rc_val a[2];
	json_t *o;
	bool not = false, or = false;
	char show[RC_SHOW_MAX + 1];
	size_t k;

	for (k = 0; k < n; k++) {
		if (rc_work(c) == -1)
			return -1;
		t = &c->nodes[v[k]];
		/* a nested block in a match list is skipped, as upstream */
		if (t->s == NULL || rc_eq_lower(t->s, t->len, "and"))
			continue;
		if (rc_eq_lower(t->s, t->len, "not")) {
			not = true;
			continue;
		}
		if (rc_eq_lower(t->s, t->len, "or")) {
			or = true;
			continue;
		}
		for (m = rc_match_table; m->word != NULL; m++)
			if (rc_eq_lower(t->s, t->len, m->word))
				break;
		if (m->word == NULL) {
			rc_show(show, sizeof(show), t->s, t->len);
			return rc_fail_node(c, v[k], "unknown match '%s'",
			    show);
		}
		if (rc_match_args(c, m, v, n, &k, params, nparams, a) == -1)
			return -1;
		if ((o = rc_match_obj(c, m->type, not, or)) == NULL)
			return rc_fail_at(c, 0, 0, "out of memory");
		if (m->fn(c, m, a, o) == -1) {
			json_decref(o);
			return -1;
		}
		if (rc_emit(c, rules, o) == -1)
			return -1;
		not = or = false;
	}
	return 0;
}

/* ---- pass 3: actions ---- */

static json_t *
rc_action_obj(struct rc_ctx *c, int type)
{
	json_t *o;

	if ((o = json_object()) == NULL) {
		c->oom = true;
		return NULL;
	}
	rc_set(c, o, "type", json_string(rule_type_name(type)));
	return o;
}

static const struct rc_macro *
rc_macro_find(const struct rc_ctx *c, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < c->nmacros; i++)
		if (rc_same(c->macros[i].name, c->macros[i].nlen, s, len))
			return &c->macros[i];
	return NULL;
}

struct rc_args {
	struct rc_val	 v[64];
	size_t		 n;
	bool		 many;
};

static int
rc_arg_piece(void *arg, size_t idx, const char *s, size_t len)
{
	struct rc_args *a = arg;

	(void)idx;
	if (len == 0)
		return 0;
	if (a->n == sizeof(a->v) / sizeof(a->v[0])) {
		a->many = true;
		return 1;
	}
	a->v[a->n].s = s;
	a->v[a->n++].len = len;
	return 0;
}

static int
rc_include(struct rc_ctx *c, const uint32_t *v, size_t n, size_t *k,
    json_t *rules, int depth)
{
	const struct rc_node *t;
	const struct rc_macro *mac;
	struct rc_args args;
	struct rc_sym *bound = NULL;
	ssize_t paren;
	size_t i, nlen;
	int rc = -1;

	if (*k + 1 >= n)
		return rc_fail_node(c, v[*k], "include needs a macro name");
	t = &c->nodes[v[++*k]];
	if (t->s == NULL)
		return rc_fail_node(c, v[*k], "include needs a macro name");
	memset(&args, 0, sizeof(args));
	nlen = t->len;
	if ((paren = rc_index(t->s, t->len, '(')) > 0) {
		rc_split(t->s + paren + 1, t->len - paren - 1, ",)",
		    rc_arg_piece, &args);
		if (args.many)
			return rc_fail_node(c, v[*k], "too many macro "
			    "arguments");
		nlen = (size_t)paren;
	}
	if ((mac = rc_macro_find(c, t->s, nlen)) == NULL)
		return rc_fail_node(c, v[*k], "unknown macro");
	if (depth >= RULEC_INCLUDE_DEPTH)
		return rc_fail_node(c, v[*k], "macros nested more than %d "
		    "deep", RULEC_INCLUDE_DEPTH);
	if (mac->nparams > 0 &&
	    (bound = calloc(mac->nparams, sizeof(*bound))) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	for (i = 0; i < mac->nparams; i++) {
		if ((size_t)mac->params[i].v >= args.n) {
			rc_fail_node(c, v[*k], "macro argument missing");
			goto fail;
		}
		bound[i] = mac->params[i];
		bound[i].val = args.v[mac->params[i].v].s;
		bound[i].vlen = args.v[mac->params[i].v].len;
	}
	rc = rc_actions(c, mac->body, mac->nbody, rules, bound, mac->nparams,
	    depth + 1);
fail:
	free(bound);
	return rc;
}

static bool
rc_is_block(const struct rc_ctx *c, const uint32_t *v, size_t n, size_t i)
{
	return i < n && c->nodes[v[i]].s == NULL;
}

/* tee/watch <maxlen> <address> matches..., redirect <address> matches... */
static int
rc_forward(struct rc_ctx *c, int type, const struct rc_node *b,
    json_t *rules, const struct rc_sym *params, size_t nparams)
{
	const struct rc_node *tgt;
	double maxlen = 0;
	size_t first = 0;
	json_t *o;

	if (type != RULE_ACTION_REDIRECT) {
		maxlen = rc_num(c->nodes[b->kids[0]].s,
		    c->nodes[b->kids[0]].len);
		if (maxlen < -1 || maxlen > 65535)
			return rc_fail_node(c, b->kids[0], "tee/watch length "
			    "must be -1 to 65535 (0 or -1 = whole frame)");
		first = 1;
	}
	tgt = &c->nodes[b->kids[first]];
	/* the reference checks only the length of the target text */
	if (tgt->s == NULL || tgt->len != 10)
		return rc_fail_node(c, b->kids[first], "missing or invalid "
		    "ZeroTier address to forward to");
	if (rc_matches(c, b->kids + first + 1, b->nkids - first - 1, rules,
	    params, nparams) == -1)
		return -1;
	if ((o = rc_action_obj(c, type)) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	rc_set(c, o, "address", json_stringn(tgt->s, tgt->len));
	if (type != RULE_ACTION_REDIRECT)
		rc_set(c, o, "length", json_integer((json_int_t)maxlen));
	return rc_emit(c, rules, o);
}

static int
rc_action_plain(const struct rc_node *t)
{
	if (rc_eq_lower(t->s, t->len, "drop"))
		return RULE_ACTION_DROP;
	if (rc_eq_lower(t->s, t->len, "accept"))
		return RULE_ACTION_ACCEPT;
	if (rc_eq_lower(t->s, t->len, "break"))
		return RULE_ACTION_BREAK;
	return -1;
}

static int
rc_actions(struct rc_ctx *c, const uint32_t *v, size_t n, json_t *rules,
    const struct rc_sym *params, size_t nparams, int depth)
{
	const struct rc_node *t, *b;
	char show[RC_SHOW_MAX + 1];
	size_t k;
	int type;

	for (k = 0; k < n; k++) {
		if (rc_work(c) == -1)
			return -1;
		t = &c->nodes[v[k]];
		if (t->s == NULL)
			continue;
		if (rc_eq_lower(t->s, t->len, "include")) {
			if (rc_include(c, v, n, &k, rules, depth) == -1)
				return -1;
		} else if ((type = rc_action_plain(t)) >= 0) {
			if (rc_is_block(c, v, n, k + 1)) {
				b = &c->nodes[v[++k]];
				if (rc_matches(c, b->kids, b->nkids, rules,
				    params, nparams) == -1)
					return -1;
			}
			if (rc_emit(c, rules, rc_action_obj(c, type)) == -1)
				return -1;
		} else if (rc_eq_lower(t->s, t->len, "tee") ||
		    rc_eq_lower(t->s, t->len, "watch")) {
			type = rc_eq_lower(t->s, t->len, "tee") ?
			    RULE_ACTION_TEE : RULE_ACTION_WATCH;
			if (!rc_is_block(c, v, n, k + 1) ||
			    c->nodes[v[k + 1]].nkids < 2)
				return rc_fail_node(c, v[k], "tee and watch "
				    "need a length and a ZeroTier address");
			b = &c->nodes[v[++k]];
			if (rc_forward(c, type, b, rules, params,
			    nparams) == -1)
				return -1;
		} else if (rc_eq_lower(t->s, t->len, "redirect")) {
			if (!rc_is_block(c, v, n, k + 1))
				return rc_fail_node(c, v[k], "redirect needs "
				    "a ZeroTier address");
			b = &c->nodes[v[++k]];
			if (rc_forward(c, RULE_ACTION_REDIRECT, b, rules,
			    params, nparams) == -1)
				return -1;
		} else {
			rc_show(show, sizeof(show), t->s, t->len);
			return rc_fail_node(c, v[k], "unknown action or "
			    "directive '%s'", show);
		}
	}
	return 0;
}

/* ---- pass 2: definitions ---- */

static int
rc_check_name(struct rc_ctx *c, uint32_t at, const char *name, size_t len,
    const char *what)
{
	if (!rc_valid_name(name, len))
		return rc_fail_node(c, at, "invalid %s name", what);
	if (rc_in_words(name, len, rc_reserved))
		return rc_fail_node(c, at, "%s name is a reserved word",
		    what);
	return 0;
}

struct rc_param_state {
	struct rc_ctx	*c;
	struct rc_macro	*m;
};

static int
rc_param_piece(void *arg, size_t idx, const char *s, size_t len)
{
	struct rc_param_state *st = arg;
	struct rc_macro *m = st->m;
	struct rc_sym *p, *np;

	if (len == 0)
		return 0;
	/* a repeated name takes its last position, as a JS object would */
	if ((p = (struct rc_sym *)rc_sym_find(m->params, m->nparams, s,
	    len)) != NULL) {
		p->v = (int64_t)idx;
		return 0;
	}
	np = reallocarray(m->params, m->nparams + 1, sizeof(*np));
	if (np == NULL) {
		st->c->oom = true;
		return 1;
	}
	m->params = np;
	memset(&np[m->nparams], 0, sizeof(np[0]));
	np[m->nparams].name = m->name + (s - m->name);
	np[m->nparams].nlen = len;
	np[m->nparams++].v = (int64_t)idx;
	return 0;
}

static int
rc_def_macro(struct rc_ctx *c, uint32_t blk)
{
	const struct rc_node *b = &c->nodes[blk];
	const struct rc_node *t = &c->nodes[b->kids[0]];
	struct rc_macro *m, *nm;
	struct rc_param_state st;
	ssize_t paren;

	nm = reallocarray(c->macros, c->nmacros + 1, sizeof(*nm));
	if (nm == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	c->macros = nm;
	m = &c->macros[c->nmacros];
	memset(m, 0, sizeof(*m));
	if ((m->name = rc_lowdup(c, t->s, t->len)) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	c->nmacros++;
	m->nlen = t->len;
	if ((paren = rc_index(m->name, m->nlen, '(')) > 0) {
		st.c = c;
		st.m = m;
		rc_split(m->name + paren + 1, m->nlen - paren - 1, ",)",
		    rc_param_piece, &st);
		if (c->oom)
			return rc_fail_at(c, 0, 0, "out of memory");
		m->nlen = (size_t)paren;
	}
	if (rc_check_name(c, b->kids[0], m->name, m->nlen, "macro") == -1)
		return -1;
	if (rc_macro_find(c, m->name, m->nlen) != m)
		return rc_fail_node(c, b->kids[0], "macro defined twice");
	m->body = b->kids + 1;
	m->nbody = b->nkids - 1;
	return 0;
}

/* adds an enum or flag; takes the (lower-cased, heap) name */
static int
rc_sym_add(struct rc_ctx *c, struct rc_sym **t, size_t *n, char *name,
    size_t nlen, int64_t v)
{
	struct rc_sym *nt;

	if ((nt = reallocarray(*t, *n + 1, sizeof(*nt))) == NULL) {
		free(name);
		return rc_fail_at(c, 0, 0, "out of memory");
	}
	*t = nt;
	memset(&nt[*n], 0, sizeof(nt[0]));
	nt[*n].name = name;
	nt[*n].nlen = nlen;
	nt[(*n)++].v = v;
	return 0;
}

/*
 * Enum and flag names are matched lower-cased at definition but as
 * written where they are used, as in the reference.
 */
static int
rc_sym_new(struct rc_ctx *c, struct rc_sym **t, size_t *n, uint32_t at,
    int64_t v, const char *what)
{
	const struct rc_node *x = &c->nodes[at];
	char *name;

	if ((name = rc_lowdup(c, x->s, x->len)) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	if (rc_sym_find(*t, *n, name, x->len) != NULL) {
		free(name);
		return rc_fail_node(c, at, "%s name defined twice", what);
	}
	return rc_sym_add(c, t, n, name, x->len, v);
}

struct rc_flag_state {
	struct rc_ctx		*c;
	const struct rc_tag	*tag;
	int32_t			 mask;
	bool			 bad;
};

static int
rc_flag_piece(void *arg, size_t idx, const char *s, size_t len)
{
	struct rc_flag_state *st = arg;
	const struct rc_sym *f;
	char *low;
	double bit;

	(void)idx;
	/* earlier flag names (lower-cased) combine their bits */
	if ((low = rc_lowdup(st->c, s, len)) == NULL)
		return 1;
	f = rc_sym_find(st->tag->flags, st->tag->nflags, low, len);
	free(low);
	if (f != NULL) {
		st->mask = (int32_t)((uint32_t)st->mask | (uint32_t)f->v);
		return 0;
	}
	bit = rc_num(s, len);
	if (bit < 0 || bit > 31) {
		st->bad = true;
		return 1;
	}
	st->mask = (int32_t)((uint32_t)st->mask | (1U << (int)bit));
	return 0;
}

/* the "default" of a tag: enum, flag, or parseInt's number */
static int64_t
rc_tag_default(const struct rc_tag *t, const struct rc_node *d)
{
	const struct rc_sym *s;
	double v;

	if ((s = rc_sym_find(t->enums, t->nenums, d->s, d->len)) != NULL ||
	    (s = rc_sym_find(t->flags, t->nflags, d->s, d->len)) != NULL)
		return s->v;
	if (!rc_js_parse_int(d->s, d->len, 0, &v))
		v = 0;
	return rc_to_int32(v < 0 ? -v : v);
}

/* flag <bit|name[,bit|name...]> <name> */
static int
rc_tag_flag(struct rc_ctx *c, struct rc_tag *t, const struct rc_node *b,
    size_t *k)
{
	const struct rc_node *x;
	struct rc_flag_state fs;

	if (*k + 2 >= b->nkids)
		return rc_fail_node(c, b->kids[*k], "flag needs bit numbers "
		    "and a name");
	x = &c->nodes[b->kids[++*k]];
	fs.c = c;
	fs.tag = t;
	fs.mask = 0;
	fs.bad = x->s == NULL;
	if (!fs.bad)
		rc_split(x->s, x->len, ",", rc_flag_piece, &fs);
	if (c->oom)
		return rc_fail_at(c, 0, 0, "out of memory");
	if (fs.bad)
		return rc_fail_node(c, b->kids[*k], "invalid flag bit (0-31) "
		    "or unknown flag name");
	x = &c->nodes[b->kids[++*k]];
	if (x->s == NULL || !rc_valid_name(x->s, x->len))
		return rc_fail_node(c, b->kids[*k], "invalid flag name");
	return rc_sym_new(c, &t->flags, &t->nflags, b->kids[*k], fs.mask,
	    "flag");
}

/* enum <value> <name> */
static int
rc_tag_enum(struct rc_ctx *c, struct rc_tag *t, const struct rc_node *b,
    size_t *k)
{
	const struct rc_node *x;
	double v;

	if (*k + 2 >= b->nkids)
		return rc_fail_node(c, b->kids[*k], "enum needs a value and a "
		    "name");
	x = &c->nodes[b->kids[++*k]];
	v = x->s == NULL ? -1 : rc_num(x->s, x->len);
	if (v < 0 || v > 4294967295.0)
		return rc_fail_node(c, b->kids[*k], "invalid enum value");
	x = &c->nodes[b->kids[++*k]];
	if (x->s == NULL || !rc_valid_name(x->s, x->len))
		return rc_fail_node(c, b->kids[*k], "invalid enum name");
	return rc_sym_new(c, &t->enums, &t->nenums, b->kids[*k], (int64_t)v,
	    "enum");
}

static int
rc_tag_item(struct rc_ctx *c, struct rc_tag *t, const struct rc_node *b,
    size_t *k, uint32_t *dfl)
{
	const struct rc_node *kw = &c->nodes[b->kids[*k]], *x;
	double v;

	if (kw->s == NULL)
		return rc_fail_node(c, b->kids[*k], "unexpected block in tag "
		    "definition");
	if (rc_eq_lower(kw->s, kw->len, "flag"))
		return rc_tag_flag(c, t, b, k);
	if (rc_eq_lower(kw->s, kw->len, "enum"))
		return rc_tag_enum(c, t, b, k);
	if (rc_eq_lower(kw->s, kw->len, "id")) {
		if (t->id >= 0)
			return rc_fail_node(c, b->kids[*k], "tag id given "
			    "twice");
		if (*k + 1 >= b->nkids)
			return rc_fail_node(c, b->kids[*k], "tag id needs a "
			    "number");
		x = &c->nodes[b->kids[++*k]];
		v = x->s == NULL ? -1 : rc_num(x->s, x->len);
		if (v < 0 || v > 4294967295.0)
			return rc_fail_node(c, b->kids[*k], "invalid tag id");
		t->id = (int64_t)v;
		return 0;
	}
	if (rc_eq_lower(kw->s, kw->len, "default")) {
		if (*dfl != UINT32_MAX)
			return rc_fail_node(c, b->kids[*k], "tag default "
			    "given twice");
		if (*k + 1 >= b->nkids || c->nodes[b->kids[*k + 1]].s == NULL)
			return rc_fail_node(c, b->kids[*k], "tag default "
			    "needs a value");
		*dfl = b->kids[++*k];
		return 0;
	}
	return rc_fail_node(c, b->kids[*k], "unknown keyword in tag "
	    "definition");
}

static void
rc_tag_free(struct rc_tag *t)
{
	size_t i;

	for (i = 0; i < t->nenums; i++)
		free(t->enums[i].name);
	for (i = 0; i < t->nflags; i++)
		free(t->flags[i].name);
	free(t->enums);
	free(t->flags);
	free(t->name);
}

static int
rc_def_tag(struct rc_ctx *c, uint32_t blk)
{
	const struct rc_node *b = &c->nodes[blk];
	struct rc_tag *t, *nt;
	uint32_t dfl = UINT32_MAX;
	size_t k;

	nt = reallocarray(c->tags, c->ntags + 1, sizeof(*nt));
	if (nt == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	c->tags = nt;
	t = &c->tags[c->ntags];
	memset(t, 0, sizeof(*t));
	t->id = -1;
	if ((t->name = rc_lowdup(c, c->nodes[b->kids[0]].s,
	    c->nodes[b->kids[0]].len)) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	t->nlen = c->nodes[b->kids[0]].len;
	c->ntags++;
	if (rc_check_name(c, b->kids[0], t->name, t->nlen, "tag") == -1)
		return -1;
	if (rc_tag_find(c, t->name, t->nlen) != t)
		return rc_fail_node(c, b->kids[0], "tag defined twice");
	for (k = 1; k < b->nkids; k++)
		if (rc_tag_item(c, t, b, &k, &dfl) == -1)
			return -1;
	if (t->id < 0)
		return rc_fail_node(c, b->kids[0], "tag without an id");
	if (dfl != UINT32_MAX)
		t->dfl = rc_tag_default(t, &c->nodes[dfl]);
	return 0;
}

static int
rc_def_cap(struct rc_ctx *c, uint32_t blk)
{
	const struct rc_node *b = &c->nodes[blk], *x;
	struct rc_cap *cap, *nc;
	size_t k, i;
	uint32_t *body;
	double v;

	nc = reallocarray(c->caps, c->ncaps + 1, sizeof(*nc));
	if (nc == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	c->caps = nc;
	cap = &c->caps[c->ncaps];
	memset(cap, 0, sizeof(*cap));
	cap->id = -1;
	if ((cap->name = rc_lowdup(c, c->nodes[b->kids[0]].s,
	    c->nodes[b->kids[0]].len)) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	cap->nlen = c->nodes[b->kids[0]].len;
	c->ncaps++;
	if (rc_check_name(c, b->kids[0], cap->name, cap->nlen,
	    "capability") == -1)
		return -1;
	for (i = 0; i + 1 < c->ncaps; i++)
		if (rc_same(c->caps[i].name, c->caps[i].nlen, cap->name,
		    cap->nlen))
			return rc_fail_node(c, b->kids[0], "capability "
			    "defined twice");
	if ((body = calloc(b->nkids, sizeof(*body))) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	cap->body = body;
	for (k = 1; k < b->nkids; k++) {
		x = &c->nodes[b->kids[k]];
		if (x->s != NULL && rc_eq_lower(x->s, x->len, "id")) {
			if (cap->id >= 0)
				return rc_fail_node(c, b->kids[k], "capability "
				    "id given twice");
			if (k + 1 >= b->nkids)
				return rc_fail_node(c, b->kids[k], "capability "
				    "id needs a number");
			x = &c->nodes[b->kids[++k]];
			v = x->s == NULL ? -1 : rc_num(x->s, x->len);
			if (v < 0 || v > 4294967295.0)
				return rc_fail_node(c, b->kids[k - 1],
				    "invalid capability id");
			for (i = 0; i + 1 < c->ncaps; i++)
				if (c->caps[i].id == (int64_t)v)
					return rc_fail_node(c, b->kids[k - 1],
					    "capability id used twice");
			cap->id = (int64_t)v;
		} else if (x->s != NULL && rc_eq_lower(x->s, x->len,
		    "default"))
			cap->dfl = true;
		else
			body[cap->nbody++] = b->kids[k];
	}
	if (cap->id < 0)
		return rc_fail_node(c, b->kids[0], "capability without an id");
	return 0;
}

static int
rc_definitions(struct rc_ctx *c, uint32_t root, uint32_t **base,
    size_t *nbase)
{
	const struct rc_node *r = &c->nodes[root], *t;
	size_t i;
	int rc = 0;

	if ((*base = calloc(r->nkids + 1, sizeof(**base))) == NULL)
		return rc_fail_at(c, 0, 0, "out of memory");
	*nbase = 0;
	for (i = 0; i < r->nkids && rc == 0; i++) {
		t = &c->nodes[r->kids[i]];
		if (t->s == NULL || !(rc_eq_lower(t->s, t->len, "macro") ||
		    rc_eq_lower(t->s, t->len, "tag") ||
		    rc_eq_lower(t->s, t->len, "cap"))) {
			(*base)[(*nbase)++] = r->kids[i];
			continue;
		}
		if (!rc_is_block(c, r->kids, r->nkids, i + 1))
			return rc_fail_node(c, r->kids[i], "%s definition "
			    "without a name", rc_eq_lower(t->s, t->len,
			    "cap") ? "capability" : rc_eq_lower(t->s,
			    t->len, "tag") ? "tag" : "macro");
		if (rc_eq_lower(t->s, t->len, "macro"))
			rc = rc_def_macro(c, r->kids[++i]);
		else if (rc_eq_lower(t->s, t->len, "tag"))
			rc = rc_def_tag(c, r->kids[++i]);
		else
			rc = rc_def_cap(c, r->kids[++i]);
	}
	return rc;
}

/* ---- output ---- */

static json_t *
rc_output(struct rc_ctx *c, json_t *rules)
{
	json_t *out, *caps, *tags, *o;
	size_t i;

	out = json_object();
	caps = json_array();
	tags = json_array();
	if (out == NULL || caps == NULL || tags == NULL)
		c->oom = true;
	for (i = 0; i < c->ncaps && !c->oom; i++) {
		if ((o = json_object()) == NULL ||
		    json_array_append_new(caps, o) == -1) {
			c->oom = true;
			break;
		}
		rc_set(c, o, "id", json_integer(c->caps[i].id));
		rc_set(c, o, "default", json_boolean(c->caps[i].dfl));
		rc_set(c, o, "rules", json_incref(c->caps[i].rules));
	}
	for (i = 0; i < c->ntags && !c->oom; i++) {
		if ((o = json_object()) == NULL ||
		    json_array_append_new(tags, o) == -1) {
			c->oom = true;
			break;
		}
		rc_set(c, o, "id", json_integer(c->tags[i].id));
		/* cli.js writes "default || null": 0 becomes null */
		rc_set(c, o, "default", c->tags[i].dfl != 0 ?
		    json_integer(c->tags[i].dfl) : json_null());
	}
	if (out != NULL && caps != NULL && tags != NULL && !c->oom) {
		rc_set(c, out, "rules", json_incref(rules));
		rc_set(c, out, "capabilities", json_incref(caps));
		rc_set(c, out, "tags", json_incref(tags));
	}
	json_decref(caps);
	json_decref(tags);
	if (c->oom) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* length of the UTF-8 sequence at s, or 0 if it is not valid UTF-8 */
static size_t
rc_utf8_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * The JSON output must be valid UTF-8 and names are compared as bytes:
 * text that is not UTF-8 is refused where it starts.
 */
static int
rc_utf8_check(struct rc_ctx *c, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned int line = 1, col = 1;
	size_t i = 0, n;

	while (i < len) {
		if ((n = rc_utf8_len(s + i, len - i)) == 0)
			return rc_fail_at(c, line, col, "text is not valid "
			    "UTF-8");
		if (s[i] == '\n') {
			line++;
			col = 0;
		}
		col += (unsigned int)n;
		i += n;
	}
	return 0;
}

static void
rc_free(struct rc_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++)
		free(c->nodes[i].kids);
	free(c->nodes);
	for (i = 0; i < c->ntags; i++)
		rc_tag_free(&c->tags[i]);
	free(c->tags);
	for (i = 0; i < c->ncaps; i++) {
		free(c->caps[i].name);
		free(c->caps[i].body);
		json_decref(c->caps[i].rules);
	}
	free(c->caps);
	for (i = 0; i < c->nmacros; i++) {
		free(c->macros[i].name);
		free(c->macros[i].params);
	}
	free(c->macros);
}

int
rulec_compile(const char *src, size_t len, json_t **out,
    struct rulec_error *err)
{
	struct rc_ctx c;
	uint32_t root, *base = NULL;
	size_t nbase = 0, i;
	json_t *rules = NULL;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	memset(err, 0, sizeof(*err));
	c.err = err;
	*out = NULL;
	if (len > RULEC_SRC_MAX) {
		rc_fail_at(&c, 0, 0, "rule text longer than %d bytes",
		    RULEC_SRC_MAX);
		goto fail;
	}
	if (rc_utf8_check(&c, src, len) == -1 ||
	    rc_lex(&c, src, len, &root) == -1 ||
	    rc_definitions(&c, root, &base, &nbase) == -1)
		goto fail;
	for (i = 0; i < c.ncaps; i++) {
		if ((c.caps[i].rules = json_array()) == NULL) {
			rc_fail_at(&c, 0, 0, "out of memory");
			goto fail;
		}
		if (rc_actions(&c, c.caps[i].body, c.caps[i].nbody,
		    c.caps[i].rules, NULL, 0, 0) == -1)
			goto fail;
	}
	if ((rules = json_array()) == NULL) {
		rc_fail_at(&c, 0, 0, "out of memory");
		goto fail;
	}
	if (rc_actions(&c, base, nbase, rules, NULL, 0, 0) == -1)
		goto fail;
	if ((*out = rc_output(&c, rules)) == NULL) {
		rc_fail_at(&c, 0, 0, "out of memory");
		goto fail;
	}
	rc = 0;
fail:
	json_decref(rules);
	free(base);
	rc_free(&c);
	return rc;
}
