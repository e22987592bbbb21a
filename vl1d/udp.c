/*
 * UDP sockets of zt-vl1d.  Datagrams are read and written in batches
 * (udpbatch.c: recvmmsg/sendmmsg with UDP GSO and GRO where the kernel has
 * them): syscalls, not crypto, dominate a ZeroTier node's data path.
 * Everything the engine sends while handling one batch is queued per
 * socket and flushed once at the end.
 *
 * ZT_VL1D_UDP_OFFLOAD in the environment limits the offloads for
 * comparisons: "none", "gso" or "gro" (default: both).
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "packet.h"
#include "vl1d.h"

/* the engine's datagrams fit the batch buffers */
_Static_assert(ZT_MAX_PACKET_LEN <= UDPB_DGRAM_MAX, "datagram buffers");

void
vl1d_udp_flush(struct vl1d_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nsocks; i++)
		if (ctx->socks[i].tx.n > 0)
			udpb_tx_flush(ctx->socks[i].fd, &ctx->socks[i].tx,
			    &ctx->socks[i].st);
}

static void
vl1d_udp_queue(struct vl1d_sock *s, const struct inetaddr *to,
    const uint8_t *d, size_t len, int ttl)
{
	int v;

	if (ttl > 0 && s->family == INETADDR_V4) {
		/* hole punching (§4.7): this one datagram goes out with a
		 * short TTL, so flush around it */
		udpb_tx_flush(s->fd, &s->tx, &s->st);
		v = ttl;
		setsockopt(s->fd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
		if (udpb_tx_queue(s->fd, &s->tx, &s->st, to, d, len) == 0)
			udpb_tx_flush(s->fd, &s->tx, &s->st);
		v = 64;
		setsockopt(s->fd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
		return;
	}
	udpb_tx_queue(s->fd, &s->tx, &s->st, to, d, len);
}

void
vl1d_udp_send(void *arg, int sock, const struct inetaddr *to,
    const uint8_t *d, size_t len, int ttl)
{
	struct vl1d_ctx *ctx = arg;
	unsigned int i;

	if (sock >= 0 && (unsigned int)sock < ctx->nsocks) {
		if (ctx->socks[sock].family == to->family)
			vl1d_udp_queue(&ctx->socks[sock], to, d, len, ttl);
		return;
	}
	/* "from every socket" of the destination's family */
	for (i = 0; i < ctx->nsocks; i++)
		if (ctx->socks[i].family == to->family)
			vl1d_udp_queue(&ctx->socks[i], to, d, len, ttl);
}

struct vl1d_rx_arg {
	struct vl1d_ctx	*ctx;
	int		 sock;
	int64_t		 now;
};

static void
vl1d_udp_deliver(void *arg, const struct inetaddr *from, uint8_t *d,
    size_t len)
{
	struct vl1d_rx_arg *a = arg;

	vl1_node_receive(a->ctx->node, a->sock, from, d, len, a->now);
}

static void
vl1d_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct vl1d_sock *s = arg;
	struct vl1d_ctx *ctx = s->ctx;
	struct vl1d_rx_arg a;
	int n, rounds;

	a.ctx = ctx;
	a.sock = (int)(s - ctx->socks);
	/* one clock reading per wake-up: a batch takes microseconds */
	a.now = vl1d_now(ctx);
	for (rounds = 0; rounds < 8; rounds++) {
		n = udpb_rx_read(fd, &ctx->udp_rx, &s->st, vl1d_udp_deliver,
		    &a);
		if (n < UDPB_RX_MAX)
			break;
	}
	vl1d_udp_flush(ctx);
	vl1d_up_flush(ctx);
	(void)what;
}

/* the offloads asked for (ZT_VL1D_UDP_OFFLOAD) */
static int
vl1d_udp_want(void)
{
	const char *e = getenv("ZT_VL1D_UDP_OFFLOAD");

	if (e == NULL)
		return UDPB_GSO | UDPB_GRO;
	if (strcmp(e, "gso") == 0)
		return UDPB_GSO;
	if (strcmp(e, "gro") == 0)
		return UDPB_GRO;
	if (strcmp(e, "none") != 0)
		log_warnx("ZT_VL1D_UDP_OFFLOAD=%s: not none, gso or gro; "
		    "no offload", e);
	return 0;
}

static int
vl1d_udp_bind(struct vl1d_ctx *ctx, const struct inetaddr *a)
{
	struct vl1d_sock *s = &ctx->socks[ctx->nsocks];
	struct sockaddr_storage ss;
	char buf[INETADDR_STRLEN];
	socklen_t sl;
	int fd, on = 1, sz = 4 * 1024 * 1024, want, got;

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
	want = vl1d_udp_want();
	got = udpb_offload(fd, want);
	if (want & ~got)
		log_warnx("udp %s: the kernel refused UDP %s%s%s: plain "
		    "batches", inetaddr_fmt(a, buf),
		    (want & ~got & UDPB_GSO) ? "GSO" : "",
		    (want & ~got) == (UDPB_GSO | UDPB_GRO) ? " and " : "",
		    (want & ~got & UDPB_GRO) ? "GRO" : "");
	else
		log_debug("udp %s: GSO %s, GRO %s", inetaddr_fmt(a, buf),
		    (got & UDPB_GSO) ? "on" : "off",
		    (got & UDPB_GRO) ? "on" : "off");
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->family = a->family;
	s->bound = *a;
	s->ctx = ctx;
	if (udpb_tx_init(&s->tx, (got & UDPB_GSO) != 0) == -1) {
		close(fd);
		return -1;
	}
	/* the shared receive buffers must hold a GRO message if any */
	if ((got & UDPB_GRO) && !ctx->udp_rx.gro) {
		udpb_rx_free(&ctx->udp_rx);
		if (udpb_rx_init(&ctx->udp_rx, true) == -1)
			goto fail;
	} else if (ctx->udp_rx.buf == NULL &&
	    udpb_rx_init(&ctx->udp_rx, false) == -1)
		goto fail;
	if ((s->ev = event_new(ctx->base, fd, EV_READ | EV_PERSIST,
	    vl1d_udp_read, s)) == NULL || event_add(s->ev, NULL) == -1)
		goto fail;
	ctx->nsocks++;
	return 0;
fail:
	udpb_tx_free(&s->tx);
	close(fd);
	return -1;
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
