/* SPDX-License-Identifier: MIT */
/*
 * Programs of the project run by a test as a user runs them
 * (vramshare_programs.c): the samples, the benchmarks.
 */
#ifndef VRAMSHARE_PROGRAMS_H
#define VRAMSHARE_PROGRAMS_H

struct vs_run {
	int status;		/* exit status, or 128 + signal */
	char out[32768];	/* stdout and stderr, interleaved (the start) */
};

/*
 * Runs @argv (argv[0] relative to the build tree's top, or absolute) with
 * VRAMSHARE_SOCKET set to @sock unless NULL, collects its output, and
 * fails the subtest if it runs past @timeout_s (it is killed with the
 * processes it started).
 */
void vs_run_program(const char *sock, const char *const *argv,
		    int timeout_s, struct vs_run *r);

#endif
