/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-dmabuf: internal interfaces between the variant driver
 * (main.c), the dma-buf exporter (dmabuf.c) and the peer-to-peer
 * policy (p2p.c).
 */
#ifndef VFIO_PCI_DMABUF_H
#define VFIO_PCI_DMABUF_H

#include <linux/dma-buf.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/vfio_pci_core.h>

struct vfio_region_dma_range;

/**
 * struct vpd_device - a PCI function bound to vfio-pci-dmabuf
 * @core: the vfio-pci core device; every vfio op not overridden here is
 *        the core's
 * @dmabufs_lock: protects @dmabufs and @revoked. Lock order:
 *        device_lock (held by the PCI core around resets) and the core's
 *        memory_lock, then @dmabufs_lock, then each dma-buf's
 *        reservation lock.
 * @dmabufs: every dma-buf exported from this device that is not yet
 *        released (struct vpd_dmabuf.link)
 * @revoked: the BAR is unusable (reset in progress); new dma-bufs start
 *        revoked while it is set
 */
struct vpd_device {
	struct vfio_pci_core_device core;
	struct mutex dmabufs_lock;	/* guards dmabufs, revoked */
	struct list_head dmabufs;
	bool revoked;
};

static inline struct vpd_device *to_vpd(struct vfio_device *vdev)
{
	return container_of(vdev, struct vpd_device, core.vdev);
}

/* dmabuf.c */
int vpd_feature_dma_buf(struct vpd_device *vpd, u32 flags,
			void __user *arg, size_t argsz);
void vpd_dmabufs_revoke(struct vpd_device *vpd);
void vpd_dmabufs_restore(struct vpd_device *vpd);
void vpd_dmabufs_gone(struct vpd_device *vpd);

/* p2p.c */

/**
 * enum vpd_p2p_route - how an importing device reaches the BAR
 * @VPD_P2P_BUS_ADDR: below a common switch with no ACS redirect: the
 *        importer uses PCI bus addresses, no IOMMU involved
 * @VPD_P2P_HOST_BRIDGE: through the host bridge: the BAR is mapped for
 *        the importer with dma_map_resource() (IOMMU or direct)
 */
enum vpd_p2p_route {
	VPD_P2P_BUS_ADDR = 1,
	VPD_P2P_HOST_BRIDGE,
};

int vpd_p2p_route(struct pci_dev *provider, struct device *client,
		  enum vpd_p2p_route *route);
struct sg_table *vpd_p2p_map(enum vpd_p2p_route route,
			     struct pci_dev *provider, int bar,
			     const struct vfio_region_dma_range *ranges,
			     unsigned int nr_ranges, struct device *client,
			     enum dma_data_direction dir);
void vpd_p2p_unmap(enum vpd_p2p_route route, struct device *client,
		   struct sg_table *sgt, enum dma_data_direction dir);

#endif /* VFIO_PCI_DMABUF_H */
