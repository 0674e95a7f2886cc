// SPDX-License-Identifier: MIT
/*
 * libvramshare: the calls of earlier symbol versions whose structs changed
 * in VRAMSHARE_0.4, for programs linked against those versions. Each takes
 * the old struct, behaves as it did, and does its work through the current
 * implementation.
 *
 *   vrs_bo_info@VRAMSHARE_0.1       no struct_size, no revoked
 *   vrs_dmabuf_query@VRAMSHARE_0.2  no struct_size
 *   vrs_submit@VRAMSHARE_0.3        no struct_size; in_fence_fd -1 for
 *                                   none, where 0 is file descriptor 0
 */
#include <errno.h>
#include <string.h>

#include "compat.h"

int vrs_bo_info_v01(struct vrs_importer *imp, uint32_t handle,
		    struct vrs_bo_info_v01 *info)
{
	struct vrs_bo_info cur = { .struct_size = sizeof(cur) };
	int ret;

	if (!info)
		return -EINVAL;
	ret = vrs_bo_info_v04(imp, handle, &cur);
	if (ret)
		return ret;
	info->size = cur.size;
	info->imported = cur.imported;
	info->mapped = cur.mapped;
	info->invalidations = cur.invalidations;
	info->maps = cur.maps;
	return 0;
}
VRS_SYMBOL_COMPAT(vrs_bo_info_v01, vrs_bo_info, "VRAMSHARE_0.1");

int vrs_dmabuf_query_v02(struct vrs_device *dev, int dmabuf_fd,
			 struct vrs_dmabuf_state_v02 *state)
{
	struct vrs_dmabuf_state cur = { .struct_size = sizeof(cur) };
	int ret;

	if (!state)
		return -EINVAL;
	ret = vrs_dmabuf_query_v04(dev, dmabuf_fd, &cur);
	if (ret)
		return ret;
	state->state = cur.state;
	state->generation = cur.generation;
	state->version = cur.version;
	return 0;
}
VRS_SYMBOL_COMPAT(vrs_dmabuf_query_v02, vrs_dmabuf_query, "VRAMSHARE_0.2");

int vrs_submit_v03(struct vrs_importer *imp, const struct vrs_job_v03 *job,
		   int *out_fence_fd)
{
	struct vrs_job cur;

	if (!job)
		return -EINVAL;
	if (job->flags & ~(uint32_t)VRS_JOB_NO_WAIT)
		return -EINVAL;
	memset(&cur, 0, sizeof(cur));
	cur.struct_size = sizeof(cur);
	cur.op = job->op;
	cur.flags = job->flags;
	cur.dst = job->dst;
	cur.dst_offset = job->dst_offset;
	cur.src = job->src;
	cur.src_offset = job->src_offset;
	cur.size = job->size;
	cur.fill_value = job->fill_value;
	cur.timeout_ms = job->timeout_ms;
	cur.in_syncobj = job->in_syncobj;
	cur.out_syncobj = job->out_syncobj;
	if (job->in_fence_fd >= 0) {
		cur.flags |= VRS_JOB_IN_FENCE_FD;
		cur.in_fence_fd = job->in_fence_fd;
	}
	return vrs_submit_v04(imp, &cur, out_fence_fd);
}
VRS_SYMBOL_COMPAT(vrs_submit_v03, vrs_submit, "VRAMSHARE_0.3");
