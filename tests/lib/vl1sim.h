#pragma once
/*
 * A simulated wire for VL1 engine tests: a few engines, each with an
 * identity from identities.json and one IPv4 endpoint, whose datagrams
 * go into one FIFO and are delivered by address when the test pumps.
 * Nothing is sent on a real socket.  Tests that need to watch, lose or
 * answer more set the hooks; the wire itself never changes a datagram.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fixtures.h"
#include "node_int.h"
#include "packet.h"

#define VL1SIM_MAX_NODES	4

struct vl1sim;

struct vl1sim_dgram {
	int		 from;		/* node index */
	struct inetaddr	 to;
	size_t		 len;
	uint8_t		 data[ZT_MAX_PACKET_LEN];
};

struct vl1sim_node {
	struct vl1sim	*sim;
	struct vl1_node	*n;
	struct identity	 id;		/* with the private key */
	struct inetaddr	 addr;
	int		 index;
	unsigned int	 vl2_count;	/* VL2 packets delivered to it */
	uint64_t	 last_vl2_src;
	size_t		 last_vl2_len;
	uint8_t		 last_vl2[ZT_MAX_PACKET_LEN];
};

struct vl1sim {
	struct vl1sim_node	 node[VL1SIM_MAX_NODES];
	int			 nodes;		/* started, from index 0 */
	const struct world	*planet;
	json_t			*ids;		/* identities.json */
	struct vl1sim_dgram	*queue;
	size_t			 cap, head, tail;
	unsigned int		 unrouted;	/* sent to no node's address */
	unsigned int		 overflow;	/* queue full or too long */

	/* optional: sees every datagram a node sends, queued or not */
	void	(*sent)(struct vl1sim_node *, const struct inetaddr *to,
		    const uint8_t *, size_t);
	/* optional: true loses a datagram from node from to node to */
	bool	(*lost)(const struct vl1sim *, int from, int to);
	/* optional: the node's identity cache (vl1_io identity_lookup) */
	int	(*lookup)(struct vl1sim_node *, uint64_t address,
		    struct identity *);
	/* optional: the node accepted a new planet or moon */
	void	(*world)(struct vl1sim_node *, const struct world *);
};

/* an empty wire holding up to cap datagrams in flight; no hooks */
void	 vl1sim_init(struct vl1sim *, json_t *ids,
	    const struct world *planet, size_t cap);
/* stops every node and frees the queue */
void	 vl1sim_free(struct vl1sim *);
/*
 * Starts node i with the secret identity called name, at ip port 9993,
 * configured by c (NULL: defaults); c's self and planet are filled in.
 */
void	 vl1sim_start(struct vl1sim *, int i, const char *name,
	    const uint8_t ip[4], struct vl1_config *c, int64_t now);
/* the callbacks that put node i's engine on the wire */
void	 vl1sim_io(struct vl1sim *, int i, struct vl1_io *);
/* frees every started node and empties the wire */
void	 vl1sim_stop(struct vl1sim *);
/* drops whatever is in flight */
void	 vl1sim_clear(struct vl1sim *);
/* delivers until the wire is quiet; returns how many were delivered */
size_t	 vl1sim_pump(struct vl1sim *, int64_t now);
/* every node's timers, then the wire */
void	 vl1sim_tick(struct vl1sim *, int64_t now);

