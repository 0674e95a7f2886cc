// SPDX-License-Identifier: MIT
/*
 * Host tests of the broker's map of VRAM to clear: argument checks, the
 * dirty count, runs found within a span and a length, and a random
 * workload checked against a byte-per-granule model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scrub.h"

#define PAGE	4096ull
#define MIB	(1024 * 1024ull)

static void test_arguments(void **state)
{
	struct vrs_scrub *s;
	uint64_t off, len;

	(void)state;
	assert_int_equal(vrs_scrub_create(0, PAGE, &s), -EINVAL);
	assert_int_equal(vrs_scrub_create(MIB, 3000, &s), -EINVAL);
	assert_int_equal(vrs_scrub_create(MIB + 1, PAGE, &s), -EINVAL);
	assert_int_equal(vrs_scrub_create(MIB, PAGE, &s), 0);
	assert_int_equal(vrs_scrub_dirty(s), MIB);
	assert_int_equal(vrs_scrub_mark_clean(s, 1, PAGE), -EINVAL);
	assert_int_equal(vrs_scrub_mark_clean(s, 0, PAGE + 1), -EINVAL);
	assert_int_equal(vrs_scrub_mark_clean(s, MIB, PAGE), -EINVAL);
	assert_int_equal(vrs_scrub_mark_clean(s, PAGE, UINT64_MAX - PAGE + 1), -EINVAL);
	assert_int_equal(vrs_scrub_mark_dirty(s, MIB - PAGE, 2 * PAGE), -EINVAL);
	assert_int_equal(vrs_scrub_find(s, PAGE, 0, MIB, &off, &len), -EINVAL);
	assert_int_equal(vrs_scrub_find(s, 0, 2 * MIB, MIB, &off, &len), -EINVAL);
	assert_int_equal(vrs_scrub_dirty(s), MIB);	/* nothing changed */
	vrs_scrub_destroy(s);
}

static void test_runs(void **state)
{
	struct vrs_scrub *s;
	uint64_t off, len;

	(void)state;
	assert_int_equal(vrs_scrub_create(MIB, PAGE, &s), 0);
	assert_int_equal(vrs_scrub_mark_clean(s, 0, MIB), 0);
	assert_int_equal(vrs_scrub_dirty(s), 0);
	assert_int_equal(vrs_scrub_find(s, 0, MIB, MIB, &off, &len), -ENOENT);

	/* a freed range, found whole, in pieces of at most max, and clipped */
	assert_int_equal(vrs_scrub_mark_dirty(s, 100 * PAGE, 10 * PAGE), 0);
	assert_int_equal(vrs_scrub_mark_dirty(s, 100 * PAGE, 10 * PAGE), 0);
	assert_int_equal(vrs_scrub_dirty(s), 10 * PAGE);
	assert_int_equal(vrs_scrub_find(s, 0, MIB, MIB, &off, &len), 0);
	assert_int_equal(off, 100 * PAGE);
	assert_int_equal(len, 10 * PAGE);
	assert_int_equal(vrs_scrub_find(s, 0, MIB, 4 * PAGE + 1, &off, &len), 0);
	assert_int_equal(len, 4 * PAGE);
	assert_int_equal(vrs_scrub_find(s, 0, MIB, 1, &off, &len), 0);
	assert_int_equal(len, PAGE);
	assert_int_equal(vrs_scrub_find(s, 105 * PAGE, 107 * PAGE, MIB, &off, &len), 0);
	assert_int_equal(off, 105 * PAGE);
	assert_int_equal(len, 2 * PAGE);
	assert_int_equal(vrs_scrub_find(s, 110 * PAGE, MIB, MIB, &off, &len), -ENOENT);
	assert_int_equal(vrs_scrub_find(s, 0, 100 * PAGE, MIB, &off, &len), -ENOENT);

	/* cleared in the middle: two runs */
	assert_int_equal(vrs_scrub_mark_clean(s, 103 * PAGE, 2 * PAGE), 0);
	assert_int_equal(vrs_scrub_dirty(s), 8 * PAGE);
	assert_int_equal(vrs_scrub_find(s, 0, MIB, MIB, &off, &len), 0);
	assert_int_equal(len, 3 * PAGE);
	assert_int_equal(vrs_scrub_find(s, off + len, MIB, MIB, &off, &len), 0);
	assert_int_equal(off, 105 * PAGE);
	assert_int_equal(len, 5 * PAGE);
	/* the last granule of a map whose size is not a multiple of 64 */
	vrs_scrub_destroy(s);
	assert_int_equal(vrs_scrub_create(65 * PAGE, PAGE, &s), 0);
	assert_int_equal(vrs_scrub_mark_clean(s, 0, 64 * PAGE), 0);
	assert_int_equal(vrs_scrub_find(s, 0, 65 * PAGE, MIB, &off, &len), 0);
	assert_int_equal(off, 64 * PAGE);
	assert_int_equal(len, PAGE);
	vrs_scrub_destroy(s);
}

/* Random marks against a model; every find agrees with it. */
static void test_random(void **state)
{
	enum { N = 1000 };
	unsigned char model[N];
	struct vrs_scrub *s;
	uint64_t off, len, dirty, i;
	unsigned int step, a, n, from, to;

	(void)state;
	srand(7);
	memset(model, 1, sizeof(model));
	assert_int_equal(vrs_scrub_create(N * PAGE, PAGE, &s), 0);
	for (step = 0; step < 20000; step++) {
		a = rand() % N;
		n = 1 + rand() % (N - a < 50 ? N - a : 50);
		if (rand() % 2) {
			assert_int_equal(vrs_scrub_mark_dirty(s, a * PAGE, n * PAGE), 0);
			memset(model + a, 1, n);
		} else {
			assert_int_equal(vrs_scrub_mark_clean(s, a * PAGE, n * PAGE), 0);
			memset(model + a, 0, n);
		}
		for (dirty = 0, i = 0; i < N; i++)
			dirty += model[i];
		assert_int_equal(vrs_scrub_dirty(s), dirty * PAGE);

		from = rand() % N;
		to = from + rand() % (N - from + 1);
		if (vrs_scrub_find(s, from * PAGE, to * PAGE, 8 * PAGE, &off, &len)) {
			for (i = from; i < to; i++)
				assert_int_equal(model[i], 0);
			continue;
		}
		for (i = from; i < off / PAGE; i++)
			assert_int_equal(model[i], 0);
		for (i = off / PAGE; i < (off + len) / PAGE; i++)
			assert_int_equal(model[i], 1);
		assert_true(len <= 8 * PAGE);
		assert_true(off + len <= to * PAGE);
		/* the run ends at its limit, at @to or before a clean granule */
		i = (off + len) / PAGE;
		assert_true(len == 8 * PAGE || i == to || model[i] == 0);
	}
	vrs_scrub_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
