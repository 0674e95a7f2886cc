// SPDX-License-Identifier: MIT
/*
 * vramshare_p2p: GPU A's VRAM exported, imported on GPU B (drm-import),
 * copied peer-to-peer by GPU B's engine, revoked by resets of GPU A and
 * restored; and the refusal when GPU B cannot reach GPU A.
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xf86drm.h>
#include <linux/vramshare_vfio.h>
#include <linux/vfio.h>
#include <drm/drm_import.h>

#include "igt.h"
#include "vramshare_igt.h"

#define PAGE		4096ull
#define LEN		(2 * PAGE)	/* edu moves ~30 KB/s: keep copies small */
#define SRC_OFFSET	(1ull << 20)	/* in GPU A's VRAM */
#define DST_OFFSET	(2ull << 20)
#define CANARY		0xc5
#define NVME_CMB_BAR	2	/* QEMU's nvme puts its CMB in BAR2 */

static struct vs_gpus gpus;

struct path {
	uint32_t src, dst, local;
	uint8_t *local_map;
};

static void path_open(struct path *p)
{
	int ret;

	p->src = vs_export_import(&gpus, SRC_OFFSET, LEN, NULL);
	p->dst = vs_export_import(&gpus, DST_OFFSET, LEN, NULL);
	ret = vrs_bo_create(gpus.b, LEN, &p->local);
	igt_assert_eq(ret, 0);
	ret = vrs_bo_mmap(gpus.b, p->local, LEN, (void **)&p->local_map);
	igt_assert_eq(ret, 0);
}

static void path_close(struct path *p)
{
	munmap(p->local_map, LEN);
	igt_assert_eq(vrs_bo_close(gpus.b, p->local), 0);
	igt_assert_eq(vrs_bo_close(gpus.b, p->src), 0);
	igt_assert_eq(vrs_bo_close(gpus.b, p->dst), 0);
}

static void copy_ok(uint32_t dst, uint64_t dst_off, uint32_t src,
		    uint64_t src_off, uint64_t size)
{
	int ret = vrs_copy(gpus.b, dst, dst_off, src, src_off, size);

	igt_assert_f(ret == 0, "copy of %llu bytes: %s\n",
		     (unsigned long long)size, strerror(-ret));
}

/* The pages around the destination range must never change. */
static void canaries_set(void)
{
	vs_set(gpus.vram + DST_OFFSET - PAGE, CANARY, PAGE);
	vs_set(gpus.vram + DST_OFFSET + LEN, CANARY, PAGE);
}

static void canaries_check(void)
{
	igt_assert_eq(vs_check_value(gpus.vram + DST_OFFSET - PAGE, CANARY,
				     PAGE), -1);
	igt_assert_eq(vs_check_value(gpus.vram + DST_OFFSET + LEN, CANARY,
				     PAGE), -1);
}

/* VRAM src -> local -> VRAM dst, every byte checked at each step. */
static void round_trip(struct path *p, uint32_t seed)
{
	vs_fill(gpus.vram + SRC_OFFSET, LEN, seed);
	vs_set(gpus.vram + DST_OFFSET, 0, LEN);
	vs_set(p->local_map, 0, LEN);
	canaries_set();

	copy_ok(p->local, 0, p->src, 0, LEN);
	igt_assert_eq(vs_check(p->local_map, LEN, seed), -1);
	copy_ok(p->dst, 0, p->local, 0, LEN);
	igt_assert_eq(vs_check(gpus.vram + DST_OFFSET, LEN, seed), -1);
	canaries_check();
}

static struct vrs_bo_info info_of(uint32_t handle)
{
	struct vrs_bo_info info = { .struct_size = sizeof(info) };

	igt_assert_eq(vrs_bo_info(gpus.b, handle, &info), 0);
	return info;
}

static bool vs_bo_imported(struct vrs_importer *imp, uint32_t handle)
{
	struct vrs_bo_info info = { .struct_size = sizeof(info) };

	igt_assert_eq(vrs_bo_info(imp, handle, &info), 0);
	return info.imported;
}

static void sysfs_reset(const char *address)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", address);
	vs_write_file(dir, "reset", "1");
}

/* A reset of GPU A: one revoke and one restore reach the importer. */
static void check_reset_cycle(void (*reset)(void), uint32_t seed)
{
	struct vrs_bo_info before, after;
	struct path p;

	path_open(&p);
	round_trip(&p, seed);
	before = info_of(p.src);
	igt_assert(before.mapped);

	reset();

	/* Unmapped for the reset, mapped again eagerly at the restore */
	igt_assert(vs_wait_mapped(gpus.b, p.src));
	after = info_of(p.src);
	igt_assert_eq(after.invalidations, before.invalidations + 2);
	igt_assert(after.mapped);
	igt_assert_eq(after.maps, before.maps + 1);

	/* The first copy after the restore needs no mapping of its own */
	round_trip(&p, seed + 1);
	after = info_of(p.src);
	igt_assert(after.mapped);
	igt_assert_eq(after.maps, before.maps + 1);
	path_close(&p);
}

static void reset_through_vfio(void)
{
	igt_assert_eq(vrs_device_reset(gpus.a), 0);
}

static void reset_through_sysfs(void)
{
	sysfs_reset(gpus.a_address);
}

/* Name of the link @name under GPU B's device in sysfs ("" if none). */
static void importer_link(const char *name, char *out, size_t len)
{
	const char *node = strrchr(gpus.b_node, '/');
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/class/drm/%s/device%s%s",
		 node ? node + 1 : gpus.b_node, *name ? "/" : "", name);
	n = readlink(link, target, sizeof(target) - 1);
	igt_assert(n > 0);
	target[n] = '\0';
	snprintf(out, len, "%s", strrchr(target, '/') + 1);
}

/* VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_ATTACHMENTS as it is: its status. */
static int attachments_raw(int dmabuf_fd, uint32_t flags, uint32_t start,
			   uint32_t *count, struct vramshare_dma_buf_attachment *out)
{
	struct {
		struct vfio_device_feature feature;
		struct vramshare_dma_buf_attachments req;
	} arg = {
		.feature = {
			.argsz = sizeof(arg),
			.flags = VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_ATTACHMENTS,
		},
		.req = { .dmabuf_fd = dmabuf_fd, .flags = flags, .start = start,
			 .count = *count, .entries = (uintptr_t)out },
	};
	int ret = ioctl(vrs_device_fd(gpus.a), VFIO_DEVICE_FEATURE, &arg);

	*count = arg.req.count;
	return ret < 0 ? -errno : ret;
}

/* Importers of @fd once GPU B's jobs have let go of a closed import. */
static unsigned int attachments_settled(int fd, unsigned int want)
{
	unsigned int count = ~0u;

	for (int i = 0; i < 100; i++) {
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, fd, NULL, 0, &count), 0);
		if (count == want)
			break;
		usleep(50 * 1000);
	}
	return count;
}

igt_main
{
	igt_fixture {
		vs_open_exporter(&gpus);
		vs_open_importer(&gpus);
	}

	igt_describe("A VRAM dma-buf imports as a dynamic, not yet mapped object");
	igt_subtest("import-basic") {
		struct vrs_bo_info info;
		uint32_t handle, again;
		int fd;

		handle = vs_export_import(&gpus, SRC_OFFSET, LEN, &fd);
		info = info_of(handle);
		igt_assert(info.imported);
		igt_assert(!info.mapped);
		igt_assert_eq(info.size, LEN);
		igt_assert_eq(info.invalidations, 0);
		igt_assert_eq(info.maps, 0);
		/* PRIME gives the same dma-buf the same handle */
		igt_assert_eq(vrs_import(gpus.b, fd, &again), 0);
		igt_assert_eq(again, handle);
		igt_assert_eq(vrs_bo_close(gpus.b, handle), 0);
		close(fd);
	}

	igt_describe("Files that are not dma-bufs are refused on import");
	igt_subtest("import-not-dmabuf") {
		uint32_t handle;
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		igt_assert(fd >= 0);
		igt_assert(vrs_import(gpus.b, fd, &handle) < 0);
		igt_assert(vrs_import(gpus.b, -1, &handle) < 0);
		close(fd);
	}

	igt_describe("GPU B's engine copies GPU A's VRAM into local memory and back into VRAM, peer to peer");
	igt_subtest("p2p-copy") {
		struct path p;

		igt_require(vs_p2p_possible(&gpus));
		path_open(&p);
		round_trip(&p, 1);
		igt_assert(info_of(p.src).mapped);
		igt_assert_eq(info_of(p.src).maps, 1);
		path_close(&p);
	}

	igt_describe("Copies of 1 byte, odd offsets and page-crossing sizes move exactly those bytes");
	igt_subtest("p2p-copy-unaligned") {
		static const struct { uint64_t src, dst, size; } cases[] = {
			{ 0, 0, 1 }, { 4095, 4095, 2 }, { 123, 4001, 3001 },
			{ PAGE - 7, 13, PAGE + 5 },
		};
		struct path p;
		unsigned int i;

		igt_require(vs_p2p_possible(&gpus));
		path_open(&p);
		vs_fill(gpus.vram + SRC_OFFSET, LEN, 7);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint8_t expect[LEN];

			vs_set(p.local_map, CANARY, LEN);
			memset(expect, CANARY, LEN);
			for (uint64_t j = 0; j < cases[i].size; j++)
				expect[cases[i].dst + j] =
					gpus.vram[SRC_OFFSET + cases[i].src + j];
			copy_ok(p.local, cases[i].dst, p.src, cases[i].src,
				cases[i].size);
			igt_assert_f(memcmp(expect, p.local_map, LEN) == 0,
				     "case %u: wrong bytes\n", i);
		}
		path_close(&p);
	}

	igt_describe("VFIO_DEVICE_RESET of GPU A revokes GPU B's mapping, restores it, and copies work again");
	igt_subtest("reset-revoke-restore") {
		igt_require(vs_p2p_possible(&gpus));
		check_reset_cycle(reset_through_vfio, 11);
	}

	igt_describe("A sysfs reset of GPU A revokes and restores GPU B's mapping");
	igt_subtest("sysfs-reset-revoke-restore") {
		igt_require(vs_p2p_possible(&gpus));
		check_reset_cycle(reset_through_sysfs, 21);
	}

	igt_describe("GPU B reaches GPU A by the route the topology implies (VRAMSHARE_EXPECT_ROUTE)");
	igt_subtest("p2p-route") {
		const char *want = vs_expected_route(&gpus);
		char path[128], text[8192], line[128];
		struct path p;

		igt_require(vs_p2p_possible(&gpus));
		path_open(&p);
		copy_ok(p.local, 0, p.src, 0, 1);
		snprintf(path, sizeof(path), "/sys/kernel/debug/vfio_pci_dmabuf/%s",
			 gpus.a_address);
		vs_read_text(path, text, sizeof(text));
		snprintf(line, sizeof(line), "route %s mapped", want);
		igt_assert_f(strstr(text, line), "no \"%s\" in:\n%s", line, text);
		path_close(&p);
	}

	igt_describe("The exporter lists GPU B as the one importer of a dma-buf: device, driver, route and mappings, until the import is closed");
	igt_subtest("p2p-attachments") {
		struct vramshare_dma_buf_attachment raw[2];
		struct vrs_attachment list[4];
		char device[64], driver[64];
		unsigned int count;
		uint32_t handle, local, theirs;
		int fd, local_fd;

		igt_require(vs_p2p_possible(&gpus));
		importer_link("", device, sizeof(device));
		importer_link("driver", driver, sizeof(driver));
		handle = vs_export_import(&gpus, SRC_OFFSET, LEN, &fd);

		memset(list, 0xa5, sizeof(list));
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, fd, list, 4, &count), 0);
		igt_assert_eq(count, 1);
		igt_assert_f(!strcmp(list[0].device, device),
			     "importer %s, expected %s\n", list[0].device, device);
		igt_assert_f(!strcmp(list[0].driver, driver),
			     "driver %s, expected %s\n", list[0].driver, driver);
		igt_assert_eq(list[0].route,
			      strcmp(vs_expected_route(&gpus), "bus-address") ?
			      VRS_ROUTE_HOST_BRIDGE : VRS_ROUTE_BUS_ADDRESS);
		igt_assert_eq(list[0].mappings, 0);
		igt_assert_eq(list[0].reserved, 0);
		/* The entry after the last is left alone */
		igt_assert_eq(list[1].route, 0xa5a5a5a5);

		/* A copy maps it; counting alone needs no list */
		igt_assert_eq(vrs_bo_create(gpus.b, LEN, &local), 0);
		copy_ok(local, 0, handle, 0, 1);
		count = 0;
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, fd, NULL, 0, &count), 0);
		igt_assert_eq(count, 1);
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, fd, list, 1, &count), 0);
		igt_assert_eq(list[0].mappings, 1);

		/* The raw request: 0 on success, start skips, bad requests */
		count = 1;
		memset(raw, 0xa5, sizeof(raw));
		igt_assert_eq(attachments_raw(fd, 0, 0, &count, raw), 0);
		igt_assert_eq(count, 1);
		igt_assert_eq(raw[0].mappings, 1);
		count = 1;
		memset(raw, 0xa5, sizeof(raw));
		igt_assert_eq(attachments_raw(fd, 0, 1, &count, raw), 0);
		igt_assert_eq(count, 1);
		igt_assert_eq(raw[0].route, 0xa5a5a5a5);
		count = 1;
		igt_assert_eq(attachments_raw(fd, 1, 0, &count, raw), -EINVAL);
		count = 1;
		igt_assert_eq(attachments_raw(fd, 0, 0, &count, NULL), -EFAULT);
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, fd, NULL, 1, &count), -EINVAL);
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, -1, list, 1, &count), -EBADF);
		igt_assert_eq(drmPrimeHandleToFD(vrs_importer_fd(gpus.b), local,
						 O_CLOEXEC, &local_fd), 0);
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, local_fd, list, 1, &count), -EINVAL);
		close(local_fd);

		/* Closing the import detaches it, once the copy's job is retired */
		igt_assert_eq(vrs_bo_close(gpus.b, local), 0);
		igt_assert_eq(vrs_bo_close(gpus.b, handle), 0);
		igt_assert_eq(attachments_settled(fd, 0), 0);
		/* and importing again attaches it again */
		igt_assert_eq(vrs_import(gpus.b, fd, &theirs), 0);
		igt_assert_eq(vrs_dmabuf_attachments(gpus.a, fd, list, 4, &count), 0);
		igt_assert_eq(count, 1);
		igt_assert_eq(vrs_bo_close(gpus.b, theirs), 0);
		close(fd);
	}

	igt_describe("A static importer (vgem: no move_notify, no peer-to-peer) is refused");
	igt_subtest("import-static-refused") {
		struct vrs_range r = { SRC_OFFSET, LEN };
		uint32_t handle;
		int vgem, fd;

		vgem = vs_open_vgem(false);
		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC, &fd), 0);
		igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &handle), -1);
		igt_assert_eq(errno, EOPNOTSUPP);
		close(fd);
		close(vgem);
	}

	igt_describe("A dynamic importer that pins is refused where move_notify exists; without it, the dma-buf core pins and it is allowed");
	igt_subtest("import-pin-refused") {
		struct { int32_t fd; uint32_t flags; } attach = { 0 };
		bool no_move_notify = getenv("VRAMSHARE_KERNEL_NO_MOVE_NOTIFY");
		struct vrs_range r = { SRC_OFFSET, LEN };
		int ti, fd, ret;

		igt_require(vs_p2p_possible(&gpus));
		ti = open("/dev/vrs_test_importer", O_RDWR | O_CLOEXEC);
		igt_require_f(ti >= 0, "no test importer module: %s\n",
			      strerror(errno));
		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC, &fd), 0);
		attach.fd = fd;
		igt_assert_eq(ioctl(ti, _IOW('V', 0x40, typeof(attach)), &attach), 0);
		ret = ioctl(ti, _IO('V', 0x42)) ? -errno : 0;
		igt_assert_eq(ret, no_move_notify ? 0 : -EOPNOTSUPP);
		close(ti);
		close(fd);
	}

	igt_describe("The importer's debugfs shows imports, their mapping and the refused jobs");
	igt_subtest("importer-debugfs") {
		long long done0, refused0;
		char path[128], text[8192], want[160];
		uint32_t src, local;
		struct stat st;
		int fd;

		igt_require(vs_p2p_possible(&gpus));
		vs_importer_debugfs(&gpus, "drm_import", path, sizeof(path));
		src = vs_export_import(&gpus, SRC_OFFSET, LEN, &fd);
		igt_assert_eq(fstat(fd, &st), 0);
		igt_assert_eq(vrs_bo_create(gpus.b, LEN, &local), 0);
		done0 = vs_job_counter(&gpus, "completed");
		refused0 = vs_job_counter(&gpus, "refused");

		copy_ok(local, 0, src, 0, LEN);
		vs_read_text(path, text, sizeof(text));
		snprintf(want, sizeof(want),
			 "import dma-buf %lu exporter vfio_pci_dmabuf size %llu mapped invalidations 0 maps 1",
			 (unsigned long)st.st_ino, LEN);
		igt_assert_f(strstr(text, want), "no \"%s\" in:\n%s", want, text);

		igt_assert_eq(vrs_dmabuf_revoke(gpus.a, fd), 0);
		igt_assert_eq(vrs_copy(gpus.b, local, 0, src, 0, LEN), -ENODEV);
		vs_read_text(path, text, sizeof(text));
		snprintf(want, sizeof(want),
			 "import dma-buf %lu exporter vfio_pci_dmabuf size %llu unmapped invalidations 1 maps 1",
			 (unsigned long)st.st_ino, LEN);
		igt_assert_f(strstr(text, want), "no \"%s\" in:\n%s", want, text);
		igt_assert_eq(vs_job_counter(&gpus, "completed"), done0 + 1);
		igt_assert_eq(vs_job_counter(&gpus, "refused"), refused0 + 1);

		vrs_bo_close(gpus.b, local);
		vrs_bo_close(gpus.b, src);
		close(fd);
	}

	igt_describe("Local objects export as dma-bufs: the same device gets the object back, another driver can import it");
	igt_subtest("local-export-roundtrip") {
		struct vrs_importer *other;
		uint32_t local, again, theirs;
		uint8_t *map, *other_map;
		int fd, vgem;

		igt_assert_eq(vrs_bo_create(gpus.b, LEN, &local), 0);
		igt_assert_eq(vrs_bo_mmap(gpus.b, local, LEN, (void **)&map), 0);
		vs_fill(map, LEN, 51);
		igt_assert_eq(drmPrimeHandleToFD(vrs_importer_fd(gpus.b), local,
						 O_CLOEXEC | O_RDWR, &fd), 0);
		igt_assert_eq(vrs_import(gpus.b, fd, &again), 0);
		igt_assert_eq(again, local);

		/* Another file of the same device shares the object */
		igt_assert_eq(vrs_importer_open(gpus.b_node, &other), 0);
		igt_assert_eq(vrs_import(other, fd, &theirs), 0);
		igt_assert_eq(vrs_bo_mmap(other, theirs, LEN, (void **)&other_map), 0);
		igt_assert_eq(vs_check(other_map, LEN, 51), -1);
		igt_assert(!vs_bo_imported(other, theirs));
		munmap(other_map, LEN);
		vrs_importer_close(other);

		/* A static importer of another driver accepts system memory */
		vgem = vs_open_vgem(false);
		igt_assert_eq(drmPrimeFDToHandle(vgem, fd, &theirs), 0);
		close(vgem);

		munmap(map, LEN);
		close(fd);
		vrs_bo_close(gpus.b, local);
	}

	igt_describe("Malformed copy requests are refused before the engine runs");
	igt_subtest("copy-invalid") {
		struct drm_import_copy args;
		int fd = vrs_importer_fd(gpus.b);
		struct path p;

		path_open(&p);
		igt_assert_eq(vrs_copy(gpus.b, p.local, 0, 0xdead, 0, 1), -ENOENT);
		igt_assert_eq(vrs_copy(gpus.b, 0xdead, 0, p.src, 0, 1), -ENOENT);
		igt_assert_eq(vrs_copy(gpus.b, p.local, 0, p.src, 0, 0), -EINVAL);
		igt_assert_eq(vrs_copy(gpus.b, p.local, 0, p.src, 1, LEN), -EINVAL);
		igt_assert_eq(vrs_copy(gpus.b, p.local, LEN, p.src, 0, 1), -EINVAL);
		igt_assert_eq(vrs_copy(gpus.b, p.local, 0, p.src, ~0ull, 2),
			      -EINVAL);
		igt_assert_eq(vrs_copy(gpus.b, p.local, 1, p.src, 0, ~0ull),
			      -EINVAL);

		memset(&args, 0, sizeof(args));
		args.src_handle = p.src;
		args.dst_handle = p.local;
		args.size = 1;
		args.flags = 1;
		igt_assert_eq(drmIoctl(fd, DRM_IOCTL_IMPORT_COPY, &args), -1);
		igt_assert_eq(errno, EINVAL);
		args.flags = 0;
		args.pad = 1;
		igt_assert_eq(drmIoctl(fd, DRM_IOCTL_IMPORT_COPY, &args), -1);
		igt_assert_eq(errno, EINVAL);
		/* Nothing was mapped for the refused requests */
		igt_assert_eq(info_of(p.src).maps, 0);
		path_close(&p);
	}

	igt_describe("Closing GPU A's vfio device revokes its dma-bufs for good");
	igt_subtest("close-revokes") {
		struct vrs_bo_info info;
		struct path p;

		igt_require(vs_p2p_possible(&gpus));
		path_open(&p);
		round_trip(&p, 31);
		vs_close_exporter(&gpus);

		info = info_of(p.src);
		igt_assert(!info.mapped);
		igt_assert_eq(info.invalidations, 1);
		igt_assert_eq(vrs_copy(gpus.b, p.local, 0, p.src, 0, LEN),
			      -ENODEV);
		path_close(&p);
		vs_open_exporter(&gpus);
	}

	igt_describe("An NVMe controller memory buffer is a second exporter: copies both ways, and its FLR revokes and restores");
	igt_subtest("nvme-cmb-p2p-copy") {
		struct vs_gpus nvme = { 0 };
		struct vrs_bo_info before, after;
		uint32_t cmb_src, cmb_dst, local;
		uint8_t *local_map;
		int ret;

		igt_require(vs_find_by_class(0x0108, nvme.a_address,
					     sizeof(nvme.a_address)) == 0);
		ret = vrs_device_open(nvme.a_address, &nvme.a);
		igt_assert_f(ret == 0, "open %s: %s\n", nvme.a_address,
			     strerror(-ret));
		nvme.b = gpus.b;
		memcpy(nvme.b_node, gpus.b_node, sizeof(nvme.b_node));
		ret = vrs_device_map_bar(nvme.a, NVME_CMB_BAR, (void **)&nvme.vram,
					 &nvme.vram_size);
		igt_assert_f(ret == 0, "map the CMB: %s\n", strerror(-ret));
		igt_assert(nvme.vram_size >= 4 * LEN);
		igt_require(vs_share_switch(&nvme));

		cmb_src = vs_export_import_bar(&nvme, NVME_CMB_BAR, 0, LEN);
		cmb_dst = vs_export_import_bar(&nvme, NVME_CMB_BAR, 2 * LEN, LEN);
		igt_assert_eq(vrs_bo_create(gpus.b, LEN, &local), 0);
		igt_assert_eq(vrs_bo_mmap(gpus.b, local, LEN, (void **)&local_map), 0);

		vs_fill(nvme.vram, LEN, 41);
		vs_set(nvme.vram + 2 * LEN, 0, LEN);
		copy_ok(local, 0, cmb_src, 0, LEN);
		igt_assert_eq(vs_check(local_map, LEN, 41), -1);
		copy_ok(cmb_dst, 0, local, 0, LEN);
		igt_assert_eq(vs_check(nvme.vram + 2 * LEN, LEN, 41), -1);

		before = info_of(cmb_src);
		igt_assert_eq(vrs_device_reset(nvme.a), 0);
		after = info_of(cmb_src);
		igt_assert_eq(after.invalidations, before.invalidations + 2);
		igt_assert_eq(after.maps, before.maps + 1);
		vs_fill(nvme.vram, LEN, 42);
		copy_ok(local, 0, cmb_src, 0, LEN);
		igt_assert_eq(vs_check(local_map, LEN, 42), -1);

		munmap(local_map, LEN);
		vrs_bo_close(gpus.b, local);
		vrs_bo_close(gpus.b, cmb_src);
		vrs_bo_close(gpus.b, cmb_dst);
		vrs_device_unmap_bar(nvme.a, nvme.vram, nvme.vram_size);
		vrs_device_close(nvme.a);
	}

	igt_describe("Without a peer-to-peer path from GPU B to GPU A the import is refused");
	igt_subtest("import-refused-unreachable") {
		struct vrs_range r = { SRC_OFFSET, LEN };
		uint64_t mark = vs_kmsg_mark();
		uint32_t handle;
		int fd;

		igt_require(!vs_p2p_possible(&gpus));
		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC, &fd), 0);
		igt_assert_eq(vrs_import(gpus.b, fd, &handle), -EOPNOTSUPP);
		close(fd);
		/* One log line says why and what to change */
		igt_assert(vs_kmsg_contains(mark, "refusing importer",
					    getenv("VRAMSHARE_EXPECT_REFUSAL") ?:
					    "whitelisted for P2P"));
	}

	igt_describe("Any dma-buf holder can trigger the refusal: its log line is rate limited");
	igt_subtest("import-refused-unreachable-ratelimited") {
		struct vrs_range r = { SRC_OFFSET, LEN };
		uint64_t mark;
		uint32_t handle;
		int fd, i;

		igt_require(!vs_p2p_possible(&gpus));
		/* A fresh rate-limit window: earlier subtests refused too */
		usleep(5100 * 1000);
		mark = vs_kmsg_mark();
		igt_assert_eq(vrs_export(gpus.a, gpus.vram_bar, &r, 1, O_CLOEXEC, &fd), 0);
		for (i = 0; i < 100; i++)
			igt_assert_eq(vrs_import(gpus.b, fd, &handle),
				      -EOPNOTSUPP);
		close(fd);
		/* printk's default burst is 10 lines in 5 s */
		i = vs_kmsg_count(mark, "refusing importer", "");
		igt_assert_f(i >= 1 && i <= 10, "%d refusal lines\n", i);
	}

	igt_fixture
		vs_close(&gpus);
}
