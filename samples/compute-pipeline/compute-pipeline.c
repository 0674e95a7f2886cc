// SPDX-License-Identifier: MIT
/*
 * compute-pipeline: a producer process writes frames into VRAM on GPU A,
 * a consumer process transforms them on GPU B with drm-import jobs
 * chained by fences and a Vulkan compute stage (where a device can import
 * GPU B's memory), and the buffers pass between them only through
 * vramshared. This process starts both and, when asked, resets GPU A in
 * the middle of the run (it needs an admin grant for that): the pipeline
 * pauses on the revoke, resumes on the restore, and every frame must
 * still come out right. With --break gone the producer frees a slot
 * for good instead, while the consumer still uses it: the run must fail.
 * See README.md.
 *
 *   compute-pipeline [--frames N] [--frame-size BYTES] [--reset-at N]
 *                    [--vulkan auto|on|off] [--break offset|gone]
 *                    [RENDER-NODE]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"

int pipeline_send(int sock, const struct pipeline_msg *msg)
{
	return send(sock, msg, sizeof(*msg), MSG_NOSIGNAL) == sizeof(*msg) ?
	       0 : -errno;
}

int pipeline_recv(int sock, struct pipeline_msg *msg)
{
	ssize_t n = recv(sock, msg, sizeof(*msg), 0);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? -EAGAIN : -errno;
	if (n == 0)
		return 0;
	return n == sizeof(*msg) ? 1 : -EPROTO;
}

double pipeline_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: compute-pipeline [--frames N] [--frame-size BYTES] [--reset-at N]\n"
		"                        [--vulkan auto|on|off] [--break offset|gone] [RENDER-NODE]\n");
	exit(2);
}

/* A whole number, or the usage. */
static uint32_t number(const char *text)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(text, &end, 0);
	if (errno || end == text || *end || n > UINT32_MAX)
		usage();
	return (uint32_t)n;
}

static void parse(int argc, char **argv, struct pipeline_options *o)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'n' },
		{ "frame-size", required_argument, NULL, 's' },
		{ "reset-at", required_argument, NULL, 'r' },
		{ "break", required_argument, NULL, 'b' },
		{ "vulkan", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct pipeline_options){
		.frames = 16, .frame_size = 4096, .reset_at = UINT32_MAX, .breaks = "",
		.vulkan = "auto",
	};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->frames = number(optarg);
			break;
		case 's':
			o->frame_size = number(optarg);
			break;
		case 'r':
			o->reset_at = number(optarg);
			break;
		case 'v':
			o->vulkan = optarg;
			if (strcmp(optarg, "auto") && strcmp(optarg, "on") &&
			    strcmp(optarg, "off"))
				usage();
			break;
		case 'b':
			o->breaks = optarg;
			if (strcmp(optarg, "offset") && strcmp(optarg, "gone"))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		o->node = argv[optind++];
	if (o->reset_at == UINT32_MAX)
		o->reset_at = o->frames / 2;	/* halfway, unless told */
	if (optind < argc || !o->frames || o->frame_size < 8 ||
	    o->frame_size % 8 || o->frame_size > PIPELINE_MAX_FRAME ||
	    o->reset_at >= o->frames || (!strcmp(o->breaks, "gone") && !o->reset_at))
		usage();
}

/* Runs @fn in a child with one end of the pair; returns its pid. */
static pid_t spawn(int (*fn)(int, int, const struct pipeline_options *),
		   int sock, int other, int report_fd,
		   const struct pipeline_options *o)
{
	pid_t pid = fork();

	if (pid == 0) {
		close(other);
		exit(fn(sock, report_fd, o));
	}
	return pid;
}

static int producer_main(int sock, int report_fd,
			 const struct pipeline_options *o)
{
	close(report_fd);
	return run_producer(sock, o);
}

/*
 * The launcher's side of the run: follows the consumer's reports and
 * resets GPU A once reset_at frames are done.
 */
static int follow(int report_fd, const struct pipeline_options *o,
		  struct pipeline_report *last)
{
	struct vrs_broker *admin = NULL;
	bool reset = o->reset_at && strcmp(o->breaks, "gone");
	int ret, failed = 0;

	if (reset) {
		ret = vrs_broker_connect(NULL, 0, &admin);
		if (ret || !vrs_broker_is_admin(admin)) {
			fprintf(stderr, "compute-pipeline: resetting GPU A needs vramshared's admin grant (or --reset-at 0)\n");
			vrs_broker_close(admin);
			return 1;
		}
	}
	while (read(report_fd, last, sizeof(*last)) == sizeof(*last)) {
		if (!reset || last->frames_right < o->reset_at)
			continue;
		reset = false;
		printf("compute-pipeline: resets %s (GPU A) after %u frames\n",
		       last->device, o->reset_at);
		ret = vrs_broker_reset(admin, last->device);
		if (ret < 0) {
			fprintf(stderr, "compute-pipeline: reset: %s\n", strerror(-ret));
			failed = 1;
		}
	}
	vrs_broker_close(admin);
	return failed;
}

int main(int argc, char **argv)
{
	struct pipeline_options o;
	struct pipeline_report report = { 0 };
	int pair[2], reports[2], status, failed = 0;
	pid_t producer, consumer;

	parse(argc, argv, &o);
	/* Three processes write here: whole lines, none kept in a buffer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) ||
	    pipe(reports)) {
		perror("compute-pipeline");
		return 1;
	}
	producer = spawn(producer_main, pair[0], pair[1], reports[1], &o);
	consumer = spawn(run_consumer, pair[1], pair[0], reports[1], &o);
	if (producer < 0 || consumer < 0) {
		perror("compute-pipeline: fork");
		return 1;
	}
	close(pair[0]);
	close(pair[1]);
	close(reports[1]);
	failed |= follow(reports[0], &o, &report);
	for (int i = 0; i < 2; i++) {
		pid_t pid = wait(&status);

		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "compute-pipeline: the %s failed\n",
				pid == producer ? "producer" : "consumer");
			failed = 1;
		}
	}
	printf("compute-pipeline: %u of %u frames right, %.2f frames/s",
	       report.frames_right, o.frames,
	       report.seconds > 0 ? report.frames_right / report.seconds : 0.0);
	if (o.reset_at && strcmp(o.breaks, "gone"))
		printf("; revoked %u time(s), which stalled it %.0f ms; frames run again: %u",
		       report.revokes, report.stall_ms, report.resubmitted);
	printf("\n");
	/* A run that was to go through a reset must have: else it proves nothing. */
	if (o.reset_at && strcmp(o.breaks, "gone") && !report.revokes) {
		fprintf(stderr, "compute-pipeline: the consumer was never told of the reset\n");
		failed = 1;
	}
	if (failed || report.frames_right != o.frames)
		return 1;
	printf("compute-pipeline: every byte of every frame right (stages: the copy out of VRAM, the half swap%s)\n",
	       report.vulkan_stage ? ", the Vulkan shader" : "");
	return 0;
}
