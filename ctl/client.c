/*
 * zt-ctl's side of the control sockets: one JSON request, one JSON reply
 * (in parts when large), over the daemon's socket in the run directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "ipc_sync.h"

#define CTL_TIMEOUT_MS	10000

static enum ipc_role
ctl_role_of(const char *daemon)
{
	if (strcmp(daemon, "zt-vl1d") == 0)
		return IPC_ROLE_VL1D;
	if (strcmp(daemon, "zt-vl2d") == 0)
		return IPC_ROLE_VL2D;
	if (strcmp(daemon, "zt-controllerd") == 0)
		return IPC_ROLE_CONTROLLERD;
	if (strcmp(daemon, "zt-tapd") == 0)
		return IPC_ROLE_TAPD;
	return IPC_ROLE_NONE;
}

/* says why a request got no answer; errno as ipc_sync_call sets it */
static int
ctl_call_failed(const char *daemon, size_t len, int e)
{
	const struct ipc_type_info *t = ipc_type_lookup(IPC_MSG_CTL_REQUEST);

	switch (e) {
	case EMSGSIZE:
		return ctl_error("request to %s of %zu bytes is over the "
		    "%u-byte limit of one zt-ctl request; nothing was sent",
		    daemon, len, t != NULL ? t->total : 0);
	case ETIMEDOUT:
		return ctl_error("%s did not answer within %d s", daemon,
		    CTL_TIMEOUT_MS / 1000);
	case ECONNRESET:
	case EPIPE:
		return ctl_error("%s closed the connection without an answer "
		    "(request of %zu bytes; see its log)", daemon, len);
	default:
		return ctl_error("talking to %s: %s", daemon, strerror(e));
	}
}

int
ctl_call(const struct ctl_opts *o, const char *daemon, json_t *req,
    json_t **reply)
{
	char path[PATH_MAX], text[1024], *body;
	struct ipc_sync s;
	uint8_t *r = NULL;
	json_error_t err;
	uint16_t rtype;
	uint32_t code;
	struct rbuf rb;
	size_t rlen;
	int rc = 1;

	*reply = NULL;
	snprintf(path, sizeof(path), "%s/%s.sock", o->rundir, daemon);
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		return ctl_error("out of memory");
	if (ipc_sync_connect(&s, path, IPC_ROLE_CTL, ctl_role_of(daemon),
	    CTL_TIMEOUT_MS) == -1) {
		free(body);
		return ctl_error("cannot talk to %s at %s (is it running, "
		    "and are you root or in group zt?)", daemon, path);
	}
	if (ipc_sync_call(&s, IPC_MSG_CTL_REQUEST, body, strlen(body),
	    &rtype, &r, &rlen) == -1) {
		rc = ctl_call_failed(daemon, strlen(body), errno);
		goto done;
	}
	if (rtype == IPC_MSG_ERROR) {
		rbuf_init(&rb, r, rlen);
		if (ipc_error_get(&rb, &code, text, sizeof(text)) == -1)
			snprintf(text, sizeof(text), "malformed error");
		rc = ctl_error("%s: %s", daemon, text);
		goto done;
	}
	if ((*reply = json_loadb((const char *)r, rlen,
	    JSON_REJECT_DUPLICATES, &err)) == NULL) {
		rc = ctl_error("%s sent a malformed reply", daemon);
		goto done;
	}
	rc = 0;
done:
	free(r);
	free(body);
	ipc_sync_close(&s);
	return rc;
}
