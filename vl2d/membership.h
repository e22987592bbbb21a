#pragma once
/*
 * Network membership (spec/vl2.md §3.4, §6.5-6.8): what this node knows
 * of each peer on one network — its certificate of membership,
 * capabilities, tags, certificates of ownership and the revocation
 * thresholds that apply to them — plus our own credentials from the
 * current network config, the NETWORK_CREDENTIALS payloads we push and
 * when we push them, and the gate that decides whether a peer may send
 * frames on a private network.
 *
 * Pure and I/O-free: the daemon supplies time ("now", ms), the config,
 * the controller's identity, a way to look up peers' identities, and
 * callbacks through which payloads to send are handed back.
 *
 * Identities.  Credential signatures need only the controller's identity
 * (every credential 1.14.1 issues is signed by controller(nwid)); the
 * daemon has it anyway to check network configs.  The gate needs the
 * sending peer's own identity as well: our COM carries our identity hash
 * and the peer's COM must carry the hash of the identity that really
 * sent the frame (a COM copied from another member does not pass).
 * vl1d authenticates the source address of every packet but does not
 * pass the key along, so the identity comes from WHOIS (asynchronous):
 * the store asks the lookup callback each time it needs an identity and,
 * while that returns NULL, the gate answers MSHIP_GATE_NEED_IDENTITY;
 * the daemon sends its WHOIS and retries.  The agreement verdict is
 * cached per peer once computed, so the frame path does no hashing.
 *
 * Memory is bounded: at most limits.max_peers records (least recently
 * used evicted first, records that hold revocations last) and at most
 * max_caps / max_tags / max_coos / max_revocations items per record
 * (the oldest evicted).  Bytes held are counted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "identity.h"
#include "netconf.h"
#include "rules_eval.h"

/* 1.14.1 timing (spec/vl2.md §6.8, §6.9), ms */
#define MSHIP_PUSH_PERIOD		500000
#define MSHIP_PUSH_ERROR_HOLDOFF	1000
#define MSHIP_RX_RATE_PERIOD		1000
#define MSHIP_LIKE_PERIOD		60000
#define MSHIP_RECENT_ASSOCIATION	500000

/* largest VL1 packet, and the verb payload room it leaves (§13) */
#define MSHIP_PACKET_MAX		10024
#define MSHIP_PACKET_HEADER		28
#define MSHIP_PAYLOAD_MAX		(MSHIP_PACKET_MAX - MSHIP_PACKET_HEADER)

struct mship_limits {
	size_t		 max_peers;		/* default 1024 */
	size_t		 max_caps;		/* per peer, default 128 */
	size_t		 max_tags;		/* per peer, default 128 */
	size_t		 max_coos;		/* per peer, default 16 */
	size_t		 max_revocations;	/* per peer, default 64 */
};

/* every outcome is counted; rejections by reason */
struct mship_counters {
	uint64_t	 accepted_new;
	uint64_t	 accepted_redundant;
	uint64_t	 deferred_whois;
	uint64_t	 rejected_signer;	/* not controller(nwid)'s */
	uint64_t	 rejected_signature;	/* signature or chain invalid */
	uint64_t	 rejected_old;		/* older than the one held */
	uint64_t	 rejected_revoked;	/* at or below a threshold */
	uint64_t	 rejected_type;		/* revokes an unknown type */
	uint64_t	 rejected_network;	/* names another network */
	uint64_t	 rejected_holder;	/* for a reserved address */
	uint64_t	 rx_malformed;		/* payload did not parse */
	uint64_t	 rx_rate_limited;	/* > 1 per second from a peer */
	uint64_t	 revocations_applied;
	uint64_t	 revocations_relayed;	/* fast-propagation sends */
	uint64_t	 gate_no_config;
	uint64_t	 gate_no_com;
	uint64_t	 gate_revoked;
	uint64_t	 gate_disagree;
	uint64_t	 gate_need_identity;
	uint64_t	 pushes;
	uint64_t	 push_payloads;
	uint64_t	 evicted_peers;
	uint64_t	 evicted_peers_revoked;	/* had revocation state */
	uint64_t	 evicted_items;
	uint64_t	 nomem;
	/* §2.1: frames kept until their sender's COM arrives */
	uint64_t	 held;
	uint64_t	 held_delivered;
	uint64_t	 held_expired;
	uint64_t	 held_overflow;		/* queue or peer share full */
};

struct mship_stats {
	struct mship_counters	 c;
	size_t			 peers;
	size_t			 bytes;		/* heap held by the store */
};

/* hands a NETWORK_CREDENTIALS payload to send to a peer */
typedef void	(*mship_send_fn)(void *arg, uint64_t nwid, uint64_t to,
		    const uint8_t *payload, size_t len);

struct mship_store;

/*
 * A store for network nwid seen by node self.  limits NULL: defaults;
 * zero fields take their default too.  NULL when memory runs out.
 */
struct mship_store	*mship_store_new(uint64_t nwid, uint64_t self,
			    const struct mship_limits *);
void	 mship_store_free(struct mship_store *);
uint64_t mship_store_nwid(const struct mship_store *);

/*
 * The current config (NULL: none yet).  The store keeps the pointer:
 * it must stay valid until it is replaced or the store is freed.  Every
 * call counts as a config change: cached agreements are dropped and
 * peers get our credentials again before the next frame (§6.8).
 */
void	 mship_set_config(struct mship_store *, const struct netconf *);
/* the controller's identity (public part copied); NULL: unknown */
void	 mship_set_controller(struct mship_store *, const struct identity *);
/*
 * Identity of a peer or of a capability custody signer, NULL while not
 * known (WHOIS pending).  fn NULL: nothing is known but the controller.
 */
void	 mship_set_lookup(struct mship_store *, const struct cred_lookup *);

/*
 * Receiving NETWORK_CREDENTIALS (§3.4).
 */
enum mship_rx_result {
	MSHIP_RX_OK = 0,	/* parsed to the end (credentials may still
				   have been rejected: see counters) */
	MSHIP_RX_RATE_LIMITED,	/* dropped: another one within 1 s */
	MSHIP_RX_DEFERRED,	/* a signer is unknown: WHOIS info.whois,
				   then feed the same payload again */
	MSHIP_RX_MALFORMED,	/* stopped at bytes that do not parse;
				   credentials before them were applied */
};

struct mship_rx_ops {
	/* the store of a joined network, NULL if not joined (ignored) */
	struct mship_store	*(*find)(void *arg, uint64_t nwid);
	/* fast propagation of a newly accepted revocation (§6.5) */
	mship_send_fn		 send;
	/*
	 * A newly accepted revocation of target's credentials: its gate
	 * already fails; the daemon drops what it caches for it (MAC
	 * routes, multicast subscriptions).  May be NULL.
	 */
	void			(*revoked)(void *arg, uint64_t nwid,
				    uint64_t target);
	void			*arg;
};

struct mship_rx_info {
	unsigned int	 accepted;	/* new or redundant */
	unsigned int	 rejected;
	unsigned int	 ignored;	/* for networks not joined */
	unsigned int	 revoked;	/* revocations newly applied */
	uint64_t	 whois;		/* MSHIP_RX_DEFERRED: who to look up */
	const char	*reason;	/* last rejection or drop (log) */
};

/*
 * Parses every section of the payload (after the verb byte) and routes
 * each credential to its network's store.  from is the VL1 sender (the
 * rate limit and fast propagation are about it).  Never fails on input.
 */
enum mship_rx_result mship_recv_credentials(const struct mship_rx_ops *,
	    uint64_t from, const uint8_t *payload, size_t len, int64_t now,
	    struct mship_rx_info *);

/*
 * A COM carried inline by an EXT_FRAME (flag 0x01, §3.2), offered to
 * this network as a credential is: no rate gate, nothing relayed.
 * MSHIP_RX_OK (accepted or rejected: see info) or MSHIP_RX_DEFERRED.
 */
enum mship_rx_result mship_offer_com(struct mship_store *, uint64_t from,
	    const struct com *, int64_t now, struct mship_rx_info *);

/*
 * The gate (§6.7) for a frame from peer.
 */
enum mship_gate {
	MSHIP_GATE_DENY = 0,
	MSHIP_GATE_ALLOW,
	MSHIP_GATE_NEED_IDENTITY,	/* WHOIS peer, then ask again */
};

/*
 * Public network: allow.  Private: peer's COM is held, newer than its
 * COM revocation threshold, and our own COM agrees with it for the
 * peer's identity.  No config: deny.
 */
enum mship_gate mship_peer_may_send(struct mship_store *, uint64_t peer,
	    int64_t now);
/*
 * §2.1: a frame that fails the gate only because we hold no COM of its
 * sender (never a revoked or disagreeing one) waits for it, at most
 * MSHIP_HELD_MS, MSHIP_HELD_MAX per network and MSHIP_HELD_PER_PEER per
 * sender.  mship_hold() copies the packet: 1 held, 0 not a case for
 * holding, -1 dropped (full; counted).
 */
#define MSHIP_HELD_MAX		32
#define MSHIP_HELD_PER_PEER	4
#define MSHIP_HELD_MS		5000
#define MSHIP_HELD_RETRY_MS	500
int	 mship_hold(struct mship_store *, uint64_t peer, const uint8_t *pkt,
	    size_t len, int64_t now);
/*
 * Drops expired frames (counted); hands those whose sender now holds a
 * COM to deliver (taken out first: deliver runs them through the normal
 * receive path, gate and rules); for the others still waiting, calls ask
 * (the credentials request again) once per MSHIP_HELD_RETRY_MS.
 */
struct mship_held_ops {
	void	(*deliver)(void *arg, uint64_t peer, const uint8_t *pkt,
		    size_t len);
	void	(*ask)(void *arg, uint64_t peer, const uint8_t *pkt,
		    size_t len);
	void	 *arg;
};
void	 mship_held_run(struct mship_store *, int64_t now,
	    const struct mship_held_ops *);
size_t	 mship_held_count(const struct mship_store *);

/* the gate passed: true when MULTICAST_LIKEs to peer are due (60 s) */
bool	 mship_like_due(struct mship_store *, uint64_t peer, int64_t now);
/*
 * Calls fn for every peer that has a record (1.14.1 announces groups to
 * each of its members, §8.2).  fn must not add or drop records: asking
 * the gate or mship_like_due() for the peer is fine.
 */
void	 mship_each_peer(struct mship_store *,
	    void (*fn)(void *, uint64_t peer), void *arg);
/*
 * zt-vl1d: the peer has no live path left.  What we know of it that may
 * be wrong once it is back is marked so: it may have restarted, so our
 * credentials are pushed again (after MSHIP_PUSH_ERROR_HOLDOFF, not
 * MSHIP_PUSH_PERIOD), our LIKEs are due again once it is up, and its
 * next NETWORK_CREDENTIALS is not held to the 1 s receive gate.  Its
 * credentials, thresholds and the agreement verdict stay: they are
 * about the controller's word, not the peer's reachability.
 */
void	 mship_peer_down(struct mship_store *, uint64_t peer);
/*
 * zt-vl1d: the peer is up (first live path, or back).  Back from down:
 * LIKEs are due at once.  Then mship_push_if_due(MSHIP_PUSH_ON_UP):
 * 1 pushed, 0 not due, -1 failed.
 */
int	 mship_peer_up(struct mship_store *, uint64_t peer, int64_t now,
	    mship_send_fn, void *arg);
/* peer's COM timestamp is within 500 s of now */
bool	 mship_recently_associated(const struct mship_store *, uint64_t peer,
	    int64_t now);

/*
 * Pushing our credentials (§6.8).
 */
enum mship_push_why {
	MSHIP_PUSH_BEFORE_SEND,	/* before a FRAME/EXT_FRAME/multicast copy */
	MSHIP_PUSH_ON_ERROR,	/* ERROR(NEED_MEMBERSHIP_CERTIFICATE) */
	/*
	 * zt-vl1d: the peer is up.  Only to a peer whose COM we hold on a
	 * private network; due as before a send, or once the holdoff
	 * passed if the peer may have lost ours (mship_peer_down, or a
	 * COM new to us came from it).
	 */
	MSHIP_PUSH_ON_UP,
};

/* whether a push to peer is due now */
bool	 mship_push_due(struct mship_store *, uint64_t peer, int64_t now,
	    enum mship_push_why);
/*
 * Hands our credentials to send as 1.14.1 packs them (COM, then as many
 * capabilities, tags and COOs per payload as fit) and records the push.
 * 0, or -1 (no config, or memory) with nothing sent.
 */
int	 mship_push(struct mship_store *, uint64_t peer, int64_t now,
	    mship_send_fn, void *arg);
/* mship_push if mship_push_due; 1 pushed, 0 not due, -1 failed */
int	 mship_push_if_due(struct mship_store *, uint64_t peer, int64_t now,
	    enum mship_push_why, mship_send_fn, void *arg);
/*
 * The payloads alone for a config, no bookkeeping: fn is called once
 * per payload with to = 0.  0 or -1.
 */
int	 mship_build_payloads(const struct netconf *, mship_send_fn,
	    void *arg);

/*
 * What the rules engine needs (rules_eval.h).
 */
/* peer's valid tags (§6.7 "using"): up to max into out; the count */
size_t	 mship_remote_tags(const struct mship_store *, uint64_t peer,
	    struct rules_tag *out, size_t max);
/*
 * peer's valid capabilities in the order stored; the rules point into
 * the store and stay valid until the store is next changed.
 */
size_t	 mship_remote_caps(const struct mship_store *, uint64_t peer,
	    struct rules_cap *out, size_t max);
/* our own tags, as rules_env.local_tags wants them */
const struct rules_tag	*mship_local_tags(const struct mship_store *,
	    size_t *n);

/* rules_env.owns_arg for a frame from (inbound) or to peer */
struct mship_owner {
	const struct mship_store	*st;
	uint64_t			 peer;
};
/*
 * rules_env.owns: inbound, peer's valid COOs (and 1.14.1's IPv6
 * shortcut for our own managed prefixes when NDP emulation is on);
 * outbound, our own COOs.
 */
bool	 mship_owns(void *owner, bool inbound, enum rules_thing,
	    const uint8_t *thing);

/*
 * Fills env's tags and owns hook for a frame exchanged with peer (owner
 * must live as long as env is used).  The other fields are the caller's.
 */
void	 mship_rules_env(const struct mship_store *, uint64_t peer,
	    struct mship_owner *, struct rules_tag *remote, size_t max_remote,
	    struct rules_env *);

/* held credentials for zt-ctl and tests; NULL if none */
const struct com	*mship_peer_com(const struct mship_store *,
	    uint64_t peer);
/* COM revocation threshold of peer, 0 if none */
int64_t	 mship_peer_com_threshold(const struct mship_store *, uint64_t peer);
bool	 mship_has_peer(const struct mship_store *, uint64_t peer);
void	 mship_stats(const struct mship_store *, struct mship_stats *);
