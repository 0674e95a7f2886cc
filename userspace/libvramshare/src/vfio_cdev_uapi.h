/* SPDX-License-Identifier: MIT */
/*
 * libvramshare: the parts of the vfio device cdev and iommufd uAPI that the
 * library uses, for building on systems whose <linux/vfio.h> predates them
 * (Debian 12's headers are 6.1's; the cdev came in 6.6, iommufd in 6.2).
 * Numbers and layouts are the kernel's (include/uapi/linux/vfio.h and
 * iommufd.h); each is defined only when the installed headers lack it.
 */
#ifndef VRAMSHARE_VFIO_CDEV_UAPI_H
#define VRAMSHARE_VFIO_CDEV_UAPI_H

#include <linux/types.h>
#include <linux/vfio.h>
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif

#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif

#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID (1 << 0)
#endif
#ifndef VFIO_PCI_DEVID_NOT_OWNED
#define VFIO_PCI_DEVID_NOT_OWNED -1
#endif

#ifndef IOMMUFD_TYPE
#define IOMMUFD_TYPE (';')
#endif
#ifndef IOMMU_IOAS_ALLOC
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, 0x81)
#endif

#endif /* VRAMSHARE_VFIO_CDEV_UAPI_H */
