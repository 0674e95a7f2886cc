/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-dmabuf: internal interfaces between the variant driver
 * (main.c), the dma-buf exporter (dmabuf.c), CPU mappings (mmap.c), the
 * control extension (ctl.c), debugfs (debugfs.c) and the peer-to-peer
 * policy (p2p.c).
 */
#ifndef VFIO_PCI_DMABUF_H
#define VFIO_PCI_DMABUF_H

#include <linux/dma-buf.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/vfio_pci_core.h>
#include <linux/wait.h>

struct dentry;
struct eventfd_ctx;
struct seq_file;
struct vfio_region_dma_range;

/*
 * Why the BAR is unusable. The dma-bufs are revoked while any reason is
 * set, and restored when the last one clears: a reset that ends while
 * memory decode is still off leaves them revoked.
 */
enum vpd_revoke_reason {
	VPD_REVOKE_RESET	= BIT(0),
	VPD_REVOKE_DECODE	= BIT(1),
	VPD_REVOKE_LOW_POWER	= BIT(2),
};

/**
 * struct vpd_device - a PCI function bound to vfio-pci-dmabuf
 * @core: the vfio-pci core device; every vfio op not overridden here is
 *        the core's
 * @dmabufs_lock: guards @dmabufs and @revoke_reasons. Lock order: the
 *        PCI device lock and vfio's memory_lock (held by callers around
 *        resets), then @dmabufs_lock, then each dma-buf's reservation lock.
 * @dmabufs: every dma-buf exported from this device and not yet released
 *        (struct vpd_dmabuf.link), gone ones included
 * @revoke_reasons: enum vpd_revoke_reason bits in force; new dma-bufs
 *        start revoked while any is set
 * @debugfs: this device's debugfs file
 */
struct vpd_device {
	struct vfio_pci_core_device core;
	struct mutex dmabufs_lock;	/* see above */
	struct list_head dmabufs;
	unsigned int revoke_reasons;
	struct dentry *debugfs;
};

/**
 * struct vpd_dmabuf - one exported dma-buf
 * @dmabuf: the dma-buf; its reservation lock guards @revoked, @gone,
 *          @generation, @eventfd and @mmap_wc
 * @vpd: the exporting device; a reference on its vfio_device keeps it in
 *       memory for as long as this dma-buf exists
 * @pdev: the exporting PCI function, referenced: it may outlive the
 *        binding (unbind, hot-unplug) while the dma-buf exists
 * @link: entry in vpd->dmabufs (under vpd->dmabufs_lock) until release
 * @bar: BAR index of @ranges
 * @nr_ranges: number of @ranges
 * @ranges: the validated ranges, in dma-buf order
 * @revoked: importers and CPU mappings must not touch the memory
 * @gone: revoked for good (device closed, or revoked on request)
 * @generation: count of state transitions (revoke, restore, gone)
 * @eventfd: signalled on every transition, or NULL
 * @mmap_wc: CPU mappings are write-combined instead of uncached
 * @nr_mapped: attachments holding at least one DMA mapping now
 * @nr_cpu_mappings: CPU mappings (VMAs) of the dma-buf
 * @unmapped: woken when @nr_mapped drops to zero
 */
struct vpd_dmabuf {
	struct dma_buf *dmabuf;
	struct vpd_device *vpd;
	struct pci_dev *pdev;
	struct list_head link;
	u32 bar;
	u32 nr_ranges;
	struct vfio_region_dma_range *ranges;
	bool revoked;
	bool gone;
	u64 generation;
	struct eventfd_ctx *eventfd;
	bool mmap_wc;
	atomic_t nr_mapped;
	atomic_t nr_cpu_mappings;
	wait_queue_head_t unmapped;
};

static inline struct vpd_device *to_vpd(struct vfio_device *vdev)
{
	return container_of(vdev, struct vpd_device, core.vdev);
}

/* dmabuf.c */
int vpd_feature_dma_buf(struct vpd_device *vpd, u32 flags,
			void __user *arg, size_t argsz);
struct vpd_dmabuf *vpd_dmabuf_get(struct vpd_device *vpd, int fd);
void vpd_dmabuf_revoke_for_good(struct vpd_dmabuf *priv);
void vpd_dmabufs_revoke(struct vpd_device *vpd, unsigned int reason);
void vpd_dmabufs_restore(struct vpd_device *vpd, unsigned int reason);
void vpd_dmabufs_gone(struct vpd_device *vpd);
phys_addr_t vpd_dmabuf_phys(struct vpd_dmabuf *priv, u64 offset);

/* mmap.c */
int vpd_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma);
void vpd_dmabuf_zap(struct vpd_dmabuf *priv);

/* ctl.c */
int vpd_feature_dma_buf_ctl(struct vpd_device *vpd, u32 flags,
			    void __user *arg, size_t argsz);

/* debugfs.c */
void vpd_debugfs_init(void);
void vpd_debugfs_exit(void);
void vpd_debugfs_add(struct vpd_device *vpd);
void vpd_debugfs_remove(struct vpd_device *vpd);
void vpd_dmabuf_show(struct seq_file *s, struct vpd_dmabuf *priv);

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

/**
 * struct vpd_attachment - exporter state of one importer
 * @route: how the importer reaches the BAR
 * @mappings: mappings the importer holds now (under the reservation lock)
 */
struct vpd_attachment {
	enum vpd_p2p_route route;
	unsigned int mappings;
};

int vpd_p2p_route(struct pci_dev *provider, struct device *client,
		  enum vpd_p2p_route *route);
const char *vpd_p2p_route_name(enum vpd_p2p_route route);
struct sg_table *vpd_p2p_map(enum vpd_p2p_route route,
			     struct pci_dev *provider, int bar,
			     const struct vfio_region_dma_range *ranges,
			     unsigned int nr_ranges, struct device *client,
			     enum dma_data_direction dir);
void vpd_p2p_unmap(enum vpd_p2p_route route, struct device *client,
		   struct sg_table *sgt, enum dma_data_direction dir);

#endif /* VFIO_PCI_DMABUF_H */
