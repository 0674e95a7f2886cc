// SPDX-License-Identifier: MIT
/*
 * vramshare-bench memory: kernel memory per exported dma-buf and per
 * attachment, from the growth of the slab caches' objects in use
 * (/proc/slabinfo; SLUB counts the objects of per-CPU slabs as in use,
 * so a figure is good to a few objects' size) while K of them are made. A dma-buf counts its file, inode and dentry,
 * the dma-buf core's objects and the exporter's; an attachment counts the
 * dma-buf core's, the exporter's and its sg_table (the test importer's
 * open files are made before, and not counted). The broker's memory per
 * client is in "broker".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "vramshare.h"

/*
 * Bytes of the objects in use in every slab cache now: the sum of
 * active objects times object size over /proc/slabinfo (root only).
 */
static double slab_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	unsigned long long active, total, size;
	char line[512], name[128];
	double bytes = 0;

	if (!f)
		bench_die("/proc/slabinfo", -errno);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %llu %llu %llu", name, &active, &total,
			   &size) == 4)
			bytes += (double)active * size;
	fclose(f);
	if (!bytes)
		bench_die("/proc/slabinfo lists no cache", -ENOENT);
	return bytes;
}

int bench_memory(const struct bench_opts *o)
{
	unsigned int count = o->quick ? 64 : 1024, i;
	struct bench_ti_attach attach = { 0 };
	struct vrs_range range = { 0, 4096 };
	int *dmabufs = bench_calloc(count, sizeof(int));
	int *importers = bench_calloc(count, sizeof(int));
	double before, per_dmabuf, per_attachment;
	struct bench_report r;
	struct vrs_device *a;
	json_object *res;
	int ret;

	if ((ret = vrs_device_open(o->exporter, &a)))
		bench_die(o->exporter, ret);
	bench_report_init(&r, "memory", o);

	before = slab_bytes();
	for (i = 0; i < count; i++) {
		range.offset = (uint64_t)i * 4096;
		if ((ret = vrs_export(a, o->bar, &range, 1, 0, &dmabufs[i])))
			bench_die("export", ret);
	}
	per_dmabuf = (slab_bytes() - before) / count;

	for (i = 0; i < count; i++) {
		importers[i] = open(BENCH_TI_PATH, O_RDWR | O_CLOEXEC);
		if (importers[i] < 0)
			bench_die(BENCH_TI_PATH, -errno);
	}
	before = slab_bytes();
	for (i = 0; i < count; i++) {
		attach.dmabuf_fd = dmabufs[i];
		if (ioctl(importers[i], BENCH_TI_ATTACH, &attach))
			bench_die("attach and map", -errno);
	}
	per_attachment = (slab_bytes() - before) / count;

	res = bench_report_value(&r, "kernel-per-dmabuf", "bytes", per_dmabuf);
	bench_param(res, "count", count);
	res = bench_report_value(&r, "kernel-per-attachment", "bytes", per_attachment);
	bench_param(res, "count", count);
	printf("memory: slab growth over %u of each\n", count);
	bench_report_figure(&r, "memory: kernel per dma-buf", per_dmabuf, "bytes", NULL, -1);
	bench_report_figure(&r, "memory: kernel per attachment", per_attachment,
			    "bytes", NULL, -1);
	bench_report_write(&r, o->out);

	for (i = 0; i < count; i++) {
		close(importers[i]);
		close(dmabufs[i]);
	}
	free(importers);
	free(dmabufs);
	vrs_device_close(a);
	return 0;
}
