#pragma once
/*
 * Typed signing requests: the KEY_SIGN_REQ body zt-controllerd sends to
 * zt-vl1d's key holder (ipc_catalogue.h).  The key holder signs only
 * objects it can parse and whose network id begins with its own address
 * (a network this node controls); it never signs a raw blob.
 *
 * Body: u8 kind, then
 *	SIGNREQ_CHUNK		the chunk's signed bytes, nwid .. chunk index
 *				(spec/vl2.md §3.7), nothing else
 *	SIGNREQ_COM		an unsigned COM, serialized (§6.2)
 *	SIGNREQ_CAPABILITY	u40 issued-to address, then the capability
 *				with an empty custody chain (§6.3)
 *	SIGNREQ_TAG, SIGNREQ_REVOCATION, SIGNREQ_COO
 *				the object serialized, unsigned (signed-by
 *				0) or already naming this node
 * every byte consumed.  KEY_SIGN_REPLY is the 96-byte signature alone.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "credential.h"
#include "identity.h"
#include "netconf_chunk.h"

enum signreq_kind {
	SIGNREQ_CHUNK = 1,
	SIGNREQ_COM = 2,
	SIGNREQ_CAPABILITY = 3,
	SIGNREQ_TAG = 4,
	SIGNREQ_REVOCATION = 5,
	SIGNREQ_COO = 6,
};

/* why a request was refused (the ERROR code the key holder replies) */
enum signreq_err {
	SIGNREQ_OK = 0,
	SIGNREQ_E_MALFORMED = 1,	/* unknown kind, bad encoding, extra */
	SIGNREQ_E_NETWORK = 2,		/* nwid not under this node's address */
	SIGNREQ_E_SIGN = 3,		/* signing failed (no private key) */
};

/* a capability with the most rules: u8 kind, u40 issued-to, object */
#define SIGNREQ_CAP_BODY_MAX	(1 + 5 + CAP_WIRE_MAX)
/* a full config chunk: u8 kind, then its signed bytes */
#define SIGNREQ_CHUNK_BODY_MAX	(1 + NETCONF_CHUNK_HEAD_LEN + \
				    NETCONF_CHUNK_DATA_MAX + \
				    NETCONF_CHUNK_SIGNED_TAIL)
/*
 * The largest body of any kind.  A full chunk is the larger: sizing
 * chunk requests by the capability alone failed every config whose
 * dictionary passed about 2 KB (a network of a few hundred rules).
 */
#define SIGNREQ_BODY_MAX	(SIGNREQ_CHUNK_BODY_MAX > \
				    SIGNREQ_CAP_BODY_MAX ? \
				    SIGNREQ_CHUNK_BODY_MAX : SIGNREQ_CAP_BODY_MAX)

const char	*signreq_err_str(enum signreq_err);

int	 signreq_put_chunk(struct wbuf *, const uint8_t *msg, size_t len);
int	 signreq_put_com(struct wbuf *, const struct com *);
int	 signreq_put_capability(struct wbuf *, const struct capability *,
	    uint64_t to);
int	 signreq_put_tag(struct wbuf *, const struct tag *);
int	 signreq_put_revocation(struct wbuf *, const struct revocation *);
int	 signreq_put_coo(struct wbuf *, const struct coo *);

/*
 * The key holder's side: parses a body, checks that the object belongs
 * to a network of key (nwid >> 24 == key's address) and signs it the
 * way the object's own sign function does.  *kind is set once known.
 */
enum signreq_err signreq_sign(const uint8_t *, size_t,
	    const struct identity *key, enum signreq_kind *kind,
	    uint8_t sig[ZT_SIGNATURE_LEN]);
