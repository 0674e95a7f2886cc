// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: CPU mappings of a dma-buf.
 *
 * Pages are inserted on fault, under the reservation lock, only while
 * the dma-buf is live; a revocation zaps every mapping of the dma-buf's
 * file under the same lock. A touch while revoked gets SIGBUS, and after
 * a restore the next touch faults the page back in.
 *
 * Write-combined mappings need the physical ranges reserved as such in the
 * memory-type tracking (x86 PAT): an inserted page takes the type recorded
 * for its address, uncached when there is none. The dma-buf holds one WC
 * reservation of its ranges while it has WC mappings. PAT keeps one type
 * per physical range: while the ranges are mapped uncached elsewhere
 * (vfio keeps a kernel mapping of a BAR once it was mmapped through the
 * vfio device, until the device is closed), the reservation takes that
 * type and the mapping is uncached; the kernel's list of memory types
 * (debugfs x86/pat_memtype_list) shows which one a range got.
 */
#include <linux/dma-resv.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pci.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vfio_pci_dmabuf.h"
#include "vramshare_compat.h"

static void vpd_vm_open(struct vm_area_struct *vma)
{
	struct vpd_dmabuf *priv = vma->vm_private_data;

	atomic_inc(&priv->nr_cpu_mappings);
}

static void vpd_vm_close(struct vm_area_struct *vma)
{
	struct vpd_dmabuf *priv = vma->vm_private_data;

	atomic_dec(&priv->nr_cpu_mappings);
}

static vm_fault_t vpd_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vpd_dmabuf *priv = vma->vm_private_data;
	struct dma_resv *resv = priv->dmabuf->resv;
	u64 offset = (u64)vmf->pgoff << PAGE_SHIFT;
	vm_fault_t ret;

	/* Interrupted: let the signal be handled, the fault is retried. */
	if (dma_resv_lock_interruptible(resv, NULL))
		return VM_FAULT_NOPAGE;
	if (priv->revoked)
		ret = VM_FAULT_SIGBUS;
	else
		ret = vmf_insert_pfn(vma, vmf->address,
				     PHYS_PFN(vpd_dmabuf_phys(priv, offset)));
	dma_resv_unlock(resv);
	return ret;
}

static const struct vm_operations_struct vpd_vm_ops = {
	.open = vpd_vm_open,
	.close = vpd_vm_close,
	.fault = vpd_vm_fault,
};

static phys_addr_t vpd_range_phys(struct vpd_dmabuf *priv, u32 i)
{
	return pci_resource_start(priv->pdev, priv->bar) +
	       priv->ranges[i].offset;
}

static void vpd_wc_free(struct vpd_dmabuf *priv, u32 n)
{
	while (n--)
		arch_io_free_memtype_wc(vpd_range_phys(priv, n),
					priv->ranges[n].length);
}

/* One more WC mapping; the first reserves the ranges as WC. */
static int vpd_wc_get(struct vpd_dmabuf *priv)
{
	int ret = 0;
	u32 i;

	mutex_lock(&priv->wc_lock);
	if (!priv->wc_mappings) {
		for (i = 0; i < priv->nr_ranges && !ret; i++)
			ret = arch_io_reserve_memtype_wc(vpd_range_phys(priv, i),
							 priv->ranges[i].length);
		if (ret)
			vpd_wc_free(priv, i - 1);
	}
	if (!ret)
		priv->wc_mappings++;
	mutex_unlock(&priv->wc_lock);
	return ret;
}

static void vpd_wc_put(struct vpd_dmabuf *priv)
{
	mutex_lock(&priv->wc_lock);
	if (!--priv->wc_mappings)
		vpd_wc_free(priv, priv->nr_ranges);
	mutex_unlock(&priv->wc_lock);
}

/* A copy of a WC mapping (fork, split) shares the reservation. */
static void vpd_vm_open_wc(struct vm_area_struct *vma)
{
	struct vpd_dmabuf *priv = vma->vm_private_data;

	mutex_lock(&priv->wc_lock);
	priv->wc_mappings++;
	mutex_unlock(&priv->wc_lock);
	vpd_vm_open(vma);
}

static void vpd_vm_close_wc(struct vm_area_struct *vma)
{
	vpd_vm_close(vma);
	vpd_wc_put(vma->vm_private_data);
}

static const struct vm_operations_struct vpd_vm_ops_wc = {
	.open = vpd_vm_open_wc,
	.close = vpd_vm_close_wc,
	.fault = vpd_vm_fault,
};

/**
 * vpd_dmabuf_mmap() - &dma_buf_ops.mmap: map the BAR ranges for the CPU
 * @dmabuf: the dma-buf
 * @vma: the new mapping; the dma-buf core has checked it lies inside
 *
 * Shared mappings only, uncached unless write-combining was requested
 * for this dma-buf (VRAMSHARE_DMA_BUF_CTL_SET_MMAP_ATTR).
 *
 * Return: 0, -EINVAL for a private mapping, or the error of the memory
 * type reservation of a WC mapping.
 */
int vpd_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	/*
	 * Not under the reservation lock: 6.2 to 6.5 call .mmap with it held.
	 * The attribute applies to mappings made after it was set.
	 */
	bool wc = READ_ONCE(priv->mmap_wc);

	int ret;

	/* VM_MAYSHARE: a read-only file's shared mappings lack VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	/*
	 * Gone for good: no reservation, since its range may belong to
	 * another device one day; faults get SIGBUS anyway.
	 */
	if (READ_ONCE(priv->gone))
		wc = false;
	if (wc) {
		ret = vpd_wc_get(priv);
		if (ret)
			return ret;
	}

	vrs_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = wc ? pgprot_writecombine(vma->vm_page_prot) :
				 pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = priv;
	vma->vm_ops = wc ? &vpd_vm_ops_wc : &vpd_vm_ops;
	vpd_vm_open(vma);
	return 0;
}

/**
 * vpd_dmabuf_zap() - remove every CPU mapping of the dma-buf's pages
 * @priv: the dma-buf, its reservation lock held
 */
void vpd_dmabuf_zap(struct vpd_dmabuf *priv)
{
	dma_resv_assert_held(priv->dmabuf->resv);
	unmap_mapping_range(priv->inode->i_mapping, 0, 0, true);
}
