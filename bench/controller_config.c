/*
 * bench-controller config: NETWORK_CONFIG_REQUESTs answered per second by
 * a real zt-controllerd, signatures included.  This process plays
 * zt-vl1d's two halves towards it, as user zt-vl1: the IPC side that
 * forwards members' requests (CTRL_CONFIG_REQ) and takes the answers
 * (CTRL_SEND), and the key holder's signing socket, served by zt-vl1d's
 * own keysign code with the controller's secret key.  The members are
 * the vector identities plus generated ones kept in a cache file (one
 * secret identity a line, shared with bench/vl1.sh).
 *
 * Rounds: every member asks once per round with at most BC_WINDOW
 * requests outstanding (zt-vl1d forwards as packets arrive); a round
 * ends when each member got its config.  Round 1 is first contact (the
 * member's identity is pinned and an IPv4 address assigned: a store
 * change each, group-committed); later rounds are the steady state.
 * Rounds are 1.1 s apart at least: the controller answers a member once
 * a second, as 1.14.1 does.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bench_ctrl.h"
#include "buf.h"
#include "dictionary.h"
#include "file.h"
#include "identity.h"
#include "ipc.h"
#include "keysign.h"
#include "log.h"
#include "netconf_chunk.h"
#include "objects.h"
#include "store.h"

#define BC_WINDOW	256	/* requests outstanding */
#define BC_PER_MSG	32	/* requests per CTRL_CONFIG_REQ */
#define BC_ROUNDS	3
#define BC_VERB_OK	0x03
#define BC_VERB_ERROR	0x02
#define BC_VERB_NCR	0x0b

struct bc_member {
	uint64_t	 addr;
	uint8_t		 id[256];	/* serialized public identity */
	size_t		 idlen;
	int		 answered;	/* round of the last answer */
};

struct bc {
	struct event_base	*base;
	struct ipc		*ipc_vl1, *ipc_keys;
	struct ipc_listener	*listener;
	struct ipc_conn		*ctrl;		/* zt-controllerd */
	struct keysign		 ks;
	struct identity		 controller;
	uint64_t		 nwid;
	struct bc_member	*m;		/* sorted by address */
	size_t			 n;
	uint8_t			 meta[1024];
	size_t			 meta_len;
	int			 round;
	size_t			 next, outstanding, done, errors;
	uint64_t		 packet_id;
	struct event		*stall;
};

static struct bc bc;

static int
bc_cmp(const void *a, const void *b)
{
	const struct bc_member *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct bc_member *
bc_find(uint64_t addr)
{
	struct bc_member key = { .addr = addr };

	return bsearch(&key, bc.m, bc.n, sizeof(*bc.m), bc_cmp);
}

static int
bc_add_member(const struct identity *id)
{
	struct bc_member *x = &bc.m[bc.n];
	struct wbuf w;

	if (id->address == bc.controller.address)
		return 0;
	memset(x, 0, sizeof(*x));
	x->addr = id->address;
	wbuf_init(&w, x->id, sizeof(x->id));
	if (identity_serialize(id, false, &w) == -1)
		return -1;
	x->idlen = wbuf_len(&w);
	bc.n++;
	return 0;
}

/* the vector identities, then the cache file, generating what is short */
static void
bc_load_identities(const char *vectors, const char *cache, size_t want)
{
	char path[PATH_MAX], line[1024];
	json_error_t e;
	json_t *v, *x;
	struct identity id;
	size_t i;
	FILE *f;

	if ((bc.m = calloc(want + 64, sizeof(*bc.m))) == NULL)
		fatal("calloc");
	snprintf(path, sizeof(path), "%s/identities.json", vectors);
	if ((v = json_load_file(path, 0, &e)) == NULL)
		fatalx("%s: %s", path, e.text);
	json_array_foreach(json_object_get(v, "valid"), i, x) {
		const char *name = json_string_value(json_object_get(x,
		    "name"));
		const char *sec = json_string_value(json_object_get(x,
		    "secret"));

		memset(&id, 0, sizeof(id));
		if (sec == NULL || identity_from_string(&id, sec) == -1)
			continue;
		if (name != NULL && strcmp(name, "controller") == 0)
			identity_copy(&bc.controller, &id, true);
		identity_clear(&id);
	}
	if (bc.controller.priv == NULL)
		fatalx("no controller identity in %s", path);
	json_array_foreach(json_object_get(v, "valid"), i, x) {
		const char *sec = json_string_value(json_object_get(x,
		    "secret"));

		memset(&id, 0, sizeof(id));
		if (bc.n < want && sec != NULL &&
		    identity_from_string(&id, sec) == 0 &&
		    bc_find(id.address) == NULL && bc_add_member(&id) == -1)
			fatalx("identity");
		identity_clear(&id);
	}
	json_decref(v);
	if ((f = fopen(cache, "a+")) == NULL)
		fatal("%s", cache);
	rewind(f);
	while (bc.n < want && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		memset(&id, 0, sizeof(id));
		if (identity_from_string(&id, line) == 0 &&
		    bc_add_member(&id) == -1)
			fatalx("identity");
		identity_clear(&id);
	}
	if (bc.n < want)
		fprintf(stderr, "generating %zu identities into %s (once)\n",
		    want - bc.n, cache);
	while (bc.n < want) {
		char text[512];

		memset(&id, 0, sizeof(id));
		if (identity_generate(&id) == -1 ||
		    identity_to_string(&id, true, text, sizeof(text)) == -1)
			fatalx("identity generation");
		fprintf(f, "%s\n", text);
		if (bc_add_member(&id) == -1)
			fatalx("identity");
		identity_clear(&id);
	}
	if (fclose(f) == EOF)
		fatal("%s", cache);
	qsort(bc.m, bc.n, sizeof(*bc.m), bc_cmp);
	for (i = 1; i < bc.n; i++)
		if (bc.m[i].addr == bc.m[i - 1].addr)
			fatalx("duplicate identity %010llx in the cache",
			    (unsigned long long)bc.m[i].addr);
}

/*
 * A private network with an IPv4 pool and auto-assignment; every member
 * authorized (by the API, with no identity pinned yet), as a UI leaves
 * members it was told about.
 */
static void
bc_preload(const char *db)
{
	char err[256];
	struct ctrl_store *s;
	json_t *net, *body, *arr, *m;
	size_t i;

	if ((s = ctrl_store_sqlite_open(db, NULL, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	net = ctrl_network_new(bc.nwid, bench_clock());
	body = json_loads("{\"private\":true,\"name\":\"bench\","
	    "\"v4AssignMode\":{\"zt\":true},\"ipAssignmentPools\":"
	    "[{\"ipRangeStart\":\"10.20.0.1\",\"ipRangeEnd\":"
	    "\"10.20.255.254\"}],\"routes\":[{\"target\":\"10.20.0.0/16\"}]}",
	    0, NULL);
	if (body == NULL || ctrl_network_apply(net, body, err,
	    sizeof(err)) == -1)
		fatalx("network: %s", err);
	json_object_set_new(net, "revision", json_integer(1));
	arr = json_array();
	for (i = 0; i < bc.n; i++) {
		m = ctrl_member_new(bc.nwid, bc.m[i].addr, bench_clock());
		json_object_set_new(m, "authorized", json_true());
		json_object_set_new(m, "_mid",
		    json_integer((json_int_t)bc.m[i].addr));
		json_array_append_new(arr, m);
	}
	if (s->ops->import(s, bc.nwid, net, arr, "bench") != CTRL_STORE_OK)
		fatalx("preload");
	json_decref(arr);
	json_decref(body);
	json_decref(net);
	ctrl_store_close(s);
}

/* forwards requests while the window has room */
static void
bc_pump(void)
{
	uint8_t hdr[28];
	struct dict meta;
	struct wbuf w, p;
	uint8_t pkt[2048];
	size_t k;

	while (bc.ctrl != NULL && bc.next < bc.n &&
	    bc.outstanding < BC_WINDOW) {
		wbuf_init_dynamic(&w, IPC_PAYLOAD_MAX);
		for (k = 0; k < BC_PER_MSG && bc.next < bc.n &&
		    bc.outstanding < BC_WINDOW; k++) {
			struct bc_member *x = &bc.m[bc.next++];

			/* the dearmored packet: header, verb, payload */
			memset(hdr, 0, sizeof(hdr));
			be64_put(hdr, ++bc.packet_id);
			hdr[27] = BC_VERB_NCR;
			wbuf_init(&p, pkt, sizeof(pkt));
			wbuf_put_bytes(&p, hdr, sizeof(hdr));
			dict_view(&meta, bc.meta, bc.meta_len,
			    DICT_CAP_REQ_META);
			if (netconf_request_build(&p, bc.nwid, &meta, 0,
			    0) == -1)
				fatalx("request");
			wbuf_put_u40(&w, x->addr);
			wbuf_put_u8(&w, 0);
			ipc_put_bytes16(&w, wbuf_data(&p), wbuf_len(&p));
			ipc_put_bytes16(&w, x->id, x->idlen);
			bc.outstanding++;
		}
		if (wbuf_failed(&w) || ipc_send_wbuf(bc.ctrl,
		    IPC_MSG_CTRL_CONFIG_REQ, 0, &w) == -1)
			fatalx("cannot forward requests");
		wbuf_free(&w);
	}
}

/* (u40 dest, u8 verb, bytes16 payload)* */
static int
bc_on_send(struct ipc_conn *c, struct ipc_msg *msg, void *arg)
{
	const uint8_t *pl;
	struct bc_member *x;
	uint64_t dest;
	uint8_t verb;
	size_t len;

	while (rbuf_remaining(&msg->body) > 0) {
		if (rbuf_get_u40(&msg->body, &dest) == -1 ||
		    rbuf_get_u8(&msg->body, &verb) == -1 ||
		    ipc_get_bytes16(&msg->body, 16384, &pl, &len) == -1)
			return -1;
		if ((x = bc_find(dest)) == NULL || len < 1 ||
		    pl[0] != BC_VERB_NCR)
			continue;
		if (verb == BC_VERB_ERROR) {
			bc.errors++;
			log_warnx("ERROR %u for %010llx", len > 9 ? pl[9] : 0,
			    (unsigned long long)dest);
		} else if (verb != BC_VERB_OK)
			continue;
		/* a config may come in several chunks: the first counts */
		if (x->answered == bc.round)
			continue;
		x->answered = bc.round;
		bc.outstanding--;
		bc.done++;
	}
	if (bc.done == bc.n)
		event_base_loopbreak(bc.base);
	else
		bc_pump();
	return 0;
}

static void
bc_up(struct ipc_conn *c, void *arg)
{
	bc.ctrl = c;
	event_base_loopbreak(bc.base);
}

static void
bc_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	bc.ctrl = NULL;
	fatalx("zt-controllerd went away: %s", ipc_err_str(e));
}

static void
bc_stalled(evutil_socket_t fd, short ev, void *arg)
{
	fatalx("round %d stalled: %zu of %zu answered, %zu errors",
	    bc.round, bc.done, bc.n, bc.errors);
}

static void
bc_round(pid_t ctrld)
{
	struct timeval tv = { 60, 0 };
	double t0, t1, c0, c1, k0, k1;

	bc.round++;
	bc.next = bc.outstanding = bc.done = bc.errors = 0;
	evtimer_add(bc.stall, &tv);
	c0 = bench_cpu(ctrld);
	k0 = bench_cpu(getpid());
	t0 = bench_secs();
	bc_pump();
	event_base_dispatch(bc.base);
	t1 = bench_secs();
	c1 = bench_cpu(ctrld);
	k1 = bench_cpu(getpid());
	evtimer_del(bc.stall);
	printf("round %d (%s): %zu configs from %zu members in %.3f s: "
	    "%.0f per second; zt-controllerd %.0f us CPU each, this process "
	    "(signing, forwarding) %.0f us each; %zu errors\n", bc.round,
	    bc.round == 1 ? "first contact" : "steady state", bc.done, bc.n,
	    t1 - t0, (double)bc.done / (t1 - t0),
	    (c1 - c0) * 1e6 / (double)bc.done,
	    (k1 - k0) * 1e6 / (double)bc.done, bc.errors);
}

static int	 bc_serve(const char *, const struct passwd *,
		    const struct passwd *, pid_t);

int
bench_config(int argc, char **argv)
{
	char tmp[] = "/tmp/bench-ctrl-config.XXXXXX", path[PATH_MAX];
	char state[128], run[128], pub[128], text[512];
	const char *ctrld_bin, *vectors, *cache;
	struct passwd *pw, vl1, ctrl;
	struct dict meta;
	size_t want;
	pid_t pid, bpid;
	int fd, status, r;

	if (argc < 5)
		fatalx("usage: bench-controller config ZT-CONTROLLERD VECTORS "
		    "CACHE-FILE [MEMBERS]");
	/* the key holder's connection events are worth seeing */
	log_setlevel(LOG_LVL_INFO);
	ctrld_bin = argv[2];
	vectors = argv[3];
	cache = argv[4];
	want = argc > 5 ? strtoul(argv[5], NULL, 10) : 2000;
	if (want < 1 || want > 100000)
		fatalx("members: 1..100000");
	if (geteuid() != 0)
		fatalx("run as root: the daemon drops to zt-ctrl and checks "
		    "its peers' users");
	/* copies: getpwnam's result is overwritten by the next call */
	if ((pw = getpwnam("zt-vl1")) == NULL)
		fatalx("no user zt-vl1 (tests/setup-users.sh)");
	vl1 = *pw;
	if ((pw = getpwnam("zt-ctrl")) == NULL)
		fatalx("no user zt-ctrl (tests/setup-users.sh)");
	ctrl = *pw;
	bc_load_identities(vectors, cache, want);
	bc.nwid = bc.controller.address << 24 | 0xbe0c;
	dict_init(&meta, DICT_CAP_REQ_META);
	if (netconf_request_meta_default(&meta, "linux/x86_64") == -1 ||
	    dict_len(&meta) > sizeof(bc.meta))
		fatalx("metadata");
	memcpy(bc.meta, dict_data(&meta), dict_len(&meta));
	bc.meta_len = dict_len(&meta);
	dict_free(&meta);

	if (mkdtemp(tmp) == NULL || chmod(tmp, 0755) == -1)
		fatal("mkdtemp");
	snprintf(state, sizeof(state), "%s/state", tmp);
	snprintf(run, sizeof(run), "%s/run", tmp);
	snprintf(pub, sizeof(pub), "%s/controller.public", tmp);
	if (mkdir(state, 0700) == -1 || mkdir(run, 0755) == -1 ||
	    chown(run, vl1.pw_uid, vl1.pw_gid) == -1)
		fatal("%s", tmp);
	if (identity_to_string(&bc.controller, false, text,
	    sizeof(text)) == -1 || file_write_atomic(pub, text, strlen(text),
	    0644) == -1)
		fatalx("%s", pub);
	snprintf(path, sizeof(path), "%s/controller.db", state);
	bc_preload(path);
	if (chown(state, ctrl.pw_uid, ctrl.pw_gid) == -1)
		fatal("%s", state);

	/* the daemon as root: it drops to zt-ctrl itself */
	snprintf(path, sizeof(path), "%s/zt-controllerd.log", tmp);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) !=
		    -1)
			dup2(fd, 2);
		execl(ctrld_bin, ctrld_bin, "-d", state, "-R", run, "-I", pub,
		    "-P", "0", "-l", "warn", (char *)NULL);
		_exit(127);
	}
	/* the zt-vl1d halves in a child: root stays to clean up after */
	fflush(stdout);
	if ((bpid = fork()) == -1)
		fatal("fork");
	if (bpid == 0) {
		r = bc_serve(run, &vl1, &ctrl, pid);
		fflush(stdout);
		_exit(r);
	}
	waitpid(bpid, &status, 0);
	kill(pid, SIGTERM);
	waitpid(pid, &r, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("failed; logs and database kept in %s\n", tmp);
		return 1;
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	return system(path) == 0 ? 0 : 1;
}

static int
bc_serve(const char *run, const struct passwd *vl1,
    const struct passwd *ctrl, pid_t pid)
{
	static const struct ipc_handler handlers[] = {
		{ IPC_MSG_CTRL_SEND, bc_on_send },
		{ 0, NULL },
	};
	static const struct ipc_callbacks cb = {
		.handlers = handlers,
		.up = bc_up,
		.down = bc_down,
	};
	struct timeval tv = { 30, 0 };
	char path[PATH_MAX];
	struct ipc_config ic;
	int fd, r;

	/* this process is zt-vl1d's two halves: its user, as they run */
	if (setgroups(0, NULL) == -1 ||
	    setresgid(vl1->pw_gid, vl1->pw_gid, vl1->pw_gid) == -1 ||
	    setresuid(vl1->pw_uid, vl1->pw_uid, vl1->pw_uid) == -1)
		fatal("cannot become zt-vl1");
	if ((bc.base = ipc_event_base_new()) == NULL)
		fatalx("event base");
	ipc_config_init(&ic, IPC_ROLE_VL1D);
	ic.role_uid[IPC_ROLE_CONTROLLERD] = ctrl->pw_uid;
	if ((bc.ipc_vl1 = ipc_new(bc.base, &ic)) == NULL)
		fatalx("ipc");
	ipc_config_init(&ic, IPC_ROLE_KEYHOLDER);
	ic.role_uid[IPC_ROLE_CONTROLLERD] = ctrl->pw_uid;
	if ((bc.ipc_keys = ipc_new(bc.base, &ic)) == NULL)
		fatalx("ipc");
	if (snprintf(path, sizeof(path), "%s/%s", run, KEYSIGN_SOCKET) >=
	    (int)sizeof(path))
		fatalx("path too long");
	if ((fd = ipc_socket_listen(path, 0666, (gid_t)-1)) == -1 ||
	    keysign_start(&bc.ks, bc.ipc_keys, fd, &bc.controller) == -1)
		fatal("%s", path);
	if (snprintf(path, sizeof(path), "%s/zt-vl1d-ipc.sock", run) >=
	    (int)sizeof(path))
		fatalx("path too long");
	if ((fd = ipc_socket_listen(path, 0666, (gid_t)-1)) == -1 ||
	    (bc.listener = ipc_listener_new(bc.ipc_vl1, fd,
	    IPC_R(CONTROLLERD), &cb, NULL)) == NULL)
		fatal("%s", path);
	if ((bc.stall = evtimer_new(bc.base, bc_stalled, NULL)) == NULL)
		fatalx("events");
	/* zt-controllerd connects once it has started */
	evtimer_add(bc.stall, &tv);
	event_base_dispatch(bc.base);
	evtimer_del(bc.stall);
	/* its signing link comes up in the same start-up step */
	tv.tv_sec = 0;
	tv.tv_usec = 500 * 1000;
	event_base_loopexit(bc.base, &tv);
	event_base_dispatch(bc.base);
	printf("zt-controllerd connected; %zu members (network %016llx)\n",
	    bc.n, (unsigned long long)bc.nwid);
	for (r = 0; r < BC_ROUNDS; r++) {
		if (r > 0) {
			/* the loop runs on: the links stay served */
			tv.tv_sec = 1;
			tv.tv_usec = 100 * 1000;
			event_base_loopexit(bc.base, &tv);
			event_base_dispatch(bc.base);
		}
		bc_round(pid);
	}
	printf("signatures made by the key holder: %llu\n",
	    (unsigned long long)bc.ks.signed_total);
	keysign_stop(&bc.ks);
	ipc_free(bc.ipc_vl1);
	ipc_free(bc.ipc_keys);
	event_free(bc.stall);
	event_base_free(bc.base);
	identity_clear(&bc.controller);
	free(bc.m);
	return 0;
}
