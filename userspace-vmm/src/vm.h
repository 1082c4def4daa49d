/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine: guest RAM, the I/O bus and every device on it, interrupt
 * lines into the PIC, the helper threads (PIT timer, console input,
 * virtio-net receive) and the single vCPU.
 *
 * Locking: one mutex, vm->lock, guards all device state, the bus and the
 * fields below marked [lock]. The vCPU thread holds it while it handles an
 * exit or injects an interrupt and drops it around KVM_RUN; each helper
 * thread holds it while it touches a device. Nothing else is locked, so
 * there is no lock order.
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
	VM_POWEROFF = 0,	/* the guest halted with interrupts off */
	VM_ERROR = 1,		/* a VMM or hypervisor error */
	VM_RESET = 2,		/* the guest asked for a reset (reboot, panic) */
	VM_QUIT = 3,		/* Ctrl-a x on the console */
};

#define VM_PCI_MMIO_BASE 0xd0000000u
#define VM_EXIT_STATS 64

struct vm {
	pthread_mutex_t lock;
	pthread_cond_t halt_cond;	/* vCPU halted: an interrupt or stop */
	pthread_cond_t pit_cond;	/* the PIT was reprogrammed, or stop */
	pthread_cond_t uart_cond;	/* room in the UART receive FIFO */
	struct hv hv;
	struct guest_mem mem;
	struct bus bus;
	struct i8259 pic;
	uint16_t line_sources[16];	/* [lock] sources holding each line high */
	uint8_t pins_on_line[16];	/* pins wired to each line (set-up only) */
	struct i8254 pit;
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
	unsigned int nr_virtio_pci;	/* BARs and IRQs handed out so far */
	pthread_t vcpu_thread;
	bool in_guest;			/* [lock] between the locks around KVM_RUN */
	bool kick_sent;			/* [lock] a kick signal is on its way */
	enum vm_stop stop;		/* [lock] */
	uint64_t unhandled[BUS_NR_SPACES];	/* [lock] accesses nobody took */
	/* Statistics for the SIGUSR2 state dump. [lock] */
	uint64_t exits[VM_EXIT_STATS];	/* by kvm_run exit_reason */
	uint64_t injected;		/* KVM_INTERRUPT calls */
	uint8_t last_vector;
	uint32_t last_exit;
	uint64_t halt_waits;
	uint32_t port_exits[65536];	/* port I/O exits by port */
};

/* Build the machine described by cfg; errors are reported. */
int vm_create(struct vm *vm, const struct vmm_config *cfg);
/* Run until the guest stops; returns the exit status (enum vm_stop). */
int vm_run(struct vm *vm);

/* Request a stop (lock held). */
void vm_stop_locked(struct vm *vm, enum vm_stop why);
/* Make the vCPU look at the PIC again (lock held). */
void vm_kick_locked(struct vm *vm);

/* Print the machine's state to stderr (lock held; SIGUSR2 asks for it). */
void vm_dump_locked(struct vm *vm);

/* The vCPU loop (vcpu.c). */
int vcpu_loop(struct vm *vm);

#endif
