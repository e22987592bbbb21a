#pragma once
/*
 * Multicast for a member node (spec/vl2.md §1.4-1.5, §3.3, §3.8, §3.9,
 * §8): the groups this node subscribes to per network and the
 * MULTICAST_LIKEs announcing them, the remote subscribers learned from
 * LIKE and gather replies, recipient choice and gathering for frames the
 * TAP emits, and the receive side of MULTICAST_FRAME, MULTICAST_GATHER
 * and their OKs.
 *
 * No I/O: packets to send leave through the emit callback (the caller
 * runs outbound rules per recipient, pushes credentials and hands the
 * payload to zt-vl1d); the gate, inbound rules and delivery to the TAP
 * stay with the caller.  A root's table is vl1d/mcast.c, not this.
 *
 * Memory is bounded: per network and in total, subscribers and groups
 * beyond the caps push out the least recently refreshed ones, and frames
 * waiting for gathered recipients are capped per group and in bytes;
 * every such drop is counted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "buf.h"
#include "credential.h"
#include "inetaddr.h"
#include "mac.h"

/* verbs this module emits (spec/vl2.md §2) */
#define VL2_MC_VERB_LIKE		0x09
#define VL2_MC_VERB_GATHER		0x0d
#define VL2_MC_VERB_FRAME		0x0e

/* §6.9, §8.2-8.3 */
#define VL2_MC_LIKE_PERIOD		60000	/* LIKE announcements */
#define VL2_MC_LIKE_EXPIRE		600000	/* subscriber's life */
#define VL2_MC_GATHER_DELAY		60000	/* explicit gathers */
#define VL2_MC_TX_TTL			5000	/* queued multicast */
#define VL2_MC_TX_PER_GROUP		32	/* queued per group */
#define VL2_MC_GATHER_TARGETS		16	/* GATHER recipients */
#define VL2_MC_GATHER_MAX		0xffff	/* gather limit cap */
/* VL1 packet: 10 024 bytes, of which 28 are header and verb */
#define VL2_MC_PACKET_MAX		10024
#define VL2_MC_HEADER_LEN		28
/* an OK payload: the packet minus header, in-re verb and packet ID */
#define VL2_MC_OK_PAYLOAD_MAX		\
	(VL2_MC_PACKET_MAX - VL2_MC_HEADER_LEN - 9)
/* MULTICAST_FRAME payloads beyond this are not delivered or sent */
#define VL2_MC_FRAME_DATA_MAX		10000
/*
 * §3.3: a LIKE packet is cut when its size + 24 would reach the maximum,
 * so one packet carries at most 554 records (9 972 payload bytes)
 */
#define VL2_MC_LIKE_REC_LEN		18
#define VL2_MC_LIKE_PER_PACKET		\
	((VL2_MC_PACKET_MAX - 24 - VL2_MC_HEADER_LEN + \
	    VL2_MC_LIKE_REC_LEN - 1) / VL2_MC_LIKE_REC_LEN)
/* §13: groups the port reports; addresses; groups behind a bridge */
#define VL2_MC_REPORT_MAX		1024
#define VL2_MC_ADDR_MAX			32
#define VL2_MC_BRIDGED_MAX		1024
#define VL2_MC_LOCAL_MAX		\
	(VL2_MC_REPORT_MAX + VL2_MC_ADDR_MAX + VL2_MC_BRIDGED_MAX + 1)
/* active bridges and upstream targets per network (specialists cap) */
#define VL2_MC_BRIDGES_MAX		256

/* MULTICAST_FRAME flags (§3.9) */
#define VL2_MC_FF_COM			0x01
#define VL2_MC_FF_GATHER		0x02
#define VL2_MC_FF_SRC			0x04
#define VL2_MC_FF_REPLICATE		0x08
/* MULTICAST_GATHER flags (§3.8) */
#define VL2_MC_GF_COM			0x01
/* OK(MULTICAST_FRAME) flags (§3.9) */
#define VL2_MC_OKF_COM			0x01
#define VL2_MC_OKF_GATHER		0x02

/* outcomes; everything but VL2_MC_ACCEPT is a counted drop */
enum vl2_mc_result {
	VL2_MC_ACCEPT = 0,
	VL2_MC_DROP_MALFORMED,		/* short, bad field, bad COM */
	VL2_MC_DROP_TRAILING,		/* LIKE: bytes after the records */
	VL2_MC_DROP_NOT_JOINED,		/* nwid of no joined network */
	VL2_MC_DROP_NOT_ALLOWED,	/* LIKE record the caller refused */
	VL2_MC_DROP_LIMIT_ZERO,		/* multicast limit is 0 */
	VL2_MC_DROP_NO_PAYLOAD,		/* 0 or > 10 000 bytes */
	VL2_MC_DROP_DEST_UNICAST,	/* destination not multicast */
	VL2_MC_DROP_BAD_SOURCE,		/* zero, multicast or ours */
	VL2_MC_DROP_NOT_BRIDGE,		/* foreign source, no bridge */
	VL2_MC_DROP_BROADCAST_OFF,	/* broadcast disabled on network */
	VL2_MC_DROP_NO_RECIPIENT,	/* sent to nobody and not queued */
	VL2_MC_DROP_QUEUE_FULL,		/* oldest queued one dropped */
	VL2_MC_DROP_QUEUE_BYTES,	/* queue byte cap: not queued */
	VL2_MC_DROP_EVICT_MEMBER,	/* subscriber pushed out by a cap */
	VL2_MC_DROP_EVICT_GROUP,	/* group pushed out by a cap */
	VL2_MC_DROP_NOMEM,
	VL2_MC_RESULT_MAX
};

/* a frame for MULTICAST_FRAME, parsed or to be built */
struct vl2_mc_frame {
	uint64_t		 nwid;
	uint8_t			 flags;
	bool			 has_com;
	struct com		 com;		/* flag 0x01, received */
	const uint8_t		*com_wire;	/* flag 0x01, to send */
	size_t			 com_len;
	uint32_t		 gather_limit;	/* flag 0x02 */
	uint64_t		 src;		/* flag 0x04; else 0 */
	struct mac_group	 group;	/* destination MAC, ADI */
	uint16_t		 ethertype;
	const uint8_t		*data;
	size_t			 len;
};

/* MULTICAST_GATHER */
struct vl2_mc_gather {
	uint64_t		 nwid;
	uint8_t			 flags;
	struct mac_group	 group;
	uint32_t		 limit;
	bool			 has_com;
	struct com		 com;
};

/*
 * A gather result as OK(MULTICAST_GATHER) and OK(MULTICAST_FRAME) carry
 * it; addrs points into the packet (count 5-byte addresses).
 */
struct vl2_mc_gathered {
	uint64_t		 nwid;
	struct mac_group	 group;
	uint8_t			 flags;	/* OK(MULTICAST_FRAME) */
	bool			 has_com;
	struct com		 com;
	bool			 has_result;
	uint32_t		 total;
	uint16_t		 count;
	const uint8_t		*addrs;
};

/* one MULTICAST_LIKE record */
struct vl2_mc_like {
	uint64_t		 nwid;
	struct mac_group	 group;
};

/* what the caller sends; payload is valid during the call only */
struct vl2_mc_out {
	uint64_t		 nwid;
	uint64_t		 to;	/* VL2_MC_TO_ROOT: best root */
	uint8_t			 verb;
	const uint8_t		*payload;
	size_t			 len;
	/* VL2_MC_VERB_FRAME: the frame, for outbound rules per recipient */
	const struct vl2_mc_frame *frame;
};
/* address 0 is no node: it stands for "the best root", which vl1d picks */
#define VL2_MC_TO_ROOT			0

/* emit must not call back into this module */
struct vl2_mc_io {
	void		(*emit)(void *arg, const struct vl2_mc_out *);
	void		*arg;
};

/* a network's multicast settings, from its config (§5) */
struct vl2_mc_conf {
	uint64_t		 self;		/* our address */
	uint32_t		 limit;	/* "ml", max recipients */
	bool			 broadcast;	/* ENABLE_BROADCAST */
	/* active bridges other than ourselves, in config order */
	uint64_t		 bridges[VL2_MC_BRIDGES_MAX];
	size_t			 nbridges;
	/* controller, anchors, replicators (not self): gather targets */
	uint64_t		 upstream[VL2_MC_GATHER_TARGETS];
	size_t			 nupstream;
	/*
	 * §8.3 step 1: the alive MULTICAST_REPLICATOR with the lowest
	 * latency (0: none, as the open-source controller never names
	 * one); used unless we are an active bridge ourselves
	 */
	uint64_t		 replicator;
	bool			 self_bridge;
	/* we are a designated replicator: flag 0x08 frames are re-sent */
	bool			 self_replicator;
};

struct vl2_mc_sub;
struct vl2_mc_group;
struct vl2_mc_tx;
TAILQ_HEAD(vl2_mc_sublist, vl2_mc_sub);
TAILQ_HEAD(vl2_mc_grouplist, vl2_mc_group);
TAILQ_HEAD(vl2_mc_txlist, vl2_mc_tx);

struct vl2_mc_bridged {
	struct mac_group	 group;
	int64_t			 last;
};

struct vl2_mc_net {
	uint64_t		 nwid;
	uint64_t		 mac;	/* our MAC on this network */
	struct vl2_mc_conf	 conf;
	bool			 configured;
	/* local subscriptions: their union is local[], sorted */
	struct mac_group	 report[VL2_MC_REPORT_MAX];
	size_t			 nreport;
	struct mac_group	 addrs[VL2_MC_ADDR_MAX];
	size_t			 naddrs;
	struct vl2_mc_bridged	 bridged[VL2_MC_BRIDGED_MAX];
	size_t			 nbridged;
	struct mac_group	 local[VL2_MC_LOCAL_MAX];
	size_t			 nlocal;
	int64_t			 last_upstream;	/* upstream LIKEs */
	bool			 announced;
	/* remote subscribers: groups sorted by group, both in LRU order */
	struct vl2_mc_group	**groups;
	size_t			 ngroups, cgroups;
	struct vl2_mc_grouplist	 glru;
	struct vl2_mc_sublist	 slru;
	size_t			 nsubs;
	/* (group, address) -> subscriber, so a big group is no scan */
	struct vl2_mc_sub	**hash;
	size_t			 nhash;
	uint64_t		 seed;
	LIST_ENTRY(vl2_mc_net)	 entry;
};

struct vl2_mc_caps {
	size_t			 groups_per_net;
	size_t			 subs_per_net;
	size_t			 subs_total;
	size_t			 queued_bytes;
};

struct vl2_mc {
	LIST_HEAD(, vl2_mc_net)	 nets;
	size_t			 nnets;
	struct vl2_mc_caps	 caps;
	struct vl2_mc_io	 io;
	uint64_t		 rng;
	size_t			 nsubs;		/* all networks */
	size_t			 queued;	/* bytes in tx queues */
	uint64_t		 drops[VL2_MC_RESULT_MAX];
	uint64_t		 sent_frames, sent_gathers, sent_likes;
	uint64_t		 delivered, gather_answers;
};

/* defaults for struct vl2_mc_caps when the caller passes NULL */
#define VL2_MC_DEF_GROUPS_PER_NET	4096
#define VL2_MC_DEF_SUBS_PER_NET		16384
#define VL2_MC_DEF_SUBS_TOTAL		65536
#define VL2_MC_DEF_QUEUED_BYTES		(1024 * 1024)

/* seed: random, for the choice of recipients and gather answers */
void	 vl2_mc_init(struct vl2_mc *, const struct vl2_mc_caps *,
	    const struct vl2_mc_io *, uint64_t seed);
void	 vl2_mc_free(struct vl2_mc *);
/* the counter's name for logs and zt-ctl */
const char	*vl2_mc_result_name(enum vl2_mc_result);

/* networks: created at join, freed at leave */
struct vl2_mc_net	*vl2_mc_net_add(struct vl2_mc *, uint64_t nwid);
struct vl2_mc_net	*vl2_mc_net_find(struct vl2_mc *, uint64_t nwid);
void	 vl2_mc_net_remove(struct vl2_mc *, struct vl2_mc_net *);
/*
 * A new or changed config; our own address is never a bridge or target.
 * Enabling broadcast subscribes the broadcast group: like the setters
 * below it returns the newly subscribed groups in added.  -1 for more
 * bridges or upstream targets than the caps (nothing changes).
 */
int	 vl2_mc_net_configure(struct vl2_mc *, struct vl2_mc_net *,
	    const struct vl2_mc_conf *, struct mac_group *added);

/*
 * Local subscriptions (§8.1).  Each setter replaces one source: the
 * groups zt-tapd reported (TAP_MCAST_REPORT, the whole set), the
 * address-resolution groups of our assigned addresses, or adds one group
 * learned behind us as a bridge.  Groups that were not subscribed before
 * are copied to added (room for VL2_MC_LOCAL_MAX, or NULL to only
 * count them): 1.14.1 announces
 * those at once, to upstream and to every member (vl2_mc_like_emit).
 * Returns the number of added groups, or -1 for a bad set (then nothing
 * changes).
 */
int	 vl2_mc_local_report(struct vl2_mc_net *, const struct mac_group *,
	    size_t n, struct mac_group *added);
int	 vl2_mc_local_addrs(struct vl2_mc_net *, const struct inetaddr *,
	    size_t n, struct mac_group *added);
int	 vl2_mc_local_bridged(struct vl2_mc_net *, const struct mac_group *,
	    int64_t now, struct mac_group *added);
bool	 vl2_mc_subscribed(const struct vl2_mc_net *,
	    const struct mac_group *);
/*
 * TAP_MCAST_REPORT's body after the device reference: u16 n (<= 1024),
 * n × (MAC(6), u32 ADI); every byte consumed.  0 or -1.
 */
int	 vl2_mc_report_parse(struct rbuf *, struct mac_group *, size_t *n);

/*
 * Announcing (§8.2).  vl2_mc_like_emit() emits our groups (all of them
 * when the list is NULL, else the given ones) to one node in as few
 * MULTICAST_LIKEs as 1.14.1 packs.  vl2_mc_upstream_due() is true, and
 * records now, when the 60 s upstream announcement is due: the caller
 * then emits to the controller, every root and the anchors/replicators.
 * vl2_mc_peer_due() decides the same for a member from the time kept in
 * its membership record.
 */
void	 vl2_mc_like_emit(struct vl2_mc *, struct vl2_mc_net *, uint64_t to,
	    const struct mac_group *, size_t n);
bool	 vl2_mc_upstream_due(struct vl2_mc_net *, int64_t now);
bool	 vl2_mc_peer_due(int64_t *last_sent, int64_t now);
/*
 * The periodic pass of §8.2 for one network, built on the above: when
 * due, all groups to every root in roots[] (vl1d's list, moons
 * included) and to the config's upstream (controller, anchors,
 * replicators); true if that happened.  Then, per member that passes
 * the gate, vl2_mc_announce_peer() with its record's LIKE time.
 */
bool	 vl2_mc_announce_upstream(struct vl2_mc *, struct vl2_mc_net *,
	    const uint64_t *roots, size_t nroots, int64_t now);
bool	 vl2_mc_announce_peer(struct vl2_mc *, struct vl2_mc_net *,
	    uint64_t peer, int64_t *last_sent, int64_t now);

/* payload builders; 0 or -1 (wbuf full) */
int	 vl2_mc_like_put(struct wbuf *, uint64_t nwid,
	    const struct mac_group *);
int	 vl2_mc_gather_put(struct wbuf *, uint64_t nwid,
	    const struct mac_group *, uint32_t limit, const uint8_t *com,
	    size_t comlen);
int	 vl2_mc_frame_put(struct wbuf *, const struct vl2_mc_frame *);

/* parsers: 0, or -1 when malformed (short, trailing bytes, bad COM) */
int	 vl2_mc_like_next(struct rbuf *, struct vl2_mc_like *);
int	 vl2_mc_gather_parse(const uint8_t *, size_t,
	    struct vl2_mc_gather *);
int	 vl2_mc_frame_parse(const uint8_t *, size_t, struct vl2_mc_frame *);
/* the OK payloads after the in-re verb and packet ID */
int	 vl2_mc_gather_ok_parse(const uint8_t *, size_t,
	    struct vl2_mc_gathered *);
int	 vl2_mc_frame_ok_parse(const uint8_t *, size_t,
	    struct vl2_mc_gathered *);

/*
 * Remote subscribers (§8.2).  Never ourselves.  A new subscriber gets
 * the queued multicasts of its group at once.  0, or -1 when the network
 * is not known or memory ran out.
 */
int	 vl2_mc_subscribe(struct vl2_mc *, struct vl2_mc_net *,
	    const struct mac_group *, uint64_t addr, int64_t now);
/*
 * ERROR(UNWANTED_MULTICAST) from a peer that passed the gate; its
 * payload (nwid, MAC, ADI) is one LIKE record: vl2_mc_like_next()
 */
void	 vl2_mc_unsubscribe(struct vl2_mc *, struct vl2_mc_net *,
	    const struct mac_group *, uint64_t addr);
/* up to max subscribers of a group; returns how many */
size_t	 vl2_mc_members(const struct vl2_mc_net *,
	    const struct mac_group *, uint64_t *out, size_t max);
/* every 30 s or so: forgets stale subscribers and queued multicasts */
void	 vl2_mc_expire(struct vl2_mc *, int64_t now);

/*
 * MULTICAST_LIKE from sender: each record of a joined network for which
 * allowed() says yes (the sender passes the gate, §3.3; NULL: all)
 * adds or refreshes the sender.  Returns the number of records taken.
 * Records of other networks, and bytes after the last whole record
 * (1.14.1 ignores them too), are counted drops.
 */
int	 vl2_mc_like_receive(struct vl2_mc *, uint64_t sender,
	    const uint8_t *, size_t, int64_t now,
	    bool (*allowed)(void *, uint64_t nwid), void *arg);
/*
 * MULTICAST_GATHER / implicit gather: writes the gather result (§3.8)
 * for requester into w and returns the number of addresses; 0 means
 * no reply is sent.  The caller has checked that requester may ask.
 * w holds the OK payload from its start: the result stops where the
 * packet would pass 10 024 bytes, or where a fixed w is full.  The
 * answers below want a w of VL2_MC_OK_PAYLOAD_MAX bytes.
 */
unsigned int	 vl2_mc_gather_result(struct vl2_mc *, struct vl2_mc_net *,
		    const struct mac_group *, uint64_t requester,
		    uint32_t limit, struct wbuf *w);
/*
 * OK(MULTICAST_GATHER) payload for a parsed request into w: 0 when one
 * is to be sent, else a result (nothing to say is VL2_MC_DROP_NO_RECIPIENT)
 */
enum vl2_mc_result	 vl2_mc_gather_answer(struct vl2_mc *,
			    struct vl2_mc_net *, uint64_t requester,
			    const struct vl2_mc_gather *, struct wbuf *w);
/*
 * OK(MULTICAST_GATHER) or OK(MULTICAST_FRAME): learn the members.  The
 * caller has matched the OK to a GATHER or frame we sent (§3.9).
 */
enum vl2_mc_result	 vl2_mc_gathered_apply(struct vl2_mc *,
			    const struct vl2_mc_gathered *, int64_t now);
/*
 * MULTICAST_FRAME from sender, already past the gate (§3.9 steps 2-4).
 * VL2_MC_ACCEPT: the caller runs inbound rules on (src, group.mac,
 * ethertype, data) and delivers; *bridged says the source MAC is behind
 * sender (learn it).  ok gets the OK(MULTICAST_FRAME) payload when an
 * implicit gather has an answer (empty otherwise), whatever the rules
 * decide.  A frame with no payload is VL2_MC_DROP_NO_PAYLOAD and may
 * still get an answer.  A designated replicator re-sends a frame that
 * asks for it (flag 0x08) to the group before any of that.
 */
enum vl2_mc_result	 vl2_mc_frame_receive(struct vl2_mc *,
			    struct vl2_mc_net *, uint64_t sender,
			    bool sender_bridge, struct vl2_mc_frame *,
			    int64_t now, bool *bridged, struct wbuf *ok);

/*
 * The group a frame from the TAP goes to (§1.5 steps 1-3): ARP requests
 * to (broadcast, target IPv4), other broadcast only if enabled, else
 * (destination, 0).  0 or VL2_MC_DROP_BROADCAST_OFF.
 */
enum vl2_mc_result	 vl2_mc_group_for_frame(uint64_t dst,
			    uint16_t ethertype, const uint8_t *data,
			    size_t len, bool broadcast, struct mac_group *);
/*
 * Sends a multicast frame from the TAP (§8.3 steps 2-5): to active
 * bridges first, then known subscribers in random order, up to the
 * limit; with too few known it gathers (rate-limited) and queues the
 * frame for 5 s.  src is the frame's source MAC (flag 0x04 when it is
 * not ours, i.e. bridged in); com_wire, if not NULL, is attached (flag
 * 0x01, deprecated, 1.14.1 does not).  origin (0: none) never gets a
 * copy.  gather_com is our COM for the explicit GATHER (may be NULL).
 * With a replicator configured, one copy goes to it instead (step 1).
 * Returns VL2_MC_ACCEPT when at least one copy went out or the frame
 * was queued.
 */
struct vl2_mc_send {
	struct mac_group	 group;
	uint64_t		 src;
	uint16_t		 ethertype;
	const uint8_t		*data;
	size_t			 len;
	uint64_t		 origin;
	const uint8_t		*com_wire;
	size_t			 com_len;
	const uint8_t		*gather_com;
	size_t			 gather_com_len;
};
enum vl2_mc_result	 vl2_mc_send(struct vl2_mc *, struct vl2_mc_net *,
			    const struct vl2_mc_send *, int64_t now);
