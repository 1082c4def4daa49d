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

static struct khv_hw_result vmx_hw_check(void)
{
	struct vmx_facts f = { .leaf1_ecx = cpuid_ecx(1) };

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &f.feature_control))
		f.feature_control = 0;
	if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS, &f.procbased_ctls))
		f.procbased_ctls = 0;
	if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &f.procbased_ctls2))
		f.procbased_ctls2 = 0;
	return vmx_check_support(&f);
}

static int vmx_hw_setup(void)
{
	u64 basic;
	int cpu, r;

	r = khv_percpu_pages_alloc(&vmx_vmxon_page);
	if (r)
		return r;
	/* bits 30:0 of IA32_VMX_BASIC: the VMCS revision identifier */
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	for_each_possible_cpu(cpu) {
		struct page *p = *per_cpu_ptr(&vmx_vmxon_page, cpu);

		*(u32 *)page_address(p) = (u32)basic & 0x7fffffff;
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
