/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether this CPU can run khv, decided from raw CPUID/MSR values so the
 * decision is pure (unit-tested on the host) and the backend only gathers
 * the values. SVM and VMX each fill a *_facts struct and ask their checker.
 */
#ifndef KHV_HW_SUPPORT_H
#define KHV_HW_SUPPORT_H

#include "khv_pure.h"
#include "pgtable.h"

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
 * Intel: CPUID 1.ECX, MSR IA32_FEATURE_CONTROL and the VMX capability MSRs
 * (0 where the CPU has none). Each *_ctls MSR gives, per control bit, the
 * settings allowed: bit n of the low half set = the control must be 1,
 * bit 32 + n set = it may be 1. The true_* MSRs (IA32_VMX_BASIC bit 55)
 * let some controls the others force to 1 be 0.
 */
struct vmx_facts {
	u32 leaf1_ecx;
	u64 feature_control;
	u64 basic;
	u64 pinbased_ctls, procbased_ctls, exit_ctls, entry_ctls;
	u64 true_pinbased_ctls, true_procbased_ctls, true_exit_ctls, true_entry_ctls;
	u64 procbased_ctls2;
	u64 ept_vpid_cap;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/*
 * What the VMX backend programs, derived from struct vmx_facts alone:
 * every VMCS control word (the dynamic bits, interrupt and NMI windows and
 * IA-32e mode, known to be allowed but left 0), the optional features the
 * CPU has, and the bits the guest's real CR0/CR4 must have set (must1) or
 * clear (must0) whatever the guest wrote (unrestricted guest: PE and PG
 * may be 0).
 */
struct vmx_config {
	u32 revision;		/* VMCS revision identifier */
	u32 pin, proc, proc2, exit, entry;
	bool tpr_shadow;	/* else CR8 accesses exit */
	bool vpid;		/* VPID, with a usable INVVPID */
	bool invept_single;	/* else all-context */
	bool ept_ad;		/* EPT accessed/dirty flags */
	bool ept_2m;		/* EPT 2 MiB pages */
	u64 cr0_must1, cr0_must0, cr4_must1, cr4_must0;
};

/* VMCS control bits khv uses (Intel SDM vol. 3C, 25.6 and 25.7-25.8). */
#define VMX_PIN_EXT_INTR	BIT(0)
#define VMX_PIN_NMI		BIT(3)
#define VMX_PIN_VIRTUAL_NMIS	BIT(5)
#define VMX_PROC_INTR_WINDOW	BIT(2)
#define VMX_PROC_TSC_OFFSET	BIT(3)
#define VMX_PROC_HLT		BIT(7)
#define VMX_PROC_INVLPG		BIT(9)
#define VMX_PROC_MWAIT		BIT(10)
#define VMX_PROC_RDPMC		BIT(11)
#define VMX_PROC_RDTSC		BIT(12)
#define VMX_PROC_CR3_LOAD	BIT(15)
#define VMX_PROC_CR3_STORE	BIT(16)
#define VMX_PROC_CR8_LOAD	BIT(19)
#define VMX_PROC_CR8_STORE	BIT(20)
#define VMX_PROC_TPR_SHADOW	BIT(21)
#define VMX_PROC_NMI_WINDOW	BIT(22)
#define VMX_PROC_MOV_DR		BIT(23)
#define VMX_PROC_UNCOND_IO	BIT(24)
#define VMX_PROC_IO_BITMAPS	BIT(25)
#define VMX_PROC_MSR_BITMAPS	BIT(28)
#define VMX_PROC_MONITOR	BIT(29)
#define VMX_PROC_SECONDARY	BIT(31)
#define VMX_PROC2_EPT		BIT(1)
#define VMX_PROC2_RDTSCP	BIT(3)
#define VMX_PROC2_VPID		BIT(5)
#define VMX_PROC2_WBINVD	BIT(6)
#define VMX_PROC2_UNRESTRICTED	BIT(7)
#define VMX_PROC2_PLE		BIT(10)	/* PAUSE-loop exiting */
#define VMX_PROC2_INVPCID	BIT(12)
#define VMX_PROC2_ENCLS		BIT(15)
#define VMX_PROC2_XSAVES	BIT(20)
#define VMX_EXIT_SAVE_DEBUG	BIT(2)
#define VMX_EXIT_HOST_64	BIT(9)
#define VMX_EXIT_SAVE_PAT	BIT(18)
#define VMX_EXIT_LOAD_PAT	BIT(19)
#define VMX_EXIT_SAVE_EFER	BIT(20)
#define VMX_EXIT_LOAD_EFER	BIT(21)
#define VMX_ENTRY_LOAD_DEBUG	BIT(2)
#define VMX_ENTRY_IA32E		BIT(9)
#define VMX_ENTRY_LOAD_PAT	BIT(14)
#define VMX_ENTRY_LOAD_EFER	BIT(15)

/* The nested page tables' entries (pgtable.c builds them). */
extern const struct khv_pt_format svm_npt_format;
extern const struct khv_pt_format vmx_ept_format;

struct khv_hw_result svm_check_support(const struct svm_facts *f);
/* Judge @f and, when it is OK, fill @c. */
struct khv_hw_result vmx_configure(const struct vmx_facts *f, struct vmx_config *c);
struct khv_hw_result vmx_check_support(const struct vmx_facts *f);

#endif /* KHV_HW_SUPPORT_H */
