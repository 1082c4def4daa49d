// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 (KVM_CREATE_PIT2): ports 0x40-0x43 (and 0x61 with
 * KVM_PIT_SPEAKER_DUMMY) go to the pure model (pit.c); an hrtimer at
 * channel 0's rising edges pulses GSI 0.
 *
 * Reinjection (KVM_REINJECT_CONTROL, on from creation as in KVM): every
 * tick reaches the guest, one at a time. A tick is owed from its edge
 * until the guest acknowledges an interrupt of GSI 0 (an EOI at the PIC,
 * or at a LAPIC for the vector of an IOAPIC pin GSI 0 is routed to:
 * khv_vpit_ack()); while one is in flight the edges only count, and each
 * acknowledgement sends the next owed tick at once (from an irq_work,
 * never from the EOI's own path; not an hrtimer, whose "now" waits for
 * the next jiffy on a host without high-resolution timers). Edges a late
 * hrtimer skipped count too. Unmasking GSI 0's pin, and programming
 * channel 0, forget what is owed (khv_vpit_unmasked(), khv_vpit_arm()).
 * The guest cannot make this a storm: it gets a tick per EOI it does, no
 * faster. With reinjection off a tick the guest has not taken yet (still
 * in the PIC's or LAPIC's IRR) merges with the next, as on hardware.
 */
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "khv.h"
#include "irqchip.h"
#include "pit.h"

/* As KVM's min_timer_period_us: the guest cannot storm the host. */
#define KHV_PIT_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)

struct khv_vpit {
	spinlock_t lock;		/* pit, edge, reinject, owed, in_flight */
	struct khv_pit pit;
	u64 edge;			/* the rising edge the timer is set for */
	u32 flags;			/* KVM_CREATE_PIT2 flags */
	bool reinject;			/* KVM_REINJECT_CONTROL's pit_reinject */
	bool in_flight;			/* reinject: a tick sent, not acknowledged */
	u64 owed;			/* reinject: ticks not acknowledged, in flight included */
	struct hrtimer timer;		/* channel 0's edges */
	struct irq_work resend;		/* reinject: the next owed tick, now */
	struct khv_vm *vm;
};

static u64 khv_pit_now(void)
{
	return ktime_get_ns();
}

/* The edge after @after, no sooner than the minimum period after @last. */
static u64 khv_vpit_next(struct khv_vpit *p, u64 after, u64 last)
{
	u64 next = khv_pit_ch0_next(&p->pit, after);

	if (next != KHV_PIT_NO_TIMER && last != KHV_PIT_NO_TIMER &&
	    next < last + KHV_PIT_MIN_PERIOD_NS)
		next = khv_pit_ch0_next(&p->pit, last + KHV_PIT_MIN_PERIOD_NS);
	return next;
}

/*
 * The timer's expiries (edges, the minimum period apart) in (@fired,
 * @now]: the ticks a late hrtimer went past.
 */
static u64 khv_vpit_skipped(struct khv_vpit *p, u64 fired, u64 now)
{
	u64 period = khv_pit_ch0_period_ns(&p->pit);

	if (!period || now <= fired)
		return 0;
	if (period >= KHV_PIT_MIN_PERIOD_NS)
		return khv_pit_ch0_edges(&p->pit, fired, now);
	return (now - fired) /
	       (DIV_ROUND_UP_ULL(KHV_PIT_MIN_PERIOD_NS, period) * period);
}

static void khv_vpit_pulse(struct khv_vpit *p)
{
	khv_irq_set_gsi(p->vm, KHV_IRQ_SRC_PIT, 0, true);
	khv_irq_set_gsi(p->vm, KHV_IRQ_SRC_PIT, 0, false);
}

/* Reinject: @n more ticks are owed; true if one is to be sent now. */
static bool khv_vpit_owe(struct khv_vpit *p, u64 n)
{
	p->owed = p->owed + n < p->owed ? U64_MAX : p->owed + n;
	if (p->in_flight)
		return false;
	p->in_flight = true;
	return true;
}

static enum hrtimer_restart khv_vpit_timer_fn(struct hrtimer *t)
{
	struct khv_vpit *p = container_of(t, struct khv_vpit, timer);
	u64 now = khv_pit_now(), next, fired;
	unsigned long flags;
	bool tick = false;

	spin_lock_irqsave(&p->lock, flags);
	next = p->edge;
	if (next != KHV_PIT_NO_TIMER && next <= now) {
		fired = next;
		tick = p->reinject ?
		       khv_vpit_owe(p, 1 + khv_vpit_skipped(p, fired, now)) :
		       true;
		next = khv_vpit_next(p, now + 1, fired);
		p->edge = next;
	}
	if (next != KHV_PIT_NO_TIMER)
		hrtimer_set_expires(t, ns_to_ktime(min_t(u64, next, KTIME_MAX)));
	spin_unlock_irqrestore(&p->lock, flags);
	if (tick)
		khv_vpit_pulse(p);
	return next == KHV_PIT_NO_TIMER ? HRTIMER_NORESTART : HRTIMER_RESTART;
}

static void khv_vpit_resend_fn(struct irq_work *w)
{
	khv_vpit_pulse(container_of(w, struct khv_vpit, resend));
}

/* Reinject: forget what is owed (KVM's state after a reset). */
static void khv_vpit_forget(struct khv_vpit *p)
{
	p->owed = 0;
	p->in_flight = false;
}

bool khv_vpit_reinjecting(struct khv_vm *vm)
{
	struct khv_vpit *p = READ_ONCE(vm->pit);

	return p && READ_ONCE(p->reinject);
}

/*
 * The guest acknowledged an interrupt of GSI 0 (the irqchip's EOI paths,
 * any context): the tick in flight is paid; the next owed one goes now.
 */
void khv_vpit_ack(struct khv_vm *vm)
{
	struct khv_vpit *p = READ_ONCE(vm->pit);
	unsigned long flags;
	bool send = false;

	if (!p)
		return;
	spin_lock_irqsave(&p->lock, flags);
	if (p->reinject) {
		p->in_flight = false;
		if (p->owed)
			p->owed--;
		if (p->owed)
			send = khv_vpit_owe(p, 0);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	if (send)
		irq_work_queue(&p->resend);
}

/* GSI 0's pin was unmasked at the PIC or the IOAPIC: start afresh. */
void khv_vpit_unmasked(struct khv_vm *vm)
{
	struct khv_vpit *p = READ_ONCE(vm->pit);
	unsigned long flags;

	if (!p)
		return;
	spin_lock_irqsave(&p->lock, flags);
	if (p->reinject)
		khv_vpit_forget(p);
	spin_unlock_irqrestore(&p->lock, flags);
}

/* Channel 0 was programmed: the timer follows (callers serialize). */
static void khv_vpit_arm(struct khv_vpit *p)
{
	unsigned long flags;
	u64 next;

	spin_lock_irqsave(&p->lock, flags);
	next = khv_vpit_next(p, khv_pit_now(), KHV_PIT_NO_TIMER);
	p->edge = next;
	khv_vpit_forget(p);
	spin_unlock_irqrestore(&p->lock, flags);
	if (next == KHV_PIT_NO_TIMER)
		hrtimer_try_to_cancel(&p->timer);
	else
		hrtimer_start(&p->timer, ns_to_ktime(min_t(u64, next, KTIME_MAX)),
			      HRTIMER_MODE_ABS_HARD);
}

bool khv_vpit_pio(struct khv_vm *vm, u16 port, u8 size, bool in, u32 *val)
{
	struct khv_vpit *p = vm->pit;
	bool reprogram = false;
	unsigned long flags;
	u8 byte = 0;

	if (!(port >= 0x40 && port <= 0x43) &&
	    !(port == 0x61 && (p->flags & KVM_PIT_SPEAKER_DUMMY)))
		return false;
	spin_lock_irqsave(&p->lock, flags);
	if (in) {
		khv_pit_read(&p->pit, port, &byte, khv_pit_now());
		*val = byte;
	} else {
		khv_pit_write(&p->pit, port, *val & 0xff, khv_pit_now(),
			      &reprogram);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	if (reprogram)
		khv_vpit_arm(p);
	return true;
}

/* KVM_CREATE_PIT2 */
long khv_vm_create_pit2(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_pit_config cfg;
	struct khv_vpit *p;
	long r;

	if (copy_from_user(&cfg, (void __user *)arg, sizeof(cfg)))
		return -EFAULT;
	if (cfg.flags & ~KVM_PIT_SPEAKER_DUMMY)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->pit)
		goto out_unlock;
	r = -ENOENT;	/* its ticks need an irqchip to go to */
	if (vm->irqchip_mode != KHV_IRQCHIP_KERNEL)
		goto out_unlock;
	r = -ENOMEM;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		goto out_unlock;
	spin_lock_init(&p->lock);
	hrtimer_init(&p->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	p->timer.function = khv_vpit_timer_fn;
	p->resend = IRQ_WORK_INIT_HARD(khv_vpit_resend_fn);
	p->vm = vm;
	p->flags = cfg.flags;
	p->reinject = true;	/* KVM's default */
	p->edge = KHV_PIT_NO_TIMER;
	khv_pit_reset(&p->pit, khv_pit_now());
	/* vCPUs read vm->pit without vm->lock: publish it whole */
	smp_store_release(&vm->pit, p);
	mutex_unlock(&vm->lock);
	khv_vpit_arm(p);
	return 0;

out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}

void khv_vpit_destroy(struct khv_vm *vm)
{
	if (!vm->pit)
		return;
	hrtimer_cancel(&vm->pit->timer);
	irq_work_sync(&vm->pit->resend);
	kfree(vm->pit);
	vm->pit = NULL;
}

/* The state now, for KVM_GET_PIT2 and KVM_GET_PIT. */
static void khv_vpit_get(struct khv_vpit *p, struct kvm_pit_state2 *s)
{
	unsigned long flags;

	memset(s, 0, sizeof(*s));
	spin_lock_irqsave(&p->lock, flags);
	khv_pit_get_state(&p->pit, s);
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * KVM_SET_PIT2, and KVM_SET_PIT with @channels_only: the channels of @s
 * replace the current ones, the flags stay.
 */
static long khv_vpit_set(struct khv_vpit *p, struct kvm_pit_state2 *s,
			 bool channels_only)
{
	struct kvm_pit_state2 cur;
	unsigned long flags;
	long r;

	spin_lock_irqsave(&p->lock, flags);
	if (channels_only) {
		khv_pit_get_state(&p->pit, &cur);
		memcpy(cur.channels, s->channels, sizeof(cur.channels));
		s = &cur;
	}
	r = khv_pit_set_state(&p->pit, s, khv_pit_now());
	spin_unlock_irqrestore(&p->lock, flags);
	if (!r)
		khv_vpit_arm(p);
	return r;
}

long khv_vm_get_pit2(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_pit_state2 s;

	if (!vm->pit)
		return -ENXIO;
	khv_vpit_get(vm->pit, &s);
	return copy_to_user((void __user *)arg, &s, sizeof(s)) ? -EFAULT : 0;
}

long khv_vm_set_pit2(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_pit_state2 s;

	if (!vm->pit)
		return -ENXIO;
	if (copy_from_user(&s, (void __user *)arg, sizeof(s)))
		return -EFAULT;
	return khv_vpit_set(vm->pit, &s, false);
}

/* The older KVM_GET_PIT / KVM_SET_PIT: the channels without the flags. */
long khv_vm_get_pit(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_pit_state2 s;
	struct kvm_pit_state old;

	if (!vm->pit)
		return -ENXIO;
	khv_vpit_get(vm->pit, &s);
	BUILD_BUG_ON(sizeof(old.channels) != sizeof(s.channels));
	memcpy(old.channels, s.channels, sizeof(old.channels));
	return copy_to_user((void __user *)arg, &old, sizeof(old)) ? -EFAULT : 0;
}

long khv_vm_set_pit(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_pit_state2 s;
	struct kvm_pit_state old;

	if (!vm->pit)
		return -ENXIO;
	if (copy_from_user(&old, (void __user *)arg, sizeof(old)))
		return -EFAULT;
	memcpy(s.channels, old.channels, sizeof(s.channels));
	return khv_vpit_set(vm->pit, &s, true);
}

/*
 * KVM_REINJECT_CONTROL: pit_reinject non-zero delivers every tick (the
 * default), zero lets unacknowledged ticks merge. The other bytes are
 * reserved and, as in KVM, not looked at.
 */
long khv_vm_reinject_control(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_reinject_control c;
	struct khv_vpit *p = vm->pit;
	unsigned long flags;

	if (copy_from_user(&c, (void __user *)arg, sizeof(c)))
		return -EFAULT;
	if (!p)
		return -ENXIO;
	spin_lock_irqsave(&p->lock, flags);
	if (p->reinject != !!c.pit_reinject) {
		WRITE_ONCE(p->reinject, !!c.pit_reinject);
		khv_vpit_forget(p);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return 0;
}
