/*
 * zt-tapd's socket: the closed list of TAP_* requests from zt-vl2d, the
 * node API's settings relayed by zt-vl1d and the JSON questions of
 * zt-ctl.  The IPC library has already checked the peer's role against
 * its uid and each frame's type, size and fd count; here each body is
 * decoded strictly (policy.c) and each request is checked against
 * zt-tapd's own record (device.c).  A malformed body
 * closes the connection; a request about another interface or outside
 * the scope rules is refused with an ERROR reply and logged.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "hex.h"
#include "log.h"
#include "notify.h"
#include "tapd.h"

#define TAPD_CTL_JSON_MAX	(64 * 1024)

static int
tapd_reply(struct tapd_ctx *ctx, struct ipc_conn *c, uint32_t id, int err,
    const char *why)
{
	if (err == 0)
		return ipc_send_error(c, id, 0, "");
	ctx->failed++;
	return ipc_send_error(c, id, (uint32_t)err, why != NULL &&
	    *why != '\0' ? why : strerror(err));
}

static int
tapd_on_open(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	struct tapd_open_reply rep;
	struct tapd_open_req r;
	struct tapd_dev *d;
	uint8_t buf[64];
	struct wbuf w;
	int err, fd, rc;

	if (tapd_open_req_get(&m->body, &r) == -1)
		return -1;
	ctx->requests++;
	if ((err = tapd_dev_open(ctx, &r, &d, &fd)) != 0) {
		log_warnx("open for network %016llx failed: %s",
		    (unsigned long long)r.nwid, strerror(err));
		return tapd_reply(ctx, c, m->id, err, err == EBUSY ?
		    "device attached to another fd" : NULL);
	}
	memset(&rep, 0, sizeof(rep));
	rep.nwid = d->nwid;
	snprintf(rep.ifname, sizeof(rep.ifname), "%s", d->name);
	rep.ifindex = (uint32_t)d->ifindex;
	rep.offloads = ctx->offloads;
	ctx->opens++;
	wbuf_init(&w, buf, sizeof(buf));
	tapd_open_reply_put(&w, &rep);
	rc = wbuf_failed(&w) ? -1 : ipc_send_fds(c, IPC_MSG_TAP_OPEN_REPLY,
	    m->id, wbuf_data(&w), wbuf_len(&w), &fd, 1);
	/* the library sent a duplicate: zt-vl2d now holds the only fd */
	close(fd);
	d->mcast_sent = false;
	tapd_mcast_report_all(ctx, false);
	return rc;
}

static int
tapd_on_addrs(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	struct tapd_addrs_req r;
	struct tapd_dev *d;
	unsigned int refused;
	char why[256] = "";
	int err;

	if (tapd_addrs_req_get(&m->body, &r) == -1)
		return -1;
	ctx->requests++;
	if ((err = tapd_dev_check(ctx, &r.dev, &d)) != 0)
		return tapd_reply(ctx, c, m->id, err, "not a device of zt-tapd's");
	d->addrs = r;
	d->have_addrs = true;
	err = tapd_dev_addrs(ctx, d, &refused, why, sizeof(why));
	if (err == 0 && refused > 0)
		err = EPERM;
	tapd_mcast_report_all(ctx, false);
	return tapd_reply(ctx, c, m->id, err, why);
}

static int
tapd_on_routes(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	struct tapd_routes_req r;
	struct tapd_dev *d;
	unsigned int refused;
	char why[256] = "";
	int err;

	if (tapd_routes_req_get(&m->body, &r) == -1)
		return -1;
	ctx->requests++;
	if ((err = tapd_dev_check(ctx, &r.dev, &d)) != 0)
		return tapd_reply(ctx, c, m->id, err, "not a device of zt-tapd's");
	d->routes = r;
	d->have_routes = true;
	err = tapd_dev_routes(ctx, d, &refused, why, sizeof(why));
	if (err == 0 && refused > 0)
		err = EPERM;
	return tapd_reply(ctx, c, m->id, err, why);
}

static int
tapd_on_link(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	struct tapd_link_req r;
	struct tapd_dev *d;
	int err;

	if (tapd_link_req_get(&m->body, &r) == -1)
		return -1;
	ctx->requests++;
	if ((err = tapd_dev_check(ctx, &r.dev, &d)) != 0)
		return tapd_reply(ctx, c, m->id, err, "not a device of zt-tapd's");
	return tapd_reply(ctx, c, m->id, tapd_dev_link(ctx, d, &r), NULL);
}

static int
tapd_on_close(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	struct tapd_dev_ref r;
	struct tapd_dev *d;
	int err;

	if (tapd_dev_ref_get(&m->body, &r) == -1)
		return -1;
	ctx->requests++;
	if ((err = tapd_dev_check(ctx, &r, &d)) != 0)
		return tapd_reply(ctx, c, m->id, err, "not a device of zt-tapd's");
	return tapd_reply(ctx, c, m->id, tapd_dev_close(ctx, d), NULL);
}

static void
tapd_send_report(struct tapd_ctx *ctx, struct tapd_dev *d)
{
	struct tapd_mcast_report *r;
	struct wbuf w;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->dev.nwid = d->nwid;
	snprintf(r->dev.ifname, sizeof(r->dev.ifname), "%s", d->name);
	r->n = d->nmcast;
	memcpy(r->groups, d->mcast, d->nmcast * sizeof(*d->mcast));
	wbuf_init_dynamic(&w, 16384);
	if (tapd_mcast_report_put(&w, r) == 0 &&
	    ipc_send_wbuf(ctx->vl2d, IPC_MSG_TAP_MCAST_REPORT, 0, &w) == 0)
		d->mcast_sent = true;
	wbuf_free(&w);
	free(r);
}

void
tapd_mcast_report_all(struct tapd_ctx *ctx, bool force)
{
	struct tapd_dev *d;
	size_t i;

	if (ctx->vl2d == NULL)
		return;
	for (i = 0; i < TAPD_MAX_DEVICES; i++) {
		d = &ctx->devs[i];
		if (!d->used || d->ifindex == 0)
			continue;
		if (tapd_dev_mcast_scan(ctx, d) || force || !d->mcast_sent)
			tapd_send_report(ctx, d);
	}
}

void
tapd_settings_changed(struct tapd_ctx *ctx, uint64_t nwid)
{
	struct tapd_dev *d = tapd_dev_find(ctx, nwid);
	unsigned int refused;
	char why[256];

	tapd_state_save(ctx);
	if (d == NULL || d->ifindex == 0)
		return;
	/* what zt-vl2d asked for is re-judged under the new settings */
	tapd_dev_addrs(ctx, d, &refused, why, sizeof(why));
	tapd_dev_routes(ctx, d, &refused, why, sizeof(why));
}

static json_t *
tapd_settings_json(const struct tapd_settings *s)
{
	static const char *const names[] = {
		"allowManaged", "allowGlobal", "allowDefault", "allowDNS",
	};
	char v[TAPD_WHITELIST_MAX * INETADDR_STRLEN];
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (tapd_settings_get(s, names[i], v, sizeof(v)) == 0)
			json_object_set_new(o, names[i], json_string(v));
	return o;
}

static json_t *
tapd_ctl_error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

static int
tapd_ctl_nwid(json_t *req, uint64_t *nwid)
{
	const char *s;

	if (json_unpack(req, "{s:s}", "nwid", &s) == -1 || strlen(s) != 16 ||
	    hex_parse_u64(s, 16, nwid) == -1 || *nwid == 0)
		return -1;
	return 0;
}

/* root or group zt only (the socket's mode), and never zt-vl2d's uid */
static json_t *
tapd_ctl_set(struct tapd_ctx *ctx, struct ipc_conn *c, json_t *req)
{
	const char *name, *value;
	struct tapd_settings s;
	struct tapd_net *n;
	uint64_t nwid;

	if (ipc_conn_uid(c) == ctx->vl2_uid) {
		ctx->settings_refused++;
		log_warnx("settings change from zt-vl2d's uid refused");
		return tapd_ctl_error("zt-vl2d may not change settings");
	}
	if (tapd_ctl_nwid(req, &nwid) == -1 || json_unpack(req, "{s:s, s:s}",
	    "name", &name, "value", &value) == -1)
		return tapd_ctl_error("bad request");
	if ((n = tapd_net_get(ctx, nwid)) == NULL)
		return tapd_ctl_error("too many networks");
	s = n->s;
	if (tapd_settings_set(&s, name, value) == -1)
		return tapd_ctl_error("unknown setting or bad value");
	ctx->settings_changed++;
	n->s = s;
	log_info("network %016llx: %s=%s (uid %u)", (unsigned long long)nwid,
	    name, value, (unsigned int)ipc_conn_uid(c));
	tapd_settings_changed(ctx, nwid);
	return tapd_settings_json(&n->s);
}

/*
 * The node API's settings (TAPD_SETTINGS_*): zt-vl1d serves the token-
 * checked HTTP API and relays a POST /network/<nwid> with allow* fields.
 * The catalogue admits these types from zt-vl1d's role only, and its
 * role only from zt-vl1's uid, so zt-vl2d can send neither.
 */
static const struct {
	uint8_t		 bit;
	const char	*name;
} tapd_allow_bits[] = {
	{ IPC_TAPD_ALLOW_MANAGED, "allowManaged" },
	{ IPC_TAPD_ALLOW_GLOBAL, "allowGlobal" },
	{ IPC_TAPD_ALLOW_DEFAULT, "allowDefault" },
	{ IPC_TAPD_ALLOW_DNS, "allowDNS" },
};

static uint8_t
tapd_allow_values(const struct tapd_settings *s)
{
	return (s->allow_managed ? IPC_TAPD_ALLOW_MANAGED : 0) |
	    (s->allow_global ? IPC_TAPD_ALLOW_GLOBAL : 0) |
	    (s->allow_default ? IPC_TAPD_ALLOW_DEFAULT : 0) |
	    (s->allow_dns ? IPC_TAPD_ALLOW_DNS : 0);
}

static int
tapd_settings_reply(struct tapd_ctx *ctx, struct ipc_conn *c, uint32_t id,
    const uint64_t *nwids, size_t n)
{
	uint8_t buf[2 + 9 * IPC_TAPD_SETTINGS_MAX];
	struct wbuf w;
	size_t i;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_put_u16(&w, (uint16_t)n);
	for (i = 0; i < n; i++) {
		wbuf_put_u64(&w, nwids[i]);
		wbuf_put_u8(&w, tapd_allow_values(tapd_settings_of(ctx,
		    nwids[i])));
	}
	if (wbuf_failed(&w))
		return -1;
	return ipc_send(c, IPC_MSG_TAPD_SETTINGS_REPLY, id, wbuf_data(&w),
	    wbuf_len(&w));
}

static int
tapd_on_settings_set(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	struct tapd_settings s;
	struct tapd_net *n;
	uint8_t mask, values;
	uint64_t nwid;
	char what[128];
	size_t i, off = 0;

	if (rbuf_get_u64(&m->body, &nwid) == -1 ||
	    rbuf_get_u8(&m->body, &mask) == -1 ||
	    rbuf_get_u8(&m->body, &values) == -1 ||
	    rbuf_remaining(&m->body) != 0 || nwid == 0 || mask == 0 ||
	    (mask & ~IPC_TAPD_ALLOW_ALL) != 0 || (values & ~mask) != 0)
		return -1;
	if ((n = tapd_net_get(ctx, nwid)) == NULL) {
		ctx->settings_refused++;
		return ipc_send_error(c, m->id, ENOSPC, "too many networks");
	}
	/* all or nothing: the copy is committed when every item applied */
	s = n->s;
	what[0] = '\0';
	for (i = 0; i < sizeof(tapd_allow_bits) / sizeof(tapd_allow_bits[0]);
	    i++) {
		if ((mask & tapd_allow_bits[i].bit) == 0)
			continue;
		if (tapd_settings_set(&s, tapd_allow_bits[i].name,
		    (values & tapd_allow_bits[i].bit) ? "1" : "0") == -1)
			return ipc_send_error(c, m->id, EINVAL, "bad setting");
		off += (size_t)snprintf(what + off, sizeof(what) - off,
		    " %s=%d", tapd_allow_bits[i].name,
		    (values & tapd_allow_bits[i].bit) != 0);
	}
	n->s = s;
	ctx->settings_changed++;
	log_info("network %016llx:%s (node API, uid %u)",
	    (unsigned long long)nwid, what, (unsigned int)ipc_conn_uid(c));
	tapd_settings_changed(ctx, nwid);
	return tapd_settings_reply(ctx, c, m->id, &nwid, 1) == -1 ? -1 : 0;
}

static int
tapd_on_settings_get(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	uint64_t nwids[IPC_TAPD_SETTINGS_MAX];
	uint16_t n;
	size_t i;

	if (rbuf_get_u16(&m->body, &n) == -1 || n == 0 ||
	    n > IPC_TAPD_SETTINGS_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (rbuf_get_u64(&m->body, &nwids[i]) == -1)
			return -1;
	if (rbuf_remaining(&m->body) != 0)
		return -1;
	return tapd_settings_reply(ctx, c, m->id, nwids, n) == -1 ? -1 : 0;
}

static json_t *
tapd_ctl_get(struct tapd_ctx *ctx, json_t *req)
{
	char v[TAPD_WHITELIST_MAX * INETADDR_STRLEN];
	const char *name;
	uint64_t nwid;

	if (tapd_ctl_nwid(req, &nwid) == -1)
		return tapd_ctl_error("bad request");
	if (json_unpack(req, "{s:s}", "name", &name) == -1)
		return tapd_settings_json(tapd_settings_of(ctx, nwid));
	if (tapd_settings_get(tapd_settings_of(ctx, nwid), name, v,
	    sizeof(v)) == -1)
		return tapd_ctl_error("unknown setting");
	return json_pack("{s:s}", name, v);
}

static json_t *
tapd_ctl_list(struct tapd_ctx *ctx)
{
	json_t *arr = json_array();
	struct tapd_dev *d;
	char nwid[17];
	size_t i;

	for (i = 0; i < TAPD_MAX_DEVICES; i++) {
		d = &ctx->devs[i];
		if (!d->used)
			continue;
		snprintf(nwid, sizeof(nwid), "%016llx",
		    (unsigned long long)d->nwid);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:i, "
		    "s:o}", "nwid", nwid, "name", d->name, "ifindex",
		    d->ifindex, "multicastGroups", (int)d->nmcast, "settings",
		    tapd_settings_json(tapd_settings_of(ctx, d->nwid))));
	}
	return arr;
}

/* zt-ctl info -j (issue 4 item 8; tapd/README.md) */
static json_t *
tapd_ctl_counters(struct tapd_ctx *ctx)
{
	size_t i, devs = 0;

	for (i = 0; i < TAPD_MAX_DEVICES; i++)
		devs += ctx->devs[i].used;
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "requests", (json_int_t)ctx->requests,
	    "requestsFailed", (json_int_t)ctx->failed,
	    "refused", (json_int_t)ctx->refused,
	    "tapsOpened", (json_int_t)ctx->opens,
	    "taps", (json_int_t)devs,
	    "settingsChanged", (json_int_t)ctx->settings_changed,
	    "settingsRefused", (json_int_t)ctx->settings_refused);
}

static int
tapd_on_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct tapd_ctx *ctx = arg;
	size_t len = rbuf_remaining(&m->body);
	const uint8_t *p;
	json_error_t err;
	json_t *req, *reply;
	const char *cmd;
	char *text;
	int rc;

	if (len > TAPD_CTL_JSON_MAX) {
		/* answered, so that zt-ctl says why instead of timing out */
		if (rbuf_skip(&m->body, len) == -1)
			return -1;
		return ipc_send_error(c, m->id, EMSGSIZE, "request over 64 KiB");
	}
	if (rbuf_get_ptr(&m->body, len, &p) == -1)
		return -1;
	if ((req = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL || json_unpack(req, "{s:s}", "cmd", &cmd) == -1) {
		json_decref(req);
		return ipc_send_error(c, m->id, EINVAL, "bad request");
	}
	if (strcmp(cmd, "set") == 0)
		reply = tapd_ctl_set(ctx, c, req);
	else if (strcmp(cmd, "get") == 0)
		reply = tapd_ctl_get(ctx, req);
	else if (strcmp(cmd, "tap-list") == 0)
		reply = tapd_ctl_list(ctx);
	else if (strcmp(cmd, "counters") == 0)	/* zt-ctl info -j */
		reply = tapd_ctl_counters(ctx);
	else if (strcmp(cmd, "sandbox") == 0)	/* zt-ctl sandbox */
		reply = json_pack("{s:s, s:s, s:[o], s:{s:b}}", "daemon",
		    "zt-tapd", "version", ZT_VERSION, "processes",
		    sandbox_report_json(&tapd_policy, 0), "links", "zt-vl2d",
		    ctx->vl2d != NULL);
	else {
		json_decref(req);
		return ipc_send_error(c, m->id, ENOSYS, "unknown command");
	}
	json_decref(req);
	if (reply == NULL || (text = json_dumps(reply, JSON_COMPACT |
	    JSON_SORT_KEYS)) == NULL) {
		json_decref(reply);
		return ipc_send_error(c, m->id, ENOMEM, "out of memory");
	}
	rc = ipc_send(c, IPC_MSG_CTL_REPLY, m->id, text, strlen(text));
	free(text);
	json_decref(reply);
	return rc == -1 ? -1 : 0;
}

static void
tapd_conn_up(struct ipc_conn *c, void *arg)
{
	struct tapd_ctx *ctx = arg;

	if (ipc_conn_role(c) == IPC_ROLE_VL1D)
		log_info("zt-vl1d connected (node API settings)");
	if (ipc_conn_role(c) != IPC_ROLE_VL2D)
		return;
	if (ctx->vl2d != NULL)
		ipc_conn_close(ctx->vl2d);
	ctx->vl2d = c;
	log_info("zt-vl2d connected");
	tapd_mcast_report_all(ctx, true);
}

static void
tapd_conn_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct tapd_ctx *ctx = arg;

	if (c != ctx->vl2d)
		return;
	ctx->vl2d = NULL;
	log_info("zt-vl2d disconnected: %s", ipc_err_str(e));
}

static const struct ipc_handler tapd_handlers[] = {
	{ IPC_MSG_TAP_OPEN_REQ, tapd_on_open },
	{ IPC_MSG_TAP_SET_ADDRS, tapd_on_addrs },
	{ IPC_MSG_TAP_SET_ROUTES, tapd_on_routes },
	{ IPC_MSG_TAP_SET_LINK, tapd_on_link },
	{ IPC_MSG_TAP_CLOSE, tapd_on_close },
	{ IPC_MSG_CTL_REQUEST, tapd_on_ctl },
	{ IPC_MSG_TAPD_SETTINGS_SET, tapd_on_settings_set },
	{ IPC_MSG_TAPD_SETTINGS_GET, tapd_on_settings_get },
	{ 0, NULL },
};

int
tapd_control_open(struct tapd_ctx *ctx)
{
	static const struct ipc_callbacks cb = {
		.handlers = tapd_handlers,
		.up = tapd_conn_up,
		.down = tapd_conn_down,
	};
	static const char *const names[2] = { "control", "ipc" };
	char path[PATH_MAX], paths[2][PATH_MAX];
	const char *pp[2];
	struct group *gr;
	gid_t gid = (gid_t)-1;
	bool activated;
	int fd, fds[2] = { -1, -1 };

	/*
	 * Socket activation: the service manager made them, mode and all.
	 * Named (FileDescriptorName=control / ipc) when the unit passes
	 * both: as zt-tap the run directory is not ours to bind
	 * zt-tapd-ipc.sock in, and zt-vl2 is not in group zt.
	 */
	if (getenv("LISTEN_FDNAMES") != NULL) {
		snprintf(paths[0], sizeof(paths[0]), "%s/zt-tapd.sock",
		    ctx->cfg.rundir);
		snprintf(paths[1], sizeof(paths[1]), "%s/zt-tapd-ipc.sock",
		    ctx->cfg.rundir);
		pp[0] = paths[0];
		pp[1] = paths[1];
		if (notify_listen_fds_named(names, pp, fds, 2) == -1)
			return -1;
		fd = fds[0];
	} else if ((fd = notify_listen_fd()) == -2)
		return -1;
	/* the listener accepts until EAGAIN: a blocking socket would hang */
	if (fd != -1 && fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		return -1;
	activated = fd != -1;
	if (fd == -1) {
		if (ctx->cfg.ctl_group != NULL &&
		    (gr = getgrnam(ctx->cfg.ctl_group)) != NULL)
			gid = gr->gr_gid;
		snprintf(path, sizeof(path), "%s/zt-tapd.sock",
		    ctx->cfg.rundir);
		if ((fd = ipc_socket_listen(path, 0660, gid)) == -1) {
			log_warn("%s", path);
			return -1;
		}
	}
	ctx->listen_fd = fd;
	ctx->listener = ipc_listener_new(ctx->ipc, fd,
	    IPC_R(VL2D) | IPC_R(CTL), &cb, ctx);
	if (ctx->listener == NULL)
		return -1;
	/*
	 * zt-vl2d's socket: zt-vl2 is not in group zt, which gates zt-ctl.
	 * Open to every local user as zt-vl1d-ipc.sock is, because the IPC
	 * library admits only the zt-vl2d role and only from zt-vl2's uid
	 * (SO_PEERCRED), and zt-vl1d's from zt-vl1's for the settings.  Under socket activation the run directory may not
	 * be ours to write: zt-vl2d is then reachable only through the
	 * control socket, which is said once.
	 */
	snprintf(path, sizeof(path), "%s/zt-tapd-ipc.sock", ctx->cfg.rundir);
	if ((fd = fds[1]) == -1 &&
	    (fd = ipc_socket_listen(path, 0666, (gid_t)-1)) == -1) {
		log_warn("%s", path);
		if (activated) {
			log_warnx("zt-vl2d must reach zt-tapd through its "
			    "control socket");
			return 0;
		}
		return -1;
	}
	ctx->daemons_fd = fd;
	ctx->daemons = ipc_listener_new(ctx->ipc, fd, IPC_R(VL2D) |
	    IPC_R(VL1D), &cb, ctx);
	return ctx->daemons == NULL ? -1 : 0;
}

/*
 * SO_PEERCRED of a connecting client reports who called listen(): root,
 * when zt-tapd was started as root or the service manager made the
 * socket.  Listening again after the drop makes zt-vl2d see zt-tap's
 * uid, which its role check demands.
 */
int
tapd_control_relisten(struct tapd_ctx *ctx)
{
	if (listen(ctx->listen_fd, 64) == -1)
		return -1;
	if (ctx->daemons_fd != -1 && listen(ctx->daemons_fd, 16) == -1)
		return -1;
	return 0;
}
