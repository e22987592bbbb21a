#pragma once
/*
 * Salsa20 stream cipher (12 or 20 rounds), as ZeroTier uses it: 256-bit
 * key, 64-bit nonce, 64-bit little-endian block counter starting at 0.
 * The stream position carries across calls at any byte offset.
 * A portable path and vector paths (SSE2, AVX2) are chosen once at run
 * time.
 */
#include <stddef.h>
#include <stdint.h>

struct salsa20 {
	uint32_t	 state[16];
	uint8_t		 ks[64];	/* unused keystream of the last block */
	unsigned int	 ks_left;
	unsigned int	 rounds;	/* 12 or 20 */
};

void	 salsa20_init(struct salsa20 *, const uint8_t key[32],
	    const uint8_t iv[8], unsigned int rounds);
/* out = in XOR keystream; in and out may be the same buffer */
void	 salsa20_crypt(struct salsa20 *, const uint8_t *in, uint8_t *out,
	    size_t);
/* out = keystream */
void	 salsa20_keystream(struct salsa20 *, uint8_t *out, size_t);
void	 salsa20_wipe(struct salsa20 *);
/* "avx2", "sse2" or "portable": what salsa20_crypt runs on this CPU */
const char	*salsa20_impl(void);
/* test hook: force the portable path (0) or the best one (1) */
void	 salsa20_force_portable(int);
/*
 * test and bench hook: run the named engine ("portable", "sse2", "avx2");
 * -1 when this CPU or build lacks it.  NULL restores the best one.
 */
int	 salsa20_set_impl(const char *);
