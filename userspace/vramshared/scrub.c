// SPDX-License-Identifier: MIT
/*
 * scrub: one bit per granule, set while the granule is dirty, and a count
 * of the set bits. See scrub.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "scrub.h"

struct vrs_scrub {
	uint64_t granule;
	uint64_t nr;		/* granules */
	uint64_t dirty;		/* granules set in @bits */
	uint64_t bits[];
};

#define WORD_BITS 64

static bool test_bit(const struct vrs_scrub *s, uint64_t i)
{
	return s->bits[i / WORD_BITS] >> (i % WORD_BITS) & 1;
}

int vrs_scrub_create(uint64_t size, uint64_t granule, struct vrs_scrub **sp)
{
	struct vrs_scrub *s;
	uint64_t words, i;

	if (!granule || granule & (granule - 1) || !size || size % granule)
		return -EINVAL;
	words = (size / granule + WORD_BITS - 1) / WORD_BITS;
	s = calloc(1, sizeof(*s) + words * sizeof(uint64_t));
	if (!s)
		return -ENOMEM;
	s->granule = granule;
	s->nr = size / granule;
	for (i = 0; i < s->nr; i++)
		s->bits[i / WORD_BITS] |= 1ull << (i % WORD_BITS);
	s->dirty = s->nr;
	*sp = s;
	return 0;
}

void vrs_scrub_destroy(struct vrs_scrub *s)
{
	free(s);
}

/* [offset, +size) as granules [*first, *end); -EINVAL if not a span. */
static int span(const struct vrs_scrub *s, uint64_t offset, uint64_t size,
		uint64_t *first, uint64_t *end)
{
	if (offset % s->granule || size % s->granule ||
	    offset / s->granule > s->nr ||
	    size / s->granule > s->nr - offset / s->granule)
		return -EINVAL;
	*first = offset / s->granule;
	*end = *first + size / s->granule;
	return 0;
}

static int mark(struct vrs_scrub *s, uint64_t offset, uint64_t size,
		bool dirty)
{
	uint64_t i, end;
	int ret = span(s, offset, size, &i, &end);

	for (; !ret && i < end; i++) {
		if (test_bit(s, i) == dirty)
			continue;
		s->bits[i / WORD_BITS] ^= 1ull << (i % WORD_BITS);
		if (dirty)
			s->dirty++;
		else
			s->dirty--;
	}
	return ret;
}

int vrs_scrub_mark_dirty(struct vrs_scrub *s, uint64_t offset, uint64_t size)
{
	return mark(s, offset, size, true);
}

int vrs_scrub_mark_clean(struct vrs_scrub *s, uint64_t offset, uint64_t size)
{
	return mark(s, offset, size, false);
}

uint64_t vrs_scrub_dirty(const struct vrs_scrub *s)
{
	return s->dirty * s->granule;
}

int vrs_scrub_find(const struct vrs_scrub *s, uint64_t from, uint64_t to,
		   uint64_t max, uint64_t *offset, uint64_t *size)
{
	uint64_t i, end, limit, first;

	if (to < from || span(s, from, to - from, &i, &end))
		return -EINVAL;
	/* whole clean words at once */
	while (i < end) {
		if (i % WORD_BITS == 0 && !s->bits[i / WORD_BITS]) {
			i += WORD_BITS;
			continue;
		}
		if (test_bit(s, i))
			break;
		i++;
	}
	if (i >= end)
		return -ENOENT;
	first = i;
	limit = max / s->granule ? max / s->granule : 1;
	while (i < end && i - first < limit && test_bit(s, i))
		i++;
	*offset = first * s->granule;
	*size = (i - first) * s->granule;
	return 0;
}
