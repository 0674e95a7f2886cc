// SPDX-License-Identifier: MIT
/*
 * libvramshare: finding devices, and PCI addresses.
 *
 * The exporter is a device bound to vfio-pci-dmabuf (a display device is
 * preferred); the importer is the first render node driven by drm-import.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "internal.h"

#define VRS_EXPORTER_DRIVER_DIR "/sys/bus/pci/drivers/vfio-pci-dmabuf"
#define VRS_MAX_DRM_DEVICES 64

int vrs_pci_address_parse(const char *text, char *canonical, size_t len)
{
	unsigned int domain = 0, bus, dev, fn;
	int consumed = 0;

	if (!text || !canonical)
		return -EINVAL;
	if (sscanf(text, "%4x:%2x:%2x.%1x%n", &domain, &bus, &dev, &fn,
		   &consumed) != 4 || text[consumed]) {
		domain = 0;
		consumed = 0;
		if (sscanf(text, "%2x:%2x.%1x%n", &bus, &dev, &fn,
			   &consumed) != 3 || text[consumed])
			return -EINVAL;
	}
	/* sscanf's %x takes signs and spaces: insist on hex digits only */
	for (const char *p = text; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
			return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	if ((size_t)snprintf(canonical, len, "%04x:%02x:%02x.%x", domain, bus,
			     dev, fn) >= len)
		return -ENOSPC;
	return 0;
}

static int vrs_pci_class(const char *address, unsigned int *class)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", address);
	f = fopen(path, "re");
	if (!f)
		return vrs_errno();
	ok = fscanf(f, "%x", class) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

int vrs_find_exporter(char *pci_address, size_t len)
{
	char first[VRS_PCI_ADDRESS_LEN] = "", canon[VRS_PCI_ADDRESS_LEN];
	const char *pick = NULL;
	struct dirent *e;
	unsigned int class;
	DIR *dir;

	if (!pci_address)
		return -EINVAL;
	dir = opendir(VRS_EXPORTER_DRIVER_DIR);
	if (!dir)
		return errno == ENOENT ? -ENODEV : vrs_errno();
	while ((e = readdir(dir))) {
		if (vrs_pci_address_parse(e->d_name, canon, sizeof(canon)))
			continue;
		if (!first[0])
			memcpy(first, canon, sizeof(first));
		if (!vrs_pci_class(canon, &class) && (class >> 16) == 0x03) {
			memcpy(first, canon, sizeof(first));
			pick = first;
			break;
		}
	}
	closedir(dir);
	if (!pick && first[0])
		pick = first;
	if (!pick)
		return -ENODEV;
	if ((size_t)snprintf(pci_address, len, "%s", pick) >= len)
		return -ENOSPC;
	return 0;
}

static int vrs_node_is_importer(const char *node)
{
	int fd = open(node, O_RDWR | O_CLOEXEC);
	int match;

	if (fd < 0)
		return 0;
	match = vrs_is_importer_fd(fd) == 1;
	close(fd);
	return match;
}

int vrs_find_importer(char *path, size_t len)
{
	drmDevicePtr devices[VRS_MAX_DRM_DEVICES];
	int i, n, ret = -ENODEV;

	if (!path)
		return -EINVAL;
	n = drmGetDevices2(0, devices, VRS_MAX_DRM_DEVICES);
	if (n < 0)
		return n == -ENOENT ? -ENODEV : n;
	for (i = 0; i < n && ret == -ENODEV; i++) {
		const char *node;

		if (!(devices[i]->available_nodes & (1 << DRM_NODE_RENDER)))
			continue;
		node = devices[i]->nodes[DRM_NODE_RENDER];
		if (!vrs_node_is_importer(node))
			continue;
		ret = (size_t)snprintf(path, len, "%s", node) >= len ?
		      -ENOSPC : 0;
	}
	drmFreeDevices(devices, n < VRS_MAX_DRM_DEVICES ? n : VRS_MAX_DRM_DEVICES);
	return ret;
}
