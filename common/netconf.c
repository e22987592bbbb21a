/*
 * Network configuration dictionary codec (spec/vl2.md §5).  Every blob
 * value comes from the controller and is read through struct rbuf.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "identity.h"
#include "netconf.h"

#define NC_ADDR_MASK	0xffffffffffULL

/* keys, in the order 1.14.1 writes them (spec/vl2.md §5.1) */
#define K_VERSION	"v"
#define K_NWID		"nwid"
#define K_TIMESTAMP	"ts"
#define K_CTMD		"ctmd"
#define K_REVISION	"r"
#define K_ISSUED_TO	"id"
#define K_TRACE_TARGET	"tt"
#define K_TRACE_LEVEL	"tl"
#define K_FLAGS		"f"
#define K_MCAST_LIMIT	"ml"
#define K_TYPE		"t"
#define K_NAME		"n"
#define K_MTU		"mtu"
#define K_COM		"C"
#define K_CAPS		"CAP"
#define K_TAGS		"TAG"
#define K_COOS		"COO"
#define K_SPECIALISTS	"S"
#define K_ROUTES	"RT"
#define K_STATIC_IPS	"I"
#define K_RULES		"R"
#define K_DNS		"DNS"
#define K_SSO_VERSION	"ssov"
#define K_SSO_ENABLED	"ssoe"
#define K_AUTH_URL	"aurl"
#define K_AUTH_EXPIRY	"aexpt"
#define K_ISSUER_URL	"iurl"
#define K_CENTRAL_URL	"ssoce"
#define K_SSO_NONCE	"sson"
#define K_SSO_STATE	"ssos"
#define K_SSO_CLIENT_ID	"ssocid"
#define K_SSO_PROVIDER	"ssop"

#define SSO_PROVIDER_DEFAULT	"default"

struct netconf *
netconf_new(void)
{
	return calloc(1, sizeof(struct netconf));
}

void
netconf_reset(struct netconf *nc)
{
	free(nc->capabilities);
	free(nc->tags);
	memset(nc, 0, sizeof(*nc));
}

void
netconf_free(struct netconf *nc)
{
	if (nc == NULL)
		return;
	netconf_reset(nc);
	free(nc);
}

/*
 * A text value into a char array of size sz, as 1.14.1's get(key, buf,
 * sz): at most sz - 1 bytes, and the C string ends at an escaped NUL.
 * Returns the stored length, 0 when absent.
 */
static size_t
nc_get_text(const struct dict *d, const char *key, char *out, size_t sz)
{
	size_t n;

	if (dict_get(d, key, out, sz - 1, &n) == -1)
		n = 0;
	out[n] = '\0';
	return n;
}

/* the uint32_t id at offset idoff of element i */
static uint32_t
nc_elem_id(const void *arr, size_t i, size_t elsize, size_t idoff)
{
	uint32_t id;

	memcpy(&id, (const uint8_t *)arr + i * elsize + idoff, sizeof(id));
	return id;
}

/*
 * A heap copy of the n elements of elsize at src, stably sorted by the
 * uint32_t id at offset idoff of each: capabilities and tags are kept
 * in id order, as 1.14.1 sorts them.  *out is NULL when n is 0.
 */
static int
nc_sorted_copy(const void *src, size_t n, size_t elsize, size_t idoff,
    void **out)
{
	size_t *order, i, j, t;
	uint8_t *a = NULL;

	if ((order = calloc(n > 0 ? n : 1, sizeof(size_t))) == NULL)
		return -1;
	if (n > 0 && (a = calloc(n, elsize)) == NULL) {
		free(order);
		return -1;
	}
	for (i = 0; i < n; i++) {
		order[i] = i;
		for (j = i; j > 0 &&
		    nc_elem_id(src, order[j - 1], elsize, idoff) >
		    nc_elem_id(src, order[j], elsize, idoff); j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
	for (i = 0; i < n; i++)
		memcpy(a + i * elsize, (const uint8_t *)src + order[i] * elsize,
		    elsize);
	free(order);
	*out = a;
	return 0;
}

int
netconf_set_capabilities(struct netconf *nc, const struct capability *caps,
    size_t n)
{
	void *a;

	if (n > NETCONF_MAX_CAPABILITIES || nc_sorted_copy(caps, n,
	    sizeof(*caps), offsetof(struct capability, id), &a) == -1)
		return -1;
	free(nc->capabilities);
	nc->capabilities = a;
	nc->ncapabilities = n;
	return 0;
}

int
netconf_set_tags(struct netconf *nc, const struct tag *tags, size_t n)
{
	void *a;

	if (n > NETCONF_MAX_TAGS || nc_sorted_copy(tags, n, sizeof(*tags),
	    offsetof(struct tag, id), &a) == -1)
		return -1;
	free(nc->tags);
	nc->tags = a;
	nc->ntags = n;
	return 0;
}

const struct tag *
netconf_tag(const struct netconf *nc, uint32_t id)
{
	size_t i;

	for (i = 0; i < nc->ntags; i++)
		if (nc->tags[i].id == id)
			return &nc->tags[i];
	return NULL;
}

const struct capability *
netconf_capability(const struct netconf *nc, uint32_t id)
{
	size_t i;

	for (i = 0; i < nc->ncapabilities; i++)
		if (nc->capabilities[i].id == id)
			return &nc->capabilities[i];
	return NULL;
}

/*
 * Room for one more element in a heap array of *cap elements: returns
 * the (possibly moved) array, or NULL with arr untouched.
 */
static void *
nc_grow(void *arr, size_t n, size_t *cap, size_t elsize)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap > 0 ? *cap * 2 : 4;
	if ((p = reallocarray(arr, ncap, elsize)) == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

/*
 * CAP and TAG: 1.14.1 catches a parse error inside the blob and keeps
 * what it read so far; we also stop at 128 entries, where 1.14.1 would
 * write past its array.
 */
static int
nc_decode_caps(struct netconf *nc, struct rbuf *r)
{
	struct capability *caps = NULL, *p;
	size_t n = 0, cap = 0;
	int rc = -1;

	while (rbuf_remaining(r) > 0 && n < NETCONF_MAX_CAPABILITIES) {
		if ((p = nc_grow(caps, n, &cap, sizeof(*caps))) == NULL)
			goto fail;
		caps = p;
		if (capability_deserialize(&caps[n], r) == -1)
			break;
		n++;
	}
	rc = netconf_set_capabilities(nc, caps, n);
fail:
	free(caps);
	return rc;
}

static int
nc_decode_tags(struct netconf *nc, struct rbuf *r)
{
	struct tag *tags = NULL, *p;
	size_t n = 0, cap = 0;
	int rc = -1;

	while (rbuf_remaining(r) > 0 && n < NETCONF_MAX_TAGS) {
		if ((p = nc_grow(tags, n, &cap, sizeof(*tags))) == NULL)
			goto fail;
		tags = p;
		if (tag_deserialize(&tags[n], r) == -1)
			break;
		n++;
	}
	rc = netconf_set_tags(nc, tags, n);
fail:
	free(tags);
	return rc;
}

/* COOs past the fourth are parsed (an error still fails) and dropped */
static int
nc_decode_coos(struct netconf *nc, struct rbuf *r)
{
	struct coo extra;

	while (rbuf_remaining(r) > 0) {
		if (coo_deserialize(nc->ncoos < NETCONF_MAX_COOS ?
		    &nc->coos[nc->ncoos] : &extra, r) == -1)
			return -1;
		if (nc->ncoos < NETCONF_MAX_COOS)
			nc->ncoos++;
	}
	return 0;
}

/* whole u64s only; a trailing partial one and entries past 256 ignored */
static int
nc_decode_specialists(struct netconf *nc, struct rbuf *r)
{
	uint64_t v;

	while (rbuf_remaining(r) >= 8) {
		rbuf_get_u64(r, &v);
		if (nc->nspecialists < NETCONF_MAX_SPECIALISTS)
			nc->specialists[nc->nspecialists++] = v;
	}
	return 0;
}

/*
 * 1.14.1 skips the reserved address types 0x01/0x02 (6 bytes) and 0x03
 * (u16 length L, L bytes) by moving its offset without a bounds check:
 * a truncated one accepts and ends the blob, and a read after it fails.
 * Everything else is inetaddr_deserialize's.
 */
static int
nc_read_inetaddr(struct inetaddr *a, struct rbuf *r)
{
	struct rbuf peek = *r;
	uint16_t l;
	uint8_t t;
	size_t rest;

	if (rbuf_get_u8(&peek, &t) == 0) {
		rest = rbuf_remaining(&peek);
		if (((t == 1 || t == 2) && rest < 6) ||
		    (t == 3 && rbuf_get_u16(&peek, &l) == 0 && l > rest - 2)) {
			inetaddr_clear(a);
			return rbuf_skip(r, rbuf_remaining(r));
		}
	}
	return inetaddr_deserialize(a, r);
}

static int
nc_decode_routes(struct netconf *nc, struct rbuf *r)
{
	struct netconf_route *rt;

	while (rbuf_remaining(r) > 0 && nc->nroutes < NETCONF_MAX_ROUTES) {
		rt = &nc->routes[nc->nroutes];
		nc_read_inetaddr(&rt->target, r);
		nc_read_inetaddr(&rt->via, r);
		rbuf_get_u16(r, &rt->flags);
		rbuf_get_u16(r, &rt->metric);
		if (rbuf_failed(r))
			return -1;
		nc->nroutes++;
	}
	return 0;
}

static int
nc_decode_static_ips(struct netconf *nc, struct rbuf *r)
{
	while (rbuf_remaining(r) > 0 &&
	    nc->nstatic_ips < NETCONF_MAX_STATIC_IPS) {
		if (nc_read_inetaddr(&nc->static_ips[nc->nstatic_ips],
		    r) == -1)
			return -1;
		nc->nstatic_ips++;
	}
	return 0;
}

static int
nc_decode_rules(struct netconf *nc, struct rbuf *r)
{
	return rules_decode(r, nc->rules, RULES_MAX_NETWORK, &nc->nrules);
}

/* 128 domain bytes then exactly four addresses; more bytes are ignored */
static int
nc_decode_dns(struct netconf *nc, struct rbuf *r)
{
	size_t i;

	if (rbuf_get_bytes(r, nc->dns.domain, NETCONF_DNS_DOMAIN_LEN) == -1)
		return -1;
	nc->dns.domain[NETCONF_DNS_DOMAIN_LEN - 1] = 0;
	for (i = 0; i < NETCONF_DNS_SERVERS; i++)
		if (nc_read_inetaddr(&nc->dns.servers[i], r) == -1)
			return -1;
	return 0;
}

static int
nc_decode_com(struct netconf *nc, struct rbuf *r)
{
	return com_deserialize(&nc->com, r);
}

struct nc_blob {
	const char	*key;
	int		(*decode)(struct netconf *, struct rbuf *);
};

/* in 1.14.1's reading order */
static const struct nc_blob nc_blobs[] = {
	{ K_COM, nc_decode_com },
	{ K_CAPS, nc_decode_caps },
	{ K_TAGS, nc_decode_tags },
	{ K_COOS, nc_decode_coos },
	{ K_SPECIALISTS, nc_decode_specialists },
	{ K_ROUTES, nc_decode_routes },
	{ K_STATIC_IPS, nc_decode_static_ips },
	{ K_RULES, nc_decode_rules },
	{ K_DNS, nc_decode_dns },
};

static void
nc_decode_sso(struct netconf *nc, const struct dict *d)
{
	nc->sso_enabled = dict_get_bool(d, K_SSO_ENABLED, false);
	nc->sso_version = dict_get_u64(d, K_SSO_VERSION, 0);
	if (!nc->sso_enabled)
		return;
	if (nc->sso_version == 0) {
		nc_get_text(d, K_AUTH_URL, nc->authentication_url,
		    sizeof(nc->authentication_url));
		nc->authentication_expiry_time = dict_get_i64(d, K_AUTH_EXPIRY,
		    0);
	} else if (nc->sso_version == 1) {
		nc_get_text(d, K_AUTH_URL, nc->authentication_url,
		    sizeof(nc->authentication_url));
		nc_get_text(d, K_ISSUER_URL, nc->issuer_url,
		    sizeof(nc->issuer_url));
		nc_get_text(d, K_CENTRAL_URL, nc->central_auth_url,
		    sizeof(nc->central_auth_url));
		nc_get_text(d, K_SSO_NONCE, nc->sso_nonce,
		    sizeof(nc->sso_nonce));
		nc_get_text(d, K_SSO_STATE, nc->sso_state,
		    sizeof(nc->sso_state));
		nc_get_text(d, K_SSO_CLIENT_ID, nc->sso_client_id,
		    sizeof(nc->sso_client_id));
		if (nc_get_text(d, K_SSO_PROVIDER, nc->sso_provider,
		    sizeof(nc->sso_provider)) == 0)
			memcpy(nc->sso_provider, SSO_PROVIDER_DEFAULT,
			    sizeof(SSO_PROVIDER_DEFAULT));
	}
}

int
netconf_decode(struct netconf *nc, const struct dict *d)
{
	uint8_t *blob = NULL;
	struct rbuf r;
	size_t i, n;
	uint64_t mtu;

	netconf_reset(nc);
	nc->version = dict_get_u64(d, K_VERSION, 0);
	nc->nwid = dict_get_u64(d, K_NWID, 0);
	nc->timestamp = (int64_t)dict_get_u64(d, K_TIMESTAMP, 0);
	nc->credential_time_max_delta = (int64_t)dict_get_u64(d, K_CTMD, 0);
	nc->revision = dict_get_u64(d, K_REVISION, 0);
	nc->issued_to = dict_get_u64(d, K_ISSUED_TO, 0) & NC_ADDR_MASK;
	nc->remote_trace_target = dict_get_u64(d, K_TRACE_TARGET, 0) &
	    NC_ADDR_MASK;
	nc->remote_trace_level = (uint32_t)dict_get_u64(d, K_TRACE_LEVEL, 0);
	nc->multicast_limit = (uint32_t)dict_get_u64(d, K_MCAST_LIMIT, 0);
	nc_get_text(d, K_NAME, nc->name, sizeof(nc->name));
	/* 1.14.1 narrows to unsigned int before clamping */
	mtu = (uint32_t)dict_get_u64(d, K_MTU, NETCONF_MTU_DEFAULT);
	if (mtu < NETCONF_MTU_MIN)
		mtu = NETCONF_MTU_MIN;
	else if (mtu > NETCONF_MTU_MAX)
		mtu = NETCONF_MTU_MAX;
	nc->mtu = (uint32_t)mtu;
	/* the legacy (< 6) format is not compiled into 1.14.1 either */
	if (nc->nwid == 0 || nc->issued_to == 0 ||
	    nc->version < NETCONF_VERSION_MIN)
		goto fail;
	nc->flags = dict_get_u64(d, K_FLAGS, 0);
	nc->type = (uint32_t)dict_get_u64(d, K_TYPE, NETCONF_TYPE_PRIVATE);

	for (i = 0; i < sizeof(nc_blobs) / sizeof(nc_blobs[0]); i++) {
		if (dict_get_alloc(d, nc_blobs[i].key, &blob, &n) == -1)
			goto fail;
		if (blob == NULL)
			continue;
		rbuf_init(&r, blob, n);
		if (nc_blobs[i].decode(nc, &r) == -1)
			goto fail;
		free(blob);
		blob = NULL;
	}
	nc_decode_sso(nc, d);
	return 0;
fail:
	free(blob);
	netconf_reset(nc);
	return -1;
}

static int
nc_add_addr10(struct dict *d, const char *key, uint64_t addr)
{
	char tmp[11];

	return dict_add_str(d, key, zt_address_fmt(addr & NC_ADDR_MASK, tmp));
}

static int
nc_add_text(struct dict *d, const char *key, const char *s, size_t sz)
{
	return dict_add(d, key, s, strnlen(s, sz));
}

static int
nc_encode_scalars(const struct netconf *nc, struct dict *d)
{
	if (dict_add_u64(d, K_VERSION, NETCONF_VERSION) == -1 ||
	    dict_add_u64(d, K_NWID, nc->nwid) == -1 ||
	    dict_add_i64(d, K_TIMESTAMP, nc->timestamp) == -1 ||
	    dict_add_i64(d, K_CTMD, nc->credential_time_max_delta) == -1 ||
	    dict_add_u64(d, K_REVISION, nc->revision) == -1 ||
	    nc_add_addr10(d, K_ISSUED_TO, nc->issued_to) == -1 ||
	    nc_add_addr10(d, K_TRACE_TARGET, nc->remote_trace_target) == -1 ||
	    dict_add_u64(d, K_TRACE_LEVEL, nc->remote_trace_level) == -1 ||
	    dict_add_u64(d, K_FLAGS, nc->flags) == -1 ||
	    dict_add_u64(d, K_MCAST_LIMIT, nc->multicast_limit) == -1 ||
	    dict_add_u64(d, K_TYPE, nc->type) == -1 ||
	    nc_add_text(d, K_NAME, nc->name, sizeof(nc->name)) == -1 ||
	    dict_add_u64(d, K_MTU, nc->mtu) == -1)
		return -1;
	return 0;
}

/* adds the blob under key when it is not empty, then empties it */
static int
nc_flush_blob(struct dict *d, const char *key, struct wbuf *w)
{
	int rc = 0;

	if (wbuf_failed(w))
		rc = -1;
	else if (wbuf_len(w) > 0)
		rc = dict_add(d, key, wbuf_data(w), wbuf_len(w));
	wbuf_reset(w);
	return rc;
}

static int
nc_encode_creds(const struct netconf *nc, struct dict *d, struct wbuf *w)
{
	size_t i;

	if (nc->com.nq > 0)
		com_serialize(&nc->com, w);
	if (nc_flush_blob(d, K_COM, w) == -1)
		return -1;
	for (i = 0; i < nc->ncapabilities; i++)
		capability_serialize(&nc->capabilities[i], w);
	if (nc_flush_blob(d, K_CAPS, w) == -1)
		return -1;
	for (i = 0; i < nc->ntags; i++)
		tag_serialize(&nc->tags[i], w);
	if (nc_flush_blob(d, K_TAGS, w) == -1)
		return -1;
	for (i = 0; i < nc->ncoos; i++)
		coo_serialize(&nc->coos[i], w);
	return nc_flush_blob(d, K_COOS, w);
}

static int
nc_encode_net(const struct netconf *nc, struct dict *d, struct wbuf *w)
{
	const struct netconf_route *rt;
	size_t i;

	for (i = 0; i < nc->nspecialists; i++)
		wbuf_put_u64(w, nc->specialists[i]);
	if (nc_flush_blob(d, K_SPECIALISTS, w) == -1)
		return -1;
	for (i = 0; i < nc->nroutes; i++) {
		rt = &nc->routes[i];
		inetaddr_serialize(&rt->target, w);
		inetaddr_serialize(&rt->via, w);
		wbuf_put_u16(w, rt->flags);
		wbuf_put_u16(w, rt->metric);
	}
	if (nc_flush_blob(d, K_ROUTES, w) == -1)
		return -1;
	for (i = 0; i < nc->nstatic_ips; i++)
		inetaddr_serialize(&nc->static_ips[i], w);
	if (nc_flush_blob(d, K_STATIC_IPS, w) == -1)
		return -1;
	rules_encode(nc->rules, nc->nrules, w);
	if (nc_flush_blob(d, K_RULES, w) == -1)
		return -1;
	/* DNS is written even when empty (132 bytes) */
	wbuf_put_bytes(w, nc->dns.domain, NETCONF_DNS_DOMAIN_LEN);
	for (i = 0; i < NETCONF_DNS_SERVERS; i++)
		inetaddr_serialize(&nc->dns.servers[i], w);
	return nc_flush_blob(d, K_DNS, w);
}

static int
nc_encode_sso(const struct netconf *nc, struct dict *d)
{
	if (dict_add_u64(d, K_SSO_VERSION, nc->sso_version) == -1 ||
	    dict_add_bool(d, K_SSO_ENABLED, nc->sso_enabled) == -1)
		return -1;
	if (!nc->sso_enabled)
		return 0;
	if (nc->sso_version == 0) {
		if (nc->authentication_url[0] != '\0' &&
		    nc_add_text(d, K_AUTH_URL, nc->authentication_url,
		    sizeof(nc->authentication_url)) == -1)
			return -1;
		return dict_add_i64(d, K_AUTH_EXPIRY,
		    nc->authentication_expiry_time);
	}
	if (nc->sso_version != 1)
		return 0;
	if (nc_add_text(d, K_ISSUER_URL, nc->issuer_url,
	    sizeof(nc->issuer_url)) == -1 ||
	    nc_add_text(d, K_CENTRAL_URL, nc->central_auth_url,
	    sizeof(nc->central_auth_url)) == -1 ||
	    nc_add_text(d, K_SSO_NONCE, nc->sso_nonce,
	    sizeof(nc->sso_nonce)) == -1 ||
	    nc_add_text(d, K_SSO_STATE, nc->sso_state,
	    sizeof(nc->sso_state)) == -1 ||
	    nc_add_text(d, K_SSO_CLIENT_ID, nc->sso_client_id,
	    sizeof(nc->sso_client_id)) == -1 ||
	    nc_add_text(d, K_SSO_PROVIDER, nc->sso_provider,
	    sizeof(nc->sso_provider)) == -1)
		return -1;
	return 0;
}

int
netconf_encode(const struct netconf *nc, struct dict *d)
{
	struct wbuf w;

	dict_clear(d);
	if (nc->ncapabilities > NETCONF_MAX_CAPABILITIES ||
	    nc->ntags > NETCONF_MAX_TAGS || nc->ncoos > NETCONF_MAX_COOS ||
	    nc->nspecialists > NETCONF_MAX_SPECIALISTS ||
	    nc->nroutes > NETCONF_MAX_ROUTES ||
	    nc->nstatic_ips > NETCONF_MAX_STATIC_IPS ||
	    nc->nrules > RULES_MAX_NETWORK)
		return -1;
	wbuf_init_dynamic(&w, DICT_CAP_NETCONF);
	if (nc_encode_scalars(nc, d) == -1 ||
	    nc_encode_creds(nc, d, &w) == -1 ||
	    nc_encode_net(nc, d, &w) == -1 ||
	    nc_encode_sso(nc, d) == -1)
		goto fail;
	wbuf_free(&w);
	return 0;
fail:
	wbuf_free(&w);
	dict_clear(d);
	return -1;
}
