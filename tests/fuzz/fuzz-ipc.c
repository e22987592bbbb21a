/*
 * IPC frame checks, reassembly and body fields on arbitrary bytes.
 * Input: u8 sender role, u8 receiver role, then frames, each a u16
 * length, a u8 fd count (no real fds are attached) and the frame.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ipc.h"

static void
fuzz_body(const uint8_t *p, size_t len)
{
	const uint8_t *b;
	char text[256];
	uint32_t code;
	struct rbuf r;
	size_t n;
	bool flag;

	rbuf_init(&r, p, len);
	ipc_error_get(&r, &code, text, sizeof(text));
	rbuf_init(&r, p, len);
	while (ipc_get_bool(&r, &flag) == 0 &&
	    ipc_get_bytes16(&r, 4096, &b, &n) == 0 &&
	    ipc_get_bytes32(&r, 65536, &b, &n) == 0 &&
	    ipc_get_str(&r, text, sizeof(text)) == 0)
		;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_reasm ra;
	struct ipc_hdr h;
	struct rbuf in, body;
	const uint8_t *frame, *msg;
	enum ipc_role from, to, role;
	uint8_t f, t, nfds;
	uint16_t flen;
	size_t len;

	rbuf_init(&in, data, size);
	if (rbuf_get_u8(&in, &f) == -1 || rbuf_get_u8(&in, &t) == -1)
		return 0;
	from = (enum ipc_role)(f % (IPC_ROLE_COUNT + 1));
	to = (enum ipc_role)(t % (IPC_ROLE_COUNT + 1));
	ipc_reasm_init(&ra);
	while (rbuf_get_u16(&in, &flen) == 0 && rbuf_get_u8(&in, &nfds) == 0 &&
	    rbuf_get_ptr(&in, flen, &frame) == 0) {
		if (ipc_frame_parse(frame, flen, nfds, from, to, &h, &body) !=
		    IPC_OK)
			continue;
		if (h.type == IPC_MSG_HELLO) {
			ipc_hello_get(&body, &role);
			continue;
		}
		if (ipc_reasm_add(&ra, &h, &body, &msg, &len) != IPC_OK) {
			ipc_reasm_clear(&ra);
			continue;
		}
		if (msg != NULL)
			fuzz_body(msg, len);
	}
	ipc_reasm_clear(&ra);
	return 0;
}
