// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: the state of the exported dma-bufs, derived from the
 * device's.
 *
 * A dma-buf is live only while its BAR is usable. Usable is read from the
 * state vfio and the PCI core keep (vfio's virtual command register and
 * runtime-PM flag, the power state, the error state, the hardware's
 * decode bit) plus the few things they keep no record of: a reset in
 * progress, a removal, a user request that may turn the BAR off. The
 * paths through this driver that change one of them call
 * vpd_dmabufs_update() afterwards; those that can turn the BAR off call it
 * before as well, with the change marked as pending, so that importers
 * stop before the hardware changes. Changes vfio makes on its own (a
 * device-initiated wakeup from low power) are picked up by the next
 * update.
 *
 * A revocation waits, bounded by one deadline for all the dma-bufs it
 * revoked, for importers' fences and for their unmaps, and names the
 * importers that let the deadline pass, once each.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

#include "vramshare_compat.h"
#include "vfio_pci_dmabuf.h"

static unsigned int revoke_timeout_ms = 1000;
module_param(revoke_timeout_ms, uint, 0644);
MODULE_PARM_DESC(revoke_timeout_ms,
		 "How long one revocation waits in all for importers' fences and unmaps before the hardware is touched (default 1000)");

/* Importers named in one revocation's report; more are counted only. */
#define VPD_REPORT_IMPORTERS	4
/* Sleeps (0.5 to 1 ms) a report may spend on contended reservation locks. */
#define VPD_REPORT_LOCK_TRIES	10

/**
 * vpd_bar_usable() - may importers and the CPU reach the BAR now?
 * @vpd: the device, its state_lock held, open (vfio's config state exists)
 *
 * vfio's own test (__vfio_pci_memory_enabled(), not exported) with what
 * it does not cover: low-power, error recovery, resets and removal in
 * progress, and a hardware decode bit that a reset or a link reset
 * cleared behind vfio's back (vfio restores the BARs on the user's next
 * write of PCI_COMMAND). Callers hold vfio's memory_lock for read, or
 * are reset callbacks, which may run with it held for write by the same
 * task.
 *
 * Return: true when the BAR is usable.
 */
bool vpd_bar_usable(struct vpd_device *vpd)
{
	struct vfio_pci_core_device *core = &vpd->core;
	struct pci_dev *pdev = core->pdev;
	u16 cmd;

	lockdep_assert_held(&vpd->state_lock);
	if (vpd->resets || vpd->request_pending || vpd->removing)
		return false;
	if (READ_ONCE(core->pm_runtime_engaged) ||
	    READ_ONCE(pdev->error_state) != pci_channel_io_normal ||
	    (__force int)pdev->current_state >= (__force int)PCI_D3hot)
		return false;
	/* A VF has no decode bit: its PF's SR-IOV MSE decides (vfio's rule). */
	if (pdev->no_command_memory)
		return true;
	cmd = le16_to_cpu(READ_ONCE(*(__le16 *)&core->vconfig[PCI_COMMAND]));
	if (!(cmd & PCI_COMMAND_MEMORY))
		return false;
	if (pci_read_config_word(pdev, PCI_COMMAND, &cmd) ||
	    PCI_POSSIBLE_ERROR(cmd))
		return false;
	return cmd & PCI_COMMAND_MEMORY;
}

/*
 * One state transition, under the reservation lock: CPU mappings are
 * zapped, importers are told through move_notify, userspace through the
 * eventfd. Returns whether anything changed.
 */
static bool vpd_dmabuf_transition(struct vpd_dmabuf *priv, bool revoked,
				  bool gone)
{
	dma_resv_assert_held(priv->dmabuf->resv);
	if (priv->gone || (priv->revoked == revoked && !gone))
		return false;
	priv->revoked = revoked;
	priv->gone = gone;
	priv->generation++;
	if (revoked)
		vpd_dmabuf_zap(priv);
	vrs_dma_buf_invalidate(priv->dmabuf);
	if (priv->eventfd)
		vrs_eventfd_signal(priv->eventfd);
	return true;
}

static bool vpd_dmabuf_set_state(struct vpd_dmabuf *priv, bool revoked,
				 bool gone)
{
	bool changed;

	dma_resv_lock(priv->dmabuf->resv, NULL);
	changed = vpd_dmabuf_transition(priv, revoked, gone);
	dma_resv_unlock(priv->dmabuf->resv);
	return changed;
}

/* What one revocation found still in use when its deadline passed. */
struct vpd_report {
	unsigned int lock_tries;
	unsigned int fenced;
	unsigned int unnamed;
	unsigned int others;
	struct {
		struct device *dev;
		unsigned int dmabufs;
	} importers[VPD_REPORT_IMPORTERS];
};

static void vpd_report_importer(struct vpd_report *r, struct device *dev)
{
	unsigned int i;

	for (i = 0; i < VPD_REPORT_IMPORTERS && r->importers[i].dev; i++) {
		if (r->importers[i].dev == dev) {
			r->importers[i].dmabufs++;
			return;
		}
	}
	if (i == VPD_REPORT_IMPORTERS) {
		r->others++;
		return;
	}
	r->importers[i].dev = get_device(dev);
	r->importers[i].dmabufs = 1;
}

/*
 * Records who still holds a mapping of @priv. The deadline has passed,
 * and a report is no reason to wait long: reservation locks are only
 * tried, with a few short sleeps for the whole report.
 */
static void vpd_report_dmabuf(struct vpd_report *r, struct vpd_dmabuf *priv)
{
	struct dma_resv *resv = priv->dmabuf->resv;
	struct dma_buf_attachment *attach;

	if (!dma_resv_test_signaled(resv, DMA_RESV_USAGE_BOOKKEEP))
		r->fenced++;
	if (!atomic_read(&priv->nr_mapped))
		return;
	while (!dma_resv_trylock(resv)) {
		if (!r->lock_tries) {
			r->unnamed++;
			return;
		}
		r->lock_tries--;
		usleep_range(500, 1000);
	}
	list_for_each_entry(attach, &priv->dmabuf->attachments, node) {
		struct vpd_attachment *va = attach->priv;

		if (va->mappings)
			vpd_report_importer(r, attach->dev);
	}
	dma_resv_unlock(resv);
}

static void vpd_report_print(struct vpd_device *vpd, struct vpd_report *r,
			     unsigned int timeout_ms)
{
	struct pci_dev *pdev = vpd->core.pdev;
	unsigned int i;

	if (r->fenced)
		pci_warn(pdev, "%u dma-bufs: importers' fences still pending %u ms after revocation\n",
			 r->fenced, timeout_ms);
	for (i = 0; i < VPD_REPORT_IMPORTERS && r->importers[i].dev; i++) {
		pci_warn(pdev, "importer %s did not unmap %u dma-bufs within %u ms of revocation\n",
			 dev_name(r->importers[i].dev),
			 r->importers[i].dmabufs, timeout_ms);
		put_device(r->importers[i].dev);
	}
	if (r->others)
		pci_warn(pdev, "%u more importers' mappings outlived the revocation too\n",
			 r->others);
	if (r->unnamed)
		pci_warn(pdev, "%u more dma-bufs still mapped by importers holding their reservation lock\n",
			 r->unnamed);
}

/*
 * After a revocation, before the hardware is touched: waits for the
 * fences importers left on the dma-bufs marked must_wait and for their
 * unmaps, all within one deadline, and reports what is left after it.
 */
static void vpd_dmabufs_wait(struct vpd_device *vpd, struct list_head *list,
			     unsigned long deadline, unsigned int timeout_ms)
{
	struct vpd_report report = { .lock_tries = VPD_REPORT_LOCK_TRIES };
	struct vpd_dmabuf *priv;
	bool late = false;

	list_for_each_entry(priv, list, link) {
		long left;

		if (!priv->must_wait)
			continue;
		priv->must_wait = false;
		left = (long)(deadline - jiffies);
		if (left < 0)
			left = 0;
		if (left)
			left = dma_resv_wait_timeout(priv->dmabuf->resv,
						     DMA_RESV_USAGE_BOOKKEEP,
						     false, left);
		if (left > 0)
			left = wait_event_timeout(priv->unmapped,
						  !atomic_read(&priv->nr_mapped),
						  left);
		/* Past the deadline only a look, no waiting. */
		if (!left && !atomic_read(&priv->nr_mapped) &&
		    dma_resv_test_signaled(priv->dmabuf->resv,
					   DMA_RESV_USAGE_BOOKKEEP))
			left = 1;
		if (left <= 0) {
			vpd_report_dmabuf(&report, priv);
			late = true;
		}
	}
	if (late)
		vpd_report_print(vpd, &report, timeout_ms);
}

/**
 * vpd_dmabufs_update() - make every dma-buf follow the device's state
 * @vpd: the device, its state_lock held
 *
 * Revokes (move_notify under each reservation lock, CPU mappings zapped)
 * when the BAR is not usable, and returns only once importers are done
 * or the deadline passed; restores when it is usable again. Dma-bufs
 * already in the right state or gone are left alone. One whose last file
 * reference is gone but whose release has not run yet (its dentry can be
 * held on, by an O_PATH open of /proc/PID/fd/N) has no importers and no
 * CPU mappings left: changing its state is harmless, and nothing here
 * touches its file.
 */
void vpd_dmabufs_update(struct vpd_device *vpd)
{
	unsigned int timeout_ms = READ_ONCE(revoke_timeout_ms);
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	struct vpd_dmabuf *priv;
	bool usable;

	lockdep_assert_held(&vpd->state_lock);
	/*
	 * The list has entries only while the device is open (close empties
	 * it), and vfio's config state exists only then.
	 */
	if (list_empty(&vpd->dmabufs))
		return;
	usable = vpd_bar_usable(vpd);
	list_for_each_entry(priv, &vpd->dmabufs, link)
		priv->must_wait = vpd_dmabuf_set_state(priv, !usable, false) &&
				  !usable;
	if (!usable)
		vpd_dmabufs_wait(vpd, &vpd->dmabufs, deadline, timeout_ms);
}

/**
 * vpd_dmabuf_leave_device() - a dma-buf lets go of its device
 * @priv: the dma-buf, on its device's list; the device's state_lock held
 *
 * Takes it off the list and drops its reference on the vfio_device; from
 * here on priv->vpd is NULL. Called at close for every dma-buf, and at
 * release for one still on the list.
 */
void vpd_dmabuf_leave_device(struct vpd_dmabuf *priv)
{
	struct vpd_device *vpd = priv->vpd;

	lockdep_assert_held(&vpd->state_lock);
	list_del_init(&priv->link);
	spin_lock(&priv->vpd_lock);
	priv->vpd = NULL;
	spin_unlock(&priv->vpd_lock);
	put_device(&vpd->core.vdev.device);
}

/**
 * vpd_dmabuf_revoke_for_good() - revoke one dma-buf for good
 * @priv: the dma-buf, a reference held
 *
 * It lives on until its last reference goes, but mapping it fails with
 * -ENODEV and CPU mappings get SIGBUS. Harmless when it is gone already.
 *
 * Return: 0 once no importer maps it and every fence importers left on it
 * has signalled; -EBUSY when, after revoke_timeout_ms, one still maps it
 * (it ignored move_notify, or pinned it), a fence is pending (DMA may
 * still be in flight), or an importer once detached holding a mapping:
 * the memory may still be reached, so whoever hands it out again must
 * not (the broker keeps it).
 */
int vpd_dmabuf_revoke_for_good(struct vpd_dmabuf *priv)
{
	unsigned int timeout_ms = READ_ONCE(revoke_timeout_ms);
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	struct vpd_device *vpd = READ_ONCE(priv->vpd);

	if (!vpd)
		return 0;	/* the device was closed: gone already */
	mutex_lock(&vpd->state_lock);
	/* Only this one is marked: the wait covers it alone. */
	priv->must_wait = vpd_dmabuf_set_state(priv, true, true);
	vpd_dmabufs_wait(vpd, &vpd->dmabufs, deadline, timeout_ms);
	mutex_unlock(&vpd->state_lock);
	if (atomic_read(&priv->nr_mapped) || READ_ONCE(priv->leaked) ||
	    !dma_resv_test_signaled(priv->dmabuf->resv,
				    DMA_RESV_USAGE_BOOKKEEP))
		return -EBUSY;
	return 0;
}

/**
 * vpd_dmabufs_close() - the device is closed: every dma-buf goes for good
 * @vpd: the device
 *
 * Each dma-buf is revoked for good and lets go of the device: it no longer
 * holds the vfio_device, so that an unbind, a new probe or a hot reset of
 * the set is not held up by dma-bufs that importers keep.
 */
void vpd_dmabufs_close(struct vpd_device *vpd)
{
	unsigned int timeout_ms = READ_ONCE(revoke_timeout_ms);
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	struct vpd_dmabuf *priv, *tmp;

	mutex_lock(&vpd->state_lock);
	list_for_each_entry(priv, &vpd->dmabufs, link)
		priv->must_wait = vpd_dmabuf_set_state(priv, true, true);
	vpd_dmabufs_wait(vpd, &vpd->dmabufs, deadline, timeout_ms);
	list_for_each_entry_safe(priv, tmp, &vpd->dmabufs, link)
		vpd_dmabuf_leave_device(priv);
	mutex_unlock(&vpd->state_lock);
}
