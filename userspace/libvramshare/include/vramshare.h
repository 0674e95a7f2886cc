/* SPDX-License-Identifier: MIT */
/*
 * libvramshare: share GPU VRAM between devices as dma-bufs.
 *
 * An exporter is a PCI device bound to vfio-pci-dmabuf (or to a vfio-pci
 * that has upstream's VFIO_DEVICE_FEATURE_DMA_BUF); ranges of its BARs
 * become dma-buf file descriptors. An importer is a DRM device driven by
 * drm-import; it turns dma-bufs into objects its engine copies between.
 *
 * Every call returns 0 (or a non-negative count) on success and -errno on
 * failure; nothing is printed and no global state is kept. Handles are
 * opaque; each is used by one thread at a time.
 */
#ifndef VRAMSHARE_H
#define VRAMSHARE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An exporting device, opened through vfio. */
struct vrs_device;

/* An importing DRM device (drm-import render node). */
struct vrs_importer;

/* One page-aligned slice of a BAR. */
struct vrs_range {
	uint64_t offset;
	uint64_t length;
};

/* What an importer object is and what happened to its mapping. */
struct vrs_bo_info {
	uint64_t size;
	int imported;		/* 1: a dma-buf import, 0: local memory */
	int mapped;		/* the engine holds a mapping now */
	uint64_t invalidations;	/* move_notify calls from the exporter */
	uint64_t maps;		/* mappings made for the engine */
};

/* A job for an importer's engine (vrs_submit). */
enum vrs_job_op {
	VRS_JOB_COPY = 1,	/* src -> dst */
	VRS_JOB_FILL = 2,	/* fill_value repeated over dst */
};

/* vrs_job.flags: fail with -ENODEV rather than wait for a restore. */
#define VRS_JOB_NO_WAIT 0x1

struct vrs_job {
	enum vrs_job_op op;
	uint32_t flags;		/* VRS_JOB_* */
	uint32_t dst;		/* object written */
	uint64_t dst_offset;
	uint32_t src;		/* copies: object read */
	uint64_t src_offset;
	uint64_t size;		/* bytes, not 0 */
	uint32_t fill_value;	/* fills: 32-bit pattern, little endian */
	uint32_t timeout_ms;	/* bound on the job's life; 0: default */
	int in_fence_fd;	/* sync_file to wait for, or -1 */
	uint32_t in_syncobj;	/* drm_syncobj to wait for, or 0 */
	uint32_t out_syncobj;	/* drm_syncobj to signal, or 0 */
};

/* State of an exported dma-buf (vfio-pci-dmabuf extension). */
enum vrs_dmabuf_state_kind {
	VRS_DMABUF_LIVE = 0,
	VRS_DMABUF_REVOKED = 1,	/* until the exporter restores it */
	VRS_DMABUF_GONE = 2,	/* for good */
};

struct vrs_dmabuf_state {
	enum vrs_dmabuf_state_kind state;
	uint64_t generation;	/* state transitions so far */
	uint32_t version;	/* the driver's extension uAPI version */
};

/* Exporter: vfio device ------------------------------------------------ */

int vrs_device_open(const char *pci_address, struct vrs_device **devp);
void vrs_device_close(struct vrs_device *dev);
int vrs_device_fd(const struct vrs_device *dev);
const char *vrs_device_address(const struct vrs_device *dev);
int vrs_device_bar_size(struct vrs_device *dev, unsigned int bar,
			uint64_t *size);
int vrs_device_map_bar(struct vrs_device *dev, unsigned int bar,
		       void **addr, uint64_t *size);
int vrs_device_unmap_bar(struct vrs_device *dev, void *addr, uint64_t size);
int vrs_device_reset(struct vrs_device *dev);
int vrs_device_hot_reset(struct vrs_device *dev);
int vrs_export(struct vrs_device *dev, unsigned int bar,
	       const struct vrs_range *ranges, unsigned int nr_ranges,
	       int open_flags, int *dmabuf_fd);
int vrs_export_supported(struct vrs_device *dev);
int vrs_device_set_memory_decode(struct vrs_device *dev, int enable);

/* Exporter extensions (vfio-pci-dmabuf) -------------------------------- */

int vrs_dmabuf_ctl_supported(struct vrs_device *dev);
int vrs_dmabuf_query(struct vrs_device *dev, int dmabuf_fd,
		     struct vrs_dmabuf_state *state);
int vrs_dmabuf_revoke(struct vrs_device *dev, int dmabuf_fd);
int vrs_dmabuf_set_eventfd(struct vrs_device *dev, int dmabuf_fd,
			   int eventfd);
int vrs_dmabuf_set_write_combine(struct vrs_device *dev, int dmabuf_fd,
				 int enable);

/* Importer: drm-import render node ------------------------------------- */

int vrs_importer_open(const char *path, struct vrs_importer **impp);
void vrs_importer_close(struct vrs_importer *imp);
int vrs_importer_fd(const struct vrs_importer *imp);
int vrs_import(struct vrs_importer *imp, int dmabuf_fd, uint32_t *handle);
int vrs_bo_create(struct vrs_importer *imp, uint64_t size, uint32_t *handle);
int vrs_bo_mmap(struct vrs_importer *imp, uint32_t handle, uint64_t size,
		void **addr);
int vrs_bo_info(struct vrs_importer *imp, uint32_t handle,
		struct vrs_bo_info *info);
int vrs_bo_close(struct vrs_importer *imp, uint32_t handle);
int vrs_copy(struct vrs_importer *imp, uint32_t dst, uint64_t dst_offset,
	     uint32_t src, uint64_t src_offset, uint64_t size);
int vrs_submit(struct vrs_importer *imp, const struct vrs_job *job,
	       int *out_fence_fd);
int vrs_bo_wait(struct vrs_importer *imp, uint32_t handle, int64_t timeout_ns);
int vrs_fence_wait(int fence_fd, int timeout_ms);

/* Discovery ------------------------------------------------------------ */

int vrs_find_exporter(char *pci_address, size_t len);
int vrs_find_importer(char *path, size_t len);
int vrs_pci_address_parse(const char *text, char *canonical, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* VRAMSHARE_H */
