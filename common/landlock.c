/*
 * Landlock path rules.  The ABI is detected, never assumed: Debian 12's
 * 6.1 kernel offers ABI 2, newer kernels more.  Every filesystem right
 * the detected ABI knows is handled, so anything a rule does not grant
 * is denied; rights newer than the ABI simply do not exist there.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_PATH, setresuid */
#endif
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "landlock.h"
#include "log.h"

/* older uapi headers (Debian 12 ships 6.1's) lack the newer bits */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)	/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset	444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule		445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self	446
#endif

#define LL_FS_ABI1	(LANDLOCK_ACCESS_FS_EXECUTE |			\
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |	\
	LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |	\
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |	\
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |	\
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |	\
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/* the rights the kernel accepts on a rule for a non-directory */
#define LL_FS_FILE	(LANDLOCK_ACCESS_FS_EXECUTE |			\
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |	\
	LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define LL_RO	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_RW	(LL_RO | LANDLOCK_ACCESS_FS_WRITE_FILE |		\
	LANDLOCK_ACCESS_FS_REMOVE_DIR |					\
	LANDLOCK_ACCESS_FS_REMOVE_FILE |				\
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |	\
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |	\
	LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |	\
	LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_DEV	(LANDLOCK_ACCESS_FS_READ_FILE |				\
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
/*
 * No READ_FILE: no file under such a rule can be opened for reading,
 * the ones the process made itself included (file_write_atomic opens
 * its temporary file write-only).  It may still replace or remove any
 * of them: the rule keeps secrets secret, not intact.  READ_DIR lets
 * the writer fsync the directory after the rename.
 */
#define LL_REPLACE	(LANDLOCK_ACCESS_FS_READ_DIR |			\
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG |	\
	LANDLOCK_ACCESS_FS_REMOVE_FILE)

/* tests only; set before sandbox_apply and constant afterwards */
static int landlock_override = -1;

void
sandbox_landlock_abi_override(int abi)
{
	landlock_override = abi;
}

int
sandbox_landlock_abi(void)
{
	long abi;

	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		abi = 0;
	if (landlock_override >= 0 && abi > landlock_override)
		abi = landlock_override;
	return (int)abi;
}

static uint64_t
landlock_handled(int abi)
{
	uint64_t fs = LL_FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

static uint64_t
landlock_rights(enum sandbox_access a)
{
	switch (a) {
	case SANDBOX_RO:
		return LL_RO;
	case SANDBOX_RW:
		return LL_RW;
	case SANDBOX_DEV:
		return LL_DEV;
	case SANDBOX_REPLACE:
		return LL_REPLACE;
	}
	return 0;
}

static int
landlock_add(int rfd, uint64_t handled, const struct sandbox_path *p)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd, rc = -1;

	if ((fd = open(p->path, O_PATH | O_CLOEXEC)) == -1) {
		/* a missing path is denied anyway: nothing to grant */
		if (errno == ENOENT) {
			log_debug("landlock: %s does not exist, skipped",
			    p->path);
			return 0;
		}
		log_warn("landlock: %s", p->path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("landlock: stat %s", p->path);
		goto fail;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = landlock_rights(p->access) & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE;
	pb.parent_fd = fd;
	if (pb.allowed_access != 0 && syscall(__NR_landlock_add_rule, rfd,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1) {
		log_warn("landlock: rule for %s", p->path);
		goto fail;
	}
	rc = 0;
fail:
	close(fd);
	return rc;
}

int
landlock_restrict(const struct sandbox_path *paths, size_t npaths,
    const struct sandbox_path *extra, size_t nextra, int *abi)
{
	struct landlock_ruleset_attr attr;
	size_t i;
	int rfd = -1, rc = -1;

	*abi = sandbox_landlock_abi();
	if (*abi == 0) {
		log_warnx("landlock: not offered by this kernel; path rules "
		    "are not enforced");
		return 0;
	}
	/* only handled_access_fs: valid from ABI 1 on */
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = landlock_handled(*abi);
	rfd = (int)syscall(__NR_landlock_create_ruleset, &attr,
	    sizeof(attr.handled_access_fs), 0);
	if (rfd == -1) {
		log_warn("landlock: create ruleset (ABI %d)", *abi);
		goto fail;
	}
	for (i = 0; i < npaths; i++)
		if (landlock_add(rfd, attr.handled_access_fs, &paths[i]) == -1)
			goto fail;
	for (i = 0; i < nextra; i++)
		if (landlock_add(rfd, attr.handled_access_fs, &extra[i]) == -1)
			goto fail;
	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1) {
		log_warn("landlock: restrict self");
		goto fail;
	}
	rc = 0;
fail:
	if (rfd != -1)
		close(rfd);
	if (rc == -1)
		*abi = 0;
	return rc;
}
