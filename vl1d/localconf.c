/*
 * local.conf for zt-vl1d (spec/service.md §3).  The file comes from the
 * administrator or from an imported ZeroTier home, so it is read capped,
 * with duplicate keys refused, and every value zt-vl1d uses is checked
 * for type and range before it is believed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "file.h"
#include "hex.h"
#include "localconf.h"

/* ZT_MIN_PHYSMTU and ZT_MAX_PHYSMTU of 1.14.1 */
#define LOCALCONF_MTU_MIN	1400
#define LOCALCONF_MTU_MAX	10324

static int	lc_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
lc_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	char *c;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* keys come from the file: the message stays one printable line */
	for (c = err; errlen > 0 && *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -1;
}

void
localconf_init(struct localconf *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->allow_secondary = true;
	lc->http_api = true;
}

/* an unsigned integer, as a JSON number or a decimal string (ZeroTier
 * accepts both, and 64-bit ids do not fit a JSON integer) */
static int
lc_uint(json_t *v, uint64_t max, uint64_t *out)
{
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 ||
		    (uint64_t)json_integer_value(v) > max)
			return -1;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' || *out > max ? -1 : 0;
}

static int
lc_physical(struct localconf *lc, json_t *phys, char *err, size_t errlen)
{
	struct localconf_physical *p;
	const char *cidr, *k;
	json_t *o, *v;
	uint64_t u;

	if (!json_is_object(phys))
		return lc_err(err, errlen, "physical: not an object");
	json_object_foreach(phys, cidr, o) {
		if (lc->nphysical == LOCALCONF_MAX_PHYSICAL)
			return lc_err(err, errlen, "physical: more than %d "
			    "networks", LOCALCONF_MAX_PHYSICAL);
		p = &lc->physical[lc->nphysical];
		memset(p, 0, sizeof(*p));
		if (inetaddr_parse_cidr(&p->net, cidr) == -1)
			return lc_err(err, errlen, "physical.%s: not a "
			    "network (ip/bits)", cidr);
		if (!json_is_object(o))
			return lc_err(err, errlen, "physical.%s: not an "
			    "object", cidr);
		json_object_foreach(o, k, v) {
			if (strcmp(k, "blacklist") == 0) {
				if (!json_is_boolean(v))
					return lc_err(err, errlen,
					    "physical.%s.blacklist: not true "
					    "or false", cidr);
				/* ZeroTier ignores it on a /0 */
				p->blacklist = json_is_true(v) &&
				    inetaddr_netmask_bits(&p->net) > 0;
			} else if (strcmp(k, "trustedPathId") == 0) {
				if (lc_uint(v, UINT64_MAX, &p->trusted_id) ==
				    -1)
					return lc_err(err, errlen,
					    "physical.%s.trustedPathId: not an "
					    "unsigned 64-bit integer", cidr);
			} else if (strcmp(k, "mtu") == 0) {
				if (lc_uint(v, LOCALCONF_MTU_MAX, &u) == -1 ||
				    (u != 0 && u < LOCALCONF_MTU_MIN))
					return lc_err(err, errlen,
					    "physical.%s.mtu: not 0 or %d to %d",
					    cidr,
					    LOCALCONF_MTU_MIN,
					    LOCALCONF_MTU_MAX);
				p->mtu = (unsigned int)u;
			}
		}
		lc->nphysical++;
	}
	return 0;
}

static int
lc_port(json_t *v, const char *key, bool zero_ok, uint16_t *out, char *err,
    size_t errlen)
{
	uint64_t u;

	if (!json_is_integer(v) || lc_uint(v, 65535, &u) == -1 ||
	    (u == 0 && !zero_ok))
		return lc_err(err, errlen, "settings.%s: not a port number "
		    "(%d to 65535)", key, zero_ok ? 0 : 1);
	*out = (uint16_t)u;
	return 0;
}

static int
lc_binds(struct localconf *lc, json_t *a, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a))
		return lc_err(err, errlen, "settings.bind: not an array");
	json_array_foreach(a, i, v) {
		if (lc->nbinds == LOCALCONF_MAX_BINDS)
			return lc_err(err, errlen, "settings.bind: more than "
			    "%d addresses", LOCALCONF_MAX_BINDS);
		if (!json_is_string(v) || inetaddr_parse(&lc->binds[lc->nbinds],
		    json_string_value(v)) == -1 ||
		    lc->binds[lc->nbinds].port != 0)
			return lc_err(err, errlen, "settings.bind[%zu]: not an "
			    "IP address", i);
		lc->nbinds++;
	}
	return 0;
}

static int
lc_prefixes(struct localconf *lc, json_t *a, char *err, size_t errlen)
{
	const char *s;
	json_t *v;
	size_t i;

	if (!json_is_array(a))
		return lc_err(err, errlen, "settings.interfacePrefixBlacklist: "
		    "not an array");
	json_array_foreach(a, i, v) {
		if (lc->nifprefix == LOCALCONF_MAX_PREFIXES)
			return lc_err(err, errlen, "settings.interfacePrefix"
			    "Blacklist: more than %d prefixes",
			    LOCALCONF_MAX_PREFIXES);
		if (!json_is_string(v) || (s = json_string_value(v))[0] ==
		    '\0' || strlen(s) >= IFNAMSIZ)
			return lc_err(err, errlen, "settings.interfacePrefix"
			    "Blacklist[%zu]: not an interface name prefix", i);
		snprintf(lc->ifprefix[lc->nifprefix++], IFNAMSIZ, "%s", s);
	}
	return 0;
}

/* an array of strings, each parsed by fn into out[], at most max */
static int
lc_addr_list(json_t *a, const char *key, int (*fn)(struct inetaddr *,
    const char *), struct inetaddr *out, unsigned int max, unsigned int *n,
    const char *what, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a))
		return lc_err(err, errlen, "%s: not an array", key);
	json_array_foreach(a, i, v) {
		if (*n == max)
			return lc_err(err, errlen, "%s: more than %u entries",
			    key, max);
		if (!json_is_string(v) || fn(&out[*n],
		    json_string_value(v)) == -1)
			return lc_err(err, errlen, "%s[%zu]: not %s", key, i,
			    what);
		(*n)++;
	}
	return 0;
}

static int
lc_virtual(struct localconf *lc, json_t *virt, char *err, size_t errlen)
{
	struct localconf_virtual *v;
	const char *addr;
	char key[96];
	json_t *o, *a;
	unsigned int i;

	if (!json_is_object(virt))
		return lc_err(err, errlen, "virtual: not an object");
	json_object_foreach(virt, addr, o) {
		if (lc->nvirt == LOCALCONF_MAX_VIRTUAL)
			return lc_err(err, errlen, "virtual: more than %d "
			    "peers", LOCALCONF_MAX_VIRTUAL);
		v = &lc->virt[lc->nvirt];
		memset(v, 0, sizeof(*v));
		if (strlen(addr) != 10 || hex_parse_u64(addr, 10,
		    &v->address) == -1 || v->address == 0)
			return lc_err(err, errlen, "virtual.%.32s: not a "
			    "10-digit hex address", addr);
		for (i = 0; i < lc->nvirt; i++)
			if (lc->virt[i].address == v->address)
				return lc_err(err, errlen, "virtual.%s: "
				    "listed twice", addr);
		if (!json_is_object(o))
			return lc_err(err, errlen, "virtual.%s: not an "
			    "object", addr);
		snprintf(key, sizeof(key), "virtual.%s.try", addr);
		if ((a = json_object_get(o, "try")) != NULL &&
		    lc_addr_list(a, key, inetaddr_parse, v->try,
		    LOCALCONF_MAX_TRY, &v->ntry, "an ip/port", err,
		    errlen) == -1)
			return -1;
		for (i = 0; i < v->ntry; i++)
			if (v->try[i].port == 0)
				return lc_err(err, errlen, "%s[%u]: no port",
				    key, i);
		snprintf(key, sizeof(key), "virtual.%s.blacklist", addr);
		if ((a = json_object_get(o, "blacklist")) != NULL &&
		    lc_addr_list(a, key, inetaddr_parse_cidr, v->blacklist,
		    LOCALCONF_MAX_VBLACKLIST, &v->nblacklist,
		    "a network (ip/bits)", err, errlen) == -1)
			return -1;
		lc->nvirt++;
	}
	return 0;
}

static int
lc_settings(struct localconf *lc, json_t *s, char *err, size_t errlen)
{
	json_t *v;

	if (!json_is_object(s))
		return lc_err(err, errlen, "settings: not an object");
	if ((v = json_object_get(s, "primaryPort")) != NULL &&
	    lc_port(v, "primaryPort", false, &lc->primary_port, err,
	    errlen) == -1)
		return -1;
	if ((v = json_object_get(s, "secondaryPort")) != NULL &&
	    lc_port(v, "secondaryPort", true, &lc->secondary_port, err,
	    errlen) == -1)
		return -1;
	if ((v = json_object_get(s, "allowSecondaryPort")) != NULL) {
		if (!json_is_boolean(v))
			return lc_err(err, errlen,
			    "settings.allowSecondaryPort: not true or false");
		lc->allow_secondary = json_is_true(v);
	}
	if ((v = json_object_get(s, "bind")) != NULL &&
	    lc_binds(lc, v, err, errlen) == -1)
		return -1;
	if ((v = json_object_get(s, "interfacePrefixBlacklist")) != NULL &&
	    lc_prefixes(lc, v, err, errlen) == -1)
		return -1;
	if ((v = json_object_get(s, "allowManagementFrom")) != NULL &&
	    lc_addr_list(v, "settings.allowManagementFrom",
	    inetaddr_parse_cidr, lc->mgmt, LOCALCONF_MAX_MGMT, &lc->nmgmt,
	    "a network (ip/bits)", err, errlen) == -1)
		return -1;
	if ((v = json_object_get(s, "httpApi")) != NULL) {
		if (!json_is_boolean(v))
			return lc_err(err, errlen,
			    "settings.httpApi: not true or false");
		lc->http_api = json_is_true(v);
	}
	return 0;
}

int
localconf_parse(struct localconf *lc, const char *text, size_t len,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *v;
	int rc = -1;

	localconf_init(lc);
	if (len > LOCALCONF_MAX_BYTES)
		return lc_err(err, errlen, "larger than %d bytes",
		    LOCALCONF_MAX_BYTES);
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL)
		return lc_err(err, errlen, "line %d: %s", je.line, je.text);
	if (!json_is_object(root)) {
		lc_err(err, errlen, "not a JSON object");
		goto fail;
	}
	if ((v = json_object_get(root, "physical")) != NULL &&
	    lc_physical(lc, v, err, errlen) == -1)
		goto fail;
	if ((v = json_object_get(root, "virtual")) != NULL &&
	    lc_virtual(lc, v, err, errlen) == -1)
		goto fail;
	if ((v = json_object_get(root, "settings")) != NULL &&
	    lc_settings(lc, v, err, errlen) == -1)
		goto fail;
	rc = 0;
fail:
	json_decref(root);
	return rc;
}

int
localconf_load(struct localconf *lc, const char *path, char *err,
    size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	localconf_init(lc);
	if (file_read(path, LOCALCONF_MAX_BYTES, &text, &len) == -1) {
		if (errno == ENOENT)
			return 0;
		return lc_err(err, errlen, "%s", strerror(errno));
	}
	rc = localconf_parse(lc, text, len, err, errlen);
	free(text);
	return rc;
}

bool
localconf_blacklisted(const struct localconf *lc, const struct inetaddr *a)
{
	unsigned int i;

	for (i = 0; i < lc->nphysical; i++)
		if (lc->physical[i].blacklist &&
		    lc->physical[i].net.family == a->family &&
		    inetaddr_contains(&lc->physical[i].net, a))
			return true;
	return false;
}

bool
localconf_if_blacklisted(const struct localconf *lc, const char *ifname)
{
	unsigned int i;

	for (i = 0; i < lc->nifprefix; i++)
		if (strncmp(ifname, lc->ifprefix[i],
		    strlen(lc->ifprefix[i])) == 0)
			return true;
	return false;
}

unsigned int
localconf_mtu(const struct localconf *lc, const struct inetaddr *a)
{
	unsigned int i;

	for (i = 0; i < lc->nphysical; i++)
		if (lc->physical[i].mtu != 0 &&
		    lc->physical[i].net.family == a->family &&
		    inetaddr_contains(&lc->physical[i].net, a))
			return lc->physical[i].mtu;
	return 0;
}

/* one "<hex id> <cidr>" line of the legacy trustedpaths file */
static int
lc_trusted_line(struct localconf *lc, char *line, unsigned int lineno,
    char *err, size_t errlen)
{
	struct localconf_physical *p;
	struct inetaddr net;
	char *id, *cidr, *extra, *save;
	uint64_t tid;
	unsigned int i;

	if ((id = strtok_r(line, " \t\r", &save)) == NULL || *id == '#')
		return 0;
	cidr = strtok_r(NULL, " \t\r", &save);
	extra = strtok_r(NULL, " \t\r", &save);
	if (cidr == NULL || extra != NULL || strlen(id) > 16 ||
	    hex_parse_u64(id, strlen(id), &tid) == -1 || tid == 0 ||
	    inetaddr_parse_cidr(&net, cidr) == -1)
		return lc_err(err, errlen, "trustedpaths line %u: not "
		    "\"<hex id> <ip/bits>\"", lineno);
	for (i = 0; i < lc->nphysical; i++) {
		p = &lc->physical[i];
		if (inetaddr_cmp(&p->net, &net) == 0) {
			/* local.conf's own id for the network wins */
			if (p->trusted_id == 0)
				p->trusted_id = tid;
			return 0;
		}
	}
	if (lc->nphysical == LOCALCONF_MAX_PHYSICAL)
		return lc_err(err, errlen, "trustedpaths line %u: more than "
		    "%d physical networks", lineno, LOCALCONF_MAX_PHYSICAL);
	p = &lc->physical[lc->nphysical++];
	memset(p, 0, sizeof(*p));
	p->net = net;
	p->trusted_id = tid;
	return 0;
}

int
localconf_parse_trustedpaths(struct localconf *lc, const char *text,
    size_t len, char *err, size_t errlen)
{
	char *copy, *cur, *line;
	unsigned int lineno = 0;
	int rc = 0;

	if (len > TRUSTEDPATHS_MAX_BYTES)
		return lc_err(err, errlen, "trustedpaths: larger than %d "
		    "bytes", TRUSTEDPATHS_MAX_BYTES);
	if (memchr(text, '\0', len) != NULL)
		return lc_err(err, errlen, "trustedpaths: not text");
	if ((copy = strndup(text, len)) == NULL)
		return lc_err(err, errlen, "trustedpaths: %s",
		    strerror(errno));
	cur = copy;
	while (rc == 0 && (line = strsep(&cur, "\n")) != NULL)
		rc = lc_trusted_line(lc, line, ++lineno, err, errlen);
	free(copy);
	return rc;
}
