/* SPDX-License-Identifier: MIT */
/*
 * scrub: which free VRAM of one BAR may still hold a previous tenant's
 * bytes, for the broker.
 *
 * A range is cleared before it is handed out, and the broker clears free
 * VRAM ahead, while it has nothing else to do, so that an allocation
 * mostly finds its range clear already and costs the same at any size.
 * The map marks granules (the allocator's) "dirty": all of them when the
 * broker opens the device (it cannot know what is there), a range when
 * it is freed. Clearing marks them clean. Only free granules are ever
 * dirty: an allocation clears what is dirty in its range first, so the
 * broker never writes to a range someone holds.
 *
 * Every call returns 0 or a negative errno. Not thread-safe: the broker
 * serialises calls on one map.
 */
#ifndef VRAMSHARED_SCRUB_H
#define VRAMSHARED_SCRUB_H

#include <stdint.h>

struct vrs_scrub;

/*
 * A map of [0, size), every granule dirty: @granule a power of two,
 * @size a non-zero multiple of it. -EINVAL otherwise, -ENOMEM.
 */
int vrs_scrub_create(uint64_t size, uint64_t granule, struct vrs_scrub **sp);
void vrs_scrub_destroy(struct vrs_scrub *s);

/* [@offset, +@size), granule-aligned and inside the map; -EINVAL otherwise. */
int vrs_scrub_mark_dirty(struct vrs_scrub *s, uint64_t offset, uint64_t size);
int vrs_scrub_mark_clean(struct vrs_scrub *s, uint64_t offset, uint64_t size);

/* Bytes dirty now. */
uint64_t vrs_scrub_dirty(const struct vrs_scrub *s);

/*
 * The first dirty run in [@from, @to), at most @max bytes (rounded down
 * to the granule, at least one): its start in *offset, its length in
 * *size. -ENOENT when that part is clean, -EINVAL for a bad span.
 */
int vrs_scrub_find(const struct vrs_scrub *s, uint64_t from, uint64_t to,
		   uint64_t max, uint64_t *offset, uint64_t *size);

#endif
