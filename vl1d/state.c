/*
 * zt-vl1d's state directory, read at start-up before the sandbox:
 * identity.secret (made on first start, as ZeroTier One does), planet
 * (overrides the built-in one) and moons.d/<id>.moon.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "file.h"
#include "log.h"
#include "vl1d.h"

#define STATE_IDENTITY_MAX	1024

int
vl1d_load_identity(const char *home, struct identity *id)
{
	char path[PATH_MAX], text[IDENTITY_STRING_MAX], *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/identity.secret", home);
	if (file_read(path, STATE_IDENTITY_MAX, &buf, &len) == 0) {
		rc = identity_from_string(id, buf);
		OPENSSL_cleanse(buf, len);
		free(buf);
		if (rc == -1 || !identity_has_private(id) ||
		    !identity_locally_valid(id)) {
			log_warnx("%s: not a valid secret identity", path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		log_warn("%s", path);
		return -1;
	}
	log_info("no identity yet: generating one");
	if (identity_generate(id) == -1 ||
	    identity_to_string(id, true, text, sizeof(text)) == -1)
		return -1;
	rc = file_write_atomic(path, text, strlen(text), 0600);
	OPENSSL_cleanse(text, sizeof(text));
	if (rc == -1) {
		log_warn("%s", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/identity.public", home);
	if (identity_to_string(id, false, text, sizeof(text)) == -1 ||
	    file_write_atomic(path, text, strlen(text), 0644) == -1) {
		log_warn("%s", path);
		return -1;
	}
	log_info("new identity %s", text);
	return 0;
}

static int
vl1d_read_world(const char *path, struct world *w)
{
	struct rbuf r;
	char *buf;
	size_t len;

	if (file_read(path, WORLD_MAX_SERIALIZED, &buf, &len) == -1)
		return -1;
	rbuf_init(&r, buf, len);
	if (world_deserialize(w, &r) == -1 || !rbuf_done(&r) ||
	    world_verify_self(w) != 0) {
		free(buf);
		errno = EINVAL;
		return -1;
	}
	free(buf);
	return 0;
}

int
vl1d_load_worlds(struct vl1d_ctx *ctx)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/planet", ctx->cfg.home);
	if (vl1d_read_world(path, &ctx->planet) == 0) {
		if (ctx->planet.type != WORLD_TYPE_PLANET) {
			log_warnx("%s: not a planet", path);
			return -1;
		}
		ctx->have_planet = true;
		log_info("planet %llu from %s",
		    (unsigned long long)ctx->planet.id, path);
	} else if (errno != ENOENT) {
		/* a broken planet file must not silently become Earth */
		log_warn("%s", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/moons.d", ctx->cfg.home);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL && ctx->nmoons < VL1_MAX_MOONS) {
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 5, ".moon") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/moons.d/%s", ctx->cfg.home,
		    de->d_name);
		if (vl1d_read_world(path, &ctx->moons[ctx->nmoons]) == -1 ||
		    ctx->moons[ctx->nmoons].type != WORLD_TYPE_MOON) {
			log_warnx("%s: not a valid moon, ignored", path);
			continue;
		}
		ctx->nmoons++;
	}
	closedir(d);
	return 0;
}
