// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's interrupt controllers: the IOAPIC and the 8259 pair behind
 * KVM_CREATE_IRQCHIP, split mode, GSI routing, and the delivery of
 * interrupt messages to the vCPUs' local APICs (see irqchip.h).
 */
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "khv.h"
#include "caps.h"
#include "irqchip.h"
#include "irq_msg.h"
#include "ioapic.h"
#include "pic.h"
#include "khv_trace.h"

#define KHV_PIC_PINS		16
#define KHV_IRQCHIP_PIC_MASTER	0	/* KVM_IRQCHIP_PIC_MASTER */
#define KHV_IRQCHIP_PIC_SLAVE	1
#define KHV_IRQCHIP_IOAPIC	2
/* routes one GSI may have: one per irqchip, as KVM, plus MSIs */
#define KHV_GSI_MAX_ROUTES	4
/* GSIs told of one EOI: the pins sharing a vector, rarely more than one */
#define KHV_GSI_MAX_ACKS	32

struct khv_irqchip {
	spinlock_t lock;			/* everything below */
	struct khv_ioapic ioapic;
	struct khv_pic pic;
	/* which sources (enum khv_irq_source) assert each input */
	unsigned long pic_src[KHV_PIC_PINS];
	unsigned long ioapic_src[KVM_IOAPIC_NUM_PINS];
	/* the IOAPIC's storm guard (see ioapic.h): re-sends held back */
	struct hrtimer storm;
	struct khv_vm *vm;
};

struct khv_irq_route {
	u32 gsi;
	u32 type;				/* KVM_IRQ_ROUTING_IRQCHIP / _MSI */
	union {
		struct {
			u32 chip, pin;
		} chip;
		struct {
			u32 lo, hi, data;
		} msi;
	};
};

/* A routing table: immutable once published, replaced whole (RCU). */
struct khv_irq_routing {
	struct rcu_head rcu;
	/*
	 * Split irqchip: the vectors of level-triggered MSI routes from user
	 * space's IOAPIC pins, whose EOIs exit (KVM_EXIT_IOAPIC_EOI).
	 */
	DECLARE_BITMAP(split_eoi, 256);
	u32 nr;
	struct khv_irq_route e[];		/* sorted by gsi */
};

/* KVM_CAP_X2APIC_API's 32-bit destinations in MSIs (routes, KVM_SIGNAL_MSI). */
static bool khv_x2apic_api(struct khv_vm *vm)
{
	return READ_ONCE(vm->x2apic_api) & KVM_X2APIC_API_USE_32BIT_IDS;
}

/* ---- delivery to local APICs ---- */

/*
 * Send @m to the local APICs it addresses; returns how many took it, or
 * -1 if it addressed none (KVM's convention for KVM_IRQ_LINE_STATUS and
 * KVM_SIGNAL_MSI). A lowest-priority message goes to the first APIC that
 * matches (KVM arbitrates; any one of them is architecturally right).
 */
int khv_irq_deliver(struct khv_vm *vm, const struct khv_irq_msg *m,
		    struct khv_vcpu *sender)
{
	struct khv_vcpu *vcpu;
	unsigned long i;
	int r, ret = -1;

	xa_for_each(&vm->vcpus, i, vcpu) {
		if (!vcpu->apic || !khv_vlapic_match(vcpu, m, vcpu == sender))
			continue;
		r = khv_vlapic_accept(vcpu, m);
		/* an APIC addressed but refusing (disabled) counts 0, as KVM */
		ret = (ret < 0 ? 0 : ret) + (r > 0 ? r : 0);
		/* lowest priority: the first APIC that can take it */
		if (m->delivery == KHV_DM_LOWEST && r >= 0)
			break;
	}
	return ret;
}

/* Messages the IOAPIC produced under the lock, sent after it. */
struct khv_msg_batch {
	int n;
	struct khv_irq_msg m[KHV_IOAPIC_MAX_MSGS];
	u8 pin[KHV_IOAPIC_MAX_MSGS];
};

/*
 * Send the IOAPIC's messages. A level pin's message that no LAPIC took
 * leaves remote IRR clear (khv_ioapic_delivered), as KVM. Returns the
 * summed result (KVM_IRQ_LINE_STATUS's convention).
 */
static int khv_batch_send(struct khv_vm *vm, struct khv_msg_batch *b)
{
	struct khv_irqchip *c = vm->irqchip;
	unsigned long flags;
	int i, r, ret = -1;

	for (i = 0; i < b->n; i++) {
		r = khv_irq_deliver(vm, &b->m[i], NULL);
		if (r == 0 && b->m[i].level) {
			spin_lock_irqsave(&c->lock, flags);
			khv_ioapic_delivered(&c->ioapic, b->pin[i], 0);
			spin_unlock_irqrestore(&c->lock, flags);
		}
		if (r >= 0)
			ret = (ret < 0 ? 0 : ret) + r;
	}
	return ret;
}

/* The IOAPIC owes messages (pending after set_state): send them. */
static void khv_ioapic_flush_locked(struct khv_irqchip *c,
				    struct khv_msg_batch *b)
{
	b->n += khv_ioapic_flush(&c->ioapic, &b->m[b->n], &b->pin[b->n],
				 KHV_IOAPIC_MAX_MSGS - b->n);
}

/* After an EOI: start the storm guard's timer if the IOAPIC asks. */
static void khv_storm_arm(struct khv_irqchip *c)
{
	if (c->ioapic.deferred && !hrtimer_active(&c->storm))
		hrtimer_start(&c->storm,
			      ns_to_ktime(KHV_IOAPIC_STORM_DELAY_US * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_HARD);
}

static enum hrtimer_restart khv_storm_fn(struct hrtimer *t)
{
	struct khv_irqchip *c = container_of(t, struct khv_irqchip, storm);
	struct khv_msg_batch b;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	b.n = khv_ioapic_eoi_deferred(&c->ioapic, b.m, b.pin,
				      KHV_IOAPIC_MAX_MSGS);
	spin_unlock_irqrestore(&c->lock, flags);
	khv_batch_send(c->vm, &b);
	return HRTIMER_NORESTART;
}

/*
 * The irqchip inputs GSI 0, the PIT's, is routed to: PIC IRQs in *@pic
 * (bit n, the slave's from 8), IOAPIC pins in *@ioapic. The table is
 * sorted by GSI, so GSI 0's routes come first.
 */
static void khv_gsi0_pins(struct khv_vm *vm, u32 *pic, u32 *ioapic)
{
	struct khv_irq_routing *rt;
	const struct khv_irq_route *e;
	u32 j;

	*pic = 0;
	*ioapic = 0;
	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routing);
	for (j = 0; rt && j < rt->nr && rt->e[j].gsi == 0; j++) {
		e = &rt->e[j];
		if (e->type != KVM_IRQ_ROUTING_IRQCHIP)
			continue;
		if (e->chip.chip == KHV_IRQCHIP_IOAPIC)
			*ioapic |= BIT(e->chip.pin);
		else
			*pic |= BIT(e->chip.pin +
				    (e->chip.chip == KHV_IRQCHIP_PIC_SLAVE ? 8 : 0));
	}
	rcu_read_unlock();
}

/* The IOAPIC pins whose redirection entry has @vector. */
static u32 khv_irq_vector_pins(struct khv_irqchip *c, u8 vector)
{
	unsigned long flags;
	u32 pins;

	spin_lock_irqsave(&c->lock, flags);
	pins = khv_ioapic_vector_pins(&c->ioapic, vector);
	spin_unlock_irqrestore(&c->lock, flags);
	return pins;
}

/*
 * Whether an EOI of @vector must reach the irqchip when the guest does it
 * (PV EOI must not defer it): the PIT reinjects and @vector is the one of
 * an IOAPIC pin GSI 0 goes to, as KVM's ack notifiers make it.
 */
bool khv_irq_eoi_wanted(struct khv_vm *vm, u8 vector)
{
	u32 pic, ioapic;

	if (!vm->irqchip || !khv_vpit_reinjecting(vm))
		return false;
	khv_gsi0_pins(vm, &pic, &ioapic);
	return ioapic && (khv_irq_vector_pins(vm->irqchip, vector) & ioapic);
}

/*
 * The IOAPIC pins with @vector are about to be EOI'd: the GSIs routed to
 * them hear of it first: with @resample, resampled irqfds drop their
 * line; with @pit, the PIT's reinjection counts a tick acknowledged.
 */
static void khv_irq_ack_pins(struct khv_vm *vm, u8 vector, bool resample,
			     bool pit)
{
	struct khv_irq_routing *rt;
	u32 gsis[KHV_GSI_MAX_ACKS];
	u32 pins, pic, ioapic;
	int n = 0, i;
	u32 j;

	pins = khv_irq_vector_pins(vm->irqchip, vector);
	if (!pins)
		return;
	if (pit) {
		khv_gsi0_pins(vm, &pic, &ioapic);
		if (pins & ioapic)
			khv_vpit_ack(vm);
	}
	if (!resample)
		return;
	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routing);
	for (j = 0; rt && j < rt->nr && n < KHV_GSI_MAX_ACKS; j++)
		if (rt->e[j].type == KVM_IRQ_ROUTING_IRQCHIP &&
		    rt->e[j].chip.chip == KHV_IRQCHIP_IOAPIC &&
		    pins & BIT(rt->e[j].chip.pin))
			gsis[n++] = rt->e[j].gsi;
	rcu_read_unlock();
	for (i = 0; i < n; i++)
		khv_irqfd_ack(vm, gsis[i]);
}

/*
 * The PIC ended interrupts @acked (bit n IRQ n: EOI, automatic EOI, or
 * an edge request dropped by ICW1), or unmasked IRQs @unmasked: the PIT
 * hears of those of GSI 0.
 */
static void khv_pic_acks(struct khv_vm *vm, u16 acked, u16 unmasked)
{
	u32 pic, ioapic;

	if (!(acked | unmasked) || !khv_vpit_reinjecting(vm))
		return;
	khv_gsi0_pins(vm, &pic, &ioapic);
	if (acked & pic)
		khv_vpit_ack(vm);
	if (unmasked & pic)
		khv_vpit_unmasked(vm);
}

/* What the PIC ended since the last look (see struct khv_pic). */
static u16 khv_pic_take_acked(struct khv_irqchip *c)
{
	u16 acked = c->pic.acked;

	c->pic.acked = 0;
	return acked;
}

/* The IOAPIC pins masked now. */
static u32 khv_ioapic_masked(const struct khv_irqchip *c)
{
	u32 masked = 0, pin;

	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		if (c->ioapic.s.redirtbl[pin].bits & KHV_IOAPIC_RTE_MASKED)
			masked |= BIT(pin);
	return masked;
}

/* The PIC's output changed: the vCPUs that take ExtINT look again. */
static void khv_pic_kick(struct khv_vm *vm)
{
	struct khv_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu)
		if (vcpu->apic)
			khv_vcpu_event_kick(vcpu);
}

/*
 * An ExtINT for @vcpu: the PIC's vector if its output is up and this
 * vCPU's LAPIC takes it (LINT0 in ExtINT mode, or the APIC off); with
 * @ack the INTA cycle happens. -1 if none.
 */
int khv_irqchip_extint(struct khv_vcpu *vcpu, bool ack)
{
	struct khv_irqchip *c = vcpu->vm->irqchip;
	unsigned long flags;
	u16 acked;
	bool out;
	int v = -1;

	if (!c)
		return -1;
	/*
	 * The PIC first: with the guest's LAPICs up it is idle, and each
	 * entry asks. The LAPIC's LINT0 only when it has output, then the
	 * PIC again, as it may have changed meanwhile.
	 */
	spin_lock_irqsave(&c->lock, flags);
	out = khv_pic_output(&c->pic);
	spin_unlock_irqrestore(&c->lock, flags);
	if (!out || !khv_vlapic_accept_extint(vcpu))
		return -1;
	spin_lock_irqsave(&c->lock, flags);
	if (khv_pic_output(&c->pic))
		v = ack ? khv_pic_ack(&c->pic) : 0;
	acked = khv_pic_take_acked(c);
	spin_unlock_irqrestore(&c->lock, flags);
	khv_pic_acks(vcpu->vm, acked, 0);
	return v;
}

/* Set an irqchip input from @src; the pin's level ORs every source's. */
static int khv_set_pin(struct khv_vm *vm, int src, u32 chip, u32 pin,
		       bool level, struct khv_msg_batch *b)
{
	struct khv_irqchip *c = vm->irqchip;
	unsigned long *bits;
	bool coalesced = false;
	int r;

	if (chip == KHV_IRQCHIP_IOAPIC) {
		bits = &c->ioapic_src[pin];
		if (level)
			__set_bit(src, bits);
		else
			__clear_bit(src, bits);
		r = khv_ioapic_set_irq(&c->ioapic, pin, *bits != 0,
				       &b->m[b->n], &coalesced);
		if (r > 0) {
			/* the delivery's result decides (khv_irq_set_gsi) */
			b->pin[b->n++] = pin;
			return 1;
		}
		if (!level)
			return 1;
		return coalesced ? 0 : -1;
	}
	pin += chip == KHV_IRQCHIP_PIC_SLAVE ? 8 : 0;
	bits = &c->pic_src[pin];
	if (level)
		__set_bit(src, bits);
	else
		__clear_bit(src, bits);
	return khv_pic_set_irq(&c->pic, pin, *bits != 0);
}

/*
 * One MSI: > 0 delivered, 0 coalesced, -1 nobody took it, -EINVAL a
 * message the x2APIC API refuses (what KVM_SIGNAL_MSI returns; a route's
 * negative result only counts as not delivered).
 */
static int khv_msi_route(struct khv_vm *vm, u32 lo, u32 hi, u32 data)
{
	struct khv_irq_msg m;

	if (khv_msi_to_msg(lo, hi, data, khv_x2apic_api(vm), &m))
		return -EINVAL;
	return khv_irq_deliver(vm, &m, NULL);
}

/*
 * GSI @gsi from @src goes to @level along its routes. Returns what
 * KVM_IRQ_LINE_STATUS reports: the sum of the routes' results (> 0
 * delivered, 0 coalesced), -1 if every route dropped it.
 */
int khv_irq_set_gsi(struct khv_vm *vm, int src, u32 gsi, bool level)
{
	struct khv_irq_route routes[KHV_GSI_MAX_ROUTES];
	struct khv_irqchip *c = vm->irqchip;
	struct khv_irq_routing *rt;
	struct khv_msg_batch b;
	unsigned long flags;
	bool pic = false;
	int n = 0, i, r, ret = -1;
	u32 lo, hi;

	rcu_read_lock();
	rt = rcu_dereference(vm->irq_routing);
	if (rt) {
		/* first entry with this gsi: the table is sorted */
		lo = 0;
		hi = rt->nr;
		while (lo < hi) {
			u32 mid = lo + (hi - lo) / 2;

			if (rt->e[mid].gsi < gsi)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < rt->nr && rt->e[lo].gsi == gsi &&
		       n < KHV_GSI_MAX_ROUTES; lo++)
			routes[n++] = rt->e[lo];
	}
	rcu_read_unlock();

	b.n = 0;
	for (i = 0; i < n; i++) {
		int sent = b.n;

		if (routes[i].type == KVM_IRQ_ROUTING_MSI) {
			r = level ? khv_msi_route(vm, routes[i].msi.lo,
						  routes[i].msi.hi,
						  routes[i].msi.data) : -1;
		} else {
			if (WARN_ON_ONCE(!c))
				continue;
			spin_lock_irqsave(&c->lock, flags);
			r = khv_set_pin(vm, src, routes[i].chip.chip,
					routes[i].chip.pin, level, &b);
			spin_unlock_irqrestore(&c->lock, flags);
			pic |= routes[i].chip.chip != KHV_IRQCHIP_IOAPIC;
			/* an IOAPIC message: what its delivery did counts */
			if (b.n > sent) {
				struct khv_msg_batch one = { .n = 1 };

				one.m[0] = b.m[sent];
				one.pin[0] = b.pin[sent];
				b.n = sent;
				r = khv_batch_send(vm, &one);
			}
		}
		if (r >= 0)
			ret = (ret < 0 ? 0 : ret) + r;
	}
	if (pic)
		khv_pic_kick(vm);
	return ret;
}

/*
 * A local APIC EOI'd @vector (@level: its TMR bit was set and EOI
 * broadcasts are not suppressed). With the IOAPIC in the kernel a level
 * EOI clears remote IRR (pins still asserted send again); in split mode
 * user space's IOAPIC hears of the vectors its level MSI routes use
 * through KVM_EXIT_IOAPIC_EOI, as KVM (suppressed or not: user space's
 * IOAPIC may have an EOI register).
 */
void khv_irq_eoi(struct khv_vcpu *vcpu, u8 vector, bool level)
{
	struct khv_vm *vm = vcpu->vm;
	struct khv_irqchip *c = vm->irqchip;
	struct khv_irq_routing *rt;
	struct khv_msg_batch b;
	unsigned long flags;
	bool exit, resample, pit;

	if (vm->irqchip_mode == KHV_IRQCHIP_SPLIT) {
		rcu_read_lock();
		rt = rcu_dereference(vm->irq_routing);
		exit = rt && test_bit(vector, rt->split_eoi);
		rcu_read_unlock();
		if (exit) {
			vcpu->eoi_exit_vector = vector;
			set_bit(KHV_REQ_EOI_EXIT, &vcpu->requests);
		}
		return;
	}
	if (!c)
		return;
	resample = level && khv_irqfd_has_resamplers(vm);
	pit = khv_vpit_reinjecting(vm);
	if (resample || pit)
		khv_irq_ack_pins(vm, vector, resample, pit);
	if (!level)
		return;
	spin_lock_irqsave(&c->lock, flags);
	b.n = khv_ioapic_eoi_pins(&c->ioapic, vector, b.m, b.pin,
				  KHV_IOAPIC_MAX_MSGS);
	khv_storm_arm(c);
	spin_unlock_irqrestore(&c->lock, flags);
	khv_batch_send(vm, &b);
}

/* ---- guest accesses ---- */

static bool khv_pic_port(u16 port)
{
	return port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 ||
	       port == 0x4d0 || port == 0x4d1;
}

/*
 * Port I/O the in-kernel devices take: the PIC, its ELCR, the PIT. True
 * when done (IN data in *@val).
 */
bool khv_irqchip_pio(struct khv_vcpu *vcpu, u16 port, u8 size, bool in,
		     u32 *val)
{
	struct khv_vm *vm = vcpu->vm;
	struct khv_irqchip *c = vm->irqchip;
	unsigned long flags;
	u16 imr, acked;

	if (vm->pit && khv_vpit_pio(vm, port, size, in, val))
		return true;
	if (!c || !khv_pic_port(port))
		return false;
	/* byte registers: KVM drops wider accesses, and so does pic.c */
	spin_lock_irqsave(&c->lock, flags);
	imr = c->pic.chip[0].imr | c->pic.chip[1].imr << 8;
	if (in)
		khv_pic_pio_read(&c->pic, port, size, val);
	else
		khv_pic_pio_write(&c->pic, port, size, *val);
	/* OCW1 (not ICW1's reset of the IMR) unmasks, as KVM tells it */
	if (port == 0x21 || port == 0xa1)
		imr &= ~(c->pic.chip[0].imr | c->pic.chip[1].imr << 8);
	else
		imr = 0;
	acked = khv_pic_take_acked(c);
	spin_unlock_irqrestore(&c->lock, flags);
	khv_pic_acks(vm, acked, imr);
	if (!in)
		khv_pic_kick(vm);
	return true;
}

/* MMIO the in-kernel devices take: the local APIC page, the IOAPIC. */
bool khv_irqchip_mmio(struct khv_vcpu *vcpu, u64 gpa, u8 len, bool write,
		      void *data)
{
	struct khv_irqchip *c = vcpu->vm->irqchip;
	struct khv_msg_batch b = { .n = 0 };
	unsigned long flags;
	u64 base, val = 0;
	u32 masked = 0;
	bool pit;

	if (vcpu->apic && khv_vlapic_mmio(vcpu, gpa, len, write, data))
		return true;
	if (!c)
		return false;
	base = c->ioapic.s.base_address;
	if (gpa < base || gpa - base >= 0x100 || len > 8)
		return false;
	pit = write && khv_vpit_reinjecting(vcpu->vm);
	spin_lock_irqsave(&c->lock, flags);
	if (write) {
		masked = pit ? khv_ioapic_masked(c) : 0;
		memcpy(&val, data, len);
		if (khv_ioapic_mmio_write(&c->ioapic, gpa - base, len, val,
					  &b.m[0]) > 0) {
			b.pin[0] = c->ioapic.last_pin;
			b.n = 1;
		}
		masked &= ~(pit ? khv_ioapic_masked(c) : 0);
	} else {
		val = khv_ioapic_mmio_read(&c->ioapic, gpa - base, len);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (masked) {
		u32 pic, ioapic;

		khv_gsi0_pins(vcpu->vm, &pic, &ioapic);
		if (masked & ioapic)
			khv_vpit_unmasked(vcpu->vm);
	}
	if (write)
		khv_batch_send(vcpu->vm, &b);
	else
		memcpy(data, &val, len);
	return true;
}

/* ---- routing ---- */

static void khv_routing_free(struct khv_irq_routing *rt)
{
	kvfree(rt);
}

static void khv_routing_free_rcu(struct rcu_head *head)
{
	khv_routing_free(container_of(head, struct khv_irq_routing, rcu));
}

static int khv_route_cmp(const struct khv_irq_route *a,
			 const struct khv_irq_route *b)
{
	return a->gsi < b->gsi ? -1 : a->gsi > b->gsi;
}

/* Insertion sort, stable: equal GSIs keep user space's order. */
static void khv_routing_sort(struct khv_irq_routing *rt)
{
	u32 i, j;

	for (i = 1; i < rt->nr; i++) {
		struct khv_irq_route tmp = rt->e[i];

		for (j = i; j > 0 && khv_route_cmp(&rt->e[j - 1], &tmp) > 0; j--)
			rt->e[j] = rt->e[j - 1];
		rt->e[j] = tmp;
		if (!(i % 256))
			cond_resched();
	}
}

/* Check one entry from user space as KVM's kvm_set_routing_entry does. */
static int khv_route_from_user(struct khv_vm *vm,
			       const struct kvm_irq_routing_entry *ue,
			       struct khv_irq_route *e)
{
	if (ue->gsi >= KHV_MAX_IRQ_ROUTES || ue->flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	e->gsi = ue->gsi;
	e->type = ue->type;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (ue->flags || vm->irqchip_mode != KHV_IRQCHIP_KERNEL)
			return -EINVAL;
		e->chip.chip = ue->u.irqchip.irqchip;
		e->chip.pin = ue->u.irqchip.pin;
		if (e->chip.chip == KHV_IRQCHIP_IOAPIC)
			return e->chip.pin < KVM_IOAPIC_NUM_PINS ? 0 : -EINVAL;
		if (e->chip.chip > KHV_IRQCHIP_PIC_SLAVE)
			return -EINVAL;
		return e->chip.pin < 8 ? 0 : -EINVAL;
	case KVM_IRQ_ROUTING_MSI:
		/* x86 MSIs carry no device ID */
		if (ue->flags)
			return -EINVAL;
		e->msi.lo = ue->u.msi.address_lo;
		e->msi.hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		/* with the x2APIC API, address_hi's low byte must be 0 */
		if (khv_x2apic_api(vm) && (e->msi.hi & 0xff))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/* One irqchip route per irqchip and GSI, as KVM insists. */
static int khv_routing_check(const struct khv_irq_routing *rt)
{
	u32 i, j;

	for (i = 0; i < rt->nr; i++) {
		if (rt->e[i].type != KVM_IRQ_ROUTING_IRQCHIP)
			continue;
		for (j = i + 1; j < rt->nr && rt->e[j].gsi == rt->e[i].gsi; j++)
			if (rt->e[j].type == KVM_IRQ_ROUTING_IRQCHIP &&
			    rt->e[j].chip.chip == rt->e[i].chip.chip)
				return -EINVAL;
	}
	return 0;
}

/*
 * Split irqchip: user space's IOAPIC pins are the GSIs below
 * split_ioapic_pins; their level-triggered MSI routes name the vectors
 * whose EOIs user space hears of. KVM also filters by the vCPU the
 * message reaches; an EOI exit for a vector of another vCPU's pin is
 * harmless (the IOAPIC finds no remote IRR to clear).
 */
static void khv_routing_split_eoi(struct khv_vm *vm, struct khv_irq_routing *rt)
{
	struct khv_irq_msg m;
	u32 i;

	for (i = 0; i < rt->nr; i++) {
		if (rt->e[i].type != KVM_IRQ_ROUTING_MSI ||
		    rt->e[i].gsi >= vm->split_ioapic_pins)
			continue;
		if (khv_msi_to_msg(rt->e[i].msi.lo, rt->e[i].msi.hi,
				   rt->e[i].msi.data, khv_x2apic_api(vm), &m))
			continue;
		if (m.level)
			__set_bit(m.vector, rt->split_eoi);
	}
}

static struct khv_irq_routing *khv_routing_alloc(u32 nr)
{
	struct khv_irq_routing *rt;

	rt = kvzalloc(struct_size(rt, e, nr), GFP_KERNEL_ACCOUNT);
	if (rt)
		rt->nr = nr;
	return rt;
}

/* Publish @rt (vm->lock held); the old table goes after a grace period. */
static void khv_routing_publish(struct khv_vm *vm, struct khv_irq_routing *rt)
{
	struct khv_irq_routing *old;

	old = rcu_replace_pointer(vm->irq_routing, rt,
				  lockdep_is_held(&vm->lock));
	if (old)
		call_rcu(&old->rcu, khv_routing_free_rcu);
}

long khv_vm_set_gsi_routing(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_irq_routing __user *u = (void __user *)arg;
	struct kvm_irq_routing_entry ue;
	struct kvm_irq_routing hdr;
	struct khv_irq_routing *rt;
	long r;
	u32 i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nr > KHV_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = -EINVAL;	/* as KVM: routes go to an in-kernel irqchip */
	if (vm->irqchip_mode == KHV_IRQCHIP_NONE)
		goto out_unlock;
	r = -ENOMEM;
	rt = khv_routing_alloc(hdr.nr);
	if (!rt)
		goto out_unlock;
	for (i = 0; i < hdr.nr; i++) {
		r = -EFAULT;
		if (copy_from_user(&ue, &u->entries[i], sizeof(ue)))
			goto out_free;
		r = khv_route_from_user(vm, &ue, &rt->e[i]);
		if (r)
			goto out_free;
	}
	khv_routing_sort(rt);
	r = khv_routing_check(rt);
	if (r)
		goto out_free;
	if (vm->irqchip_mode == KHV_IRQCHIP_SPLIT)
		khv_routing_split_eoi(vm, rt);
	khv_routing_publish(vm, rt);
	mutex_unlock(&vm->lock);
	return 0;

out_free:
	khv_routing_free(rt);
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM's routes after KVM_CREATE_IRQCHIP: GSI 0-15 to the PIC's pin and
 * the IOAPIC's pin of that number, 16-23 to the IOAPIC only.
 */
static struct khv_irq_routing *khv_default_routing(void)
{
	struct khv_irq_routing *rt = khv_routing_alloc(16 * 2 + 8);
	u32 gsi, n = 0;

	if (!rt)
		return NULL;
	for (gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		if (gsi < 16)
			rt->e[n++] = (struct khv_irq_route){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.chip = { gsi < 8 ? KHV_IRQCHIP_PIC_MASTER :
					  KHV_IRQCHIP_PIC_SLAVE, gsi % 8 } };
		rt->e[n++] = (struct khv_irq_route){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.chip = { KHV_IRQCHIP_IOAPIC, gsi } };
	}
	return rt;
}

/* ---- creation, ioctls ---- */

/*
 * KVM_CREATE_IRQCHIP: the PIC pair, the IOAPIC and (for every vCPU
 * created from now on) a local APIC. Only before the first vCPU.
 */
long khv_vm_create_irqchip(struct khv_vm *vm, unsigned long arg)
{
	struct khv_irq_routing *rt;
	struct khv_irqchip *c;
	long r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->irqchip_mode != KHV_IRQCHIP_NONE)
		goto out_unlock;
	r = -EINVAL;
	if (vm->nr_vcpus)
		goto out_unlock;
	r = -ENOMEM;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		goto out_unlock;
	rt = khv_default_routing();
	if (!rt)
		goto out_free_chip;
	spin_lock_init(&c->lock);
	hrtimer_init(&c->storm, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	c->storm.function = khv_storm_fn;
	c->vm = vm;
	khv_ioapic_reset(&c->ioapic);
	khv_pic_reset(&c->pic);
	/* nothing can fail from here: publish */
	khv_routing_publish(vm, rt);
	vm->irqchip = c;
	vm->irqchip_mode = KHV_IRQCHIP_KERNEL;
	mutex_unlock(&vm->lock);
	return 0;

out_free_chip:
	kfree(c);
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): local APICs in the kernel, the
 * IOAPIC (@nr_pins pins, whose level EOIs exit) in user space.
 */
long khv_vm_enable_split_irqchip(struct khv_vm *vm, u64 nr_pins)
{
	long r;

	if (nr_pins > KHV_MAX_IRQ_ROUTES)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->irqchip_mode != KHV_IRQCHIP_NONE)
		goto out_unlock;
	r = -EINVAL;
	if (vm->nr_vcpus)
		goto out_unlock;
	vm->split_ioapic_pins = nr_pins;
	vm->irqchip_mode = KHV_IRQCHIP_SPLIT;
	r = 0;
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}

/* The VM is going away: no vCPU runs, no irqfd is left (see vm.c). */
void khv_irqchip_destroy(struct khv_vm *vm)
{
	khv_vpit_destroy(vm);
	if (vm->irqchip)
		hrtimer_cancel(&vm->irqchip->storm);
	khv_routing_free(rcu_dereference_protected(vm->irq_routing, 1));
	RCU_INIT_POINTER(vm->irq_routing, NULL);
	kfree(vm->irqchip);
	vm->irqchip = NULL;
}

/* KVM_IRQ_LINE and KVM_IRQ_LINE_STATUS */
long khv_vm_irq_line(struct khv_vm *vm, unsigned long arg, bool status)
{
	struct kvm_irq_level __user *u = (void __user *)arg;
	struct kvm_irq_level irq;
	int r;

	if (copy_from_user(&irq, u, sizeof(irq)))
		return -EFAULT;
	/* the mode only ever leaves NONE, before vCPUs, under vm->lock */
	if (READ_ONCE(vm->irqchip_mode) == KHV_IRQCHIP_NONE)
		return -ENXIO;
	r = khv_irq_set_gsi(vm, KHV_IRQ_SRC_USER, irq.irq, irq.level);
	if (!status)
		return 0;
	irq.status = r;
	return copy_to_user(u, &irq, sizeof(irq)) ? -EFAULT : 0;
}

/* KVM_SIGNAL_MSI: > 0 delivered, 0 blocked, -1 not delivered (as KVM). */
long khv_vm_signal_msi(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_msi msi;

	if (copy_from_user(&msi, (void __user *)arg, sizeof(msi)))
		return -EFAULT;
	if (READ_ONCE(vm->irqchip_mode) == KHV_IRQCHIP_NONE ||
	    msi.flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	if (msi.flags)		/* no device IDs on x86 */
		return -EINVAL;
	return khv_msi_route(vm, msi.address_lo, msi.address_hi, msi.data);
}

/* KVM_GET_IRQCHIP / KVM_SET_IRQCHIP: chip 0, 1 the PICs, 2 the IOAPIC. */
static long khv_irqchip_state(struct khv_vm *vm, unsigned long arg, bool set)
{
	struct khv_irqchip *c = vm->irqchip;
	struct kvm_irqchip *s;
	struct khv_msg_batch b = { .n = 0 };
	unsigned long flags;
	long r = 0;

	if (READ_ONCE(vm->irqchip_mode) != KHV_IRQCHIP_KERNEL)
		return -ENXIO;
	s = memdup_user((void __user *)arg, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s->chip_id > KHV_IRQCHIP_IOAPIC) {
		r = -EINVAL;
		goto out_free;
	}
	spin_lock_irqsave(&c->lock, flags);
	if (s->chip_id == KHV_IRQCHIP_IOAPIC) {
		if (set) {
			r = khv_ioapic_set_state(&c->ioapic, &s->chip.ioapic);
			khv_ioapic_flush_locked(c, &b);
		} else
			khv_ioapic_get_state(&c->ioapic, &s->chip.ioapic);
	} else {
		if (set)
			r = khv_pic_set_state(&c->pic, s->chip_id, &s->chip.pic);
		else
			khv_pic_get_state(&c->pic, s->chip_id, &s->chip.pic);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (set) {
		khv_batch_send(vm, &b);
		khv_pic_kick(vm);
	} else if (copy_to_user((void __user *)arg, s, sizeof(*s))) {
		r = -EFAULT;
	}
out_free:
	kfree(s);
	return r;
}

long khv_vm_get_irqchip(struct khv_vm *vm, unsigned long arg)
{
	return khv_irqchip_state(vm, arg, false);
}

long khv_vm_set_irqchip(struct khv_vm *vm, unsigned long arg)
{
	return khv_irqchip_state(vm, arg, true);
}
