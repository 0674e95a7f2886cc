// SPDX-License-Identifier: MIT
/*
 * vramshare_export: VFIO_DEVICE_FEATURE_DMA_BUF as upstream defines it,
 * on GPU A (a device bound to vfio-pci-dmabuf): valid exports and every
 * class of invalid request, with upstream's error codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>
#include <linux/vramshare_vfio.h>

#include "igt.h"
#include "vramshare_igt.h"

#define GET_DMA_BUF (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF)
#define PAGE 4096ull

static struct vs_gpus gpus;

static int export_one(uint32_t region, uint64_t offset, uint64_t length)
{
	struct vrs_range r = { offset, length };

	return vs_export_raw(vrs_device_fd(gpus.a), GET_DMA_BUF, region,
			     O_CLOEXEC, 0, 1, &r, 0);
}

/* A request whose nr_ranges says more than the buffer holds. */
static int export_header_only(uint32_t nr_ranges)
{
	struct {
		struct vfio_device_feature feature;
		struct vfio_device_feature_dma_buf req;
	} arg = {
		.feature = { .argsz = sizeof(arg), .flags = GET_DMA_BUF },
		.req = { .nr_ranges = nr_ranges },
	};

	return ioctl(vrs_device_fd(gpus.a), VFIO_DEVICE_FEATURE, &arg) ?
	       -errno : 0;
}

static uint64_t dmabuf_size(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);

	igt_assert(size >= 0);
	return (uint64_t)size;
}

/*
 * How libvramshare opened GPU A, from what its device fd is: the cdev
 * node itself, or the anonymous file a vfio group hands out.
 */
static const char *vfio_path_of(int fd)
{
	static char target[256];
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	igt_assert(n > 0);
	target[n] = '\0';
	if (!strncmp(target, "/dev/vfio/devices/vfio", 22))
		return "cdev";
	if (!strcmp(target, "anon_inode:[vfio-device]"))
		return "group";
	return target;
}

/* /sys/module/@module/version, or "" when the module declares none. */
static void module_version(const char *module, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/version", module);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

igt_main
{
	igt_fixture
		vs_open_exporter(&gpus);

	igt_describe("The modules loaded carry the project's one version, the library's");
	igt_subtest("modules-version") {
		static const char *const modules[] = {
			"vfio_pci_dmabuf", "drm_import", "drm_import_edu",
		};
		char version[64];

		for (unsigned int i = 0; i < 3; i++) {
			module_version(modules[i], version, sizeof(version));
			igt_assert_f(!strcmp(version, VRS_VERSION),
				     "%s has version \"%s\", the library %s\n",
				     modules[i], version, VRS_VERSION);
		}
	}

	igt_describe("PROBE reports the dma-buf feature as supported");
	igt_subtest("export-probe") {
		igt_assert_eq(vrs_export_supported(gpus.a), 1);
		igt_assert_eq(vs_export_raw(vrs_device_fd(gpus.a),
					    VFIO_DEVICE_FEATURE_PROBE |
					    GET_DMA_BUF, gpus.vram_bar, 0, 0, 0, NULL,
					    sizeof(struct vfio_device_feature_dma_buf)),
			      0);
	}

	igt_describe("The library opens GPU A the way the topology's kernel offers: the vfio device cdev with iommufd where there is one, else a group");
	igt_subtest("export-vfio-path") {
		const char *want = getenv("VRAMSHARE_EXPECT_VFIO");

		igt_require_f(want, "the topology does not say (VRAMSHARE_EXPECT_VFIO)\n");
		igt_assert_f(!strcmp(vfio_path_of(vrs_device_fd(gpus.a)), want),
			     "GPU A opened through %s, expected %s\n",
			     vfio_path_of(vrs_device_fd(gpus.a)), want);
	}

	igt_describe("One page-aligned range of the VRAM BAR becomes a dma-buf of that size");
	igt_subtest("export-basic") {
		int fd = export_one(gpus.vram_bar, PAGE, 2 * PAGE);

		igt_assert_f(fd >= 0, "export: %s\n", strerror(-fd));
		igt_assert_eq(dmabuf_size(fd), 2 * PAGE);
		igt_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
	}

	igt_describe("Several ranges, the whole BAR included, add up to one dma-buf");
	igt_subtest("export-multi-range") {
		struct vrs_range r[3] = {
			{ 0, PAGE }, { 16 * PAGE, 4 * PAGE },
			{ gpus.vram_size - PAGE, PAGE },
		};
		int fd;

		fd = vs_export_raw(vrs_device_fd(gpus.a), GET_DMA_BUF, gpus.vram_bar,
				   O_CLOEXEC, 0, 3, r, 0);
		igt_assert_f(fd >= 0, "export: %s\n", strerror(-fd));
		igt_assert_eq(dmabuf_size(fd), 6 * PAGE);
		close(fd);

		fd = export_one(gpus.vram_bar, 0, gpus.vram_size);
		igt_assert_f(fd >= 0, "whole BAR: %s\n", strerror(-fd));
		igt_assert_eq(dmabuf_size(fd), gpus.vram_size);
		close(fd);
	}

	igt_describe("Empty, unaligned and zero-length ranges are refused with EINVAL");
	igt_subtest("export-invalid-ranges") {
		int devfd = vrs_device_fd(gpus.a);

		igt_assert_eq(vs_export_raw(devfd, GET_DMA_BUF, gpus.vram_bar, 0, 0, 0,
					    NULL, 0), -EINVAL);
		igt_assert_eq(export_one(gpus.vram_bar, 0, 0), -EINVAL);
		igt_assert_eq(export_one(gpus.vram_bar, 1, PAGE), -EINVAL);
		igt_assert_eq(export_one(gpus.vram_bar, 0, PAGE + 1), -EINVAL);
		igt_assert_eq(export_one(gpus.vram_bar, PAGE / 2, PAGE / 2), -EINVAL);
	}

	igt_describe("Ranges past the BAR's end are refused; offset overflow gives EOVERFLOW");
	igt_subtest("export-out-of-bar") {
		struct vrs_range r[2] = {
			{ 0, PAGE }, { 0, (uint64_t)-PAGE },
		};

		igt_assert_eq(export_one(gpus.vram_bar, gpus.vram_size, PAGE), -EINVAL);
		igt_assert_eq(export_one(gpus.vram_bar, gpus.vram_size - PAGE, 2 * PAGE),
			      -EINVAL);
		igt_assert_eq(export_one(gpus.vram_bar, 0, gpus.vram_size + PAGE), -EINVAL);
		igt_assert_eq(export_one(gpus.vram_bar, (uint64_t)-PAGE, PAGE), -EOVERFLOW);
		/* The sum of two lengths wraps around */
		r[1].offset = PAGE;
		igt_assert_eq(vs_export_raw(vrs_device_fd(gpus.a), GET_DMA_BUF,
					    gpus.vram_bar, 0, 0, 2, r, 0),
			      -EINVAL);
		/*
		 * Upstream's order: every range's own checks and the sum come
		 * before any check against the BAR, so a later zero-length
		 * range wins over an earlier offset that wraps.
		 */
		r[0] = (struct vrs_range){ (uint64_t)-PAGE, PAGE };
		r[1] = (struct vrs_range){ 0, 0 };
		igt_assert_eq(vs_export_raw(vrs_device_fd(gpus.a), GET_DMA_BUF,
					    gpus.vram_bar, 0, 0, 2, r, 0),
			      -EINVAL);
	}

	igt_describe("Only BARs can be exported: ROM and config give ENODEV, an absent BAR EINVAL");
	igt_subtest("export-invalid-region") {
		uint64_t size;

		igt_assert_eq(export_one(VFIO_PCI_ROM_REGION_INDEX, 0, PAGE),
			      -ENODEV);
		igt_assert_eq(export_one(VFIO_PCI_CONFIG_REGION_INDEX, 0, PAGE),
			      -ENODEV);
		igt_assert_eq(export_one(1000, 0, PAGE), -ENODEV);
		/* An absent BAR (QEMU's VGA has no BAR1) */
		igt_assert_eq(vrs_device_bar_size(gpus.a, 1, &size), 0);
		igt_require_f(size == 0, "%s has a BAR1\n", gpus.a_address);
		igt_assert_eq(export_one(1, 0, PAGE), -EINVAL);
	}

	igt_describe("Non-zero flags, SET, short argsz and too many ranges are refused");
	igt_subtest("export-invalid-request") {
		int devfd = vrs_device_fd(gpus.a);
		struct vrs_range r = { 0, PAGE }, *many;
		unsigned int i;

		igt_assert_eq(vs_export_raw(devfd, GET_DMA_BUF, gpus.vram_bar, 0, 1, 1, &r,
					    0), -EINVAL);
		igt_assert_eq(vs_export_raw(devfd, GET_DMA_BUF, gpus.vram_bar, 0, 1u << 31,
					    1, &r, 0), -EINVAL);
		igt_assert_eq(vs_export_raw(devfd, VFIO_DEVICE_FEATURE_SET |
					    VFIO_DEVICE_FEATURE_DMA_BUF, 0, 0,
					    0, 1, &r, 0), -EINVAL);
		/* argsz does not even cover the fixed part */
		igt_assert_eq(vs_export_raw(devfd, GET_DMA_BUF, gpus.vram_bar, 0, 0, 1, &r,
					    sizeof(r) + 4), -EINVAL);

		/*
		 * No bound of vfio's own on nr_ranges (upstream has none):
		 * 4097 overlapping ranges work, and a count whose copy cannot
		 * be allocated fails with ENOMEM before anything is read.
		 */
		many = calloc(4097, sizeof(*many));
		igt_assert(many);
		for (i = 0; i < 4097; i++)
			many[i] = r;
		i = vs_export_raw(devfd, GET_DMA_BUF, gpus.vram_bar, O_CLOEXEC, 0, 4097,
				  many, 0);
		igt_assert_f((int)i >= 0, "4097 ranges: %s\n", strerror(-(int)i));
		igt_assert_eq(dmabuf_size(i), 4097 * PAGE);
		close(i);
		igt_assert_eq(export_header_only(1u << 28), -ENOMEM);
		free(many);
	}

	igt_describe("Ranges in unmapped user memory give EFAULT, not a crash");
	igt_subtest("export-bad-pointer") {
		size_t fixed = sizeof(struct vfio_device_feature) +
			       sizeof(struct vfio_device_feature_dma_buf);
		struct vfio_device_feature_dma_buf *req;
		struct vfio_device_feature *feature;
		uint8_t *mem;

		/* The fixed part ends a page; the ranges would start on the next,
		 * unmapped one. */
		mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		igt_assert(mem != MAP_FAILED);
		igt_assert_eq(munmap(mem + PAGE, PAGE), 0);
		feature = (struct vfio_device_feature *)(mem + PAGE - fixed);
		feature->argsz = fixed + sizeof(struct vfio_region_dma_range);
		feature->flags = GET_DMA_BUF;
		req = (struct vfio_device_feature_dma_buf *)feature->data;
		memset(req, 0, sizeof(*req));
		req->nr_ranges = 1;
		igt_assert_eq(ioctl(vrs_device_fd(gpus.a), VFIO_DEVICE_FEATURE,
				    feature), -1);
		igt_assert_eq(errno, EFAULT);
		munmap(mem, PAGE);
	}

	igt_fixture
		vs_close(&gpus);
}
