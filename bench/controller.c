/*
 * bench-controller: zt-controllerd's store and HTTP API.  Figures:
 * the time to create 10,000 members through the HTTP API from 64
 * keep-alive clients (requests of one loop turn share a synced commit),
 * the same one request at a time, and the server's resident memory with
 * 100,000 members in one network while it serves their full lists.
 * Run by hand: bench-controller [dir] (default: a new directory in /tmp).
 * bench-controller config ...: config requests per second
 * (controller_config.c).
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "api.h"
#include "bench_ctrl.h"
#include "http.h"
#include "log.h"
#include "objects.h"
#include "store.h"

#define BENCH_SELF	0x8056c2e21cULL
#define BENCH_NWID	0x8056c2e21c000001ULL
#define BENCH_TOKEN	"benchtoken0123456789abcd"
#define BENCH_CREATE	10000
#define BENCH_TOTAL	100000
#define BENCH_BATCH	5000
#define BENCH_CLIENTS	64
#define BENCH_SERIAL	200

int64_t
bench_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
bench_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ctrl_store *
bench_open(const char *dir, struct ctrl_api *api)
{
	char path[512], err[256];
	struct ctrl_store *s;

	snprintf(path, sizeof(path), "%s/controller.db", dir);
	if ((s = ctrl_store_sqlite_open(path, NULL, err, sizeof(err))) ==
	    NULL)
		fatalx("%s", err);
	if (ctrl_api_init(api, s, BENCH_SELF, bench_clock) == -1)
		fatalx("tokens");
	return s;
}

/* the members that are not created through HTTP, in big transactions */
static void
bench_preload(const char *dir, unsigned int n)
{
	struct ctrl_api api;
	struct ctrl_store *s = bench_open(dir, &api);
	json_t *net = ctrl_network_new(BENCH_NWID, bench_clock()), *batch, *m;
	unsigned int i;

	json_object_set_new(net, "revision", json_integer(1));
	if (ctrl_api_token_set(&api, "bench", CTRL_SCOPE_ADMIN, BENCH_TOKEN,
	    "bench") != CTRL_STORE_OK)
		fatalx("token");
	for (i = 0; i < n; i += BENCH_BATCH) {
		unsigned int j;

		batch = json_array();
		for (j = i; j < i + BENCH_BATCH && j < n; j++) {
			m = ctrl_member_new(BENCH_NWID, 0x100000000ULL + j,
			    bench_clock());
			json_object_set_new(m, "authorized", json_true());
			json_object_set_new(m, "_mid",
			    json_integer((json_int_t)(0x100000000ULL + j)));
			json_array_append_new(batch, m);
		}
		if (s->ops->import(s, BENCH_NWID, net, batch, "bench") !=
		    CTRL_STORE_OK)
			fatalx("preload");
		json_decref(batch);
	}
	json_decref(net);
	ctrl_api_free(&api);
	ctrl_store_close(s);
}

static void
bench_serve(const char *dir, int fd)
{
	struct ctrl_api api;
	struct event_base *base = event_base_new();
	struct ctrl_http *h;
	uint16_t port;

	bench_open(dir, &api);
	/* as zt-controllerd runs it: one synced commit per loop turn */
	if (ctrl_api_group_commit(&api, base) == -1)
		fatalx("group commit");
	if ((h = ctrl_http_new(base, &api, "127.0.0.1", 0)) == NULL)
		fatalx("http");
	port = ctrl_http_port(h);
	if (write(fd, &port, sizeof(port)) != sizeof(port))
		fatalx("pipe");
	close(fd);
	event_base_dispatch(base);
	_exit(0);
}

static uint16_t bench_port;

/* a TCP connection to the server under test */
static int
bench_conn_open(void)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(bench_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fatal("connect");
	return fd;
}

static int
bench_http(const char *method, const char *path, const char *body,
    size_t *rlen)
{
	char hdr[512], buf[65536];
	size_t blen = body != NULL ? strlen(body) : 0;
	ssize_t n;
	int fd, status = -1;

	*rlen = 0;
	fd = bench_conn_open();
	snprintf(hdr, sizeof(hdr), "%s %s HTTP/1.1\r\nHost: l\r\n"
	    "Connection: close\r\nX-ZT1-Auth: %s\r\nContent-Length: %zu\r\n"
	    "\r\n%s", method, path, BENCH_TOKEN, blen, body != NULL ? body :
	    "");
	if (write(fd, hdr, strlen(hdr)) != (ssize_t)strlen(hdr))
		fatal("write");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (*rlen == 0 && sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
			status = -1;
		*rlen += (size_t)n;
	}
	close(fd);
	return status;
}

/*
 * BENCH_CLIENTS keep-alive connections, each with one request in
 * flight, as UIs and scripts drive the API: member i is created by a
 * POST on whichever connection is free.  Returns the failures.
 */
struct bench_conn {
	int		 fd;
	char		 in[8192];
	size_t		 inlen;
	bool		 busy;
};

static void
bench_conn_post(struct bench_conn *c, unsigned int i)
{
	static const char body[] = "{\"authorized\":true}";
	char req[512];
	int n;

	n = snprintf(req, sizeof(req), "POST /controller/network/%016llx/"
	    "member/%010llx HTTP/1.1\r\nHost: l\r\nX-ZT1-Auth: %s\r\n"
	    "Content-Length: %zu\r\n\r\n%s", (unsigned long long)BENCH_NWID,
	    (unsigned long long)(0x200000000ULL + i), BENCH_TOKEN,
	    sizeof(body) - 1, body);
	if (write(c->fd, req, (size_t)n) != n)
		fatal("write");
	c->busy = true;
	c->inlen = 0;
}

/* a complete response in c->in: its status, else 0 */
static int
bench_conn_done(struct bench_conn *c)
{
	char *end, *cl;
	size_t hlen, blen;
	int status;

	c->in[c->inlen] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return 0;
	hlen = (size_t)(end - c->in) + 4;
	if ((cl = strstr(c->in, "Content-Length:")) == NULL || cl > end)
		fatalx("response without Content-Length");
	blen = strtoul(cl + 15, NULL, 10);
	if (c->inlen < hlen + blen)
		return 0;
	if (c->inlen > hlen + blen)
		fatalx("more than one response");
	if (sscanf(c->in, "HTTP/1.%*d %d", &status) != 1)
		fatalx("bad status line");
	return status;
}

static unsigned int
bench_create_concurrent(unsigned int total, unsigned int nconn)
{
	struct bench_conn *c = calloc(nconn, sizeof(*c));
	struct pollfd *p = calloc(nconn, sizeof(*p));
	unsigned int next = 0, done = 0, failed = 0, k;
	ssize_t n;
	int status;

	if (c == NULL || p == NULL)
		fatal("calloc");
	for (k = 0; k < nconn; k++) {
		c[k].fd = bench_conn_open();
		p[k].fd = c[k].fd;
		p[k].events = POLLIN;
		if (next < total)
			bench_conn_post(&c[k], next++);
	}
	while (done < total) {
		if (poll(p, nconn, 10000) <= 0)
			fatalx("server stalled");
		for (k = 0; k < nconn; k++) {
			if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(c[k].fd, c[k].in + c[k].inlen,
			    sizeof(c[k].in) - 1 - c[k].inlen);
			if (n <= 0)
				fatalx("connection %u closed", k);
			c[k].inlen += (size_t)n;
			if ((status = bench_conn_done(&c[k])) == 0)
				continue;
			if (status != 200)
				failed++;
			done++;
			c[k].busy = false;
			if (next < total)
				bench_conn_post(&c[k], next++);
		}
	}
	for (k = 0; k < nconn; k++)
		close(c[k].fd);
	free(c);
	free(p);
	return failed;
}

/* CPU seconds (user + system) of a process so far */
double
bench_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%lu %lu", &ut, &st);
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long
bench_rss_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	char tmp[] = "/tmp/bench-controller.XXXXXX", path[128];
	const char *dir = argc > 1 ? argv[1] : mkdtemp(tmp);
	unsigned int i;
	int pfd[2], status;
	size_t len;
	double t0, t1, c0, c1;
	pid_t pid;

	log_init("bench-controller", LOG_LVL_WARN);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "config") == 0)
		return bench_config(argc, argv);
	if (dir == NULL)
		fatal("mkdtemp");
	bench_preload(dir, BENCH_TOTAL - BENCH_CREATE - BENCH_SERIAL);
	if (pipe(pfd) == -1)
		fatal("pipe");
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		bench_serve(dir, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &bench_port, sizeof(bench_port)) !=
	    sizeof(bench_port))
		fatalx("server did not start");
	printf("server RSS with %u members stored: %ld kB\n",
	    BENCH_TOTAL - BENCH_CREATE - BENCH_SERIAL,
	    bench_rss_kb(pid, "VmRSS"));
	t0 = bench_secs();
	c0 = bench_cpu(pid);
	if ((i = bench_create_concurrent(BENCH_CREATE, BENCH_CLIENTS)) != 0)
		fatalx("%u member creates failed", i);
	t1 = bench_secs();
	c1 = bench_cpu(pid);
	printf("create %u members through HTTP, %u keep-alive clients: "
	    "%.2f s (%.0f per second; target <= 3 s); server CPU %.2f s "
	    "(%.0f us per create)\n", BENCH_CREATE, BENCH_CLIENTS, t1 - t0,
	    BENCH_CREATE / (t1 - t0), c1 - c0, (c1 - c0) * 1e6 /
	    BENCH_CREATE);
	/* one client, one request at a time: a commit each */
	t0 = bench_secs();
	for (i = 0; i < BENCH_SERIAL; i++) {
		snprintf(path, sizeof(path),
		    "/controller/network/%016llx/member/%010llx",
		    (unsigned long long)BENCH_NWID,
		    (unsigned long long)(0x300000000ULL + i));
		if (bench_http("POST", path, "{\"authorized\":true}", &len) !=
		    200)
			fatalx("member create %u failed", i);
	}
	t1 = bench_secs();
	printf("create %u members one at a time: %.2f s (%.1f ms each)\n",
	    BENCH_SERIAL, t1 - t0, (t1 - t0) * 1000 / BENCH_SERIAL);
	snprintf(path, sizeof(path), "/controller/network/%016llx/member",
	    (unsigned long long)BENCH_NWID);
	t0 = bench_secs();
	if (bench_http("GET", path, NULL, &len) != 200)
		fatalx("member list failed");
	printf("GET member list of %u: %.2f s, %zu bytes\n", BENCH_TOTAL,
	    bench_secs() - t0, len);
	snprintf(path, sizeof(path),
	    "/unstable/controller/network/%016llx/member",
	    (unsigned long long)BENCH_NWID);
	t0 = bench_secs();
	if (bench_http("GET", path, NULL, &len) != 200)
		fatalx("full member list failed");
	printf("GET full member objects of %u: %.2f s, %zu bytes\n",
	    BENCH_TOTAL, bench_secs() - t0, len);
	printf("server RSS at %u members: %ld kB now, %ld kB peak\n",
	    BENCH_TOTAL, bench_rss_kb(pid, "VmRSS"),
	    bench_rss_kb(pid, "VmHWM"));
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (argc == 1) {
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		if (system(path) != 0)
			return 1;
	}
	return 0;
}
