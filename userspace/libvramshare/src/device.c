// SPDX-License-Identifier: MIT
/*
 * libvramshare: opening an exporting device through vfio.
 *
 * Two ways in. Where the kernel has the vfio device cdev (6.6 and later,
 * CONFIG_VFIO_DEVICE_CDEV), the device's node /dev/vfio/devices/vfioN is
 * bound to an iommufd (/dev/iommu) and attached to an empty IO address
 * space. Otherwise, and for devices in vfio's unsafe no-IOMMU mode, which
 * the cdev does not serve, the device's IOMMU group decides: /dev/vfio/N
 * with a type1 IOMMU, or /dev/vfio/noiommu-N with the no-IOMMU container
 * type. Exports never need DMA mappings of the exporter's address space:
 * the importing device does the DMA.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "internal.h"
#include "vfio_cdev_uapi.h"

static int vrs_iommu_group(const char *address, char *group, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group",
		 address);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT ? -ENODEV : vrs_errno();
	target[n] = '\0';
	if ((size_t)snprintf(group, len, "%s", basename(target)) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Opens the group node; *noiommu tells which kind it was. */
static int vrs_open_group(const char *group, int *noiommu)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	*noiommu = 0;
	if (fd < 0 && errno == ENOENT) {
		snprintf(path, sizeof(path), "/dev/vfio/noiommu-%s", group);
		fd = open(path, O_RDWR | O_CLOEXEC);
		*noiommu = 1;
	}
	return fd < 0 ? vrs_errno() : fd;
}

static int vrs_set_iommu(int container, int noiommu)
{
	int type;

	if (noiommu)
		type = VFIO_NOIOMMU_IOMMU;
	else if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else
		type = VFIO_TYPE1_IOMMU;
	return ioctl(container, VFIO_SET_IOMMU, type) < 0 ? vrs_errno() : 0;
}

static int vrs_attach_group(struct vrs_device *dev, const char *group)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int noiommu, ret;

	dev->container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (dev->container_fd < 0)
		return vrs_errno();
	if (ioctl(dev->container_fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return -EPROTO;
	dev->group_fd = vrs_open_group(group, &noiommu);
	if (dev->group_fd < 0)
		return dev->group_fd;
	if (ioctl(dev->group_fd, VFIO_GROUP_GET_STATUS, &status) < 0)
		return vrs_errno();
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY; /* another device of the group is not with vfio */
	if (ioctl(dev->group_fd, VFIO_GROUP_SET_CONTAINER,
		  &dev->container_fd) < 0)
		return vrs_errno();
	ret = vrs_set_iommu(dev->container_fd, noiommu);
	if (ret)
		return ret;
	dev->device_fd = ioctl(dev->group_fd, VFIO_GROUP_GET_DEVICE_FD,
			       dev->address);
	return dev->device_fd < 0 ? vrs_errno() : 0;
}

/*
 * The device's cdev name ("vfio3"): 1 found, 0 when the kernel or the
 * device has none, -errno on failure. Every vfio device has a vfio-dev
 * entry in sysfs since 6.1, but only a kernel with the cdev gives it a
 * device number (its "dev" attribute) and a node.
 */
static int vrs_cdev_name(const char *address, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *d;
	int found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev",
		 address);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : vrs_errno();
	while (!found && (d = readdir(dir))) {
		if (strncmp(d->d_name, "vfio", 4) || strlen(d->d_name) >= len)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/vfio-dev/%s/dev", address,
			 d->d_name);
		if (access(path, F_OK))
			continue;
		strcpy(name, d->d_name);
		found = 1;
	}
	closedir(dir);
	return found;
}

/*
 * The cdev path: bind the device to a new iommufd, then attach it to an
 * empty IO address space, as a group joins an empty container.
 */
static int vrs_attach_cdev(struct vrs_device *dev, const char *name)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	dev->device_fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->device_fd < 0)
		return vrs_errno();
	dev->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (dev->iommufd < 0)
		return vrs_errno();
	bind.iommufd = dev->iommufd;
	if (ioctl(dev->device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
		/*
		 * vfio refuses a device that is open already with EINVAL
		 * (the arguments here are valid); through a group that is
		 * EBUSY, and so it is here too.
		 */
		return errno == EINVAL ? -EBUSY : vrs_errno();
	}
	if (ioctl(dev->iommufd, IOMMU_IOAS_ALLOC, &ioas) < 0)
		return vrs_errno();
	attach.pt_id = ioas.out_ioas_id;
	if (ioctl(dev->device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0)
		return vrs_errno();
	return 0;
}

/*
 * Does /dev/vfio/PREFIX GROUP exist? "" asks whether the kernel offers
 * the group's node (it may be built without groups), "noiommu-" whether
 * the group is in vfio's no-IOMMU mode, which the cdev does not serve.
 */
static int vrs_group_node_exists(const char *prefix, const char *group)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/vfio/%s%s", prefix, group);
	return access(path, F_OK) == 0;
}

static void vrs_close_fds(struct vrs_device *dev)
{
	int *fds[] = { &dev->device_fd, &dev->group_fd, &dev->container_fd,
		       &dev->iommufd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Errors of the cdev way after which the group way is worth trying. */
static int vrs_cdev_unusable(int err)
{
	return err == -EACCES || err == -EPERM || err == -ENOENT ||
	       err == -ENODEV || err == -ENXIO;
}

static int vrs_attach(struct vrs_device *dev)
{
	char group[64], cdev[64];
	int ret;

	ret = vrs_iommu_group(dev->address, group, sizeof(group));
	if (ret)
		return ret;
	ret = vrs_cdev_name(dev->address, cdev, sizeof(cdev));
	if (ret < 0)
		return ret;
	if (ret == 1 && !vrs_group_node_exists("noiommu-", group)) {
		ret = vrs_attach_cdev(dev, cdev);
		/*
		 * Access may have been granted on the group node only (the
		 * older way), or the node or /dev/iommu may be missing (no
		 * devtmpfs, iommufd a module not loaded): then take the group
		 * way, if the kernel has one.
		 */
		if (!vrs_cdev_unusable(ret) || !vrs_group_node_exists("", group))
			return ret;
		vrs_close_fds(dev);
	}
	return vrs_attach_group(dev, group);
}

int vrs_device_open(const char *pci_address, struct vrs_device **devp)
{
	struct vrs_device *dev;
	int ret;

	if (!pci_address || !devp)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->container_fd = dev->group_fd = dev->device_fd = dev->iommufd = -1;
	ret = vrs_pci_address_parse(pci_address, dev->address,
				    sizeof(dev->address));
	if (!ret)
		ret = vrs_attach(dev);
	if (ret) {
		vrs_device_close(dev);
		return ret;
	}
	*devp = dev;
	return 0;
}

void vrs_device_close(struct vrs_device *dev)
{
	if (!dev)
		return;
	vrs_close_fds(dev);
	free(dev);
}

int vrs_device_fd(const struct vrs_device *dev)
{
	return dev ? dev->device_fd : -EINVAL;
}

const char *vrs_device_address(const struct vrs_device *dev)
{
	return dev ? dev->address : NULL;
}

static int vrs_region_info(struct vrs_device *dev, unsigned int bar,
			   struct vfio_region_info *info)
{
	if (!dev || bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = bar;
	if (ioctl(dev->device_fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0)
		return vrs_errno();
	return 0;
}

int vrs_device_bar_size(struct vrs_device *dev, unsigned int bar,
			uint64_t *size)
{
	struct vfio_region_info info;
	int ret;

	if (!size)
		return -EINVAL;
	ret = vrs_region_info(dev, bar, &info);
	if (!ret)
		*size = info.size;
	return ret;
}

int vrs_device_map_bar(struct vrs_device *dev, unsigned int bar,
		       void **addr, uint64_t *size)
{
	struct vfio_region_info info;
	void *p;
	int ret;

	if (!addr || !size)
		return -EINVAL;
	ret = vrs_region_info(dev, bar, &info);
	if (ret)
		return ret;
	if (!info.size || !(info.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -ENOTSUP;
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 dev->device_fd, (off_t)info.offset);
	if (p == MAP_FAILED)
		return vrs_errno();
	*addr = p;
	*size = info.size;
	return 0;
}

/*
 * pread(2)/pwrite(2) on the vfio region: vfio-pci refuses them with EIO
 * while the device's memory is disabled (a reset), where a CPU mapping
 * would raise SIGBUS.
 */
static int vrs_bar_rw(struct vrs_device *dev, unsigned int bar,
		      uint64_t offset, void *buf, size_t len, int write)
{
	struct vfio_region_info info;
	size_t done = 0;
	ssize_t n;
	int ret;

	if (!buf && len)
		return -EINVAL;
	ret = vrs_region_info(dev, bar, &info);
	if (ret)
		return ret;
	if (offset > info.size || len > info.size - offset)
		return -EINVAL;
	while (done < len) {
		off_t pos = (off_t)(info.offset + offset + done);

		n = write ? pwrite(dev->device_fd, (char *)buf + done,
				   len - done, pos) :
			    pread(dev->device_fd, (char *)buf + done,
				  len - done, pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vrs_errno();
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int vrs_device_bar_read(struct vrs_device *dev, unsigned int bar,
			uint64_t offset, void *buf, size_t len)
{
	return vrs_bar_rw(dev, bar, offset, buf, len, 0);
}

int vrs_device_bar_write(struct vrs_device *dev, unsigned int bar,
			 uint64_t offset, const void *buf, size_t len)
{
	return vrs_bar_rw(dev, bar, offset, (void *)buf, len, 1);
}

int vrs_device_unmap_bar(struct vrs_device *dev, void *addr, uint64_t size)
{
	if (!dev || !addr)
		return -EINVAL;
	return munmap(addr, size) ? vrs_errno() : 0;
}

int vrs_device_reset(struct vrs_device *dev)
{
	if (!dev)
		return -EINVAL;
	return ioctl(dev->device_fd, VFIO_DEVICE_RESET) < 0 ? vrs_errno() : 0;
}

/*
 * A bus reset through VFIO_DEVICE_PCI_HOT_RESET. vfio wants proof of
 * ownership of every device the reset touches: through a group, the fd of
 * each device's group; through the cdev, an empty fd list, and every such
 * device bound to the same iommufd. This handle owns only its own device
 * (and, through a group, its group), so a reset that reaches any other
 * device is refused with -EBUSY.
 */
static int vrs_hot_reset_owned(struct vrs_device *dev,
			       const struct vfio_pci_hot_reset_info *info)
{
	unsigned int group_id;
	char group[64];
	int ret;

	if (info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) {
		/* devid shares group_id's place; older headers lack its name */
		for (unsigned int i = 0; i < info->count; i++)
			if (info->devices[i].group_id ==
			    (__u32)VFIO_PCI_DEVID_NOT_OWNED)
				return -EBUSY;
		return 0;
	}
	ret = vrs_iommu_group(dev->address, group, sizeof(group));
	if (ret)
		return ret;
	group_id = (unsigned int)strtoul(group, NULL, 10);
	for (unsigned int i = 0; i < info->count; i++)
		if (info->devices[i].group_id != group_id)
			return -EBUSY;
	return 0;
}

int vrs_device_hot_reset(struct vrs_device *dev)
{
	struct vfio_pci_hot_reset_info *info;
	struct vfio_pci_hot_reset *reset;
	size_t size = sizeof(*info) + 16 * sizeof(info->devices[0]);
	int ret;

	if (!dev)
		return -EINVAL;
	info = calloc(1, size);
	if (!info)
		return -ENOMEM;
	info->argsz = size;
	ret = ioctl(dev->device_fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) < 0 ?
	      vrs_errno() : vrs_hot_reset_owned(dev, info);
	free(info);
	if (ret)
		return ret;

	reset = calloc(1, sizeof(*reset) + sizeof(reset->group_fds[0]));
	if (!reset)
		return -ENOMEM;
	reset->argsz = sizeof(*reset) + sizeof(reset->group_fds[0]);
	if (dev->group_fd >= 0) {
		reset->count = 1;
		reset->group_fds[0] = dev->group_fd;
	}
	ret = ioctl(dev->device_fd, VFIO_DEVICE_PCI_HOT_RESET, reset) < 0 ?
	      vrs_errno() : 0;
	free(reset);
	return ret;
}
