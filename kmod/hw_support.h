/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether this CPU can run khv, decided from raw CPUID/MSR values so the
 * decision is pure (unit-tested on the host) and the backend only gathers
 * the values. SVM and VMX each fill a *_facts struct and ask their checker.
 */
#ifndef KHV_HW_SUPPORT_H
#define KHV_HW_SUPPORT_H

#include "khv_pure.h"

enum khv_hw_verdict {
	KHV_HW_OK,
	KHV_HW_ABSENT,		/* the CPU has no SVM / VMX at all */
	KHV_HW_DISABLED,	/* firmware turned it off (VM_CR / FEATURE_CONTROL) */
	KHV_HW_MISSING,		/* present, but lacks a feature khv needs */
};

struct khv_hw_result {
	enum khv_hw_verdict verdict;
	const char *what;	/* one phrase for the dmesg line */
};

/* AMD: CPUID 0x80000000.EAX, 0x80000001.ECX, 0x8000000A.EDX and MSR VM_CR. */
struct svm_facts {
	u32 max_ext_leaf;
	u32 ext1_ecx;
	u32 svm_edx;
	u64 vm_cr;
};

/*
 * Intel: CPUID 1.ECX, MSR IA32_FEATURE_CONTROL and the allowed-1 halves
 * (bits 63:32) of IA32_VMX_PROCBASED_CTLS and _CTLS2.
 */
struct vmx_facts {
	u32 leaf1_ecx;
	u64 feature_control;
	u64 procbased_ctls;
	u64 procbased_ctls2;
};

struct khv_hw_result svm_check_support(const struct svm_facts *f);
struct khv_hw_result vmx_check_support(const struct vmx_facts *f);

#endif /* KHV_HW_SUPPORT_H */
