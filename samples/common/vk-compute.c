// SPDX-License-Identifier: MIT
/*
 * vk-compute: the samples' Vulkan side (see vk-compute.h). The compute
 * pipeline is built once at open; each run records one command buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vk-compute.h"
#include "scramble.spv.h"

struct vkc {
	const char *who;
	VkInstance instance;
	VkDebugUtilsMessengerEXT messenger;
	VkPhysicalDevice phys;
	VkDevice device;
	VkQueue queue;
	uint32_t family;
	enum vkc_path path;
	VkDeviceSize host_alignment;
	VkPhysicalDeviceLimits limits;
	uint32_t memory_types;
	uint32_t other_family;		/* who shares the memory: see record() */
	unsigned int errors;		/* validation errors reported */
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkShaderModule module;
	VkPipeline pipeline;
	VkDescriptorPool dpool;
	VkDescriptorSet set;
	VkCommandPool cpool;
	VkCommandBuffer cmd;
	VkFence fence;
};

static int vk_failed(struct vkc *vk, VkResult r, const char *what)
{
	fprintf(stderr, "%s: %s: VkResult %d\n", vk->who, what, (int)r);
	return -EIO;
}

#define VK_TRY(vk, call, what) do { \
	VkResult r_ = (call); \
	if (r_ != VK_SUCCESS) \
		return vk_failed((vk), r_, (what)); \
} while (0)

/*
 * Validation errors count. Returning VK_TRUE has the validation layer skip
 * the call it reported (VK_ERROR_VALIDATION_FAILED_EXT): the spec keeps
 * that value for layers, but no invalid call reaching the driver is what a
 * sample that tests wrong uses on purpose needs.
 */
static VKAPI_ATTR VkBool32 VKAPI_CALL
on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
	   VkDebugUtilsMessageTypeFlagsEXT type,
	   const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
	struct vkc *vk = user;

	(void)type;
	fprintf(stderr, "%s: validation: %s\n", vk->who, data->pMessage);
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
		return false;
	vkEnumerateDeviceExtensionProperties(phys, NULL, &n, exts);
	for (uint32_t i = 0; i < n && !found; i++)
		found = !strcmp(exts[i].extensionName, ext);
	free(exts);
	return found;
}

static int create_instance(struct vkc *vk, bool validate)
{
	const char *layer = "VK_LAYER_KHRONOS_validation";
	const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
	bool debug = instance_has(NULL, ext) ||
		     (validate && instance_has(layer, ext));
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = vk->who,
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

	VK_TRY(vk, vkCreateInstance(&info, NULL, &vk->instance),
	       validate ? "create a Vulkan instance with validation" :
			  "create a Vulkan instance");
	if (!debug)
		return 0;
	create_messenger = (PFN_vkCreateDebugUtilsMessengerEXT)
		vkGetInstanceProcAddr(vk->instance, "vkCreateDebugUtilsMessengerEXT");
	if (create_messenger)
		VK_TRY(vk, create_messenger(vk->instance, &mci, NULL, &vk->messenger),
		       "debug messenger");
	return 0;
}

static bool can_import(VkPhysicalDevice phys, enum vkc_path path)
{
	if (path == VKC_PATH_DMA_BUF)
		return device_has(phys, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME) &&
		       device_has(phys, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
	return device_has(phys, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
}

/* The first Vulkan 1.1 device with a compute queue that imports by @path. */
static bool find_device(struct vkc *vk, enum vkc_path path)
{
	VkPhysicalDevice devs[16];
	uint32_t n = 16;

	if (vkEnumeratePhysicalDevices(vk->instance, &n, devs) < 0)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		VkQueueFamilyProperties families[16];
		VkPhysicalDeviceProperties props;
		uint32_t nf = 16;

		vkGetPhysicalDeviceProperties(devs[i], &props);
		if (props.apiVersion < VK_API_VERSION_1_1 || !can_import(devs[i], path))
			continue;
		vkGetPhysicalDeviceQueueFamilyProperties(devs[i], &nf, families);
		for (uint32_t f = 0; f < nf; f++) {
			if (!(families[f].queueFlags & VK_QUEUE_COMPUTE_BIT))
				continue;
			vk->phys = devs[i];
			vk->family = f;
			vk->path = path;
			printf("%s: Vulkan device \"%s\", Vulkan %u.%u\n", vk->who,
			       props.deviceName, VK_API_VERSION_MAJOR(props.apiVersion),
			       VK_API_VERSION_MINOR(props.apiVersion));
			return true;
		}
	}
	return false;
}

static int pick_device(struct vkc *vk, enum vkc_path want)
{
	if (want != VKC_PATH_HOST && find_device(vk, VKC_PATH_DMA_BUF)) {
		printf("%s: path dma-buf: VK_EXT_external_memory_dma_buf imports the dma-buf\n",
		       vk->who);
		return 0;
	}
	if (want != VKC_PATH_DMA_BUF && find_device(vk, VKC_PATH_HOST)) {
		printf("%s: path host-pointer: %s; VK_EXT_external_memory_host imports the CPU mapping\n",
		       vk->who, want == VKC_PATH_HOST ? "asked for" :
		       "no device offers VK_EXT_external_memory_dma_buf");
		return 0;
	}
	fprintf(stderr, "%s: no Vulkan 1.1 device with a compute queue offers %s\n",
		vk->who, want == VKC_PATH_DMA_BUF ? "VK_EXT_external_memory_dma_buf" :
		want == VKC_PATH_HOST ? "VK_EXT_external_memory_host" :
		"VK_EXT_external_memory_dma_buf or VK_EXT_external_memory_host");
	return -ENODEV;
}

static int create_device(struct vkc *vk)
{
	const char *dmabuf_exts[] = {
		VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
		VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
		VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME,
	};
	bool foreign = device_has(vk->phys, VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME);
	const char *host_exts[] = { VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME };
	bool dmabuf = vk->path == VKC_PATH_DMA_BUF;
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
		.enabledExtensionCount = dmabuf ? 2 + foreign : 1,
		.ppEnabledExtensionNames = dmabuf ? dmabuf_exts : host_exts,
	};
	VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
	};
	VkPhysicalDeviceProperties2 props = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &host,
	};

	VkPhysicalDeviceMemoryProperties memory;

	VK_TRY(vk, vkCreateDevice(vk->phys, &info, NULL, &vk->device),
	       "create a device");
	vkGetDeviceQueue(vk->device, vk->family, 0, &vk->queue);
	vkGetPhysicalDeviceMemoryProperties(vk->phys, &memory);
	vk->memory_types = memory.memoryTypeCount;
	/*
	 * A dma-buf is shared with another driver (drm-import's engine,
	 * another GPU): the foreign queue family where the device has it,
	 * else the external one. Host memory is shared with the CPU.
	 */
	vk->other_family = foreign ? VK_QUEUE_FAMILY_FOREIGN_EXT :
				     VK_QUEUE_FAMILY_EXTERNAL;
	vk->host_alignment = 1;
	vkGetPhysicalDeviceProperties2(vk->phys, &props);
	vk->limits = props.properties.limits;
	if (!dmabuf)
		vk->host_alignment = host.minImportedHostPointerAlignment;
	return 0;
}

/* The shader's pipeline, its descriptor set, a command buffer, a fence. */
static int create_pipeline(struct vkc *vk)
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
	VkPipelineLayoutCreateInfo plinfo = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &vk->dsl,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &push,
	};
	VkShaderModuleCreateInfo sminfo = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = sizeof(scramble_spv),
		.pCode = scramble_spv,
	};
	VkComputePipelineCreateInfo pinfo = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.pName = "main",
		},
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
	VkDescriptorSetAllocateInfo dsinfo = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorSetCount = 1,
		.pSetLayouts = &vk->dsl,
	};
	VkCommandPoolCreateInfo cpinfo = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
		.queueFamilyIndex = vk->family,
	};
	VkCommandBufferAllocateInfo cbinfo = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkFenceCreateInfo finfo = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

	VK_TRY(vk, vkCreateDescriptorSetLayout(vk->device, &dslinfo, NULL, &vk->dsl),
	       "descriptor set layout");
	VK_TRY(vk, vkCreatePipelineLayout(vk->device, &plinfo, NULL, &vk->layout),
	       "pipeline layout");
	VK_TRY(vk, vkCreateShaderModule(vk->device, &sminfo, NULL, &vk->module),
	       "shader module");
	pinfo.stage.module = vk->module;
	pinfo.layout = vk->layout;
	VK_TRY(vk, vkCreateComputePipelines(vk->device, VK_NULL_HANDLE, 1, &pinfo,
					    NULL, &vk->pipeline), "compute pipeline");
	VK_TRY(vk, vkCreateDescriptorPool(vk->device, &dpinfo, NULL, &vk->dpool),
	       "descriptor pool");
	dsinfo.descriptorPool = vk->dpool;
	VK_TRY(vk, vkAllocateDescriptorSets(vk->device, &dsinfo, &vk->set),
	       "descriptor set");
	VK_TRY(vk, vkCreateCommandPool(vk->device, &cpinfo, NULL, &vk->cpool),
	       "command pool");
	cbinfo.commandPool = vk->cpool;
	VK_TRY(vk, vkAllocateCommandBuffers(vk->device, &cbinfo, &vk->cmd),
	       "command buffer");
	VK_TRY(vk, vkCreateFence(vk->device, &finfo, NULL, &vk->fence), "fence");
	return 0;
}

int vkc_open(const char *who, enum vkc_path want, bool validate,
	     struct vkc **vkp)
{
	struct vkc *vk = calloc(1, sizeof(*vk));
	int ret;

	if (!vk)
		return -ENOMEM;
	vk->who = who;
	ret = create_instance(vk, validate);
	if (!ret)
		ret = pick_device(vk, want);
	if (!ret)
		ret = create_device(vk);
	if (!ret)
		ret = create_pipeline(vk);
	if (ret) {
		vkc_close(vk);
		return ret;
	}
	*vkp = vk;
	return 0;
}

void vkc_close(struct vkc *vk)
{
	if (!vk)
		return;
	if (vk->device) {
		/* After a failed wait the shader may still run. */
		vkDeviceWaitIdle(vk->device);
		vkDestroyFence(vk->device, vk->fence, NULL);
		vkDestroyCommandPool(vk->device, vk->cpool, NULL);
		vkDestroyDescriptorPool(vk->device, vk->dpool, NULL);
		vkDestroyPipeline(vk->device, vk->pipeline, NULL);
		vkDestroyShaderModule(vk->device, vk->module, NULL);
		vkDestroyPipelineLayout(vk->device, vk->layout, NULL);
		vkDestroyDescriptorSetLayout(vk->device, vk->dsl, NULL);
		vkDestroyDevice(vk->device, NULL);
	}
	if (vk->messenger) {
		PFN_vkDestroyDebugUtilsMessengerEXT destroy =
			(PFN_vkDestroyDebugUtilsMessengerEXT)
			vkGetInstanceProcAddr(vk->instance, "vkDestroyDebugUtilsMessengerEXT");

		destroy(vk->instance, vk->messenger, NULL);
	}
	if (vk->instance)
		vkDestroyInstance(vk->instance, NULL);
	free(vk);
}

enum vkc_path vkc_path(const struct vkc *vk)
{
	return vk->path;
}

uint64_t vkc_host_alignment(const struct vkc *vk)
{
	return vk->host_alignment;
}

unsigned int vkc_errors(const struct vkc *vk)
{
	return vk->errors;
}

/* The handle type must be importable into a storage buffer. */
static int check_importable(struct vkc *vk, VkExternalMemoryHandleTypeFlagBits type)
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
	if (props.externalMemoryProperties.externalMemoryFeatures &
	    VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT)
		return 0;
	fprintf(stderr, "%s: the device cannot import this handle type into a storage buffer\n",
		vk->who);
	return -EOPNOTSUPP;
}

/*
 * The lowest memory type in @bits. With @wrong, the lowest of the device's
 * types not in it; on a device whose every type is allowed (lavapipe has
 * one), the first index past its types.
 */
static int choose_memory_type(struct vkc *vk, uint32_t bits, bool wrong)
{
	for (uint32_t i = 0; i < vk->memory_types; i++)
		if (!(bits & (1u << i)) == wrong)
			return (int)i;
	if (wrong)
		return (int)vk->memory_types;
	fprintf(stderr, "%s: no memory type can hold the import\n", vk->who);
	return -ENOMEM;
}

/* The memory types the dma-buf or the host pointer can be imported to. */
static int import_bits(struct vkc *vk, int fd, void *cpu, uint64_t size,
		       uint32_t *bits)
{
	if (vk->path == VKC_PATH_DMA_BUF) {
		VkMemoryFdPropertiesKHR props = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR,
		};
		PFN_vkGetMemoryFdPropertiesKHR get = (PFN_vkGetMemoryFdPropertiesKHR)
			vkGetDeviceProcAddr(vk->device, "vkGetMemoryFdPropertiesKHR");

		VK_TRY(vk, get(vk->device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
			       fd, &props), "dma-buf memory properties");
		*bits = props.memoryTypeBits;
	} else {
		VkMemoryHostPointerPropertiesEXT props = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
		};
		PFN_vkGetMemoryHostPointerPropertiesEXT get =
			(PFN_vkGetMemoryHostPointerPropertiesEXT)
			vkGetDeviceProcAddr(vk->device, "vkGetMemoryHostPointerPropertiesEXT");

		if (size % vk->host_alignment ||
		    (uintptr_t)cpu % vk->host_alignment) {
			fprintf(stderr, "%s: %llu bytes at %p: not aligned to minImportedHostPointerAlignment %llu\n",
				vk->who, (unsigned long long)size, cpu,
				(unsigned long long)vk->host_alignment);
			return -EINVAL;
		}
		VK_TRY(vk, get(vk->device,
			       VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
			       cpu, &props), "host pointer memory properties");
		*bits = props.memoryTypeBits;
	}
	return 0;
}

int vkc_import(struct vkc *vk, int fd, void *cpu, uint64_t size,
	       bool wrong_type, struct vkc_buffer *b)
{
	VkExternalMemoryHandleTypeFlagBits type = vk->path == VKC_PATH_DMA_BUF ?
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
		.fd = -1,
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
	int ret;

	*b = (struct vkc_buffer){ .size = size };
	ret = check_importable(vk, type);
	if (ret)
		return ret;
	VK_TRY(vk, vkCreateBuffer(vk->device, &binfo, NULL, &b->buffer),
	       "create a buffer");
	vkGetBufferMemoryRequirements(vk->device, b->buffer, &req);
	if (req.size > size) {
		fprintf(stderr, "%s: the buffer needs %llu bytes, the memory has %llu\n",
			vk->who, (unsigned long long)req.size,
			(unsigned long long)size);
		vkc_release(vk, b);
		return -EINVAL;
	}
	ret = import_bits(vk, fd, cpu, size, &bits);
	if (ret == 0)
		ret = choose_memory_type(vk, bits & req.memoryTypeBits, wrong_type);
	if (ret < 0) {
		vkc_release(vk, b);
		return ret;
	}
	ainfo.memoryTypeIndex = (uint32_t)ret;
	printf("%s: memory type %u of the importable ones (mask %#x)\n", vk->who,
	       ainfo.memoryTypeIndex, bits & req.memoryTypeBits);
	if (vk->path == VKC_PATH_DMA_BUF) {
		/* A successful import owns the fd it was given: a dup. */
		fd_import.fd = dup(fd);
		if (fd_import.fd < 0) {
			vkc_release(vk, b);
			return -errno;
		}
		dedicated.buffer = b->buffer;
		ainfo.pNext = &fd_import;
	} else {
		ainfo.pNext = &host_import;
	}
	r = vkAllocateMemory(vk->device, &ainfo, NULL, &b->memory);
	if (r != VK_SUCCESS) {
		if (fd_import.fd >= 0)
			close(fd_import.fd);
		vkc_release(vk, b);
		return vk_failed(vk, r, "import the memory");
	}
	r = vkBindBufferMemory(vk->device, b->buffer, b->memory, 0);
	if (r != VK_SUCCESS) {
		vkc_release(vk, b);
		return vk_failed(vk, r, "bind it");
	}
	return 0;
}

void vkc_release(struct vkc *vk, struct vkc_buffer *b)
{
	vkDeviceWaitIdle(vk->device);
	vkDestroyBuffer(vk->device, b->buffer, NULL);
	vkFreeMemory(vk->device, b->memory, NULL);
	*b = (struct vkc_buffer){ 0 };
}

static void record(struct vkc *vk, struct vkc_buffer *b, uint32_t count,
		   uint32_t seed)
{
	bool ext = vk->path == VKC_PATH_DMA_BUF;
	VkBufferMemoryBarrier acquire = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = ext ? 0 : VK_ACCESS_HOST_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
		.srcQueueFamilyIndex = ext ? vk->other_family : VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = ext ? vk->family : VK_QUEUE_FAMILY_IGNORED,
		.buffer = b->buffer,
		.size = VK_WHOLE_SIZE,
	};
	VkBufferMemoryBarrier release = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = ext ? 0 : VK_ACCESS_HOST_READ_BIT,
		.srcQueueFamilyIndex = ext ? vk->family : VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = ext ? vk->other_family : VK_QUEUE_FAMILY_IGNORED,
		.buffer = b->buffer,
		.size = VK_WHOLE_SIZE,
	};
	uint32_t constants[2] = { count, seed };

	vkCmdPipelineBarrier(vk->cmd, ext ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT :
				      VK_PIPELINE_STAGE_HOST_BIT,
			     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, NULL,
			     1, &acquire, 0, NULL);
	vkCmdBindPipeline(vk->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, vk->pipeline);
	vkCmdBindDescriptorSets(vk->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
				vk->layout, 0, 1, &vk->set, 0, NULL);
	vkCmdPushConstants(vk->cmd, vk->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
			   sizeof(constants), constants);
	vkCmdDispatch(vk->cmd, (count + 63) / 64, 1, 1);
	vkCmdPipelineBarrier(vk->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     ext ? VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT :
				   VK_PIPELINE_STAGE_HOST_BIT,
			     0, 0, NULL, 1, &release, 0, NULL);
}

int vkc_scramble(struct vkc *vk, struct vkc_buffer *b, uint64_t offset,
		 uint32_t count, uint32_t seed)
{
	VkDescriptorBufferInfo dbinfo = {
		.buffer = b->buffer,
		.offset = offset,
		.range = (VkDeviceSize)count * 4,
	};
	VkWriteDescriptorSet write = {
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.dstSet = vk->set,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.pBufferInfo = &dbinfo,
	};
	VkCommandBufferBeginInfo begin = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkSubmitInfo submit = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &vk->cmd,
	};

	if (!count || offset + (uint64_t)count * 4 > b->size)
		return -EINVAL;
	if ((uint64_t)count * 4 > vk->limits.maxStorageBufferRange ||
	    (count + 63) / 64 > vk->limits.maxComputeWorkGroupCount[0] ||
	    offset % vk->limits.minStorageBufferOffsetAlignment) {
		fprintf(stderr, "%s: %u words at byte %llu are past the device's limits\n",
			vk->who, count, (unsigned long long)offset);
		return -E2BIG;
	}
	/* The previous run was waited for: the set and buffer are free. */
	vkUpdateDescriptorSets(vk->device, 1, &write, 0, NULL);
	VK_TRY(vk, vkResetCommandBuffer(vk->cmd, 0), "reset the command buffer");
	VK_TRY(vk, vkBeginCommandBuffer(vk->cmd, &begin), "begin");
	record(vk, b, count, seed);
	VK_TRY(vk, vkEndCommandBuffer(vk->cmd), "end");
	VK_TRY(vk, vkResetFences(vk->device, 1, &vk->fence), "reset the fence");
	VK_TRY(vk, vkQueueSubmit(vk->queue, 1, &submit, vk->fence), "submit");
	VK_TRY(vk, vkWaitForFences(vk->device, 1, &vk->fence, VK_TRUE,
				   120ull * 1000000000), "wait for the shader");
	return 0;
}
