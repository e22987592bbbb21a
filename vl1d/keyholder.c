/*
 * The key holder: the half of zt-vl1d that keeps identity.secret.  It
 * answers the network half's key-agreement requests over the socketpair
 * made at fork, rate-limited and logged, and nothing else; a compromised
 * network half can ask for agreements while it stays compromised but can
 * never read the secret key (DESIGN.md).  Its own signing socket serves
 * zt-controllerd alone, checked here by uid, and signs typed objects of
 * this node's networks only (keysign.c).
 */
#include <sys/types.h>

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "keysign.h"
#include "log.h"
#include "sandbox.h"
#include "vl1d.h"

/* the only user whose processes may ask for signatures */
#define KEYHOLDER_SIGN_USER	"zt-ctrl"

/* token bucket: a burst of new peers, then a steady rate */
#define KEYHOLDER_BURST		512
#define KEYHOLDER_PER_SEC	200

struct keyholder_ctx {
	struct identity		*id;
	struct event_base	*base;
	double			 tokens;
	int64_t			 last_refill;
	uint64_t		 agreed;
	struct log_drops	 limited;
};

static bool
keyholder_take_token(struct keyholder_ctx *k)
{
	int64_t now = log_now_ms();

	k->tokens += (double)(now - k->last_refill) * KEYHOLDER_PER_SEC / 1000;
	if (k->tokens > KEYHOLDER_BURST)
		k->tokens = KEYHOLDER_BURST;
	k->last_refill = now;
	if (k->tokens < 1)
		return false;
	k->tokens -= 1;
	return true;
}

static int
keyholder_agree(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct keyholder_ctx *k = arg;
	uint8_t key[ZT_AGREED_KEY_LEN];
	struct identity peer;
	char a[11];
	int rc;

	memset(&peer, 0, sizeof(peer));
	if (identity_deserialize(&peer, &m->body) == -1 ||
	    identity_has_private(&peer) || !rbuf_done(&m->body)) {
		identity_clear(&peer);
		return -1;
	}
	if (!keyholder_take_token(k)) {
		log_drop(&k->limited, "agreement with %s over the rate limit",
		    zt_address_fmt(peer.address, a));
		identity_clear(&peer);
		return ipc_send_error(c, m->id, 1, "rate limited") == -1 ?
		    -1 : 0;
	}
	rc = identity_agree(k->id, &peer, key);
	if (rc == 0) {
		k->agreed++;
		log_debug("key agreement %llu with %s",
		    (unsigned long long)k->agreed,
		    zt_address_fmt(peer.address, a));
		rc = ipc_send(c, IPC_MSG_KEY_AGREE_REPLY, m->id, key,
		    sizeof(key));
	} else
		rc = ipc_send_error(c, m->id, 2, "agreement failed");
	OPENSSL_cleanse(key, sizeof(key));
	identity_clear(&peer);
	return rc == -1 ? -1 : 0;
}

/* what only this process knows: the sandbox it applied to itself */
static int
keyholder_sandbox(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	json_t *st;
	char *text = NULL;
	int rc;

	if (!rbuf_done(&m->body))
		return -1;
	if ((st = sandbox_status_json()) == NULL ||
	    (text = json_dumps(st, JSON_COMPACT)) == NULL)
		rc = ipc_send_error(c, m->id, 1, "no sandbox status");
	else
		rc = ipc_send(c, IPC_MSG_KEY_SANDBOX_REPLY, m->id, text,
		    strlen(text));
	free(text);
	json_decref(st);
	return rc == -1 ? -1 : 0;
}

static void
keyholder_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct keyholder_ctx *k = arg;

	/* without the network half there is nothing left to serve */
	log_info("network half gone (%s), key holder exits", ipc_err_str(e));
	event_base_loopbreak(k->base);
}

static const struct ipc_handler keyholder_handlers[] = {
	{ IPC_MSG_KEY_AGREE_REQ, keyholder_agree },
	{ IPC_MSG_KEY_SANDBOX_REQ, keyholder_sandbox },
	{ 0, NULL },
};

/*
 * Opens <rundir>/zt-vl1d-keys.sock before the sandbox, group of the
 * controller's user, mode 0660: the socket's mode keeps others out and
 * the IPC library's uid check keeps out everyone but zt-controllerd.
 * Without that user this host runs no controller and nothing listens.
 */
static int
keyholder_sign_socket(struct ipc_config *c, const char *rundir, int keys_fd)
{
	char path[PATH_MAX];
	struct passwd *pw;
	int fd;

	if ((pw = getpwnam(KEYHOLDER_SIGN_USER)) == NULL) {
		log_info("no user %s: no signing socket", KEYHOLDER_SIGN_USER);
		if (keys_fd != -1)
			close(keys_fd);
		return -1;
	}
	c->role_uid[IPC_ROLE_CONTROLLERD] = pw->pw_uid;
	/* socket activation: the service manager made it, mode and all */
	if (keys_fd != -1)
		return keys_fd;
	if (snprintf(path, sizeof(path), "%s/%s", rundir, KEYSIGN_SOCKET) >=
	    (int)sizeof(path)) {
		log_warnx("signing socket path too long");
		return -1;
	}
	if ((fd = ipc_socket_listen(path, 0660, pw->pw_gid)) == -1)
		log_warn("signing socket %s", path);
	return fd;
}

void
keyholder_main(struct identity *id, int fd, const char *rundir, int keys_fd)
{
	struct ipc_callbacks cb = {
		.handlers = keyholder_handlers,
		.down = keyholder_down,
	};
	struct keyholder_ctx k;
	struct ipc_config c;
	struct keysign ks;
	struct ipc *ipc;
	int sfd;

	memset(&k, 0, sizeof(k));
	memset(&ks, 0, sizeof(ks));
	k.id = id;
	k.tokens = KEYHOLDER_BURST;
	k.last_refill = log_now_ms();
	k.limited.what = "key agreement";
	if ((k.base = ipc_event_base_new()) == NULL)
		fatalx("key holder: no event base");
	ipc_config_init(&c, IPC_ROLE_KEYHOLDER);
	sfd = rundir != NULL ? keyholder_sign_socket(&c, rundir, keys_fd) :
	    -1;
	if ((ipc = ipc_new(k.base, &c)) == NULL ||
	    ipc_conn_open(ipc, fd, IPC_R(VL1D), IPC_CONN_TRUSTED, &cb,
	    &k) == NULL)
		fatalx("key holder: cannot serve the network half");
	if (sfd != -1 && keysign_start(&ks, ipc, sfd, id) == -1)
		fatalx("key holder: cannot serve the signing socket");
	if (sandbox_apply(&keyholder_policy, NULL, NULL) == -1)
		fatalx("key holder: sandbox failed");
	if (ks.listener != NULL && ipc_listener_relisten(ks.listener) == -1)
		fatal("key holder: listen as %s", keyholder_policy.user);
	event_base_dispatch(k.base);
	keysign_stop(&ks);
	ipc_free(ipc);
	event_base_free(k.base);
	identity_clear(id);
	exit(0);
}

int
vl1d_agree(void *arg, const struct identity *peer,
    uint8_t key[ZT_AGREED_KEY_LEN])
{
	struct vl1d_ctx *ctx = arg;
	uint8_t body[128], *reply = NULL;
	struct wbuf w;
	uint16_t rtype;
	size_t rlen;
	int rc = -1;

	wbuf_init(&w, body, sizeof(body));
	if (identity_serialize(peer, false, &w) == -1)
		return -1;
	if (ipc_sync_call(&ctx->keys, IPC_MSG_KEY_AGREE_REQ, body,
	    wbuf_len(&w), &rtype, &reply, &rlen) == -1) {
		/* the key holder is gone: this half cannot work without it */
		fatalx("key holder does not answer");
	}
	if (rtype == IPC_MSG_KEY_AGREE_REPLY && rlen == ZT_AGREED_KEY_LEN) {
		memcpy(key, reply, ZT_AGREED_KEY_LEN);
		rc = 0;
	} else
		ctx->agree_failed++;
	if (reply != NULL) {
		OPENSSL_cleanse(reply, rlen);
		free(reply);
	}
	return rc;
}

/*
 * The key holder's entry for zt-ctl sandbox, its status asked from it;
 * status stays null (and the node serves on) when it cannot say.
 */
json_t *
vl1d_keyholder_report(struct vl1d_ctx *ctx)
{
	static const uint8_t none;
	json_t *rep, *st = NULL;
	uint8_t *reply = NULL;
	uint16_t rtype;
	size_t rlen;

	if ((rep = sandbox_report_json(&keyholder_policy,
	    ctx->keyholder)) == NULL)
		return NULL;
	/* an empty body, but never a NULL pointer for memcpy */
	if (ipc_sync_call(&ctx->keys, IPC_MSG_KEY_SANDBOX_REQ, &none, 0,
	    &rtype, &reply, &rlen) == -1)
		log_warnx("key holder: no answer about its sandbox");
	else if (rtype != IPC_MSG_KEY_SANDBOX_REPLY ||
	    (st = json_loadb((const char *)reply, rlen, 0, NULL)) == NULL ||
	    !json_is_object(st))
		log_warnx("key holder: no usable sandbox status");
	else
		json_object_set(rep, "status", st);
	json_decref(st);
	free(reply);
	return rep;
}
