#include <sys/socket.h>

#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipcutil.h"
#include "log.h"
#include "test.h"

bool
test_loop_until(struct event_base *base, const bool *flag, int ms)
{
	struct timeval tv = { 0, 5000 };
	int64_t end = log_now_ms() + ms;

	/* short slices, so that a set flag ends the wait within 5 ms */
	while (!*flag && log_now_ms() < end) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return *flag;
}

void
test_loop_for(struct event_base *base, int ms)
{
	bool never = false;

	test_loop_until(base, &never, ms);
}

int
test_count_fds(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	REQUIRE((d = opendir("/proc/self/fd")) != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

struct ipc *
test_ipc_new(struct event_base *base, enum ipc_role self, int hello_ms)
{
	struct ipc_config cfg;
	struct ipc *ipc;
	int i;

	ipc_config_init(&cfg, self);
	for (i = 1; i < IPC_ROLE_COUNT; i++)
		cfg.role_uid[i] = getuid();
	cfg.hello_ms = hello_ms;
	REQUIRE((ipc = ipc_new(base, &cfg)) != NULL);
	return ipc;
}

void
test_seqpacket_pair(int sv[2])
{
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv) == 0);
}

size_t
test_raw_frame(uint8_t *out, size_t cap, uint16_t type, uint8_t flags,
    uint8_t reserved, uint32_t lenfield, uint32_t id, const void *p, size_t n)
{
	struct wbuf w;

	wbuf_init(&w, out, cap);
	wbuf_put_u16(&w, type);
	wbuf_put_u8(&w, flags);
	wbuf_put_u8(&w, reserved);
	wbuf_put_u32(&w, lenfield);
	wbuf_put_u32(&w, id);
	wbuf_put_bytes(&w, p, n);
	REQUIRE(!wbuf_failed(&w));
	return wbuf_len(&w);
}

int
test_raw_send(int fd, const void *p, size_t n, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr	 h;
		uint8_t		 b[CMSG_SPACE(sizeof(int) * 16)];
	} cm;
	struct iovec iov = { (void *)p, n };
	struct msghdr mh;
	struct cmsghdr *c;

	if (nfds > 16)
		return -1;
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

int
test_raw_hello(int fd, uint8_t role, uint16_t version, bool trailing)
{
	uint8_t body[4] = { role, version >> 8, version & 0xff, 0 };
	uint8_t f[64];

	return test_raw_send(fd, f, test_raw_frame(f, sizeof(f),
	    IPC_MSG_HELLO, 0, 0, trailing ? 4 : 3, 0, body, trailing ? 4 : 3),
	    NULL, 0);
}

void
test_link_up(struct ipc_conn *c, void *arg)
{
	struct test_link *l = arg;

	l->up = true;
	l->conn = c;
}

void
test_link_down(struct ipc_conn *c, enum ipc_err reason, void *arg)
{
	struct test_link *l = arg;

	l->down = true;
	l->reason = reason;
	l->conn = NULL;
}
