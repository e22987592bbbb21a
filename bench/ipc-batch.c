/*
 * bench-ipc-batch: the zt-vl2d -> zt-vl1d hop with and without batched
 * IPC (ipc_conn_set_batch, ipc_conn_cork).  A sender process corks 32
 * VL2_SEND messages per event callback; a receiver process in its own
 * event loop counts them.  Prints messages/s and the CPU time of both
 * processes per message.  Run by hand; never a timed test.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "log.h"

#define ROUND	32

struct bench_side {
	struct event_base	*base;
	struct ipc_conn		*conn;
	unsigned long		 count;
	unsigned long		 want;
	bool			 up;
};

static void
b_up(struct ipc_conn *c, void *arg)
{
	struct bench_side *s = arg;

	s->up = true;
	s->conn = c;
}

static void
b_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct bench_side *s = arg;

	s->conn = NULL;
	event_base_loopbreak(s->base);
}

static int
b_recv(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct bench_side *s = arg;

	rbuf_skip(&m->body, rbuf_remaining(&m->body));
	if (++s->count == s->want)
		event_base_loopbreak(s->base);
	return 0;
}

static struct ipc *
b_ipc(struct event_base *base, enum ipc_role self)
{
	struct ipc_config cfg;
	struct ipc *ipc;
	int i;

	ipc_config_init(&cfg, self);
	for (i = 1; i < IPC_ROLE_COUNT; i++)
		cfg.role_uid[i] = getuid();
	if ((ipc = ipc_new(base, &cfg)) == NULL)
		fatalx("ipc_new");
	return ipc;
}

static double
tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the receiver: counts want messages, then exits */
static void
b_child(int fd, unsigned int batch, unsigned long want)
{
	static const struct ipc_handler h[] = {
		{ IPC_MSG_VL2_SEND, b_recv }, { 0, NULL } };
	struct ipc_callbacks cb = { h, b_up, b_down, NULL, NULL };
	struct bench_side s = { 0 };
	struct ipc_conn *c;
	struct ipc *ipc;

	s.base = ipc_event_base_new();
	s.want = want;
	ipc = b_ipc(s.base, IPC_ROLE_VL1D);
	if ((c = ipc_conn_open(ipc, fd, IPC_R(VL2D), IPC_CONN_TRUSTED, &cb,
	    &s)) == NULL || ipc_conn_set_batch(c, batch) == -1)
		fatalx("child conn");
	event_base_dispatch(s.base);
	_exit(s.count == want ? 0 : 1);
}

static void
b_run(unsigned int batch, size_t size, unsigned long n)
{
	struct ipc_callbacks cb = { NULL, b_up, b_down, NULL, NULL };
	struct bench_side s = { 0 };
	struct rusage ru0, ru1, cru;
	struct ipc_conn *c;
	struct ipc *ipc;
	double t0, t, cpu;
	unsigned long sent = 0, i;
	uint8_t *msg;
	int sv[2], st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == -1 || (msg = calloc(1, size)) == NULL)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sv[1]);
		b_child(sv[0], batch, n);
	}
	close(sv[0]);
	s.base = ipc_event_base_new();
	ipc = b_ipc(s.base, IPC_ROLE_VL2D);
	if ((c = ipc_conn_open(ipc, sv[1], IPC_R(VL1D), IPC_CONN_TRUSTED, &cb,
	    &s)) == NULL || ipc_conn_set_batch(c, batch) == -1)
		fatalx("conn");
	while (!s.up)
		event_base_loop(s.base, EVLOOP_ONCE);
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_s();
	while (sent < n && s.conn != NULL) {
		/* one TAP drain's worth of messages leaves together */
		ipc_conn_cork(c, true);
		for (i = 0; i < ROUND && sent < n; i++, sent++)
			if (ipc_send(c, IPC_MSG_VL2_SEND, 1, msg, size) == -1)
				fatalx("send");
		ipc_conn_cork(c, false);
		while (s.conn != NULL && ipc_conn_queued(c) > 512 * 1024)
			event_base_loop(s.base, EVLOOP_ONCE);
	}
	while (s.conn != NULL && ipc_conn_queued(c) > 0)
		event_base_loop(s.base, EVLOOP_ONCE);
	if (wait4(pid, &st, 0, &cru) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		fatalx("receiver failed");
	t = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru1);
	cpu = tv_s(ru1.ru_utime) + tv_s(ru1.ru_stime) - tv_s(ru0.ru_utime) -
	    tv_s(ru0.ru_stime) + tv_s(cru.ru_utime) + tv_s(cru.ru_stime);
	printf("batch %2u, %6zu B messages: %9.0f msg/s %6.2f Gbit/s, "
	    "%6.2f us CPU per message (both processes)\n", batch, size,
	    (double)n / t, (double)n * (double)size * 8 / t / 1e9,
	    cpu / (double)n * 1e6);
	ipc_free(ipc);
	event_base_free(s.base);
	free(msg);
}

int
main(void)
{
	static const size_t sizes[] = { 1500, 16384 };
	static const unsigned int batches[] = { 1, 8, 16 };
	size_t i, j;

	log_init("bench-ipc-batch", LOG_LVL_WARN);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(batches) / sizeof(batches[0]); j++)
			b_run(batches[j], sizes[i], sizes[i] < 4096 ?
			    400000 : 100000);
	return 0;
}
