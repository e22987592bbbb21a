/*
 * zt-ctl status and doctor: which daemons run, since when, in which
 * version, with which IPC links up; doctor turns the same answers into
 * an exit status for monitoring (the plugin convention: 0 OK, 1
 * WARNING, 2 CRITICAL, 3 UNKNOWN).  Both ask each daemon's control
 * socket for its "sandbox" report; a daemon whose socket is missing is
 * simply not running, which is no error here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* struct ucred */
#endif
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "ipc.h"
#include "ipc_sync.h"

#define CTL_PROBE_TIMEOUT_MS	5000

/* a string member for printing: a daemon's reply is not trusted to have it */
const char *
ctl_jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "?";
}

/* every daemon of the suite, in start order; zt-ctl sandbox walks it */
const char *const ctl_daemon_names[] = {
	"zt-tapd", "zt-vl1d", "zt-vl2d", "zt-controllerd", NULL,
};

static enum ipc_role
ctl_probe_role(const char *daemon)
{
	if (strcmp(daemon, "zt-vl1d") == 0)
		return IPC_ROLE_VL1D;
	if (strcmp(daemon, "zt-vl2d") == 0)
		return IPC_ROLE_VL2D;
	if (strcmp(daemon, "zt-controllerd") == 0)
		return IPC_ROLE_CONTROLLERD;
	return IPC_ROLE_TAPD;
}

/*
 * One request, quietly.  CTL_UP with *reply, CTL_ABSENT when there is
 * no socket (never ran here), CTL_DOWN when nothing listens on it (the
 * daemons leave it behind: a stop or a crash), CTL_DENIED when its mode
 * keeps us out,
 * CTL_BROKEN when the daemon does not answer sensibly (why in err).
 * *peer_pid is the socket owner's pid by SO_PEERCRED, as the kernel
 * saw it when the daemon listened.
 */
enum ctl_probe
ctl_probe(const struct ctl_opts *o, const char *daemon, const char *cmd,
    json_t **reply, long *peer_pid, char *err, size_t errlen)
{
	char path[PATH_MAX], body[64];
	struct ipc_sync s;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	json_error_t jerr;
	uint8_t *r = NULL;
	uint16_t rtype;
	size_t rlen;
	int fd;

	*reply = NULL;
	*peer_pid = 0;
	snprintf(err, errlen, "no answer");
	snprintf(path, sizeof(path), "%s/%s.sock", o->rundir, daemon);
	snprintf(body, sizeof(body), "{\"cmd\":\"%s\"}", cmd);
	if ((fd = ipc_socket_connect(path)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (errno == EACCES || errno == EPERM)
			return CTL_DENIED;
		return errno == ENOENT ? CTL_ABSENT : CTL_DOWN;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0)
		*peer_pid = (long)cr.pid;
	if (ipc_sync_open(&s, fd, IPC_ROLE_CTL, ctl_probe_role(daemon),
	    CTL_PROBE_TIMEOUT_MS) == -1) {
		snprintf(err, errlen, "refused or no HELLO on %s", path);
		return CTL_BROKEN;
	}
	if (ipc_sync_call(&s, IPC_MSG_CTL_REQUEST, body, strlen(body),
	    &rtype, &r, &rlen) == -1 || rtype != IPC_MSG_CTL_REPLY ||
	    (*reply = json_loadb((const char *)r, rlen,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    (!json_is_object(*reply) && !json_is_array(*reply)) ||
	    json_object_get(*reply, "error") != NULL) {
		json_decref(*reply);
		*reply = NULL;
		snprintf(err, errlen, "no %s report", cmd);
		free(r);
		ipc_sync_close(&s);
		return CTL_BROKEN;
	}
	free(r);
	ipc_sync_close(&s);
	return CTL_UP;
}

/*
 * Seconds since the process started, from /proc/<pid>/stat's start
 * time (clock ticks after boot, field 22) and /proc/uptime; -1 if
 * either cannot be read.
 */
long long
ctl_proc_uptime(long pid)
{
	char path[64], buf[1024], *p;
	double up;
	unsigned long long start;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	int i, ok;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	/* the command name may hold spaces and ')': fields follow the last */
	if (!ok || (p = strrchr(buf, ')')) == NULL)
		return -1;
	for (i = 0; i < 20 && p != NULL; i++)	/* ") S" is field 3 */
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &start) != 1 || hz <= 0)
		return -1;
	if ((f = fopen("/proc/uptime", "r")) == NULL)
		return -1;
	ok = fscanf(f, "%lf", &up) == 1;
	fclose(f);
	if (!ok)
		return -1;
	return (long long)up - (long long)(start / (unsigned long long)hz);
}

static void
ctl_fmt_uptime(long long s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "?");
	else if (s >= 86400)
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
}

/* the daemon's main process: the first in its report */
static long
ctl_report_pid(json_t *r)
{
	return (long)json_integer_value(json_object_get(json_array_get(
	    json_object_get(r, "processes"), 0), "pid"));
}

static json_t *
ctl_status_one(const struct ctl_opts *o, const char *daemon)
{
	static const char *const states[] = {
		[CTL_UP] = "up", [CTL_ABSENT] = "down", [CTL_DOWN] = "down",
		[CTL_DENIED] = "no access", [CTL_BROKEN] = "not answering",
	};
	enum ctl_probe st;
	char err[256];
	json_t *r, *out;
	long peer;

	st = ctl_probe(o, daemon, "sandbox", &r, &peer, err, sizeof(err));
	out = json_pack("{s:s}", "state", states[st]);
	if (st != CTL_UP) {
		if (st != CTL_ABSENT)
			json_object_set_new(out, "error", json_string(err));
		return out;
	}
	if (!json_is_array(json_object_get(r, "processes"))) {
		/* a daemon older than this zt-ctl's "sandbox" report */
		json_object_set_new(out, "error",
		    json_string("no process report in its sandbox reply"));
		json_decref(r);
		return out;
	}
	json_object_set(out, "version", json_object_get(r, "version"));
	json_object_set_new(out, "pid", json_integer(ctl_report_pid(r)));
	json_object_set_new(out, "uptime",
	    json_integer(ctl_proc_uptime(ctl_report_pid(r))));
	json_object_set(out, "links", json_object_get(r, "links"));
	json_decref(r);
	return out;
}

static json_t *
ctl_status_json(const struct ctl_opts *o)
{
	json_t *all = json_object();
	size_t i;

	for (i = 0; ctl_daemon_names[i] != NULL; i++)
		json_object_set_new(all, ctl_daemon_names[i],
		    ctl_status_one(o, ctl_daemon_names[i]));
	return all;
}

int
ctl_json_out(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s == NULL)
		return ctl_error("out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

int
ctl_status(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *all, *d, *v;
	const char *k, *name;
	char up[32];
	size_t i;
	int rc = 0;

	if (argc != 0)
		return ctl_usage("status takes no arguments");
	all = ctl_status_json(o);
	if (o->json) {
		rc = ctl_json_out(all);
		json_decref(all);
		return rc;
	}
	for (i = 0; ctl_daemon_names[i] != NULL; i++) {
		name = ctl_daemon_names[i];
		d = json_object_get(all, name);
		printf("%-15s %-13s", name,
		    json_string_value(json_object_get(d, "state")));
		if (json_object_get(d, "pid") == NULL) {
			if ((v = json_object_get(d, "error")) != NULL)
				printf(" %s", json_string_value(v));
			printf("\n");
			continue;
		}
		ctl_fmt_uptime(json_integer_value(json_object_get(d,
		    "uptime")), up, sizeof(up));
		printf(" %-8s pid %-7lld up %-8s links:",
		    ctl_jstr(d, "version"),
		    (long long)json_integer_value(json_object_get(d, "pid")),
		    up);
		json_object_foreach(json_object_get(d, "links"), k, v)
			printf(" %s=%s", k, json_is_true(v) ? "up" : "down");
		printf("\n");
	}
	json_decref(all);
	return rc;
}

/* doctor's verdicts; the values are the exit statuses */
enum ctl_verdict { CTL_OK, CTL_WARN, CTL_CRIT, CTL_UNKNOWN };
static const int ctl_verdict_rank[] = {
	[CTL_OK] = 0, [CTL_UNKNOWN] = 1, [CTL_WARN] = 2, [CTL_CRIT] = 3,
};

struct ctl_doctor {
	const struct ctl_opts	*o;
	json_t			*checks;
	enum ctl_verdict	 worst;
};

static void
ctl_doctor_add(struct ctl_doctor *d, enum ctl_verdict v, const char *what,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
ctl_doctor_add(struct ctl_doctor *d, enum ctl_verdict v, const char *what,
    const char *fmt, ...)
{
	static const char *const names[] = {
		"OK", "WARNING", "CRITICAL", "UNKNOWN",
	};
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* CRITICAL > WARNING > UNKNOWN: a known fault says more */
	if (ctl_verdict_rank[v] > ctl_verdict_rank[d->worst])
		d->worst = v;
	json_array_append_new(d->checks, json_pack("{s:s, s:s, s:s}",
	    "check", what, "result", names[v], "detail", msg));
}

/*
 * A daemon counts as expected when its socket exists: a member host has
 * no zt-controllerd socket, a controller host no zt-tapd one.  zt-vl1d
 * is always expected.  A socket left behind means the daemon ran here
 * and is gone: critical, whether it crashed or was stopped.
 */
static bool
ctl_doctor_daemons(struct ctl_doctor *d, json_t *st)
{
	const char *name, *state;
	json_t *x, *v, *peer;
	const char *k;
	size_t i;

	for (i = 0; ctl_daemon_names[i] != NULL; i++) {
		name = ctl_daemon_names[i];
		x = json_object_get(st, name);
		state = json_string_value(json_object_get(x, "state"));
		if (strcmp(state, "up") == 0 &&
		    json_object_get(x, "pid") == NULL) {
			ctl_doctor_add(d, CTL_WARN, name, "up, but %s",
			    ctl_jstr(x, "error"));
		} else if (strcmp(state, "up") == 0) {
			ctl_doctor_add(d, CTL_OK, name, "up, version %s",
			    ctl_jstr(x, "version"));
			json_object_foreach(json_object_get(x, "links"), k, v) {
				peer = json_object_get(st, k);
				if (!json_is_true(v) &&
				    json_object_get(peer, "pid") != NULL)
					ctl_doctor_add(d, CTL_WARN, name,
					    "no IPC link to %s, which runs", k);
			}
		} else if (strcmp(state, "down") == 0 &&
		    json_object_get(x, "error") == NULL &&
		    strcmp(name, "zt-vl1d") != 0)
			continue;	/* not part of this host */
		else if (strcmp(state, "no access") == 0)
			ctl_doctor_add(d, CTL_UNKNOWN, name, "%s (root or "
			    "group zt needed)", json_string_value(
			    json_object_get(x, "error")));
		else
			ctl_doctor_add(d, CTL_CRIT, name, "%s%s%s", state,
			    json_object_get(x, "error") ? ": " : "",
			    json_object_get(x, "error") ? json_string_value(
			    json_object_get(x, "error")) : "");
	}
	return strcmp(json_string_value(json_object_get(json_object_get(st,
	    "zt-vl1d"), "state")), "up") == 0;
}

static bool
ctl_peer_direct(json_t *p)
{
	json_t *x;
	size_t i;

	json_array_foreach(json_object_get(p, "paths"), i, x)
		if (json_is_true(json_object_get(x, "preferred")) &&
		    json_is_true(json_object_get(x, "active")))
			return true;
	return false;
}

static void
ctl_doctor_node(struct ctl_doctor *d)
{
	json_t *req, *r, *p;
	unsigned int direct = 0, relay = 0, roots = 0, roots_direct = 0;
	const char *role;
	size_t i;
	bool root;

	req = json_pack("{s:s}", "cmd", "info");
	if (ctl_call(d->o, "zt-vl1d", req, &r) != 0) {
		json_decref(req);
		ctl_doctor_add(d, CTL_CRIT, "node", "zt-vl1d gave no info");
		return;
	}
	json_decref(req);
	if (json_is_true(json_object_get(r, "online")))
		ctl_doctor_add(d, CTL_OK, "node", "%s online",
		    ctl_jstr(r, "address"));
	else
		ctl_doctor_add(d, CTL_WARN, "node", "%s offline: no root "
		    "heard from recently",
		    ctl_jstr(r, "address"));
	json_decref(r);
	req = json_pack("{s:s}", "cmd", "peers");
	if (ctl_call(d->o, "zt-vl1d", req, &r) != 0) {
		json_decref(req);
		ctl_doctor_add(d, CTL_CRIT, "peers", "zt-vl1d gave no peers");
		return;
	}
	json_decref(req);
	json_array_foreach(r, i, p) {
		role = json_string_value(json_object_get(p, "role"));
		root = role != NULL && (strcmp(role, "PLANET") == 0 ||
		    strcmp(role, "MOON") == 0);
		if (ctl_peer_direct(p)) {
			direct++;
			roots_direct += root;
		} else
			relay++;
		roots += root;
	}
	json_decref(r);
	ctl_doctor_add(d, roots > 0 && roots_direct == 0 ? CTL_WARN : CTL_OK,
	    "peers", "%u DIRECT, %u RELAY; %u of %u roots direct", direct,
	    relay, roots_direct, roots);
}

/*
 * zt-vl2d's networks, once it runs: each must report status "OK" (the
 * ZeroTier One status names: REQUESTING_CONFIGURATION, ACCESS_DENIED,
 * NOT_FOUND, ... are warnings).
 */
static void
ctl_doctor_networks(struct ctl_doctor *d)
{
	enum ctl_probe st;
	json_t *r, *n, *list;
	char err[256];
	const char *s;
	long peer;
	size_t i;

	st = ctl_probe(d->o, "zt-vl2d", "listnetworks", &r, &peer, err,
	    sizeof(err));
	if (st == CTL_ABSENT || st == CTL_DOWN)
		return;		/* no zt-vl2d here, or said above */
	if (st != CTL_UP) {
		ctl_doctor_add(d, CTL_WARN, "networks", "%s", err);
		return;
	}
	if ((list = json_object_get(r, "networks")) == NULL)
		list = r;
	if (json_array_size(list) == 0)
		ctl_doctor_add(d, CTL_OK, "networks", "none joined");
	json_array_foreach(list, i, n) {
		s = json_string_value(json_object_get(n, "status"));
		ctl_doctor_add(d, s != NULL && strcmp(s, "OK") == 0 ? CTL_OK :
		    CTL_WARN, "networks", "%s %s",
		    json_object_get(n, "nwid") != NULL ? ctl_jstr(n, "nwid") :
		    ctl_jstr(n, "id"),
		    s != NULL ? s : "no status");
	}
	json_decref(r);
}

int
ctl_doctor(const struct ctl_opts *o, int argc, char **argv)
{
	struct ctl_doctor d = { o, json_array(), CTL_OK };
	static const char *const names[] = {
		"OK", "WARNING", "CRITICAL", "UNKNOWN",
	};
	json_t *st, *c;
	size_t i;

	if (argc != 0)
		return ctl_usage("doctor takes no arguments");
	st = ctl_status_json(o);
	if (ctl_doctor_daemons(&d, st)) {
		ctl_doctor_node(&d);
		ctl_doctor_networks(&d);
	}
	json_decref(st);
	if (o->json) {
		c = json_pack("{s:s, s:O}", "result", names[d.worst],
		    "checks", d.checks);
		ctl_json_out(c);
		json_decref(c);
	} else {
		json_array_foreach(d.checks, i, c)
			printf("%-8s %-15s %s\n",
			    json_string_value(json_object_get(c, "result")),
			    json_string_value(json_object_get(c, "check")),
			    json_string_value(json_object_get(c, "detail")));
		printf("%s\n", names[d.worst]);
	}
	json_decref(d.checks);
	return (int)d.worst;
}
