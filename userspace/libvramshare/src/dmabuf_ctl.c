// SPDX-License-Identifier: MIT
/*
 * libvramshare: what vfio-pci-dmabuf offers beyond upstream for one
 * exported dma-buf (VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL and
 * _ATTACHMENTS), and the exporter's memory decode switch.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <linux/vramshare_vfio.h>

#include "internal.h"

struct vrs_ctl_request {
	struct vfio_device_feature feature;
	struct vramshare_dma_buf_ctl ctl;
};

static int vrs_ctl(struct vrs_device *dev, uint32_t get_or_set,
		   struct vramshare_dma_buf_ctl *ctl)
{
	struct vrs_ctl_request req;

	if (!dev)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.feature.argsz = sizeof(req);
	req.feature.flags = get_or_set |
			    VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL;
	req.ctl = *ctl;
	if (ioctl(dev->device_fd, VFIO_DEVICE_FEATURE, &req) < 0)
		return vrs_errno();
	*ctl = req.ctl;
	return 0;
}

/* vrs_dmabuf_query@VRAMSHARE_0.2 (no struct_size): compat.c */
int vrs_dmabuf_query_v04(struct vrs_device *dev, int dmabuf_fd,
			 struct vrs_dmabuf_state *state)
{
	struct vramshare_dma_buf_ctl ctl = {
		.op = VRAMSHARE_DMA_BUF_CTL_QUERY,
		.dmabuf_fd = dmabuf_fd,
	};
	struct vrs_dmabuf_state full;
	size_t size;
	int ret;

	if (!state || state->struct_size < VRS_DMABUF_STATE_MIN_SIZE)
		return -EINVAL;
	ret = vrs_ctl(dev, VFIO_DEVICE_FEATURE_GET, &ctl);
	if (ret)
		return ret;
	size = state->struct_size < sizeof(full) ? state->struct_size :
						    sizeof(full);
	memset(&full, 0, sizeof(full));
	full.struct_size = (uint32_t)size;
	full.state = (enum vrs_dmabuf_state_kind)ctl.state;
	full.generation = ctl.generation;
	full.version = ctl.version;
	memcpy(state, &full, size);
	return 0;
}
VRS_SYMBOL_DEFAULT(vrs_dmabuf_query_v04, vrs_dmabuf_query, "VRAMSHARE_0.4");

int vrs_dmabuf_revoke(struct vrs_device *dev, int dmabuf_fd)
{
	struct vramshare_dma_buf_ctl ctl = {
		.op = VRAMSHARE_DMA_BUF_CTL_REVOKE,
		.dmabuf_fd = dmabuf_fd,
	};

	return vrs_ctl(dev, VFIO_DEVICE_FEATURE_SET, &ctl);
}

int vrs_dmabuf_set_eventfd(struct vrs_device *dev, int dmabuf_fd,
			   int eventfd)
{
	struct vramshare_dma_buf_ctl ctl = {
		.op = VRAMSHARE_DMA_BUF_CTL_SET_EVENTFD,
		.dmabuf_fd = dmabuf_fd,
		.eventfd = eventfd,
	};

	return vrs_ctl(dev, VFIO_DEVICE_FEATURE_SET, &ctl);
}

int vrs_dmabuf_set_write_combine(struct vrs_device *dev, int dmabuf_fd,
				 int enable)
{
	struct vramshare_dma_buf_ctl ctl = {
		.op = VRAMSHARE_DMA_BUF_CTL_SET_MMAP_ATTR,
		.dmabuf_fd = dmabuf_fd,
		.attr = enable ? VRAMSHARE_MMAP_WRITE_COMBINE :
				 VRAMSHARE_MMAP_UNCACHED,
	};

	return vrs_ctl(dev, VFIO_DEVICE_FEATURE_SET, &ctl);
}

/*
 * One page of the driver's listing from importer @start on, into the
 * library's own struct (same fields): the entries stored, or -errno.
 */
static int vrs_attachments_page(struct vrs_device *dev, int dmabuf_fd,
				unsigned int start, struct vrs_attachment *list,
				unsigned int room, unsigned int *total)
{
	struct vramshare_dma_buf_attachment raw[VRAMSHARE_MAX_ATTACHMENTS];
	struct {
		struct vfio_device_feature feature;
		struct vramshare_dma_buf_attachments req;
	} arg;
	unsigned int n;

	memset(&arg, 0, sizeof(arg));
	arg.feature.argsz = sizeof(arg);
	arg.feature.flags = VFIO_DEVICE_FEATURE_GET |
			    VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_ATTACHMENTS;
	arg.req.dmabuf_fd = dmabuf_fd;
	arg.req.start = start;
	arg.req.count = room < VRAMSHARE_MAX_ATTACHMENTS ? room :
		VRAMSHARE_MAX_ATTACHMENTS;
	arg.req.entries = (uintptr_t)raw;
	n = arg.req.count;
	if (ioctl(dev->device_fd, VFIO_DEVICE_FEATURE, &arg) < 0)
		return vrs_errno();
	*total = arg.req.count;
	if (*total <= start)
		return 0;
	if (n > *total - start)
		n = *total - start;
	for (unsigned int i = 0; i < n; i++) {
		memset(&list[i], 0, sizeof(list[i]));
		memcpy(list[i].device, raw[i].device, sizeof(list[i].device));
		list[i].device[sizeof(list[i].device) - 1] = '\0';
		memcpy(list[i].driver, raw[i].driver, sizeof(list[i].driver));
		list[i].driver[sizeof(list[i].driver) - 1] = '\0';
		list[i].route = raw[i].route;
		list[i].mappings = raw[i].mappings;
	}
	return (int)n;
}

/* The driver answers 64 entries at most: longer lists take several pages. */
int vrs_dmabuf_attachments(struct vrs_device *dev, int dmabuf_fd,
			   struct vrs_attachment *list, unsigned int max,
			   unsigned int *count)
{
	unsigned int got = 0, total = 0;
	int n;

	if (!dev || !count || (max && !list))
		return -EINVAL;
	do {
		n = vrs_attachments_page(dev, dmabuf_fd, got, list + got,
					 max - got, &total);
		if (n < 0)
			return n;
		got += (unsigned int)n;
	} while (n > 0 && got < max && got < total);
	*count = total;
	return 0;
}

int vrs_dmabuf_ctl_supported(struct vrs_device *dev)
{
	return vrs_feature_probe(dev, VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_SET |
				 VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL);
}

/* The PCI command register, through vfio's config region. */
int vrs_device_set_memory_decode(struct vrs_device *dev, int enable)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	uint16_t cmd;
	off_t at;

	if (!dev)
		return -EINVAL;
	if (ioctl(dev->device_fd, VFIO_DEVICE_GET_REGION_INFO, &info) < 0)
		return vrs_errno();
	at = (off_t)info.offset + PCI_COMMAND;
	if (pread(dev->device_fd, &cmd, sizeof(cmd), at) != sizeof(cmd))
		return vrs_errno();
	if (enable)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	if (pwrite(dev->device_fd, &cmd, sizeof(cmd), at) != sizeof(cmd))
		return vrs_errno();
	return 0;
}
