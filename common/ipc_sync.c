#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc_sync.h"
#include "log.h"

/*
 * Sends one frame: the header and a slice of the body as one record.
 * The socket is non-blocking, so a full send buffer (the peer has not
 * yet read our earlier parts) is waited out in poll.
 */
static int
ipc_sync_frame(struct ipc_sync *s, const struct ipc_hdr *h,
    const uint8_t *body)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
	uint8_t hdr[IPC_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh;
	struct wbuf w;
	ssize_t n;
	int rc;

	wbuf_init(&w, hdr, sizeof(hdr));
	if (ipc_hdr_put(&w, h) == -1) {
		errno = EINVAL;
		return -1;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = h->len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = h->len > 0 ? 2 : 1;
	for (;;) {
		n = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
		if (n == (ssize_t)(sizeof(hdr) + h->len))
			return 0;
		if (n >= 0) {
			/* a seqpacket record goes whole or not at all */
			errno = EIO;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		do {
			rc = poll(&pfd, 1, s->timeout_ms);
		} while (rc == -1 && errno == EINTR);
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc == -1)
			return -1;
	}
}

/*
 * Sends one message, in parts of the type's frame limit when it is
 * longer (as ipc_enqueue does), up to the type's total.  Over that:
 * EMSGSIZE and nothing is sent.
 */
static int
ipc_sync_write(struct ipc_sync *s, uint16_t type, uint32_t id,
    const void *body, size_t len)
{
	const struct ipc_type_info *t;
	const uint8_t *p = body;
	struct ipc_hdr h = { .type = type, .id = id };
	size_t off = 0, part, cap;

	if ((t = ipc_type_lookup(type)) == NULL ||
	    (t->from & (1u << s->self)) == 0 ||
	    (t->to & (1u << s->peer)) == 0 || (len > 0 && body == NULL)) {
		errno = EINVAL;
		return -1;
	}
	cap = t->total > 0 ? t->total : t->max;
	if (len > cap) {
		errno = EMSGSIZE;
		return -1;
	}
	do {
		part = len - off > t->max ? t->max : len - off;
		h.len = (uint32_t)part;
		h.flags = off + part < len ? IPC_F_MORE : 0;
		if (ipc_sync_frame(s, &h, part > 0 ? p + off : NULL) == -1) {
			/*
			 * The peer holds a partial message that cannot be
			 * finished: a later message on this connection would
			 * be out of sequence, so the connection ends here.
			 */
			if (off > 0) {
				close(s->fd);
				s->fd = -1;
			}
			return -1;
		}
		off += part;
	} while (off < len);
	return 0;
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
		if (rc == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	do {
		n = recvmsg(s->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ECONNRESET;	/* closed without an answer */
	if (n <= 0)
		return -1;
	/* no descriptor is ever expected here: a control part is an error */
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		errno = EPROTO;
		return -1;
	}
	e = ipc_frame_parse(buf, (size_t)n, 0, from, s->self, h, body);
	if (e != IPC_OK) {
		log_warnx("bad frame from %s: %s", ipc_role_name(s->peer),
		    ipc_err_str(e));
		errno = EPROTO;
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
	int save;

	if (s->fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	if (ipc_sync_write(s, type, id, body, len) == -1)
		return -1;
	if ((buf = malloc(IPC_FRAME_MAX)) == NULL)
		return -1;
	for (;;) {
		if (ipc_sync_read(s, buf, &h, &b, s->peer) == -1)
			break;
		if (ipc_reasm_add(&s->reasm, &h, &b, &msg, &mlen) != IPC_OK) {
			errno = EPROTO;
			break;
		}
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
	/* the caller tells a timeout from a closed or broken peer by it */
	save = errno;
	free(buf);
	ipc_reasm_clear(&s->reasm);
	errno = save;
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
