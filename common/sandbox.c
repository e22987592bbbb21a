/*
 * Interpreter of the per-daemon sandbox tables (sandbox.h).  The tables
 * say what a daemon may do and why; this file only turns them into
 * kernel state, in the order DESIGN.md "Sandboxes" fixes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* REG_RAX, si_syscall */
#endif
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <seccomp.h>
#include <sys/capability.h>

#include "landlock.h"
#include "log.h"
#include "priv.h"
#include "sandbox.h"

/* set once by sandbox_apply, read-only afterwards */
static struct sandbox_status sandbox_st;
/* the pid it ran in: getpid() is not in every table */
static pid_t sandbox_pid;

#if ZT_SANITIZED
/*
 * ===================== SANITIZER BUILDS ONLY =====================
 * Not part of any daemon's policy, never printed by --print-policy,
 * never compiled into a normal build.  ASan/UBSan's runtime makes these
 * calls behind the program's back (shadow memory, allocator, reports on
 * stderr, stack unwinding) and would be killed for them.  The daemon's
 * table is applied unchanged; this is a second list on top of it.
 * LeakSanitizer cannot run inside the filter (it stops the world with
 * ptrace from a new thread): __lsan_is_turned_off() below turns it off
 * once a sandbox is on, as detect_leaks=0 would.
 */
static const struct sandbox_syscall sandbox_sanitizer_syscalls[] = {
	{ "mmap", NULL, "ASan: allocator and shadow memory" },
	{ "munmap", NULL, "ASan: allocator" },
	{ "mprotect", NULL, "ASan: allocator guard pages" },
	{ "mremap", NULL, "ASan: allocator" },
	{ "madvise", NULL, "ASan: releases quarantined memory" },
	{ "sigaltstack", NULL, "ASan: its handlers' stack, also at exit" },
	{ "futex", NULL, "ASan: internal mutexes" },
	{ "sched_yield", NULL, "ASan: spin locks" },
	{ "getpid", NULL, "ASan/UBSan: report headers" },
	{ "gettid", NULL, "ASan/UBSan: report headers" },
	{ "write", NULL, "ASan/UBSan: reports on stderr" },
	{ "writev", NULL, "ASan/UBSan: reports on stderr" },
	{ "ioctl", SANDBOX_ARG_IN(1, SANDBOX_VALUE(TCGETS)),
	    "ASan/UBSan: is stderr a terminal (report colours)" },
	{ "open", NULL, "ASan: /proc/self/maps for report frames" },
	{ "openat", NULL, "ASan: /proc/self/maps for report frames" },
	{ "read", NULL, "ASan: /proc/self/maps for report frames" },
	{ "close", NULL, "ASan: /proc/self/maps for report frames" },
	{ "readlink", NULL, "ASan: /proc/self/exe for report frames" },
	{ "readlinkat", NULL, "ASan: /proc/self/exe for report frames" },
	{ "exit", NULL, "ASan: thread exit" },
	{ "exit_group", NULL, "ASan/UBSan: exit after a report" },
};
/*
 * The report looks for llvm-symbolizer with stat and would then fork
 * it: "not found" makes it print module+offset frames instead of being
 * killed half way through the report.
 */
static const char *const sandbox_sanitizer_enoent[] = { "stat" };
static const struct sandbox_path sandbox_sanitizer_paths[] = {
	{ "/proc/self", SANDBOX_RO, "ASan: maps and exe in reports" },
};
#define SANITIZER_SYSCALLS	sandbox_sanitizer_syscalls
#define SANITIZER_NSYSCALLS	SANDBOX_NITEMS(sandbox_sanitizer_syscalls)
#define SANITIZER_PATHS		sandbox_sanitizer_paths
#define SANITIZER_NPATHS	SANDBOX_NITEMS(sandbox_sanitizer_paths)

int	 __lsan_is_turned_off(void);

/* LSan asks this at exit; a sandboxed process cannot run the scan */
int
__lsan_is_turned_off(void)
{
	return sandbox_st.applied;
}
/* =================== END SANITIZER BUILDS ONLY =================== */
#else
#define SANITIZER_SYSCALLS	NULL
#define SANITIZER_NSYSCALLS	0
#define SANITIZER_PATHS		NULL
#define SANITIZER_NPATHS	0
#endif

#if ZT_SANDBOX_TRAP
/* DEBUG BUILDS ONLY (-Dsandbox_trap=true): what the trap handler needs */
static const struct sandbox_syscall sandbox_trap_syscalls[] = {
	{ "rt_sigreturn", NULL, "trap mode: return from the SIGSYS handler" },
	{ "write", NULL, "trap mode: log the trapped syscall" },
};
#define TRAP_SYSCALLS	sandbox_trap_syscalls
#define TRAP_NSYSCALLS	SANDBOX_NITEMS(sandbox_trap_syscalls)
#define SANDBOX_ACTION	SCMP_ACT_TRAP
#else
#define TRAP_SYSCALLS	NULL
#define TRAP_NSYSCALLS	0
#define SANDBOX_ACTION	SCMP_ACT_KILL_PROCESS
#endif

static bool
sandbox_is_socket(const char *name)
{
	return strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0;
}

static bool
sandbox_why(const char *why)
{
	return why != NULL && why[0] != '\0';
}

static int
sandbox_check_syscalls(const struct sandbox_policy *p)
{
	const struct sandbox_syscall *s;
	size_t i, j;

	for (i = 0; i < p->nsyscalls; i++) {
		s = &p->syscalls[i];
		if (s->name == NULL || !sandbox_why(s->why)) {
			log_warnx("%s: syscall row %zu lacks a name or why",
			    p->name, i);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(p->syscalls[j].name, s->name) == 0) {
				log_warnx("%s: syscall %s listed twice",
				    p->name, s->name);
				return -1;
			}
		if (sandbox_is_socket(s->name) &&
		    (s->arg != NULL || p->nfamilies == 0)) {
			log_warnx("%s: %s is filtered by the families list",
			    p->name, s->name);
			return -1;
		}
		if (s->arg != NULL && (s->arg->index > 5 ||
		    s->arg->nvalues == 0 || s->arg->mask == 0)) {
			log_warnx("%s: bad argument rule for %s", p->name,
			    s->name);
			return -1;
		}
	}
	return 0;
}

int
sandbox_policy_check(const struct sandbox_policy *p)
{
	size_t i;

	if (p->name == NULL || (p->user == NULL) != (p->group == NULL)) {
		log_warnx("policy: a name, and user and group together");
		return -1;
	}
	for (i = 0; i < p->ncaps; i++)
		if (!sandbox_why(p->caps[i].why) ||
		    p->caps[i].cap == CAP_SETUID ||
		    p->caps[i].cap == CAP_SETGID ||
		    p->caps[i].cap == CAP_SETPCAP) {
			log_warnx("%s: capability %s not allowed", p->name,
			    p->caps[i].name);
			return -1;
		}
	for (i = 0; i < p->nrlimits; i++)
		if (!sandbox_why(p->rlimits[i].why)) {
			log_warnx("%s: rlimit %s lacks a why", p->name,
			    p->rlimits[i].name);
			return -1;
		}
	for (i = 0; i < p->npaths; i++)
		if (p->paths[i].path == NULL || p->paths[i].path[0] != '/' ||
		    !sandbox_why(p->paths[i].why)) {
			log_warnx("%s: path row %zu: absolute path and why",
			    p->name, i);
			return -1;
		}
	for (i = 0; i < p->nfamilies; i++)
		if (!sandbox_why(p->families[i].why)) {
			log_warnx("%s: family %s lacks a why", p->name,
			    p->families[i].name);
			return -1;
		}
	return sandbox_check_syscalls(p);
}

static int
sandbox_cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int
sandbox_warmup(void)
{
	int order[300];
	static const char *const mds[] = { "SHA512", "SHA384", "SHA256" };
	static const char *const ciphers[] = {
		"AES-256-ECB", "AES-256-CTR", "AES-256-GCM",
	};
	static const char *const pkeys[] = { "X25519", "ED25519" };
	EVP_PKEY_CTX *pctx;
	EVP_CIPHER *c;
	EVP_MD *md;
	unsigned char b[16];
	size_t i;
	int rc = -1;

	/* jansson seeds its hash on first use, from /dev/urandom */
	json_object_seed(0);
	/*
	 * glibc's qsort asks sysinfo(2) for the memory size the first time
	 * it sorts more than 1 KiB (jansson's JSON_SORT_KEYS of a large
	 * object does); it keeps the answer, so ask now, not under seccomp
	 */
	for (i = 0; i < SANDBOX_NITEMS(order); i++)
		order[i] = (int)(SANDBOX_NITEMS(order) - i);
	qsort(order, SANDBOX_NITEMS(order), sizeof(order[0]), sandbox_cmp_int);
	/* config and providers are read from files: do it while we can */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		goto fail;
	for (i = 0; i < SANDBOX_NITEMS(mds); i++) {
		if ((md = EVP_MD_fetch(NULL, mds[i], NULL)) == NULL)
			goto fail;
		EVP_MD_free(md);
	}
	for (i = 0; i < SANDBOX_NITEMS(ciphers); i++) {
		if ((c = EVP_CIPHER_fetch(NULL, ciphers[i], NULL)) == NULL)
			goto fail;
		EVP_CIPHER_free(c);
	}
	for (i = 0; i < SANDBOX_NITEMS(pkeys); i++) {
		if ((pctx = EVP_PKEY_CTX_new_from_name(NULL, pkeys[i],
		    NULL)) == NULL)
			goto fail;
		EVP_PKEY_CTX_free(pctx);
	}
	/* instantiates the DRBG chain and seeds it */
	if (RAND_bytes(b, sizeof(b)) != 1)
		goto fail;
	rc = 0;
fail:
	OPENSSL_cleanse(b, sizeof(b));
	if (rc == -1)
		log_warnx("warm-up of OpenSSL failed");
	return rc;
}

static int
sandbox_rlimits(const struct sandbox_policy *p)
{
	const struct sandbox_rlimit *r;
	struct rlimit rl;
	size_t i;

	for (i = 0; i < p->nrlimits; i++) {
		r = &p->rlimits[i];
#if ZT_SANITIZED
		/* SANITIZER BUILDS ONLY: ASan maps terabytes of shadow */
		if (r->resource == RLIMIT_AS || r->resource == RLIMIT_DATA) {
			log_info("sanitizer build: %s not applied", r->name);
			continue;
		}
#endif
		rl.rlim_cur = rl.rlim_max = (rlim_t)r->value;
		if (setrlimit(r->resource, &rl) == -1) {
			log_warn("%s", r->name);
			return -1;
		}
	}
	return 0;
}

static int
sandbox_rule(scmp_filter_ctx ctx, int nr, const struct scmp_arg_cmp *cmp)
{
	int rc;

	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr,
	    cmp != NULL ? 1 : 0, cmp);
	/* a row already covered by a wider rule (allowance lists) */
	return rc == 0 || rc == -EEXIST ? 0 : rc;
}

static int
sandbox_add_syscall(scmp_filter_ctx ctx, const struct sandbox_policy *p,
    const struct sandbox_syscall *s)
{
	struct scmp_arg_cmp cmp;
	size_t i;
	int nr, rc = 0;

	if ((nr = seccomp_syscall_resolve_name(s->name)) == __NR_SCMP_ERROR) {
		log_debug("seccomp: no syscall %s on this architecture",
		    s->name);
		return 0;
	}
	memset(&cmp, 0, sizeof(cmp));
	cmp.op = SCMP_CMP_MASKED_EQ;
	if (sandbox_is_socket(s->name) && p != NULL) {
		cmp.arg = 0;
		cmp.datum_a = 0xffffffffu;
		for (i = 0; i < p->nfamilies && rc == 0; i++) {
			cmp.datum_b = (uint32_t)p->families[i].family;
			rc = sandbox_rule(ctx, nr, &cmp);
		}
	} else if (s->arg != NULL) {
		cmp.arg = s->arg->index;
		cmp.datum_a = s->arg->mask;
		for (i = 0; i < s->arg->nvalues && rc == 0; i++) {
			cmp.datum_b = s->arg->values[i].value & s->arg->mask;
			rc = sandbox_rule(ctx, nr, &cmp);
		}
	} else
		rc = sandbox_rule(ctx, nr, NULL);
	if (rc != 0) {
		log_warnx("seccomp: rule for %s: %s", s->name, strerror(-rc));
		return -1;
	}
	return 0;
}

#if ZT_SANDBOX_TRAP
/* async-signal-safe: formats by hand and writes once */
static void
sandbox_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char msg[160], num[12];
	const char *name = log_procname();
	unsigned int v = (unsigned int)si->si_syscall;
	size_t n = 0, k = 0;
	int save = errno;

	(void)sig;
	do {
		num[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && k < sizeof(num));
	while (*name != '\0' && n < 64)
		msg[n++] = *name++;
	memcpy(msg + n, ": sandbox: trapped syscall ", 27);
	n += 27;
	while (k > 0)
		msg[n++] = num[--k];
	msg[n++] = '\n';
	/* nothing to do if stderr is gone: the call is skipped either way */
	if (write(STDERR_FILENO, msg, n) == -1)
		errno = save;
#if defined(__x86_64__)
	/* the skipped call returns ENOSYS instead of its own number */
	((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
	(void)uctx;
#endif
	errno = save;
}

static int
sandbox_trap_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		log_warn("sigaction SIGSYS");
		return -1;
	}
	log_warnx("sandbox: DEBUG trap mode, violations are logged, not "
	    "killed");
	return 0;
}
#endif

static int
sandbox_add_list(scmp_filter_ctx ctx, const struct sandbox_policy *p,
    const struct sandbox_syscall *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sandbox_add_syscall(ctx, p, &list[i]) == -1)
			return -1;
	return 0;
}

#if ZT_SANITIZED
/* SANITIZER BUILDS ONLY: see sandbox_sanitizer_enoent */
static int
sandbox_sanitizer_errno(scmp_filter_ctx ctx, const struct sandbox_policy *p)
{
	size_t i, j;
	int nr, rc;

	for (i = 0; i < SANDBOX_NITEMS(sandbox_sanitizer_enoent); i++) {
		nr = seccomp_syscall_resolve_name(sandbox_sanitizer_enoent[i]);
		for (j = 0; j < p->nsyscalls && nr != __NR_SCMP_ERROR; j++)
			if (strcmp(p->syscalls[j].name,
			    sandbox_sanitizer_enoent[i]) == 0)
				nr = __NR_SCMP_ERROR;	/* table allows it */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), nr,
		    0)) != 0) {
			log_warnx("seccomp: sanitizer rule: %s", strerror(-rc));
			return -1;
		}
	}
	return 0;
}
#endif

/*
 * Only the native architecture is in the filter: a 32-bit (int 0x80)
 * or x32 call arrives with another arch or a syscall number the
 * allow-list never matches, and meets the default action.
 */
static int
sandbox_seccomp(const struct sandbox_policy *p)
{
	scmp_filter_ctx ctx;
	int rc = -1;

	if ((ctx = seccomp_init(SANDBOX_ACTION)) == NULL) {
		log_warnx("seccomp_init failed");
		return -1;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SANDBOX_ACTION) != 0) {
		log_warnx("seccomp: bad-arch action");
		goto fail;
	}
	if (sandbox_add_list(ctx, p, p->syscalls, p->nsyscalls) == -1 ||
	    sandbox_add_list(ctx, NULL, SANITIZER_SYSCALLS,
	    SANITIZER_NSYSCALLS) == -1 ||
	    sandbox_add_list(ctx, NULL, TRAP_SYSCALLS, TRAP_NSYSCALLS) == -1)
		goto fail;
#if ZT_SANITIZED
	if (sandbox_sanitizer_errno(ctx, p) == -1)
		goto fail;
#endif
#if ZT_SANDBOX_TRAP
	if (sandbox_trap_handler() == -1)
		goto fail;
#endif
	if ((rc = seccomp_load(ctx)) != 0) {
		log_warnx("seccomp_load: %s", strerror(-rc));
		rc = -1;
		goto fail;
	}
	rc = 0;
fail:
	seccomp_release(ctx);
	return rc;
}

static int
sandbox_drop(const struct sandbox_policy *p)
{
	int caps[64];
	size_t i;
	uid_t uid;
	gid_t gid;

	if (p->ncaps > SANDBOX_NITEMS(caps))
		return -1;
	for (i = 0; i < p->ncaps; i++)
		caps[i] = p->caps[i].cap;
	if (p->user != NULL) {
		if (priv_lookup(p->user, p->group, &uid, &gid) == -1)
			return -1;
	} else {
		/* zt-ctl: stays the caller, but all three ids collapse */
		uid = getuid();
		gid = getgid();
	}
	return priv_drop(uid, gid, caps, p->ncaps);
}

int
sandbox_apply(const struct sandbox_policy *p, sandbox_warmup_fn *warmup,
    void *arg)
{
	struct sandbox_status st;

	memset(&st, 0, sizeof(st));
	if (sandbox_policy_check(p) == -1)
		return -1;
	sandbox_pid = getpid();
	if (sandbox_warmup() == -1)
		return -1;
	if (warmup != NULL && warmup(arg) == -1) {
		log_warnx("%s: warm-up failed", p->name);
		return -1;
	}
	if (sandbox_drop(p) == -1 || sandbox_rlimits(p) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	st.no_new_privs = true;
	if (landlock_restrict(p->paths, p->npaths, SANITIZER_PATHS,
	    SANITIZER_NPATHS, &st.landlock_abi) == -1)
		return -1;
	if (sandbox_seccomp(p) == -1)
		return -1;
	st.seccomp = true;
	st.trap = ZT_SANDBOX_TRAP;
	st.sanitizer = ZT_SANITIZED;
	st.applied = true;
	sandbox_st = st;
	log_debug("%s: sandbox on (landlock ABI %d, seccomp %s)", p->name,
	    st.landlock_abi, st.trap ? "trap" : "kill");
	return 0;
}

void
sandbox_status(struct sandbox_status *st)
{
	*st = sandbox_st;
}

json_t *
sandbox_status_json(void)
{
	return json_pack("{s:b, s:i, s:b, s:s, s:b, s:b}",
	    "applied", sandbox_st.applied,
	    "landlock_abi", sandbox_st.landlock_abi,
	    "seccomp", sandbox_st.seccomp,
	    "seccomp_action", !sandbox_st.seccomp ? "none" :
	    sandbox_st.trap ? "trap" : "kill-process",
	    "no_new_privs", sandbox_st.no_new_privs,
	    "sanitizer_allowance", sandbox_st.sanitizer);
}

json_t *
sandbox_report_json(const struct sandbox_policy *p, long pid)
{
	bool self = pid == 0;

	return json_pack("{s:s, s:I, s:o, s:o}", "name", p->name,
	    "pid", (json_int_t)(self ? (long)sandbox_pid : pid),
	    "policy", sandbox_policy_json(p),
	    "status", self ? sandbox_status_json() : json_null());
}

/* values are printed as hex text: ioctl numbers read best that way */
static json_t *
sandbox_hex_json(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%llx", (unsigned long long)v);
	return json_string(s);
}

static json_t *
sandbox_arg_json(const struct sandbox_arg *a)
{
	json_t *vals;
	size_t i;

	if ((vals = json_array()) == NULL)
		return NULL;
	for (i = 0; i < a->nvalues; i++)
		if (json_array_append_new(vals, json_pack("{s:s, s:o}",
		    "name", a->values[i].name,
		    "value", sandbox_hex_json(a->values[i].value))) == -1)
			goto fail;
	return json_pack("{s:i, s:o, s:o}", "index", (int)a->index,
	    "mask", sandbox_hex_json(a->mask), "values", vals);
fail:
	json_decref(vals);
	return NULL;
}

static const char *
sandbox_access_name(enum sandbox_access a)
{
	switch (a) {
	case SANDBOX_RO:
		return "ro";
	case SANDBOX_RW:
		return "rw";
	case SANDBOX_DEV:
		return "dev";
	case SANDBOX_REPLACE:
		return "replace";
	}
	return "?";
}

/* one row of each table kind; NULL only on allocation failure */
static json_t *
sandbox_cap_json(const struct sandbox_policy *p, size_t i)
{
	return json_pack("{s:s, s:s}", "name", p->caps[i].name,
	    "why", p->caps[i].why);
}

static json_t *
sandbox_rlimit_json(const struct sandbox_policy *p, size_t i)
{
	const struct sandbox_rlimit *r = &p->rlimits[i];

	return json_pack("{s:s, s:o, s:s}", "resource", r->name,
	    "value", r->value == RLIM_INFINITY ? json_string("infinity") :
	    json_integer((json_int_t)r->value), "why", r->why);
}

static json_t *
sandbox_path_json(const struct sandbox_policy *p, size_t i)
{
	return json_pack("{s:s, s:s, s:s}", "path", p->paths[i].path,
	    "access", sandbox_access_name(p->paths[i].access),
	    "why", p->paths[i].why);
}

static json_t *
sandbox_family_json(const struct sandbox_policy *p, size_t i)
{
	return json_pack("{s:s, s:s}", "family", p->families[i].name,
	    "why", p->families[i].why);
}

static json_t *
sandbox_syscall_json(const struct sandbox_policy *p, size_t i)
{
	const struct sandbox_syscall *s = &p->syscalls[i];

	if (s->arg == NULL)
		return json_pack("{s:s, s:s}", "name", s->name, "why", s->why);
	return json_pack("{s:s, s:s, s:o}", "name", s->name, "why", s->why,
	    "arg", sandbox_arg_json(s->arg));
}

/* rows in table order: the order the daemon's author chose */
static json_t *
sandbox_rows_json(const struct sandbox_policy *p, size_t n,
    json_t *(*row)(const struct sandbox_policy *, size_t))
{
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, row(p, i)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *
sandbox_policy_json(const struct sandbox_policy *p)
{
	return json_pack("{s:s, s:s?, s:s?, s:o, s:o, s:o, s:o, s:o}",
	    "name", p->name, "user", p->user, "group", p->group,
	    "capabilities", sandbox_rows_json(p, p->ncaps, sandbox_cap_json),
	    "rlimits", sandbox_rows_json(p, p->nrlimits, sandbox_rlimit_json),
	    "landlock", sandbox_rows_json(p, p->npaths, sandbox_path_json),
	    "socket_families", sandbox_rows_json(p, p->nfamilies,
	    sandbox_family_json),
	    "syscalls", sandbox_rows_json(p, p->nsyscalls,
	    sandbox_syscall_json));
}

int
sandbox_print_policy(const struct sandbox_policy *p, FILE *f)
{
	json_t *j;
	int rc = -1;

	if ((j = sandbox_policy_json(p)) == NULL)
		return -1;
	if (json_dumpf(j, f, JSON_SORT_KEYS | JSON_INDENT(2)) == 0 &&
	    fputc('\n', f) != EOF && fflush(f) == 0)
		rc = 0;
	json_decref(j);
	return rc;
}
