/*
 * Worlds from a JSON description, the one zerotier-idtool's initmoon
 * prints and genmoon reads (spec/service.md §8, spec/vl1.md §6.6):
 *
 *   moon init <identity>		a template with a fresh signing key
 *   moon gen <spec.json>		<16 hex id>.moon here, timestamp now
 *   world create <spec.json> <out>	the same, as mkworld: roots in the
 *					order given, "timestamp" (ms) from
 *					the spec when present
 *
 * The spec is the administrator's file and holds a secret key: read
 * capped, strictly typed, wiped after use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ctl.h"
#include "file.h"
#include "hex.h"
#include "world.h"

#define CTL_SPEC_MAX	(64 * 1024)

static int	ctl_moon_init(const struct ctl_opts *, int, char **);
static int	ctl_moon_gen(const struct ctl_opts *, int, char **);

const struct ctl_cmd ctl_moon_cmds[] = {
	{ "init", "<identity>",
	    "print a moon description with a new signing key",
	    ctl_moon_init, NULL },
	{ "gen", "<spec.json>",
	    "sign the described world into <16 hex id>.moon here",
	    ctl_moon_gen, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static int
ctl_moon_init(const struct ctl_opts *o, int argc, char **argv)
{
	uint8_t pub[C25519_PUBLIC_LEN], priv[C25519_PRIVATE_LEN];
	char hpub[2 * C25519_PUBLIC_LEN + 1], hpriv[2 * C25519_PRIVATE_LEN + 1];
	char text[IDENTITY_STRING_MAX], addr[11], *s;
	struct identity id;
	json_t *j;
	int rc = 1;

	if (argc != 1)
		return ctl_usage("moon init takes an identity");
	memset(&id, 0, sizeof(id));
	if (ctl_load_identity(argv[0], &id) == -1 ||
	    !identity_locally_valid(&id))
		return ctl_error("%s is not a valid identity", argv[0]);
	if (c25519_generate(pub, priv) == -1) {
		identity_clear(&id);
		return ctl_error("cannot generate a key pair");
	}
	hex_encode(pub, sizeof(pub), hpub);
	hex_encode(priv, sizeof(priv), hpriv);
	identity_to_string(&id, false, text, sizeof(text));
	/* initmoon: the moon id is the first root's address */
	j = json_pack("{s:s, s:s, s:[{s:s, s:[]}], s:s, s:s, s:s, s:s}",
	    "id", zt_address_fmt(id.address, addr), "objtype", "world",
	    "roots", "identity", text, "stableEndpoints",
	    "signingKey", hpub, "signingKey_SECRET", hpriv,
	    "updatesMustBeSignedBy", hpub, "worldType", "moon");
	if (j != NULL && (s = json_dumps(j, JSON_INDENT(1) |
	    JSON_SORT_KEYS)) != NULL) {
		printf("%s\n", s);
		OPENSSL_cleanse(s, strlen(s));
		free(s);
		rc = 0;
	}
	json_decref(j);
	OPENSSL_cleanse(priv, sizeof(priv));
	OPENSSL_cleanse(hpriv, sizeof(hpriv));
	identity_clear(&id);
	return rc == 0 ? 0 : ctl_error("out of memory");
}

static int
ctl_spec_key(json_t *spec, const char *key, uint8_t *out, size_t len)
{
	const char *s;

	if (json_unpack(spec, "{s:s}", key, &s) == -1 ||
	    strlen(s) != 2 * len || hex_decode(s, 2 * len, out, len) == -1)
		return ctl_error("%s: missing or not %zu hex digits", key,
		    2 * len) ? -1 : -1;
	return 0;
}

static int
ctl_spec_root(struct world *w, json_t *r, size_t i)
{
	struct inetaddr eps[WORLD_MAX_ENDPOINTS];
	struct identity id;
	const char *text;
	json_t *a, *e;
	size_t k;
	int rc;

	if (json_unpack(r, "{s:s, s:o}", "identity", &text,
	    "stableEndpoints", &a) == -1 || !json_is_array(a))
		return ctl_error("roots[%zu]: needs identity and "
		    "stableEndpoints", i) ? -1 : -1;
	if (json_array_size(a) > WORLD_MAX_ENDPOINTS)
		return ctl_error("roots[%zu].stableEndpoints: more than %d",
		    i, WORLD_MAX_ENDPOINTS) ? -1 : -1;
	json_array_foreach(a, k, e)
		if (!json_is_string(e) || inetaddr_parse(&eps[k],
		    json_string_value(e)) == -1 || eps[k].port == 0)
			return ctl_error("roots[%zu].stableEndpoints[%zu]: not "
			    "ip/port", i, k) ? -1 : -1;
	memset(&id, 0, sizeof(id));
	if (identity_from_string(&id, text) == -1 ||
	    identity_has_private(&id) || !identity_locally_valid(&id)) {
		identity_clear(&id);
		return ctl_error("roots[%zu].identity: not a valid public "
		    "identity", i) ? -1 : -1;
	}
	rc = world_add_root(w, &id, eps, (unsigned int)json_array_size(a));
	identity_clear(&id);
	return rc == -1 ? (ctl_error("roots: more than %d", WORLD_MAX_ROOTS) ?
	    -1 : -1) : 0;
}

/* the world id: hex as initmoon writes it, or a JSON number */
static int
ctl_spec_id(json_t *v, uint64_t *id)
{
	const char *s;

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*id = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v) || (s = json_string_value(v))[0] == '\0' ||
	    strlen(s) > 16 || hex_parse_u64(s, strlen(s), id) == -1)
		return -1;
	return *id == 0 ? -1 : 0;
}

/*
 * Builds and signs the world a spec file describes, at the spec's
 * "timestamp" or else now.  genmoon sorts roots and endpoints; mkworld
 * keeps the order its author wrote (sort false).  0 or -1 (printed).
 */
static int
ctl_world_from_spec(const char *path, bool sort, struct world *w)
{
	uint8_t pub[C25519_PUBLIC_LEN], priv[C25519_PRIVATE_LEN];
	uint8_t upd[C25519_PUBLIC_LEN], check[C25519_PUBLIC_LEN];
	const char *type;
	json_error_t je;
	json_t *spec = NULL, *roots, *r, *v;
	struct timespec now;
	uint64_t id, ts;
	uint8_t wtype;
	char *text;
	size_t len, i;
	int rc = -1;

	memset(priv, 0, sizeof(priv));
	if (file_read(path, CTL_SPEC_MAX, &text, &len) == -1)
		return ctl_error("cannot read %s", path) ? -1 : -1;
	spec = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	OPENSSL_cleanse(text, len);
	free(text);
	if (spec == NULL || !json_is_object(spec)) {
		ctl_error("%s: not a JSON object", path);
		goto fail;
	}
	if (ctl_spec_id(json_object_get(spec, "id"), &id) == -1) {
		ctl_error("ID in %s is invalid", path);
		goto fail;
	}
	if (json_unpack(spec, "{s:s}", "worldType", &type) == -1 ||
	    (strcmp(type, "moon") != 0 && strcmp(type, "planet") != 0)) {
		ctl_error("%s: invalid worldType (moon or planet)", path);
		goto fail;
	}
	wtype = strcmp(type, "moon") == 0 ? WORLD_TYPE_MOON :
	    WORLD_TYPE_PLANET;
	if (ctl_spec_key(spec, "signingKey", pub, sizeof(pub)) == -1 ||
	    ctl_spec_key(spec, "signingKey_SECRET", priv, sizeof(priv)) ==
	    -1 || ctl_spec_key(spec, "updatesMustBeSignedBy", upd,
	    sizeof(upd)) == -1)
		goto fail;
	if (c25519_public_from_private(check, priv) == -1 ||
	    CRYPTO_memcmp(check, pub, sizeof(pub)) != 0) {
		ctl_error("%s: signingKey_SECRET does not match signingKey",
		    path);
		goto fail;
	}
	if ((v = json_object_get(spec, "timestamp")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			ctl_error("%s: timestamp: not a positive integer (ms)",
			    path);
			goto fail;
		}
		ts = (uint64_t)json_integer_value(v);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = (uint64_t)now.tv_sec * 1000 +
		    (uint64_t)now.tv_nsec / 1000000;
	}
	if ((roots = json_object_get(spec, "roots")) == NULL ||
	    !json_is_array(roots) || json_array_size(roots) == 0) {
		ctl_error("%s: roots: needs at least one root", path);
		goto fail;
	}
	world_init(w, wtype, id, ts, upd);
	json_array_foreach(roots, i, r)
		if (ctl_spec_root(w, r, i) == -1)
			goto fail;
	if (sort)
		world_sort(w);
	if (world_sign(w, priv) == -1 || world_verify(w, pub) != 0) {
		ctl_error("cannot sign the world");
		goto fail;
	}
	rc = 0;
fail:
	OPENSSL_cleanse(priv, sizeof(priv));
	json_decref(spec);
	return rc;
}

static int
ctl_world_write(const struct world *w, const char *out)
{
	uint8_t buf[WORLD_MAX_SERIALIZED];
	struct wbuf wb;

	wbuf_init(&wb, buf, sizeof(buf));
	if (world_serialize(w, &wb) == -1)
		return ctl_error("cannot encode the world");
	if (file_write_atomic(out, buf, wbuf_len(&wb), 0644) == -1)
		return ctl_error("%s: %s", out, strerror(errno));
	return 0;
}

static int
ctl_moon_gen(const struct ctl_opts *o, int argc, char **argv)
{
	char out[32];
	struct world w;

	if (argc != 1)
		return ctl_usage("moon gen takes a JSON description");
	if (ctl_world_from_spec(argv[0], true, &w) == -1)
		return 1;
	/* named so as genmoon names it, whatever the world type */
	snprintf(out, sizeof(out), "%016" PRIx64 ".moon", w.id);
	if (ctl_world_write(&w, out) != 0)
		return 1;
	if (o->json)
		printf("{\"file\":\"%s\",\"timestamp\":%" PRIu64 "}\n", out,
		    w.timestamp);
	else
		printf("wrote %s (signed world with timestamp %" PRIu64 ")\n",
		    out, w.timestamp);
	return 0;
}

int
ctl_world_create(const struct ctl_opts *o, int argc, char **argv)
{
	struct world w;

	if (argc != 2)
		return ctl_usage("world create takes a JSON description and an "
		    "output file");
	if (ctl_world_from_spec(argv[0], false, &w) == -1)
		return 1;
	if (ctl_world_write(&w, argv[1]) != 0)
		return 1;
	if (o->json)
		printf("{\"id\":%" PRIu64 ",\"timestamp\":%" PRIu64 "}\n",
		    w.id, w.timestamp);
	else
		printf("%s %016" PRIx64 " (timestamp %" PRIu64 ") written to "
		    "%s\n", w.type == WORLD_TYPE_PLANET ? "planet" : "moon",
		    w.id, w.timestamp, argv[1]);
	return 0;
}
