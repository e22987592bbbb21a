/*
 * zt-ctl world: private planets and moons (spec/vl1.md §6.4-6.6), what
 * ZeroTier's mkworld and "zerotier-idtool initmoon/genmoon" do.
 *
 *   genkey <keyfile>			a signing key pair (hex pub:secret)
 *   make <planet|moon> <id> <timestamp> <keyfile> <out> <root>...
 *	root = <identity.public string or file>@<ip/port>[,<ip/port>...]
 *   create <spec.json> <out>		from JSON (moon.c)
 *   show <file>				decode, check the signature
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ctl.h"
#include "file.h"
#include "hex.h"
#include "world.h"

#define CTL_KEYFILE_MAX	1024

static int	ctl_world_genkey(const struct ctl_opts *, int, char **);
static int	ctl_world_make(const struct ctl_opts *, int, char **);
static int	ctl_world_show(const struct ctl_opts *, int, char **);

const struct ctl_cmd ctl_world_cmds[] = {
	{ "genkey", "<keyfile>", "make a world signing key pair (mode 0600)",
	    ctl_world_genkey, NULL },
	{ "make", "<planet|moon> <id> <timestamp> <keyfile> <out> "
	    "<identity@ip/port[,ip/port]>...",
	    "build and sign a planet or moon", ctl_world_make, NULL },
	{ "create", "<spec.json> <out>",
	    "sign a world described as initmoon prints it", ctl_world_create,
	    NULL },
	{ "show", "<file>", "decode a planet or moon and check its signature",
	    ctl_world_show, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static int
ctl_world_genkey(const struct ctl_opts *o, int argc, char **argv)
{
	uint8_t pub[C25519_PUBLIC_LEN], priv[C25519_PRIVATE_LEN];
	char text[2 * sizeof(pub) + 1 + 2 * sizeof(priv) + 2];
	int rc = 0;

	if (argc != 1)
		return ctl_usage("world genkey takes a key file name");
	if (c25519_generate(pub, priv) == -1)
		return ctl_error("cannot generate a key pair");
	hex_encode(pub, sizeof(pub), text);
	text[2 * sizeof(pub)] = ':';
	hex_encode(priv, sizeof(priv), text + 2 * sizeof(pub) + 1);
	strcat(text, "\n");
	if (file_write_atomic(argv[0], text, strlen(text), 0600) == -1)
		rc = ctl_error("%s: %s", argv[0], strerror(errno));
	else
		printf("%.*s\n", (int)(2 * sizeof(pub)), text);
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

static int
ctl_load_key(const char *path, uint8_t pub[C25519_PUBLIC_LEN],
    uint8_t priv[C25519_PRIVATE_LEN])
{
	uint8_t check[C25519_PUBLIC_LEN];
	char *text;
	size_t len;
	int rc = -1;

	if (file_read(path, CTL_KEYFILE_MAX, &text, &len) == -1)
		return ctl_error("%s: %s", path, strerror(errno)) ? -1 : -1;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len != 2 * C25519_PUBLIC_LEN + 1 + 2 * C25519_PRIVATE_LEN ||
	    text[2 * C25519_PUBLIC_LEN] != ':' ||
	    hex_decode(text, 2 * C25519_PUBLIC_LEN, pub,
	    C25519_PUBLIC_LEN) == -1 ||
	    hex_decode(text + 2 * C25519_PUBLIC_LEN + 1,
	    2 * C25519_PRIVATE_LEN, priv, C25519_PRIVATE_LEN) == -1 ||
	    c25519_public_from_private(check, priv) == -1 ||
	    CRYPTO_memcmp(check, pub, sizeof(check)) != 0)
		ctl_error("%s: not a world key (public:secret in hex)", path);
	else
		rc = 0;
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

/* "<identity>@ip/port,ip/port" */
static int
ctl_add_root(struct world *w, char *arg)
{
	struct inetaddr eps[WORLD_MAX_ENDPOINTS];
	struct identity id;
	unsigned int n = 0;
	char *at, *tok, *save;
	int rc;

	if ((at = strrchr(arg, '@')) == NULL)
		return ctl_usage("root '%s' lacks @ip/port", arg);
	*at++ = '\0';
	for (tok = strtok_r(at, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == WORLD_MAX_ENDPOINTS || inetaddr_parse(&eps[n], tok) ==
		    -1 || eps[n].port == 0)
			return ctl_usage("bad endpoint '%s'", tok);
		n++;
	}
	memset(&id, 0, sizeof(id));
	if (ctl_load_identity(arg, &id) == -1 || !identity_locally_valid(&id))
		return ctl_error("root '%s' is not a valid identity", arg);
	rc = world_add_root(w, &id, eps, n);
	identity_clear(&id);
	return rc == -1 ? ctl_usage("too many roots") : 0;
}

static int
ctl_world_make(const struct ctl_opts *o, int argc, char **argv)
{
	uint8_t pub[C25519_PUBLIC_LEN], priv[C25519_PRIVATE_LEN];
	uint8_t buf[WORLD_MAX_SERIALIZED];
	uint64_t id, ts;
	struct world w;
	struct wbuf wb;
	uint8_t type;
	char *end;
	int i, rc;

	if (argc < 6)
		return ctl_usage("world make needs a type, id, timestamp, "
		    "key file, output file and at least one root");
	if (strcmp(argv[0], "planet") == 0)
		type = WORLD_TYPE_PLANET;
	else if (strcmp(argv[0], "moon") == 0)
		type = WORLD_TYPE_MOON;
	else
		return ctl_usage("world type must be planet or moon");
	errno = 0;
	id = strtoull(argv[1], &end, 0);
	if (errno != 0 || *end != '\0' || argv[1][0] == '-')
		return ctl_usage("bad world id '%s'", argv[1]);
	ts = strtoull(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || argv[2][0] == '-' || ts == 0)
		return ctl_usage("bad timestamp '%s'", argv[2]);
	if (ctl_load_key(argv[3], pub, priv) == -1)
		return 1;
	world_init(&w, type, id, ts, pub);
	for (i = 5; i < argc; i++)
		if ((rc = ctl_add_root(&w, argv[i])) != 0)
			goto fail;
	wbuf_init(&wb, buf, sizeof(buf));
	if (world_sign(&w, priv) == -1 || world_serialize(&w, &wb) == -1) {
		rc = ctl_error("cannot sign or encode the world");
		goto fail;
	}
	if (file_write_atomic(argv[4], buf, wbuf_len(&wb), 0644) == -1) {
		rc = ctl_error("%s: %s", argv[4], strerror(errno));
		goto fail;
	}
	if (o->json)
		printf("{\"id\":%" PRIu64 ",\"timestamp\":%" PRIu64
		    ",\"bytes\":%zu}\n", id, ts, wbuf_len(&wb));
	else
		printf("%s %" PRIu64 " (%zu bytes) written to %s\n",
		    argv[0], id, wbuf_len(&wb), argv[4]);
	rc = 0;
fail:
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

static int
ctl_world_show(const struct ctl_opts *o, int argc, char **argv)
{
	char addr[11], ep[INETADDR_STRLEN], *data, *s;
	json_t *j, *roots, *eps;
	struct world w;
	struct rbuf r;
	unsigned int i, k;
	size_t len;

	if (argc != 1)
		return ctl_usage("world show takes a file name");
	if (file_read(argv[0], WORLD_MAX_SERIALIZED, &data, &len) == -1)
		return ctl_error("%s: %s", argv[0], strerror(errno));
	rbuf_init(&r, data, len);
	if (world_deserialize(&w, &r) == -1 || !rbuf_done(&r)) {
		free(data);
		return ctl_error("%s: not a planet or moon", argv[0]);
	}
	free(data);
	roots = json_array();
	for (i = 0; i < w.nroots; i++) {
		eps = json_array();
		for (k = 0; k < w.roots[i].nendpoints; k++)
			json_array_append_new(eps, json_string(inetaddr_fmt(
			    &w.roots[i].endpoints[k], ep)));
		json_array_append_new(roots, json_pack("{s:s, s:o}",
		    "address", zt_address_fmt(w.roots[i].identity.address,
		    addr), "stableEndpoints", eps));
	}
	j = json_pack("{s:s, s:I, s:I, s:b, s:o}",
	    "type", w.type == WORLD_TYPE_PLANET ? "planet" : "moon",
	    "id", (json_int_t)w.id, "timestamp", (json_int_t)w.timestamp,
	    "signatureValid", world_verify_self(&w) == 0, "roots", roots);
	s = json_dumps(j, o->json ? JSON_COMPACT : JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(j);
	return world_verify_self(&w) == 0 ? 0 : 1;
}
