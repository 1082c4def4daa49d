/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtio devices, independent of their transport (virtio 1.x). A device
 * model fills a const struct virtio_device_ops and embeds a struct
 * virtio_device; a transport (virtio_pci.c) owns the registers, feature
 * negotiation and interrupts, and calls the ops.
 */
#ifndef KHV_VMM_VIRTIO_H
#define KHV_VMM_VIRTIO_H

#include "guest_mem.h"
#include "virtqueue.h"

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_F_VERSION_1 (1ULL << 32)

#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

#define VIRTIO_ISR_QUEUE 0x01
#define VIRTIO_ISR_CONFIG 0x02

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

#define VIRTIO_MAX_QUEUES 4

struct virtio_device;

struct virtio_device_ops {
	const char *name;
	uint16_t device_id;	/* virtio device type */
	uint32_t pci_class;	/* class code for a PCI transport */
	unsigned int num_queues;
	uint16_t queue_max;	/* largest queue size (a power of 2) */
	uint32_t config_size;	/* bytes of device configuration space */
	uint64_t (*features)(struct virtio_device *vdev);
	void (*config_read)(struct virtio_device *vdev, uint32_t off,
			    void *data, unsigned int len);
	void (*config_write)(struct virtio_device *vdev, uint32_t off,
			     const void *data, unsigned int len);
	/* The driver notified queue q (DRIVER_OK, queue enabled). */
	void (*queue_notify)(struct virtio_device *vdev, unsigned int q);
	/* The device was reset by the driver (queues already reset). */
	void (*reset)(struct virtio_device *vdev);
};

struct virtio_device {
	const struct virtio_device_ops *ops;
	const struct guest_mem *mem;
	uint64_t driver_features;
	uint8_t status;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	/* Set by the transport: raise ISR bits and the interrupt. */
	void (*interrupt)(struct virtio_device *vdev, uint8_t isr_bits);
	void *transport;
};

void virtio_device_init(struct virtio_device *vdev,
			const struct virtio_device_ops *ops,
			const struct guest_mem *mem);
/* Back to the state after power-on; calls ops->reset. */
void virtio_device_reset(struct virtio_device *vdev);
bool virtio_device_ready(const struct virtio_device *vdev);
/* After pushing used buffers on q: interrupt unless the driver opted out. */
void virtio_queue_signal(struct virtio_device *vdev, unsigned int q);
/* The driver broke a queue: flag NEEDS_RESET and tell it. */
void virtio_device_broken(struct virtio_device *vdev, const char *why);

#endif
