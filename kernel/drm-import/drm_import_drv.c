// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: the DRM render driver of the importing GPU.
 *
 * One DRM device per engine. Engines come from backend modules (the
 * rig's is drm_import_edu.ko, edu_engine.c), which this module knows only
 * through the interface it exports (drm_import_engine.h).
 */
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <linux/module.h>

#include "../include/uapi/drm/drm_import.h"
#include "drm_import_drv.h"
#include "vramshare_compat.h"

static const struct drm_ioctl_desc dim_ioctls[] = {
	DRM_IOCTL_DEF_DRV(IMPORT_BO_CREATE, dim_ioctl_bo_create,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IMPORT_BO_MMAP_OFFSET, dim_ioctl_bo_mmap_offset,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IMPORT_BO_INFO, dim_ioctl_bo_info,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IMPORT_COPY, dim_ioctl_copy,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IMPORT_SUBMIT, dim_ioctl_submit,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IMPORT_BO_WAIT, dim_ioctl_bo_wait,
			  DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(dim_fops);

static int dim_open(struct drm_device *drm, struct drm_file *file)
{
	struct dim_file *dfile = kzalloc(sizeof(*dfile), GFP_KERNEL);
	int ret;

	if (!dfile)
		return -ENOMEM;
	ret = dim_file_open(to_dim(drm), dfile);
	if (ret) {
		kfree(dfile);
		return ret;
	}
	file->driver_priv = dfile;
	return 0;
}

static void dim_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct dim_file *dfile = file->driver_priv;

	dim_file_close(to_dim(drm), dfile);
	kfree(dfile);
}

static const struct drm_driver dim_driver = {
	.driver_features	= DRIVER_GEM | DRIVER_RENDER | DRIVER_SYNCOBJ,
	.ioctls			= dim_ioctls,
	.num_ioctls		= ARRAY_SIZE(dim_ioctls),
	.fops			= &dim_fops,
	.open			= dim_open,
	.postclose		= dim_postclose,
	.gem_create_object	= dim_gem_create_object,
	.prime_handle_to_fd	= drm_gem_prime_handle_to_fd,
	.prime_fd_to_handle	= drm_gem_prime_fd_to_handle,
	.gem_prime_import	= dim_gem_prime_import,
	VRS_DRM_GEM_PRIME_MMAP
	.debugfs_init		= dim_debugfs_init,
	.name			= "drm_import",
	.desc			= "vramshare peer-to-peer importer",
	VRS_DRM_DRIVER_DATE("20261122")
	.major			= DRM_IMPORT_VERSION_MAJOR,
	.minor			= DRM_IMPORT_VERSION_MINOR,
};

/**
 * dim_device_register() - create the DRM device of an engine
 * @engine: the engine, with @ops, @dev, @name and a non-zero
 *          @max_transfer set; it must stay valid until
 *          dim_device_unregister()
 *
 * The DRM device's memory is managed by @engine->dev (devres).
 *
 * Context: process context, typically the backend's probe.
 * Return: 0 or -errno.
 */
int dim_device_register(struct dim_engine *engine)
{
	struct dim_device *dim;
	int ret;

	if (!engine->ops || !engine->dev || !engine->name ||
	    !engine->max_transfer)
		return -EINVAL;
	dim = devm_drm_dev_alloc(engine->dev, &dim_driver, struct dim_device,
				 drm);
	if (IS_ERR(dim))
		return PTR_ERR(dim);
	dim->engine = engine;
	engine->drm = dim;
	INIT_LIST_HEAD(&dim->imports);
	INIT_LIST_HEAD(&dim->locals);
	init_waitqueue_head(&dim->restore_wait);
	ret = drmm_mutex_init(&dim->drm, &dim->objects_lock);
	if (ret)
		return ret;
	ret = dim_ring_init(dim);
	if (ret)
		return ret;

	ret = drm_dev_register(&dim->drm, 0);
	if (ret) {
		dim_ring_fini(dim);
		return ret;
	}
	drm_info(&dim->drm, "engine %s ready\n", engine->name);
	return 0;
}
EXPORT_SYMBOL_GPL(dim_device_register);

/**
 * dim_device_unregister() - unplug the DRM device of an engine
 * @engine: the engine
 *
 * Submissions waiting for a restore give up, ioctls in progress end,
 * and waiting and running jobs fail with -ENODEV; open files stay valid
 * but every later submission fails with -ENODEV. Once this returns the engine is
 * idle and gets no more work: the backend may stop it.
 *
 * Context: process context, typically the backend's remove; it sleeps and
 * waits for drm-import's workers, which take reservation locks: never call
 * it holding one.
 */
void dim_device_unregister(struct dim_engine *engine)
{
	struct dim_device *dim = engine->drm;

	WRITE_ONCE(dim->unplugging, true);
	wake_up_all(&dim->restore_wait);
	/* No submission is in progress after this, and none starts. */
	drm_dev_unplug(&dim->drm);
	dim_ring_fini(dim);
	/* A remap queued before unplugging was set maps nothing after this. */
	flush_workqueue(dim_wq);
	dim_unmap_objects(dim);
}
EXPORT_SYMBOL_GPL(dim_device_unregister);

static int __init dim_init(void)
{
	return dim_jobs_init();
}

/* Every device is gone: a backend module holds this one while loaded. */
static void __exit dim_exit(void)
{
	dim_jobs_exit();
}

module_init(dim_init);
module_exit(dim_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("vramshare developers");
MODULE_DESCRIPTION("DRM driver importing peer GPU memory for an engine's copy jobs");
MODULE_VERSION(VRAMSHARE_VERSION);
