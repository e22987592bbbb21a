/*
 * Tag decoder (spec/vl2.md §6).  Credentials arrive back
 * to back in NETWORK_CREDENTIALS and network configs.  Whatever decodes
 * must re-encode to bytes that decode to an equal credential and
 * re-encode identically.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "credential.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tag c, back;
	static uint8_t out[TAG_WIRE_MAX], again[TAG_WIRE_MAX];
	static uint8_t msg[TAG_WIRE_MAX + 16];
	struct wbuf w, w2, wm;
	struct rbuf r, rb;
	int n = 0;

	rbuf_init(&r, data, size);
	while (rbuf_remaining(&r) > 0 && n++ < 8) {
		if (tag_deserialize(&c, &r) == -1) {
			assert(rbuf_failed(&r));
			break;
		}
		wbuf_init(&w, out, sizeof(out));
		assert(tag_serialize(&c, &w) == 0);
		rbuf_init(&rb, out, wbuf_len(&w));
		assert(tag_deserialize(&back, &rb) == 0 && rbuf_done(&rb));
		assert(tag_equal(&c, &back));
		wbuf_init(&w2, again, sizeof(again));
		assert(tag_serialize(&back, &w2) == 0);
		assert(wbuf_len(&w) == wbuf_len(&w2) &&
		    memcmp(out, again, wbuf_len(&w)) == 0);
		wbuf_init(&wm, msg, sizeof(msg));
		assert(tag_signed_message(&c, &wm) == 0);
		assert(tag_verify(&c, NULL) != CRED_VERIFY_OK);
	}
	return 0;
}
