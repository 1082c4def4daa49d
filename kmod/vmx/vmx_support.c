// SPDX-License-Identifier: GPL-2.0
/*
 * Can this Intel CPU run khv, with which VMX controls, and the format of
 * its EPT tables. Pure: see hw_support.h. Facts from the Intel SDM vol.
 * 3C, appendix A (the VMX capability MSRs), chapter 25 (the VMCS
 * controls) and 29.3 (EPT).
 */
#include "hw_support.h"

#define CPUID_1_ECX_VMX		BIT(5)
#define FEAT_CTL_LOCK		BIT_ULL(0)
#define FEAT_CTL_VMX_OUTSIDE_SMX BIT_ULL(2)

#define BASIC_REVISION		0x7fffffffULL
#define BASIC_32BIT_ADDR	BIT_ULL(48)
#define BASIC_MEMTYPE_SHIFT	50
#define BASIC_MEMTYPE_WB	6
#define BASIC_TRUE_CTLS		BIT_ULL(55)

#define EPT_CAP_WALK_4		BIT_ULL(6)
#define EPT_CAP_WB		BIT_ULL(14)
#define EPT_CAP_2M		BIT_ULL(16)
#define EPT_CAP_INVEPT		BIT_ULL(20)
#define EPT_CAP_AD		BIT_ULL(21)
#define EPT_CAP_INVEPT_SINGLE	BIT_ULL(25)
#define EPT_CAP_INVEPT_ALL	BIT_ULL(26)
#define VPID_CAP_INVVPID	BIT_ULL(32)
#define VPID_CAP_SINGLE		BIT_ULL(41)
#define VPID_CAP_ALL		BIT_ULL(42)

#define X86_CR0_PE_BIT		BIT_ULL(0)
#define X86_CR0_PG_BIT		BIT_ULL(31)

/* The controls every entry has, and those only some entries set. */
#define PIN_BASE	(VMX_PIN_EXT_INTR | VMX_PIN_NMI | VMX_PIN_VIRTUAL_NMIS)
#define PROC_BASE	(VMX_PROC_TSC_OFFSET | VMX_PROC_HLT | VMX_PROC_MWAIT | \
			 VMX_PROC_RDPMC | VMX_PROC_MOV_DR | VMX_PROC_IO_BITMAPS | \
			 VMX_PROC_MSR_BITMAPS | VMX_PROC_MONITOR | VMX_PROC_SECONDARY)
#define PROC_DYNAMIC	(VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW)
/* what EPT with unrestricted guest makes needless, and the guest's own */
#define PROC_OFF	(VMX_PROC_CR3_LOAD | VMX_PROC_CR3_STORE | VMX_PROC_INVLPG | \
			 VMX_PROC_RDTSC | VMX_PROC_UNCOND_IO)
#define PROC2_BASE	(VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED)
/* used when the CPU has them: guest instructions, or exits KVM takes too */
#define PROC2_OPTIONAL	(VMX_PROC2_RDTSCP | VMX_PROC2_WBINVD | VMX_PROC2_INVPCID | \
			 VMX_PROC2_ENCLS | VMX_PROC2_XSAVES | VMX_PROC2_PLE)
#define EXIT_BASE	(VMX_EXIT_SAVE_DEBUG | VMX_EXIT_HOST_64 | VMX_EXIT_SAVE_PAT | \
			 VMX_EXIT_LOAD_PAT | VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER)
#define ENTRY_BASE	(VMX_ENTRY_LOAD_DEBUG | VMX_ENTRY_LOAD_PAT | VMX_ENTRY_LOAD_EFER)
#define ENTRY_DYNAMIC	VMX_ENTRY_IA32E

static u32 must_be_1(u64 msr)
{
	return (u32)msr;
}

static u32 may_be_1(u64 msr)
{
	return (u32)(msr >> 32);
}

/*
 * One control word: @base | whatever of @optional the CPU allows | what it
 * forces to 1. False (and *@what = @name) if the CPU does not allow all of
 * @base and @dynamic, or forces one of @off to 1.
 */
static bool vmx_controls(u64 msr, u32 base, u32 optional, u32 dynamic, u32 off,
			 u32 *out, const char *name, const char **what)
{
	if ((base | dynamic) & ~may_be_1(msr) || (off & must_be_1(msr))) {
		*what = name;
		return false;
	}
	*out = base | (optional & may_be_1(msr)) | must_be_1(msr);
	return true;
}

static const char *vmx_config_controls(const struct vmx_facts *f, struct vmx_config *c)
{
	bool tru = f->basic & BASIC_TRUE_CTLS;
	u64 pin = tru ? f->true_pinbased_ctls : f->pinbased_ctls;
	u64 proc = tru ? f->true_procbased_ctls : f->procbased_ctls;
	u64 exit = tru ? f->true_exit_ctls : f->exit_ctls;
	u64 entry = tru ? f->true_entry_ctls : f->entry_ctls;
	u32 cr8 = VMX_PROC_CR8_LOAD | VMX_PROC_CR8_STORE;
	const char *what = NULL;

	/* CR8 through the TPR shadow where there is one, else it exits */
	c->tpr_shadow = may_be_1(proc) & VMX_PROC_TPR_SHADOW;
	if (!vmx_controls(pin, PIN_BASE, 0, 0, 0, &c->pin,
			  "VMX without NMI exiting and virtual NMIs", &what) ||
	    !vmx_controls(proc, PROC_BASE | (c->tpr_shadow ? VMX_PROC_TPR_SHADOW : cr8),
			  0, PROC_DYNAMIC, PROC_OFF | (c->tpr_shadow ? cr8 : 0), &c->proc,
			  "VMX processor controls khv needs (or one it cannot turn off)",
			  &what) ||
	    !vmx_controls(f->procbased_ctls2, PROC2_BASE, PROC2_OPTIONAL, 0, 0,
			  &c->proc2, "VMX without EPT and unrestricted guest", &what) ||
	    !vmx_controls(exit, EXIT_BASE, 0, 0, 0, &c->exit,
			  "VMX exit controls for PAT, EFER and debug state", &what) ||
	    !vmx_controls(entry, ENTRY_BASE, 0, ENTRY_DYNAMIC, 0, &c->entry,
			  "VMX entry controls for PAT, EFER and debug state", &what))
		return what;
	return NULL;
}

static const char *vmx_config_ept(const struct vmx_facts *f, struct vmx_config *c)
{
	u64 cap = f->ept_vpid_cap;

	if ((f->basic >> BASIC_MEMTYPE_SHIFT & 0xf) != BASIC_MEMTYPE_WB ||
	    (f->basic & BASIC_32BIT_ADDR))
		return "VMX whose VMCS is not write-back memory below any address";
	if (!(cap & EPT_CAP_WALK_4) || !(cap & EPT_CAP_WB) || !(cap & EPT_CAP_INVEPT) ||
	    !(cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		return "EPT without 4-level write-back tables and INVEPT";
	c->invept_single = cap & EPT_CAP_INVEPT_SINGLE;
	c->ept_ad = cap & EPT_CAP_AD;
	c->ept_2m = cap & EPT_CAP_2M;
	/* VPIDs only with an INVVPID that can drop one VPID's or all mappings */
	c->vpid = (may_be_1(f->procbased_ctls2) & VMX_PROC2_VPID) &&
		  (cap & VPID_CAP_INVVPID) && (cap & (VPID_CAP_SINGLE | VPID_CAP_ALL));
	if (c->vpid)
		c->proc2 |= VMX_PROC2_VPID;
	return NULL;
}

struct khv_hw_result vmx_configure(const struct vmx_facts *f, struct vmx_config *c)
{
	struct khv_hw_result r = { KHV_HW_OK, "Intel VMX with EPT" };
	struct vmx_config cfg = { .revision = f->basic & BASIC_REVISION };
	const char *missing;

	if (!(f->leaf1_ecx & CPUID_1_ECX_VMX)) {
		r.verdict = KHV_HW_ABSENT;
		r.what = "CPU has no Intel VMX (CPUID 1.ECX[5])";
		return r;
	}
	if (!(f->feature_control & FEAT_CTL_LOCK) ||
	    !(f->feature_control & FEAT_CTL_VMX_OUTSIDE_SMX)) {
		r.verdict = KHV_HW_DISABLED;
		r.what = "VMX is disabled by firmware (IA32_FEATURE_CONTROL)";
		return r;
	}
	if (!(may_be_1(f->procbased_ctls) & VMX_PROC_SECONDARY) ||
	    (~may_be_1(f->procbased_ctls2) & PROC2_BASE)) {
		r.verdict = KHV_HW_MISSING;
		r.what = "CPU has VMX but not EPT with unrestricted guest";
		return r;
	}
	missing = vmx_config_controls(f, &cfg);
	if (!missing)
		missing = vmx_config_ept(f, &cfg);
	if (missing) {
		r.verdict = KHV_HW_MISSING;
		r.what = missing;
		return r;
	}
	/* the guest's real CR0/CR4: unrestricted guest may clear PE and PG */
	cfg.cr0_must1 = f->cr0_fixed0 & ~(X86_CR0_PE_BIT | X86_CR0_PG_BIT);
	cfg.cr0_must0 = ~f->cr0_fixed1;
	cfg.cr4_must1 = f->cr4_fixed0;
	cfg.cr4_must0 = ~f->cr4_fixed1;
	*c = cfg;
	return r;
}

struct khv_hw_result vmx_check_support(const struct vmx_facts *f)
{
	struct vmx_config c;

	return vmx_configure(f, &c);
}

/*
 * EPT entries: read, write, execute (any of them: present); leaves are
 * write-back and ignore the guest's PAT, as KVM maps RAM without
 * non-coherent DMA. Accessed and dirty are preset (ignored unless the
 * EPTP enables them), so the CPU need not write them. Bit 52 is one the
 * CPU ignores.
 */
#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_WB		(6ULL << 3)
#define EPT_IPAT	BIT_ULL(6)
#define EPT_PS		BIT_ULL(7)	/* in a level-2 entry: a 2 MiB page */
#define EPT_A		BIT_ULL(8)
#define EPT_D		BIT_ULL(9)
#define EPT_SW_RW	BIT_ULL(52)	/* software: the backing page is writable */

const struct khv_pt_format vmx_ept_format = {
	.table		= EPT_R | EPT_W | EPT_X | EPT_A,
	.leaf_ro	= EPT_R | EPT_X | EPT_WB | EPT_IPAT | EPT_A,
	.leaf_rw	= EPT_R | EPT_W | EPT_X | EPT_WB | EPT_IPAT | EPT_A | EPT_D,
	.present	= EPT_R | EPT_W | EPT_X,
	.writable	= EPT_W,
	.backing_rw	= EPT_SW_RW,
	.huge		= EPT_PS,	/* where the CPU has them: vmx_pt_huge() */
};
