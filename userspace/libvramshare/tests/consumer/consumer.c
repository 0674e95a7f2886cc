// SPDX-License-Identifier: MIT
/*
 * A user of the installed libvramshare (the install_consumer test): built
 * through pkg-config and through find_package(vramshare). Prints
 * "vramshare <VRS_VERSION> <a canonical PCI address>".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vramshare.h>

#if !VRS_VERSION_CHECK(0, 5, 0)
#error "vramshare.h is older than 0.5.0"
#endif

int main(void)
{
	struct vrs_bo_info info = { .struct_size = sizeof(info) };
	char version[32], address[16];
	int ret;

	snprintf(version, sizeof(version), "%d.%d.%d", VRS_VERSION_MAJOR,
		 VRS_VERSION_MINOR, VRS_VERSION_PATCH);
	if (strcmp(version, VRS_VERSION)) {
		fprintf(stderr, "VRS_VERSION %s, but the parts say %s\n",
			VRS_VERSION, version);
		return 1;
	}
	ret = vrs_pci_address_parse("03:00.0", address, sizeof(address));
	if (ret) {
		fprintf(stderr, "vrs_pci_address_parse: %s\n", strerror(-ret));
		return 1;
	}
	/* A call of the newest symbol version: no importer, refused */
	ret = vrs_bo_info(NULL, 1, &info);
	if (ret != -EINVAL) {
		fprintf(stderr, "vrs_bo_info(NULL): %d, not -EINVAL\n", ret);
		return 1;
	}
	printf("vramshare %s %s\n", VRS_VERSION, address);
	return 0;
}
