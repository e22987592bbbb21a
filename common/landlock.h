#pragma once
/*
 * Landlock part of the sandbox (common/landlock.c), used only by
 * common/sandbox.c.  Raw syscalls: the kernel needs no library for it.
 */
#include <stddef.h>

#include "sandbox.h"

/*
 * Restricts the calling process to the union of the two path lists
 * (extra is the sanitizer allowance, or NULL) with every filesystem
 * access right the kernel's ABI knows handled.  *abi is the ABI used,
 * or 0 when the kernel lacks Landlock (a warning, not an error).
 * Needs NO_NEW_PRIVS.  0 or -1 (logged).
 */
int	 landlock_restrict(const struct sandbox_path *, size_t,
	    const struct sandbox_path *extra, size_t nextra, int *abi);
