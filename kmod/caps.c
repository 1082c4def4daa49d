// SPDX-License-Identifier: GPL-2.0
/*
 * The capability table: one line per KVM_CAP_* that khv implements. Every
 * capability not listed answers 0, so adding a line here is a claim that
 * the feature works (and has a selftest). Pure code: see khv_pure.h.
 */
#include <linux/kvm.h>
#include "caps.h"
#include "memslot.h"

struct khv_cap {
	u32 cap;
	long value;					/* when !compute */
	long (*compute)(const struct khv_host_info *host);
	bool runs;					/* needs a backend that runs guests */
};

static long khv_cap_nr_vcpus(const struct khv_host_info *host)
{
	/* KVM's "recommended" vCPU count: no more than the host can run. */
	u32 n = host->online_cpus ? host->online_cpus : 1;

	return n < KHV_MAX_VCPUS ? n : KHV_MAX_VCPUS;
}

static long khv_cap_xsave2(const struct khv_host_info *host)
{
	return host->xsave_size;
}

/* As KVM: KVM_GET/SET_XCRS only where the host has XSAVE. */
static long khv_cap_xcrs(const struct khv_host_info *host)
{
	return host->xsave;
}

static const struct khv_cap khv_caps[] = {
	{ KVM_CAP_NR_VCPUS,		.compute = khv_cap_nr_vcpus },
	{ KVM_CAP_MAX_VCPUS,		.value = KHV_MAX_VCPUS },
	{ KVM_CAP_MAX_VCPU_ID,		.value = KHV_MAX_VCPU_IDS },
	{ KVM_CAP_SET_BOOT_CPU_ID,	.value = 1, .runs = true },
	{ KVM_CAP_MSR_PLATFORM_INFO,	.value = 1, .runs = true },
	{ KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .value = 1, .runs = true },
	{ KVM_CAP_GET_MSR_FEATURES,	.value = 1, .runs = true },
	{ KVM_CAP_DISABLE_QUIRKS2,	.value = KHV_QUIRKS, .runs = true },
	/* msr.c: failed RDMSR/WRMSR to user space, MSR filters */
	{ KVM_CAP_X86_USER_SPACE_MSR,	.value = 1, .runs = true },
	{ KVM_CAP_X86_MSR_FILTER,	.value = 1, .runs = true },
	{ KVM_CAP_SYNC_REGS,		.value = KVM_SYNC_X86_VALID_FIELDS, .runs = true },
	{ KVM_CAP_CHECK_EXTENSION_VM,	.value = 1 },
	{ KVM_CAP_USER_MEMORY,		.value = 1, .runs = true },
	{ KVM_CAP_DESTROY_MEMORY_REGION_WORKS, .value = 1, .runs = true },
	{ KVM_CAP_JOIN_MEMORY_REGIONS_WORKS, .value = 1, .runs = true },
	{ KVM_CAP_NR_MEMSLOTS,		.value = KHV_USER_MEM_SLOTS, .runs = true },
	{ KVM_CAP_READONLY_MEM,		.value = 1, .runs = true },
	/* KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET */
	{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .value = 3, .runs = true },
	{ KVM_CAP_MMU_SHADOW_CACHE_CONTROL, .value = 1, .runs = true },
	{ KVM_CAP_SET_TSS_ADDR,		.value = 1, .runs = true },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, .value = 1, .runs = true },
	{ KVM_CAP_EXT_CPUID,		.value = 1, .runs = true },
	{ KVM_CAP_MP_STATE,		.value = 1, .runs = true },
	{ KVM_CAP_IMMEDIATE_EXIT,	.value = 1, .runs = true },
	{ KVM_CAP_VCPU_EVENTS,		.value = 1, .runs = true },
	{ KVM_CAP_XSAVE,		.value = 1, .runs = true },
	{ KVM_CAP_XCRS,			.compute = khv_cap_xcrs, .runs = true },
	{ KVM_CAP_DEBUGREGS,		.value = 1, .runs = true },
	{ KVM_CAP_ADJUST_CLOCK,		.value = KVM_CLOCK_TSC_STABLE |
					  KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC,
	  .runs = true },
	{ KVM_CAP_GET_TSC_KHZ,		.value = 1, .runs = true },
	{ KVM_CAP_VCPU_ATTRIBUTES,	.value = 1, .runs = true },	/* TSC offset */
	{ KVM_CAP_MCE,			.value = 32, .runs = true },	/* banks */
	{ KVM_CAP_SET_GUEST_DEBUG,	.value = 1, .runs = true },
	{ KVM_CAP_SET_GUEST_DEBUG2,	.value = KHV_GUESTDBG_VALID, .runs = true },
	{ KVM_CAP_X86_ROBUST_SINGLESTEP, .value = 1, .runs = true },
	{ KVM_CAP_XSAVE2,		.compute = khv_cap_xsave2, .runs = true },
	{ KVM_CAP_INTERNAL_ERROR_DATA,	.value = 1, .runs = true },
	{ KVM_CAP_BINARY_STATS_FD,	.value = 1, .runs = true },
	/* the in-kernel interrupt controllers (kmod/irq/) */
	{ KVM_CAP_IRQ_ROUTING,		.value = KHV_MAX_IRQ_ROUTES, .runs = true },
	{ KVM_CAP_IRQCHIP,		.value = 1, .runs = true },
	{ KVM_CAP_SPLIT_IRQCHIP,	.value = 1, .runs = true },
	{ KVM_CAP_IRQ_INJECT_STATUS,	.value = 1, .runs = true },
	{ KVM_CAP_SIGNAL_MSI,		.value = 1, .runs = true },
	{ KVM_CAP_PIT2,			.value = 1, .runs = true },
	{ KVM_CAP_PIT_STATE2,		.value = 1, .runs = true },
	{ KVM_CAP_REINJECT_CONTROL,	.value = 1, .runs = true },
	{ KVM_CAP_X2APIC_API,		.value = KVM_X2APIC_API_USE_32BIT_IDS |
					  KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK, .runs = true },
	{ KVM_CAP_TSC_DEADLINE_TIMER,	.value = 1, .runs = true },
	/* eventfd.c */
	{ KVM_CAP_IRQFD,		.value = 1, .runs = true },
	{ KVM_CAP_IRQFD_RESAMPLE,	.value = 1, .runs = true },
	{ KVM_CAP_IOEVENTFD,		.value = 1, .runs = true },
	{ KVM_CAP_IOEVENTFD_ANY_LENGTH,	.value = 1, .runs = true },
	{ KVM_CAP_IOEVENTFD_NO_LENGTH,	.value = 1, .runs = true },
	/* coalesced.c: the ring's page in the vCPU mmap */
	{ KVM_CAP_COALESCED_MMIO,	.value = KVM_COALESCED_MMIO_PAGE_OFFSET, .runs = true },
	{ KVM_CAP_COALESCED_PIO,	.value = 1, .runs = true },
};

long khv_cap_value(long cap, const struct khv_host_info *host)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khv_caps); i++) {
		if (khv_caps[i].cap != cap)
			continue;
		if (khv_caps[i].runs && !host->can_run)
			return 0;
		if (khv_caps[i].compute)
			return khv_caps[i].compute(host);
		return khv_caps[i].value;
	}
	return 0;
}
