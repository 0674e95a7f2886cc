/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: internal interfaces of the DRM core (device, objects, jobs).
 */
#ifndef DRM_IMPORT_DRV_H
#define DRM_IMPORT_DRV_H

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <linux/mutex.h>

#include "drm_import_engine.h"

struct drm_file;
struct sg_table;

/**
 * struct dim_stats - job counters, for debugfs
 * @completed: copies the engine finished
 * @refused: copies refused because an imported object was revoked
 * @failed: copies the engine failed (timeout, stopped engine)
 * @bytes: bytes copied
 */
struct dim_stats {
	atomic64_t completed;
	atomic64_t refused;
	atomic64_t failed;
	atomic64_t bytes;
};

/**
 * struct dim_device - one drm-import DRM device, on top of one engine
 * @drm: the DRM device
 * @engine: the engine jobs run on
 * @imports_lock: guards @imports
 * @imports: every imported object of the device (dim_import_bo.link)
 * @stats: job counters
 */
struct dim_device {
	struct drm_device drm;
	struct dim_engine *engine;
	struct mutex imports_lock;	/* guards imports */
	struct list_head imports;
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
 * @link: entry in dim_device.imports, under its imports_lock
 */
struct dim_import_bo {
	struct drm_gem_object base;
	struct sg_table *sgt;
	u64 invalidations;
	u64 maps;
	bool in_use;
	struct list_head link;
};

/* drm_import_gem.c */
struct drm_gem_object *dim_gem_prime_import(struct drm_device *drm,
					    struct dma_buf *dmabuf);
struct sg_table *dim_bo_pin_pages(struct drm_gem_object *obj);
struct sg_table *dim_bo_map_locked(struct drm_gem_object *obj);
bool dim_bo_is_imported(struct drm_gem_object *obj);
int dim_ioctl_bo_create(struct drm_device *drm, void *data,
			struct drm_file *file);
int dim_ioctl_bo_mmap_offset(struct drm_device *drm, void *data,
			     struct drm_file *file);
int dim_ioctl_bo_info(struct drm_device *drm, void *data,
		      struct drm_file *file);

/* drm_import_debugfs.c */
void dim_debugfs_init(struct drm_minor *minor);

/* drm_import_job.c */
int dim_ioctl_copy(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* DRM_IMPORT_DRV_H */
