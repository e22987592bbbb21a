#pragma once
/*
 * zt-ctl: one table of subcommands.  Each handler gets the arguments after
 * its own name and returns the exit status: 0 success, 1 failure of the
 * operation, 2 bad usage (ctl_usage prints the one-line error).
 */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "identity.h"

struct ctl_opts {
	bool		 json;		/* -j: print replies as JSON */
	const char	*rundir;	/* -R, $ZT_RUNDIR: control sockets */
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
extern const struct ctl_cmd ctl_world_cmds[];
extern const struct ctl_cmd ctl_controller_cmds[];
extern const struct ctl_cmd ctl_rules_cmds[];
extern const struct ctl_cmd ctl_moon_cmds[];
extern const struct ctl_cmd ctl_tap_cmds[];

int	 ctl_usage(const char *, ...) __attribute__((format(printf, 1, 2)));
int	 ctl_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* one JSON request to a daemon ("zt-vl1d", ...); 0 or an exit status */
int	 ctl_call(const struct ctl_opts *, const char *daemon, json_t *,
	    json_t **reply);
/*
 * An identity given as a string (more than 32 characters with ':' after
 * the address, as zerotier-idtool decides) or as a file name.  0 or -1.
 */
int	 ctl_load_identity(const char *, struct identity *);
int	 ctl_info(const struct ctl_opts *, int, char **);
int	 ctl_peers(const struct ctl_opts *, int, char **);
int	 ctl_listpeers(const struct ctl_opts *, int, char **);
int	 ctl_listmoons(const struct ctl_opts *, int, char **);
int	 ctl_orbit(const struct ctl_opts *, int, char **);
int	 ctl_deorbit(const struct ctl_opts *, int, char **);
int	 ctl_world_create(const struct ctl_opts *, int, char **);
int	 ctl_import_zerotier(const struct ctl_opts *, int, char **);
int	 ctl_ping(const struct ctl_opts *, int, char **);
int	 ctl_set(const struct ctl_opts *, int, char **);
int	 ctl_get(const struct ctl_opts *, int, char **);
/* net.c: zt-vl2d's networks; set/get route zt-tapd's settings to tap.c */
int	 ctl_join(const struct ctl_opts *, int, char **);
int	 ctl_leave(const struct ctl_opts *, int, char **);
int	 ctl_listnetworks(const struct ctl_opts *, int, char **);
int	 ctl_net_set(const struct ctl_opts *, int, char **);
int	 ctl_net_get(const struct ctl_opts *, int, char **);
int	 ctl_rules_test(const struct ctl_opts *, int, char **);
int	 ctl_dispatch(const struct ctl_cmd *, const char *prefix,
	    const struct ctl_opts *, int, char **);

/* status.c, sandbox.c: asking every daemon about itself */
/* CTL_ABSENT: no socket; CTL_DOWN: a socket nobody listens on */
enum ctl_probe { CTL_UP, CTL_ABSENT, CTL_DOWN, CTL_DENIED, CTL_BROKEN };
extern const char *const ctl_daemon_names[];	/* NULL-terminated */
enum ctl_probe	 ctl_probe(const struct ctl_opts *, const char *daemon,
		    const char *cmd, json_t **reply, long *peer_pid,
		    char *err, size_t errlen);
long long	 ctl_proc_uptime(long pid);
int		 ctl_json_out(json_t *);
const char	*ctl_jstr(json_t *, const char *key);	/* "?" if absent */
int	 ctl_status(const struct ctl_opts *, int, char **);
int	 ctl_doctor(const struct ctl_opts *, int, char **);
int	 ctl_sandbox(const struct ctl_opts *, int, char **);
