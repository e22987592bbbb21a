#pragma once
/*
 * The pure half of zt-tapd, linked by the daemon, its tests, the fuzz
 * harness and the netns test client: ZeroTier's per-network settings and
 * scope rules (spec/service.md §4), and the bodies of the TAP_* messages
 * (common/ipc_catalogue.h documents each layout).  Nothing here touches
 * the kernel, so every rule can be checked without privileges.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "inetaddr.h"
#include "mac.h"

/* IFNAMSIZ: 15 characters and the NUL */
#define TAPD_IFNAME_MAX		16
/* 1.14.1 ZT_MIN_MTU / ZT_MAX_MTU: a network config outside is refused */
#define TAPD_MTU_MIN		1280
#define TAPD_MTU_MAX		10000
/* ZT_MAX_ZT_ASSIGNED_ADDRESSES and ZT_MAX_NETWORK_ROUTES in 1.14.1 */
#define TAPD_ADDRS_MAX		32
#define TAPD_ROUTES_MAX		64
/* the groups of one report; more would not fit TAP_MCAST_REPORT's cap */
#define TAPD_MCAST_MAX		1024
/* CIDRs in an allowManaged whitelist */
#define TAPD_WHITELIST_MAX	32

/* networks.d/<nwid>.local.conf in ZeroTier One; defaults in settings_init */
struct tapd_settings {
	bool		 allow_managed;
	bool		 allow_global;
	bool		 allow_default;
	bool		 allow_dns;
	/* allowManaged given as CIDRs: managed items only inside one */
	struct inetaddr	 whitelist[TAPD_WHITELIST_MAX];
	unsigned int	 nwhitelist;
};

/* why a managed address or route target was refused */
enum tapd_verdict {
	TAPD_ALLOWED = 0,
	TAPD_NO_MANAGED,	/* allowManaged is off */
	TAPD_NOT_LISTED,	/* outside every whitelisted CIDR */
	TAPD_NO_DEFAULT,	/* a default route without allowDefault */
	TAPD_BAD_SCOPE,		/* none, multicast, loopback, link-local */
	TAPD_NO_GLOBAL,		/* global scope without allowGlobal */
};

/* allowManaged on, the three others off (1.14.1 defaults) */
void	 tapd_settings_init(struct tapd_settings *);
/*
 * One setting by its ZeroTier name ("allowManaged", ...).  allowManaged
 * takes "0"/"1" or, like local.conf, a comma-separated CIDR list; the
 * others "0"/"1" ("true"/"false" too).  0 or -1 (unknown name, bad value).
 */
int	 tapd_settings_set(struct tapd_settings *, const char *name,
	    const char *value);
/* the value as `get` shows it: "0", "1" or the CIDR list; -1 if unknown */
int	 tapd_settings_get(const struct tapd_settings *, const char *name,
	    char *, size_t);
/* 1.14.1 OneService::checkIfManagedIsAllowed */
enum tapd_verdict tapd_scope_check(const struct tapd_settings *,
	    const struct inetaddr *target);
const char	*tapd_verdict_str(enum tapd_verdict);

/*
 * zt + 8 base32 characters of the low 40 bits of (nwid ^ nwid >> 24) +
 * trial (spec/service.md §9); buf holds TAPD_IFNAME_MAX bytes.
 */
void	 tapd_ifname_for(uint64_t nwid, unsigned int trial, char *buf);
/* 1-15 characters of [A-Za-z0-9._-], not "." or ".." */
bool	 tapd_ifname_valid(const char *);

/* the TAP_* bodies, decoded and checked */
struct tapd_open_req {
	uint64_t	 nwid;
	uint64_t	 mac;
	uint16_t	 mtu;
	uint8_t		 flags;		/* TAPD_OPEN_*, optional on the wire */
};

/*
 * The fd comes with IFF_VNET_HDR: every frame read or written starts
 * with a struct virtio_net_hdr, and the reader may ask for offloads.
 */
#define TAPD_OPEN_VNET_HDR	0x01
#define TAPD_OPEN_FLAGS		TAPD_OPEN_VNET_HDR

struct tapd_open_reply {
	uint64_t	 nwid;
	char		 ifname[TAPD_IFNAME_MAX];
	uint32_t	 ifindex;
	uint32_t	 offloads;	/* TUN_F_* the kernel offers */
};

/* every request after TAP_OPEN names the network and its device */
struct tapd_dev_ref {
	uint64_t	 nwid;
	char		 ifname[TAPD_IFNAME_MAX];
};

struct tapd_addrs_req {
	struct tapd_dev_ref	 dev;
	struct inetaddr		 addrs[TAPD_ADDRS_MAX];
	unsigned int		 n;
};

struct tapd_route {
	struct inetaddr	 target;	/* port = prefix bits */
	struct inetaddr	 via;		/* nil: on-link */
};

struct tapd_routes_req {
	struct tapd_dev_ref	 dev;
	struct tapd_route	 routes[TAPD_ROUTES_MAX];
	unsigned int		 n;
};

struct tapd_link_req {
	struct tapd_dev_ref	 dev;
	uint16_t		 mtu;
	bool			 up;
};

struct tapd_mcast_report {
	struct tapd_dev_ref	 dev;
	struct mac_group	 groups[TAPD_MCAST_MAX];
	unsigned int		 n;
};

/*
 * Decoders: 0, or -1 when the body is malformed, holds a value outside
 * the protocol's range or has bytes left over.  They check form only;
 * whether the device is zt-tapd's and the items pass the scope rules is
 * the daemon's business.
 */
int	 tapd_open_req_get(struct rbuf *, struct tapd_open_req *);
int	 tapd_open_reply_get(struct rbuf *, struct tapd_open_reply *);
int	 tapd_dev_ref_get(struct rbuf *, struct tapd_dev_ref *);
int	 tapd_addrs_req_get(struct rbuf *, struct tapd_addrs_req *);
int	 tapd_routes_req_get(struct rbuf *, struct tapd_routes_req *);
int	 tapd_link_req_get(struct rbuf *, struct tapd_link_req *);
int	 tapd_mcast_report_get(struct rbuf *, struct tapd_mcast_report *);

/* encoders (the reply and report by zt-tapd, the rest by zt-vl2d) */
int	 tapd_open_req_put(struct wbuf *, const struct tapd_open_req *);
int	 tapd_open_reply_put(struct wbuf *, const struct tapd_open_reply *);
int	 tapd_dev_ref_put(struct wbuf *, const struct tapd_dev_ref *);
int	 tapd_addrs_req_put(struct wbuf *, const struct tapd_addrs_req *);
int	 tapd_routes_req_put(struct wbuf *, const struct tapd_routes_req *);
int	 tapd_link_req_put(struct wbuf *, const struct tapd_link_req *);
int	 tapd_mcast_report_put(struct wbuf *,
	    const struct tapd_mcast_report *);
