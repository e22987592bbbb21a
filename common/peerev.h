#pragma once
/*
 * One entry of VL2_PEER_EVENT (ipc_catalogue.h), written by zt-vl1d and
 * read by zt-vl2d.  Every kind has the same fixed size so that a reader
 * can skip kinds it does not know; fields a kind does not use are 0
 * (flags) and IPC_PEER_LATENCY_UNKNOWN (latency).
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "ipc_catalogue.h"

struct ipc_peer_ev {
	uint8_t		 kind;		/* enum ipc_peer_event */
	uint64_t	 address;	/* 40 bits */
	uint8_t		 flags;		/* IPC_PEER_F_* */
	uint16_t	 latency;	/* ms; IPC_PEER_LATENCY_UNKNOWN */
};

static inline int
ipc_peer_ev_put(struct wbuf *w, const struct ipc_peer_ev *e)
{
	if (wbuf_put_u8(w, e->kind) == -1 ||
	    wbuf_put_u40(w, e->address) == -1 ||
	    wbuf_put_u8(w, e->flags) == -1 ||
	    wbuf_put_u16(w, e->latency) == -1)
		return -1;
	return 0;
}

/* -1 when fewer than IPC_PEER_EVENT_LEN bytes remain */
static inline int
ipc_peer_ev_get(struct rbuf *r, struct ipc_peer_ev *e)
{
	memset(e, 0, sizeof(*e));
	if (rbuf_get_u8(r, &e->kind) == -1 ||
	    rbuf_get_u40(r, &e->address) == -1 ||
	    rbuf_get_u8(r, &e->flags) == -1 ||
	    rbuf_get_u16(r, &e->latency) == -1)
		return -1;
	return 0;
}
