// SPDX-License-Identifier: MIT
/*
 * vramshare-bench-report: reads the JSON a run of the benchmarks wrote
 * (bench/run-benchmarks.sh), checks that every file is well formed, prints
 * the summary table of figures against their goals, and writes the data
 * of the scaling plots for gnuplot (bench/plots.gp).
 *
 *   vramshare-bench-report [--check] [--plots DIR] RESULTS-DIR
 *
 * Exit status: 0, 1 if a file is missing or malformed, 2 on bad usage.
 * With --check nothing is printed but the problems.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char *const files[] = {
	"bounce", "share", "revoke", "control", "broker", "cpu", "memory", "jobs",
};
#define NR_FILES (sizeof(files) / sizeof(files[0]))

/* The results each benchmark must have, in the order of files[]. */
static const char *const required[NR_FILES][6] = {
	{ "bounce-mmap", "bounce-pread", "bounce-staged" },
	{ "share", "share-after-free", "bounce-staged" },
	{ "null-ioctl", "revoke", "restore", "reset", "revoke-per-attachment" },
	{ "null-ioctl", "export", "attach-map", "prime-import" },
	{ "alloc", "free", "load-alloc", "load-rate", "broker-per-client" },
	{ "read", "write" },
	{ "kernel-per-dmabuf", "kernel-per-attachment" },
	{ "baseline", "p2p-read", "submit", "reset-busy" },
};

static int problems;

static void problem(const char *file, const char *what)
{
	fprintf(stderr, "vramshare-bench-report: %s: %s\n", file, what);
	problems++;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static bool finite_number(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) ||
	      json_object_is_type(v, json_type_int)))
		return false;
	return isfinite(json_object_get_double(v));
}

static bool has_result(json_object *results, const char *name)
{
	json_object *v;
	size_t i;

	for (i = 0; results && i < json_object_array_length(results); i++) {
		v = get(json_object_array_get_idx(results, i), "name", json_type_string);
		if (v && !strcmp(json_object_get_string(v), name))
			return true;
	}
	return false;
}

/* The schema of bench/json.c, and the figures benchmark @k must have. */
static void check(const char *file, json_object *root, size_t k)
{
	const char *name = files[k];
	char what[96];
	static const char *const env_keys[] = {
		"kernel", "topology", "commit", "cpu", "date", "mode",
	};
	json_object *env, *results, *summary, *o, *v;
	size_t i;

	v = get(root, "benchmark", json_type_string);
	if (!v || strcmp(json_object_get_string(v), name))
		problem(file, "\"benchmark\" is missing or names another");
	env = get(root, "environment", json_type_object);
	for (i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++)
		if (!env || !get(env, env_keys[i], json_type_string) ||
		    !*json_object_get_string(get(env, env_keys[i], json_type_string)))
			problem(file, "the environment lacks kernel, topology, commit, cpu, date or mode");
	results = get(root, "results", json_type_array);
	if (!results || !json_object_array_length(results))
		problem(file, "no results");
	for (i = 0; results && i < json_object_array_length(results); i++) {
		o = json_object_array_get_idx(results, i);
		if (!get(o, "name", json_type_string) || !get(o, "unit", json_type_string))
			problem(file, "a result without name or unit");
		else if (get(o, "samples", json_type_int) ?
			 !(finite_number(o, "p0") && finite_number(o, "p50") &&
			   finite_number(o, "p99") && finite_number(o, "mean") &&
			   json_object_get_int64(get(o, "samples", json_type_int)) > 0) :
			 !finite_number(o, "value"))
			problem(file, "a result without finite figures (P0/P50/P99 or value)");
	}
	for (i = 0; i < 6 && required[k][i]; i++) {
		if (has_result(results, required[k][i]))
			continue;
		snprintf(what, sizeof(what), "no result \"%s\"", required[k][i]);
		problem(file, what);
	}
	summary = get(root, "summary", json_type_array);
	if (!summary || !json_object_array_length(summary))
		problem(file, "no summary");
	for (i = 0; summary && i < json_object_array_length(summary); i++) {
		o = json_object_array_get_idx(summary, i);
		if (!get(o, "figure", json_type_string) || !finite_number(o, "value") ||
		    !get(o, "unit", json_type_string) || !get(o, "goal", json_type_string) ||
		    !json_object_object_get_ex(o, "met", &v) ||
		    (v && !json_object_is_type(v, json_type_boolean)))
			problem(file, "a summary line without figure, value, unit, goal or met");
	}
}

static void print_environment(json_object *root)
{
	json_object *env = get(root, "environment", json_type_object);

	if (!env)
		return;
	printf("kernel %s (%s), topology %s, commit %s, %s mode\n%s, %d CPU(s), %s\n\n",
		json_object_get_string(get(env, "kernel", json_type_string)),
		json_object_get_boolean(get(env, "debug_kernel", json_type_boolean)) ?
		"debug build: kernel paths run slow" : "non-debug",
		json_object_get_string(get(env, "topology", json_type_string)),
		json_object_get_string(get(env, "commit", json_type_string)),
		json_object_get_string(get(env, "mode", json_type_string)),
		json_object_get_string(get(env, "cpu", json_type_string)),
		json_object_get_int(get(env, "cpus", json_type_int)),
		json_object_get_string(get(env, "date", json_type_string)));
}

static void print_summary(json_object *root)
{
	json_object *summary = get(root, "summary", json_type_array), *o, *met;
	size_t i;

	for (i = 0; summary && i < json_object_array_length(summary); i++) {
		o = json_object_array_get_idx(summary, i);
		json_object_object_get_ex(o, "met", &met);
		printf("%-52s %10.4g %-12s %-16s %s\n",
		       json_object_get_string(get(o, "figure", json_type_string)),
		       json_object_get_double(json_object_object_get(o, "value")),
		       json_object_get_string(get(o, "unit", json_type_string)),
		       json_object_get_string(get(o, "goal", json_type_string)),
		       !met ? "" : json_object_get_boolean(met) ? "met" : "MISSED");
	}
}

static FILE *open_dat(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "w");
	if (!f)
		perror(path);
	return f;
}

/*
 * share.dat: size, share, bounce by mmap, bounce by pread, share right
 * after a free, staged bounce (P50, us).
 */
static void plot_share(json_object *share, const char *dir)
{
	FILE *f = open_dat(dir, "share");
	uint64_t size;

	if (!f)
		return;
	fprintf(f, "# bytes share_us bounce_mmap_us bounce_pread_us share_after_free_us bounce_staged_us\n");
	for (size = 4096; size <= (64ull << 20); size *= 4)
		if (!isnan(bench_result(share, "share", "size", size, NULL, 0, "p50")))
			fprintf(f, "%llu %g %g %g %g %g\n", (unsigned long long)size,
				bench_result(share, "share", "size", size, NULL, 0, "p50"),
				bench_result(share, "bounce-mmap", "size", size, NULL, 0, "p50"),
				bench_result(share, "bounce-pread", "size", size, NULL, 0, "p50"),
				bench_result(share, "share-after-free", "size", size, NULL, 0, "p50"),
				bench_result(share, "bounce-staged", "size", size, NULL, 0, "p50"));
	fclose(f);
}

/*
 * revoke.dat: one block per M: attachments N*M, N, revoke, restore (the
 * minimum of each point, as fitted; us).
 */
static void plot_revoke(json_object *revoke, const char *dir)
{
	static const int ns[] = { 4, 16, 64, 256, 1024 }, ms[] = { 1, 2, 4 };
	FILE *f = open_dat(dir, "revoke");
	size_t i, k;

	if (!f)
		return;
	for (k = 0; k < 3; k++) {
		fprintf(f, "# M=%d: attachments dmabufs revoke_us restore_us\n", ms[k]);
		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
			if (!isnan(bench_result(revoke, "revoke", "dmabufs", ns[i], "importers", ms[k], "p0")))
				fprintf(f, "%d %d %g %g\n", ns[i] * ms[k], ns[i],
					bench_result(revoke, "revoke", "dmabufs", ns[i], "importers", ms[k], "p0"),
					bench_result(revoke, "restore", "dmabufs", ns[i], "importers", ms[k], "p0"));
		fprintf(f, "\n\n");
	}
	fclose(f);
}

/* broker.dat: clients, allocations/s, P50 and P99 latency (us). */
static void plot_broker(json_object *broker, const char *dir)
{
	static const int clients[] = { 1, 8, 64 };
	FILE *f = open_dat(dir, "broker");
	size_t k;

	if (!f)
		return;
	fprintf(f, "# clients allocs_per_s p50_us p99_us\n");
	for (k = 0; k < 3; k++)
		if (!isnan(bench_result(broker, "load-rate", "clients", clients[k], NULL, 0, "value")))
			fprintf(f, "%d %g %g %g\n", clients[k],
				bench_result(broker, "load-rate", "clients", clients[k], NULL, 0, "value"),
				bench_result(broker, "load-alloc", "clients", clients[k], NULL, 0, "p50"),
				bench_result(broker, "load-alloc", "clients", clients[k], NULL, 0, "p99"));
	fclose(f);
}

/* Every file of one run: the same kernel, topology, commit and mode. */
static void check_same_run(json_object **roots, const char *dir)
{
	static const char *const keys[] = { "kernel", "topology", "commit", "mode" };
	json_object *env, *first = NULL;
	char what[160];
	size_t i, k;

	for (i = 0; i < NR_FILES; i++) {
		if (!roots[i] || !(env = get(roots[i], "environment", json_type_object)))
			continue;
		if (!first) {
			first = env;
			continue;
		}
		for (k = 0; k < 4; k++) {
			json_object *a = get(first, keys[k], json_type_string);
			json_object *b = get(env, keys[k], json_type_string);

			if (a && b && !strcmp(json_object_get_string(a),
					      json_object_get_string(b)))
				continue;
			snprintf(what, sizeof(what), "%s.json: its %s differs from the other files': not one run",
				 files[i], keys[k]);
			problem(dir, what);
		}
	}
}

int main(int argc, char **argv)
{
	json_object *roots[NR_FILES] = { 0 };
	const char *plots = NULL, *dir = NULL;
	bool only_check = false, header = false;
	char path[4096];
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--check"))
			only_check = true;
		else if (!strcmp(argv[a], "--plots") && a + 1 < argc)
			plots = argv[++a];
		else if (argv[a][0] != '-' && !dir)
			dir = argv[a];
		else
			dir = NULL, a = argc;
	}
	if (!dir) {
		fprintf(stderr, "usage: vramshare-bench-report [--check] [--plots DIR] RESULTS-DIR\n");
		return 2;
	}
	for (i = 0; i < NR_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%s.json", dir, files[i]);
		roots[i] = json_object_from_file(path);
		if (!roots[i]) {
			problem(path, "missing or not JSON");
			continue;
		}
		check(path, roots[i], i);
	}
	check_same_run(roots, dir);
	if (!only_check) {
		for (i = 0; i < NR_FILES; i++) {
			if (!roots[i])
				continue;
			if (!header) {
				print_environment(roots[i]);
				printf("%-52s %10s %-12s %-16s %s\n", "figure", "value",
				       "unit", "goal", "");
				header = true;
			}
			print_summary(roots[i]);
		}
	}
	if (plots) {
		if (roots[1])
			plot_share(roots[1], plots);
		if (roots[2])
			plot_revoke(roots[2], plots);
		if (roots[4])
			plot_broker(roots[4], plots);
	}
	for (i = 0; i < NR_FILES; i++)
		json_object_put(roots[i]);
	return problems ? 1 : 0;
}
