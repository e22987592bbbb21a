/*
 * VL1 framing: LZ4 payloads, splitting into datagrams and reassembly,
 * against packets.json (cases with compression, fragmented) and synthetic
 * abuse of the reassembly budget.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "packet.h"
#include "reasm.h"
#include "test.h"

static uint8_t out[ZT_MAX_PACKET_LEN];

static void
test_compression(json_t *cases)
{
	size_t i, n = 0, plen, clen, len;
	uint8_t buf[ZT_MAX_PACKET_LEN];
	json_t *c;

	json_array_foreach(cases, i, c) {
		uint8_t *plain = test_jhex(c, "plaintext_packet", &plen);
		json_t *jc = json_object_get(c, "compressed_packet");

		if (json_is_string(jc)) {
			uint8_t *comp = test_jhex(c, "compressed_packet",
			    &clen);

			n++;
			CHECK(comp[ZT_PKT_IDX_VERB] & ZT_PKT_VERB_COMPRESSED);
			memcpy(buf, comp, clen);
			len = clen;
			CHECK(packet_uncompress(buf, &len) == 0);
			CHECK(len == plen);
			CHECK_MEM(buf, plain, plen, test_jstr(c, "name"));
			/* our encoder: compresses and round trips */
			memcpy(buf, plain, plen);
			len = plen;
			CHECK(packet_compress(buf, &len) == 1);
			CHECK(len < plen);
			CHECK(packet_uncompress(buf, &len) == 0 && len == plen);
			CHECK_MEM(buf, plain, plen, "lz4 round trip");
			/* a truncated block is refused */
			memcpy(buf, comp, clen);
			len = clen - 3;
			CHECK(packet_uncompress(buf, &len) == -1);
			free(comp);
		} else if (plen <= ZT_PKT_IDX_PAYLOAD +
		    ZT_COMPRESS_MIN_PAYLOAD) {
			/* short payloads are never compressed */
			memcpy(buf, plain, plen);
			len = plen;
			CHECK(packet_compress(buf, &len) == 0 && len == plen);
		}
		free(plain);
	}
	CHECKF(n >= 2, "compressed cases seen: %zu", n);
}

static void
test_uncompress_bombs(void)
{
	uint8_t buf[ZT_MAX_PACKET_LEN];
	size_t len, i;

	/* a block that would expand past a packet is refused */
	memset(buf, 0, sizeof(buf));
	buf[ZT_PKT_IDX_VERB] = 0x80 | 0x06;
	len = ZT_PKT_IDX_PAYLOAD;
	/* LZ4: literal token 0x1f, then one zero byte, match offset 1, long */
	buf[len++] = 0x1f;
	buf[len++] = 0x00;
	buf[len++] = 0x01;
	buf[len++] = 0x00;
	for (i = 0; i < 60; i++)
		buf[len++] = 0xff;
	buf[len++] = 0x00;
	CHECK(packet_uncompress(buf, &len) == -1);
	/* garbage */
	for (i = ZT_PKT_IDX_PAYLOAD; i < 200; i++)
		buf[i] = (uint8_t)(i * 37);
	len = 200;
	CHECK(packet_uncompress(buf, &len) == -1);
	len = 10;
	CHECK(packet_uncompress(buf, &len) == -1);
}

static void
test_fragmented(json_t *frags)
{
	struct packet_piece pieces[ZT_MAX_FRAGMENTS];
	struct packet_fragbuf fb;
	struct reasm *r;
	uint8_t dg[ZT_MAX_PACKET_LEN];
	size_t i, k, wlen, dlen, outlen;
	json_t *f, *dgs;
	int npieces, rc;

	json_array_foreach(frags, i, f) {
		uint8_t *wire = test_jhex(f, "wire", &wlen);
		size_t mtu = (size_t)test_jint(f, "physical_mtu");
		long long total = test_jint(f, "total_fragments");

		dgs = json_object_get(f, "wire_datagrams");
		REQUIRE(json_is_array(dgs));
		CHECK(packet_fragmented(wire));
		npieces = packet_split(wire, wlen, mtu, &fb, pieces);
		CHECK(npieces == total);
		CHECK(json_array_size(dgs) == (size_t)total);
		/* our split gives the very datagrams 1.14.1 sent */
		for (k = 0; k < (size_t)npieces && k < json_array_size(dgs);
		    k++) {
			uint8_t *want = test_hex(json_string_value(
			    json_array_get(dgs, k)), &dlen);
			size_t hl = pieces[k].hdr ? ZT_FRAGMENT_HEADER_LEN : 0;

			CHECK(hl + pieces[k].len == dlen);
			if (hl)
				CHECK_MEM(pieces[k].hdr, want, hl, "frag hdr");
			if (hl + pieces[k].len == dlen)
				CHECK_MEM(pieces[k].data, want + hl,
				    pieces[k].len, "piece data");
			CHECK(packet_classify(want, dlen) == (k == 0 ?
			    PACKET_KIND_PACKET : PACKET_KIND_FRAGMENT));
			free(want);
		}

		/* reassemble head first, then fragments last-to-first */
		for (int order = 0; order < 2; order++) {
			r = reasm_new(8, 4, 5000);
			REQUIRE(r != NULL);
			rc = 0;
			for (k = 0; k < json_array_size(dgs); k++) {
				size_t idx = order == 0 ? k :
				    json_array_size(dgs) - 1 - k;
				uint8_t *d = test_hex(json_string_value(
				    json_array_get(dgs, idx)), &dlen);

				memcpy(dg, d, dlen);
				free(d);
				rc = idx == 0 ?
				    reasm_head(r, "A", 1, dg, dlen, 1, out,
				    &outlen) :
				    reasm_fragment(r, "A", 1, dg, dlen, 1, out,
				    &outlen);
				if (k + 1 < json_array_size(dgs))
					CHECK(rc == 0);
			}
			CHECK(rc == 1);
			CHECK(outlen == wlen);
			CHECK_MEM(out, wire, wlen, "reassembled wire");
			reasm_free(r);
		}
		free(wire);
	}
}

/* builds a fragment datagram: id, piece n of total, payload bytes */
static size_t
mkfrag(uint8_t *p, uint64_t id, unsigned int n, unsigned int total,
    size_t paylen)
{
	be64_put(p, id);
	be40_put(p + 8, 0x1122334455ULL);
	p[13] = 0xff;
	p[14] = (uint8_t)(total << 4 | n);
	p[15] = 0;
	memset(p + 16, (int)n, paylen);
	return 16 + paylen;
}

static size_t
mkhead(uint8_t *p, uint64_t id, size_t len)
{
	memset(p, 0xab, len);
	be64_put(p, id);
	p[ZT_PKT_IDX_FLAGS] = ZT_PKT_FLAG_FRAGMENTED | 0x08;
	p[ZT_PKT_IDX_SOURCE] = 0x01;
	return len;
}

static void
test_budgets(void)
{
	struct reasm_stats st;
	struct reasm *r;
	uint8_t p[ZT_MAX_PACKET_LEN];
	size_t len, outlen;
	uint64_t id;

	/* invalid counts and indexes */
	r = reasm_new(4, 2, 1000);
	len = mkfrag(p, 1, 0, 3, 10);
	CHECK(reasm_fragment(r, "a", 1, p, len, 0, out, &outlen) == -1);
	len = mkfrag(p, 1, 3, 3, 10);
	CHECK(reasm_fragment(r, "a", 1, p, len, 0, out, &outlen) == -1);
	len = mkfrag(p, 1, 1, 1, 10);
	CHECK(reasm_fragment(r, "a", 1, p, len, 0, out, &outlen) == -1);
	len = mkfrag(p, 1, 1, 8, 10);
	CHECK(reasm_fragment(r, "a", 1, p, len, 0, out, &outlen) == -1);
	CHECK(reasm_fragment(r, "a", 1, p, 16, 0, out, &outlen) == -1);
	len = mkhead(p, 1, 100);
	p[ZT_PKT_IDX_FLAGS] = 0;	/* a head must carry the flag */
	CHECK(reasm_head(r, "a", 1, p, len, 0, out, &outlen) == -1);
	reasm_get_stats(r, &st);
	CHECK(st.invalid == 6 && st.sets == 0);

	/* duplicates are ignored; inconsistent totals kill the set */
	len = mkfrag(p, 2, 1, 3, 10);
	CHECK(reasm_fragment(r, "a", 1, p, len, 0, out, &outlen) == 0);
	CHECK(reasm_fragment(r, "a", 1, p, len, 0, out, &outlen) == 0);
	len = mkfrag(p, 2, 2, 4, 10);
	CHECK(reasm_fragment(r, "a", 1, p, len, 0, out, &outlen) == -1);
	reasm_get_stats(r, &st);
	CHECK(st.duplicates == 1 && st.sets == 0 && st.bytes == 0);

	/* one source floods: it only recycles its own two sets */
	len = mkfrag(p, 100, 1, 2, 10);
	CHECK(reasm_fragment(r, "good", 4, p, len, 0, out, &outlen) == 0);
	for (id = 1000; id < 1100; id++) {
		len = mkfrag(p, id, 1, 2, 10);
		CHECK(reasm_fragment(r, "evil", 4, p, len, 1, out,
		    &outlen) == 0);
	}
	reasm_get_stats(r, &st);
	CHECK(st.sets == 3 && st.evicted == 98);
	len = mkhead(p, 100, 50);
	CHECK(reasm_head(r, "good", 4, p, len, 2, out, &outlen) == 1);
	CHECK(outlen == 60 && out[59] == 1 && out[0] == 0);

	/* sets expire */
	len = mkfrag(p, 7, 1, 2, 10);
	CHECK(reasm_fragment(r, "x", 1, p, len, 10, out, &outlen) == 0);
	reasm_expire(r, 2000);
	reasm_get_stats(r, &st);
	CHECK(st.sets == 0 && st.bytes == 0 && st.expired == 3);
	len = mkhead(p, 7, 50);
	CHECK(reasm_head(r, "x", 1, p, len, 2001, out, &outlen) == 0);

	/* an assembled packet over the maximum is dropped */
	len = mkhead(p, 9, ZT_MAX_PACKET_LEN);
	CHECK(reasm_head(r, "y", 1, p, len, 2001, out, &outlen) == 0);
	len = mkfrag(p, 9, 1, 2, 100);
	CHECK(reasm_fragment(r, "y", 1, p, len, 2001, out, &outlen) == -1);
	reasm_free(r);

	CHECK(reasm_new(0, 1, 1) == NULL);
}

static void
test_classify(void)
{
	uint8_t p[ZT_MAX_PACKET_LEN + 1];
	struct packet_piece pieces[ZT_MAX_FRAGMENTS];
	struct packet_fragbuf fb;

	memset(p, 0, sizeof(p));
	CHECK(packet_classify(p, 4) == PACKET_KIND_JUNK);
	CHECK(packet_classify(p, 13) == PACKET_KIND_BEACON);
	CHECK(packet_classify(p, 27) == PACKET_KIND_JUNK);
	CHECK(packet_classify(p, 28) == PACKET_KIND_PACKET);
	CHECK(packet_classify(p, ZT_MAX_PACKET_LEN + 1) == PACKET_KIND_JUNK);
	p[13] = 0xff;
	CHECK(packet_classify(p, 17) == PACKET_KIND_FRAGMENT);
	CHECK(packet_classify(p, 16) == PACKET_KIND_JUNK);
	p[18] = 0x88 | 0x40 | 0x03;
	CHECK(packet_cipher(p) == 1 && packet_hops(p) == 3 &&
	    packet_fragmented(p));
	/* more than 7 pieces cannot be sent */
	CHECK(packet_split(p, 1432 + 6 * 1416, 1432, &fb, pieces) == 7);
	CHECK(packet_split(p, 1432 + 6 * 1416 + 1, 1432, &fb, pieces) == -1);
	CHECK(packet_split(p, 20, 1432, &fb, pieces) == -1);
}

int
main(void)
{
	json_t *v = test_vectors_load("packets.json");

	test_compression(json_object_get(v, "cases"));
	test_uncompress_bombs();
	test_fragmented(json_object_get(v, "fragmented"));
	test_budgets();
	test_classify();
	json_decref(v);
	return test_main_end();
}
