/*
 * zt-vl1d's sandbox tables: the network half parses packets from the
 * Internet, so it gets only what its event loop, UDP batches and the
 * state directory need; the key holder gets less still.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "log.h"
#include "vl1d.h"

#define VL1D_COMMON_SYSCALLS						\
	{ "read", NULL, "event loop wake-ups" },			\
	{ "write", NULL, "logging to stderr, libevent's signal pipe" }, \
	{ "close", NULL, "closing finished IPC connections" },		\
	{ "recvmsg", NULL, "IPC frames" },				\
	{ "sendmsg", NULL, "IPC frames" },				\
	{ "sendto", NULL, "IPC frames (send)" },			\
	SANDBOX_ROWS_EVENT_LOOP,					\
	{ "poll", NULL, "waiting for the key holder's answer" },	\
	SANDBOX_ROWS_TIMERS,						\
	SANDBOX_ROWS_MALLOC("malloc of large blocks; never executable", \
	    "free of large blocks"),					\
	{ "futex", NULL, "libc and OpenSSL locks" },			\
	{ "getrandom", NULL, "OpenSSL's random generator" },		\
	{ "getpid", NULL, "OpenSSL fork detection, logging" },		\
	{ "gettid", NULL, "OpenSSL thread ids" },			\
	SANDBOX_ROWS_SIGNALS,						\
	SANDBOX_ROWS_EXIT,						\
	{ "fcntl", SANDBOX_ARG_IN(1, SANDBOX_FCNTL_FLAGS),		\
	    "non-blocking and close-on-exec flags" }

static const struct sandbox_syscall vl1d_syscalls[] = {
	VL1D_COMMON_SYSCALLS,
	{ "recvmmsg", NULL, "UDP datagrams, in batches" },
	{ "sendmmsg", NULL, "UDP datagrams, in batches" },
	{ "recvfrom", NULL, "IPC and UDP" },
	{ "accept4", NULL, "control socket connections" },
	{ "listen", NULL, "listening again after the user drop, so that "
	    "clients see zt-vl1's uid" },
	SANDBOX_ROW_GETSOCKOPT_PEER("checking an accepted socket and its "
	    "peer's uid"),
	{ "setsockopt", SANDBOX_ARG_IN(2, SANDBOX_VALUE(IP_TTL),
	    SANDBOX_VALUE(SO_KEEPALIVE), SANDBOX_VALUE(TCP_NODELAY)),
	    "TTL 2 on the first hole-punching datagram; libevent's HTTP "
	    "connection options" },
	{ "accept", NULL, "HTTP API connections (libevent)" },
	{ "readv", NULL, "HTTP API (libevent buffers)" },
	{ "writev", NULL, "HTTP API (libevent buffers)" },
	{ "ioctl", SANDBOX_ARG_IN(1, SANDBOX_VALUE(FIONREAD)),
	    "libevent sizes its HTTP reads" },
	{ "shutdown", NULL, "closing HTTP API connections" },
	{ "getsockname", NULL, "libevent's HTTP listener" },
	{ "getpeername", NULL, "HTTP API peer address" },
	{ "socket", NULL, "AF_UNIX only: HTTP API requests passed on to "
	    "zt-controllerd's HTTP socket, the settings link to zt-tapd" },
	{ "connect", NULL, "HTTP API requests passed on to zt-controllerd's "
	    "HTTP socket in the run directory; the node API's allow* "
	    "settings to zt-tapd-ipc.sock there" },
	{ "openat", NULL, "planet and moon updates, moons.d for orbit, the "
	    "peers.d identity cache (Landlock: moons.d, peers.d; world "
	    "write-only; nothing in home itself)" },
	{ "newfstatat", NULL, "saving planet and moon updates" },
	{ "fstat", NULL, "saving planet and moon updates" },
	{ "fchmod", NULL, "saving planet and moon updates" },
	{ "fsync", NULL, "saving planet and moon updates" },
	{ "rename", NULL, "saving planet and moon updates atomically" },
	{ "unlink", NULL, "a failed temporary file, a moon left by "
	    "deorbit, the oldest cached identity" },
	{ "wait4", NULL, "noticing the key holder's exit" },
};

/*
 * The home directory is the one given on the command line.  DESIGN.md:
 * the network half never reads identity.secret, which has its owner.
 * So home itself gets no rule at all: nothing in it can be read
 * (identity.secret, authtoken.secret, local.conf, identity.public are
 * read before the sandbox), nor created, replaced or removed.  The
 * three directories it writes at run time were made at start-up
 * (vl1d_load_worlds, vl1d_peer_cache_open).
 */
static struct sandbox_path vl1d_paths[] = {
	{ ZT_STATEDIR "/vl1d/" VL1D_WORLD_DIR, SANDBOX_REPLACE,
	    "planet updates replace <home>/world/planet, read only at "
	    "start-up" },
	{ ZT_STATEDIR "/vl1d/moons.d", SANDBOX_RW,
	    "moon updates, orbit seeds, moon files for orbit" },
	{ ZT_STATEDIR "/vl1d/peers.d", SANDBOX_RW,
	    "the identity cache of peers met" },
};

void
vl1d_policy_set_home(const char *home)
{
	static char world[PATH_MAX], moons[PATH_MAX], peers[PATH_MAX];

	/* too long a path grants nothing rather than the wrong place */
	if (snprintf(world, sizeof(world), "%s/" VL1D_WORLD_DIR, home) >=
	    (int)sizeof(world) ||
	    snprintf(moons, sizeof(moons), "%s/moons.d", home) >=
	    (int)sizeof(moons) || snprintf(peers, sizeof(peers),
	    "%s/peers.d", home) >= (int)sizeof(peers))
		fatalx("home directory path too long: %s", home);
	vl1d_paths[0].path = world;
	vl1d_paths[1].path = moons;
	vl1d_paths[2].path = peers;
}

static const struct sandbox_family vl1d_families[] = {
	SANDBOX_FAMILY(AF_UNIX, "HTTP client to zt-controllerd's socket, "
	    "IPC client to zt-tapd's (UDP sockets are all opened before the "
	    "sandbox)"),
};

static const struct sandbox_rlimit vl1d_rlimits[] = {
	SANDBOX_RLIMIT(RLIMIT_NOFILE, 1024, "UDP sockets and IPC clients"),
	SANDBOX_RLIMIT(RLIMIT_CORE, 0, "peer keys must not end up in cores"),
	SANDBOX_RLIMIT(RLIMIT_NPROC, 0, "never forks again"),
	SANDBOX_RLIMIT(RLIMIT_AS, 2ULL << 30, "bounded memory"),
};

const struct sandbox_policy vl1d_policy = {
	.name = "zt-vl1d",
	.user = "zt-vl1",
	.group = "zt-vl1",
	.rlimits = vl1d_rlimits,
	.nrlimits = SANDBOX_NITEMS(vl1d_rlimits),
	.families = vl1d_families,
	.nfamilies = SANDBOX_NITEMS(vl1d_families),
	.paths = vl1d_paths,
	.npaths = SANDBOX_NITEMS(vl1d_paths),
	.syscalls = vl1d_syscalls,
	.nsyscalls = SANDBOX_NITEMS(vl1d_syscalls),
};

static const struct sandbox_syscall keyholder_syscalls[] = {
	VL1D_COMMON_SYSCALLS,
	{ "munlock", NULL, "releasing the locked secret key at exit" },
	{ "accept4", NULL, "zt-controllerd on the signing socket" },
	{ "listen", NULL, "listening again after the user drop, so that "
	    "zt-controllerd sees zt-vl1's uid" },
	{ "getsockopt", SANDBOX_ARG_IN(2, SANDBOX_VALUE(SO_PEERCRED),
	    SANDBOX_VALUE(SO_DOMAIN), SANDBOX_VALUE(SO_TYPE)),
	    "checking the signing socket's peer and its uid" },
};

static const struct sandbox_rlimit keyholder_rlimits[] = {
	SANDBOX_RLIMIT(RLIMIT_NOFILE, 16,
	    "one socketpair, the signing socket and its clients"),
	SANDBOX_RLIMIT(RLIMIT_CORE, 0, "the secret key must not end up in "
	    "a core"),
	SANDBOX_RLIMIT(RLIMIT_NPROC, 0, "never forks"),
	SANDBOX_RLIMIT(RLIMIT_AS, 1ULL << 30, "bounded memory"),
};

const struct sandbox_policy keyholder_policy = {
	.name = "zt-vl1d-keyholder",
	.user = "zt-vl1",
	.group = "zt-vl1",
	.rlimits = keyholder_rlimits,
	.nrlimits = SANDBOX_NITEMS(keyholder_rlimits),
	.syscalls = keyholder_syscalls,
	.nsyscalls = SANDBOX_NITEMS(keyholder_syscalls),
};
