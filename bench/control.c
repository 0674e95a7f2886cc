// SPDX-License-Identifier: MIT
/*
 * vramshare-bench control: the latency of the control path, each a
 * distribution (P0/P50/P99) against a null ioctl of the same run.
 *
 *   export      VFIO_DEVICE_FEATURE_DMA_BUF: a 4 KiB dma-buf of GPU A
 *   attach-map  an importer attaches and maps it (the test importer's
 *               attach: dma_buf_dynamic_attach + dma_buf_map_attachment)
 *   prime       DRM_IOCTL_PRIME_FD_TO_HANDLE on GPU B's drm-import node
 *
 * Each iteration makes a fresh dma-buf, so no cache answers for it. The
 * broker's round trip is in "broker", against this file's export.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "vramshare.h"

enum { NULL_IOCTL, EXPORT, ATTACH_MAP, PRIME, STEPS };
static const char *const step_names[STEPS] = {
	"null-ioctl", "export", "attach-map", "prime-import",
};

static void one_round(struct vrs_device *a, struct vrs_importer *b,
		      const struct bench_opts *o, struct bench_samples *s)
{
	struct vrs_range range = { 0, 4096 };
	struct bench_ti_attach attach = { 0 };
	uint32_t handle;
	int fd, ti, ret;
	double t;

	t = bench_now();
	ret = vrs_export(a, o->bar, &range, 1, 0, &fd);
	bench_samples_add(&s[EXPORT], (bench_now() - t) * 1e6);
	if (ret)
		bench_die("export", ret);

	ti = open(BENCH_TI_PATH, O_RDWR | O_CLOEXEC);
	if (ti < 0)
		bench_die(BENCH_TI_PATH, -errno);
	attach.dmabuf_fd = fd;
	t = bench_now();
	ret = ioctl(ti, BENCH_TI_ATTACH, &attach);
	bench_samples_add(&s[ATTACH_MAP], (bench_now() - t) * 1e6);
	if (ret)
		bench_die("attach and map", -errno);

	t = bench_now();
	ret = vrs_import(b, fd, &handle);
	bench_samples_add(&s[PRIME], (bench_now() - t) * 1e6);
	if (ret)
		bench_die("PRIME import", ret);

	vrs_bo_close(b, handle);
	close(ti);
	close(fd);
}

int bench_control(const struct bench_opts *o)
{
	struct bench_samples s[STEPS] = { 0 };
	unsigned int rounds = o->quick ? 50 : 1000, i, k;
	struct bench_report r;
	struct vrs_device *a;
	struct vrs_importer *b;
	double null_p50, p50;
	char figure[64];
	int ret;

	if ((ret = vrs_device_open(o->exporter, &a)))
		bench_die(o->exporter, ret);
	if ((ret = vrs_importer_open(o->importer, &b)))
		bench_die(o->importer, ret);
	bench_report_init(&r, "control", o);

	one_round(a, b, o, s);		/* warm-up */
	for (k = 0; k < STEPS; k++)
		bench_samples_reset(&s[k]);
	bench_null_ioctl(vrs_importer_fd(b), rounds * 4, &s[NULL_IOCTL]);
	for (i = 0; i < rounds; i++)
		one_round(a, b, o, s);

	null_p50 = bench_samples_pct(&s[NULL_IOCTL], 50);
	printf("control: latency of each step, %u rounds\n", rounds);
	for (k = 0; k < STEPS; k++) {
		bench_report_samples(&r, step_names[k], "us", &s[k]);
		p50 = bench_samples_pct(&s[k], 50);
		printf("  %-14s P0 %9.1f  P50 %9.1f  P99 %9.1f us  %7.1f null ioctls\n",
		       step_names[k], bench_samples_pct(&s[k], 0), p50,
		       bench_samples_pct(&s[k], 99), p50 / null_p50);
	}
	for (k = EXPORT; k < STEPS; k++) {
		snprintf(figure, sizeof(figure), "control: %s P50", step_names[k]);
		bench_report_figure(&r, figure, bench_samples_pct(&s[k], 50) / null_p50,
				    "null ioctls", NULL, -1);
	}
	bench_report_write(&r, o->out);
	for (k = 0; k < STEPS; k++)
		bench_samples_free(&s[k]);
	vrs_importer_close(b);
	vrs_device_close(a);
	return 0;
}
