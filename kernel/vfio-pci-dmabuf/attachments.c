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
 * Fills up to @max entries from the attachment list and returns how many
 * importers are attached. The list and each attachment's mapping count
 * are guarded by the dma-buf's reservation lock; the entries are copied
 * to userspace only after it is dropped (a fault there may take
 * mmap_lock, which CPU mappings of the dma-buf take before it).
 */
static u32 vpd_attachments_read(struct vpd_dmabuf *priv,
				struct vramshare_dma_buf_attachment *out,
				u32 max)
{
	struct dma_buf_attachment *attach;
	u32 n = 0;

	dma_resv_lock(priv->dmabuf->resv, NULL);
	list_for_each_entry(attach, &priv->dmabuf->attachments, node) {
		struct vpd_attachment *va = attach->priv;

		if (n < max) {
			strscpy(out[n].device, dev_name(attach->dev),
				sizeof(out[n].device));
			strscpy(out[n].driver, dev_driver_string(attach->dev),
				sizeof(out[n].driver));
			out[n].route = va->route == VPD_P2P_BUS_ADDR ?
				       VRAMSHARE_ROUTE_BUS_ADDRESS :
				       VRAMSHARE_ROUTE_HOST_BRIDGE;
			out[n].mappings = va->mappings;
		}
		n++;
	}
	dma_resv_unlock(priv->dmabuf->resv);
	return n;
}

/**
 * vpd_feature_dma_buf_attachments() - list a dma-buf's importers
 * @vpd: the device
 * @flags: VFIO_DEVICE_FEATURE flags: GET (or PROBE)
 * @arg: user pointer to struct vramshare_dma_buf_attachments
 * @argsz: bytes at @arg
 *
 * Return: 0 or -errno (-EBADF, -EINVAL for a dma-buf not exported by this
 * device, -EFAULT, -ENOMEM).
 */
int vpd_feature_dma_buf_attachments(struct vpd_device *vpd, u32 flags,
				    void __user *arg, size_t argsz)
{
	struct vramshare_dma_buf_attachment *entries = NULL;
	struct vramshare_dma_buf_attachments req;
	struct vpd_dmabuf *priv;
	u32 max, total;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(req));
	if (ret != 1)
		return ret;
	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
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
	total = vpd_attachments_read(priv, entries, max);
	dma_buf_put(priv->dmabuf);

	if (copy_to_user(u64_to_user_ptr(req.entries), entries,
			 array_size(min(max, total), sizeof(*entries))) ||
	    put_user(total, &((struct vramshare_dma_buf_attachments __user *)arg)->count))
		ret = -EFAULT;
out:
	kfree(entries);
	return ret;
}
