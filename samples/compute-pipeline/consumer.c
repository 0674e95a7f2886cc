// SPDX-License-Identifier: MIT
/*
 * compute-pipeline's consumer: opens the producer's slots through the
 * broker by their share tokens, imports them on GPU B, and transforms
 * each frame with drm-import jobs chained by fences: a copy out of VRAM
 * into GPU B's memory, then two copies that swap the frame's halves,
 * which wait for the first one's sync_file; then, where a Vulkan device
 * can import GPU B's output buffer, a compute shader over it. Every byte
 * of the output is checked before the frame is acknowledged.
 *
 * A reset of GPU A cancels the jobs on the slots (their fences signal
 * ECANCELED) and refuses new ones until the restore (VRS_JOB_NO_WAIT
 * makes that an ENODEV, not a wait). The consumer then pauses, and takes
 * each frame again once the producer has written it again after the
 * restore: a frame announced before the revoke may have been lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include "pipeline.h"
#include "vk-compute.h"

/*
 * A frame the producer announced, with the generation it had seen. The
 * consumer's own dma-bufs of the slots were exported, like the producer's,
 * while the device was live, so both count the same transitions.
 */
struct ready {
	bool valid;
	uint64_t frame;
	uint64_t generation;
};

struct consumer {
	struct vrs_broker *broker;
	struct vrs_importer *gpu_b;
	struct vrs_buffer *slots[PIPELINE_SLOTS];
	uint32_t imported[PIPELINE_SLOTS];
	uint32_t staging, output;
	uint8_t *output_map;
	uint8_t *expected;		/* the frame being checked, as it must be */
	struct vkc *vk;			/* the Vulkan stage, if any */
	struct vkc_buffer vk_output;	/* the output buffer, imported there */
	uint32_t frame_size;
	uint64_t src_offset;		/* 0, but for --break offset */
	struct ready ready[PIPELINE_SLOTS];
	uint64_t next;			/* next frame to finish */
	int fences[3];			/* of the running frame's jobs */
	bool running;
	uint64_t generation;
	bool revoked, gone;
	struct pipeline_report report;
	double stall_start;
};

static void on_event(struct vrs_broker *broker, struct vrs_buffer *buffer,
		     const struct vrs_event *ev, void *data)
{
	struct consumer *c = data;

	(void)broker;
	(void)buffer;
	/* Every slot tells of one reset: counted once, by its generation. */
	if (ev->state == VRS_BUFFER_REVOKED && ev->generation > c->generation)
		c->report.revokes++;
	if (ev->generation > c->generation)
		c->generation = ev->generation;
	if (ev->state == VRS_BUFFER_REVOKED) {
		c->revoked = true;
		if (!c->stall_start)
			c->stall_start = pipeline_now();
	} else if (ev->state == VRS_BUFFER_LIVE) {
		c->revoked = false;
	} else {
		c->gone = true;
	}
}

static int submit(struct consumer *c, uint32_t dst, uint64_t dst_offset,
		  uint32_t src, uint64_t src_offset, uint64_t size,
		  uint32_t flags, int in_fence, int *out_fence)
{
	struct vrs_job job = {
		.struct_size = sizeof(job),
		.op = VRS_JOB_COPY,
		.flags = flags | (in_fence >= 0 ? VRS_JOB_IN_FENCE_FD : 0),
		.dst = dst,
		.dst_offset = dst_offset,
		.src = src,
		.src_offset = src_offset,
		.size = size,
		.in_fence_fd = in_fence >= 0 ? in_fence : 0,
	};

	return vrs_submit(c->gpu_b, &job, out_fence);
}

/*
 * The frame's three jobs: VRAM slot -> staging; staging's halves ->
 * output, swapped, once the first job's fence has signalled.
 */
static int start_frame(struct consumer *c, uint32_t slot)
{
	uint32_t half = c->frame_size / 2;
	int ret;

	ret = submit(c, c->staging, 0, c->imported[slot], c->src_offset,
		     c->frame_size - c->src_offset, VRS_JOB_NO_WAIT, -1,
		     &c->fences[0]);
	if (ret)
		return ret;
	ret = submit(c, c->output, half, c->staging, 0, half, 0, c->fences[0],
		     &c->fences[1]);
	if (ret) {
		close(c->fences[0]);
		return ret;
	}
	ret = submit(c, c->output, 0, c->staging, half, half, 0, c->fences[0],
		     &c->fences[2]);
	if (ret) {
		close(c->fences[0]);
		close(c->fences[1]);
		return ret;
	}
	c->running = true;
	return 0;
}

/* Frame @frame as it must come out: swapped, then scrambled by Vulkan. */
static void expect_frame(struct consumer *c, uint64_t frame)
{
	for (uint32_t i = 0; i < c->frame_size; i++)
		c->expected[i] = pipeline_swapped(frame, i, c->frame_size);
	if (!c->vk)
		return;
	for (uint32_t j = 0; j < c->frame_size / 4; j++) {
		uint32_t word;

		memcpy(&word, c->expected + 4 * j, 4);
		word = vkc_scramble_word(word, j, (uint32_t)frame);
		memcpy(c->expected + 4 * j, &word, 4);
	}
}

/*
 * A frame whose jobs ended: 1 right, 0 canceled by a revoke, -errno. A
 * failed dependency does not fail the jobs after it (drm-import's rule):
 * the copy out of VRAM is looked at itself.
 */
static int finish_frame(struct consumer *c)
{
	int err[3], ret;

	for (int i = 0; i < 3; i++) {
		err[i] = vrs_fence_wait(c->fences[i], -1);
		close(c->fences[i]);
	}
	c->running = false;
	for (int i = 0; i < 3; i++) {
		if (err[i] == -ECANCELED)
			return 0;
		if (err[i])
			return err[i];
	}
	if (c->vk) {
		ret = vkc_scramble(c->vk, &c->vk_output, 0, c->frame_size / 4,
				   (uint32_t)c->next);
		if (ret)
			return ret;
	}
	expect_frame(c, c->next);
	for (uint32_t i = 0; i < c->frame_size; i++) {
		if (c->output_map[i] != c->expected[i]) {
			fprintf(stderr, "consumer: frame %llu: wrong byte at %u\n",
				(unsigned long long)c->next, i);
			return -EIO;
		}
	}
	return 1;
}

/*
 * The Vulkan stage: GPU B's output buffer imported into a Vulkan device,
 * as a dma-buf GPU B exports (PRIME) or through its CPU mapping. With
 * "auto", no device that can import leaves the stage out.
 */
static int setup_vulkan(struct consumer *c, const char *mode)
{
	int fd = -1, ret;

	if (!strcmp(mode, "off"))
		return 0;
	ret = vkc_open("consumer", VKC_PATH_ANY, false, &c->vk);
	if (ret == -ENODEV && !strcmp(mode, "auto")) {
		printf("consumer: no Vulkan device can import: the compute stage is left out\n");
		return 0;
	}
	if (ret)
		return ret;
	if (vkc_path(c->vk) == VKC_PATH_HOST &&
	    c->frame_size % vkc_host_alignment(c->vk)) {
		fprintf(stderr, "consumer: frames of %u bytes cannot be imported: the host pointer alignment is %llu\n",
			c->frame_size,
			(unsigned long long)vkc_host_alignment(c->vk));
		vkc_close(c->vk);
		c->vk = NULL;
		return strcmp(mode, "auto") ? -EINVAL : 0;
	}
	if (vkc_path(c->vk) == VKC_PATH_DMA_BUF &&
	    drmPrimeHandleToFD(vrs_importer_fd(c->gpu_b), c->output,
			       DRM_CLOEXEC | DRM_RDWR, &fd))
		return -errno;
	ret = vkc_import(c->vk, fd, c->output_map, c->frame_size, false,
			 &c->vk_output);
	if (fd >= 0)
		close(fd);
	if (!ret)
		c->report.vulkan_stage = 1;
	return ret;
}

static int setup(struct consumer *c, int sock, const struct pipeline_options *o)
{
	struct vrs_buffer_info info;
	struct pipeline_msg msg;
	char path[64];
	void *map;
	int ret;

	ret = pipeline_recv(sock, &msg);
	if (ret <= 0 || msg.type != MSG_SLOTS)
		return ret < 0 ? ret : -EPIPE;
	ret = vrs_broker_connect(NULL, 0, &c->broker);
	if (!ret && o->node)
		snprintf(path, sizeof(path), "%s", o->node);
	else if (!ret)
		ret = vrs_find_importer(path, sizeof(path));
	if (!ret)
		ret = vrs_importer_open(path, &c->gpu_b);
	for (int s = 0; s < PIPELINE_SLOTS && !ret; s++) {
		ret = vrs_broker_open(c->broker, msg.tokens[s], 0, &c->slots[s]);
		if (!ret)
			ret = vrs_buffer_prime_import(c->slots[s],
						      vrs_importer_fd(c->gpu_b),
						      &c->imported[s]);
	}
	if (!ret)
		ret = vrs_bo_create(c->gpu_b, c->frame_size, &c->staging);
	if (!ret)
		ret = vrs_bo_create(c->gpu_b, c->frame_size, &c->output);
	if (!ret)
		ret = vrs_bo_mmap(c->gpu_b, c->output, c->frame_size, &map);
	if (ret) {
		fprintf(stderr, "consumer: setting up GPU B: %s\n", strerror(-ret));
		return ret;
	}
	c->output_map = map;
	c->expected = malloc(c->frame_size);
	if (!c->expected)
		return -ENOMEM;
	info.struct_size = sizeof(info);
	ret = vrs_buffer_info(c->slots[0], &info);
	if (ret)
		return ret;
	snprintf(c->report.device, sizeof(c->report.device), "%s", info.device);
	printf("consumer: the %d slots imported on GPU B (%s)\n", PIPELINE_SLOTS,
	       path);
	return setup_vulkan(c, o->vulkan);
}

static int on_message(struct consumer *c, const struct pipeline_msg *msg)
{
	if (msg->type == MSG_FAILED)
		return -ECANCELED;
	if (msg->type != MSG_READY || msg->slot >= PIPELINE_SLOTS)
		return -EPROTO;
	if (msg->frame < c->next)
		return 0;
	c->ready[msg->slot] = (struct ready){
		.valid = true, .frame = msg->frame, .generation = msg->generation,
	};
	return 0;
}

/* A frame done: acknowledged, reported, the stall (if any) over. */
static int frame_done(struct consumer *c, int sock, int report_fd)
{
	struct pipeline_msg ack = { .type = MSG_ACK, .frame = c->next };

	c->next++;
	c->report.frames_right++;
	if (c->stall_start && !c->revoked) {
		c->report.stall_ms += (pipeline_now() - c->stall_start) * 1e3;
		c->stall_start = 0;
	}
	if (write(report_fd, &c->report, sizeof(c->report)) < 0)
		return -errno;
	return pipeline_send(sock, &ack);
}

/* Starts the next frame if it is announced and the slots are live. */
static int maybe_start(struct consumer *c)
{
	struct ready *r = &c->ready[c->next % PIPELINE_SLOTS];
	int ret;

	if (c->running || c->revoked || !r->valid || r->frame != c->next)
		return 0;
	/*
	 * Written before a revoke we know of (the announcement may have come
	 * before the events did): the rewrite after the restore will follow.
	 */
	if (r->generation < c->generation) {
		r->valid = false;
		return 0;
	}
	/*
	 * The announcement is used up: if the jobs are canceled, the
	 * producer's rewrite after the restore announces the frame again
	 * (perhaps before the cancellation is seen here).
	 */
	r->valid = false;
	ret = start_frame(c, (uint32_t)(c->next % PIPELINE_SLOTS));
	if (ret == -ENODEV) {
		/* Revoked before we heard: wait for the rewrite. */
		c->report.resubmitted++;
		return 0;
	}
	return ret;
}

int run_consumer(int sock, int report_fd, const struct pipeline_options *o)
{
	struct consumer c = { .frame_size = o->frame_size };
	double start, last_done;
	int ret;

	if (!strcmp(o->breaks, "offset"))
		c.src_offset = 64;
	ret = setup(&c, sock, o);
	start = last_done = pipeline_now();
	while (!ret && c.next < o->frames) {
		struct pollfd pfd[3] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = vrs_broker_fd(c.broker), .events = POLLIN },
			{ .fd = c.running ? c.fences[2] : -1, .events = POLLIN },
		};
		struct pipeline_msg msg;

		ret = vrs_broker_dispatch(c.broker, on_event, &c);
		if (ret < 0)
			break;
		ret = 0;
		if (c.gone) {
			fprintf(stderr, "consumer: a slot was revoked for good\n");
			ret = -ENODEV;
			break;
		}
		ret = maybe_start(&c);
		if (ret)
			break;
		if (pipeline_now() - last_done > PIPELINE_STALL_S) {
			fprintf(stderr, "consumer: no frame done in %d s\n",
				PIPELINE_STALL_S);
			ret = -ETIMEDOUT;
			break;
		}
		if (poll(pfd, 3, 1000) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (pfd[2].revents) {
			ret = finish_frame(&c);
			if (ret == 0) {
				/* Canceled by a revoke: the rewrite brings it again. */
				c.report.resubmitted++;
			} else if (ret == 1) {
				last_done = pipeline_now();
				ret = frame_done(&c, sock, report_fd);
			}
			if (ret)
				break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			ret = pipeline_recv(sock, &msg);
			ret = ret < 0 ? ret : ret == 0 ? -EPIPE : on_message(&c, &msg);
		}
	}
	c.report.seconds = pipeline_now() - start;
	if (write(report_fd, &c.report, sizeof(c.report)) < 0 && !ret)
		ret = -errno;
	if (ret && ret != -ECANCELED) {
		struct pipeline_msg failed = { .type = MSG_FAILED };

		fprintf(stderr, "consumer: stopped at frame %llu: %s\n",
			(unsigned long long)c.next, strerror(-ret));
		pipeline_send(sock, &failed);
	}
	if (c.vk) {
		vkc_release(c.vk, &c.vk_output);
		vkc_close(c.vk);
	}
	free(c.expected);
	vrs_importer_close(c.gpu_b);
	vrs_broker_close(c.broker);
	return ret ? 1 : 0;
}
