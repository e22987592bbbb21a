/*
 * zt-ctl controller ...: management of zt-controllerd over its control
 * socket.  Network and member commands send HTTP-shaped requests that
 * zt-controllerd answers with the same handlers as its HTTP API; export
 * and import read and write ZeroTier's controller.d layout
 * (spec/controller.md §6) so a ZeroTier controller moves over in one
 * command.  zt-ctl itself never opens the database.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "file.h"
#include "hex.h"

#define CTL_CTRLD		"zt-controllerd"
/*
 * one import request stays below the 1 MiB CTL_REQUEST cap (and
 * zt-controllerd's), unless one member alone comes near it
 */
#define CTL_IMPORT_BATCH	(768 * 1024)
#define CTL_OBJECT_MAX		(1024 * 1024)

static int
ctl_print(json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);

	if (s == NULL)
		return ctl_error("out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

static int
ctl_ctrl_call(const struct ctl_opts *o, json_t *req, json_t **reply)
{
	json_t *e;
	int rc;

	rc = ctl_call(o, CTL_CTRLD, req, reply);
	json_decref(req);
	if (rc != 0)
		return rc;
	if (json_is_object(*reply) &&
	    (e = json_object_get(*reply, "error")) != NULL &&
	    json_is_string(e)) {
		rc = ctl_error("controller: %s", json_string_value(e));
		json_decref(*reply);
		*reply = NULL;
	}
	return rc;
}

/* an API request; *body is the reply body when the status is 200 */
static int
ctl_api(const struct ctl_opts *o, const char *method, const char *path,
    json_t *body, json_t **out)
{
	json_t *req, *r, *b;
	int rc, status;

	*out = NULL;
	req = json_pack("{s:s, s:s, s:s}", "cmd", "api", "method", method,
	    "path", path);
	if (body != NULL)
		json_object_set_new(req, "body", body);
	if ((rc = ctl_ctrl_call(o, req, &r)) != 0)
		return rc;
	status = (int)json_integer_value(json_object_get(r, "status"));
	b = json_object_get(r, "body");
	if (status != 200) {
		rc = ctl_error("%s %s: %d %s", method, path, status,
		    json_string_value(json_object_get(b, "description")) ?
		    json_string_value(json_object_get(b, "description")) :
		    "");
		json_decref(r);
		return rc;
	}
	*out = json_incref(b);
	json_decref(r);
	return 0;
}

static bool
ctl_is_hex(const char *s, size_t n)
{
	uint64_t v;

	return strlen(s) == n && hex_parse_u64(s, n, &v) == 0;
}

static int
ctl_check_nwid(const char *s)
{
	return ctl_is_hex(s, 16) ? 0 : ctl_usage("'%s' is not a network id "
	    "(16 hex digits)", s);
}

static int
ctl_check_mid(const char *s)
{
	return ctl_is_hex(s, 10) ? 0 : ctl_usage("'%s' is not a member "
	    "address (10 hex digits)", s);
}

static int
ctl_body_arg(const char *text, json_t **out)
{
	json_error_t e;

	if ((*out = json_loads(text, JSON_REJECT_DUPLICATES, &e)) == NULL ||
	    !json_is_object(*out)) {
		json_decref(*out);
		return ctl_usage("the update is not a JSON object: %s",
		    e.text);
	}
	return 0;
}

/* prints r, or with -j off the one line (it may point into r); frees r */
static int
ctl_show(const struct ctl_opts *o, json_t *r, const char *line)
{
	int rc = 0;

	if (o->json || line == NULL)
		rc = ctl_print(r);
	else
		printf("%s\n", line);
	json_decref(r);
	return rc;
}

/* one API request whose answer is printed as it came */
static int
ctl_api_print(const struct ctl_opts *o, const char *method, const char *path,
    json_t *body)
{
	json_t *r;
	int rc;

	if ((rc = ctl_api(o, method, path, body, &r)) != 0)
		return rc;
	rc = ctl_print(r);
	json_decref(r);
	return rc;
}

static int
ctl_net_create(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r, *body;
	int rc;

	if (argc > 1)
		return ctl_usage("network create takes at most a name");
	body = argc == 1 ? json_pack("{s:s}", "name", argv[0]) :
	    json_object();
	if ((rc = ctl_api(o, "POST", "/controller/network", body, &r)) != 0)
		return rc;
	return ctl_show(o, r, json_string_value(json_object_get(r, "id")));
}

static int
ctl_net_list(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r, *n;
	size_t i;
	int rc;

	if (argc != 0)
		return ctl_usage("network list takes no arguments");
	if ((rc = ctl_api(o, "GET", "/unstable/controller/network", NULL,
	    &r)) != 0)
		return rc;
	if (o->json)
		rc = ctl_print(r);
	else {
		printf("<nwid> <name> <authorized members> <members>\n");
		json_array_foreach(json_object_get(r, "data"), i, n)
			printf("%s %s %lld %lld\n",
			    json_string_value(json_object_get(n, "id")),
			    json_string_value(json_object_get(n, "name")),
			    (long long)json_integer_value(json_object_get(
			    json_object_get(n, "meta"),
			    "authorizedMemberCount")),
			    (long long)json_integer_value(json_object_get(
			    json_object_get(n, "meta"), "totalMemberCount")));
	}
	json_decref(r);
	return rc;
}

static int
ctl_net_one(const struct ctl_opts *o, const char *method, const char *nwid,
    json_t *body)
{
	char path[64];

	snprintf(path, sizeof(path), "/controller/network/%s", nwid);
	return ctl_api_print(o, method, path, body);
}

static int
ctl_net_show(const struct ctl_opts *o, int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage("network show takes a network id");
	if (ctl_check_nwid(argv[0]) != 0)
		return 2;
	return ctl_net_one(o, "GET", argv[0], NULL);
}

static int
ctl_net_update(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *body;

	if (argc != 2)
		return ctl_usage("network update takes a network id and a "
		    "JSON object");
	if (ctl_check_nwid(argv[0]) != 0 || ctl_body_arg(argv[1], &body) != 0)
		return 2;
	return ctl_net_one(o, "POST", argv[0], body);
}

static int
ctl_net_delete(const struct ctl_opts *o, int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage("network delete takes a network id");
	if (ctl_check_nwid(argv[0]) != 0)
		return 2;
	return ctl_net_one(o, "DELETE", argv[0], NULL);
}

static int
ctl_mem_list(const struct ctl_opts *o, int argc, char **argv)
{
	char path[96];
	json_t *r, *m;
	size_t i;
	int rc;

	if (argc != 1)
		return ctl_usage("member list takes a network id");
	if (ctl_check_nwid(argv[0]) != 0)
		return 2;
	snprintf(path, sizeof(path), "/unstable/controller/network/%s/member",
	    argv[0]);
	if ((rc = ctl_api(o, "GET", path, NULL, &r)) != 0)
		return rc;
	if (o->json)
		rc = ctl_print(r);
	else {
		printf("<address> <authorized> <ips>\n");
		json_array_foreach(json_object_get(r, "data"), i, m) {
			char *ips = json_dumps(json_object_get(m,
			    "ipAssignments"), JSON_COMPACT | JSON_ENCODE_ANY);

			printf("%s %s %s\n",
			    json_string_value(json_object_get(m, "address")),
			    json_is_true(json_object_get(m, "authorized")) ?
			    "yes" : "no", ips != NULL ? ips : "[]");
			free(ips);
		}
	}
	json_decref(r);
	return rc;
}

static int
ctl_mem_one(const struct ctl_opts *o, int argc, char **argv,
    const char *what, const char *method, json_t *body)
{
	char path[128];

	if (argc != 2 || ctl_check_nwid(argv[0]) != 0 ||
	    ctl_check_mid(argv[1]) != 0) {
		json_decref(body);
		return argc != 2 ? ctl_usage("member %s takes a network id "
		    "and a member address", what) : 2;
	}
	snprintf(path, sizeof(path), "/controller/network/%s/member/%s",
	    argv[0], argv[1]);
	return ctl_api_print(o, method, path, body);
}

static int
ctl_mem_show(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_mem_one(o, argc, argv, "show", "GET", NULL);
}

static int
ctl_mem_authorize(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_mem_one(o, argc, argv, "authorize", "POST",
	    json_pack("{s:b}", "authorized", 1));
}

static int
ctl_mem_deauthorize(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_mem_one(o, argc, argv, "deauthorize", "POST",
	    json_pack("{s:b}", "authorized", 0));
}

static int
ctl_mem_delete(const struct ctl_opts *o, int argc, char **argv)
{
	return ctl_mem_one(o, argc, argv, "delete", "DELETE", NULL);
}

static int
ctl_mem_update(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *body;

	if (argc != 3)
		return ctl_usage("member update takes a network id, a member "
		    "address and a JSON object");
	if (ctl_body_arg(argv[2], &body) != 0)
		return 2;
	return ctl_mem_one(o, 2, argv, "update", "POST", body);
}

static int
ctl_tok_create(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r;
	int rc;

	if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[1], "read") !=
	    0 && strcmp(argv[1], "admin") != 0))
		return ctl_usage("token create takes a name and read|admin");
	if ((rc = ctl_ctrl_call(o, json_pack("{s:s, s:s, s:s}", "cmd",
	    "token-create", "name", argv[0], "scope", argc == 2 ? argv[1] :
	    "admin"), &r)) != 0)
		return rc;
	/* the secret is shown this once; only its hash is stored */
	return ctl_show(o, r, json_string_value(json_object_get(r, "token")));
}

static int
ctl_tok_list(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r, *t;
	size_t i;
	int rc;

	if (argc != 0)
		return ctl_usage("token list takes no arguments");
	if ((rc = ctl_ctrl_call(o, json_pack("{s:s}", "cmd", "token-list"),
	    &r)) != 0)
		return rc;
	if (o->json)
		rc = ctl_print(r);
	else
		json_array_foreach(r, i, t)
			printf("%s %s\n",
			    json_string_value(json_object_get(t, "name")),
			    json_string_value(json_object_get(t, "scope")));
	json_decref(r);
	return rc;
}

static int
ctl_tok_revoke(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *r;
	int rc;

	if (argc != 1)
		return ctl_usage("token revoke takes a name");
	if ((rc = ctl_ctrl_call(o, json_pack("{s:s, s:s}", "cmd",
	    "token-revoke", "name", argv[0]), &r)) != 0)
		return rc;
	return ctl_show(o, r, "revoked");
}

static int
ctl_history(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *req, *r, *h;
	size_t i;
	int rc;

	if (argc > 1)
		return ctl_usage("history takes at most a network id");
	if (argc == 1 && ctl_check_nwid(argv[0]) != 0)
		return 2;
	req = json_pack("{s:s}", "cmd", "history");
	if (argc == 1)
		json_object_set_new(req, "nwid", json_string(argv[0]));
	if ((rc = ctl_ctrl_call(o, req, &r)) != 0)
		return rc;
	if (o->json)
		rc = ctl_print(r);
	else
		json_array_foreach(r, i, h)
			printf("%lld %lld %s %s %s %s\n",
			    (long long)json_integer_value(json_object_get(h,
			    "seq")),
			    (long long)json_integer_value(json_object_get(h,
			    "time")),
			    json_string_value(json_object_get(h, "who")),
			    json_string_value(json_object_get(h, "what")),
			    json_is_string(json_object_get(h, "nwid")) ?
			    json_string_value(json_object_get(h, "nwid")) :
			    "-",
			    json_is_string(json_object_get(h, "member")) ?
			    json_string_value(json_object_get(h, "member")) :
			    "-");
	json_decref(r);
	return rc;
}

static int
ctl_write_obj(const char *path, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (s == NULL)
		return -1;
	rc = file_write_atomic(path, s, strlen(s), 0600);
	free(s);
	return rc;
}

static int
ctl_mkdir(const char *path)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return ctl_error("%s: %s", path, strerror(errno));
	return 0;
}

/* controller.d: network/<nwid>.json, network/<nwid>/member/<mid>.json */
static int
ctl_export(const struct ctl_opts *o, int argc, char **argv)
{
	char path[PATH_MAX];
	json_t *r, *n, *m, *net;
	const char *nwid, *mid;
	size_t i, j, nm = 0;
	int rc;

	if (argc != 1)
		return ctl_usage("export takes a directory");
	if ((rc = ctl_ctrl_call(o, json_pack("{s:s}", "cmd", "export"),
	    &r)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/network", argv[0]);
	if (ctl_mkdir(argv[0]) != 0 || ctl_mkdir(path) != 0)
		goto fail;
	json_array_foreach(json_object_get(r, "networks"), i, n) {
		net = json_object_get(n, "network");
		nwid = json_string_value(json_object_get(net, "id"));
		if (nwid == NULL || !ctl_is_hex(nwid, 16))
			continue;
		snprintf(path, sizeof(path), "%s/network/%s.json", argv[0],
		    nwid);
		if (ctl_write_obj(path, net) == -1)
			goto fail_io;
		snprintf(path, sizeof(path), "%s/network/%s", argv[0], nwid);
		if (ctl_mkdir(path) != 0)
			goto fail;
		snprintf(path, sizeof(path), "%s/network/%s/member", argv[0],
		    nwid);
		if (ctl_mkdir(path) != 0)
			goto fail;
		json_array_foreach(json_object_get(n, "members"), j, m) {
			char low[11];
			size_t k;

			mid = json_string_value(json_object_get(m, "id"));
			if (mid == NULL || !ctl_is_hex(mid, 10))
				continue;
			/* the file name is lowercase whatever the id says */
			for (k = 0; k < 10; k++)
				low[k] = (char)(mid[k] >= 'A' && mid[k] <= 'F' ?
				    mid[k] - 'A' + 'a' : mid[k]);
			low[10] = '\0';
			snprintf(path, sizeof(path),
			    "%s/network/%s/member/%s.json", argv[0], nwid,
			    low);
			if (ctl_write_obj(path, m) == -1)
				goto fail_io;
			nm++;
		}
	}
	if (o->json)
		printf("{\"networks\":%zu,\"members\":%zu}\n",
		    json_array_size(json_object_get(r, "networks")), nm);
	else
		printf("exported %zu networks, %zu members to %s\n",
		    json_array_size(json_object_get(r, "networks")), nm,
		    argv[0]);
	json_decref(r);
	return 0;
fail_io:
	ctl_error("%s: %s", path, strerror(errno));
fail:
	json_decref(r);
	return 1;
}

static json_t *
ctl_read_obj(const char *path)
{
	json_error_t e;
	json_t *o;
	char *text;
	size_t len;

	if (file_read(path, CTL_OBJECT_MAX, &text, &len) == -1)
		return NULL;
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	free(text);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int
ctl_import_send(const struct ctl_opts *o, json_t *net, json_t *members)
{
	json_t *r;

	return ctl_ctrl_call(o, json_pack("{s:s, s:O, s:O}", "cmd", "import",
	    "network", net, "members", members), &r) == 0 ?
	    (json_decref(r), 0) : 1;
}

/* one network and its members, in batches under the request cap */
static int
ctl_import_network(const struct ctl_opts *o, const char *dir,
    const char *name, size_t *nn, size_t *nm)
{
	char path[PATH_MAX];
	json_t *net, *batch, *m;
	struct dirent *de;
	const char *id;
	size_t size = 0, msize;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/network/%s", dir, name);
	id = NULL;
	if ((net = ctl_read_obj(path)) == NULL ||
	    (id = json_string_value(json_object_get(net, "id"))) == NULL ||
	    strlen(id) != 16) {
		fprintf(stderr, "zt-ctl: %s: skipped (not a network object)\n",
		    path);
		json_decref(net);
		return 0;
	}
	batch = json_array();
	snprintf(path, sizeof(path), "%s/network/%.16s/member", dir, name);
	if ((d = opendir(path)) != NULL) {
		while (rc == 0 && (de = readdir(d)) != NULL) {
			if (strlen(de->d_name) != 15 ||
			    strcmp(de->d_name + 10, ".json") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/network/%.16s/member/"
			    "%s", dir, name, de->d_name);
			if ((m = ctl_read_obj(path)) == NULL ||
			    (id = json_string_value(json_object_get(m,
			    "id"))) == NULL || strlen(id) != 10) {
				fprintf(stderr, "zt-ctl: %s: skipped\n", path);
				json_decref(m);
				continue;
			}
			/* the member's own JSON size plus room for framing */
			msize = json_dumpb(m, NULL, 0, JSON_COMPACT) + 16;
			/*
			 * The batch goes before a member that would take it
			 * over the limit, so a request is never a batch plus
			 * one large member over the daemon's cap.
			 */
			if (size > 0 && size + msize > CTL_IMPORT_BATCH) {
				rc = ctl_import_send(o, net, batch);
				json_array_clear(batch);
				size = 0;
				if (rc != 0) {
					json_decref(m);
					break;
				}
			}
			size += msize;
			json_array_append_new(batch, m);
			(*nm)++;
		}
		closedir(d);
	}
	if (rc == 0 && (rc = ctl_import_send(o, net, batch)) == 0)
		(*nn)++;
	json_decref(batch);
	json_decref(net);
	return rc;
}

static int
ctl_import(const struct ctl_opts *o, int argc, char **argv)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t nn = 0, nm = 0;
	DIR *d;
	int rc = 0;

	if (argc != 1)
		return ctl_usage("import takes a controller.d directory");
	snprintf(path, sizeof(path), "%s/network", argv[0]);
	if ((d = opendir(path)) == NULL)
		return ctl_error("%s: %s", path, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		/* <16 hex>.json, as ZeroTier's file database loads them */
		if (strlen(de->d_name) != 21 ||
		    strcmp(de->d_name + 16, ".json") != 0)
			continue;
		rc = ctl_import_network(o, argv[0], de->d_name, &nn, &nm);
	}
	closedir(d);
	if (rc != 0)
		return rc;
	if (o->json)
		printf("{\"networks\":%zu,\"members\":%zu}\n", nn, nm);
	else
		printf("imported %zu networks, %zu members\n", nn, nm);
	return 0;
}

static const struct ctl_cmd ctl_network_cmds[] = {
	{ "create", "[name]", "create a network with a random id",
	    ctl_net_create, NULL },
	{ "list", "", "networks with member counts", ctl_net_list, NULL },
	{ "show", "<nwid>", "the network object", ctl_net_show, NULL },
	{ "update", "<nwid> <json>", "apply a JSON object as an API POST",
	    ctl_net_update, NULL },
	{ "delete", "<nwid>", "delete a network and its members",
	    ctl_net_delete, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct ctl_cmd ctl_member_cmds[] = {
	{ "list", "<nwid>", "members of a network", ctl_mem_list, NULL },
	{ "show", "<nwid> <address>", "the member object", ctl_mem_show,
	    NULL },
	{ "authorize", "<nwid> <address>", "authorize a member",
	    ctl_mem_authorize, NULL },
	{ "deauthorize", "<nwid> <address>",
	    "deauthorize a member (its credentials are revoked)",
	    ctl_mem_deauthorize, NULL },
	{ "update", "<nwid> <address> <json>",
	    "apply a JSON object as an API POST", ctl_mem_update, NULL },
	{ "delete", "<nwid> <address>", "delete a member", ctl_mem_delete,
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct ctl_cmd ctl_token_cmds[] = {
	{ "create", "<name> [read|admin]",
	    "a new API token (printed once)", ctl_tok_create, NULL },
	{ "list", "", "token names and scopes", ctl_tok_list, NULL },
	{ "revoke", "<name>", "delete a token", ctl_tok_revoke, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct ctl_cmd ctl_controller_cmds[] = {
	{ "network", "<create|list|show|update|delete> ...",
	    "networks of this controller", NULL, ctl_network_cmds },
	{ "member", "<list|show|authorize|deauthorize|update|delete> ...",
	    "members of a network", NULL, ctl_member_cmds },
	{ "token", "<create|list|revoke> ...", "HTTP API tokens", NULL,
	    ctl_token_cmds },
	{ "history", "[nwid]", "the change history (who, what, when)",
	    ctl_history, NULL },
	{ "export", "<dir>", "write ZeroTier's controller.d layout",
	    ctl_export, NULL },
	{ "import", "<dir>", "read a ZeroTier controller.d directory",
	    ctl_import, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};
