// SPDX-License-Identifier: MIT
/*
 * broker-copy: the consumer half of the broker demo. Another process
 * allocated a VRAM buffer through vramshared and passed its share token
 * ($VRAMSHARE_TOKEN, as `vramshare alloc SIZE -- CMD` does); this one
 * opens a dma-buf of that buffer, imports it on GPU B with PRIME, and
 * copies through it both ways with every byte checked.
 *
 *   vramshare alloc 16K -- broker-copy [RENDER-NODE]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vramshare.h"

static void check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "broker-copy: %s: %s\n", what, strerror(-ret));
		exit(1);
	}
}

static void pattern(uint8_t *p, uint64_t len, uint8_t seed)
{
	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

static int same(const uint8_t *a, const uint8_t *b, uint64_t len)
{
	return memcmp(a, b, len) == 0;
}

int main(int argc, char **argv)
{
	struct vrs_buffer_info info = { .struct_size = sizeof(info) };
	const char *token_text = getenv("VRAMSHARE_TOKEN");
	struct vrs_importer *imp;
	struct vrs_broker *broker;
	struct vrs_buffer *buf;
	uint32_t handle, local;
	uint8_t *vram, *lmap, *want;
	char node[64];

	if (!token_text) {
		fprintf(stderr, "usage: vramshare alloc SIZE -- broker-copy [RENDER-NODE]\n");
		return 2;
	}
	check(vrs_broker_connect(NULL, 0, &broker), "connect to the broker");
	check(vrs_broker_open(broker, strtoull(token_text, NULL, 10), 0, &buf),
	      "open the shared buffer");
	check(vrs_buffer_info(buf, &info), "buffer info");
	printf("broker-copy: opened buffer %" PRIu64 " of another process: %s [%#" PRIx64
	       ", +%" PRIu64 " KiB)\n", info.id, info.device, info.offset,
	       info.size / 1024);

	if (argc > 1)
		snprintf(node, sizeof(node), "%s", argv[1]);
	else
		check(vrs_find_importer(node, sizeof(node)), "find GPU B");
	check(vrs_importer_open(node, &imp), "open GPU B");
	check(vrs_buffer_prime_import(buf, vrs_importer_fd(imp), &handle),
	      "PRIME import on GPU B");
	check(vrs_bo_create(imp, info.size, &local), "GPU B local buffer");
	check(vrs_bo_mmap(imp, local, info.size, (void **)&lmap), "map it");
	check(vrs_buffer_mmap(buf, PROT_READ | PROT_WRITE, (void **)&vram),
	      "map the dma-buf");
	want = malloc(info.size);
	if (!want)
		check(-ENOMEM, "allocate");

	pattern(vram, info.size, 1);
	check(vrs_copy(imp, local, 0, handle, 0, info.size), "copy VRAM -> GPU B");
	pattern(want, info.size, 1);
	if (!same(lmap, want, info.size)) {
		fprintf(stderr, "broker-copy: GPU B read wrong bytes\n");
		return 1;
	}
	printf("broker-copy: GPU B copied %" PRIu64 " KiB out of the shared VRAM, every byte right\n",
	       info.size / 1024);

	pattern(lmap, info.size, 2);
	check(vrs_copy(imp, handle, 0, local, 0, info.size), "copy GPU B -> VRAM");
	pattern(want, info.size, 2);
	if (!same(vram, want, info.size)) {
		fprintf(stderr, "broker-copy: VRAM holds wrong bytes\n");
		return 1;
	}
	printf("broker-copy: GPU B copied %" PRIu64 " KiB into the shared VRAM, every byte right\n",
	       info.size / 1024);

	free(want);
	munmap(vram, info.size);
	munmap(lmap, info.size);
	vrs_bo_close(imp, handle);
	vrs_bo_close(imp, local);
	vrs_importer_close(imp);
	check(vrs_broker_free(broker, buf), "drop the dma-buf");
	vrs_broker_close(broker);
	return 0;
}
