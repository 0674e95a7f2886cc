// SPDX-License-Identifier: MIT
/*
 * igt-harness: results.json in igt_runner's format (results_version 10):
 *
 *   {"__type__": "TestrunResult", "results_version": 10, "name": ...,
 *    "uname": ..., "cmdline": [...], "vramshare": {...},
 *    "time_elapsed": {"__type__": "TimeAttribute", "start", "end"},
 *    "tests": {"igt@BINARY@SUBTEST": {"result", "out", "err", "dmesg",
 *              ["dmesg-warnings",] ["igt-version",] "returncode", "time"}},
 *    "totals": {"": {...}, "root": {...}, "igt@BINARY": {...}},
 *    "runtimes": {"igt@BINARY": {"time": {...}}}}
 *
 * "vramshare" (the topology, kernel and commit of the run, and whether it
 * completed) and "returncode" (piglit's name) are ours; readers of the
 * format skip what they do not know.
 */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "json.h"
#include "proc.h"

const char *const result_names[R_COUNT] = {
	[R_PASS] = "pass", [R_FAIL] = "fail", [R_SKIP] = "skip",
	[R_CRASH] = "crash", [R_TIMEOUT] = "timeout", [R_ABORT] = "abort",
	[R_INCOMPLETE] = "incomplete", [R_NOTRUN] = "notrun",
	[R_DMESG_WARN] = "dmesg-warn", [R_DMESG_FAIL] = "dmesg-fail",
	[R_WARN] = "warn",
};

/* ------------------------------------------------------------------ */
/* Outcomes                                                           */
/* ------------------------------------------------------------------ */

void outcome_init(struct outcome *o)
{
	*o = (struct outcome){ .result = R_FAIL };
}

void outcome_free(struct outcome *o)
{
	buf_free(&o->reason);
	buf_free(&o->out);
	buf_free(&o->err);
	buf_free(&o->dmesg);
	buf_free(&o->reports);
}

void outcome_add_reason(struct outcome *o, const char *text)
{
	if (o->reason.len)
		buf_puts(&o->reason, "; ");
	buf_puts(&o->reason, text);
}

/* ------------------------------------------------------------------ */
/* Files                                                              */
/* ------------------------------------------------------------------ */

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Write a whole file as PATH.tmp, then rename it over PATH: a reader (or a
 * guest crash) only ever sees the previous or the new complete contents.
 * fsync() first, since the point is to survive the guest dying.
 */
static int write_file_atomic(const char *path, const struct iovec *iov, int n)
{
	struct buf tmp = { 0 };
	int fd, i, err = 0;

	buf_printf(&tmp, "%s.tmp", path);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	for (i = 0; i < n && !err; i++)
		if (write_all(fd, iov[i].iov_base, iov[i].iov_len) < 0)
			err = errno;
	/* EINVAL: not a syncable file (e.g. /dev/stdout); nothing to lose. */
	if (!err && fsync(fd) < 0 && errno != EINVAL)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp.data, path) < 0)
		err = errno;
out:
	if (err)
		fprintf(stderr, "igt-harness: cannot write %s: %s\n",
			path, strerror(err));
	buf_free(&tmp);
	return err ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The plan                                                           */
/* ------------------------------------------------------------------ */

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

void report_init(struct report *r, const char *results_path,
		 const char *counts_path, int argc, char **argv)
{
	const char *topology = env_or("RIG_TOPOLOGY", "unknown");
	const char *commit = env_or("VRAMSHARE_COMMIT", "unknown");
	struct utsname u = { 0 };
	struct buf text = { 0 };
	int i;

	*r = (struct report){ .results_path = results_path,
			      .counts_path = counts_path };
	r->start_epoch = epoch_s();
	uname(&u);

	buf_puts(&r->head, "{\"__type__\":\"TestrunResult\",\"results_version\":10");
	/* The name says which run this was to tools that show only it. */
	buf_printf(&text, "vramshare %s %s %s", commit, topology, u.release);
	json_key(&r->head, "name", 0);
	json_cstring(&r->head, text.data);
	text.len = 0;
	buf_printf(&text, "%s %s %s %s %s", u.sysname, u.nodename, u.release,
		   u.version, u.machine);
	json_key(&r->head, "uname", 0);
	json_cstring(&r->head, text.data);
	json_key(&r->head, "cmdline", 0);
	buf_puts(&r->head, "[");
	for (i = 0; i < argc; i++) {
		if (i)
			buf_puts(&r->head, ",");
		json_cstring(&r->head, argv[i]);
	}
	buf_puts(&r->head, "]");
	json_key(&r->head, "vramshare", 0);
	buf_puts(&r->head, "{");
	json_key(&r->head, "topology", 1);
	json_cstring(&r->head, topology);
	json_key(&r->head, "kernel", 0);
	json_cstring(&r->head, u.release);
	json_key(&r->head, "commit", 0);
	json_cstring(&r->head, commit);
	buf_free(&text);
}

void report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n_entries; i++)
		free(r->entries[i].name);
	for (i = 0; i < r->n_bins; i++)
		free(r->bins[i].name);
	free(r->entries);
	free(r->bins);
	buf_free(&r->head);
	buf_free(&r->finished);
	buf_free(&r->notrun);
}

static void *grow(void *array, size_t n, size_t size)
{
	array = realloc(array, (n + 1) * size);
	if (!array)
		die_oom();
	return array;
}

size_t report_add_bin(struct report *r, const char *base)
{
	struct buf name = { 0 };

	buf_printf(&name, "igt@%s", base);
	r->bins = grow(r->bins, r->n_bins, sizeof(*r->bins));
	r->bins[r->n_bins] = (struct report_bin){ .name = name.data };
	return r->n_bins++;
}

/* "NAME":{"result":RESULT,"out":OUT,"err":"","dmesg":"","time":...} */
static void entry_stub(struct buf *j, const char *name, enum result res,
		       const char *out)
{
	json_cstring(j, name);
	buf_puts(j, ":{");
	json_key(j, "result", 1);
	json_cstring(j, result_names[res]);
	json_key(j, "out", 0);
	json_cstring(j, out);
	buf_puts(j, ",\"err\":\"\",\"dmesg\":\"\",\"time\":");
	json_time(j, 0, 0);
	buf_puts(j, "}");
}

/* subtest NULL: the binary as a whole (its listing failed). */
void report_add_entry(struct report *r, size_t bin, const char *subtest)
{
	struct report_entry *e;
	struct buf name = { 0 };

	buf_puts(&name, r->bins[bin].name);
	if (subtest)
		buf_printf(&name, "@%s", subtest);
	r->entries = grow(r->entries, r->n_entries, sizeof(*r->entries));
	e = &r->entries[r->n_entries++];
	*e = (struct report_entry){ .name = name.data, .bin = bin };
	if (r->notrun.len)
		buf_puts(&r->notrun, ",\n");
	e->notrun_at = r->notrun.len;
	entry_stub(&r->notrun, e->name, R_NOTRUN, "");
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

static void tally(unsigned long *passed, unsigned long *failed,
		  unsigned long *skipped, enum result res)
{
	if (res == R_PASS)
		(*passed)++;
	else if (res == R_SKIP)
		(*skipped)++;
	else if (res != R_NOTRUN)
		(*failed)++;
}

/* One totals object: every result igt_runner counts, zeros included. */
static void json_totals(struct buf *j, const char *key,
			const unsigned long *count, int first)
{
	int i;

	json_key(j, key, first);
	buf_puts(j, "{");
	for (i = 0; i < R_COUNT; i++) {
		json_key(j, result_names[i], i == 0);
		buf_printf(j, "%lu", count[i]);
	}
	buf_puts(j, "}");
}

/* totals and runtimes, counting the entries not finished as they stand. */
static void json_tail(const struct report *r, struct buf *j)
{
	unsigned long (*count)[R_COUNT] = xcalloc(r->n_bins, sizeof(*count));
	unsigned long all[R_COUNT] = { 0 };
	size_t b, i;
	int k;
	bool first = true;

	for (b = 0; b < r->n_bins; b++)
		memcpy(count[b], r->bins[b].count, sizeof(count[b]));
	for (i = r->done; i < r->n_entries; i++)
		count[r->entries[i].bin][i == r->done && r->running ?
					 R_INCOMPLETE : R_NOTRUN]++;
	for (b = 0; b < r->n_bins; b++)
		for (k = 0; k < R_COUNT; k++)
			all[k] += count[b][k];

	buf_puts(j, "},\"totals\":{");
	json_totals(j, "", all, 1);
	json_totals(j, "root", all, 0);
	/* As igt_runner: a binary none of whose subtests was picked has none. */
	for (b = 0; b < r->n_bins; b++) {
		unsigned long n = 0;

		for (k = 0; k < R_COUNT; k++)
			n += count[b][k];
		if (n)
			json_totals(j, r->bins[b].name, count[b], 0);
	}
	buf_puts(j, "},\"runtimes\":{");
	for (b = 0; b < r->n_bins; b++) {
		if (!r->bins[b].ran)
			continue;
		json_key(j, r->bins[b].name, first);
		buf_puts(j, "{\"time\":");
		json_time(j, 0, r->bins[b].runtime_s);
		buf_puts(j, "}");
		first = false;
	}
	buf_puts(j, "}}\n");
	free(count);
}

static void write_results(const struct report *r)
{
	struct buf mid = { 0 }, running = { 0 }, tail = { 0 };
	size_t rest = r->done + (r->running ? 1 : 0);
	struct iovec iov[8];
	int n = 0;

	/* Everything before the tests: small, made anew each time. */
	buf_put(&mid, r->head.data, r->head.len);
	buf_printf(&mid, ",\"complete\":%s}", r->complete ? "true" : "false");
	json_key(&mid, "time_elapsed", 0);
	json_time(&mid, r->start_epoch, epoch_s());
	buf_puts(&mid, ",\"tests\":{\n");
	iov[n++] = (struct iovec){ mid.data, mid.len };

	if (r->finished.len)
		iov[n++] = (struct iovec){ r->finished.data, r->finished.len };
	if (r->running) {
		if (r->finished.len)
			buf_puts(&running, ",\n");
		entry_stub(&running, r->entries[r->done].name, R_INCOMPLETE,
			   "igt-harness: started, not finished: the guest died "
			   "or the harness was killed while it ran\n");
		iov[n++] = (struct iovec){ running.data, running.len };
	}
	if (rest < r->n_entries) {
		if (rest)
			iov[n++] = (struct iovec){ ",\n", 2 };
		iov[n++] = (struct iovec){
			r->notrun.data + r->entries[rest].notrun_at,
			r->notrun.len - r->entries[rest].notrun_at };
	}
	buf_puts(&tail, "\n");
	json_tail(r, &tail);
	iov[n++] = (struct iovec){ tail.data, tail.len };
	write_file_atomic(r->results_path, iov, n);
	buf_free(&mid);
	buf_free(&running);
	buf_free(&tail);
}

/* The subtest running counts as failed: if the guest dies, it did. */
static void write_counts(const struct report *r)
{
	unsigned long failed = r->failed + (r->running ? 1 : 0);
	char line[96];
	struct iovec iov;

	snprintf(line, sizeof(line), "%lu %lu %lu\n",
		 r->passed, failed, r->skipped);
	iov = (struct iovec){ line, strlen(line) };
	write_file_atomic(r->counts_path, &iov, 1);
}

void report_flush(const struct report *r)
{
	if (r->results_path)
		write_results(r);
	if (r->counts_path)
		write_counts(r);
}

/* ------------------------------------------------------------------ */
/* Progress                                                           */
/* ------------------------------------------------------------------ */

/* Width of the n in "[  n/total]": fixed per run, so the lines align. */
static int counter_width(size_t total)
{
	int w = 1;

	while (total >= 10) {
		total /= 10;
		w++;
	}
	return w < 3 ? 3 : w;
}

static void print_result(const struct report *r, const char *name,
			 const struct outcome *o)
{
	start_status_line();
	printf("[%*zu/%zu] %s: %s (%.2f s)", counter_width(r->n_entries),
	       r->done, r->n_entries, name, result_names[o->result],
	       o->duration_s);
	if (o->result != R_PASS && o->reason.len)
		printf(" - %s", o->reason.data);
	putchar('\n');
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Entries                                                            */
/* ------------------------------------------------------------------ */

/* The "IGT-Version: ..." line libigt prints first, which igt_runner keeps. */
static void json_igt_version(struct buf *j, const struct buf *out)
{
	static const char key[] = "IGT-Version:";
	const char *p = buf_str(out);

	while (*p && strncmp(p, key, strlen(key))) {
		p = strchr(p, '\n');
		p = p ? p + 1 : "";
	}
	if (!*p)
		return;
	json_key(j, "igt-version", 0);
	json_string(j, p, strcspn(p, "\n"));
}

/* One member of "tests"; the harness's note ends "out", as igt_runner's. */
static void json_outcome(struct buf *j, const char *name,
			 const struct outcome *o)
{
	json_cstring(j, name);
	buf_puts(j, ":{");
	json_key(j, "result", 1);
	json_cstring(j, result_names[o->result]);
	json_key(j, "out", 0);
	json_string_open(j);
	json_string_text(j, buf_str(&o->out), o->out.len);
	if (o->reason.len) {
		if (o->out.len && o->out.data[o->out.len - 1] != '\n')
			json_string_text(j, "\n", 1);
		json_string_text(j, "igt-harness: ", 13);
		json_string_text(j, o->reason.data, o->reason.len);
		json_string_text(j, "\n", 1);
	}
	json_string_close(j);
	json_key(j, "err", 0);
	json_string(j, buf_str(&o->err), o->err.len);
	json_key(j, "dmesg", 0);
	json_string(j, buf_str(&o->dmesg), o->dmesg.len);
	if (o->reports.len) {
		json_key(j, "dmesg-warnings", 0);
		json_string(j, o->reports.data, o->reports.len);
	}
	json_igt_version(j, &o->out);
	json_key(j, "returncode", 0);
	if (o->has_returncode)
		buf_printf(j, "%d", o->returncode);
	else
		buf_puts(j, "null");
	json_key(j, "time", 0);
	json_time(j, 0, o->duration_s);
	buf_puts(j, "}");
}

void report_begin(struct report *r)
{
	if (r->done >= r->n_entries)
		return;
	r->running = true;
	report_flush(r);
}

/* Account for the entry and make it durable right away. */
void report_end(struct report *r, const struct outcome *o)
{
	struct report_entry *e;
	struct report_bin *bin;

	if (r->done >= r->n_entries)
		return;
	e = &r->entries[r->done];
	bin = &r->bins[e->bin];
	bin->count[o->result]++;
	bin->runtime_s += o->duration_s;
	bin->ran = true;
	tally(&r->passed, &r->failed, &r->skipped, o->result);
	if (r->finished.len)
		buf_puts(&r->finished, ",\n");
	json_outcome(&r->finished, e->name, o);
	r->running = false;
	r->done++;
	print_result(r, e->name, o);
	report_flush(r);
}

void report_complete(struct report *r)
{
	r->complete = true;
	report_flush(r);
}
