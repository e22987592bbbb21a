/*
 * vl2d/membership: NETWORK_CREDENTIALS in and out against
 * vectors/credentials.json (valid, tampered and wrongly signed) and
 * packets.json node_flow (what 1.14.1 pushed), the gate with agreement
 * passing and failing, revocations cutting a member off at once, the
 * bounds on peers and items, and the push and receive rate limits.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dictionary.h"
#include "hex.h"
#include "identity.h"
#include "membership.h"
#include "netconf.h"
#include "netconf_chunk.h"
#include "fixtures.h"
#include "test.h"

#define T0	1700000000000LL
#define CTMD	7200000

static json_t *creds;
static struct identity ctrl_pub, ctrl_sec;
static struct identity alice, bob, carol;
static uint64_t nwid;

/* what the stores hand back to send */
static struct sent {
	uint64_t	 nwid;
	uint64_t	 to;
	uint8_t		 p[MSHIP_PAYLOAD_MAX];
	size_t		 len;
} sent[64];
static size_t nsent;

static void
on_send(void *arg, uint64_t nw, uint64_t to, const uint8_t *p, size_t len)
{
	(void)arg;
	REQUIRE(nsent < sizeof(sent) / sizeof(sent[0]));
	REQUIRE(len <= MSHIP_PAYLOAD_MAX);
	sent[nsent].nwid = nw;
	sent[nsent].to = to;
	memcpy(sent[nsent].p, p, len);
	sent[nsent].len = len;
	nsent++;
}

static uint64_t revoked_target;
static unsigned int nrevoked;

static void
on_revoked(void *arg, uint64_t nw, uint64_t target)
{
	(void)arg;
	CHECK(nw == nwid);
	revoked_target = target;
	nrevoked++;
}

/* one joined network in these tests */
static struct mship_store *joined;

static struct mship_store *
find(void *arg, uint64_t nw)
{
	(void)arg;
	return joined != NULL && mship_store_nwid(joined) == nw ? joined :
	    NULL;
}

static const struct mship_rx_ops ops = { find, on_send, on_revoked, NULL };

/* peer identities the "WHOIS cache" knows */
static const struct identity *known[8];
static size_t nknown;

static const struct identity *
lookup(void *arg, uint64_t addr)
{
	size_t i;

	(void)arg;
	for (i = 0; i < nknown; i++)
		if (known[i]->address == addr)
			return known[i];
	return NULL;
}

static const struct cred_lookup whois_cache = { lookup, NULL };

static json_t *
named(const char *list, const char *name)
{
	json_t *e = test_named(json_object_get(creds, list), name);

	if (e == NULL)
		test_fail(__FILE__, __LINE__, name, "not in %s", list);
	return e;
}

/* the named credential's wire bytes, appended to w */
static void
put_named(struct wbuf *w, const char *list, const char *name)
{
	uint8_t *b;
	size_t n;

	b = test_jhex(named(list, name), "serialized", &n);
	wbuf_put_bytes(w, b, n);
	free(b);
}

/*
 * A NETWORK_CREDENTIALS payload from credential names: COMs, then the
 * four counted sections (NULL-terminated lists).
 */
static size_t
payload(uint8_t *out, size_t cap, const char **com, const char **caps,
    const char **tags, const char **revs, const char **coos)
{
	const char **sec[4] = { caps, tags, revs, coos };
	static const char *lists[4] = { "capabilities", "tags", "revocations",
	    "certificates_of_ownership" };
	struct wbuf w;
	size_t i, n;

	wbuf_init(&w, out, cap);
	for (; com != NULL && *com != NULL; com++)
		put_named(&w, "certificates_of_membership", *com);
	wbuf_put_u8(&w, 0);
	for (i = 0; i < 4; i++) {
		for (n = 0; sec[i] != NULL && sec[i][n] != NULL; n++)
			;
		wbuf_put_u16(&w, (uint16_t)n);
		for (n = 0; sec[i] != NULL && sec[i][n] != NULL; n++)
			put_named(&w, lists[i], sec[i][n]);
	}
	REQUIRE(!wbuf_failed(&w));
	return wbuf_len(&w);
}

static void
load_com(struct com *c, const char *name)
{
	uint8_t *b;
	size_t n;
	struct rbuf r;

	b = test_jhex(named("certificates_of_membership", name),
	    "serialized", &n);
	rbuf_init(&r, b, n);
	REQUIRE(com_deserialize(c, &r) == 0);
	free(b);
}

static void
load_coo(struct coo *o, const char *name)
{
	uint8_t *b;
	size_t n;
	struct rbuf r;

	b = test_jhex(named("certificates_of_ownership", name),
	    "serialized", &n);
	rbuf_init(&r, b, n);
	REQUIRE(coo_deserialize(o, &r) == 0);
	free(b);
}

/* bob's private-network config, with his COM from the vectors */
static struct netconf *
bob_config(void)
{
	struct netconf *nc = netconf_new();

	REQUIRE(nc != NULL);
	nc->nwid = nwid;
	nc->issued_to = bob.address;
	nc->timestamp = T0 + 3600000;
	nc->credential_time_max_delta = CTMD;
	nc->type = NETCONF_TYPE_PRIVATE;
	load_com(&nc->com, "com_bob");
	return nc;
}

static void
load_identities(void)
{
	json_t *c = json_object_get(creds, "controller");

	REQUIRE(identity_from_string(&ctrl_pub, test_jstr(c, "public")) == 0);
	REQUIRE(identity_from_string(&ctrl_sec, test_jstr(c, "secret")) == 0);
	REQUIRE(identity_from_string(&alice, test_jstr(json_object_get(
	    named("certificates_of_membership", "com_alice"), "holder"),
	    "public")) == 0);
	REQUIRE(identity_from_string(&bob, test_jstr(json_object_get(
	    named("certificates_of_membership", "com_bob"), "holder"),
	    "public")) == 0);
	REQUIRE(identity_from_string(&carol, test_jstr(json_object_get(
	    named("certificates_of_membership", "com_carol_old"), "holder"),
	    "public")) == 0);
	nwid = strtoull(test_jstr(creds, "network_id"), NULL, 16);
}

static struct mship_store *
bob_store(struct netconf *nc, const struct mship_limits *lim)
{
	struct mship_store *st = mship_store_new(nwid, bob.address, lim);

	REQUIRE(st != NULL);
	mship_set_config(st, nc);
	mship_set_controller(st, &ctrl_pub);
	mship_set_lookup(st, &whois_cache);
	return st;
}

/* valid credentials accepted, the gate and the rules view follow */
static void
test_accept(void)
{
	static const char *com[] = { "com_alice", NULL };
	static const char *caps[] = { "cap_ssh_alice", NULL };
	static const char *tags[] = { "tag_100_alice", NULL };
	static const char *coos[] = { "coo_alice", NULL };
	static const uint8_t v4_own[4] = { 10, 147, 17, 10 };
	static const uint8_t v4_not[4] = { 10, 147, 17, 11 };
	uint8_t buf[4096], mac[6];
	struct netconf *nc = bob_config();
	struct mship_rx_info info;
	struct mship_stats s;
	struct rules_tag rt[4];
	struct rules_cap rc[4];
	struct mship_owner ow = { NULL, 0 };
	size_t len;

	joined = bob_store(nc, NULL);
	nknown = 0;
	len = payload(buf, sizeof(buf), com, caps, tags, NULL, coos);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_DENY);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len, T0,
	    &info) == MSHIP_RX_OK);
	CHECKF(info.accepted == 4 && info.rejected == 0, "%u %u (%s)",
	    info.accepted, info.rejected, info.reason ? info.reason : "");
	CHECK(mship_peer_com(joined, alice.address) != NULL);

	/* our COM binds identities: the gate waits for alice's */
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_NEED_IDENTITY);
	known[nknown++] = &alice;
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_ALLOW);
	CHECK(mship_recently_associated(joined, alice.address, T0 + 1000));
	CHECK(!mship_recently_associated(joined, alice.address,
	    T0 + 600000));

	/* tags, capabilities and ownership for the rules engine */
	CHECK(mship_remote_tags(joined, alice.address, rt, 4) == 1);
	CHECK(rt[0].id == 100 && rt[0].value == 7);
	CHECK(mship_remote_caps(joined, alice.address, rc, 4) == 1);
	CHECK(rc[0].id == 1000 && rc[0].n == 3);
	ow.st = joined;
	ow.peer = alice.address;
	CHECK(mship_owns(&ow, true, RULES_THING_IPV4, v4_own));
	CHECK(!mship_owns(&ow, true, RULES_THING_IPV4, v4_not));
	CHECK(hex_decode("ee45321a3ac2", 12, mac, sizeof(mac)) == 0);
	CHECK(mship_owns(&ow, true, RULES_THING_MAC, mac));
	/* outbound asks about our own COOs: bob has none */
	CHECK(!mship_owns(&ow, false, RULES_THING_IPV4, v4_own));
	ow.peer = carol.address;
	CHECK(!mship_owns(&ow, true, RULES_THING_IPV4, v4_own));

	/* far from our config's time, a credential does not count */
	nc->timestamp = T0 + CTMD + 1;
	mship_set_config(joined, nc);
	CHECK(mship_remote_tags(joined, alice.address, rt, 4) == 0);
	CHECK(mship_remote_caps(joined, alice.address, rc, 4) == 0);
	ow.peer = alice.address;
	CHECK(!mship_owns(&ow, true, RULES_THING_IPV4, v4_own));
	nc->timestamp = T0 + 3600000;
	mship_set_config(joined, nc);

	/* the same again a second later: redundant, not new */
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 1000, &info) == MSHIP_RX_OK);
	CHECK(info.accepted == 4);
	mship_stats(joined, &s);
	CHECK(s.c.accepted_new == 4 && s.c.accepted_redundant == 4);
	CHECK(s.peers == 1 && s.bytes > 0);

	/* public network: anybody */
	CHECK(mship_peer_may_send(joined, carol.address, T0) ==
	    MSHIP_GATE_DENY);
	nc->type = NETCONF_TYPE_PUBLIC;
	mship_set_config(joined, nc);
	CHECK(mship_peer_may_send(joined, carol.address, T0) ==
	    MSHIP_GATE_ALLOW);
	mship_set_config(joined, NULL);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_DENY);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* a COM for id at ts, signed with the vectors' controller key */
static size_t
make_com(uint8_t *out, size_t cap, const struct identity *id, int64_t ts)
{
	struct com c;
	struct wbuf w;

	REQUIRE(com_issue(&c, nwid, ts, CTMD, id) == 0);
	REQUIRE(com_sign(&c, &ctrl_sec) == 0);
	wbuf_init(&w, out, cap);
	com_serialize(&c, &w);
	wbuf_put_u8(&w, 0);
	REQUIRE(!wbuf_failed(&w));
	return wbuf_len(&w);
}

/* tampered, wrongly signed, unsigned, old: rejected and counted */
static void
test_reject(void)
{
	static const char *bad_com[] = { "com_alice_tampered_timestamp",
	    "com_erin_unsigned", "com_dave_other_network", NULL };
	static const char *bad_caps[] = { "cap_ssh_alice_tampered_timestamp",
	    "cap_signed_by_non_controller", NULL };
	static const char *bad_tags[] = { "tag_100_alice_tampered_value",
	    NULL };
	static const char *bad_revs[] = {
	    "revoke_carol_com_tampered_threshold", NULL };
	static const char *bad_coos[] = { "coo_alice_tampered_ip", NULL };
	static const char *bob_com[] = { "com_bob", NULL };
	static const char *old_com[] = { "com_alice", NULL };
	uint8_t buf[4096];
	struct netconf *nc = bob_config();
	struct mship_rx_info info;
	struct mship_stats s;
	size_t len;

	joined = bob_store(nc, NULL);
	len = payload(buf, sizeof(buf), bad_com, bad_caps, bad_tags,
	    bad_revs, bad_coos);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len, T0,
	    &info) == MSHIP_RX_OK);
	/* dave's COM names a network we have not joined */
	CHECKF(info.rejected == 7 && info.ignored == 1 && info.accepted == 0,
	    "%u %u %u", info.rejected, info.ignored, info.accepted);
	mship_stats(joined, &s);
	CHECK(s.c.rejected_signature == 5);
	CHECK(s.c.rejected_signer == 2);
	CHECK(s.c.accepted_new == 0);
	CHECK(mship_peer_com(joined, alice.address) == NULL);
	CHECK(!mship_has_peer(joined, carol.address));

	/* a newer COM held: the older one is refused */
	len = make_com(buf, sizeof(buf), &alice, T0 + 5000);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 1000, &info) == MSHIP_RX_OK && info.accepted == 1);
	len = payload(buf, sizeof(buf), old_com, NULL, NULL, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 2000, &info) == MSHIP_RX_OK && info.rejected == 1);
	CHECK(com_timestamp(mship_peer_com(joined, alice.address)) ==
	    T0 + 5000);
	mship_stats(joined, &s);
	CHECK(s.c.rejected_old == 1);

	/* inline in an EXT_FRAME: no rate gate, same rules */
	{
		struct com c;

		load_com(&c, "com_alice");
		CHECK(mship_offer_com(joined, alice.address, &c, T0 + 2000,
		    &info) == MSHIP_RX_OK && info.rejected == 1);
		load_com(&c, "com_dave_other_network");
		CHECK(mship_offer_com(joined, alice.address, &c, T0 + 2000,
		    &info) == MSHIP_RX_OK && info.rejected == 1);
		load_com(&c, "com_bob");
		CHECK(mship_offer_com(joined, alice.address, &c, T0 + 2000,
		    &info) == MSHIP_RX_OK && info.accepted == 1);
		mship_set_controller(joined, NULL);
		load_com(&c, "com_carol_old");
		CHECK(mship_offer_com(joined, alice.address, &c, T0 + 2000,
		    &info) == MSHIP_RX_DEFERRED &&
		    info.whois == ctrl_pub.address);
		mship_set_controller(joined, &ctrl_pub);
		CHECK(mship_offer_com(joined, alice.address, &c, T0 + 2000,
		    &info) == MSHIP_RX_OK && info.accepted == 1);
		mship_stats(joined, &s);
		CHECK(s.c.rejected_old == 2 && s.c.rejected_network == 1);
	}

	/* signed, but for a reserved address: nobody's */
	{
		struct identity none = carol;

		none.address = 0xff00000001ULL;
		len = make_com(buf, sizeof(buf), &none, T0);
		CHECK(mship_recv_credentials(&ops, carol.address, buf, len,
		    T0, &info) == MSHIP_RX_OK && info.rejected == 1);
		mship_stats(joined, &s);
		CHECK(s.c.rejected_holder == 1);
		CHECK(!mship_has_peer(joined, none.address));
	}

	/* truncated payload: what came before stays, the rest is dropped */
	len = payload(buf, sizeof(buf), bob_com, NULL, NULL, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, bob.address, buf, 100,
	    T0 + 1000, &info) == MSHIP_RX_MALFORMED);
	CHECK(info.reason != NULL);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* agreement: passes and fails as vectors' com_agreement says */
static void
test_agreement(void)
{
	struct identity fake;
	static const char *com_carol[] = { "com_carol_old", NULL };
	static const char *com_alice[] = { "com_alice", NULL };
	uint8_t buf[1024];
	struct netconf *nc = bob_config();
	struct mship_rx_info info;
	struct mship_stats s;
	size_t len;

	joined = bob_store(nc, NULL);
	nknown = 0;
	known[nknown++] = &alice;
	known[nknown++] = &carol;
	/* carol's COM is valid but 3x the max delta older than ours */
	len = payload(buf, sizeof(buf), com_carol, NULL, NULL, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, carol.address, buf, len, T0,
	    &info) == MSHIP_RX_OK && info.accepted == 1);
	CHECK(mship_peer_may_send(joined, carol.address, T0) ==
	    MSHIP_GATE_DENY);
	/* alice's COM presented under carol's name: the hash differs */
	len = payload(buf, sizeof(buf), com_alice, NULL, NULL, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, carol.address, buf, len,
	    T0 + 1000, &info) == MSHIP_RX_OK && info.accepted == 1);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_ALLOW);
	/* alice's address with another key: her COM's hash differs */
	fake = carol;
	fake.address = alice.address;
	known[0] = &fake;
	mship_set_config(joined, nc);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_DENY);
	/* not known at all: ask for it */
	nknown = 0;
	mship_set_config(joined, nc);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_NEED_IDENTITY);
	known[0] = &alice;
	known[1] = &carol;
	nknown = 2;
	/* our own COM gone: nothing agrees */
	memset(&nc->com, 0, sizeof(nc->com));
	mship_set_config(joined, nc);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_DENY);
	mship_stats(joined, &s);
	CHECKF(s.c.gate_disagree == 3 && s.c.gate_need_identity == 1,
	    "%" PRIu64 " %" PRIu64, s.c.gate_disagree,
	    s.c.gate_need_identity);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* revocations: frames refused at once, fast propagation, thresholds */
static void
test_revocation(void)
{
	static const char *com_alice[] = { "com_alice", NULL };
	static const char *com_carol[] = { "com_carol_old", NULL };
	static const char *tags[] = { "tag_100_alice", NULL };
	static const char *rev_tag[] = { "revoke_alice_tag_100", NULL };
	static const char *rev_carol[] = { "revoke_carol_com", NULL };
	uint8_t buf[2048];
	struct netconf *nc = bob_config();
	struct mship_rx_info info;
	struct mship_stats s;
	struct rules_tag rt[2];
	struct revocation v;
	struct rbuf r;
	size_t len;

	joined = bob_store(nc, NULL);
	nknown = 0;
	known[nknown++] = &alice;
	len = payload(buf, sizeof(buf), com_alice, NULL, tags, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len, T0,
	    &info) == MSHIP_RX_OK && info.accepted == 2);
	len = payload(buf, sizeof(buf), com_carol, NULL, NULL, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, carol.address, buf, len, T0,
	    &info) == MSHIP_RX_OK && info.accepted == 1);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_ALLOW);
	CHECK(mship_remote_tags(joined, alice.address, rt, 2) == 1);

	/* revoking alice's tag 100 also cuts her COM (1.14.1, §6.5) */
	nsent = 0;
	nrevoked = 0;
	len = payload(buf, sizeof(buf), NULL, NULL, NULL, rev_tag, NULL);
	CHECK(mship_recv_credentials(&ops, ctrl_pub.address, buf, len, T0,
	    &info) == MSHIP_RX_OK && info.revoked == 1);
	CHECK(nrevoked == 1 && revoked_target == alice.address);
	CHECK(mship_peer_may_send(joined, alice.address, T0) ==
	    MSHIP_GATE_DENY);
	CHECK(mship_remote_tags(joined, alice.address, rt, 2) == 0);
	CHECK(mship_peer_com_threshold(joined, alice.address) ==
	    T0 + 2000);
	/* no fast-propagate flag: nobody hears of it from us */
	CHECK(nsent == 0);
	/*
	 * The same tag again is "redundant" (1.14.1 compares with the
	 * held one before the threshold) and still does not count.
	 */
	len = payload(buf, sizeof(buf), NULL, NULL, tags, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 5000, &info) == MSHIP_RX_OK && info.accepted == 1);
	CHECK(mship_remote_tags(joined, alice.address, rt, 2) == 0);
	/* a COM at or below the threshold is refused from now on */
	len = payload(buf, sizeof(buf), com_alice, NULL, NULL, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 10000, &info) == MSHIP_RX_OK && info.rejected == 1);
	mship_stats(joined, &s);
	CHECK(s.c.rejected_revoked == 1 && s.c.gate_revoked == 1);

	/* carol's COM, with fast propagation, from alice: relayed to
	   everyone else we hold a record of (bob is us, alice sent it) */
	nsent = 0;
	len = payload(buf, sizeof(buf), NULL, NULL, NULL, rev_carol, NULL);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 20000, &info) == MSHIP_RX_OK && info.revoked == 1);
	CHECK(revoked_target == carol.address);
	REQUIRE(nsent == 1);
	CHECK(sent[0].to == carol.address && sent[0].nwid == nwid);
	/* 00 | 0000 | 0000 | 0001 <rev> | 0000 */
	CHECK(sent[0].len == 7 + 152 + 2);
	CHECK(sent[0].p[0] == 0 && be16_get(sent[0].p + 5) == 1);
	rbuf_init(&r, sent[0].p + 7, sent[0].len - 7);
	CHECK(revocation_deserialize(&v, &r) == 0 && v.target ==
	    carol.address);
	/* the same again is redundant and goes no further */
	nsent = 0;
	CHECK(mship_recv_credentials(&ops, bob.address, buf, len,
	    T0 + 20000, &info) == MSHIP_RX_OK && info.revoked == 0 &&
	    info.accepted == 1);
	CHECK(nsent == 0);
	CHECK(mship_peer_may_send(joined, carol.address, T0) ==
	    MSHIP_GATE_DENY);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* unknown controller: deferred for WHOIS, then accepted on retry */
static void
test_deferred_and_rate(void)
{
	static const char *com_alice[] = { "com_alice", NULL };
	static const char *tags[] = { "tag_100_alice", NULL };
	uint8_t buf[2048];
	struct netconf *nc = bob_config();
	struct mship_rx_info info;
	struct mship_stats s;
	size_t len;

	joined = bob_store(nc, NULL);
	mship_set_controller(joined, NULL);
	len = payload(buf, sizeof(buf), com_alice, NULL, tags, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len, T0,
	    &info) == MSHIP_RX_DEFERRED);
	CHECK(info.whois == ctrl_pub.address);
	mship_set_controller(joined, &ctrl_pub);
	/* the retry right after is not rate limited */
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len, T0 + 10,
	    &info) == MSHIP_RX_OK && info.accepted == 2);
	/* but a further payload within the second is */
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 500, &info) == MSHIP_RX_RATE_LIMITED);
	CHECK(info.accepted == 0);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 1010, &info) == MSHIP_RX_OK && info.accepted == 2);
	/* per sender: bob is not held back by alice */
	CHECK(mship_recv_credentials(&ops, bob.address, buf, len,
	    T0 + 1020, &info) == MSHIP_RX_OK);
	mship_stats(joined, &s);
	CHECK(s.c.rx_rate_limited == 1 && s.c.deferred_whois == 1);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* §2.1: what the held frames are handed back as */
static unsigned int ndelivered, nasked;
static uint64_t delivered_from;
static uint8_t delivered_first;

static void
on_deliver(void *arg, uint64_t peer, const uint8_t *pkt, size_t len)
{
	(void)arg;
	CHECK(len == 40 && pkt[1] == 0xa5 && pkt[len - 1] == 0xa5);
	if (ndelivered++ == 0)
		delivered_first = pkt[0];
	delivered_from = peer;
}

static void
on_ask(void *arg, uint64_t peer, const uint8_t *pkt, size_t len)
{
	(void)arg;
	(void)pkt;
	(void)len;
	if (peer == alice.address)
		nasked++;
}

/*
 * Frames from a member whose COM we lack wait for it (§2.1): kept, not
 * handed on, asked for again every 500 ms, handed on once when the COM
 * passes, dropped and counted after 5 s or when the queue is full; a
 * revoked member's frames are never kept.
 */
static void
test_held(void)
{
	static const char *com_alice[] = { "com_alice", NULL };
	static const char *rev_tag[] = { "revoke_alice_tag_100", NULL };
	const struct mship_held_ops hops = { on_deliver, on_ask, NULL };
	uint8_t buf[2048], pkt[40];
	struct netconf *nc = bob_config();
	struct mship_rx_info info;
	struct mship_stats s;
	size_t len, i;

	joined = bob_store(nc, NULL);
	nknown = 0;
	known[nknown++] = &alice;
	memset(pkt, 0xa5, sizeof(pkt));
	ndelivered = nasked = 0;

	/* no COM of alice: four frames kept, the fifth is over her share */
	for (i = 0; i < MSHIP_HELD_PER_PEER; i++) {
		pkt[0] = (uint8_t)(i + 1);
		CHECK(mship_hold(joined, alice.address, pkt, sizeof(pkt),
		    T0 + (int64_t)i) == 1);
	}
	CHECK(mship_hold(joined, alice.address, pkt, sizeof(pkt), T0) == -1);
	CHECK(mship_held_count(joined) == MSHIP_HELD_PER_PEER);
	/* still without a COM: nothing handed on; asked again at 500 ms */
	mship_held_run(joined, T0 + 400, &hops);
	CHECK(ndelivered == 0 && nasked == 0);
	mship_held_run(joined, T0 + 503, &hops);
	CHECK(ndelivered == 0 && nasked == 4);
	mship_held_run(joined, T0 + 600, &hops);
	CHECK(nasked == 4 && mship_held_count(joined) == 4);

	/* her COM arrives: each frame goes on once, oldest first */
	len = payload(buf, sizeof(buf), com_alice, NULL, NULL, NULL, NULL);
	CHECK(mship_recv_credentials(&ops, alice.address, buf, len,
	    T0 + 700, &info) == MSHIP_RX_OK && info.accepted == 1);
	CHECK(mship_peer_may_send(joined, alice.address, T0 + 700) ==
	    MSHIP_GATE_ALLOW);
	mship_held_run(joined, T0 + 700, &hops);
	CHECK(ndelivered == 4 && delivered_first == 1 &&
	    delivered_from == alice.address);
	mship_held_run(joined, T0 + 1300, &hops);
	CHECK(ndelivered == 4 && mship_held_count(joined) == 0);
	/* her gate passes now: nothing to keep */
	CHECK(mship_hold(joined, alice.address, pkt, sizeof(pkt),
	    T0 + 800) == 0);

	/* carol's frame waits 5 s at most, then is dropped and counted */
	CHECK(mship_hold(joined, carol.address, pkt, sizeof(pkt),
	    T0 + 1000) == 1);
	mship_held_run(joined, T0 + 1000 + MSHIP_HELD_MS, &hops);
	CHECK(mship_held_count(joined) == 1);
	mship_held_run(joined, T0 + 1001 + MSHIP_HELD_MS, &hops);
	CHECK(mship_held_count(joined) == 0 && ndelivered == 4);

	/* at most 32 per network, whoever sends them */
	for (i = 0; i < MSHIP_HELD_MAX; i++)
		CHECK(mship_hold(joined, 0x1000000001ULL + i / 4, pkt,
		    sizeof(pkt), T0 + 7000) == 1);
	CHECK(mship_hold(joined, 0x1000000100ULL, pkt, sizeof(pkt),
	    T0 + 7000) == -1);

	/* a revoked member: refused at the gate, never kept */
	len = payload(buf, sizeof(buf), NULL, NULL, NULL, rev_tag, NULL);
	CHECK(mship_recv_credentials(&ops, ctrl_pub.address, buf, len,
	    T0 + 8000, &info) == MSHIP_RX_OK && info.revoked == 1);
	CHECK(mship_peer_may_send(joined, alice.address, T0 + 8000) ==
	    MSHIP_GATE_DENY);
	CHECK(mship_hold(joined, alice.address, pkt, sizeof(pkt),
	    T0 + 8000) == 0);

	/* public network: the gate passes, nothing kept */
	nc->type = NETCONF_TYPE_PUBLIC;
	mship_set_config(joined, nc);
	CHECK(mship_hold(joined, 0x1000000100ULL, pkt, sizeof(pkt),
	    T0 + 8000) == 0);

	mship_stats(joined, &s);
	CHECKF(s.c.held == 4 + 1 + MSHIP_HELD_MAX && s.c.held_delivered == 4 &&
	    s.c.held_expired == 1 && s.c.held_overflow == 2,
	    "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64, s.c.held,
	    s.c.held_delivered, s.c.held_expired, s.c.held_overflow);
	/* the 32 still kept go with the store */
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* a revocation signed with the vectors' controller key */
static size_t
make_revocation(uint8_t *out, size_t cap, uint64_t target, int64_t thr,
    uint32_t id)
{
	struct revocation v;
	struct wbuf w;

	memset(&v, 0, sizeof(v));
	v.id = id;
	v.nwid = nwid;
	v.threshold = thr;
	v.target = target;
	v.type = CRED_TYPE_COM;
	REQUIRE(revocation_sign(&v, &ctrl_sec) == 0);
	wbuf_init(&w, out, cap);
	wbuf_put_u8(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 1);
	revocation_serialize(&v, &w);
	wbuf_put_u16(&w, 0);
	REQUIRE(!wbuf_failed(&w));
	return wbuf_len(&w);
}

static void
discard(void *arg, uint64_t nw, uint64_t to, const uint8_t *p, size_t len)
{
	(void)arg;
	(void)nw;
	(void)to;
	(void)p;
	(void)len;
}

/* bounds: peers (revocation holders kept) and items per peer */
static void
test_eviction(void)
{
	struct mship_limits lim = { .max_peers = 4, .max_tags = 2 };
	struct netconf *nc = bob_config();
	struct mship_rx_info info;
	struct mship_stats s;
	struct rules_tag rt[4];
	uint8_t buf[1024];
	struct wbuf w;
	struct tag t;
	size_t len, before;
	uint64_t a;
	int i;

	joined = bob_store(nc, &lim);
	len = make_revocation(buf, sizeof(buf), 0x1000000001ULL, T0, 7);
	CHECK(mship_recv_credentials(&ops, ctrl_pub.address, buf, len, T0,
	    &info) == MSHIP_RX_OK && info.revoked == 1);
	mship_stats(joined, &s);
	before = s.bytes;
	for (a = 0x1000000002ULL; a < 0x1000000009ULL; a++)
		CHECK(mship_push(joined, a, T0, discard, NULL) == 0);
	mship_stats(joined, &s);
	/* the controller's record for the rate gate counts too */
	CHECK(s.peers == 4);
	CHECK(s.c.evicted_peers == 5 && s.c.evicted_peers_revoked == 0);
	CHECK(mship_peer_com_threshold(joined, 0x1000000001ULL) == T0);
	CHECK(mship_has_peer(joined, 0x1000000008ULL));
	CHECK(!mship_has_peer(joined, 0x1000000002ULL));
	CHECK(s.bytes > before);

	/* three tags for alice, two places: the oldest goes */
	for (i = 0; i < 3; i++) {
		memset(&t, 0, sizeof(t));
		t.nwid = nwid;
		t.timestamp = T0 + 1000 * i;
		t.id = 10 + (uint32_t)i;
		t.value = (uint32_t)i;
		t.issued_to = alice.address;
		REQUIRE(tag_sign(&t, &ctrl_sec) == 0);
		wbuf_init(&w, buf, sizeof(buf));
		wbuf_put_u8(&w, 0);
		wbuf_put_u16(&w, 0);
		wbuf_put_u16(&w, 1);
		tag_serialize(&t, &w);
		REQUIRE(!wbuf_failed(&w));
		CHECK(mship_recv_credentials(&ops, alice.address, buf,
		    wbuf_len(&w), T0 + 2000 * i, &info) == MSHIP_RX_OK &&
		    info.accepted == 1);
	}
	CHECK(mship_remote_tags(joined, alice.address, rt, 4) == 2);
	CHECK(rt[0].id != 10 && rt[1].id != 10);
	mship_stats(joined, &s);
	CHECK(s.c.evicted_items == 1);
	CHECK(s.peers <= 4);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* push policy (§6.8) */
static void
test_push_policy(void)
{
	struct netconf *nc = bob_config();
	struct mship_stats s;
	uint64_t peer = alice.address;

	joined = bob_store(nc, NULL);
	nsent = 0;
	CHECK(mship_push_due(joined, peer, T0, MSHIP_PUSH_BEFORE_SEND));
	CHECK(mship_push_if_due(joined, peer, T0, MSHIP_PUSH_BEFORE_SEND,
	    on_send, NULL) == 1);
	CHECK(nsent == 1 && sent[0].to == peer);
	/* one COM, nothing else: COM, 00, four zero counts */
	CHECK(sent[0].len == 272 + 1 + 8);
	CHECK(mship_push_if_due(joined, peer, T0 + 1000,
	    MSHIP_PUSH_BEFORE_SEND, on_send, NULL) == 0);
	CHECK(!mship_push_due(joined, peer, T0 + MSHIP_PUSH_PERIOD,
	    MSHIP_PUSH_BEFORE_SEND));
	CHECK(mship_push_due(joined, peer, T0 + MSHIP_PUSH_PERIOD + 1,
	    MSHIP_PUSH_BEFORE_SEND));
	/* on NEED_MEMBERSHIP_CERTIFICATE: at most once a second */
	CHECK(!mship_push_due(joined, peer, T0 + 1000, MSHIP_PUSH_ON_ERROR));
	CHECK(mship_push_due(joined, peer, T0 + 1001, MSHIP_PUSH_ON_ERROR));
	/* a new config: due again at once, for both reasons */
	mship_set_config(joined, nc);
	CHECK(mship_push_due(joined, peer, T0 + 2, MSHIP_PUSH_BEFORE_SEND));
	CHECK(mship_push_due(joined, peer, T0 + 2, MSHIP_PUSH_ON_ERROR));
	CHECK(mship_push(joined, peer, T0 + 2, on_send, NULL) == 0);
	CHECK(!mship_push_due(joined, peer, T0 + 3, MSHIP_PUSH_ON_ERROR));
	/* a peer never pushed to is due */
	CHECK(mship_push_due(joined, carol.address, T0 + 3,
	    MSHIP_PUSH_BEFORE_SEND));
	/* without a COM the error path never pushes */
	memset(&nc->com, 0, sizeof(nc->com));
	mship_set_config(joined, nc);
	CHECK(!mship_push_due(joined, peer, T0 + 9000, MSHIP_PUSH_ON_ERROR));
	CHECK(!mship_push_due(joined, peer, T0 + 9000,
	    MSHIP_PUSH_BEFORE_SEND));
	mship_set_config(joined, NULL);
	CHECK(mship_push(joined, peer, T0, on_send, NULL) == -1);
	mship_stats(joined, &s);
	CHECK(s.c.pushes == 2);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* a large credential set is split as 1.14.1 splits it, and reads back */
static void
test_split(void)
{
	struct netconf *nc = bob_config();
	struct capability caps[8];
	struct tag tags[NETCONF_MAX_TAGS];
	struct mship_rx_info info;
	struct rules_tag rt[NETCONF_MAX_TAGS];
	struct rule rules[RULES_MAX_CAPABILITY];
	size_t i, first;
	struct mship_store *alice_st;
	struct netconf *anc;

	/* the largest common rule, so that few fit in a packet */
	memset(rules, 0, sizeof(rules));
	for (i = 0; i < RULES_MAX_CAPABILITY; i++) {
		rules[i].t = RULE_MATCH_IPV6_SOURCE;
		rules[i].v.ipv6.ip[0] = 0xfd;
		rules[i].v.ipv6.ip[15] = (uint8_t)i;
		rules[i].v.ipv6.mask = 128;
	}
	for (i = 0; i < 8; i++) {
		REQUIRE(capability_init(&caps[i], nwid, T0 + 3600000,
		    (uint32_t)i + 1, rules, RULES_MAX_CAPABILITY, 1) == 0);
		REQUIRE(capability_sign(&caps[i], &ctrl_sec,
		    bob.address) == 0);
	}
	for (i = 0; i < NETCONF_MAX_TAGS; i++) {
		memset(&tags[i], 0, sizeof(tags[i]));
		tags[i].nwid = nwid;
		tags[i].timestamp = T0 + 3600000;
		tags[i].id = (uint32_t)i;
		tags[i].value = (uint32_t)i * 3;
		tags[i].issued_to = bob.address;
		REQUIRE(tag_sign(&tags[i], &ctrl_sec) == 0);
	}
	REQUIRE(netconf_set_capabilities(nc, caps, 8) == 0);
	REQUIRE(netconf_set_tags(nc, tags, NETCONF_MAX_TAGS) == 0);
	load_coo(&nc->coos[0], "coo_alice");
	nc->ncoos = 1;
	nsent = 0;
	CHECK(mship_build_payloads(nc, on_send, NULL) == 0);
	CHECKF(nsent >= 3, "%zu payloads", nsent);
	/* only the first carries the COM */
	CHECK(sent[0].p[0] == 1);
	for (i = 1; i < nsent; i++)
		CHECK(sent[i].p[0] == 0 && sent[i].to == 0);
	/*
	 * 1.14.1's fill rule, 28 + size + sizeof(object) + 16 < 10024
	 * before each object: capabilities of 1355 bytes, 6 after the
	 * COM; then tags of 135 bytes, 11; no room left for the COO.
	 */
	first = be16_get(sent[0].p + 272 + 1);
	CHECKF(first == 6, "%zu capabilities in the first", first);
	first = be16_get(sent[0].p + 272 + 1 + 2 + 6 * 1355);
	CHECKF(first == 11, "%zu tags in the first", first);
	CHECK(nsent == 3);

	/* alice's store takes them all, a second apart */
	anc = netconf_new();
	REQUIRE(anc != NULL);
	anc->nwid = nwid;
	anc->issued_to = alice.address;
	anc->timestamp = T0 + 3600000;
	anc->credential_time_max_delta = CTMD;
	load_com(&anc->com, "com_alice");
	alice_st = mship_store_new(nwid, alice.address, NULL);
	REQUIRE(alice_st != NULL);
	mship_set_config(alice_st, anc);
	mship_set_controller(alice_st, &ctrl_pub);
	joined = alice_st;
	for (i = 0; i < nsent; i++)
		CHECK(mship_recv_credentials(&ops, bob.address, sent[i].p,
		    sent[i].len, T0 + 1000 * (int64_t)i, &info) ==
		    MSHIP_RX_OK && info.rejected == 0);
	CHECK(mship_remote_tags(alice_st, bob.address, rt,
	    NETCONF_MAX_TAGS) == NETCONF_MAX_TAGS);
	{
		struct rules_cap rc[8];

		CHECK(mship_remote_caps(alice_st, bob.address, rc, 8) == 8);
	}
	mship_store_free(alice_st);
	joined = NULL;
	netconf_free(anc);
	netconf_free(nc);
}

/*
 * packets.json node_flow: the configs 1.14.1's controller sent, the
 * NETWORK_CREDENTIALS each member then pushed, and what the other
 * member made of them.
 */
static struct netconf *
flow_config(json_t *p, const struct identity *ctrl)
{
	struct netconf_chunk c;
	struct netconf_asm a;
	struct netconf *nc;
	struct dict d;
	const uint8_t *out = NULL;
	size_t plen, olen = 0;
	uint64_t upd, pid;
	uint8_t *pl, v;
	struct rbuf r;

	pl = test_jhex(p, "dearmored_payload", &plen);
	rbuf_init(&r, pl, plen);
	rbuf_get_u8(&r, &v);
	rbuf_get_u64(&r, &pid);
	REQUIRE(netconf_chunk_parse(&c, &r) == 0);
	netconf_asm_init(&a, c.nwid);
	REQUIRE(netconf_asm_add(&a, &c, ctrl->address, pid, ctrl, &out,
	    &olen, &upd) == NETCONF_ASM_DONE);
	REQUIRE((nc = netconf_new()) != NULL);
	dict_view(&d, out, olen, DICT_CAP_NETCONF);
	REQUIRE(netconf_decode(nc, &d) == 0);
	netconf_asm_free(&a);
	free(pl);
	return nc;
}

static void
test_node_flow(void)
{
	json_t *packets = test_vectors_load("packets.json");
	json_t *nf, *p, *id;
	struct identity fctrl, fid[2];
	struct netconf *cfg[2] = { NULL, NULL };
	const char *names[2] = { "alice", "bob" };
	struct mship_store *st[2];
	struct mship_rx_info info;
	size_t i, j, plen, ncreds = 0;
	uint8_t *pl;

	REQUIRE(packets != NULL);
	nf = json_object_get(packets, "node_flow");
	json_array_foreach(json_object_get(packets, "identities"), i, id) {
		if (strcmp(test_jstr(id, "name"), "controller") == 0)
			REQUIRE(identity_from_string(&fctrl,
			    test_jstr(id, "public")) == 0);
		for (j = 0; j < 2; j++)
			if (strcmp(test_jstr(id, "name"), names[j]) == 0)
				REQUIRE(identity_from_string(&fid[j],
				    test_jstr(id, "public")) == 0);
	}
	json_array_foreach(json_object_get(nf, "packets"), i, p) {
		const char *verb = json_string_value(json_object_get(p,
		    "verb"));
		const char *in_re = json_string_value(json_object_get(p,
		    "in_re_verb"));

		if (verb == NULL || strcmp(verb, "OK") != 0 || in_re == NULL ||
		    strcmp(in_re, "NETWORK_CONFIG_REQUEST") != 0)
			continue;
		for (j = 0; j < 2; j++)
			if (strcmp(test_jstr(p, "receiver"), names[j]) == 0 &&
			    cfg[j] == NULL)
				cfg[j] = flow_config(p, &fctrl);
	}
	REQUIRE(cfg[0] != NULL && cfg[1] != NULL);
	for (j = 0; j < 2; j++) {
		REQUIRE((st[j] = mship_store_new(cfg[j]->nwid,
		    fid[j].address, NULL)) != NULL);
		mship_set_config(st[j], cfg[j]);
		mship_set_controller(st[j], &fctrl);
	}
	nknown = 0;
	known[nknown++] = &fid[0];
	known[nknown++] = &fid[1];
	json_array_foreach(json_object_get(nf, "packets"), i, p) {
		const char *verb = json_string_value(json_object_get(p,
		    "verb"));
		size_t from, to;

		if (verb == NULL || strcmp(verb, "NETWORK_CREDENTIALS") != 0)
			continue;
		from = strcmp(test_jstr(p, "sender"), "alice") == 0 ? 0 : 1;
		to = 1 - from;
		pl = test_jhex(p, "dearmored_payload", &plen);
		/* what we would have pushed is what 1.14.1 pushed */
		nsent = 0;
		CHECK(mship_push(st[from], fid[to].address,
		    test_jint(p, "t"), on_send, NULL) == 0);
		REQUIRE(nsent == 1);
		CHECK(sent[0].len == plen && sent[0].to == fid[to].address);
		CHECK_MEM(sent[0].p, pl, plen < sent[0].len ? plen :
		    sent[0].len, "NETWORK_CREDENTIALS payload");
		/* and the receiver lets the sender in */
		mship_set_lookup(st[to], &whois_cache);
		joined = st[to];
		CHECK(mship_recv_credentials(&ops, fid[from].address, pl, plen,
		    test_jint(p, "t"), &info) != MSHIP_RX_MALFORMED);
		CHECK(info.rejected == 0);
		CHECK(mship_peer_may_send(st[to], fid[from].address,
		    test_jint(p, "t")) == MSHIP_GATE_ALLOW);
		joined = NULL;
		free(pl);
		ncreds++;
	}
	CHECK(ncreds >= 3);
	for (j = 0; j < 2; j++) {
		mship_store_free(st[j]);
		netconf_free(cfg[j]);
	}
	json_decref(packets);
}

int
main(void)
{
	creds = test_vectors_load("credentials.json");
	REQUIRE(creds != NULL);
	load_identities();
	test_accept();
	test_reject();
	test_agreement();
	test_revocation();
	test_deferred_and_rate();
	test_held();
	test_eviction();
	test_push_policy();
	test_split();
	test_node_flow();
	identity_clear(&ctrl_sec);
	json_decref(creds);
	return test_main_end();
}
