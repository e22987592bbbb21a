/*
 * InetAddress wire decoder and text parsers (spec/vl1.md §2.10): the
 * wire form comes from HELLO, OK(HELLO), worlds and network configs;
 * the text form from files and zt-ctl.  Whatever decodes round-trips.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "inetaddr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_text(const uint8_t *data, size_t size)
{
	char in[128], s[INETADDR_STRLEN];
	struct inetaddr a, b, n;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	if (inetaddr_parse(&a, in) == 0) {
		inetaddr_fmt(&a, s);
		assert(inetaddr_parse(&b, s) == 0);
		assert(inetaddr_equal(&a, &b));
		(void)inetaddr_scope(&a);
		(void)inetaddr_valid_for_path(&a);
	}
	if (inetaddr_parse_cidr(&n, in) == 0) {
		assert(inetaddr_netmask_bits(&n) == n.port);
		inetaddr_network(&n, &b);
		assert(inetaddr_contains(&n, &b));
		assert(inetaddr_contains(&b, &n));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[INETADDR_WIRE_MAX];
	struct inetaddr a, back;
	struct rbuf r, rb;
	struct wbuf w;

	rbuf_init(&r, data, size);
	while (rbuf_remaining(&r) > 0) {
		if (inetaddr_deserialize(&a, &r) == -1) {
			assert(rbuf_failed(&r) && inetaddr_is_nil(&a));
			break;
		}
		wbuf_init(&w, out, sizeof(out));
		assert(inetaddr_serialize(&a, &w) == 0);
		assert(wbuf_len(&w) == inetaddr_wire_len(&a));
		rbuf_init(&rb, out, wbuf_len(&w));
		assert(inetaddr_deserialize(&back, &rb) == 0 &&
		    rbuf_done(&rb));
		assert(inetaddr_equal(&a, &back));
	}
	fuzz_text(data, size);
	return 0;
}
