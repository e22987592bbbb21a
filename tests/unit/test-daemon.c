/*
 * common/daemon.c: the shared option parsing (shared options, a
 * daemon's own through its callback, refusals), option values, the
 * scaled clock and the signal and watchdog set-up.
 */
#include <sys/wait.h>

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "log.h"
#include "test.h"

struct own {
	const char	*home;
	unsigned int	 n;
};

static int
own_opt(void *arg, int ch, const char *v)
{
	struct own *o = arg;

	switch (ch) {
	case 'H':
		o->home = v;
		o->n++;
		return 0;
	default:
		return -1;
	}
}

static const struct option test_opts[] = {
	{ "home", required_argument, NULL, 'H' },
	{ "refused", no_argument, NULL, 'x' },
	DAEMON_LONGOPTS,
	DAEMON_LONGOPT_TIME_SCALE,
	{ NULL, 0, NULL, 0 },
};

/* daemon_parse over a NULL-terminated argument list */
static int
parse(struct daemon_args *a, struct own *o, char **argv)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	memset(o, 0, sizeof(*o));
	optind = 0;	/* glibc: start over */
	opterr = 0;
	return daemon_parse(a, argc, argv, "H:R:l:", test_opts, own_opt, o);
}

static void
test_parse(void)
{
	struct daemon_args a;
	struct own o;
	char *none[] = { "d", NULL };
	char *all[] = { "d", "-R", "/run/x", "-l", "debug", "--print-policy",
	    "--time-scale", "50", "-H", "/home/x", NULL };
	char *longs[] = { "d", "--rundir=/r", "--log-level", "warn",
	    "--home=/h", NULL };
	char *unknown[] = { "d", "-z", NULL };
	char *refused[] = { "d", "--refused", NULL };
	char *operand[] = { "d", "-H", "/h", "extra", NULL };
	char *missing[] = { "d", "-H", NULL };

	CHECK(parse(&a, &o, none) == 0);
	CHECK(strcmp(a.rundir, ZT_RUNDIR) == 0);
	CHECK(a.level == LOG_LVL_INFO);
	CHECK(!a.print_policy);
	CHECK(a.time_scale == 0);
	CHECK(o.n == 0);

	CHECK(parse(&a, &o, all) == 0);
	CHECK(strcmp(a.rundir, "/run/x") == 0);
	CHECK(a.level == LOG_LVL_DEBUG);
	CHECK(log_getlevel() == LOG_LVL_DEBUG);
	CHECK(a.print_policy);
	CHECK(a.time_scale == 50);
	CHECK(o.n == 1 && strcmp(o.home, "/home/x") == 0);

	CHECK(parse(&a, &o, longs) == 0);
	CHECK(strcmp(a.rundir, "/r") == 0);
	CHECK(a.level == LOG_LVL_WARN);
	CHECK(o.n == 1 && strcmp(o.home, "/h") == 0);

	/* unknown, the daemon's refusal, an operand, a missing value */
	CHECK(parse(&a, &o, unknown) == -1);
	CHECK(parse(&a, &o, refused) == -1);
	CHECK(parse(&a, &o, operand) == -1);
	CHECK(parse(&a, &o, missing) == -1);
	CHECK(o.n == 0);
	log_setlevel(LOG_LVL_INFO);
}

/* 1 if fn(arg) stops the process with a failure status */
static int
stops(void (*fn)(const char *), const char *arg)
{
	int status;
	pid_t pid;

	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		/* the child's message is expected: keep the output clean */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(0);
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) != 0;
}

static void
port(const char *arg)
{
	(void)daemon_opt_long(arg, 1, 65535, "port");
}

static void
time_scale(const char *arg)
{
	struct daemon_args a;
	struct own o;
	char *argv[] = { "d", "--time-scale", (char *)arg, NULL };

	(void)parse(&a, &o, argv);
}

static void
level(const char *arg)
{
	struct daemon_args a;
	struct own o;
	char *argv[] = { "d", "-l", (char *)arg, NULL };

	(void)parse(&a, &o, argv);
}

static void
test_values(void)
{
	CHECK(daemon_opt_long("1", 1, 65535, "port") == 1);
	CHECK(daemon_opt_long("65535", 1, 65535, "port") == 65535);
	CHECK(daemon_opt_long("-5", -10, 10, "n") == -5);
	CHECK(daemon_opt_long("0", 0, 0, "n") == 0);

	CHECK(stops(port, ""));
	CHECK(stops(port, "0"));
	CHECK(stops(port, "65536"));
	CHECK(stops(port, "12x"));
	CHECK(stops(port, " "));
	CHECK(stops(port, "99999999999999999999999"));
	CHECK(!stops(port, "9993"));
	CHECK(stops(time_scale, "0"));
	CHECK(stops(time_scale, "1001"));
	CHECK(!stops(time_scale, "1000"));
	CHECK(stops(level, "loud"));
	CHECK(!stops(level, "err"));
}

static void
test_clock(void)
{
	int64_t real = daemon_now_real(), start = real - 1000, t;

	/* 2020-01-01 < now < 2100-01-01 */
	CHECK(real > 1577836800000LL && real < 4102444800000LL);
	t = daemon_now_scaled(start, 0);
	CHECK(t >= real && t < real + 1000);
	t = daemon_now_scaled(start, 1);
	CHECK(t >= real && t < real + 1000);
	/* one real second since start is ten scaled ones */
	t = daemon_now_scaled(start, 10);
	CHECK(t >= start + 10000 && t < start + 20000);
}

static void
test_events(void)
{
	struct event_base *base;
	struct event *term = NULL, *intr = NULL, *wd;

	REQUIRE((base = event_base_new()) != NULL);
	daemon_stop_signals(base, NULL, NULL, &term, &intr);
	CHECK(term != NULL && intr != NULL);
	CHECK(event_pending(term, EV_SIGNAL, NULL));
	CHECK(event_pending(intr, EV_SIGNAL, NULL));
	/* SIGPIPE ignored: a write to a closed peer is an error */
	CHECK(signal(SIGPIPE, SIG_IGN) == SIG_IGN);
	/* SIGTERM leaves the loop (which would otherwise wait forever) */
	CHECK(raise(SIGTERM) == 0);
	CHECK(event_base_dispatch(base) == 0);
	CHECK(event_base_got_break(base));

	/* without a service manager's watchdog: no timer */
	unsetenv("WATCHDOG_USEC");
	wd = daemon_watchdog_start(base);
	CHECK(wd == NULL);
	event_free(term);
	event_free(intr);
	event_base_free(base);
}

int
main(void)
{
	log_init("test-daemon", LOG_LVL_INFO);
	test_parse();
	test_values();
	test_clock();
	test_events();
	return test_main_end();
}
