// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: debugfs. One file per bound device,
 * <debugfs>/vfio_pci_dmabuf/<PCI address>, listing every dma-buf it
 * exported: size, BAR and ranges, state, generation, CPU mappings, and
 * each importer with its route and whether it holds a mapping.
 */
#include <linux/debugfs.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/vfio.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vfio_pci_dmabuf.h"

static struct dentry *vpd_debugfs_root;

static const char *vpd_state_name(struct vpd_dmabuf *priv)
{
	if (priv->gone)
		return "gone";
	return priv->revoked ? "revoked" : "live";
}

/**
 * vpd_dmabuf_show() - describe one dma-buf
 * @s: the output
 * @priv: the dma-buf, on its device's list; takes its reservation lock
 */
void vpd_dmabuf_show(struct seq_file *s, struct vpd_dmabuf *priv)
{
	struct dma_buf_attachment *attach;
	u32 i;

	dma_resv_lock(priv->dmabuf->resv, NULL);
	seq_printf(s, "dma-buf %lu size %zu bar %u state %s generation %llu cpu-mappings %d %s\n",
		   priv->inode->i_ino, priv->dmabuf->size,
		   priv->bar, vpd_state_name(priv), priv->generation,
		   atomic_read(&priv->nr_cpu_mappings),
		   priv->mmap_wc ? "write-combine" : "uncached");
	for (i = 0; i < priv->nr_ranges; i++)
		seq_printf(s, "  range %#llx+%#llx\n", priv->ranges[i].offset,
			   priv->ranges[i].length);
	list_for_each_entry(attach, &priv->dmabuf->attachments, node) {
		struct vpd_attachment *va = attach->priv;

		seq_printf(s, "  importer %s route %s %s\n",
			   dev_name(attach->dev), vpd_p2p_route_name(va->route),
			   va->mappings ? "mapped" : "unmapped");
	}
	dma_resv_unlock(priv->dmabuf->resv);
}

static int vpd_debugfs_show(struct seq_file *s, void *unused)
{
	struct vpd_device *vpd = s->private;
	struct vpd_dmabuf *priv;

	mutex_lock(&vpd->state_lock);
	seq_printf(s, "device %s resets %u request-pending %d removing %d\n",
		   pci_name(vpd->core.pdev), vpd->resets,
		   vpd->request_pending, vpd->removing);
	list_for_each_entry(priv, &vpd->dmabufs, link)
		vpd_dmabuf_show(s, priv);
	mutex_unlock(&vpd->state_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpd_debugfs);

/**
 * vpd_debugfs_init() - create the driver's debugfs directory
 */
void vpd_debugfs_init(void)
{
	vpd_debugfs_root = debugfs_create_dir("vfio_pci_dmabuf", NULL);
}

/**
 * vpd_debugfs_exit() - remove the driver's debugfs directory
 */
void vpd_debugfs_exit(void)
{
	debugfs_remove_recursive(vpd_debugfs_root);
}

/**
 * vpd_debugfs_add() - the device's file
 * @vpd: the device
 */
void vpd_debugfs_add(struct vpd_device *vpd)
{
	vpd->debugfs = debugfs_create_file(pci_name(vpd->core.pdev), 0444,
					   vpd_debugfs_root, vpd,
					   &vpd_debugfs_fops);
}

/**
 * vpd_debugfs_remove() - remove the device's file; waits for readers
 * @vpd: the device
 */
void vpd_debugfs_remove(struct vpd_device *vpd)
{
	debugfs_remove(vpd->debugfs);
}
