/*
 * Signing client (signer.h).  Replies are matched to requests by the
 * IPC request id; a reply for an id we did not send is a protocol error
 * and closes the connection, which fails whatever was in flight.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "signer.h"

static struct signer_pending *
signer_take(struct signer *s, uint32_t id, struct signer_pending *out)
{
	size_t i;

	for (i = 0; i < s->npending; i++) {
		if (s->pending[i].id != id)
			continue;
		*out = s->pending[i];
		s->pending[i] = s->pending[--s->npending];
		return out;
	}
	return NULL;
}

static int
signer_reply(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct signer *s = arg;
	struct signer_pending p;
	uint8_t sig[ZT_SIGNATURE_LEN];

	if (rbuf_get_bytes(&m->body, sig, sizeof(sig)) == -1 ||
	    !rbuf_done(&m->body) || signer_take(s, m->id, &p) == NULL)
		return -1;
	p.cb(p.arg, 0, sig);
	return 0;
}

static int
signer_error(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct signer *s = arg;
	struct signer_pending p;
	char text[256];
	uint32_t code;

	if (ipc_error_get(&m->body, &code, text, sizeof(text)) == -1 ||
	    signer_take(s, m->id, &p) == NULL)
		return -1;
	s->refused++;
	log_warnx("key holder refused to sign (%u): %s", code, text);
	p.cb(p.arg, -1, NULL);
	return 0;
}

static const struct ipc_handler signer_handlers[] = {
	{ IPC_MSG_KEY_SIGN_REPLY, signer_reply },
	{ IPC_MSG_ERROR, signer_error },
	{ 0, NULL },
};

/* everything in flight fails; callbacks may send new requests */
static void
signer_fail_all(struct signer *s)
{
	struct signer_pending *p = s->pending;
	size_t i, n = s->npending;

	s->pending = NULL;
	s->npending = 0;
	for (i = 0; i < n; i++)
		p[i].cb(p[i].arg, -1, NULL);
	free(p);
}

static void
signer_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct signer *s = arg;

	log_warnx("signing socket closed: %s", ipc_err_str(e));
	signer_fail_all(s);
}

static const struct ipc_callbacks signer_callbacks = {
	.handlers = signer_handlers,
	.down = signer_down,
};

int
signer_init(struct signer *s, struct ipc *ipc, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->client = ipc_client_new(ipc, path, IPC_ROLE_KEYHOLDER,
	    &signer_callbacks, s);
	return s->client == NULL ? -1 : 0;
}

void
signer_free(struct signer *s)
{
	if (s->client != NULL)
		ipc_client_free(s->client);
	s->client = NULL;
	signer_fail_all(s);
}

bool
signer_ready(const struct signer *s)
{
	return s->client != NULL && ipc_client_conn(s->client) != NULL;
}

int
signer_request(struct signer *s, const uint8_t *body, size_t len,
    signer_cb cb, void *arg)
{
	struct signer_pending *p;
	struct ipc_conn *c;
	uint32_t id;

	if (s->client == NULL || (c = ipc_client_conn(s->client)) == NULL ||
	    s->npending >= SIGNER_MAX_PENDING)
		return -1;
	p = reallocarray(s->pending, s->npending + 1, sizeof(*p));
	if (p == NULL)
		return -1;
	s->pending = p;
	id = ipc_conn_next_id(c);
	if (ipc_send(c, IPC_MSG_KEY_SIGN_REQ, id, body, len) == -1)
		return -1;
	p[s->npending].id = id;
	p[s->npending].cb = cb;
	p[s->npending].arg = arg;
	s->npending++;
	return 0;
}

/*
 * A job in flight: one of these per signing request, all pointing at
 * the shared run state, so a reply knows which request it answers.
 */
struct signer_run {
	struct signer		*s;
	struct issue_job	*job;
	signer_job_cb		 done;
	void			*arg;
	int			 stage;
	size_t			 outstanding;
	bool			 failed;
	struct signer_slot	*slots;
};

struct signer_slot {
	struct signer_run	*run;
	size_t			 index;
};

static int	 signer_run_stage(struct signer_run *);

static void
signer_run_end(struct signer_run *r, int status)
{
	r->done(r->arg, r->job, status);
	free(r->slots);
	free(r);
}

static void
signer_run_sig(void *arg, int status, const uint8_t sig[ZT_SIGNATURE_LEN])
{
	struct signer_slot *sl = arg;
	struct signer_run *r = sl->run;

	r->outstanding--;
	if (status == -1 || r->failed)
		r->failed = true;
	else if (issue_job_signature(r->job, sl->index, sig) == -1) {
		/* our side, not the key holder's: say so */
		log_warnx("issuance for %010llx failed after a signature "
		    "(stage %d)", (unsigned long long)r->job->member,
		    r->job->stage);
		r->failed = true;
	}
	if (r->outstanding > 0)
		return;
	if (r->failed)
		signer_run_end(r, -1);
	else if (issue_job_done(r->job))
		signer_run_end(r, 0);
	else if (signer_run_stage(r) == -1)
		signer_run_end(r, -1);
}

/* sends every request of the job's current stage */
static int
signer_run_stage(struct signer_run *r)
{
	const uint8_t *body;
	size_t i, n = issue_job_nsign(r->job), len;

	free(r->slots);
	if (n == 0 || (r->slots = calloc(n, sizeof(*r->slots))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((body = issue_job_sign_body(r->job, i, &len)) == NULL)
			return -1;
		r->slots[i].run = r;
		r->slots[i].index = i;
		if (signer_request(r->s, body, len, signer_run_sig,
		    &r->slots[i]) == -1) {
			/* those already sent still answer: wait for them */
			r->failed = true;
			return r->outstanding > 0 ? 0 : -1;
		}
		r->outstanding++;
	}
	return 0;
}

int
signer_run_job(struct signer *s, struct issue_job *job, signer_job_cb done,
    void *arg)
{
	struct signer_run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->s = s;
	r->job = job;
	r->done = done;
	r->arg = arg;
	if (signer_run_stage(r) == -1) {
		free(r->slots);
		free(r);
		return -1;
	}
	return 0;
}
