// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC's registers and pins, and MSI decoding (pure: see ioapic.h
 * for the model and khv_pure.h for what pure means).
 */
#include "ioapic.h"

#define NPINS		KVM_IOAPIC_NUM_PINS
#define ALL_PINS	((1U << NPINS) - 1)
#define RTE_RO		(KHV_IOAPIC_RTE_DELIVS | KHV_IOAPIC_RTE_REMOTE_IRR)

#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_RH		BIT(3)
#define MSI_ADDR_LOGICAL	BIT(2)
#define MSI_DATA_LEVEL		BIT(15)

/*
 * @idx if it is below @n, else 0, without a branch the CPU could run
 * ahead of with an out-of-range index (Spectre v1): the guest picks the
 * redirection entry through IOREGSEL. The kernel's array_index_nospec()
 * does this job, but a pure file cannot include it. (u64)idx - n has its
 * top bit set exactly when idx < n (both are below 2^32).
 */
static inline u32 index_nospec(u32 idx, u32 n)
{
	u32 in_range = (u32)(((u64)idx - n) >> 63);

	return idx & (0U - in_range);
}

static u32 pin_bit(u32 pin)
{
	return 1U << pin;
}

static bool rte_level(u64 e)
{
	return e & KHV_IOAPIC_RTE_LEVEL;
}

/* Pins whose entries say edge-triggered. */
static u32 edge_pins(const struct khv_ioapic *io)
{
	u32 pins = 0, pin;

	for (pin = 0; pin < NPINS; pin++)
		if (!rte_level(io->s.redirtbl[pin].bits))
			pins |= pin_bit(pin);
	return pins;
}

static void rte_to_msg(u64 e, struct khv_irq_msg *m)
{
	m->dest = (u32)(e >> KHV_IOAPIC_RTE_DEST_SHIFT);
	m->vector = e & KHV_IOAPIC_RTE_VECTOR;
	m->delivery = (e & KHV_IOAPIC_RTE_DM_MASK) >> KHV_IOAPIC_RTE_DM_SHIFT;
	m->shorthand = KHV_SH_NONE;
	m->logical = e & KHV_IOAPIC_RTE_LOGICAL;
	m->level = rte_level(e);
	m->assert = true;
	m->ipi = false;
}

/*
 * One delivery attempt for @pin, whose input the caller has found
 * asserted (or, for an edge pin, just rising). A masked entry sends
 * nothing; neither does a level entry still waiting for its EOI. A level
 * entry that sends sets remote IRR; an edge one remembers its assertion
 * was delivered (for get_state). Either way the pin owes nothing more.
 */
static bool ioapic_service(struct khv_ioapic *io, u32 pin,
			   struct khv_irq_msg *msg)
{
	__u64 *e = &io->s.redirtbl[pin].bits;

	io->pending &= ~pin_bit(pin);
	if (*e & KHV_IOAPIC_RTE_MASKED)
		return false;
	if (rte_level(*e)) {
		if (*e & KHV_IOAPIC_RTE_REMOTE_IRR)
			return false;
		*e |= KHV_IOAPIC_RTE_REMOTE_IRR;
	} else {
		io->irr_delivered |= pin_bit(pin);
	}
	rte_to_msg(*e, msg);
	return true;
}

/*
 * Service @pin into msgs[*n] if there is room; if not, the pin stays owed
 * (->pending) for khv_ioapic_flush().
 */
static void service_into(struct khv_ioapic *io, u32 pin,
			 struct khv_irq_msg *msgs, u8 *pins, int max, int *n)
{
	if (!msgs || *n >= max) {
		io->pending |= pin_bit(pin);
		return;
	}
	if (!ioapic_service(io, pin, &msgs[*n]))
		return;
	if (pins)
		pins[*n] = pin;
	(*n)++;
}

void khv_ioapic_reset(struct khv_ioapic *io)
{
	u32 pin;

	*io = (struct khv_ioapic){ 0 };
	io->s.base_address = KHV_IOAPIC_DEFAULT_BASE;
	for (pin = 0; pin < NPINS; pin++)
		io->s.redirtbl[pin].bits = KHV_IOAPIC_RTE_MASKED;
}

int khv_ioapic_set_irq(struct khv_ioapic *io, u32 pin, bool level,
		       struct khv_irq_msg *msg, bool *coalesced)
{
	u32 bit, was;

	if (coalesced)
		*coalesced = false;
	if (pin >= NPINS)
		return -EINVAL;
	pin = index_nospec(pin, NPINS);
	bit = pin_bit(pin);
	if (!level) {
		io->s.irr &= ~bit;
		return 0;
	}
	was = io->s.irr;
	io->s.irr |= bit;
	if (!rte_level(io->s.redirtbl[pin].bits)) {
		/* a new assertion of an edge pin is not yet delivered */
		io->irr_delivered &= ~bit;
		if (was & bit) {
			/* no rising edge: merged with the one before */
			if (coalesced)
				*coalesced = true;
			return 0;
		}
	}
	if (!msg) {
		io->pending |= bit;
		return 0;
	}
	if (!ioapic_service(io, pin, msg))
		return 0;
	io->last_pin = pin;
	return 1;
}

void khv_ioapic_delivered(struct khv_ioapic *io, u32 pin, int result)
{
	__u64 *e;

	if (pin >= NPINS || result != 0)
		return;
	e = &io->s.redirtbl[index_nospec(pin, NPINS)].bits;
	if (rte_level(*e))
		*e &= ~KHV_IOAPIC_RTE_REMOTE_IRR;
}

static u32 ioapic_read_indirect(const struct khv_ioapic *io)
{
	u32 sel = io->s.ioregsel, pin;
	u64 e;

	switch (sel) {
	case KHV_IOAPIC_REG_ID:
	case KHV_IOAPIC_REG_ARB:
		/* KVM answers the arbitration ID with the APIC ID */
		return (io->s.id & 0xf) << 24;
	case KHV_IOAPIC_REG_VERSION:
		return KHV_IOAPIC_VERSION_REG;
	}
	if (sel < KHV_IOAPIC_REG_REDTBL)
		return ~0U;
	pin = (sel - KHV_IOAPIC_REG_REDTBL) >> 1;
	if (pin >= NPINS)
		return ~0U;
	e = io->s.redirtbl[index_nospec(pin, NPINS)].bits;
	return sel & 1 ? (u32)(e >> 32) : (u32)e;
}

static int ioapic_write_indirect(struct khv_ioapic *io, u32 val,
				 struct khv_irq_msg *msg)
{
	u32 sel = io->s.ioregsel, pin;
	__u64 *e;
	u64 v;

	switch (sel) {
	case KHV_IOAPIC_REG_ID:
		io->s.id = (val >> 24) & 0xf;
		return 0;
	case KHV_IOAPIC_REG_VERSION:
	case KHV_IOAPIC_REG_ARB:
		return 0;
	}
	if (sel < KHV_IOAPIC_REG_REDTBL)
		return 0;
	pin = (sel - KHV_IOAPIC_REG_REDTBL) >> 1;
	if (pin >= NPINS)
		return 0;
	pin = index_nospec(pin, NPINS);
	e = &io->s.redirtbl[pin].bits;
	if (sel & 1)
		v = (*e & 0xffffffffULL) | (u64)val << 32;
	else
		v = (*e & ~0xffffffffULL) | val;
	v = (v & ~RTE_RO) | (*e & RTE_RO);
	if (!rte_level(v))
		v &= ~KHV_IOAPIC_RTE_REMOTE_IRR;
	*e = v;
	/*
	 * A level pin that is asserted and free to send does so now: this is
	 * how an interrupt that arrived while the entry was masked gets
	 * delivered when the guest unmasks it.
	 */
	if (!rte_level(v) || !(io->s.irr & pin_bit(pin)) ||
	    (v & (KHV_IOAPIC_RTE_MASKED | KHV_IOAPIC_RTE_REMOTE_IRR)))
		return 0;
	if (!msg) {
		io->pending |= pin_bit(pin);
		return 0;
	}
	if (!ioapic_service(io, pin, msg))
		return 0;
	io->last_pin = pin;
	return 1;
}

static bool mmio_len_ok(u8 len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

u64 khv_ioapic_mmio_read(struct khv_ioapic *io, u32 offset, u8 len)
{
	u32 v;

	if (!mmio_len_ok(len))
		return 0;
	switch (offset) {
	case KHV_IOAPIC_IOREGSEL:
		v = io->s.ioregsel;
		break;
	case KHV_IOAPIC_IOWIN:
		v = ioapic_read_indirect(io);
		break;
	default:
		return 0;
	}
	if (len == 1)
		return v & 0xff;
	if (len == 2)
		return v & 0xffff;
	return v;
}

int khv_ioapic_mmio_write(struct khv_ioapic *io, u32 offset, u8 len, u64 val,
			  struct khv_irq_msg *msg)
{
	u32 v;

	if (!mmio_len_ok(len))
		return 0;
	v = len == 1 ? (u8)val : len == 2 ? (u16)val : (u32)val;
	switch (offset) {
	case KHV_IOAPIC_IOREGSEL:
		io->s.ioregsel = v & 0xff;
		return 0;
	case KHV_IOAPIC_IOWIN:
		return ioapic_write_indirect(io, v, msg);
	}
	return 0;
}

int khv_ioapic_eoi_pins(struct khv_ioapic *io, u8 vector,
			struct khv_irq_msg *msgs, u8 *pins, int max)
{
	int n = 0;
	u32 pin;

	for (pin = 0; pin < NPINS; pin++) {
		__u64 *e = &io->s.redirtbl[pin].bits;

		if ((*e & KHV_IOAPIC_RTE_VECTOR) != vector || !rte_level(*e))
			continue;
		*e &= ~KHV_IOAPIC_RTE_REMOTE_IRR;
		if ((*e & KHV_IOAPIC_RTE_MASKED) ||
		    !(io->s.irr & pin_bit(pin))) {
			/* the device went quiet: no storm */
			io->eoi_resent[pin] = 0;
			continue;
		}
		if (++io->eoi_resent[pin] >= KHV_IOAPIC_STORM_EOIS) {
			io->eoi_resent[pin] = 0;
			io->deferred |= pin_bit(pin);
			continue;
		}
		service_into(io, pin, msgs, pins, max, &n);
	}
	return n;
}

int khv_ioapic_eoi(struct khv_ioapic *io, u8 vector, struct khv_irq_msg *msgs,
		   int max)
{
	return khv_ioapic_eoi_pins(io, vector, msgs, NULL, max);
}

int khv_ioapic_eoi_deferred(struct khv_ioapic *io, struct khv_irq_msg *msgs,
			    u8 *pins, int max)
{
	int n = 0;
	u32 pin;

	io->deferred = 0;
	for (pin = 0; pin < NPINS; pin++) {
		u64 e = io->s.redirtbl[pin].bits;

		if (rte_level(e) && (io->s.irr & pin_bit(pin)) &&
		    !(e & KHV_IOAPIC_RTE_REMOTE_IRR))
			service_into(io, pin, msgs, pins, max, &n);
	}
	return n;
}

int khv_ioapic_flush(struct khv_ioapic *io, struct khv_irq_msg *msgs,
		     u8 *pins, int max)
{
	u32 owed = io->pending & ALL_PINS, pin;
	int n = 0;

	io->pending = 0;
	for (pin = 0; pin < NPINS; pin++) {
		if (!(owed & pin_bit(pin)))
			continue;
		/*
		 * An edge pin owes the edge it saw; a level pin only what it
		 * still asserts.
		 */
		if (rte_level(io->s.redirtbl[pin].bits) &&
		    !(io->s.irr & pin_bit(pin)))
			continue;
		service_into(io, pin, msgs, pins, max, &n);
	}
	return n;
}

u32 khv_ioapic_vector_pins(const struct khv_ioapic *io, u8 vector)
{
	u32 pins = 0, pin;

	for (pin = 0; pin < NPINS; pin++)
		if ((io->s.redirtbl[pin].bits & KHV_IOAPIC_RTE_VECTOR) == vector)
			pins |= pin_bit(pin);
	return pins;
}

void khv_ioapic_get_state(const struct khv_ioapic *io,
			  struct kvm_ioapic_state *s)
{
	*s = io->s;
	s->pad = 0;
	/* edge assertions already sent are not re-sent by a later set */
	s->irr &= ~(io->irr_delivered & edge_pins(io));
}

int khv_ioapic_set_state(struct khv_ioapic *io,
			 const struct kvm_ioapic_state *s)
{
	u32 pin;

	if (s->ioregsel > 0xff || s->id > 0xf)
		return -EINVAL;
	io->s = *s;
	io->s.pad = 0;
	io->s.irr &= ALL_PINS;
	for (pin = 0; pin < NPINS; pin++) {
		__u64 *e = &io->s.redirtbl[pin].bits;

		*e &= ~KHV_IOAPIC_RTE_DELIVS;
		if (!rte_level(*e))
			*e &= ~KHV_IOAPIC_RTE_REMOTE_IRR;
	}
	io->irr_delivered = 0;
	io->deferred = 0;
	io->last_pin = 0;
	for (pin = 0; pin < NPINS; pin++)
		io->eoi_resent[pin] = 0;
	/* every asserted pin rises again from low, as KVM's set does */
	io->pending = io->s.irr;
	return 0;
}

int khv_msi_to_msg(u32 address_lo, u32 address_hi, u32 data, bool x2apic_api,
		   struct khv_irq_msg *msg)
{
	u32 dest;

	/*
	 * Bits 31:20 (0xfee) are not looked at, as KVM: QEMU's APIC window
	 * hands KVM_SIGNAL_MSI the offset into 0xfee00000, not the address.
	 */
	if (x2apic_api && (address_hi & 0xff))
		return -EINVAL;
	dest = (address_lo >> MSI_ADDR_DEST_SHIFT) & 0xff;
	if (x2apic_api)
		dest |= address_hi;	/* bits 31:8; 7:0 are zero */
	msg->dest = dest;
	msg->vector = data & 0xff;
	msg->delivery = (data >> 8) & 7;
	msg->shorthand = KHV_SH_NONE;
	msg->logical = address_lo & MSI_ADDR_LOGICAL;
	msg->level = data & MSI_DATA_LEVEL;
	msg->assert = true;
	msg->ipi = false;
	if ((address_lo & MSI_ADDR_RH) && msg->logical &&
	    msg->delivery == KHV_DM_FIXED)
		msg->delivery = KHV_DM_LOWEST;
	return 0;
}
