/*
 * zt-ctl's requests to zt-controllerd.  "api" carries an HTTP-shaped
 * request to the same handlers the HTTP listener uses; the others
 * (tokens, history, export, import) exist only here, for local users
 * the control socket's mode and group admit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api.h"
#include "hex.h"
#include "log.h"
#include "objects.h"

#define CTRL_HISTORY_MAX	100000

static json_t *
ctrl_ctl_err(const char *what)
{
	return json_pack("{s:s}", "error", what);
}

static json_t *
ctrl_ctl_api(struct ctrl_api *a, json_t *req, const char *who)
{
	struct ctrl_req q;
	struct ctrl_resp r;
	const char *method, *path;
	json_t *body = json_object_get(req, "body"), *out, *parsed = NULL;
	json_error_t e;
	char *text = NULL;

	if (json_unpack(req, "{s:s, s:s}", "method", &method, "path",
	    &path) == -1)
		return ctrl_ctl_err("api needs method and path");
	memset(&q, 0, sizeof(q));
	if (strcmp(method, "GET") == 0)
		q.method = CTRL_M_GET;
	else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
		q.method = CTRL_M_POST;
	else if (strcmp(method, "DELETE") == 0)
		q.method = CTRL_M_DELETE;
	else
		q.method = CTRL_M_OTHER;
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT |
	    JSON_ENCODE_ANY)) == NULL)
		return ctrl_ctl_err("out of memory");
	q.path = path;
	q.body = (const uint8_t *)(text != NULL ? text : "");
	q.len = text != NULL ? strlen(text) : 0;
	q.scope = CTRL_SCOPE_ADMIN;
	q.who = who;
	ctrl_api_route(a, &q, &r);
	free(text);
	if (r.text != NULL)
		parsed = json_loads(r.text, JSON_DECODE_ANY, &e);
	free(r.text);
	out = json_pack("{s:i, s:o}", "status", r.status, "body",
	    parsed != NULL ? parsed : json_null());
	return out;
}

static json_t *
ctrl_ctl_token_create(struct ctrl_api *a, json_t *req, const char *who)
{
	char secret[CTRL_TOKEN_LEN + 1];
	const char *name, *scope = "admin";
	enum ctrl_scope sc;
	json_t *out;
	int rc;

	if (json_unpack(req, "{s:s, s?s}", "name", &name, "scope",
	    &scope) == -1)
		return ctrl_ctl_err("token-create needs a name");
	if (strcmp(scope, "admin") == 0)
		sc = CTRL_SCOPE_ADMIN;
	else if (strcmp(scope, "read") == 0)
		sc = CTRL_SCOPE_READ;
	else
		return ctrl_ctl_err("scope is admin or read");
	rc = ctrl_api_token_create(a, name, sc, who, secret);
	if (rc == CTRL_STORE_NONE)
		return ctrl_ctl_err("a token of that name exists");
	if (rc != CTRL_STORE_OK)
		return ctrl_ctl_err("bad token name or store failure");
	out = json_pack("{s:s, s:s, s:s}", "name", name, "scope", scope,
	    "token", secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	return out;
}

static json_t *
ctrl_ctl_token_list(struct ctrl_api *a)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < a->ntokens; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I}",
		    "name", a->tokens[i].name,
		    "scope", a->tokens[i].scope == CTRL_SCOPE_ADMIN ?
		    "admin" : "read",
		    "created", (json_int_t)a->tokens[i].created));
	return arr;
}

static json_t *
ctrl_ctl_token_revoke(struct ctrl_api *a, json_t *req, const char *who)
{
	const char *name;
	struct ctrl_token *t;
	size_t n;
	int rc;

	if (json_unpack(req, "{s:s}", "name", &name) == -1)
		return ctrl_ctl_err("token-revoke needs a name");
	rc = a->store->ops->token_delete(a->store, name, who);
	if (rc == CTRL_STORE_NONE)
		return ctrl_ctl_err("no token of that name");
	if (rc != CTRL_STORE_OK ||
	    a->store->ops->token_list(a->store, &t, &n) != CTRL_STORE_OK)
		return ctrl_ctl_err("store failure");
	OPENSSL_cleanse(a->tokens, a->ntokens * sizeof(*a->tokens));
	free(a->tokens);
	a->tokens = t;
	a->ntokens = n;
	return json_pack("{s:s}", "revoked", name);
}

static int
ctrl_ctl_append(json_t *o, void *arg)
{
	json_array_append(arg, o);
	return 0;
}

static json_t *
ctrl_ctl_history(struct ctrl_api *a, json_t *req)
{
	const char *nw = NULL;
	json_int_t limit = CTRL_HISTORY_DEFAULT;
	uint64_t nwid = 0;
	json_t *arr;

	if (json_unpack(req, "{s?s, s?I}", "nwid", &nw, "limit", &limit) ==
	    -1 || limit < 1 || limit > CTRL_HISTORY_MAX)
		return ctrl_ctl_err("bad history request");
	if (nw != NULL && (strlen(nw) != 16 ||
	    hex_parse_u64(nw, 16, &nwid) == -1 || nwid == 0))
		return ctrl_ctl_err("bad network id");
	arr = json_array();
	if (a->store->ops->history_walk(a->store, nwid, (size_t)limit,
	    ctrl_ctl_append, arr) != CTRL_STORE_OK) {
		json_decref(arr);
		return ctrl_ctl_err("store failure");
	}
	return arr;
}

static json_t *
ctrl_ctl_export(struct ctrl_api *a)
{
	json_t *nets = json_array(), *net, *members;
	uint64_t *ids;
	size_t i, n;

	if (a->store->ops->network_ids(a->store, &ids, &n) != CTRL_STORE_OK) {
		json_decref(nets);
		return ctrl_ctl_err("store failure");
	}
	for (i = 0; i < n; i++) {
		if (a->store->ops->network_get(a->store, ids[i], &net) !=
		    CTRL_STORE_OK)
			continue;
		members = json_array();
		a->store->ops->member_walk(a->store, ids[i], ctrl_ctl_append,
		    members);
		json_array_append_new(nets, json_pack("{s:o, s:o}",
		    "network", net, "members", members));
	}
	free(ids);
	return json_pack("{s:o}", "networks", nets);
}

/*
 * One network of a controller.d tree, kept exactly (revisions and all
 * fields), as ZeroTier's file database loads it (spec §6): the network
 * id must be 16 hex digits, each member id 10.
 */
static json_t *
ctrl_ctl_import(struct ctrl_api *a, json_t *req, const char *who)
{
	json_t *net, *members, *m, *copy;
	const char *id;
	uint64_t nwid, mid;
	size_t i;
	int rc;

	if (json_unpack(req, "{s:o, s:o}", "network", &net, "members",
	    &members) == -1 || !json_is_object(net) ||
	    !json_is_array(members))
		return ctrl_ctl_err("import needs network and members");
	id = json_string_value(json_object_get(net, "id"));
	if (id == NULL || !(strlen(id) == 16 &&
	    hex_parse_u64(id, 16, &nwid) == 0))
		return ctrl_ctl_err("network id is not 16 hex digits");
	copy = json_array();
	json_array_foreach(members, i, m) {
		id = json_string_value(json_object_get(m, "id"));
		if (!json_is_object(m) || id == NULL || strlen(id) != 10 ||
		    hex_parse_u64(id, 10, &mid) == -1) {
			json_decref(copy);
			return ctrl_ctl_err("member id is not 10 hex digits");
		}
		m = json_deep_copy(m);
		json_object_set_new(m, "_mid", json_integer((json_int_t)mid));
		json_array_append_new(copy, m);
	}
	rc = a->store->ops->import(a->store, nwid, net, copy, who);
	json_decref(copy);
	if (rc != CTRL_STORE_OK)
		return ctrl_ctl_err("store failure");
	ctrl_api_hook(a, CTRL_HOOK_NETWORK, nwid, 0);
	return json_pack("{s:s, s:I}", "imported",
	    json_string_value(json_object_get(net, "id")),
	    "members", (json_int_t)json_array_size(members));
}

json_t *
ctrl_api_ctl(struct ctrl_api *a, json_t *req, const char *who)
{
	const char *cmd;

	if (json_unpack(req, "{s:s}", "cmd", &cmd) == -1)
		return ctrl_ctl_err("no command");
	if (strcmp(cmd, "api") == 0)
		return ctrl_ctl_api(a, req, who);
	if (strcmp(cmd, "token-create") == 0)
		return ctrl_ctl_token_create(a, req, who);
	if (strcmp(cmd, "token-list") == 0)
		return ctrl_ctl_token_list(a);
	if (strcmp(cmd, "token-revoke") == 0)
		return ctrl_ctl_token_revoke(a, req, who);
	if (strcmp(cmd, "history") == 0)
		return ctrl_ctl_history(a, req);
	if (strcmp(cmd, "export") == 0)
		return ctrl_ctl_export(a);
	if (strcmp(cmd, "import") == 0)
		return ctrl_ctl_import(a, req, who);
	return ctrl_ctl_err("unknown command");
}
