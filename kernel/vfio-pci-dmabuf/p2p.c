// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-dmabuf: peer-to-peer policy.
 *
 * Whether an importing device may reach the exported BAR is decided by
 * pci_p2pdma for each attaching device. The route then decides the
 * addresses the importer gets: PCI bus addresses when the transaction
 * stays below a common switch (it never reaches an IOMMU), or a
 * dma_map_resource() mapping when it goes through the host bridge.
 */
#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/vfio.h>

#include "../include/uapi/linux/vramshare_vfio.h"
#include "vfio_pci_dmabuf.h"

/* Largest DMA segment we hand out: sg lengths are unsigned int. */
#define VPD_MAX_SEG	((unsigned int)(UINT_MAX & PAGE_MASK))

static bool vpd_acs_redirects(struct pci_dev *bridge)
{
	u16 ctrl;
	int pos;

	pos = pci_find_ext_capability(bridge, PCI_EXT_CAP_ID_ACS);
	if (!pos)
		return false;
	pci_read_config_word(bridge, pos + PCI_ACS_CTRL, &ctrl);
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/* The closest bridge above both devices, or NULL (only the host bridge). */
static struct pci_dev *vpd_common_bridge(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_dev *up, *bb;

	for (up = pci_upstream_bridge(a); up; up = pci_upstream_bridge(up))
		for (bb = pci_upstream_bridge(b); bb; bb = pci_upstream_bridge(bb))
			if (bb == up)
				return up;
	return NULL;
}

/**
 * struct vpd_acs_list - bridges with ACS redirect, as
 * pci=disable_acs_redir= takes them ("BDF;BDF")
 * @text: the list
 * @len: bytes used in @text
 * @count: bridges found
 */
struct vpd_acs_list {
	char text[128];
	size_t len;
	int count;
};

static void vpd_acs_add(struct pci_dev *bridge, struct vpd_acs_list *acs)
{
	if (!vpd_acs_redirects(bridge))
		return;
	acs->len += scnprintf(acs->text + acs->len, sizeof(acs->text) - acs->len,
			      "%s%s", acs->count ? ";" : "", pci_name(bridge));
	acs->count++;
}

/* Adds the bridges with ACS redirect from @dev up to @top, excluded. */
static void vpd_acs_redirect_path(struct pci_dev *dev, struct pci_dev *top,
				  struct vpd_acs_list *acs)
{
	struct pci_dev *up;

	for (up = pci_upstream_bridge(dev); up && up != top;
	     up = pci_upstream_bridge(up))
		vpd_acs_add(up, acs);
}

/* ACS redirect on the paths of @a and @b up to @common, included. */
static void vpd_acs_redirects_between(struct pci_dev *a, struct pci_dev *b,
				      struct pci_dev *common,
				      struct vpd_acs_list *acs)
{
	vpd_acs_redirect_path(a, common, acs);
	vpd_acs_redirect_path(b, common, acs);
	vpd_acs_add(common, acs);
}

static enum vpd_p2p_route vpd_route_of(struct pci_dev *provider,
				       struct pci_dev *client)
{
	struct pci_dev *common = vpd_common_bridge(provider, client);
	struct vpd_acs_list acs = {};

	if (!common)
		return VPD_P2P_HOST_BRIDGE;
	vpd_acs_redirects_between(provider, client, common, &acs);
	return acs.count ? VPD_P2P_HOST_BRIDGE : VPD_P2P_BUS_ADDR;
}

/* One log line: why @client cannot reach @provider, and what to change. */
static void vpd_explain_refusal(struct pci_dev *provider,
				struct pci_dev *client)
{
	struct pci_dev *common = vpd_common_bridge(provider, client);
	const char *host = dev_name(&pci_find_host_bridge(provider->bus)->dev);
	struct vpd_acs_list acs = {};

	if (common)
		vpd_acs_redirects_between(provider, client, common, &acs);
	if (acs.count) {
		pci_info_ratelimited(provider, "refusing importer %s: ACS redirect sends its peer-to-peer traffic up to host bridge %s, which is not whitelisted for P2P; boot with pci=disable_acs_redir=%s\n",
				     pci_name(client), host, acs.text);
		return;
	}
	pci_info_ratelimited(provider, "refusing importer %s: no common PCIe switch, and host bridge %s is not whitelisted for P2P; put both devices below one switch\n",
			     pci_name(client), host);
}

static bool trust_without_p2pdma;
module_param(trust_without_p2pdma, bool, 0444);
MODULE_PARM_DESC(trust_without_p2pdma,
		 "On kernels without CONFIG_PCI_P2PDMA, let every PCI importer attach (default: refuse)");

/**
 * vpd_p2p_route() - may @client reach @provider's BARs, and how
 * @provider: the exporting PCI function
 * @client: the importing device (dma_buf_attachment.dev)
 * @route: set to the route on success
 *
 * Return: 0, or -EOPNOTSUPP with one kernel log line that says why and
 * what to change.
 */
int vpd_p2p_route(struct pci_dev *provider, struct device *client,
		  enum vpd_p2p_route *route)
{
	struct pci_dev *pclient;

	if (!dev_is_pci(client)) {
		pci_info_ratelimited(provider, "refusing importer %s: not a PCI device, peer-to-peer DMA impossible\n",
				     dev_name(client));
		return -EOPNOTSUPP;
	}
	pclient = to_pci_dev(client);

	if (IS_ENABLED(CONFIG_PCI_P2PDMA)) {
		if (pci_p2pdma_distance(provider, client, false) < 0) {
			vpd_explain_refusal(provider, pclient);
			return -EOPNOTSUPP;
		}
	} else if (!trust_without_p2pdma) {
		pci_info_ratelimited(provider, "refusing importer %s: kernel built without CONFIG_PCI_P2PDMA; load with trust_without_p2pdma=1 if the platform routes P2P\n",
				     pci_name(pclient));
		return -EOPNOTSUPP;
	}

	*route = vpd_route_of(provider, pclient);
	return 0;
}

/**
 * vpd_p2p_route_name() - for logs and debugfs
 * @route: a route
 *
 * Return: a short name.
 */
const char *vpd_p2p_route_name(enum vpd_p2p_route route)
{
	return route == VPD_P2P_BUS_ADDR ? "bus-address" : "host-bridge";
}

static unsigned int vpd_count_segments(const struct vfio_region_dma_range *ranges,
				       unsigned int nr_ranges)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr_ranges; i++)
		n += DIV_ROUND_UP_ULL(ranges[i].length, VPD_MAX_SEG);
	return n;
}

/**
 * vpd_p2p_map() - build the importer's scatterlist of BAR ranges
 * @route: from vpd_p2p_route()
 * @provider: the exporting PCI function
 * @bar: BAR index of the ranges
 * @ranges: validated ranges inside the BAR
 * @nr_ranges: number of @ranges
 * @client: the importing device
 * @dir: DMA direction of the mapping
 *
 * The table has DMA addresses only: MMIO has no struct page.
 *
 * Return: the table or an ERR_PTR.
 */
struct sg_table *vpd_p2p_map(enum vpd_p2p_route route,
			     struct pci_dev *provider, int bar,
			     const struct vfio_region_dma_range *ranges,
			     unsigned int nr_ranges, struct device *client,
			     enum dma_data_direction dir)
{
	phys_addr_t phys = pci_resource_start(provider, bar);
	pci_bus_addr_t bus = pci_bus_address(provider, bar);
	struct scatterlist *sg, *done;
	struct sg_table *sgt;
	unsigned int i;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, vpd_count_segments(ranges, nr_ranges),
			     GFP_KERNEL);
	if (ret)
		goto err_free;

	sg = sgt->sgl;
	for (i = 0; i < nr_ranges; i++) {
		u64 off = ranges[i].offset, left = ranges[i].length;

		while (left) {
			unsigned int len = min_t(u64, left, VPD_MAX_SEG);
			dma_addr_t addr;

			if (route == VPD_P2P_BUS_ADDR) {
				addr = bus + off;
			} else {
				addr = dma_map_resource(client, phys + off, len,
							dir,
							DMA_ATTR_SKIP_CPU_SYNC);
				if (dma_mapping_error(client, addr)) {
					ret = -EIO;
					goto err_unmap;
				}
			}
			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = len;
			sg = sg_next(sg);
			off += len;
			left -= len;
		}
	}
	return sgt;

err_unmap:
	for_each_sg(sgt->sgl, done, sgt->orig_nents, i) {
		if (done == sg)
			break;
		dma_unmap_resource(client, sg_dma_address(done),
				   sg_dma_len(done), dir,
				   DMA_ATTR_SKIP_CPU_SYNC);
	}
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

/**
 * vpd_p2p_unmap() - undo vpd_p2p_map()
 * @route: the route the table was made for
 * @client: the importing device
 * @sgt: the table
 * @dir: DMA direction of the mapping
 */
void vpd_p2p_unmap(enum vpd_p2p_route route, struct device *client,
		   struct sg_table *sgt, enum dma_data_direction dir)
{
	struct scatterlist *sg;
	unsigned int i;

	if (route == VPD_P2P_HOST_BRIDGE)
		for_each_sg(sgt->sgl, sg, sgt->orig_nents, i)
			dma_unmap_resource(client, sg_dma_address(sg),
					   sg_dma_len(sg), dir,
					   DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(sgt);
	kfree(sgt);
}
