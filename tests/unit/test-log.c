#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "test.h"

/* runs f with stderr sent to a temporary file and returns what it wrote */
static char *
capture(void (*f)(void))
{
	static char out[8192];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	REQUIRE(tmp != NULL && saved >= 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	f();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static void
emit_levels(void)
{
	log_setlevel(LOG_LVL_INFO);
	log_info("info %d", 1);
	log_debug("hidden debug");
	errno = ENOENT;
	log_warn("opening %s", "x");
	log_warnx("plain");
}

static struct log_drops drops = LOG_DROPS_INIT("test packet");

static void
emit_drops(void)
{
	drops.burst = 3;
	drops.interval_ms = 60000;
	for (int i = 0; i < 100; i++)
		log_drop(&drops, "bad length %d", i);
}

int
main(void)
{
	enum log_level l;
	char *s;

	unsetenv("JOURNAL_STREAM");
	log_init("zt-test", LOG_LVL_INFO);
	CHECK(strcmp(log_procname(), "zt-test") == 0);
	s = capture(emit_levels);
	CHECK(strstr(s, "zt-test: info 1\n") != NULL);
	CHECK(strstr(s, "hidden") == NULL);
	CHECK(strstr(s, "zt-test: opening x: ") != NULL);
	CHECK(strstr(s, "zt-test: plain\n") != NULL);

	s = capture(emit_drops);
	CHECK(drops.total == 100);
	CHECK(drops.suppressed == 97);
	CHECK(strstr(s, "bad length 2 (3 total)") != NULL);
	CHECK(strstr(s, "bad length 3") == NULL);

	CHECK(log_level_parse("debug", &l) == 0 && l == LOG_LVL_DEBUG);
	CHECK(log_level_parse("loud", &l) == -1);
	setenv("JOURNAL_STREAM", "1:2", 1);
	s = capture(emit_levels);
	CHECK(strstr(s, "<6>zt-test: info 1") != NULL);
	return test_main_end();
}
