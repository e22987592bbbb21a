/*
 * World decoder (spec/vl1.md §6.1): worlds arrive in OK(HELLO) from
 * upstreams, concatenated.  Everything that decodes must re-encode to a
 * decodable world equal to itself, and the update rule must not crash.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "world.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[WORLD_MAX_SERIALIZED];
	struct world w, back, prev;
	struct wbuf b;
	struct rbuf r, rb;
	int n = 0;

	world_clear(&prev);
	rbuf_init(&r, data, size);
	while (rbuf_remaining(&r) > 0 && n++ < 8) {
		if (world_deserialize(&w, &r) == -1) {
			assert(rbuf_failed(&r));
			break;
		}
		wbuf_init(&b, out, sizeof(out));
		assert(world_serialize(&w, &b) == 0);
		rbuf_init(&rb, wbuf_data(&b), wbuf_len(&b));
		assert(world_deserialize(&back, &rb) == 0);
		assert(rbuf_done(&rb));
		assert(world_equal(&w, &back));
		(void)world_should_be_replaced_by(&prev, &w);
		prev = w;
	}
	return 0;
}
