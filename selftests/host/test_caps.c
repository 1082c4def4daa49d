// SPDX-License-Identifier: GPL-2.0
/* Host unit test of kmod/caps.c: the KVM_CHECK_EXTENSION table. */
#include <linux/kvm.h>

#include "ksft.h"
#include "caps.h"

static const struct khv_host_info two_cpus = { .online_cpus = 2, .can_run = true,
						  .xsave_size = 4096, .xsave = true };
/* a backend that cannot run guests yet (VMX today) */
static const struct khv_host_info no_run = { .online_cpus = 2 };

static int t_limits(void)
{
	CHECK(khv_cap_value(KVM_CAP_MAX_VCPUS, &two_cpus) == KHV_MAX_VCPUS, "MAX_VCPUS");
	CHECK(khv_cap_value(KVM_CAP_MAX_VCPU_ID, &two_cpus) == KHV_MAX_VCPU_IDS, "MAX_VCPU_ID");
	CHECK(KHV_MAX_VCPU_IDS >= KHV_MAX_VCPUS, "ids below count");
	return KSFT_PASS;
}

static int t_nr_vcpus_follows_host(void)
{
	struct khv_host_info none = { 0 }, huge = { .online_cpus = 100000 };

	CHECK(khv_cap_value(KVM_CAP_NR_VCPUS, &two_cpus) == 2, "2 CPUs");
	CHECK(khv_cap_value(KVM_CAP_NR_VCPUS, &none) == 1, "0 CPUs reads as 1");
	CHECK(khv_cap_value(KVM_CAP_NR_VCPUS, &huge) == KHV_MAX_VCPUS, "capped");
	return KSFT_PASS;
}

/* Nothing is claimed that khv does not implement yet. */
static int t_unimplemented_are_zero(void)
{
	static const long absent[] = {
		KVM_CAP_XEN_HVM, KVM_CAP_SYNC_MMU, KVM_CAP_S390_PSW,
		KVM_CAP_TSC_CONTROL, 100000, -1,
	};
	unsigned int i;

	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		CHECK(khv_cap_value(absent[i], &two_cpus) == 0, "cap %ld", absent[i]);
	return KSFT_PASS;
}

/* What QEMU 7.2 requires, once the backend runs guests; none before. */
static int t_running_caps(void)
{
	static const long needed[] = {
		KVM_CAP_USER_MEMORY, KVM_CAP_DESTROY_MEMORY_REGION_WORKS,
		KVM_CAP_JOIN_MEMORY_REGIONS_WORKS, KVM_CAP_SET_TSS_ADDR,
		KVM_CAP_EXT_CPUID, KVM_CAP_MP_STATE, KVM_CAP_IMMEDIATE_EXIT,
		KVM_CAP_XSAVE, KVM_CAP_XCRS, KVM_CAP_XSAVE2, KVM_CAP_DEBUGREGS,
		KVM_CAP_ADJUST_CLOCK, KVM_CAP_GET_TSC_KHZ, KVM_CAP_MCE,
		KVM_CAP_SET_GUEST_DEBUG, KVM_CAP_X86_ROBUST_SINGLESTEP,
		KVM_CAP_COALESCED_MMIO, KVM_CAP_COALESCED_PIO,
	};
	unsigned int i;

	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		CHECK(khv_cap_value(needed[i], &two_cpus) > 0, "cap %ld", needed[i]);
		CHECK(khv_cap_value(needed[i], &no_run) == 0, "cap %ld", needed[i]);
	}
	CHECK(khv_cap_value(KVM_CAP_NR_MEMSLOTS, &two_cpus) == 512, "memslots");
	/* KVM's x86 set of KVM_SET_GUEST_DEBUG bits, hardware breakpoints too */
	CHECK(khv_cap_value(KVM_CAP_SET_GUEST_DEBUG2, &two_cpus) == 0x1f0003,
	      "SET_GUEST_DEBUG2 %#lx", khv_cap_value(KVM_CAP_SET_GUEST_DEBUG2, &two_cpus));
	CHECK(khv_cap_value(KVM_CAP_XSAVE2, &two_cpus) == 4096, "XSAVE2: the size");
	{
		struct khv_host_info no_xsave = two_cpus;

		no_xsave.xsave = false;
		CHECK(khv_cap_value(KVM_CAP_XCRS, &no_xsave) == 0, "XCRS needs XSAVE");
		CHECK(khv_cap_value(KVM_CAP_XSAVE, &no_xsave) == 1,
		      "XSAVE (the ioctls work on FXSAVE state) regardless");
	}
	return KSFT_PASS;
}

static int t_check_extension_vm(void)
{
	CHECK(khv_cap_value(KVM_CAP_CHECK_EXTENSION_VM, &two_cpus) == 1, "VM fd caps");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "caps_limits", t_limits },
	{ "caps_nr_vcpus_follows_host", t_nr_vcpus_follows_host },
	{ "caps_unimplemented_are_zero", t_unimplemented_are_zero },
	{ "caps_check_extension_vm", t_check_extension_vm },
	{ "caps_running", t_running_caps },
};

int main(void)
{
	return KSFT_RUN(cases);
}
