#pragma once
/*
 * Peers and their physical paths (spec/vl1.md §5.3-5.6, §5.10).  The peer
 * table is a hash of 40-bit addresses; each peer holds its identity, the
 * per-peer key the key holder derived, its advertised versions and a small
 * set of paths.  No I/O happens here: callers pass the clock in.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "inetaddr.h"

#define VL1_MAX_PATHS		16	/* per peer (1.14.1 keeps 64) */
#define VL1_PATH_HEARTBEAT	14000
#define VL1_PATH_ALIVE		(VL1_PATH_HEARTBEAT + 5000)
#define VL1_PATH_EXPIRATION	243000
#define VL1_PEER_PING_PERIOD	60000
#define VL1_PEER_ACTIVITY_TIMEOUT 500000
#define VL1_LATENCY_UNKNOWN	0xffff
/* duplicate suppression: the last N authenticated packet ids per peer */
#define VL1_DUP_WINDOW		64

struct vl1_path {
	struct inetaddr	 addr;
	int		 sock;		/* local socket index */
	int64_t		 lr;		/* last authenticated receive */
	int64_t		 last_send;
	int64_t		 last_hello;	/* confirming HELLO sent */
	int64_t		 last_echo_in;	/* inbound ECHO rate limit */
	unsigned int	 latency;
	unsigned int	 priority;
	bool		 used;
};

/* reachability as zt-vl2d hears of it (VL2_PEER_EVENT) */
enum vl1_peer_state {
	VL1_PEER_DOWN = 0,	/* no live path, not heard from lately */
	VL1_PEER_RELAYED,	/* heard from lately, through a root */
	VL1_PEER_DIRECT,	/* a live direct path */
};

struct vl1_peer {
	struct identity	 id;
	uint8_t		 key[ZT_AGREED_KEY_LEN];
	void		*armor;		/* cipher state built from key */
	uint8_t		 proto;		/* advertised protocol version */
	uint8_t		 vmajor, vminor;
	uint16_t	 vrev;
	int64_t		 created;
	int64_t		 last_recv;	/* any authenticated packet */
	int64_t		 last_hello_sent;
	int64_t		 last_vl2_frame;	/* "active" (§5.6) */
	int64_t		 last_trust;	/* network-authenticated (§5.7) */
	int64_t		 last_whois_in;
	int64_t		 last_push_in;
	int64_t		 last_confirm;	/* confirming HELLO (§5.4) */
	int64_t		 last_echo_in;	/* ECHO on a path not yet known */
	unsigned int	 push_count;
	uint8_t		 state;		/* vl1_peer_state last told */
	struct vl1_path	 paths[VL1_MAX_PATHS];
	uint64_t	 dup[VL1_DUP_WINDOW];
	unsigned int	 dup_next;
	struct vl1_peer	*hnext;
};

struct vl1_peers {
	struct vl1_peer	**buckets;
	size_t		 nbuckets;
	size_t		 count;
	size_t		 max;
	void		(*free_armor)(void *);
};

int	 vl1_peers_init(struct vl1_peers *, size_t max, void (*)(void *));
void	 vl1_peers_free(struct vl1_peers *);
struct vl1_peer	*vl1_peers_get(struct vl1_peers *, uint64_t address);
/*
 * Adds a peer (public identity copied) with its agreed key; returns it, or
 * NULL when the table is full or memory ran out.  An existing entry with
 * the same address is returned unchanged.
 */
struct vl1_peer	*vl1_peers_add(struct vl1_peers *, const struct identity *,
		    const uint8_t key[ZT_AGREED_KEY_LEN]);
void	 vl1_peers_remove(struct vl1_peers *, uint64_t address);
/* calls f for every peer; f may not add or remove peers */
void	 vl1_peers_foreach(struct vl1_peers *,
	    void (*)(struct vl1_peer *, void *), void *);

/*
 * Records a packet id; returns true when it was among the last
 * VL1_DUP_WINDOW ids from this peer (a replay or a duplicate datagram).
 */
bool	 vl1_peer_seen(struct vl1_peer *, uint64_t packet_id);

/* the path to addr on sock, or NULL */
struct vl1_path	*vl1_peer_path(struct vl1_peer *, int sock,
		    const struct inetaddr *);
/*
 * Learns a path after an OK arrived on it directly (§5.4): replaces a
 * dead path with the same IP on the same socket, else a free slot, else
 * the path heard from least recently.
 */
struct vl1_path	*vl1_peer_learn_path(struct vl1_peer *, int sock,
		    const struct inetaddr *, int64_t now);
/* a live path with the same IP on the same socket exists (port may differ) */
bool	 vl1_peer_has_live_ip(const struct vl1_peer *, int sock,
	    const struct inetaddr *, int64_t now);
bool	 vl1_path_alive(const struct vl1_path *, int64_t now);
bool	 vl1_path_expired(const struct vl1_path *, int64_t now);
/* lower is better (§5.3) */
uint64_t	 vl1_path_quality(const struct vl1_path *, int64_t now);
/* best non-expired path, or NULL; with any = true also expired ones */
struct vl1_path	*vl1_peer_best_path(struct vl1_peer *, int64_t now, bool any);
/* folds a latency sample in (§5.10) */
void	 vl1_path_latency_sample(struct vl1_path *, unsigned int);
/*
 * DIRECT with a live path, RELAYED when none is live but the peer was
 * heard from within VL1_PATH_ALIVE (through a root).  Otherwise DOWN
 * for a peer VL2 uses (it is probed, so silence counts); a peer not
 * probed keeps the state last told (p->state) until it has no
 * unexpired path and was not heard from for VL1_PATH_EXPIRATION.
 */
enum vl1_peer_state	 vl1_peer_state(const struct vl1_peer *, int64_t);
/* deletes expired paths; returns how many remain */
unsigned int	 vl1_peer_prune_paths(struct vl1_peer *, int64_t now);
