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

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void
localconf_init(struct localconf *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->allow_secondary = true;
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
	    !json_is_object(v)) {
		lc_err(err, errlen, "virtual: not an object");
		goto fail;
	}
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
