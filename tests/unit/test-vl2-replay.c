/*
 * zt-vl2d's network and frame code (network.c, frame.c over lib zt_vl2)
 * fed bob's VL2 packets of vectors/packets.json "node_flow" in order, as
 * zt-vl1d would hand them over: the config (two OK(NETWORK_CONFIG_
 * REQUEST) chunks, signed by the controller), alice's credentials, her
 * FRAMEs (one reassembled from fragments), her EXT_FRAME from a bridged
 * MAC and her LIKE.  Checked: bob's config request, the network's state
 * and MAC, every frame bob's TAP got in 1.14.1's run (byte for byte, in
 * order), and bob's replies: his LIKE to alice once her credentials pass
 * the gate, and, when his TAP hands over the echo reply that 1.14.1's
 * bob sent, his credentials then the FRAME, both with 1.14.1's exact
 * payloads.  Then what the flow does not show: a config chunk flagged
 * for fast propagation is forwarded to the other members, TAP reads
 * stop while zt-vl1d's queue is over its high watermark, and an
 * ERROR(AUTHENTICATION_REQUIRED) brings its auth info URL.
 *
 * What link.c and main.c do for the daemon (the IPC to zt-vl1d and
 * zt-tapd, the clock) is done here by recording doubles: packets sent
 * are kept for the checks, WHOIS is answered from the vectors' identities
 * as zt-vl1d answers it, the TAP is one end of a socket pair.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "frame.h"
#include "hex.h"
#include "test.h"
#include "vl2d.h"

#define MAX_SENT	256
#define MAX_IDS		8

struct sent {
	uint64_t	 dest;
	uint8_t		 verb;
	uint8_t		*p;
	size_t		 len;
};

static struct sent	 sent[MAX_SENT];
static size_t		 nsent;
static int64_t		 now_ms;
static struct identity	 vids[MAX_IDS];	/* the vectors' identities */
static size_t		 nvids;
static bool		 known[MAX_IDS];	/* what "zt-vl1d" has seen */
static uint64_t		 whois_asked[MAX_IDS];
static size_t		 nwhois;
static int		 tap_asked;

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
	REQUIRE(nsent < MAX_SENT);
	sent[nsent].dest = dest;
	sent[nsent].verb = verb;
	sent[nsent].p = malloc(len + 1);
	REQUIRE(sent[nsent].p != NULL);
	memcpy(sent[nsent].p, p, len);
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
	if (nwhois < MAX_IDS)
		whois_asked[nwhois++] = addr;
}

const struct identity *
vl2d_identity(struct vl2d_ctx *ctx, uint64_t addr)
{
	size_t i;

	for (i = 0; i < nvids; i++)
		if (known[i] && vids[i].address == addr)
			return &vids[i];
	return NULL;
}

int
vl2d_tap_open(struct vl2d_net *n)
{
	tap_asked++;
	n->tap_asked = true;
	return 0;
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

static void
cred_send(void *arg, uint64_t nwid, uint64_t to, const uint8_t *p,
    size_t len)
{
	vl2d_send(arg, to, VL2D_VERB_NETWORK_CREDENTIALS, p, len);
}

static const struct identity *
lookup(void *arg, uint64_t addr)
{
	return vl2d_identity(arg, addr);
}

/* zt-vl1d answers the WHOIS asked during the last packet */
static void
answer_whois(struct vl2d_ctx *ctx)
{
	size_t i, k, cnt = nwhois;

	nwhois = 0;
	for (k = 0; k < cnt; k++)
		for (i = 0; i < nvids; i++)
			if (vids[i].address == whois_asked[k]) {
				known[i] = true;
				vl2d_net_identity(ctx, &vids[i]);
			}
}

/* ---- the vectors ---- */

/* a secret identity of vectors/identities.json */
static int
load_secret(const char *name, struct identity *id)
{
	json_t *r = test_vectors_load("identities.json"), *v;
	size_t i;
	int rc = -1;

	json_array_foreach(json_object_get(r, "valid"), i, v)
		if (strcmp(test_jstr(v, "name"), name) == 0)
			rc = identity_from_string(id, test_jstr(v, "secret"));
	json_decref(r);
	return rc;
}

static uint64_t
jaddr(json_t *o, const char *key)
{
	return strtoull(test_jstr(o, key), NULL, 16);
}

static const char *verbs[][2] = {
	{ "OK", "\x03" }, { "ERROR", "\x02" }, { "FRAME", "\x06" },
	{ "EXT_FRAME", "\x07" }, { "MULTICAST_LIKE", "\x09" },
	{ "NETWORK_CREDENTIALS", "\x0a" }, { "NETWORK_CONFIG", "\x0c" },
	{ "MULTICAST_GATHER", "\x0d" }, { "MULTICAST_FRAME", "\x0e" },
};

/* the VL2 verb code of a packet, or -1 for VL1 verbs */
static int
vl2_verb(json_t *p)
{
	json_t *v = json_object_get(p, "verb");
	size_t i;

	if (!json_is_string(v))
		return -1;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(json_string_value(v), verbs[i][0]) == 0)
			return (uint8_t)verbs[i][1][0];
	return -1;
}

/*
 * The packet as zt-vl1d passes it up (VL2_RECV): the dearmored header,
 * the verb without the compression flag, the uncompressed payload.
 */
static uint8_t *
build_packet(json_t *p, int verb, size_t *len)
{
	json_t *h = json_object_get(p, "header");
	uint8_t *pl, *pkt;
	size_t plen;

	REQUIRE(h != NULL);
	pl = test_jhex(p, "dearmored_payload", &plen);
	REQUIRE((pkt = calloc(1, VL2D_PKT_IDX_PAYLOAD + plen)) != NULL);
	be64_put(pkt, strtoull(test_jstr(h, "packet_id"), NULL, 16));
	be40_put(pkt + VL2D_PKT_IDX_DEST, jaddr(h, "destination"));
	be40_put(pkt + 13, jaddr(h, "source"));
	pkt[VL2D_PKT_IDX_VERB] = (uint8_t)verb;
	memcpy(pkt + VL2D_PKT_IDX_PAYLOAD, pl, plen);
	free(pl);
	*len = VL2D_PKT_IDX_PAYLOAD + plen;
	return pkt;
}

/* the last packet sent to dest with verb since index from, or NULL */
static struct sent *
find_sent(size_t from, uint64_t dest, uint8_t verb)
{
	size_t i;

	for (i = from; i < nsent; i++)
		if (sent[i].dest == dest && sent[i].verb == verb)
			return &sent[i];
	return NULL;
}

static size_t
count_sent(size_t from, uint64_t dest, uint8_t verb)
{
	size_t i, cnt = 0;

	for (i = from; i < nsent; i++)
		if (sent[i].dest == dest && sent[i].verb == verb)
			cnt++;
	return cnt;
}

/* the next frame bob's TAP got, as an Ethernet frame */
static ssize_t
tap_next(int fd, uint8_t *b, size_t len)
{
	ssize_t r = recv(fd, b, len, MSG_DONTWAIT);

	return r == -1 && errno == EAGAIN ? 0 : r;
}

static void
check_frame(int fd, json_t *want)
{
	uint8_t b[VL2D_MAX_PACKET + 64], *dst, *src, *pl;
	size_t dl, sl, pll;
	ssize_t r;

	dst = test_jhex(want, "dest_mac", &dl);
	src = test_jhex(want, "source_mac", &sl);
	pl = test_jhex(want, "payload", &pll);
	r = tap_next(fd, b, sizeof(b));
	CHECKF(r == (ssize_t)(14 + pll), "TAP frame of %zd bytes, want %zu",
	    r, 14 + pll);
	if (r == (ssize_t)(14 + pll)) {
		CHECK_MEM(b, dst, 6, "destination MAC");
		CHECK_MEM(b + 6, src, 6, "source MAC");
		CHECK(be16_get(b + 12) == (uint16_t)test_jint(want,
		    "ethertype"));
		CHECK_MEM(b + 14, pl, pll, "frame payload");
	}
	free(dst);
	free(src);
	free(pl);
}

int
main(void)
{
	json_t *root = test_vectors_load("packets.json");
	json_t *nf, *ids, *pkts, *reasm, *frames, *p, *f;
	struct vl2d_ctx *ctx;
	struct vl2d_net *n;
	char dir[] = "/tmp/test-vl2-replay.XXXXXX";
	uint64_t nwid, bob = 0, alice = 0, ctrl;
	uint64_t seen[128];
	size_t i, k, nseen = 0, len, plen;
	uint8_t *pkt, *want, b[2048];
	int sv[2], verb;
	struct sent *s;

	REQUIRE(root != NULL);
	nf = json_object_get(root, "node_flow");
	ids = json_object_get(root, "identities");
	pkts = json_object_get(nf, "packets");
	reasm = json_object_get(nf, "reassembled_packets");
	frames = json_object_get(nf, "frames_delivered_to_virtual_ports");
	REQUIRE(json_is_array(ids) && json_is_array(pkts) &&
	    json_is_array(reasm) && json_is_array(frames));
	nwid = strtoull(test_jstr(nf, "network_id"), NULL, 16);
	ctrl = nwid >> 24;
	json_array_foreach(ids, i, p) {
		REQUIRE(nvids < MAX_IDS);
		REQUIRE(identity_from_string(&vids[nvids],
		    test_jstr(p, "public")) == 0);
		if (strcmp(test_jstr(p, "name"), "bob") == 0)
			bob = vids[nvids].address;
		if (strcmp(test_jstr(p, "name"), "alice") == 0)
			alice = vids[nvids].address;
		/* zt-vl1d knows the controller: bob talked to it first */
		known[nvids] = vids[nvids].address == ctrl;
		nvids++;
	}
	REQUIRE(bob != 0 && alice != 0);

	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE((ctx = calloc(1, sizeof(*ctx))) != NULL);
	REQUIRE((ctx->base = event_base_new()) != NULL);
	ctx->cfg.statedir = dir;
	ctx->listen_fd = -1;
	ctx->lookup.fn = lookup;
	ctx->lookup.arg = ctx;
	ctx->ids = NULL;
	now_ms = test_jint(json_array_get(pkts, 0), "t");
	vl2d_frame_init(ctx);
	/* zt-vl1d names the node at connect (VL2_PEER_EVENT SELF) */
	vl2d_nets_self(ctx, bob);
	REQUIRE(ctx->self == bob);

	/* join: the MAC is known at once, the request goes out */
	REQUIRE((n = vl2d_net_join(ctx, nwid, true)) != NULL);
	CHECK(n->mac == mac_from_address(bob, nwid));
	CHECK(n->status == VL2_STATUS_REQUESTING);
	s = find_sent(0, ctrl, VL2D_VERB_NETWORK_CONFIG_REQUEST);
	CHECK(s != NULL && s->len > 8 && be64_get(s->p) == nwid);

	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	json_array_foreach(pkts, i, p) {
		json_t *r = p;

		if (strcmp(test_jstr(p, "kind"), "packet") != 0 ||
		    json_object_get(p, "receiver") == NULL ||
		    !json_is_string(json_object_get(p, "receiver")) ||
		    strcmp(json_string_value(json_object_get(p, "receiver")),
		    "bob") != 0)
			continue;
		/* the fragmented one: its reassembled form */
		if (!json_is_string(json_object_get(p, "verb"))) {
			const char *id = test_jstr(json_object_get(p,
			    "header"), "packet_id");
			json_t *q;

			r = NULL;
			json_array_foreach(reasm, k, q)
				if (strcmp(test_jstr(q, "packet_id"), id) == 0)
					r = q;
			REQUIRE(r != NULL);
		}
		if ((verb = vl2_verb(r)) == -1)
			continue;
		/* OK and ERROR in re VL1 verbs stay in zt-vl1d */
		pkt = build_packet(r, verb, &len);
		if ((verb == VL2D_VERB_OK || verb == VL2D_VERB_ERROR) &&
		    (pkt[VL2D_PKT_IDX_PAYLOAD] & 0x1f) != 0x0b &&
		    (pkt[VL2D_PKT_IDX_PAYLOAD] & 0x1f) < 0x06) {
			free(pkt);
			continue;
		}
		/* zt-vl1d passes a packet id up once (a relayed copy is not) */
		for (k = 0; k < nseen; k++)
			if (seen[k] == be64_get(pkt))
				break;
		if (k < nseen) {
			free(pkt);
			continue;
		}
		REQUIRE(nseen < sizeof(seen) / sizeof(seen[0]));
		seen[nseen++] = be64_get(pkt);
		now_ms = test_jint(p, "t");
		vl2d_net_packet(ctx, jaddr(json_object_get(r, "header"),
		    "source"), pkt, len);
		answer_whois(ctx);
		vl2d_nets_tick(ctx, now_ms);
		free(pkt);
		/* the config is in: zt-tapd is asked for the TAP */
		if (n->tap_fd == -1 && n->tap_asked) {
			vl2d_net_tap_opened(n, sv[0], "zttest0", 7);
			CHECK(n->tap_fd == sv[0]);
		}
	}

	/* the config: revision 3, signed by the controller, ours */
	CHECK(n->status == VL2_STATUS_OK);
	REQUIRE(n->nc != NULL);
	CHECK(n->nc->revision == 3);
	CHECK(strcmp(n->nc->name, "vectors-net (rich)") == 0);
	CHECK(n->nc->issued_to == bob);
	CHECK(tap_asked >= 1);

	/* every frame 1.14.1's bob got on its port, in order */
	k = 0;
	json_array_foreach(frames, i, f) {
		if (strcmp(test_jstr(f, "delivered_to"), "bob") != 0)
			continue;
		check_frame(sv[1], f);
		k++;
	}
	CHECK(k == 4);
	CHECK(tap_next(sv[1], b, sizeof(b)) == 0);
	CHECK(n->rx_frames == 4);

	/* alice passed the gate: bob announced his groups to her */
	CHECK(find_sent(0, alice, VL2D_VERB_MULTICAST_LIKE) != NULL);
	CHECK(n->member_likes >= 1);

	/*
	 * bob's TAP hands over the echo reply 1.14.1's bob sent: his
	 * credentials go ahead of it, then the FRAME, as on the wire.
	 */
	json_array_foreach(frames, i, f) {
		uint8_t *dst, *src, *pl;
		size_t dl, sl, pll;

		if (strcmp(test_jstr(f, "delivered_to"), "alice") != 0)
			continue;
		dst = test_jhex(f, "dest_mac", &dl);
		src = test_jhex(f, "source_mac", &sl);
		pl = test_jhex(f, "payload", &pll);
		REQUIRE(14 + pll <= sizeof(b));
		memcpy(b, dst, 6);
		memcpy(b + 6, src, 6);
		be16_put(b + 12, (uint16_t)test_jint(f, "ethertype"));
		memcpy(b + 14, pl, pll);
		REQUIRE(send(sv[1], b, 14 + pll, 0) == (ssize_t)(14 + pll));
		now_ms = test_jint(f, "t");
		k = nsent;
		vl2d_frame_tap_read(n);
		free(dst);
		free(src);
		free(pl);
		break;
	}
	s = find_sent(k, alice, VL2D_VERB_FRAME);
	REQUIRE(s != NULL);
	json_array_foreach(pkts, i, p) {
		if (json_is_string(json_object_get(p, "verb")) &&
		    strcmp(test_jstr(p, "verb"), "FRAME") == 0 &&
		    strcmp(test_jstr(p, "sender"), "bob") == 0) {
			want = test_jhex(p, "dearmored_payload", &plen);
			CHECK(s->len == plen);
			if (s->len == plen)
				CHECK_MEM(s->p, want, plen, "bob's FRAME");
			free(want);
		}
	}
	/* his credentials went first, as 1.14.1 sent them, byte for byte */
	s = find_sent(k, alice, VL2D_VERB_NETWORK_CREDENTIALS);
	CHECK(s != NULL && s < find_sent(k, alice, VL2D_VERB_FRAME));
	json_array_foreach(pkts, i, p) {
		if (s != NULL && json_is_string(json_object_get(p, "verb")) &&
		    strcmp(test_jstr(p, "verb"), "NETWORK_CREDENTIALS") == 0 &&
		    strcmp(test_jstr(p, "sender"), "bob") == 0) {
			want = test_jhex(p, "dearmored_payload", &plen);
			CHECKF(s->len == plen, "credentials of %zu bytes, "
			    "want %zu", s->len, plen);
			if (s->len == plen)
				CHECK_MEM(s->p, want, plen,
				    "bob's credentials");
			free(want);
		}
	}

	/*
	 * Fast propagation (§3.7): the config again, signed by the
	 * controller in one chunk flagged 0x01 and pushed by alice, goes on
	 * unchanged to every other member bob holds a record for (carol
	 * here, made known by a push of his credentials), not back to alice
	 * and not to the controller; the same chunk again goes nowhere.
	 */
	{
		struct netconf_chunks cs;
		struct identity csec;
		uint64_t carol = 0;
		uint8_t *d, *pk;
		size_t dlen2;

		json_array_foreach(ids, i, p)
			if (strcmp(test_jstr(p, "name"), "carol") == 0)
				carol = strtoull(test_jstr(p, "address"),
				    NULL, 16);
		REQUIRE(carol != 0);
		REQUIRE(mship_push(n->ms, carol, now_ms, cred_send, ctx) ==
		    0);
		REQUIRE(mship_has_peer(n->ms, carol));
		REQUIRE(vl2_state_load(dir, nwid, &d, &dlen2) == 0);
		REQUIRE(load_secret("controller", &csec) == 0);
		REQUIRE(netconf_chunks_build(&cs, nwid, 0x1234567887654321ULL,
		    NETCONF_CHUNK_F_FAST_PROPAGATE, d, dlen2, 0) == 0);
		REQUIRE(netconf_chunks_sign(&cs, &csec) == 0);
		REQUIRE(cs.n == 1);
		REQUIRE((pk = calloc(1, VL2D_PKT_IDX_PAYLOAD +
		    cs.chunk[0].len)) != NULL);
		be64_put(pk, 0x1111222233334444ULL);
		be40_put(pk + VL2D_PKT_IDX_DEST, bob);
		be40_put(pk + 13, alice);
		pk[VL2D_PKT_IDX_VERB] = VL2D_VERB_NETWORK_CONFIG;
		memcpy(pk + VL2D_PKT_IDX_PAYLOAD, cs.chunk[0].buf,
		    cs.chunk[0].len);
		for (k = 0; k < 2; k++) {
			size_t before = nsent;

			vl2d_net_packet(ctx, alice, pk, VL2D_PKT_IDX_PAYLOAD +
			    cs.chunk[0].len);
			s = find_sent(before, carol, VL2D_VERB_NETWORK_CONFIG);
			if (k == 0) {
				CHECK(s != NULL && s->len == cs.chunk[0].len &&
				    memcmp(s->p, cs.chunk[0].buf, s->len) == 0);
				/* the OK of §3.6 answers alice */
				CHECK(find_sent(before, alice, VL2D_VERB_OK) !=
				    NULL);
			} else
				CHECK(s == NULL);
			CHECK(find_sent(before, alice,
			    VL2D_VERB_NETWORK_CONFIG) == NULL);
			CHECK(find_sent(before, ctrl,
			    VL2D_VERB_NETWORK_CONFIG) == NULL);
		}
		free(pk);
		free(d);
		netconf_chunks_free(&cs);
		identity_clear(&csec);
	}

	/*
	 * Backpressure: over zt-vl1d's high watermark the TAP is not
	 * watched and a drain stops after the frame in hand; below the low
	 * one it is watched again and the rest is read.
	 */
	CHECK(event_pending(n->ev_tap, EV_READ, NULL) != 0);
	vl2d_nets_tap_pause(ctx, true);
	CHECK(event_pending(n->ev_tap, EV_READ, NULL) == 0);
	k = nsent;
	for (i = 0; i < 3; i++)
		REQUIRE(send(sv[1], b, 14 + 84, 0) == 14 + 84);
	vl2d_frame_tap_read(n);
	CHECK(count_sent(k, alice, VL2D_VERB_FRAME) == 1);
	vl2d_nets_tap_pause(ctx, false);
	CHECK(event_pending(n->ev_tap, EV_READ, NULL) != 0);
	CHECK(event_base_loop(ctx->base, EVLOOP_NONBLOCK) == 0);
	CHECK(count_sent(k, alice, VL2D_VERB_FRAME) == 3);

	/*
	 * ERROR(AUTHENTICATION_REQUIRED) from the controller with a version
	 * 0 auth info dictionary (§3.9.1): status and URL; a dictionary
	 * length past the packet's end leaves the URL empty.
	 */
	{
		static const char dict[] = "aV=0\naU=https://sso.example/a=b\n";
		uint8_t e[VL2D_PKT_IDX_PAYLOAD + 18 + 2 + sizeof(dict)];
		size_t elen = sizeof(e) - 1;

		memset(e, 0, sizeof(e));
		be64_put(e, 0x5555666677778888ULL);
		be40_put(e + VL2D_PKT_IDX_DEST, bob);
		be40_put(e + 13, ctrl);
		e[VL2D_PKT_IDX_VERB] = VL2D_VERB_ERROR;
		e[VL2D_PKT_IDX_PAYLOAD] = VL2D_VERB_NETWORK_CONFIG_REQUEST;
		e[VL2D_PKT_IDX_PAYLOAD + 9] = VL2D_ERR_NETWORK_AUTH_REQUIRED;
		be64_put(e + VL2D_PKT_IDX_PAYLOAD + 10, nwid);
		be16_put(e + VL2D_PKT_IDX_PAYLOAD + 18, sizeof(dict) - 1);
		memcpy(e + VL2D_PKT_IDX_PAYLOAD + 20, dict, sizeof(dict) - 1);
		/* from another member: not the controller's word, ignored */
		vl2d_net_packet(ctx, alice, e, elen);
		CHECK(n->status != VL2_STATUS_AUTH_REQUIRED);
		vl2d_net_packet(ctx, ctrl, e, elen);
		CHECK(n->status == VL2_STATUS_AUTH_REQUIRED);
		CHECK(strcmp(n->auth_url, "https://sso.example/a=b") == 0);
		be16_put(e + VL2D_PKT_IDX_PAYLOAD + 18, sizeof(dict) + 40);
		vl2d_net_packet(ctx, ctrl, e, elen);
		CHECK(n->status == VL2_STATUS_AUTH_REQUIRED);
		CHECK(n->auth_url[0] == '\0');
	}

	vl2d_net_leave(ctx, nwid);
	close(sv[1]);
	for (i = 0; i < nsent; i++)
		free(sent[i].p);
	vl2_mc_free(&ctx->mc);
	event_base_free(ctx->base);
	free(ctx);
	for (i = 0; i < nvids; i++)
		identity_clear(&vids[i]);
	snprintf((char *)b, sizeof(b), "%s/networks.d", dir);
	rmdir((char *)b);
	CHECK(rmdir(dir) == 0);
	json_decref(root);
	return test_main_end();
}
