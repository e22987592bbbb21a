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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
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

static int
tapd_opt(void *arg, int ch, const char *v)
{
	struct tapd_ctx *ctx = arg;

	switch (ch) {
	case 'H':
		ctx->cfg.statedir = v;
		return 0;
	case 'm':
		ctx->cfg.scan_ms = (unsigned int)daemon_opt_long(v, 100,
		    600000, "scan interval");
		return 0;
	default:
		return -1;
	}
}

static void
tapd_parse(struct tapd_ctx *ctx, int argc, char **argv, bool *print)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "scan-ms", required_argument, NULL, 'm' },
		DAEMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_args a;

	ctx->cfg.statedir = ZT_STATEDIR "/tapd";
	ctx->cfg.ctl_group = "zt";
	ctx->cfg.scan_ms = TAPD_MCAST_SCAN_MS;
	if (daemon_parse(&a, argc, argv, "H:R:l:m:", opts, tapd_opt,
	    ctx) == -1)
		usage();
	ctx->cfg.rundir = a.rundir;
	*print = a.print_policy;
}

static void
tapd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tapd_ctx *ctx = arg;

	daemon_stopping(ctx->base, (int)sig);
	log_info("removing the devices");
	tapd_dev_close_all(ctx);
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
tapd_setup(struct tapd_ctx *ctx)
{
	struct ipc_config ic;

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
	/* the node API's allow* settings (TAPD_SETTINGS_* only) */
	ic.role_uid[IPC_ROLE_VL1D] = priv_role_uid("zt-vl1");
	if ((ctx->ipc = ipc_new(ctx->base, &ic)) == NULL)
		fatalx("ipc");
	if (tapd_control_open(ctx) == -1)
		fatalx("cannot open the control socket in %s",
		    ctx->cfg.rundir);
	if ((ctx->ev_scan = evtimer_new(ctx->base, tapd_scan, ctx)) == NULL)
		fatalx("events");
	ctx->ev_watchdog = daemon_watchdog_start(ctx->base);
	daemon_stop_signals(ctx->base, tapd_signal, ctx, &ctx->ev_sigterm,
	    &ctx->ev_sigint);
}

int
main(int argc, char **argv)
{
	struct tapd_ctx ctx;
	const struct sandbox_policy *const policies[] = { &tapd_policy };
	bool print = false;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.nl.fd = ctx.mcast_fd = ctx.listen_fd = ctx.daemons_fd = -1;
	log_init("zt-tapd", LOG_LVL_INFO);
	tapd_parse(&ctx, argc, argv, &print);
	if (print)
		return daemon_print_policies(policies,
		    SANDBOX_NITEMS(policies));

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
