/*
 * zt-vl1d's state directory, read at start-up before the sandbox:
 * identity.secret (made on first start, as ZeroTier One does), planet
 * (overrides the built-in one), moons.d/<id>.moon and local.conf.
 *
 * The sandboxed network half writes only in subdirectories of home,
 * never in home itself (it holds identity.secret): planet updates go to
 * world/planet, moons to moons.d, peers to peers.d.  A planet an
 * operator puts in home (ZeroTier One's place for it, where earlier
 * versions saved updates too) is moved to world/planet at start-up.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <net/if.h>
#include <netinet/in.h>

#include <dirent.h>
#include <ifaddrs.h>
#include <unistd.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "file.h"
#include "hex.h"
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

int
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

/* moons.d/<16 hex id>.seed holds the seed's address, 10 hex digits */
static void
vl1d_read_seed(struct vl1d_ctx *ctx, const char *name)
{
	char path[PATH_MAX], *text;
	struct vl1_wanted_moon m;
	size_t len;

	snprintf(path, sizeof(path), "%s/moons.d/%s", ctx->cfg.home, name);
	if (ctx->nseeds == VL1_MAX_MOONS ||
	    hex_parse_u64(name, 16, &m.id) == -1 || m.id == 0 ||
	    file_read(path, 64, &text, &len) == -1) {
		log_warnx("%s: not usable, ignored", path);
		return;
	}
	if (len != 10 || hex_parse_u64(text, 10, &m.seed) == -1 ||
	    m.seed == 0 || zt_address_reserved(m.seed))
		log_warnx("%s: not a 10-digit seed address, ignored", path);
	else
		ctx->seeds[ctx->nseeds++] = m;
	free(text);
}

void
vl1d_save_seed(struct vl1d_ctx *ctx, uint64_t id, uint64_t seed)
{
	char path[PATH_MAX], text[11];

	snprintf(path, sizeof(path), "%s/moons.d/%016llx.seed", ctx->cfg.home,
	    (unsigned long long)id);
	snprintf(text, sizeof(text), "%010llx", (unsigned long long)seed);
	if (file_write_atomic(path, text, 10, 0644) == -1)
		log_warn("%s: the orbit will not survive a restart", path);
}

void
vl1d_drop_seed(struct vl1d_ctx *ctx, uint64_t id)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/moons.d/%016llx.seed", ctx->cfg.home,
	    (unsigned long long)id);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s", path);
}

/*
 * <home>/<name>, made if missing.  Made now, since the sandbox cannot
 * make it when the first file for it arrives, and owned like home: the
 * daemon writes in it as its own user.  1 when made, 0 when it was
 * there, -1 (logged).
 */
static int
vl1d_state_subdir(struct vl1d_ctx *ctx, const char *name, mode_t mode)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", ctx->cfg.home, name) >=
	    (int)sizeof(path)) {
		log_warnx("%s/%s: path too long", ctx->cfg.home, name);
		return -1;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		log_warnx("%s: not a directory", path);
		return -1;
	}
	if (errno != ENOENT || mkdir(path, mode) == -1 ||
	    stat(ctx->cfg.home, &st) == -1 ||
	    chown(path, st.st_uid, st.st_gid) == -1) {
		log_warn("%s", path);
		return -1;
	}
	return 1;
}

/*
 * A planet in home itself: checked, then moved into world/ (over an
 * update saved there: the operator's file wins, as a replaced planet
 * file does in ZeroTier One).  Runs before the sandbox, which grants no
 * write in home.
 */
static int
vl1d_migrate_planet(struct vl1d_ctx *ctx)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct world w;

	snprintf(from, sizeof(from), "%s/planet", ctx->cfg.home);
	snprintf(to, sizeof(to), "%s/" VL1D_WORLD_DIR "/planet",
	    ctx->cfg.home);
	if (vl1d_read_world(from, &w) == -1) {
		if (errno == ENOENT)
			return 0;
		/* a broken planet file must not silently become Earth */
		log_warn("%s", from);
		return -1;
	}
	if (w.type != WORLD_TYPE_PLANET) {
		log_warnx("%s: not a planet", from);
		return -1;
	}
	if (rename(from, to) == -1) {
		log_warn("cannot move %s to %s", from, to);
		return -1;
	}
	log_info("planet %llu moved from %s to %s",
	    (unsigned long long)w.id, from, to);
	return 0;
}

int
vl1d_load_worlds(struct vl1d_ctx *ctx)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (vl1d_state_subdir(ctx, VL1D_WORLD_DIR, 0755) == -1 ||
	    vl1d_migrate_planet(ctx) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/" VL1D_WORLD_DIR "/planet",
	    ctx->cfg.home);
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
	switch (vl1d_state_subdir(ctx, "moons.d", 0755)) {
	case -1:
		return -1;
	case 1:
		return 0;	/* new: nothing to read */
	}
	snprintf(path, sizeof(path), "%s/moons.d", ctx->cfg.home);
	if ((d = opendir(path)) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	while ((de = readdir(d)) != NULL && ctx->nmoons < VL1_MAX_MOONS) {
		size_t n = strlen(de->d_name);

		if (n == 21 && strcmp(de->d_name + 16, ".seed") == 0) {
			vl1d_read_seed(ctx, de->d_name);
			continue;
		}
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

static void
vl1d_add_bind(struct vl1d_ctx *ctx, const struct inetaddr *a)
{
	char buf[INETADDR_STRLEN];

	if (ctx->cfg.nbinds == VL1D_MAX_SOCKS) {
		log_warnx("more than %d sockets: %s not bound", VL1D_MAX_SOCKS,
		    inetaddr_fmt(a, buf));
		return;
	}
	ctx->cfg.binds[ctx->cfg.nbinds++] = *a;
}

/*
 * A wildcard socket cannot leave an interface or a network out, so with
 * a blacklist every usable address of every other interface is bound.
 */
static void
vl1d_binds_from_interfaces(struct vl1d_ctx *ctx)
{
	struct ifaddrs *ifa, *i;
	struct inetaddr a;
	enum inetaddr_scope sc;
	socklen_t sl;

	if (getifaddrs(&ifa) == -1)
		fatal("getifaddrs");
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			sl = sizeof(struct sockaddr_in);
		else if (i->ifa_addr->sa_family == AF_INET6)
			sl = sizeof(struct sockaddr_in6);
		else
			continue;
		if (localconf_if_blacklisted(&ctx->local, i->ifa_name) ||
		    inetaddr_from_sockaddr(&a, i->ifa_addr, sl) == -1)
			continue;
		sc = inetaddr_scope(&a);
		if (sc == INETADDR_SCOPE_NONE ||
		    sc == INETADDR_SCOPE_LOOPBACK ||
		    sc == INETADDR_SCOPE_LINK_LOCAL ||
		    sc == INETADDR_SCOPE_MULTICAST ||
		    localconf_blacklisted(&ctx->local, &a))
			continue;
		a.port = 0;
		vl1d_add_bind(ctx, &a);
	}
	freeifaddrs(ifa);
	if (ctx->cfg.nbinds == 0)
		fatalx("local.conf: settings.interfacePrefixBlacklist and "
		    "physical blacklists leave no address to bind");
}

static bool
vl1d_have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

/* ZeroTier binds a second port too, for NATs that treat ports unevenly */
static void
vl1d_add_secondary(struct vl1d_ctx *ctx, uint64_t address)
{
	static const uint8_t any[16];
	struct inetaddr a;
	unsigned int i, n;
	uint16_t sec;

	/* the first port 1.14.1 tries when none is configured */
	sec = ctx->local.secondary_port != 0 ? ctx->local.secondary_port :
	    (uint16_t)(20001 + address % 45500);
	if (sec == ctx->cfg.port)
		return;
	if (ctx->cfg.nbinds == 0) {
		inetaddr_set_v4(&a, any, 0);
		vl1d_add_bind(ctx, &a);
		if (vl1d_have_ipv6()) {
			inetaddr_set_v6(&a, any, 0);
			vl1d_add_bind(ctx, &a);
		}
	}
	n = ctx->cfg.nbinds;
	for (i = 0; i < n; i++) {
		if (ctx->cfg.binds[i].port == 0)
			ctx->cfg.binds[i].port = ctx->cfg.port;
		a = ctx->cfg.binds[i];
		a.port = sec;
		vl1d_add_bind(ctx, &a);
	}
	log_info("secondary port %u", sec);
}

/*
 * The legacy trustedpaths file (spec/service.md §2), still read by
 * 1.14.1 with a deprecation warning; an imported ZeroTier home may have
 * one.  Its networks join local.conf's physical list.
 */
static void
vl1d_load_trustedpaths(struct vl1d_ctx *ctx)
{
	char path[PATH_MAX], err[LOCALCONF_ERR_MAX], *text;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/trustedpaths", ctx->cfg.home);
	if (file_read(path, TRUSTEDPATHS_MAX_BYTES, &text, &len) == -1) {
		if (errno == ENOENT)
			return;
		fatal("%s", path);
	}
	rc = localconf_parse_trustedpaths(&ctx->local, text, len, err,
	    sizeof(err));
	free(text);
	if (rc == -1)
		fatalx("%s: %s", path, err);
	log_warnx("%s is deprecated: use physical.<network>.trustedPathId "
	    "in local.conf", path);
}

void
vl1d_apply_localconf(struct vl1d_ctx *ctx, uint64_t address)
{
	struct localconf *lc = &ctx->local;
	char path[PATH_MAX], err[LOCALCONF_ERR_MAX], buf[INETADDR_STRLEN];
	const struct localconf_physical *p;
	bool blacklist = false;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/local.conf", ctx->cfg.home);
	if (localconf_load(lc, path, err, sizeof(err)) == -1)
		fatalx("%s: %s", path, err);
	vl1d_load_trustedpaths(ctx);
	/* as in 1.14.1, local.conf's port wins over the default or -p */
	if (lc->primary_port != 0)
		ctx->cfg.port = lc->primary_port;
	for (i = 0; i < lc->nphysical; i++) {
		p = &lc->physical[i];
		blacklist |= p->blacklist;
		if (p->blacklist && ctx->nblacklist < VL1_MAX_BLACKLIST)
			ctx->blacklist[ctx->nblacklist++] = p->net;
		else if (p->blacklist)
			fatalx("%s: physical: more than %d blacklisted "
			    "networks", path, VL1_MAX_BLACKLIST);
		if (p->mtu != 0)
			log_info("physical network %s: UDP MTU %u",
			    inetaddr_fmt(&p->net, buf), p->mtu);
		if (p->trusted_id == 0)
			continue;
		if (ctx->ntrusted == VL1_MAX_TRUSTED)
			fatalx("%s: physical: more than %d trusted paths",
			    path, VL1_MAX_TRUSTED);
		ctx->trusted[ctx->ntrusted].net = p->net;
		ctx->trusted[ctx->ntrusted++].id = p->trusted_id;
		/* packets there are neither encrypted nor authenticated */
		log_warnx("trusted path %s (id %llu): traffic on it is NOT "
		    "encrypted", inetaddr_fmt(&p->net, buf),
		    (unsigned long long)p->trusted_id);
	}
	if (ctx->ntrusted == 0)
		log_info("no trusted paths: all traffic is encrypted");
	if (ctx->cfg.nbinds == 0) {
		for (i = 0; i < lc->nbinds; i++)
			vl1d_add_bind(ctx, &lc->binds[i]);
		if (ctx->cfg.nbinds == 0 && (lc->nifprefix > 0 || blacklist))
			vl1d_binds_from_interfaces(ctx);
	}
	if (lc->allow_secondary)
		vl1d_add_secondary(ctx, address);
}

int
vl1d_forget_moon(struct vl1d_ctx *ctx, uint64_t id)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/moons.d/%016llx.moon", ctx->cfg.home,
	    (unsigned long long)id);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("%s", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/moons.d/%016llx.seed", ctx->cfg.home,
	    (unsigned long long)id);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("%s", path);
		return -1;
	}
	return 0;
}
