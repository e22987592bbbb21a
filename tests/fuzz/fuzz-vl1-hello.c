/*
 * HELLO receive (spec/vl1.md §4.2) in a whole engine.  The first input
 * byte picks the mode: a raw datagram (as the Internet sends it), or a
 * HELLO from a known peer whose fixed fields and identity are right and
 * whose version, timestamp and optional fields (physical address, planet,
 * encrypted moon list) come from the input, armored so that it gets past
 * the MAC to the parser.  Either way: no crash, nothing delivered to VL2.
 */
#undef NDEBUG
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "armor.h"
#include "buf.h"
#include "node_int.h"
#include "packet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* public identities from vectors/identities.json */
static const char self_id[] = "8899332b2c:0:70a9b4c04b9bc5414a36cf0e87b8ae9e"
    "c8a211d33c4f2d7f191fbb67c19c2458d62e6117db13649b3cdfd05f845e23a4c5fe2"
    "3c44b6e5f447a6315d8f1ac32cb";
static const char peer_id[] = "c211c6b838:0:3fb5d34e3580bcc883b24986d9c41e45"
    "f405e1b93641ad0222574115accb3168a7dbd19fb0b3abc5fd71cdb503672bbb482ab"
    "bf293352c855c89ff9f15578446";

static struct vl1_node *node;
static struct identity peer;
static struct armor_key *peer_key;
static uint64_t counter;
static unsigned int vl2_calls;

static void
h_send(void *arg, int sock, const struct inetaddr *to, const uint8_t *d,
    size_t len, int ttl)
{
	(void)arg;
	(void)sock;
	(void)to;
	(void)ttl;
	assert(len <= ZT_MAX_PACKET_LEN);
	(void)d;
}

/* the fuzz target has no secrets: every agreement yields one fixed key */
static int
h_agree(void *arg, const struct identity *p, uint8_t key[ZT_AGREED_KEY_LEN])
{
	(void)arg;
	(void)p;
	memset(key, 0x5a, ZT_AGREED_KEY_LEN);
	return 0;
}

static void
h_random(void *arg, void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(++counter * 0x9e3779b97f4a7c15ULL >> 56);
}

static void
h_vl2(void *arg, uint64_t src, const uint8_t *p, size_t len, int64_t now)
{
	(void)arg;
	(void)src;
	(void)p;
	(void)len;
	(void)now;
	vl2_calls++;
}

static void
h_setup(void)
{
	uint8_t key[ZT_AGREED_KEY_LEN];
	struct identity self;
	struct vl1_config c;
	struct vl1_io io;

	assert(identity_from_string(&self, self_id) == 0);
	assert(identity_from_string(&peer, peer_id) == 0);
	memset(&io, 0, sizeof(io));
	io.send = h_send;
	io.agree = h_agree;
	io.random = h_random;
	io.vl2 = h_vl2;
	memset(&c, 0, sizeof(c));
	c.self = &self;
	assert((node = vl1_node_new(&c, &io, 1)) != NULL);
	assert(vl1_learn_peer(node, &peer, 1) != NULL);
	h_agree(NULL, &peer, key);
	assert((peer_key = armor_key_new(key)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[ZT_MAX_PACKET_LEN];
	static int64_t now = 1000;
	struct inetaddr from;
	uint8_t ip[4] = { 198, 18, 0, 1 };
	struct wbuf w;
	size_t len, field;

	if (node == NULL)
		h_setup();
	now += 10000;	/* past every rate limit */
	if (size < 1)
		return 0;
	ip[2] = data[0];
	inetaddr_set_v4(&from, ip, 9993);
	if (data[0] & 1) {
		if (size - 1 > sizeof(pkt))
			return 0;
		memcpy(pkt, data + 1, size - 1);
		vl1_node_receive(node, 0, &from, pkt, size - 1, now);
		assert(vl2_calls == 0);
		return 0;
	}
	if (size < 14)
		return 0;
	len = vl1_header(node, pkt, node->self.address, VL1_VERB_HELLO);
	be40_put(pkt + ZT_PKT_IDX_SOURCE, peer.address);
	wbuf_init(&w, pkt + len, sizeof(pkt) - len);
	wbuf_put_bytes(&w, data + 1, 13);	/* versions, timestamp */
	identity_serialize(&peer, false, &w);
	/* the rest: address, planet id and timestamp, then the moon list */
	field = len + wbuf_len(&w) + (data[0] >> 1);
	wbuf_put_bytes(&w, data + 14, size - 14);
	if (wbuf_failed(&w))
		return 0;
	len += wbuf_len(&w);
	if (field < len)
		armor_crypt_field(pkt, len, peer_key, field, len - field);
	if (armor_packet(pkt, len, peer_key, ARMOR_SUITE_POLY1305) == -1)
		return 0;
	vl1_node_receive(node, 0, &from, pkt, len, now);
	assert(vl2_calls == 0);
	return 0;
}
