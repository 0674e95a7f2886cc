/* SPDX-License-Identifier: MIT */
/* libvramshare: the opaque handles and internal helpers. */
#ifndef VRAMSHARE_INTERNAL_H
#define VRAMSHARE_INTERNAL_H

#include "vramshare.h"

/* "0000:03:00.0" and a terminating NUL */
#define VRS_PCI_ADDRESS_LEN 13

struct vrs_device {
	char address[VRS_PCI_ADDRESS_LEN];
	int container_fd;
	int group_fd;
	int device_fd;
};

struct vrs_importer {
	int fd;
};

/* -errno of the last failed call, never 0 */
int vrs_errno(void);

/* VFIO_DEVICE_FEATURE_PROBE: 1 supported, 0 not, -errno on failure. */
int vrs_feature_probe(struct vrs_device *dev, uint32_t feature_flags);

/* Is @fd a drm-import device? 1 yes, 0 no, -errno on failure. */
int vrs_is_importer_fd(int fd);

/* drmIoctl on the importer: 0 or -errno (-EINVAL for a NULL @imp). */
int vrs_ioctl(struct vrs_importer *imp, unsigned long request, void *arg);

/* ioctl(2) on the importer, never repeated: 0 or -errno (EINTR included). */
int vrs_ioctl_once(struct vrs_importer *imp, unsigned long request,
		   void *arg);

#endif /* VRAMSHARE_INTERNAL_H */
