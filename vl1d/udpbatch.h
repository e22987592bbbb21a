#pragma once
/*
 * Batched UDP for zt-vl1d (udp.c), with no daemon state so that a unit
 * test drives it over loopback.  Sending queues datagrams and flushes them
 * with one sendmmsg; a run of same-size datagrams to one destination goes
 * down as a single UDP GSO (UDP_SEGMENT) message when the kernel takes
 * it.  Receiving reads a batch with one recvmmsg and, with UDP GRO on,
 * splits each coalesced message back into its datagrams.  Both offloads
 * are detected per socket; a kernel that refuses them gets the plain
 * batches, and the fallback is logged once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inetaddr.h"

#define UDPB_TX_MAX	64	/* datagrams queued before a flush */
#define UDPB_RX_MAX	32	/* messages per recvmmsg */
#define UDPB_DGRAM_MAX	10024	/* largest datagram kept (ZT_MAX_PACKET_LEN) */
/* one GSO message: the kernel's segment cap and the IP length limit */
#define UDPB_GSO_SEGS	64
#define UDPB_GSO_BYTES	65000
/* a GRO message holds at most one IP datagram's worth */
#define UDPB_GRO_BUF	65536

struct udpb_stats {
	uint64_t	 tx_datagrams;
	uint64_t	 tx_messages;	/* sendmmsg entries: a GSO run is 1 */
	uint64_t	 tx_calls;	/* sendmmsg calls */
	uint64_t	 tx_dropped;
	uint64_t	 rx_datagrams;
	uint64_t	 rx_messages;	/* recvmmsg entries: a GRO run is 1 */
	uint64_t	 rx_calls;
	uint64_t	 rx_truncated;
};

struct udpb_tx {
	bool		 gso;		/* UDP_SEGMENT in use */
	unsigned int	 n;
	struct inetaddr	 to[UDPB_TX_MAX];
	uint16_t	 len[UDPB_TX_MAX];
	uint8_t		*buf;		/* UDPB_TX_MAX * UDPB_DGRAM_MAX */
};

struct udpb_rx {
	bool		 gro;		/* UDP_GRO in use */
	size_t		 bufsz;		/* per message */
	uint8_t		*buf;		/* UDPB_RX_MAX * bufsz */
};

/* what the caller wants and what the kernel granted */
#define UDPB_GSO	0x01
#define UDPB_GRO	0x02

/*
 * Turns on the offloads asked for in want that the kernel has for fd
 * (GRO with setsockopt; GSO probed with setsockopt, used per message)
 * and returns the ones granted.
 */
int	 udpb_offload(int fd, int want);

/* buffers; -1 when memory ran out */
int	 udpb_tx_init(struct udpb_tx *, bool gso);
void	 udpb_tx_free(struct udpb_tx *);
int	 udpb_rx_init(struct udpb_rx *, bool gro);
void	 udpb_rx_free(struct udpb_rx *);

/*
 * Queues one datagram (copied); flushes first when the queue is full.
 * -1 (nothing queued) for a datagram over UDPB_DGRAM_MAX.
 */
int	 udpb_tx_queue(int fd, struct udpb_tx *, struct udpb_stats *,
	    const struct inetaddr *, const uint8_t *, size_t);
/*
 * Sends everything queued.  A datagram the kernel refuses (full buffer,
 * unreachable) is dropped and counted; a GSO message the kernel refuses
 * turns GSO off for this queue and goes again as separate datagrams.
 */
void	 udpb_tx_flush(int fd, struct udpb_tx *, struct udpb_stats *);

/*
 * One recvmmsg: calls fn for each datagram (its bytes may be modified in
 * place).  Returns the number of messages read (0: nothing waiting), -1
 * on a socket error.
 */
int	 udpb_rx_read(int fd, struct udpb_rx *, struct udpb_stats *,
	    void (*fn)(void *, const struct inetaddr *, uint8_t *, size_t),
	    void *arg);
