/*
 * User and capability drop (STYLE.md "Privileges").  Every step is
 * checked afterwards against what the kernel reports, because a silent
 * partial drop (a saved uid left at 0, a supplementary group kept, an
 * ambient capability inherited from the service manager) is exactly the
 * failure this code exists to rule out.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_PATH, setresuid */
#endif
#include <sys/types.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/* more groups than this means the process is not what we started */
#define PRIV_MAX_GROUPS	4096

uid_t
priv_role_uid(const char *user)
{
	struct passwd *pw = getpwnam(user);

	return pw != NULL ? pw->pw_uid : (uid_t)-1;
}

int
priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("unknown user %s", user);
		return -1;
	}
	errno = 0;
	if ((gr = getgrnam(group)) == NULL) {
		log_warnx("unknown group %s", group);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = gr->gr_gid;
	return 0;
}

bool
priv_cap_effective(int cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t c;

	if ((c = cap_get_proc()) == NULL)
		return false;
	if (cap_get_flag(c, (cap_value_t)cap, CAP_EFFECTIVE, &v) == -1)
		v = CAP_CLEAR;
	cap_free(c);
	return v == CAP_SET;
}

static bool
priv_keeps(const int *caps, size_t ncaps, int cap)
{
	size_t i;

	for (i = 0; i < ncaps; i++)
		if (caps[i] == cap)
			return true;
	return false;
}

/* true when every supplementary group is gid (or there are none) */
static int
priv_groups_only(gid_t gid, bool *only)
{
	gid_t *list = NULL;
	int i, n;

	if ((n = getgroups(0, NULL)) == -1 || n > PRIV_MAX_GROUPS)
		goto fail;
	*only = true;
	if (n == 0)
		return 0;
	if ((list = calloc((size_t)n, sizeof(*list))) == NULL)
		goto fail;
	if ((n = getgroups(n, list)) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (list[i] != gid)
			*only = false;
	free(list);
	return 0;
fail:
	log_warn("getgroups");
	free(list);
	return -1;
}

/*
 * The bounding set limits what execve can ever grant.  It can only be
 * lowered with CAP_SETPCAP, so it is done before the uid change; a
 * process started without that capability reports what is left, which
 * NO_NEW_PRIVS (set later, before any filter) makes unreachable anyway.
 */
static int
priv_bound(const int *caps, size_t ncaps)
{
	int c, max = (int)cap_max_bits(), extra = 0;
	bool can = priv_cap_effective(CAP_SETPCAP);

	for (c = 0; c < max; c++) {
		if (priv_keeps(caps, ncaps, c) || cap_get_bound(c) != 1)
			continue;
		if (can && cap_drop_bound(c) == -1) {
			log_warn("dropping capability %d from the bounding set",
			    c);
			return -1;
		}
		if (!can)
			extra++;
	}
	if (extra > 0)
		log_warnx("bounding set keeps %d capabilities outside the "
		    "policy (no CAP_SETPCAP to drop them)", extra);
	return 0;
}

static int
priv_set_ids(uid_t uid, gid_t gid, bool keepcaps)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	bool only;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return -1;
	if (priv_groups_only(gid, &only) == -1)
		return -1;
	if (!only && setgroups(1, &gid) == -1) {
		log_warn("setgroups to %u", (unsigned int)gid);
		return -1;
	}
	if ((rg != gid || eg != gid || sg != gid) &&
	    setresgid(gid, gid, gid) == -1) {
		log_warn("setresgid to %u", (unsigned int)gid);
		return -1;
	}
	if (ru == uid && eu == uid && su == uid)
		return 0;
	if (keepcaps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
		log_warn("PR_SET_KEEPCAPS");
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("setresuid to %u", (unsigned int)uid);
		return -1;
	}
	if (keepcaps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1) {
		log_warn("PR_SET_KEEPCAPS off");
		return -1;
	}
	return 0;
}

static int
priv_check_ids(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	bool only;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return -1;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid) {
		log_warnx("ids after the drop: uid %u/%u/%u gid %u/%u/%u, "
		    "wanted %u/%u", (unsigned int)ru, (unsigned int)eu,
		    (unsigned int)su, (unsigned int)rg, (unsigned int)eg,
		    (unsigned int)sg, (unsigned int)uid, (unsigned int)gid);
		return -1;
	}
	if (priv_groups_only(gid, &only) == -1)
		return -1;
	if (!only) {
		log_warnx("supplementary groups other than %u remain",
		    (unsigned int)gid);
		return -1;
	}
	return 0;
}

/*
 * Each attempt must fail; one that works means the drop did not hold,
 * and the process now has ids it must not have: die at once.
 */
static void
priv_check_regain(const uid_t old_uid[3], const gid_t old_gid[3], uid_t uid,
    gid_t gid)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (old_uid[i] != uid && (setuid(old_uid[i]) != -1 ||
		    seteuid(old_uid[i]) != -1))
			fatalx("regained uid %u after dropping to %u",
			    (unsigned int)old_uid[i], (unsigned int)uid);
		if (old_gid[i] != gid && (setgid(old_gid[i]) != -1 ||
		    setegid(old_gid[i]) != -1))
			fatalx("regained gid %u after dropping to %u",
			    (unsigned int)old_gid[i], (unsigned int)gid);
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("regained uid 0 after dropping to %u",
		    (unsigned int)uid);
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		fatalx("regained gid 0 after dropping to %u",
		    (unsigned int)gid);
	if (setgroups(0, NULL) != -1)
		fatalx("setgroups still works after the drop");
}

static int
priv_set_caps(const int *caps, size_t ncaps)
{
	cap_value_t v[64];
	cap_t want = NULL, got = NULL;
	size_t i;
	int c, max = (int)cap_max_bits(), rc = -1;

	for (i = 0; i < ncaps; i++)
		v[i] = (cap_value_t)caps[i];
	if ((want = cap_init()) == NULL)
		goto fail;
	if (ncaps > 0 &&
	    (cap_set_flag(want, CAP_EFFECTIVE, (int)ncaps, v, CAP_SET) == -1 ||
	    cap_set_flag(want, CAP_PERMITTED, (int)ncaps, v, CAP_SET) == -1))
		goto fail;
	if (cap_set_proc(want) == -1) {
		log_warn("setting capabilities");
		goto fail;
	}
	/* inheritable is empty now, but ambient is cleared explicitly */
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() == -1) {
		log_warn("clearing the ambient capabilities");
		goto fail;
	}
	if ((got = cap_get_proc()) == NULL)
		goto fail;
	if (cap_compare(want, got) != 0) {
		log_warnx("capabilities after the drop differ from the policy");
		goto fail;
	}
	for (c = 0; c < max && CAP_AMBIENT_SUPPORTED(); c++)
		if (cap_get_ambient(c) == 1) {
			log_warnx("ambient capability %d survived", c);
			goto fail;
		}
	rc = 0;
fail:
	cap_free(want);
	cap_free(got);
	return rc;
}

int
priv_drop(uid_t uid, gid_t gid, const int *caps, size_t ncaps)
{
	uid_t old_uid[3];
	gid_t old_gid[3];
	size_t i;
	bool keep;

	if (ncaps > 64) {
		log_warnx("too many capabilities in the policy");
		return -1;
	}
	for (i = 0; i < ncaps; i++)
		if (caps[i] == CAP_SETUID || caps[i] == CAP_SETGID ||
		    caps[i] == CAP_SETPCAP || caps[i] < 0 ||
		    caps[i] >= (int)cap_max_bits()) {
			log_warnx("capability %d cannot be kept", caps[i]);
			return -1;
		}
	if (getresuid(&old_uid[0], &old_uid[1], &old_uid[2]) == -1 ||
	    getresgid(&old_gid[0], &old_gid[1], &old_gid[2]) == -1) {
		log_warn("getresuid");
		return -1;
	}
	if (priv_bound(caps, ncaps) == -1)
		return -1;
	/* keep the permitted set across setresuid only if the table asks */
	keep = ncaps > 0 && uid != 0;
	if (priv_set_ids(uid, gid, keep) == -1)
		return -1;
	if (priv_set_caps(caps, ncaps) == -1)
		return -1;
	if (priv_check_ids(uid, gid) == -1)
		return -1;
	priv_check_regain(old_uid, old_gid, uid, gid);
	return 0;
}
