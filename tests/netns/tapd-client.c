/*
 * A tiny zt-vl2d stand-in for test-tapd.sh: one TAP_* request per run,
 * over the real IPC library, in the VL2D role.  Started as root it
 * first becomes user zt-vl2 (with group zt for the socket), as zt-tapd
 * accepts the VL2D role only from that uid.
 *
 * usage: tapd-client RUNDIR open NWID MAC MTU [frame]
 *        tapd-client RUNDIR link NWID IFNAME MTU UP
 *        tapd-client RUNDIR addrs NWID IFNAME [CIDR...]
 *        tapd-client RUNDIR routes NWID IFNAME [TARGET[,VIA]...]
 *        tapd-client RUNDIR close NWID IFNAME
 *        tapd-client RUNDIR mcast IFNAME
 *        tapd-client RUNDIR raw TYPE HEXBODY
 * Prints the reply.  Exit: 0 done, 3 refused (ERROR with a code),
 * 4 connection closed by zt-tapd, 1 anything else.
 */
#define _GNU_SOURCE
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "hex.h"
#include "ipc.h"
#include "log.h"
#include "policy.h"

struct client {
	struct event_base	*base;
	int			 argc;
	char			**argv;
	int			 rc;
	bool			 done;
};

static void
client_finish(struct client *cl, int rc)
{
	cl->rc = rc;
	cl->done = true;
	event_base_loopbreak(cl->base);
}

static int
client_nwid(const char *s, uint64_t *nwid)
{
	return strlen(s) == 16 && hex_parse_u64(s, 16, nwid) == 0 ? 0 : -1;
}

static int
client_ref(struct tapd_dev_ref *d, const char *nwid, const char *ifname)
{
	memset(d, 0, sizeof(*d));
	if (client_nwid(nwid, &d->nwid) == -1 ||
	    strlen(ifname) >= sizeof(d->ifname))
		return -1;
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	return 0;
}

/* the request as the command line describes it, or -1 */
static int
client_build(struct client *cl, struct wbuf *w, uint16_t *type)
{
	static struct tapd_addrs_req a;
	static struct tapd_routes_req r;
	char **v = cl->argv, *comma;
	struct tapd_open_req o;
	struct tapd_link_req l;
	struct tapd_dev_ref d;
	int n = cl->argc, i;
	uint8_t *raw;
	size_t rawlen;

	if ((n == 4 || n == 5) && strcmp(v[0], "open") == 0) {
		*type = IPC_MSG_TAP_OPEN_REQ;
		memset(&o, 0, sizeof(o));
		if (client_nwid(v[1], &o.nwid) == -1 ||
		    mac_parse(v[2], &o.mac) == -1)
			return -1;
		o.mtu = (uint16_t)atoi(v[3]);
		return tapd_open_req_put(w, &o);
	}
	if (n == 5 && strcmp(v[0], "link") == 0) {
		*type = IPC_MSG_TAP_SET_LINK;
		if (client_ref(&l.dev, v[1], v[2]) == -1)
			return -1;
		l.mtu = (uint16_t)atoi(v[3]);
		l.up = atoi(v[4]) != 0;
		return tapd_link_req_put(w, &l);
	}
	if (n >= 3 && n - 3 <= TAPD_ADDRS_MAX && strcmp(v[0], "addrs") == 0) {
		*type = IPC_MSG_TAP_SET_ADDRS;
		if (client_ref(&a.dev, v[1], v[2]) == -1)
			return -1;
		for (a.n = 0, i = 3; i < n; i++)
			if (inetaddr_parse_cidr(&a.addrs[a.n++], v[i]) == -1)
				return -1;
		return tapd_addrs_req_put(w, &a);
	}
	if (n >= 3 && n - 3 <= TAPD_ROUTES_MAX &&
	    strcmp(v[0], "routes") == 0) {
		*type = IPC_MSG_TAP_SET_ROUTES;
		if (client_ref(&r.dev, v[1], v[2]) == -1)
			return -1;
		for (r.n = 0, i = 3; i < n; i++, r.n++) {
			inetaddr_clear(&r.routes[r.n].via);
			if ((comma = strchr(v[i], ',')) != NULL) {
				*comma++ = '\0';
				if (inetaddr_parse(&r.routes[r.n].via,
				    comma) == -1)
					return -1;
			}
			if (inetaddr_parse_cidr(&r.routes[r.n].target,
			    v[i]) == -1)
				return -1;
		}
		return tapd_routes_req_put(w, &r);
	}
	if (n == 3 && strcmp(v[0], "close") == 0) {
		*type = IPC_MSG_TAP_CLOSE;
		if (client_ref(&d, v[1], v[2]) == -1)
			return -1;
		return tapd_dev_ref_put(w, &d);
	}
	if (n == 3 && strcmp(v[0], "raw") == 0) {
		*type = (uint16_t)atoi(v[1]);
		if (hex_decode_alloc(v[2], 4096, &raw, &rawlen) == -1)
			return -1;
		wbuf_put_bytes(w, raw, rawlen);
		free(raw);
		return wbuf_failed(w) ? -1 : 0;
	}
	return -1;
}

static void
client_up(struct ipc_conn *c, void *arg)
{
	struct client *cl = arg;
	uint8_t buf[16384];
	uint16_t type;
	struct wbuf w;

	if (strcmp(cl->argv[0], "mcast") == 0)
		return;
	wbuf_init(&w, buf, sizeof(buf));
	if (client_build(cl, &w, &type) == -1) {
		fprintf(stderr, "tapd-client: bad arguments\n");
		client_finish(cl, 1);
		return;
	}
	if (ipc_send_wbuf(c, type, ipc_conn_next_id(c), &w) == -1) {
		fprintf(stderr, "tapd-client: cannot send\n");
		client_finish(cl, 1);
	}
}

static void
client_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct client *cl = arg;

	if (cl->done)
		return;
	printf("closed %s\n", ipc_err_str(e));
	client_finish(cl, 4);
}

static int
client_on_error(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct client *cl = arg;
	char text[1024];
	uint32_t code;

	if (ipc_error_get(&m->body, &code, text, sizeof(text)) == -1)
		return -1;
	if (code == 0)
		printf("ok\n");
	else
		printf("error %u %s\n", code, text);
	client_finish(cl, code == 0 ? 0 : 3);
	return 0;
}

/* a broadcast frame of a local experimental ethertype (IEEE 802) */
static int
client_write_frame(int fd, uint64_t mac)
{
	uint8_t f[60];

	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	mac_to_bytes(mac, f + 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, "zt-tapd test frame", 18);
	return write(fd, f, sizeof(f)) == (ssize_t)sizeof(f) ? 0 : -1;
}

static int
client_on_open(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct client *cl = arg;
	struct tapd_open_reply r;
	uint64_t mac = 0;
	int fd;

	if (tapd_open_reply_get(&m->body, &r) == -1 || m->nfds != 1 ||
	    (fd = ipc_msg_take_fd(m, 0)) == -1)
		return -1;
	mac_parse(cl->argv[2], &mac);
	printf("%s %u offloads 0x%x\n", r.ifname, r.ifindex, r.offloads);
	/* a TAP that is down refuses writes (EIO) */
	if (cl->argc == 5 && client_write_frame(fd, mac) == -1) {
		printf("write failed: %s\n", strerror(errno));
		close(fd);
		client_finish(cl, 1);
		return 0;
	}
	if (cl->argc == 5)
		printf("frame written\n");
	close(fd);
	client_finish(cl, 0);
	return 0;
}

static int
client_on_mcast(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	static struct tapd_mcast_report r;
	struct client *cl = arg;
	char s[MAC_STRLEN];
	unsigned int i;

	if (tapd_mcast_report_get(&m->body, &r) == -1)
		return -1;
	if (strcmp(cl->argv[0], "mcast") != 0 ||
	    strcmp(r.dev.ifname, cl->argv[1]) != 0)
		return 0;
	for (i = 0; i < r.n; i++)
		printf("%s/%08x\n", mac_fmt(r.groups[i].mac, s),
		    r.groups[i].adi);
	client_finish(cl, 0);
	return 0;
}

static void
client_timeout(evutil_socket_t fd, short what, void *arg)
{
	printf("timeout\n");
	client_finish(arg, 1);
}

/* root becomes zt-vl2, keeping group zt to reach the socket */
static int
client_drop(void)
{
	struct passwd *pw;
	struct group *gr;
	gid_t zt;

	if (getuid() != 0)
		return 0;
	if ((pw = getpwnam("zt-vl2")) == NULL || (gr = getgrnam("zt")) ==
	    NULL)
		return -1;
	zt = gr->gr_gid;
	if (setgroups(1, &zt) == -1 || setresgid(pw->pw_gid, pw->pw_gid,
	    pw->pw_gid) == -1 || setresuid(pw->pw_uid, pw->pw_uid,
	    pw->pw_uid) == -1)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct ipc_handler handlers[] = {
		{ IPC_MSG_ERROR, client_on_error },
		{ IPC_MSG_TAP_OPEN_REPLY, client_on_open },
		{ IPC_MSG_TAP_MCAST_REPORT, client_on_mcast },
		{ 0, NULL },
	};
	static const struct ipc_callbacks cb = {
		.handlers = handlers,
		.up = client_up,
		.down = client_down,
	};
	struct client cl = { .rc = 1 };
	struct timeval tv = { 10, 0 };
	char path[PATH_MAX];
	struct ipc_config ic;
	struct passwd *pw;
	struct event *to;
	struct ipc *ipc;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: tapd-client RUNDIR COMMAND ...\n");
		return 1;
	}
	log_init("tapd-client", LOG_LVL_WARN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (client_drop() == -1) {
		fprintf(stderr, "tapd-client: cannot become zt-vl2\n");
		return 1;
	}
	cl.argc = argc - 2;
	cl.argv = argv + 2;
	if ((cl.base = ipc_event_base_new()) == NULL)
		return 1;
	ipc_config_init(&ic, IPC_ROLE_VL2D);
	if ((pw = getpwnam("zt-tap")) != NULL)
		ic.role_uid[IPC_ROLE_TAPD] = pw->pw_uid;
	if ((ipc = ipc_new(cl.base, &ic)) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/zt-tapd.sock", argv[1]);
	if ((fd = ipc_socket_connect(path)) == -1) {
		fprintf(stderr, "tapd-client: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	if (ipc_conn_open(ipc, fd, IPC_R(TAPD), 0, &cb, &cl) == NULL)
		return 1;
	to = evtimer_new(cl.base, client_timeout, &cl);
	evtimer_add(to, &tv);
	event_base_dispatch(cl.base);
	event_free(to);
	ipc_free(ipc);
	event_base_free(cl.base);
	return cl.rc;
}
