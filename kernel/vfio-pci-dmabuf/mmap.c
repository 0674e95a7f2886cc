// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: CPU mappings of a dma-buf.
 *
 * Pages are inserted on fault, under the reservation lock, only while
 * the dma-buf is live; a revocation zaps every mapping of the dma-buf's
 * file under the same lock. A touch while revoked gets SIGBUS, and after
 * a restore the next touch faults the page back in.
 */
#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/pci.h>

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

/**
 * vpd_dmabuf_mmap() - &dma_buf_ops.mmap: map the BAR ranges for the CPU
 * @dmabuf: the dma-buf
 * @vma: the new mapping; the dma-buf core has checked it lies inside
 *
 * Shared mappings only, uncached unless write-combining was requested
 * for this dma-buf (VRAMSHARE_DMA_BUF_CTL_SET_MMAP_ATTR).
 *
 * Return: 0 or -EINVAL.
 */
int vpd_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vpd_dmabuf *priv = dmabuf->priv;
	bool wc;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	dma_resv_lock(dmabuf->resv, NULL);
	wc = priv->mmap_wc;
	dma_resv_unlock(dmabuf->resv);

	vrs_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = wc ? pgprot_writecombine(vma->vm_page_prot) :
				 pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = priv;
	vma->vm_ops = &vpd_vm_ops;
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
	unmap_mapping_range(priv->dmabuf->file->f_mapping, 0, 0, true);
}
