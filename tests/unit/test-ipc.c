#define _GNU_SOURCE	/* setresuid, setresgid */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_sync.h"
#include "ipcutil.h"
#include "log.h"
#include "test.h"

/* the uid and gid the root-only tests drop to */
#define NOBODY	65534

static struct event_base *base;

/* drains a raw end; true once the other side has closed */
static bool
raw_eof(int fd)
{
	uint8_t b[256];
	ssize_t n;

	while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC)) > 0)
		;
	return n == 0 || (n == -1 && errno == ECONNRESET);
}

static bool
loop_until_eof(int fd, int ms)
{
	int64_t end = log_now_ms() + ms;
	bool eof;

	while (!(eof = raw_eof(fd)) && log_now_ms() < end)
		test_loop_for(base, 5);
	return eof;
}

static void
test_catalogue(void)
{
	const struct ipc_type_info *t;
	unsigned int n = 0;

#define CHECK_ROW(nm, v, f, r, m, d, tot) do {			\
	t = ipc_type_lookup(v);						\
	CHECKF(t != NULL && strcmp(t->name, #nm) == 0 &&		\
	    t->from == (f) && t->to == (r) && t->max == (m) &&		\
	    t->nfds == (d) && t->total == (tot), "type %s", #nm);	\
	CHECK(strcmp(ipc_type_name(v), #nm) == 0);			\
	n++;								\
} while (0);
	IPC_MESSAGES(CHECK_ROW)
#undef CHECK_ROW
	CHECK(n == 29);
	CHECK(ipc_type_lookup(0) == NULL && ipc_type_lookup(999) == NULL);
	CHECK(strcmp(ipc_type_name(999), "unknown") == 0);
	CHECK(ipc_type_lookup(IPC_MSG_TAP_OPEN_REPLY)->nfds == 1);
	CHECK(ipc_type_lookup(IPC_MSG_CTL_REPLY)->total >= 64 << 20);
	CHECK(strcmp(ipc_role_name(IPC_ROLE_TAPD), "zt-tapd") == 0);
	CHECK(strcmp(ipc_role_name(IPC_ROLE_COUNT), "none") == 0);
	CHECK(strcmp(ipc_err_str(IPC_E_TRUNC), "truncated") == 0);
	CHECK(strcmp(ipc_err_str(IPC_E_COUNT), "unknown error") == 0);
}

static void
test_role_check(void)
{
	struct ipc_config cfg;

	ipc_config_init(&cfg, IPC_ROLE_VL1D);
	cfg.role_uid[IPC_ROLE_VL2D] = 1001;
	cfg.role_uid[IPC_ROLE_TAPD] = 0;
	CHECK(ipc_role_check(&cfg, IPC_ROLE_VL2D, 1001) == IPC_OK);
	CHECK(ipc_role_check(&cfg, IPC_ROLE_VL2D, 1002) == IPC_E_UID);
	CHECK(ipc_role_check(&cfg, IPC_ROLE_VL2D, 0) == IPC_E_UID);
	/* root may act only as zt-ctl, even when configured as a daemon */
	CHECK(ipc_role_check(&cfg, IPC_ROLE_TAPD, 0) == IPC_E_UID);
	CHECK(ipc_role_check(&cfg, IPC_ROLE_CTL, 0) == IPC_OK);
	CHECK(ipc_role_check(&cfg, IPC_ROLE_CTL, 4242) == IPC_OK);
	/* an unset role matches nobody, not even uid (uid_t)-1 */
	CHECK(ipc_role_check(&cfg, IPC_ROLE_CONTROLLERD, 1001) == IPC_E_UID);
	CHECK(ipc_role_check(&cfg, IPC_ROLE_CONTROLLERD, (uid_t)-1) ==
	    IPC_E_UID);
	CHECK(ipc_role_check(&cfg, IPC_ROLE_NONE, 1001) == IPC_E_ROLE);
	CHECK(ipc_role_check(&cfg, IPC_ROLE_COUNT, 1001) == IPC_E_ROLE);
}

static enum ipc_err
parse(const uint8_t *f, size_t n, size_t nfds, enum ipc_role from,
    enum ipc_role to)
{
	struct ipc_hdr h;
	struct rbuf body;

	return ipc_frame_parse(f, n, nfds, from, to, &h, &body);
}

static void
test_frame_parse(void)
{
	uint8_t f[IPC_FRAME_MAX + 64], p[2048];
	struct ipc_hdr h;
	struct rbuf body;
	size_t n, i;

	memset(p, 0x5a, sizeof(p));
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_SEND, 0, 0, 5, 77, p, 5);
	CHECK(ipc_frame_parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D, &h,
	    &body) == IPC_OK);
	CHECK(h.type == IPC_MSG_VL2_SEND && h.len == 5 && h.id == 77 &&
	    h.flags == 0 && rbuf_remaining(&body) == 5);
	for (i = 0; i < IPC_HDR_LEN; i++)
		CHECK(parse(f, i, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) ==
		    IPC_E_SHORT);
	CHECK(parse(f, n - 1, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) ==
	    IPC_E_LENGTH);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_SEND, 0, 0, 6, 1, p, 5);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_E_LENGTH);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_SEND, 0, 0, 0xffffffff, 1,
	    p, 5);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_E_LENGTH);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_WHOIS_REQ, 0, 0, 1025, 1,
	    p, 1025);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) ==
	    IPC_E_OVERSIZE);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_WHOIS_REQ, 0, 0, 1024, 1,
	    p, 1024);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_OK);
	n = test_raw_frame(f, sizeof(f), 999, 0, 0, 0, 1, p, 0);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_E_TYPE);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_CTRL_SEND, 0, 0, 1, 1, p, 1);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_E_ROLE);
	CHECK(parse(f, n, 0, IPC_ROLE_CONTROLLERD, IPC_ROLE_VL1D) == IPC_OK);
	CHECK(parse(f, n, 0, IPC_ROLE_CONTROLLERD, IPC_ROLE_VL2D) ==
	    IPC_E_ROLE);
	/* before HELLO the sender is unknown, the receiver still checked */
	CHECK(parse(f, n, 0, IPC_ROLE_NONE, IPC_ROLE_VL1D) == IPC_OK);
	CHECK(parse(f, n, 0, IPC_ROLE_NONE, IPC_ROLE_NONE) == IPC_E_ROLE);
	CHECK(parse(f, n, 0, IPC_ROLE_COUNT, IPC_ROLE_VL1D) == IPC_E_ROLE);
	CHECK(parse(f, n, 1, IPC_ROLE_CONTROLLERD, IPC_ROLE_VL1D) ==
	    IPC_E_FDS);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_TAP_OPEN_REPLY, 0, 0, 4, 1,
	    p, 4);
	CHECK(parse(f, n, 1, IPC_ROLE_TAPD, IPC_ROLE_VL2D) == IPC_OK);
	CHECK(parse(f, n, 0, IPC_ROLE_TAPD, IPC_ROLE_VL2D) == IPC_E_FDS);
	CHECK(parse(f, n, 2, IPC_ROLE_TAPD, IPC_ROLE_VL2D) == IPC_E_FDS);
	/* zt-tapd's settings: from zt-vl1d (the node API), never zt-vl2d */
	n = test_raw_frame(f, sizeof(f), IPC_MSG_TAPD_SETTINGS_SET, 0, 0, 10,
	    1, p, 10);
	CHECK(parse(f, n, 0, IPC_ROLE_VL1D, IPC_ROLE_TAPD) == IPC_OK);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_TAPD) == IPC_E_ROLE);
	CHECK(parse(f, n, 0, IPC_ROLE_CTL, IPC_ROLE_TAPD) == IPC_E_ROLE);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_TAPD_SETTINGS_GET, 0, 0, 10,
	    1, p, 10);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_TAPD) == IPC_E_ROLE);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_TAPD_SETTINGS_SET, 0, 0, 17,
	    1, p, 17);
	CHECK(parse(f, n, 0, IPC_ROLE_VL1D, IPC_ROLE_TAPD) ==
	    IPC_E_OVERSIZE);
	CHECK(ipc_type_lookup(IPC_MSG_TAPD_SETTINGS_GET)->max >=
	    2 + 8 * IPC_TAPD_SETTINGS_MAX);
	CHECK(ipc_type_lookup(IPC_MSG_TAPD_SETTINGS_REPLY)->max >=
	    2 + 9 * IPC_TAPD_SETTINGS_MAX);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_SEND, 0, 1, 1, 1, p, 1);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_E_FLAGS);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_SEND, 0x80, 0, 1, 1, p, 1);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_E_FLAGS);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_VL2_SEND, IPC_F_MORE, 0, 1, 1,
	    p, 1);
	CHECK(parse(f, n, 0, IPC_ROLE_VL2D, IPC_ROLE_VL1D) == IPC_E_FLAGS);
	n = test_raw_frame(f, sizeof(f), IPC_MSG_CTL_REQUEST, IPC_F_MORE, 0,
	    1, 1, p, 1);
	CHECK(parse(f, n, 0, IPC_ROLE_CTL, IPC_ROLE_TAPD) == IPC_OK);

	/* the header writer and the parser agree */
	{
		struct ipc_hdr w = { IPC_MSG_ERROR, 0, 3, 0xa1b2c3d4 };
		struct wbuf wb;

		wbuf_init(&wb, f, sizeof(f));
		CHECK(ipc_hdr_put(&wb, &w) == 0);
		wbuf_put_bytes(&wb, "abc", 3);
		CHECK(ipc_frame_parse(f, wbuf_len(&wb), 0, IPC_ROLE_TAPD,
		    IPC_ROLE_CTL, &h, &body) == IPC_OK);
		CHECK(h.id == 0xa1b2c3d4 && h.len == 3);
		CHECK_MEM(f, "\x00\x02\x00\x00\x00\x00\x00\x03\xa1\xb2\xc3\xd4",
		    IPC_HDR_LEN, "header layout");
	}
}

static void
test_fields(void)
{
	uint8_t buf[512], big[70000];
	const uint8_t *p;
	char s[8], text[64];
	enum ipc_role role;
	struct wbuf w;
	struct rbuf r;
	uint32_t code;
	size_t n;
	bool b;

	wbuf_init(&w, buf, sizeof(buf));
	ipc_put_str(&w, "tap0");
	ipc_put_bytes16(&w, "\x01\x02", 2);
	ipc_put_bytes32(&w, "\x03", 1);
	ipc_put_bool(&w, true);
	CHECK(!wbuf_failed(&w) && wbuf_len(&w) == 2 + 4 + 2 + 2 + 4 + 1 + 1);
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(ipc_get_str(&r, s, sizeof(s)) == 0 && strcmp(s, "tap0") == 0);
	CHECK(ipc_get_bytes16(&r, 2, &p, &n) == 0 && n == 2 && p[1] == 2);
	CHECK(ipc_get_bytes32(&r, 1, &p, &n) == 0 && n == 1 && p[0] == 3);
	CHECK(ipc_get_bool(&r, &b) == 0 && b);
	CHECK(rbuf_done(&r));

	/* a string that does not fit the caller's array */
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(ipc_get_str(&r, s, 4) == -1 && rbuf_failed(&r));
	CHECK(ipc_get_str(&r, s, 0) == -1);
	/* an embedded NUL */
	rbuf_init(&r, "\x00\x02" "a\0", 4);
	CHECK(ipc_get_str(&r, s, sizeof(s)) == -1 && rbuf_failed(&r));
	/* length claims past the end or over the cap */
	rbuf_init(&r, "\x00\x05" "ab", 4);
	CHECK(ipc_get_bytes16(&r, 100, &p, &n) == -1);
	rbuf_init(&r, "\x00\x00\x00\x03" "abc", 7);
	CHECK(ipc_get_bytes32(&r, 2, &p, &n) == -1);
	rbuf_init(&r, "\x02", 1);
	CHECK(ipc_get_bool(&r, &b) == -1 && rbuf_failed(&r));
	/* too long for a 16-bit length: the writer fails and stays failed */
	memset(big, 'x', sizeof(big));
	wbuf_init_dynamic(&w, sizeof(big) + 16);
	CHECK(ipc_put_bytes16(&w, big, sizeof(big)) == -1 && wbuf_failed(&w));
	CHECK(wbuf_put_u8(&w, 1) == -1);
	wbuf_free(&w);

	wbuf_init(&w, buf, sizeof(buf));
	CHECK(ipc_hello_put(&w, IPC_ROLE_TAPD) == 0 && wbuf_len(&w) == 3);
	rbuf_init(&r, buf, 3);
	CHECK(ipc_hello_get(&r, &role) == IPC_OK && role == IPC_ROLE_TAPD);
	rbuf_init(&r, "\x05\x00\x03", 3);
	CHECK(ipc_hello_get(&r, &role) == IPC_E_VERSION);
	rbuf_init(&r, "\x05\x00\x02\x00", 4);
	CHECK(ipc_hello_get(&r, &role) == IPC_E_HELLO);
	rbuf_init(&r, "\x07\x00\x02", 3);
	CHECK(ipc_hello_get(&r, &role) == IPC_E_HELLO);
	rbuf_init(&r, "\x00\x00\x02", 3);
	CHECK(ipc_hello_get(&r, &role) == IPC_E_HELLO);
	rbuf_init(&r, "\x05\x00", 2);
	CHECK(ipc_hello_get(&r, &role) == IPC_E_HELLO);

	wbuf_init(&w, buf, sizeof(buf));
	CHECK(ipc_error_put(&w, 22, "no such network") == 0);
	rbuf_init(&r, buf, wbuf_len(&w));
	CHECK(ipc_error_get(&r, &code, text, sizeof(text)) == 0 &&
	    code == 22 && strcmp(text, "no such network") == 0 &&
	    rbuf_done(&r));
}

static enum ipc_err
reasm_feed(struct ipc_reasm *ra, uint16_t type, uint8_t flags, uint32_t id,
    const uint8_t *p, size_t n, const uint8_t **msg, size_t *len)
{
	struct ipc_hdr h = { type, flags, (uint32_t)n, id };
	struct rbuf body;

	rbuf_init(&body, p, n);
	return ipc_reasm_add(ra, &h, &body, msg, len);
}

static void
test_reasm(void)
{
	static uint8_t big[64 * 1024];
	const uint8_t *msg;
	struct ipc_reasm ra;
	size_t len, i;
	enum ipc_err e = IPC_OK;

	ipc_reasm_init(&ra);
	CHECK(reasm_feed(&ra, IPC_MSG_CTL_REPLY, 0, 1, (const uint8_t *)"ab",
	    2, &msg, &len) == IPC_OK && len == 2 && memcmp(msg, "ab", 2) == 0);
	CHECK(reasm_feed(&ra, IPC_MSG_CTL_REPLY, IPC_F_MORE, 2,
	    (const uint8_t *)"abc", 3, &msg, &len) == IPC_OK && msg == NULL);
	CHECK(reasm_feed(&ra, IPC_MSG_CTL_REPLY, IPC_F_MORE, 2,
	    (const uint8_t *)"de", 2, &msg, &len) == IPC_OK && msg == NULL);
	CHECK(reasm_feed(&ra, IPC_MSG_CTL_REPLY, 0, 2, NULL, 0, &msg,
	    &len) == IPC_OK && len == 5 && memcmp(msg, "abcde", 5) == 0);
	/* a part of another message in between */
	CHECK(reasm_feed(&ra, IPC_MSG_CTL_REPLY, IPC_F_MORE, 3,
	    (const uint8_t *)"a", 1, &msg, &len) == IPC_OK);
	CHECK(reasm_feed(&ra, IPC_MSG_CTL_REPLY, 0, 4, (const uint8_t *)"a",
	    1, &msg, &len) == IPC_E_SEQUENCE);
	CHECK(reasm_feed(&ra, IPC_MSG_ERROR, 0, 3, (const uint8_t *)"a",
	    1, &msg, &len) == IPC_E_SEQUENCE);
	ipc_reasm_clear(&ra);
	/* an empty part that is not the last */
	CHECK(reasm_feed(&ra, IPC_MSG_CTL_REQUEST, IPC_F_MORE, 5, NULL, 0,
	    &msg, &len) == IPC_E_REASSEMBLY);
	ipc_reasm_clear(&ra);
	/* parts beyond the type's total cap */
	for (i = 0; i <= (1024 * 1024) / sizeof(big) && e == IPC_OK; i++)
		e = reasm_feed(&ra, IPC_MSG_CTL_REQUEST, IPC_F_MORE, 6, big,
		    sizeof(big), &msg, &len);
	CHECK(e == IPC_E_REASSEMBLY && i == 17);
	ipc_reasm_clear(&ra);
}

/*
 * Round trips between two processes' views in this one: a vl2d side
 * and a vl1d side on a socketpair, with and without fds.
 */
struct side {
	struct test_link link;		/* first: the up/down callbacks' arg */
	bool		 got;
	uint32_t	 id;
	uint8_t		 data[64];
	size_t		 len;
	int		 fd;
	size_t		 big_len;
	bool		 big_ok;
};

/* vl1d: answers a batch with a received batch of the same bytes */
static int
h_vl2_send(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	const uint8_t *p;
	size_t n;

	if (ipc_get_bytes16(&m->body, 64, &p, &n) == -1)
		return -1;
	return ipc_send(c, IPC_MSG_VL2_RECV, m->id, p, n);
}

static int
h_vl2_recv(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;

	s->len = rbuf_remaining(&m->body);
	s->id = m->id;
	s->got = rbuf_get_bytes(&m->body, s->data, s->len) == 0;
	return 0;
}

/* tapd: a pipe stands in for the TAP device */
static int
h_tap_open(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;
	uint64_t nwid;
	int p[2], rc;

	if (rbuf_get_u64(&m->body, &nwid) == -1)
		return -1;
	REQUIRE(pipe(p) == 0);
	rc = ipc_send_fds(c, IPC_MSG_TAP_OPEN_REPLY, m->id, "tap0", 4, &p[0],
	    1);
	close(p[0]);
	s->fd = p[1];
	return rc;
}

static int
h_tap_reply(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;

	s->got = rbuf_get_bytes(&m->body, s->data, 4) == 0;
	s->fd = ipc_msg_take_fd(m, 0);
	CHECK(ipc_msg_take_fd(m, 1) == -1);
	return 0;
}

/* one where the receiver leaves the fd to the library */
static int
h_tap_reply_ignore(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;

	s->got = rbuf_skip(&m->body, rbuf_remaining(&m->body)) == 0;
	return 0;
}

static void
test_roundtrip(void)
{
	static const struct ipc_handler h1[] = {
		{ IPC_MSG_VL2_SEND, h_vl2_send }, { 0, NULL } };
	static const struct ipc_handler h2[] = {
		{ IPC_MSG_VL2_RECV, h_vl2_recv }, { 0, NULL } };
	struct ipc_callbacks cb1 = { h1, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc_callbacks cb2 = { h2, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc *vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 300),
	    *vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 300);
	struct side s1 = { 0 }, s2 = { 0 };
	static uint8_t body[2048];
	struct wbuf w;
	uint32_t id;
	int sv[2];

	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(vl1, sv[0], IPC_R(VL2D), IPC_CONN_TRUSTED, &cb1,
	    &s1) != NULL);
	REQUIRE(ipc_conn_open(vl2, sv[1], IPC_R(VL1D), IPC_CONN_TRUSTED, &cb2,
	    &s2) != NULL);
	CHECK(test_loop_until(base, &s2.link.up, 2000) &&
	    test_loop_until(base, &s1.link.up, 2000));
	REQUIRE(s1.link.conn != NULL && s2.link.conn != NULL);
	CHECK(ipc_conn_role(s1.link.conn) == IPC_ROLE_VL2D);
	CHECK(ipc_conn_role(s2.link.conn) == IPC_ROLE_VL1D);
	CHECK(ipc_conn_uid(s1.link.conn) == getuid());

	/* the library refuses what the catalogue does not let us send */
	CHECK(ipc_send(s2.link.conn, IPC_MSG_VL2_RECV, 1, "x", 1) == -1);
	CHECK(ipc_send(s2.link.conn, IPC_MSG_HELLO, 1, "x", 1) == -1);
	CHECK(ipc_send(s2.link.conn, 999, 1, "x", 1) == -1);
	CHECK(ipc_send(s2.link.conn, IPC_MSG_VL2_WHOIS_REQ, 1, body,
	    1025) == -1);

	wbuf_init(&w, body, sizeof(body));
	ipc_put_bytes16(&w, "frame", 5);
	id = ipc_conn_next_id(s2.link.conn);
	CHECK(id != 0);
	CHECK(ipc_send_wbuf(s2.link.conn, IPC_MSG_VL2_SEND, id, &w) == 0);
	CHECK(test_loop_until(base, &s2.got, 2000));
	CHECK(s2.id == id && s2.len == 5 && memcmp(s2.data, "frame", 5) == 0);
	CHECK(ipc_malformed_total(vl1) == 0 && ipc_malformed_total(vl2) == 0);

	/* a closed connection reports down on both sides */
	ipc_conn_close(s2.link.conn);
	CHECK(test_loop_until(base, &s2.link.down, 2000) &&
	    s2.link.reason == IPC_E_LOCAL);
	CHECK(test_loop_until(base, &s1.link.down, 2000) &&
	    s1.link.reason == IPC_E_EOF);
	ipc_free(vl1);
	ipc_free(vl2);
}

static void
test_fds(void)
{
	static const struct ipc_handler ht[] = {
		{ IPC_MSG_TAP_OPEN_REQ, h_tap_open }, { 0, NULL } };
	static const struct ipc_handler hv[] = {
		{ IPC_MSG_TAP_OPEN_REPLY, h_tap_reply }, { 0, NULL } };
	static const struct ipc_handler hv2[] = {
		{ IPC_MSG_TAP_OPEN_REPLY, h_tap_reply_ignore }, { 0, NULL } };
	struct ipc_callbacks cbt = { ht, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc_callbacks cbv = { hv, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc_callbacks cbv2 = { hv2, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc *tap = test_ipc_new(base, IPC_ROLE_TAPD, 300),
	    *vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 300);
	struct side st = { 0 }, sv2 = { 0 };
	uint8_t nwid[8] = { 0x8b, 0, 0, 0, 0, 0, 0, 1 };
	char got[8];
	int sv[2], nfds, pfd[2];

	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(tap, sv[0], IPC_R(VL2D), IPC_CONN_TRUSTED, &cbt,
	    &st) != NULL);
	REQUIRE(ipc_conn_open(vl2, sv[1], IPC_R(TAPD), IPC_CONN_TRUSTED, &cbv,
	    &sv2) != NULL);
	CHECK(test_loop_until(base, &sv2.link.up, 2000) &&
	    test_loop_until(base, &st.link.up, 2000));
	REQUIRE(sv2.link.conn != NULL);
	/* fds only where the catalogue says, and exactly as many */
	REQUIRE(pipe(pfd) == 0);
	CHECK(ipc_send_fds(sv2.link.conn, IPC_MSG_TAP_OPEN_REQ, 9, nwid, 8, pfd,
	    1) == -1);
	CHECK(ipc_send_fds(st.link.conn, IPC_MSG_TAP_OPEN_REPLY, 9, "x", 1, pfd,
	    2) == -1);
	CHECK(ipc_send(st.link.conn, IPC_MSG_TAP_OPEN_REPLY, 9, "x", 1) == -1);
	close(pfd[0]);
	close(pfd[1]);

	nfds = test_count_fds();
	sv2.fd = -1;
	CHECK(ipc_send(sv2.link.conn, IPC_MSG_TAP_OPEN_REQ, 9, nwid, 8) == 0);
	CHECK(test_loop_until(base, &sv2.got, 2000));
	REQUIRE(sv2.fd >= 0 && st.fd >= 0);
	CHECK(memcmp(sv2.data, "tap0", 4) == 0);
	CHECK(write(st.fd, "ping", 4) == 4);
	CHECK(read(sv2.fd, got, sizeof(got)) == 4 && memcmp(got, "ping",
	    4) == 0);
	CHECK(fcntl(sv2.fd, F_GETFD) == FD_CLOEXEC);
	close(sv2.fd);
	close(st.fd);
	CHECK(test_count_fds() == nfds);

	/* an fd the handler did not take is closed by the library */
	ipc_free(vl2);
	ipc_free(tap);
	tap = test_ipc_new(base, IPC_ROLE_TAPD, 300);
	vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 300);
	memset(&st, 0, sizeof(st));
	memset(&sv2, 0, sizeof(sv2));
	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(tap, sv[0], IPC_R(VL2D), IPC_CONN_TRUSTED, &cbt,
	    &st) != NULL);
	REQUIRE(ipc_conn_open(vl2, sv[1], IPC_R(TAPD), IPC_CONN_TRUSTED, &cbv2,
	    &sv2) != NULL);
	CHECK(test_loop_until(base, &sv2.link.up, 2000));
	nfds = test_count_fds();
	REQUIRE(sv2.link.conn != NULL);
	CHECK(ipc_send(sv2.link.conn, IPC_MSG_TAP_OPEN_REQ, 10, nwid, 8) == 0);
	CHECK(test_loop_until(base, &sv2.got, 2000));
	close(st.fd);
	CHECK(test_count_fds() == nfds);
	ipc_free(vl2);
	ipc_free(tap);
}

/*
 * Malformed input: a raw socket plays a vl2d or zt-ctl peer of a vl1d
 * connection.  Each case must close the connection, count one drop,
 * name the reason and leave no fd behind.
 */
static int
h_mal_send(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	uint8_t b;

	if (rbuf_get_u8(&m->body, &b) == -1 || b == 0xee)
		return -1;
	/* 0xef: reads one byte and leaves the rest */
	if (b == 0xef)
		return 0;
	return rbuf_skip(&m->body, rbuf_remaining(&m->body));
}

static int
h_mal_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	return rbuf_skip(&m->body, rbuf_remaining(&m->body));
}

struct mal_case {
	const char	*name;
	uint8_t		 hello;		/* role of the HELLO sent first */
	uint16_t	 type;
	uint8_t		 flags;
	uint8_t		 reserved;
	int		 lendelta;	/* header length minus real length */
	size_t		 len;
	uint8_t		 first;		/* first payload byte */
	size_t		 nfds;
	enum ipc_err	 want;
};

static const struct mal_case mal_cases[] = {
	{ "short header", IPC_ROLE_VL2D, 0, 0, 0, 0, 0, 0, 0, IPC_E_SHORT },
	{ "length mismatch +1", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0, 0, 1, 9,
	    0, 0, IPC_E_LENGTH },
	{ "length mismatch -1", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0, 0, -1, 9,
	    0, 0, IPC_E_LENGTH },
	{ "oversize", IPC_ROLE_VL2D, IPC_MSG_VL2_WHOIS_REQ, 0, 0, 0, 1025, 0,
	    0, IPC_E_OVERSIZE },
	{ "unknown type", IPC_ROLE_VL2D, 999, 0, 0, 0, 4, 0, 0, IPC_E_TYPE },
	{ "wrong sender role", IPC_ROLE_VL2D, IPC_MSG_CTRL_SEND, 0, 0, 0, 4,
	    0, 0, IPC_E_ROLE },
	{ "wrong receiver role", IPC_ROLE_VL2D, IPC_MSG_VL2_RECV, 0, 0, 0, 4,
	    0, 0, IPC_E_ROLE },
	{ "fd on a type that forbids it", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0,
	    0, 0, 4, 0, 1, IPC_E_FDS },
	{ "truncated frame", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0, 0, 0,
	    IPC_FRAME_MAX - IPC_HDR_LEN + 1, 0, 0, IPC_E_TRUNC },
	{ "truncated fds", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0, 0, 0, 4, 0,
	    IPC_FDS_MAX + 3, IPC_E_TRUNC },
	{ "reserved byte", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0, 1, 0, 4, 0, 0,
	    IPC_E_FLAGS },
	{ "unknown flag", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0x40, 0, 0, 4, 0,
	    0, IPC_E_FLAGS },
	{ "parts on a single-frame type", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND,
	    IPC_F_MORE, 0, 0, 4, 0, 0, IPC_E_FLAGS },
	{ "no HELLO first", 0, IPC_MSG_VL2_SEND, 0, 0, 0, 4, 0, 0,
	    IPC_E_SEQUENCE },
	{ "second HELLO", IPC_ROLE_VL2D, IPC_MSG_HELLO, 0, 0, 0, 3,
	    IPC_ROLE_VL2D, 0, IPC_E_SEQUENCE },
	{ "role not accepted here", IPC_ROLE_CONTROLLERD, IPC_MSG_VL2_SEND,
	    0, 0, 0, 4, 0, 0, IPC_E_ROLE },
	{ "handler refuses the body", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0, 0,
	    0, 4, 0xee, 0, IPC_E_BODY },
	{ "trailing bytes", IPC_ROLE_VL2D, IPC_MSG_VL2_SEND, 0, 0, 0, 4, 0xef,
	    0, IPC_E_BODY },
	{ "no handler", IPC_ROLE_VL2D, IPC_MSG_VL2_WHOIS_REQ, 0, 0, 0, 4, 0,
	    0, IPC_E_UNHANDLED },
	{ "empty part", IPC_ROLE_CTL, IPC_MSG_CTL_REQUEST, IPC_F_MORE, 0, 0,
	    0, 0, 0, IPC_E_REASSEMBLY },
};

static void
mal_run(const struct mal_case *mc)
{
	static const struct ipc_handler h[] = {
		{ IPC_MSG_VL2_SEND, h_mal_send },
		{ IPC_MSG_CTL_REQUEST, h_mal_ctl }, { 0, NULL } };
	struct ipc_callbacks cb = { h, test_link_up,
	    test_link_down, NULL, NULL };
	static uint8_t f[IPC_FRAME_MAX + 64], p[IPC_FRAME_MAX];
	struct ipc *vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 300);
	struct side s = { 0 };
	int sv[2], fds[16], nfds, pf[2];
	size_t n, i;

	for (i = 0; i < mc->nfds; i++) {
		REQUIRE(pipe(pf) == 0);
		fds[i] = pf[0];
		close(pf[1]);
	}
	test_seqpacket_pair(sv);
	nfds = test_count_fds();
	REQUIRE(ipc_conn_open(vl1, sv[0], IPC_R(VL2D) | IPC_R(CTL),
	    IPC_CONN_TRUSTED, &cb, &s) != NULL);
	if (mc->hello != 0)
		REQUIRE(test_raw_hello(sv[1], mc->hello, IPC_PROTO_VERSION,
		    false) == 0);
	memset(p, 0, sizeof(p));
	p[0] = mc->first;
	if (mc->type == IPC_MSG_HELLO) {
		p[1] = 0;
		p[2] = IPC_PROTO_VERSION;
	}
	if (mc->type == 0)
		n = 5;
	else
		n = test_raw_frame(f, sizeof(f), mc->type, mc->flags,
		    mc->reserved, (uint32_t)(mc->len + mc->lendelta), 1, p,
		    mc->len);
	if (mc->type == 0)
		memset(f, 0, n);
	CHECKF(test_raw_send(sv[1], f, n, fds, mc->nfds) == 0, "%s: send",
	    mc->name);
	for (i = 0; i < mc->nfds; i++)
		close(fds[i]);
	CHECKF(loop_until_eof(sv[1], 2000), "%s: not closed", mc->name);
	test_loop_for(base, 10);
	CHECKF(ipc_malformed_total(vl1) == 1, "%s: %llu drops", mc->name,
	    (unsigned long long)ipc_malformed_total(vl1));
	CHECKF(ipc_last_error(vl1) == mc->want, "%s: got %s", mc->name,
	    ipc_err_str(ipc_last_error(vl1)));
	if (mc->hello == IPC_ROLE_VL2D || mc->hello == IPC_ROLE_CTL)
		CHECKF(s.link.down && s.link.reason == mc->want, "%s: down",
		    mc->name);
	else
		CHECKF(!s.link.up && !s.link.down, "%s: up", mc->name);
	/* the library's end is gone, every received fd closed */
	CHECKF(test_count_fds() == nfds - 1 - (int)mc->nfds, "%s: fds %d vs %d",
	    mc->name, test_count_fds(), nfds - 1 - (int)mc->nfds);
	close(sv[1]);
	ipc_free(vl1);
}

static void
test_malformed(void)
{
	struct ipc_callbacks cb = { NULL, test_link_up,
	    test_link_down, NULL, NULL };
	struct side s = { 0 };
	struct ipc *vl1;
	uint8_t f[64];
	int sv[2];
	size_t i;

	for (i = 0; i < sizeof(mal_cases) / sizeof(mal_cases[0]); i++)
		mal_run(&mal_cases[i]);

	/* HELLO with another version, with a trailing byte, then silence */
	for (i = 0; i < 3; i++) {
		vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 300);
		test_seqpacket_pair(sv);
		REQUIRE(ipc_conn_open(vl1, sv[0], IPC_R(VL2D),
		    IPC_CONN_TRUSTED, &cb, &s) != NULL);
		if (i == 0)
			test_raw_hello(sv[1], IPC_ROLE_VL2D,
			    IPC_PROTO_VERSION + 1, false);
		else if (i == 1)
			test_raw_hello(sv[1], IPC_ROLE_VL2D, IPC_PROTO_VERSION,
			    true);
		CHECK(loop_until_eof(sv[1], 7000));
		CHECK(ipc_malformed_total(vl1) == 1);
		CHECK(ipc_last_error(vl1) == (i == 0 ? IPC_E_VERSION :
		    i == 1 ? IPC_E_HELLO : IPC_E_TIMEOUT));
		CHECK(!s.link.up);
		close(sv[1]);
		ipc_free(vl1);
	}

	/* parts of two messages interleaved */
	vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 300);
	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(vl1, sv[0], IPC_R(CTL), IPC_CONN_TRUSTED, &cb,
	    &s) != NULL);
	test_raw_hello(sv[1], IPC_ROLE_CTL, IPC_PROTO_VERSION, false);
	test_raw_send(sv[1], f, test_raw_frame(f, sizeof(f),
	    IPC_MSG_CTL_REQUEST, IPC_F_MORE, 0, 2, 7, "{}", 2), NULL, 0);
	test_raw_send(sv[1], f, test_raw_frame(f, sizeof(f),
	    IPC_MSG_CTL_REQUEST, 0, 0, 2, 8, "{}", 2), NULL, 0);
	CHECK(loop_until_eof(sv[1], 2000));
	CHECK(ipc_last_error(vl1) == IPC_E_SEQUENCE);
	close(sv[1]);
	ipc_free(vl1);
}

/* a reply of several MB arrives whole, in parts */
static int
h_ctl_request(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;
	uint8_t *big;
	size_t i;
	int rc;

	if (rbuf_skip(&m->body, rbuf_remaining(&m->body)) == -1)
		return -1;
	REQUIRE((big = malloc(s->big_len)) != NULL);
	for (i = 0; i < s->big_len; i++)
		big[i] = (uint8_t)(i * 7 + i / 65536);
	rc = ipc_send(c, IPC_MSG_CTL_REPLY, m->id, big, s->big_len);
	free(big);
	return rc;
}

static int
h_ctl_reply(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct side *s = arg;
	const uint8_t *p;
	size_t i, n = rbuf_remaining(&m->body);

	if (rbuf_get_ptr(&m->body, n, &p) == -1)
		return -1;
	s->big_ok = n == s->big_len;
	for (i = 0; i < n && s->big_ok; i++)
		s->big_ok = p[i] == (uint8_t)(i * 7 + i / 65536);
	s->got = true;
	return 0;
}

static void
test_multipart(void)
{
	static const struct ipc_handler hd[] = {
		{ IPC_MSG_CTL_REQUEST, h_ctl_request }, { 0, NULL } };
	static const struct ipc_handler hc[] = {
		{ IPC_MSG_CTL_REPLY, h_ctl_reply }, { 0, NULL } };
	struct ipc_callbacks cbd = { hd, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc_callbacks cbc = { hc, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc *d = test_ipc_new(base, IPC_ROLE_CONTROLLERD, 300);
	struct ipc *ctl = test_ipc_new(base, IPC_ROLE_CTL, 300);
	struct side sd = { 0 }, sc = { 0 };
	int sv[2];

	sd.big_len = sc.big_len = 5 * 1024 * 1024 + 123;
	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(d, sv[0], IPC_R(CTL), 0, &cbd, &sd) != NULL);
	REQUIRE(ipc_conn_open(ctl, sv[1], IPC_R(CONTROLLERD),
	    IPC_CONN_TRUSTED, &cbc, &sc) != NULL);
	CHECK(test_loop_until(base, &sc.link.up, 2000));
	REQUIRE(sc.link.conn != NULL);
	CHECK(ipc_send(sc.link.conn, IPC_MSG_CTL_REQUEST, 3,
	    "{\"cmd\":\"peers\"}",
	    15) == 0);
	CHECK(test_loop_until(base, &sc.got, 10000));
	CHECK(sc.big_ok);
	CHECK(ipc_malformed_total(d) == 0 && ipc_malformed_total(ctl) == 0);
	/* over the type's total cap it is refused at the sender */
	CHECK(ipc_send(sd.link.conn, IPC_MSG_CTL_REPLY, 4, "x",
	    64 * 1024 * 1024 + 1) == -1);
	ipc_free(d);
	ipc_free(ctl);
}

/*
 * zt-ctl's blocking client sends a request over one frame in parts: the
 * daemon side joins 300 KiB and answers; a request over the type's total
 * is refused before anything is sent, and the connection stays usable.
 */
#define SYNC_BIG	(300 * 1024)

struct sync_srv {
	struct test_link link;
	unsigned int	 requests;
};

static int
h_sync_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct sync_srv *sv = arg;
	const uint8_t *p;
	size_t i, n = rbuf_remaining(&m->body);
	bool ok;
	char text[64];

	if (rbuf_get_ptr(&m->body, n, &p) == -1)
		return -1;
	for (i = 0, ok = true; i < n && ok; i++)
		ok = p[i] == (uint8_t)(i * 13 + i / 4096);
	sv->requests++;
	snprintf(text, sizeof(text), "%zu %s", n, ok ? "ok" : "bad");
	return ipc_send(c, IPC_MSG_CTL_REPLY, m->id, text, strlen(text));
}

/* the client half, in a child: 0 when every step went as expected */
static int
sync_client(int fd)
{
	const struct ipc_type_info *t = ipc_type_lookup(IPC_MSG_CTL_REQUEST);
	struct ipc_sync s;
	uint8_t *big, *r = NULL;
	uint16_t rtype;
	size_t i, rlen, over;
	char want[64];
	int rc = 0;

	if (t == NULL || t->total <= SYNC_BIG)
		return 20;
	over = (size_t)t->total + 1;
	if ((big = malloc(over)) == NULL)
		return 21;
	for (i = 0; i < over; i++)
		big[i] = (uint8_t)(i * 13 + i / 4096);
	if (ipc_sync_open(&s, fd, IPC_ROLE_CTL, IPC_ROLE_CONTROLLERD,
	    5000) == -1) {
		free(big);
		return 22;
	}
	snprintf(want, sizeof(want), "%d ok", SYNC_BIG);
	if (ipc_sync_call(&s, IPC_MSG_CTL_REQUEST, big, SYNC_BIG, &rtype,
	    &r, &rlen) == -1)
		rc = 23;
	else if (rtype != IPC_MSG_CTL_REPLY || rlen != strlen(want) ||
	    memcmp(r, want, rlen) != 0)
		rc = 24;
	free(r);
	r = NULL;
	errno = 0;
	if (rc == 0 && (ipc_sync_call(&s, IPC_MSG_CTL_REQUEST, big, over,
	    &rtype, &r, &rlen) != -1 || errno != EMSGSIZE))
		rc = 25;
	free(r);
	r = NULL;
	/* nothing of the refused one reached the peer: the next is fine */
	snprintf(want, sizeof(want), "%u ok", t->max + 1);
	if (rc == 0 && (ipc_sync_call(&s, IPC_MSG_CTL_REQUEST, big,
	    t->max + 1, &rtype, &r, &rlen) == -1 ||
	    rtype != IPC_MSG_CTL_REPLY || rlen != strlen(want) ||
	    memcmp(r, want, rlen) != 0))
		rc = 26;
	free(r);
	ipc_sync_close(&s);
	free(big);
	return rc;
}

static void
test_sync_parts(void)
{
	static const struct ipc_handler hd[] = {
		{ IPC_MSG_CTL_REQUEST, h_sync_ctl }, { 0, NULL } };
	struct ipc_callbacks cbd = { hd, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc *d = test_ipc_new(base, IPC_ROLE_CONTROLLERD, 3000);
	struct sync_srv srv = { 0 };
	int sv[2], status = -1, tries;
	pid_t pid;

	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(d, sv[0], IPC_R(CTL), 0, &cbd, &srv) != NULL);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(sync_client(sv[1]));
	}
	REQUIRE(pid > 0);
	close(sv[1]);
	for (tries = 0; tries < 2000; tries++) {
		test_loop_for(base, 5);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (tries == 2000) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "sync client status %d", status);
	CHECKF(srv.requests == 2, "%u requests", srv.requests);
	CHECK(ipc_malformed_total(d) == 0);
	ipc_free(d);
}

/*
 * Backpressure: the producer stops at the high watermark of its queue
 * to a reader that does not read, and resumes at the low one.
 */
#define BP_MSGS		400
#define BP_SIZE		(60 * 1024)

struct bp {
	struct ipc_conn	*w;
	struct ipc_conn	*r;
	bool		 paused;
	unsigned int	 sent;
	unsigned int	 recvd;
	unsigned int	 highs;
	unsigned int	 lows;
	size_t		 peak;
	bool		 order_ok;
	bool		 done;
	struct event	*ev_slow;
};

static void
bp_produce(struct bp *b)
{
	static uint8_t buf[BP_SIZE];

	while (!b->paused && b->sent < BP_MSGS) {
		be32_put(buf, b->sent);
		if (ipc_send(b->w, IPC_MSG_VL2_SEND, b->sent, buf,
		    sizeof(buf)) == -1)
			break;
		b->sent++;
		if (ipc_conn_queued(b->w) > b->peak)
			b->peak = ipc_conn_queued(b->w);
	}
}

static void
bp_high(struct ipc_conn *c, void *arg)
{
	struct bp *b = arg;

	b->highs++;
	b->paused = true;
}

static void
bp_low(struct ipc_conn *c, void *arg)
{
	struct bp *b = arg;

	b->lows++;
	b->paused = false;
	bp_produce(b);
}

static void
bp_wake(evutil_socket_t fd, short what, void *arg)
{
	struct bp *b = arg;

	ipc_conn_set_reading(b->r, true);
}

/* a slow reader: every 50 frames it naps for a few ms */
static int
bp_read(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct timeval tv = { 0, 3000 };
	struct bp *b = arg;
	uint32_t seq;

	if (rbuf_get_u32(&m->body, &seq) == -1 ||
	    rbuf_skip(&m->body, BP_SIZE - 4) == -1)
		return -1;
	if (seq != b->recvd || m->id != seq)
		b->order_ok = false;
	if (++b->recvd == BP_MSGS)
		b->done = true;
	else if (b->recvd % 50 == 0) {
		ipc_conn_set_reading(c, false);
		event_add(b->ev_slow, &tv);
	}
	return 0;
}

static void
bp_up(struct ipc_conn *c, void *arg)
{
	struct bp *b = arg;

	if (ipc_conn_role(c) == IPC_ROLE_VL1D)
		b->w = c;
	else
		b->r = c;
}

static void
test_backpressure(void)
{
	static const struct ipc_handler hr[] = {
		{ IPC_MSG_VL2_SEND, bp_read }, { 0, NULL } };
	struct ipc_callbacks cbw = { NULL, bp_up, NULL, bp_high, bp_low };
	struct ipc_callbacks cbr = { hr, bp_up, NULL, NULL, NULL };
	struct ipc *vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 300),
	    *vl1 = test_ipc_new(base, IPC_ROLE_VL1D, 300);
	struct timeval tv = { 0, 100000 };
	struct bp b = { .order_ok = true };
	int sv[2];

	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(vl2, sv[0], IPC_R(VL1D), IPC_CONN_TRUSTED, &cbw,
	    &b) != NULL);
	REQUIRE(ipc_conn_open(vl1, sv[1], IPC_R(VL2D), IPC_CONN_TRUSTED, &cbr,
	    &b) != NULL);
	b.ev_slow = event_new(base, -1, 0, bp_wake, &b);
	test_loop_for(base, 20);
	REQUIRE(b.w != NULL && b.r != NULL);
	ipc_conn_set_watermarks(b.w, 128 * 1024, 512 * 1024);
	/* the reader sleeps first: the writer must stop at the mark */
	ipc_conn_set_reading(b.r, false);
	event_add(b.ev_slow, &tv);
	bp_produce(&b);
	CHECK(b.paused && b.highs == 1 && b.sent < BP_MSGS);
	CHECK(ipc_conn_queued(b.w) >= 512 * 1024);
	CHECK(test_loop_until(base, &b.done, 20000));
	CHECK(b.recvd == BP_MSGS && b.sent == BP_MSGS && b.order_ok);
	CHECK(b.highs >= 1 && b.lows >= 1);
	/* never more than one message over the high watermark */
	CHECK(b.peak < 512 * 1024 + BP_SIZE + 2 * IPC_HDR_LEN);
	CHECK(ipc_malformed_total(vl1) == 0);
	event_free(b.ev_slow);
	ipc_free(vl1);
	ipc_free(vl2);
}

/* the queue's hard cap closes a peer that never reads */
static void
test_queue_cap(void)
{
	static uint8_t buf[60 * 1024];
	struct ipc_config cfg;
	struct ipc_callbacks cb = { NULL, test_link_up,
	    test_link_down, NULL, NULL };
	struct side s = { 0 };
	struct ipc *vl2;
	int sv[2], i, rc = 0;

	ipc_config_init(&cfg, IPC_ROLE_VL2D);
	cfg.queue_max = 1024 * 1024;
	REQUIRE((vl2 = ipc_new(base, &cfg)) != NULL);
	test_seqpacket_pair(sv);
	REQUIRE(ipc_conn_open(vl2, sv[0], IPC_R(VL1D), IPC_CONN_TRUSTED, &cb,
	    &s) != NULL);
	test_raw_hello(sv[1], IPC_ROLE_VL1D, IPC_PROTO_VERSION, false);
	CHECK(test_loop_until(base, &s.link.up, 2000));
	for (i = 0; i < 100 && rc == 0; i++)
		rc = ipc_send(s.link.conn, IPC_MSG_VL2_SEND, 0, buf,
		    sizeof(buf));
	CHECK(rc == -1 && errno == ENOBUFS && i > 10);
	CHECK(test_loop_until(base, &s.link.down, 2000) &&
	    s.link.reason == IPC_E_QUEUE);
	close(sv[1]);
	ipc_free(vl2);
}

static char tmpdir[64];

static void
tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void
test_listen_socket(void)
{
	char path[128], file[128];
	struct stat st;
	int fd, fd2;

	tmp_path(path, sizeof(path), "ctl.sock");
	fd = ipc_socket_listen(path, 0660, getgid());
	REQUIRE(fd >= 0);
	REQUIRE(stat(path, &st) == 0);
	CHECK(S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0660);
	CHECK(st.st_gid == getgid());
	/* a live socket is not taken over */
	CHECK(ipc_socket_listen(path, 0660, (gid_t)-1) == -1 &&
	    errno == EADDRINUSE);
	close(fd);
	/* a stale one is */
	fd2 = ipc_socket_listen(path, 0600, (gid_t)-1);
	CHECK(fd2 >= 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	close(fd2);
	unlink(path);
	/* anything else at the path is left alone */
	tmp_path(file, sizeof(file), "plain");
	REQUIRE((fd = open(file, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	CHECK(ipc_socket_listen(file, 0660, (gid_t)-1) == -1 &&
	    errno == EEXIST);
	CHECK(unlink(file) == 0);
	CHECK(ipc_socket_connect(path) == -1);
	memset(file, 'a', sizeof(file) - 1);
	file[sizeof(file) - 1] = '\0';
	CHECK(ipc_socket_listen(file, 0660, (gid_t)-1) == -1 &&
	    errno == ENAMETOOLONG);
}

/* listener + SO_PEERCRED in one process: the uid decides */
static void
test_listener_uid(void)
{
	struct ipc_callbacks cb = { NULL, test_link_up,
	    test_link_down, NULL, NULL };
	struct ipc_config cfg;
	struct ipc *vl1, *vl2;
	struct side sl = { 0 }, sc = { 0 };
	char path[128];
	int fd, c;

	tmp_path(path, sizeof(path), "vl1d.sock");
	ipc_config_init(&cfg, IPC_ROLE_VL1D);
	cfg.role_uid[IPC_ROLE_VL2D] = getuid() + 1;
	REQUIRE((vl1 = ipc_new(base, &cfg)) != NULL);
	vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 300);
	REQUIRE((fd = ipc_socket_listen(path, 0660, getgid())) >= 0);
	REQUIRE(ipc_listener_new(vl1, fd, IPC_R(VL2D) | IPC_R(CTL), &cb,
	    &sl) != NULL);

	/* vl2d's role, another uid: refused */
	REQUIRE((c = ipc_socket_connect(path)) >= 0);
	REQUIRE(ipc_conn_open(vl2, c, IPC_R(VL1D), 0, &cb, &sc) != NULL);
	test_loop_for(base, 100);
	CHECK(!sl.link.up && ipc_malformed_total(vl1) == 1 &&
	    ipc_last_error(vl1) == IPC_E_UID);
	/* the listener answers HELLO only to peers it accepted */
	CHECK(!sc.link.up && ipc_malformed_total(vl2) == 0);
	ipc_free(vl1);

	/* the right uid: up on both sides */
	cfg.role_uid[IPC_ROLE_VL2D] = getuid();
	cfg.role_uid[IPC_ROLE_VL1D] = getuid();
	REQUIRE((vl1 = ipc_new(base, &cfg)) != NULL);
	REQUIRE((fd = ipc_socket_listen(path, 0660, getgid())) >= 0);
	REQUIRE(ipc_listener_new(vl1, fd, IPC_R(VL2D) | IPC_R(CTL), &cb,
	    &sl) != NULL);
	REQUIRE((c = ipc_socket_connect(path)) >= 0);
	REQUIRE(ipc_conn_open(vl2, c, IPC_R(VL1D), 0, &cb, &sc) != NULL);
	CHECK(test_loop_until(base, &sl.link.up, 2000) &&
	    test_loop_until(base, &sc.link.up, 2000));
	CHECK(ipc_malformed_total(vl1) == 0);
	ipc_free(vl1);
	ipc_free(vl2);
	unlink(path);
}

/* reconnect helper: no server yet, then one that drops the first conn */
struct rc_state {
	unsigned int	 ups;
	unsigned int	 downs;
	bool		 twice;
	bool		 server_up;
};

static void
rc_client_up(struct ipc_conn *c, void *arg)
{
	struct rc_state *r = arg;

	if (++r->ups == 2)
		r->twice = true;
}

static void
rc_client_down(struct ipc_conn *c, enum ipc_err e, void *arg)
{
	struct rc_state *r = arg;

	r->downs++;
}

static void
rc_server_up(struct ipc_conn *c, void *arg)
{
	struct rc_state *r = arg;

	if (!r->server_up)
		ipc_conn_close(c);
	r->server_up = true;
}

static void
test_reconnect(void)
{
	struct ipc_callbacks cbc = { NULL, rc_client_up, rc_client_down,
	    NULL, NULL };
	struct ipc_callbacks cbs = { NULL, rc_server_up, NULL, NULL, NULL };
	struct rc_state rc = { 0 };
	struct ipc *tap = test_ipc_new(base, IPC_ROLE_TAPD, 300),
	    *vl2 = test_ipc_new(base, IPC_ROLE_VL2D, 300);
	struct ipc_client *cl;
	char path[128];
	int fd;

	tmp_path(path, sizeof(path), "tapd.sock");
	REQUIRE((cl = ipc_client_new(vl2, path, IPC_ROLE_TAPD, &cbc, &rc)) !=
	    NULL);
	ipc_client_set_backoff(cl, 5, 40);
	test_loop_for(base, 100);
	CHECK(ipc_client_conn(cl) == NULL && rc.ups == 0);
	REQUIRE((fd = ipc_socket_listen(path, 0660, (gid_t)-1)) >= 0);
	REQUIRE(ipc_listener_new(tap, fd, IPC_R(VL2D), &cbs, &rc) != NULL);
	CHECK(test_loop_until(base, &rc.twice, 3000));
	CHECK(rc.downs == 1);
	CHECK(ipc_client_conn(cl) != NULL);
	ipc_client_free(cl);
	test_loop_for(base, 20);
	ipc_free(tap);
	ipc_free(vl2);
	unlink(path);
}

/*
 * As root: a child that dropped to nobody reaches the socket (group and
 * mode let it) but claims a daemon role: refused.  As zt-ctl it is
 * accepted.  Root itself may not claim a daemon role.
 */
static int
child_try(const char *path, uint8_t role)
{
	uint8_t b[64];
	struct timeval tv = { 3, 0 };
	ssize_t n;
	int fd, fl;

	if ((fd = ipc_socket_connect(path)) == -1)
		return -1;
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (test_raw_hello(fd, role, IPC_PROTO_VERSION, false) == -1)
		return -1;
	/* 0: closed on us without a HELLO; 1: accepted and answered */
	n = recv(fd, b, sizeof(b), 0);
	if (n == 0 || (n == -1 && errno == ECONNRESET)) {
		close(fd);
		return 0;
	}
	if (n != IPC_HDR_LEN + 3 || be16_get(b) != IPC_MSG_HELLO ||
	    test_raw_send(fd, b, test_raw_frame(b, sizeof(b),
	    IPC_MSG_CTL_REQUEST, 0, 0, 2, 1, "{}", 2), NULL, 0) == -1) {
		close(fd);
		return -1;
	}
	n = recv(fd, b, sizeof(b), 0);
	close(fd);
	return n > 0 && be16_get(b) == IPC_MSG_ERROR ? 1 : -1;
}

static int
h_root_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	if (rbuf_skip(&m->body, rbuf_remaining(&m->body)) == -1)
		return -1;
	return ipc_send_error(c, m->id, 0, "");
}

static void
test_root_uid(void)
{
	static const struct ipc_handler h[] = {
		{ IPC_MSG_CTL_REQUEST, h_root_ctl },
		{ IPC_MSG_VL2_SEND, h_root_ctl }, { 0, NULL } };
	struct ipc_callbacks cb = { h, NULL, NULL, NULL, NULL };
	struct ipc_config cfg;
	struct ipc *vl1;
	char path[128];
	int fd, status = 0, tries, rc;
	pid_t pid;

	tmp_path(path, sizeof(path), "root.sock");
	ipc_config_init(&cfg, IPC_ROLE_VL1D);
	cfg.role_uid[IPC_ROLE_VL2D] = NOBODY - 1;
	cfg.role_uid[IPC_ROLE_CONTROLLERD] = 0;
	REQUIRE((vl1 = ipc_new(base, &cfg)) != NULL);
	REQUIRE(chmod(tmpdir, 0711) == 0);
	REQUIRE((fd = ipc_socket_listen(path, 0660, NOBODY)) >= 0);
	REQUIRE(ipc_listener_new(vl1, fd, IPC_R(VL2D) | IPC_R(CONTROLLERD) |
	    IPC_R(CTL), &cb, NULL) != NULL);

	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) == -1 ||
		    setresgid(NOBODY, NOBODY, NOBODY) == -1 ||
		    setresuid(NOBODY, NOBODY, NOBODY) == -1 ||
		    getuid() != NOBODY)
			_exit(10);
		if (child_try(path, IPC_ROLE_VL2D) != 0)
			_exit(11);
		if (child_try(path, IPC_ROLE_CTL) != 1)
			_exit(12);
		_exit(0);
	}
	REQUIRE(pid > 0);
	for (tries = 0; tries < 1000; tries++) {
		test_loop_for(base, 5);
		if ((rc = waitpid(pid, &status, WNOHANG)) == pid)
			break;
	}
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %d", status);
	CHECK(ipc_malformed_total(vl1) == 1 &&
	    ipc_last_error(vl1) == IPC_E_UID);

	/* root claiming a daemon role, even one configured as uid 0 */
	{
		struct ipc *ctl = test_ipc_new(base, IPC_ROLE_CONTROLLERD, 300);
		struct ipc_callbacks cbc = { NULL, test_link_up,
		    test_link_down, NULL, NULL };
		struct side s = { 0 };
		int c;

		REQUIRE((c = ipc_socket_connect(path)) >= 0);
		REQUIRE(ipc_conn_open(ctl, c, IPC_R(VL1D),
		    IPC_CONN_TRUSTED, &cbc, &s) != NULL);
		test_loop_for(base, 100);
		CHECK(ipc_malformed_total(vl1) == 2 &&
		    ipc_last_error(vl1) == IPC_E_UID);
		ipc_free(ctl);
	}
	ipc_free(vl1);
	unlink(path);
	REQUIRE(chmod(tmpdir, 0700) == 0);
}

/* the rest runs unprivileged, so daemon roles can match our own uid */
static void
drop_root(void)
{
	REQUIRE(setgroups(0, NULL) == 0);
	REQUIRE(setresgid(NOBODY, NOBODY, NOBODY) == 0);
	REQUIRE(setresuid(NOBODY, NOBODY, NOBODY) == 0);
	/* LeakSanitizer's ptrace scan needs a dumpable process */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

int
main(void)
{
	log_init("test-ipc", LOG_LVL_WARN);
	REQUIRE((base = ipc_event_base_new()) != NULL);
	test_catalogue();
	test_role_check();
	test_frame_parse();
	test_fields();
	test_reasm();

	strcpy(tmpdir, "/tmp/test-ipc.XXXXXX");
	if (geteuid() == 0) {
		REQUIRE(mkdtemp(tmpdir) != NULL);
		test_root_uid();
		REQUIRE(rmdir(tmpdir) == 0);
		drop_root();
		strcpy(tmpdir, "/tmp/test-ipc.XXXXXX");
	} else
		fprintf(stderr, "not root: the forked wrong-uid test is "
		    "replaced by the in-process one\n");
	REQUIRE(mkdtemp(tmpdir) != NULL);

	test_roundtrip();
	test_fds();
	test_malformed();
	test_multipart();
	test_sync_parts();
	test_backpressure();
	test_queue_cap();
	test_listen_socket();
	test_listener_uid();
	test_reconnect();

	CHECK(rmdir(tmpdir) == 0);
	event_base_free(base);
	return test_main_end();
}
