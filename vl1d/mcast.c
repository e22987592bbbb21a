#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mcast.h"

static size_t
vl1_mcast_hash(const struct vl1_mcast *t, uint64_t nwid, uint64_t mac,
    uint32_t adi)
{
	/*
	 * network ids and groups are chosen by peers: a secret seed keeps
	 * them from aiming every group at one bucket
	 */
	uint64_t h = (nwid ^ t->seed) * 0xff51afd7ed558ccdULL;

	h ^= h >> 29;
	h += mac ^ ((uint64_t)adi << 16) ^ (t->seed >> 7);
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (size_t)h & (t->nbuckets - 1);
}

int
vl1_mcast_init(struct vl1_mcast *t, size_t max_groups, size_t max_members,
    uint64_t seed)
{
	size_t n = 64;

	while (n < max_groups && n < (1u << 16))
		n <<= 1;
	memset(t, 0, sizeof(*t));
	if ((t->buckets = calloc(n, sizeof(*t->buckets))) == NULL)
		return -1;
	t->nbuckets = n;
	t->max_groups = max_groups;
	t->max_members = max_members;
	t->seed = seed;
	return 0;
}

void
vl1_mcast_free(struct vl1_mcast *t)
{
	struct vl1_mc_group *g, *next;
	size_t i;

	if (t->buckets == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (g = t->buckets[i]; g != NULL; g = next) {
			next = g->hnext;
			free(g->m);
			free(g);
		}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static struct vl1_mc_group *
vl1_mcast_find(const struct vl1_mcast *t, uint64_t nwid, uint64_t mac,
    uint32_t adi)
{
	struct vl1_mc_group *g;

	for (g = t->buckets[vl1_mcast_hash(t, nwid, mac, adi)]; g != NULL;
	    g = g->hnext)
		if (g->nwid == nwid && g->mac == mac && g->adi == adi)
			return g;
	return NULL;
}

static struct vl1_mc_group *
vl1_mcast_group_new(struct vl1_mcast *t, uint64_t nwid, uint64_t mac,
    uint32_t adi)
{
	struct vl1_mc_group *g;
	size_t h;

	if (t->ngroups >= t->max_groups ||
	    (g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->nwid = nwid;
	g->mac = mac;
	g->adi = adi;
	h = vl1_mcast_hash(t, nwid, mac, adi);
	g->hnext = t->buckets[h];
	t->buckets[h] = g;
	t->ngroups++;
	return g;
}

int
vl1_mcast_like(struct vl1_mcast *t, uint64_t nwid, uint64_t mac,
    uint32_t adi, uint64_t member, int64_t now)
{
	struct vl1_mc_group *g;
	struct vl1_mc_member *m;
	size_t i, stalest = 0, ncap;

	mac &= 0xffffffffffffULL;
	if ((g = vl1_mcast_find(t, nwid, mac, adi)) == NULL &&
	    (g = vl1_mcast_group_new(t, nwid, mac, adi)) == NULL)
		goto refuse;
	for (i = 0; i < g->n; i++) {
		if (g->m[i].addr == member) {
			g->m[i].last = now;
			return 0;
		}
		if (g->m[i].last < g->m[stalest].last)
			stalest = i;
	}
	if (g->n >= VL1_MC_GROUP_MAX) {
		/* a full group keeps its freshest members */
		g->m[stalest].addr = member;
		g->m[stalest].last = now;
		return 0;
	}
	if (t->nmembers >= t->max_members)
		goto refuse;
	if (g->n == g->cap) {
		ncap = g->cap ? g->cap * 2 : 4;
		if (ncap > VL1_MC_GROUP_MAX)
			ncap = VL1_MC_GROUP_MAX;
		if ((m = reallocarray(g->m, ncap, sizeof(*m))) == NULL)
			goto refuse;
		g->m = m;
		g->cap = ncap;
	}
	g->m[g->n].addr = member;
	g->m[g->n].last = now;
	g->n++;
	t->nmembers++;
	return 0;
refuse:
	/* an empty group made above stays until the next expiry pass */
	t->refused++;
	return -1;
}

static size_t
mc_gcd(size_t a, size_t b)
{
	size_t t;

	while (b != 0) {
		t = a % b;
		a = b;
		b = t;
	}
	return a;
}

unsigned int
vl1_mcast_gather(struct vl1_mcast *t, uint64_t nwid, uint64_t mac,
    uint32_t adi, uint64_t requester, uint32_t limit, uint32_t rnd,
    struct wbuf *w)
{
	struct vl1_mc_group *g = vl1_mcast_find(t, nwid,
	    mac & 0xffffffffffffULL, adi);
	size_t i, k, step, countoff, room;
	unsigned int count = 0;

	if (limit > 0xffff)
		limit = 0xffff;
	countoff = wbuf_len(w) + 4;
	wbuf_put_u32(w, g != NULL ? (uint32_t)g->n : 0);
	wbuf_put_u16(w, 0);
	if (g == NULL || g->n == 0 || wbuf_failed(w))
		return 0;
	room = (w->cap - wbuf_len(w)) / 5;
	/*
	 * Members in a random order, as 1.14 answers: a random start and
	 * a random step prime to the group size visit each member once.
	 */
	i = rnd % g->n;
	step = 1;
	if (g->n > 2) {
		step = 1 + (rnd >> 16) % (g->n - 1);
		while (mc_gcd(step, g->n) != 1)
			step = step % (g->n - 1) + 1;
	}
	for (k = 0; k < g->n && count < limit && count < room; k++,
	    i = (i + step) % g->n) {
		if (g->m[i].addr == requester)
			continue;
		wbuf_put_u40(w, g->m[i].addr);
		count++;
	}
	wbuf_patch_u16(w, countoff, (uint16_t)count);
	return count;
}

void
vl1_mcast_expire(struct vl1_mcast *t, int64_t now)
{
	struct vl1_mc_group **gp, *g;
	size_t b, i;

	for (b = 0; b < t->nbuckets; b++) {
		for (gp = &t->buckets[b]; (g = *gp) != NULL;) {
			for (i = 0; i < g->n;) {
				if (now - g->m[i].last < VL1_MC_EXPIRE) {
					i++;
					continue;
				}
				g->m[i] = g->m[--g->n];
				t->nmembers--;
			}
			if (g->n > 0) {
				gp = &g->hnext;
				continue;
			}
			*gp = g->hnext;
			free(g->m);
			free(g);
			t->ngroups--;
		}
	}
}
