/* SPDX-License-Identifier: MIT */
/*
 * libvramshare: the structs of calls whose layout changed, as programs
 * built against earlier versions of vramshare.h pass them, and the calls
 * that take them (compat.c). Never change these: they are those programs'
 * ABI.
 */
#ifndef VRAMSHARE_COMPAT_H
#define VRAMSHARE_COMPAT_H

#include "internal.h"

/* struct vrs_bo_info of VRAMSHARE_0.1 to 0.3 */
struct vrs_bo_info_v01 {
	uint64_t size;
	int imported;
	int mapped;
	uint64_t invalidations;
	uint64_t maps;
};

/* struct vrs_dmabuf_state of VRAMSHARE_0.2 and 0.3 */
struct vrs_dmabuf_state_v02 {
	enum vrs_dmabuf_state_kind state;
	uint64_t generation;
	uint32_t version;
};

/* struct vrs_job of VRAMSHARE_0.3: -1 was "no in-fence", 0 fd 0 */
struct vrs_job_v03 {
	enum vrs_job_op op;
	uint32_t flags;		/* VRS_JOB_NO_WAIT only */
	uint32_t dst;
	uint64_t dst_offset;
	uint32_t src;
	uint64_t src_offset;
	uint64_t size;
	uint32_t fill_value;
	uint32_t timeout_ms;
	int in_fence_fd;	/* >= 0: a sync_file to wait for */
	uint32_t in_syncobj;
	uint32_t out_syncobj;
};

/* vrs_bo_info@VRAMSHARE_0.1 */
int vrs_bo_info_v01(struct vrs_importer *imp, uint32_t handle,
		    struct vrs_bo_info_v01 *info);
/* vrs_dmabuf_query@VRAMSHARE_0.2 */
int vrs_dmabuf_query_v02(struct vrs_device *dev, int dmabuf_fd,
			 struct vrs_dmabuf_state_v02 *state);
/* vrs_submit@VRAMSHARE_0.3 */
int vrs_submit_v03(struct vrs_importer *imp, const struct vrs_job_v03 *job,
		   int *out_fence_fd);

#endif /* VRAMSHARE_COMPAT_H */
