// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: a vfio-pci variant driver that exports BAR ranges as
 * dma-bufs (VFIO_DEVICE_FEATURE_DMA_BUF, upstream's uAPI) on kernels whose
 * vfio-pci does not, and revokes them whenever the BAR becomes unusable.
 *
 * Every vfio op is vfio-pci-core's except: the feature ioctl (adds the
 * dma-buf features; revokes around low-power entry and exit), config
 * writes (revoke before memory decode is turned off, restore after it is
 * turned on), close (revokes the dma-bufs for good) and the PCI reset
 * callbacks (revoke before any reset, restore after it).
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
	vpd_dmabufs_gone(to_vpd(vdev));
	vfio_pci_core_close_device(vdev);
}

/*
 * Low-power entry turns the BAR off until LOW_POWER_EXIT: revoke first.
 * After a device-initiated wakeup the dma-bufs stay revoked until the
 * user calls LOW_POWER_EXIT, which vfio allows at any time.
 */
static int vpd_feature_low_power(struct vpd_device *vpd, u32 flags,
				 void __user *arg, size_t argsz)
{
	u32 feature = flags & VFIO_DEVICE_FEATURE_MASK;
	bool entry = feature != VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	bool probe = flags & VFIO_DEVICE_FEATURE_PROBE;
	int ret;

	if (entry && !probe)
		vpd_dmabufs_revoke(vpd, VPD_REVOKE_LOW_POWER);
	ret = vfio_pci_core_ioctl_feature(&vpd->core.vdev, flags, arg, argsz);
	if (!probe && (!entry || ret))
		vpd_dmabufs_restore(vpd, VPD_REVOKE_LOW_POWER);
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
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return vpd_feature_low_power(vpd, flags, arg, argsz);
	default:
		return vfio_pci_core_ioctl_feature(vdev, flags, arg, argsz);
	}
}

/*
 * A config write that clears PCI_COMMAND_MEMORY turns the BAR off:
 * revoke before vfio writes it; one that sets it makes the BAR usable:
 * restore once it is written. Other writes pass through untouched.
 */
static ssize_t vpd_write(struct vfio_device *vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct vpd_device *vpd = to_vpd(vdev);
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	bool decode;
	ssize_t ret;
	u8 cmd;

	if (VFIO_PCI_OFFSET_TO_INDEX(*ppos) != VFIO_PCI_CONFIG_REGION_INDEX ||
	    pos > PCI_COMMAND || pos + count <= PCI_COMMAND)
		return vfio_pci_core_write(vdev, buf, count, ppos);

	if (copy_from_user(&cmd, buf + (PCI_COMMAND - pos), 1))
		return -EFAULT;
	decode = cmd & PCI_COMMAND_MEMORY;
	if (!decode)
		vpd_dmabufs_revoke(vpd, VPD_REVOKE_DECODE);
	ret = vfio_pci_core_write(vdev, buf, count, ppos);
	/*
	 * After a refused write that would have turned decode off, the
	 * dma-bufs stay revoked until a write turns it on: the safe side.
	 */
	if (decode && ret > 0)
		vpd_dmabufs_restore(vpd, VPD_REVOKE_DECODE);
	return ret;
}

static int vpd_init_dev(struct vfio_device *vdev)
{
	struct vpd_device *vpd = to_vpd(vdev);

	mutex_init(&vpd->dmabufs_lock);
	INIT_LIST_HEAD(&vpd->dmabufs);
	return vfio_pci_core_init_dev(vdev);
}

static void vpd_release_dev(struct vfio_device *vdev)
{
	mutex_destroy(&to_vpd(vdev)->dmabufs_lock);
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
};

/*
 * Function, bus and sysfs resets all pass through these two callbacks
 * (pci_dev_save_and_disable() / pci_dev_restore()), with the device lock
 * held, before the hardware is touched and after it is usable again.
 */
static void vpd_reset_prepare(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	if (core)
		vpd_dmabufs_revoke(to_vpd(&core->vdev), VPD_REVOKE_RESET);
}

static void vpd_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	if (core)
		vpd_dmabufs_restore(to_vpd(&core->vdev), VPD_REVOKE_RESET);
}

static const struct pci_error_handlers vpd_err_handlers = {
	.error_detected	= vfio_pci_core_aer_err_detected,
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

static void vpd_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vpd_debugfs_remove(to_vpd(&core->vdev));
	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
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
