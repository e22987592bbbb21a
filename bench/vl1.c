/*
 * bench-vl1: the client side of the zt-vl1d benchmark (bench/vl1.sh runs
 * it in network namespaces around real daemons).  Modes:
 *
 *   send SOCK DEST SECONDS SIZE
 *	plays zt-vl2d on one node: VL2_SEND batches of FRAME payloads of
 *	SIZE bytes to node DEST for SECONDS, as fast as zt-vl1d takes them
 *   recv SOCK SECONDS
 *	plays zt-vl2d on the other node: counts what VL2_RECV brings, until
 *	SECONDS pass or nothing came for two seconds after the first packet
 *   flood CLASS IP/PORT PPS SECONDS NODE PEER
 *	sends one class of junk datagrams at PPS to a node whose address
 *	is NODE and which knows peer PEER (classes: see bench_junk_classes)
 *   peers FILE FIRST COUNT PLANET NET
 *	COUNT in-process VL1 engines, with the secret identities on lines
 *	FIRST.. of FILE, each on its own UDP socket bound in NET (a /16
 *	routed to this namespace as local), HELLO the planet's root; runs
 *	until each got its OK, in waves of one engine per /24 so the root's
 *	per-/24 rate limit on new identities is respected
 *
 * Figures go to stdout as "key value" lines for the driver script.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "bench.h"
#include "file.h"
#include "hex.h"
#include "ipc_sync.h"
#include "log.h"
#include "node.h"
#include "packet.h"

#define BENCH_WAVE	256	/* one engine per /24 of NET */
#define BENCH_NWID	0x8056c2e21c000001ULL

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int64_t
bench_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
bench_usage(void)
{
	fprintf(stderr, "usage: bench-vl1 send SOCK DEST SECONDS SIZE\n"
	    "       bench-vl1 recv SOCK SECONDS\n"
	    "       bench-vl1 flood CLASS IP/PORT PPS SECONDS NODE PEER\n"
	    "       bench-vl1 peers FILE FIRST COUNT PLANET NET\n");
	exit(2);
}

static long
bench_num(const char *s, long min, long max)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		fatalx("bad number '%s'", s);
	return v;
}

static uint64_t
bench_address(const char *s)
{
	uint64_t a;

	if (strlen(s) != 10 || hex_parse_u64(s, 10, &a) == -1)
		fatalx("bad address '%s'", s);
	return a;
}

/* reads and discards whatever zt-vl1d sent; -1 when it hung up */
static int
bench_drain(int fd, uint8_t *buf, uint64_t *npkts, uint64_t *nbytes)
{
	struct ipc_hdr h;
	struct rbuf body;
	const uint8_t *p;
	uint64_t src;
	uint8_t flags;
	size_t plen;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, IPC_FRAME_MAX, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		if (ipc_frame_parse(buf, (size_t)n, 0, IPC_ROLE_VL1D,
		    IPC_ROLE_VL2D, &h, &body) != IPC_OK)
			return -1;
		if (h.type != IPC_MSG_VL2_RECV || npkts == NULL)
			continue;
		while (rbuf_remaining(&body) > 0) {
			if (rbuf_get_u40(&body, &src) == -1 ||
			    rbuf_get_u8(&body, &flags) == -1 ||
			    ipc_get_bytes16(&body, ZT_MAX_PACKET_LEN, &p,
			    &plen) == -1)
				return -1;
			(*npkts)++;
			/* the payload: what follows the VL1 header */
			*nbytes += plen - ZT_PACKET_HEADER_LEN;
		}
	}
}

static void
bench_connect(struct ipc_sync *s, const char *path)
{
	int buf = 4 * 1024 * 1024;

	if (ipc_sync_connect(s, path, IPC_ROLE_VL2D, IPC_ROLE_VL1D,
	    5000) == -1)
		fatalx("cannot connect to %s as zt-vl2d", path);
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
}

static int
bench_send(int argc, char **argv)
{
	struct ipc_sync s;
	struct ipc_hdr h = { .type = IPC_MSG_VL2_SEND };
	struct pollfd pfd;
	struct wbuf w;
	uint8_t *frame, *in, payload[ZT_MAX_PACKET_LEN];
	uint64_t dest, t0, end, npkts = 0, nframes = 0;
	size_t size, per, i;
	ssize_t n;

	if (argc != 4)
		bench_usage();
	dest = bench_address(argv[1]);
	end = (uint64_t)bench_num(argv[2], 1, 3600) * 1000000000ULL;
	size = (size_t)bench_num(argv[3], 10, 1400);
	frame = malloc(IPC_FRAME_MAX);
	in = malloc(IPC_FRAME_MAX);
	if (frame == NULL || in == NULL)
		fatal("malloc");
	bench_connect(&s, argv[0]);
	/* a FRAME payload: network id, ethertype, then frame bytes */
	RAND_bytes(payload, (int)size);
	be64_put(payload, BENCH_NWID);
	be16_put(payload + 8, 0x0800);
	per = IPC_PAYLOAD_MAX / (5 + 1 + 2 + size);
	wbuf_init(&w, frame, IPC_FRAME_MAX);
	h.len = (uint32_t)(per * (5 + 1 + 2 + size));
	ipc_hdr_put(&w, &h);
	for (i = 0; i < per; i++) {
		wbuf_put_u40(&w, dest);
		wbuf_put_u8(&w, VL1_VERB_FRAME);
		ipc_put_bytes16(&w, payload, size);
	}
	if (wbuf_failed(&w))
		fatalx("batch does not fit");
	t0 = bench_now_ns();
	end += t0;
	while (bench_now_ns() < end) {
		n = send(s.fd, frame, wbuf_len(&w), MSG_NOSIGNAL |
		    MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			pfd.fd = s.fd;
			pfd.events = POLLOUT;
			poll(&pfd, 1, 100);
			continue;
		}
		if (n != (ssize_t)wbuf_len(&w))
			fatal("send to zt-vl1d");
		nframes++;
		npkts += per;
		if (bench_drain(s.fd, in, NULL, NULL) == -1)
			fatalx("zt-vl1d hung up");
	}
	printf("send_seconds %.3f\nsend_packets %llu\nsend_batches %llu\n"
	    "send_payload %zu\n", (double)(bench_now_ns() - t0) / 1e9,
	    (unsigned long long)npkts, (unsigned long long)nframes, size);
	ipc_sync_close(&s);
	free(frame);
	free(in);
	return 0;
}

static int
bench_recv(int argc, char **argv)
{
	struct ipc_sync s;
	struct pollfd pfd;
	uint8_t *buf;
	uint64_t t0, first = 0, last = 0, end, npkts = 0, nbytes = 0, before;

	if (argc != 2)
		bench_usage();
	if ((buf = malloc(IPC_FRAME_MAX)) == NULL)
		fatal("malloc");
	bench_connect(&s, argv[0]);
	/* tell the driver the receiver is in place */
	printf("recv_ready 1\n");
	fflush(stdout);
	t0 = bench_now_ns();
	end = t0 + (uint64_t)bench_num(argv[1], 1, 3600) * 1000000000ULL;
	for (;;) {
		pfd.fd = s.fd;
		pfd.events = POLLIN;
		poll(&pfd, 1, 100);
		before = npkts;
		if (bench_drain(s.fd, buf, &npkts, &nbytes) == -1)
			fatalx("zt-vl1d hung up");
		if (npkts != before) {
			last = bench_now_ns();
			if (first == 0)
				first = last;
		}
		if (bench_now_ns() > end || (first != 0 &&
		    bench_now_ns() - last > 2000000000ULL))
			break;
	}
	printf("recv_packets %llu\nrecv_bytes %llu\nrecv_seconds %.3f\n",
	    (unsigned long long)npkts, (unsigned long long)nbytes,
	    first == 0 ? 0.0 : (double)(last - first) / 1e9);
	ipc_sync_close(&s);
	free(buf);
	return 0;
}

/*
 * Junk classes: each is something an Internet host can send to a node
 * without any key.
 */
enum bench_junk {
	JUNK_SHORT,	/* shorter than any packet */
	JUNK_UNKNOWN,	/* a packet from an address the node never met */
	JUNK_BADMAC,	/* claims to come from a known peer, wrong MAC */
	JUNK_FRAGMENT,	/* fragments of packets whose head never comes */
	JUNK_HELLO,	/* HELLO with the known peer's identity, wrong MAC */
	JUNK_COUNT
};

static const char *const bench_junk_classes[JUNK_COUNT] = {
	"short", "unknown", "badmac", "fragment", "hello",
};

/*
 * One junk datagram of class c in d (256 bytes of room); hello is the
 * known peer's serialized public identity, for the hello class.
 */
static size_t
bench_junk_make(enum bench_junk c, uint8_t *d, uint64_t node, uint64_t peer,
    const uint8_t *hello, size_t hlen)
{
	uint64_t src;
	size_t len = 200;

	RAND_bytes(d, 256);
	switch (c) {
	case JUNK_SHORT:
		return 12;
	case JUNK_UNKNOWN:
		/* random non-reserved source: 40 bits, first byte not 0xff */
		src = be40_get(d + 32) & 0xfeffffffffULL;
		if (src >> 32 == 0)
			src |= 1ULL << 32;
		be40_put(d + ZT_PKT_IDX_DEST, node);
		be40_put(d + ZT_PKT_IDX_SOURCE, src);
		d[ZT_PKT_IDX_FLAGS] = 1 << 3;	/* Salsa20/12 + Poly1305 */
		return len;
	case JUNK_BADMAC:
		be40_put(d + ZT_PKT_IDX_DEST, node);
		be40_put(d + ZT_PKT_IDX_SOURCE, peer);
		d[ZT_PKT_IDX_FLAGS] = 1 << 3;
		return len;
	case JUNK_FRAGMENT:
		be40_put(d + ZT_PKT_IDX_DEST, node);
		d[13] = 0xff;			/* fragment indicator */
		d[14] = (uint8_t)(0x40 | (1 + d[14] % 3));
		d[15] = 0;
		return len;
	case JUNK_HELLO:
		be40_put(d + ZT_PKT_IDX_DEST, node);
		be40_put(d + ZT_PKT_IDX_SOURCE, peer);
		d[ZT_PKT_IDX_FLAGS] = 0;	/* Poly1305, no encryption */
		d[ZT_PKT_IDX_VERB] = VL1_VERB_HELLO;
		d[28] = VL1_PROTO_VERSION;
		d[29] = 1;
		d[30] = 14;
		be16_put(d + 31, 1);
		be64_put(d + 33, (uint64_t)bench_real_ms());
		memcpy(d + 41, hello, hlen);
		return 41 + hlen;
	default:
		return 0;
	}
}

static int
bench_flood(int argc, char **argv)
{
	struct mmsghdr mm[64];
	struct iovec iov[64];
	struct sockaddr_storage ss;
	struct inetaddr to;
	struct identity id;
	struct wbuf w;
	uint8_t bufs[64][512], hello[256];
	uint64_t node, peer, t0, end, sent = 0, due;
	socklen_t sl;
	size_t hlen;
	long pps;
	int c, fd, i, n;

	if (argc != 6)
		bench_usage();
	for (c = 0; c < JUNK_COUNT; c++)
		if (strcmp(argv[0], bench_junk_classes[c]) == 0)
			break;
	if (c == JUNK_COUNT)
		fatalx("unknown junk class '%s'", argv[0]);
	if (inetaddr_parse(&to, argv[1]) == -1 ||
	    inetaddr_to_sockaddr(&to, &ss, &sl) == -1)
		fatalx("bad address '%s'", argv[1]);
	pps = bench_num(argv[2], 1, 10000000);
	end = (uint64_t)bench_num(argv[3], 1, 3600) * 1000000000ULL;
	node = bench_address(argv[4]);
	/* PEER is an address or a whole public identity */
	memset(&id, 0, sizeof(id));
	if (strlen(argv[5]) > 10) {
		if (identity_from_string(&id, argv[5]) == -1)
			fatalx("bad identity");
		peer = id.address;
	} else
		peer = bench_address(argv[5]);
	wbuf_init(&w, hello, sizeof(hello));
	if (id.address != 0)
		identity_serialize(&id, false, &w);
	hlen = wbuf_len(&w);
	if (c == JUNK_HELLO && hlen == 0)
		fatalx("the hello class needs the peer's public identity");
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1)
		fatal("socket");
	t0 = bench_now_ns();
	end += t0;
	while ((due = bench_now_ns()) < end) {
		/* packets due by now at the given rate, 64 at most a call */
		due = (due - t0) * (uint64_t)pps / 1000000000ULL;
		if (due <= sent) {
			usleep(200);
			continue;
		}
		n = due - sent > 64 ? 64 : (int)(due - sent);
		for (i = 0; i < n; i++) {
			memset(&mm[i], 0, sizeof(mm[i]));
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = bench_junk_make(c, bufs[i], node,
			    peer, hello, hlen);
			mm[i].msg_hdr.msg_name = &ss;
			mm[i].msg_hdr.msg_namelen = sl;
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = sendmmsg(fd, mm, (unsigned int)n, 0)) <= 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNREFUSED)
				fatal("sendmmsg");
			continue;
		}
		sent += (uint64_t)n;
	}
	printf("flood_class %s\nflood_packets %llu\nflood_seconds %.3f\n",
	    argv[0], (unsigned long long)sent,
	    (double)(bench_now_ns() - t0) / 1e9);
	close(fd);
	return 0;
}

/* one simulated peer: an engine, its identity and its socket */
struct bench_peer {
	struct identity		 id;
	struct vl1_node		*node;
	int			 fd;
	int64_t			 next_tick;
};

static void
bench_peer_send(void *arg, int sock, const struct inetaddr *to,
    const uint8_t *d, size_t len, int ttl)
{
	struct bench_peer *p = arg;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (inetaddr_to_sockaddr(to, &ss, &sl) == 0)
		sendto(p->fd, d, len, MSG_DONTWAIT, (struct sockaddr *)&ss,
		    sl);
	(void)sock;
	(void)ttl;
}

static int
bench_peer_agree(void *arg, const struct identity *other,
    uint8_t key[ZT_AGREED_KEY_LEN])
{
	struct bench_peer *p = arg;

	return identity_agree(&p->id, other, key);
}

static void
bench_peer_random(void *arg, void *d, size_t n)
{
	RAND_bytes(d, (int)n);
	(void)arg;
}

static void
bench_peer_vl2(void *arg, uint64_t src, const uint8_t *d, size_t len,
    int64_t now)
{
	/* nothing sends VL2 traffic to these peers */
	(void)arg, (void)src, (void)d, (void)len, (void)now;
}

static int
bench_peer_start(struct bench_peer *p, const char *line,
    const struct world *planet, const uint8_t net[2], unsigned int slot)
{
	struct vl1_config cfg;
	struct vl1_io io;
	struct sockaddr_in sin;
	int on = 1;

	if (identity_from_string(&p->id, line) == -1 || p->id.priv == NULL)
		return -1;
	if ((p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	setsockopt(p->fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9993);
	/* NET.slot.(1 + a counter in the identity list) */
	sin.sin_addr.s_addr = htonl((uint32_t)net[0] << 24 |
	    (uint32_t)net[1] << 16 | (slot % 256) << 8 |
	    (1 + slot / 256 % 254));
	if (bind(p->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(p->fd);
		return -1;
	}
	memset(&io, 0, sizeof(io));
	io.arg = p;
	io.send = bench_peer_send;
	io.agree = bench_peer_agree;
	io.random = bench_peer_random;
	io.vl2 = bench_peer_vl2;
	memset(&cfg, 0, sizeof(cfg));
	cfg.self = &p->id;
	cfg.planet = planet;
	cfg.max_peers = 16;
	if ((p->node = vl1_node_new(&cfg, &io, bench_real_ms())) == NULL) {
		close(p->fd);
		return -1;
	}
	p->next_tick = 0;
	return 0;
}

static void
bench_peer_stop(struct bench_peer *p)
{
	vl1_node_free(p->node);
	close(p->fd);
	identity_clear(&p->id);
}

/* runs one wave until every engine is online or 30 s passed */
static unsigned int
bench_wave(struct bench_peer *w, unsigned int n)
{
	struct sockaddr_storage ss;
	struct inetaddr from;
	uint8_t buf[ZT_MAX_PACKET_LEN + 1];
	int64_t now, end = bench_real_ms() + 30000;
	unsigned int i, online = 0;
	socklen_t sl;
	ssize_t len;

	while ((now = bench_real_ms()) < end) {
		online = 0;
		for (i = 0; i < n; i++) {
			for (;;) {
				sl = sizeof(ss);
				len = recvfrom(w[i].fd, buf, sizeof(buf), 0,
				    (struct sockaddr *)&ss, &sl);
				if (len <= 0)
					break;
				if (inetaddr_from_sockaddr(&from,
				    (struct sockaddr *)&ss, sl) == 0)
					vl1_node_receive(w[i].node, 0, &from,
					    buf, (size_t)len, now);
			}
			if (now >= w[i].next_tick)
				w[i].next_tick = vl1_node_tick(w[i].node, now);
			online += vl1_node_online(w[i].node, now);
		}
		if (online == n)
			break;
		usleep(2000);
	}
	return online;
}

static int
bench_peers(int argc, char **argv)
{
	struct bench_peer *w;
	struct world planet;
	struct rlimit rl;
	struct rbuf r;
	char *text, *line, *save;
	size_t tlen, first, count, done = 0, online = 0, nline = 0, n;
	uint8_t net[2];
	unsigned int a, b;
	uint64_t t0, wave_t0;

	if (argc != 5)
		bench_usage();
	first = (size_t)bench_num(argv[1], 0, 1000000);
	count = (size_t)bench_num(argv[2], 1, 1000000);
	if (sscanf(argv[4], "%u.%u", &a, &b) != 2 || a > 255 || b > 255)
		fatalx("bad net '%s'", argv[4]);
	net[0] = (uint8_t)a;
	net[1] = (uint8_t)b;
	if (file_read(argv[3], WORLD_MAX_SERIALIZED, &text, &tlen) == -1)
		fatal("%s", argv[3]);
	rbuf_init(&r, text, tlen);
	if (world_deserialize(&planet, &r) == -1)
		fatalx("bad planet %s", argv[3]);
	free(text);
	if (file_read(argv[0], 1 << 26, &text, &tlen) == -1)
		fatal("%s", argv[0]);
	rl.rlim_cur = rl.rlim_max = BENCH_WAVE + 64;
	setrlimit(RLIMIT_NOFILE, &rl);
	if ((w = calloc(BENCH_WAVE, sizeof(*w))) == NULL)
		fatal("calloc");
	t0 = bench_now_ns();
	line = strtok_r(text, "\n", &save);
	while (line != NULL && done < count) {
		wave_t0 = bench_now_ns();
		n = 0;
		while (n < BENCH_WAVE && line != NULL && done + n < count) {
			if (nline++ >= first) {
				if (bench_peer_start(&w[n], line, &planet, net,
				    (unsigned int)((first + done + n) %
				    65024)) == -1)
					fatalx("cannot start peer %zu",
					    first + done + n);
				n++;
			}
			line = strtok_r(NULL, "\n", &save);
		}
		if (n == 0)
			break;
		online += bench_wave(w, (unsigned int)n);
		done += n;
		while (n > 0)
			bench_peer_stop(&w[--n]);
		/* the root verifies one new identity per /24 per 2 s */
		while (bench_now_ns() - wave_t0 < 2100000000ULL)
			usleep(10000);
	}
	/* what each peer costs the engine, duplicate window included */
	printf("peer_struct_bytes %zu\npeer_dup_window %d\n"
	    "peer_dup_bytes %zu\n", sizeof(struct vl1_peer), VL1_DUP_WINDOW,
	    sizeof(((struct vl1_peer *)NULL)->dup));
	printf("peers_started %zu\npeers_online %zu\npeers_seconds %.1f\n",
	    done, online,
	    (double)(bench_now_ns() - t0) / 1e9);
	free(w);
	free(text);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("bench-vl1", LOG_LVL_WARN);
	if (argc < 2)
		bench_usage();
	if (strcmp(argv[1], "send") == 0)
		return bench_send(argc - 2, argv + 2);
	if (strcmp(argv[1], "recv") == 0)
		return bench_recv(argc - 2, argv + 2);
	if (strcmp(argv[1], "flood") == 0)
		return bench_flood(argc - 2, argv + 2);
	if (strcmp(argv[1], "peers") == 0)
		return bench_peers(argc - 2, argv + 2);
	bench_usage();
	return 2;
}
