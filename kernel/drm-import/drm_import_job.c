// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: job submission.
 *
 * A submission checks every field, looks up the objects and fences, pins
 * the local objects, then takes the objects' reservation locks and, under
 * them: maps imported objects (waiting for a restore, unlocked, when one
 * is revoked), collects the fences already there as implicit
 * dependencies, adds the job's fence (write for the destination, read for
 * the source) and queues the job on the ring. Queuing under the locks
 * matters: a revocation, which runs under the same lock, then always finds
 * the job and cancels it before the exporter waits for the fences.
 *
 * Each job's fence has its own context: revocation cancels queued jobs
 * out of submission order, so jobs' fences cannot share a timeline.
 */
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sync_file.h>

#include "../include/uapi/drm/drm_import.h"
#include "drm_import_drv.h"
#include "drm_import_job.h"

static unsigned int job_timeout_ms = 10000;
module_param(job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "Default bound on a job's life from submission to its end (default 10000)");

static unsigned int job_timeout_max_ms = 60000;
module_param(job_timeout_max_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_max_ms,
		 "Largest timeout a submission may ask for (default 60000): one client cannot hold the ring for longer");

/*
 * The module's own queue: jobs are retired and freed here, never where
 * the last reference drops, and imports are mapped again after a
 * restore. Module exit waits for it.
 */
struct workqueue_struct *dim_wq;

static const char *dim_fence_driver_name(struct dma_fence *fence)
{
	return "drm_import";
}

static const char *dim_fence_timeline_name(struct dma_fence *fence)
{
	return "job";
}

/*
 * Local objects are pinned by the job itself, before it takes any lock:
 * one table per side, of exactly the bytes that side touches (a copy
 * within one object has two disjoint tables).
 */
static int dim_job_pin_local(struct dim_job *job)
{
	struct drm_gem_object *objs[2] = { job->src, job->dst };
	u64 offsets[2] = { job->src_offset, job->dst_offset };
	int i;

	for (i = 0; i < 2; i++) {
		struct sg_table *sgt;

		if (!objs[i] || dim_bo_is_imported(objs[i]))
			continue;
		sgt = dim_bo_pin_local(objs[i], offsets[i], job->size);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		job->local_sgt[i] = sgt;
	}
	return 0;
}

/* The engine reads the source and writes the destination. */
static const enum dma_data_direction dim_local_dir[2] = {
	DMA_TO_DEVICE, DMA_BIDIRECTIONAL,
};

/**
 * dim_job_map_local() - map the job's local tables for the engine
 * @job: the job about to run its first transfer
 *
 * Only the running job is mapped: the pages of queued jobs may overlap,
 * and a device may hold only a few overlapping writable mappings of one
 * cacheline. No allocation with reclaim: this runs on the fence signalling
 * path.
 *
 * Return: 0 or -errno.
 */
int dim_job_map_local(struct dim_job *job)
{
	struct device *dev = job->dim->engine->dev;
	struct sg_table **sgts[2] = { &job->src_sgt, &job->dst_sgt };
	int i, ret;

	for (i = 0; i < 2; i++) {
		if (!job->local_sgt[i])
			continue;
		ret = dma_map_sgtable(dev, job->local_sgt[i], dim_local_dir[i],
				      0);
		if (ret) {
			if (i && job->local_sgt[0])
				dma_unmap_sgtable(dev, job->local_sgt[0],
						  dim_local_dir[0], 0);
			return ret;
		}
		*sgts[i] = job->local_sgt[i];
	}
	job->local_mapped = true;
	return 0;
}

/**
 * dim_job_unmap_dma() - drop the engine's mappings of the job's local
 * tables, handing what the engine wrote back to the CPU
 * @job: a job that ended; nothing if it never ran
 *
 * Before the job's fence signals. Any context: the job may end under an
 * exporter's reservation lock.
 */
void dim_job_unmap_dma(struct dim_job *job)
{
	int i;

	for (i = 0; i < 2 && job->local_mapped; i++)
		if (job->local_sgt[i])
			dma_unmap_sgtable(job->dim->engine->dev,
					  job->local_sgt[i], dim_local_dir[i],
					  0);
	job->local_mapped = false;
}

/*
 * Drop the job's tables of local objects and unpin them. Unpinning may
 * take the object's reservation lock (6.5 and later): never from where a
 * job ends.
 */
static void dim_job_unpin(struct dim_job *job)
{
	struct drm_gem_object *objs[2] = { job->src, job->dst };
	int i;

	dim_job_unmap_dma(job);
	for (i = 0; i < 2; i++) {
		if (job->local_sgt[i])
			dim_bo_unpin_local(objs[i], job->local_sgt[i]);
		job->local_sgt[i] = NULL;
	}
}

/* What the job holds besides its fence; it all goes once the job ends. */
static void dim_job_put_refs(struct dim_job *job)
{
	while (job->ndeps)
		dma_fence_put(job->deps[--job->ndeps]);
	dim_job_unpin(job);
	if (job->src)
		drm_gem_object_put(job->src);
	if (job->dst)
		drm_gem_object_put(job->dst);
	job->src = NULL;
	job->dst = NULL;
}

/*
 * Dropping the objects may free an imported one, which takes its
 * reservation lock, and a job ends under such a lock when a revocation
 * cancels it: so the references go from a worker. They must go when the
 * job ends, not with the fence: the objects' reservation objects hold the
 * fence.
 */
static void dim_job_retire_work(struct work_struct *work)
{
	struct dim_job *job = container_of(work, struct dim_job, retire_work);

	dim_job_put_refs(job);
	dma_fence_put(&job->fence);
}

/**
 * dim_job_retire() - release what an ended job holds, then drop the
 * reference on its fence the caller had
 * @job: a job whose fence has signalled
 *
 * Any context.
 */
void dim_job_retire(struct dim_job *job)
{
	INIT_WORK(&job->retire_work, dim_job_retire_work);
	queue_work(dim_wq, &job->retire_work);
}

/*
 * The last fence reference: free the job. From a worker of this module's
 * own queue, so that module exit waits for the module_put() to return.
 */
static void dim_job_free_work(struct work_struct *work)
{
	struct dim_job *job = container_of(work, struct dim_job, free_work);

	dim_job_put_refs(job);	/* a job that was never queued */
	drm_dev_put(&job->dim->drm);
	dma_fence_free(&job->fence);
	module_put(THIS_MODULE);
}

static void dim_fence_release(struct dma_fence *fence)
{
	struct dim_job *job = container_of(fence, struct dim_job, fence);

	INIT_WORK(&job->free_work, dim_job_free_work);
	queue_work(dim_wq, &job->free_work);
}

static const struct dma_fence_ops dim_fence_ops = {
	.get_driver_name = dim_fence_driver_name,
	.get_timeline_name = dim_fence_timeline_name,
	.release = dim_fence_release,
};

static int dim_check_range(struct drm_gem_object *obj, u64 offset, u64 size)
{
	u64 end;

	if (check_add_overflow(offset, size, &end) || end > obj->size)
		return -EINVAL;
	return 0;
}

static int dim_check_submit(const struct drm_import_submit *args)
{
	if (args->flags & ~DRM_IMPORT_SUBMIT_FLAGS || !args->size ||
	    args->out_fence_fd || args->timeout_ms > job_timeout_max_ms)
		return -EINVAL;
	if (!(args->flags & DRM_IMPORT_SUBMIT_IN_FENCE_FD) && args->in_fence_fd)
		return -EINVAL;
	switch (args->op) {
	case DRM_IMPORT_JOB_COPY:
		return args->fill_value ? -EINVAL : 0;
	case DRM_IMPORT_JOB_FILL:
		return args->src_handle || args->src_offset ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static struct dim_job *dim_job_alloc(struct dim_device *dim, u32 timeout_ms)
{
	struct dim_job *job;

	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		module_put(THIS_MODULE);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&job->fence_lock);
	dma_fence_init(&job->fence, &dim_fence_ops, &job->fence_lock,
		       dma_fence_context_alloc(1), 1);
	INIT_LIST_HEAD(&job->link);
	drm_dev_get(&dim->drm);
	job->dim = dim;
	job->deadline = jiffies +
			msecs_to_jiffies(timeout_ms ?: job_timeout_ms);
	return job;
}

static int dim_job_lookup(struct dim_job *job, struct drm_file *file,
			  const struct drm_import_submit *args)
{
	job->op = args->op;
	job->fill_value = args->fill_value;
	job->src_offset = args->src_offset;
	job->dst_offset = args->dst_offset;
	job->size = args->size;

	job->dst = drm_gem_object_lookup(file, args->dst_handle);
	if (!job->dst)
		return -ENOENT;
	if (args->op == DRM_IMPORT_JOB_COPY) {
		job->src = drm_gem_object_lookup(file, args->src_handle);
		if (!job->src)
			return -ENOENT;
		if (dim_check_range(job->src, job->src_offset, job->size))
			return -EINVAL;
		/* The engine copies forwards in chunks: no memmove. */
		if (job->src == job->dst &&
		    job->src_offset < job->dst_offset + job->size &&
		    job->dst_offset < job->src_offset + job->size)
			return -EINVAL;
	}
	return dim_check_range(job->dst, job->dst_offset, job->size);
}

static int dim_job_add_dep(struct dim_job *job, struct dma_fence *fence)
{
	if (!fence)
		return 0;
	if (WARN_ON(job->ndeps == DIM_JOB_MAX_DEPS)) {
		dma_fence_put(fence);
		return -EINVAL;
	}
	job->deps[job->ndeps++] = fence;
	return 0;
}

static int dim_job_explicit_deps(struct dim_job *job, struct drm_file *file,
				 const struct drm_import_submit *args)
{
	struct dma_fence *fence;
	int ret;

	if (args->flags & DRM_IMPORT_SUBMIT_IN_FENCE_FD) {
		fence = sync_file_get_fence(args->in_fence_fd);
		if (!fence)
			return -EINVAL;
		ret = dim_job_add_dep(job, fence);
		if (ret)
			return ret;
	}
	if (args->in_syncobj) {
		ret = drm_syncobj_find_fence(file, args->in_syncobj, 0, 0,
					     &fence);
		if (ret)
			return ret;
		return dim_job_add_dep(job, fence);
	}
	return 0;
}

/* The objects a job locks: the destination, and a distinct source. */
static int dim_job_objects(struct dim_job *job, struct drm_gem_object **objs)
{
	objs[0] = job->dst;
	if (!job->src || job->src == job->dst ||
	    job->src->resv == job->dst->resv)
		return 1;
	objs[1] = job->src;
	return 2;
}

/*
 * Map the imported objects, under their locks. On -ENODEV, *revoked is
 * the object whose exporter revoked it, and *seen its invalidation count.
 */
static int dim_job_map_imports(struct dim_job *job,
			       struct drm_gem_object **revoked, u64 *seen)
{
	struct drm_gem_object *objs[2] = { job->src, job->dst };
	struct sg_table **sgts[2] = { &job->src_sgt, &job->dst_sgt };
	u64 *sgt_offsets[2] = { &job->src_sgt_offset, &job->dst_sgt_offset };
	u64 offsets[2] = { job->src_offset, job->dst_offset };
	int i;

	for (i = 0; i < 2; i++) {
		struct sg_table *sgt;

		if (!objs[i] || !dim_bo_is_imported(objs[i]))
			continue;
		sgt = dim_bo_map_locked(objs[i]);
		if (IS_ERR(sgt)) {
			*revoked = objs[i];
			*seen = dim_bo_invalidations(objs[i]);
			return PTR_ERR(sgt);
		}
		*sgts[i] = sgt;
		*sgt_offsets[i] = offsets[i];	/* the whole dma-buf's table */
	}
	return 0;
}

/* Wait, unlocked, until the exporter moves @obj again (a restore). */
static int dim_wait_restore(struct dim_device *dim, struct dim_job *job,
			    struct drm_gem_object *obj, u64 seen)
{
	long left;

	left = wait_event_interruptible_timeout(dim->restore_wait,
						dim_bo_invalidations(obj) != seen ||
						READ_ONCE(dim->unplugging),
						dim_job_time_left(job));
	if (left < 0)
		return left;
	if (READ_ONCE(dim->unplugging))
		return -ENODEV;
	return left || dim_bo_invalidations(obj) != seen ? 0 : -ETIMEDOUT;
}

/*
 * Take the locks with every imported object mapped, inside the device's
 * unplug section (*idx): on success both are held. The wait for a restore
 * happens outside both, since unplugging waits for the section.
 */
static int dim_job_lock(struct dim_device *dim, struct dim_job *job, u32 flags,
			struct drm_gem_object **objs, int nobjs,
			struct ww_acquire_ctx *ctx, int *idx)
{
	bool deferred = false;

	for (;;) {
		struct drm_gem_object *revoked;
		u64 seen;
		int ret;

		if (!drm_dev_enter(&dim->drm, idx))
			return -ENODEV;
		ret = drm_gem_lock_reservations(objs, nobjs, ctx);
		if (ret) {
			drm_dev_exit(*idx);
			return ret;
		}
		ret = dim_job_map_imports(job, &revoked, &seen);
		if (!ret)
			return 0;
		drm_gem_unlock_reservations(objs, nobjs, ctx);
		drm_dev_exit(*idx);
		if (ret != -ENODEV)
			return ret;

		if (flags & DRM_IMPORT_SUBMIT_NO_WAIT) {
			atomic64_inc(&dim->stats.refused);
			return -ENODEV;
		}
		if (!deferred)
			atomic64_inc(&dim->stats.deferred);
		deferred = true;
		ret = dim_wait_restore(dim, job, revoked, seen);
		if (ret)
			return ret;
	}
}

/*
 * Under the locks: wait for what is already there (writers of the source,
 * everyone on the destination), publish the job's fence, then queue. Once
 * queued the job may end and drop its objects at any time: the caller
 * holds its own references until it unlocks.
 */
static int dim_job_queue_locked(struct dim_device *dim, struct dim_job *job,
				struct drm_gem_object **objs, int nobjs)
{
	struct dma_fence *fence;
	int i, ret;

	if (nobjs == 2) {
		ret = dma_resv_get_singleton(job->src->resv,
					     DMA_RESV_USAGE_WRITE, &fence);
		if (!ret)
			ret = dim_job_add_dep(job, fence);
		if (ret)
			return ret;
	}
	ret = dma_resv_get_singleton(job->dst->resv, DMA_RESV_USAGE_READ,
				     &fence);
	if (!ret)
		ret = dim_job_add_dep(job, fence);
	for (i = 0; i < nobjs && !ret; i++)
		ret = dma_resv_reserve_fences(objs[i]->resv, 1);
	if (ret)
		return ret;

	dma_resv_add_fence(job->dst->resv, &job->fence, DMA_RESV_USAGE_WRITE);
	if (nobjs == 2)
		dma_resv_add_fence(job->src->resv, &job->fence,
				   DMA_RESV_USAGE_READ);
	ret = dim_ring_push(&dim->ring, job);
	if (ret) {
		/* Published already: it must signal. */
		dma_fence_set_error(&job->fence, ret);
		dma_fence_signal(&job->fence);
	}
	return ret;
}

/*
 * Submit a job; on success *fence holds a reference on its fence, and the
 * out-fences the caller asked for are in place. Only the queueing runs
 * inside the device's unplug section; waits stay outside it.
 */
static int dim_submit(struct drm_device *drm, struct drm_file *file,
		      struct drm_import_submit *args, struct dma_fence **fence)
{
	struct dim_device *dim = to_dim(drm);
	struct drm_syncobj *out_syncobj = NULL;
	struct sync_file *sync_file = NULL;
	struct drm_gem_object *objs[2];
	struct ww_acquire_ctx ctx;
	struct dim_job *job;
	int nobjs, i, idx, fd = -1, ret;

	ret = dim_check_submit(args);
	if (ret)
		return ret;
	job = dim_job_alloc(dim, args->timeout_ms);
	if (IS_ERR(job))
		return PTR_ERR(job);

	ret = dim_job_lookup(job, file, args);
	if (!ret)
		ret = dim_job_explicit_deps(job, file, args);
	if (!ret && args->out_syncobj) {
		out_syncobj = drm_syncobj_find(file, args->out_syncobj);
		if (!out_syncobj)
			ret = -ENOENT;
	}
	if (!ret && args->flags & DRM_IMPORT_SUBMIT_OUT_FENCE_FD) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		sync_file = fd < 0 ? NULL : sync_file_create(&job->fence);
		if (fd < 0)
			ret = fd;
		else if (!sync_file)
			ret = -ENOMEM;
	}
	if (!ret)
		ret = dim_job_pin_local(job);
	if (ret)
		goto out_err;

	nobjs = dim_job_objects(job, objs);
	for (i = 0; i < nobjs; i++)
		drm_gem_object_get(objs[i]);
	ret = dim_job_lock(dim, job, args->flags, objs, nobjs, &ctx, &idx);
	if (!ret) {
		ret = dim_job_queue_locked(dim, job, objs, nobjs);
		drm_gem_unlock_reservations(objs, nobjs, &ctx);
		drm_dev_exit(idx);
	}
	for (i = 0; i < nobjs; i++)
		drm_gem_object_put(objs[i]);
	if (ret)
		goto out_err;

	if (out_syncobj) {
		drm_syncobj_replace_fence(out_syncobj, &job->fence);
		drm_syncobj_put(out_syncobj);
	}
	if (sync_file) {
		fd_install(fd, sync_file->file);
		args->out_fence_fd = fd;
	}
	*fence = &job->fence;
	return 0;

out_err:
	if (sync_file)
		fput(sync_file->file);
	if (fd >= 0)
		put_unused_fd(fd);
	if (out_syncobj)
		drm_syncobj_put(out_syncobj);
	/*
	 * Now, not when the job is freed: a job refused by a stopped ring has
	 * its fence in the objects' reservation objects already, and the
	 * objects would keep the fence, and so the job, alive for ever.
	 */
	dim_job_put_refs(job);
	dma_fence_put(&job->fence);
	return ret;
}

int dim_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct dma_fence *fence;
	int ret;

	ret = dim_submit(drm, file, data, &fence);
	if (!ret)
		dma_fence_put(fence);
	return ret;
}

int dim_ioctl_copy(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_import_copy *copy = data;
	struct drm_import_submit args = {
		.op = DRM_IMPORT_JOB_COPY,
		.flags = DRM_IMPORT_SUBMIT_NO_WAIT,
		.src_handle = copy->src_handle,
		.dst_handle = copy->dst_handle,
		.src_offset = copy->src_offset,
		.dst_offset = copy->dst_offset,
		.size = copy->size,
	};
	struct dma_fence *fence;
	long ret;

	if (copy->flags || copy->pad)
		return -EINVAL;
	ret = dim_submit(drm, file, &args, &fence);
	if (ret)
		return ret;
	/*
	 * Outside the unplug section: unplugging fails the job, which ends
	 * this wait. Interrupted, the copy goes on: restarting would submit
	 * it twice.
	 */
	ret = dma_fence_wait(fence, true);
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	else if (!ret)
		ret = fence->error;
	dma_fence_put(fence);
	return ret;
}

int dim_ioctl_bo_wait(struct drm_device *drm, void *data,
		      struct drm_file *file)
{
	struct drm_import_bo_wait *args = data;
	struct drm_gem_object *obj;
	long ret;

	if (args->flags || args->timeout_ns < 0)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	if (!args->timeout_ns)
		ret = dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_BOOKKEEP);
	else
		ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_BOOKKEEP,
					    true, min_t(u64, MAX_SCHEDULE_TIMEOUT,
					    nsecs_to_jiffies64(args->timeout_ns)));
	drm_gem_object_put(obj);
	if (ret == -ERESTARTSYS)
		return -EINTR;	/* a restart would wait the whole timeout again */
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}

/**
 * dim_jobs_init() - module init: the module's workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int dim_jobs_init(void)
{
	dim_wq = alloc_workqueue("drm_import", 0, 0);
	return dim_wq ? 0 : -ENOMEM;
}

/**
 * dim_jobs_exit() - module exit: every job is freed by now (each holds a
 * module reference); wait for the last free to return
 */
void dim_jobs_exit(void)
{
	destroy_workqueue(dim_wq);
}
