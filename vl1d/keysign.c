/*
 * The key holder's signing socket (keysign.h).  The IPC library has
 * already checked the peer's role against its uid and the frame against
 * the catalogue; what is left is the object itself, which signreq_sign()
 * parses and checks against this node's address before signing.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "keysign.h"
#include "log.h"
#include "signreq.h"

static int
keysign_req(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct keysign *ks = arg;
	uint8_t sig[ZT_SIGNATURE_LEN];
	enum signreq_kind kind = 0;
	enum signreq_err e;
	const uint8_t *body;
	size_t len = rbuf_remaining(&m->body);
	int rc;

	if (rbuf_get_ptr(&m->body, len, &body) == -1)
		return -1;
	e = signreq_sign(body, len, ks->key, &kind, sig);
	if (e != SIGNREQ_OK) {
		/* a refusal is an answer, not a protocol error */
		ks->refused_total++;
		log_drop(&ks->refused, "kind %u, %s",
		    (unsigned int)kind, signreq_err_str(e));
		return ipc_send_error(c, m->id, e, signreq_err_str(e)) == -1 ?
		    -1 : 0;
	}
	ks->signed_total++;
	log_debug("signed a kind %u object (%llu so far)", (unsigned int)kind,
	    (unsigned long long)ks->signed_total);
	rc = ipc_send(c, IPC_MSG_KEY_SIGN_REPLY, m->id, sig, sizeof(sig));
	OPENSSL_cleanse(sig, sizeof(sig));
	return rc == -1 ? -1 : 0;
}

static const struct ipc_handler keysign_handlers[] = {
	{ IPC_MSG_KEY_SIGN_REQ, keysign_req },
	{ 0, NULL },
};

static void
keysign_up(struct ipc_conn *c, void *arg)
{
	log_info("zt-controllerd connected to the signing socket (uid %u)",
	    (unsigned int)ipc_conn_uid(c));
}

static void
keysign_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	log_info("zt-controllerd left the signing socket: %s",
	    ipc_err_str(e));
}

static const struct ipc_callbacks keysign_cb = {
	.handlers = keysign_handlers,
	.up = keysign_up,
	.down = keysign_down,
};

int
keysign_start(struct keysign *ks, struct ipc *ipc, int fd,
    const struct identity *key)
{
	memset(ks, 0, sizeof(*ks));
	ks->key = key;
	ks->refused.what = "signing request";
	/* only the controller role; its uid is the IPC library's check */
	if ((ks->listener = ipc_listener_new(ipc, fd, IPC_R(CONTROLLERD),
	    &keysign_cb, ks)) == NULL)
		return -1;
	return 0;
}

void
keysign_stop(struct keysign *ks)
{
	if (ks->listener != NULL)
		ipc_listener_free(ks->listener);
	ks->listener = NULL;
}
