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
/* zt-controllerd's HTTP socket in the run directory, behind /controller */
#define VL1D_CTRL_HTTP_SOCK	"zt-controllerd-http.sock"

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
	const char	*api_token;	/* NULL: <home>/authtoken.secret */
};

/* peers.d/<address>.peer files, newest last seen kept (peercache.c) */
#define VL1D_PEER_CACHE_MAX	1024
struct vl1d_peer_cache {
	uint64_t	 addr[VL1D_PEER_CACHE_MAX];
	int64_t		 when[VL1D_PEER_CACHE_MAX];	/* written, ms */
	size_t		 n;
};

/* the sockets a service manager may pass (FileDescriptorName= names) */
enum vl1d_activated {
	VL1D_FD_CONTROL,	/* "control": zt-vl1d.sock, zt-ctl */
	VL1D_FD_IPC,		/* "ipc": zt-vl1d-ipc.sock, the daemons */
	VL1D_FD_KEYS,		/* "keys": zt-vl1d-keys.sock, key holder */
	VL1D_NFDS
};

struct vl1d_ctx {
	struct vl1d_config	 cfg;
	int			 activated[VL1D_NFDS];	/* -1: bind it */
	struct event_base	*base;
	struct identity		 id;		/* public only in this half */
	struct world		 planet;
	bool			 have_planet;	/* from world/planet */
	struct world		 moons[VL1_MAX_MOONS];
	unsigned int		 nmoons;
	/* moons.d/<id>.seed: orbited, definition not fetched yet */
	struct vl1_wanted_moon	 seeds[VL1_MAX_MOONS];
	unsigned int		 nseeds;
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
	struct vl1d_api		*api;		/* NULL: HTTP API off */
	struct ipc_sync		 keys;		/* to the key holder */
	pid_t			 keyholder;
	int64_t			 start_real;	/* for the time scale */
	/* batched VL2 / controller traffic going up, flushed per wake-up */
	struct wbuf		 up_vl2;
	struct wbuf		 up_ctrl;
	/* VL2_PEER_EVENT entries for zt-vl2d, flushed with up_vl2 */
	struct wbuf		 up_ev;
	uint64_t		 up_dropped;
	uint64_t		 agree_failed;
};

/* time the engine sees (ms), scaled for tests */
int64_t	 vl1d_now(struct vl1d_ctx *);

/* state.c */
int	 vl1d_load_identity(const char *home, struct identity *);
/*
 * <home>/world: the network half saves planet updates here, the one
 * directory next to identity.secret it may write files in (no read);
 * an operator's <home>/planet is moved here at start-up.
 */
#define VL1D_WORLD_DIR	"world"
int	 vl1d_load_worlds(struct vl1d_ctx *);
/* one self-signed world file; 0, or -1 with errno (EINVAL: not a world) */
int	 vl1d_read_world(const char *path, struct world *);
/* local.conf: ports, binds, trusted paths; fatal on a bad key */
void	 vl1d_apply_localconf(struct vl1d_ctx *, uint64_t address);
/* removes moons.d/<id>.moon and .seed; 0, or -1 when one stays */
int	 vl1d_forget_moon(struct vl1d_ctx *, uint64_t id);
/*
 * moons.d/<id>.seed: a moon being fetched from its seed, so that an
 * orbit survives a restart before the definition arrived (ZeroTier One
 * forgets it; it reads only .moon files).  Saving logs its failure.
 */
void	 vl1d_save_seed(struct vl1d_ctx *, uint64_t id, uint64_t seed);
void	 vl1d_drop_seed(struct vl1d_ctx *, uint64_t id);

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
/* the engine's peer_state: an UP or DOWN for zt-vl2d */
void	 vl1d_peer_state(void *, struct vl1_peer *, int64_t);
/* shared with api.c: with api, ZeroTier One's HTTP shapes (§6.6, §6.7) */
struct json_t;
struct json_t	*vl1d_json_peer(struct vl1d_ctx *, struct vl1_peer *,
		    bool api);
struct json_t	*vl1d_json_peers(struct vl1d_ctx *, bool api);
struct json_t	*vl1d_json_moon(const struct world *);
/*
 * Orbits moon id: *held is the moon when it is held now (orbited or in
 * moons.d), else NULL while seed is asked for it (seed 0: nothing
 * happens).  -1 when no more moons fit.
 */
int	 vl1d_orbit(struct vl1d_ctx *, uint64_t id, uint64_t seed,
	    const struct world **held);
/* deorbit and forget moons.d/<id>.moon; -1 when the file stays */
int	 vl1d_deorbit(struct vl1d_ctx *, uint64_t id);

/*
 * api.c: the local HTTP API (spec/service.md §6, issue 7 item 6), opened
 * before the sandbox: authtoken.secret read or made, the listening
 * socket bound.  0, or -1 when the API cannot run (logged).
 */
struct vl1d_api;
int	 vl1d_api_open(struct vl1d_ctx *);
void	 vl1d_api_free(struct vl1d_api *);
/* control.c hands over zt-vl2d's VL2_API_REPLY and the link's end */
void	 vl1d_api_net_reply(struct vl1d_ctx *, uint32_t id, int status,
	    const uint8_t *, size_t);
void	 vl1d_api_net_down(struct vl1d_ctx *);

/*
 * tapconn.c: the link to zt-tapd for the node API's allow* settings
 * (TAPD_SETTINGS_*), made on first use in *link.  The callback gets
 * err 0 and the settings, or an errno value and why; it never runs
 * inside the call.  -1 (errno EHOSTUNREACH: zt-tapd is not there)
 * when the request cannot be made; the callback is then never called.
 */
struct vl1d_tapd;
struct vl1d_tapd_setting {
	uint64_t	 nwid;
	uint8_t		 values;	/* IPC_TAPD_ALLOW_* bits */
};
typedef void	(*vl1d_tapd_cb)(void *, int err, const char *why,
		    const struct vl1d_tapd_setting *, size_t);
int	 vl1d_tapd_set(struct vl1d_ctx *, struct vl1d_tapd **link,
	    uint64_t nwid, uint8_t mask, uint8_t values, vl1d_tapd_cb,
	    void *);
int	 vl1d_tapd_get(struct vl1d_ctx *, struct vl1d_tapd **link,
	    const uint64_t *nwids, size_t, vl1d_tapd_cb, void *);
/* drops every request made with this callback argument */
void	 vl1d_tapd_cancel(struct vl1d_tapd *, void *);
void	 vl1d_tapd_free(struct vl1d_tapd *);

/* keyholder.c */
__attribute__((noreturn))
void	 keyholder_main(struct identity *, int fd, const char *rundir,
	    int keys_fd);
/* zt-ctl sandbox: the key holder's policy and the status it reports */
json_t	*vl1d_keyholder_report(struct vl1d_ctx *);
int	 vl1d_agree(void *, const struct identity *,
	    uint8_t[ZT_AGREED_KEY_LEN]);

/* sandbox.c */
extern const struct sandbox_policy vl1d_policy;
extern const struct sandbox_policy keyholder_policy;
void	 vl1d_policy_set_home(const char *);
