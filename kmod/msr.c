// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: one table says which MSRs a guest has, who holds each (the
 * backend's VMCB/VMCS, or khv_msrs here), and whether it is listed by
 * KVM_GET_MSR_INDEX_LIST. Guest RDMSR/WRMSR of anything else gets #GP;
 * KVM_GET/SET_MSRS stop at the first MSR they cannot do, as KVM.
 */
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <linux/nospec.h>
#include <asm/mce.h>
#include <asm/kvm_para.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "khv.h"
#include "cpuid_policy.h"
#include "msr_filter.h"
#include "khv_trace.h"

#define KHV_MCE_BANKS		32	/* KVM_MAX_MCE_BANKS: KVM_CAP_MCE's answer */
/* KVM_X86_GET_MCE_CAP_SUPPORTED: MCG_CAP bits beyond the count, as KVM on AMD */
#define KHV_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)
#define KHV_MAX_IO_MSRS		256	/* entries per KVM_GET/SET_MSRS, as KVM */
/* MTRRcap says 8 variable ranges: PhysBase0/PhysMask0 .. PhysMask7 */
#define KHV_MTRR_VAR_FIRST	0x200
#define KHV_MTRR_VAR_LAST	0x20f

/* Bits of MSRs (SDM vol. 3 and 4, APM vol. 2) */
#define MISC_ENABLE_EMON	BIT_ULL(7)	/* performance monitoring */
#define MISC_ENABLE_BTS_UNAVAIL	BIT_ULL(11)
#define MISC_ENABLE_PEBS_UNAVAIL BIT_ULL(12)
#define MISC_ENABLE_MWAIT	BIT_ULL(18)	/* MONITOR FSM enable */
#define PLATFORM_INFO_CPUID_FAULT BIT_ULL(31)
#define MISC_FEATURES_CPUID_FAULT BIT_ULL(0)
#define HWCR_TLBCACHEDIS	BIT_ULL(3)
#define HWCR_FFDIS		BIT_ULL(6)
#define HWCR_IGNNE_EM		BIT_ULL(8)
#define HWCR_MCSTATUSWREN	BIT_ULL(18)
#define HWCR_TSCFREQSEL		BIT_ULL(24)
#define VM_CR_LOCK		BIT_ULL(3)
#define VM_CR_SVMDIS		BIT_ULL(4)
#define DE_CFG_LFENCE_SERIALIZE	BIT_ULL(1)

struct khv_msrs {
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];
	u64 mtrr_var[16];
	u64 mcg_cap;			/* KVM_X86_SETUP_MCE's, default 32 banks */
	u64 mcg_status;
	u64 mcg_ctl;
	u64 mc_bank[KHV_MCE_BANKS * 4];	/* CTL, STATUS, ADDR, MISC each */
	u64 mci_ctl2[KHV_MCE_BANKS];	/* with MCG_CMCI_P: CMCI_EN, threshold */
	u64 misc_enable;
	u64 hwcr;
	u64 tsc_adjust;
	u64 ucode_rev;
	u64 arch_caps;
	u64 platform_info;
	u64 misc_features;
	u64 power_ctl;
	u64 smi_count;
	u64 vm_cr;
	u64 hsave_pa;
	u64 de_cfg;
	u64 feat_ctl;
};

enum khv_msr_kind {
	KHV_MSR_BACKEND,	/* the backend holds it */
	KHV_MSR_FIELD,		/* a u64 (or array) in struct khv_msrs */
	KHV_MSR_CONST,		/* reads .value (or .get); user space may write that */
	KHV_MSR_IGNORED,	/* reads .value; writes complete and change nothing */
	KHV_MSR_WRITE_ONLY,	/* writes complete and change nothing; no reads */
	KHV_MSR_APIC_BASE,
	KHV_MSR_HOST_ZERO,	/* user space reads 0 and writes only 0 */
	KHV_MSR_KVMCLOCK,	/* kvmclock.c's */
	KHV_MSR_KVM_PV,		/* kvm_pv.c's */
};

#define F_LIST		BIT(0)	/* in KVM_GET_MSR_INDEX_LIST */
#define F_GUEST		BIT(1)	/* the guest may RDMSR/WRMSR it */
#define F_CANON		BIT(2)	/* value is an address: must be canonical */
/* kvm_amd's or kvm_intel's own: the other vendor's hosts have no such MSR */
#define F_AMD		BIT(3)
#define F_INTEL		BIT(4)

/*
 * A write's filter: -EINVAL refuses it, 0 lets a FIELD store *data (which
 * the filter may have changed), KHV_MSR_DROP completes it without storing.
 */
#define KHV_MSR_DROP	1
typedef int (*khv_msr_filter_fn)(struct khv_vcpu *vcpu, u32 index, u64 *data,
				 bool host);

struct khv_msr_desc {
	u32 first, last;
	enum khv_msr_kind kind;
	u32 flags;
	size_t offset;		/* KHV_MSR_FIELD: of the first MSR's u64 */
	u64 value;		/* KHV_MSR_CONST, KHV_MSR_IGNORED */
	u64 (*get)(struct khv_vcpu *vcpu);	/* KHV_MSR_CONST, instead of value */
	khv_msr_filter_fn filter;		/* FIELD, IGNORED */
};

/* "AuthenticAMD" or "HygonGenuine" in the guest's CPUID leaf 0. */
static bool khv_guest_amd(struct khv_vcpu *vcpu)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	u32 r[4];

	khv_cpuid_answer(&v, 0, 0, r);
	return (r[1] == 0x68747541 && r[3] == 0x69746e65 && r[2] == 0x444d4163) ||
	       (r[1] == 0x6f677948 && r[3] == 0x6e65476e && r[2] == 0x656e6975);
}

/*
 * TSC writes move TSC_ADJUST by as much (SDM vol. 3, 18.17.3); the
 * guest's own writes of TSC_ADJUST move the TSC only when its CPUID has
 * the MSR (leaf 7 EBX bit 1). Without that bit KVM still reads the MSR
 * and ignores writes to it, and so does khv.
 */
static int khv_tsc_adjust_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
				 bool host)
{
	u64 tsc;
	int r;

	if (!khv_cpuid_has(vcpu, 7, 1, BIT(1)))
		return KHV_MSR_DROP;
	if (host)
		return 0;
	r = khv_ops->get_msr(vcpu, MSR_IA32_TSC, &tsc);
	if (!r)
		r = khv_ops->set_msr(vcpu, MSR_IA32_TSC,
				     tsc + (*data - vcpu->msrs->tsc_adjust));
	return r;
}

/*
 * SMI_COUNT: khv has no SMM, so nothing counts; user space may restore a
 * count (a guest that ran on KVM, where firmware's SMIs counted), which
 * reads back as KVM's would. The guest cannot write it.
 */
static int khv_smi_count_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
				bool host)
{
	return host ? 0 : -EINVAL;
}

/* The microcode revision is the host's to set; a guest's update is a no-op. */
static int khv_ucode_rev_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
				bool host)
{
	return host ? 0 : KHV_MSR_DROP;
}

/* Read-only to the guest; user space may set any value (as KVM of 6.1). */
static int khv_host_only_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
				bool host)
{
	return host ? 0 : -EINVAL;
}

/*
 * IA32_FEATURE_CONTROL (kvm_intel): khv offers no nested VMX, SGX or LMCE,
 * so a guest may only set the lock bit, and nothing once it is locked;
 * user space may also restore the VMX enable bits, as KVM lets it.
 */
static int khv_feat_ctl_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			       bool host)
{
	u64 ok = FEAT_CTL_LOCKED;

	if (host)
		ok |= FEAT_CTL_VMX_ENABLED_INSIDE_SMX | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
	else if (vcpu->msrs->feat_ctl & FEAT_CTL_LOCKED)
		return -EINVAL;
	return *data & ~ok ? -EINVAL : 0;
}

/*
 * DEBUGCTL without LBR virtualization: as KVM, the value is dropped; on
 * Intel (kvm_intel's rule) only LBR and BTF may be asked for, anything
 * else is #GP.
 */
static int khv_debugctl_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			       bool host)
{
	if (khv_ops != &khv_svm_ops &&
	    (*data & ~(u64)(DEBUGCTLMSR_LBR | DEBUGCTLMSR_BTF)))
		return -EINVAL;
	return 0;
}

/* PLATFORM_INFO is read-only; user space may not take CPUID faulting away in use. */
static int khv_platform_info_filter(struct khv_vcpu *vcpu, u32 index,
				    u64 *data, bool host)
{
	if (!host)
		return -EINVAL;
	if (!(*data & PLATFORM_INFO_CPUID_FAULT) &&
	    (vcpu->msrs->misc_features & MISC_FEATURES_CPUID_FAULT))
		return -EINVAL;
	return 0;
}

static int khv_misc_features_filter(struct khv_vcpu *vcpu, u32 index,
				    u64 *data, bool host)
{
	if (*data & ~MISC_FEATURES_CPUID_FAULT)
		return -EINVAL;
	if ((*data & MISC_FEATURES_CPUID_FAULT) &&
	    !(vcpu->msrs->platform_info & PLATFORM_INFO_CPUID_FAULT))
		return -EINVAL;
	return 0;
}

/*
 * The guest has no PMU: the bits saying BTS and PEBS are unavailable
 * cannot change (#GP, as KVM), and "performance monitoring available"
 * stays as it is, the write completing. Once user space disabled
 * KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT, ENABLE_MWAIT switches MONITOR/MWAIT
 * in the guest's CPUID (for user space too), and as in KVM may change
 * only with SSE3 in that CPUID.
 */
static int khv_misc_enable_filter(struct khv_vcpu *vcpu, u32 index,
				  u64 *data, bool host)
{
	u64 old = vcpu->msrs->misc_enable;

	if (!host) {
		if ((old ^ *data) &
		    (MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL))
			return -EINVAL;
		*data = (*data & ~MISC_ENABLE_EMON) | (old & MISC_ENABLE_EMON);
	}
	if (!((old ^ *data) & MISC_ENABLE_MWAIT) ||
	    !khv_quirk_off(vcpu->vm, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT))
		return 0;
	if (!khv_cpuid_has(vcpu, 1, 2, BIT(0)))	/* SSE3 */
		return -EINVAL;
	vcpu->msrs->misc_enable = *data;
	khv_cpuid_update_runtime(vcpu);
	return KHV_MSR_DROP;	/* stored */
}

bool khv_misc_enable_mwait(struct khv_vcpu *vcpu)
{
	return vcpu->msrs && (vcpu->msrs->misc_enable & MISC_ENABLE_MWAIT);
}

/*
 * MCi_CTL takes 0 or all ones, except that bit 10 (which some kernels
 * clear for an AMD K8 GART erratum) and bit 0 (which some clear to mute
 * corrected ECC errors) may be either: KVM refuses the rest, so does khv.
 * A guest may write MCi_STATUS other than 0 only where AMD allows it,
 * with HWCR.McStatusWrEn (APM vol. 2, 9.3).
 */
static int khv_mc_bank_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			      bool host)
{
	u32 reg = (index - MSR_IA32_MC0_CTL) % 4;

	if (reg == 0 && *data && (*data | BIT_ULL(10) | BIT_ULL(0)) != ~0ULL)
		return -EINVAL;
	if (reg == 1 && *data && !host &&
	    !(khv_guest_amd(vcpu) && (vcpu->msrs->hwcr & HWCR_MCSTATUSWREN)))
		return -EINVAL;
	return 0;
}

/*
 * MCG_CTL: all banks' reporting on (all ones) or off (0); without
 * MCG_CAP.MCG_CTL_P user space may write only 0 (and the guest nothing).
 */
static int khv_mcg_ctl_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			      bool host)
{
	if (!(vcpu->msrs->mcg_cap & MCG_CTL_P) && *data)
		return -EINVAL;
	return *data && *data != ~0ULL ? -EINVAL : 0;
}

static u64 khv_mcg_cap(struct khv_vcpu *vcpu)
{
	return vcpu->msrs->mcg_cap;
}

/*
 * MCi_CTL2 (with MCG_CMCI_P): CMCI_EN and the threshold; other bits #GP.
 * Without MCG_CMCI_P user space may still write 0, as KVM.
 */
static int khv_mci_ctl2_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			       bool host)
{
	if (!(vcpu->msrs->mcg_cap & MCG_CMCI_P) && *data)
		return -EINVAL;
	return *data & ~(MCI_CTL2_CMCI_EN | MCI_CTL2_CMCI_THRESHOLD_MASK) ?
		-EINVAL : 0;
}

/*
 * Whether @index exists for this vCPU at all (for user space too): the
 * banks that KVM_X86_SETUP_MCE set up, MCG_CTL with MCG_CTL_P (which
 * user space may still write 0 to, as KVM), their MCi_CTL2 for the guest
 * only with MCG_CMCI_P.
 */
static bool khv_mce_msr_present(struct khv_vcpu *vcpu, u32 index, bool host)
{
	u32 banks = vcpu->msrs->mcg_cap & MCG_BANKCNT_MASK;

	if (index >= MSR_IA32_MC0_CTL &&
	    index < MSR_IA32_MC0_CTL + KHV_MCE_BANKS * 4)
		return index < MSR_IA32_MC0_CTL + banks * 4;
	if (index >= MSR_IA32_MC0_CTL2 &&
	    index < MSR_IA32_MCx_CTL2(KHV_MCE_BANKS))
		return index < MSR_IA32_MCx_CTL2(banks) &&
		       (host || (vcpu->msrs->mcg_cap & MCG_CMCI_P));
	if (index == MSR_IA32_MCG_CTL)
		return host || (vcpu->msrs->mcg_cap & MCG_CTL_P);
	return true;
}

/* KVM_X86_GET_MCE_CAP_SUPPORTED (system fd). */
long khv_get_mce_cap_supported(unsigned long arg)
{
	u64 cap = KHV_MCE_CAP_SUPPORTED | khv_ops->mcg_cap_extra;

	return copy_to_user((void __user *)arg, &cap, sizeof(cap)) ? -EFAULT : 0;
}

/*
 * KVM_X86_SETUP_MCE: the vCPU's MCG_CAP (1..32 banks, the supported bits
 * and the extended-register/CMCI count fields KVM lets through), with
 * MCG_CTL and every MCi_CTL on, every MCi_CTL2 off; the in-kernel LAPIC
 * gains or loses its CMCI LVT with MCG_CMCI_P.
 */
long khv_vcpu_setup_mce(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct khv_msrs *m = vcpu->msrs;
	u32 banks, i;
	u64 cap;

	if (copy_from_user(&cap, (void __user *)arg, sizeof(cap)))
		return -EFAULT;
	banks = cap & MCG_BANKCNT_MASK;
	if (!banks || banks > KHV_MCE_BANKS ||
	    (cap & ~(KHV_MCE_CAP_SUPPORTED | khv_ops->mcg_cap_extra |
		     0xffULL | 0xff0000ULL)))
		return -EINVAL;
	m->mcg_cap = cap & khv_ops->mcg_cap_mask;
	if (cap & MCG_CTL_P)
		m->mcg_ctl = ~0ULL;
	for (i = 0; i < banks; i++) {
		m->mc_bank[i * 4] = ~0ULL;
		m->mci_ctl2[i] = 0;
	}
	if (vcpu->apic)
		khv_vlapic_set_cmci(vcpu, m->mcg_cap & MCG_CMCI_P);
	return 0;
}

/*
 * KVM_X86_SET_MCE: a machine check user space injects (QEMU forwards the
 * host's memory errors this way). As the CPU and KVM: an uncorrected error
 * with reporting off (MCG_CTL or the bank's CTL not all ones) is dropped;
 * one that comes while a #MC is in progress (MCG_STATUS.MCIP) or with
 * CR4.MCE clear shuts the guest down; else it is logged in the bank and
 * #MC raised. A corrected one is only logged (OVER when it overwrites).
 * An uncorrected error that needs no action (UCNA: no MCG_STATUS, not
 * signalled, no PCC or AR) is logged, and with MCG_CMCI_P and the bank's
 * MCi_CTL2.CMCI_EN raises the LAPIC's CMCI interrupt, as KVM.
 */
long khv_vcpu_set_mce(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct khv_msrs *m = vcpu->msrs;
	u32 banks = m->mcg_cap & MCG_BANKCNT_MASK;
	struct kvm_x86_mce mce;
	struct khv_paging p;
	u64 *bank;
	u32 b;

	if (copy_from_user(&mce, (void __user *)arg, sizeof(mce)))
		return -EFAULT;
	if (mce.bank >= banks || !(mce.status & MCI_STATUS_VAL))
		return -EINVAL;
	b = array_index_nospec(mce.bank, banks);
	bank = &m->mc_bank[b * 4];
	if (!mce.mcg_status && (mce.status & MCI_STATUS_UC) &&
	    !(mce.status & (MCI_STATUS_PCC | MCI_STATUS_S | MCI_STATUS_AR))) {
		bank[1] = mce.status;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		m->mcg_status = mce.mcg_status;
		if ((m->mcg_cap & MCG_CMCI_P) && vcpu->apic &&
		    (m->mci_ctl2[b] & MCI_CTL2_CMCI_EN))
			khv_vlapic_cmci(vcpu);
	} else if (mce.status & MCI_STATUS_UC) {
		if (((m->mcg_cap & MCG_CTL_P) && m->mcg_ctl != ~0ULL) ||
		    bank[0] != ~0ULL)
			return 0;
		khv_ops->get_paging(vcpu, &p);
		if ((m->mcg_status & MCG_STATUS_MCIP) || !(p.cr4 & X86_CR4_MCE)) {
			set_bit(KHV_REQ_TRIPLE_FAULT, &vcpu->requests);
			return 0;
		}
		if (bank[1] & MCI_STATUS_VAL)
			mce.status |= MCI_STATUS_OVER;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		m->mcg_status = mce.mcg_status;
		bank[1] = mce.status;
		khv_ops->inject_exception(vcpu, MC_VECTOR, false, 0);
	} else if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC)) {
		if (bank[1] & MCI_STATUS_VAL)
			mce.status |= MCI_STATUS_OVER;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		bank[1] = mce.status;
	} else {
		bank[1] |= MCI_STATUS_OVER;
	}
	return 0;
}

/*
 * HWCR: the cache and IGNNE controls mean nothing in a guest and are
 * dropped; McStatusWrEn and TscFreqSel are kept; other bits are #GP.
 */
static int khv_hwcr_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			   bool host)
{
	*data &= ~(HWCR_TLBCACHEDIS | HWCR_FFDIS | HWCR_IGNNE_EM);
	return *data & ~(HWCR_MCSTATUSWREN | HWCR_TSCFREQSEL) ? -EINVAL : 0;
}

/*
 * VM_CR: bits 0-4 (DPD, R_INIT, DIS_A20M, LOCK, SVMDIS); once SVMDIS is
 * set, LOCK and SVMDIS stay as they are (APM vol. 2, 15.30.1).
 */
static int khv_vm_cr_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			    bool host)
{
	u64 old = vcpu->msrs->vm_cr, keep = 0;

	if (*data & ~0x1fULL)
		return -EINVAL;
	if (old & VM_CR_SVMDIS)
		keep = VM_CR_LOCK | VM_CR_SVMDIS;
	*data = (old & keep) | (*data & ~keep);
	return 0;
}

/* MTRR memory types: UC, WC, WT, WP, WB (SDM vol. 3, 12.11.2). */
static bool khv_mtrr_type_ok(u8 t)
{
	return t == 0 || t == 1 || (t >= 4 && t <= 6);
}

/*
 * MTRRs (SDM vol. 3, 12.11.2.2-3): defType holds a type, FE and E;
 * PhysBase a type and an address, PhysMask V and an address, neither with
 * bits at or above MAXPHYADDR; each byte of a fixed-range MTRR a type.
 */
static int khv_mtrr_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			   bool host)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	u64 above = ~0ULL << khv_guest_maxphyaddr(&v);
	int i;

	if (index == MSR_MTRRdefType)
		return (*data & ~0xcffULL) || !khv_mtrr_type_ok(*data) ? -EINVAL : 0;
	if (index >= KHV_MTRR_VAR_FIRST && index <= KHV_MTRR_VAR_LAST) {
		if (index & 1)
			return *data & (above | 0x7ff) ? -EINVAL : 0;
		return (*data & (above | 0xf00)) || !khv_mtrr_type_ok(*data) ?
		       -EINVAL : 0;
	}
	for (i = 0; i < 8; i++)
		if (!khv_mtrr_type_ok(*data >> (i * 8)))
			return -EINVAL;
	return 0;
}

/* VM_HSAVE_PA: a page-aligned guest physical address. */
static int khv_hsave_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			    bool host)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);

	if (!host && ((*data & ~PAGE_MASK) ||
		      (*data >> khv_guest_maxphyaddr(&v))))
		return -EINVAL;
	*data &= PAGE_MASK;
	return 0;
}

/* DE_CFG: only LFENCE_SERIALIZE, where the host has it (its feature MSR). */
static u64 khv_feature_de_cfg(void)
{
	return boot_cpu_has(X86_FEATURE_LFENCE_RDTSC) ? DE_CFG_LFENCE_SERIALIZE : 0;
}

static int khv_de_cfg_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			     bool host)
{
	return *data & ~khv_feature_de_cfg() ? -EINVAL : 0;
}

/*
 * Are guest entries on this host safe from L1TF: no such bug (every AMD
 * CPU), the host's mitigation says guests need no flush, or the VMX
 * backend flushes L1D before each entry (vmx_l1d_flush(): with the
 * FLUSH_L1D command, unless the mitigation is off)?
 */
static bool khv_l1tf_entries_safe(void)
{
	if (!boot_cpu_has_bug(X86_BUG_L1TF) ||
	    l1tf_vmx_mitigation == VMENTER_L1D_FLUSH_NOT_REQUIRED)
		return true;
	return boot_cpu_has(X86_FEATURE_FLUSH_L1D) &&
	       l1tf_vmx_mitigation != VMENTER_L1D_FLUSH_NEVER;
}

/*
 * ARCH_CAPABILITIES as KVM offers it on every host, whether or not the CPU
 * has the MSR: of the host's own bits, those that describe the CPU and
 * that a guest may rely on in a VM; then each "not affected" bit this
 * kernel's bug flags allow. SKIP_VMENTRY_L1DFLUSH tells a nested
 * hypervisor that its VM entries need no L1D flush: said, as by KVM, when
 * ours need none (khv_l1tf_entries_safe()), or when the host's own MSR
 * says so (a hypervisor below flushes for us).
 */
#define KHV_ARCH_CAP_HOST						\
	(ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_RSBA |		\
	 ARCH_CAP_SKIP_VMENTRY_L1DFLUSH | ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO | \
	 ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TSX_CTRL_MSR | ARCH_CAP_TAA_NO | \
	 ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO |	\
	 ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA | ARCH_CAP_PBRSB_NO |	\
	 ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO | ARCH_CAP_RFDS_CLEAR |	\
	 ARCH_CAP_BHI_NO | ARCH_CAP_ITS_NO)

/* "Not affected" bits, each said where the host kernel has not the bug. */
static const struct {
	u16 bug;
	u64 bit;
} khv_arch_cap_no[] = {
	{ X86_BUG_CPU_MELTDOWN,		ARCH_CAP_RDCL_NO },
	{ X86_BUG_SPEC_STORE_BYPASS,	ARCH_CAP_SSB_NO },
	{ X86_BUG_MDS,			ARCH_CAP_MDS_NO },
	{ X86_BUG_RFDS,			ARCH_CAP_RFDS_NO },
	{ X86_BUG_ITS,			ARCH_CAP_ITS_NO },
};

static u64 khv_feature_arch_caps(void)
{
	u64 v = 0;
	size_t i;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES) &&
	    !rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &v))
		v &= KHV_ARCH_CAP_HOST;
	else
		v = 0;
	/* as KVM: a guest's own guests add nothing to the iTLB multihit risk */
	v |= ARCH_CAP_PSCHANGE_MC_NO;
	if (khv_l1tf_entries_safe())
		v |= ARCH_CAP_SKIP_VMENTRY_L1DFLUSH;
	for (i = 0; i < ARRAY_SIZE(khv_arch_cap_no); i++)
		if (!boot_cpu_has_bug(khv_arch_cap_no[i].bug))
			v |= khv_arch_cap_no[i].bit;
	/* without RTM a guest cannot meet TAA; with it, say so only if true */
	if (!boot_cpu_has(X86_FEATURE_RTM))
		v &= ~ARCH_CAP_TAA_NO;
	else if (!boot_cpu_has_bug(X86_BUG_TAA))
		v |= ARCH_CAP_TAA_NO;
	if (!boot_cpu_has_bug(X86_BUG_GDS) || gds_ucode_mitigated())
		v |= ARCH_CAP_GDS_NO;
	return v;
}

/* PERF_CAPABILITIES: khv offers no PMU, so no capability (KVM's too then). */
static u64 khv_feature_perf_caps(void)
{
	return 0;
}

/* An MSR that reads 0 and takes only 0. */
static int khv_zero_filter(struct khv_vcpu *vcpu, u32 index, u64 *data,
			   bool host)
{
	return *data ? -EINVAL : 0;
}

/* Family 15h models 02h-1Fh report IC_CFG 0x1e; the rest of the world 0. */
static u64 khv_ic_cfg(struct khv_vcpu *vcpu)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	u32 r[4], family, model;

	khv_cpuid_answer(&v, 1, 0, r);
	family = (r[0] >> 8) & 0xf;
	model = (r[0] >> 4) & 0xf;
	if (family == 0xf) {
		family += (r[0] >> 20) & 0xff;
		model |= ((r[0] >> 16) & 0xf) << 4;
	}
	return family == 0x15 && model >= 0x2 && model < 0x20 ? 0x1e : 0;
}

/* Designated initializers only: a positional one after them shifts fields. */
#define RANGE(a, b)	.first = (a), .last = (b)
#define ONE(i)		RANGE(i, i)
#define BACKEND		.kind = KHV_MSR_BACKEND
#define FIELD(m)	.kind = KHV_MSR_FIELD, .offset = offsetof(struct khv_msrs, m)
#define CONST(v)	.kind = KHV_MSR_CONST, .value = (v)
#define IGNORED(v)	.kind = KHV_MSR_IGNORED, .value = (v)
#define WRITE_ONLY	.kind = KHV_MSR_WRITE_ONLY
#define G		.flags = F_GUEST
/* also in KVM_GET_MSR_INDEX_LIST, where KVM lists it: what VMMs save */
#define L		.flags = F_LIST | F_GUEST

/*
 * Besides the MSRs a guest uses, the ones stock KVM answers although they
 * do nothing in a VM (Documentation/msrs.md): Intel and AMD model-specific
 * MSRs that firmware and old kernels probe, with the value KVM gives, and
 * the PMU's without a PMU (reads 0, writes dropped), so that a guest that
 * works on KVM works here.
 */
static const struct khv_msr_desc khv_msr_table[] = {
	{ RANGE(MSR_IA32_P5_MC_ADDR, MSR_IA32_P5_MC_TYPE), CONST(0), G },
	{ ONE(MSR_IA32_TSC), BACKEND, .flags = F_LIST | F_GUEST },
	/* kvmclock: as KVM (without KVM_CAP_ENFORCE_PV_FEATURE_CPUID), whatever CPUID says */
	{ RANGE(MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME), .kind = KHV_MSR_KVMCLOCK,
	  .flags = F_LIST | F_GUEST },
	{ RANGE(MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW),
	  .kind = KHV_MSR_KVMCLOCK, .flags = F_LIST | F_GUEST },
	{ RANGE(MSR_KVM_ASYNC_PF_EN, MSR_KVM_PV_EOI_EN), .kind = KHV_MSR_KVM_PV,
	  .flags = F_LIST | F_GUEST },
	{ ONE(MSR_IA32_PLATFORM_ID), CONST(0), G },
	{ ONE(MSR_IA32_FEAT_CTL), FIELD(feat_ctl), .flags = F_LIST | F_GUEST | F_INTEL,
	  .filter = khv_feat_ctl_filter },
	{ ONE(MSR_IA32_APICBASE), .kind = KHV_MSR_APIC_BASE, .flags = F_GUEST },
	{ ONE(MSR_IA32_EBL_CR_POWERON), CONST(0), G },
	{ ONE(MSR_EBC_FREQUENCY_ID), CONST(BIT_ULL(24)), G },
	{ ONE(MSR_SMI_COUNT), FIELD(smi_count), L, .filter = khv_smi_count_filter },
	{ ONE(MSR_IA32_TSC_ADJUST), FIELD(tsc_adjust), L,
	  .filter = khv_tsc_adjust_filter },
	{ ONE(MSR_IA32_UCODE_WRITE), WRITE_ONLY, G },
	{ ONE(MSR_IA32_UCODE_REV), FIELD(ucode_rev), L,
	  .filter = khv_ucode_rev_filter },
	/* the guest reads it with CPUID.7.0:EDX[29] (khv_msr_guest_has) */
	{ ONE(MSR_IA32_ARCH_CAPABILITIES), FIELD(arch_caps), L,
	  .filter = khv_host_only_filter },
	/* no PMU: 0; the guest reads it with CPUID.1:ECX.PDCM */
	{ ONE(MSR_IA32_PERF_CAPABILITIES), CONST(0), L },
	{ RANGE(MSR_IA32_PERFCTR0, MSR_IA32_PERFCTR1), IGNORED(0), G },
	{ ONE(MSR_FSB_FREQ), CONST(3), G },
	{ ONE(MSR_PLATFORM_INFO), FIELD(platform_info), L,
	  .filter = khv_platform_info_filter },
	{ ONE(MSR_MTRRcap), CONST(0x508), G },
	{ ONE(MSR_IA32_BBL_CR_CTL3), IGNORED(0xbe702111), G },
	{ ONE(MSR_MISC_FEATURES_ENABLES), FIELD(misc_features), L,
	  .filter = khv_misc_features_filter },
	{ RANGE(MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_EIP), BACKEND,
	  .flags = F_LIST | F_GUEST },
	/* MCG_CAP is KVM_X86_SETUP_MCE's: read-only, as KVM */
	{ ONE(MSR_IA32_MCG_CAP), .kind = KHV_MSR_CONST, .get = khv_mcg_cap, G },
	{ ONE(MSR_IA32_MCG_STATUS), FIELD(mcg_status), .flags = F_LIST | F_GUEST },
	{ ONE(MSR_IA32_MCG_CTL), FIELD(mcg_ctl), .flags = F_LIST | F_GUEST,
	  .filter = khv_mcg_ctl_filter },
	{ RANGE(MSR_P6_EVNTSEL0, MSR_P6_EVNTSEL1), IGNORED(0), G },
	/* a bus ratio of 4 and a multiplier of 1000, as KVM says */
	{ ONE(MSR_IA32_PERF_STATUS), CONST((4ULL << 40) | 1000), G },
	{ ONE(MSR_IA32_PERF_CTL), CONST(0), G },
	{ ONE(MSR_IA32_MISC_ENABLE), FIELD(misc_enable), .flags = F_LIST | F_GUEST,
	  .filter = khv_misc_enable_filter },
	/* no LBR virtualization: as KVM then, any value is taken and dropped */
	{ ONE(MSR_IA32_DEBUGCTLMSR), IGNORED(0), G, .filter = khv_debugctl_filter },
	{ RANGE(MSR_IA32_LASTBRANCHFROMIP, MSR_IA32_LASTINTTOIP), CONST(0), G },
	{ ONE(MSR_IA32_POWER_CTL), FIELD(power_ctl), L },
	/*
	 * The in-kernel LAPIC's (vlapic.c) when there is one; without, it
	 * reads 0 and drops writes, as KVM. Listed: a VMM that saves the
	 * listed MSRs must carry an armed TSC-deadline timer to the next host.
	 */
	{ ONE(MSR_IA32_TSC_DEADLINE), IGNORED(0), L },
	{ RANGE(KHV_MTRR_VAR_FIRST, KHV_MTRR_VAR_LAST), FIELD(mtrr_var), G,
	  .filter = khv_mtrr_filter },
	{ ONE(MSR_MTRRfix64K_00000), FIELD(mtrr_fixed[0]), G, .filter = khv_mtrr_filter },
	{ RANGE(MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000), FIELD(mtrr_fixed[1]), G,
	  .filter = khv_mtrr_filter },
	{ RANGE(MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_F8000), FIELD(mtrr_fixed[3]), G,
	  .filter = khv_mtrr_filter },
	{ ONE(MSR_IA32_CR_PAT), BACKEND, .flags = F_LIST | F_GUEST },
	{ ONE(MSR_MTRRdefType), FIELD(mtrr_def_type), G, .filter = khv_mtrr_filter },
	{ RANGE(MSR_IA32_MC0_CTL, MSR_IA32_MC0_CTL + KHV_MCE_BANKS * 4 - 1),
	  FIELD(mc_bank), G, .filter = khv_mc_bank_filter },
	{ RANGE(MSR_IA32_MC0_CTL2, MSR_IA32_MCx_CTL2(KHV_MCE_BANKS) - 1),
	  FIELD(mci_ctl2), G, .filter = khv_mci_ctl2_filter },
	/* Intel's RAPL energy counters: 0, as KVM (some guests read them) */
	{ ONE(MSR_RAPL_POWER_UNIT), CONST(0), G },
	{ ONE(MSR_PKG_ENERGY_STATUS), CONST(0), G },
	{ ONE(MSR_DRAM_ENERGY_STATUS), CONST(0), G },
	{ ONE(MSR_PP0_ENERGY_STATUS), CONST(0), G },
	{ ONE(MSR_PP1_ENERGY_STATUS), CONST(0), G },
	{ ONE(MSR_EFER), BACKEND, G },
	{ ONE(MSR_STAR), BACKEND, .flags = F_LIST | F_GUEST },
	{ RANGE(MSR_LSTAR, MSR_CSTAR), BACKEND, .flags = F_LIST | F_GUEST | F_CANON },
	{ ONE(MSR_SYSCALL_MASK), BACKEND, .flags = F_LIST | F_GUEST },
	{ RANGE(MSR_FS_BASE, MSR_GS_BASE), BACKEND, .flags = F_GUEST | F_CANON },
	{ ONE(MSR_KERNEL_GS_BASE), BACKEND, .flags = F_LIST | F_GUEST | F_CANON },
	{ ONE(MSR_TSC_AUX), BACKEND, .flags = F_LIST | F_GUEST },
	{ RANGE(MSR_K7_EVNTSEL0, MSR_K7_PERFCTR3), IGNORED(0), G },
	{ ONE(MSR_AMD64_SYSCFG), CONST(0), G },
	{ ONE(MSR_K7_HWCR), FIELD(hwcr), L, .filter = khv_hwcr_filter },
	{ ONE(MSR_K7_CLK_CTL), IGNORED(0x20000000), G },
	{ ONE(MSR_AMD64_NB_CFG), IGNORED(0), G },
	{ ONE(MSR_AMD64_PATCH_LOADER), WRITE_ONLY, G },
	{ ONE(MSR_K8_INT_PENDING_MSG), CONST(0), G },
	{ ONE(MSR_FAM10H_MMIO_CONF_BASE), IGNORED(0), G, .filter = khv_zero_filter },
	{ RANGE(MSR_K8_TSEG_ADDR, MSR_K8_TSEG_MASK), CONST(0), G },
	{ ONE(MSR_VM_CR), FIELD(vm_cr), .flags = F_GUEST | F_AMD, .filter = khv_vm_cr_filter },
	{ ONE(MSR_VM_IGNNE), WRITE_ONLY, .flags = F_GUEST | F_AMD },
	/* kvm_intel: reads 0, writes dropped */
	{ ONE(MSR_VM_HSAVE_PA), IGNORED(0), .flags = F_GUEST | F_INTEL },
	{ ONE(MSR_VM_HSAVE_PA), FIELD(hsave_pa), .flags = F_LIST | F_GUEST | F_AMD,
	  .filter = khv_hsave_filter },
	{ ONE(MSR_AMD64_SEV_ES_GHCB), IGNORED(0), .flags = F_GUEST | F_AMD },	/* no SEV-ES */
	{ ONE(MSR_F15H_IC_CFG), .kind = KHV_MSR_CONST, .get = khv_ic_cfg,
	  .flags = F_GUEST | F_AMD },
	{ ONE(MSR_AMD64_DC_CFG), IGNORED(0), G },
	{ ONE(MSR_AMD64_TW_CFG), IGNORED(0), G },
	{ ONE(MSR_AMD64_DE_CFG), FIELD(de_cfg), .flags = F_GUEST | F_AMD, .filter = khv_de_cfg_filter },
	{ ONE(MSR_AMD64_BU_CFG2), IGNORED(0), G },
	{ ONE(MSR_F15H_EX_CFG), IGNORED(0), G },
};

/* The flag of MSRs only the other vendor's KVM module answers. */
static u32 khv_msr_other_vendor(void)
{
	return khv_ops == &khv_svm_ops ? F_INTEL : F_AMD;
}

static const struct khv_msr_desc *khv_msr_desc(u32 index)
{
	u32 other = khv_msr_other_vendor();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khv_msr_table); i++)
		if (index >= khv_msr_table[i].first && index <= khv_msr_table[i].last &&
		    !(khv_msr_table[i].flags & other))
			return &khv_msr_table[i];
	return NULL;
}

/* A fresh vCPU's values, as KVM has them. */
int khv_msrs_alloc(struct khv_vcpu *vcpu)
{
	struct khv_msrs *m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);

	if (!m)
		return -ENOMEM;
	m->mcg_cap = KHV_MCE_BANKS;	/* KVM's default until KVM_X86_SETUP_MCE */
	m->misc_enable = MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
	m->platform_info = PLATFORM_INFO_CPUID_FAULT;
	/* KVM's: a revision no Intel CPU has; on AMD, one of family 10h's */
	m->ucode_rev = khv_ops == &khv_svm_ops ? 0x01000065 : BIT_ULL(32);
	m->arch_caps = khv_feature_arch_caps();
	vcpu->msrs = m;
	return 0;
}

/* CPUID at CPL > 0 is #GP when the guest turned CPUID faulting on. */
bool khv_cpuid_faulting(struct khv_vcpu *vcpu)
{
	return vcpu->msrs->misc_features & MISC_FEATURES_CPUID_FAULT;
}

static u64 *khv_msr_field(struct khv_vcpu *vcpu, const struct khv_msr_desc *d,
			  u32 index)
{
	return (u64 *)((char *)vcpu->msrs + d->offset) + (index - d->first);
}

/* EFER bits the guest's CPUID allows (LMA follows LME and paging). */
static bool khv_efer_valid(struct khv_vcpu *vcpu, u64 efer)
{
	u64 ok = 0;

	if (khv_cpuid_has(vcpu, 0x80000001, 3, BIT(11)))
		ok |= EFER_SCE;
	if (khv_cpuid_has(vcpu, 0x80000001, 3, BIT(29)))
		ok |= EFER_LME | EFER_LMA;
	if (khv_cpuid_has(vcpu, 0x80000001, 3, BIT(20)))
		ok |= EFER_NX;
	return !(efer & ~ok);
}

/* Each PAT entry must name a memory type: 0, 1, 4, 5, 6 or 7. */
static bool khv_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static bool khv_msr_value_valid(struct khv_vcpu *vcpu,
				const struct khv_msr_desc *d, u32 index,
				u64 data)
{
	if ((d->flags & F_CANON) && (u64)((s64)(data << 16) >> 16) != data)
		return false;
	if (index == MSR_EFER)
		return khv_efer_valid(vcpu, data);
	if (index == MSR_IA32_CR_PAT)
		return khv_pat_valid(data);
	if (index == MSR_TSC_AUX)
		return !(data >> 32);
	return true;
}

/*
 * Whether the guest may touch an MSR at all: F_GUEST, and for TSC_AUX a
 * CPUID with RDTSCP or RDPID (the instructions that read it).
 */
static bool khv_msr_guest_has(struct khv_vcpu *vcpu,
			      const struct khv_msr_desc *d, u32 index)
{
	if (!(d->flags & F_GUEST))
		return false;
	if ((d->kind == KHV_MSR_KVMCLOCK || d->kind == KHV_MSR_KVM_PV) &&
	    !khv_pv_msr_allowed(vcpu, index))
		return false;
	if (index == MSR_TSC_AUX)
		return khv_cpuid_has(vcpu, 0x80000001, 3, BIT(27)) ||
		       khv_cpuid_has(vcpu, 7, 2, BIT(22));
	if (index == MSR_IA32_ARCH_CAPABILITIES)
		return khv_cpuid_has(vcpu, 7, 3, BIT(29));
	if (index == MSR_IA32_PERF_CAPABILITIES)
		return khv_cpuid_has(vcpu, 1, 2, BIT(15));
	/* KVM_CAP_MSR_PLATFORM_INFO: the VMM may hide it from the guest */
	if (index == MSR_PLATFORM_INFO)
		return !READ_ONCE(vcpu->vm->platform_info_hidden);
	return true;
}

static int khv_msr_read(struct khv_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	const struct khv_msr_desc *d = khv_msr_desc(index);
	int r;

	/* the in-kernel LAPIC's MSRs (APIC base, TSC deadline, x2APIC) */
	if (vcpu->apic) {
		r = khv_vlapic_rdmsr(vcpu, index, data);
		if (r != -ENOENT)
			return r;
	}

	/* -ENOENT: no such MSR; -EPERM: not this guest's (KVM's two answers) */
	if (!d)
		return -ENOENT;
	if ((!host && !khv_msr_guest_has(vcpu, d, index)) ||
	    !khv_mce_msr_present(vcpu, index, host))
		return -EPERM;
	switch (d->kind) {
	case KHV_MSR_BACKEND:
		return khv_ops->get_msr(vcpu, index, data);
	case KHV_MSR_FIELD:
		*data = *khv_msr_field(vcpu, d, index);
		return 0;
	case KHV_MSR_CONST:
		*data = d->get ? d->get(vcpu) : d->value;
		return 0;
	case KHV_MSR_IGNORED:
		*data = d->value;
		return 0;
	case KHV_MSR_WRITE_ONLY:
		return -ENOENT;
	case KHV_MSR_APIC_BASE:
		*data = vcpu->apic_base;
		return 0;
	case KHV_MSR_HOST_ZERO:
		*data = 0;
		return 0;
	case KHV_MSR_KVMCLOCK:
		return khv_kvmclock_rdmsr(vcpu, index, data);
	case KHV_MSR_KVM_PV:
		return khv_pv_rdmsr(vcpu, index, data);
	}
	return -ENOENT;
}

/*
 * A TSC write by user space (KVM_SET_MSRS) or a vCPU's creation (0),
 * synchronised as KVM does it: a write of 0, or of a value within one
 * second's worth of cycles of where the VM's last write would be now,
 * takes the offset of that write, so vCPUs that a VMM sets up one after
 * the other (QEMU writes 0 to each at reset) tick exactly together. Any
 * other value starts a new offset. With @offset (KVM_VCPU_TSC_OFFSET) the
 * vCPU takes that offset instead, and the TSC it gives now counts as the
 * VM's last write. TSC_ADJUST is not touched.
 */
static void khv_tsc_write(struct khv_vcpu *vcpu, u64 data, const u64 *offset)
{
	struct khv_vm *vm = vcpu->vm;
	u64 hz = (u64)tsc_khz * 1000, now = ktime_get_boottime_ns();
	u64 host = rdtsc(), expect, off;
	bool sync = false;

	spin_lock(&vm->tsc_lock);
	if (offset) {
		off = *offset;
		data = host + off;
	} else {
		expect = vm->tsc_last_write +
			 mul_u64_u32_div(now - vm->tsc_last_ns, tsc_khz, USEC_PER_SEC);
		sync = vm->tsc_set &&
		       (!data || (data < expect + hz && data + hz > expect));
		off = sync ? vm->tsc_offset : data - host;
	}
	vm->tsc_set = true;
	vm->tsc_offset = off;
	vm->tsc_last_write = data;
	vm->tsc_last_ns = now;
	spin_unlock(&vm->tsc_lock);
	trace_khv_tsc_write(vcpu->id, data, off, sync);
	khv_ops->set_tsc_offset(vcpu, off);
	set_bit(KHV_REQ_CLOCK, &vcpu->requests);
}

void khv_tsc_host_write(struct khv_vcpu *vcpu, u64 data)
{
	khv_tsc_write(vcpu, data, NULL);
}

/*
 * KVM_HAS/GET/SET_DEVICE_ATTR on a vCPU: group KVM_VCPU_TSC_CTRL, attribute
 * KVM_VCPU_TSC_OFFSET, a u64 at attr.addr (how migration carries a vCPU's
 * TSC without the drift of a TSC value read on one host and written on
 * another). Other groups and attributes: -ENXIO, as KVM.
 */
long khv_vcpu_device_attr(struct khv_vcpu *vcpu, unsigned int cmd,
			  unsigned long arg)
{
	struct kvm_device_attr attr;
	u64 __user *uaddr;
	u64 offset;

	if (copy_from_user(&attr, (void __user *)arg, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_VCPU_TSC_CTRL || attr.attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;
	if (cmd == KVM_HAS_DEVICE_ATTR)
		return 0;
	uaddr = u64_to_user_ptr(attr.addr);
	if (cmd == KVM_GET_DEVICE_ATTR)
		return put_user(khv_ops->get_tsc_offset(vcpu), uaddr) ? -EFAULT : 0;
	if (get_user(offset, uaddr))
		return -EFAULT;
	khv_tsc_write(vcpu, 0, &offset);
	return 0;
}

static int khv_msr_write(struct khv_vcpu *vcpu, u32 index, u64 data, bool host)
{
	const struct khv_msr_desc *d = khv_msr_desc(index);
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	int r;

	if (vcpu->apic) {
		r = khv_vlapic_wrmsr(vcpu, index, data, host);
		if (r != -ENOENT)
			return r;
	}
	/* -ENOENT: no such MSR; -EPERM: not this guest's (KVM's two answers) */
	if (!d)
		return -ENOENT;
	if ((!host && !khv_msr_guest_has(vcpu, d, index)) ||
	    !khv_mce_msr_present(vcpu, index, host))
		return -EPERM;
	if (host && index == MSR_IA32_TSC) {
		khv_tsc_host_write(vcpu, data);
		return 0;
	}
	/* the guest's TSC moves: so must its kvmclock's reference */
	if (index == MSR_IA32_TSC || index == MSR_IA32_TSC_ADJUST)
		set_bit(KHV_REQ_CLOCK, &vcpu->requests);
	if (!khv_msr_value_valid(vcpu, d, index, data))
		return -EINVAL;
	/*
	 * SYSENTER_ESP/EIP: AMD keeps 32 bits, Intel faults on non-canonical
	 * values and VM entry refuses them: made canonical, as KVM does, so
	 * that no write on either vendor can make the next entry fail.
	 */
	if (index == MSR_IA32_SYSENTER_ESP || index == MSR_IA32_SYSENTER_EIP)
		data = (u64)((s64)(data << 16) >> 16);
	if (d->filter) {
		r = d->filter(vcpu, index, &data, host);
		if (r)
			return r == KHV_MSR_DROP ? 0 : r;
	}
	switch (d->kind) {
	case KHV_MSR_BACKEND:
		return khv_ops->set_msr(vcpu, index, data);
	case KHV_MSR_FIELD:
		*khv_msr_field(vcpu, d, index) = data;
		return 0;
	case KHV_MSR_CONST:
		/* read-only; user space may restore what it read */
		if (!host)
			return -EINVAL;
		return data == (d->get ? d->get(vcpu) : d->value) ? 0 : -EINVAL;
	case KHV_MSR_IGNORED:
	case KHV_MSR_WRITE_ONLY:
		return 0;
	case KHV_MSR_APIC_BASE:
		if (!khv_apic_base_valid(&v, data))
			return -EINVAL;
		khv_set_apic_base(vcpu, data);
		return 0;
	case KHV_MSR_HOST_ZERO:
		return data ? -EINVAL : 0;
	case KHV_MSR_KVMCLOCK:
		return khv_kvmclock_wrmsr(vcpu, index, data);
	case KHV_MSR_KVM_PV:
		return khv_pv_wrmsr(vcpu, index, data);
	}
	return -ENOENT;
}

int khv_guest_rdmsr(struct khv_vcpu *vcpu, u32 index, u64 *data)
{
	return khv_msr_read(vcpu, index, data, false);
}

int khv_guest_wrmsr(struct khv_vcpu *vcpu, u32 index, u64 data)
{
	/* Turning long mode on or off under paging is the guest's #GP. */
	if (index == MSR_EFER) {
		u64 old = 0;
		struct khv_paging p;

		khv_ops->get_paging(vcpu, &p);
		khv_ops->get_msr(vcpu, MSR_EFER, &old);
		if ((p.cr0 & X86_CR0_PG) && ((old ^ data) & EFER_LME))
			return -EINVAL;
		data = (data & ~EFER_LMA) | (old & EFER_LMA);
	}
	/* The guest's TSC writes count in TSC_ADJUST (SDM vol. 3, 18.17.3). */
	if (index == MSR_IA32_TSC) {
		u64 old;
		int r = khv_ops->get_msr(vcpu, MSR_IA32_TSC, &old);

		if (!r)
			r = khv_msr_write(vcpu, index, data, false);
		if (!r)
			vcpu->msrs->tsc_adjust += data - old;
		return r;
	}
	return khv_msr_write(vcpu, index, data, false);
}

/*
 * KVM_GET_MSRS and KVM_SET_MSRS (vCPU and system fd): the header and the
 * entries read once, @one applied to each in turn until it fails, the
 * entries written back when @out; returns how many entries were done.
 */
static long khv_msrs_io(unsigned long arg, bool out, void *ctx,
			int (*one)(void *ctx, struct kvm_msr_entry *e))
{
	struct kvm_msrs __user *u = (void __user *)arg;
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	long r = 0;
	u32 i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= KHV_MAX_IO_MSRS)
		return -E2BIG;
	e = memdup_user(u->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++)
		if (one(ctx, &e[i]))
			break;
	r = i;
	if (out && copy_to_user(u->entries, e, hdr.nmsrs * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

static int khv_msr_get_one(void *vcpu, struct kvm_msr_entry *e)
{
	return khv_msr_read(vcpu, e->index, &e->data, true);
}

static int khv_msr_set_one(void *vcpu, struct kvm_msr_entry *e)
{
	return khv_msr_write(vcpu, e->index, e->data, true);
}

long khv_vcpu_get_msrs(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_msrs_io(arg, true, vcpu, khv_msr_get_one);
}

long khv_vcpu_set_msrs(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_msrs_io(arg, false, vcpu, khv_msr_set_one);
}

/* TSC_AUX is listed only when a guest can have RDTSCP. */
static bool khv_msr_listed(u32 index, bool rdtscp)
{
	return index != MSR_TSC_AUX || rdtscp;
}

/* One index into a KVM_GET_MSR_(FEATURE_)INDEX_LIST answer with @room. */
static int khv_msr_list_add(struct kvm_msr_list __user *u, u32 room, u32 *n,
			    u32 idx)
{
	if (*n < room && put_user(idx, &u->indices[*n]))
		return -EFAULT;
	(*n)++;
	return 0;
}

/* The answer's count, written back always; -E2BIG when it did not fit. */
static long khv_msr_list_end(struct kvm_msr_list __user *u, u32 room, u32 n)
{
	if (put_user(n, &u->nmsrs))
		return -EFAULT;
	return n > room ? -E2BIG : 0;
}

/* KVM_GET_MSR_INDEX_LIST: nmsrs is always written back; -E2BIG if short. */
long khv_get_msr_index_list(unsigned long arg)
{
	struct kvm_msr_list __user *u = (void __user *)arg;
	bool rdtscp = boot_cpu_has(X86_FEATURE_RDTSCP);
	struct kvm_msr_list hdr;
	u32 n = 0, room, idx;
	size_t i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	for (i = 0; i < ARRAY_SIZE(khv_msr_table); i++) {
		const struct khv_msr_desc *d = &khv_msr_table[i];

		if (!(d->flags & F_LIST) || (d->flags & khv_msr_other_vendor()))
			continue;
		for (idx = d->first; idx <= d->last; idx++) {
			if (!khv_msr_listed(idx, rdtscp))
				continue;
			if (khv_msr_list_add(u, room, &n, idx))
				return -EFAULT;
		}
	}
	return khv_msr_list_end(u, room, n);
}

/*
 * Feature MSRs (KVM_GET_MSR_FEATURE_INDEX_LIST, KVM_GET_MSRS on the system
 * fd): what this host lets user space give a vCPU in the MSRs that describe
 * the CPU rather than hold state. Each is also a vCPU MSR of the table
 * above, whose write filter accepts exactly these bits (ARCH_CAPABILITIES:
 * any value from user space, as KVM of 6.1 takes).
 */
static u64 khv_feature_ucode_rev(void)
{
	u64 v = 0;

	/* the host's own revision, as KVM reports it (0 where it cannot be read) */
	if (rdmsrl_safe(MSR_IA32_UCODE_REV, &v))
		v = 0;
	return v;
}

static const struct {
	u32 index;
	u32 flags;		/* F_AMD / F_INTEL: only that vendor's hosts */
	u64 (*get)(void);
} khv_feature_msrs[] = {
	{ MSR_IA32_UCODE_REV,	0,	khv_feature_ucode_rev },
	{ MSR_AMD64_DE_CFG,	F_AMD,	khv_feature_de_cfg },
	{ MSR_IA32_ARCH_CAPABILITIES, 0, khv_feature_arch_caps },
	{ MSR_IA32_PERF_CAPABILITIES, 0, khv_feature_perf_caps },
};

static int khv_feature_msr(u32 index, u64 *data)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khv_feature_msrs); i++) {
		if (khv_feature_msrs[i].index != index ||
		    (khv_feature_msrs[i].flags & khv_msr_other_vendor()))
			continue;
		*data = khv_feature_msrs[i].get();
		return 0;
	}
	return -EINVAL;
}

/* KVM_GET_MSR_FEATURE_INDEX_LIST: as KVM_GET_MSR_INDEX_LIST. */
long khv_get_msr_feature_index_list(unsigned long arg)
{
	struct kvm_msr_list __user *u = (void __user *)arg;
	struct kvm_msr_list hdr;
	u32 n = 0, room;
	size_t i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	for (i = 0; i < ARRAY_SIZE(khv_feature_msrs); i++) {
		if (khv_feature_msrs[i].flags & khv_msr_other_vendor())
			continue;
		if (khv_msr_list_add(u, room, &n, khv_feature_msrs[i].index))
			return -EFAULT;
	}
	return khv_msr_list_end(u, room, n);
}

static int khv_feature_get_one(void *unused, struct kvm_msr_entry *e)
{
	return khv_feature_msr(e->index, &e->data);
}

/*
 * KVM_GET_MSRS on the system fd: the feature MSRs' values, in order, up
 * to the first index that is not one; returns how many were read.
 */
long khv_get_feature_msrs(unsigned long arg)
{
	return khv_msrs_io(arg, true, NULL, khv_feature_get_one);
}

/*
 * KVM_X86_SET_MSR_FILTER: the VM's filter, copied in whole (the header
 * once, each bitmap once) and checked before it replaces the old one.
 * Readers (the vCPUs' RDMSR/WRMSR exits) hold the RCU read lock; the old
 * filter goes once none can see it. Then every vCPU hears of the change
 * before its next entry, so that MSRs it accesses without exits exit
 * where the new filter denies them. A filter that allows everything (no
 * ranges, default allow) is no filter.
 */
long khv_vm_set_msr_filter(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_msr_filter *uf;
	struct khv_msr_filter *f = NULL, *old;
	int bytes[KHV_MSR_FILTER_RANGES];
	struct khv_vcpu *vcpu;
	unsigned long id;
	size_t total = 0;
	bool empty = true;
	long r;
	u8 *p;
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(uf->ranges) != KHV_MSR_FILTER_RANGES);
	uf = memdup_user((void __user *)arg, sizeof(*uf));
	if (IS_ERR(uf))
		return PTR_ERR(uf);
	for (i = 0; i < KHV_MSR_FILTER_RANGES; i++) {
		bytes[i] = khv_msr_filter_range_bytes(uf->ranges[i].flags,
						      uf->ranges[i].nmsrs);
		r = bytes[i];
		if (r < 0)
			goto out;
		total += bytes[i];
		empty &= !uf->ranges[i].nmsrs;
	}
	r = khv_msr_filter_check(uf->flags, empty);
	if (r)
		goto out;
	/* (deny-all without ranges was refused above) */
	if (!empty) {
		r = -ENOMEM;
		f = kvzalloc(sizeof(*f) + total, GFP_KERNEL_ACCOUNT);
		if (!f)
			goto out;
		f->default_allow = !(uf->flags & KVM_MSR_FILTER_DEFAULT_DENY);
		p = (u8 *)(f + 1);
		for (i = 0; i < KHV_MSR_FILTER_RANGES; i++) {
			const struct kvm_msr_filter_range *ur = &uf->ranges[i];

			if (!bytes[i])
				continue;
			r = -EFAULT;
			if (copy_from_user(p, u64_to_user_ptr((u64)(unsigned long)ur->bitmap),
					   bytes[i]))
				goto free_filter;
			f->ranges[f->count++] = (struct khv_msr_filter_range){
				.flags = ur->flags, .base = ur->base,
				.nmsrs = ur->nmsrs, .bitmap = p,
			};
			p += bytes[i];
		}
	}
	old = rcu_replace_pointer(vm->msr_filter, f, lockdep_is_held(&vm->lock));
	synchronize_rcu();
	kvfree(old);
	xa_for_each(&vm->vcpus, id, vcpu) {
		set_bit(KHV_REQ_MSR_FILTER, &vcpu->requests);
		khv_vcpu_kick(vcpu);
	}
	r = 0;
	goto out;
free_filter:
	kvfree(f);
out:
	kfree(uf);
	return r;
}

void khv_vm_free_msr_filter(struct khv_vm *vm)
{
	kvfree(rcu_dereference_protected(vm->msr_filter, true));
}

/* The guest's RDMSR (@write false) or WRMSR of @index passes the VM's filter. */
bool khv_msr_filter_allowed(struct khv_vcpu *vcpu, u32 index, bool write)
{
	bool ok;

	if (!rcu_access_pointer(vcpu->vm->msr_filter))
		return true;
	rcu_read_lock();
	ok = khv_msr_filter_allows(rcu_dereference(vcpu->vm->msr_filter), index,
				   write ? KHV_MSR_FILTER_WRITE : KHV_MSR_FILTER_READ);
	rcu_read_unlock();
	return ok;
}
