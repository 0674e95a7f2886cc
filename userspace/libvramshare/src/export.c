// SPDX-License-Identifier: MIT
/*
 * libvramshare: exporting BAR ranges as dma-bufs with upstream's
 * VFIO_DEVICE_FEATURE_DMA_BUF (vfio-pci-dmabuf on older kernels).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/vfio.h>
#include <linux/vramshare_vfio.h>

#include "internal.h"

/* The kernel bounds nr_ranges; this keeps the request's size sane. */
#define VRS_MAX_RANGES 4096

int vrs_export(struct vrs_device *dev, unsigned int bar,
	       const struct vrs_range *ranges, unsigned int nr_ranges,
	       int open_flags, int *dmabuf_fd)
{
	struct vfio_device_feature_dma_buf *req;
	struct vfio_device_feature *feature;
	size_t size;
	unsigned int i;
	int fd;

	if (!dev || !dmabuf_fd || (nr_ranges && !ranges) ||
	    nr_ranges > VRS_MAX_RANGES)
		return -EINVAL;

	size = sizeof(*feature) + sizeof(*req) +
	       nr_ranges * sizeof(req->dma_ranges[0]);
	feature = calloc(1, size);
	if (!feature)
		return -ENOMEM;
	feature->argsz = size;
	feature->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	req = (struct vfio_device_feature_dma_buf *)feature->data;
	req->region_index = bar;
	req->open_flags = open_flags;
	req->nr_ranges = nr_ranges;
	for (i = 0; i < nr_ranges; i++) {
		req->dma_ranges[i].offset = ranges[i].offset;
		req->dma_ranges[i].length = ranges[i].length;
	}

	fd = ioctl(dev->device_fd, VFIO_DEVICE_FEATURE, feature);
	free(feature);
	if (fd < 0)
		return vrs_errno();
	*dmabuf_fd = fd;
	return 0;
}

int vrs_export_supported(struct vrs_device *dev)
{
	return vrs_feature_probe(dev, VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_DMA_BUF);
}

int vrs_feature_probe(struct vrs_device *dev, uint32_t feature_flags)
{
	struct vfio_device_feature feature = {
		.argsz = sizeof(feature),
		.flags = VFIO_DEVICE_FEATURE_PROBE | feature_flags,
	};

	if (!dev)
		return -EINVAL;
	if (ioctl(dev->device_fd, VFIO_DEVICE_FEATURE, &feature) == 0)
		return 1;
	return errno == ENOTTY || errno == EINVAL ? 0 : vrs_errno();
}
