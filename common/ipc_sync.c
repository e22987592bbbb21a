#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc_sync.h"
#include "log.h"

static int
ipc_sync_write(struct ipc_sync *s, uint16_t type, uint32_t id,
    const void *body, size_t len)
{
	uint8_t frame[IPC_FRAME_MAX];
	struct ipc_hdr h = { .type = type, .len = (uint32_t)len, .id = id };
	struct wbuf w;
	ssize_t n;

	wbuf_init(&w, frame, sizeof(frame));
	if (ipc_hdr_put(&w, &h) == -1 || wbuf_put_bytes(&w, body, len) == -1)
		return -1;
	do {
		n = send(s->fd, frame, wbuf_len(&w), MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	return n == (ssize_t)wbuf_len(&w) ? 0 : -1;
}

/* reads one frame into buf and checks it; returns its body */
static int
ipc_sync_read(struct ipc_sync *s, uint8_t *buf, struct ipc_hdr *h,
    struct rbuf *body, enum ipc_role from)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct msghdr mh;
	struct iovec iov = { .iov_base = buf, .iov_len = IPC_FRAME_MAX };
	enum ipc_err e;
	ssize_t n;
	int rc;

	do {
		rc = poll(&pfd, 1, s->timeout_ms);
	} while (rc == -1 && errno == EINTR);
	if (rc <= 0) {
		log_warnx("%s did not answer", ipc_role_name(s->peer));
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	do {
		n = recvmsg(s->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	/* no descriptor is ever expected here: a control part is an error */
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -1;
	e = ipc_frame_parse(buf, (size_t)n, 0, from, s->self, h, body);
	if (e != IPC_OK) {
		log_warnx("bad frame from %s: %s", ipc_role_name(s->peer),
		    ipc_err_str(e));
		return -1;
	}
	return 0;
}

int
ipc_sync_open(struct ipc_sync *s, int fd, enum ipc_role self,
    enum ipc_role peer, int timeout_ms)
{
	uint8_t buf[IPC_FRAME_MAX], hello[16];
	struct ipc_hdr h;
	struct rbuf body;
	struct wbuf w;
	enum ipc_role role;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->self = self;
	s->peer = peer;
	s->next_id = 1;
	s->timeout_ms = timeout_ms;
	ipc_reasm_init(&s->reasm);
	wbuf_init(&w, hello, sizeof(hello));
	if (ipc_hello_put(&w, self) == -1 ||
	    ipc_sync_write(s, IPC_MSG_HELLO, 0, hello, wbuf_len(&w)) == -1 ||
	    ipc_sync_read(s, buf, &h, &body, IPC_ROLE_NONE) == -1)
		goto fail;
	if (h.type != IPC_MSG_HELLO || ipc_hello_get(&body, &role) != IPC_OK ||
	    role != peer || !rbuf_done(&body)) {
		log_warnx("%s refused the connection", ipc_role_name(peer));
		goto fail;
	}
	return 0;
fail:
	close(fd);
	s->fd = -1;
	return -1;
}

int
ipc_sync_connect(struct ipc_sync *s, const char *path, enum ipc_role self,
    enum ipc_role peer, int timeout_ms)
{
	int fd;

	if ((fd = ipc_socket_connect(path)) == -1)
		return -1;
	/* the library's sockets are non-blocking; here we wait in poll */
	return ipc_sync_open(s, fd, self, peer, timeout_ms);
}

int
ipc_sync_call(struct ipc_sync *s, uint16_t type, const void *body,
    size_t len, uint16_t *rtype, uint8_t **reply, size_t *rlen)
{
	uint8_t *buf;
	const uint8_t *msg;
	struct ipc_hdr h;
	struct rbuf b;
	uint32_t id = s->next_id++;
	size_t mlen;

	if (s->fd == -1 || ipc_sync_write(s, type, id, body, len) == -1)
		return -1;
	if ((buf = malloc(IPC_FRAME_MAX)) == NULL)
		return -1;
	for (;;) {
		if (ipc_sync_read(s, buf, &h, &b, s->peer) == -1 ||
		    ipc_reasm_add(&s->reasm, &h, &b, &msg, &mlen) != IPC_OK)
			break;
		if (msg == NULL)
			continue;	/* more parts due */
		if (h.id != id)
			continue;	/* a late answer to an earlier call */
		if ((*reply = malloc(mlen ? mlen : 1)) == NULL)
			break;
		memcpy(*reply, msg, mlen);
		*rlen = mlen;
		*rtype = h.type;
		free(buf);
		return 0;
	}
	free(buf);
	ipc_reasm_clear(&s->reasm);
	return -1;
}

int
ipc_sync_send(struct ipc_sync *s, uint16_t type, const void *body,
    size_t len)
{
	if (s->fd == -1)
		return -1;
	return ipc_sync_write(s, type, 0, body, len);
}

int
ipc_sync_recv(struct ipc_sync *s, uint16_t *type, uint8_t **out,
    size_t *len)
{
	const uint8_t *msg;
	struct ipc_hdr h;
	struct rbuf b;
	uint8_t *buf;
	size_t mlen;

	if (s->fd == -1 || (buf = malloc(IPC_FRAME_MAX)) == NULL)
		return -1;
	for (;;) {
		if (ipc_sync_read(s, buf, &h, &b, s->peer) == -1 ||
		    ipc_reasm_add(&s->reasm, &h, &b, &msg, &mlen) != IPC_OK)
			break;
		if (msg == NULL)
			continue;
		if ((*out = malloc(mlen ? mlen : 1)) == NULL)
			break;
		memcpy(*out, msg, mlen);
		*len = mlen;
		*type = h.type;
		free(buf);
		return 0;
	}
	free(buf);
	ipc_reasm_clear(&s->reasm);
	return -1;
}

void
ipc_sync_close(struct ipc_sync *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	ipc_reasm_clear(&s->reasm);
}
