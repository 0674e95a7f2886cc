/* SPDX-License-Identifier: MIT */
/*
 * An ioctl(2) of the test program's own, in front of the C library's: on
 * FAKE_FD it records what the library asked and answers as drm-import and
 * vfio-pci-dmabuf would; every other descriptor gets the real system call.
 * Defined in the program, it serves the library's sources linked in, the
 * shared library and libdrm alike.
 */
#ifndef VRS_FAKE_IOCTL_H
#define VRS_FAKE_IOCTL_H

#include <stdint.h>

#include <drm/drm_import.h>
#include <linux/vramshare_vfio.h>

/* No process has this many files open in a test */
#define FAKE_FD 0x7ffe

/* What DRM_IOCTL_IMPORT_BO_INFO and the dma-buf query answer */
#define FAKE_BO_SIZE		8192u
#define FAKE_BO_INVALIDATIONS	3u
#define FAKE_BO_MAPS		2u
#define FAKE_DMABUF_GENERATION	7u
/* The sync_file a submission with OUT_FENCE_FD gets */
#define FAKE_OUT_FENCE		0x7ffd

struct fake_ioctl {
	unsigned int calls;		/* on FAKE_FD, since fake_reset() */
	unsigned long request;		/* the last one */
	struct drm_import_submit submit;	/* the last submission */
	uint32_t bo_state;		/* DRM_IMPORT_BO_STATE_* to report */
};

extern struct fake_ioctl fake;

/* Forget the calls; report @bo_state for objects from now on. */
void fake_reset(uint32_t bo_state);

#endif /* VRS_FAKE_IOCTL_H */
