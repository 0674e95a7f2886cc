// SPDX-License-Identifier: MIT
/*
 * drm-copy: the smallest program on shared VRAM. It gets a buffer from
 * vramshared (a new one, or the one whose share token is in
 * $VRAMSHARE_TOKEN), imports its dma-buf on GPU B's render node with
 * libdrm's PRIME call, and has GPU B copy through it both ways, every
 * byte checked. See README.md.
 *
 *   drm-copy [--break offset|revoke] [RENDER-NODE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xf86drm.h>

#include "vramshare.h"

#define SIZE (64 * 1024)

static void check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "drm-copy: %s: %s\n", what, strerror(-ret));
		exit(1);
	}
}

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* Index of the first byte that differs from the pattern, or -1. */
static long first_wrong(const uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(i * 7 + seed))
			return (long)i;
	return -1;
}

int main(int argc, char **argv)
{
	struct vrs_buffer_info info = { .struct_size = sizeof(info) };
	const char *token = getenv("VRAMSHARE_TOKEN"), *breaks = "";
	uint32_t imported, local, src_offset = 0;
	struct vrs_importer *gpu_b;
	struct vrs_broker *broker;
	struct vrs_buffer *buf;
	uint8_t *vram, *lmap;
	uint64_t generation;
	char node[64];
	long wrong;

	if (argc > 2 && !strcmp(argv[1], "--break")) {
		breaks = argv[2];	/* for the tests: a wrong use */
		argv += 2;
		argc -= 2;
	}
	if (argc > 2 || (argc > 1 && argv[1][0] == '-') ||
	    (*breaks && strcmp(breaks, "offset") && strcmp(breaks, "revoke"))) {
		fprintf(stderr, "usage: drm-copy [--break offset|revoke] [RENDER-NODE]\n");
		return 2;
	}
	/* 1. A VRAM buffer from the broker: a dma-buf fd and its size. */
	check(vrs_broker_connect(NULL, 0, &broker), "connect to vramshared");
	if (token)
		check(vrs_broker_open(broker, strtoull(token, NULL, 0), 0, &buf),
		      "open the shared buffer");
	else
		check(vrs_broker_alloc(broker, NULL, SIZE, 0, 0, &buf),
		      "allocate VRAM");
	check(vrs_buffer_info(buf, &info), "buffer info");
	generation = info.generation;
	printf("drm-copy: %llu KiB of %s's VRAM at %#llx\n",
	       (unsigned long long)info.size / 1024, info.device,
	       (unsigned long long)info.offset);

	/* 2. GPU B imports the dma-buf: libdrm's PRIME call on its node. */
	if (argc > 1)
		snprintf(node, sizeof(node), "%s", argv[1]);
	else
		check(vrs_find_importer(node, sizeof(node)), "find GPU B");
	check(vrs_importer_open(node, &gpu_b), "open GPU B");
	if (drmPrimeFDToHandle(vrs_importer_fd(gpu_b), vrs_buffer_fd(buf),
			       &imported))
		check(-errno, "PRIME import on GPU B");
	check(vrs_bo_create(gpu_b, info.size, &local), "GPU B local buffer");
	check(vrs_bo_mmap(gpu_b, local, info.size, (void **)&lmap), "map it");
	check(vrs_buffer_mmap(buf, PROT_READ | PROT_WRITE, (void **)&vram),
	      "map the VRAM");

	/* 3. The CPU writes VRAM; GPU B's engine copies it out. */
	pattern(vram, info.size, 1);
	if (!strcmp(breaks, "offset"))
		src_offset = 64;
	if (!strcmp(breaks, "revoke"))
		check(vrs_broker_reset(broker, info.device), "reset GPU A");
	check(vrs_copy(gpu_b, local, 0, imported, src_offset,
		       info.size - src_offset), "copy VRAM -> GPU B");
	wrong = first_wrong(lmap, info.size, 1);
	if (wrong >= 0) {
		fprintf(stderr, "drm-copy: GPU B read a wrong byte at %ld\n", wrong);
		return 1;
	}

	/* 4. And back: GPU B's bytes land in VRAM, read by the CPU. */
	pattern(lmap, info.size, 2);
	check(vrs_copy(gpu_b, imported, 0, local, 0, info.size),
	      "copy GPU B -> VRAM");
	wrong = first_wrong(vram, info.size, 2);
	if (wrong >= 0) {
		fprintf(stderr, "drm-copy: VRAM holds a wrong byte at %ld\n", wrong);
		return 1;
	}

	/* 5. A revoke in between (a reset of GPU A) voids the result. */
	check(vrs_broker_dispatch(broker, NULL, NULL), "read events");
	check(vrs_buffer_info(buf, &info), "buffer info");
	if (info.generation != generation) {
		fprintf(stderr, "drm-copy: the buffer was revoked during the copies\n");
		return 1;
	}
	printf("drm-copy: GPU B copied %llu KiB out of VRAM and back, every byte right\n",
	       (unsigned long long)info.size / 1024);

	munmap(vram, info.size);
	munmap(lmap, info.size);
	vrs_bo_close(gpu_b, imported);
	vrs_bo_close(gpu_b, local);
	vrs_importer_close(gpu_b);
	check(vrs_broker_free(broker, buf), "free");
	vrs_broker_close(broker);
	return 0;
}
