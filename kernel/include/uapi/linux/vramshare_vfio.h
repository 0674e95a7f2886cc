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

#endif /* _UAPI_VRAMSHARE_VFIO_H */
