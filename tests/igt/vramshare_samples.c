// SPDX-License-Identifier: MIT
/*
 * vramshare_samples: the programs of samples/ run as a user runs them,
 * against a broker on GPU A. Each must pass, and must fail when told to
 * use the buffer wrongly (--break: a wrong offset, a wrong memory type,
 * a revoke in the middle): a check that cannot fail proves nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igt.h"
#include "vramshare_broker_rig.h"
#include "vramshare_igt.h"
#include "vramshare_programs.h"

/* Vulkan on lavapipe in the emulated guest: about 20 s to start alone. */
#define SAMPLE_TIMEOUT_S 300

static void run_sample(const struct broker *br, const char *const *argv,
		       struct vs_run *r)
{
	vs_run_program(br->sock, argv, SAMPLE_TIMEOUT_S, r);
}

static void expect(const struct vs_run *r, int status, const char *text)
{
	igt_assert_eq(r->status, status);
	igt_assert_f(strstr(r->out, text), "no \"%s\" in the output\n", text);
}

/* Fails with an exit status of 1..127, and says why. */
static void expect_failure(const struct vs_run *r, const char *text)
{
	igt_assert_f(r->status >= 1 && r->status < 127,
		     "exit status %d, not a failure of its own\n", r->status);
	igt_assert_f(strstr(r->out, text), "no \"%s\" in the output\n", text);
	igt_assert(!strstr(r->out, "every byte"));
}

igt_main
{
	struct broker br;
	struct vs_run *r = malloc(sizeof(*r));

	igt_fixture
		igt_assert(r);

	igt_describe("drm-copy allocates VRAM, imports it on GPU B with libdrm's PRIME call and copies through it both ways");
	igt_subtest("sample-drm-copy") {
		const char *argv[] = { "samples/drm-copy", NULL };

		broker_start(&br, NULL);
		run_sample(&br, argv, r);
		expect(r, 0, "every byte right");
		broker_stop(&br);
	}

	igt_describe("drm-copy on a buffer another process allocated: the CLI passes its share token");
	igt_subtest("sample-drm-copy-shared") {
		const char *argv[] = { "userspace/cli/vramshare", "alloc", "16K",
				       "--", NULL, NULL };
		char sample[PATH_MAX];

		vs_build_file(sample, sizeof(sample), NULL, "samples/drm-copy");
		argv[4] = sample;
		broker_start(&br, NULL);
		run_sample(&br, argv, r);
		expect(r, 0, "every byte right");
		broker_stop(&br);
	}

	igt_describe("drm-copy fails when it copies from the wrong offset, and when GPU A is reset between import and copy");
	igt_subtest("sample-drm-copy-broken") {
		const char *offset[] = { "samples/drm-copy", "--break", "offset", NULL };
		const char *revoke[] = { "samples/drm-copy", "--break", "revoke", NULL };

		broker_start(&br, NULL);
		run_sample(&br, offset, r);
		expect_failure(r, "GPU B read a wrong byte at 0");
		run_sample(&br, revoke, r);
		expect_failure(r, "revoked");
		broker_stop(&br);
	}

	igt_describe("vk-import imports VRAM into a Vulkan device under the validation layers, runs a compute shader over it, and GPU B reads the result");
	igt_subtest("sample-vk-import") {
		const char *argv[] = { "samples/vk-import", "--validate", NULL };

		broker_start(&br, NULL);
		run_sample(&br, argv, r);
		expect(r, 0, "every byte right");
		igt_assert(strstr(r->out, "vk-import: path "));
		igt_assert(!strstr(r->out, "validation:"));
		broker_stop(&br);
	}

	igt_describe("vk-import fails with the shader at a wrong offset, with a memory type the import does not allow, and when GPU A is reset while it holds the buffer");
	igt_subtest("sample-vk-import-broken") {
		const char *offset[] = { "samples/vk-import", "--validate",
					 "--break", "offset", NULL };
		const char *type[] = { "samples/vk-import", "--validate",
				       "--break", "memory-type", NULL };
		const char *revoke[] = { "samples/vk-import", "--validate",
					 "--break", "revoke", NULL };

		broker_start(&br, NULL);
		run_sample(&br, offset, r);
		expect_failure(r, "GPU B reads");
		run_sample(&br, type, r);
		expect_failure(r, "VUID-vkAllocateMemory");
		run_sample(&br, revoke, r);
		expect_failure(r, "revoked");
		broker_stop(&br);
	}

	igt_describe("compute-pipeline: a producer process writes frames into VRAM, a consumer transforms them on GPU B with jobs chained by fences and a Vulkan compute stage; GPU A is reset in the middle and every frame still comes out right");
	igt_subtest("sample-compute-pipeline") {
		const char *argv[] = { "samples/compute-pipeline", "--frames", "12",
				       "--reset-at", "5", "--vulkan", "on", NULL };

		broker_start(&br, NULL);
		run_sample(&br, argv, r);
		expect(r, 0, "every byte of every frame right");
		igt_assert(strstr(r->out, "12 of 12 frames right"));
		igt_assert(strstr(r->out, "the Vulkan shader"));
		igt_assert(strstr(r->out, "revoked 1 time(s)"));
		broker_stop(&br);
	}

	igt_describe("compute-pipeline fails when the consumer copies from the wrong offset, and when the producer frees a slot for good while the consumer uses it");
	igt_subtest("sample-compute-pipeline-broken") {
		const char *offset[] = { "samples/compute-pipeline", "--frames", "2",
					 "--reset-at", "0", "--vulkan", "off",
					 "--break", "offset", NULL };
		const char *gone[] = { "samples/compute-pipeline", "--frames", "8",
				       "--reset-at", "3", "--vulkan", "off",
				       "--break", "gone", NULL };

		broker_start(&br, NULL);
		run_sample(&br, offset, r);
		expect_failure(r, "frame 0: wrong byte at 0");
		run_sample(&br, gone, r);
		expect_failure(r, "revoked for good");
		broker_stop(&br);
	}

	igt_fixture {
		broker_cleanup();
		free(r);
	}
}
