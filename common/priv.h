#pragma once
/*
 * Dropping to a daemon's user and capability set.  The order and the
 * checks follow STYLE.md "Privileges": setgroups, setresgid, setresuid
 * with all three ids equal, then proof that the old ids cannot be
 * regained; effective = permitted = the kept set, inheritable and
 * ambient empty, bounding set reduced to the kept set where the process
 * holds CAP_SETPCAP.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The uid of a daemon's user, for the IPC role table; (uid_t)-1 (no one)
 * when the user does not exist, so that role is refused to everybody.
 */
uid_t	 priv_role_uid(const char *user);
/* resolves a user and a group name; -1 (logged) if either is unknown */
int	 priv_lookup(const char *user, const char *group, uid_t *, gid_t *);

/*
 * Makes uid/gid the real, effective and saved ids and the only group,
 * keeps exactly caps[0..ncaps) (CAP_* numbers) in the effective and
 * permitted sets and verifies the result.  A process that already runs
 * as uid/gid (started by the service manager) is verified, not skipped.
 * Returns -1 if the drop or a check failed: the process must then exit.
 * Regaining an old id after the drop is a broken invariant: fatalx.
 * CAP_SETUID, CAP_SETGID and CAP_SETPCAP cannot be kept: each would let
 * the process undo the drop.
 */
int	 priv_drop(uid_t, gid_t, const int *caps, size_t ncaps);

/* true if cap is in the effective set of this process */
bool	 priv_cap_effective(int cap);
