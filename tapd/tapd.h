#pragma once
/*
 * zt-tapd: the one privileged process (CAP_NET_ADMIN, user zt-tap).  It
 * creates, configures and deletes the TAP devices it records in its
 * state file and nothing else; every request from zt-vl2d names a
 * network and a device, and both must match that record.  One context
 * per process, passed explicitly (STYLE.md).
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inetaddr.h"
#include "ipc.h"
#include "policy.h"
#include "sandbox.h"

#define TAPD_MAX_DEVICES	64
/* transmit queue of a TAP, in frames (the kernel default is 1,000) */
#define TAPD_TXQLEN		5000
/* spec/service.md §9: the multicast scan runs every 5 s */
#define TAPD_MCAST_SCAN_MS	5000
/* routes zt-tapd installs carry this protocol, so it finds its own */
#define TAPD_RTPROT		222

struct event_base;
struct event;

/* a rtnetlink socket (netlink.c) */
struct nl {
	int		 fd;
	uint32_t	 seq;
	uint8_t		*buf;		/* replies, NL_BUF bytes */
};

/* what the kernel says about a link */
struct nl_link {
	int		 ifindex;
	char		 name[TAPD_IFNAME_MAX];
	bool		 is_tap;	/* kind "tun", type IFF_TAP */
	bool		 up;
	unsigned int	 mtu;
	uint64_t	 mac;
};

/* an address on a link (port = prefix bits) */
struct nl_addr {
	struct inetaddr	 addr;
	uint8_t		 scope;		/* RT_SCOPE_* */
};

struct nl_route {
	struct inetaddr	 target;
	struct inetaddr	 via;
	int		 oif;
	uint8_t		 proto;
};

int	 nl_open(struct nl *);
void	 nl_close(struct nl *);
/* 0 and *l filled, -1 with errno ENODEV when no such link, -1 on error */
int	 nl_link_get(struct nl *, const char *name, struct nl_link *);
/* mac 0: unchanged; mtu 0: unchanged; up -1: unchanged */
int	 nl_link_set(struct nl *, int ifindex, uint64_t mac, unsigned int mtu,
	    int up);
int	 nl_link_del(struct nl *, int ifindex);
int	 nl_addr_list(struct nl *, int ifindex, struct nl_addr *, size_t max,
	    size_t *n);
int	 nl_addr_change(struct nl *, bool add, int ifindex,
	    const struct inetaddr *);
int	 nl_route_list(struct nl *, int ifindex, struct nl_route *,
	    size_t max, size_t *n);
int	 nl_route_change(struct nl *, bool add, int ifindex,
	    const struct inetaddr *target, const struct inetaddr *via,
	    const struct inetaddr *src);

/* tap.c: /dev/net/tun */
/* features and offloads the kernel's tun driver offers, logged once */
void	 tap_probe(uint32_t *offloads);
/*
 * Opens (creating when new) the persistent TAP device name and returns
 * its fd, or -1 (errno EBUSY: another process holds it).
 */
int	 tap_attach(const char *name, bool create, bool vnet_hdr);

struct tapd_dev {
	bool			 used;
	uint64_t		 nwid;
	char			 name[TAPD_IFNAME_MAX];
	int			 ifindex;
	/* the last sets zt-vl2d asked for, re-checked on settings changes */
	bool			 have_addrs, have_routes;
	struct tapd_addrs_req	 addrs;
	struct tapd_routes_req	 routes;
	/* the groups reported last to zt-vl2d */
	struct mac_group	*mcast;
	unsigned int		 nmcast;
	bool			 mcast_sent;
};

struct tapd_net {
	bool			 used;
	uint64_t		 nwid;
	struct tapd_settings	 s;
};

struct tapd_config {
	const char	*statedir;
	const char	*rundir;
	const char	*ctl_group;
	unsigned int	 scan_ms;
};

struct tapd_ctx {
	struct tapd_config	 cfg;
	struct event_base	*base;
	struct nl		 nl;
	int			 mcast_fd;	/* /proc/net/dev_mcast */
	uint32_t		 offloads;
	struct ipc		*ipc;
	struct ipc_listener	*listener;	/* zt-ctl (and zt-vl2d in group zt) */
	int			 listen_fd;
	struct ipc_listener	*daemons;	/* zt-vl2d, uid-checked */
	int			 daemons_fd;
	struct ipc_conn		*vl2d;
	uid_t			 vl2_uid;
	struct event		*ev_scan;
	struct event		*ev_sigterm, *ev_sigint;
	struct event		*ev_watchdog;	/* NULL: none asked */
	struct tapd_dev		 devs[TAPD_MAX_DEVICES];
	struct tapd_net		 nets[TAPD_MAX_DEVICES];
	uint64_t		 refused;
	/* zt-ctl info -j: zt-vl2d's requests, those answered with an error */
	uint64_t		 requests, failed, opens;
	uint64_t		 settings_changed, settings_refused;
};

/* state.c: the device record and settings (statedir/state.json) */
int	 tapd_state_load(struct tapd_ctx *);
int	 tapd_state_save(struct tapd_ctx *);
/* the device map (statedir/devicemap, lines "<nwid>=<name>") */
int	 tapd_devicemap_lookup(struct tapd_ctx *, uint64_t nwid, char *name);
struct tapd_dev	*tapd_dev_find(struct tapd_ctx *, uint64_t nwid);
/* the settings of nwid (defaults when never set); never NULL */
const struct tapd_settings *tapd_settings_of(struct tapd_ctx *, uint64_t);
/* the entry for nwid, made when missing; NULL when the table is full */
struct tapd_net	*tapd_net_get(struct tapd_ctx *, uint64_t nwid);

/* device.c: the operations behind the requests */
/* re-finds recorded devices after a restart; forgets vanished ones */
void	 tapd_adopt(struct tapd_ctx *);
int	 tapd_dev_open(struct tapd_ctx *, const struct tapd_open_req *,
	    struct tapd_dev **, int *fd);
/* 0, or an errno value for the ERROR reply */
int	 tapd_dev_check(struct tapd_ctx *, const struct tapd_dev_ref *,
	    struct tapd_dev **);
int	 tapd_dev_link(struct tapd_ctx *, struct tapd_dev *,
	    const struct tapd_link_req *);
/* apply the allowed items; *refused counts the others */
int	 tapd_dev_addrs(struct tapd_ctx *, struct tapd_dev *,
	    unsigned int *refused, char *why, size_t);
int	 tapd_dev_routes(struct tapd_ctx *, struct tapd_dev *,
	    unsigned int *refused, char *why, size_t);
int	 tapd_dev_close(struct tapd_ctx *, struct tapd_dev *);
/* SIGTERM: every device goes */
void	 tapd_dev_close_all(struct tapd_ctx *);
/* reads the device's groups; true when they changed since last sent */
bool	 tapd_dev_mcast_scan(struct tapd_ctx *, struct tapd_dev *);

/* control.c */
int	 tapd_control_open(struct tapd_ctx *);
/* after the user drop: clients' SO_PEERCRED must name zt-tap */
int	 tapd_control_relisten(struct tapd_ctx *);
void	 tapd_mcast_report_all(struct tapd_ctx *, bool force);
/* settings changed: re-apply what zt-vl2d asked for under them */
void	 tapd_settings_changed(struct tapd_ctx *, uint64_t nwid);

/* sandbox.c */
extern const struct sandbox_policy tapd_policy;
void	 tapd_policy_set_statedir(const char *);
