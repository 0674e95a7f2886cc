// SPDX-License-Identifier: MIT
/*
 * compute-pipeline's producer: allocates the frame slots in GPU A's VRAM
 * through the broker, writes frames into them with the CPU, and tells the
 * consumer which frame is in which slot.
 *
 * A reset of GPU A revokes the slots: a write that touches them then gets
 * SIGBUS (the exporter's rule for CPU mappings of a revoked dma-buf), so
 * frames are written with the signal turned into a return. On the restore
 * event every frame the consumer has not acknowledged is written again:
 * the reset may have lost VRAM's contents.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "pipeline.h"

struct producer {
	struct vrs_broker *broker;
	struct vrs_buffer *slots[PIPELINE_SLOTS];
	volatile uint8_t *maps[PIPELINE_SLOTS];
	uint32_t frame_size;
	uint64_t first;		/* oldest frame not acknowledged */
	uint64_t next;		/* next frame to write */
	uint64_t generation;	/* the slots' latest, from events */
	bool revoked;		/* between a revoke and its restore */
	bool rewrite;		/* restored: write [first, next) again */
	bool gone;
};

/* Where a SIGBUS in write_frame() returns to; one writer per process. */
static sigjmp_buf *bus_landing;

static void on_sigbus(int sig)
{
	/* Not from a frame write: the default, a core dump. */
	if (!bus_landing) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(*bus_landing, 1);
}

/* 0, or -ENODEV when the slot was revoked under the CPU's writes. */
static int write_frame(struct producer *p, uint64_t frame)
{
	volatile uint8_t *map = p->maps[frame % PIPELINE_SLOTS];
	sigjmp_buf landing;

	bus_landing = &landing;
	if (sigsetjmp(landing, 1)) {
		bus_landing = NULL;
		return -ENODEV;
	}
	for (uint32_t i = 0; i < p->frame_size; i++)
		map[i] = pipeline_input(frame, i);
	bus_landing = NULL;
	return 0;
}

static void on_event(struct vrs_broker *broker, struct vrs_buffer *buffer,
		     const struct vrs_event *ev, void *data)
{
	struct producer *p = data;

	(void)broker;
	(void)buffer;
	if (ev->generation > p->generation)
		p->generation = ev->generation;
	if (ev->state == VRS_BUFFER_REVOKED) {
		p->revoked = true;
	} else if (ev->state == VRS_BUFFER_LIVE && p->revoked) {
		p->revoked = false;
		p->rewrite = true;
	} else if (ev->state == VRS_BUFFER_GONE) {
		p->gone = true;
	}
}

static int send_ready(struct producer *p, int sock, uint64_t frame)
{
	struct pipeline_msg msg = {
		.type = MSG_READY,
		.slot = (uint32_t)(frame % PIPELINE_SLOTS),
		.frame = frame,
		.generation = p->generation,
	};

	return pipeline_send(sock, &msg);
}

/* Writes and announces frames while the slots are live and free. */
static int produce(struct producer *p, int sock, uint32_t frames)
{
	int ret;

	if (p->rewrite) {
		p->rewrite = false;
		for (uint64_t f = p->first; f < p->next; f++) {
			if (write_frame(p, f)) {
				p->revoked = true;
				return 0;
			}
			ret = send_ready(p, sock, f);
			if (ret)
				return ret;
		}
	}
	while (!p->revoked && p->next < frames &&
	       p->next - p->first < PIPELINE_SLOTS) {
		if (write_frame(p, p->next)) {
			/* Its restore event is on the way: then all again. */
			p->revoked = true;
			return 0;
		}
		ret = send_ready(p, sock, p->next);
		if (ret)
			return ret;
		p->next++;
	}
	return 0;
}

static int setup(struct producer *p, int sock)
{
	struct pipeline_msg msg = { .type = MSG_SLOTS };
	struct vrs_buffer_info info = { .struct_size = sizeof(info) };
	struct sigaction sa = { .sa_handler = on_sigbus };
	int ret;

	ret = vrs_broker_connect(NULL, 0, &p->broker);
	if (ret) {
		fprintf(stderr, "producer: connect to vramshared: %s\n", strerror(-ret));
		return ret;
	}
	for (int s = 0; s < PIPELINE_SLOTS; s++) {
		void *map;

		ret = vrs_broker_alloc(p->broker, NULL, p->frame_size, 0, 0,
				       &p->slots[s]);
		if (!ret)
			ret = vrs_buffer_mmap(p->slots[s], PROT_READ | PROT_WRITE, &map);
		if (!ret)
			ret = vrs_buffer_info(p->slots[s], &info);
		if (ret) {
			fprintf(stderr, "producer: slot %d: %s (%s)\n", s,
				strerror(-ret), vrs_broker_error(p->broker));
			return ret;
		}
		p->maps[s] = map;
		msg.tokens[s] = info.token;
		if (info.generation > p->generation)
			p->generation = info.generation;
	}
	printf("producer: %d slots of %u bytes in %s's VRAM\n", PIPELINE_SLOTS,
	       p->frame_size, info.device);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		return -errno;
	return pipeline_send(sock, &msg);
}

int run_producer(int sock, const struct pipeline_options *o)
{
	struct producer p = { .frame_size = o->frame_size };
	struct pipeline_msg msg;
	int ret;

	ret = setup(&p, sock);
	while (!ret && p.first < o->frames) {
		struct pollfd pfd[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = vrs_broker_fd(p.broker), .events = POLLIN },
		};

		ret = vrs_broker_dispatch(p.broker, on_event, &p);
		if (ret < 0)
			break;
		if (p.gone) {
			fprintf(stderr, "producer: a slot was revoked for good\n");
			ret = -ENODEV;
			break;
		}
		ret = produce(&p, sock, o->frames);
		if (ret)
			break;
		if (poll(pfd, 2, 1000) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		ret = pipeline_recv(sock, &msg);
		if (ret <= 0) {
			ret = ret ? ret : -EPIPE;
			break;
		}
		ret = 0;
		if (msg.type == MSG_FAILED)
			ret = -ECANCELED;
		else if (msg.type == MSG_ACK && msg.frame == p.first)
			p.first++;
		if (!strcmp(o->breaks, "gone") && p.first == o->reset_at &&
		    p.slots[0]) {
			/* A wrong use on purpose: freed while in use. */
			printf("producer: frees slot 0 for good after %u frames\n",
			       o->reset_at);
			ret = vrs_broker_free(p.broker, p.slots[0]);
			p.slots[0] = NULL;
		}
	}
	if (ret && ret != -ECANCELED) {
		struct pipeline_msg failed = { .type = MSG_FAILED };

		fprintf(stderr, "producer: stopped at frame %llu: %s\n",
			(unsigned long long)p.first, strerror(-ret));
		pipeline_send(sock, &failed);
	}
	vrs_broker_close(p.broker);	/* frees the slots */
	return ret ? 1 : 0;
}
