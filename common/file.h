#pragma once
/* Whole-file reads and atomic replacement, for state and key files. */
#include <sys/types.h>
#include <stddef.h>

/*
 * Reads a whole file into a NUL-terminated heap buffer of at most max
 * bytes.  Returns 0, or -1 with errno set (EFBIG when too large).  The
 * buffer is wiped on failure: key files pass through here.
 */
int	 file_read(const char *path, size_t max, char **out, size_t *outlen);
/*
 * Replaces path with data atomically: a temporary file beside it created
 * with mode, fsync, rename, fsync of the directory, so a crash leaves
 * the old file or the new one, never half of one.  0 or -1 with errno.
 */
int	 file_write_atomic(const char *path, const void *data, size_t len,
	    mode_t mode);
