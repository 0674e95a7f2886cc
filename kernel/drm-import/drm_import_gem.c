// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: GEM objects.
 *
 * Local objects live in system memory (shmem helper) and can be mmapped
 * and PRIME-exported; the engine maps each once, at its first job, and
 * keeps the mapping until the object is freed or the device goes, so
 * that no job maps memory where its fence is signalled. Imported objects
 * are dynamic dma-buf attachments that allow peer-to-peer: they share the
 * exporter's reservation object, are mapped on first use under that
 * lock, and are unmapped at once when the exporter calls move_notify.
 * The next use maps them again.
 */
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../include/uapi/drm/drm_import.h"
#include "drm_import_drv.h"
#include "vramshare_compat.h"

VRS_MODULE_IMPORT_DMA_BUF();

/*
 * The direction an import is mapped in: the engine only reads from an
 * import of a read-only dma-buf, and the exporter maps it so (read-only
 * in an IOMMU).
 */
static enum dma_data_direction dim_import_dir(struct drm_gem_object *obj)
{
	return dim_bo_is_read_only(obj) ? DMA_TO_DEVICE : DMA_BIDIRECTIONAL;
}

/* Largest local object: keeps a single request from pinning all memory. */
#define DIM_MAX_LOCAL_SIZE	SZ_4G

static struct dim_import_bo *to_import_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct dim_import_bo, base);
}

static void dim_import_bo_free(struct drm_gem_object *obj)
{
	struct dim_import_bo *bo = to_import_bo(obj);

	/* Nothing maps it again: move_notify may still come until detach. */
	dma_resv_lock(obj->resv, NULL);
	bo->in_use = false;
	if (bo->sgt)
		dma_buf_unmap_attachment(obj->import_attach, bo->sgt,
					 dim_import_dir(obj));
	bo->sgt = NULL;
	dma_resv_unlock(obj->resv);

	mutex_lock(&to_dim(obj->dev)->objects_lock);
	list_del(&bo->link);
	mutex_unlock(&to_dim(obj->dev)->objects_lock);

	drm_prime_gem_destroy(obj, NULL);
	drm_gem_object_release(obj);
	kfree(bo);
}

/*
 * CPU mappings of an imported object are the exporter's: forward them, so
 * that what the exporter does to its mappings (vfio-pci-dmabuf zaps them
 * on revocation) reaches these too. The dma-buf's file owns the VMA from
 * now on, so the reference drm_gem_mmap_obj() took for our VMA goes.
 */
static int dim_import_bo_mmap(struct drm_gem_object *obj,
			      struct vm_area_struct *vma)
{
	int ret;

	/*
	 * The DRM file is open for writing, the dma-buf may not be: its
	 * read-only mode holds here as it does for an mmap() of the
	 * dma-buf itself, mprotect() included.
	 */
	if (dim_bo_is_read_only(obj)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vrs_vm_flags_clear(vma, VM_MAYWRITE);
	}
	drm_gem_object_put(obj);
	vma->vm_private_data = NULL;
	ret = dma_buf_mmap(obj->import_attach->dmabuf, vma, 0);
	if (ret)
		drm_gem_object_get(obj);	/* the caller drops it on error */
	return ret;
}

static const struct drm_gem_object_funcs dim_import_bo_funcs = {
	.free = dim_import_bo_free,
	.mmap = dim_import_bo_mmap,
};

/**
 * dim_bo_is_imported() - is @obj an imported dma-buf of this driver
 * @obj: a GEM object of a drm-import device
 *
 * Return: true for imported objects, false for local ones.
 */
bool dim_bo_is_imported(struct drm_gem_object *obj)
{
	return obj->funcs == &dim_import_bo_funcs;
}

/*
 * Map again an object the engine was using, once the exporter is done.
 * Holds a reference on the object and on the device, taken when queued.
 */
static void dim_remap_work(struct work_struct *work)
{
	struct dim_import_bo *bo = container_of(work, struct dim_import_bo,
						remap_work);
	struct dim_device *dim = to_dim(bo->base.dev);
	struct sg_table *sgt;

	dma_resv_lock(bo->base.resv, NULL);
	if (!bo->sgt && bo->in_use && !READ_ONCE(dim->unplugging)) {
		sgt = dma_buf_map_attachment(bo->base.import_attach,
					     dim_import_dir(&bo->base));
		bo->revoked = PTR_ERR_OR_ZERO(sgt) == -ENODEV;
		if (!IS_ERR(sgt)) {
			bo->sgt = sgt;
			bo->maps++;
		}
	}
	dma_resv_unlock(bo->base.resv);
	drm_gem_object_put(&bo->base);
	drm_dev_put(&dim->drm);
}

/*
 * The exporter revokes, restores or moves the memory. First the jobs that
 * use the object are canceled: once that returns none of their transfers
 * is in flight or will start, so the mapping can go at once and the
 * exporter's wait for our fences ends quickly. An object that was in use
 * is then mapped again from a worker, since a new mapping may only be
 * made once this callback has returned: after a restore that happens
 * right away, so the first job pays no mapping latency; while the memory
 * is revoked the attempt fails and the object stays unmapped until it
 * comes back. Submissions waiting for a restore are woken either way.
 */
static void dim_move_notify(struct dma_buf_attachment *attach)
{
	struct dim_import_bo *bo = attach->importer_priv;
	struct dim_device *dim = to_dim(bo->base.dev);

	dma_resv_assert_held(bo->base.resv);
	dim_ring_cancel(&dim->ring, &bo->base, -ECANCELED);
	WRITE_ONCE(bo->invalidations, bo->invalidations + 1);
	if (bo->sgt) {
		dma_buf_unmap_attachment(attach, bo->sgt,
					 dim_import_dir(&bo->base));
		bo->sgt = NULL;
	}
	/*
	 * The pending work holds a reference on the object and the device.
	 * The object may be on its way to dim_import_bo_free(), waiting for
	 * the reservation lock held here: a count already at zero is left
	 * alone, and such an object is never mapped again.
	 */
	if (bo->in_use && !READ_ONCE(dim->unplugging) &&
	    kref_get_unless_zero(&bo->base.refcount)) {
		drm_dev_get(&dim->drm);
		if (!queue_work(dim_wq, &bo->remap_work)) {
			drm_dev_put(&dim->drm);
			drm_gem_object_put(&bo->base);	/* never the last */
		}
	}
	wake_up_all(&dim->restore_wait);
}

static const struct dma_buf_attach_ops dim_importer_ops = {
	.allow_peer2peer = true,
	.vrs_importer_invalidate = dim_move_notify,
};

/**
 * dim_gem_prime_import() - &drm_driver.gem_prime_import
 * @drm: the importing device
 * @dmabuf: the dma-buf
 *
 * Our own exported local objects come back as themselves; anything else
 * becomes a dynamic, peer-to-peer capable attachment.
 *
 * Return: the object, or an ERR_PTR (-EOPNOTSUPP when the exporter
 * refuses this device, e.g. no peer-to-peer path).
 */
struct drm_gem_object *dim_gem_prime_import(struct drm_device *drm,
					    struct dma_buf *dmabuf)
{
	struct dma_buf_attachment *attach;
	struct dim_import_bo *bo;

	if (dmabuf->ops->release == drm_gem_dmabuf_release) {
		struct drm_gem_object *obj = dmabuf->priv;

		if (obj->dev == drm) {
			drm_gem_object_get(obj);
			return obj;
		}
	}
	if (!dmabuf->size || !PAGE_ALIGNED(dmabuf->size))
		return ERR_PTR(-EINVAL);

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->base.funcs = &dim_import_bo_funcs;
	bo->base.resv = dmabuf->resv;
	INIT_WORK(&bo->remap_work, dim_remap_work);
	drm_gem_private_object_init(drm, &bo->base, dmabuf->size);

	attach = dma_buf_dynamic_attach(dmabuf, drm->dev, &dim_importer_ops,
					bo);
	if (IS_ERR(attach)) {
		drm_gem_object_release(&bo->base);
		kfree(bo);
		return ERR_CAST(attach);
	}
	get_dma_buf(dmabuf);
	bo->base.import_attach = attach;

	mutex_lock(&to_dim(drm)->objects_lock);
	list_add_tail(&bo->link, &to_dim(drm)->imports);
	mutex_unlock(&to_dim(drm)->objects_lock);
	return &bo->base;
}

/**
 * dim_bo_is_read_only() - is @obj an import of a dma-buf opened read-only?
 * @obj: an object of this device
 *
 * A dma-buf has one file: whoever holds it read-only (O_RDONLY export)
 * cannot get write access through an import of it, neither by DMA nor
 * by a CPU mapping.
 *
 * Return: true for such an import.
 */
bool dim_bo_is_read_only(struct drm_gem_object *obj)
{
	return obj->import_attach &&
	       !(obj->import_attach->dmabuf->file->f_mode & FMODE_WRITE);
}

/**
 * dim_bo_invalidations() - move_notify calls an imported object received
 * @obj: an imported object; no lock needed (the count only grows)
 *
 * Return: the count.
 */
u64 dim_bo_invalidations(struct drm_gem_object *obj)
{
	return READ_ONCE(to_import_bo(obj)->invalidations);
}

static struct dim_local_bo *to_local_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct dim_local_bo, shmem.base);
}

/* Drop the engine's mapping of a local object, if it has one. */
static void dim_local_bo_unmap(struct dim_local_bo *bo)
{
	struct drm_gem_object *obj = &bo->shmem.base;

	mutex_lock(&bo->map_lock);
	if (bo->sgt) {
		dma_unmap_sgtable(obj->dev->dev, bo->sgt, DMA_BIDIRECTIONAL, 0);
		sg_free_table(bo->sgt);
		kfree(bo->sgt);
		bo->sgt = NULL;
		drm_gem_shmem_unpin(&bo->shmem);
	}
	mutex_unlock(&bo->map_lock);
}

static void dim_local_bo_free(struct drm_gem_object *obj)
{
	struct dim_local_bo *bo = to_local_bo(obj);

	/* Under objects_lock: unplug returns with no mapping left. */
	mutex_lock(&to_dim(obj->dev)->objects_lock);
	list_del_init(&bo->link);
	dim_local_bo_unmap(bo);
	mutex_unlock(&to_dim(obj->dev)->objects_lock);
	mutex_destroy(&bo->map_lock);
	drm_gem_shmem_object_free(obj);
}

/* The shmem helper's functions, but our free, which drops the mapping. */
static const struct drm_gem_object_funcs dim_local_bo_funcs = {
	.free = dim_local_bo_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * dim_gem_create_object() - &drm_driver.gem_create_object
 * @drm: the device
 * @size: the object's size (the shmem helper initialises it)
 *
 * Return: the object, not yet initialised, or an ERR_PTR.
 */
struct drm_gem_object *dim_gem_create_object(struct drm_device *drm,
					     size_t size)
{
	struct dim_local_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->shmem.base.funcs = &dim_local_bo_funcs;
	mutex_init(&bo->map_lock);
	INIT_LIST_HEAD(&bo->link);
	return &bo->shmem.base;
}

/**
 * dim_bo_map_local() - map a local object for the engine
 * @obj: a local object
 *
 * The first call pins the pages and DMA-maps all of them; later ones
 * return that table. Call without reservation locks held (pinning may
 * take the object's), inside the device's unplug section, so that
 * dim_unmap_objects() finds every mapping.
 *
 * Return: the DMA-mapped table, or an ERR_PTR.
 */
struct sg_table *dim_bo_map_local(struct drm_gem_object *obj)
{
	struct dim_local_bo *bo = to_local_bo(obj);
	struct dim_device *dim = to_dim(obj->dev);
	struct device *dev = obj->dev->dev;	/* the engine's */
	struct sg_table *sgt;
	unsigned int max_segment;
	int ret;

	mutex_lock(&bo->map_lock);
	sgt = bo->sgt;
	if (sgt)
		goto out;

	/* Segments the DMA layer can map whole (swiotlb caps them too). */
	max_segment = min_t(size_t, dma_max_mapping_size(dev),
			    dma_get_max_seg_size(dev));
	ret = drm_gem_shmem_pin(&bo->shmem);
	if (ret) {
		sgt = ERR_PTR(ret);
		goto out;
	}
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	ret = sgt ? 0 : -ENOMEM;
	if (!ret)
		ret = sg_alloc_table_from_pages_segment(sgt, bo->shmem.pages,
							obj->size >> PAGE_SHIFT,
							0, obj->size,
							max_segment,
							GFP_KERNEL);
	if (!ret) {
		ret = dma_map_sgtable(dev, sgt, DMA_BIDIRECTIONAL, 0);
		if (ret)
			sg_free_table(sgt);
	}
	if (ret) {
		kfree(sgt);
		drm_gem_shmem_unpin(&bo->shmem);
		sgt = ERR_PTR(ret);
		goto out;
	}
	bo->sgt = sgt;
	mutex_unlock(&bo->map_lock);

	/*
	 * Listed after map_lock drops (unplug takes the two the other way
	 * round). Only the caller that mapped lists it, and the object
	 * cannot be freed meanwhile: the caller holds a reference.
	 */
	mutex_lock(&dim->objects_lock);
	list_add_tail(&bo->link, &dim->locals);
	mutex_unlock(&dim->objects_lock);
	return sgt;
out:
	mutex_unlock(&bo->map_lock);
	return sgt;
}

/*
 * Unplug: drop the engine's mapping of every local object. Under
 * objects_lock, which an object's free takes to unmap it too: an object
 * being freed is either still listed, and alive until this is done with
 * it, or already unmapped.
 */
static void dim_unmap_locals(struct dim_device *dim)
{
	struct dim_local_bo *bo, *tmp;

	mutex_lock(&dim->objects_lock);
	list_for_each_entry_safe(bo, tmp, &dim->locals, link) {
		list_del_init(&bo->link);
		dim_local_bo_unmap(bo);
	}
	mutex_unlock(&dim->objects_lock);
}

/**
 * dim_unmap_objects() - unplug: drop every mapping the engine holds
 * @dim: the device, its scheduler stopped and unplugging set
 *
 * The objects stay (open files hold them) but no mapping for the engine
 * outlives the device; move_notify maps nothing any more.
 */
void dim_unmap_objects(struct dim_device *dim)
{
	struct dim_import_bo *bo;

	mutex_lock(&dim->objects_lock);
	list_for_each_entry(bo, &dim->imports, link) {
		dma_resv_lock(bo->base.resv, NULL);
		if (bo->sgt)
			dma_buf_unmap_attachment(bo->base.import_attach, bo->sgt,
						 dim_import_dir(&bo->base));
		bo->sgt = NULL;
		bo->in_use = false;
		dma_resv_unlock(bo->base.resv);
	}
	mutex_unlock(&dim->objects_lock);
	dim_unmap_locals(dim);
}

/**
 * dim_bo_map_locked() - map an imported object for the engine
 * @obj: an imported object, its reservation lock held
 *
 * The mapping stays until move_notify drops it.
 *
 * Return: the table, or an ERR_PTR: -ENODEV while the exporter has
 * revoked the memory.
 */
struct sg_table *dim_bo_map_locked(struct drm_gem_object *obj)
{
	struct dim_import_bo *bo = to_import_bo(obj);
	struct sg_table *sgt;

	dma_resv_assert_held(obj->resv);
	if (bo->sgt)
		return bo->sgt;

	sgt = dma_buf_map_attachment(obj->import_attach, dim_import_dir(obj));
	bo->revoked = PTR_ERR_OR_ZERO(sgt) == -ENODEV;
	if (IS_ERR(sgt))
		return sgt;
	bo->sgt = sgt;
	bo->maps++;
	bo->in_use = true;
	return sgt;
}

int dim_ioctl_bo_create(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_import_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	int ret;

	if (args->flags || !args->size || args->size > DIM_MAX_LOCAL_SIZE)
		return -EINVAL;

	shmem = drm_gem_shmem_create(drm, PAGE_ALIGN(args->size));
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);

	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	drm_gem_object_put(&shmem->base);
	return ret;
}

int dim_ioctl_bo_mmap_offset(struct drm_device *drm, void *data,
			     struct drm_file *file)
{
	struct drm_import_bo_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return ret;
}

int dim_ioctl_bo_info(struct drm_device *drm, void *data,
		      struct drm_file *file)
{
	struct drm_import_bo_info *args = data;
	struct drm_gem_object *obj;
	struct dim_import_bo *bo;
	int ret = 0;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	args->size = obj->size;
	args->state = 0;
	args->invalidations = 0;
	args->maps = 0;
	if (!dim_bo_is_imported(obj)) {
		args->kind = DRM_IMPORT_BO_KIND_LOCAL;
		goto out;
	}

	args->kind = DRM_IMPORT_BO_KIND_IMPORTED;
	bo = to_import_bo(obj);
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out;
	if (bo->sgt)
		args->state |= DRM_IMPORT_BO_STATE_MAPPED;
	if (bo->revoked)
		args->state |= DRM_IMPORT_BO_STATE_REVOKED;
	args->invalidations = bo->invalidations;
	args->maps = bo->maps;
	dma_resv_unlock(obj->resv);
out:
	drm_gem_object_put(obj);
	return ret;
}
