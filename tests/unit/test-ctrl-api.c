/*
 * zt-controllerd's management API over real HTTP (a forked server
 * running the evhttp transport on loopback) for every route, bad
 * bodies and bad tokens; then zt-ctl's requests, which call the same
 * handlers: tokens, history, export and import.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "api.h"
#include "http.h"
#include "log.h"
#include "objects.h"
#include "rules.h"
#include "store.h"
#include "test.h"

#define SELF		0x8056c2e21cULL
#define ADMIN		"admintoken0123456789abcd"
#define READER		"readtoken0123456789abcde"

static int64_t
now_ms(void)
{
	static int64_t t = 1795626279138;

	return t++;
}

static struct ctrl_store *
store_at(const char *dir, const char *name, struct ctrl_api *api)
{
	char path[512], err[256];
	struct ctrl_store *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	REQUIRE((s = ctrl_store_sqlite_open(path, NULL, err,
	    sizeof(err))) != NULL);
	REQUIRE(ctrl_api_init(api, s, SELF, now_ms) == 0);
	return s;
}

static void
serve(const char *dir, int fd)
{
	struct ctrl_api api;
	struct event_base *base = event_base_new();
	struct ctrl_http *h;
	uint16_t port;

	store_at(dir, "http.db", &api);
	/* as zt-controllerd serves: every change through a group commit */
	REQUIRE(ctrl_api_group_commit(&api, base) == 0);
	REQUIRE(ctrl_api_token_set(&api, "adm", CTRL_SCOPE_ADMIN, ADMIN,
	    "test") == CTRL_STORE_OK);
	REQUIRE(ctrl_api_token_set(&api, "ro", CTRL_SCOPE_READ, READER,
	    "test") == CTRL_STORE_OK);
	REQUIRE((h = ctrl_http_new(base, &api, "127.0.0.1", 0)) != NULL);
	port = ctrl_http_port(h);
	REQUIRE(write(fd, &port, sizeof(port)) == sizeof(port));
	close(fd);
	event_base_dispatch(base);
	_exit(0);
}

static uint16_t http_port;

/* one request; returns the status and the body (heap) */
static int
http(const char *method, const char *path, const char *token,
    const char *body, char **out)
{
	struct sockaddr_in sin;
	char hdr[1024], *resp = NULL, *p;
	size_t len = 0, cap = 0, blen = body != NULL ? strlen(body) : 0;
	ssize_t n;
	int fd, status = -1;

	*out = NULL;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(http_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	REQUIRE(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	snprintf(hdr, sizeof(hdr), "%s %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n%s%s%sContent-Length: %zu\r\n\r\n",
	    method, path, token != NULL ? "X-ZT1-Auth: " : "",
	    token != NULL ? token : "", token != NULL ? "\r\n" : "", blen);
	REQUIRE(write(fd, hdr, strlen(hdr)) == (ssize_t)strlen(hdr));
	while (blen > 0 && (n = write(fd, body, blen)) > 0) {
		body += n;
		blen -= (size_t)n;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			REQUIRE((resp = realloc(resp, cap)) != NULL);
		}
		if ((n = read(fd, resp + len, 4096)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (resp == NULL)
		return -1;
	resp[len] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	if ((p = strstr(resp, "\r\n\r\n")) != NULL)
		*out = strdup(p + 4);
	free(resp);
	return status;
}

/* a request whose body must be JSON; returns it (or NULL) */
static json_t *
http_json(const char *method, const char *path, const char *token,
    const char *body, int want)
{
	json_error_t e;
	json_t *j = NULL;
	char *text;
	int st;

	st = http(method, path, token, body, &text);
	CHECKF(st == want, "%s %s: status %d, wanted %d (%s)", method, path,
	    st, want, text != NULL ? text : "");
	if (text != NULL)
		j = json_loads(text, JSON_DECODE_ANY, &e);
	CHECKF(j != NULL, "%s %s: body is not JSON: %s", method, path,
	    text != NULL ? text : "(none)");
	free(text);
	return j;
}

static void
check_error_body(json_t *j, int code)
{
	CHECK(json_is_object(j) &&
	    json_integer_value(json_object_get(j, "error")) == code &&
	    json_is_string(json_object_get(j, "description")));
	json_decref(j);
}

static void
test_auth(void)
{
	char *text;
	int st;
	json_t *j;

	check_error_body(http_json("GET", "/controller/network", NULL, NULL,
	    401), 401);
	check_error_body(http_json("GET", "/controller/network", "wrong",
	    NULL, 401), 401);
	/* the token is never taken from the URL, and there is no JSONP */
	check_error_body(http_json("GET", "/controller/network?auth=" ADMIN,
	    NULL, NULL, 400), 400);
	check_error_body(http_json("GET", "/status?jsonp=cb", ADMIN, NULL,
	    400), 400);
	/* Authorization: Bearer is the other header ZeroTier reads */
	st = http("GET", "/status", NULL, NULL, &text);
	CHECK(st == 401);
	free(text);
	j = http_json("GET", "/status", READER, NULL, 200);
	CHECK(strcmp(json_string_value(json_object_get(j, "address")),
	    "8056c2e21c") == 0);
	CHECK(json_is_string(json_object_get(j, "version")));
	CHECK(json_is_boolean(json_object_get(j, "online")));
	json_decref(j);
}

static void
test_controller(void)
{
	char *text;
	long long clock;

	CHECK(http("GET", "/controller", READER, NULL, &text) == 200);
	REQUIRE(text != NULL);
	CHECKF(sscanf(text, "{\n\t\"controller\": true,\n\t\"apiVersion\": 4,"
	    "\n\t\"clock\": %lld,\n\t\"databaseReady\": true\n}\n", &clock) ==
	    1 && clock > 0 && text[strlen(text) - 2] == '}', "%s", text);
	free(text);
	check_error_body(http_json("POST", "/controller", ADMIN, "{}", 405),
	    405);
	check_error_body(http_json("GET", "/nothing", ADMIN, NULL, 404), 404);
	check_error_body(http_json("GET", "/controller/network/xyz", ADMIN,
	    NULL, 404), 404);
}

/* the observed default object of spec §4.1, minus the changing fields */
static void
check_default_network(json_t *n, const char *id)
{
	json_t *want, *got = json_deep_copy(n);
	json_error_t e;

	want = json_loads("{\"authTokens\":[null],\"authorizationEndpoint\":"
	    "\"\",\"capabilities\":[],\"clientId\":\"\",\"dns\":[],"
	    "\"enableBroadcast\":true,\"ipAssignmentPools\":[],\"mtu\":2800,"
	    "\"multicastLimit\":32,\"name\":\"\",\"objtype\":\"network\","
	    "\"private\":true,\"remoteTraceLevel\":0,\"remoteTraceTarget\":"
	    "null,\"revision\":1,\"routes\":[],\"rules\":[{\"not\":false,"
	    "\"or\":false,\"type\":\"ACTION_ACCEPT\"}],\"rulesSource\":\"\","
	    "\"ssoEnabled\":false,\"tags\":[],\"v4AssignMode\":{\"zt\":false},"
	    "\"v6AssignMode\":{\"6plane\":false,\"rfc4193\":false,\"zt\":"
	    "false}}", 0, &e);
	REQUIRE(want != NULL);
	CHECK(json_is_integer(json_object_get(got, "creationTime")));
	CHECK(strcmp(json_string_value(json_object_get(got, "id")), id) == 0);
	CHECK(strcmp(json_string_value(json_object_get(got, "nwid")), id) ==
	    0);
	json_object_del(got, "creationTime");
	json_object_del(got, "id");
	json_object_del(got, "nwid");
	CHECKF(json_equal(want, got), "default network differs: %s",
	    json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS));
	json_decref(want);
	json_decref(got);
}

static char created[17];

/* a body of n ACTION_ACCEPT rules (heap) */
static char *
rules_body(size_t n)
{
	static const char one[] = "{\"type\":\"ACTION_ACCEPT\"},";
	size_t i, len = 16 + n * (sizeof(one) - 1);
	char *b, *p;

	REQUIRE((b = p = malloc(len)) != NULL);
	p += sprintf(p, "{\"rules\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s", one);
	if (n > 0)
		p--;
	sprintf(p, "]}");
	return b;
}

/* ZT_MAX_NETWORK_RULES: 1,024 rules are kept, one more is a 400 */
static void
test_rule_limit(void)
{
	const char *path = "/controller/network/8056c2e21c000099";
	const char *desc;
	char *body;
	size_t before;
	json_t *j;

	j = http_json("GET", path, READER, NULL, 200);
	before = json_array_size(json_object_get(j, "rules"));
	json_decref(j);
	CHECK(before > 0 && before < RULES_MAX_NETWORK);
	body = rules_body(RULES_MAX_NETWORK + 1);
	j = http_json("POST", path, ADMIN, body, 400);
	desc = json_string_value(json_object_get(j, "description"));
	CHECK(desc != NULL && strstr(desc, "rules") != NULL);
	check_error_body(j, 400);
	free(body);
	/* refused as a whole: the stored rules did not change */
	j = http_json("GET", path, READER, NULL, 200);
	CHECK(json_array_size(json_object_get(j, "rules")) == before);
	json_decref(j);
	body = rules_body(RULES_MAX_NETWORK);
	j = http_json("POST", path, ADMIN, body, 200);
	CHECK(json_array_size(json_object_get(j, "rules")) ==
	    RULES_MAX_NETWORK);
	json_decref(j);
	free(body);
}

/* {"capabilities":[{"id":7,"rules":[n rules]}]} */
static char *
cap_body(size_t n)
{
	char *rules = rules_body(n), *b;
	size_t len = strlen(rules) + 64;

	REQUIRE((b = malloc(len)) != NULL);
	/* rules_body's object without its "{" becomes the capability's tail */
	snprintf(b, len, "{\"capabilities\":[{\"id\":7,%s]}", rules + 1);
	free(rules);
	return b;
}

/* ZT_MAX_CAPABILITY_RULES: 64 rules in one capability, one more is a 400 */
static void
test_cap_rule_limit(void)
{
	const char *path = "/controller/network/8056c2e21c000099";
	const char *desc;
	char *body;
	json_t *j, *before, *c;

	j = http_json("GET", path, READER, NULL, 200);
	before = json_deep_copy(json_object_get(j, "capabilities"));
	json_decref(j);
	REQUIRE(before != NULL);
	body = cap_body(RULES_MAX_CAPABILITY + 1);
	j = http_json("POST", path, ADMIN, body, 400);
	desc = json_string_value(json_object_get(j, "description"));
	CHECKF(desc != NULL && strstr(desc, "capabilities") != NULL &&
	    strstr(desc, "at most 64") != NULL, "description: %s",
	    desc != NULL ? desc : "(none)");
	check_error_body(j, 400);
	free(body);
	/* refused as a whole: the stored capabilities did not change */
	j = http_json("GET", path, READER, NULL, 200);
	CHECK(json_equal(json_object_get(j, "capabilities"), before));
	json_decref(j);
	json_decref(before);
	body = cap_body(RULES_MAX_CAPABILITY);
	j = http_json("POST", path, ADMIN, body, 200);
	c = json_array_get(json_object_get(j, "capabilities"), 0);
	CHECK(json_integer_value(json_object_get(c, "id")) == 7);
	CHECK(json_array_size(json_object_get(c, "rules")) ==
	    RULES_MAX_CAPABILITY);
	json_decref(j);
	free(body);
}

static void
test_networks(void)
{
	json_t *j, *r;
	char path[128], *text;
	const char *id;

	j = http_json("POST", "/controller/network", ADMIN, "{}", 200);
	id = json_string_value(json_object_get(j, "id"));
	REQUIRE(id != NULL && strlen(id) == 16);
	CHECK(strncmp(id, "8056c2e21c", 10) == 0);
	snprintf(created, sizeof(created), "%s", id);
	check_default_network(j, created);
	json_decref(j);

	/* ztncui's legacy create */
	j = http_json("POST", "/controller/network/8056c2e21c______", ADMIN,
	    "{\"name\":\"ui\"}", 200);
	CHECK(strcmp(json_string_value(json_object_get(j, "name")), "ui") ==
	    0);
	json_decref(j);
	check_error_body(http_json("POST",
	    "/controller/network/1111111111______", ADMIN, "{}", 400), 400);

	/* the observed body of spec §5.1 */
	j = http_json("POST", "/controller/network/8056C2E21C000099", ADMIN,
	    "{\"mtu\":100,\"multicastLimit\":\"7\",\"remoteTraceTarget\":"
	    "\"abc\",\"rules\":[{\"type\":\"MATCH_IPV4_SOURCE\",\"ip\":"
	    "\"10.1.2.3/40\"},{\"type\":\"BOGUS\"},{\"type\":"
	    "\"ACTION_REDIRECT\",\"address\":\"1234567890\",\"length\":5}],"
	    "\"v6AssignMode\":{\"6plane\":true},\"routes\":[{\"target\":"
	    "\"10.147.17.0/24\",\"via\":\"fd00::1\"},{\"target\":\"bad\"}],"
	    "\"ipAssignmentPools\":[{\"ipRangeStart\":\"10.147.17.1\","
	    "\"ipRangeEnd\":\"10.147.17.254\"}],\"tags\":[{\"id\":5,"
	    "\"default\":1},{\"id\":2}],\"authTokens\":{\"x\":0,\"y\":-1},"
	    "\"dns\":{\"domain\":\"zt.example\",\"servers\":"
	    "[\"10.0.0.1\"]}}",
	    200);
	CHECK(strcmp(json_string_value(json_object_get(j, "id")),
	    "8056c2e21c000099") == 0);
	CHECK(json_integer_value(json_object_get(j, "mtu")) == 1280);
	CHECK(json_integer_value(json_object_get(j, "multicastLimit")) == 7);
	CHECK(json_is_null(json_object_get(j, "remoteTraceTarget")));
	r = json_loads("[{\"ip\":\"10.1.2.3/32\",\"not\":false,\"or\":false,"
	    "\"type\":\"MATCH_IPV4_SOURCE\"},{\"address\":\"1234567890\","
	    "\"flags\":0,\"type\":\"ACTION_REDIRECT\"}]", 0, NULL);
	CHECKF(json_equal(r, json_object_get(j, "rules")), "rules %s",
	    json_dumps(json_object_get(j, "rules"), JSON_COMPACT));
	json_decref(r);
	r = json_loads("{\"6plane\":true}", 0, NULL);
	CHECK(json_equal(r, json_object_get(j, "v6AssignMode")));
	json_decref(r);
	r = json_loads("[{\"target\":\"10.147.17.0/24\",\"via\":null}]", 0,
	    NULL);
	CHECK(json_equal(r, json_object_get(j, "routes")));
	json_decref(r);
	r = json_loads("[{\"id\":2,\"default\":null},{\"id\":5,\"default\":"
	    "1}]", 0, NULL);
	CHECK(json_equal(r, json_object_get(j, "tags")));
	json_decref(r);
	r = json_loads("{\"x\":0}", 0, NULL);
	CHECK(json_equal(r, json_object_get(j, "authTokens")));
	json_decref(r);
	r = json_loads("{\"domain\":\"zt.example\",\"servers\":"
	    "[\"10.0.0.1\"]}", 0, NULL);
	CHECK(json_equal(r, json_object_get(j, "dns")));
	json_decref(r);
	CHECK(json_integer_value(json_object_get(j, "revision")) == 1);
	json_decref(j);

	j = http_json("GET", "/controller/network", READER, NULL, 200);
	CHECK(json_is_array(j) && json_array_size(j) == 3);
	CHECK(strcmp(json_string_value(json_array_get(j, 2)),
	    "8056c2e21c000099") == 0 || strcmp(json_string_value(
	    json_array_get(j, 0)), json_string_value(json_array_get(j, 1))) <
	    0);
	json_decref(j);

	snprintf(path, sizeof(path), "/controller/network/%s", created);
	j = http_json("GET", path, READER, NULL, 200);
	check_default_network(j, created);
	json_decref(j);
	check_error_body(http_json("GET",
	    "/controller/network/0000000000000001", READER, NULL, 404), 404);

	/* a read-only token cannot change anything */
	check_error_body(http_json("POST", path, READER, "{\"name\":\"x\"}",
	    403), 403);
	check_error_body(http_json("DELETE", path, READER, NULL, 403), 403);

	/* bad bodies: 4xx with a JSON error, and nothing changes */
	check_error_body(http_json("POST", path, ADMIN, "", 400), 400);
	check_error_body(http_json("POST", path, ADMIN, "{\"name\":", 400),
	    400);
	check_error_body(http_json("POST", path, ADMIN, "[1,2]", 400), 400);
	check_error_body(http_json("POST", path, ADMIN,
	    "{\"name\":\"a\",\"name\":\"b\"}", 400), 400);
	check_error_body(http_json("POST", path, ADMIN,
	    "{\"name\":\"changed\",\"mtu\":\"lots\"}", 400), 400);
	check_error_body(http_json("POST", path, ADMIN,
	    "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]}", 400), 400);
	text = malloc(CTRL_BODY_MAX + 100);
	REQUIRE(text != NULL);
	memset(text, ' ', CTRL_BODY_MAX + 99);
	text[0] = '{';
	text[CTRL_BODY_MAX + 98] = '}';
	text[CTRL_BODY_MAX + 99] = '\0';
	{
		char *resp;
		int st = http("POST", path, ADMIN, text, &resp);

		CHECKF(st == 413 || st == 400, "oversized body: %d", st);
		free(resp);
	}
	free(text);
	j = http_json("GET", path, READER, NULL, 200);
	check_default_network(j, created);
	json_decref(j);
	test_rule_limit();
	test_cap_rule_limit();
}

static void
test_members(void)
{
	char net[128], mem[160];
	json_t *j, *r;

	snprintf(net, sizeof(net), "/controller/network/%s", created);
	check_error_body(http_json("POST",
	    "/controller/network/0000000000000001/member/abcdef0123", ADMIN,
	    "{}", 404), 404);
	snprintf(mem, sizeof(mem), "%s/member/ABCDEF0123", net);
	j = http_json("POST", mem, ADMIN, "{\"authorized\":true,"
	    "\"ipAssignments\":[\"10.147.17.5\",\"fd00::0001\",\"junk\"],"
	    "\"tags\":[[2,1],[1,7],[2,3]],\"capabilities\":[5,1,5],"
	    "\"authenticationURL\":\"http://x\",\"name\":\"m\"}", 200);
	/* ids as typed in the URL (spec §5.2) */
	CHECK(strcmp(json_string_value(json_object_get(j, "id")),
	    "ABCDEF0123") == 0);
	CHECK(json_is_true(json_object_get(j, "authorized")));
	CHECK(strcmp(json_string_value(json_object_get(j,
	    "lastAuthorizedCredentialType")), "api") == 0);
	CHECK(json_integer_value(json_object_get(j, "lastAuthorizedTime")) >
	    0);
	CHECK(json_object_get(j, "authenticationURL") == NULL);
	r = json_loads("[\"10.147.17.5\",\"fd00::1\"]", 0, NULL);
	CHECK(json_equal(r, json_object_get(j, "ipAssignments")));
	json_decref(r);
	r = json_loads("[[1,7],[2,3]]", 0, NULL);
	CHECK(json_equal(r, json_object_get(j, "tags")));
	json_decref(r);
	r = json_loads("[1,5]", 0, NULL);
	CHECK(json_equal(r, json_object_get(j, "capabilities")));
	json_decref(r);
	CHECK(json_integer_value(json_object_get(j, "revision")) == 1);
	CHECK(json_integer_value(json_object_get(j, "vMajor")) == -1);
	json_decref(j);

	/* a non-string IP fails the request and changes nothing */
	snprintf(mem, sizeof(mem), "%s/member/abcdef0123", net);
	check_error_body(http_json("POST", mem, ADMIN,
	    "{\"ipAssignments\":[1]}", 400), 400);
	j = http_json("POST", mem, ADMIN, "{\"authorized\":false}", 200);
	CHECK(json_integer_value(json_object_get(j, "lastDeauthorizedTime"))
	    > 0);
	CHECK(json_integer_value(json_object_get(j, "revision")) == 2);
	json_decref(j);
	j = http_json("GET", mem, READER, NULL, 200);
	CHECK(json_is_false(json_object_get(j, "authorized")));
	json_decref(j);
	check_error_body(http_json("GET", "/controller/network/"
	    "0000000000000001/member/abcdef0123", READER, NULL, 404), 404);

	snprintf(mem, sizeof(mem), "%s/member/0000000002", net);
	json_decref(http_json("POST", mem, ADMIN, "{\"authorized\":true}",
	    200));

	snprintf(mem, sizeof(mem), "%s/member", net);
	j = http_json("GET", mem, READER, NULL, 200);
	CHECK(json_object_size(j) == 2 &&
	    json_integer_value(json_object_get(j, "abcdef0123")) == 2 &&
	    json_integer_value(json_object_get(j, "0000000002")) == 1);
	json_decref(j);
	check_error_body(http_json("GET",
	    "/controller/network/0000000000000001/member", READER, NULL, 404),
	    404);

	snprintf(mem, sizeof(mem), "/unstable%s/member", net);
	j = http_json("GET", mem, READER, NULL, 200);
	CHECK(json_array_size(json_object_get(j, "data")) == 2);
	CHECK(json_integer_value(json_object_get(json_object_get(j, "meta"),
	    "authorizedCount")) == 1);
	CHECK(json_integer_value(json_object_get(json_object_get(j, "meta"),
	    "totalCount")) == 2);
	json_decref(j);
	j = http_json("GET", "/unstable/controller/network", READER, NULL,
	    200);
	CHECK(json_integer_value(json_object_get(json_object_get(j, "meta"),
	    "networkCount")) == 3);
	CHECK(json_array_size(json_object_get(j, "data")) == 3);
	json_decref(j);

	snprintf(mem, sizeof(mem), "%s/member/0000000002", net);
	j = http_json("DELETE", mem, ADMIN, NULL, 200);
	CHECK(json_is_true(json_object_get(j, "authorized")));
	json_decref(j);
	check_error_body(http_json("GET", mem, READER, NULL, 404), 404);
	check_error_body(http_json("DELETE", mem, ADMIN, NULL, 404), 404);

	j = http_json("DELETE", net, ADMIN, NULL, 200);
	CHECK(strcmp(json_string_value(json_object_get(j, "id")), created) ==
	    0);
	json_decref(j);
	check_error_body(http_json("GET", net, READER, NULL, 404), 404);
	check_error_body(http_json("DELETE", net, ADMIN, NULL, 404), 404);
	snprintf(mem, sizeof(mem), "%s/member/abcdef0123", net);
	check_error_body(http_json("GET", mem, READER, NULL, 404), 404);
}

static json_t *
ctl(struct ctrl_api *a, const char *req)
{
	json_t *q = json_loads(req, 0, NULL), *r;

	REQUIRE(q != NULL);
	r = ctrl_api_ctl(a, q, "uid:0");
	json_decref(q);
	REQUIRE(r != NULL);
	return r;
}

static void
test_ctl(const char *dir)
{
	struct ctrl_api a, b;
	struct ctrl_store *s = store_at(dir, "ctl.db", &a), *s2;
	enum ctrl_scope scope;
	const char *name;
	char secret[64];
	json_t *r, *exp, *n;
	size_t i;

	r = ctl(&a, "{\"cmd\":\"token-create\",\"name\":\"ui\","
	    "\"scope\":\"read\"}");
	REQUIRE(json_is_string(json_object_get(r, "token")));
	snprintf(secret, sizeof(secret), "%s",
	    json_string_value(json_object_get(r, "token")));
	CHECK(strlen(secret) == CTRL_TOKEN_LEN);
	json_decref(r);
	CHECK(ctrl_api_auth(&a, secret, &scope, &name) == 0 &&
	    scope == CTRL_SCOPE_READ && strcmp(name, "ui") == 0);
	r = ctl(&a, "{\"cmd\":\"token-create\",\"name\":\"ui\"}");
	CHECK(json_object_get(r, "error") != NULL);
	json_decref(r);
	r = ctl(&a, "{\"cmd\":\"token-create\",\"name\":\"bad name\"}");
	CHECK(json_object_get(r, "error") != NULL);
	json_decref(r);
	r = ctl(&a, "{\"cmd\":\"token-list\"}");
	CHECK(json_array_size(r) == 1 && json_object_get(json_array_get(r,
	    0), "token") == NULL);
	json_decref(r);
	r = ctl(&a, "{\"cmd\":\"token-revoke\",\"name\":\"ui\"}");
	CHECK(json_object_get(r, "revoked") != NULL);
	json_decref(r);
	CHECK(ctrl_api_auth(&a, secret, &scope, &name) == -1);

	r = ctl(&a, "{\"cmd\":\"api\",\"method\":\"POST\",\"path\":"
	    "\"/controller/network/8056c2e21c000001\",\"body\":{\"name\":"
	    "\"n1\"}}");
	CHECK(json_integer_value(json_object_get(r, "status")) == 200);
	json_decref(r);
	r = ctl(&a, "{\"cmd\":\"api\",\"method\":\"POST\",\"path\":"
	    "\"/controller/network/8056c2e21c000001/member/1122334455\","
	    "\"body\":{\"authorized\":true}}");
	CHECK(json_integer_value(json_object_get(r, "status")) == 200);
	json_decref(r);
	r = ctl(&a, "{\"cmd\":\"api\",\"method\":\"GET\",\"path\":"
	    "\"/controller/network/8056c2e21c000002\"}");
	CHECK(json_integer_value(json_object_get(r, "status")) == 404);
	json_decref(r);

	r = ctl(&a, "{\"cmd\":\"history\",\"nwid\":\"8056c2e21c000001\"}");
	CHECK(json_array_size(r) == 2);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(r, 0),
	    "what")), "member create") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(r, 0),
	    "who")), "uid:0") == 0);
	json_decref(r);
	r = ctl(&a, "{\"cmd\":\"history\",\"nwid\":\"xyz\"}");
	CHECK(json_object_get(r, "error") != NULL);
	json_decref(r);
	r = ctl(&a, "{\"cmd\":\"history\"}");
	/* token create + revoke + network + member */
	CHECK(json_array_size(r) == 4);
	json_decref(r);

	/* export from one store, import into another: identical objects */
	exp = ctl(&a, "{\"cmd\":\"export\"}");
	CHECK(json_array_size(json_object_get(exp, "networks")) == 1);
	s2 = store_at(dir, "ctl2.db", &b);
	json_array_foreach(json_object_get(exp, "networks"), i, n) {
		json_object_set_new(n, "cmd", json_string("import"));
		r = ctrl_api_ctl(&b, n, "uid:0");
		CHECK(json_integer_value(json_object_get(r, "members")) == 1);
		json_decref(r);
		json_object_del(n, "cmd");
	}
	r = ctl(&b, "{\"cmd\":\"export\"}");
	CHECK(json_equal(r, exp));
	json_decref(r);
	json_decref(exp);
	r = ctl(&b, "{\"cmd\":\"import\",\"network\":{\"id\":\"12\"},"
	    "\"members\":[]}");
	CHECK(json_object_get(r, "error") != NULL);
	json_decref(r);
	r = ctl(&b, "{\"cmd\":\"nope\"}");
	CHECK(json_object_get(r, "error") != NULL);
	json_decref(r);
	ctrl_api_free(&b);
	ctrl_store_close(s2);
	ctrl_api_free(&a);
	ctrl_store_close(s);
}

/*
 * Requests on many connections at once (one loop turn, one commit):
 * every one is answered 200 with its own object, a bad one in the same
 * turn gets its 400 and changes nothing, and all of them are stored.
 */
#define CONCURRENT	24
static void
test_concurrent(void)
{
	struct sockaddr_in sin;
	char req[512], buf[4096], path[160];
	int fd[CONCURRENT], i, status, ok = 0, bad = 0;
	char nw[17];
	ssize_t n;
	size_t len;
	json_t *j;

	j = http_json("POST", "/controller/network", ADMIN, "{}", 200);
	snprintf(nw, sizeof(nw), "%s", json_string_value(json_object_get(j,
	    "id")) != NULL ? json_string_value(json_object_get(j, "id")) :
	    "");
	json_decref(j);
	REQUIRE(strlen(nw) == 16);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(http_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < CONCURRENT; i++) {
		REQUIRE((fd[i] = socket(AF_INET, SOCK_STREAM, 0)) != -1);
		REQUIRE(connect(fd[i], (struct sockaddr *)&sin,
		    sizeof(sin)) == 0);
	}
	for (i = 0; i < CONCURRENT; i++) {
		const char *body = i == 7 ? "{\"authorized\":" :
		    "{\"authorized\":true}";

		snprintf(req, sizeof(req), "POST /controller/network/%s/"
		    "member/%010x HTTP/1.1\r\nHost: l\r\nConnection: close"
		    "\r\nX-ZT1-Auth: %s\r\nContent-Length: %zu\r\n\r\n%s",
		    nw, 0x77000000 + i, ADMIN, strlen(body), body);
		REQUIRE(write(fd[i], req, strlen(req)) == (ssize_t)strlen(req));
	}
	for (i = 0; i < CONCURRENT; i++) {
		len = 0;
		while (len < sizeof(buf) - 1 && (n = read(fd[i], buf + len,
		    sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		buf[len] = '\0';
		close(fd[i]);
		if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
			status = -1;
		snprintf(path, sizeof(path), "\"address\":\"%010x\"",
		    0x77000000 + i);
		if (i == 7)
			bad += status == 400;
		else
			ok += status == 200 && strstr(buf, path) != NULL;
	}
	CHECKF(ok == CONCURRENT - 1, "%d of %d concurrent creates answered",
	    ok, CONCURRENT - 1);
	CHECK(bad == 1);
	for (i = 0; i < CONCURRENT; i++) {
		snprintf(path, sizeof(path), "/controller/network/%s/member/"
		    "%010x", nw, 0x77000000 + i);
		j = http_json("GET", path, ADMIN, NULL, i == 7 ? 404 : 200);
		json_decref(j);
	}
}

int
main(void)
{
	char dir[] = "/tmp/test-ctrl-api.XXXXXX", cmd[600];
	int pfd[2], status;
	pid_t pid;

	log_init("test-ctrl-api", LOG_LVL_WARN);
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(mkdtemp(dir) != NULL);
	REQUIRE(pipe(pfd) == 0);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		serve(dir, pfd[1]);
	}
	REQUIRE(pid > 0);
	close(pfd[1]);
	REQUIRE(read(pfd[0], &http_port, sizeof(http_port)) ==
	    sizeof(http_port));
	close(pfd[0]);
	test_auth();
	test_controller();
	test_networks();
	test_members();
	test_concurrent();
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	test_ctl(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	return test_main_end();
}
