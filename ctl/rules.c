/*
 * zt-ctl rules: the rule text language (spec/vl2.md §7.9).
 *
 *   compile <file>	text rules -> the controller's JSON rules,
 *			capabilities and tags, as rule-compiler.js makes them
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "file.h"
#include "rulec.h"

static int	ctl_rules_compile(const struct ctl_opts *, int, char **);

const struct ctl_cmd ctl_rules_cmds[] = {
	{ "compile", "<file>",
	    "turn a rule text file into controller JSON (rules, caps, tags)",
	    ctl_rules_compile, NULL },
	{ "test", "<nwid> <frame-hex> [in]",
	    "which rule of a joined network decides a frame (zt-vl2d)",
	    ctl_rules_test, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static int
ctl_rules_compile(const struct ctl_opts *o, int argc, char **argv)
{
	struct rulec_error err;
	json_t *out = NULL;
	char *text = NULL;
	size_t len;
	int rc = 1;

	(void)o;	/* the output is JSON with or without -j */
	if (argc != 1)
		return ctl_usage("rules compile takes one file name");
	if (file_read(argv[0], RULEC_SRC_MAX, &text, &len) == -1)
		return ctl_error("%s: %s", argv[0], errno == EFBIG ?
		    "file too large" : strerror(errno));
	if (rulec_compile(text, len, &out, &err) == -1) {
		if (err.line == 0)	/* about the whole text */
			ctl_error("%s: %s", argv[0], err.msg);
		else if (err.column > 0)
			ctl_error("%s:%u: %s (column %u)", argv[0], err.line,
			    err.msg, err.column);
		else
			ctl_error("%s:%u: %s", argv[0], err.line, err.msg);
		goto fail;
	}
	if (json_dumpf(out, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ==
	    -1 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
		ctl_error("cannot write the output");
		goto fail;
	}
	rc = 0;
fail:
	json_decref(out);
	free(text);
	return rc;
}
