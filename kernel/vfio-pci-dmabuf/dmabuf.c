// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: the dma-buf exporter, in the order of a buffer's life:
 * export (VFIO_DEVICE_FEATURE_DMA_BUF), attach, map, release. Revocation
 * is state.c's.
 *
 * Only dynamic importers with move_notify are served: the BAR can
 * disappear under them at any time (reset, close), and move_notify is
 * how they learn to stop using it.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vramshare_compat.h"
#include "vfio_pci_dmabuf.h"

VRS_MODULE_IMPORT_DMA_BUF();

/*
 * Upstream's checks, in upstream's order and with its error codes: first
 * every range alone and their sum (-EINVAL), then the BAR (-EINVAL when
 * it is not memory), then every range against it (-EOVERFLOW when the
 * end wraps, -EINVAL past the end). The size is a size_t sum, checked for
 * overflow, so that a 32-bit kernel cannot truncate it.
 */
static int vpd_validate_ranges(struct pci_dev *pdev, u32 bar,
			       const struct vfio_region_dma_range *ranges,
			       u32 nr_ranges, size_t *size)
{
	u64 bar_len = pci_resource_len(pdev, bar);
	size_t total = 0;
	u32 i;

	for (i = 0; i < nr_ranges; i++) {
		u64 len = ranges[i].length;

		if (!len || !PAGE_ALIGNED(ranges[i].offset) ||
		    !PAGE_ALIGNED(len))
			return -EINVAL;
		if (len != (size_t)len ||
		    check_add_overflow(total, (size_t)len, &total))
			return -EINVAL;
	}

	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
		return -EINVAL;

	for (i = 0; i < nr_ranges; i++) {
		u64 end;

		if (check_add_overflow(ranges[i].offset, ranges[i].length,
				       &end))
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

	ret = vpd_p2p_route(priv->pdev, attach->dev, &route);
	if (ret)
		return ret;

	va = kzalloc(sizeof(*va), GFP_KERNEL);
	if (!va)
		return -ENOMEM;
	va->route = route;
	attach->priv = va;
	return 0;
}

/*
 * An importer that detaches with a mapping still held (a bug of its own:
 * its device may still reach the BAR) is named, and must not leave the
 * count up, or every later revocation would wait for it. The attachment
 * is off the dma-buf's list already, so no one else reads va->mappings.
 */
static void vpd_dmabuf_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	struct vpd_attachment *va = attach->priv;

	if (va->mappings) {
		pci_warn(priv->pdev, "importer %s detached holding a mapping of dma-buf %lu\n",
			 dev_name(attach->dev), priv->inode->i_ino);
		/* Its device may still reach the memory: for good, say so. */
		WRITE_ONCE(priv->leaked, true);
		if (atomic_dec_and_test(&priv->nr_mapped))
			wake_up_all(&priv->unmapped);
	}
	kfree(va);
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
	    !attach->importer_ops->vrs_importer_invalidate)
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
	struct sg_table *sgt;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (priv->revoked)
		return ERR_PTR(-ENODEV);

	sgt = vpd_p2p_map(va->route, priv->pdev, priv->bar, priv->ranges,
			  priv->nr_ranges, attach->dev, dir);
	if (!IS_ERR(sgt) && !va->mappings++)
		atomic_inc(&priv->nr_mapped);
	return sgt;
}

static void vpd_dmabuf_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt,
			     enum dma_data_direction dir)
{
	struct vpd_dmabuf *priv = attach->dmabuf->priv;
	struct vpd_attachment *va = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	vpd_p2p_unmap(va->route, attach->dev, sgt, dir);
	if (!--va->mappings && atomic_dec_and_test(&priv->nr_mapped))
		wake_up_all(&priv->unmapped);
}

/*
 * The dma-buf's dentry is going away (after its last file reference, and
 * after any other hold on the dentry). One still on its device's list
 * leaves it; a close may be clearing priv->vpd at the same time, so the
 * device is held while its state_lock is taken.
 */
static void vpd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	struct vpd_device *vpd;

	spin_lock(&priv->vpd_lock);
	vpd = priv->vpd;
	if (vpd)
		get_device(&vpd->core.vdev.device);
	spin_unlock(&priv->vpd_lock);
	if (vpd) {
		mutex_lock(&vpd->state_lock);
		if (priv->vpd)
			vpd_dmabuf_leave_device(priv);
		mutex_unlock(&vpd->state_lock);
		put_device(&vpd->core.vdev.device);
	}
	if (priv->eventfd)
		eventfd_ctx_put(priv->eventfd);
	iput(priv->inode);
	pci_dev_put(priv->pdev);
	mutex_destroy(&priv->wc_lock);
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
	.mmap = vpd_dmabuf_mmap,
	.release = vpd_dmabuf_release,
};

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

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	/* No bound of our own: too many ranges fail the allocation. */
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
	atomic_set(&priv->nr_mapped, 0);
	atomic_set(&priv->nr_cpu_mappings, 0);
	init_waitqueue_head(&priv->unmapped);
	mutex_init(&priv->wc_lock);
	spin_lock_init(&priv->vpd_lock);

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
	priv->pdev = pci_dev_get(pdev);
	priv->inode = file_inode(priv->dmabuf->file);
	ihold(priv->inode);

	/*
	 * Born in the device's state, which the others are brought to as
	 * well (a change vfio made on its own may not have reached them).
	 */
	down_read(&vpd->core.memory_lock);
	mutex_lock(&vpd->state_lock);
	dma_resv_lock(priv->dmabuf->resv, NULL);
	priv->revoked = !vpd_bar_usable(vpd);
	dma_resv_unlock(priv->dmabuf->resv);
	list_add_tail(&priv->link, &vpd->dmabufs);
	vpd_dmabufs_update(vpd);
	mutex_unlock(&vpd->state_lock);
	up_read(&vpd->core.memory_lock);

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

/**
 * vpd_dmabuf_get() - the dma-buf behind a file descriptor, if it is ours
 * @vpd: the device it must have been exported from
 * @fd: a dma-buf file descriptor
 *
 * Return: the dma-buf with a reference held (drop it with dma_buf_put()),
 * or an ERR_PTR: -EBADF, or -EINVAL for a dma-buf of another exporter or
 * device, or one exported before the device was last closed.
 */
struct vpd_dmabuf *vpd_dmabuf_get(struct vpd_device *vpd, int fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);

	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	if (dmabuf->ops != &vpd_dmabuf_ops ||
	    READ_ONCE(((struct vpd_dmabuf *)dmabuf->priv)->vpd) != vpd) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-EINVAL);
	}
	return dmabuf->priv;
}

/**
 * vpd_dmabuf_phys() - CPU physical address of a byte of the dma-buf
 * @priv: the dma-buf
 * @offset: byte offset in the dma-buf, below its size
 *
 * Return: the address in the BAR.
 */
phys_addr_t vpd_dmabuf_phys(struct vpd_dmabuf *priv, u64 offset)
{
	u32 i;

	for (i = 0; i < priv->nr_ranges - 1; i++) {
		if (offset < priv->ranges[i].length)
			break;
		offset -= priv->ranges[i].length;
	}
	return pci_resource_start(priv->pdev, priv->bar) +
	       priv->ranges[i].offset + offset;
}
