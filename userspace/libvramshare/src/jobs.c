// SPDX-License-Identifier: MIT
/*
 * libvramshare: asynchronous jobs on a drm-import engine, and waiting for
 * them (their objects, or their sync_file fences).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <xf86drm.h>
#include <drm/drm_import.h>
#include <linux/sync_file.h>

#include "internal.h"

#define VRS_JOB_FLAGS (VRS_JOB_NO_WAIT | VRS_JOB_IN_FENCE_FD)

/*
 * The caller's job as this library knows it: the first @job->struct_size
 * bytes, zeros for members it was compiled without. Members of a later
 * version (past ours) must be zero: -E2BIG, this library cannot do them.
 */
static int vrs_job_read(const struct vrs_job *job, struct vrs_job *out)
{
	const unsigned char *extra;
	size_t i;

	if (!job || job->struct_size < VRS_JOB_MIN_SIZE)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (job->struct_size <= sizeof(*out)) {
		memcpy(out, job, job->struct_size);
		return 0;
	}
	extra = (const unsigned char *)job + sizeof(*out);
	for (i = 0; i < job->struct_size - sizeof(*out); i++)
		if (extra[i])
			return -E2BIG;
	memcpy(out, job, sizeof(*out));
	return 0;
}

/* vrs_submit@VRAMSHARE_0.3 (-1 for no in-fence): compat.c */
int vrs_submit_v04(struct vrs_importer *imp, const struct vrs_job *user_job,
		   int *out_fence_fd)
{
	struct drm_import_submit args;
	struct vrs_job job;
	int ret;

	ret = vrs_job_read(user_job, &job);
	if (ret)
		return ret;
	if (job.flags & ~(uint32_t)VRS_JOB_FLAGS)
		return -EINVAL;
	/* As the uAPI: a descriptor with the flag, 0 without it */
	if ((job.flags & VRS_JOB_IN_FENCE_FD) ? job.in_fence_fd < 0 :
						job.in_fence_fd != 0)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.op = job.op;
	args.dst_handle = job.dst;
	args.dst_offset = job.dst_offset;
	args.src_handle = job.src;
	args.src_offset = job.src_offset;
	args.size = job.size;
	args.fill_value = job.fill_value;
	args.timeout_ms = job.timeout_ms;
	args.in_syncobj = job.in_syncobj;
	args.out_syncobj = job.out_syncobj;
	if (job.flags & VRS_JOB_NO_WAIT)
		args.flags |= DRM_IMPORT_SUBMIT_NO_WAIT;
	if (job.flags & VRS_JOB_IN_FENCE_FD) {
		args.flags |= DRM_IMPORT_SUBMIT_IN_FENCE_FD;
		args.in_fence_fd = job.in_fence_fd;
	}
	if (out_fence_fd)
		args.flags |= DRM_IMPORT_SUBMIT_OUT_FENCE_FD;

	ret = vrs_ioctl_once(imp, DRM_IOCTL_IMPORT_SUBMIT, &args);
	if (!ret && out_fence_fd)
		*out_fence_fd = args.out_fence_fd;
	return ret;
}
VRS_SYMBOL_DEFAULT(vrs_submit_v04, vrs_submit, "VRAMSHARE_0.4");

int vrs_bo_wait(struct vrs_importer *imp, uint32_t handle, int64_t timeout_ns)
{
	struct drm_import_bo_wait args = {
		.handle = handle,
		.timeout_ns = timeout_ns,
	};

	return vrs_ioctl_once(imp, DRM_IOCTL_IMPORT_BO_WAIT, &args);
}

static int64_t vrs_ts_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

int vrs_fence_wait(int fence_fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fence_fd, .events = POLLIN };
	struct sync_file_info info;
	int64_t deadline = 0, left;
	struct timespec now;
	int ret;

	if (fence_fd < 0)
		return -EINVAL;
	/* A signal does not restart the whole timeout. */
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = vrs_ts_ms(&now) + timeout_ms;
	}
	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret >= 0 || errno != EINTR)
			break;
		if (timeout_ms > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = deadline - vrs_ts_ms(&now);
			timeout_ms = left > 0 ? (int)left : 0;
		}
	}
	if (ret < 0)
		return vrs_errno();
	if (pfd.revents & POLLNVAL)
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	if (ioctl(fence_fd, SYNC_IOC_FILE_INFO, &info))
		return vrs_errno();
	/* -ETIME as libdrm's syncobj waits: a job itself may end in -ETIMEDOUT */
	if (info.status == 0)
		return -ETIME;
	return info.status < 0 ? info.status : 0;
}
