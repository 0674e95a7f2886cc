/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-dmabuf: internal interfaces between the variant driver
 * (main.c), the dma-buf exporter (dmabuf.c), CPU mappings (mmap.c), the
 * control extension (ctl.c), the attachment listing (attachments.c),
 * debugfs (debugfs.c) and the peer-to-peer policy (p2p.c).
 */
#ifndef VFIO_PCI_DMABUF_H
#define VFIO_PCI_DMABUF_H

#include <linux/dma-buf.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vfio_pci_core.h>
#include <linux/wait.h>

struct dentry;
struct eventfd_ctx;
struct seq_file;
struct vfio_region_dma_range;

/**
 * struct vpd_device - a PCI function bound to vfio-pci-dmabuf
 * @core: the vfio-pci core device; every vfio op not overridden here is
 *        the core's
 * @request_lock: serialises the user requests that can turn the BAR off
 *        or on (config writes reaching PCI_COMMAND or the PM control
 *        register, the LOW_POWER features), so that no two of them
 *        interleave between a revocation and vfio's change of the device.
 *        Taken before vfio's memory_lock and before @state_lock.
 * @state_lock: guards @dmabufs, @resets, @request_pending and @removing,
 *        and is held across every state update. Lock order: the PCI device
 *        lock, vfio's memory_lock (vfio holds it around resets), then
 *        @state_lock, then each dma-buf's reservation lock.
 * @dmabufs: the dma-bufs exported since the device was opened and not
 *        yet released (struct vpd_dmabuf.link); close empties it
 * @resets: resets between reset_prepare and reset_done; the PCI core
 *        keeps no record of a reset in progress
 * @request_pending: vfio is carrying out a user request that may turn the
 *        BAR off; revoked until it is done and the real state is read
 * @removing: the device is being removed from this driver
 * @debugfs: this device's debugfs file
 *
 * The state rule: a dma-buf is live only while the BAR is usable, as
 * vpd_bar_usable() reads it from vfio's and the PCI core's own state, and
 * no reset, removal or BAR-disabling request is in progress. Every path
 * that changes one of these inputs calls vpd_dmabufs_update() under
 * @state_lock after the change, and the paths that turn the BAR off do so
 * before the change too.
 */
struct vpd_device {
	struct vfio_pci_core_device core;
	struct mutex request_lock;	/* see above */
	struct mutex state_lock;	/* see above */
	struct list_head dmabufs;
	unsigned int resets;
	bool request_pending;
	bool removing;
	struct dentry *debugfs;
};

/**
 * struct vpd_dmabuf - one exported dma-buf
 * @dmabuf: the dma-buf; its reservation lock guards @revoked, @gone,
 *          @generation, @eventfd and @mmap_wc
 * @vpd: the exporting device until it is closed or the dma-buf released,
 *       then NULL (written under its @state_lock and @vpd_lock). While set,
 *       the dma-buf holds a reference on the vfio_device; it is dropped at
 *       close so that a closed device does not linger in vfio's reset set.
 * @vpd_lock: lets release take a reference on @vpd while a close may be
 *       clearing it
 * @inode: the dma-buf file's inode, referenced: its mapping is zapped and
 *         its number shown even after the last file reference is gone
 *         (the dentry, and so the release, can outlive the file)
 * @pdev: the exporting PCI function, referenced: it may outlive the
 *        binding (unbind, hot-unplug) while the dma-buf exists
 * @link: entry in vpd->dmabufs (under vpd->state_lock) until close or
 *        release
 * @bar: BAR index of @ranges
 * @nr_ranges: number of @ranges
 * @ranges: the validated ranges, in dma-buf order
 * @revoked: importers and CPU mappings must not touch the memory
 * @gone: revoked for good (device closed, or revoked on request)
 * @generation: count of state transitions (revoke, restore, gone)
 * @eventfd: signalled on every transition, or NULL
 * @mmap_wc: CPU mappings are write-combined instead of uncached
 * @must_wait: revoked by the update in progress, whose bounded wait for
 *        importers covers it (under vpd->state_lock)
 * @leaked: an importer detached holding a mapping; set once, never
 *        cleared (READ_ONCE/WRITE_ONCE, no lock)
 * @nr_mapped: attachments holding at least one DMA mapping now
 * @nr_cpu_mappings: CPU mappings (VMAs) of the dma-buf
 * @unmapped: woken when @nr_mapped drops to zero
 * @wc_lock: guards @wc_mappings and the WC memory-type reservation of
 *           @ranges; taken inside mmap_lock
 * @wc_mappings: write-combined CPU mappings; while non-zero, @ranges are
 *           reserved as WC
 */
struct vpd_dmabuf {
	struct dma_buf *dmabuf;
	struct vpd_device *vpd;
	spinlock_t vpd_lock;	/* see above */
	struct inode *inode;
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
	bool must_wait;
	bool leaked;
	atomic_t nr_mapped;
	atomic_t nr_cpu_mappings;
	wait_queue_head_t unmapped;
	struct mutex wc_lock;	/* see above */
	unsigned int wc_mappings;
};

static inline struct vpd_device *to_vpd(struct vfio_device *vdev)
{
	return container_of(vdev, struct vpd_device, core.vdev);
}

/* dmabuf.c */
int vpd_feature_dma_buf(struct vpd_device *vpd, u32 flags,
			void __user *arg, size_t argsz);
struct vpd_dmabuf *vpd_dmabuf_get(struct vpd_device *vpd, int fd);
phys_addr_t vpd_dmabuf_phys(struct vpd_dmabuf *priv, u64 offset);

/* state.c */
bool vpd_bar_usable(struct vpd_device *vpd);
void vpd_dmabufs_update(struct vpd_device *vpd);
int vpd_dmabuf_revoke_for_good(struct vpd_dmabuf *priv);
void vpd_dmabufs_close(struct vpd_device *vpd);
void vpd_dmabuf_leave_device(struct vpd_dmabuf *priv);

/* mmap.c */
int vpd_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma);
void vpd_dmabuf_zap(struct vpd_dmabuf *priv);

/* ctl.c */
int vpd_feature_dma_buf_ctl(struct vpd_device *vpd, u32 flags,
			    void __user *arg, size_t argsz);

/* attachments.c */
int vpd_feature_dma_buf_attachments(struct vpd_device *vpd, u32 flags,
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
