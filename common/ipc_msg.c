/*
 * IPC frames without sockets: the catalogue table, frame checks, role
 * checks, reassembly of parts and typed body fields.
 */
#include <string.h>

#include "ipc.h"

static const struct ipc_type_info ipc_types[] = {
#define IPC_TYPE_ROW(n, v, f, t, m, d, tot)				\
	{ .type = v, .name = #n, .from = (f), .to = (t), .max = (m),	\
	    .nfds = (d), .total = (tot) },
	IPC_MESSAGES(IPC_TYPE_ROW)
#undef IPC_TYPE_ROW
};

/* catalogue mistakes fail the build rather than a daemon */
#define IPC_TYPE_ASSERT(n, v, f, t, m, d, tot)				\
	_Static_assert((m) <= IPC_PAYLOAD_MAX, #n " frame too large");	\
	_Static_assert((d) <= IPC_FDS_MAX, #n " carries too many fds");	\
	_Static_assert((tot) == 0 || ((d) == 0 && (tot) > (m)),		\
	    #n " multi-part cap");					\
	_Static_assert((v) > 0 && (v) <= 0xffff, #n " number");
IPC_MESSAGES(IPC_TYPE_ASSERT)
#undef IPC_TYPE_ASSERT

static const char *const ipc_role_names[IPC_ROLE_COUNT] = {
	[IPC_ROLE_NONE] = "none",
#define IPC_ROLE_ROW(n, v, s)	[v] = s,
	IPC_ROLES(IPC_ROLE_ROW)
#undef IPC_ROLE_ROW
};

static const char *const ipc_err_names[IPC_E_COUNT] = {
	[IPC_OK] = "ok",
	[IPC_E_SHORT] = "short header",
	[IPC_E_LENGTH] = "length mismatch",
	[IPC_E_OVERSIZE] = "payload over the type's limit",
	[IPC_E_TYPE] = "unknown type",
	[IPC_E_ROLE] = "role not allowed",
	[IPC_E_FDS] = "wrong fd count",
	[IPC_E_FLAGS] = "bad flags",
	[IPC_E_TRUNC] = "truncated",
	[IPC_E_CMSG] = "unexpected control message",
	[IPC_E_SEQUENCE] = "out of sequence",
	[IPC_E_REASSEMBLY] = "bad parts",
	[IPC_E_HELLO] = "bad HELLO",
	[IPC_E_VERSION] = "protocol version mismatch",
	[IPC_E_UID] = "role refused for uid",
	[IPC_E_BODY] = "malformed body",
	[IPC_E_UNHANDLED] = "unhandled type",
	[IPC_E_TIMEOUT] = "no HELLO in time",
	[IPC_E_EOF] = "closed by peer",
	[IPC_E_IO] = "socket error",
	[IPC_E_QUEUE] = "queue full",
	[IPC_E_LOCAL] = "closed locally",
};

const struct ipc_type_info *
ipc_type_lookup(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(ipc_types) / sizeof(ipc_types[0]); i++)
		if (ipc_types[i].type == type)
			return &ipc_types[i];
	return NULL;
}

const char *
ipc_type_name(uint16_t type)
{
	const struct ipc_type_info *t;

	if ((t = ipc_type_lookup(type)) == NULL)
		return "unknown";
	return t->name;
}

const char *
ipc_role_name(enum ipc_role role)
{
	if ((unsigned int)role >= IPC_ROLE_COUNT)
		return "none";
	return ipc_role_names[role];
}

const char *
ipc_err_str(enum ipc_err e)
{
	if ((unsigned int)e >= IPC_E_COUNT)
		return "unknown error";
	return ipc_err_names[e];
}

static bool
ipc_role_valid(enum ipc_role role)
{
	return role > IPC_ROLE_NONE && role < IPC_ROLE_COUNT;
}

enum ipc_err
ipc_frame_parse(const uint8_t *buf, size_t len, size_t nfds,
    enum ipc_role from, enum ipc_role to, struct ipc_hdr *h,
    struct rbuf *body)
{
	const struct ipc_type_info *t;
	struct rbuf r;
	uint8_t reserved;

	memset(h, 0, sizeof(*h));
	rbuf_init(&r, buf, len);
	rbuf_get_u16(&r, &h->type);
	rbuf_get_u8(&r, &h->flags);
	rbuf_get_u8(&r, &reserved);
	rbuf_get_u32(&r, &h->len);
	rbuf_get_u32(&r, &h->id);
	if (rbuf_failed(&r))
		return IPC_E_SHORT;
	/* the header's claim must match what the kernel delivered */
	if ((uint64_t)h->len != rbuf_remaining(&r))
		return IPC_E_LENGTH;
	if ((t = ipc_type_lookup(h->type)) == NULL)
		return IPC_E_TYPE;
	if (!ipc_role_valid(to) || (t->to & (1u << to)) == 0)
		return IPC_E_ROLE;
	/* before HELLO the sender is unknown; the caller admits HELLO only */
	if (from != IPC_ROLE_NONE && (!ipc_role_valid(from) ||
	    (t->from & (1u << from)) == 0))
		return IPC_E_ROLE;
	if (h->len > t->max)
		return IPC_E_OVERSIZE;
	if (nfds != t->nfds)
		return IPC_E_FDS;
	if (reserved != 0 || (h->flags & ~IPC_F_MORE) != 0 ||
	    ((h->flags & IPC_F_MORE) && t->total == 0))
		return IPC_E_FLAGS;
	if (rbuf_get_sub(&r, h->len, t->max, body) == -1)
		return IPC_E_LENGTH;
	return IPC_OK;
}

int
ipc_hdr_put(struct wbuf *w, const struct ipc_hdr *h)
{
	wbuf_put_u16(w, h->type);
	wbuf_put_u8(w, h->flags);
	wbuf_put_u8(w, 0);
	wbuf_put_u32(w, h->len);
	return wbuf_put_u32(w, h->id);
}

void
ipc_config_init(struct ipc_config *cfg, enum ipc_role self)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->self = self;
	for (i = 0; i < IPC_ROLE_COUNT; i++)
		cfg->role_uid[i] = (uid_t)-1;
	cfg->lowat = 256 * 1024;
	cfg->hiwat = 1024 * 1024;
	/* a whole multi-part reply must fit, plus room for the rest */
	cfg->queue_max = 128 * 1024 * 1024;
	cfg->hello_ms = 5000;
}

enum ipc_err
ipc_role_check(const struct ipc_config *cfg, enum ipc_role role, uid_t uid)
{
	if (!ipc_role_valid(role))
		return IPC_E_ROLE;
	if (role == IPC_ROLE_CTL)
		return IPC_OK;
	/* root is an administrator, never a daemon (DESIGN.md, "IPC") */
	if (uid == 0 || uid == (uid_t)-1 || uid != cfg->role_uid[role])
		return IPC_E_UID;
	return IPC_OK;
}

void
ipc_reasm_init(struct ipc_reasm *ra)
{
	memset(ra, 0, sizeof(*ra));
	wbuf_init_dynamic(&ra->buf, 0);
}

void
ipc_reasm_clear(struct ipc_reasm *ra)
{
	wbuf_free(&ra->buf);
	ipc_reasm_init(ra);
}

enum ipc_err
ipc_reasm_add(struct ipc_reasm *ra, const struct ipc_hdr *h,
    struct rbuf *body, const uint8_t **msg, size_t *len)
{
	static const uint8_t empty[1];
	const struct ipc_type_info *t;
	const uint8_t *p = empty;
	size_t n = rbuf_remaining(body);

	*msg = NULL;
	*len = 0;
	if ((t = ipc_type_lookup(h->type)) == NULL)
		return IPC_E_TYPE;
	/* an empty message still gets a pointer: NULL means "parts due" */
	if (n > 0 && rbuf_get_ptr(body, n, &p) == -1)
		return IPC_E_LENGTH;
	if (ra->active) {
		/* our sender queues all parts at once: nothing in between */
		if (h->type != ra->type || h->id != ra->id)
			return IPC_E_SEQUENCE;
	} else {
		if ((h->flags & IPC_F_MORE) == 0) {
			*msg = p;
			*len = n;
			return IPC_OK;
		}
		wbuf_free(&ra->buf);
		wbuf_init_dynamic(&ra->buf, t->total);
		ra->active = true;
		ra->type = h->type;
		ra->id = h->id;
	}
	/* an empty part would let a peer loop without making progress */
	if ((h->flags & IPC_F_MORE) && n == 0)
		return IPC_E_REASSEMBLY;
	if (wbuf_put_bytes(&ra->buf, p, n) == -1)
		return IPC_E_REASSEMBLY;
	if (h->flags & IPC_F_MORE)
		return IPC_OK;
	ra->active = false;
	*msg = wbuf_data(&ra->buf);
	*len = wbuf_len(&ra->buf);
	return IPC_OK;
}

int
ipc_put_str(struct wbuf *w, const char *s)
{
	return ipc_put_bytes16(w, s, strlen(s));
}

int
ipc_get_str(struct rbuf *r, char *out, size_t size)
{
	const uint8_t *p;
	size_t n;

	if (size == 0 || ipc_get_bytes16(r, size - 1, &p, &n) == -1)
		return -1;
	if (memchr(p, '\0', n) != NULL) {
		rbuf_fail(r);
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
ipc_put_bytes16(struct wbuf *w, const void *p, size_t n)
{
	if (n > UINT16_MAX) {
		/* sticky, like any other overflow of the writer */
		w->err = true;
		return -1;
	}
	wbuf_put_u16(w, (uint16_t)n);
	return wbuf_put_bytes(w, p, n);
}

int
ipc_put_bytes32(struct wbuf *w, const void *p, size_t n)
{
	if ((uint64_t)n > UINT32_MAX) {
		w->err = true;
		return -1;
	}
	wbuf_put_u32(w, (uint32_t)n);
	return wbuf_put_bytes(w, p, n);
}

static int
ipc_get_sub_ptr(struct rbuf *sub, const uint8_t **p, size_t *n)
{
	size_t len = rbuf_remaining(sub);

	if (rbuf_get_ptr(sub, len, p) == -1)
		return -1;
	*n = len;
	return 0;
}

int
ipc_get_bytes16(struct rbuf *r, size_t max, const uint8_t **p, size_t *n)
{
	struct rbuf sub;

	if (rbuf_get_sub16(r, max, &sub) == -1)
		return -1;
	return ipc_get_sub_ptr(&sub, p, n);
}

int
ipc_get_bytes32(struct rbuf *r, size_t max, const uint8_t **p, size_t *n)
{
	struct rbuf sub;

	if (rbuf_get_sub32(r, max, &sub) == -1)
		return -1;
	return ipc_get_sub_ptr(&sub, p, n);
}

int
ipc_put_bool(struct wbuf *w, bool b)
{
	return wbuf_put_u8(w, b ? 1 : 0);
}

int
ipc_get_bool(struct rbuf *r, bool *b)
{
	uint8_t v;

	if (rbuf_get_u8(r, &v) == -1)
		return -1;
	if (v > 1) {
		rbuf_fail(r);
		return -1;
	}
	*b = v == 1;
	return 0;
}

int
ipc_hello_put(struct wbuf *w, enum ipc_role role)
{
	wbuf_put_u8(w, (uint8_t)role);
	return wbuf_put_u16(w, IPC_PROTO_VERSION);
}

enum ipc_err
ipc_hello_get(struct rbuf *r, enum ipc_role *role)
{
	uint16_t version;
	uint8_t v;

	rbuf_get_u8(r, &v);
	rbuf_get_u16(r, &version);
	if (!rbuf_done(r) || !ipc_role_valid((enum ipc_role)v))
		return IPC_E_HELLO;
	if (version != IPC_PROTO_VERSION)
		return IPC_E_VERSION;
	*role = (enum ipc_role)v;
	return IPC_OK;
}

int
ipc_error_put(struct wbuf *w, uint32_t code, const char *text)
{
	wbuf_put_u32(w, code);
	return ipc_put_str(w, text);
}

int
ipc_error_get(struct rbuf *r, uint32_t *code, char *text, size_t size)
{
	uint32_t c;

	if (rbuf_get_u32(r, &c) == -1 || ipc_get_str(r, text, size) == -1)
		return -1;
	*code = c;
	return 0;
}
