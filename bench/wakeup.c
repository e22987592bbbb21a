/*
 * bench-wakeup: what one hand-off between two sleeping processes costs on
 * this machine, the floor under zt-privsep's ping RTT.
 *
 * A ping between two members crosses nine sleeping tasks: the pinger's
 * TAP write wakes zt-vl2d, which wakes zt-vl1d, which wakes the other
 * node's zt-vl1d, then its zt-vl2d; the reply goes the same way back and
 * wakes the pinger (zt-vl1d -> zt-vl2d on each side, 8 daemon wake-ups
 * and the pinger's).  ZeroTier One, one process, takes about 5 (its TAP
 * and UDP threads).  This program passes a 1,400-byte message around a
 * ring of N tasks (SOCK_SEQPACKET socketpairs, each task blocked in
 * epoll_wait like the daemons' event loops), with a pause between rounds
 * so that the CPUs go idle as they do between pings, and prints the
 * round-trip time for:
 *   proc     N processes, scheduled where the kernel likes
 *   proc1    N processes kept on one CPU (no cross-CPU wake-ups)
 *   thread   N threads of one process (no address-space switch)
 * The work per hop is the daemons' minimum: epoll_wait, recv, send.  The
 * CPU time per hop (all tasks, user + system) is printed too: on a virtual
 * machine most of a hand-off's cost is the switch itself.
 * Run by hand on a quiet machine; never a timed test.
 *	bench-wakeup [-n tasks] [-g gap-us] [-r rounds]
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MSG_LEN		1400
#define MAX_TASKS	32

struct ring {
	int	fd[MAX_TASKS][2];	/* task i reads fd[i][1], writes fd[i+1][0] */
	int	n;
};

struct hop_arg {
	struct ring	*r;
	int		 i;
};

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* one daemon's turn: wait, take the message, pass it on; EOF ends it */
static void *
hop(void *arg)
{
	struct hop_arg *h = arg;
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int in = h->r->fd[h->i][1];
	int out = h->r->fd[(h->i + 1) % h->r->n][0];
	char buf[MSG_LEN];
	ssize_t len;
	int ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev) == -1) {
		perror("epoll");
		return NULL;
	}
	for (;;) {
		if (epoll_wait(ep, &got, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len = recv(in, buf, sizeof(buf), MSG_DONTWAIT);
		if (len == 0)
			break;
		if (len == -1)
			continue;
		if (send(out, buf, (size_t)len, 0) == -1)
			break;
	}
	close(ep);
	return NULL;
}

/* user + system seconds of this process and its waited-for children */
static double
cpu_us(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (self.ru_utime.tv_sec + kids.ru_utime.tv_sec +
	    self.ru_stime.tv_sec + kids.ru_stime.tv_sec) * 1e6 +
	    self.ru_utime.tv_usec + kids.ru_utime.tv_usec +
	    self.ru_stime.tv_usec + kids.ru_stime.tv_usec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
first_cpu(cpu_set_t *one)
{
	cpu_set_t all;
	int cpu;

	if (sched_getaffinity(0, sizeof(all), &all) == -1)
		return -1;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all)) {
			CPU_ZERO(one);
			CPU_SET(cpu, one);
			return 0;
		}
	return -1;
}

/* mode 0 processes, 1 processes on one CPU, 2 threads */
static int
run(int mode, int n, int gap, int rounds)
{
	static const char *const names[] = { "proc", "proc1", "thread" };
	struct ring r = { .n = n };
	struct hop_arg args[MAX_TASKS];
	pthread_t th[MAX_TASKS];
	pid_t pid[MAX_TASKS];
	char buf[MSG_LEN];
	double *t, sum = 0, cpu0, cpu;
	cpu_set_t one, saved;
	int i, k;

	if ((t = calloc((size_t)rounds, sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    r.fd[i]) == -1) {
			perror("socketpair");
			exit(1);
		}
	sched_getaffinity(0, sizeof(saved), &saved);
	if (mode == 1 && (first_cpu(&one) == -1 ||
	    sched_setaffinity(0, sizeof(one), &one) == -1)) {
		perror("sched_setaffinity");
		exit(1);
	}
	cpu0 = cpu_us();
	/* task 0 is this one: it times the rounds */
	for (i = 1; i < n; i++) {
		args[i].r = &r;
		args[i].i = i;
		if (mode == 2) {
			if (pthread_create(&th[i], NULL, hop, &args[i]) != 0) {
				fprintf(stderr, "pthread_create failed\n");
				exit(1);
			}
			continue;
		}
		if ((pid[i] = fork()) == -1) {
			perror("fork");
			exit(1);
		}
		if (pid[i] == 0) {
			/* only its own ends: EOF must reach it */
			for (k = 0; k < n; k++) {
				if (k != (i + 1) % n)
					close(r.fd[k][0]);
				if (k != i)
					close(r.fd[k][1]);
			}
			hop(&args[i]);
			_exit(0);
		}
	}
	memset(buf, 0x5a, sizeof(buf));
	/* a few rounds to fault everything in */
	for (k = -5; k < rounds; k++) {
		double t0;

		if (gap > 0)
			usleep((useconds_t)gap);
		t0 = now_us();
		if (send(r.fd[1 % n][0], buf, sizeof(buf), 0) == -1 ||
		    recv(r.fd[0][1], buf, sizeof(buf), 0) != MSG_LEN) {
			perror("ring");
			exit(1);
		}
		if (k >= 0)
			t[k] = now_us() - t0;
	}
	/* closing each ring's write end stops the task reading it */
	for (i = 0; i < n; i++)
		close(r.fd[i][0]);
	for (i = 1; i < n; i++) {
		if (mode == 2)
			pthread_join(th[i], NULL);
		else
			waitpid(pid[i], NULL, 0);
	}
	for (i = 0; i < n; i++)
		close(r.fd[i][1]);
	/* the 5 warm-up rounds count too */
	cpu = (cpu_us() - cpu0) / ((double)(rounds + 5) * n);
	sched_setaffinity(0, sizeof(saved), &saved);
	for (k = 0; k < rounds; k++)
		sum += t[k];
	qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
	printf("%-7s %5d %9.1f %9.1f %9.1f %9.1f %9.1f\n", names[mode], n,
	    sum / rounds, t[0], t[rounds / 2], sum / rounds / n, cpu);
	free(t);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench-wakeup [-n tasks] [-g gap-us] "
	    "[-r rounds]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int n = 9, gap = 10000, rounds = 200, ch, mode;
	char *end;
	long v;

	while ((ch = getopt(argc, argv, "n:g:r:")) != -1) {
		errno = 0;
		v = optarg != NULL ? strtol(optarg, &end, 10) : 0;
		if (errno != 0 || *end != '\0')
			usage();
		switch (ch) {
		case 'n':
			if (v < 2 || v > MAX_TASKS)
				usage();
			n = (int)v;
			break;
		case 'g':
			if (v < 0 || v > 1000000)
				usage();
			gap = (int)v;
			break;
		case 'r':
			if (v < 1 || v > 1000000)
				usage();
			rounds = (int)v;
			break;
		default:
			usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	printf("%d-task ring, %d-byte messages, %d rounds %d us apart\n",
	    n, MSG_LEN, rounds, gap);
	printf("%-7s %5s %9s %9s %9s %9s %9s\n", "mode", "tasks", "avg us",
	    "min us", "p50 us", "us/hop", "cpu/hop");
	for (mode = 0; mode < 3; mode++)
		run(mode, n, gap, rounds);
	return 0;
}
