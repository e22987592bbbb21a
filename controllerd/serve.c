/*
 * Answering members: a NETWORK_CONFIG_REQUEST forwarded by zt-vl1d goes
 * through the issuance engine (issue.h) with the network and member
 * objects from the store; the member object it updates is saved (one
 * transaction) before anything is sent; the credentials and chunks are
 * signed by zt-vl1d's key holder (signer.h); the packets go back to
 * zt-vl1d as CTRL_SEND.  The controller never holds a secret key.
 */
#include <stdlib.h>
#include <string.h>

#include "ctrld.h"
#include "log.h"

/* 1.14.1 answers one request per member per second (controller.md §2) */
#define CTRLD_REQUEST_INTERVAL	1000
#define CTRLD_RATE_SLOTS	4096
#define CTRLD_MAX_ALLOCATED	65536
/* how long after its last request a member counts as online */
#define CTRLD_ONLINE_WINDOW	(10 * 60 * 1000)

static struct log_drops serve_drops = LOG_DROPS_INIT("config request");

/* every IP already assigned in the network, and its active bridges */
static int
ctrld_collect(json_t *m, void *arg)
{
	struct ctrld_alloc *a = arg;
	json_t *ips = json_object_get(m, "ipAssignments"), *v;
	const char *id = json_string_value(json_object_get(m, "id"));
	uint64_t addr;
	void *np;
	size_t i;

	json_array_foreach(ips, i, v) {
		if (!json_is_string(v) || a->n >= CTRLD_MAX_ALLOCATED)
			continue;
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 64;
			if ((np = reallocarray(a->ips, a->cap,
			    sizeof(*a->ips))) == NULL)
				return -1;
			a->ips = np;
		}
		if (inetaddr_parse(&a->ips[a->n], json_string_value(v)) == 0)
			a->n++;
	}
	if (json_is_true(json_object_get(m, "activeBridge")) && id != NULL &&
	    strlen(id) == 10 && hex_parse_u64(id, 10, &addr) == 0) {
		/* a member saved again after a walk is already listed */
		for (i = 0; i < a->nb; i++)
			if (a->bridges[i] == addr)
				return 0;
		if (a->nb == a->capb) {
			a->capb = a->capb ? a->capb * 2 : 16;
			if ((np = reallocarray(a->bridges, a->capb,
			    sizeof(*a->bridges))) == NULL)
				return -1;
			a->bridges = np;
		}
		a->bridges[a->nb++] = addr;
	}
	return 0;
}

/* queues (u40 dest, u8 verb, bytes16 payload) for zt-vl1d */
static void
ctrld_send(struct ctrld_ctx *ctx, uint64_t dest, uint8_t verb,
    const struct wbuf *payload)
{
	struct ipc_conn *c = ipc_client_conn(ctx->vl1d);
	uint8_t buf[16384];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u40(&w, dest);
	wbuf_put_u8(&w, verb);
	ipc_put_bytes16(&w, wbuf_data(payload), wbuf_len(payload));
	if (c == NULL || wbuf_failed(&w) ||
	    ipc_send_wbuf(c, IPC_MSG_CTRL_SEND, 0, &w) == -1) {
		ctx->config_unanswered++;
		log_drop(&serve_drops, "cannot send to %010llx",
		    (unsigned long long)dest);
	}
}

static void
ctrld_send_error(struct ctrld_ctx *ctx, struct issue_job *job)
{
	uint8_t buf[8192];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u8(&w, ISSUE_VERB_NETWORK_CONFIG_REQ);
	wbuf_put_u64(&w, job->packet_id);
	wbuf_put_u8(&w, issue_error_code(job));
	if (issue_error_payload(job, &w) == -1)
		return;
	ctrld_send(ctx, job->member, ISSUE_VERB_ERROR, &w);
}

static void
ctrld_job_signed(void *arg, struct issue_job *job, int status)
{
	struct ctrld_ctx *ctx = arg;
	uint8_t buf[16384];
	struct wbuf w;
	uint8_t verb;
	size_t i;

	if (status == 0) {
		for (i = 0; i < issue_job_npackets(job); i++) {
			wbuf_init(&w, buf, sizeof(buf));
			if (issue_job_packet(job, i, &verb, &w) == 0)
				ctrld_send(ctx, job->member, verb, &w);
		}
		ctx->config_answered++;
	} else {
		ctx->config_unanswered++;
		log_drop(&serve_drops, "config not signed for "
		    "%010llx", (unsigned long long)job->member);
	}
	issue_job_free(job);
}

/* 1.14.1's per-member spacing of answers, in a small fixed table */
static bool
ctrld_rate_ok(struct ctrld_ctx *ctx, uint64_t member, int64_t now)
{
	struct ctrld_rate *r = &ctx->rate[(member ^ member >> 17) %
	    CTRLD_RATE_SLOTS];

	if (r->member == member && now - r->last < CTRLD_REQUEST_INTERVAL)
		return false;
	r->member = member;
	r->last = now;
	return true;
}

/*
 * Members seen asking recently are "online": they get configs pushed
 * when their network changes, and revocations (controller.md §3).
 */
static struct ctrld_member *
ctrld_online_find(struct ctrld_ctx *ctx, uint64_t nwid, uint64_t member,
    bool add, int64_t now)
{
	struct ctrld_member *m, *slot = NULL;
	size_t i;

	for (i = 0; i < CTRLD_ONLINE_MAX; i++) {
		m = &ctx->online[i];
		if (m->nwid == nwid && m->id.address == member)
			return m;
		if (add && (slot == NULL || m->last < slot->last))
			slot = m;
	}
	if (slot == NULL)
		return NULL;
	identity_clear(&slot->id);
	memset(slot, 0, sizeof(*slot));
	slot->nwid = nwid;
	slot->last = now;
	return slot;
}

static bool
ctrld_is_online(const struct ctrld_member *m, int64_t now)
{
	return m->nwid != 0 && now - m->last < CTRLD_ONLINE_WINDOW;
}

void
ctrld_alloc_drop(struct ctrld_ctx *ctx)
{
	free(ctx->alloc.ips);
	free(ctx->alloc.bridges);
	memset(&ctx->alloc, 0, sizeof(ctx->alloc));
	json_decref(ctx->alloc_net);
	ctx->alloc_net = NULL;
	ctx->alloc_valid = false;
}

/*
 * The network object (a new reference; NULL with *rc CTRL_STORE_NONE if
 * there is no such network) and its assigned IPs and bridges: read
 * once, then kept while the store does not change (each walk parses
 * every member object).  NULL with CTRL_STORE_ERR on a store failure.
 */
static struct ctrld_alloc *
ctrld_alloc_get(struct ctrld_ctx *ctx, uint64_t nwid, json_t **net, int *rc)
{
	*net = NULL;
	*rc = CTRL_STORE_OK;
	if (!ctx->alloc_valid || ctx->alloc_nwid != nwid ||
	    ctx->alloc_gen != ctx->store->generation) {
		ctrld_alloc_drop(ctx);
		if ((*rc = ctx->store->ops->network_get(ctx->store, nwid,
		    &ctx->alloc_net)) != CTRL_STORE_OK)
			return NULL;
		if (ctx->store->ops->member_walk(ctx->store, nwid,
		    ctrld_collect, &ctx->alloc) == CTRL_STORE_ERR) {
			ctrld_alloc_drop(ctx);
			*rc = CTRL_STORE_ERR;
			return NULL;
		}
		ctx->alloc_nwid = nwid;
		ctx->alloc_gen = ctx->store->generation;
		ctx->alloc_valid = true;
	}
	*net = json_incref(ctx->alloc_net);
	return &ctx->alloc;
}

/*
 * After the issuance saved a member (and nothing else changed): its
 * IPs and bridge flag join the kept set instead of a new walk.  An IP
 * it no longer holds stays counted as taken until the next walk, which
 * only skips an address.
 */
static void
ctrld_alloc_saved(struct ctrld_ctx *ctx, uint64_t nwid, uint64_t gen,
    json_t *member)
{
	if (!ctx->alloc_valid || ctx->alloc_nwid != nwid ||
	    ctx->alloc_gen != gen || ctx->store->generation != gen + 1)
		return;
	if (ctrld_collect(member, &ctx->alloc) == -1) {
		ctrld_alloc_drop(ctx);
		return;
	}
	ctx->alloc_gen = ctx->store->generation;
}

/* sends an issuance job's answer: signed config or ERROR; frees it */
static void
ctrld_dispatch(struct ctrld_ctx *ctx, struct issue_job *job)
{
	switch (job->result) {
	case ISSUE_CONFIG:
		if (signer_run_job(&ctx->signer, job, ctrld_job_signed,
		    ctx) == 0)
			return;	/* the signer owns it until the callback */
		ctx->config_unanswered++;
		log_drop(&serve_drops, "for %010llx: the key holder is not "
		    "reachable", (unsigned long long)job->member);
		break;
	case ISSUE_NOT_FOUND:
	case ISSUE_ACCESS_DENIED:
	case ISSUE_AUTH_REQUIRED:
		ctx->config_denied++;
		ctrld_send_error(ctx, job);
		break;
	default:
		break;
	}
	issue_job_free(job);
}

/* an answer whose member change waits for the batch commit */
struct ctrld_wait {
	struct ctrld_ctx	*ctx;
	struct issue_job	*job;
};

static void
ctrld_job_committed(void *arg, bool committed)
{
	struct ctrld_wait *w = arg;

	if (committed)
		ctrld_dispatch(w->ctx, w->job);
	else {
		w->ctx->config_unanswered++;
		log_drop(&serve_drops, "for %010llx: its member change was "
		    "not committed", (unsigned long long)w->job->member);
		issue_job_free(w->job);
	}
	free(w);
}

static int
ctrld_issue(struct ctrld_ctx *ctx, const struct identity *member,
    uint64_t packet_id, const struct netconf_request *req, int64_t now)
{
	struct ctrld_alloc none = { 0 }, *a = &none;
	struct ctrld_wait *w;
	struct issue_params p;
	struct issue_job *job = NULL;
	json_t *net = NULL, *mem = NULL;
	struct dict meta;
	uint64_t gen;
	bool changed;
	int rc = -1, src;

	memset(&p, 0, sizeof(p));
	if ((a = ctrld_alloc_get(ctx, req->nwid, &net, &src)) == NULL) {
		if (src == CTRL_STORE_ERR)
			goto done;
		a = &none;	/* no such network: the engine says so */
	}
	if (ctx->store->ops->member_get(ctx->store, req->nwid,
	    member->address, &mem) == CTRL_STORE_ERR)
		goto done;
	dict_view(&meta, req->meta, req->meta_len, DICT_CAP_REQ_META);
	p.controller = ctx->self;
	p.nwid = req->nwid;
	p.member = member;
	p.meta = &meta;
	p.packet_id = packet_id;
	p.now = now;
	p.network = net;
	p.member_obj = mem;
	p.allocated = a->ips;
	p.nallocated = a->n;
	p.bridges = a->bridges;
	p.nbridges = a->nb;
	if (issue_request(&p, &job) == -1)
		goto done;
	/*
	 * What the member object became is durable before it is used: the
	 * save joins the loop turn's batch and the answer waits for its
	 * commit.
	 */
	gen = ctx->store->generation;
	if (job->member_obj != NULL && job->member_changed) {
		if (ctrl_api_batch_open(&ctx->api) == -1 ||
		    ctx->store->ops->member_save(ctx->store, req->nwid,
		    member->address, job->member_obj, "controller",
		    "config request", &changed) == CTRL_STORE_ERR)
			goto done;
		ctrld_alloc_saved(ctx, req->nwid, gen, job->member_obj);
		if ((w = calloc(1, sizeof(*w))) == NULL)
			goto done;
		w->ctx = ctx;
		w->job = job;
		job = NULL;
		ctrl_api_defer(&ctx->api, ctrld_job_committed, w);
	} else {
		ctrld_dispatch(ctx, job);
		job = NULL;
	}
	rc = 0;
done:
	issue_job_free(job);
	json_decref(net);
	json_decref(mem);
	return rc;
}

static void
ctrld_remember(struct ctrld_ctx *ctx, const struct identity *id,
    const struct netconf_request *req, int64_t now)
{
	struct ctrld_member *m;

	if ((m = ctrld_online_find(ctx, req->nwid, id->address, true,
	    now)) == NULL)
		return;
	identity_clear(&m->id);
	if (identity_copy(&m->id, id, false) == -1) {
		memset(m, 0, sizeof(*m));
		return;
	}
	m->last = now;
	m->meta_len = req->meta_len < sizeof(m->meta) ? req->meta_len :
	    sizeof(m->meta);
	memcpy(m->meta, req->meta, m->meta_len);
}

/* a fresh config, unasked (NETWORK_CONFIG), to one online member */
static void
ctrld_push(struct ctrld_ctx *ctx, struct ctrld_member *m, int64_t now)
{
	struct netconf_request req;

	memset(&req, 0, sizeof(req));
	req.nwid = m->nwid;
	req.meta = m->meta;
	req.meta_len = m->meta_len;
	ctx->pushes++;
	if (ctrld_issue(ctx, &m->id, 0, &req, now) == -1)
		log_drop(&serve_drops, "push to %010llx failed",
		    (unsigned long long)m->id.address);
}

void
ctrld_network_changed(void *arg, uint64_t nwid)
{
	struct ctrld_ctx *ctx = arg;
	int64_t now = ctrld_now();
	size_t i;

	for (i = 0; i < CTRLD_ONLINE_MAX; i++)
		if (ctx->online[i].nwid == nwid &&
		    ctrld_is_online(&ctx->online[i], now))
			ctrld_push(ctx, &ctx->online[i], now);
}

void
ctrld_member_changed(void *arg, uint64_t nwid, uint64_t mid)
{
	struct ctrld_ctx *ctx = arg;
	struct ctrld_member *m;
	int64_t now = ctrld_now();

	if ((m = ctrld_online_find(ctx, nwid, mid, false, now)) != NULL &&
	    ctrld_is_online(m, now))
		ctrld_push(ctx, m, now);
}

static void
ctrld_revocation_signed(void *arg, struct issue_job *job, int status)
{
	struct ctrld_ctx *ctx = arg;
	int64_t now = ctrld_now();
	uint8_t buf[16384];
	struct wbuf w;
	uint8_t verb;
	size_t i, k;

	for (k = 0; status == 0 && k < issue_job_npackets(job); k++) {
		wbuf_init(&w, buf, sizeof(buf));
		if (issue_job_packet(job, k, &verb, &w) == -1)
			continue;
		/* every online member of the network, the revoked one too */
		for (i = 0; i < CTRLD_ONLINE_MAX; i++)
			if (ctx->online[i].nwid == job->nwid &&
			    ctrld_is_online(&ctx->online[i], now))
				ctrld_send(ctx, ctx->online[i].id.address,
				    verb, &w);
	}
	if (status == 0)
		ctx->revocations_sent++;
	else
		log_drop(&serve_drops, "revocation of %010llx not signed",
		    (unsigned long long)job->member);
	issue_job_free(job);
}

void
ctrld_member_revoked(void *arg, uint64_t nwid, uint64_t mid)
{
	struct ctrld_ctx *ctx = arg;
	struct issue_job *job;
	uint32_t id;

	arc4random_buf(&id, sizeof(id));
	if (issue_revoke(nwid, mid, ctrld_now(), id, &job) == -1)
		return;
	if (signer_run_job(&ctx->signer, job, ctrld_revocation_signed,
	    ctx) == -1) {
		log_drop(&serve_drops, "revocation of %010llx not sent",
		    (unsigned long long)mid);
		issue_job_free(job);
	}
}

void
ctrld_serve_request(struct ctrld_ctx *ctx, uint64_t src,
    const uint8_t *pkt, size_t len, const uint8_t *idb, size_t idlen,
    int64_t now)
{
	struct netconf_request req;
	struct identity id;
	struct rbuf r;

	ctx->config_requests++;
	memset(&id, 0, sizeof(id));
	rbuf_init(&r, idb, idlen);
	if (len < 28 || identity_deserialize(&id, &r) == -1 ||
	    id.address != src) {
		log_drop(&serve_drops, "from %010llx without its identity",
		    (unsigned long long)src);
		goto fail;
	}
	rbuf_init(&r, pkt + 28, len - 28);
	if (netconf_request_parse(&req, &r) == -1) {
		log_drop(&serve_drops, "malformed, from %010llx",
		    (unsigned long long)src);
		goto fail;
	}
	if (req.nwid >> 24 != ctx->self) {
		log_drop(&serve_drops, "for another controller's network");
		goto fail;
	}
	if (!ctrld_rate_ok(ctx, src, now)) {
		ctx->config_rate_limited++;
		goto fail;
	}
	/* replies quote the request's id as it was on the wire */
	ctrld_remember(ctx, &id, &req, now);
	if (ctrld_issue(ctx, &id, be64_get(pkt), &req, now) == -1) {
		log_drop(&serve_drops, "for %016llx from %010llx could not be "
		    "answered", (unsigned long long)req.nwid,
		    (unsigned long long)src);
		goto fail;
	}
	identity_clear(&id);
	return;
fail:
	ctx->config_unanswered++;
	identity_clear(&id);
}
