#pragma once
/*
 * The key holder's signing socket: zt-controllerd (and only it, by the
 * uid the IPC library checks for role CONTROLLERD) sends KEY_SIGN_REQ
 * with a typed object (common/signreq.h) and gets KEY_SIGN_REPLY with
 * the signature, or ERROR with an enum signreq_err code.  Kept apart
 * from keyholder.c so the unit test serves it in-process.
 */
#include <stdint.h>

#include "identity.h"
#include "ipc.h"
#include "log.h"

/* <rundir>/KEYSIGN_SOCKET */
#define KEYSIGN_SOCKET		"zt-vl1d-keys.sock"

struct keysign {
	const struct identity	*key;
	struct ipc_listener	*listener;
	uint64_t		 signed_total;
	uint64_t		 refused_total;
	struct log_drops	 refused;	/* rate-limited log */
};

/*
 * Serves listening socket fd (owned from now on) on ipc, whose config
 * names zt-controllerd's uid; key must hold the private key.
 */
int	 keysign_start(struct keysign *, struct ipc *, int fd,
	    const struct identity *key);
void	 keysign_stop(struct keysign *);
