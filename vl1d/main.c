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

#include "daemon.h"
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

int64_t
vl1d_now(struct vl1d_ctx *ctx)
{
	return daemon_now_scaled(ctx->start_real, ctx->cfg.time_scale);
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

	/* home itself is not writable in the sandbox: world/ is */
	if (w->type == WORLD_TYPE_PLANET)
		snprintf(path, sizeof(path), "%s/" VL1D_WORLD_DIR "/planet",
		    ctx->cfg.home);
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
	daemon_stopping(ctx->base, (int)sig);
}

static int
vl1d_opt(void *arg, int ch, const char *v)
{
	struct vl1d_ctx *ctx = arg;

	switch (ch) {
	case 'H':
		ctx->cfg.home = v;
		return 0;
	case 'p':
		ctx->cfg.port = (uint16_t)daemon_opt_long(v, 1, 65535, "port");
		return 0;
	case 'b':
		if (ctx->cfg.nbinds == VL1D_MAX_SOCKS ||
		    inetaddr_parse(&ctx->cfg.binds[ctx->cfg.nbinds], v) == -1)
			fatalx("bad bind address '%s'", v);
		ctx->cfg.nbinds++;
		return 0;
	case 'A':
		ctx->cfg.api_token = v;
		return 0;
	default:
		return -1;
	}
}

static void
vl1d_parse(struct vl1d_ctx *ctx, int argc, char **argv, bool *print)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "api-token", required_argument, NULL, 'A' },
		DAEMON_LONGOPTS,
		DAEMON_LONGOPT_TIME_SCALE,
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_args a;

	ctx->cfg.home = ZT_STATEDIR "/vl1d";
	ctx->cfg.port = VL1D_DEFAULT_PORT;
	ctx->cfg.ctl_group = "zt";
	if (daemon_parse(&a, argc, argv, "H:R:p:b:l:", opts, vl1d_opt,
	    ctx) == -1)
		usage();
	ctx->cfg.rundir = a.rundir;
	ctx->cfg.time_scale = a.time_scale;
	*print = a.print_policy;
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
	/* the node API's settings are zt-tapd's (tapconn.c) */
	ic.role_uid[IPC_ROLE_TAPD] = priv_role_uid("zt-tap");
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
	io.peer_state = vl1d_peer_state;
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
	if ((ctx->ev_tick = evtimer_new(ctx->base, vl1d_tick, ctx)) == NULL)
		fatalx("events");
	daemon_stop_signals(ctx->base, vl1d_signal, ctx, &ctx->ev_sigterm,
	    &ctx->ev_sigint);
	ctx->ev_sigchld = daemon_signal(ctx->base, SIGCHLD, vl1d_signal, ctx);
}

int
main(int argc, char **argv)
{
	const struct sandbox_policy *const policies[] = { &vl1d_policy,
	    &keyholder_policy };
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
		return daemon_print_policies(policies,
		    SANDBOX_NITEMS(policies));
	ctx.start_real = daemon_now_real();

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
	ctx.ev_watchdog = daemon_watchdog_start(ctx.base);
	event_active(ctx.ev_tick, EV_TIMEOUT, 0);
	event_base_dispatch(ctx.base);

	vl1d_api_free(ctx.api);
	vl1_node_free(ctx.node);
	ipc_sync_close(&ctx.keys);
	ipc_free(ctx.ipc);
	identity_clear(&ctx.id);
	return 0;
}
