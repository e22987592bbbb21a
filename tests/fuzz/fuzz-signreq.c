/*
 * The key holder's signing-request parser (common/signreq.c): a
 * KEY_SIGN_REQ body from zt-controllerd.  Whatever gets signed must be
 * a well-formed object of the key's own network, and the signature must
 * verify over what the object's own codec says it covers.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "netconf_chunk.h"
#include "signreq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* packets.json node_flow controller (public test data) */
static const char key_text[] = "9d3dee1129:0:"
    "88c7d47a75f33e70be9b58ea096aead258060c96bcffb0875da3b0315c28dc0b"
    "78a04287911f1f8b3d34ef6e52f6607eb44fda63cb1bfb07e8978893c8a42ce6:"
    "c5e3fc5b8d859130fac9c254fcf400a7f684aeb63169df2364bfa21dd75315b5"
    "9dc289b299684cbbfa248bd7ac23024fadec2c6ad579655c133eaab5691466fc";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct identity key;
	static bool have;
	uint8_t sig[ZT_SIGNATURE_LEN];
	enum signreq_kind kind;
	uint64_t nwid;

	if (!have) {
		assert(identity_from_string(&key, key_text) == 0);
		have = true;
	}
	if (signreq_sign(data, size, &key, &kind, sig) != SIGNREQ_OK)
		return 0;
	assert(size > 0 && data[0] == kind);
	if (kind == SIGNREQ_CHUNK) {
		assert(netconf_chunk_message_check(data + 1, size - 1,
		    &nwid) == 0);
		assert(nwid >> 24 == key.address);
		assert(identity_verify(&key, data + 1, size - 1, sig,
		    sizeof(sig)) == 0);
	} else
		assert(kind >= SIGNREQ_COM && kind <= SIGNREQ_COO);
	return 0;
}
