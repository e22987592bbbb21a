#pragma once
/*
 * VL1 packet armor (spec/vl1.md §3.2, §3.3, §3.5; vectors/README.md,
 * packets.json) on a whole assembled packet in memory: no I/O, no LZ4,
 * no fragmentation.  Cipher suites:
 *   0  Poly1305 only            1  Salsa20/12 + Poly1305 (flag 0x80)
 *   3  AES-GMAC-SIV
 * Suite 2 (trusted path) carries no cryptography and is the caller's.
 */
#include <stddef.h>
#include <stdint.h>

#include "aes_gmac_siv.h"

#define ARMOR_KEY_LEN		48	/* the agreed per-peer key */
/* id(8) dest(5) source(5) flags(1) mac(8) verb(1) */
#define ARMOR_MIN_LEN		28
/* largest assembled packet 1.14.1 handles (spec/vl1.md §2.6) */
#define ARMOR_MAX_LEN		10024

#define ARMOR_SUITE_POLY1305		0
#define ARMOR_SUITE_SALSA2012_POLY1305	1
#define ARMOR_SUITE_AES_GMAC_SIV	3

/*
 * Per-peer key state, kept by the caller for as long as the peer: the
 * agreed key and, for suite 3, the AES contexts of the two KBKDF keys.
 */
struct armor_key {
	uint8_t			 key[ARMOR_KEY_LEN];
	struct aes_gmac_siv	 siv;
};

/* 0, or -1 (then nothing needs freeing) */
int	 armor_key_init(struct armor_key *, const uint8_t key[ARMOR_KEY_LEN]);
/* wipes the key and frees the contexts; safe to call twice */
void	 armor_key_clear(struct armor_key *);
/* heap variants: NULL on failure; free accepts NULL */
struct armor_key	*armor_key_new(const uint8_t key[ARMOR_KEY_LEN]);
void	 armor_key_free(struct armor_key *);

/*
 * Armors pkt[0..len) in place with the given suite: sets the cipher bits
 * of the flags (the fragmented flag must already be final), encrypts and
 * MACs.  For suite 3 the packet ID is replaced by half of the tag.
 * Returns 0, or -1 on a bad suite or length.
 */
int	 armor_packet(uint8_t *pkt, size_t len, struct armor_key *,
	    unsigned int suite);
/*
 * Checks and decrypts pkt[0..len) in place under the suite its flags
 * name (0, 1 or 3); the hop count is ignored.  MACs are compared in
 * constant time.  Returns 0, or -1 for any failure; after -1 the packet
 * must be dropped (a suite 3 payload is garbage then).
 */
int	 armor_dearmor(uint8_t *pkt, size_t len, struct armor_key *);
/*
 * HELLO's separately encrypted field (§3.5): XORs pkt[off..off+n) with
 * Salsa20/12 under the raw key[0:32] and the packet ID with the low 3 bits
 * of byte 7 cleared.  Sender: before armor_packet; receiver: after a
 * successful armor_dearmor.  Returns 0, or -1 if the field is out of range.
 */
int	 armor_crypt_field(uint8_t *pkt, size_t len, const struct armor_key *,
	    size_t off, size_t n);
