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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

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

static int64_t
vl2d_real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
vl2d_now(struct vl2d_ctx *ctx)
{
	int64_t now = vl2d_real_now();

	if (ctx->cfg.time_scale > 1)
		now = ctx->start_real + (now - ctx->start_real) *
		    (int64_t)ctx->cfg.time_scale;
	return now;
}

static void
vl2d_parse(struct vl2d_ctx *ctx, int argc, char **argv, bool *print)
{
	static const struct option opts[] = {
		{ "statedir", required_argument, NULL, 'd' },
		{ "rundir", required_argument, NULL, 'R' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "print-policy", no_argument, NULL, 'P' },
		{ "time-scale", required_argument, NULL, 'T' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ "no-gro", no_argument, NULL, 'G' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level lvl = LOG_LVL_INFO;
	char *end;
	long v;
	int ch;

	ctx->cfg.statedir = ZT_STATEDIR "/vl2d";
	ctx->cfg.rundir = ZT_RUNDIR;
	ctx->cfg.ctl_group = "zt";
	while ((ch = getopt_long(argc, argv, "d:R:l:f", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			ctx->cfg.statedir = optarg;
			break;
		case 'R':
			ctx->cfg.rundir = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &lvl) == -1)
				fatalx("bad log level '%s'", optarg);
			break;
		case 'f':
			/* the only mode: accepted as the other daemons do */
			ctx->cfg.foreground = true;
			break;
		case 'P':
			*print = true;
			break;
		case 'O':
			ctx->cfg.no_offload = true;
			break;
		case 'G':
			ctx->cfg.no_gro = true;
			break;
		case 'T':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 1000)
				fatalx("bad time scale '%s'", optarg);
			ctx->cfg.time_scale = (unsigned int)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (ctx->cfg.statedir[0] != '/' || ctx->cfg.rundir[0] != '/')
		fatalx("state and run directories must be absolute paths");
	log_setlevel(lvl);
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
vl2d_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

static void
vl2d_signal(evutil_socket_t sig, short what, void *arg)
{
	struct vl2d_ctx *ctx = arg;

	/* the TAP devices stay: zt-tapd keeps them for the next start */
	log_info("stopping on signal %d", (int)sig);
	notify_send("STOPPING=1");
	event_base_loopbreak(ctx->base);
}

static void
vl2d_setup(struct vl2d_ctx *ctx)
{
	struct ipc_config ic;
	struct timeval tv;
	uint64_t wd;

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
	ctx->ev_tick = evtimer_new(ctx->base, vl2d_tick, ctx);
	ctx->ev_sigterm = evsignal_new(ctx->base, SIGTERM, vl2d_signal, ctx);
	ctx->ev_sigint = evsignal_new(ctx->base, SIGINT, vl2d_signal, ctx);
	if (ctx->ev_tick == NULL || ctx->ev_sigterm == NULL ||
	    ctx->ev_sigint == NULL ||
	    evsignal_add(ctx->ev_sigterm, NULL) == -1 ||
	    evsignal_add(ctx->ev_sigint, NULL) == -1)
		fatalx("events");
	if ((wd = notify_watchdog_usec()) > 0) {
		tv.tv_sec = (time_t)(wd / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(wd / 2 % 1000000);
		if ((ctx->ev_watchdog = event_new(ctx->base, -1, EV_PERSIST,
		    vl2d_watchdog, ctx)) == NULL ||
		    event_add(ctx->ev_watchdog, &tv) == -1)
			fatalx("watchdog timer");
	}
	signal(SIGPIPE, SIG_IGN);
}

static int
vl2d_print_policy(void)
{
	json_t *o = json_object();
	int rc;

	json_object_set_new(o, "zt-vl2d", sandbox_policy_json(&vl2d_policy));
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
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
		return vl2d_print_policy();
	}
	ctx->start_real = vl2d_real_now();

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
