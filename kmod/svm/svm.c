// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend. Mirrors vmx/vmx.c function for function.
 * Register and MSR facts: AMD APM vol. 2, chapter 15.
 */
#include <linux/percpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "backend.h"

/* Each CPU hands VMRUN a page where the CPU saves host state (VM_HSAVE_PA). */
static DEFINE_PER_CPU(struct page *, svm_hsave_page);

static struct khv_hw_result svm_hw_check(void)
{
	struct svm_facts f = {
		.max_ext_leaf = cpuid_eax(0x80000000),
		.ext1_ecx = cpuid_ecx(0x80000001),
	};

	if (f.max_ext_leaf >= 0x8000000a)
		f.svm_edx = cpuid_edx(0x8000000a);
	if (rdmsrl_safe(MSR_VM_CR, &f.vm_cr))
		f.vm_cr = 0;
	return svm_check_support(&f);
}

static int svm_hw_setup(void)
{
	return khv_percpu_pages_alloc(&svm_hsave_page);
}

static void svm_hw_unsetup(void)
{
	khv_percpu_pages_free(&svm_hsave_page);
}

static bool svm_cpu_in_use(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	return efer & EFER_SVME;
}

static int svm_cpu_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(this_cpu_read(svm_hsave_page)));
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	if (!(efer & EFER_SVME))
		return;
	/* Leave GIF set: with SVME clear nothing could set it again. */
	asm volatile("stgi" : : : "memory");
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

const struct khv_backend_ops khv_svm_ops = {
	.name		= "svm",
	.hw_check	= svm_hw_check,
	.hw_setup	= svm_hw_setup,
	.hw_unsetup	= svm_hw_unsetup,
	.cpu_in_use	= svm_cpu_in_use,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
};
