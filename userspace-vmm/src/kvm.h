/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor, through KVM's ioctl ABI: /dev/kvm or /dev/khv. Only what
 * Documentation/abi.md lists for khv is used, so the same calls work on
 * both: the system, VM and vCPU fds, one memory slot, the in-kernel
 * irqchip and PIT, KVM_IRQ_LINE, ioeventfds and irqfds, the vCPUs' CPUID,
 * registers, segment state and MP state, KVM_RUN, KVM_INTERRUPT,
 * immediate_exit.
 */
#ifndef KHV_VMM_KVM_H
#define KHV_VMM_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The optional capabilities khv-vmm uses when the hypervisor has them. */
struct hv_caps {
	bool irqchip;		/* KVM_CAP_IRQCHIP */
	bool pit2;		/* KVM_CAP_PIT2 */
	bool ioeventfd;		/* KVM_CAP_IOEVENTFD */
	bool irqfd;		/* KVM_CAP_IRQFD */
	bool irqfd_resample;	/* KVM_CAP_IRQFD_RESAMPLE */
	long max_vcpus;		/* KVM_CAP_MAX_VCPUS */
	long nr_vcpus;		/* KVM_CAP_NR_VCPUS */
	long max_vcpu_id;	/* KVM_CAP_MAX_VCPU_ID */
};

struct hv {
	const char *dev;
	int sys_fd, vm_fd;
	size_t run_size;
	struct hv_caps caps;
};

struct hv_vcpu {
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

/* Open the device, check the API version and capabilities, create a VM. */
int hv_open(struct hv *hv, const char *dev);
/* KVM_CREATE_IRQCHIP, then KVM_CREATE_PIT2 (port 0x61 too) if `pit`. */
int hv_create_irqchip(struct hv *hv, bool pit);
/* Guest RAM as memory slot 0 at guest physical 0. */
int hv_set_ram(struct hv *hv, void *host, uint64_t size);
/* The supported CPUID table (malloc'd; the caller frees it). */
int hv_supported_cpuid(struct hv *hv, struct kvm_cpuid2 **out);
/* Create vCPU `id`, map its kvm_run, give it `cpuid`. */
int hv_create_vcpu(struct hv *hv, struct hv_vcpu *v, unsigned int id,
		   const struct kvm_cpuid2 *cpuid);
/*
 * Long mode at `entry` with RSI = zero page; see boot.h for the tables.
 * `lapic`: the APIC base MSR's global enable bit (in-kernel LAPIC).
 */
int hv_setup_long_mode(struct hv_vcpu *v, uint64_t entry, uint64_t zero_page,
		       bool lapic);
/* KVM_INTERRUPT with an external interrupt vector. */
int hv_interrupt(struct hv_vcpu *v, uint8_t vector);
/* KVM_IRQ_LINE: drive `gsi` of the in-kernel irqchip. */
int hv_irq_line(struct hv *hv, unsigned int gsi, int level);
/*
 * KVM_IOEVENTFD on an MMIO address: writes of `len` bytes of `value` to
 * `addr` signal `fd` (assign) or no longer do (deassign).
 */
int hv_ioeventfd(struct hv *hv, uint64_t addr, unsigned int len,
		 uint64_t value, int fd, bool assign);
/* KVM_IRQFD: `fd` raises `gsi`, held until EOI, `resample_fd` told then. */
int hv_irqfd(struct hv *hv, unsigned int gsi, int fd, int resample_fd);
/*
 * Has the vCPU stopped for good? True if it halted with interrupts
 * disabled (KVM_MP_STATE_HALTED and RFLAGS.IF clear) or never left, or
 * went back to, the wait for INIT (UNINITIALIZED, INIT_RECEIVED). Only
 * from the vCPU's own thread, outside KVM_RUN. 0 or a negative errno;
 * a->stopped is the answer, the rest what it was made of (state dumps).
 */
struct hv_stop_answer {
	bool stopped;
	uint32_t mp_state;
	uint64_t rip, rflags;
};
int hv_vcpu_stopped(struct hv_vcpu *v, struct hv_stop_answer *a);
/* Print the vCPU's registers to stderr (outside KVM_RUN). */
void hv_dump_regs(struct hv_vcpu *v);

#endif
