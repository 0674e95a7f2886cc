// SPDX-License-Identifier: MIT
/*
 * Host tests of the broker's VRAM sub-allocator: argument checks,
 * alignment, merging, and a random workload checked against a model of
 * its own: ranges never overlap or leave the BAR, and a request is
 * refused only when no hole could hold it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "range_alloc.h"

#define KIB	1024ull
#define MIB	(1024 * KIB)
#define PAGE	(4 * KIB)

static void test_arguments(void **state)
{
	struct vrs_range_alloc *ra;
	uint64_t off;

	(void)state;
	assert_int_equal(vrs_range_alloc_create(0, PAGE, &ra), -EINVAL);
	assert_int_equal(vrs_range_alloc_create(MIB, 3000, &ra), -EINVAL);
	assert_int_equal(vrs_range_alloc_create(MIB + 1, PAGE, &ra), -EINVAL);
	assert_int_equal(vrs_range_alloc_create(MIB, PAGE, &ra), 0);
	assert_int_equal(vrs_range_alloc(ra, 0, 0, &off), -EINVAL);
	assert_int_equal(vrs_range_alloc(ra, PAGE, 3 * PAGE, &off), -EINVAL);
	assert_int_equal(vrs_range_alloc(ra, 2 * MIB, 0, &off), -ENOSPC);
	assert_int_equal(vrs_range_alloc(ra, UINT64_MAX, 0, &off), -ENOSPC);
	assert_int_equal(vrs_range_alloc(ra, PAGE, 1ull << 63, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(vrs_range_free(ra, PAGE), -ENOENT);
	assert_int_equal(vrs_range_free(ra, 0), 0);
	assert_int_equal(vrs_range_free(ra, 0), -ENOENT);
	vrs_range_alloc_destroy(ra);
}

static void test_fill_and_merge(void **state)
{
	struct vrs_range_alloc *ra;
	struct vrs_range_stats st;
	uint64_t off, i, n = MIB / PAGE;

	(void)state;
	assert_int_equal(vrs_range_alloc_create(MIB, PAGE, &ra), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(vrs_range_alloc(ra, 1, 0, &off), 0);
		assert_int_equal(off % PAGE, 0);
	}
	assert_int_equal(vrs_range_alloc(ra, 1, 0, &off), -ENOSPC);
	vrs_range_stats(ra, &st);
	assert_int_equal(st.free, 0);
	assert_int_equal(st.ranges, n);
	assert_int_equal(st.holes, 0);
	/* Every other page, then the rest: the holes merge into one */
	for (i = 0; i < n; i += 2)
		assert_int_equal(vrs_range_free(ra, i * PAGE), 0);
	vrs_range_stats(ra, &st);
	assert_int_equal(st.holes, n / 2);
	assert_int_equal(st.largest_free, PAGE);
	for (i = 1; i < n; i += 2)
		assert_int_equal(vrs_range_free(ra, i * PAGE), 0);
	vrs_range_stats(ra, &st);
	assert_int_equal(st.holes, 1);
	assert_int_equal(st.largest_free, MIB);
	assert_int_equal(st.used, 0);
	vrs_range_alloc_destroy(ra);
}

static void test_alignment_padding_reused(void **state)
{
	struct vrs_range_alloc *ra;
	uint64_t small, big, pad, size;

	(void)state;
	assert_int_equal(vrs_range_alloc_create(16 * MIB, PAGE, &ra), 0);
	assert_int_equal(vrs_range_alloc(ra, PAGE, 0, &small), 0);
	assert_int_equal(vrs_range_alloc(ra, MIB, MIB, &big), 0);
	assert_int_equal(big % MIB, 0);
	assert_int_equal(vrs_range_size(ra, big, &size), 0);
	assert_int_equal(size, MIB);
	/* The padding in front of the aligned range serves a small request */
	assert_int_equal(vrs_range_alloc(ra, 64 * KIB, 0, &pad), 0);
	assert_true(pad < big);
	vrs_range_alloc_destroy(ra);
}

/* Good fit keeps the big hole whole where first fit would split it. */
static void test_small_requests_leave_big_holes(void **state)
{
	struct vrs_range_alloc *ra;
	struct vrs_range_stats st;
	uint64_t a, b, c, off;

	(void)state;
	assert_int_equal(vrs_range_alloc_create(8 * MIB, PAGE, &ra), 0);
	assert_int_equal(vrs_range_alloc(ra, 4 * MIB, 0, &a), 0);
	assert_int_equal(vrs_range_alloc(ra, PAGE, 0, &b), 0);
	assert_int_equal(vrs_range_alloc(ra, 2 * PAGE, 0, &c), 0);
	assert_int_equal(vrs_range_free(ra, a), 0);
	assert_int_equal(vrs_range_free(ra, b), 0);
	/*
	 * Holes: 4 MiB + 1 page at the bottom (a and b merged), 4 MiB - 3
	 * pages at the top, after c. First fit would take the page from the
	 * bottom one.
	 */
	assert_int_equal(vrs_range_alloc(ra, PAGE, 0, &off), 0);
	vrs_range_stats(ra, &st);
	/* The page came from the smaller hole: 4 MiB + 1 page stays whole */
	assert_true(st.largest_free >= 4 * MIB + PAGE);
	vrs_range_alloc_destroy(ra);
}

/* The model: allocated ranges, kept sorted by offset for checks. */
struct model {
	uint64_t off[4096], len[4096];
	unsigned int n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether some gap between the model's ranges holds @len at @align. */
static int model_fits(const struct model *m, uint64_t size, uint64_t len,
		      uint64_t align)
{
	uint64_t offs[4096], ends[4096], at = 0;
	unsigned int i, j;

	for (i = 0; i < m->n; i++)
		offs[i] = m->off[i];
	qsort(offs, m->n, sizeof(offs[0]), cmp_u64);
	for (i = 0; i < m->n; i++)
		for (j = 0; j < m->n; j++)
			if (m->off[j] == offs[i])
				ends[i] = m->off[j] + m->len[j];
	for (i = 0; i <= m->n; i++) {
		uint64_t gap_end = i < m->n ? offs[i] : size;
		uint64_t start = (at + align - 1) & ~(align - 1);

		if (start + len <= gap_end)
			return 1;
		if (i < m->n)
			at = ends[i];
	}
	return 0;
}

static void model_check(const struct model *m, uint64_t size)
{
	uint64_t offs[4096];
	unsigned int i, j;

	for (i = 0; i < m->n; i++) {
		assert_true(m->off[i] + m->len[i] <= size);
		offs[i] = m->off[i];
	}
	qsort(offs, m->n, sizeof(offs[0]), cmp_u64);
	for (i = 0; i + 1 < m->n; i++)
		for (j = 0; j < m->n; j++)
			if (m->off[j] == offs[i])
				assert_true(offs[i] + m->len[j] <= offs[i + 1]);
}

/* The allocator's accounting agrees with the model's. */
static void model_stats(const struct model *m, uint64_t size,
			const struct vrs_range_stats *st)
{
	uint64_t used = 0;
	unsigned int i;

	for (i = 0; i < m->n; i++)
		used += m->len[i];
	assert_int_equal(st->ranges, m->n);
	assert_int_equal(st->used, used);
	assert_int_equal(st->free, size - used);
	assert_true(st->largest_free <= st->free);
	assert_true(st->holes <= m->n + 1);	/* holes never adjacent */
}

static void test_random_workload(void **state)
{
	const uint64_t size = 256 * MIB;
	struct vrs_range_alloc *ra;
	struct vrs_range_stats st;
	struct model *m = calloc(1, sizeof(*m));
	unsigned int op, refused = 0, i;
	uint64_t used_peak = 0;

	(void)state;
	assert_non_null(m);
	srand(12345);
	assert_int_equal(vrs_range_alloc_create(size, PAGE, &ra), 0);
	for (op = 0; op < 20000; op++) {
		if (m->n && (m->n == 4096 || rand() % 2)) {
			i = rand() % m->n;
			assert_int_equal(vrs_range_free(ra, m->off[i]), 0);
			m->off[i] = m->off[m->n - 1];
			m->len[i] = m->len[m->n - 1];
			m->n--;
		} else {
			/* log-uniform sizes, 4 KiB to 16 MiB; some aligned */
			uint64_t len = PAGE << (rand() % 13);
			uint64_t align = rand() % 4 ? 0 : PAGE << (rand() % 10);
			uint64_t off, got;
			int ret;

			len += (rand() % 4) * PAGE;
			ret = vrs_range_alloc(ra, len, align, &off);
			if (ret == -ENOSPC) {
				/* Refused only when nothing could hold it */
				assert_false(model_fits(m, size, len,
							align ? align : PAGE));
				refused++;
				continue;
			}
			assert_int_equal(ret, 0);
			assert_int_equal(off % (align ? align : PAGE), 0);
			assert_int_equal(vrs_range_size(ra, off, &got), 0);
			assert_int_equal(got, len);
			m->off[m->n] = off;
			m->len[m->n++] = len;
		}
		if (op % 500 == 0)
			model_check(m, size);
		vrs_range_stats(ra, &st);
		model_stats(m, size, &st);
		if (st.used > used_peak)
			used_peak = st.used;
	}
	model_check(m, size);
	vrs_range_stats(ra, &st);
	print_message("random workload: %u refused, peak use %.0f%%, %u holes, largest hole %.0f%% of free\n",
		      refused, 100.0 * used_peak / size, st.holes,
		      st.free ? 100.0 * st.largest_free / st.free : 100.0);
	while (m->n)
		assert_int_equal(vrs_range_free(ra, m->off[--m->n]), 0);
	vrs_range_stats(ra, &st);
	assert_int_equal(st.holes, 1);
	assert_int_equal(st.free, size);
	vrs_range_alloc_destroy(ra);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_fill_and_merge),
		cmocka_unit_test(test_alignment_padding_reused),
		cmocka_unit_test(test_small_requests_leave_big_holes),
		cmocka_unit_test(test_random_workload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
