/*
 * Sandbox proof harness, loaded with LD_PRELOAD into an unmodified
 * daemon binary (never linked into one: no hook exists in the programs
 * that get installed).  Every daemon calls libevent's
 * event_base_dispatch() right after sandbox_apply(), so this library
 * defines that function: when ZT_SELFTEST_OP names an operation, the
 * process that reaches its event loop under its real policy attempts
 * that one forbidden operation instead of serving, reports the outcome
 * on stderr and exits.  A seccomp kill leaves only the "attempt" line;
 * the test script reads the exit signal (SIGSYS) from the shell or,
 * for zt-vl1d's key holder, from the network half's log.
 *
 * ZT_SELFTEST_PROC selects the process in zt-vl1d: "main" (the process
 * that was exec'd) or "child" (the key holder, forked before the
 * sandbox).  ZT_SELFTEST_DIR is a world-writable directory outside
 * every Landlock rule, so a refusal there can only be Landlock's;
 * ZT_SELFTEST_FILE is a file inside the daemon's Landlock rules (the
 * control op reads it); ZT_SELFTEST_SECRET is identity.secret, which
 * zt-vl1d's network half must not be able to open, replace or remove:
 * its directory (zt-vl1d's home) must refuse every new file too, while
 * home/world, where planet updates go, takes them.
 *
 * Operations use raw syscall(2): a libc wrapper might make another,
 * allowed, call first and prove nothing.
 *
 * Two more switches serve other tests: ZT_SELFTEST_BASELINE runs an op
 * unsandboxed in whatever loads the library (what does the kernel do
 * on its own?), and ZT_SELFTEST_SKIP_SECCOMP makes libseccomp's loader
 * a no-op, for `zt-ctl sandbox verify` to catch.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <netinet/in.h>

struct event_base;

int	 event_base_dispatch(struct event_base *);

static int (*selftest_real_dispatch)(struct event_base *);
/* libevent's event_base_once, found at run time: no link dependency */
static int (*selftest_once)(struct event_base *, int, short,
    void (*)(int, short, void *), void *, const struct timeval *);
static pid_t selftest_start_pid;

/* an operation: returns the syscall's result, errno set on -1 */
struct selftest_op {
	const char	*name;
	long		(*fn)(void);
};

static const char *
selftest_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? v : "/nonexistent";
}

static long
op_control(void)
{
	char b[1];
	long fd, n;

	/* an allowed open and read: proves the harness tells them apart */
	fd = syscall(SYS_openat, AT_FDCWD, selftest_env("ZT_SELFTEST_FILE"),
	    O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	n = syscall(SYS_read, fd, b, sizeof(b));
	syscall(SYS_close, fd);
	return n;
}

static int
selftest_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * allowed everywhere: glibc's qsort of more than 1 KiB (jansson sorting a
 * large object's keys) asks sysinfo(2) once; the warm-up must have asked
 */
static long
op_qsort(void)
{
	int v[512];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		v[i] = (int)(sizeof(v) / sizeof(v[0]) - i);
	qsort(v, sizeof(v) / sizeof(v[0]), sizeof(v[0]), selftest_cmp);
	return v[0] == 1 ? 0 : -1;
}

/*
 * allowed everywhere: glibc's realloc of a block it had mmap'd is an
 * mremap (zt-tapd's table once lacked it, and a multi-part zt-ctl
 * request, reassembled in a doubling buffer, killed zt-tapd).  40 MiB
 * is above the largest threshold glibc's dynamic mmap threshold can
 * reach (32 MiB), so the first block is mmap'd whatever happened before
 * in the process; neither block is touched, so costs no memory.
 */
static long
op_realloc(void)
{
	/* through volatile pointers: the compiler may not fold the pair */
	void *(*volatile alloc)(size_t) = malloc;
	void *(*volatile resize)(void *, size_t) = realloc;
	char *p, *q;

	if ((p = alloc(40 << 20)) == NULL)
		return -1;
	p[0] = 1;
	if ((q = resize(p, 48 << 20)) == NULL) {
		free(p);
		return -1;
	}
	p = q;
	free(p);
	return 0;
}

static long
op_getpid(void)
{
	return syscall(SYS_getpid);
}

static long
op_execve(void)
{
	char *const argv[] = { "true", NULL };
	char *const envp[] = { NULL };

	return syscall(SYS_execve, "/bin/true", argv, envp);
}

static long
op_ptrace(void)
{
	return syscall(SYS_ptrace, PTRACE_ATTACH, 1, NULL, NULL);
}

static long
op_ptrace_traceme(void)
{
	return syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL);
}

static long
op_mount(void)
{
	return syscall(SYS_mount, "none", selftest_env("ZT_SELFTEST_DIR"),
	    "tmpfs", 0UL, NULL);
}

static long
op_raw_socket(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP);
}

static long
op_packet_socket(void)
{
	return syscall(SYS_socket, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
}

static long
op_netlink_socket(void)
{
	return syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
}

static long
op_inet_socket(void)
{
	return syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
}

static long
op_socketpair_inet(void)
{
	int sv[2];

	return syscall(SYS_socketpair, AF_INET6, SOCK_STREAM, 0, sv);
}

static long
op_read_outside(void)
{
	/* world-readable: only Landlock (or seccomp) can refuse it */
	return syscall(SYS_openat, AT_FDCWD, "/etc/passwd",
	    O_RDONLY | O_CLOEXEC);
}

static long
op_write_outside(void)
{
	char path[4096];

	/* the directory is mode 1777: only Landlock can refuse this */
	snprintf(path, sizeof(path), "%s/created-by-sandboxed-daemon",
	    selftest_env("ZT_SELFTEST_DIR"));
	return syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

static long
op_write_etc(void)
{
	return syscall(SYS_openat, AT_FDCWD, "/etc/zt-selftest",
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

static long
op_read_secret(void)
{
	return syscall(SYS_openat, AT_FDCWD,
	    selftest_env("ZT_SELFTEST_SECRET"), O_RDONLY | O_CLOEXEC);
}

/* <directory of ZT_SELFTEST_SECRET>/name */
static void
selftest_home_path(char *buf, size_t len, const char *name)
{
	const char *secret = selftest_env("ZT_SELFTEST_SECRET");
	const char *slash = strrchr(secret, '/');
	int dirlen = slash != NULL ? (int)(slash - secret) : 1;

	snprintf(buf, len, "%.*s/%s", dirlen, slash != NULL ? secret : ".",
	    name);
}

static long
selftest_unlink(const char *path)
{
#ifdef SYS_unlink
	return syscall(SYS_unlink, path);
#else
	return syscall(SYS_unlinkat, AT_FDCWD, path, 0);
#endif
}

static long
op_write_home(void)
{
	char path[4096];

	/* home is the daemon user's own: only Landlock can refuse this */
	selftest_home_path(path, sizeof(path), "created-by-sandboxed-daemon");
	return syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

static long
op_replace_secret(void)
{
	char src[4096];
	const char *file = selftest_env("ZT_SELFTEST_FILE");
	const char *slash = strrchr(file, '/');
	long fd, r;
	int saved;

	/*
	 * A file made where the daemon may write (next to the control
	 * file), then renamed over identity.secret, as an atomic save
	 * would do it.  Failing to make it is no refusal of the rename.
	 */
	snprintf(src, sizeof(src), "%.*s/selftest-replace",
	    slash != NULL ? (int)(slash - file) : 1,
	    slash != NULL ? file : ".");
	fd = syscall(SYS_openat, AT_FDCWD, src,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		errno = ENOTRECOVERABLE;
		return -1;
	}
	syscall(SYS_close, fd);
#ifdef SYS_rename
	r = syscall(SYS_rename, src, selftest_env("ZT_SELFTEST_SECRET"));
#else
	r = syscall(SYS_renameat2, AT_FDCWD, src, AT_FDCWD,
	    selftest_env("ZT_SELFTEST_SECRET"), 0);
#endif
	saved = errno;
	if (r == -1)
		selftest_unlink(src);
	errno = saved;
	return r;
}

static long
op_write_secret(void)
{
	/* truncating it open: O_TRUNC, no O_CREAT (the file is there) */
	return syscall(SYS_openat, AT_FDCWD,
	    selftest_env("ZT_SELFTEST_SECRET"),
	    O_WRONLY | O_TRUNC | O_CLOEXEC);
}

static long
op_remove_secret(void)
{
	return selftest_unlink(selftest_env("ZT_SELFTEST_SECRET"));
}

static long
op_write_world(void)
{
	char path[4096];
	long fd;

	/* what a planet update does: a new file in home/world, removed */
	selftest_home_path(path, sizeof(path), "world/selftest-world");
	fd = syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fd;
	syscall(SYS_close, fd);
	return selftest_unlink(path);
}

static long
op_setuid(void)
{
	return syscall(SYS_setuid, 0);
}

static long
op_setresuid(void)
{
	return syscall(SYS_setresuid, 0, 0, 0);
}

static long
op_setgroups(void)
{
	gid_t g = 0;

	return syscall(SYS_setgroups, 1, &g);
}

static long
op_chmod(void)
{
	return syscall(SYS_fchmodat, AT_FDCWD,
	    selftest_env("ZT_SELFTEST_DIR"), 0700);
}

static long
op_chroot(void)
{
	return syscall(SYS_chroot, "/");
}

static long
op_unshare(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNET);
}

static long
op_clone(void)
{
	long r;

	r = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, NULL, NULL, 0);
	if (r == 0)
		syscall(SYS_exit_group, 0);	/* the child, if any */
	return r;
}

static long
op_keyctl(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
	    KEY_SPEC_SESSION_KEYRING, 0);
}

static long
op_bpf(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	return syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
}

static long
op_perf_event_open(void)
{
	return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}

static long
op_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0UL, "");
}

static long
op_finit_module(void)
{
	return syscall(SYS_finit_module, -1, "", 0);
}

static long
op_personality(void)
{
	return syscall(SYS_personality, READ_IMPLIES_EXEC);
}

static long
op_kill(void)
{
	return syscall(SYS_kill, 1, 0);
}

static long
op_prctl(void)
{
	return syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static long
op_mprotect_exec(void)
{
	static char page[8192] __attribute__((aligned(4096)));

	return syscall(SYS_mprotect, page, 4096,
	    PROT_READ | PROT_WRITE | PROT_EXEC);
}

static long
op_mmap_wx(void)
{
	return syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE |
	    PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static long
op_ioctl_tiocsti(void)
{
	char c = 'x';

	return syscall(SYS_ioctl, 2, TIOCSTI, &c);
}

static long
op_setsockopt(void)
{
	/* any fd: the argument filter decides before the kernel looks */
	return syscall(SYS_setsockopt, 0, SOL_SOCKET, SO_BINDTODEVICE,
	    "lo", 3);
}

static long
op_reboot(void)
{
	/* a wrong magic number: harmless even if it were let through */
	return syscall(SYS_reboot, 0, 0, 0, NULL);
}

static long
op_int80(void)
{
#if defined(__x86_64__)
	long r;

	/* 32-bit ABI getpid (20): a syscall from another architecture */
	__asm__ volatile ("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
#else
	errno = ENOSYS;
	return -1;
#endif
}

static long
op_x32(void)
{
#if defined(__x86_64__)
	/* x32 ABI getpid: native arch, syscall number with bit 30 set */
	return syscall(0x40000000L | 39L);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static const struct selftest_op selftest_ops[] = {
	{ "control", op_control },
	{ "qsort", op_qsort },
	{ "realloc", op_realloc },
	{ "getpid", op_getpid },
	{ "execve", op_execve },
	{ "ptrace", op_ptrace },
	{ "ptrace-traceme", op_ptrace_traceme },
	{ "mount", op_mount },
	{ "raw-socket", op_raw_socket },
	{ "packet-socket", op_packet_socket },
	{ "netlink-socket", op_netlink_socket },
	{ "inet-socket", op_inet_socket },
	{ "socketpair-inet6", op_socketpair_inet },
	{ "read-outside", op_read_outside },
	{ "write-outside", op_write_outside },
	{ "write-etc", op_write_etc },
	{ "read-secret", op_read_secret },
	{ "write-home", op_write_home },
	{ "write-secret", op_write_secret },
	{ "replace-secret", op_replace_secret },
	{ "remove-secret", op_remove_secret },
	{ "write-world", op_write_world },
	{ "setuid", op_setuid },
	{ "setresuid", op_setresuid },
	{ "setgroups", op_setgroups },
	{ "chmod", op_chmod },
	{ "chroot", op_chroot },
	{ "unshare", op_unshare },
	{ "clone", op_clone },
	{ "keyctl", op_keyctl },
	{ "bpf", op_bpf },
	{ "perf_event_open", op_perf_event_open },
	{ "init_module", op_init_module },
	{ "finit_module", op_finit_module },
	{ "personality", op_personality },
	{ "kill", op_kill },
	{ "prctl", op_prctl },
	{ "mprotect-exec", op_mprotect_exec },
	{ "mmap-wx", op_mmap_wx },
	{ "ioctl-tiocsti", op_ioctl_tiocsti },
	{ "setsockopt", op_setsockopt },
	{ "reboot", op_reboot },
	{ "int80", op_int80 },
	{ "x32", op_x32 },
};

/* async-signal-safe formatting: only write(2), allowed in every table */
static void
selftest_say(const char *op, const char *what, int err)
{
	char msg[256], num[16];
	size_t n = 0, k = 0, i;
	unsigned int v = (unsigned int)err;

	for (i = 0; "selftest: "[i] != '\0'; i++)
		msg[n++] = "selftest: "[i];
	for (i = 0; op[i] != '\0' && n < 100; i++)
		msg[n++] = op[i];
	msg[n++] = ' ';
	for (i = 0; what[i] != '\0' && n < 200; i++)
		msg[n++] = what[i];
	if (err >= 0) {
		do {
			num[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
		memcpy(msg + n, " errno=", 7);
		n += 7;
		while (k > 0)
			msg[n++] = num[--k];
	}
	msg[n++] = '\n';
	(void)!write(STDERR_FILENO, msg, n);
}

static void
selftest_run(const char *name)
{
	const struct selftest_op *op = NULL;
	size_t i;
	long r;

	for (i = 0; i < sizeof(selftest_ops) / sizeof(selftest_ops[0]); i++)
		if (strcmp(selftest_ops[i].name, name) == 0)
			op = &selftest_ops[i];
	if (op == NULL) {
		selftest_say(name, "unknown", -1);
		syscall(SYS_exit_group, 3);
	}
	selftest_say(name, "attempt", -1);
	errno = 0;
	r = op->fn();
	if (r == -1)
		selftest_say(name, "refused", errno);
	else
		selftest_say(name, "allowed", -1);
	syscall(SYS_exit_group, r == -1 ? 0 : 4);
}

__attribute__((constructor)) static void
selftest_init(void)
{
	/* resolved before the filter is on: dlsym may open files */
	selftest_real_dispatch = (int (*)(struct event_base *))dlsym(RTLD_NEXT,
	    "event_base_dispatch");
	*(void **)&selftest_once = dlsym(RTLD_DEFAULT, "event_base_once");
	selftest_start_pid = getpid();
	/*
	 * ZT_SELFTEST_BASELINE: the op right away, in whatever process
	 * loaded the library, unsandboxed; the test learns what the kernel
	 * itself does (a kernel without 32-bit emulation faults on int 0x80
	 * before seccomp sees it).
	 */
	if (getenv("ZT_SELFTEST_BASELINE") != NULL)
		selftest_run(getenv("ZT_SELFTEST_BASELINE"));
}

/*
 * ZT_SELFTEST_SKIP_SECCOMP: libseccomp's loader does nothing and says it
 * worked, so the daemon believes (and reports) a filter the kernel never
 * got; `zt-ctl sandbox verify` must catch that from /proc.
 */
int	 seccomp_load(void *);

int
seccomp_load(void *ctx)
{
	int (*real)(void *);

	if (getenv("ZT_SELFTEST_SKIP_SECCOMP") != NULL)
		return 0;
	*(void **)&real = dlsym(RTLD_NEXT, "seccomp_load");
	return real != NULL ? real(ctx) : -ENOSYS;
}

static void
selftest_timer(int fd, short what, void *arg)
{
	selftest_run(arg);
}

int
event_base_dispatch(struct event_base *base)
{
	static const struct timeval delay = { 0, 500000 };
	const char *op = getenv("ZT_SELFTEST_OP");
	const char *proc = getenv("ZT_SELFTEST_PROC");
	bool child;

	if (op != NULL) {
		child = (pid_t)syscall(SYS_getpid) != selftest_start_pid;
		/*
		 * zt-vl1d's key holder: from inside its loop, once the
		 * network half has met it and waits for its exit status
		 */
		if (child && proc != NULL && strcmp(proc, "child") == 0) {
			if (selftest_once == NULL || selftest_once(base, -1,
			    0x01 /* EV_TIMEOUT */, selftest_timer, (void *)op,
			    &delay) != 0)
				selftest_say(op, "cannot-schedule", -1);
		} else if (!child && (proc == NULL ||
		    strcmp(proc, "child") != 0))
			selftest_run(op);
	}
	if (selftest_real_dispatch == NULL)
		return -1;
	return selftest_real_dispatch(base);
}
