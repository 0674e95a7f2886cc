# SPDX-License-Identifier: GPL-2.0-only
# Compile-time probes of kernel interfaces that moved between releases,
# done the way out-of-tree modules do: by looking at the headers of the
# kernel being built against. Each found interface defines a VRS_HAVE_*
# macro that kernel/include/vramshare_compat.h turns into one spelling.
vrs_probe = $(shell grep -qsE '$(2)' $(srctree)/$(1) && echo -DVRS_HAVE_$(3))

ccflags-y += $(call vrs_probe,include/linux/dma-buf.h,dma_buf_invalidate_mappings,DMA_BUF_INVALIDATE_MAPPINGS)
ccflags-y += $(call vrs_probe,include/linux/module.h,MODULE_INFO\(import_ns$(comma) ns\),MODULE_IMPORT_NS_STRING)
ccflags-y += $(call vrs_probe,include/linux/mm.h,void vm_flags_set,VM_FLAGS_SET)
ccflags-y += $(call vrs_probe,include/linux/eventfd.h,void eventfd_signal\(struct eventfd_ctx \*ctx\),EVENTFD_SIGNAL_NO_COUNT)
ccflags-y += $(call vrs_probe,include/uapi/linux/vfio.h,define VFIO_DEVICE_FEATURE_DMA_BUF,UPSTREAM_VFIO_DMA_BUF)
ccflags-y += $(call vrs_probe,include/drm/drm_drv.h,\(\*gem_prime_mmap\),DRM_GEM_PRIME_MMAP)
ccflags-y += $(call vrs_probe,include/linux/pci.h,define PCI_IRQ_INTX,PCI_IRQ_INTX)
ccflags-y += $(call vrs_probe,include/drm/drm_drv.h,char \*date;,DRM_DRIVER_DATE)
ccflags-y += $(call vrs_probe,include/linux/vfio.h,vfio_iommufd_physical_bind,VFIO_IOMMUFD)
ccflags-y += $(call vrs_probe,include/linux/vfio.h,vfio_iommufd_physical_detach_ioas,VFIO_IOMMUFD_DETACH)
ccflags-y += $(call vrs_probe,include/drm/gpu_scheduler.h,u32 credits$(comma) void \*owner,DRM_SCHED_JOB_CREDITS)
ccflags-y += $(call vrs_probe,include/drm/gpu_scheduler.h,u64 drm_client_id.;,DRM_SCHED_CLIENT_ID)
ccflags-y += $(call vrs_probe,include/drm/gpu_scheduler.h,\(\*prepare_job\),DRM_SCHED_PREPARE_JOB)
ccflags-y += $(call vrs_probe,include/drm/gpu_scheduler.h,u32 num_rqs;,DRM_SCHED_NUM_RQS)
ccflags-y += $(call vrs_probe,include/drm/gpu_scheduler.h,DRM_GPU_SCHED_STAT_NOMINAL,DRM_GPU_SCHED_STAT_NOMINAL)
ccflags-y += $(call vrs_probe,include/drm/gpu_scheduler.h,void drm_sched_wqueue_stop,DRM_SCHED_WQUEUE)
vrs_kernel_dir := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
ccflags-y += -I$(vrs_kernel_dir)/include

# The project's one version (VERSION), as MODULE_VERSION.
vrs_version := $(shell cat $(vrs_kernel_dir)/../VERSION 2>/dev/null)
ifeq ($(vrs_version),)
$(error vramshare: no VERSION file in $(abspath $(vrs_kernel_dir)/..))
endif
ccflags-y += -DVRAMSHARE_VERSION=\"$(vrs_version)\"
