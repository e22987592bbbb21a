#pragma once
/*
 * zt-vl2d: the virtual Ethernet switch around the pure modules of lib
 * zt_vl2.  One context per process, passed explicitly (STYLE.md).  It
 * talks to zt-vl1d (VL2 packets, identity lookups) and zt-tapd (TAP
 * devices) as a client of their daemon sockets, and serves zt-ctl.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "identity.h"
#include "ipc.h"
#include "mac.h"
#include "membership.h"
#include "multicast.h"
#include "netconf.h"
#include "netconf_chunk.h"
#include "network.h"
#include "sandbox.h"
#include "switch.h"

#define VL2D_MAX_NETWORKS	64
/* §11: a network is re-requested after 60 s, checked every 5 s */
#define VL2D_REFRESH_MS		60000
#define VL2D_TICK_MS		1000
/* a request not answered is repeated after this long */
#define VL2D_RETRY_MS		5000
/* chunks held while the controller's identity is being looked up */
#define VL2D_PENDING_MAX	8
/* §2.1: 1.14.1 retries a packet waiting for a WHOIS for 5 s */
#define VL2D_PENDING_MS		5000
/* the longest authentication URL kept (longer ones are cut) */
#define VL2D_AUTH_URL_MAX	2048
/* identities zt-vl2d keeps (controllers, senders of credentials) */
#define VL2D_IDCACHE_MAX	64

/* VL1 packet layout (spec/vl1.md): only what a received packet needs */
#define VL2D_PKT_IDX_ID		0
#define VL2D_PKT_IDX_DEST	8
#define VL2D_PKT_IDX_VERB	27
#define VL2D_PKT_IDX_PAYLOAD	28
#define VL2D_PKT_VERB_MASK	0x1f
#define VL2D_MAX_PACKET		10024

enum vl2d_verb {
	VL2D_VERB_ERROR = 0x02,
	VL2D_VERB_OK = 0x03,
	VL2D_VERB_FRAME = 0x06,
	VL2D_VERB_EXT_FRAME = 0x07,
	VL2D_VERB_ECHO = 0x08,
	VL2D_VERB_MULTICAST_LIKE = 0x09,
	VL2D_VERB_NETWORK_CREDENTIALS = 0x0a,
	VL2D_VERB_NETWORK_CONFIG_REQUEST = 0x0b,
	VL2D_VERB_NETWORK_CONFIG = 0x0c,
	VL2D_VERB_MULTICAST_GATHER = 0x0d,
	VL2D_VERB_MULTICAST_FRAME = 0x0e,
};

enum vl2d_error {
	VL2D_ERR_OBJ_NOT_FOUND = 0x03,
	VL2D_ERR_UNSUPPORTED_OPERATION = 0x05,
	VL2D_ERR_NEED_MEMBERSHIP_CERTIFICATE = 0x06,
	VL2D_ERR_NETWORK_ACCESS_DENIED = 0x07,
	VL2D_ERR_NETWORK_AUTH_REQUIRED = 0x09,
};

struct event_base;
struct event;
struct vl2d_ctx;
struct vl2d_offload;
struct offload_frame;

/* a packet that waits for an identity (the controller's, a sender's) */
struct vl2d_pending {
	uint8_t		*pkt;
	size_t		 len;
	uint64_t	 src;
	uint64_t	 wait;		/* the address looked up */
	int64_t		 when;		/* kept at most VL2D_PENDING_MS */
};

struct vl2d_net {
	bool			 used;
	struct vl2d_ctx		*ctx;
	uint64_t		 nwid;
	enum vl2_status		 status;
	struct netconf		*nc;		/* NULL before a config */
	struct netconf_asm	 as;
	/* credentials of the peers and our own; made once self is known */
	struct mship_store	*ms;
	struct vl2_local	 local;
	uint64_t		 mac;		/* 0 until our address is known */
	int64_t			 last_request;
	int64_t			 last_config;
	/* the switch (once our address is known) and multicast state */
	struct sw_net		 sw;
	bool			 sw_ready;
	struct vl2_mc_net	*mcn;
	struct vl2d_pending	 pending[VL2D_PENDING_MAX];
	size_t			 npending;
	/* the TAP: fd from zt-tapd, its name, what was last asked of it */
	int			 tap_fd;
	struct event		*ev_tap;
	char			 ifname[16];
	uint32_t		 ifindex;
	bool			 tap_asked;	/* TAP_OPEN sent, no answer */
	uint32_t		 open_id;	/* its request id */
	int			 port_error;	/* errno of a failed open */
	bool			 vnet_asked;	/* with TAPD_OPEN_VNET_HDR */
	/* offload state of a TAP with a virtio header, else NULL */
	struct vl2d_offload	*off;
	/* counters shown by zt-ctl listnetworks -j */
	uint64_t		 tx_frames, rx_frames;
	uint64_t		 tx_dropped, rx_dropped;
	uint64_t		 member_likes;	/* LIKE passes to members */
	/* ERROR(AUTHENTICATION_REQUIRED)'s "aU" (auth info version 0) */
	char			 auth_url[VL2D_AUTH_URL_MAX];
};

struct vl2d_config {
	const char	*statedir;
	const char	*rundir;
	const char	*ctl_group;
	unsigned int	 time_scale;	/* tests only: timers N times faster */
	bool		 foreground;
	/* --no-offload: plain TAPs; --no-gro: segments written one by one */
	bool		 no_offload;
	bool		 no_gro;
};

struct vl2d_ctx {
	struct vl2d_config	 cfg;
	struct event_base	*base;
	struct ipc		*ipc;
	struct ipc_listener	*listener;	/* zt-ctl */
	int			 listen_fd;
	struct ipc_client	*vl1d;
	struct ipc_client	*tapd;
	struct event		*ev_tick;
	struct event		*ev_watchdog;
	struct event		*ev_sigterm, *ev_sigint;
	int64_t			 start_real;
	/* our ZeroTier address: the destination of packets addressed to us */
	uint64_t		 self;
	struct vl2d_net		 nets[VL2D_MAX_NETWORKS];
	struct identity		*ids;		/* VL2D_IDCACHE_MAX entries */
	size_t			 nids;
	struct cred_lookup	 lookup;	/* the cache, for membership */
	/* VL2 packets for zt-vl1d, flushed once per wake-up */
	struct wbuf		 out;
	/* a frame read from a TAP, and one being written to a TAP */
	uint8_t			 frame[VL2D_MAX_PACKET + 64];
	uint8_t			 wframe[VL2D_MAX_PACKET + 64];
	/*
	 * For TAPs with a virtio header (frame.c, made at the first): one
	 * read of up to 64 KiB and the frames offload_input cuts it into
	 */
	uint8_t			*tap_in;
	uint8_t			*off_buf;
	struct offload_frame	*off_frames;
	bool			 gro_pending;	/* a TAP holds joined frames */
	struct vl2_mc		 mc;
	uint64_t		 like_from;	/* sender of the LIKE parsed */
	struct mac_group	 mc_added[VL2_MC_LOCAL_MAX];
	/* a peer's credentials as the switch reads them during one call */
	struct rules_tag	 tags[NETCONF_MAX_TAGS];
	struct rules_cap	 caps[NETCONF_MAX_CAPABILITIES];
	uint64_t		 dropped;	/* bad packets, logged */
	/* VL2_PEER_EVENT: ups and downs heard, pushes they caused */
	uint64_t		 peer_ups, peer_downs, peer_pushes;
	uint64_t		 out_dropped;	/* no zt-vl1d to take them */
	/* zt-vl1d's queue is over its high watermark: TAPs not read */
	bool			 vl1_blocked;
};

/* main.c */
int64_t	 vl2d_now(struct vl2d_ctx *);

/* link.c: zt-vl1d and zt-tapd */
int	 vl2d_link_open(struct vl2d_ctx *);
/* queues one packet for zt-vl1d; flushed by vl2d_link_flush */
int	 vl2d_send(struct vl2d_ctx *, uint64_t dest, uint8_t verb,
	    const uint8_t *, size_t);
void	 vl2d_link_flush(struct vl2d_ctx *);
/*
 * While a TAP is drained, VL2_SEND messages wait (corked) and leave
 * VL2D_IPC_BATCH per sendmmsg; push writes what waits, still corked,
 * so that a long drain does not pile up the queue.
 */
#define VL2D_IPC_BATCH	8
void	 vl2d_link_cork(struct vl2d_ctx *, bool);
void	 vl2d_link_push(struct vl2d_ctx *);
/* asks zt-vl1d for identities; answers arrive in vl2d_net_identity */
void	 vl2d_whois(struct vl2d_ctx *, uint64_t addr);
const struct identity *vl2d_identity(struct vl2d_ctx *, uint64_t addr);
struct ipc_conn	*vl2d_tapd_conn(struct vl2d_ctx *);
/* TAP_* requests for a network (their answers are logged) */
int	 vl2d_tap_open(struct vl2d_net *);
void	 vl2d_tap_configure(struct vl2d_net *);
void	 vl2d_tap_close(struct vl2d_net *);

/* network.c: joined networks */
struct vl2d_net	*vl2d_net_find(struct vl2d_ctx *, uint64_t nwid);
struct vl2d_net	*vl2d_net_join(struct vl2d_ctx *, uint64_t nwid, bool save);
int	 vl2d_net_leave(struct vl2d_ctx *, uint64_t nwid);
void	 vl2d_nets_restore(struct vl2d_ctx *);
void	 vl2d_nets_tick(struct vl2d_ctx *, int64_t now);
/* one VL2 packet from zt-vl1d (whole packet, header included) */
void	 vl2d_net_packet(struct vl2d_ctx *, uint64_t src, const uint8_t *,
	    size_t);
void	 vl2d_net_identity(struct vl2d_ctx *, const struct identity *);
/* keeps a packet until zt-vl1d names the identity of wait */
void	 vl2d_net_pending_add(struct vl2d_net *, uint64_t src, uint64_t wait,
	    const uint8_t *, size_t);
/*
 * Backpressure: TAP reads stop while zt-vl1d's queue is over its high
 * watermark and go on below the low one (the kernel holds the frames).
 */
void	 vl2d_nets_tap_pause(struct vl2d_ctx *, bool);
/* zt-vl1d named our address (at connect) */
void	 vl2d_nets_self(struct vl2d_ctx *, uint64_t self);
/* a VL2_PEER_EVENT body (SELF, peers up and down); -1 if malformed */
int	 vl2d_nets_peer_events(struct vl2d_ctx *, struct rbuf *);
/* zt-vl1d (re)connected: configs are asked for again */
void	 vl2d_nets_vl1_up(struct vl2d_ctx *);
/* zt-tapd (re)connected: TAPs are opened (re-attached) again */
void	 vl2d_nets_tapd_up(struct vl2d_ctx *);
void	 vl2d_net_tap_opened(struct vl2d_net *, int fd, const char *ifname,
	    uint32_t ifindex);
void	 vl2d_net_tap_failed(struct vl2d_net *, int err);
void	 vl2d_net_tap_groups(struct vl2d_net *, const struct mac_group *,
	    size_t);
size_t	 vl2d_net_addrs(const struct vl2d_net *, struct inetaddr *, size_t);

/* control.c: zt-ctl */
int	 vl2d_control_open(struct vl2d_ctx *);
int	 vl2d_control_relisten(struct vl2d_ctx *);
/* zt-vl1d's VL2_API_REQ: the node API's /network routes */
struct ipc_msg;
int	 vl2d_on_api(struct ipc_conn *, struct ipc_msg *, void *);

/* sandbox.c */
extern const struct sandbox_policy vl2d_policy;
void	 vl2d_policy_set_statedir(const char *);
