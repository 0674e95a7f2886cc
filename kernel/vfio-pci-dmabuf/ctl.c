// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL, what this
 * driver offers beyond upstream for one exported dma-buf: its state and
 * generation, an eventfd for its transitions, revoking it for good, and
 * the memory attribute of its CPU mappings.
 */
#include <linux/dma-resv.h>
#include <linux/eventfd.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vfio_pci_dmabuf.h"

static u32 vpd_dmabuf_state(struct vpd_dmabuf *priv)
{
	if (priv->gone)
		return VRAMSHARE_DMA_BUF_GONE;
	return priv->revoked ? VRAMSHARE_DMA_BUF_REVOKED :
			       VRAMSHARE_DMA_BUF_LIVE;
}

static int vpd_ctl_query(struct vpd_dmabuf *priv,
			 struct vramshare_dma_buf_ctl *ctl)
{
	if (ctl->eventfd || ctl->attr)
		return -EINVAL;
	dma_resv_lock(priv->dmabuf->resv, NULL);
	ctl->state = vpd_dmabuf_state(priv);
	ctl->generation = priv->generation;
	dma_resv_unlock(priv->dmabuf->resv);
	ctl->version = VRAMSHARE_UAPI_VERSION;
	return 0;
}

static int vpd_ctl_set_eventfd(struct vpd_dmabuf *priv, s32 fd)
{
	struct eventfd_ctx *ctx = NULL, *old;

	if (fd != -1) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	dma_resv_lock(priv->dmabuf->resv, NULL);
	old = priv->eventfd;
	priv->eventfd = ctx;
	dma_resv_unlock(priv->dmabuf->resv);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

static int vpd_ctl_set_mmap_attr(struct vpd_dmabuf *priv, u32 attr)
{
	if (attr != VRAMSHARE_MMAP_UNCACHED &&
	    attr != VRAMSHARE_MMAP_WRITE_COMBINE)
		return -EINVAL;
	dma_resv_lock(priv->dmabuf->resv, NULL);
	WRITE_ONCE(priv->mmap_wc, attr == VRAMSHARE_MMAP_WRITE_COMBINE);
	dma_resv_unlock(priv->dmabuf->resv);
	return 0;
}

static int vpd_ctl_set(struct vpd_dmabuf *priv,
		       const struct vramshare_dma_buf_ctl *ctl)
{
	switch (ctl->op) {
	case VRAMSHARE_DMA_BUF_CTL_REVOKE:
		if (ctl->eventfd || ctl->attr)
			return -EINVAL;
		return vpd_dmabuf_revoke_for_good(priv);
	case VRAMSHARE_DMA_BUF_CTL_SET_EVENTFD:
		if (ctl->attr)
			return -EINVAL;
		return vpd_ctl_set_eventfd(priv, ctl->eventfd);
	case VRAMSHARE_DMA_BUF_CTL_SET_MMAP_ATTR:
		if (ctl->eventfd)
			return -EINVAL;
		return vpd_ctl_set_mmap_attr(priv, ctl->attr);
	default:
		return -EINVAL;
	}
}

/**
 * vpd_feature_dma_buf_ctl() - VFIO_DEVICE_FEATURE_VRAMSHARE_DMA_BUF_CTL
 * @vpd: the device
 * @flags: VFIO_DEVICE_FEATURE flags: GET for QUERY, SET for the others
 * @arg: user pointer to struct vramshare_dma_buf_ctl
 * @argsz: bytes at @arg
 *
 * Return: 0 or -errno (-EBADF, or -EINVAL for a dma-buf not exported by
 * this device; for REVOKE, -EBUSY when an importer still maps the
 * dma-buf after the revocation's bound).
 */
int vpd_feature_dma_buf_ctl(struct vpd_device *vpd, u32 flags,
			    void __user *arg, size_t argsz)
{
	struct vramshare_dma_buf_ctl ctl;
	struct vpd_dmabuf *priv;
	bool get = flags & VFIO_DEVICE_FEATURE_GET;
	bool query;
	int ret;

	ret = vfio_check_feature(flags, argsz,
				 VFIO_DEVICE_FEATURE_GET |
				 VFIO_DEVICE_FEATURE_SET, sizeof(ctl));
	if (ret != 1)
		return ret;
	if (copy_from_user(&ctl, arg, sizeof(ctl)))
		return -EFAULT;
	if (ctl.state || ctl.version || ctl.generation || ctl.reserved)
		return -EINVAL;
	query = ctl.op == VRAMSHARE_DMA_BUF_CTL_QUERY;
	if (get != query)
		return -EINVAL;

	priv = vpd_dmabuf_get(vpd, ctl.dmabuf_fd);
	if (IS_ERR(priv))
		return PTR_ERR(priv);
	ret = get ? vpd_ctl_query(priv, &ctl) : vpd_ctl_set(priv, &ctl);
	dma_buf_put(priv->dmabuf);
	if (!ret && get && copy_to_user(arg, &ctl, sizeof(ctl)))
		ret = -EFAULT;
	return ret;
}
