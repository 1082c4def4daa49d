/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine: guest RAM, the I/O bus and every device on it, the
 * interrupt controllers, the helper threads (timer, console input, I/O,
 * virtio-net receive) and one thread per vCPU.
 *
 * Two interrupt set-ups. With the hypervisor's in-kernel irqchip (the
 * default when it has KVM_CAP_IRQCHIP): LAPICs, IOAPIC and PIC pair in
 * the kernel, and the PIT too with KVM_CAP_PIT2; devices drive their ISA
 * lines with KVM_IRQ_LINE, virtio devices through irqfds; the guest
 * finds its N vCPUs in an MP table. Without it (one vCPU only): the PIC
 * and PIT emulated here, interrupts injected with KVM_INTERRUPT.
 *
 * Locking: one mutex, vm->lock, guards all device state, the bus and the
 * fields below marked [lock]. A vCPU thread holds it while it handles an
 * exit and drops it around KVM_RUN; every helper thread holds it while it
 * touches a device. Nothing else is locked, so there is no lock order.
 */
#ifndef KHV_VMM_VM_H
#define KHV_VMM_VM_H

#include "bus.h"
#include "cmos_rtc.h"
#include "config.h"
#include "guest_mem.h"
#include "i8042.h"
#include "i8254.h"
#include "i8259.h"
#include "iothread.h"
#include "irq.h"
#include "kvm.h"
#include "pci.h"
#include "serial8250.h"
#include "sysctl_ports.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_pci.h"

#include <pthread.h>
#include <stdbool.h>

/* Why the machine stopped; the process exit status is the value. */
enum vm_stop {
	VM_RUNNING = -1,
	VM_POWEROFF = 0,	/* every vCPU halted with interrupts off */
	VM_ERROR = 1,		/* a VMM or hypervisor error */
	VM_RESET = 2,		/* the guest asked for a reset (reboot, panic) */
	VM_QUIT = 3,		/* Ctrl-a x on the console */
};

#define VM_PCI_MMIO_BASE 0xd0000000u
#define VM_EXIT_STATS 64
#define VM_MAX_VIRTIO (VMM_MAX_DISKS + 1)

struct vm;

struct vcpu {
	struct vm *vm;
	struct hv_vcpu hv;
	pthread_t thread;
	bool started;			/* the thread exists */
	bool in_guest;			/* [lock] between the locks around KVM_RUN */
	bool kick_sent;			/* [lock] a kick signal is on its way */
	uint32_t poll_gen;		/* [lock] the last stop poll it answered */
	struct hv_stop_answer poll_answer;	/* [lock] its answer then, and why */
	uint32_t last_exit;		/* [lock] */
	uint64_t nr_exits;		/* [lock] */
};

/* A virtio-pci device on ioeventfds and an irqfd (vm_eventfd.c). */
struct virtio_fds;

struct vm {
	pthread_mutex_t lock;
	pthread_cond_t halt_cond;	/* vCPU halted: an interrupt or stop */
	pthread_cond_t timer_cond;	/* the PIT was reprogrammed, or stop */
	pthread_cond_t uart_cond;	/* room in the UART receive FIFO */
	struct hv hv;
	bool kernel_irqchip;		/* LAPICs, IOAPIC, PIC in the hypervisor */
	bool kernel_pit;		/* the PIT (and port 0x61) too */
	bool use_ioeventfd, use_irqfd;
	struct guest_mem mem;
	struct bus bus;
	struct i8259 pic;		/* without kernel_irqchip */
	struct irq_lines lines;		/* [lock] the ISA lines' sources */
	struct i8254 pit;		/* without kernel_pit */
	struct serial8250 uart;
	struct cmos_rtc rtc;
	struct sysctl_ports sysctl;
	struct i8042 kbc;
	struct pci_host pci;
	struct virtio_blk *blk[VMM_MAX_DISKS];
	struct virtio_pci *blk_pci[VMM_MAX_DISKS];
	unsigned int nr_blk;
	struct virtio_net *net;
	struct virtio_pci *net_pci;
	struct virtio_fds *virtio_fds[VM_MAX_VIRTIO];	/* or NULL */
	unsigned int nr_virtio_pci;	/* BARs and IRQs handed out so far */
	struct iothread io;
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	enum vm_stop stop;		/* [lock] */
	/* Power-off detection with the in-kernel irqchip: each poll asks
	 * every vCPU whether it has stopped for good. [lock] */
	uint32_t poll_gen;
	unsigned int poll_stopped;	/* vCPUs that said so in this poll */
	uint64_t unhandled[BUS_NR_SPACES];	/* [lock] accesses nobody took */
	/* Statistics for the SIGUSR2 state dump. [lock] */
	uint64_t exits[VM_EXIT_STATS];	/* by kvm_run exit_reason */
	uint64_t injected;		/* KVM_INTERRUPT calls */
	uint8_t last_vector;
	uint64_t halt_waits;
	uint64_t irq_lines_set;		/* KVM_IRQ_LINE calls */
	uint32_t port_exits[65536];	/* port I/O exits by port */
};

/* Build the machine described by cfg; errors are reported. */
int vm_create(struct vm *vm, const struct vmm_config *cfg);
/* Run until the guest stops; returns the exit status (enum vm_stop). */
int vm_run(struct vm *vm);

/* Request a stop (lock held): every vCPU leaves its loop. */
void vm_stop_locked(struct vm *vm, enum vm_stop why);
/* Make a vCPU leave KVM_RUN and look at the machine again (lock held). */
void vcpu_kick_locked(struct vcpu *v);

/* Print the machine's state to stderr (lock held; SIGUSR2 asks for it). */
void vm_dump_locked(struct vm *vm);

/* The SIGUSR1 handler that kicks vCPUs (vcpu.c): 0 or a negative errno. */
int vcpu_install_kick_handler(void);
/* A vCPU's thread (vcpu.c); arg is its struct vcpu. */
void *vcpu_thread(void *arg);
/* Ask every vCPU whether it has stopped for good (lock held, vcpu.c). */
void vm_poll_stopped_locked(struct vm *vm);

/*
 * A virtio-pci device's eventfds (vm_eventfd.c), after virtio_pci_init()
 * and before pci_host_add(): if vm->use_ioeventfd, an eventfd per queue,
 * served by the I/O thread and registered as an ioeventfd on the queue's
 * notify register wherever the guest decodes BAR0; if vm->use_irqfd, an
 * irqfd with a resample fd on the GSI of vp's INTx line, which then
 * drives that line. 0 or a negative errno (reported).
 */
int virtio_fds_setup(struct vm *vm, struct virtio_pci *vp,
		     struct virtio_fds **out);
/* One line of its state for the dump (lock held). */
void virtio_fds_dump(const struct virtio_fds *f);

#endif
