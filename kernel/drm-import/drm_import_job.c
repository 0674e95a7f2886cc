// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: copy jobs.
 *
 * A copy holds the reservation locks of both objects from mapping until
 * the engine is done. move_notify runs under the same lock, so an
 * exporter that revokes waits for the running copy, and a copy never
 * starts on a revoked object: its mapping fails with -ENODEV first.
 */
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <linux/dma-resv.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>

#include "../include/uapi/drm/drm_import.h"
#include "drm_import_drv.h"

/**
 * struct dim_cursor - a position in an object's DMA-mapped table
 * @sg: current DMA segment
 * @skip: bytes of @sg already consumed
 */
struct dim_cursor {
	struct scatterlist *sg;
	u64 skip;
};

static int dim_cursor_init(struct dim_cursor *c, struct sg_table *sgt,
			   u64 offset)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (offset < sg_dma_len(sg)) {
			c->sg = sg;
			c->skip = offset;
			return 0;
		}
		offset -= sg_dma_len(sg);
	}
	return -EINVAL; /* the table is shorter than the object */
}

static dma_addr_t dim_cursor_addr(const struct dim_cursor *c, u64 *contig)
{
	*contig = sg_dma_len(c->sg) - c->skip;
	return sg_dma_address(c->sg) + c->skip;
}

static void dim_cursor_advance(struct dim_cursor *c, u64 len)
{
	c->skip += len;
	if (c->skip == sg_dma_len(c->sg)) {
		c->sg = sg_next(c->sg);
		c->skip = 0;
	}
}

static int dim_check_range(struct drm_gem_object *obj, u64 offset, u64 size)
{
	u64 end;

	if (check_add_overflow(offset, size, &end) || end > obj->size)
		return -EINVAL;
	return 0;
}

/* Local objects are pinned before locking, imported ones mapped under it. */
static struct sg_table *dim_job_map(struct drm_gem_object *obj,
				    struct sg_table *pinned)
{
	return dim_bo_is_imported(obj) ? dim_bo_map_locked(obj) : pinned;
}

static struct sg_table *dim_job_pin(struct drm_gem_object *obj)
{
	return dim_bo_is_imported(obj) ? NULL : dim_bo_pin_pages(obj);
}

static int dim_run_copy(struct dim_engine *engine, struct sg_table *src,
			u64 src_off, struct sg_table *dst, u64 dst_off,
			u64 size)
{
	struct dim_cursor s, d;
	int ret;

	ret = dim_cursor_init(&s, src, src_off);
	if (!ret)
		ret = dim_cursor_init(&d, dst, dst_off);
	while (!ret && size) {
		u64 s_len, d_len, len;
		dma_addr_t s_addr = dim_cursor_addr(&s, &s_len);
		dma_addr_t d_addr = dim_cursor_addr(&d, &d_len);

		len = min3(size, s_len, d_len);
		ret = engine->ops->copy(engine, d_addr, s_addr, len);
		dim_cursor_advance(&s, len);
		dim_cursor_advance(&d, len);
		size -= len;
	}
	return ret;
}

static void dim_count_job(struct dim_stats *stats, int ret, u64 size)
{
	if (ret) {
		atomic64_inc(&stats->failed);
		return;
	}
	atomic64_inc(&stats->completed);
	atomic64_add(size, &stats->bytes);
}

int dim_ioctl_copy(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_import_copy *args = data;
	struct drm_gem_object *objs[2];
	struct sg_table *pinned[2], *sgt[2];
	struct ww_acquire_ctx ctx;
	int nobjs, i, ret;

	if (args->flags || args->pad || !args->size)
		return -EINVAL;

	objs[0] = drm_gem_object_lookup(file, args->src_handle);
	objs[1] = drm_gem_object_lookup(file, args->dst_handle);
	if (!objs[0] || !objs[1]) {
		ret = -ENOENT;
		goto out_put;
	}
	ret = dim_check_range(objs[0], args->src_offset, args->size);
	if (!ret)
		ret = dim_check_range(objs[1], args->dst_offset, args->size);
	if (ret)
		goto out_put;

	nobjs = objs[0] == objs[1] ? 1 : 2;
	for (i = 0; i < 2; i++) {
		pinned[i] = dim_job_pin(objs[i]);
		if (IS_ERR(pinned[i])) {
			ret = PTR_ERR(pinned[i]);
			goto out_put;
		}
	}

	ret = drm_gem_lock_reservations(objs, nobjs, &ctx);
	if (ret)
		goto out_put;
	for (i = 0; i < 2; i++) {
		sgt[i] = dim_job_map(objs[i], pinned[i]);
		if (IS_ERR(sgt[i])) {
			ret = PTR_ERR(sgt[i]);
			goto out_unlock;
		}
	}
	ret = dim_run_copy(to_dim(drm)->engine, sgt[0], args->src_offset,
			   sgt[1], args->dst_offset, args->size);
	dim_count_job(&to_dim(drm)->stats, ret, args->size);
out_unlock:
	if (ret == -ENODEV)
		atomic64_inc(&to_dim(drm)->stats.refused);
	drm_gem_unlock_reservations(objs, nobjs, &ctx);
out_put:
	for (i = 0; i < 2; i++)
		if (objs[i])
			drm_gem_object_put(objs[i]);
	return ret;
}
