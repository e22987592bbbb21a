/*
 * zt-tapd: TAP devices for zt-vl2d, and nothing else.
 *
 * Start-up (DESIGN.md "Sandboxes"): parse argv → read the record and
 * open the rtnetlink socket, /proc/net/dev_mcast and the control socket
 * → probe the tun driver → adopt the devices a previous run left →
 * warm-up, drop to zt-tap keeping CAP_NET_ADMIN only, sandbox → listen
 * again as zt-tap → READY=1 → event loop.  Started by the service manager
 * it may already be zt-tap with CAP_NET_ADMIN ambient (cleared by the
 * drop) and receive its socket by activation.  SIGTERM deletes every
 * device; a crash leaves them for the next run to adopt.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "log.h"
#include "priv.h"
#include "notify.h"
#include "tapd.h"

static void
usage(void)
{
	fprintf(stderr, "usage: zt-tapd [-H statedir] [-R rundir] "
	    "[-l level] [-m scan-ms]\n"
	    "       zt-tapd --print-policy\n");
	exit(2);
}

static void
tapd_parse(struct tapd_ctx *ctx, int argc, char **argv, bool *print)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "rundir", required_argument, NULL, 'R' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "scan-ms", required_argument, NULL, 'm' },
		{ "print-policy", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level lvl = LOG_LVL_INFO;
	char *end;
	long v;
	int ch;

	ctx->cfg.statedir = ZT_STATEDIR "/tapd";
	ctx->cfg.rundir = ZT_RUNDIR;
	ctx->cfg.ctl_group = "zt";
	ctx->cfg.scan_ms = TAPD_MCAST_SCAN_MS;
	while ((ch = getopt_long(argc, argv, "H:R:l:m:", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			ctx->cfg.statedir = optarg;
			break;
		case 'R':
			ctx->cfg.rundir = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &lvl) == -1)
				fatalx("bad log level '%s'", optarg);
			break;
		case 'm':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 100 || v > 600000)
				fatalx("bad scan interval '%s'", optarg);
			ctx->cfg.scan_ms = (unsigned int)v;
			break;
		case 'P':
			*print = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_setlevel(lvl);
}

static void
tapd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tapd_ctx *ctx = arg;

	log_info("stopping on signal %d: removing the devices", (int)sig);
	notify_send("STOPPING=1");
	tapd_dev_close_all(ctx);
	event_base_loopbreak(ctx->base);
}

static void
tapd_scan(evutil_socket_t fd, short what, void *arg)
{
	struct tapd_ctx *ctx = arg;
	struct timeval tv;

	tapd_mcast_report_all(ctx, false);
	tv.tv_sec = ctx->cfg.scan_ms / 1000;
	tv.tv_usec = (ctx->cfg.scan_ms % 1000) * 1000;
	evtimer_add(ctx->ev_scan, &tv);
}

static void
tapd_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

static void
tapd_setup(struct tapd_ctx *ctx)
{
	struct ipc_config ic;
	struct timeval tv;
	uint64_t wd;

	if (notify_open() == -1)
		fatalx("cannot reach the service manager");
	if (nl_open(&ctx->nl) == -1)
		fatal("rtnetlink socket");
	/* the kernel's multicast list, re-read through the same fd */
	if ((ctx->mcast_fd = open("/proc/net/dev_mcast",
	    O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("/proc/net/dev_mcast");
	if (tapd_state_load(ctx) == -1)
		fatalx("bad state in %s", ctx->cfg.statedir);
	tap_probe(&ctx->offloads);
	tapd_adopt(ctx);

	if ((ctx->base = ipc_event_base_new()) == NULL)
		fatalx("event base");
	ipc_config_init(&ic, IPC_ROLE_TAPD);
	ctx->vl2_uid = priv_role_uid("zt-vl2");
	ic.role_uid[IPC_ROLE_VL2D] = ctx->vl2_uid;
	if ((ctx->ipc = ipc_new(ctx->base, &ic)) == NULL)
		fatalx("ipc");
	if (tapd_control_open(ctx) == -1)
		fatalx("cannot open the control socket in %s",
		    ctx->cfg.rundir);
	ctx->ev_scan = evtimer_new(ctx->base, tapd_scan, ctx);
	if ((wd = notify_watchdog_usec()) > 0) {
		tv.tv_sec = (time_t)(wd / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(wd / 2 % 1000000);
		if ((ctx->ev_watchdog = event_new(ctx->base, -1, EV_PERSIST,
		    tapd_watchdog, ctx)) == NULL ||
		    event_add(ctx->ev_watchdog, &tv) == -1)
			fatalx("watchdog");
	}
	ctx->ev_sigterm = evsignal_new(ctx->base, SIGTERM, tapd_signal, ctx);
	ctx->ev_sigint = evsignal_new(ctx->base, SIGINT, tapd_signal, ctx);
	if (ctx->ev_scan == NULL || ctx->ev_sigterm == NULL ||
	    ctx->ev_sigint == NULL ||
	    evsignal_add(ctx->ev_sigterm, NULL) == -1 ||
	    evsignal_add(ctx->ev_sigint, NULL) == -1)
		fatalx("events");
	signal(SIGPIPE, SIG_IGN);
}

static int
tapd_print_policy(void)
{
	json_t *o = json_object();
	int rc;

	json_object_set_new(o, "zt-tapd", sandbox_policy_json(&tapd_policy));
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct tapd_ctx ctx;
	bool print = false;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.nl.fd = ctx.mcast_fd = ctx.listen_fd = ctx.daemons_fd = -1;
	log_init("zt-tapd", LOG_LVL_INFO);
	tapd_parse(&ctx, argc, argv, &print);
	if (print)
		return tapd_print_policy();

	tapd_setup(&ctx);
	tapd_policy_set_statedir(ctx.cfg.statedir);
	if (sandbox_apply(&tapd_policy, NULL, NULL) == -1)
		fatalx("sandbox failed");
	if (tapd_control_relisten(&ctx) == -1)
		fatal("listen");
	log_info("ready (%s)", ctx.cfg.statedir);
	notify_send("READY=1");
	event_active(ctx.ev_scan, EV_TIMEOUT, 0);
	event_base_dispatch(ctx.base);

	ipc_free(ctx.ipc);
	nl_close(&ctx.nl);
	if (ctx.mcast_fd != -1)
		close(ctx.mcast_fd);
	for (i = 0; i < TAPD_MAX_DEVICES; i++)
		free(ctx.devs[i].mcast);
	return 0;
}
