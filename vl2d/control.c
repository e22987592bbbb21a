/*
 * zt-vl2d's control socket (mode 0660, group zt): zt-ctl's JSON requests
 * join, leave, listnetworks, set / get of zt-vl2d's own settings, rules
 * test and sandbox.  The addressing settings (allowManaged, ...) are
 * zt-tapd's and zt-ctl asks zt-tapd for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "hex.h"
#include "log.h"
#include "notify.h"
#include "rules_eval.h"
#include "vl2d.h"

#define VL2D_CTL_JSON_MAX	(64 * 1024)
/* an Ethernet frame as hex: header and the largest virtual MTU */
#define VL2D_CTL_FRAME_MAX	(14 + NETCONF_MTU_MAX)

static json_t *
vl2d_ctl_error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

static int
vl2d_ctl_nwid(json_t *req, uint64_t *nwid)
{
	const char *s;

	if (json_unpack(req, "{s:s}", "nwid", &s) == -1)
		return -1;
	return vl2_nwid_parse(s, nwid);
}

static void
vl2d_counter_json(void *arg, const char *name, uint64_t v)
{
	json_object_set_new(arg, name, json_integer((json_int_t)v));
}

/* spec/service.md §6.5, without zt-tapd's settings */
static json_t *
vl2d_net_json(const struct vl2d_net *n)
{
	struct inetaddr ips[NETCONF_MAX_STATIC_IPS];
	char id[17], mac[MAC_STRLEN], ip[INETADDR_STRLEN];
	const struct netconf *nc = n->nc;
	json_t *addrs = json_array(), *routes = json_array(), *o;
	json_t *dns, *servers = json_array(), *mcast = json_array();
	json_t *counters;
	size_t i, cnt;

	cnt = vl2d_net_addrs(n, ips, NETCONF_MAX_STATIC_IPS);
	for (i = 0; i < cnt; i++)
		json_array_append_new(addrs, json_string(inetaddr_fmt(&ips[i],
		    ip)));
	for (i = 0; nc != NULL && i < nc->nroutes; i++)
		json_array_append_new(routes, json_pack("{s:s, s:o, s:i, s:i}",
		    "target", inetaddr_fmt(&nc->routes[i].target, ip),
		    "via", inetaddr_is_nil(&nc->routes[i].via) ? json_null() :
		    json_string(inetaddr_fmt_ip(&nc->routes[i].via, ip)),
		    "flags", (int)nc->routes[i].flags,
		    "metric", (int)nc->routes[i].metric));
	for (i = 0; nc != NULL && i < NETCONF_DNS_SERVERS; i++)
		if (!inetaddr_is_nil(&nc->dns.servers[i]))
			json_array_append_new(servers, json_string(
			    inetaddr_fmt_ip(&nc->dns.servers[i], ip)));
	dns = json_pack("{s:s%, s:o}", "domain", nc != NULL ?
	    (const char *)nc->dns.domain : "", nc != NULL ?
	    strnlen((const char *)nc->dns.domain, NETCONF_DNS_DOMAIN_LEN) : 0,
	    "servers", servers);
	for (i = 0; n->mcn != NULL && i < n->mcn->nlocal; i++)
		json_array_append_new(mcast, json_pack("{s:s, s:I}", "mac",
		    mac_fmt(n->mcn->local[i].mac, mac), "adi",
		    (json_int_t)n->mcn->local[i].adi));
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)n->nwid);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:b, "
	    "s:i, s:I, s:s, s:o, s:o, s:o, s:o}",
	    "id", id, "nwid", id,
	    "mac", mac_fmt(n->mac, mac),
	    "name", nc != NULL ? nc->name : "",
	    "status", vl2_status_name(n->status),
	    "type", vl2_type_name(nc),
	    "mtu", nc != NULL ? (int)nc->mtu : NETCONF_MTU_DEFAULT,
	    "dhcp", 0,
	    "bridge", n->sw.self_bridge ? 1 : 0,
	    "broadcastEnabled", nc != NULL &&
	    (nc->flags & NETCONF_F_ENABLE_BROADCAST) != 0,
	    "portError", -n->port_error,
	    "netconfRevision", (json_int_t)(nc != NULL ? nc->revision : 0),
	    "portDeviceName", n->ifname,
	    "assignedAddresses", addrs,
	    "routes", routes,
	    "dns", dns,
	    "multicastSubscriptions", mcast);
	counters = json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "txFrames", (json_int_t)n->tx_frames,
	    "rxFrames", (json_int_t)n->rx_frames,
	    "txDropped", (json_int_t)n->tx_dropped,
	    "rxDropped", (json_int_t)n->rx_dropped,
	    "memberLikes", (json_int_t)n->member_likes);
	/* every decision of the switch, by name, drops included */
	if (n->sw_ready)
		sw_counters_foreach(&n->sw.counters, vl2d_counter_json,
		    counters);
	json_object_set_new(o, "counters", counters);
	/* service.md §7: the SSO keys only while authentication is due */
	if (n->status == VL2_STATUS_AUTH_REQUIRED) {
		json_object_set_new(o, "authenticationURL",
		    json_string(n->auth_url));
		json_object_set_new(o, "ssoEnabled", json_true());
	}
	return o;
}

static json_t *
vl2d_ctl_join(struct vl2d_ctx *ctx, json_t *req)
{
	struct vl2d_net *n;
	uint64_t nwid;

	if (vl2d_ctl_nwid(req, &nwid) == -1)
		return vl2d_ctl_error("invalid network id");
	if ((n = vl2d_net_join(ctx, nwid, true)) == NULL)
		return vl2d_ctl_error("too many networks");
	vl2d_link_flush(ctx);
	return vl2d_net_json(n);
}

static json_t *
vl2d_ctl_leave(struct vl2d_ctx *ctx, json_t *req)
{
	uint64_t nwid;

	if (vl2d_ctl_nwid(req, &nwid) == -1)
		return vl2d_ctl_error("invalid network id");
	/* ZeroTier answers OK for a network it had not joined, too */
	vl2d_net_leave(ctx, nwid);
	return json_pack("{s:s, s:b}", "nwid", json_string_value(
	    json_object_get(req, "nwid")), "left", 1);
}

static json_t *
vl2d_ctl_list(struct vl2d_ctx *ctx)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++)
		if (ctx->nets[i].used)
			json_array_append_new(arr, vl2d_net_json(&ctx->nets[i]));
	return arr;
}

/* sum one switch counter into the daemon's totals */
static void
vl2d_counter_add(void *arg, const char *name, uint64_t v)
{
	json_t *o = arg;

	json_object_set_new(o, name, json_integer(
	    json_integer_value(json_object_get(o, name)) + (json_int_t)v));
}

/*
 * zt-ctl info -j (issue 4 item 8): the daemon's counters summed over
 * its networks.  ZeroTier One's metric names where it has the metric,
 * labels flattened into the key (vl2d/README.md).
 */
static json_t *
vl2d_ctl_counters(struct vl2d_ctx *ctx)
{
	json_t *status = json_object(), *sw = json_object();
	uint64_t rx = 0, tx = 0, rxd = 0, txd = 0, likes = 0;
	uint64_t acc = 0, rej = 0, gate = 0, pushes = 0;
	uint64_t held[5] = { 0, 0, 0, 0, 0 };
	size_t i, joined = 0, groups = 0, remote = 0;
	const struct mship_counters *c;
	struct mship_stats ms;
	struct vl2d_net *n;
	const char *st;
	json_t *o;

	for (i = 0; i < VL2D_MAX_NETWORKS; i++) {
		n = &ctx->nets[i];
		if (!n->used)
			continue;
		joined++;
		st = vl2_status_name(n->status);
		json_object_set_new(status, st, json_integer(
		    json_integer_value(json_object_get(status, st)) + 1));
		rx += n->rx_frames;
		tx += n->tx_frames;
		rxd += n->rx_dropped;
		txd += n->tx_dropped;
		likes += n->member_likes;
		if (n->sw_ready)
			sw_counters_foreach(&n->sw.counters,
			    vl2d_counter_add, sw);
		if (n->mcn != NULL) {
			groups += n->mcn->nlocal;
			remote += n->mcn->ngroups;
		}
		if (n->ms == NULL)
			continue;
		mship_stats(n->ms, &ms);
		c = &ms.c;
		acc += c->accepted_new + c->accepted_redundant;
		rej += c->rejected_signer + c->rejected_signature +
		    c->rejected_old + c->rejected_revoked + c->rejected_type +
		    c->rejected_network + c->rejected_holder +
		    c->rx_malformed + c->rx_rate_limited;
		gate += c->gate_no_config + c->gate_no_com + c->gate_revoked +
		    c->gate_disagree + c->gate_need_identity;
		pushes += c->pushes;
		held[0] += c->held;
		held[1] += c->held_delivered;
		held[2] += c->held_expired;
		held[3] += c->held_overflow;
		held[4] += mship_held_count(n->ms);
	}
	o = json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:o, "
	    "s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I}",
	    "zt_num_networks", (json_int_t)joined,
	    "networksByStatus", status,
	    "zt_network_packets_rx", (json_int_t)rx,
	    "zt_network_packets_tx", (json_int_t)tx,
	    "framesDroppedRx", (json_int_t)rxd,
	    "framesDroppedTx", (json_int_t)txd,
	    "switch", sw,
	    "credentials",
	    "accepted", (json_int_t)acc,
	    "rejected", (json_int_t)rej,
	    "gateRefused", (json_int_t)gate,
	    "pushes", (json_int_t)pushes,
	    "zt_network_multicast_groups_subscribed", (json_int_t)groups,
	    "multicastGroupsKnown", (json_int_t)remote,
	    "multicastMemberLikes", (json_int_t)likes,
	    "packetsMalformed", (json_int_t)ctx->dropped,
	    "packetsNoVl1d", (json_int_t)ctx->out_dropped);
	/* VL2_PEER_EVENT from zt-vl1d and the pushes an up caused */
	if (o != NULL)
		json_object_set_new(o, "peerEvents", json_pack("{s:I, s:I, "
		    "s:I}", "up", (json_int_t)ctx->peer_ups,
		    "down", (json_int_t)ctx->peer_downs,
		    "pushes", (json_int_t)ctx->peer_pushes));
	/* §2.1: frames kept until their sender's COM arrived */
	if (o != NULL)
		json_object_set_new(o, "heldFrames", json_pack("{s:I, s:I, "
		    "s:I, s:I, s:I}", "held", (json_int_t)held[0],
		    "delivered", (json_int_t)held[1],
		    "expired", (json_int_t)held[2],
		    "overflow", (json_int_t)held[3],
		    "waiting", (json_int_t)held[4]));
	return o;
}

static json_t *
vl2d_ctl_set(struct vl2d_ctx *ctx, json_t *req)
{
	const char *name, *value;
	struct vl2_local l;
	struct vl2d_net *n;
	uint64_t nwid;

	if (vl2d_ctl_nwid(req, &nwid) == -1 || json_unpack(req,
	    "{s:s, s:s}", "name", &name, "value", &value) == -1)
		return vl2d_ctl_error("bad request");
	if ((n = vl2d_net_find(ctx, nwid)) == NULL)
		return vl2d_ctl_error("unknown network ID, check that you are "
		    "a member of the network");
	l = n->local;
	if (vl2_local_set(&l, name, value) == -1)
		return vl2d_ctl_error("unknown setting or bad value");
	if (vl2_local_save(ctx->cfg.statedir, nwid, &l) == -1)
		return vl2d_ctl_error("cannot save the setting");
	n->local = l;
	log_info("network %016llx: %s changed", (unsigned long long)nwid,
	    name);
	return json_pack("{s:s}", name, n->local.token);
}

struct vl2d_trace {
	json_t	*arr;
};

static void
vl2d_trace_rule(void *arg, size_t idx, const struct rule *r, bool rm,
    bool sm)
{
	struct vl2d_trace *t = arg;

	const char *name = rule_type_name(r->t & RULE_TYPE_MASK);

	json_array_append_new(t->arr, json_pack("{s:I, s:s, s:b, s:b, s:b}",
	    "rule", (json_int_t)idx, "type", name != NULL ? name : "UNKNOWN",
	    "not", (r->t & RULE_NOT) != 0, "match", rm, "set", sm));
}

/* `zt-ctl rules test`: which rule decides a frame, both directions */
static json_t *
vl2d_ctl_rules_test(struct vl2d_ctx *ctx, json_t *req)
{
	struct rules_decision d;
	struct vl2d_trace t;
	struct rules_frame f;
	struct rules_env env;
	struct vl2d_net *n;
	uint8_t *frame = NULL;
	const char *hex;
	int inbound = 0;
	size_t len;
	uint64_t nwid, peer;
	json_t *o;

	if (vl2d_ctl_nwid(req, &nwid) == -1 || json_unpack(req,
	    "{s:s, s?b}", "frame", &hex, "inbound", &inbound) == -1)
		return vl2d_ctl_error("bad request");
	if ((n = vl2d_net_find(ctx, nwid)) == NULL || n->nc == NULL)
		return vl2d_ctl_error("no config for this network");
	if (hex_decode_alloc(hex, VL2D_CTL_FRAME_MAX, &frame, &len) == -1 ||
	    len < 14) {
		free(frame);
		return vl2d_ctl_error("frame: hex of a whole Ethernet frame");
	}
	memset(&env, 0, sizeof(env));
	env.self = ctx->self;
	env.flags = (uint32_t)n->nc->flags;
	t.arr = json_array();
	env.trace = vl2d_trace_rule;
	env.trace_arg = &t;
	memset(&f, 0, sizeof(f));
	f.inbound = inbound != 0;
	memcpy(f.mac_dest, frame, 6);
	memcpy(f.mac_source, frame + 6, 6);
	f.ethertype = be16_get(frame + 12);
	f.data = frame + 14;
	f.len = len - 14;
	/* member MACs name their address; others leave it 0 (§7.3) */
	peer = mac_from_bytes(f.inbound ? f.mac_source : f.mac_dest);
	peer = mac_is_member(peer, nwid) ? mac_to_address(peer, nwid) : 0;
	f.zt_source = f.inbound ? peer : ctx->self;
	f.zt_dest = f.inbound ? ctx->self : peer;
	rules_filter(&env, &f, n->nc->rules, n->nc->nrules, NULL, 0, false,
	    &d);
	o = json_pack("{s:b, s:i, s:b, s:s, s:I, s:o}",
	    "inbound", f.inbound, "accept", d.accept, "deliver", d.deliver,
	    "result", rules_result_name(d.base.result),
	    "rule", (json_int_t)d.base.rule, "trace", t.arr);
	free(frame);
	return o;
}

static int
vl2d_on_ctl(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	size_t len = rbuf_remaining(&m->body);
	const uint8_t *p;
	json_error_t err;
	json_t *req, *reply;
	const char *cmd;
	char *text;
	int rc;

	if (len > VL2D_CTL_JSON_MAX) {
		/* answered, so that zt-ctl says why instead of timing out */
		if (rbuf_skip(&m->body, len) == -1)
			return -1;
		return ipc_send_error(c, m->id, EMSGSIZE, "request over 64 KiB");
	}
	if (rbuf_get_ptr(&m->body, len, &p) == -1)
		return -1;
	if ((req = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL || json_unpack(req, "{s:s}", "cmd", &cmd) == -1) {
		json_decref(req);
		return ipc_send_error(c, m->id, EINVAL, "bad request");
	}
	if (strcmp(cmd, "join") == 0)
		reply = vl2d_ctl_join(ctx, req);
	else if (strcmp(cmd, "leave") == 0)
		reply = vl2d_ctl_leave(ctx, req);
	else if (strcmp(cmd, "listnetworks") == 0)
		reply = vl2d_ctl_list(ctx);
	else if (strcmp(cmd, "set") == 0)
		reply = vl2d_ctl_set(ctx, req);
	else if (strcmp(cmd, "rules-test") == 0)
		reply = vl2d_ctl_rules_test(ctx, req);
	else if (strcmp(cmd, "counters") == 0)	/* zt-ctl info -j */
		reply = vl2d_ctl_counters(ctx);
	else if (strcmp(cmd, "sandbox") == 0)	/* zt-ctl sandbox */
		reply = json_pack("{s:s, s:s, s:[o], s:{s:b, s:b}}",
		    "daemon", "zt-vl2d", "version", ZT_VERSION, "processes",
		    sandbox_report_json(&vl2d_policy, 0), "links",
		    "zt-vl1d", ipc_client_conn(ctx->vl1d) != NULL,
		    "zt-tapd", ipc_client_conn(ctx->tapd) != NULL);
	else {
		json_decref(req);
		return ipc_send_error(c, m->id, ENOSYS, "unknown command");
	}
	json_decref(req);
	if (reply == NULL || (text = json_dumps(reply, JSON_COMPACT |
	    JSON_SORT_KEYS)) == NULL) {
		json_decref(reply);
		return ipc_send_error(c, m->id, ENOMEM, "out of memory");
	}
	rc = ipc_send(c, IPC_MSG_CTL_REPLY, m->id, text, strlen(text));
	free(text);
	json_decref(reply);
	return rc == -1 ? -1 : 0;
}

/* ZeroTier One's error object: status and what went wrong */
static json_t *
vl2d_api_error(int status, const char *what)
{
	return json_pack("{s:i, s:s}", "error", status, "description",
	    what);
}

/*
 * The node API's /network routes as zt-vl1d passes them on (spec/
 * service.md §6.5): GET lists or shows, POST joins, DELETE leaves, with
 * the handlers of zt-ctl.  *status is the HTTP status; NULL with 404:
 * no body, as ZeroTier One answers for a network it has not joined.
 */
static json_t *
vl2d_api_route(struct vl2d_ctx *ctx, json_t *req, int *status)
{
	static const char *const tapd_keys[] = { "allowManaged",
	    "allowGlobal", "allowDefault", "allowDNS" };
	const char *method, *hex = NULL;
	struct vl2d_net *n;
	json_t *body = NULL, *id = NULL;
	uint64_t nwid = 0;
	size_t i;

	*status = 400;
	/* nwid null (or missing): the list */
	if (json_unpack(req, "{s:s, s?o, s?o}", "method", &method, "nwid",
	    &id, "body", &body) == -1 || (id != NULL && !json_is_null(id) &&
	    (hex = json_string_value(id)) == NULL))
		return vl2d_api_error(400, "bad request");
	if (hex != NULL && vl2_nwid_parse(hex, &nwid) == -1)
		return vl2d_api_error(400, "invalid network id");
	*status = 200;
	if (hex == NULL) {
		if (strcmp(method, "GET") != 0) {
			*status = 405;
			return vl2d_api_error(405, "GET only");
		}
		return vl2d_ctl_list(ctx);
	}
	if (strcmp(method, "GET") == 0) {
		if ((n = vl2d_net_find(ctx, nwid)) != NULL)
			return vl2d_net_json(n);
		*status = 404;
		return NULL;
	}
	if (strcmp(method, "DELETE") == 0) {
		/* ZeroTier answers OK for a network it had not joined, too */
		vl2d_net_leave(ctx, nwid);
		return json_pack("{s:b}", "result", 1);
	}
	if (strcmp(method, "POST") != 0) {
		*status = 405;
		return vl2d_api_error(405, "GET, POST or DELETE");
	}
	/*
	 * The addressing settings are zt-tapd's, and zt-vl2d has no request
	 * to change them: refused before anything is joined, so that the
	 * request has no half effect.  zt-ctl set reaches zt-tapd.
	 */
	for (i = 0; body != NULL && json_is_object(body) &&
	    i < sizeof(tapd_keys) / sizeof(tapd_keys[0]); i++)
		if (json_object_get(body, tapd_keys[i]) != NULL) {
			*status = 403;
			return vl2d_api_error(403, "allowManaged, allowGlobal, "
			    "allowDefault and allowDNS are zt-tapd's "
			    "settings: use zt-ctl set");
		}
	if ((n = vl2d_net_join(ctx, nwid, true)) == NULL) {
		*status = 500;
		return vl2d_api_error(500, "too many networks");
	}
	vl2d_link_flush(ctx);
	return vl2d_net_json(n);
}

int
vl2d_on_api(struct ipc_conn *c, struct ipc_msg *m, void *arg)
{
	struct vl2d_ctx *ctx = arg;
	size_t len = rbuf_remaining(&m->body);
	struct wbuf w;
	const uint8_t *p;
	json_error_t err;
	json_t *req, *reply = NULL;
	char *text = NULL;
	int status, rc;

	if (rbuf_get_ptr(&m->body, len, &p) == -1)
		return -1;
	if ((req = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		status = 400;
		reply = vl2d_api_error(400, "bad request");
	} else
		reply = vl2d_api_route(ctx, req, &status);
	json_decref(req);
	if (reply != NULL && (text = json_dumps(reply, JSON_COMPACT |
	    JSON_SORT_KEYS)) == NULL)
		status = 500;
	json_decref(reply);
	wbuf_init_dynamic(&w, 2 + (text != NULL ? strlen(text) : 0));
	wbuf_put_u16(&w, (uint16_t)status);
	if (text != NULL)
		wbuf_put_bytes(&w, text, strlen(text));
	rc = ipc_send_wbuf(c, IPC_MSG_VL2_API_REPLY, m->id, &w);
	wbuf_free(&w);
	free(text);
	if (rc == -1)
		log_warnx("cannot answer zt-vl1d's network request");
	return 0;
}

static const struct ipc_handler vl2d_ctl_handlers[] = {
	{ IPC_MSG_CTL_REQUEST, vl2d_on_ctl },
	{ 0, NULL },
};

int
vl2d_control_open(struct vl2d_ctx *ctx)
{
	static const struct ipc_callbacks cb = {
		.handlers = vl2d_ctl_handlers,
	};
	char path[PATH_MAX];
	struct group *gr;
	gid_t gid = (gid_t)-1;
	int fd;

	/*
	 * Socket activation (systemd/zt-vl2d.socket): the service manager
	 * gives the socket group zt, which zt-vl2 is not a member of.
	 */
	if ((fd = notify_listen_fd()) == -2)
		return -1;
	/* the listener accepts until EAGAIN: a blocking socket would hang */
	if (fd != -1 && fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		return -1;
	if (fd == -1) {
		if (ctx->cfg.ctl_group != NULL &&
		    (gr = getgrnam(ctx->cfg.ctl_group)) != NULL)
			gid = gr->gr_gid;
		snprintf(path, sizeof(path), "%s/zt-vl2d.sock",
		    ctx->cfg.rundir);
		if ((fd = ipc_socket_listen(path, 0660, gid)) == -1) {
			log_warn("%s", path);
			return -1;
		}
	}
	ctx->listen_fd = fd;
	ctx->listener = ipc_listener_new(ctx->ipc, fd, IPC_R(CTL), &cb, ctx);
	return ctx->listener == NULL ? -1 : 0;
}

/* zt-ctl's HELLO check needs no uid; listening again keeps it simple */
int
vl2d_control_relisten(struct vl2d_ctx *ctx)
{
	return ipc_listener_relisten(ctx->listener);
}
