// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel 8254 (KVM_CREATE_PIT2): ports 0x40-0x43 (and 0x61 with
 * KVM_PIT_SPEAKER_DUMMY) go to the pure model (pit.c); an hrtimer at
 * channel 0's rising edges pulses GSI 0. A tick the guest has not taken
 * yet (still in the PIC's or LAPIC's IRR) merges with the next, as on
 * hardware; KVM's "reinject" mode, which delivers every lost tick later,
 * is not offered (Documentation/irqchip.md).
 */
#include <linux/hrtimer.h>
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
	spinlock_t lock;		/* pit, edge */
	struct khv_pit pit;
	u64 edge;			/* the rising edge the timer is set for */
	u32 flags;			/* KVM_CREATE_PIT2 flags */
	struct hrtimer timer;
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

static enum hrtimer_restart khv_vpit_timer_fn(struct hrtimer *t)
{
	struct khv_vpit *p = container_of(t, struct khv_vpit, timer);
	u64 now = khv_pit_now(), next;
	unsigned long flags;
	bool tick = false;

	spin_lock_irqsave(&p->lock, flags);
	next = p->edge;
	if (next != KHV_PIT_NO_TIMER && next <= now) {
		tick = true;
		next = khv_vpit_next(p, now + 1, next);
		p->edge = next;
	}
	if (next != KHV_PIT_NO_TIMER)
		hrtimer_set_expires(t, ns_to_ktime(min_t(u64, next, KTIME_MAX)));
	spin_unlock_irqrestore(&p->lock, flags);
	if (tick) {
		khv_irq_set_gsi(p->vm, KHV_IRQ_SRC_PIT, 0, true);
		khv_irq_set_gsi(p->vm, KHV_IRQ_SRC_PIT, 0, false);
	}
	return next == KHV_PIT_NO_TIMER ? HRTIMER_NORESTART : HRTIMER_RESTART;
}

/* Channel 0 was programmed: the timer follows (callers serialize). */
static void khv_vpit_arm(struct khv_vpit *p)
{
	unsigned long flags;
	u64 next;

	spin_lock_irqsave(&p->lock, flags);
	next = khv_vpit_next(p, khv_pit_now(), KHV_PIT_NO_TIMER);
	p->edge = next;
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
	p->vm = vm;
	p->flags = cfg.flags;
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
