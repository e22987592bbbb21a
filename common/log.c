#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
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

/* journald's native socket, connected before the sandbox; -1: none */
static int log_journal_fd = -1;
#define LOG_JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define LOG_JOURNAL_MAX		(128 * 1024)

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

int
log_journal_open(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (path == NULL)
		path = LOG_JOURNAL_SOCKET;
	if (log_journal_fd != -1 || getenv("JOURNAL_STREAM") == NULL)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	log_journal_fd = fd;
	return 0;
}

/* NAME=value, or the binary form when the value holds a newline */
static void
log_journal_field(struct wbuf *w, const char *name, size_t nlen,
    const char *value)
{
	size_t vlen = strlen(value);
	uint8_t le[8];
	int i;

	wbuf_put_bytes(w, name, nlen);
	if (memchr(value, '\n', vlen) == NULL) {
		wbuf_put_u8(w, '=');
		wbuf_put_bytes(w, value, vlen);
	} else {
		wbuf_put_u8(w, '\n');
		for (i = 0; i < 8; i++)
			le[i] = (uint8_t)((uint64_t)vlen >> (8 * i));
		wbuf_put_bytes(w, le, sizeof(le));
		wbuf_put_bytes(w, value, vlen);
	}
	wbuf_put_u8(w, '\n');
}

static int
log_journal_send(enum log_level lvl, const char *msgid,
    const char *const *fields, const char *msg)
{
	static const char prio[] = "3467";
	char text[1100], p[2] = { prio[lvl], '\0' };
	const char *eq;
	struct wbuf w;
	size_t i;
	int rc = -1;

	if (log_journal_fd == -1)
		return -1;
	wbuf_init_dynamic(&w, LOG_JOURNAL_MAX);
	snprintf(text, sizeof(text), "%s: %s", log_name, msg);
	log_journal_field(&w, "MESSAGE", 7, text);
	log_journal_field(&w, "PRIORITY", 8, p);
	log_journal_field(&w, "MESSAGE_ID", 10, msgid);
	log_journal_field(&w, "SYSLOG_IDENTIFIER", 17, log_name);
	for (i = 0; fields != NULL && fields[i] != NULL; i++)
		if ((eq = strchr(fields[i], '=')) != NULL)
			log_journal_field(&w, fields[i],
			    (size_t)(eq - fields[i]), eq + 1);
	if (!wbuf_failed(&w) && send(log_journal_fd, wbuf_data(&w),
	    wbuf_len(&w), MSG_NOSIGNAL) == (ssize_t)wbuf_len(&w))
		rc = 0;
	wbuf_free(&w);
	return rc;
}

void
log_structured(enum log_level lvl, const char *msgid,
    const char *const *fields, const char *fmt, ...)
{
	char msg[1024];
	size_t i;
	va_list ap;

	if (lvl > log_lvl)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_journal_send(lvl, msgid, fields, msg) == 0)
		return;
	/* a record too big for a datagram still reaches stderr whole */
	fprintf(stderr, "%s%s: %s MESSAGE_ID=%s",
	    getenv("JOURNAL_STREAM") != NULL ? log_lvl_prio[lvl] : "",
	    log_name, msg, msgid);
	for (i = 0; fields != NULL && fields[i] != NULL; i++)
		fprintf(stderr, " %s", fields[i]);
	fputc('\n', stderr);
}
