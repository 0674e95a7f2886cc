/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vramshare: VFIO dma-buf export uAPI.
 *
 * The VFIO_DEVICE_FEATURE_DMA_BUF part has the same number and layout as
 * upstream Linux (6.19 and later), so that a program written against
 * upstream's <linux/vfio.h> works unchanged on a kernel running the
 * vfio-pci-dmabuf variant driver. It is only defined here when the
 * installed <linux/vfio.h> does not already define it.
 */
#ifndef _UAPI_VRAMSHARE_VFIO_H
#define _UAPI_VRAMSHARE_VFIO_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_FEATURE_DMA_BUF

/*
 * VFIO_DEVICE_FEATURE_GET with this feature creates a dma-buf of one or
 * more page-aligned ranges of a BAR and returns its file descriptor as the
 * ioctl's return value. open_flags are open(2) flags (O_CLOEXEC, O_RDWR).
 * flags must be 0.
 */
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

/**
 * struct vfio_region_dma_range - one slice of a region
 * @offset: byte offset into the region, page aligned
 * @length: byte length, page aligned and not zero
 */
struct vfio_region_dma_range {
	__u64 offset;
	__u64 length;
};

/**
 * struct vfio_device_feature_dma_buf - VFIO_DEVICE_FEATURE_DMA_BUF payload
 * @region_index: the BAR (VFIO_PCI_BAR0_REGION_INDEX .. BAR5)
 * @open_flags: open(2) flags of the new dma-buf file
 * @flags: must be 0
 * @nr_ranges: number of entries in @dma_ranges, at least 1
 * @dma_ranges: the slices, in the order they appear in the dma-buf
 */
struct vfio_device_feature_dma_buf {
	__u32 region_index;
	__u32 open_flags;
	__u32 flags;
	__u32 nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};

#endif /* VFIO_DEVICE_FEATURE_DMA_BUF */

/*
 * vramshare extensions, on the same VFIO_DEVICE_FEATURE ioctl of the
 * exporting device. Upstream numbers its features upward from 0; ours
 * count down from 0xffff (VFIO_DEVICE_FEATURE_MASK), so they cannot
 * collide. Discover them with VFIO_DEVICE_FEATURE_PROBE, and the version
 * with VRAMSHARE_DMA_BUF_CTL_QUERY.
 */
#define VRAMSHARE_UAPI_VERSION			2

#define VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL	0xfffe

/* struct vramshare_dma_buf_ctl.op */
#define VRAMSHARE_DMA_BUF_CTL_QUERY		0	/* with FEATURE_GET */
#define VRAMSHARE_DMA_BUF_CTL_REVOKE		1	/* with FEATURE_SET */
#define VRAMSHARE_DMA_BUF_CTL_SET_EVENTFD	2	/* with FEATURE_SET */
#define VRAMSHARE_DMA_BUF_CTL_SET_MMAP_ATTR	3	/* with FEATURE_SET */

/* struct vramshare_dma_buf_ctl.state */
#define VRAMSHARE_DMA_BUF_LIVE			0
#define VRAMSHARE_DMA_BUF_REVOKED		1	/* until restored */
#define VRAMSHARE_DMA_BUF_GONE			2	/* for good */

/* struct vramshare_dma_buf_ctl.attr, for SET_MMAP_ATTR */
#define VRAMSHARE_MMAP_UNCACHED			0	/* the default */
#define VRAMSHARE_MMAP_WRITE_COMBINE		1

/**
 * struct vramshare_dma_buf_ctl - act on one dma-buf exported by the device
 * @op: VRAMSHARE_DMA_BUF_CTL_*
 * @dmabuf_fd: a dma-buf exported from this device
 * @eventfd: SET_EVENTFD: an eventfd signalled once on every state
 *           transition (revoke, restore, gone), or -1 to remove it;
 *           otherwise must be 0
 * @attr: SET_MMAP_ATTR: VRAMSHARE_MMAP_*, for CPU mappings made after
 *        the call; otherwise must be 0
 * @state: out (QUERY): VRAMSHARE_DMA_BUF_LIVE, _REVOKED or _GONE
 * @version: out (QUERY): VRAMSHARE_UAPI_VERSION of the running driver
 * @generation: out (QUERY): number of state transitions so far
 * @reserved: must be 0
 *
 * REVOKE revokes the dma-buf for good: importers are told through
 * move_notify and can never map it again, CPU mappings get SIGBUS. It
 * waits (module parameter revoke_timeout_ms) for importers to unmap and
 * for the fences they left, and fails with -EBUSY if one still maps it
 * then (it ignored move_notify, or pinned the dma-buf), a fence is still
 * pending, or an importer once detached holding a mapping: revoked all
 * the same, but the memory may still be reached, so it must not be
 * handed to anyone else. A later REVOKE tells again.
 */
struct vramshare_dma_buf_ctl {
	__u32 op;
	__s32 dmabuf_fd;
	__s32 eventfd;
	__u32 attr;
	__u32 state;
	__u32 version;
	__u64 generation;
	__u64 reserved;
};

/*
 * VFIO_DEVICE_FEATURE_GET with this feature lists the importers attached
 * to one dma-buf exported by the device (version 2 and later).
 */
#define VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_ATTACHMENTS	0xfffd

/* struct vramshare_dma_buf_attachment.route */
#define VRAMSHARE_ROUTE_BUS_ADDRESS		1	/* below a common switch */
#define VRAMSHARE_ROUTE_HOST_BRIDGE		2	/* through the host bridge */

/* The most entries one call writes. */
#define VRAMSHARE_MAX_ATTACHMENTS		64

/**
 * struct vramshare_dma_buf_attachment - one importer of a dma-buf
 * @device: the importing device's name (a PCI address for PCI devices),
 *          NUL-terminated, cut to fit
 * @driver: the name of the driver it is bound to, NUL-terminated, cut
 *          to fit
 * @route: VRAMSHARE_ROUTE_*: how the device reaches the BAR
 * @mappings: DMA mappings of the dma-buf the importer holds now
 * @reserved: 0
 */
struct vramshare_dma_buf_attachment {
	char device[32];
	char driver[32];
	__u32 route;
	__u32 mappings;
	__u64 reserved;
};

/**
 * struct vramshare_dma_buf_attachments - list a dma-buf's importers
 * @dmabuf_fd: a dma-buf exported from this device
 * @flags: must be 0
 * @start: index of the first importer wanted (0: the oldest)
 * @count: in: entries @entries has room for; out: importers attached
 *         now, all of them, whatever @start. Entries @start onwards are
 *         written, oldest attachment first, at most the in value and at
 *         most VRAMSHARE_MAX_ATTACHMENTS of them.
 * @entries: user pointer to an array of struct
 *           vramshare_dma_buf_attachment; may be 0 when @count is 0
 *
 * A snapshot: importers attach and detach at any time. Errors: EBADF,
 * EINVAL (not a dma-buf of this device, non-zero @flags), EFAULT, ENOMEM.
 */
struct vramshare_dma_buf_attachments {
	__s32 dmabuf_fd;
	__u32 flags;
	__u32 start;
	__u32 count;
	__u64 entries;
};

#endif /* _UAPI_VRAMSHARE_VFIO_H */
