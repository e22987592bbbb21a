/*
 * /dev/net/tun: persistent TAP devices (IFF_TAP | IFF_NO_PI, as ZeroTier
 * One's Linux port, spec/service.md §9).  A persistent device outlives
 * the fd, so zt-tapd keeps no fd of its own: zt-vl2d holds the only one,
 * and a crash of either daemon leaves the device, its addresses and
 * routes in place.
 */
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tapd.h"

/* UDP segmentation offload arrived in Linux 6.2 (Debian 12 runs 6.1) */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6	0x40
#endif

#define TAP_DEV		"/dev/net/tun"

/*
 * Each set is what the kernel needs together: TSO with checksums, ECN
 * with TSO, and USO only as the IPv4 and IPv6 pair.
 */
static const struct {
	unsigned int	 flags;
	const char	*name;
} tap_offloads[] = {
	{ TUN_F_CSUM, "csum" },
	{ TUN_F_CSUM | TUN_F_TSO4, "tso4" },
	{ TUN_F_CSUM | TUN_F_TSO6, "tso6" },
	{ TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN, "tso-ecn" },
	{ TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6, "uso" },
};

/*
 * Offloads need IFF_VNET_HDR, so the probe runs on a throwaway queue
 * that is never made persistent: an unnamed device the kernel deletes
 * on close.  Each offload set is tried alone (an unknown bit is EINVAL,
 * so 6.1 refuses USO) and the log states what this kernel offers.
 * Frames between ZeroTier nodes are plain Ethernet: a device is handed
 * out with a virtio header only when zt-vl2d asks (TAPD_OPEN_VNET_HDR),
 * and zt-vl2d cuts super-frames itself.
 */
void
tap_probe(uint32_t *offloads)
{
	char list[128] = "";
	unsigned int features = 0, on;
	struct ifreq ifr;
	size_t i, off = 0;
	int fd, n;

	*offloads = 0;
	if ((fd = open(TAP_DEV, O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("%s", TAP_DEV);
		return;
	}
	if (ioctl(fd, TUNGETFEATURES, &features) == -1)
		log_warn("TUNGETFEATURES");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if ((features & IFF_VNET_HDR) == 0 ||
	    ioctl(fd, TUNSETIFF, &ifr) == -1) {
		log_info("tun: features 0x%x, no virtio-net header support",
		    features);
		close(fd);
		return;
	}
	for (i = 0; i < sizeof(tap_offloads) / sizeof(tap_offloads[0]);
	    i++) {
		on = tap_offloads[i].flags;
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)on) == 0) {
			*offloads |= on;
			n = snprintf(list + off, sizeof(list) - off, " %s",
			    tap_offloads[i].name);
			if (n > 0 && (size_t)n < sizeof(list) - off)
				off += (size_t)n;
		}
	}
	close(fd);
	log_info("tun: features 0x%x, IFF_VNET_HDR, offloads:%s (used when "
	    "zt-vl2d asks for a virtio header)", features,
	    *offloads != 0 ? list : " none");
}

int
tap_attach(const char *name, bool create, bool vnet_hdr)
{
	struct ifreq ifr;
	int fd, saved;

	if ((fd = open(TAP_DEV, O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	/* never take over a device someone else created under the name */
	if (create)
		ifr.ifr_flags |= IFF_TUN_EXCL;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1 ||
	    strcmp(ifr.ifr_name, name) != 0)
		goto fail;
	if (create && ioctl(fd, TUNSETPERSIST, 1UL) == -1)
		goto fail;
	/*
	 * Offloads belong to the device and outlive the fd: after an
	 * attach with a virtio header asked for them, a reader without one
	 * would get super-frames.  Each attach starts with none; the
	 * reader of a virtio-header fd enables what it can segment.
	 */
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) == -1)
		goto fail;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
