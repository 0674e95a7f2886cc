/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: internal interfaces of the DRM core (device, objects, jobs).
 */
#ifndef DRM_IMPORT_DRV_H
#define DRM_IMPORT_DRV_H

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
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
 * struct dim_ring - the engine's job queue and its worker
 *
 * Jobs run one at a time in submission order. The worker takes the first
 * queued job, waits for its dependencies, and feeds its transfers to the
 * engine one by one.
 *
 * Lock order: reservation locks -> @hw_lock -> @lock.
 *
 * @lock: guards @queue, @running and @stopped, and every queued job's
 *        &dim_job.error
 * @queue: jobs not yet started (&dim_job.link), in submission order
 * @running: the job the worker is on, or NULL
 * @stopped: the device is going away: no job is queued any more
 * @wait: the worker sleeps here for dependencies and cancellations
 * @hw_lock: held across each engine transfer. Revocation takes it, so
 *           that once it cancels a job no transfer of that job is in
 *           flight or starts afterwards
 * @cancels: cancellations waiting for @hw_lock; the worker lets them in
 *           before its next transfer
 * @transfer_done: completed by dim_engine_done()
 * @transfer_status: status passed to dim_engine_done()
 * @engine_lost: the engine could not be reset; every job fails (under
 *               @hw_lock)
 * @inject_hangs: debugfs: transfers whose end is still to be lost, as
 *                if the engine hung on them
 * @lose_done: the running transfer is one of those: dim_engine_done()
 *             ignores it (under @hw_lock, read in any context)
 * @inject_reset_failures: debugfs: engine resets still to be reported as
 *                         failed (the engine is then lost)
 * @fill: a page the engine copies fill patterns from (@fill_dma)
 * @fill_dma: its DMA address for the engine
 * @wq: ordered workqueue running @work
 * @work: the worker
 */
struct dim_ring {
	spinlock_t lock;	/* queue, running, stopped, job errors */
	struct list_head queue;
	struct dim_job *running;
	bool stopped;
	wait_queue_head_t wait;
	struct mutex hw_lock;	/* one transfer in flight, vs. revocation */
	atomic_t cancels;
	struct completion transfer_done;
	int transfer_status;
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
 * @ring: the engine's job queue
 * @imports_lock: guards @imports
 * @imports: every imported object of the device (dim_import_bo.link)
 * @restore_wait: submissions waiting for a revoked object to come back;
 *                woken by every move_notify and by unplug
 * @unplugging: set once unplug starts; submissions stop waiting
 * @stats: job counters
 */
struct dim_device {
	struct drm_device drm;
	struct dim_engine *engine;
	struct dim_ring ring;
	struct mutex imports_lock;	/* guards imports */
	struct list_head imports;
	wait_queue_head_t restore_wait;
	bool unplugging;
	struct dim_stats stats;
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
 * @link: entry in dim_device.imports, under its imports_lock
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

/* drm_import_gem.c */
struct drm_gem_object *dim_gem_prime_import(struct drm_device *drm,
					    struct dma_buf *dmabuf);
struct sg_table *dim_bo_pin_local(struct drm_gem_object *obj, u64 offset,
				  u64 size);
void dim_bo_unpin_local(struct drm_gem_object *obj, struct sg_table *sgt);
void dim_unmap_imports(struct dim_device *dim);
struct sg_table *dim_bo_map_locked(struct drm_gem_object *obj);
bool dim_bo_is_imported(struct drm_gem_object *obj);
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

/* drm_import_ring.c */
int dim_ring_init(struct dim_device *dim);
void dim_ring_fini(struct dim_device *dim);
int dim_ring_push(struct dim_ring *ring, struct dim_job *job);
void dim_ring_cancel_object(struct dim_ring *ring, struct drm_gem_object *obj,
			    int error);
void dim_ring_show(struct seq_file *s, struct dim_ring *ring);

#endif /* DRM_IMPORT_DRV_H */
