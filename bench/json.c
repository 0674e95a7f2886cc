// SPDX-License-Identifier: MIT
/*
 * vramshare-bench: the JSON a benchmark writes. One file per benchmark:
 *
 *   { "benchmark": NAME, "environment": {...},
 *     "results": [ { "name", "unit", "samples", "p0", "p50", "p99",
 *                    "mean", ...parameters } | { "name", "unit",
 *                    "value", ...parameters } ],
 *     "summary": [ { "figure", "value", "unit", "goal", "met" } ] }
 *
 * "met" is true, false, or null for a figure without a goal.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#ifndef VRAMSHARE_BENCH_COMMIT
#define VRAMSHARE_BENCH_COMMIT "unknown"
#endif

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

/* The first "model name" of /proc/cpuinfo. */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *colon;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) || !(colon = strchr(line, ':')))
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

static json_object *environment(const struct bench_opts *o)
{
	json_object *env = json_object_new_object();
	const char *commit = getenv("VRAMSHARE_COMMIT");
	const char *topology = getenv("RIG_TOPOLOGY");
	struct utsname u;
	char buf[256];
	time_t t = time(NULL);

	uname(&u);
	add_string(env, "kernel", u.release);
	add_string(env, "kernel_version", u.version);
	add_string(env, "machine", u.machine);
	/* lockdep's file exists only on a debug kernel (the rig's own) */
	json_object_object_add(env, "debug_kernel",
			       json_object_new_boolean(!access("/proc/lockdep", F_OK)));
	add_string(env, "topology", topology ? topology : "none");
	if (!commit || !*commit)
		commit = *VRAMSHARE_BENCH_COMMIT ? VRAMSHARE_BENCH_COMMIT : "unknown";
	add_string(env, "commit", commit);
	cpu_model(buf, sizeof(buf));
	add_string(env, "cpu", buf);
	json_object_object_add(env, "cpus",
			       json_object_new_int((int)sysconf(_SC_NPROCESSORS_ONLN)));
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	add_string(env, "date", buf);
	add_string(env, "mode", o->quick ? "short" : "full");
	add_string(env, "exporter", o->exporter);
	add_string(env, "importer", o->importer);
	json_object_object_add(env, "vram_bar", json_object_new_int((int)o->bar));
	return env;
}

void bench_report_init(struct bench_report *r, const char *name,
		       const struct bench_opts *o)
{
	r->root = json_object_new_object();
	r->results = json_object_new_array();
	r->summary = json_object_new_array();
	add_string(r->root, "benchmark", name);
	json_object_object_add(r->root, "environment", environment(o));
	json_object_object_add(r->root, "results", r->results);
	json_object_object_add(r->root, "summary", r->summary);
}

static json_object *result(struct bench_report *r, const char *name,
			   const char *unit)
{
	json_object *o = json_object_new_object();

	add_string(o, "name", name);
	add_string(o, "unit", unit);
	json_object_array_add(r->results, o);
	return o;
}

/*
 * A distribution: count, P0, P50, P99 and mean. Returns the entry, for
 * the caller to add its parameters ("size", "clients", ...).
 */
json_object *bench_report_samples(struct bench_report *r, const char *name,
				  const char *unit, struct bench_samples *s)
{
	json_object *o = result(r, name, unit);

	json_object_object_add(o, "samples", json_object_new_int64((int64_t)s->n));
	json_object_object_add(o, "p0", json_object_new_double(bench_samples_pct(s, 0)));
	json_object_object_add(o, "p50", json_object_new_double(bench_samples_pct(s, 50)));
	json_object_object_add(o, "p99", json_object_new_double(bench_samples_pct(s, 99)));
	json_object_object_add(o, "mean", json_object_new_double(bench_samples_mean(s)));
	return o;
}

/* One figure that is not a distribution (a rate, a slope, a size). */
json_object *bench_report_value(struct bench_report *r, const char *name,
				const char *unit, double value)
{
	json_object *o = result(r, name, unit);

	json_object_object_add(o, "value", json_object_new_double(value));
	return o;
}

/*
 * A line of the summary table: @value in @unit against @goal (text such
 * as ">= 100"); @met 1, 0, or -1 when there is no goal. Printed too.
 */
void bench_report_figure(struct bench_report *r, const char *figure,
			 double value, const char *unit, const char *goal,
			 int met)
{
	json_object *o = json_object_new_object();

	add_string(o, "figure", figure);
	json_object_object_add(o, "value", json_object_new_double(value));
	add_string(o, "unit", unit);
	add_string(o, "goal", goal ? goal : "");
	json_object_object_add(o, "met", met < 0 ? NULL : json_object_new_boolean(met));
	json_object_array_add(r->summary, o);
	printf("  %-52s %10.4g %-12s %-16s %s\n", figure, value, unit,
	       goal ? goal : "", met < 0 ? "" : met ? "met" : "MISSED");
}

void bench_report_write(struct bench_report *r, const char *path)
{
	if (path && json_object_to_file_ext(path, r->root,
					    JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE)) {
		fprintf(stderr, "vramshare-bench: writing %s: %s\n", path,
			json_util_get_last_err());
		exit(1);
	}
	json_object_put(r->root);
	r->root = NULL;
}

/* An earlier pass's file (--against), which must be of @benchmark. */
json_object *bench_load_result(const char *path, const char *benchmark)
{
	json_object *file, *name;

	if (!path) {
		fprintf(stderr, "vramshare-bench: %s's results are needed (--against FILE)\n",
			benchmark);
		exit(2);
	}
	file = json_object_from_file(path);
	if (!file || !json_object_object_get_ex(file, "benchmark", &name) ||
	    strcmp(json_object_get_string(name), benchmark)) {
		fprintf(stderr, "vramshare-bench: %s: not the results of '%s'\n",
			path, benchmark);
		exit(1);
	}
	return file;
}

/* Adds a parameter (size, clients, ...) to a result. */
void bench_param(json_object *result, const char *param, int64_t value)
{
	json_object_object_add(result, param, json_object_new_int64(value));
}
