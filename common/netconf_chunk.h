#pragma once
/*
 * Network config chunks (spec/vl2.md §3.7) at both ends, and the
 * NETWORK_CONFIG_REQUEST payload (§3.5).
 *
 * The controller cuts a serialized config dictionary into chunks of at
 * most NETCONF_CHUNK_DATA_MAX bytes and signs each over its bytes from
 * the network id through the chunk index.  A member feeds every chunk it
 * receives (the payload of NETWORK_CONFIG, or of OK(NETWORK_CONFIG_REQUEST)
 * after the in-re fields) into a struct netconf_asm, which reassembles
 * them exactly as 1.14.1 does: three slots keyed by config update id,
 * duplicates recognised by a chunk id folded from the signature, the
 * signature checked against the controller's identity, and the legacy
 * unsigned single-chunk form accepted from the controller only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dictionary.h"
#include "identity.h"

/* 10024 (max packet) - 28 (header) - 256 (room for the rest) */
#define NETCONF_CHUNK_DATA_MAX		9740
/* nwid, length: the bytes before the chunk data */
#define NETCONF_CHUNK_HEAD_LEN		10
/* flags, update id, total, index: signed bytes after the data */
#define NETCONF_CHUNK_SIGNED_TAIL	17
/* signature type, length, signature */
#define NETCONF_CHUNK_SIG_LEN		(1 + 2 + ZT_SIGNATURE_LEN)
#define NETCONF_CHUNK_WIRE_MAX		(NETCONF_CHUNK_HEAD_LEN + \
					    NETCONF_CHUNK_DATA_MAX + \
					    NETCONF_CHUNK_SIGNED_TAIL + \
					    NETCONF_CHUNK_SIG_LEN)
#define NETCONF_CHUNK_F_FAST_PROPAGATE	0x01

/* 1.14.1's ZT_NETWORK_MAX_INCOMING_UPDATES and ZT_NETWORK_MAX_UPDATE_CHUNKS */
#define NETCONF_ASM_SLOTS		3
#define NETCONF_ASM_MAX_CHUNKS		(DICT_CAP_NETCONF / 1024 + 1)

/* one received chunk; data and raw point into the caller's bytes */
struct netconf_chunk {
	uint64_t	 nwid;
	const uint8_t	*data;
	uint16_t	 len;
	bool		 legacy;	/* no trailer: unsigned, single chunk */
	uint8_t		 flags;
	uint64_t	 update_id;
	uint32_t	 total;
	uint32_t	 index;
	uint8_t		 signature[ZT_SIGNATURE_LEN];
	/* the whole chunk, as fast propagation forwards it */
	const uint8_t	*raw;
	size_t		 raw_len;
	/* the signed prefix of raw */
	size_t		 signed_len;
};

/*
 * Reads one chunk from r (everything left in r belongs to it, as in a
 * packet; bytes after the signature are ignored as 1.14.1 does).  Fails
 * when a field is short, when the signature is not type 1 of 96 bytes,
 * or on 1.14.1's limits: index + length > total, or total >=
 * DICT_CAP_NETCONF (room for the NUL).
 */
int	 netconf_chunk_parse(struct netconf_chunk *, struct rbuf *);

/* chunk id for duplicate detection: XOR-fold of signature bytes 0..15 */
uint64_t netconf_chunk_id(const uint8_t sig[ZT_SIGNATURE_LEN]);

/*
 * A config cut into unsigned chunks, ready for signing.  Chunk i is
 * chunk[i].buf (chunk[i].len bytes, signature bytes zero until set);
 * its signed message is the first chunk[i].signed_len bytes.
 */
struct netconf_chunk_out {
	uint8_t		*buf;
	size_t		 len;
	size_t		 signed_len;
	bool		 signed_ok;
};

struct netconf_chunks {
	uint64_t			 nwid;
	uint64_t			 update_id;
	size_t				 n;
	struct netconf_chunk_out	*chunk;
};

/*
 * Cuts dict (len bytes, without the NUL) into chunks of at most
 * max_data bytes (0: NETCONF_CHUNK_DATA_MAX).  update_id must be
 * non-zero; len must be below DICT_CAP_NETCONF.  0 or -1.
 */
int	 netconf_chunks_build(struct netconf_chunks *, uint64_t nwid,
	    uint64_t update_id, uint8_t flags, const uint8_t *dict,
	    size_t len, size_t max_data);
void	 netconf_chunks_free(struct netconf_chunks *);
/* the signed message of chunk i */
const uint8_t	*netconf_chunks_message(const struct netconf_chunks *,
	    size_t i, size_t *len);
int	 netconf_chunks_set_signature(struct netconf_chunks *, size_t i,
	    const uint8_t sig[ZT_SIGNATURE_LEN]);
/* signs every chunk with a local identity (tests, in-process signing) */
int	 netconf_chunks_sign(struct netconf_chunks *,
	    const struct identity *signer);
bool	 netconf_chunks_complete(const struct netconf_chunks *);

/*
 * Checks a signed-chunk message as the key holder receives it: a whole
 * chunk prefix nwid .. index, whose lengths agree with each other and
 * with 1.14.1's limits.  On 0, *nwid is the network id it names.
 */
int	 netconf_chunk_message_check(const uint8_t *, size_t,
	    uint64_t *nwid);

enum netconf_asm_result {
	NETCONF_ASM_MORE = 0,		/* accepted; more chunks due */
	NETCONF_ASM_DONE,		/* the dictionary is complete */
	NETCONF_ASM_DUPLICATE,		/* chunk id already seen */
	NETCONF_ASM_NO_CONTROLLER,	/* controller identity unknown */
	NETCONF_ASM_BAD_SIGNATURE,
	NETCONF_ASM_NOT_CONTROLLER,	/* legacy chunk from someone else */
	NETCONF_ASM_TOO_MANY,		/* slot already holds the max */
	NETCONF_ASM_WRONG_NETWORK,	/* chunk names another nwid */
	NETCONF_ASM_NOMEM,
};

struct netconf_asm_slot {
	uint64_t	 update_id;
	uint64_t	 age;		/* higher = used more recently */
	size_t		 nids;
	uint64_t	 ids[NETCONF_ASM_MAX_CHUNKS];
	uint64_t	 have_bytes;
	uint8_t		*data;		/* grown to the largest total + 1 */
	size_t		 alloc;
};

struct netconf_asm {
	uint64_t		 nwid;
	uint64_t		 controller;	/* nwid >> 24 */
	struct netconf_asm_slot	 slot[NETCONF_ASM_SLOTS];
};

void	 netconf_asm_init(struct netconf_asm *, uint64_t nwid);
void	 netconf_asm_free(struct netconf_asm *);

/*
 * Feeds one parsed chunk.  source is the VL1 address it came from (0 for
 * the controller's own in-process path), packet_id the id of the packet
 * that carried it (the legacy form uses it as update and chunk id),
 * controller the controller's identity or NULL when not known yet.
 * On NETCONF_ASM_DONE, *dict and *len give the NUL-terminated dictionary
 * (valid until the next call) and *update_id the update it completes.
 */
enum netconf_asm_result netconf_asm_add(struct netconf_asm *,
	    const struct netconf_chunk *, uint64_t source, uint64_t packet_id,
	    const struct identity *controller, const uint8_t **dict,
	    size_t *len, uint64_t *update_id);
/*
 * After netconf_asm_add: whether 1.14.1 would forward this chunk to the
 * network's other members (signed, verified, fast-propagate flag).
 */
bool	 netconf_asm_should_forward(enum netconf_asm_result,
	    const struct netconf_chunk *);
const char	*netconf_asm_result_str(enum netconf_asm_result);

/*
 * NETWORK_CONFIG_REQUEST payload (§3.5).  meta points into the parsed
 * bytes.  1.14.1's controller needs the nwid and the metadata length
 * field; the revision and timestamp of the held config are optional.
 */
struct netconf_request {
	uint64_t	 nwid;
	const uint8_t	*meta;
	size_t		 meta_len;
	uint64_t	 revision;
	uint64_t	 timestamp;
};

int	 netconf_request_parse(struct netconf_request *, struct rbuf *);
int	 netconf_request_build(struct wbuf *, uint64_t nwid,
	    const struct dict *meta, uint64_t revision, uint64_t timestamp);
/* the metadata 1.14.1 sends (§3.5), os = e.g. "linux/x86_64" or NULL */
int	 netconf_request_meta_default(struct dict *, const char *os);
