/*
 * VL1 engine: lifecycle, topology (planet, moons, upstreams), the send
 * path, relaying and the timers of spec/vl1.md §5.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "armor.h"
#include "buf.h"
#include "log.h"
#include "node_int.h"
#include "packet.h"
#include "reasm.h"

static void
vl1_free_armor(void *a)
{
	armor_key_free(a);
}

static void
vl1_rebuild_upstream_flag(struct vl1_node *n)
{
	unsigned int i;

	n->am_upstream = world_find_root(&n->planet, n->self.address) != NULL;
	for (i = 0; i < n->nmoons; i++)
		if (world_find_root(&n->moons[i], n->self.address) != NULL)
			n->am_upstream = true;
}

/* makes sure every root of w is a peer we hold a key for */
static void
vl1_add_roots(struct vl1_node *n, const struct world *w, int64_t now)
{
	unsigned int i;

	for (i = 0; i < w->nroots; i++) {
		const struct identity *id = &w->roots[i].identity;

		if (id->address == n->self.address ||
		    vl1_peers_get(&n->peers, id->address) != NULL)
			continue;
		if (vl1_learn_peer(n, id, now) == NULL)
			log_warnx("cannot add root %010llx",
			    (unsigned long long)id->address);
	}
}

struct vl1_node *
vl1_node_new(const struct vl1_config *c, const struct vl1_io *io,
    int64_t now)
{
	struct vl1_node *n;
	unsigned int i;
	uint64_t seed;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->io = *io;
	if (identity_copy(&n->self, c->self, false) == -1)
		goto fail;
	if (vl1_peers_init(&n->peers, c->max_peers ? c->max_peers : 100000,
	    vl1_free_armor) == -1)
		goto fail;
	/* per-source budget: a few packets in flight from one address */
	if ((n->reasm = reasm_new(256, 16, 10000)) == NULL)
		goto fail;
	n->io.random(n->io.arg, &seed, sizeof(seed));
	if (vl1_mcast_init(&n->mcast, VL1_MC_MAX_GROUPS,
	    VL1_MC_MAX_MEMBERS, seed) == -1)
		goto fail;
	n->mtu = c->mtu ? c->mtu : ZT_DEFAULT_PHYSMTU;
	for (i = 0; i < c->ntrusted && i < VL1_MAX_TRUSTED; i++)
		n->trusted[n->ntrusted++] = c->trusted[i];
	for (i = 0; i < c->nblacklist && i < VL1_MAX_BLACKLIST; i++)
		n->blacklist[n->nblacklist++] = c->blacklist[i];
	for (i = 0; i < c->nmtus && i < VL1_MAX_PHYS_MTU; i++)
		n->mtus[n->nmtus++] = c->mtus[i];
	for (i = 0; i < c->nvirt && i < VL1_MAX_VIRTUAL; i++) {
		n->virt[n->nvirt] = c->virt[i];
		n->virt[n->nvirt++].last_try = 0;
	}
	if (c->planet != NULL)
		n->planet = *c->planet;
	else if (world_load_default_planet(&n->planet) == -1)
		goto fail;
	vl1_rebuild_upstream_flag(n);
	vl1_add_roots(n, &n->planet, now);
	n->last_ping_check = now - VL1_PING_CHECK;
	n->last_housekeeping = now;
	n->last_park_check = now;
	return n;
fail:
	vl1_node_free(n);
	return NULL;
}

void
vl1_node_free(struct vl1_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < sizeof(n->park) / sizeof(n->park[0]); i++)
		free(n->park[i].data);
	reasm_free(n->reasm);
	vl1_mcast_free(&n->mcast);
	vl1_peers_free(&n->peers);
	identity_clear(&n->self);
	free(n);
}

bool
vl1_node_is_upstream(const struct vl1_node *n, uint64_t a)
{
	unsigned int i;

	if (a == n->self.address)
		return false;
	if (world_find_root(&n->planet, a) != NULL)
		return true;
	for (i = 0; i < n->nmoons; i++)
		if (world_find_root(&n->moons[i], a) != NULL)
			return true;
	return false;
}

/* the stable endpoints the world lists for an upstream, or NULL */
static const struct world_root *
vl1_root_of(const struct vl1_node *n, uint64_t a)
{
	const struct world_root *r;
	unsigned int i;

	if ((r = world_find_root(&n->planet, a)) != NULL)
		return r;
	for (i = 0; i < n->nmoons; i++)
		if ((r = world_find_root(&n->moons[i], a)) != NULL)
			return r;
	return NULL;
}

static struct vl1_virtual *
vl1_virtual_of(struct vl1_node *n, uint64_t a)
{
	unsigned int i;

	for (i = 0; i < n->nvirt; i++)
		if (n->virt[i].address == a)
			return &n->virt[i];
	return NULL;
}

static bool
vl1_in_nets(const struct inetaddr *nets, unsigned int count,
    const struct inetaddr *a)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (nets[i].family == a->family &&
		    inetaddr_contains(&nets[i], a))
			return true;
	return false;
}

bool
vl1_path_allowed(struct vl1_node *n, struct vl1_peer *p,
    const struct inetaddr *a)
{
	const struct world_root *r;
	struct vl1_virtual *v;
	unsigned int i;

	if (!inetaddr_valid_for_path(a) ||
	    vl1_in_nets(n->blacklist, n->nblacklist, a))
		return false;
	/* local.conf virtual.<address>.blacklist */
	if ((v = vl1_virtual_of(n, p->id.address)) != NULL &&
	    vl1_in_nets(v->blacklist, v->nblacklist, a))
		return false;
	/* §5.3: a root with stable endpoints is reached only at them */
	if ((r = vl1_root_of(n, p->id.address)) != NULL && r->nendpoints > 0) {
		for (i = 0; i < r->nendpoints; i++)
			if (inetaddr_ip_equal(&r->endpoints[i], a))
				return true;
		return false;
	}
	return true;
}

bool
vl1_node_online(const struct vl1_node *n, int64_t now)
{
	const struct world *w[1 + VL1_MAX_MOONS];
	struct vl1_peer *p;
	unsigned int i, k, nw = 0;

	w[nw++] = &n->planet;
	for (i = 0; i < n->nmoons; i++)
		w[nw++] = &n->moons[i];
	for (k = 0; k < nw; k++)
		for (i = 0; i < w[k]->nroots; i++) {
			p = vl1_peers_get((struct vl1_peers *)&n->peers,
			    w[k]->roots[i].identity.address);
			if (p != NULL && p->last_recv != 0 &&
			    now - p->last_recv < VL1_PEER_ACTIVITY_TIMEOUT)
				return true;
		}
	return false;
}

int
vl1_node_add_moon(struct vl1_node *n, const struct world *w, int64_t now)
{
	unsigned int i;

	if (w->type != WORLD_TYPE_MOON || world_verify_self(w) != 0)
		return -1;
	for (i = 0; i < n->nmoons; i++) {
		if (n->moons[i].id == w->id) {
			if (world_should_be_replaced_by(&n->moons[i], w))
				n->moons[i] = *w;
			goto done;
		}
	}
	if (n->nmoons == VL1_MAX_MOONS)
		return -1;
	n->moons[n->nmoons++] = *w;
done:
	vl1_rebuild_upstream_flag(n);
	vl1_add_roots(n, w, now);
	return 0;
}

/*
 * §6.3: a moon not held is taken only when it was asked for and its
 * seed is one of its roots; as in 1.14.1 the first copy is not checked
 * against a key, since none is known yet.
 */
static bool
vl1_take_wanted(struct vl1_node *n, const struct world *w)
{
	unsigned int i;

	if (n->nmoons == VL1_MAX_MOONS)
		return false;
	for (i = 0; i < n->nwanted; i++) {
		if (n->wanted[i].id != w->id ||
		    world_find_root(w, n->wanted[i].seed) == NULL)
			continue;
		n->wanted[i] = n->wanted[--n->nwanted];
		return true;
	}
	return false;
}

void
vl1_offer_world(struct vl1_node *n, const struct world *w, int64_t now)
{
	unsigned int i;

	if (w->type == WORLD_TYPE_PLANET) {
		if (!world_should_be_replaced_by(&n->planet, w))
			return;
		n->planet = *w;
	} else if (w->type == WORLD_TYPE_MOON) {
		for (i = 0; i < n->nmoons; i++)
			if (n->moons[i].id == w->id)
				break;
		if (i == n->nmoons) {
			if (!vl1_take_wanted(n, w))
				return;
			n->moons[n->nmoons++] = *w;
		} else if (!world_should_be_replaced_by(&n->moons[i], w))
			return;
		else
			n->moons[i] = *w;
	} else
		return;
	log_info("accepted %s %llu timestamp %llu",
	    w->type == WORLD_TYPE_PLANET ? "planet" : "moon",
	    (unsigned long long)w->id, (unsigned long long)w->timestamp);
	vl1_rebuild_upstream_flag(n);
	vl1_add_roots(n, w, now);
	if (n->io.world_updated != NULL)
		n->io.world_updated(n->io.arg, w);
}

int
vl1_serialize_worlds_for(struct vl1_node *n, uint64_t planet_id,
    uint64_t planet_ts, const uint64_t *moon_ids, const uint64_t *moon_ts,
    unsigned int nmoons, struct wbuf *w)
{
	unsigned int i, k;

	/* §4.4: our planet if theirs is the same one but older */
	if (planet_id == n->planet.id && planet_ts < n->planet.timestamp &&
	    world_serialize(&n->planet, w) == -1)
		return -1;
	for (i = 0; i < nmoons; i++)
		for (k = 0; k < n->nmoons; k++)
			if (n->moons[k].id == moon_ids[i] &&
			    n->moons[k].timestamp > moon_ts[i] &&
			    world_serialize(&n->moons[k], w) == -1)
				return -1;
	return 0;
}

struct vl1_peer *
vl1_learn_peer_key(struct vl1_node *n, const struct identity *id,
    const uint8_t key[ZT_AGREED_KEY_LEN], int64_t now)
{
	struct vl1_peer *p;

	if ((p = vl1_peers_get(&n->peers, id->address)) != NULL)
		return p;
	if ((p = vl1_peers_add(&n->peers, id, key)) != NULL &&
	    (p->armor = armor_key_new(key)) == NULL) {
		vl1_peers_remove(&n->peers, id->address);
		p = NULL;
	}
	if (p != NULL) {
		p->created = now;
		n->st.identities_learned++;
		if (n->io.identity_learned != NULL)
			n->io.identity_learned(n->io.arg, &p->id);
	}
	return p;
}

struct vl1_peer *
vl1_learn_peer(struct vl1_node *n, const struct identity *id, int64_t now)
{
	uint8_t key[ZT_AGREED_KEY_LEN];
	struct vl1_peer *p;

	if ((p = vl1_peers_get(&n->peers, id->address)) != NULL)
		return p;
	if (n->io.agree(n->io.arg, id, key) == -1)
		return NULL;
	p = vl1_learn_peer_key(n, id, key, now);
	OPENSSL_cleanse(key, sizeof(key));
	return p;
}

size_t
vl1_header(struct vl1_node *n, uint8_t *p, uint64_t dest, uint8_t verb)
{
	n->io.random(n->io.arg, p, 8);
	be40_put(p + ZT_PKT_IDX_DEST, dest);
	be40_put(p + ZT_PKT_IDX_SOURCE, n->self.address);
	memset(p + ZT_PKT_IDX_FLAGS, 0, 9);
	p[ZT_PKT_IDX_VERB] = verb;
	return ZT_PACKET_HEADER_LEN;
}

size_t
vl1_reply_header(struct vl1_node *n, uint8_t *p, uint64_t dest,
    uint8_t verb, uint8_t inre_verb, const uint8_t inre_id[8])
{
	size_t len = vl1_header(n, p, dest, verb);

	p[len++] = inre_verb;
	memcpy(p + len, inre_id, 8);
	return len + 8;
}

void
vl1_expect_add(struct vl1_node *n, const uint8_t *wire)
{
	uint8_t b = wire[3];

	n->expect[b][n->expect_next[b]] = be32_get(wire);
	n->expect_next[b] = (uint8_t)((n->expect_next[b] + 1) % 32);
}

bool
vl1_expect_check(struct vl1_node *n, const uint8_t *id)
{
	uint32_t v = be32_get(id);
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (n->expect[id[3]][i] == v && v != 0)
			return true;
	return false;
}

unsigned int
vl1_peer_suite(const struct vl1_peer *p)
{
	return p->proto >= 12 ? ARMOR_SUITE_AES_GMAC_SIV :
	    ARMOR_SUITE_SALSA2012_POLY1305;
}

/* labels as ZeroTier One's node/Metrics.cpp spells them */
static const char *const vl1_verb_names[VL1_VERB_SLOTS] = {
	[VL1_VERB_NOP] = "nop",
	[VL1_VERB_HELLO] = "hello",
	[VL1_VERB_ERROR] = "error",
	[VL1_VERB_OK] = "ok",
	[VL1_VERB_WHOIS] = "whois",
	[VL1_VERB_RENDEZVOUS] = "rendezvous",
	[VL1_VERB_FRAME] = "frame",
	[VL1_VERB_EXT_FRAME] = "ext_frame",
	[VL1_VERB_ECHO] = "echo",
	[VL1_VERB_MULTICAST_LIKE] = "multicast_like",
	[VL1_VERB_NETWORK_CREDENTIALS] = "network_credentials",
	[VL1_VERB_NETWORK_CONFIG_REQUEST] = "network_config_request",
	[VL1_VERB_NETWORK_CONFIG] = "network_config",
	[VL1_VERB_MULTICAST_GATHER] = "multicast_gather",
	[VL1_VERB_MULTICAST_FRAME] = "multicast_frame",
	[VL1_VERB_PUSH_DIRECT_PATHS] = "push_direct_paths",
	[VL1_VERB_ACK] = "ack",
	[VL1_VERB_QOS_MEASUREMENT] = "qos",
	[VL1_VERB_USER_MESSAGE] = "user_message",
	[VL1_VERB_REMOTE_TRACE] = "remote_trace",
	[VL1_VERB_PATH_NEGOTIATION_REQUEST] = "path_negotiation_request",
};

/* 1.14.1 has no metric for codes 1 and 2; named in its style */
static const char *const vl1_error_names[VL1_ERROR_SLOTS] = {
	[VL1_ERR_INVALID_REQUEST] = "invalid_request",
	[VL1_ERR_BAD_PROTOCOL_VERSION] = "bad_protocol_version",
	[VL1_ERR_OBJ_NOT_FOUND] = "obj_not_found",
	[VL1_ERR_IDENTITY_COLLISION] = "identity_collision",
	[VL1_ERR_UNSUPPORTED_OPERATION] = "unsupported_operation",
	[VL1_ERR_NEED_MEMBERSHIP_CERTIFICATE] = "need_membership_certificate",
	[VL1_ERR_NETWORK_ACCESS_DENIED] = "network_access_denied",
	[VL1_ERR_UNWANTED_MULTICAST] = "unwanted_multicast",
	[VL1_ERR_NETWORK_AUTHENTICATION_REQUIRED] = "authentication_required",
};

const char *
vl1_verb_metric(unsigned int verb)
{
	return verb < VL1_VERB_SLOTS ? vl1_verb_names[verb] : NULL;
}

const char *
vl1_error_metric(unsigned int code)
{
	return code < VL1_ERROR_SLOTS ? vl1_error_names[code] : NULL;
}

/*
 * Counts a packet in plaintext by verb; an ERROR also by its code, which
 * follows the in-re verb and packet id and is readable only when the
 * payload is not compressed (ERRORs are too short to be).
 */
void
vl1_tally(struct vl1_node *n, unsigned int dir, const uint8_t *pkt,
    size_t len)
{
	uint8_t v = pkt[ZT_PKT_IDX_VERB];
	size_t at = ZT_PKT_IDX_PAYLOAD + 9;

	n->st.verbs[dir][v & ZT_PKT_VERB_MASK]++;
	if ((v & ZT_PKT_VERB_MASK) == VL1_VERB_ERROR &&
	    (v & ZT_PKT_VERB_COMPRESSED) == 0 && len > at)
		n->st.errors[dir][pkt[at] % VL1_ERROR_SLOTS]++;
}

static void
vl1_emit(struct vl1_node *n, int sock, const struct inetaddr *to,
    const uint8_t *d, size_t len, int ttl)
{
	n->st.tx_datagrams++;
	n->st.tx_bytes += len;
	n->io.send(n->io.arg, sock, to, d, len, ttl);
}

int
vl1_send_direct(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *to, uint8_t *pkt, size_t len, unsigned int suite,
    bool expect, int64_t now)
{
	struct vl1_path *x;

	vl1_tally(n, VL1_TX, pkt, len);
	if (armor_packet(pkt, len, p->armor, suite) == -1)
		return -1;
	if (expect)
		vl1_expect_add(n, pkt);
	n->st.tx_packets++;
	vl1_emit(n, sock, to, pkt, len, 0);
	if ((x = vl1_peer_path(p, sock, to)) != NULL)
		x->last_send = now;
	return 0;
}

int
vl1_send_hello(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *to, int64_t now)
{
	uint8_t pkt[VL1_BUF_LEN];
	struct wbuf w;
	size_t len, field;
	unsigned int i;

	len = vl1_header(n, pkt, p->id.address, VL1_VERB_HELLO);
	wbuf_init(&w, pkt + len, sizeof(pkt) - len);
	wbuf_put_u8(&w, VL1_PROTO_VERSION);
	wbuf_put_u8(&w, VL1_VERSION_MAJOR);
	wbuf_put_u8(&w, VL1_VERSION_MINOR);
	wbuf_put_u16(&w, VL1_VERSION_REV);
	wbuf_put_u64(&w, (uint64_t)now);
	identity_serialize(&n->self, false, &w);
	inetaddr_serialize(to, &w);
	wbuf_put_u64(&w, n->planet.id);
	wbuf_put_u64(&w, n->planet.timestamp);
	/* §3.5: the moon list travels in the separately encrypted field */
	field = len + wbuf_len(&w);
	wbuf_put_u16(&w, (uint16_t)(n->nmoons + n->nwanted));
	for (i = 0; i < n->nmoons; i++) {
		wbuf_put_u8(&w, n->moons[i].type);
		wbuf_put_u64(&w, n->moons[i].id);
		wbuf_put_u64(&w, n->moons[i].timestamp);
	}
	/* §6.4: a wanted moon at timestamp 0, so any holder sends it */
	for (i = 0; i < n->nwanted; i++) {
		wbuf_put_u8(&w, WORLD_TYPE_MOON);
		wbuf_put_u64(&w, n->wanted[i].id);
		wbuf_put_u64(&w, 0);
	}
	if (wbuf_failed(&w))
		return -1;
	len += wbuf_len(&w);
	if (armor_crypt_field(pkt, len, p->armor, field, len - field) == -1)
		return -1;
	p->last_hello_sent = now;
	return vl1_send_direct(n, p, sock, to, pkt, len,
	    ARMOR_SUITE_POLY1305, true, now);
}

int
vl1_send_echo(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *to, int64_t now)
{
	uint8_t pkt[ZT_PACKET_HEADER_LEN];
	size_t len = vl1_header(n, pkt, p->id.address, VL1_VERB_ECHO);

	return vl1_send_direct(n, p, sock, to, pkt, len, vl1_peer_suite(p),
	    true, now);
}

void
vl1_attempt_contact(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *to, int64_t now)
{
	/* 1.1.0 and protocol < 5 never get ECHO (§4.2) */
	if (p->proto >= 5 && !(p->vmajor == 1 && p->vminor == 1 &&
	    p->vrev == 0))
		vl1_send_echo(n, p, sock, to, now);
	else
		vl1_send_hello(n, p, sock, to, now);
}

struct vl1_peer *
vl1_best_upstream(struct vl1_node *n, int64_t now)
{
	const struct world *w[1 + VL1_MAX_MOONS];
	struct vl1_peer *p, *best = NULL;
	uint64_t q, bq = UINT64_MAX;
	unsigned int i, k, nw = 0;
	struct vl1_path *x;

	w[nw++] = &n->planet;
	for (i = 0; i < n->nmoons; i++)
		w[nw++] = &n->moons[i];
	for (k = 0; k < nw; k++) {
		for (i = 0; i < w[k]->nroots; i++) {
			uint64_t a = w[k]->roots[i].identity.address;

			if (a == n->self.address ||
			    (p = vl1_peers_get(&n->peers, a)) == NULL ||
			    (x = vl1_peer_best_path(p, now, true)) == NULL)
				continue;
			/* §5.2 relay quality */
			if (p->last_recv == 0 || now - p->last_recv >=
			    VL1_PEER_ACTIVITY_TIMEOUT)
				q = UINT64_MAX - 1;
			else
				q = (uint64_t)(x->latency ? x->latency :
				    65535) * ((uint64_t)(now - p->last_recv) /
				    61000 + 1);
			if (q <= bq) {
				bq = q;
				best = p;
			}
		}
	}
	return best;
}

/*
 * §5.5 step 2: a peer with no usable path gets a full HELLO at one of
 * its local.conf "try" addresses, at most every 30 s; IPv6 first, as
 * 1.14.1 asks for that family first.
 */
static void
vl1_try_static(struct vl1_node *n, struct vl1_peer *p, int64_t now)
{
	static const uint8_t fam[2] = { INETADDR_V6, INETADDR_V4 };
	const struct inetaddr *c[VL1_VIRTUAL_TRY];
	struct vl1_virtual *v;
	unsigned int i, f, nc;
	uint32_t rnd;

	if ((v = vl1_virtual_of(n, p->id.address)) == NULL || v->ntry == 0 ||
	    (v->last_try != 0 && now - v->last_try < VL1_TRY_INTERVAL))
		return;
	v->last_try = now;
	for (f = 0; f < 2; f++) {
		for (i = nc = 0; i < v->ntry; i++)
			if (v->try[i].family == fam[f] &&
			    vl1_path_allowed(n, p, &v->try[i]))
				c[nc++] = &v->try[i];
		if (nc == 0)
			continue;
		n->io.random(n->io.arg, &rnd, sizeof(rnd));
		vl1_send_hello(n, p, -1, c[rnd % nc], now);
		return;
	}
}

size_t
vl1_node_path_mtu(const struct vl1_node *n, const struct inetaddr *a)
{
	unsigned int i;

	for (i = 0; i < n->nmtus; i++)
		if (n->mtus[i].net.family == a->family &&
		    inetaddr_contains(&n->mtus[i].net, a))
			return n->mtus[i].mtu;
	return n->mtu;
}

/* sends an already-built packet through the general send queue */
static int
vl1_send_queued(struct vl1_node *n, struct vl1_peer *p, uint8_t *pkt,
    size_t len, int64_t now)
{
	struct packet_piece pieces[ZT_MAX_FRAGMENTS];
	struct packet_fragbuf fb;
	struct vl1_peer *via = NULL;
	struct vl1_path *x;
	uint8_t dg[ZT_MAX_PACKET_LEN];
	uint64_t tid;
	size_t mtu;
	int i, np;

	if ((x = vl1_peer_best_path(p, now, false)) == NULL) {
		vl1_try_static(n, p, now);
		/* §5.5: relay through the best upstream, else any path */
		if (!vl1_node_is_upstream(n, p->id.address) &&
		    (via = vl1_best_upstream(n, now)) != NULL &&
		    via != p)
			x = vl1_peer_best_path(via, now, true);
		if (x == NULL) {
			via = NULL;
			x = vl1_peer_best_path(p, now, true);
		}
		if (x == NULL)
			return -1;
	}
	/* local.conf physical.<cidr>.mtu of the path's network */
	mtu = vl1_node_path_mtu(n, &x->addr);
	if (len > mtu)
		pkt[ZT_PKT_IDX_FLAGS] |= ZT_PKT_FLAG_FRAGMENTED;
	vl1_tally(n, VL1_TX, pkt, len);
	if ((tid = vl1_node_trusted_id(n, &x->addr)) != 0) {
		/* §3.4: cipher 2, the path id where the MAC would be */
		pkt[ZT_PKT_IDX_FLAGS] = (uint8_t)((pkt[ZT_PKT_IDX_FLAGS] &
		    ~(ZT_PKT_CIPHER_MASK | ZT_PKT_FLAG_ENCRYPTED)) |
		    (ARMOR_SUITE_TRUSTED << 3));
		be64_put(pkt + ZT_PKT_IDX_MAC, tid);
	} else if (armor_packet(pkt, len, p->armor, vl1_peer_suite(p)) == -1)
		return -1;
	vl1_expect_add(n, pkt);
	if ((np = packet_split(pkt, len, mtu, &fb, pieces)) == -1)
		return -1;
	n->st.tx_packets++;
	for (i = 0; i < np; i++) {
		if (pieces[i].hdr == NULL) {
			vl1_emit(n, x->sock, &x->addr, pieces[i].data,
			    pieces[i].len, 0);
			continue;
		}
		memcpy(dg, pieces[i].hdr, ZT_FRAGMENT_HEADER_LEN);
		memcpy(dg + ZT_FRAGMENT_HEADER_LEN, pieces[i].data,
		    pieces[i].len);
		vl1_emit(n, x->sock, &x->addr, dg,
		    ZT_FRAGMENT_HEADER_LEN + pieces[i].len, 0);
	}
	x->last_send = now;
	return 0;
}

int
vl1_node_send(struct vl1_node *n, uint64_t dest, uint8_t verb,
    const uint8_t *payload, size_t plen, int64_t now)
{
	uint8_t pkt[VL1_BUF_LEN];
	struct vl1_peer *p;
	size_t len;

	if (plen > sizeof(pkt) - ZT_PACKET_HEADER_LEN ||
	    dest == n->self.address || zt_address_reserved(dest))
		return -1;
	if ((p = vl1_peers_get(&n->peers, dest)) == NULL) {
		vl1_park(n, false, dest, -1, NULL, verb, payload, plen, now);
		vl1_whois(n, dest, now);
		return 0;
	}
	len = vl1_header(n, pkt, dest, verb);
	if (plen > 0)
		memcpy(pkt + len, payload, plen);
	len += plen;
	if (verb != VL1_VERB_HELLO)
		packet_compress(pkt, &len);
	if (vl1_send_queued(n, p, pkt, len, now) == -1) {
		/* no way to reach it yet: keep it while the roots answer */
		vl1_park(n, false, dest, -1, NULL, verb, payload, plen, now);
		return 0;
	}
	return 0;
}

/* the identity cache answered: learn it and send what waited for it */
static bool
vl1_whois_cached(struct vl1_node *n, uint64_t addr, int64_t now)
{
	struct identity id;
	bool ok;

	if (n->io.identity_lookup == NULL)
		return false;
	memset(&id, 0, sizeof(id));
	ok = n->io.identity_lookup(n->io.arg, addr, &id) == 0 &&
	    id.address == addr && identity_locally_valid(&id) &&
	    vl1_learn_peer(n, &id, now) != NULL;
	identity_clear(&id);
	if (ok)
		vl1_unpark(n, addr, now);
	return ok;
}

/*
 * Every WHOIS, whatever the address, draws on one budget: packets from a
 * flood of made-up addresses must not become a flood toward the roots.
 * n->whois_credit is the virtual time up to which the budget is spent.
 */
static bool
vl1_whois_budget(struct vl1_node *n, int64_t now)
{
	const int64_t cost = 1000 / VL1_WHOIS_RATE;
	const int64_t full = VL1_WHOIS_BURST * cost;

	if (n->whois_credit == 0 || now - n->whois_credit > full)
		n->whois_credit = now - full;
	if (now - n->whois_credit < cost)
		return false;
	n->whois_credit += cost;
	return true;
}

void
vl1_whois(struct vl1_node *n, uint64_t addr, int64_t now)
{
	struct vl1_whois *w, *slot = NULL;
	struct vl1_peer *up;
	uint8_t pkt[ZT_PACKET_HEADER_LEN + 5];
	size_t i, len;

	for (i = 0; i < VL1_PARK_MAX; i++) {
		w = &n->whois[i];
		if (w->addr == addr) {
			slot = w;
			break;
		}
		if (slot == NULL && (w->addr == 0 ||
		    now - w->last_sent > VL1_PARK_TIMEOUT))
			slot = w;
	}
	if (slot == NULL)
		return;
	/* §5.9: at most one WHOIS per address per 500 ms */
	if (slot->addr == addr && now - slot->last_sent < VL1_WHOIS_RETRY)
		return;
	if (vl1_whois_cached(n, addr, now))
		return;
	if ((up = vl1_best_upstream(n, now)) == NULL || up->id.address == addr)
		return;
	if (!vl1_whois_budget(n, now)) {
		n->st.whois_ratelimited++;
		return;
	}
	slot->addr = addr;
	slot->last_sent = now;
	len = vl1_header(n, pkt, up->id.address, VL1_VERB_WHOIS);
	be40_put(pkt + len, addr);
	len += 5;
	if (vl1_send_queued(n, up, pkt, len, now) == 0)
		n->st.whois_sent++;
}

void
vl1_park(struct vl1_node *n, bool inbound, uint64_t addr, int sock,
    const struct inetaddr *from, uint8_t verb, const uint8_t *d, size_t len,
    int64_t now)
{
	struct vl1_parked *q, *slot = NULL, *oldest = NULL;
	size_t i, used = 0;

	for (i = 0; i < sizeof(n->park) / sizeof(n->park[0]); i++) {
		q = &n->park[i];
		if (!q->used) {
			if (slot == NULL)
				slot = q;
			continue;
		}
		if (q->inbound != inbound)
			continue;
		used++;
		if (oldest == NULL || q->when < oldest->when)
			oldest = q;
	}
	/* each direction keeps at most VL1_PARK_MAX, newest win */
	if (used >= VL1_PARK_MAX || slot == NULL) {
		slot = oldest;
		free(slot->data);
		if (inbound)
			n->st.rx_park_dropped++;
		else
			n->st.tx_park_dropped++;
	}
	memset(slot, 0, sizeof(*slot));
	if ((slot->data = malloc(len ? len : 1)) == NULL)
		return;
	if (len > 0)
		memcpy(slot->data, d, len);
	slot->len = len;
	slot->used = true;
	slot->inbound = inbound;
	slot->addr = addr;
	slot->when = now;
	slot->sock = sock;
	slot->verb = verb;
	if (from != NULL)
		slot->from = *from;
	if (inbound)
		n->st.rx_parked++;
	else
		n->st.tx_parked++;
}

void
vl1_unpark(struct vl1_node *n, uint64_t addr, int64_t now)
{
	struct vl1_parked q;
	size_t i;

	for (i = 0; i < sizeof(n->park) / sizeof(n->park[0]); i++) {
		if (!n->park[i].used || n->park[i].addr != addr)
			continue;
		q = n->park[i];
		memset(&n->park[i], 0, sizeof(n->park[i]));
		if (q.inbound)
			vl1_process(n, q.sock, &q.from, q.data, q.len, now);
		else
			vl1_node_send(n, q.addr, q.verb, q.data, q.len, now);
		free(q.data);
	}
}

/* §5.8: best path of p per (scope, family) */
static struct vl1_path *
vl1_best_in_scope(struct vl1_peer *p, enum inetaddr_scope scope,
    uint8_t family, int64_t now)
{
	struct vl1_path *best = NULL;
	unsigned int i;

	for (i = 0; i < VL1_MAX_PATHS; i++) {
		struct vl1_path *x = &p->paths[i];

		if (!x->used || vl1_path_expired(x, now) ||
		    x->addr.family != family ||
		    inetaddr_scope(&x->addr) != scope)
			continue;
		if (best == NULL || vl1_path_quality(x, now) <=
		    vl1_path_quality(best, now))
			best = x;
	}
	return best;
}

static void
vl1_send_rendezvous(struct vl1_node *n, struct vl1_peer *to,
    struct vl1_path *via, const struct vl1_peer *other,
    const struct inetaddr *ep, int64_t now)
{
	uint8_t pkt[ZT_PACKET_HEADER_LEN + 32];
	size_t len = vl1_header(n, pkt, to->id.address, VL1_VERB_RENDEZVOUS);
	size_t iplen = ep->family == INETADDR_V4 ? 4 : 16;

	pkt[len++] = 0;
	be40_put(pkt + len, other->id.address);
	len += 5;
	be16_put(pkt + len, ep->port);
	len += 2;
	pkt[len++] = (uint8_t)iplen;
	memcpy(pkt + len, ep->ip, iplen);
	len += iplen;
	if (vl1_send_direct(n, to, via->sock, &via->addr, pkt, len,
	    vl1_peer_suite(to), false, now) == 0)
		n->st.rendezvous_sent++;
}

static void
vl1_introduce(struct vl1_node *n, struct vl1_peer *a, struct vl1_peer *b,
    int64_t now)
{
	static const uint8_t fam[2] = { INETADDR_V6, INETADDR_V4 };
	struct vl1_path *pa = NULL, *pb = NULL;
	uint64_t lo, hi;
	struct vl1_unite *u;
	int scope, f;
	uint8_t r;

	lo = a->id.address < b->id.address ? a->id.address : b->id.address;
	hi = a->id.address ^ b->id.address ^ lo;
	u = &n->unite[(lo ^ hi ^ (hi >> 8)) & 0xff];
	if (u->a == lo && u->b == hi && now - u->when < VL1_UNITE_INTERVAL)
		return;
	for (scope = INETADDR_SCOPE_PRIVATE; scope >= 0 && pa == NULL;
	    scope--)
		for (f = 0; f < 2 && pa == NULL; f++) {
			pa = vl1_best_in_scope(a, scope, fam[f], now);
			pb = vl1_best_in_scope(b, scope, fam[f], now);
			if (pa == NULL || pb == NULL)
				pa = pb = NULL;
		}
	if (pa == NULL)
		return;
	u->a = lo;
	u->b = hi;
	u->when = now;
	n->io.random(n->io.arg, &r, 1);
	if (r & 1) {
		vl1_send_rendezvous(n, a, pa, b, &pb->addr, now);
		vl1_send_rendezvous(n, b, pb, a, &pa->addr, now);
	} else {
		vl1_send_rendezvous(n, b, pb, a, &pa->addr, now);
		vl1_send_rendezvous(n, a, pa, b, &pb->addr, now);
	}
}

/* the datagram came in on a path of a peer that VL2 trusts (§5.7) */
static bool
vl1_from_trusted_path(struct vl1_node *n, int sock, const struct inetaddr *from,
    uint64_t source, int64_t now)
{
	struct vl1_peer *p = vl1_peers_get(&n->peers, source);

	return p != NULL && p->last_trust != 0 &&
	    now - p->last_trust < VL1_TRUST_EXPIRATION &&
	    vl1_peer_path(p, sock, from) != NULL;
}

void
vl1_relay(struct vl1_node *n, int sock, const struct inetaddr *from,
    uint8_t *d, size_t len, bool fragment, int64_t now)
{
	uint64_t dest = be40_get(d + ZT_PKT_IDX_DEST);
	unsigned int hopsidx = fragment ? ZT_FRAG_IDX_HOPS : ZT_PKT_IDX_FLAGS;
	unsigned int hops = d[hopsidx] & ZT_PKT_HOPS_MASK;
	struct vl1_peer *to, *src = NULL, *up;
	struct vl1_path *x;

	if (!fragment)
		src = vl1_peers_get(&n->peers, packet_source(d));
	if (!n->am_upstream && (fragment ||
	    !vl1_from_trusted_path(n, sock, from, packet_source(d), now))) {
		n->st.relay_dropped++;
		return;
	}
	if (hops >= VL1_RELAY_MAX_HOPS) {
		n->st.relay_dropped++;
		return;
	}
	d[hopsidx] = (uint8_t)((d[hopsidx] & ~ZT_PKT_HOPS_MASK) | (hops + 1));
	if ((to = vl1_peers_get(&n->peers, dest)) != NULL &&
	    (x = vl1_peer_best_path(to, now, false)) != NULL) {
		vl1_emit(n, x->sock, &x->addr, d, len, 0);
		n->st.relayed++;
		if (!fragment && src != NULL)
			vl1_introduce(n, src, to, now);
		return;
	}
	if ((up = vl1_best_upstream(n, now)) == NULL ||
	    (src != NULL && up == src) ||
	    (x = vl1_peer_best_path(up, now, true)) == NULL) {
		n->st.relay_dropped++;
		return;
	}
	vl1_emit(n, x->sock, &x->addr, d, len, 0);
	n->st.relayed++;
}

void
vl1_node_trust(struct vl1_node *n, uint64_t peer, int64_t now)
{
	struct vl1_peer *p = vl1_peers_get(&n->peers, peer);

	if (p != NULL)
		p->last_trust = now;
}

/* §5.6 per-peer keepalive; returns true if some path was probed */
static bool
vl1_keepalive(struct vl1_node *n, struct vl1_peer *p, int64_t now,
    bool *v4, bool *v6)
{
	bool full = now - p->last_hello_sent >= VL1_PEER_PING_PERIOD;
	bool sent = false;
	unsigned int i;

	vl1_peer_prune_paths(p, now);
	for (i = 0; i < VL1_MAX_PATHS; i++) {
		struct vl1_path *x = &p->paths[i];

		if (!x->used)
			continue;
		if (!full && now - x->last_send < VL1_PATH_HEARTBEAT)
			continue;
		if (full)
			vl1_send_hello(n, p, x->sock, &x->addr, now);
		else
			vl1_attempt_contact(n, p, x->sock, &x->addr, now);
		x->last_send = now;
		sent = true;
		if (x->addr.family == INETADDR_V4)
			*v4 = true;
		else
			*v6 = true;
	}
	return sent;
}

/* HELLO to a random stable endpoint of the family, from every socket */
static bool
vl1_hello_endpoint(struct vl1_node *n, struct vl1_peer *p,
    const struct world_root *r, uint8_t family, int64_t now)
{
	const struct inetaddr *c[WORLD_MAX_ENDPOINTS];
	unsigned int i, nc = 0;
	uint32_t rnd;

	for (i = 0; i < r->nendpoints; i++)
		if (r->endpoints[i].family == family)
			c[nc++] = &r->endpoints[i];
	if (nc == 0)
		return false;
	n->io.random(n->io.arg, &rnd, sizeof(rnd));
	vl1_send_hello(n, p, -1, c[rnd % nc], now);
	return true;
}

struct vl1_ping_walk {
	struct vl1_node	*n;
	int64_t		 now;
};

void
vl1_peer_check(struct vl1_node *n, struct vl1_peer *p, int64_t now)
{
	enum vl1_peer_state s = vl1_peer_state(p, now);

	if (s == p->state)
		return;
	p->state = (uint8_t)s;
	if (n->io.peer_state != NULL)
		n->io.peer_state(n->io.arg, p, now);
}

static void
vl1_ping_peer(struct vl1_peer *p, void *arg)
{
	struct vl1_ping_walk *pw = arg;
	struct vl1_node *n = pw->n;
	const struct world_root *r = vl1_root_of(n, p->id.address);
	int64_t now = pw->now, scale;
	bool v4 = false, v6 = false, sent;
	struct vl1_peer *up;
	struct vl1_path *x;

	/* a peer goes down here, VL1_PING_CHECK after its last path died */
	vl1_peer_check(n, p, now);
	if (r == NULL) {
		/* leaves are kept alive only while VL2 uses them */
		if (p->last_vl2_frame != 0 &&
		    now - p->last_vl2_frame < VL1_PEER_ACTIVITY_TIMEOUT)
			vl1_keepalive(n, p, now, &v4, &v6);
		else
			vl1_peer_prune_paths(p, now);
		return;
	}
	scale = vl1_peer_best_path(p, now, false) != NULL ? 16 : 0;
	if (now - p->last_hello_sent < VL1_PATH_HEARTBEAT * scale)
		return;
	sent = vl1_keepalive(n, p, now, &v4, &v6);
	if (!v4)
		sent |= vl1_hello_endpoint(n, p, r, INETADDR_V4, now);
	if (!v6)
		sent |= vl1_hello_endpoint(n, p, r, INETADDR_V6, now);
	if (!sent && (up = vl1_best_upstream(n, now)) != NULL && up != p &&
	    (x = vl1_peer_best_path(up, now, true)) != NULL)
		vl1_send_hello(n, p, x->sock, &x->addr, now);
}

struct vl1_gc {
	struct vl1_node	*n;
	int64_t		 now;
	uint64_t	 victims[64];
	unsigned int	 nvictims;
};

static void
vl1_gc_peer(struct vl1_peer *p, void *arg)
{
	struct vl1_gc *gc = arg;
	int64_t seen = p->last_recv > p->created ? p->last_recv : p->created;

	if (vl1_node_is_upstream(gc->n, p->id.address) ||
	    gc->nvictims == 64)
		return;
	if (gc->now - seen >= VL1_PEER_ACTIVITY_TIMEOUT)
		gc->victims[gc->nvictims++] = p->id.address;
}

/* §6.4: the seed is found through the roots and asked by HELLO */
static void
vl1_seek_moon(struct vl1_node *n, const struct vl1_wanted_moon *m,
    int64_t now)
{
	struct vl1_peer *p, *up;
	struct vl1_path *x;

	if ((p = vl1_peers_get(&n->peers, m->seed)) == NULL) {
		vl1_whois(n, m->seed, now);
		return;
	}
	if (now - p->last_hello_sent < VL1_SEEK_INTERVAL)
		return;
	if ((x = vl1_peer_best_path(p, now, false)) == NULL &&
	    (up = vl1_best_upstream(n, now)) != NULL && up != p)
		x = vl1_peer_best_path(up, now, true);
	if (x != NULL)
		vl1_send_hello(n, p, x->sock, &x->addr, now);
}

int64_t
vl1_node_tick(struct vl1_node *n, int64_t now)
{
	struct vl1_ping_walk pw = { n, now };
	struct vl1_gc gc;
	bool pending = false;
	unsigned int i;
	size_t k;

	if (now - n->last_park_check >= VL1_WHOIS_RETRY) {
		n->last_park_check = now;
		for (k = 0; k < sizeof(n->park) / sizeof(n->park[0]); k++) {
			struct vl1_parked *q = &n->park[k];

			if (!q->used)
				continue;
			if (now - q->when >= VL1_PARK_TIMEOUT) {
				free(q->data);
				memset(q, 0, sizeof(*q));
				continue;
			}
			pending = true;
			if (vl1_peers_get(&n->peers, q->addr) == NULL)
				vl1_whois(n, q->addr, now);
			else
				vl1_unpark(n, q->addr, now);
		}
		reasm_expire(n->reasm, now);
	}
	if (now - n->last_ping_check >= VL1_PING_CHECK) {
		n->last_ping_check = now;
		vl1_peers_foreach(&n->peers, vl1_ping_peer, &pw);
	}
	for (i = 0; i < n->nwanted; i++)
		vl1_seek_moon(n, &n->wanted[i], now);
	if (now - n->last_housekeeping >= VL1_HOUSEKEEPING) {
		n->last_housekeeping = now;
		do {
			memset(&gc, 0, sizeof(gc));
			gc.n = n;
			gc.now = now;
			vl1_peers_foreach(&n->peers, vl1_gc_peer, &gc);
			for (i = 0; i < gc.nvictims; i++)
				vl1_peers_remove(&n->peers, gc.victims[i]);
		} while (gc.nvictims == 64);
		vl1_mcast_expire(&n->mcast, now);
	}
	for (k = 0; k < sizeof(n->park) / sizeof(n->park[0]); k++)
		pending |= n->park[k].used;
	if (pending || n->nwanted > 0)
		return now + VL1_WHOIS_RETRY;
	return n->last_ping_check + VL1_PING_CHECK;
}

void
vl1_node_whois(struct vl1_node *n, uint64_t addr, int64_t now)
{
	if (addr != n->self.address && !zt_address_reserved(addr) &&
	    vl1_peers_get(&n->peers, addr) == NULL)
		vl1_whois(n, addr, now);
}

int
vl1_node_orbit(struct vl1_node *n, uint64_t id, uint64_t seed, int64_t now)
{
	unsigned int i;

	for (i = 0; i < n->nmoons; i++)
		if (n->moons[i].id == id)
			return 0;
	for (i = 0; i < n->nwanted; i++)
		if (n->wanted[i].id == id)
			break;
	if (i == n->nwanted) {
		if (n->nwanted + n->nmoons >= VL1_MAX_MOONS)
			return -1;
		n->nwanted++;
	}
	n->wanted[i].id = id;
	n->wanted[i].seed = seed;
	vl1_seek_moon(n, &n->wanted[i], now);
	return 0;
}

int
vl1_node_deorbit(struct vl1_node *n, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < n->nwanted; i++)
		if (n->wanted[i].id == id) {
			n->wanted[i] = n->wanted[--n->nwanted];
			return 0;
		}
	for (i = 0; i < n->nmoons; i++)
		if (n->moons[i].id == id) {
			n->moons[i] = n->moons[--n->nmoons];
			/* its roots stay peers, no longer upstreams */
			vl1_rebuild_upstream_flag(n);
			return 0;
		}
	return -1;
}

uint64_t
vl1_node_trusted_id(const struct vl1_node *n, const struct inetaddr *a)
{
	unsigned int i;

	for (i = 0; i < n->ntrusted; i++)
		if (n->trusted[i].net.family == a->family &&
		    inetaddr_contains(&n->trusted[i].net, a))
			return n->trusted[i].id;
	return 0;
}
