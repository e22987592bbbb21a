/*
 * NETWORK_CONFIG_REQUEST payload (spec/vl2.md §3.5), as the controller
 * receives it: whatever parses re-encodes to a payload that parses to
 * the same fields, and its metadata reads as a dictionary.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "netconf_chunk.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[10 + 65535 + 16];
	struct netconf_request q, back;
	struct dict meta, copy;
	struct rbuf r;
	struct wbuf w;

	rbuf_init(&r, data, size);
	if (netconf_request_parse(&q, &r) == -1)
		return 0;
	assert(rbuf_done(&r));
	assert(q.meta_len <= size - 10);
	dict_view(&meta, q.meta, q.meta_len, DICT_CAP_REQ_META);
	(void)dict_get_u64(&meta, "revr", 0);
	(void)dict_get_bool(&meta, "a", false);
	/* the controller keeps what fits its 1024-byte dictionary */
	dict_init(&copy, DICT_CAP_REQ_META);
	if (dict_load(&copy, q.meta, q.meta_len, DICT_CAP_REQ_META) == 0) {
		wbuf_init(&w, out, sizeof(out));
		assert(netconf_request_build(&w, q.nwid, &copy, q.revision,
		    q.timestamp) == 0);
		rbuf_init(&r, out, wbuf_len(&w));
		assert(netconf_request_parse(&back, &r) == 0);
		assert(back.nwid == q.nwid && back.revision == q.revision &&
		    back.timestamp == q.timestamp);
		assert(back.meta_len == dict_len(&copy));
		assert(memcmp(back.meta, dict_data(&copy),
		    back.meta_len) == 0);
	}
	dict_free(&copy);
	return 0;
}
