// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches (SDM vol. 3A, 8.3 "Task Switching"), carried out
 * for the guest. VMX exits on every task switch (a CALL or JMP to a TSS or
 * task gate, an IRET with NT set, an interrupt or exception through a task
 * gate) and leaves the switch to the VMM; SVM lets the CPU do it, so only
 * the VMX backend reports KHV_EXIT_TASK_SWITCH.
 *
 * In order: the checks made in the old task (descriptor, privilege,
 * presence, busy bit, limit), then the commit: the old task's dynamic
 * state into its TSS, the busy bits, the back link; then the new task's
 * state from its TSS, and the checks of the segments it loads, whose
 * faults the new task takes. 32-bit TSSs only; a 16-bit one ends KVM_RUN
 * with KVM's emulation failure (see Documentation/status.md).
 */
#include <linux/kernel.h>
#include <asm/traps.h>
#include <asm/processor-flags.h>

#include "khv.h"
#include "emulate.h"

/* The 32-bit TSS (SDM figure 8-2); 104 bytes. */
struct khv_tss32 {
	u32 link;
	u32 sp_ss[6];		/* ESP0, SS0, ESP1, SS1, ESP2, SS2 */
	u32 cr3;
	u32 eip;
	u32 eflags;
	u32 gpr[8];		/* EAX ECX EDX EBX ESP EBP ESI EDI */
	u32 seg[6];		/* ES CS SS DS FS GS (selectors) */
	u32 ldt;
	u16 trap;
	u16 iomap;
};

#define TSS32_MIN_LIMIT		0x67
#define TSS32_DYN_START		offsetof(struct khv_tss32, eip)
#define TSS32_DYN_END		offsetof(struct khv_tss32, ldt)

/* Descriptor type fields (the S=0 system types, and S=1 bits) */
#define DESC_TSS32_AVAIL	0x9
#define DESC_TSS32_BUSY		0xb
#define DESC_TSS_BUSY_BIT	0x2
#define DESC_LDT		0x2
#define SEG_ACCESSED		0x1
#define SEG_RW			0x2	/* data: writable; code: readable */
#define SEG_CONFORMING		0x4
#define SEG_CODE		0x8

enum { SR_ES, SR_CS, SR_SS, SR_DS, SR_FS, SR_GS };

/* A check failed: the fault is in struct khv_ts_fault (KHV_EMU_FAULTED is #PF) */
#define KHV_TS_FAULT	2

/* A fault the switch raises: vector and error code (a selector, or 0). */
struct khv_ts_fault {
	u8 vector;
	u16 error;
};

static struct kvm_segment *khv_sreg(struct kvm_sregs *s, int i)
{
	switch (i) {
	case SR_ES: return &s->es;
	case SR_CS: return &s->cs;
	case SR_SS: return &s->ss;
	case SR_DS: return &s->ds;
	case SR_FS: return &s->fs;
	default: return &s->gs;
	}
}

static void khv_desc_to_seg(u64 d, u16 sel, struct kvm_segment *seg)
{
	u32 lo = (u32)d, hi = d >> 32;
	u32 limit = (lo & 0xffff) | (hi & 0xf0000);

	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000);
	seg->g = hi >> 23 & 1;
	seg->limit = seg->g ? limit << 12 | 0xfff : limit;
	seg->type = hi >> 8 & 0xf;
	seg->s = hi >> 12 & 1;
	seg->dpl = hi >> 13 & 3;
	seg->present = hi >> 15 & 1;
	seg->avl = hi >> 20 & 1;
	seg->l = hi >> 21 & 1;
	seg->db = hi >> 22 & 1;
}

/*
 * The descriptor @sel names, in the GDT or (TI=1) the LDT, and its linear
 * address: 0, -ERANGE outside the table, KHV_EMU_FAULTED (#PF injected)
 * or < 0.
 */
static int khv_read_desc(struct khv_vcpu *vcpu, const struct kvm_sregs *s,
			 u16 sel, u64 *desc, u64 *addr)
{
	u64 base = s->gdt.base;
	u32 limit = s->gdt.limit;

	if (sel & 4) {
		if (s->ldt.unusable || !s->ldt.present)
			return -ERANGE;
		base = s->ldt.base;
		limit = s->ldt.limit;
	}
	if ((u32)(sel | 7) > limit)
		return -ERANGE;
	*addr = (u32)(base + (sel & ~7));
	return khv_system_rw(vcpu, *addr, desc, sizeof(*desc), false);
}

/* Set (or clear) type bits of the descriptor at @addr, as the CPU does. */
static int khv_update_desc_type(struct khv_vcpu *vcpu, u64 addr, u64 desc,
				u32 set, u32 clear)
{
	u32 hi = desc >> 32;
	u32 nhi = (hi | set << 8) & ~(clear << 8);

	if (nhi == hi)
		return 0;
	return khv_system_rw(vcpu, addr + 4, &nhi, sizeof(nhi), true);
}

/*
 * Load the LDT of the new task: a null selector leaves LDTR unusable.
 * 0, KHV_TS_FAULT with @f set (#TS), or a khv_system_rw() result.
 */
static int khv_ts_load_ldt(struct khv_vcpu *vcpu, struct kvm_sregs *s,
			   u16 sel, struct khv_ts_fault *f)
{
	u64 desc, addr;
	int r;

	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.selector = sel;
	if (!(sel & ~3)) {
		s->ldt.unusable = 1;
		return 0;
	}
	f->vector = TS_VECTOR;
	f->error = sel & 0xfffc;
	if (sel & 4)
		return KHV_TS_FAULT;
	r = khv_read_desc(vcpu, s, sel, &desc, &addr);
	if (r == -ERANGE)
		return KHV_TS_FAULT;
	if (r)
		return r;
	khv_desc_to_seg(desc, sel, &s->ldt);
	if (s->ldt.s || s->ldt.type != DESC_LDT || !s->ldt.present)
		return KHV_TS_FAULT;
	return 0;
}

/*
 * Load segment register @i of the new task from selector @sel, with the
 * checks of SDM table 8-1 (CPL is the new CS's RPL). 0, KHV_TS_FAULT with
 * @f set, or a khv_system_rw() result.
 */
static int khv_ts_load_seg(struct khv_vcpu *vcpu, struct kvm_sregs *s, int i,
			   u16 sel, u8 cpl, struct khv_ts_fault *f)
{
	struct kvm_segment *seg = khv_sreg(s, i), n;
	u8 rpl = sel & 3;
	u64 desc, addr;
	int r;

	f->vector = TS_VECTOR;
	f->error = sel & 0xfffc;
	if (!(sel & ~3)) {
		if (i == SR_CS || i == SR_SS)
			return KHV_TS_FAULT;
		memset(seg, 0, sizeof(*seg));
		seg->selector = sel;
		seg->unusable = 1;
		return 0;
	}
	r = khv_read_desc(vcpu, s, sel, &desc, &addr);
	if (r == -ERANGE)
		return KHV_TS_FAULT;
	if (r)
		return r;
	khv_desc_to_seg(desc, sel, &n);
	if (!n.s)
		return KHV_TS_FAULT;
	switch (i) {
	case SR_CS:
		if (!(n.type & SEG_CODE))
			return KHV_TS_FAULT;
		if ((n.type & SEG_CONFORMING) ? n.dpl > rpl : n.dpl != rpl)
			return KHV_TS_FAULT;
		break;
	case SR_SS:
		if ((n.type & SEG_CODE) || !(n.type & SEG_RW) ||
		    rpl != cpl || n.dpl != cpl)
			return KHV_TS_FAULT;
		break;
	default:
		if ((n.type & (SEG_CODE | SEG_RW)) == SEG_CODE)
			return KHV_TS_FAULT;	/* execute-only code */
		if ((!(n.type & SEG_CODE) || !(n.type & SEG_CONFORMING)) &&
		    n.dpl < max(cpl, rpl))
			return KHV_TS_FAULT;
	}
	if (!n.present) {
		f->vector = i == SR_SS ? SS_VECTOR : NP_VECTOR;
		return KHV_TS_FAULT;
	}
	r = khv_update_desc_type(vcpu, addr, desc, SEG_ACCESSED, 0);
	if (r)
		return r;
	n.type |= SEG_ACCESSED;
	*seg = n;
	return 0;
}

/* Virtual-8086 mode: every segment is selector << 4, 64 KiB, DPL 3. */
static void khv_ts_load_vm86(struct kvm_sregs *s, const struct khv_tss32 *t)
{
	int i;

	for (i = SR_ES; i <= SR_GS; i++) {
		struct kvm_segment *seg = khv_sreg(s, i);

		memset(seg, 0, sizeof(*seg));
		seg->selector = (u16)t->seg[i];
		seg->base = (u32)seg->selector << 4;
		seg->limit = 0xffff;
		seg->type = i == SR_CS ? 0xb : 0x3;
		seg->s = 1;
		seg->dpl = 3;
		seg->present = 1;
	}
}

/* The new task's segments; the first fault stops it (see khv_ts_load_seg()). */
static int khv_ts_load_segs(struct khv_vcpu *vcpu, struct kvm_sregs *s,
			    const struct khv_tss32 *t, struct khv_ts_fault *f)
{
	static const u8 order[] = { SR_CS, SR_SS, SR_DS, SR_ES, SR_FS, SR_GS };
	u8 cpl = t->seg[SR_CS] & 3;
	int i, r;

	if (t->eflags & X86_EFLAGS_VM) {
		khv_ts_load_vm86(s, t);
		return khv_ts_load_ldt(vcpu, s, (u16)t->ldt, f);
	}
	/* the selectors first, so a fault leaves them loaded (as the CPU) */
	for (i = SR_ES; i <= SR_GS; i++)
		khv_sreg(s, i)->selector = (u16)t->seg[i];
	r = khv_ts_load_ldt(vcpu, s, (u16)t->ldt, f);
	if (r)
		return r;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		r = khv_ts_load_seg(vcpu, s, order[i], (u16)t->seg[order[i]],
				    cpl, f);
		if (r)
			return r;
	}
	return 0;
}

/* Push the exception's error code on the new task's stack (32-bit TSS). */
static int khv_ts_push_error(struct khv_vcpu *vcpu, const struct kvm_sregs *s,
			     u32 error)
{
	u64 sp = vcpu->gprs[4];
	u32 mask = s->ss.db ? 0xffffffff : 0xffff;
	u32 nsp = ((u32)sp - 4) & mask;
	int r;

	r = khv_system_rw(vcpu, (u32)(s->ss.base + nsp), &error, sizeof(error),
			  true);
	if (r)
		return r;
	vcpu->gprs[4] = (sp & ~(u64)mask) | nsp;
	return 0;
}

/*
 * Switch to the task whose TSS @ts->selector names. 1: enter again (the
 * switch happened, or the guest got its fault); < 0: emulation failure
 * (tables not in RAM, a 16-bit TSS).
 */
int khv_task_switch(struct khv_vcpu *vcpu, const struct khv_task_switch *ts)
{
	u16 sel = ts->selector, old_sel;
	struct khv_ts_fault f = { .vector = GP_VECTOR, .error = sel & 0xfffc };
	struct khv_tss32 nt, old;
	struct kvm_segment nd;
	struct kvm_sregs s;
	u64 ndesc, naddr, odesc, oaddr, old_base;
	u32 eflags;
	int r, i;

	khv_ops->get_sregs(vcpu, &s);
	old_sel = s.tr.selector;
	old_base = s.tr.base;

	/* ---- checks in the old task ---- */
	if (ts->reason == KHV_TS_IRET)
		f.vector = TS_VECTOR;
	if (sel & 4)
		goto fault;
	r = khv_read_desc(vcpu, &s, sel, &ndesc, &naddr);
	if (r == -ERANGE)
		goto fault;
	if (r)
		return r < 0 ? r : 1;
	/*
	 * INT n through a task gate: the gate's DPL against CPL, as for
	 * any software interrupt. A CALL or JMP (KVM does the same): the
	 * TSS descriptor's DPL against CPL and the selector's RPL.
	 */
	if (ts->reason == KHV_TS_GATE && ts->soft_vector >= 0) {
		u64 gate;
		u32 at = ts->soft_vector * 8;

		if (at + 7 > s.idt.limit)
			goto fault_idt;
		r = khv_system_rw(vcpu, (u32)(s.idt.base + at), &gate,
				  sizeof(gate), false);
		if (r)
			return r < 0 ? r : 1;
		if ((gate >> 45 & 3) < (s.ss.dpl & 3))
			goto fault_idt;
	} else if (ts->reason == KHV_TS_CALL || ts->reason == KHV_TS_JMP) {
		u8 dpl = ndesc >> 45 & 3;

		if (dpl < (s.ss.dpl & 3) || dpl < (sel & 3))
			goto fault;
	}
	khv_desc_to_seg(ndesc, sel, &nd);
	if (nd.s || !(nd.type & 1) || (nd.type & 7) > 3)
		goto fault_ts;			/* not a TSS */
	if (!(nd.type & SEG_CODE) || !(s.tr.type & SEG_CODE))
		return -EOPNOTSUPP;		/* a 16-bit TSS */
	if (!nd.present) {
		f.vector = NP_VECTOR;
		goto fault;
	}
	if (ts->reason == KHV_TS_IRET ?
	    nd.type != DESC_TSS32_BUSY : nd.type != DESC_TSS32_AVAIL)
		goto fault;			/* #TS for IRET, else #GP */
	if (nd.limit < TSS32_MIN_LIMIT)
		goto fault_ts;
	r = khv_system_rw(vcpu, (u32)nd.base, &nt, sizeof(nt), false);
	if (r)
		return r < 0 ? r : 1;

	/* ---- commit: the old task's state into its TSS ---- */
	eflags = (u32)vcpu->rflags;
	if (ts->reason == KHV_TS_IRET)
		eflags &= ~X86_EFLAGS_NT;
	if (ts->reason == KHV_TS_IRET || ts->reason == KHV_TS_JMP) {
		r = khv_read_desc(vcpu, &s, old_sel, &odesc, &oaddr);
		if (!r)
			r = khv_update_desc_type(vcpu, oaddr, odesc, 0,
						 DESC_TSS_BUSY_BIT);
		if (r && r != -ERANGE)
			return r < 0 ? r : 1;
	}
	old.eip = (u32)ts->return_rip;
	old.eflags = eflags;
	for (i = 0; i < 8; i++)
		old.gpr[i] = (u32)vcpu->gprs[i];
	for (i = SR_ES; i <= SR_GS; i++)
		old.seg[i] = khv_sreg(&s, i)->selector;
	r = khv_system_rw(vcpu, (u32)(old_base + TSS32_DYN_START),
			  (u8 *)&old + TSS32_DYN_START,
			  TSS32_DYN_END - TSS32_DYN_START, true);
	if (r)
		return r < 0 ? r : 1;
	if (ts->reason == KHV_TS_CALL || ts->reason == KHV_TS_GATE) {
		u32 link = old_sel;

		r = khv_system_rw(vcpu, (u32)nd.base, &link,
				  sizeof(link), true);
		if (r)
			return r < 0 ? r : 1;
		nt.eflags |= X86_EFLAGS_NT;
	}
	if (ts->reason != KHV_TS_IRET) {
		r = khv_update_desc_type(vcpu, naddr, ndesc, DESC_TSS_BUSY_BIT, 0);
		if (r)
			return r < 0 ? r : 1;
		ndesc |= (u64)DESC_TSS_BUSY_BIT << 40;
	}

	/* ---- the new task ---- */
	khv_desc_to_seg(ndesc, sel, &s.tr);
	s.cr0 |= X86_CR0_TS;
	if ((s.cr0 & X86_CR0_PG) && s.cr3 != nt.cr3) {
		/* a CR3 load the guest did not execute: its TLB goes, as MOV */
		s.cr3 = nt.cr3;
		set_bit(KHV_REQ_TLB_FLUSH, &vcpu->requests);
	}
	vcpu->rip = nt.eip;
	vcpu->rflags = nt.eflags | X86_EFLAGS_FIXED;
	for (i = 0; i < 8; i++)
		vcpu->gprs[i] = nt.gpr[i];
	r = khv_ts_load_segs(vcpu, &s, &nt, &f);
	khv_ops->set_sregs(vcpu, &s);
	if (r < 0)
		return r;
	if (r == KHV_TS_FAULT)		/* taken by the new task */
		khv_ops->inject_exception(vcpu, f.vector, true, f.error);
	if (r)
		return 1;
	if (ts->has_error) {
		r = khv_ts_push_error(vcpu, &s, ts->error);
		if (r)
			return r < 0 ? r : 1;
	}
	/* the CPU clears the local breakpoint enables (L0-L3, LE) */
	vcpu->dr[7] &= ~0x155ULL;
	khv_ops->set_interrupt_shadow(vcpu, 0);
	return 1;

fault_idt:
	f.error = ts->soft_vector * 8 + 2;	/* IDT, as the CPU reports it */
	goto fault;
fault_ts:
	f.vector = TS_VECTOR;
fault:
	khv_ops->inject_exception(vcpu, f.vector, true, f.error);
	return 1;
}
