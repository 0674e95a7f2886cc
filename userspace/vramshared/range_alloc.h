/* SPDX-License-Identifier: MIT */
/*
 * range_alloc: sub-allocation of one BAR's VRAM, for the broker.
 *
 * Ranges are handed out in whole granules (the page size: each range
 * becomes a dma-buf, whose size and offset the exporter wants
 * page-aligned) at a requested power-of-two alignment.
 *
 * The choice: segregated good fit with immediate coalescing, the scheme
 * of TLSF and of drm_mm's best-fit mode. Free ranges ("holes") sit in one
 * list per power-of-two size class; a request scans the class of its
 * size for the smallest hole that fits once aligned, then the classes
 * above, where any hole fits. Small requests so come out of small holes
 * and large holes stay whole, which first fit (the first hole in address
 * order that fits) does not do: it splits the big hole at the bottom for
 * every small request. A freed range merges at once with free neighbours,
 * so two holes are never adjacent, and the padding an alignment leaves in
 * front of a range stays a hole of its own for smaller requests.
 *
 * Every call returns 0 or a negative errno. Not thread-safe: the broker
 * serialises calls on one allocator.
 */
#ifndef VRAMSHARED_RANGE_ALLOC_H
#define VRAMSHARED_RANGE_ALLOC_H

#include <stdint.h>

struct vrs_range_alloc;

/**
 * struct vrs_range_stats - what an allocator holds
 * @size: bytes managed
 * @used: bytes allocated
 * @free: bytes free
 * @largest_free: the largest hole, in bytes
 * @holes: number of holes
 * @ranges: number of allocated ranges
 */
struct vrs_range_stats {
	uint64_t size;
	uint64_t used;
	uint64_t free;
	uint64_t largest_free;
	unsigned int holes;
	unsigned int ranges;
};

/*
 * An allocator of [0, size): @granule a power of two, @size a non-zero
 * multiple of it. -EINVAL otherwise, -ENOMEM.
 */
int vrs_range_alloc_create(uint64_t size, uint64_t granule,
			   struct vrs_range_alloc **rap);
void vrs_range_alloc_destroy(struct vrs_range_alloc *ra);

/*
 * Allocates @size bytes (rounded up to the granule) at a multiple of
 * @align (a power of two; 0 or less than the granule means the granule).
 * *offset gets the range's start. -EINVAL for a zero size or a bad
 * alignment, -ENOSPC when no hole fits, -ENOMEM.
 */
int vrs_range_alloc(struct vrs_range_alloc *ra, uint64_t size, uint64_t align,
		    uint64_t *offset);

/* Frees the range that starts at @offset; -ENOENT if there is none. */
int vrs_range_free(struct vrs_range_alloc *ra, uint64_t offset);

/* Size of the range that starts at @offset in *size; -ENOENT if none. */
int vrs_range_size(const struct vrs_range_alloc *ra, uint64_t offset,
		   uint64_t *size);

void vrs_range_stats(const struct vrs_range_alloc *ra,
		     struct vrs_range_stats *stats);

#endif /* VRAMSHARED_RANGE_ALLOC_H */
