#pragma once
/*
 * zt-vl2d's data path between the TAP and zt-vl1d (spec/vl2.md §2-3,
 * §6, §8-9): switch.c, multicast.c and membership.c of lib zt_vl2 with
 * the daemon's clock, identities, TAP fds and VL2_SEND batch.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mac_group;
struct vl2d_ctx;
struct vl2d_net;

/* multicast state of the process, at start-up */
void	 vl2d_frame_init(struct vl2d_ctx *);
/* a joined network gets its switch (once our address is known) */
void	 vl2d_frame_attach(struct vl2d_net *);
void	 vl2d_frame_detach(struct vl2d_net *);
/* a new config was applied (called before the old one is freed) */
void	 vl2d_frame_config(struct vl2d_net *);
/* the groups zt-tapd reported for the TAP */
void	 vl2d_frame_tap_groups(struct vl2d_net *, const struct mac_group *,
	    size_t);
/* FRAME, EXT_FRAME, MULTICAST_*, NETWORK_CREDENTIALS for a joined net */
void	 vl2d_frame_packet(struct vl2d_net *, uint64_t src, uint8_t verb,
	    const uint8_t *pkt, size_t len);
/* OK in re a frame or gather (whole packet) */
void	 vl2d_frame_ok(struct vl2d_ctx *, uint64_t src, const uint8_t *pkt,
	    size_t len);
/* ERROR in re anything but a config request (payload) */
void	 vl2d_frame_error(struct vl2d_ctx *, uint64_t src, const uint8_t *,
	    size_t);
/* NETWORK_CREDENTIALS (whole packet) */
void	 vl2d_frame_credentials(struct vl2d_ctx *, uint64_t src,
	    const uint8_t *, size_t);
/* LIKE announcements, gather expiry */
void	 vl2d_frame_tick(struct vl2d_net *, int64_t now);
/* drains the TAP fd (one VL2_SEND batch per wake-up) */
void	 vl2d_frame_tap_read(struct vl2d_net *);
/*
 * A TAP fd arrived from zt-tapd; vnet: it was opened with a virtio
 * header (TAPD_OPEN_VNET_HDR), so offloads are enabled on it and every
 * read and write carries the header.  -1: no memory for the offload
 * state (the fd is then not usable and the caller closes it).
 */
int	 vl2d_frame_tap_attach(struct vl2d_net *, bool vnet);
/* the TAP fd goes: its offload state too */
void	 vl2d_frame_tap_detach(struct vl2d_net *);
/* writes the frames joined for the TAPs (end of a batch from zt-vl1d) */
void	 vl2d_frame_tap_flush(struct vl2d_ctx *);
