/*
 * zt-tapd's own record (statedir/state.json): the devices it created and
 * the per-network settings set through zt-ctl.  The record is what every
 * request is checked against, and what a restarted zt-tapd adopts, so it
 * is rewritten atomically on every change.  The device map
 * (statedir/devicemap) is ZeroTier One's: lines "<16 hex nwid>=<name>".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dictionary.h"
#include "file.h"
#include "hex.h"
#include "log.h"
#include "tapd.h"

#define TAPD_STATE_MAX		(256 * 1024)
#define TAPD_DEVICEMAP_MAX	(64 * 1024)

static const char *const tapd_setting_names[] = {
	"allowManaged", "allowGlobal", "allowDefault", "allowDNS",
};

struct tapd_dev *
tapd_dev_find(struct tapd_ctx *ctx, uint64_t nwid)
{
	size_t i;

	for (i = 0; i < TAPD_MAX_DEVICES; i++)
		if (ctx->devs[i].used && ctx->devs[i].nwid == nwid)
			return &ctx->devs[i];
	return NULL;
}

struct tapd_net *
tapd_net_get(struct tapd_ctx *ctx, uint64_t nwid)
{
	struct tapd_net *free_slot = NULL;
	size_t i;

	for (i = 0; i < TAPD_MAX_DEVICES; i++) {
		if (ctx->nets[i].used && ctx->nets[i].nwid == nwid)
			return &ctx->nets[i];
		if (!ctx->nets[i].used && free_slot == NULL)
			free_slot = &ctx->nets[i];
	}
	if (free_slot != NULL) {
		free_slot->used = true;
		free_slot->nwid = nwid;
		tapd_settings_init(&free_slot->s);
	}
	return free_slot;
}

const struct tapd_settings *
tapd_settings_of(struct tapd_ctx *ctx, uint64_t nwid)
{
	static const struct tapd_settings defaults = { .allow_managed = true };
	size_t i;

	for (i = 0; i < TAPD_MAX_DEVICES; i++)
		if (ctx->nets[i].used && ctx->nets[i].nwid == nwid)
			return &ctx->nets[i].s;
	return &defaults;
}

static int
tapd_nwid_parse(const char *s, uint64_t *nwid)
{
	if (strlen(s) != 16 || hex_parse_u64(s, 16, nwid) == -1 ||
	    *nwid == 0)
		return -1;
	return 0;
}

static int
tapd_state_device(struct tapd_ctx *ctx, json_t *o, size_t slot)
{
	const char *nwid, *name;
	struct tapd_dev *d = &ctx->devs[slot];

	if (json_unpack(o, "{s:s, s:s !}", "nwid", &nwid, "name", &name) ==
	    -1 || tapd_nwid_parse(nwid, &d->nwid) == -1 ||
	    !tapd_ifname_valid(name) || tapd_dev_find(ctx, d->nwid) != NULL)
		return -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->used = true;
	return 0;
}

static int
tapd_state_network(struct tapd_ctx *ctx, json_t *o)
{
	struct tapd_net *n;
	const char *key;
	uint64_t nwid;
	json_t *v;

	if (!json_is_object(o) || !json_is_string(json_object_get(o,
	    "nwid")) || tapd_nwid_parse(json_string_value(json_object_get(o,
	    "nwid")), &nwid) == -1 || (n = tapd_net_get(ctx, nwid)) == NULL)
		return -1;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "nwid") == 0)
			continue;
		if (!json_is_string(v) || tapd_settings_set(&n->s, key,
		    json_string_value(v)) == -1)
			return -1;
	}
	return 0;
}

int
tapd_state_load(struct tapd_ctx *ctx)
{
	char path[PATH_MAX], *text = NULL;
	json_t *root = NULL, *devs, *nets, *o;
	json_error_t err;
	size_t len, i;
	int version, rc = -1;

	snprintf(path, sizeof(path), "%s/state.json", ctx->cfg.statedir);
	if (file_read(path, TAPD_STATE_MAX, &text, &len) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return -1;
	}
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL || json_unpack(root, "{s:i, s:o, s:o !}", "version",
	    &version, "devices", &devs, "networks", &nets) == -1 ||
	    version != 1 || !json_is_array(devs) || !json_is_array(nets) ||
	    json_array_size(devs) > TAPD_MAX_DEVICES ||
	    json_array_size(nets) > TAPD_MAX_DEVICES)
		goto fail;
	json_array_foreach(devs, i, o)
		if (tapd_state_device(ctx, o, i) == -1)
			goto fail;
	json_array_foreach(nets, i, o)
		if (tapd_state_network(ctx, o) == -1)
			goto fail;
	rc = 0;
fail:
	if (rc == -1)
		log_warnx("%s: not a zt-tapd state file", path);
	json_decref(root);
	free(text);
	return rc;
}

static json_t *
tapd_state_net_json(const struct tapd_net *n)
{
	char nwid[17], v[TAPD_WHITELIST_MAX * INETADDR_STRLEN];
	json_t *o;
	size_t i;

	snprintf(nwid, sizeof(nwid), "%016llx", (unsigned long long)n->nwid);
	o = json_pack("{s:s}", "nwid", nwid);
	for (i = 0; i < sizeof(tapd_setting_names) /
	    sizeof(tapd_setting_names[0]); i++)
		if (tapd_settings_get(&n->s, tapd_setting_names[i], v,
		    sizeof(v)) == 0)
			json_object_set_new(o, tapd_setting_names[i],
			    json_string(v));
	return o;
}

int
tapd_state_save(struct tapd_ctx *ctx)
{
	json_t *root, *devs = json_array(), *nets = json_array();
	char path[PATH_MAX], nwid[17], *text;
	size_t i;
	int rc;

	for (i = 0; i < TAPD_MAX_DEVICES; i++) {
		if (ctx->devs[i].used) {
			snprintf(nwid, sizeof(nwid), "%016llx",
			    (unsigned long long)ctx->devs[i].nwid);
			json_array_append_new(devs, json_pack("{s:s, s:s}",
			    "nwid", nwid, "name", ctx->devs[i].name));
		}
		if (ctx->nets[i].used)
			json_array_append_new(nets,
			    tapd_state_net_json(&ctx->nets[i]));
	}
	root = json_pack("{s:i, s:o, s:o}", "version", 1, "devices", devs,
	    "networks", nets);
	text = root != NULL ? json_dumps(root, JSON_INDENT(1) |
	    JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (text == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", ctx->cfg.statedir);
	if ((rc = file_write_atomic(path, text, strlen(text), 0600)) == -1)
		log_warn("%s", path);
	free(text);
	return rc;
}

int
tapd_devicemap_lookup(struct tapd_ctx *ctx, uint64_t nwid, char *name)
{
	char path[PATH_MAX], key[17], *text = NULL;
	struct dict d;
	size_t len, vlen;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/devicemap", ctx->cfg.statedir);
	if (file_read(path, TAPD_DEVICEMAP_MAX, &text, &len) == -1)
		return -1;
	snprintf(key, sizeof(key), "%016llx", (unsigned long long)nwid);
	dict_view(&d, text, len, TAPD_DEVICEMAP_MAX + 1);
	if (dict_get(&d, key, name, TAPD_IFNAME_MAX, &vlen) == 0 &&
	    vlen < TAPD_IFNAME_MAX) {
		name[vlen] = '\0';
		if (tapd_ifname_valid(name))
			rc = 0;
		else
			log_warnx("devicemap: bad name for %s", key);
	}
	free(text);
	return rc;
}
