#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fixtures.h"
#include "test.h"

json_t *
test_named(json_t *arr, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (strcmp(test_jstr(e, "name"), name) == 0)
			return e;
	return NULL;
}

void
test_identity_named(json_t *arr, const char *name, const char *key,
    struct identity *id)
{
	json_t *e = test_named(arr, name);

	REQUIRE(e != NULL);
	REQUIRE(identity_from_string(id, test_jstr(e, key)) == 0);
}

void
test_load_identity(json_t *ids, const char *name, struct identity *id)
{
	test_identity_named(json_object_get(ids, "valid"), name, "secret", id);
}

void
test_load_world(json_t *worlds, const char *name, struct world *w)
{
	json_t *e = test_named(json_object_get(worlds, "worlds"), name);
	struct rbuf r;
	uint8_t *b;
	size_t n;

	REQUIRE(e != NULL);
	b = test_jhex(e, "serialized", &n);
	rbuf_init(&r, b, n);
	REQUIRE(world_deserialize(w, &r) == 0);
	free(b);
}
