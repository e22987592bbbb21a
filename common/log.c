#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* set once at start-up, before any sandbox */
static const char *log_name = "zt";
static enum log_level log_lvl = LOG_LVL_INFO;

static const char *const log_lvl_names[] = {
	[LOG_LVL_ERR] = "err",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/* journald's "<N>" priority prefixes (sd-daemon(3)) */
static const char *const log_lvl_prio[] = {
	[LOG_LVL_ERR] = "<3>",
	[LOG_LVL_WARN] = "<4>",
	[LOG_LVL_INFO] = "<6>",
	[LOG_LVL_DEBUG] = "<7>",
};

void
log_init(const char *procname, enum log_level lvl)
{
	if (procname != NULL)
		log_name = procname;
	log_lvl = lvl;
}

void
log_setlevel(enum log_level lvl)
{
	log_lvl = lvl;
}

enum log_level
log_getlevel(void)
{
	return log_lvl;
}

const char *
log_procname(void)
{
	return log_name;
}

int
log_level_parse(const char *s, enum log_level *lvl)
{
	size_t i;

	for (i = 0; i < sizeof(log_lvl_names) / sizeof(log_lvl_names[0]); i++)
		if (strcmp(s, log_lvl_names[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	return -1;
}

void
log_vmsg(enum log_level lvl, int errnum, const char *fmt, va_list ap)
{
	char msg[1024];
	const char *prio = "";

	if (lvl > log_lvl)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* the prefix only helps when stderr is the journal */
	if (getenv("JOURNAL_STREAM") != NULL)
		prio = log_lvl_prio[lvl];
	if (errnum != 0)
		fprintf(stderr, "%s%s: %s: %s\n", prio, log_name, msg,
		    strerror(errnum));
	else
		fprintf(stderr, "%s%s: %s\n", prio, log_name, msg);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

int64_t
log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
log_drop(struct log_drops *d, const char *fmt, ...)
{
	unsigned int burst = d->burst ? d->burst : 10;
	unsigned int interval = d->interval_ms ? d->interval_ms : 10000;
	int64_t now = log_now_ms();
	char msg[512];
	va_list ap;

	d->total++;
	if (d->window_start == 0 || now - d->window_start >= interval) {
		if (d->suppressed > 0)
			log_warnx("%s: %llu more drops not logged", d->what,
			    (unsigned long long)d->suppressed);
		d->window_start = now;
		d->in_window = 0;
		d->suppressed = 0;
	}
	if (d->in_window >= burst) {
		d->suppressed++;
		return;
	}
	d->in_window++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("dropped %s: %s (%llu total)", d->what, msg,
	    (unsigned long long)d->total);
}
