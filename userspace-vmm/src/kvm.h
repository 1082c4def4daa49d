/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor, through KVM's ioctl ABI: /dev/kvm or /dev/khv. Only what
 * Documentation/abi.md lists for khv is used, so the same calls work on
 * both: the system, VM and vCPU fds, one memory slot, the vCPU's CPUID,
 * registers and segment state, KVM_RUN, KVM_INTERRUPT, immediate_exit.
 */
#ifndef KHV_VMM_KVM_H
#define KHV_VMM_KVM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct hv {
	const char *dev;
	int sys_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
};

/* Open the device, check the API version and capabilities, create a VM. */
int hv_open(struct hv *hv, const char *dev);
void hv_close(struct hv *hv);
/* Guest RAM as memory slot 0 at guest physical 0. */
int hv_set_ram(struct hv *hv, void *host, uint64_t size);
/* Create vCPU 0, map its kvm_run, give it the filtered CPUID. */
int hv_create_vcpu(struct hv *hv);
/* Long mode at `entry` with RSI = zero page; see boot.h for the tables. */
int hv_setup_long_mode(struct hv *hv, uint64_t entry, uint64_t zero_page);
/* KVM_INTERRUPT with an external interrupt vector. */
int hv_interrupt(struct hv *hv, uint8_t vector);
/* Print the vCPU's registers to stderr (after a fatal exit). */
void hv_dump_regs(struct hv *hv);

/*
 * The CPUID the guest gets: the hypervisor's supported table minus
 * x2APIC and TSC-deadline (no in-kernel LAPIC) and minus KVM's
 * paravirtual features, so a guest sees the same machine on KVM and khv.
 * Exposed for tests.
 */
void hv_filter_cpuid(struct kvm_cpuid2 *cpuid);

#endif
