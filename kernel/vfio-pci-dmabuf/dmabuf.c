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
#include <linux/eventfd.h>
#include <linux/file.h>
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

/* Bound on nr_ranges: keeps the kernel copy of the ranges small. */
#define VPD_MAX_RANGES	4096

static unsigned int revoke_timeout_ms = 1000;
module_param(revoke_timeout_ms, uint, 0644);
MODULE_PARM_DESC(revoke_timeout_ms,
		 "How long a revocation waits for importers' fences and unmaps before the hardware is touched (default 1000)");

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

static void vpd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	struct vpd_device *vpd = priv->vpd;

	mutex_lock(&vpd->dmabufs_lock);
	list_del_init(&priv->link);
	mutex_unlock(&vpd->dmabufs_lock);

	if (priv->eventfd)
		eventfd_ctx_put(priv->eventfd);
	pci_dev_put(priv->pdev);
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
	.mmap = vpd_dmabuf_mmap,
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
	atomic_set(&priv->nr_mapped, 0);
	atomic_set(&priv->nr_cpu_mappings, 0);
	init_waitqueue_head(&priv->unmapped);

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

	mutex_lock(&vpd->dmabufs_lock);
	dma_resv_lock(priv->dmabuf->resv, NULL);
	priv->revoked = vpd->revoke_reasons || !vpd_memory_decode_enabled(pdev);
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

/**
 * vpd_dmabuf_get() - the dma-buf behind a file descriptor, if it is ours
 * @vpd: the device it must have been exported from
 * @fd: a dma-buf file descriptor
 *
 * Return: the dma-buf with a reference held (drop it with dma_buf_put()),
 * or an ERR_PTR: -EBADF, or -EINVAL for a dma-buf of another exporter or
 * device.
 */
struct vpd_dmabuf *vpd_dmabuf_get(struct vpd_device *vpd, int fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);

	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	if (dmabuf->ops != &vpd_dmabuf_ops ||
	    ((struct vpd_dmabuf *)dmabuf->priv)->vpd != vpd) {
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

/*
 * One state transition, under the reservation lock: CPU mappings are
 * zapped, importers are told through move_notify, userspace through the
 * eventfd.
 */
static void vpd_dmabuf_transition(struct vpd_dmabuf *priv, bool revoked,
				  bool gone)
{
	dma_resv_assert_held(priv->dmabuf->resv);
	if (priv->gone || (priv->revoked == revoked && !gone))
		return;
	priv->revoked = revoked;
	priv->gone = gone;
	priv->generation++;
	if (revoked)
		vpd_dmabuf_zap(priv);
	vrs_dma_buf_invalidate(priv->dmabuf);
	if (priv->eventfd)
		vrs_eventfd_signal(priv->eventfd);
}

/*
 * After a revocation, before the hardware is touched: wait (bounded) for
 * the fences importers left on the reservation object and for importers
 * that unmap outside move_notify, and name those that did not.
 */
static void vpd_dmabuf_wait_importers(struct vpd_dmabuf *priv)
{
	long left = msecs_to_jiffies(revoke_timeout_ms);
	struct dma_buf_attachment *attach;
	struct dma_resv *resv = priv->dmabuf->resv;

	left = dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, false,
				     left);
	if (left > 0)
		left = wait_event_timeout(priv->unmapped,
					  !atomic_read(&priv->nr_mapped), left);
	if (left > 0)
		return;

	dma_resv_lock(resv, NULL);
	if (!dma_resv_test_signaled(resv, DMA_RESV_USAGE_BOOKKEEP))
		pci_warn(priv->pdev, "dma-buf %lu: importers' fences still pending %u ms after revocation\n",
			 file_inode(priv->dmabuf->file)->i_ino,
			 revoke_timeout_ms);
	list_for_each_entry(attach, &priv->dmabuf->attachments, node) {
		struct vpd_attachment *va = attach->priv;

		if (va->mappings)
			pci_warn(priv->pdev, "dma-buf %lu: importer %s did not unmap within %u ms of revocation\n",
				 file_inode(priv->dmabuf->file)->i_ino,
				 dev_name(attach->dev), revoke_timeout_ms);
	}
	dma_resv_unlock(resv);
}

/* Caller holds vpd->dmabufs_lock. */
static void vpd_dmabufs_apply(struct vpd_device *vpd)
{
	bool revoked = vpd->revoke_reasons;
	struct vpd_dmabuf *priv;

	list_for_each_entry(priv, &vpd->dmabufs, link) {
		dma_resv_lock(priv->dmabuf->resv, NULL);
		vpd_dmabuf_transition(priv, revoked, false);
		dma_resv_unlock(priv->dmabuf->resv);
	}
	if (revoked)
		list_for_each_entry(priv, &vpd->dmabufs, link)
			vpd_dmabuf_wait_importers(priv);
}

/**
 * vpd_dmabufs_revoke() - the BAR is about to become unusable
 * @vpd: the device
 * @reason: an enum vpd_revoke_reason bit
 *
 * Every importer is told through move_notify, under the reservation
 * lock, and unmaps; CPU mappings are zapped. Returns once importers are
 * done (or the bound passed). No new mapping succeeds until the last
 * reason is cleared with vpd_dmabufs_restore().
 */
void vpd_dmabufs_revoke(struct vpd_device *vpd, unsigned int reason)
{
	mutex_lock(&vpd->dmabufs_lock);
	vpd->revoke_reasons |= reason;
	vpd_dmabufs_apply(vpd);
	mutex_unlock(&vpd->dmabufs_lock);
}

/**
 * vpd_dmabufs_restore() - one reason for the revocation is over
 * @vpd: the device
 * @reason: the enum vpd_revoke_reason bit to clear
 *
 * When no reason is left, move_notify again so that importers map anew;
 * CPU mappings fault back in.
 */
void vpd_dmabufs_restore(struct vpd_device *vpd, unsigned int reason)
{
	mutex_lock(&vpd->dmabufs_lock);
	vpd->revoke_reasons &= ~reason;
	vpd_dmabufs_apply(vpd);
	mutex_unlock(&vpd->dmabufs_lock);
}

/* Caller holds vpd->dmabufs_lock. */
static void vpd_dmabuf_gone_locked(struct vpd_dmabuf *priv)
{
	dma_resv_lock(priv->dmabuf->resv, NULL);
	vpd_dmabuf_transition(priv, true, true);
	dma_resv_unlock(priv->dmabuf->resv);
	vpd_dmabuf_wait_importers(priv);
}

/**
 * vpd_dmabuf_revoke_for_good() - revoke one dma-buf for good
 * @priv: the dma-buf
 *
 * It lives on until its last reference goes, but mapping it fails with
 * -ENODEV and CPU mappings get SIGBUS.
 */
void vpd_dmabuf_revoke_for_good(struct vpd_dmabuf *priv)
{
	mutex_lock(&priv->vpd->dmabufs_lock);
	vpd_dmabuf_gone_locked(priv);
	mutex_unlock(&priv->vpd->dmabufs_lock);
}

/**
 * vpd_dmabufs_gone() - the device was closed: revoke every dma-buf for good
 * @vpd: the device
 */
void vpd_dmabufs_gone(struct vpd_device *vpd)
{
	struct vpd_dmabuf *priv;

	mutex_lock(&vpd->dmabufs_lock);
	list_for_each_entry(priv, &vpd->dmabufs, link)
		vpd_dmabuf_gone_locked(priv);
	mutex_unlock(&vpd->dmabufs_lock);
}
