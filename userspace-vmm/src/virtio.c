// SPDX-License-Identifier: GPL-2.0
/* Transport-independent virtio device state. See virtio.h. */
#include "virtio.h"

#include "util.h"

#include <string.h>

void virtio_device_init(struct virtio_device *vdev,
			const struct virtio_device_ops *ops,
			const struct guest_mem *mem)
{
	memset(vdev, 0, sizeof(*vdev));
	vdev->ops = ops;
	vdev->mem = mem;
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		virtq_reset(&vdev->vq[q], mem, ops->queue_max);
}

void virtio_device_reset(struct virtio_device *vdev)
{
	vdev->driver_features = 0;
	vdev->status = 0;
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		virtq_reset(&vdev->vq[q], vdev->mem, vdev->ops->queue_max);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

bool virtio_device_ready(const struct virtio_device *vdev)
{
	return (vdev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vdev->status & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_queue_signal(struct virtio_device *vdev, unsigned int q)
{
	if (q < VIRTIO_MAX_QUEUES && virtq_interrupt_wanted(&vdev->vq[q]) &&
	    vdev->interrupt)
		vdev->interrupt(vdev, VIRTIO_ISR_QUEUE);
}

void virtio_device_broken(struct virtio_device *vdev, const char *why)
{
	if (vdev->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vmm_msg("%s: %s; device needs reset", vdev->ops->name, why);
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vdev->interrupt)
		vdev->interrupt(vdev, VIRTIO_ISR_CONFIG);
}
