// SPDX-License-Identifier: MIT
/*
 * igt-harness: run igt-style test binaries inside the rig's guest and
 * record what happened.
 *
 * Every binary is asked for its subtests (--list-subtests); each selected
 * subtest then runs alone (--run-subtest NAME) in its own process group,
 * with a timeout, its stdout and stderr captured and echoed, and the
 * kernel log it caused read from /dev/kmsg. A kernel report (the patterns
 * of tests/vm/kernel-reports.txt, which the rig uses too) turns the
 * subtest into a failure: dmesg-warn if it passed or skipped, dmesg-fail
 * if it failed. Results go to a results.json in igt_runner's format and
 * to a "PASSED FAILED SKIPPED" counts file (harness/report.h), both
 * rewritten as each subtest starts and ends so that a guest crash loses
 * nothing but the end of the subtest that caused it.
 *
 * Exit status: 0 all passed or skipped, 1 something failed (or the run was
 * interrupted), 2 bad usage, 3 internal error.
 *
 * harness/proc.c runs the processes, harness/kmsg.c reads the kernel log,
 * harness/report.c writes the results.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/buf.h"
#include "harness/kmsg.h"
#include "harness/proc.h"
#include "harness/report.h"

#define OUTPUT_CAP		(4u << 20)	/* per subtest and stream */
#define KLOG_CAP		(1u << 20)	/* per subtest, formatted */
#define DEFAULT_TIMEOUT_S	600.0
#define MAX_TIMEOUT_S		(86400.0 * 365)

/* igt's exit codes */
#define IGT_EXIT_SKIP		77
#define IGT_EXIT_FAILURE	98
#define IGT_EXIT_ABORT		112

#define USAGE "usage: igt-harness [--results FILE] [--counts FILE] " \
	"[--include GLOB]... [--exclude GLOB]... [--timeout SECONDS] " \
	"[--kmsg PATH] [--list] TEST-BINARY..."

#define HELP USAGE "\n\n" \
	"  --results FILE   results in igt_runner's results.json format\n" \
	"  --counts FILE    one line: PASSED FAILED SKIPPED\n" \
	"  --include GLOB   run only the subtests matching a GLOB (repeatable)\n" \
	"  --exclude GLOB   skip the subtests matching a GLOB (repeatable)\n" \
	"  --timeout S      kill a subtest after S seconds (default 600)\n" \
	"  --kmsg PATH      for the harness's own tests: read the kernel log\n" \
	"                   from PATH (a file or FIFO of /dev/kmsg records)\n" \
	"                   instead of /dev/kmsg\n" \
	"  --list           print the selected tests (igt@BINARY@SUBTEST), one\n" \
	"                   per line, and run none; exit 1 if a listing failed"

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

struct options {
	const char *results_path;
	const char *counts_path;
	const char *kmsg_path;	/* NULL: /dev/kmsg, if readable */
	char **includes;
	size_t n_includes;
	char **excludes;
	size_t n_excludes;
	double timeout_s;
	char **binaries;
	size_t n_binaries;
	bool list_only;
};

__attribute__((noreturn, format(printf, 1, 2)))
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("igt-harness: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("; " USAGE "\n", stderr);
	exit(EXIT_USAGE);
}

static double parse_timeout(const char *s)
{
	char *end;
	double t;

	errno = 0;
	t = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(t) || t <= 0 ||
	    t > MAX_TIMEOUT_S)
		usage_error("bad --timeout '%s'", s);
	return t;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Test names are igt@BINARY@SUBTEST: two binaries of one name would mix. */
static void check_binary_names(const struct options *opt)
{
	size_t i, j;

	for (i = 0; i < opt->n_binaries; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(basename_of(opt->binaries[i]),
				    basename_of(opt->binaries[j])))
				usage_error("two test binaries named %s",
					    basename_of(opt->binaries[i]));
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "counts", required_argument, NULL, 'c' },
		{ "include", required_argument, NULL, 'i' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "timeout", required_argument, NULL, 't' },
		{ "kmsg", required_argument, NULL, 'k' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*opt = (struct options){ .timeout_s = DEFAULT_TIMEOUT_S };
	opt->includes = xcalloc((size_t)argc, sizeof(char *));
	opt->excludes = xcalloc((size_t)argc, sizeof(char *));
	opterr = 0;	/* our own one-line messages instead */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			opt->results_path = optarg;
			break;
		case 'c':
			opt->counts_path = optarg;
			break;
		case 'i':
			opt->includes[opt->n_includes++] = optarg;
			break;
		case 'x':
			opt->excludes[opt->n_excludes++] = optarg;
			break;
		case 't':
			opt->timeout_s = parse_timeout(optarg);
			break;
		case 'k':
			opt->kmsg_path = optarg;
			break;
		case 'l':
			opt->list_only = true;
			break;
		case 'h':
			puts(HELP);
			exit(0);
		case ':':
			usage_error("%s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error("no test binaries given");
	opt->binaries = argv + optind;
	opt->n_binaries = (size_t)(argc - optind);
	check_binary_names(opt);
}

static bool matches_any(char *const *globs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return true;
	return false;
}

static bool selected(const struct options *opt, const char *name)
{
	if (opt->n_includes && !matches_any(opt->includes, opt->n_includes, name))
		return false;
	return !matches_any(opt->excludes, opt->n_excludes, name);
}

/* ------------------------------------------------------------------ */
/* Verdicts                                                           */
/* ------------------------------------------------------------------ */

static void set_returncode(const struct run_result *r, struct outcome *o)
{
	if (!r->reaped)
		return;
	o->has_returncode = WIFEXITED(r->status) || WIFSIGNALED(r->status);
	if (WIFEXITED(r->status))
		o->returncode = WEXITSTATUS(r->status);
	else if (WIFSIGNALED(r->status))
		o->returncode = -WTERMSIG(r->status);
}

/* Map how the process ended to a result, following igt's exit codes. */
static void classify(const struct run_result *r, struct outcome *o)
{
	int code;

	o->result = R_FAIL;
	o->duration_s = r->duration_s;
	set_returncode(r, o);
	code = o->returncode;
	if (r->spawn_errno) {
		buf_printf(&o->reason, "cannot start: %s",
			   strerror(r->spawn_errno));
	} else if (r->interrupted) {
		o->result = R_INCOMPLETE;
		buf_printf(&o->reason, "interrupted by signal %d (%s)",
			   r->interrupted, strsignal(r->interrupted));
	} else if (r->timed_out) {
		o->result = R_TIMEOUT;
	} else if (!o->has_returncode) {
		buf_puts(&o->reason, "lost track of the process");
	} else if (code == 0) {
		o->result = R_PASS;
	} else if (code == IGT_EXIT_SKIP) {
		o->result = R_SKIP;
	} else if (code == IGT_EXIT_FAILURE) {
		buf_puts(&o->reason, "subtest failed");
	} else if (code == IGT_EXIT_ABORT) {
		o->result = R_ABORT;
		buf_puts(&o->reason, "aborted (exit status 112)");
	} else if (code > 0) {
		buf_printf(&o->reason, "exit status %d", code);
	} else {
		o->result = R_CRASH;
		buf_printf(&o->reason, "killed by signal %d (%s)",
			   -code, strsignal(-code));
	}
}

static void note_timeout(double timeout_s, const struct run_result *r,
			 struct outcome *o)
{
	char text[64];

	if (r->timed_out) {
		snprintf(text, sizeof(text), "timed out after %g s", timeout_s);
		outcome_add_reason(o, text);
	}
	if (r->unkillable)
		outcome_add_reason(o, "process did not die after SIGKILL");
}

/*
 * A kernel report fails the subtest even if the test was happy: igt_runner
 * makes a pass dmesg-warn and a fail dmesg-fail; a skip, which it leaves
 * alone, becomes dmesg-warn here, since the rig counts every report.
 */
static void apply_kernel_report(struct outcome *o)
{
	const char *line = o->reports.data;

	if (!o->reports.len)
		return;
	if (o->result == R_PASS || o->result == R_SKIP)
		o->result = R_DMESG_WARN;
	else if (o->result == R_FAIL)
		o->result = R_DMESG_FAIL;
	if (o->reason.len)
		buf_puts(&o->reason, "; ");
	buf_puts(&o->reason, "kernel report: ");
	buf_put(&o->reason, line, strcspn(line, "\n"));
}

/* Take a run's output into the outcome. */
static void take_output(struct run_result *r, struct outcome *o)
{
	o->out = r->out[OUT];
	o->err = r->out[ERR];
	r->out[OUT] = r->out[ERR] = (struct buf){ 0 };
	buf_note_truncation(&o->out, "output");
	buf_note_truncation(&o->err, "error output");
}

/* ------------------------------------------------------------------ */
/* Test binaries and their subtests                                   */
/* ------------------------------------------------------------------ */

struct testbin {
	char *path;		/* absolute, as executed */
	const char *base;
	char **subtests;	/* the selected ones */
	size_t n_subtests;
	bool list_failed;
	struct outcome list_outcome;	/* the binary's entry if it failed */
};

/* A bare name is looked up in $PATH, like a shell would. */
static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	struct buf cand = { 0 };

	for (p = path ? path : ""; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		cand.len = 0;
		buf_printf(&cand, "%.*s/%s", (int)(end - p), p, name);
		if (end > p && access(cand.data, X_OK) == 0)
			return cand.data;
	}
	buf_free(&cand);
	return NULL;
}

/* Absolute path of a binary argument, or NULL with errno set. */
static char *resolve_binary(const char *arg)
{
	char *found = NULL, *real;

	if (!strchr(arg, '/') && access(arg, X_OK) != 0)
		found = find_in_path(arg);
	real = realpath(found ? found : arg, NULL);
	free(found);
	return real;
}

/* Keep the listed names (one per line) that the globs select. */
static void collect_subtests(struct testbin *bin, struct buf *list,
			     const struct options *opt, size_t *n_listed)
{
	char *line, *save = NULL, *end;

	/* Every line is a name at most, so this bounds the array. */
	bin->subtests = xcalloc(list->len / 2 + 1, sizeof(char *));
	if (!list->len)
		return;
	for (line = strtok_r(list->data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t\r");
		end = line + strlen(line);
		while (end > line && strchr(" \t\r", end[-1]))
			*--end = '\0';
		if (!*line)
			continue;
		(*n_listed)++;
		if (selected(opt, line))
			bin->subtests[bin->n_subtests++] = xstrdup(line);
	}
}

/*
 * Record the binary as one failed entry of its own: r is the listing run
 * (NULL if there was none), why overrides the reason derived from it.
 */
static void fail_listing(struct testbin *bin, struct run_result *r,
			 double timeout_s, const char *why)
{
	struct outcome *o = &bin->list_outcome;

	bin->list_failed = true;
	outcome_init(o);
	if (r) {
		classify(r, o);
		note_timeout(timeout_s, r, o);
		take_output(r, o);
	}
	if (o->result != R_TIMEOUT)
		o->result = R_FAIL;
	if (why || (o->has_returncode && o->returncode >= 0))
		buf_free(&o->reason);
	if (why)
		buf_puts(&o->reason, why);
	else if (o->has_returncode && o->returncode >= 0)
		buf_printf(&o->reason, "--list-subtests exited with status %d",
			   o->returncode);
}

static bool exited_zero(const struct run_result *r)
{
	return r->reaped && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

/* Ask one binary for its subtests; its stderr is shown and recorded. */
static void list_binary(struct testbin *bin, const char *arg,
			const struct options *opt)
{
	char *argv[] = { NULL, "--list-subtests", NULL };
	struct run_spec spec = { argv, { NULL, stderr }, opt->timeout_s,
				 OUTPUT_CAP };
	struct run_result r;
	size_t n_listed = 0;
	struct buf why = { 0 };

	bin->base = basename_of(arg);
	bin->path = resolve_binary(arg);
	if (!bin->path) {
		buf_printf(&why, "cannot find %s: %s", arg, strerror(errno));
		fail_listing(bin, NULL, 0, why.data);
		buf_free(&why);
		return;
	}
	argv[0] = bin->path;
	run_process(&spec, &r);
	if (!exited_zero(&r)) {
		fail_listing(bin, &r, spec.timeout_s, NULL);
	} else {
		collect_subtests(bin, &r.out[OUT], opt, &n_listed);
		if (!n_listed)
			fail_listing(bin, &r, spec.timeout_s,
				     "no subtests listed");
	}
	run_result_free(&r);
}

static void free_bins(struct testbin *bins, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < bins[i].n_subtests; j++)
			free(bins[i].subtests[j]);
		free(bins[i].subtests);
		free(bins[i].path);
		if (bins[i].list_failed)
			outcome_free(&bins[i].list_outcome);
	}
	free(bins);
}

/* ------------------------------------------------------------------ */
/* Running                                                            */
/* ------------------------------------------------------------------ */

/* Run one subtest and judge it by its exit and the kernel's log. */
static void run_subtest(const struct testbin *bin, const char *name,
			const struct options *opt, struct kmsg *kmsg,
			struct outcome *o)
{
	char *argv[] = { bin->path, "--run-subtest", (char *)name, NULL };
	struct run_spec spec = { argv, { stdout, stdout }, opt->timeout_s,
				 OUTPUT_CAP };
	struct run_result r;

	outcome_init(o);
	o->dmesg.limit = KLOG_CAP;
	kmsg_skip(kmsg);
	run_process(&spec, &r);
	kmsg_collect(kmsg, &o->dmesg, &o->reports);
	classify(&r, o);
	note_timeout(spec.timeout_s, &r, o);
	take_output(&r, o);
	buf_note_truncation(&o->dmesg, "kernel log");
	apply_kernel_report(o);
}

/* The plan, in the order of the run: the report knows every entry. */
static void plan(struct report *rep, const struct testbin *bins, size_t n)
{
	size_t i, j, b;

	for (i = 0; i < n; i++) {
		b = report_add_bin(rep, bins[i].base);
		if (bins[i].list_failed)
			report_add_entry(rep, b, NULL);
		for (j = 0; j < bins[i].n_subtests; j++)
			report_add_entry(rep, b, bins[i].subtests[j]);
	}
}

/* Every entry in the plan's order; false once a stop was requested. */
static bool run_all(struct report *rep, const struct testbin *bins, size_t n,
		    const struct options *opt, struct kmsg *kmsg)
{
	struct outcome o;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (bins[i].list_failed) {
			report_end(rep, &bins[i].list_outcome);
			continue;
		}
		for (j = 0; j < bins[i].n_subtests; j++) {
			if (stop_requested())
				return false;
			report_begin(rep);
			run_subtest(&bins[i], bins[i].subtests[j], opt, kmsg, &o);
			report_end(rep, &o);
			outcome_free(&o);
		}
	}
	return !stop_requested();
}

static void open_kernel_log(struct kmsg *kmsg, const struct options *opt)
{
	const char *path = opt->kmsg_path ? opt->kmsg_path : KMSG_DEFAULT_PATH;

	if (kmsg_open(kmsg, path) == 0)
		return;
	if (opt->kmsg_path)
		usage_error("cannot read --kmsg %s: %s", path, strerror(errno));
	fprintf(stderr, "igt-harness: cannot read %s: %s; kernel reports will not fail subtests\n",
		path, strerror(errno));
}

/*
 * --list: the selection, as the run would make it, without running it (the
 * rig checks a --subtest against each suite's before booting its guest).
 */
static int list_selection(const struct options *opt)
{
	struct testbin *bins = xcalloc(opt->n_binaries, sizeof(*bins));
	int status = 0;
	size_t i, j;

	for (i = 0; i < opt->n_binaries; i++) {
		list_binary(&bins[i], opt->binaries[i], opt);
		if (bins[i].list_failed) {
			fprintf(stderr, "igt-harness: listing %s failed: %s\n", opt->binaries[i],
				bins[i].list_outcome.reason.len ?
				bins[i].list_outcome.reason.data : "listing failed");
			status = 1;
		}
		for (j = 0; j < bins[i].n_subtests; j++)
			printf("igt@%s@%s\n", bins[i].base, bins[i].subtests[j]);
	}
	free_bins(bins, opt->n_binaries);
	return status;
}

int main(int argc, char **argv)
{
	struct report rep;
	struct options opt;
	struct testbin *bins;
	struct kmsg kmsg;
	bool complete;
	size_t i;

	ensure_std_fds();
	parse_options(argc, argv, &opt);
	/* run_process() waits for SIGCHLD, listing included. */
	setup_signals();
	if (opt.list_only) {
		int status = list_selection(&opt);

		free(opt.includes);
		free(opt.excludes);
		return status;
	}
	open_kernel_log(&kmsg, &opt);
	report_init(&rep, opt.results_path, opt.counts_path, argc, argv);
	/* An empty but valid report from the start, in case we never finish. */
	report_flush(&rep);

	/* List everything first so that the report knows every entry. */
	bins = xcalloc(opt.n_binaries, sizeof(*bins));
	for (i = 0; i < opt.n_binaries && !stop_requested(); i++)
		list_binary(&bins[i], opt.binaries[i], &opt);
	plan(&rep, bins, i);
	report_flush(&rep);
	complete = i == opt.n_binaries && run_all(&rep, bins, i, &opt, &kmsg);
	if (complete)
		report_complete(&rep);

	start_status_line();
	if (!complete)
		printf("igt-harness: interrupted by signal %d; %zu of %zu entries not run\n",
		       stop_requested(), rep.n_entries - rep.done, rep.n_entries);
	printf("%lu passed, %lu failed, %lu skipped\n",
	       rep.passed, rep.failed, rep.skipped);
	fflush(stdout);
	free_bins(bins, i);
	report_free(&rep);
	kmsg_close(&kmsg);
	free(opt.includes);
	free(opt.excludes);
	return complete && rep.failed == 0 ? 0 : 1;
}
