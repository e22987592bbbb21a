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
