#pragma once
/*
 * Worlds: the signed root lists of ZeroTier, one planet (type 1) and any
 * number of moons (type 127) (spec/vl1.md §6, vectors world.json and
 * default_planet.json).
 *
 * A struct world is plain data: its root identities never carry private
 * keys (a serialized world holding one is refused), so a world may be
 * copied by assignment and needs no cleanup.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "c25519.h"
#include "identity.h"
#include "inetaddr.h"

#define WORLD_TYPE_NULL		0
#define WORLD_TYPE_PLANET	1
#define WORLD_TYPE_MOON		127

/* 1.14.1 limits (ZT_WORLD_MAX_*); the decoder refuses more */
#define WORLD_MAX_ROOTS		4
#define WORLD_MAX_ENDPOINTS	32
#define WORLD_MAX_SERIALIZED	8480

/* ZeroTier's planet ids: Earth (the default planet) and the unused Mars */
#define WORLD_ID_EARTH		149604618ULL
#define WORLD_ID_MARS		227883110ULL

struct world_root {
	struct identity	 identity;	/* public only */
	unsigned int	 nendpoints;
	struct inetaddr	 endpoints[WORLD_MAX_ENDPOINTS];
};

struct world {
	uint8_t		 type;		/* WORLD_TYPE_* */
	uint64_t	 id;
	uint64_t	 timestamp;	/* ms; higher is newer */
	uint8_t		 update_key[C25519_PUBLIC_LEN];
	uint8_t		 signature[ZT_SIGNATURE_LEN];
	unsigned int	 nroots;
	struct world_root roots[WORLD_MAX_ROOTS];
};

/* the null world (type 0, id 0): any world replaces it */
void	 world_clear(struct world *);
/*
 * Starts a world to be signed: type, id, timestamp and the key that
 * must sign the next update; no roots, a zero signature.
 */
int	 world_init(struct world *, uint8_t type, uint64_t id, uint64_t ts,
	    const uint8_t update_key[C25519_PUBLIC_LEN]);
/* appends a root (public part of id) with n stable endpoints */
int	 world_add_root(struct world *, const struct identity *,
	    const struct inetaddr *endpoints, unsigned int n);
/*
 * Sorts roots by address, then public key, and each root's endpoints,
 * as ZeroTier's tools do before signing (order is not checked on
 * receipt).
 */
void	 world_sort(struct world *);

/*
 * Wire form (spec/vl1.md §6.1).  world_deserialize reads exactly one
 * world from r (worlds are self-delimiting, several may follow each
 * other); the moon's attached dictionary is skipped.  Types other than
 * 0, 1 and 127, more than 4 roots or 32 endpoints per root, root
 * identities with a private key, or a world longer than
 * WORLD_MAX_SERIALIZED fail the rbuf and return -1.  Type 0 decodes
 * (1.14.1 accepts it) but is never a usable world.
 */
int	 world_serialize(const struct world *, struct wbuf *);
int	 world_deserialize(struct world *, struct rbuf *);
/* 7f×8 || the wire form without the signature || f7×8 (§6.2) */
int	 world_signed_message(const struct world *, struct wbuf *);

/* signs with priv (64-byte C25519 private key) and stores the result */
int	 world_sign(struct world *, const uint8_t priv[C25519_PRIVATE_LEN]);
/* 0 when the world's signature verifies under key */
int	 world_verify(const struct world *,
	    const uint8_t key[C25519_PUBLIC_LEN]);
/* 0 when the world is signed by its own update key (new worlds are) */
int	 world_verify_self(const struct world *);

/*
 * 1.14.1 World::shouldBeReplacedBy: true when cur is null (type 0 or id
 * 0), or cand has the same id and type, a strictly newer timestamp and
 * a signature valid under cur's update key.
 */
bool	 world_should_be_replaced_by(const struct world *cur,
	    const struct world *cand);

bool	 world_equal(const struct world *, const struct world *);
/* the root with this ZeroTier address, or NULL */
const struct world_root	*world_find_root(const struct world *,
	    uint64_t address);

/*
 * ZeroTier One 1.14.1's built-in planet (570 bytes, spec/vl1.md §6.5),
 * used when no planet file overrides it.
 */
const uint8_t	*world_default_planet(size_t *len);
/* decodes the built-in planet and checks its own signature */
int	 world_load_default_planet(struct world *);
