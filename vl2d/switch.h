#pragma once
/*
 * Frame switching for one joined network (spec/vl2.md §1.5-1.6, §3.1,
 * §3.2, §3.9 step 3, §7.7, §9), as ZeroTier One 1.14.1's Switch and
 * IncomingPacket do it: Ethernet frames from the TAP become FRAME /
 * EXT_FRAME payloads for peers (or multicast for the multicast module),
 * and FRAME / EXT_FRAME payloads from peers become Ethernet frames for
 * the TAP, with the rules engine applied both ways and Ethernet bridging
 * for active bridges.
 *
 * The module does no I/O and keeps no clock: the caller passes `now`
 * (ms) and a struct sw_io of hooks through which everything leaves
 * (packets to send, frames for the TAP, multicast hand-off) and through
 * which membership questions are asked (the gate, the other party's
 * tags, capabilities and certificates of ownership).  Every decision is
 * one enum sw_result, counted in struct sw_counters.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "log.h"
#include "mac.h"
#include "netconf.h"
#include "rules_eval.h"

/* VL1 verbs this module emits */
#define SW_VERB_OK			0x03
#define SW_VERB_ERROR			0x02
#define SW_VERB_FRAME			0x06
#define SW_VERB_EXT_FRAME		0x07
/* ERROR code for a sender that fails the gate (§2.1) */
#define SW_ERR_NEED_MEMBERSHIP_CERT	0x06

/* EXT_FRAME flags (§3.2) */
#define SW_EXT_F_COM			0x01
#define SW_EXT_F_ACK			0x10

/* payload prefixes: FRAME nwid+ethertype; EXT_FRAME without COM */
#define SW_FRAME_HEAD			10
#define SW_EXT_FRAME_HEAD		23
#define SW_ETH_HEAD			14
/* longest prefix handed to sw_io.send (ERROR/OK replies included) */
#define SW_HEAD_MAX			SW_EXT_FRAME_HEAD

#define SW_ETHERTYPE_IPV4		0x0800
#define SW_ETHERTYPE_ARP		0x0806
#define SW_ETHERTYPE_IPV6		0x86dd

/* bridged unicast to unknown MACs goes to at most this many bridges */
#define SW_MAX_BRIDGE_SPAM		32
/* inbound multicast payloads 1.14.1 delivers (§3.9) */
#define SW_MULTICAST_PAYLOAD_MAX	10000

/*
 * MAC table (MACs learned behind active bridges): 1.14.1 caps it at
 * 67M entries and never expires them; a daemon holding many networks
 * wants far less, and a host that moved to another bridge is relearned
 * from its next frame anyway.
 */
#define SW_MACTAB_MAX_DEFAULT		65536
#define SW_MACTAB_TTL_DEFAULT		(600 * 1000)

/*
 * Every outcome, with the counter it bumps.  X(ENUM, counter, is_drop).
 * Outbound results start with OUT, inbound ones with IN.
 */
#define SW_RESULTS(X)							\
	/* from the TAP */						\
	X(OUT_UNICAST,		out_unicast,		false)		\
	X(OUT_BRIDGED,		out_bridged,		false)		\
	X(OUT_MULTICAST,	out_multicast,		false)		\
	X(OUT_LOCAL,		out_local,		false)		\
	X(OUT_NDP,		out_ndp_emulated,	false)		\
	X(OUT_REDIRECTED,	out_redirected,		false)		\
	X(OUT_NO_CONFIG,	out_drop_no_config,	true)		\
	X(OUT_RUNT,		out_drop_runt,		true)		\
	X(OUT_TOO_BIG,		out_drop_too_big,	true)		\
	X(OUT_NOT_BRIDGE,	out_drop_not_bridge,	true)		\
	X(OUT_BROADCAST_OFF,	out_drop_broadcast_off,	true)		\
	X(OUT_MULTICAST_OFF,	out_drop_multicast_off,	true)		\
	X(OUT_FILTER,		out_drop_filter,	true)		\
	X(OUT_NO_ROUTE,		out_drop_no_route,	true)		\
	X(OUT_BAD_DEST,		out_drop_bad_dest,	true)		\
	/* from peers */						\
	X(IN_DELIVERED,		in_delivered,		false)		\
	X(IN_EMPTY,		in_empty,		false)		\
	X(IN_OWN_SOURCE,	in_ignored_source,	false)		\
	X(IN_REDIRECTED,	in_redirected,		false)		\
	X(IN_MALFORMED,		in_drop_malformed,	true)		\
	X(IN_WRONG_NETWORK,	in_drop_wrong_network,	true)		\
	X(IN_GATE,		in_drop_gate,		true)		\
	X(IN_FILTER,		in_drop_filter,		true)		\
	X(IN_BRIDGING_REMOTE,	in_drop_bridging_remote, true)		\
	X(IN_BRIDGING_LOCAL,	in_drop_bridging_local,	true)		\
	X(IN_MULTICAST_OFF,	in_drop_multicast_off,	true)		\
	X(IN_BAD_MULTICAST,	in_drop_bad_multicast,	true)

enum sw_result {
#define SW_X_ENUM(e, c, d)	SW_##e,
	SW_RESULTS(SW_X_ENUM)
#undef SW_X_ENUM
	SW_RESULT_COUNT
};

struct sw_counters {
#define SW_X_FIELD(e, c, d)	uint64_t c;
	SW_RESULTS(SW_X_FIELD)
#undef SW_X_FIELD
	/* not results: things done on the side */
	uint64_t	 out_copies;	/* TEE/WATCH copies sent outbound */
	uint64_t	 in_copies;	/* TEE/WATCH copies sent inbound */
	uint64_t	 bridge_blocked; /* per-bridge pass refused a copy */
	uint64_t	 acks;		/* OK(EXT_FRAME) sent */
	uint64_t	 errors;	/* ERROR(NEED_MEMBERSHIP_CERT) sent */
	uint64_t	 mac_learned;	/* new MAC table entries */
	uint64_t	 mac_evicted;	/* removed because the table was full */
	uint64_t	 mac_expired;
};

/* the remote party's credentials as the membership store holds them */
struct sw_peer_info {
	/* valid tags (§6.7 "using a stored tag"); none = not known yet */
	const struct rules_tag	*tags;
	size_t			 ntags;
	/* inbound only: the sender's valid capabilities, storage order */
	const struct rules_cap	*caps;
	size_t			 ncaps;
};

struct sw_net;

/*
 * What the module needs from the daemon.  Hooks marked optional may be
 * NULL.  `net` is passed back so one sw_io can serve every network.
 */
struct sw_io {
	/*
	 * Sends a VL2 packet: verb, then a payload made of head (at most
	 * SW_HEAD_MAX bytes) followed by data.  compress: 1.14.1
	 * compresses this packet (TEE/WATCH/REDIRECT copies).
	 */
	void	(*send)(void *arg, struct sw_net *, uint64_t to, uint8_t verb,
		    const uint8_t *head, size_t headlen, const uint8_t *data,
		    size_t datalen, bool compress);
	/* an Ethernet II frame for the TAP: 14-byte header, then data */
	void	(*deliver)(void *arg, struct sw_net *,
		    const uint8_t eth[SW_ETH_HEAD], const uint8_t *data,
		    size_t len);
	/*
	 * A frame for a multicast group, passed the first outbound filter
	 * pass (§8.3): the multicast module sends it, running
	 * sw_filter_recipient() per copy.  src_mac is 0 for our own MAC,
	 * else the bridged-in source.
	 */
	void	(*multicast)(void *arg, struct sw_net *, int64_t now,
		    const struct mac_group *, uint64_t src_mac,
		    uint16_t ethertype, const uint8_t *data, size_t len);
	/* optional: a bridged-in host joined this group (§9.1 step 2) */
	void	(*bridged_group)(void *arg, struct sw_net *, int64_t now,
		    const struct mac_group *);
	/* the gate (§6.7): may this peer send frames on the network now */
	bool	(*may_send)(void *arg, struct sw_net *, uint64_t peer,
		    int64_t now);
	/* optional: the peer's tags and capabilities (zeroed: none) */
	void	(*peer_info)(void *arg, struct sw_net *, uint64_t peer,
		    int64_t now, struct sw_peer_info *);
	/* optional: does the sender hold a valid COO for this thing */
	bool	(*peer_owns)(void *arg, struct sw_net *, uint64_t peer,
		    enum rules_thing, const uint8_t *thing);
	/* optional: a COM carried inline by EXT_FRAME (flag 0x01) */
	void	(*offer_com)(void *arg, struct sw_net *, uint64_t peer,
		    const struct com *, int64_t now);
	/* optional: push our credentials to a member first if due (§6.8) */
	void	(*push_credentials)(void *arg, struct sw_net *, uint64_t peer,
		    int64_t now);
	/* optional: MATCH_RANDOM and bridge picking; NULL: arc4random */
	uint32_t (*random)(void *arg);
};

struct sw_mac_entry {
	uint64_t	 mac;		/* 0 = free slot (never learned) */
	uint64_t	 bridge;
	int64_t		 seen;
	uint32_t	 next;		/* chain in bucket / free list */
};

struct sw_mactab {
	struct sw_mac_entry	*e;
	uint32_t		*bucket;	/* nbucket chain heads */
	uint32_t		 nbucket;	/* power of two */
	uint32_t		 cap;		/* entries allocated */
	uint32_t		 n;		/* entries in use */
	uint32_t		 used;		/* slots handed out so far */
	uint32_t		 free;		/* free list head */
	uint32_t		 max;
	int64_t			 ttl;
	uint64_t		 seed;		/* keys the hash: MACs come
						   from the network */
};

struct sw_net {
	uint64_t		 nwid;
	uint64_t		 self;		/* our ZeroTier address */
	uint64_t		 mac;		/* our MAC on this network */
	/* borrowed from the caller, NULL until a config arrives */
	const struct netconf	*nc;
	/* derived from nc by sw_net_set_config() */
	uint64_t		*bridges;	/* active bridges, config order */
	uint64_t		*bridges_sorted;
	size_t			 nbridges;
	bool			 self_bridge;
	struct rules_tag	*tags;		/* our own tags */
	size_t			 ntags;
	struct rules_cap	*caps;		/* our own capabilities */
	size_t			 ncaps;
	struct sw_mactab	 mactab;
	struct sw_counters	 counters;
	/* hostile input (malformed, spoofed) is logged, rate-limited */
	struct log_drops	 drops;
	const struct sw_io	*io;
	void			*io_arg;
};

/*
 * Sets up a network with no config.  mactab_max / mactab_ttl 0 take the
 * defaults.  -1 on bad arguments or when memory runs out.
 */
int	 sw_net_init(struct sw_net *, uint64_t nwid, uint64_t self,
	    const struct sw_io *, void *io_arg, uint32_t mactab_max,
	    int64_t mactab_ttl);
void	 sw_net_free(struct sw_net *);
/*
 * Takes a new config (NULL: none).  The module keeps the pointer: the
 * config must stay unchanged until the next call or sw_net_free().
 * -1 if nc is for another network or memory runs out (the network is
 * then left without a config, so it drops frames rather than use a
 * half-applied one).
 */
int	 sw_net_set_config(struct sw_net *, const struct netconf *nc);

/* the network id at the start of a FRAME / EXT_FRAME payload */
int	 sw_payload_nwid(const uint8_t *, size_t, uint64_t *nwid);
/* true if addr is listed as an active bridge in the current config */
bool	 sw_is_bridge(const struct sw_net *, uint64_t addr);

/*
 * An Ethernet frame read from the TAP (§9.1).  Result: OUT_*.
 */
enum sw_result sw_outbound(struct sw_net *, int64_t now,
	    const uint8_t *frame, size_t len);

/*
 * A FRAME / EXT_FRAME payload (after the verb byte) from peer, in
 * packet packet_id (quoted by replies).  Result: IN_*.  IN_GATE has
 * sent ERROR(NEED_MEMBERSHIP_CERTIFICATE); the caller may keep the
 * packet and retry it (§2.1).
 */
enum sw_result sw_inbound_frame(struct sw_net *, int64_t now,
	    uint64_t peer, uint64_t packet_id, const uint8_t *payload,
	    size_t len);
enum sw_result sw_inbound_ext_frame(struct sw_net *, int64_t now,
	    uint64_t peer, uint64_t packet_id, const uint8_t *payload,
	    size_t len);

/*
 * A MULTICAST_FRAME the multicast module parsed, after its gate (§3.9
 * step 3): source checks, bridge learning, inbound rules, delivery.
 * src_mac is the frame's source (MAC(peer) when the flag was clear).
 */
enum sw_result sw_inbound_multicast(struct sw_net *, int64_t now,
	    uint64_t peer, uint64_t src_mac, uint64_t dst_mac,
	    uint16_t ethertype, const uint8_t *data, size_t len);

/*
 * The per-recipient outbound pass of a multicast copy (§8.3 step 5):
 * rules with ztDest = to and TEE off.  True: send the copy.  A REDIRECT
 * sends the frame to its target here and returns false.
 */
bool	 sw_filter_recipient(struct sw_net *, int64_t now, uint64_t to,
	    uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
	    const uint8_t *data, size_t len);

/* the bridge a MAC was learned behind, 0 if none (or expired) */
uint64_t sw_mac_lookup(const struct sw_net *, int64_t now, uint64_t mac);
/* housekeeping: removes expired MAC table entries */
void	 sw_expire(struct sw_net *, int64_t now);
size_t	 sw_mac_count(const struct sw_net *);

/* counter name of a result ("out_unicast", ...) */
const char	*sw_result_name(enum sw_result);
bool	 sw_result_is_drop(enum sw_result);
/* calls fn for every counter, in declaration order, for zt-ctl */
void	 sw_counters_foreach(const struct sw_counters *,
	    void (*fn)(void *, const char *name, uint64_t value), void *arg);
