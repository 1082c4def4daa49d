// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend. Mirrors svm/svm.c function for function.
 * Register and MSR facts: Intel SDM vol. 3C, chapters 23-24.
 */
#include <linux/percpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/asm.h>
#include <linux/io.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include "backend.h"

/* Each CPU needs a VMXON region: one page starting with the VMCS revision. */
static DEFINE_PER_CPU(struct page *, vmx_vmxon_page);

/* The controls and features every VMCS gets (vmx_support.c); const after hw_check. */
static struct vmx_config vmx_config;

/* An MSR, or 0 where the CPU has none. */
static u64 vmx_msr(u32 index)
{
	u64 v;

	return rdmsrl_safe(index, &v) ? 0 : v;
}

static struct khv_hw_result vmx_hw_check(void)
{
	struct vmx_facts f = {
		.leaf1_ecx		= cpuid_ecx(1),
		.feature_control	= vmx_msr(MSR_IA32_FEAT_CTL),
		.basic			= vmx_msr(MSR_IA32_VMX_BASIC),
		.pinbased_ctls		= vmx_msr(MSR_IA32_VMX_PINBASED_CTLS),
		.procbased_ctls		= vmx_msr(MSR_IA32_VMX_PROCBASED_CTLS),
		.exit_ctls		= vmx_msr(MSR_IA32_VMX_EXIT_CTLS),
		.entry_ctls		= vmx_msr(MSR_IA32_VMX_ENTRY_CTLS),
		.true_pinbased_ctls	= vmx_msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS),
		.true_procbased_ctls	= vmx_msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS),
		.true_exit_ctls		= vmx_msr(MSR_IA32_VMX_TRUE_EXIT_CTLS),
		.true_entry_ctls	= vmx_msr(MSR_IA32_VMX_TRUE_ENTRY_CTLS),
		.procbased_ctls2	= vmx_msr(MSR_IA32_VMX_PROCBASED_CTLS2),
		.ept_vpid_cap		= vmx_msr(MSR_IA32_VMX_EPT_VPID_CAP),
		.cr0_fixed0		= vmx_msr(MSR_IA32_VMX_CR0_FIXED0),
		.cr0_fixed1		= vmx_msr(MSR_IA32_VMX_CR0_FIXED1),
		.cr4_fixed0		= vmx_msr(MSR_IA32_VMX_CR4_FIXED0),
		.cr4_fixed1		= vmx_msr(MSR_IA32_VMX_CR4_FIXED1),
	};

	return vmx_configure(&f, &vmx_config);
}

static int vmx_hw_setup(void)
{
	int cpu, r;

	r = khv_percpu_pages_alloc(&vmx_vmxon_page);
	if (r)
		return r;
	for_each_possible_cpu(cpu) {
		struct page *p = *per_cpu_ptr(&vmx_vmxon_page, cpu);

		*(u32 *)page_address(p) = vmx_config.revision;
	}
	return 0;
}

static void vmx_hw_unsetup(void)
{
	khv_percpu_pages_free(&vmx_vmxon_page);
}

static bool vmx_cpu_in_use(void)
{
	return __read_cr4() & X86_CR4_VMXE;
}

static int vmx_vmxon(u64 pa)
{
	/* VMfailInvalid sets CF, a #GP (e.g. CR0/CR4 fixed bits) faults */
	asm goto("1: vmxon %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static int vmx_cpu_enable(void)
{
	intel_pt_handle_vmx(1);
	cr4_set_bits(X86_CR4_VMXE);
	if (vmx_vmxon(page_to_phys(this_cpu_read(vmx_vmxon_page)))) {
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
		return -EIO;
	}
	return 0;
}

static void vmx_cpu_disable(void)
{
	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[off])
		 : : : "cc", "memory" : off);
off:
	cr4_clear_bits(X86_CR4_VMXE);
	intel_pt_handle_vmx(0);
}

const struct khv_backend_ops khv_vmx_ops = {
	.name		= "vmx",
	.mcg_cap_mask	= ~0ULL,
	.hw_check	= vmx_hw_check,
	.hw_setup	= vmx_hw_setup,
	.hw_unsetup	= vmx_hw_unsetup,
	.cpu_in_use	= vmx_cpu_in_use,
	.cpu_enable	= vmx_cpu_enable,
	.cpu_disable	= vmx_cpu_disable,
};
