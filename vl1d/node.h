#pragma once
/*
 * The VL1 engine: receive pipeline, verbs, sending, relaying, roots and
 * the ping schedule of spec/vl1.md, with no I/O of its own.  zt-vl1d's
 * main loop feeds it datagrams and the clock; it answers through the
 * callbacks in struct vl1_io.  Tests run several engines over a
 * simulated wire.  It never holds a secret key: per-peer keys come from
 * the agree callback (the key holder).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "inetaddr.h"
#include "mcast.h"
#include "peer.h"
#include "world.h"

#define VL1_MAX_MOONS		8
#define VL1_MAX_TRUSTED		16	/* trusted physical networks */
#define VL1_MAX_BLACKLIST	32	/* physical networks never used */
#define VL1_MAX_PHYS_MTU	32	/* physical networks with their MTU */
#define VL1_MAX_VIRTUAL		64	/* peers with local.conf hints */
#define VL1_VIRTUAL_TRY		4
#define VL1_VIRTUAL_BLACKLIST	8
#define VL1_TRY_INTERVAL	30000	/* ZT_TRY_MEMORIZED_PATH_INTERVAL */
#define VL1_SEEK_INTERVAL	1000	/* HELLO to a moon's seed */
#define ARMOR_SUITE_TRUSTED	2	/* cipher 2 (spec/vl1.md §3.4) */
#define VL1_PARK_MAX		32	/* parked packets, each direction */
#define VL1_PARK_TIMEOUT	5000
#define VL1_WHOIS_RETRY		500
/* all WHOIS together: a burst of 32, then 10 a second */
#define VL1_WHOIS_BURST		32
#define VL1_WHOIS_RATE		10
#define VL1_PING_CHECK		5000
#define VL1_HOUSEKEEPING	30000
#define VL1_RELAY_MAX_HOPS	3
#define VL1_UNITE_INTERVAL	30000
#define VL1_TRUST_EXPIRATION	600000
#define VL1_IDV_BUCKETS		16384
#define VL1_IDV_INTERVAL	2000	/* x86-64 value of 1.14.1 */
/* a root's multicast table (spec/vl2.md §8.2) */
#define VL1_MC_MAX_GROUPS	16384
#define VL1_MC_MAX_MEMBERS	262144

/* what we advertise: protocol 12 with 1.14.1's version numbers */
#define VL1_PROTO_VERSION	12
#define VL1_VERSION_MAJOR	1
#define VL1_VERSION_MINOR	14
#define VL1_VERSION_REV		1

enum vl1_verb {
	VL1_VERB_NOP = 0x00,
	VL1_VERB_HELLO = 0x01,
	VL1_VERB_ERROR = 0x02,
	VL1_VERB_OK = 0x03,
	VL1_VERB_WHOIS = 0x04,
	VL1_VERB_RENDEZVOUS = 0x05,
	VL1_VERB_FRAME = 0x06,
	VL1_VERB_EXT_FRAME = 0x07,
	VL1_VERB_ECHO = 0x08,
	VL1_VERB_MULTICAST_LIKE = 0x09,
	VL1_VERB_NETWORK_CREDENTIALS = 0x0a,
	VL1_VERB_NETWORK_CONFIG_REQUEST = 0x0b,
	VL1_VERB_NETWORK_CONFIG = 0x0c,
	VL1_VERB_MULTICAST_GATHER = 0x0d,
	VL1_VERB_MULTICAST_FRAME = 0x0e,
	VL1_VERB_PUSH_DIRECT_PATHS = 0x10,
	VL1_VERB_ACK = 0x12,
	VL1_VERB_QOS_MEASUREMENT = 0x13,
	VL1_VERB_USER_MESSAGE = 0x14,
	VL1_VERB_REMOTE_TRACE = 0x15,
	VL1_VERB_PATH_NEGOTIATION_REQUEST = 0x16,
};

#define VL1_VERB_SLOTS		32	/* the verb field's 5 bits */
#define VL1_ERROR_SLOTS		16
#define VL1_RX			0
#define VL1_TX			1

enum vl1_error {
	VL1_ERR_INVALID_REQUEST = 0x01,
	VL1_ERR_BAD_PROTOCOL_VERSION = 0x02,
	VL1_ERR_OBJ_NOT_FOUND = 0x03,
	VL1_ERR_IDENTITY_COLLISION = 0x04,
	VL1_ERR_UNSUPPORTED_OPERATION = 0x05,
	VL1_ERR_NEED_MEMBERSHIP_CERTIFICATE = 0x06,
	VL1_ERR_NETWORK_ACCESS_DENIED = 0x07,
	VL1_ERR_UNWANTED_MULTICAST = 0x08,
	VL1_ERR_NETWORK_AUTHENTICATION_REQUIRED = 0x09,
};

struct vl1_io {
	void	*arg;
	/*
	 * Sends one datagram from local socket sock (-1: from every
	 * socket), with an IP TTL when ttl > 0 (hole punching).
	 */
	void	(*send)(void *arg, int sock, const struct inetaddr *to,
		    const uint8_t *, size_t, int ttl);
	/* per-peer key from the key holder; 0 or -1 */
	int	(*agree)(void *arg, const struct identity *peer,
		    uint8_t key[ZT_AGREED_KEY_LEN]);
	/* fills with CSPRNG bytes */
	void	(*random)(void *arg, void *, size_t);
	/*
	 * An authenticated VL2 packet (verbs 0x06-0x0e, and OK/ERROR in re
	 * a VL2 verb): the whole dearmored, uncompressed packet.
	 */
	void	(*vl2)(void *arg, uint64_t source, const uint8_t *, size_t,
		    int64_t now);
	/* USER_MESSAGE: type and body (may be NULL) */
	void	(*user_message)(void *arg, uint64_t source, uint64_t type,
		    const uint8_t *, size_t);
	/* an identity was learned (HELLO or WHOIS); may be NULL */
	void	(*identity_learned)(void *arg, const struct identity *);
	/*
	 * A cached identity for address (§5.9), asked before a WHOIS goes
	 * to the roots; 0 or -1.  It is checked like a WHOIS answer.  May
	 * be NULL.
	 */
	int	(*identity_lookup)(void *arg, uint64_t address,
		    struct identity *);
	/* a new planet or moon was accepted; may be NULL */
	void	(*world_updated)(void *arg, const struct world *);
	/* an upstream said our address is taken; may be NULL */
	void	(*collision)(void *arg);
	/*
	 * A peer's state (peer->state, enum vl1_peer_state) changed: its
	 * first live path, heard from again, or nothing left.  May be NULL.
	 */
	void	(*peer_state)(void *arg, struct vl1_peer *, int64_t now);
};

struct vl1_stats {
	uint64_t	 rx_datagrams, rx_packets, rx_fragments, rx_junk;
	uint64_t	 rx_bad_mac, rx_duplicate, rx_bad_compress, rx_malformed;
	uint64_t	 rx_unexpected_ok, rx_parked, rx_park_dropped;
	uint64_t	 rx_bad_cipher, rx_hello_rejected, rx_ratelimited;
	uint64_t	 tx_packets, tx_datagrams, tx_parked, tx_park_dropped;
	uint64_t	 rx_bytes, tx_bytes;	/* UDP payload bytes */
	uint64_t	 relayed, relay_dropped, rendezvous_sent;
	uint64_t	 whois_sent, whois_ratelimited, identities_learned;
	uint64_t	 mc_likes, mc_gathers_answered;
	/*
	 * Packets by verb (index: verb & ZT_PKT_VERB_MASK) and ERRORs by
	 * code, [VL1_RX] authenticated in, [VL1_TX] armored out: ZeroTier
	 * One's zt_packet and zt_packet_error metrics.  Plain arrays, no
	 * locks: the engine runs in one thread.
	 */
	uint64_t	 verbs[2][VL1_VERB_SLOTS];
	uint64_t	 errors[2][VL1_ERROR_SLOTS];
};

struct vl1_parked {
	bool		 used;
	bool		 inbound;
	uint64_t	 addr;		/* source (in) or destination (out) */
	int64_t		 when;
	int		 sock;
	struct inetaddr	 from;
	uint8_t		 verb;
	uint8_t		*data;
	size_t		 len;
};

struct vl1_whois {
	uint64_t	 addr;
	int64_t		 last_sent;
};

struct vl1_unite {
	uint64_t	 a, b;
	int64_t		 when;
};

/* a physical network whose packets skip encryption (§3.4) */
struct vl1_trusted_path {
	struct inetaddr	 net;		/* netmask bits in the port field */
	uint64_t	 id;		/* non-zero */
};

/* local.conf physical.<cidr>.mtu: UDP payload MTU of paths in net */
struct vl1_phys_mtu {
	struct inetaddr	 net;		/* netmask bits in the port field */
	size_t		 mtu;
};

/* local.conf virtual.<address> (§5.3, §5.5) */
struct vl1_virtual {
	uint64_t	 address;
	struct inetaddr	 try[VL1_VIRTUAL_TRY];	/* HELLO'd with no path */
	unsigned int	 ntry;
	struct inetaddr	 blacklist[VL1_VIRTUAL_BLACKLIST];
	unsigned int	 nblacklist;
	int64_t		 last_try;
};

/* a moon asked for by id whose definition the seed will send (§6.4) */
struct vl1_wanted_moon {
	uint64_t	 id;
	uint64_t	 seed;
};

struct vl1_node {
	struct vl1_io		 io;
	struct identity		 self;		/* public only */
	struct vl1_peers	 peers;
	struct world		 planet;
	struct world		 moons[VL1_MAX_MOONS];
	unsigned int		 nmoons;
	struct vl1_wanted_moon	 wanted[VL1_MAX_MOONS];
	unsigned int		 nwanted;
	struct vl1_trusted_path	 trusted[VL1_MAX_TRUSTED];
	unsigned int		 ntrusted;
	struct inetaddr		 blacklist[VL1_MAX_BLACKLIST];
	unsigned int		 nblacklist;
	struct vl1_phys_mtu	 mtus[VL1_MAX_PHYS_MTU];
	unsigned int		 nmtus;
	struct vl1_virtual	 virt[VL1_MAX_VIRTUAL];
	unsigned int		 nvirt;
	bool			 am_upstream;
	struct reasm		*reasm;
	size_t			 mtu;
	int64_t			 last_ping_check;
	int64_t			 last_housekeeping;
	int64_t			 last_park_check;
	/* §4.3: upper 32 bits of sent ids, 256 buckets by byte 3 */
	uint32_t		 expect[256][32];
	uint8_t			 expect_next[256];
	struct vl1_parked	 park[2 * VL1_PARK_MAX];
	struct vl1_whois	 whois[VL1_PARK_MAX];
	int64_t			 whois_credit;	/* the WHOIS budget */
	struct vl1_unite	 unite[256];
	int64_t			 idv_last[VL1_IDV_BUCKETS];
	struct vl1_mcast	 mcast;		/* used when am_upstream */
	struct vl1_stats	 st;
};

struct vl1_config {
	const struct identity	*self;		/* public part is used */
	const struct world	*planet;	/* NULL: the default planet */
	size_t			 mtu;		/* 0: 1432 */
	size_t			 max_peers;	/* 0: 100000 */
	const struct vl1_trusted_path *trusted;	/* at most VL1_MAX_TRUSTED */
	unsigned int		 ntrusted;
	/* networks (bits in port) never used as paths: local.conf */
	const struct inetaddr	*blacklist;	/* at most VL1_MAX_BLACKLIST */
	unsigned int		 nblacklist;
	/* per-network UDP MTU (at most VL1_MAX_PHYS_MTU; first match) */
	const struct vl1_phys_mtu *mtus;
	unsigned int		 nmtus;
	/* per-peer try addresses and blacklists (at most VL1_MAX_VIRTUAL) */
	const struct vl1_virtual *virt;
	unsigned int		 nvirt;
};

struct vl1_node	*vl1_node_new(const struct vl1_config *,
		    const struct vl1_io *, int64_t now);
void		 vl1_node_free(struct vl1_node *);

/* one received datagram; data is modified in place */
void	 vl1_node_receive(struct vl1_node *, int sock,
	    const struct inetaddr *from, uint8_t *data, size_t len,
	    int64_t now);
/*
 * Sends verb + payload to dest through the send queue: compressed when
 * worthwhile, armored, fragmented for the path MTU, direct or relayed
 * through a root, or parked while dest's identity is looked up.
 * Returns 0 when sent or parked, -1 when dropped.
 */
int	 vl1_node_send(struct vl1_node *, uint64_t dest, uint8_t verb,
	    const uint8_t *payload, size_t len, int64_t now);
/* background work; returns the time it wants to run next */
int64_t	 vl1_node_tick(struct vl1_node *, int64_t now);

/* asks the roots for an identity (answers arrive as identity_learned) */
void	 vl1_node_whois(struct vl1_node *, uint64_t address, int64_t now);
/* orbit a moon we already have the definition of */
int	 vl1_node_add_moon(struct vl1_node *, const struct world *,
	    int64_t now);
/*
 * Orbits moon id, whose definition seed (one of its roots) sends in
 * OK(HELLO) (§6.4); 0 when it is held or now wanted, -1 when full.
 */
int	 vl1_node_orbit(struct vl1_node *, uint64_t id, uint64_t seed,
	    int64_t now);
/* leaves a held or wanted moon; -1 when there is no such moon */
int	 vl1_node_deorbit(struct vl1_node *, uint64_t id);
/* the UDP payload MTU for a path to addr (local.conf or the default) */
size_t	 vl1_node_path_mtu(const struct vl1_node *, const struct inetaddr *);
/* the trusted path id of the network holding addr, or 0 */
uint64_t	 vl1_node_trusted_id(const struct vl1_node *,
	    const struct inetaddr *);
/* a network-authenticated packet came from this peer (VL2 says so) */
void	 vl1_node_trust(struct vl1_node *, uint64_t peer, int64_t now);
bool	 vl1_node_is_upstream(const struct vl1_node *, uint64_t address);
/* some upstream was heard from within the activity timeout */
bool	 vl1_node_online(const struct vl1_node *, int64_t now);
/*
 * ZeroTier One's packet_type / error_type label of a verb or ERROR
 * code ("hello", "obj_not_found"), or NULL for one it has no name for.
 */
const char	*vl1_verb_metric(unsigned int verb);
const char	*vl1_error_metric(unsigned int code);
