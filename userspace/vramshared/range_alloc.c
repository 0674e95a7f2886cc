// SPDX-License-Identifier: MIT
/*
 * range_alloc: segregated good fit over one BAR (see range_alloc.h).
 *
 * Every block, hole or range, is in the address-ordered list, which
 * merging walks. Holes are also in the list of their size class; ranges
 * are in a search tree by offset (glibc's tsearch), which free looks up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* tdestroy() */
#endif
#include <errno.h>
#include <search.h>
#include <stdbool.h>
#include <stdlib.h>

#include "range_alloc.h"

#define VRS_RANGE_CLASSES	64

struct block {
	uint64_t offset;
	uint64_t len;
	bool used;
	struct block *prev, *next;	/* address order */
	struct block *hprev, *hnext;	/* holes of one size class */
};

struct vrs_range_alloc {
	uint64_t size;
	uint64_t granule;
	struct block *first;		/* lowest address */
	struct block *holes[VRS_RANGE_CLASSES];
	void *ranges;			/* tsearch tree of used blocks */
	struct vrs_range_stats stats;
};

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* Size class of a hole: floor(log2(granules)). */
static unsigned int size_class(const struct vrs_range_alloc *ra, uint64_t len)
{
	uint64_t granules = len / ra->granule;

	return 63 - (unsigned int)__builtin_clzll(granules);
}

static void hole_insert(struct vrs_range_alloc *ra, struct block *b)
{
	unsigned int c = size_class(ra, b->len);

	b->used = false;
	b->hprev = NULL;
	b->hnext = ra->holes[c];
	if (b->hnext)
		b->hnext->hprev = b;
	ra->holes[c] = b;
	ra->stats.holes++;
}

static void hole_remove(struct vrs_range_alloc *ra, struct block *b)
{
	if (b->hprev)
		b->hprev->hnext = b->hnext;
	else
		ra->holes[size_class(ra, b->len)] = b->hnext;
	if (b->hnext)
		b->hnext->hprev = b->hprev;
	ra->stats.holes--;
}

static int by_offset(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int vrs_range_alloc_create(uint64_t size, uint64_t granule,
			   struct vrs_range_alloc **rap)
{
	struct vrs_range_alloc *ra;
	struct block *b;

	if (!rap || !is_pow2(granule) || !size || size % granule)
		return -EINVAL;
	ra = calloc(1, sizeof(*ra));
	b = calloc(1, sizeof(*b));
	if (!ra || !b) {
		free(ra);
		free(b);
		return -ENOMEM;
	}
	ra->size = size;
	ra->granule = granule;
	ra->stats.size = size;
	ra->stats.free = size;
	b->len = size;
	ra->first = b;
	hole_insert(ra, b);
	*rap = ra;
	return 0;
}

static void free_node(void *node)
{
	(void)node;	/* blocks are freed from the address list */
}

void vrs_range_alloc_destroy(struct vrs_range_alloc *ra)
{
	struct block *b, *next;

	if (!ra)
		return;
	tdestroy(ra->ranges, free_node);
	for (b = ra->first; b; b = next) {
		next = b->next;
		free(b);
	}
	free(ra);
}

/* Where a range of @len at @align would start in hole @b, if it fits. */
static bool fits(const struct block *b, uint64_t len, uint64_t align,
		 uint64_t *start)
{
	uint64_t at = (b->offset + align - 1) & ~(align - 1);

	if (at < b->offset || at - b->offset > b->len ||
	    b->len - (at - b->offset) < len)
		return false;
	*start = at;
	return true;
}

/* The smallest hole of the first class that has one that fits. */
static struct block *find_hole(struct vrs_range_alloc *ra, uint64_t len,
			       uint64_t align, uint64_t *start)
{
	unsigned int c;

	for (c = size_class(ra, len); c < VRS_RANGE_CLASSES; c++) {
		struct block *b, *best = NULL;
		uint64_t at, best_at = 0;

		for (b = ra->holes[c]; b; b = b->hnext)
			if (fits(b, len, align, &at) &&
			    (!best || b->len < best->len)) {
				best = b;
				best_at = at;
			}
		if (best) {
			*start = best_at;
			return best;
		}
	}
	return NULL;
}

/* Takes @b, which has a block before it, out of the address list. */
static void block_drop(struct block *b)
{
	b->prev->next = b->next;
	if (b->next)
		b->next->prev = b->prev;
	free(b);
}

/* A new block of @len at @offset after @b in address order. */
static struct block *split_after(struct block *b, uint64_t offset,
				 uint64_t len)
{
	struct block *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->offset = offset;
	n->len = len;
	n->prev = b;
	n->next = b->next;
	if (b->next)
		b->next->prev = n;
	b->next = n;
	return n;
}

int vrs_range_alloc(struct vrs_range_alloc *ra, uint64_t size, uint64_t align,
		    uint64_t *offset)
{
	struct block *hole, *range, *tail = NULL;
	uint64_t len, start, front;

	if (!ra || !offset || !size || (align && !is_pow2(align)))
		return -EINVAL;
	if (size > ra->size)
		return -ENOSPC;
	len = (size + ra->granule - 1) & ~(ra->granule - 1);
	if (align < ra->granule)
		align = ra->granule;

	hole = find_hole(ra, len, align, &start);
	if (!hole)
		return -ENOSPC;
	front = start - hole->offset;

	/* Allocate what the split needs before changing anything. */
	range = hole;
	if (front) {
		range = split_after(hole, start, hole->len - front);
		if (!range)
			return -ENOMEM;
	}
	if (range->len > len) {
		tail = split_after(range, start + len, range->len - len);
		if (!tail)
			goto undo_front;
	}
	if (!tsearch(range, &ra->ranges, by_offset))
		goto undo_tail;

	hole_remove(ra, hole);
	if (front) {
		hole->len = front;
		hole_insert(ra, hole);
	}
	range->len = len;
	range->used = true;
	if (tail)
		hole_insert(ra, tail);
	ra->stats.used += len;
	ra->stats.free -= len;
	ra->stats.ranges++;
	*offset = start;
	return 0;

undo_tail:
	if (tail)
		block_drop(tail);
undo_front:
	if (front)
		block_drop(range);
	return -ENOMEM;
}

/* Merge hole @b with the hole after it, which goes. */
static void merge_next(struct vrs_range_alloc *ra, struct block *b)
{
	struct block *n = b->next;

	hole_remove(ra, n);
	b->len += n->len;
	block_drop(n);
}

int vrs_range_free(struct vrs_range_alloc *ra, uint64_t offset)
{
	struct block key = { .offset = offset }, *b;
	void *node;

	if (!ra)
		return -EINVAL;
	node = tfind(&key, &ra->ranges, by_offset);
	if (!node)
		return -ENOENT;
	b = *(struct block **)node;
	tdelete(&key, &ra->ranges, by_offset);
	ra->stats.used -= b->len;
	ra->stats.free += b->len;
	ra->stats.ranges--;

	if (b->next && !b->next->used)
		merge_next(ra, b);
	if (b->prev && !b->prev->used) {
		struct block *p = b->prev;

		hole_remove(ra, p);
		p->len += b->len;
		block_drop(b);
		b = p;
	}
	hole_insert(ra, b);
	return 0;
}

int vrs_range_size(const struct vrs_range_alloc *ra, uint64_t offset,
		   uint64_t *size)
{
	struct block key = { .offset = offset };
	void *node;

	if (!ra || !size)
		return -EINVAL;
	node = tfind(&key, &ra->ranges, by_offset);
	if (!node)
		return -ENOENT;
	*size = (*(struct block **)node)->len;
	return 0;
}

void vrs_range_stats(const struct vrs_range_alloc *ra,
		     struct vrs_range_stats *stats)
{
	const struct block *b;

	*stats = ra->stats;
	stats->largest_free = 0;
	for (b = ra->first; b; b = b->next)
		if (!b->used && b->len > stats->largest_free)
			stats->largest_free = b->len;
}
