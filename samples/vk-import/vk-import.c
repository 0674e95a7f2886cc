// SPDX-License-Identifier: MIT
/*
 * vk-import: VRAM from vramshared imported into a Vulkan device the way
 * radv, anv and wlroots consumers import dma-bufs, a compute shader run
 * over it, and the result read back by GPU B (a drm-import copy out of
 * the same VRAM), every byte compared. See README.md.
 *
 *   vk-import [--path dma-buf|host] [--validate] [--size BYTES]
 *             [--break offset|memory-type|revoke] [RENDER-NODE]
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vramshare.h"
#include "vk-compute.h"

#define SEED 0x5eed1234u

struct options {
	enum vkc_path path;
	bool validate;
	uint64_t size;
	const char *breaks;	/* for the tests: a wrong use on purpose */
	const char *node;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "vk-import: %s: %s\n", what, strerror(err));
	exit(1);
}

static void check(int ret, const char *what)
{
	if (ret < 0)
		die(what, -ret);
}

/*
 * The CPU mapping at an address aligned to the device's
 * minImportedHostPointerAlignment (a power of two, at least a page): a
 * reservation that large and more, the dma-buf mapped over its aligned
 * part, the rest given back.
 */
static void *map_aligned(struct vrs_buffer *buf, uint64_t size, uint64_t align)
{
	uint64_t span = size + align;
	uint8_t *area, *at;

	area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die("reserve address space", errno);
	at = (uint8_t *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
	if (mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 vrs_buffer_fd(buf), 0) == MAP_FAILED)
		die("map the VRAM", errno);
	if (at > area)
		munmap(area, (size_t)(at - area));
	munmap(at + size, (size_t)(area + span - (at + size)));
	return at;
}

static uint32_t input_word(uint32_t i)
{
	return i * 0x9e3779b9u + 12345u;
}

static uint32_t output_word(uint32_t i)
{
	return vkc_scramble_word(input_word(i), i, SEED);
}

/*
 * The check as GPU B sees it: its engine copies the VRAM out into its
 * own memory, where every word is compared.
 */
static int check_on_gpu_b(struct vrs_buffer *buf, uint64_t size, const char *node)
{
	struct vrs_importer *gpu_b;
	uint32_t imported, local;
	const uint32_t *words;
	char path[64];
	int wrong = 0;

	if (node)
		snprintf(path, sizeof(path), "%s", node);
	else
		check(vrs_find_importer(path, sizeof(path)), "find GPU B");
	check(vrs_importer_open(path, &gpu_b), "open GPU B");
	check(vrs_buffer_prime_import(buf, vrs_importer_fd(gpu_b), &imported),
	      "PRIME import on GPU B");
	check(vrs_bo_create(gpu_b, size, &local), "GPU B local buffer");
	check(vrs_copy(gpu_b, local, 0, imported, 0, size), "GPU B copy out of VRAM");
	check(vrs_bo_mmap(gpu_b, local, size, (void **)&words), "map GPU B's copy");
	for (uint32_t i = 0; i < size / 4; i++) {
		if (words[i] != output_word(i)) {
			fprintf(stderr, "vk-import: GPU B reads %#x at byte %llu, not %#x\n",
				words[i], (unsigned long long)i * 4, output_word(i));
			wrong = 1;
			break;
		}
	}
	munmap((void *)words, size);
	vrs_bo_close(gpu_b, local);
	vrs_bo_close(gpu_b, imported);
	vrs_importer_close(gpu_b);
	return wrong;
}

static void usage(void)
{
	fprintf(stderr, "usage: vk-import [--path dma-buf|host] [--validate] [--size BYTES]\n"
		"                 [--break offset|memory-type|revoke] [RENDER-NODE]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "validate", no_argument, NULL, 'v' },
		{ "size", required_argument, NULL, 's' },
		{ "break", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .size = 64 * 1024, .breaks = "" };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!strcmp(optarg, "dma-buf"))
				o->path = VKC_PATH_DMA_BUF;
			else if (!strcmp(optarg, "host"))
				o->path = VKC_PATH_HOST;
			else
				usage();
			break;
		case 'v':
			o->validate = true;
			break;
		case 's': {
			char *end;

			errno = 0;
			o->size = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				usage();
			break;
		}
		case 'b':
			o->breaks = optarg;
			if (strcmp(optarg, "offset") && strcmp(optarg, "memory-type") &&
			    strcmp(optarg, "revoke"))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		o->node = argv[optind++];
	if (optind < argc || !o->size || o->size > (1ull << 30))
		usage();
}

int main(int argc, char **argv)
{
	struct vrs_buffer_info info = { .struct_size = sizeof(info) };
	struct vrs_broker *broker;
	struct vrs_buffer *buf;
	struct vkc_buffer vkbuf;
	struct timespec t0, t1;
	struct options o;
	uint64_t generation, offset, align;
	struct vkc *vk;
	uint32_t *cpu;

	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* in order with stderr */
	check(vkc_open("vk-import", o.path, o.validate, &vk), "open a Vulkan device");

	/* The VRAM: a buffer from the broker, rounded to what Vulkan needs. */
	align = vkc_host_alignment(vk);
	o.size = (o.size + align - 1) / align * align;
	check(vrs_broker_connect(NULL, 0, &broker), "connect to vramshared");
	check(vrs_broker_alloc(broker, NULL, o.size, 0, 0, &buf), "allocate VRAM");
	check(vrs_buffer_info(buf, &info), "buffer info");
	generation = info.generation;
	printf("vk-import: %llu KiB of %s's VRAM at %#llx\n",
	       (unsigned long long)info.size / 1024, info.device,
	       (unsigned long long)info.offset);

	/* The input, written by the CPU through the buffer's mapping. */
	cpu = map_aligned(buf, info.size, align > 4096 ? align : 4096);
	for (uint32_t i = 0; i < info.size / 4; i++)
		cpu[i] = input_word(i);

	check(vkc_import(vk, vrs_buffer_fd(buf), cpu, info.size,
			 !strcmp(o.breaks, "memory-type"), &vkbuf), "import");
	/* --break offset: the shader works on the words 256 bytes further on. */
	offset = !strcmp(o.breaks, "offset") ? 256 : 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check(vkc_scramble(vk, &vkbuf, offset, (uint32_t)((info.size - offset) / 4),
			   SEED), "run the shader");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("vk-import: the compute shader rewrote %llu words of VRAM in %.1f ms\n",
	       (unsigned long long)(info.size - offset) / 4,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (!strcmp(o.breaks, "revoke"))
		check(vrs_broker_reset(broker, info.device), "reset GPU A");

	if (check_on_gpu_b(buf, info.size, o.node))
		return 1;
	/* A revoke since the import (a reset of GPU A) voids the result. */
	check(vrs_broker_dispatch(broker, NULL, NULL), "read events");
	check(vrs_buffer_info(buf, &info), "buffer info");
	if (info.generation != generation) {
		fprintf(stderr, "vk-import: the buffer was revoked while in use: the result is not trusted\n");
		return 1;
	}
	if (vkc_errors(vk)) {
		fprintf(stderr, "vk-import: %u validation errors\n", vkc_errors(vk));
		return 1;
	}
	printf("vk-import: GPU B read %llu KiB out of the same VRAM, every byte right\n",
	       (unsigned long long)info.size / 1024);

	vkc_release(vk, &vkbuf);
	vkc_close(vk);
	munmap(cpu, info.size);
	check(vrs_broker_free(broker, buf), "free");
	vrs_broker_close(broker);
	return 0;
}
