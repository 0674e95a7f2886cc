// SPDX-License-Identifier: MIT
/*
 * Host tests of vramshared's configuration: the built-in policy, every
 * key, and bad files refused with the line and key that are wrong.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static struct vrs_config cfg;
static char err[256];

static int parse(const char *text)
{
	vrs_config_defaults(&cfg);
	return vrs_config_parse(text, &cfg, err, sizeof(err));
}

static void test_defaults_root_only(void **state)
{
	(void)state;
	vrs_config_defaults(&cfg);
	assert_string_equal(cfg.socket_path, VRS_BROKER_SOCKET);
	assert_true(cfg.auto_devices);
	assert_int_equal(cfg.nr_grants, 1);
	assert_int_equal(cfg.grants[0].nr_uids, 1);
	assert_int_equal(cfg.grants[0].uids[0], 0);
	assert_false(cfg.grants[0].any_user);
	assert_int_equal(cfg.grants[0].nr_gids, 0);
}

static void test_full_file(void **state)
{
	const char *text =
		"[broker]\n"
		"socket = /tmp/x.sock\n"
		"log_level = debug\n"
		"devices = listed\n"
		"max_clients = 64\n"
		"queue_limit = 16\n"
		"[device gpu-a]\n"
		"address = 00:02.0\n"
		"bar = 2\n"
		"[device b]\n"
		"address = 0000:01:00.0\n"
		"bar = auto\n"
		"[grant users]\n"
		"users = 1000, 1001 0\n"
		"groups = 27\n"
		"devices = gpu-a\n"
		"access = ro\n"
		"quota = 256M\n"
		"client_quota = 64K\n"
		"max_buffers = 8\n"
		"admin = no\n"
		"[grant all]\n"
		"users = *\n"
		"devices = *\n";

	(void)state;
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.socket_path, "/tmp/x.sock");
	assert_int_equal(cfg.log_level, VRS_LOG_DEBUG);
	assert_false(cfg.auto_devices);
	assert_int_equal(cfg.max_clients, 64);
	assert_int_equal(cfg.queue_limit, 16);
	assert_int_equal(cfg.nr_devices, 2);
	assert_string_equal(cfg.devices[0].name, "gpu-a");
	assert_string_equal(cfg.devices[0].address, "0000:00:02.0");
	assert_int_equal(cfg.devices[0].bar, 2);
	assert_int_equal(cfg.devices[1].bar, -1);
	/* The file's grants replace the built-in one. */
	assert_int_equal(cfg.nr_grants, 2);
	assert_string_equal(cfg.grants[0].name, "users");
	assert_int_equal(cfg.grants[0].nr_uids, 3);
	assert_int_equal(cfg.grants[0].uids[2], 0);
	assert_int_equal(cfg.grants[0].gids[0], 27);
	assert_int_equal(cfg.grants[0].nr_devices, 1);
	assert_true(cfg.grants[0].read_only);
	assert_false(cfg.grants[0].any_device);
	assert_false(cfg.grants[0].admin);
	assert_int_equal(cfg.grants[0].quota, 256ull << 20);
	assert_int_equal(cfg.grants[0].client_quota, 64ull << 10);
	assert_int_equal(cfg.grants[0].max_buffers, 8);
	assert_true(cfg.grants[1].any_user);
	assert_true(cfg.grants[1].any_device);
	assert_int_equal(cfg.grants[1].quota, VRS_UNLIMITED);
}

static void test_user_names(void **state)
{
	(void)state;
	assert_int_equal(parse("[grant r]\nusers = root\ngroups = root\n"), 0);
	assert_int_equal(cfg.grants[0].uids[0], 0);
	assert_int_equal(cfg.grants[0].gids[0], 0);
	/* Without a devices key a grant covers every device. */
	assert_true(cfg.grants[0].any_device);
	assert_int_equal(parse("[grant r]\nusers = no-such-user-here\n"), -EINVAL);
	assert_non_null(strstr(err, "line 2"));
	assert_non_null(strstr(err, "no-such-user-here"));
}

static void test_bad_files(void **state)
{
	static const char *const bad[] = {
		"[nonsense]\nx = 1\n",
		"[broker]\nsocket = relative\n",
		"[broker]\nlog_level = loud\n",
		"[broker]\nmax_clients = 0\n",
		"[broker]\nunknown = 1\n",
		"[device gpu0]\nbar = 6\n",
		"[device gpu0]\naddress = 00:02\n",
		"[device gpu0]\nbar = 1\n",	/* no address */
		"[device bad/name]\naddress = 00:02.0\n",
		"[device aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\naddress = 00:02.0\n",
		"[grant g]\naccess = rx\n",
		"[grant g]\nquota = 12Q\n",
		"[grant g]\nquota = -1\n",
		"[grant g]\nquota = 99999999999999999999\n",
		"[grant g]\nquota = 17179869184G\n",
		"[grant g]\nmax_buffers = 4294967296\n",
		"[grant g]\nadmin = maybe\n",
		"[grant g]\nusers = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
		"no section = 1\n",
		"[broker\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i]);

		if (ret != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static void test_sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(vrs_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vrs_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(vrs_parse_size("unlimited", &v), 0);
	assert_int_equal(v, VRS_UNLIMITED);
	assert_int_equal(vrs_parse_size("16777215T", &v), 0);
	assert_int_equal(vrs_parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(vrs_parse_size("", &v), -EINVAL);
	assert_int_equal(vrs_parse_size("1KB", &v), -EINVAL);
	assert_int_equal(vrs_parse_size(" 1", &v), -EINVAL);
}

static void test_load_missing_file(void **state)
{
	(void)state;
	vrs_config_defaults(&cfg);
	assert_int_equal(vrs_config_load("/nonexistent/vramshared.conf", &cfg,
					 err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/vramshared.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_root_only),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_user_names),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_load_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
