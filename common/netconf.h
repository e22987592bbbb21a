#pragma once
/*
 * Network configuration <-> dictionary (spec/vl2.md §5; 1.14.1's
 * NetworkConfig::toDictionary / fromDictionary; vectors/dictionary.json
 * "network_configs").
 *
 * netconf_encode writes the keys in 1.14.1's order with 1.14.1's
 * encodings, so a config decoded from a 1.14.1 dictionary re-encodes to
 * the same bytes.  netconf_decode accepts and rejects what 1.14.1's
 * fromDictionary accepts and rejects (format version >= 6 only), except
 * that capabilities and tags are capped at 128 each where 1.14.1 has no
 * bound.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credential.h"
#include "dictionary.h"
#include "inetaddr.h"
#include "rules.h"

/* the format version 1.14.1 writes; older than 6 is refused on read */
#define NETCONF_VERSION			7
#define NETCONF_VERSION_MIN		6

/* limits (spec/vl2.md §13) */
#define NETCONF_NAME_MAX		127
#define NETCONF_MAX_ROUTES		128
#define NETCONF_MAX_STATIC_IPS		32
#define NETCONF_MAX_SPECIALISTS		256
#define NETCONF_MAX_CAPABILITIES	128
#define NETCONF_MAX_TAGS		128
#define NETCONF_MAX_COOS		4
#define NETCONF_DNS_DOMAIN_LEN		128
#define NETCONF_DNS_SERVERS		4

#define NETCONF_MTU_DEFAULT		2800
#define NETCONF_MTU_MIN			1280
#define NETCONF_MTU_MAX			10000

/* flags, key "f" (§5.2) */
#define NETCONF_F_ENABLE_BROADCAST	0x02ULL
#define NETCONF_F_ENABLE_IPV6_NDP_EMU	0x04ULL
#define NETCONF_F_RULES_UNSUPPORTED_OK	0x08ULL
#define NETCONF_F_DISABLE_COMPRESSION	0x10ULL

/* network type, key "t" */
#define NETCONF_TYPE_PRIVATE		0
#define NETCONF_TYPE_PUBLIC		1

/* specialist role bits above the 40-bit address, key "S" (§5.3) */
#define NETCONF_SPECIALIST_ACTIVE_BRIDGE	0x0000020000000000ULL
#define NETCONF_SPECIALIST_ANCHOR		0x0000040000000000ULL
#define NETCONF_SPECIALIST_MULTICAST_REPLICATOR	0x0000080000000000ULL
#define NETCONF_SPECIALIST_ADDRESS_MASK		0x000000ffffffffffULL

/* SSO text field sizes, NUL included (1.14.1's char arrays) */
#define NETCONF_URL_SIZE		2048
#define NETCONF_SSO_NONCE_SIZE		128
#define NETCONF_SSO_STATE_SIZE		256
#define NETCONF_SSO_CLIENT_ID_SIZE	256
#define NETCONF_SSO_PROVIDER_SIZE	64

struct netconf_route {
	struct inetaddr	 target;	/* port = prefix bits */
	struct inetaddr	 via;		/* nil = on-link */
	uint16_t	 flags;
	uint16_t	 metric;
};

struct netconf_dns {
	/* raw: 1.14.1 copies all 128 bytes back, NUL padding or not */
	uint8_t		 domain[NETCONF_DNS_DOMAIN_LEN];
	struct inetaddr	 servers[NETCONF_DNS_SERVERS];	/* nil = unused */
};

struct netconf {
	uint64_t		 version;	/* "v" as read; 7 is written */
	uint64_t		 nwid;
	int64_t			 timestamp;
	int64_t			 credential_time_max_delta;
	uint64_t		 revision;
	uint64_t		 issued_to;
	uint64_t		 remote_trace_target;
	uint32_t		 remote_trace_level;
	uint64_t		 flags;
	uint32_t		 multicast_limit;
	uint32_t		 type;
	char			 name[NETCONF_NAME_MAX + 1];
	uint32_t		 mtu;

	struct com		 com;		/* com.nq == 0: none */
	/* heap arrays, sorted by id as 1.14.1 keeps them */
	struct capability	*capabilities;
	size_t			 ncapabilities;
	struct tag		*tags;
	size_t			 ntags;
	struct coo		 coos[NETCONF_MAX_COOS];
	size_t			 ncoos;
	uint64_t		 specialists[NETCONF_MAX_SPECIALISTS];
	size_t			 nspecialists;
	struct netconf_route	 routes[NETCONF_MAX_ROUTES];
	size_t			 nroutes;
	/* nil entries count, as 1.14.1 keeps them */
	struct inetaddr		 static_ips[NETCONF_MAX_STATIC_IPS];
	size_t			 nstatic_ips;
	struct rule		 rules[RULES_MAX_NETWORK];
	size_t			 nrules;
	struct netconf_dns	 dns;

	uint64_t		 sso_version;
	bool			 sso_enabled;
	char			 authentication_url[NETCONF_URL_SIZE];
	int64_t			 authentication_expiry_time;
	char			 issuer_url[NETCONF_URL_SIZE];
	char			 central_auth_url[NETCONF_URL_SIZE];
	char			 sso_nonce[NETCONF_SSO_NONCE_SIZE];
	char			 sso_state[NETCONF_SSO_STATE_SIZE];
	char			 sso_client_id[NETCONF_SSO_CLIENT_ID_SIZE];
	char			 sso_provider[NETCONF_SSO_PROVIDER_SIZE];
};

/* a zeroed config on the heap (the struct is about 50 KB), or NULL */
struct netconf	*netconf_new(void);
void	 netconf_free(struct netconf *);
/* back to the empty config 1.14.1 starts fromDictionary with */
void	 netconf_reset(struct netconf *);

/*
 * Parses a network config dictionary into nc (reset first).  -1 when
 * 1.14.1 would refuse it: "v" < 6 or absent, "nwid" or "id" zero, or a
 * malformed C, COO, RT, I, R or DNS blob; a malformed capability or tag
 * ends its list without failing, as in 1.14.1.  -1 also when memory runs
 * out.  The dictionary is untrusted (it comes from the controller).
 */
int	 netconf_decode(struct netconf *, const struct dict *);
/*
 * Serializes into d (cleared first; normally dict_init'ed with
 * DICT_CAP_NETCONF).  -1 if something does not fit d's capacity, or a
 * count is beyond its limit.
 */
int	 netconf_encode(const struct netconf *, struct dict *);

/* replace the capability / tag lists (copied, then sorted by id) */
int	 netconf_set_capabilities(struct netconf *,
	    const struct capability *, size_t);
int	 netconf_set_tags(struct netconf *, const struct tag *, size_t);

/* the tag with this id, or NULL */
const struct tag	*netconf_tag(const struct netconf *, uint32_t id);
/* the capability with this id, or NULL */
const struct capability	*netconf_capability(const struct netconf *,
	    uint32_t id);
