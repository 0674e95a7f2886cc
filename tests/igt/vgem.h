/* SPDX-License-Identifier: MIT */
/*
 * The part of vgem's uAPI the tests use: fences attached to a vgem
 * object and signalled on request (vgem signals them itself after 10 s).
 * Debian ships no vgem header, so the ABI is declared here.
 */
#ifndef VRAMSHARE_VGEM_H
#define VRAMSHARE_VGEM_H

#include <stdint.h>
#include <xf86drm.h>

struct vs_vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;		/* VS_VGEM_FENCE_WRITE: an exclusive fence */
	uint32_t out_fence;
	uint32_t pad;
};

struct vs_vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define VS_VGEM_FENCE_WRITE	0x1

#define VS_IOCTL_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vs_vgem_fence_attach)
#define VS_IOCTL_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vs_vgem_fence_signal)

#endif /* VRAMSHARE_VGEM_H */
