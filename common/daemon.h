#pragma once
/*
 * Start-up pieces the daemons' main.c share (STYLE.md "Processes and
 * start-up"): the options every daemon takes, integer option values,
 * the wall clock and its test-only time scale, the stop signals, the
 * service manager's watchdog and --print-policy.  What differs per
 * daemon (its own options, what it opens, the order of its start-up)
 * stays in its main.c.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "log.h"
#include "sandbox.h"

/*
 * Options every daemon takes.  The long-only ones get codes above any
 * character, so they never clash with a daemon's own short options.
 * A daemon lists DAEMON_LONGOPTS in its struct option table (and "R:l:"
 * in its short options) and parses with daemon_parse().
 */
#define DAEMON_OPT_PRINT_POLICY	0x100
#define DAEMON_OPT_TIME_SCALE	0x101
#define DAEMON_LONGOPTS							\
	{ "rundir", required_argument, NULL, 'R' },			\
	{ "log-level", required_argument, NULL, 'l' },			\
	{ "print-policy", no_argument, NULL, DAEMON_OPT_PRINT_POLICY }
/* for the daemons whose timers tests speed up (netns tests) */
#define DAEMON_LONGOPT_TIME_SCALE					\
	{ "time-scale", required_argument, NULL, DAEMON_OPT_TIME_SCALE }

struct daemon_args {
	const char	*rundir;	/* -R, --rundir */
	enum log_level	 level;		/* -l, --log-level */
	bool		 print_policy;	/* --print-policy */
	unsigned int	 time_scale;	/* --time-scale; 0 when not given */
};

/* a daemon's own option: 0, or -1 when ch is none of its options */
typedef int	 daemon_opt_fn(void *, int ch, const char *arg);
/*
 * getopt_long over argv: the shared options go into *a (defaults
 * ZT_RUNDIR, level info), the others to fn.  A bad value of a shared
 * option stops start-up with a message naming it.  -1 on an unknown
 * option or a leftover operand (the caller prints its usage); else the
 * log level is applied and 0 returned.
 */
int	 daemon_parse(struct daemon_args *a, int argc, char **argv,
	    const char *shortopts, const struct option *, daemon_opt_fn *,
	    void *);

/*
 * A decimal option value in [min, max]; anything else (empty, trailing
 * characters, out of range) stops start-up with "bad <what> '<arg>'".
 */
long	 daemon_opt_long(const char *arg, long min, long max,
	    const char *what);

/* milliseconds since the epoch */
int64_t	 daemon_now_real(void);
/*
 * The daemon's clock under --time-scale: real time since start runs
 * scale times faster (tests only); scale 0 or 1 is the wall clock.
 */
int64_t	 daemon_now_scaled(int64_t start, unsigned int scale);

/*
 * SIGTERM and SIGINT call cb (which ends in daemon_stopping()), or, cb
 * NULL, daemon_stopping() right away; SIGPIPE is ignored, so a peer that
 * went away is a write error, not an exit.  Start-up stops if the
 * events cannot be made.
 */
void	 daemon_stop_signals(struct event_base *, event_callback_fn, void *,
	    struct event **term, struct event **intr);
/* one more signal event, added; start-up stops on failure */
struct event	*daemon_signal(struct event_base *, int,
		    event_callback_fn, void *);
/* logs the signal, tells the service manager and leaves the loop */
void	 daemon_stopping(struct event_base *, int sig);

/*
 * The service manager's watchdog: WATCHDOG=1 at half the interval it
 * asked for, sent from the event loop so that a stuck loop gets the
 * daemon restarted.  NULL when no watchdog was asked for; start-up
 * stops if the timer cannot be made.
 */
struct event	*daemon_watchdog_start(struct event_base *);

/*
 * --print-policy of a daemon with one or more processes: a JSON object
 * of each table by its name, keys sorted, on stdout.  The exit status.
 */
int	 daemon_print_policies(const struct sandbox_policy *const *, size_t);
