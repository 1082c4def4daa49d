// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU's in-kernel local APIC: the glue around the pure register model
 * (lapic.c). It takes the guest's xAPIC MMIO and x2APIC/APIC-base/TSC-
 * deadline MSRs, runs the timer on an hrtimer, hands interrupts to the
 * injection path (events.c), handles INIT, SIPI and NMI messages, and
 * keeps a halted vCPU asleep in the kernel until something wakes it.
 *
 * The lock protects the register model and the timer's deadline. Other
 * vCPUs, irqfds and timers only accept interrupts into IRR under it and
 * then kick (khv_vcpu_event_kick()); everything else belongs to the
 * thread holding the vCPU's lock, as in the rest of khv.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <asm/kvm_para.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "khv.h"
#include "cpuid_policy.h"
#include "irqchip.h"
#include "irq_msg.h"
#include "khv_trace.h"
#include "lapic.h"

/*
 * How long a halted vCPU polls for a wakeup before it sleeps, at most: a
 * wakeup within it saves a trip through the scheduler. Each vCPU's own
 * window adapts, as KVM's does: after a halt that the window missed but
 * that ended within the maximum it doubles (from KHV_HALT_POLL_START);
 * after a halt longer than the maximum it closes, since polling would only
 * have burnt the CPU (under the test machine's TCG it even holds up the
 * vCPU that would send the wakeup).
 */
static unsigned int halt_poll_ns = 20000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "Poll at most this long (ns, max 1 ms) before a halted vCPU sleeps");
#define KHV_HALT_POLL_START	10000

/*
 * TSC-deadline timer advance. Between a deadline and the guest's handler
 * lie the hrtimer's own lateness and the vCPU thread's wakeup; arming the
 * hrtimer that much early and waiting out the rest in the vCPU thread
 * (interrupts on) brings the interrupt close to the deadline, never before
 * it. -1 (any negative value) adapts each vCPU's advance to what it
 * measures between the deadline and its thread's look at the timer, from
 * KHV_TIMER_ADVANCE_START up to KHV_TIMER_ADVANCE_MAX (which bounds the
 * wait, so a CPU is never burnt for longer); 0 turns it off; a value up
 * to the maximum is fixed.
 */
static int timer_advance_ns = -1;
module_param(timer_advance_ns, int, 0444);
MODULE_PARM_DESC(timer_advance_ns, "TSC-deadline timer advance in ns: negative adapts per vCPU (default -1), 0 off, else fixed (max 50000)");
#define KHV_TIMER_ADVANCE_START		1000
#define KHV_TIMER_ADVANCE_MAX		50000
/* a miss beyond this was preemption or user space, not the timer path */
#define KHV_TIMER_ADVANCE_IGNORE	1000000

struct khv_vlapic {
	spinlock_t lock;		/* l, deadline_ns */
	struct khv_lapic l;
	struct hrtimer timer;
	u64 deadline_ns;		/* TSC-deadline mode: the deadline as ns */
	u64 fired_ns;			/* a fired deadline the vCPU thread has not measured, or 0 */
	u32 advance_ns;			/* TSC-deadline timer advance; vCPU thread writes */
	struct khv_vcpu *vcpu;
	u64 vapic_addr;			/* KVM_SET_VAPIC_ADDR; vCPU thread only */
	u32 halt_poll_ns;		/* its poll window; vCPU thread only */
};

static u64 khv_now_ns(void)
{
	return ktime_get_ns();
}

/* Requests that wake a vCPU or make it look at its LAPIC again. */
#define KHV_REQ_WAKE_MASK	(BIT(KHV_REQ_EVENT) | BIT(KHV_REQ_NMI) | \
				 BIT(KHV_REQ_INIT) | BIT(KHV_REQ_SIPI))

/*
 * Tell @vcpu that an event arrived for it: it leaves guest mode if it is
 * there, wakes if it sleeps, and looks at its LAPIC before entering
 * again (khv_entry_begin() checks KHV_REQ_EVENT after publishing its CPU).
 * Any context, hard interrupts included.
 */
void khv_vcpu_event_kick(struct khv_vcpu *vcpu)
{
	int cpu;

	set_bit(KHV_REQ_EVENT, &vcpu->requests);
	smp_mb__after_atomic();	/* pairs with khv_entry_begin() */
	wake_up_interruptible(&vcpu->wq);
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
}

/* ---- timer ---- */

/* When the timer fires next, as ns of khv_now_ns(), or KHV_LAPIC_NO_TIMER. */
static u64 khv_vlapic_expiry(struct khv_vlapic *a)
{
	if (khv_lapic_timer_mode(&a->l) == KHV_TIMER_TSC_DEADLINE)
		return a->l.tsc_deadline ? a->deadline_ns : KHV_LAPIC_NO_TIMER;
	return a->l.timer_expire_ns;
}

static enum hrtimer_restart khv_vlapic_timer_fn(struct hrtimer *t)
{
	struct khv_vlapic *a = container_of(t, struct khv_vlapic, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	u64 now = khv_now_ns(), exp;
	bool fired = false, soon = false, deadline;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	exp = khv_vlapic_expiry(a);
	deadline = khv_lapic_timer_mode(&a->l) == KHV_TIMER_TSC_DEADLINE;
	if (exp != KHV_LAPIC_NO_TIMER && exp <= now) {
		fired = khv_lapic_timer_fire(&a->l, now);
		if (fired && deadline && timer_advance_ns < 0)
			a->fired_ns = exp;	/* late: how late, the thread measures */
		exp = khv_vlapic_expiry(a);
		/* lapic.c bounds the period; this bounds a host-time slip */
		if (exp != KHV_LAPIC_NO_TIMER &&
		    exp < now + KHV_LAPIC_MIN_PERIOD_NS)
			exp = now + KHV_LAPIC_MIN_PERIOD_NS;
	}
	/*
	 * Not due: armed early by the advance (the vCPU thread waits out the
	 * rest and fires it; this stays armed for the deadline in case the
	 * thread is elsewhere), or re-armed meanwhile: wait for the new time.
	 */
	if (exp != KHV_LAPIC_NO_TIMER) {
		soon = !fired && deadline &&
		       exp - now <= READ_ONCE(a->advance_ns);
		hrtimer_set_expires(t, ns_to_ktime(min_t(u64, exp, KTIME_MAX)));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (soon)
		set_bit(KHV_REQ_TIMER_SOON, &a->vcpu->requests);
	if (fired || soon)
		khv_vcpu_event_kick(a->vcpu);
	return ret;
}

/*
 * The vCPU thread looks at a TSC deadline that fired (or is about to)
 * @err ns after it (negative: before): the adaptive advance moves an
 * eighth of the way towards having been right (khv_lapic_advance_next()).
 */
static void khv_vlapic_advance_adapt(struct khv_vlapic *a, s64 err)
{
	u32 adv;

	if (timer_advance_ns >= 0)	/* fixed or off (read-only parameter) */
		return;
	adv = khv_lapic_advance_next(a->advance_ns, err, KHV_TIMER_ADVANCE_MAX,
				     KHV_TIMER_ADVANCE_IGNORE);
	WRITE_ONCE(a->advance_ns, adv);
	a->vcpu->stat.timer_advance_ns = adv;
}

/*
 * KHV_REQ_TIMER_SOON: the hrtimer woke this vCPU up to advance_ns before
 * its TSC deadline. Wait for the deadline here, interrupts on, then fire
 * the timer, so the guest takes the interrupt at its deadline and never
 * before (its deadline's host time is never early, khv_vlapic_arm()).
 * A reschedule or a signal ends the wait; the hrtimer, still armed for
 * the deadline, then fires the timer itself.
 */
static void khv_vlapic_timer_soon(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	bool fired = false;
	u64 exp, now;

	spin_lock_irqsave(&a->lock, flags);
	exp = khv_lapic_timer_mode(&a->l) == KHV_TIMER_TSC_DEADLINE ?
	      khv_vlapic_expiry(a) : KHV_LAPIC_NO_TIMER;
	spin_unlock_irqrestore(&a->lock, flags);
	now = khv_now_ns();
	/* fired already, or re-armed further out: the hrtimer has it */
	if (exp == KHV_LAPIC_NO_TIMER || exp > now + KHV_TIMER_ADVANCE_MAX)
		return;
	khv_vlapic_advance_adapt(a, (s64)(now - exp));
	while (now < exp) {
		if (need_resched() || signal_pending(current))
			return;
		cpu_relax();
		now = khv_now_ns();
	}
	spin_lock_irqsave(&a->lock, flags);
	/* only this thread changes the deadline: still the one waited for */
	if (khv_lapic_timer_mode(&a->l) == KHV_TIMER_TSC_DEADLINE &&
	    khv_vlapic_expiry(a) == exp)
		fired = khv_lapic_timer_fire(&a->l, now);
	spin_unlock_irqrestore(&a->lock, flags);
	if (fired) {
		vcpu->stat.timer_advance_waits++;
		set_bit(KHV_REQ_EVENT, &vcpu->requests);
		hrtimer_try_to_cancel(&a->timer);
	}
}

/* The guest's TSC now (its own offset applies). */
static u64 khv_guest_tsc(struct khv_vcpu *vcpu)
{
	u64 tsc = 0;

	khv_ops->get_msr(vcpu, MSR_IA32_TSC, &tsc);
	return tsc;
}

/*
 * The timer's state changed (vCPU thread, the vlapic lock not held):
 * arm the hrtimer for it or stop it. Only the vCPU's thread re-arms; the
 * callback checks the state under the lock, so a stale start or a cancel
 * that races with it is harmless.
 */
static void khv_vlapic_arm(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	u64 now, exp, tsc_now = 0;
	unsigned long flags;
	bool deadline;

	deadline = khv_lapic_timer_mode(&a->l) == KHV_TIMER_TSC_DEADLINE;
	if (deadline)
		tsc_now = khv_guest_tsc(vcpu);
	/*
	 * The clock after the TSC: the deadline's host time then comes out
	 * late by the time between the two reads, never early (the interrupt
	 * must not be delivered before the guest's TSC reaches it).
	 */
	now = khv_now_ns();
	spin_lock_irqsave(&a->lock, flags);
	if (deadline && a->l.tsc_deadline) {
		u64 delta = a->l.tsc_deadline > tsc_now ?
			    a->l.tsc_deadline - tsc_now : 0;

		a->deadline_ns = now + min_t(u64, mul_u64_u32_div(delta,
					     USEC_PER_SEC, tsc_khz ?: 1),
					     KTIME_MAX / 2);
	}
	exp = khv_vlapic_expiry(a);
	trace_khv_lapic_timer(vcpu->id, deadline ? a->l.tsc_deadline : 0, tsc_now,
			      exp, now);
	spin_unlock_irqrestore(&a->lock, flags);
	if (exp == KHV_LAPIC_NO_TIMER) {
		hrtimer_try_to_cancel(&a->timer);
		return;
	}
	/* a TSC deadline: the hrtimer wakes the vCPU by the advance early */
	if (deadline)
		exp -= min_t(u64, a->advance_ns, exp);
	hrtimer_start(&a->timer, ns_to_ktime(min_t(u64, exp, KTIME_MAX)),
		      HRTIMER_MODE_ABS_HARD);
}

/* ---- what a register write asks for ---- */

static void khv_vlapic_act(struct khv_vcpu *vcpu,
			   const struct khv_lapic_action *act)
{
	if (act->flags & KHV_LAPIC_ACT_TIMER)
		khv_vlapic_arm(vcpu);
	if (act->flags & (KHV_LAPIC_ACT_EOI | KHV_LAPIC_ACT_EOI_LEVEL))
		khv_irq_eoi(vcpu, act->eoi_vector,
			    act->flags & KHV_LAPIC_ACT_EOI_LEVEL);
	if (act->flags & KHV_LAPIC_ACT_IPI)
		khv_irq_deliver(vcpu->vm, &act->ipi, vcpu);
	if (act->flags & KHV_LAPIC_ACT_EVENT)
		set_bit(KHV_REQ_EVENT, &vcpu->requests);
	/* CR8 follows the TPR (only this thread writes either) */
	vcpu->tpr = khv_lapic_get_cr8(&vcpu->apic->l);
}

/* ---- guest accesses ---- */

bool khv_vlapic_mmio(struct khv_vcpu *vcpu, u64 gpa, u8 len, bool write,
		     void *data)
{
	struct khv_vlapic *a = vcpu->apic;
	struct khv_lapic_action act = { 0 };
	u64 base, val = 0, now;
	unsigned long flags;

	if (len > 8)
		return false;
	/* a clock reading (an HPET read on some hosts) only for the timer */
	now = khv_lapic_reg_timed(gpa & ~PAGE_MASK) ? khv_now_ns() : 0;
	spin_lock_irqsave(&a->lock, flags);
	base = a->l.apic_base & PAGE_MASK & ~(u64)BIT_ULL(63);
	/*
	 * A LAPIC in x2APIC mode or disabled keeps its page as a hole (reads
	 * all ones, writes dropped: KVM's LAPIC_MMIO_HOLE quirk) until user
	 * space disables the quirk; then those accesses are user space's.
	 */
	if (gpa < base || gpa - base >= PAGE_SIZE ||
	    (gpa & ~PAGE_MASK) + len > PAGE_SIZE ||
	    (!khv_lapic_mmio_active(&a->l) &&
	     khv_quirk_off(vcpu->vm, KVM_X86_QUIRK_LAPIC_MMIO_HOLE))) {
		spin_unlock_irqrestore(&a->lock, flags);
		return false;
	}
	if (write) {
		memcpy(&val, data, len);
		khv_lapic_mmio_write(&a->l, gpa - base, len, val, now, &act);
	} else {
		val = khv_lapic_mmio_read(&a->l, gpa - base, len, now);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (!write)
		memcpy(data, &val, len);
	khv_vlapic_act(vcpu, &act);
	return true;
}

static bool khv_x2apic_msr(u32 msr)
{
	return msr >= 0x800 && msr <= 0x8ff;
}

/* The MSRs the in-kernel LAPIC holds: 0, -EINVAL (#GP) or -ENOENT (not ours). */
int khv_vlapic_rdmsr(struct khv_vcpu *vcpu, u32 msr, u64 *data)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	int r = 0;

	if (msr != MSR_IA32_APICBASE && msr != MSR_IA32_TSC_DEADLINE &&
	    !khv_x2apic_msr(msr))
		return -ENOENT;
	spin_lock_irqsave(&a->lock, flags);
	if (msr == MSR_IA32_APICBASE)
		*data = a->l.apic_base;
	else if (msr == MSR_IA32_TSC_DEADLINE)
		*data = khv_lapic_timer_mode(&a->l) == KHV_TIMER_TSC_DEADLINE ?
			a->l.tsc_deadline : 0;
	else
		r = khv_lapic_rdmsr(&a->l, msr, data, khv_lapic_msr_timed(msr) ?
				    khv_now_ns() : 0);
	spin_unlock_irqrestore(&a->lock, flags);
	return r;
}

static u64 khv_apic_base_reserved(struct khv_vcpu *vcpu)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);

	return (~0ULL << khv_guest_maxphyaddr(&v)) | 0x2ffULL;
}

int khv_vlapic_wrmsr(struct khv_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	struct khv_vlapic *a = vcpu->apic;
	struct khv_lapic_action act = { 0 };
	u64 reserved = 0, base;
	unsigned long flags;
	int r = 0;

	if (msr != MSR_IA32_APICBASE && msr != MSR_IA32_TSC_DEADLINE &&
	    !khv_x2apic_msr(msr))
		return -ENOENT;
	if (msr == MSR_IA32_APICBASE)
		reserved = khv_apic_base_reserved(vcpu);
	spin_lock_irqsave(&a->lock, flags);
	if (msr == MSR_IA32_APICBASE)
		r = khv_lapic_set_base(&a->l, data, reserved, host, &act);
	else if (msr == MSR_IA32_TSC_DEADLINE)
		khv_lapic_set_tsc_deadline(&a->l, data, &act);
	else
		r = khv_lapic_wrmsr(&a->l, msr, data, khv_lapic_msr_timed(msr) ?
				    khv_now_ns() : 0, &act);
	base = a->l.apic_base;
	spin_unlock_irqrestore(&a->lock, flags);
	if (msr == MSR_IA32_APICBASE && !r)
		khv_set_apic_base(vcpu, base);
	khv_vlapic_act(vcpu, &act);
	return r;
}

/*
 * The guest's CPUID changed, or the vCPU was just created: whether it may
 * use x2APIC and the TSC-deadline timer follows, and the EOI-broadcast
 * suppression a split irqchip offers.
 */
void khv_vlapic_cpuid_changed(struct khv_vcpu *vcpu)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	struct khv_lapic_action act = { 0 };
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	u32 r[4] = { 0 };

	if (!a)
		return;
	if (vcpu->cpuid_nent)
		khv_cpuid_answer(&v, 1, 0, r);
	spin_lock_irqsave(&a->lock, flags);
	khv_lapic_set_cpuid(&a->l, r[2] & BIT(21), r[2] & BIT(24),
			    vcpu->vm->irqchip_mode == KHV_IRQCHIP_SPLIT, &act);
	spin_unlock_irqrestore(&a->lock, flags);
	khv_vlapic_act(vcpu, &act);
}

/* ---- interrupt messages ---- */

bool khv_vlapic_match(struct khv_vcpu *vcpu, const struct khv_irq_msg *m,
		      bool self)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	bool match;

	spin_lock_irqsave(&a->lock, flags);
	match = khv_lapic_match(&a->l, m, self);
	spin_unlock_irqrestore(&a->lock, flags);
	return match;
}

/*
 * @m reached this vCPU's LAPIC (it matched): fixed and lowest-priority
 * vectors go into IRR; NMI, INIT and SIPI become requests the vCPU's
 * thread acts on. Returns 1 taken, 0 coalesced or ignored, -1 dropped.
 */
int khv_vlapic_accept(struct khv_vcpu *vcpu, const struct khv_irq_msg *m)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	int r;

	switch (m->delivery) {
	case KHV_DM_FIXED:
	case KHV_DM_LOWEST:
		spin_lock_irqsave(&a->lock, flags);
		r = khv_lapic_accept(&a->l, m->vector, m->level);
		spin_unlock_irqrestore(&a->lock, flags);
		/* an illegal vector raised the error LVT's interrupt, maybe */
		if (r < 0 && m->vector < 16)
			khv_vcpu_event_kick(vcpu);
		break;
	case KHV_DM_NMI:
		set_bit(KHV_REQ_NMI, &vcpu->requests);
		r = 1;
		break;
	case KHV_DM_INIT:
		/* a level-triggered de-assert only syncs arbitration IDs */
		if (m->level && !m->assert)
			return 0;
		set_bit(KHV_REQ_INIT, &vcpu->requests);
		r = 1;
		break;
	case KHV_DM_SIPI:
		WRITE_ONCE(vcpu->sipi_vector, m->vector);
		smp_wmb();	/* the vector before the request */
		set_bit(KHV_REQ_SIPI, &vcpu->requests);
		r = 1;
		break;
	default:
		/* SMI (khv has no SMM), ExtINT (the PIC's own wire): ignored */
		return 0;
	}
	if (r > 0)
		khv_vcpu_event_kick(vcpu);
	return r;
}

/* MCG_CMCI_P came or went (KVM_X86_SETUP_MCE): the LVT CMCI entry follows. */
void khv_vlapic_set_cmci(struct khv_vcpu *vcpu, bool cmci)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	khv_lapic_set_cmci(&a->l, cmci);
	spin_unlock_irqrestore(&a->lock, flags);
}

/* A UCNA error with CMCI signalling on (KVM_X86_SET_MCE): the LVT CMCI's interrupt. */
void khv_vlapic_cmci(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	struct khv_irq_msg m;
	unsigned long flags;
	bool deliver;

	spin_lock_irqsave(&a->lock, flags);
	deliver = khv_lapic_cmci_msg(&a->l, &m);
	spin_unlock_irqrestore(&a->lock, flags);
	if (deliver)
		khv_vlapic_accept(vcpu, &m);
}

/* May the PIC's INTR go to this vCPU? */
bool khv_vlapic_accept_extint(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	bool ok;

	if (!a)
		return false;
	spin_lock_irqsave(&a->lock, flags);
	ok = khv_lapic_accept_extint(&a->l);
	spin_unlock_irqrestore(&a->lock, flags);
	return ok;
}

/* ---- injection ---- */

/* The highest vector set in the 256-bit register at @reg, or 0. */
static u32 khv_reg_highest(const struct khv_lapic *l, u32 reg)
{
	int i;
	u32 w;

	for (i = 7; i >= 0; i--) {
		memcpy(&w, l->regs + reg + i * 16, sizeof(w));
		if (w)
			return i * 32 + fls(w) - 1;
	}
	return 0;
}

/*
 * Is no vector requested? Read without the LAPIC's lock, by the vCPU's
 * thread before an entry or while it halts: whoever else sets an IRR bit
 * sets KHV_REQ_EVENT after it (khv_vcpu_event_kick(); x86 keeps the two
 * stores in order), and the thread clears KHV_REQ_EVENT before it looks
 * (khv_inject_events(), khv_vlapic_wait()), so a bit this misses makes
 * the thread look again before the guest runs on.
 */
static bool khv_vlapic_irr_empty(const struct khv_vlapic *a)
{
	int i;

	for (i = 0; i < 8; i++)
		if (READ_ONCE(*(const u32 *)(a->l.regs + KHV_APIC_IRR + i * 16)))
			return false;
	return true;
}

/*
 * Does the TPR hold back the highest requested vector? (Then CR8 writes
 * must exit: KVM's condition, the request's class at or below TPR's.)
 */
bool khv_vlapic_tpr_blocks(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	u32 irr;
	bool blocks;

	if (khv_vlapic_irr_empty(a))
		return false;
	spin_lock_irqsave(&a->lock, flags);
	irr = khv_reg_highest(&a->l, KHV_APIC_IRR);
	blocks = irr && (irr >> 4) <= (a->l.regs[KHV_APIC_TPR] >> 4);
	spin_unlock_irqrestore(&a->lock, flags);
	return blocks;
}

/*
 * The interrupt the guest should take next: the PIC's (ExtINT) first,
 * then the LAPIC's highest deliverable vector. With @ack the CPU takes
 * it now (IRR to ISR / the PIC's INTA). -1 if none.
 */
int khv_vlapic_next_irq(struct khv_vcpu *vcpu, bool ack)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	int v;

	v = khv_irqchip_extint(vcpu, ack);
	if (v >= 0 || khv_vlapic_irr_empty(a))
		return v;
	spin_lock_irqsave(&a->lock, flags);
	v = khv_lapic_pending(&a->l);
	if (v >= 0 && ack)
		khv_lapic_ack(&a->l, v);
	spin_unlock_irqrestore(&a->lock, flags);
	return v;
}

/*
 * The LAPIC's highest deliverable fixed vector, for khv_ops->offer_irq(),
 * or -1; never the PIC's ExtINT, which its INTA cycle must not take
 * before the CPU does.
 */
int khv_vlapic_offer_vector(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	int v;

	if (khv_irqchip_extint(vcpu, false) >= 0)
		return -1;
	spin_lock_irqsave(&a->lock, flags);
	v = khv_lapic_pending(&a->l);
	spin_unlock_irqrestore(&a->lock, flags);
	return v;
}

/*
 * After the entry with an offered vector: if the guest took it, the LAPIC
 * acknowledges it now (IRR to ISR), before the exit is handled, so an EOI
 * that caused the exit finds it in service. Not taken, it stays requested
 * and the next entry decides again (a higher vector may have come).
 */
void khv_vlapic_offer_done(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	int v = khv_ops->offer_result(vcpu);

	vcpu->irq_offer = -1;
	if (v < 0)
		return;
	trace_khv_inj_irq(vcpu->id, v);
	vcpu->stat.irq_injections++;
	spin_lock_irqsave(&a->lock, flags);
	khv_lapic_ack(&a->l, v);
	spin_unlock_irqrestore(&a->lock, flags);
}

/* ---- INIT, SIPI, NMI, halt ---- */

/*
 * INIT: the vCPU resets (keeping what INIT keeps) and waits for a SIPI,
 * the bootstrap processor runs on from the reset vector.
 */
static void khv_vlapic_init(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;

	khv_vcpu_init_reset(vcpu);
	spin_lock_irqsave(&a->lock, flags);
	a->l.lint0_quirk_off = khv_quirk_off(vcpu->vm, KVM_X86_QUIRK_LINT0_REENABLED);
	khv_lapic_init_signal(&a->l);
	spin_unlock_irqrestore(&a->lock, flags);
	khv_vlapic_arm(vcpu);
	vcpu->tpr = khv_lapic_get_cr8(&a->l);
	vcpu->mp_state = vcpu->id == vcpu->vm->bsp_vcpu_id ?
			 KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_INIT_RECEIVED;
}

/* SIPI in wait-for-SIPI: real mode at vector << 12. Else it is lost. */
static void khv_vlapic_sipi(struct khv_vcpu *vcpu, u8 vector)
{
	struct kvm_sregs s;

	if (vcpu->mp_state != KVM_MP_STATE_INIT_RECEIVED)
		return;
	khv_ops->get_sregs(vcpu, &s);
	s.cs.selector = vector << 8;
	s.cs.base = (u64)vector << 12;
	khv_ops->set_sregs(vcpu, &s);
	vcpu->rip = 0;
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
}

/* Act on what other threads sent: INIT before SIPI, as they arrive. */
void khv_vlapic_sync_requests(struct khv_vcpu *vcpu)
{
	/* before every entry: plain tests first, no locked op when none is set */
	if (test_bit(KHV_REQ_INIT, &vcpu->requests) &&
	    test_and_clear_bit(KHV_REQ_INIT, &vcpu->requests))
		khv_vlapic_init(vcpu);
	if (test_bit(KHV_REQ_SIPI, &vcpu->requests) &&
	    test_and_clear_bit(KHV_REQ_SIPI, &vcpu->requests)) {
		smp_rmb();	/* the vector after the request */
		khv_vlapic_sipi(vcpu, READ_ONCE(vcpu->sipi_vector));
	}
	if (test_bit(KHV_REQ_NMI, &vcpu->requests) &&
	    test_and_clear_bit(KHV_REQ_NMI, &vcpu->requests))
		vcpu->nmi_pending = true;
	if (test_bit(KHV_REQ_TIMER_SOON, &vcpu->requests) &&
	    test_and_clear_bit(KHV_REQ_TIMER_SOON, &vcpu->requests))
		khv_vlapic_timer_soon(vcpu);
}

/* KVM_SET_MP_STATE(SIPI_RECEIVED): a SIPI waits for the vCPU. */
void khv_vlapic_latch_sipi(struct khv_vcpu *vcpu, u8 vector)
{
	WRITE_ONCE(vcpu->sipi_vector, vector);
	smp_wmb();
	set_bit(KHV_REQ_SIPI, &vcpu->requests);
}

/*
 * Would the guest, halted, take something now? Not khv_interrupt_allowed(),
 * which says whether another interrupt can be injected: one already on
 * its way in (khv_injected_irq_waits()) wakes the vCPU rather than keep
 * it asleep, and so does a new request behind it, as on KVM.
 */
bool khv_vlapic_has_events(struct khv_vcpu *vcpu)
{
	/*
	 * A pending NMI wakes the vCPU only if it can be taken: one that
	 * waits for the IRET of the handler running (Linux stops its CPUs
	 * with NMIs into `cli; hlt` loops) leaves the halt as it is. A new
	 * NMI message counts until khv_vlapic_sync_requests() has made it
	 * pending, as KVM_REQ_NMI does on KVM.
	 */
	if (test_bit(KHV_REQ_NMI, &vcpu->requests) ||
	    (vcpu->nmi_pending && khv_nmi_allowed(vcpu)))
		return true;
	if (!khv_interrupts_open(vcpu))
		return false;
	return khv_ops->event_in_flight(vcpu) || vcpu->irq_pending ||
	       khv_vlapic_next_irq(vcpu, false) >= 0;
}

static bool khv_vlapic_runnable(struct khv_vcpu *vcpu)
{
	khv_vlapic_sync_requests(vcpu);
	if (vcpu->mp_state == KVM_MP_STATE_RUNNABLE)
		return true;
	if (vcpu->mp_state == KVM_MP_STATE_HALTED &&
	    khv_vlapic_has_events(vcpu)) {
		vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		return true;
	}
	return false;
}

static bool khv_vlapic_got_init(struct khv_vcpu *vcpu)
{
	khv_vlapic_sync_requests(vcpu);
	return vcpu->mp_state != KVM_MP_STATE_UNINITIALIZED;
}

/* After a halt of @halted ns: the vCPU's next poll window (see halt_poll_ns). */
static void khv_vlapic_poll_adapt(struct khv_vlapic *a, u64 halted, u32 window,
				  u32 limit)
{
	if (halted > limit)
		a->halt_poll_ns = 0;
	else if (halted > window)
		a->halt_poll_ns = min(max(window * 2, (u32)KHV_HALT_POLL_START), limit);
}

/*
 * Poll a little, then sleep until @done says so. 0 done, -EINTR on a
 * signal.
 */
static int khv_vlapic_wait(struct khv_vcpu *vcpu,
			   bool (*done)(struct khv_vcpu *vcpu))
{
	struct khv_vlapic *a = vcpu->apic;
	u32 limit, window;
	u64 start, poll_end;
	DEFINE_WAIT(wait);

	/*
	 * The common case, a vCPU that is not halted: one look, before any
	 * clock reading (this runs before every entry). Not having halted,
	 * it says nothing about the poll window.
	 */
	if (done(vcpu))
		return 0;
	limit = min(READ_ONCE(halt_poll_ns), 1000000u);
	window = min(a->halt_poll_ns, limit);
	start = khv_now_ns();
	poll_end = start + window;
	for (;;) {
		/*
		 * Clear, then look: a kick after the clear is seen below or
		 * wakes the sleep. Cleared after a look instead, a kick in
		 * between would be lost, and a coalesced interrupt (its
		 * vector already in the IRR) kicks nobody: the vCPU would
		 * sleep until some other event.
		 */
		clear_bit(KHV_REQ_EVENT, &vcpu->requests);
		smp_mb__after_atomic();	/* pairs with khv_vcpu_event_kick() */
		if (done(vcpu))
			break;
		if (signal_pending(current))
			return -EINTR;
		/*
		 * Poll only while nothing else wants this CPU: with the
		 * sender queued here, polling would only delay it.
		 */
		if (khv_now_ns() < poll_end && single_task_running() &&
		    !need_resched()) {
			cpu_relax();
			continue;
		}
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		if (!(READ_ONCE(vcpu->requests) & KHV_REQ_WAKE_MASK) &&
		    !signal_pending(current))
			schedule();
		finish_wait(&vcpu->wq, &wait);
	}
	khv_vlapic_poll_adapt(a, khv_now_ns() - start, window, limit);
	return 0;
}

/* ---- KVM_SET_VAPIC_ADDR: TPR access through a guest page ---- */

/*
 * Before entry: the guest page gets TPR (byte 0), the highest vector in
 * service's class (byte 1) and the highest requested vector (byte 3),
 * the layout KVM documents for option ROMs that patch TPR accesses.
 */
static void khv_vapic_sync_to(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	u32 data;

	spin_lock_irqsave(&a->lock, flags);
	data = a->l.regs[KHV_APIC_TPR] |
	       (khv_reg_highest(&a->l, KHV_APIC_ISR) & 0xf0) << 8 |
	       khv_reg_highest(&a->l, KHV_APIC_IRR) << 24;
	spin_unlock_irqrestore(&a->lock, flags);
	khv_write_guest(vcpu, a->vapic_addr, &data, sizeof(data));
}

/* After an exit: the TPR the guest wrote to the page. */
static void khv_vapic_sync_from(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	struct khv_lapic_action act = { 0 };
	unsigned long flags;
	u32 data;

	if (khv_read_guest(vcpu, a->vapic_addr, &data, sizeof(data)))
		return;
	spin_lock_irqsave(&a->lock, flags);
	if (a->l.regs[KHV_APIC_TPR] != (u8)data)
		khv_lapic_mmio_write(&a->l, KHV_APIC_TPR, 4, data & 0xff,
				     khv_now_ns(), &act);
	spin_unlock_irqrestore(&a->lock, flags);
	khv_vlapic_act(vcpu, &act);
}

/* 0 turns it off; KVM requires an in-kernel LAPIC. */
long khv_vcpu_set_vapic_addr(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vapic_addr va;

	if (!vcpu->apic)
		return -EINVAL;
	if (copy_from_user(&va, (void __user *)arg, sizeof(va)))
		return -EFAULT;
	vcpu->apic->vapic_addr = va.vapic_addr;
	return 0;
}

/*
 * PV EOI (MSR_KVM_PV_EOI_EN, KVM's protocol): just before an entry, if
 * nothing is requested and the vector in service is edge-triggered, khv
 * sets bit 0 of the guest's PV EOI byte; a guest that finds it set at its
 * EOI clears it instead of writing the EOI register, saving an exit.
 * After the exit khv looks: cleared means the guest's EOI happened, and
 * khv does it now; still set, khv clears it (the next entry decides
 * again). With a request in the IRR it is never set: the guest's EOI
 * must exit so the request can be delivered; a level-triggered vector's
 * EOI must reach the IOAPIC (or user space) when the guest does it, and
 * so must the EOI of a PIT tick while the PIT reinjects (the next tick
 * waits for it).
 */
void khv_vlapic_pv_eoi_before_entry(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	unsigned long flags;
	bool level, ok;
	u8 set = 1;
	int v;

	if (!(vcpu->pv_eoi_msr & KVM_MSR_ENABLED))
		return;
	spin_lock_irqsave(&a->lock, flags);
	v = khv_lapic_in_service(&a->l, &level);
	ok = v >= 0 && !level && !khv_lapic_irr_pending(&a->l);
	spin_unlock_irqrestore(&a->lock, flags);
	/* an EOI the PIT's reinjection waits for must exit */
	if (ok && khv_irq_eoi_wanted(vcpu->vm, v))
		ok = false;
	if (ok && !khv_write_guest(vcpu, vcpu->pv_eoi_msr & ~(u64)KVM_MSR_ENABLED,
				   &set, sizeof(set)))
		vcpu->pv_eoi_pending = true;
}

/*
 * After an exit, and when KVM_RUN returns having set the bit but not
 * entered (as KVM's cancelled entry does): user space must never see, or
 * save for another host, a bit that only khv knows it set.
 */
void khv_vlapic_pv_eoi_after_exit(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	struct khv_lapic_action act;
	u64 gpa = vcpu->pv_eoi_msr & ~(u64)KVM_MSR_ENABLED;
	unsigned long flags;
	u8 val;

	vcpu->pv_eoi_pending = false;
	if (khv_read_guest(vcpu, gpa, &val, sizeof(val)))
		return;
	if (val & 1) {
		val = 0;
		khv_write_guest(vcpu, gpa, &val, sizeof(val));
		return;
	}
	spin_lock_irqsave(&a->lock, flags);
	khv_lapic_eoi(&a->l, &act);
	spin_unlock_irqrestore(&a->lock, flags);
	khv_vlapic_act(vcpu, &act);
}

/*
 * Before each entry: act on requests, report a split-irqchip EOI, sleep
 * while not runnable, give the guest its TPR. 1 to enter, else what the
 * run loop returns.
 */
int khv_vlapic_before_entry(struct khv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	if (test_and_clear_bit(KHV_REQ_EOI_EXIT, &vcpu->requests)) {
		run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		run->eoi.vector = vcpu->eoi_exit_vector;
		return 0;
	}
	/*
	 * As KVM: an application processor that never had INIT blocks until
	 * it gets one, then KVM_RUN returns -EAGAIN (user space runs again).
	 */
	if (vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED) {
		r = khv_vlapic_wait(vcpu, khv_vlapic_got_init);
		if (!r)
			return -EAGAIN;
	} else {
		r = khv_vlapic_wait(vcpu, khv_vlapic_runnable);
	}
	if (r < 0) {
		run->exit_reason = KVM_EXIT_INTR;
		vcpu->stat.signal_exits++;
		return r;
	}
	/* a TSC deadline the hrtimer fired late: by how much, for the advance */
	if (READ_ONCE(vcpu->apic->fired_ns)) {
		u64 fired = xchg(&vcpu->apic->fired_ns, 0);

		if (fired)
			khv_vlapic_advance_adapt(vcpu->apic,
						 (s64)(khv_now_ns() - fired));
	}
	if (vcpu->apic->vapic_addr)
		khv_vapic_sync_to(vcpu);
	return 1;
}

/*
 * After each exit (and KVM_SET_SREGS): CR8 writes reach the TPR
 * register. Between entries vcpu->tpr and the TPR's class agree.
 */
void khv_vlapic_after_exit(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;
	struct khv_lapic_action act = { 0 };
	unsigned long flags;

	if (vcpu->pv_eoi_pending)
		khv_vlapic_pv_eoi_after_exit(vcpu);
	if (khv_lapic_get_cr8(&a->l) != vcpu->tpr) {
		spin_lock_irqsave(&a->lock, flags);
		khv_lapic_set_cr8(&a->l, vcpu->tpr, &act);
		spin_unlock_irqrestore(&a->lock, flags);
		khv_vlapic_act(vcpu, &act);
	}
	if (a->vapic_addr)
		khv_vapic_sync_from(vcpu);
}

/*
 * True when khv_vlapic_after_exit() and khv_vlapic_before_entry() have
 * nothing to do for this exit: the fast path may enter again at once.
 * Interrupts off; what other threads change comes with a request bit.
 */
bool khv_vlapic_quiet_after_exit(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = vcpu->apic;

	return !vcpu->pv_eoi_pending && !a->vapic_addr &&
	       !READ_ONCE(a->fired_ns) &&
	       vcpu->mp_state == KVM_MP_STATE_RUNNABLE &&
	       khv_lapic_get_cr8(&a->l) == vcpu->tpr;
}

/* HLT with the LAPIC in the kernel: sleep here, not in user space. */
void khv_vlapic_hlt(struct khv_vcpu *vcpu)
{
	if (!khv_vlapic_has_events(vcpu))
		vcpu->mp_state = KVM_MP_STATE_HALTED;
}

/* ---- lifetime, ioctls ---- */

/* KVM_CAP_X2APIC_API's flags, as this LAPIC applies them. */
static void khv_vlapic_x2apic_api_set(struct khv_vlapic *a, u32 flags)
{
	a->l.x2apic_format = flags & KVM_X2APIC_API_USE_32BIT_IDS;
	a->l.x2apic_broadcast_quirk_off = flags & KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_X2APIC_API): as KVM, flags are only ever added,
 * at any time; the LAPICs that exist take them now, later ones at their
 * creation (both under vm->lock). 0, or -EINVAL for an unknown flag.
 */
int khv_vm_enable_x2apic_api(struct khv_vm *vm, u64 flags)
{
	struct khv_vcpu *vcpu;
	unsigned long i, irqf;
	u32 now;

	if (flags & ~(u64)(KVM_X2APIC_API_USE_32BIT_IDS |
			   KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK))
		return -EINVAL;
	mutex_lock(&vm->lock);
	now = vm->x2apic_api | (u32)flags;
	WRITE_ONCE(vm->x2apic_api, now);
	xa_for_each(&vm->vcpus, i, vcpu) {
		struct khv_vlapic *a = vcpu->apic;

		if (!a)
			continue;
		spin_lock_irqsave(&a->lock, irqf);
		khv_vlapic_x2apic_api_set(a, now);
		spin_unlock_irqrestore(&a->lock, irqf);
	}
	mutex_unlock(&vm->lock);
	return 0;
}

int khv_vlapic_create(struct khv_vcpu *vcpu)
{
	struct khv_vlapic *a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	struct khv_lapic_action act;
	bool bsp = vcpu->id == vcpu->vm->bsp_vcpu_id;

	if (!a)
		return -ENOMEM;
	spin_lock_init(&a->lock);
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = khv_vlapic_timer_fn;
	a->vcpu = vcpu;
	a->advance_ns = timer_advance_ns < 0 ? KHV_TIMER_ADVANCE_START :
			min(timer_advance_ns, KHV_TIMER_ADVANCE_MAX);
	vcpu->stat.timer_advance_ns = a->advance_ns;
	a->l.lint0_quirk_off = khv_quirk_off(vcpu->vm, KVM_X86_QUIRK_LINT0_REENABLED);
	khv_vlapic_x2apic_api_set(a, vcpu->vm->x2apic_api);	/* vm->lock held */
	khv_lapic_reset(&a->l, vcpu->id, bsp, false);
	/* no CPUID yet: no x2APIC, no TSC-deadline timer (nothing to act on) */
	khv_lapic_set_cpuid(&a->l, false, false,
			    vcpu->vm->irqchip_mode == KHV_IRQCHIP_SPLIT, &act);
	vcpu->apic = a;
	vcpu->apic_base = a->l.apic_base;
	/* as KVM: application processors wait for INIT and SIPI */
	vcpu->mp_state = bsp ? KVM_MP_STATE_RUNNABLE :
			 KVM_MP_STATE_UNINITIALIZED;
	return 0;
}

void khv_vlapic_free(struct khv_vcpu *vcpu)
{
	if (!vcpu->apic)
		return;
	hrtimer_cancel(&vcpu->apic->timer);
	kfree(vcpu->apic);
	vcpu->apic = NULL;
}

long khv_vcpu_get_lapic(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct khv_vlapic *a = vcpu->apic;
	struct kvm_lapic_state *s;
	unsigned long flags;
	long r = 0;

	if (!a)
		return -EINVAL;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	spin_lock_irqsave(&a->lock, flags);
	khv_lapic_get_state(&a->l, s, khv_now_ns());
	spin_unlock_irqrestore(&a->lock, flags);
	if (copy_to_user((void __user *)arg, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

long khv_vcpu_set_lapic(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct khv_vlapic *a = vcpu->apic;
	struct khv_lapic_action act = { 0 };
	struct kvm_lapic_state *s;
	unsigned long flags;
	long r;

	if (!a)
		return -EINVAL;
	s = memdup_user((void __user *)arg, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	spin_lock_irqsave(&a->lock, flags);
	r = khv_lapic_set_state(&a->l, s, khv_now_ns(), &act);
	spin_unlock_irqrestore(&a->lock, flags);
	kfree(s);
	if (r)
		return r;
	act.flags |= KHV_LAPIC_ACT_TIMER | KHV_LAPIC_ACT_EVENT;
	khv_vlapic_act(vcpu, &act);
	return 0;
}
