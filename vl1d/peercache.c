/*
 * The on-disk identity cache, <home>/peers.d/<address>.peer (the name
 * ZeroTier One uses; the content here is the public identity string, a
 * local format).  The engine asks it before sending a WHOIS to the roots
 * (spec/vl1.md §5.9), so a restarted node finds its peers without
 * asking.  It holds at most VL1D_PEER_CACHE_MAX files; the oldest is
 * removed to make room.  Files are read back as untrusted: capped,
 * parsed, and checked by the engine like a WHOIS answer.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "hex.h"
#include "log.h"
#include "vl1d.h"

static void
vl1d_peer_path(struct vl1d_ctx *ctx, uint64_t a, char path[PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/peers.d/%010llx.peer", ctx->cfg.home,
	    (unsigned long long)a);
}

static int
vl1d_peer_cache_find(const struct vl1d_peer_cache *pc, uint64_t a)
{
	size_t i;

	for (i = 0; i < pc->n; i++)
		if (pc->addr[i] == a)
			return (int)i;
	return -1;
}

/* remembers a; evicts the oldest entry (and its file) when full */
static void
vl1d_peer_cache_note(struct vl1d_ctx *ctx, uint64_t a, int64_t when)
{
	struct vl1d_peer_cache *pc = &ctx->peer_cache;
	char path[PATH_MAX];
	size_t i, old = 0;

	if (pc->n == VL1D_PEER_CACHE_MAX) {
		for (i = 1; i < pc->n; i++)
			if (pc->when[i] < pc->when[old])
				old = i;
		vl1d_peer_path(ctx, pc->addr[old], path);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("%s", path);
		pc->addr[old] = pc->addr[--pc->n];
		pc->when[old] = pc->when[pc->n];
	}
	pc->addr[pc->n] = a;
	pc->when[pc->n++] = when;
}

int
vl1d_peer_cache_open(struct vl1d_ctx *ctx)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	uint64_t a;
	DIR *d;

	snprintf(path, sizeof(path), "%s/peers.d", ctx->cfg.home);
	if ((d = opendir(path)) == NULL) {
		/* owned like home: the sandboxed daemon writes in it */
		if (errno != ENOENT || mkdir(path, 0700) == -1 ||
		    stat(ctx->cfg.home, &st) == -1 ||
		    chown(path, st.st_uid, st.st_gid) == -1) {
			log_warn("%s", path);
			return -1;
		}
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 15 ||
		    strcmp(de->d_name + 10, ".peer") != 0 ||
		    hex_parse_u64(de->d_name, 10, &a) == -1 ||
		    vl1d_peer_cache_find(&ctx->peer_cache, a) != -1)
			continue;
		snprintf(path, sizeof(path), "%s/peers.d/%s", ctx->cfg.home,
		    de->d_name);
		if (stat(path, &st) == -1)
			continue;
		vl1d_peer_cache_note(ctx, a, (int64_t)st.st_mtime * 1000);
	}
	closedir(d);
	log_debug("%zu cached identities", ctx->peer_cache.n);
	return 0;
}

void
vl1d_peer_cache_store(void *arg, const struct identity *id)
{
	struct vl1d_ctx *ctx = arg;
	char path[PATH_MAX], text[IDENTITY_STRING_MAX];

	if (vl1d_peer_cache_find(&ctx->peer_cache, id->address) != -1 ||
	    identity_to_string(id, false, text, sizeof(text)) == -1)
		return;
	vl1d_peer_path(ctx, id->address, path);
	if (file_write_atomic(path, text, strlen(text), 0600) == -1) {
		log_warn("%s", path);
		return;
	}
	vl1d_peer_cache_note(ctx, id->address, vl1d_now(ctx));
}

int
vl1d_peer_cache_lookup(void *arg, uint64_t a, struct identity *id)
{
	struct vl1d_ctx *ctx = arg;
	char path[PATH_MAX], *text;
	size_t len;
	int rc;

	if (vl1d_peer_cache_find(&ctx->peer_cache, a) == -1)
		return -1;
	vl1d_peer_path(ctx, a, path);
	if (file_read(path, IDENTITY_STRING_MAX, &text, &len) == -1)
		return -1;
	rc = identity_from_string(id, text);
	free(text);
	if (rc == -1 || identity_has_private(id) || id->address != a) {
		log_warnx("%s: not a public identity of %010llx", path,
		    (unsigned long long)a);
		return -1;
	}
	return 0;
}
