/* SPDX-License-Identifier: GPL-2.0 */
/* SVM backend internals, shared by the files of svm/ only. */
#ifndef KHV_SVM_H
#define KHV_SVM_H

#include "../khv.h"
#include "vmcb.h"

struct svm_vcpu {
	struct khv_vcpu vcpu;		/* the core's part; first */
	struct vmcb *vmcb;		/* one page */
	u64 vmcb_pa;
	u32 asid;			/* on asid_cpu, in generation asid_gen */
	int asid_cpu;
	u64 asid_gen;
	u64 tsc_aux;
	bool virq_offered;		/* V_IRQ holds an offer (svm_offer_irq()) */
	int offer_taken;		/* after the exit: its vector if taken, or -1 */
	u64 cr0_hidden;			/* the guest's CR0.CD/NW the VMCB lacks (svm_load_cr0()) */
};

static inline struct svm_vcpu *to_svm(struct khv_vcpu *vcpu)
{
	return container_of(vcpu, struct svm_vcpu, vcpu);
}

/* Per-CPU ASID allocator: ASIDs 1..max-1, a new generation flushes all. */
struct svm_asids {
	u32 next;
	u64 gen;
};

/* Set up by svm.c at load, read-only afterwards. */
struct svm_host {
	u32 max_asid;		/* CPUID 0x8000000A.EBX */
	bool nrips;		/* next-RIP saved on exits */
	bool decode_assists;	/* CR/DR exits name their GPR */
	bool pause_filter;	/* PAUSE exits only after a count of them */
	bool pause_thresh;	/* ... of PAUSEs close together */
	u64 iopm_pa;		/* 12 KiB, every port intercepted */
	u64 msrpm_pa;		/* 8 KiB */
	u64 msrpm_all_pa;	/* 8 KiB, every MSR intercepted (MSR filters) */
};
extern struct svm_host svm_host;

DECLARE_PER_CPU(struct page *, svm_vmsave_page);
DECLARE_PER_CPU(struct svm_asids, svm_asids);
/* The VMCB this CPU entered last (for the predictor barrier); may be stale. */
DECLARE_PER_CPU(struct vmcb *, svm_last_vmcb);

int svm_vmrun(u64 *gprs, u64 vmcb_pa, u64 host_vmsave_pa);

/* svm_vcpu.c */
struct khv_vcpu *svm_vcpu_alloc(void);
int svm_vcpu_init(struct khv_vcpu *vcpu);
void svm_vcpu_free(struct khv_vcpu *vcpu);
void svm_vcpu_enter(struct khv_vcpu *vcpu, u64 pt_root, bool flush,
		    struct khv_exit *exit);
void svm_get_sregs(struct khv_vcpu *vcpu, struct kvm_sregs *s);
void svm_set_sregs(struct khv_vcpu *vcpu, const struct kvm_sregs *s);
void svm_set_cr0(struct khv_vcpu *vcpu, u64 cr0);
void svm_set_cr4(struct khv_vcpu *vcpu, u64 cr4);
void svm_get_paging(struct khv_vcpu *vcpu, struct khv_paging *p);
int svm_get_msr(struct khv_vcpu *vcpu, u32 index, u64 *data);
int svm_set_msr(struct khv_vcpu *vcpu, u32 index, u64 data);
u32 svm_interrupt_shadow(struct khv_vcpu *vcpu);
void svm_set_interrupt_shadow(struct khv_vcpu *vcpu, u32 shadow);
bool svm_event_in_flight(struct khv_vcpu *vcpu);
int svm_queued_irq(struct khv_vcpu *vcpu, bool cancel);
void svm_inject_irq(struct khv_vcpu *vcpu, u8 vector);
void svm_inject_nmi(struct khv_vcpu *vcpu);
void svm_inject_exception(struct khv_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error);
void svm_inject_page_fault(struct khv_vcpu *vcpu, u64 cr2, u32 error);
void svm_want_irq_window(struct khv_vcpu *vcpu, bool on);
bool svm_offer_irq(struct khv_vcpu *vcpu, u8 vector);
int svm_offer_result(struct khv_vcpu *vcpu);
void svm_want_cr8_exit(struct khv_vcpu *vcpu, bool on);
void svm_set_tsc_offset(struct khv_vcpu *vcpu, u64 offset);
u64 svm_get_tsc_offset(struct khv_vcpu *vcpu);
void svm_intercept_bp(struct khv_vcpu *vcpu, bool on);
void svm_allow_insns(struct khv_vcpu *vcpu, u32 insns);
void svm_want_nmi_window(struct khv_vcpu *vcpu, bool on);

/* svm_bench.c */
u32 svm_bench_vmrun(struct khv_vcpu *vcpu, u64 pt_root, bool flush, u32 n,
		    u64 *ns, struct khv_exit *exit);

#endif /* KHV_SVM_H */
