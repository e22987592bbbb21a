#pragma once
/*
 * IPC test support shared by test-ipc and test-ipc-batch: driving the
 * event loop for a bounded time, counting open descriptors (leak
 * checks), an ipc instance whose every role is this process's uid, and
 * hand-written frames as a hostile peer would send them (the library's
 * own writer never produces a malformed one).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ipc.h"

/* runs base until *flag is set or ms have passed; returns *flag */
bool	 test_loop_until(struct event_base *, const bool *flag, int ms);
/* runs base for ms */
void	 test_loop_for(struct event_base *, int ms);
/* the number of descriptors this process holds open */
int	 test_count_fds(void);
/* an ipc for role self that accepts this uid in every role */
struct ipc	*test_ipc_new(struct event_base *, enum ipc_role self,
	    int hello_ms);
/* a non-blocking SOCK_SEQPACKET pair */
void	 test_seqpacket_pair(int sv[2]);
/*
 * Writes a frame header field by field (any value, however wrong) and
 * the payload into out; returns the frame's length.
 */
size_t	 test_raw_frame(uint8_t *out, size_t cap, uint16_t type,
	    uint8_t flags, uint8_t reserved, uint32_t lenfield, uint32_t id,
	    const void *p, size_t n);
/* sends n bytes as one datagram with up to 16 fds; 0 or -1 */
int	 test_raw_send(int fd, const void *p, size_t n, const int *fds,
	    size_t nfds);
/* a HELLO frame for role and version, with a stray fourth byte or not */
int	 test_raw_hello(int fd, uint8_t role, uint16_t version,
	    bool trailing);

/*
 * A connection's state as the up/down callbacks leave it.  A test's own
 * per-side struct starts with one, so that test_link_up/test_link_down
 * can be its callbacks whatever else the struct holds.
 */
struct test_link {
	struct ipc_conn	*conn;		/* NULL until up, and once down */
	bool		 up;
	bool		 down;
	enum ipc_err	 reason;	/* why it went down */
};

void	 test_link_up(struct ipc_conn *, void *link);
void	 test_link_down(struct ipc_conn *, enum ipc_err, void *link);
