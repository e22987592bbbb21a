/*
 * evhttp front of the management API (spec/controller.md §5,
 * service.md §6.2 for the token header).  Everything the request
 * carries is handed to api.c as plain bytes; this file only maps HTTP
 * to a struct ctrl_req and back.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "api.h"
#include "http.h"
#include "log.h"

#define CTRL_NODE_TOKEN_MAX	128

struct ctrl_http {
	struct evhttp			*http;
	struct evhttp_bound_socket	*sock;
	struct ctrl_api			*api;
	uint16_t			 port;
	char				 node_token[CTRL_NODE_TOKEN_MAX];
	size_t				 node_token_len;	/* 0: none */
};

static struct log_drops ctrl_http_refused =
    LOG_DROPS_INIT("HTTP request without a valid token");

static void
ctrl_http_send(struct evhttp_request *req, int status, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	const char *reason;

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	if (text != NULL)
		evbuffer_add(b, text, strlen(text));
	switch (status) {
	case 200: reason = "OK"; break;
	case 400: reason = "Bad Request"; break;
	case 401: reason = "Unauthorized"; break;
	case 403: reason = "Forbidden"; break;
	case 404: reason = "Not Found"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = "Error"; break;
	}
	evhttp_send_reply(req, status, reason, b);
	evbuffer_free(b);
}

static void
ctrl_http_fail(struct evhttp_request *req, int status, const char *what)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"description\":\"%s\",\"error\":%d}",
	    what, status);
	ctrl_http_send(req, status, buf);
}

/* the first of X-ZT1-Auth and "Authorization: Bearer", as ZeroTier */
static const char *
ctrl_http_token(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *v;

	if ((v = evhttp_find_header(h, "X-ZT1-Auth")) != NULL)
		return v;
	if ((v = evhttp_find_header(h, "Authorization")) != NULL &&
	    strncasecmp(v, "bearer ", 7) == 0)
		return v + 7;
	return NULL;
}

/* a query that would put a token or a callback in a URL is refused */
static bool
ctrl_http_query_ok(const char *query)
{
	struct evkeyvalq q;
	bool ok;

	if (query == NULL)
		return true;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) == -1)
		return false;
	ok = evhttp_find_header(&q, "auth") == NULL &&
	    evhttp_find_header(&q, "jsonp") == NULL;
	evhttp_clear_headers(&q);
	return ok;
}

static bool
ctrl_http_is_node(const struct ctrl_http *h, const char *token)
{
	return token != NULL && h->node_token_len > 0 &&
	    strlen(token) == h->node_token_len &&
	    CRYPTO_memcmp(token, h->node_token, h->node_token_len) == 0;
}

int
ctrl_http_node_token(struct ctrl_http *h, const char *token, size_t len)
{
	if (len >= sizeof(h->node_token))
		return -1;
	memcpy(h->node_token, token, len);
	h->node_token_len = len;
	return 0;
}

/* a reply held until the batch that holds its change is durable */
struct ctrl_http_wait {
	struct evhttp_request	*req;
	struct ctrl_resp	 resp;
};

static void
ctrl_http_committed(void *arg, bool committed)
{
	struct ctrl_http_wait *w = arg;

	if (committed)
		ctrl_http_send(w->req, w->resp.status, w->resp.text != NULL ?
		    w->resp.text : "{}");
	else
		ctrl_http_fail(w->req, 500, "store failure");
	free(w->resp.text);
	free(w);
}

static void
ctrl_http_request(struct evhttp_request *req, void *arg)
{
	struct ctrl_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct ctrl_http_wait *w;
	struct ctrl_req q;
	struct ctrl_resp r;
	const char *token, *name;
	char who[96];

	memset(&q, 0, sizeof(q));
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		q.method = CTRL_M_GET;
		break;
	case EVHTTP_REQ_POST:
	case EVHTTP_REQ_PUT:
		q.method = CTRL_M_POST;
		break;
	case EVHTTP_REQ_DELETE:
		q.method = CTRL_M_DELETE;
		break;
	default:
		return ctrl_http_fail(req, 405, "method not allowed");
	}
	if (uri == NULL || (q.path = evhttp_uri_get_path(uri)) == NULL)
		return ctrl_http_fail(req, 400, "bad URI");
	if (!ctrl_http_query_ok(evhttp_uri_get_query(uri)))
		return ctrl_http_fail(req, 400, "tokens and JSONP are not "
		    "accepted in URLs: use the X-ZT1-Auth header");
	token = ctrl_http_token(req);
	if (ctrl_http_is_node(h, token)) {
		q.scope = CTRL_SCOPE_ADMIN;
		name = "node";
	} else if (ctrl_api_auth(h->api, token, &q.scope, &name) == -1) {
		log_drop(&ctrl_http_refused, "%s %s", token == NULL ?
		    "no token for" : "bad token for", q.path);
		return ctrl_http_fail(req, 401, "missing or invalid token");
	}
	snprintf(who, sizeof(who), "token:%s", name);
	q.who = who;
	q.len = evbuffer_get_length(in);
	if (q.len > CTRL_BODY_MAX)
		return ctrl_http_fail(req, 413, "body too large");
	q.body = q.len > 0 ? evbuffer_pullup(in, -1) : (const uint8_t *)"";
	if (q.body == NULL)
		return ctrl_http_fail(req, 500, "out of memory");
	/*
	 * Changes join the loop turn's batch (group commit); so do reads
	 * while one is open, so that they show nothing not yet durable.
	 */
	if (ctrl_api_grouped(h->api) && (q.method != CTRL_M_GET ||
	    ctrl_api_batching(h->api))) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return ctrl_http_fail(req, 500, "out of memory");
		if (ctrl_api_batch_open(h->api) == -1) {
			free(w);
			return ctrl_http_fail(req, 500, "store failure");
		}
		w->req = req;
		ctrl_api_route(h->api, &q, &w->resp);
		ctrl_api_defer(h->api, ctrl_http_committed, w);
		return;
	}
	ctrl_api_route(h->api, &q, &r);
	ctrl_http_send(req, r.status, r.text != NULL ? r.text : "{}");
	free(r.text);
}

struct ctrl_http *
ctrl_http_new(struct event_base *base, struct ctrl_api *api,
    const char *addr, uint16_t port)
{
	struct ctrl_http *h;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->api = api;
	if ((h->http = evhttp_new(base)) == NULL)
		goto fail;
	evhttp_set_max_body_size(h->http, CTRL_BODY_MAX);
	evhttp_set_max_headers_size(h->http, CTRL_HTTP_HEADERS_MAX);
	evhttp_set_timeout(h->http, CTRL_HTTP_TIMEOUT_S);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(h->http, ctrl_http_request, h);
	if (addr == NULL)
		return h;
	if ((h->sock = evhttp_bind_socket_with_handle(h->http, addr,
	    port)) == NULL) {
		log_warn("HTTP: cannot listen on %s port %u", addr,
		    (unsigned int)port);
		goto fail;
	}
	fd = evhttp_bound_socket_get_fd(h->sock);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		goto fail;
	if (ss.ss_family == AF_INET)
		h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return h;
fail:
	ctrl_http_free(h);
	return NULL;
}

int
ctrl_http_listen_unix(struct ctrl_http *h, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path)) {
		log_warnx("%s: path too long", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	/* one left by an earlier run of this daemon */
	(void)unlink(path);
	/*
	 * As open as the TCP port on loopback: every request carries its
	 * token.  zt-vl1d (user zt-vl1) connects here.
	 */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0666) == -1 || listen(fd, 64) == -1) {
		log_warn("HTTP socket %s", path);
		close(fd);
		return -1;
	}
	return ctrl_http_listen_fd(h, fd);
}

int
ctrl_http_listen_fd(struct ctrl_http *h, int fd)
{
	if (evhttp_accept_socket_with_handle(h->http, fd) == NULL) {
		log_warnx("HTTP socket: cannot accept on fd %d", fd);
		close(fd);
		return -1;
	}
	return 0;
}

uint16_t
ctrl_http_port(const struct ctrl_http *h)
{
	return h->port;
}

void
ctrl_http_free(struct ctrl_http *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	OPENSSL_cleanse(h->node_token, sizeof(h->node_token));
	free(h);
}
