// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC's register-level behaviour. Pure code: see khv_pure.h;
 * the model, what it follows and where it departs from KVM are in lapic.h.
 *
 * Every register lives in regs[] as the xAPIC page lays it out, so that
 * KVM_GET/SET_LAPIC are copies. Values are only ever stored through the
 * write paths below, which keep a register's reserved bits clear; reads
 * compute PPR's inputs and TMCCT, nothing else. Offsets from outside are
 * checked before they index regs[], and reg_get()/reg_set() mask theirs
 * again so that a mistake here cannot reach past the page.
 */
#include "lapic.h"

#define APIC_PAGE		KVM_APIC_REG_SIZE	/* registers end at 0x3f0 */
#define ROW_MASK		(APIC_PAGE - 0x10)	/* 0x3f0 */

/* Fields of ICR, LVT entries and TDCR (SDM 10.5.1, 10.5.4, 10.6.1). */
#define APIC_VECTOR		0xffU
#define APIC_DM_SHIFT		8
#define APIC_DM_MASK		(7U << APIC_DM_SHIFT)
#define APIC_DEST_LOGICAL	BIT(11)
#define APIC_DELIVERY_STATUS	BIT(12)
#define APIC_POLARITY		BIT(13)
#define APIC_ICR_ASSERT		BIT(14)
#define APIC_REMOTE_IRR		BIT(14)
#define APIC_TRIGGER_LEVEL	BIT(15)
#define APIC_SHORTHAND_SHIFT	18
#define APIC_TIMER_MODE_SHIFT	17
#define APIC_TDCR_BITS		0xbU			/* bits 0, 1 and 3 */

/* The bits an LVT entry keeps, as KVM: vector, delivery status, mask ... */
#define LVT_BASE		(KHV_APIC_LVT_MASKED | APIC_DELIVERY_STATUS | APIC_VECTOR)
/* ... plus the delivery mode where there is one ... */
#define LVT_WITH_DM		(LVT_BASE | APIC_DM_MASK)
/* ... plus polarity, remote IRR and trigger mode on the LINT pins. */
#define LVT_LINT		(LVT_WITH_DM | APIC_POLARITY | APIC_REMOTE_IRR | \
				 APIC_TRIGGER_LEVEL)

/*
 * Indexed by lvt_index(): (offset - KHV_APIC_LVTT) / 16, then CMCI's; the
 * timer's mode bits vary.
 */
static const u32 khv_lvt_bits[KHV_APIC_NR_LVT + 1] = {
	LVT_BASE,	/* timer */
	LVT_WITH_DM,	/* thermal sensor */
	LVT_WITH_DM,	/* performance counter */
	LVT_LINT,	/* LINT0 */
	LVT_LINT,	/* LINT1 */
	LVT_BASE,	/* error */
	LVT_WITH_DM,	/* CMCI (with l->cmci) */
};

/* x2APIC ICR bits that must be 0 (31:20, 17:16, 13); bit 12 is ignored. */
#define X2APIC_ICR_RESERVED	(0xfff00000ULL | 0x30000ULL | BIT_ULL(13))

#define ESR_BITS		0xffU
#define XAPIC_ID_BITS		0xff000000U		/* also LDR's */
#define DFR_RESERVED_ONES	0x0fffffffU
#define SVR_BITS		0x3ffU

static u32 get32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void put32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static u32 reg_get(const struct khv_lapic *l, u32 off)
{
	return get32(&l->regs[off & ROW_MASK]);
}

static void reg_set(struct khv_lapic *l, u32 off, u32 v)
{
	put32(&l->regs[off & ROW_MASK], v);
}

/* IRR, ISR and TMR: 256 bits, 32 in each of 8 rows. */
static u32 vec_row(u32 base, u8 vector)
{
	return base + (vector >> 5) * 0x10;
}

static bool vec_test(const struct khv_lapic *l, u32 base, u8 vector)
{
	return reg_get(l, vec_row(base, vector)) & BIT(vector & 31);
}

static void vec_set(struct khv_lapic *l, u32 base, u8 vector)
{
	u32 row = vec_row(base, vector);

	reg_set(l, row, reg_get(l, row) | BIT(vector & 31));
}

static void vec_clear(struct khv_lapic *l, u32 base, u8 vector)
{
	u32 row = vec_row(base, vector);

	reg_set(l, row, reg_get(l, row) & ~(u32)BIT(vector & 31));
}

static int vec_highest(const struct khv_lapic *l, u32 base)
{
	int row;

	for (row = 7; row >= 0; row--) {
		u32 w = reg_get(l, base + row * 0x10);

		if (w)
			return row * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

bool khv_lapic_hw_enabled(const struct khv_lapic *l)
{
	return l->apic_base & KHV_APIC_BASE_EN;
}

bool khv_lapic_x2apic_mode(const struct khv_lapic *l)
{
	u64 both = KHV_APIC_BASE_EN | KHV_APIC_BASE_EXTD;

	return (l->apic_base & both) == both;
}

bool khv_lapic_mmio_active(const struct khv_lapic *l)
{
	return (l->apic_base & (KHV_APIC_BASE_EN | KHV_APIC_BASE_EXTD)) ==
	       KHV_APIC_BASE_EN;
}

static bool sw_enabled(const struct khv_lapic *l)
{
	return reg_get(l, KHV_APIC_SVR) & KHV_APIC_SVR_ENABLE;
}

u32 khv_lapic_id(const struct khv_lapic *l)
{
	u32 id = reg_get(l, KHV_APIC_ID);

	return khv_lapic_x2apic_mode(l) ? id : id >> 24;
}

/* SDM 10.12.10.2: cluster in bits 31:16, one bit of 16 in 15:0. */
static u32 x2apic_ldr(u32 id)
{
	return (id >> 4) << 16 | (u32)BIT(id & 0xf);
}

static u32 lapic_version(const struct khv_lapic *l)
{
	u32 v = KHV_APIC_VERSION | (KHV_APIC_NR_LVT + l->cmci - 1) << 16;

	if (l->x2apic_cpuid && l->split_irqchip)
		v |= KHV_APIC_LVR_DIRECTED_EOI;
	return v;
}

static u32 svr_bits(const struct khv_lapic *l)
{
	if (reg_get(l, KHV_APIC_LVR) & KHV_APIC_LVR_DIRECTED_EOI)
		return SVR_BITS | KHV_APIC_SVR_DIRECTED_EOI;
	return SVR_BITS;
}

static u32 lvt_bits(const struct khv_lapic *l, u32 idx)
{
	u32 bits = khv_lvt_bits[idx];

	if (idx == 0) {
		bits |= BIT(APIC_TIMER_MODE_SHIFT);
		if (l->tscdeadline_cpuid)
			bits |= BIT(APIC_TIMER_MODE_SHIFT + 1);
	}
	return bits;
}

static bool is_lvt(const struct khv_lapic *l, u32 off)
{
	return (off >= KHV_APIC_LVTT && off <= KHV_APIC_LVT_ERROR) ||
	       (off == KHV_APIC_LVT_CMCI && l->cmci);
}

static u32 lvt_index(u32 off)
{
	return off == KHV_APIC_LVT_CMCI ? KHV_APIC_NR_LVT : (off - KHV_APIC_LVTT) >> 4;
}

/* Every LVT entry this LAPIC has: set the mask bit. */
static void mask_lvts(struct khv_lapic *l)
{
	u32 off;

	for (off = KHV_APIC_LVTT; off <= KHV_APIC_LVT_ERROR; off += 0x10)
		reg_set(l, off, reg_get(l, off) | KHV_APIC_LVT_MASKED);
	if (l->cmci)
		reg_set(l, KHV_APIC_LVT_CMCI,
			reg_get(l, KHV_APIC_LVT_CMCI) | KHV_APIC_LVT_MASKED);
}

/* ---- priorities, acceptance, EOI ------------------------------------- */

/* SDM 10.8.3.1: the higher of TPR and the in-service class. */
static void update_ppr(struct khv_lapic *l)
{
	u32 tpr = reg_get(l, KHV_APIC_TPR) & 0xff;
	int isrv = vec_highest(l, KHV_APIC_ISR);
	u32 ppr = tpr;

	if (isrv >= 0 && ((u32)isrv & 0xf0) > (tpr & 0xf0))
		ppr = (u32)isrv & 0xf0;
	reg_set(l, KHV_APIC_PPR, ppr);
}

int khv_lapic_pending(const struct khv_lapic *l)
{
	int v;

	if (!khv_lapic_hw_enabled(l))
		return -1;
	v = vec_highest(l, KHV_APIC_IRR);
	/* the class must beat PPR's: compare the vector's class with all of PPR */
	if (v < 0 || ((u32)v & 0xf0) <= (reg_get(l, KHV_APIC_PPR) & 0xff))
		return -1;
	return v;
}

static void note_event(const struct khv_lapic *l, struct khv_lapic_action *act)
{
	if (khv_lapic_pending(l) >= 0)
		act->flags |= KHV_LAPIC_ACT_EVENT;
}

static void clear_action(struct khv_lapic_action *act)
{
	act->flags = 0;
	act->eoi_vector = 0;
	act->ipi = (struct khv_irq_msg){ 0 };
}

/*
 * Log an error in the ESR-to-be and raise the error LVT. An illegal vector
 * in the error LVT itself is logged but not delivered, or each error would
 * raise another.
 */
static void lapic_error(struct khv_lapic *l, u8 bits)
{
	u32 lvt = reg_get(l, KHV_APIC_LVT_ERROR);
	u8 vector = lvt & APIC_VECTOR;

	l->esr_pending |= bits;
	if ((lvt & KHV_APIC_LVT_MASKED) || !khv_lapic_hw_enabled(l) || !sw_enabled(l))
		return;
	if (vector < 16) {
		l->esr_pending |= KHV_APIC_ESR_RECV_ILLEGAL;
		return;
	}
	vec_clear(l, KHV_APIC_TMR, vector);
	vec_set(l, KHV_APIC_IRR, vector);
}

int khv_lapic_accept(struct khv_lapic *l, u8 vector, bool level)
{
	if (!khv_lapic_hw_enabled(l) || !sw_enabled(l))
		return -1;
	if (vector < 16) {
		lapic_error(l, KHV_APIC_ESR_RECV_ILLEGAL);
		return -1;
	}
	if (level)
		vec_set(l, KHV_APIC_TMR, vector);
	else
		vec_clear(l, KHV_APIC_TMR, vector);
	if (vec_test(l, KHV_APIC_IRR, vector))
		return 0;
	vec_set(l, KHV_APIC_IRR, vector);
	return 1;
}

void khv_lapic_ack(struct khv_lapic *l, u8 vector)
{
	vec_clear(l, KHV_APIC_IRR, vector);
	vec_set(l, KHV_APIC_ISR, vector);
	update_ppr(l);
}

static void lapic_eoi(struct khv_lapic *l, struct khv_lapic_action *act)
{
	int v = vec_highest(l, KHV_APIC_ISR);

	if (v < 0)
		return;		/* an EOI with nothing in service: ignored */
	vec_clear(l, KHV_APIC_ISR, v);
	update_ppr(l);
	act->flags |= KHV_LAPIC_ACT_EOI;
	act->eoi_vector = v;
	if (vec_test(l, KHV_APIC_TMR, v) &&
	    !(reg_get(l, KHV_APIC_SVR) & KHV_APIC_SVR_DIRECTED_EOI))
		act->flags |= KHV_LAPIC_ACT_EOI_LEVEL;
	note_event(l, act);
}

void khv_lapic_eoi(struct khv_lapic *l, struct khv_lapic_action *act)
{
	clear_action(act);
	lapic_eoi(l, act);
}

int khv_lapic_in_service(const struct khv_lapic *l, bool *level)
{
	int v = vec_highest(l, KHV_APIC_ISR);

	*level = v >= 0 && vec_test(l, KHV_APIC_TMR, v);
	return v;
}

bool khv_lapic_irr_pending(const struct khv_lapic *l)
{
	return vec_highest(l, KHV_APIC_IRR) >= 0;
}

static void set_tpr(struct khv_lapic *l, u32 tpr, struct khv_lapic_action *act)
{
	reg_set(l, KHV_APIC_TPR, tpr & 0xff);
	update_ppr(l);
	note_event(l, act);
}

u8 khv_lapic_get_cr8(const struct khv_lapic *l)
{
	return (reg_get(l, KHV_APIC_TPR) >> 4) & 0xf;
}

void khv_lapic_set_cr8(struct khv_lapic *l, u8 cr8, struct khv_lapic_action *act)
{
	clear_action(act);
	set_tpr(l, (cr8 & 0xfU) << 4, act);
}

bool khv_lapic_accept_extint(const struct khv_lapic *l)
{
	u32 lvt0 = reg_get(l, KHV_APIC_LVT0);

	if (!khv_lapic_hw_enabled(l))
		return true;
	return !(lvt0 & KHV_APIC_LVT_MASKED) &&
	       (lvt0 & APIC_DM_MASK) >> APIC_DM_SHIFT == KHV_DM_EXTINT;
}

int khv_lapic_lint(const struct khv_lapic *l, int pin, u8 *vector, bool *level)
{
	u32 lvt, dm;

	if (pin != 0 && pin != 1)
		return -1;
	if (!khv_lapic_hw_enabled(l)) {
		*vector = 0;
		*level = pin == 0;
		return pin == 0 ? KHV_DM_EXTINT : KHV_DM_NMI;
	}
	lvt = reg_get(l, pin ? KHV_APIC_LVT1 : KHV_APIC_LVT0);
	if (lvt & KHV_APIC_LVT_MASKED)
		return -1;
	dm = (lvt & APIC_DM_MASK) >> APIC_DM_SHIFT;
	*vector = lvt & APIC_VECTOR;
	/* SDM 10.5.1: NMI, SMI, INIT edge; ExtINT level; LINT1 never level */
	*level = dm == KHV_DM_EXTINT ||
		 (dm == KHV_DM_FIXED && pin == 0 && (lvt & APIC_TRIGGER_LEVEL));
	return dm;
}

/* ---- destinations (SDM 10.6.2, 10.12.9, 10.12.10) --------------------- */

static bool match_logical(const struct khv_lapic *l, u32 mda, bool x2)
{
	u32 ldr = reg_get(l, KHV_APIC_LDR), id;

	if (x2)		/* cluster in 31:16, a bit of 16 in 15:0 */
		return (ldr >> 16) == (mda >> 16) && (ldr & mda & 0xffff);
	id = ldr >> 24;
	switch (reg_get(l, KHV_APIC_DFR) >> 28) {
	case 0xf:	/* flat: a bit of 8 */
		return id & mda;
	case 0x0:	/* cluster in 7:4, a bit of 4 in 3:0 */
		return (id >> 4) == (mda >> 4) && (id & mda & 0xf);
	}
	return false;	/* a model the SDM does not define */
}

bool khv_lapic_match(const struct khv_lapic *l, const struct khv_irq_msg *m, bool self)
{
	bool x2 = khv_lapic_x2apic_mode(l);
	u32 mda = m->dest;

	if (!khv_lapic_hw_enabled(l))
		return false;
	switch (m->shorthand) {
	case KHV_SH_NONE:
		break;
	case KHV_SH_SELF:
		return self;
	case KHV_SH_ALL:
		return true;
	case KHV_SH_OTHERS:
		return !self;
	default:
		return false;
	}
	/* KVM's broadcast quirk: 0xff, but from an IPI, reaches x2APIC CPUs too */
	if (x2 && !m->ipi && mda == 0xff && !l->x2apic_broadcast_quirk_off)
		mda = 0xffffffff;
	if (mda == (x2 ? 0xffffffffU : 0xffU))
		return true;
	if (m->logical)
		return match_logical(l, mda, x2);
	/* a vcpu_id beyond 8 bits is reachable by it in xAPIC mode (KVM) */
	if (x2 || mda > 0xff)
		return mda == l->vcpu_id;
	return mda == reg_get(l, KHV_APIC_ID) >> 24;
}

/* ---- timer ------------------------------------------------------------ */

/* TDCR bits 3, 1, 0: 000 = 2, 001 = 4, ... 110 = 128, 111 = 1 (SDM 10.5.4). */
static u32 timer_divide(const struct khv_lapic *l)
{
	u32 tdcr = reg_get(l, KHV_APIC_TDCR);
	u32 enc = (tdcr & 3) | ((tdcr >> 1) & 4);

	return 1U << ((enc + 1) & 7);
}

enum khv_lapic_timer_mode khv_lapic_timer_mode(const struct khv_lapic *l)
{
	u32 mode = reg_get(l, KHV_APIC_LVTT) >> APIC_TIMER_MODE_SHIFT;

	mode &= l->tscdeadline_cpuid ? 3 : 1;
	if (mode == 1)
		return KHV_TIMER_PERIODIC;
	if (mode == 2)
		return KHV_TIMER_TSC_DEADLINE;
	return KHV_TIMER_ONESHOT;	/* 11b is reserved: run it as one-shot */
}

/* One count is @divide ns; a periodic timer is held to the minimum period. */
static u64 timer_period(const struct khv_lapic *l)
{
	u64 period = (u64)reg_get(l, KHV_APIC_TMICT) * timer_divide(l);

	if (period && period < KHV_LAPIC_MIN_PERIOD_NS &&
	    khv_lapic_timer_mode(l) == KHV_TIMER_PERIODIC)
		period = KHV_LAPIC_MIN_PERIOD_NS;
	return period;
}

/* now + ns, saturating below KHV_LAPIC_NO_TIMER. */
static u64 add_ns(u64 now, u64 ns)
{
	u64 t = now + ns;

	return t < now || t == KHV_LAPIC_NO_TIMER ? KHV_LAPIC_NO_TIMER - 1 : t;
}

static void timer_stop(struct khv_lapic *l)
{
	l->timer_expire_ns = KHV_LAPIC_NO_TIMER;
}

/* Run the count with @left ns to go (0 < left <= period). */
static void timer_run(struct khv_lapic *l, u64 now, u64 left, u64 period)
{
	l->timer_expire_ns = add_ns(now, left);
	l->timer_start_ns = l->timer_expire_ns >= period ?
			    l->timer_expire_ns - period : 0;
}

/*
 * The current count at @now: the time left in counts. When the period was
 * lengthened to the minimum, the count runs from TMICT over the longer
 * period. @round_up for KVM_GET_LAPIC (see lapic.h).
 */
static u32 timer_count(const struct khv_lapic *l, u64 now, bool round_up)
{
	u64 tmict = reg_get(l, KHV_APIC_TMICT);
	u64 div = timer_divide(l), period, left, count;

	if (!tmict || l->timer_expire_ns == KHV_LAPIC_NO_TIMER ||
	    khv_lapic_timer_mode(l) == KHV_TIMER_TSC_DEADLINE)
		return 0;
	period = timer_period(l);
	left = l->timer_expire_ns > now ? l->timer_expire_ns - now : 0;
	if (left > period)
		left = period;
	if (period == tmict * div)
		count = (left + (round_up ? div - 1 : 0)) / div;
	else
		count = (left * tmict + (round_up ? period - 1 : 0)) / period;
	return count < tmict ? count : tmict;
}

/* The inverse, for KVM_SET_LAPIC's TMCCT. */
static u64 timer_count_ns(const struct khv_lapic *l, u64 count, u64 period)
{
	u64 tmict = reg_get(l, KHV_APIC_TMICT);
	u64 div = timer_divide(l);

	if (period == tmict * div)
		return count * div;
	return count * period / tmict;
}

/* SDM 10.5.4.1 and KVM: entering or leaving TSC-deadline mode disarms. */
static void timer_mode_changed(struct khv_lapic *l, enum khv_lapic_timer_mode old,
			       struct khv_lapic_action *act)
{
	enum khv_lapic_timer_mode mode = khv_lapic_timer_mode(l);

	if ((old == KHV_TIMER_TSC_DEADLINE) == (mode == KHV_TIMER_TSC_DEADLINE))
		return;
	reg_set(l, KHV_APIC_TMICT, 0);
	l->tsc_deadline = 0;
	timer_stop(l);
	act->flags |= KHV_LAPIC_ACT_TIMER;
}

static void write_tmict(struct khv_lapic *l, u32 val, u64 now,
			struct khv_lapic_action *act)
{
	u64 period;

	if (khv_lapic_timer_mode(l) == KHV_TIMER_TSC_DEADLINE)
		return;		/* ignored in TSC-deadline mode */
	reg_set(l, KHV_APIC_TMICT, val);
	period = timer_period(l);
	if (period)
		timer_run(l, now, period, period);
	else
		timer_stop(l);
	act->flags |= KHV_LAPIC_ACT_TIMER;
}

static void write_tdcr(struct khv_lapic *l, u32 val, u64 now,
		       struct khv_lapic_action *act)
{
	u64 old_div = timer_divide(l), old_period = timer_period(l), new_div, left;

	reg_set(l, KHV_APIC_TDCR, val & APIC_TDCR_BITS);
	new_div = timer_divide(l);
	if (new_div == old_div || l->timer_expire_ns == KHV_LAPIC_NO_TIMER ||
	    khv_lapic_timer_mode(l) == KHV_TIMER_TSC_DEADLINE)
		return;
	/* the counts left stay, each now new_div ns long: at most 2^46 ns */
	left = l->timer_expire_ns > now ? l->timer_expire_ns - now : 0;
	if (left > old_period)
		left = old_period;
	l->timer_expire_ns = add_ns(now, left * new_div / old_div);
	act->flags |= KHV_LAPIC_ACT_TIMER;
}

void khv_lapic_set_tsc_deadline(struct khv_lapic *l, u64 tsc, struct khv_lapic_action *act)
{
	clear_action(act);
	if (!khv_lapic_hw_enabled(l) ||
	    khv_lapic_timer_mode(l) != KHV_TIMER_TSC_DEADLINE)
		return;
	l->tsc_deadline = tsc;
	act->flags |= KHV_LAPIC_ACT_TIMER;
}

u64 khv_lapic_get_tsc_deadline(const struct khv_lapic *l)
{
	if (!khv_lapic_hw_enabled(l) ||
	    khv_lapic_timer_mode(l) != KHV_TIMER_TSC_DEADLINE)
		return 0;
	return l->tsc_deadline;
}

static bool timer_interrupt(struct khv_lapic *l)
{
	u32 lvt = reg_get(l, KHV_APIC_LVTT);

	if (lvt & KHV_APIC_LVT_MASKED)
		return false;
	return khv_lapic_accept(l, lvt & APIC_VECTOR, false) == 1;
}

bool khv_lapic_timer_fire(struct khv_lapic *l, u64 now_ns)
{
	enum khv_lapic_timer_mode mode = khv_lapic_timer_mode(l);
	u64 expire = l->timer_expire_ns, period, late, skip;

	if (mode == KHV_TIMER_TSC_DEADLINE) {
		if (!l->tsc_deadline)
			return false;
		l->tsc_deadline = 0;
		return timer_interrupt(l);
	}
	if (expire == KHV_LAPIC_NO_TIMER || now_ns < expire)
		return false;
	period = timer_period(l);
	if (mode != KHV_TIMER_PERIODIC || !period) {
		timer_stop(l);
		return timer_interrupt(l);
	}
	/*
	 * The next period starts at this expiry, or at the last expiry before
	 * now if the hrtimer was that late: no drift, no burst of catch-up
	 * interrupts. Only a bogus clock comes near the end of u64.
	 */
	late = now_ns - expire;
	skip = late < KHV_LAPIC_NO_TIMER - period ? late - late % period + period :
						    KHV_LAPIC_NO_TIMER;
	if (skip >= KHV_LAPIC_NO_TIMER - expire) {
		timer_stop(l);
	} else {
		l->timer_expire_ns = expire + skip;
		l->timer_start_ns = l->timer_expire_ns - period;
	}
	return timer_interrupt(l);
}

u32 khv_lapic_advance_next(u32 adv_ns, s64 err_ns, u32 max_ns, u32 ignore_ns)
{
	s64 next;

	if (err_ns > (s64)ignore_ns || err_ns < -(s64)ignore_ns)
		return adv_ns < max_ns ? adv_ns : max_ns;
	next = (s64)adv_ns + err_ns / 8;
	if (next < 0)
		return 0;
	return next > max_ns ? max_ns : (u32)next;
}

/* ---- reset ------------------------------------------------------------ */

/* Every register at its RESET value (SDM 10.4.7.1), but for ID and LDR. */
static void regs_init(struct khv_lapic *l, u32 id, u32 ldr)
{
	u32 off;

	for (off = 0; off < APIC_PAGE; off++)
		l->regs[off] = 0;
	reg_set(l, KHV_APIC_ID, id);
	reg_set(l, KHV_APIC_LVR, lapic_version(l));
	reg_set(l, KHV_APIC_LDR, ldr);
	reg_set(l, KHV_APIC_DFR, ~0U);
	reg_set(l, KHV_APIC_SVR, 0xff);
	mask_lvts(l);
	if (l->reset_bsp && !l->lint0_quirk_off)
		reg_set(l, KHV_APIC_LVT0, KHV_DM_EXTINT << APIC_DM_SHIFT);
	l->esr_pending = 0;
	l->tsc_deadline = 0;
	l->timer_start_ns = 0;
	timer_stop(l);
}

void khv_lapic_reset(struct khv_lapic *l, u32 vcpu_id, bool bsp, bool x2apic_cpuid)
{
	l->vcpu_id = vcpu_id;
	l->x2apic_cpuid = x2apic_cpuid;
	l->reset_bsp = bsp;
	l->apic_base = KHV_APIC_DEFAULT_BASE | KHV_APIC_BASE_EN |
		       (bsp ? KHV_APIC_BASE_BSP : 0);
	regs_init(l, vcpu_id << 24, 0);
}

void khv_lapic_init_signal(struct khv_lapic *l)
{
	bool x2 = khv_lapic_x2apic_mode(l);

	regs_init(l, reg_get(l, KHV_APIC_ID), x2 ? reg_get(l, KHV_APIC_LDR) : 0);
}

void khv_lapic_set_cpuid(struct khv_lapic *l, bool x2apic, bool tsc_deadline,
			 bool split_irqchip, struct khv_lapic_action *act)
{
	enum khv_lapic_timer_mode old = khv_lapic_timer_mode(l);

	clear_action(act);
	l->x2apic_cpuid = x2apic;
	l->tscdeadline_cpuid = tsc_deadline;
	l->split_irqchip = split_irqchip;
	reg_set(l, KHV_APIC_LVR, lapic_version(l));
	/* a mode bit that no longer exists reads 0, as after a write */
	reg_set(l, KHV_APIC_LVTT, reg_get(l, KHV_APIC_LVTT) & lvt_bits(l, 0));
	timer_mode_changed(l, old, act);
}

void khv_lapic_set_cmci(struct khv_lapic *l, bool cmci)
{
	if (l->cmci == cmci)
		return;
	l->cmci = cmci;
	reg_set(l, KHV_APIC_LVR, lapic_version(l));
	reg_set(l, KHV_APIC_LVT_CMCI, cmci ? KHV_APIC_LVT_MASKED : 0);
}

bool khv_lapic_cmci_msg(const struct khv_lapic *l, struct khv_irq_msg *m)
{
	u32 lvt = reg_get(l, KHV_APIC_LVT_CMCI);

	if (!l->cmci || !khv_lapic_hw_enabled(l) || (lvt & KHV_APIC_LVT_MASKED))
		return false;
	*m = (struct khv_irq_msg){
		.vector = lvt & APIC_VECTOR,
		.delivery = (lvt & APIC_DM_MASK) >> APIC_DM_SHIFT,
	};
	return true;
}

/* ---- IA32_APIC_BASE --------------------------------------------------- */

int khv_lapic_set_base(struct khv_lapic *l, u64 value, u64 reserved_mask, bool host,
		       struct khv_lapic_action *act)
{
	u64 rsvd = reserved_mask | 0x2ffULL;
	bool old_en = l->apic_base & KHV_APIC_BASE_EN;
	bool old_x2 = khv_lapic_x2apic_mode(l);
	bool en = value & KHV_APIC_BASE_EN;
	bool x2 = en && (value & KHV_APIC_BASE_EXTD);

	clear_action(act);
	if (!l->x2apic_cpuid)
		rsvd |= KHV_APIC_BASE_EXTD;
	if (value & rsvd)
		return -EINVAL;
	if (!en && (value & KHV_APIC_BASE_EXTD))
		return -EINVAL;		/* EN = 0, EXTD = 1: the invalid state */
	/* SDM 10.12.5.1: leave x2APIC only through disabled, enter it from xAPIC */
	if (!host && ((old_x2 && en && !x2) || (!old_en && x2)))
		return -EINVAL;

	l->apic_base = value;
	if (old_en && !en) {
		regs_init(l, l->vcpu_id << 24, 0);
		act->flags |= KHV_LAPIC_ACT_TIMER;
	}
	if (!old_x2 && x2) {
		reg_set(l, KHV_APIC_ID, l->vcpu_id);
		reg_set(l, KHV_APIC_LDR, x2apic_ldr(l->vcpu_id));
	} else if (en && !x2 && (old_x2 || !old_en)) {
		reg_set(l, KHV_APIC_ID, l->vcpu_id << 24);
		reg_set(l, KHV_APIC_LDR, reg_get(l, KHV_APIC_LDR) & XAPIC_ID_BITS);
	}
	if (old_en != en || old_x2 != x2)
		act->flags |= KHV_LAPIC_ACT_EVENT;
	return 0;
}

/* ---- register reads and writes ---------------------------------------- */

static bool reg_readable(const struct khv_lapic *l, u32 off, bool x2)
{
	switch (off) {
	case KHV_APIC_ID:
	case KHV_APIC_LVR:
	case KHV_APIC_TPR:
	case KHV_APIC_PPR:
	case KHV_APIC_LDR:
	case KHV_APIC_SVR:
	case KHV_APIC_ESR:
	case KHV_APIC_ICR:
	case KHV_APIC_TMICT:
	case KHV_APIC_TMCCT:
	case KHV_APIC_TDCR:
		return true;
	case KHV_APIC_APR:
	case KHV_APIC_DFR:
	case KHV_APIC_ICR2:
		return !x2;	/* gone in x2APIC mode (SDM 10.12.1.2) */
	}
	return (off >= KHV_APIC_ISR && off < KHV_APIC_ESR) || is_lvt(l, off);
}

/* @off is readable. */
static u32 reg_read(const struct khv_lapic *l, u32 off, u64 now)
{
	if (off == KHV_APIC_TMCCT)
		return timer_count(l, now, false);
	if (off == KHV_APIC_APR)
		return 0;
	return reg_get(l, off);
}

static void write_svr(struct khv_lapic *l, u32 val, struct khv_lapic_action *act)
{
	reg_set(l, KHV_APIC_SVR, val & svr_bits(l));
	if (!(val & KHV_APIC_SVR_ENABLE))
		mask_lvts(l);	/* SDM 10.4.7.2: software-disabled, every LVT masked */
	note_event(l, act);
}

static void write_lvt(struct khv_lapic *l, u32 off, u32 val,
		      struct khv_lapic_action *act)
{
	enum khv_lapic_timer_mode old = khv_lapic_timer_mode(l);

	if (!sw_enabled(l))
		val |= KHV_APIC_LVT_MASKED;
	reg_set(l, off, val & lvt_bits(l, lvt_index(off)));
	if (off == KHV_APIC_LVTT)
		timer_mode_changed(l, old, act);
	else if (off == KHV_APIC_LVT0)
		act->flags |= KHV_LAPIC_ACT_EVENT;	/* ExtINT may pass now */
}

/* An ICR write: @lo without delivery status, @dest as the mode has it. */
static void send_ipi(struct khv_lapic *l, u32 lo, u32 dest, struct khv_lapic_action *act)
{
	struct khv_irq_msg *m = &act->ipi;

	m->dest = dest;
	m->vector = lo & APIC_VECTOR;
	m->delivery = (lo & APIC_DM_MASK) >> APIC_DM_SHIFT;
	m->shorthand = (lo >> APIC_SHORTHAND_SHIFT) & 3;
	m->logical = lo & APIC_DEST_LOGICAL;
	m->level = lo & APIC_TRIGGER_LEVEL;
	m->assert = lo & APIC_ICR_ASSERT;
	m->ipi = true;
	act->flags |= KHV_LAPIC_ACT_IPI;
	if ((m->delivery == KHV_DM_FIXED || m->delivery == KHV_DM_LOWEST) &&
	    m->vector < 16) {
		lapic_error(l, KHV_APIC_ESR_SEND_ILLEGAL);
		note_event(l, act);
	}
}

static int write_self_ipi(struct khv_lapic *l, u32 val, struct khv_lapic_action *act)
{
	u8 vector = val & APIC_VECTOR;

	if (val & ~APIC_VECTOR)
		return -EINVAL;
	if (vector < 16)
		lapic_error(l, KHV_APIC_ESR_SEND_ILLEGAL);
	khv_lapic_accept(l, vector, false);
	note_event(l, act);
	return 0;
}

/*
 * A 32-bit register write (xAPIC ICR included, x2APIC ICR not). In x2APIC
 * mode (@x2) the -EINVAL cases are #GP and are checked before anything
 * changes; in xAPIC mode the caller ignores them (the write is dropped).
 */
static int reg_write(struct khv_lapic *l, u32 off, u32 val, bool x2, u64 now,
		     struct khv_lapic_action *act)
{
	switch (off) {
	case KHV_APIC_ID:
		if (x2)
			return -EINVAL;
		reg_set(l, off, val & XAPIC_ID_BITS);
		return 0;
	case KHV_APIC_TPR:
		if (x2 && (val & ~0xffU))
			return -EINVAL;
		set_tpr(l, val, act);
		return 0;
	case KHV_APIC_EOI:
		if (x2 && val)
			return -EINVAL;
		lapic_eoi(l, act);
		return 0;
	case KHV_APIC_LDR:
		if (x2)
			return -EINVAL;
		reg_set(l, off, val & XAPIC_ID_BITS);
		return 0;
	case KHV_APIC_DFR:
		if (x2)
			return -EINVAL;
		reg_set(l, off, val | DFR_RESERVED_ONES);
		return 0;
	case KHV_APIC_SVR:
		if (x2 && (val & ~svr_bits(l)))
			return -EINVAL;
		write_svr(l, val, act);
		return 0;
	case KHV_APIC_ESR:
		if (x2 && val)
			return -EINVAL;
		/* SDM 10.5.3: a write makes the errors since the last one readable */
		reg_set(l, off, l->esr_pending);
		l->esr_pending = 0;
		return 0;
	case KHV_APIC_ICR:
		if (x2)
			return -EINVAL;	/* the 64-bit MSR, see khv_lapic_wrmsr() */
		val &= ~APIC_DELIVERY_STATUS;
		reg_set(l, off, val);
		send_ipi(l, val, reg_get(l, KHV_APIC_ICR2) >> 24, act);
		return 0;
	case KHV_APIC_ICR2:
		if (x2)
			return -EINVAL;
		reg_set(l, off, val & XAPIC_ID_BITS);
		return 0;
	case KHV_APIC_TMICT:
		write_tmict(l, val, now, act);
		return 0;
	case KHV_APIC_TDCR:
		if (x2 && (val & ~APIC_TDCR_BITS))
			return -EINVAL;
		write_tdcr(l, val, now, act);
		return 0;
	case KHV_APIC_SELF_IPI:
		if (!x2)
			return -EINVAL;
		return write_self_ipi(l, val, act);
	}
	if (!is_lvt(l, off))
		return -EINVAL;	/* read-only or absent */
	if (x2 && (val & ~lvt_bits(l, lvt_index(off))))
		return -EINVAL;
	write_lvt(l, off, val, act);
	return 0;
}

u64 khv_lapic_mmio_read(struct khv_lapic *l, u32 offset, u8 len, u64 now_ns)
{
	u32 row = offset & ~0xfU, shift = (offset & 0xf) * 8;
	u64 v;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return 0;
	if (!khv_lapic_mmio_active(l))
		return len == 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
	/* within the first four bytes of a row (SDM 10.4.1: 32-bit registers) */
	if (len == 8 || shift + len * 8 > 32 || offset >= APIC_PAGE ||
	    !reg_readable(l, row, false))
		return 0;
	v = reg_read(l, row, now_ns) >> shift;
	return len == 4 ? v : v & ((1ULL << (len * 8)) - 1);
}

void khv_lapic_mmio_write(struct khv_lapic *l, u32 offset, u8 len, u64 val, u64 now_ns,
			  struct khv_lapic_action *act)
{
	clear_action(act);
	if (!khv_lapic_mmio_active(l) || len != 4 || (offset & 0xf) ||
	    offset >= APIC_PAGE)
		return;
	reg_write(l, offset, (u32)val, false, now_ns, act);
}

static u32 msr_offset(u32 msr)
{
	return (msr - KHV_MSR_X2APIC_FIRST) << 4;
}

static bool msr_ok(const struct khv_lapic *l, u32 msr)
{
	return khv_lapic_x2apic_mode(l) && msr >= KHV_MSR_X2APIC_FIRST &&
	       msr <= KHV_MSR_X2APIC_LAST;
}

int khv_lapic_rdmsr(struct khv_lapic *l, u32 msr, u64 *val, u64 now_ns)
{
	u32 off;

	if (!msr_ok(l, msr))
		return -EINVAL;
	off = msr_offset(msr);
	if (off >= APIC_PAGE || !reg_readable(l, off, true))
		return -EINVAL;
	if (off == KHV_APIC_ICR)
		*val = reg_get(l, KHV_APIC_ICR) | (u64)reg_get(l, KHV_APIC_ICR2) << 32;
	else
		*val = reg_read(l, off, now_ns);
	return 0;
}

int khv_lapic_wrmsr(struct khv_lapic *l, u32 msr, u64 val, u64 now_ns,
		    struct khv_lapic_action *act)
{
	u32 off;

	clear_action(act);
	if (!msr_ok(l, msr))
		return -EINVAL;
	off = msr_offset(msr);
	if (off == KHV_APIC_ICR) {
		if (val & X2APIC_ICR_RESERVED)
			return -EINVAL;
		val &= ~(u64)APIC_DELIVERY_STATUS;
		reg_set(l, KHV_APIC_ICR, (u32)val);
		reg_set(l, KHV_APIC_ICR2, val >> 32);
		send_ipi(l, (u32)val, val >> 32, act);
		return 0;
	}
	if ((val >> 32) || off >= APIC_PAGE)
		return -EINVAL;
	return reg_write(l, off, (u32)val, true, now_ns, act);
}

/* ---- KVM_GET_LAPIC / KVM_SET_LAPIC ------------------------------------- */

void khv_lapic_get_state(const struct khv_lapic *l, struct kvm_lapic_state *s, u64 now_ns)
{
	u8 *dst = (u8 *)s->regs;
	u32 off;

	for (off = 0; off < APIC_PAGE; off++)
		dst[off] = l->regs[off];
	put32(dst + KHV_APIC_TMCCT, timer_count(l, now_ns, true));
	if (khv_lapic_x2apic_mode(l) && !l->x2apic_format)
		put32(dst + KHV_APIC_ID, l->vcpu_id << 24);
}

/* What KVM_SET_LAPIC keeps of register @off: what a guest could have written. */
static u32 state_value(const struct khv_lapic *l, u32 off, u32 v, bool x2)
{
	switch (off) {
	case KHV_APIC_ID:
		return x2 ? l->vcpu_id : v & XAPIC_ID_BITS;
	case KHV_APIC_LVR:
		return lapic_version(l);
	case KHV_APIC_TPR:
		return v & 0xff;
	case KHV_APIC_LDR:
		return x2 ? x2apic_ldr(l->vcpu_id) : v & XAPIC_ID_BITS;
	case KHV_APIC_DFR:
		return v | DFR_RESERVED_ONES;
	case KHV_APIC_SVR:
		/* bit 12 even when not offered: KVM takes it, the IOAPIC obeys */
		return v & (SVR_BITS | KHV_APIC_SVR_DIRECTED_EOI);
	case KHV_APIC_ESR:
		return v & ESR_BITS;
	case KHV_APIC_ICR:
		return v & ~APIC_DELIVERY_STATUS;
	case KHV_APIC_ICR2:
		return x2 ? v : v & XAPIC_ID_BITS;
	case KHV_APIC_TMICT:
		return v;
	case KHV_APIC_TDCR:
		return v & APIC_TDCR_BITS;
	}
	if (off >= KHV_APIC_ISR && off < KHV_APIC_ESR)
		return v;
	if (is_lvt(l, off))
		return v & lvt_bits(l, lvt_index(off));
	return 0;	/* PPR (computed), TMCCT (below), absent registers */
}

/* Resume one-shot/periodic counting from the saved current count. */
static void state_timer(struct khv_lapic *l, u32 tmcct, u64 now)
{
	u64 period = timer_period(l), left;

	timer_stop(l);
	if (!period)
		return;
	left = timer_count_ns(l, tmcct, period);
	if (left > period)
		left = period;
	/*
	 * A count of 0: a periodic timer starts a period; a one-shot one
	 * fires at once, as KVM restores it. KVM's saved state cannot show
	 * an expiry whose interrupt it has not put in the IRR yet (a stopped
	 * vCPU), so a one-shot count of 0 may be an interrupt still owed:
	 * without it, a guest moved from KVM can wait forever for its tick.
	 * One too many is what the guest gets otherwise, which it tolerates.
	 */
	if (!left && khv_lapic_timer_mode(l) == KHV_TIMER_PERIODIC)
		left = period;
	timer_run(l, now, left, period);
}

int khv_lapic_set_state(struct khv_lapic *l, const struct kvm_lapic_state *s, u64 now_ns,
			struct khv_lapic_action *act)
{
	const u8 *src = (const u8 *)s->regs;
	bool x2 = khv_lapic_x2apic_mode(l);
	enum khv_lapic_timer_mode old = khv_lapic_timer_mode(l);
	u32 off;

	clear_action(act);
	if (x2 && l->x2apic_format && get32(src + KHV_APIC_ID) != l->vcpu_id)
		return -EINVAL;
	for (off = 0; off < APIC_PAGE; off++)
		l->regs[off] = 0;
	for (off = 0; off < APIC_PAGE; off += 0x10)
		reg_set(l, off, state_value(l, off, get32(src + off), x2));
	update_ppr(l);
	l->esr_pending = 0;

	if (khv_lapic_timer_mode(l) == KHV_TIMER_TSC_DEADLINE) {
		if (old != KHV_TIMER_TSC_DEADLINE)
			l->tsc_deadline = 0;
		reg_set(l, KHV_APIC_TMICT, 0);
		timer_stop(l);
	} else {
		l->tsc_deadline = 0;
		state_timer(l, get32(src + KHV_APIC_TMCCT), now_ns);
	}
	act->flags |= KHV_LAPIC_ACT_TIMER | KHV_LAPIC_ACT_EVENT;
	return 0;
}
