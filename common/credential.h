#pragma once
/*
 * Network credentials (spec/vl2.md §6): certificate of membership (COM),
 * capability, tag, revocation and certificate of ownership (COO).
 *
 * Each has serialize / deserialize (untrusted bytes through struct
 * rbuf; a deserializer consumes exactly one credential and leaves what
 * follows), the exact message its signature covers, sign (with an
 * identity holding its private key) and verify.
 *
 * Verification returns enum cred_verify.  The signer must be the
 * network's controller (the top 40 bits of the network id); the caller
 * passes the controller's identity, or NULL when it does not know it
 * yet, which gives CRED_VERIFY_WHOIS.  The numeric results are those of
 * 1.14.1's verify() (vectors/credentials.json "verify_result").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "identity.h"
#include "rules.h"

/* credential type codes, as revocations and traces carry them (§6) */
enum cred_type {
	CRED_TYPE_NULL = 0,
	CRED_TYPE_COM = 1,
	CRED_TYPE_CAPABILITY = 2,
	CRED_TYPE_TAG = 3,
	CRED_TYPE_COO = 4,
	CRED_TYPE_REVOCATION = 6,
};

enum cred_verify {
	CRED_VERIFY_OK = 0,
	CRED_VERIFY_BAD = -1,
	CRED_VERIFY_WHOIS = 1,	/* signer identity not known yet */
};

/* frames the "for signing" serializations at both ends */
#define CRED_SIGN_MARKER	0x7f7f7f7f7f7f7f7fULL
/* the only signature type: ZeroTier's 96-byte C25519 signature */
#define CRED_SIG_C25519		1

/*
 * Looks up the identity of a signer other than the controller (custody
 * chains of capabilities); NULL when unknown.
 */
struct cred_lookup {
	const struct identity	*(*fn)(void *arg, uint64_t address);
	void			*arg;
};

static inline uint64_t
cred_controller(uint64_t nwid)
{
	return nwid >> 24;
}

/*
 * Key of a per-credential revocation threshold (§6.5): type and id, so
 * a tag and a capability with the same id never share one.
 */
static inline uint64_t
cred_revocation_key(enum cred_type type, uint32_t id)
{
	return (uint64_t)type << 32 | id;
}

/* true for the five codes above other than NULL */
bool	 cred_type_valid(unsigned int);
/* "com", "capability", ...; "null" for 0, NULL for an unknown code */
const char	*cred_type_name(unsigned int);

/*
 * Certificate of membership (§6.2).  Qualifier ids used by 1.14.1:
 */
#define COM_MAX_QUALIFIERS	8
#define COM_Q_TIMESTAMP		0
#define COM_Q_NETWORK_ID	1
#define COM_Q_ISSUED_TO		2
#define COM_Q_IDHASH0		3	/* 3..6: identity hash words */
#define COM_WIRE_MAX		(1 + 2 + COM_MAX_QUALIFIERS * 24 + 5 + \
				    ZT_SIGNATURE_LEN)

struct com_qualifier {
	uint64_t	 id;
	uint64_t	 value;
	uint64_t	 max_delta;
};

struct com {
	unsigned int		 nq;
	struct com_qualifier	 q[COM_MAX_QUALIFIERS];
	uint64_t		 signed_by;	/* 0 = unsigned */
	uint8_t			 signature[ZT_SIGNATURE_LEN];
};

/*
 * The COM a 1.14.1 controller issues: timestamp (with max_delta), nwid,
 * member address and the member's identity hash.  Unsigned.
 */
int	 com_issue(struct com *, uint64_t nwid, int64_t timestamp,
	    uint64_t max_delta, const struct identity *member);
/* the identity hash words qualifiers 3..6 carry */
int	 com_identity_hash(const struct identity *, uint64_t words[4]);
/* value of a qualifier, 0 if absent (as 1.14.1) */
uint64_t com_qualifier_value(const struct com *, uint64_t id);
int64_t	 com_timestamp(const struct com *);
uint64_t com_network_id(const struct com *);
uint64_t com_issued_to(const struct com *);
int	 com_serialize(const struct com *, struct wbuf *);
int	 com_deserialize(struct com *, struct rbuf *);
/* the qualifiers as serialized, nothing else */
int	 com_signed_message(const struct com *, struct wbuf *);
int	 com_sign(struct com *, const struct identity *signer);
enum cred_verify com_verify(const struct com *,
	    const struct identity *controller);
/*
 * 1.14.1's agreesWith(), evaluated with our own COM as mine and the
 * sender's VL1 identity; signatures are not checked here.
 */
bool	 com_agrees(const struct com *mine, const struct com *theirs,
	    const struct identity *their_identity);
bool	 com_equal(const struct com *, const struct com *);

/*
 * Capability (§6.3): rules plus a custody chain of signatures.
 */
#define CAP_MAX_CUSTODY		7
#define CAP_WIRE_MAX		(8 + 8 + 4 + 2 + \
				    RULES_MAX_CAPABILITY * RULE_WIRE_MAX + 1 + \
				    CAP_MAX_CUSTODY * (5 + 5 + 1 + 2 + \
				    ZT_SIGNATURE_LEN) + 5 + 2)

struct cap_custody {
	uint64_t	 to;
	uint64_t	 from;
	uint8_t		 signature[ZT_SIGNATURE_LEN];
};

struct capability {
	uint64_t		 nwid;
	int64_t			 timestamp;
	uint32_t		 id;
	unsigned int		 nrules;
	struct rule		 rules[RULES_MAX_CAPABILITY];
	unsigned int		 max_custody;	/* 1..7 */
	unsigned int		 ncustody;
	struct cap_custody	 custody[CAP_MAX_CUSTODY];
};

/* unsigned capability; fails on too many rules or a bad max length */
int	 capability_init(struct capability *, uint64_t nwid,
	    int64_t timestamp, uint32_t id, const struct rule *,
	    size_t nrules, unsigned int max_custody);
/* the last non-zero "to" of the chain, 0 if none */
uint64_t capability_issued_to(const struct capability *);
int	 capability_serialize(const struct capability *, struct wbuf *);
int	 capability_deserialize(struct capability *, struct rbuf *);
/* what every custody signature covers (not the chain itself) */
int	 capability_signed_message(const struct capability *,
	    struct wbuf *);
/* appends {to, from = signer} in the first free slot of the chain */
int	 capability_sign(struct capability *, const struct identity *signer,
	    uint64_t to);
/*
 * Entry 0 must come from the controller; later entries from the
 * previous holder, looked up through lookup (may be NULL).
 */
enum cred_verify capability_verify(const struct capability *,
	    const struct identity *controller,
	    const struct cred_lookup *lookup);
bool	 capability_equal(const struct capability *,
	    const struct capability *);

/*
 * Tag (§6.4): a 32-bit value under a 32-bit id, for one member.
 */
#define TAG_WIRE_MAX		135

struct tag {
	uint64_t	 nwid;
	int64_t		 timestamp;
	uint32_t	 id;
	uint32_t	 value;
	uint64_t	 issued_to;
	uint64_t	 signed_by;
	uint8_t		 signature[ZT_SIGNATURE_LEN];
};

int	 tag_serialize(const struct tag *, struct wbuf *);
int	 tag_deserialize(struct tag *, struct rbuf *);
int	 tag_signed_message(const struct tag *, struct wbuf *);
/* sets signed_by to the signer's address, then signs */
int	 tag_sign(struct tag *, const struct identity *signer);
enum cred_verify tag_verify(const struct tag *,
	    const struct identity *controller);
bool	 tag_equal(const struct tag *, const struct tag *);

/*
 * Revocation (§6.5) of a target's credentials up to a threshold time.
 */
#define REVOCATION_FLAG_FAST_PROPAGATE	0x1ULL
#define REVOCATION_WIRE_MAX		152

struct revocation {
	uint32_t	 id;
	uint64_t	 nwid;
	uint32_t	 credential_id;	/* 0 for a COM or "all" */
	int64_t		 threshold;	/* ms; ts <= threshold is revoked */
	uint64_t	 flags;
	uint64_t	 target;
	uint64_t	 signed_by;
	uint8_t		 type;		/* enum cred_type revoked */
	uint8_t		 signature[ZT_SIGNATURE_LEN];
};

int	 revocation_serialize(const struct revocation *, struct wbuf *);
int	 revocation_deserialize(struct revocation *, struct rbuf *);
int	 revocation_signed_message(const struct revocation *,
	    struct wbuf *);
int	 revocation_sign(struct revocation *, const struct identity *signer);
enum cred_verify revocation_verify(const struct revocation *,
	    const struct identity *controller);
bool	 revocation_fast_propagate(const struct revocation *);
bool	 revocation_equal(const struct revocation *,
	    const struct revocation *);

/*
 * Certificate of ownership (§6.6): MACs and IPs a member may use.
 */
#define COO_MAX_THINGS		16
#define COO_THING_VALUE_LEN	16
#define COO_WIRE_MAX		(8 + 8 + 8 + 4 + 2 + COO_MAX_THINGS * 17 + \
				    5 + 5 + 1 + 2 + ZT_SIGNATURE_LEN + 2)

enum coo_thing_type {
	COO_THING_NULL = 0,
	COO_THING_MAC = 1,
	COO_THING_IPV4 = 2,
	COO_THING_IPV6 = 3,
};

struct coo_thing {
	uint8_t		 type;
	uint8_t		 value[COO_THING_VALUE_LEN];	/* zero padded */
};

struct coo {
	uint64_t		 nwid;
	int64_t			 timestamp;
	uint64_t		 flags;
	uint32_t		 id;
	unsigned int		 nthings;
	struct coo_thing	 things[COO_MAX_THINGS];
	uint64_t		 issued_to;
	uint64_t		 signed_by;
	uint8_t			 signature[ZT_SIGNATURE_LEN];
};

/* -1 when full (16 things) or the value is longer than 16 bytes */
int	 coo_add_thing(struct coo *, enum coo_thing_type, const void *,
	    size_t);
/* some thing of this type starts with these bytes (MAC 6, v4 4, v6 16) */
bool	 coo_owns(const struct coo *, enum coo_thing_type, const void *,
	    size_t);
bool	 coo_owns_mac(const struct coo *, const uint8_t mac[6]);
bool	 coo_owns_ipv4(const struct coo *, const uint8_t ip[4]);
bool	 coo_owns_ipv6(const struct coo *, const uint8_t ip[16]);
int	 coo_serialize(const struct coo *, struct wbuf *);
/* rejects more than 16 things (1.14.1 would misparse them) */
int	 coo_deserialize(struct coo *, struct rbuf *);
int	 coo_signed_message(const struct coo *, struct wbuf *);
int	 coo_sign(struct coo *, const struct identity *signer);
enum cred_verify coo_verify(const struct coo *,
	    const struct identity *controller);
bool	 coo_equal(const struct coo *, const struct coo *);

/*
 * Shared pieces of the credential encodings, for the codecs above.
 */
/* sig type, length, signature; other types are skipped (sig zeroed) */
int	 cred_get_signature(struct rbuf *, uint8_t sig[ZT_SIGNATURE_LEN]);
int	 cred_put_signature(struct wbuf *,
	    const uint8_t sig[ZT_SIGNATURE_LEN]);
/* u16 extension length and that many bytes */
int	 cred_skip_extensions(struct rbuf *);
/*
 * Checks sig over msg: signed_by must be the controller of nwid and
 * match the identity given (NULL = unknown: WHOIS).
 */
enum cred_verify cred_check_signature(uint64_t nwid, uint64_t signed_by,
	    const struct identity *controller, const struct wbuf *msg,
	    const uint8_t sig[ZT_SIGNATURE_LEN]);
