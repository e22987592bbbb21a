/*
 * Whole NETWORK_CREDENTIALS payloads (spec/vl2.md §3.4) through the
 * membership store: every section parsed and routed to one of two
 * joined networks, signatures checked against the vectors' controller
 * (the seed corpus holds payloads it really signed, so mutations reach
 * the accept, replace, revoke and relay paths), then everything the
 * frame path asks of the store.  The store must stay within its bounds
 * and its answers consistent; nothing may crash or leak.
 *
 * Input: u8 control (bit 0: second delivery 1 s later, bit 1: the
 * sender is bob, not alice), then the payload; a COM at its start is
 * also offered as an EXT_FRAME would carry it.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "identity.h"
#include "membership.h"
#include "netconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* public identities from vectors/identities.json */
#define ID_CONTROLLER	"9d3dee1129:0:88c7d47a75f33e70be9b58ea096aead2" \
	"58060c96bcffb0875da3b0315c28dc0b78a04287911f1f8b3d34ef6e52f6607e" \
	"b44fda63cb1bfb07e8978893c8a42ce6"
#define ID_ALICE	"8899332b2c:0:70a9b4c04b9bc5414a36cf0e87b8ae9e" \
	"c8a211d33c4f2d7f191fbb67c19c2458d62e6117db13649b3cdfd05f845e23a4" \
	"c5fe23c44b6e5f447a6315d8f1ac32cb"
#define ID_BOB		"c211c6b838:0:3fb5d34e3580bcc883b24986d9c41e45" \
	"f405e1b93641ad0222574115accb3168a7dbd19fb0b3abc5fd71cdb503672bbb" \
	"482abbf293352c855c89ff9f15578446"

/* node_flow's network and credentials.json's */
#define NWID_FLOW	0x9d3dee1129000001ULL
#define NWID_CREDS	0x9d3dee1129abcdefULL
#define NOW		1700000010000LL

static struct identity controller, alice, bob;
static struct netconf *nc[2];
static struct mship_store *st[2];
static size_t sends;

static const struct identity *
lookup(void *arg, uint64_t addr)
{
	(void)arg;
	if (addr == alice.address)
		return &alice;
	if (addr == bob.address)
		return &bob;
	return NULL;
}

static struct mship_store *
find(void *arg, uint64_t nwid)
{
	size_t i;

	(void)arg;
	for (i = 0; i < 2; i++)
		if (st[i] != NULL && mship_store_nwid(st[i]) == nwid)
			return st[i];
	return NULL;
}

static void
on_send(void *arg, uint64_t nwid, uint64_t to, const uint8_t *p,
    size_t len)
{
	(void)arg;
	assert(nwid == NWID_FLOW || nwid == NWID_CREDS);
	assert(to != 0 && len > 0 && len <= MSHIP_PAYLOAD_MAX && p != NULL);
	sends++;
}

static void
on_revoked(void *arg, uint64_t nwid, uint64_t target)
{
	(void)arg;
	(void)target;
	assert(nwid == NWID_FLOW || nwid == NWID_CREDS);
}

static void
init(void)
{
	static const uint64_t nwids[2] = { NWID_FLOW, NWID_CREDS };
	size_t i;

	assert(identity_from_string(&controller, ID_CONTROLLER) == 0);
	assert(identity_from_string(&alice, ID_ALICE) == 0);
	assert(identity_from_string(&bob, ID_BOB) == 0);
	/* bob's view: a private network, his own (unsigned) COM */
	for (i = 0; i < 2; i++) {
		assert((nc[i] = netconf_new()) != NULL);
		nc[i]->nwid = nwids[i];
		nc[i]->issued_to = bob.address;
		nc[i]->timestamp = NOW;
		nc[i]->credential_time_max_delta = 7200000;
		nc[i]->type = NETCONF_TYPE_PRIVATE;
		nc[i]->flags = NETCONF_F_ENABLE_IPV6_NDP_EMU;
		assert(com_issue(&nc[i]->com, nwids[i], NOW, 7200000,
		    &bob) == 0);
	}
}

static void
probe(struct mship_store *s, uint64_t peer)
{
	static const uint8_t mac[6] = { 0x32, 0x88, 0x99, 0x33, 0x2b, 0x2c };
	static const uint8_t v4[4] = { 10, 147, 17, 10 };
	static const uint8_t v6[16] = { 0xfc };
	struct rules_tag tags[NETCONF_MAX_TAGS];
	struct rules_cap caps[NETCONF_MAX_CAPABILITIES];
	struct mship_owner ow;
	struct rules_env env;
	size_t n, i;
	enum mship_gate g;

	g = mship_peer_may_send(s, peer, NOW);
	assert(g == MSHIP_GATE_DENY || g == MSHIP_GATE_ALLOW ||
	    g == MSHIP_GATE_NEED_IDENTITY);
	n = mship_remote_tags(s, peer, tags, NETCONF_MAX_TAGS);
	assert(n <= NETCONF_MAX_TAGS);
	n = mship_remote_caps(s, peer, caps, NETCONF_MAX_CAPABILITIES);
	for (i = 0; i < n; i++)
		assert(caps[i].n <= RULES_MAX_CAPABILITY);
	memset(&env, 0, sizeof(env));
	mship_rules_env(s, peer, &ow, tags, NETCONF_MAX_TAGS, &env);
	(void)env.owns(env.owns_arg, true, RULES_THING_MAC, mac);
	(void)env.owns(env.owns_arg, true, RULES_THING_IPV4, v4);
	(void)env.owns(env.owns_arg, true, RULES_THING_IPV6, v6);
	(void)env.owns(env.owns_arg, false, RULES_THING_IPV4, v4);
	(void)mship_recently_associated(s, peer, NOW);
	(void)mship_push_if_due(s, peer, NOW, MSHIP_PUSH_ON_ERROR, on_send,
	    NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mship_limits lim = { 8, 4, 4, 2, 4 };
	const struct mship_rx_ops ops = { find, on_send, on_revoked, NULL };
	const struct cred_lookup cl = { lookup, NULL };
	struct mship_rx_info info;
	struct mship_stats s;
	enum mship_rx_result r;
	uint64_t from;
	size_t i;
	bool gated;
	struct com com;
	struct rbuf rb;

	if (nc[0] == NULL)
		init();
	if (size < 1)
		return 0;
	for (i = 0; i < 2; i++) {
		assert((st[i] = mship_store_new(nc[i]->nwid, bob.address,
		    &lim)) != NULL);
		mship_set_config(st[i], nc[i]);
		mship_set_controller(st[i], &controller);
		mship_set_lookup(st[i], &cl);
	}
	from = (data[0] & 2) ? bob.address : alice.address;
	sends = 0;
	r = mship_recv_credentials(&ops, from, data + 1, size - 1, NOW,
	    &info);
	assert(r == MSHIP_RX_OK || r == MSHIP_RX_MALFORMED ||
	    r == MSHIP_RX_DEFERRED);
	assert(r != MSHIP_RX_DEFERRED || info.whois != 0);
	if (data[0] & 1) {
		/* within the second a payload that met a store is held back */
		gated = r == MSHIP_RX_OK && info.accepted + info.rejected > 0;
		r = mship_recv_credentials(&ops, from, data + 1, size - 1,
		    NOW + 10, &info);
		assert(!gated || r == MSHIP_RX_RATE_LIMITED);
		r = mship_recv_credentials(&ops, from, data + 1, size - 1,
		    NOW + 2000, &info);
		assert(r != MSHIP_RX_RATE_LIMITED);
	}
	/* the same bytes as an EXT_FRAME's inline COM */
	rbuf_init(&rb, data + 1, size - 1);
	if (com_deserialize(&com, &rb) == 0)
		for (i = 0; i < 2; i++) {
			r = mship_offer_com(st[i], from, &com, NOW + 3000,
			    &info);
			assert(r == MSHIP_RX_OK || r == MSHIP_RX_DEFERRED);
			assert(info.accepted + info.rejected <= 1);
		}
	for (i = 0; i < 2; i++) {
		probe(st[i], alice.address);
		probe(st[i], bob.address);
		probe(st[i], controller.address);
		mship_stats(st[i], &s);
		assert(s.peers <= lim.max_peers);
		assert(s.bytes > 0);
		mship_store_free(st[i]);
		st[i] = NULL;
	}
	return 0;
}
