/* SPDX-License-Identifier: MIT */
/*
 * vk-compute: the samples' Vulkan side. One device with a compute queue
 * that can import shared memory, through a dma-buf where the device
 * offers VK_EXT_external_memory_dma_buf, else through a CPU mapping with
 * VK_EXT_external_memory_host; and one compute shader (scramble.comp)
 * run over an imported buffer.
 *
 * Calls return 0 or a negative errno, having printed what failed (with
 * the caller's name first).
 */
#ifndef VK_COMPUTE_H
#define VK_COMPUTE_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

enum vkc_path { VKC_PATH_ANY, VKC_PATH_DMA_BUF, VKC_PATH_HOST };

struct vkc;

/* Memory imported into the device, bound to a storage buffer. */
struct vkc_buffer {
	VkBuffer buffer;
	VkDeviceMemory memory;
	VkDeviceSize size;
};

/*
 * Opens the first device that can import by @want (ANY: the dma-buf path
 * first) and prints which device and path, and why. With @validate the
 * validation layers are on and every error they report is counted (and
 * the call it concerns skipped). -ENODEV: no device can import.
 */
int vkc_open(const char *who, enum vkc_path want, bool validate,
	     struct vkc **vkp);
void vkc_close(struct vkc *vk);
enum vkc_path vkc_path(const struct vkc *vk);
/* minImportedHostPointerAlignment on the host-pointer path, else 1. */
uint64_t vkc_host_alignment(const struct vkc *vk);
unsigned int vkc_errors(const struct vkc *vk);

/*
 * Imports @size bytes: the dma-buf @fd on the dma-buf path (a dup of it:
 * the caller keeps @fd), the mapping @cpu on the host-pointer path (aligned
 * to vkc_host_alignment(), @size a multiple of it). @wrong_type takes a
 * memory type the import does not allow, for the samples' tests.
 */
int vkc_import(struct vkc *vk, int fd, void *cpu, uint64_t size,
	       bool wrong_type, struct vkc_buffer *b);
void vkc_release(struct vkc *vk, struct vkc_buffer *b);

/*
 * Runs the shader over @count 32-bit words from byte @offset of @b with
 * @seed, and waits for it. The memory is acquired from, and released to,
 * whoever shares it: the foreign queue family (VK_EXT_queue_family_foreign,
 * else the external one) on the dma-buf path, the host on the host-pointer
 * path. -E2BIG past the device's limits (storage buffer range, workgroup
 * count, storage buffer offset alignment).
 */
int vkc_scramble(struct vkc *vk, struct vkc_buffer *b, uint64_t offset,
		 uint32_t count, uint32_t seed);

/* What the shader makes of word @word at index @index. */
static inline uint32_t vkc_scramble_word(uint32_t word, uint32_t index,
					 uint32_t seed)
{
	return (word ^ seed) * 2654435761u + index;
}

#endif
