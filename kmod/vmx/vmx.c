// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX backend. Mirrors svm/svm.c function for function.
 * Register and MSR facts: Intel SDM vol. 3C, chapters 23-24.
 */
#include <linux/percpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/idr.h>
#include <linux/smp.h>
#include <asm/asm.h>
#include <asm/mce.h>
#include <linux/io.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include "vmx.h"

/* Each CPU needs a VMXON region: one page starting with the VMCS revision. */
static DEFINE_PER_CPU(struct page *, vmx_vmxon_page);
DEFINE_PER_CPU(struct list_head, vmx_loaded);
DEFINE_PER_CPU(struct vmx_vcpu *, vmx_current);

/* The controls and features every VMCS gets (vmx_support.c); const after hw_check. */
struct vmx_host vmx_host;

/* VPIDs 1..65535 (0 is the host's) */
static DEFINE_IDA(vmx_vpids);

/*
 * MSRs the guest reads and writes without an exit: those the VMCS switches
 * (FS/GS base, SYSENTER) and KERNEL_GS_BASE (loaded around each entry,
 * read back after it). STAR, LSTAR, CSTAR and SFMASK, also loaded around
 * each entry, exit: khv's copy is the value, whatever bits the CPU keeps.
 */
static const u32 vmx_msr_passthrough[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

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

	vmx_host.ins_outs_info = f.basic & BIT_ULL(54);
	return vmx_configure(&f, &vmx_host.config);
}

/* The MSR bitmap (SDM 25.6.9): read low, read high, write low, write high. */
static void vmx_msr_bitmap_clear(unsigned long *map, u32 msr, bool write)
{
	u32 off = write ? 0x800 * 8 : 0;

	if (msr >= 0xc0000000) {
		off += 0x400 * 8;
		msr -= 0xc0000000;
	}
	if (!WARN_ON_ONCE(msr >= 0x2000))
		__clear_bit(off + msr, map);
}

static u64 vmx_alloc_filled(u8 fill)
{
	struct page *p = alloc_page(GFP_KERNEL);

	if (!p)
		return 0;
	memset(page_address(p), fill, PAGE_SIZE);
	return page_to_phys(p);
}

static void vmx_free_maps(void)
{
	u64 *pa[] = { &vmx_host.io_bitmap_pa[0], &vmx_host.io_bitmap_pa[1],
		      &vmx_host.msr_bitmap_pa, &vmx_host.msr_bitmap_all_pa };
	int i;

	for (i = 0; i < ARRAY_SIZE(pa); i++) {
		if (*pa[i])
			__free_page(pfn_to_page(PHYS_PFN(*pa[i])));
		*pa[i] = 0;
	}
}

static int vmx_alloc_maps(void)
{
	unsigned long *msr;
	int i;

	vmx_host.io_bitmap_pa[0] = vmx_alloc_filled(0xff);
	vmx_host.io_bitmap_pa[1] = vmx_alloc_filled(0xff);
	vmx_host.msr_bitmap_pa = vmx_alloc_filled(0xff);
	vmx_host.msr_bitmap_all_pa = vmx_alloc_filled(0xff);
	if (!vmx_host.io_bitmap_pa[0] || !vmx_host.io_bitmap_pa[1] ||
	    !vmx_host.msr_bitmap_pa || !vmx_host.msr_bitmap_all_pa) {
		vmx_free_maps();
		return -ENOMEM;
	}
	msr = __va(vmx_host.msr_bitmap_pa);
	for (i = 0; i < ARRAY_SIZE(vmx_msr_passthrough); i++) {
		vmx_msr_bitmap_clear(msr, vmx_msr_passthrough[i], false);
		vmx_msr_bitmap_clear(msr, vmx_msr_passthrough[i], true);
	}
	return 0;
}

/* As svm_msr_filter_changed(): the next entry writes the bitmap's address. */
static void vmx_msr_filter_changed(struct khv_vcpu *vcpu)
{
	bool all = false;
	int i;

	for (i = 0; i < ARRAY_SIZE(vmx_msr_passthrough); i++)
		all |= !khv_msr_filter_allowed(vcpu, vmx_msr_passthrough[i], false) ||
		       !khv_msr_filter_allowed(vcpu, vmx_msr_passthrough[i], true);
	to_vmx(vcpu)->msr_bitmap_pa =
		all ? vmx_host.msr_bitmap_all_pa : vmx_host.msr_bitmap_pa;
}

static void vmx_hw_unsetup(void)
{
	vmx_free_maps();
	khv_percpu_pages_free(&vmx_vmxon_page);
}

static int vmx_hw_setup(void)
{
	int cpu, r;

	r = khv_percpu_pages_alloc(&vmx_vmxon_page);
	if (r)
		return r;
	for_each_possible_cpu(cpu) {
		struct page *p = *per_cpu_ptr(&vmx_vmxon_page, cpu);

		*(u32 *)page_address(p) = vmx_host.config.revision;
		INIT_LIST_HEAD(per_cpu_ptr(&vmx_loaded, cpu));
	}
	r = vmx_alloc_maps();
	if (r)
		vmx_hw_unsetup();
	return r;
}

/*
 * VMXON, VMCLEAR, VMPTRLD: one physical-address operand; 0, or -EIO when
 * the CPU refused (VMfail: CF or ZF) or faulted (#GP, e.g. CR0/CR4 fixed
 * bits, #UD with VMX off).
 */
#define VMX_PA_ASM(insn)	"1: " insn " %[pa]\n\t"			\
				"jbe %l[fail]\n\t"				\
				_ASM_EXTABLE(1b, %l[fail])

int vmx_vmclear(u64 pa)
{
	asm goto(VMX_PA_ASM("vmclear") : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

int vmx_vmptrld(u64 pa)
{
	asm goto(VMX_PA_ASM("vmptrld") : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static int vmx_vmxon(u64 pa)
{
	asm goto(VMX_PA_ASM("vmxon") : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/*
 * INVEPT (SDM vol. 3C, 30.3): single context drops the guest-physical and
 * combined mappings of one EPT root, for every VPID, so khv needs no
 * INVVPID (with EPT every guest translation is a combined mapping).
 */
void vmx_invept(bool single, u64 eptp)
{
	struct { u64 eptp, zero; } d = { single ? eptp : 0, 0 };
	u64 type = single ? 1 : 2;

	asm volatile("invept %[d], %[t]" : : [d] "m" (d), [t] "r" (type)
		     : "cc", "memory");
}

int vmx_vpid_alloc(void)
{
	if (!vmx_host.config.vpid)
		return 0;
	return ida_alloc_range(&vmx_vpids, 1, 0xffff, GFP_KERNEL);
}

void vmx_vpid_free(int vpid)
{
	if (vpid > 0)
		ida_free(&vmx_vpids, vpid);
}

/*
 * VMCLEAR on the CPU that holds the VMCS (IPI or local, interrupts off):
 * its state goes to memory, it may be loaded elsewhere, launched again.
 */
static void vmx_vmcs_clear_here(void *arg)
{
	struct vmx_vcpu *vmx = arg;
	int cpu = smp_processor_id();

	/* already cleared here (CPU going down) or never loaded here */
	if (READ_ONCE(vmx->loaded_cpu) != cpu)
		return;
	vmx_vmclear(vmx->vmcs_pa);
	if (this_cpu_read(vmx_current) == vmx)
		this_cpu_write(vmx_current, NULL);
	list_del(&vmx->loaded_link);
	vmx->launched = false;
	/* the data the clear wrote before the CPU it frees (pairs: READ_ONCE) */
	smp_wmb();
	WRITE_ONCE(vmx->loaded_cpu, -1);
}

/*
 * Preemption off (or the vCPU not running): the VMCS is loaded nowhere
 * afterwards. A CPU that went offline cleared its VMCSs in cpu_disable.
 */
void vmx_vmcs_drop(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->loaded_cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_vmcs_clear_here, vmx, 1);
}

static bool vmx_cpu_in_use(void)
{
	return __read_cr4() & X86_CR4_VMXE;
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
	struct vmx_vcpu *vmx, *tmp;
	unsigned long flags;

	if (!(__read_cr4() & X86_CR4_VMXE))
		return;
	/* VMXOFF leaves VMCS data in the CPU: write it back first */
	local_irq_save(flags);
	list_for_each_entry_safe(vmx, tmp, this_cpu_ptr(&vmx_loaded), loaded_link)
		vmx_vmcs_clear_here(vmx);
	local_irq_restore(flags);
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[off])
		 : : : "cc", "memory" : off);
off:
	cr4_clear_bits(X86_CR4_VMXE);
	intel_pt_handle_vmx(0);
}

/* EPT's 2 MiB pages, where IA32_VMX_EPT_VPID_CAP offers them. */
static bool vmx_pt_huge(void)
{
	return vmx_host.config.ept_2m;
}

/* INVPCID raises #UD in VMX non-root operation without its control. */
static bool vmx_invpcid(void)
{
	return vmx_host.config.proc2 & VMX_PROC2_INVPCID;
}

const struct khv_backend_ops khv_vmx_ops = {
	.name		= "vmx",
	.mcg_cap_mask	= ~0ULL,
	.mcg_cap_extra	= MCG_CMCI_P,	/* corrected-error interrupts, as kvm_intel */
	.hw_check	= vmx_hw_check,
	.hw_setup	= vmx_hw_setup,
	.hw_unsetup	= vmx_hw_unsetup,
	.cpu_in_use	= vmx_cpu_in_use,
	.cpu_enable	= vmx_cpu_enable,
	.cpu_disable	= vmx_cpu_disable,
	.pt_format	= &vmx_ept_format,
	.pt_huge	= vmx_pt_huge,
	.invpcid	= vmx_invpcid,
	.vcpu_alloc	= vmx_vcpu_alloc,
	.vcpu_init	= vmx_vcpu_init,
	.vcpu_free	= vmx_vcpu_free,
	.vcpu_load	= vmx_vcpu_load,
	.vcpu_put	= vmx_vcpu_put,
	.vcpu_enter	= vmx_vcpu_enter,
	.get_sregs	= vmx_get_sregs,
	.set_sregs	= vmx_set_sregs,
	.get_paging	= vmx_get_paging,
	.set_cr0	= vmx_set_cr0,
	.set_cr4	= vmx_set_cr4,
	.get_msr	= vmx_get_msr,
	.set_msr	= vmx_set_msr,
	.set_tsc_offset	= vmx_set_tsc_offset,
	.get_tsc_offset	= vmx_get_tsc_offset,
	.intercept_bp	= vmx_intercept_bp,
	.allow_insns	= vmx_allow_insns,
	.msr_filter_changed	= vmx_msr_filter_changed,
	.interrupt_shadow	= vmx_interrupt_shadow,
	.set_interrupt_shadow	= vmx_set_interrupt_shadow,
	.event_in_flight	= vmx_event_in_flight,
	.queued_irq		= vmx_queued_irq,
	.inject_irq	= vmx_inject_irq,
	.inject_nmi	= vmx_inject_nmi,
	.inject_exception	= vmx_inject_exception,
	.inject_page_fault	= vmx_inject_page_fault,
	.want_irq_window	= vmx_want_irq_window,
	.offer_irq		= vmx_offer_irq,
	.offer_result		= vmx_offer_result,
	.want_nmi_window	= vmx_want_nmi_window,
	.want_cr8_exit		= vmx_want_cr8_exit,
	.bench_vmrun	= vmx_bench_vmrun,
};
