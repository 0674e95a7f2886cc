/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: the engine interface.
 *
 * The DRM core of drm-import knows engines only through this interface;
 * a backend (edu_engine.c for the rig; a real GPU's copy engine elsewhere)
 * fills in the ops and registers itself, which creates the DRM device.
 */
#ifndef DRM_IMPORT_ENGINE_H
#define DRM_IMPORT_ENGINE_H

#include <linux/types.h>

struct device;
struct dim_device;
struct dim_engine;

/**
 * struct dim_engine_ops - what a backend provides
 * @copy: copy @len bytes from DMA address @src to DMA address @dst, both
 *        as seen by the engine's device; sleeps until the engine is done.
 *        The backend splits the transfer to what its hardware accepts.
 *        Return 0, or -errno (-ETIMEDOUT if the engine did not complete).
 */
struct dim_engine_ops {
	int (*copy)(struct dim_engine *engine, dma_addr_t dst, dma_addr_t src,
		    u64 len);
};

/**
 * struct dim_engine - one engine
 * @ops: the backend's operations
 * @dev: the device whose DMA the engine does; the DRM device's parent,
 *       and the device dma-bufs are attached to
 * @name: backend name, for logs and debugfs
 * @drm: set by dim_device_register()
 */
struct dim_engine {
	const struct dim_engine_ops *ops;
	struct device *dev;
	const char *name;
	struct dim_device *drm;
};

int dim_device_register(struct dim_engine *engine);
void dim_device_unregister(struct dim_engine *engine);

#endif /* DRM_IMPORT_ENGINE_H */
