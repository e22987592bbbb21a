#pragma once
/*
 * Rules engine: evaluates a rule table (common/rules.h) against one
 * Ethernet payload as ZeroTier One 1.14.1 does (spec/vl2.md §7.3-7.7),
 * for frames a node sends (outbound) and receives (inbound).
 *
 * rules_eval() runs one table, the way 1.14.1 runs its filter once;
 * rules_filter() is the whole decision for a frame: the network's rules,
 * then capabilities, and the copies and redirect that follow from them.
 * Nothing here sends anything: the caller acts on the result.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/* result of one table, in 1.14.1's order */
enum rules_result {
	RULES_NO_MATCH = 0,	/* end of table or BREAK */
	RULES_DROP,
	RULES_REDIRECT,		/* accepted, destination changed */
	RULES_ACCEPT,
	RULES_SUPER_ACCEPT,	/* inbound, this node is a TEE/WATCH/
				   REDIRECT target: MAC checks bypassed */
};

/* characteristics bits (spec/vl2.md §7.5) */
#define RULES_CHR_INBOUND		0x8000000000000000ULL
#define RULES_CHR_MULTICAST		0x4000000000000000ULL
#define RULES_CHR_BROADCAST		0x2000000000000000ULL
#define RULES_CHR_SENDER_IP_AUTH	0x1000000000000000ULL
#define RULES_CHR_SENDER_MAC_AUTH	0x0800000000000000ULL

/* netconf flag: result of a match type this engine does not know */
#define RULES_FLAG_UNSUPPORTED_MATCH	0x08

/* EXT_FRAME flags of the copies 1.14.1 sends */
#define RULES_EXT_TEE_OUT		0x02
#define RULES_EXT_WATCH_OUT		0x16
#define RULES_EXT_REDIRECT_OUT		0x04
#define RULES_EXT_TEE_IN		0x08
#define RULES_EXT_WATCH_IN		0x1c
#define RULES_EXT_REDIRECT_IN		0x0a

struct rules_tag {
	uint32_t	 id;
	uint32_t	 value;
};

/* what an ownership question is about */
enum rules_thing {
	RULES_THING_MAC = 1,	/* 6 bytes */
	RULES_THING_IPV4 = 2,	/* 4 bytes */
	RULES_THING_IPV6 = 3,	/* 16 bytes */
};

/*
 * The evaluating node and what it knows.  Tags: local ones come from the
 * node's config; remote ones are the other party's valid tags (inbound:
 * the sender's, outbound: the destination's).  A tag missing from
 * remote_tags is "not known yet" and gets 1.14.1's provisional treatment
 * (§7.6); pass none when no membership record exists.
 */
struct rules_env {
	uint64_t		 self;		/* this node's address */
	uint32_t		 flags;		/* netconf "f" */
	const struct rules_tag	*local_tags;
	size_t			 n_local_tags;
	const struct rules_tag	*remote_tags;
	size_t			 n_remote_tags;
	/*
	 * Certificates of ownership, for characteristics bits 60 and 59:
	 * true if the sender (inbound: its membership, including 1.14.1's
	 * NDP-emulation shortcut; outbound: this node's own COOs) owns the
	 * thing.  NULL: nothing is owned.
	 */
	bool		(*owns)(void *, bool inbound, enum rules_thing,
			    const uint8_t *);
	void			*owns_arg;
	/* MATCH_RANDOM; NULL uses arc4random(3) */
	uint32_t	(*random)(void *);
	void			*random_arg;
	/*
	 * Explain mode: called for every action and every match that is
	 * evaluated (an AND after a false set is skipped, as in 1.14.1),
	 * with the match's result after NOT and the set state after it;
	 * an action gets the set state it saw in both.  NULL: no trace.
	 */
	void		(*trace)(void *, size_t idx, const struct rule *,
			    bool rule_match, bool set_match);
	void			*trace_arg;
};

/* one frame as the filter sees it (payload starts at layer 3) */
struct rules_frame {
	bool		 inbound;
	uint64_t	 zt_source;
	/* 0 for multicast and the first pass of bridged unicast */
	uint64_t	 zt_dest;
	uint8_t		 mac_source[6];
	uint8_t		 mac_dest[6];
	uint16_t	 ethertype;
	uint16_t	 vlan_id;	/* 1.14.1 nodes always pass 0 */
	const uint8_t	*data;
	size_t		 len;
};

/* outcome of one table */
struct rules_verdict {
	enum rules_result result;
	uint64_t	 redirect_to;	/* REDIRECT: new destination */
	uint64_t	 cc;		/* TEE/WATCH copy to, 0 = none */
	uint32_t	 cc_length;
	bool		 cc_watch;
	/* index of the action that decided, or the table size if none */
	size_t		 rule;
};

/*
 * Evaluates one table.  Never fails: malformed frames only make
 * matches false, as in 1.14.1.
 */
void	 rules_eval(const struct rules_env *, const struct rules_frame *,
	    const struct rule *, size_t n, struct rules_verdict *);

/* a capability's rules, in the order 1.14.1 tries them (§7.7) */
struct rules_cap {
	uint32_t		 id;
	const struct rule	*rules;
	size_t			 n;
};

/* a copy to send as EXT_FRAME: first `length` payload bytes */
struct rules_copy {
	uint64_t	 to;
	uint32_t	 length;
	uint8_t		 flags;		/* RULES_EXT_* */
};

struct rules_decision {
	/* 0 drop, 1 accept, 2 accept as a TEE/WATCH/REDIRECT target */
	int			 accept;
	/* deliver to the original destination (outbound) or locally */
	bool			 deliver;
	/* send the whole frame there (EXT_FRAME redirect_flags) instead */
	uint64_t		 redirect_to;
	uint8_t			 redirect_flags;
	/* in the order 1.14.1 sends them: capability's, then base rules' */
	struct rules_copy	 copy[2];
	size_t			 n_copy;
	/* explain: the base table's verdict, and the capability that
	   accepted (index into caps, -1 if none) with its verdict */
	struct rules_verdict	 base;
	long			 cap;
	struct rules_verdict	 cap_verdict;
};

/*
 * Whole decision for a frame (§7.7): base rules; on NO_MATCH each
 * capability in turn (outbound: the node's own, ascending ID; inbound:
 * the sender's valid ones in the order they were stored).  no_tee
 * suppresses TEE/WATCH copies (outbound, per-recipient multicast pass).
 */
void	 rules_filter(const struct rules_env *, const struct rules_frame *,
	    const struct rule *, size_t n, const struct rules_cap *,
	    size_t n_caps, bool no_tee, struct rules_decision *);

/* "NO_MATCH", "DROP", ... as in vectors/rules.json */
const char	*rules_result_name(enum rules_result);
