// SPDX-License-Identifier: MIT
/*
 * Host tests of the access policy: which grant a peer gets (uid,
 * primary and supplementary groups, file order), and every refusal of
 * an allocation or an open, at the edges of each quota.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

static struct vrs_config cfg;
static char why[128];

static const char policy[] =
	"[grant admins]\n"
	"users = 0\n"
	"admin = yes\n"
	"devices = *\n"
	"[grant video]\n"
	"groups = 44\n"
	"devices = gpu0\n"
	"quota = 1M\n"
	"client_quota = 512K\n"
	"max_buffers = 2\n"
	"[grant readers]\n"
	"users = 2000\n"
	"access = ro\n"
	"devices = gpu0, gpu1\n";

static int setup(void **state)
{
	char err[128];

	(void)state;
	vrs_config_defaults(&cfg);
	assert_int_equal(vrs_config_parse(policy, &cfg, err, sizeof(err)), 0);
	return 0;
}

static void test_match(void **state)
{
	struct vrs_peer root = { .uid = 0, .gid = 0 };
	struct vrs_peer primary = { .uid = 1000, .gid = 44 };
	struct vrs_peer supplementary = {
		.uid = 1001, .gid = 1001, .groups = { 10, 44 }, .nr_groups = 2,
	};
	struct vrs_peer reader = { .uid = 2000, .gid = 44 };
	struct vrs_peer stranger = { .uid = 3000, .gid = 3000 };

	(void)state;
	assert_string_equal(vrs_policy_match(&cfg, &root)->name, "admins");
	assert_string_equal(vrs_policy_match(&cfg, &primary)->name, "video");
	assert_string_equal(vrs_policy_match(&cfg, &supplementary)->name,
			    "video");
	/* The first grant in file order wins: video names group 44 first. */
	assert_string_equal(vrs_policy_match(&cfg, &reader)->name, "video");
	assert_null(vrs_policy_match(&cfg, &stranger));
}

static void test_alloc(void **state)
{
	const struct vrs_grant *video = &cfg.grants[1];
	struct vrs_usage u = { 0 };

	(void)state;
	assert_int_equal(vrs_policy_check_alloc(video, "gpu0", 512 << 10, &u,
						why, sizeof(why)), 0);
	assert_int_equal(vrs_policy_check_alloc(video, "gpu1", 4096, &u,
						why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "gpu1"));
	assert_int_equal(vrs_policy_check_alloc(video, "gpu0", (512 << 10) + 1,
						&u, why, sizeof(why)), -EDQUOT);
	assert_non_null(strstr(why, "client_quota"));
	u.client_bytes = 256 << 10;
	assert_int_equal(vrs_policy_check_alloc(video, "gpu0", 256 << 10, &u,
						why, sizeof(why)), 0);
	assert_int_equal(vrs_policy_check_alloc(video, "gpu0", UINT64_MAX, &u,
						why, sizeof(why)), -EDQUOT);
	u.client_bytes = 0;
	u.uid_bytes = 1 << 20;
	assert_int_equal(vrs_policy_check_alloc(video, "gpu0", 4096, &u,
						why, sizeof(why)), -EDQUOT);
	assert_non_null(strstr(why, "quota"));
	u.uid_bytes = 0;
	u.client_buffers = 2;
	assert_int_equal(vrs_policy_check_alloc(video, "gpu0", 4096, &u,
						why, sizeof(why)), -EDQUOT);
	assert_non_null(strstr(why, "max_buffers"));
	/* A read-only grant never allocates. */
	u.client_buffers = 0;
	assert_int_equal(vrs_policy_check_alloc(&cfg.grants[2], "gpu0", 4096,
						&u, why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "read-only"));
	/* Unlimited quotas do not wrap. */
	u.client_bytes = UINT64_MAX - 4096;
	u.uid_bytes = UINT64_MAX - 4096;
	assert_int_equal(vrs_policy_check_alloc(&cfg.grants[0], "gpu9", 4096,
						&u, why, sizeof(why)), 0);
	assert_int_equal(vrs_policy_check_alloc(&cfg.grants[0], "gpu9", 8192,
						&u, why, sizeof(why)), -EDQUOT);
}

static void test_open(void **state)
{
	const struct vrs_grant *readers = &cfg.grants[2];
	struct vrs_usage u = { 0 };

	(void)state;
	assert_int_equal(vrs_policy_check_open(readers, "gpu1", 1, &u, why,
					       sizeof(why)), 0);
	assert_int_equal(vrs_policy_check_open(readers, "gpu1", 0, &u, why,
					       sizeof(why)), -EACCES);
	assert_int_equal(vrs_policy_check_open(readers, "gpu2", 1, &u, why,
					       sizeof(why)), -EACCES);
	u.client_buffers = readers->max_buffers;
	assert_int_equal(vrs_policy_check_open(readers, "gpu1", 1, &u, why,
					       sizeof(why)), -EDQUOT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_open),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
