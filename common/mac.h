#pragma once
/*
 * Ethernet addresses on ZeroTier networks (spec/vl2.md §1.3-1.6, §10,
 * vectors mac_ip.json): the MAC every member derives from its ZeroTier
 * address and the network id, the managed IPv6 addresses derived the
 * same way, and the multicast groups used for address resolution.
 *
 * A MAC is held in the low 48 bits of a uint64_t, first octet most
 * significant; a ZeroTier address in the low 40 bits.
 */
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "inetaddr.h"

#define MAC_BROADCAST		0xffffffffffffULL
#define MAC_MASK		0xffffffffffffULL
/* "xx:xx:xx:xx:xx:xx" + NUL */
#define MAC_STRLEN		18
#define MAC_RFC4193_BITS	88
#define MAC_6PLANE_BITS		40

/* (nwid & 0xfe) | 0x02, except that 0x52 becomes 0x32 */
uint8_t	 mac_first_octet(uint64_t nwid);
uint64_t mac_from_address(uint64_t addr, uint64_t nwid);
/* inverse of mac_from_address (for the same nwid) */
uint64_t mac_to_address(uint64_t mac, uint64_t nwid);
/* true when the MAC has this network's first octet (a member's MAC) */
bool	 mac_is_member(uint64_t mac, uint64_t nwid);
bool	 mac_is_multicast(uint64_t mac);
bool	 mac_is_broadcast(uint64_t mac);

void	 mac_to_bytes(uint64_t mac, uint8_t out[6]);
uint64_t mac_from_bytes(const uint8_t in[6]);
/* lowercase "xx:xx:xx:xx:xx:xx" */
char	*mac_fmt(uint64_t mac, char buf[MAC_STRLEN]);
/* exactly six colon-separated two-digit hex octets; 0 or -1 */
int	 mac_parse(const char *, uint64_t *mac);

/* fd || nwid(8) || 99 93 || addr(5), netmask bits 88 in the port field */
void	 mac_rfc4193(struct inetaddr *, uint64_t nwid, uint64_t addr);
/*
 * fc || (nwid ^ nwid >> 32)(4) || addr(5) || 00 00 00 00 00 01,
 * netmask bits 40 in the port field
 */
void	 mac_6plane(struct inetaddr *, uint64_t nwid, uint64_t addr);

/* a multicast group: 48-bit MAC and 32-bit "ADI" */
struct mac_group {
	uint64_t	 mac;
	uint32_t	 adi;
};

/*
 * The group a node subscribes to so that ARP or NDP for ip reaches it:
 * IPv4 → (broadcast, the address as a big-endian u32); IPv6 →
 * (33:33:ff + the address's last three bytes, 0).  -1 for a nil address.
 */
int	 mac_group_for_ip(const struct inetaddr *ip, struct mac_group *);
/* ordered by MAC, then ADI */
int	 mac_group_cmp(const struct mac_group *, const struct mac_group *);
/* wire form: MAC(6) ADI(4) */
int	 mac_group_serialize(const struct mac_group *, struct wbuf *);
int	 mac_group_deserialize(struct mac_group *, struct rbuf *);
