// SPDX-License-Identifier: MIT
/*
 * vramshare-bench share / bounce: making N bytes of GPU A's VRAM usable by
 * GPU B.
 *
 * bounce (a pass without the broker, which owns GPU A when it runs): what
 * a user has without this stack. A buffer of GPU B is made (a local object
 * of drm-import, mapped by the CPU) and the N bytes are read into it from
 * the BAR through the vfio region, by memcpy from its mmap ("bounce-mmap")
 * or by pread ("bounce-pread"); or they are copied into a buffer of GPU B
 * made, mapped and touched beforehand, a staging buffer kept for the
 * purpose ("bounce-staged": the copy alone, the bounce at its cheapest).
 *
 * share (through the broker): a buffer is allocated from the broker,
 * imported into GPU B with PRIME, and an importer's attachment is mapped
 * (the test importer's attach, which maps at once: drm-import maps at its
 * first job, which in the rig costs an engine transfer). No byte moves.
 * The broker hands out only cleared VRAM and clears free VRAM ahead while
 * idle: "share" waits until it has, "share-after-free" allocates right
 * after the previous buffer's free, so the broker clears the range then
 * (up to 256 KiB of it may have been cleared ahead between the free's
 * reply and the allocation, which is what an idle broker does).
 *
 * Sizes 4 KiB to 64 MiB by factors of 4; the share's figures are ratios
 * against the bounce's of the same run (--against the bounce's file).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "bench.h"
#include "vramshare.h"

#define MIN_SIZE	(4ull << 10)
#define MAX_SIZE	(64ull << 20)

/* The sizes to run: all, or 4 KiB and 1 MiB in short mode. */
static bool size_wanted(const struct bench_opts *o, uint64_t size)
{
	return !o->quick || size == MIN_SIZE || size == (1ull << 20);
}

static unsigned int reps(const struct bench_opts *o, uint64_t size)
{
	if (o->quick)
		return 3;
	return size >= (16ull << 20) ? 5 : 15;
}

static void size_name(char *buf, size_t len, uint64_t size)
{
	if (size >= (1ull << 20))
		snprintf(buf, len, "%llu MiB", (unsigned long long)(size >> 20));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)(size >> 10));
}

enum bounce_mode { BOUNCE_MMAP, BOUNCE_PREAD, BOUNCE_STAGED, BOUNCE_MODES };
static const char *const bounce_names[BOUNCE_MODES] = {
	"bounce-mmap", "bounce-pread", "bounce-staged",
};

/* A buffer of GPU B of @size bytes, mapped; *handle gets it. */
static void *gpu_b_buffer(struct vrs_importer *b, uint64_t size,
			  uint32_t *handle)
{
	void *p;
	int ret;

	if ((ret = vrs_bo_create(b, size, handle)) ||
	    (ret = vrs_bo_mmap(b, *handle, size, &p)))
		bench_die("local object", ret);
	return p;
}

/*
 * One bounce of @size bytes at the start of the BAR; seconds. @staged is
 * the staging buffer of BOUNCE_STAGED, already touched.
 */
static double bounce_once(struct vrs_device *a, struct vrs_importer *b,
			  const struct bench_opts *o, const uint8_t *bar,
			  uint64_t size, enum bounce_mode mode, void *staged)
{
	uint32_t handle = 0;
	void *dst = staged;
	double t;
	int ret = 0;

	t = bench_now();
	if (mode != BOUNCE_STAGED)
		dst = gpu_b_buffer(b, size, &handle);
	if (mode == BOUNCE_PREAD)
		ret = vrs_device_bar_read(a, o->bar, 0, dst, size);
	else
		memcpy(dst, bar, size);
	t = bench_now() - t;
	if (ret)
		bench_die("pread of the BAR", ret);
	if (memcmp(dst, bar, size))
		bench_die("bounce: the copy differs from the BAR", -EIO);
	if (mode != BOUNCE_STAGED) {
		munmap(dst, size);
		vrs_bo_close(b, handle);
	} else {
		memset(dst, 0, size);	/* no byte may come from the last copy */
	}
	return t;
}

int bench_bounce(const struct bench_opts *o)
{
	struct bench_samples s[BOUNCE_MODES] = { 0 };
	struct bench_report r;
	struct vrs_device *a;
	struct vrs_importer *b;
	uint64_t size, bar_size, last = 0;
	char name[32], figure[64];
	double staged_s = NAN;
	uint32_t staged_handle;
	unsigned int i, k;
	uint8_t *bar, *staged;
	int ret;

	if ((ret = vrs_device_open(o->exporter, &a)))
		bench_die(o->exporter, ret);
	if ((ret = vrs_importer_open(o->importer, &b)))
		bench_die(o->importer, ret);
	if ((ret = vrs_device_map_bar(a, o->bar, (void **)&bar, &bar_size)))
		bench_die("mmap of the BAR", ret);
	if (bar_size < MAX_SIZE)
		bench_die("the VRAM BAR is smaller than 64 MiB", -ENOSPC);
	for (size = 0; size < MAX_SIZE; size += 8)	/* a pattern to check */
		*(volatile uint64_t *)(bar + size) = size * 0x9e3779b97f4a7c15ull;

	bench_report_init(&r, "bounce", o);
	printf("bounce: N bytes of VRAM into a buffer of GPU B through the vfio region\n");
	for (size = MIN_SIZE; size <= MAX_SIZE; size *= 4) {
		if (!size_wanted(o, size))
			continue;
		staged = gpu_b_buffer(b, size, &staged_handle);
		memset(staged, 0, size);	/* every page in */
		for (k = 0; k < BOUNCE_MODES; k++) {
			for (i = 0; i < reps(o, size); i++)
				bench_samples_add(&s[k], 1e6 * bounce_once(a, b, o, bar, size,
									   k, staged));
			bench_param(bench_report_samples(&r, bounce_names[k], "us", &s[k]),
				    "size", (int64_t)size);
			printf("  %-14s %10llu bytes  P50 %12.1f us\n", bounce_names[k],
			       (unsigned long long)size, bench_samples_pct(&s[k], 50));
			if (k == BOUNCE_STAGED) {
				staged_s = bench_samples_pct(&s[k], 50) / 1e6;
				last = size;
			}
			bench_samples_reset(&s[k]);
		}
		munmap(staged, size);
		vrs_bo_close(b, staged_handle);
	}
	size_name(name, sizeof(name), last);
	snprintf(figure, sizeof(figure), "bounce: staged copy rate, %s", name);
	bench_report_figure(&r, figure, last / 1e6 / staged_s, "MB/s", NULL, -1);
	bench_report_write(&r, o->out);
	for (k = 0; k < BOUNCE_MODES; k++)
		bench_samples_free(&s[k]);
	vrs_device_unmap_bar(a, bar, bar_size);
	vrs_importer_close(b);
	vrs_device_close(a);
	return 0;
}

/* One share of @size bytes; seconds. */
static double share_once(struct vrs_broker *broker, struct vrs_importer *b,
			 uint64_t size)
{
	struct bench_ti_attach attach = { 0 };
	struct vrs_bo_info info = { .struct_size = sizeof(info) };
	struct vrs_buffer *buf;
	uint32_t handle;
	int ti, ret;
	double t;

	/* The importer's own file: its setup, not the share's. */
	ti = open(BENCH_TI_PATH, O_RDWR | O_CLOEXEC);
	if (ti < 0)
		bench_die(BENCH_TI_PATH, -errno);
	t = bench_now();
	if ((ret = vrs_broker_alloc(broker, NULL, size, 0, 0, &buf)))
		bench_die("broker allocation", ret);
	if ((ret = vrs_buffer_prime_import(buf, vrs_importer_fd(b), &handle)))
		bench_die("PRIME import", ret);
	attach.dmabuf_fd = vrs_buffer_fd(buf);
	if (ioctl(ti, BENCH_TI_ATTACH, &attach))
		bench_die("attach and map", -errno);
	t = bench_now() - t;

	if ((ret = vrs_bo_info(b, handle, &info)))
		bench_die("bo info", ret);
	if (!info.imported || info.size != size)
		bench_die("share: GPU B's object is not the buffer", -EIO);
	close(ti);
	vrs_bo_close(b, handle);
	if ((ret = vrs_broker_free(broker, buf)))
		bench_die("broker free", ret);
	return t;
}

int bench_share(const struct bench_opts *o)
{
	json_object *bounce = bench_load_result(o->against, "bounce"), *res;
	double first = NAN, last = NAN, best = NAN;
	struct bench_samples s = { 0 }, after_free = { 0 };
	double last_after_free = NAN;
	struct vrs_broker *broker;
	struct vrs_importer *b;
	struct bench_report r;
	char name[96], sz[32];
	uint64_t size, last_size = 0;
	unsigned int i;
	size_t k;
	int ret;

	if ((ret = vrs_broker_connect(NULL, 0, &broker)))
		bench_die("connect to vramshared", ret);
	if ((ret = vrs_importer_open(o->importer, &b)))
		bench_die(o->importer, ret);
	bench_report_init(&r, "share", o);
	/* The bounce's results go along, for the plot. */
	json_object_object_get_ex(bounce, "results", &res);
	for (k = 0; k < json_object_array_length(res); k++)
		json_object_array_add(r.results,
				      json_object_get(json_object_array_get_idx(res, k)));

	printf("share: N bytes of VRAM from the broker, imported and mapped by GPU B\n");
	bench_wait_cleared(broker);	/* the BAR it cleared since it started */
	for (size = MIN_SIZE; size <= MAX_SIZE; size *= 4) {
		if (!size_wanted(o, size))
			continue;
		share_once(broker, b, size);	/* warm-up */
		for (i = 0; i < reps(o, size); i++)
			bench_samples_add(&after_free, 1e6 * share_once(broker, b, size));
		for (i = 0; i < reps(o, size); i++) {
			bench_wait_cleared(broker);
			bench_samples_add(&s, 1e6 * share_once(broker, b, size));
		}
		bench_param(bench_report_samples(&r, "share", "us", &s), "size",
			    (int64_t)size);
		bench_param(bench_report_samples(&r, "share-after-free", "us",
						 &after_free), "size", (int64_t)size);
		best = INFINITY;
		for (k = 0; k < BOUNCE_MODES; k++)
			best = fmin(best, bench_result(bounce, bounce_names[k], "size",
						       (int64_t)size, NULL, 0, "p50"));
		printf("  %-14s %10llu bytes  P50 %12.1f us  bounce/share %8.1fx  after a free %12.1f us\n",
		       "share", (unsigned long long)size, bench_samples_pct(&s, 50),
		       best / bench_samples_pct(&s, 50),
		       bench_samples_pct(&after_free, 50));
		if (isnan(first))
			first = bench_samples_pct(&s, 50);
		last = bench_samples_pct(&s, 50);
		last_size = size;
		last_after_free = bench_samples_pct(&after_free, 50);
		bench_samples_reset(&s);
		bench_samples_reset(&after_free);
	}
	size_name(sz, sizeof(sz), last_size);
	snprintf(name, sizeof(name), "share: fastest bounce / share, %s", sz);
	bench_report_figure(&r, name, best / last, "x",
			    o->quick ? NULL : ">= 100", o->quick ? -1 : best / last >= 100);
	snprintf(name, sizeof(name), "share after a free: fastest bounce / it, %s", sz);
	bench_report_figure(&r, name, best / last_after_free, "x", NULL, -1);
	snprintf(name, sizeof(name), "share: time at %s / at 4 KiB", sz);
	bench_report_figure(&r, name, last / first, "x", "<= 2 (flat)",
			    last / first <= 2);
	bench_report_write(&r, o->out);
	json_object_put(bounce);
	bench_samples_free(&s);
	bench_samples_free(&after_free);
	vrs_importer_close(b);
	vrs_broker_close(broker);
	return 0;
}
