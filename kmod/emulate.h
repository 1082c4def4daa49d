/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instructions khv completes for the guest around an exit to user space:
 * string I/O (INS/OUTS, REP) and MMIO accesses (MOV family and string
 * moves), on top of the pure decoder (decode.c) and page walker (gwalk.c).
 * Return values follow run.c's contract: 1 enter again, 0 exit to user
 * space (kvm_run filled). An instruction that cannot be completed (its
 * bytes, operands or the guest's page tables are not in RAM) is KVM's
 * emulation failure, never an error of KVM_RUN: the MMIO functions and
 * khv_string_io_finish() report it themselves; the others return < 0 and
 * run.c reports it with the exit's code.
 */
#ifndef KHV_EMULATE_H
#define KHV_EMULATE_H

struct khv_vcpu;

/* DR6 and DR7 bits a MOV may change; the others read as fixed values. */
#define KHV_DR6_VOLATILE	0x0000e00fULL	/* B0-B3, BD, BS, BT */
#define KHV_DR6_FIXED		0xffff0ff0ULL	/* also DR6's reset value */
#define KHV_DR7_VOLATILE	0xffff2bffULL
#define KHV_DR7_FIXED		0x00000400ULL
#define KHV_DR6_BD		BIT_ULL(13)
#define KHV_DR7_GD		BIT_ULL(13)
#define KHV_DR7_BP_ENABLE	0xffULL		/* L0/G0 ... L3/G3 */

/* A guest fault was injected: the instruction does not complete now. */
#define KHV_EMU_FAULTED	1

/*
 * A supervisor (system) access of @len bytes at linear @gla, such as a
 * descriptor or TSS: 0, KHV_EMU_FAULTED (#PF injected) or < 0.
 */
int khv_system_rw(struct khv_vcpu *vcpu, u64 gla, void *buf, u32 len,
		  bool write);
/*
 * #UD on the other vendor's hypercall instruction: patched to this CPU's
 * own when KVM_X86_QUIRK_FIX_HYPERCALL_INSN is on. 1: handled (patched,
 * and the guest runs it again; or the write's #PF injected), 0: the #UD
 * is the guest's.
 */
int khv_fix_hypercall(struct khv_vcpu *vcpu);
/* A hardware task switch (task.c): 1 enter again, < 0 emulation failure. */
struct khv_task_switch;
int khv_task_switch(struct khv_vcpu *vcpu, const struct khv_task_switch *ts);

/* vcpu->pio describes the INS/OUTS: 1 = exit to user space (fill run->io). */
int khv_string_io_start(struct khv_vcpu *vcpu);
int khv_string_io_finish(struct khv_vcpu *vcpu);
int khv_mmio_start(struct khv_vcpu *vcpu, u64 gpa, u64 error);
int khv_mmio_finish(struct khv_vcpu *vcpu);
/* MOV to or from DR0-7, against the guest's software copy: 0 or < 0. */
int khv_emulate_mov_dr(struct khv_vcpu *vcpu);
/* MOV to CR4 (@gpr: the source when known, else -1): 0 or < 0. */
int khv_emulate_mov_cr0(struct khv_vcpu *vcpu, int type, int gpr, u16 lmsw,
			u64 next_rip);
int khv_emulate_mov_cr4(struct khv_vcpu *vcpu, int gpr, u64 next_rip);
/* MOV from CR0 or SMSW: 1 enter again, 0 exit to user space, < 0. */
int khv_emulate_cr0_read(struct khv_vcpu *vcpu, int gpr, u64 next_rip);
int khv_emulate_mov_cr8(struct khv_vcpu *vcpu, int gpr, u64 next_rip);
int khv_emulate_xsetbv(struct khv_vcpu *vcpu, u64 next_rip);

#endif /* KHV_EMULATE_H */
