// SPDX-License-Identifier: MIT
/* igt-harness: the kernel log and its reports. */
#define _GNU_SOURCE
#include "kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* kernel_reports_txt[]: tests/vm/kernel-reports.txt, made at build time */
#include "kernel_reports.h"

#define KMSG_RECORD_MAX	8192	/* > the kernel's largest record */
#define SKIP_MAX	(64u << 20)	/* a FIFO drained before a subtest */

/* ------------------------------------------------------------------ */
/* The report patterns                                                */
/* ------------------------------------------------------------------ */

static void compile_pattern(regex_t **set, size_t *n, const char *text,
			    size_t len)
{
	char *pattern = strndup(text, len), msg[256];
	int err;

	if (!pattern)
		die_oom();
	*set = realloc(*set, (*n + 1) * sizeof(**set));
	if (!*set)
		die_oom();
	err = regcomp(&(*set)[*n], pattern, REG_EXTENDED | REG_NOSUB);
	if (err) {
		regerror(err, &(*set)[*n], msg, sizeof(msg));
		fprintf(stderr, "igt-harness: kernel-reports.txt: bad pattern '%s': %s\n",
			pattern, msg);
		exit(EXIT_INTERNAL);
	}
	(*n)++;
	free(pattern);
}

/* The file's rules: see its header (rig's qemu.sh reads it the same way). */
static void compile_reports(struct kmsg *kmsg)
{
	const char *line = kernel_reports_txt, *end, *p;
	size_t len;

	for (; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		len = (size_t)(end - line);
		p = line + strspn(line, " \t");
		if (p == end || *p == '#')
			continue;
		if (*line == '!')
			compile_pattern(&kmsg->exceptions, &kmsg->n_exceptions,
					line + 1, len - 1);
		else
			compile_pattern(&kmsg->reports, &kmsg->n_reports,
					line, len);
	}
}

static bool matches_any(const regex_t *set, size_t n, const char *msg)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (regexec(&set[i], msg, 0, NULL, 0) == 0)
			return true;
	return false;
}

bool kmsg_is_report(const struct kmsg *kmsg, const char *msg)
{
	return matches_any(kmsg->reports, kmsg->n_reports, msg) &&
	       !matches_any(kmsg->exceptions, kmsg->n_exceptions, msg);
}

/* ------------------------------------------------------------------ */
/* The log                                                            */
/* ------------------------------------------------------------------ */

int kmsg_open(struct kmsg *kmsg, const char *path)
{
	*kmsg = (struct kmsg){ .path = path, .fd = -1 };
	compile_reports(kmsg);
	/* O_NONBLOCK: reading stops where the log ends (and a FIFO without a
	 * writer opens at once). */
	kmsg->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg->fd < 0)
		return -1;
	kmsg_skip(kmsg);
	return 0;
}

void kmsg_close(struct kmsg *kmsg)
{
	size_t i;

	if (kmsg->fd >= 0)
		close(kmsg->fd);
	for (i = 0; i < kmsg->n_reports; i++)
		regfree(&kmsg->reports[i]);
	for (i = 0; i < kmsg->n_exceptions; i++)
		regfree(&kmsg->exceptions[i]);
	free(kmsg->reports);
	free(kmsg->exceptions);
	buf_free(&kmsg->pending);
	*kmsg = (struct kmsg){ .fd = -1 };
}

/* /dev/kmsg and files seek to their end; a FIFO has to be read empty. */
void kmsg_skip(struct kmsg *kmsg)
{
	char chunk[KMSG_RECORD_MAX];
	size_t total = 0;
	ssize_t n;

	kmsg->pending.len = 0;
	if (kmsg->fd < 0 || lseek(kmsg->fd, 0, SEEK_END) >= 0 ||
	    errno != ESPIPE)
		return;
	do {
		n = read(kmsg->fd, chunk, sizeof(chunk));
		if (n > 0)
			total += (size_t)n;
	} while ((n > 0 || (n < 0 && errno == EINTR)) && total < SKIP_MAX);
}

/*
 * One record is "prio,seq,ts_usec,flags[,...];message"; the lines after
 * it that start with a space are its " KEY=value" dictionary, which does
 * not parse as a record and is dropped. Non-printable bytes in the
 * message are already \xNN-escaped by the kernel, so a record is one line.
 */
static void format_record(const struct kmsg *kmsg, char *rec,
			  struct buf *dmesg, struct buf *reports)
{
	unsigned long long ts = 0;
	unsigned int prio = 0;
	char *msg = strchr(rec, ';');
	struct buf line = { 0 };

	if (!msg || sscanf(rec, "%u,%*u,%llu", &prio, &ts) < 1)
		return;
	msg++;
	/* The level is the priority's low 3 bits, as igt_runner shows it. */
	buf_printf(&line, "<%u> [%llu.%06llu] %s\n", prio & 7,
		   ts / 1000000, ts % 1000000, msg);
	buf_append(dmesg, line.data, line.len);
	if (kmsg_is_report(kmsg, msg))
		buf_put(reports, line.data, line.len);
	buf_free(&line);
}

/* Hand every complete line of pending to format_record(), keep the rest. */
static void split_records(struct kmsg *kmsg, struct buf *dmesg,
			  struct buf *reports)
{
	char *line = kmsg->pending.data, *nl;
	size_t rest;

	while ((nl = memchr(line, '\n', kmsg->pending.len -
			    (size_t)(line - kmsg->pending.data)))) {
		*nl = '\0';
		format_record(kmsg, line, dmesg, reports);
		line = nl + 1;
	}
	rest = kmsg->pending.len - (size_t)(line - kmsg->pending.data);
	memmove(kmsg->pending.data, line, rest);
	kmsg->pending.len = rest;
	kmsg->pending.data[rest] = '\0';
}

void kmsg_collect(struct kmsg *kmsg, struct buf *dmesg, struct buf *reports)
{
	char chunk[KMSG_RECORD_MAX];
	ssize_t n;

	if (kmsg->fd < 0)
		return;
	/* Stop at the cap too: a kernel stuck spamming must not trap us. */
	while (!dmesg->dropped) {
		/* /dev/kmsg gives one whole record per read, a file any part. */
		n = read(kmsg->fd, chunk, sizeof(chunk));
		if (n > 0) {
			buf_put(&kmsg->pending, chunk, (size_t)n);
			split_records(kmsg, dmesg, reports);
		} else if (n < 0 && errno == EPIPE) {
			/* The ring buffer overwrote records we had not read. */
			buf_append_str(dmesg, "[igt-harness: kernel log records lost]\n");
		} else if (!(n < 0 && errno == EINTR)) {
			break;	/* EAGAIN, or a file's end: caught up */
		}
	}
}
