/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * drm-import: uAPI of the importing GPU's DRM render driver.
 *
 * Objects are either local (system memory, created here) or imported
 * (PRIME fd to handle, a dynamic peer-to-peer attachment). Jobs (copy and
 * fill) run asynchronously on the device's engine, scheduled by drm_sched
 * (version 0.3): an open file's jobs in submission order, files by
 * drm_sched's policy; each has a dma-fence that signals when it ends,
 * with an error if it failed. The fence is returned as a sync_file and/or placed in a
 * drm_syncobj, and added to the reservation objects of the objects the
 * job touches (implicit synchronisation). See docs/importer.md.
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
#define DRM_IMPORT_VERSION_MINOR	3

#define DRM_IMPORT_BO_CREATE		0x00
#define DRM_IMPORT_BO_MMAP_OFFSET	0x01
#define DRM_IMPORT_BO_INFO		0x02
#define DRM_IMPORT_COPY			0x03
#define DRM_IMPORT_SUBMIT		0x04
#define DRM_IMPORT_BO_WAIT		0x05

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
#define DRM_IMPORT_BO_STATE_REVOKED	0x2

/**
 * struct drm_import_bo_info - what an object is and its mapping history
 * @handle: the object
 * @flags: must be 0
 * @size: out: bytes
 * @kind: out: DRM_IMPORT_BO_KIND_*
 * @state: out: DRM_IMPORT_BO_STATE_* bits; MAPPED means the engine holds
 *         a mapping of an imported object now; REVOKED that the last
 *         attempt to map it (on use, or at the exporter's move_notify)
 *         found the exporter's memory revoked
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
 * The synchronous form of DRM_IMPORT_SUBMIT: a copy job submitted with
 * DRM_IMPORT_SUBMIT_NO_WAIT, waited for. Returns 0 when the copy is
 * complete, a submission error (see DRM_IMPORT_SUBMIT; -ENODEV, with no
 * byte transferred, when an imported object is revoked), the job's error
 * (-ECANCELED when a revocation interrupted it, -ETIMEDOUT, -EIO, -ENODEV),
 * or -EINTR when a signal ended the wait (the copy goes on).
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

/* struct drm_import_submit.op */
#define DRM_IMPORT_JOB_COPY		1
#define DRM_IMPORT_JOB_FILL		2

/* struct drm_import_submit.flags */
#define DRM_IMPORT_SUBMIT_NO_WAIT	0x1
#define DRM_IMPORT_SUBMIT_IN_FENCE_FD	0x2
#define DRM_IMPORT_SUBMIT_OUT_FENCE_FD	0x4
#define DRM_IMPORT_SUBMIT_FLAGS		(DRM_IMPORT_SUBMIT_NO_WAIT | \
					 DRM_IMPORT_SUBMIT_IN_FENCE_FD | \
					 DRM_IMPORT_SUBMIT_OUT_FENCE_FD)

/**
 * struct drm_import_submit - queue a copy or fill job on the engine
 * @op: DRM_IMPORT_JOB_COPY or DRM_IMPORT_JOB_FILL
 * @flags: DRM_IMPORT_SUBMIT_* bits:
 *         NO_WAIT: if an imported object is revoked, fail with -ENODEV
 *         instead of waiting for the exporter to restore it;
 *         IN_FENCE_FD: the job waits for the sync_file @in_fence_fd;
 *         OUT_FENCE_FD: return the job's fence as a sync_file in
 *         @out_fence_fd
 * @src_handle: copy: the object read from; fill: must be 0
 * @dst_handle: the object written to (a copy's may be @src_handle)
 * @src_offset: copy: byte offset in the source; fill: must be 0
 * @dst_offset: byte offset in the destination
 * @size: bytes; not zero; every range must lie inside its object
 * @fill_value: fill: 32-bit pattern, repeated from the first byte
 *         written (little endian); copy: must be 0
 * @timeout_ms: bound, from submission, on the job's wait for a restore
 *         and for its fences; past it the job fails with -ETIMEDOUT
 *         without running. On the engine the driver's own bound applies
 *         (module parameter engine_timeout_ms). 0 selects the driver's
 *         default (module parameter job_timeout_ms); more than the module
 *         parameter job_timeout_max_ms (default 60000) is refused
 * @in_fence_fd: a sync_file fd, with IN_FENCE_FD; otherwise must be 0
 * @out_fence_fd: out: with OUT_FENCE_FD, a new sync_file fd; must be 0
 * @in_syncobj: a drm_syncobj handle whose fence the job waits for, or 0
 * @out_syncobj: a drm_syncobj handle that receives the job's fence, or 0
 *
 * Besides the explicit fences, a job waits for the fences already in its
 * objects' reservation objects: writers of what it reads, readers and
 * writers of what it writes. Fences only order: a dependency that failed
 * does not fail the job.
 *
 * A job's fence signals with an error when the job fails: -ENODEV (the
 * device unplugged), -ECANCELED (the
 * exporter revoked an object while the job was queued or running; bytes
 * already written stay written), -ETIMEDOUT (@timeout_ms elapsed, or the
 * engine hung and was reset), -ESRCH (the file was closed before the job
 * reached the engine; drm_sched's error for a killed entity's jobs), -EIO
 * (the engine could not be reset, or an exporter's table does not cover
 * its dma-buf).
 *
 * Returns 0 once the job is queued. A submission that finds an imported
 * object revoked waits, interruptibly and at most @timeout_ms, for the
 * restore (-ETIMEDOUT), unless NO_WAIT is set (-ENODEV). Bad handles give
 * -ENOENT, bad fences -EINVAL or -ENOENT, a destination that imports a
 * dma-buf opened read-only (O_RDONLY) -EACCES, everything else malformed
 * -EINVAL; -EBUSY when the file already has max_queued_jobs (module
 * parameter, default 256) jobs waiting for the engine; nothing is queued
 * then. The one exception: with OUT_FENCE_FD, -ENOMEM may mean that the
 * job was queued but its sync_file could not be made (an out_syncobj has
 * the fence then).
 */
struct drm_import_submit {
	__u32 op;
	__u32 flags;
	__u32 src_handle;
	__u32 dst_handle;
	__u64 src_offset;
	__u64 dst_offset;
	__u64 size;
	__u32 fill_value;
	__u32 timeout_ms;
	__s32 in_fence_fd;
	__s32 out_fence_fd;
	__u32 in_syncobj;
	__u32 out_syncobj;
};

/**
 * struct drm_import_bo_wait - wait until no job uses an object
 * @handle: the object
 * @flags: must be 0
 * @timeout_ns: relative timeout; 0 only tests. Negative is refused
 *
 * Waits for every fence in the object's reservation object: this
 * driver's jobs, and those of other drivers sharing the object.
 * Returns 0 when idle, -ETIMEDOUT when the object is still busy after
 * @timeout_ns (at once when it is 0), -EINTR on a signal.
 */
struct drm_import_bo_wait {
	__u32 handle;
	__u32 flags;
	__s64 timeout_ns;
};

#define DRM_IOCTL_IMPORT_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IMPORT_BO_CREATE, struct drm_import_bo_create)
#define DRM_IOCTL_IMPORT_BO_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IMPORT_BO_MMAP_OFFSET, struct drm_import_bo_mmap_offset)
#define DRM_IOCTL_IMPORT_BO_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IMPORT_BO_INFO, struct drm_import_bo_info)
#define DRM_IOCTL_IMPORT_COPY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IMPORT_COPY, struct drm_import_copy)
#define DRM_IOCTL_IMPORT_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IMPORT_SUBMIT, struct drm_import_submit)
#define DRM_IOCTL_IMPORT_BO_WAIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IMPORT_BO_WAIT, struct drm_import_bo_wait)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_IMPORT_H */
