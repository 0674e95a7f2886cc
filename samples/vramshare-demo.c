// SPDX-License-Identifier: MIT
/*
 * vramshare-demo: the whole path, one line per stage.
 *
 * GPU A's VRAM (a device bound to vfio-pci-dmabuf) is exported as
 * dma-bufs, imported on GPU B (drm-import), copied peer-to-peer by GPU B's
 * engine into local memory and back into another VRAM range; GPU A is
 * reset, GPU B's mapping is revoked and restored, the copy is repeated,
 * and every byte is verified.
 *
 * Usage: vramshare-demo [-b BAR] [EXPORTER-PCI-ADDRESS [IMPORTER-NODE]]
 *
 * BAR is GPU A's VRAM BAR: -b, else $VRAMSHARE_VRAM_BAR, else 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vramshare.h"

#define LEN		(16 * 1024ull)
#define SRC_OFFSET	(1ull << 20)
#define DST_OFFSET	(2ull << 20)

struct demo {
	struct vrs_device *a;
	struct vrs_importer *b;
	char a_address[32];
	char b_node[64];
	unsigned int bar;
	volatile uint8_t *vram;
	uint64_t vram_size;
	uint32_t src, dst, local;
	uint8_t *local_map;
	uint64_t verified;
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void stage(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	printf("[%7.3f s] ", now() - d->t0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void fail(const char *what, int err)
{
	printf("FAIL: %s: %s\n", what, strerror(-err));
	exit(1);
}

static void check(int err, const char *what)
{
	if (err < 0)
		fail(what, err);
}

static uint8_t pattern(uint64_t i, uint32_t seed)
{
	return (uint8_t)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

static void verify(struct demo *d, const volatile uint8_t *p, uint32_t seed,
		   const char *where)
{
	for (uint64_t i = 0; i < LEN; i++) {
		if (p[i] != pattern(i, seed)) {
			printf("FAIL: %s byte %llu is 0x%02x, expected 0x%02x\n",
			       where, (unsigned long long)i, p[i],
			       pattern(i, seed));
			exit(1);
		}
	}
	d->verified += LEN;
}

static uint32_t export_import(struct demo *d, uint64_t offset)
{
	struct vrs_range range = { offset, LEN };
	uint32_t handle;
	int fd, err;

	check(vrs_export(d->a, d->bar, &range, 1, O_CLOEXEC | O_RDWR, &fd),
	      "export");
	err = vrs_import(d->b, fd, &handle);
	if (err == -EOPNOTSUPP)
		printf("GPU B has no peer-to-peer path to GPU A; the exporter's kernel log line (dmesg: \"refusing importer\") says why\n");
	check(err, "import on GPU B");
	close(fd);
	return handle;
}

static double timed_copy(struct demo *d, uint32_t dst, uint32_t src)
{
	double t = now();

	check(vrs_copy(d->b, dst, 0, src, 0, LEN), "copy on GPU B's engine");
	return now() - t;
}

/* VRAM src -> local -> VRAM dst, verified at each step. */
static void round_trip(struct demo *d, uint32_t seed, const char *label)
{
	double t_in, t_out;

	for (uint64_t i = 0; i < LEN; i++)
		d->vram[SRC_OFFSET + i] = pattern(i, seed);
	memset(d->local_map, 0, LEN);
	for (uint64_t i = 0; i < LEN; i++)
		d->vram[DST_OFFSET + i] = 0;

	t_in = timed_copy(d, d->local, d->src);
	verify(d, d->local_map, seed, "local buffer");
	stage(d, "%s: GPU B engine read  %llu KiB of GPU A VRAM peer-to-peer (%.3f s), verified",
	      label, LEN / 1024, t_in);
	t_out = timed_copy(d, d->dst, d->local);
	verify(d, d->vram + DST_OFFSET, seed, "VRAM destination");
	stage(d, "%s: GPU B engine wrote %llu KiB into GPU A VRAM peer-to-peer (%.3f s), verified",
	      label, LEN / 1024, t_out);
}

static void open_devices(struct demo *d, int argc, char **argv)
{
	if (argc > 0)
		snprintf(d->a_address, sizeof(d->a_address), "%s", argv[0]);
	else
		check(vrs_find_exporter(d->a_address, sizeof(d->a_address)),
		      "find a device bound to vfio-pci-dmabuf");
	if (argc > 1)
		snprintf(d->b_node, sizeof(d->b_node), "%s", argv[1]);
	else
		check(vrs_find_importer(d->b_node, sizeof(d->b_node)),
		      "find a drm-import render node");

	check(vrs_device_open(d->a_address, &d->a), "open GPU A through vfio");
	check(vrs_device_map_bar(d->a, d->bar, (void **)&d->vram,
				 &d->vram_size), "map GPU A's VRAM BAR");
	stage(d, "GPU A %s: VRAM BAR%u %llu MiB, opened through vfio-pci-dmabuf",
	      d->a_address, d->bar, (unsigned long long)(d->vram_size >> 20));
	if (vrs_export_supported(d->a) != 1)
		fail("GPU A's driver has no VFIO_DEVICE_FEATURE_DMA_BUF", -ENOTSUP);

	check(vrs_importer_open(d->b_node, &d->b), "open GPU B");
	stage(d, "GPU B %s: drm-import render node opened", d->b_node);
}

int main(int argc, char **argv)
{
	struct vrs_bo_info before = { .struct_size = sizeof(before) };
	struct vrs_bo_info after = { .struct_size = sizeof(after) };
	struct demo d = { .t0 = now() };
	const char *bar = getenv("VRAMSHARE_VRAM_BAR");
	int opt;

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		if (opt != 'b') {
			fprintf(stderr, "usage: vramshare-demo [-b BAR] [EXPORTER [IMPORTER-NODE]]\n");
			return 2;
		}
		bar = optarg;
	}
	d.bar = bar ? strtoul(bar, NULL, 10) : 0;
	if (d.bar > 5)
		fail("the VRAM BAR is 0 to 5", -EINVAL);
	open_devices(&d, argc - optind, argv + optind);

	d.src = export_import(&d, SRC_OFFSET);
	d.dst = export_import(&d, DST_OFFSET);
	check(vrs_bo_create(d.b, LEN, &d.local), "create GPU B local buffer");
	check(vrs_bo_mmap(d.b, d.local, LEN, (void **)&d.local_map),
	      "map GPU B local buffer");
	stage(&d, "exported VRAM [%#llx, +%llu KiB) and [%#llx, +%llu KiB) as dma-bufs, imported on GPU B",
	      SRC_OFFSET, LEN / 1024, DST_OFFSET, LEN / 1024);

	round_trip(&d, 1, "copy 1");
	check(vrs_bo_info(d.b, d.src, &before), "query GPU B mapping");

	{
		double t = now();

		check(vrs_device_reset(d.a), "reset GPU A");
		stage(&d, "GPU A reset (VFIO_DEVICE_RESET, %.3f s)", now() - t);
	}
	check(vrs_bo_info(d.b, d.src, &after), "query GPU B mapping");
	if (after.invalidations != before.invalidations + 2 || !after.mapped) {
		printf("FAIL: GPU B saw %llu invalidations (expected 2) and is %s\n",
		       (unsigned long long)(after.invalidations - before.invalidations),
		       after.mapped ? "mapped" : "not mapped again");
		return 1;
	}
	stage(&d, "GPU B mapping revoked before the reset, restored and mapped again right after it (2 move_notify)");

	round_trip(&d, 2, "copy 2");
	check(vrs_bo_info(d.b, d.src, &after), "query GPU B mapping");
	stage(&d, "the copies after the reset needed no mapping of their own (%llu mappings in all)",
	      (unsigned long long)after.maps);

	munmap(d.local_map, LEN);
	vrs_bo_close(d.b, d.local);
	vrs_bo_close(d.b, d.src);
	vrs_bo_close(d.b, d.dst);
	vrs_importer_close(d.b);
	vrs_device_unmap_bar(d.a, (void *)d.vram, d.vram_size);
	vrs_device_close(d.a);
	printf("PASS: %llu bytes verified across 2 peer-to-peer round trips and a reset of GPU A\n",
	       (unsigned long long)d.verified);
	return 0;
}
