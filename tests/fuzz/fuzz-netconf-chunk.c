/*
 * Config chunk parser and reassembly (spec/vl2.md §3.7).  The input is
 * a sequence of records {u8 mode, u16 length, chunk}; mode bit 0 says
 * whether the chunk comes from the controller (which the legacy unsigned
 * form needs).  Chunks are fed into one assembler whose controller is
 * the vectors' controller, so seeds cut from packets.json node_flow
 * verify and complete.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "netconf_chunk.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* packets.json node_flow controller, public part */
static const char ctrl_text[] = "9d3dee1129:0:"
    "88c7d47a75f33e70be9b58ea096aead258060c96bcffb0875da3b0315c28dc0b"
    "78a04287911f1f8b3d34ef6e52f6607eb44fda63cb1bfb07e8978893c8a42ce6";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct identity ctrl;
	static bool have;
	struct netconf_asm a;
	struct netconf_chunk c;
	struct rbuf r, sub;
	const uint8_t *out;
	size_t olen;
	uint64_t upd, pid = 1;
	enum netconf_asm_result res;
	uint8_t mode;
	int n = 0;

	if (!have) {
		assert(identity_from_string(&ctrl, ctrl_text) == 0);
		have = true;
	}
	netconf_asm_init(&a, 0x9d3dee1129000001ULL);
	rbuf_init(&r, data, size);
	while (rbuf_remaining(&r) > 0 && n++ < 64) {
		if (rbuf_get_u8(&r, &mode) == -1 ||
		    rbuf_get_sub16(&r, NETCONF_CHUNK_WIRE_MAX + 64, &sub) == -1)
			break;
		if (netconf_chunk_parse(&c, &sub) == -1)
			continue;
		assert(c.legacy || (uint64_t)c.index + c.len <= c.total);
		assert(c.total < DICT_CAP_NETCONF);
		res = netconf_asm_add(&a, &c, (mode & 1) ? ctrl.address : 1,
		    pid++, (mode & 2) ? NULL : &ctrl, &out, &olen, &upd);
		if (res == NETCONF_ASM_DONE) {
			assert(olen == c.total && out[olen] == 0);
			assert(upd != 0 || c.update_id == 0);
		}
		(void)netconf_asm_should_forward(res, &c);
	}
	netconf_asm_free(&a);
	return 0;
}
