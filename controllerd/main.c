/*
 * zt-controllerd: ZeroTier-compatible network controller.
 *
 * Start-up (DESIGN.md "Sandboxes"): parse argv → read the controller's
 * address from zt-vl1d's identity.public → open the database (a corrupt
 * one stops here), the default admin token, the control socket, the
 * HTTP listener, the link to zt-vl1d → warm-up → user zt-ctrl → sandbox
 * → dispatch.
 *
 * The controller's address comes from <vl1d home>/identity.public
 * (option -I): the public half only, written by zt-vl1d at its first
 * start and readable by all, so this process never needs a question to
 * zt-vl1d before it can answer /status.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "ctrld.h"
#include "daemon.h"
#include "file.h"
#include "http.h"
#include "identity.h"
#include "log.h"
#include "notify.h"
#include "priv.h"

/* zt-vl1d has 9993 and passes /controller requests on to this port */
#define CTRLD_DEFAULT_HTTP_PORT	9994
#define CTRLD_DEFAULT_TOKEN	"default"

static void
usage(void)
{
	fprintf(stderr, "usage: zt-controllerd [-d statedir] [-R rundir] "
	    "[-I identity.public] [-a http-address] [-P http-port] "
	    "[-l level]\n"
	    "                      [--node-token file]\n"
	    "       zt-controllerd --print-policy\n");
	exit(2);
}

int64_t
ctrld_now(void)
{
	return daemon_now_real();
}

static int
ctrld_opt(void *arg, int ch, const char *v)
{
	struct ctrld_ctx *ctx = arg;

	switch (ch) {
	case 'd':
		ctx->cfg.statedir = v;
		return 0;
	case 'I':
		ctx->cfg.identity = v;
		return 0;
	case 'a':
		ctx->cfg.http_addr = v;
		return 0;
	case 'P':
		ctx->cfg.http_port = (uint16_t)daemon_opt_long(v, 0, 65535,
		    "HTTP port");
		return 0;
	case 'N':
		ctx->cfg.node_token = v;
		return 0;
	default:
		return -1;
	}
}

static void
ctrld_parse(struct ctrld_ctx *ctx, int argc, char **argv, bool *print)
{
	static const struct option opts[] = {
		{ "statedir", required_argument, NULL, 'd' },
		{ "identity", required_argument, NULL, 'I' },
		{ "http-address", required_argument, NULL, 'a' },
		{ "http-port", required_argument, NULL, 'P' },
		{ "node-token", required_argument, NULL, 'N' },
		DAEMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_args a;

	ctx->cfg.statedir = ZT_STATEDIR "/controllerd";
	ctx->cfg.identity = ZT_STATEDIR "/vl1d/identity.public";
	ctx->cfg.http_addr = "127.0.0.1";
	ctx->cfg.http_port = CTRLD_DEFAULT_HTTP_PORT;
	ctx->cfg.ctl_group = "zt";
	if (daemon_parse(&a, argc, argv, "d:R:I:a:P:l:", opts, ctrld_opt,
	    ctx) == -1)
		usage();
	ctx->cfg.rundir = a.rundir;
	*print = a.print_policy;
}

static void
ctrld_load_address(struct ctrld_ctx *ctx)
{
	struct identity id;
	char *text;
	size_t len;

	if (file_read(ctx->cfg.identity, 1024, &text, &len) == -1)
		fatal("cannot read the controller identity %s",
		    ctx->cfg.identity);
	text[strcspn(text, "\r\n")] = '\0';
	memset(&id, 0, sizeof(id));
	if (identity_from_string(&id, text) == -1)
		fatalx("%s: not a ZeroTier identity", ctx->cfg.identity);
	ctx->self = id.address;
	identity_clear(&id);
	free(text);
}

/*
 * <statedir>/authtoken.secret holds the default admin token (README):
 * made at first start, and re-registered if the file was replaced.
 */
static void
ctrld_default_token(struct ctrld_ctx *ctx)
{
	char path[PATH_MAX], secret[CTRL_TOKEN_LEN + 1], *text = NULL;
	enum ctrl_scope scope;
	const char *name;
	size_t len, i;
	bool known = false;

	snprintf(path, sizeof(path), "%s/authtoken.secret",
	    ctx->cfg.statedir);
	for (i = 0; i < ctx->api.ntokens; i++)
		if (strcmp(ctx->api.tokens[i].name, CTRLD_DEFAULT_TOKEN) == 0)
			known = true;
	if (file_read(path, 256, &text, &len) == 0) {
		text[strcspn(text, "\r\n")] = '\0';
		if (ctrl_api_auth(&ctx->api, text, &scope, &name) == 0) {
			OPENSSL_cleanse(text, len);
			free(text);
			return;
		}
		if (known && ctx->store->ops->token_delete(ctx->store,
		    CTRLD_DEFAULT_TOKEN, "local:start-up") == CTRL_STORE_ERR)
			fatalx("cannot replace the default token");
		if (ctrl_api_token_set(&ctx->api, CTRLD_DEFAULT_TOKEN,
		    CTRL_SCOPE_ADMIN, text, "local:start-up") != CTRL_STORE_OK)
			fatalx("cannot register %s", path);
		OPENSSL_cleanse(text, len);
		free(text);
		return;
	}
	if (errno != ENOENT)
		fatal("%s", path);
	if (known && ctx->store->ops->token_delete(ctx->store,
	    CTRLD_DEFAULT_TOKEN, "local:start-up") == CTRL_STORE_ERR)
		fatalx("cannot replace the default token");
	if (ctrl_api_token_create(&ctx->api, CTRLD_DEFAULT_TOKEN,
	    CTRL_SCOPE_ADMIN, "local:start-up", secret) != CTRL_STORE_OK ||
	    file_write_atomic(path, secret, strlen(secret), 0600) == -1)
		fatal("cannot create the default token %s", path);
	OPENSSL_cleanse(secret, sizeof(secret));
	log_info("default admin token written to %s", path);
}

/*
 * zt-vl1d's token (--node-token), read before the sandbox: an admin
 * token for requests UIs send to the node's port.  Trimmed of blanks
 * as the node reads it.  A file missing or unreadable only warns: the
 * named tokens still work.
 */
static void
ctrld_node_token(struct ctrld_ctx *ctx)
{
	char *text, *s, *e;
	size_t len;

	if (ctx->cfg.node_token == NULL || ctx->http == NULL)
		return;
	if (file_read(ctx->cfg.node_token, 256, &text, &len) == -1) {
		log_warn("node token %s: not accepted", ctx->cfg.node_token);
		return;
	}
	s = text;
	e = text + len;
	while (s < e && strchr(" \t\r\n", *s) != NULL && *s != '\0')
		s++;
	while (e > s && strchr(" \t\r\n", e[-1]) != NULL && e[-1] != '\0')
		e--;
	if (e == s || memchr(s, '\0', (size_t)(e - s)) != NULL ||
	    ctrl_http_node_token(ctx->http, s, (size_t)(e - s)) == -1)
		log_warnx("node token %s: empty or not text: not accepted",
		    ctx->cfg.node_token);
	else
		log_info("node token %s accepted as an admin token",
		    ctx->cfg.node_token);
	OPENSSL_cleanse(text, len);
	free(text);
}

static void
ctrld_open_store(struct ctrld_ctx *ctx)
{
	char path[PATH_MAX], err[512];

	if (mkdir(ctx->cfg.statedir, 0700) == -1 && errno != EEXIST)
		fatal("%s", ctx->cfg.statedir);
	snprintf(path, sizeof(path), "%s/controller.db", ctx->cfg.statedir);
	/* a database that cannot be read is never taken as empty */
	if ((ctx->store = ctrl_store_sqlite_open(path, NULL, err,
	    sizeof(err))) == NULL)
		fatalx("cannot open the controller database: %s", err);
	if (ctrl_api_init(&ctx->api, ctx->store, ctx->self, ctrld_now) == -1)
		fatalx("cannot read the token table");
}

/*
 * Files made by root before the user drop would stay root's: hand them
 * to the daemon's user so a later start (or SQLite re-creating its WAL)
 * never meets a file it cannot write.
 */
static void
ctrld_chown_state(struct ctrld_ctx *ctx)
{
	static const char *const names[] = { "controller.db",
	    "controller.db-wal", "controller.db-shm", "authtoken.secret" };
	char path[PATH_MAX];
	struct passwd *pw;
	size_t i;

	if (geteuid() != 0 || (pw = getpwnam(ctrld_policy.user)) == NULL)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", ctx->cfg.statedir,
		    names[i]);
		if (chown(path, pw->pw_uid, pw->pw_gid) == -1 &&
		    errno != ENOENT)
			fatal("chown %s", path);
	}
}

/*
 * Socket activation: under systemd the run directory is root's and this
 * daemon runs as zt-ctrl from the start, so the manager binds its two
 * sockets (zt-controllerd.socket: "control", zt-controllerd-http.socket:
 * "http").  Each one passed must be a listening unix socket of the
 * right type at the path this daemon would use; one not passed is bound
 * here as before (started as root, or by hand).
 */
static void
ctrld_activation(struct ctrld_ctx *ctx)
{
	static const char *const names[2] = { "control", "http" };
	static const char *const files[2] = { "zt-controllerd.sock",
	    "zt-controllerd-http.sock" };
	static const int types[2] = { SOCK_SEQPACKET, SOCK_STREAM };
	char buf[2][PATH_MAX];
	const char *paths[2];
	int fds[2], n;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (snprintf(buf[i], sizeof(buf[i]), "%s/%s", ctx->cfg.rundir,
		    files[i]) >= (int)sizeof(buf[i]))
			fatalx("run directory path too long");
		paths[i] = buf[i];
	}
	if ((n = notify_listen_fds_typed(names, paths, types, fds, 2)) == -1)
		fatalx("socket activation: the passed sockets are not "
		    "usable");
	ctx->ctl_fd = fds[0];
	ctx->http_fd = fds[1];
	if (n > 0)
		log_info("socket activation: %d of 2 sockets passed", n);
}

static bool
ctrld_online(void *arg)
{
	struct ctrld_ctx *ctx = arg;

	return ctx->vl1d != NULL && ipc_client_conn(ctx->vl1d) != NULL;
}

static void
ctrld_setup(struct ctrld_ctx *ctx)
{
	char path[PATH_MAX];
	struct ipc_config ic;

	if ((ctx->base = ipc_event_base_new()) == NULL)
		fatalx("event base");
	/* the manager's socket is connected now: the sandbox has no socket() */
	if (notify_open() == -1)
		log_warnx("readiness and watchdog notifications are off");
	/* the audit trail's structured records (MESSAGE_ID, ZT_* fields) */
	if (log_journal_open(NULL) == -1)
		log_warn("journal socket: audit records go to stderr");
	ipc_config_init(&ic, IPC_ROLE_CONTROLLERD);
	ic.role_uid[IPC_ROLE_VL1D] = priv_role_uid("zt-vl1");
	/* the key holder is zt-vl1d's other half, same user */
	ic.role_uid[IPC_ROLE_KEYHOLDER] = priv_role_uid("zt-vl1");
	if ((ctx->ipc = ipc_new(ctx->base, &ic)) == NULL)
		fatalx("ipc");
	/* changes that arrive in one loop turn share one synced commit */
	if (ctrl_api_group_commit(&ctx->api, ctx->base) == -1)
		fatalx("events");
	if (ctrld_control_open(ctx) == -1)
		fatalx("cannot open the control socket in %s",
		    ctx->cfg.rundir);
	if (ctrld_vl1d_open(ctx) == -1)
		fatalx("cannot set up the link to zt-vl1d");
	snprintf(path, sizeof(path), "%s/zt-vl1d-keys.sock",
	    ctx->cfg.rundir);
	if (signer_init(&ctx->signer, ctx->ipc, path) == -1)
		fatalx("cannot set up the link to the key holder");
	ctx->api.hooks.online = ctrld_online;
	ctx->api.hooks.network_changed = ctrld_network_changed;
	ctx->api.hooks.member_changed = ctrld_member_changed;
	ctx->api.hooks.member_revoked = ctrld_member_revoked;
	ctx->api.hooks.arg = ctx;
	if ((ctx->http = ctrl_http_new(ctx->base, &ctx->api,
	    ctx->cfg.http_port != 0 ? ctx->cfg.http_addr : NULL,
	    ctx->cfg.http_port)) == NULL)
		fatalx("cannot open the HTTP API on %s port %u",
		    ctx->cfg.http_addr, (unsigned int)ctx->cfg.http_port);
	/* zt-vl1d's way in for UIs' requests to the node's port */
	snprintf(path, sizeof(path), "%s/zt-controllerd-http.sock",
	    ctx->cfg.rundir);
	if (ctx->http_fd != -1) {
		if (ctrl_http_listen_fd(ctx->http, ctx->http_fd) == -1)
			fatalx("cannot serve HTTP on the passed socket %s",
			    path);
		ctx->http_fd = -1;
	} else if (ctrl_http_listen_unix(ctx->http, path) == -1)
		fatalx("cannot open the HTTP socket %s", path);
	daemon_stop_signals(ctx->base, NULL, NULL, &ctx->ev_sigterm,
	    &ctx->ev_sigint);
}

int
main(int argc, char **argv)
{
	struct ctrld_ctx ctx;
	bool print = false;
	char a[11];

	memset(&ctx, 0, sizeof(ctx));
	log_init("zt-controllerd", LOG_LVL_INFO);
	ctrld_parse(&ctx, argc, argv, &print);
	/* the policy names the state directory actually used */
	ctrld_policy_set_statedir(ctx.cfg.statedir);
	if (print)
		return sandbox_print_policy(&ctrld_policy, stdout) == 0 ?
		    0 : 1;
	ctx.ctl_fd = ctx.http_fd = -1;
	/* a passed socket that is not what it should be stops here */
	ctrld_activation(&ctx);
	ctrld_load_address(&ctx);
	ctrld_open_store(&ctx);
	ctrld_default_token(&ctx);
	ctrld_chown_state(&ctx);
	ctrld_setup(&ctx);
	ctrld_node_token(&ctx);
	if (sandbox_apply(&ctrld_policy, NULL, NULL) == -1)
		fatalx("sandbox failed");
	log_info("controller %s up (HTTP %s port %u)",
	    zt_address_fmt(ctx.self, a), ctx.cfg.http_port != 0 ?
	    ctx.cfg.http_addr : "off", (unsigned int)ctx.cfg.http_port);
	/* every socket is open and the store readable: serving from here */
	notify_send("READY=1");
	ctx.ev_watchdog = daemon_watchdog_start(ctx.base);
	event_base_dispatch(ctx.base);
	/* a batch still open is committed (and answered) while all is up */
	ctrl_api_flush(&ctx.api);
	if (ctx.ev_watchdog != NULL)
		event_free(ctx.ev_watchdog);

	ctrl_http_free(ctx.http);
	signer_free(&ctx.signer);
	ipc_free(ctx.ipc);
	ctrl_api_free(&ctx.api);
	ctrl_store_close(ctx.store);
	ctrld_alloc_drop(&ctx);
	return 0;
}
