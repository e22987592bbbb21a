/*
 * Peer up/down events from zt-vl1d to zt-vl2d (VL2_PEER_EVENT): the
 * entry codec of common/peerev.h, the membership store's reaction
 * (mship_peer_down, mship_peer_up, MSHIP_PUSH_ON_UP, a replaced COM
 * marking our push stale) with vectors/credentials.json, and network.c's handling of a
 * whole event body: a member of a private network that comes up gets
 * our credentials at once, a peer that is no member or a public network
 * gets nothing, a peer that went down and comes back gets them again
 * after the 1 s holdoff, malformed bodies are refused.
 *
 * network.c and frame.c are linked as vl2-replay links them; what
 * link.c and main.c do for the daemon is done here by recording doubles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "peerev.h"
#include "fixtures.h"
#include "test.h"
#include "vl2d.h"

#define T0	1700000000000LL
#define CTMD	7200000

static json_t *creds;
static struct identity ctrl_pub, ctrl_sec, alice, bob, carol;
static uint64_t nwid;
static int64_t now_ms = T0;

/* what was handed to "zt-vl1d" */
static struct sent {
	uint64_t	 dest;
	uint8_t		 verb;
	size_t		 len;
} sent[64];
static size_t nsent;

/* ---- the doubles of link.c and main.c ---- */

int64_t
vl2d_now(struct vl2d_ctx *ctx)
{
	return now_ms;
}

int
vl2d_send(struct vl2d_ctx *ctx, uint64_t dest, uint8_t verb,
    const uint8_t *p, size_t len)
{
	REQUIRE(nsent < sizeof(sent) / sizeof(sent[0]));
	sent[nsent].dest = dest;
	sent[nsent].verb = verb;
	sent[nsent].len = len;
	nsent++;
	return 0;
}

void
vl2d_link_flush(struct vl2d_ctx *ctx)
{
}

void
vl2d_link_cork(struct vl2d_ctx *ctx, bool on)
{
}

void
vl2d_link_push(struct vl2d_ctx *ctx)
{
}

void
vl2d_whois(struct vl2d_ctx *ctx, uint64_t addr)
{
}

const struct identity *
vl2d_identity(struct vl2d_ctx *ctx, uint64_t addr)
{
	if (addr == alice.address)
		return &alice;
	if (addr == ctrl_pub.address)
		return &ctrl_pub;
	return NULL;
}

int
vl2d_tap_open(struct vl2d_net *n)
{
	return -1;
}

void
vl2d_tap_configure(struct vl2d_net *n)
{
}

void
vl2d_tap_close(struct vl2d_net *n)
{
}

struct ipc_conn *
vl2d_tapd_conn(struct vl2d_ctx *ctx)
{
	return NULL;
}

/* ---- the vectors ---- */

static json_t *
named(const char *list, const char *name)
{
	json_t *e = test_named(json_object_get(creds, list), name);

	if (e == NULL)
		test_fail(__FILE__, __LINE__, name, "not in %s", list);
	return e;
}

static void
load_com(struct com *c, const char *name)
{
	struct rbuf r;
	uint8_t *b;
	size_t n;

	b = test_jhex(named("certificates_of_membership", name),
	    "serialized", &n);
	rbuf_init(&r, b, n);
	REQUIRE(com_deserialize(c, &r) == 0);
	free(b);
}

static void
holder(struct identity *id, const char *com)
{
	REQUIRE(identity_from_string(id, test_jstr(json_object_get(
	    named("certificates_of_membership", com), "holder"),
	    "public")) == 0);
}

static void
load_identities(void)
{
	json_t *c = json_object_get(creds, "controller");

	REQUIRE(identity_from_string(&ctrl_pub, test_jstr(c, "public")) == 0);
	REQUIRE(identity_from_string(&ctrl_sec, test_jstr(c, "secret")) == 0);
	holder(&alice, "com_alice");
	holder(&bob, "com_bob");
	holder(&carol, "com_carol_old");
	nwid = strtoull(test_jstr(creds, "network_id"), NULL, 16);
}

/* bob's config: private (or public), his COM from the vectors */
static struct netconf *
bob_config(int type)
{
	struct netconf *nc = netconf_new();

	REQUIRE(nc != NULL);
	nc->nwid = nwid;
	nc->issued_to = bob.address;
	nc->timestamp = T0 + 3600000;
	nc->credential_time_max_delta = CTMD;
	nc->type = type;
	load_com(&nc->com, "com_bob");
	return nc;
}

static const struct identity *
lookup(void *arg, uint64_t addr)
{
	return vl2d_identity(arg, addr);
}

static const struct cred_lookup whois_cache = { lookup, NULL };

static struct mship_store *
bob_store(const struct netconf *nc)
{
	struct mship_store *st = mship_store_new(nwid, bob.address, NULL);

	REQUIRE(st != NULL);
	mship_set_config(st, nc);
	mship_set_controller(st, &ctrl_pub);
	mship_set_lookup(st, &whois_cache);
	return st;
}

static struct mship_store *joined;

static struct mship_store *
find(void *arg, uint64_t nw)
{
	return joined != NULL && mship_store_nwid(joined) == nw ? joined :
	    NULL;
}

static void
discard(void *arg, uint64_t nw, uint64_t to, const uint8_t *p, size_t len)
{
}

static void
pushed(void *arg, uint64_t nw, uint64_t to, const uint8_t *p, size_t len)
{
	vl2d_send(arg, to, VL2D_VERB_NETWORK_CREDENTIALS, p, len);
}

static const struct mship_rx_ops ops = { find, discard, NULL, NULL };

/* a NETWORK_CREDENTIALS payload with one COM from alice, fed to bob */
static enum mship_rx_result
feed_com(const struct com *c, int64_t now, struct mship_rx_info *info)
{
	uint8_t b[1024];
	struct wbuf w;

	wbuf_init(&w, b, sizeof(b));
	com_serialize(c, &w);
	wbuf_put_u8(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 0);
	wbuf_put_u16(&w, 0);
	REQUIRE(!wbuf_failed(&w));
	return mship_recv_credentials(&ops, alice.address, wbuf_data(&w),
	    wbuf_len(&w), now, info);
}

/* ---- the entry codec ---- */

static void
test_codec(void)
{
	static const struct ipc_peer_ev in[] = {
		{ IPC_PEER_EVENT_SELF, 0x89e92ceee5, 0,
		    IPC_PEER_LATENCY_UNKNOWN },
		{ IPC_PEER_EVENT_UP, 0x0102030405, IPC_PEER_F_DIRECT, 12 },
		{ IPC_PEER_EVENT_UP, 0xfffffffffe, 0,
		    IPC_PEER_LATENCY_UNKNOWN },
		{ IPC_PEER_EVENT_DOWN, 0x0102030405, 0,
		    IPC_PEER_LATENCY_UNKNOWN },
		{ 0x77, 0x0a0b0c0d0e, 0xff, 0 },	/* a newer kind */
	};
	const size_t n = sizeof(in) / sizeof(in[0]);
	struct ipc_peer_ev out;
	uint8_t b[128];
	struct wbuf w;
	struct rbuf r;
	size_t i;

	wbuf_init(&w, b, sizeof(b));
	for (i = 0; i < n; i++)
		CHECK(ipc_peer_ev_put(&w, &in[i]) == 0);
	CHECK(wbuf_len(&w) == n * IPC_PEER_EVENT_LEN);
	/* the layout the catalogue names: u8, u40, u8, u16, big-endian */
	CHECK_MEM(b + IPC_PEER_EVENT_LEN, "\x01\x01\x02\x03\x04\x05\x01"
	    "\x00\x0c", IPC_PEER_EVENT_LEN, "UP entry");
	rbuf_init(&r, b, wbuf_len(&w));
	for (i = 0; i < n; i++) {
		CHECK(ipc_peer_ev_get(&r, &out) == 0);
		CHECK(out.kind == in[i].kind && out.address == in[i].address &&
		    out.flags == in[i].flags && out.latency == in[i].latency);
	}
	CHECK(rbuf_remaining(&r) == 0);
	/* a short entry fails, whatever is left of it */
	for (i = 0; i < IPC_PEER_EVENT_LEN; i++) {
		rbuf_init(&r, b, i);
		CHECK(ipc_peer_ev_get(&r, &out) == -1);
	}
	/* one frame holds a list of 1,820 peers */
	CHECK(IPC_PEER_EVENT_MAX / IPC_PEER_EVENT_LEN >= 1820);
	CHECK(ipc_type_lookup(IPC_MSG_VL2_PEER_EVENT) != NULL &&
	    ipc_type_lookup(IPC_MSG_VL2_PEER_EVENT)->max ==
	    IPC_PEER_EVENT_MAX);
}

/* ---- the store ---- */

static void
test_store(void)
{
	struct netconf *nc = bob_config(NETCONF_TYPE_PRIVATE);
	struct mship_rx_info info;
	struct com a1, a2;
	int64_t t = T0;

	joined = bob_store(nc);
	load_com(&a1, "com_alice");
	/* no record of alice, or of carol: no member, nothing due */
	CHECK(!mship_push_due(joined, alice.address, t, MSHIP_PUSH_ON_UP));
	CHECK(feed_com(&a1, t, &info) == MSHIP_RX_OK && info.accepted == 1);
	CHECK(mship_peer_com(joined, alice.address) != NULL);
	CHECK(!mship_push_due(joined, carol.address, t, MSHIP_PUSH_ON_UP));
	/* a member never pushed to: due at once, then not for 500 s */
	CHECK(mship_push_due(joined, alice.address, t, MSHIP_PUSH_ON_UP));
	CHECK(mship_push(joined, alice.address, t, discard, NULL) == 0);
	CHECK(!mship_push_due(joined, alice.address, t + 1000,
	    MSHIP_PUSH_ON_UP));
	CHECK(!mship_push_due(joined, alice.address, t + 5000,
	    MSHIP_PUSH_BEFORE_SEND));
	CHECK(mship_like_due(joined, alice.address, t));
	CHECK(!mship_like_due(joined, alice.address, t + 1000));

	/* down: our push may be lost with it; due after the holdoff */
	mship_peer_down(joined, alice.address);
	CHECK(!mship_push_due(joined, alice.address, t + MSHIP_PUSH_ERROR_HOLDOFF,
	    MSHIP_PUSH_ON_UP));
	CHECK(mship_push_due(joined, alice.address,
	    t + MSHIP_PUSH_ERROR_HOLDOFF + 1, MSHIP_PUSH_ON_UP));
	CHECK(mship_push_due(joined, alice.address,
	    t + MSHIP_PUSH_ERROR_HOLDOFF + 1, MSHIP_PUSH_BEFORE_SEND));
	/* its LIKEs are due again once it is back, not while away */
	CHECK(!mship_like_due(joined, alice.address, t + 1001));
	CHECK(mship_peer_up(joined, alice.address, t + 1001, discard,
	    NULL) == 1);
	CHECK(mship_like_due(joined, alice.address, t + 1001));
	CHECK(mship_peer_up(joined, alice.address, t + 1001, discard,
	    NULL) == 0);
	CHECK(!mship_like_due(joined, alice.address, t + 1002));
	/* and its next push is not rate-gated */
	CHECK(feed_com(&a1, t + 1001, &info) == MSHIP_RX_OK &&
	    info.accepted == 1);
	mship_peer_down(joined, alice.address);
	CHECK(feed_com(&a1, t + 1002, &info) == MSHIP_RX_OK &&
	    info.accepted == 1);
	CHECK(feed_com(&a1, t + 1003, &info) == MSHIP_RX_RATE_LIMITED);
	/* the credentials themselves stay: the gate still passes */
	CHECK(mship_peer_may_send(joined, alice.address, t + 1003) ==
	    MSHIP_GATE_ALLOW);
	t += 2000;
	CHECK(mship_push(joined, alice.address, t, discard, NULL) == 0);
	CHECK(!mship_push_due(joined, alice.address, t + 5000,
	    MSHIP_PUSH_BEFORE_SEND));

	/* the same COM again: nothing changes */
	CHECK(feed_com(&a1, t + 5000, &info) == MSHIP_RX_OK &&
	    info.accepted == 1);
	CHECK(!mship_push_due(joined, alice.address, t + 6000,
	    MSHIP_PUSH_BEFORE_SEND));
	/* a newer COM replaces hers: she has a new config, maybe rejoined */
	REQUIRE(com_issue(&a2, nwid, com_timestamp(&a1) + 60000, CTMD,
	    &alice) == 0);
	REQUIRE(com_sign(&a2, &ctrl_sec) == 0);
	CHECK(feed_com(&a2, t + 7000, &info) == MSHIP_RX_OK &&
	    info.accepted == 1);
	CHECK(mship_push_due(joined, alice.address, t + 7000,
	    MSHIP_PUSH_BEFORE_SEND));
	CHECK(mship_push(joined, alice.address, t + 7000, discard,
	    NULL) == 0);
	CHECK(!mship_push_due(joined, alice.address, t + 9000,
	    MSHIP_PUSH_BEFORE_SEND));

	/* a public network: an up pushes nothing */
	nc->type = NETCONF_TYPE_PUBLIC;
	mship_set_config(joined, nc);
	CHECK(!mship_push_due(joined, alice.address, t + 9000,
	    MSHIP_PUSH_ON_UP));
	CHECK(mship_push_due(joined, alice.address, t + 9000,
	    MSHIP_PUSH_BEFORE_SEND));
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
}

/* ---- network.c ---- */

static size_t
body(uint8_t *b, size_t cap, const struct ipc_peer_ev *e, size_t n)
{
	struct wbuf w;
	size_t i;

	wbuf_init(&w, b, cap);
	for (i = 0; i < n; i++)
		REQUIRE(ipc_peer_ev_put(&w, &e[i]) == 0);
	return wbuf_len(&w);
}

static int
deliver(struct vl2d_ctx *ctx, const struct ipc_peer_ev *e, size_t n)
{
	uint8_t b[256];
	struct rbuf r;

	rbuf_init(&r, b, body(b, sizeof(b), e, n));
	return vl2d_nets_peer_events(ctx, &r);
}

static size_t
creds_to(uint64_t dest)
{
	size_t i, k = 0;

	for (i = 0; i < nsent; i++)
		k += sent[i].dest == dest &&
		    sent[i].verb == VL2D_VERB_NETWORK_CREDENTIALS;
	return k;
}

static void
test_network(void)
{
	const struct ipc_peer_ev up_a = { IPC_PEER_EVENT_UP, alice.address,
	    IPC_PEER_F_DIRECT, 3 };
	const struct ipc_peer_ev down_a = { IPC_PEER_EVENT_DOWN,
	    alice.address, 0, IPC_PEER_LATENCY_UNKNOWN };
	struct ipc_peer_ev first[4] = {
		{ IPC_PEER_EVENT_SELF, bob.address, 0,
		    IPC_PEER_LATENCY_UNKNOWN },
		{ IPC_PEER_EVENT_UP, carol.address, 0,
		    IPC_PEER_LATENCY_UNKNOWN },
		{ 0x42, alice.address, 0, 0 },
		up_a,
	};
	struct netconf *nc = bob_config(NETCONF_TYPE_PRIVATE);
	struct ipc_peer_ev bad;
	struct mship_rx_info info;
	struct vl2d_ctx *ctx;
	struct vl2d_net *n;
	uint8_t b[64];
	struct rbuf r;
	struct com a1;

	REQUIRE((ctx = calloc(1, sizeof(*ctx))) != NULL);
	ctx->listen_fd = -1;
	ctx->lookup.fn = lookup;
	ctx->lookup.arg = ctx;
	n = &ctx->nets[0];
	n->used = true;
	n->ctx = ctx;
	n->nwid = nwid;
	n->tap_fd = -1;
	n->nc = nc;
	n->ms = joined = bob_store(nc);
	load_com(&a1, "com_alice");
	now_ms = T0;
	CHECK(feed_com(&a1, now_ms, &info) == MSHIP_RX_OK);

	/* at connect: our address, then the peers up; alice is a member */
	nsent = 0;
	CHECK(deliver(ctx, first, 4) == 0);
	CHECK(ctx->self == bob.address);
	CHECK(ctx->peer_ups == 2 && ctx->peer_pushes == 1);
	CHECK(creds_to(alice.address) == 1 && nsent == 1);
	CHECK(sent[0].len == 272 + 1 + 8);	/* her COM, four counts */
	/* up again (relayed, then direct): nothing new to push */
	now_ms += 500;
	CHECK(deliver(ctx, &up_a, 1) == 0 && nsent == 1);
	/* down and back within the holdoff, then after it */
	CHECK(deliver(ctx, &down_a, 1) == 0 && ctx->peer_downs == 1);
	CHECK(deliver(ctx, &up_a, 1) == 0 && nsent == 1);
	now_ms += MSHIP_PUSH_ERROR_HOLDOFF;
	CHECK(deliver(ctx, &up_a, 1) == 0 && creds_to(alice.address) == 2);
	CHECK(ctx->peer_pushes == 2);
	/* the push also counts for the next frame */
	CHECK(mship_push_if_due(n->ms, alice.address, now_ms + 10,
	    MSHIP_PUSH_BEFORE_SEND, pushed, ctx) == 0);

	/* a reserved address is dropped and counted, the rest goes on */
	bad = up_a;
	bad.address = 0;
	CHECK(deliver(ctx, &bad, 1) == 0 && ctx->dropped == 1);
	/* a short entry refuses the message (the link closes it) */
	rbuf_init(&r, b, body(b, sizeof(b), &down_a, 1) - 1);
	CHECK(vl2d_nets_peer_events(ctx, &r) == -1);

	/* no store yet (address unknown): events are counted only */
	n->ms = NULL;
	now_ms += 600000;
	CHECK(deliver(ctx, &up_a, 1) == 0 && creds_to(alice.address) == 2);
	mship_store_free(joined);
	joined = NULL;
	netconf_free(nc);
	free(ctx);
}

int
main(void)
{
	creds = test_vectors_load("credentials.json");
	REQUIRE(creds != NULL);
	load_identities();
	test_codec();
	test_store();
	test_network();
	identity_clear(&ctrl_sec);
	json_decref(creds);
	return test_main_end();
}
