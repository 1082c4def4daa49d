// SPDX-License-Identifier: GPL-2.0
/* Host unit test of the pure SVM/VMX support checks (svm_support.c, vmx_support.c). */
#include "ksft.h"
#include "hw_support.h"

#define SVM_OK_FACTS { .max_ext_leaf = 0x8000001f, .ext1_ecx = 1u << 2, \
		       .svm_edx = 1u << 0, .vm_cr = 0 }
/*
 * What Bochs 2.7's corei7_haswell_4770 reports (read in the Bochs test
 * machine through /dev/cpu/0/msr): true controls, TPR shadow, EPT with A/D
 * and both INVEPT types, VPID with every INVVPID type.
 */
#define VMX_OK_FACTS { .leaf1_ecx = 1u << 5, .feature_control = 0x5, \
		       .basic = 0x00d810000000002bull, \
		       .pinbased_ctls = 0x0000007f00000016ull, \
		       .procbased_ctls = 0xf7f9fffe0401e172ull, \
		       .exit_ctls = 0x007fffff00036dffull, \
		       .entry_ctls = 0x0000ffff000011ffull, \
		       .true_pinbased_ctls = 0x0000007f00000016ull, \
		       .true_procbased_ctls = 0xf7f9fffe04006172ull, \
		       .true_exit_ctls = 0x007fffff00036dfbull, \
		       .true_entry_ctls = 0x0000ffff000011fbull, \
		       .procbased_ctls2 = 0x00047fff00000000ull, \
		       .ept_vpid_cap = 0x00000f0106334141ull, \
		       .cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff, \
		       .cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x1727ff }

static int t_svm(void)
{
	struct svm_facts ok = SVM_OK_FACTS, f;

	CHECK(svm_check_support(&ok).verdict == KHV_HW_OK, "good CPU");
	f = ok; f.ext1_ecx = 0;
	CHECK(svm_check_support(&f).verdict == KHV_HW_ABSENT, "no SVM bit");
	f = ok; f.vm_cr = 1u << 4;
	CHECK(svm_check_support(&f).verdict == KHV_HW_DISABLED, "SVMDIS");
	f = ok; f.svm_edx = 0;
	CHECK(svm_check_support(&f).verdict == KHV_HW_MISSING, "no NPT");
	f = ok; f.max_ext_leaf = 0x80000008;
	CHECK(svm_check_support(&f).verdict == KHV_HW_MISSING, "no leaf 0x8000000a");
	f = ok; f.ext1_ecx = 0; f.vm_cr = 1u << 4;
	CHECK(svm_check_support(&f).verdict == KHV_HW_ABSENT, "absent wins");
	return KSFT_PASS;
}

static int t_vmx(void)
{
	struct vmx_facts ok = VMX_OK_FACTS, f;

	CHECK(vmx_check_support(&ok).verdict == KHV_HW_OK, "good CPU");
	f = ok; f.leaf1_ecx = 0;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_ABSENT, "no VMX bit");
	f = ok; f.feature_control = 0x1;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_DISABLED, "locked off");
	f = ok; f.feature_control = 0x4;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_DISABLED, "not locked");
	f = ok; f.procbased_ctls = 0;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_MISSING, "no secondary ctls");
	f = ok; f.procbased_ctls2 = 1ull << 33;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_MISSING, "no unrestricted guest");
	f = ok; f.procbased_ctls2 = 1ull << 39;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_MISSING, "no EPT");
	return KSFT_PASS;
}

#define MUST(v)	((u32)(v))

/* The control words and features derived from Bochs's Haswell. */
static int t_vmx_config(void)
{
	struct vmx_facts f = VMX_OK_FACTS;
	struct vmx_config c;

	CHECK(vmx_configure(&f, &c).verdict == KHV_HW_OK, "configure");
	CHECK(c.revision == 0x2b, "revision %#x", c.revision);
	CHECK(c.pin == (0x16 | VMX_PIN_EXT_INTR | VMX_PIN_NMI | VMX_PIN_VIRTUAL_NMIS),
	      "pin %#x", c.pin);
	CHECK(c.tpr_shadow && (c.proc & VMX_PROC_TPR_SHADOW) &&
	      !(c.proc & (VMX_PROC_CR8_LOAD | VMX_PROC_CR8_STORE)), "CR8 via TPR shadow");
	CHECK(!(c.proc & (VMX_PROC_CR3_LOAD | VMX_PROC_CR3_STORE | VMX_PROC_INVLPG |
			  VMX_PROC_RDTSC | VMX_PROC_UNCOND_IO)), "proc %#x: needless exits", c.proc);
	CHECK((c.proc & (VMX_PROC_HLT | VMX_PROC_MOV_DR | VMX_PROC_IO_BITMAPS |
			 VMX_PROC_MSR_BITMAPS | VMX_PROC_SECONDARY | VMX_PROC_TSC_OFFSET)) ==
	      (VMX_PROC_HLT | VMX_PROC_MOV_DR | VMX_PROC_IO_BITMAPS | VMX_PROC_MSR_BITMAPS |
	       VMX_PROC_SECONDARY | VMX_PROC_TSC_OFFSET), "proc %#x: base", c.proc);
	CHECK((c.proc & MUST(f.true_procbased_ctls)) == MUST(f.true_procbased_ctls),
	      "proc %#x: the CPU's must-be-1 bits", c.proc);
	CHECK(!(c.proc & (VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW)), "windows start closed");
	CHECK(c.proc2 == (VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED | VMX_PROC2_RDTSCP |
			  VMX_PROC2_WBINVD | VMX_PROC2_INVPCID | VMX_PROC2_VPID |
			  VMX_PROC2_PLE),
	      "proc2 %#x (no ENCLS, XSAVES on this model)", c.proc2);
	CHECK((c.exit & 0x3c0204) == 0x3c0204 && (c.exit & MUST(f.true_exit_ctls)) ==
	      MUST(f.true_exit_ctls), "exit %#x", c.exit);
	CHECK((c.entry & 0xc004) == 0xc004 && !(c.entry & VMX_ENTRY_IA32E), "entry %#x", c.entry);
	CHECK(c.vpid && c.invept_single && c.ept_ad && c.ept_2m, "EPT/VPID features");
	CHECK(c.cr0_must1 == 0x20 && c.cr0_must0 == ~0xffffffffull, "CR0 %#lx/%#lx",
	      (unsigned long)c.cr0_must1, (unsigned long)c.cr0_must0);
	CHECK(c.cr4_must1 == 0x2000 && c.cr4_must0 == ~0x1727ffull, "CR4");
	return KSFT_PASS;
}

static bool missing(const struct vmx_facts *f)
{
	struct vmx_config c;

	return vmx_configure(f, &c).verdict == KHV_HW_MISSING;
}

/* What khv cannot do without, and what it does without. */
static int t_vmx_config_variants(void)
{
	struct vmx_facts ok = VMX_OK_FACTS, f;
	struct vmx_config c;

	/* without true controls the CPU forces CR3 exiting (bits 15, 16) */
	f = ok; f.basic &= ~(1ull << 55);
	CHECK(missing(&f), "CR3 exiting forced");
	f = ok; f.true_pinbased_ctls &= ~(1ull << (32 + 5));
	CHECK(missing(&f), "no virtual NMIs");
	f = ok; f.true_procbased_ctls &= ~(1ull << (32 + 22));
	CHECK(missing(&f), "no NMI-window exiting");
	f = ok; f.true_procbased_ctls |= 1ull << 12;
	CHECK(missing(&f), "RDTSC exiting forced");
	f = ok; f.true_entry_ctls &= ~(1ull << (32 + 9));
	CHECK(missing(&f), "no IA-32e mode guest");
	f = ok; f.true_exit_ctls &= ~(1ull << (32 + 21));
	CHECK(missing(&f), "no EFER load at exit");
	f = ok; f.basic &= ~(0xfull << 50);
	CHECK(missing(&f), "VMCS memory uncacheable");
	f = ok; f.basic |= 1ull << 48;
	CHECK(missing(&f), "32-bit VMCS addresses");
	f = ok; f.ept_vpid_cap &= ~(1ull << 14);
	CHECK(missing(&f), "EPT without WB");
	f = ok; f.ept_vpid_cap &= ~((1ull << 25) | (1ull << 26));
	CHECK(missing(&f), "INVEPT without a type");

	f = ok; f.true_procbased_ctls &= ~(1ull << (32 + 21));
	CHECK(vmx_configure(&f, &c).verdict == KHV_HW_OK && !c.tpr_shadow &&
	      (c.proc & (VMX_PROC_CR8_LOAD | VMX_PROC_CR8_STORE)) ==
	      (VMX_PROC_CR8_LOAD | VMX_PROC_CR8_STORE), "no TPR shadow: CR8 exits");
	f = ok; f.ept_vpid_cap &= ~(1ull << 32);
	CHECK(vmx_configure(&f, &c).verdict == KHV_HW_OK && !c.vpid &&
	      !(c.proc2 & VMX_PROC2_VPID), "no INVVPID: no VPID");
	f = ok; f.ept_vpid_cap &= ~(1ull << 25);
	CHECK(vmx_configure(&f, &c).verdict == KHV_HW_OK && !c.invept_single,
	      "INVEPT all-context only");
	f = ok; f.ept_vpid_cap &= ~(1ull << 16);
	CHECK(vmx_configure(&f, &c).verdict == KHV_HW_OK && !c.ept_2m,
	      "no 2 MiB EPT pages: 4 KiB mappings only");
	f = ok; f.procbased_ctls2 &= ~((u64)(VMX_PROC2_RDTSCP | VMX_PROC2_INVPCID) << 32);
	CHECK(vmx_configure(&f, &c).verdict == KHV_HW_OK &&
	      !(c.proc2 & (VMX_PROC2_RDTSCP | VMX_PROC2_INVPCID)), "optional controls absent");
	f = ok; f.procbased_ctls2 |= (u64)(VMX_PROC2_XSAVES | VMX_PROC2_ENCLS) << 32;
	CHECK(vmx_configure(&f, &c).verdict == KHV_HW_OK &&
	      (c.proc2 & (VMX_PROC2_XSAVES | VMX_PROC2_ENCLS)) ==
	      (VMX_PROC2_XSAVES | VMX_PROC2_ENCLS), "optional controls present");
	return KSFT_PASS;
}

static int t_messages(void)
{
	struct svm_facts s = SVM_OK_FACTS;
	struct vmx_facts v = VMX_OK_FACTS;

	CHECK(svm_check_support(&s).what && vmx_check_support(&v).what, "text");
	s.vm_cr = 1u << 4;
	v.feature_control = 0;
	CHECK(svm_check_support(&s).what[0] && vmx_check_support(&v).what[0], "text");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "svm_support", t_svm },
	{ "vmx_support", t_vmx },
	{ "vmx_config", t_vmx_config },
	{ "vmx_config_variants", t_vmx_config_variants },
	{ "support_messages", t_messages },
};

int main(void)
{
	return KSFT_RUN(cases);
}
