#pragma once
/*
 * VL1 packet framing (spec/vl1.md §2): header fields, LZ4 payload
 * compression (§3.6) and splitting an armored packet into datagrams (§2.7).
 * Armoring itself is common/armor.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZT_PACKET_HEADER_LEN	28
#define ZT_FRAGMENT_HEADER_LEN	16
/* largest assembled packet and largest datagram a 1.14.1 node handles */
#define ZT_MAX_PACKET_LEN	10024
#define ZT_MAX_FRAGMENTS	7
#define ZT_DEFAULT_PHYSMTU	1432
#define ZT_MIN_PHYSMTU		1400
#define ZT_MAX_PHYSMTU		10324

/* header offsets */
#define ZT_PKT_IDX_ID		0
#define ZT_PKT_IDX_DEST		8
#define ZT_PKT_IDX_SOURCE	13
#define ZT_PKT_IDX_FLAGS	18
#define ZT_PKT_IDX_MAC		19
#define ZT_PKT_IDX_VERB		27
#define ZT_PKT_IDX_PAYLOAD	28

#define ZT_PKT_FLAG_ENCRYPTED	0x80	/* legacy, set with suite 1 only */
#define ZT_PKT_FLAG_FRAGMENTED	0x40
#define ZT_PKT_CIPHER_MASK	0x38
#define ZT_PKT_HOPS_MASK	0x07
#define ZT_PKT_VERB_COMPRESSED	0x80
#define ZT_PKT_VERB_MASK	0x1f

#define ZT_FRAG_IDX_INDICATOR	13
#define ZT_FRAG_IDX_COUNTS	14
#define ZT_FRAG_IDX_HOPS	15
#define ZT_FRAG_INDICATOR	0xff

/* 1.14.1 only tries compression above this many payload bytes */
#define ZT_COMPRESS_MIN_PAYLOAD	64

enum packet_kind {
	PACKET_KIND_PACKET,	/* whole packet or head of a fragmented one */
	PACKET_KIND_FRAGMENT,
	PACKET_KIND_BEACON,	/* legacy 13-byte LAN beacon */
	PACKET_KIND_JUNK,
};

enum packet_kind packet_classify(const uint8_t *, size_t);

uint64_t	 packet_dest(const uint8_t *);
uint64_t	 packet_source(const uint8_t *);
unsigned int	 packet_hops(const uint8_t *);
unsigned int	 packet_cipher(const uint8_t *);
bool		 packet_fragmented(const uint8_t *);

/*
 * Compresses bytes 28.. in place when the payload is long enough and the
 * LZ4 block is strictly smaller; sets the verb's 0x80 bit then.  *len is
 * updated.  Returns 1 if compressed, 0 if left as is.
 */
int	 packet_compress(uint8_t *, size_t *len);
/*
 * Undoes packet_compress on a dearmored packet (buf holds at least
 * ZT_MAX_PACKET_LEN bytes).  A packet without the bit is left alone.
 * Returns 0, or -1 when the block is corrupt or would expand beyond
 * ZT_MAX_PACKET_LEN.
 */
int	 packet_uncompress(uint8_t *, size_t *len);

/*
 * Splits an armored packet into datagrams for a path of the given MTU
 * (the fragmented flag must have been set before armoring when len > mtu).
 * Fills up to ZT_MAX_FRAGMENTS entries of out (pointers into frags, which
 * holds ZT_MAX_FRAGMENTS * ZT_FRAGMENT_HEADER_LEN header bytes plus the
 * packet's bytes), returns the count, or -1 when the packet needs more
 * than ZT_MAX_FRAGMENTS pieces.
 */
struct packet_piece {
	const uint8_t	*hdr;		/* 16-byte fragment header or NULL */
	const uint8_t	*data;
	size_t		 len;
};

struct packet_fragbuf {
	uint8_t		 hdrs[ZT_MAX_FRAGMENTS][ZT_FRAGMENT_HEADER_LEN];
};

int	 packet_split(const uint8_t *, size_t len, size_t mtu,
	    struct packet_fragbuf *, struct packet_piece out[ZT_MAX_FRAGMENTS]);
