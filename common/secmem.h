#pragma once
/*
 * Memory for secrets (private keys): its own mapping, locked so it is never
 * swapped, left out of core dumps, wiped before it is unmapped.  If the
 * process may not lock memory (RLIMIT_MEMLOCK), the first failure is logged
 * once and the memory is still handed out, unlocked: losing the lock must
 * not stop a daemon from starting.
 */
#include <stddef.h>

/* zeroed, locked memory of n bytes (n > 0), or NULL */
void	*secmem_alloc(size_t n);
/* wipes and unmaps; n must be the size given to secmem_alloc; NULL is ok */
void	 secmem_free(void *, size_t n);
