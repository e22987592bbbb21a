#pragma once
/*
 * zt-vl1d's part of ZeroTier One's local.conf (spec/service.md §3): the
 * ports, the addresses to bind, the interfaces and physical networks to
 * stay off, and trusted paths.  The JSON shape is ZeroTier's so that an
 * imported local.conf keeps working; keys zt-vl1d does not use are
 * ignored, as ZeroTier keeps unknown keys.  A key it uses with a bad
 * value is an error that names the key.
 */
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inetaddr.h"

#define LOCALCONF_MAX_BYTES	(256 * 1024)
#define LOCALCONF_MAX_BINDS	8
#define LOCALCONF_MAX_PREFIXES	16
#define LOCALCONF_MAX_PHYSICAL	32
#define LOCALCONF_ERR_MAX	256
#define LOCALCONF_MAX_VIRTUAL	64
#define LOCALCONF_MAX_TRY	4	/* per peer */
#define LOCALCONF_MAX_VBLACKLIST 8	/* per peer */
#define LOCALCONF_MAX_MGMT	8
#define TRUSTEDPATHS_MAX_BYTES	(16 * 1024)

struct localconf_physical {
	struct inetaddr	 net;		/* netmask bits in the port field */
	bool		 blacklist;	/* never bind to or use paths in it */
	uint64_t	 trusted_id;	/* 0: none, else cipher 2 (§3.4) */
	unsigned int	 mtu;		/* 0: default, else UDP payload MTU */
};

/* virtual.<address>: how to reach one peer (spec/service.md §3) */
struct localconf_virtual {
	uint64_t	 address;
	struct inetaddr	 try[LOCALCONF_MAX_TRY];	/* ip/port */
	unsigned int	 ntry;
	/* networks (bits in port) never used as paths to this peer */
	struct inetaddr	 blacklist[LOCALCONF_MAX_VBLACKLIST];
	unsigned int	 nblacklist;
};

struct localconf {
	uint16_t	 primary_port;	/* 0: not set (-p or 9993) */
	uint16_t	 secondary_port; /* 0: derived from the address */
	bool		 allow_secondary;
	struct inetaddr	 binds[LOCALCONF_MAX_BINDS];	/* IPs, port 0 */
	unsigned int	 nbinds;
	char		 ifprefix[LOCALCONF_MAX_PREFIXES][IFNAMSIZ];
	unsigned int	 nifprefix;
	struct localconf_physical physical[LOCALCONF_MAX_PHYSICAL];
	unsigned int	 nphysical;
	struct localconf_virtual virt[LOCALCONF_MAX_VIRTUAL];
	unsigned int	 nvirt;
	/*
	 * The local HTTP API (spec/service.md §6) on the primary port.
	 * "settings": {"httpApi": false} turns it off: a zt-privsep key,
	 * since ZeroTier One has no off switch.
	 */
	bool		 http_api;
	/* settings.allowManagementFrom: networks besides loopback */
	struct inetaddr	 mgmt[LOCALCONF_MAX_MGMT];
	unsigned int	 nmgmt;
};

/* ZeroTier's defaults: no file means these */
void	 localconf_init(struct localconf *);
/*
 * Parses local.conf text.  On error returns -1 and writes one line to
 * err naming the key ("settings.primaryPort: ..."); the struct is then
 * unspecified.
 */
int	 localconf_parse(struct localconf *, const char *, size_t,
	    char *err, size_t errlen);
/* reads path; a missing file gives the defaults.  0 or -1 (err set) */
int	 localconf_load(struct localconf *, const char *path, char *err,
	    size_t errlen);
/*
 * The legacy trustedpaths file (spec/service.md §2): lines "<hex trusted
 * path id> <cidr>", '#' comments and blank lines allowed.  Each becomes a
 * physical network with that id (merged into one the same network
 * already has in local.conf).  0, or -1 with err naming the line.
 */
int	 localconf_parse_trustedpaths(struct localconf *, const char *,
	    size_t, char *err, size_t errlen);
/* the UDP payload MTU of the physical network holding addr, 0: none */
unsigned int	 localconf_mtu(const struct localconf *,
	    const struct inetaddr *);
/* the physical network holding addr that is blacklisted, or false */
bool	 localconf_blacklisted(const struct localconf *,
	    const struct inetaddr *);
/* an interface name starting with a blacklisted prefix */
bool	 localconf_if_blacklisted(const struct localconf *, const char *);
