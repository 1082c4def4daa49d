/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's processors as the guest sees them: how many vCPUs the
 * hypervisor allows, and the CPUID each vCPU gets. Every vCPU is a
 * package of its own (one core, one thread) whose APIC ID is its vCPU
 * index, the same ID the MP table (mptable.h) gives it. Pure.
 */
#ifndef KHV_VMM_SMP_H
#define KHV_VMM_SMP_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the hypervisor says (KVM_CHECK_EXTENSION results, 0 if absent). */
struct smp_caps {
	bool irqchip;		/* KVM_CAP_IRQCHIP and the VMM uses it */
	long max_vcpus;		/* KVM_CAP_MAX_VCPUS */
	long nr_vcpus;		/* KVM_CAP_NR_VCPUS */
	long max_vcpu_id;	/* KVM_CAP_MAX_VCPU_ID */
};

/*
 * May `cpus` vCPUs run on `dev`? 0, or -EINVAL with one line in err:
 * more than one vCPU needs the in-kernel irqchip; at most
 * KVM_CAP_MAX_VCPUS (else KVM_CAP_NR_VCPUS, else 4, as KVM's API
 * document says), and IDs below KVM_CAP_MAX_VCPU_ID when it is set.
 */
int smp_check_cpus(unsigned int cpus, const struct smp_caps *caps,
		   const char *dev, char *err, size_t errlen);

/*
 * The hypervisor's supported CPUID, made the guest's: plus the HYPERVISOR
 * bit (leaf 1 ECX bit 31, which KVM and khv leave to the VMM), minus
 * TSC-deadline and KVM's paravirtual features (so the guest sees the same
 * machine on KVM and khv), and minus the APIC and x2APIC when there is no
 * in-kernel local APIC (`irqchip` false).
 */
void cpuid_filter(struct kvm_cpuid2 *c, bool irqchip);

/*
 * vCPU `id`'s topology: initial APIC ID `id` (leaf 1 EBX[31:24], the
 * x2APIC ID in leaves 0xB and 0x1F, the extended APIC ID in 0x8000001E),
 * one logical processor per package (leaf 1 HTT clear, leaves 4, 0xB,
 * 0x1F, 0x80000008, 0x8000001D and 0x8000001E say one core, one thread).
 * Only leaves the table has are changed.
 */
void cpuid_set_topology(struct kvm_cpuid2 *c, unsigned int id);

#endif
