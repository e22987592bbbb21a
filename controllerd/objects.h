#pragma once
/*
 * The controller's network and member objects in ZeroTier's JSON form
 * (spec/controller.md §4): defaults, the HTTP POST body rules (§5.1,
 * §5.2) and the cleaning done before a save.  Pure functions of their
 * arguments: the store and the API call them, tests check them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* arrays in a POST body are cut to this many entries (§5.1) */
#define CTRL_ARRAY_MAX		16384
#define CTRL_MTU_MIN		1280
#define CTRL_MTU_MAX		10000

/* a new network object with every default (§4.1) */
json_t	*ctrl_network_new(uint64_t nwid, int64_t now);
/*
 * Fills missing fields with their defaults and sets id, nwid, objtype.
 * remoteTraceLevel is reset to 0 as 1.14.1 does (§4.1 quirk).
 */
void	 ctrl_network_defaults(json_t *, uint64_t nwid, int64_t now);
/*
 * Applies a POST body (§5.1).  A body that is not an object or a key of
 * a type that cannot be read fails with a message in err and leaves the
 * network unchanged.  0 or -1.
 */
int	 ctrl_network_apply(json_t *, const json_t *body, char *err,
	    size_t errlen);
/* drops the fields 1.14.1 never stores */
void	 ctrl_network_clean(json_t *);

json_t	*ctrl_member_new(uint64_t nwid, uint64_t mid, int64_t now);
void	 ctrl_member_defaults(json_t *, uint64_t nwid, uint64_t mid,
	    int64_t now);
/*
 * Applies a member POST body (§5.2) at time now; *deauthorized tells
 * the caller that authorized went from true to false (revocations).
 */
int	 ctrl_member_apply(json_t *, const json_t *body, int64_t now,
	    bool *deauthorized, char *err, size_t errlen);
void	 ctrl_member_clean(json_t *);

/*
 * Counts one recorded change (a history row) in c: a network's when
 * member is false, a member's otherwise, with authorizations and
 * deauthorizations from before and after (either NULL: created or
 * deleted).  nwid 0 (tokens) counts nothing.
 */
struct ctrl_store_counts;
void	 ctrl_obj_count_change(struct ctrl_store_counts *c, uint64_t nwid,
	    bool member, const json_t *before, const json_t *after);

/* true when the objects differ in a key other than "revision" (§6) */
bool	 ctrl_obj_changed(const json_t *stored, const json_t *next);

/*
 * Lenient readers of the controller (numbers, decimal strings and
 * booleans are integers; numbers and "true"/"false" are booleans).
 * 0 or -1.
 */
int	 ctrl_json_int(const json_t *, int64_t *);
int	 ctrl_json_bool(const json_t *, bool *);

/* "%016llx" / "%010llx" into buf */
const char	*ctrl_nwid_fmt(uint64_t, char[17]);
const char	*ctrl_mid_fmt(uint64_t, char[11]);
