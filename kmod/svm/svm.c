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

#include "svm.h"

/* Each CPU hands VMRUN a page where the CPU saves host state (VM_HSAVE_PA). */
static DEFINE_PER_CPU(struct page *, svm_hsave_page);
/* ... and one for the host state VMRUN leaves alone (VMSAVE/VMLOAD). */
DEFINE_PER_CPU(struct page *, svm_vmsave_page);
DEFINE_PER_CPU(struct svm_asids, svm_asids);
DEFINE_PER_CPU(struct vmcb *, svm_last_vmcb);

struct svm_host svm_host;

#define SVM_IOPM_ORDER		2	/* 12 KiB used */
#define SVM_MSRPM_ORDER		1	/* 8 KiB */

/*
 * MSRs the guest reads and writes without an exit: those VMLOAD/VMSAVE
 * switch (the VMCB holds them), so the guest can only touch its own.
 */
static const u32 svm_msr_passthrough[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

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

/* Offset of @msr's two bits (read, write) in the MSR permission map. */
static int svm_msrpm_bit(u32 msr)
{
	static const u32 base[] = { 0, 0xc0000000, 0xc0010000 };
	int i;

	for (i = 0; i < ARRAY_SIZE(base); i++)
		if (msr - base[i] < 0x2000)
			return i * 0x800 * 8 + (msr - base[i]) * 2;
	return -1;
}

static void *svm_alloc_map(int order, u8 fill, u64 *pa)
{
	struct page *p = alloc_pages(GFP_KERNEL, order);

	if (!p)
		return NULL;
	memset(page_address(p), fill, PAGE_SIZE << order);
	*pa = page_to_phys(p);
	return page_address(p);
}

static void svm_free_maps(void)
{
	if (svm_host.iopm_pa)
		free_pages((unsigned long)__va(svm_host.iopm_pa), SVM_IOPM_ORDER);
	if (svm_host.msrpm_pa)
		free_pages((unsigned long)__va(svm_host.msrpm_pa), SVM_MSRPM_ORDER);
	if (svm_host.msrpm_all_pa)
		free_pages((unsigned long)__va(svm_host.msrpm_all_pa), SVM_MSRPM_ORDER);
	svm_host.iopm_pa = svm_host.msrpm_pa = svm_host.msrpm_all_pa = 0;
}

static int svm_alloc_maps(void)
{
	unsigned long *msrpm;
	int i;

	if (!svm_alloc_map(SVM_IOPM_ORDER, 0xff, &svm_host.iopm_pa))
		return -ENOMEM;
	msrpm = svm_alloc_map(SVM_MSRPM_ORDER, 0xff, &svm_host.msrpm_pa);
	if (!msrpm || !svm_alloc_map(SVM_MSRPM_ORDER, 0xff, &svm_host.msrpm_all_pa)) {
		svm_free_maps();
		return -ENOMEM;
	}
	for (i = 0; i < ARRAY_SIZE(svm_msr_passthrough); i++) {
		int bit = svm_msrpm_bit(svm_msr_passthrough[i]);

		__clear_bit(bit, msrpm);
		__clear_bit(bit + 1, msrpm);
	}
	return 0;
}

/*
 * KVM_X86_SET_MSR_FILTER: the MSRs above never exit, so a filter that
 * denies the guest one of them gets the vCPU the map that intercepts
 * every MSR; the core then applies the filter to each access.
 */
static void svm_msr_filter_changed(struct khv_vcpu *vcpu)
{
	bool all = false;
	int i;

	for (i = 0; i < ARRAY_SIZE(svm_msr_passthrough); i++)
		all |= !khv_msr_filter_allowed(vcpu, svm_msr_passthrough[i], false) ||
		       !khv_msr_filter_allowed(vcpu, svm_msr_passthrough[i], true);
	to_svm(vcpu)->vmcb->control.msrpm_base_pa =
		all ? svm_host.msrpm_all_pa : svm_host.msrpm_pa;
}

static void svm_hw_unsetup(void)
{
	svm_free_maps();
	khv_percpu_pages_free(&svm_vmsave_page);
	khv_percpu_pages_free(&svm_hsave_page);
}

static int svm_hw_setup(void)
{
	int cpu, r;

	svm_host.max_asid = cpuid_ebx(0x8000000a);
	svm_host.nrips = cpuid_edx(0x8000000a) & BIT(3);
	svm_host.decode_assists = cpuid_edx(0x8000000a) & BIT(7);
	svm_host.pause_filter = cpuid_edx(0x8000000a) & BIT(10);
	svm_host.pause_thresh = cpuid_edx(0x8000000a) & BIT(12);
	for_each_possible_cpu(cpu)
		per_cpu(svm_asids, cpu).next = svm_host.max_asid;
	r = khv_percpu_pages_alloc(&svm_hsave_page);
	if (!r)
		r = khv_percpu_pages_alloc(&svm_vmsave_page);
	if (!r)
		r = svm_alloc_maps();
	if (r)
		svm_hw_unsetup();
	return r;
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

/* Nested paging has the host's long-mode formats: 2 MiB pages always. */
static bool svm_pt_huge(void)
{
	return true;
}

/*
 * INVPCID is not intercepted: under nested paging it works on the guest's
 * own translations in its ASID, as the instruction's own.
 */
static bool svm_invpcid(void)
{
	return true;
}

const struct khv_backend_ops khv_svm_ops = {
	.name		= "svm",
	.mcg_cap_mask	= 0x1ff,	/* AMD: bits 63:9 reserved, as kvm_amd */
	.mcg_cap_extra	= 0,
	.hw_check	= svm_hw_check,
	.hw_setup	= svm_hw_setup,
	.hw_unsetup	= svm_hw_unsetup,
	.cpu_in_use	= svm_cpu_in_use,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
	.pt_format	= &svm_npt_format,
	.pt_huge	= svm_pt_huge,
	.invpcid	= svm_invpcid,
	.vcpu_alloc	= svm_vcpu_alloc,
	.vcpu_init	= svm_vcpu_init,
	.vcpu_free	= svm_vcpu_free,
	.vcpu_enter	= svm_vcpu_enter,
	.get_sregs	= svm_get_sregs,
	.set_sregs	= svm_set_sregs,
	.get_paging	= svm_get_paging,
	.set_cr0	= svm_set_cr0,
	.set_cr4	= svm_set_cr4,
	.get_msr	= svm_get_msr,
	.set_msr	= svm_set_msr,
	.set_tsc_offset	= svm_set_tsc_offset,
	.get_tsc_offset	= svm_get_tsc_offset,
	.intercept_bp	= svm_intercept_bp,
	.allow_insns	= svm_allow_insns,
	.msr_filter_changed	= svm_msr_filter_changed,
	.interrupt_shadow	= svm_interrupt_shadow,
	.set_interrupt_shadow	= svm_set_interrupt_shadow,
	.event_in_flight	= svm_event_in_flight,
	.queued_irq		= svm_queued_irq,
	.inject_irq	= svm_inject_irq,
	.inject_nmi	= svm_inject_nmi,
	.inject_exception	= svm_inject_exception,
	.inject_page_fault	= svm_inject_page_fault,
	.want_irq_window	= svm_want_irq_window,
	.offer_irq		= svm_offer_irq,
	.offer_result		= svm_offer_result,
	.want_nmi_window	= svm_want_nmi_window,
	.want_cr8_exit		= svm_want_cr8_exit,
	.bench_vmrun	= svm_bench_vmrun,
};
