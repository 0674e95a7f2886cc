// SPDX-License-Identifier: MIT
/*
 * vramshare-bench jobs: what peer-to-peer jobs and revocation cost, as
 * ratios against a baseline measured in the same run (absolute times mean
 * little on an emulated engine).
 *
 *   baseline      local -> local copies on GPU B's engine
 *   p2p-read      GPU A's VRAM -> local (peer-to-peer)
 *   p2p-write     local -> GPU A's VRAM (peer-to-peer)
 *   fill          fills of local memory
 *   queued        the baseline's jobs submitted at once, then waited for
 *   after-reset   the first copy from VRAM after a reset of GPU A
 *                 (drm-import maps imports again at the restore)
 *   first-use     the first copy from a fresh import (maps on use)
 *
 * and, against their own baselines:
 *   submit        one vrs_submit() call, against a trivial ioctl
 *                 (vrs_bo_info)
 *   reset-busy    a reset of GPU A while jobs are queued on its memory
 *                 (they are canceled), against a reset with none
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "vramshare.h"

#define VRAM_OFFSET	(4ull << 20)

struct bench {
	struct vrs_device *a;
	struct vrs_importer *b;
	uint32_t vram, local, scratch;
	int dmabuf;
	uint64_t size;
	unsigned int jobs;
	unsigned int bar;
};


static void run(struct bench *b, struct vrs_job job)
{
	int fence, ret;

	ret = vrs_submit(b->b, &job, &fence);
	if (ret)
		bench_die("submit", ret);
	ret = vrs_fence_wait(fence, -1);
	close(fence);
	if (ret)
		bench_die("job", ret);
}

static struct vrs_job copy(uint32_t dst, uint32_t src, uint64_t size)
{
	struct vrs_job job = {
		.struct_size = sizeof(job), .op = VRS_JOB_COPY,
		.dst = dst, .src = src, .size = size,
	};
	return job;
}

/* Seconds per job, @jobs jobs run one after the other. */
static double serial(struct bench *b, struct vrs_job job)
{
	double t = bench_now();
	unsigned int i;

	for (i = 0; i < b->jobs; i++)
		run(b, job);
	return (bench_now() - t) / b->jobs;
}

/*
 * Submits @jobs jobs at once; *submit gets the seconds per vrs_submit().
 * Waits for them; returns how many failed with -ECANCELED.
 */
static unsigned int submit_all(struct bench *b, struct vrs_job job,
			       double *submit, void (*meanwhile)(struct bench *))
{
	int *fences = calloc(b->jobs, sizeof(*fences));
	unsigned int i, canceled = 0;
	double t;
	int ret;

	if (!fences)
		bench_die("calloc", -ENOMEM);
	t = bench_now();
	for (i = 0; i < b->jobs; i++) {
		ret = vrs_submit(b->b, &job, &fences[i]);
		if (ret)
			bench_die("submit", ret);
	}
	*submit = (bench_now() - t) / b->jobs;
	if (meanwhile)
		meanwhile(b);
	for (i = 0; i < b->jobs; i++) {
		ret = vrs_fence_wait(fences[i], -1);
		if (ret && ret != -ECANCELED)
			bench_die("job", ret);
		canceled += ret == -ECANCELED;
		close(fences[i]);
	}
	free(fences);
	return canceled;
}

/* Seconds per job, @jobs jobs submitted at once and waited for together. */
static double queued(struct bench *b, struct vrs_job job, double *submit)
{
	double t = bench_now();

	submit_all(b, job, submit, NULL);
	return (bench_now() - t) / b->jobs;
}

/* Seconds per trivial ioctl. */
static double trivial_ioctl(struct bench *b)
{
	struct vrs_bo_info info = { .struct_size = sizeof(info) };
	double t = bench_now();
	unsigned int i;

	for (i = 0; i < 100 * b->jobs; i++)
		vrs_bo_info(b->b, b->local, &info);
	return (bench_now() - t) / (100 * b->jobs);
}

static double reset_secs;

static void timed_reset(struct bench *b)
{
	double t = bench_now();
	int ret = vrs_device_reset(b->a);

	if (ret)
		bench_die("reset", ret);
	reset_secs = bench_now() - t;
}

static void print(struct bench_report *r, const char *name, double secs,
		  double base, uint64_t size)
{
	bench_report_value(r, name, "x baseline", secs / base);
	printf("%-12s %10.1f ms/job %10.1f KiB/s %8.2fx baseline\n", name,
	       secs * 1e3, size / secs / 1024, secs / base);
}

static void print_vs(struct bench_report *r, const char *name, double secs,
		     const char *base_name, double base)
{
	char figure[96];

	bench_report_value(r, name, "us", secs * 1e6);
	bench_report_value(r, base_name, "us", base * 1e6);
	snprintf(figure, sizeof(figure), "jobs: %s / %s", name, base_name);
	bench_report_figure(r, figure, secs / base, "x", NULL, -1);
	printf("%-12s %10.1f us %8.2fx %s (%.1f us)\n", name, secs * 1e6,
	       secs / base, base_name, base * 1e6);
}

static void open_devices(struct bench *b, const char *a, const char *node)
{
	struct vrs_range range = { VRAM_OFFSET, 0 };
	int ret;

	if ((ret = vrs_device_open(a, &b->a)))
		bench_die(a, ret);
	if ((ret = vrs_importer_open(node, &b->b)))
		bench_die(node, ret);

	range.length = (b->size + 4095) & ~4095ull;
	if ((ret = vrs_export(b->a, b->bar, &range, 1, O_RDWR, &b->dmabuf)))
		bench_die("export", ret);
	if ((ret = vrs_import(b->b, b->dmabuf, &b->vram)))
		bench_die("import", ret);
	if ((ret = vrs_bo_create(b->b, b->size, &b->local)) ||
	    (ret = vrs_bo_create(b->b, b->size, &b->scratch)))
		bench_die("local object", ret);
	printf("exporter %s, importer %s, %u jobs of %llu bytes\n", a, node,
	       b->jobs, (unsigned long long)b->size);
}

/* The first copy from a dma-buf imported just now: it is mapped on use. */
static double first_use(struct bench *b)
{
	struct vrs_range range = { VRAM_OFFSET, (b->size + 4095) & ~4095ull };
	double t, sum = 0;
	unsigned int i;
	uint32_t fresh;
	int fd, ret;

	for (i = 0; i < b->jobs; i++) {
		if ((ret = vrs_export(b->a, b->bar, &range, 1, 0, &fd)) ||
		    (ret = vrs_import(b->b, fd, &fresh)))
			bench_die("export", ret);
		t = bench_now();
		run(b, copy(b->local, fresh, b->size));
		sum += bench_now() - t;
		vrs_bo_close(b->b, fresh);
		close(fd);
	}
	return sum / b->jobs;
}

/*
 * The first copy after a reset of GPU A; the reset is timed apart
 * (*reset: seconds per reset with nothing queued).
 */
static double after_reset(struct bench *b, double *reset)
{
	double t, sum = 0, resets = 0;
	unsigned int i;

	for (i = 0; i < b->jobs; i++) {
		timed_reset(b);
		resets += reset_secs;
		t = bench_now();
		run(b, copy(b->local, b->vram, b->size));
		sum += bench_now() - t;
	}
	*reset = resets / b->jobs;
	return sum / b->jobs;
}

int bench_jobs(const struct bench_opts *o)
{
	struct bench b = {
		.size = o->job_size, .jobs = o->quick ? 2 : o->jobs, .bar = o->bar,
	};
	struct vrs_job fill = {
		.struct_size = sizeof(fill), .op = VRS_JOB_FILL,
		.fill_value = 0x5a5a5a5a,
	};
	double base, submit, reset_idle, secs;
	struct bench_report r;
	unsigned int canceled;

	open_devices(&b, o->exporter, o->importer);
	bench_report_init(&r, "jobs", o);

	/* Warm up: every object mapped once. */
	run(&b, copy(b.local, b.vram, b.size));
	run(&b, copy(b.scratch, b.local, b.size));

	base = serial(&b, copy(b.scratch, b.local, b.size));
	print(&r, "baseline", base, base, b.size);
	print(&r, "p2p-read", serial(&b, copy(b.local, b.vram, b.size)), base, b.size);
	print(&r, "p2p-write", serial(&b, copy(b.vram, b.local, b.size)), base, b.size);
	fill.dst = b.local;
	fill.size = b.size;
	print(&r, "fill", serial(&b, fill), base, b.size);
	print(&r, "queued", queued(&b, copy(b.scratch, b.local, b.size), &submit),
	      base, b.size);
	print(&r, "after-reset", after_reset(&b, &reset_idle), base, b.size);
	print(&r, "first-use", first_use(&b), base, b.size);
	bench_report_figure(&r, "jobs: peer-to-peer read / local copy",
			    bench_result(r.root, "p2p-read", NULL, 0, NULL, 0, "p50"), "x", NULL, -1);

	print_vs(&r, "submit", submit, "bo-info-ioctl", trivial_ioctl(&b));
	canceled = submit_all(&b, copy(b.vram, b.local, b.size), &secs,
			      timed_reset);
	print_vs(&r, "reset-busy", reset_secs, "reset-idle", reset_idle);
	bench_param(bench_report_value(&r, "canceled", "jobs", canceled),
		    "queued", b.jobs);
	printf("%-12s %u of %u queued jobs canceled by the reset\n", "",
	       canceled, b.jobs);
	bench_report_write(&r, o->out);

	vrs_bo_close(b.b, b.vram);
	close(b.dmabuf);
	vrs_importer_close(b.b);
	vrs_device_close(b.a);
	return 0;
}
