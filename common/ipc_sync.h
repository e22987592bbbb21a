#pragma once
/*
 * Blocking request/reply over one IPC connection, for the two places
 * that must wait for an answer: zt-ctl, and zt-vl1d's network half asking
 * its key holder for a per-peer key in the middle of handling a packet.
 * Frames are the same as the event-driven library's (ipc.h) and are
 * checked by the same parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

struct ipc_sync {
	int			 fd;
	enum ipc_role		 self;
	enum ipc_role		 peer;
	uint32_t		 next_id;
	int			 timeout_ms;
	struct ipc_reasm	 reasm;
};

/*
 * Takes fd (a connected SOCK_SEQPACKET socket) and exchanges HELLO:
 * ours first, then the peer's, which must name role peer.  0 or -1.
 */
int	 ipc_sync_open(struct ipc_sync *, int fd, enum ipc_role self,
	    enum ipc_role peer, int timeout_ms);
/* connects to a control socket path, then as ipc_sync_open */
int	 ipc_sync_connect(struct ipc_sync *, const char *path,
	    enum ipc_role self, enum ipc_role peer, int timeout_ms);
/*
 * Sends one message (in parts when longer than the type's frame limit,
 * up to its total) and waits for the reply carrying its id (parts
 * joined).  *reply is a heap copy the caller frees.  An ERROR reply is
 * returned as such (*rtype = IPC_MSG_ERROR).  0, or -1 with errno:
 * EMSGSIZE over the type's total (nothing sent), ETIMEDOUT no answer in
 * time, ECONNRESET or EPIPE the peer closed, EPROTO a bad frame.
 */
int	 ipc_sync_call(struct ipc_sync *, uint16_t type, const void *,
	    size_t, uint16_t *rtype, uint8_t **reply, size_t *rlen);
/* sends one message that has no reply (id 0), as ipc_sync_call; 0 or -1 */
int	 ipc_sync_send(struct ipc_sync *, uint16_t type, const void *,
	    size_t);
/*
 * Waits up to the timeout for the next whole message of any type the
 * peer may send us; *msg is a heap copy.  0, or -1 on timeout or error.
 */
int	 ipc_sync_recv(struct ipc_sync *, uint16_t *type, uint8_t **msg,
	    size_t *len);
void	 ipc_sync_close(struct ipc_sync *);
