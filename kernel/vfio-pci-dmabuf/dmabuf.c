// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: the dma-buf exporter, in the order of a buffer's life:
 * export (VFIO_DEVICE_FEATURE_DMA_BUF), attach, map, revoke and restore
 * around resets, revoke for good when the device is closed, release.
 *
 * Only dynamic importers with move_notify are served: the BAR can
 * disappear under them at any time (reset, close), and move_notify is
 * how they learn to stop using it.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vfio_pci_dmabuf.h"

MODULE_IMPORT_NS(DMA_BUF);

/* Bound on nr_ranges: keeps the kernel copy of the ranges small. */
#define VPD_MAX_RANGES	4096

/**
 * struct vpd_dmabuf - one exported dma-buf
 * @dmabuf: the dma-buf; its reservation lock guards @revoked and @gone
 * @vpd: the exporting device; a reference on its vfio_device keeps it
 *       in memory for as long as this dma-buf exists
 * @link: entry in vpd->dmabufs, under vpd->dmabufs_lock; empty once the
 *        device was closed
 * @bar: BAR index of @ranges
 * @nr_ranges: number of @ranges
 * @ranges: the validated ranges, in dma-buf order
 * @revoked: importers must not map or use the memory (resv lock)
 * @gone: the device was closed: revoked for good (resv lock)
 */
struct vpd_dmabuf {
	struct dma_buf *dmabuf;
	struct vpd_device *vpd;
	struct list_head link;
	u32 bar;
	u32 nr_ranges;
	struct vfio_region_dma_range *ranges;
	bool revoked;
	bool gone;
};

/**
 * struct vpd_attachment - exporter state of one importer
 * @route: how the importer reaches the BAR
 */
struct vpd_attachment {
	enum vpd_p2p_route route;
};

static struct pci_dev *vpd_pdev(struct vpd_dmabuf *priv)
{
	return priv->vpd->core.pdev;
}

/*
 * Checks the ranges against the BAR as upstream does, and computes the
 * dma-buf size with overflow-safe arithmetic.
 */
static int vpd_validate_ranges(struct pci_dev *pdev, u32 bar,
			       const struct vfio_region_dma_range *ranges,
			       u32 nr_ranges, size_t *size)
{
	u64 bar_len = pci_resource_len(pdev, bar);
	u64 total = 0;
	u32 i;

	if (!bar_len || !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return -EINVAL;

	for (i = 0; i < nr_ranges; i++) {
		u64 off = ranges[i].offset, len = ranges[i].length, end;

		if (!len || !PAGE_ALIGNED(off) || !PAGE_ALIGNED(len))
			return -EINVAL;
		if (check_add_overflow(total, len, &total))
			return -EINVAL;
		if (check_add_overflow(off, len, &end))
			return -EOVERFLOW;
		if (end > bar_len)
			return -EINVAL;
	}
	*size = total;
	return 0;
}

static int vpd_dmabuf_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	struct vpd_attachment *va;
	enum vpd_p2p_route route;
	int ret;

	if (!attach->peer2peer)
		return -EOPNOTSUPP;

	ret = vpd_p2p_route(vpd_pdev(priv), attach->dev, &route);
	if (ret)
		return ret;

	va = kzalloc(sizeof(*va), GFP_KERNEL);
	if (!va)
		return -ENOMEM;
	va->route = route;
	attach->priv = va;
	return 0;
}

static void vpd_dmabuf_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
}

/*
 * Pinning would let an importer keep using the BAR through a reset.
 * Only where the dma-buf core pins dynamic importers itself (kernels
 * without CONFIG_DMABUF_MOVE_NOTIFY) is it allowed, and only for
 * importers that still get move_notify.
 */
static int vpd_dmabuf_pin(struct dma_buf_attachment *attach)
{
	if (IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) || !attach->importer_ops ||
	    !attach->importer_ops->move_notify)
		return -EOPNOTSUPP;
	return 0;
}

static void vpd_dmabuf_unpin(struct dma_buf_attachment *attach)
{
}

static struct sg_table *vpd_dmabuf_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct vpd_dmabuf *priv = attach->dmabuf->priv;
	struct vpd_attachment *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (priv->revoked)
		return ERR_PTR(-ENODEV);

	return vpd_p2p_map(va->route, vpd_pdev(priv), priv->bar, priv->ranges,
			   priv->nr_ranges, attach->dev, dir);
}

static void vpd_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt,
			     enum dma_data_direction dir)
{
	struct vpd_attachment *va = attach->priv;

	vpd_p2p_unmap(va->route, attach->dev, sgt, dir);
}

static void vpd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	struct vpd_device *vpd = priv->vpd;

	mutex_lock(&vpd->dmabufs_lock);
	list_del_init(&priv->link);
	mutex_unlock(&vpd->dmabufs_lock);

	vfio_put_device(&vpd->core.vdev);
	kfree(priv->ranges);
	kfree(priv);
}

static const struct dma_buf_ops vpd_dmabuf_ops = {
	.attach = vpd_dmabuf_attach,
	.detach = vpd_dmabuf_detach,
	.pin = vpd_dmabuf_pin,
	.unpin = vpd_dmabuf_unpin,
	.map_dma_buf = vpd_dmabuf_map,
	.unmap_dma_buf = vpd_dmabuf_unmap,
	.release = vpd_dmabuf_release,
};

static bool vpd_memory_decode_enabled(struct pci_dev *pdev)
{
	u16 cmd;

	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	return cmd & PCI_COMMAND_MEMORY;
}

/**
 * vpd_feature_dma_buf() - VFIO_DEVICE_FEATURE_DMA_BUF, upstream's uAPI
 * @vpd: the device
 * @flags: VFIO_DEVICE_FEATURE flags
 * @arg: user pointer to struct vfio_device_feature_dma_buf
 * @argsz: bytes at @arg
 *
 * Return: the new dma-buf's file descriptor, 0 for a PROBE, or -errno.
 */
int vpd_feature_dma_buf(struct vpd_device *vpd, u32 flags,
			void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_buf __user *uarg = arg;
	struct vfio_device_feature_dma_buf req;
	struct pci_dev *pdev = vpd->core.pdev;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vpd_dmabuf *priv;
	size_t size;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(req));
	if (ret != 1)
		return ret;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!req.nr_ranges || req.flags)
		return -EINVAL;
	if (req.region_index >= VFIO_PCI_ROM_REGION_INDEX)
		return -ENODEV;
	if (req.nr_ranges > VPD_MAX_RANGES)
		return -EINVAL;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->ranges = memdup_user(uarg->dma_ranges,
				   array_size(req.nr_ranges,
					      sizeof(*priv->ranges)));
	if (IS_ERR(priv->ranges)) {
		ret = PTR_ERR(priv->ranges);
		goto err_free_priv;
	}
	ret = vpd_validate_ranges(pdev, req.region_index, priv->ranges,
				  req.nr_ranges, &size);
	if (ret)
		goto err_free_ranges;

	priv->vpd = vpd;
	priv->bar = req.region_index;
	priv->nr_ranges = req.nr_ranges;
	INIT_LIST_HEAD(&priv->link);

	exp_info.ops = &vpd_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = req.open_flags;
	exp_info.priv = priv;
	priv->dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(priv->dmabuf)) {
		ret = PTR_ERR(priv->dmabuf);
		goto err_free_ranges;
	}
	/* From here on the dma-buf owns priv: dma_buf_put() releases it. */
	get_device(&vpd->core.vdev.device);

	mutex_lock(&vpd->dmabufs_lock);
	dma_resv_lock(priv->dmabuf->resv, NULL);
	priv->revoked = vpd->revoked || !vpd_memory_decode_enabled(pdev);
	dma_resv_unlock(priv->dmabuf->resv);
	list_add_tail(&priv->link, &vpd->dmabufs);
	mutex_unlock(&vpd->dmabufs_lock);

	ret = dma_buf_fd(priv->dmabuf, req.open_flags);
	if (ret < 0)
		dma_buf_put(priv->dmabuf);
	return ret;

err_free_ranges:
	kfree(priv->ranges);
err_free_priv:
	kfree(priv);
	return ret;
}

/* Caller holds vpd->dmabufs_lock. */
static void vpd_dmabuf_set_revoked(struct vpd_dmabuf *priv, bool revoked)
{
	dma_resv_lock(priv->dmabuf->resv, NULL);
	if (!priv->gone && priv->revoked != revoked) {
		priv->revoked = revoked;
		dma_buf_move_notify(priv->dmabuf);
	}
	dma_resv_unlock(priv->dmabuf->resv);
}

/**
 * vpd_dmabufs_revoke() - the BAR is about to become unusable
 * @vpd: the device
 *
 * Every importer is told through move_notify, under the reservation
 * lock, and unmaps; importers that hold the lock while their DMA runs
 * are waited for. No new mapping succeeds until vpd_dmabufs_restore().
 */
void vpd_dmabufs_revoke(struct vpd_device *vpd)
{
	struct vpd_dmabuf *priv;

	mutex_lock(&vpd->dmabufs_lock);
	vpd->revoked = true;
	list_for_each_entry(priv, &vpd->dmabufs, link)
		vpd_dmabuf_set_revoked(priv, true);
	mutex_unlock(&vpd->dmabufs_lock);
}

/**
 * vpd_dmabufs_restore() - the BAR is usable again
 * @vpd: the device
 *
 * move_notify again, so that importers map anew.
 */
void vpd_dmabufs_restore(struct vpd_device *vpd)
{
	struct vpd_dmabuf *priv;

	mutex_lock(&vpd->dmabufs_lock);
	vpd->revoked = false;
	list_for_each_entry(priv, &vpd->dmabufs, link)
		vpd_dmabuf_set_revoked(priv, false);
	mutex_unlock(&vpd->dmabufs_lock);
}

/**
 * vpd_dmabufs_gone() - the device was closed: revoke every dma-buf for good
 * @vpd: the device
 *
 * The dma-bufs live on until their last reference goes, but stay
 * revoked: mapping them fails with -ENODEV.
 */
void vpd_dmabufs_gone(struct vpd_device *vpd)
{
	struct vpd_dmabuf *priv, *tmp;

	mutex_lock(&vpd->dmabufs_lock);
	list_for_each_entry_safe(priv, tmp, &vpd->dmabufs, link) {
		dma_resv_lock(priv->dmabuf->resv, NULL);
		priv->gone = true;
		if (!priv->revoked) {
			priv->revoked = true;
			dma_buf_move_notify(priv->dmabuf);
		}
		dma_resv_unlock(priv->dmabuf->resv);
		list_del_init(&priv->link);
	}
	mutex_unlock(&vpd->dmabufs_lock);
}
