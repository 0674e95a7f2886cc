// SPDX-License-Identifier: MIT
/* igt-harness: running one child process. */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_GRACE_S	10.0	/* SIGKILLed but not dead yet */
#define DRAIN_GRACE_S	2.0	/* exited but a pipe is still open */
#define READ_CHUNK	65536

/* ------------------------------------------------------------------ */
/* Time and signals                                                   */
/* ------------------------------------------------------------------ */

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double epoch_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec to_timespec(double s)
{
	struct timespec ts = { 0, 0 };

	if (s > 0) {
		ts.tv_sec = (time_t)s;
		ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_nsec = 999999999L;
	}
	return ts;
}

static volatile sig_atomic_t stop_signal;	/* SIGINT/TERM/HUP seen */
static sigset_t child_mask;	/* the mask we started with, for children */
static sigset_t wait_mask;	/* child_mask minus the signals we wait on */

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* Does nothing: its only job is to make ppoll() return on child exit. */
static void on_sigchld(int sig)
{
	(void)sig;
}

/*
 * SIGCHLD and the stop signals are blocked except inside ppoll(), so
 * neither a child's exit nor a Ctrl-C can slip in between checking for it
 * and going to sleep. SIGPIPE is ignored so that a vanished reader of our
 * stdout costs us the echo, not the run.
 */
void setup_signals(void)
{
	static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { 0 };
	sigset_t block;
	size_t i;

	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = 0;
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++) {
		sigaction(stop_sigs[i], &sa, NULL);
		sigaddset(&block, stop_sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &child_mask);
	wait_mask = child_mask;
	sigdelset(&wait_mask, SIGCHLD);
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
		sigdelset(&wait_mask, stop_sigs[i]);
}

int stop_requested(void)
{
	sigset_t pending;

	if (stop_signal)
		return stop_signal;
	if (sigpending(&pending) < 0)
		return 0;
	if (sigismember(&pending, SIGINT))
		stop_signal = SIGINT;
	else if (sigismember(&pending, SIGTERM))
		stop_signal = SIGTERM;
	else if (sigismember(&pending, SIGHUP))
		stop_signal = SIGHUP;
	return stop_signal;
}

/*
 * If we were started with fd 0, 1 or 2 closed, the pipes we create would
 * land there and the dup2() dance in the child would clobber them.
 */
void ensure_std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */
/* Live echo of test output                                           */
/* ------------------------------------------------------------------ */

/* Whether our stdout ends a line, so status lines never glue onto output. */
static bool stdout_at_bol = true;

static void echo_output(FILE *to, const char *p, size_t n)
{
	if (!n || !to)
		return;
	fwrite(p, 1, n, to);
	fflush(to);
	if (to == stdout)
		stdout_at_bol = p[n - 1] == '\n';
}

void start_status_line(void)
{
	if (!stdout_at_bol)
		putchar('\n');
	stdout_at_bol = true;
}

/* ------------------------------------------------------------------ */
/* Running one child process                                          */
/* ------------------------------------------------------------------ */

/* In the child: wire up fds and signals, then become the test. */
static void exec_child(const struct run_spec *spec, const int fds[2])
{
	struct sigaction dfl = { 0 };
	int null_fd;

	/* Own group, so a timeout can kill everything the test forked. */
	setpgid(0, 0);
	/* Ignored signals survive exec: give the test a normal SIGPIPE. */
	sigemptyset(&dfl.sa_mask);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	sigprocmask(SIG_SETMASK, &child_mask, NULL);

	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd >= 0 && null_fd != STDIN_FILENO) {
		dup2(null_fd, STDIN_FILENO);
		close(null_fd);
	}
	/* fds[] are O_CLOEXEC; the dup2()ed copies are not. */
	dup2(fds[OUT], STDOUT_FILENO);
	dup2(fds[ERR], STDERR_FILENO);
	execv(spec->argv[0], spec->argv);
	dprintf(STDERR_FILENO, "igt-harness: cannot execute %s: %s\n",
		spec->argv[0], strerror(errno));
	_exit(127);
}

static void close_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * Fork the child; returns its pid and the read ends of its stdout and
 * stderr pipes (two pipes, so the results keep the streams apart).
 */
static pid_t spawn(const struct run_spec *spec, int rd[2], int *err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, wr[2];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		*err = errno;
		close_fds(out, 2);
		close_fds(errp, 2);
		return -1;
	}
	wr[OUT] = out[1];
	wr[ERR] = errp[1];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		exec_child(spec, wr);
	if (pid < 0)
		*err = errno;
	close_fds(wr, 2);
	if (pid < 0) {
		close(out[0]);
		close(errp[0]);
		return -1;
	}
	/* Also here: the group must exist before we might want to kill it. */
	setpgid(pid, pid);
	/* Only our ends: the child's stdout and stderr stay blocking. */
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	rd[OUT] = out[0];
	rd[ERR] = errp[0];
	return pid;
}

static void kill_group(pid_t pgid)
{
	if (kill(-pgid, SIGKILL) < 0 && errno != ESRCH)
		fprintf(stderr, "igt-harness: cannot kill process group %d: %s\n",
			(int)pgid, strerror(errno));
}

/*
 * Has the child exited? WNOWAIT leaves it a zombie: its pid, which is also
 * its process-group id, then cannot be reused while we still kill stray
 * members of that group.
 */
static bool child_exited(pid_t pid)
{
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
			return si.si_pid == pid;
		if (errno != EINTR)
			return true;	/* ECHILD: nothing left to wait for */
	}
}

/*
 * Read what one pipe has (one chunk, so a chatty test cannot starve the
 * timeout check). Returns false once the pipe is at EOF or broken.
 */
static bool pump_output(int fd, FILE *echo, struct buf *out)
{
	char chunk[READ_CHUNK];
	ssize_t n;

	do {
		n = read(fd, chunk, sizeof(chunk));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN;
	if (n == 0)
		return false;
	buf_append(out, chunk, (size_t)n);
	echo_output(echo, chunk, (size_t)n);
	return true;
}

/* Sleep until output, a signal (child exit, stop) or the deadline. */
static void wait_for_event(int fds[2], double deadline,
			   const struct run_spec *spec, struct run_result *res)
{
	struct pollfd pfd[2];
	struct timespec ts = to_timespec(deadline - now_s());
	int i;

	for (i = 0; i < 2; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (ppoll(pfd, 2, &ts, &wait_mask) <= 0)
		return;
	for (i = 0; i < 2; i++) {
		if (fds[i] < 0 || !pfd[i].revents)
			continue;
		if (!pump_output(fds[i], spec->echo[i], &res->out[i])) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
}

enum child_phase { RUNNING, KILLED, EXITED };

/*
 * Watch the child until it has exited and its output is drained. Each
 * phase has its own deadline: the timeout while running, the grace for
 * SIGKILL to take effect, and the grace for the pipes to reach EOF after
 * exit (a writer outside the group could hold them open forever).
 */
static void supervise(pid_t pid, int fds[2], const struct run_spec *spec,
		      struct run_result *res, double start)
{
	enum child_phase phase = RUNNING;
	double deadline = start + spec->timeout_s;

	for (;;) {
		if (phase != EXITED && child_exited(pid)) {
			/*
			 * Whatever is left in the group is a stray helper: it
			 * would hold the pipes open and meddle with the next
			 * subtest.
			 */
			kill_group(pid);
			phase = EXITED;
			deadline = now_s() + DRAIN_GRACE_S;
		} else if (phase == RUNNING && (stop_requested() ||
						now_s() >= deadline)) {
			res->interrupted = stop_signal;
			res->timed_out = !stop_signal;
			kill_group(pid);
			phase = KILLED;
			deadline = now_s() + KILL_GRACE_S;
		} else if (phase != RUNNING && now_s() >= deadline) {
			/* Stuck in the kernel, or a leftover writer: move on. */
			res->unkillable = phase == KILLED;
			break;
		}
		if (phase == EXITED && fds[OUT] < 0 && fds[ERR] < 0)
			break;
		wait_for_event(fds, deadline, spec, res);
	}
	close_fds(fds, 2);
}

static void reap(pid_t pid, struct run_result *res)
{
	pid_t r;

	do {
		r = waitpid(pid, &res->status, 0);
	} while (r < 0 && errno == EINTR);
	res->reaped = r == pid;
}

void run_process(const struct run_spec *spec, struct run_result *res)
{
	double start = now_s();
	int fds[2] = { -1, -1 };
	pid_t pid;

	*res = (struct run_result){ 0 };
	res->out[OUT].limit = spec->out_cap;
	res->out[ERR].limit = spec->out_cap;
	pid = spawn(spec, fds, &res->spawn_errno);
	if (pid < 0)
		return;
	supervise(pid, fds, spec, res, start);
	if (!res->unkillable)
		reap(pid, res);
	res->duration_s = now_s() - start;
}

void run_result_free(struct run_result *res)
{
	buf_free(&res->out[OUT]);
	buf_free(&res->out[ERR]);
}
