/*
 * zt-ctl identity: what zerotier-idtool does, with the same text forms,
 * so identity files and signatures move between zt-privsep and ZeroTier
 * One both ways.  Works on local files only; no daemon is involved.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ctl.h"
#include "file.h"
#include "hex.h"
#include "identity.h"

/* identity files are under 300 bytes; anything bigger is not one */
#define IDENTITY_FILE_MAX	4096
/* a message to sign or verify */
#define MESSAGE_FILE_MAX	(256UL << 20)

static int	ctl_id_generate(const struct ctl_opts *, int, char **);
static int	ctl_id_validate(const struct ctl_opts *, int, char **);
static int	ctl_id_getpublic(const struct ctl_opts *, int, char **);
static int	ctl_id_sign(const struct ctl_opts *, int, char **);
static int	ctl_id_verify(const struct ctl_opts *, int, char **);

const struct ctl_cmd ctl_identity_cmds[] = {
	{ "generate", "[secret-file] [public-file]",
	    "make a new identity (printed, or written to the files)",
	    ctl_id_generate, NULL },
	{ "validate", "<file|identity>",
	    "check that an identity's address matches its key",
	    ctl_id_validate, NULL },
	{ "getpublic", "<file|identity>",
	    "print the public form of an identity", ctl_id_getpublic, NULL },
	{ "sign", "<identity.secret> <file>",
	    "print the hex signature of a file", ctl_id_sign, NULL },
	{ "verify", "<file|identity> <file> <signature-hex|file>",
	    "check a signature of a file", ctl_id_verify, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/*
 * zerotier-idtool's rule: an argument longer than 32 characters with ':'
 * after the 10-digit address is an identity, anything else a file name.
 */
int
ctl_load_identity(const char *arg, struct identity *id)
{
	char *text;
	size_t len;
	int rc;

	if (strlen(arg) > 32 && arg[10] == ':')
		return identity_from_string(id, arg);
	if (file_read(arg, IDENTITY_FILE_MAX, &text, &len) == -1) {
		memset(id, 0, sizeof(*id));
		return -1;
	}
	rc = identity_from_string(id, text);
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

/*
 * zerotier-idtool prints identities and signatures without a newline (so
 * "> file" makes a file ZeroTier writes itself); a terminal gets one.
 */
static void
ctl_print_plain(const char *s)
{
	fputs(s, stdout);
	if (isatty(STDOUT_FILENO))
		fputc('\n', stdout);
}

static void
ctl_print_json(json_t *o)
{
	if (o == NULL)
		return;
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

static int
ctl_id_write_files(const struct ctl_opts *o, const struct identity *id,
    const char *secret, const char *public, int argc, char **argv)
{
	char addr[11];

	if (file_write_atomic(argv[0], secret, strlen(secret), 0600) == -1)
		return ctl_error("cannot write %s: %s", argv[0],
		    strerror(errno));
	if (!o->json)
		printf("%s written\n", argv[0]);
	if (argc == 2) {
		if (file_write_atomic(argv[1], public, strlen(public),
		    0644) == -1)
			return ctl_error("cannot write %s: %s", argv[1],
			    strerror(errno));
		if (!o->json)
			printf("%s written\n", argv[1]);
	}
	if (o->json)
		ctl_print_json(json_pack("{s:s, s:s, s:s, s:s?}",
		    "address", zt_address_fmt(id->address, addr),
		    "public", public, "secret_file", argv[0],
		    "public_file", argc == 2 ? argv[1] : NULL));
	return 0;
}

static int
ctl_id_generate(const struct ctl_opts *o, int argc, char **argv)
{
	char secret[IDENTITY_STRING_MAX], public[IDENTITY_STRING_MAX];
	char addr[11];
	struct identity id;
	int rc;

	if (argc > 2)
		return ctl_usage("identity generate takes at most two files");
	if (identity_generate(&id) == -1)
		return ctl_error("cannot generate an identity");
	if (identity_to_string(&id, true, secret, sizeof(secret)) == -1 ||
	    identity_to_string(&id, false, public, sizeof(public)) == -1) {
		identity_clear(&id);
		return ctl_error("cannot format the identity");
	}
	rc = 0;
	if (argc > 0)
		rc = ctl_id_write_files(o, &id, secret, public, argc, argv);
	else if (o->json)
		/* by hand: the secret must not sit in a heap left unwiped */
		printf("{\"address\":\"%s\",\"public\":\"%s\","
		    "\"secret\":\"%s\"}\n", zt_address_fmt(id.address, addr),
		    public, secret);
	else
		ctl_print_plain(secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	identity_clear(&id);
	return rc;
}

static int
ctl_id_validate(const struct ctl_opts *o, int argc, char **argv)
{
	struct identity id;
	char addr[11];
	bool valid;

	if (argc != 1)
		return ctl_usage("identity validate takes one identity");
	if (ctl_load_identity(argv[0], &id) == -1)
		return ctl_error("identity argument invalid or file "
		    "unreadable: %s", argv[0]);
	valid = identity_locally_valid(&id);
	if (valid && o->json)
		ctl_print_json(json_pack("{s:s, s:b, s:b}", "address",
		    zt_address_fmt(id.address, addr), "valid", 1,
		    "has_private", identity_has_private(&id)));
	else if (valid)
		printf("%s is a valid identity\n", argv[0]);
	identity_clear(&id);
	if (!valid)
		return ctl_error("%s FAILED validation", argv[0]);
	return 0;
}

static int
ctl_id_getpublic(const struct ctl_opts *o, int argc, char **argv)
{
	char public[IDENTITY_STRING_MAX], addr[11];
	struct identity id;

	if (argc != 1)
		return ctl_usage("identity getpublic takes one identity");
	if (ctl_load_identity(argv[0], &id) == -1)
		return ctl_error("identity argument invalid or file "
		    "unreadable: %s", argv[0]);
	identity_to_string(&id, false, public, sizeof(public));
	if (o->json)
		ctl_print_json(json_pack("{s:s, s:s}", "address",
		    zt_address_fmt(id.address, addr), "public", public));
	else
		ctl_print_plain(public);
	identity_clear(&id);
	return 0;
}

static int
ctl_id_sign(const struct ctl_opts *o, int argc, char **argv)
{
	uint8_t sig[ZT_SIGNATURE_LEN];
	char hex[2 * ZT_SIGNATURE_LEN + 1], *msg = NULL;
	struct identity id;
	size_t len;
	int rc = 1;

	if (argc != 2)
		return ctl_usage("identity sign takes an identity and a file");
	if (ctl_load_identity(argv[0], &id) == -1)
		return ctl_error("identity argument invalid or file "
		    "unreadable: %s", argv[0]);
	if (!identity_has_private(&id)) {
		ctl_error("%s does not contain a private key", argv[0]);
		goto fail;
	}
	if (file_read(argv[1], MESSAGE_FILE_MAX, &msg, &len) == -1) {
		ctl_error("%s is not readable: %s", argv[1], strerror(errno));
		goto fail;
	}
	if (identity_sign(&id, msg, len, sig) == -1) {
		ctl_error("cannot sign %s", argv[1]);
		goto fail;
	}
	hex_encode(sig, sizeof(sig), hex);
	if (o->json)
		ctl_print_json(json_pack("{s:s}", "signature", hex));
	else
		ctl_print_plain(hex);
	rc = 0;
fail:
	free(msg);
	identity_clear(&id);
	return rc;
}

/*
 * The signature argument is hex, or (as zerotier-idtool allows) a file
 * holding the hex; surrounding white space is ignored.
 */
static int
ctl_signature_arg(const char *arg, uint8_t sig[ZT_SIGNATURE_LEN])
{
	char *text;
	size_t len, b, e;
	int rc;

	len = strlen(arg);
	if (len == 2 * ZT_SIGNATURE_LEN &&
	    hex_decode(arg, len, sig, ZT_SIGNATURE_LEN) == 0)
		return 0;
	if (file_read(arg, IDENTITY_FILE_MAX, &text, &len) == -1)
		return -1;
	for (b = 0; b < len && strchr(" \t\r\n", text[b]) != NULL; b++)
		;
	for (e = len; e > b && strchr(" \t\r\n", text[e - 1]) != NULL; e--)
		;
	rc = hex_decode(text + b, e - b, sig, ZT_SIGNATURE_LEN);
	free(text);
	return rc;
}

static int
ctl_id_verify(const struct ctl_opts *o, int argc, char **argv)
{
	uint8_t sig[ZT_SIGNATURE_LEN];
	struct identity id;
	char *msg = NULL;
	size_t len;
	int rc = 1;

	if (argc != 3)
		return ctl_usage("identity verify takes an identity, a file "
		    "and a signature");
	if (ctl_load_identity(argv[0], &id) == -1)
		return ctl_error("identity argument invalid or file "
		    "unreadable: %s", argv[0]);
	if (file_read(argv[1], MESSAGE_FILE_MAX, &msg, &len) == -1) {
		ctl_error("%s is not readable: %s", argv[1], strerror(errno));
		goto fail;
	}
	if (ctl_signature_arg(argv[2], sig) == -1) {
		ctl_error("signature is not %d hex bytes or a file of them",
		    ZT_SIGNATURE_LEN);
		goto fail;
	}
	if (identity_verify(&id, msg, len, sig, sizeof(sig)) != 0) {
		ctl_error("%s signature check FAILED", argv[1]);
		goto fail;
	}
	if (o->json)
		ctl_print_json(json_pack("{s:b}", "valid", 1));
	else
		printf("%s signature valid\n", argv[1]);
	rc = 0;
fail:
	free(msg);
	identity_clear(&id);
	return rc;
}
