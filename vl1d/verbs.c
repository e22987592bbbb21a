/*
 * VL1 receive pipeline (spec/vl1.md §3.7) and the VL1 verbs (§4).
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

#define VL1_ECHO_INTERVAL	166
#define VL1_WHOIS_INTERVAL	100
#define VL1_CONFIRM_INTERVAL	1000
#define VL1_PUSH_CUTOFF		30000
#define VL1_PUSH_LIMIT		8

static struct log_drops vl1_drops = LOG_DROPS_INIT("vl1 packet");

/* §5.4: what an authenticated packet teaches about its path */
static void
vl1_received_path(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, unsigned int hops, bool is_ok, int64_t now)
{
	struct vl1_path *x;

	p->last_recv = now;
	if (hops != 0)
		return;
	if ((x = vl1_peer_path(p, sock, from)) != NULL) {
		x->lr = now;
		return;
	}
	if (vl1_peer_has_live_ip(p, sock, from, now) ||
	    !vl1_path_allowed(n, p, from))
		return;
	if (is_ok) {
		vl1_peer_learn_path(p, sock, from, now);
		return;
	}
	/* not trusted yet: confirm it with a HELLO, at most once a second */
	if (now - p->last_confirm < VL1_CONFIRM_INTERVAL)
		return;
	p->last_confirm = now;
	vl1_send_hello(n, p, sock, from, now);
}

static void
vl1_received(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, unsigned int hops, bool is_ok, int64_t now)
{
	vl1_received_path(n, p, sock, from, hops, is_ok, now);
	/* DIRECT stays so until the tick sees its last path die */
	if (p->state != VL1_PEER_DIRECT)
		vl1_peer_check(n, p, now);
}

static uint8_t
vl1_cipher_of(const uint8_t *pkt)
{
	return (uint8_t)packet_cipher(pkt);
}

/* §5.12: one new-identity verification per source /24 (or /48) per 2 s */
static bool
vl1_idv_allowed(struct vl1_node *n, const struct inetaddr *from, int64_t now)
{
	uint32_t h = 2166136261u;
	size_t i, nb = from->family == INETADDR_V4 ? 3 : 6;
	int64_t *slot;

	for (i = 0; i < nb; i++)
		h = (h ^ from->ip[i]) * 16777619u;
	slot = &n->idv_last[h % VL1_IDV_BUCKETS];
	if (*slot != 0 && now - *slot < VL1_IDV_INTERVAL)
		return false;
	*slot = now;
	return true;
}

static void
vl1_send_collision(struct vl1_node *n, const struct identity *id,
    struct armor_key *k, int sock, const struct inetaddr *from,
    const uint8_t *inre, int64_t now)
{
	uint8_t pkt[ZT_PACKET_HEADER_LEN + 16];
	size_t len;

	len = vl1_reply_header(n, pkt, id->address, VL1_VERB_ERROR,
	    VL1_VERB_HELLO, inre);
	pkt[len++] = VL1_ERR_IDENTITY_COLLISION;
	vl1_tally(n, VL1_TX, pkt, len);
	if (armor_packet(pkt, len, k, ARMOR_SUITE_SALSA2012_POLY1305) == 0)
		n->io.send(n->io.arg, sock, from, pkt, len, 0);
	(void)now;
}

static void
vl1_ok_hello(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, const uint8_t *inre, uint64_t ts,
    uint8_t theirproto, uint64_t planet_id, uint64_t planet_ts,
    const uint64_t *moon_ids, const uint64_t *moon_ts, unsigned int nmoons,
    unsigned int suite, int64_t now)
{
	uint8_t pkt[VL1_BUF_LEN];
	struct inetaddr seen = *from;
	struct wbuf w;
	size_t len, wlen_off;

	len = vl1_reply_header(n, pkt, p->id.address, VL1_VERB_OK,
	    VL1_VERB_HELLO, inre);
	wbuf_init(&w, pkt + len, sizeof(pkt) - len);
	wbuf_put_u64(&w, ts);
	wbuf_put_u8(&w, VL1_PROTO_VERSION);
	wbuf_put_u8(&w, VL1_VERSION_MAJOR);
	wbuf_put_u8(&w, VL1_VERSION_MINOR);
	wbuf_put_u16(&w, VL1_VERSION_REV);
	if (theirproto < 5)
		seen.port = 0;
	inetaddr_serialize(&seen, &w);
	wlen_off = wbuf_len(&w);
	wbuf_put_u16(&w, 0);
	if (vl1_serialize_worlds_for(n, planet_id, planet_ts, moon_ids,
	    moon_ts, nmoons, &w) == -1 || wbuf_failed(&w))
		return;
	wbuf_patch_u16(&w, wlen_off, (uint16_t)(wbuf_len(&w) - wlen_off - 2));
	len += wbuf_len(&w);
	vl1_send_direct(n, p, sock, from, pkt, len, suite, false, now);
}

/*
 * HELLO (§4.2).  authed: it came encrypted from a known peer and was
 * dearmored already; otherwise it is a cipher-0 HELLO that authenticates
 * itself here.
 */
static void
vl1_hello_in(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, uint8_t *pkt, size_t len, bool authed,
    int64_t now)
{
	uint64_t ts, planet_id = 0, planet_ts = 0, wid, wts;
	uint64_t moon_ids[VL1_MAX_MOONS], moon_ts[VL1_MAX_MOONS];
	uint8_t proto, vmaj, vmin, key[ZT_AGREED_KEY_LEN], wtype;
	unsigned int suite, nmoons = 0, hops = packet_hops(pkt);
	struct armor_key *k = NULL;
	struct inetaddr dest;
	struct identity id;
	struct rbuf r, t;
	uint16_t vrev, cnt, i;
	size_t off;

	memset(&id, 0, sizeof(id));
	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	rbuf_get_u8(&r, &proto);
	rbuf_get_u8(&r, &vmaj);
	rbuf_get_u8(&r, &vmin);
	rbuf_get_u16(&r, &vrev);
	rbuf_get_u64(&r, &ts);
	if (rbuf_failed(&r) || identity_deserialize(&id, &r) == -1 ||
	    proto < 4 || id.address != packet_source(pkt)) {
		n->st.rx_hello_rejected++;
		log_drop(&vl1_drops, "bad HELLO from %s",
		    inetaddr_fmt(from, (char[INETADDR_STRLEN]){ 0 }));
		goto done;
	}
	if (p != NULL && !identity_equal_public(&p->id, &id)) {
		/* someone else claims this address: prove it, then say so */
		if (!vl1_idv_allowed(n, from, now) ||
		    n->io.agree(n->io.arg, &id, key) == -1 ||
		    (k = armor_key_new(key)) == NULL ||
		    armor_dearmor(pkt, len, k) == -1)
			n->st.rx_hello_rejected++;
		else
			vl1_send_collision(n, &id, k, sock, from, pkt, now);
		goto done;
	}
	if (p == NULL) {
		if (!vl1_idv_allowed(n, from, now)) {
			n->st.rx_ratelimited++;
			goto done;
		}
		if (n->io.agree(n->io.arg, &id, key) == -1 ||
		    (k = armor_key_new(key)) == NULL)
			goto done;
		if (armor_dearmor(pkt, len, k) == -1 ||
		    !identity_locally_valid(&id)) {
			n->st.rx_hello_rejected++;
			log_drop(&vl1_drops, "unverifiable HELLO from %s",
			    inetaddr_fmt(from, (char[INETADDR_STRLEN]){ 0 }));
			goto done;
		}
		/* the key the HELLO was just verified with: no second
		 * agreement from the key holder */
		if ((p = vl1_learn_peer_key(n, &id, key, now)) == NULL)
			goto done;
	} else if (!authed && armor_dearmor(pkt, len, p->armor) == -1) {
		n->st.rx_bad_mac++;
		goto done;
	}
	if (vl1_peer_seen(p, be64_get(pkt))) {
		n->st.rx_duplicate++;
		goto done;
	}
	/* counted here, once its MAC held: a HELLO may come in plaintext */
	vl1_tally(n, VL1_RX, pkt, len);
	/* optional fields: present only if bytes remain */
	if (rbuf_remaining(&r) > 0 && inetaddr_deserialize(&dest, &r) == -1)
		goto malformed;
	if (rbuf_remaining(&r) >= 16) {
		rbuf_get_u64(&r, &planet_id);
		rbuf_get_u64(&r, &planet_ts);
	}
	if (rbuf_remaining(&r) > 0) {
		off = len - rbuf_remaining(&r);
		armor_crypt_field(pkt, len, p->armor, off, len - off);
		rbuf_get_sub(&r, rbuf_remaining(&r), ZT_MAX_PACKET_LEN, &t);
		if (rbuf_get_u16(&t, &cnt) == 0)
			for (i = 0; i < cnt; i++) {
				if (rbuf_get_u8(&t, &wtype) == -1 ||
				    rbuf_get_u64(&t, &wid) == -1 ||
				    rbuf_get_u64(&t, &wts) == -1)
					break;
				if (wtype == WORLD_TYPE_MOON &&
				    nmoons < VL1_MAX_MOONS) {
					moon_ids[nmoons] = wid;
					moon_ts[nmoons++] = wts;
				}
			}
	}
	/* the reply uses what we knew before this HELLO (§4.2 step 6) */
	suite = vl1_peer_suite(p);
	vl1_ok_hello(n, p, sock, from, pkt, ts, proto, planet_id, planet_ts,
	    moon_ids, moon_ts, nmoons, suite, now);
	p->proto = proto;
	p->vmajor = vmaj;
	p->vminor = vmin;
	p->vrev = vrev;
	vl1_received(n, p, sock, from, hops, false, now);
	vl1_unpark(n, p->id.address, now);
	goto done;
malformed:
	n->st.rx_malformed++;
done:
	armor_key_free(k);
	OPENSSL_cleanse(key, sizeof(key));
	identity_clear(&id);
}

static bool
vl1_is_seed(const struct vl1_node *n, uint64_t a)
{
	unsigned int i;

	for (i = 0; i < n->nwanted; i++)
		if (n->wanted[i].seed == a)
			return true;
	return false;
}

static void
vl1_ok_in(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, uint8_t *pkt, size_t len, int64_t now)
{
	unsigned int hops = packet_hops(pkt);
	const uint8_t *inre;
	struct vl1_path *x;
	struct identity id;
	struct inetaddr ext;
	struct world w;
	struct rbuf r, ws;
	uint8_t verb, proto;
	uint64_t ts;

	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	if (rbuf_get_u8(&r, &verb) == -1 || rbuf_get_ptr(&r, 8, &inre) == -1) {
		n->st.rx_malformed++;
		return;
	}
	if (!vl1_expect_check(n, inre)) {
		n->st.rx_unexpected_ok++;
		return;
	}
	vl1_received(n, p, sock, from, hops, true, now);
	switch (verb) {
	case VL1_VERB_HELLO:
		if (rbuf_get_u64(&r, &ts) == -1 ||
		    rbuf_get_u8(&r, &proto) == -1 || proto < 4 ||
		    rbuf_get_u8(&r, &p->vmajor) == -1 ||
		    rbuf_get_u8(&r, &p->vminor) == -1 ||
		    rbuf_get_u16(&r, &p->vrev) == -1)
			break;
		p->proto = proto;
		if (hops == 0 && (x = vl1_peer_path(p, sock, from)) != NULL &&
		    now >= (int64_t)ts)
			vl1_path_latency_sample(x, (unsigned int)(now -
			    (int64_t)ts));
		if (rbuf_remaining(&r) == 0 ||
		    inetaddr_deserialize(&ext, &r) == -1 ||
		    rbuf_get_sub16(&r, WORLD_MAX_SERIALIZED * 9, &ws) == -1)
			break;
		/* world updates come from upstreams and seeds only (§6.3) */
		if (!vl1_node_is_upstream(n, p->id.address) &&
		    !vl1_is_seed(n, p->id.address))
			break;
		while (rbuf_remaining(&ws) > 0 &&
		    world_deserialize(&w, &ws) == 0)
			vl1_offer_world(n, &w, now);
		break;
	case VL1_VERB_WHOIS:
		/* only upstreams are believed, and only the first identity */
		if (!vl1_node_is_upstream(n, p->id.address))
			break;
		memset(&id, 0, sizeof(id));
		if (identity_deserialize(&id, &r) == 0 &&
		    vl1_peers_get(&n->peers, id.address) == NULL &&
		    identity_locally_valid(&id) &&
		    vl1_learn_peer(n, &id, now) != NULL)
			vl1_unpark(n, id.address, now);
		identity_clear(&id);
		break;
	case VL1_VERB_ECHO:
		break;
	default:
		n->io.vl2(n->io.arg, p->id.address, pkt, len, now);
		break;
	}
}

static void
vl1_error_in(struct vl1_node *n, struct vl1_peer *p, uint8_t *pkt,
    size_t len, int64_t now)
{
	struct rbuf r;
	const uint8_t *inre;
	uint8_t verb, code;

	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	if (rbuf_get_u8(&r, &verb) == -1 || rbuf_get_ptr(&r, 8, &inre) == -1 ||
	    rbuf_get_u8(&r, &code) == -1) {
		n->st.rx_malformed++;
		return;
	}
	if (code == VL1_ERR_IDENTITY_COLLISION) {
		if (verb == VL1_VERB_HELLO &&
		    vl1_node_is_upstream(n, p->id.address)) {
			log_warnx("upstream %010llx reports that our address "
			    "is taken by another identity",
			    (unsigned long long)p->id.address);
			if (n->io.collision != NULL)
				n->io.collision(n->io.arg);
		}
		return;
	}
	if (code >= VL1_ERR_OBJ_NOT_FOUND)
		n->io.vl2(n->io.arg, p->id.address, pkt, len, now);
}

static void
vl1_whois_in(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, uint8_t *pkt, size_t len, int64_t now)
{
	uint8_t out[VL1_BUF_LEN];
	struct vl1_peer *q;
	struct wbuf w;
	struct rbuf r;
	size_t olen;
	uint64_t a;
	bool any = false;

	if (!n->am_upstream) {
		if (now - p->last_whois_in < VL1_WHOIS_INTERVAL)
			return;
		p->last_whois_in = now;
	}
	olen = vl1_reply_header(n, out, p->id.address, VL1_VERB_OK,
	    VL1_VERB_WHOIS, pkt);
	wbuf_init(&w, out + olen, sizeof(out) - olen);
	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	/* a trailing partial address is ignored */
	while (rbuf_remaining(&r) >= 5 && rbuf_get_u40(&r, &a) == 0) {
		if (a == n->self.address) {
			any |= identity_serialize(&n->self, false, &w) == 0;
			continue;
		}
		if ((q = vl1_peers_get(&n->peers, a)) != NULL)
			any |= identity_serialize(&q->id, false, &w) == 0;
		else if (!n->am_upstream)
			vl1_whois(n, a, now);
	}
	if (!any || wbuf_failed(&w))
		return;
	vl1_send_direct(n, p, sock, from, out, olen + wbuf_len(&w),
	    vl1_peer_suite(p), false, now);
}

static void
vl1_rendezvous_in(struct vl1_node *n, struct vl1_peer *p, int sock,
    uint8_t *pkt, size_t len, int64_t now)
{
	static const uint8_t junk[4] = { 0x5a, 0x54, 0x30, 0x31 };
	const uint8_t *ip;
	struct vl1_peer *with;
	struct inetaddr ep;
	struct rbuf r;
	uint8_t flags, iplen;
	uint16_t port;
	uint64_t a;

	if (!vl1_node_is_upstream(n, p->id.address))
		return;
	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	if (rbuf_get_u8(&r, &flags) == -1 || rbuf_get_u40(&r, &a) == -1 ||
	    rbuf_get_u16(&r, &port) == -1 || rbuf_get_u8(&r, &iplen) == -1 ||
	    (iplen != 4 && iplen != 16) || rbuf_get_ptr(&r, iplen, &ip) == -1 ||
	    port == 0) {
		n->st.rx_malformed++;
		return;
	}
	if ((with = vl1_peers_get(&n->peers, a)) == NULL)
		return;
	if (iplen == 4)
		inetaddr_set_v4(&ep, ip, port);
	else
		inetaddr_set_v6(&ep, ip, port);
	if (!vl1_path_allowed(n, with, &ep))
		return;
	/* open our own NAT mapping first, then probe (§4.7) */
	n->io.send(n->io.arg, sock, &ep, junk, sizeof(junk), 2);
	vl1_attempt_contact(n, with, sock, &ep, now);
}

static void
vl1_echo_in(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, uint8_t *pkt, size_t len, int64_t now)
{
	uint8_t out[VL1_BUF_LEN];
	struct vl1_path *x = vl1_peer_path(p, sock, from);
	int64_t *last = x != NULL ? &x->last_echo_in : &p->last_echo_in;
	size_t olen;

	if (now - *last < VL1_ECHO_INTERVAL) {
		n->st.rx_ratelimited++;
		return;
	}
	*last = now;
	olen = vl1_reply_header(n, out, p->id.address, VL1_VERB_OK,
	    VL1_VERB_ECHO, pkt);
	if (len - ZT_PKT_IDX_PAYLOAD > sizeof(out) - olen)
		return;
	memcpy(out + olen, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	olen += len - ZT_PKT_IDX_PAYLOAD;
	vl1_send_direct(n, p, sock, from, out, olen, vl1_peer_suite(p), false,
	    now);
}

static void
vl1_push_in(struct vl1_node *n, struct vl1_peer *p, int sock, uint8_t *pkt,
    size_t len, int64_t now)
{
	unsigned int per[8][2];
	struct inetaddr a;
	const uint8_t *ip;
	struct rbuf r;
	uint16_t cnt, elen, i;
	uint8_t flags, type, alen;
	unsigned int sc;

	if (now - p->last_push_in <= VL1_PUSH_CUTOFF)
		p->push_count++;
	else
		p->push_count = 0;
	p->last_push_in = now;
	if (p->push_count >= VL1_PUSH_LIMIT) {
		n->st.rx_ratelimited++;
		return;
	}
	memset(per, 0, sizeof(per));
	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	if (rbuf_get_u16(&r, &cnt) == -1)
		return;
	for (i = 0; i < cnt; i++) {
		if (rbuf_get_u8(&r, &flags) == -1 ||
		    rbuf_get_u16(&r, &elen) == -1 || rbuf_skip(&r, elen) == -1 ||
		    rbuf_get_u8(&r, &type) == -1 || rbuf_get_u8(&r, &alen) == -1 ||
		    rbuf_get_ptr(&r, alen, &ip) == -1) {
			n->st.rx_malformed++;
			return;
		}
		if (flags & 0x01)	/* "forget this path" */
			continue;
		if (type == 4 && alen == 6)
			inetaddr_set_v4(&a, ip, be16_get(ip + 4));
		else if (type == 6 && alen == 18)
			inetaddr_set_v6(&a, ip, be16_get(ip + 16));
		else
			continue;
		if (vl1_peer_has_live_ip(p, sock, &a, now) ||
		    !vl1_path_allowed(n, p, &a))
			continue;
		sc = inetaddr_scope(&a) & 7;
		if (per[sc][type == 6]++ >= 8)
			continue;
		vl1_attempt_contact(n, p, sock, &a, now);
	}
}

static uint64_t
vl1_mac48(const uint8_t *m)
{
	return (uint64_t)be16_get(m) << 32 | be32_get(m + 2);
}

/* §3.3: a root records every subscription it is told about */
static void
vl1_like_in(struct vl1_node *n, struct vl1_peer *p, const uint8_t *pkt,
    size_t len, int64_t now)
{
	const uint8_t *mac;
	uint64_t nwid;
	uint32_t adi;
	struct rbuf r;

	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	/* a trailing partial record is ignored, as 1.14.1 does */
	while (rbuf_remaining(&r) >= VL1_MC_LIKE_LEN) {
		rbuf_get_u64(&r, &nwid);
		rbuf_get_ptr(&r, 6, &mac);
		rbuf_get_u32(&r, &adi);
		if (rbuf_failed(&r))
			break;
		if (vl1_mcast_like(&n->mcast, nwid, vl1_mac48(mac), adi,
		    p->id.address, now) == 0)
			n->st.mc_likes++;
	}
}

/* §3.8: a root answers from its table, when it knows anyone */
static void
vl1_gather_in(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, const uint8_t *pkt, size_t len,
    int64_t now)
{
	uint8_t out[VL1_BUF_LEN], flags;
	const uint8_t *mac;
	uint64_t nwid;
	uint32_t adi, limit, rnd;
	struct wbuf w;
	struct rbuf r;
	size_t olen;

	rbuf_init(&r, pkt + ZT_PKT_IDX_PAYLOAD, len - ZT_PKT_IDX_PAYLOAD);
	rbuf_get_u64(&r, &nwid);
	rbuf_get_u8(&r, &flags);
	rbuf_get_ptr(&r, 6, &mac);
	rbuf_get_u32(&r, &adi);
	rbuf_get_u32(&r, &limit);
	if (rbuf_failed(&r)) {
		n->st.rx_malformed++;
		return;
	}
	if (limit == 0)
		return;
	olen = vl1_reply_header(n, out, p->id.address, VL1_VERB_OK,
	    VL1_VERB_MULTICAST_GATHER, pkt);
	/* the answer goes back unfragmented: as many members as one fits */
	wbuf_init(&w, out + olen, vl1_node_path_mtu(n, from) - olen);
	wbuf_put_u64(&w, nwid);
	wbuf_put_bytes(&w, mac, 6);
	wbuf_put_u32(&w, adi);
	n->io.random(n->io.arg, &rnd, sizeof(rnd));
	if (vl1_mcast_gather(&n->mcast, nwid, vl1_mac48(mac), adi,
	    p->id.address, limit, rnd, &w) == 0 ||
	    wbuf_failed(&w))
		return;
	olen += wbuf_len(&w);
	packet_compress(out, &olen);
	if (vl1_send_direct(n, p, sock, from, out, olen, vl1_peer_suite(p),
	    false, now) == 0)
		n->st.mc_gathers_answered++;
}

static void
vl1_dispatch(struct vl1_node *n, struct vl1_peer *p, int sock,
    const struct inetaddr *from, uint8_t *pkt, size_t len, int64_t now)
{
	unsigned int verb = pkt[ZT_PKT_IDX_VERB] & ZT_PKT_VERB_MASK;
	unsigned int hops = packet_hops(pkt);
	uint64_t type;

	if (verb != VL1_VERB_HELLO)
		vl1_tally(n, VL1_RX, pkt, len);
	switch (verb) {
	case VL1_VERB_HELLO:
		vl1_hello_in(n, p, sock, from, pkt, len, true, now);
		return;
	case VL1_VERB_OK:
		vl1_ok_in(n, p, sock, from, pkt, len, now);
		return;
	case VL1_VERB_ERROR:
		vl1_error_in(n, p, pkt, len, now);
		break;
	case VL1_VERB_WHOIS:
		vl1_whois_in(n, p, sock, from, pkt, len, now);
		break;
	case VL1_VERB_RENDEZVOUS:
		vl1_rendezvous_in(n, p, sock, pkt, len, now);
		break;
	case VL1_VERB_ECHO:
		vl1_echo_in(n, p, sock, from, pkt, len, now);
		break;
	case VL1_VERB_PUSH_DIRECT_PATHS:
		vl1_push_in(n, p, sock, pkt, len, now);
		break;
	case VL1_VERB_USER_MESSAGE:
		if (len < ZT_PKT_IDX_PAYLOAD + 8 || n->io.user_message == NULL)
			break;
		type = be64_get(pkt + ZT_PKT_IDX_PAYLOAD);
		n->io.user_message(n->io.arg, p->id.address, type,
		    pkt + ZT_PKT_IDX_PAYLOAD + 8,
		    len - ZT_PKT_IDX_PAYLOAD - 8);
		break;
	case VL1_VERB_FRAME:
	case VL1_VERB_EXT_FRAME:
	case VL1_VERB_NETWORK_CONFIG_REQUEST:
	case VL1_VERB_NETWORK_CONFIG:
	case VL1_VERB_MULTICAST_FRAME:
		/* these make a peer "active" for the ping walk (§5.6) */
		p->last_vl2_frame = now;
		n->io.vl2(n->io.arg, p->id.address, pkt, len, now);
		break;
	case VL1_VERB_MULTICAST_LIKE:
		if (n->am_upstream)
			vl1_like_in(n, p, pkt, len, now);
		n->io.vl2(n->io.arg, p->id.address, pkt, len, now);
		break;
	case VL1_VERB_MULTICAST_GATHER:
		/* a root answers itself: it has no VL2 membership to ask */
		if (n->am_upstream)
			vl1_gather_in(n, p, sock, from, pkt, len, now);
		else
			n->io.vl2(n->io.arg, p->id.address, pkt, len, now);
		break;
	case VL1_VERB_NETWORK_CREDENTIALS:
		n->io.vl2(n->io.arg, p->id.address, pkt, len, now);
		break;
	default:
		/* NOP, multipath, traces, unknown verbs: activity only */
		break;
	}
	vl1_received(n, p, sock, from, hops, false, now);
}

void
vl1_process(struct vl1_node *n, int sock, const struct inetaddr *from,
    uint8_t *data, size_t len, int64_t now)
{
	uint8_t pkt[VL1_BUF_LEN];
	uint64_t src;
	struct vl1_peer *p;
	unsigned int cipher;

	if (len < ZT_PACKET_HEADER_LEN || len > sizeof(pkt)) {
		n->st.rx_malformed++;
		return;
	}
	/* work on a copy with room for decompression */
	memcpy(pkt, data, len);
	n->st.rx_packets++;
	src = packet_source(pkt);
	if (src == n->self.address || zt_address_reserved(src)) {
		n->st.rx_malformed++;
		return;
	}
	cipher = vl1_cipher_of(pkt);
	p = vl1_peers_get(&n->peers, src);
	if (cipher == ARMOR_SUITE_POLY1305 &&
	    (pkt[ZT_PKT_IDX_VERB] & ZT_PKT_VERB_MASK) == VL1_VERB_HELLO) {
		vl1_hello_in(n, p, sock, from, pkt, len, false, now);
		return;
	}
	/* §3.4: cipher 2 is believed only from its configured network */
	if (cipher == ARMOR_SUITE_TRUSTED &&
	    (be64_get(pkt + ZT_PKT_IDX_MAC) == 0 ||
	    vl1_node_trusted_id(n, from) != be64_get(pkt + ZT_PKT_IDX_MAC))) {
		n->st.rx_bad_cipher++;
		return;
	}
	if (cipher != ARMOR_SUITE_POLY1305 &&
	    cipher != ARMOR_SUITE_SALSA2012_POLY1305 &&
	    cipher != ARMOR_SUITE_AES_GMAC_SIV &&
	    cipher != ARMOR_SUITE_TRUSTED) {
		/* 4-7 are undefined */
		n->st.rx_bad_cipher++;
		return;
	}
	if (p == NULL) {
		vl1_park(n, true, src, sock, from, 0, pkt, len, now);
		vl1_whois(n, src, now);
		return;
	}
	if (cipher != ARMOR_SUITE_TRUSTED &&
	    armor_dearmor(pkt, len, p->armor) == -1) {
		n->st.rx_bad_mac++;
		return;
	}
	if (vl1_peer_seen(p, be64_get(pkt))) {
		n->st.rx_duplicate++;
		return;
	}
	if (packet_uncompress(pkt, &len) == -1) {
		n->st.rx_bad_compress++;
		log_drop(&vl1_drops, "bad LZ4 payload from %010llx",
		    (unsigned long long)src);
		return;
	}
	vl1_dispatch(n, p, sock, from, pkt, len, now);
}

/* reassembly is charged to the physical source */
static size_t
vl1_src_key(const struct inetaddr *a, int sock, uint8_t key[REASM_SRC_MAX])
{
	key[0] = a->family;
	memcpy(key + 1, a->ip, 16);
	be16_put(key + 17, a->port);
	be32_put(key + 19, (uint32_t)sock);
	return 23;
}

void
vl1_node_receive(struct vl1_node *n, int sock, const struct inetaddr *from,
    uint8_t *d, size_t len, int64_t now)
{
	uint8_t out[VL1_BUF_LEN], key[REASM_SRC_MAX];
	size_t outlen, klen;
	int rc;

	n->st.rx_datagrams++;
	n->st.rx_bytes += len;
	switch (packet_classify(d, len)) {
	case PACKET_KIND_FRAGMENT:
		n->st.rx_fragments++;
		if (be40_get(d + ZT_PKT_IDX_DEST) != n->self.address) {
			vl1_relay(n, sock, from, d, len, true, now);
			return;
		}
		klen = vl1_src_key(from, sock, key);
		rc = reasm_fragment(n->reasm, key, klen, d, len, now, out,
		    &outlen);
		if (rc == 1)
			vl1_process(n, sock, from, out, outlen, now);
		return;
	case PACKET_KIND_PACKET:
		if (packet_dest(d) != n->self.address) {
			vl1_relay(n, sock, from, d, len, false, now);
			return;
		}
		if (!packet_fragmented(d)) {
			vl1_process(n, sock, from, d, len, now);
			return;
		}
		klen = vl1_src_key(from, sock, key);
		rc = reasm_head(n->reasm, key, klen, d, len, now, out, &outlen);
		if (rc == 1)
			vl1_process(n, sock, from, out, outlen, now);
		return;
	default:
		/* beacons, NAT keepalives, hole-punching junk */
		n->st.rx_junk++;
		return;
	}
}
