#pragma once
/*
 * The one list of every process role and every IPC message type.  The
 * enums and the table the library checks frames against are generated
 * from the same lines, so the whole protocol between the daemons reads
 * here and nowhere else (DESIGN.md, "IPC").
 *
 * A message line is
 *	X(name, number, sender roles, receiver roles, max payload per frame,
 *	    exact fd count, multi-part total cap (0: single frame only))
 * The library drops a frame whose type is unknown, whose sender or
 * receiver role is not listed, whose payload exceeds the limit or whose
 * fd count differs, so a handler never re-checks any of these.
 * Numbers are part of the protocol: never renumber, only append.
 */
#include <stddef.h>
#include <stdint.h>

/* bumped whenever a body layout or a number below changes */
#define IPC_PROTO_VERSION	2

/* X(name, number, program name) */
#define IPC_ROLES(X)							\
	X(VL1D,		1, "zt-vl1d")					\
	X(KEYHOLDER,	2, "zt-vl1d key holder")			\
	X(VL2D,		3, "zt-vl2d")					\
	X(CONTROLLERD,	4, "zt-controllerd")				\
	X(TAPD,		5, "zt-tapd")					\
	X(CTL,		6, "zt-ctl")

enum ipc_role {
	IPC_ROLE_NONE = 0,
#define IPC_ROLE_ENUM(n, v, s)	IPC_ROLE_##n = v,
	IPC_ROLES(IPC_ROLE_ENUM)
#undef IPC_ROLE_ENUM
	IPC_ROLE_COUNT
};

#define IPC_R(n)	(1u << IPC_ROLE_##n)
#define IPC_R_ANY	(IPC_R(VL1D) | IPC_R(KEYHOLDER) | IPC_R(VL2D) |	\
			    IPC_R(CONTROLLERD) | IPC_R(TAPD) | IPC_R(CTL))
/* the daemons zt-ctl may query */
#define IPC_R_DAEMONS	(IPC_R(VL1D) | IPC_R(VL2D) | IPC_R(CONTROLLERD) | \
			    IPC_R(TAPD))

/*
 * The largest frame (header included) a socket carries.  It stays below
 * the default unix socket send buffer (net.core.wmem_default, 212992 on
 * Debian 12) so that no sysctl is needed for a full frame to fit.
 */
#define IPC_FRAME_MAX		(128 * 1024)
#define IPC_HDR_LEN		12
#define IPC_PAYLOAD_MAX		(IPC_FRAME_MAX - IPC_HDR_LEN)
/* the most fds any type carries; the control-message buffer is sized by it */
#define IPC_FDS_MAX		4

#define IPC_MESSAGES(X)							\
	/* first frame each way: u8 role, u16 IPC_PROTO_VERSION */	\
	X(HELLO, 1, IPC_R_ANY, IPC_R_ANY, 16, 0, 0)			\
	/* reply: u32 code (0: done, no result), str16 text */		\
	X(ERROR, 2, IPC_R_ANY, IPC_R_ANY, 1024, 0, 0)			\
									\
	/* network half <-> key holder (socketpair made at fork) */	\
	/* peer public identity -> per-peer key; rate-limited */	\
	X(KEY_AGREE_REQ, 10, IPC_R(VL1D), IPC_R(KEYHOLDER), 512, 0, 0)	\
	X(KEY_AGREE_REPLY, 11, IPC_R(KEYHOLDER), IPC_R(VL1D), 128, 0, 0) \
	/* a typed object to sign (never a raw blob) -> signature; */	\
	/* controllerd asks on the key holder's own socket.  REQ: */	\
	/* u8 kind, then 1 chunk: nwid .. chunk index (vl2.md 3.7); */	\
	/* 2 COM, 4 tag, 5 revocation, 6 COO: the object serialized */	\
	/* unsigned; 3 capability: u40 issued-to, then the object */	\
	/* with no custody (common/signreq.h).  REPLY: the 96-byte */	\
	/* signature; a refusal is ERROR with enum signreq_err */	\
	X(KEY_SIGN_REQ, 12, IPC_R(VL1D) | IPC_R(CONTROLLERD),		\
	    IPC_R(KEYHOLDER), 64 * 1024, 0, 0)				\
	X(KEY_SIGN_REPLY, 13, IPC_R(KEYHOLDER),				\
	    IPC_R(VL1D) | IPC_R(CONTROLLERD), 512, 0, 0)		\
	/* for zt-ctl sandbox: REQ has no body; REPLY is the key */	\
	/* holder's own sandbox_status_json(), as JSON text */		\
	X(KEY_SANDBOX_REQ, 14, IPC_R(VL1D), IPC_R(KEYHOLDER), 0, 0, 0)	\
	X(KEY_SANDBOX_REPLY, 15, IPC_R(KEYHOLDER), IPC_R(VL1D), 1024,	\
	    0, 0)							\
									\
	/* vl2d <-> vl1d */						\
	/* batch of (u40 destination, u8 verb, bytes16 payload after */	\
	/* the verb byte); CTRL_SEND is the same.  Destination 0: */	\
	/* upstream: a LIKE to every root, others to the best */	\
	X(VL2_SEND, 20, IPC_R(VL2D), IPC_R(VL1D), IPC_PAYLOAD_MAX, 0, 0) \
	/* batch of (u40 source, u8 flags (1: trusted path), bytes16 */	\
	/* whole dearmored packet, header included, so replies can */	\
	/* quote its wire id); CTRL_CONFIG_REQ is the same plus the */	\
	/* sender's identity (bytes16, binary public form) per entry */	\
	X(VL2_RECV, 21, IPC_R(VL1D), IPC_R(VL2D), IPC_PAYLOAD_MAX, 0, 0) \
	/* addresses to look up -> identities or not-found */		\
	X(VL2_WHOIS_REQ, 22, IPC_R(VL2D), IPC_R(VL1D), 1024, 0, 0)	\
	X(VL2_WHOIS_REPLY, 23, IPC_R(VL1D), IPC_R(VL2D), 8192, 0, 0)	\
	/* batch of IPC_PEER_EVENT_LEN entries (u8 enum */		\
	/* ipc_peer_event, u40 address, u8 IPC_PEER_F_* flags, u16 */	\
	/* latency ms, 0xffff unknown; common/peerev.h); SELF then */	\
	/* every peer up are sent at connect, changes as they happen */	\
	X(VL2_PEER_EVENT, 24, IPC_R(VL1D), IPC_R(VL2D),		\
	    IPC_PEER_EVENT_MAX, 0, 0)					\
	/* the node API's /network routes (spec/service.md §6.5): */	\
	/* REQ is JSON text {"method": "GET"|"POST"|"DELETE", "nwid": */ \
	/* string or null (the list), "body": the client's object}; */	\
	/* REPLY: u16 HTTP status, then JSON text (empty: no body) */	\
	X(VL2_API_REQ, 25, IPC_R(VL1D), IPC_R(VL2D), 32 * 1024, 0, 0)	\
	X(VL2_API_REPLY, 26, IPC_R(VL2D), IPC_R(VL1D), 64 * 1024, 0,	\
	    1024 * 1024)						\
									\
	/* controllerd <-> vl1d */					\
	/* batch of (network id, member identity, request metadata) */	\
	X(CTRL_CONFIG_REQ, 30, IPC_R(VL1D), IPC_R(CONTROLLERD),		\
	    IPC_PAYLOAD_MAX, 0, 0)					\
	/* config / credential / revocation packets to send */		\
	X(CTRL_SEND, 31, IPC_R(CONTROLLERD), IPC_R(VL1D),		\
	    IPC_PAYLOAD_MAX, 0, 0)					\
									\
	/* vl2d <-> tapd (bodies: tapd/policy.h; str = u16 length + bytes, */ \
	/* dev = u64 nwid, str ifname as TAP_OPEN_REPLY named it; every */ \
	/* request but OPEN is answered by ERROR, code 0 when done, else */ \
	/* an errno: EPERM for a foreign device or a refused item) */	\
	/* u64 nwid, MAC(6) of this network's members, u16 MTU */	\
	/* (1280-10000), optional u8 flags (0x01: IFF_VNET_HDR) */	\
	/* -> TAP_OPEN_REPLY, or ERROR (EBUSY: the device */		\
	/* is still attached to an earlier fd) */			\
	X(TAP_OPEN_REQ, 40, IPC_R(VL2D), IPC_R(TAPD), 64, 0, 0)		\
	/* u64 nwid, str ifname, u32 ifindex, u32 TUN_F_* offloads the */ \
	/* kernel offers (informative); the fd, IFF_TAP | IFF_NO_PI */	\
	/* (| IFF_VNET_HDR if asked; offloads off until its reader */	\
	/* sets them with TUNSETOFFLOAD) */				\
	X(TAP_OPEN_REPLY, 41, IPC_R(TAPD), IPC_R(VL2D), 64, 1, 0)	\
	/* dev, u16 n (<= 32), n InetAddress (port = prefix bits): the */ \
	/* whole managed set; scope-refused items are skipped, EPERM */	\
	X(TAP_SET_ADDRS, 42, IPC_R(VL2D), IPC_R(TAPD), 8192, 0, 0)	\
	/* dev, u16 n (<= 64), n (InetAddress target/bits, InetAddress */ \
	/* gateway or 0x00 for on-link): the whole managed route set */	\
	X(TAP_SET_ROUTES, 43, IPC_R(VL2D), IPC_R(TAPD), 16384, 0, 0)	\
	/* dev, u16 MTU (1280-10000), bool up */			\
	X(TAP_SET_LINK, 44, IPC_R(VL2D), IPC_R(TAPD), 64, 0, 0)		\
	/* dev: the network is left, the device deleted */		\
	X(TAP_CLOSE, 45, IPC_R(VL2D), IPC_R(TAPD), 64, 0, 0)		\
	/* dev, u16 n (<= 1024), n (MAC(6), u32 ADI): the TAP's whole */ \
	/* multicast set when it changed; vl2d needs no view of the host */ \
	X(TAP_MCAST_REPORT, 46, IPC_R(TAPD), IPC_R(VL2D), 16384, 0, 0)	\
									\
	/* vl1d <-> tapd: the node API's allow* settings (spec/ */	\
	/* service.md §6.3); zt-vl2d may never send these.  SET: u64 */	\
	/* nwid, u8 mask of the settings given, u8 their values (bits */ \
	/* IPC_TAPD_ALLOW_*) -> SETTINGS_REPLY for nwid, or ERROR */	\
	X(TAPD_SETTINGS_SET, 47, IPC_R(VL1D), IPC_R(TAPD), 16, 0, 0)	\
	/* u16 n (1 to IPC_TAPD_SETTINGS_MAX), n u64 nwid */		\
	X(TAPD_SETTINGS_GET, 48, IPC_R(VL1D), IPC_R(TAPD), 1032, 0, 0)	\
	/* u16 n, n (u64 nwid, u8 values): the settings in force, */	\
	/* defaults for a network never set; allowManaged given as */	\
	/* CIDRs is on */						\
	X(TAPD_SETTINGS_REPLY, 49, IPC_R(TAPD), IPC_R(VL1D), 1160, 0, 0) \
									\
	/* zt-ctl <-> any daemon: one JSON text each way, in parts */	\
	X(CTL_REQUEST, 50, IPC_R(CTL), IPC_R_DAEMONS, 64 * 1024, 0,	\
	    1024 * 1024)						\
	/* 100,000 members or 10,000 peers are never cut off */		\
	X(CTL_REPLY, 51, IPC_R_DAEMONS, IPC_R(CTL), 64 * 1024, 0,	\
	    64 * 1024 * 1024)

enum ipc_type {
#define IPC_TYPE_ENUM(n, v, from, to, max, fds, total)	IPC_MSG_##n = v,
	IPC_MESSAGES(IPC_TYPE_ENUM)
#undef IPC_TYPE_ENUM
};

/* TAPD_SETTINGS_*: one bit per setting, in mask and values */
#define IPC_TAPD_ALLOW_MANAGED	0x01
#define IPC_TAPD_ALLOW_GLOBAL	0x02
#define IPC_TAPD_ALLOW_DEFAULT	0x04
#define IPC_TAPD_ALLOW_DNS	0x08
#define IPC_TAPD_ALLOW_ALL	0x0f
/* networks in one TAPD_SETTINGS_GET or REPLY */
#define IPC_TAPD_SETTINGS_MAX	128

/* VL2_PEER_EVENT kinds (a receiver skips kinds it does not know) */
enum ipc_peer_event {
	IPC_PEER_EVENT_SELF = 0,	/* zt-vl1d's own address */
	IPC_PEER_EVENT_UP = 1,		/* first live path, or back */
	IPC_PEER_EVENT_DOWN = 2,	/* no live path, not heard from */
};
/* VL2_PEER_EVENT flags */
#define IPC_PEER_F_DIRECT	0x01	/* a live direct path, else relayed */
#define IPC_PEER_EVENT_LEN	9
/* one VL2_PEER_EVENT frame: 1,820 entries; a longer list takes more */
#define IPC_PEER_EVENT_MAX	(16 * 1024)
#define IPC_PEER_LATENCY_UNKNOWN 0xffff

struct ipc_type_info {
	uint16_t	 type;
	const char	*name;
	uint32_t	 from;		/* IPC_R() mask of senders */
	uint32_t	 to;		/* IPC_R() mask of receivers */
	uint32_t	 max;		/* payload bytes per frame */
	uint8_t		 nfds;		/* exact fd count of a frame */
	uint32_t	 total;		/* joined cap; 0: one frame only */
};

/* the catalogue entry of a type number, NULL when unknown */
const struct ipc_type_info	*ipc_type_lookup(uint16_t);
/* "HELLO", ..., or "unknown" */
const char	*ipc_type_name(uint16_t);
/* "zt-vl1d", ..., or "none" */
const char	*ipc_role_name(enum ipc_role);
