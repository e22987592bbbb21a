/*
 * Replay of the controller side of packets.json node_flow: the
 * NETWORK_CONFIG_REQUESTs real 1.14.1 members sent are taken apart the
 * way zt-controllerd's serve.c does (dearmored packet: header, verb,
 * payload; netconf_request_parse), answered by the issuance engine
 * against network and member objects kept in the SQLite store, signed
 * through the key holder's request parser with the controller's vector
 * key, and the reply checked: OK(NETWORK_CONFIG_REQUEST) quoting the
 * request's wire packet id, chunks that reassemble and verify under the
 * controller identity, a config for that member holding its COM (and
 * the assigned IPv4 address).  An unknown member gets ACCESS_DENIED on
 * a private network and is added unauthorized.  The controller's own
 * 1.14.1 reply (seq 9) goes through the same reassembly as a control,
 * and must have the same shape.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dictionary.h"
#include "hex.h"
#include "issue.h"
#include "log.h"
#include "netconf.h"
#include "netconf_chunk.h"
#include "objects.h"
#include "store.h"
#include "test.h"

#define HDR_LEN		28	/* id, dest, src, flags, MAC, verb */
#define VERB_NCR	0x0b

static struct identity ctrl_pub, ctrl_sec;
static json_t *flow;
static uint64_t nwid;

static int64_t
fixed_now(void)
{
	return 1700000005500LL;
}

static void
load_identities(json_t *packets)
{
	json_t *id;
	size_t i;

	json_array_foreach(json_object_get(packets, "identities"), i, id) {
		if (strcmp(test_jstr(id, "name"), "controller") != 0)
			continue;
		REQUIRE(identity_from_string(&ctrl_pub,
		    test_jstr(id, "public")) == 0);
		REQUIRE(identity_from_string(&ctrl_sec,
		    test_jstr(id, "secret")) == 0);
	}
	REQUIRE(identity_has_private(&ctrl_sec));
}

static bool
member_identity(json_t *packets, const char *name, struct identity *out)
{
	json_t *id;
	size_t i;

	json_array_foreach(json_object_get(packets, "identities"), i, id)
		if (strcmp(test_jstr(id, "name"), name) == 0)
			return identity_from_string(out,
			    test_jstr(id, "public")) == 0;
	return false;
}

/* the dearmored packet as zt-vl1d forwards it: header, verb, payload */
static uint8_t *
request_packet(json_t *p, size_t *len)
{
	json_t *h = json_object_get(p, "header");
	uint8_t *payload, *pkt;
	size_t plen;
	uint64_t v;

	payload = test_jhex(p, "dearmored_payload", &plen);
	REQUIRE((pkt = calloc(1, HDR_LEN + plen)) != NULL);
	REQUIRE(hex_parse_u64(test_jstr(h, "packet_id"), 16, &v) == 0);
	be64_put(pkt, v);
	REQUIRE(hex_parse_u64(test_jstr(h, "destination"), 10, &v) == 0);
	be40_put(pkt + 8, v);
	REQUIRE(hex_parse_u64(test_jstr(h, "source"), 10, &v) == 0);
	be40_put(pkt + 13, v);
	pkt[18] = (uint8_t)json_integer_value(json_object_get(h,
	    "flags_byte"));
	pkt[HDR_LEN - 1] = VERB_NCR;
	memcpy(pkt + HDR_LEN, payload, plen);
	free(payload);
	*len = HDR_LEN + plen;
	return pkt;
}

/*
 * Reassembles and verifies OK(NETWORK_CONFIG_REQUEST) payloads (after
 * the verb byte) quoting packet id pid; returns the decoded config.
 */
static struct netconf *
reassemble(uint8_t *const *payloads, const size_t *lens, size_t n,
    uint64_t pid, size_t *nchunks)
{
	struct netconf_chunk c;
	struct netconf_asm a;
	struct netconf *nc = NULL;
	enum netconf_asm_result res = NETCONF_ASM_MORE;
	const uint8_t *out = NULL;
	struct dict d;
	struct rbuf r;
	size_t i, olen = 0;
	uint64_t upd, qid;
	uint8_t inre;

	*nchunks = 0;
	netconf_asm_init(&a, nwid);
	for (i = 0; i < n; i++) {
		rbuf_init(&r, payloads[i], lens[i]);
		REQUIRE(rbuf_get_u8(&r, &inre) == 0 &&
		    rbuf_get_u64(&r, &qid) == 0);
		CHECK(inre == VERB_NCR);
		CHECKF(qid == pid, "reply quotes %016" PRIx64 ", request was "
		    "%016" PRIx64, qid, pid);
		REQUIRE(netconf_chunk_parse(&c, &r) == 0);
		CHECK(!c.legacy);
		(*nchunks)++;
		res = netconf_asm_add(&a, &c, ctrl_pub.address, 1, &ctrl_pub,
		    &out, &olen, &upd);
	}
	CHECKF(res == NETCONF_ASM_DONE, "%s", netconf_asm_result_str(res));
	if (res == NETCONF_ASM_DONE) {
		REQUIRE((nc = netconf_new()) != NULL);
		dict_view(&d, out, olen, DICT_CAP_NETCONF);
		CHECK(netconf_decode(nc, &d) == 0);
	}
	netconf_asm_free(&a);
	return nc;
}

struct alloc {
	struct inetaddr	 ips[64];
	size_t		 n;
};

static int
collect_ips(json_t *m, void *arg)
{
	struct alloc *al = arg;
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(m, "ipAssignments"), i, v)
		if (al->n < 64 && inetaddr_parse(&al->ips[al->n],
		    json_string_value(v)) == 0)
			al->n++;
	return 0;
}

/*
 * What serve.c does with one forwarded request, with the key holder's
 * signing done in-process: the job, or NULL for a malformed request.
 */
static struct issue_job *
answer(struct ctrl_store *s, const uint8_t *pkt, size_t len,
    const struct identity *member, int64_t now)
{
	struct netconf_request req;
	struct issue_params p;
	struct issue_job *job = NULL;
	struct alloc al = { .n = 0 };
	json_t *net = NULL, *mem = NULL;
	struct dict meta;
	struct rbuf r;
	bool changed;

	if (len < HDR_LEN)
		return NULL;
	rbuf_init(&r, pkt + HDR_LEN, len - HDR_LEN);
	if (netconf_request_parse(&req, &r) == -1)
		return NULL;
	CHECK(req.nwid == nwid);
	CHECK(s->ops->network_get(s, req.nwid, &net) != CTRL_STORE_ERR);
	CHECK(s->ops->member_get(s, req.nwid, member->address, &mem) !=
	    CTRL_STORE_ERR);
	CHECK(s->ops->member_walk(s, req.nwid, collect_ips, &al) ==
	    CTRL_STORE_OK);
	dict_view(&meta, req.meta, req.meta_len, DICT_CAP_REQ_META);
	memset(&p, 0, sizeof(p));
	p.controller = ctrl_pub.address;
	p.nwid = req.nwid;
	p.member = member;
	p.meta = &meta;
	p.packet_id = be64_get(pkt);
	p.now = now;
	p.network = net;
	p.member_obj = mem;
	p.allocated = al.ips;
	p.nallocated = al.n;
	REQUIRE(issue_request(&p, &job) == 0);
	if (job->member_obj != NULL && job->member_changed)
		CHECK(s->ops->member_save(s, req.nwid, member->address,
		    job->member_obj, "controller", "config request",
		    &changed) == CTRL_STORE_OK);
	if (job->result == ISSUE_CONFIG)
		CHECK(issue_job_sign_local(job, &ctrl_sec) == 0);
	json_decref(net);
	json_decref(mem);
	return job;
}

static json_t *
flow_packet(unsigned int seq)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(flow, "packets"), i, p)
		if (json_integer_value(json_object_get(p, "seq")) == seq)
			return p;
	REQUIRE(!"no such packet in node_flow");
	return NULL;
}

/* the request's metadata is what the controller saw (node_flow) */
static void
check_meta(const uint8_t *pkt, size_t len, const char *pid)
{
	struct netconf_request req;
	json_t *seen;
	const char *want = NULL;
	struct rbuf r;
	size_t i;

	json_array_foreach(json_object_get(flow, "controller_requests_seen"),
	    i, seen)
		if (strcmp(test_jstr(seen, "request_packet_id"), pid) == 0)
			want = test_jstr(seen, "request_metadata");
	REQUIRE(want != NULL);
	rbuf_init(&r, pkt + HDR_LEN, len - HDR_LEN);
	REQUIRE(netconf_request_parse(&req, &r) == 0);
	CHECK(req.meta_len == strlen(want) &&
	    memcmp(req.meta, want, req.meta_len) == 0);
}

/* the 1.14.1 controller's own answer to seq 6 has the same shape */
static size_t
vector_reply_chunks(uint64_t pid, struct netconf **nc)
{
	json_t *p = flow_packet(9);
	uint8_t *pl;
	size_t len, n;

	CHECK(strcmp(test_jstr(p, "in_re_verb"),
	    "NETWORK_CONFIG_REQUEST") == 0);
	pl = test_jhex(p, "dearmored_payload", &len);
	*nc = reassemble(&pl, &len, 1, pid, &n);
	free(pl);
	return n;
}

static void
test_replay(json_t *packets, const char *dir)
{
	char path[512], err[256];
	struct ctrl_store *s;
	struct identity alice, bob;
	struct issue_job *job;
	struct netconf *nc, *vnc;
	json_t *net, *body, *m, *p;
	uint8_t *pkt, *payloads[16], buf[NETCONF_CHUNK_WIRE_MAX + 64], verb;
	size_t len, lens[16], i, n, nchunks;
	struct wbuf w;
	uint64_t pid;
	bool changed;

	REQUIRE(member_identity(packets, "alice", &alice));
	REQUIRE(member_identity(packets, "bob", &bob));
	snprintf(path, sizeof(path), "%s/replay.db", dir);
	REQUIRE((s = ctrl_store_sqlite_open(path, NULL, err,
	    sizeof(err))) != NULL);
	s->now = fixed_now;
	/* a private network with a pool; alice authorized through the API */
	net = ctrl_network_new(nwid, fixed_now());
	body = json_loads("{\"private\":true,\"name\":\"replay\","
	    "\"v4AssignMode\":{\"zt\":true},\"ipAssignmentPools\":"
	    "[{\"ipRangeStart\":\"10.147.17.10\",\"ipRangeEnd\":"
	    "\"10.147.17.20\"}],\"routes\":[{\"target\":\"10.147.17.0/24\"}]}",
	    0, NULL);
	REQUIRE(body != NULL && ctrl_network_apply(net, body, err,
	    sizeof(err)) == 0);
	CHECK(s->ops->network_save(s, nwid, net, "test", "create",
	    &changed) == CTRL_STORE_OK);
	m = ctrl_member_new(nwid, alice.address, fixed_now());
	json_object_set_new(m, "authorized", json_true());
	CHECK(s->ops->member_save(s, nwid, alice.address, m, "test",
	    "create", &changed) == CTRL_STORE_OK);
	json_decref(m);
	json_decref(body);
	json_decref(net);

	/* seq 6: alice's request */
	p = flow_packet(6);
	CHECK(strcmp(test_jstr(p, "verb"), "NETWORK_CONFIG_REQUEST") == 0 &&
	    strcmp(test_jstr(p, "sender"), "alice") == 0);
	pkt = request_packet(p, &len);
	pid = be64_get(pkt);
	check_meta(pkt, len, test_jstr(json_object_get(p, "header"),
	    "packet_id"));
	REQUIRE((job = answer(s, pkt, len, &alice, fixed_now())) != NULL);
	CHECK(job->result == ISSUE_CONFIG);
	REQUIRE(issue_job_done(job));
	n = issue_job_npackets(job);
	REQUIRE(n > 0 && n <= 16);
	for (i = 0; i < n; i++) {
		wbuf_init(&w, buf, sizeof(buf));
		REQUIRE(issue_job_packet(job, i, &verb, &w) == 0);
		CHECK(verb == ISSUE_VERB_OK);
		lens[i] = wbuf_len(&w);
		REQUIRE((payloads[i] = malloc(lens[i])) != NULL);
		memcpy(payloads[i], buf, lens[i]);
	}
	nc = reassemble(payloads, lens, n, pid, &nchunks);
	REQUIRE(nc != NULL);
	CHECK(nc->nwid == nwid);
	CHECK(nc->issued_to == alice.address);
	CHECK(nc->timestamp == fixed_now());
	/* the member's COM: for alice on this network, signed by us */
	CHECK(nc->com.nq > 0);
	CHECK(com_issued_to(&nc->com) == alice.address);
	CHECK(com_network_id(&nc->com) == nwid);
	CHECK(com_timestamp(&nc->com) == fixed_now());
	CHECK(com_verify(&nc->com, &ctrl_pub) == CRED_VERIFY_OK);
	/* an address from the pool, saved with the member */
	CHECK(nc->nstatic_ips == 1);
	CHECK(s->ops->member_get(s, nwid, alice.address, &m) ==
	    CTRL_STORE_OK);
	CHECK(json_array_size(json_object_get(m, "ipAssignments")) == 1);
	json_decref(m);
	/* the 1.14.1 controller's reply to the same request: same shape */
	CHECK(vector_reply_chunks(pid, &vnc) == nchunks);
	if (vnc != NULL) {
		CHECK(vnc->nwid == nc->nwid);
		CHECK(vnc->issued_to == nc->issued_to);
		CHECK(com_issued_to(&vnc->com) == alice.address);
		CHECK(com_verify(&vnc->com, &ctrl_pub) == CRED_VERIFY_OK);
		netconf_free(vnc);
	}
	netconf_free(nc);
	for (i = 0; i < n; i++)
		free(payloads[i]);
	issue_job_free(job);
	free(pkt);

	/* seq 16: bob, not a member of the private network */
	p = flow_packet(16);
	CHECK(strcmp(test_jstr(p, "sender"), "bob") == 0);
	pkt = request_packet(p, &len);
	REQUIRE((job = answer(s, pkt, len, &bob, fixed_now())) != NULL);
	CHECK(job->result == ISSUE_ACCESS_DENIED);
	CHECK(issue_error_code(job) == ISSUE_ERR_NETWORK_ACCESS_DENIED);
	wbuf_init(&w, buf, sizeof(buf));
	CHECK(issue_error_payload(job, &w) == 0);
	issue_job_free(job);
	CHECK(s->ops->member_get(s, nwid, bob.address, &m) ==
	    CTRL_STORE_OK);
	CHECK(json_is_false(json_object_get(m, "authorized")));
	json_decref(m);
	/* a truncated request is refused before the engine sees it */
	CHECK(answer(s, pkt, HDR_LEN + 4, &bob, fixed_now()) == NULL);
	free(pkt);
	identity_clear(&alice);
	identity_clear(&bob);
	ctrl_store_close(s);
}

int
main(void)
{
	char dir[] = "/tmp/test-ctrl-replay.XXXXXX", cmd[600];
	json_t *packets;

	log_init("test-ctrl-replay", LOG_LVL_WARN);
	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE((packets = test_vectors_load("packets.json")) != NULL);
	load_identities(packets);
	flow = json_object_get(packets, "node_flow");
	REQUIRE(flow != NULL);
	REQUIRE(hex_parse_u64(test_jstr(flow, "network_id"), 16, &nwid) == 0);
	REQUIRE(nwid >> 24 == ctrl_pub.address);
	test_replay(packets, dir);
	json_decref(packets);
	identity_clear(&ctrl_pub);
	identity_clear(&ctrl_sec);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	return test_main_end();
}
