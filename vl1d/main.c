/*
 * zt-vl1d: ZeroTier VL1 — the encrypted peer-to-peer transport.
 *
 * Start-up (DESIGN.md "Sandboxes"): parse argv → read identity, worlds
 * and local.conf → take the sockets a service manager passed → fork the
 * key holder, which keeps identity.secret → the network half forgets the
 * secret, opens UDP sockets, its control socket, the HTTP API and the
 * event loop → warm-up → user drop → sandbox → dispatch.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "file.h"
#include "keysign.h"
#include "notify.h"
#include "log.h"
#include "priv.h"
#include "vl1d.h"

static void
usage(void)
{
	fprintf(stderr, "usage: zt-vl1d [-H home] [-R rundir] [-p port] "
	    "[-b address]... [-l level]\n"
	    "               [--api-token file]\n"
	    "       zt-vl1d --print-policy\n");
	exit(2);
}

static int64_t
vl1d_real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
vl1d_now(struct vl1d_ctx *ctx)
{
	int64_t now = vl1d_real_now();

	if (ctx->cfg.time_scale > 1)
		now = ctx->start_real + (now - ctx->start_real) *
		    (int64_t)ctx->cfg.time_scale;
	return now;
}

/*
 * CSPRNG bytes from a 4 KiB pool: the engine asks for 8 bytes per packet
 * id, and each RAND_bytes call costs a getpid() syscall (OpenSSL's fork
 * check), a tenth of the sender's CPU in bench/vl1.  Bytes handed out are
 * wiped from the pool.
 */
static void
vl1d_random(void *arg, void *p, size_t n)
{
	static uint8_t pool[4096];
	static size_t left;
	uint8_t *d = p, *src;
	size_t k;

	while (n > 0) {
		if (left == 0) {
			if (RAND_bytes(pool, sizeof(pool)) != 1)
				fatalx("no random bytes");
			left = sizeof(pool);
		}
		k = n < left ? n : left;
		src = pool + sizeof(pool) - left;
		memcpy(d, src, k);
		OPENSSL_cleanse(src, k);
		left -= k;
		d += k;
		n -= k;
	}
}

static void
vl1d_collision(void *arg)
{
	/* ZeroTier One stops too: our address belongs to someone else */
	fatalx("identity collision reported by a root: this node's address "
	    "is taken; generate a new identity");
}

static void
vl1d_world_updated(void *arg, const struct world *w)
{
	struct vl1d_ctx *ctx = arg;
	char path[PATH_MAX];
	uint8_t buf[WORLD_MAX_SERIALIZED];
	struct wbuf wb;

	if (w->type == WORLD_TYPE_PLANET)
		snprintf(path, sizeof(path), "%s/planet", ctx->cfg.home);
	else
		snprintf(path, sizeof(path), "%s/moons.d/%016llx.moon",
		    ctx->cfg.home, (unsigned long long)w->id);
	wbuf_init(&wb, buf, sizeof(buf));
	if (world_serialize(w, &wb) == -1 ||
	    file_write_atomic(path, buf, wbuf_len(&wb), 0644) == -1) {
		log_warn("cannot save %s", path);
		return;
	}
	/* the .moon file now carries the orbit across restarts */
	if (w->type == WORLD_TYPE_MOON)
		vl1d_drop_seed(ctx, w->id);
}

static void
vl1d_tick(evutil_socket_t fd, short what, void *arg)
{
	struct vl1d_ctx *ctx = arg;
	int64_t now = vl1d_now(ctx), next, wait;
	struct timeval tv;

	next = vl1_node_tick(ctx->node, now);
	vl1d_udp_flush(ctx);
	vl1d_up_flush(ctx);
	wait = next - now;
	if (ctx->cfg.time_scale > 1)
		wait /= ctx->cfg.time_scale;
	if (wait < 10)
		wait = 10;
	if (wait > 1000)
		wait = 1000;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(ctx->ev_tick, &tv);
}

static void
vl1d_watchdog(evutil_socket_t fd, short what, void *arg)
{
	/* pinged from the event loop: a stuck loop is restarted */
	notify_send("WATCHDOG=1");
}

static void
vl1d_watchdog_start(struct vl1d_ctx *ctx)
{
	uint64_t usec = notify_watchdog_usec() / 2;
	struct timeval tv;

	if (usec == 0)
		return;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	if ((ctx->ev_watchdog = event_new(ctx->base, -1, EV_PERSIST,
	    vl1d_watchdog, ctx)) == NULL || event_add(ctx->ev_watchdog,
	    &tv) == -1)
		fatalx("watchdog timer");
}

static void
vl1d_signal(evutil_socket_t sig, short what, void *arg)
{
	struct vl1d_ctx *ctx = arg;
	int status;

	if (sig == SIGCHLD) {
		if (waitpid(ctx->keyholder, &status, WNOHANG) !=
		    ctx->keyholder)
			return;
		/* without the key holder no new peer can be met */
		log_warnx("key holder exited (status %d)", status);
		exit(1);
	}
	log_info("stopping on signal %d", (int)sig);
	notify_send("STOPPING=1");
	event_base_loopbreak(ctx->base);
}

static void
vl1d_parse(struct vl1d_ctx *ctx, int argc, char **argv, bool *print)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "rundir", required_argument, NULL, 'R' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "print-policy", no_argument, NULL, 'P' },
		{ "time-scale", required_argument, NULL, 'T' },
		{ "api-token", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level lvl = LOG_LVL_INFO;
	char *end;
	long v;
	int ch;

	ctx->cfg.home = ZT_STATEDIR "/vl1d";
	ctx->cfg.rundir = ZT_RUNDIR;
	ctx->cfg.port = VL1D_DEFAULT_PORT;
	ctx->cfg.ctl_group = "zt";
	while ((ch = getopt_long(argc, argv, "H:R:p:b:l:", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			ctx->cfg.home = optarg;
			break;
		case 'R':
			ctx->cfg.rundir = optarg;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 65535)
				fatalx("bad port '%s'", optarg);
			ctx->cfg.port = (uint16_t)v;
			break;
		case 'b':
			if (ctx->cfg.nbinds == VL1D_MAX_SOCKS ||
			    inetaddr_parse(&ctx->cfg.binds[ctx->cfg.nbinds],
			    optarg) == -1)
				fatalx("bad bind address '%s'", optarg);
			ctx->cfg.nbinds++;
			break;
		case 'l':
			if (log_level_parse(optarg, &lvl) == -1)
				fatalx("bad log level '%s'", optarg);
			break;
		case 'P':
			*print = true;
			break;
		case 'T':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 1000)
				fatalx("bad time scale '%s'", optarg);
			ctx->cfg.time_scale = (unsigned int)v;
			break;
		case 'A':
			ctx->cfg.api_token = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_setlevel(lvl);
}

static int
vl1d_print_policy(void)
{
	json_t *o = json_object();
	int rc;

	json_object_set_new(o, "zt-vl1d", sandbox_policy_json(&vl1d_policy));
	json_object_set_new(o, "zt-vl1d-keyholder",
	    sandbox_policy_json(&keyholder_policy));
	rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return rc == 0 ? 0 : 1;
}

/*
 * Socket activation (systemd/zt-vl1d*.socket): the sockets the service
 * manager passed, each checked to be the listening socket its name says
 * at the path this daemon would use; the others are bound as usual.
 */
static void
vl1d_activation(struct vl1d_ctx *ctx)
{
	static const char *const names[VL1D_NFDS] = { "control", "ipc",
	    "keys" };
	static const char *const files[VL1D_NFDS] = { "zt-vl1d.sock",
	    "zt-vl1d-ipc.sock", KEYSIGN_SOCKET };
	char buf[VL1D_NFDS][PATH_MAX];
	const char *paths[VL1D_NFDS];
	unsigned int i;
	int n;

	for (i = 0; i < VL1D_NFDS; i++) {
		if (snprintf(buf[i], sizeof(buf[i]), "%s/%s", ctx->cfg.rundir,
		    files[i]) >= (int)sizeof(buf[i]))
			fatalx("run directory path too long");
		paths[i] = buf[i];
	}
	if ((n = notify_listen_fds_named(names, paths, ctx->activated,
	    VL1D_NFDS)) == -1)
		fatalx("socket activation: the passed sockets are not "
		    "usable");
	if (n > 0)
		log_info("socket activation: %d of %d sockets passed", n,
		    VL1D_NFDS);
}

/* forks the key holder; the caller keeps the network half */
static void
vl1d_fork_keyholder(struct vl1d_ctx *ctx, struct identity *secret)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	switch ((ctx->keyholder = fork())) {
	case -1:
		fatal("fork");
	case 0:
		close(sv[0]);
		log_init("zt-vl1d[keys]", log_getlevel());
		/* the network half's sockets are none of the key holder's */
		if (ctx->activated[VL1D_FD_CONTROL] != -1)
			close(ctx->activated[VL1D_FD_CONTROL]);
		if (ctx->activated[VL1D_FD_IPC] != -1)
			close(ctx->activated[VL1D_FD_IPC]);
		keyholder_main(secret, sv[1], ctx->cfg.rundir,
		    ctx->activated[VL1D_FD_KEYS]);
	default:
		break;
	}
	close(sv[1]);
	if (ctx->activated[VL1D_FD_KEYS] != -1) {
		close(ctx->activated[VL1D_FD_KEYS]);
		ctx->activated[VL1D_FD_KEYS] = -1;
	}
	/* from here on this process never holds the secret key */
	if (identity_copy(&ctx->id, secret, false) == -1)
		fatalx("identity copy");
	identity_clear(secret);
	if (ipc_sync_open(&ctx->keys, sv[0], IPC_ROLE_VL1D,
	    IPC_ROLE_KEYHOLDER, 5000) == -1)
		fatalx("cannot reach the key holder");
}

/* local.conf's physical MTUs and virtual entries, as the engine has them */
static void
vl1d_engine_localconf(struct vl1d_ctx *ctx, struct vl1_config *nc,
    struct vl1_phys_mtu *mtus, struct vl1_virtual **virtp)
{
	const struct localconf *lc = &ctx->local;
	struct vl1_virtual *virt;
	unsigned int i, k;

	for (i = 0; i < lc->nphysical; i++)
		if (lc->physical[i].mtu != 0 && nc->nmtus < VL1_MAX_PHYS_MTU) {
			mtus[nc->nmtus].net = lc->physical[i].net;
			mtus[nc->nmtus++].mtu = lc->physical[i].mtu;
		}
	nc->mtus = mtus;
	_Static_assert(LOCALCONF_MAX_VIRTUAL <= VL1_MAX_VIRTUAL &&
	    LOCALCONF_MAX_TRY <= VL1_VIRTUAL_TRY &&
	    LOCALCONF_MAX_VBLACKLIST <= VL1_VIRTUAL_BLACKLIST,
	    "local.conf's virtual entries fit the engine's");
	if ((virt = calloc(VL1_MAX_VIRTUAL, sizeof(*virt))) == NULL)
		fatal("calloc");
	for (i = 0; i < lc->nvirt; i++) {
		virt[i].address = lc->virt[i].address;
		for (k = 0; k < lc->virt[i].ntry; k++)
			virt[i].try[virt[i].ntry++] = lc->virt[i].try[k];
		for (k = 0; k < lc->virt[i].nblacklist; k++)
			virt[i].blacklist[virt[i].nblacklist++] =
			    lc->virt[i].blacklist[k];
	}
	nc->virt = virt;
	nc->nvirt = lc->nvirt;
	*virtp = virt;
}

/* orbits whose moon had not arrived before the restart (moons.d/.seed) */
static void
vl1d_orbit_seeds(struct vl1d_ctx *ctx)
{
	const struct vl1_wanted_moon *m;
	unsigned int i, k;

	for (i = 0; i < ctx->nseeds; i++) {
		m = &ctx->seeds[i];
		for (k = 0; k < ctx->nmoons; k++)
			if (ctx->moons[k].id == m->id)
				break;
		if (k < ctx->nmoons)
			vl1d_drop_seed(ctx, m->id);
		else if (vl1_node_orbit(ctx->node, m->id, m->seed,
		    vl1d_now(ctx)) == 0)
			log_info("orbiting moon %016llx again, asking %010llx "
			    "for it", (unsigned long long)m->id,
			    (unsigned long long)m->seed);
	}
}

static void
vl1d_setup(struct vl1d_ctx *ctx)
{
	struct vl1_phys_mtu mtus[VL1_MAX_PHYS_MTU];
	struct vl1_virtual *virt;
	struct ipc_config ic;
	struct vl1_config nc;
	struct vl1_io io;
	unsigned int i;

	if ((ctx->base = ipc_event_base_new()) == NULL)
		fatalx("event base");
	/* the service manager's socket: socket() is gone after the sandbox */
	if (notify_open() == -1)
		log_warnx("readiness and watchdog notifications are off");
	ipc_config_init(&ic, IPC_ROLE_VL1D);
	ic.role_uid[IPC_ROLE_VL2D] = priv_role_uid("zt-vl2");
	ic.role_uid[IPC_ROLE_CONTROLLERD] = priv_role_uid("zt-ctrl");
	if ((ctx->ipc = ipc_new(ctx->base, &ic)) == NULL)
		fatalx("ipc");
	if (vl1d_udp_open(ctx) == -1)
		fatal("cannot open UDP port %u", ctx->cfg.port);
	if (vl1d_control_open(ctx) == -1)
		fatalx("cannot open the control socket in %s",
		    ctx->cfg.rundir);
	/* the node runs without its HTTP API rather than not at all */
	if (vl1d_api_open(ctx) == -1)
		log_warnx("HTTP API off: it could not be set up");
	memset(&io, 0, sizeof(io));
	io.arg = ctx;
	io.send = vl1d_udp_send;
	io.agree = vl1d_agree;
	io.random = vl1d_random;
	io.vl2 = vl1d_vl2_up;
	io.world_updated = vl1d_world_updated;
	io.identity_learned = vl1d_peer_cache_store;
	io.identity_lookup = vl1d_peer_cache_lookup;
	io.collision = vl1d_collision;
	memset(&nc, 0, sizeof(nc));
	nc.self = &ctx->id;
	nc.planet = ctx->have_planet ? &ctx->planet : NULL;
	nc.trusted = ctx->trusted;
	nc.ntrusted = ctx->ntrusted;
	nc.blacklist = ctx->blacklist;
	nc.nblacklist = ctx->nblacklist;
	vl1d_engine_localconf(ctx, &nc, mtus, &virt);
	if ((ctx->node = vl1_node_new(&nc, &io, vl1d_now(ctx))) == NULL)
		fatalx("cannot start the VL1 engine");
	free(virt);
	for (i = 0; i < ctx->nmoons; i++)
		if (vl1_node_add_moon(ctx->node, &ctx->moons[i],
		    vl1d_now(ctx)) == -1)
			log_warnx("moon %016llx refused",
			    (unsigned long long)ctx->moons[i].id);
	vl1d_orbit_seeds(ctx);
	ctx->ev_tick = evtimer_new(ctx->base, vl1d_tick, ctx);
	ctx->ev_sigterm = evsignal_new(ctx->base, SIGTERM, vl1d_signal, ctx);
	ctx->ev_sigint = evsignal_new(ctx->base, SIGINT, vl1d_signal, ctx);
	ctx->ev_sigchld = evsignal_new(ctx->base, SIGCHLD, vl1d_signal, ctx);
	if (ctx->ev_tick == NULL || ctx->ev_sigterm == NULL ||
	    ctx->ev_sigint == NULL || ctx->ev_sigchld == NULL ||
	    evsignal_add(ctx->ev_sigterm, NULL) == -1 ||
	    evsignal_add(ctx->ev_sigint, NULL) == -1 ||
	    evsignal_add(ctx->ev_sigchld, NULL) == -1)
		fatalx("events");
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	struct vl1d_ctx ctx;
	struct identity secret;
	bool print = false;
	unsigned int i;
	char a[11];

	memset(&ctx, 0, sizeof(ctx));
	for (i = 0; i < VL1D_NFDS; i++)
		ctx.activated[i] = -1;
	log_init("zt-vl1d", LOG_LVL_INFO);
	vl1d_parse(&ctx, argc, argv, &print);
	if (print)
		return vl1d_print_policy();
	ctx.start_real = vl1d_real_now();

	memset(&secret, 0, sizeof(secret));
	if (vl1d_load_identity(ctx.cfg.home, &secret) == -1)
		fatalx("no usable identity in %s", ctx.cfg.home);
	if (vl1d_load_worlds(&ctx) == -1)
		fatalx("bad world definitions in %s", ctx.cfg.home);
	if (vl1d_peer_cache_open(&ctx) == -1)
		fatalx("cannot use %s/peers.d", ctx.cfg.home);
	/* the derived secondary port needs the address */
	vl1d_apply_localconf(&ctx, secret.address);
	vl1d_activation(&ctx);
	vl1d_fork_keyholder(&ctx, &secret);
	vl1d_setup(&ctx);
	vl1d_policy_set_home(ctx.cfg.home);
	if (sandbox_apply(&vl1d_policy, NULL, NULL) == -1)
		fatalx("sandbox failed");
	if (ipc_listener_relisten(ctx.listener) == -1 ||
	    ipc_listener_relisten(ctx.daemons) == -1)
		fatal("listen as %s", vl1d_policy.user);
	log_info("node %s up on port %u (%u sockets)",
	    zt_address_fmt(ctx.id.address, a), ctx.cfg.port, ctx.nsocks);
	/* ready only now: sockets open, sandbox on, about to serve */
	notify_send("READY=1");
	vl1d_watchdog_start(&ctx);
	event_active(ctx.ev_tick, EV_TIMEOUT, 0);
	event_base_dispatch(ctx.base);

	vl1d_api_free(ctx.api);
	vl1_node_free(ctx.node);
	ipc_sync_close(&ctx.keys);
	ipc_free(ctx.ipc);
	identity_clear(&ctx.id);
	return 0;
}
