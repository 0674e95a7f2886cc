// SPDX-License-Identifier: MIT
/*
 * vramshare_import: drm-import's uAPI on GPU B: its version, and every
 * field of the object ioctls validated (no GPU A needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/drm_import.h>

#include "igt.h"
#include "vramshare_igt.h"

static struct vs_gpus gpus;

static int ioctl_errno(unsigned long request, void *arg)
{
	return drmIoctl(vrs_importer_fd(gpus.b), request, arg) ? -errno : 0;
}

igt_main
{
	igt_fixture
		vs_open_importer(&gpus);

	igt_describe("DRM_IOCTL_VERSION names the driver and the uAPI version of the header");
	igt_subtest("version") {
		drmVersionPtr v = drmGetVersion(vrs_importer_fd(gpus.b));

		igt_assert(v);
		igt_assert(!strcmp(v->name, "drm_import"));
		igt_assert_eq(v->version_major, DRM_IMPORT_VERSION_MAJOR);
		igt_assert_lte(DRM_IMPORT_VERSION_MINOR, v->version_minor);
		drmFreeVersion(v);
	}

	igt_describe("Object creation refuses zero and huge sizes and unknown flags");
	igt_subtest("bo-create-invalid") {
		struct drm_import_bo_create c;

		memset(&c, 0, sizeof(c));
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_CREATE, &c), -EINVAL);
		c.size = 4096;
		c.flags = 1;
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_CREATE, &c), -EINVAL);
		c.flags = 0;
		c.size = ~0ull;
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_CREATE, &c), -EINVAL);
		c.size = (1ull << 32) + 1;
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_CREATE, &c), -EINVAL);
	}

	igt_describe("A local object rounds up to pages, maps, and reads back what was written");
	igt_subtest("bo-create-mmap") {
		struct vrs_bo_info info = { .struct_size = sizeof(info) };
		uint32_t handle;
		uint8_t *map;

		igt_assert_eq(vrs_bo_create(gpus.b, 5000, &handle), 0);
		igt_assert_eq(vrs_bo_info(gpus.b, handle, &info), 0);
		igt_assert_eq(info.size, 8192);
		igt_assert(!info.imported);
		igt_assert(!info.mapped);
		igt_assert_eq(vrs_bo_mmap(gpus.b, handle, 8192, (void **)&map), 0);
		vs_fill(map, 8192, 3);
		igt_assert_eq(vs_check(map, 8192, 3), -1);
		igt_assert_eq(munmap(map, 8192), 0);
		igt_assert_eq(vrs_bo_close(gpus.b, handle), 0);
		igt_assert_eq(vrs_bo_close(gpus.b, handle), -EINVAL);
	}

	igt_describe("Info and mmap-offset refuse unknown handles and flags");
	igt_subtest("bo-query-invalid") {
		struct drm_import_bo_mmap_offset m;
		struct drm_import_bo_info i;
		uint32_t handle;

		igt_assert_eq(vrs_bo_create(gpus.b, 4096, &handle), 0);
		memset(&i, 0, sizeof(i));
		i.handle = 0xdead;
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_INFO, &i), -ENOENT);
		i.handle = handle;
		i.flags = 1;
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_INFO, &i), -EINVAL);
		memset(&m, 0, sizeof(m));
		m.handle = 0xdead;
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_MMAP_OFFSET, &m), -ENOENT);
		m.handle = handle;
		m.flags = 1;
		igt_assert_eq(ioctl_errno(DRM_IOCTL_IMPORT_BO_MMAP_OFFSET, &m), -EINVAL);
		igt_assert_eq(vrs_bo_close(gpus.b, handle), 0);
	}

	igt_describe("Unknown ioctl numbers of the driver's range are refused");
	igt_subtest("unknown-ioctl") {
		uint64_t arg[8] = { 0 };
		unsigned long nr = DRM_IOWR(DRM_COMMAND_BASE + 0x3f, uint64_t[8]);

		igt_assert_eq(ioctl_errno(nr, arg), -EINVAL);
	}

	igt_fixture
		vs_close(&gpus);
}
