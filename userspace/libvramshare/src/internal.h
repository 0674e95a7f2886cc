/* SPDX-License-Identifier: MIT */
/* libvramshare: the opaque handles and internal helpers. */
#ifndef VRAMSHARE_INTERNAL_H
#define VRAMSHARE_INTERNAL_H

#include <stddef.h>

#include "vramshare.h"

/* "0000:03:00.0" and a terminating NUL */
#define VRS_PCI_ADDRESS_LEN 13

/*
 * An open exporting device: through a vfio group and container
 * (container_fd, group_fd; iommufd -1), or through the vfio device cdev
 * bound to an iommufd (iommufd; container_fd and group_fd -1).
 */
struct vrs_device {
	char address[VRS_PCI_ADDRESS_LEN];
	int container_fd;
	int group_fd;
	int device_fd;
	int iommufd;
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

/*
 * The first version of each extensible struct ends here: a smaller
 * struct_size is refused. Fixed once released; a later version only adds
 * members after these.
 */
#define VRS_BO_INFO_MIN_SIZE \
	(offsetof(struct vrs_bo_info, maps) + sizeof(uint64_t))
#define VRS_JOB_MIN_SIZE \
	(offsetof(struct vrs_job, out_syncobj) + sizeof(uint32_t))
#define VRS_DMABUF_STATE_MIN_SIZE \
	(offsetof(struct vrs_dmabuf_state, reserved) + sizeof(uint32_t))

/*
 * Calls whose struct changed layout keep one implementation per layout
 * (the old ones in compat.c). VRS_SYMBOL_DEFAULT() makes @impl the public
 * @name that programs link against from now on, VRS_SYMBOL_COMPAT() the
 * @name of version @node that programs linked before keep using.
 *
 * In the shared library (VRS_SYMVER, set on its target only) they are GNU
 * symbol versions, name@@node and name@node: by GCC's symver attribute,
 * which survives -flto where a .symver in top-level asm does not, or by
 * that asm. Elsewhere (the unit tests compile the sources into their
 * programs) @name is a plain alias of the default implementation, and old
 * ones are reached by their own names.
 */
#ifdef __has_attribute
#if __has_attribute(__symver__)
#define VRS_HAVE_SYMVER_ATTRIBUTE 1
#endif
#endif

#if defined(VRS_SYMVER) && defined(VRS_HAVE_SYMVER_ATTRIBUTE)
#define VRS_SYMBOL_DEFAULT(impl, name, node) \
	extern __typeof__(impl) impl \
		__attribute__((__symver__(#name "@@" node)))
#define VRS_SYMBOL_COMPAT(impl, name, node) \
	extern __typeof__(impl) impl \
		__attribute__((__symver__(#name "@" node)))
#elif defined(VRS_SYMVER)
#define VRS_SYMBOL_DEFAULT(impl, name, node) \
	__asm__(".symver " #impl ", " #name "@@" node)
#define VRS_SYMBOL_COMPAT(impl, name, node) \
	__asm__(".symver " #impl ", " #name "@" node)
#else
#define VRS_SYMBOL_DEFAULT(impl, name, node) \
	extern __typeof__(impl) name __attribute__((__alias__(#impl)))
#define VRS_SYMBOL_COMPAT(impl, name, node) \
	extern __typeof__(impl) impl
#endif

/* The implementations of VRAMSHARE_0.4, vrs_*@@VRAMSHARE_0.4. */
int vrs_bo_info_v04(struct vrs_importer *imp, uint32_t handle,
		    struct vrs_bo_info *info);
int vrs_submit_v04(struct vrs_importer *imp, const struct vrs_job *job,
		   int *out_fence_fd);
int vrs_dmabuf_query_v04(struct vrs_device *dev, int dmabuf_fd,
			 struct vrs_dmabuf_state *state);

#endif /* VRAMSHARE_INTERNAL_H */
