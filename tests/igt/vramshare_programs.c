// SPDX-License-Identifier: MIT
/*
 * Programs of the project run by a test: their output collected, their
 * exit status returned, and a time limit after which they and every
 * process they started are killed.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"
#include "vramshare_broker_rig.h"
#include "vramshare_programs.h"

void vs_run_program(const char *sock, const char *const *argv,
		    int timeout_s, struct vs_run *r)
{
	char path[PATH_MAX];
	size_t len = 0;
	time_t deadline = time(NULL) + timeout_s;
	int pipefd[2], status;
	pid_t pid;

	if (argv[0][0] == '/')
		snprintf(path, sizeof(path), "%s", argv[0]);
	else
		vs_build_file(path, sizeof(path), NULL, argv[0]);
	igt_assert_eq(pipe(pipefd), 0);
	pid = fork();
	igt_assert(pid >= 0);
	if (pid == 0) {
		/* Its own group: a timeout kills the processes it started too. */
		setpgid(0, 0);
		close(pipefd[0]);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		if (sock)
			setenv("VRAMSHARE_SOCKET", sock, 1);
		execv(path, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		char discard[4096];
		ssize_t n;

		if (time(NULL) > deadline) {
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		/* Past the buffer's end the output is read and dropped. */
		if (len < sizeof(r->out) - 1)
			n = read(pipefd[0], r->out + len, sizeof(r->out) - 1 - len);
		else
			n = read(pipefd[0], discard, sizeof(discard));
		if (n <= 0)
			break;
		if (len < sizeof(r->out) - 1)
			len += (size_t)n;
	}
	r->out[len] = '\0';
	close(pipefd[0]);
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	igt_info("%s exited with %d:\n%s", argv[0], r->status, r->out);
	igt_assert_f(time(NULL) <= deadline, "%s ran past %d s\n", argv[0],
		     timeout_s);
}
