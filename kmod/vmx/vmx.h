/* SPDX-License-Identifier: GPL-2.0 */
/* VMX backend internals, shared by the files of vmx/ only. Mirrors svm/svm.h. */
#ifndef KHV_VMX_H
#define KHV_VMX_H

#include <linux/list.h>

#include "../khv.h"
#include "vmcs.h"
#include "vmx_exit_info.h"

/*
 * The guest state a VMCS holds, kept in memory as well: a VMCS can only be
 * read or written on the CPU where it is current, and the core reaches
 * guest state from ioctls on any CPU. Entries write this copy into the
 * VMCS (all of it after the host changed it, else what an exit may have
 * changed). Exits read back what every exit needs (RIP, RSP, RFLAGS,
 * the interrupt shadow, CR0.TS); the rest the guest can change without
 * an exit is read back when the host first looks at it.
 */
struct vmx_guest {
	struct kvm_segment seg[8];	/* VMCS order: ES CS SS DS FS GS LDTR TR */
	struct kvm_dtable gdt, idt;
	u64 cr0;			/* the guest's view (read shadow) */
	u64 cr3, cr4, cr2;		/* CR4: the guest's view */
	u64 efer, pat;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 pdpte[4];			/* PAE paging without long mode */
	u64 pending_dbg;
	u32 interruptibility;
	/* MSRs VMX does not switch: loaded at an entry, until the put */
	u64 star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
};

/*
 * The host's state VM exit does not restore (SDM 28.5): saved at an entry
 * (vmx_host_save(), which loads the guest's MSRs VMX does not switch) and
 * put back at the vCPU's put (vmx_host_restore()); DEBUGCTL after each
 * exit.
 */
#define VMX_N_SWITCHED_MSRS	5
struct vmx_host_save {
	u64 msr[VMX_N_SWITCHED_MSRS];
	u64 tsc_aux, fs_base, debugctl;
	u16 ds, es, fs, gs, ldt;
};

struct vmx_vcpu {
	struct khv_vcpu vcpu;		/* the core's part; first */
	void *vmcs;			/* one page */
	u64 vmcs_pa;
	u8 *vapic;			/* virtual-APIC page (TPR shadow), or NULL */
	/*
	 * The CPU whose VMCS cache holds this VMCS (VMPTRLD there, not yet
	 * VMCLEARed), or -1. Written with interrupts off on that CPU only
	 * (entry, VMCLEAR), read anywhere.
	 */
	int loaded_cpu;
	struct list_head loaded_link;	/* on that CPU's vmx_loaded list */
	bool launched;			/* VMRESUME, not VMLAUNCH */
	bool fresh;			/* controls and host state not yet written */
	bool guest_dirty;		/* vmx_guest changed by the host */
	/*
	 * Since the last exit the VMCS holds newer segments, descriptor
	 * tables, CR3, SYSENTER MSRs and PDPTEs than vmx_guest: read back
	 * only when the host needs them (vmx_sync_guest()).
	 */
	bool guest_stale;
	int tlb_cpu;			/* the CPU it last entered on */
	u16 vpid;			/* 0: none */

	struct vmx_guest g;
	u64 tsc_offset;
	u64 eptp;			/* as written to the VMCS */
	u32 proc, proc2, exc_bitmap, entry;	/* controls with their dynamic bits */
	u64 msr_bitmap_pa;		/* vmx_host's, or the intercept-all one */
	/* what the VMCS holds of these and of RSP, RIP, RFLAGS (not after guest_dirty) */
	struct {
		u32 proc, proc2, exc_bitmap, entry;
		u64 msr_bitmap_pa, tsc_offset, rsp, rip, rflags;
	} has;
	/* what the next entry injects (VMCS_ENTRY_INTR_INFO ...) */
	u32 inj_info, inj_error, inj_len;
	/* an interrupt that must wait for IF=1 and no shadow (window) */
	bool irq_deferred;
	u8 irq_deferred_vector;
	/* the last exit */
	u32 exit_reason, exit_insn_len, exit_intr_info;
	u64 exit_qual;
	u64 exit_rip;			/* RIP at the exit: elsewhere, pending #DBs go */

	/* host values the VMCS holds, written when they change */
	u64 host_cr3, host_cr4, host_fs_base;
	/*
	 * The host state VM exit does not restore, saved at the first entry
	 * after a vcpu_put; until the next put the CPU keeps the guest's
	 * syscall MSRs, KERNEL_GS_BASE and TSC_AUX (the host kernel does not
	 * use them) and VM exit's selectors and limits (see vmx_vcpu_put()).
	 */
	bool host_saved;
	struct vmx_host_save host;
};

static inline struct vmx_vcpu *to_vmx(struct khv_vcpu *vcpu)
{
	return container_of(vcpu, struct vmx_vcpu, vcpu);
}

/* Set up by vmx.c at load, read-only afterwards. */
struct vmx_host {
	struct vmx_config config;
	bool ins_outs_info;		/* IA32_VMX_BASIC[54] */
	u64 io_bitmap_pa[2];		/* every port intercepted */
	u64 msr_bitmap_pa;
	u64 msr_bitmap_all_pa;		/* every MSR intercepted (MSR filters) */
};
extern struct vmx_host vmx_host;

/* The VMCSs loaded on this CPU (VMCLEARed before VMXOFF). */
DECLARE_PER_CPU(struct list_head, vmx_loaded);
/* The VMCS current on this CPU (VMPTRLD), or NULL. */
DECLARE_PER_CPU(struct vmx_vcpu *, vmx_current);

/* vmx_vmenter.S: 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed. */
int vmx_vmenter(u64 *gprs, bool launched);
/* its VM exit label (HOST_RIP) */
void vmx_vmexit(void);

static __always_inline u64 vmcs_read(u32 field)
{
	u64 v;

	asm volatile("vmread %[f], %[v]" : [v] "=rm" (v) : [f] "r" ((u64)field) : "cc");
	return v;
}

static __always_inline void vmcs_write(u32 field, u64 v)
{
	asm volatile("vmwrite %[v], %[f]" : : [v] "rm" (v), [f] "r" ((u64)field)
		     : "cc", "memory");
}

/* vmx.c */
int vmx_vmclear(u64 pa);
int vmx_vmptrld(u64 pa);
void vmx_invept(bool single, u64 eptp);
int vmx_vpid_alloc(void);
void vmx_vpid_free(int vpid);
void vmx_vmcs_drop(struct vmx_vcpu *vmx);

/* vmx_vcpu.c */
struct khv_vcpu *vmx_vcpu_alloc(void);
int vmx_vcpu_init(struct khv_vcpu *vcpu);
void vmx_vcpu_free(struct khv_vcpu *vcpu);
void vmx_vcpu_load(struct khv_vcpu *vcpu);
void vmx_vcpu_put(struct khv_vcpu *vcpu);
void vmx_vcpu_enter(struct khv_vcpu *vcpu, u64 pt_root, bool flush,
		    struct khv_exit *exit);
void vmx_get_sregs(struct khv_vcpu *vcpu, struct kvm_sregs *s);
void vmx_set_sregs(struct khv_vcpu *vcpu, const struct kvm_sregs *s);
void vmx_set_cr0(struct khv_vcpu *vcpu, u64 cr0);
void vmx_set_cr4(struct khv_vcpu *vcpu, u64 cr4);
void vmx_get_paging(struct khv_vcpu *vcpu, struct khv_paging *p);
int vmx_get_msr(struct khv_vcpu *vcpu, u32 index, u64 *data);
int vmx_set_msr(struct khv_vcpu *vcpu, u32 index, u64 data);
u32 vmx_interrupt_shadow(struct khv_vcpu *vcpu);
void vmx_set_interrupt_shadow(struct khv_vcpu *vcpu, u32 shadow);
bool vmx_event_in_flight(struct khv_vcpu *vcpu);
int vmx_queued_irq(struct khv_vcpu *vcpu, bool cancel);
void vmx_inject_irq(struct khv_vcpu *vcpu, u8 vector);
void vmx_inject_nmi(struct khv_vcpu *vcpu);
void vmx_inject_exception(struct khv_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error);
void vmx_inject_page_fault(struct khv_vcpu *vcpu, u64 cr2, u32 error);
void vmx_want_irq_window(struct khv_vcpu *vcpu, bool on);
bool vmx_offer_irq(struct khv_vcpu *vcpu, u8 vector);
int vmx_offer_result(struct khv_vcpu *vcpu);
void vmx_want_cr8_exit(struct khv_vcpu *vcpu, bool on);
void vmx_set_tsc_offset(struct khv_vcpu *vcpu, u64 offset);
u64 vmx_get_tsc_offset(struct khv_vcpu *vcpu);
void vmx_intercept_bp(struct khv_vcpu *vcpu, bool on);
void vmx_allow_insns(struct khv_vcpu *vcpu, u32 insns);
void vmx_want_nmi_window(struct khv_vcpu *vcpu, bool on);
void vmx_host_after_exit(struct vmx_vcpu *vmx);
void vmx_host_events_after_exit(void);

/* vmx_bench.c */
u32 vmx_bench_vmrun(struct khv_vcpu *vcpu, u64 pt_root, bool flush, u32 n,
		    u64 *ns, struct khv_exit *exit);

#endif /* KHV_VMX_H */
