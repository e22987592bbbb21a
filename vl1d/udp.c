/*
 * UDP sockets of zt-vl1d.  Datagrams are read and written in batches
 * (recvmmsg/sendmmsg): syscalls, not crypto, dominate a ZeroTier node's
 * data path.  Everything the engine sends while handling one batch is
 * queued per socket and flushed once at the end.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "packet.h"
#include "vl1d.h"

static struct log_drops udp_errors = LOG_DROPS_INIT("udp send");

static void
vl1d_udp_flush_sock(struct vl1d_ctx *ctx, struct vl1d_sock *s)
{
	struct mmsghdr mm[VL1D_BATCH];
	struct sockaddr_storage ss[VL1D_BATCH];
	struct iovec iov[VL1D_BATCH];
	unsigned int i, done = 0;
	socklen_t sl;
	int n;

	for (i = 0; i < s->ntx; i++) {
		memset(&mm[i], 0, sizeof(mm[i]));
		inetaddr_to_sockaddr(&s->tx_to[i], &ss[i], &sl);
		iov[i].iov_base = s->tx_buf + (size_t)i * ZT_MAX_PACKET_LEN;
		iov[i].iov_len = s->tx_len[i];
		mm[i].msg_hdr.msg_name = &ss[i];
		mm[i].msg_hdr.msg_namelen = sl;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < s->ntx) {
		n = sendmmsg(s->fd, mm + done, s->ntx - done, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* a full buffer or an unreachable peer: drop the one */
			log_drop(&udp_errors, "%s", strerror(errno));
			done++;
			continue;
		}
		done += (unsigned int)n;
	}
	s->ntx = 0;
	(void)ctx;
}

void
vl1d_udp_flush(struct vl1d_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nsocks; i++)
		if (ctx->socks[i].ntx > 0)
			vl1d_udp_flush_sock(ctx, &ctx->socks[i]);
}

static void
vl1d_udp_queue(struct vl1d_ctx *ctx, struct vl1d_sock *s,
    const struct inetaddr *to, const uint8_t *d, size_t len, int ttl)
{
	int v;

	if (len > ZT_MAX_PACKET_LEN)
		return;
	if (ttl > 0 && s->family == INETADDR_V4) {
		/* hole punching (§4.7): this one datagram goes out with a
		 * short TTL, so flush around it */
		vl1d_udp_flush_sock(ctx, s);
		v = ttl;
		setsockopt(s->fd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
		s->tx_to[0] = *to;
		s->tx_len[0] = len;
		memcpy(s->tx_buf, d, len);
		s->ntx = 1;
		vl1d_udp_flush_sock(ctx, s);
		v = 64;
		setsockopt(s->fd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
		return;
	}
	if (s->ntx == VL1D_BATCH)
		vl1d_udp_flush_sock(ctx, s);
	s->tx_to[s->ntx] = *to;
	s->tx_len[s->ntx] = len;
	memcpy(s->tx_buf + (size_t)s->ntx * ZT_MAX_PACKET_LEN, d, len);
	s->ntx++;
}

void
vl1d_udp_send(void *arg, int sock, const struct inetaddr *to,
    const uint8_t *d, size_t len, int ttl)
{
	struct vl1d_ctx *ctx = arg;
	unsigned int i;

	if (sock >= 0 && (unsigned int)sock < ctx->nsocks) {
		if (ctx->socks[sock].family == to->family)
			vl1d_udp_queue(ctx, &ctx->socks[sock], to, d, len,
			    ttl);
		return;
	}
	/* "from every socket" of the destination's family */
	for (i = 0; i < ctx->nsocks; i++)
		if (ctx->socks[i].family == to->family)
			vl1d_udp_queue(ctx, &ctx->socks[i], to, d, len, ttl);
}

static void
vl1d_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct vl1d_sock *s = arg;
	struct vl1d_ctx *ctx = s->ctx;
	static uint8_t bufs[VL1D_BATCH][ZT_MAX_PACKET_LEN];
	struct sockaddr_storage ss[VL1D_BATCH];
	struct mmsghdr mm[VL1D_BATCH];
	struct iovec iov[VL1D_BATCH];
	struct inetaddr from;
	int i, n, rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		for (i = 0; i < VL1D_BATCH; i++) {
			memset(&mm[i], 0, sizeof(mm[i]));
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			mm[i].msg_hdr.msg_name = &ss[i];
			mm[i].msg_hdr.msg_namelen = sizeof(ss[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, mm, VL1D_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			/* a datagram larger than a packet was cut: junk */
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			if (inetaddr_from_sockaddr(&from,
			    (struct sockaddr *)&ss[i],
			    mm[i].msg_hdr.msg_namelen) == -1)
				continue;
			vl1_node_receive(ctx->node, (int)(s - ctx->socks),
			    &from, bufs[i], mm[i].msg_len, vl1d_now(ctx));
		}
		if (n < VL1D_BATCH)
			break;
	}
	vl1d_udp_flush(ctx);
	vl1d_up_flush(ctx);
	(void)what;
}

static int
vl1d_udp_bind(struct vl1d_ctx *ctx, const struct inetaddr *a)
{
	struct vl1d_sock *s = &ctx->socks[ctx->nsocks];
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, on = 1, sz = 4 * 1024 * 1024;

	if (inetaddr_to_sockaddr(a, &ss, &sl) == -1)
		return -1;
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1) {
		close(fd);
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->family = a->family;
	s->bound = *a;
	s->ctx = ctx;
	if ((s->tx_buf = malloc((size_t)VL1D_BATCH * ZT_MAX_PACKET_LEN)) ==
	    NULL) {
		close(fd);
		return -1;
	}
	if ((s->ev = event_new(ctx->base, fd, EV_READ | EV_PERSIST,
	    vl1d_udp_read, s)) == NULL || event_add(s->ev, NULL) == -1) {
		free(s->tx_buf);
		close(fd);
		return -1;
	}
	ctx->nsocks++;
	return 0;
}

int
vl1d_udp_open(struct vl1d_ctx *ctx)
{
	static const uint8_t any6[16];
	static const uint8_t any4[4];
	struct inetaddr a;
	char buf[INETADDR_STRLEN];
	unsigned int i;
	int ok = 0;

	if (ctx->cfg.nbinds == 0) {
		inetaddr_set_v4(&a, any4, ctx->cfg.port);
		ok += vl1d_udp_bind(ctx, &a) == 0;
		inetaddr_set_v6(&a, any6, ctx->cfg.port);
		/* a host without IPv6 still works on IPv4 */
		ok += vl1d_udp_bind(ctx, &a) == 0;
		return ok > 0 ? 0 : -1;
	}
	for (i = 0; i < ctx->cfg.nbinds; i++) {
		a = ctx->cfg.binds[i];
		if (a.port == 0)
			a.port = ctx->cfg.port;
		if (vl1d_udp_bind(ctx, &a) == -1) {
			log_warn("bind %s", inetaddr_fmt(&a, buf));
			return -1;
		}
	}
	return 0;
}
