// SPDX-License-Identifier: MIT
/*
 * The extensible structs of VRAMSHARE_0.4 (struct vrs_bo_info, vrs_job,
 * vrs_dmabuf_state): struct_size smaller than the first version is refused
 * before any device is asked, a larger one is read or filled up to what
 * the library knows, a zeroed job means "none" everywhere; and the calls
 * of the old layouts (src/compat.c) behave as they did.
 *
 * Runs against fake devices: fake_ioctl.c answers on FAKE_FD.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "compat.h"
#include "fake_ioctl.h"

static struct vrs_importer fake_importer = { .fd = FAKE_FD };
static struct vrs_device fake_device = {
	.container_fd = -1, .group_fd = -1, .device_fd = FAKE_FD, .iommufd = -1,
};

static void first_versions_are_fixed(void **state)
{
	(void)state;
	/* What the man pages state; no implicit padding anywhere */
	assert_int_equal(VRS_BO_INFO_MIN_SIZE, 40);
	assert_int_equal(sizeof(struct vrs_bo_info), 40);
	assert_int_equal(offsetof(struct vrs_bo_info, size), 16);
	assert_int_equal(VRS_JOB_MIN_SIZE, 64);
	assert_int_equal(sizeof(struct vrs_job), 64);
	assert_int_equal(offsetof(struct vrs_job, dst_offset), 16);
	assert_int_equal(offsetof(struct vrs_job, src_offset), 32);
	assert_int_equal(offsetof(struct vrs_job, in_fence_fd), 52);
	assert_int_equal(VRS_DMABUF_STATE_MIN_SIZE, 24);
	assert_int_equal(sizeof(struct vrs_dmabuf_state), 24);
	assert_int_equal(offsetof(struct vrs_dmabuf_state, generation), 8);
}

static void bo_info_size_rules(void **state)
{
	struct {
		struct vrs_bo_info info;
		unsigned char canary[16];
	} big;
	struct vrs_bo_info info;
	unsigned char canary[16];

	(void)state;
	fake_reset(DRM_IMPORT_BO_STATE_REVOKED);
	assert_int_equal(vrs_bo_info(&fake_importer, 1, NULL), -EINVAL);
	memset(&info, 0, sizeof(info));
	assert_int_equal(vrs_bo_info(&fake_importer, 1, &info), -EINVAL);
	info.struct_size = VRS_BO_INFO_MIN_SIZE - 1;
	assert_int_equal(vrs_bo_info(&fake_importer, 1, &info), -EINVAL);
	/* Refused before the device was asked */
	assert_int_equal(fake.calls, 0);
	/* A NULL importer, with or without a good size */
	assert_int_equal(vrs_bo_info(NULL, 1, &info), -EINVAL);
	info.struct_size = sizeof(info);
	assert_int_equal(vrs_bo_info(NULL, 1, &info), -EINVAL);

	/* Exactly this version */
	memset(&info, 0xff, sizeof(info));
	info.struct_size = sizeof(info);
	assert_int_equal(vrs_bo_info(&fake_importer, 1, &info), 0);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(info.struct_size, sizeof(info));
	assert_int_equal(info.size, FAKE_BO_SIZE);
	assert_int_equal(info.imported, 1);
	assert_int_equal(info.mapped, 0);
	assert_int_equal(info.revoked, 1);
	assert_int_equal(info.invalidations, FAKE_BO_INVALIDATIONS);
	assert_int_equal(info.maps, FAKE_BO_MAPS);

	fake_reset(DRM_IMPORT_BO_STATE_MAPPED);
	assert_int_equal(vrs_bo_info(&fake_importer, 1, &info), 0);
	assert_int_equal(info.mapped, 1);
	assert_int_equal(info.revoked, 0);

	/* A later version's struct: filled as far as this library knows */
	memset(&big, 0xa5, sizeof(big));
	memset(canary, 0xa5, sizeof(canary));
	big.info.struct_size = sizeof(big);
	assert_int_equal(vrs_bo_info(&fake_importer, 1, &big.info), 0);
	assert_int_equal(big.info.struct_size, sizeof(struct vrs_bo_info));
	assert_int_equal(big.info.maps, FAKE_BO_MAPS);
	assert_memory_equal(big.canary, canary, sizeof(canary));
}

static struct vrs_job copy_job(void)
{
	struct vrs_job job = {
		.struct_size = sizeof(job), .op = VRS_JOB_COPY,
		.dst = 1, .src = 2, .size = 4096,
	};
	return job;
}

static void zeroed_job_means_none(void **state)
{
	struct vrs_job job = copy_job();
	int fence = -1;

	(void)state;
	fake_reset(0);
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), 0);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.submit.op, DRM_IMPORT_JOB_COPY);
	assert_int_equal(fake.submit.flags, 0);
	assert_int_equal(fake.submit.in_fence_fd, 0);
	assert_int_equal(fake.submit.in_syncobj, 0);
	assert_int_equal(fake.submit.out_syncobj, 0);
	assert_int_equal(fake.submit.timeout_ms, 0);
	assert_int_equal(fake.submit.dst_handle, 1);
	assert_int_equal(fake.submit.src_handle, 2);
	assert_int_equal(fake.submit.size, 4096);

	/* The in-fence only with its flag */
	job.flags = VRS_JOB_IN_FENCE_FD | VRS_JOB_NO_WAIT;
	job.in_fence_fd = 5;
	assert_int_equal(vrs_submit(&fake_importer, &job, &fence), 0);
	assert_int_equal(fake.submit.flags, DRM_IMPORT_SUBMIT_IN_FENCE_FD |
			 DRM_IMPORT_SUBMIT_NO_WAIT |
			 DRM_IMPORT_SUBMIT_OUT_FENCE_FD);
	assert_int_equal(fake.submit.in_fence_fd, 5);
	assert_int_equal(fence, FAKE_OUT_FENCE);
	/* Descriptor 0 is a descriptor like any other, with the flag */
	job.flags = VRS_JOB_IN_FENCE_FD;
	job.in_fence_fd = 0;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), 0);
	assert_int_equal(fake.submit.flags, DRM_IMPORT_SUBMIT_IN_FENCE_FD);
	assert_int_equal(fake.submit.in_fence_fd, 0);
}

static void bad_jobs(void **state)
{
	struct {
		struct vrs_job job;
		uint32_t later[2];
	} big;
	struct vrs_job job;

	(void)state;
	fake_reset(0);
	assert_int_equal(vrs_submit(&fake_importer, NULL, NULL), -EINVAL);
	job = copy_job();
	job.struct_size = 0;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), -EINVAL);
	job.struct_size = VRS_JOB_MIN_SIZE - 1;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), -EINVAL);
	/* The old "no fence", or a descriptor without the flag */
	job = copy_job();
	job.in_fence_fd = -1;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), -EINVAL);
	job.in_fence_fd = 5;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), -EINVAL);
	/* The flag without a descriptor */
	job.flags = VRS_JOB_IN_FENCE_FD;
	job.in_fence_fd = -1;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), -EINVAL);
	job = copy_job();
	job.flags = 0x4;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), -EINVAL);
	assert_int_equal(fake.calls, 0);
	/* A NULL importer, with a good job */
	job = copy_job();
	assert_int_equal(vrs_submit(NULL, &job, NULL), -EINVAL);

	/* A later version's job: what it adds must be unused (zero) */
	memset(&big, 0, sizeof(big));
	big.job = copy_job();
	big.job.struct_size = sizeof(big);
	assert_int_equal(vrs_submit(&fake_importer, &big.job, NULL), 0);
	assert_int_equal(fake.calls, 1);
	big.later[1] = 1;
	assert_int_equal(vrs_submit(&fake_importer, &big.job, NULL), -E2BIG);
	assert_int_equal(fake.calls, 1);
}

static void dmabuf_state_size_rules(void **state)
{
	struct {
		struct vrs_dmabuf_state st;
		unsigned char canary[8];
	} big;
	struct vrs_dmabuf_state st;
	unsigned char canary[8];

	(void)state;
	fake_reset(0);
	assert_int_equal(vrs_dmabuf_query(&fake_device, 3, NULL), -EINVAL);
	memset(&st, 0, sizeof(st));
	assert_int_equal(vrs_dmabuf_query(&fake_device, 3, &st), -EINVAL);
	st.struct_size = VRS_DMABUF_STATE_MIN_SIZE - 1;
	assert_int_equal(vrs_dmabuf_query(&fake_device, 3, &st), -EINVAL);
	assert_int_equal(fake.calls, 0);
	st.struct_size = sizeof(st);
	assert_int_equal(vrs_dmabuf_query(NULL, 3, &st), -EINVAL);

	memset(&st, 0xff, sizeof(st));
	st.struct_size = sizeof(st);
	assert_int_equal(vrs_dmabuf_query(&fake_device, 3, &st), 0);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(st.struct_size, sizeof(st));
	assert_int_equal(st.state, VRS_DMABUF_REVOKED);
	assert_int_equal(st.generation, FAKE_DMABUF_GENERATION);
	assert_int_equal(st.version, VRAMSHARE_UAPI_VERSION);
	assert_int_equal(st.reserved, 0);

	memset(&big, 0x5a, sizeof(big));
	memset(canary, 0x5a, sizeof(canary));
	big.st.struct_size = sizeof(big);
	assert_int_equal(vrs_dmabuf_query(&fake_device, 3, &big.st), 0);
	assert_int_equal(big.st.struct_size, sizeof(struct vrs_dmabuf_state));
	assert_int_equal(big.st.generation, FAKE_DMABUF_GENERATION);
	assert_memory_equal(big.canary, canary, sizeof(canary));
}

/* The implementations behind the old symbol versions, by their names. */
static void old_layouts_as_before(void **state)
{
	struct vrs_job_v03 job = {
		.op = VRS_JOB_COPY, .dst = 1, .src = 2, .size = 64,
		.in_fence_fd = -1,
	};
	struct vrs_dmabuf_state_v02 st;
	struct vrs_bo_info_v01 info;

	(void)state;
	fake_reset(DRM_IMPORT_BO_STATE_MAPPED | DRM_IMPORT_BO_STATE_REVOKED);
	assert_int_equal(vrs_bo_info_v01(&fake_importer, 1, NULL), -EINVAL);
	memset(&info, 0xff, sizeof(info));
	assert_int_equal(vrs_bo_info_v01(&fake_importer, 1, &info), 0);
	assert_int_equal(info.size, FAKE_BO_SIZE);
	assert_int_equal(info.imported, 1);
	assert_int_equal(info.mapped, 1);
	assert_int_equal(info.invalidations, FAKE_BO_INVALIDATIONS);
	assert_int_equal(info.maps, FAKE_BO_MAPS);

	assert_int_equal(vrs_dmabuf_query_v02(&fake_device, 3, NULL), -EINVAL);
	assert_int_equal(vrs_dmabuf_query_v02(&fake_device, 3, &st), 0);
	assert_int_equal(st.state, VRS_DMABUF_REVOKED);
	assert_int_equal(st.generation, FAKE_DMABUF_GENERATION);
	assert_int_equal(st.version, VRAMSHARE_UAPI_VERSION);

	/* -1: no in-fence */
	fake_reset(0);
	assert_int_equal(vrs_submit_v03(&fake_importer, &job, NULL), 0);
	assert_int_equal(fake.submit.flags, 0);
	assert_int_equal(fake.submit.in_fence_fd, 0);
	assert_int_equal(fake.submit.size, 64);
	/* Any descriptor, 0 included, is one; NO_WAIT passes */
	job.in_fence_fd = 0;
	job.flags = VRS_JOB_NO_WAIT;
	assert_int_equal(vrs_submit_v03(&fake_importer, &job, NULL), 0);
	assert_int_equal(fake.submit.flags, DRM_IMPORT_SUBMIT_IN_FENCE_FD |
			 DRM_IMPORT_SUBMIT_NO_WAIT);
	assert_int_equal(fake.submit.in_fence_fd, 0);
	/* The flags it had: VRS_JOB_IN_FENCE_FD is not one of them */
	job.flags = VRS_JOB_IN_FENCE_FD;
	assert_int_equal(vrs_submit_v03(&fake_importer, &job, NULL), -EINVAL);
	assert_int_equal(vrs_submit_v03(&fake_importer, NULL, NULL), -EINVAL);
	assert_int_equal(fake.calls, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_versions_are_fixed),
		cmocka_unit_test(bo_info_size_rules),
		cmocka_unit_test(zeroed_job_means_none),
		cmocka_unit_test(bad_jobs),
		cmocka_unit_test(dmabuf_state_size_rules),
		cmocka_unit_test(old_layouts_as_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
