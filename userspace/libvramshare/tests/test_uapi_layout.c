// SPDX-License-Identifier: MIT
/*
 * The uAPI structs have the layout upstream (VFIO) and 32/64-bit
 * userspace (drm-import) expect: fixed offsets, no implicit padding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <linux/vfio.h>
#include <linux/vramshare_vfio.h>
#include <drm/drm_import.h>

static void vfio_dma_buf_matches_upstream(void **state)
{
	(void)state;
	assert_int_equal(VFIO_DEVICE_FEATURE_DMA_BUF, 11);
	assert_int_equal(sizeof(struct vfio_region_dma_range), 16);
	assert_int_equal(offsetof(struct vfio_region_dma_range, length), 8);
	assert_int_equal(sizeof(struct vfio_device_feature_dma_buf), 16);
	assert_int_equal(offsetof(struct vfio_device_feature_dma_buf, open_flags), 4);
	assert_int_equal(offsetof(struct vfio_device_feature_dma_buf, flags), 8);
	assert_int_equal(offsetof(struct vfio_device_feature_dma_buf, nr_ranges), 12);
	assert_int_equal(offsetof(struct vfio_device_feature_dma_buf, dma_ranges), 16);
}

static void vramshare_ctl_is_stable(void **state)
{
	(void)state;
	/* Ours count down from the top of the feature number space */
	assert_true(VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL >
		    VFIO_DEVICE_FEATURE_DMA_BUF + 0x1000);
	assert_int_equal(VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL &
			 ~VFIO_DEVICE_FEATURE_MASK, 0);
	assert_int_equal(sizeof(struct vramshare_dma_buf_ctl), 40);
	assert_int_equal(offsetof(struct vramshare_dma_buf_ctl, generation), 24);
}

static void drm_import_has_no_padding(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct drm_import_bo_create), 16);
	assert_int_equal(sizeof(struct drm_import_bo_mmap_offset), 16);
	assert_int_equal(sizeof(struct drm_import_bo_info), 40);
	assert_int_equal(offsetof(struct drm_import_bo_info, invalidations), 24);
	assert_int_equal(sizeof(struct drm_import_copy), 40);
	assert_int_equal(offsetof(struct drm_import_copy, size), 24);
	assert_int_equal(sizeof(struct drm_import_submit), 64);
	assert_int_equal(offsetof(struct drm_import_submit, size), 32);
	assert_int_equal(offsetof(struct drm_import_submit, in_fence_fd), 48);
	assert_int_equal(offsetof(struct drm_import_submit, out_syncobj), 60);
	assert_int_equal(sizeof(struct drm_import_bo_wait), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vfio_dma_buf_matches_upstream),
		cmocka_unit_test(vramshare_ctl_is_stable),
		cmocka_unit_test(drm_import_has_no_padding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
