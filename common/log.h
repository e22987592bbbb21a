#pragma once
/*
 * Logging to stderr (journald adds time and unit), prefixed with the
 * process name.  log_warn appends strerror(errno); log_warnx does not.
 * fatal/fatalx are for start-up failures and broken invariants only.
 */
#include <stdarg.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void	 log_init(const char *procname, enum log_level);
void	 log_setlevel(enum log_level);
enum log_level log_getlevel(void);
const char	*log_procname(void);
/* parses "err", "warn", "info", "debug"; -1 if unknown */
int	 log_level_parse(const char *, enum log_level *);

void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_vmsg(enum log_level, int errnum, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
__attribute__((noreturn, format(printf, 1, 2)))
void	 fatal(const char *, ...);
__attribute__((noreturn, format(printf, 1, 2)))
void	 fatalx(const char *, ...);

/*
 * Structured records for the journal (journald's native protocol,
 * systemd.journal-fields(7)): MESSAGE, PRIORITY, MESSAGE_ID (32 hex
 * digits, fixed per kind of event) and fields[] ("NAME=value", NULL
 * ends it) go as one datagram to journald's socket, which
 * log_journal_open() connects before the sandbox, and only when stderr
 * already is the journal ($JOURNAL_STREAM).  Otherwise, or when the
 * datagram is refused, the record is one stderr line: the message, then
 * MESSAGE_ID= and the fields.
 */
int	 log_journal_open(const char *path);	/* NULL: journald's */
void	 log_structured(enum log_level, const char *msgid,
	    const char *const *fields, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Dropped input is counted always and logged at most burst times per
 * interval; the next message after a quiet interval reports how many
 * were suppressed.  One struct per kind of drop.
 */
struct log_drops {
	const char	*what;		/* e.g. "ipc frame" */
	uint64_t	 total;		/* every drop ever */
	uint64_t	 suppressed;	/* not logged in this window */
	int64_t		 window_start;	/* ms, monotonic */
	unsigned int	 in_window;
	unsigned int	 burst;		/* 0 means the default (10) */
	unsigned int	 interval_ms;	/* 0 means the default (10000) */
};

#define LOG_DROPS_INIT(name)	{ .what = (name) }

void	 log_drop(struct log_drops *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* monotonic milliseconds, for rate limits */
int64_t	 log_now_ms(void);
