/*
 * A test client in zt-vl2d's role: asks a controller for a network's
 * config through zt-vl1d, reassembles and verifies the chunks with
 * common/netconf_chunk.c, decodes the config with common/netconf.c and
 * prints what it got as JSON.
 * usage: config-client SOCKET CONTROLLER-IDENTITY NWID SECONDS [WATCH]
 * With WATCH seconds it goes on listening after the first config and
 * prints every pushed config (NETWORK_CONFIG) and "credentials" for each
 * NETWORK_CREDENTIALS from the controller.
 * exit: 0 config printed, 3 refused by zt-vl1d, 4 ERROR from the
 * controller (code printed), 5 nothing in time, 2 usage
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hex.h"
#include "ipc_sync.h"
#include "netconf.h"
#include "netconf_chunk.h"

static int
config_print(const uint8_t *d, size_t len)
{
	struct netconf *nc = netconf_new();
	char ip[INETADDR_STRLEN], nwid[17], to[11];
	struct dict dict;
	json_t *o, *ips;
	size_t i;

	dict_view(&dict, d, len, DICT_CAP_NETCONF);
	if (nc == NULL || netconf_decode(nc, &dict) == -1) {
		fprintf(stderr, "config-client: config does not decode\n");
		return 1;
	}
	ips = json_array();
	for (i = 0; i < nc->nstatic_ips; i++)
		json_array_append_new(ips, json_string(inetaddr_fmt(
		    &nc->static_ips[i], ip)));
	snprintf(nwid, sizeof(nwid), "%016llx", (unsigned long long)nc->nwid);
	o = json_pack("{s:s, s:s, s:s, s:o, s:I, s:b}",
	    "nwid", nwid, "issuedTo", zt_address_fmt(nc->issued_to, to),
	    "name", nc->name, "ips", ips, "mtu", (json_int_t)nc->mtu,
	    "com", nc->com.nq != 0);
	json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
	printf("\n");
	fflush(stdout);
	json_decref(o);
	netconf_free(nc);
	return 0;
}

int
main(int argc, char **argv)
{
	struct identity ctrl;
	struct netconf_asm as;
	struct netconf_chunk ch;
	struct ipc_sync s;
	struct dict meta;
	struct wbuf w, rq;
	struct rbuf r, c;
	uint8_t body[4096], req[2048], *msg = NULL;
	const uint8_t *pkt, *dict;
	uint64_t nwid, src, upd;
	uint16_t type;
	size_t len, plen, dlen;
	uint8_t flags;
	time_t end;
	int got = 0, rc;

	if ((argc != 5 && argc != 6) || hex_parse_u64(argv[3], 16, &nwid) == -1)
		return 2;
	memset(&ctrl, 0, sizeof(ctrl));
	if (identity_from_string(&ctrl, argv[2]) == -1)
		return 2;
	if (ipc_sync_connect(&s, argv[1], IPC_ROLE_VL2D, IPC_ROLE_VL1D,
	    3000) == -1)
		return 3;
	netconf_request_meta_default(&meta, "linux/x86_64");
	wbuf_init(&rq, req, sizeof(req));
	netconf_request_build(&rq, nwid, &meta, 0, 0);
	wbuf_init(&w, body, sizeof(body));
	wbuf_put_u40(&w, ctrl.address);
	wbuf_put_u8(&w, 0x0b);		/* NETWORK_CONFIG_REQUEST */
	ipc_put_bytes16(&w, wbuf_data(&rq), wbuf_len(&rq));
	if (wbuf_failed(&rq) || wbuf_failed(&w) ||
	    ipc_sync_send(&s, IPC_MSG_VL2_SEND, body, wbuf_len(&w)) == -1)
		return 3;
	netconf_asm_init(&as, nwid);
	end = time(NULL) + atoi(argv[4]);
	while (time(NULL) < end) {
		if (ipc_sync_recv(&s, &type, &msg, &len) == -1)
			continue;
		rbuf_init(&r, msg, len);
		while (type == IPC_MSG_VL2_RECV && rbuf_remaining(&r) > 0) {
			if (rbuf_get_u40(&r, &src) == -1 ||
			    rbuf_get_u8(&r, &flags) == -1 ||
			    ipc_get_bytes16(&r, 16384, &pkt, &plen) == -1 ||
			    plen < 28 + 9 || src != ctrl.address)
				break;
			if ((pkt[27] & 0x1f) == 0x0a) {
				printf("credentials\n");
				fflush(stdout);
				continue;
			}
			/* a pushed config: the chunk is the whole payload */
			if ((pkt[27] & 0x1f) == 0x0c) {
				rbuf_init(&c, pkt + 28, plen - 28);
				if (netconf_chunk_parse(&ch, &c) == 0 &&
				    netconf_asm_add(&as, &ch, src,
				    be64_get(pkt), &ctrl, &dict, &dlen, &upd) ==
				    NETCONF_ASM_DONE && config_print(dict,
				    dlen) != 0) {
					rc = 1;
					goto out;
				}
				continue;
			}
			/* OK or ERROR in re NETWORK_CONFIG_REQUEST */
			if (pkt[28] != 0x0b)
				continue;
			if ((pkt[27] & 0x1f) == 0x02) {
				printf("error %u\n", pkt[28 + 9]);
				fflush(stdout);
				if (!got) {
					rc = 4;
					goto out;
				}
				continue;
			}
			if ((pkt[27] & 0x1f) != 0x03)
				continue;
			rbuf_init(&c, pkt + 28 + 9, plen - 28 - 9);
			if (netconf_chunk_parse(&ch, &c) == -1)
				continue;
			if (netconf_asm_add(&as, &ch, src, be64_get(pkt),
			    &ctrl, &dict, &dlen, &upd) != NETCONF_ASM_DONE)
				continue;
			if (config_print(dict, dlen) != 0) {
				rc = 1;
				goto out;
			}
			if (argc == 5) {
				rc = 0;
				goto out;
			}
			got = 1;
			end = time(NULL) + atoi(argv[5]);
		}
		free(msg);
		msg = NULL;
	}
	rc = got ? 0 : 5;
out:
	free(msg);
	netconf_asm_free(&as);
	ipc_sync_close(&s);
	identity_clear(&ctrl);
	dict_free(&meta);
	return rc;
}
