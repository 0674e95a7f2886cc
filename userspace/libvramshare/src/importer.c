// SPDX-License-Identifier: MIT
/*
 * libvramshare: the importing side, a drm-import render node, through
 * libdrm (PRIME for dma-buf import, drmIoctl for drm-import's ioctls).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/drm_import.h>

#include "internal.h"

#define VRS_IMPORTER_DRIVER "drm_import"

int vrs_is_importer_fd(int fd)
{
	drmVersionPtr version = drmGetVersion(fd);
	int match;

	if (!version)
		return vrs_errno();
	match = strcmp(version->name, VRS_IMPORTER_DRIVER) == 0;
	drmFreeVersion(version);
	return match;
}

int vrs_importer_open(const char *path, struct vrs_importer **impp)
{
	struct vrs_importer *imp;
	int ret;

	if (!path || !impp)
		return -EINVAL;
	imp = calloc(1, sizeof(*imp));
	if (!imp)
		return -ENOMEM;
	imp->fd = open(path, O_RDWR | O_CLOEXEC);
	if (imp->fd < 0) {
		ret = vrs_errno();
		free(imp);
		return ret;
	}
	ret = vrs_is_importer_fd(imp->fd);
	if (ret <= 0) {
		vrs_importer_close(imp);
		return ret ? ret : -ENODEV;
	}
	*impp = imp;
	return 0;
}

void vrs_importer_close(struct vrs_importer *imp)
{
	if (!imp)
		return;
	close(imp->fd);
	free(imp);
}

int vrs_importer_fd(const struct vrs_importer *imp)
{
	return imp ? imp->fd : -EINVAL;
}

int vrs_ioctl(struct vrs_importer *imp, unsigned long request, void *arg)
{
	if (!imp)
		return -EINVAL;
	return drmIoctl(imp->fd, request, arg) ? vrs_errno() : 0;
}

/*
 * Not drmIoctl(), which repeats a call that failed with EINTR or EAGAIN:
 * an interrupted COPY has submitted its job already (repeating it copies
 * twice), and the caller of a wait wants its EINTR.
 */
int vrs_ioctl_once(struct vrs_importer *imp, unsigned long request,
		   void *arg)
{
	if (!imp)
		return -EINVAL;
	return ioctl(imp->fd, request, arg) ? vrs_errno() : 0;
}

int vrs_import(struct vrs_importer *imp, int dmabuf_fd, uint32_t *handle)
{
	if (!imp || !handle)
		return -EINVAL;
	return drmPrimeFDToHandle(imp->fd, dmabuf_fd, handle) ?
	       vrs_errno() : 0;
}

int vrs_bo_create(struct vrs_importer *imp, uint64_t size, uint32_t *handle)
{
	struct drm_import_bo_create args = { .size = size };
	int ret;

	if (!handle)
		return -EINVAL;
	ret = vrs_ioctl(imp, DRM_IOCTL_IMPORT_BO_CREATE, &args);
	if (!ret)
		*handle = args.handle;
	return ret;
}

int vrs_bo_mmap(struct vrs_importer *imp, uint32_t handle, uint64_t size,
		void **addr)
{
	struct drm_import_bo_mmap_offset args = { .handle = handle };
	void *p;
	int ret;

	if (!addr || !size)
		return -EINVAL;
	ret = vrs_ioctl(imp, DRM_IOCTL_IMPORT_BO_MMAP_OFFSET, &args);
	if (ret)
		return ret;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, imp->fd,
		 (off_t)args.offset);
	if (p == MAP_FAILED)
		return vrs_errno();
	*addr = p;
	return 0;
}

/* vrs_bo_info@VRAMSHARE_0.1 (no struct_size, no revoked): compat.c */
int vrs_bo_info_v04(struct vrs_importer *imp, uint32_t handle,
		    struct vrs_bo_info *info)
{
	struct drm_import_bo_info args = { .handle = handle };
	struct vrs_bo_info full;
	size_t size;
	int ret;

	if (!info || info->struct_size < VRS_BO_INFO_MIN_SIZE)
		return -EINVAL;
	ret = vrs_ioctl(imp, DRM_IOCTL_IMPORT_BO_INFO, &args);
	if (ret)
		return ret;
	size = info->struct_size < sizeof(full) ? info->struct_size :
						   sizeof(full);
	memset(&full, 0, sizeof(full));
	full.struct_size = (uint32_t)size;
	full.imported = args.kind == DRM_IMPORT_BO_KIND_IMPORTED;
	full.mapped = !!(args.state & DRM_IMPORT_BO_STATE_MAPPED);
	full.revoked = !!(args.state & DRM_IMPORT_BO_STATE_REVOKED);
	full.size = args.size;
	full.invalidations = args.invalidations;
	full.maps = args.maps;
	memcpy(info, &full, size);
	return 0;
}
VRS_SYMBOL_DEFAULT(vrs_bo_info_v04, vrs_bo_info, "VRAMSHARE_0.4");

int vrs_bo_close(struct vrs_importer *imp, uint32_t handle)
{
	if (!imp)
		return -EINVAL;
	return drmCloseBufferHandle(imp->fd, handle) ? vrs_errno() : 0;
}

int vrs_copy(struct vrs_importer *imp, uint32_t dst, uint64_t dst_offset,
	     uint32_t src, uint64_t src_offset, uint64_t size)
{
	struct drm_import_copy args = {
		.src_handle = src,
		.dst_handle = dst,
		.src_offset = src_offset,
		.dst_offset = dst_offset,
		.size = size,
	};

	return vrs_ioctl_once(imp, DRM_IOCTL_IMPORT_COPY, &args);
}
