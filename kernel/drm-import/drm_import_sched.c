// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: the engine behind drm_sched.
 *
 * Scheduling is drm_sched's: an entity per open file, one scheduler per
 * engine with one credit, dependencies through the job's gate (see
 * drm_import_job.c), and the job timeout on the engine through
 * timedout_job. What stays here is what the engine needs: run_job hands
 * the job to a worker that feeds its bytes to the engine one transfer at
 * a time, and revocation (dim_ring_cancel()) stops a job between two
 * transfers. The worker never takes a reservation lock, so nothing that
 * holds one while waiting for a job's fence can block it.
 */
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/spsc_queue.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>

#include "../include/uapi/drm/drm_import.h"
#include "drm_import_drv.h"
#include "drm_import_job.h"
#include "vramshare_compat.h"

static unsigned int engine_timeout_ms = 10000;
module_param(engine_timeout_ms, uint, 0644);
MODULE_PARM_DESC(engine_timeout_ms,
		 "Time a job may run on the engine before the engine is declared hung and reset; 0 never (default 10000; applies to engines registered after a change)");

/* A fill transfer reads its pattern at a phase of 0..3 bytes into the page. */
#define DIM_FILL_SPAN	(PAGE_SIZE - sizeof(u32))

/**
 * struct dim_cursor - a position in an object's DMA-mapped table
 * @sg: current DMA segment, NULL past the last one
 * @skip: bytes of @sg already consumed
 * @left: DMA segments from @sg to the end of the table (its nents; an
 *        IOMMU may merge entries, so the table has more than that)
 */
struct dim_cursor {
	struct scatterlist *sg;
	u64 skip;
	unsigned int left;
};

static int dim_cursor_init(struct dim_cursor *c, struct sg_table *sgt,
			   u64 offset)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (offset < sg_dma_len(sg)) {
			c->sg = sg;
			c->skip = offset;
			c->left = sgt->nents - i;
			return 0;
		}
		offset -= sg_dma_len(sg);
	}
	return -EINVAL; /* the table is shorter than the object */
}

static dma_addr_t dim_cursor_addr(const struct dim_cursor *c, u64 *contig)
{
	*contig = sg_dma_len(c->sg) - c->skip;
	return sg_dma_address(c->sg) + c->skip;
}

static void dim_cursor_advance(struct dim_cursor *c, u64 len)
{
	c->skip += len;
	if (c->skip == sg_dma_len(c->sg)) {
		c->sg = --c->left ? sg_next(c->sg) : NULL;
		c->skip = 0;
	}
}

/*
 * One transfer on the engine; caller holds hw_lock. The transfer's end
 * comes from dim_engine_done(); drm_sched's timeout (timedout_job) ends a
 * wait for one that never comes, and the engine is reset here, where no
 * other transfer can start meanwhile.
 */
static int dim_ring_transfer(struct dim_device *dim, dma_addr_t dst,
			     dma_addr_t src, u32 len)
{
	struct dim_ring *ring = &dim->ring;
	struct dim_engine *engine = dim->engine;
	int ret;

	lockdep_assert_held(&ring->hw_lock);
	if (READ_ONCE(ring->engine_lost))
		return -EIO;
	if (READ_ONCE(ring->hung_job))
		return -ETIMEDOUT;

	/*
	 * An injected hang loses the end of a real transfer, as a hung
	 * engine (or a lost interrupt) would: the engine does the transfer,
	 * and the reset must cope with it.
	 */
	WRITE_ONCE(ring->lose_done, atomic_dec_if_positive(&ring->inject_hangs) >= 0);
	WRITE_ONCE(ring->transfer_busy, true);
	ret = engine->ops->submit(engine, dst, src, len);
	if (ret) {
		WRITE_ONCE(ring->transfer_busy, false);
		return ret;
	}
	/* Acquire: pairs with dim_engine_done()'s release of the status. */
	wait_event(ring->wait, !smp_load_acquire(&ring->transfer_busy) ||
		   READ_ONCE(ring->hung_job));
	if (!smp_load_acquire(&ring->transfer_busy))	/* as above */
		return ring->transfer_status;

	atomic64_inc(&dim->stats.hangs);
	drm_err(&dim->drm, "engine %s: a %u-byte transfer hung; resetting the engine\n",
		engine->name, len);
	ret = engine->ops->reset(engine);
	WRITE_ONCE(ring->lose_done, false);
	WRITE_ONCE(ring->transfer_busy, false);
	if (!ret && atomic_dec_if_positive(&ring->inject_reset_failures) >= 0)
		ret = -EIO;
	if (ret) {
		WRITE_ONCE(ring->engine_lost, true);
		drm_err(&dim->drm, "engine %s: reset failed; every job will fail\n",
			engine->name);
	}
	return -ETIMEDOUT;
}

/* The fill page holds the pattern from phase 0; a transfer starts at its phase. */
static void dim_ring_prepare_fill(struct dim_ring *ring, u32 value)
{
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(u32); i++)
		ring->fill[i] = (__force u32)cpu_to_le32(value);
}

/**
 * struct dim_run - where a running job is
 * @src: read position (copies)
 * @dst: write position
 * @started: the cursors are set
 */
struct dim_run {
	struct dim_cursor src;
	struct dim_cursor dst;
	bool started;
};

/*
 * One transfer of the job. Called under hw_lock with the job not
 * canceled: its imported objects' tables are valid until hw_lock drops.
 * Local objects stay mapped for the engine: what the CPU wrote is handed
 * to the device before the transfer, what the engine wrote back to the
 * CPU after it (both without allocating: this is the signalling path).
 */
static int dim_ring_step(struct dim_device *dim, struct dim_job *job,
			 struct dim_run *run)
{
	struct device *dev = dim->engine->dev;
	struct dim_ring *ring = &dim->ring;
	bool copy = job->op == DRM_IMPORT_JOB_COPY;
	u64 s_len, d_len, len;
	dma_addr_t s_addr, d_addr;
	int ret;

	if (!run->started) {
		ret = dim_cursor_init(&run->dst, job->dst_sgt, job->dst_offset);
		if (!ret && copy)
			ret = dim_cursor_init(&run->src, job->src_sgt,
					      job->src_offset);
		if (ret)
			return ret;
		run->started = true;
	}

	/* An exporter's table shorter than its dma-buf ends the job. */
	if (!run->dst.sg || (copy && !run->src.sg))
		return -EIO;
	d_addr = dim_cursor_addr(&run->dst, &d_len);
	if (copy) {
		s_addr = dim_cursor_addr(&run->src, &s_len);
	} else {
		s_addr = ring->fill_dma + job->done % sizeof(u32);
		s_len = DIM_FILL_SPAN;
	}
	len = min3(job->size - job->done, s_len, d_len);
	len = min_t(u64, len, dim->engine->max_transfer);
	if (!len)
		return -EIO;

	if (copy && job->src_local)
		dma_sync_single_for_device(dev, s_addr, len, DMA_TO_DEVICE);
	/* No dirty CPU line of the destination may land after the engine. */
	if (job->dst_local)
		dma_sync_single_for_device(dev, d_addr, len, DMA_FROM_DEVICE);
	ret = dim_ring_transfer(dim, d_addr, s_addr, len);
	if (ret)
		return ret;
	if (job->dst_local)
		dma_sync_single_for_cpu(dev, d_addr, len, DMA_FROM_DEVICE);
	if (copy)
		dim_cursor_advance(&run->src, len);
	dim_cursor_advance(&run->dst, len);
	WRITE_ONCE(job->done, job->done + len);
	return 0;
}

static int dim_ring_run_transfers(struct dim_device *dim, struct dim_job *job)
{
	struct dim_ring *ring = &dim->ring;
	struct dim_run run = {};
	int ret = 0;

	if (job->op == DRM_IMPORT_JOB_FILL)
		dim_ring_prepare_fill(ring, job->fill_value);
	while (!ret && job->done < job->size) {
		/* A revocation waiting for hw_lock goes first: it is bounded. */
		wait_event(ring->wait, !atomic_read(&ring->cancels));
		mutex_lock(&ring->hw_lock);
		ret = READ_ONCE(job->error);
		if (!ret)
			ret = dim_ring_step(dim, job, &run);
		mutex_unlock(&ring->hw_lock);
	}
	return ret;
}

static void dim_ring_account(struct dim_stats *stats, struct dim_job *job,
			     int error)
{
	if (!error) {
		atomic64_inc(&stats->completed);
		atomic64_add(job->size, &stats->bytes);
		return;
	}
	atomic64_inc(&stats->failed);
	if (error == -ECANCELED)
		atomic64_inc(&stats->canceled);
	else if (error == -ETIMEDOUT)
		atomic64_inc(&stats->timedout);
}

/*
 * The job ends, on the engine or before reaching it: its hardware fence
 * signals, and drm_sched signals the finished fence from it. 6.1's
 * drm_sched does not carry the hardware fence's error over, so the
 * finished fence gets it here, before either signals.
 */
static void dim_ring_job_end(struct dim_ring *ring, struct dim_job *job,
			     int error)
{
	struct dim_device *dim = container_of(ring, struct dim_device, ring);

	if (error) {
		/* The uAPI's list; anything else (EBUSY, DMA mapping) is EIO. */
		if (error != -ECANCELED && error != -ETIMEDOUT &&
		    error != -ENODEV && error != -ESRCH)
			error = -EIO;
		dma_fence_set_error(&job->base.s_fence->finished, error);
		dma_fence_set_error(&job->fence, error);
	}
	dim_ring_account(&dim->stats, job, error);
	spin_lock(&ring->lock);
	if (ring->running == job)
		ring->running = NULL;
	spin_unlock(&ring->lock);
	dma_fence_signal(&job->fence);
}

/*
 * The engine worker. From taking the job to signalling its fence it is on
 * the fence signalling path: exporters that evict memory wait for these
 * fences, from reclaim too. Nothing here allocates, maps DMA or takes a
 * reservation lock; the annotation lets lockdep check it.
 */
static void dim_ring_work(struct work_struct *work)
{
	struct dim_ring *ring = container_of(work, struct dim_ring, work);
	struct dim_device *dim = container_of(ring, struct dim_device, ring);
	struct dim_job *job;
	bool cookie;

	spin_lock(&ring->lock);
	job = ring->running;
	spin_unlock(&ring->lock);
	if (!job)
		return;
	cookie = dma_fence_begin_signalling();
	dim_ring_job_end(ring, job, dim_ring_run_transfers(dim, job));
	dma_fence_end_signalling(cookie);
}

/* drm_sched: the job's only dependency is its gate. */
static struct dma_fence *dim_ring_dependency(struct drm_sched_job *sched_job,
					     struct drm_sched_entity *entity)
{
	struct dim_job *job = to_dim_job(sched_job);

	return dma_fence_is_signaled(&job->gate) ? NULL :
	       dma_fence_get(&job->gate);
}

/*
 * drm_sched: start the job. A job canceled while it waited, or one for a
 * lost engine, ends here without touching memory. Either way drm_sched
 * gets the hardware fence: the finished fence then holds it, and with it
 * the job and the device its name points into, for as long as it lives.
 */
static struct dma_fence *dim_ring_run_job(struct drm_sched_job *sched_job)
{
	struct dim_job *job = to_dim_job(sched_job);
	struct dim_ring *ring = &job->dim->ring;
	bool cookie = dma_fence_begin_signalling();
	int error;

	spin_lock(&ring->lock);
	error = READ_ONCE(job->error);
	if (!error && READ_ONCE(ring->engine_lost))
		error = -EIO;
	if (!error) {
		job->started = true;
		ring->running = job;
	}
	spin_unlock(&ring->lock);

	if (error)
		dim_ring_job_end(ring, job, error);
	else
		queue_work(ring->wq, &ring->work);
	dma_fence_end_signalling(cookie);
	return dma_fence_get(&job->fence);
}

/*
 * Stop drm_sched from running or freeing jobs, and let it go on: its
 * submission work from 6.8, its thread before (where drm_sched_stop()
 * parks it the same way).
 */
static void dim_ring_pause(struct drm_gpu_scheduler *sched)
{
#ifdef VRS_HAVE_DRM_SCHED_WQUEUE
	drm_sched_wqueue_stop(sched);
#else
	kthread_park(sched->thread);
#endif
}

static void dim_ring_resume(struct drm_gpu_scheduler *sched)
{
#ifdef VRS_HAVE_DRM_SCHED_WQUEUE
	drm_sched_wqueue_start(sched);
#else
	kthread_unpark(sched->thread);
#endif
}

/*
 * drm_sched: the job has been on the engine for engine_timeout_ms. With
 * submission paused, the worker resets the engine if a transfer of the
 * job is in flight and fails the job with -ETIMEDOUT; its hardware fence
 * signals and drm_sched completes it as it does any job. A job that ended
 * on its own meanwhile is left alone. Either way it goes back on the
 * pending list, which drm_sched took it off for this call, and is freed
 * from there.
 *
 * Not drm_sched_stop()/drm_sched_start(): they drop the hardware fences of
 * the jobs on the engine, which then no longer pin their jobs from the
 * finished fences, and from 6.4 fail them with -ECANCELED.
 */
static enum drm_gpu_sched_stat
dim_ring_timedout_job(struct drm_sched_job *sched_job)
{
	struct dim_job *job = to_dim_job(sched_job);
	struct dim_ring *ring = &job->dim->ring;
	struct drm_gpu_scheduler *sched = &ring->sched;

	dim_ring_pause(sched);
	/* Paused: with one credit, no other job is on the engine. */
	if (!dma_fence_is_signaled(&job->fence)) {
		WRITE_ONCE(ring->hung_job, job);
		wake_up_all(&ring->wait);
		dma_fence_wait(&job->fence, false);
		WRITE_ONCE(ring->hung_job, NULL);
	}
	spin_lock(&sched->job_list_lock);
	list_add(&sched_job->list, &sched->pending_list);
	spin_unlock(&sched->job_list_lock);
	dim_ring_resume(sched);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

/* drm_sched: the job ended and drm_sched is done with it. */
static void dim_ring_free_job(struct drm_sched_job *sched_job)
{
	struct dim_job *job = to_dim_job(sched_job);
	struct dim_ring *ring = &job->dim->ring;
	bool idle;

	/* Off the list before the scheduler's fences go (debugfs shows them). */
	spin_lock(&ring->lock);
	/* A job drm_sched killed with its entity never reached run_job. */
	if (!dma_fence_is_signaled(&job->fence))
		dim_ring_account(&job->dim->stats, job,
				 sched_job->s_fence->finished.error);
	list_del_init(&job->link);
	idle = list_empty(&ring->jobs);
	spin_unlock(&ring->lock);
	drm_sched_job_cleanup(sched_job);
	dim_job_gate_disarm(job);
	dim_job_retire(job);
	if (idle)
		wake_up_all(&ring->idle);
}

static const struct drm_sched_backend_ops dim_sched_ops = {
	VRS_DRM_SCHED_DEPENDENCY_OP(dim_ring_dependency)
	.run_job = dim_ring_run_job,
	.timedout_job = dim_ring_timedout_job,
	.free_job = dim_ring_free_job,
};

/**
 * dim_engine_done() - the backend reports the end of a transfer
 * @engine: the engine
 * @status: 0, or -errno if the transfer failed
 *
 * Context: any, interrupts included. Exactly once per transfer started by
 * &dim_engine_ops.submit, and never after &dim_engine_ops.reset returned
 * or after dim_device_unregister().
 */
void dim_engine_done(struct dim_engine *engine, int status)
{
	struct dim_ring *ring = &engine->drm->ring;

	if (READ_ONCE(ring->lose_done))
		return;
	ring->transfer_status = status;
	/* Release: the worker reads the status once it sees this. */
	smp_store_release(&ring->transfer_busy, false);
	wake_up(&ring->wait);
}
EXPORT_SYMBOL_GPL(dim_engine_done);

/**
 * dim_ring_add() - track a job from its submission
 * @ring: the ring
 * @job: a job about to be pushed to its entity, its objects' reservation
 *       locks held
 */
void dim_ring_add(struct dim_ring *ring, struct dim_job *job)
{
	spin_lock(&ring->lock);
	list_add_tail(&job->link, &ring->jobs);
	spin_unlock(&ring->lock);
}

/*
 * Cancel the jobs that use @obj (NULL: any), or, with an @owner, that
 * owner's jobs not yet on the engine. Waiting jobs are released from
 * their dependencies at once and end when drm_sched runs them; the job on
 * the engine stops before its next transfer. Once this returns no
 * transfer of a canceled job is in flight, and none starts. Sleeps for at
 * most one transfer, and only when the job on the engine is canceled.
 */
static void dim_ring_cancel_jobs(struct dim_ring *ring,
				 struct drm_gem_object *obj, u64 owner,
				 int error)
{
	struct dim_job *job;
	bool running = false;

	spin_lock(&ring->lock);
	list_for_each_entry(job, &ring->jobs, link) {
		if (obj && !dim_job_uses(job, obj))
			continue;
		if (owner && (job->owner != owner || job->started))
			continue;
		if (dma_fence_is_signaled(&job->fence))
			continue;
		dim_job_set_error(job, error);
		dim_job_gate_open(job, error);
		running = running || job == ring->running;
	}
	spin_unlock(&ring->lock);
	if (!running)
		return;

	atomic_inc(&ring->cancels);
	mutex_lock(&ring->hw_lock);
	mutex_unlock(&ring->hw_lock);
	atomic_dec(&ring->cancels);
	wake_up_all(&ring->wait);
}

/**
 * dim_ring_cancel() - cancel every job that uses an object
 * @ring: the ring
 * @obj: the object, its reservation lock held; or NULL for every job
 * @error: the error the jobs' fences signal with
 *
 * Jobs are added under the reservation locks of their objects, which the
 * caller holds, so no job on @obj appears meanwhile. An object no job
 * uses costs a walk of the list and no wait.
 */
void dim_ring_cancel(struct dim_ring *ring, struct drm_gem_object *obj,
		     int error)
{
	if (obj)
		dma_resv_assert_held(obj->resv);
	dim_ring_cancel_jobs(ring, obj, 0, error);
}

/**
 * dim_file_open() - set up an open file's scheduler entity
 * @dim: the device
 * @dfile: the file's private data
 *
 * Return: 0 or -errno.
 */
int dim_file_open(struct dim_device *dim, struct dim_file *dfile)
{
	struct drm_gpu_scheduler *sched = &dim->ring.sched;

	int ret;

	mutex_init(&dfile->submit_lock);
	dfile->id = atomic64_inc_return(&dim->next_file_id);
	ret = drm_sched_entity_init(&dfile->entity, DRM_SCHED_PRIORITY_NORMAL,
				    &sched, 1, NULL);
	if (ret)
		mutex_destroy(&dfile->submit_lock);
	return ret;
}

/**
 * dim_file_close() - the file is closed: its jobs not yet on the engine
 * fail with -ESRCH (drm_sched's error for a killed entity's jobs) instead
 * of waiting for their dependencies; the one on the engine completes
 * @dim: the device
 * @dfile: the file's private data
 *
 * The canceled jobs still go through run_job, each when drm_sched gives
 * the file its turn, and the file's entity is destroyed only once they
 * have: drm_sched would otherwise kill them without a hardware fence, and
 * a finished fence without one pins neither the job nor the device its
 * timeline name lives in.
 */
void dim_file_close(struct dim_device *dim, struct dim_file *dfile)
{
	dim_ring_cancel_jobs(&dim->ring, NULL, dfile->id, -ESRCH);
	wait_event(dim->ring.sched.job_scheduled,
		   !spsc_queue_count(&dfile->entity.job_queue));
	/*
	 * The last job popped, the scheduler may still be on the entity
	 * until run_job returns, and 6.1's entity teardown does not wait for
	 * that when the queue is empty. The completion is left as found
	 * (6.1 completes it once per pick; later kernels complete_all()).
	 */
	wait_for_completion(&dfile->entity.entity_idle);
	complete(&dfile->entity.entity_idle);
	drm_sched_entity_destroy(&dfile->entity);
	mutex_destroy(&dfile->submit_lock);
}

/**
 * dim_ring_show() - debugfs: every job, running or waiting
 * @s: the debugfs file
 * @ring: the ring
 */
void dim_ring_show(struct seq_file *s, struct dim_ring *ring)
{
	struct dim_job *job;

	spin_lock(&ring->lock);
	list_for_each_entry(job, &ring->jobs, link)
		seq_printf(s, "job %llu.%llu file %llu %s %s size %llu done %llu deps %u\n",
			   job->base.s_fence->finished.context,
			   job->base.s_fence->finished.seqno, job->owner,
			   job->op == DRM_IMPORT_JOB_COPY ? "copy" : "fill",
			   job == ring->running ? "running" :
			   dma_fence_is_signaled(&job->fence) ? "ended" :
			   "waiting", job->size, READ_ONCE(job->done),
			   job->ndeps);
	spin_unlock(&ring->lock);
}

/*
 * The scheduler goes with the DRM device, once every file is closed: the
 * files' entities use its run queues until then (from 6.7 drm_sched_fini()
 * frees them), and files outlive an unplug.
 */
static void dim_ring_release(struct drm_device *drm, void *sched)
{
	drm_sched_fini(sched);
}

/**
 * dim_ring_init() - set up the scheduler of a device whose engine is set
 * @dim: the device
 *
 * Return: 0 or -errno.
 */
int dim_ring_init(struct dim_device *dim)
{
	struct dim_ring *ring = &dim->ring;
	unsigned int timeout_ms = READ_ONCE(engine_timeout_ms);
	const struct drm_sched_init_args args = {
		.ops = &dim_sched_ops,
		VRS_DRM_SCHED_NUM_RQS
		.credit_limit = 1,
		.timeout = timeout_ms ? msecs_to_jiffies(timeout_ms) :
			   MAX_SCHEDULE_TIMEOUT,
		.name = dev_name(dim->engine->dev),
		.dev = dim->engine->dev,
	};
	int ret;

	spin_lock_init(&ring->lock);
	INIT_LIST_HEAD(&ring->jobs);
	init_waitqueue_head(&ring->idle);
	init_waitqueue_head(&ring->wait);
	mutex_init(&ring->hw_lock);
	atomic_set(&ring->cancels, 0);
	INIT_WORK(&ring->work, dim_ring_work);

	ring->fill = dma_alloc_coherent(dim->engine->dev, PAGE_SIZE,
					&ring->fill_dma, GFP_KERNEL);
	if (!ring->fill)
		return -ENOMEM;
	ring->wq = alloc_ordered_workqueue("drm_import-%s", WQ_MEM_RECLAIM,
					   dev_name(dim->engine->dev));
	ret = ring->wq ? drm_sched_init(&ring->sched, &args) : -ENOMEM;
	if (!ret)
		ret = drmm_add_action_or_reset(&dim->drm, dim_ring_release,
					       &ring->sched);
	if (ret) {
		if (ring->wq)
			destroy_workqueue(ring->wq);
		dma_free_coherent(dim->engine->dev, PAGE_SIZE, ring->fill,
				  ring->fill_dma);
	}
	return ret;
}

static bool dim_ring_idle(struct dim_ring *ring)
{
	bool idle;

	spin_lock(&ring->lock);
	idle = list_empty(&ring->jobs);
	spin_unlock(&ring->lock);
	return idle;
}

/**
 * dim_ring_fini() - the engine goes: fail every job with -ENODEV and wait
 * until drm_sched has freed them all and the engine is idle. The
 * scheduler itself stays, idle, until the DRM device is released.
 * @dim: the device, unplugged: no job is submitted any more
 */
void dim_ring_fini(struct dim_device *dim)
{
	struct dim_ring *ring = &dim->ring;

	dim_ring_cancel_jobs(ring, NULL, 0, -ENODEV);
	wait_event(ring->idle, dim_ring_idle(ring));
	destroy_workqueue(ring->wq);
	dma_free_coherent(dim->engine->dev, PAGE_SIZE, ring->fill,
			  ring->fill_dma);
}
