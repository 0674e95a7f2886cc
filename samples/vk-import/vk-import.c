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
#include <vulkan/vulkan.h>

#include "vramshare.h"
#include "scramble.spv.h"

#define SEED 0x5eed1234u

enum import_path { PATH_ANY, PATH_DMA_BUF, PATH_HOST };

struct options {
	enum import_path path;
	bool validate;
	uint64_t size;
	const char *breaks;	/* for the tests: a wrong use on purpose */
	const char *node;
};

struct vk {
	VkInstance instance;
	VkDebugUtilsMessengerEXT messenger;
	VkPhysicalDevice phys;
	VkDevice device;
	VkQueue queue;
	uint32_t family;
	enum import_path path;
	VkDeviceSize host_alignment;
	unsigned int errors;	/* validation errors reported */
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

static void vk_check(VkResult r, const char *what)
{
	if (r != VK_SUCCESS) {
		fprintf(stderr, "vk-import: %s: VkResult %d\n", what, (int)r);
		exit(1);
	}
}

/* Validation errors fail the run; returning VK_TRUE skips the bad call. */
static VKAPI_ATTR VkBool32 VKAPI_CALL
on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
	   VkDebugUtilsMessageTypeFlagsEXT type,
	   const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
	struct vk *vk = user;

	(void)type;
	fprintf(stderr, "vk-import: validation: %s\n", data->pMessage);
	if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
		vk->errors++;
		return VK_TRUE;
	}
	return VK_FALSE;
}

static bool instance_has(const char *layer, const char *ext)
{
	VkExtensionProperties exts[256];
	uint32_t n = 256;

	if (vkEnumerateInstanceExtensionProperties(layer, &n, exts) < 0)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(exts[i].extensionName, ext))
			return true;
	return false;
}

static bool device_has(VkPhysicalDevice phys, const char *ext)
{
	VkExtensionProperties *exts;
	uint32_t n = 0;
	bool found = false;

	vkEnumerateDeviceExtensionProperties(phys, NULL, &n, NULL);
	exts = calloc(n ? n : 1, sizeof(*exts));
	if (!exts)
		die("device extensions", ENOMEM);
	vkEnumerateDeviceExtensionProperties(phys, NULL, &n, exts);
	for (uint32_t i = 0; i < n && !found; i++)
		found = !strcmp(exts[i].extensionName, ext);
	free(exts);
	return found;
}

static void create_instance(struct vk *vk, bool validate)
{
	const char *layer = "VK_LAYER_KHRONOS_validation";
	const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
	bool debug = instance_has(NULL, ext) ||
		     (validate && instance_has(layer, ext));
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "vk-import",
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo info = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
		.enabledLayerCount = validate,
		.ppEnabledLayerNames = &layer,
		.enabledExtensionCount = debug,
		.ppEnabledExtensionNames = &ext,
	};
	VkDebugUtilsMessengerCreateInfoEXT mci = {
		.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
		.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
				   VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
		.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
		.pfnUserCallback = on_message,
		.pUserData = vk,
	};
	PFN_vkCreateDebugUtilsMessengerEXT create_messenger;

	vk_check(vkCreateInstance(&info, NULL, &vk->instance),
		 validate ? "create a Vulkan instance with validation" :
			    "create a Vulkan instance");
	if (!debug)
		return;
	create_messenger = (PFN_vkCreateDebugUtilsMessengerEXT)
		vkGetInstanceProcAddr(vk->instance, "vkCreateDebugUtilsMessengerEXT");
	if (create_messenger)
		vk_check(create_messenger(vk->instance, &mci, NULL, &vk->messenger),
			 "debug messenger");
}

/*
 * The first device with a compute queue that can import the buffer:
 * through its dma-buf where the device offers VK_EXT_external_memory_dma_buf,
 * else through its CPU mapping with VK_EXT_external_memory_host.
 */
static void pick_device(struct vk *vk, enum import_path want)
{
	VkPhysicalDevice devs[16];
	uint32_t n = 16;

	if (vkEnumeratePhysicalDevices(vk->instance, &n, devs) < 0)
		n = 0;
	for (enum import_path pass = PATH_DMA_BUF; pass <= PATH_HOST; pass++) {
		if (want != PATH_ANY && want != pass)
			continue;
		for (uint32_t i = 0; i < n; i++) {
			VkPhysicalDeviceProperties props;
			VkQueueFamilyProperties families[16];
			uint32_t nf = 16, f;
			bool ok = pass == PATH_DMA_BUF ?
				  device_has(devs[i], VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME) &&
				  device_has(devs[i], VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME) :
				  device_has(devs[i], VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);

			vkGetPhysicalDeviceProperties(devs[i], &props);
			if (props.apiVersion < VK_API_VERSION_1_1 || !ok)
				continue;
			vkGetPhysicalDeviceQueueFamilyProperties(devs[i], &nf, families);
			for (f = 0; f < nf; f++)
				if (families[f].queueFlags & VK_QUEUE_COMPUTE_BIT)
					break;
			if (f == nf)
				continue;
			vk->phys = devs[i];
			vk->family = f;
			vk->path = pass;
			printf("vk-import: Vulkan device \"%s\", Vulkan %u.%u\n",
			       props.deviceName, VK_API_VERSION_MAJOR(props.apiVersion),
			       VK_API_VERSION_MINOR(props.apiVersion));
			if (pass == PATH_DMA_BUF)
				printf("vk-import: path dma-buf: VK_EXT_external_memory_dma_buf imports the buffer's dma-buf\n");
			else
				printf("vk-import: path host-pointer: %s; VK_EXT_external_memory_host imports the buffer's CPU mapping\n",
				       want == PATH_HOST ? "asked for" :
				       "no device offers VK_EXT_external_memory_dma_buf");
			return;
		}
	}
	fprintf(stderr, "vk-import: no Vulkan 1.1 device with a compute queue offers %s\n",
		want == PATH_DMA_BUF ? "VK_EXT_external_memory_dma_buf" :
		want == PATH_HOST ? "VK_EXT_external_memory_host" :
		"VK_EXT_external_memory_dma_buf or VK_EXT_external_memory_host");
	exit(1);
}

static void create_device(struct vk *vk)
{
	const char *dmabuf_exts[] = {
		VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
		VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
	};
	const char *host_exts[] = { VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME };
	float priority = 1.0f;
	VkDeviceQueueCreateInfo queue = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueFamilyIndex = vk->family,
		.queueCount = 1,
		.pQueuePriorities = &priority,
	};
	VkDeviceCreateInfo info = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &queue,
		.enabledExtensionCount = vk->path == PATH_DMA_BUF ? 2 : 1,
		.ppEnabledExtensionNames = vk->path == PATH_DMA_BUF ? dmabuf_exts :
								      host_exts,
	};

	vk_check(vkCreateDevice(vk->phys, &info, NULL, &vk->device), "create a device");
	vkGetDeviceQueue(vk->device, vk->family, 0, &vk->queue);
	if (vk->path == PATH_HOST) {
		VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
		};
		VkPhysicalDeviceProperties2 props = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
			.pNext = &host,
		};

		vkGetPhysicalDeviceProperties2(vk->phys, &props);
		vk->host_alignment = host.minImportedHostPointerAlignment;
	}
}

/* The handle type must be importable into a storage buffer. */
static void check_importable(struct vk *vk, VkExternalMemoryHandleTypeFlagBits type)
{
	VkPhysicalDeviceExternalBufferInfo info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO,
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
		.handleType = type,
	};
	VkExternalBufferProperties props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES,
	};

	vkGetPhysicalDeviceExternalBufferProperties(vk->phys, &info, &props);
	if (!(props.externalMemoryProperties.externalMemoryFeatures &
	      VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)) {
		fprintf(stderr, "vk-import: the device cannot import this handle type into a storage buffer\n");
		exit(1);
	}
}

/* The lowest memory type in @bits; with --break memory-type, one not in it. */
static uint32_t choose_memory_type(uint32_t bits, bool wrong)
{
	for (uint32_t i = 0; i < 32; i++)
		if (!(bits & (1u << i)) == wrong)
			return i;
	fprintf(stderr, "vk-import: no memory type can hold the import\n");
	exit(1);
}

/*
 * The CPU mapping at an address aligned to the device's
 * minImportedHostPointerAlignment: a reservation that large and more,
 * the dma-buf mapped over its aligned part.
 */
static void *map_aligned(struct vrs_buffer *buf, uint64_t size, uint64_t align)
{
	uint64_t span = size + (align > 4096 ? align : 0);
	uint8_t *area, *at;

	area = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		die("reserve address space", errno);
	at = (uint8_t *)(((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1));
	if (mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 vrs_buffer_fd(buf), 0) == MAP_FAILED)
		die("map the VRAM", errno);
	return at;
}

/* Imports @buf into @memory, bound to a new storage buffer @vkbuf. */
static void import(struct vk *vk, struct vrs_buffer *buf, uint64_t size,
		   void *cpu, bool wrong_type, VkBuffer *vkbuf,
		   VkDeviceMemory *memory)
{
	VkExternalMemoryHandleTypeFlagBits type = vk->path == PATH_DMA_BUF ?
		VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT :
		VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
	VkExternalMemoryBufferCreateInfo external = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = type,
	};
	VkBufferCreateInfo binfo = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = &external,
		.size = size,
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkMemoryDedicatedAllocateInfo dedicated = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
	};
	VkImportMemoryFdInfoKHR fd_import = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.pNext = &dedicated,
		.handleType = type,
	};
	VkImportMemoryHostPointerInfoEXT host_import = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = type,
		.pHostPointer = cpu,
	};
	VkMemoryAllocateInfo ainfo = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = size,
	};
	VkMemoryRequirements req;
	uint32_t bits;
	VkResult r;

	check_importable(vk, type);
	vk_check(vkCreateBuffer(vk->device, &binfo, NULL, vkbuf), "create a buffer");
	vkGetBufferMemoryRequirements(vk->device, *vkbuf, &req);
	if (req.size > size) {
		fprintf(stderr, "vk-import: the buffer needs %llu bytes, the dma-buf has %llu\n",
			(unsigned long long)req.size, (unsigned long long)size);
		exit(1);
	}
	if (vk->path == PATH_DMA_BUF) {
		VkMemoryFdPropertiesKHR props = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR,
		};
		PFN_vkGetMemoryFdPropertiesKHR get_props = (PFN_vkGetMemoryFdPropertiesKHR)
			vkGetDeviceProcAddr(vk->device, "vkGetMemoryFdPropertiesKHR");

		vk_check(get_props(vk->device, type, vrs_buffer_fd(buf), &props),
			 "dma-buf memory properties");
		bits = props.memoryTypeBits;
		/* A successful import owns the fd: the broker's copy stays ours. */
		fd_import.fd = dup(vrs_buffer_fd(buf));
		if (fd_import.fd < 0)
			die("dup the dma-buf", errno);
		dedicated.buffer = *vkbuf;
		ainfo.pNext = &fd_import;
	} else {
		VkMemoryHostPointerPropertiesEXT props = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
		};
		PFN_vkGetMemoryHostPointerPropertiesEXT get_props =
			(PFN_vkGetMemoryHostPointerPropertiesEXT)
			vkGetDeviceProcAddr(vk->device, "vkGetMemoryHostPointerPropertiesEXT");

		if (size % vk->host_alignment) {
			fprintf(stderr, "vk-import: %llu bytes is no multiple of minImportedHostPointerAlignment %llu\n",
				(unsigned long long)size,
				(unsigned long long)vk->host_alignment);
			exit(1);
		}
		vk_check(get_props(vk->device, type, cpu, &props),
			 "host pointer memory properties");
		bits = props.memoryTypeBits;
		ainfo.pNext = &host_import;
	}
	bits &= req.memoryTypeBits;
	ainfo.memoryTypeIndex = choose_memory_type(bits, wrong_type);
	printf("vk-import: memory type %u of the importable ones (mask %#x)\n",
	       ainfo.memoryTypeIndex, bits);
	r = vkAllocateMemory(vk->device, &ainfo, NULL, memory);
	if (r != VK_SUCCESS && vk->path == PATH_DMA_BUF)
		close(fd_import.fd);
	vk_check(r, "import the memory");
	vk_check(vkBindBufferMemory(vk->device, *vkbuf, *memory, 0), "bind it");
}

/* Runs the shader over @count words at @offset of @vkbuf, and waits. */
static void run_shader(struct vk *vk, VkBuffer vkbuf, VkDeviceSize offset,
		       uint32_t count)
{
	VkDescriptorSetLayoutBinding binding = {
		.binding = 0,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.descriptorCount = 1,
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
	};
	VkDescriptorSetLayoutCreateInfo dslinfo = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1,
		.pBindings = &binding,
	};
	VkPushConstantRange push = {
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		.size = 2 * sizeof(uint32_t),
	};
	VkShaderModuleCreateInfo sminfo = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = sizeof(scramble_spv),
		.pCode = scramble_spv,
	};
	VkDescriptorPoolSize pool_size = {
		.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.descriptorCount = 1,
	};
	VkDescriptorPoolCreateInfo dpinfo = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = 1,
		.pPoolSizes = &pool_size,
	};
	VkCommandPoolCreateInfo cpinfo = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.queueFamilyIndex = vk->family,
	};
	VkFenceCreateInfo finfo = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkCommandBufferBeginInfo begin = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	/*
	 * Memory another device shares: acquired from the external queue
	 * family before the shader, released to it after. With a host
	 * pointer the CPU is the other side: host write to shader, shader
	 * write to host.
	 */
	bool ext = vk->path == PATH_DMA_BUF;
	VkBufferMemoryBarrier acquire = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = ext ? 0 : VK_ACCESS_HOST_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
		.srcQueueFamilyIndex = ext ? VK_QUEUE_FAMILY_EXTERNAL : VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = ext ? vk->family : VK_QUEUE_FAMILY_IGNORED,
		.buffer = vkbuf,
		.size = VK_WHOLE_SIZE,
	};
	VkBufferMemoryBarrier release = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = ext ? 0 : VK_ACCESS_HOST_READ_BIT,
		.srcQueueFamilyIndex = ext ? vk->family : VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = ext ? VK_QUEUE_FAMILY_EXTERNAL : VK_QUEUE_FAMILY_IGNORED,
		.buffer = vkbuf,
		.size = VK_WHOLE_SIZE,
	};
	uint32_t constants[2] = { count, SEED };
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkShaderModule module;
	VkPipeline pipeline;
	VkDescriptorPool dpool;
	VkDescriptorSet set;
	VkCommandPool cpool;
	VkCommandBuffer cmd;
	VkFence fence;

	vk_check(vkCreateDescriptorSetLayout(vk->device, &dslinfo, NULL, &dsl),
		 "descriptor set layout");
	VkPipelineLayoutCreateInfo plinfo = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &dsl,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &push,
	};
	vk_check(vkCreatePipelineLayout(vk->device, &plinfo, NULL, &layout),
		 "pipeline layout");
	vk_check(vkCreateShaderModule(vk->device, &sminfo, NULL, &module),
		 "shader module");
	VkComputePipelineCreateInfo pinfo = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.module = module,
			.pName = "main",
		},
		.layout = layout,
	};
	vk_check(vkCreateComputePipelines(vk->device, VK_NULL_HANDLE, 1, &pinfo,
					  NULL, &pipeline), "compute pipeline");
	vk_check(vkCreateDescriptorPool(vk->device, &dpinfo, NULL, &dpool),
		 "descriptor pool");
	VkDescriptorSetAllocateInfo dsinfo = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = dpool,
		.descriptorSetCount = 1,
		.pSetLayouts = &dsl,
	};
	vk_check(vkAllocateDescriptorSets(vk->device, &dsinfo, &set), "descriptor set");
	VkDescriptorBufferInfo dbinfo = {
		.buffer = vkbuf,
		.offset = offset,
		.range = (VkDeviceSize)count * 4,
	};
	VkWriteDescriptorSet write = {
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.dstSet = set,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.pBufferInfo = &dbinfo,
	};
	vkUpdateDescriptorSets(vk->device, 1, &write, 0, NULL);
	vk_check(vkCreateCommandPool(vk->device, &cpinfo, NULL, &cpool), "command pool");
	VkCommandBufferAllocateInfo cbinfo = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = cpool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	vk_check(vkAllocateCommandBuffers(vk->device, &cbinfo, &cmd), "command buffer");
	vk_check(vkBeginCommandBuffer(cmd, &begin), "begin");
	vkCmdPipelineBarrier(cmd, ext ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT :
				 VK_PIPELINE_STAGE_HOST_BIT,
			     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, NULL,
			     1, &acquire, 0, NULL);
	vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
	vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1,
				&set, 0, NULL);
	vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
			   sizeof(constants), constants);
	vkCmdDispatch(cmd, (count + 63) / 64, 1, 1);
	vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     ext ? VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT :
				   VK_PIPELINE_STAGE_HOST_BIT,
			     0, 0, NULL, 1, &release, 0, NULL);
	vk_check(vkEndCommandBuffer(cmd), "end");
	vk_check(vkCreateFence(vk->device, &finfo, NULL, &fence), "fence");
	VkSubmitInfo submit = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
	};
	vk_check(vkQueueSubmit(vk->queue, 1, &submit, fence), "submit");
	vk_check(vkWaitForFences(vk->device, 1, &fence, VK_TRUE, 120ull * 1000000000),
		 "wait for the shader");

	vkDestroyFence(vk->device, fence, NULL);
	vkDestroyCommandPool(vk->device, cpool, NULL);
	vkDestroyDescriptorPool(vk->device, dpool, NULL);
	vkDestroyPipeline(vk->device, pipeline, NULL);
	vkDestroyShaderModule(vk->device, module, NULL);
	vkDestroyPipelineLayout(vk->device, layout, NULL);
	vkDestroyDescriptorSetLayout(vk->device, dsl, NULL);
}

static uint32_t input_word(uint32_t i)
{
	return i * 0x9e3779b9u + 12345u;
}

static uint32_t output_word(uint32_t i)
{
	return (input_word(i) ^ SEED) * 2654435761u + i;
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
				o->path = PATH_DMA_BUF;
			else if (!strcmp(optarg, "host"))
				o->path = PATH_HOST;
			else
				usage();
			break;
		case 'v':
			o->validate = true;
			break;
		case 's':
			o->size = strtoull(optarg, NULL, 0);
			break;
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
	struct vk vk = { 0 };
	struct vrs_broker *broker;
	struct vrs_buffer *buf;
	VkDeviceMemory memory;
	VkDeviceSize offset;
	struct options o;
	uint32_t *cpu;
	VkBuffer vkbuf;
	uint64_t generation;
	struct timespec t0, t1;

	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* in order with stderr */
	create_instance(&vk, o.validate);
	pick_device(&vk, o.path);
	create_device(&vk);

	/* The VRAM: a buffer from the broker, rounded to what Vulkan needs. */
	if (vk.host_alignment > 1)
		o.size = (o.size + vk.host_alignment - 1) & ~(vk.host_alignment - 1);
	check(vrs_broker_connect(NULL, 0, &broker), "connect to vramshared");
	check(vrs_broker_alloc(broker, NULL, o.size, 0, 0, &buf), "allocate VRAM");
	check(vrs_buffer_info(buf, &info), "buffer info");
	generation = info.generation;
	printf("vk-import: %llu KiB of %s's VRAM at %#llx\n",
	       (unsigned long long)info.size / 1024, info.device,
	       (unsigned long long)info.offset);

	/* The input, written by the CPU through the buffer's mapping. */
	cpu = map_aligned(buf, info.size, vk.path == PATH_HOST ? vk.host_alignment : 4096);
	for (uint32_t i = 0; i < info.size / 4; i++)
		cpu[i] = input_word(i);

	import(&vk, buf, info.size, cpu, !strcmp(o.breaks, "memory-type"),
	       &vkbuf, &memory);
	/* --break offset: the shader works on the words 256 bytes further on. */
	offset = !strcmp(o.breaks, "offset") ? 256 : 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_shader(&vk, vkbuf, offset, (uint32_t)((info.size - offset) / 4));
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
	if (vk.errors) {
		fprintf(stderr, "vk-import: %u validation errors\n", vk.errors);
		return 1;
	}
	printf("vk-import: GPU B read %llu KiB out of the same VRAM, every byte right\n",
	       (unsigned long long)info.size / 1024);

	vkDestroyBuffer(vk.device, vkbuf, NULL);
	vkFreeMemory(vk.device, memory, NULL);
	vkDestroyDevice(vk.device, NULL);
	if (vk.messenger) {
		PFN_vkDestroyDebugUtilsMessengerEXT destroy =
			(PFN_vkDestroyDebugUtilsMessengerEXT)
			vkGetInstanceProcAddr(vk.instance, "vkDestroyDebugUtilsMessengerEXT");

		destroy(vk.instance, vk.messenger, NULL);
	}
	vkDestroyInstance(vk.instance, NULL);
	munmap(cpu, info.size);
	check(vrs_broker_free(broker, buf), "free");
	vrs_broker_close(broker);
	return 0;
}
