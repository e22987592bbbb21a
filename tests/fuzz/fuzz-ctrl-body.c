/*
 * zt-controllerd's HTTP request bodies: the capped, depth-checked JSON
 * parse, then the network and member POST rules of spec/controller.md
 * §5.1/§5.2 on fresh objects.  Whatever is accepted must leave objects
 * that serialize and that a second application of the same body does
 * not change any further (the rules are idempotent).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "objects.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check_idempotent(json_t *o, const json_t *body, bool member)
{
	json_t *again = json_deep_copy(o);
	char err[256];
	bool deauth;
	int rc;

	if (again == NULL)
		return;
	rc = member ? ctrl_member_apply(again, body, 2, &deauth, err,
	    sizeof(err)) : ctrl_network_apply(again, body, err, sizeof(err));
	if (rc != 0 || !json_equal(o, again))
		abort();
	json_decref(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	json_t *body, *net, *mem;
	char err[256], *s;
	bool deauth;

	if (ctrl_api_parse_body(data, len, &body, err, sizeof(err)) == -1)
		return 0;
	net = ctrl_network_new(0x8056c2e21c000001ULL, 1);
	if (ctrl_network_apply(net, body, err, sizeof(err)) == 0) {
		if ((s = json_dumps(net, JSON_COMPACT | JSON_SORT_KEYS)) ==
		    NULL)
			abort();
		free(s);
		fuzz_check_idempotent(net, body, false);
	}
	mem = ctrl_member_new(0x8056c2e21c000001ULL, 0x1122334455ULL, 1);
	if (ctrl_member_apply(mem, body, 2, &deauth, err, sizeof(err)) == 0) {
		if ((s = json_dumps(mem, JSON_COMPACT | JSON_SORT_KEYS)) ==
		    NULL)
			abort();
		free(s);
		fuzz_check_idempotent(mem, body, true);
	}
	json_decref(mem);
	json_decref(net);
	json_decref(body);
	return 0;
}
