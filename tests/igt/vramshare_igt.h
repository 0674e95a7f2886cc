/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the vramshare igt tests: finding and opening GPU A
 * (the exporter, through vfio) and GPU B (the drm-import importer), and
 * filling and checking buffers.
 */
#ifndef VRAMSHARE_IGT_HELPERS_H
#define VRAMSHARE_IGT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vramshare.h"

/* The devices a test works with. */
struct vs_gpus {
	struct vrs_device *a;		/* exporter */
	struct vrs_importer *b;		/* importer */
	char a_address[16];
	char b_node[64];
	unsigned int vram_bar;		/* GPU A's VRAM BAR */
	uint8_t *vram;			/* that BAR, mapped */
	uint64_t vram_size;
};

/* GPU A's VRAM BAR: VRAMSHARE_VRAM_BAR (the topology sets it), else 0. */
unsigned int vs_vram_bar(void);

/* Opens GPU A (skips when absent); VRAMSHARE_EXPORTER overrides the search. */
void vs_open_exporter(struct vs_gpus *g);
/* Opens GPU B (skips when absent); VRAMSHARE_IMPORTER overrides the search. */
void vs_open_importer(struct vs_gpus *g);
void vs_close(struct vs_gpus *g);
/* Unmaps and closes GPU A's vfio device only (its dma-bufs go for good). */
void vs_close_exporter(struct vs_gpus *g);

/* Raw VFIO_DEVICE_FEATURE_DMA_BUF: the fd, or -errno. */
int vs_export_raw(int device_fd, uint32_t feature_flags, uint32_t region,
		  uint32_t open_flags, uint32_t flags, uint32_t nr_ranges,
		  const struct vrs_range *ranges, uint32_t argsz_cut);
/* Exports one range of the VRAM BAR and imports it on GPU B; returns the handle. */
uint32_t vs_export_import(struct vs_gpus *g, uint64_t offset, uint64_t len,
			  int *dmabuf_fd);
/* The same for any BAR; the dma-buf fd is closed (the import keeps it). */
uint32_t vs_export_import_bar(struct vs_gpus *g, unsigned int bar,
			      uint64_t offset, uint64_t len);
/* A device bound to vfio-pci-dmabuf whose class (base, sub) is @class. */
int vs_find_by_class(unsigned int class, char *address, size_t len);

/*
 * One dma-buf of @len bytes at @offset in GPU A's VRAM BAR, imported on GPU B,
 * and a local buffer of GPU B of the same size, mapped.
 */
struct vs_shared {
	int fd;			/* the dma-buf */
	uint32_t handle;	/* its import on GPU B */
	uint32_t local;		/* the local buffer */
	uint8_t *local_map;
	uint64_t offset, len;
};

void vs_shared_open(struct vs_gpus *g, struct vs_shared *s, uint64_t offset,
		    uint64_t len);
void vs_shared_close(struct vs_gpus *g, struct vs_shared *s);
/* Fills the VRAM behind the dma-buf, copies it to the local buffer, checks. */
void vs_shared_copy_check(struct vs_gpus *g, struct vs_shared *s,
			  uint32_t seed);

/* Deterministic bytes: the same seed gives the same pattern. */
void vs_fill(volatile uint8_t *p, size_t len, uint32_t seed);
/* Index of the first byte that differs from the pattern, or -1. */
long vs_check(const volatile uint8_t *p, size_t len, uint32_t seed);
void vs_set(volatile uint8_t *p, uint8_t value, size_t len);
long vs_check_value(const volatile uint8_t *p, uint8_t value, size_t len);

/* Opens the first render node of DRM driver @name; -errno if none. */
int vs_open_drm_driver(const char *name);
/* The same for its primary node (vgem creates objects only there). */
int vs_open_drm_primary(const char *name);
/* vgem's primary or render node, loading the module when it is one. */
int vs_open_vgem(bool primary);

/* Writes @value to @dir/@file (sysfs); fails the test on error. */
void vs_write_file(const char *dir, const char *file, const char *value);

/*
 * drm-import maps an import it was using again from a worker after the
 * exporter's restore: waits up to 5 s for @handle to be mapped.
 */
bool vs_wait_mapped(struct vrs_importer *imp, uint32_t handle);

/* Largest transfer of the rig's engine (edu): jobs are cut into these. */
#define VS_ENGINE_TRANSFER	2048

/* Path of drm-import's debugfs file @file for GPU B. */
void vs_importer_debugfs(const struct vs_gpus *g, const char *file,
			 char *path, size_t len);
/* A job counter (completed, failed, canceled, ...) from GPU B's debugfs. */
long long vs_job_counter(const struct vs_gpus *g, const char *name);

/* Reads a (small) text file, NUL-terminated; fails the test on error. */
char *vs_read_text(const char *path, char *buf, size_t len);

/*
 * The kernel log from a point on: vs_kmsg_mark() is the sequence number
 * of the newest record now; the others look only at records after @mark,
 * so that lines an earlier subtest caused do not count.
 */
uint64_t vs_kmsg_mark(void);
/* How many kernel log records after @mark contain both @a and @b. */
int vs_kmsg_count(uint64_t mark, const char *a, const char *b);
bool vs_kmsg_contains(uint64_t mark, const char *a, const char *b);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vs_now_ns(void);
/* Reads a byte in a child: 0 if it worked, else the signal that killed it. */
int vs_touch_in_child(volatile uint8_t *p);
/* A shared read-write CPU mapping of a dma-buf; fails the test on error. */
uint8_t *vs_mmap_dmabuf(int fd, uint64_t len);
/*
 * Sends @command to QEMU's monitor through the rig's relay (skips outside
 * the rig): the request file is renamed into place whole, and disappears
 * once the command went to QEMU.
 */
void vs_qemu_monitor(const char *command);

/*
 * An eventfd that vfio signals when it asks the user to release @dev
 * (unbind, removal): VFIO_PCI_REQ_IRQ_INDEX.
 */
int vs_request_eventfd(struct vrs_device *dev);

/* Do A and B sit below a common PCI bridge (a switch)? */
bool vs_share_switch(const struct vs_gpus *g);

/*
 * How B should reach A: "bus-address", "host-bridge" or "refused", as the
 * rig topology states it (VRAMSHARE_EXPECT_ROUTE); without it, derived
 * from the hierarchy: a common switch means bus addresses, none refusal.
 */
const char *vs_expected_route(const struct vs_gpus *g);
bool vs_p2p_possible(const struct vs_gpus *g);

#endif /* VRAMSHARE_IGT_HELPERS_H */
