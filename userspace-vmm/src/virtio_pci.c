// SPDX-License-Identifier: GPL-2.0
/* Modern virtio-pci transport. See virtio_pci.h. */
#include "virtio_pci.h"

#include "util.h"

#include <string.h>

#define PCI_CAP_ID_VNDR 0x09
/* virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_cap: vndr, next, len, cfg_type, bar, id, pad[2],
 * offset (le32), length (le32); the notify capability adds
 * notify_off_multiplier (le32). */
static void add_cap(struct virtio_pci *vp, uint8_t type, uint32_t off,
		    uint32_t len, bool notify)
{
	uint8_t cap_len = notify ? 20 : 16;
	int at = pci_device_add_cap(&vp->pci, PCI_CAP_ID_VNDR, cap_len);
	uint8_t *c;

	if (at < 0)
		return;	/* cannot happen: four small capabilities fit */
	c = &vp->pci.cfg[at];
	c[2] = cap_len;
	c[3] = type;
	c[4] = 0;	/* BAR 0 */
	le_store(&c[8], off, 4);
	le_store(&c[12], len, 4);
	if (notify)
		le_store(&c[16], VIRTIO_PCI_NOTIFY_MULT, 4);
}

static void raise_interrupt(struct virtio_device *vdev, uint8_t bits)
{
	struct virtio_pci *vp = vdev->transport;

	if (bits & VIRTIO_ISR_CONFIG)
		vp->config_generation++;
	vp->isr |= bits;
	irq_pin_set(&vp->irq, 1);
}

void virtio_pci_init(struct virtio_pci *vp, struct virtio_device *vdev,
		     const struct irq_pin *irq, uint32_t bar_addr)
{
	const struct virtio_device_ops *ops = vdev->ops;

	memset(vp, 0, sizeof(*vp));
	vp->vdev = vdev;
	vp->irq = *irq;
	vdev->transport = vp;
	vdev->interrupt = raise_interrupt;
	pci_device_init(&vp->pci, ops->name, VIRTIO_PCI_VENDOR,
			(uint16_t)(0x1040 + ops->device_id), 1, ops->pci_class,
			VIRTIO_PCI_VENDOR, 0x40 + ops->device_id);
	pci_device_add_bar(&vp->pci, 0, VIRTIO_PCI_BAR_SIZE, false,
			   virtio_pci_bar_io, vp);
	pci_device_set_bar_addr(&vp->pci, 0, bar_addr);
	add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		VIRTIO_PCI_COMMON_LEN, false);
	add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		ops->num_queues * VIRTIO_PCI_NOTIFY_MULT, true);
	add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 4, false);
	if (ops->config_size)
		add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
			ops->config_size, false);
	pci_device_set_intx(&vp->pci, (uint8_t)irq->line, 1 /* INTA# */);
	/* Memory decoding on, as firmware leaves it. */
	vp->pci.cfg[PCI_COMMAND] = PCI_COMMAND_MEMORY;
}

static void transport_reset(struct virtio_pci *vp)
{
	vp->dfselect = 0;
	vp->gfselect = 0;
	vp->queue_select = 0;
	vp->isr = 0;
	irq_pin_set(&vp->irq, 0);
	virtio_device_reset(vp->vdev);
}

static struct virtq *selected_queue(struct virtio_pci *vp)
{
	if (vp->queue_select >= vp->vdev->ops->num_queues)
		return NULL;
	return &vp->vdev->vq[vp->queue_select];
}

/* FEATURES_OK sticks only if the driver took a subset including VERSION_1. */
static void write_status(struct virtio_pci *vp, uint8_t val)
{
	struct virtio_device *vdev = vp->vdev;
	uint64_t offered = vdev->ops->features(vdev);

	if (val == 0) {
		transport_reset(vp);
		return;
	}
	if ((val & VIRTIO_STATUS_FEATURES_OK) &&
	    !(vdev->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((vdev->driver_features & ~offered) ||
	     !(vdev->driver_features & VIRTIO_F_VERSION_1)))
		val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	vdev->status = (uint8_t)(val | (vdev->status & VIRTIO_STATUS_NEEDS_RESET));
}

static uint64_t read_common(struct virtio_pci *vp, unsigned int off)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtq *q = selected_queue(vp);
	uint64_t f;

	switch (off) {
	case VPCI_DFSELECT: return vp->dfselect;
	case VPCI_DF:
		f = vdev->ops->features(vdev);
		return vp->dfselect < 2 ? (uint32_t)(f >> (32 * vp->dfselect)) : 0;
	case VPCI_GFSELECT: return vp->gfselect;
	case VPCI_GF:
		f = vdev->driver_features;
		return vp->gfselect < 2 ? (uint32_t)(f >> (32 * vp->gfselect)) : 0;
	case VPCI_MSIX_CONFIG: return VIRTIO_MSI_NO_VECTOR;
	case VPCI_NUM_QUEUES: return vdev->ops->num_queues;
	case VPCI_STATUS: return vdev->status;
	case VPCI_CFG_GENERATION: return vp->config_generation;
	case VPCI_Q_SELECT: return vp->queue_select;
	case VPCI_Q_SIZE: return q ? q->size : 0;
	case VPCI_Q_MSIX: return VIRTIO_MSI_NO_VECTOR;
	case VPCI_Q_ENABLE: return q ? q->enabled : 0;
	case VPCI_Q_NOFF: return vp->queue_select;
	case VPCI_Q_DESC: return q ? q->desc_addr : 0;
	case VPCI_Q_DRIVER: return q ? q->avail_addr : 0;
	case VPCI_Q_DEVICE: return q ? q->used_addr : 0;
	}
	return 0;
}

/* A 32-bit half or a whole 64-bit queue address register. */
static void write_addr(uint64_t *reg, unsigned int half, unsigned int len,
		       uint64_t val)
{
	if (len == 8)
		*reg = val;
	else if (half)
		*reg = (*reg & 0xffffffffu) | (val << 32);
	else
		*reg = (*reg & ~0xffffffffull) | (uint32_t)val;
}

static void write_queue_reg(struct virtio_pci *vp, unsigned int off,
			    unsigned int len, uint64_t val)
{
	struct virtq *q = selected_queue(vp);
	unsigned int base = off & ~7u, half = (off & 4) != 0;

	if (!q || q->enabled)
		return;	/* changing a live queue is not allowed */
	if (off == VPCI_Q_SIZE) {
		if (val && val <= vp->vdev->ops->queue_max && !(val & (val - 1)))
			q->size = (uint16_t)val;
	} else if (off == VPCI_Q_ENABLE) {
		if (val == 1 && virtq_enable(q))
			virtio_device_broken(vp->vdev, "queue rings outside RAM");
	} else if (base == VPCI_Q_DESC) {
		write_addr(&q->desc_addr, half, len, val);
	} else if (base == VPCI_Q_DRIVER) {
		write_addr(&q->avail_addr, half, len, val);
	} else if (base == VPCI_Q_DEVICE) {
		write_addr(&q->used_addr, half, len, val);
	}
}

static void write_common(struct virtio_pci *vp, unsigned int off,
			 unsigned int len, uint64_t val)
{
	struct virtio_device *vdev = vp->vdev;
	uint64_t offered, half;

	switch (off) {
	case VPCI_DFSELECT: vp->dfselect = (uint32_t)val; return;
	case VPCI_GFSELECT: vp->gfselect = (uint32_t)val; return;
	case VPCI_GF:
		if (vp->gfselect >= 2 || (vdev->status & VIRTIO_STATUS_FEATURES_OK))
			return;
		offered = vdev->ops->features(vdev);
		half = (uint64_t)(uint32_t)val << (32 * vp->gfselect);
		vdev->driver_features &= ~(0xffffffffull << (32 * vp->gfselect));
		vdev->driver_features |= half & offered;
		if (half & ~offered)	/* remembered so FEATURES_OK fails */
			vdev->driver_features |= 1ull << 63;
		return;
	case VPCI_STATUS: write_status(vp, (uint8_t)val); return;
	case VPCI_Q_SELECT: vp->queue_select = (uint16_t)val; return;
	case VPCI_MSIX_CONFIG:
	case VPCI_Q_MSIX:
		return;	/* no MSI-X */
	}
	write_queue_reg(vp, off, len, val);
}

/* Natural-width access to a register of the common configuration. */
static void common_io(struct virtio_pci *vp, unsigned int off, uint8_t *data,
		      unsigned int len, bool is_write)
{
	if (off >= VIRTIO_PCI_COMMON_LEN) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		write_common(vp, off, len, le_load(data, len));
		return;
	}
	/* 64-bit registers may be read as two 32-bit halves. */
	if (off >= VPCI_Q_DESC && (off & 4) && len == 4)
		le_store(data, read_common(vp, off & ~7u) >> 32, 4);
	else
		le_store(data, read_common(vp, off), len);
}

void virtio_pci_notify(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_device *vdev = vp->vdev;

	if (q < vdev->ops->num_queues && vdev->vq[q].enabled &&
	    virtio_device_ready(vdev) && vdev->ops->queue_notify)
		vdev->ops->queue_notify(vdev, q);
}

void virtio_pci_resample(struct virtio_pci *vp)
{
	if (vp->isr)
		irq_pin_set(&vp->irq, 1);
}

int virtio_pci_bar_io(void *opaque, uint64_t off, void *data,
		      unsigned int len, bool is_write)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *vdev = vp->vdev;
	uint8_t *b = data;
	unsigned int o = (unsigned int)off;

	if (o < VIRTIO_PCI_ISR_OFF) {
		common_io(vp, o - VIRTIO_PCI_COMMON_OFF, b, len, is_write);
	} else if (o < VIRTIO_PCI_DEVICE_OFF) {
		if (is_write)
			return 0;
		memset(b, 0, len);
		if (o == VIRTIO_PCI_ISR_OFF) {	/* reading acknowledges */
			b[0] = vp->isr;
			vp->isr = 0;
			irq_pin_set(&vp->irq, 0);
		}
	} else if (o < VIRTIO_PCI_NOTIFY_OFF) {
		uint32_t co = o - VIRTIO_PCI_DEVICE_OFF;

		if (co >= vdev->ops->config_size || len > vdev->ops->config_size - co) {
			if (!is_write)
				memset(b, 0, len);
		} else if (is_write) {
			if (vdev->ops->config_write)
				vdev->ops->config_write(vdev, co, b, len);
		} else {
			vdev->ops->config_read(vdev, co, b, len);
		}
	} else if (is_write) {
		virtio_pci_notify(vp, (o - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT);
	} else {
		memset(b, 0, len);
	}
	return 0;
}
