/*
 * rtnetlink, spoken directly on a NETLINK_ROUTE socket (no `ip`, no
 * library): links, addresses and routes of zt-tapd's own devices.  The
 * socket is opened before the sandbox; every request is acknowledged and
 * every reply is read through the rbuf cursor.  Netlink is host-endian,
 * so fixed structs are copied out of the cursor rather than read as
 * big-endian fields.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tapd.h"

#define NL_BUF		(64 * 1024)
#define NL_REQ_MAX	1024

typedef int	 nl_cb(void *, uint16_t type, struct rbuf *);

int
nl_open(struct nl *nl)
{
	struct timeval tv = { 5, 0 };
	struct sockaddr_nl sa;

	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	nl->seq = 1;
	if ((nl->buf = malloc(NL_BUF)) == NULL)
		return -1;
	if ((nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1)
		return -1;
	/* the kernel always answers; a bound wait keeps a bug from hanging */
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1 ||
	    bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(nl->fd);
		nl->fd = -1;
		return -1;
	}
	return 0;
}

void
nl_close(struct nl *nl)
{
	if (nl->fd != -1)
		close(nl->fd);
	nl->fd = -1;
	free(nl->buf);
	nl->buf = NULL;
}

/* a message: header (filled in by nl_send), fixed part, attributes */
static void
nl_begin(struct wbuf *w, uint8_t *buf, const void *fixed, size_t len)
{
	wbuf_init(w, buf, NL_REQ_MAX);
	wbuf_put_zero(w, NLMSG_HDRLEN);
	wbuf_put_bytes(w, fixed, len);
	wbuf_put_zero(w, NLMSG_ALIGN(len) - len);
}

static void
nl_attr(struct wbuf *w, uint16_t type, const void *data, size_t len)
{
	struct rtattr rta;

	rta.rta_len = (unsigned short)RTA_LENGTH(len);
	rta.rta_type = type;
	wbuf_put_bytes(w, &rta, sizeof(rta));
	wbuf_put_bytes(w, data, len);
	wbuf_put_zero(w, RTA_ALIGN(len) - len);
}

static void
nl_attr_u32(struct wbuf *w, uint16_t type, uint32_t v)
{
	nl_attr(w, type, &v, sizeof(v));
}

/* the replies to one message of ours, until its ACK or DONE */
static int
nl_recv(struct nl *nl, uint32_t seq, nl_cb *cb, void *arg)
{
	struct nlmsghdr h;
	struct nlmsgerr e;
	struct rbuf rb, msg;
	size_t pad;
	ssize_t n;

	for (;;) {
		do {
			n = recv(nl->fd, nl->buf, NL_BUF, MSG_TRUNC);
		} while (n == -1 && errno == EINTR);
		if (n == -1)
			return -1;
		if ((size_t)n > NL_BUF) {
			errno = EMSGSIZE;
			return -1;
		}
		rbuf_init(&rb, nl->buf, (size_t)n);
		while (rbuf_remaining(&rb) >= NLMSG_HDRLEN) {
			if (rbuf_get_bytes(&rb, &h, sizeof(h)) == -1 ||
			    h.nlmsg_len < NLMSG_HDRLEN ||
			    rbuf_get_sub(&rb, h.nlmsg_len - NLMSG_HDRLEN,
			    NL_BUF, &msg) == -1)
				goto bad;
			pad = NLMSG_ALIGN(h.nlmsg_len) - h.nlmsg_len;
			rbuf_skip(&rb, pad > rbuf_remaining(&rb) ?
			    rbuf_remaining(&rb) : pad);
			if (h.nlmsg_seq != seq)
				continue;
			if (h.nlmsg_type == NLMSG_DONE)
				return 0;
			if (h.nlmsg_type == NLMSG_ERROR) {
				if (rbuf_get_bytes(&msg, &e, sizeof(e)) == -1)
					goto bad;
				if (e.error == 0)
					return 0;
				errno = -e.error;
				return -1;
			}
			if (cb != NULL && cb(arg, h.nlmsg_type, &msg) == -1)
				goto bad;
		}
	}
bad:
	log_warnx("malformed rtnetlink reply");
	errno = EPROTO;
	return -1;
}

static int
nl_call(struct nl *nl, struct wbuf *w, uint16_t type, uint16_t flags,
    nl_cb *cb, void *arg)
{
	struct sockaddr_nl sa;
	struct nlmsghdr h;
	ssize_t n;

	if (wbuf_failed(w)) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&h, 0, sizeof(h));
	h.nlmsg_len = (uint32_t)wbuf_len(w);
	h.nlmsg_type = type;
	h.nlmsg_flags = NLM_F_REQUEST | flags;
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		h.nlmsg_flags |= NLM_F_ACK;
	h.nlmsg_seq = ++nl->seq;
	memcpy(w->p, &h, sizeof(h));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	do {
		n = sendto(nl->fd, wbuf_data(w), wbuf_len(w), 0,
		    (struct sockaddr *)&sa, sizeof(sa));
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	return nl_recv(nl, h.nlmsg_seq, cb, arg);
}

/* one attribute header and a sub-reader over its payload */
static int
nl_attr_next(struct rbuf *rb, uint16_t *type, struct rbuf *val)
{
	struct rtattr rta;
	size_t pad;

	if (rbuf_get_bytes(rb, &rta, sizeof(rta)) == -1 ||
	    rta.rta_len < sizeof(rta) ||
	    rbuf_get_sub(rb, rta.rta_len - sizeof(rta), NL_BUF, val) == -1)
		return -1;
	pad = RTA_ALIGN(rta.rta_len) - rta.rta_len;
	rbuf_skip(rb, pad > rbuf_remaining(rb) ? rbuf_remaining(rb) : pad);
	*type = rta.rta_type & NLA_TYPE_MASK;
	return 0;
}

static int
nl_get_u32(struct rbuf *v, uint32_t *out)
{
	return rbuf_get_bytes(v, out, sizeof(*out));
}

static void
nl_get_name(struct rbuf *v, char *name)
{
	size_t n = rbuf_remaining(v);
	const uint8_t *p;

	name[0] = '\0';
	if (n == 0 || n > TAPD_IFNAME_MAX || rbuf_get_ptr(v, n, &p) == -1)
		return;
	memcpy(name, p, n);
	name[n - 1] = '\0';
}

/* IFLA_LINKINFO: kind "tun" with IFLA_TUN_TYPE IFF_TAP */
static int
nl_linkinfo(struct rbuf *v, struct nl_link *l)
{
	const uint8_t *kind;
	struct rbuf a, d;
	uint16_t t, dt;
	bool tun = false;
	uint8_t type = 0;

	while (rbuf_remaining(v) > 0) {
		if (nl_attr_next(v, &t, &a) == -1)
			return -1;
		if (t == IFLA_INFO_KIND)
			tun = rbuf_remaining(&a) == 4 &&
			    rbuf_get_ptr(&a, 4, &kind) == 0 &&
			    memcmp(kind, "tun", 4) == 0;
		if (t != IFLA_INFO_DATA)
			continue;
		while (rbuf_remaining(&a) > 0) {
			if (nl_attr_next(&a, &dt, &d) == -1)
				return -1;
			if (dt == IFLA_TUN_TYPE && rbuf_get_u8(&d, &type) == -1)
				return -1;
		}
	}
	l->is_tap = tun && type == IFF_TAP;
	return 0;
}

static int
nl_link_cb(void *arg, uint16_t type, struct rbuf *msg)
{
	struct nl_link *l = arg;
	struct ifinfomsg ifi;
	struct rbuf v;
	uint8_t mac[6];
	uint16_t t;

	if (type != RTM_NEWLINK)
		return 0;
	if (rbuf_get_bytes(msg, &ifi, sizeof(ifi)) == -1)
		return -1;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi.ifi_index;
	l->up = (ifi.ifi_flags & IFF_UP) != 0;
	while (rbuf_remaining(msg) > 0) {
		if (nl_attr_next(msg, &t, &v) == -1)
			return -1;
		if (t == IFLA_IFNAME)
			nl_get_name(&v, l->name);
		else if (t == IFLA_MTU)
			nl_get_u32(&v, &l->mtu);
		else if (t == IFLA_ADDRESS && rbuf_remaining(&v) == 6 &&
		    rbuf_get_bytes(&v, mac, 6) == 0)
			l->mac = mac_from_bytes(mac);
		else if (t == IFLA_LINKINFO && nl_linkinfo(&v, l) == -1)
			return -1;
	}
	return 0;
}

int
nl_link_get(struct nl *nl, const char *name, struct nl_link *l)
{
	uint8_t buf[NL_REQ_MAX];
	struct ifinfomsg ifi;
	struct wbuf w;

	memset(&ifi, 0, sizeof(ifi));
	memset(l, 0, sizeof(*l));
	nl_begin(&w, buf, &ifi, sizeof(ifi));
	nl_attr(&w, IFLA_IFNAME, name, strlen(name) + 1);
	if (nl_call(nl, &w, RTM_GETLINK, 0, nl_link_cb, l) == -1)
		return -1;
	if (l->ifindex == 0 || strcmp(l->name, name) != 0) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

int
nl_link_set(struct nl *nl, int ifindex, uint64_t mac, unsigned int mtu,
    int up)
{
	uint8_t buf[NL_REQ_MAX], m[6];
	struct ifinfomsg ifi;
	struct wbuf w;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	if (up != -1) {
		ifi.ifi_change = IFF_UP | IFF_MULTICAST;
		ifi.ifi_flags = IFF_MULTICAST | (up ? IFF_UP : 0);
	}
	nl_begin(&w, buf, &ifi, sizeof(ifi));
	if (mac != 0) {
		mac_to_bytes(mac, m);
		nl_attr(&w, IFLA_ADDRESS, m, sizeof(m));
	}
	if (mtu != 0) {
		nl_attr_u32(&w, IFLA_MTU, mtu);
		/*
		 * zt-vl2d drains the TAP in bursts; the default queue of
		 * 1,000 frames overflows under a UDP burst before it wakes
		 */
		nl_attr_u32(&w, IFLA_TXQLEN, TAPD_TXQLEN);
	}
	return nl_call(nl, &w, RTM_NEWLINK, 0, NULL, NULL);
}

int
nl_link_del(struct nl *nl, int ifindex)
{
	uint8_t buf[NL_REQ_MAX];
	struct ifinfomsg ifi;
	struct wbuf w;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_index = ifindex;
	nl_begin(&w, buf, &ifi, sizeof(ifi));
	return nl_call(nl, &w, RTM_DELLINK, 0, NULL, NULL);
}

static int
nl_family(const struct inetaddr *a)
{
	return a->family == INETADDR_V4 ? AF_INET : AF_INET6;
}

static size_t
nl_iplen(const struct inetaddr *a)
{
	return a->family == INETADDR_V4 ? 4 : 16;
}

struct nl_list {
	int		 ifindex;
	void		*out;
	size_t		 max;
	size_t		 n;
};

static int
nl_addr_cb(void *arg, uint16_t type, struct rbuf *msg)
{
	struct nl_list *ls = arg;
	struct ifaddrmsg ifa;
	struct nl_addr a;
	struct rbuf v;
	uint8_t ip[16];
	bool have_local = false;
	uint16_t t;

	if (type != RTM_NEWADDR)
		return 0;
	if (rbuf_get_bytes(msg, &ifa, sizeof(ifa)) == -1)
		return -1;
	if ((int)ifa.ifa_index != ls->ifindex || (ifa.ifa_family != AF_INET &&
	    ifa.ifa_family != AF_INET6))
		return 0;
	memset(&a, 0, sizeof(a));
	a.scope = ifa.ifa_scope;
	while (rbuf_remaining(msg) > 0) {
		if (nl_attr_next(msg, &t, &v) == -1)
			return -1;
		if ((t != IFA_ADDRESS || have_local) && t != IFA_LOCAL)
			continue;
		if (ifa.ifa_family == AF_INET && rbuf_remaining(&v) == 4 &&
		    rbuf_get_bytes(&v, ip, 4) == 0)
			inetaddr_set_v4(&a.addr, ip, ifa.ifa_prefixlen);
		else if (ifa.ifa_family == AF_INET6 &&
		    rbuf_remaining(&v) == 16 && rbuf_get_bytes(&v, ip, 16) == 0)
			inetaddr_set_v6(&a.addr, ip, ifa.ifa_prefixlen);
		have_local = t == IFA_LOCAL;
	}
	if (inetaddr_is_nil(&a.addr) || ls->n == ls->max)
		return 0;
	((struct nl_addr *)ls->out)[ls->n++] = a;
	return 0;
}

int
nl_addr_list(struct nl *nl, int ifindex, struct nl_addr *out, size_t max,
    size_t *n)
{
	struct nl_list ls = { ifindex, out, max, 0 };
	uint8_t buf[NL_REQ_MAX];
	struct ifaddrmsg ifa;
	struct wbuf w;

	memset(&ifa, 0, sizeof(ifa));
	nl_begin(&w, buf, &ifa, sizeof(ifa));
	if (nl_call(nl, &w, RTM_GETADDR, NLM_F_DUMP, nl_addr_cb, &ls) == -1)
		return -1;
	*n = ls.n;
	return 0;
}

int
nl_addr_change(struct nl *nl, bool add, int ifindex,
    const struct inetaddr *a)
{
	uint8_t buf[NL_REQ_MAX];
	struct ifaddrmsg ifa;
	struct wbuf w;

	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = (uint8_t)nl_family(a);
	ifa.ifa_prefixlen = (uint8_t)inetaddr_netmask_bits(a);
	/* a managed address is the network's to give: no DAD wait */
	ifa.ifa_flags = a->family == INETADDR_V6 ? IFA_F_NODAD : 0;
	ifa.ifa_index = (uint32_t)ifindex;
	nl_begin(&w, buf, &ifa, sizeof(ifa));
	if (a->family == INETADDR_V4)
		nl_attr(&w, IFA_LOCAL, a->ip, 4);
	nl_attr(&w, IFA_ADDRESS, a->ip, nl_iplen(a));
	return nl_call(nl, &w, add ? RTM_NEWADDR : RTM_DELADDR,
	    add ? NLM_F_CREATE | NLM_F_REPLACE : 0, NULL, NULL);
}

static int
nl_route_cb(void *arg, uint16_t type, struct rbuf *msg)
{
	struct nl_list *ls = arg;
	struct nl_route r;
	struct rtmsg rtm;
	struct rbuf v;
	uint32_t oif = 0, table;
	uint8_t ip[16];
	uint16_t t;

	if (type != RTM_NEWROUTE)
		return 0;
	if (rbuf_get_bytes(msg, &rtm, sizeof(rtm)) == -1)
		return -1;
	if (rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6)
		return 0;
	memset(&r, 0, sizeof(r));
	table = rtm.rtm_table;
	r.proto = rtm.rtm_protocol;
	memset(ip, 0, sizeof(ip));
	if (rtm.rtm_family == AF_INET)
		inetaddr_set_v4(&r.target, ip, rtm.rtm_dst_len);
	else
		inetaddr_set_v6(&r.target, ip, rtm.rtm_dst_len);
	while (rbuf_remaining(msg) > 0) {
		if (nl_attr_next(msg, &t, &v) == -1)
			return -1;
		if (t == RTA_OIF)
			nl_get_u32(&v, &oif);
		else if (t == RTA_TABLE)
			nl_get_u32(&v, &table);
		else if ((t == RTA_DST || t == RTA_GATEWAY) &&
		    rbuf_remaining(&v) == (rtm.rtm_family == AF_INET ? 4 :
		    16) && rbuf_get_bytes(&v, ip, rbuf_remaining(&v)) == 0) {
			struct inetaddr *a = t == RTA_DST ? &r.target : &r.via;

			if (rtm.rtm_family == AF_INET)
				inetaddr_set_v4(a, ip, t == RTA_DST ?
				    rtm.rtm_dst_len : 0);
			else
				inetaddr_set_v6(a, ip, t == RTA_DST ?
				    rtm.rtm_dst_len : 0);
		}
	}
	if ((int)oif != ls->ifindex || table != RT_TABLE_MAIN ||
	    ls->n == ls->max)
		return 0;
	r.oif = (int)oif;
	((struct nl_route *)ls->out)[ls->n++] = r;
	return 0;
}

int
nl_route_list(struct nl *nl, int ifindex, struct nl_route *out, size_t max,
    size_t *n)
{
	struct nl_list ls = { ifindex, out, max, 0 };
	uint8_t buf[NL_REQ_MAX];
	struct rtmsg rtm;
	struct wbuf w;

	memset(&rtm, 0, sizeof(rtm));
	nl_begin(&w, buf, &rtm, sizeof(rtm));
	if (nl_call(nl, &w, RTM_GETROUTE, NLM_F_DUMP, nl_route_cb, &ls) == -1)
		return -1;
	*n = ls.n;
	return 0;
}

int
nl_route_change(struct nl *nl, bool add, int ifindex,
    const struct inetaddr *target, const struct inetaddr *via,
    const struct inetaddr *src)
{
	uint8_t buf[NL_REQ_MAX];
	bool gw = via != NULL && !inetaddr_is_nil(via);
	struct rtmsg rtm;
	struct wbuf w;

	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = (uint8_t)nl_family(target);
	rtm.rtm_dst_len = (uint8_t)inetaddr_netmask_bits(target);
	rtm.rtm_table = RT_TABLE_MAIN;
	rtm.rtm_protocol = TAPD_RTPROT;
	/* a delete matches any scope only when given NOWHERE */
	rtm.rtm_scope = !add ? RT_SCOPE_NOWHERE : gw ? RT_SCOPE_UNIVERSE :
	    RT_SCOPE_LINK;
	rtm.rtm_type = RTN_UNICAST;
	nl_begin(&w, buf, &rtm, sizeof(rtm));
	nl_attr(&w, RTA_DST, target->ip, nl_iplen(target));
	nl_attr_u32(&w, RTA_OIF, (uint32_t)ifindex);
	if (gw)
		nl_attr(&w, RTA_GATEWAY, via->ip, nl_iplen(via));
	if (add && src != NULL && !inetaddr_is_nil(src))
		nl_attr(&w, RTA_PREFSRC, src->ip, nl_iplen(src));
	return nl_call(nl, &w, add ? RTM_NEWROUTE : RTM_DELROUTE,
	    add ? NLM_F_CREATE | NLM_F_REPLACE : 0, NULL, NULL);
}
