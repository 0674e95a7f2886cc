// SPDX-License-Identifier: MIT
/* vrs_pci_address_parse(): accepted forms, canonical output, rejections. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vramshare.h"

static void accepts_full_and_short_forms(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(vrs_pci_address_parse("0000:03:00.0", out, sizeof(out)), 0);
	assert_string_equal(out, "0000:03:00.0");
	assert_int_equal(vrs_pci_address_parse("03:00.0", out, sizeof(out)), 0);
	assert_string_equal(out, "0000:03:00.0");
	assert_int_equal(vrs_pci_address_parse("ABCD:Ef:1F.7", out, sizeof(out)), 0);
	assert_string_equal(out, "abcd:ef:1f.7");
}

static void rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "03:00", "03:00.", "0000:03:20.0", "03:00.8", "03:00.0x",
		" 03:00.0", "-3:00.0", "+0000:03:00.0", "00000:03:00.0",
		"0000:003:00.0", "0000:03:00.0 ", "zz:00.0", "0000::00.0",
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vrs_pci_address_parse(bad[i], out, sizeof(out)),
				 -EINVAL);
}

static void reports_short_buffer(void **state)
{
	char out[12];

	(void)state;
	assert_int_equal(vrs_pci_address_parse("03:00.0", out, sizeof(out)), -ENOSPC);
	assert_int_equal(vrs_pci_address_parse(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(vrs_pci_address_parse("03:00.0", NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_full_and_short_forms),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(reports_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
