/*
 * Packet armor on arbitrary bytes under a fixed key: dearmor under every
 * cipher suite (the flags byte is forced to each in turn), the HELLO field
 * cipher at offsets taken from the input, and an armor/dearmor round trip
 * that must give the input back.  Nothing may crash or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "armor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct armor_key	*fuzz_key;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const unsigned int suites[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	uint8_t key[ARMOR_KEY_LEN], *pkt;
	size_t i, off, n;

	if (fuzz_key == NULL) {
		for (i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)(i * 29 + 1);
		if ((fuzz_key = armor_key_new(key)) == NULL)
			abort();
	}
	if ((pkt = malloc(len + 1)) == NULL)
		return 0;

	/* as received */
	memcpy(pkt, data, len);
	(void)armor_dearmor(pkt, len, fuzz_key);

	/* under each suite, hop bits and other flags kept from the input */
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		memcpy(pkt, data, len);
		if (len > 18)
			pkt[18] = (uint8_t)((pkt[18] & ~0x38) | suites[i] << 3);
		(void)armor_dearmor(pkt, len, fuzz_key);
	}

	/* HELLO field cipher with input-chosen bounds */
	if (len >= 4) {
		off = (size_t)data[0] << 8 | data[1];
		n = (size_t)data[2] << 8 | data[3];
		memcpy(pkt, data, len);
		(void)armor_crypt_field(pkt, len, fuzz_key, off, n);
	}

	/* round trip: what we armor we must dearmor to the same bytes */
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		memcpy(pkt, data, len);
		if (armor_packet(pkt, len, fuzz_key, (unsigned int)i) == -1) {
			if (len >= ARMOR_MIN_LEN && len <= ARMOR_MAX_LEN)
				abort();
			continue;
		}
		if (armor_dearmor(pkt, len, fuzz_key) == -1 ||
		    memcmp(pkt + 27, data + 27, len - 27) != 0)
			abort();
	}
	free(pkt);
	return 0;
}
