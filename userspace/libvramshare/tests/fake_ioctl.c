// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fake_ioctl.h"

struct fake_ioctl fake;

void fake_reset(uint32_t bo_state)
{
	memset(&fake, 0, sizeof(fake));
	fake.bo_state = bo_state;
}

static int fake_answer(unsigned long request, void *arg)
{
	struct drm_import_submit *submit = arg;
	struct drm_import_bo_info *info = arg;
	struct vfio_device_feature *feature = arg;
	struct vramshare_dma_buf_ctl *ctl;

	fake.calls++;
	fake.request = request;
	switch (request) {
	case DRM_IOCTL_IMPORT_SUBMIT:
		fake.submit = *submit;
		if (submit->flags & DRM_IMPORT_SUBMIT_OUT_FENCE_FD)
			submit->out_fence_fd = FAKE_OUT_FENCE;
		return 0;
	case DRM_IOCTL_IMPORT_BO_INFO:
		info->size = FAKE_BO_SIZE;
		info->kind = DRM_IMPORT_BO_KIND_IMPORTED;
		info->state = fake.bo_state;
		info->invalidations = FAKE_BO_INVALIDATIONS;
		info->maps = FAKE_BO_MAPS;
		return 0;
	case VFIO_DEVICE_FEATURE:
		if (feature->argsz < sizeof(*feature) + sizeof(*ctl))
			break;
		ctl = (struct vramshare_dma_buf_ctl *)feature->data;
		if (ctl->op != VRAMSHARE_DMA_BUF_CTL_QUERY)
			break;
		ctl->state = VRAMSHARE_DMA_BUF_REVOKED;
		ctl->generation = FAKE_DMABUF_GENERATION;
		ctl->version = VRAMSHARE_UAPI_VERSION;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == FAKE_FD)
		return fake_answer(request, arg);
	return (int)syscall(SYS_ioctl, fd, request, arg);
}
