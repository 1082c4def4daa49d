// SPDX-License-Identifier: GPL-2.0
/* Can this Intel CPU run khv? Pure: see hw_support.h. Facts from SDM vol. 3. */
#include "hw_support.h"

#define CPUID_1_ECX_VMX		BIT(5)
#define FEAT_CTL_LOCK		BIT_ULL(0)
#define FEAT_CTL_VMX_OUTSIDE_SMX BIT_ULL(2)
/* allowed-1 settings live in bits 63:32 of the capability MSRs */
#define PROCBASED_SECONDARY	BIT_ULL(32 + 31)
#define SECONDARY_EPT		BIT_ULL(32 + 1)
#define SECONDARY_UNRESTRICTED	BIT_ULL(32 + 7)

struct khv_hw_result vmx_check_support(const struct vmx_facts *f)
{
	struct khv_hw_result r = { KHV_HW_OK, "Intel VMX with EPT" };
	u64 need2 = SECONDARY_EPT | SECONDARY_UNRESTRICTED;

	if (!(f->leaf1_ecx & CPUID_1_ECX_VMX)) {
		r.verdict = KHV_HW_ABSENT;
		r.what = "CPU has no Intel VMX (CPUID 1.ECX[5])";
	} else if (!(f->feature_control & FEAT_CTL_LOCK) ||
		   !(f->feature_control & FEAT_CTL_VMX_OUTSIDE_SMX)) {
		r.verdict = KHV_HW_DISABLED;
		r.what = "VMX is disabled by firmware (IA32_FEATURE_CONTROL)";
	} else if (!(f->procbased_ctls & PROCBASED_SECONDARY) ||
		   (f->procbased_ctls2 & need2) != need2) {
		r.verdict = KHV_HW_MISSING;
		r.what = "CPU has VMX but not EPT with unrestricted guest";
	}
	return r;
}
