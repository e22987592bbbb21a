/*
 * zt-ctl import-zerotier <ZeroTier home> [state dir]: takes over a
 * ZeroTier One node so that the server keeps its ZeroTier address
 * (issue 4 item 1).  Each file is checked before it is written: the
 * identity must be a valid secret identity, the planet and moons worlds
 * signed by their own keys, local.conf a JSON object, network files
 * named by 16 hex digits.  Files keep ZeroTier's names:
 *
 *   identity.secret/.public, planet, moons.d/<id>.moon, local.conf
 *					-> <state>/vl1d/ (owner zt-vl1)
 *   networks.d/<nwid>.conf, <nwid>.local.conf
 *					-> <state>/vl2d/networks.d/ (zt-vl2)
 *
 * An existing different identity in the state dir is never replaced.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ctl.h"
#include "file.h"
#include "world.h"

#define IMPORT_FILE_MAX		(1024 * 1024)
#define IMPORT_IDENTITY_MAX	1024

/* dir/name into out (PATH_MAX); a path too long is an error */
static int
import_path(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX)
		return ctl_error("%s/%s: path too long", dir, name) ? -1 : -1;
	return 0;
}

struct import_owner {
	uid_t	 uid;
	gid_t	 gid;
	bool	 set;		/* chown only as root */
};

static int
import_owner(const char *user, struct import_owner *o)
{
	struct passwd *pw;

	o->set = geteuid() == 0;
	if (!o->set)
		return 0;
	if ((pw = getpwnam(user)) == NULL)
		return ctl_error("user %s does not exist (systemd-sysusers "
		    "makes it)", user) ? -1 : -1;
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	return 0;
}

static int
import_chown(const char *path, const struct import_owner *o)
{
	if (o->set && chown(path, o->uid, o->gid) == -1)
		return ctl_error("chown %s: %s", path, strerror(errno)) ?
		    -1 : -1;
	return 0;
}

static int
import_mkdir(const char *path, mode_t mode, const struct import_owner *o)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST)
		return ctl_error("mkdir %s: %s", path, strerror(errno)) ?
		    -1 : -1;
	if (chmod(path, mode) == -1)
		return ctl_error("chmod %s: %s", path, strerror(errno)) ?
		    -1 : -1;
	return import_chown(path, o);
}

static int
import_write(const char *path, const void *d, size_t len, mode_t mode,
    const struct import_owner *o)
{
	if (file_write_atomic(path, d, len, mode) == -1)
		return ctl_error("%s: %s", path, strerror(errno)) ? -1 : -1;
	printf("%s written\n", path);
	return import_chown(path, o);
}

/* reads src/name; 0, 1 when it does not exist, -1 on error */
static int
import_read(const char *src, const char *name, char **buf, size_t *len)
{
	char path[PATH_MAX];

	if (import_path(path, src, name) == -1)
		return -1;
	if (file_read(path, IMPORT_FILE_MAX, buf, len) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	return ctl_error("%s: %s", path, strerror(errno)) ? -1 : -1;
}

static int
import_identity(const char *src, const char *dst,
    const struct import_owner *o)
{
	char path[PATH_MAX], pub[IDENTITY_STRING_MAX], *buf = NULL, *old;
	struct identity id, cur;
	size_t len, oldlen;
	int rc = -1;

	memset(&id, 0, sizeof(id));
	memset(&cur, 0, sizeof(cur));
	if (import_read(src, "identity.secret", &buf, &len) != 0) {
		ctl_error("%s/identity.secret: missing or unreadable", src);
		goto fail;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (identity_from_string(&id, buf) == -1 ||
	    !identity_has_private(&id) || !identity_locally_valid(&id)) {
		ctl_error("%s/identity.secret: not a valid secret identity",
		    src);
		goto fail;
	}
	/* a node that already has another address keeps it */
	if (import_path(path, dst, "identity.secret") == -1)
		goto fail;
	if (file_read(path, IMPORT_IDENTITY_MAX, &old, &oldlen) == 0) {
		rc = identity_from_string(&cur, old);
		OPENSSL_cleanse(old, oldlen);
		free(old);
		if (rc == -1 || !identity_equal_public(&cur, &id)) {
			rc = -1;
			ctl_error("%s holds another identity: not replaced",
			    path);
			goto fail;
		}
		rc = -1;
	}
	if (import_write(path, buf, len, 0600, o) == -1)
		goto fail;
	if (import_path(path, dst, "identity.public") == -1)
		goto fail;
	identity_to_string(&id, false, pub, sizeof(pub));
	if (import_write(path, pub, strlen(pub), 0644, o) == -1)
		goto fail;
	rc = 0;
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	identity_clear(&id);
	identity_clear(&cur);
	return rc;
}

static int
import_world(const char *src, const char *name, uint8_t type,
    const char *dst, const struct import_owner *o)
{
	char path[PATH_MAX], *buf;
	struct world w;
	struct rbuf r;
	size_t len;
	int rc;

	if ((rc = import_read(src, name, &buf, &len)) != 0)
		return rc == 1 ? 0 : -1;
	rbuf_init(&r, buf, len);
	if (world_deserialize(&w, &r) == -1 || !rbuf_done(&r) ||
	    w.type != type || world_verify_self(&w) != 0) {
		free(buf);
		return ctl_error("%s/%s: not a valid signed %s", src, name,
		    type == WORLD_TYPE_PLANET ? "planet" : "moon") ? -1 : -1;
	}
	if (import_path(path, dst, name) == -1)
		rc = -1;
	else
		rc = import_write(path, buf, len, 0644, o);
	free(buf);
	return rc;
}

static bool
import_hex_name(const char *name, size_t digits, const char *suffix)
{
	size_t i;

	for (i = 0; i < digits; i++)
		if (strchr("0123456789abcdef", name[i]) == NULL ||
		    name[i] == '\0')
			return false;
	return strcmp(name + digits, suffix) == 0;
}

static int
import_moons(const char *src, const char *dst,
    const struct import_owner *o)
{
	char path[PATH_MAX], name[64];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (import_path(path, src, "moons.d") == -1)
		return -1;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : (ctl_error("%s: %s", path,
		    strerror(errno)) ? -1 : -1);
	if (import_path(path, dst, "moons.d") == -1 ||
	    import_mkdir(path, 0755, o) == -1) {
		closedir(d);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!import_hex_name(de->d_name, 16, ".moon"))
			continue;
		/* the name was checked: 16 digits and a suffix */
		snprintf(name, sizeof(name), "moons.d/%.32s", de->d_name);
		rc = import_world(src, name, WORLD_TYPE_MOON, dst, o);
	}
	closedir(d);
	return rc;
}

static int
import_localconf(const char *src, const char *dst,
    const struct import_owner *o)
{
	char path[PATH_MAX], *buf;
	json_error_t je;
	json_t *j;
	size_t len;
	int rc;

	if ((rc = import_read(src, "local.conf", &buf, &len)) != 0)
		return rc == 1 ? 0 : -1;
	/* zt-vl1d checks each key at start-up; ZeroTier wants an object */
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		free(buf);
		return ctl_error("%s/local.conf: not a JSON object", src) ?
		    -1 : -1;
	}
	json_decref(j);
	if (import_path(path, dst, "local.conf") == -1)
		rc = -1;
	else
		rc = import_write(path, buf, len, 0644, o);
	free(buf);
	return rc;
}

/* networks.d/<nwid>.conf and <nwid>.local.conf, for zt-vl2d */
static int
import_networks(const char *src, const char *state,
    const struct import_owner *o)
{
	char path[PATH_MAX], dir[PATH_MAX], name[64], *buf;
	struct dirent *de;
	size_t len;
	DIR *d;
	int rc = 0, n = 0;

	if (import_path(path, src, "networks.d") == -1)
		return -1;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : (ctl_error("%s: %s", path,
		    strerror(errno)) ? -1 : -1);
	if (import_path(path, state, "vl2d") == -1 ||
	    import_mkdir(path, 0700, o) == -1 ||
	    import_path(dir, state, "vl2d/networks.d") == -1 ||
	    import_mkdir(dir, 0700, o) == -1)
		goto fail;
	while ((de = readdir(d)) != NULL) {
		if (!import_hex_name(de->d_name, 16, ".conf") &&
		    !import_hex_name(de->d_name, 16, ".local.conf"))
			continue;
		snprintf(name, sizeof(name), "networks.d/%.32s", de->d_name);
		if (import_read(src, name, &buf, &len) != 0)
			goto fail;
		rc = -1;
		if (import_path(path, dir, de->d_name) == 0)
			rc = import_write(path, buf, len, 0600, o);
		free(buf);
		if (rc == -1)
			goto fail;
		n++;
	}
	closedir(d);
	printf("%d network files for zt-vl2d\n", n);
	return 0;
fail:
	closedir(d);
	return -1;
}

int
ctl_import_zerotier(const struct ctl_opts *opts, int argc, char **argv)
{
	struct import_owner vl1, vl2;
	const char *src, *state = ZT_STATEDIR;
	char dst[PATH_MAX];
	struct stat st;

	if (argc < 1 || argc > 2)
		return ctl_usage("import-zerotier takes a ZeroTier home and "
		    "optionally the state directory");
	src = argv[0];
	if (argc == 2)
		state = argv[1];
	if (stat(src, &st) == -1 || !S_ISDIR(st.st_mode))
		return ctl_error("%s: not a directory", src);
	if (import_owner("zt-vl1", &vl1) == -1 ||
	    import_owner("zt-vl2", &vl2) == -1)
		return 1;
	if (import_path(dst, state, "vl1d") == -1)
		return 1;
	if (mkdir(state, 0755) == -1 && errno != EEXIST)
		return ctl_error("mkdir %s: %s", state, strerror(errno));
	if (import_mkdir(dst, 0700, &vl1) == -1 ||
	    import_identity(src, dst, &vl1) == -1 ||
	    import_world(src, "planet", WORLD_TYPE_PLANET, dst, &vl1) == -1 ||
	    import_moons(src, dst, &vl1) == -1 ||
	    import_localconf(src, dst, &vl1) == -1 ||
	    import_networks(src, state, &vl2) == -1)
		return 1;
	return 0;
}
