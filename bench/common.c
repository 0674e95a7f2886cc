// SPDX-License-Identifier: MIT
/*
 * vramshare-bench: timing, sample sets and the null-ioctl baseline.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "vramshare.h"

#include "bench.h"

/* Seconds on the monotonic clock. */
double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void bench_die(const char *what, int err)
{
	fprintf(stderr, "vramshare-bench: %s: %s\n", what, strerror(-err));
	exit(1);
}

void *bench_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		bench_die("calloc", -ENOMEM);
	return p;
}

void bench_samples_add(struct bench_samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		double *v2 = realloc(s->v, cap * sizeof(*v2));

		if (!v2)
			bench_die("realloc", -ENOMEM);
		s->v = v2;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile (0 = the minimum, 100 = the maximum). */
double bench_samples_pct(struct bench_samples *s, double pct)
{
	size_t rank;

	if (!s->n)
		return NAN;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	rank = (size_t)ceil(pct / 100.0 * s->n);
	return s->v[rank ? rank - 1 : 0];
}

double bench_samples_mean(const struct bench_samples *s)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / s->n : NAN;
}

void bench_samples_reset(struct bench_samples *s)
{
	s->n = 0;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	*s = (struct bench_samples){ 0 };
}

/* GPU B's render node, for the null ioctl. */
int bench_null_ioctl_fd(const struct bench_opts *o)
{
	int fd = open(o->importer, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bench_die(o->importer, -errno);
	return fd;
}

/*
 * The baseline of the control-path figures: DRM_IOCTL_GET_CAP on GPU B's
 * render node, an ioctl that crosses into the kernel and does nothing.
 * @count calls, microseconds each.
 */
void bench_null_ioctl(int drm_fd, unsigned int count, struct bench_samples *us)
{
	uint64_t value;
	unsigned int i;
	double t;

	for (i = 0; i < count; i++) {
		t = bench_now();
		if (drmGetCap(drm_fd, DRM_CAP_PRIME, &value))
			bench_die("DRM_IOCTL_GET_CAP", -errno);
		bench_samples_add(us, (bench_now() - t) * 1e6);
	}
}

/* The null ioctl's mean in microseconds, @count calls timed as one. */
double bench_null_ioctl_mean(int drm_fd, unsigned int count)
{
	uint64_t value;
	unsigned int i;
	double t = bench_now();

	for (i = 0; i < count; i++)
		if (drmGetCap(drm_fd, DRM_CAP_PRIME, &value))
			bench_die("DRM_IOCTL_GET_CAP", -errno);
	return (bench_now() - t) * 1e6 / count;
}

static int device_flags(const struct vrs_broker_device *dev, void *data)
{
	*(uint32_t *)data |= dev->flags;
	return 0;
}

/*
 * Until no device of the broker has free VRAM left to clear (it clears
 * ahead while idle); at most 10 minutes, a broker that cannot clear.
 */
void bench_wait_cleared(struct vrs_broker *broker)
{
	double deadline = bench_now() + 600;
	uint32_t flags;
	int ret;

	for (;;) {
		flags = 0;
		if ((ret = vrs_broker_devices(broker, device_flags, &flags)) < 0)
			bench_die("broker devices", ret);
		if (!(flags & VRS_BROKER_DEVICE_CLEARING))
			return;
		if (bench_now() > deadline)
			bench_die("the broker never finished clearing its free VRAM", -ETIMEDOUT);
		usleep(10000);
	}
}
