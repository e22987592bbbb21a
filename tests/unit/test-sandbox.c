/*
 * Sandbox tests.  Each case forks a child that applies a sample policy
 * for zt-vl2 and then probes it; the parent judges the child's exit
 * status.  Run as root (CI does): the uid, capability and Landlock
 * checks need a real drop, and without root they fail, loudly.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "priv.h"
#include "sandbox.h"
#include "test.h"
#include "users.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT	0x40000000
#endif

struct fixture {
	struct test_users	 users;
	char			 base[64];
	char			 ro[96], rofile[128], rw[96], rwfile[128];
	char			 outside[128];
	char			 rp[96], rpsecret[128], rpfile[128];
	int			 warm_fd;	/* opened by the warm-up hook */
	int			 kernel_abi;	/* Landlock ABI offered */
	bool			 warm_ran;
};

static struct fixture fx;

static const struct sandbox_cap bind_caps[] = {
	SANDBOX_CAP(CAP_NET_BIND_SERVICE, "test: a kept capability works"),
};

static const struct sandbox_rlimit sample_rlimits[] = {
	SANDBOX_RLIMIT(RLIMIT_NOFILE, 64, "test: a small fd table"),
	SANDBOX_RLIMIT(RLIMIT_CORE, 0, "test: killed children leave no core"),
	SANDBOX_RLIMIT(RLIMIT_AS, 8ULL << 30, "test: skipped under ASan"),
	SANDBOX_RLIMIT(RLIMIT_FSIZE, RLIM_INFINITY, "test: prints infinity"),
};

static const struct sandbox_family sample_families[] = {
	SANDBOX_FAMILY(AF_UNIX, "test: IPC sockets"),
	SANDBOX_FAMILY(AF_INET, "test: UDP"),
};

static const struct sandbox_syscall sample_syscalls[] = {
	{ "read", NULL, "test: read files" },
	{ "write", NULL, "test: report on stderr" },
	{ "open", NULL, "test: open (older ABIs)" },
	{ "openat", NULL, "test: open files" },
	{ "close", NULL, "test: close fds" },
	{ "fstat", NULL, "test: stdio" },
	{ "newfstatat", NULL, "test: stdio" },
	{ "getpid", NULL, "test: the permitted syscall" },
	{ "getresuid", NULL, "test: check the ids" },
	{ "getresgid", NULL, "test: check the ids" },
	{ "setuid", NULL, "test: regaining root must fail by itself" },
	{ "setresuid", NULL, "test: regaining root must fail by itself" },
	{ "fchown", NULL, "test: a dropped capability" },
	{ "capget", NULL, "test: read capabilities" },
	{ "capset", NULL, "test: raising a capability must fail" },
	{ "prctl", SANDBOX_ARG_IN(0, SANDBOX_VALUE(PR_CAPBSET_READ),
	    SANDBOX_VALUE(PR_CAP_AMBIENT)),
	    "test: read the bounding and ambient sets" },
	{ "prlimit64", NULL, "test: getrlimit" },
	{ "socket", NULL, "test: by family" },
	{ "bind", NULL, "test: privileged port with the kept capability" },
	{ "ioctl", SANDBOX_ARG_IN(1, SANDBOX_VALUE(FIONREAD)),
	    "test: one allowed request" },
	{ "fcntl", SANDBOX_ARG_IN(1, SANDBOX_VALUE(F_GETFL),
	    SANDBOX_VALUE(F_SETFL), SANDBOX_VALUE(F_GETFD),
	    SANDBOX_VALUE(F_SETFD)), "test: flags only" },
	{ "brk", NULL, "test: malloc" },
	{ "mmap", NULL, "test: malloc" },
	{ "munmap", NULL, "test: malloc" },
	{ "futex", NULL, "test: OpenSSL's atexit cleanup takes locks" },
	{ "exit_group", NULL, "test: exit" },
};

static struct sandbox_path sample_paths[3];

static struct sandbox_policy
sample_policy(void)
{
	struct sandbox_policy p = {
		.name = "zt-test",
		.user = TEST_USER_VL2,
		.group = TEST_GROUP,
		.caps = NULL,
		.ncaps = 0,
		.rlimits = sample_rlimits,
		.nrlimits = SANDBOX_NITEMS(sample_rlimits),
		.paths = sample_paths,
		.npaths = SANDBOX_NITEMS(sample_paths),
		.families = sample_families,
		.nfamilies = SANDBOX_NITEMS(sample_families),
		.syscalls = sample_syscalls,
		.nsyscalls = SANDBOX_NITEMS(sample_syscalls),
	};

	sample_paths[0] = (struct sandbox_path){ fx.ro, SANDBOX_RO,
	    "test: read-only folder" };
	sample_paths[1] = (struct sandbox_path){ fx.rw, SANDBOX_RW,
	    "test: state folder" };
	sample_paths[2] = (struct sandbox_path){ "/nonexistent/zt-test",
	    SANDBOX_RO, "test: a missing path grants nothing" };
	return p;
}

/* in the child: report a failed expectation, then exit non-zero */
#define EXPECT(e) do {							\
	if (!(e)) {							\
		child_fail(__LINE__, #e);				\
		return 1;						\
	}								\
} while (0)

static void
child_fail(int line, const char *expr)
{
	fprintf(stderr, "child check failed at line %d: %s (errno %d)\n",
	    line, expr, errno);
}

typedef int	 scenario_fn(void);

static int
warm_hook(void *arg)
{
	struct fixture *f = arg;

	/* still root, and the file is outside every Landlock rule */
	f->warm_ran = geteuid() == 0;
	f->warm_fd = open(f->outside, O_RDONLY | O_CLOEXEC);
	return f->warm_fd == -1 ? -1 : 0;
}

/*
 * Forks; the child sets the Landlock override (negative: none), applies
 * p and runs fn.  Returns the child's wait status.
 */
static int
run_child(const struct sandbox_policy *p, int abi, scenario_fn *fn)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		sandbox_landlock_abi_override(abi);
		if (sandbox_apply(p, warm_hook, &fx) == -1)
			_exit(2);
		_exit(fn());
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return st;
}

static bool
exited_ok(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* kill mode: SIGSYS; trap mode: the call failed with ENOSYS, exit 0 */
static bool
violation_seen(int st)
{
#if ZT_SANDBOX_TRAP
	return exited_ok(st);
#else
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
#endif
}

/* after a forbidden call: reached only in trap mode */
static int
after_violation(long r)
{
	return ZT_SANDBOX_TRAP && r == -1 && errno == ENOSYS ? 0 : 3;
}

static int
scenario_allowed(void)
{
	struct sandbox_status st;
	uid_t r, e, s;
	gid_t rg, eg, sg;
	char b[8];
	int fd, n, u, flags;

	/* (a) permitted syscalls work */
	EXPECT(getpid() > 1);
	EXPECT((fd = open(fx.rofile, O_RDONLY | O_CLOEXEC)) != -1);
	EXPECT(read(fd, b, sizeof(b)) == 5 && memcmp(b, "hello", 5) == 0);
	EXPECT(ioctl(fd, FIONREAD, &n) == 0);
	EXPECT((flags = fcntl(fd, F_GETFL)) != -1);
	EXPECT(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0);
	close(fd);
	EXPECT((u = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) != -1);
	close(u);
	EXPECT((u = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	close(u);
	/* (c) Landlock: reads in ro, writes in rw, nothing elsewhere */
	EXPECT(open(fx.rofile, O_RDWR) == -1 && errno == EACCES);
	EXPECT(open(fx.outside, O_RDONLY) == -1 && errno == EACCES);
	EXPECT(open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES);
	EXPECT((fd = open(fx.rwfile, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) != -1);
	EXPECT(write(fd, "x", 1) == 1);
	/* (d) no capability: the file cannot be given away */
	EXPECT(fchown(fd, 0, 0) == -1 && errno == EPERM);
	close(fd);
	/* the warm-up hook's fd stays usable: opened before the rules */
	EXPECT(fx.warm_ran && read(fx.warm_fd, b, 3) == 3);
	/* (e) the ids are zt-vl2/zt and root cannot be regained */
	EXPECT(getresuid(&r, &e, &s) == 0 && r == fx.users.vl2.uid &&
	    e == r && s == r);
	EXPECT(getresgid(&rg, &eg, &sg) == 0 && rg == fx.users.zt &&
	    eg == rg && sg == rg);
	EXPECT(setuid(0) == -1 && errno == EPERM);
	EXPECT(setresuid(0, 0, 0) == -1 && errno == EPERM);
	EXPECT(getrlimit(RLIMIT_NOFILE, &(struct rlimit){ 0, 0 }) == 0);
	sandbox_status(&st);
	EXPECT(st.applied && st.seccomp && st.no_new_privs &&
	    st.landlock_abi == fx.kernel_abi);
	EXPECT(st.trap == ZT_SANDBOX_TRAP && st.sanitizer == ZT_SANITIZED);
	return 0;
}

static int
scenario_rlimits(void)
{
	struct rlimit rl;

	EXPECT(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 64 &&
	    rl.rlim_max == 64);
	EXPECT(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_max == 0);
	EXPECT(getrlimit(RLIMIT_AS, &rl) == 0);
	/* the sanitizer allowance leaves the address space alone */
	EXPECT(ZT_SANITIZED ? rl.rlim_cur == RLIM_INFINITY :
	    rl.rlim_cur == 8ULL << 30);
	EXPECT(getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	    rl.rlim_cur == RLIM_INFINITY);
	return 0;
}

/* (d) a kept capability works; the others are gone for good */
static int
scenario_caps(void)
{
	struct sockaddr_in sin;
	cap_t c;
	cap_value_t chown_cap = CAP_CHOWN;
	cap_flag_value_t v;
	int fd, port, rc = -1, cap;

	EXPECT((c = cap_get_proc()) != NULL);
	EXPECT(cap_get_flag(c, CAP_NET_BIND_SERVICE, CAP_EFFECTIVE, &v) == 0 &&
	    v == CAP_SET);
	EXPECT(cap_get_flag(c, CAP_NET_BIND_SERVICE, CAP_PERMITTED, &v) ==
	    0 && v == CAP_SET);
	EXPECT(cap_get_flag(c, CAP_NET_BIND_SERVICE, CAP_INHERITABLE, &v) ==
	    0 && v == CAP_CLEAR);
	for (cap = 0; cap < (int)cap_max_bits(); cap++) {
		if (cap == CAP_NET_BIND_SERVICE)
			continue;
		EXPECT(cap_get_flag(c, cap, CAP_PERMITTED, &v) == 0 &&
		    v == CAP_CLEAR);
		EXPECT(cap_get_bound(cap) == 0);
		EXPECT(cap_get_ambient(cap) == 0);
	}
	EXPECT(cap_get_bound(CAP_NET_BIND_SERVICE) == 1);
	/* raising a dropped capability fails */
	EXPECT(cap_set_flag(c, CAP_EFFECTIVE, 1, &chown_cap, CAP_SET) == 0);
	EXPECT(cap_set_flag(c, CAP_PERMITTED, 1, &chown_cap, CAP_SET) == 0);
	EXPECT(cap_set_proc(c) == -1 && errno == EPERM);
	cap_free(c);
	EXPECT((fd = open(fx.rwfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) !=
	    -1);
	EXPECT(fchown(fd, 0, 0) == -1 && errno == EPERM);
	close(fd);
	/* the kept one: a privileged port (any free one below 1024) */
	for (port = 900; port < 1000 && rc == -1; port++) {
		EXPECT((fd = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		EXPECT(rc == 0 || errno == EADDRINUSE);
		close(fd);
	}
	EXPECT(rc == 0);
	EXPECT(setuid(0) == -1 && errno == EPERM);
	return 0;
}

/* (b) a syscall outside the table */
static int
scenario_forbidden(void)
{
	return after_violation(syscall(SYS_getppid));
}

static int
scenario_bad_family(void)
{
	return after_violation(socket(AF_NETLINK, SOCK_RAW, 0));
}

static int
scenario_bad_ioctl(void)
{
	int on = 1;

	return after_violation(ioctl(0, FIONBIO, &on));
}

static int
scenario_bad_fcntl(void)
{
	return after_violation(fcntl(0, F_DUPFD, 10));
}

static int
scenario_bad_prctl(void)
{
	return after_violation(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
}

/* the same number with the x32 bit: never matches the native filter */
static int
scenario_x32(void)
{
	return after_violation(syscall(__X32_SYSCALL_BIT | SYS_getpid));
}

#if defined(__x86_64__)
/* the i386 ABI through int 0x80: getpid is 20 there */
static long
int80_getpid(void)
{
	long r = 20;

	__asm__ volatile ("int $0x80" : "+a"(r) : : "memory");
	return r;
}

static int
scenario_int80(void)
{
	long r = int80_getpid();

	if (r < 0) {
		errno = (int)-r;
		r = -1;
	}
	return after_violation(r);
}

/* a kernel without IA-32 emulation faults: keep that crash quiet */
static int
int80_control(void)
{
	int fd;

	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		return 4;
	return int80_getpid() == getpid() ? 0 : 4;
}
#endif

/* the kernel "lacks" Landlock: a warning, paths are not enforced */
static int
scenario_no_landlock(void)
{
	struct sandbox_status st;
	json_t *j;
	int fd;

	sandbox_status(&st);
	EXPECT(st.applied && st.landlock_abi == 0 && st.seccomp);
	EXPECT((fd = open(fx.outside, O_RDONLY | O_CLOEXEC)) != -1);
	close(fd);
	EXPECT((j = sandbox_status_json()) != NULL);
	EXPECT(json_integer_value(json_object_get(j, "landlock_abi")) == 0);
	EXPECT(json_is_true(json_object_get(j, "seccomp")));
	json_decref(j);
	return 0;
}

/* Debian 12's kernel: ABI 2 rules still confine */
static int
scenario_abi2(void)
{
	struct sandbox_status st;
	int fd;

	sandbox_status(&st);
	EXPECT(st.landlock_abi == 2);
	EXPECT(open(fx.outside, O_RDONLY) == -1 && errno == EACCES);
	EXPECT((fd = open(fx.rofile, O_RDONLY | O_CLOEXEC)) != -1);
	close(fd);
	EXPECT((fd = open(fx.rwfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) !=
	    -1);
	close(fd);
	return 0;
}

static int
scenario_nothing(void)
{
	return 0;
}

/*
 * exit(), not _exit(): atexit handlers run inside the filter, and in
 * ASan builds LeakSanitizer must stay off instead of being killed.
 */
static int
scenario_exit(void)
{
	exit(0);
}

#if ZT_SANITIZED && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN_REPORT	1
/* a heap overflow after the filter: ASan must report it and exit 1 */
static int
scenario_asan_report(void)
{
	char *volatile p = malloc(8);
	volatile size_t i = 8;

	p[i] = 1;
	free(p);
	return 0;
}

static void
test_asan_report(const struct sandbox_policy *p)
{
	char out[16384];
	FILE *tmp;
	size_t n;
	int saved, st;

	REQUIRE((tmp = tmpfile()) != NULL && (saved = dup(2)) != -1);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	st = run_child(p, -1, scenario_asan_report);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "sanitizer report in the sandbox (status %#x)", st);
	CHECK(strstr(out, "ERROR: AddressSanitizer: heap-buffer-overflow") !=
	    NULL);
	CHECK(strstr(out, "SUMMARY: AddressSanitizer") != NULL);
}
#endif
#endif

static int
child_status(scenario_fn *fn)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return st;
}

/* started as the target user already: verified, not skipped */
static int
pre_dropped_vl2(void)
{
	struct sandbox_policy p = sample_policy();
	gid_t g = fx.users.zt;

	if (setgroups(1, &g) == -1 || setresgid(g, g, g) == -1 ||
	    setresuid(fx.users.vl2.uid, fx.users.vl2.uid,
	    fx.users.vl2.uid) == -1)
		return 5;
	return sandbox_apply(&p, NULL, NULL) == 0 ? 0 : 6;
}

/* started as another unprivileged user: the drop must fail */
static int
pre_dropped_vl1(void)
{
	struct sandbox_policy p = sample_policy();
	gid_t g = fx.users.vl1.gid;

	if (setgroups(1, &g) == -1 || setresgid(g, g, g) == -1 ||
	    setresuid(fx.users.vl1.uid, fx.users.vl1.uid,
	    fx.users.vl1.uid) == -1)
		return 5;
	return sandbox_apply(&p, NULL, NULL) == -1 ? 0 : 6;
}

/*
 * Started as systemd starts zt-tapd: already the user, the capability
 * in the ambient set.  The drop keeps it effective but clears ambient
 * and inheritable, so nothing the daemon could spawn inherits it.
 */
static int
pre_service_manager(void)
{
	struct sandbox_policy p = sample_policy();
	cap_value_t nb = CAP_NET_BIND_SERVICE;
	cap_flag_value_t v;
	uid_t u = fx.users.tap.uid;
	gid_t g = fx.users.zt;
	cap_t c;
	int rc = 5;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(1, &g) == -1 || setresgid(g, g, g) == -1 ||
	    setresuid(u, u, u) == -1 || (c = cap_init()) == NULL)
		return 5;
	if (cap_set_flag(c, CAP_PERMITTED, 1, &nb, CAP_SET) == 0 &&
	    cap_set_flag(c, CAP_EFFECTIVE, 1, &nb, CAP_SET) == 0 &&
	    cap_set_flag(c, CAP_INHERITABLE, 1, &nb, CAP_SET) == 0 &&
	    cap_set_proc(c) == 0 && cap_set_ambient(nb, CAP_SET) == 0 &&
	    cap_get_ambient(nb) == 1)
		rc = 0;
	cap_free(c);
	if (rc != 0)
		return rc;
	p.user = TEST_USER_TAP;
	p.caps = bind_caps;
	p.ncaps = SANDBOX_NITEMS(bind_caps);
	if (sandbox_apply(&p, NULL, NULL) == -1)
		return 6;
	EXPECT(cap_get_ambient(nb) == 0);
	EXPECT((c = cap_get_proc()) != NULL);
	EXPECT(cap_get_flag(c, nb, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET);
	EXPECT(cap_get_flag(c, nb, CAP_INHERITABLE, &v) == 0 &&
	    v == CAP_CLEAR);
	cap_free(c);
	return 0;
}

/*
 * SANDBOX_REPLACE (zt-vl1d's home, next to identity.secret): files are
 * replaced atomically, but none can be opened for reading, not even
 * the one just written.
 */
static const struct sandbox_syscall replace_syscalls[] = {
	{ "read", NULL, "test: read files" },
	{ "write", NULL, "test: write files, report on stderr" },
	{ "open", NULL, "test: open (older ABIs)" },
	{ "openat", NULL, "test: open files" },
	{ "close", NULL, "test: close fds" },
	{ "fchmod", NULL, "test: file_write_atomic" },
	{ "fsync", NULL, "test: file_write_atomic" },
	{ "rename", NULL, "test: file_write_atomic" },
	{ "renameat", NULL, "test: file_write_atomic" },
	{ "renameat2", NULL, "test: file_write_atomic" },
	{ "unlink", NULL, "test: file_write_atomic" },
	{ "getrandom", NULL, "test: file_write_atomic's name" },
	{ "clock_gettime", NULL, "test: file_write_atomic's name" },
	{ "brk", NULL, "test: malloc" },
	{ "mmap", NULL, "test: malloc" },
	{ "munmap", NULL, "test: malloc" },
	{ "futex", NULL, "test: OpenSSL's atexit cleanup takes locks" },
	{ "exit_group", NULL, "test: exit" },
};
static struct sandbox_path replace_paths[1];

static int
scenario_replace(void)
{
	int fd;

	EXPECT(open(fx.rpsecret, O_RDONLY | O_CLOEXEC) == -1 &&
	    errno == EACCES);
	EXPECT(file_write_atomic(fx.rpfile, "new", 3, 0644) == 0);
	EXPECT(open(fx.rpfile, O_RDONLY | O_CLOEXEC) == -1 &&
	    errno == EACCES);
	EXPECT(open(fx.rp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) != -1);
	/* ABI 3 handles truncation, which the rule does not grant */
	if (fx.kernel_abi >= 3) {
		fd = open(fx.rpsecret, O_WRONLY | O_TRUNC | O_CLOEXEC);
		EXPECT(fd == -1 && errno == EACCES);
	}
	return 0;
}

static void
test_replace(void)
{
	struct sandbox_policy p = sample_policy();
	char *text = NULL;
	size_t len = 0;
	json_t *j;
	int st;

	replace_paths[0] = (struct sandbox_path){ fx.rp, SANDBOX_REPLACE,
	    "test: replaced, never read" };
	p.paths = replace_paths;
	p.npaths = SANDBOX_NITEMS(replace_paths);
	p.syscalls = replace_syscalls;
	p.nsyscalls = SANDBOX_NITEMS(replace_syscalls);
	j = sandbox_policy_json(&p);
	CHECK(j != NULL && strcmp(json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "landlock"), 0), "access")),
	    "replace") == 0);
	json_decref(j);
	st = run_child(&p, -1, scenario_replace);
	CHECKF(exited_ok(st), "Landlock replace rule (status %#x)", st);
	CHECK(file_read(fx.rpfile, 64, &text, &len) == 0 && len == 3 &&
	    memcmp(text, "new", 3) == 0);
	free(text);
	text = NULL;
	CHECK(file_read(fx.rpsecret, 64, &text, &len) == 0 && len == 6 &&
	    memcmp(text, "secret", 6) == 0);
	free(text);
}

static void
test_children(void)
{
	struct sandbox_policy p = sample_policy(), pc = p, pu = p;
	static const struct sandbox_syscall unknown[] = {
		{ "no_such_syscall_zt", NULL, "test: skipped by name" },
		{ "exit_group", NULL, "test: exit" },
	};
	int st;

	st = run_child(&p, -1, scenario_allowed);
	CHECKF(exited_ok(st), "permitted calls and rules (status %#x)", st);
	st = run_child(&p, -1, scenario_exit);
	CHECKF(exited_ok(st), "exit() in the sandbox (status %#x)", st);
	st = run_child(&p, -1, scenario_rlimits);
	CHECKF(exited_ok(st), "rlimits (status %#x)", st);
	pc.caps = bind_caps;
	pc.ncaps = SANDBOX_NITEMS(bind_caps);
	st = run_child(&pc, -1, scenario_caps);
	CHECKF(exited_ok(st), "capabilities (status %#x)", st);

	st = run_child(&p, -1, scenario_forbidden);
	CHECKF(violation_seen(st), "forbidden syscall (status %#x)", st);
	st = run_child(&p, -1, scenario_bad_family);
	CHECKF(violation_seen(st), "socket(AF_NETLINK) (status %#x)", st);
	st = run_child(&p, -1, scenario_bad_ioctl);
	CHECKF(violation_seen(st), "ioctl FIONBIO (status %#x)", st);
	st = run_child(&p, -1, scenario_bad_fcntl);
	CHECKF(violation_seen(st), "fcntl F_DUPFD (status %#x)", st);
	st = run_child(&p, -1, scenario_bad_prctl);
	CHECKF(violation_seen(st), "prctl PR_SET_DUMPABLE (status %#x)", st);
	st = run_child(&p, -1, scenario_x32);
	CHECKF(violation_seen(st), "x32 syscall (status %#x)", st);
#if defined(__x86_64__)
	/* only meaningful where the kernel runs i386 code at all */
	if (exited_ok(child_status(int80_control))) {
		st = run_child(&p, -1, scenario_int80);
		CHECKF(violation_seen(st), "int 0x80 (status %#x)", st);
	} else
		printf("note: no IA-32 emulation, int 0x80 case not run\n");
#endif

	st = run_child(&p, 0, scenario_no_landlock);
	CHECKF(exited_ok(st), "no Landlock (status %#x)", st);
	if (sandbox_landlock_abi() >= 2) {
		st = run_child(&p, 2, scenario_abi2);
		CHECKF(exited_ok(st), "Landlock ABI 2 (status %#x)", st);
	} else
		CHECKF(false, "this kernel lacks Landlock ABI 2 (has %d)",
		    sandbox_landlock_abi());

#ifdef TEST_ASAN_REPORT
	test_asan_report(&p);
#endif
	pu.syscalls = unknown;
	pu.nsyscalls = SANDBOX_NITEMS(unknown);
	st = run_child(&pu, -1, scenario_nothing);
	CHECKF(exited_ok(st), "unknown syscall name skipped (status %#x)",
	    st);

	st = child_status(pre_dropped_vl2);
	CHECKF(exited_ok(st), "started as zt-vl2 (status %#x)", st);
	st = child_status(pre_dropped_vl1);
	CHECKF(exited_ok(st), "started as zt-vl1 refused (status %#x)", st);
	st = child_status(pre_service_manager);
	CHECKF(exited_ok(st), "started with an ambient capability (status %#x)",
	    st);
}

/* file scope: the argument macros build static compound literals */
static const struct sandbox_syscall sock_arg[] = {
	{ "socket", SANDBOX_ARG_IN(0, SANDBOX_VALUE(AF_UNIX)), "x" },
};
static const struct sandbox_syscall bad_index[] = {
	{ "ioctl", SANDBOX_ARG_IN(6, SANDBOX_VALUE(FIONREAD)), "x" },
};

static void
test_check(void)
{
	struct sandbox_policy base = sample_policy(), p;
	static const struct sandbox_syscall no_why[] = {
		{ "read", NULL, "" },
	};
	static const struct sandbox_syscall twice[] = {
		{ "read", NULL, "x" }, { "read", NULL, "y" },
	};
	static const struct sandbox_cap setuid_cap[] = {
		SANDBOX_CAP(CAP_SETUID, "undoes the drop"),
	};
	static const struct sandbox_path rel[] = {
		{ "var/lib", SANDBOX_RW, "relative" },
	};

	CHECK(sandbox_policy_check(&base) == 0);
	p = base;
	p.syscalls = no_why;
	p.nsyscalls = 1;
	CHECK(sandbox_policy_check(&p) == -1);
	p.syscalls = sock_arg;
	CHECK(sandbox_policy_check(&p) == -1);
	p.syscalls = bad_index;
	CHECK(sandbox_policy_check(&p) == -1);
	p.syscalls = twice;
	p.nsyscalls = 2;
	CHECK(sandbox_policy_check(&p) == -1);
	p = base;
	p.nfamilies = 0;
	CHECK(sandbox_policy_check(&p) == -1);	/* socket without families */
	p = base;
	p.caps = setuid_cap;
	p.ncaps = 1;
	CHECK(sandbox_policy_check(&p) == -1);
	CHECK(priv_drop(0, 0, &(int){ CAP_SETUID }, 1) == -1);
	p = base;
	p.paths = rel;
	p.npaths = 1;
	CHECK(sandbox_policy_check(&p) == -1);
	p = base;
	p.group = NULL;
	CHECK(sandbox_policy_check(&p) == -1);
}

static json_t *
find_row(json_t *rows, const char *key, const char *val)
{
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r)
		if (json_is_string(json_object_get(r, key)) && strcmp(val,
		    json_string_value(json_object_get(r, key))) == 0)
			return r;
	return NULL;
}

static void
test_print_policy(void)
{
	struct sandbox_policy p = sample_policy();
	json_error_t err;
	json_t *j, *rows, *r, *vals;
	char *out = NULL, *again = NULL;
	size_t len = 0, len2 = 0, i;
	FILE *f;

	p.caps = bind_caps;
	p.ncaps = 1;
	REQUIRE((f = open_memstream(&out, &len)) != NULL);
	CHECK(sandbox_print_policy(&p, f) == 0);
	fclose(f);
	REQUIRE((f = open_memstream(&again, &len2)) != NULL);
	CHECK(sandbox_print_policy(&p, f) == 0);
	fclose(f);
	CHECK(len == len2 && strcmp(out, again) == 0);	/* golden-diffable */
	CHECK(len > 0 && out[len - 1] == '\n');
	/* sorted keys: "capabilities" first, "user" last */
	CHECK(strstr(out, "\"capabilities\"") < strstr(out, "\"group\""));
	CHECK(strstr(out, "\"syscalls\"") < strstr(out, "\"user\""));

	j = json_loads(out, JSON_REJECT_DUPLICATES, &err);
	REQUIRE(j != NULL);
	CHECK(strcmp(json_string_value(json_object_get(j, "name")),
	    "zt-test") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "user")),
	    TEST_USER_VL2) == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "group")),
	    TEST_GROUP) == 0);

	rows = json_object_get(j, "syscalls");
	CHECK(json_array_size(rows) == p.nsyscalls);
	for (i = 0; i < p.nsyscalls; i++) {
		r = json_array_get(rows, i);
		CHECK(strcmp(json_string_value(json_object_get(r, "name")),
		    p.syscalls[i].name) == 0);
		CHECK(strcmp(json_string_value(json_object_get(r, "why")),
		    p.syscalls[i].why) == 0);
		CHECK((json_object_get(r, "arg") != NULL) ==
		    (p.syscalls[i].arg != NULL));
	}
	r = find_row(rows, "name", "fcntl");
	vals = json_object_get(json_object_get(r, "arg"), "values");
	CHECK(json_integer_value(json_object_get(json_object_get(r, "arg"),
	    "index")) == 1);
	CHECK(json_array_size(vals) == 4);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(vals,
	    0), "name")), "F_GETFL") == 0);
	r = find_row(rows, "name", "ioctl");
	vals = json_object_get(json_object_get(r, "arg"), "values");
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(vals,
	    0), "value")), "0x541b") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(r,
	    "arg"), "mask")), "0xffffffff") == 0);
	/* the sanitizer allowance never shows in the table */
	CHECK(find_row(rows, "name", "sigaltstack") == NULL);

	rows = json_object_get(j, "landlock");
	CHECK(json_array_size(rows) == 3);
	r = find_row(rows, "path", fx.rw);
	CHECK(r != NULL && strcmp(json_string_value(json_object_get(r,
	    "access")), "rw") == 0);
	r = find_row(rows, "path", fx.ro);
	CHECK(r != NULL && strcmp(json_string_value(json_object_get(r,
	    "access")), "ro") == 0);
	rows = json_object_get(j, "socket_families");
	CHECK(json_array_size(rows) == 2);
	CHECK(find_row(rows, "family", "AF_UNIX") != NULL);
	CHECK(find_row(rows, "family", "AF_INET") != NULL);
	rows = json_object_get(j, "capabilities");
	CHECK(json_array_size(rows) == 1);
	CHECK(find_row(rows, "name", "CAP_NET_BIND_SERVICE") != NULL);
	rows = json_object_get(j, "rlimits");
	CHECK(json_array_size(rows) == p.nrlimits);
	r = find_row(rows, "resource", "RLIMIT_NOFILE");
	CHECK(r != NULL && json_integer_value(json_object_get(r,
	    "value")) == 64);
	r = find_row(rows, "resource", "RLIMIT_FSIZE");
	CHECK(r != NULL && strcmp(json_string_value(json_object_get(r,
	    "value")), "infinity") == 0);
	json_decref(j);

	/* a policy without a user prints null for it */
	p.user = p.group = NULL;
	j = sandbox_policy_json(&p);
	CHECK(j != NULL && json_is_null(json_object_get(j, "user")));
	json_decref(j);
	free(out);
	free(again);
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int fd;
	ssize_t n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) == -1)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void
fixture_setup(void)
{
	snprintf(fx.base, sizeof(fx.base), "/tmp/zt-test-sandbox-XXXXXX");
	REQUIRE(mkdtemp(fx.base) != NULL);
	REQUIRE(chmod(fx.base, 0755) == 0);
	snprintf(fx.ro, sizeof(fx.ro), "%s/ro", fx.base);
	snprintf(fx.rofile, sizeof(fx.rofile), "%s/file", fx.ro);
	snprintf(fx.rw, sizeof(fx.rw), "%s/rw", fx.base);
	snprintf(fx.rwfile, sizeof(fx.rwfile), "%s/state", fx.rw);
	snprintf(fx.outside, sizeof(fx.outside), "%s/outside", fx.base);
	snprintf(fx.rp, sizeof(fx.rp), "%s/rp", fx.base);
	snprintf(fx.rpsecret, sizeof(fx.rpsecret), "%s/secret", fx.rp);
	snprintf(fx.rpfile, sizeof(fx.rpfile), "%s/planet", fx.rp);
	REQUIRE(mkdir(fx.ro, 0755) == 0 && mkdir(fx.rw, 0700) == 0);
	/* all zt-vl2's, as identity.secret is zt-vl1's: DAC allows all */
	REQUIRE(mkdir(fx.rp, 0700) == 0);
	REQUIRE(write_file(fx.rpsecret, "secret", 0600) == 0);
	REQUIRE(write_file(fx.rpfile, "old", 0644) == 0);
	REQUIRE(chown(fx.rp, fx.users.vl2.uid, fx.users.zt) == 0 &&
	    chown(fx.rpsecret, fx.users.vl2.uid, fx.users.zt) == 0 &&
	    chown(fx.rpfile, fx.users.vl2.uid, fx.users.zt) == 0);
	REQUIRE(write_file(fx.rofile, "hello", 0644) == 0);
	REQUIRE(write_file(fx.outside, "outside", 0644) == 0);
	/* DAC lets zt-vl2 write rw/ so any EACCES there is Landlock's */
	REQUIRE(chown(fx.rw, fx.users.vl2.uid, fx.users.zt) == 0);
}

static void
fixture_teardown(void)
{
	unlink(fx.rwfile);
	unlink(fx.rofile);
	unlink(fx.outside);
	unlink(fx.rpsecret);
	unlink(fx.rpfile);
	rmdir(fx.rp);
	rmdir(fx.rw);
	rmdir(fx.ro);
	rmdir(fx.base);
}

int
main(void)
{
	log_init("test-sandbox", LOG_LVL_INFO);
	fx.warm_fd = -1;
	if (geteuid() != 0) {
		fprintf(stderr, "test-sandbox: NOT ROOT: the uid, capability "
		    "and Landlock checks need root (CI runs them as root); "
		    "failing\n");
		CHECKF(false, "run as root");
		return test_main_end();
	}
	REQUIRE(test_users_ensure(&fx.users) == 0);
	fixture_setup();
	fx.kernel_abi = sandbox_landlock_abi();
	test_check();
	test_print_policy();
	test_children();
	test_replace();
	fixture_teardown();
	return test_main_end();
}
