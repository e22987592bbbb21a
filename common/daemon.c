/*
 * Start-up pieces shared by the daemons' main.c (daemon.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "daemon.h"
#include "notify.h"

/* --time-scale beyond this makes timers fire faster than the loop turns */
#define DAEMON_TIME_SCALE_MAX	1000

/* 1 when ch is a shared option (stored in *a), 0 when it is not */
static int
daemon_getopt(struct daemon_args *a, int ch, const char *arg)
{
	switch (ch) {
	case 'R':
		a->rundir = arg;
		return 1;
	case 'l':
		if (log_level_parse(arg, &a->level) == -1)
			fatalx("bad log level '%s'", arg);
		return 1;
	case DAEMON_OPT_PRINT_POLICY:
		a->print_policy = true;
		return 1;
	case DAEMON_OPT_TIME_SCALE:
		a->time_scale = (unsigned int)daemon_opt_long(arg, 1,
		    DAEMON_TIME_SCALE_MAX, "time scale");
		return 1;
	default:
		return 0;
	}
}

int
daemon_parse(struct daemon_args *a, int argc, char **argv,
    const char *shortopts, const struct option *opts, daemon_opt_fn *fn,
    void *arg)
{
	int ch;

	a->rundir = ZT_RUNDIR;
	a->level = LOG_LVL_INFO;
	a->print_policy = false;
	a->time_scale = 0;
	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (daemon_getopt(a, ch, optarg))
			continue;
		/* '?' (unknown, or a missing value) is no daemon's option */
		if (ch == '?' || fn(arg, ch, optarg) == -1)
			return -1;
	}
	if (optind != argc)
		return -1;
	log_setlevel(a->level);
	return 0;
}

long
daemon_opt_long(const char *arg, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	/* strtol takes "" as 0 and clamps overflow: neither is a value */
	if (end == arg || *end != '\0' || errno == ERANGE || v < min ||
	    v > max)
		fatalx("bad %s '%s'", what, arg);
	return v;
}

int64_t
daemon_now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
daemon_now_scaled(int64_t start, unsigned int scale)
{
	int64_t now = daemon_now_real();

	if (scale > 1)
		now = start + (now - start) * (int64_t)scale;
	return now;
}

struct event *
daemon_signal(struct event_base *base, int sig, event_callback_fn cb,
    void *arg)
{
	struct event *ev;

	if ((ev = evsignal_new(base, sig, cb, arg)) == NULL ||
	    evsignal_add(ev, NULL) == -1)
		fatalx("cannot watch signal %d", sig);
	return ev;
}

static void
daemon_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	daemon_stopping(arg, (int)sig);
}

void
daemon_stop_signals(struct event_base *base, event_callback_fn cb,
    void *arg, struct event **term, struct event **intr)
{
	if (cb == NULL) {
		cb = daemon_stop_signal;
		arg = base;
	}
	*term = daemon_signal(base, SIGTERM, cb, arg);
	*intr = daemon_signal(base, SIGINT, cb, arg);
	signal(SIGPIPE, SIG_IGN);
}

void
daemon_stopping(struct event_base *base, int sig)
{
	log_info("stopping on signal %d", sig);
	notify_send("STOPPING=1");
	event_base_loopbreak(base);
}

static void
daemon_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

struct event *
daemon_watchdog_start(struct event_base *base)
{
	uint64_t usec = notify_watchdog_usec() / 2;
	struct event *ev;
	struct timeval tv;

	if (usec == 0)
		return NULL;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	if ((ev = event_new(base, -1, EV_PERSIST, daemon_watchdog,
	    NULL)) == NULL || event_add(ev, &tv) == -1)
		fatalx("watchdog timer");
	return ev;
}

int
daemon_print_policies(const struct sandbox_policy *const *p, size_t n)
{
	json_t *o, *j;
	size_t i;
	int rc = -1;

	if ((o = json_object()) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if ((j = sandbox_policy_json(p[i])) == NULL ||
		    json_object_set_new(o, p[i]->name, j) == -1)
			goto done;
	if (json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 &&
	    fputc('\n', stdout) != EOF && fflush(stdout) == 0)
		rc = 0;
done:
	json_decref(o);
	return rc == 0 ? 0 : 1;
}
