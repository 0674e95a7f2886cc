/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One spelling for kernel interfaces that moved between the releases
 * vramshare builds on (6.1 up to 7.1); the VRS_HAVE_* macros come from the
 * header probes in kernel/compat.mk.
 */
#ifndef VRAMSHARE_COMPAT_H
#define VRAMSHARE_COMPAT_H

#include <linux/dma-buf.h>
#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/module.h>

/* 7.1 renamed move_notify to invalidate_mappings. */
#ifdef VRS_HAVE_DMA_BUF_INVALIDATE_MAPPINGS
#define vrs_dma_buf_invalidate(dmabuf)	dma_buf_invalidate_mappings(dmabuf)
#define vrs_importer_invalidate		invalidate_mappings
#else
#define vrs_dma_buf_invalidate(dmabuf)	dma_buf_move_notify(dmabuf)
#define vrs_importer_invalidate		move_notify
#endif

/* 6.13 made the namespace a string. */
#ifdef VRS_HAVE_MODULE_IMPORT_NS_STRING
#define VRS_MODULE_IMPORT_DMA_BUF()	MODULE_IMPORT_NS("DMA_BUF")
#else
#define VRS_MODULE_IMPORT_DMA_BUF()	MODULE_IMPORT_NS(DMA_BUF)
#endif

/* 6.3 made vm_flags read-only outside the helpers. */
static inline void vrs_vm_flags_set(struct vm_area_struct *vma,
				    unsigned long flags)
{
#ifdef VRS_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void vrs_vm_flags_clear(struct vm_area_struct *vma,
				      unsigned long flags)
{
#ifdef VRS_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* 6.8 dropped eventfd_signal()'s count. */
static inline void vrs_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef VRS_HAVE_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* 6.8 renamed PCI_IRQ_LEGACY to PCI_IRQ_INTX (and 6.10 dropped the old name). */
#ifndef VRS_HAVE_PCI_IRQ_INTX
#define PCI_IRQ_INTX	PCI_IRQ_LEGACY
#endif

/* 6.14 dropped drm_driver.date. */
#ifdef VRS_HAVE_DRM_DRIVER_DATE
#define VRS_DRM_DRIVER_DATE(d)	.date = (d),
#else
#define VRS_DRM_DRIVER_DATE(d)
#endif

/*
 * 6.6 dropped drm_driver.gem_prime_mmap: PRIME mmap goes through the
 * object's mmap by itself.
 */
#ifdef VRS_HAVE_DRM_GEM_PRIME_MMAP
#define VRS_DRM_GEM_PRIME_MMAP	.gem_prime_mmap = drm_gem_prime_mmap,
#else
#define VRS_DRM_GEM_PRIME_MMAP
#endif

/*
 * From 6.2 vfio_device_ops carries iommufd callbacks, required from 6.4
 * when iommufd is built, detach_ioas from 6.6; without CONFIG_IOMMUFD the
 * helpers are NULL. A PCI variant driver uses the physical-device ones.
 */
#ifdef VRS_HAVE_VFIO_IOMMUFD_DETACH
#define VRS_VFIO_IOMMUFD_DETACH_OP \
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#else
#define VRS_VFIO_IOMMUFD_DETACH_OP
#endif
#ifdef VRS_HAVE_VFIO_IOMMUFD
#define VRS_VFIO_IOMMUFD_OPS \
	.bind_iommufd	= vfio_iommufd_physical_bind, \
	.unbind_iommufd	= vfio_iommufd_physical_unbind, \
	.attach_ioas	= vfio_iommufd_physical_attach_ioas, \
	VRS_VFIO_IOMMUFD_DETACH_OP
#else
#define VRS_VFIO_IOMMUFD_OPS
#endif

/*
 * drm_sched (gpu-sched) moved between 6.1 and 6.12: jobs got credits (6.8)
 * and a client id (6.14, in Debian's 6.12 too), the dependency callback
 * became prepare_job (6.2), the init arguments gained the number of run
 * queues, submission became a workqueue that can be paused (6.8), and
 * 6.17 renamed the timeout handler's NOMINAL status RESET. One job takes
 * one credit here. drm_sched_init() with a struct of arguments is in both
 * Debian kernels (backported to 6.1), not in upstream 6.2 to 6.14.
 */
#ifdef VRS_HAVE_DRM_SCHED_CLIENT_ID
#define vrs_drm_sched_job_init(job, entity, owner, file) \
	drm_sched_job_init(job, entity, 1, owner, (file)->client_id)
#elif defined(VRS_HAVE_DRM_SCHED_JOB_CREDITS)
#define vrs_drm_sched_job_init(job, entity, owner, file) \
	drm_sched_job_init(job, entity, 1, owner)
#else
#define vrs_drm_sched_job_init(job, entity, owner, file) \
	drm_sched_job_init(job, entity, owner)
#endif

#ifdef VRS_HAVE_DRM_SCHED_PREPARE_JOB
#define VRS_DRM_SCHED_DEPENDENCY_OP(fn)	.prepare_job = (fn),
#else
#define VRS_DRM_SCHED_DEPENDENCY_OP(fn)	.dependency = (fn),
#endif

#ifdef VRS_HAVE_DRM_SCHED_NUM_RQS
#define VRS_DRM_SCHED_NUM_RQS	.num_rqs = DRM_SCHED_PRIORITY_COUNT,
#else
#define VRS_DRM_SCHED_NUM_RQS
#endif

#ifndef VRS_HAVE_DRM_GPU_SCHED_STAT_NOMINAL
#define DRM_GPU_SCHED_STAT_NOMINAL	DRM_GPU_SCHED_STAT_RESET
#endif

#endif /* VRAMSHARE_COMPAT_H */
