/*
 * zt-vl2d's sandbox table: no capability and no view of any network
 * family but AF_UNIX (it reconnects to zt-vl1d and zt-tapd when they
 * restart); frames pass through TAP fds zt-tapd handed over, so no
 * device node is needed and the one ioctl is TUNSETOFFLOAD on such an
 * fd; files only in its state directory.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <linux/if_tun.h>

#include <fcntl.h>

#include "vl2d.h"

static const struct sandbox_syscall vl2d_syscalls[] = {
	{ "read", NULL, "frames from TAP fds, state files, wake-ups" },
	{ "write", NULL, "frames into TAP fds, state files, logging" },
	{ "close", NULL, "finished connections, files, a left network's "
	    "TAP fd" },
	{ "recvmsg", NULL, "IPC frames, the TAP fd (SCM_RIGHTS)" },
	{ "sendmsg", NULL, "IPC frames" },
	{ "sendto", NULL, "IPC frames" },
	{ "recvfrom", NULL, "IPC frames" },
	{ "recvmmsg", NULL, "IPC frames from zt-vl1d, in batches" },
	{ "sendmmsg", NULL, "IPC frames to zt-vl1d, in batches" },
	{ "writev", NULL, "frames into TAP fds behind their virtio header" },
	{ "ioctl", SANDBOX_ARG_IN(1, SANDBOX_VALUE(TUNSETOFFLOAD)),
	    "offloads of a TAP fd opened with a virtio header" },
	{ "socket", NULL, "AF_UNIX only: reconnecting to zt-vl1d and "
	    "zt-tapd" },
	{ "connect", NULL, "reconnecting to zt-vl1d's and zt-tapd's "
	    "sockets" },
	{ "accept4", NULL, "zt-ctl connections" },
	{ "listen", NULL, "listening again as zt-vl2, so that clients see "
	    "its uid in SO_PEERCRED" },
	SANDBOX_ROW_GETSOCKOPT_PEER("checking a socket and its peer's uid"),
	SANDBOX_ROWS_EVENT_LOOP,
	SANDBOX_ROWS_TIMERS,
	SANDBOX_ROWS_MALLOC("malloc of large blocks (configs are 50 KB); "
	    "never executable", "free of large blocks"),
	{ "futex", NULL, "libc and OpenSSL locks" },
	{ "getrandom", NULL, "OpenSSL (signature checks), mkstemp" },
	{ "getpid", NULL, "OpenSSL fork detection, logging" },
	{ "gettid", NULL, "OpenSSL thread ids" },
	SANDBOX_ROWS_SIGNALS,
	SANDBOX_ROWS_EXIT,
	{ "fcntl", SANDBOX_ARG_IN(1, SANDBOX_FCNTL_FLAGS),
	    "non-blocking and close-on-exec flags (IPC, TAP fds)" },
	{ "openat", NULL, "networks.d files (Landlock: state dir)" },
	{ "newfstatat", NULL, "reading state files" },
	{ "fstat", NULL, "reading state files" },
	{ "getdents64", NULL, "listing networks.d" },
	{ "mkdir", NULL, "making networks.d" },
	{ "mkdirat", NULL, "making networks.d" },
	{ "fchmod", NULL, "state file mode" },
	{ "fsync", NULL, "state files, atomically replaced" },
	{ "rename", NULL, "state files, atomically replaced" },
	{ "unlink", NULL, "the files of a left network, a failed "
	    "temporary file" },
};

static const struct sandbox_family vl2d_families[] = {
	SANDBOX_FAMILY(AF_UNIX, "reconnecting to zt-vl1d and zt-tapd"),
};

/* the state directory is the one given on the command line */
static struct sandbox_path vl2d_paths[] = {
	{ ZT_STATEDIR "/vl2d", SANDBOX_RW,
	    "networks.d: configs and local settings of joined networks" },
};

void
vl2d_policy_set_statedir(const char *dir)
{
	vl2d_paths[0].path = dir;
}

static const struct sandbox_rlimit vl2d_rlimits[] = {
	SANDBOX_RLIMIT(RLIMIT_NOFILE, 256, "one TAP fd per network, IPC "
	    "clients"),
	SANDBOX_RLIMIT(RLIMIT_CORE, 0, "frames must not end up in cores"),
	SANDBOX_RLIMIT(RLIMIT_NPROC, 0, "never forks"),
	SANDBOX_RLIMIT(RLIMIT_AS, 2ULL << 30, "bounded memory"),
};

const struct sandbox_policy vl2d_policy = {
	.name = "zt-vl2d",
	.user = "zt-vl2",
	.group = "zt-vl2",
	.rlimits = vl2d_rlimits,
	.nrlimits = SANDBOX_NITEMS(vl2d_rlimits),
	.paths = vl2d_paths,
	.npaths = SANDBOX_NITEMS(vl2d_paths),
	.families = vl2d_families,
	.nfamilies = SANDBOX_NITEMS(vl2d_families),
	.syscalls = vl2d_syscalls,
	.nsyscalls = SANDBOX_NITEMS(vl2d_syscalls),
};
