/*
 * Rule codec (spec/vl2.md §7.2, spec/controller.md §4.3).  Input that
 * starts with '[' is controller JSON (the HTTP API takes it from users):
 * whatever parses must render and parse back to equal rules.  Anything
 * else is a netconf "R" blob: whatever decodes must re-encode to bytes
 * that decode to equal rules and re-encode identically.
 */
#undef NDEBUG
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct rule rules[RULES_MAX_NETWORK], back[RULES_MAX_NETWORK];
static uint8_t out[RULES_MAX_NETWORK * RULE_WIRE_MAX];
static uint8_t again[RULES_MAX_NETWORK * RULE_WIRE_MAX];

/*
 * The controller's JSON form drops "not" and "or" on actions (1.14.1's
 * _renderRule writes them only for matches), so an action read with
 * those bits comes back without them: compare actions by type alone.
 */
static bool
rule_equal_rendered(const struct rule *a, const struct rule *b)
{
	struct rule x = *a;

	if (rule_is_action(&x))
		x.t &= RULE_TYPE_MASK;
	return rule_equal(&x, b);
}

static void
fuzz_json(const uint8_t *data, size_t size)
{
	json_t *j, *rendered;
	size_t n, m, dropped, i;

	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	if (j == NULL)
		return;
	if (rules_from_json(j, rules, RULES_MAX_NETWORK, &n, &dropped) == 0) {
		rendered = rules_to_json(rules, n);
		assert(rendered != NULL);
		assert(rules_from_json(rendered, back, RULES_MAX_NETWORK, &m,
		    &dropped) == 0);
		assert(m == n && dropped == 0);
		for (i = 0; i < n; i++)
			assert(rule_equal_rendered(&rules[i], &back[i]));
		json_decref(rendered);
	}
	json_decref(j);
}

static void
fuzz_binary(const uint8_t *data, size_t size)
{
	struct wbuf w, w2;
	struct rbuf r, rb;
	json_t *rendered;
	size_t n, m, i;

	rbuf_init(&r, data, size);
	if (rules_decode(&r, rules, RULES_MAX_NETWORK, &n) == -1) {
		assert(rbuf_failed(&r));
		return;
	}
	wbuf_init(&w, out, sizeof(out));
	assert(rules_encode(rules, n, &w) == 0);
	rbuf_init(&rb, out, wbuf_len(&w));
	assert(rules_decode(&rb, back, RULES_MAX_NETWORK, &m) == 0);
	assert(rbuf_done(&rb) && m == n);
	for (i = 0; i < n; i++)
		assert(rule_equal(&rules[i], &back[i]));
	wbuf_init(&w2, again, sizeof(again));
	assert(rules_encode(back, m, &w2) == 0);
	assert(wbuf_len(&w) == wbuf_len(&w2) &&
	    memcmp(out, again, wbuf_len(&w)) == 0);
	rendered = rules_to_json(rules, n);
	assert(rendered != NULL);
	json_decref(rendered);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == '[')
		fuzz_json(data, size);
	else
		fuzz_binary(data, size);
	return 0;
}
