/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * drm-import: uAPI of the importing GPU's DRM render driver.
 *
 * Objects are either local (system memory, created here) or imported
 * (PRIME fd to handle, a dynamic peer-to-peer attachment). Copy jobs run
 * on the device's engine between any two objects.
 *
 * Every reserved or padding field must be zero and every unknown flag is
 * refused with -EINVAL, so that later versions can give them meaning.
 * The version is DRM_IOCTL_VERSION's major.minor.
 */
#ifndef _UAPI_DRM_IMPORT_H
#define _UAPI_DRM_IMPORT_H

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_IMPORT_VERSION_MAJOR	0
#define DRM_IMPORT_VERSION_MINOR	1

#define DRM_IMPORT_BO_CREATE		0x00
#define DRM_IMPORT_BO_MMAP_OFFSET	0x01
#define DRM_IMPORT_BO_INFO		0x02
#define DRM_IMPORT_COPY			0x03

/**
 * struct drm_import_bo_create - create a local object in system memory
 * @size: bytes, rounded up to whole pages; not zero
 * @flags: must be 0
 * @handle: out: the new object's handle
 */
struct drm_import_bo_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
};

/**
 * struct drm_import_bo_mmap_offset - where to mmap an object
 *
 * Mappings of an imported object are the exporter's (forwarded to its
 * dma-buf mmap); exporters that cannot map refuse at mmap(2) time.
 *
 * @handle: an object
 * @flags: must be 0
 * @offset: out: pass to mmap(2) on the DRM file descriptor
 */
struct drm_import_bo_mmap_offset {
	__u32 handle;
	__u32 flags;
	__u64 offset;
};

/* struct drm_import_bo_info.kind */
#define DRM_IMPORT_BO_KIND_LOCAL	1
#define DRM_IMPORT_BO_KIND_IMPORTED	2

/* struct drm_import_bo_info.state */
#define DRM_IMPORT_BO_STATE_MAPPED	0x1

/**
 * struct drm_import_bo_info - what an object is and its mapping history
 * @handle: the object
 * @flags: must be 0
 * @size: out: bytes
 * @kind: out: DRM_IMPORT_BO_KIND_*
 * @state: out: DRM_IMPORT_BO_STATE_* bits; MAPPED means the engine holds
 *         a mapping of an imported object now
 * @invalidations: out: move_notify calls the exporter made (each revoke
 *         and each restore counts one)
 * @maps: out: times the object was mapped for the engine
 */
struct drm_import_bo_info {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u32 kind;
	__u32 state;
	__u64 invalidations;
	__u64 maps;
};

/**
 * struct drm_import_copy - copy bytes between two objects on the engine
 * @src_handle: object read from
 * @dst_handle: object written to (may be @src_handle)
 * @src_offset: byte offset in the source
 * @dst_offset: byte offset in the destination
 * @size: bytes; not zero; both ranges must lie inside their objects
 * @flags: must be 0
 * @pad: must be 0
 *
 * Returns when the copy is complete. An imported object whose exporter
 * revoked it fails the copy with -ENODEV and no byte is transferred.
 */
struct drm_import_copy {
	__u32 src_handle;
	__u32 dst_handle;
	__u64 src_offset;
	__u64 dst_offset;
	__u64 size;
	__u32 flags;
	__u32 pad;
};

#define DRM_IOCTL_IMPORT_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IMPORT_BO_CREATE, struct drm_import_bo_create)
#define DRM_IOCTL_IMPORT_BO_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IMPORT_BO_MMAP_OFFSET, struct drm_import_bo_mmap_offset)
#define DRM_IOCTL_IMPORT_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IMPORT_BO_INFO, struct drm_import_bo_info)
#define DRM_IOCTL_IMPORT_COPY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IMPORT_COPY, struct drm_import_copy)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_IMPORT_H */
