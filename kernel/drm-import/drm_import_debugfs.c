// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: debugfs, in <debugfs>/dri/<minor>/:
 * - drm_import: the engine, the job counters, every job drm_sched has
 *   not freed yet (running, waiting, or ended), and every imported object
 *   with its exporter, whether the engine holds a mapping, and its
 *   invalidation and mapping counts;
 * - inject_hang: write N to lose the end of the engine's next N
 *   transfers, as if it hung on them (tests the engine timeout and reset);
 * - inject_reset_failure: write N to report the next N engine resets as
 *   failed (tests the lost engine: every job then fails with -EIO).
 */
#include <drm/drm_file.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/seq_file.h>

#include "drm_import_drv.h"

static void dim_show_import(struct seq_file *s, struct dim_import_bo *bo)
{
	struct dma_buf *dmabuf = bo->base.import_attach->dmabuf;

	dma_resv_lock(bo->base.resv, NULL);
	seq_printf(s, "import dma-buf %lu exporter %s size %zu %s invalidations %llu maps %llu%s\n",
		   file_inode(dmabuf->file)->i_ino, dmabuf->exp_name,
		   bo->base.size, bo->sgt ? "mapped" : "unmapped",
		   bo->invalidations, bo->maps,
		   bo->revoked ? " revoked" : "");
	dma_resv_unlock(bo->base.resv);
}

static int dim_debugfs_show(struct seq_file *s, void *unused)
{
	struct dim_device *dim = s->private;
	struct dim_import_bo *bo;
	struct dim_stats *st = &dim->stats;

	seq_printf(s, "engine %s%s\n", dim->engine->name,
		   READ_ONCE(dim->ring.engine_lost) ? " lost" : "");
	seq_printf(s, "jobs completed %lld failed %lld canceled %lld refused %lld deferred %lld timedout %lld hangs %lld bytes %lld\n",
		   (long long)atomic64_read(&st->completed),
		   (long long)atomic64_read(&st->failed),
		   (long long)atomic64_read(&st->canceled),
		   (long long)atomic64_read(&st->refused),
		   (long long)atomic64_read(&st->deferred),
		   (long long)atomic64_read(&st->timedout),
		   (long long)atomic64_read(&st->hangs),
		   (long long)atomic64_read(&st->bytes));
	dim_ring_show(s, &dim->ring);
	mutex_lock(&dim->objects_lock);
	list_for_each_entry(bo, &dim->imports, link)
		dim_show_import(s, bo);
	mutex_unlock(&dim->objects_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dim_debugfs);

static int dim_inject_get(atomic_t *count, u64 *val)
{
	*val = atomic_read(count);
	return 0;
}

static int dim_inject_set(atomic_t *count, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	atomic_set(count, val);
	return 0;
}

static int dim_inject_hang_get(void *data, u64 *val)
{
	struct dim_device *dim = data;

	return dim_inject_get(&dim->ring.inject_hangs, val);
}

static int dim_inject_hang_set(void *data, u64 val)
{
	struct dim_device *dim = data;

	return dim_inject_set(&dim->ring.inject_hangs, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(dim_inject_hang_fops, dim_inject_hang_get,
			 dim_inject_hang_set, "%llu\n");

static int dim_inject_reset_failure_get(void *data, u64 *val)
{
	struct dim_device *dim = data;

	return dim_inject_get(&dim->ring.inject_reset_failures, val);
}

static int dim_inject_reset_failure_set(void *data, u64 val)
{
	struct dim_device *dim = data;

	return dim_inject_set(&dim->ring.inject_reset_failures, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(dim_inject_reset_failure_fops,
			 dim_inject_reset_failure_get,
			 dim_inject_reset_failure_set, "%llu\n");

/**
 * dim_debugfs_init() - &drm_driver.debugfs_init
 * @minor: the minor whose debugfs directory gets the file
 */
void dim_debugfs_init(struct drm_minor *minor)
{
	debugfs_create_file("drm_import", 0444, minor->debugfs_root,
			    to_dim(minor->dev), &dim_debugfs_fops);
	debugfs_create_file_unsafe("inject_hang", 0600, minor->debugfs_root,
				   to_dim(minor->dev), &dim_inject_hang_fops);
	debugfs_create_file_unsafe("inject_reset_failure", 0600,
				   minor->debugfs_root, to_dim(minor->dev),
				   &dim_inject_reset_failure_fops);
}
