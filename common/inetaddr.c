/*
 * ZeroTier's physical address encoding, text form and scope rules
 * (spec/vl1.md §2.10 and §5.3, spec/service.md "allowManaged").
 */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "inetaddr.h"

/* longest text we accept: an IPv6 address, '/', 5 digits */
#define INETADDR_TEXT_MAX	(INET6_ADDRSTRLEN + 6)

void
inetaddr_clear(struct inetaddr *a)
{
	memset(a, 0, sizeof(*a));
}

void
inetaddr_set_v4(struct inetaddr *a, const uint8_t ip[4], uint16_t port)
{
	inetaddr_clear(a);
	a->family = INETADDR_V4;
	memcpy(a->ip, ip, 4);
	a->port = port;
}

void
inetaddr_set_v6(struct inetaddr *a, const uint8_t ip[16], uint16_t port)
{
	inetaddr_clear(a);
	a->family = INETADDR_V6;
	memcpy(a->ip, ip, 16);
	a->port = port;
}

bool
inetaddr_is_nil(const struct inetaddr *a)
{
	return a->family != INETADDR_V4 && a->family != INETADDR_V6;
}

static size_t
inetaddr_iplen(const struct inetaddr *a)
{
	switch (a->family) {
	case INETADDR_V4:
		return 4;
	case INETADDR_V6:
		return 16;
	default:
		return 0;
	}
}

bool
inetaddr_ip_equal(const struct inetaddr *a, const struct inetaddr *b)
{
	if (inetaddr_is_nil(a) || inetaddr_is_nil(b))
		return inetaddr_is_nil(a) && inetaddr_is_nil(b);
	return a->family == b->family &&
	    memcmp(a->ip, b->ip, inetaddr_iplen(a)) == 0;
}

bool
inetaddr_equal(const struct inetaddr *a, const struct inetaddr *b)
{
	if (inetaddr_is_nil(a) || inetaddr_is_nil(b))
		return inetaddr_is_nil(a) && inetaddr_is_nil(b);
	return inetaddr_ip_equal(a, b) && a->port == b->port;
}

int
inetaddr_cmp(const struct inetaddr *a, const struct inetaddr *b)
{
	uint8_t fa = inetaddr_is_nil(a) ? 0 : a->family;
	uint8_t fb = inetaddr_is_nil(b) ? 0 : b->family;
	int c;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (fa == 0)
		return 0;
	if ((c = memcmp(a->ip, b->ip, inetaddr_iplen(a))) != 0)
		return c < 0 ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

size_t
inetaddr_wire_len(const struct inetaddr *a)
{
	return 1 + (inetaddr_is_nil(a) ? 0 : inetaddr_iplen(a) + 2);
}

int
inetaddr_serialize(const struct inetaddr *a, struct wbuf *w)
{
	if (inetaddr_is_nil(a))
		return wbuf_put_u8(w, INETADDR_NONE);
	wbuf_put_u8(w, a->family);
	wbuf_put_bytes(w, a->ip, inetaddr_iplen(a));
	return wbuf_put_u16(w, a->port);
}

int
inetaddr_deserialize(struct inetaddr *a, struct rbuf *r)
{
	uint16_t len;
	uint8_t type;

	inetaddr_clear(a);
	if (rbuf_get_u8(r, &type) == -1)
		return -1;
	switch (type) {
	case 0x00:
		return 0;
	case 0x01:	/* Ethernet, reserved: 1.14.1 skips it */
	case 0x02:	/* Bluetooth, reserved */
		return rbuf_skip(r, 6);
	case 0x03:	/* "other", reserved: length-prefixed */
		if (rbuf_get_u16(r, &len) == -1)
			return -1;
		return rbuf_skip(r, len);
	case INETADDR_V4:
	case INETADDR_V6:
		a->family = type;
		if (rbuf_get_bytes(r, a->ip, inetaddr_iplen(a)) == -1 ||
		    rbuf_get_u16(r, &a->port) == -1) {
			inetaddr_clear(a);
			return -1;
		}
		return 0;
	default:
		rbuf_fail(r);
		return -1;
	}
}

/* 1 to 5 decimal digits, at most 65535, and nothing else */
static int
inetaddr_parse_port(const char *s, uint16_t *out)
{
	uint32_t v = 0;
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		if (n == 5 || s[n] < '0' || s[n] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[n] - '0');
	}
	if (n == 0 || v > 0xffff)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int
inetaddr_parse_text(struct inetaddr *a, const char *s, bool need_slash)
{
	char buf[INETADDR_TEXT_MAX + 1], *slash;
	struct inetaddr t;
	size_t len;

	inetaddr_clear(a);
	len = strnlen(s, sizeof(buf));
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	inetaddr_clear(&t);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (inetaddr_parse_port(slash + 1, &t.port) == -1)
			return -1;
	} else if (need_slash)
		return -1;
	/* as ZeroTier decides: a colon means IPv6 */
	if (strchr(buf, ':') != NULL) {
		if (inet_pton(AF_INET6, buf, t.ip) != 1)
			return -1;
		t.family = INETADDR_V6;
	} else {
		if (inet_pton(AF_INET, buf, t.ip) != 1)
			return -1;
		t.family = INETADDR_V4;
	}
	*a = t;
	return 0;
}

int
inetaddr_parse(struct inetaddr *a, const char *s)
{
	return inetaddr_parse_text(a, s, false);
}

int
inetaddr_parse_cidr(struct inetaddr *a, const char *s)
{
	if (inetaddr_parse_text(a, s, true) == -1)
		return -1;
	if (a->port > inetaddr_iplen(a) * 8) {
		inetaddr_clear(a);
		return -1;
	}
	return 0;
}

char *
inetaddr_fmt_ip(const struct inetaddr *a, char buf[INETADDR_STRLEN])
{
	buf[0] = '\0';
	if (a->family == INETADDR_V4)
		inet_ntop(AF_INET, a->ip, buf, INETADDR_STRLEN);
	else if (a->family == INETADDR_V6)
		inet_ntop(AF_INET6, a->ip, buf, INETADDR_STRLEN);
	return buf;
}

char *
inetaddr_fmt(const struct inetaddr *a, char buf[INETADDR_STRLEN])
{
	size_t n;

	inetaddr_fmt_ip(a, buf);
	if (buf[0] != '\0') {
		n = strlen(buf);
		snprintf(buf + n, INETADDR_STRLEN - n, "/%u",
		    (unsigned int)a->port);
	}
	return buf;
}

static enum inetaddr_scope
inetaddr_scope_v4(const uint8_t *ip)
{
	uint32_t v = be32_get(ip);

	switch (ip[0]) {
	case 0:
	case 255:
		return INETADDR_SCOPE_NONE;
	case 10:
		return INETADDR_SCOPE_PRIVATE;
	case 127:
		return INETADDR_SCOPE_LOOPBACK;
	/* large blocks routed only inside their owners' networks */
	case 6: case 11: case 21: case 22: case 25: case 26:
	case 28: case 29: case 30: case 51: case 55: case 56:
		return INETADDR_SCOPE_PSEUDOPRIVATE;
	}
	/* 100.64/10 is carrier-grade NAT; 1.14.1 still calls it private */
	if ((v & 0xffc00000) == 0x64400000 ||
	    (v & 0xfff00000) == 0xac100000 ||
	    (v & 0xffff0000) == 0xc0a80000 ||
	    (v & 0xffffff00) == 0xc0000200 ||
	    (v & 0xfffe0000) == 0xc6120000 ||
	    (v & 0xffffff00) == 0xc6336400 ||
	    (v & 0xffffff00) == 0xcb007100)
		return INETADDR_SCOPE_PRIVATE;
	if ((v & 0xffff0000) == 0xa9fe0000)
		return INETADDR_SCOPE_LINK_LOCAL;
	if ((v >> 28) == 0xe)
		return INETADDR_SCOPE_MULTICAST;
	if ((v >> 28) == 0xf)
		return INETADDR_SCOPE_PSEUDOPRIVATE;
	return INETADDR_SCOPE_GLOBAL;
}

/* true when ip[from..14] are all zero */
static bool
inetaddr_zero_run(const uint8_t *ip, size_t from)
{
	for (size_t i = from; i < 15; i++)
		if (ip[i] != 0)
			return false;
	return true;
}

static enum inetaddr_scope
inetaddr_scope_v6(const uint8_t *ip)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (ip[0] == 0xff)
		return INETADDR_SCOPE_MULTICAST;
	if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) {
		/* fe80::1 is what some systems give their loopback */
		if (inetaddr_zero_run(ip, 2) && ip[15] == 1)
			return INETADDR_SCOPE_LOOPBACK;
		return INETADDR_SCOPE_LINK_LOCAL;
	}
	if ((ip[0] & 0xfe) == 0xfc)
		return INETADDR_SCOPE_PRIVATE;
	if (inetaddr_zero_run(ip, 0)) {
		if (ip[15] == 1)
			return INETADDR_SCOPE_LOOPBACK;
		if (ip[15] == 0)
			return INETADDR_SCOPE_NONE;
	}
	/* spec/vl1.md §5.3: an IPv4-mapped 127/8 is loopback too */
	if (memcmp(ip, mapped, sizeof(mapped)) == 0 && ip[12] == 127)
		return INETADDR_SCOPE_LOOPBACK;
	return INETADDR_SCOPE_GLOBAL;
}

enum inetaddr_scope
inetaddr_scope(const struct inetaddr *a)
{
	switch (a->family) {
	case INETADDR_V4:
		return inetaddr_scope_v4(a->ip);
	case INETADDR_V6:
		return inetaddr_scope_v6(a->ip);
	default:
		return INETADDR_SCOPE_NONE;
	}
}

const char *
inetaddr_scope_name(enum inetaddr_scope s)
{
	switch (s) {
	case INETADDR_SCOPE_NONE:
		return "none";
	case INETADDR_SCOPE_MULTICAST:
		return "multicast";
	case INETADDR_SCOPE_LOOPBACK:
		return "loopback";
	case INETADDR_SCOPE_PSEUDOPRIVATE:
		return "pseudoprivate";
	case INETADDR_SCOPE_GLOBAL:
		return "global";
	case INETADDR_SCOPE_LINK_LOCAL:
		return "linklocal";
	case INETADDR_SCOPE_SHARED:
		return "shared";
	case INETADDR_SCOPE_PRIVATE:
		return "private";
	}
	return "unknown";
}

bool
inetaddr_valid_for_path(const struct inetaddr *a)
{
	switch (inetaddr_scope(a)) {
	case INETADDR_SCOPE_PRIVATE:
	case INETADDR_SCOPE_PSEUDOPRIVATE:
	case INETADDR_SCOPE_SHARED:
	case INETADDR_SCOPE_GLOBAL:
		break;
	default:
		return false;
	}
	/* 1.14.1 refuses Hurricane Electric tunnels (low MTU, spotty) */
	if (a->family == INETADDR_V6 && a->ip[0] == 0x20 &&
	    a->ip[1] == 0x01 && a->ip[2] == 0x04 && a->ip[3] == 0x70)
		return false;
	return true;
}

unsigned int
inetaddr_netmask_bits(const struct inetaddr *a)
{
	unsigned int width = (unsigned int)inetaddr_iplen(a) * 8;

	return a->port > width ? width : a->port;
}

bool
inetaddr_is_default_route(const struct inetaddr *a)
{
	if (inetaddr_is_nil(a) || a->port != 0)
		return false;
	for (size_t i = 0; i < inetaddr_iplen(a); i++)
		if (a->ip[i] != 0)
			return false;
	return true;
}

/* the byte of a prefix mask of bits at index i */
static uint8_t
inetaddr_mask_byte(unsigned int bits, size_t i)
{
	if (bits >= (i + 1) * 8)
		return 0xff;
	if (bits <= i * 8)
		return 0;
	return (uint8_t)(0xff << (8 - (bits - i * 8)));
}

bool
inetaddr_contains(const struct inetaddr *net, const struct inetaddr *addr)
{
	unsigned int bits;
	uint8_t m;

	if (inetaddr_is_nil(net) || net->family != addr->family)
		return false;
	bits = inetaddr_netmask_bits(net);
	for (size_t i = 0; i < inetaddr_iplen(net); i++) {
		m = inetaddr_mask_byte(bits, i);
		if ((net->ip[i] & m) != (addr->ip[i] & m))
			return false;
	}
	return true;
}

void
inetaddr_network(const struct inetaddr *net, struct inetaddr *out)
{
	unsigned int bits = inetaddr_netmask_bits(net);
	struct inetaddr t = *net;

	for (size_t i = 0; i < inetaddr_iplen(&t); i++)
		t.ip[i] &= inetaddr_mask_byte(bits, i);
	*out = t;
}

int
inetaddr_to_sockaddr(const struct inetaddr *a, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	switch (a->family) {
	case INETADDR_V4:
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->ip, 4);
		*len = sizeof(*sin);
		return 0;
	case INETADDR_V6:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->ip, 16);
		*len = sizeof(*sin6);
		return 0;
	default:
		*len = 0;
		return -1;
	}
}

int
inetaddr_from_sockaddr(struct inetaddr *a, const struct sockaddr *sa,
    socklen_t len)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	inetaddr_clear(a);
	if (len < (socklen_t)sizeof(sa->sa_family))
		return -1;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(*sin)) {
		sin = (const struct sockaddr_in *)sa;
		inetaddr_set_v4(a, (const uint8_t *)&sin->sin_addr,
		    ntohs(sin->sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		inetaddr_set_v6(a, sin6->sin6_addr.s6_addr,
		    ntohs(sin6->sin6_port));
		return 0;
	}
	return -1;
}
