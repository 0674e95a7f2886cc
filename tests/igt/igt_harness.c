// SPDX-License-Identifier: MIT
/*
 * igt-harness: run igt-style test binaries inside the rig's guest and
 * record what happened.
 *
 * Every binary is asked for its subtests (--list-subtests); each selected
 * subtest then runs alone (--run-subtest NAME) in its own process group,
 * with a timeout, its output captured and echoed, and the kernel log it
 * caused read from /dev/kmsg. A kernel report (WARNING, BUG, lockdep, ...)
 * turns a pass or skip into a failure. Results go to a JSON file and a
 * "PASSED FAILED SKIPPED" counts file, both rewritten after every subtest
 * so that a guest crash loses at most the subtest that caused it.
 *
 * Exit status: 0 all passed or skipped, 1 something failed (or the run was
 * interrupted), 2 bad usage, 3 internal error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_CAP		(4u << 20)	/* per subtest, stdout+stderr */
#define KLOG_CAP		(1u << 20)	/* per subtest, formatted */
#define DEFAULT_TIMEOUT_S	600.0
#define MAX_TIMEOUT_S		(86400.0 * 365)
#define KILL_GRACE_S		10.0	/* SIGKILLed but not dead yet */
#define DRAIN_GRACE_S		2.0	/* exited but the pipe is still open */
#define READ_CHUNK		65536
#define KMSG_RECORD_MAX		8192	/* > the kernel's largest record */

#define IGT_EXIT_SKIP		77
#define IGT_EXIT_FAILURE	98

#define EXIT_USAGE		2
#define EXIT_INTERNAL		3

#define USAGE "usage: igt-harness [--results FILE] [--counts FILE] " \
	"[--include GLOB]... [--exclude GLOB]... [--timeout SECONDS] " \
	"TEST-BINARY..."

/* ------------------------------------------------------------------ */
/* Growable byte buffers                                              */
/* ------------------------------------------------------------------ */

/*
 * A byte buffer that is always NUL-terminated (so text in it can be
 * searched with the str* functions) and optionally capped: appends past
 * the cap are counted, not stored, so a runaway test cannot exhaust the
 * guest's memory but the result still says how much was lost.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;		/* 0: unlimited */
	size_t dropped;		/* bytes refused because of limit */
};

static void die_oom(void)
{
	fputs("igt-harness: out of memory\n", stderr);
	exit(EXIT_INTERNAL);
}

static void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;	/* +1: the terminating NUL */
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (need < b->len)
		die_oom();
	if (need <= b->cap)
		return;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		die_oom();
	b->data = p;
	b->cap = cap;
}

/* Append ignoring the cap: for the harness's own notes and for JSON. */
static void buf_put(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* Append honouring the cap. */
static void buf_append(struct buf *b, const void *p, size_t n)
{
	size_t room = n;

	if (b->limit)
		room = b->len < b->limit ? b->limit - b->len : 0;
	if (n > room) {
		b->dropped += n - room;
		n = room;
	}
	buf_put(b, p, n);
}

static void buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

static void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

/* Say in the text itself that it is incomplete, so nobody is misled. */
static void buf_note_truncation(struct buf *b, const char *what)
{
	if (!b->dropped)
		return;
	buf_printf(b, "\n[igt-harness: %s truncated at %zu bytes]\n",
		   what, b->limit);
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die_oom();
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die_oom();
	return p;
}

/* ------------------------------------------------------------------ */
/* Time, signals, file descriptors                                    */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
static void setup_signals(void)
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

/* A stop signal already handled, or one still pending while blocked. */
static int stop_requested(void)
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
static void ensure_std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd >= 0)
		close(fd);
}

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
/* Live echo of test output                                           */
/* ------------------------------------------------------------------ */

/* Whether our stdout ends a line, so status lines never glue onto output. */
static bool stdout_at_bol = true;

static void echo_output(const char *p, size_t n)
{
	if (!n)
		return;
	fwrite(p, 1, n, stdout);
	fflush(stdout);
	stdout_at_bol = p[n - 1] == '\n';
}

static void start_status_line(void)
{
	if (!stdout_at_bol)
		putchar('\n');
	stdout_at_bol = true;
}

/* ------------------------------------------------------------------ */
/* Running one child process                                          */
/* ------------------------------------------------------------------ */

struct run_spec {
	char *const *argv;	/* argv[0] is the path to execute */
	bool merge_stderr;	/* stderr into the pipe too, or left alone */
	bool echo;		/* copy output to our stdout as it arrives */
	double timeout_s;
	size_t out_cap;
};

struct run_result {
	int spawn_errno;	/* pipe() or fork() failed */
	bool reaped;		/* status is valid */
	int status;
	bool timed_out;
	bool unkillable;	/* survived SIGKILL: left behind, not reaped */
	int interrupted;	/* stop signal that cut the run short */
	double duration_s;
	struct buf out;
};

/* In the child: wire up fds and signals, then become the test. */
static void exec_child(const struct run_spec *spec, int out_fd)
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
	dup2(out_fd, STDOUT_FILENO);
	if (spec->merge_stderr)
		dup2(out_fd, STDERR_FILENO);
	/* out_fd itself is O_CLOEXEC; the dup2()ed copies are not. */
	execv(spec->argv[0], spec->argv);
	dprintf(STDERR_FILENO, "igt-harness: cannot execute %s: %s\n",
		spec->argv[0], strerror(errno));
	_exit(127);
}

/* Fork the child; returns its pid and the read end of its output pipe. */
static pid_t spawn(const struct run_spec *spec, int *out_fd, int *err)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		*err = errno;
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		exec_child(spec, fds[1]);
	if (pid < 0)
		*err = errno;
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -1;
	}
	/* Also here: the group must exist before we might want to kill it. */
	setpgid(pid, pid);
	/* Only our end: the child's stdout stays blocking. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	*out_fd = fds[0];
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
 * Read what the pipe has (one chunk, so a chatty test cannot starve the
 * timeout check). Returns false once the pipe is at EOF or broken.
 */
static bool pump_output(int fd, const struct run_spec *spec,
			struct run_result *res)
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
	buf_append(&res->out, chunk, (size_t)n);
	if (spec->echo)
		echo_output(chunk, (size_t)n);
	return true;
}

/* Sleep until output, a signal (child exit, stop) or the deadline. */
static void wait_for_event(int *fd, double deadline,
			   const struct run_spec *spec, struct run_result *res)
{
	struct pollfd pfd = { .fd = *fd, .events = POLLIN };
	struct timespec ts = to_timespec(deadline - now_s());

	if (ppoll(&pfd, 1, &ts, &wait_mask) <= 0 || !pfd.revents)
		return;
	if (!pump_output(*fd, spec, res)) {
		close(*fd);
		*fd = -1;
	}
}

enum child_phase { RUNNING, KILLED, EXITED };

/*
 * Watch the child until it has exited and its output is drained. Each
 * phase has its own deadline: the timeout while running, the grace for
 * SIGKILL to take effect, and the grace for the pipe to reach EOF after
 * exit (a writer outside the group could hold it open forever).
 */
static void supervise(pid_t pid, int fd, const struct run_spec *spec,
		      struct run_result *res, double start)
{
	enum child_phase phase = RUNNING;
	double deadline = start + spec->timeout_s;

	for (;;) {
		if (phase != EXITED && child_exited(pid)) {
			/*
			 * Whatever is left in the group is a stray helper: it
			 * would hold the pipe open and meddle with the next
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
		if (phase == EXITED && fd < 0)
			break;
		wait_for_event(&fd, deadline, spec, res);
	}
	if (fd >= 0)
		close(fd);
}

static void reap(pid_t pid, struct run_result *res)
{
	pid_t r;

	do {
		r = waitpid(pid, &res->status, 0);
	} while (r < 0 && errno == EINTR);
	res->reaped = r == pid;
}

/* Run one child to completion (or timeout); never fails as a whole. */
static void run_process(const struct run_spec *spec, struct run_result *res)
{
	double start = now_s();
	int fd = -1;
	pid_t pid;

	*res = (struct run_result){ 0 };
	res->out.limit = spec->out_cap;
	pid = spawn(spec, &fd, &res->spawn_errno);
	if (pid < 0)
		return;
	supervise(pid, fd, spec, res, start);
	if (!res->unkillable)
		reap(pid, res);
	res->duration_s = now_s() - start;
}

/* ------------------------------------------------------------------ */
/* Kernel log                                                         */
/* ------------------------------------------------------------------ */

/* Open /dev/kmsg positioned after the existing records; -1 if unusable. */
static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One record is "prio,seq,ts_usec,flags[,...];message\n" followed by
 * optional " KEY=value\n" dictionary lines, which we drop. Non-printable
 * bytes in the message are already \xNN-escaped by the kernel.
 */
static void kmsg_format_record(const char *rec, struct buf *log)
{
	const char *msg = strchr(rec, ';');
	const char *p = rec;
	unsigned long long ts;
	char stamp[48];
	size_t len;
	int i;

	if (!msg)
		return;
	for (i = 0; i < 2 && p; i++) {	/* skip prio and seq */
		p = strchr(p, ',');
		if (p)
			p++;
	}
	ts = p ? strtoull(p, NULL, 10) : 0;
	msg++;
	len = strcspn(msg, "\n");
	snprintf(stamp, sizeof(stamp), "[%5llu.%06llu] ",
		 ts / 1000000, ts % 1000000);
	buf_append_str(log, stamp);
	buf_append(log, msg, len);
	buf_append_str(log, "\n");
}

/* Read every record since kmsg_open_at_end() and close the fd. */
static void kmsg_collect(int fd, struct buf *log)
{
	char rec[KMSG_RECORD_MAX];
	ssize_t n;

	if (fd < 0)
		return;
	/* Stop at the cap too: a kernel stuck spamming must not trap us. */
	while (!log->dropped) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = '\0';
			kmsg_format_record(rec, log);
		} else if (n < 0 && errno == EPIPE) {
			/* The ring buffer overwrote records we had not read. */
			buf_append_str(log, "[igt-harness: kernel log records lost]\n");
		} else if (!(n < 0 && errno == EINTR)) {
			break;	/* EAGAIN: caught up */
		}
	}
	close(fd);
}

/* Signs that the kernel complained, whatever the test itself thought. */
static const char *const kernel_report_markers[] = {
	"WARNING: CPU:", "BUG:", "KASAN:", "UBSAN:", "Oops",
	"general protection fault", "possible circular locking",
	"possible recursive locking", "inconsistent lock state",
	"suspicious RCU usage", "DEBUG_LOCKS_WARN_ON",
	"blocked for more than", "list_add corruption",
	"list_del corruption", "ODEBUG:", "DMA-API:", "refcount_t:",
	"kernel BUG", "DMAR: DRHD: handling fault", "DMAR: [DMA ",
};

/* Find the first log line holding any marker; its extent in *line, *len. */
static bool find_kernel_report(const struct buf *log, const char **line,
			       size_t *len)
{
	const char *text = buf_str(log), *first = NULL, *p;
	size_t i;

	for (i = 0; i < sizeof(kernel_report_markers) /
		    sizeof(kernel_report_markers[0]); i++) {
		p = strstr(text, kernel_report_markers[i]);
		if (p && (!first || p < first))
			first = p;
	}
	if (!first)
		return false;
	while (first > text && first[-1] != '\n')
		first--;
	*line = first;
	*len = strcspn(first, "\n");
	return true;
}

/* ------------------------------------------------------------------ */
/* Outcomes                                                           */
/* ------------------------------------------------------------------ */

enum verdict { V_PASS, V_FAIL, V_SKIP, V_TIMEOUT };

static const char *const verdict_names[] = {
	[V_PASS] = "pass", [V_FAIL] = "fail",
	[V_SKIP] = "skip", [V_TIMEOUT] = "timeout",
};

/* Everything recorded about one entry of the results. */
struct outcome {
	const char *base;	/* binary's basename, for the entry name */
	const char *binary;	/* full path */
	const char *subtest;
	enum verdict verdict;
	int exit_status;	/* -1 if it did not exit normally */
	int signal;		/* 0 if not killed by a signal */
	struct buf reason;
	double duration_s;
	struct buf output;
	struct buf klog;
};

static void outcome_init(struct outcome *o, const char *base,
			 const char *binary, const char *subtest)
{
	*o = (struct outcome){ 0 };
	o->base = base;
	o->binary = binary;
	o->subtest = subtest;
	o->exit_status = -1;
	o->klog.limit = KLOG_CAP;
}

static void outcome_free(struct outcome *o)
{
	buf_free(&o->reason);
	buf_free(&o->output);
	buf_free(&o->klog);
}

static void set_status_fields(const struct run_result *r, struct outcome *o)
{
	if (!r->reaped)
		return;
	if (WIFEXITED(r->status))
		o->exit_status = WEXITSTATUS(r->status);
	else if (WIFSIGNALED(r->status))
		o->signal = WTERMSIG(r->status);
}

/* Map how the process ended to a verdict, following igt's exit codes. */
static void classify(const struct run_result *r, struct outcome *o)
{
	o->verdict = V_FAIL;
	o->duration_s = r->duration_s;
	set_status_fields(r, o);
	if (r->spawn_errno)
		buf_printf(&o->reason, "cannot start: %s",
			   strerror(r->spawn_errno));
	else if (r->interrupted)
		buf_printf(&o->reason, "interrupted by signal %d (%s)",
			   r->interrupted, strsignal(r->interrupted));
	else if (r->timed_out)
		o->verdict = V_TIMEOUT;
	else if (!r->reaped)
		buf_puts(&o->reason, "lost track of the process");
	else if (o->exit_status == 0)
		o->verdict = V_PASS;
	else if (o->exit_status == IGT_EXIT_SKIP)
		o->verdict = V_SKIP;
	else if (o->exit_status == IGT_EXIT_FAILURE)
		buf_puts(&o->reason, "subtest failed");
	else if (o->exit_status >= 0)
		buf_printf(&o->reason, "exit status %d", o->exit_status);
	else
		buf_printf(&o->reason, "killed by signal %d (%s)",
			   o->signal, strsignal(o->signal));
}

/* Add to the reason, keeping what is already there. */
static void add_reason(struct outcome *o, const char *text)
{
	if (o->reason.len)
		buf_puts(&o->reason, "; ");
	buf_puts(&o->reason, text);
}

static void note_timeout(double timeout_s, const struct run_result *r,
			 struct outcome *o)
{
	char text[64];

	if (r->timed_out) {
		snprintf(text, sizeof(text), "timed out after %g s", timeout_s);
		add_reason(o, text);
	}
	if (r->unkillable)
		add_reason(o, "process did not die after SIGKILL");
}

/* A kernel report fails the subtest even if the test was happy. */
static void apply_kernel_report(struct outcome *o)
{
	const char *line;
	size_t len;

	if (!find_kernel_report(&o->klog, &line, &len))
		return;
	if (o->verdict == V_PASS || o->verdict == V_SKIP) {
		o->verdict = V_FAIL;
		buf_free(&o->reason);
	}
	if (o->reason.len)
		buf_puts(&o->reason, "; ");
	buf_puts(&o->reason, "kernel report: ");
	buf_put(&o->reason, line, len);
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */
/* ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp, min;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and beyond-Unicode are invalid. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The escape for byte c, or NULL if it may appear as itself. */
static const char *json_escape_byte(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(tmp, 8, "\\u%04x", c);
		return tmp;
	}
	return NULL;
}

/*
 * Append s as a JSON string. Test output is arbitrary bytes: anything that
 * is not valid UTF-8 becomes U+FFFD so the file always parses.
 */
static void json_string(struct buf *j, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, len;
	const char *esc;
	char tmp[8];

	buf_put(j, "\"", 1);
	while (i < n) {
		len = utf8_seq_len(u + i, n - i);
		esc = len == 1 ? json_escape_byte(u[i], tmp) : NULL;
		if (len && !esc) {	/* literal: extend the pending run */
			i += len;
			run += len;
			continue;
		}
		buf_put(j, s + i - run, run);
		run = 0;
		buf_puts(j, esc ? esc : "\\ufffd");
		i++;
	}
	buf_put(j, s + i - run, run);
	buf_put(j, "\"", 1);
}

static void json_cstring(struct buf *j, const char *s)
{
	json_string(j, s, strlen(s));
}

static void json_key(struct buf *j, const char *key)
{
	buf_printf(j, ",\"%s\":", key);
}

/* One element of the "results" array. */
static void json_outcome(struct buf *j, const struct outcome *o)
{
	struct buf name = { 0 };

	buf_printf(&name, "%s@%s", o->base, o->subtest);
	buf_puts(j, "{\"name\":");
	json_string(j, name.data, name.len);
	json_key(j, "binary");
	json_cstring(j, o->binary);
	json_key(j, "subtest");
	json_cstring(j, o->subtest);
	json_key(j, "result");
	json_cstring(j, verdict_names[o->verdict]);
	buf_printf(j, ",\"exit_status\":%d,\"signal\":%d",
		   o->exit_status, o->signal);
	json_key(j, "reason");
	json_string(j, buf_str(&o->reason), o->reason.len);
	buf_printf(j, ",\"duration_s\":%.3f", o->duration_s);
	json_key(j, "output");
	json_string(j, buf_str(&o->output), o->output.len);
	json_key(j, "kernel_log");
	json_string(j, buf_str(&o->klog), o->klog.len);
	buf_puts(j, "}");
	buf_free(&name);
}

/* ------------------------------------------------------------------ */
/* The report: progress lines, results file, counts file              */
/* ------------------------------------------------------------------ */

struct report {
	const char *results_path;
	const char *counts_path;
	struct buf entries;	/* serialized results, comma-separated */
	unsigned long passed, failed, skipped;
	size_t done, total;
};

static void report_write_results(const struct report *r)
{
	static const char head[] = "{\"version\":1,\"results\":[\n";
	char tail[160];
	struct iovec iov[3];

	snprintf(tail, sizeof(tail),
		 "\n],\"totals\":{\"passed\":%lu,\"failed\":%lu,\"skipped\":%lu}}\n",
		 r->passed, r->failed, r->skipped);
	iov[0] = (struct iovec){ (void *)head, sizeof(head) - 1 };
	iov[1] = (struct iovec){ r->entries.data, r->entries.len };
	iov[2] = (struct iovec){ tail, strlen(tail) };
	write_file_atomic(r->results_path, iov, 3);
}

static void report_write_counts(const struct report *r)
{
	char line[96];
	struct iovec iov;

	snprintf(line, sizeof(line), "%lu %lu %lu\n",
		 r->passed, r->failed, r->skipped);
	iov = (struct iovec){ line, strlen(line) };
	write_file_atomic(r->counts_path, &iov, 1);
}

static void report_flush(const struct report *r)
{
	if (r->results_path)
		report_write_results(r);
	if (r->counts_path)
		report_write_counts(r);
}

static void report_tally(struct report *r, enum verdict v)
{
	if (v == V_PASS)
		r->passed++;
	else if (v == V_SKIP)
		r->skipped++;
	else
		r->failed++;
}

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

static void print_result(const struct report *r, const struct outcome *o)
{
	start_status_line();
	printf("[%*zu/%zu] %s@%s: %s (%.2f s)", counter_width(r->total),
	       r->done, r->total, o->base, o->subtest,
	       verdict_names[o->verdict], o->duration_s);
	if (o->verdict != V_PASS && o->reason.len)
		printf(" - %s", o->reason.data);
	putchar('\n');
	fflush(stdout);
}

/* Account for one finished entry and make it durable right away. */
static void report_add(struct report *r, const struct outcome *o)
{
	r->done++;
	report_tally(r, o->verdict);
	print_result(r, o);
	if (r->entries.len)
		buf_puts(&r->entries, ",\n");
	json_outcome(&r->entries, o);
	report_flush(r);
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

struct options {
	const char *results_path;
	const char *counts_path;
	char **includes;
	size_t n_includes;
	char **excludes;
	size_t n_excludes;
	double timeout_s;
	char **binaries;
	size_t n_binaries;
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

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "counts", required_argument, NULL, 'c' },
		{ "include", required_argument, NULL, 'i' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "timeout", required_argument, NULL, 't' },
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
		case 'h':
			puts(USAGE);
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
/* Test binaries and their subtests                                   */
/* ------------------------------------------------------------------ */

struct testbin {
	char *path;		/* absolute, as recorded and executed */
	const char *base;
	char **subtests;	/* the selected ones */
	size_t n_subtests;
	bool list_failed;
	struct outcome list_outcome;	/* the "@list" entry if it failed */
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

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
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
 * Record the binary as a single failed "@list" entry: r is the listing run
 * (NULL if there was none), why overrides the reason derived from it.
 */
static void fail_listing(struct testbin *bin, const char *arg,
			 struct run_result *r, double timeout_s, const char *why)
{
	struct outcome *o = &bin->list_outcome;

	bin->list_failed = true;
	outcome_init(o, bin->base, bin->path ? bin->path : arg, "list");
	if (r) {
		classify(r, o);
		note_timeout(timeout_s, r, o);
		o->output = r->out;
		r->out = (struct buf){ 0 };
		buf_note_truncation(&o->output, "output");
	}
	if (o->verdict != V_TIMEOUT)
		o->verdict = V_FAIL;
	if (why || o->exit_status >= 0)
		buf_free(&o->reason);
	if (why)
		buf_puts(&o->reason, why);
	else if (o->exit_status >= 0)
		buf_printf(&o->reason, "--list-subtests exited with status %d",
			   o->exit_status);
}

static bool exited_zero(const struct run_result *r)
{
	return r->reaped && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

/* Ask one binary for its subtests (stdout only: stderr stays ours). */
static void list_binary(struct testbin *bin, const char *arg,
			const struct options *opt)
{
	char *argv[] = { NULL, "--list-subtests", NULL };
	struct run_spec spec = { argv, false, false, opt->timeout_s, OUTPUT_CAP };
	struct run_result r;
	size_t n_listed = 0;
	struct buf why = { 0 };

	bin->base = basename_of(arg);
	bin->path = resolve_binary(arg);
	if (!bin->path) {
		buf_printf(&why, "cannot find %s: %s", arg, strerror(errno));
		fail_listing(bin, arg, NULL, 0, why.data);
		buf_free(&why);
		return;
	}
	argv[0] = bin->path;
	run_process(&spec, &r);
	if (!exited_zero(&r)) {
		fail_listing(bin, arg, &r, spec.timeout_s, NULL);
		return;
	}
	collect_subtests(bin, &r.out, opt, &n_listed);
	buf_free(&r.out);
	if (!n_listed)
		fail_listing(bin, arg, &r, spec.timeout_s, "no subtests listed");
}

/* ------------------------------------------------------------------ */
/* Running                                                            */
/* ------------------------------------------------------------------ */

/* Run one subtest and judge it by its exit and the kernel's log. */
static void run_subtest(const struct testbin *bin, const char *name,
			const struct options *opt, struct outcome *o)
{
	char *argv[] = { bin->path, "--run-subtest", (char *)name, NULL };
	struct run_spec spec = { argv, true, true, opt->timeout_s, OUTPUT_CAP };
	struct run_result r;
	int kmsg_fd;

	outcome_init(o, bin->base, bin->path, name);
	kmsg_fd = kmsg_open_at_end();
	run_process(&spec, &r);
	kmsg_collect(kmsg_fd, &o->klog);
	classify(&r, o);
	note_timeout(spec.timeout_s, &r, o);
	o->output = r.out;
	buf_note_truncation(&o->output, "output");
	buf_note_truncation(&o->klog, "kernel log");
	apply_kernel_report(o);
}

static size_t count_entries(const struct testbin *bins, size_t n)
{
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		total += bins[i].list_failed ? 1 : bins[i].n_subtests;
	return total;
}

/* All selected subtests of one binary; false once a stop was requested. */
static bool run_binary(struct report *rep, const struct testbin *bin,
		       const struct options *opt)
{
	struct outcome o;
	size_t i;

	for (i = 0; i < bin->n_subtests; i++) {
		if (stop_requested())
			return false;
		run_subtest(bin, bin->subtests[i], opt, &o);
		report_add(rep, &o);
		outcome_free(&o);
	}
	return !stop_requested();
}

static bool run_all(struct report *rep, struct testbin *bins,
		    const struct options *opt)
{
	size_t i;

	for (i = 0; i < opt->n_binaries; i++) {
		if (bins[i].list_failed) {
			report_add(rep, &bins[i].list_outcome);
			continue;
		}
		if (!run_binary(rep, &bins[i], opt))
			return false;
	}
	return true;
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

int main(int argc, char **argv)
{
	struct report rep = { 0 };
	struct options opt;
	struct testbin *bins;
	bool complete;
	size_t i;

	ensure_std_fds();
	parse_options(argc, argv, &opt);
	setup_signals();
	rep.results_path = opt.results_path;
	rep.counts_path = opt.counts_path;
	/* An empty but valid report from the start, in case we never finish. */
	report_flush(&rep);

	/* List everything first so the progress counter knows the total. */
	bins = xcalloc(opt.n_binaries, sizeof(*bins));
	for (i = 0; i < opt.n_binaries && !stop_requested(); i++)
		list_binary(&bins[i], opt.binaries[i], &opt);
	rep.total = count_entries(bins, i);
	complete = i == opt.n_binaries && run_all(&rep, bins, &opt);

	start_status_line();
	if (!complete)
		printf("igt-harness: interrupted by signal %d; %zu of %zu entries not run\n",
		       stop_signal, rep.total - rep.done, rep.total);
	printf("%lu passed, %lu failed, %lu skipped\n",
	       rep.passed, rep.failed, rep.skipped);
	fflush(stdout);
	free_bins(bins, opt.n_binaries);
	buf_free(&rep.entries);
	free(opt.includes);
	free(opt.excludes);
	return complete && rep.failed == 0 ? 0 : 1;
}
