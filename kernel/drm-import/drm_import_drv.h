/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: internal interfaces of the DRM core (device, objects, jobs).
 */
#ifndef DRM_IMPORT_DRV_H
#define DRM_IMPORT_DRV_H

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/gpu_scheduler.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "drm_import_engine.h"

struct drm_file;
struct seq_file;
struct sg_table;

/**
 * struct dim_stats - job counters, for debugfs
 * @completed: jobs that ended without error
 * @failed: jobs that ended with an error (all causes, below included)
 * @canceled: jobs canceled because an exporter revoked an object
 * @refused: submissions refused because an object was revoked (NO_WAIT)
 * @deferred: submissions that had to wait for an exporter's restore
 * @timedout: jobs that outlived their timeout
 * @hangs: transfers the engine did not complete in time (engine reset)
 * @bytes: bytes written by completed jobs
 */
struct dim_stats {
	atomic64_t completed;
	atomic64_t failed;
	atomic64_t canceled;
	atomic64_t refused;
	atomic64_t deferred;
	atomic64_t timedout;
	atomic64_t hangs;
	atomic64_t bytes;
};

struct dim_job;

/**
 * struct dim_ring - the engine behind drm_sched
 *
 * drm_sched (one scheduler per engine, one entity per open file) orders
 * the jobs, waits for their dependencies and hands them to run_job one at
 * a time (one credit). run_job passes the job to the engine worker, which
 * feeds its bytes to the engine one transfer at a time and signals the
 * job's hardware fence. A job that outlives drm_sched's timeout on the
 * engine is a hang: timedout_job makes the worker reset the engine and
 * fail the job. Revocation cancels jobs between transfers
 * (dim_ring_cancel()).
 *
 * Lock order: reservation locks -> &dim_file.submit_lock -> @lock ->
 * &dim_job.gate_lock, and reservation locks -> @hw_lock -> @lock.
 * &dim_local_bo.map_lock -> reservation lock (pinning on 6.5 and later);
 * &dim_device.objects_lock -> &dim_local_bo.map_lock and reservation
 * locks.
 *
 * @sched: the scheduler
 * @lock: guards @jobs, @running and every job's &dim_job.started
 * @jobs: every job from its submission until drm_sched frees it
 *        (&dim_job.link): what revocation and unplug look through
 * @idle: woken when @jobs becomes empty
 * @running: the job on the engine, or NULL
 * @wait: the worker sleeps here for a transfer's end, a hang, and for
 *        cancellations to get @hw_lock
 * @hw_lock: held across each engine transfer. Revocation takes it, so
 *           that once it cancels a job no transfer of that job is in
 *           flight or starts afterwards
 * @cancels: cancellations waiting for @hw_lock; the worker lets them in
 *           before its next transfer
 * @transfer_busy: a transfer is on the engine (cleared, with release
 *                 semantics, by dim_engine_done())
 * @transfer_status: status passed to dim_engine_done()
 * @hung_job: set by timedout_job, with submission paused: the worker
 *            resets the engine if a transfer of this job is in flight and
 *            fails it with -ETIMEDOUT
 * @engine_lost: the engine could not be reset; every job fails (written
 *               under @hw_lock, read anywhere)
 * @inject_hangs: debugfs: transfers whose end is still to be lost, as
 *                if the engine hung on them
 * @lose_done: the running transfer is one of those: dim_engine_done()
 *             ignores it (under @hw_lock, read in any context)
 * @inject_reset_failures: debugfs: engine resets still to be reported as
 *                         failed (the engine is then lost)
 * @fill: a page the engine copies fill patterns from (@fill_dma)
 * @fill_dma: its DMA address for the engine
 * @wq: ordered workqueue running @work, WQ_MEM_RECLAIM: it signals
 *      fences that reclaim may wait for
 * @work: the engine worker
 */
struct dim_ring {
	struct drm_gpu_scheduler sched;
	spinlock_t lock;	/* jobs, running, job->started */
	struct list_head jobs;
	wait_queue_head_t idle;
	struct dim_job *running;
	wait_queue_head_t wait;
	struct mutex hw_lock;	/* one transfer in flight, vs. revocation */
	atomic_t cancels;
	bool transfer_busy;
	int transfer_status;
	struct dim_job *hung_job;
	bool engine_lost;
	atomic_t inject_hangs;
	bool lose_done;
	atomic_t inject_reset_failures;
	u32 *fill;
	dma_addr_t fill_dma;
	struct workqueue_struct *wq;
	struct work_struct work;
};

/**
 * struct dim_device - one drm-import DRM device, on top of one engine
 * @drm: the DRM device
 * @engine: the engine jobs run on
 * @ring: the scheduler and the engine behind it
 * @objects_lock: guards @imports and @locals
 * @imports: every imported object of the device (dim_import_bo.link)
 * @locals: every local object mapped for the engine (dim_local_bo.link)
 * @restore_wait: submissions waiting for a revoked object to come back;
 *                woken by every move_notify and by unplug
 * @unplugging: set once unplug starts; submissions stop waiting
 * @next_file_id: ids of open files, which own jobs
 * @stats: job counters
 */
struct dim_device {
	struct drm_device drm;
	struct dim_engine *engine;
	struct dim_ring ring;
	struct mutex objects_lock;	/* guards imports, locals */
	struct list_head imports;
	struct list_head locals;
	wait_queue_head_t restore_wait;
	bool unplugging;
	atomic64_t next_file_id;
	struct dim_stats stats;
};

/**
 * struct dim_file - an open file of the device
 * @entity: its drm_sched entity: the file's jobs run in submission order,
 *          and files share the engine by drm_sched's policy
 * @submit_lock: serialises arming and pushing jobs to @entity, which
 *               must happen in the same order
 * @id: the owner id of its jobs
 */
struct dim_file {
	struct drm_sched_entity entity;
	struct mutex submit_lock;	/* job arm + push, in order */
	u64 id;
};

static inline struct dim_device *to_dim(struct drm_device *drm)
{
	return container_of(drm, struct dim_device, drm);
}

/**
 * struct dim_import_bo - an imported dma-buf, attached dynamically
 * @base: the GEM object; base.resv is the exporter's reservation object
 *        and guards every field below
 * @sgt: the engine's mapping, NULL while unmapped (after move_notify, or
 *       before first use)
 * @invalidations: move_notify calls received
 * @maps: successful mappings made
 * @in_use: the engine has used the object: remap it eagerly on restore
 * @revoked: the last attempt to map the object found the exporter's
 *           memory revoked
 * @remap_work: maps the object again after a move_notify (holds a
 *              reference on the object while pending)
 * @link: entry in dim_device.imports, under its objects_lock
 */
struct dim_import_bo {
	struct drm_gem_object base;
	struct sg_table *sgt;
	u64 invalidations;
	u64 maps;
	bool in_use;
	bool revoked;
	struct work_struct remap_work;
	struct list_head link;
};

/**
 * struct dim_local_bo - a local object (system memory, shmem helper)
 * @shmem: the shmem object; first member (the helper frees it)
 * @map_lock: guards @sgt
 * @sgt: the object's pages, pinned and DMA-mapped for the engine from its
 *       first job until it is freed or the device goes; NULL before
 * @link: entry in dim_device.locals while mapped, under its objects_lock
 */
struct dim_local_bo {
	struct drm_gem_shmem_object shmem;
	struct mutex map_lock;	/* guards sgt */
	struct sg_table *sgt;
	struct list_head link;
};

/* drm_import_gem.c */
struct drm_gem_object *dim_gem_prime_import(struct drm_device *drm,
					    struct dma_buf *dmabuf);
struct drm_gem_object *dim_gem_create_object(struct drm_device *drm,
					     size_t size);
struct sg_table *dim_bo_map_local(struct drm_gem_object *obj);
void dim_unmap_objects(struct dim_device *dim);
struct sg_table *dim_bo_map_locked(struct drm_gem_object *obj);
bool dim_bo_is_imported(struct drm_gem_object *obj);
bool dim_bo_is_read_only(struct drm_gem_object *obj);
u64 dim_bo_invalidations(struct drm_gem_object *obj);
int dim_ioctl_bo_create(struct drm_device *drm, void *data,
			struct drm_file *file);
int dim_ioctl_bo_mmap_offset(struct drm_device *drm, void *data,
			     struct drm_file *file);
int dim_ioctl_bo_info(struct drm_device *drm, void *data,
		      struct drm_file *file);

/* drm_import_debugfs.c */
void dim_debugfs_init(struct drm_minor *minor);

/* drm_import_job.c */
int dim_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);
int dim_ioctl_copy(struct drm_device *drm, void *data, struct drm_file *file);
int dim_ioctl_bo_wait(struct drm_device *drm, void *data,
		      struct drm_file *file);
int dim_jobs_init(void);
void dim_jobs_exit(void);
extern struct workqueue_struct *dim_wq;

/* drm_import_sched.c */
int dim_ring_init(struct dim_device *dim);
void dim_ring_fini(struct dim_device *dim);
int dim_file_open(struct dim_device *dim, struct dim_file *dfile);
void dim_file_close(struct dim_device *dim, struct dim_file *dfile);
void dim_ring_add(struct dim_ring *ring, struct dim_job *job);
void dim_ring_cancel(struct dim_ring *ring, struct drm_gem_object *obj,
		     int error);
void dim_ring_show(struct seq_file *s, struct dim_ring *ring);

#endif /* DRM_IMPORT_DRV_H */
