/*
 * Batched UDP with GSO and GRO (udpbatch.h).  A flush groups the queue
 * into messages: with GSO, consecutive datagrams of one size to one
 * destination (the last of a run may be shorter) share a message whose
 * iovecs the kernel cuts at the UDP_SEGMENT size, so a burst of FRAMEs to
 * one peer costs one trip through the stack instead of one per datagram.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "udpbatch.h"

static struct log_drops udpb_send_errors = LOG_DROPS_INIT("udp send");

union udpb_cmsg {
	char		 buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr	 align;
};

int
udpb_offload(int fd, int want)
{
	int got = 0, on = 1, seg = 1400, off = 0;

	if ((want & UDPB_GRO) && setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on,
	    sizeof(on)) == 0)
		got |= UDPB_GRO;
	/*
	 * GSO goes per message (a control message), so the socket default
	 * stays off; setting and clearing it tells whether the kernel has
	 * UDP_SEGMENT at all.
	 */
	if ((want & UDPB_GSO) && setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT,
	    &seg, sizeof(seg)) == 0 && setsockopt(fd, IPPROTO_UDP,
	    UDP_SEGMENT, &off, sizeof(off)) == 0)
		got |= UDPB_GSO;
	return got;
}

int
udpb_tx_init(struct udpb_tx *t, bool gso)
{
	memset(t, 0, sizeof(*t));
	t->gso = gso;
	if ((t->buf = malloc((size_t)UDPB_TX_MAX * UDPB_DGRAM_MAX)) == NULL)
		return -1;
	return 0;
}

void
udpb_tx_free(struct udpb_tx *t)
{
	free(t->buf);
	t->buf = NULL;
	t->n = 0;
}

int
udpb_rx_init(struct udpb_rx *r, bool gro)
{
	memset(r, 0, sizeof(*r));
	r->gro = gro;
	/* a GRO message can hold up to 64 KiB of datagrams */
	r->bufsz = gro ? UDPB_GRO_BUF : UDPB_DGRAM_MAX;
	if ((r->buf = malloc(UDPB_RX_MAX * r->bufsz)) == NULL)
		return -1;
	return 0;
}

void
udpb_rx_free(struct udpb_rx *r)
{
	free(r->buf);
	r->buf = NULL;
}

int
udpb_tx_queue(int fd, struct udpb_tx *t, struct udpb_stats *st,
    const struct inetaddr *to, const uint8_t *d, size_t len)
{
	if (len > UDPB_DGRAM_MAX)
		return -1;
	if (t->n == UDPB_TX_MAX)
		udpb_tx_flush(fd, t, st);
	t->to[t->n] = *to;
	t->len[t->n] = (uint16_t)len;
	memcpy(t->buf + (size_t)t->n * UDPB_DGRAM_MAX, d, len);
	t->n++;
	return 0;
}

/* where a GSO run starting at datagram i ends (exclusive) */
static unsigned int
udpb_run_end(const struct udpb_tx *t, unsigned int i)
{
	unsigned int j = i + 1;
	size_t bytes = t->len[i];

	while (j < t->n && j - i < UDPB_GSO_SEGS &&
	    bytes + t->len[j] <= UDPB_GSO_BYTES &&
	    t->len[j] <= t->len[i] && t->len[j] > 0 &&
	    inetaddr_equal(&t->to[j], &t->to[i])) {
		bytes += t->len[j];
		/* only the last segment may be shorter */
		if (t->len[j++] < t->len[i])
			break;
	}
	return j;
}

/*
 * Builds the messages for datagrams pos.. into mm; first[k] is the first
 * datagram of message k and first[nm] the end.  Datagrams before plain
 * go one per message (a GSO message the kernel refused).
 */
static unsigned int
udpb_tx_build(struct udpb_tx *t, unsigned int pos, unsigned int plain,
    struct mmsghdr *mm, struct sockaddr_storage *ss, struct iovec *iov,
    union udpb_cmsg *cm, unsigned int *first)
{
	struct cmsghdr *c;
	unsigned int nm = 0, i = pos, j;
	socklen_t sl;

	while (i < t->n) {
		j = t->gso && i >= plain ? udpb_run_end(t, i) : i + 1;
		memset(&mm[nm], 0, sizeof(mm[nm]));
		if (inetaddr_to_sockaddr(&t->to[i], &ss[nm], &sl) == -1)
			sl = 0;
		mm[nm].msg_hdr.msg_name = &ss[nm];
		mm[nm].msg_hdr.msg_namelen = sl;
		mm[nm].msg_hdr.msg_iov = &iov[i];
		mm[nm].msg_hdr.msg_iovlen = j - i;
		if (j - i > 1) {
			memset(&cm[nm], 0, sizeof(cm[nm]));
			mm[nm].msg_hdr.msg_control = cm[nm].buf;
			mm[nm].msg_hdr.msg_controllen =
			    CMSG_SPACE(sizeof(uint16_t));
			c = CMSG_FIRSTHDR(&mm[nm].msg_hdr);
			c->cmsg_level = IPPROTO_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			memcpy(CMSG_DATA(c), &t->len[i], sizeof(uint16_t));
		}
		first[nm++] = i;
		i = j;
	}
	first[nm] = i;
	return nm;
}

void
udpb_tx_flush(int fd, struct udpb_tx *t, struct udpb_stats *st)
{
	struct mmsghdr mm[UDPB_TX_MAX];
	struct sockaddr_storage ss[UDPB_TX_MAX];
	struct iovec iov[UDPB_TX_MAX];
	union udpb_cmsg cm[UDPB_TX_MAX];
	unsigned int first[UDPB_TX_MAX + 1];
	unsigned int i, k, nm, pos = 0, plain = 0;
	int n, e;

	for (i = 0; i < t->n; i++) {
		iov[i].iov_base = t->buf + (size_t)i * UDPB_DGRAM_MAX;
		iov[i].iov_len = t->len[i];
	}
	while (pos < t->n) {
		nm = udpb_tx_build(t, pos, plain, mm, ss, iov, cm, first);
		n = sendmmsg(fd, mm, nm, 0);
		st->tx_calls++;
		if (n > 0) {
			for (k = 0; k < (unsigned int)n; k++) {
				st->tx_messages++;
				st->tx_datagrams += first[k + 1] - first[k];
			}
			pos = first[n];
			continue;
		}
		e = errno;
		if (n == -1 && e == EINTR)
			continue;
		if (first[1] - first[0] > 1) {
			/*
			 * A device without checksum offload (EIO) or a
			 * kernel without UDP GSO refuses every such
			 * message: stop asking.  Anything else (a segment
			 * over the route's MTU) is about this run only.
			 */
			if (e == EIO || e == ENOPROTOOPT || e == EOPNOTSUPP) {
				t->gso = false;
				log_warnx("UDP GSO refused (%s): sending "
				    "datagrams one by one", strerror(e));
			}
			plain = first[1];
			continue;
		}
		/* a full buffer or an unreachable peer: drop the one */
		log_drop(&udpb_send_errors, "%s", strerror(e));
		st->tx_dropped++;
		pos = first[1];
	}
	t->n = 0;
}

/* the GRO segment size of a received message, 0 when not coalesced */
static size_t
udpb_gro_size(struct msghdr *mh)
{
	struct cmsghdr *c;
	int v;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	return 0;
}

int
udpb_rx_read(int fd, struct udpb_rx *r, struct udpb_stats *st,
    void (*fn)(void *, const struct inetaddr *, uint8_t *, size_t),
    void *arg)
{
	struct mmsghdr mm[UDPB_RX_MAX];
	struct sockaddr_storage ss[UDPB_RX_MAX];
	struct iovec iov[UDPB_RX_MAX];
	union udpb_cmsg cm[UDPB_RX_MAX];
	struct inetaddr from;
	uint8_t *p;
	size_t len, seg, off;
	int i, n;

	for (i = 0; i < UDPB_RX_MAX; i++) {
		memset(&mm[i], 0, sizeof(mm[i]));
		iov[i].iov_base = r->buf + (size_t)i * r->bufsz;
		iov[i].iov_len = r->bufsz;
		mm[i].msg_hdr.msg_name = &ss[i];
		mm[i].msg_hdr.msg_namelen = sizeof(ss[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (r->gro) {
			mm[i].msg_hdr.msg_control = cm[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(cm[i].buf);
		}
	}
	n = recvmmsg(fd, mm, UDPB_RX_MAX, MSG_DONTWAIT, NULL);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : -1;
	st->rx_calls++;
	for (i = 0; i < n; i++) {
		st->rx_messages++;
		/* a datagram larger than any packet was cut: junk */
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			st->rx_truncated++;
			continue;
		}
		if (inetaddr_from_sockaddr(&from, (struct sockaddr *)&ss[i],
		    mm[i].msg_hdr.msg_namelen) == -1)
			continue;
		p = iov[i].iov_base;
		len = mm[i].msg_len;
		if (r->gro) {
			seg = udpb_gro_size(&mm[i].msg_hdr);
			if (seg == 0 || seg > len)
				seg = len;
		} else
			seg = len;
		if (seg > UDPB_DGRAM_MAX) {
			st->rx_truncated++;
			continue;
		}
		for (off = 0; off < len || len == 0; off += seg) {
			st->rx_datagrams++;
			fn(arg, &from, p + off, len - off < seg ?
			    len - off : seg);
			if (len == 0)
				break;
		}
	}
	return n;
}
