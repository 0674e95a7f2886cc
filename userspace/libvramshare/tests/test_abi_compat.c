// SPDX-License-Identifier: MIT
/*
 * The shared library keeps the programs linked against earlier symbol
 * versions working: this program binds, as such programs do, to
 * vrs_bo_info@VRAMSHARE_0.1, vrs_dmabuf_query@VRAMSHARE_0.2 and
 * vrs_submit@VRAMSHARE_0.3 with the structs of those days, and to the
 * default versions (VRAMSHARE_0.4) with today's, all in libvramshare.so.
 *
 * Runs against fake devices: fake_ioctl.c answers on FAKE_FD; the
 * handles' layouts come from the library's internal.h.
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

/* As a program built against libvramshare 0.3 refers to them */
int old_bo_info(struct vrs_importer *imp, uint32_t handle,
		struct vrs_bo_info_v01 *info);
int old_dmabuf_query(struct vrs_device *dev, int dmabuf_fd,
		     struct vrs_dmabuf_state_v02 *state);
int old_submit(struct vrs_importer *imp, const struct vrs_job_v03 *job,
	       int *out_fence_fd);
__asm__(".symver old_bo_info, vrs_bo_info@VRAMSHARE_0.1");
__asm__(".symver old_dmabuf_query, vrs_dmabuf_query@VRAMSHARE_0.2");
__asm__(".symver old_submit, vrs_submit@VRAMSHARE_0.3");

static struct vrs_importer fake_importer = { .fd = FAKE_FD };
static struct vrs_device fake_device = {
	.container_fd = -1, .group_fd = -1, .device_fd = FAKE_FD, .iommufd = -1,
};

static void old_programs(void **state)
{
	struct vrs_job_v03 job = {
		.op = VRS_JOB_FILL, .dst = 1, .size = 64, .fill_value = 9,
		.in_fence_fd = -1,
	};
	struct vrs_dmabuf_state_v02 st;
	struct vrs_bo_info_v01 info;
	int fence = -1;

	(void)state;
	fake_reset(DRM_IMPORT_BO_STATE_MAPPED);
	/* No struct_size: its first member is the object's size */
	memset(&info, 0, sizeof(info));
	assert_int_equal(old_bo_info(&fake_importer, 1, &info), 0);
	assert_int_equal(info.size, FAKE_BO_SIZE);
	assert_int_equal(info.imported, 1);
	assert_int_equal(info.mapped, 1);
	assert_int_equal(info.invalidations, FAKE_BO_INVALIDATIONS);
	assert_int_equal(info.maps, FAKE_BO_MAPS);

	memset(&st, 0, sizeof(st));
	assert_int_equal(old_dmabuf_query(&fake_device, 3, &st), 0);
	assert_int_equal(st.state, VRS_DMABUF_REVOKED);
	assert_int_equal(st.generation, FAKE_DMABUF_GENERATION);
	assert_int_equal(st.version, VRAMSHARE_UAPI_VERSION);

	/* -1 is no in-fence, and no flag says otherwise */
	assert_int_equal(old_submit(&fake_importer, &job, &fence), 0);
	assert_int_equal(fake.submit.op, DRM_IMPORT_JOB_FILL);
	assert_int_equal(fake.submit.flags, DRM_IMPORT_SUBMIT_OUT_FENCE_FD);
	assert_int_equal(fake.submit.in_fence_fd, 0);
	assert_int_equal(fake.submit.fill_value, 9);
	assert_int_equal(fence, FAKE_OUT_FENCE);
	job.in_fence_fd = 4;
	assert_int_equal(old_submit(&fake_importer, &job, NULL), 0);
	assert_int_equal(fake.submit.flags, DRM_IMPORT_SUBMIT_IN_FENCE_FD);
	assert_int_equal(fake.submit.in_fence_fd, 4);
	assert_int_equal(fake.calls, 4);
}

static void new_programs(void **state)
{
	struct vrs_job job = {
		.struct_size = sizeof(job), .op = VRS_JOB_FILL, .dst = 1,
		.size = 64, .fill_value = 9,
	};
	struct vrs_dmabuf_state st = { .struct_size = sizeof(st) };
	struct vrs_bo_info info = { .struct_size = sizeof(info) };

	(void)state;
	fake_reset(DRM_IMPORT_BO_STATE_REVOKED);
	assert_int_equal(vrs_bo_info(&fake_importer, 1, &info), 0);
	assert_int_equal(info.struct_size, sizeof(info));
	assert_int_equal(info.size, FAKE_BO_SIZE);
	assert_int_equal(info.revoked, 1);
	assert_int_equal(vrs_dmabuf_query(&fake_device, 3, &st), 0);
	assert_int_equal(st.generation, FAKE_DMABUF_GENERATION);
	/* Zero is no in-fence */
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), 0);
	assert_int_equal(fake.submit.flags, 0);
	assert_int_equal(fake.submit.in_fence_fd, 0);
	assert_int_equal(fake.calls, 3);
	/* Too small for this version */
	info.struct_size = 8;
	assert_int_equal(vrs_bo_info(&fake_importer, 1, &info), -EINVAL);
	st.struct_size = 0;
	assert_int_equal(vrs_dmabuf_query(&fake_device, 3, &st), -EINVAL);
	job.struct_size = 0;
	assert_int_equal(vrs_submit(&fake_importer, &job, NULL), -EINVAL);
	assert_int_equal(fake.calls, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(old_programs),
		cmocka_unit_test(new_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
