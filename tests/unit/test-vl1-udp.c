/*
 * zt-vl1d's batched UDP (vl1d/udpbatch.c) over loopback: every datagram
 * of a mixed queue (runs for GSO, a short tail, two destinations, sizes
 * that break runs) arrives intact, in order and with its own length, with
 * GSO on and off on the sender and GRO on and off on the receiver.  A
 * kernel that refuses GSO messages is played by a sendmmsg of our own:
 * the queue falls back to plain datagrams, and a refusal that says "no
 * GSO here" turns GSO off for good, so it is met (and logged) once.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "udpbatch.h"

#define NPLAN	80

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif

/* errno for GSO messages (0: the real kernel decides), and how many */
static int refuse_gso;
static unsigned int gso_refused;

static bool
msg_is_gso(struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == IPPROTO_UDP &&
		    c->cmsg_type == UDP_SEGMENT)
			return true;
	return false;
}

/*
 * Replaces libc's for udpbatch.c: like a kernel without UDP GSO (or a
 * device without checksum offload), it sends the messages before the
 * first GSO one and fails that one.
 */
int
sendmmsg(int fd, struct mmsghdr *mm, unsigned int n, int flags)
{
	unsigned int i;

	for (i = 0; refuse_gso != 0 && i < n; i++) {
		if (!msg_is_gso(&mm[i].msg_hdr))
			continue;
		if (i == 0) {
			gso_refused++;
			errno = refuse_gso;
			return -1;
		}
		n = i;
		break;
	}
	return (int)syscall(SYS_sendmmsg, fd, mm, n, flags);
}

/* the queue of one round: destination (0: A, 1: B) and size */
struct plan {
	int	 dest;
	size_t	 len;
};

static struct plan plan[NPLAN];
static size_t nplan;

static void
plan_add(int dest, size_t len, size_t count)
{
	while (count-- > 0 && nplan < NPLAN) {
		plan[nplan].dest = dest;
		plan[nplan].len = len;
		nplan++;
	}
}

/* bytes of datagram i: its number and a running pattern */
static void
fill(uint8_t *d, size_t len, size_t i, unsigned int round)
{
	size_t k;

	for (k = 0; k < len; k++)
		d[k] = (uint8_t)(i * 7 + k * 13 + round);
}

struct sink {
	size_t		 n;		/* datagrams seen */
	size_t		 want[NPLAN];	/* plan indices expected, in order */
	size_t		 nwant;
	unsigned int	 round;
	size_t		 bad;
	struct inetaddr	 from;
};

static void
sink_fn(void *arg, const struct inetaddr *from, uint8_t *d, size_t len)
{
	struct sink *s = arg;
	uint8_t exp[1500];
	size_t i;

	if (s->n >= s->nwant || !inetaddr_equal(from, &s->from)) {
		s->bad++;
		s->n++;
		return;
	}
	i = s->want[s->n++];
	fill(exp, plan[i].len, i, s->round);
	if (len != plan[i].len || memcmp(d, exp, len) != 0)
		s->bad++;
}

static int
udp_socket(struct inetaddr *bound)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, sz = 4 * 1024 * 1024;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	REQUIRE(fd != -1);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
	REQUIRE(inetaddr_from_sockaddr(bound, (struct sockaddr *)&sin,
	    sl) == 0);
	return fd;
}

/* reads from fd into s until it has all it expects or 2 s of silence */
static void
drain(int fd, struct udpb_rx *rx, struct udpb_stats *st, struct sink *s)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (s->n < s->nwant && poll(&pfd, 1, 2000) == 1)
		while (udpb_rx_read(fd, rx, st, sink_fn, s) > 0)
			;
}

static void
round_run(bool gso, bool gro, unsigned int round)
{
	struct udpb_tx tx;
	struct udpb_rx rxa, rxb;
	struct udpb_stats txs, rxsa, rxsb;
	struct sink sa, sb;
	struct inetaddr a, b, self;
	uint8_t d[1500];
	int fa, fb, fs, got;
	size_t i;

	memset(&txs, 0, sizeof(txs));
	memset(&rxsa, 0, sizeof(rxsa));
	memset(&rxsb, 0, sizeof(rxsb));
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	fs = udp_socket(&self);
	got = udpb_offload(fa, gro ? UDPB_GRO : 0);
	udpb_offload(fb, gro ? UDPB_GRO : 0);
	CHECKF(got == (gro ? UDPB_GRO : 0), "GRO %s not granted",
	    gro ? "on" : "off");
	got = udpb_offload(fs, gso ? UDPB_GSO : 0);
	CHECKF(got == (gso ? UDPB_GSO : 0), "GSO %s not granted",
	    gso ? "on" : "off");
	REQUIRE(udpb_tx_init(&tx, gso) == 0);
	REQUIRE(udpb_rx_init(&rxa, gro) == 0);
	REQUIRE(udpb_rx_init(&rxb, gro) == 0);
	sa.round = sb.round = round;
	sa.from = sb.from = self;
	for (i = 0; i < nplan; i++) {
		if (plan[i].dest == 0)
			sa.want[sa.nwant++] = i;
		else
			sb.want[sb.nwant++] = i;
		fill(d, plan[i].len, i, round);
		CHECK(udpb_tx_queue(fs, &tx, &txs, plan[i].dest == 0 ? &a : &b,
		    d, plan[i].len) == 0);
	}
	udpb_tx_flush(fs, &tx, &txs);
	CHECK(tx.n == 0);
	CHECKF(txs.tx_datagrams == nplan && txs.tx_dropped == 0,
	    "sent %llu of %zu", (unsigned long long)txs.tx_datagrams, nplan);
	/* GSO folds the runs into far fewer messages; without, one each */
	if (gso)
		CHECKF(txs.tx_messages < nplan / 2, "GSO made %llu messages",
		    (unsigned long long)txs.tx_messages);
	else
		CHECK(txs.tx_messages == nplan);
	drain(fa, &rxa, &rxsa, &sa);
	drain(fb, &rxb, &rxsb, &sb);
	CHECKF(sa.n == sa.nwant && sa.bad == 0,
	    "gso %d gro %d: A got %zu of %zu, %zu bad", gso, gro, sa.n,
	    sa.nwant, sa.bad);
	CHECKF(sb.n == sb.nwant && sb.bad == 0,
	    "gso %d gro %d: B got %zu of %zu, %zu bad", gso, gro, sb.n,
	    sb.nwant, sb.bad);
	/* with both on, the runs come up coalesced and are split here */
	if (gso && gro)
		CHECK(rxsa.rx_messages < rxsa.rx_datagrams);
	if (!gro)
		CHECK(rxsa.rx_messages == rxsa.rx_datagrams);
	udpb_tx_free(&tx);
	udpb_rx_free(&rxa);
	udpb_rx_free(&rxb);
	close(fa);
	close(fb);
	close(fs);
}

/*
 * Two flushes of the whole plan with GSO asked for and refused with e:
 * everything arrives both times; sticky errors are met once in all.
 */
static void
gso_refused_run(int e, bool sticky, unsigned int round)
{
	struct udpb_tx tx;
	struct udpb_rx rxa, rxb;
	struct udpb_stats txs, rxs;
	struct sink sa, sb;
	struct inetaddr a, b, self;
	uint8_t d[1500];
	int fa, fb, fs, pass;
	size_t i;

	fa = udp_socket(&a);
	fb = udp_socket(&b);
	fs = udp_socket(&self);
	REQUIRE(udpb_tx_init(&tx, true) == 0);
	REQUIRE(udpb_rx_init(&rxa, false) == 0);
	REQUIRE(udpb_rx_init(&rxb, false) == 0);
	refuse_gso = e;
	gso_refused = 0;
	for (pass = 0; pass < 2; pass++) {
		memset(&txs, 0, sizeof(txs));
		memset(&rxs, 0, sizeof(rxs));
		memset(&sa, 0, sizeof(sa));
		memset(&sb, 0, sizeof(sb));
		sa.round = sb.round = round;
		sa.from = sb.from = self;
		for (i = 0; i < nplan; i++) {
			if (plan[i].dest == 0)
				sa.want[sa.nwant++] = i;
			else
				sb.want[sb.nwant++] = i;
			fill(d, plan[i].len, i, round);
			CHECK(udpb_tx_queue(fs, &tx, &txs, plan[i].dest == 0 ?
			    &a : &b, d, plan[i].len) == 0);
		}
		udpb_tx_flush(fs, &tx, &txs);
		CHECKF(txs.tx_datagrams == nplan && txs.tx_dropped == 0,
		    "errno %d pass %d: sent %llu of %zu, %llu dropped", e,
		    pass, (unsigned long long)txs.tx_datagrams, nplan,
		    (unsigned long long)txs.tx_dropped);
		drain(fa, &rxa, &rxs, &sa);
		drain(fb, &rxb, &rxs, &sb);
		CHECKF(sa.n == sa.nwant && sa.bad == 0 && sb.n == sb.nwant &&
		    sb.bad == 0, "errno %d pass %d: got %zu+%zu of %zu, %zu "
		    "bad", e, pass, sa.n, sb.n, nplan, sa.bad + sb.bad);
	}
	if (sticky) {
		CHECKF(gso_refused == 1, "errno %d: GSO tried %u times", e,
		    gso_refused);
		CHECK(!tx.gso);
	} else {
		/* a refusal about one run only: later runs still try GSO */
		CHECKF(gso_refused > 2, "errno %d: GSO tried %u times", e,
		    gso_refused);
		CHECK(tx.gso);
	}
	refuse_gso = 0;
	udpb_tx_free(&tx);
	udpb_rx_free(&rxa);
	udpb_rx_free(&rxb);
	close(fa);
	close(fb);
	close(fs);
}

/* a datagram larger than any packet is refused on send, junk on receive */
static void
oversize(bool gro)
{
	struct udpb_tx tx;
	struct udpb_rx rx;
	struct udpb_stats st;
	struct sink s;
	struct inetaddr a, self;
	struct sockaddr_storage ss;
	struct pollfd pfd;
	static uint8_t big[UDPB_DGRAM_MAX + 100];
	socklen_t sl;
	int fa, fs;

	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	fa = udp_socket(&a);
	fs = udp_socket(&self);
	udpb_offload(fa, gro ? UDPB_GRO : 0);
	REQUIRE(udpb_tx_init(&tx, false) == 0);
	REQUIRE(udpb_rx_init(&rx, gro) == 0);
	CHECK(udpb_tx_queue(fs, &tx, &st, &a, big, sizeof(big)) == -1);
	CHECK(tx.n == 0);
	REQUIRE(inetaddr_to_sockaddr(&a, &ss, &sl) == 0);
	REQUIRE(sendto(fs, big, sizeof(big), 0, (struct sockaddr *)&ss,
	    sl) == (ssize_t)sizeof(big));
	pfd.fd = fa;
	pfd.events = POLLIN;
	REQUIRE(poll(&pfd, 1, 2000) == 1);
	CHECK(udpb_rx_read(fa, &rx, &st, sink_fn, &s) == 1);
	CHECK(st.rx_truncated == 1);
	CHECK(s.n == 0);
	/* nothing waiting is not an error */
	CHECK(udpb_rx_read(fa, &rx, &st, sink_fn, &s) == 0);
	udpb_tx_free(&tx);
	udpb_rx_free(&rx);
	close(fa);
	close(fs);
}

int
main(void)
{
	unsigned int round = 0;
	int gso, gro;

	plan_add(0, 1428, 40);	/* one GSO run ... */
	plan_add(0, 1000, 1);	/* ... ending in a shorter datagram */
	plan_add(1, 1428, 5);	/* another destination */
	plan_add(0, 300, 3);
	plan_add(0, 1428, 2);	/* a longer one starts a new run */
	plan_add(0, 28, 1);
	plan_add(0, 0, 1);	/* empty datagrams exist too */
	plan_add(1, 1428, 27);	/* past UDPB_TX_MAX: a flush mid-queue */
	REQUIRE(nplan == NPLAN);
	for (gso = 0; gso < 2; gso++)
		for (gro = 0; gro < 2; gro++)
			round_run(gso, gro, round++);
	gso_refused_run(EIO, true, round++);
	gso_refused_run(ENOPROTOOPT, true, round++);
	gso_refused_run(EMSGSIZE, false, round++);
	oversize(false);
	oversize(true);
	return test_main_end();
}
