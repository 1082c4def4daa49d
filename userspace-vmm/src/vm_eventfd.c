// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-pci devices on ioeventfds and irqfds (see vm.h).
 *
 * Notifications: each queue's notify register (BAR0 + 0x3000 + 4 * q)
 * is an ioeventfd that matches the 2-byte queue index Linux writes there;
 * the write completes in the kernel and the I/O thread runs the queue.
 * The ioeventfds follow BAR0 when the guest moves it or turns decoding
 * off (the PCI BAR hook). A write the ioeventfd does not match (another
 * width or value) still exits and reaches the same code through the bus.
 *
 * Interrupts: INTx is level-triggered, so the irqfd has a resample fd
 * (KVM_IRQFD_FLAG_RESAMPLE): a signal raises the GSI and the hypervisor
 * holds it until the guest's EOI; then it drops the line and signals the
 * resample fd, and the I/O thread raises it again if the device's ISR
 * still has unread bits. Reading ISR cannot drop the line early, which
 * is harmless: the guest's handler reads ISR before its EOI.
 */
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct queue_fd {
	struct virtio_fds *dev;
	unsigned int q;
	int fd;
};

struct virtio_fds {
	struct vm *vm;
	struct virtio_pci *vp;
	unsigned int nr_queues;
	struct queue_fd queue[VIRTIO_MAX_QUEUES];
	bool assigned;			/* the ioeventfds are at notify_bar */
	uint64_t notify_bar;
	int irq_fd, resample_fd;	/* -1 without irqfd */
	uint64_t notifies, resamples;	/* [lock] statistics */
};

static int new_eventfd(const char *what, const char *dev)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return vmm_err(-errno, "%s: eventfd for %s", dev, what);
	return fd;
}

/* I/O thread, lock held: the driver notified a queue. */
static void on_notify(void *ctx)
{
	struct queue_fd *qf = ctx;

	qf->dev->notifies++;
	virtio_pci_notify(qf->dev->vp, qf->q);
}

/* I/O thread, lock held: the guest EOI'd the line; raise it if still due. */
static void on_resample(void *ctx)
{
	struct virtio_fds *f = ctx;

	f->resamples++;
	virtio_pci_resample(f->vp);
}

/* The INTx pin through the irqfd: a raise signals it, a drop waits for EOI. */
static void irqfd_pin_set(void *ctx, unsigned int line, unsigned int source,
			  int level)
{
	struct virtio_fds *f = ctx;
	uint64_t one = 1;

	(void)line;
	(void)source;
	if (level && write(f->irq_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		vmm_err(-errno, "%s: irqfd", f->vp->vdev->ops->name);
}

/* Assign (or deassign) every queue's ioeventfd at BAR0 = bar. */
static int assign(struct virtio_fds *f, uint64_t bar, bool on)
{
	for (unsigned int q = 0; q < f->nr_queues; q++) {
		int r = hv_ioeventfd(&f->vm->hv, virtio_pci_notify_addr(bar, q), 2, q,
				     f->queue[q].fd, on);

		if (r)
			return r;
	}
	return 0;
}

/* The PCI BAR hook: keep the ioeventfds where the guest decodes BAR0. */
static void bar_moved(void *ctx, unsigned int idx, uint64_t addr, bool decoded)
{
	struct virtio_fds *f = ctx;

	if (idx != 0)
		return;
	if (f->assigned && (!decoded || addr != f->notify_bar)) {
		f->assigned = false;
		if (assign(f, f->notify_bar, false))
			vm_stop_locked(f->vm, VM_ERROR);
	}
	if (decoded && !f->assigned) {
		if (assign(f, addr, true)) {
			vm_stop_locked(f->vm, VM_ERROR);
			return;
		}
		f->assigned = true;
		if (addr != f->notify_bar)	/* not again for each BAR probe */
			vmm_debug("%s: queue notify ioeventfds at %#llx",
				  f->vp->vdev->ops->name,
				  (unsigned long long)virtio_pci_notify_addr(addr, 0));
		f->notify_bar = addr;
	}
}

static int setup_notify(struct virtio_fds *f)
{
	const char *name = f->vp->vdev->ops->name;

	for (unsigned int q = 0; q < f->nr_queues; q++) {
		struct queue_fd *qf = &f->queue[q];

		qf->dev = f;
		qf->q = q;
		qf->fd = new_eventfd("a queue", name);
		if (qf->fd < 0)
			return qf->fd;
		if (iothread_add(&f->vm->io, qf->fd, on_notify, qf))
			return vmm_err(-ENOSPC, "%s: too many eventfds for the I/O thread",
				       name);
	}
	pci_device_set_bar_hook(&f->vp->pci, bar_moved, f);
	return 0;
}

static int setup_irqfd(struct virtio_fds *f)
{
	const char *name = f->vp->vdev->ops->name;
	unsigned int gsi = f->vp->irq.line;
	int r;

	f->irq_fd = new_eventfd("its irqfd", name);
	if (f->irq_fd < 0)
		return f->irq_fd;
	f->resample_fd = new_eventfd("its resample fd", name);
	if (f->resample_fd < 0)
		return f->resample_fd;
	r = hv_irqfd(&f->vm->hv, gsi, f->irq_fd, f->resample_fd);
	if (r)
		return r;
	if (iothread_add(&f->vm->io, f->resample_fd, on_resample, f))
		return vmm_err(-ENOSPC, "%s: too many eventfds for the I/O thread",
			       name);
	f->vp->irq = (struct irq_pin){ irqfd_pin_set, f, gsi, 0 };
	return 0;
}

int virtio_fds_setup(struct vm *vm, struct virtio_pci *vp,
		     struct virtio_fds **out)
{
	struct virtio_fds *f = calloc(1, sizeof(*f));
	int r = 0;

	*out = f;
	if (!f)
		return -ENOMEM;
	f->vm = vm;
	f->vp = vp;
	f->nr_queues = vp->vdev->ops->num_queues;
	f->irq_fd = f->resample_fd = -1;
	if (vm->use_ioeventfd)
		r = setup_notify(f);
	if (!r && vm->use_irqfd)
		r = setup_irqfd(f);
	return r;
}

void virtio_fds_dump(const struct virtio_fds *f)
{
	fprintf(stderr, "khv-vmm: %s: %s%s, %llu ioeventfd notifies, %llu resamples, isr %02x\n",
		f->vp->vdev->ops->name,
		f->assigned ? "ioeventfds" : "notify by exits",
		f->irq_fd >= 0 ? ", irqfd" : "",
		(unsigned long long)f->notifies, (unsigned long long)f->resamples,
		f->vp->isr);
}
