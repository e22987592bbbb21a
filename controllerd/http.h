#pragma once
/*
 * The local HTTP JSON API on libevent's evhttp: a second transport for
 * the handlers of api.c.  Tokens come only from the X-ZT1-Auth or
 * Authorization: Bearer headers, never from the URL; no JSONP; header
 * and body sizes are capped by evhttp itself.
 */
#include <stdint.h>

struct event_base;
struct ctrl_api;
struct ctrl_http;

#define CTRL_HTTP_HEADERS_MAX	8192
#define CTRL_HTTP_TIMEOUT_S	30

/*
 * Listens on addr:port (port 0: any free port, see ctrl_http_port();
 * addr NULL: no TCP listener).  Called before the sandbox: the socket
 * is bound here.  NULL on failure.
 */
struct ctrl_http	*ctrl_http_new(struct event_base *, struct ctrl_api *,
			    const char *addr, uint16_t port);
uint16_t	 ctrl_http_port(const struct ctrl_http *);
/*
 * Also listens on a unix stream socket at path (mode 0666: requests
 * carry tokens, as on the loopback port), where zt-vl1d passes on the
 * /controller requests sent to the node's port.  Before the sandbox.
 */
int		 ctrl_http_listen_unix(struct ctrl_http *, const char *path);
/*
 * The same on a listening unix stream socket the service manager made
 * (socket activation); the fd is closed on error.
 */
int		 ctrl_http_listen_fd(struct ctrl_http *, int fd);
/*
 * zt-vl1d's authtoken.secret, accepted as an admin token named "node":
 * UIs speak to the node's port with the node's token, and zt-vl1d
 * passes their controller requests on.  0, or -1 if too long.
 */
int		 ctrl_http_node_token(struct ctrl_http *, const char *,
		    size_t);
void		 ctrl_http_free(struct ctrl_http *);
