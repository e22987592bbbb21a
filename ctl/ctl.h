#pragma once
/*
 * zt-ctl: one table of subcommands.  Each handler gets the arguments after
 * its own name and returns the exit status: 0 success, 1 failure of the
 * operation, 2 bad usage (ctl_usage prints the one-line error).
 */
#include <stdbool.h>

struct ctl_opts {
	bool	json;		/* -j: print replies as JSON */
};

struct ctl_cmd {
	const char	*name;
	const char	*args;	/* argument synopsis */
	const char	*help;	/* one line */
	int		(*fn)(const struct ctl_opts *, int, char **);
	/* sub-subcommands (e.g. "identity generate"), or NULL */
	const struct ctl_cmd	*sub;
};

extern const struct ctl_cmd ctl_identity_cmds[];

int	 ctl_usage(const char *, ...) __attribute__((format(printf, 1, 2)));
int	 ctl_error(const char *, ...) __attribute__((format(printf, 1, 2)));
int	 ctl_dispatch(const struct ctl_cmd *, const char *prefix,
	    const struct ctl_opts *, int, char **);
