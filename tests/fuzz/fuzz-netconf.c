/*
 * Network config decoder.  A config that decodes must encode, and the
 * encoding must be a fixed point: decoding it again and re-encoding
 * gives the same bytes (what a member saves to networks.d and reloads).
 */
#include <stdlib.h>
#include <string.h>

#include "dictionary.h"
#include "netconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct netconf *fuzz_nc;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dict in, one, two;

	if (fuzz_nc == NULL && (fuzz_nc = netconf_new()) == NULL)
		abort();
	dict_view(&in, data, size, DICT_CAP_NETCONF);
	if (netconf_decode(fuzz_nc, &in) == -1)
		return 0;
	dict_init(&one, DICT_CAP_NETCONF);
	dict_init(&two, DICT_CAP_NETCONF);
	if (netconf_encode(fuzz_nc, &one) == -1)
		abort();
	if (netconf_decode(fuzz_nc, &one) == -1 ||
	    netconf_encode(fuzz_nc, &two) == -1)
		abort();
	if (dict_len(&one) != dict_len(&two) ||
	    memcmp(dict_data(&one), dict_data(&two), dict_len(&one)) != 0)
		abort();
	dict_free(&one);
	dict_free(&two);
	netconf_reset(fuzz_nc);
	return 0;
}
