#pragma once
/*
 * Compiler of ZeroTier's rule text language (spec/vl2.md §7.9) into the
 * controller's JSON form: what rule-compiler.js produces for a network's
 * "compiled" rules (vectors/rules.json).  The reference's observable
 * behaviour is kept, quirks included, because users move rule files
 * between it and us; the one exception is documented at rulec_compile().
 *
 * The JSON <-> binary rule codec is common/rules.h; this module only
 * turns text into JSON.
 */
#include <stddef.h>

#include <jansson.h>

/* longest source accepted (a network's rules are a few KiB) */
#define RULEC_SRC_MAX		(256 * 1024)
/* nested "include" limit: a macro including itself must not recurse */
#define RULEC_INCLUDE_DEPTH	32
/* rules per emitted list, after macro expansion */
#define RULEC_RULES_MAX		16384
#define RULEC_MSG_MAX		160

struct rulec_error {
	unsigned int	 line;		/* 1-based; 0 = whole input */
	unsigned int	 column;	/* 1-based byte column; 0 = none */
	char		 msg[RULEC_MSG_MAX];
};

/*
 * Compiles len bytes of rule text (no NUL needed).  On success *out is a
 * new reference to {"rules": [...], "capabilities": [{"id", "default",
 * "rules"}...], "tags": [{"id", "default"}...]} and 0 is returned; on
 * failure -1 with *err filled (position of the offending token).
 *
 * Where the reference silently discards text (a block opened by a
 * keyword followed by a lone ';' never closes, so everything up to the
 * end of the input vanishes), this is an error instead: a firewall must
 * not lose rules without a word.
 */
int	 rulec_compile(const char *src, size_t len, json_t **out,
	    struct rulec_error *err);
