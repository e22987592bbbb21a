#pragma once
/*
 * zt-vl1d: the daemon around the VL1 engine (node.c).  One context per
 * process, passed explicitly (STYLE.md).  The process forks at start-up
 * into the network half (this context) and the key holder
 * (keyholder.c), the only process that ever holds identity.secret.
 */
#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "inetaddr.h"
#include "ipc.h"
#include "ipc_sync.h"
#include "localconf.h"
#include "node.h"
#include "sandbox.h"
#include "udpbatch.h"
#include "world.h"

#define VL1D_MAX_SOCKS		8
#define VL1D_DEFAULT_PORT	9993

struct event_base;
struct event;

struct vl1d_ctx;

struct vl1d_sock {
	struct vl1d_ctx	*ctx;
	int		 fd;
	uint8_t		 family;		/* INETADDR_V4 / V6 */
	struct inetaddr	 bound;
	struct event	*ev;
	/* outgoing batch (sendmmsg, GSO runs) and UDP counters */
	struct udpb_tx	 tx;
	struct udpb_stats st;
};

struct vl1d_config {
	const char	*home;		/* state: identity, planet, moons.d */
	const char	*rundir;	/* control sockets */
	uint16_t	 port;
	struct inetaddr	 binds[VL1D_MAX_SOCKS];
	unsigned int	 nbinds;	/* 0: 0.0.0.0 and :: */
	unsigned int	 time_scale;	/* tests only: timers run N times faster */
	bool		 foreground;
	const char	*ctl_group;	/* group of the control socket */
};

/* peers.d/<address>.peer files, newest last seen kept (peercache.c) */
#define VL1D_PEER_CACHE_MAX	1024
struct vl1d_peer_cache {
	uint64_t	 addr[VL1D_PEER_CACHE_MAX];
	int64_t		 when[VL1D_PEER_CACHE_MAX];	/* written, ms */
	size_t		 n;
};

struct vl1d_ctx {
	struct vl1d_config	 cfg;
	struct event_base	*base;
	struct identity		 id;		/* public only in this half */
	struct world		 planet;
	bool			 have_planet;	/* from home/planet */
	struct world		 moons[VL1_MAX_MOONS];
	unsigned int		 nmoons;
	struct localconf	 local;		/* home/local.conf */
	struct vl1_trusted_path	 trusted[VL1_MAX_TRUSTED];
	unsigned int		 ntrusted;
	struct inetaddr		 blacklist[VL1_MAX_BLACKLIST];
	unsigned int		 nblacklist;
	struct vl1d_peer_cache	 peer_cache;
	struct vl1_node		*node;
	struct vl1d_sock	 socks[VL1D_MAX_SOCKS];
	unsigned int		 nsocks;
	struct udpb_rx		 udp_rx;	/* shared: sockets are read in turn */
	struct event		*ev_tick;
	struct event		*ev_watchdog;	/* systemd WatchdogSec= */
	struct event		*ev_sigterm, *ev_sigint, *ev_sigchld;
	struct ipc		*ipc;
	struct ipc_listener	*listener;	/* zt-ctl */
	struct ipc_listener	*daemons;	/* zt-vl2d, zt-controllerd */
	struct ipc_conn		*vl2d;		/* NULL unless connected */
	struct ipc_conn		*ctrld;
	struct ipc_sync		 keys;		/* to the key holder */
	pid_t			 keyholder;
	int64_t			 start_real;	/* for the time scale */
	/* batched VL2 / controller traffic going up, flushed per wake-up */
	struct wbuf		 up_vl2;
	struct wbuf		 up_ctrl;
	uint64_t		 up_dropped;
	uint64_t		 agree_failed;
};

/* time the engine sees (ms), scaled for tests */
int64_t	 vl1d_now(struct vl1d_ctx *);

/* state.c */
int	 vl1d_load_identity(const char *home, struct identity *);
int	 vl1d_load_worlds(struct vl1d_ctx *);
/* one self-signed world file; 0, or -1 with errno (EINVAL: not a world) */
int	 vl1d_read_world(const char *path, struct world *);
/* local.conf: ports, binds, trusted paths; fatal on a bad key */
void	 vl1d_apply_localconf(struct vl1d_ctx *, uint64_t address);
/* removes moons.d/<id>.moon; 0, or -1 when it could not be removed */
int	 vl1d_forget_moon(struct vl1d_ctx *, uint64_t id);

/* peercache.c: the engine's identity_learned and identity_lookup */
int	 vl1d_peer_cache_open(struct vl1d_ctx *);
void	 vl1d_peer_cache_store(void *, const struct identity *);
int	 vl1d_peer_cache_lookup(void *, uint64_t, struct identity *);

/* udp.c */
int	 vl1d_udp_open(struct vl1d_ctx *);
void	 vl1d_udp_send(void *, int, const struct inetaddr *, const uint8_t *,
	    size_t, int);
void	 vl1d_udp_flush(struct vl1d_ctx *);

/* control.c: the control socket (zt-vl2d, zt-controllerd, zt-ctl) */
int	 vl1d_control_open(struct vl1d_ctx *);
void	 vl1d_vl2_up(void *, uint64_t, const uint8_t *, size_t, int64_t);
void	 vl1d_up_flush(struct vl1d_ctx *);

/* keyholder.c */
__attribute__((noreturn))
void	 keyholder_main(struct identity *, int fd, const char *rundir);
int	 vl1d_agree(void *, const struct identity *,
	    uint8_t[ZT_AGREED_KEY_LEN]);

/* sandbox.c */
extern const struct sandbox_policy vl1d_policy;
extern const struct sandbox_policy keyholder_policy;
void	 vl1d_policy_set_home(const char *);
