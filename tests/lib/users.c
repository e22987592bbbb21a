/*
 * Users fixture (users.h).  Several test programs may run at once and
 * all try to create the same users: useradd then fails on the locked
 * passwd file or because another run just created the user, so every
 * attempt is followed by a fresh lookup, and retried a few times.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "users.h"

#define USERS_TRIES	20

static const char *const users_nologin[] = {
	"/usr/sbin/nologin", "/sbin/nologin", "/bin/false",
};

static const char *
users_shell(void)
{
	size_t i;

	for (i = 0; i < sizeof(users_nologin) / sizeof(users_nologin[0]); i++)
		if (access(users_nologin[i], X_OK) == 0)
			return users_nologin[i];
	return "/bin/false";
}

/* runs argv[0] from PATH or the usual sbin folders; its exit status */
static int
users_run(char *const argv[])
{
	static const char *const dirs[] = { "/usr/sbin/", "/sbin/" };
	char path[64];
	pid_t pid;
	size_t i;
	int st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", dirs[i], argv[0]);
			execv(path, argv);
		}
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
users_pause(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int
users_group(const char *name, gid_t *gid)
{
	char *argv[] = { "groupadd", "--system", (char *)name, NULL };
	struct group *gr;
	int i, rc = -1;

	for (i = 0; i < USERS_TRIES; i++) {
		if ((gr = getgrnam(name)) != NULL) {
			*gid = gr->gr_gid;
			return 0;
		}
		if (geteuid() != 0)
			break;
		rc = users_run(argv);
		if (rc != 0)
			users_pause();
	}
	fprintf(stderr, "users: group %s is missing and could not be "
	    "created (%s, groupadd status %d); run tests/setup-users.sh as "
	    "root\n", name, geteuid() != 0 ? "not root" : "root", rc);
	return -1;
}

static int
users_user(const char *name, struct test_user *u)
{
	char *with_group[] = { "useradd", "--system", "--no-create-home",
	    "--home-dir", "/nonexistent", "--shell", (char *)users_shell(),
	    "--comment", "zt-privsep", "--gid", (char *)name, (char *)name,
	    NULL };
	char *own_group[] = { "useradd", "--system", "--no-create-home",
	    "--home-dir", "/nonexistent", "--shell", (char *)users_shell(),
	    "--comment", "zt-privsep", "--user-group", (char *)name, NULL };
	struct passwd *pw;
	int i, rc = -1;

	for (i = 0; i < USERS_TRIES; i++) {
		if ((pw = getpwnam(name)) != NULL) {
			u->uid = pw->pw_uid;
			u->gid = pw->pw_gid;
			return 0;
		}
		if (geteuid() != 0)
			break;
		/* a group of that name left behind is reused, not an error */
		rc = users_run(getgrnam(name) != NULL ? with_group : own_group);
		if (rc != 0)
			users_pause();
	}
	fprintf(stderr, "users: user %s is missing and could not be "
	    "created (%s, useradd status %d); run tests/setup-users.sh as "
	    "root\n", name, geteuid() != 0 ? "not root" : "root", rc);
	return -1;
}

int
test_users_ensure(struct test_users *tu)
{
	memset(tu, 0, sizeof(*tu));
	if (users_group(TEST_GROUP, &tu->zt) == -1 ||
	    users_user(TEST_USER_TAP, &tu->tap) == -1 ||
	    users_user(TEST_USER_VL1, &tu->vl1) == -1 ||
	    users_user(TEST_USER_VL2, &tu->vl2) == -1 ||
	    users_user(TEST_USER_CTRL, &tu->ctrl) == -1)
		return -1;
	/* distinct uids, none of them root, or the role checks prove nothing */
	if (tu->tap.uid == 0 || tu->vl1.uid == 0 || tu->vl2.uid == 0 ||
	    tu->ctrl.uid == 0 || tu->tap.uid == tu->vl1.uid ||
	    tu->vl1.uid == tu->vl2.uid || tu->vl2.uid == tu->ctrl.uid ||
	    tu->tap.uid == tu->ctrl.uid || tu->tap.uid == tu->vl2.uid ||
	    tu->vl1.uid == tu->ctrl.uid) {
		fprintf(stderr, "users: the zt-* users are not distinct "
		    "unprivileged uids\n");
		return -1;
	}
	return 0;
}
