#pragma once
/*
 * zt-controllerd's side of the key holder's signing socket
 * (<rundir>/zt-vl1d-keys.sock): asynchronous KEY_SIGN_REQ over the IPC
 * library, and the driver that walks an issuance job (issue.h) through
 * its signing stages.  The controller never holds the secret key.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "ipc.h"
#include "issue.h"

/* requests in flight on one connection (beyond it: -1, try later) */
#define SIGNER_MAX_PENDING	4096

/* status 0 with the signature, or -1 (refused, or the connection went) */
typedef void	(*signer_cb)(void *arg, int status,
		    const uint8_t sig[ZT_SIGNATURE_LEN]);
/* a job finished signing (status 0) or cannot finish (-1) */
typedef void	(*signer_job_cb)(void *arg, struct issue_job *, int status);

struct signer_pending {
	uint32_t	 id;
	signer_cb	 cb;
	void		*arg;
};

struct signer {
	struct ipc_client	*client;
	struct signer_pending	*pending;
	size_t			 npending;
	uint64_t		 refused;
};

/* connects (and reconnects) to the signing socket at path */
int	 signer_init(struct signer *, struct ipc *, const char *path);
/* fails every request in flight */
void	 signer_free(struct signer *);
bool	 signer_ready(const struct signer *);
/* sends one KEY_SIGN_REQ body (signreq.h); cb runs exactly once if 0 */
int	 signer_request(struct signer *, const uint8_t *body, size_t len,
	    signer_cb, void *arg);
/*
 * Signs every stage of job; done runs exactly once when it returns 0.
 * The job must stay alive until then.
 */
int	 signer_run_job(struct signer *, struct issue_job *,
	    signer_job_cb done, void *arg);
