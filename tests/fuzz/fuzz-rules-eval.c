/*
 * Rules engine: a rule table decoded from the input (as a netconf "R"
 * blob would be) run over a frame taken from the rest of the input, in
 * both directions and through the capability path.  The evaluation must
 * terminate without reading outside the frame, and its results must be
 * internally consistent.
 *
 * Input: u8 control, u8 base rule count, u16 rule blob length, the
 * blob, u16 ethertype, u8[6] destination MAC, the frame payload.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rules.h"
#include "rules_eval.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SELF	0x1111111111ULL
#define PEER	0x2222222222ULL

static struct rule rules[RULES_MAX_CAPABILITY * 2];
static uint32_t rand_state;

static uint32_t
fuzz_random(void *arg)
{
	(void)arg;
	rand_state = rand_state * 1103515245u + 12345u;
	return rand_state;
}

static bool
fuzz_owns(void *arg, bool inbound, enum rules_thing t, const uint8_t *p)
{
	(void)arg;
	(void)inbound;
	return t != RULES_THING_MAC && (p[0] & 1) != 0;
}

static void
fuzz_trace(void *arg, size_t idx, const struct rule *r, bool rm, bool sm)
{
	size_t *n = arg;

	(void)r;
	(void)rm;
	(void)sm;
	assert(idx < RULES_MAX_CAPABILITY * 2);
	(*n)++;
}

static void
check_verdict(const struct rules_verdict *v, const struct rules_frame *f,
    size_t n)
{
	assert(v->rule <= n);
	assert(v->result >= RULES_NO_MATCH && v->result <= RULES_SUPER_ACCEPT);
	assert(v->cc_length <= f->len);
	assert(v->cc <= 0xffffffffffULL && v->redirect_to <= 0xffffffffffULL);
	if (v->result == RULES_SUPER_ACCEPT)
		assert(f->inbound);
}

static void
run(const struct rules_env *env, struct rules_frame *f, size_t nbase,
    size_t n, bool no_tee)
{
	struct rules_cap caps[2];
	struct rules_decision d;
	struct rules_verdict v;
	size_t half = (n - nbase) / 2, i, traced = 0;
	struct rules_env e = *env;

	e.trace = fuzz_trace;
	e.trace_arg = &traced;
	rules_eval(&e, f, rules, n, &v);
	check_verdict(&v, f, n);
	assert(traced <= n);

	caps[0].id = 1;
	caps[0].rules = rules + nbase;
	caps[0].n = half;
	caps[1].id = 2;
	caps[1].rules = rules + nbase + half;
	caps[1].n = n - nbase - half;
	rules_filter(env, f, rules, nbase, caps, 2, no_tee, &d);
	check_verdict(&d.base, f, nbase);
	assert(d.accept >= 0 && d.accept <= 2);
	assert(d.n_copy <= 2);
	for (i = 0; i < d.n_copy; i++)
		assert(d.copy[i].to != 0 && d.copy[i].length <= f->len);
	if (d.accept == 0)
		assert(!d.deliver && d.n_copy == 0 && d.redirect_to == 0);
	if (d.redirect_to != 0)
		assert(!d.deliver && d.accept != 0);
	if (d.cap >= 0)
		assert(d.base.result == RULES_NO_MATCH && d.cap < 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rules_tag local[] = { { 1, 10 }, { 2, 20 } };
	static const struct rules_tag remote[] = { { 1, 11 }, { 3, 30 } };
	struct rules_env env;
	struct rules_frame f;
	struct rbuf r, blob;
	uint8_t ctl, nbase;
	size_t n;

	rbuf_init(&r, data, size);
	if (rbuf_get_u8(&r, &ctl) == -1 || rbuf_get_u8(&r, &nbase) == -1 ||
	    rbuf_get_sub16(&r, RULES_MAX_CAPABILITY * 2 * RULE_WIRE_MAX,
	    &blob) == -1)
		return 0;
	if (rules_decode(&blob, rules, RULES_MAX_CAPABILITY * 2, &n) == -1)
		return 0;
	if (nbase > n)
		nbase = (uint8_t)n;

	memset(&f, 0, sizeof(f));
	if (rbuf_get_u16(&r, &f.ethertype) == -1 ||
	    rbuf_get_bytes(&r, f.mac_dest, 6) == -1)
		return 0;
	f.len = rbuf_remaining(&r);
	/* an exact-size copy so the sanitizer sees any overread */
	f.data = f.len > 0 ? malloc(f.len) : NULL;
	if (f.len > 0 && (f.data == NULL ||
	    rbuf_get_bytes(&r, (uint8_t *)f.data, f.len) == -1))
		goto out;
	memcpy(f.mac_source, "\x02\x11\x11\x11\x11\x11", 6);
	f.vlan_id = ctl & 0x40 ? 42 : 0;

	memset(&env, 0, sizeof(env));
	env.self = SELF;
	env.flags = ctl & 0x08 ? RULES_FLAG_UNSUPPORTED_MATCH : 0;
	env.local_tags = local;
	env.n_local_tags = ctl & 0x10 ? 2 : 0;
	env.remote_tags = remote;
	env.n_remote_tags = ctl & 0x20 ? 2 : 0;
	env.random = fuzz_random;
	env.owns = ctl & 0x80 ? fuzz_owns : NULL;
	rand_state = ctl;

	/* sender and receiver sides, and a multicast destination of 0 */
	f.inbound = false;
	f.zt_source = SELF;
	f.zt_dest = ctl & 0x04 ? 0 : PEER;
	run(&env, &f, nbase, n, (ctl & 0x01) != 0);
	f.inbound = true;
	f.zt_source = PEER;
	f.zt_dest = SELF;
	run(&env, &f, nbase, n, (ctl & 0x02) != 0);
out:
	free((void *)f.data);
	return 0;
}
