/*
 * zt-vl1d's link to zt-tapd, for the node API only (issue 7 item 6).
 * zt-tapd keeps the per-network allowManaged / allowGlobal / allowDefault
 * / allowDNS settings; zt-vl1d serves the token-checked HTTP API, so it
 * relays a POST /network/<nwid> that changes them and asks for their
 * values to show them in the network objects zt-vl2d answers with.
 *
 * The link is made the first time the API needs it, then kept (the IPC
 * client reconnects when zt-tapd restarts).  A request that finds no
 * link waits for one only while the link is new or was just lost
 * (TAPD_WAIT_MS); later it fails at once, so that a node without
 * zt-tapd answers without delay.  Answers come to a callback, never
 * from inside the call that asked.
 */
#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "vl1d.h"

#define TAPD_SOCK		"zt-tapd-ipc.sock"
#define TAPD_WAIT_MS		1000	/* for a new or lost link */
#define TAPD_REQS_MAX		64	/* the API has 32 at zt-vl2d */

struct tapd_req {
	TAILQ_ENTRY(tapd_req)	 entry;
	uint16_t		 type;
	uint32_t		 id;		/* set when sent */
	bool			 sent;
	uint8_t			*body;
	size_t			 len;
	vl1d_tapd_cb		 cb;		/* NULL: cancelled */
	void			*arg;
};

struct vl1d_tapd {
	struct vl1d_ctx		*ctx;
	struct ipc_client	*client;
	int64_t			 waiting_since;	/* ms, monotonic */
	struct event		*ev_wait;
	TAILQ_HEAD(, tapd_req)	 reqs;
	unsigned int		 nreqs;
};

static struct log_drops tapd_bad_reply =
    LOG_DROPS_INIT("malformed settings answer from zt-tapd");

static int64_t
tapd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tapd_req_free(struct vl1d_tapd *t, struct tapd_req *q)
{
	TAILQ_REMOVE(&t->reqs, q, entry);
	t->nreqs--;
	free(q->body);
	free(q);
}

/* the callback may cancel other requests, so q leaves the list first */
static void
tapd_req_done(struct vl1d_tapd *t, struct tapd_req *q, int err,
    const char *why, const struct vl1d_tapd_setting *s, size_t n)
{
	vl1d_tapd_cb cb = q->cb;
	void *arg = q->arg;

	tapd_req_free(t, q);
	if (cb != NULL)
		cb(arg, err, why, s, n);
}

/* fails every request that matches: sent ones, or those still queued */
static void
tapd_fail(struct vl1d_tapd *t, bool sent, int err, const char *why)
{
	struct tapd_req *q, *next;

	for (q = TAILQ_FIRST(&t->reqs); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		if (q->sent != sent)
			continue;
		tapd_req_done(t, q, err, why, NULL, 0);
		/* a callback may have freed next: start over */
		next = TAILQ_FIRST(&t->reqs);
	}
}

static int
tapd_req_send(struct vl1d_tapd *t, struct ipc_conn *c, struct tapd_req *q)
{
	q->id = ipc_conn_next_id(c);
	if (ipc_send(c, q->type, q->id, q->body, q->len) == -1)
		return -1;
	q->sent = true;
	return 0;
}

static void
tapd_up(struct ipc_conn *c, void *arg)
{
	struct vl1d_tapd *t = arg;
	struct tapd_req *q, *next;

	log_info("connected to zt-tapd (node API settings)");
	event_del(t->ev_wait);
	for (q = TAILQ_FIRST(&t->reqs); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		if (q->sent)
			continue;
		if (q->cb == NULL)
			tapd_req_free(t, q);
		else if (tapd_req_send(t, c, q) == -1) {
			tapd_req_done(t, q, EAGAIN, "zt-tapd is busy",
			    NULL, 0);
			next = TAILQ_FIRST(&t->reqs);
		}
	}
}

static void
tapd_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct vl1d_tapd *t = arg;

	log_info("zt-tapd link down: %s", ipc_err_str(e));
	t->waiting_since = tapd_now_ms();
	tapd_fail(t, true, ECONNRESET, "zt-tapd disconnected");
}

/* no link in time: what waited for it fails */
static void
tapd_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vl1d_tapd *t = arg;

	(void)fd;
	(void)what;
	tapd_fail(t, false, EHOSTUNREACH, "zt-tapd is not reachable");
}

static struct tapd_req *
tapd_req_find(struct vl1d_tapd *t, uint32_t id)
{
	struct tapd_req *q;

	TAILQ_FOREACH(q, &t->reqs, entry)
		if (q->sent && q->id == id)
			return q;
	return NULL;
}

static int
tapd_on_reply(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl1d_tapd *t = arg;
	struct vl1d_tapd_setting s[IPC_TAPD_SETTINGS_MAX];
	struct tapd_req *q;
	uint16_t n;
	size_t i;

	(void)c;
	if (rbuf_get_u16(&m->body, &n) == -1 || n > IPC_TAPD_SETTINGS_MAX) {
		log_drop(&tapd_bad_reply, "count");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (rbuf_get_u64(&m->body, &s[i].nwid) == -1 ||
		    rbuf_get_u8(&m->body, &s[i].values) == -1 ||
		    (s[i].values & ~IPC_TAPD_ALLOW_ALL) != 0) {
			log_drop(&tapd_bad_reply, "entry %zu", i);
			return -1;
		}
	if (rbuf_remaining(&m->body) != 0) {
		log_drop(&tapd_bad_reply, "trailing bytes");
		return -1;
	}
	/* an answer to a cancelled request has nobody to go to */
	if ((q = tapd_req_find(t, m->id)) != NULL)
		tapd_req_done(t, q, 0, NULL, s, n);
	return 0;
}

static int
tapd_on_error(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl1d_tapd *t = arg;
	struct tapd_req *q;
	uint32_t code;
	char text[1024];

	(void)c;
	if (ipc_error_get(&m->body, &code, text, sizeof(text)) == -1)
		return -1;
	if ((q = tapd_req_find(t, m->id)) == NULL)
		return 0;
	log_warnx("zt-tapd refused a settings request: %s (%u)", text,
	    (unsigned int)code);
	/* code 0 answers nothing these requests ask */
	tapd_req_done(t, q, code != 0 && code <= INT_MAX ? (int)code :
	    EPROTO, text[0] != '\0' ? text : "refused by zt-tapd", NULL, 0);
	return 0;
}

static const struct ipc_handler tapd_handlers[] = {
	{ IPC_MSG_TAPD_SETTINGS_REPLY, tapd_on_reply },
	{ IPC_MSG_ERROR, tapd_on_error },
	{ 0, NULL },
};

static struct vl1d_tapd *
tapd_link(struct vl1d_ctx *ctx, struct vl1d_tapd **tp)
{
	static const struct ipc_callbacks cb = {
		.handlers = tapd_handlers,
		.up = tapd_up,
		.down = tapd_down,
	};
	char path[PATH_MAX];
	struct vl1d_tapd *t;

	if (*tp != NULL)
		return *tp;
	if (snprintf(path, sizeof(path), "%s/%s", ctx->cfg.rundir,
	    TAPD_SOCK) >= (int)sizeof(path) ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ctx = ctx;
	TAILQ_INIT(&t->reqs);
	t->waiting_since = tapd_now_ms();
	if ((t->ev_wait = evtimer_new(ctx->base, tapd_wait_cb, t)) == NULL ||
	    (t->client = ipc_client_new(ctx->ipc, path, IPC_ROLE_TAPD, &cb,
	    t)) == NULL) {
		if (t->ev_wait != NULL)
			event_free(t->ev_wait);
		free(t);
		return NULL;
	}
	/* a restarted zt-tapd is found again within seconds */
	ipc_client_set_backoff(t->client, 100, 2000);
	*tp = t;
	return t;
}

/*
 * Queues (or sends) one request; the body is copied.  -1 with errno
 * EHOSTUNREACH when zt-tapd is not there now, EAGAIN when too much is
 * pending, ENOMEM.
 */
static int
tapd_request(struct vl1d_ctx *ctx, struct vl1d_tapd **tp, uint16_t type,
    const struct wbuf *w, vl1d_tapd_cb cb, void *arg)
{
	struct vl1d_tapd *t;
	struct tapd_req *q;
	struct ipc_conn *c;
	struct timeval tv;
	int64_t left;

	if (wbuf_failed(w) || (t = tapd_link(ctx, tp)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (t->nreqs >= TAPD_REQS_MAX) {
		errno = EAGAIN;
		return -1;
	}
	c = ipc_client_conn(t->client);
	left = TAPD_WAIT_MS - (tapd_now_ms() - t->waiting_since);
	if (c == NULL && left <= 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->body = malloc(wbuf_len(w))) == NULL) {
		free(q);
		errno = ENOMEM;
		return -1;
	}
	memcpy(q->body, wbuf_data(w), wbuf_len(w));
	q->len = wbuf_len(w);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&t->reqs, q, entry);
	t->nreqs++;
	if (c != NULL) {
		if (tapd_req_send(t, c, q) == -1) {
			tapd_req_free(t, q);
			errno = EAGAIN;
			return -1;
		}
		return 0;
	}
	if (!evtimer_pending(t->ev_wait, NULL)) {
		tv.tv_sec = left / 1000;
		tv.tv_usec = (left % 1000) * 1000;
		evtimer_add(t->ev_wait, &tv);
	}
	return 0;
}

int
vl1d_tapd_set(struct vl1d_ctx *ctx, struct vl1d_tapd **tp, uint64_t nwid,
    uint8_t mask, uint8_t values, vl1d_tapd_cb cb, void *arg)
{
	uint8_t buf[16];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u64(&w, nwid);
	wbuf_put_u8(&w, mask);
	wbuf_put_u8(&w, values & mask);
	return tapd_request(ctx, tp, IPC_MSG_TAPD_SETTINGS_SET, &w, cb, arg);
}

int
vl1d_tapd_get(struct vl1d_ctx *ctx, struct vl1d_tapd **tp,
    const uint64_t *nwids, size_t n, vl1d_tapd_cb cb, void *arg)
{
	uint8_t buf[2 + 8 * IPC_TAPD_SETTINGS_MAX];
	struct wbuf w;
	size_t i;

	if (n == 0 || n > IPC_TAPD_SETTINGS_MAX) {
		errno = EINVAL;
		return -1;
	}
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u16(&w, (uint16_t)n);
	for (i = 0; i < n; i++)
		wbuf_put_u64(&w, nwids[i]);
	return tapd_request(ctx, tp, IPC_MSG_TAPD_SETTINGS_GET, &w, cb, arg);
}

void
vl1d_tapd_cancel(struct vl1d_tapd *t, void *arg)
{
	struct tapd_req *q, *next;

	if (t == NULL)
		return;
	for (q = TAILQ_FIRST(&t->reqs); q != NULL; q = next) {
		next = TAILQ_NEXT(q, entry);
		if (q->arg != arg)
			continue;
		/* a sent one stays to match its answer, which goes nowhere */
		if (q->sent)
			q->cb = NULL;
		else
			tapd_req_free(t, q);
	}
}

void
vl1d_tapd_free(struct vl1d_tapd *t)
{
	struct tapd_req *q;

	if (t == NULL)
		return;
	while ((q = TAILQ_FIRST(&t->reqs)) != NULL)
		tapd_req_free(t, q);
	ipc_client_free(t->client);
	event_free(t->ev_wait);
	free(t);
}
