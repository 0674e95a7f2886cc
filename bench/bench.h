/* SPDX-License-Identifier: MIT */
/*
 * vramshare-bench: what the stack costs. Shared pieces: timing, sample
 * sets and their percentiles, the JSON every benchmark writes, and the
 * baselines measured in the same run (a null ioctl).
 */
#ifndef VRAMSHARE_BENCH_H
#define VRAMSHARE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The test importer's uAPI (tests/kmod/vrs_test_importer.c): one dma-buf
 * attachment per open file, mapped at once, unmapped in move_notify. */
#define BENCH_TI_PATH	"/dev/vrs_test_importer"
struct bench_ti_attach {
	int32_t dmabuf_fd;
	uint32_t flags;
};
#define BENCH_TI_ATTACH	_IOW('V', 0x40, struct bench_ti_attach)

/* What every benchmark is given. */
struct bench_opts {
	bool quick;		/* --short: a few points, few repetitions */
	const char *out;	/* JSON file to write */
	const char *against;	/* JSON of an earlier pass in the same run */
	char exporter[32];	/* GPU A's PCI address (direct benchmarks) */
	char importer[64];	/* GPU B's render node */
	unsigned int bar;	/* GPU A's VRAM BAR */
	unsigned int jobs;	/* jobs: jobs per row */
	uint64_t job_size;	/* jobs: bytes per job */
};

/* A set of measurements of one thing, in one unit. */
struct bench_samples {
	double *v;
	size_t n, cap;
};

/* A benchmark's output: its figures and the environment they came from. */
struct bench_report {
	json_object *root, *results, *summary;
};

double bench_now(void);
void bench_die(const char *what, int err) __attribute__((noreturn));
void *bench_calloc(size_t n, size_t size);

void bench_samples_add(struct bench_samples *s, double v);
double bench_samples_pct(struct bench_samples *s, double pct);
double bench_samples_mean(const struct bench_samples *s);
void bench_samples_reset(struct bench_samples *s);
void bench_samples_free(struct bench_samples *s);

void bench_report_init(struct bench_report *r, const char *name,
		       const struct bench_opts *o);
json_object *bench_report_samples(struct bench_report *r, const char *name,
				  const char *unit, struct bench_samples *s);
json_object *bench_report_value(struct bench_report *r, const char *name,
				const char *unit, double value);
void bench_report_figure(struct bench_report *r, const char *figure,
			 double value, const char *unit, const char *goal,
			 int met);
void bench_report_write(struct bench_report *r, const char *path);
json_object *bench_load_result(const char *path, const char *benchmark);
double bench_result(json_object *file, const char *name, const char *p1,
		    int64_t v1, const char *p2, int64_t v2, const char *key);
void bench_param(json_object *result, const char *param, int64_t value);

struct vrs_broker;
void bench_wait_cleared(struct vrs_broker *broker);

int bench_null_ioctl_fd(const struct bench_opts *o);
void bench_null_ioctl(int drm_fd, unsigned int count,
		      struct bench_samples *us);
double bench_null_ioctl_mean(int drm_fd, unsigned int count);

int bench_bounce(const struct bench_opts *o);
int bench_share(const struct bench_opts *o);
int bench_revoke(const struct bench_opts *o);
int bench_control(const struct bench_opts *o);
int bench_broker(const struct bench_opts *o);
int bench_cpu(const struct bench_opts *o);
int bench_memory(const struct bench_opts *o);
int bench_jobs(const struct bench_opts *o);

#endif
