#pragma once
/*
 * The controller's management handlers.  The local HTTP API (http.c)
 * and zt-ctl's requests on the control socket both end here: HTTP is
 * only a second transport (DESIGN.md).  Routes are ZeroTier's
 * (spec/controller.md §5) plus /status.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* request bodies: size and nesting are capped before jansson sees them */
#define CTRL_BODY_MAX		(1024 * 1024)
#define CTRL_JSON_DEPTH		32
#define CTRL_TOKEN_LEN		24
#define CTRL_HISTORY_DEFAULT	100
/* the largest list reply built (all member objects of a network) */
#define CTRL_LIST_TEXT_MAX	(1024UL * 1024 * 1024)

enum ctrl_method {
	CTRL_M_GET,
	CTRL_M_POST,	/* PUT is the same */
	CTRL_M_DELETE,
	CTRL_M_OTHER,
};

struct ctrl_req {
	enum ctrl_method	 method;
	const char		*path;		/* no query string */
	const uint8_t		*body;
	size_t			 len;
	enum ctrl_scope		 scope;
	const char		*who;		/* "token:<name>", "uid:<n>" */
};

struct ctrl_resp {
	int		 status;
	char		*text;		/* heap; NULL: empty body */
};

/* what a change means for members that are online (spec §3) */
struct ctrl_api_hooks {
	void	(*network_changed)(void *, uint64_t nwid);
	void	(*member_changed)(void *, uint64_t nwid, uint64_t mid);
	/* authorized -> not: revoke its credentials */
	void	(*member_revoked)(void *, uint64_t nwid, uint64_t mid);
	bool	(*online)(void *);
	void	*arg;
};

enum ctrl_hook_kind {
	CTRL_HOOK_NETWORK,
	CTRL_HOOK_MEMBER,
	CTRL_HOOK_REVOKED,
};

/* a reply waiting for its batch: committed false means it was undone */
typedef void	 ctrl_api_done_fn(void *, bool committed);

/* a batch is committed at the latest after this many deferred replies */
#define CTRL_BATCH_MAX		256

struct event;
struct event_base;

struct ctrl_api {
	struct ctrl_store	*store;
	uint64_t		 self;		/* controller address */
	int64_t			(*now)(void);
	struct ctrl_api_hooks	 hooks;
	struct ctrl_token	*tokens;	/* cache of the token table */
	size_t			 ntokens;
	/* group commit: see ctrl_api_group_commit() */
	struct event		*flush_ev;
	bool			 batch;
	struct ctrl_deferred {
		ctrl_api_done_fn	*fn;
		void			*arg;
	}			*deferred;
	size_t			 ndeferred, capdeferred;
	struct ctrl_hook_ev {
		enum ctrl_hook_kind	 kind;
		uint64_t		 nwid, mid;
	}			*hookq;
	size_t			 nhooks, caphooks;
};

/* loads the token cache; 0 or -1 */
int	 ctrl_api_init(struct ctrl_api *, struct ctrl_store *, uint64_t self,
	    int64_t (*now)(void));
void	 ctrl_api_free(struct ctrl_api *);

/*
 * Group commit.  Once enabled (with the event loop that serves the
 * transports), a transport that has a modifying request opens a batch
 * (ctrl_api_batch_open), routes the request and defers its reply with
 * ctrl_api_defer; the batch is committed with one sync when the loop
 * has run every callback of the current turn, or after CTRL_BATCH_MAX
 * replies, and only then are the replies sent (and the pushes to online
 * members made).  Reads that arrive while a batch is open wait for it
 * too, so nothing not yet durable is ever shown.  Without group commit
 * (tests calling ctrl_api_route directly) every change is its own
 * synced transaction, as before.
 */
int	 ctrl_api_group_commit(struct ctrl_api *, struct event_base *);
bool	 ctrl_api_grouped(const struct ctrl_api *);
bool	 ctrl_api_batching(const struct ctrl_api *);
int	 ctrl_api_batch_open(struct ctrl_api *);
/* fn runs after the commit (at once when no batch is open) */
void	 ctrl_api_defer(struct ctrl_api *, ctrl_api_done_fn *, void *);
/* commits the open batch and runs what waited; false if it failed */
bool	 ctrl_api_flush(struct ctrl_api *);
/* a change's consequence for online members, after its commit */
void	 ctrl_api_hook(struct ctrl_api *, enum ctrl_hook_kind, uint64_t nwid,
	    uint64_t mid);

/* one HTTP-shaped request; resp->text is the caller's to free */
void	 ctrl_api_route(struct ctrl_api *, const struct ctrl_req *,
	    struct ctrl_resp *);

/*
 * A token from a request header: its scope and name if it is valid.
 * Compared in constant time against every stored hash.  0 or -1.
 */
int	 ctrl_api_auth(struct ctrl_api *, const char *token,
	    enum ctrl_scope *, const char **name);
/*
 * Creates a named token; the secret (CTRL_TOKEN_LEN characters, shown
 * once) goes to secret.  CTRL_STORE_NONE when the name is taken.
 */
int	 ctrl_api_token_create(struct ctrl_api *, const char *name,
	    enum ctrl_scope, const char *who, char secret[CTRL_TOKEN_LEN + 1]);
/* stores a token whose secret is given (the default admin token) */
int	 ctrl_api_token_set(struct ctrl_api *, const char *name,
	    enum ctrl_scope, const char *secret, const char *who);

/*
 * Parses a request body: at most CTRL_BODY_MAX bytes, nesting at most
 * CTRL_JSON_DEPTH, no duplicate keys.  0 or -1 with the reason.
 */
int	 ctrl_api_parse_body(const uint8_t *, size_t, json_t **, char *,
	    size_t);

/*
 * zt-ctl's JSON requests ({"cmd": ...}: api, token-create, token-list,
 * token-revoke, history, export, import) from local user who.  Returns
 * the reply object (never NULL unless out of memory).
 */
json_t	*ctrl_api_ctl(struct ctrl_api *, json_t *req, const char *who);
