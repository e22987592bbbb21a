/*
 * zt-vl2d: the virtual Ethernet switch (user zt-vl2, no capabilities,
 * no network family but AF_UNIX).
 *
 * Start-up (DESIGN.md "Sandboxes"): parse argv → open the state
 * directory, the control socket and the clients of zt-vl1d and zt-tapd,
 * re-join the networks of networks.d → warm-up → user drop → sandbox →
 * listen again as zt-vl2 → READY=1 → event loop.  The clients reconnect
 * on their own when zt-vl1d or zt-tapd restart; a restarted zt-vl2d asks
 * zt-tapd to re-attach its devices, which never went away.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "priv.h"
#include "frame.h"
#include "vl2d.h"

static void
usage(void)
{
	fprintf(stderr, "usage: zt-vl2d [-f] [-d statedir] [-R rundir] "
	    "[-l level] [--time-scale N]\n"
	    "               [--no-offload] [--no-gro]\n"
	    "       zt-vl2d --print-policy\n");
	exit(2);
}

int64_t
vl2d_now(struct vl2d_ctx *ctx)
{
	return daemon_now_scaled(ctx->start_real, ctx->cfg.time_scale);
}

static int
vl2d_opt(void *arg, int ch, const char *v)
{
	struct vl2d_ctx *ctx = arg;

	switch (ch) {
	case 'd':
		ctx->cfg.statedir = v;
		return 0;
	case 'f':
		/* the only mode: accepted as the other daemons do */
		ctx->cfg.foreground = true;
		return 0;
	case 'O':
		ctx->cfg.no_offload = true;
		return 0;
	case 'G':
		ctx->cfg.no_gro = true;
		return 0;
	default:
		return -1;
	}
}

static void
vl2d_parse(struct vl2d_ctx *ctx, int argc, char **argv, bool *print)
{
	static const struct option opts[] = {
		{ "statedir", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ "no-gro", no_argument, NULL, 'G' },
		DAEMON_LONGOPTS,
		DAEMON_LONGOPT_TIME_SCALE,
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_args a;

	ctx->cfg.statedir = ZT_STATEDIR "/vl2d";
	ctx->cfg.ctl_group = "zt";
	if (daemon_parse(&a, argc, argv, "d:R:l:f", opts, vl2d_opt,
	    ctx) == -1)
		usage();
	ctx->cfg.rundir = a.rundir;
	ctx->cfg.time_scale = a.time_scale;
	*print = a.print_policy;
	if (ctx->cfg.statedir[0] != '/' || ctx->cfg.rundir[0] != '/')
		fatalx("state and run directories must be absolute paths");
}

static void
vl2d_tick(evutil_socket_t fd, short what, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	struct timeval tv;
	int64_t wait = VL2D_TICK_MS;

	vl2d_nets_tick(ctx, vl2d_now(ctx));
	vl2d_link_flush(ctx);
	if (ctx->cfg.time_scale > 1)
		wait /= ctx->cfg.time_scale;
	if (wait < 10)
		wait = 10;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(ctx->ev_tick, &tv);
}

static void
vl2d_setup(struct vl2d_ctx *ctx)
{
	struct ipc_config ic;

	if (mkdir(ctx->cfg.statedir, 0700) == -1 && errno != EEXIST)
		fatal("%s", ctx->cfg.statedir);
	if ((ctx->base = ipc_event_base_new()) == NULL)
		fatalx("event base");
	/* the service manager's socket: socket() is gone after the sandbox */
	if (notify_open() == -1)
		log_warnx("readiness and watchdog notifications are off");
	ipc_config_init(&ic, IPC_ROLE_VL2D);
	ic.role_uid[IPC_ROLE_VL1D] = priv_role_uid("zt-vl1");
	ic.role_uid[IPC_ROLE_TAPD] = priv_role_uid("zt-tap");
	if ((ctx->ipc = ipc_new(ctx->base, &ic)) == NULL)
		fatalx("ipc");
	if (vl2d_control_open(ctx) == -1)
		fatalx("cannot open the control socket in %s",
		    ctx->cfg.rundir);
	if (vl2d_link_open(ctx) == -1)
		fatalx("cannot set up the links to zt-vl1d and zt-tapd");
	vl2d_frame_init(ctx);
	if ((ctx->ev_tick = evtimer_new(ctx->base, vl2d_tick, ctx)) == NULL)
		fatalx("events");
	/* on a stop the TAP devices stay: zt-tapd keeps them for next time */
	daemon_stop_signals(ctx->base, NULL, NULL, &ctx->ev_sigterm,
	    &ctx->ev_sigint);
	ctx->ev_watchdog = daemon_watchdog_start(ctx->base);
}

int
main(int argc, char **argv)
{
	const struct sandbox_policy *const policies[] = { &vl2d_policy };
	struct vl2d_ctx *ctx;
	bool print = false;

	log_init("zt-vl2d", LOG_LVL_INFO);
	/* the context holds the networks and a frame buffer: on the heap */
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		fatal("calloc");
	ctx->listen_fd = -1;
	vl2d_parse(ctx, argc, argv, &print);
	if (print) {
		free(ctx);
		return daemon_print_policies(policies,
		    SANDBOX_NITEMS(policies));
	}
	ctx->start_real = daemon_now_real();

	vl2d_setup(ctx);
	vl2d_policy_set_statedir(ctx->cfg.statedir);
	if (sandbox_apply(&vl2d_policy, NULL, NULL) == -1)
		fatalx("sandbox failed");
	if (vl2d_control_relisten(ctx) == -1)
		fatal("listen as %s", vl2d_policy.user);
	/* networks.d is read as zt-vl2, inside the sandbox */
	vl2d_nets_restore(ctx);
	log_info("ready (%s)", ctx->cfg.statedir);
	notify_send("READY=1");
	event_active(ctx->ev_tick, EV_TIMEOUT, 0);
	event_base_dispatch(ctx->base);

	ipc_free(ctx->ipc);
	vl2_mc_free(&ctx->mc);
	wbuf_free(&ctx->out);
	free(ctx->ids);
	free(ctx);
	return 0;
}
