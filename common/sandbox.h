#pragma once
/*
 * Per-daemon sandbox.  Each daemon declares one const struct
 * sandbox_policy in its own sandbox.c; this module only interprets it
 * (DESIGN.md "Sandboxes", STYLE.md "Sandbox").  Every row carries a
 * "why" so the table reads as its own justification and --print-policy
 * shows it.
 *
 * sandbox_apply() runs the start-up sequence: library warm-up, the
 * daemon's own warm-up hook, user drop, capabilities, rlimits,
 * PR_SET_NO_NEW_PRIVS, Landlock, seccomp.  The seccomp default is
 * kill-process; a build with -Dsandbox_trap=true (ZT_SANDBOX_TRAP) traps
 * and logs instead, for debugging only.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define SANDBOX_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* a capability kept in the effective and permitted sets */
struct sandbox_cap {
	int		 cap;		/* CAP_* */
	const char	*name;
	const char	*why;
};
#define SANDBOX_CAP(c, w)	{ (c), #c, (w) }

/* soft = hard = value; RLIM_INFINITY prints as "infinity" */
struct sandbox_rlimit {
	int		 resource;	/* RLIMIT_* */
	const char	*name;
	uint64_t	 value;
	const char	*why;
};
#define SANDBOX_RLIMIT(r, v, w)	{ (r), #r, (v), (w) }

enum sandbox_access {
	SANDBOX_RO,	/* read files, list directories */
	SANDBOX_RW,	/* RO + write, create, remove, rename, truncate */
	SANDBOX_DEV,	/* read, write and ioctl an existing device node */
	/*
	 * A directory whose files are replaced, never read: create, write
	 * (a new file), rename over and remove files, list the directory.
	 * For a directory that also holds a secret: nothing in it can be
	 * opened for reading unless another rule grants it.
	 */
	SANDBOX_REPLACE,
};

/* a Landlock rule; a path missing at start-up grants nothing */
struct sandbox_path {
	const char		*path;	/* absolute */
	enum sandbox_access	 access;
	const char		*why;
};

/* a family socket() and socketpair() may create */
struct sandbox_family {
	int		 family;	/* AF_* */
	const char	*name;
	const char	*why;
};
#define SANDBOX_FAMILY(f, w)	{ (f), #f, (w) }

struct sandbox_value {
	uint64_t	 value;
	const char	*name;
};
#define SANDBOX_VALUE(v)	{ (uint64_t)(v), #v }

/*
 * Argument rule: the syscall is allowed only if (arg[index] & mask)
 * equals one of the values.  The default mask compares the low 32 bits,
 * because int arguments (families, fcntl commands, ioctl requests) may
 * reach the kernel with garbage or sign extension in the upper half.
 * The macros build compound literals: use them in file-scope tables,
 * where those are static.
 */
struct sandbox_arg {
	unsigned int			 index;		/* 0..5 */
	uint64_t			 mask;
	const struct sandbox_value	*values;
	size_t				 nvalues;
};
#define SANDBOX_ARG_MASKED(i, m, ...) (&(const struct sandbox_arg){	\
	.index = (i), .mask = (m),					\
	.values = (const struct sandbox_value[]){ __VA_ARGS__ },	\
	.nvalues = sizeof((const struct sandbox_value[]){ __VA_ARGS__ }) / \
	    sizeof(struct sandbox_value) })
#define SANDBOX_ARG_IN(i, ...)	SANDBOX_ARG_MASKED(i, 0xffffffffu, __VA_ARGS__)

/*
 * An allowed syscall, by name (resolved for the native architecture;
 * a name this architecture lacks is skipped).  "socket" and
 * "socketpair" take no arg rule: they are filtered by the policy's
 * families.
 */
struct sandbox_syscall {
	const char			*name;
	const struct sandbox_arg	*arg;	/* NULL: any arguments */
	const char			*why;
};

/*
 * Rows every daemon's table shares, word for word, so that the tables
 * differ only where the daemons do.  Each macro expands to one or more
 * initialisers of struct sandbox_syscall, in the order the tables list
 * them (--print-policy keeps table order).
 */
#define SANDBOX_ROWS_EVENT_LOOP						\
	{ "epoll_wait", NULL, "the event loop" },			\
	{ "epoll_pwait", NULL, "the event loop" },			\
	{ "epoll_ctl", NULL, "the event loop" }
#define SANDBOX_ROWS_TIMERS						\
	{ "clock_gettime", NULL, "timers (when the vDSO is not used)" }, \
	{ "gettimeofday", NULL, "timers (when the vDSO is not used)" }

/*
 * W^X: memory is mapped or re-protected readable and writable, never
 * executable (no JIT anywhere in the suite).
 */
#define SANDBOX_PROT_NOEXEC						\
	SANDBOX_VALUE(PROT_NONE), SANDBOX_VALUE(PROT_READ),		\
	SANDBOX_VALUE(PROT_READ | PROT_WRITE)
#define SANDBOX_ROW_BRK		{ "brk", NULL, "malloc" }
#define SANDBOX_ROW_MMAP_NOEXEC(why)					\
	{ "mmap", SANDBOX_ARG_IN(2, SANDBOX_PROT_NOEXEC), (why) }
#define SANDBOX_ROW_MADVISE	{ "madvise", NULL, "free returning memory" }
#define SANDBOX_ROW_MPROTECT_NOEXEC					\
	{ "mprotect", SANDBOX_ARG_IN(2, SANDBOX_PROT_NOEXEC),		\
	    "malloc arenas; never executable" }
/* malloc's rows: the reasons for mmap and munmap name the big users */
#define SANDBOX_ROWS_MALLOC(mmap_why, munmap_why)			\
	SANDBOX_ROW_BRK,						\
	SANDBOX_ROW_MMAP_NOEXEC(mmap_why),				\
	{ "munmap", NULL, (munmap_why) },				\
	{ "mremap", NULL, "realloc of large blocks" },			\
	SANDBOX_ROW_MADVISE,						\
	SANDBOX_ROW_MPROTECT_NOEXEC

#define SANDBOX_ROWS_SIGNALS						\
	{ "rt_sigreturn", NULL, "returning from signal handlers" },	\
	{ "rt_sigprocmask", NULL, "libevent's signal handling" }
#define SANDBOX_ROWS_EXIT						\
	{ "exit_group", NULL, "exit" },					\
	{ "exit", NULL, "exit" }

/* fcntl's commands every daemon needs: O_NONBLOCK and FD_CLOEXEC */
#define SANDBOX_FCNTL_FLAGS						\
	SANDBOX_VALUE(F_GETFL), SANDBOX_VALUE(F_SETFL),			\
	SANDBOX_VALUE(F_GETFD), SANDBOX_VALUE(F_SETFD)
/* checking an accepted or passed socket, and its peer's uid */
#define SANDBOX_ROW_GETSOCKOPT_PEER(why)				\
	{ "getsockopt", SANDBOX_ARG_IN(2, SANDBOX_VALUE(SO_PEERCRED),	\
	    SANDBOX_VALUE(SO_DOMAIN), SANDBOX_VALUE(SO_TYPE),		\
	    SANDBOX_VALUE(SO_ERROR)), (why) }

struct sandbox_policy {
	const char			*name;	/* e.g. "zt-vl1d" */
	const char			*user;	/* NULL: the caller's ids */
	const char			*group;	/* NULL only with user NULL */
	const struct sandbox_cap	*caps;
	size_t				 ncaps;
	const struct sandbox_rlimit	*rlimits;
	size_t				 nrlimits;
	const struct sandbox_path	*paths;
	size_t				 npaths;
	const struct sandbox_family	*families;
	size_t				 nfamilies;
	const struct sandbox_syscall	*syscalls;
	size_t				 nsyscalls;
};

/* the daemon's warm-up: open databases, fetch what it needs; 0 or -1 */
typedef int	 sandbox_warmup_fn(void *);

/*
 * Checks a table for errors the interpreter would otherwise meet half
 * way through: a row without a why, a relative path, an argument index
 * out of range, socket without families, a capability that undoes the
 * user drop.  0 or -1 (logged).
 */
int	 sandbox_policy_check(const struct sandbox_policy *);

/*
 * Loads what libraries would otherwise load lazily after the filter is
 * on: OpenSSL's configuration, providers and the algorithms the suite
 * uses, its random generator, jansson's hash seed.
 */
int	 sandbox_warmup(void);

/*
 * The whole sequence.  warmup (may be NULL) runs after sandbox_warmup()
 * and before the user drop.  Returns 0, or -1 (logged) when a step
 * failed: the process is then partly sandboxed and must exit.
 */
int	 sandbox_apply(const struct sandbox_policy *, sandbox_warmup_fn *,
	    void *);

/* the table as JSON, keys sorted, rows in table order */
json_t	*sandbox_policy_json(const struct sandbox_policy *);
/* --print-policy: the JSON above, indented, then a newline; 0 or -1 */
int	 sandbox_print_policy(const struct sandbox_policy *, FILE *);

/* what sandbox_apply() achieved, for `zt-ctl sandbox` */
struct sandbox_status {
	bool	 applied;	/* sandbox_apply() completed */
	int	 landlock_abi;	/* ABI used; 0 if the kernel lacks Landlock */
	bool	 seccomp;	/* filter loaded */
	bool	 trap;		/* violations trap instead of kill */
	bool	 no_new_privs;
	bool	 sanitizer;	/* sanitizer allowance added (test builds) */
};
void	 sandbox_status(struct sandbox_status *);
json_t	*sandbox_status_json(void);
/*
 * One process's entry in a daemon's reply to zt-ctl's "sandbox"
 * request: {name, pid, policy, status}.  pid 0 means this process (the
 * pid sandbox_apply ran in, and its status); another pid (zt-vl1d's key
 * holder) gets the declared policy only, status null: only the process
 * itself knows what its sandbox_apply achieved.
 */
json_t	*sandbox_report_json(const struct sandbox_policy *, long pid);

/*
 * Tests only: pretend the kernel offers at most this Landlock ABI
 * (0: no Landlock).  A negative value removes the override.
 */
void	 sandbox_landlock_abi_override(int);
/* the Landlock ABI the kernel offers, after the override; 0 if none */
int	 sandbox_landlock_abi(void);
