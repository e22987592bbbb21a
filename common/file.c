#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

int
file_read(const char *path, size_t max, char **out, size_t *outlen)
{
	char *b = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (cap - len < 2) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap == 0 ? 512 : cap * 2;
			/* grow by copying so no key bytes are left behind */
			if ((nb = malloc(cap)) == NULL)
				goto fail;
			if (b != NULL) {
				memcpy(nb, b, len);
				explicit_bzero(b, cap / 2);
				free(b);
			}
			b = nb;
		}
		n = read(fd, b + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	b[len] = '\0';
	*out = b;
	*outlen = len;
	return 0;
fail:
	saved = errno;
	close(fd);
	if (b != NULL)
		explicit_bzero(b, cap);
	free(b);
	errno = saved;
	return -1;
}

/*
 * mkstemp(3) without its O_RDWR: the temporary file is opened
 * write-only, so a writer whose Landlock rule grants no read (zt-vl1d's
 * home, next to identity.secret) can use it.  tmp ends in XXXXXX.
 */
static int
file_tmp_open(char *tmp)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[6];
	struct timespec ts;
	char *x = tmp + strlen(tmp) - sizeof(r);
	unsigned int tries, i;
	int fd;

	for (tries = 0; tries < 100; tries++) {
		if (getrandom(r, sizeof(r), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(r)) {
			/* the name need not be secret: O_EXCL keeps it safe */
			clock_gettime(CLOCK_MONOTONIC, &ts);
			for (i = 0; i < sizeof(r); i++)
				r[i] = (unsigned char)(((unsigned long)
				    ts.tv_nsec >> (i * 5)) + tries);
		}
		for (i = 0; i < sizeof(r); i++)
			x[i] = set[r[i] % (sizeof(set) - 1)];
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int fd, dfd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* made 0600: never more open than mode */
	if ((fd = file_tmp_open(tmp)) == -1)
		return -1;
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}
