/*
 * IPC connections on libevent: sockets, HELLO and role checks, outgoing
 * queues with watermarks, dispatch to per-type handlers, listeners and
 * the reconnecting client.
 */
#define _GNU_SOURCE	/* accept4, struct ucred */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "log.h"

/* frames read per wake-up, so one busy peer cannot starve the others */
#define IPC_READ_BURST		32
/*
 * A batched connection (ipc_conn_set_batch) reads until its socket is
 * empty: this bounds a wake-up only against a peer that writes as fast
 * as it is read.
 */
#define IPC_BATCH_DRAIN_MAX	4096
/* pause after accept() ran out of descriptors */
#define IPC_ACCEPT_PAUSE_MS	1000
/*
 * Set on connections a listener accepted: they answer HELLO only once
 * the peer's passed, so a client that sees HELLO knows it was accepted.
 */
#define IPC_CONN_ACCEPTED	0x100

struct ipc_frame {
	TAILQ_ENTRY(ipc_frame)	 entry;
	size_t			 len;
	size_t			 nfds;
	int			 fds[IPC_FDS_MAX];
	uint8_t			 data[];
};

TAILQ_HEAD(ipc_frameq, ipc_frame);

union ipc_cmsgbuf {
	struct cmsghdr	 hdr;
	uint8_t		 buf[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX)];
};

/* recvmmsg / sendmmsg state of a batched connection */
struct ipc_batch {
	struct mmsghdr		 rx[IPC_BATCH_MAX];
	struct iovec		 rx_iov[IPC_BATCH_MAX];
	union ipc_cmsgbuf	 rx_cmsg[IPC_BATCH_MAX];
	struct mmsghdr		 tx[IPC_BATCH_MAX];
	struct iovec		 tx_iov[IPC_BATCH_MAX];
	union ipc_cmsgbuf	 tx_cmsg[IPC_BATCH_MAX];
	uint8_t			*rxbuf;		/* n * IPC_FRAME_MAX */
};

struct ipc_conn {
	LIST_ENTRY(ipc_conn)	 entry;
	struct ipc		*ipc;
	struct ipc_client	*client;	/* reconnect helper, if any */
	int			 fd;
	uint32_t		 accept;
	int			 flags;
	struct ipc_callbacks	 cb;
	void			*arg;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_reap;
	struct event		*ev_hello;
	enum ipc_role		 peer;
	uid_t			 uid;
	bool			 up;
	bool			 dead;
	bool			 reading;
	bool			 above_high;
	bool			 corked;
	bool			 in_batch;	/* its buffers in use */
	unsigned int		 batch;		/* frames per syscall */
	struct ipc_batch	*bt;		/* when batch > 1 */
	enum ipc_err		 reason;
	uint64_t		 malformed;
	uint32_t		 next_id;
	struct ipc_frameq	 queue;
	size_t			 queued;
	size_t			 lowat;
	size_t			 hiwat;
	struct ipc_reasm	 reasm;
};

struct ipc_listener {
	LIST_ENTRY(ipc_listener) entry;
	struct ipc		*ipc;
	int			 fd;
	uint32_t		 accept;
	struct ipc_callbacks	 cb;
	void			*arg;
	struct event		*ev;
	struct event		*ev_pause;
};

struct ipc_client {
	LIST_ENTRY(ipc_client)	 entry;
	struct ipc		*ipc;
	char			*path;
	enum ipc_role		 server;
	struct ipc_callbacks	 cb;
	void			*arg;
	struct ipc_conn		*conn;
	struct event		*ev_retry;
	unsigned int		 min_ms;
	unsigned int		 max_ms;
	unsigned int		 cur_ms;
};

struct ipc {
	struct event_base	*base;
	struct ipc_config	 cfg;
	struct log_drops	 drops;
	enum ipc_err		 last_err;
	uint8_t			*rxbuf;		/* IPC_FRAME_MAX bytes */
	LIST_HEAD(, ipc_conn)	 conns;
	LIST_HEAD(, ipc_listener) listeners;
	LIST_HEAD(, ipc_client)	 clients;
};

static void	ipc_conn_flush(struct ipc_conn *);
static int	ipc_conn_send_hello(struct ipc_conn *);
static void	ipc_client_lost(struct ipc_client *);
static void	ipc_client_schedule(struct ipc_client *, unsigned int);

static void
ipc_event_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

static void
ipc_event_fatal(int err)
{
	fatalx("libevent: fatal error %d", err);
}

struct event_base *
ipc_event_base_new(void)
{
	struct event_config *ecfg;
	struct event_base *base;

	event_set_log_callback(ipc_event_log);
	event_set_fatal_callback(ipc_event_fatal);
	if ((ecfg = event_config_new()) == NULL)
		return NULL;
	/* one thread per process: no locks */
	event_config_set_flag(ecfg, EVENT_BASE_FLAG_NOLOCK);
	base = event_base_new_with_config(ecfg);
	event_config_free(ecfg);
	return base;
}

struct ipc *
ipc_new(struct event_base *base, const struct ipc_config *cfg)
{
	struct ipc *ipc;

	if ((ipc = calloc(1, sizeof(*ipc))) == NULL)
		return NULL;
	if ((ipc->rxbuf = malloc(IPC_FRAME_MAX)) == NULL) {
		free(ipc);
		return NULL;
	}
	ipc->base = base;
	ipc->cfg = *cfg;
	ipc->drops.what = "ipc frame";
	LIST_INIT(&ipc->conns);
	LIST_INIT(&ipc->listeners);
	LIST_INIT(&ipc->clients);
	return ipc;
}

uint64_t
ipc_malformed_total(const struct ipc *ipc)
{
	return ipc->drops.total;
}

enum ipc_err
ipc_last_error(const struct ipc *ipc)
{
	return ipc->last_err;
}

static void
ipc_frame_free(struct ipc_frame *f)
{
	size_t i;

	for (i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	free(f);
}

static void
ipc_conn_destroy(struct ipc_conn *c, bool notify)
{
	struct ipc_frame *f;

	if (notify && c->up && c->cb.down != NULL)
		c->cb.down(c, c->reason, c->arg);
	if (c->client != NULL)
		ipc_client_lost(c->client);
	LIST_REMOVE(c, entry);
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	if (c->ev_reap != NULL)
		event_free(c->ev_reap);
	if (c->ev_hello != NULL)
		event_free(c->ev_hello);
	close(c->fd);
	while ((f = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, f, entry);
		ipc_frame_free(f);
	}
	ipc_reasm_clear(&c->reasm);
	if (c->bt != NULL) {
		free(c->bt->rxbuf);
		free(c->bt);
	}
	free(c);
}

/* ends the connection once the running callback has returned */
static void
ipc_conn_fail(struct ipc_conn *c, enum ipc_err reason)
{
	if (c->dead)
		return;
	c->dead = true;
	c->reason = reason;
	event_del(c->ev_read);
	event_del(c->ev_write);
	event_del(c->ev_hello);
	event_active(c->ev_reap, EV_TIMEOUT, 1);
}

static void
ipc_conn_drop(struct ipc_conn *c, enum ipc_err e, uint16_t type)
{
	c->malformed++;
	c->ipc->last_err = e;
	log_drop(&c->ipc->drops, "%s from %s (uid %ld): %s",
	    ipc_type_name(type), ipc_role_name(c->peer), (long)c->uid,
	    ipc_err_str(e));
	ipc_conn_fail(c, e);
}

static void
ipc_conn_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	ipc_conn_destroy(arg, true);
}

static void
ipc_conn_hello_cb(evutil_socket_t fd, short what, void *arg)
{
	ipc_conn_drop(arg, IPC_E_TIMEOUT, IPC_MSG_HELLO);
}

static void
ipc_close_fds(int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

/* the peer's HELLO: role, version, then the role against its uid */
static void
ipc_conn_hello(struct ipc_conn *c, struct rbuf *body)
{
	enum ipc_role role;
	enum ipc_err e;

	if ((e = ipc_hello_get(body, &role)) != IPC_OK) {
		ipc_conn_drop(c, e, IPC_MSG_HELLO);
		return;
	}
	c->peer = role;
	if ((c->accept & (1u << role)) == 0) {
		ipc_conn_drop(c, IPC_E_ROLE, IPC_MSG_HELLO);
		return;
	}
	if ((c->flags & IPC_CONN_TRUSTED) == 0 &&
	    (e = ipc_role_check(&c->ipc->cfg, role, c->uid)) != IPC_OK) {
		ipc_conn_drop(c, e, IPC_MSG_HELLO);
		return;
	}
	event_del(c->ev_hello);
	if ((c->flags & IPC_CONN_ACCEPTED) && ipc_conn_send_hello(c) == -1)
		ipc_conn_fail(c, IPC_E_IO);
	/* the peer may have gone while our HELLO was written */
	if (c->dead)
		return;
	c->up = true;
	if (c->client != NULL)
		c->client->cur_ms = c->client->min_ms;
	log_debug("ipc: %s up (uid %ld)", ipc_role_name(role), (long)c->uid);
	if (c->cb.up != NULL)
		c->cb.up(c, c->arg);
}

static const struct ipc_handler *
ipc_handler_find(const struct ipc_handler *h, uint16_t type)
{
	for (; h != NULL && h->fn != NULL; h++)
		if (h->type == type)
			return h;
	return NULL;
}

/* a checked frame: HELLO first and once, then parts, then a handler */
static void
ipc_conn_dispatch(struct ipc_conn *c, const struct ipc_hdr *h,
    struct rbuf *body, struct ipc_msg *msg)
{
	const struct ipc_handler *hd;
	const uint8_t *p;
	enum ipc_err e;
	size_t len;
	int rc;

	if ((h->type == IPC_MSG_HELLO) == c->up) {
		ipc_conn_drop(c, IPC_E_SEQUENCE, h->type);
		return;
	}
	if (h->type == IPC_MSG_HELLO) {
		ipc_conn_hello(c, body);
		return;
	}
	if ((e = ipc_reasm_add(&c->reasm, h, body, &p, &len)) != IPC_OK) {
		ipc_conn_drop(c, e, h->type);
		return;
	}
	if (p == NULL)
		return;
	if ((hd = ipc_handler_find(c->cb.handlers, h->type)) == NULL) {
		ipc_conn_drop(c, IPC_E_UNHANDLED, h->type);
		return;
	}
	msg->type = h->type;
	msg->id = h->id;
	rbuf_init(&msg->body, p, len);
	rc = hd->fn(c, msg, c->arg);
	/* a handler that closed its connection owes nothing more */
	if (rc == -1 || (!c->dead && !rbuf_done(&msg->body)))
		ipc_conn_drop(c, IPC_E_BODY, h->type);
	/* a joined message can be large: do not keep it around */
	if (wbuf_len(&c->reasm.buf) > 0)
		ipc_reasm_clear(&c->reasm);
}

/* collects SCM_RIGHTS fds; anything else in the control data is an error */
static enum ipc_err
ipc_cmsg_fds(struct msghdr *mh, struct ipc_msg *msg)
{
	enum ipc_err e = IPC_OK;
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			e = IPC_E_CMSG;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (msg->nfds < IPC_FDS_MAX)
				msg->fds[msg->nfds++] = fd;
			else {
				close(fd);
				e = IPC_E_FDS;
			}
		}
	}
	return e;
}

/* one received frame of n bytes, its control data in mh; -1: conn ended */
static int
ipc_conn_input(struct ipc_conn *c, const uint8_t *buf, size_t n,
    struct msghdr *mh)
{
	struct ipc_msg msg;
	struct ipc_hdr h;
	struct rbuf body;
	enum ipc_err e;

	memset(&msg, 0, sizeof(msg));
	/* a SEQPACKET peer that hung up; an empty frame is no frame either */
	if (n == 0) {
		ipc_conn_fail(c, IPC_E_EOF);
		return -1;
	}
	e = ipc_cmsg_fds(mh, &msg);
	/* the kernel cut the frame or its fds: never act on a part */
	if (mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		e = IPC_E_TRUNC;
	if (e == IPC_OK)
		e = ipc_frame_parse(buf, n, msg.nfds,
		    c->up ? c->peer : IPC_ROLE_NONE, c->ipc->cfg.self, &h,
		    &body);
	if (e != IPC_OK) {
		ipc_close_fds(msg.fds, msg.nfds);
		ipc_conn_drop(c, e, n >= 2 ? be16_get(buf) : 0);
		return -1;
	}
	ipc_conn_dispatch(c, &h, &body, &msg);
	ipc_close_fds(msg.fds, msg.nfds);
	return c->dead ? -1 : 0;
}

/* reads one frame; -1 when there is nothing more to read now */
static int
ipc_conn_read_one(struct ipc_conn *c)
{
	union ipc_cmsgbuf cmsg;
	struct ipc *ipc = c->ipc;
	struct iovec iov = { ipc->rxbuf, IPC_FRAME_MAX };
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsg.buf;
	mh.msg_controllen = sizeof(cmsg.buf);
	if ((n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return -1;
		log_warn("ipc: recvmsg from %s", ipc_role_name(c->peer));
		ipc_conn_fail(c, IPC_E_IO);
		return -1;
	}
	return ipc_conn_input(c, ipc->rxbuf, (size_t)n, &mh);
}

/* the fds of a frame that will not be looked at */
static void
ipc_cmsg_discard(struct msghdr *mh)
{
	struct ipc_msg msg;

	memset(&msg, 0, sizeof(msg));
	ipc_cmsg_fds(mh, &msg);
	ipc_close_fds(msg.fds, msg.nfds);
}

/*
 * Up to c->batch frames per recvmmsg, until the socket is empty.  Frames
 * taken in one call are all dispatched even if a handler stops reading;
 * once the connection ended, the rest is dropped with its fds.
 */
static void
ipc_conn_read_batch(struct ipc_conn *c)
{
	struct ipc_batch *b = c->bt;
	unsigned int i, total = 0;
	struct msghdr *mh;
	int k;

	c->in_batch = true;
	while (!c->dead && c->reading && total < IPC_BATCH_DRAIN_MAX) {
		for (i = 0; i < c->batch; i++) {
			mh = &b->rx[i].msg_hdr;
			memset(mh, 0, sizeof(*mh));
			b->rx_iov[i].iov_base = b->rxbuf +
			    (size_t)i * IPC_FRAME_MAX;
			b->rx_iov[i].iov_len = IPC_FRAME_MAX;
			mh->msg_iov = &b->rx_iov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = b->rx_cmsg[i].buf;
			mh->msg_controllen = sizeof(b->rx_cmsg[i].buf);
			b->rx[i].msg_len = 0;
		}
		k = recvmmsg(c->fd, b->rx, c->batch,
		    MSG_CMSG_CLOEXEC | MSG_DONTWAIT, NULL);
		if (k == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				log_warn("ipc: recvmmsg from %s",
				    ipc_role_name(c->peer));
				ipc_conn_fail(c, IPC_E_IO);
			}
			break;
		}
		for (i = 0; i < (unsigned int)k; i++) {
			if (c->dead)
				ipc_cmsg_discard(&b->rx[i].msg_hdr);
			else
				ipc_conn_input(c, b->rx_iov[i].iov_base,
				    b->rx[i].msg_len, &b->rx[i].msg_hdr);
		}
		total += (unsigned int)k;
		/* fewer than asked for: the socket ran dry */
		if ((unsigned int)k < c->batch)
			break;
	}
	c->in_batch = false;
}

static void
ipc_conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_conn *c = arg;
	int i;

	if (c->bt != NULL) {
		ipc_conn_read_batch(c);
		return;
	}
	for (i = 0; i < IPC_READ_BURST && !c->dead && c->reading; i++)
		if (ipc_conn_read_one(c) == -1)
			break;
}

static void
ipc_conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	ipc_conn_flush(arg);
}

static void
ipc_conn_watermarks(struct ipc_conn *c)
{
	if (c->above_high && c->queued <= c->lowat) {
		c->above_high = false;
		if (c->cb.low != NULL)
			c->cb.low(c, c->arg);
	} else if (!c->above_high && c->queued >= c->hiwat) {
		c->above_high = true;
		if (c->cb.high != NULL)
			c->cb.high(c, c->arg);
	}
}

/* the msghdr that sends frame f, its fds in cmsg */
static void
ipc_frame_msghdr(struct ipc_frame *f, struct msghdr *mh, struct iovec *iov,
    union ipc_cmsgbuf *cmsg)
{
	struct cmsghdr *cm;

	memset(mh, 0, sizeof(*mh));
	iov->iov_base = f->data;
	iov->iov_len = f->len;
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	if (f->nfds > 0) {
		memset(cmsg, 0, sizeof(*cmsg));
		mh->msg_control = cmsg->buf;
		mh->msg_controllen = CMSG_SPACE(sizeof(int) * f->nfds);
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * f->nfds);
		memcpy(CMSG_DATA(cm), f->fds, sizeof(int) * f->nfds);
	}
}

/* sends the frames at the head of the queue; how many, or -1 */
static int
ipc_frame_send(struct ipc_conn *c)
{
	struct ipc_batch *b = c->bt;
	union ipc_cmsgbuf cmsg;
	struct ipc_frame *f;
	struct iovec iov;
	struct msghdr mh;
	unsigned int n = 0;

	if (b == NULL) {
		ipc_frame_msghdr(TAILQ_FIRST(&c->queue), &mh, &iov, &cmsg);
		return sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == -1 ?
		    -1 : 1;
	}
	TAILQ_FOREACH(f, &c->queue, entry) {
		if (n == c->batch)
			break;
		ipc_frame_msghdr(f, &b->tx[n].msg_hdr, &b->tx_iov[n],
		    &b->tx_cmsg[n]);
		n++;
	}
	return sendmmsg(c->fd, b->tx, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* writes until the socket is full; EV_WRITE only while frames wait */
static void
ipc_conn_flush(struct ipc_conn *c)
{
	struct ipc_frame *f;
	int k;

	/* a corked connection writes when uncorked */
	while (!c->dead && !c->corked && !TAILQ_EMPTY(&c->queue)) {
		if ((k = ipc_frame_send(c)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno != EPIPE && errno != ECONNRESET)
				log_warn("ipc: sendmsg to %s",
				    ipc_role_name(c->peer));
			ipc_conn_fail(c, IPC_E_IO);
			return;
		}
		while (k-- > 0 && (f = TAILQ_FIRST(&c->queue)) != NULL) {
			TAILQ_REMOVE(&c->queue, f, entry);
			c->queued -= f->len;
			ipc_frame_free(f);
		}
	}
	if (c->dead)
		return;
	if (TAILQ_EMPTY(&c->queue) || c->corked)
		event_del(c->ev_write);
	else
		event_add(c->ev_write, NULL);
	ipc_conn_watermarks(c);
}

static struct ipc_frame *
ipc_frame_new(const struct ipc_hdr *h, const void *data, const int *fds,
    size_t nfds)
{
	struct ipc_frame *f;
	struct wbuf w;
	size_t i;

	if ((f = malloc(sizeof(*f) + IPC_HDR_LEN + h->len)) == NULL)
		return NULL;
	f->len = IPC_HDR_LEN + h->len;
	f->nfds = 0;
	wbuf_init(&w, f->data, f->len);
	ipc_hdr_put(&w, h);
	wbuf_put_bytes(&w, data, h->len);
	if (wbuf_failed(&w))
		goto fail;
	/* the caller keeps its fds; the queue sends and closes copies */
	for (i = 0; i < nfds; i++) {
		if ((f->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) == -1)
			goto fail;
		f->nfds++;
	}
	return f;
fail:
	ipc_frame_free(f);
	return NULL;
}

/* enqueues a message as one frame or as parts */
static int
ipc_enqueue(struct ipc_conn *c, const struct ipc_type_info *t, uint32_t id,
    const uint8_t *data, size_t len, const int *fds, size_t nfds)
{
	struct ipc_frameq parts = TAILQ_HEAD_INITIALIZER(parts);
	struct ipc_frame *f;
	struct ipc_hdr h;
	size_t off = 0, part, bytes = 0;

	do {
		part = len - off > t->max ? t->max : len - off;
		h.type = t->type;
		h.id = id;
		h.len = (uint32_t)part;
		h.flags = off + part < len ? IPC_F_MORE : 0;
		f = ipc_frame_new(&h, data != NULL ? data + off : NULL, fds,
		    nfds);
		if (f == NULL)
			goto fail;
		TAILQ_INSERT_TAIL(&parts, f, entry);
		bytes += f->len;
		off += part;
	} while (off < len);
	TAILQ_CONCAT(&c->queue, &parts, entry);
	c->queued += bytes;
	ipc_conn_flush(c);
	return 0;
fail:
	log_warn("ipc: queueing %s", t->name);
	while ((f = TAILQ_FIRST(&parts)) != NULL) {
		TAILQ_REMOVE(&parts, f, entry);
		ipc_frame_free(f);
	}
	return -1;
}

int
ipc_send_fds(struct ipc_conn *c, uint16_t type, uint32_t id,
    const void *data, size_t len, const int *fds, size_t nfds)
{
	const struct ipc_type_info *t;
	enum ipc_role self = c->ipc->cfg.self;
	size_t cap, nparts;

	if (c->dead || !c->up) {
		errno = ENOTCONN;
		return -1;
	}
	/* our own mistakes are refused before the peer has to */
	if ((t = ipc_type_lookup(type)) == NULL || type == IPC_MSG_HELLO ||
	    (t->from & (1u << self)) == 0 || (t->to & (1u << c->peer)) == 0) {
		log_warnx("ipc: %s may not send %s to %s", ipc_role_name(self),
		    ipc_type_name(type), ipc_role_name(c->peer));
		errno = EPERM;
		return -1;
	}
	cap = t->total > 0 ? t->total : t->max;
	if (nfds != t->nfds || len > cap || (len > 0 && data == NULL)) {
		log_warnx("ipc: %s of %zu bytes with %zu fds refused", t->name,
		    len, nfds);
		errno = EINVAL;
		return -1;
	}
	nparts = len == 0 ? 1 : (len + t->max - 1) / t->max;
	if (c->queued + len + nparts * IPC_HDR_LEN > c->ipc->cfg.queue_max) {
		/* a peer that stopped reading loses its connection */
		log_warnx("ipc: queue to %s over %zu bytes, closing",
		    ipc_role_name(c->peer), c->ipc->cfg.queue_max);
		ipc_conn_fail(c, IPC_E_QUEUE);
		errno = ENOBUFS;
		return -1;
	}
	return ipc_enqueue(c, t, id, data, len, fds, nfds);
}

int
ipc_send(struct ipc_conn *c, uint16_t type, uint32_t id, const void *data,
    size_t len)
{
	return ipc_send_fds(c, type, id, data, len, NULL, 0);
}

int
ipc_send_wbuf(struct ipc_conn *c, uint16_t type, uint32_t id,
    const struct wbuf *w)
{
	if (wbuf_failed(w)) {
		log_warnx("ipc: %s body did not fit", ipc_type_name(type));
		errno = EMSGSIZE;
		return -1;
	}
	return ipc_send(c, type, id, wbuf_data(w), wbuf_len(w));
}

int
ipc_send_error(struct ipc_conn *c, uint32_t id, uint32_t code,
    const char *text)
{
	uint8_t buf[1024];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	ipc_error_put(&w, code, text);
	return ipc_send_wbuf(c, IPC_MSG_ERROR, id, &w);
}

int
ipc_msg_take_fd(struct ipc_msg *msg, size_t i)
{
	int fd;

	if (i >= msg->nfds)
		return -1;
	fd = msg->fds[i];
	msg->fds[i] = -1;
	return fd;
}

/* inherited or accepted fds are checked, not trusted to be what we think */
static int
ipc_fd_check(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t sl;
	int v, fl;

	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &sl) == -1 ||
	    v != AF_UNIX)
		return -1;
	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &sl) == -1 ||
	    v != SOCK_SEQPACKET)
		return -1;
	sl = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == -1)
		return -1;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	*uid = cred.uid;
	return 0;
}

static int
ipc_conn_send_hello(struct ipc_conn *c)
{
	const struct ipc_type_info *t = ipc_type_lookup(IPC_MSG_HELLO);
	uint8_t buf[16];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	if (ipc_hello_put(&w, c->ipc->cfg.self) == -1)
		return -1;
	return ipc_enqueue(c, t, 0, buf, wbuf_len(&w), NULL, 0);
}

struct ipc_conn *
ipc_conn_open(struct ipc *ipc, int fd, uint32_t accept, int flags,
    const struct ipc_callbacks *cb, void *arg)
{
	struct ipc_conn *c;
	struct timeval tv;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return NULL;
	}
	c->ipc = ipc;
	c->fd = fd;
	c->accept = accept;
	c->flags = flags;
	c->cb = *cb;
	c->arg = arg;
	c->reading = true;
	c->batch = 1;
	c->lowat = ipc->cfg.lowat;
	c->hiwat = ipc->cfg.hiwat;
	TAILQ_INIT(&c->queue);
	ipc_reasm_init(&c->reasm);
	LIST_INSERT_HEAD(&ipc->conns, c, entry);
	if (ipc_fd_check(fd, &c->uid) == -1) {
		log_warn("ipc: fd %d is no connected unix seqpacket socket",
		    fd);
		goto fail;
	}
	c->ev_read = event_new(ipc->base, fd, EV_READ | EV_PERSIST,
	    ipc_conn_read_cb, c);
	c->ev_write = event_new(ipc->base, fd, EV_WRITE | EV_PERSIST,
	    ipc_conn_write_cb, c);
	c->ev_reap = event_new(ipc->base, -1, 0, ipc_conn_reap_cb, c);
	c->ev_hello = event_new(ipc->base, -1, 0, ipc_conn_hello_cb, c);
	if (c->ev_read == NULL || c->ev_write == NULL || c->ev_reap == NULL ||
	    c->ev_hello == NULL)
		goto fail;
	tv.tv_sec = ipc->cfg.hello_ms / 1000;
	tv.tv_usec = (ipc->cfg.hello_ms % 1000) * 1000;
	if (event_add(c->ev_read, NULL) == -1 ||
	    event_add(c->ev_hello, &tv) == -1)
		goto fail;
	if ((flags & IPC_CONN_ACCEPTED) == 0 && ipc_conn_send_hello(c) == -1)
		goto fail;
	return c;
fail:
	ipc_conn_destroy(c, false);
	return NULL;
}

void
ipc_conn_close(struct ipc_conn *c)
{
	ipc_conn_fail(c, IPC_E_LOCAL);
}

bool
ipc_conn_is_up(const struct ipc_conn *c)
{
	return c->up && !c->dead;
}

enum ipc_role
ipc_conn_role(const struct ipc_conn *c)
{
	return c->up ? c->peer : IPC_ROLE_NONE;
}

uid_t
ipc_conn_uid(const struct ipc_conn *c)
{
	return c->uid;
}

uint64_t
ipc_conn_malformed(const struct ipc_conn *c)
{
	return c->malformed;
}

size_t
ipc_conn_queued(const struct ipc_conn *c)
{
	return c->queued;
}

void
ipc_conn_set_watermarks(struct ipc_conn *c, size_t low, size_t high)
{
	c->lowat = low;
	c->hiwat = high > low ? high : low + 1;
}

void
ipc_conn_set_reading(struct ipc_conn *c, bool on)
{
	if (c->dead || c->reading == on)
		return;
	c->reading = on;
	if (on)
		event_add(c->ev_read, NULL);
	else
		event_del(c->ev_read);
}

int
ipc_conn_set_batch(struct ipc_conn *c, unsigned int n)
{
	struct ipc_batch *b;

	if (n == 0 || n > IPC_BATCH_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (c->in_batch) {
		errno = EBUSY;
		return -1;
	}
	if (n == c->batch)
		return 0;
	b = NULL;
	/* n receive buffers of a whole frame each: SEQPACKET cuts a frame
	   that does not fit, and a cut frame is a protocol error */
	if (n > 1 && ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->rxbuf = malloc((size_t)n * IPC_FRAME_MAX)) == NULL)) {
		free(b);
		errno = ENOMEM;
		return -1;
	}
	if (c->bt != NULL) {
		free(c->bt->rxbuf);
		free(c->bt);
	}
	c->bt = b;
	c->batch = n;
	return 0;
}

void
ipc_conn_cork(struct ipc_conn *c, bool on)
{
	if (c->corked == on)
		return;
	c->corked = on;
	if (!on && !c->dead)
		ipc_conn_flush(c);
}

uint32_t
ipc_conn_next_id(struct ipc_conn *c)
{
	/* 0 is left for unsolicited messages */
	if (++c->next_id == 0)
		c->next_id = 1;
	return c->next_id;
}

static int
ipc_sockaddr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strncpy(sun->sun_path, path, sizeof(sun->sun_path) - 1);
	return 0;
}

int
ipc_socket_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, saved;

	if (ipc_sockaddr(&sun, path) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
ipc_socket_listen(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd = -1, rc, saved;

	if (ipc_sockaddr(&sun, path) == -1)
		return -1;
	if (lstat(path, &st) == 0) {
		/* only a stale socket is ours to remove, never a live one */
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		if ((fd = ipc_socket_connect(path)) != -1) {
			close(fd);
			errno = EADDRINUSE;
			return -1;
		}
		if (errno != ECONNREFUSED)
			return -1;
		if (unlink(path) == -1)
			return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* born 0600: no moment in which others could connect */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1)
		goto fail;
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1) ||
	    chmod(path, mode) == -1 || listen(fd, 64) == -1) {
		saved = errno;
		unlink(path);
		errno = saved;
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static void
ipc_listener_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_listener *l = arg;

	event_add(l->ev, NULL);
}

static void
ipc_listener_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_listener *l = arg;
	struct timeval tv = { IPC_ACCEPT_PAUSE_MS / 1000, 0 };
	int s, i;

	for (i = 0; i < IPC_READ_BURST; i++) {
		s = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* the socket stays readable: do not spin */
				log_warn("ipc: accept");
				event_del(l->ev);
				event_add(l->ev_pause, &tv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("ipc: accept");
			return;
		}
		ipc_conn_open(l->ipc, s, l->accept, IPC_CONN_ACCEPTED, &l->cb,
		    l->arg);
	}
}

struct ipc_listener *
ipc_listener_new(struct ipc *ipc, int fd, uint32_t accept,
    const struct ipc_callbacks *cb, void *arg)
{
	struct ipc_listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return NULL;
	}
	/* an inherited socket (socket activation) may come blocking */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		free(l);
		close(fd);
		return NULL;
	}
	l->ipc = ipc;
	l->fd = fd;
	l->accept = accept;
	l->cb = *cb;
	l->arg = arg;
	LIST_INSERT_HEAD(&ipc->listeners, l, entry);
	l->ev = event_new(ipc->base, fd, EV_READ | EV_PERSIST,
	    ipc_listener_accept_cb, l);
	l->ev_pause = event_new(ipc->base, -1, 0, ipc_listener_resume_cb, l);
	if (l->ev == NULL || l->ev_pause == NULL ||
	    event_add(l->ev, NULL) == -1)
		goto fail;
	return l;
fail:
	ipc_listener_free(l);
	return NULL;
}

int
ipc_listener_relisten(struct ipc_listener *l)
{
	return listen(l->fd, 64);
}

void
ipc_listener_free(struct ipc_listener *l)
{
	LIST_REMOVE(l, entry);
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->ev_pause != NULL)
		event_free(l->ev_pause);
	close(l->fd);
	free(l);
}

static void
ipc_client_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipc_client *cl = arg;
	struct ipc_conn *c;
	int s;

	if ((s = ipc_socket_connect(cl->path)) == -1) {
		log_debug("ipc: connect %s: %s", cl->path, strerror(errno));
		ipc_client_lost(cl);
		return;
	}
	if ((c = ipc_conn_open(cl->ipc, s, 1u << cl->server, 0, &cl->cb,
	    cl->arg)) == NULL) {
		ipc_client_lost(cl);
		return;
	}
	c->client = cl;
	cl->conn = c;
}

static void
ipc_client_schedule(struct ipc_client *cl, unsigned int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_add(cl->ev_retry, &tv);
}

/* the connection is gone or never came: try again, later each time */
static void
ipc_client_lost(struct ipc_client *cl)
{
	cl->conn = NULL;
	ipc_client_schedule(cl, cl->cur_ms);
	cl->cur_ms = cl->cur_ms > cl->max_ms / 2 ? cl->max_ms : cl->cur_ms * 2;
}

struct ipc_client *
ipc_client_new(struct ipc *ipc, const char *path, enum ipc_role server,
    const struct ipc_callbacks *cb, void *arg)
{
	struct ipc_client *cl;

	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return NULL;
	cl->ipc = ipc;
	cl->server = server;
	cl->cb = *cb;
	cl->arg = arg;
	cl->min_ms = 100;
	cl->max_ms = 30000;
	cl->cur_ms = cl->min_ms;
	LIST_INSERT_HEAD(&ipc->clients, cl, entry);
	if ((cl->path = strdup(path)) == NULL ||
	    (cl->ev_retry = event_new(ipc->base, -1, 0, ipc_client_retry_cb,
	    cl)) == NULL)
		goto fail;
	/* the first attempt runs from the loop, like every later one */
	ipc_client_schedule(cl, 0);
	return cl;
fail:
	ipc_client_free(cl);
	return NULL;
}

void
ipc_client_set_backoff(struct ipc_client *cl, unsigned int min_ms,
    unsigned int max_ms)
{
	cl->min_ms = min_ms > 0 ? min_ms : 1;
	cl->max_ms = max_ms > cl->min_ms ? max_ms : cl->min_ms;
	cl->cur_ms = cl->min_ms;
}

struct ipc_conn *
ipc_client_conn(const struct ipc_client *cl)
{
	if (cl->conn == NULL || !ipc_conn_is_up(cl->conn))
		return NULL;
	return cl->conn;
}

void
ipc_client_free(struct ipc_client *cl)
{
	if (cl->conn != NULL) {
		/* safe from the conn's own callbacks: it goes later, quietly */
		cl->conn->client = NULL;
		memset(&cl->conn->cb, 0, sizeof(cl->conn->cb));
		ipc_conn_fail(cl->conn, IPC_E_LOCAL);
	}
	LIST_REMOVE(cl, entry);
	if (cl->ev_retry != NULL)
		event_free(cl->ev_retry);
	free(cl->path);
	free(cl);
}

void
ipc_free(struct ipc *ipc)
{
	struct ipc_listener *l;
	struct ipc_client *cl;
	struct ipc_conn *c;

	if (ipc == NULL)
		return;
	while ((cl = LIST_FIRST(&ipc->clients)) != NULL) {
		if (cl->conn != NULL)
			cl->conn->client = NULL;
		cl->conn = NULL;
		ipc_client_free(cl);
	}
	while ((c = LIST_FIRST(&ipc->conns)) != NULL)
		ipc_conn_destroy(c, false);
	while ((l = LIST_FIRST(&ipc->listeners)) != NULL)
		ipc_listener_free(l);
	free(ipc->rxbuf);
	free(ipc);
}
