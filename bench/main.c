// SPDX-License-Identifier: MIT
/*
 * vramshare-bench: what the stack costs and how the cost grows. One
 * benchmark per run, its figures printed and written as JSON (--json);
 * bench/run-benchmarks.sh runs them all in order and ./rig bench runs that
 * on the Debian kernels. See docs/performance.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "vramshare.h"

struct benchmark {
	const char *name;
	int (*run)(const struct bench_opts *o);
	bool needs_exporter;	/* opens GPU A itself: no broker may run */
	const char *what;
};

static const struct benchmark benchmarks[] = {
	{ "bounce", bench_bounce, true, "VRAM read into GPU B's memory through the vfio region, 4 KiB-64 MiB" },
	{ "share", bench_share, false, "a broker buffer imported and mapped by GPU B (--against bounce's JSON)" },
	{ "revoke", bench_revoke, true, "revoke/restore/reset with N dma-bufs x M importers" },
	{ "control", bench_control, true, "export, attach+map, PRIME import latencies" },
	{ "broker", bench_broker, false, "broker round trip, 1/8/64 clients, memory (--against control's JSON)" },
	{ "cpu", bench_cpu, true, "CPU read/write through dma-buf mappings vs the vfio region" },
	{ "memory", bench_memory, true, "kernel memory per dma-buf and per attachment" },
	{ "jobs", bench_jobs, true, "peer-to-peer jobs and reset cost on GPU B's engine" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vramshare-bench [OPTIONS] BENCHMARK [EXPORTER [RENDER-NODE]]\n"
		"  --short        a few points and repetitions: checks that it works\n"
		"  --json FILE    write the figures as JSON\n"
		"  --against FILE the JSON of the pass share or broker compares with\n"
		"  -b BAR         GPU A's VRAM BAR (default $VRAMSHARE_VRAM_BAR, else 0)\n"
		"  -n JOBS        jobs: jobs per row (default 5)\n"
		"  -s BYTES       jobs: bytes per job (default 8192)\n"
		"EXPORTER is GPU A's PCI address, RENDER-NODE GPU B's drm-import node\n"
		"(default: the first of each). Benchmarks:\n");
	for (i = 0; i < sizeof(benchmarks) / sizeof(benchmarks[0]); i++)
		fprintf(f, "  %-8s %s\n", benchmarks[i].name, benchmarks[i].what);
}

/* Many dma-bufs and importers at once: as many descriptors as allowed. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_max < 65536) {
		struct rlimit more = { 65536, 65536 };

		if (!setrlimit(RLIMIT_NOFILE, &more))
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static bool parse_uint(const char *s, unsigned long long max,
		       unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end && *s != '-' && *v <= max;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "short", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "against", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bench_opts o = { .jobs = 5, .job_size = 8192 };
	const struct benchmark *bm = NULL;
	const char *bar = getenv("VRAMSHARE_VRAM_BAR");
	unsigned long long v;
	size_t i;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "b:n:s:h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'q': o.quick = true; break;
		case 'j': o.out = optarg; break;
		case 'a': o.against = optarg; break;
		case 'b': bar = optarg; break;
		case 'n':
			if (!parse_uint(optarg, 1000, &v) || !v)
				goto bad;
			o.jobs = v;
			break;
		case 's':
			if (!parse_uint(optarg, 1ull << 30, &v) || !v)
				goto bad;
			o.job_size = v;
			break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (bar) {
		if (!parse_uint(bar, 5, &v))
			goto bad;
		o.bar = v;
	}
	if (optind >= argc || argc - optind > 3)
		goto bad;
	for (i = 0; i < sizeof(benchmarks) / sizeof(benchmarks[0]); i++)
		if (!strcmp(argv[optind], benchmarks[i].name))
			bm = &benchmarks[i];
	if (!bm)
		goto bad;
	if (argc - optind > 1)
		snprintf(o.exporter, sizeof(o.exporter), "%s", argv[optind + 1]);
	else if ((ret = vrs_find_exporter(o.exporter, sizeof(o.exporter))) &&
		 bm->needs_exporter)
		bench_die("no exporter", ret);
	if (argc - optind > 2)
		snprintf(o.importer, sizeof(o.importer), "%s", argv[optind + 2]);
	else if ((ret = vrs_find_importer(o.importer, sizeof(o.importer))))
		bench_die("no importer", ret);
	raise_fd_limit();
	return bm->run(&o);
bad:
	usage(stderr);
	return 2;
}
