// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: a vfio-pci variant driver that exports BAR ranges as
 * dma-bufs (VFIO_DEVICE_FEATURE_DMA_BUF, upstream's uAPI) on kernels whose
 * vfio-pci does not, and revokes them whenever the BAR becomes unusable.
 *
 * Every vfio op is vfio-pci-core's except: the feature ioctl (adds the
 * dma-buf features; revokes around low-power entry and exit), config
 * writes that reach PCI_COMMAND or the PM control register, close
 * (revokes the dma-bufs for good), and the PCI callbacks for resets,
 * error recovery and removal. Each of them lets the dma-bufs follow the
 * device's state (state.c); those that can turn the BAR off revoke
 * before vfio or the PCI core change the device.
 *
 * Bind a device with driver_override:
 *   echo vfio-pci-dmabuf > /sys/bus/pci/devices/BDF/driver_override
 *   echo BDF > /sys/bus/pci/drivers_probe
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vramshare_compat.h"
#include "vfio_pci_dmabuf.h"

static int vpd_open_device(struct vfio_device *vdev)
{
	struct vfio_pci_core_device *core = &to_vpd(vdev)->core;
	int ret;

	ret = vfio_pci_core_enable(core);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(core);
	return 0;
}

static void vpd_close_device(struct vfio_device *vdev)
{
	vpd_dmabufs_close(to_vpd(vdev));
	vfio_pci_core_close_device(vdev);
}

/*
 * The dma-bufs follow a change of the device's state that just happened.
 * For the paths that hold none of vfio's locks: memory_lock is taken for
 * read so that vfio's own brief changes (it turns decode on around some
 * register accesses) are not mistaken for the device's state.
 */
static void vpd_update(struct vpd_device *vpd)
{
	down_read(&vpd->core.memory_lock);
	mutex_lock(&vpd->state_lock);
	vpd_dmabufs_update(vpd);
	mutex_unlock(&vpd->state_lock);
	up_read(&vpd->core.memory_lock);
}

/*
 * The same from the PCI core's callbacks (resets, error recovery,
 * removal), which must not take memory_lock: vfio's resets hold it for
 * write around them, and vfio takes the PCI core's locks inside it
 * (pci_bus_sem when it sets a power state) while error recovery holds
 * them around its callbacks.
 */
static void vpd_update_from_pci(struct vpd_device *vpd)
{
	mutex_lock(&vpd->state_lock);
	vpd_dmabufs_update(vpd);
	mutex_unlock(&vpd->state_lock);
}

/*
 * A user request that may turn the BAR off: the dma-bufs are revoked
 * before vfio acts on it, and follow the real state once it is done.
 * Caller holds request_lock, so that requests never interleave.
 */
static void vpd_request_begin(struct vpd_device *vpd)
{
	lockdep_assert_held(&vpd->request_lock);
	mutex_lock(&vpd->state_lock);
	vpd->request_pending = true;
	vpd_dmabufs_update(vpd);
	mutex_unlock(&vpd->state_lock);
}

static void vpd_request_end(struct vpd_device *vpd)
{
	lockdep_assert_held(&vpd->request_lock);
	mutex_lock(&vpd->state_lock);
	vpd->request_pending = false;
	mutex_unlock(&vpd->state_lock);
	vpd_update(vpd);
}

/*
 * Low-power entry turns the BAR off until LOW_POWER_EXIT: revoke first,
 * then follow what vfio did (a refused entry leaves the device as it
 * was). A device-initiated wakeup (the wakeup eventfd) ends low power
 * inside vfio with no call to this driver: the dma-bufs stay revoked
 * until the next update, such as LOW_POWER_EXIT, which vfio allows at
 * any time.
 */
static int vpd_feature_low_power(struct vpd_device *vpd, u32 flags,
				 void __user *arg, size_t argsz)
{
	u32 feature = flags & VFIO_DEVICE_FEATURE_MASK;
	size_t size = feature == VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP ?
		      sizeof(struct vfio_device_low_power_entry_with_wakeup) : 0;
	int ret;

	/* Malformed requests and PROBE change nothing: no revocation. */
	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, size);
	if (ret != 1)
		return ret;
	mutex_lock(&vpd->request_lock);
	if (feature != VFIO_DEVICE_FEATURE_LOW_POWER_EXIT)
		vpd_request_begin(vpd);
	ret = vfio_pci_core_ioctl_feature(&vpd->core.vdev, flags, arg, argsz);
	vpd_request_end(vpd);
	mutex_unlock(&vpd->request_lock);
	return ret;
}

static int vpd_device_feature(struct vfio_device *vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vpd_device *vpd = to_vpd(vdev);

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		return vpd_feature_dma_buf(vpd, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL:
		return vpd_feature_dma_buf_ctl(vpd, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_ATTACHMENTS:
		return vpd_feature_dma_buf_attachments(vpd, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return vpd_feature_low_power(vpd, flags, arg, argsz);
	default:
		return vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
	}
}

/* Does a write of @count bytes at @pos reach the byte at @reg? */
static bool vpd_write_reaches(loff_t pos, size_t count, unsigned int reg)
{
	return reg >= pos && reg - pos < count;
}

/*
 * Config writes that can turn the BAR off reach the low byte of
 * PCI_COMMAND (memory decode) or of the PM control register (power
 * state). They revoke first whatever they write, then follow the state
 * vfio is left in: vfio reads the user's buffer itself, so the bytes
 * cannot be judged beforehand (another thread may change them in
 * between). A write that leaves the BAR on costs importers one revoke
 * and restore.
 */
static bool vpd_config_write_may_disable(struct pci_dev *pdev, loff_t pos,
					 size_t count)
{
	return vpd_write_reaches(pos, count, PCI_COMMAND) ||
	       (pdev->pm_cap &&
		vpd_write_reaches(pos, count, pdev->pm_cap + PCI_PM_CTRL));
}

static ssize_t vpd_write(struct vfio_device *vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct vpd_device *vpd = to_vpd(vdev);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t ret;

	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) != VFIO_PCI_CONFIG_REGION_INDEX ||
	    !vpd_config_write_may_disable(vpd->core.pdev, pos, count))
		return vfio_pci_core_write(vdev, buf, count, ppos);

	mutex_lock(&vpd->request_lock);
	vpd_request_begin(vpd);
	ret = vfio_pci_core_write(vdev, buf, count, ppos);
	vpd_request_end(vpd);
	mutex_unlock(&vpd->request_lock);
	return ret;
}

static int vpd_init_dev(struct vfio_device *vdev)
{
	struct vpd_device *vpd = to_vpd(vdev);

	mutex_init(&vpd->request_lock);
	mutex_init(&vpd->state_lock);
	INIT_LIST_HEAD(&vpd->dmabufs);
	return vfio_pci_core_init_dev(vdev);
}

static void vpd_release_dev(struct vfio_device *vdev)
{
	mutex_destroy(&to_vpd(vdev)->state_lock);
	mutex_destroy(&to_vpd(vdev)->request_lock);
	vfio_pci_core_release_dev(vdev);
}

static const struct vfio_device_ops vpd_ops = {
	.name		= "vfio-pci-dmabuf",
	.init		= vpd_init_dev,
	.release	= vpd_release_dev,
	.open_device	= vpd_open_device,
	.close_device	= vpd_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vpd_device_feature,
	.read		= vfio_pci_core_read,
	.write		= vpd_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	VRS_VFIO_IOMMUFD_OPS
};

static struct vpd_device *vpd_of(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	return core ? to_vpd(&core->vdev) : NULL;
}

/*
 * Function, bus and sysfs resets all pass through these two callbacks
 * (pci_dev_save_and_disable() / pci_dev_restore()), with the device lock
 * held, before the hardware is touched and after it is restored. The
 * restore is read from the device: a reset that left decode off keeps
 * the dma-bufs revoked.
 */
static void vpd_reset_prepare(struct pci_dev *pdev)
{
	struct vpd_device *vpd = vpd_of(pdev);

	if (!vpd)
		return;
	mutex_lock(&vpd->state_lock);
	vpd->resets++;
	mutex_unlock(&vpd->state_lock);
	vpd_update_from_pci(vpd);
}

static void vpd_reset_done(struct pci_dev *pdev)
{
	struct vpd_device *vpd = vpd_of(pdev);

	if (!vpd)
		return;
	mutex_lock(&vpd->state_lock);
	if (vpd->resets)
		vpd->resets--;
	mutex_unlock(&vpd->state_lock);
	vpd_update_from_pci(vpd);
}

/*
 * AER and DPC recovery reset the link without reset_prepare: the PCI
 * core marks the device frozen before calling error_detected, and normal
 * again before resume. The link reset clears decode; the dma-bufs stay
 * revoked until the user restores the device: vfio restores the BARs on
 * the next write of PCI_COMMAND with decode on.
 */
static pci_ers_result_t vpd_error_detected(struct pci_dev *pdev,
					   pci_channel_state_t state)
{
	struct vpd_device *vpd = vpd_of(pdev);

	if (vpd)
		vpd_update_from_pci(vpd);
	return vfio_pci_core_aer_err_detected(pdev, state);
}

static void vpd_error_resume(struct pci_dev *pdev)
{
	struct vpd_device *vpd = vpd_of(pdev);

	if (vpd)
		vpd_update_from_pci(vpd);
}

static const struct pci_error_handlers vpd_err_handlers = {
	.error_detected	= vpd_error_detected,
	.resume		= vpd_error_resume,
	.reset_prepare	= vpd_reset_prepare,
	.reset_done	= vpd_reset_done,
};

static int vpd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vpd_device *vpd;
	int ret;

	vpd = vfio_alloc_device(vpd_device, core.vdev, &pdev->dev, &vpd_ops);
	if (IS_ERR(vpd))
		return PTR_ERR(vpd);

	dev_set_drvdata(&pdev->dev, &vpd->core);
	ret = vfio_pci_core_register_device(&vpd->core);
	if (ret) {
		vfio_put_device(&vpd->core.vdev);
		return ret;
	}
	vpd_debugfs_add(vpd);
	return 0;
}

/*
 * The device leaves (unbind, hot-unplug): revoke now, before vfio waits
 * for its user to close it, which makes the dma-bufs gone for good.
 */
static void vpd_remove(struct pci_dev *pdev)
{
	struct vpd_device *vpd = vpd_of(pdev);

	vpd_debugfs_remove(vpd);
	mutex_lock(&vpd->state_lock);
	vpd->removing = true;
	mutex_unlock(&vpd->state_lock);
	vpd_update_from_pci(vpd);
	vfio_pci_core_unregister_device(&vpd->core);
	vfio_put_device(&vpd->core.vdev);
}

static const struct pci_device_id vpd_table[] = {
	/* Any device, bound only through driver_override. */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vpd_table);

static struct pci_driver vpd_driver = {
	.name			= "vfio-pci-dmabuf",
	.id_table		= vpd_table,
	.probe			= vpd_probe,
	.remove			= vpd_remove,
	.err_handler		= &vpd_err_handlers,
	.driver_managed_dma	= true,
};

static int __init vpd_init(void)
{
	int ret;

#ifdef VRS_HAVE_UPSTREAM_VFIO_DMA_BUF
	pr_info("this kernel's vfio-pci exports dma-bufs itself; vfio-pci-dmabuf adds revocation events, CPU mappings and per-buffer revoke\n");
#endif

	vpd_debugfs_init();
	ret = pci_register_driver(&vpd_driver);
	if (ret)
		vpd_debugfs_exit();
	return ret;
}

static void __exit vpd_exit(void)
{
	pci_unregister_driver(&vpd_driver);
	vpd_debugfs_exit();
}

module_init(vpd_init);
module_exit(vpd_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("vramshare developers");
MODULE_DESCRIPTION("vfio-pci variant driver exporting BARs as revocable dma-bufs");
MODULE_VERSION(VRAMSHARE_VERSION);
