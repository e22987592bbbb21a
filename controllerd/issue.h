#pragma once
/*
 * Config issuance: what a 1.14.1 controller answers to a
 * NETWORK_CONFIG_REQUEST (spec/controller.md §2), and the revocation it
 * sends when a member loses its authorization (§3).
 *
 * The engine never holds the controller's secret key.  issue_request()
 * decides, updates the member object and builds the config with its
 * credentials unsigned; the result is a job holding a list of typed
 * signing requests (KEY_SIGN_REQ bodies, common/signreq.h).  The daemon
 * sends them to the key holder and hands each signature back with
 * issue_job_signature(); once the credentials are signed the job
 * serializes the config and cuts it into chunks, which are the next
 * signing requests; once those are signed the job holds the packets to
 * send.  Tests sign in-process with issue_job_sign_local(), through the
 * same request parser the key holder uses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dictionary.h"
#include "identity.h"
#include "inetaddr.h"
#include "netconf.h"
#include "netconf_chunk.h"

/* ERROR(NETWORK_CONFIG_REQUEST) codes (spec/vl1.md error codes) */
#define ISSUE_ERR_OBJ_NOT_FOUND			0x03
#define ISSUE_ERR_NETWORK_ACCESS_DENIED		0x07
#define ISSUE_ERR_NETWORK_AUTH_REQUIRED		0x09

/* VL1 verbs the packets of a job go out as */
#define ISSUE_VERB_OK			0x03
#define ISSUE_VERB_ERROR		0x02
#define ISSUE_VERB_NETWORK_CREDENTIALS	0x0a
#define ISSUE_VERB_NETWORK_CONFIG_REQ	0x0b
#define ISSUE_VERB_NETWORK_CONFIG	0x0c

/* §2.2 ctmd bounds and default */
#define ISSUE_CTMD_DEFAULT	1800000
#define ISSUE_CTMD_MIN		300000
#define ISSUE_CTMD_MAX		7200000

enum issue_result {
	ISSUE_CONFIG = 0,	/* authorized: a config to sign and send */
	ISSUE_IGNORE,		/* not a network of this controller: drop */
	ISSUE_NOT_FOUND,	/* ERROR OBJ_NOT_FOUND */
	ISSUE_ACCESS_DENIED,	/* ERROR NETWORK_ACCESS_DENIED */
	ISSUE_AUTH_REQUIRED,	/* ERROR NETWORK_AUTHENTICATION_REQUIRED */
	ISSUE_REVOCATION,	/* a revocation to sign and send */
};

/* a config request and what the database knows around it */
struct issue_params {
	uint64_t		 controller;	/* this node's address */
	uint64_t		 nwid;
	const struct identity	*member;	/* the requester (public) */
	const struct dict	*meta;		/* request metadata */
	uint64_t		 packet_id;	/* 0: internal push */
	int64_t			 now;		/* ms */
	const json_t		*network;	/* NULL: no such network */
	const json_t		*member_obj;	/* NULL: new member */
	/* every IP in any member's ipAssignments (no prefix) */
	const struct inetaddr	*allocated;
	size_t			 nallocated;
	/* members with activeBridge true (any order) */
	const uint64_t		*bridges;
	size_t			 nbridges;
};

/* one typed signing request of the current stage */
struct issue_sign {
	uint8_t		*body;		/* KEY_SIGN_REQ body */
	size_t		 len;
	bool		 done;
};

struct issue_job {
	enum issue_result	 result;
	uint64_t		 nwid;
	uint64_t		 member;
	uint64_t		 packet_id;
	/* the member object to save (new reference), NULL: save nothing */
	json_t			*member_obj;
	bool			 member_changed;

	struct netconf		*nc;		/* ISSUE_CONFIG */
	struct revocation	 revocation;	/* ISSUE_REVOCATION */
	int			 stage;		/* 0 creds, 1 chunks, 2 done */
	struct issue_sign	*sign;
	size_t			 nsign;
	size_t			 nsigned;
	struct dict		 dict;		/* the serialized config */
	struct netconf_chunks	 chunks;
	/* the NETWORK_CREDENTIALS payload of a revocation */
	uint8_t			*packet;
	size_t			 packet_len;
};

/*
 * Decides and builds (spec/controller.md §2).  Returns -1 only when
 * memory runs out or an object cannot be built, which 1.14.1 answers
 * with OBJ_NOT_FOUND (issue_error_payload still works on a job whose
 * result is ISSUE_NOT_FOUND, so a caller may map -1 to that).
 */
int	 issue_request(const struct issue_params *, struct issue_job **);
/*
 * A revocation of target's COM on nwid at now (§3), to be signed and
 * sent as NETWORK_CREDENTIALS to every online member.  id is random.
 */
int	 issue_revoke(uint64_t nwid, uint64_t target, int64_t now,
	    uint32_t id, struct issue_job **);
void	 issue_job_free(struct issue_job *);

/* signing requests of the current stage that have no signature yet */
size_t	 issue_job_nsign(const struct issue_job *);
const uint8_t	*issue_job_sign_body(const struct issue_job *, size_t i,
	    size_t *len);
/*
 * Stores the signature of request i; when the last of a stage arrives
 * the job moves on (credentials -> chunks -> done).  -1 if i is out of
 * range, already signed, or the next stage cannot be built.
 */
int	 issue_job_signature(struct issue_job *, size_t i,
	    const uint8_t sig[ZT_SIGNATURE_LEN]);
bool	 issue_job_done(const struct issue_job *);
/* signs every stage with a local identity, through signreq_sign() */
int	 issue_job_sign_local(struct issue_job *, const struct identity *);

/*
 * Packets to send once done: payloads after the verb byte.  For a
 * config: one chunk each, as OK(NETWORK_CONFIG_REQUEST) (in-re fields
 * first: *verb = ISSUE_VERB_OK and the payload starts with the in-re
 * verb and packet id) or NETWORK_CONFIG when the request id was 0.
 * Written into w; -1 on overflow.
 */
size_t	 issue_job_npackets(const struct issue_job *);
int	 issue_job_packet(const struct issue_job *, size_t i, uint8_t *verb,
	    struct wbuf *);
/* ERROR(NETWORK_CONFIG_REQUEST) payload for the error results */
int	 issue_error_payload(const struct issue_job *, struct wbuf *);
/* the ERROR code for the error results, 0 otherwise */
uint8_t	 issue_error_code(const struct issue_job *);

/* §4.2 defaults applied to a member object (in place) */
int	 issue_member_defaults(json_t *member, uint64_t nwid, uint64_t addr,
	    int64_t now);
