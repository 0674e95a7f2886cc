// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: the ring, a small in-order scheduler in front of the engine.
 *
 * Submission (drm_import_job.c) queues jobs; one worker runs them in
 * order: it waits for a job's dependencies (bounded by the job's
 * deadline), then feeds the job's bytes to the engine one transfer at a
 * time. A transfer that does not end within engine_timeout_ms is a hang:
 * the engine is reset, the job fails with -ETIMEDOUT, and the next job
 * runs. Revocation cancels jobs between transfers
 * (dim_ring_cancel_object()). The worker never takes a reservation lock,
 * so nothing that holds one while waiting for a job's fence can block it.
 */
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_print.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>

#include "../include/uapi/drm/drm_import.h"
#include "drm_import_drv.h"
#include "drm_import_job.h"

static unsigned int engine_timeout_ms = 10000;
module_param(engine_timeout_ms, uint, 0644);
MODULE_PARM_DESC(engine_timeout_ms,
		 "Time one engine transfer may take before the engine is declared hung and reset (default 10000)");

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
 * Signal the job's fence; its DMA mappings go first (what the engine wrote
 * reaches the CPU, and the engine may be going away), the rest and the
 * ring's fence reference from a worker.
 */
static void dim_job_finish(struct dim_job *job, int error)
{
	struct dim_stats *stats = &job->dim->stats;

	if (error) {
		/* The uAPI's list; anything else (EBUSY, DMA mapping) is EIO. */
		if (error != -ECANCELED && error != -ETIMEDOUT &&
		    error != -ENODEV)
			error = -EIO;
		dma_fence_set_error(&job->fence, error);
		atomic64_inc(&stats->failed);
		if (error == -ECANCELED)
			atomic64_inc(&stats->canceled);
		else if (error == -ETIMEDOUT)
			atomic64_inc(&stats->timedout);
	} else {
		atomic64_inc(&stats->completed);
		atomic64_add(job->size, &stats->bytes);
	}
	dim_job_unmap_dma(job);
	dma_fence_signal(&job->fence);
	dim_job_retire(job);
}

/**
 * struct dim_dep_waiter - wakes the worker when a dependency signals
 * @cb: added to the dependency
 * @ring: whose worker to wake
 */
struct dim_dep_waiter {
	struct dma_fence_cb cb;
	struct dim_ring *ring;
};

static void dim_dep_signalled(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct dim_dep_waiter *w = container_of(cb, struct dim_dep_waiter, cb);

	wake_up_all(&w->ring->wait);
}

/*
 * Wait for one dependency until it signals, the job is canceled, or the
 * job's deadline. TASK_IDLE: a long wait for another driver's fence is
 * not a hung task.
 */
static int dim_ring_wait_dep(struct dim_ring *ring, struct dim_job *job,
			     struct dma_fence *dep)
{
	struct dim_dep_waiter w = { .ring = ring };
	int ret;

	if (dma_fence_add_callback(dep, &w.cb, dim_dep_signalled))
		return 0;
	wait_event_idle_timeout(ring->wait, dma_fence_is_signaled(dep) ||
				READ_ONCE(job->error), dim_job_time_left(job));
	dma_fence_remove_callback(dep, &w.cb);

	ret = READ_ONCE(job->error);
	if (!ret && !dma_fence_is_signaled(dep))
		ret = -ETIMEDOUT;
	return ret;
}

/* One transfer on the engine; caller holds hw_lock. */
static int dim_ring_transfer(struct dim_device *dim, dma_addr_t dst,
			     dma_addr_t src, u32 len)
{
	struct dim_ring *ring = &dim->ring;
	struct dim_engine *engine = dim->engine;
	int ret;

	lockdep_assert_held(&ring->hw_lock);
	if (ring->engine_lost)
		return -EIO;

	reinit_completion(&ring->transfer_done);
	/*
	 * An injected hang loses the end of a real transfer, as a hung
	 * engine (or a lost interrupt) would: the engine does the transfer,
	 * and the reset must cope with it.
	 */
	WRITE_ONCE(ring->lose_done, atomic_dec_if_positive(&ring->inject_hangs) >= 0);
	ret = engine->ops->submit(engine, dst, src, len);
	if (ret)
		return ret;
	if (wait_for_completion_timeout(&ring->transfer_done,
					msecs_to_jiffies(engine_timeout_ms)))
		return ring->transfer_status;

	atomic64_inc(&dim->stats.hangs);
	drm_err(&dim->drm, "engine %s: a %u-byte transfer hung; resetting the engine\n",
		engine->name, len);
	ret = engine->ops->reset(engine);
	WRITE_ONCE(ring->lose_done, false);
	if (!ret && atomic_dec_if_positive(&ring->inject_reset_failures) >= 0)
		ret = -EIO;
	if (ret) {
		ring->engine_lost = true;
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
 */
static int dim_ring_step(struct dim_device *dim, struct dim_job *job,
			 struct dim_run *run)
{
	struct dim_ring *ring = &dim->ring;
	bool copy = job->op == DRM_IMPORT_JOB_COPY;
	u64 s_len, d_len, len;
	dma_addr_t s_addr, d_addr;
	int ret;

	if (!run->started) {
		ret = dim_cursor_init(&run->dst, job->dst_sgt,
				      job->dst_sgt_offset);
		if (!ret && copy)
			ret = dim_cursor_init(&run->src, job->src_sgt,
					      job->src_sgt_offset);
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

	ret = dim_ring_transfer(dim, d_addr, s_addr, len);
	if (ret)
		return ret;
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
		if (!ret && !dim_job_time_left(job))
			ret = -ETIMEDOUT;
		if (!ret)
			ret = dim_ring_step(dim, job, &run);
		mutex_unlock(&ring->hw_lock);
	}
	return ret;
}

/* Wait for the job's dependencies, bounded by its deadline. */
static int dim_ring_wait_deps(struct dim_device *dim, struct dim_job *job)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < job->ndeps && !ret; i++)
		ret = dim_ring_wait_dep(&dim->ring, job, job->deps[i]);
	return ret;
}

/*
 * From taking the job to signalling its fence, the worker is on the fence
 * signalling path: exporters that evict memory wait for these fences, from
 * reclaim too. Nothing here allocates with reclaim or takes a reservation
 * lock; the annotation lets lockdep check it. Mapping the running job's
 * local pages still happens here (see dim_job_map_local()).
 */
static void dim_ring_run(struct dim_device *dim, struct dim_job *job)
{
	struct dim_ring *ring = &dim->ring;
	bool cookie = dma_fence_begin_signalling();
	int ret = dim_ring_wait_deps(dim, job);

	if (!ret)
		ret = dim_job_map_local(job);
	if (!ret)
		ret = dim_ring_run_transfers(dim, job);
	spin_lock(&ring->lock);
	ring->running = NULL;
	spin_unlock(&ring->lock);
	dim_job_finish(job, ret);
	dma_fence_end_signalling(cookie);
}

static void dim_ring_work(struct work_struct *work)
{
	struct dim_ring *ring = container_of(work, struct dim_ring, work);
	struct dim_device *dim = container_of(ring, struct dim_device, ring);
	struct dim_job *job;

	for (;;) {
		spin_lock(&ring->lock);
		job = list_first_entry_or_null(&ring->queue, struct dim_job,
					       link);
		if (job)
			list_del_init(&job->link);
		ring->running = job;
		spin_unlock(&ring->lock);
		if (!job)
			return;
		dim_ring_run(dim, job);
	}
}

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
	complete(&ring->transfer_done);
}
EXPORT_SYMBOL_GPL(dim_engine_done);

/**
 * dim_ring_push() - queue a job
 * @ring: the ring
 * @job: a job ready to run once its dependencies signal
 *
 * The ring takes its own reference on the job's fence and signals it when
 * the job ends, however it ends.
 *
 * Return: 0, or -ENODEV once the device is going away.
 */
int dim_ring_push(struct dim_ring *ring, struct dim_job *job)
{
	spin_lock(&ring->lock);
	if (ring->stopped) {
		spin_unlock(&ring->lock);
		return -ENODEV;
	}
	dma_fence_get(&job->fence);
	list_add_tail(&job->link, &ring->queue);
	/* Under the lock: dim_ring_fini() destroys the queue once stopped. */
	queue_work(ring->wq, &ring->work);
	spin_unlock(&ring->lock);
	return 0;
}

/**
 * dim_ring_cancel_object() - cancel every job that uses an object
 * @ring: the ring
 * @obj: the object, or NULL for every job
 * @error: the error the jobs' fences signal with
 *
 * Queued jobs are signalled at once. The running job is stopped before
 * its next transfer; once this returns no transfer of a canceled job is
 * in flight, and none starts. Sleeps (for at most one transfer).
 */
void dim_ring_cancel_object(struct dim_ring *ring, struct drm_gem_object *obj,
			    int error)
{
	struct dim_job *job, *tmp;
	LIST_HEAD(canceled);
	bool used;

	/*
	 * No job uses the object: nothing to wait for. Jobs are queued under
	 * the reservation locks of their objects, which the caller of a
	 * cancellation for one object holds, so none can appear meanwhile.
	 */
	if (obj) {
		dma_resv_assert_held(obj->resv);
		spin_lock(&ring->lock);
		used = ring->running && dim_job_uses(ring->running, obj);
		list_for_each_entry(job, &ring->queue, link)
			used = used || dim_job_uses(job, obj);
		spin_unlock(&ring->lock);
		if (!used)
			return;
	}

	atomic_inc(&ring->cancels);
	mutex_lock(&ring->hw_lock);
	spin_lock(&ring->lock);
	list_for_each_entry_safe(job, tmp, &ring->queue, link)
		if (!obj || dim_job_uses(job, obj))
			list_move_tail(&job->link, &canceled);
	job = ring->running;
	if (job && (!obj || dim_job_uses(job, obj)) && !job->error)
		WRITE_ONCE(job->error, error);
	spin_unlock(&ring->lock);
	mutex_unlock(&ring->hw_lock);
	atomic_dec(&ring->cancels);
	wake_up_all(&ring->wait);

	list_for_each_entry_safe(job, tmp, &canceled, link) {
		list_del_init(&job->link);
		dim_job_finish(job, error);
	}
}

static void dim_ring_show_job(struct seq_file *s, struct dim_job *job,
			      const char *state)
{
	seq_printf(s, "job %llu %s %s size %llu done %llu deps %u\n",
		   job->fence.context,
		   job->op == DRM_IMPORT_JOB_COPY ? "copy" : "fill", state,
		   job->size, READ_ONCE(job->done), job->ndeps);
}

/**
 * dim_ring_show() - debugfs: the running job, then the queued ones
 * @s: the debugfs file
 * @ring: the ring
 */
void dim_ring_show(struct seq_file *s, struct dim_ring *ring)
{
	struct dim_job *job;

	spin_lock(&ring->lock);
	if (ring->running)
		dim_ring_show_job(s, ring->running, "running");
	list_for_each_entry(job, &ring->queue, link)
		dim_ring_show_job(s, job, "queued");
	spin_unlock(&ring->lock);
}

/**
 * dim_ring_init() - set up the ring of a device whose engine is set
 * @dim: the device
 *
 * Return: 0 or -errno.
 */
int dim_ring_init(struct dim_device *dim)
{
	struct dim_ring *ring = &dim->ring;

	spin_lock_init(&ring->lock);
	INIT_LIST_HEAD(&ring->queue);
	init_waitqueue_head(&ring->wait);
	mutex_init(&ring->hw_lock);
	atomic_set(&ring->cancels, 0);
	init_completion(&ring->transfer_done);
	INIT_WORK(&ring->work, dim_ring_work);

	ring->fill = dma_alloc_coherent(dim->engine->dev, PAGE_SIZE,
					&ring->fill_dma, GFP_KERNEL);
	if (!ring->fill)
		return -ENOMEM;
	/* It signals fences that reclaim may wait for. */
	ring->wq = alloc_ordered_workqueue("drm_import-%s", WQ_MEM_RECLAIM,
					   dev_name(dim->engine->dev));
	if (!ring->wq) {
		dma_free_coherent(dim->engine->dev, PAGE_SIZE, ring->fill,
				  ring->fill_dma);
		return -ENOMEM;
	}
	return 0;
}

/**
 * dim_ring_fini() - stop the ring: refuse new jobs, fail the queued and
 * running ones with -ENODEV, and wait until the engine is idle
 * @dim: the device
 */
void dim_ring_fini(struct dim_device *dim)
{
	struct dim_ring *ring = &dim->ring;

	spin_lock(&ring->lock);
	ring->stopped = true;
	spin_unlock(&ring->lock);
	dim_ring_cancel_object(ring, NULL, -ENODEV);
	destroy_workqueue(ring->wq);
	dma_free_coherent(dim->engine->dev, PAGE_SIZE, ring->fill,
			  ring->fill_dma);
}
