/* SPDX-License-Identifier: MIT */
/*
 * compute-pipeline: what its three processes share. The producer and the
 * consumer talk over a socketpair the launcher made; buffers pass only
 * through the broker, as share tokens.
 */
#ifndef COMPUTE_PIPELINE_H
#define COMPUTE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "vramshare.h"

#define PIPELINE_SLOTS		4	/* frames in VRAM at once */
#define PIPELINE_MAX_FRAME	(1u << 20)
#define PIPELINE_STALL_S	60	/* no frame done for this long: failed */

enum pipeline_msg_type {
	MSG_SLOTS = 1,	/* producer: the slots' share tokens */
	MSG_READY,	/* producer: frame in slot, written at generation */
	MSG_ACK,	/* consumer: frame done and right; its slot is free */
	MSG_FAILED,	/* either: giving up (the other side stops too) */
};

struct pipeline_msg {
	uint32_t type;
	uint32_t slot;
	uint64_t frame;
	uint64_t generation;
	uint64_t tokens[PIPELINE_SLOTS];
};

struct pipeline_options {
	uint32_t frames;
	uint32_t frame_size;
	uint32_t reset_at;		/* frames done before the reset; 0: none */
	const char *node;		/* GPU B's render node; NULL: find it */
	const char *breaks;		/* for the tests: a wrong use on purpose */
	const char *vulkan;		/* the Vulkan stage: auto, on, off */
};

/* What the consumer reports to the launcher at the end. */
struct pipeline_report {
	char device[32];	/* GPU A's name at the broker */
	uint32_t frames_right;
	uint32_t resubmitted;	/* frames run again after a revoke */
	double seconds;
	double stall_ms;	/* from the revoke to the next frame done */
	uint32_t vulkan_stage;	/* the frames went through Vulkan too */
	uint32_t revokes;	/* revocations the consumer was told of */
};

/* Byte @i of input frame @frame. */
static inline uint8_t pipeline_input(uint64_t frame, uint32_t i)
{
	return (uint8_t)(frame * 31 + i * 7 + (i >> 8));
}

/* Byte @i of frame @frame after the jobs: the input, halves swapped. */
static inline uint8_t pipeline_swapped(uint64_t frame, uint32_t i,
				       uint32_t size)
{
	uint32_t half = size / 2;

	return pipeline_input(frame, i < half ? i + half : i - half);
}

int pipeline_send(int sock, const struct pipeline_msg *msg);
/* 1 with a message, 0 on EOF, -errno. */
int pipeline_recv(int sock, struct pipeline_msg *msg);
double pipeline_now(void);

int run_producer(int sock, const struct pipeline_options *o);
int run_consumer(int sock, int report_fd, const struct pipeline_options *o);

#endif
