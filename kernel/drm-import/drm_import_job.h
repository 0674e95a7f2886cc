/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: a job, shared by the submission code (drm_import_job.c) and
 * the scheduler backend that runs it (drm_import_sched.c).
 */
#ifndef DRM_IMPORT_JOB_H
#define DRM_IMPORT_JOB_H

#include <drm/gpu_scheduler.h>
#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

struct dim_device;
struct drm_gem_object;
struct sg_table;

/* in-fence, in-syncobj, and one implicit fence per object */
#define DIM_JOB_MAX_DEPS	4

/**
 * struct dim_dep_cb - the gate's callback on one dependency
 * @cb: added to the dependency
 * @job: whose gate it counts down
 */
struct dim_dep_cb {
	struct dma_fence_cb cb;
	struct dim_job *job;
};

/**
 * struct dim_job - one copy or fill job
 * @fence: the engine's (hardware) fence: signals when the engine is done
 *         with the job, with its error if it failed. drm_sched's finished
 *         fence follows it. First member: the job lives as long as any
 *         reference to this fence (drm_sched keeps one as the finished
 *         fence's parent) and is freed with it
 * @fence_lock: @fence's lock
 * @base: the scheduler's job
 * @gate: the one dependency drm_sched sees. It opens once every fence in
 *        @deps signalled, or at once when the job is canceled or its
 *        dependencies outlive its timeout, so that a canceled job never
 *        waits for another driver's fence
 * @gate_lock: @gate's lock
 * @gate_pending: dependencies still to signal, plus one while arming
 * @dep_cbs: the gate's callbacks, one per entry of @deps
 * @deadline: opens the gate with -ETIMEDOUT when the dependencies are late
 * @expires: jiffies by which the dependencies (and a submission's wait
 *           for a restore) must be done, counted from the submission
 * @dim: the device (the job holds a reference on it)
 * @owner: id of the file that submitted the job
 * @link: entry in &dim_ring.jobs from submission until drm_sched frees
 *        the job, under &dim_ring.lock
 * @started: drm_sched handed the job to the engine (under &dim_ring.lock)
 * @op: DRM_IMPORT_JOB_COPY or DRM_IMPORT_JOB_FILL
 * @fill_value: pattern of a fill
 * @src: object read by a copy (NULL for a fill); the job holds a reference
 * @dst: object written; the job holds a reference
 * @src_sgt: @src's DMA-mapped table for the engine, valid while the job
 *           is queued or running: a revocation of an imported @src
 *           cancels the job first, and a local object keeps its mapping
 *           until it is freed or the device goes
 * @dst_sgt: the same for @dst
 * @src_local: @src is a local object: the CPU's view is synced around
 *             each transfer
 * @dst_local: the same for @dst
 * @src_offset: byte offset in @src
 * @dst_offset: byte offset in @dst
 * @size: bytes to write
 * @deps: fences to wait for before the first transfer (references)
 * @ndeps: entries used in @deps
 * @error: first error the job got (cancellation, late dependencies);
 *         set with cmpxchg(), read without lock
 * @done: bytes written so far
 * @retire_work: releases the objects and fences once drm_sched is done
 * @free_work: frees the job once the last @fence reference is gone
 */
struct dim_job {
	struct dma_fence fence;
	spinlock_t fence_lock;	/* the fence's */
	struct drm_sched_job base;
	struct dma_fence gate;
	spinlock_t gate_lock;	/* the gate's */
	atomic_t gate_pending;
	struct dim_dep_cb dep_cbs[DIM_JOB_MAX_DEPS];
	struct timer_list deadline;
	unsigned long expires;
	struct dim_device *dim;
	u64 owner;
	struct list_head link;
	bool started;
	u32 op;
	u32 fill_value;
	struct drm_gem_object *src;
	struct drm_gem_object *dst;
	struct sg_table *src_sgt;
	struct sg_table *dst_sgt;
	bool src_local;
	bool dst_local;
	u64 src_offset;
	u64 dst_offset;
	u64 size;
	struct dma_fence *deps[DIM_JOB_MAX_DEPS];
	unsigned int ndeps;
	int error;
	u64 done;
	struct work_struct retire_work;
	struct work_struct free_work;
};

static inline struct dim_job *to_dim_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct dim_job, base);
}

void dim_job_gate_open(struct dim_job *job, int error);
void dim_job_gate_disarm(struct dim_job *job);
void dim_job_retire(struct dim_job *job);

/* Jiffies until the job's dependencies are late; 0 once they are. */
static inline long dim_job_time_left(const struct dim_job *job)
{
	unsigned long now = jiffies;

	return time_before(now, job->expires) ? job->expires - now : 0;
}

/* Record the job's first error; later ones do not replace it. */
static inline void dim_job_set_error(struct dim_job *job, int error)
{
	cmpxchg(&job->error, 0, error);
}

static inline bool dim_job_uses(const struct dim_job *job,
				const struct drm_gem_object *obj)
{
	return job->src == obj || job->dst == obj;
}

#endif /* DRM_IMPORT_JOB_H */
