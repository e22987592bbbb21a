/*
 * ZeroTier MAC and managed-address derivations (spec/vl2.md §1.3-1.4,
 * §10; vectors mac_ip.json).
 */
#include <string.h>

#include "hex.h"
#include "mac.h"

uint8_t
mac_first_octet(uint64_t nwid)
{
	uint8_t o = (uint8_t)((nwid & 0xfe) | 0x02);

	/* 1.14.1 avoids 0x52, the prefix some hypervisors use */
	return o == 0x52 ? 0x32 : o;
}

/* nwid bytes 2..6 (big-endian numbering) laid over MAC bytes 5..1 */
static uint64_t
mac_nwid_mask(uint64_t nwid)
{
	return ((nwid >> 8) & 0xff) << 32 |
	    ((nwid >> 16) & 0xff) << 24 |
	    ((nwid >> 24) & 0xff) << 16 |
	    ((nwid >> 32) & 0xff) << 8 |
	    ((nwid >> 40) & 0xff);
}

uint64_t
mac_from_address(uint64_t addr, uint64_t nwid)
{
	return (uint64_t)mac_first_octet(nwid) << 40 |
	    ((addr & 0xffffffffffULL) ^ mac_nwid_mask(nwid));
}

uint64_t
mac_to_address(uint64_t mac, uint64_t nwid)
{
	return (mac & 0xffffffffffULL) ^ mac_nwid_mask(nwid);
}

bool
mac_is_member(uint64_t mac, uint64_t nwid)
{
	return ((mac >> 40) & 0xff) == mac_first_octet(nwid);
}

bool
mac_is_multicast(uint64_t mac)
{
	return ((mac >> 40) & 0x01) != 0;
}

bool
mac_is_broadcast(uint64_t mac)
{
	return (mac & MAC_MASK) == MAC_BROADCAST;
}

void
mac_to_bytes(uint64_t mac, uint8_t out[6])
{
	for (int i = 0; i < 6; i++)
		out[i] = (uint8_t)(mac >> (40 - 8 * i));
}

uint64_t
mac_from_bytes(const uint8_t in[6])
{
	uint64_t mac = 0;

	for (int i = 0; i < 6; i++)
		mac = mac << 8 | in[i];
	return mac;
}

char *
mac_fmt(uint64_t mac, char buf[MAC_STRLEN])
{
	uint8_t b[6];

	mac_to_bytes(mac, b);
	for (int i = 0; i < 6; i++) {
		hex_encode(&b[i], 1, buf + 3 * i);
		buf[3 * i + 2] = i == 5 ? '\0' : ':';
	}
	return buf;
}

int
mac_parse(const char *s, uint64_t *mac)
{
	uint8_t b[6];

	if (strnlen(s, MAC_STRLEN) != MAC_STRLEN - 1)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (i < 5 && s[3 * i + 2] != ':')
			return -1;
		if (hex_decode(s + 3 * i, 2, &b[i], 1) == -1)
			return -1;
	}
	*mac = mac_from_bytes(b);
	return 0;
}

void
mac_rfc4193(struct inetaddr *a, uint64_t nwid, uint64_t addr)
{
	uint8_t ip[16];

	ip[0] = 0xfd;
	be64_put(ip + 1, nwid);
	ip[9] = 0x99;
	ip[10] = 0x93;
	be40_put(ip + 11, addr);
	inetaddr_set_v6(a, ip, MAC_RFC4193_BITS);
}

void
mac_6plane(struct inetaddr *a, uint64_t nwid, uint64_t addr)
{
	uint8_t ip[16];

	memset(ip, 0, sizeof(ip));
	ip[0] = 0xfc;
	be32_put(ip + 1, (uint32_t)(nwid ^ (nwid >> 32)));
	be40_put(ip + 5, addr);
	ip[15] = 0x01;
	inetaddr_set_v6(a, ip, MAC_6PLANE_BITS);
}

int
mac_group_for_ip(const struct inetaddr *ip, struct mac_group *g)
{
	switch (ip->family) {
	case INETADDR_V4:
		g->mac = MAC_BROADCAST;
		g->adi = be32_get(ip->ip);
		return 0;
	case INETADDR_V6:
		/* the solicited-node group's Ethernet form, RFC 4861/2464 */
		g->mac = 0x3333ff000000ULL | (uint64_t)ip->ip[13] << 16 |
		    (uint64_t)ip->ip[14] << 8 | ip->ip[15];
		g->adi = 0;
		return 0;
	default:
		return -1;
	}
}

int
mac_group_cmp(const struct mac_group *a, const struct mac_group *b)
{
	if (a->mac != b->mac)
		return a->mac < b->mac ? -1 : 1;
	if (a->adi != b->adi)
		return a->adi < b->adi ? -1 : 1;
	return 0;
}

int
mac_group_serialize(const struct mac_group *g, struct wbuf *w)
{
	uint8_t b[6];

	mac_to_bytes(g->mac, b);
	wbuf_put_bytes(w, b, sizeof(b));
	return wbuf_put_u32(w, g->adi);
}

int
mac_group_deserialize(struct mac_group *g, struct rbuf *r)
{
	uint8_t b[6];
	uint32_t adi;

	if (rbuf_get_bytes(r, b, sizeof(b)) == -1 ||
	    rbuf_get_u32(r, &adi) == -1)
		return -1;
	g->mac = mac_from_bytes(b);
	g->adi = adi;
	return 0;
}
