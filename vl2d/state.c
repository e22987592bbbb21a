/*
 * The pure half of a joined network (network.h): ZeroTier's status and
 * type names, the managed address set of a config, zerotier-cli's
 * listnetworks line (spec/service.md §7.2), and zt-vl2d's state files.
 *
 * networks.d/<nwid>.conf holds the config dictionary
 * the controller sent, as ZeroTier One keeps it (a single LF right after
 * a join), so a restarted zt-vl2d re-joins and re-opens its TAPs before
 * the controller answers; <nwid>.local.conf holds zt-vl2d's own
 * per-network settings as a dictionary.  The addressing settings
 * (allowManaged, ...) are zt-tapd's and live there, not here.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dictionary.h"
#include "file.h"
#include "hex.h"
#include "mac.h"
#include "network.h"

static int
vl2_state_dir(const char *dir, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/networks.d", dir);

	if (n < 0 || (size_t)n >= size)
		return -1;
	if (mkdir(out, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
vl2_state_path(const char *dir, uint64_t nwid, const char *suffix,
    char *out, size_t size)
{
	int n = snprintf(out, size, "%s/networks.d/%016llx%s", dir,
	    (unsigned long long)nwid, suffix);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
vl2_state_name_nwid(const char *name, uint64_t *nwid)
{
	char hex[17];

	if (strlen(name) != 21 || strcmp(name + 16, ".conf") != 0)
		return -1;
	memcpy(hex, name, 16);
	hex[16] = '\0';
	return vl2_nwid_parse(hex, nwid);
}

int
vl2_state_list(const char *dir, uint64_t *nwids, size_t max, size_t *n)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t nwid;
	DIR *d;

	*n = 0;
	if (vl2_state_dir(dir, path, sizeof(path)) == -1 ||
	    (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (vl2_state_name_nwid(de->d_name, &nwid) == -1)
			continue;
		if (*n == max)
			break;
		nwids[(*n)++] = nwid;
	}
	closedir(d);
	return 0;
}

int
vl2_state_save(const char *dir, uint64_t nwid, const uint8_t *d, size_t len)
{
	char path[PATH_MAX];

	if (vl2_state_dir(dir, path, sizeof(path)) == -1 ||
	    vl2_state_path(dir, nwid, ".conf", path, sizeof(path)) == -1)
		return -1;
	if (len == 0)
		return file_write_atomic(path, "\n", 1, 0600);
	return file_write_atomic(path, d, len, 0600);
}

int
vl2_state_load(const char *dir, uint64_t nwid, uint8_t **out, size_t *len)
{
	char path[PATH_MAX], *buf;
	size_t n;

	*out = NULL;
	*len = 0;
	if (vl2_state_path(dir, nwid, ".conf", path, sizeof(path)) == -1 ||
	    file_read(path, DICT_CAP_NETCONF, &buf, &n) == -1)
		return -1;
	/* the LF of a fresh join (or any blank file) is "no config yet" */
	if (n <= 1) {
		free(buf);
		n = 0;
		buf = NULL;
	}
	*out = (uint8_t *)buf;
	*len = n;
	return 0;
}

int
vl2_state_remove(const char *dir, uint64_t nwid)
{
	char path[PATH_MAX];

	if (vl2_state_path(dir, nwid, ".conf", path, sizeof(path)) == -1 ||
	    (unlink(path) == -1 && errno != ENOENT))
		return -1;
	if (vl2_state_path(dir, nwid, ".local.conf", path, sizeof(path)) ==
	    -1 || (unlink(path) == -1 && errno != ENOENT))
		return -1;
	return 0;
}

int
vl2_local_set(struct vl2_local *l, const char *name, const char *value)
{
	size_t i, len = strlen(value);

	if (strcmp(name, "joinToken") != 0)
		return -1;
	/* a token goes into a dictionary line: printable, no '=' */
	if (len >= sizeof(l->token))
		return -1;
	for (i = 0; i < len; i++)
		if (value[i] <= ' ' || value[i] > '~' || value[i] == '=')
			return -1;
	memcpy(l->token, value, len + 1);
	return 0;
}

int
vl2_local_load(const char *dir, uint64_t nwid, struct vl2_local *l)
{
	char path[PATH_MAX], *buf, tok[sizeof(l->token)];
	struct dict d;
	size_t n, tl;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	if (vl2_state_path(dir, nwid, ".local.conf", path, sizeof(path)) ==
	    -1)
		return -1;
	if (file_read(path, DICT_CAP_LOCAL_CONF, &buf, &n) == -1)
		return errno == ENOENT ? 0 : -1;
	dict_view(&d, buf, n, DICT_CAP_LOCAL_CONF);
	if (dict_get(&d, "joinToken", tok, sizeof(tok) - 1, &tl) == 0) {
		tok[tl] = '\0';
		if (tl == sizeof(tok) - 1 || vl2_local_set(l, "joinToken",
		    tok) == -1)
			rc = -1;
	}
	free(buf);
	return rc;
}

int
vl2_local_save(const char *dir, uint64_t nwid, const struct vl2_local *l)
{
	char path[PATH_MAX];
	struct dict d;
	int rc = -1;

	dict_init(&d, DICT_CAP_LOCAL_CONF);
	if (vl2_state_dir(dir, path, sizeof(path)) == -1 ||
	    vl2_state_path(dir, nwid, ".local.conf", path, sizeof(path)) ==
	    -1 || dict_add_str(&d, "joinToken", l->token) == -1)
		goto fail;
	rc = file_write_atomic(path, dict_data(&d), dict_len(&d), 0600);
fail:
	dict_free(&d);
	return rc;
}

const char *
vl2_status_name(enum vl2_status s)
{
	switch (s) {
	case VL2_STATUS_REQUESTING:
		return "REQUESTING_CONFIGURATION";
	case VL2_STATUS_OK:
		return "OK";
	case VL2_STATUS_ACCESS_DENIED:
		return "ACCESS_DENIED";
	case VL2_STATUS_NOT_FOUND:
		return "NOT_FOUND";
	case VL2_STATUS_PORT_ERROR:
		return "PORT_ERROR";
	case VL2_STATUS_CLIENT_TOO_OLD:
		return "CLIENT_TOO_OLD";
	case VL2_STATUS_AUTH_REQUIRED:
		return "AUTHENTICATION_REQUIRED";
	}
	return "UNKNOWN";
}

const char *
vl2_type_name(const struct netconf *nc)
{
	if (nc != NULL && nc->type == NETCONF_TYPE_PUBLIC)
		return "PUBLIC";
	return "PRIVATE";
}

int
vl2_nwid_parse(const char *s, uint64_t *nwid)
{
	size_t i;

	if (strlen(s) != 16)
		return -1;
	/* hex_parse_u64 takes upper case too; ZeroTier's names are lower */
	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	if (hex_parse_u64(s, 16, nwid) == -1 || *nwid == 0)
		return -1;
	return 0;
}

const char *
vl2_listnetworks_header(void)
{
	return "200 listnetworks <nwid> <name> <mac> <status> <type> <dev> "
	    "<ZT assigned ips>";
}

int
vl2_listnetworks_line(const struct vl2_net_line *l, char *buf, size_t size)
{
	char mac[MAC_STRLEN], ip[INETADDR_STRLEN];
	size_t i, off;
	int n;

	/* before the first config the MAC is not known: 1.14.1 prints zeros */
	n = snprintf(buf, size, "200 listnetworks %016llx %s %s %s %s %s ",
	    (unsigned long long)l->nwid, l->name, mac_fmt(l->mac, mac),
	    vl2_status_name(l->status), l->type, l->dev);
	if (n < 0 || (size_t)n >= size)
		return -1;
	off = (size_t)n;
	if (l->nips == 0) {
		n = snprintf(buf + off, size - off, "-");
		if (n < 0 || (size_t)n >= size - off)
			return -1;
		return (int)(off + (size_t)n);
	}
	for (i = 0; i < l->nips; i++) {
		n = snprintf(buf + off, size - off, "%s%s", i > 0 ? "," : "",
		    inetaddr_fmt(&l->ips[i], ip));
		if (n < 0 || (size_t)n >= size - off)
			return -1;
		off += (size_t)n;
	}
	return (int)off;
}

size_t
vl2_config_addrs(const struct netconf *nc, struct inetaddr *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < nc->nstatic_ips && n < max; i++) {
		if (inetaddr_is_nil(&nc->static_ips[i]))
			continue;
		out[n++] = nc->static_ips[i];
	}
	return n;
}
