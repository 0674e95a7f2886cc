/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: the engine interface.
 *
 * The DRM core of drm-import (drm_import.ko) knows engines only through
 * this interface, which it exports. A backend is a module of its own
 * (drm_import_edu.ko for the rig; a real GPU's copy engine elsewhere): its
 * bus driver's probe fills in a struct dim_engine and calls
 * dim_device_register(), which creates the DRM device; its remove calls
 * dim_device_unregister() before it stops the hardware.
 *
 * The core runs one transfer at a time: it calls @submit, and the backend
 * reports the end of the transfer with dim_engine_done(), typically from
 * its interrupt handler. A job that outlives drm_sched's timeout on the
 * engine is a hang: the core calls @reset if a transfer is in flight,
 * fails the job, and goes on with the next one.
 */
#ifndef DRM_IMPORT_ENGINE_H
#define DRM_IMPORT_ENGINE_H

#include <linux/types.h>

struct device;
struct dim_device;
struct dim_engine;

/**
 * struct dim_engine_ops - what a backend provides
 * @submit: start copying @len bytes (at most &dim_engine.max_transfer)
 *          from DMA address @src to DMA address @dst, both as seen by the
 *          engine's device, and return without waiting. Return 0 when
 *          started (dim_engine_done() follows exactly once), or -errno.
 * @reset: stop whatever the engine is doing after a hang; once it
 *         returns, no transfer may touch memory and no dim_engine_done()
 *         may come for it. Return 0 when the engine can take work again,
 *         -errno when it is lost (every later job then fails).
 *
 * Both are called on the fence signalling path (lockdep checks it): they
 * may sleep, but must not allocate memory that may reclaim, nor take a
 * lock that is held anywhere around such an allocation (look up what
 * they need, an interrupt number for instance, at probe time).
 */
struct dim_engine_ops {
	int (*submit)(struct dim_engine *engine, dma_addr_t dst, dma_addr_t src,
		      u32 len);
	int (*reset)(struct dim_engine *engine);
};

/**
 * struct dim_engine - one engine
 * @ops: the backend's operations
 * @dev: the device whose DMA the engine does; the DRM device's parent,
 *       and the device dma-bufs are attached to
 * @name: backend name, for logs and debugfs
 * @max_transfer: largest @len the backend accepts in one submit
 * @drm: set by dim_device_register()
 */
struct dim_engine {
	const struct dim_engine_ops *ops;
	struct device *dev;
	const char *name;
	u32 max_transfer;
	struct dim_device *drm;
};

int dim_device_register(struct dim_engine *engine);
void dim_device_unregister(struct dim_engine *engine);
void dim_engine_done(struct dim_engine *engine, int status);

#endif /* DRM_IMPORT_ENGINE_H */
