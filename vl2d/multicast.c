#include <stdlib.h>
#include <string.h>

#include "multicast.h"

struct vl2_mc_sub {
	uint64_t		 addr;
	int64_t			 last;
	struct vl2_mc_group	*g;
	size_t			 idx;		/* in g->subs */
	/* in the network's list, least recently refreshed first */
	TAILQ_ENTRY(vl2_mc_sub)	 lru;
	struct vl2_mc_sub	*hnext;
};

struct vl2_mc_tx {
	TAILQ_ENTRY(vl2_mc_tx)	 entry;
	int64_t			 born;
	uint32_t		 limit;
	/* everyone already given a copy, the origin included (§8.3) */
	uint64_t		*sent;
	size_t			 nsent, csent;
	struct vl2_mc_frame	 frame;	/* data points into payload */
	uint8_t			*payload;
	size_t			 len;
	size_t			 bytes;	/* against the byte cap */
	bool			 queued;
};

struct vl2_mc_group {
	struct mac_group		 g;
	struct vl2_mc_sub		**subs;
	size_t				 n, cap;
	int64_t				 last_gather;
	bool				 gathered;
	struct vl2_mc_txlist		 txq;
	size_t				 ntx;
	TAILQ_ENTRY(vl2_mc_group)	 lru;
};

static const char *const vl2_mc_result_names[VL2_MC_RESULT_MAX] = {
	[VL2_MC_ACCEPT] = "accepted",
	[VL2_MC_DROP_MALFORMED] = "malformed",
	[VL2_MC_DROP_TRAILING] = "like_trailing_bytes",
	[VL2_MC_DROP_NOT_JOINED] = "not_joined",
	[VL2_MC_DROP_NOT_ALLOWED] = "like_not_allowed",
	[VL2_MC_DROP_LIMIT_ZERO] = "multicast_limit_zero",
	[VL2_MC_DROP_NO_PAYLOAD] = "no_payload",
	[VL2_MC_DROP_DEST_UNICAST] = "destination_not_multicast",
	[VL2_MC_DROP_BAD_SOURCE] = "bad_source_mac",
	[VL2_MC_DROP_NOT_BRIDGE] = "bridging_not_allowed",
	[VL2_MC_DROP_BROADCAST_OFF] = "broadcast_disabled",
	[VL2_MC_DROP_NO_RECIPIENT] = "no_recipient",
	[VL2_MC_DROP_QUEUE_FULL] = "queue_full",
	[VL2_MC_DROP_QUEUE_BYTES] = "queue_bytes",
	[VL2_MC_DROP_EVICT_MEMBER] = "subscriber_evicted",
	[VL2_MC_DROP_EVICT_GROUP] = "group_evicted",
	[VL2_MC_DROP_NOMEM] = "out_of_memory",
};

const char *
vl2_mc_result_name(enum vl2_mc_result r)
{
	if ((unsigned int)r >= VL2_MC_RESULT_MAX)
		return "unknown";
	return vl2_mc_result_names[r];
}

static enum vl2_mc_result
vl2_mc_count(struct vl2_mc *mc, enum vl2_mc_result r)
{
	if (r != VL2_MC_ACCEPT)
		mc->drops[r]++;
	return r;
}

/* splitmix64: peers must not predict who gets a copy or an answer */
static uint64_t
vl2_mc_rand(struct vl2_mc *mc)
{
	uint64_t z = (mc->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
vl2_mc_init(struct vl2_mc *mc, const struct vl2_mc_caps *caps,
    const struct vl2_mc_io *io, uint64_t seed)
{
	memset(mc, 0, sizeof(*mc));
	LIST_INIT(&mc->nets);
	if (caps != NULL)
		mc->caps = *caps;
	if (mc->caps.groups_per_net == 0)
		mc->caps.groups_per_net = VL2_MC_DEF_GROUPS_PER_NET;
	if (mc->caps.subs_per_net == 0)
		mc->caps.subs_per_net = VL2_MC_DEF_SUBS_PER_NET;
	if (mc->caps.subs_total == 0)
		mc->caps.subs_total = VL2_MC_DEF_SUBS_TOTAL;
	if (mc->caps.queued_bytes == 0)
		mc->caps.queued_bytes = VL2_MC_DEF_QUEUED_BYTES;
	if (io != NULL)
		mc->io = *io;
	mc->rng = seed;
}

void
vl2_mc_free(struct vl2_mc *mc)
{
	struct vl2_mc_net *n;

	while ((n = LIST_FIRST(&mc->nets)) != NULL)
		vl2_mc_net_remove(mc, n);
}

static void
vl2_mc_emit(struct vl2_mc *mc, uint64_t nwid, uint64_t to, uint8_t verb,
    const uint8_t *p, size_t len, const struct vl2_mc_frame *f)
{
	struct vl2_mc_out o;

	if (mc->io.emit == NULL)
		return;
	o.nwid = nwid;
	o.to = to;
	o.verb = verb;
	o.payload = p;
	o.len = len;
	o.frame = f;
	mc->io.emit(mc->io.arg, &o);
}

/* ---- the remote subscriber table ---- */

static void
vl2_mc_tx_free(struct vl2_mc *mc, struct vl2_mc_group *g,
    struct vl2_mc_tx *tx)
{
	TAILQ_REMOVE(&g->txq, tx, entry);
	g->ntx--;
	mc->queued -= tx->bytes;
	free(tx->sent);
	free(tx->payload);
	free(tx);
}

/*
 * Peers choose groups and addresses: the secret per-network seed keeps
 * them from filling one bucket
 */
static size_t
vl2_mc_hash(const struct vl2_mc_net *n, const struct vl2_mc_group *g,
    uint64_t addr)
{
	uint64_t h = ((uint64_t)(uintptr_t)g ^ n->seed) *
	    0xff51afd7ed558ccdULL;

	h ^= h >> 33;
	h += addr ^ (n->seed >> 17);
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (size_t)h & (n->nhash - 1);
}

static struct vl2_mc_sub *
vl2_mc_sub_find(const struct vl2_mc_net *n, const struct vl2_mc_group *g,
    uint64_t addr)
{
	struct vl2_mc_sub *s;

	if (n->nhash == 0)
		return NULL;
	for (s = n->hash[vl2_mc_hash(n, g, addr)]; s != NULL; s = s->hnext)
		if (s->g == g && s->addr == addr)
			return s;
	return NULL;
}

static void
vl2_mc_hash_add(struct vl2_mc_net *n, struct vl2_mc_sub *s)
{
	size_t h = vl2_mc_hash(n, s->g, s->addr);

	s->hnext = n->hash[h];
	n->hash[h] = s;
}

/* about one subscriber per bucket; a failed resize keeps the old table */
static int
vl2_mc_hash_grow(struct vl2_mc_net *n)
{
	struct vl2_mc_sub **nh, *s;
	size_t nn = n->nhash ? n->nhash * 2 : 64;

	if (n->nhash > 0 && n->nsubs < n->nhash)
		return 0;
	if ((nh = calloc(nn, sizeof(*nh))) == NULL)
		return n->nhash > 0 ? 0 : -1;
	free(n->hash);
	n->hash = nh;
	n->nhash = nn;
	TAILQ_FOREACH(s, &n->slru, lru)
		vl2_mc_hash_add(n, s);
	return 0;
}

static void
vl2_mc_sub_remove(struct vl2_mc *mc, struct vl2_mc_net *n,
    struct vl2_mc_sub *s)
{
	struct vl2_mc_group *g = s->g;
	struct vl2_mc_sub **sp;

	for (sp = &n->hash[vl2_mc_hash(n, g, s->addr)]; *sp != NULL;
	    sp = &(*sp)->hnext)
		if (*sp == s) {
			*sp = s->hnext;
			break;
		}
	g->subs[s->idx] = g->subs[--g->n];
	g->subs[s->idx]->idx = s->idx;
	TAILQ_REMOVE(&n->slru, s, lru);
	n->nsubs--;
	mc->nsubs--;
	free(s);
}

static size_t
vl2_mc_group_pos(const struct vl2_mc_net *n, const struct mac_group *k,
    bool *found)
{
	size_t lo = 0, hi = n->ngroups, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = mac_group_cmp(&n->groups[mid]->g, k);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct vl2_mc_group *
vl2_mc_group_find(const struct vl2_mc_net *n, const struct mac_group *k)
{
	bool found;
	size_t i = vl2_mc_group_pos(n, k, &found);

	return found ? n->groups[i] : NULL;
}

static void
vl2_mc_group_remove(struct vl2_mc *mc, struct vl2_mc_net *n,
    struct vl2_mc_group *g)
{
	struct vl2_mc_tx *tx;
	bool found;
	size_t i;

	while (g->n > 0)
		vl2_mc_sub_remove(mc, n, g->subs[g->n - 1]);
	while ((tx = TAILQ_FIRST(&g->txq)) != NULL)
		vl2_mc_tx_free(mc, g, tx);
	i = vl2_mc_group_pos(n, &g->g, &found);
	if (found && n->groups[i] == g) {
		memmove(&n->groups[i], &n->groups[i + 1],
		    (n->ngroups - i - 1) * sizeof(*n->groups));
		n->ngroups--;
	}
	TAILQ_REMOVE(&n->glru, g, lru);
	free(g->subs);
	free(g);
}

static void
vl2_mc_group_touch(struct vl2_mc_net *n, struct vl2_mc_group *g)
{
	TAILQ_REMOVE(&n->glru, g, lru);
	TAILQ_INSERT_TAIL(&n->glru, g, lru);
}

static struct vl2_mc_group *
vl2_mc_group_get(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct mac_group *k)
{
	struct vl2_mc_group *g, **ng;
	size_t i, nc;
	bool found;

	i = vl2_mc_group_pos(n, k, &found);
	if (found)
		return n->groups[i];
	if (n->ngroups >= mc->caps.groups_per_net &&
	    (g = TAILQ_FIRST(&n->glru)) != NULL) {
		/* the group nobody refreshed or used for longest goes */
		vl2_mc_group_remove(mc, n, g);
		vl2_mc_count(mc, VL2_MC_DROP_EVICT_GROUP);
		i = vl2_mc_group_pos(n, k, &found);
	}
	if (n->ngroups == n->cgroups) {
		nc = n->cgroups ? n->cgroups * 2 : 16;
		if ((ng = reallocarray(n->groups, nc, sizeof(*ng))) == NULL)
			return NULL;
		n->groups = ng;
		n->cgroups = nc;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->g.mac = k->mac & MAC_MASK;
	g->g.adi = k->adi;
	TAILQ_INIT(&g->txq);
	memmove(&n->groups[i + 1], &n->groups[i],
	    (n->ngroups - i) * sizeof(*n->groups));
	n->groups[i] = g;
	n->ngroups++;
	TAILQ_INSERT_TAIL(&n->glru, g, lru);
	return g;
}

/* the least recently refreshed subscriber of all networks */
static void
vl2_mc_evict_oldest(struct vl2_mc *mc)
{
	struct vl2_mc_net *n, *best = NULL;
	struct vl2_mc_sub *s, *bs = NULL;

	LIST_FOREACH(n, &mc->nets, entry) {
		if ((s = TAILQ_FIRST(&n->slru)) == NULL)
			continue;
		if (bs == NULL || s->last < bs->last) {
			bs = s;
			best = n;
		}
	}
	if (bs != NULL) {
		vl2_mc_sub_remove(mc, best, bs);
		vl2_mc_count(mc, VL2_MC_DROP_EVICT_MEMBER);
	}
}

static bool
vl2_mc_tx_sent(const struct vl2_mc_tx *tx, uint64_t addr)
{
	size_t i;

	for (i = 0; i < tx->nsent; i++)
		if (tx->sent[i] == addr)
			return true;
	return false;
}

static int
vl2_mc_tx_log(struct vl2_mc_tx *tx, uint64_t addr)
{
	uint64_t *ns;
	size_t nc;

	if (tx->nsent == tx->csent) {
		nc = tx->csent ? tx->csent * 2 : 8;
		if ((ns = reallocarray(tx->sent, nc, sizeof(*ns))) == NULL)
			return -1;
		tx->sent = ns;
		tx->csent = nc;
	}
	tx->sent[tx->nsent++] = addr;
	return 0;
}

static void
vl2_mc_tx_send(struct vl2_mc *mc, struct vl2_mc_tx *tx, uint64_t to)
{
	size_t before = tx->csent;

	if (vl2_mc_tx_log(tx, to) == -1) {
		vl2_mc_count(mc, VL2_MC_DROP_NOMEM);
		return;
	}
	/* the list of recipients counts toward the byte cap too */
	if (tx->csent != before) {
		tx->bytes += (tx->csent - before) * sizeof(*tx->sent);
		if (tx->queued)
			mc->queued += (tx->csent - before) *
			    sizeof(*tx->sent);
	}
	mc->sent_frames++;
	vl2_mc_emit(mc, tx->frame.nwid, to, VL2_MC_VERB_FRAME, tx->payload,
	    tx->len, &tx->frame);
}

/* a subscriber just learned gets what is queued for its group */
static void
vl2_mc_tx_new_member(struct vl2_mc *mc, struct vl2_mc_group *g,
    uint64_t addr)
{
	struct vl2_mc_tx *tx, *next;

	for (tx = TAILQ_FIRST(&g->txq); tx != NULL; tx = next) {
		next = TAILQ_NEXT(tx, entry);
		if (tx->nsent < tx->limit && !vl2_mc_tx_sent(tx, addr))
			vl2_mc_tx_send(mc, tx, addr);
		if (tx->nsent >= tx->limit)
			vl2_mc_tx_free(mc, g, tx);
	}
}

int
vl2_mc_subscribe(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct mac_group *k, uint64_t addr, int64_t now)
{
	struct vl2_mc_group *g;
	struct vl2_mc_sub *s, **ns;
	size_t nc;

	addr &= 0xffffffffffULL;
	if (n == NULL)
		return -1;
	/* never ourselves, even when someone else lists us */
	if (addr == 0 || (n->configured && addr == n->conf.self))
		return 0;
	if ((g = vl2_mc_group_get(mc, n, k)) == NULL)
		goto nomem;
	vl2_mc_group_touch(n, g);
	if ((s = vl2_mc_sub_find(n, g, addr)) != NULL) {
		s->last = now;
		TAILQ_REMOVE(&n->slru, s, lru);
		TAILQ_INSERT_TAIL(&n->slru, s, lru);
		return 0;
	}
	if (n->nsubs >= mc->caps.subs_per_net &&
	    (s = TAILQ_FIRST(&n->slru)) != NULL) {
		vl2_mc_sub_remove(mc, n, s);
		vl2_mc_count(mc, VL2_MC_DROP_EVICT_MEMBER);
	}
	if (mc->nsubs >= mc->caps.subs_total)
		vl2_mc_evict_oldest(mc);
	if (vl2_mc_hash_grow(n) == -1)
		goto nomem;
	if (g->n == g->cap) {
		nc = g->cap ? g->cap * 2 : 4;
		if ((ns = reallocarray(g->subs, nc, sizeof(*ns))) == NULL)
			goto nomem;
		g->subs = ns;
		g->cap = nc;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	s->addr = addr;
	s->last = now;
	s->g = g;
	s->idx = g->n;
	g->subs[g->n++] = s;
	TAILQ_INSERT_TAIL(&n->slru, s, lru);
	vl2_mc_hash_add(n, s);
	n->nsubs++;
	mc->nsubs++;
	vl2_mc_tx_new_member(mc, g, addr);
	return 0;
nomem:
	vl2_mc_count(mc, VL2_MC_DROP_NOMEM);
	return -1;
}

void
vl2_mc_unsubscribe(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct mac_group *k, uint64_t addr)
{
	struct vl2_mc_group *g;
	struct vl2_mc_sub *s;

	if (n == NULL || (g = vl2_mc_group_find(n, k)) == NULL)
		return;
	if ((s = vl2_mc_sub_find(n, g, addr & 0xffffffffffULL)) != NULL)
		vl2_mc_sub_remove(mc, n, s);
}

size_t
vl2_mc_members(const struct vl2_mc_net *n, const struct mac_group *k,
    uint64_t *out, size_t max)
{
	struct vl2_mc_group *g;
	size_t i;

	if (n == NULL || (g = vl2_mc_group_find(n, k)) == NULL)
		return 0;
	for (i = 0; i < g->n && i < max; i++)
		out[i] = g->subs[i]->addr;
	return i;
}

void
vl2_mc_expire(struct vl2_mc *mc, int64_t now)
{
	struct vl2_mc_net *n;
	struct vl2_mc_sub *s;
	struct vl2_mc_group *g;
	struct vl2_mc_tx *tx, *next;
	size_t i;

	LIST_FOREACH(n, &mc->nets, entry) {
		while ((s = TAILQ_FIRST(&n->slru)) != NULL &&
		    now - s->last >= VL2_MC_LIKE_EXPIRE)
			vl2_mc_sub_remove(mc, n, s);
		for (i = 0; i < n->ngroups;) {
			g = n->groups[i];
			for (tx = TAILQ_FIRST(&g->txq); tx != NULL;
			    tx = next) {
				next = TAILQ_NEXT(tx, entry);
				if (now - tx->born >= VL2_MC_TX_TTL ||
				    tx->nsent >= tx->limit)
					vl2_mc_tx_free(mc, g, tx);
			}
			/*
			 * an empty group goes, and with it the time of its
			 * last gather, as in 1.14.1
			 */
			if (g->n == 0 && g->ntx == 0)
				vl2_mc_group_remove(mc, n, g);
			else
				i++;
		}
	}
}

/* ---- networks and local subscriptions ---- */

struct vl2_mc_net *
vl2_mc_net_find(struct vl2_mc *mc, uint64_t nwid)
{
	struct vl2_mc_net *n;

	LIST_FOREACH(n, &mc->nets, entry)
		if (n->nwid == nwid)
			return n;
	return NULL;
}

struct vl2_mc_net *
vl2_mc_net_add(struct vl2_mc *mc, uint64_t nwid)
{
	struct vl2_mc_net *n;

	if ((n = vl2_mc_net_find(mc, nwid)) != NULL)
		return n;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->nwid = nwid;
	n->seed = vl2_mc_rand(mc);
	TAILQ_INIT(&n->glru);
	TAILQ_INIT(&n->slru);
	LIST_INSERT_HEAD(&mc->nets, n, entry);
	mc->nnets++;
	return n;
}

void
vl2_mc_net_remove(struct vl2_mc *mc, struct vl2_mc_net *n)
{
	while (n->ngroups > 0)
		vl2_mc_group_remove(mc, n, n->groups[n->ngroups - 1]);
	free(n->groups);
	free(n->hash);
	LIST_REMOVE(n, entry);
	mc->nnets--;
	free(n);
}

static int
vl2_mc_group_sort(const void *a, const void *b)
{
	return mac_group_cmp(a, b);
}

/* local[] = report ∪ addrs ∪ bridged ∪ broadcast if enabled (§8.1) */
static int
vl2_mc_local_rebuild(struct vl2_mc_net *n, struct mac_group *added)
{
	struct mac_group *u;
	size_t nu = 0, i, j, k, nadded = 0;

	if ((u = calloc(VL2_MC_LOCAL_MAX, sizeof(*u))) == NULL)
		return -1;
	for (i = 0; i < n->nreport; i++)
		u[nu++] = n->report[i];
	for (i = 0; i < n->naddrs; i++)
		u[nu++] = n->addrs[i];
	for (i = 0; i < n->nbridged; i++)
		u[nu++] = n->bridged[i].group;
	if (n->configured && n->conf.broadcast) {
		u[nu].mac = MAC_BROADCAST;
		u[nu++].adi = 0;
	}
	qsort(u, nu, sizeof(*u), vl2_mc_group_sort);
	for (i = j = 0; i < nu; i++)
		if (j == 0 || mac_group_cmp(&u[j - 1], &u[i]) != 0)
			u[j++] = u[i];
	nu = j;
	/* both sorted: whatever the old set lacks is new */
	for (i = k = 0; i < nu; i++) {
		while (k < n->nlocal && mac_group_cmp(&n->local[k], &u[i]) < 0)
			k++;
		if (k < n->nlocal && mac_group_cmp(&n->local[k], &u[i]) == 0)
			continue;
		if (added != NULL)
			added[nadded] = u[i];
		nadded++;
	}
	memcpy(n->local, u, nu * sizeof(*u));
	n->nlocal = nu;
	free(u);
	return (int)nadded;
}

int
vl2_mc_net_configure(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct vl2_mc_conf *c, struct mac_group *added)
{
	struct vl2_mc_conf cc = *c;
	size_t i, j;

	(void)mc;
	if (cc.nbridges > VL2_MC_BRIDGES_MAX ||
	    cc.nupstream > VL2_MC_GATHER_TARGETS)
		return -1;
	cc.self &= 0xffffffffffULL;
	for (i = j = 0; i < c->nbridges; i++)
		if ((c->bridges[i] & 0xffffffffffULL) != cc.self &&
		    c->bridges[i] != 0)
			cc.bridges[j++] = c->bridges[i] & 0xffffffffffULL;
	cc.nbridges = j;
	for (i = j = 0; i < c->nupstream; i++)
		if ((c->upstream[i] & 0xffffffffffULL) != cc.self &&
		    c->upstream[i] != 0)
			cc.upstream[j++] = c->upstream[i] & 0xffffffffffULL;
	cc.nupstream = j;
	n->conf = cc;
	n->configured = true;
	n->mac = mac_from_address(cc.self, n->nwid);
	return vl2_mc_local_rebuild(n, added);
}

static bool
vl2_mc_groups_ok(const struct mac_group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].mac > MAC_MASK || !mac_is_multicast(g[i].mac))
			return false;
	return true;
}

int
vl2_mc_local_report(struct vl2_mc_net *n, const struct mac_group *g,
    size_t ng, struct mac_group *added)
{
	if (ng > VL2_MC_REPORT_MAX || !vl2_mc_groups_ok(g, ng))
		return -1;
	memcpy(n->report, g, ng * sizeof(*g));
	n->nreport = ng;
	return vl2_mc_local_rebuild(n, added);
}

int
vl2_mc_local_addrs(struct vl2_mc_net *n, const struct inetaddr *ip,
    size_t nip, struct mac_group *added)
{
	struct mac_group g[VL2_MC_ADDR_MAX];
	size_t i, k = 0;

	if (nip > VL2_MC_ADDR_MAX)
		return -1;
	for (i = 0; i < nip; i++)
		if (mac_group_for_ip(&ip[i], &g[k]) == 0)
			k++;
	memcpy(n->addrs, g, k * sizeof(*g));
	n->naddrs = k;
	return vl2_mc_local_rebuild(n, added);
}

int
vl2_mc_local_bridged(struct vl2_mc_net *n, const struct mac_group *g,
    int64_t now, struct mac_group *added)
{
	size_t i, oldest = 0;

	if (!vl2_mc_groups_ok(g, 1))
		return -1;
	for (i = 0; i < n->nbridged; i++) {
		if (mac_group_cmp(&n->bridged[i].group, g) == 0) {
			n->bridged[i].last = now;
			return 0;
		}
		if (n->bridged[i].last < n->bridged[oldest].last)
			oldest = i;
	}
	/* 1.14.1 never forgets these; a full set replaces the oldest */
	if (n->nbridged == VL2_MC_BRIDGED_MAX)
		i = oldest;
	else
		i = n->nbridged++;
	n->bridged[i].group = *g;
	n->bridged[i].last = now;
	return vl2_mc_local_rebuild(n, added);
}

bool
vl2_mc_subscribed(const struct vl2_mc_net *n, const struct mac_group *g)
{
	return bsearch(g, n->local, n->nlocal, sizeof(*n->local),
	    vl2_mc_group_sort) != NULL;
}

int
vl2_mc_report_parse(struct rbuf *rb, struct mac_group *g, size_t *ng)
{
	uint16_t cnt;
	size_t i;

	*ng = 0;
	if (rbuf_get_u16(rb, &cnt) == -1 || cnt > VL2_MC_REPORT_MAX)
		return -1;
	for (i = 0; i < cnt; i++)
		if (mac_group_deserialize(&g[i], rb) == -1)
			return -1;
	if (!rbuf_done(rb))
		return -1;
	*ng = cnt;
	return 0;
}

/* ---- announcing ---- */

void
vl2_mc_like_emit(struct vl2_mc *mc, struct vl2_mc_net *n, uint64_t to,
    const struct mac_group *g, size_t ng)
{
	uint8_t buf[VL2_MC_LIKE_PER_PACKET * VL2_MC_LIKE_REC_LEN];
	struct wbuf w;
	size_t i, k = 0;

	if (g == NULL) {
		g = n->local;
		ng = n->nlocal;
	}
	wbuf_init(&w, buf, sizeof(buf));
	for (i = 0; i < ng; i++) {
		vl2_mc_like_put(&w, n->nwid, &g[i]);
		if (++k == VL2_MC_LIKE_PER_PACKET || i + 1 == ng) {
			mc->sent_likes++;
			vl2_mc_emit(mc, n->nwid, to, VL2_MC_VERB_LIKE,
			    wbuf_data(&w), wbuf_len(&w), NULL);
			wbuf_reset(&w);
			k = 0;
		}
	}
}

bool
vl2_mc_upstream_due(struct vl2_mc_net *n, int64_t now)
{
	if (n->announced && now - n->last_upstream < VL2_MC_LIKE_PERIOD)
		return false;
	n->announced = true;
	n->last_upstream = now;
	return true;
}

bool
vl2_mc_peer_due(int64_t *last, int64_t now)
{
	/* 0: never sent (the membership record's initial value) */
	if (*last != 0 && now - *last < VL2_MC_LIKE_PERIOD)
		return false;
	*last = now;
	return true;
}

bool
vl2_mc_announce_upstream(struct vl2_mc *mc, struct vl2_mc_net *n,
    const uint64_t *roots, size_t nroots, int64_t now)
{
	size_t i, j;

	if (!vl2_mc_upstream_due(n, now))
		return false;
	for (i = 0; i < nroots; i++)
		if (roots[i] != 0)
			vl2_mc_like_emit(mc, n, roots[i], NULL, 0);
	/* a controller that is also a root hears it once */
	for (i = 0; i < n->conf.nupstream; i++) {
		for (j = 0; j < nroots; j++)
			if (roots[j] == n->conf.upstream[i])
				break;
		if (j == nroots)
			vl2_mc_like_emit(mc, n, n->conf.upstream[i], NULL, 0);
	}
	return true;
}

bool
vl2_mc_announce_peer(struct vl2_mc *mc, struct vl2_mc_net *n,
    uint64_t peer, int64_t *last, int64_t now)
{
	if (peer == 0 || !vl2_mc_peer_due(last, now))
		return false;
	vl2_mc_like_emit(mc, n, peer, NULL, 0);
	return true;
}

/* ---- wire forms ---- */

static void
vl2_mc_put_mac(struct wbuf *w, uint64_t mac)
{
	uint8_t b[6];

	mac_to_bytes(mac, b);
	wbuf_put_bytes(w, b, sizeof(b));
}

static int
vl2_mc_get_mac(struct rbuf *r, uint64_t *mac)
{
	uint8_t b[6];

	if (rbuf_get_bytes(r, b, sizeof(b)) == -1)
		return -1;
	*mac = mac_from_bytes(b);
	return 0;
}

int
vl2_mc_like_put(struct wbuf *w, uint64_t nwid, const struct mac_group *g)
{
	wbuf_put_u64(w, nwid);
	mac_group_serialize(g, w);
	return wbuf_failed(w) ? -1 : 0;
}

int
vl2_mc_gather_put(struct wbuf *w, uint64_t nwid, const struct mac_group *g,
    uint32_t limit, const uint8_t *com, size_t comlen)
{
	wbuf_put_u64(w, nwid);
	wbuf_put_u8(w, com != NULL ? VL2_MC_GF_COM : 0);
	mac_group_serialize(g, w);
	wbuf_put_u32(w, limit);
	if (com != NULL)
		wbuf_put_bytes(w, com, comlen);
	return wbuf_failed(w) ? -1 : 0;
}

int
vl2_mc_frame_put(struct wbuf *w, const struct vl2_mc_frame *f)
{
	uint8_t flags = f->flags & VL2_MC_FF_REPLICATE;
	size_t len = f->len;

	if (f->com_wire != NULL)
		flags |= VL2_MC_FF_COM;
	if (f->flags & VL2_MC_FF_GATHER)
		flags |= VL2_MC_FF_GATHER;
	if (f->flags & VL2_MC_FF_SRC)
		flags |= VL2_MC_FF_SRC;
	if (len > VL2_MC_FRAME_DATA_MAX)
		len = VL2_MC_FRAME_DATA_MAX;
	wbuf_put_u64(w, f->nwid);
	wbuf_put_u8(w, flags);
	if (flags & VL2_MC_FF_COM)
		wbuf_put_bytes(w, f->com_wire, f->com_len);
	if (flags & VL2_MC_FF_GATHER)
		wbuf_put_u32(w, f->gather_limit);
	if (flags & VL2_MC_FF_SRC)
		vl2_mc_put_mac(w, f->src);
	mac_group_serialize(&f->group, w);
	wbuf_put_u16(w, f->ethertype);
	wbuf_put_bytes(w, f->data, len);
	return wbuf_failed(w) ? -1 : 0;
}

int
vl2_mc_like_next(struct rbuf *r, struct vl2_mc_like *l)
{
	if (rbuf_get_u64(r, &l->nwid) == -1 ||
	    mac_group_deserialize(&l->group, r) == -1)
		return -1;
	return 0;
}

/* a COM that the flags say is there (GATHER, FRAME and OK(FRAME)) */
static int
vl2_mc_get_com(struct rbuf *r, bool present, struct com *c, bool *has)
{
	if (!present)
		return 0;
	if (com_deserialize(c, r) == -1)
		return -1;
	*has = true;
	return 0;
}

int
vl2_mc_gather_parse(const uint8_t *p, size_t len, struct vl2_mc_gather *g)
{
	struct rbuf r;

	memset(g, 0, sizeof(*g));
	rbuf_init(&r, p, len);
	if (rbuf_get_u64(&r, &g->nwid) == -1 ||
	    rbuf_get_u8(&r, &g->flags) == -1 ||
	    mac_group_deserialize(&g->group, &r) == -1 ||
	    rbuf_get_u32(&r, &g->limit) == -1)
		return -1;
	if (vl2_mc_get_com(&r, g->flags & VL2_MC_GF_COM, &g->com,
	    &g->has_com) == -1)
		return -1;
	/* 1.14.1 reads nothing after these; extra bytes are not an error */
	return 0;
}

int
vl2_mc_frame_parse(const uint8_t *p, size_t len, struct vl2_mc_frame *f)
{
	struct rbuf r;

	memset(f, 0, sizeof(*f));
	rbuf_init(&r, p, len);
	if (rbuf_get_u64(&r, &f->nwid) == -1 ||
	    rbuf_get_u8(&r, &f->flags) == -1)
		return -1;
	if (vl2_mc_get_com(&r, f->flags & VL2_MC_FF_COM, &f->com,
	    &f->has_com) == -1)
		return -1;
	if ((f->flags & VL2_MC_FF_GATHER) &&
	    rbuf_get_u32(&r, &f->gather_limit) == -1)
		return -1;
	if ((f->flags & VL2_MC_FF_SRC) && vl2_mc_get_mac(&r, &f->src) == -1)
		return -1;
	if (mac_group_deserialize(&f->group, &r) == -1 ||
	    rbuf_get_u16(&r, &f->ethertype) == -1)
		return -1;
	f->len = rbuf_remaining(&r);
	if (rbuf_get_ptr(&r, f->len, &f->data) == -1)
		return -1;
	return 0;
}

static int
vl2_mc_result_parse(struct rbuf *r, struct vl2_mc_gathered *o)
{
	if (rbuf_get_u32(r, &o->total) == -1 ||
	    rbuf_get_u16(r, &o->count) == -1 ||
	    rbuf_get_ptr(r, (size_t)o->count * 5, &o->addrs) == -1)
		return -1;
	o->has_result = true;
	return 0;
}

/* the network and group that OK(MULTICAST_GATHER) and OK(FRAME) start with */
static int
vl2_mc_ok_head(struct rbuf *r, const uint8_t *p, size_t len,
    struct vl2_mc_gathered *o)
{
	struct vl2_mc_like l;

	memset(o, 0, sizeof(*o));
	rbuf_init(r, p, len);
	/* laid out as one MULTICAST_LIKE entry */
	if (vl2_mc_like_next(r, &l) == -1)
		return -1;
	o->nwid = l.nwid;
	o->group = l.group;
	return 0;
}

int
vl2_mc_gather_ok_parse(const uint8_t *p, size_t len,
    struct vl2_mc_gathered *o)
{
	struct rbuf r;

	if (vl2_mc_ok_head(&r, p, len, o) == -1 ||
	    vl2_mc_result_parse(&r, o) == -1)
		return -1;
	return 0;
}

int
vl2_mc_frame_ok_parse(const uint8_t *p, size_t len,
    struct vl2_mc_gathered *o)
{
	struct rbuf r;

	if (vl2_mc_ok_head(&r, p, len, o) == -1 ||
	    rbuf_get_u8(&r, &o->flags) == -1)
		return -1;
	if (vl2_mc_get_com(&r, o->flags & VL2_MC_OKF_COM, &o->com,
	    &o->has_com) == -1)
		return -1;
	if ((o->flags & VL2_MC_OKF_GATHER) && vl2_mc_result_parse(&r, o) == -1)
		return -1;
	return 0;
}

/* ---- receiving ---- */

int
vl2_mc_like_receive(struct vl2_mc *mc, uint64_t sender, const uint8_t *p,
    size_t len, int64_t now, bool (*allowed)(void *, uint64_t), void *arg)
{
	struct vl2_mc_net *n = NULL;
	struct vl2_mc_like l;
	struct rbuf r;
	uint64_t cur = 0;
	bool first = true, ok = false;
	int taken = 0;

	rbuf_init(&r, p, len);
	while (rbuf_remaining(&r) >= VL2_MC_LIKE_REC_LEN) {
		if (vl2_mc_like_next(&r, &l) == -1)
			break;
		/* §3.3: the check runs again whenever the nwid changes */
		if (first || l.nwid != cur) {
			first = false;
			cur = l.nwid;
			n = vl2_mc_net_find(mc, cur);
			ok = n != NULL && (allowed == NULL ||
			    allowed(arg, cur));
		}
		if (n == NULL) {
			vl2_mc_count(mc, VL2_MC_DROP_NOT_JOINED);
			continue;
		}
		if (!ok) {
			vl2_mc_count(mc, VL2_MC_DROP_NOT_ALLOWED);
			continue;
		}
		if (!mac_is_multicast(l.group.mac)) {
			vl2_mc_count(mc, VL2_MC_DROP_DEST_UNICAST);
			continue;
		}
		if (vl2_mc_subscribe(mc, n, &l.group, sender, now) == 0)
			taken++;
	}
	if (rbuf_remaining(&r) > 0)
		vl2_mc_count(mc, VL2_MC_DROP_TRAILING);
	return taken;
}

unsigned int
vl2_mc_gather_result(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct mac_group *k, uint64_t requester, uint32_t limit,
    struct wbuf *w)
{
	struct vl2_mc_group *g = vl2_mc_group_find(n, k);
	struct vl2_mc_sub *s;
	size_t totoff, i, j, gn = g != NULL ? g->n : 0;
	uint32_t total = 0;
	unsigned int added = 0;

	if (limit > VL2_MC_GATHER_MAX)
		limit = VL2_MC_GATHER_MAX;
	totoff = wbuf_len(w);
	wbuf_put_u32(w, 0);
	wbuf_put_u16(w, 0);
	if (wbuf_failed(w))
		return 0;
	/* §3.8: a subscribed responder lists itself first */
	if (n->configured && limit > 0 && vl2_mc_subscribed(n, k) &&
	    (w->dynamic || w->cap - wbuf_len(w) >= 5)) {
		wbuf_put_u40(w, n->conf.self);
		total++;
		added++;
	}
	total += (uint32_t)gn;
	/*
	 * random order without repeats: a partial Fisher-Yates over the
	 * group's own array, which has no meaningful order to keep
	 */
	for (i = 0; i < gn && added < limit &&
	    wbuf_len(w) + 5 <= VL2_MC_OK_PAYLOAD_MAX &&
	    (w->dynamic || w->cap - wbuf_len(w) >= 5); i++) {
		j = i + (size_t)(vl2_mc_rand(mc) % (gn - i));
		s = g->subs[j];
		g->subs[j] = g->subs[i];
		g->subs[j]->idx = j;
		g->subs[i] = s;
		s->idx = i;
		if (s->addr == requester)
			continue;
		wbuf_put_u40(w, s->addr);
		added++;
	}
	wbuf_patch_u32(w, totoff, total);
	wbuf_patch_u16(w, totoff + 4, (uint16_t)added);
	if (wbuf_failed(w))
		return 0;
	return added;
}

enum vl2_mc_result
vl2_mc_gather_answer(struct vl2_mc *mc, struct vl2_mc_net *n,
    uint64_t requester, const struct vl2_mc_gather *q, struct wbuf *w)
{
	if (n == NULL || n->nwid != q->nwid)
		return vl2_mc_count(mc, VL2_MC_DROP_NOT_JOINED);
	if (q->limit == 0)
		return vl2_mc_count(mc, VL2_MC_DROP_NO_RECIPIENT);
	wbuf_reset(w);
	wbuf_put_u64(w, q->nwid);
	mac_group_serialize(&q->group, w);
	if (vl2_mc_gather_result(mc, n, &q->group, requester, q->limit,
	    w) == 0) {
		wbuf_reset(w);
		return vl2_mc_count(mc, VL2_MC_DROP_NO_RECIPIENT);
	}
	mc->gather_answers++;
	return VL2_MC_ACCEPT;
}

enum vl2_mc_result
vl2_mc_gathered_apply(struct vl2_mc *mc, const struct vl2_mc_gathered *o,
    int64_t now)
{
	struct vl2_mc_net *n = vl2_mc_net_find(mc, o->nwid);
	unsigned int i;

	if (n == NULL)
		return vl2_mc_count(mc, VL2_MC_DROP_NOT_JOINED);
	if (!mac_is_multicast(o->group.mac))
		return vl2_mc_count(mc, VL2_MC_DROP_DEST_UNICAST);
	if (!o->has_result)
		return VL2_MC_ACCEPT;
	for (i = 0; i < o->count; i++)
		vl2_mc_subscribe(mc, n, &o->group, be40_get(o->addrs + 5 * i),
		    now);
	return VL2_MC_ACCEPT;
}

static enum vl2_mc_result vl2_mc_send_group(struct vl2_mc *,
    struct vl2_mc_net *, const struct vl2_mc_send *, int64_t);

/* §3.9 step 3: on behalf of sender, who gets no copy */
static void
vl2_mc_replicate(struct vl2_mc *mc, struct vl2_mc_net *n, uint64_t sender,
    const struct vl2_mc_frame *f, int64_t now)
{
	struct vl2_mc_send s;

	memset(&s, 0, sizeof(s));
	s.group = f->group;
	s.src = f->src;
	s.ethertype = f->ethertype;
	s.data = f->data;
	s.len = f->len;
	s.origin = sender;
	vl2_mc_send_group(mc, n, &s, now);
}

enum vl2_mc_result
vl2_mc_frame_receive(struct vl2_mc *mc, struct vl2_mc_net *n,
    uint64_t sender, bool sender_bridge, struct vl2_mc_frame *f,
    int64_t now, bool *bridged, struct wbuf *ok)
{
	enum vl2_mc_result res = VL2_MC_ACCEPT;
	uint64_t smac;

	*bridged = false;
	if (ok != NULL)
		wbuf_reset(ok);
	if (n == NULL || n->nwid != f->nwid || !n->configured)
		return vl2_mc_count(mc, VL2_MC_DROP_NOT_JOINED);
	if (n->conf.limit == 0)
		return vl2_mc_count(mc, VL2_MC_DROP_LIMIT_ZERO);
	smac = mac_from_address(sender, f->nwid);
	if (!(f->flags & VL2_MC_FF_SRC))
		f->src = smac;
	if (f->len == 0 || f->len > VL2_MC_FRAME_DATA_MAX)
		res = VL2_MC_DROP_NO_PAYLOAD;
	else if (!mac_is_multicast(f->group.mac))
		return vl2_mc_count(mc, VL2_MC_DROP_DEST_UNICAST);
	else if (f->src == 0 || mac_is_multicast(f->src) || f->src == n->mac)
		return vl2_mc_count(mc, VL2_MC_DROP_BAD_SOURCE);
	if (res == VL2_MC_ACCEPT && (f->flags & VL2_MC_FF_REPLICATE) &&
	    n->conf.self_replicator)
		vl2_mc_replicate(mc, n, sender, f, now);
	if (res == VL2_MC_ACCEPT && f->src != smac) {
		if (!sender_bridge)
			return vl2_mc_count(mc, VL2_MC_DROP_NOT_BRIDGE);
		*bridged = true;
	}
	/* implicit gather (§3.9 step 4): answered whatever rules decide */
	if ((f->flags & VL2_MC_FF_GATHER) && f->gather_limit > 0 &&
	    ok != NULL) {
		wbuf_put_u64(ok, f->nwid);
		mac_group_serialize(&f->group, ok);
		wbuf_put_u8(ok, VL2_MC_OKF_GATHER);
		if (vl2_mc_gather_result(mc, n, &f->group, sender,
		    f->gather_limit, ok) == 0)
			wbuf_reset(ok);
		else
			mc->gather_answers++;
	}
	if (res == VL2_MC_ACCEPT)
		mc->delivered++;
	return vl2_mc_count(mc, res);
}

/* ---- sending ---- */

enum vl2_mc_result
vl2_mc_group_for_frame(uint64_t dst, uint16_t ethertype,
    const uint8_t *d, size_t len, bool broadcast, struct mac_group *g)
{
	g->mac = dst & MAC_MASK;
	g->adi = 0;
	if (mac_is_broadcast(dst)) {
		/* §1.5: an IPv4 ARP request goes to its target's group */
		if (ethertype == 0x0806 && len >= 28 && d[2] == 0x08 &&
		    d[3] == 0x00 && d[4] == 6 && d[5] == 4 && d[7] == 1) {
			g->adi = be32_get(d + 24);
			return VL2_MC_ACCEPT;
		}
		if (!broadcast)
			return VL2_MC_DROP_BROADCAST_OFF;
	}
	return VL2_MC_ACCEPT;
}

static void
vl2_mc_send_gather(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct vl2_mc_send *s, uint32_t limit)
{
	uint8_t buf[23 + COM_WIRE_MAX];
	struct wbuf w;
	size_t i;

	wbuf_init(&w, buf, sizeof(buf));
	if (vl2_mc_gather_put(&w, n->nwid, &s->group, limit, s->gather_com,
	    s->gather_com_len) == -1) {
		/* a COM too big to be one: gather without it */
		wbuf_reset(&w);
		vl2_mc_gather_put(&w, n->nwid, &s->group, limit, NULL, 0);
	}
	/* §8.3: the best root, then controller and specialists, <= 16 */
	mc->sent_gathers++;
	vl2_mc_emit(mc, n->nwid, VL2_MC_TO_ROOT, VL2_MC_VERB_GATHER,
	    wbuf_data(&w), wbuf_len(&w), NULL);
	for (i = 0; i < n->conf.nupstream && i + 1 < VL2_MC_GATHER_TARGETS;
	    i++) {
		mc->sent_gathers++;
		vl2_mc_emit(mc, n->nwid, n->conf.upstream[i],
		    VL2_MC_VERB_GATHER, wbuf_data(&w), wbuf_len(&w), NULL);
	}
}

static struct vl2_mc_tx *
vl2_mc_tx_new(struct vl2_mc *mc, const struct vl2_mc_net *n,
    const struct vl2_mc_send *s, uint32_t limit, uint32_t gather,
    uint8_t flags)
{
	struct vl2_mc_tx *tx;
	size_t dlen = s->len > VL2_MC_FRAME_DATA_MAX ? VL2_MC_FRAME_DATA_MAX :
	    s->len;
	size_t cap = 8 + 1 + s->com_len + 4 + 6 + 10 + 2 + dlen;
	struct wbuf w;

	if ((tx = calloc(1, sizeof(*tx))) == NULL ||
	    (tx->payload = malloc(cap)) == NULL) {
		free(tx);
		vl2_mc_count(mc, VL2_MC_DROP_NOMEM);
		return NULL;
	}
	tx->limit = limit;
	tx->frame.nwid = n->nwid;
	tx->frame.flags = flags | (gather > 0 ? VL2_MC_FF_GATHER : 0);
	if ((s->src & MAC_MASK) != n->mac)
		tx->frame.flags |= VL2_MC_FF_SRC;
	tx->frame.com_wire = s->com_wire;
	tx->frame.com_len = s->com_len;
	tx->frame.gather_limit = gather;
	tx->frame.src = s->src & MAC_MASK;
	tx->frame.group = s->group;
	tx->frame.ethertype = s->ethertype;
	tx->frame.data = s->data;
	tx->frame.len = dlen;
	wbuf_init(&w, tx->payload, cap);
	if (vl2_mc_frame_put(&w, &tx->frame) == -1) {
		free(tx->payload);
		free(tx);
		vl2_mc_count(mc, VL2_MC_DROP_MALFORMED);
		return NULL;
	}
	tx->len = wbuf_len(&w);
	/* the copy must outlive the caller's buffers */
	tx->frame.com_wire = NULL;
	tx->frame.com_len = 0;
	tx->frame.data = tx->payload + tx->len - dlen;
	tx->bytes = sizeof(*tx) + cap;
	return tx;
}

static void
vl2_mc_tx_discard(struct vl2_mc_tx *tx)
{
	free(tx->sent);
	free(tx->payload);
	free(tx);
}

/* copies in 1.14.1's order: bridges, then members in random order */
static void
vl2_mc_fan_out(struct vl2_mc *mc, struct vl2_mc_net *n,
    struct vl2_mc_group *g, struct vl2_mc_tx *tx, uint32_t limit)
{
	struct vl2_mc_sub *s;
	size_t i, j, count = 0, gn = g != NULL ? g->n : 0;

	for (i = 0; i < n->conf.nbridges && count < limit; i++) {
		if (vl2_mc_tx_sent(tx, n->conf.bridges[i]))
			continue;
		vl2_mc_tx_send(mc, tx, n->conf.bridges[i]);
		count++;
	}
	for (i = 0; i < gn && count < limit; i++) {
		j = i + (size_t)(vl2_mc_rand(mc) % (gn - i));
		s = g->subs[j];
		g->subs[j] = g->subs[i];
		g->subs[j]->idx = j;
		g->subs[i] = s;
		s->idx = i;
		/* bridges, all sent above unless the limit was reached */
		if (vl2_mc_tx_sent(tx, s->addr))
			continue;
		vl2_mc_tx_send(mc, tx, s->addr);
		count++;
	}
}

/* §8.3 step 1: one copy to the replicator, source MAC always present */
static enum vl2_mc_result
vl2_mc_send_replicator(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct vl2_mc_send *s)
{
	struct vl2_mc_tx *tx;

	if (n->conf.replicator == s->origin)
		return vl2_mc_count(mc, VL2_MC_DROP_NO_RECIPIENT);
	if ((tx = vl2_mc_tx_new(mc, n, s, 1, 0, VL2_MC_FF_SRC |
	    VL2_MC_FF_REPLICATE)) == NULL)
		return VL2_MC_DROP_NOMEM;
	vl2_mc_tx_send(mc, tx, n->conf.replicator);
	vl2_mc_tx_discard(tx);
	return VL2_MC_ACCEPT;
}

enum vl2_mc_result
vl2_mc_send(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct vl2_mc_send *s, int64_t now)
{
	if (n == NULL || !n->configured)
		return vl2_mc_count(mc, VL2_MC_DROP_NOT_JOINED);
	if (n->conf.limit == 0)
		return vl2_mc_count(mc, VL2_MC_DROP_LIMIT_ZERO);
	if (s->len == 0 || !mac_is_multicast(s->group.mac))
		return vl2_mc_count(mc, VL2_MC_DROP_MALFORMED);
	if (n->conf.replicator != 0 && !n->conf.self_bridge)
		return vl2_mc_send_replicator(mc, n, s);
	return vl2_mc_send_group(mc, n, s, now);
}

/* §8.3 steps 2-5 */
static enum vl2_mc_result
vl2_mc_send_group(struct vl2_mc *mc, struct vl2_mc_net *n,
    const struct vl2_mc_send *s, int64_t now)
{
	struct vl2_mc_group *g;
	struct vl2_mc_tx *tx, *old;
	uint32_t limit = n->conf.limit, gather;
	uint64_t before = mc->sent_frames;
	size_t known;

	g = vl2_mc_group_find(n, &s->group);
	known = g != NULL ? g->n : 0;
	if (known >= limit) {
		/* enough known: one send, asking for one more name */
		if ((tx = vl2_mc_tx_new(mc, n, s, limit, 1, 0)) == NULL)
			return VL2_MC_DROP_NOMEM;
		if (s->origin != 0)
			vl2_mc_tx_log(tx, s->origin);
		vl2_mc_group_touch(n, g);
		vl2_mc_fan_out(mc, n, g, tx, limit);
		vl2_mc_tx_discard(tx);
		return VL2_MC_ACCEPT;
	}
	/* limit - known + 1, which a limit near 2^32 must not wrap */
	gather = limit - (uint32_t)known < UINT32_MAX ?
	    limit - (uint32_t)known + 1 : UINT32_MAX;
	if ((g = vl2_mc_group_get(mc, n, &s->group)) == NULL)
		return vl2_mc_count(mc, VL2_MC_DROP_NOMEM);
	vl2_mc_group_touch(n, g);
	if (g->n == 0 || !g->gathered ||
	    now - g->last_gather >= VL2_MC_GATHER_DELAY) {
		g->gathered = true;
		g->last_gather = now;
		vl2_mc_send_gather(mc, n, s, gather);
	}
	if ((tx = vl2_mc_tx_new(mc, n, s, limit, gather, 0)) == NULL)
		return VL2_MC_DROP_NOMEM;
	tx->born = now;
	if (s->origin != 0)
		vl2_mc_tx_log(tx, s->origin);
	vl2_mc_fan_out(mc, n, g, tx, limit);
	if (tx->nsent >= tx->limit) {
		vl2_mc_tx_discard(tx);
		return VL2_MC_ACCEPT;
	}
	if (mc->queued + tx->bytes > mc->caps.queued_bytes) {
		vl2_mc_tx_discard(tx);
		vl2_mc_count(mc, VL2_MC_DROP_QUEUE_BYTES);
		return mc->sent_frames > before ? VL2_MC_ACCEPT :
		    VL2_MC_DROP_QUEUE_BYTES;
	}
	if (g->ntx >= VL2_MC_TX_PER_GROUP &&
	    (old = TAILQ_FIRST(&g->txq)) != NULL) {
		vl2_mc_tx_free(mc, g, old);
		vl2_mc_count(mc, VL2_MC_DROP_QUEUE_FULL);
	}
	TAILQ_INSERT_TAIL(&g->txq, tx, entry);
	g->ntx++;
	tx->queued = true;
	mc->queued += tx->bytes;
	return VL2_MC_ACCEPT;
}
