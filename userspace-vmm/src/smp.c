// SPDX-License-Identifier: GPL-2.0
/* vCPU count and per-vCPU CPUID. See smp.h. */
#include "smp.h"

#include "config.h"
#include "mptable.h"

#include <errno.h>
#include <stdio.h>

#define KVM_DEFAULT_MAX_VCPUS 4	/* "if KVM_CAP_NR_VCPUS is absent, 4" */

_Static_assert(VMM_MAX_CPUS == MPTABLE_MAX_CPUS, "--cpus and the MP table agree");

int smp_check_cpus(unsigned int cpus, const struct smp_caps *caps,
		   const char *dev, char *err, size_t errlen)
{
	long max = caps->max_vcpus > 0 ? caps->max_vcpus :
		   caps->nr_vcpus > 0 ? caps->nr_vcpus : KVM_DEFAULT_MAX_VCPUS;

	if (cpus > 1 && !caps->irqchip) {
		snprintf(err, errlen,
			 "--cpus %u: more than one vCPU needs the in-kernel irqchip "
			 "(KVM_CAP_IRQCHIP), which %s does not have", cpus, dev);
		return -EINVAL;
	}
	if (cpus > MPTABLE_MAX_CPUS || (long)cpus > max) {
		snprintf(err, errlen, "--cpus %u: %s runs at most %ld vCPUs "
			 "(KVM_CAP_MAX_VCPUS)", cpus, dev,
			 max < MPTABLE_MAX_CPUS ? max : MPTABLE_MAX_CPUS);
		return -EINVAL;
	}
	if (caps->max_vcpu_id > 0 && (long)cpus > caps->max_vcpu_id) {
		snprintf(err, errlen, "--cpus %u: %s takes vCPU IDs below %ld "
			 "(KVM_CAP_MAX_VCPU_ID)", cpus, dev, caps->max_vcpu_id);
		return -EINVAL;
	}
	return 0;
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

void cpuid_filter(struct kvm_cpuid2 *c, bool irqchip)
{
	struct kvm_cpuid_entry2 *e = find_leaf(c, 1), *sig;

	if (e) {
		/* a hypervisor's guest: KVM leaves this bit to the VMM */
		e->ecx |= 1u << 31;
		e->ecx &= ~(1u << 24);		/* TSC-deadline timer */
		if (!irqchip) {
			e->ecx &= ~(1u << 21);	/* x2APIC */
			e->edx &= ~(1u << 9);	/* APIC: the LAPIC is disabled */
		}
	}
	sig = find_leaf(c, 0x40000000);
	/* "KVMKVMKVM\0\0\0": hide kvmclock and the other PV features. */
	if (sig && sig->ebx == 0x4b4d564b && sig->ecx == 0x564b4d56 &&
	    sig->edx == 0x4d) {
		e = find_leaf(c, 0x40000001);
		if (e)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}

/* Leaves 0xB and 0x1F, subleaf n: level n+1 of SMT (1), core (2), none. */
static void extended_topology(struct kvm_cpuid_entry2 *e, unsigned int id)
{
	uint32_t level = e->index, type = level == 0 ? 1 : level == 1 ? 2 : 0;

	e->eax = 0;			/* no APIC ID bits for the level below */
	e->ebx = type ? 1 : 0;		/* one logical processor */
	e->ecx = type << 8 | (level & 0xff);
	e->edx = id;			/* x2APIC ID */
}

void cpuid_set_topology(struct kvm_cpuid2 *c, unsigned int id)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0xffff) | 1u << 16 | (id & 0xff) << 24;
			e->edx &= ~(1u << 28);	/* HTT: one logical processor */
			break;
		case 4:
		case 0x8000001d:
			/* cores per package - 1 (leaf 4) and sharing the cache - 1 */
			e->eax &= e->function == 4 ? 0x00003fffu : 0xfc003fffu;
			break;
		case 0xb:
		case 0x1f:
			extended_topology(e, id);
			break;
		case 0x80000008:
			e->ecx &= ~0xf0ffu;	/* ApicIdCoreIdSize 0, one core */
			break;
		case 0x8000001e:
			e->eax = id;		/* extended APIC ID */
			e->ebx = 0;		/* core 0, one thread per core */
			e->ecx = 0;		/* node 0, one node */
			break;
		}
	}
}
