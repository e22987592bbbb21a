#pragma once
/*
 * Fixtures looked up by name in the vectors: identities (identities.json
 * "valid", packets.json "identities") and worlds (world.json).  A name
 * that is missing fails the test.
 */
#include <jansson.h>

#include "identity.h"
#include "world.h"

/* the element of arr whose "name" is name, or NULL */
json_t	*test_named(json_t *arr, const char *name);
/*
 * The identity called name in arr, read from its member key ("public"
 * or "secret").
 */
void	 test_identity_named(json_t *arr, const char *name, const char *key,
	    struct identity *);
/* identities.json's valid identity name, with its secret */
void	 test_load_identity(json_t *ids, const char *name, struct identity *);
/* world.json's world name, deserialized */
void	 test_load_world(json_t *worlds, const char *name, struct world *);
