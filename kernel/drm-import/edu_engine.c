// SPDX-License-Identifier: GPL-2.0-only
/*
 * drm-import: engine backend for QEMU's edu device (1234:11e8), the rig's
 * stand-in for a GPU copy engine.
 *
 * edu's DMA engine moves data between the PCI address space and a 4 KiB
 * buffer inside the device, one transfer at a time, and raises an
 * interrupt when done. A copy is therefore staged: source -> edu buffer,
 * edu buffer -> destination, in chunks. edu rejects (and QEMU aborts on)
 * a transfer that reaches the buffer's last byte, so chunks stay well
 * below 4 KiB.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>

#include "drm_import_backends.h"
#include "drm_import_engine.h"

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

/* edu completes a transfer ~100 ms of virtual time after it starts. */
static unsigned int transfer_timeout_ms = 10000;
module_param(transfer_timeout_ms, uint, 0644);
MODULE_PARM_DESC(transfer_timeout_ms,
		 "Time an edu DMA transfer may take before it is declared hung (default 10000)");

/**
 * struct edu_engine - one edu device as an engine
 * @engine: what the DRM core sees
 * @pdev: the PCI device
 * @mmio: BAR0
 * @lock: serialises transfers: edu has one DMA engine and one buffer
 * @done: completed by the interrupt handler when a transfer ends
 * @broken: a timed-out transfer never ended; the engine refuses further
 *          work (under @lock)
 */
struct edu_engine {
	struct dim_engine engine;
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct mutex lock;	/* one transfer at a time */
	struct completion done;
	bool broken;
};

static struct edu_engine *to_edu(struct dim_engine *engine)
{
	return container_of(engine, struct edu_engine, engine);
}

/*
 * Nothing aborts an edu transfer: wait for a running one (the DMA_RUN bit
 * clears when it ends) and clear stale interrupt causes, so that a
 * transfer left over from before a probe or a timeout cannot complete
 * into memory that is reused.
 */
static int edu_quiesce(struct edu_engine *edu)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(transfer_timeout_ms);

	while (readq(edu->mmio + EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(20);
	}
	writel(~0u, edu->mmio + EDU_REG_IRQ_ACK);
	return 0;
}

static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu_engine *edu = data;
	u32 status = readl(edu->mmio + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	writel(status, edu->mmio + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA_DONE)
		complete(&edu->done);
	return IRQ_HANDLED;
}

/* Caller holds edu->lock. */
static int edu_transfer(struct edu_engine *edu, dma_addr_t src,
			dma_addr_t dst, u32 len, u32 dir)
{
	reinit_completion(&edu->done);
	writeq(src, edu->mmio + EDU_REG_DMA_SRC);
	writeq(dst, edu->mmio + EDU_REG_DMA_DST);
	writeq(len, edu->mmio + EDU_REG_DMA_COUNT);
	writeq(EDU_DMA_RUN | EDU_DMA_IRQ | dir, edu->mmio + EDU_REG_DMA_CMD);

	if (!wait_for_completion_timeout(&edu->done,
					 msecs_to_jiffies(transfer_timeout_ms))) {
		/* The buffer must not be reused while edu may still write it. */
		edu->broken = edu_quiesce(edu) != 0;
		pci_err(edu->pdev, "DMA transfer of %u bytes timed out%s\n", len,
			edu->broken ? "; engine stopped" : "");
		return -ETIMEDOUT;
	}
	return 0;
}

static int edu_copy(struct dim_engine *engine, dma_addr_t dst, dma_addr_t src,
		    u64 len)
{
	struct edu_engine *edu = to_edu(engine);
	int ret = 0;

	mutex_lock(&edu->lock);
	while (len && !ret) {
		u32 chunk = min_t(u64, len, EDU_CHUNK);

		if (edu->broken) {
			ret = -EIO;
			break;
		}
		ret = edu_transfer(edu, src, EDU_BUF_ADDR, chunk, 0);
		if (!ret)
			ret = edu_transfer(edu, EDU_BUF_ADDR, dst, chunk,
					   EDU_DMA_TO_RAM);
		src += chunk;
		dst += chunk;
		len -= chunk;
	}
	mutex_unlock(&edu->lock);
	return ret;
}

static const struct dim_engine_ops edu_engine_ops = {
	.copy = edu_copy,
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_engine *edu;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->lock);
	init_completion(&edu->done);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "drm_import-edu");
	if (ret)
		return ret;
	edu->mmio = pcim_iomap_table(pdev)[0];

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = edu_quiesce(edu);
	if (ret)
		return ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_LEGACY);
	if (ret < 0)
		return ret;
	ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, 0), edu_irq,
			       IRQF_SHARED, "drm_import-edu", edu);
	if (ret)
		return ret;

	edu->engine.ops = &edu_engine_ops;
	edu->engine.dev = &pdev->dev;
	edu->engine.name = "edu";
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

int edu_engine_register(void)
{
	return pci_register_driver(&edu_driver);
}

void edu_engine_unregister(void)
{
	pci_unregister_driver(&edu_driver);
}
