/*
 * Identity parsers: the text form (identity.public/.secret, command-line
 * arguments) and the binary form (HELLO, OK(WHOIS), worlds).  The first
 * byte picks the parser.  Whatever parses must format and parse back to
 * the same identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "identity.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_text(const uint8_t *data, size_t len)
{
	char s[512], out[IDENTITY_STRING_MAX];
	struct identity a, b;
	bool priv;

	if (len >= sizeof(s))
		len = sizeof(s) - 1;
	memcpy(s, data, len);
	s[len] = '\0';
	if (identity_from_string(&a, s) == -1) {
		if (a.priv != NULL || a.address != 0)
			abort();
		return;
	}
	if (zt_address_reserved(a.address))
		abort();
	priv = identity_has_private(&a);
	if (identity_to_string(&a, priv, out, sizeof(out)) == -1)
		abort();
	if (identity_from_string(&b, out) == -1 ||
	    !identity_equal_public(&a, &b) ||
	    identity_has_private(&b) != priv ||
	    (priv && memcmp(a.priv, b.priv, C25519_PRIVATE_LEN) != 0))
		abort();
	identity_clear(&a);
	identity_clear(&b);
}

static void
fuzz_binary(const uint8_t *data, size_t len)
{
	uint8_t out[200];
	struct identity a;
	struct rbuf r;
	struct wbuf w;
	size_t used;

	rbuf_init(&r, data, len);
	if (identity_deserialize(&a, &r) == -1) {
		if (!rbuf_failed(&r) || a.priv != NULL)
			abort();
		return;
	}
	used = len - rbuf_remaining(&r);
	wbuf_init(&w, out, sizeof(out));
	if (identity_serialize(&a, identity_has_private(&a), &w) == -1 ||
	    wbuf_len(&w) != used || memcmp(out, data, used) != 0)
		abort();
	identity_clear(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len == 0)
		return 0;
	if (data[0] & 1)
		fuzz_binary(data + 1, len - 1);
	else
		fuzz_text(data + 1, len - 1);
	return 0;
}
