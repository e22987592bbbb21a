/*
 * Rule text compiler (spec/vl2.md §7.9): any input either fails with a
 * message and a position inside the text, or gives the three lists, and
 * every rule it emits must be one the controller's rule parser keeps
 * (common/rules.h drops only unknown types).
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rulec.h"
#include "rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct rule rules[RULEC_RULES_MAX];

static void
check_list(json_t *list)
{
	size_t n, dropped;

	assert(json_is_array(list));
	assert(rules_from_json(list, rules, RULEC_RULES_MAX, &n,
	    &dropped) == 0);
	assert(dropped == 0 && n == json_array_size(list));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rulec_error err;
	json_t *out, *v;
	size_t i, lines = 1;
	char *s;

	if (rulec_compile((const char *)data, size, &out, &err) == -1) {
		assert(out == NULL);
		assert(err.msg[0] != '\0');
		assert(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		assert(err.line <= lines);
		return 0;
	}
	assert(json_is_object(out));
	check_list(json_object_get(out, "rules"));
	json_array_foreach(json_object_get(out, "capabilities"), i, v)
		check_list(json_object_get(v, "rules"));
	assert(json_is_array(json_object_get(out, "tags")));
	/* the output is valid JSON text */
	s = json_dumps(out, JSON_COMPACT);
	assert(s != NULL);
	free(s);
	json_decref(out);
	return 0;
}
