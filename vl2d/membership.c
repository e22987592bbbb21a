/*
 * Network membership (spec/vl2.md §3.4, §6.5-6.8), accepting and
 * rejecting credentials in the order 1.14.1's Membership does, so a
 * mixed network behaves the same whichever node holds the record.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mac.h"
#include "membership.h"

#define DEF_MAX_PEERS		1024
#define DEF_MAX_CAPS		NETCONF_MAX_CAPABILITIES
#define DEF_MAX_TAGS		NETCONF_MAX_TAGS
#define DEF_MAX_COOS		16
#define DEF_MAX_REVS		64

/*
 * 1.14.1 packs a credentials packet while the packet's size plus the
 * in-memory size of one more object plus 16 stays below the maximum
 * packet (§3.4).  Those are sizeof(Capability), sizeof(Tag) and
 * sizeof(CertificateOfOwnership) on x86-64, worked out from the class
 * layouts (64 rules of 32 bytes, 7 custody entries of 112; 16 things).
 */
#define MEM_CAPABILITY_1141	2864
#define MEM_TAG_1141		136
#define MEM_COO_1141		416

enum add_result {
	ADD_REJECTED,
	ADD_NEW,
	ADD_REDUNDANT,
	ADD_DEFERRED,
};

struct mship_rev {
	uint64_t	 key;		/* cred_revocation_key() */
	int64_t		 threshold;
};

struct mship_peer {
	struct mship_peer	*next;		/* hash chain */
	uint64_t		 addr;
	uint64_t		 tick;		/* store clock, last use */

	struct com		 com;		/* nq == 0: none */
	int64_t			 com_threshold;
	struct mship_rev	*revs;
	size_t			 nrevs, arevs;
	struct capability	*caps;		/* in the order received */
	size_t			 ncaps, acaps;
	struct tag		*tags;
	size_t			 ntags, atags;
	struct coo		*coos;
	size_t			 ncoos, acoos;

	bool			 pushed;
	int64_t			 last_push;
	uint64_t		 push_gen;
	/*
	 * The peer may no longer hold what we pushed: it went down, or it
	 * pushed a COM new to us (a fresh config: it may have left and
	 * joined again, forgetting ours).  Due again after the holdoff.
	 */
	bool			 stale;
	bool			 down;		/* said by zt-vl1d */
	bool			 liked;
	int64_t			 last_like;
	bool			 rx_seen;
	int64_t			 last_rx;

	/* agreement of our COM with theirs, valid for agree_gen */
	uint64_t		 agree_gen;
	int			 agree;		/* -1 unknown, 0, 1 */
};

struct mship_store {
	uint64_t		 nwid;
	uint64_t		 self;
	struct mship_limits	 lim;
	const struct netconf	*nc;
	/* bumped by every config: cached agreements and pushes expire */
	uint64_t		 gen;
	bool			 have_controller;
	struct identity		 controller;
	struct cred_lookup	 lookup;

	struct mship_peer	**bucket;
	size_t			 nbuckets;	/* power of two */
	size_t			 npeers;
	uint64_t		 tick;

	struct rules_tag	 local_tags[NETCONF_MAX_TAGS];
	size_t			 nlocal_tags;
	/* our managed IPv6 addresses, when static IPs hold them (§7.5) */
	bool			 have_6plane, have_rfc4193;
	uint8_t			 ip_6plane[16], ip_rfc4193[16];

	size_t			 bytes;
	struct mship_counters	 c;

	/* §2.1: frames whose sender's COM we wait for, oldest first */
	struct mship_held {
		uint8_t		*pkt;
		size_t		 len;
		uint64_t	 peer;
		int64_t		 when;
		int64_t		 asked;
	}			 held[MSHIP_HELD_MAX];
	size_t			 nheld;
};

/* rx state of one NETWORK_CREDENTIALS payload */
struct rx {
	const struct mship_rx_ops	*ops;
	uint64_t			 from;
	int64_t				 now;
	struct mship_rx_info		*info;
	/* the store whose record of `from` carries the rate gate */
	struct mship_store		*gate;
	bool				 gate_prev_seen;
	int64_t				 gate_prev_time;
};

static uint64_t
absdiff(int64_t a, int64_t b)
{
	/* unsigned, as 1.14.1 compares timestamps: no overflow */
	return a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static size_t
bucket_of(const struct mship_store *st, uint64_t addr)
{
	/* addresses come from a hash already; mix for the low bits */
	return (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> 32) &
	    (st->nbuckets - 1);
}

static struct mship_peer *
peer_get(const struct mship_store *st, uint64_t addr)
{
	struct mship_peer *p;

	for (p = st->bucket[bucket_of(st, addr)]; p != NULL; p = p->next)
		if (p->addr == addr)
			return p;
	return NULL;
}

static void
peer_touch(struct mship_store *st, struct mship_peer *p)
{
	p->tick = ++st->tick;
}

static void
peer_destroy(struct mship_store *st, struct mship_peer *p)
{
	st->bytes -= sizeof(*p) + p->arevs * sizeof(*p->revs) +
	    p->acaps * sizeof(*p->caps) + p->atags * sizeof(*p->tags) +
	    p->acoos * sizeof(*p->coos);
	free(p->revs);
	free(p->caps);
	free(p->tags);
	free(p->coos);
	free(p);
}

static void
peer_unlink(struct mship_store *st, struct mship_peer *victim)
{
	struct mship_peer **pp;

	for (pp = &st->bucket[bucket_of(st, victim->addr)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			st->npeers--;
			return;
		}
	}
}

/*
 * Least recently used record goes first; records holding revocations
 * only when nothing else is left, since forgetting a revocation would
 * let the revoked credential back in.
 */
static void
evict_one(struct mship_store *st)
{
	struct mship_peer *p, *best = NULL, *best_rev = NULL;
	size_t i;

	for (i = 0; i < st->nbuckets; i++) {
		for (p = st->bucket[i]; p != NULL; p = p->next) {
			if (p->nrevs > 0 || p->com_threshold != 0) {
				if (best_rev == NULL ||
				    p->tick < best_rev->tick)
					best_rev = p;
			} else if (best == NULL || p->tick < best->tick)
				best = p;
		}
	}
	if (best == NULL) {
		best = best_rev;
		if (best == NULL)
			return;
		st->c.evicted_peers_revoked++;
	}
	st->c.evicted_peers++;
	peer_unlink(st, best);
	peer_destroy(st, best);
}

static struct mship_peer *
peer_make(struct mship_store *st, uint64_t addr)
{
	struct mship_peer *p;
	size_t b;

	if ((p = peer_get(st, addr)) != NULL) {
		peer_touch(st, p);
		return p;
	}
	while (st->npeers >= st->lim.max_peers && st->npeers > 0)
		evict_one(st);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		st->c.nomem++;
		return NULL;
	}
	p->addr = addr;
	p->agree = -1;
	peer_touch(st, p);
	b = bucket_of(st, addr);
	p->next = st->bucket[b];
	st->bucket[b] = p;
	st->npeers++;
	st->bytes += sizeof(*p);
	return p;
}

/*
 * Room for one more element in a per-peer array: grows by doubling up
 * to max; -1 when full (the caller evicts) or out of memory.
 */
static int
grow(struct mship_store *st, void **arr, size_t *alloc, size_t n,
    size_t max, size_t elem)
{
	size_t na;
	void *np;

	if (n < *alloc)
		return 0;
	if (*alloc >= max)
		return -1;
	na = *alloc == 0 ? 2 : *alloc * 2;
	if (na > max)
		na = max;
	if ((np = reallocarray(*arr, na, elem)) == NULL) {
		st->c.nomem++;
		return -1;
	}
	st->bytes += (na - *alloc) * elem;
	*arr = np;
	*alloc = na;
	return 0;
}

static const struct mship_rev *
rev_find(const struct mship_peer *p, uint64_t key)
{
	size_t i;

	for (i = 0; i < p->nrevs; i++)
		if (p->revs[i].key == key)
			return &p->revs[i];
	return NULL;
}

/*
 * Our config's view of a stored credential (§6.7 "using"): close enough
 * in time to our config and above its revocation threshold.
 */
static bool
cred_usable(const struct mship_store *st, const struct mship_peer *p,
    enum cred_type type, uint32_t id, int64_t ts)
{
	const struct mship_rev *rv;

	if (st->nc == NULL || st->nc->credential_time_max_delta < 0 ||
	    absdiff(ts, st->nc->timestamp) >
	    (uint64_t)st->nc->credential_time_max_delta)
		return false;
	rv = rev_find(p, cred_revocation_key(type, id));
	return rv == NULL || ts > rv->threshold;
}

struct mship_store *
mship_store_new(uint64_t nwid, uint64_t self, const struct mship_limits *l)
{
	struct mship_store *st;
	size_t nb = 16;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->nwid = nwid;
	st->self = self;
	if (l != NULL)
		st->lim = *l;
	if (st->lim.max_peers == 0)
		st->lim.max_peers = DEF_MAX_PEERS;
	if (st->lim.max_caps == 0)
		st->lim.max_caps = DEF_MAX_CAPS;
	if (st->lim.max_tags == 0)
		st->lim.max_tags = DEF_MAX_TAGS;
	if (st->lim.max_coos == 0)
		st->lim.max_coos = DEF_MAX_COOS;
	if (st->lim.max_revocations == 0)
		st->lim.max_revocations = DEF_MAX_REVS;
	while (nb < st->lim.max_peers && nb < (1U << 20))
		nb <<= 1;
	if ((st->bucket = calloc(nb, sizeof(*st->bucket))) == NULL) {
		free(st);
		return NULL;
	}
	st->nbuckets = nb;
	st->bytes = sizeof(*st) + nb * sizeof(*st->bucket);
	return st;
}

void
mship_store_free(struct mship_store *st)
{
	struct mship_peer *p, *n;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nbuckets; i++) {
		for (p = st->bucket[i]; p != NULL; p = n) {
			n = p->next;
			peer_destroy(st, p);
		}
	}
	for (i = 0; i < st->nheld; i++)
		free(st->held[i].pkt);
	free(st->bucket);
	identity_clear(&st->controller);
	free(st);
}

uint64_t
mship_store_nwid(const struct mship_store *st)
{
	return st->nwid;
}

/* our managed address ip is among our static IPs */
static bool
have_static(const struct netconf *nc, const struct inetaddr *ip)
{
	size_t i;

	for (i = 0; i < nc->nstatic_ips; i++)
		if (inetaddr_ip_equal(&nc->static_ips[i], ip))
			return true;
	return false;
}

void
mship_set_config(struct mship_store *st, const struct netconf *nc)
{
	struct inetaddr a;
	size_t i;

	st->nc = nc;
	st->gen++;
	st->nlocal_tags = 0;
	st->have_6plane = st->have_rfc4193 = false;
	if (nc == NULL)
		return;
	for (i = 0; i < nc->ntags && i < NETCONF_MAX_TAGS; i++) {
		st->local_tags[i].id = nc->tags[i].id;
		st->local_tags[i].value = nc->tags[i].value;
	}
	st->nlocal_tags = i;
	mac_6plane(&a, nc->nwid, nc->issued_to);
	if (have_static(nc, &a)) {
		st->have_6plane = true;
		memcpy(st->ip_6plane, a.ip, 16);
	}
	mac_rfc4193(&a, nc->nwid, nc->issued_to);
	if (have_static(nc, &a)) {
		st->have_rfc4193 = true;
		memcpy(st->ip_rfc4193, a.ip, 16);
	}
}

void
mship_set_controller(struct mship_store *st, const struct identity *id)
{
	identity_clear(&st->controller);
	st->have_controller = false;
	if (id == NULL)
		return;
	if (identity_copy(&st->controller, id, false) == 0)
		st->have_controller = true;
}

void
mship_set_lookup(struct mship_store *st, const struct cred_lookup *l)
{
	if (l == NULL)
		memset(&st->lookup, 0, sizeof(st->lookup));
	else
		st->lookup = *l;
}

static const struct identity *
controller_of(const struct mship_store *st)
{
	return st->have_controller ? &st->controller : NULL;
}

static const struct identity *
lookup_identity(const struct mship_store *st, uint64_t addr)
{
	if (st->have_controller && st->controller.address == addr)
		return &st->controller;
	if (st->lookup.fn == NULL)
		return NULL;
	return st->lookup.fn(st->lookup.arg, addr);
}

static const struct identity *
lookup_cb(void *arg, uint64_t addr)
{
	return lookup_identity(arg, addr);
}

/* verify result → add result, with the counters and the WHOIS target */
static enum add_result
verified(struct mship_store *st, struct rx *rx, enum cred_verify v,
    uint64_t whois)
{
	switch (v) {
	case CRED_VERIFY_OK:
		return ADD_NEW;
	case CRED_VERIFY_WHOIS:
		st->c.deferred_whois++;
		rx->info->whois = whois;
		return ADD_DEFERRED;
	default:
		st->c.rejected_signature++;
		rx->info->reason = "invalid signature";
		return ADD_REJECTED;
	}
}

static enum add_result
reject(struct mship_store *st, struct rx *rx, uint64_t *ctr,
    const char *why)
{
	(void)st;
	(*ctr)++;
	rx->info->reason = why;
	return ADD_REJECTED;
}

/* a credential held for address 0 or 0xff.. would be for no one */
static bool
bad_holder(struct mship_store *st, struct rx *rx, uint64_t holder)
{
	if (!zt_address_reserved(holder))
		return false;
	reject(st, rx, &st->c.rejected_holder, "credential for no member");
	return true;
}

static enum add_result
add_com(struct mship_store *st, struct rx *rx, const struct com *c)
{
	struct mship_peer *p;
	uint64_t to = com_issued_to(c);
	int64_t ts = com_timestamp(c);
	enum add_result r;
	bool replaced = false;

	if (c->signed_by != cred_controller(st->nwid))
		return reject(st, rx, &st->c.rejected_signer,
		    "COM not signed by the controller");
	if (bad_holder(st, rx, to))
		return ADD_REJECTED;
	p = peer_get(st, to);
	if (p != NULL) {
		if (ts <= p->com_threshold)
			return reject(st, rx, &st->c.rejected_revoked,
			    "COM revoked");
		if (p->com.nq > 0 && ts < com_timestamp(&p->com))
			return reject(st, rx, &st->c.rejected_old,
			    "COM older than the one held");
		if (p->com.nq > 0 && com_equal(&p->com, c)) {
			peer_touch(st, p);
			return ADD_REDUNDANT;
		}
		replaced = p->com.nq > 0;
	}
	r = verified(st, rx, com_verify(c, controller_of(st)),
	    c->signed_by);
	if (r != ADD_NEW)
		return r;
	if ((p = peer_make(st, to)) == NULL)
		return reject(st, rx, &st->c.nomem, "out of memory");
	p->com = *c;
	p->agree = -1;
	/* a new config on its side: it may have joined again (warm rejoin) */
	if (replaced)
		p->stale = true;
	return ADD_NEW;
}

/*
 * Index for a new credential in a per-peer array: a free slot, or the
 * oldest one (by timestamp) evicted.  -1 only if nothing can be held.
 */
static long
slot_for(struct mship_store *st, void **arr, size_t *n, size_t *alloc,
    size_t max, size_t elem, int64_t (*ts_of)(const void *))
{
	const uint8_t *base;
	size_t i, old = 0;

	if (grow(st, arr, alloc, *n, max, elem) == 0)
		return (long)(*n)++;
	if (*n == 0)
		return -1;
	base = *arr;
	for (i = 1; i < *n; i++)
		if (ts_of(base + i * elem) < ts_of(base + old * elem))
			old = i;
	st->c.evicted_items++;
	return (long)old;
}

static int64_t
cap_ts(const void *e)
{
	return ((const struct capability *)e)->timestamp;
}

static int64_t
tag_ts(const void *e)
{
	return ((const struct tag *)e)->timestamp;
}

static int64_t
coo_ts(const void *e)
{
	return ((const struct coo *)e)->timestamp;
}

/* revocation threshold held for (type, id) at or above ts */
static bool
revoked_at(const struct mship_peer *p, enum cred_type type, uint32_t id,
    int64_t ts)
{
	const struct mship_rev *rv;

	if (p == NULL)
		return false;
	rv = rev_find(p, cred_revocation_key(type, id));
	return rv != NULL && rv->threshold >= ts;
}

/* the custody signer whose identity is missing, for the WHOIS */
static uint64_t
cap_whois(const struct mship_store *st, const struct capability *c)
{
	size_t i;

	if (!st->have_controller)
		return cred_controller(c->nwid);
	for (i = 1; i < c->ncustody && i < CAP_MAX_CUSTODY; i++)
		if (c->custody[i].from != 0 &&
		    lookup_identity(st, c->custody[i].from) == NULL)
			return c->custody[i].from;
	return cred_controller(c->nwid);
}

static enum add_result
add_cap(struct mship_store *st, struct rx *rx, const struct capability *c)
{
	struct cred_lookup cl = { lookup_cb, st };
	struct mship_peer *p;
	uint64_t to = capability_issued_to(c);
	enum add_result r;
	size_t i;
	long k;

	if (c->ncustody == 0 || c->custody[0].from != cred_controller(st->nwid))
		return reject(st, rx, &st->c.rejected_signer,
		    "capability not issued by the controller");
	if (bad_holder(st, rx, to))
		return ADD_REJECTED;
	if ((p = peer_get(st, to)) != NULL) {
		for (i = 0; i < p->ncaps; i++) {
			if (p->caps[i].id != c->id)
				continue;
			if (p->caps[i].timestamp > c->timestamp)
				return reject(st, rx, &st->c.rejected_old,
				    "capability older than the one held");
			if (capability_equal(&p->caps[i], c))
				return ADD_REDUNDANT;
			break;
		}
	}
	if (revoked_at(p, CRED_TYPE_CAPABILITY, c->id, c->timestamp))
		return reject(st, rx, &st->c.rejected_revoked,
		    "capability revoked");
	r = verified(st, rx, capability_verify(c, controller_of(st), &cl),
	    cap_whois(st, c));
	if (r != ADD_NEW)
		return r;
	if ((p = peer_make(st, to)) == NULL)
		return reject(st, rx, &st->c.nomem, "out of memory");
	for (i = 0; i < p->ncaps; i++)
		if (p->caps[i].id == c->id)
			break;
	if (i == p->ncaps) {
		k = slot_for(st, (void **)&p->caps, &p->ncaps, &p->acaps,
		    st->lim.max_caps, sizeof(*p->caps), cap_ts);
		if (k < 0)
			return reject(st, rx, &st->c.nomem, "out of memory");
		i = (size_t)k;
	}
	p->caps[i] = *c;
	return ADD_NEW;
}

static enum add_result
add_tag(struct mship_store *st, struct rx *rx, const struct tag *t)
{
	struct mship_peer *p;
	enum add_result r;
	size_t i;
	long k;

	if (t->signed_by != cred_controller(st->nwid))
		return reject(st, rx, &st->c.rejected_signer,
		    "tag not signed by the controller");
	if (bad_holder(st, rx, t->issued_to))
		return ADD_REJECTED;
	if ((p = peer_get(st, t->issued_to)) != NULL) {
		for (i = 0; i < p->ntags; i++) {
			if (p->tags[i].id != t->id)
				continue;
			if (p->tags[i].timestamp > t->timestamp)
				return reject(st, rx, &st->c.rejected_old,
				    "tag older than the one held");
			if (tag_equal(&p->tags[i], t))
				return ADD_REDUNDANT;
			break;
		}
	}
	if (revoked_at(p, CRED_TYPE_TAG, t->id, t->timestamp))
		return reject(st, rx, &st->c.rejected_revoked, "tag revoked");
	r = verified(st, rx, tag_verify(t, controller_of(st)), t->signed_by);
	if (r != ADD_NEW)
		return r;
	if ((p = peer_make(st, t->issued_to)) == NULL)
		return reject(st, rx, &st->c.nomem, "out of memory");
	for (i = 0; i < p->ntags; i++)
		if (p->tags[i].id == t->id)
			break;
	if (i == p->ntags) {
		k = slot_for(st, (void **)&p->tags, &p->ntags, &p->atags,
		    st->lim.max_tags, sizeof(*p->tags), tag_ts);
		if (k < 0)
			return reject(st, rx, &st->c.nomem, "out of memory");
		i = (size_t)k;
	}
	p->tags[i] = *t;
	return ADD_NEW;
}

static enum add_result
add_coo(struct mship_store *st, struct rx *rx, const struct coo *o)
{
	struct mship_peer *p;
	enum add_result r;
	size_t i;
	long k;

	if (o->signed_by != cred_controller(st->nwid))
		return reject(st, rx, &st->c.rejected_signer,
		    "COO not signed by the controller");
	if (bad_holder(st, rx, o->issued_to))
		return ADD_REJECTED;
	if ((p = peer_get(st, o->issued_to)) != NULL) {
		for (i = 0; i < p->ncoos; i++) {
			if (p->coos[i].id != o->id)
				continue;
			if (p->coos[i].timestamp > o->timestamp)
				return reject(st, rx, &st->c.rejected_old,
				    "COO older than the one held");
			if (coo_equal(&p->coos[i], o))
				return ADD_REDUNDANT;
			break;
		}
	}
	if (revoked_at(p, CRED_TYPE_COO, o->id, o->timestamp))
		return reject(st, rx, &st->c.rejected_revoked, "COO revoked");
	r = verified(st, rx, coo_verify(o, controller_of(st)), o->signed_by);
	if (r != ADD_NEW)
		return r;
	if ((p = peer_make(st, o->issued_to)) == NULL)
		return reject(st, rx, &st->c.nomem, "out of memory");
	for (i = 0; i < p->ncoos; i++)
		if (p->coos[i].id == o->id)
			break;
	if (i == p->ncoos) {
		k = slot_for(st, (void **)&p->coos, &p->ncoos, &p->acoos,
		    st->lim.max_coos, sizeof(*p->coos), coo_ts);
		if (k < 0)
			return reject(st, rx, &st->c.nomem, "out of memory");
		i = (size_t)k;
	}
	p->coos[i] = *o;
	return ADD_NEW;
}

/* raises the threshold for key; false if the one held is not lower */
static bool
rev_raise(struct mship_store *st, struct mship_peer *p, uint64_t key,
    int64_t threshold)
{
	size_t i, low = 0;

	for (i = 0; i < p->nrevs; i++) {
		if (p->revs[i].key != key)
			continue;
		if (p->revs[i].threshold >= threshold)
			return false;
		p->revs[i].threshold = threshold;
		return true;
	}
	/* an absent threshold reads as 0 in 1.14.1 */
	if (threshold <= 0)
		return false;
	if (grow(st, (void **)&p->revs, &p->arevs, p->nrevs,
	    st->lim.max_revocations, sizeof(*p->revs)) == 0) {
		i = p->nrevs++;
	} else {
		/*
		 * Full: the lowest threshold goes.  The COM threshold, which
		 * every revocation also raises (§6.5), still cuts the
		 * member off until the controller issues it new credentials.
		 */
		if (p->nrevs == 0)
			return false;
		for (i = 1; i < p->nrevs; i++)
			if (p->revs[i].threshold < p->revs[low].threshold)
				low = i;
		i = low;
		st->c.evicted_items++;
	}
	p->revs[i].key = key;
	p->revs[i].threshold = threshold;
	return true;
}

static enum add_result
add_rev(struct mship_store *st, struct rx *rx, const struct revocation *v)
{
	struct mship_peer *p;
	enum add_result r;
	bool raised;

	if (v->signed_by != cred_controller(st->nwid))
		return reject(st, rx, &st->c.rejected_signer,
		    "revocation not signed by the controller");
	r = verified(st, rx, revocation_verify(v, controller_of(st)),
	    v->signed_by);
	if (r != ADD_NEW)
		return r;
	switch (v->type) {
	case CRED_TYPE_COM:
	case CRED_TYPE_CAPABILITY:
	case CRED_TYPE_TAG:
	case CRED_TYPE_COO:
		break;
	default:
		return reject(st, rx, &st->c.rejected_type,
		    "revocation of an unknown credential type");
	}
	if (bad_holder(st, rx, v->target))
		return ADD_REJECTED;
	if ((p = peer_make(st, v->target)) == NULL)
		return reject(st, rx, &st->c.nomem, "out of memory");
	if (v->type == CRED_TYPE_COM) {
		if (v->threshold <= p->com_threshold)
			return ADD_REDUNDANT;
		p->com_threshold = v->threshold;
		return ADD_NEW;
	}
	raised = rev_raise(st, p, cred_revocation_key(v->type,
	    v->credential_id), v->threshold);
	if (!raised)
		return ADD_REDUNDANT;
	/* 1.14.1 sets (not raises) the COM threshold here too (§6.5) */
	p->com_threshold = v->threshold;
	return ADD_NEW;
}

/*
 * The store for a credential of network nwid; the first joined network
 * named in a payload carries the sender's rate gate (1.14.1 keeps it on
 * the peer: one payload per second, §3.4).
 */
static struct mship_store *
rx_store(struct rx *rx, uint64_t nwid, bool *limited)
{
	struct mship_store *st;
	struct mship_peer *p;

	*limited = false;
	if ((st = rx->ops->find(rx->ops->arg, nwid)) == NULL) {
		rx->info->ignored++;
		return NULL;
	}
	if (rx->gate != NULL)
		return st;
	rx->gate = st;
	if ((p = peer_make(st, rx->from)) == NULL)
		return st;
	rx->gate_prev_seen = p->rx_seen;
	rx->gate_prev_time = p->last_rx;
	if (p->rx_seen && rx->now >= p->last_rx &&
	    rx->now - p->last_rx < MSHIP_RX_RATE_PERIOD) {
		st->c.rx_rate_limited++;
		rx->info->reason = "credentials rate limited";
		*limited = true;
		return NULL;
	}
	p->rx_seen = true;
	p->last_rx = rx->now;
	return st;
}

/*
 * A deferred payload comes back once the WHOIS is answered: that retry
 * must not meet the rate gate this attempt closed (1.14.1 loses it,
 * §3.4 quirk; we keep it).
 */
static void
rx_ungate(struct rx *rx)
{
	struct mship_peer *p;

	if (rx->gate == NULL || (p = peer_get(rx->gate, rx->from)) == NULL)
		return;
	p->rx_seen = rx->gate_prev_seen;
	p->last_rx = rx->gate_prev_time;
}

/* fast propagation (§6.5): the revocation alone, to every other member */
static void
rx_relay(struct mship_store *st, struct rx *rx, const struct revocation *v)
{
	uint8_t buf[1 + 2 + 2 + 2 + REVOCATION_WIRE_MAX + 2];
	struct mship_peer *p;
	struct wbuf w;
	size_t i;

	if (rx->ops->send == NULL)
		return;
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u8(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 1);
	revocation_serialize(v, &w);
	wbuf_put_u16(&w, 0);
	if (wbuf_failed(&w))
		return;
	for (i = 0; i < st->nbuckets; i++) {
		for (p = st->bucket[i]; p != NULL; p = p->next) {
			if (p->addr == rx->from || p->addr == v->signed_by ||
			    p->addr == st->self)
				continue;
			rx->ops->send(rx->ops->arg, st->nwid, p->addr,
			    wbuf_data(&w), wbuf_len(&w));
			st->c.revocations_relayed++;
		}
	}
}

static enum mship_rx_result
rx_one(struct rx *rx, uint64_t nwid, enum cred_type type, const void *cred)
{
	const struct revocation *v = cred;
	struct mship_store *st;
	enum add_result r;
	bool limited;

	st = rx_store(rx, nwid, &limited);
	if (limited)
		return MSHIP_RX_RATE_LIMITED;
	if (st == NULL)
		return MSHIP_RX_OK;
	if (st->nwid != nwid) {
		/* a find() that answers for another network */
		st->c.rejected_network++;
		rx->info->rejected++;
		return MSHIP_RX_OK;
	}
	switch (type) {
	case CRED_TYPE_COM:
		r = add_com(st, rx, cred);
		break;
	case CRED_TYPE_CAPABILITY:
		r = add_cap(st, rx, cred);
		break;
	case CRED_TYPE_TAG:
		r = add_tag(st, rx, cred);
		break;
	case CRED_TYPE_COO:
		r = add_coo(st, rx, cred);
		break;
	default:
		r = add_rev(st, rx, cred);
		break;
	}
	switch (r) {
	case ADD_DEFERRED:
		rx_ungate(rx);
		return MSHIP_RX_DEFERRED;
	case ADD_REJECTED:
		rx->info->rejected++;
		return MSHIP_RX_OK;
	case ADD_REDUNDANT:
		st->c.accepted_redundant++;
		rx->info->accepted++;
		return MSHIP_RX_OK;
	case ADD_NEW:
		st->c.accepted_new++;
		rx->info->accepted++;
		break;
	}
	if (type == CRED_TYPE_REVOCATION) {
		st->c.revocations_applied++;
		rx->info->revoked++;
		if (rx->ops->revoked != NULL)
			rx->ops->revoked(rx->ops->arg, st->nwid, v->target);
		if (revocation_fast_propagate(v))
			rx_relay(st, rx, v);
	}
	return MSHIP_RX_OK;
}

static enum mship_rx_result
rx_malformed(struct rx *rx)
{
	if (rx->gate != NULL)
		rx->gate->c.rx_malformed++;
	rx->info->reason = "malformed credentials";
	return MSHIP_RX_MALFORMED;
}

/* one of the counted sections after the COMs */
static enum mship_rx_result
rx_section(struct rx *rx, struct rbuf *r, enum cred_type type)
{
	union {
		struct capability	 cap;
		struct tag		 tag;
		struct revocation	 rev;
		struct coo		 coo;
	} u;
	enum mship_rx_result res;
	uint64_t nwid;
	uint16_t n, i;
	int rc;

	if (rbuf_get_u16(r, &n) == -1)
		return rx_malformed(rx);
	for (i = 0; i < n; i++) {
		switch (type) {
		case CRED_TYPE_CAPABILITY:
			rc = capability_deserialize(&u.cap, r);
			nwid = u.cap.nwid;
			break;
		case CRED_TYPE_TAG:
			rc = tag_deserialize(&u.tag, r);
			nwid = u.tag.nwid;
			break;
		case CRED_TYPE_REVOCATION:
			rc = revocation_deserialize(&u.rev, r);
			nwid = u.rev.nwid;
			break;
		default:
			rc = coo_deserialize(&u.coo, r);
			nwid = u.coo.nwid;
			break;
		}
		if (rc == -1)
			return rx_malformed(rx);
		if ((res = rx_one(rx, nwid, type, &u)) != MSHIP_RX_OK)
			return res;
	}
	return MSHIP_RX_OK;
}

enum mship_rx_result
mship_recv_credentials(const struct mship_rx_ops *ops, uint64_t from,
    const uint8_t *payload, size_t len, int64_t now,
    struct mship_rx_info *info)
{
	static const enum cred_type sections[] = { CRED_TYPE_CAPABILITY,
	    CRED_TYPE_TAG, CRED_TYPE_REVOCATION, CRED_TYPE_COO };
	struct rx rx;
	struct com com;
	struct rbuf r;
	enum mship_rx_result res;
	uint8_t b;
	size_t i;

	memset(info, 0, sizeof(*info));
	memset(&rx, 0, sizeof(rx));
	rx.ops = ops;
	rx.from = from;
	rx.now = now;
	rx.info = info;
	rbuf_init(&r, payload, len);
	/* COMs until a zero byte */
	while (rbuf_peek_u8(&r, &b) == 0 && b != 0) {
		if (com_deserialize(&com, &r) == -1)
			return rx_malformed(&rx);
		if (com.nq == 0)
			continue;
		res = rx_one(&rx, com_network_id(&com), CRED_TYPE_COM, &com);
		if (res != MSHIP_RX_OK)
			return res;
	}
	/* older senders stop after the terminator, or before any section */
	if (rbuf_skip(&r, 1) == -1)
		return MSHIP_RX_OK;
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (rbuf_remaining(&r) == 0)
			return MSHIP_RX_OK;
		if ((res = rx_section(&rx, &r, sections[i])) != MSHIP_RX_OK)
			return res;
	}
	return MSHIP_RX_OK;
}

enum mship_rx_result
mship_offer_com(struct mship_store *st, uint64_t from, const struct com *c,
    int64_t now, struct mship_rx_info *info)
{
	struct rx rx;

	memset(info, 0, sizeof(*info));
	memset(&rx, 0, sizeof(rx));
	rx.from = from;
	rx.now = now;
	rx.info = info;
	if (c->nq == 0 || com_network_id(c) != st->nwid) {
		st->c.rejected_network++;
		info->rejected++;
		info->reason = "COM for another network";
		return MSHIP_RX_OK;
	}
	switch (add_com(st, &rx, c)) {
	case ADD_DEFERRED:
		return MSHIP_RX_DEFERRED;
	case ADD_REJECTED:
		info->rejected++;
		break;
	case ADD_REDUNDANT:
		st->c.accepted_redundant++;
		info->accepted++;
		break;
	case ADD_NEW:
		st->c.accepted_new++;
		info->accepted++;
		break;
	}
	return MSHIP_RX_OK;
}

/* our COM binds identities (qualifiers 3..6): theirs must match theirs */
static bool
com_binds_identity(const struct com *c)
{
	unsigned int i;

	for (i = 0; i < c->nq; i++)
		if (c->q[i].id >= COM_Q_IDHASH0 &&
		    c->q[i].id < COM_Q_IDHASH0 + 4)
			return true;
	return false;
}

enum mship_gate
mship_peer_may_send(struct mship_store *st, uint64_t peer, int64_t now)
{
	const struct identity *id = NULL;
	struct mship_peer *p;

	if (st->nc == NULL) {
		st->c.gate_no_config++;
		return MSHIP_GATE_DENY;
	}
	/* §6.7: in 1.14.1 nothing in the gate expires with time */
	(void)now;
	if (st->nc->type == NETCONF_TYPE_PUBLIC)
		return MSHIP_GATE_ALLOW;
	if ((p = peer_get(st, peer)) == NULL || p->com.nq == 0) {
		st->c.gate_no_com++;
		return MSHIP_GATE_DENY;
	}
	peer_touch(st, p);
	/* checked on every frame: a revocation takes effect at once */
	if (p->com_threshold != 0 &&
	    com_timestamp(&p->com) <= p->com_threshold) {
		st->c.gate_revoked++;
		return MSHIP_GATE_DENY;
	}
	if (p->agree < 0 || p->agree_gen != st->gen) {
		if (com_binds_identity(&st->nc->com)) {
			id = lookup_identity(st, peer);
			if (id == NULL) {
				st->c.gate_need_identity++;
				return MSHIP_GATE_NEED_IDENTITY;
			}
		}
		/* an identity under another address is no proof */
		p->agree = (id == NULL || id->address == peer) &&
		    com_agrees(&st->nc->com, &p->com, id);
		p->agree_gen = st->gen;
	}
	if (!p->agree) {
		st->c.gate_disagree++;
		return MSHIP_GATE_DENY;
	}
	return MSHIP_GATE_ALLOW;
}

/* the gate fails only for want of the peer's COM */
static bool
lacks_com(struct mship_store *st, uint64_t peer)
{
	struct mship_peer *p;

	if (st->nc == NULL || st->nc->type == NETCONF_TYPE_PUBLIC)
		return false;
	p = peer_get(st, peer);
	/* a revocation held for it: its frames are refused, not kept */
	return p == NULL || (p->com.nq == 0 && p->com_threshold == 0);
}

int
mship_hold(struct mship_store *st, uint64_t peer, const uint8_t *pkt,
    size_t len, int64_t now)
{
	struct mship_held *h;
	size_t i, mine = 0;

	if (!lacks_com(st, peer))
		return 0;
	for (i = 0; i < st->nheld; i++)
		if (st->held[i].peer == peer)
			mine++;
	if (mine >= MSHIP_HELD_PER_PEER || st->nheld == MSHIP_HELD_MAX) {
		st->c.held_overflow++;
		return -1;
	}
	h = &st->held[st->nheld];
	if ((h->pkt = malloc(len)) == NULL) {
		st->c.nomem++;
		return -1;
	}
	memcpy(h->pkt, pkt, len);
	h->len = len;
	h->peer = peer;
	h->when = now;
	/* the receive path has just asked */
	h->asked = now;
	st->nheld++;
	st->c.held++;
	return 1;
}

void
mship_held_run(struct mship_store *st, int64_t now,
    const struct mship_held_ops *ops)
{
	struct mship_held go[MSHIP_HELD_MAX];
	size_t i, keep = 0, ngo = 0;

	for (i = 0; i < st->nheld; i++) {
		struct mship_held *h = &st->held[i];

		if (now - h->when > MSHIP_HELD_MS || now < h->when) {
			free(h->pkt);
			st->c.held_expired++;
		} else if (!lacks_com(st, h->peer))
			go[ngo++] = *h;
		else {
			if (now - h->asked >= MSHIP_HELD_RETRY_MS) {
				h->asked = now;
				ops->ask(ops->arg, h->peer, h->pkt, h->len);
			}
			st->held[keep++] = *h;
		}
	}
	st->nheld = keep;
	/* the queue is consistent again before anything is delivered */
	for (i = 0; i < ngo; i++) {
		st->c.held_delivered++;
		ops->deliver(ops->arg, go[i].peer, go[i].pkt, go[i].len);
		free(go[i].pkt);
	}
}

size_t
mship_held_count(const struct mship_store *st)
{
	return st->nheld;
}

bool
mship_like_due(struct mship_store *st, uint64_t peer, int64_t now)
{
	struct mship_peer *p;

	if ((p = peer_make(st, peer)) == NULL)
		return false;
	if (p->liked && now >= p->last_like &&
	    now - p->last_like < MSHIP_LIKE_PERIOD)
		return false;
	p->liked = true;
	p->last_like = now;
	return true;
}

void
mship_each_peer(struct mship_store *st, void (*fn)(void *, uint64_t),
    void *arg)
{
	struct mship_peer *p;
	size_t b;

	for (b = 0; b < st->nbuckets; b++)
		for (p = st->bucket[b]; p != NULL; p = p->next)
			fn(arg, p->addr);
}

void
mship_peer_down(struct mship_store *st, uint64_t peer)
{
	struct mship_peer *p;

	if ((p = peer_get(st, peer)) == NULL)
		return;
	p->stale = true;
	p->down = true;
	p->rx_seen = false;
}

int
mship_peer_up(struct mship_store *st, uint64_t peer, int64_t now,
    mship_send_fn fn, void *arg)
{
	struct mship_peer *p;

	/* LIKEs sent while it was away may be lost with it: due again */
	if ((p = peer_get(st, peer)) != NULL && p->down) {
		p->down = false;
		p->liked = false;
	}
	return mship_push_if_due(st, peer, now, MSHIP_PUSH_ON_UP, fn, arg);
}

bool
mship_recently_associated(const struct mship_store *st, uint64_t peer,
    int64_t now)
{
	const struct mship_peer *p = peer_get(st, peer);

	return p != NULL && p->com.nq > 0 &&
	    now - com_timestamp(&p->com) < MSHIP_RECENT_ASSOCIATION;
}

/* anything to push at all */
static bool
have_credentials(const struct netconf *nc)
{
	return nc != NULL && (nc->com.nq > 0 || nc->ncapabilities > 0 ||
	    nc->ntags > 0 || nc->ncoos > 0);
}

bool
mship_push_due(struct mship_store *st, uint64_t peer, int64_t now,
    enum mship_push_why why)
{
	const struct mship_peer *p;
	int64_t hold;

	if (!have_credentials(st->nc))
		return false;
	p = peer_get(st, peer);
	switch (why) {
	case MSHIP_PUSH_ON_ERROR:
		/* only a node with a COM answers the complaint (§6.8) */
		if (st->nc->com.nq == 0)
			return false;
		hold = MSHIP_PUSH_ERROR_HOLDOFF;
		break;
	case MSHIP_PUSH_ON_UP:
		/* members of a private network only: others need nothing */
		if (st->nc->type != NETCONF_TYPE_PRIVATE || p == NULL ||
		    p->com.nq == 0)
			return false;
		hold = MSHIP_PUSH_PERIOD;
		break;
	default:
		hold = MSHIP_PUSH_PERIOD;
		break;
	}
	if (p == NULL || !p->pushed || p->push_gen != st->gen)
		return true;
	/* a clock that went back counts as due */
	if (now < p->last_push)
		return true;
	if (p->stale && hold > MSHIP_PUSH_ERROR_HOLDOFF)
		hold = MSHIP_PUSH_ERROR_HOLDOFF;
	return now - p->last_push > hold;
}

static int
build(const struct netconf *nc, uint64_t to, mship_send_fn fn, void *arg,
    size_t *count)
{
	uint8_t buf[MSHIP_PAYLOAD_MAX];
	size_t ci = 0, ti = 0, oi = 0, at, n, before;
	bool com = nc->com.nq > 0, progress;
	struct wbuf w;

	*count = 0;
	while (com || ci < nc->ncapabilities || ti < nc->ntags ||
	    oi < nc->ncoos) {
		before = ci + ti + oi;
		/* the COM counts as progress: it leaves in this payload */
		progress = com;
		wbuf_init(&w, buf, MSHIP_PAYLOAD_MAX);
		if (com) {
			com_serialize(&nc->com, &w);
			com = false;
		}
		wbuf_put_u8(&w, 0);
		/* 1.14.1's fill test counts the packet header too */
		at = wbuf_len(&w);
		wbuf_put_u16(&w, 0);
		for (n = 0; ci < nc->ncapabilities && MSHIP_PACKET_HEADER +
		    wbuf_len(&w) + MEM_CAPABILITY_1141 + 16 <
		    MSHIP_PACKET_MAX; n++)
			capability_serialize(&nc->capabilities[ci++], &w);
		wbuf_patch_u16(&w, at, (uint16_t)n);
		at = wbuf_len(&w);
		wbuf_put_u16(&w, 0);
		for (n = 0; ti < nc->ntags && MSHIP_PACKET_HEADER +
		    wbuf_len(&w) + MEM_TAG_1141 + 16 < MSHIP_PACKET_MAX; n++)
			tag_serialize(&nc->tags[ti++], &w);
		wbuf_patch_u16(&w, at, (uint16_t)n);
		/* revocations travel only from the controller and by relay */
		wbuf_put_u16(&w, 0);
		at = wbuf_len(&w);
		wbuf_put_u16(&w, 0);
		for (n = 0; oi < nc->ncoos && MSHIP_PACKET_HEADER +
		    wbuf_len(&w) + MEM_COO_1141 + 16 < MSHIP_PACKET_MAX; n++)
			coo_serialize(&nc->coos[oi++], &w);
		wbuf_patch_u16(&w, at, (uint16_t)n);
		if (wbuf_failed(&w) || (!progress && ci + ti + oi == before))
			return -1;
		fn(arg, nc->nwid, to, wbuf_data(&w), wbuf_len(&w));
		(*count)++;
	}
	return 0;
}

int
mship_build_payloads(const struct netconf *nc, mship_send_fn fn, void *arg)
{
	size_t n;

	if (nc == NULL)
		return -1;
	return build(nc, 0, fn, arg, &n);
}

int
mship_push(struct mship_store *st, uint64_t peer, int64_t now,
    mship_send_fn fn, void *arg)
{
	struct mship_peer *p;
	size_t n;

	if (st->nc == NULL)
		return -1;
	if ((p = peer_make(st, peer)) == NULL)
		return -1;
	if (build(st->nc, peer, fn, arg, &n) == -1)
		return -1;
	p->pushed = true;
	p->stale = false;
	p->last_push = now;
	p->push_gen = st->gen;
	st->c.pushes++;
	st->c.push_payloads += n;
	return 0;
}

int
mship_push_if_due(struct mship_store *st, uint64_t peer, int64_t now,
    enum mship_push_why why, mship_send_fn fn, void *arg)
{
	if (!mship_push_due(st, peer, now, why))
		return 0;
	return mship_push(st, peer, now, fn, arg) == 0 ? 1 : -1;
}

size_t
mship_remote_tags(const struct mship_store *st, uint64_t peer,
    struct rules_tag *out, size_t max)
{
	const struct mship_peer *p = peer_get(st, peer);
	size_t i, n = 0;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->ntags && n < max; i++) {
		if (!cred_usable(st, p, CRED_TYPE_TAG, p->tags[i].id,
		    p->tags[i].timestamp))
			continue;
		out[n].id = p->tags[i].id;
		out[n].value = p->tags[i].value;
		n++;
	}
	return n;
}

size_t
mship_remote_caps(const struct mship_store *st, uint64_t peer,
    struct rules_cap *out, size_t max)
{
	const struct mship_peer *p = peer_get(st, peer);
	size_t i, n = 0;

	if (p == NULL)
		return 0;
	for (i = 0; i < p->ncaps && n < max; i++) {
		if (!cred_usable(st, p, CRED_TYPE_CAPABILITY, p->caps[i].id,
		    p->caps[i].timestamp))
			continue;
		out[n].id = p->caps[i].id;
		out[n].rules = p->caps[i].rules;
		out[n].n = p->caps[i].nrules;
		n++;
	}
	return n;
}

const struct rules_tag *
mship_local_tags(const struct mship_store *st, size_t *n)
{
	*n = st->nlocal_tags;
	return st->local_tags;
}

/*
 * 1.14.1 takes an IPv6 source inside our own 6PLANE /40 or RFC4193 /88
 * as owned when NDP emulation is on, whoever sent it (§7.5): with
 * emulation the addresses there are derived, not assigned.
 */
static bool
unspoofable_v6(const struct mship_store *st, const uint8_t ip[16])
{
	if ((st->nc->flags & NETCONF_F_ENABLE_IPV6_NDP_EMU) == 0)
		return false;
	if (st->have_6plane && memcmp(ip, st->ip_6plane, 5) == 0)
		return true;
	return st->have_rfc4193 && memcmp(ip, st->ip_rfc4193, 11) == 0;
}

static bool
coo_owns_thing(const struct coo *o, enum rules_thing kind,
    const uint8_t *thing)
{
	switch (kind) {
	case RULES_THING_MAC:
		return coo_owns_mac(o, thing);
	case RULES_THING_IPV4:
		return coo_owns_ipv4(o, thing);
	case RULES_THING_IPV6:
		return coo_owns_ipv6(o, thing);
	}
	return false;
}

bool
mship_owns(void *arg, bool inbound, enum rules_thing kind,
    const uint8_t *thing)
{
	const struct mship_owner *ow = arg;
	const struct mship_store *st = ow->st;
	const struct mship_peer *p;
	size_t i;

	if (st->nc == NULL)
		return false;
	if (!inbound) {
		for (i = 0; i < st->nc->ncoos; i++)
			if (coo_owns_thing(&st->nc->coos[i], kind, thing))
				return true;
		return false;
	}
	if ((p = peer_get(st, ow->peer)) == NULL)
		return false;
	if (kind == RULES_THING_IPV6 && unspoofable_v6(st, thing))
		return true;
	for (i = 0; i < p->ncoos; i++)
		if (cred_usable(st, p, CRED_TYPE_COO, p->coos[i].id,
		    p->coos[i].timestamp) &&
		    coo_owns_thing(&p->coos[i], kind, thing))
			return true;
	return false;
}

void
mship_rules_env(const struct mship_store *st, uint64_t peer,
    struct mship_owner *ow, struct rules_tag *remote, size_t max_remote,
    struct rules_env *env)
{
	ow->st = st;
	ow->peer = peer;
	env->local_tags = mship_local_tags(st, &env->n_local_tags);
	env->remote_tags = remote;
	env->n_remote_tags = mship_remote_tags(st, peer, remote, max_remote);
	env->owns = mship_owns;
	env->owns_arg = ow;
}

const struct com *
mship_peer_com(const struct mship_store *st, uint64_t peer)
{
	const struct mship_peer *p = peer_get(st, peer);

	return p != NULL && p->com.nq > 0 ? &p->com : NULL;
}

int64_t
mship_peer_com_threshold(const struct mship_store *st, uint64_t peer)
{
	const struct mship_peer *p = peer_get(st, peer);

	return p != NULL ? p->com_threshold : 0;
}

bool
mship_has_peer(const struct mship_store *st, uint64_t peer)
{
	return peer_get(st, peer) != NULL;
}

void
mship_stats(const struct mship_store *st, struct mship_stats *s)
{
	s->c = st->c;
	s->peers = st->npeers;
	s->bytes = st->bytes;
}
