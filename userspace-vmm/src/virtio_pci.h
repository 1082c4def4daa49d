/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio 1.x PCI transport, modern only (device IDs 0x1040 + type,
 * revision 1). One 32-bit memory BAR holds the common configuration, ISR,
 * device configuration and notification areas, each described by a vendor
 * capability (virtio 1.x, 4.1.4). Each queue has its own notify
 * register (multiplier 4), so a VMM can put an ioeventfd on each. The
 * interrupt is INTx, level-triggered: raised with an ISR bit, dropped when
 * the driver reads ISR. No MSI-X, so the MSI-X vector registers read back
 * NO_VECTOR.
 */
#ifndef KHV_VMM_VIRTIO_PCI_H
#define KHV_VMM_VIRTIO_PCI_H

#include "irq.h"
#include "pci.h"
#include "virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_BAR_SIZE 0x4000
/* Layout of the BAR. */
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_COMMON_LEN 0x38
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4

/* Common configuration registers (virtio 1.x, 4.1.4.3). */
#define VPCI_DFSELECT 0x00
#define VPCI_DF 0x04
#define VPCI_GFSELECT 0x08
#define VPCI_GF 0x0c
#define VPCI_MSIX_CONFIG 0x10
#define VPCI_NUM_QUEUES 0x12
#define VPCI_STATUS 0x14
#define VPCI_CFG_GENERATION 0x15
#define VPCI_Q_SELECT 0x16
#define VPCI_Q_SIZE 0x18
#define VPCI_Q_MSIX 0x1a
#define VPCI_Q_ENABLE 0x1c
#define VPCI_Q_NOFF 0x1e
#define VPCI_Q_DESC 0x20
#define VPCI_Q_DRIVER 0x28
#define VPCI_Q_DEVICE 0x30

#define VIRTIO_MSI_NO_VECTOR 0xffff

struct virtio_pci {
	struct pci_device pci;
	struct virtio_device *vdev;
	struct irq_pin irq;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	uint8_t isr;
	uint8_t config_generation;
};

/* Set up the PCI function for vdev; plug it in with pci_host_add(). */
void virtio_pci_init(struct virtio_pci *vp, struct virtio_device *vdev,
		     const struct irq_pin *irq, uint32_t bar_addr);

/* Queue q's notify register when BAR0 is at bar_addr. */
static inline uint64_t virtio_pci_notify_addr(uint64_t bar_addr, unsigned int q)
{
	return bar_addr + VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT;
}

/* The driver notified queue q (through the register or an ioeventfd). */
void virtio_pci_notify(struct virtio_pci *vp, unsigned int q);

/*
 * The hypervisor dropped the INTx line at the guest's EOI (an irqfd's
 * resample): raise it again if an ISR bit is still unread.
 */
void virtio_pci_resample(struct virtio_pci *vp);

/* The BAR's bus handler (exposed for tests); opaque is the virtio_pci. */
int virtio_pci_bar_io(void *opaque, uint64_t off, void *data,
		      unsigned int len, bool is_write);

#endif
