// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: job submission, on drm_sched.
 *
 * A submission checks every field, looks up the objects and fences, maps
 * local objects for the engine (once per object), then takes the
 * objects' reservation locks and, under them: maps imported objects
 * (waiting for a restore, unlocked, when one is revoked), collects the
 * fences already there as implicit dependencies, arms the scheduler job,
 * adds its finished fence (write for the destination, read for the
 * source) and pushes it to the file's entity. Pushing under the locks
 * matters: a revocation, which runs under the same lock, then always
 * finds the job and cancels it before the exporter waits for the fences.
 *
 * drm_sched sees one dependency per job, its gate: a fence of ours that
 * signals when every dependency did, or at once when the job is canceled
 * or its dependencies are later than its timeout. A canceled job so never
 * waits for a fence another driver may never signal.
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
#include <drm/spsc_queue.h>

#include "../include/uapi/drm/drm_import.h"
#include "drm_import_drv.h"
#include "drm_import_job.h"
#include "vramshare_compat.h"

static unsigned int job_timeout_ms = 10000;
module_param(job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "Default bound on a job's wait for its dependencies and for restores (default 10000)");

static unsigned int job_timeout_max_ms = 60000;
module_param(job_timeout_max_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_max_ms,
		 "Largest timeout a submission may ask for (default 60000)");

static unsigned int max_queued_jobs = 256;
module_param(max_queued_jobs, uint, 0644);
MODULE_PARM_DESC(max_queued_jobs,
		 "Jobs one open file may have waiting for the engine; more are refused with EBUSY (default 256)");

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
	return "engine";
}

static const char *dim_gate_timeline_name(struct dma_fence *fence)
{
	return "gate";
}

/* The gate lives in the job; it has no memory of its own to free. */
static void dim_gate_release(struct dma_fence *fence)
{
}

static const struct dma_fence_ops dim_gate_ops = {
	.get_driver_name = dim_fence_driver_name,
	.get_timeline_name = dim_gate_timeline_name,
	.release = dim_gate_release,
};

/**
 * dim_job_gate_open() - let drm_sched run the job now
 * @job: the job
 * @error: 0 when the dependencies signalled; otherwise the job's error
 *         (recorded only while the gate is still closed)
 *
 * Any context.
 */
void dim_job_gate_open(struct dim_job *job, int error)
{
	unsigned long flags;

	spin_lock_irqsave(&job->gate_lock, flags);
	if (!dma_fence_is_signaled_locked(&job->gate)) {
		if (error)
			dim_job_set_error(job, error);
		dma_fence_signal_locked(&job->gate);
	}
	spin_unlock_irqrestore(&job->gate_lock, flags);
}

static void dim_gate_dep_signalled(struct dma_fence *fence,
				   struct dma_fence_cb *cb)
{
	struct dim_job *job = container_of(cb, struct dim_dep_cb, cb)->job;

	if (atomic_dec_and_test(&job->gate_pending))
		dim_job_gate_open(job, 0);
}

static void dim_gate_deadline(struct timer_list *t)
{
	dim_job_gate_open(container_of(t, struct dim_job, deadline),
			  -ETIMEDOUT);
}

/*
 * Before the job is pushed: the gate counts the dependencies down, and
 * the deadline opens it with -ETIMEDOUT if they are late.
 */
static void dim_job_gate_arm(struct dim_job *job)
{
	unsigned int i;

	atomic_set(&job->gate_pending, 1);
	for (i = 0; i < job->ndeps; i++) {
		job->dep_cbs[i].job = job;
		atomic_inc(&job->gate_pending);
		if (dma_fence_add_callback(job->deps[i], &job->dep_cbs[i].cb,
					   dim_gate_dep_signalled))
			atomic_dec(&job->gate_pending);	/* signalled already */
	}
	mod_timer(&job->deadline, job->expires);
	if (atomic_dec_and_test(&job->gate_pending))
		dim_job_gate_open(job, 0);
}

/**
 * dim_job_gate_disarm() - drop the gate's callbacks and deadline
 * @job: a job drm_sched is done with
 *
 * Process context.
 */
void dim_job_gate_disarm(struct dim_job *job)
{
	unsigned int i;

	timer_delete_sync(&job->deadline);
	for (i = 0; i < job->ndeps; i++)
		dma_fence_remove_callback(job->deps[i], &job->dep_cbs[i].cb);
}

/* What the job holds besides its fence; it all goes once the job ends. */
static void dim_job_put_refs(struct dim_job *job)
{
	while (job->ndeps)
		dma_fence_put(job->deps[--job->ndeps]);
	if (job->src)
		drm_gem_object_put(job->src);
	if (job->dst)
		drm_gem_object_put(job->dst);
	job->src = NULL;
	job->dst = NULL;
}

/*
 * Dropping the objects may free an imported one, which takes its
 * reservation lock: never from drm_sched's free_job, which shares a
 * thread with run_job. They must go when the job ends, not with the
 * fence: the objects' reservation objects hold the finished fence, which
 * holds this job's fence.
 */
static void dim_job_retire_work(struct work_struct *work)
{
	struct dim_job *job = container_of(work, struct dim_job, retire_work);

	dim_job_put_refs(job);
	dma_fence_put(&job->fence);
}

/**
 * dim_job_retire() - release what an ended job holds, then drop the
 * job's own reference on its fence
 * @job: a job drm_sched is done with
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

	dim_job_put_refs(job);	/* a job that was never pushed */
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
	spin_lock_init(&job->gate_lock);
	dma_fence_init(&job->gate, &dim_gate_ops, &job->gate_lock,
		       dma_fence_context_alloc(1), 1);
	timer_setup(&job->deadline, dim_gate_deadline, 0);
	INIT_LIST_HEAD(&job->link);
	drm_dev_get(&dim->drm);
	job->dim = dim;
	job->expires = jiffies + msecs_to_jiffies(timeout_ms ?: job_timeout_ms);
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
	if (dim_bo_is_read_only(job->dst))
		return -EACCES;
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
 * Map the local objects for the engine, before any reservation lock: an
 * object is mapped once, at its first job, and stays mapped until it is
 * freed or the device goes.
 */
static int dim_job_map_locals(struct dim_job *job)
{
	struct drm_gem_object *objs[2] = { job->src, job->dst };
	struct sg_table **sgts[2] = { &job->src_sgt, &job->dst_sgt };
	bool *local[2] = { &job->src_local, &job->dst_local };
	int i;

	for (i = 0; i < 2; i++) {
		struct sg_table *sgt;

		if (!objs[i] || dim_bo_is_imported(objs[i]))
			continue;
		sgt = dim_bo_map_local(objs[i]);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		*sgts[i] = sgt;
		*local[i] = true;
	}
	return 0;
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
		return -EINTR;	/* a restart would wait the whole timeout again */
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
		ret = dim_job_map_locals(job);
		if (!ret)
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
 * everyone on the destination), then arm, publish and push, in one go
 * under the file's submit lock (drm_sched wants a file's jobs armed and
 * pushed in the same order). Nothing fails once the job is armed: that is
 * drm_sched's point of no return. Once pushed the job may end and drop its objects at any
 * time: the caller holds its own references until it unlocks.
 */
static int dim_job_push_locked(struct dim_device *dim, struct dim_file *dfile,
			       struct dim_job *job,
			       struct drm_gem_object **objs, int nobjs,
			       struct dma_fence **finished)
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

	mutex_lock(&dfile->submit_lock);
	drm_sched_job_arm(&job->base);
	fence = &job->base.s_fence->finished;
	dma_resv_add_fence(job->dst->resv, fence, DMA_RESV_USAGE_WRITE);
	if (nobjs == 2)
		dma_resv_add_fence(job->src->resv, fence, DMA_RESV_USAGE_READ);
	*finished = dma_fence_get(fence);
	dim_ring_add(&dim->ring, job);
	dim_job_gate_arm(job);
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&dfile->submit_lock);
	return 0;
}

/*
 * Submit a job; on success *fence holds a reference on its finished
 * fence, and the out-fences the caller asked for are in place. Only the
 * pushing runs inside the device's unplug section; waits stay outside it.
 */
static int dim_submit(struct drm_device *drm, struct drm_file *file,
		      struct drm_import_submit *args, struct dma_fence **fence)
{
	struct dim_device *dim = to_dim(drm);
	struct dim_file *dfile = file->driver_priv;
	struct drm_syncobj *out_syncobj = NULL;
	struct sync_file *sync_file = NULL;
	struct drm_gem_object *objs[2];
	struct ww_acquire_ctx ctx;
	bool sched_job = false;
	struct dim_job *job;
	int nobjs, i, idx, fd = -1, ret;

	ret = dim_check_submit(args);
	if (ret)
		return ret;
	/* A bound, not a count: concurrent submitters may pass it together. */
	if (spsc_queue_count(&dfile->entity.job_queue) >=
	    READ_ONCE(max_queued_jobs))
		return -EBUSY;	/* not EAGAIN: libdrm's drmIoctl() retries that */
	job = dim_job_alloc(dim, args->timeout_ms);
	if (IS_ERR(job))
		return PTR_ERR(job);
	job->owner = dfile->id;

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
		if (fd < 0)
			ret = fd;
	}
	if (!ret) {
		ret = vrs_drm_sched_job_init(&job->base, &dfile->entity, dfile,
					     file);
		sched_job = !ret;
	}
	if (ret)
		goto out_err;

	nobjs = dim_job_objects(job, objs);
	for (i = 0; i < nobjs; i++)
		drm_gem_object_get(objs[i]);
	ret = dim_job_lock(dim, job, args->flags, objs, nobjs, &ctx, &idx);
	if (!ret) {
		ret = dim_job_push_locked(dim, dfile, job, objs, nobjs, fence);
		drm_gem_unlock_reservations(objs, nobjs, &ctx);
		drm_dev_exit(idx);
	}
	for (i = 0; i < nobjs; i++)
		drm_gem_object_put(objs[i]);
	if (ret)
		goto out_err;

	/* Pushed: drm_sched owns the job now. */
	if (out_syncobj) {
		drm_syncobj_replace_fence(out_syncobj, *fence);
		drm_syncobj_put(out_syncobj);
	}
	if (fd >= 0) {
		sync_file = sync_file_create(*fence);
		if (!sync_file) {
			/* The job runs; only its sync_file is missing. */
			put_unused_fd(fd);
			dma_fence_put(*fence);
			return -ENOMEM;
		}
		fd_install(fd, sync_file->file);
		args->out_fence_fd = fd;
	}
	return 0;

out_err:
	if (fd >= 0)
		put_unused_fd(fd);
	if (out_syncobj)
		drm_syncobj_put(out_syncobj);
	if (sched_job)
		drm_sched_job_cleanup(&job->base);
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
	/* Nothing is queued yet: a restart cannot copy twice. */
	if (ret == -EINTR || ret == -ERESTARTSYS)
		return -ERESTARTNOINTR;
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
