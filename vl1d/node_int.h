#pragma once
/* Internals shared by node.c (sending, topology, timers) and verbs.c. */
#include "node.h"

#define VL1_BUF_LEN	ZT_MAX_PACKET_LEN

/* writes a 28-byte header with a fresh random id; returns its length */
size_t	 vl1_header(struct vl1_node *, uint8_t *, uint64_t dest,
	    uint8_t verb);
void	 vl1_expect_add(struct vl1_node *, const uint8_t *wire);
/* per-verb counters (VL1_RX / VL1_TX) of a plaintext packet */
void	 vl1_tally(struct vl1_node *, unsigned int dir, const uint8_t *,
	    size_t);
bool	 vl1_expect_check(struct vl1_node *, const uint8_t *inre_id);
unsigned int	 vl1_peer_suite(const struct vl1_peer *);
/*
 * Armors pkt (len bytes, header built) for p with suite and sends it as
 * one datagram to (sock, to); records the id as expecting a reply when
 * expect is set.  Returns 0 or -1.
 */
int	 vl1_send_direct(struct vl1_node *, struct vl1_peer *, int sock,
	    const struct inetaddr *to, uint8_t *pkt, size_t len,
	    unsigned int suite, bool expect, int64_t now);
/* OK or ERROR in re (verb, wire id) sent back on the path it came from */
size_t	 vl1_reply_header(struct vl1_node *, uint8_t *, uint64_t dest,
	    uint8_t verb, uint8_t inre_verb, const uint8_t inre_id[8]);
int	 vl1_send_hello(struct vl1_node *, struct vl1_peer *, int sock,
	    const struct inetaddr *to, int64_t now);
int	 vl1_send_echo(struct vl1_node *, struct vl1_peer *, int sock,
	    const struct inetaddr *to, int64_t now);
/* probe an address: ECHO for peers speaking >= 5, else HELLO */
void	 vl1_attempt_contact(struct vl1_node *, struct vl1_peer *, int sock,
	    const struct inetaddr *, int64_t now);
struct vl1_peer	*vl1_best_upstream(struct vl1_node *, int64_t now);
void	 vl1_whois(struct vl1_node *, uint64_t addr, int64_t now);
void	 vl1_park(struct vl1_node *, bool inbound, uint64_t addr, int sock,
	    const struct inetaddr *, uint8_t verb, const uint8_t *, size_t,
	    int64_t now);
/* retries parked packets for addr (its identity just arrived) */
void	 vl1_unpark(struct vl1_node *, uint64_t addr, int64_t now);
/* adds a peer for a validated identity; derives its key */
struct vl1_peer	*vl1_learn_peer(struct vl1_node *, const struct identity *,
		    int64_t now);
/* the same with a key already agreed (a HELLO just verified with it) */
struct vl1_peer	*vl1_learn_peer_key(struct vl1_node *,
		    const struct identity *, const uint8_t[ZT_AGREED_KEY_LEN],
		    int64_t now);
/* tells io.peer_state when the peer's state is no longer the one told */
void	 vl1_peer_check(struct vl1_node *, struct vl1_peer *, int64_t now);
bool	 vl1_path_allowed(struct vl1_node *, struct vl1_peer *,
	    const struct inetaddr *);
/* a world from an OK(HELLO): applied if it replaces ours */
void	 vl1_offer_world(struct vl1_node *, const struct world *,
	    int64_t now);
int	 vl1_serialize_worlds_for(struct vl1_node *, uint64_t planet_id,
	    uint64_t planet_ts, const uint64_t *moon_ids,
	    const uint64_t *moon_ts, unsigned int nmoons, struct wbuf *);
void	 vl1_relay(struct vl1_node *, int sock, const struct inetaddr *,
	    uint8_t *, size_t, bool fragment, int64_t now);
void	 vl1_process(struct vl1_node *, int sock, const struct inetaddr *,
	    uint8_t *, size_t, int64_t now);
