/*
 * zt-tapd's sandbox table, the smallest of the suite although it is the
 * one process with a capability: it keeps CAP_NET_ADMIN for rtnetlink
 * and /dev/net/tun, creates no socket after start-up (the rtnetlink
 * socket and the control socket are opened before the filter), and may
 * touch only the tun device node and its own state directory.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/capability.h>
#include <linux/if_tun.h>

#include <fcntl.h>

#include "tapd.h"

static const struct sandbox_syscall tapd_syscalls[] = {
	{ "read", NULL, "event loop wake-ups, /proc/net/dev_mcast" },
	{ "write", NULL, "logging to stderr, state file, libevent's signal "
	    "pipe" },
	{ "close", NULL, "IPC connections, the tun fd once handed over" },
	{ "recvmsg", NULL, "IPC frames" },
	{ "sendmsg", NULL, "IPC frames, the TAP fd (SCM_RIGHTS)" },
	{ "sendto", NULL, "rtnetlink requests, IPC frames" },
	{ "recvfrom", NULL, "rtnetlink replies" },
	{ "accept4", NULL, "control socket connections" },
	{ "listen", NULL, "listening again as zt-tap, so clients see its "
	    "uid in SO_PEERCRED" },
	SANDBOX_ROW_GETSOCKOPT_PEER("checking an accepted socket and its "
	    "peer's uid"),
	SANDBOX_ROWS_EVENT_LOOP,
	SANDBOX_ROWS_TIMERS,
	/*
	 * mremap too: the IPC library reassembles a multi-part zt-ctl
	 * request (up to 1 MiB) in a buffer that doubles, and glibc's
	 * realloc of a block it had mmap'd is an mremap
	 */
	SANDBOX_ROWS_MALLOC("malloc of large blocks; never executable",
	    "free of large blocks"),
	{ "futex", NULL, "libc locks" },
	{ "getpid", NULL, "logging" },
	SANDBOX_ROWS_SIGNALS,
	SANDBOX_ROWS_EXIT,
	{ "fcntl", SANDBOX_ARG_IN(1, SANDBOX_FCNTL_FLAGS,
	    SANDBOX_VALUE(F_DUPFD_CLOEXEC)),
	    "non-blocking and close-on-exec flags; the IPC library queues a "
	    "duplicate of a sent fd" },
	{ "ioctl", SANDBOX_ARG_IN(1, SANDBOX_VALUE(TUNSETIFF),
	    SANDBOX_VALUE(TUNSETPERSIST), SANDBOX_VALUE(TUNSETOFFLOAD)),
	    "attaching to and creating persistent TAP devices only; "
	    "offloads reset on each attach" },
	{ "openat", NULL, "/dev/net/tun and the state file (Landlock)" },
	{ "lseek", NULL, "re-reading /proc/net/dev_mcast" },
	{ "fchmod", NULL, "state file mode" },
	{ "fsync", NULL, "state file, atomically replaced" },
	{ "rename", NULL, "state file, atomically replaced" },
	{ "unlink", NULL, "removing a failed temporary state file" },
	{ "getrandom", NULL, "mkstemp's name for the temporary state file" },
	{ "newfstatat", NULL, "reading the state file and device map" },
	{ "fstat", NULL, "reading the state file and device map" },
};

/* the state directory is the one given on the command line */
static struct sandbox_path tapd_paths[] = {
	{ "/dev/net/tun", SANDBOX_DEV, "creating and attaching TAP devices" },
	{ ZT_STATEDIR "/tapd", SANDBOX_RW,
	    "the device record and settings; the device map" },
};

void
tapd_policy_set_statedir(const char *dir)
{
	tapd_paths[1].path = dir;
}

static const struct sandbox_cap tapd_caps[] = {
	SANDBOX_CAP(CAP_NET_ADMIN, "TAP devices, their links, addresses and "
	    "routes (rtnetlink)"),
};

static const struct sandbox_rlimit tapd_rlimits[] = {
	SANDBOX_RLIMIT(RLIMIT_NOFILE, 128, "a few IPC clients and one tun fd "
	    "at a time"),
	SANDBOX_RLIMIT(RLIMIT_CORE, 0, "no cores of a privileged process"),
	SANDBOX_RLIMIT(RLIMIT_NPROC, 0, "never forks"),
	SANDBOX_RLIMIT(RLIMIT_AS, 1ULL << 30, "bounded memory"),
};

const struct sandbox_policy tapd_policy = {
	.name = "zt-tapd",
	.user = "zt-tap",
	.group = "zt-tap",
	.caps = tapd_caps,
	.ncaps = SANDBOX_NITEMS(tapd_caps),
	.rlimits = tapd_rlimits,
	.nrlimits = SANDBOX_NITEMS(tapd_rlimits),
	.paths = tapd_paths,
	.npaths = SANDBOX_NITEMS(tapd_paths),
	.syscalls = tapd_syscalls,
	.nsyscalls = SANDBOX_NITEMS(tapd_syscalls),
};
