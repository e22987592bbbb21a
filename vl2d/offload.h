#pragma once
/*
 * TAP offloads.  With IFF_VNET_HDR every frame read from the TAP starts
 * with a struct virtio_net_hdr (linux/virtio_net.h: 10 bytes, 12 with
 * TUNSETVNETHDRSZ) and, once TUNSETOFFLOAD allowed it, the kernel hands
 * over TCP (and UDP) super-frames of up to 64 KiB with their checksums
 * left to the reader.  ZeroTier peers expect ordinary Ethernet frames no
 * longer than the network MTU with complete checksums, so every such
 * frame is cut here into MTU-sized frames (TCP segmentation, UDP
 * segmentation, UDP fragmentation) and every checksum is completed.
 *
 * Nothing here trusts the virtio header: it is a claim about the frame
 * that follows, checked against the frame's own IP and TCP/UDP headers.
 * Super-frames over 64 KiB (BIG TCP: IPv4 length 0, IPv6 jumbograms)
 * are refused; the TAP's default gso_max_size never makes them.
 * A header that disagrees is a counted drop (enum offload_err), never a
 * read or write outside the frame or the caller's buffers.
 *
 * The data path runs at 100k+ frames/s, so nothing here allocates: the
 * caller owns the output storage (struct offload_out) and reuses it for
 * every read.
 *
 * Use: TAP_OPEN_REQ with TAPD_OPEN_VNET_HDR; on the fd, offload_enable
 * (CSUM, TSO4, TSO6, TSO_ECN, USO4|USO6: what the kernel refuses only
 * makes frames smaller); offload_init with the network MTU; read into a
 * buffer of vnet_hdr_len + 65535 bytes; offload_input; each out->frames
 * entry is an ordinary Ethernet frame for rules and VL2_SEND.  Writes to
 * the TAP are writev(header from offload_tap_hdr, frame).  The sandbox
 * must allow ioctl TUNSETOFFLOAD.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* struct virtio_net_hdr, and with num_buffers (TUNSETVNETHDRSZ 12) */
#define OFFLOAD_VNET_HDR_LEN		10
#define OFFLOAD_VNET_HDR_MRG_LEN	12

/* virtio_net_hdr flags and gso types (linux/virtio_net.h) */
#define OFFLOAD_F_NEEDS_CSUM	0x01
#define OFFLOAD_F_DATA_VALID	0x02
#define OFFLOAD_GSO_NONE	0
#define OFFLOAD_GSO_TCPV4	1
#define OFFLOAD_GSO_UDP		3	/* UFO: IP fragmentation */
#define OFFLOAD_GSO_TCPV6	4
#define OFFLOAD_GSO_UDP_L4	5	/* USO: one datagram per gso_size */
#define OFFLOAD_GSO_ECN		0x80

/*
 * Headers in front of the payload (Ethernet, VLAN tags, IP with options
 * or extension headers, TCP with options) that a super-frame may have:
 * longer ones are refused (OFFLOAD_E_UNSUPPORTED).
 */
#define OFFLOAD_HDRS_MAX	256
/*
 * Output storage that holds whatever one read can turn into: 64 KiB of
 * payload cut into at most OFFLOAD_FRAMES_MAX frames (Linux' smallest
 * TCP MSS, 48 bytes, would need 1366), each with its own headers.
 */
#define OFFLOAD_FRAMES_MAX	1536
#define OFFLOAD_BYTES_MAX	(65536 + OFFLOAD_FRAMES_MAX * OFFLOAD_HDRS_MAX)

/* the decoded virtio_net_hdr (little-endian on the wire: TUNSETVNETLE) */
struct offload_vnet {
	uint8_t		 flags;
	uint8_t		 gso_type;	/* without OFFLOAD_GSO_ECN */
	bool		 ecn;
	uint16_t	 hdr_len;
	uint16_t	 gso_size;
	uint16_t	 csum_start;
	uint16_t	 csum_offset;
};

enum offload_err {
	OFFLOAD_OK = 0,
	OFFLOAD_E_SHORT,	/* shorter than the virtio header + Ethernet */
	OFFLOAD_E_HDR,		/* unknown flag or gso type, ECN without TCP,
				   hdr_len past the end of the frame */
	OFFLOAD_E_GSO_SIZE,	/* a gso type with gso_size 0 */
	OFFLOAD_E_CSUM,		/* csum_start / csum_offset out of range or
				   not where the frame's L4 checksum is */
	OFFLOAD_E_PROTO,	/* the gso type does not match the frame
				   (not IPv4 for TCPV4, not TCP, ...) */
	OFFLOAD_E_PACKET,	/* IP or TCP/UDP headers malformed, lengths
				   disagree with the frame, a fragment */
	OFFLOAD_E_UNSUPPORTED,	/* valid but not handled: headers longer than
				   OFFLOAD_HDRS_MAX, IPv6 routing headers,
				   UFO with IP options / extension headers */
	OFFLOAD_E_MTU,		/* a frame or a UDP segment cannot fit the
				   network MTU */
	OFFLOAD_E_ROOM,		/* the caller's output storage is too small */
	OFFLOAD_E_COUNT
};

/* one output frame: a whole Ethernet frame, no virtio header */
struct offload_frame {
	const uint8_t	*p;
	size_t		 len;
};

/*
 * Caller-owned output storage: frames[] is filled with up to max_frames
 * frames whose bytes live in buf (cap bytes) or, for a frame that needed
 * no cutting, in the caller's input buffer itself.
 */
struct offload_out {
	uint8_t			*buf;
	size_t			 cap;
	struct offload_frame	*frames;
	size_t			 max_frames;
	size_t			 n;	/* frames written by the last call */
	size_t			 used;	/* bytes of buf they take */
};

struct offload_stats {
	uint64_t	 frames_in;	/* reads handed to offload_input */
	uint64_t	 frames_out;	/* frames produced */
	uint64_t	 gso_in;	/* super-frames among the reads */
	uint64_t	 csum_done;	/* checksums completed */
	uint64_t	 drops[OFFLOAD_E_COUNT];
};

struct offload_ctx {
	size_t			 vnet_hdr_len;	/* 10 or 12 */
	uint16_t		 mtu;		/* Ethernet payload limit */
	uint32_t		 frag_id;	/* IPv6 UFO fragment ids */
	struct offload_stats	 st;
	struct log_drops	 drops;
};

/*
 * vnet_hdr_len is the TAP's TUNSETVNETHDRSZ (10 or 12; anything else
 * becomes 10), mtu the network's (ZeroTier MTU, Ethernet payload bytes).
 */
void	 offload_init(struct offload_ctx *, size_t vnet_hdr_len,
	    uint16_t mtu);
void	 offload_set_mtu(struct offload_ctx *, uint16_t mtu);
const char	*offload_strerror(enum offload_err);

/* decodes the first hdr_len bytes of p; -1 if shorter */
int	 offload_vnet_get(const uint8_t *p, size_t len, size_t hdr_len,
	    struct offload_vnet *);

/*
 * One read from the TAP (virtio header + frame) into out->frames:
 * a plain frame is passed through where it lies, a frame marked
 * NEEDS_CSUM gets its checksum completed in place (hence in is
 * writable), a super-frame is cut into out->buf.  out->n and out->used
 * start from 0 on every call.  Every drop is counted in ctx->st and
 * logged rate-limited; the result says why.
 */
enum offload_err offload_input(struct offload_ctx *, uint8_t *in,
	    size_t len, struct offload_out *out);

/*
 * The virtio header that goes in front of a frame written to the TAP:
 * zeroed (the kernel checks the checksums itself), or DATA_VALID when
 * the caller verified them.  Writes hdr_len bytes.
 */
void	 offload_tap_hdr(uint8_t *hdr, size_t hdr_len, bool data_valid);

/*
 * Ones'-complement sum of len bytes (RFC 1071) added to sum, in the byte
 * order of memory: fold with offload_csum_fold and store with memcpy.
 * p must start at an even offset of the checksummed region.
 */
uint64_t offload_csum_add(uint64_t sum, const uint8_t *p, size_t len);
uint16_t offload_csum_fold(uint64_t sum);

/*
 * Asks the kernel for the TUN_F_* offloads in want (on a TAP opened with
 * IFF_VNET_HDR), trying each set alone: Linux 6.1 refuses USO (6.2),
 * older kernels TSO_ECN.  *got is what is enabled; what the kernel
 * refused is logged as a warning.  -1 (errno set) when even the final
 * setting failed, with *got 0: frames still come, without offloads.
 */
int	 offload_enable(int fd, uint32_t want, uint32_t *got);

/*
 * Towards the TAP, the other way round: consecutive in-order TCP
 * segments of one flow, arriving from peers, are joined into one
 * super-frame (virtio header gso TCPV4/TCPV6, NEEDS_CSUM), as the
 * kernel's GRO would join them, so the host's stack takes one packet
 * instead of dozens.  Only segments whose IP and TCP checksums verify,
 * with ACK (and PSH on the last) only, identical headers but for
 * lengths, IPv4 id and checksums, and full gso_size payloads but the
 * last are joined; anything else passes as it is.
 *
 * For each frame to write, offload_gro_add says what to do:
 *	OFFLOAD_GRO_HELD	kept in g; nothing to write now
 *	OFFLOAD_GRO_FLUSH	write offload_gro_flush(g) first, then add
 *				the frame again
 *	OFFLOAD_GRO_PASS	write offload_gro_flush(g) if non-empty,
 *				then the frame alone (zeroed virtio header)
 * and at the end of a batch offload_gro_flush(g) once more.
 */
enum offload_gro_verdict {
	OFFLOAD_GRO_HELD,
	OFFLOAD_GRO_FLUSH,
	OFFLOAD_GRO_PASS,
};

#define OFFLOAD_GRO_SEGS_MAX	64

struct offload_gro {
	uint8_t		 buf[OFFLOAD_VNET_HDR_MRG_LEN + 65535];
	size_t		 vnet_hdr_len;
	size_t		 len;		/* frame bytes after the header */
	size_t		 nseg;
	size_t		 l3off, l4off, hl;
	size_t		 seg_len;	/* payload of the first segment */
	uint32_t	 next_seq;
	bool		 v6;
	bool		 closed;	/* last segment (short or PSH) is in */
	uint64_t	 frames_in;	/* segments joined */
	uint64_t	 supers_out;	/* super-frames of 2 or more */
};

void	 offload_gro_init(struct offload_gro *, size_t vnet_hdr_len);
enum offload_gro_verdict offload_gro_add(struct offload_gro *,
	    const uint8_t *frame, size_t len);
/*
 * The pending frame with its virtio header, ready for write(2), and g
 * emptied; *len 0 (and NULL) when nothing is pending.  Valid until the
 * next offload_gro_add.
 */
const uint8_t	*offload_gro_flush(struct offload_gro *, size_t *len);
