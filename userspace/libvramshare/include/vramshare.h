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

#include "vramshare_version.h"

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

/*
 * Structs passed to or filled by the library start with struct_size: the
 * caller sets it to sizeof() of the struct it was compiled with. The
 * library reads or fills that many bytes at most, so a struct grows at its
 * end without new symbols. A struct_size smaller than the struct's first
 * version is refused with -EINVAL.
 */

/**
 * struct vrs_bo_info - what an importer object is and what happened to its
 * mapping (vrs_bo_info())
 * @struct_size: in: sizeof(struct vrs_bo_info); out: the bytes filled
 * @imported: 1: a dma-buf import, 0: local memory
 * @mapped: the engine holds a mapping now
 * @revoked: the last attempt to map it found the exporter's memory revoked
 * @size: bytes
 * @invalidations: move_notify calls from the exporter
 * @maps: mappings made for the engine
 */
struct vrs_bo_info {
	uint32_t struct_size;
	int imported;
	int mapped;
	int revoked;
	uint64_t size;
	uint64_t invalidations;
	uint64_t maps;
};

/* A job for an importer's engine (vrs_submit). */
enum vrs_job_op {
	VRS_JOB_COPY = 1,	/* src -> dst */
	VRS_JOB_FILL = 2,	/* fill_value repeated over dst */
};

/* vrs_job.flags: fail with -ENODEV rather than wait for a restore. */
#define VRS_JOB_NO_WAIT		0x1
/* vrs_job.flags: wait for the sync_file in_fence_fd first. */
#define VRS_JOB_IN_FENCE_FD	0x2

/**
 * struct vrs_job - a job for vrs_submit(); in every optional member, zero
 * means none (or the default)
 * @struct_size: sizeof(struct vrs_job)
 * @op: enum vrs_job_op
 * @flags: VRS_JOB_*
 * @dst: the object written
 * @fill_value: fills: 32-bit pattern, little endian
 * @dst_offset: where in @dst
 * @src: copies: the object read
 * @src_offset: copies: where in @src
 * @size: bytes, not 0
 * @timeout_ms: bound on the job's life; 0: the driver's default
 * @in_fence_fd: with VRS_JOB_IN_FENCE_FD, a sync_file to wait for; else 0
 * @in_syncobj: a drm_syncobj to wait for, or 0
 * @out_syncobj: a drm_syncobj to signal, or 0
 */
struct vrs_job {
	uint32_t struct_size;
	enum vrs_job_op op;
	uint32_t flags;
	uint32_t dst;
	uint64_t dst_offset;
	uint32_t src;
	uint32_t fill_value;
	uint64_t src_offset;
	uint64_t size;
	uint32_t timeout_ms;
	int in_fence_fd;
	uint32_t in_syncobj;
	uint32_t out_syncobj;
};

/* State of an exported dma-buf (vfio-pci-dmabuf extension). */
enum vrs_dmabuf_state_kind {
	VRS_DMABUF_LIVE = 0,
	VRS_DMABUF_REVOKED = 1,	/* until the exporter restores it */
	VRS_DMABUF_GONE = 2,	/* for good */
};

/**
 * struct vrs_dmabuf_state - an exported dma-buf's state (vrs_dmabuf_query())
 * @struct_size: in: sizeof(struct vrs_dmabuf_state); out: the bytes filled
 * @state: enum vrs_dmabuf_state_kind
 * @generation: state transitions so far
 * @version: the driver's extension uAPI version
 * @reserved: 0
 */
struct vrs_dmabuf_state {
	uint32_t struct_size;
	enum vrs_dmabuf_state_kind state;
	uint64_t generation;
	uint32_t version;
	uint32_t reserved;
};

/*
 * VRS_HAS_FIELD(s, field): does *s, a structure that starts with
 * struct_size, reach to the end of field?
 */
#define VRS_HAS_FIELD(s, field) \
	((s)->struct_size >= offsetof(__typeof__(*(s)), field) + \
	 sizeof((s)->field))

/* Importers a broker listing names per dma-buf; more are only counted. */
#define VRS_BROKER_MAX_ATTACHMENTS 4

/** enum vrs_route - how an importing device reaches the exporter's BAR */
enum vrs_route {
	VRS_ROUTE_BUS_ADDRESS = 1,	/* below a common PCIe switch */
	VRS_ROUTE_HOST_BRIDGE = 2,	/* through the host bridge */
};

/**
 * struct vrs_attachment - an importer attached to an exported dma-buf
 *                         (vrs_dmabuf_attachments())
 * @device: the importing device's name (a PCI address for PCI devices),
 *          NUL-terminated
 * @driver: the driver it is bound to, NUL-terminated
 * @route: enum vrs_route
 * @mappings: DMA mappings of the dma-buf it holds now
 * @reserved: 0
 */
struct vrs_attachment {
	char device[32];
	char driver[32];
	uint32_t route;
	uint32_t mappings;
	uint64_t reserved;
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
int vrs_device_bar_read(struct vrs_device *dev, unsigned int bar,
			uint64_t offset, void *buf, size_t len);
int vrs_device_bar_write(struct vrs_device *dev, unsigned int bar,
			 uint64_t offset, const void *buf, size_t len);

/* Exporter extensions (vfio-pci-dmabuf) -------------------------------- */

int vrs_dmabuf_ctl_supported(struct vrs_device *dev);
int vrs_dmabuf_query(struct vrs_device *dev, int dmabuf_fd,
		     struct vrs_dmabuf_state *state);
int vrs_dmabuf_revoke(struct vrs_device *dev, int dmabuf_fd);
int vrs_dmabuf_set_eventfd(struct vrs_device *dev, int dmabuf_fd,
			   int eventfd);
int vrs_dmabuf_set_write_combine(struct vrs_device *dev, int dmabuf_fd,
				 int enable);
int vrs_dmabuf_attachments(struct vrs_device *dev, int dmabuf_fd,
			   struct vrs_attachment *list, unsigned int max,
			   unsigned int *count);

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

/* Broker client: buffers from vramshared ------------------------------- */

/*
 * A connection to vramshared, which owns the exporting devices and hands
 * out ranges of their VRAM as dma-bufs under its access policy; see
 * vrs_broker_connect(3) and docs/broker.md.
 *
 * Its structs start with struct_size too (see the top of this file).
 */
struct vrs_broker;

/* A dma-buf the broker handed to this connection. */
struct vrs_buffer;

/* Where vramshared listens by default ($VRAMSHARE_SOCKET overrides it). */
#define VRS_BROKER_DEFAULT_SOCKET "/run/vramshare/broker.sock"

/* vrs_broker_connect() flags: get the events of every holder (admins). */
#define VRS_BROKER_WATCH	0x1u

/* Buffer flags: in vrs_broker_alloc() and _open(), and in vrs_buffer_info. */
#define VRS_BUFFER_READ_ONLY	0x1u	/* no writable mapping; drm-import never writes it */
#define VRS_BUFFER_OWNER	0x2u	/* info: this connection allocated it */
#define VRS_BUFFER_EVENTS	0x4u	/* info: revoke/restore events come */
#define VRS_BUFFER_ATTACHMENTS	0x8u	/* listing: importers known (0.5.0) */

/* A buffer's state: vrs_buffer_info.state and vrs_event.state. */
enum vrs_buffer_state {
	VRS_BUFFER_LIVE = 0,
	VRS_BUFFER_REVOKED = 1,	/* the exporter resets; restored after */
	VRS_BUFFER_GONE = 2,	/* revoked for good: freed, or broker lost */
};

/**
 * struct vrs_buffer_info - what a buffer is
 * @struct_size: in: sizeof(struct vrs_buffer_info)
 * @flags: VRS_BUFFER_*
 * @id: this connection's number for it
 * @token: what another process passes to vrs_broker_open() to share it
 * @size: bytes
 * @offset: where it starts in the device's BAR
 * @device: the device's name in the broker ("gpu0")
 * @state: enum vrs_buffer_state, as last reported
 * @reserved: 0
 * @generation: state transitions so far, as last reported
 */
struct vrs_buffer_info {
	uint32_t struct_size;
	uint32_t flags;
	uint64_t id;
	uint64_t token;
	uint64_t size;
	uint64_t offset;
	char device[32];
	uint32_t state;
	uint32_t reserved;
	uint64_t generation;
};

/**
 * struct vrs_broker_device - a device the broker shares
 * @struct_size: sizeof(struct vrs_broker_device) as the library has it
 * @flags: VRS_BROKER_DEVICE_REVOKE, VRS_BROKER_DEVICE_CLEARING
 * @name: its name ("gpu0")
 * @address: its PCI address
 * @bar: the BAR it allocates from
 * @buffers: allocations on it
 * @bar_size: bytes of the BAR
 * @free: bytes free
 * @largest_free: the largest allocation possible now
 */
struct vrs_broker_device {
	uint32_t struct_size;
	uint32_t flags;
	char name[32];
	char address[16];
	uint32_t bar;
	uint32_t buffers;
	uint64_t bar_size;
	uint64_t free;
	uint64_t largest_free;
};
/* The exporter revokes single dma-bufs: freed ranges are reused. */
#define VRS_BROKER_DEVICE_REVOKE	0x1u
/*
 * Some free VRAM is not cleared yet (the broker clears it ahead while
 * idle): an allocation there clears its range first (since 0.5.0).
 */
#define VRS_BROKER_DEVICE_CLEARING	0x2u

/**
 * struct vrs_broker_export - a dma-buf the broker handed out (listing)
 * @struct_size: sizeof(struct vrs_broker_export) as the library has it
 * @flags: VRS_BUFFER_*
 * @id: its id in its holder's connection
 * @client_id: its holder's connection
 * @uid: its holder's user
 * @pid: its holder's process
 * @device: the device's name
 * @offset: start in the BAR
 * @size: bytes
 * @state: enum vrs_buffer_state
 * @nr_attachments: importers attached to it now, when @flags has
 *                  VRS_BUFFER_ATTACHMENTS (the exporter lists them); else 0
 *                  (before 0.5.0 this was reserved, 0)
 * @attachments: the first min(@nr_attachments, VRS_BROKER_MAX_ATTACHMENTS)
 *               of them
 *
 * The library fills the structure up to its own @struct_size, which it
 * sets: a program built against a newer header than the library it runs
 * with reads a field only if VRS_HAS_FIELD(e, field) says it is there.
 */
struct vrs_broker_export {
	uint32_t struct_size;
	uint32_t flags;
	uint64_t id;
	uint64_t client_id;
	uint32_t uid;
	uint32_t pid;
	char device[32];
	uint64_t offset;
	uint64_t size;
	uint32_t state;
	uint32_t nr_attachments;
	struct vrs_attachment attachments[VRS_BROKER_MAX_ATTACHMENTS];
};

/**
 * struct vrs_event - a buffer changed state
 * @struct_size: sizeof(struct vrs_event) as the library has it
 * @state: enum vrs_buffer_state
 * @buffer_id: the buffer's id in its holder's connection
 * @client_id: the holder's connection (differs for a watcher)
 * @generation: state transitions so far
 */
struct vrs_event {
	uint32_t struct_size;
	uint32_t state;
	uint64_t buffer_id;
	uint64_t client_id;
	uint64_t generation;
};

/* @buffer: this connection's buffer, NULL for another holder's (watch). */
typedef void (*vrs_event_fn)(struct vrs_broker *broker,
			     struct vrs_buffer *buffer,
			     const struct vrs_event *event, void *data);
/* Listings: return 0 to go on, anything else to stop with it. */
typedef int (*vrs_export_fn)(const struct vrs_broker_export *export,
			     void *data);
typedef int (*vrs_device_fn)(const struct vrs_broker_device *device,
			     void *data);

int vrs_broker_connect(const char *socket_path, uint32_t flags,
		       struct vrs_broker **brokerp);
void vrs_broker_close(struct vrs_broker *broker);
int vrs_broker_fd(const struct vrs_broker *broker);
int vrs_broker_is_admin(const struct vrs_broker *broker);
/* Why the broker refused the last request that failed ("" if none). */
const char *vrs_broker_error(const struct vrs_broker *broker);
int vrs_broker_devices(struct vrs_broker *broker, vrs_device_fn fn,
		       void *data);
int vrs_broker_exports(struct vrs_broker *broker, vrs_export_fn fn,
		       void *data);
int vrs_broker_alloc(struct vrs_broker *broker, const char *device,
		     uint64_t size, uint64_t align, uint32_t flags,
		     struct vrs_buffer **bufferp);
int vrs_broker_open(struct vrs_broker *broker, uint64_t token,
		    uint32_t flags, struct vrs_buffer **bufferp);
int vrs_broker_free(struct vrs_broker *broker, struct vrs_buffer *buffer);
int vrs_broker_free_token(struct vrs_broker *broker, uint64_t token);
int vrs_broker_reset(struct vrs_broker *broker, const char *device);
int vrs_broker_dispatch(struct vrs_broker *broker, vrs_event_fn fn,
			void *data);
int vrs_buffer_fd(const struct vrs_buffer *buffer);
int vrs_buffer_info(const struct vrs_buffer *buffer,
		    struct vrs_buffer_info *info);
int vrs_buffer_mmap(struct vrs_buffer *buffer, int prot, void **addr);
int vrs_buffer_prime_import(const struct vrs_buffer *buffer, int drm_fd,
			    uint32_t *handle);

/* Discovery ------------------------------------------------------------ */

int vrs_find_exporter(char *pci_address, size_t len);
int vrs_find_importer(char *path, size_t len);
int vrs_pci_address_parse(const char *text, char *canonical, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* VRAMSHARE_H */
