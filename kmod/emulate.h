/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instructions khv completes for the guest around an exit to user space:
 * string I/O (INS/OUTS, REP) and MMIO accesses (MOV family and string
 * moves), on top of the pure decoder (decode.c) and page walker (gwalk.c).
 * Return values follow run.c's contract: 1 enter again, 0 exit to user
 * space (kvm_run filled), < 0 error.
 */
#ifndef KHV_EMULATE_H
#define KHV_EMULATE_H

struct khv_vcpu;

/* vcpu->pio describes the INS/OUTS: 1 = exit to user space (fill run->io). */
int khv_string_io_start(struct khv_vcpu *vcpu);
int khv_string_io_finish(struct khv_vcpu *vcpu);
int khv_mmio_start(struct khv_vcpu *vcpu, u64 gpa, u64 error);
int khv_mmio_finish(struct khv_vcpu *vcpu);
/* MOV to or from DR0-7, against the guest's software copy: 0 or < 0. */
int khv_emulate_mov_dr(struct khv_vcpu *vcpu);
/* MOV to CR4 (@gpr: the source when known, else -1): 0 or < 0. */
int khv_emulate_mov_cr4(struct khv_vcpu *vcpu, int gpr, u64 next_rip);
int khv_emulate_mov_cr8(struct khv_vcpu *vcpu, int gpr, u64 next_rip);
int khv_emulate_xsetbv(struct khv_vcpu *vcpu, u64 next_rip);

#endif /* KHV_EMULATE_H */
