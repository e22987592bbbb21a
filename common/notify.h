#pragma once
/*
 * The service manager's readiness and watchdog protocol (sd_notify(3)):
 * datagrams such as "READY=1" or "WATCHDOG=1" to $NOTIFY_SOCKET.  The
 * socket is opened and connected at start-up, before the sandbox forbids
 * socket(); afterwards only send() is needed.  Without $NOTIFY_SOCKET
 * (not started by systemd) every call is a no-op.
 */
#include <stdint.h>

/* 0, or -1 when $NOTIFY_SOCKET is set but unusable (logged) */
int	 notify_open(void);
/* sends one state message ("READY=1", "STOPPING=1", "STATUS=..."); 0/-1 */
int	 notify_send(const char *);
/*
 * The watchdog interval in microseconds the manager asked for
 * ($WATCHDOG_USEC, for this pid per $WATCHDOG_PID), 0 if none.  Ping at
 * half of it.
 */
uint64_t	 notify_watchdog_usec(void);

/*
 * Socket activation (sd_listen_fds(3)): the listening control socket the
 * service manager made for this process, if $LISTEN_PID names it and
 * $LISTEN_FDS is 1.  The inherited fd is checked to be a listening
 * AF_UNIX SOCK_SEQPACKET socket before use; anything else is refused.
 * Returns the fd (close-on-exec set), -1 if none was passed, -2 if one
 * was passed but is not acceptable (logged).
 */
int	 notify_listen_fd(void);

/*
 * Socket activation with named fds (sd_listen_fds_with_names(3)), for a
 * daemon with several sockets: each fd passed for this pid is matched by
 * its $LISTEN_FDNAMES name (FileDescriptorName= of its .socket unit)
 * against names[0..n-1], and must be a listening AF_UNIX SOCK_SEQPACKET
 * socket bound to paths[i] (not checked when paths[i] is NULL).  fds[i]
 * gets the fd named names[i] (close-on-exec, non-blocking), or -1 when
 * none was passed by that name: the caller then makes that socket itself.
 * Fds with names not asked for are closed.  Returns the number of fds
 * kept, 0 when not activated, -1 when a passed fd is not what its name
 * says (logged; every passed fd is closed).
 */
int	 notify_listen_fds_named(const char *const *names,
	    const char *const *paths, int *fds, size_t n);
/*
 * The same, with the socket type each name must have (SOCK_SEQPACKET or
 * SOCK_STREAM, as ListenSequentialPacket= or ListenStream= made it);
 * types NULL: all SOCK_SEQPACKET.
 */
int	 notify_listen_fds_typed(const char *const *names,
	    const char *const *paths, const int *types, int *fds, size_t n);
