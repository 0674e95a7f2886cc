// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: debugfs. <debugfs>/dri/<minor>/drm_import lists the
 * engine, the job counters, and every imported object with its exporter,
 * whether the engine holds a mapping, and its invalidation and mapping
 * counts.
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
	seq_printf(s, "import dma-buf %lu exporter %s size %zu %s invalidations %llu maps %llu\n",
		   file_inode(dmabuf->file)->i_ino, dmabuf->exp_name,
		   bo->base.size, bo->sgt ? "mapped" : "unmapped",
		   bo->invalidations, bo->maps);
	dma_resv_unlock(bo->base.resv);
}

static int dim_debugfs_show(struct seq_file *s, void *unused)
{
	struct dim_device *dim = s->private;
	struct dim_import_bo *bo;

	seq_printf(s, "engine %s\n", dim->engine->name);
	seq_printf(s, "jobs completed %lld refused %lld failed %lld bytes %lld\n",
		   (long long)atomic64_read(&dim->stats.completed),
		   (long long)atomic64_read(&dim->stats.refused),
		   (long long)atomic64_read(&dim->stats.failed),
		   (long long)atomic64_read(&dim->stats.bytes));
	mutex_lock(&dim->imports_lock);
	list_for_each_entry(bo, &dim->imports, link)
		dim_show_import(s, bo);
	mutex_unlock(&dim->imports_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dim_debugfs);

/**
 * dim_debugfs_init() - &drm_driver.debugfs_init
 * @minor: the minor whose debugfs directory gets the file
 */
void dim_debugfs_init(struct drm_minor *minor)
{
	debugfs_create_file("drm_import", 0444, minor->debugfs_root,
			    to_dim(minor->dev), &dim_debugfs_fops);
}
