/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * drm-import: the engine backends built into the module. Each registers
 * its bus driver; its probe creates engines with dim_device_register().
 */
#ifndef DRM_IMPORT_BACKENDS_H
#define DRM_IMPORT_BACKENDS_H

int edu_engine_register(void);
void edu_engine_unregister(void);

static inline int dim_backends_register(void)
{
	return edu_engine_register();
}

static inline void dim_backends_unregister(void)
{
	edu_engine_unregister();
}

#endif /* DRM_IMPORT_BACKENDS_H */
