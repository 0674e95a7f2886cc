/* SPDX-License-Identifier: MIT */
/*
 * igt-harness: running one child process under a timeout, its stdout and
 * stderr captured (and echoed as they arrive), and the signals that stop
 * the harness.
 */
#ifndef IGT_HARNESS_PROC_H
#define IGT_HARNESS_PROC_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "buf.h"

enum { OUT, ERR };	/* index of a stream in the arrays below */

struct run_spec {
	char *const *argv;	/* argv[0] is the path to execute */
	FILE *echo[2];		/* where to copy each stream live, or NULL */
	double timeout_s;
	size_t out_cap;		/* per stream */
};

struct run_result {
	int spawn_errno;	/* pipe() or fork() failed */
	bool reaped;		/* status is valid */
	int status;
	bool timed_out;
	bool unkillable;	/* survived SIGKILL: left behind, not reaped */
	int interrupted;	/* stop signal that cut the run short */
	double duration_s;
	struct buf out[2];	/* stdout, stderr */
};

double now_s(void);
/* Wall-clock time, for the results' time stamps. */
double epoch_s(void);

/*
 * SIGCHLD and the stop signals (INT, TERM, HUP) blocked but while waiting
 * for a child; SIGPIPE ignored.
 */
void setup_signals(void);
/* The stop signal seen (handled or pending), 0 if none. */
int stop_requested(void);

/* Occupy fds 0-2 if we were started with them closed. */
void ensure_std_fds(void);

/* Start a status line of our own on stdout, never glued onto output. */
void start_status_line(void);

/* Run one child to completion (or timeout); never fails as a whole. */
void run_process(const struct run_spec *spec, struct run_result *res);
void run_result_free(struct run_result *res);

#endif
