/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backend interface: everything the core asks of SVM or VMX, listed
 * once. Each backend defines exactly one const table of these; the core
 * includes this header and never a backend's own. Members say on which
 * CPU and in which context they are called.
 */
#ifndef KHV_BACKEND_H
#define KHV_BACKEND_H

#include <linux/types.h>
#include <linux/percpu.h>
#include <linux/kvm.h>

#include "hw_support.h"
#include "pgtable.h"

struct page;
struct khv_vcpu;

/*
 * Two-level exit handling: the backend turns its hardware exit into one
 * of these kinds; the core's run loop (run.c) acts on it.
 */
enum khv_exit_kind {
	KHV_EXIT_RESUME,	/* handled in the backend: enter again */
	KHV_EXIT_HOST_EVENT,	/* a host interrupt, NMI, SMI or INIT: enter again */
	KHV_EXIT_DONE,		/* the core's fast path handled (and counted) it */
	KHV_EXIT_IO,		/* IN/OUT/INS/OUTS: .io */
	KHV_EXIT_NPF,		/* nested page fault: .npf */
	KHV_EXIT_HLT,
	KHV_EXIT_CPUID,
	KHV_EXIT_RDMSR,		/* index in ECX */
	KHV_EXIT_WRMSR,		/* index in ECX, value in EDX:EAX */
	KHV_EXIT_IRQ_WINDOW,	/* the guest can take an interrupt now */
	KHV_EXIT_NMI_WINDOW,	/* the guest's NMI handler returned */
	KHV_EXIT_DR_ACCESS,	/* MOV to or from a debug register */
	KHV_EXIT_CR_WRITE,	/* MOV to a control register: .cr */
	KHV_EXIT_CR_READ,	/* MOV from CR0 or SMSW: .cr (MOV or DECODE) */
	KHV_EXIT_EXCEPTION,	/* an exception the guest raised: .exc, reflect it */
	KHV_EXIT_ICEBP,		/* INT1 (ICEBP, F1) */
	KHV_EXIT_RDPMC,
	KHV_EXIT_XSETBV,	/* XCR index in ECX, value in EDX:EAX */
	KHV_EXIT_WBINVD,	/* WBINVD or WBNOINVD */
	KHV_EXIT_MWAIT,		/* MONITOR or MWAIT (3 bytes each) */
	KHV_EXIT_PAUSE,		/* a PAUSE loop (spinning on a lock?) */
	KHV_EXIT_TASK_SWITCH,	/* a hardware task switch to carry out: .ts */
	KHV_EXIT_HYPERCALL,	/* VMMCALL (SVM) or VMCALL (VMX): number in RAX */
	KHV_EXIT_SHUTDOWN,	/* triple fault */
	KHV_EXIT_FAIL_ENTRY,	/* the CPU refused the guest state */
	KHV_EXIT_UNHANDLED,	/* nothing khv emulates: internal error */
};

/*
 * What wrote a control register (struct khv_exit.cr.type): MOV, CR0's
 * CLTS or LMSW, or MOV to CR0 or LMSW, the instruction to be decoded.
 */
enum { KHV_CR_MOV, KHV_CR_CLTS, KHV_CR_LMSW, KHV_CR_DECODE };

/* What caused a task switch (struct khv_task_switch.reason). */
enum { KHV_TS_CALL, KHV_TS_IRET, KHV_TS_JMP, KHV_TS_GATE };

struct khv_task_switch {
	u16 selector;		/* the new task's TSS */
	u8 reason;		/* KHV_TS_* */
	bool has_error;		/* an exception's code to push (KHV_TS_GATE) */
	u32 error;
	int soft_vector;	/* INT n through a task gate: n, else -1 */
	u64 return_rip;		/* the EIP saved in the old task's TSS */
};

struct khv_exit {
	enum khv_exit_kind kind;
	u64 hw_code;		/* raw exit code, for errors */
	u64 info1, info2;	/* raw exit information, for errors */
	u64 next_rip;		/* RIP after the instruction, when known */
	union {
		struct {
			u16 port;
			u8 size;
			u8 addr_size;
			bool in, string, rep;
		} io;
		struct {
			u64 gpa;
			/*
			 * #PF-style error code of the access, with
			 * KHV_PFERR_GUEST_FINAL or _GUEST_PAGE when the
			 * CPU says which part of the translation faulted
			 */
			u64 error;
		} npf;
		struct {
			u8 cr;		/* which CR */
			s8 gpr;		/* source GPR (KVM order), -1: decode */
			u8 type;	/* KHV_CR_* */
			u16 lmsw;	/* LMSW's operand */
		} cr;
		struct {
			u8 vector;
			bool has_error;
			u32 error;
		} exc;
		struct khv_task_switch ts;
	};
};

/* What the core needs of guest paging state (walks, decoding). */
struct khv_paging {
	u64 cr0, cr3, cr4, efer;
	bool cs_l, cs_db;	/* code segment: 64-bit, 32-bit default */
	u8 cpl;
	u64 seg_base[6];	/* ES CS SS DS FS GS */
};

struct khv_backend_ops {
	const char *name;
	/* MCG_CAP bits a guest of this vendor keeps from KVM_X86_SETUP_MCE */
	u64 mcg_cap_mask;
	/* ... and KVM_X86_GET_MCE_CAP_SUPPORTED's bits beyond MCG_CTL_P/SER_P */
	u64 mcg_cap_extra;

	/* Boot CPU: gather CPUID/MSR facts and judge them (pure checker). */
	struct khv_hw_result (*hw_check)(void);
	/* Process context, once: per-CPU areas for possible CPUs, tables. */
	int (*hw_setup)(void);
	void (*hw_unsetup)(void);

	/* This CPU, preemption off: SVM/VMX already switched on by someone? */
	bool (*cpu_in_use)(void);
	/* This CPU, preemption off: switch SVM/VMX on, 0 or -errno. */
	int (*cpu_enable)(void);
	/* This CPU, preemption off or IPI context (reboot): off. */
	void (*cpu_disable)(void);

	/* The guest-physical page table's entry format (NPT / EPT). */
	const struct khv_pt_format *pt_format;
	/* May its 2 MiB leaves be used on this host? */
	bool (*pt_huge)(void);
	/* Does INVPCID run in a guest on this host (where the CPU has it)? */
	bool (*invpcid)(void);
	/*
	 * The KHV_INSN_* the vCPU's CPUID announces (cpuid_policy.h): the
	 * others must be #UD, as with KVM.
	 */
	void (*allow_insns)(struct khv_vcpu *vcpu, u32 insns);

	/* vCPU lifetime, process context. alloc returns a zeroed vCPU. */
	struct khv_vcpu *(*vcpu_alloc)(void);
	int (*vcpu_init)(struct khv_vcpu *vcpu);	/* reset state */
	void (*vcpu_free)(struct khv_vcpu *vcpu);
	/*
	 * Before each entry on this CPU, preemption off, interrupts still on:
	 * make the vCPU's hardware state usable here (VMX: VMCLEAR on the CPU
	 * that held its VMCS). May be absent.
	 */
	void (*vcpu_load)(struct khv_vcpu *vcpu);
	/*
	 * The thread leaves the vCPU (KVM_RUN returns, or the scheduler
	 * takes the CPU: then with interrupts off too), preemption off: put
	 * back host state an entry left switched for the next entries (VMX:
	 * the syscall MSRs, KERNEL_GS_BASE, selectors, TSC_AUX). May be absent.
	 */
	void (*vcpu_put)(struct khv_vcpu *vcpu);

	/*
	 * One guest entry on this CPU: interrupts off, SVM/VMX on here.
	 * Loads vcpu->gprs/rip/rflags, enters with @pt_root as the nested
	 * page table root, stores them back and describes the exit.
	 * @flush: the guest's TLB for this vCPU must not survive.
	 */
	void (*vcpu_enter)(struct khv_vcpu *vcpu, u64 pt_root, bool flush,
			   struct khv_exit *exit);

	/* Guest state behind KVM_GET/SET_SREGS (vCPU lock held). */
	void (*get_sregs)(struct khv_vcpu *vcpu, struct kvm_sregs *s);
	void (*set_sregs)(struct khv_vcpu *vcpu, const struct kvm_sregs *s);
	void (*get_paging)(struct khv_vcpu *vcpu, struct khv_paging *p);
	/* A CR0 value the core has checked (MOV to CR0, CLTS, LMSW). */
	void (*set_cr0)(struct khv_vcpu *vcpu, u64 cr0);
	/* A CR4 value the core has checked (MOV to CR4). */
	void (*set_cr4)(struct khv_vcpu *vcpu, u64 cr4);

	/* MSRs the backend holds: 0, or -ENOENT when it does not hold @index. */
	int (*get_msr)(struct khv_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct khv_vcpu *vcpu, u32 index, u64 data);
	/* guest TSC = host TSC + @offset */
	void (*set_tsc_offset)(struct khv_vcpu *vcpu, u64 offset);
	u64 (*get_tsc_offset)(struct khv_vcpu *vcpu);
	/* KVM_SET_GUEST_DEBUG: intercept #BP (software breakpoints) or not. */
	void (*intercept_bp)(struct khv_vcpu *vcpu, bool on);
	/*
	 * The VM's MSR filter changed (KVM_X86_SET_MSR_FILTER): MSRs the
	 * guest accesses without an exit must exit where the filter denies
	 * them (khv_msr_filter_allowed()). Called before an entry.
	 */
	void (*msr_filter_changed)(struct khv_vcpu *vcpu);

	/* Events. */
	u32 (*interrupt_shadow)(struct khv_vcpu *vcpu);	/* KVM_X86_SHADOW_* */
	void (*set_interrupt_shadow)(struct khv_vcpu *vcpu, u32 shadow);
	bool (*event_in_flight)(struct khv_vcpu *vcpu);
	/* an injected interrupt not yet taken: its vector or -1; cancel it */
	int (*queued_irq)(struct khv_vcpu *vcpu, bool cancel);
	void (*inject_irq)(struct khv_vcpu *vcpu, u8 vector);
	void (*inject_nmi)(struct khv_vcpu *vcpu);
	void (*inject_exception)(struct khv_vcpu *vcpu, u8 vector,
				 bool has_error, u32 error);
	void (*inject_page_fault)(struct khv_vcpu *vcpu, u64 cr2, u32 error);
	/*
	 * Offer @vector to a guest that cannot take it yet (IF=0 or an
	 * interrupt shadow), for the CPU to deliver once it can, without an
	 * exit; false if the backend has no way to. The interrupt is not
	 * acknowledged: after the next exit (or if there was no entry),
	 * offer_result() withdraws the offer and says whether the guest took
	 * it, with its vector, or not (-1).
	 */
	bool (*offer_irq)(struct khv_vcpu *vcpu, u8 vector);
	int (*offer_result)(struct khv_vcpu *vcpu);
	/* Exit with KHV_EXIT_IRQ_WINDOW / _NMI_WINDOW when it opens. */
	void (*want_irq_window)(struct khv_vcpu *vcpu, bool on);
	void (*want_nmi_window)(struct khv_vcpu *vcpu, bool on);
	/* Exit with KHV_EXIT_CR_WRITE (cr 8) on guest CR8 writes. */
	void (*want_cr8_exit)(struct khv_vcpu *vcpu, bool on);

	/*
	 * Benchmark only (KHV_BENCH_VMRUN, bench.c); may be absent. On this
	 * CPU, interrupts off, SVM/VMX on: one entry as vcpu_enter, then, if
	 * it exited at the guest's CPUID, up to @n more entries in the
	 * tightest loop the hardware allows, leaving RIP at the CPUID, for
	 * as long as the guest exits there. Returns those tight round trips,
	 * in *@ns the time they took. @exit describes the first entry's exit;
	 * RESUME when the loop stopped early (for the host: enter again).
	 */
	u32 (*bench_vmrun)(struct khv_vcpu *vcpu, u64 pt_root, bool flush,
			   u32 n, u64 *ns, struct khv_exit *exit);
};

/* Services the core offers backends. */
int khv_percpu_pages_alloc(struct page * __percpu *pages);	/* zeroed, node-local */
void khv_percpu_pages_free(struct page * __percpu *pages);

extern const struct khv_backend_ops khv_svm_ops;
extern const struct khv_backend_ops khv_vmx_ops;

#endif /* KHV_BACKEND_H */
