/*
 * Locked memory for private keys.  Each allocation gets whole pages of its
 * own, so unlocking or unmapping one never touches another secret; a
 * private key is 64 bytes and a process holds a few, so the page cost does
 * not matter.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"
#include "secmem.h"

/* set once the lock failure was reported; a log line per key is noise */
static bool	secmem_lock_warned;

static size_t
secmem_round(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;

	if (n > SIZE_MAX - page)
		return 0;
	return (n + page - 1) / page * page;
}

void *
secmem_alloc(size_t n)
{
	size_t len;
	void *p;

	if (n == 0 || (len = secmem_round(n)) == 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("secmem: mmap %zu bytes", len);
		return NULL;
	}
	/*
	 * A core dump must not carry the key to disk.  No MADV_WIPEONFORK:
	 * zt-vl1d loads its key and then forks the key holder, which needs it.
	 */
	if (madvise(p, len, MADV_DONTDUMP) == -1)
		log_debug("secmem: MADV_DONTDUMP: errno %d", errno);
	if (mlock(p, len) == -1 && !secmem_lock_warned) {
		secmem_lock_warned = true;
		log_warn("secmem: mlock failed, private keys may be swapped "
		    "(raise RLIMIT_MEMLOCK)");
	}
	return p;
}

void
secmem_free(void *p, size_t n)
{
	size_t len;

	if (p == NULL)
		return;
	len = secmem_round(n);
	OPENSSL_cleanse(p, n);
	munlock(p, len);
	munmap(p, len);
}
