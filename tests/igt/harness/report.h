/* SPDX-License-Identifier: MIT */
/*
 * igt-harness: the results, in igt_runner's results.json format, and the
 * "PASSED FAILED SKIPPED" counts file the rig reads.
 *
 * Both files are rewritten (atomically) as each subtest starts and ends,
 * so a guest that dies leaves results that name the subtest it died in
 * ("incomplete") and the ones it never reached ("notrun").
 */
#ifndef IGT_HARNESS_REPORT_H
#define IGT_HARNESS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* igt_runner's results; "warn" (stderr output) is never given here. */
enum result {
	R_PASS, R_FAIL, R_SKIP, R_CRASH, R_TIMEOUT, R_ABORT, R_INCOMPLETE,
	R_NOTRUN, R_DMESG_WARN, R_DMESG_FAIL, R_WARN, R_COUNT
};

extern const char *const result_names[R_COUNT];

/* Everything recorded about one test (a subtest, or a whole binary). */
struct outcome {
	enum result result;
	bool has_returncode;
	int returncode;		/* exit status, or -signal */
	struct buf reason;	/* the harness's note, if any */
	double duration_s;
	struct buf out, err;
	struct buf dmesg;
	struct buf reports;	/* the kernel report lines of dmesg */
};

void outcome_init(struct outcome *o);
void outcome_free(struct outcome *o);
/* Add to the reason, keeping what is already there. */
void outcome_add_reason(struct outcome *o, const char *text);

struct report_entry {
	char *name;		/* igt@BINARY@SUBTEST, or igt@BINARY */
	size_t bin;
	size_t notrun_at;	/* its "notrun" text in report.notrun */
};

struct report_bin {
	char *name;		/* igt@BINARY */
	double runtime_s;
	bool ran;
	unsigned long count[R_COUNT];	/* of its finished entries */
};

struct report {
	const char *results_path;
	const char *counts_path;
	struct buf head;	/* the top-level fields before "time_elapsed" */
	double start_epoch;
	struct report_entry *entries;
	size_t n_entries;
	struct report_bin *bins;
	size_t n_bins;
	size_t done;		/* entries finished, in order */
	bool running;		/* entries[done] has started */
	bool complete;
	struct buf finished;	/* the finished entries' JSON */
	struct buf notrun;	/* every entry's JSON as not run */
	unsigned long passed, failed, skipped;	/* for the counts file */
};

/* argv: the harness's command line, recorded as igt_runner does. */
void report_init(struct report *r, const char *results_path,
		 const char *counts_path, int argc, char **argv);
void report_free(struct report *r);

/* The plan: binaries, then their entries in the order they will run. */
size_t report_add_bin(struct report *r, const char *base);
void report_add_entry(struct report *r, size_t bin, const char *subtest);

/* Write both files as they stand. */
void report_flush(const struct report *r);
/* The next entry starts; then it ends with o. */
void report_begin(struct report *r);
void report_end(struct report *r, const struct outcome *o);
/* Every entry has run: the last write. */
void report_complete(struct report *r);

#endif
