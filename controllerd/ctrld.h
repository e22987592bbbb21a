#pragma once
/*
 * zt-controllerd: the network controller daemon (user zt-ctrl, no
 * capabilities, no secret key).  One context per process (STYLE.md).
 */
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "hex.h"
#include "ipc.h"
#include "issue.h"
#include "sandbox.h"
#include "signer.h"
#include "store.h"

struct event;
struct event_base;
struct ctrl_http;

struct ctrld_config {
	const char	*statedir;	/* controller.db, authtoken.secret */
	const char	*rundir;	/* control sockets */
	const char	*identity;	/* zt-vl1d's identity.public */
	const char	*http_addr;	/* loopback unless configured */
	uint16_t	 http_port;	/* 0: no HTTP listener */
	const char	*node_token;	/* zt-vl1d's authtoken.secret, or NULL */
	const char	*ctl_group;
};

#define CTRLD_ONLINE_MAX	1024

struct ctrld_ctx {
	struct ctrld_config	 cfg;
	uint64_t		 self;		/* controller address */
	struct event_base	*base;
	struct ipc		*ipc;
	struct ipc_listener	*listener;	/* zt-ctl */
	/* listening sockets passed by the service manager, or -1 */
	int			 ctl_fd, http_fd;
	struct ipc_client	*vl1d;		/* config requests */
	struct ctrl_store	*store;
	struct ctrl_api		 api;
	struct ctrl_http	*http;
	struct event		*ev_sigterm, *ev_sigint;
	struct event		*ev_watchdog;	/* systemd's WATCHDOG=1 */
	struct signer		 signer;	/* the key holder */
	/* members that asked recently, for pushes and revocations */
	struct ctrld_member {
		uint64_t	 nwid;
		struct identity	 id;
		int64_t		 last;
		uint8_t		 meta[1024];
		size_t		 meta_len;
	}			 online[CTRLD_ONLINE_MAX];
	struct ctrld_rate {
		uint64_t	 member;
		int64_t		 last;
	}			 rate[4096];
	/*
	 * One network as of store generation alloc_gen: its object, the
	 * IPs assigned in it and its active bridges, so that a config
	 * request neither parses the network nor walks every member again.
	 */
	struct ctrld_alloc {
		struct inetaddr	*ips;
		size_t		 n, cap;
		uint64_t	*bridges;
		size_t		 nb, capb;
	}			 alloc;
	json_t			*alloc_net;	/* the network object */
	uint64_t		 alloc_nwid;
	uint64_t		 alloc_gen;
	bool			 alloc_valid;
	uint64_t		 config_requests;
	uint64_t		 config_answered;
	uint64_t		 config_unanswered;
	/* zt-ctl info -j: ERROR replies, spaced-out askers, unasked sends */
	uint64_t		 config_denied;
	uint64_t		 config_rate_limited;
	uint64_t		 pushes;
	uint64_t		 revocations_sent;
};

/* control.c: zt-ctl's socket and the link to zt-vl1d */
int	 ctrld_control_open(struct ctrld_ctx *);
int	 ctrld_vl1d_open(struct ctrld_ctx *);

/* serve.c: one forwarded NETWORK_CONFIG_REQUEST; pushes on changes */
void	 ctrld_network_changed(void *, uint64_t nwid);
void	 ctrld_member_changed(void *, uint64_t nwid, uint64_t mid);
void	 ctrld_member_revoked(void *, uint64_t nwid, uint64_t mid);
void	 ctrld_serve_request(struct ctrld_ctx *, uint64_t src,
	    const uint8_t *pkt, size_t len, const uint8_t *identity,
	    size_t idlen, int64_t now);
int64_t	 ctrld_now(void);
/* forgets the kept network view (serve.c) */
void	 ctrld_alloc_drop(struct ctrld_ctx *);

/* sandbox.c */
extern const struct sandbox_policy ctrld_policy;
void	 ctrld_policy_set_statedir(const char *);
