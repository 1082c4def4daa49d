/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC of one vCPU as a pure state machine (see khv_pure.h): no
 * locks, no clock, no kernel calls. The glue (irqchip.c) holds the vCPU's
 * LAPIC lock around every call, passes the time in (@now_ns, a monotonic
 * nanosecond clock of its choosing) and, after dropping the lock, does
 * what the returned struct khv_lapic_action asks: route an IPI, tell the
 * IOAPIC about an EOI, re-arm the timer, kick the vCPU.
 *
 * What is emulated (SDM vol. 3 ch. 10 "APIC"; KVM's in-kernel LAPIC as
 * KVM_CREATE_IRQCHIP gives it, from the guest's and user space's side):
 *  - the xAPIC register page (MMIO at IA32_APIC_BASE) and the x2APIC
 *    MSRs 0x800-0x8ff, with the register set of a version 0x14 APIC with
 *    six LVT entries (timer, thermal, performance counter, LINT0, LINT1,
 *    error; no CMCI), as KVM reports it;
 *  - IRR/ISR/TMR, TPR/PPR, EOI (with the level-triggered EOI the IOAPIC
 *    needs), ICR/IPIs (delivered by the glue), SELF IPI, ESR;
 *  - the timer: one-shot, periodic and TSC-deadline, on a 1 GHz APIC bus
 *    clock as KVM's (one count is @divide ns); periodic periods shorter
 *    than KHV_LAPIC_MIN_PERIOD_NS are lengthened to it, as KVM's default
 *    min_timer_period_us (a guest must not be able to make the host fire
 *    millions of hrtimers a second);
 *  - IA32_APIC_BASE with the SDM's (10.12.5) mode transitions, power-on
 *    reset and INIT;
 *  - KVM_GET_LAPIC / KVM_SET_LAPIC (struct kvm_lapic_state), including
 *    KVM_CAP_X2APIC_API's 32-bit IDs and broadcast quirk.
 *
 * KVM-visible behaviour followed on purpose:
 *  - xAPIC accesses: reads of 1, 2 or 4 bytes within the first four bytes
 *    of a 16-byte row give that part of the register; any other read, and
 *    reads of absent or write-only registers, give 0. Writes other than a
 *    4-byte write at a 16-byte aligned offset are ignored, as are writes
 *    to read-only and absent registers.
 *  - xAPIC ID (bits 31:24), LDR (31:24), DFR (31:28, 27:0 read as ones),
 *    ICR (every bit but delivery status, bit 12, which reads 0: delivery
 *    is instant) and ICR2 (31:24) are writable; LVT entries keep KVM's
 *    bits (vector, delivery status, mask, plus delivery mode for thermal,
 *    performance counter and LINT, plus polarity, remote IRR and trigger
 *    for LINT, plus the timer mode for the timer; TSC-deadline mode only
 *    when the guest's CPUID has it); SVR keeps bits 9:0.
 *  - The version register says 0x14, max LVT 5; bit 24 (EOI-broadcast
 *    suppression) only with x2APIC in CPUID *and* a user-space IOAPIC
 *    (split irqchip): KVM's in-kernel IOAPIC (version 0x11) has no EOI
 *    register, so KVM does not offer suppression with it. SVR bit 12 is
 *    writable only when bit 24 is offered; set through KVM_SET_LAPIC it
 *    still stops the level EOI broadcast, as KVM.
 *  - Power-on reset and INIT of the BSP leave LVT0 unmasked in ExtINT mode
 *    (KVM's KVM_X86_QUIRK_LINT0_REENABLED, on until lint0_quirk_off), so
 *    that the 8259's interrupts reach a guest that never programs its APIC.
 *  - A fixed or lowest-priority interrupt sent to a software- or
 *    hardware-disabled APIC is dropped. IRR bits that are already set
 *    are still delivered while software-disabled (SDM 10.4.7.2).
 *  - Physical destination 0xff is the xAPIC broadcast; an x2APIC-mode
 *    APIC also takes a message to 0xff that is not an IPI as a broadcast
 *    (KVM's broadcast quirk) unless x2apic_broadcast_quirk_off is set.
 *    An xAPIC-mode APIC whose vcpu_id does not fit in 8 bits matches a
 *    physical destination above 0xff by its vcpu_id (KVM's hotplug rule).
 *  - Timer: writing TMICT restarts the count (0 stops it); switching the
 *    LVT timer mode into or out of TSC-deadline mode stops the timer and
 *    clears TMICT and the deadline, one-shot <-> periodic keeps the
 *    count running; a TDCR write that changes the divisor mid-count
 *    rescales the remaining time (remaining * new / old); KVM_SET_LAPIC
 *    restarts one-shot/periodic counts from the TMCCT it is given (the
 *    time left), as KVM does since it fixed lost timer interrupts on
 *    restore, and the TSC-deadline timer from the deadline kept here.
 *  - IA32_APIC_BASE: reserved bits, EN=0 with EXTD=1, and EXTD without
 *    x2APIC in CPUID are refused for everyone; x2APIC -> xAPIC and
 *    disabled -> x2APIC are refused for the guest and allowed for user
 *    space (KVM lets a VMM restore any valid state). Entering xAPIC mode
 *    sets the ID to vcpu_id << 24, entering x2APIC mode sets the ID to
 *    vcpu_id and the LDR to its cluster form. The BSP bit is writable.
 *
 * Where khv follows the SDM rather than KVM (KVM does not model these):
 *  - x2APIC WRMSR with reserved bits set is #GP (SDM 10.12.1.3): bits
 *    63:32 of every register but ICR, TPR 31:8, SVR outside its bits,
 *    LVT bits outside the entry's, TDCR outside 3:0 without bit 2, ICR
 *    31:20, 17:16 and 13, SELF IPI 31:8, non-zero EOI and ESR writes.
 *    The delivery status bit of ICR is ignored rather than #GP (Intel
 *    ignores it, AMD faults; KVM clears it).
 *  - ESR: errors accumulate and a write to ESR moves them into it (read
 *    after write, SDM 10.5.3). Detected: send illegal vector (an ICR or
 *    SELF IPI write with a fixed/lowest-priority vector below 16) and
 *    receive illegal vector (such a vector accepted, from any source
 *    including the LVTs). Each error raises the LVT error interrupt if
 *    it is unmasked. "Illegal register address" is not reported: KVM
 *    never reports it and guests then log spurious APIC errors.
 *  - Disabling the APIC with IA32_APIC_BASE.EN = 0 returns every register
 *    to its power-on value (SDM 10.4.3: prior initialization may be lost;
 *    10.12.5.1: nothing but the x2APIC ID survives leaving x2APIC mode);
 *    KVM keeps the registers. The ID becomes vcpu_id << 24 either way.
 *  - A one-shot count that has reached 0 stays 0 over a TDCR write (KVM
 *    re-fires). KVM_SET_LAPIC with TMCCT 0 fires it at once, as KVM: a
 *    state saved by KVM from a stopped vCPU may owe that interrupt.
 *    KHV_LAPIC_MIN_PERIOD_NS lengthens a periodic timer; TMCCT then counts
 *    down from TMICT over the longer period, not beyond TMICT.
 *  - LINT pins of a hardware-disabled APIC act as a processor without an
 *    APIC: LINT0 is the 8259's INTR (ExtINT), LINT1 is NMI.
 *  - A reserved LVT timer mode (11b) runs as one-shot.
 *
 * Not emulated: the arbitration priority register (reads 0, as KVM),
 * remote read (0xc0), CMCI, the thermal and performance counter sources
 * (their LVTs are only registers), lowest-priority arbitration (the glue
 * picks the target), focus processor checking, APICv/AVIC.
 *
 * Register layout: regs[] is the xAPIC page's first KiB exactly as in
 * struct kvm_lapic_state (a little-endian u32 in the first 4 bytes of each
 * 16-byte row; other bytes 0). In x2APIC mode the ID row holds the 32-bit
 * x2APIC ID and the ICR's high half (destination) is at 0x310 (the ICR2
 * row), as KVM_GET_LAPIC shows it. PPR (0xa0) is kept current; TMCCT
 * (0x390) is stored as 0 and computed when read.
 */
#ifndef KHV_IRQ_LAPIC_H
#define KHV_IRQ_LAPIC_H

#include <linux/kvm.h>	/* struct kvm_lapic_state: char regs[KVM_APIC_REG_SIZE] (0x400) */
#include "irq_msg.h"

#define KHV_APIC_DEFAULT_BASE	0xfee00000ULL
#define KHV_LAPIC_NO_TIMER	((u64)-1)

/* IA32_APIC_BASE (MSR 0x1b) bits */
#define KHV_APIC_BASE_BSP	BIT_ULL(8)
#define KHV_APIC_BASE_EXTD	BIT_ULL(10)	/* x2APIC mode */
#define KHV_APIC_BASE_EN	BIT_ULL(11)
#define KHV_APIC_BASE_ADDR	(~0xfffULL)

/* MSRs the glue forwards here */
#define KHV_MSR_X2APIC_FIRST	0x800
#define KHV_MSR_X2APIC_LAST	0x8ff
#define KHV_MSR_TSC_DEADLINE	0x6e0

/* Register offsets in the xAPIC page (x2APIC MSR = 0x800 + offset / 16) */
#define KHV_APIC_ID		0x20
#define KHV_APIC_LVR		0x30
#define KHV_APIC_TPR		0x80
#define KHV_APIC_APR		0x90
#define KHV_APIC_PPR		0xa0
#define KHV_APIC_EOI		0xb0
#define KHV_APIC_RRD		0xc0
#define KHV_APIC_LDR		0xd0
#define KHV_APIC_DFR		0xe0
#define KHV_APIC_SVR		0xf0
#define KHV_APIC_ISR		0x100	/* 8 rows, vectors 32 per row */
#define KHV_APIC_TMR		0x180
#define KHV_APIC_IRR		0x200
#define KHV_APIC_ESR		0x280
#define KHV_APIC_LVT_CMCI	0x2f0
#define KHV_APIC_ICR		0x300
#define KHV_APIC_ICR2		0x310
#define KHV_APIC_LVTT		0x320
#define KHV_APIC_LVT_THERMAL	0x330
#define KHV_APIC_LVT_PMC	0x340
#define KHV_APIC_LVT0		0x350
#define KHV_APIC_LVT1		0x360
#define KHV_APIC_LVT_ERROR	0x370
#define KHV_APIC_TMICT		0x380
#define KHV_APIC_TMCCT		0x390
#define KHV_APIC_TDCR		0x3e0
#define KHV_APIC_SELF_IPI	0x3f0	/* x2APIC only */

/* Register fields */
#define KHV_APIC_VERSION	0x14
#define KHV_APIC_NR_LVT		6
#define KHV_APIC_LVR_DIRECTED_EOI	BIT(24)
#define KHV_APIC_SVR_ENABLE	BIT(8)
#define KHV_APIC_SVR_DIRECTED_EOI	BIT(12)	/* EOI-broadcast suppression */
#define KHV_APIC_LVT_MASKED	BIT(16)
#define KHV_APIC_LVT_LEVEL	BIT(15)
#define KHV_APIC_ESR_SEND_ILLEGAL	BIT(5)
#define KHV_APIC_ESR_RECV_ILLEGAL	BIT(6)

/* Shortest periodic timer period, as KVM's default min_timer_period_us. */
#define KHV_LAPIC_MIN_PERIOD_NS	200000ULL

enum khv_lapic_timer_mode { KHV_TIMER_ONESHOT, KHV_TIMER_PERIODIC, KHV_TIMER_TSC_DEADLINE };

/*
 * One vCPU's LAPIC. Plain data: the glue may copy it. Fields marked "glue"
 * are set by the glue (VM-wide settings it must keep in step on every
 * LAPIC of the VM); the rest belongs to the functions below.
 */
struct khv_lapic {
	u8 regs[KVM_APIC_REG_SIZE];	/* the register page, see the top comment */
	u64 apic_base;			/* IA32_APIC_BASE */
	u64 tsc_deadline;		/* IA32_TSC_DEADLINE (0: disarmed) */
	u64 timer_start_ns;		/* one-shot/periodic: when the count (re)started */
	u64 timer_expire_ns;		/* next expiry, KHV_LAPIC_NO_TIMER if none (ns clock of the caller) */
	u32 vcpu_id;			/* for the x2APIC ID and LDR */
	bool x2apic_cpuid;		/* the guest's CPUID has x2APIC: allows x2APIC mode */
	bool tscdeadline_cpuid;		/* the guest's CPUID has the TSC-deadline timer */
	bool split_irqchip;		/* IOAPIC in user space: offer EOI-broadcast suppression */
	bool reset_bsp;			/* reset as the BSP (LVT0 ExtINT at reset and INIT) */
	bool x2apic_format;		/* glue: KVM_X2APIC_API_USE_32BIT_IDS */
	bool x2apic_broadcast_quirk_off; /* glue: KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK */
	bool lint0_quirk_off;		/* glue: KVM_X86_QUIRK_LINT0_REENABLED disabled */
	bool cmci;			/* MCG_CAP has MCG_CMCI_P: the LVT CMCI entry exists */
	u8 esr_pending;			/* errors since the last ESR write */
};

/* What a register write asks the glue to do, after it drops the LAPIC's lock. */
struct khv_lapic_action {
	u32 flags;			/* KHV_LAPIC_ACT_* */
	struct khv_irq_msg ipi;		/* ACT_IPI: an ICR write sent this */
	u8 eoi_vector;			/* ACT_EOI(_LEVEL): the vector whose ISR bit an EOI cleared */
};
#define KHV_LAPIC_ACT_IPI	BIT(0)
/* a level-triggered vector's EOI, to broadcast to the IOAPIC (remote IRR) */
#define KHV_LAPIC_ACT_EOI_LEVEL	BIT(1)
#define KHV_LAPIC_ACT_TIMER	BIT(2)	/* timer_expire_ns or the TSC-deadline changed: re-arm */
/* an interrupt may have become deliverable (IRR/PPR/enable changed) */
#define KHV_LAPIC_ACT_EVENT	BIT(3)
/*
 * Any EOI that cleared an ISR bit, edge or level, suppressed or not: for
 * ack notifiers (the PIT's reinjection counts acknowledged ticks) and, with
 * a split irqchip, KVM_EXIT_IOAPIC_EOI. eoi_vector is the vector.
 */
#define KHV_LAPIC_ACT_EOI	BIT(4)

/*
 * Every function taking a struct khv_lapic_action * starts by clearing it:
 * the glue acts on it after each call. KHV_LAPIC_ACT_TIMER means: cancel the
 * hrtimer, then arm it at timer_expire_ns if that is not KHV_LAPIC_NO_TIMER
 * (one-shot/periodic), or at tsc_deadline converted to host time if it is
 * non-zero and khv_lapic_timer_mode() is KHV_TIMER_TSC_DEADLINE (a deadline
 * already passed: call khv_lapic_timer_fire() at once).
 */

/*
 * Power-on/RESET state (SDM 10.4.7.1, 10.12.5.1): IA32_APIC_BASE
 * 0xfee00000 | EN | (bsp ? BSP : 0), xAPIC mode, ID vcpu_id << 24 (low 8
 * bits), version, every LVT masked (LVT0 ExtINT for the BSP, see above),
 * SVR 0xff, DFR all ones, everything else 0, timer stopped. The settings
 * (tscdeadline_cpuid, split_irqchip, x2apic_format,
 * x2apic_broadcast_quirk_off) are kept as they are, so the glue allocates
 * the struct zeroed; x2apic_cpuid is the argument. The glue then cancels
 * the hrtimer.
 */
void khv_lapic_reset(struct khv_lapic *l, u32 vcpu_id, bool bsp, bool x2apic_cpuid);

/*
 * INIT (SDM 10.4.7.3): every register back to its reset value except the
 * APIC ID (and, in x2APIC mode, the LDR derived from it); IA32_APIC_BASE,
 * the mode and the CPUID/VM settings are kept. The glue cancels the
 * hrtimer (the timer is stopped).
 */
void khv_lapic_init_signal(struct khv_lapic *l);

/*
 * The guest's CPUID changed (KVM_SET_CPUID2) or the VM's irqchip kind is
 * known: x2APIC and TSC-deadline timer availability, and whether the IOAPIC
 * is in user space. Recomputes the version register; a TSC-deadline timer
 * that is no longer allowed stops (ACT_TIMER).
 */
void khv_lapic_set_cpuid(struct khv_lapic *l, bool x2apic, bool tsc_deadline,
			 bool split_irqchip, struct khv_lapic_action *act);
/*
 * The vCPU's MCG_CAP gained or lost MCG_CMCI_P: the LVT CMCI entry (0x2f0,
 * x2APIC MSR 0x82f) appears, masked, or goes, and the version register
 * counts it (max LVT 6 instead of 5), as KVM.
 */
void khv_lapic_set_cmci(struct khv_lapic *l, bool cmci);
/*
 * A corrected-error interrupt: the LVT CMCI entry as a message to this
 * LAPIC (vector, delivery mode, edge) for the glue to accept, or false
 * without the entry, with the LAPIC disabled or the entry masked.
 */
bool khv_lapic_cmci_msg(const struct khv_lapic *l, struct khv_irq_msg *m);

/* Mode queries for the glue. */
bool khv_lapic_hw_enabled(const struct khv_lapic *l);	/* IA32_APIC_BASE.EN */
bool khv_lapic_x2apic_mode(const struct khv_lapic *l);	/* EN and EXTD */
u32 khv_lapic_id(const struct khv_lapic *l);		/* xAPIC 8-bit ID or x2APIC ID */

/*
 * xAPIC MMIO at the apic_base page: offset 0..0xfff, any len (see the top
 * comment for what each access does). Only while in xAPIC mode; the glue
 * checks khv_lapic_mmio_active() first (KVM treats the page as ordinary
 * MMIO otherwise: reads all ones, writes dropped, which is also what these
 * do if called anyway).
 */
bool khv_lapic_mmio_active(const struct khv_lapic *l);
u64 khv_lapic_mmio_read(struct khv_lapic *l, u32 offset, u8 len, u64 now_ns);
void khv_lapic_mmio_write(struct khv_lapic *l, u32 offset, u8 len, u64 val, u64 now_ns,
			  struct khv_lapic_action *act);

/*
 * x2APIC MSRs 0x800-0x8ff: 0 on success, -EINVAL for #GP (not in x2APIC
 * mode, reserved/absent register, write-only read, read-only write,
 * reserved bits set). ICR is one 64-bit MSR 0x830; 0x83f SELF IPI (the
 * interrupt goes straight into this APIC's IRR: ACT_EVENT, no ACT_IPI).
 */
int khv_lapic_rdmsr(struct khv_lapic *l, u32 msr, u64 *val, u64 now_ns);
int khv_lapic_wrmsr(struct khv_lapic *l, u32 msr, u64 val, u64 now_ns,
		    struct khv_lapic_action *act);

/*
 * Whether an access to the register at xAPIC page @offset uses its now_ns:
 * only the timer's (TMICT, TMCCT, TDCR) do; the others may pass 0, which
 * spares the glue a clock reading per ICR or EOI write.
 */
static inline bool khv_lapic_reg_timed(u32 offset)
{
	u32 row = offset & 0xff0;

	return row == KHV_APIC_TMICT || row == KHV_APIC_TMCCT ||
	       row == KHV_APIC_TDCR;
}

/* The same for x2APIC MSR @msr (0x800-0x8ff: the register at index << 4). */
static inline bool khv_lapic_msr_timed(u32 msr)
{
	return khv_lapic_reg_timed((msr & 0xff) << 4);
}

/*
 * IA32_APIC_BASE writes: 0, or -EINVAL (#GP for a guest, error for user
 * space) when @value has a bit of @reserved_mask set (the bits above the
 * guest's MAXPHYADDR; bits 0-7 and 9 are always reserved, EXTD without
 * x2apic_cpuid too) or asks for an invalid transition (see the top
 * comment; @host: KVM_SET_MSRS/KVM_SET_SREGS from user space). ACT_TIMER
 * and ACT_EVENT when the mode changed (the glue also remaps the MMIO page
 * and its APIC-ID routing).
 */
int khv_lapic_set_base(struct khv_lapic *l, u64 value, u64 reserved_mask, bool host,
		       struct khv_lapic_action *act);

/* TSC deadline MSR (0x6e0) */
/* ignored unless the timer LVT is in TSC-deadline mode (and the APIC enabled), as the SDM */
void khv_lapic_set_tsc_deadline(struct khv_lapic *l, u64 tsc, struct khv_lapic_action *act);
u64 khv_lapic_get_tsc_deadline(const struct khv_lapic *l); /* 0 outside TSC-deadline mode, as KVM */
enum khv_lapic_timer_mode khv_lapic_timer_mode(const struct khv_lapic *l);

/*
 * Accepting an interrupt (from IOAPIC/MSI/IPI/LVT): fixed and lowest
 * priority only (the glue handles NMI/INIT/SIPI/SMI/ExtINT itself, and
 * drops level-triggered de-asserts as KVM does). Returns 1 if it was set
 * in IRR, 0 if it was already pending (coalesced), -1 if the APIC drops
 * it (hardware- or software-disabled, or vector < 16: then an illegal
 * vector error is logged and the error LVT's interrupt may now be in IRR,
 * so the glue kicks the vCPU as for 1). Sets TMR for level, clears it for
 * edge.
 */
int khv_lapic_accept(struct khv_lapic *l, u8 vector, bool level);

/*
 * Does @m address this APIC? (physical/logical flat/cluster in xAPIC from
 * DFR/LDR; x2APIC physical and cluster; broadcast 0xff in xAPIC and
 * 0xffffffff in x2APIC; shorthands with @self = this APIC sent the IPI.)
 * A hardware-disabled APIC matches nothing. The broadcast quirk applies,
 * as KVM's, to every message but IPIs (m->ipi): the IOAPIC's and MSIs in
 * either format. Lowest priority is matched like fixed; choosing one of
 * the matches is the glue's.
 */
bool khv_lapic_match(const struct khv_lapic *l, const struct khv_irq_msg *m, bool self);

/* Interrupt delivery to the CPU */
/* the highest IRR vector whose priority class beats PPR's, or -1 */
int khv_lapic_pending(const struct khv_lapic *l);
void khv_lapic_ack(struct khv_lapic *l, u8 vector);	/* the CPU took it: IRR->ISR, PPR update */
/* An EOI as the register write does it (PV EOI: the guest skipped the write) */
void khv_lapic_eoi(struct khv_lapic *l, struct khv_lapic_action *act);
/* The highest vector in service, -1 if none; whether it is level-triggered */
int khv_lapic_in_service(const struct khv_lapic *l, bool *level);
/* Is any vector requested (IRR), deliverable now or not? */
bool khv_lapic_irr_pending(const struct khv_lapic *l);
u8 khv_lapic_get_cr8(const struct khv_lapic *l);	/* TPR[7:4] */
void khv_lapic_set_cr8(struct khv_lapic *l, u8 cr8, struct khv_lapic_action *act);
/* may the 8259's INTR go to this CPU (LVT0 unmasked ExtINT, or APIC hardware-disabled), as KVM */
bool khv_lapic_accept_extint(const struct khv_lapic *l);
/*
 * LINT0/LINT1 asserted: returns the LVT's delivery mode (KHV_DM_*) and
 * fills *vector and *level (level only for fixed with the trigger bit on
 * LINT0, always for ExtINT), or -1 if masked or @pin is not 0 or 1. The
 * glue calls khv_lapic_accept() for KHV_DM_FIXED. Hardware-disabled: LINT0
 * is ExtINT and LINT1 NMI (SDM 10.4.3, no APIC in the way).
 */
int khv_lapic_lint(const struct khv_lapic *l, int pin, u8 *vector, bool *level);

/*
 * Timer: the glue arms an hrtimer at timer_expire_ns (one-shot/periodic)
 * or at the TSC deadline converted by itself; when it fires it calls
 * khv_lapic_timer_fire(): raise the timer LVT's vector (unless masked),
 * advance periodic (no drift: next = previous expiry + period; if far
 * behind, skip to the next period after now), one-shot: TMCCT reads 0
 * after; TSC-deadline: deadline MSR becomes 0. Returns true if an
 * interrupt went into IRR (newly: kick the vCPU). A call before
 * timer_expire_ns (a stale hrtimer) or with nothing armed does nothing.
 * Afterwards the glue re-arms at timer_expire_ns unless it is
 * KHV_LAPIC_NO_TIMER.
 */
bool khv_lapic_timer_fire(struct khv_lapic *l, u64 now_ns);

/*
 * TSC-deadline timer advance (the glue wakes the vCPU this early and
 * waits out the rest): the advance after one whose deadline the vCPU's
 * thread looked at @err_ns late (negative: early). It moves an eighth of
 * the miss, stays within [0, @max_ns], and ignores a miss beyond
 * @ignore_ns either way (preemption, user space: not the timer path).
 */
u32 khv_lapic_advance_next(u32 adv_ns, s64 err_ns, u32 max_ns, u32 ignore_ns);

/*
 * KVM_GET_LAPIC / KVM_SET_LAPIC: the 1 KiB page. Get fills TMCCT with the
 * current count at @now_ns, rounded up so that a restore does not fire
 * early or lose a count about to expire. In x2APIC mode without
 * x2apic_format the ID is shown as vcpu_id << 24 (KVM's compatibility
 * format). Set uses the current IA32_APIC_BASE (user space restores the
 * MSR first), keeps only the bits a guest could have written (except
 * IRR/ISR/TMR and ESR, taken as they are), recomputes the version, PPR,
 * x2APIC ID and LDR, and restarts the timer from TMCCT/TDCR/LVT at
 * @now_ns. -EINVAL, changing nothing, when x2apic_format is set in x2APIC
 * mode and the ID is not vcpu_id (without it, the ID given is ignored:
 * x2APIC IDs are vcpu_id, as KVM). ACT_TIMER | ACT_EVENT.
 */
void khv_lapic_get_state(const struct khv_lapic *l, struct kvm_lapic_state *s, u64 now_ns);
int khv_lapic_set_state(struct khv_lapic *l, const struct kvm_lapic_state *s, u64 now_ns,
			struct khv_lapic_action *act);

#endif /* KHV_IRQ_LAPIC_H */
