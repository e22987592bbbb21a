/*
 * Pieces shared by the credential codecs (spec/vl2.md §6).
 */
#include <string.h>

#include "credential.h"

bool
cred_type_valid(unsigned int t)
{
	switch (t) {
	case CRED_TYPE_COM:
	case CRED_TYPE_CAPABILITY:
	case CRED_TYPE_TAG:
	case CRED_TYPE_COO:
	case CRED_TYPE_REVOCATION:
		return true;
	default:
		return false;
	}
}

const char *
cred_type_name(unsigned int t)
{
	switch (t) {
	case CRED_TYPE_NULL:
		return "null";
	case CRED_TYPE_COM:
		return "com";
	case CRED_TYPE_CAPABILITY:
		return "capability";
	case CRED_TYPE_TAG:
		return "tag";
	case CRED_TYPE_COO:
		return "coo";
	case CRED_TYPE_REVOCATION:
		return "revocation";
	default:
		return NULL;
	}
}

int
cred_get_signature(struct rbuf *r, uint8_t sig[ZT_SIGNATURE_LEN])
{
	uint8_t type;
	uint16_t len;

	memset(sig, 0, ZT_SIGNATURE_LEN);
	if (rbuf_get_u8(r, &type) == -1 || rbuf_get_u16(r, &len) == -1)
		return -1;
	if (type != CRED_SIG_C25519)
		/* unknown signature kinds are skipped; verify then fails */
		return rbuf_skip(r, len);
	if (len != ZT_SIGNATURE_LEN) {
		rbuf_fail(r);
		return -1;
	}
	return rbuf_get_bytes(r, sig, ZT_SIGNATURE_LEN);
}

int
cred_put_signature(struct wbuf *w, const uint8_t sig[ZT_SIGNATURE_LEN])
{
	wbuf_put_u8(w, CRED_SIG_C25519);
	wbuf_put_u16(w, ZT_SIGNATURE_LEN);
	return wbuf_put_bytes(w, sig, ZT_SIGNATURE_LEN);
}

int
cred_skip_extensions(struct rbuf *r)
{
	uint16_t len;

	if (rbuf_get_u16(r, &len) == -1)
		return -1;
	return rbuf_skip(r, len);
}

enum cred_verify
cred_check_signature(uint64_t nwid, uint64_t signed_by,
    const struct identity *controller, const struct wbuf *msg,
    const uint8_t sig[ZT_SIGNATURE_LEN])
{
	if (signed_by == 0 || signed_by != cred_controller(nwid))
		return CRED_VERIFY_BAD;
	if (controller == NULL)
		return CRED_VERIFY_WHOIS;
	if (controller->address != signed_by || wbuf_failed(msg))
		return CRED_VERIFY_BAD;
	if (identity_verify(controller, wbuf_data(msg), wbuf_len(msg), sig,
	    ZT_SIGNATURE_LEN) != 0)
		return CRED_VERIFY_BAD;
	return CRED_VERIFY_OK;
}
