// SPDX-License-Identifier: GPL-2.0-only
/*
 * vrs_test_importer: a deliberately slow dma-buf importer, for tests only.
 *
 * It attaches to one dma-buf on behalf of a PCI device (the rig's edu),
 * maps it, and misbehaves on request: it can leave an unsignalled fence
 * on the reservation object (signalled after fence_ms), and it can defer
 * its unmap after move_notify by unmap_delay_ms. The exporter must wait
 * for neither longer than its bound, and must name it in the log.
 *
 * Two more importer bugs or habits on request: detaching with its
 * mapping still held, and pinning (as a scanout importer would).
 *
 * /dev/vrs_test_importer, ioctls VRS_TI_ATTACH (struct vrs_ti_attach),
 * VRS_TI_DETACH and VRS_TI_PIN (returns dma_buf_pin()'s result); one
 * attachment per open file.
 */
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/ioctl.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "vramshare_compat.h"

VRS_MODULE_IMPORT_DMA_BUF();

#define VRS_TI_LINGER_UNMAP	0x1	/* unmap unmap_delay_ms after move_notify */
#define VRS_TI_LINGER_FENCE	0x2	/* leave a fence signalled after fence_ms */
#define VRS_TI_DETACH_MAPPED	0x4	/* detach without unmapping (leaks the sg_table) */

/**
 * struct vrs_ti_attach - VRS_TI_ATTACH argument
 * @dmabuf_fd: the dma-buf
 * @flags: VRS_TI_LINGER_*
 */
struct vrs_ti_attach {
	__s32 dmabuf_fd;
	__u32 flags;
};

#define VRS_TI_ATTACH	_IOW('V', 0x40, struct vrs_ti_attach)
#define VRS_TI_DETACH	_IO('V', 0x41)
#define VRS_TI_PIN	_IO('V', 0x42)

static unsigned int unmap_delay_ms = 2000;
module_param(unmap_delay_ms, uint, 0644);
MODULE_PARM_DESC(unmap_delay_ms, "How late the unmap follows move_notify");
static unsigned int fence_ms = 2000;
module_param(fence_ms, uint, 0644);
MODULE_PARM_DESC(fence_ms, "How long the lingering fence stays unsignalled");

/* Fences outlive their attachment (the reservation object holds them). */
static DEFINE_SPINLOCK(vrs_ti_fence_lock);

/**
 * struct vrs_ti - one attachment
 * @attach: the attachment, NULL when none
 * @sgt: the mapping, NULL when unmapped (under the reservation lock)
 * @flags: VRS_TI_*
 * @pinned: dma_buf_pin() succeeded (under the reservation lock)
 * @unmap_work: the deferred unmap
 * @fence: the lingering fence, or NULL
 * @fence_work: signals @fence
 */
struct vrs_ti {
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	u32 flags;
	bool pinned;
	struct delayed_work unmap_work;
	struct dma_fence *fence;
	struct delayed_work fence_work;
};

static const char *vrs_ti_fence_name(struct dma_fence *fence)
{
	return "vrs_test_importer";
}

static const struct dma_fence_ops vrs_ti_fence_ops = {
	.get_driver_name = vrs_ti_fence_name,
	.get_timeline_name = vrs_ti_fence_name,
};

static void vrs_ti_unmap_locked(struct vrs_ti *ti)
{
	if (ti->sgt)
		dma_buf_unmap_attachment(ti->attach, ti->sgt, DMA_BIDIRECTIONAL);
	ti->sgt = NULL;
}

static void vrs_ti_unmap_work(struct work_struct *work)
{
	struct vrs_ti *ti = container_of(work, struct vrs_ti, unmap_work.work);

	dma_resv_lock(ti->attach->dmabuf->resv, NULL);
	vrs_ti_unmap_locked(ti);
	dma_resv_unlock(ti->attach->dmabuf->resv);
}

static void vrs_ti_fence_work(struct work_struct *work)
{
	struct vrs_ti *ti = container_of(work, struct vrs_ti, fence_work.work);

	dma_fence_signal(ti->fence);
}

static void vrs_ti_move_notify(struct dma_buf_attachment *attach)
{
	struct vrs_ti *ti = attach->importer_priv;

	if (ti->flags & VRS_TI_LINGER_UNMAP)
		schedule_delayed_work(&ti->unmap_work,
				      msecs_to_jiffies(unmap_delay_ms));
	else
		vrs_ti_unmap_locked(ti);
}

static const struct dma_buf_attach_ops vrs_ti_importer_ops = {
	.allow_peer2peer = true,
	.vrs_importer_invalidate = vrs_ti_move_notify,
};

static void vrs_ti_detach(struct vrs_ti *ti)
{
	struct dma_buf *dmabuf;

	if (!ti->attach)
		return;
	cancel_delayed_work_sync(&ti->unmap_work);
	dmabuf = ti->attach->dmabuf;
	dma_resv_lock(dmabuf->resv, NULL);
	if (ti->flags & VRS_TI_DETACH_MAPPED)
		ti->sgt = NULL;		/* the bug on purpose */
	vrs_ti_unmap_locked(ti);
	if (ti->pinned)
		dma_buf_unpin(ti->attach);
	ti->pinned = false;
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, ti->attach);
	dma_buf_put(dmabuf);
	ti->attach = NULL;
	if (ti->fence) {
		flush_delayed_work(&ti->fence_work);
		dma_fence_put(ti->fence);
		ti->fence = NULL;
	}
}

/* Maps, and leaves the fence when asked; the reservation lock is held. */
static int vrs_ti_map_locked(struct vrs_ti *ti, struct dma_resv *resv)
{
	struct sg_table *sgt;
	int ret;

	sgt = dma_buf_map_attachment(ti->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	ti->sgt = sgt;
	if (!(ti->flags & VRS_TI_LINGER_FENCE))
		return 0;

	ret = dma_resv_reserve_fences(resv, 1);
	if (ret)
		return ret;
	ti->fence = kzalloc(sizeof(*ti->fence), GFP_KERNEL);
	if (!ti->fence)
		return -ENOMEM;
	dma_fence_init(ti->fence, &vrs_ti_fence_ops, &vrs_ti_fence_lock,
		       dma_fence_context_alloc(1), 1);
	dma_resv_add_fence(resv, ti->fence, DMA_RESV_USAGE_WRITE);
	schedule_delayed_work(&ti->fence_work, msecs_to_jiffies(fence_ms));
	return 0;
}

static int vrs_ti_attach(struct vrs_ti *ti, struct vrs_ti_attach __user *uarg)
{
	struct vrs_ti_attach arg;
	struct dma_buf *dmabuf;
	struct pci_dev *pdev;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~(VRS_TI_LINGER_UNMAP | VRS_TI_LINGER_FENCE |
			  VRS_TI_DETACH_MAPPED))
		return -EINVAL;
	if (ti->attach)
		return -EBUSY;

	/* Import on behalf of the rig's GPU B (edu), a PCI device. */
	pdev = pci_get_device(0x1234, 0x11e8, NULL);
	if (!pdev)
		return -ENODEV;
	dmabuf = dma_buf_get(arg.dmabuf_fd);
	if (IS_ERR(dmabuf)) {
		pci_dev_put(pdev);
		return PTR_ERR(dmabuf);
	}
	ti->flags = arg.flags;
	ti->attach = dma_buf_dynamic_attach(dmabuf, &pdev->dev,
					    &vrs_ti_importer_ops, ti);
	pci_dev_put(pdev);
	if (IS_ERR(ti->attach)) {
		ret = PTR_ERR(ti->attach);
		ti->attach = NULL;
		dma_buf_put(dmabuf);
		return ret;
	}

	dma_resv_lock(dmabuf->resv, NULL);
	ret = vrs_ti_map_locked(ti, dmabuf->resv);
	dma_resv_unlock(dmabuf->resv);
	if (ret)
		vrs_ti_detach(ti);
	return ret;
}

static int vrs_ti_pin(struct vrs_ti *ti)
{
	struct dma_resv *resv;
	int ret;

	if (!ti->attach || ti->pinned)
		return -EINVAL;
	resv = ti->attach->dmabuf->resv;
	dma_resv_lock(resv, NULL);
	ret = dma_buf_pin(ti->attach);
	ti->pinned = !ret;
	dma_resv_unlock(resv);
	return ret;
}

static long vrs_ti_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vrs_ti *ti = file->private_data;

	switch (cmd) {
	case VRS_TI_ATTACH:
		return vrs_ti_attach(ti, (void __user *)arg);
	case VRS_TI_DETACH:
		vrs_ti_detach(ti);
		return 0;
	case VRS_TI_PIN:
		return vrs_ti_pin(ti);
	default:
		return -ENOTTY;
	}
}

static int vrs_ti_open(struct inode *inode, struct file *file)
{
	struct vrs_ti *ti = kzalloc(sizeof(*ti), GFP_KERNEL);

	if (!ti)
		return -ENOMEM;
	INIT_DELAYED_WORK(&ti->unmap_work, vrs_ti_unmap_work);
	INIT_DELAYED_WORK(&ti->fence_work, vrs_ti_fence_work);
	file->private_data = ti;
	return 0;
}

static int vrs_ti_release(struct inode *inode, struct file *file)
{
	struct vrs_ti *ti = file->private_data;

	vrs_ti_detach(ti);
	kfree(ti);
	return 0;
}

static const struct file_operations vrs_ti_fops = {
	.owner = THIS_MODULE,
	.open = vrs_ti_open,
	.release = vrs_ti_release,
	.unlocked_ioctl = vrs_ti_ioctl,
};

static struct miscdevice vrs_ti_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vrs_test_importer",
	.fops = &vrs_ti_fops,
};
module_misc_device(vrs_ti_misc);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vramshare test importer that lingers on purpose");
