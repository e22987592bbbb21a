/*
 * zt-ctl sandbox [show|verify]: each running daemon's declared policy
 * (as its own --print-policy table, sent over the control socket) beside
 * what the kernel reports of the process in /proc/<pid>/status, plus the
 * daemon's own report of its Landlock ruleset (the kernel shows none in
 * /proc).  verify exits 1 when a live value is looser than declared;
 * tighter is fine (systemd adds a seccomp filter and a bounding set of
 * its own).
 */
#include <sys/syscall.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <jansson.h>

#include "ctl.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset	444
#endif
/* LANDLOCK_CREATE_RULESET_VERSION, which older headers lack */
#define CTL_LANDLOCK_VERSION		1U
#define CTL_NITEMS(a)			(sizeof(a) / sizeof((a)[0]))

/* what /proc/<pid>/status says; the fields a policy constrains */
struct ctl_live {
	long		 uid[4], gid[4];
	uint64_t	 eff, prm, inh, bnd, amb;
	int		 nnp, seccomp, filters;	/* -1: missing */
};

/* the capability names a policy may use, and their numbers */
static const struct {
	const char	*name;
	int		 cap;
} ctl_capnames[] = {
	{ "CAP_CHOWN", CAP_CHOWN },
	{ "CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE },
	{ "CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH },
	{ "CAP_FOWNER", CAP_FOWNER },
	{ "CAP_KILL", CAP_KILL },
	{ "CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE },
	{ "CAP_NET_BROADCAST", CAP_NET_BROADCAST },
	{ "CAP_NET_ADMIN", CAP_NET_ADMIN },
	{ "CAP_NET_RAW", CAP_NET_RAW },
	{ "CAP_IPC_LOCK", CAP_IPC_LOCK },
	{ "CAP_SYS_RESOURCE", CAP_SYS_RESOURCE },
};

static int
ctl_read_ids(const char *v, long ids[4])
{
	return sscanf(v, "%ld %ld %ld %ld", &ids[0], &ids[1], &ids[2],
	    &ids[3]) == 4 ? 0 : -1;
}

/* 0, or -1 when the process is gone or its status unreadable */
static int
ctl_live_read(long pid, struct ctl_live *l)
{
	char path[64], line[256], *v;
	FILE *f;
	int n = 0;

	memset(l, 0, sizeof(*l));
	l->nnp = l->seccomp = l->filters = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((v = strchr(line, ':')) == NULL)
			continue;
		*v++ = '\0';
		while (isspace((unsigned char)*v))
			v++;
		if (strcmp(line, "Uid") == 0)
			n += ctl_read_ids(v, l->uid) == 0;
		else if (strcmp(line, "Gid") == 0)
			n += ctl_read_ids(v, l->gid) == 0;
		else if (strcmp(line, "CapInh") == 0)
			n += sscanf(v, "%" SCNx64, &l->inh) == 1;
		else if (strcmp(line, "CapPrm") == 0)
			n += sscanf(v, "%" SCNx64, &l->prm) == 1;
		else if (strcmp(line, "CapEff") == 0)
			n += sscanf(v, "%" SCNx64, &l->eff) == 1;
		else if (strcmp(line, "CapBnd") == 0)
			n += sscanf(v, "%" SCNx64, &l->bnd) == 1;
		else if (strcmp(line, "CapAmb") == 0)
			n += sscanf(v, "%" SCNx64, &l->amb) == 1;
		else if (strcmp(line, "NoNewPrivs") == 0)
			n += sscanf(v, "%d", &l->nnp) == 1;
		else if (strcmp(line, "Seccomp") == 0)
			n += sscanf(v, "%d", &l->seccomp) == 1;
		else if (strcmp(line, "Seccomp_filters") == 0)
			(void)sscanf(v, "%d", &l->filters); /* 5.9+ */
	}
	fclose(f);
	return n == 9 ? 0 : -1;
}

/* the declared capability set as a mask; -1 for a name we do not know */
static int
ctl_policy_caps(json_t *policy, uint64_t *mask)
{
	json_t *c;
	const char *name;
	size_t i, j;

	*mask = 0;
	json_array_foreach(json_object_get(policy, "capabilities"), i, c) {
		name = json_string_value(json_object_get(c, "name"));
		for (j = 0; j < CTL_NITEMS(ctl_capnames); j++)
			if (name != NULL &&
			    strcmp(ctl_capnames[j].name, name) == 0)
				break;
		if (j == CTL_NITEMS(ctl_capnames))
			return -1;
		*mask |= 1ULL << ctl_capnames[j].cap;
	}
	return 0;
}

static int
ctl_kernel_landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    CTL_LANDLOCK_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

struct ctl_rows {
	json_t	*rows;
	int	 bad;
};

static void
ctl_row(struct ctl_rows *r, const char *item, const char *declared,
    const char *live, bool ok)
{
	json_array_append_new(r->rows, json_pack("{s:s, s:s, s:s, s:b}",
	    "item", item, "declared", declared, "live", live, "ok", ok));
	r->bad += !ok;
}

static void
ctl_row_ids(struct ctl_rows *r, const char *item, const char *name,
    long want, const long have[4])
{
	char d[96], l[96];
	bool ok = true;
	int i;

	if (name == NULL) {
		ctl_row(r, item, "the caller's", "-", true);
		return;
	}
	snprintf(d, sizeof(d), "%s (%ld)", name, want);
	snprintf(l, sizeof(l), "%ld %ld %ld %ld", have[0], have[1], have[2],
	    have[3]);
	/* real, effective, saved and filesystem ids: all four dropped */
	for (i = 0; i < 4; i++)
		ok = ok && want >= 0 && have[i] == want;
	ctl_row(r, item, d, l, ok);
}

static void
ctl_row_caps(struct ctl_rows *r, const char *item, uint64_t allowed,
    uint64_t have)
{
	char d[32], l[32];

	snprintf(d, sizeof(d), "%016" PRIx64, allowed);
	snprintf(l, sizeof(l), "%016" PRIx64, have);
	ctl_row(r, item, d, l, (have & ~allowed) == 0);
}

static void
ctl_row_landlock(struct ctl_rows *r, json_t *policy, json_t *status)
{
	char d[64], l[96];
	int kabi = ctl_kernel_landlock_abi(), abi;
	size_t nrules = json_array_size(json_object_get(policy, "landlock"));

	snprintf(d, sizeof(d), "%zu path rule%s, deny the rest", nrules,
	    nrules == 1 ? "" : "s");
	if (!json_is_object(status)) {
		/* zt-vl1d's key holder, when it did not answer */
		ctl_row(r, "Landlock", d, "not reported by the process", true);
		return;
	}
	abi = (int)json_integer_value(json_object_get(status, "landlock_abi"));
	if (!json_is_true(json_object_get(status, "applied")))
		snprintf(l, sizeof(l), "sandbox not applied");
	else if (abi == 0)
		snprintf(l, sizeof(l), "off (kernel offers ABI %d)", kabi);
	else
		snprintf(l, sizeof(l), "ABI %d (kernel offers %d)", abi, kabi);
	/* off is tolerated only where the kernel has no Landlock at all */
	ctl_row(r, "Landlock", d, l,
	    json_is_true(json_object_get(status, "applied")) &&
	    (abi > 0 || kabi == 0));
}

static void
ctl_row_seccomp(struct ctl_rows *r, json_t *policy, json_t *status,
    const struct ctl_live *lv)
{
	char d[64], l[64];
	const char *act = json_string_value(json_object_get(status,
	    "seccomp_action"));
	bool ok;

	snprintf(d, sizeof(d), "filter, %zu syscalls, kill",
	    json_array_size(json_object_get(policy, "syscalls")));
	if (lv->filters >= 0)
		snprintf(l, sizeof(l), "mode %d, %d filter%s%s%s", lv->seccomp,
		    lv->filters, lv->filters == 1 ? "" : "s",
		    act != NULL ? ", " : "", act != NULL ? act : "");
	else
		snprintf(l, sizeof(l), "mode %d%s%s", lv->seccomp,
		    act != NULL ? ", " : "", act != NULL ? act : "");
	/* more filters than ours (systemd's) only narrow further */
	ok = lv->seccomp == 2 && lv->filters != 0 &&
	    (act == NULL || strcmp(act, "kill-process") == 0);
	ctl_row(r, "Seccomp", d, l, ok);
}

static uint64_t
ctl_all_caps(void)
{
	return (1ULL << (CAP_LAST_CAP + 1)) - 1;
}

/* the rows of one process; a single failing row if it is gone */
static json_t *
ctl_sandbox_rows(json_t *proc, int *bad)
{
	struct ctl_rows r = { json_array(), 0 };
	json_t *policy = json_object_get(proc, "policy");
	json_t *status = json_object_get(proc, "status");
	const char *user, *group;
	struct ctl_live lv;
	struct passwd *pw;
	struct group *gr;
	uint64_t caps;
	char l[32];

	if (ctl_live_read((long)json_integer_value(json_object_get(proc,
	    "pid")), &lv) == -1) {
		ctl_row(&r, "process", "running", "gone", false);
		*bad += r.bad;
		return r.rows;
	}
	user = json_string_value(json_object_get(policy, "user"));
	group = json_string_value(json_object_get(policy, "group"));
	pw = user != NULL ? getpwnam(user) : NULL;
	gr = group != NULL ? getgrnam(group) : NULL;
	ctl_row_ids(&r, "Uid", user, pw != NULL ? (long)pw->pw_uid : -1,
	    lv.uid);
	ctl_row_ids(&r, "Gid", group, gr != NULL ? (long)gr->gr_gid : -1,
	    lv.gid);
	if (ctl_policy_caps(policy, &caps) == -1) {
		ctl_row(&r, "capabilities", "unknown name", "-", false);
		caps = 0;
	}
	ctl_row_caps(&r, "CapEff", caps, lv.eff);
	ctl_row_caps(&r, "CapPrm", caps, lv.prm);
	ctl_row_caps(&r, "CapInh", 0, lv.inh);
	ctl_row_caps(&r, "CapBnd", user != NULL ? caps : ctl_all_caps(),
	    lv.bnd);
	ctl_row_caps(&r, "CapAmb", 0, lv.amb);
	snprintf(l, sizeof(l), "%d", lv.nnp);
	ctl_row(&r, "NoNewPrivs", "1", l, lv.nnp == 1);
	ctl_row_seccomp(&r, policy, status, &lv);
	ctl_row_landlock(&r, policy, status);
	*bad += r.bad;
	return r.rows;
}

static void
ctl_sandbox_print(const char *daemon, json_t *report, json_t *proc,
    json_t *rows, bool failures_only)
{
	json_t *row;
	size_t i;

	printf("%s (pid %lld, %s %s)\n", ctl_jstr(proc, "name"),
	    (long long)json_integer_value(json_object_get(proc, "pid")),
	    daemon, ctl_jstr(report, "version"));
	if (!failures_only)
		printf("  %-12s %-32s %-28s\n", "", "declared", "live");
	json_array_foreach(rows, i, row) {
		if (failures_only && json_is_true(json_object_get(row, "ok")))
			continue;
		printf("  %-12s %-32s %-28s %s\n",
		    json_string_value(json_object_get(row, "item")),
		    json_string_value(json_object_get(row, "declared")),
		    json_string_value(json_object_get(row, "live")),
		    json_is_true(json_object_get(row, "ok")) ? "ok" :
		    "LOOSER");
	}
}

static int
ctl_sandbox_run(const struct ctl_opts *o, bool verify)
{
	json_t *out = json_object(), *report, *proc, *rows, *procs;
	const char *daemon;
	enum ctl_probe st;
	char err[256];
	long peer;
	size_t i, j;
	int bad = 0, seen = 0, b;

	for (i = 0; (daemon = ctl_daemon_names[i]) != NULL; i++) {
		st = ctl_probe(o, daemon, "sandbox", &report, &peer, err,
		    sizeof(err));
		if (st == CTL_ABSENT || st == CTL_DOWN)
			continue;
		if (st != CTL_UP) {
			/* it listens but we cannot check it: not verified */
			bad++;
			if (!o->json)
				printf("%s: %s\n", daemon, err);
			json_object_set_new(out, daemon, json_pack("{s:s}",
			    "error", err));
			continue;
		}
		seen++;
		if (!json_is_array(json_object_get(report, "processes"))) {
			bad++;
			if (!o->json)
				printf("%s: its sandbox reply has no process "
				    "report\n", daemon);
			json_object_set_new(out, daemon, json_pack("{s:s}",
			    "error", "no process report"));
			json_decref(report);
			continue;
		}
		procs = json_array();
		json_array_foreach(json_object_get(report, "processes"), j,
		    proc) {
			b = 0;
			rows = ctl_sandbox_rows(proc, &b);
			bad += b;
			if (!o->json && (!verify || b > 0))
				ctl_sandbox_print(daemon, report, proc, rows,
				    verify);
			else if (!o->json)
				printf("%s (pid %lld): ok\n",
				    ctl_jstr(proc, "name"),
				    (long long)json_integer_value(
				    json_object_get(proc, "pid")));
			json_array_append_new(procs, json_pack("{s:O?, s:O?, "
			    "s:o, s:b, s:O?, s:O?}", "name",
			    json_object_get(proc, "name"), "pid",
			    json_object_get(proc, "pid"), "checks", rows,
			    "ok", b == 0, "status", json_object_get(proc,
			    "status"), "policy", json_object_get(proc,
			    "policy")));
		}
		json_object_set_new(out, daemon, json_pack("{s:O?, s:I, s:o}",
		    "version", json_object_get(report, "version"),
		    "socket_pid", (json_int_t)peer, "processes", procs));
		json_decref(report);
	}
	if (o->json)
		ctl_json_out(out);
	json_decref(out);
	if (seen == 0 && bad == 0) {
		if (!o->json)
			printf("no daemon is running (control sockets in %s)\n",
			    o->rundir);
		return verify ? 1 : 0;
	}
	return verify && bad > 0 ? 1 : 0;
}

int
ctl_sandbox(const struct ctl_opts *o, int argc, char **argv)
{
	if (argc > 1)
		return ctl_usage("sandbox takes [show|verify]");
	if (argc == 0 || strcmp(argv[0], "show") == 0)
		return ctl_sandbox_run(o, false);
	if (strcmp(argv[0], "verify") == 0)
		return ctl_sandbox_run(o, true);
	return ctl_usage("sandbox takes [show|verify], not '%s'", argv[0]);
}
