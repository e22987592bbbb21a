/*
 * zt-controllerd's sandbox table: no capability, its state directory
 * only (the SQLite database and its WAL), the HTTP listener bound
 * before the filter, and an AF_UNIX socket to reconnect to zt-vl1d.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>

#include "ctrld.h"

static const struct sandbox_syscall ctrld_syscalls[] = {
	{ "read", NULL, "IPC, HTTP requests, the database" },
	{ "write", NULL, "logging, HTTP replies, the database" },
	{ "pread64", NULL, "SQLite pages" },
	{ "pwrite64", NULL, "SQLite pages and WAL frames" },
	{ "lseek", NULL, "SQLite" },
	{ "close", NULL, "finished connections and files" },
	{ "openat", NULL, "the database, WAL and shm files (Landlock: "
	    "state dir)" },
	{ "newfstatat", NULL, "SQLite checks its files" },
	{ "fstat", NULL, "SQLite checks its files" },
	{ "readlink", NULL, "SQLite resolves the database path" },
	{ "readlinkat", NULL, "SQLite resolves the database path" },
	{ "getcwd", NULL, "SQLite resolves a relative path" },
	{ "fsync", NULL, "synchronous=FULL: every change on disk" },
	{ "fdatasync", NULL, "synchronous=FULL: every change on disk" },
	{ "ftruncate", NULL, "WAL reset after a checkpoint" },
	{ "unlink", NULL, "removing the WAL at close" },
	{ "unlinkat", NULL, "removing the WAL at close" },
	{ "rename", NULL, "atomic file replacement" },
	{ "fchmod", NULL, "SQLite sets the mode of its new files" },
	{ "fchown", NULL, "SQLite keeps the owner of its new files" },
	{ "geteuid", NULL, "SQLite checks whether it runs as root" },
	{ "getuid", NULL, "libc" },
	{ "recvmsg", NULL, "IPC frames" },
	{ "sendmsg", NULL, "IPC frames" },
	{ "sendto", NULL, "IPC frames" },
	{ "recvfrom", NULL, "IPC and HTTP" },
	{ "readv", NULL, "HTTP (libevent buffers)" },
	{ "ioctl", SANDBOX_ARG_IN(1, SANDBOX_VALUE(FIONREAD)),
	    "libevent sizes its HTTP reads" },
	{ "writev", NULL, "HTTP (libevent buffers)" },
	{ "accept4", NULL, "HTTP and control socket connections" },
	{ "accept", NULL, "HTTP connections (libevent)" },
	{ "connect", NULL, "reconnecting to zt-vl1d's socket" },
	{ "shutdown", NULL, "closing HTTP connections" },
	{ "getsockname", NULL, "libevent's listener" },
	{ "getpeername", NULL, "HTTP peer address" },
	SANDBOX_ROW_GETSOCKOPT_PEER("checking an accepted socket and its "
	    "peer's uid"),
	{ "setsockopt", SANDBOX_ARG_IN(2, SANDBOX_VALUE(SO_KEEPALIVE),
	    SANDBOX_VALUE(TCP_NODELAY), SANDBOX_VALUE(SO_REUSEADDR)),
	    "libevent's HTTP connection options" },
	{ "socket", NULL, "AF_UNIX only: reconnecting to zt-vl1d" },
	SANDBOX_ROWS_EVENT_LOOP,
	{ "poll", NULL, "libc" },
	SANDBOX_ROWS_TIMERS,
	/* SQLite maps the WAL index (shm) */
	SANDBOX_ROWS_MALLOC("malloc of large blocks, the WAL index (shm); "
	    "never executable", "free of large blocks, the WAL index"),
	{ "futex", NULL, "libc and OpenSSL locks" },
	{ "getrandom", NULL, "network ids and tokens (OpenSSL)" },
	{ "getpid", NULL, "OpenSSL fork detection, SQLite, logging" },
	{ "gettid", NULL, "OpenSSL thread ids" },
	SANDBOX_ROWS_SIGNALS,
	SANDBOX_ROWS_EXIT,
	{ "fcntl", SANDBOX_ARG_IN(1, SANDBOX_FCNTL_FLAGS,
	    SANDBOX_VALUE(F_GETLK),
	    SANDBOX_VALUE(F_SETLK), SANDBOX_VALUE(F_SETLKW)),
	    "non-blocking flags; SQLite's POSIX locks" },
	/*
	 * another process holding the database lock (an administrator's
	 * sqlite3, a backup) sends SQLite's busy handler to usleep between
	 * tries, up to the busy timeout; glibc sleeps on CLOCK_REALTIME
	 */
	{ "clock_nanosleep", SANDBOX_ARG_IN(0, SANDBOX_VALUE(CLOCK_REALTIME)),
	    "SQLite's busy handler waits for another process's lock" },
	{ "nanosleep", NULL, "SQLite's busy handler, on a libc that sleeps "
	    "with this call" },
};

static const struct sandbox_family ctrld_families[] = {
	SANDBOX_FAMILY(AF_UNIX, "reconnecting to zt-vl1d's control socket"),
};

/* the state directory is the one given on the command line */
static struct sandbox_path ctrld_paths[] = {
	{ ZT_STATEDIR "/controllerd", SANDBOX_RW,
	    "the controller database, its WAL and shm files" },
};

void
ctrld_policy_set_statedir(const char *dir)
{
	ctrld_paths[0].path = dir;
}

static const struct sandbox_rlimit ctrld_rlimits[] = {
	SANDBOX_RLIMIT(RLIMIT_NOFILE, 1024, "HTTP clients, database files"),
	SANDBOX_RLIMIT(RLIMIT_CORE, 0, "tokens must not end up in cores"),
	SANDBOX_RLIMIT(RLIMIT_NPROC, 0, "never forks"),
	SANDBOX_RLIMIT(RLIMIT_AS, 4ULL << 30, "bounded memory; exports of "
	    "100,000 members fit"),
};

const struct sandbox_policy ctrld_policy = {
	.name = "zt-controllerd",
	.user = "zt-ctrl",
	.group = "zt-ctrl",
	.rlimits = ctrld_rlimits,
	.nrlimits = SANDBOX_NITEMS(ctrld_rlimits),
	.paths = ctrld_paths,
	.npaths = SANDBOX_NITEMS(ctrld_paths),
	.families = ctrld_families,
	.nfamilies = SANDBOX_NITEMS(ctrld_families),
	.syscalls = ctrld_syscalls,
	.nsyscalls = SANDBOX_NITEMS(ctrld_syscalls),
};
