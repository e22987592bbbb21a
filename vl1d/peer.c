#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "peer.h"

static size_t
vl1_peers_hash(const struct vl1_peers *t, uint64_t a)
{
	/* addresses are hashes of keys already: mixing is for spread only */
	a ^= a >> 23;
	a *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(a >> 32) & (t->nbuckets - 1);
}

int
vl1_peers_init(struct vl1_peers *t, size_t max, void (*free_armor)(void *))
{
	size_t n = 256;

	while (n < max / 2 && n < (1u << 20))
		n <<= 1;
	memset(t, 0, sizeof(*t));
	if ((t->buckets = calloc(n, sizeof(*t->buckets))) == NULL)
		return -1;
	t->nbuckets = n;
	t->max = max;
	t->free_armor = free_armor;
	return 0;
}

static void
vl1_peer_destroy(struct vl1_peers *t, struct vl1_peer *p)
{
	if (p->armor != NULL && t->free_armor != NULL)
		t->free_armor(p->armor);
	identity_clear(&p->id);
	OPENSSL_cleanse(p->key, sizeof(p->key));
	free(p);
}

void
vl1_peers_free(struct vl1_peers *t)
{
	struct vl1_peer *p, *next;
	size_t i;

	if (t->buckets == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (p = t->buckets[i]; p != NULL; p = next) {
			next = p->hnext;
			vl1_peer_destroy(t, p);
		}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct vl1_peer *
vl1_peers_get(struct vl1_peers *t, uint64_t address)
{
	struct vl1_peer *p;

	for (p = t->buckets[vl1_peers_hash(t, address)]; p != NULL;
	    p = p->hnext)
		if (p->id.address == address)
			return p;
	return NULL;
}

struct vl1_peer *
vl1_peers_add(struct vl1_peers *t, const struct identity *id,
    const uint8_t key[ZT_AGREED_KEY_LEN])
{
	struct vl1_peer *p;
	size_t h;

	if ((p = vl1_peers_get(t, id->address)) != NULL)
		return p;
	if (t->count >= t->max)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (identity_copy(&p->id, id, false) == -1) {
		free(p);
		return NULL;
	}
	memcpy(p->key, key, ZT_AGREED_KEY_LEN);
	h = vl1_peers_hash(t, id->address);
	p->hnext = t->buckets[h];
	t->buckets[h] = p;
	t->count++;
	return p;
}

void
vl1_peers_remove(struct vl1_peers *t, uint64_t address)
{
	struct vl1_peer **pp, *p;

	for (pp = &t->buckets[vl1_peers_hash(t, address)]; (p = *pp) != NULL;
	    pp = &p->hnext) {
		if (p->id.address == address) {
			*pp = p->hnext;
			vl1_peer_destroy(t, p);
			t->count--;
			return;
		}
	}
}

void
vl1_peers_foreach(struct vl1_peers *t, void (*f)(struct vl1_peer *, void *),
    void *arg)
{
	struct vl1_peer *p;
	size_t i;

	for (i = 0; i < t->nbuckets; i++)
		for (p = t->buckets[i]; p != NULL; p = p->hnext)
			f(p, arg);
}

bool
vl1_peer_seen(struct vl1_peer *p, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < VL1_DUP_WINDOW; i++)
		if (p->dup[i] == id && id != 0)
			return true;
	p->dup[p->dup_next] = id;
	p->dup_next = (p->dup_next + 1) % VL1_DUP_WINDOW;
	return false;
}

struct vl1_path *
vl1_peer_path(struct vl1_peer *p, int sock, const struct inetaddr *a)
{
	unsigned int i;

	for (i = 0; i < VL1_MAX_PATHS; i++)
		if (p->paths[i].used && p->paths[i].sock == sock &&
		    inetaddr_equal(&p->paths[i].addr, a))
			return &p->paths[i];
	return NULL;
}

bool
vl1_path_alive(const struct vl1_path *x, int64_t now)
{
	return now - x->lr < VL1_PATH_ALIVE;
}

bool
vl1_path_expired(const struct vl1_path *x, int64_t now)
{
	return now - x->lr >= VL1_PATH_EXPIRATION;
}

bool
vl1_peer_has_live_ip(const struct vl1_peer *p, int sock,
    const struct inetaddr *a, int64_t now)
{
	unsigned int i;

	for (i = 0; i < VL1_MAX_PATHS; i++) {
		const struct vl1_path *x = &p->paths[i];

		if (x->used && x->sock == sock &&
		    inetaddr_ip_equal(&x->addr, a) && vl1_path_alive(x, now))
			return true;
	}
	return false;
}

static void
vl1_path_init(struct vl1_path *x, int sock, const struct inetaddr *a,
    int64_t now)
{
	memset(x, 0, sizeof(*x));
	x->used = true;
	x->sock = sock;
	x->addr = *a;
	x->lr = now;
	x->latency = VL1_LATENCY_UNKNOWN;
	x->priority = 1;
}

struct vl1_path *
vl1_peer_learn_path(struct vl1_peer *p, int sock, const struct inetaddr *a,
    int64_t now)
{
	struct vl1_path *x, *slot = NULL;
	unsigned int i;

	if ((x = vl1_peer_path(p, sock, a)) != NULL) {
		x->lr = now;
		return x;
	}
	/* a dead path with the same IP (the NAT moved the port) */
	for (i = 0; i < VL1_MAX_PATHS && slot == NULL; i++) {
		x = &p->paths[i];
		if (x->used && x->sock == sock &&
		    inetaddr_ip_equal(&x->addr, a) && !vl1_path_alive(x, now))
			slot = x;
	}
	for (i = 0; i < VL1_MAX_PATHS && slot == NULL; i++)
		if (!p->paths[i].used)
			slot = &p->paths[i];
	if (slot == NULL) {
		slot = &p->paths[0];
		for (i = 1; i < VL1_MAX_PATHS; i++)
			if (p->paths[i].lr < slot->lr)
				slot = &p->paths[i];
	}
	vl1_path_init(slot, sock, a, now);
	return slot;
}

static unsigned int
vl1_scope_rank(const struct inetaddr *a)
{
	/* §5.3: private 7, shared 6, global 4, pseudo-private 3 */
	switch (inetaddr_scope(a)) {
	case INETADDR_SCOPE_PRIVATE:
		return 7;
	case INETADDR_SCOPE_SHARED:
		return 6;
	case INETADDR_SCOPE_GLOBAL:
		return 4;
	case INETADDR_SCOPE_PSEUDOPRIVATE:
		return 3;
	default:
		return 0;
	}
}

uint64_t
vl1_path_quality(const struct vl1_path *x, int64_t now)
{
	uint64_t q = x->latency, since = (uint64_t)(now - x->lr);

	if (!vl1_path_alive(x, now))
		q += 65535 + (since < 140000 ? since : 140000);
	return q * (8 - vl1_scope_rank(&x->addr)) /
	    (x->priority ? x->priority : 1);
}

struct vl1_path *
vl1_peer_best_path(struct vl1_peer *p, int64_t now, bool any)
{
	struct vl1_path *best = NULL;
	uint64_t q, bq = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < VL1_MAX_PATHS; i++) {
		struct vl1_path *x = &p->paths[i];

		if (!x->used || (!any && vl1_path_expired(x, now)))
			continue;
		/* ties go to the later path, as 1.14.1 */
		if ((q = vl1_path_quality(x, now)) <= bq) {
			bq = q;
			best = x;
		}
	}
	return best;
}

void
vl1_path_latency_sample(struct vl1_path *x, unsigned int sample)
{
	if (sample > VL1_LATENCY_UNKNOWN - 1)
		sample = VL1_LATENCY_UNKNOWN - 1;
	if (x->latency == VL1_LATENCY_UNKNOWN)
		x->latency = sample;
	else
		x->latency = (x->latency + sample) / 2;
}

enum vl1_peer_state
vl1_peer_state(const struct vl1_peer *p, int64_t now)
{
	bool known = false;
	unsigned int i;

	for (i = 0; i < VL1_MAX_PATHS; i++) {
		if (!p->paths[i].used)
			continue;
		if (vl1_path_alive(&p->paths[i], now))
			return VL1_PEER_DIRECT;
		known |= !vl1_path_expired(&p->paths[i], now);
	}
	if (p->last_recv != 0 && now - p->last_recv < VL1_PATH_ALIVE)
		return VL1_PEER_RELAYED;
	/* VL2 uses it, so it is probed every heartbeat (§5.6): silence */
	if (p->last_vl2_frame != 0 &&
	    now - p->last_vl2_frame < VL1_PEER_ACTIVITY_TIMEOUT)
		return VL1_PEER_DOWN;
	/* an idle peer is not probed: quiet is no news until paths expire */
	if (known || (p->last_recv != 0 &&
	    now - p->last_recv < VL1_PATH_EXPIRATION))
		return (enum vl1_peer_state)p->state;
	return VL1_PEER_DOWN;
}

unsigned int
vl1_peer_prune_paths(struct vl1_peer *p, int64_t now)
{
	unsigned int i, n = 0;

	for (i = 0; i < VL1_MAX_PATHS; i++) {
		if (!p->paths[i].used)
			continue;
		if (vl1_path_expired(&p->paths[i], now))
			memset(&p->paths[i], 0, sizeof(p->paths[i]));
		else
			n++;
	}
	return n;
}
