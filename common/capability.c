/*
 * Capability (spec/vl2.md §6.3, vectors/credentials.json
 * "capabilities").
 */
#include <string.h>

#include "credential.h"

/* signed form: markers, fields, rules, u16 0 */
#define CAP_SIGNED_MAX	(8 + 8 + 8 + 4 + 2 + \
			    RULES_MAX_CAPABILITY * RULE_WIRE_MAX + 1 + 2 + 8)

int
capability_init(struct capability *c, uint64_t nwid, int64_t timestamp,
    uint32_t id, const struct rule *rules, size_t nrules,
    unsigned int max_custody)
{
	memset(c, 0, sizeof(*c));
	if (nrules > RULES_MAX_CAPABILITY || max_custody < 1 ||
	    max_custody > CAP_MAX_CUSTODY)
		return -1;
	c->nwid = nwid;
	c->timestamp = timestamp;
	c->id = id;
	if (nrules > 0)
		memcpy(c->rules, rules, nrules * sizeof(*rules));
	c->nrules = (unsigned int)nrules;
	c->max_custody = max_custody;
	return 0;
}

uint64_t
capability_issued_to(const struct capability *c)
{
	unsigned int i;

	for (i = c->ncustody; i > 0; i--)
		if (c->custody[i - 1].to != 0)
			return c->custody[i - 1].to;
	return 0;
}

/* the fields both forms share, up to the max custody length */
static void
capability_put_head(const struct capability *c, struct wbuf *w)
{
	wbuf_put_u64(w, c->nwid);
	wbuf_put_u64(w, (uint64_t)c->timestamp);
	wbuf_put_u32(w, c->id);
	wbuf_put_u16(w, (uint16_t)c->nrules);
	rules_encode(c->rules, c->nrules, w);
	wbuf_put_u8(w, (uint8_t)c->max_custody);
}

static bool
capability_sane(const struct capability *c)
{
	return c->nrules <= RULES_MAX_CAPABILITY &&
	    c->max_custody >= 1 && c->max_custody <= CAP_MAX_CUSTODY &&
	    c->ncustody <= c->max_custody;
}

int
capability_serialize(const struct capability *c, struct wbuf *w)
{
	unsigned int i;

	if (!capability_sane(c))
		return -1;
	capability_put_head(c, w);
	for (i = 0; i < c->ncustody && c->custody[i].to != 0; i++) {
		wbuf_put_u40(w, c->custody[i].to);
		wbuf_put_u40(w, c->custody[i].from);
		cred_put_signature(w, c->custody[i].signature);
	}
	/* a zero "to" ends the chain */
	wbuf_put_u40(w, 0);
	wbuf_put_u16(w, 0);
	return wbuf_failed(w) ? -1 : 0;
}

int
capability_deserialize(struct capability *c, struct rbuf *r)
{
	uint64_t to, ts;
	uint16_t nrules;
	uint8_t maxc;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	rbuf_get_u64(r, &c->nwid);
	rbuf_get_u64(r, &ts);
	rbuf_get_u32(r, &c->id);
	if (rbuf_get_u16(r, &nrules) == -1)
		goto fail;
	if (nrules > RULES_MAX_CAPABILITY) {
		rbuf_fail(r);
		goto fail;
	}
	for (i = 0; i < nrules; i++)
		if (rule_decode(r, &c->rules[i]) == -1)
			goto fail;
	c->nrules = nrules;
	if (rbuf_get_u8(r, &maxc) == -1)
		goto fail;
	if (maxc < 1 || maxc > CAP_MAX_CUSTODY) {
		rbuf_fail(r);
		goto fail;
	}
	c->max_custody = maxc;
	for (i = 0;; i++) {
		if (rbuf_get_u40(r, &to) == -1)
			goto fail;
		if (to == 0)
			break;
		/* more entries than the chain may hold */
		if (i >= c->max_custody) {
			rbuf_fail(r);
			goto fail;
		}
		c->custody[i].to = to;
		if (rbuf_get_u40(r, &c->custody[i].from) == -1 ||
		    cred_get_signature(r, c->custody[i].signature) == -1)
			goto fail;
		c->ncustody = i + 1;
	}
	if (cred_skip_extensions(r) == -1)
		goto fail;
	c->timestamp = (int64_t)ts;
	return 0;
fail:
	memset(c, 0, sizeof(*c));
	return -1;
}

int
capability_signed_message(const struct capability *c, struct wbuf *w)
{
	if (!capability_sane(c))
		return -1;
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	capability_put_head(c, w);
	wbuf_put_u16(w, 0);
	wbuf_put_u64(w, CRED_SIGN_MARKER);
	return wbuf_failed(w) ? -1 : 0;
}

int
capability_sign(struct capability *c, const struct identity *signer,
    uint64_t to)
{
	struct wbuf w;
	uint8_t buf[CAP_SIGNED_MAX];
	struct cap_custody *e;

	wbuf_init(&w, buf, sizeof(buf));
	if (!identity_has_private(signer) || to == 0 || to >> 40 != 0 ||
	    c->ncustody >= c->max_custody ||
	    capability_signed_message(c, &w) == -1)
		return -1;
	e = &c->custody[c->ncustody];
	if (identity_sign(signer, buf, wbuf_len(&w), e->signature) == -1) {
		memset(e, 0, sizeof(*e));
		return -1;
	}
	e->to = to;
	e->from = signer->address;
	c->ncustody++;
	return 0;
}

static const struct identity *
capability_signer(uint64_t from, const struct identity *controller,
    const struct cred_lookup *lookup)
{
	if (controller != NULL && controller->address == from)
		return controller;
	if (lookup == NULL || lookup->fn == NULL)
		return NULL;
	return lookup->fn(lookup->arg, from);
}

enum cred_verify
capability_verify(const struct capability *c,
    const struct identity *controller, const struct cred_lookup *lookup)
{
	struct wbuf w;
	uint8_t buf[CAP_SIGNED_MAX];
	const struct cap_custody *e;
	const struct identity *id;
	unsigned int i;

	wbuf_init(&w, buf, sizeof(buf));
	if (capability_signed_message(c, &w) == -1)
		return CRED_VERIFY_BAD;
	for (i = 0; i < c->max_custody; i++) {
		e = &c->custody[i];
		if (i == 0) {
			/* the chain must start at the controller */
			if (c->ncustody == 0 || e->to == 0 ||
			    e->from != cred_controller(c->nwid))
				return CRED_VERIFY_BAD;
		} else {
			if (i >= c->ncustody || e->to == 0)
				return CRED_VERIFY_OK;
			if (e->from == 0 || e->from != c->custody[i - 1].to)
				return CRED_VERIFY_BAD;
		}
		if ((id = capability_signer(e->from, controller,
		    lookup)) == NULL)
			return CRED_VERIFY_WHOIS;
		if (id->address != e->from ||
		    identity_verify(id, buf, wbuf_len(&w), e->signature,
		    ZT_SIGNATURE_LEN) != 0)
			return CRED_VERIFY_BAD;
	}
	return CRED_VERIFY_OK;
}

bool
capability_equal(const struct capability *a, const struct capability *b)
{
	struct wbuf wa, wb;
	uint8_t ba[CAP_WIRE_MAX], bb[CAP_WIRE_MAX];

	wbuf_init(&wa, ba, sizeof(ba));
	wbuf_init(&wb, bb, sizeof(bb));
	if (capability_serialize(a, &wa) == -1 ||
	    capability_serialize(b, &wb) == -1)
		return false;
	return wbuf_len(&wa) == wbuf_len(&wb) &&
	    memcmp(ba, bb, wbuf_len(&wa)) == 0;
}
