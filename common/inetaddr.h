#pragma once
/*
 * Physical (IP) addresses as ZeroTier carries them: an IPv4 or IPv6
 * address with a 16-bit number that is a UDP port for endpoints and the
 * netmask bits for managed addresses and routes (spec/vl1.md §2.10,
 * vectors README "InetAddress").  The struct is plain data: copy it by
 * assignment, compare it with inetaddr_equal().
 *
 * Wire form: 0x00 (none), 0x04 ip(4) port(2), 0x06 ip(16) port(2).
 * Text form: "IP/port" (or "IP/bits"), IPv6 in the RFC 5952 form
 * inet_ntop writes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "buf.h"

/* the family values are the wire type bytes */
enum inetaddr_family {
	INETADDR_NONE = 0,
	INETADDR_V4 = 4,
	INETADDR_V6 = 6,
};

struct inetaddr {
	uint8_t		 family;	/* enum inetaddr_family */
	uint16_t	 port;		/* UDP port, or netmask bits */
	uint8_t		 ip[16];	/* IPv4 uses ip[0..3], rest zero */
};

/*
 * ZeroTier's IP scopes (ZT_InetAddress_IpScope); the numeric values are
 * ZeroTier's and enter path quality (spec/vl1.md §5.3), so keep them.
 */
enum inetaddr_scope {
	INETADDR_SCOPE_NONE = 0,
	INETADDR_SCOPE_MULTICAST = 1,
	INETADDR_SCOPE_LOOPBACK = 2,
	INETADDR_SCOPE_PSEUDOPRIVATE = 3,
	INETADDR_SCOPE_GLOBAL = 4,
	INETADDR_SCOPE_LINK_LOCAL = 5,
	INETADDR_SCOPE_SHARED = 6,
	INETADDR_SCOPE_PRIVATE = 7,
};

/* largest wire encoding we produce (IPv6) */
#define INETADDR_WIRE_MAX	19
/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/65535" + NUL */
#define INETADDR_STRLEN		(46 + 6)

void	 inetaddr_clear(struct inetaddr *);
void	 inetaddr_set_v4(struct inetaddr *, const uint8_t ip[4], uint16_t);
void	 inetaddr_set_v6(struct inetaddr *, const uint8_t ip[16], uint16_t);
bool	 inetaddr_is_nil(const struct inetaddr *);
/* same family, address and port/bits */
bool	 inetaddr_equal(const struct inetaddr *, const struct inetaddr *);
/* same family and address, port ignored */
bool	 inetaddr_ip_equal(const struct inetaddr *, const struct inetaddr *);
/* total order: family, then address bytes, then port */
int	 inetaddr_cmp(const struct inetaddr *, const struct inetaddr *);

/* bytes the wire form takes: 1, 7 or 19 */
size_t	 inetaddr_wire_len(const struct inetaddr *);
int	 inetaddr_serialize(const struct inetaddr *, struct wbuf *);
/*
 * Reads one encoded address.  The reserved types 0x01/0x02 (6 bytes
 * follow) and 0x03 (u16 length, then that many bytes) are skipped as
 * 1.14.1 skips them and yield a nil address; any other unknown type,
 * or a short buffer, fails the rbuf and returns -1.
 */
int	 inetaddr_deserialize(struct inetaddr *, struct rbuf *);

/*
 * "IP/port" or a bare "IP" (port 0).  Strict: the port is 1 to 5
 * decimal digits no larger than 65535, nothing may follow it, IPv6
 * scope ids ("%eth0") are refused.  Returns 0 or -1.
 */
int	 inetaddr_parse(struct inetaddr *, const char *);
/*
 * "IP/bits" for managed addresses and routes: the "/bits" part is
 * required and bits must not exceed 32 (IPv4) or 128 (IPv6).
 */
int	 inetaddr_parse_cidr(struct inetaddr *, const char *);
/* "IP/port"; the empty string for a nil address */
char	*inetaddr_fmt(const struct inetaddr *, char buf[INETADDR_STRLEN]);
/* the address alone */
char	*inetaddr_fmt_ip(const struct inetaddr *, char buf[INETADDR_STRLEN]);

/* ZeroTier One 1.14.1 InetAddress::ipScope() */
enum inetaddr_scope inetaddr_scope(const struct inetaddr *);
const char	*inetaddr_scope_name(enum inetaddr_scope);
/*
 * Whether a remote address may carry a VL1 path (1.14.1
 * Path::isAddressValidForPath, spec/vl1.md §5.3): IPv4 or IPv6 of
 * scope private, pseudo-private, shared or global, and not a Hurricane
 * Electric tunnel (2001:470::/32).
 */
bool	 inetaddr_valid_for_path(const struct inetaddr *);

/* the port field read as a prefix length, capped at the family's width */
unsigned int	 inetaddr_netmask_bits(const struct inetaddr *);
/* 0.0.0.0/0 or ::/0 */
bool	 inetaddr_is_default_route(const struct inetaddr *);
/*
 * true when net (an address with netmask bits) contains addr, which
 * must be of the same family; addr's own port is ignored.
 */
bool	 inetaddr_contains(const struct inetaddr *net,
	    const struct inetaddr *addr);
/* net with the host bits cleared (bits kept in port) */
void	 inetaddr_network(const struct inetaddr *net, struct inetaddr *out);

/* to and from socket addresses (port in network order there) */
int	 inetaddr_to_sockaddr(const struct inetaddr *,
	    struct sockaddr_storage *, socklen_t *);
int	 inetaddr_from_sockaddr(struct inetaddr *, const struct sockaddr *,
	    socklen_t);
