/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: a job, shared by the submission code (drm_import_job.c)
 * and the ring that runs it (drm_import_ring.c).
 */
#ifndef DRM_IMPORT_JOB_H
#define DRM_IMPORT_JOB_H

#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/workqueue.h>

struct dim_device;
struct drm_gem_object;
struct sg_table;

/* in-fence, in-syncobj, and one implicit fence per object */
#define DIM_JOB_MAX_DEPS	4

/**
 * struct dim_job - one copy or fill job
 * @fence: signals when the job ends, with its error if it failed. First
 *         member: the job lives as long as any reference to the fence
 *         and is freed with it
 * @fence_lock: the fence's lock
 * @dim: the device (the job holds a reference on it)
 * @link: entry in &dim_ring.queue while queued
 * @op: DRM_IMPORT_JOB_COPY or DRM_IMPORT_JOB_FILL
 * @fill_value: pattern of a fill
 * @src: object read by a copy (NULL for a fill); the job holds a reference
 * @dst: object written; the job holds a reference
 * @src_sgt: @src's table for the engine, valid while the job is queued
 *           or running: a revocation of @src cancels the job first
 * @dst_sgt: the same for @dst
 * @src_sgt_offset: offset of the job's first source byte in @src_sgt (0
 *                  for a local object, whose table starts there)
 * @dst_sgt_offset: the same for @dst_sgt
 * @local_sgt: the job's own tables of the bytes it touches in local
 *             objects ([0] source, [1] destination), pinned at submission,
 *             DMA-mapped only while the job runs, unpinned when it is
 *             retired
 * @local_mapped: @local_sgt is DMA-mapped
 * @src_offset: byte offset in @src
 * @dst_offset: byte offset in @dst
 * @size: bytes to write
 * @deps: fences to wait for before the first transfer
 * @ndeps: entries used in @deps
 * @deadline: jiffies by which the job must end, or fail with -ETIMEDOUT
 * @error: set by cancellation, under &dim_ring.lock
 * @done: bytes written so far
 * @retire_work: releases the objects, fences and tables once the job ends
 * @free_work: frees the job once the last fence reference is gone
 */
struct dim_job {
	struct dma_fence fence;
	spinlock_t fence_lock;	/* the fence's */
	struct dim_device *dim;
	struct list_head link;
	u32 op;
	u32 fill_value;
	struct drm_gem_object *src;
	struct drm_gem_object *dst;
	struct sg_table *src_sgt;
	struct sg_table *dst_sgt;
	u64 src_sgt_offset;
	u64 dst_sgt_offset;
	struct sg_table *local_sgt[2];
	bool local_mapped;
	u64 src_offset;
	u64 dst_offset;
	u64 size;
	struct dma_fence *deps[DIM_JOB_MAX_DEPS];
	unsigned int ndeps;
	unsigned long deadline;
	int error;
	u64 done;
	struct work_struct retire_work;
	struct work_struct free_work;
};

int dim_job_map_local(struct dim_job *job);
void dim_job_unmap_dma(struct dim_job *job);
void dim_job_retire(struct dim_job *job);

/* Jiffies until the job's deadline; 0 once it passed. */
static inline long dim_job_time_left(const struct dim_job *job)
{
	unsigned long now = jiffies;

	return time_before(now, job->deadline) ? job->deadline - now : 0;
}

static inline bool dim_job_uses(const struct dim_job *job,
				const struct drm_gem_object *obj)
{
	return job->src == obj || job->dst == obj;
}

#endif /* DRM_IMPORT_JOB_H */
