#pragma once
/*
 * The multicast subscription table a root keeps (spec/vl2.md §3.3, §3.8,
 * §8.2): per (network, group) the members that sent MULTICAST_LIKE and
 * when.  Everything is bounded: a group holds at most VL1_MC_GROUP_MAX
 * members (the stalest is replaced), the table at most max_groups groups
 * and max_members members (new ones are refused when full).
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VL1_MC_GROUP_MAX	4096
#define VL1_MC_EXPIRE		600000	/* §8.2: LIKEs older than 600 s */
#define VL1_MC_LIKE_LEN		18	/* nwid, MAC, ADI */

struct vl1_mc_member {
	uint64_t	 addr;
	int64_t		 last;
};

struct vl1_mc_group {
	uint64_t		 nwid;
	uint64_t		 mac;		/* 48 bits */
	uint32_t		 adi;
	struct vl1_mc_member	*m;
	size_t			 n, cap;
	struct vl1_mc_group	*hnext;
};

struct vl1_mcast {
	struct vl1_mc_group	**buckets;
	size_t			 nbuckets;
	size_t			 ngroups, nmembers;
	size_t			 max_groups, max_members;
	uint64_t		 seed;
	uint64_t		 refused;	/* LIKEs dropped: table full */
};

/* seed: random, so that peers cannot predict the hash buckets */
int	 vl1_mcast_init(struct vl1_mcast *, size_t max_groups,
	    size_t max_members, uint64_t seed);
void	 vl1_mcast_free(struct vl1_mcast *);
/* adds or refreshes member in the group; 0, or -1 when the table is full */
int	 vl1_mcast_like(struct vl1_mcast *, uint64_t nwid, uint64_t mac,
	    uint32_t adi, uint64_t member, int64_t now);
/*
 * Writes a gather result (u32 total known, u16 count, count 5-byte
 * addresses) for up to limit members other than requester, starting at a
 * member picked by rnd and never repeating, and never writing more than
 * the space left in w.  Returns the number of addresses written.
 */
unsigned int	 vl1_mcast_gather(struct vl1_mcast *, uint64_t nwid,
		    uint64_t mac, uint32_t adi, uint64_t requester,
		    uint32_t limit, uint32_t rnd, struct wbuf *);
/* drops members not refreshed for VL1_MC_EXPIRE and empty groups */
void	 vl1_mcast_expire(struct vl1_mcast *, int64_t now);
