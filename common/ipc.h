#pragma once
/*
 * Framed messages between the zt-privsep processes over SOCK_SEQPACKET
 * unix sockets (DESIGN.md, "IPC"; the types are in ipc_catalogue.h).
 *
 * A frame is a 12-byte header followed by the payload:
 *	u16 type, u8 flags, u8 reserved (0), u32 payload length,
 *	u32 request id
 * all big-endian.  IPC_F_MORE marks a part of a message that continues
 * in the next frame (only on types with a multi-part cap).  File
 * descriptors travel with SCM_RIGHTS, only on types that carry them.
 *
 * Each side's first frame is HELLO {u8 role, u16 version}.  The receiver
 * checks the role against the peer's SO_PEERCRED uid (ipc_role_check)
 * and against the roles it accepts on that socket; anything else closes
 * the connection.  A malformed frame is counted, logged (rate-limited)
 * and closes its connection; the process goes on.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ipc_catalogue.h"

struct event_base;
struct ipc;
struct ipc_conn;
struct ipc_listener;
struct ipc_client;

/* why a frame was refused or a connection ended */
enum ipc_err {
	IPC_OK = 0,
	IPC_E_SHORT,		/* shorter than a header */
	IPC_E_LENGTH,		/* header length differs from bytes received */
	IPC_E_OVERSIZE,		/* payload over the type's limit */
	IPC_E_TYPE,		/* type not in the catalogue */
	IPC_E_ROLE,		/* role may not send or receive the type */
	IPC_E_FDS,		/* fd count differs from the type's */
	IPC_E_FLAGS,		/* unknown flag, reserved byte, stray MORE */
	IPC_E_TRUNC,		/* MSG_TRUNC or MSG_CTRUNC */
	IPC_E_CMSG,		/* a control message other than SCM_RIGHTS */
	IPC_E_SEQUENCE,		/* before/after HELLO, or parts interleaved */
	IPC_E_REASSEMBLY,	/* parts over the cap, or an empty part */
	IPC_E_HELLO,		/* HELLO body malformed */
	IPC_E_VERSION,		/* other protocol version */
	IPC_E_UID,		/* role refused for the peer's uid */
	IPC_E_BODY,		/* handler refused the body or left bytes */
	IPC_E_UNHANDLED,	/* no handler for the type */
	IPC_E_TIMEOUT,		/* no HELLO in time */
	IPC_E_EOF,		/* peer closed */
	IPC_E_IO,		/* socket error */
	IPC_E_QUEUE,		/* outgoing queue over its hard cap */
	IPC_E_LOCAL,		/* closed by this process */
	IPC_E_COUNT
};

const char	*ipc_err_str(enum ipc_err);

#define IPC_F_MORE	0x01

struct ipc_hdr {
	uint16_t	 type;
	uint8_t		 flags;
	uint32_t	 len;
	uint32_t	 id;
};

/*
 * Checks one received frame (buf, len, with nfds descriptors attached)
 * sent by role from to role to: header, exact length, catalogue type,
 * roles, payload limit, fd count, flags.  On IPC_OK, *body reads the
 * payload.  from is IPC_ROLE_NONE until the peer's HELLO named its role.
 * Needs no socket, so the fuzzer calls it directly.
 */
enum ipc_err	 ipc_frame_parse(const uint8_t *, size_t, size_t nfds,
		    enum ipc_role from, enum ipc_role to, struct ipc_hdr *,
		    struct rbuf *body);
int		 ipc_hdr_put(struct wbuf *, const struct ipc_hdr *);

/* roles: the uid each daemon role must have, and defaults for queues */
struct ipc_config {
	enum ipc_role	 self;
	uid_t		 role_uid[IPC_ROLE_COUNT];	/* (uid_t)-1: nobody */
	size_t		 lowat;		/* queue bytes for the low callback */
	size_t		 hiwat;		/* queue bytes for the high callback */
	size_t		 queue_max;	/* hard cap; over it a send fails */
	unsigned int	 hello_ms;	/* time a peer has to send HELLO */
};

/* no daemon uid set, default watermarks */
void		 ipc_config_init(struct ipc_config *, enum ipc_role self);
/*
 * zt-ctl is accepted from any uid that could open the socket (its mode
 * and group are the gate); a daemon role only from its own uid, and
 * never from root.
 */
enum ipc_err	 ipc_role_check(const struct ipc_config *, enum ipc_role,
		    uid_t);

/* reassembly of multi-part messages on one connection */
struct ipc_reasm {
	bool		 active;
	uint16_t	 type;
	uint32_t	 id;
	struct wbuf	 buf;
};

void		 ipc_reasm_init(struct ipc_reasm *);
/* drops a partial message and frees the buffer */
void		 ipc_reasm_clear(struct ipc_reasm *);
/*
 * Feeds a frame that passed ipc_frame_parse.  On IPC_OK *msg is NULL
 * while parts are due, else it points at the whole message (the frame's
 * payload or the joined parts), valid until the next call.
 */
enum ipc_err	 ipc_reasm_add(struct ipc_reasm *, const struct ipc_hdr *,
		    struct rbuf *body, const uint8_t **msg, size_t *len);

/*
 * Typed fields for message bodies: strings and byte strings carry a
 * big-endian length; readers check it against what remains and a cap.
 */
int		 ipc_put_str(struct wbuf *, const char *);
/* fails on a string longer than size - 1 or holding a NUL */
int		 ipc_get_str(struct rbuf *, char *, size_t);
int		 ipc_put_bytes16(struct wbuf *, const void *, size_t);
int		 ipc_put_bytes32(struct wbuf *, const void *, size_t);
int		 ipc_get_bytes16(struct rbuf *, size_t max, const uint8_t **,
		    size_t *);
int		 ipc_get_bytes32(struct rbuf *, size_t max, const uint8_t **,
		    size_t *);
int		 ipc_put_bool(struct wbuf *, bool);
/* only 0 and 1 are booleans */
int		 ipc_get_bool(struct rbuf *, bool *);

int		 ipc_hello_put(struct wbuf *, enum ipc_role);
enum ipc_err	 ipc_hello_get(struct rbuf *, enum ipc_role *);
int		 ipc_error_put(struct wbuf *, uint32_t code, const char *);
int		 ipc_error_get(struct rbuf *, uint32_t *code, char *, size_t);

/* a received message as a handler sees it */
struct ipc_msg {
	uint16_t	 type;
	uint32_t	 id;
	struct rbuf	 body;	/* must be read to the end */
	int		 fds[IPC_FDS_MAX];
	size_t		 nfds;
};

/* takes ownership of fd i; the library closes every fd not taken */
int		 ipc_msg_take_fd(struct ipc_msg *, size_t);

/*
 * Returns 0, or -1 when the body is malformed.  After 0 the body must
 * have been read to its end.  Either failure counts as a malformed frame
 * and closes the connection.  A handler may close its own connection.
 */
struct ipc_handler {
	uint16_t	 type;
	int		(*fn)(struct ipc_conn *, struct ipc_msg *, void *);
};

struct ipc_callbacks {
	/* ends with { 0, NULL } */
	const struct ipc_handler	*handlers;
	/* HELLO checked both ways */
	void	(*up)(struct ipc_conn *, void *);
	/* only after up; the conn is freed when it returns */
	void	(*down)(struct ipc_conn *, enum ipc_err, void *);
	/* the outgoing queue reached the high / fell to the low watermark */
	void	(*high)(struct ipc_conn *, void *);
	void	(*low)(struct ipc_conn *, void *);
};

/* an EVENT_BASE_FLAG_NOLOCK base with libevent's log routed to ours */
struct event_base	*ipc_event_base_new(void);

struct ipc	*ipc_new(struct event_base *, const struct ipc_config *);
/* closes every connection, listener and client without callbacks */
void		 ipc_free(struct ipc *);
/* malformed frames and refused peers in this process */
uint64_t	 ipc_malformed_total(const struct ipc *);
/* the reason of the latest of those (IPC_OK if none) */
enum ipc_err	 ipc_last_error(const struct ipc *);

/*
 * Makes a connection of fd (non-blocking SOCK_SEQPACKET, now owned by
 * the library) that accepts a peer with a role in the accept mask
 * (IPC_R()).  IPC_CONN_TRUSTED skips the uid check: for a socketpair
 * made at fork, where the peer is known by construction.
 */
#define IPC_CONN_TRUSTED	0x01
struct ipc_conn	*ipc_conn_open(struct ipc *, int fd, uint32_t accept,
		    int flags, const struct ipc_callbacks *, void *);
/* closes after the current callback returns; down follows if up */
void		 ipc_conn_close(struct ipc_conn *);
bool		 ipc_conn_is_up(const struct ipc_conn *);
enum ipc_role	 ipc_conn_role(const struct ipc_conn *);
uid_t		 ipc_conn_uid(const struct ipc_conn *);
uint64_t	 ipc_conn_malformed(const struct ipc_conn *);
size_t		 ipc_conn_queued(const struct ipc_conn *);
void		 ipc_conn_set_watermarks(struct ipc_conn *, size_t low,
		    size_t high);
/* a consumer that cannot keep up stops reading (backpressure) */
void		 ipc_conn_set_reading(struct ipc_conn *, bool);

/*
 * Batched I/O for a data-path connection (zt-vl2d <-> zt-vl1d, DESIGN.md
 * "IPC"): up to n frames per recvmmsg(2) and sendmmsg(2), and on each
 * wake-up the socket is read until it is empty instead of a burst of
 * IPC_READ_BURST frames.  n receive buffers of IPC_FRAME_MAX bytes are
 * allocated (pages are touched only as frames fill them); n = 1 frees
 * them and restores the default.  Frames taken by one recvmmsg are all
 * dispatched even if a handler stops reading on the way.  -1: EINVAL (n
 * is 0 or over IPC_BATCH_MAX), ENOMEM, EBUSY (called from a handler
 * while a batch of this connection is being dispatched).
 */
#define IPC_BATCH_MAX	16
int		 ipc_conn_set_batch(struct ipc_conn *, unsigned int n);
/*
 * While corked, ipc_send* only queue; uncorking writes the queue with
 * as few syscalls as the batch size allows.  Messages made in one event
 * callback then leave together.  The queue caps still apply.
 */
void		 ipc_conn_cork(struct ipc_conn *, bool);
uint32_t	 ipc_conn_next_id(struct ipc_conn *);

/*
 * Queues a message; one larger than the type's frame limit is split
 * into parts when the type allows it.  fds stay the caller's (they are
 * duplicated).  -1 if the conn is not up, the type is not ours to send
 * to this peer, the size or fd count is wrong or the queue is full.
 */
int		 ipc_send(struct ipc_conn *, uint16_t type, uint32_t id,
		    const void *, size_t);
int		 ipc_send_fds(struct ipc_conn *, uint16_t type, uint32_t id,
		    const void *, size_t, const int *fds, size_t nfds);
/* -1 also when the writer failed */
int		 ipc_send_wbuf(struct ipc_conn *, uint16_t type, uint32_t id,
		    const struct wbuf *);
int		 ipc_send_error(struct ipc_conn *, uint32_t id, uint32_t code,
		    const char *);

/*
 * A listening control socket at path: stale sockets are replaced (any
 * other file is refused), mode 0660-style mode and group gid are set
 * with no window in which the socket is more open.  Returns the fd.
 */
int		 ipc_socket_listen(const char *path, mode_t, gid_t);
int		 ipc_socket_connect(const char *path);

/*
 * Accepts on fd (owned from now on) peers with a role in accept.  Its
 * connections answer HELLO only after the peer's passed, so a client
 * that sees the server's HELLO (its up callback) was accepted.
 */
struct ipc_listener	*ipc_listener_new(struct ipc *, int fd,
			    uint32_t accept, const struct ipc_callbacks *,
			    void *);
void		 ipc_listener_free(struct ipc_listener *);
/*
 * A client's SO_PEERCRED names whoever called listen() last: root, or
 * the service manager, when the socket was made before the user drop.
 * Calling this after the drop makes daemon-role clients see the
 * daemon's own uid.  0 or -1.
 */
int		 ipc_listener_relisten(struct ipc_listener *);

/*
 * A client that connects to path, expects the given server role and
 * reconnects with exponential backoff whenever the connection ends.
 */
struct ipc_client	*ipc_client_new(struct ipc *, const char *path,
			    enum ipc_role server, const struct ipc_callbacks *,
			    void *);
void		 ipc_client_set_backoff(struct ipc_client *,
		    unsigned int min_ms, unsigned int max_ms);
/* NULL unless the connection is up */
struct ipc_conn	*ipc_client_conn(const struct ipc_client *);
void		 ipc_client_free(struct ipc_client *);
