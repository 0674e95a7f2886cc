// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_ATTACHMENTS, the
 * importers attached to one exported dma-buf, read from the dma-buf
 * core's own attachment list. A broker shows them to its operators: who
 * can reach a range, and who still maps one that would not revoke.
 */
#include <linux/device.h>
#include <linux/dma-resv.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vfio_pci_dmabuf.h"

/*
 * Fills up to @max entries, from the @start-th importer on, oldest first
 * (the dma-buf core adds new attachments at the head of its list), and
 * returns how many importers are attached. The list and each attachment's
 * mapping count are guarded by the dma-buf's reservation lock; the entries
 * are copied to userspace only after it is dropped (a fault there may
 * take mmap_lock, which CPU mappings of the dma-buf take before it).
 */
static u32 vpd_attachments_read(struct vpd_dmabuf *priv, u32 start,
				struct vramshare_dma_buf_attachment *out,
				u32 max)
{
	struct dma_buf_attachment *attach;
	u32 index = 0, n = 0;

	dma_resv_lock(priv->dmabuf->resv, NULL);
	list_for_each_entry_reverse(attach, &priv->dmabuf->attachments, node) {
		struct vpd_attachment *va = attach->priv;

		if (index++ < start || n == max)
			continue;
		strscpy(out[n].device, dev_name(attach->dev),
			sizeof(out[n].device));
		strscpy(out[n].driver, dev_driver_string(attach->dev),
			sizeof(out[n].driver));
		out[n].route = va->route == VPD_P2P_BUS_ADDR ?
			       VRAMSHARE_ROUTE_BUS_ADDRESS :
			       VRAMSHARE_ROUTE_HOST_BRIDGE;
		out[n].mappings = va->mappings;
		n++;
	}
	dma_resv_unlock(priv->dmabuf->resv);
	return index;
}

/**
 * vpd_feature_dma_buf_attachments() - list a dma-buf's importers
 * @vpd: the device
 * @flags: VFIO_DEVICE_FEATURE flags: GET (or PROBE)
 * @arg: user pointer to struct vramshare_dma_buf_attachments
 * @argsz: bytes at @arg
 *
 * Return: 0 or -errno (-EBADF, -EINVAL for a dma-buf not exported by this
 * device or non-zero flags, -EFAULT, -ENOMEM).
 */
int vpd_feature_dma_buf_attachments(struct vpd_device *vpd, u32 flags,
				    void __user *arg, size_t argsz)
{
	struct vramshare_dma_buf_attachments __user *uarg = arg;
	struct vramshare_dma_buf_attachment *entries = NULL;
	struct vramshare_dma_buf_attachments req;
	struct vpd_dmabuf *priv;
	u32 max, total, written;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(req));
	if (ret != 1)
		return ret;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags)
		return -EINVAL;
	max = min_t(u32, req.count, VRAMSHARE_MAX_ATTACHMENTS);
	if (max) {
		entries = kcalloc(max, sizeof(*entries), GFP_KERNEL);
		if (!entries)
			return -ENOMEM;
	}

	priv = vpd_dmabuf_get(vpd, req.dmabuf_fd);
	if (IS_ERR(priv)) {
		ret = PTR_ERR(priv);
		goto out;
	}
	total = vpd_attachments_read(priv, req.start, entries, max);
	dma_buf_put(priv->dmabuf);

	written = total > req.start ? min(max, total - req.start) : 0;
	ret = 0;
	if (copy_to_user(u64_to_user_ptr(req.entries), entries,
			 array_size(written, sizeof(*entries))) ||
	    put_user(total, &uarg->count))
		ret = -EFAULT;
out:
	kfree(entries);
	return ret;
}
