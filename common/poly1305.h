#pragma once
/* One-time Poly1305 (RFC 8439). */
#include <stddef.h>
#include <stdint.h>

void	 poly1305(uint8_t tag[16], const void *msg, size_t len,
	    const uint8_t key[32]);
