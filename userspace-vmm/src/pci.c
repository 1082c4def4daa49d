// SPDX-License-Identifier: GPL-2.0
/* PCI configuration space, BARs and mechanism 1. See pci.h. */
#include "pci.h"

#include "util.h"

#include <errno.h>
#include <string.h>

#define CAP_START 0x40

static void put16(struct pci_device *d, unsigned int off, uint16_t v)
{
	le_store(&d->cfg[off], v, 2);
}

void pci_device_init(struct pci_device *dev, const char *name, uint16_t vendor,
		     uint16_t device, uint8_t revision, uint32_t class_code,
		     uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	put16(dev, PCI_VENDOR_ID, vendor);
	put16(dev, PCI_DEVICE_ID, device);
	dev->cfg[PCI_REVISION_ID] = revision;
	le_store(&dev->cfg[PCI_CLASS_PROG], class_code, 3);
	put16(dev, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put16(dev, PCI_SUBSYSTEM_ID, subsys_id);
	/* Command: I/O, memory, bus master, INTx disable. */
	le_store(&dev->wmask[PCI_COMMAND], PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
		 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 2);
	dev->wmask[0x0c] = 0xff;	/* cache line size */
	dev->wmask[0x0d] = 0xff;	/* latency timer */
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	dev->cap_end = CAP_START;
}

int pci_device_add_bar(struct pci_device *dev, unsigned int idx, uint32_t size,
		       bool io, bus_handler_fn fn, void *opaque)
{
	uint32_t mask;

	if (idx >= PCI_NUM_BARS || !fn || (size & (size - 1)) ||
	    size < (io ? 4u : 16u) || (io && size > 256))
		return -EINVAL;
	dev->bar[idx] = (struct pci_bar){ .size = size, .io = io, .fn = fn,
					  .opaque = opaque };
	mask = ~(size - 1);
	le_store(&dev->wmask[PCI_BAR0 + 4 * idx], mask, 4);
	le_store(&dev->cfg[PCI_BAR0 + 4 * idx], io ? 1 : 0, 4);
	return 0;
}

void pci_device_set_bar_addr(struct pci_device *dev, unsigned int idx,
			     uint32_t addr)
{
	struct pci_bar *b = &dev->bar[idx % PCI_NUM_BARS];

	if (!b->size)
		return;
	le_store(&dev->cfg[PCI_BAR0 + 4 * idx],
		 (addr & ~(b->size - 1)) | (b->io ? 1 : 0), 4);
}

int pci_device_add_cap(struct pci_device *dev, uint8_t id, uint8_t len)
{
	unsigned int off = dev->cap_end;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;
	if (dev->cap_last)
		dev->cfg[dev->cap_last + 1] = (uint8_t)off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->cap_last = (uint8_t)off;
	dev->cap_end = (uint8_t)((off + len + 3) & ~3u);
	return (int)off;
}

void pci_device_set_intx(struct pci_device *dev, uint8_t line, uint8_t pin)
{
	dev->cfg[PCI_INTERRUPT_LINE] = line;
	dev->cfg[PCI_INTERRUPT_PIN] = pin;
}

void pci_device_set_bar_hook(struct pci_device *dev, pci_bar_hook_fn fn,
			     void *ctx)
{
	dev->bar_hook = fn;
	dev->bar_hook_ctx = ctx;
}

uint32_t pci_config_read(struct pci_device *dev, unsigned int off,
			 unsigned int len)
{
	if (off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off)
		return 0xffffffff;
	return (uint32_t)le_load(&dev->cfg[off], len);
}

static void update_bar(struct pci_device *dev, unsigned int i)
{
	struct pci_bar *b = &dev->bar[i];
	uint16_t cmd = (uint16_t)le_load(&dev->cfg[PCI_COMMAND], 2);
	uint32_t reg = (uint32_t)le_load(&dev->cfg[PCI_BAR0 + 4 * i], 4);
	uint64_t addr = reg & ~(b->size - 1);
	enum bus_space space = b->io ? BUS_PIO : BUS_MMIO;
	bool want = (cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) &&
		    addr != 0 && addr + b->size - 1 <= (b->io ? 0xffffu : 0xffffffffu);

	if (!b->size || !dev->bus)
		return;
	if (b->mapped && (!want || addr != b->mapped_addr)) {
		bus_unregister(dev->bus, space, b->mapped_addr);
		b->mapped = false;
		if (dev->bar_hook)
			dev->bar_hook(dev->bar_hook_ctx, i, b->mapped_addr, false);
	}
	if (!want || b->mapped)
		return;
	if (bus_register(dev->bus, space, addr, b->size, b->fn, b->opaque,
			 dev->name)) {
		vmm_debug("%s: BAR%u at %#llx clashes with another region; not decoded",
			  dev->name, i, (unsigned long long)addr);
		return;
	}
	b->mapped = true;
	b->mapped_addr = addr;
	if (dev->bar_hook)
		dev->bar_hook(dev->bar_hook_ctx, i, addr, true);
}

void pci_device_update_bars(struct pci_device *dev)
{
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		update_bar(dev, i);
}

void pci_config_write(struct pci_device *dev, unsigned int off,
		      unsigned int len, uint32_t val)
{
	if (off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off || len > 4)
		return;
	for (unsigned int i = 0; i < len; i++) {
		uint8_t m = dev->wmask[off + i], b = (uint8_t)(val >> (8 * i));

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | (b & m);
	}
	/* The command register or a BAR changed: redo the decoding. */
	if ((off < PCI_COMMAND + 2 && off + len > PCI_COMMAND) ||
	    (off < PCI_BAR0 + 4 * PCI_NUM_BARS && off + len > PCI_BAR0))
		pci_device_update_bars(dev);
}

void pci_host_init(struct pci_host *host, struct bus *bus,
		   void (*reset)(void *ctx), void *reset_ctx)
{
	memset(host, 0, sizeof(*host));
	host->bus = bus;
	host->reset = reset;
	host->reset_ctx = reset_ctx;
	/* The PC's host bridge (i440FX), class 06.00.00. */
	pci_device_init(&host->bridge, "host-bridge", 0x8086, 0x1237, 0x02,
			0x060000, 0, 0);
	host->bridge.bus = bus;
	host->slot[0] = &host->bridge;
}

int pci_host_add(struct pci_host *host, struct pci_device *dev)
{
	for (int s = 1; s < PCI_MAX_SLOTS; s++) {
		if (host->slot[s])
			continue;
		host->slot[s] = dev;
		dev->bus = host->bus;
		pci_device_update_bars(dev);
		return s;
	}
	return -ENOSPC;
}

/* The device and register 0xcf8 selects, or NULL (bus != 0, fn != 0...). */
static struct pci_device *selected(struct pci_host *host, unsigned int *reg)
{
	uint32_t a = host->address;

	if (!(a & 0x80000000u) || ((a >> 16) & 0xff) || ((a >> 8) & 7))
		return NULL;
	*reg = a & 0xfc;
	return host->slot[(a >> 11) & 0x1f];
}

static void data_access(struct pci_host *host, unsigned int byte,
			uint8_t *data, unsigned int len, bool is_write)
{
	unsigned int reg;
	struct pci_device *dev = selected(host, &reg);

	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		pci_config_write(dev, reg + byte, len, (uint32_t)le_load(data, len));
	else
		le_store(data, pci_config_read(dev, reg + byte, len), len);
}

int pci_host_io(void *opaque, uint64_t off, void *data, unsigned int len,
		bool is_write)
{
	struct pci_host *host = opaque;
	uint8_t *b = data;

	if (off >= 4) {			/* 0xcfc-0xcff */
		if (off + len > 8) {
			if (!is_write)
				memset(data, 0xff, len);
			return 0;
		}
		data_access(host, (unsigned int)off - 4, b, len, is_write);
		return 0;
	}
	if (off == 0 && len == 4) {	/* the 32-bit address register */
		if (is_write)
			host->address = (uint32_t)le_load(data, 4) & 0x80fffffcu;
		else
			le_store(data, host->address, 4);
		return 0;
	}
	if (off == 1 && len == 1) {	/* 0xcf9: PIIX reset control */
		if (is_write && (b[0] & 0x04) && host->reset)
			host->reset(host->reset_ctx);
		else if (!is_write)
			b[0] = 0;
		return 0;
	}
	if (!is_write)			/* other byte accesses: nothing */
		memset(data, 0xff, len);
	return 0;
}
