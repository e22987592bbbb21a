/*
 * Config chunks and their reassembly (spec/vl2.md §3.7) and the config
 * request payload (§3.5): chunks built and signed here reassemble in any
 * order; duplicates, bad signatures, an unknown controller, foreign and
 * oversized chunks, the legacy form and the three-slot eviction behave
 * as in 1.14.1.  Then the controller side of packets.json node_flow:
 * every NETWORK_CONFIG_REQUEST there parses to the recorded metadata,
 * and every recorded OK(NETWORK_CONFIG_REQUEST) chunk reassembles and
 * verifies under the controller's identity into the config the member
 * reported.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dictionary.h"
#include "fixtures.h"
#include "netconf.h"
#include "netconf_chunk.h"
#include "test.h"

#define NWID	0x9d3dee1129000001ULL

static struct identity ctrl_pub, ctrl_sec, alice_sec;

static void
load_identities(json_t *packets)
{
	json_t *ids = json_object_get(packets, "identities");

	test_identity_named(ids, "controller", "public", &ctrl_pub);
	test_identity_named(ids, "controller", "secret", &ctrl_sec);
	test_identity_named(ids, "alice", "secret", &alice_sec);
	REQUIRE(identity_has_private(&ctrl_sec));
	REQUIRE(identity_has_private(&alice_sec));
}

static uint8_t *
make_dict(size_t len)
{
	uint8_t *p = malloc(len);
	size_t i;

	REQUIRE(p != NULL);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)('a' + i % 26);
	return p;
}

static enum netconf_asm_result
feed(struct netconf_asm *a, const uint8_t *p, size_t len,
    const struct identity *ctrl, const uint8_t **out, size_t *olen)
{
	struct netconf_chunk c;
	struct rbuf r;
	uint64_t upd;

	rbuf_init(&r, p, len);
	REQUIRE(netconf_chunk_parse(&c, &r) == 0);
	return netconf_asm_add(a, &c, ctrl_pub.address, 1, ctrl, out, olen,
	    &upd);
}

static void
test_roundtrip(void)
{
	const size_t len = 30000;
	uint8_t *d = make_dict(len);
	struct netconf_chunks cs;
	struct netconf_asm a;
	const uint8_t *out = NULL;
	size_t olen = 0, i;
	enum netconf_asm_result r;

	REQUIRE(netconf_chunks_build(&cs, NWID, 0x1234, 0, d, len, 0) == 0);
	CHECK(cs.n == 4);
	CHECK(!netconf_chunks_complete(&cs));
	REQUIRE(netconf_chunks_sign(&cs, &ctrl_sec) == 0);
	CHECK(netconf_chunks_complete(&cs));
	for (i = 0; i < cs.n; i++) {
		uint64_t nw = 0;
		size_t mlen;
		const uint8_t *m = netconf_chunks_message(&cs, i, &mlen);

		CHECK(mlen == cs.chunk[i].len - NETCONF_CHUNK_SIG_LEN);
		CHECK(netconf_chunk_message_check(m, mlen, &nw) == 0);
		CHECK(nw == NWID);
		/* one byte more or less is not a chunk message */
		CHECK(netconf_chunk_message_check(m, mlen - 1, &nw) == -1);
		CHECK(netconf_chunk_message_check(m, mlen + 1, &nw) == -1);
		CHECK(cs.chunk[i].len <= NETCONF_CHUNK_WIRE_MAX);
	}

	/* backwards: the last chunk completes it */
	netconf_asm_init(&a, NWID);
	for (i = cs.n; i-- > 0;) {
		r = feed(&a, cs.chunk[i].buf, cs.chunk[i].len, &ctrl_pub,
		    &out, &olen);
		CHECKF(r == (i == 0 ? NETCONF_ASM_DONE : NETCONF_ASM_MORE),
		    "chunk %zu: %s", i, netconf_asm_result_str(r));
	}
	CHECK(olen == len);
	if (out != NULL && olen == len) {
		CHECK_MEM(out, d, len, "reassembled");
		CHECK(out[len] == 0);
	}
	/* the same chunk again is a duplicate */
	r = feed(&a, cs.chunk[1].buf, cs.chunk[1].len, &ctrl_pub, &out,
	    &olen);
	CHECK(r == NETCONF_ASM_DUPLICATE);
	netconf_asm_free(&a);

	/* signature checks */
	netconf_asm_init(&a, NWID);
	CHECK(feed(&a, cs.chunk[0].buf, cs.chunk[0].len, NULL, &out,
	    &olen) == NETCONF_ASM_NO_CONTROLLER);
	CHECK(feed(&a, cs.chunk[0].buf, cs.chunk[0].len, &alice_sec, &out,
	    &olen) == NETCONF_ASM_NO_CONTROLLER);
	cs.chunk[0].buf[20] ^= 1;
	CHECK(feed(&a, cs.chunk[0].buf, cs.chunk[0].len, &ctrl_pub, &out,
	    &olen) == NETCONF_ASM_BAD_SIGNATURE);
	cs.chunk[0].buf[20] ^= 1;
	cs.chunk[0].buf[cs.chunk[0].len - 1] ^= 1;
	CHECK(feed(&a, cs.chunk[0].buf, cs.chunk[0].len, &ctrl_pub, &out,
	    &olen) == NETCONF_ASM_BAD_SIGNATURE);
	cs.chunk[0].buf[cs.chunk[0].len - 1] ^= 1;
	/* a failed chunk left no trace: the good one is not a duplicate */
	CHECK(feed(&a, cs.chunk[0].buf, cs.chunk[0].len, &ctrl_pub, &out,
	    &olen) == NETCONF_ASM_MORE);
	netconf_asm_free(&a);

	/* another network's assembler refuses it */
	netconf_asm_init(&a, NWID + 1);
	CHECK(feed(&a, cs.chunk[0].buf, cs.chunk[0].len, &ctrl_pub, &out,
	    &olen) == NETCONF_ASM_WRONG_NETWORK);
	netconf_asm_free(&a);

	/* signed by someone other than the controller */
	netconf_chunks_free(&cs);
	REQUIRE(netconf_chunks_build(&cs, NWID, 0x99, 1, d, 100, 0) == 0);
	REQUIRE(netconf_chunks_sign(&cs, &alice_sec) == 0);
	netconf_asm_init(&a, NWID);
	CHECK(feed(&a, cs.chunk[0].buf, cs.chunk[0].len, &ctrl_pub, &out,
	    &olen) == NETCONF_ASM_BAD_SIGNATURE);
	netconf_asm_free(&a);
	netconf_chunks_free(&cs);

	/* builder refusals */
	CHECK(netconf_chunks_build(&cs, NWID, 0, 0, d, 100, 0) == -1);
	CHECK(netconf_chunks_build(&cs, NWID, 1, 0, d, 0, 0) == -1);
	CHECK(netconf_chunks_build(&cs, NWID, 1, 0, d, DICT_CAP_NETCONF,
	    0) == -1);
	free(d);
}

/* a hand-made chunk with chosen header fields, signed by the controller */
static size_t
raw_chunk(uint8_t *buf, size_t cap, uint64_t nwid, const uint8_t *data,
    uint16_t n, uint8_t flags, uint64_t upd, uint32_t total, uint32_t index,
    uint8_t sigtype, uint16_t siglen)
{
	uint8_t sig[ZT_SIGNATURE_LEN];
	struct wbuf w;
	size_t signed_len;

	wbuf_init(&w, buf, cap);
	wbuf_put_u64(&w, nwid);
	wbuf_put_u16(&w, n);
	wbuf_put_bytes(&w, data, n);
	wbuf_put_u8(&w, flags);
	wbuf_put_u64(&w, upd);
	wbuf_put_u32(&w, total);
	wbuf_put_u32(&w, index);
	signed_len = wbuf_len(&w);
	REQUIRE(identity_sign(&ctrl_sec, buf, signed_len, sig) == 0);
	wbuf_put_u8(&w, sigtype);
	wbuf_put_u16(&w, siglen);
	wbuf_put_bytes(&w, sig, ZT_SIGNATURE_LEN);
	REQUIRE(!wbuf_failed(&w));
	return wbuf_len(&w);
}

static bool
parses(const uint8_t *p, size_t len)
{
	struct netconf_chunk c;
	struct rbuf r;

	rbuf_init(&r, p, len);
	return netconf_chunk_parse(&c, &r) == 0;
}

static void
test_limits(void)
{
	static uint8_t buf[NETCONF_CHUNK_WIRE_MAX + 64];
	const uint8_t data[4] = { 'a', '=', 'b', '\n' };
	struct netconf_asm a;
	const uint8_t *out;
	size_t n, olen, i;
	enum netconf_asm_result r;

	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7, 4, 0, 1, 96);
	CHECK(parses(buf, n));
	/* every truncation fails, except down to the legacy form */
	for (i = 0; i < n; i++)
		CHECK(parses(buf, i) == (i == 14));
	/* bytes after the signature are ignored */
	CHECK(parses(buf, n + 3));
	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7, 4, 0, 2, 96);
	CHECK(!parses(buf, n));
	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7, 4, 0, 1, 95);
	CHECK(!parses(buf, n));
	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7, 3, 0, 1, 96);
	CHECK(!parses(buf, n));
	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7, 8, 5, 1, 96);
	CHECK(!parses(buf, n));
	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7,
	    DICT_CAP_NETCONF, 0, 1, 96);
	CHECK(!parses(buf, n));
	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7,
	    DICT_CAP_NETCONF - 1, DICT_CAP_NETCONF - 5, 1, 96);
	CHECK(parses(buf, n));
	/* index near 2^32 must not wrap */
	n = raw_chunk(buf, sizeof(buf), NWID, data, 4, 0, 7, 100,
	    0xfffffffe, 1, 96);
	CHECK(!parses(buf, n));

	/*
	 * A slot takes at most 474 chunks: 475 one-byte chunks of a
	 * 480-byte total never complete.
	 */
	netconf_asm_init(&a, NWID);
	for (i = 0; i <= NETCONF_ASM_MAX_CHUNKS; i++) {
		n = raw_chunk(buf, sizeof(buf), NWID, data, 1, 0, 9, 480,
		    (uint32_t)i, 1, 96);
		r = feed(&a, buf, n, &ctrl_pub, &out, &olen);
		if (i < NETCONF_ASM_MAX_CHUNKS)
			CHECK(r == NETCONF_ASM_MORE);
		else
			CHECKF(r == NETCONF_ASM_TOO_MANY, "%s",
			    netconf_asm_result_str(r));
	}
	netconf_asm_free(&a);
}

static void
test_slots_and_legacy(void)
{
	static uint8_t b[4][256];
	const uint8_t x[2] = { 'x', '=' }, y[2] = { '1', '\n' };
	size_t n[4];
	struct netconf_asm a;
	struct netconf_chunk c;
	struct rbuf r;
	const uint8_t *out = NULL;
	size_t olen = 0;
	uint64_t upd = 0;
	int u;

	/* first halves of updates 1..4: the fourth evicts update 1 */
	netconf_asm_init(&a, NWID);
	for (u = 0; u < 4; u++) {
		n[u] = raw_chunk(b[u], sizeof(b[u]), NWID, x, 2, 0,
		    (uint64_t)u + 1, 4, 0, 1, 96);
		CHECK(feed(&a, b[u], n[u], &ctrl_pub, &out, &olen) ==
		    NETCONF_ASM_MORE);
	}
	/* update 1 starts over: its first half is new again */
	CHECK(feed(&a, b[0], n[0], &ctrl_pub, &out, &olen) ==
	    NETCONF_ASM_MORE);
	/* update 2 was evicted by that; update 4 still completes */
	n[1] = raw_chunk(b[1], sizeof(b[1]), NWID, y, 2, 0, 4, 4, 2, 1, 96);
	CHECK(feed(&a, b[1], n[1], &ctrl_pub, &out, &olen) ==
	    NETCONF_ASM_DONE);
	CHECK(olen == 4 && memcmp(out, "x=1\n", 4) == 0);
	CHECK(feed(&a, b[3], n[3], &ctrl_pub, &out, &olen) ==
	    NETCONF_ASM_DUPLICATE);
	netconf_asm_free(&a);

	/* legacy: nwid, length, data, nothing else */
	memcpy(b[0], "\x9d\x3d\xee\x11\x29\x00\x00\x01\x00\x04x=1\n", 14);
	rbuf_init(&r, b[0], 14);
	REQUIRE(netconf_chunk_parse(&c, &r) == 0);
	CHECK(c.legacy && c.total == 4 && c.index == 0);
	netconf_asm_init(&a, NWID);
	CHECK(netconf_asm_add(&a, &c, alice_sec.address, 77, &ctrl_pub, &out,
	    &olen, &upd) == NETCONF_ASM_NOT_CONTROLLER);
	CHECK(netconf_asm_add(&a, &c, ctrl_pub.address, 77, NULL, &out,
	    &olen, &upd) == NETCONF_ASM_DONE);
	CHECK(upd == 77 && olen == 4);
	CHECK(!netconf_asm_should_forward(NETCONF_ASM_DONE, &c));
	netconf_asm_free(&a);

	/* fast propagation only for verified signed chunks with the flag */
	n[0] = raw_chunk(b[0], sizeof(b[0]), NWID, x, 2,
	    NETCONF_CHUNK_F_FAST_PROPAGATE, 5, 4, 0, 1, 96);
	rbuf_init(&r, b[0], n[0]);
	REQUIRE(netconf_chunk_parse(&c, &r) == 0);
	CHECK(c.raw_len == n[0] && c.raw == b[0]);
	CHECK(netconf_asm_should_forward(NETCONF_ASM_MORE, &c));
	CHECK(!netconf_asm_should_forward(NETCONF_ASM_BAD_SIGNATURE, &c));
	CHECK(!netconf_asm_should_forward(NETCONF_ASM_DUPLICATE, &c));
}

static void
test_request(void)
{
	uint8_t buf[2048];
	struct netconf_request q;
	struct dict meta, view;
	struct wbuf w;
	struct rbuf r;

	dict_init(&meta, DICT_CAP_REQ_META);
	REQUIRE(netconf_request_meta_default(&meta, "linux/x86_64") == 0);
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(netconf_request_build(&w, NWID, &meta, 3, 1234) == 0);
	rbuf_init(&r, buf, wbuf_len(&w));
	REQUIRE(netconf_request_parse(&q, &r) == 0);
	CHECK(q.nwid == NWID && q.revision == 3 && q.timestamp == 1234);
	dict_view(&view, q.meta, q.meta_len, DICT_CAP_REQ_META);
	CHECK(dict_get_u64(&view, "revr", 0) == 1);
	CHECK(dict_get_u64(&view, "mr", 0) == 1024);
	/* without revision and timestamp */
	rbuf_init(&r, buf, wbuf_len(&w) - 16);
	CHECK(netconf_request_parse(&q, &r) == 0 && q.revision == 0);
	/* nwid alone, or a metadata length beyond the payload: refused */
	rbuf_init(&r, buf, 8);
	CHECK(netconf_request_parse(&q, &r) == -1);
	rbuf_init(&r, buf, 10 + q.meta_len - 1);
	CHECK(netconf_request_parse(&q, &r) == -1);
	dict_free(&meta);
}

/* node_flow: requests to the controller and its chunked replies */
static void
test_node_flow(json_t *packets)
{
	json_t *nf = json_object_get(packets, "node_flow");
	json_t *seen = json_object_get(nf, "controller_requests_seen");
	json_t *cbs = json_object_get(nf, "virtual_network_config_callbacks");
	json_t *p, *cb;
	size_t i, j, nreq = 0, nok = 0, ndone = 0;

	REQUIRE(nf != NULL && seen != NULL && cbs != NULL);
	json_array_foreach(json_object_get(nf, "packets"), i, p) {
		const char *verb, *in_re;
		uint8_t *pl;
		size_t plen;
		struct rbuf r;

		if (strcmp(test_jstr(p, "kind"), "packet") != 0)
			continue;
		/* packets that do not dearmor carry no verb */
		if ((verb = json_string_value(json_object_get(p,
		    "verb"))) == NULL)
			continue;
		in_re = json_string_value(json_object_get(p, "in_re_verb"));
		if (strcmp(verb, "NETWORK_CONFIG_REQUEST") == 0) {
			struct netconf_request q;
			json_t *s;
			const char *md;
			bool match = false;

			pl = test_jhex(p, "dearmored_payload", &plen);
			rbuf_init(&r, pl, plen);
			CHECK(netconf_request_parse(&q, &r) == 0);
			CHECK(q.nwid == strtoull(test_jstr(nf, "network_id"),
			    NULL, 16));
			CHECK(q.revision == 0 && q.timestamp == 0);
			json_array_foreach(seen, j, s) {
				md = test_jstr(s, "request_metadata");
				if (strlen(md) == q.meta_len &&
				    memcmp(md, q.meta, q.meta_len) == 0)
					match = true;
			}
			CHECKF(match, "request seq %lld metadata",
			    test_jint(p, "seq"));
			nreq++;
			free(pl);
		} else if (strcmp(verb, "OK") == 0 && in_re != NULL &&
		    strcmp(in_re, "NETWORK_CONFIG_REQUEST") == 0) {
			struct netconf_chunk c;
			struct netconf_asm a;
			struct netconf *nc;
			struct dict d;
			const uint8_t *out = NULL;
			size_t olen = 0;
			uint64_t upd = 0, pid;
			uint8_t v;
			enum netconf_asm_result res;
			const char *to = test_jstr(p, "receiver");

			pl = test_jhex(p, "dearmored_payload", &plen);
			rbuf_init(&r, pl, plen);
			rbuf_get_u8(&r, &v);
			rbuf_get_u64(&r, &pid);
			CHECK(v == 0x0b);
			CHECK(netconf_chunk_parse(&c, &r) == 0);
			CHECK(!c.legacy && c.index == 0 && c.len == c.total);
			netconf_asm_init(&a, c.nwid);
			res = netconf_asm_add(&a, &c, ctrl_pub.address, pid,
			    &ctrl_pub, &out, &olen, &upd);
			CHECKF(res == NETCONF_ASM_DONE, "seq %lld: %s",
			    test_jint(p, "seq"), netconf_asm_result_str(res));
			/* a tampered copy of the same chunk does not verify */
			pl[9 + 10 + 5] ^= 0x20;
			netconf_asm_free(&a);
			netconf_asm_init(&a, c.nwid);
			rbuf_init(&r, pl + 9, plen - 9);
			CHECK(netconf_chunk_parse(&c, &r) == 0);
			CHECK(netconf_asm_add(&a, &c, ctrl_pub.address, pid,
			    &ctrl_pub, &out, &olen, &upd) ==
			    NETCONF_ASM_BAD_SIGNATURE);
			pl[9 + 10 + 5] ^= 0x20;
			rbuf_init(&r, pl + 9, plen - 9);
			CHECK(netconf_chunk_parse(&c, &r) == 0);
			res = netconf_asm_add(&a, &c, ctrl_pub.address, pid,
			    &ctrl_pub, &out, &olen, &upd);
			REQUIRE(res == NETCONF_ASM_DONE);
			CHECK(upd == c.update_id);
			nc = netconf_new();
			REQUIRE(nc != NULL);
			dict_view(&d, out, olen, DICT_CAP_NETCONF);
			CHECK(netconf_decode(nc, &d) == 0);
			CHECK(nc->nwid == c.nwid);
			/* what the member reported once it applied it */
			json_array_foreach(cbs, j, cb) {
				if (strcmp(test_jstr(cb, "node"), to) != 0 ||
				    test_jint(cb, "op") != 2)
					continue;
				CHECK(strcmp(nc->name,
				    test_jstr(cb, "name")) == 0);
				CHECK(nc->revision ==
				    (uint64_t)test_jint(cb,
				    "netconf_revision"));
				CHECK(nc->nstatic_ips ==
				    (size_t)test_jint(cb,
				    "assigned_address_count"));
			}
			ndone++;
			netconf_free(nc);
			netconf_asm_free(&a);
			nok++;
			free(pl);
		}
	}
	CHECK(nreq == 3);
	CHECK(nok == 3 && ndone == 3);
}

int
main(void)
{
	json_t *packets = test_vectors_load("packets.json");

	REQUIRE(packets != NULL);
	load_identities(packets);
	test_roundtrip();
	test_limits();
	test_slots_and_legacy();
	test_request();
	test_node_flow(packets);
	identity_clear(&ctrl_pub);
	identity_clear(&ctrl_sec);
	identity_clear(&alice_sec);
	json_decref(packets);
	return test_main_end();
}
