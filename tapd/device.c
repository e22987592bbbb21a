/*
 * What zt-tapd does to its devices.  Every operation starts from the
 * record (state.c), never from the requester's word: a request names a
 * network and a device, both must be in the record, and the kernel must
 * still show that device as the same TAP (STYLE.md, chrony privops.c).
 * Addresses and routes pass ZeroTier's scope rules (spec/service.md §4)
 * under the network's settings, which only zt-ctl changes.
 */
#include <sys/types.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "log.h"
#include "tapd.h"

#define TAPD_NAME_TRIALS	64
#define TAPD_LIST_MAX		256
#define TAPD_MCAST_TEXT_MAX	(256 * 1024)

static struct log_drops refused_drops = LOG_DROPS_INIT("refused request");

static void
tapd_dev_forget(struct tapd_dev *d)
{
	free(d->mcast);
	memset(d, 0, sizeof(*d));
}

void
tapd_adopt(struct tapd_ctx *ctx)
{
	struct tapd_dev *d;
	struct nl_link l;
	bool changed = false;
	size_t i;

	for (i = 0; i < TAPD_MAX_DEVICES; i++) {
		d = &ctx->devs[i];
		if (!d->used)
			continue;
		if (nl_link_get(&ctx->nl, d->name, &l) == 0 && l.is_tap) {
			d->ifindex = l.ifindex;
			log_info("adopted %s (network %016llx, index %d)",
			    d->name, (unsigned long long)d->nwid, l.ifindex);
			continue;
		}
		/* gone, or replaced by something that is not ours */
		log_warnx("recorded device %s of network %016llx is %s; "
		    "forgotten", d->name, (unsigned long long)d->nwid,
		    errno == ENODEV ? "gone" : "not a TAP device");
		tapd_dev_forget(d);
		changed = true;
	}
	if (changed)
		tapd_state_save(ctx);
}

/* a name from the device map or the network id, not in use */
static int
tapd_pick_name(struct tapd_ctx *ctx, uint64_t nwid, char *name)
{
	struct nl_link l;
	unsigned int trial;

	if (tapd_devicemap_lookup(ctx, nwid, name) == 0) {
		if (nl_link_get(&ctx->nl, name, &l) == -1 && errno == ENODEV)
			return 0;
		log_warnx("devicemap name %s is in use", name);
	}
	for (trial = 0; trial < TAPD_NAME_TRIALS; trial++) {
		tapd_ifname_for(nwid, trial, name);
		if (nl_link_get(&ctx->nl, name, &l) == -1 && errno == ENODEV)
			return 0;
	}
	return -1;
}

static struct tapd_dev *
tapd_dev_new(struct tapd_ctx *ctx, uint64_t nwid, bool vnet_hdr, int *fd)
{
	struct tapd_dev *d = NULL;
	size_t i;

	for (i = 0; i < TAPD_MAX_DEVICES && d == NULL; i++)
		if (!ctx->devs[i].used)
			d = &ctx->devs[i];
	if (d == NULL) {
		errno = ENOSPC;
		return NULL;
	}
	if (tapd_pick_name(ctx, nwid, d->name) == -1) {
		errno = EEXIST;
		return NULL;
	}
	d->used = true;
	d->nwid = nwid;
	/* recorded first: a crash right after creation still adopts it */
	if (tapd_state_save(ctx) == -1 ||
	    (*fd = tap_attach(d->name, true, vnet_hdr)) == -1) {
		log_warn("cannot create %s", d->name);
		tapd_dev_forget(d);
		tapd_state_save(ctx);
		return NULL;
	}
	log_info("created %s for network %016llx", d->name,
	    (unsigned long long)nwid);
	return d;
}

int
tapd_dev_open(struct tapd_ctx *ctx, const struct tapd_open_req *r,
    struct tapd_dev **out, int *fd)
{
	struct tapd_dev *d;
	struct nl_link l;

	*fd = -1;
	if ((d = tapd_dev_find(ctx, r->nwid)) != NULL) {
		if (nl_link_get(&ctx->nl, d->name, &l) == -1 || !l.is_tap ||
		    l.ifindex != d->ifindex) {
			log_warnx("%s vanished or changed; making it anew",
			    d->name);
			tapd_dev_forget(d);
			d = NULL;
		} else if ((*fd = tap_attach(d->name, false,
		    (r->flags & TAPD_OPEN_VNET_HDR) != 0)) == -1) {
			return errno;
		}
	}
	if (d == NULL && (d = tapd_dev_new(ctx, r->nwid,
	    (r->flags & TAPD_OPEN_VNET_HDR) != 0, fd)) == NULL)
		return errno;
	if (nl_link_get(&ctx->nl, d->name, &l) == -1 || !l.is_tap ||
	    nl_link_set(&ctx->nl, l.ifindex, r->mac, r->mtu, -1) == -1) {
		log_warn("cannot set up %s", d->name);
		close(*fd);
		*fd = -1;
		return EIO;
	}
	d->ifindex = l.ifindex;
	*out = d;
	return 0;
}

int
tapd_dev_check(struct tapd_ctx *ctx, const struct tapd_dev_ref *ref,
    struct tapd_dev **out)
{
	struct tapd_dev *d = tapd_dev_find(ctx, ref->nwid);
	struct nl_link l;

	if (d == NULL || strcmp(d->name, ref->ifname) != 0) {
		ctx->refused++;
		log_drop(&refused_drops, "request about %s (network %016llx) "
		    "refused: not a device of zt-tapd's", ref->ifname,
		    (unsigned long long)ref->nwid);
		return EPERM;
	}
	if (nl_link_get(&ctx->nl, d->name, &l) == -1 || !l.is_tap ||
	    l.ifindex != d->ifindex) {
		ctx->refused++;
		log_drop(&refused_drops, "%s is no longer the TAP device "
		    "zt-tapd made", d->name);
		return ENODEV;
	}
	*out = d;
	return 0;
}

int
tapd_dev_link(struct tapd_ctx *ctx, struct tapd_dev *d,
    const struct tapd_link_req *r)
{
	if (nl_link_set(&ctx->nl, d->ifindex, 0, r->mtu, r->up) == -1) {
		log_warn("%s: link", d->name);
		return errno;
	}
	return 0;
}

static void
tapd_refuse(struct tapd_ctx *ctx, struct tapd_dev *d,
    const struct inetaddr *a, enum tapd_verdict v, unsigned int *refused,
    char *why, size_t whylen)
{
	char s[INETADDR_STRLEN];

	ctx->refused++;
	log_drop(&refused_drops, "%s: %s refused: %s", d->name,
	    inetaddr_fmt(a, s), tapd_verdict_str(v));
	if ((*refused)++ == 0)
		snprintf(why, whylen, "%s: %s", s, tapd_verdict_str(v));
}

static bool
tapd_addr_in(const struct inetaddr *a, const struct inetaddr *set,
    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (inetaddr_equal(a, &set[i]))
			return true;
	return false;
}

int
tapd_dev_addrs(struct tapd_ctx *ctx, struct tapd_dev *d,
    unsigned int *refused, char *why, size_t whylen)
{
	const struct tapd_settings *s = tapd_settings_of(ctx, d->nwid);
	struct inetaddr want[TAPD_LIST_MAX];
	struct nl_addr cur[TAPD_LIST_MAX];
	char a[INETADDR_STRLEN];
	unsigned int nwant = 0, i;
	enum tapd_verdict v;
	size_t ncur, j;
	int err = 0;

	*refused = 0;
	if (nl_addr_list(&ctx->nl, d->ifindex, cur, TAPD_LIST_MAX, &ncur) ==
	    -1)
		return errno;
	for (i = 0; d->have_addrs && i < d->addrs.n; i++) {
		v = tapd_scope_check(s, &d->addrs.addrs[i]);
		if (v == TAPD_ALLOWED)
			want[nwant++] = d->addrs.addrs[i];
		else
			tapd_refuse(ctx, d, &d->addrs.addrs[i], v, refused,
			    why, whylen);
	}
	/* no request since a restart: keep what the rules still allow */
	for (j = 0; !d->have_addrs && j < ncur; j++)
		if (cur[j].scope != RT_SCOPE_LINK && tapd_scope_check(s,
		    &cur[j].addr) == TAPD_ALLOWED && nwant < TAPD_LIST_MAX)
			want[nwant++] = cur[j].addr;
	/* the kernel's own link-local addresses are not managed ones */
	for (j = 0; j < ncur; j++) {
		if (cur[j].scope == RT_SCOPE_LINK ||
		    tapd_addr_in(&cur[j].addr, want, nwant))
			continue;
		if (nl_addr_change(&ctx->nl, false, d->ifindex,
		    &cur[j].addr) == -1) {
			log_warn("%s: remove %s", d->name,
			    inetaddr_fmt(&cur[j].addr, a));
			err = errno;
		}
	}
	for (i = 0; i < nwant; i++)
		if (nl_addr_change(&ctx->nl, true, d->ifindex, &want[i]) ==
		    -1) {
			log_warn("%s: add %s", d->name,
			    inetaddr_fmt(&want[i], a));
			err = errno;
		}
	return err;
}

/* common leading bits of two addresses of one family */
static unsigned int
tapd_common_bits(const struct inetaddr *a, const struct inetaddr *b)
{
	size_t n = a->family == INETADDR_V4 ? 4 : 16, i;
	unsigned int bits = 0;
	uint8_t x;

	for (i = 0; i < n; i++) {
		x = a->ip[i] ^ b->ip[i];
		if (x == 0) {
			bits += 8;
			continue;
		}
		while ((x & 0x80) == 0) {
			bits++;
			x <<= 1;
		}
		break;
	}
	return bits;
}

struct tapd_install {
	struct inetaddr	 target, via, src;
};

/*
 * One pushed route as ZeroTier One installs it: not when its gateway is
 * one of our own addresses, not without a source address of its family
 * on the device, not when the kernel already has it as the subnet of a
 * managed address; a default route as two halves.
 */
static unsigned int
tapd_route_plan(const struct tapd_route *rt, const struct nl_addr *cur,
    size_t ncur, struct tapd_install *out)
{
	const struct inetaddr *src = NULL;
	struct inetaddr net, sub;
	unsigned int best = 0, b;
	size_t j;

	for (j = 0; j < ncur; j++) {
		if (cur[j].addr.family != rt->target.family)
			continue;
		if (!inetaddr_is_nil(&rt->via) &&
		    inetaddr_ip_equal(&rt->via, &cur[j].addr))
			return 0;
		b = tapd_common_bits(&cur[j].addr, &rt->target);
		if (src == NULL || b > best) {
			src = &cur[j].addr;
			best = b;
		}
	}
	if (src == NULL)
		return 0;
	inetaddr_network(&rt->target, &net);
	for (j = 0; j < ncur; j++) {
		if (cur[j].addr.family != net.family)
			continue;
		inetaddr_network(&cur[j].addr, &sub);
		if (inetaddr_equal(&sub, &net) && inetaddr_is_nil(&rt->via))
			return 0;
	}
	out[0].target = net;
	out[0].via = rt->via;
	out[0].src = *src;
	out[0].src.port = 0;
	if (!inetaddr_is_default_route(&net))
		return 1;
	out[1] = out[0];
	out[0].target.port = 1;
	out[1].target.port = 1;
	out[1].target.ip[0] = 0x80;
	return 2;
}

static bool
tapd_route_in(const struct nl_route *r, const struct tapd_install *set,
    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!inetaddr_equal(&r->target, &set[i].target))
			continue;
		if (inetaddr_is_nil(&r->via) && inetaddr_is_nil(&set[i].via))
			return true;
		if (inetaddr_ip_equal(&r->via, &set[i].via))
			return true;
	}
	return false;
}

int
tapd_dev_routes(struct tapd_ctx *ctx, struct tapd_dev *d,
    unsigned int *refused, char *why, size_t whylen)
{
	const struct tapd_settings *s = tapd_settings_of(ctx, d->nwid);
	struct tapd_install plan[TAPD_ROUTES_MAX * 2];
	struct nl_route cur[TAPD_LIST_MAX];
	struct nl_addr addrs[TAPD_LIST_MAX];
	const struct tapd_route *rt;
	unsigned int np = 0, i;
	char a[INETADDR_STRLEN];
	size_t naddrs, ncur, j;
	enum tapd_verdict v;
	int err = 0;

	*refused = 0;
	if (nl_addr_list(&ctx->nl, d->ifindex, addrs, TAPD_LIST_MAX,
	    &naddrs) == -1 || nl_route_list(&ctx->nl, d->ifindex, cur,
	    TAPD_LIST_MAX, &ncur) == -1)
		return errno;
	for (i = 0; d->have_routes && i < d->routes.n; i++) {
		rt = &d->routes.routes[i];
		if ((v = tapd_scope_check(s, &rt->target)) != TAPD_ALLOWED) {
			tapd_refuse(ctx, d, &rt->target, v, refused, why,
			    whylen);
			continue;
		}
		np += tapd_route_plan(rt, addrs, naddrs, plan + np);
	}
	for (j = 0; j < ncur; j++) {
		if (cur[j].proto != TAPD_RTPROT)
			continue;
		/* no request since a restart: keep what is still allowed */
		if (!d->have_routes && tapd_scope_check(s,
		    &cur[j].target) == TAPD_ALLOWED)
			continue;
		if (d->have_routes && tapd_route_in(&cur[j], plan, np))
			continue;
		if (nl_route_change(&ctx->nl, false, d->ifindex,
		    &cur[j].target, &cur[j].via, NULL) == -1) {
			log_warn("%s: remove route %s", d->name,
			    inetaddr_fmt(&cur[j].target, a));
			err = errno;
		}
	}
	for (i = 0; i < np; i++)
		if (nl_route_change(&ctx->nl, true, d->ifindex,
		    &plan[i].target, &plan[i].via, &plan[i].src) == -1) {
			log_warn("%s: add route %s", d->name,
			    inetaddr_fmt(&plan[i].target, a));
			err = errno;
		}
	return err;
}

int
tapd_dev_close(struct tapd_ctx *ctx, struct tapd_dev *d)
{
	struct tapd_net *n;
	int err = 0;

	if (nl_link_del(&ctx->nl, d->ifindex) == -1) {
		log_warn("cannot delete %s", d->name);
		err = errno;
	} else
		log_info("deleted %s (network %016llx left)", d->name,
		    (unsigned long long)d->nwid);
	/* as ZeroTier deletes <nwid>.local.conf when a network is left */
	if ((n = tapd_net_get(ctx, d->nwid)) != NULL)
		memset(n, 0, sizeof(*n));
	tapd_dev_forget(d);
	tapd_state_save(ctx);
	return err;
}

void
tapd_dev_close_all(struct tapd_ctx *ctx)
{
	struct tapd_dev *d;
	size_t i;

	for (i = 0; i < TAPD_MAX_DEVICES; i++) {
		d = &ctx->devs[i];
		if (!d->used)
			continue;
		if (nl_link_del(&ctx->nl, d->ifindex) == -1)
			log_warn("cannot delete %s", d->name);
		else
			log_info("deleted %s", d->name);
		tapd_dev_forget(d);
	}
	tapd_state_save(ctx);
}

/* one whitespace-separated field of a /proc line */
static int
tapd_field(struct rbuf *rb, char *out, size_t size)
{
	size_t n = 0;
	uint8_t c;

	while (rbuf_peek_u8(rb, &c) == 0 && c == ' ')
		rbuf_skip(rb, 1);
	while (rbuf_peek_u8(rb, &c) == 0 && c != ' ' && c != '\n') {
		rbuf_skip(rb, 1);
		if (n + 1 >= size)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int
tapd_group_add(struct mac_group *g, unsigned int *n,
    const struct mac_group *x)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (mac_group_cmp(&g[i], x) == 0)
			return 0;
	if (*n == TAPD_MCAST_MAX)
		return -1;
	g[(*n)++] = *x;
	return 0;
}

static int
tapd_group_sort(const void *a, const void *b)
{
	return mac_group_cmp(a, b);
}

/* "index name users global hexmac" lines of /proc/net/dev_mcast */
static void
tapd_mcast_proc(struct tapd_ctx *ctx, struct tapd_dev *d, const char *text,
    size_t len, struct mac_group *g, unsigned int *n)
{
	char f[5][40];
	struct mac_group x;
	struct rbuf rb;
	uint8_t mac[6], c;
	int i;

	rbuf_init(&rb, text, len);
	while (rbuf_remaining(&rb) > 0) {
		for (i = 0; i < 5; i++)
			if (tapd_field(&rb, f[i], sizeof(f[i])) == -1)
				break;
		while (rbuf_get_u8(&rb, &c) == 0 && c != '\n')
			continue;
		if (i < 5 || strcmp(f[1], d->name) != 0 ||
		    strlen(f[4]) != 12 || hex_decode(f[4], 12, mac, 6) == -1)
			continue;
		x.mac = mac_from_bytes(mac);
		x.adi = 0;
		tapd_group_add(g, n, &x);
	}
}

bool
tapd_dev_mcast_scan(struct tapd_ctx *ctx, struct tapd_dev *d)
{
	struct mac_group *g;
	struct nl_addr cur[TAPD_LIST_MAX];
	struct mac_group x;
	unsigned int n = 0, i;
	size_t ncur, len = 0, j;
	char *text;
	ssize_t r;

	if ((g = calloc(TAPD_MCAST_MAX, sizeof(*g))) == NULL ||
	    (text = malloc(TAPD_MCAST_TEXT_MAX)) == NULL) {
		free(g);
		return false;
	}
	if (ctx->mcast_fd != -1 && lseek(ctx->mcast_fd, 0, SEEK_SET) == 0) {
		while (len < TAPD_MCAST_TEXT_MAX &&
		    (r = read(ctx->mcast_fd, text + len,
		    TAPD_MCAST_TEXT_MAX - len)) > 0)
			len += (size_t)r;
		tapd_mcast_proc(ctx, d, text, len, g, &n);
	}
	free(text);
	/* the address-resolution group of every address (spec §9) */
	if (nl_addr_list(&ctx->nl, d->ifindex, cur, TAPD_LIST_MAX, &ncur) ==
	    0)
		for (j = 0; j < ncur; j++)
			if (mac_group_for_ip(&cur[j].addr, &x) == 0)
				tapd_group_add(g, &n, &x);
	qsort(g, n, sizeof(*g), tapd_group_sort);
	if (d->mcast != NULL && n == d->nmcast) {
		for (i = 0; i < n; i++)
			if (mac_group_cmp(&g[i], &d->mcast[i]) != 0)
				break;
		if (i == n) {
			free(g);
			return false;
		}
	}
	free(d->mcast);
	d->mcast = g;
	d->nmcast = n;
	return true;
}
