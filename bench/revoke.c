// SPDX-License-Identifier: MIT
/*
 * vramshare-bench revoke: what revoking and restoring GPU A's memory costs
 * with N dma-bufs (4 KiB each, N up to 1024) and M importers attached to
 * each (M up to 4; the test importer, which maps at attach and unmaps in
 * move_notify, as drm-import does).
 *
 * Three times per point, measured 25 times (the reset 3):
 *   revoke   until every importer has unmapped: the exporter's revocation
 *            returns only then (a write of PCI_COMMAND with memory decode
 *            off, which revokes through the same update a reset's
 *            reset_prepare does)
 *   restore  until every dma-buf is live again and every importer was
 *            told (decode on)
 *   reset    VFIO_DEVICE_RESET from request to return: revoke, the PCI
 *            reset itself and restore
 *
 * The revoke times of all points (each point's minimum: the noise of an
 * emulated machine only adds) are fitted, least squares, to
 * a + b * N + c * N * M: c is the cost per attachment, given in null
 * ioctls measured in the same run (their mean over a batch timed as one,
 * as the fit has no timer overhead in it), b the cost per dma-buf. That
 * the cost is linear is shown by the time at the largest N against the
 * next, M = 4 (4 times the dma-bufs and the attachments): at most 4 for a linear cost, 16 for a
 * quadratic one (a fit's R^2 cannot tell them apart on this grid).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "vramshare.h"

#define PHASES 3
static const char *const phase_names[PHASES] = {
	"revoke", "restore", "reset",
};

/* Point (N, M): N dma-bufs exported, M importers attached to each. */
struct point {
	unsigned int n, m;
	int *dmabufs, *importers;
};

static void point_setup(struct vrs_device *a, const struct bench_opts *o,
			struct point *p)
{
	struct bench_ti_attach attach = { 0 };
	struct vrs_range range = { 0, 4096 };
	unsigned int i, j;
	int ret, *ti;

	p->dmabufs = bench_calloc(p->n, sizeof(int));
	p->importers = bench_calloc((size_t)p->n * p->m, sizeof(int));
	for (i = 0; i < p->n; i++) {
		range.offset = (uint64_t)i * 4096;
		if ((ret = vrs_export(a, o->bar, &range, 1, 0, &p->dmabufs[i])))
			bench_die("export", ret);
		for (j = 0; j < p->m; j++) {
			ti = &p->importers[(size_t)i * p->m + j];
			*ti = open(BENCH_TI_PATH, O_RDWR | O_CLOEXEC);
			attach.dmabuf_fd = p->dmabufs[i];
			if (*ti < 0 || ioctl(*ti, BENCH_TI_ATTACH, &attach))
				bench_die("attach and map", -errno);
		}
	}
}

static void point_teardown(struct point *p)
{
	size_t i;

	for (i = 0; i < (size_t)p->n * p->m; i++)
		close(p->importers[i]);
	for (i = 0; i < p->n; i++)
		close(p->dmabufs[i]);
	free(p->importers);
	free(p->dmabufs);
}

/* Every dma-buf of @p is @state (VRS_DMABUF_LIVE or _REVOKED). */
static void check_state(struct vrs_device *a, struct point *p, uint32_t state)
{
	struct vrs_dmabuf_state st = { .struct_size = sizeof(st) };
	unsigned int i;
	int ret;

	for (i = 0; i < p->n; i++) {
		if ((ret = vrs_dmabuf_query(a, p->dmabufs[i], &st)))
			bench_die("query", ret);
		if (st.state != state)
			bench_die("revoke: a dma-buf is not in the state expected", -EIO);
	}
}

/* One revoke, restore and reset of @p; microseconds into t[]. */
static void measure(struct vrs_device *a, struct point *p, bool reset,
		    double t[PHASES])
{
	double t0;
	int ret;

	t0 = bench_now();
	ret = vrs_device_set_memory_decode(a, 0);
	t[0] = (bench_now() - t0) * 1e6;
	if (ret)
		bench_die("decode off", ret);
	check_state(a, p, VRS_DMABUF_REVOKED);
	t0 = bench_now();
	ret = vrs_device_set_memory_decode(a, 1);
	t[1] = (bench_now() - t0) * 1e6;
	if (ret)
		bench_die("decode on", ret);
	check_state(a, p, VRS_DMABUF_LIVE);
	t[2] = NAN;
	if (!reset)
		return;
	t0 = bench_now();
	ret = vrs_device_reset(a);
	t[2] = (bench_now() - t0) * 1e6;
	if (ret)
		bench_die("reset", ret);
	check_state(a, p, VRS_DMABUF_LIVE);
}

/* Least squares fit of y = a + b * x1 + c * x2; returns R^2. */
static double fit3(const double *x1, const double *x2, const double *y,
		   unsigned int n, double coef[3])
{
	double m[3][4] = { { 0 } }, det, sub[3][3], mean = 0, ss = 0, res = 0, f;
	unsigned int i, j, k, col;

	for (i = 0; i < n; i++) {
		double row[3] = { 1, x1[i], x2[i] };

		for (j = 0; j < 3; j++) {
			for (k = 0; k < 3; k++)
				m[j][k] += row[j] * row[k];
			m[j][3] += row[j] * y[i];
		}
		mean += y[i] / n;
	}
	/* Cramer's rule on the normal equations */
	det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
	      m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
	      m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
	for (col = 0; col < 3; col++) {
		for (j = 0; j < 3; j++)
			for (k = 0; k < 3; k++)
				sub[j][k] = k == col ? m[j][3] : m[j][k];
		coef[col] = (sub[0][0] * (sub[1][1] * sub[2][2] - sub[1][2] * sub[2][1]) -
			     sub[0][1] * (sub[1][0] * sub[2][2] - sub[1][2] * sub[2][0]) +
			     sub[0][2] * (sub[1][0] * sub[2][1] - sub[1][1] * sub[2][0])) / det;
	}
	for (i = 0; i < n; i++) {
		f = coef[0] + coef[1] * x1[i] + coef[2] * x2[i];
		res += (y[i] - f) * (y[i] - f);
		ss += (y[i] - mean) * (y[i] - mean);
	}
	return ss > 0 ? 1 - res / ss : NAN;
}

int bench_revoke(const struct bench_opts *o)
{
	static const unsigned int full_n[] = { 16, 64, 256, 1024 };
	static const unsigned int quick_n[] = { 4, 16 };
	static const unsigned int ms[] = { 0, 1, 2, 4 };
	const unsigned int *ns = o->quick ? quick_n : full_n;
	_Static_assert(sizeof(full_n) / sizeof(full_n[0]) * 4 <= 16,
		       "x1, x2 and y hold every point");
	unsigned int nn = o->quick ? 2 : 4, nm = 4;
	unsigned int reps = o->quick ? 3 : 25, i, j, k, rep, np = 0;
	double null_us, t[PHASES], x1[16], x2[16], y[16], coef[3], r2, growth;
	struct bench_samples s[PHASES] = { 0 };
	struct bench_report r;
	struct vrs_device *a;
	json_object *res;
	int ret, fd;

	if ((ret = vrs_device_open(o->exporter, &a)))
		bench_die(o->exporter, ret);
	fd = bench_null_ioctl_fd(o);
	bench_report_init(&r, "revoke", o);
	null_us = bench_null_ioctl_mean(fd, 20000);
	bench_report_value(&r, "null-ioctl", "us", null_us);
	printf("revoke: N dma-bufs x M importers; null ioctl %.2f us\n", null_us);

	for (i = 0; i < nn; i++) {
		for (j = 0; j < nm; j++) {
			struct point p = { .n = ns[i], .m = ms[j] };

			point_setup(a, o, &p);
			measure(a, &p, false, t);	/* warm-up */
			for (rep = 0; rep < reps; rep++) {
				/* resets are slow: a few per point suffice */
				measure(a, &p, rep < 3, t);
				for (k = 0; k < PHASES; k++)
					if (!isnan(t[k]))
						bench_samples_add(&s[k], t[k]);
			}
			point_teardown(&p);
			for (k = 0; k < PHASES; k++) {
				res = bench_report_samples(&r, phase_names[k], "us", &s[k]);
				bench_param(res, "dmabufs", p.n);
				bench_param(res, "importers", p.m);
				bench_param(res, "attachments", (int64_t)p.n * p.m);
			}
			/* an emulated machine's noise only adds: the minimum */
			x1[np] = p.n;
			x2[np] = (double)p.n * p.m;
			y[np++] = bench_samples_pct(&s[0], 0);
			printf("  N %4u M %u  revoke %10.1f us (P0 %8.1f)  restore %10.1f us  reset %10.1f us\n",
			       p.n, p.m, bench_samples_pct(&s[0], 50),
			       bench_samples_pct(&s[0], 0),
			       bench_samples_pct(&s[1], 50), bench_samples_pct(&s[2], 50));
			for (k = 0; k < PHASES; k++)
				bench_samples_reset(&s[k]);
		}
	}
	/* the two largest N at the largest M: 4 times the dma-bufs and attachments */
	growth = y[np - 1] / y[np - 1 - nm];
	r2 = fit3(x1, x2, y, np, coef);
	bench_report_value(&r, "revoke-fixed", "us", coef[0]);
	bench_report_value(&r, "revoke-per-dmabuf", "us", coef[1]);
	bench_report_value(&r, "revoke-per-attachment", "us", coef[2]);
	bench_report_value(&r, "revoke-fit-r2", "", r2);
	printf("  fit: %.1f us + %.3f us per dma-buf + %.3f us per attachment (R^2 %.3f)\n",
	       coef[0], coef[1], coef[2], r2);
	bench_report_figure(&r, "revoke: per attachment (fit)", coef[2] / null_us,
			    "null ioctls", "<= 2", coef[2] / null_us <= 2);
	bench_report_figure(&r, "revoke: per dma-buf (fit)", coef[1] / null_us,
			    "null ioctls", NULL, -1);
	bench_report_figure(&r, "revoke: R^2 of the linear fit", r2, "", NULL, -1);
	/* linear: at most 4 (less with the fixed part); quadratic: 16 */
	bench_report_figure(&r, "revoke: time at 4x N, M=4", growth, "x",
			    "<= 4.5 (linear)", growth <= 4.5);
	bench_report_write(&r, o->out);
	for (k = 0; k < PHASES; k++)
		bench_samples_free(&s[k]);
	close(fd);
	vrs_device_close(a);
	return 0;
}
