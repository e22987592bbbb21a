/*
 * zt-tapd's rules without side effects: settings, scope checks, device
 * names and the TAP_* message bodies.  Every body is read through the
 * rbuf cursor with the typed IPC field helpers, and each decoder insists
 * that the whole body was consumed.
 */
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "policy.h"

void
tapd_settings_init(struct tapd_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->allow_managed = true;
}

static int
tapd_bool_parse(const char *v, bool *out)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* "cidr,cidr,..." as local.conf holds it for allowManaged */
static int
tapd_whitelist_parse(struct tapd_settings *s, const char *v)
{
	struct tapd_settings t = *s;
	char item[INETADDR_STRLEN];
	const char *p = v, *comma;
	size_t len;

	t.nwhitelist = 0;
	while (*p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(item) ||
		    t.nwhitelist == TAPD_WHITELIST_MAX)
			return -1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (inetaddr_parse_cidr(&t.whitelist[t.nwhitelist++],
		    item) == -1)
			return -1;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	if (t.nwhitelist == 0)
		return -1;
	t.allow_managed = true;
	*s = t;
	return 0;
}

int
tapd_settings_set(struct tapd_settings *s, const char *name,
    const char *value)
{
	bool b;

	if (strcmp(name, "allowManaged") == 0) {
		if (tapd_bool_parse(value, &b) == 0) {
			s->allow_managed = b;
			s->nwhitelist = 0;
			return 0;
		}
		return tapd_whitelist_parse(s, value);
	}
	if (tapd_bool_parse(value, &b) == -1)
		return -1;
	if (strcmp(name, "allowGlobal") == 0)
		s->allow_global = b;
	else if (strcmp(name, "allowDefault") == 0)
		s->allow_default = b;
	else if (strcmp(name, "allowDNS") == 0)
		s->allow_dns = b;
	else
		return -1;
	return 0;
}

int
tapd_settings_get(const struct tapd_settings *s, const char *name,
    char *buf, size_t size)
{
	char a[INETADDR_STRLEN];
	size_t off = 0;
	unsigned int i;
	bool b;
	int n;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	if (strcmp(name, "allowManaged") == 0 && s->nwhitelist > 0) {
		for (i = 0; i < s->nwhitelist; i++) {
			n = snprintf(buf + off, size - off, "%s%s",
			    i > 0 ? "," : "", inetaddr_fmt(&s->whitelist[i],
			    a));
			if (n < 0 || (size_t)n >= size - off)
				return -1;
			off += (size_t)n;
		}
		return 0;
	}
	if (strcmp(name, "allowManaged") == 0)
		b = s->allow_managed;
	else if (strcmp(name, "allowGlobal") == 0)
		b = s->allow_global;
	else if (strcmp(name, "allowDefault") == 0)
		b = s->allow_default;
	else if (strcmp(name, "allowDNS") == 0)
		b = s->allow_dns;
	else
		return -1;
	snprintf(buf, size, "%d", b ? 1 : 0);
	return 0;
}

enum tapd_verdict
tapd_scope_check(const struct tapd_settings *s, const struct inetaddr *t)
{
	unsigned int i;
	bool listed;

	if (!s->allow_managed)
		return TAPD_NO_MANAGED;
	if (s->nwhitelist > 0) {
		listed = false;
		for (i = 0; i < s->nwhitelist && !listed; i++)
			listed = inetaddr_contains(&s->whitelist[i], t) &&
			    inetaddr_netmask_bits(&s->whitelist[i]) <=
			    inetaddr_netmask_bits(t);
		if (!listed)
			return TAPD_NOT_LISTED;
	}
	if (inetaddr_is_default_route(t))
		return s->allow_default ? TAPD_ALLOWED : TAPD_NO_DEFAULT;
	switch (inetaddr_scope(t)) {
	case INETADDR_SCOPE_NONE:
	case INETADDR_SCOPE_MULTICAST:
	case INETADDR_SCOPE_LOOPBACK:
	case INETADDR_SCOPE_LINK_LOCAL:
		return TAPD_BAD_SCOPE;
	case INETADDR_SCOPE_GLOBAL:
		return s->allow_global ? TAPD_ALLOWED : TAPD_NO_GLOBAL;
	default:
		return TAPD_ALLOWED;
	}
}

const char *
tapd_verdict_str(enum tapd_verdict v)
{
	switch (v) {
	case TAPD_ALLOWED:
		return "allowed";
	case TAPD_NO_MANAGED:
		return "allowManaged is off";
	case TAPD_NOT_LISTED:
		return "outside the allowManaged list";
	case TAPD_NO_DEFAULT:
		return "default route needs allowDefault";
	case TAPD_BAD_SCOPE:
		return "scope never allowed";
	case TAPD_NO_GLOBAL:
		return "global address needs allowGlobal";
	}
	return "unknown";
}

void
tapd_ifname_for(uint64_t nwid, unsigned int trial, char *buf)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint64_t v = ((nwid ^ (nwid >> 24)) + trial) & 0xffffffffffULL;
	int i;

	buf[0] = 'z';
	buf[1] = 't';
	for (i = 0; i < 8; i++)
		buf[2 + i] = b32[(v >> (35 - 5 * i)) & 31];
	buf[10] = '\0';
}

bool
tapd_ifname_valid(const char *s)
{
	size_t i, n = strnlen(s, TAPD_IFNAME_MAX);

	if (n == 0 || n >= TAPD_IFNAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int
tapd_mac_get(struct rbuf *rb, uint64_t *mac)
{
	uint8_t b[6];

	if (rbuf_get_bytes(rb, b, sizeof(b)) == -1)
		return -1;
	*mac = mac_from_bytes(b);
	return 0;
}

static int
tapd_mac_put(struct wbuf *wb, uint64_t mac)
{
	uint8_t b[6];

	mac_to_bytes(mac, b);
	return wbuf_put_bytes(wb, b, sizeof(b));
}

/* only a member MAC of this network (spec/vl2.md §1.3) may go on its tap */
int
tapd_open_req_get(struct rbuf *rb, struct tapd_open_req *r)
{
	memset(r, 0, sizeof(*r));
	if (rbuf_get_u64(rb, &r->nwid) == -1 || tapd_mac_get(rb, &r->mac) ||
	    rbuf_get_u16(rb, &r->mtu) == -1)
		return -1;
	/*
	 * The flags byte came later: a request without it asks for none,
	 * and one encoding per request means a present byte is never 0.
	 */
	if (rbuf_remaining(rb) > 0 && (rbuf_get_u8(rb, &r->flags) == -1 ||
	    r->flags == 0))
		return -1;
	if (!rbuf_done(rb) || (r->flags & ~TAPD_OPEN_FLAGS) != 0)
		return -1;
	if (r->nwid == 0 || !mac_is_member(r->mac, r->nwid) ||
	    mac_is_multicast(r->mac) || r->mtu < TAPD_MTU_MIN ||
	    r->mtu > TAPD_MTU_MAX)
		return -1;
	return 0;
}

int
tapd_open_req_put(struct wbuf *wb, const struct tapd_open_req *r)
{
	wbuf_put_u64(wb, r->nwid);
	tapd_mac_put(wb, r->mac);
	wbuf_put_u16(wb, r->mtu);
	if (r->flags != 0)
		wbuf_put_u8(wb, r->flags);
	return wbuf_failed(wb) ? -1 : 0;
}

int
tapd_open_reply_get(struct rbuf *rb, struct tapd_open_reply *r)
{
	memset(r, 0, sizeof(*r));
	if (rbuf_get_u64(rb, &r->nwid) == -1 ||
	    ipc_get_str(rb, r->ifname, sizeof(r->ifname)) == -1 ||
	    rbuf_get_u32(rb, &r->ifindex) == -1 ||
	    rbuf_get_u32(rb, &r->offloads) == -1 || !rbuf_done(rb))
		return -1;
	if (!tapd_ifname_valid(r->ifname) || r->ifindex == 0)
		return -1;
	return 0;
}

int
tapd_open_reply_put(struct wbuf *wb, const struct tapd_open_reply *r)
{
	wbuf_put_u64(wb, r->nwid);
	ipc_put_str(wb, r->ifname);
	wbuf_put_u32(wb, r->ifindex);
	return wbuf_put_u32(wb, r->offloads);
}

/* the leading part of every later request; the caller checks the end */
static int
tapd_dev_ref_read(struct rbuf *rb, struct tapd_dev_ref *d)
{
	memset(d, 0, sizeof(*d));
	if (rbuf_get_u64(rb, &d->nwid) == -1 ||
	    ipc_get_str(rb, d->ifname, sizeof(d->ifname)) == -1)
		return -1;
	if (d->nwid == 0 || !tapd_ifname_valid(d->ifname)) {
		rbuf_fail(rb);
		return -1;
	}
	return 0;
}

int
tapd_dev_ref_get(struct rbuf *rb, struct tapd_dev_ref *d)
{
	if (tapd_dev_ref_read(rb, d) == -1 || !rbuf_done(rb))
		return -1;
	return 0;
}

int
tapd_dev_ref_put(struct wbuf *wb, const struct tapd_dev_ref *d)
{
	wbuf_put_u64(wb, d->nwid);
	return ipc_put_str(wb, d->ifname);
}

/* an IPv4 or IPv6 address whose port field is a valid prefix length */
static int
tapd_cidr_get(struct rbuf *rb, struct inetaddr *a, bool nil_ok)
{
	if (inetaddr_deserialize(a, rb) == -1)
		return -1;
	if (inetaddr_is_nil(a)) {
		if (nil_ok)
			return 0;
		rbuf_fail(rb);
		return -1;
	}
	if (a->port > (a->family == INETADDR_V4 ? 32 : 128)) {
		rbuf_fail(rb);
		return -1;
	}
	return 0;
}

int
tapd_addrs_req_get(struct rbuf *rb, struct tapd_addrs_req *r)
{
	uint16_t n;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	if (tapd_dev_ref_read(rb, &r->dev) == -1 ||
	    rbuf_get_u16(rb, &n) == -1 || n > TAPD_ADDRS_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (tapd_cidr_get(rb, &r->addrs[i], false) == -1)
			return -1;
	r->n = n;
	return rbuf_done(rb) ? 0 : -1;
}

int
tapd_addrs_req_put(struct wbuf *wb, const struct tapd_addrs_req *r)
{
	unsigned int i;

	tapd_dev_ref_put(wb, &r->dev);
	wbuf_put_u16(wb, (uint16_t)r->n);
	for (i = 0; i < r->n; i++)
		inetaddr_serialize(&r->addrs[i], wb);
	return wbuf_failed(wb) ? -1 : 0;
}

int
tapd_routes_req_get(struct rbuf *rb, struct tapd_routes_req *r)
{
	struct tapd_route *rt;
	uint16_t n;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	if (tapd_dev_ref_read(rb, &r->dev) == -1 ||
	    rbuf_get_u16(rb, &n) == -1 || n > TAPD_ROUTES_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		rt = &r->routes[i];
		if (tapd_cidr_get(rb, &rt->target, false) == -1 ||
		    tapd_cidr_get(rb, &rt->via, true) == -1)
			return -1;
		/* a gateway is a host of the target's family */
		if (!inetaddr_is_nil(&rt->via) &&
		    rt->via.family != rt->target.family) {
			rbuf_fail(rb);
			return -1;
		}
		rt->via.port = 0;
	}
	r->n = n;
	return rbuf_done(rb) ? 0 : -1;
}

int
tapd_routes_req_put(struct wbuf *wb, const struct tapd_routes_req *r)
{
	unsigned int i;

	tapd_dev_ref_put(wb, &r->dev);
	wbuf_put_u16(wb, (uint16_t)r->n);
	for (i = 0; i < r->n; i++) {
		inetaddr_serialize(&r->routes[i].target, wb);
		inetaddr_serialize(&r->routes[i].via, wb);
	}
	return wbuf_failed(wb) ? -1 : 0;
}

int
tapd_link_req_get(struct rbuf *rb, struct tapd_link_req *r)
{
	memset(r, 0, sizeof(*r));
	if (tapd_dev_ref_read(rb, &r->dev) == -1 ||
	    rbuf_get_u16(rb, &r->mtu) == -1 ||
	    ipc_get_bool(rb, &r->up) == -1 || !rbuf_done(rb))
		return -1;
	if (r->mtu < TAPD_MTU_MIN || r->mtu > TAPD_MTU_MAX)
		return -1;
	return 0;
}

int
tapd_link_req_put(struct wbuf *wb, const struct tapd_link_req *r)
{
	tapd_dev_ref_put(wb, &r->dev);
	wbuf_put_u16(wb, r->mtu);
	return ipc_put_bool(wb, r->up);
}

int
tapd_mcast_report_get(struct rbuf *rb, struct tapd_mcast_report *r)
{
	uint16_t n;
	unsigned int i;

	memset(&r->dev, 0, sizeof(r->dev));
	r->n = 0;
	if (tapd_dev_ref_read(rb, &r->dev) == -1 ||
	    rbuf_get_u16(rb, &n) == -1 || n > TAPD_MCAST_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (mac_group_deserialize(&r->groups[i], rb) == -1)
			return -1;
	r->n = n;
	return rbuf_done(rb) ? 0 : -1;
}

int
tapd_mcast_report_put(struct wbuf *wb, const struct tapd_mcast_report *r)
{
	unsigned int i;

	tapd_dev_ref_put(wb, &r->dev);
	wbuf_put_u16(wb, (uint16_t)r->n);
	for (i = 0; i < r->n; i++)
		mac_group_serialize(&r->groups[i], wb);
	return wbuf_failed(wb) ? -1 : 0;
}
