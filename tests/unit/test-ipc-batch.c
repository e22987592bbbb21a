/*
 * Batched IPC (ipc_conn_set_batch, ipc_conn_cork): the zt-vl2d <->
 * zt-vl1d hop moves many frames per recvmmsg/sendmmsg and reads its
 * socket empty on each wake-up.  Frames arrive whole and in order,
 * with their fds; a malformed frame or EOF inside a batch ends the
 * connection where it stands; a handler may stop reading mid-batch.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipcutil.h"
#include "log.h"
#include "test.h"

static struct event_base *base;

/* a hand-made frame (header by hand, as a hostile peer writes it) */
static void
raw_send(int fd, uint16_t type, uint32_t id, const void *p, size_t n)
{
	uint8_t f[4096];

	REQUIRE(test_raw_send(fd, f, test_raw_frame(f, sizeof(f), type, 0, 0,
	    (uint32_t)n, id, p, n), NULL, 0) == 0);
}

/* message i's payload: its length and bytes follow from i */
static size_t
pay_len(uint32_t i, size_t span)
{
	return (size_t)(i * 37u) % span + 1;
}

static uint8_t
pay_byte(uint32_t i, size_t j)
{
	return (uint8_t)(i * 11u + j);
}

struct side {
	struct test_link link;		/* first: the up/down callbacks' arg */
	uint32_t	 count;		/* messages, in order */
	uint32_t	 bad;		/* out of order or wrong bytes */
	size_t		 span;
	uint32_t	 stop_at;	/* stop reading at this count (0: no) */
	int		 busy_rc;	/* set_batch from a handler */
	int		 busy_errno;
	uint32_t	 fds_ok;
};

/* runs the loop until *count reaches want or ms have passed */
static bool
loop_until_count(const uint32_t *count, uint32_t want, int ms)
{
	struct timeval tv = { 0, 5000 };
	int64_t end = log_now_ms() + ms;

	while (*count < want && log_now_ms() < end) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return *count >= want;
}

/* vl1d: checks order and bytes of every VL2_SEND */
static int
h_send(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;
	size_t n = rbuf_remaining(&m->body), j;
	const uint8_t *p;

	if (rbuf_get_ptr(&m->body, n, &p) == -1)
		return -1;
	if (m->id != s->count + 1 || n != pay_len(m->id, s->span))
		s->bad++;
	else
		for (j = 0; j < n; j++)
			if (p[j] != pay_byte(m->id, j)) {
				s->bad++;
				break;
			}
	s->count++;
	if (s->stop_at != 0 && s->count == s->stop_at) {
		ipc_conn_set_reading(c, false);
		errno = 0;
		s->busy_rc = ipc_conn_set_batch(c, 2);
		s->busy_errno = errno;
	}
	return 0;
}

/* vl2d: a TAP_OPEN_REPLY whose fd is a pipe holding the message id */
static int
h_reply(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;
	uint8_t b = 0;
	int fd;

	if (rbuf_skip(&m->body, rbuf_remaining(&m->body)) == -1)
		return -1;
	s->count++;
	/* odd ones are left to the library, which must close them */
	if (m->id % 2 == 1)
		return 0;
	if ((fd = ipc_msg_take_fd(m, 0)) == -1)
		return -1;
	if (read(fd, &b, 1) == 1 && b == (uint8_t)m->id)
		s->fds_ok++;
	close(fd);
	return 0;
}

static const struct ipc_handler h_vl1[] = {
	{ IPC_MSG_VL2_SEND, h_send }, { 0, NULL } };
static const struct ipc_handler h_vl2[] = {
	{ IPC_MSG_TAP_OPEN_REPLY, h_reply }, { 0, NULL } };
static const struct ipc_handler h_none[] = { { 0, NULL } };

/* a vl2d sender and a vl1d receiver on a socketpair, both up */
static void
open_pair(struct ipc *vl1, struct ipc *vl2, struct side *rx, struct side *tx)
{
	static struct ipc_callbacks crx = { h_vl1, test_link_up,
	    test_link_down, NULL, NULL };
	static struct ipc_callbacks ctx = { h_none, test_link_up,
	    test_link_down, NULL, NULL };
	int sv[2];

	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(vl1, sv[0], IPC_R(VL2D), IPC_CONN_TRUSTED, &crx,
	    rx) != NULL);
	REQUIRE(ipc_conn_open(vl2, sv[1], IPC_R(VL1D), IPC_CONN_TRUSTED, &ctx,
	    tx) != NULL);
	REQUIRE(test_loop_until(base, &rx->link.up, 2000) &&
	    test_loop_until(base, &tx->link.up, 2000));
}

static void
send_n(struct side *tx, uint32_t from, uint32_t n, size_t span)
{
	static uint8_t buf[IPC_PAYLOAD_MAX];
	uint32_t i;
	size_t j, len;

	for (i = from; i < from + n; i++) {
		len = pay_len(i, span);
		for (j = 0; j < len; j++)
			buf[j] = pay_byte(i, j);
		REQUIRE(ipc_send(tx->link.conn, IPC_MSG_VL2_SEND, i, buf,
		    len) == 0);
	}
}

/*
 * Corked sends leave together; a batched reader takes everything that
 * waits in one wake-up, the default reader a burst.
 */
static void
test_drain(unsigned int batch)
{
	struct ipc *vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 1000),
	    *vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 1000);
	struct side rx = { 0 }, tx = { 0 };

	open_pair(vl1, vl2, &rx, &tx);
	rx.span = tx.span = 200;
	REQUIRE(ipc_conn_set_batch(rx.link.conn, batch) == 0);
	REQUIRE(ipc_conn_set_batch(tx.link.conn, batch) == 0);
	ipc_conn_cork(tx.link.conn, true);
	send_n(&tx, 1, 100, 200);
	test_loop_for(base, 30);
	CHECKF(rx.count == 0, "corked, yet %u arrived", rx.count);
	CHECK(ipc_conn_queued(tx.link.conn) > 100 * IPC_HDR_LEN);
	/* everything in the socket before the reader looks */
	ipc_conn_set_reading(rx.link.conn, false);
	ipc_conn_cork(tx.link.conn, false);
	CHECK(ipc_conn_queued(tx.link.conn) == 0);
	ipc_conn_set_reading(rx.link.conn, true);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	if (batch > 1)
		CHECKF(rx.count == 100, "batch %u: %u in one wake-up", batch,
		    rx.count);
	else
		CHECKF(rx.count > 0 && rx.count < 100, "default: %u in one "
		    "wake-up", rx.count);
	loop_until_count(&rx.count, 100, 2000);
	CHECK(rx.count == 100 && rx.bad == 0);

	/* large frames, more than the socket holds at once */
	rx.count = 0;
	rx.span = IPC_PAYLOAD_MAX;
	ipc_conn_cork(tx.link.conn, true);
	send_n(&tx, 1, 40, IPC_PAYLOAD_MAX);
	ipc_conn_cork(tx.link.conn, false);
	loop_until_count(&rx.count, 40, 10000);
	CHECKF(rx.count == 40 && rx.bad == 0, "big: %u, %u bad", rx.count,
	    rx.bad);
	CHECK(ipc_malformed_total(vl1) == 0 && !rx.link.down && !tx.link.down);
	ipc_free(vl1);
	ipc_free(vl2);
}

/* a handler stops reading mid-batch: what was taken is still handled */
static void
test_stop_mid_batch(void)
{
	struct ipc *vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 1000),
	    *vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 1000);
	struct side rx = { 0 }, tx = { 0 };

	open_pair(vl1, vl2, &rx, &tx);
	rx.span = tx.span = 100;
	REQUIRE(ipc_conn_set_batch(rx.link.conn, 8) == 0);
	ipc_conn_set_reading(rx.link.conn, false);
	send_n(&tx, 1, 20, 100);
	rx.stop_at = 3;
	ipc_conn_set_reading(rx.link.conn, true);
	loop_until_count(&rx.count, 8, 2000);
	test_loop_for(base, 30);
	CHECKF(rx.count == 8, "%u handled after the stop", rx.count);
	CHECK(rx.busy_rc == -1 && rx.busy_errno == EBUSY);
	rx.stop_at = 0;
	ipc_conn_set_reading(rx.link.conn, true);
	loop_until_count(&rx.count, 20, 2000);
	CHECK(rx.count == 20 && rx.bad == 0);
	/* back to one frame per syscall */
	CHECK(ipc_conn_set_batch(rx.link.conn, 1) == 0);
	send_n(&tx, 21, 5, 100);
	loop_until_count(&rx.count, 25, 2000);
	CHECK(rx.count == 25 && rx.bad == 0);
	errno = 0;
	CHECK(ipc_conn_set_batch(rx.link.conn, 0) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(ipc_conn_set_batch(rx.link.conn, IPC_BATCH_MAX + 1) == -1 &&
	    errno == EINVAL);
	CHECK(ipc_conn_set_batch(rx.link.conn, IPC_BATCH_MAX) == 0);
	send_n(&tx, 26, 5, 100);
	loop_until_count(&rx.count, 30, 2000);
	CHECK(rx.count == 30 && rx.bad == 0);
	ipc_free(vl1);
	ipc_free(vl2);
}

/*
 * A hostile peer's frames in one batch: HELLO, two good, an unknown
 * type, one more good.  The bad one ends the connection; nothing after
 * it is handled.  Then EOF right after frames.
 */
/*
 * A vl1d connection batching 8 frames whose vl2d end (sv[1]) is written
 * by hand, its HELLO already sent.
 */
static void
raw_peer(struct ipc *vl1, const struct ipc_callbacks *cb, struct side *rx,
    int sv[2])
{
	struct ipc_conn *c;

	test_seqpacket_pair(sv);
	REQUIRE((c = ipc_conn_open(vl1, sv[0], IPC_R(VL2D), IPC_CONN_TRUSTED,
	    cb, rx)) != NULL);
	REQUIRE(ipc_conn_set_batch(c, 8) == 0);
	REQUIRE(test_raw_hello(sv[1], IPC_ROLE_VL2D, IPC_PROTO_VERSION,
	    false) == 0);
}

static void
test_bad_in_batch(void)
{
	static struct ipc_callbacks cb = { h_vl1, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc *vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 1000);
	struct side rx = { 0 };
	uint8_t p[64];
	int sv[2], i;

	/* before the first read: HELLO and the frames come in one batch */
	raw_peer(vl1, &cb, &rx, sv);
	rx.span = 50;
	for (i = 1; i <= 4; i++) {
		memset(p, 0, sizeof(p));
		for (size_t j = 0; j < pay_len((uint32_t)i, 50); j++)
			p[j] = pay_byte((uint32_t)i, j);
		raw_send(sv[1], i == 3 ? 999 : IPC_MSG_VL2_SEND, (uint32_t)i,
		    p, pay_len((uint32_t)i, 50));
	}
	test_loop_until(base, &rx.link.down, 2000);
	CHECK(rx.link.up && rx.link.down && rx.link.reason == IPC_E_TYPE);
	CHECK(rx.count == 2 && rx.bad == 0);
	CHECK(ipc_malformed_total(vl1) == 1);
	close(sv[1]);

	/* frames, then the peer hangs up: all handled, then EOF */
	memset(&rx, 0, sizeof(rx));
	rx.span = 50;
	raw_peer(vl1, &cb, &rx, sv);
	for (i = 1; i <= 3; i++) {
		for (size_t j = 0; j < pay_len((uint32_t)i, 50); j++)
			p[j] = pay_byte((uint32_t)i, j);
		raw_send(sv[1], IPC_MSG_VL2_SEND, (uint32_t)i, p,
		    pay_len((uint32_t)i, 50));
	}
	/*
	 * Our HELLO is read first: a unix socket closed with unread data
	 * resets its peer, and the reset is reported before queued frames.
	 */
	REQUIRE(recv(sv[1], p, sizeof(p), MSG_DONTWAIT) > 0);
	close(sv[1]);
	test_loop_until(base, &rx.link.down, 2000);
	CHECK(rx.link.up && rx.link.down && rx.link.reason == IPC_E_EOF);
	CHECK(rx.count == 3 && rx.bad == 0);
	ipc_free(vl1);
}

/* fds through sendmmsg and recvmmsg, each with its own frame */
static void
test_fds(void)
{
	static struct ipc_callbacks cv = { h_vl2, test_link_up,
	    test_link_down, NULL, NULL };
	static struct ipc_callbacks ct = { h_none, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc *tap = test_ipc_new(base, IPC_ROLE_TAPD, 1000),
	    *vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 1000);
	struct side sv2 = { 0 }, st = { 0 };
	int sv[2], p[2], before;
	uint8_t b;
	uint32_t i;

	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(tap, sv[0], IPC_R(VL2D), IPC_CONN_TRUSTED, &ct,
	    &st) != NULL);
	REQUIRE(ipc_conn_open(vl2, sv[1], IPC_R(TAPD), IPC_CONN_TRUSTED, &cv,
	    &sv2) != NULL);
	REQUIRE(test_loop_until(base, &sv2.link.up, 2000) &&
	    test_loop_until(base, &st.link.up, 2000));
	REQUIRE(ipc_conn_set_batch(st.link.conn, 4) == 0);
	REQUIRE(ipc_conn_set_batch(sv2.link.conn, 4) == 0);
	before = test_count_fds();
	ipc_conn_cork(st.link.conn, true);
	for (i = 1; i <= 10; i++) {
		REQUIRE(pipe(p) == 0);
		b = (uint8_t)i;
		REQUIRE(write(p[1], &b, 1) == 1);
		REQUIRE(ipc_send_fds(st.link.conn, IPC_MSG_TAP_OPEN_REPLY, i,
		    "tap0", 4, &p[0], 1) == 0);
		close(p[0]);
		close(p[1]);
	}
	ipc_conn_cork(st.link.conn, false);
	loop_until_count(&sv2.count, 10, 2000);
	CHECK(sv2.count == 10 && sv2.fds_ok == 5);
	CHECKF(test_count_fds() == before, "%d fds, %d before",
	    test_count_fds(), before);
	ipc_free(tap);
	ipc_free(vl2);
}

int
main(void)
{
	log_init("test-ipc-batch", LOG_LVL_WARN);
	REQUIRE((base = ipc_event_base_new()) != NULL);
	test_drain(1);
	test_drain(8);
	test_drain(IPC_BATCH_MAX);
	test_stop_mid_batch();
	test_bad_in_batch();
	test_fds();
	event_base_free(base);
	return test_main_end();
}
