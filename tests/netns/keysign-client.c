/*
 * Stand-in for zt-controllerd on a real zt-vl1d key holder's signing
 * socket (test-keysign.sh).  Exit status: 0 all as expected, 3 the
 * connection was refused, 4 a chunk of the node's network was not
 * signed correctly, 5 a raw blob was not refused, 6 a foreign network
 * was not refused, 7 a COM was not signed correctly, 2 usage or setup.
 * usage: keysign-client SOCKET CONTROLLER-PUBLIC-IDENTITY MEMBER-PUBLIC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "ipc_sync.h"
#include "log.h"
#include "netconf_chunk.h"
#include "signreq.h"

static struct ipc_sync s;

/* 0 with the signature, 1 refused (ERROR), -1 anything else */
static int
sign(const uint8_t *body, size_t len, uint8_t sig[ZT_SIGNATURE_LEN])
{
	uint8_t *reply = NULL;
	uint16_t rtype;
	size_t rlen;
	int rc = -1;

	if (ipc_sync_call(&s, IPC_MSG_KEY_SIGN_REQ, body, len, &rtype,
	    &reply, &rlen) == -1)
		return -1;
	if (rtype == IPC_MSG_KEY_SIGN_REPLY && rlen == ZT_SIGNATURE_LEN) {
		memcpy(sig, reply, ZT_SIGNATURE_LEN);
		rc = 0;
	} else if (rtype == IPC_MSG_ERROR)
		rc = 1;
	free(reply);
	return rc;
}

static int
chunk_body(struct wbuf *w, struct netconf_chunks *cs, uint64_t nwid)
{
	static const uint8_t dict[] = "v=7\n";
	const uint8_t *msg;
	size_t len;

	if (netconf_chunks_build(cs, nwid, 1, 0, dict, sizeof(dict) - 1,
	    0) == -1 || (msg = netconf_chunks_message(cs, 0, &len)) == NULL)
		return -1;
	return signreq_put_chunk(w, msg, len);
}

int
main(int argc, char **argv)
{
	uint8_t body[512], sig[ZT_SIGNATURE_LEN];
	struct identity ctrl, member;
	struct netconf_chunks cs;
	const uint8_t *msg;
	struct com c;
	struct wbuf w;
	size_t len;
	uint64_t nwid;

	log_init("keysign-client", LOG_LVL_WARN);
	memset(&ctrl, 0, sizeof(ctrl));
	memset(&member, 0, sizeof(member));
	if (argc != 4 || identity_from_string(&ctrl, argv[2]) == -1 ||
	    identity_from_string(&member, argv[3]) == -1)
		return 2;
	nwid = ctrl.address << 24 | 1;
	if (ipc_sync_connect(&s, argv[1], IPC_ROLE_CONTROLLERD,
	    IPC_ROLE_KEYHOLDER, 3000) == -1)
		return 3;

	wbuf_init(&w, body, sizeof(body));
	if (chunk_body(&w, &cs, nwid) == -1)
		return 2;
	msg = netconf_chunks_message(&cs, 0, &len);
	if (sign(body, wbuf_len(&w), sig) != 0 ||
	    identity_verify(&ctrl, msg, len, sig, sizeof(sig)) != 0)
		return 4;
	netconf_chunks_free(&cs);

	memset(body, 0x41, 64);
	if (sign(body, 64, sig) != 1)
		return 5;

	wbuf_init(&w, body, sizeof(body));
	if (chunk_body(&w, &cs, member.address << 24 | 1) == -1)
		return 2;
	if (sign(body, wbuf_len(&w), sig) != 1)
		return 6;
	netconf_chunks_free(&cs);

	wbuf_init(&w, body, sizeof(body));
	if (com_issue(&c, nwid, 1700000000000LL, 7200000, &member) == -1 ||
	    signreq_put_com(&w, &c) == -1)
		return 2;
	if (sign(body, wbuf_len(&w), sig) != 0)
		return 7;
	c.signed_by = ctrl.address;
	memcpy(c.signature, sig, sizeof(sig));
	if (com_verify(&c, &ctrl) != CRED_VERIFY_OK)
		return 7;
	ipc_sync_close(&s);
	return 0;
}
