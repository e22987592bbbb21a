#pragma once
/*
 * Test fixture: the system users and group the daemons run as (the
 * names the systemd sysusers file uses), created when missing so that
 * multi-process tests run each daemon under its own uid and the role
 * checks see real, distinct credentials.  Creating them needs root;
 * tests/setup-users.sh does the same from a shell for CI.
 */
#include <sys/types.h>

#define TEST_USER_TAP	"zt-tap"
#define TEST_USER_VL1	"zt-vl1"
#define TEST_USER_VL2	"zt-vl2"
#define TEST_USER_CTRL	"zt-ctrl"
#define TEST_GROUP	"zt"

struct test_user {
	uid_t	 uid;
	gid_t	 gid;	/* the user's own primary group */
};

struct test_users {
	struct test_user	 tap, vl1, vl2, ctrl;
	gid_t			 zt;	/* group zt: control sockets */
};

/*
 * Makes sure the group and the four users exist (groupadd/useradd
 * --system, nologin shell, no home) and fills in their ids.  Returns 0,
 * or -1 with the reason on stderr (for example: users missing and not
 * root).
 */
int	 test_users_ensure(struct test_users *);
