/* SPDX-License-Identifier: MIT */
/*
 * igt-harness: the kernel log a subtest caused, read from /dev/kmsg (or,
 * for the harness's own tests, a file or FIFO of records in its format),
 * and the records in it that are kernel reports (tests/vm/kernel-reports.txt,
 * shared with the rig).
 */
#ifndef IGT_HARNESS_KMSG_H
#define IGT_HARNESS_KMSG_H

#include <regex.h>
#include <stdbool.h>

#include "buf.h"

#define KMSG_DEFAULT_PATH	"/dev/kmsg"

struct kmsg {
	const char *path;
	int fd;			/* -1: no kernel log to read */
	struct buf pending;	/* a record read in part (files, FIFOs) */
	regex_t *reports;	/* kernel-reports.txt's patterns */
	size_t n_reports;
	regex_t *exceptions;	/* and its "!" lines */
	size_t n_exceptions;
};

/*
 * Compile the report patterns and open the log at path. 0 on success; -1
 * with errno if the log cannot be opened (kmsg->fd is then -1 and
 * collecting yields nothing).
 */
int kmsg_open(struct kmsg *kmsg, const char *path);
void kmsg_close(struct kmsg *kmsg);

/* Forget what was logged so far: a subtest starts. */
void kmsg_skip(struct kmsg *kmsg);

/*
 * Append every record logged since the last skip or collect to dmesg as
 * "<LEVEL> [SECONDS] MESSAGE" lines, and the report lines among them to
 * reports too. dmesg's limit bounds the reading.
 */
void kmsg_collect(struct kmsg *kmsg, struct buf *dmesg, struct buf *reports);

/* Is this message (a record's text) a kernel report? */
bool kmsg_is_report(const struct kmsg *kmsg, const char *msg);

#endif
