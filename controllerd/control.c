/*
 * zt-controllerd's IPC: zt-ctl's JSON requests on the control socket
 * (the same handlers as the HTTP API), and the client connection to
 * zt-vl1d that brings members' config requests.
 */
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctrld.h"
#include "log.h"

/* a control request may carry an import batch */
#define CTRLD_CTL_JSON_MAX	(1024 * 1024)
/* the longest dearmored packet zt-vl1d forwards */
#define CTRLD_PACKET_MAX	16384

static int
ctrld_count_member(const char *id, int64_t revision, bool authorized,
    void *arg)
{
	(*(uint64_t *)arg)++;
	return 0;
}

/*
 * controller_network_count and controller_member_count, ZeroTier One's
 * gauges, read from the store's index when asked: zt-ctl asks seldom,
 * and nothing has to follow imports and deletes.  -1 on a store error.
 */
static int
ctrld_count_objects(struct ctrld_ctx *ctx, uint64_t *nets,
    uint64_t *members)
{
	struct ctrl_store *s = ctx->store;
	uint64_t *ids = NULL;
	size_t i, n = 0;
	int rc = 0;

	*nets = *members = 0;
	if (s->ops->network_ids(s, &ids, &n) != CTRL_STORE_OK)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		if (s->ops->member_index(s, ids[i], ctrld_count_member,
		    members) == CTRL_STORE_ERR)
			rc = -1;
	free(ids);
	*nets = n;
	return rc;
}

/*
 * zt-ctl info -j (issue 4 item 8; controllerd/README.md).  Answered
 * counts pushes too: a push is an answer nobody asked for.  ZeroTier
 * One's controller metrics keep their names (they have no labels).
 */
static json_t *
ctrld_ctl_counters(struct ctrld_ctx *ctx)
{
	const struct ctrl_store_counts *c = &ctx->store->counts;
	uint64_t nets, members;

	if (ctrld_count_objects(ctx, &nets, &members) == -1)
		return json_pack("{s:s}", "error", "store failure");
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I}",
	    "controller_network_count", (json_int_t)nets,
	    "controller_member_count", (json_int_t)members,
	    "controller_network_change_count", (json_int_t)c->network_changes,
	    "controller_member_change_count", (json_int_t)c->member_changes,
	    "controller_member_auth_count", (json_int_t)c->member_auths,
	    "controller_member_deauth_count", (json_int_t)c->member_deauths,
	    "configRequests", (json_int_t)ctx->config_requests,
	    "configAnswered", (json_int_t)ctx->config_answered,
	    "configDenied", (json_int_t)ctx->config_denied,
	    "configUnanswered", (json_int_t)ctx->config_unanswered,
	    "configRateLimited", (json_int_t)ctx->config_rate_limited,
	    "pushes", (json_int_t)ctx->pushes,
	    "revocationsSent", (json_int_t)ctx->revocations_sent);
}

/* zt-ctl sandbox, status and info -j: about the process, no API call */
static json_t *
ctrld_ctl_sandbox(struct ctrld_ctx *ctx, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (cmd != NULL && strcmp(cmd, "counters") == 0)
		return ctrld_ctl_counters(ctx);
	if (cmd == NULL || strcmp(cmd, "sandbox") != 0)
		return NULL;
	return json_pack("{s:s, s:s, s:[o], s:{s:b}}", "daemon",
	    "zt-controllerd", "version", ZT_VERSION, "processes",
	    sandbox_report_json(&ctrld_policy, 0), "links", "zt-vl1d",
	    ctx->vl1d != NULL && ipc_client_conn(ctx->vl1d) != NULL);
}

static int
ctrld_on_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct ctrld_ctx *ctx = arg;
	size_t len = rbuf_remaining(&m->body);
	const uint8_t *p;
	json_error_t err;
	json_t *req, *reply;
	char who[32], *text;
	int rc;

	if (len > CTRLD_CTL_JSON_MAX || rbuf_get_ptr(&m->body, len, &p) == -1)
		return -1;
	if (ctrl_api_parse_body(p, len, &req, err.text,
	    sizeof(err.text)) == -1 || !json_is_object(req)) {
		json_decref(req);
		return ipc_send_error(c, m->id, 22, "bad request");
	}
	/* the control socket's mode and group admitted this local user */
	snprintf(who, sizeof(who), "uid:%u", (unsigned int)ipc_conn_uid(c));
	/*
	 * zt-ctl's request joins the turn's batch, which is committed at
	 * once: the reply on this connection cannot wait for a later turn,
	 * and zt-ctl's requests are few.
	 */
	if (ctrl_api_batch_open(&ctx->api) == -1) {
		json_decref(req);
		return ipc_send_error(c, m->id, 5, "store failure");
	}
	if ((reply = ctrld_ctl_sandbox(ctx, req)) == NULL)
		reply = ctrl_api_ctl(&ctx->api, req, who);
	json_decref(req);
	if (!ctrl_api_flush(&ctx->api)) {
		json_decref(reply);
		reply = json_pack("{s:s}", "error", "store failure");
	}
	if (reply == NULL || (text = json_dumps(reply, JSON_COMPACT |
	    JSON_SORT_KEYS | JSON_ENCODE_ANY)) == NULL) {
		json_decref(reply);
		return ipc_send_error(c, m->id, 12, "out of memory");
	}
	rc = ipc_send(c, IPC_MSG_CTL_REPLY, m->id, text, strlen(text));
	free(text);
	json_decref(reply);
	return rc == -1 ? -1 : 0;
}

/*
 * (u40 source, u8 flags, bytes16 dearmored packet, bytes16 identity)*:
 * each entry is checked to the end so that a malformed batch closes the
 * link.
 */
static int
ctrld_on_config_req(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct ctrld_ctx *ctx = arg;
	const uint8_t *pkt, *id;
	uint64_t src;
	uint8_t flags;
	size_t len, idlen;

	while (rbuf_remaining(&m->body) > 0) {
		if (rbuf_get_u40(&m->body, &src) == -1 ||
		    rbuf_get_u8(&m->body, &flags) == -1 ||
		    ipc_get_bytes16(&m->body, CTRLD_PACKET_MAX, &pkt,
		    &len) == -1 ||
		    ipc_get_bytes16(&m->body, 256, &id, &idlen) == -1)
			return -1;
		ctrld_serve_request(ctx, src, pkt, len, id, idlen,
		    ctrld_now());
	}
	return 0;
}

static const struct ipc_handler ctrld_ctl_handlers[] = {
	{ IPC_MSG_CTL_REQUEST, ctrld_on_ctl },
	{ 0, NULL },
};

static const struct ipc_handler ctrld_vl1d_handlers[] = {
	{ IPC_MSG_CTRL_CONFIG_REQ, ctrld_on_config_req },
	{ 0, NULL },
};

static void
ctrld_vl1d_up(struct ipc_conn *c, void *arg)
{
	log_info("connected to zt-vl1d");
}

static void
ctrld_vl1d_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	log_info("zt-vl1d link down: %s", ipc_err_str(e));
}

int
ctrld_control_open(struct ctrld_ctx *ctx)
{
	static const struct ipc_callbacks cb = {
		.handlers = ctrld_ctl_handlers,
	};
	char path[PATH_MAX];
	struct group *gr;
	gid_t gid = (gid_t)-1;
	int fd;

	if (ctx->ctl_fd != -1) {
		/* made by the manager, owner and mode set by the .socket */
		fd = ctx->ctl_fd;
		ctx->ctl_fd = -1;
	} else {
		if (ctx->cfg.ctl_group != NULL &&
		    (gr = getgrnam(ctx->cfg.ctl_group)) != NULL)
			gid = gr->gr_gid;
		snprintf(path, sizeof(path), "%s/zt-controllerd.sock",
		    ctx->cfg.rundir);
		if ((fd = ipc_socket_listen(path, 0660, gid)) == -1) {
			log_warn("%s", path);
			return -1;
		}
	}
	ctx->listener = ipc_listener_new(ctx->ipc, fd, IPC_R(CTL), &cb, ctx);
	return ctx->listener == NULL ? -1 : 0;
}

int
ctrld_vl1d_open(struct ctrld_ctx *ctx)
{
	static const struct ipc_callbacks cb = {
		.handlers = ctrld_vl1d_handlers,
		.up = ctrld_vl1d_up,
		.down = ctrld_vl1d_down,
	};
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/zt-vl1d-ipc.sock", ctx->cfg.rundir);
	ctx->vl1d = ipc_client_new(ctx->ipc, path, IPC_ROLE_VL1D, &cb, ctx);
	return ctx->vl1d == NULL ? -1 : 0;
}
