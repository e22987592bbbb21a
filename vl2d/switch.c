/*
 * Frame switching (spec/vl2.md §1.5-1.6, §3.1-3.2, §7.7, §9): the
 * decisions of 1.14.1's Switch::onLocalEthernet and of the FRAME /
 * EXT_FRAME / MULTICAST_FRAME receive paths, without the I/O.
 *
 * Payloads and frames are untrusted: fixed-size fields are read
 * through struct rbuf, the rest is handed on as (pointer, length)
 * inside the caller's buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "switch.h"

#define ADDR_MASK		0xffffffffffULL
#define MACTAB_NIL		UINT32_MAX
#define MACTAB_MIN		16

/* whose credentials the rules engine asks about */
struct sw_eval {
	struct sw_net	*net;
	uint64_t	 peer;
};

/* ---- results and counters ---- */

static enum sw_result
sw_count(struct sw_net *net, enum sw_result r)
{
	switch (r) {
#define SW_X_COUNT(e, c, d)	case SW_##e: net->counters.c++; break;
	SW_RESULTS(SW_X_COUNT)
#undef SW_X_COUNT
	case SW_RESULT_COUNT:
		break;
	}
	return r;
}

const char *
sw_result_name(enum sw_result r)
{
	switch (r) {
#define SW_X_NAME(e, c, d)	case SW_##e: return #c;
	SW_RESULTS(SW_X_NAME)
#undef SW_X_NAME
	case SW_RESULT_COUNT:
		break;
	}
	return "?";
}

bool
sw_result_is_drop(enum sw_result r)
{
	switch (r) {
#define SW_X_DROP(e, c, d)	case SW_##e: return d;
	SW_RESULTS(SW_X_DROP)
#undef SW_X_DROP
	case SW_RESULT_COUNT:
		break;
	}
	return false;
}

void
sw_counters_foreach(const struct sw_counters *c,
    void (*fn)(void *, const char *, uint64_t), void *arg)
{
#define SW_X_EACH(e, f, d)	fn(arg, #f, c->f);
	SW_RESULTS(SW_X_EACH)
#undef SW_X_EACH
	fn(arg, "out_copies", c->out_copies);
	fn(arg, "in_copies", c->in_copies);
	fn(arg, "bridge_blocked", c->bridge_blocked);
	fn(arg, "acks", c->acks);
	fn(arg, "errors", c->errors);
	fn(arg, "mac_learned", c->mac_learned);
	fn(arg, "mac_evicted", c->mac_evicted);
	fn(arg, "mac_expired", c->mac_expired);
}

static uint32_t
sw_random(const struct sw_net *net)
{
	if (net->io->random != NULL)
		return net->io->random(net->io_arg);
	return arc4random();
}

/* ---- MAC table: MAC -> bridge it was learned behind ---- */

static uint32_t
mactab_hash(const struct sw_mactab *t, uint64_t mac)
{
	uint64_t x = mac ^ t->seed;

	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t)x & (t->nbucket - 1);
}

static void
mactab_free(struct sw_mactab *t)
{
	free(t->e);
	free(t->bucket);
	t->e = NULL;
	t->bucket = NULL;
	t->cap = t->nbucket = t->n = t->used = 0;
	t->free = MACTAB_NIL;
}

static struct sw_mac_entry *
mactab_find(const struct sw_mactab *t, uint64_t mac, uint32_t **link)
{
	uint32_t *l, i;

	if (t->nbucket == 0)
		return NULL;
	l = &t->bucket[mactab_hash(t, mac)];
	while ((i = *l) != MACTAB_NIL) {
		if (t->e[i].mac == mac) {
			if (link != NULL)
				*link = l;
			return &t->e[i];
		}
		l = &t->e[i].next;
	}
	return NULL;
}

static void
mactab_unlink(struct sw_mactab *t, uint32_t *link)
{
	uint32_t i = *link;

	*link = t->e[i].next;
	t->e[i].mac = 0;
	t->e[i].next = t->free;
	t->free = i;
	t->n--;
}

/* doubles the entry pool (and the buckets with it), up to max */
static int
mactab_grow(struct sw_mactab *t)
{
	struct sw_mac_entry *e;
	uint32_t *b, ncap, i, h;

	ncap = t->cap == 0 ? MACTAB_MIN : t->cap * 2;
	if (ncap > t->max)
		ncap = t->max;
	if (ncap <= t->cap)
		return -1;
	e = reallocarray(t->e, ncap, sizeof(*e));
	if (e == NULL)
		return -1;
	t->e = e;
	b = reallocarray(t->bucket, ncap, sizeof(*b));
	if (b == NULL)
		return -1;
	/* ncap is a power of two unless clipped to max: round down */
	t->nbucket = 1;
	while (t->nbucket * 2 <= ncap)
		t->nbucket *= 2;
	t->bucket = b;
	t->cap = ncap;
	for (i = 0; i < t->nbucket; i++)
		t->bucket[i] = MACTAB_NIL;
	for (i = 0; i < t->used; i++) {
		if (t->e[i].mac == 0)
			continue;
		h = mactab_hash(t, t->e[i].mac);
		t->e[i].next = t->bucket[h];
		t->bucket[h] = i;
	}
	return 0;
}

static uint32_t
mactab_sweep(struct sw_net *net, int64_t now)
{
	struct sw_mactab *t = &net->mactab;
	uint32_t b, *l, n = 0;

	for (b = 0; b < t->nbucket; b++) {
		l = &t->bucket[b];
		while (*l != MACTAB_NIL) {
			if (now - t->e[*l].seen > t->ttl) {
				mactab_unlink(t, l);
				n++;
			} else
				l = &t->e[*l].next;
		}
	}
	net->counters.mac_expired += n;
	return n;
}

static size_t
bridge_index(const struct sw_net *net, uint64_t addr)
{
	size_t lo = 0, hi = net->nbridges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (net->bridges_sorted[mid] < addr)
			lo = mid + 1;
		else if (net->bridges_sorted[mid] > addr)
			hi = mid;
		else
			return mid;
	}
	return SIZE_MAX;
}

/*
 * Full table: as 1.14.1, remove every entry of the address owning the
 * most; entries behind addresses that stopped being bridges go first.
 */
static void
mactab_evict(struct sw_net *net)
{
	struct sw_mactab *t = &net->mactab;
	uint32_t count[NETCONF_MAX_SPECIALISTS + 1], b, *l;
	size_t i, k, worst = NETCONF_MAX_SPECIALISTS;

	memset(count, 0, sizeof(count));
	for (i = 0; i < t->used; i++) {
		if (t->e[i].mac == 0)
			continue;
		k = bridge_index(net, t->e[i].bridge);
		count[k == SIZE_MAX ? NETCONF_MAX_SPECIALISTS : k]++;
	}
	if (count[NETCONF_MAX_SPECIALISTS] == 0) {
		for (k = 0; k < net->nbridges; k++)
			if (worst == NETCONF_MAX_SPECIALISTS ||
			    count[k] > count[worst])
				worst = k;
	}
	for (b = 0; b < t->nbucket; b++) {
		l = &t->bucket[b];
		while (*l != MACTAB_NIL) {
			k = bridge_index(net, t->e[*l].bridge);
			if (k == SIZE_MAX)
				k = NETCONF_MAX_SPECIALISTS;
			if (k == worst) {
				mactab_unlink(t, l);
				net->counters.mac_evicted++;
			} else
				l = &t->e[*l].next;
		}
	}
}

static void
mactab_learn(struct sw_net *net, int64_t now, uint64_t mac, uint64_t bridge)
{
	struct sw_mactab *t = &net->mactab;
	struct sw_mac_entry *e;
	uint32_t i, h;

	if ((e = mactab_find(t, mac, NULL)) != NULL) {
		e->bridge = bridge;
		e->seen = now;
		return;
	}
	if (t->n >= t->max && mactab_sweep(net, now) == 0)
		mactab_evict(net);
	if (t->n >= t->max)
		return;
	if (t->free == MACTAB_NIL && t->used == t->cap &&
	    mactab_grow(t) == -1)
		return;
	if (t->free != MACTAB_NIL) {
		i = t->free;
		t->free = t->e[i].next;
	} else
		i = t->used++;
	h = mactab_hash(t, mac);
	t->e[i].mac = mac;
	t->e[i].bridge = bridge;
	t->e[i].seen = now;
	t->e[i].next = t->bucket[h];
	t->bucket[h] = i;
	t->n++;
	net->counters.mac_learned++;
}

uint64_t
sw_mac_lookup(const struct sw_net *net, int64_t now, uint64_t mac)
{
	const struct sw_mac_entry *e;

	e = mactab_find(&net->mactab, mac, NULL);
	if (e == NULL || now - e->seen > net->mactab.ttl)
		return 0;
	return e->bridge;
}

void
sw_expire(struct sw_net *net, int64_t now)
{
	mactab_sweep(net, now);
}

size_t
sw_mac_count(const struct sw_net *net)
{
	return net->mactab.n;
}

/* ---- network set-up ---- */

int
sw_net_init(struct sw_net *net, uint64_t nwid, uint64_t self,
    const struct sw_io *io, void *io_arg, uint32_t mactab_max,
    int64_t mactab_ttl)
{
	memset(net, 0, sizeof(*net));
	if (io == NULL || io->send == NULL || io->deliver == NULL ||
	    io->multicast == NULL || io->may_send == NULL ||
	    self == 0 || (self & ~ADDR_MASK) != 0 || nwid == 0 ||
	    mactab_ttl < 0 || mactab_max >= MACTAB_NIL)
		return -1;
	net->nwid = nwid;
	net->self = self;
	net->mac = mac_from_address(self, nwid);
	net->io = io;
	net->io_arg = io_arg;
	net->drops.what = "vl2 frame";
	net->mactab.max = mactab_max != 0 ? mactab_max :
	    SW_MACTAB_MAX_DEFAULT;
	net->mactab.ttl = mactab_ttl != 0 ? mactab_ttl :
	    SW_MACTAB_TTL_DEFAULT;
	net->mactab.free = MACTAB_NIL;
	net->mactab.seed = (uint64_t)arc4random() << 32 | arc4random();
	return 0;
}

static void
net_clear_config(struct sw_net *net)
{
	free(net->bridges);
	free(net->bridges_sorted);
	free(net->tags);
	free(net->caps);
	net->bridges = net->bridges_sorted = NULL;
	net->tags = NULL;
	net->caps = NULL;
	net->nbridges = net->ntags = net->ncaps = 0;
	net->self_bridge = false;
	net->nc = NULL;
}

void
sw_net_free(struct sw_net *net)
{
	net_clear_config(net);
	mactab_free(&net->mactab);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
sw_net_set_config(struct sw_net *net, const struct netconf *nc)
{
	size_t i, n;

	net_clear_config(net);
	if (nc == NULL)
		return 0;
	if (nc->nwid != net->nwid || nc->nspecialists > NETCONF_MAX_SPECIALISTS)
		return -1;
	n = nc->nspecialists != 0 ? nc->nspecialists : 1;
	net->bridges = calloc(n, sizeof(*net->bridges));
	net->bridges_sorted = calloc(n, sizeof(*net->bridges_sorted));
	net->tags = calloc(nc->ntags + 1, sizeof(*net->tags));
	net->caps = calloc(nc->ncapabilities + 1, sizeof(*net->caps));
	if (net->bridges == NULL || net->bridges_sorted == NULL ||
	    net->tags == NULL || net->caps == NULL)
		goto fail;
	for (i = 0; i < nc->nspecialists; i++) {
		uint64_t a = nc->specialists[i] & NETCONF_SPECIALIST_ADDRESS_MASK;

		if ((nc->specialists[i] & NETCONF_SPECIALIST_ACTIVE_BRIDGE) == 0)
			continue;
		net->bridges[net->nbridges++] = a;
		if (a == net->self)
			net->self_bridge = true;
	}
	memcpy(net->bridges_sorted, net->bridges,
	    net->nbridges * sizeof(*net->bridges));
	qsort(net->bridges_sorted, net->nbridges, sizeof(uint64_t), cmp_u64);
	for (i = 0; i < nc->ntags; i++) {
		net->tags[i].id = nc->tags[i].id;
		net->tags[i].value = nc->tags[i].value;
	}
	net->ntags = nc->ntags;
	/* outbound, 1.14.1 tries its own capabilities by ascending id,
	   the order netconf keeps them in */
	for (i = 0; i < nc->ncapabilities; i++) {
		net->caps[i].id = nc->capabilities[i].id;
		net->caps[i].rules = nc->capabilities[i].rules;
		net->caps[i].n = nc->capabilities[i].nrules;
	}
	net->ncaps = nc->ncapabilities;
	net->nc = nc;
	return 0;
fail:
	net_clear_config(net);
	return -1;
}

int
sw_payload_nwid(const uint8_t *p, size_t len, uint64_t *nwid)
{
	struct rbuf r;

	rbuf_init(&r, p, len);
	return rbuf_get_u64(&r, nwid);
}

bool
sw_is_bridge(const struct sw_net *net, uint64_t addr)
{
	return net->nc != NULL && bridge_index(net, addr) != SIZE_MAX;
}

/* ---- rules ---- */

static bool
own_coo_owns(const struct netconf *nc, enum rules_thing t, const uint8_t *p)
{
	size_t i;

	for (i = 0; i < nc->ncoos; i++) {
		switch (t) {
		case RULES_THING_MAC:
			if (coo_owns_mac(&nc->coos[i], p))
				return true;
			break;
		case RULES_THING_IPV4:
			if (coo_owns_ipv4(&nc->coos[i], p))
				return true;
			break;
		case RULES_THING_IPV6:
			if (coo_owns_ipv6(&nc->coos[i], p))
				return true;
			break;
		}
	}
	return false;
}

/*
 * 1.14.1 treats IPv6 sources inside our own 6PLANE /40 or RFC4193 /88
 * as authenticated when NDP emulation is on: those addresses embed the
 * sender's ZeroTier address, so they cannot be spoofed on this network.
 */
static bool
ndp_unspoofable(const struct sw_net *net, const uint8_t ip[16])
{
	const struct netconf *nc = net->nc;
	struct inetaddr plane, rfc;
	size_t i;
	bool have_plane = false, have_rfc = false;

	if ((nc->flags & NETCONF_F_ENABLE_IPV6_NDP_EMU) == 0)
		return false;
	mac_6plane(&plane, net->nwid, net->self);
	mac_rfc4193(&rfc, net->nwid, net->self);
	for (i = 0; i < nc->nstatic_ips; i++) {
		if (inetaddr_ip_equal(&nc->static_ips[i], &plane))
			have_plane = true;
		if (inetaddr_ip_equal(&nc->static_ips[i], &rfc))
			have_rfc = true;
	}
	if (have_plane && memcmp(ip, plane.ip, 5) == 0)
		return true;
	return have_rfc && memcmp(ip, rfc.ip, 11) == 0;
}

static bool
sw_owns(void *arg, bool inbound, enum rules_thing t, const uint8_t *p)
{
	struct sw_eval *ev = arg;
	struct sw_net *net = ev->net;

	if (!inbound)
		return own_coo_owns(net->nc, t, p);
	if (t == RULES_THING_IPV6 && ndp_unspoofable(net, p))
		return true;
	if (net->io->peer_owns == NULL || ev->peer == 0)
		return false;
	return net->io->peer_owns(net->io_arg, net, ev->peer, t, p);
}

/* one frame as it travels through the module */
struct sw_frame {
	uint64_t	 src;
	uint64_t	 dst;
	uint16_t	 ethertype;
	const uint8_t	*data;
	size_t		 len;
};

static size_t
ext_head(uint8_t h[SW_EXT_FRAME_HEAD], uint64_t nwid, uint8_t flags,
    const struct sw_frame *f)
{
	be64_put(h, nwid);
	h[8] = flags;
	mac_to_bytes(f->dst, h + 9);
	mac_to_bytes(f->src, h + 15);
	be16_put(h + 21, f->ethertype);
	return SW_EXT_FRAME_HEAD;
}

/*
 * Runs rules_filter for one pass and sends what it asks for on the
 * side: TEE/WATCH copies and the redirected frame (§7.7).  peer is the
 * other party whose credentials count (inbound: the sender; outbound:
 * the destination, 0 for none).  Returns 0 drop, 1 deliver, 2 deliver
 * as a TEE/WATCH/REDIRECT target, -1 redirected (not delivered).
 */
static int
sw_filter(struct sw_net *net, int64_t now, bool inbound, uint64_t peer,
    uint64_t zt_dest, const struct sw_frame *fr, bool no_tee)
{
	struct rules_env env;
	struct rules_frame f;
	struct rules_decision d;
	struct sw_peer_info pi;
	struct sw_eval ev = { net, peer };
	uint8_t h[SW_EXT_FRAME_HEAD];
	size_t i, clen;

	memset(&pi, 0, sizeof(pi));
	if (peer != 0 && net->io->peer_info != NULL)
		net->io->peer_info(net->io_arg, net, peer, now, &pi);
	memset(&env, 0, sizeof(env));
	env.self = net->self;
	env.flags = (uint32_t)net->nc->flags;
	env.local_tags = net->tags;
	env.n_local_tags = net->ntags;
	env.remote_tags = pi.tags;
	env.n_remote_tags = pi.ntags;
	env.owns = sw_owns;
	env.owns_arg = &ev;
	env.random = net->io->random;
	env.random_arg = net->io_arg;
	memset(&f, 0, sizeof(f));
	f.inbound = inbound;
	f.zt_source = inbound ? peer : net->self;
	f.zt_dest = zt_dest;
	mac_to_bytes(fr->src, f.mac_source);
	mac_to_bytes(fr->dst, f.mac_dest);
	f.ethertype = fr->ethertype;
	f.data = fr->data;
	f.len = fr->len;
	if (inbound)
		rules_filter(&env, &f, net->nc->rules, net->nc->nrules,
		    pi.caps, pi.ncaps, false, &d);
	else
		rules_filter(&env, &f, net->nc->rules, net->nc->nrules,
		    net->caps, net->ncaps, no_tee, &d);
	if (d.accept == 0)
		return 0;
	for (i = 0; i < d.n_copy && i < 2; i++) {
		clen = d.copy[i].length < fr->len ? d.copy[i].length : fr->len;
		ext_head(h, net->nwid, d.copy[i].flags, fr);
		net->io->send(net->io_arg, net, d.copy[i].to,
		    SW_VERB_EXT_FRAME, h, sizeof(h), fr->data, clen, true);
		if (inbound)
			net->counters.in_copies++;
		else
			net->counters.out_copies++;
	}
	if (d.redirect_to != 0) {
		ext_head(h, net->nwid, d.redirect_flags, fr);
		net->io->send(net->io_arg, net, d.redirect_to,
		    SW_VERB_EXT_FRAME, h, sizeof(h), fr->data, fr->len, true);
		return -1;
	}
	return d.deliver ? d.accept : 0;
}

static void
sw_deliver(struct sw_net *net, const struct sw_frame *f)
{
	uint8_t eth[SW_ETH_HEAD];

	mac_to_bytes(f->dst, eth);
	mac_to_bytes(f->src, eth + 6);
	be16_put(eth + 12, f->ethertype);
	net->io->deliver(net->io_arg, net, eth, f->data, f->len);
}

bool
sw_filter_recipient(struct sw_net *net, int64_t now, uint64_t to,
    uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
    const uint8_t *data, size_t len)
{
	struct sw_frame f = { src_mac, dst_mac, ethertype, data, len };

	if (net->nc == NULL)
		return false;
	return sw_filter(net, now, false, to, to, &f, true) > 0;
}

/* ---- from the TAP ---- */

static uint16_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * NDP emulation (§1.6): a neighbour solicitation for an address that
 * embeds a member's ZeroTier address is answered locally with that
 * member's MAC instead of being multicast.  Returns true if answered.
 */
static bool
sw_ndp_emulate(struct sw_net *net, const struct sw_frame *f)
{
	const struct netconf *nc = net->nc;
	const uint8_t *t = f->data + 48, *mine = NULL;
	uint64_t addr = 0, peer_mac;
	uint32_t n32;
	uint8_t adv[72], pseudo[40];
	uint16_t sum;
	size_t i;

	if ((nc->flags & NETCONF_F_ENABLE_IPV6_NDP_EMU) == 0 ||
	    f->len < 40 + 8 + 16 || f->data[6] != 0x3a || f->data[40] != 0x87)
		return false;
	n32 = (uint32_t)((net->nwid ^ (net->nwid >> 32)) & 0xffffffff);
	for (i = 0; i < nc->nstatic_ips; i++) {
		const struct inetaddr *a = &nc->static_ips[i];

		if (a->family != INETADDR_V6)
			continue;
		if (a->port == 88 && a->ip[0] == 0xfd && a->ip[9] == 0x99 &&
		    a->ip[10] == 0x93) {
			if (memcmp(t, a->ip, 11) == 0) {
				addr = be40_get(t + 11);
				mine = a->ip;
				break;
			}
		} else if (a->port == 40 && a->ip[0] == 0xfc &&
		    be32_get(a->ip + 1) == n32) {
			if (memcmp(t, a->ip, 5) == 0) {
				addr = be40_get(t + 5);
				mine = a->ip;
				break;
			}
		}
	}
	if (addr == 0 || addr == net->self)
		return false;
	peer_mac = mac_from_address(addr, net->nwid);
	memset(adv, 0, sizeof(adv));
	adv[0] = 0x60;
	adv[5] = 0x20;
	adv[6] = 0x3a;
	adv[7] = 0xff;
	memcpy(adv + 8, t, 16);
	memcpy(adv + 24, mine, 16);
	adv[40] = 0x88;
	adv[44] = 0x60;
	memcpy(adv + 48, t, 16);
	adv[64] = 0x02;
	adv[65] = 0x01;
	mac_to_bytes(peer_mac, adv + 66);
	/* pseudo-header: source, destination, length 32, next header */
	memcpy(pseudo, adv + 8, 32);
	memset(pseudo + 32, 0, 8);
	pseudo[35] = 0x20;
	pseudo[39] = 0x3a;
	sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), adv + 40, 32);
	be16_put(adv + 42, (uint16_t)~sum);
	{
		struct sw_frame na = { peer_mac, f->src, SW_ETHERTYPE_IPV6,
		    adv, sizeof(adv) };

		sw_deliver(net, &na);
	}
	return true;
}

static enum sw_result
out_multicast(struct sw_net *net, int64_t now, const struct sw_frame *f,
    bool bridged)
{
	const struct netconf *nc = net->nc;
	struct mac_group g = { f->dst, 0 };
	int r;

	if (mac_is_broadcast(f->dst)) {
		/* an IPv4 ARP request goes to the group of the address
		   asked for, even where broadcast is off (§1.5) */
		if (f->ethertype == SW_ETHERTYPE_ARP && f->len >= 28 &&
		    f->data[2] == 0x08 && f->data[3] == 0x00 &&
		    f->data[4] == 6 && f->data[5] == 4 && f->data[7] == 1)
			g.adi = be32_get(f->data + 24);
		else if ((nc->flags & NETCONF_F_ENABLE_BROADCAST) == 0)
			return SW_OUT_BROADCAST_OFF;
	} else if (f->ethertype == SW_ETHERTYPE_IPV6 &&
	    sw_ndp_emulate(net, f))
		return SW_OUT_NDP;
	if (nc->multicast_limit == 0)
		return SW_OUT_MULTICAST_OFF;
	if (bridged && net->io->bridged_group != NULL)
		net->io->bridged_group(net->io_arg, net, now, &g);
	r = sw_filter(net, now, false, 0, 0, f, false);
	if (r == 0)
		return SW_OUT_FILTER;
	if (r < 0)
		return SW_OUT_REDIRECTED;
	net->io->multicast(net->io_arg, net, now, &g, bridged ? f->src : 0,
	    f->ethertype, f->data, f->len);
	return SW_OUT_MULTICAST;
}

static enum sw_result
out_member(struct sw_net *net, int64_t now, const struct sw_frame *f,
    bool bridged)
{
	uint64_t to = mac_to_address(f->dst, net->nwid);
	uint8_t h[SW_EXT_FRAME_HEAD];
	int r;

	/* 0 and 0xff........ are reserved addresses: nobody has them */
	if (to == 0 || (to >> 32) == 0xff)
		return SW_OUT_BAD_DEST;
	r = sw_filter(net, now, false, to, to, f, false);
	if (r == 0)
		return SW_OUT_FILTER;
	if (r < 0)
		return SW_OUT_REDIRECTED;
	if (net->io->push_credentials != NULL)
		net->io->push_credentials(net->io_arg, net, to, now);
	if (!bridged) {
		be64_put(h, net->nwid);
		be16_put(h + 8, f->ethertype);
		net->io->send(net->io_arg, net, to, SW_VERB_FRAME, h,
		    SW_FRAME_HEAD, f->data, f->len, false);
		return SW_OUT_UNICAST;
	}
	ext_head(h, net->nwid, 0, f);
	net->io->send(net->io_arg, net, to, SW_VERB_EXT_FRAME, h, sizeof(h),
	    f->data, f->len, false);
	return SW_OUT_BRIDGED;
}

/* a destination behind some bridge (§9.1 step 5) */
static enum sw_result
out_bridged(struct sw_net *net, int64_t now, const struct sw_frame *f)
{
	uint64_t to[SW_MAX_BRIDGE_SPAM], b;
	uint8_t h[SW_EXT_FRAME_HEAD];
	size_t n = 0, i;
	int r;

	r = sw_filter(net, now, false, 0, 0, f, false);
	if (r == 0)
		return SW_OUT_FILTER;
	if (r < 0)
		return SW_OUT_REDIRECTED;
	b = sw_mac_lookup(net, now, f->dst);
	if (b != 0 && b != net->self && sw_is_bridge(net, b))
		to[n++] = b;
	else if (net->nbridges <= SW_MAX_BRIDGE_SPAM) {
		for (i = 0; i < net->nbridges; i++)
			if (net->bridges[i] != net->self)
				to[n++] = net->bridges[i];
	} else {
		/* 1.14.1 walks the list cyclically taking each bridge with
		   probability 1/N until it has 32 (a bridge may repeat);
		   the walk is bounded so a poor random source cannot make
		   it spin (32 N visits are expected, 8 times that allowed) */
		size_t visits = SW_MAX_BRIDGE_SPAM * 8 * net->nbridges;

		i = 0;
		while (n < SW_MAX_BRIDGE_SPAM && visits-- > 0) {
			b = net->bridges[i];
			i = (i + 1) % net->nbridges;
			if (sw_random(net) % net->nbridges != 0)
				continue;
			if (b != net->self)
				to[n++] = b;
		}
	}
	if (n == 0)
		return SW_OUT_NO_ROUTE;
	ext_head(h, net->nwid, 0, f);
	for (i = 0; i < n; i++) {
		if (sw_filter(net, now, false, to[i], to[i], f, true) <= 0) {
			net->counters.bridge_blocked++;
			continue;
		}
		net->io->send(net->io_arg, net, to[i], SW_VERB_EXT_FRAME, h,
		    sizeof(h), f->data, f->len, false);
	}
	return SW_OUT_BRIDGED;
}

enum sw_result
sw_outbound(struct sw_net *net, int64_t now, const uint8_t *frame,
    size_t len)
{
	struct sw_frame f;
	struct rbuf r;
	bool bridged;

	if (net->nc == NULL)
		return sw_count(net, SW_OUT_NO_CONFIG);
	rbuf_init(&r, frame, len);
	{
		uint8_t d[6], s[6];

		if (rbuf_get_bytes(&r, d, 6) == -1 ||
		    rbuf_get_bytes(&r, s, 6) == -1 ||
		    rbuf_get_u16(&r, &f.ethertype) == -1)
			return sw_count(net, SW_OUT_RUNT);
		f.dst = mac_from_bytes(d);
		f.src = mac_from_bytes(s);
	}
	f.len = rbuf_remaining(&r);
	f.data = frame + SW_ETH_HEAD;
	/* 1.14.1 clips TAP reads to MTU + 14; a longer frame cannot come
	   from a TAP of this MTU, and cutting it would corrupt it */
	if (f.len > net->nc->mtu)
		return sw_count(net, SW_OUT_TOO_BIG);
	bridged = f.src != net->mac;
	if (bridged && !net->self_bridge)
		return sw_count(net, SW_OUT_NOT_BRIDGE);
	if (mac_is_multicast(f.dst))
		return sw_count(net, out_multicast(net, now, &f, bridged));
	if (f.dst == net->mac) {
		sw_deliver(net, &f);
		return sw_count(net, SW_OUT_LOCAL);
	}
	if (mac_is_member(f.dst, net->nwid))
		return sw_count(net, out_member(net, now, &f, bridged));
	return sw_count(net, out_bridged(net, now, &f));
}

/* ---- from peers ---- */

static void
send_need_cert(struct sw_net *net, uint64_t peer, uint8_t verb,
    uint64_t packet_id)
{
	uint8_t h[1 + 8 + 1 + 8];

	h[0] = verb;
	be64_put(h + 1, packet_id);
	h[9] = SW_ERR_NEED_MEMBERSHIP_CERT;
	be64_put(h + 10, net->nwid);
	net->io->send(net->io_arg, net, peer, SW_VERB_ERROR, h, sizeof(h),
	    NULL, 0, false);
	net->counters.errors++;
}

static bool
sw_gate(struct sw_net *net, int64_t now, uint64_t peer)
{
	/* no config, no members (1.14.1's gate) */
	if (net->nc == NULL)
		return false;
	return net->io->may_send(net->io_arg, net, peer, now);
}

static enum sw_result
in_malformed(struct sw_net *net, uint64_t peer, const char *what)
{
	log_drop(&net->drops, "%016llx: %s from %010llx",
	    (unsigned long long)net->nwid, what, (unsigned long long)peer);
	return sw_count(net, SW_IN_MALFORMED);
}

enum sw_result
sw_inbound_frame(struct sw_net *net, int64_t now, uint64_t peer,
    uint64_t packet_id, const uint8_t *payload, size_t len)
{
	struct sw_frame f;
	struct rbuf r;
	uint64_t nwid;
	int acc;

	rbuf_init(&r, payload, len);
	if (rbuf_get_u64(&r, &nwid) == -1 ||
	    rbuf_get_u16(&r, &f.ethertype) == -1)
		return in_malformed(net, peer, "short FRAME");
	if (nwid != net->nwid)
		return sw_count(net, SW_IN_WRONG_NETWORK);
	if (!sw_gate(net, now, peer)) {
		send_need_cert(net, peer, SW_VERB_FRAME, packet_id);
		return sw_count(net, SW_IN_GATE);
	}
	f.len = rbuf_remaining(&r);
	if (f.len == 0)
		return sw_count(net, SW_IN_EMPTY);
	f.data = payload + SW_FRAME_HEAD;
	/* FRAME carries no MACs: they are the sender's and ours (§3.1) */
	f.src = mac_from_address(peer, net->nwid);
	f.dst = net->mac;
	acc = sw_filter(net, now, true, peer, net->self, &f, false);
	if (acc < 0)
		return sw_count(net, SW_IN_REDIRECTED);
	if (acc == 0)
		return sw_count(net, SW_IN_FILTER);
	sw_deliver(net, &f);
	return sw_count(net, SW_IN_DELIVERED);
}

/*
 * §3.2 step 3 for a frame the rules accepted with result 1: a foreign
 * source MAC needs a bridge behind it, a foreign destination needs us
 * to be one.
 */
static enum sw_result
in_bridge_checks(struct sw_net *net, int64_t now, uint64_t peer,
    const struct sw_frame *f)
{
	if (f->src != mac_from_address(peer, net->nwid)) {
		if (!sw_is_bridge(net, peer)) {
			log_drop(&net->drops, "%016llx: %010llx is not a "
			    "bridge but sent source MAC %012llx",
			    (unsigned long long)net->nwid,
			    (unsigned long long)peer,
			    (unsigned long long)f->src);
			return SW_IN_BRIDGING_REMOTE;
		}
		mactab_learn(net, now, f->src, peer);
	} else if (f->dst != net->mac) {
		if (mac_is_multicast(f->dst)) {
			if (net->nc->multicast_limit == 0)
				return SW_IN_MULTICAST_OFF;
		} else if (!net->self_bridge)
			return SW_IN_BRIDGING_LOCAL;
	}
	return SW_IN_DELIVERED;
}

static enum sw_result
in_ext_frame(struct sw_net *net, int64_t now, uint64_t peer,
    const struct sw_frame *f)
{
	enum sw_result res;
	int acc;

	/* a zero source, or our own MAC echoed back, is never delivered */
	if (f->src == 0 || f->src == net->mac)
		return SW_IN_OWN_SOURCE;
	acc = sw_filter(net, now, true, peer, net->self, f, false);
	if (acc < 0)
		return SW_IN_REDIRECTED;
	if (acc == 0)
		return SW_IN_FILTER;
	if (acc == 1 &&
	    (res = in_bridge_checks(net, now, peer, f)) != SW_IN_DELIVERED)
		return res;
	sw_deliver(net, f);
	return SW_IN_DELIVERED;
}

enum sw_result
sw_inbound_ext_frame(struct sw_net *net, int64_t now, uint64_t peer,
    uint64_t packet_id, const uint8_t *payload, size_t len)
{
	struct sw_frame f;
	struct rbuf r;
	struct com com;
	enum sw_result res;
	uint64_t nwid;
	uint8_t flags, d[6], s[6], h[1 + 8 + 8];

	rbuf_init(&r, payload, len);
	if (rbuf_get_u64(&r, &nwid) == -1 || rbuf_get_u8(&r, &flags) == -1)
		return in_malformed(net, peer, "short EXT_FRAME");
	if (nwid != net->nwid)
		return sw_count(net, SW_IN_WRONG_NETWORK);
	if ((flags & SW_EXT_F_COM) != 0) {
		if (com_deserialize(&com, &r) == -1)
			return in_malformed(net, peer, "bad COM in EXT_FRAME");
		if (net->io->offer_com != NULL && com.nq != 0)
			net->io->offer_com(net->io_arg, net, peer, &com, now);
	}
	if (!sw_gate(net, now, peer)) {
		send_need_cert(net, peer, SW_VERB_EXT_FRAME, packet_id);
		return sw_count(net, SW_IN_GATE);
	}
	/* MACs and ethertype with no payload byte: nothing to deliver,
	   as 1.14.1 only looks further when a payload is present */
	if (rbuf_remaining(&r) <= SW_ETH_HEAD)
		res = SW_IN_EMPTY;
	else {
		rbuf_get_bytes(&r, d, 6);
		rbuf_get_bytes(&r, s, 6);
		rbuf_get_u16(&r, &f.ethertype);
		f.dst = mac_from_bytes(d);
		f.src = mac_from_bytes(s);
		f.len = rbuf_remaining(&r);
		f.data = payload + (len - f.len);
		res = in_ext_frame(net, now, peer, &f);
	}
	/*
	 * 1.14.1 returns before the ACK when it ignores or refuses the
	 * frame over its MACs; it acknowledges delivered frames, frames
	 * the rules dropped or redirected, and empty ones.
	 */
	if ((flags & SW_EXT_F_ACK) != 0 && (res == SW_IN_DELIVERED ||
	    res == SW_IN_FILTER || res == SW_IN_REDIRECTED ||
	    res == SW_IN_EMPTY)) {
		h[0] = SW_VERB_EXT_FRAME;
		be64_put(h + 1, packet_id);
		be64_put(h + 9, net->nwid);
		net->io->send(net->io_arg, net, peer, SW_VERB_OK, h,
		    sizeof(h), NULL, 0, false);
		net->counters.acks++;
	}
	return sw_count(net, res);
}

enum sw_result
sw_inbound_multicast(struct sw_net *net, int64_t now, uint64_t peer,
    uint64_t src_mac, uint64_t dst_mac, uint16_t ethertype,
    const uint8_t *data, size_t len)
{
	struct sw_frame f = { src_mac, dst_mac, ethertype, data, len };
	int acc;

	if (net->nc == NULL)
		return sw_count(net, SW_IN_GATE);
	if (net->nc->multicast_limit == 0)
		return sw_count(net, SW_IN_MULTICAST_OFF);
	if (len == 0 || len > SW_MULTICAST_PAYLOAD_MAX)
		return sw_count(net, SW_IN_EMPTY);
	if (!mac_is_multicast(dst_mac) || src_mac == 0 ||
	    mac_is_multicast(src_mac) || src_mac == net->mac)
		return sw_count(net, SW_IN_BAD_MULTICAST);
	if (src_mac != mac_from_address(peer, net->nwid)) {
		if (!sw_is_bridge(net, peer))
			return sw_count(net, SW_IN_BRIDGING_REMOTE);
		mactab_learn(net, now, src_mac, peer);
	}
	acc = sw_filter(net, now, true, peer, net->self, &f, false);
	if (acc < 0)
		return sw_count(net, SW_IN_REDIRECTED);
	if (acc == 0)
		return sw_count(net, SW_IN_FILTER);
	sw_deliver(net, &f);
	return sw_count(net, SW_IN_DELIVERED);
}
