// SPDX-License-Identifier: GPL-2.0
/*
 * VMX vCPUs: the VMCS, guest entry, exit translation and guest state.
 * Mirrors svm/svm_vcpu.c. Facts: Intel SDM vol. 3C, chapters 25-29.
 *
 * A VMCS can be read and written only on the CPU where it is current, so
 * the guest state lives in struct vmx_guest as well (vmx.h): the ops the
 * core calls from ioctls work on that copy, and only vmx_vcpu_enter()
 * touches the VMCS, with interrupts off on the CPU that runs the guest.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/traps.h>
#include <asm/mce.h>
#include <asm/desc.h>
#include <asm/debugreg.h>
#include <asm/nospec-branch.h>
#include <asm/special_insns.h>
#include <asm/cpufeature.h>
#include <asm/segment.h>
#include <asm/vmx.h>
#include <asm/tlbflush.h>

#include "../cpuid_policy.h"
#include "vmx.h"

/* The VMCS a CPU entered last (for the predictor barrier); may be stale. */
static DEFINE_PER_CPU(void *, vmx_last_vmcs);

/* CR0 bits the guest changes without an exit; the rest exit (as KVM). */
#define VMX_CR0_GUEST_OWNED	X86_CR0_TS

/* pending debug exceptions: single step (SDM 25.4.2) */
#define VMX_PENDING_DBG_BS	BIT_ULL(14)

/* exit qualification of a #DB: B0-B3, BD, BS (27.2.1) */
#define VMX_DB_QUAL_MASK	(DR_TRAP_BITS | DR_STEP | BIT(13))

/*
 * PAUSE-loop exiting: PAUSEs at most this many TSC cycles apart are one
 * loop, and a loop longer than the window exits (KVM's defaults).
 */
#define VMX_PLE_GAP		128
#define VMX_PLE_WINDOW		4096

#define VMCS_XSS_EXIT_BITMAP	0x202c
#define VMCS_ENCLS_EXIT_BITMAP	0x202e

struct khv_vcpu *vmx_vcpu_alloc(void)
{
	struct vmx_vcpu *vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	struct page *page;
	int vpid;

	if (!vmx)
		return NULL;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		goto free_vmx;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	*(u32 *)vmx->vmcs = vmx_host.config.revision;
	if (vmx_host.config.tpr_shadow) {
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			goto free_vmcs;
		vmx->vapic = page_address(page);
	}
	vpid = vmx_vpid_alloc();
	if (vpid < 0)
		goto free_vapic;
	vmx->vpid = vpid;
	vmx->loaded_cpu = -1;
	vmx->tlb_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->fresh = true;
	return &vmx->vcpu;

free_vapic:
	if (vmx->vapic)
		free_page((unsigned long)vmx->vapic);
free_vmcs:
	free_page((unsigned long)vmx->vmcs);
free_vmx:
	kfree(vmx);
	return NULL;
}

void vmx_vcpu_free(struct khv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu;

	preempt_disable();
	vmx_vmcs_drop(vmx);
	preempt_enable();
	/* a new VMCS at this address must still get its barrier */
	for_each_possible_cpu(cpu)
		cmpxchg(per_cpu_ptr(&vmx_last_vmcs, cpu), vmx->vmcs, NULL);
	if (vmx->vpid)
		vmx_vpid_free(vmx->vpid);
	if (vmx->vapic)
		free_page((unsigned long)vmx->vapic);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
}

static void vmx_seg_init(struct kvm_segment *s, u16 sel, u8 type, bool code_data,
			 u64 base)
{
	*s = (struct kvm_segment) {
		.selector = sel, .base = base, .limit = 0xffff, .type = type,
		.present = 1, .s = code_data,
	};
}

/* Architectural reset state (SDM 10.1.1, table 10-1), as KVM's vCPU reset. */
static void vmx_guest_reset(struct vmx_guest *g)
{
	int i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < 6; i++)
		vmx_seg_init(&g->seg[i], 0, 0x3, true, 0);	/* data, RW, accessed */
	vmx_seg_init(&g->seg[VMX_CS], 0xf000, 0xb, true, 0xffff0000); /* code, RX */
	vmx_seg_init(&g->seg[VMX_LDTR], 0, 0x2, false, 0);	/* LDT */
	vmx_seg_init(&g->seg[VMX_TR], 0, 0xb, false, 0);	/* busy TSS */
	g->gdt.limit = 0xffff;
	g->idt.limit = 0xffff;
	g->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	g->pat = 0x0007040600070406ULL;				/* power-on PAT */
}

/*
 * What the guest may not do without khv seeing it; the reasons are in
 * Documentation/security.md. As on SVM: #DB and #AC (a delivery that
 * faults again would loop inside the CPU), #MC (the host's), #UD (the
 * other vendor's hypercall instruction).
 */
#define VMX_INTERCEPT_EXCEPTIONS	(BIT(DB_VECTOR) | BIT(AC_VECTOR) | \
					 BIT(MC_VECTOR) | BIT(UD_VECTOR))

/* the controls of instructions a guest's CPUID may deny (vmx_allow_insns()) */
#define VMX_PROC2_GUEST_INSNS	(VMX_PROC2_INVPCID | VMX_PROC2_RDTSCP)

int vmx_vcpu_init(struct khv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_guest_reset(&vmx->g);
	vmx->proc = vmx_host.config.proc;
	/* INVPCID and RDTSCP #UD until the guest's CPUID says (vmx_allow_insns()) */
	vmx->proc2 = vmx_host.config.proc2 & ~VMX_PROC2_GUEST_INSNS;
	vmx->entry = vmx_host.config.entry;
	vmx->exc_bitmap = VMX_INTERCEPT_EXCEPTIONS;
	vmx->msr_bitmap_pa = vmx_host.msr_bitmap_pa;
	vmx->inj_info = 0;
	vmx->irq_deferred = false;
	vmx->guest_dirty = true;
	vmx->guest_stale = false;	/* what the VMCS holds is past */
	return 0;
}

/* VMCS order of the segment registers and their struct kvm_sregs fields */
static struct kvm_segment *vmx_sregs_seg(struct kvm_sregs *s, int i)
{
	struct kvm_segment *order[8] = { &s->es, &s->cs, &s->ss, &s->ds,
					 &s->fs, &s->gs, &s->ldt, &s->tr };

	return order[i];
}

/* The CR0/CR4 the CPU runs the guest with: its own plus what VMX requires. */
static u64 vmx_real_cr0(u64 cr0)
{
	return (cr0 | vmx_host.config.cr0_must1) & ~vmx_host.config.cr0_must0;
}

static u64 vmx_real_cr4(u64 cr4)
{
	return (cr4 | vmx_host.config.cr4_must1) & ~vmx_host.config.cr4_must0;
}

static bool vmx_pae_paging(const struct vmx_guest *g)
{
	return (g->cr0 & X86_CR0_PG) && (g->cr4 & X86_CR4_PAE) &&
	       !(g->efer & EFER_LMA);
}

/*
 * A segment as VM entry takes it and KVM_GET_SREGS returns it, as KVM's
 * VMX keeps it: every register but LDTR gets its accessed bit
 * (unrestricted guest requires it of usable code and data segments; older
 * VMMs hand in reset state without it), and what is not present is
 * unusable, with no other attribute.
 */
static void vmx_seg_normalize(struct kvm_segment *s, int i)
{
	if (i != VMX_LDTR)
		s->type |= 1;
	vmx_seg_from_ar(vmx_seg_ar(s), s);
}

static void vmx_write_guest_state(struct vmx_vcpu *vmx)
{
	struct vmx_guest *g = &vmx->g;
	int i;

	for (i = 0; i < 8; i++) {
		vmcs_write(VMCS_GUEST_ES_SEL + 2 * i, g->seg[i].selector);
		vmcs_write(VMCS_GUEST_ES_BASE + 2 * i, g->seg[i].base);
		vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * i, g->seg[i].limit);
		vmcs_write(VMCS_GUEST_ES_AR + 2 * i, vmx_seg_ar(&g->seg[i]));
	}
	vmcs_write(VMCS_GUEST_GDTR_BASE, g->gdt.base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, g->gdt.limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, g->idt.base);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, g->idt.limit);
	vmcs_write(VMCS_GUEST_CR0, vmx_real_cr0(g->cr0));
	vmcs_write(VMCS_CR0_READ_SHADOW, g->cr0);
	vmcs_write(VMCS_GUEST_CR3, g->cr3);
	vmcs_write(VMCS_GUEST_CR4, vmx_real_cr4(g->cr4));
	vmcs_write(VMCS_CR4_READ_SHADOW, g->cr4);
	vmcs_write(VMCS_GUEST_EFER, g->efer);
	vmcs_write(VMCS_GUEST_PAT, g->pat);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, g->sysenter_cs);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, g->sysenter_esp);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, g->sysenter_eip);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	if (vmx_pae_paging(g))
		for (i = 0; i < 4; i++)
			vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, g->pdpte[i]);
	vmcs_write(VMCS_GUEST_ACTIVITY, 0);
	if (g->efer & EFER_LMA)
		vmx->entry |= VMX_ENTRY_IA32E;
	else
		vmx->entry &= ~VMX_ENTRY_IA32E;
}

/* Controls and the host state that never changes; once per VMCS. */
static void vmx_write_controls(struct vmx_vcpu *vmx)
{
	const struct vmx_config *c = &vmx_host.config;
	struct desc_ptr idt;

	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write(VMCS_PIN_CONTROLS, c->pin);
	vmcs_write(VMCS_EXIT_CONTROLS, c->exit);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_PF_ERROR_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write(VMCS_IO_BITMAP_A, vmx_host.io_bitmap_pa[0]);
	vmcs_write(VMCS_IO_BITMAP_B, vmx_host.io_bitmap_pa[1]);
	vmcs_write(VMCS_MSR_BITMAP, vmx->msr_bitmap_pa);
	vmx->has.msr_bitmap_pa = vmx->msr_bitmap_pa;
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, ~(u64)VMX_CR0_GUEST_OWNED);
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, ~0ULL);
	if (c->vpid)
		vmcs_write(VMCS_VPID, vmx->vpid);
	if (c->tpr_shadow) {
		vmcs_write(VMCS_VIRTUAL_APIC_ADDR, virt_to_phys(vmx->vapic));
		vmcs_write(VMCS_TPR_THRESHOLD, 0);
	}
	if (c->proc2 & VMX_PROC2_XSAVES)
		vmcs_write(VMCS_XSS_EXIT_BITMAP, 0);
	if (c->proc2 & VMX_PROC2_ENCLS)
		vmcs_write(VMCS_ENCLS_EXIT_BITMAP, ~0ULL);
	if (c->proc2 & VMX_PROC2_PLE) {
		vmcs_write(VMCS_PLE_GAP, VMX_PLE_GAP);
		vmcs_write(VMCS_PLE_WINDOW, VMX_PLE_WINDOW);
	}

	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CS_SEL, __KERNEL_CS);
	vmcs_write(VMCS_HOST_SS_SEL, __KERNEL_DS);
	vmcs_write(VMCS_HOST_ES_SEL, 0);
	vmcs_write(VMCS_HOST_DS_SEL, 0);
	vmcs_write(VMCS_HOST_FS_SEL, 0);
	vmcs_write(VMCS_HOST_GS_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_write(VMCS_HOST_IDTR_BASE, idt.address);
	vmcs_write(VMCS_HOST_RIP, (unsigned long)vmx_vmexit);
	if (c->exit & VMX_EXIT_LOAD_PAT) {
		u64 pat;

		rdmsrl(MSR_IA32_CR_PAT, pat);
		vmcs_write(VMCS_HOST_PAT, pat);
	}
	vmx->host_cr3 = vmx->host_cr4 = vmx->host_fs_base = 0;
	vmx->eptp = 0;
}

/* TR's base from its descriptor in this CPU's GDT (a 16-byte system one) */
static unsigned long vmx_host_tr_base(const struct desc_ptr *gdt)
{
	const struct ldttss_desc *d = (void *)(gdt->address + GDT_ENTRY_TSS * 8);

	return get_desc_base((const struct desc_struct *)d) |
	       ((unsigned long)d->base3 << 32);
}

/* Host state that differs between CPUs; whenever the VMCS changes CPU. */
static void vmx_write_host_cpu(void)
{
	struct desc_ptr gdt;
	u64 v;

	native_store_gdt(&gdt);
	vmcs_write(VMCS_HOST_GDTR_BASE, gdt.address);
	vmcs_write(VMCS_HOST_TR_BASE, vmx_host_tr_base(&gdt));
	rdmsrl(MSR_GS_BASE, v);
	vmcs_write(VMCS_HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(VMCS_HOST_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, v);
	if (vmx_host.config.exit & VMX_EXIT_LOAD_EFER) {
		rdmsrl(MSR_EFER, v);
		vmcs_write(VMCS_HOST_EFER, v);
	}
}

/*
 * This CPU, preemption off, interrupts on, before the entry frame: a VMCS
 * another CPU holds is VMCLEARed there first (an IPI; the entry cannot
 * send one with interrupts off).
 */
void vmx_vcpu_load(struct khv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu = READ_ONCE(vmx->loaded_cpu);

	if (cpu >= 0 && cpu != smp_processor_id())
		vmx_vmcs_drop(vmx);
}

/*
 * Make the VMCS current on this CPU (interrupts off). False if it is
 * still loaded on another CPU (vcpu_load not called) or VMPTRLD failed.
 */
static bool vmx_vmcs_activate(struct vmx_vcpu *vmx, int cpu)
{
	int loaded = READ_ONCE(vmx->loaded_cpu);

	if (loaded == cpu) {
		if (this_cpu_read(vmx_current) != vmx) {
			if (vmx_vmptrld(vmx->vmcs_pa))
				return false;
			this_cpu_write(vmx_current, vmx);
		}
		return true;
	}
	if (WARN_ON_ONCE(loaded >= 0))
		return false;
	smp_rmb();	/* pairs with vmx_vmcs_clear_here() */
	/* first use anywhere: VMCLEAR puts the launch state to clear */
	if (vmx->fresh && vmx_vmclear(vmx->vmcs_pa))
		return false;
	if (vmx_vmptrld(vmx->vmcs_pa))
		return false;
	this_cpu_write(vmx_current, vmx);
	list_add(&vmx->loaded_link, this_cpu_ptr(&vmx_loaded));
	WRITE_ONCE(vmx->loaded_cpu, cpu);
	vmx->launched = false;
	if (vmx->fresh) {
		vmx_write_controls(vmx);
		vmx->fresh = false;
		vmx->guest_dirty = true;
	}
	vmx_write_host_cpu();
	return true;
}

/*
 * Branch predictions one vCPU trained must not steer the next: when this
 * CPU enters a different VMCS than last time, IBPB first, as KVM.
 */
static void vmx_predictor_barrier(struct vmx_vcpu *vmx)
{
	if (this_cpu_read(vmx_last_vmcs) == vmx->vmcs)
		return;
	this_cpu_write(vmx_last_vmcs, vmx->vmcs);
	indirect_branch_prediction_barrier();
}

/* Host values the VMCS holds that can change between entries. */
static void vmx_write_host_entry(struct vmx_vcpu *vmx, u64 fs_base)
{
	u64 cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	if (cr3 != vmx->host_cr3) {
		vmcs_write(VMCS_HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (cr4 != vmx->host_cr4) {
		vmcs_write(VMCS_HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	if (fs_base != vmx->host_fs_base) {
		vmcs_write(VMCS_HOST_FS_BASE, fs_base);
		vmx->host_fs_base = fs_base;
	}
}

/*
 * Interruptibility for the entry. NMI blocking is the core's (masked
 * until the handler's IRET), except while an NMI goes in: the CPU sets it
 * as it delivers. STI blocking needs IF=1, and only one of STI and MOV SS.
 */
static u32 vmx_entry_interruptibility(struct vmx_vcpu *vmx)
{
	struct khv_vcpu *vcpu = &vmx->vcpu;
	u32 v = vmx->g.interruptibility &
		(VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS);
	bool nmi_in = (vmx->inj_info & VMX_INTR_VALID) &&
		      ((vmx->inj_info & VMX_INTR_TYPE_MASK) >> VMX_INTR_TYPE_SHIFT) ==
		      VMX_INTR_TYPE_NMI;

	if (v & VMX_INTERRUPTIBILITY_MOV_SS)
		v &= ~VMX_INTERRUPTIBILITY_STI;
	if (!(vcpu->rflags & X86_EFLAGS_IF))
		v &= ~VMX_INTERRUPTIBILITY_STI;
	if (vcpu->nmi_masked && !vcpu->nmi_iret_wait && !nmi_in)
		v |= VMX_INTERRUPTIBILITY_NMI;
	return v;
}

/* Write @field unless it holds @val already (@has: what it holds). */
#define VMX_WRITE_CHANGED(all, field, has, val)		\
	do {							\
		if ((all) || (has) != (val)) {			\
			vmcs_write(field, val);			\
			(has) = (val);				\
		}						\
	} while (0)

static void vmx_load_state(struct vmx_vcpu *vmx, u64 pt_root, bool flush)
{
	struct khv_vcpu *vcpu = &vmx->vcpu;
	const struct vmx_config *c = &vmx_host.config;
	u64 eptp = pt_root | (3 << 3) | 6;	/* 4 levels, write-back */
	bool all = vmx->guest_dirty;
	u32 shadow;

	if (vmx->guest_dirty) {
		/* every change of vmx_guest is made after vmx_sync_guest() */
		WARN_ON_ONCE(vmx->guest_stale);
		vmx_write_guest_state(vmx);
		vmx->guest_dirty = false;
	}
	if (eptp != vmx->eptp) {
		vmcs_write(VMCS_EPT_POINTER, eptp);
		vmx->eptp = eptp;
	}
	/* another CPU may hold translations of this guest from before */
	if (flush || vmx->tlb_cpu != smp_processor_id()) {
		vmx_invept(c->invept_single, eptp);
		vmx->tlb_cpu = smp_processor_id();
	}
	/* what the VMCS holds already (from the last entry or exit) stays */
	VMX_WRITE_CHANGED(all, VMCS_PROC_CONTROLS, vmx->has.proc, vmx->proc);
	VMX_WRITE_CHANGED(all, VMCS_PROC2_CONTROLS, vmx->has.proc2, vmx->proc2);
	VMX_WRITE_CHANGED(all, VMCS_ENTRY_CONTROLS, vmx->has.entry, vmx->entry);
	VMX_WRITE_CHANGED(all, VMCS_EXCEPTION_BITMAP, vmx->has.exc_bitmap, vmx->exc_bitmap);
	VMX_WRITE_CHANGED(all, VMCS_MSR_BITMAP, vmx->has.msr_bitmap_pa, vmx->msr_bitmap_pa);
	VMX_WRITE_CHANGED(all, VMCS_TSC_OFFSET, vmx->has.tsc_offset, vmx->tsc_offset);
	VMX_WRITE_CHANGED(all, VMCS_GUEST_RSP, vmx->has.rsp, vcpu->gprs[4]);
	VMX_WRITE_CHANGED(all, VMCS_GUEST_RIP, vmx->has.rip, vcpu->rip);
	VMX_WRITE_CHANGED(all, VMCS_GUEST_RFLAGS, vmx->has.rflags, vcpu->rflags);
	vmcs_write(VMCS_GUEST_DR7, vcpu->hw_dr7);
	/*
	 * RIP moved since the exit: khv completed the instruction (CPUID, an
	 * MMIO access, ...) and raises its single-step trap itself; debug
	 * exceptions the CPU held pending for it must not come a second time
	 * (Bochs holds BS pending across a CPUID exit).
	 */
	if (vcpu->rip != vmx->exit_rip)
		vmx->g.pending_dbg = 0;
	shadow = vmx_entry_interruptibility(vmx);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, shadow);
	/* a single step pending under a shadow is the CPU's to deliver */
	if ((shadow & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS)) &&
	    (vcpu->rflags & X86_EFLAGS_TF))
		vmx->g.pending_dbg |= VMX_PENDING_DBG_BS;
	else if (!(vcpu->rflags & X86_EFLAGS_TF))
		vmx->g.pending_dbg &= ~VMX_PENDING_DBG_BS;
	vmcs_write(VMCS_GUEST_PENDING_DBG, vmx->g.pending_dbg);
	/* every VM exit clears the field's valid bit */
	if (vmx->inj_info & VMX_INTR_VALID) {
		vmcs_write(VMCS_ENTRY_INTR_INFO, vmx->inj_info);
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, vmx->inj_error);
		vmcs_write(VMCS_ENTRY_INSN_LEN, vmx->inj_len);
	}
	if (vmx->vapic)
		WRITE_ONCE(vmx->vapic[0x80], (vcpu->tpr & 0xf) << 4);
}

/* What every exit needs at once. */
static void vmx_store_state(struct vmx_vcpu *vmx)
{
	struct khv_vcpu *vcpu = &vmx->vcpu;
	struct vmx_guest *g = &vmx->g;

	vcpu->gprs[4] = vmcs_read(VMCS_GUEST_RSP);
	vcpu->rip = vmcs_read(VMCS_GUEST_RIP);
	vmx->exit_rip = vcpu->rip;
	vcpu->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	vmx->has.rsp = vcpu->gprs[4];
	vmx->has.rip = vcpu->rip;
	vmx->has.rflags = vcpu->rflags;
	g->interruptibility = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	g->pending_dbg = vmcs_read(VMCS_GUEST_PENDING_DBG);
	g->cr0 = (g->cr0 & ~VMX_CR0_GUEST_OWNED) |
		 (vmcs_read(VMCS_GUEST_CR0) & VMX_CR0_GUEST_OWNED);
	if (vmx->vapic)
		vcpu->tpr = READ_ONCE(vmx->vapic[0x80]) >> 4;
	vmx->inj_info = 0;
	vmx->guest_stale = true;
}

/* The rest of what the guest loads without an exit (the VMCS is current). */
static void vmx_read_guest_state(struct vmx_vcpu *vmx)
{
	struct vmx_guest *g = &vmx->g;
	int i;

	g->cr3 = vmcs_read(VMCS_GUEST_CR3);
	for (i = 0; i < 8; i++) {
		struct kvm_segment *s = &g->seg[i];

		s->selector = vmcs_read(VMCS_GUEST_ES_SEL + 2 * i);
		s->base = vmcs_read(VMCS_GUEST_ES_BASE + 2 * i);
		s->limit = vmcs_read(VMCS_GUEST_ES_LIMIT + 2 * i);
		vmx_seg_from_ar(vmcs_read(VMCS_GUEST_ES_AR + 2 * i), s);
	}
	g->gdt.base = vmcs_read(VMCS_GUEST_GDTR_BASE);
	g->gdt.limit = vmcs_read(VMCS_GUEST_GDTR_LIMIT);
	g->idt.base = vmcs_read(VMCS_GUEST_IDTR_BASE);
	g->idt.limit = vmcs_read(VMCS_GUEST_IDTR_LIMIT);
	g->sysenter_cs = vmcs_read(VMCS_GUEST_SYSENTER_CS);
	g->sysenter_esp = vmcs_read(VMCS_GUEST_SYSENTER_ESP);
	g->sysenter_eip = vmcs_read(VMCS_GUEST_SYSENTER_EIP);
	if (vmx_pae_paging(g))
		for (i = 0; i < 4; i++)
			g->pdpte[i] = vmcs_read(VMCS_GUEST_PDPTE0 + 2 * i);
}

/*
 * Bring vmx_guest up to date before the host reads or changes it (from an
 * exit handler or an ioctl, preemptible, maybe on another CPU than the
 * exit's): the VMCS is made current here first, as for an entry, on a
 * CPU with VMX on (one coming up may not be yet: wait a tick, as KVM_RUN
 * does). Within an entry nothing waits: that CPU is on.
 */
static void vmx_sync_guest(struct vmx_vcpu *vmx)
{
	unsigned long flags;

	if (!vmx->guest_stale)
		return;
	for (;;) {
		preempt_disable();
		vmx_vcpu_load(&vmx->vcpu);
		local_irq_save(flags);
		if (khv_this_cpu_on())
			break;
		local_irq_restore(flags);
		preempt_enable();
		schedule_timeout_uninterruptible(1);
	}
	if (!WARN_ON_ONCE(!vmx_vmcs_activate(vmx, smp_processor_id())))
		vmx_read_guest_state(vmx);
	local_irq_restore(flags);
	preempt_enable();
	vmx->guest_stale = false;
}

/*
 * MSRs VMX does not switch. STAR, LSTAR, CSTAR and SFMASK only WRMSR
 * changes (it exits); KERNEL_GS_BASE SWAPGS changes too: read back.
 */
static const u32 vmx_switched_msrs[VMX_N_SWITCHED_MSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};

static bool vmx_switched_msr(u32 index)
{
	int i;

	for (i = 0; i < VMX_N_SWITCHED_MSRS; i++)
		if (index == vmx_switched_msrs[i])
			return true;
	return false;
}

static u64 *vmx_switched_slot(struct vmx_guest *g, int i)
{
	u64 *slots[VMX_N_SWITCHED_MSRS] = { &g->star, &g->lstar, &g->cstar,
				       &g->sfmask, &g->kernel_gs_base };

	return slots[i];
}

/*
 * Once per put: the host's selectors, FS base, LDT and DEBUGCTL saved,
 * the syscall MSRs, KERNEL_GS_BASE and TSC_AUX switched to the guest's.
 */
static void vmx_host_save(struct vmx_vcpu *vmx, struct vmx_host_save *h)
{
	int i;

	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=r" (h->ldt));
	rdmsrl(MSR_FS_BASE, h->fs_base);
	h->debugctl = get_debugctlmsr();
	for (i = 0; i < VMX_N_SWITCHED_MSRS; i++) {
		u64 guest = *vmx_switched_slot(&vmx->g, i);

		rdmsrl(vmx_switched_msrs[i], h->msr[i]);
		if (guest != h->msr[i])
			wrmsrl(vmx_switched_msrs[i], guest);
	}
	h->tsc_aux = 0;
	if (boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID)) {
		rdmsrl(MSR_TSC_AUX, h->tsc_aux);
		if (h->tsc_aux != vmx->g.tsc_aux)
			wrmsrl(MSR_TSC_AUX, vmx->g.tsc_aux);
	}
}

/* At the put: everything vmx_host_save() switched, and VM exit's limits. */
static void vmx_host_restore(struct vmx_vcpu *vmx, const struct vmx_host_save *h)
{
	int i;

	/* the guest's KERNEL_GS_BASE first: loading GS below changes it */
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->g.kernel_gs_base);
	if (h->ldt)
		asm volatile("lldt %0" : : "rm" (h->ldt));
	if (h->ds | h->es) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs)
		load_gs_index(h->gs);
	for (i = 0; i < VMX_N_SWITCHED_MSRS; i++)
		if (h->gs || *vmx_switched_slot(&vmx->g, i) != h->msr[i])
			wrmsrl(vmx_switched_msrs[i], h->msr[i]);
	if ((boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID)) &&
	    h->tsc_aux != vmx->g.tsc_aux)
		wrmsrl(MSR_TSC_AUX, h->tsc_aux);
	/* VM exit set the GDT limit to 64 KiB and the TSS's to 0x67 */
	load_fixmap_gdt(smp_processor_id());
	invalidate_tss_limit();
}

/* After every exit: VM exit cleared DEBUGCTL, whose host value stays. */
void vmx_host_after_exit(struct vmx_vcpu *vmx)
{
	if (vmx->host.debugctl)
		update_debugctlmsr(vmx->host.debugctl);
}

/*
 * The thread leaves the vCPU (preemption off; at a context switch,
 * interrupts off too): the host state the entries kept switched goes
 * back before anything can use it. The kernel itself never does: SYSCALL
 * (the syscall MSRs) and SWAPGS to user space (KERNEL_GS_BASE), user
 * space's selectors, RDPID/RDTSCP in the vDSO (TSC_AUX; the kernel's
 * paranoid entry reads the CPU number from the GDT), and the GDT and TSS
 * limits only matter to user space's segment loads and I/O bitmap.
 */
void vmx_vcpu_put(struct khv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx->host_saved)
		return;
	vmx_host_restore(vmx, &vmx->host);
	vmx->host_saved = false;
}

/*
 * Before the host reads or writes a switched MSR (TSC_AUX too) of the
 * guest's: while an entry has them loaded the CPU's copy is the truth,
 * so put them back first (the next entry loads them again).
 */
static void vmx_put_switched(struct vmx_vcpu *vmx, u32 index)
{
	if (!vmx_switched_msr(index) && index != MSR_TSC_AUX)
		return;
	preempt_disable();
	vmx_vcpu_put(&vmx->vcpu);
	preempt_enable();
}

/*
 * L1TF: on a CPU that leaks L1D contents to a guest, flush it before each
 * entry, unless the host's L1TF mitigation says the guest needs none.
 */
static void vmx_l1d_flush(void)
{
	if (!boot_cpu_has_bug(X86_BUG_L1TF) || !boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		return;
	if (l1tf_vmx_mitigation == VMENTER_L1D_FLUSH_NEVER ||
	    l1tf_vmx_mitigation == VMENTER_L1D_FLUSH_NOT_REQUIRED)
		return;
	wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
}

/*
 * Exit handlers: fill @exit for the core. Exits the core does not see
 * (host interrupts, instructions a guest may not use) end in RESUME.
 */
typedef void (*vmx_exit_fn)(struct vmx_vcpu *vmx, struct khv_exit *exit);

static void vmx_exit_host(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_HOST_EVENT;
}

/* VMX instructions, GETSEC: #UD. */
static void vmx_exit_ud(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	vmx_inject_exception(&vmx->vcpu, UD_VECTOR, false, 0);
	exit->kind = KHV_EXIT_RESUME;
}

/* RIP after the instruction that exited (its length is in the VMCS). */
static u64 vmx_next_rip(struct vmx_vcpu *vmx)
{
	return vmx->vcpu.rip + vmx->exit_insn_len;
}

/*
 * A task switch: VMX always exits on one, SVM's CPU performs it (khv does
 * not intercept TASK_SWITCH there). The qualification has the new TSS's
 * selector and the source; an interrupt or exception that went through
 * a task gate is in the IDT-vectoring information, and the switch
 * delivers it: it is not queued again. Software-caused switches (CALL,
 * JMP, IRET, INT n, INT3, INTO, INT1) save the next instruction's EIP.
 */
static void vmx_exit_task_switch(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	static const u8 source[] = { KHV_TS_CALL, KHV_TS_IRET, KHV_TS_JMP,
				     KHV_TS_GATE };
	u32 idt = vmcs_read(VMCS_IDT_VECTORING_INFO);
	u8 type = (idt & VMX_INTR_TYPE_MASK) >> VMX_INTR_TYPE_SHIFT;
	struct khv_task_switch *ts = &exit->ts;
	bool soft = true;

	exit->kind = KHV_EXIT_TASK_SWITCH;
	ts->selector = exit->info1 & 0xffff;
	ts->reason = source[exit->info1 >> 30 & 3];
	ts->has_error = false;
	ts->error = 0;
	ts->soft_vector = -1;
	if (idt & VMX_INTR_VALID) {
		vmx->inj_info = 0;		/* vmx_requeue_event() queued it */
		switch (type) {
		case VMX_INTR_TYPE_NMI:		/* delivered: NMIs blocked */
			vmx->g.interruptibility |= VMX_INTERRUPTIBILITY_NMI;
			soft = false;
			break;
		case VMX_INTR_TYPE_HW_EXC:
			ts->has_error = idt & VMX_INTR_ERROR_CODE;
			if (ts->has_error)
				ts->error = vmcs_read(VMCS_IDT_VECTORING_ERROR);
			soft = false;
			break;
		case VMX_INTR_TYPE_EXT:
			soft = false;
			break;
		case VMX_INTR_TYPE_SW_INT:
			ts->soft_vector = idt & VMX_INTR_VECTOR;
			break;
		}
	}
	ts->return_rip = soft ? vmx_next_rip(vmx) : vmx->vcpu.rip;
}

static void vmx_exit_invd(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	khv_skip_insn(&vmx->vcpu, vmx_next_rip(vmx));
	exit->kind = KHV_EXIT_RESUME;
}

static void vmx_exit_xsetbv(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_XSETBV;
	exit->next_rip = vmx_next_rip(vmx);
}

static void vmx_exit_cpuid(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_CPUID;
	exit->next_rip = vmx_next_rip(vmx);
}

/* VMCALL: KVM's hypercall instruction on Intel (0f 01 c1). */
static void vmx_exit_vmcall(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_HYPERCALL;
	exit->next_rip = vmx_next_rip(vmx);
}

static void vmx_exit_hlt(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_HLT;
	exit->next_rip = vmx_next_rip(vmx);
}

static void vmx_exit_rdmsr(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_RDMSR;
	exit->next_rip = vmx_next_rip(vmx);
}

static void vmx_exit_wrmsr(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_WRMSR;
	exit->next_rip = vmx_next_rip(vmx);
}

static void vmx_exit_io(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	struct vmx_io io;

	vmx_decode_io(exit->info1, vmcs_read(VMCS_EXIT_INSN_INFO),
		      vmx_host.ins_outs_info, &io);
	exit->kind = KHV_EXIT_IO;
	exit->next_rip = vmx_next_rip(vmx);
	exit->io.port = io.port;
	exit->io.size = io.size;
	exit->io.addr_size = io.addr_size;
	exit->io.in = io.in;
	exit->io.string = io.string;
	exit->io.rep = io.rep;
}

static void vmx_exit_dr(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_DR_ACCESS;
}

/* MOV to CR0/CR4/CR8, CLTS, LMSW; the CPU names the source register. */
static void vmx_exit_cr(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	struct vmx_cr_access cr;

	vmx_decode_cr(exit->info1, &cr);
	exit->kind = KHV_EXIT_CR_WRITE;
	exit->next_rip = vmx_next_rip(vmx);
	exit->cr.cr = cr.cr;
	exit->cr.gpr = cr.gpr;
	exit->cr.lmsw = cr.lmsw_source;
	switch (cr.type) {
	case VMX_CR_MOV_TO:
		exit->cr.type = KHV_CR_MOV;
		break;
	case VMX_CR_CLTS:
		exit->cr.type = KHV_CR_CLTS;
		break;
	case VMX_CR_LMSW:
		exit->cr.type = KHV_CR_LMSW;
		break;
	default:
		/* MOV from CR8: exits only on CPUs without a TPR shadow */
		if (cr.cr != 8) {
			exit->kind = KHV_EXIT_UNHANDLED;	/* CR3: never enabled */
			break;
		}
		vmx->vcpu.gprs[cr.gpr] = vmx->vcpu.tpr;
		khv_skip_insn(&vmx->vcpu, exit->next_rip);
		exit->kind = KHV_EXIT_RESUME;
	}
}

/* #DB: VMX leaves DR6 alone and says in the qualification what it would set. */
static void vmx_exc_db(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	struct khv_vcpu *vcpu = &vmx->vcpu;
	u64 q = exit->info1 & VMX_DB_QUAL_MASK;

	vcpu->hw_dr6 = (vcpu->hw_dr6 & ~(u64)DR_TRAP_BITS) | q;
	exit->kind = KHV_EXIT_EXCEPTION;
	exit->exc.vector = DB_VECTOR;
	exit->exc.has_error = false;
}

/*
 * A machine check while the guest ran: the CPU gave it to us instead of
 * to the host's handler, which gets it now (interrupts still off), as if
 * it had hit user space. The guest goes on.
 */
static void vmx_machine_check(void)
{
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	if (IS_ENABLED(CONFIG_X86_MCE))
		do_machine_check(&regs);
}

/*
 * A host NMI arrived while the guest ran and caused the exit instead of
 * running the host's handler: run it now (through the IDT, on its stack).
 */
static void vmx_host_nmi(void)
{
	asm volatile("int $2" : : : "memory");
}

/*
 * For an exit outside vmx_vcpu_enter() (the benchmark loop): an NMI or
 * machine check the exit took from the host goes to the host's handler.
 */
void vmx_host_events_after_exit(void)
{
	u32 reason = vmcs_read(VMCS_EXIT_REASON) & VMX_EXIT_REASON_BASIC;
	u32 info = vmcs_read(VMCS_EXIT_INTR_INFO);
	u8 type = (info & VMX_INTR_TYPE_MASK) >> VMX_INTR_TYPE_SHIFT;

	if (reason == VMX_EXIT_MCE_DURING_ENTRY ||
	    (reason == VMX_EXIT_EXCEPTION_NMI && type == VMX_INTR_TYPE_HW_EXC &&
	     (info & VMX_INTR_VECTOR) == MC_VECTOR))
		vmx_machine_check();
	else if (reason == VMX_EXIT_EXCEPTION_NMI && type == VMX_INTR_TYPE_NMI)
		vmx_host_nmi();
}

/* Exception or NMI (exit reason 0). */
static void vmx_exit_exception(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	u32 info = vmx->exit_intr_info;
	u8 vector = info & VMX_INTR_VECTOR;
	u8 type = (info & VMX_INTR_TYPE_MASK) >> VMX_INTR_TYPE_SHIFT;

	exit->kind = KHV_EXIT_RESUME;
	if (type == VMX_INTR_TYPE_NMI) {
		vmx_host_nmi();
		exit->kind = KHV_EXIT_HOST_EVENT;
		return;
	}
	/* INT1 (ICEBP): a trap, #DB with RIP after it */
	if (type == VMX_INTR_TYPE_PRIV_SW_EXC) {
		exit->kind = KHV_EXIT_ICEBP;
		exit->next_rip = vmx_next_rip(vmx);
		return;
	}
	switch (vector) {
	case DB_VECTOR:
		vmx_exc_db(vmx, exit);
		break;
	case BP_VECTOR:		/* RIP is the INT3's */
		exit->kind = KHV_EXIT_EXCEPTION;
		exit->exc.vector = BP_VECTOR;
		exit->exc.has_error = false;
		break;
	case UD_VECTOR:		/* the core's: see svm_exit_ud_fault() */
		exit->kind = KHV_EXIT_EXCEPTION;
		exit->exc.vector = UD_VECTOR;
		exit->exc.has_error = false;
		break;
	case AC_VECTOR:
		exit->kind = KHV_EXIT_EXCEPTION;
		exit->exc.vector = AC_VECTOR;
		exit->exc.has_error = true;
		exit->exc.error = 0;
		break;
	case MC_VECTOR:
		vmx_machine_check();
		break;
	default:
		exit->kind = KHV_EXIT_UNHANDLED;
	}
}

static void vmx_exit_mce_entry(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	vmx_machine_check();
	exit->kind = KHV_EXIT_RESUME;
}

static void vmx_exit_rdpmc(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_RDPMC;
}

static void vmx_exit_wbinvd(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_WBINVD;
	exit->next_rip = vmx_next_rip(vmx);
}

/* MONITOR and MWAIT: the core decides. */
static void vmx_exit_mwait(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_MWAIT;
	exit->next_rip = vmx_next_rip(vmx);
}

static void vmx_exit_pause(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_PAUSE;
	exit->next_rip = vmx_next_rip(vmx);
}

/* The guest can take an interrupt: one that had to wait goes in now. */
static void vmx_exit_intr_window(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	vmx->proc &= ~VMX_PROC_INTR_WINDOW;
	if (vmx->irq_deferred) {
		vmx->irq_deferred = false;
		vmx_inject_irq(&vmx->vcpu, vmx->irq_deferred_vector);
		exit->kind = KHV_EXIT_RESUME;
		return;
	}
	exit->kind = KHV_EXIT_IRQ_WINDOW;
}

static void vmx_exit_nmi_window(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	vmx_want_nmi_window(&vmx->vcpu, false);
	exit->kind = KHV_EXIT_NMI_WINDOW;
}

static void vmx_exit_triple_fault(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_SHUTDOWN;
}

/*
 * An IRET that unblocked NMIs and then faulted (qualification bit 12) needs
 * its blocking back (SDM 28.2.3): the next entry sets it, because the core
 * still sees the NMI handler running (no NMI-window exit came).
 */
static void vmx_exit_ept_violation(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_NPF;
	exit->npf.gpa = exit->info2;
	exit->npf.error = vmx_ept_violation_error(exit->info1);
}

static const vmx_exit_fn vmx_exit_table[] = {
	[VMX_EXIT_EXCEPTION_NMI]	= vmx_exit_exception,
	[VMX_EXIT_EXTERNAL_INTR]	= vmx_exit_host,
	[VMX_EXIT_TRIPLE_FAULT]		= vmx_exit_triple_fault,
	[VMX_EXIT_INIT]			= vmx_exit_host,
	[VMX_EXIT_IO_SMI]		= vmx_exit_host,
	[VMX_EXIT_OTHER_SMI]		= vmx_exit_host,
	[VMX_EXIT_INTR_WINDOW]		= vmx_exit_intr_window,
	[VMX_EXIT_NMI_WINDOW]		= vmx_exit_nmi_window,
	[VMX_EXIT_CPUID]		= vmx_exit_cpuid,
	[VMX_EXIT_TASK_SWITCH]		= vmx_exit_task_switch,
	[VMX_EXIT_GETSEC]		= vmx_exit_ud,
	[VMX_EXIT_HLT]			= vmx_exit_hlt,
	[VMX_EXIT_INVD]			= vmx_exit_invd,
	[VMX_EXIT_RDPMC]		= vmx_exit_rdpmc,
	[VMX_EXIT_VMCALL]		= vmx_exit_vmcall,
	[VMX_EXIT_VMCLEAR]		= vmx_exit_ud,
	[VMX_EXIT_VMLAUNCH]		= vmx_exit_ud,
	[VMX_EXIT_VMPTRLD]		= vmx_exit_ud,
	[VMX_EXIT_VMPTRST]		= vmx_exit_ud,
	[VMX_EXIT_VMREAD]		= vmx_exit_ud,
	[VMX_EXIT_VMRESUME]		= vmx_exit_ud,
	[VMX_EXIT_VMWRITE]		= vmx_exit_ud,
	[VMX_EXIT_VMXOFF]		= vmx_exit_ud,
	[VMX_EXIT_VMXON]		= vmx_exit_ud,
	[VMX_EXIT_CR_ACCESS]		= vmx_exit_cr,
	[VMX_EXIT_DR_ACCESS]		= vmx_exit_dr,
	[VMX_EXIT_IO]			= vmx_exit_io,
	[VMX_EXIT_RDMSR]		= vmx_exit_rdmsr,
	[VMX_EXIT_WRMSR]		= vmx_exit_wrmsr,
	[VMX_EXIT_MWAIT]		= vmx_exit_mwait,
	[VMX_EXIT_MONITOR]		= vmx_exit_mwait,
	[VMX_EXIT_PAUSE]		= vmx_exit_pause,
	[VMX_EXIT_MCE_DURING_ENTRY]	= vmx_exit_mce_entry,
	[VMX_EXIT_EPT_VIOLATION]	= vmx_exit_ept_violation,
	[VMX_EXIT_INVEPT]		= vmx_exit_ud,
	[VMX_EXIT_INVVPID]		= vmx_exit_ud,
	[VMX_EXIT_WBINVD]		= vmx_exit_wbinvd,
	[VMX_EXIT_XSETBV]		= vmx_exit_xsetbv,
	[VMX_EXIT_ENCLS]		= vmx_exit_ud,
};

/*
 * An event the exit interrupted is delivered again on the next entry, as
 * it was (software events with their instruction length).
 */
static void vmx_requeue_event(struct vmx_vcpu *vmx)
{
	u32 info = vmcs_read(VMCS_IDT_VECTORING_INFO);
	u8 type = (info & VMX_INTR_TYPE_MASK) >> VMX_INTR_TYPE_SHIFT;

	if (!(info & VMX_INTR_VALID))
		return;
	vmx->inj_info = info & (VMX_INTR_VALID | VMX_INTR_TYPE_MASK |
				VMX_INTR_VECTOR | VMX_INTR_ERROR_CODE);
	vmx->inj_error = 0;
	if (info & VMX_INTR_ERROR_CODE)
		vmx->inj_error = vmcs_read(VMCS_IDT_VECTORING_ERROR);
	vmx->inj_len = 0;
	if (type == VMX_INTR_TYPE_SW_INT || type == VMX_INTR_TYPE_PRIV_SW_EXC ||
	    type == VMX_INTR_TYPE_SW_EXC)
		vmx->inj_len = vmx->exit_insn_len;
	/* the NMI was not delivered: it is not blocking */
	if (type == VMX_INTR_TYPE_NMI)
		vmx->g.interruptibility &= ~VMX_INTERRUPTIBILITY_NMI;
}

/*
 * VM entry refused: VMfail (the VM-instruction error) or an exit with bit
 * 31 (invalid guest state, MSR loading). KVM_EXIT_FAIL_ENTRY carries the
 * exit reason; for VMfail, KVM's VMX reports the instruction error with
 * bit 31 of the reason clear.
 */
static void vmx_fail_entry(struct vmx_vcpu *vmx, struct khv_exit *exit, bool vmfail)
{
	exit->kind = KHV_EXIT_FAIL_ENTRY;
	if (vmfail) {
		exit->hw_code = vmcs_read(VMCS_INSN_ERROR);
		exit->info1 = 0;
		/* no VM exit cleared it: an event must not stay armed */
		vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	} else {
		exit->hw_code = vmx->exit_reason;
		exit->info1 = vmx->exit_qual;
	}
	exit->info2 = 0;
}

static void vmx_translate_exit(struct vmx_vcpu *vmx, struct khv_exit *exit)
{
	u32 reason = vmx->exit_reason;
	u32 basic = reason & VMX_EXIT_REASON_BASIC;
	vmx_exit_fn fn = NULL;

	exit->hw_code = reason;
	exit->info1 = vmx->exit_qual;
	exit->info2 = 0;
	exit->next_rip = 0;
	if (reason & VMX_EXIT_REASON_ENTRY_FAIL) {
		if (basic == VMX_EXIT_MCE_DURING_ENTRY) {
			vmx_exit_mce_entry(vmx, exit);
			return;
		}
		vmx_fail_entry(vmx, exit, false);
		return;
	}
	vmx->launched = true;
	vmx_requeue_event(vmx);
	if (basic == VMX_EXIT_EPT_VIOLATION)
		exit->info2 = vmcs_read(VMCS_GUEST_PHYS_ADDR);
	if (basic < ARRAY_SIZE(vmx_exit_table))
		fn = vmx_exit_table[basic];
	if (!fn) {
		exit->kind = KHV_EXIT_UNHANDLED;
		return;
	}
	fn(vmx, exit);
}

void vmx_vcpu_enter(struct khv_vcpu *vcpu, u64 pt_root, bool flush,
		    struct khv_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu = smp_processor_id();
	int failed;

	if (!vmx_vmcs_activate(vmx, cpu)) {
		exit->kind = KHV_EXIT_FAIL_ENTRY;
		exit->hw_code = VMX_EXIT_REASON_ENTRY_FAIL;
		exit->info1 = exit->info2 = 0;
		return;
	}
	vmx_load_state(vmx, pt_root, flush);
	vmx_predictor_barrier(vmx);
	if (!vmx->host_saved) {
		vmx_host_save(vmx, &vmx->host);
		vmx->host_saved = true;
	}
	vmx_write_host_entry(vmx, vmx->host.fs_base);
	/* CR2 is not switched by VMX: the guest's is loaded as it runs */
	if (native_read_cr2() != vmx->g.cr2)
		native_write_cr2(vmx->g.cr2);
	vmx_l1d_flush();
	failed = vmx_vmenter(vcpu->gprs, vmx->launched);
	vmx->g.cr2 = native_read_cr2();
	vmx_host_after_exit(vmx);
	if (failed) {
		vmx_fail_entry(vmx, exit, true);
		return;
	}
	vmx->exit_reason = vmcs_read(VMCS_EXIT_REASON);
	vmx->exit_qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
	vmx->exit_insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
	vmx->exit_intr_info = vmcs_read(VMCS_EXIT_INTR_INFO);
	vmx_store_state(vmx);
	vmx_translate_exit(vmx, exit);
}

void vmx_get_sregs(struct khv_vcpu *vcpu, struct kvm_sregs *s)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;
	int i;

	vmx_sync_guest(to_vmx(vcpu));
	for (i = 0; i < 8; i++)
		*vmx_sregs_seg(s, i) = g->seg[i];
	s->gdt = g->gdt;
	s->idt = g->idt;
	memset(s->gdt.padding, 0, sizeof(s->gdt.padding));
	memset(s->idt.padding, 0, sizeof(s->idt.padding));
	s->cr0 = g->cr0;
	s->cr2 = g->cr2;
	s->cr3 = g->cr3;
	s->cr4 = g->cr4;
	s->efer = g->efer;
}

/*
 * PAE paging without long mode: VM entry takes the four PDPTEs from the
 * VMCS. When the host changes the paging mode or CR3, they come from
 * guest memory, as a MOV to CR3 would load them.
 */
static void vmx_load_pdptes(struct vmx_vcpu *vmx)
{
	struct vmx_guest *g = &vmx->g;

	if (!vmx_pae_paging(g))
		return;
	if (khv_read_guest(&vmx->vcpu, g->cr3 & ~0x1fULL, g->pdpte, sizeof(g->pdpte)))
		memset(g->pdpte, 0, sizeof(g->pdpte));
}

/* @s is validated by the core. */
void vmx_set_sregs(struct khv_vcpu *vcpu, const struct kvm_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;
	int i;

	vmx_sync_guest(vmx);	/* SYSENTER and the rest stay as they are */
	for (i = 0; i < 8; i++) {
		g->seg[i] = *vmx_sregs_seg((struct kvm_sregs *)s, i);
		vmx_seg_normalize(&g->seg[i], i);
	}
	g->gdt = s->gdt;
	g->idt = s->idt;
	g->cr0 = s->cr0;
	g->cr2 = s->cr2;
	g->cr3 = s->cr3;
	g->cr4 = s->cr4;
	g->efer = s->efer;
	vmx_load_pdptes(vmx);
	vmx->guest_dirty = true;
}

/* A CR0 value the core has checked (MOV to CR0, CLTS, LMSW). */
void vmx_set_cr0(struct khv_vcpu *vcpu, u64 cr0)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_guest *g = &vmx->g;

	vmx_sync_guest(vmx);
	/* paging on with EFER.LME: long mode; off: out of it */
	if ((cr0 & X86_CR0_PG) && !(g->cr0 & X86_CR0_PG) && (g->efer & EFER_LME))
		g->efer |= EFER_LMA;
	if (!(cr0 & X86_CR0_PG))
		g->efer &= ~EFER_LMA;
	g->cr0 = cr0;
	vmx_load_pdptes(vmx);
	vmx->guest_dirty = true;
}

void vmx_set_cr4(struct khv_vcpu *vcpu, u64 cr4)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_sync_guest(vmx);
	vmx->g.cr4 = cr4;
	vmx_load_pdptes(vmx);
	vmx->guest_dirty = true;
}

void vmx_get_paging(struct khv_vcpu *vcpu, struct khv_paging *p)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;
	static const int order[6] = { VMX_ES, VMX_CS, VMX_SS,
				      VMX_DS, VMX_FS, VMX_GS };
	int i;

	vmx_sync_guest(to_vmx(vcpu));
	p->cr0 = g->cr0;
	p->cr3 = g->cr3;
	p->cr4 = g->cr4;
	p->efer = g->efer;
	p->cs_l = g->seg[VMX_CS].l;
	p->cs_db = g->seg[VMX_CS].db;
	/* CPL is SS.DPL (SDM 25.4.1); real mode 0 */
	p->cpl = (g->cr0 & X86_CR0_PE) ? g->seg[VMX_SS].dpl : 0;
	for (i = 0; i < 6; i++)
		p->seg_base[i] = g->seg[order[i]].base;
}

/* MSRs the VMCS holds (or this backend switches). */
static u64 *vmx_msr_slot(struct vmx_vcpu *vmx, u32 index)
{
	struct vmx_guest *g = &vmx->g;

	switch (index) {
	case MSR_STAR:			return &g->star;
	case MSR_LSTAR:			return &g->lstar;
	case MSR_CSTAR:			return &g->cstar;
	case MSR_SYSCALL_MASK:		return &g->sfmask;
	case MSR_KERNEL_GS_BASE:	return &g->kernel_gs_base;
	case MSR_IA32_SYSENTER_CS:	return &g->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &g->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &g->sysenter_eip;
	case MSR_FS_BASE:		return &g->seg[VMX_FS].base;
	case MSR_GS_BASE:		return &g->seg[VMX_GS].base;
	case MSR_IA32_CR_PAT:		return &g->pat;
	case MSR_TSC_AUX:		return &g->tsc_aux;
	default:			return NULL;
	}
}

/* MSRs the VMCS's guest-state area holds (entries write, exits save). */
static bool vmx_msr_in_vmcs(u32 index)
{
	switch (index) {
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_CR_PAT:
	case MSR_EFER:
		return true;
	default:
		return false;
	}
}

int vmx_get_msr(struct khv_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 *slot = vmx_msr_slot(vmx, index);

	if (vmx_msr_in_vmcs(index))
		vmx_sync_guest(vmx);
	vmx_put_switched(vmx, index);
	if (slot) {
		*data = *slot;
	} else if (index == MSR_EFER) {
		*data = vmx->g.efer;
	} else if (index == MSR_IA32_TSC) {
		*data = rdtsc() + vmx->tsc_offset;
	} else {
		return -ENOENT;
	}
	return 0;
}

void vmx_set_tsc_offset(struct khv_vcpu *vcpu, u64 offset)
{
	to_vmx(vcpu)->tsc_offset = offset;
}

u64 vmx_get_tsc_offset(struct khv_vcpu *vcpu)
{
	return to_vmx(vcpu)->tsc_offset;
}

void vmx_intercept_bp(struct khv_vcpu *vcpu, bool on)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (on)
		vmx->exc_bitmap |= BIT(BP_VECTOR);
	else
		vmx->exc_bitmap &= ~BIT(BP_VECTOR);
}

/* Without its control, INVPCID or RDTSCP raises #UD in the guest by itself. */
void vmx_allow_insns(struct khv_vcpu *vcpu, u32 insns)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 on = 0;

	if (insns & KHV_INSN_INVPCID)
		on |= VMX_PROC2_INVPCID;
	if (insns & KHV_INSN_RDTSCP)
		on |= VMX_PROC2_RDTSCP;
	vmx->proc2 = (vmx->proc2 & ~VMX_PROC2_GUEST_INSNS) |
		     (vmx_host.config.proc2 & on);
}

/*
 * The MSRs vmx_host_save() writes before entries: a value this CPU
 * refuses (SFMASK's reserved bits 63:32 on Intel CPUs, for one) would make
 * that write fault with the host's state half switched. The CPU judges
 * it here, once, as KVM's WRMSR of them does: -EINVAL if it faults.
 */
static int vmx_switched_msr_ok(u32 index, u64 data)
{
	unsigned long flags;
	u64 host;
	int r;

	local_irq_save(flags);
	rdmsrl(index, host);
	r = wrmsrl_safe(index, data);
	wrmsrl(index, host);
	local_irq_restore(flags);
	return r ? -EINVAL : 0;
}

/* Values are validated by the core (msr.c), and the switched ones by the CPU. */
int vmx_set_msr(struct khv_vcpu *vcpu, u32 index, u64 data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 *slot = vmx_msr_slot(vmx, index);

	if (vmx_msr_in_vmcs(index))
		vmx_sync_guest(vmx);
	vmx_put_switched(vmx, index);
	if (vmx_switched_msr(index) && vmx_switched_msr_ok(index, data))
		return -EINVAL;
	if (slot) {
		*slot = data;
	} else if (index == MSR_EFER) {
		/* LMA follows LME and CR0.PG (VM entry checks them against each other) */
		vmx->g.efer = data;
		vmx_load_pdptes(vmx);
	} else if (index == MSR_IA32_TSC) {
		vmx->tsc_offset = data - rdtsc();
	} else {
		return -ENOENT;
	}
	if (vmx_msr_in_vmcs(index))
		vmx->guest_dirty = true;
	return 0;
}

u32 vmx_interrupt_shadow(struct khv_vcpu *vcpu)
{
	u32 v = to_vmx(vcpu)->g.interruptibility;

	return (v & VMX_INTERRUPTIBILITY_STI ? KVM_X86_SHADOW_INT_STI : 0) |
	       (v & VMX_INTERRUPTIBILITY_MOV_SS ? KVM_X86_SHADOW_INT_MOV_SS : 0);
}

/* As KVM's VMX: MOV SS wins when both are asked for (VMX allows one). */
void vmx_set_interrupt_shadow(struct khv_vcpu *vcpu, u32 shadow)
{
	struct vmx_guest *g = &to_vmx(vcpu)->g;

	g->interruptibility &= ~(VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS);
	if (shadow & KVM_X86_SHADOW_INT_MOV_SS)
		g->interruptibility |= VMX_INTERRUPTIBILITY_MOV_SS;
	else if (shadow & KVM_X86_SHADOW_INT_STI)
		g->interruptibility |= VMX_INTERRUPTIBILITY_STI;
}

bool vmx_event_in_flight(struct khv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return (vmx->inj_info & VMX_INTR_VALID) || vmx->irq_deferred;
}

/* An external interrupt injected but not yet taken: its vector or -1. */
int vmx_queued_irq(struct khv_vcpu *vcpu, bool cancel)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int vector;

	if (vmx->irq_deferred) {
		vector = vmx->irq_deferred_vector;
		if (cancel)
			vmx->irq_deferred = false;
		return vector;
	}
	if (!(vmx->inj_info & VMX_INTR_VALID) ||
	    (vmx->inj_info & VMX_INTR_TYPE_MASK) != VMX_INTR_TYPE_EXT << VMX_INTR_TYPE_SHIFT)
		return -1;
	vector = vmx->inj_info & VMX_INTR_VECTOR;
	if (cancel)
		vmx->inj_info = 0;
	return vector;
}

static void vmx_inject(struct vmx_vcpu *vmx, u8 vector, u8 type, bool has_error,
		       u32 error, u32 len)
{
	vmx->inj_info = vmx_intr_info(vector, type, has_error);
	vmx->inj_error = error;
	vmx->inj_len = len;
}

/*
 * VM entry can inject an external interrupt only when the guest could
 * take it (IF=1, no STI or MOV SS shadow; SDM 26.2.1.3). One queued
 * while it cannot (KVM_INTERRUPT ignoring ready_for_interrupt_injection,
 * KVM_SET_VCPU_EVENTS) waits for the interrupt window, as on KVM's VMX.
 */
void vmx_inject_irq(struct khv_vcpu *vcpu, u8 vector)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!(vcpu->rflags & X86_EFLAGS_IF) || vmx_interrupt_shadow(vcpu)) {
		vmx->irq_deferred = true;
		vmx->irq_deferred_vector = vector;
		vmx->proc |= VMX_PROC_INTR_WINDOW;
		return;
	}
	vmx_inject(vmx, vector, VMX_INTR_TYPE_EXT, false, 0, 0);
}

void vmx_inject_nmi(struct khv_vcpu *vcpu)
{
	vmx_inject(to_vmx(vcpu), NMI_VECTOR, VMX_INTR_TYPE_NMI, false, 0, 0);
}

/*
 * #BP and #OF are software exceptions: delivered with RIP after the
 * instruction, whose length is the exit's (a reflected INT3) or one byte.
 */
void vmx_inject_exception(struct khv_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 len = 0;
	u8 type = VMX_INTR_TYPE_HW_EXC;

	vcpu->stat.exception_injections++;
	if (vector == BP_VECTOR || vector == OF_VECTOR) {
		type = VMX_INTR_TYPE_SW_EXC;
		len = vmx->exit_insn_len;
		if (len < 1 || len > 15)	/* not the exit of an INT3/INTO */
			len = 1;
		has_error = false;
	}
	/*
	 * Real mode pushes no error code, and VM entry refuses one there;
	 * its field takes 16 bits (SDM 27.2.1.3), as KVM.
	 */
	if (!(vmx->g.cr0 & X86_CR0_PE))
		has_error = false;
	vmx_inject(vmx, vector, type, has_error, (u16)error, len);
}

void vmx_inject_page_fault(struct khv_vcpu *vcpu, u64 cr2, u32 error)
{
	to_vmx(vcpu)->g.cr2 = cr2;
	vmx_inject_exception(vcpu, PF_VECTOR, true, error);
}

/*
 * CR8 writes go to the TPR shadow without an exit; while an interrupt of
 * the in-kernel LAPIC waits for the TPR to drop, they exit instead, so
 * that the lowering write delivers it at once.
 */
void vmx_want_cr8_exit(struct khv_vcpu *vcpu, bool on)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx_host.config.tpr_shadow)
		return;		/* CR8 always exits */
	if (on)
		vmx->proc |= VMX_PROC_CR8_LOAD;
	else
		vmx->proc &= ~VMX_PROC_CR8_LOAD;
}

void vmx_want_irq_window(struct khv_vcpu *vcpu, bool on)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/* an interrupt waits for the window itself: it ends the wait */
	if (vmx->irq_deferred)
		return;
	if (on)
		vmx->proc |= VMX_PROC_INTR_WINDOW;
	else
		vmx->proc &= ~VMX_PROC_INTR_WINDOW;
}

/*
 * SVM's counterpart offers a vector in V_IRQ; without virtual-interrupt
 * delivery (APICv, not used) VMX has no request the CPU delivers by
 * itself, so the core waits for the interrupt window instead.
 */
bool vmx_offer_irq(struct khv_vcpu *vcpu, u8 vector)
{
	return false;
}

int vmx_offer_result(struct khv_vcpu *vcpu)
{
	return -1;
}

/* With virtual NMIs the CPU exits once the handler's IRET unblocked NMIs. */
void vmx_want_nmi_window(struct khv_vcpu *vcpu, bool on)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (on)
		vmx->proc |= VMX_PROC_NMI_WINDOW;
	else
		vmx->proc &= ~VMX_PROC_NMI_WINDOW;
}
