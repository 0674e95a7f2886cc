// SPDX-License-Identifier: MIT
/*
 * vramshare_bench: the benchmarks in their short mode. Every benchmark
 * must run (bench/run-benchmarks.sh --short, the broker's included) and
 * write JSON that vramshare-bench-report accepts; and the report must
 * refuse a file that is not well formed, or its check proves nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igt.h"
#include "vramshare_broker_rig.h"
#include "vramshare_programs.h"

/*
 * The short mode takes under a minute in a Debian-kernel guest; below the
 * harness's limit for a subtest, so that this one says what hung.
 */
#define BENCH_TIMEOUT_S 480

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	igt_assert(f);
	fputs(text, f);
	igt_assert_eq(fclose(f), 0);
}

static void expect(const struct vs_run *r, int status, const char *text)
{
	igt_assert_eq(r->status, status);
	igt_assert_f(strstr(r->out, text), "no \"%s\" in the output\n", text);
}

igt_main
{
	struct vs_run *r = malloc(sizeof(*r));
	char dir[] = "/tmp/vramshare-bench-XXXXXX", build[PATH_MAX];

	igt_fixture {
		igt_assert(r);
		igt_assert(mkdtemp(dir));
		vs_build_file(build, sizeof(build), NULL, ".");
	}

	igt_describe("Every benchmark runs in its short mode, through the broker where it goes through it, and writes JSON the report accepts; the report refuses malformed files");
	igt_subtest("bench-short") {
		const char *run[] = {
			"/bin/bash", VRAMSHARE_SOURCE_DIR "/bench/run-benchmarks.sh",
			"--short", build, dir, NULL,
		};
		const char *check[] = {
			"bench/vramshare-bench-report", "--check", dir, NULL,
		};
		const char *table[] = { "bench/vramshare-bench-report", dir, NULL };

		vs_run_program(NULL, run, BENCH_TIMEOUT_S, r);
		expect(r, 0, "== share, broker");
		vs_run_program(NULL, check, 60, r);
		igt_assert_eq(r->status, 0);
		vs_run_program(NULL, table, 60, r);
		expect(r, 0, "share: fastest bounce / share");
		expect(r, 0, "revoke: per attachment");
		expect(r, 0, "broker: alloc round trip P50 / raw export");

		/* A file cut short, one without its figures, one without a result. */
		write_file(dir, "revoke.json", "{ \"benchmark\": \"revoke\", \"environ");
		vs_run_program(NULL, check, 60, r);
		expect(r, 1, "revoke.json: missing or not JSON");
		write_file(dir, "revoke.json",
			   "{ \"benchmark\": \"revoke\", \"results\": [ { \"name\": \"revoke\", \"unit\": \"us\", \"samples\": 3 } ], \"summary\": [] }");
		vs_run_program(NULL, check, 60, r);
		expect(r, 1, "the environment lacks");
		expect(r, 1, "a result without finite figures");
		write_file(dir, "revoke.json",
			   "{ \"benchmark\": \"revoke\", \"environment\": { \"kernel\": \"k\", \"topology\": \"t\", \"commit\": \"c\", \"cpu\": \"x\", \"date\": \"d\", \"mode\": \"short\" },"
			   " \"results\": [ { \"name\": \"revoke\", \"unit\": \"us\", \"value\": 1 } ],"
			   " \"summary\": [ { \"figure\": \"f\", \"value\": 1, \"unit\": \"x\", \"goal\": \"\", \"met\": null } ] }");
		vs_run_program(NULL, check, 60, r);
		expect(r, 1, "no result \"restore\"");
		igt_assert(!strstr(r->out, "environment lacks"));
	}

	igt_fixture {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		igt_assert_eq(system(cmd), 0);
		free(r);
	}
}
