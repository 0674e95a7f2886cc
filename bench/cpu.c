// SPDX-License-Identifier: MIT
/*
 * vramshare-bench cpu: read and write bandwidth through a CPU mapping of a
 * dma-buf of GPU A's VRAM, uncached and write-combined, against the same
 * bytes of the BAR mapped through the vfio region (uncached, as vfio maps
 * BARs). The dma-buf mappings come first: vfio keeps an uncached kernel
 * mapping of a BAR it has mapped once, and x86 PAT then gives a
 * write-combined request the uncached type too (see docs/exporter.md).
 *
 * The three are measured in turn, in each of several passes (the device
 * opened anew for each), so that the emulator's drift from one moment to
 * the next falls on all three alike; each pass faults every page in
 * before it times a read and a write of the buffer. The figures are the
 * medians of each pass's ratios of a dma-buf mapping to the vfio region.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "vramshare.h"

enum { DMABUF_UC, DMABUF_WC, VFIO, MAPPINGS };
static const char *const mapping_names[MAPPINGS] = {
	"dmabuf-uc", "dmabuf-wc", "vfio-region",
};

/* MB/s of @passes reads and writes of @size bytes at @map. */
static void bandwidth(uint8_t *map, uint8_t *sys, uint64_t size,
		      unsigned int passes, struct bench_samples *rd,
		      struct bench_samples *wr)
{
	unsigned int i;
	double t;

	memcpy(sys, map, size);		/* fault every page in */
	for (i = 0; i < passes; i++) {
		t = bench_now();
		memcpy(sys, map, size);
		bench_samples_add(rd, size / (bench_now() - t) / 1e6);
		t = bench_now();
		memcpy(map, sys, size);
		bench_samples_add(wr, size / (bench_now() - t) / 1e6);
	}
	if (memcmp(sys, map, size))
		bench_die("cpu: VRAM does not read back what was written", -EIO);
}

static uint8_t *map_dmabuf(struct vrs_device *a, const struct bench_opts *o,
			   uint64_t size, int wc, int *fd)
{
	struct vrs_range range = { 0, size };
	void *p;
	int ret;

	if ((ret = vrs_export(a, o->bar, &range, 1, O_RDWR, fd)))
		bench_die("export", ret);
	if (wc && (ret = vrs_dmabuf_set_write_combine(a, *fd, 1)))
		bench_die("write-combine", ret);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED)
		bench_die("mmap of the dma-buf", -errno);
	return p;
}

/* One pass: each mapping made, measured once and undone, in turn. */
static void one_pass(const struct bench_opts *o, uint8_t *sys, uint64_t size,
		     struct bench_samples *rd, struct bench_samples *wr)
{
	struct vrs_device *a;
	uint64_t bar_size;
	unsigned int k;
	uint8_t *map;
	int ret, fd;

	/* A fresh open: vfio's BAR mapping from the last pass is gone. */
	if ((ret = vrs_device_open(o->exporter, &a)))
		bench_die(o->exporter, ret);
	for (k = 0; k < MAPPINGS; k++) {
		if (k == VFIO) {
			if ((ret = vrs_device_map_bar(a, o->bar, (void **)&map, &bar_size)))
				bench_die("mmap of the BAR", ret);
			bandwidth(map, sys, size, 1, &rd[k], &wr[k]);
			vrs_device_unmap_bar(a, map, bar_size);
		} else {
			map = map_dmabuf(a, o, size, k == DMABUF_WC, &fd);
			bandwidth(map, sys, size, 1, &rd[k], &wr[k]);
			munmap(map, size);
			close(fd);
		}
	}
	vrs_device_close(a);
}

int bench_cpu(const struct bench_opts *o)
{
	uint64_t size = o->quick ? (1ull << 20) : (16ull << 20);
	struct bench_samples rd[MAPPINGS] = { 0 }, wr[MAPPINGS] = { 0 };
	struct bench_samples ratios[MAPPINGS][2] = { { { 0 } } };
	unsigned int passes = o->quick ? 2 : 15, k, p;
	uint8_t *sys = bench_calloc(1, size);
	struct bench_report r;
	json_object *res;
	char figure[64];
	double ratio;

	bench_report_init(&r, "cpu", o);
	memset(sys, 0xa5, size);
	for (p = 0; p < passes; p++)
		one_pass(o, sys, size, rd, wr);
	/* Each pass's ratios, before the sample sets are sorted. */
	for (k = DMABUF_UC; k <= DMABUF_WC; k++) {
		for (p = 0; p < passes; p++) {
			bench_samples_add(&ratios[k][0], rd[k].v[p] / rd[VFIO].v[p]);
			bench_samples_add(&ratios[k][1], wr[k].v[p] / wr[VFIO].v[p]);
		}
	}
	for (k = 0; k < MAPPINGS; k++) {
		res = bench_report_samples(&r, "read", "MB/s", &rd[k]);
		json_object_object_add(res, "mapping",
				       json_object_new_string(mapping_names[k]));
		bench_param(res, "size", (int64_t)size);
		res = bench_report_samples(&r, "write", "MB/s", &wr[k]);
		json_object_object_add(res, "mapping",
				       json_object_new_string(mapping_names[k]));
		bench_param(res, "size", (int64_t)size);
		printf("cpu: %-12s read %10.1f MB/s  write %10.1f MB/s\n",
		       mapping_names[k], bench_samples_pct(&rd[k], 50),
		       bench_samples_pct(&wr[k], 50));
	}
	for (k = DMABUF_UC; k <= DMABUF_WC; k++) {
		for (p = 0; p < 2; p++) {
			ratio = bench_samples_pct(&ratios[k][p], 50);
			snprintf(figure, sizeof(figure), "cpu: %s %s / vfio region",
				 mapping_names[k], p ? "write" : "read");
			bench_report_figure(&r, figure, ratio, "x", ">= 0.95",
					    ratio >= 0.95);
			bench_samples_free(&ratios[k][p]);
		}
	}
	bench_report_write(&r, o->out);
	for (k = 0; k < MAPPINGS; k++) {
		bench_samples_free(&rd[k]);
		bench_samples_free(&wr[k]);
	}
	free(sys);
	return 0;
}
