// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm_import_edu: drm-import's engine backend for QEMU's edu device
 * (1234:11e8), the rig's stand-in for a GPU copy engine. A module of its
 * own, as a real GPU's copy engine backend would be: it drives the device
 * and plugs it into drm-import through drm_import_engine.h.
 *
 * edu's DMA engine moves data between the PCI address space and a 4 KiB
 * buffer inside the device, one transfer at a time, and raises an
 * interrupt when done. A copy is therefore staged: source -> edu buffer,
 * edu buffer -> destination, in chunks. edu rejects (and QEMU aborts on)
 * a transfer that reaches the buffer's last byte, so chunks stay well
 * below 4 KiB.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/pci.h>

#include "drm_import_engine.h"
#include "vramshare_compat.h"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)	/* clear: from the PCI side to edu */
#define EDU_DMA_IRQ		BIT(2)
#define EDU_IRQ_DMA_DONE	0x100

#define EDU_BUF_ADDR		0x40000
#define EDU_CHUNK		2048

/*
 * QEMU's edu clamps DMA addresses to 28 bits unless its dma_mask property
 * says more: use what the device guarantees unless told otherwise.
 */
static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits,
		 "DMA address bits edu decodes, 28..64 (default 28, QEMU's default; set 64 when the device has dma_mask=~0)");

/* edu completes a DMA ~100 ms of virtual time after it starts. */
#define EDU_QUIESCE_TIMEOUT_MS	10000

/**
 * struct edu_engine - one edu device as an engine
 * @engine: what the DRM core sees
 * @pdev: the PCI device
 * @mmio: BAR0
 * @irq: its interrupt, looked up once: the reset runs on the fence
 *       signalling path, where the MSI descriptors' mutex may not be taken
 * @lock: guards the fields below against the interrupt handler
 * @stage: 0 idle; 1 source -> edu buffer running; 2 edu buffer ->
 *         destination running
 * @dst: destination of the running transfer
 * @len: length of the running transfer
 */
struct edu_engine {
	struct dim_engine engine;
	struct pci_dev *pdev;
	void __iomem *mmio;
	int irq;
	spinlock_t lock;	/* stage, dst, len; taken in hard irq */
	int stage;
	dma_addr_t dst;
	u32 len;
};

static struct edu_engine *to_edu(struct dim_engine *engine)
{
	return container_of(engine, struct edu_engine, engine);
}

/*
 * Nothing aborts an edu transfer: wait for a running one (the DMA_RUN bit
 * clears when it ends) and clear stale interrupt causes, so that a
 * transfer left over from before a probe or a hang cannot complete into
 * memory that is reused.
 */
static int edu_quiesce(struct edu_engine *edu)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(EDU_QUIESCE_TIMEOUT_MS);

	while (readq(edu->mmio + EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(20);
	}
	writel(~0u, edu->mmio + EDU_REG_IRQ_ACK);
	return 0;
}

/* Caller holds edu->lock. */
static void edu_start(struct edu_engine *edu, dma_addr_t src, dma_addr_t dst,
		      u32 len, u32 dir)
{
	writeq(src, edu->mmio + EDU_REG_DMA_SRC);
	writeq(dst, edu->mmio + EDU_REG_DMA_DST);
	writeq(len, edu->mmio + EDU_REG_DMA_COUNT);
	writeq(EDU_DMA_RUN | EDU_DMA_IRQ | dir, edu->mmio + EDU_REG_DMA_CMD);
}

/* A copy is staged through edu's buffer: the second half starts here. */
static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu_engine *edu = data;
	u32 status = readl(edu->mmio + EDU_REG_IRQ_STATUS);
	bool done = false;

	if (!status)
		return IRQ_NONE;
	writel(status, edu->mmio + EDU_REG_IRQ_ACK);
	if (!(status & EDU_IRQ_DMA_DONE))
		return IRQ_HANDLED;

	spin_lock(&edu->lock);
	if (edu->stage == 1) {
		edu->stage = 2;
		edu_start(edu, EDU_BUF_ADDR, edu->dst, edu->len,
			  EDU_DMA_TO_RAM);
	} else if (edu->stage == 2) {
		edu->stage = 0;
		done = true;
	}
	spin_unlock(&edu->lock);

	if (done)
		dim_engine_done(&edu->engine, 0);
	return IRQ_HANDLED;
}

static int edu_submit(struct dim_engine *engine, dma_addr_t dst,
		      dma_addr_t src, u32 len)
{
	struct edu_engine *edu = to_edu(engine);
	unsigned long flags;
	int ret = 0;

	if (!len || len > EDU_CHUNK)
		return -EINVAL;
	spin_lock_irqsave(&edu->lock, flags);
	if (edu->stage) {
		ret = -EBUSY;
	} else {
		edu->stage = 1;
		edu->dst = dst;
		edu->len = len;
		edu_start(edu, src, EDU_BUF_ADDR, len, 0);
	}
	spin_unlock_irqrestore(&edu->lock, flags);
	return ret;
}

/* The transfer hung: let it end, and forget it. */
static int edu_reset(struct dim_engine *engine)
{
	struct edu_engine *edu = to_edu(engine);
	int ret;

	/* Stop the interrupt handler from starting a second stage. */
	spin_lock_irq(&edu->lock);
	edu->stage = 0;
	spin_unlock_irq(&edu->lock);
	ret = edu_quiesce(edu);
	synchronize_irq(edu->irq);
	if (ret)
		pci_err(edu->pdev, "DMA engine does not stop; engine lost\n");
	return ret;
}

static const struct dim_engine_ops edu_engine_ops = {
	.submit = edu_submit,
	.reset = edu_reset,
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_engine *edu;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	spin_lock_init(&edu->lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "drm_import-edu");
	if (ret)
		return ret;
	edu->mmio = pcim_iomap_table(pdev)[0];

	if (dma_bits < 28 || dma_bits > 64)
		return -EINVAL;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (ret)
		return ret;
	/*
	 * The core cuts transfers itself: any DMA segment will do (a PCI
	 * device has DMA parameters; 6.12 returns nothing here).
	 */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	pci_set_master(pdev);
	ret = edu_quiesce(edu);
	if (ret)
		return ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		return ret;
	edu->irq = pci_irq_vector(pdev, 0);
	ret = devm_request_irq(&pdev->dev, edu->irq, edu_irq, IRQF_SHARED,
			       "drm_import-edu", edu);
	if (ret)
		return ret;

	edu->engine.ops = &edu_engine_ops;
	edu->engine.dev = &pdev->dev;
	edu->engine.name = "edu";
	edu->engine.max_transfer = EDU_CHUNK;
	pci_set_drvdata(pdev, edu);
	return dim_device_register(&edu->engine);
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_engine *edu = pci_get_drvdata(pdev);

	dim_device_unregister(&edu->engine);
	if (edu_quiesce(edu))
		pci_warn(pdev, "a DMA transfer is still running at removal\n");
	pci_clear_master(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= "drm_import-edu",
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
};
module_pci_driver(edu_driver);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("vramshare developers");
MODULE_DESCRIPTION("drm-import engine backend for QEMU's edu DMA engine");
MODULE_VERSION(VRAMSHARE_VERSION);
