#pragma once
/*
 * The pure half of a joined network in zt-vl2d (state.c; the daemon
 * side is network.c): its status as ZeroTier names it (spec/vl2.md
 * §11), the addresses a config asks the TAP for, the listnetworks line
 * (spec/service.md §7.2) and the networks.d state files (spec/service.md
 * §2).  Nothing here touches a socket, so the unit test links it
 * without a daemon.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inetaddr.h"
#include "netconf.h"

/* 1.14.1's ZT_NETWORK_STATUS_* numbers */
enum vl2_status {
	VL2_STATUS_REQUESTING = 0,
	VL2_STATUS_OK = 1,
	VL2_STATUS_ACCESS_DENIED = 2,
	VL2_STATUS_NOT_FOUND = 3,
	VL2_STATUS_PORT_ERROR = 4,
	VL2_STATUS_CLIENT_TOO_OLD = 5,
	VL2_STATUS_AUTH_REQUIRED = 6,
};

/* "REQUESTING_CONFIGURATION", "OK", ... */
const char	*vl2_status_name(enum vl2_status);
/* "PRIVATE" or "PUBLIC" (PRIVATE before the first config) */
const char	*vl2_type_name(const struct netconf *);

/* 16 lowercase hex digits, not zero; 0 or -1 */
int	 vl2_nwid_parse(const char *, uint64_t *);

/*
 * What one listnetworks line shows.  ips holds the assigned addresses
 * as "ip/bits"; name and dev may be empty strings.
 */
struct vl2_net_line {
	uint64_t		 nwid;
	const char		*name;
	uint64_t		 mac;		/* 0: not known yet */
	enum vl2_status		 status;
	const char		*type;
	const char		*dev;
	const struct inetaddr	*ips;
	size_t			 nips;
};

/*
 * "200 listnetworks <nwid> <name> <mac> <status> <type> <dev> <ips>"
 * without the newline; ips comma-separated, "-" if none, as
 * zerotier-cli prints it.  Returns the length, or -1 if it did not fit.
 */
int	 vl2_listnetworks_line(const struct vl2_net_line *, char *, size_t);
/* the header line zerotier-cli prints first */
const char	*vl2_listnetworks_header(void);

/*
 * The managed addresses of a config for TAP_SET_ADDRS: the static IPs
 * that are not nil (1.14.1 keeps nil slots), in config order.  Returns
 * how many were written (at most max).
 */
size_t	 vl2_config_addrs(const struct netconf *, struct inetaddr *,
	    size_t max);

/*
 * networks.d: "<16 hex>.conf" holds the config dictionary as received
 * (a single LF while none has arrived), "<16 hex>.local.conf" the local
 * settings.  dir is the statedir; networks.d is made when missing.
 */
/* the joined networks (every "<nwid>.conf"); -1 if unreadable */
int	 vl2_state_list(const char *dir, uint64_t *nwids, size_t max,
	    size_t *n);
/* a name "<16 hex>.conf" -> nwid; -1 for anything else */
int	 vl2_state_name_nwid(const char *name, uint64_t *);
/* writes <nwid>.conf atomically (len 0 writes the single LF of a join) */
int	 vl2_state_save(const char *dir, uint64_t nwid, const uint8_t *,
	    size_t);
/*
 * Reads <nwid>.conf: 0 with *out (heap, NUL-terminated, free it) and
 * *len; *len 0 when the file holds no config yet.  -1 if missing.
 */
int	 vl2_state_load(const char *dir, uint64_t nwid, uint8_t **out,
	    size_t *len);
/* deletes <nwid>.conf and <nwid>.local.conf; 0 also when absent */
int	 vl2_state_remove(const char *dir, uint64_t nwid);

/* zt-vl2d's own per-network settings, <nwid>.local.conf */
struct vl2_local {
	/* sent as "a" in the config request metadata (spec/vl2.md §3.5) */
	char		 token[128];
};

/* defaults when the file or a key is missing; -1 on a malformed file */
int	 vl2_local_load(const char *dir, uint64_t nwid, struct vl2_local *);
int	 vl2_local_save(const char *dir, uint64_t nwid,
	    const struct vl2_local *);
/* one setting by name ("joinToken"); 0 or -1 (unknown name, bad value) */
int	 vl2_local_set(struct vl2_local *, const char *name, const char *);
