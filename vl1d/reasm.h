#pragma once
/*
 * Reassembly of fragmented VL1 packets (spec/vl1.md §2.8).  Pieces are
 * matched by the 8-byte wire packet id; the head may come before or after
 * its fragments.  Unlike 1.14.1's 32-slot ring this keeps a budget per
 * source (physical address) and a global cap, evicting the oldest set of
 * the source (or of everyone) when full, and expires sets after a timeout,
 * so one flooding source cannot starve the others.
 */
#include <stddef.h>
#include <stdint.h>

#define REASM_SRC_MAX	32	/* bytes of the opaque source key */
/*
 * Piece bytes held at once, whatever the flood: without it 256 sets of 7
 * pieces of up to 10 KiB could pin 18 MiB.
 */
#define REASM_MAX_BYTES	(4u * 1024 * 1024)

struct reasm;

struct reasm_stats {
	uint64_t	 completed;
	uint64_t	 evicted;	/* a set pushed out by budget or cap */
	uint64_t	 expired;
	uint64_t	 invalid;	/* bad counts, oversize, inconsistent */
	uint64_t	 duplicates;
	size_t		 sets;		/* incomplete sets held now */
	size_t		 bytes;		/* piece bytes held now */
};

struct reasm	*reasm_new(size_t max_sets, size_t per_source,
		    int64_t timeout_ms);
void		 reasm_free(struct reasm *);

/*
 * Feed a head (a packet datagram with the fragmented flag) or a fragment
 * datagram from the physical source src.  Returns 1 when this completed a
 * packet, which is copied to out (ZT_MAX_PACKET_LEN bytes) and its length
 * to *outlen; 0 when the piece was kept; -1 when it was dropped.
 */
int	 reasm_head(struct reasm *, const void *src, size_t srclen,
	    const uint8_t *, size_t, int64_t now, uint8_t *out, size_t *outlen);
int	 reasm_fragment(struct reasm *, const void *src, size_t srclen,
	    const uint8_t *, size_t, int64_t now, uint8_t *out, size_t *outlen);
void	 reasm_expire(struct reasm *, int64_t now);
void	 reasm_get_stats(const struct reasm *, struct reasm_stats *);
