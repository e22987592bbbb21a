#pragma once
/*
 * The controller's storage interface.  The embedded backend is SQLite
 * (store_sqlite.c); a second one (PostgreSQL, for HA) implements the
 * same operations.  Every modifying operation is one transaction that
 * also appends its change-history row (who, what, before, after), so an
 * acknowledged change and its audit record are durable together.
 *
 * Operations return enum ctrl_store_rc: CTRL_STORE_OK, CTRL_STORE_NONE
 * (no such object) or CTRL_STORE_ERR (logged).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum ctrl_store_rc {
	CTRL_STORE_ERR = -1,
	CTRL_STORE_OK = 0,
	CTRL_STORE_NONE = 1,
};

/* schema version this build writes; older versions are migrated */
#define CTRL_STORE_SCHEMA	2

enum ctrl_scope {
	CTRL_SCOPE_READ = 1,	/* GET routes only */
	CTRL_SCOPE_ADMIN = 2,	/* everything */
};

struct ctrl_token {
	char		 name[64];
	enum ctrl_scope	 scope;
	uint8_t		 hash[64];	/* SHA-512 of the secret */
	int64_t		 created;
};

struct ctrl_store;

/* a visitor; a non-zero return stops the walk */
typedef int	 ctrl_store_visit_fn(json_t *, void *);
/* the same over a member's index fields: id (as stored), revision */
typedef int	 ctrl_store_index_fn(const char *, int64_t, bool authorized,
		    void *);

struct ctrl_store_ops {
	void	(*close)(struct ctrl_store *);
	int	(*network_get)(struct ctrl_store *, uint64_t, json_t **);
	/* ids in ascending order, a heap array */
	int	(*network_ids)(struct ctrl_store *, uint64_t **, size_t *);
	/*
	 * Saves obj if it differs from the stored record in any key but
	 * "revision" (then revision = stored + 1, written into obj);
	 * *changed says whether it did.  who/what go to the history.
	 */
	int	(*network_save)(struct ctrl_store *, uint64_t, json_t *obj,
		    const char *who, const char *what, bool *changed);
	/* removes the network and its members; *old is the network */
	int	(*network_delete)(struct ctrl_store *, uint64_t,
		    const char *who, json_t **old);
	int	(*member_get)(struct ctrl_store *, uint64_t, uint64_t,
		    json_t **);
	/* members of one network in address order */
	int	(*member_walk)(struct ctrl_store *, uint64_t,
		    ctrl_store_visit_fn *, void *);
	/* as member_walk, without building the objects (lists, counts) */
	int	(*member_index)(struct ctrl_store *, uint64_t,
		    ctrl_store_index_fn *, void *);
	int	(*member_save)(struct ctrl_store *, uint64_t, uint64_t,
		    json_t *obj, const char *who, const char *what,
		    bool *changed);
	int	(*member_delete)(struct ctrl_store *, uint64_t, uint64_t,
		    const char *who, json_t **old);
	/*
	 * Stores a network and its members exactly as given (revisions
	 * kept), replacing what was there, in one transaction: the import
	 * of a ZeroTier controller.d tree.
	 */
	int	(*import)(struct ctrl_store *, uint64_t, json_t *network,
		    json_t *members, const char *who);
	/*
	 * History rows, newest first, as {seq, time, who, what, nwid,
	 * member, before, after}; nwid 0 means every network.
	 */
	int	(*history_walk)(struct ctrl_store *, uint64_t nwid,
		    size_t limit, ctrl_store_visit_fn *, void *);
	int	(*token_put)(struct ctrl_store *, const struct ctrl_token *,
		    const char *who);
	int	(*token_delete)(struct ctrl_store *, const char *name,
		    const char *who);
	/* every token; heap array */
	int	(*token_list)(struct ctrl_store *, struct ctrl_token **,
		    size_t *);
	/*
	 * Group commit.  After batch_begin, every modifying operation is
	 * applied (and, when it fails, undone) on its own but nothing is
	 * durable until batch_commit syncs them all at once; a change may
	 * be acknowledged only after batch_commit returned CTRL_STORE_OK.
	 * A failed commit undoes the whole batch.  Operations outside a
	 * batch are each their own synced transaction.
	 */
	int	(*batch_begin)(struct ctrl_store *);
	int	(*batch_commit)(struct ctrl_store *);
};

/*
 * ZeroTier One's controller metrics (controller_network_change_count,
 * controller_member_change_count, controller_member_auth_count,
 * controller_member_deauth_count), counted by the backend as each
 * change's history row is written (ctrl_obj_count_change).
 */
struct ctrl_store_counts {
	uint64_t	 network_changes;
	uint64_t	 member_changes;
	uint64_t	 member_auths;		/* authorized: not -> true */
	uint64_t	 member_deauths;	/* true -> not, or deleted */
};

struct ctrl_store {
	const struct ctrl_store_ops	*ops;
	/* the time history rows carry (ms); tests fix it */
	int64_t				(*now)(void);
	/*
	 * Bumped by every modifying operation (also one that is undone
	 * later): what a reader derived from the store holds while it is
	 * unchanged.
	 */
	uint64_t			 generation;
	struct ctrl_store_counts	 counts;
};

/*
 * Opens (creating if missing) the SQLite database at path: WAL mode,
 * synchronous=FULL, schema migrated to CTRL_STORE_SCHEMA, integrity
 * checked.  vfs is NULL for the default.  A corrupt, unreadable or newer
 * database fails with the reason in err; it is never treated as empty.
 */
struct ctrl_store	*ctrl_store_sqlite_open(const char *path,
			    const char *vfs, char *err, size_t errlen);
/* tests: the PRAGMA values the connection runs with */
int	 ctrl_store_sqlite_pragmas(struct ctrl_store *, char *journal,
	    size_t, int *synchronous, int *schema);

static inline void
ctrl_store_close(struct ctrl_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}
