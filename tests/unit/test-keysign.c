/*
 * The key holder's signing socket (vl1d/keysign.c) served in-process,
 * with zt-controllerd's client (controllerd/signer.c) on the other end:
 * root and a wrong uid are refused by the IPC role check; a raw blob and
 * an object of a network this node does not control are refused by the
 * key holder; a config chunk is signed correctly; a whole issuance job
 * and a revocation go through both signing stages and verify under the
 * controller's identity from the vectors.
 */
#define _GNU_SOURCE	/* setresuid, setresgid */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fixtures.h"
#include "issue.h"
#include "keysign.h"
#include "log.h"
#include "netconf.h"
#include "netconf_chunk.h"
#include "rules.h"
#include "signer.h"
#include "signreq.h"
#include "test.h"

#define NOBODY		65534
#define CTRL		0x9d3dee1129ULL
#define NWID		0x9d3dee1129000001ULL
#define NOW		1700000000000LL

static struct event_base *base;
static struct identity ctrl_pub, ctrl_sec, alice;
static char tmpdir[64], path[128];

static void
load_identities(void)
{
	json_t *v = test_vectors_load("packets.json"), *ids;

	REQUIRE(v != NULL);
	ids = json_object_get(v, "identities");
	test_identity_named(ids, "controller", "public", &ctrl_pub);
	test_identity_named(ids, "controller", "secret", &ctrl_sec);
	test_identity_named(ids, "alice", "public", &alice);
	json_decref(v);
	REQUIRE(identity_has_private(&ctrl_sec) && alice.address != 0);
}

static bool
loop_until(const bool *flag, int ms)
{
	struct timeval tv = { 0, 5000 };
	int i;

	for (i = 0; i < ms / 5 && !*flag; i++) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return *flag;
}

struct server {
	struct ipc	*ipc;
	struct keysign	 ks;
};

static void
server_start(struct server *sv, uid_t ctrl_uid)
{
	struct ipc_config cfg;
	int fd;

	ipc_config_init(&cfg, IPC_ROLE_KEYHOLDER);
	cfg.role_uid[IPC_ROLE_CONTROLLERD] = ctrl_uid;
	REQUIRE((sv->ipc = ipc_new(base, &cfg)) != NULL);
	REQUIRE((fd = ipc_socket_listen(path, 0660, getgid())) >= 0);
	REQUIRE(keysign_start(&sv->ks, sv->ipc, fd, &ctrl_sec) == 0);
}

static void
server_stop(struct server *sv)
{
	keysign_stop(&sv->ks);
	ipc_free(sv->ipc);
	unlink(path);
}

struct client {
	struct ipc	*ipc;
	struct signer	 s;
};

static void
client_start(struct client *cl)
{
	struct ipc_config cfg;

	ipc_config_init(&cfg, IPC_ROLE_CONTROLLERD);
	cfg.role_uid[IPC_ROLE_KEYHOLDER] = getuid();
	REQUIRE((cl->ipc = ipc_new(base, &cfg)) != NULL);
	REQUIRE(signer_init(&cl->s, cl->ipc, path) == 0);
	ipc_client_set_backoff(cl->s.client, 10, 20);
}

static void
client_stop(struct client *cl)
{
	signer_free(&cl->s);
	ipc_free(cl->ipc);
}

/* the role check refuses the peer: never connected, counted as UID */
static void
check_refused(uid_t configured)
{
	struct server sv;
	struct client cl;
	bool never = false;

	server_start(&sv, configured);
	client_start(&cl);
	loop_until(&never, 150);
	CHECK(!signer_ready(&cl.s));
	CHECK(ipc_malformed_total(sv.ipc) >= 1 &&
	    ipc_last_error(sv.ipc) == IPC_E_UID);
	CHECK(signer_request(&cl.s, (const uint8_t *)"\1", 1, NULL,
	    NULL) == -1);
	client_stop(&cl);
	server_stop(&sv);
}

struct answer {
	bool	 got;
	int	 status;
	uint8_t	 sig[ZT_SIGNATURE_LEN];
};

static void
answer_cb(void *arg, int status, const uint8_t sig[ZT_SIGNATURE_LEN])
{
	struct answer *a = arg;

	a->got = true;
	a->status = status;
	if (status == 0)
		memcpy(a->sig, sig, ZT_SIGNATURE_LEN);
}

static struct answer
ask(struct client *cl, const uint8_t *body, size_t len)
{
	struct answer a;

	memset(&a, 0, sizeof(a));
	REQUIRE(signer_request(&cl->s, body, len, answer_cb, &a) == 0);
	CHECK(loop_until(&a.got, 2000));
	return a;
}

static void
check_chunks(struct client *cl, struct keysign *ks)
{
	static const uint8_t dict[] = "v=7\nnwid=9d3dee1129000001\n";
	uint8_t body[256], blob[64];
	struct netconf_chunks cs;
	const uint8_t *msg;
	struct answer a;
	struct wbuf w;
	size_t len;

	/* a chunk of this controller's network */
	REQUIRE(netconf_chunks_build(&cs, NWID, 42, 0, dict,
	    sizeof(dict) - 1, 0) == 0);
	msg = netconf_chunks_message(&cs, 0, &len);
	wbuf_init(&w, body, sizeof(body));
	REQUIRE(signreq_put_chunk(&w, msg, len) == 0);
	a = ask(cl, body, wbuf_len(&w));
	CHECK(a.status == 0);
	CHECK(identity_verify(&ctrl_pub, msg, len, a.sig,
	    ZT_SIGNATURE_LEN) == 0);
	CHECK(ks->signed_total == 1);
	netconf_chunks_free(&cs);

	/* the same for another controller's network: refused */
	REQUIRE(netconf_chunks_build(&cs, 0x8899332b2c000001ULL, 42, 0, dict,
	    sizeof(dict) - 1, 0) == 0);
	msg = netconf_chunks_message(&cs, 0, &len);
	wbuf_init(&w, body, sizeof(body));
	REQUIRE(signreq_put_chunk(&w, msg, len) == 0);
	a = ask(cl, body, wbuf_len(&w));
	CHECK(a.status == -1);
	netconf_chunks_free(&cs);

	/* raw blobs: untyped, and typed but not a chunk */
	memset(blob, 0x5a, sizeof(blob));
	a = ask(cl, blob, sizeof(blob));
	CHECK(a.status == -1);
	blob[0] = SIGNREQ_CHUNK;
	a = ask(cl, blob, sizeof(blob));
	CHECK(a.status == -1);
	CHECK(ks->refused_total == 3 && ks->signed_total == 1);
	/* a refusal does not cost the connection */
	CHECK(signer_ready(&cl->s));
}

struct job_done {
	bool	 got;
	int	 status;
};

static void
job_cb(void *arg, struct issue_job *j, int status)
{
	struct job_done *d = arg;

	d->got = true;
	d->status = status;
}

static void
check_jobs(struct client *cl)
{
	json_t *net = json_pack("{s:b,s:[{s:s,s:n}],s:{s:b,s:b}}",
	    "private", 0, "routes", "target", "10.1.0.0/16", "via",
	    "v6AssignMode", "rfc4193", 1, "6plane", 1);
	uint8_t buf[NETCONF_CHUNK_WIRE_MAX + 16], verb;
	struct issue_params p;
	struct issue_job *j;
	struct job_done d;
	struct netconf_chunk c;
	struct netconf_asm as;
	struct revocation v;
	const uint8_t *out;
	size_t olen;
	uint64_t upd;
	struct wbuf w;
	struct rbuf r;

	REQUIRE(net != NULL);
	memset(&p, 0, sizeof(p));
	p.controller = CTRL;
	p.nwid = NWID;
	p.member = &alice;
	p.now = NOW;
	p.network = net;
	REQUIRE(issue_request(&p, &j) == 0 && j->result == ISSUE_CONFIG);
	memset(&d, 0, sizeof(d));
	REQUIRE(signer_run_job(&cl->s, j, job_cb, &d) == 0);
	CHECK(loop_until(&d.got, 3000) && d.status == 0);
	REQUIRE(issue_job_done(j) && issue_job_npackets(j) == 1);
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(issue_job_packet(j, 0, &verb, &w) == 0);
	CHECK(verb == ISSUE_VERB_NETWORK_CONFIG);
	rbuf_init(&r, buf, wbuf_len(&w));
	REQUIRE(netconf_chunk_parse(&c, &r) == 0);
	netconf_asm_init(&as, NWID);
	CHECK(netconf_asm_add(&as, &c, CTRL, 1, &ctrl_pub, &out, &olen,
	    &upd) == NETCONF_ASM_DONE);
	netconf_asm_free(&as);
	CHECK(com_verify(&j->nc->com, &ctrl_pub) == CRED_VERIFY_OK);
	CHECK(j->nc->ncoos == 1 &&
	    coo_verify(&j->nc->coos[0], &ctrl_pub) == CRED_VERIFY_OK);
	issue_job_free(j);
	json_decref(net);

	REQUIRE(issue_revoke(NWID, alice.address, NOW, 7, &j) == 0);
	memset(&d, 0, sizeof(d));
	REQUIRE(signer_run_job(&cl->s, j, job_cb, &d) == 0);
	CHECK(loop_until(&d.got, 3000) && d.status == 0);
	wbuf_init(&w, buf, sizeof(buf));
	REQUIRE(issue_job_packet(j, 0, &verb, &w) == 0);
	rbuf_init(&r, buf + 7, wbuf_len(&w) - 7);
	CHECK(revocation_deserialize(&v, &r) == 0 &&
	    revocation_verify(&v, &ctrl_pub) == CRED_VERIFY_OK);
	issue_job_free(j);
}

/* equal when both encode to the same bytes (no padding compared) */
static bool
rules_same(const struct rule *a, const struct rule *b, size_t n)
{
	static uint8_t ea[RULES_MAX_NETWORK * RULE_WIRE_MAX];
	static uint8_t eb[RULES_MAX_NETWORK * RULE_WIRE_MAX];
	struct wbuf wa, wb;

	wbuf_init(&wa, ea, sizeof(ea));
	wbuf_init(&wb, eb, sizeof(eb));
	if (rules_encode(a, n, &wa) == -1 || rules_encode(b, n, &wb) == -1)
		return false;
	return wbuf_len(&wa) == wbuf_len(&wb) &&
	    memcmp(ea, eb, wbuf_len(&wa)) == 0;
}

/*
 * A network with the most rules 1.14.1 allows: its config spans several
 * chunks, each signed on its own request; the member reassembles them,
 * every signature verifies and the rules decode as issued.
 */
static void
check_max_rules(struct client *cl)
{
	uint8_t buf[NETCONF_CHUNK_WIRE_MAX + 16], verb;
	json_t *net, *rules, *rule;
	const uint8_t *out = NULL;
	struct netconf_chunk c;
	struct netconf_asm as;
	enum netconf_asm_result res = NETCONF_ASM_MORE;
	struct issue_params p;
	struct issue_job *j;
	struct job_done d;
	struct netconf *nc;
	struct dict meta, got;
	size_t i, olen = 0;
	char ip[64];
	uint64_t upd;
	struct wbuf w;
	struct rbuf r;

	REQUIRE((rules = json_array()) != NULL);
	/* the widest rule type, with bytes the dictionary must escape */
	for (i = 0; i < RULES_MAX_NETWORK - 1; i++) {
		snprintf(ip, sizeof(ip), "fd3d:%zx:d00a:3d0d:a3d:d:0:%zx/128",
		    i, i * 61);
		rule = json_pack("{s:s,s:s}", "type", "MATCH_IPV6_SOURCE",
		    "ip", ip);
		REQUIRE(rule != NULL && json_array_append_new(rules,
		    rule) == 0);
	}
	REQUIRE(json_array_append_new(rules,
	    json_pack("{s:s}", "type", "ACTION_ACCEPT")) == 0);
	net = json_pack("{s:b,s:o}", "private", 0, "rules", rules);
	REQUIRE(net != NULL);
	dict_init(&meta, DICT_CAP_REQ_META);
	REQUIRE(dict_add_u64(&meta, "revr", 1) == 0);
	memset(&p, 0, sizeof(p));
	p.controller = CTRL;
	p.nwid = NWID;
	p.member = &alice;
	p.now = NOW;
	p.network = net;
	p.meta = &meta;
	REQUIRE(issue_request(&p, &j) == 0 && j->result == ISSUE_CONFIG);
	REQUIRE(j->nc->nrules == RULES_MAX_NETWORK);
	memset(&d, 0, sizeof(d));
	REQUIRE(signer_run_job(&cl->s, j, job_cb, &d) == 0);
	CHECK(loop_until(&d.got, 5000) && d.status == 0);
	REQUIRE(issue_job_done(j));
	CHECK(issue_job_npackets(j) > 1);
	netconf_asm_init(&as, NWID);
	for (i = 0; i < issue_job_npackets(j); i++) {
		wbuf_init(&w, buf, sizeof(buf));
		REQUIRE(issue_job_packet(j, i, &verb, &w) == 0);
		rbuf_init(&r, buf, wbuf_len(&w));
		REQUIRE(netconf_chunk_parse(&c, &r) == 0);
		CHECK(identity_verify(&ctrl_pub, c.raw, c.signed_len,
		    c.signature, ZT_SIGNATURE_LEN) == 0);
		res = netconf_asm_add(&as, &c, CTRL, 1, &ctrl_pub, &out,
		    &olen, &upd);
		CHECK(res == (i + 1 < issue_job_npackets(j) ?
		    NETCONF_ASM_MORE : NETCONF_ASM_DONE));
	}
	REQUIRE(res == NETCONF_ASM_DONE);
	REQUIRE((nc = netconf_new()) != NULL);
	dict_view(&got, out, olen, DICT_CAP_NETCONF);
	CHECK(netconf_decode(nc, &got) == 0);
	CHECK(nc->nrules == RULES_MAX_NETWORK && rules_same(nc->rules,
	    j->nc->rules, RULES_MAX_NETWORK));
	CHECK(com_verify(&nc->com, &ctrl_pub) == CRED_VERIFY_OK);
	netconf_free(nc);
	netconf_asm_free(&as);
	issue_job_free(j);
	dict_free(&meta);
	json_decref(net);
}

static void
check_accepted(void)
{
	struct server sv;
	struct client cl;
	bool never = false;
	struct answer a;
	uint8_t body[4] = { SIGNREQ_TAG, 0, 0, 0 };

	server_start(&sv, getuid());
	client_start(&cl);
	loop_until(&never, 100);
	REQUIRE(signer_ready(&cl.s));
	check_chunks(&cl, &sv.ks);
	check_jobs(&cl);
	check_max_rules(&cl);
	/* the server going away fails what is in flight */
	memset(&a, 0, sizeof(a));
	REQUIRE(signer_request(&cl.s, body, sizeof(body), answer_cb,
	    &a) == 0);
	server_stop(&sv);
	CHECK(loop_until(&a.got, 2000) && a.status == -1);
	client_stop(&cl);
}

int
main(void)
{
	log_init("test-keysign", LOG_LVL_WARN);
	load_identities();
	REQUIRE((base = ipc_event_base_new()) != NULL);
	if (geteuid() == 0) {
		/* root may never act as zt-controllerd, even if configured */
		strcpy(tmpdir, "/tmp/test-keysign.XXXXXX");
		REQUIRE(mkdtemp(tmpdir) != NULL);
		snprintf(path, sizeof(path), "%s/%s", tmpdir, KEYSIGN_SOCKET);
		check_refused(0);
		REQUIRE(rmdir(tmpdir) == 0);
		REQUIRE(setgroups(0, NULL) == 0);
		REQUIRE(setresgid(NOBODY, NOBODY, NOBODY) == 0);
		REQUIRE(setresuid(NOBODY, NOBODY, NOBODY) == 0);
		/* LeakSanitizer's ptrace scan needs a dumpable process */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	}
	strcpy(tmpdir, "/tmp/test-keysign.XXXXXX");
	REQUIRE(mkdtemp(tmpdir) != NULL);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, KEYSIGN_SOCKET);
	/* another uid than the configured controller's */
	check_refused(getuid() + 1);
	check_accepted();
	CHECK(rmdir(tmpdir) == 0);
	identity_clear(&ctrl_sec);
	identity_clear(&ctrl_pub);
	identity_clear(&alice);
	event_base_free(base);
	return test_main_end();
}
