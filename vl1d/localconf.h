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

struct localconf_physical {
	struct inetaddr	 net;		/* netmask bits in the port field */
	bool		 blacklist;	/* never bind to or use paths in it */
	uint64_t	 trusted_id;	/* 0: none, else cipher 2 (§3.4) */
	unsigned int	 mtu;		/* 0: default; parsed, not applied */
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
/* the physical network holding addr that is blacklisted, or false */
bool	 localconf_blacklisted(const struct localconf *,
	    const struct inetaddr *);
/* an interface name starting with a blacklisted prefix */
bool	 localconf_if_blacklisted(const struct localconf *, const char *);
