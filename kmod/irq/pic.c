// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair (pure: see pic.h for the model and khv_pure.h for what
 * pure means).
 */
#include "pic.h"

#define MASTER		0
#define SLAVE		1
#define NO_IRQ		(-1)
#define LOWEST_LEVEL	8	/* "no level": below all eight priorities */

/* Port A0 = 0 writes: bit 4 ICW1, else bit 3 OCW3, else OCW2 */
#define ICW1_IC4	BIT(0)
#define ICW1_SNGL	BIT(1)
#define ICW1_INIT	BIT(4)
#define ICW4_AEOI	BIT(1)
#define ICW4_SFNM	BIT(4)
#define OCW3_SEL	BIT(3)
#define OCW3_RIS	BIT(0)
#define OCW3_RR		BIT(1)
#define OCW3_POLL	BIT(2)
#define OCW3_SMM	BIT(5)
#define OCW3_ESMM	BIT(6)
/* OCW2 bits 7:5 (R, SL, EOI) */
enum ocw2_cmd {
	OCW2_ROTATE_AEOI_CLEAR	= 0,
	OCW2_EOI		= 1,
	OCW2_NOP		= 2,
	OCW2_SPECIFIC_EOI	= 3,
	OCW2_ROTATE_AEOI_SET	= 4,
	OCW2_ROTATE_EOI		= 5,
	OCW2_SET_PRIORITY	= 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* Where the chips wait after ICW1: init_state is the next ICW expected. */
enum {
	INIT_DONE = 0,
	INIT_ICW2 = 1,
	INIT_ICW3 = 2,
	INIT_ICW4 = 3,
};

#define POLL_NOTHING	0x07
#define POLL_PENDING	0x80

static const u8 elcr_masks[2] = {
	KHV_PIC_ELCR_MASK_MASTER, KHV_PIC_ELCR_MASK_SLAVE
};

static u8 irq_bit(int irq)
{
	return 1U << (irq & 7);
}

/*
 * The priority of the most urgent level in @levels: 0 is the highest,
 * held by level priority_add; 8 if @levels is empty.
 */
static int best_priority(const struct kvm_pic_state *c, u8 levels)
{
	int prio;

	for (prio = 0; prio < LOWEST_LEVEL; prio++)
		if (levels & irq_bit(prio + c->priority_add))
			return prio;
	return LOWEST_LEVEL;
}

static int level_of(const struct kvm_pic_state *c, int prio)
{
	return (prio + c->priority_add) & 7;
}

/*
 * The level chip @n would interrupt the CPU (or the master) for now, or
 * NO_IRQ: the most urgent unmasked request, if it outranks everything in
 * service that still holds requests back.
 */
static int chip_request(const struct khv_pic *p, int n)
{
	const struct kvm_pic_state *c = &p->chip[n];
	u8 blocking = c->isr;
	int prio;

	prio = best_priority(c, c->irr & ~c->imr);
	if (prio == LOWEST_LEVEL)
		return NO_IRQ;
	/* special mask mode: a masked level no longer holds others back */
	if (c->special_mask)
		blocking &= ~c->imr;
	/*
	 * special fully nested mode: IR2 in service must let a more urgent
	 * request of the slave through, so it does not count on the master
	 */
	if (n == MASTER && c->special_fully_nested_mode)
		blocking &= ~irq_bit(KHV_PIC_CASCADE_IRQ);
	if (prio >= best_priority(c, blocking))
		return NO_IRQ;
	return level_of(c, prio);
}

/*
 * Every change that can move the slave's INT ends here: while it is up,
 * the master's IR2 request is latched (an edge input, re-armed so the
 * next time INT rises counts too).
 */
static void pic_update(struct khv_pic *p)
{
	struct kvm_pic_state *m = &p->chip[MASTER];

	if (chip_request(p, SLAVE) == NO_IRQ)
		return;
	m->irr |= irq_bit(KHV_PIC_CASCADE_IRQ);
	m->last_irr &= ~irq_bit(KHV_PIC_CASCADE_IRQ);
}

/* End of interrupt for @irq of chip @n: the in-service bit goes. */
static void chip_eoi(struct khv_pic *p, int n, int irq)
{
	struct kvm_pic_state *c = &p->chip[n];
	u8 bit = irq_bit(irq);

	if (!(c->isr & bit))
		return;
	c->isr &= ~bit;
	p->acked |= (u16)bit << (8 * n);
}

/* Chip @n acknowledges its request @irq (INTA, or a poll read). */
static void chip_ack(struct khv_pic *p, int n, int irq)
{
	struct kvm_pic_state *c = &p->chip[n];
	u8 bit = irq_bit(irq);

	c->isr |= bit;
	/* a level input keeps requesting for as long as it is asserted */
	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (!c->auto_eoi)
		return;
	if (c->rotate_on_auto_eoi)
		c->priority_add = (irq + 1) & 7;
	chip_eoi(p, n, irq);
}

void khv_pic_reset(struct khv_pic *p)
{
	int n;

	*p = (struct khv_pic){ 0 };
	for (n = MASTER; n <= SLAVE; n++)
		p->chip[n].elcr_mask = elcr_masks[n];
}

int khv_pic_set_irq(struct khv_pic *p, u32 irq, bool level)
{
	struct kvm_pic_state *c;
	bool was_requested, counted;
	u8 bit;

	if (irq >= KHV_PIC_NUM_PINS)
		return -EINVAL;
	c = &p->chip[irq >> 3];
	bit = irq_bit(irq);
	was_requested = c->irr & bit;
	if (c->elcr & bit) {
		/* level input: the request is the input */
		counted = level;
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else {
		/* edge input: a rising edge latches a request */
		counted = level && !(c->last_irr & bit);
		if (counted)
			c->irr |= bit;
	}
	if (level)
		c->last_irr |= bit;
	else
		c->last_irr &= ~bit;
	pic_update(p);
	if (c->imr & bit)
		return -1;
	return counted && was_requested ? 0 : 1;
}

bool khv_pic_output(const struct khv_pic *p)
{
	return chip_request(p, MASTER) != NO_IRQ;
}

int khv_pic_ack(struct khv_pic *p)
{
	int irq, vector;

	irq = chip_request(p, MASTER);
	if (irq == NO_IRQ) {
		/* spurious on the master: IR7, nothing put in service */
		vector = p->chip[MASTER].irq_base + 7;
	} else {
		chip_ack(p, MASTER, irq);
		if (irq == KHV_PIC_CASCADE_IRQ) {
			irq = chip_request(p, SLAVE);
			if (irq == NO_IRQ)
				irq = 7;	/* spurious on the slave */
			else
				chip_ack(p, SLAVE, irq);
			vector = p->chip[SLAVE].irq_base + irq;
		} else {
			vector = p->chip[MASTER].irq_base + irq;
		}
	}
	pic_update(p);
	return vector & 0xff;
}

static void write_icw1(struct khv_pic *p, int n, u8 val)
{
	struct kvm_pic_state *c = &p->chip[n];
	u8 dropped = c->irr & ~c->elcr;

	c->init4 = !!(val & ICW1_IC4);
	p->single[n] = val & ICW1_SNGL;
	c->last_irr = 0;
	c->irr &= c->elcr;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = INIT_ICW2;
	p->acked |= (u16)dropped << (8 * n);
}

static void write_ocw2(struct khv_pic *p, int n, u8 val)
{
	struct kvm_pic_state *c = &p->chip[n];
	int irq = val & 7, prio;

	switch (val >> 5) {
	case OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_on_auto_eoi = 0;
		break;
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_auto_eoi = 1;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		/* the most urgent level in service is the one that ends */
		prio = best_priority(c, c->isr);
		if (prio == LOWEST_LEVEL)
			break;
		irq = level_of(c, prio);
		if (val >> 5 == OCW2_ROTATE_EOI)
			c->priority_add = (irq + 1) & 7;
		chip_eoi(p, n, irq);
		break;
	case OCW2_SPECIFIC_EOI:
		chip_eoi(p, n, irq);
		break;
	case OCW2_SET_PRIORITY:
		/* L2-L0 becomes the lowest priority */
		c->priority_add = (irq + 1) & 7;
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->priority_add = (irq + 1) & 7;
		chip_eoi(p, n, irq);
		break;
	case OCW2_NOP:
		break;
	}
}

static void write_ocw3(struct kvm_pic_state *c, u8 val)
{
	if (val & OCW3_POLL)
		c->poll = 1;
	if (val & OCW3_RR)
		c->read_reg_select = !!(val & OCW3_RIS);
	if (val & OCW3_ESMM)
		c->special_mask = !!(val & OCW3_SMM);
}

/* Port A0 = 1: the ICW the chip waits for, else OCW1 (IMR). */
static void write_data(struct khv_pic *p, int n, u8 val)
{
	struct kvm_pic_state *c = &p->chip[n];

	switch (c->init_state) {
	case INIT_ICW2:
		c->irq_base = val & 0xf8;
		if (!p->single[n])
			c->init_state = INIT_ICW3;
		else
			c->init_state = c->init4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		/* the cascade is wired: which IR has the slave is fixed */
		c->init_state = c->init4 ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		c->special_fully_nested_mode = !!(val & ICW4_SFNM);
		c->auto_eoi = !!(val & ICW4_AEOI);
		c->init_state = INIT_DONE;
		break;
	default:
		c->imr = val;
		break;
	}
}

/*
 * A poll read: the chip's most urgent request is acknowledged as by an
 * INTA (the datasheet: "sets the appropriate IS bit"), and its level
 * read. A slave's request latched into the master's IR2 is then used up:
 * the guest serves it through the slave, without the master's INTA.
 */
static u8 poll_read(struct khv_pic *p, int n)
{
	int irq = chip_request(p, n);

	if (irq == NO_IRQ)
		return POLL_NOTHING;
	chip_ack(p, n, irq);
	if (n == SLAVE)
		p->chip[MASTER].irr &= ~irq_bit(KHV_PIC_CASCADE_IRQ);
	return POLL_PENDING | irq;
}

static bool pic_port(u16 port)
{
	switch (port) {
	case 0x20:
	case 0x21:
	case 0xa0:
	case 0xa1:
	case 0x4d0:
	case 0x4d1:
		return true;
	}
	return false;
}

int khv_pic_read(struct khv_pic *p, u16 port, u8 *val)
{
	struct kvm_pic_state *c;
	int n;

	if (!pic_port(port))
		return -EINVAL;
	if (port >= 0x4d0) {
		*val = p->chip[port & 1].elcr;
		return 0;
	}
	n = port == 0x20 || port == 0x21 ? MASTER : SLAVE;
	c = &p->chip[n];
	if (c->poll) {
		c->poll = 0;
		*val = poll_read(p, n);
		pic_update(p);
	} else if (port & 1) {
		*val = c->imr;
	} else {
		*val = c->read_reg_select ? c->isr : c->irr;
	}
	return 0;
}

int khv_pic_write(struct khv_pic *p, u16 port, u8 val)
{
	struct kvm_pic_state *c;
	int n;

	if (!pic_port(port))
		return -EINVAL;
	if (port >= 0x4d0) {
		c = &p->chip[port & 1];
		c->elcr = val & c->elcr_mask;
		pic_update(p);
		return 0;
	}
	n = port == 0x20 || port == 0x21 ? MASTER : SLAVE;
	c = &p->chip[n];
	if (port & 1)
		write_data(p, n, val);
	else if (val & ICW1_INIT)
		write_icw1(p, n, val);
	else if (val & OCW3_SEL)
		write_ocw3(c, val);
	else
		write_ocw2(p, n, val);
	pic_update(p);
	return 0;
}

int khv_pic_pio_read(struct khv_pic *p, u16 port, u8 len, u32 *val)
{
	u8 byte;
	int r;

	if (!pic_port(port))
		return -EINVAL;
	if (len != 1) {
		*val = 0;
		return 0;
	}
	r = khv_pic_read(p, port, &byte);
	if (!r)
		*val = byte;
	return r;
}

int khv_pic_pio_write(struct khv_pic *p, u16 port, u8 len, u32 val)
{
	if (!pic_port(port))
		return -EINVAL;
	if (len != 1)
		return 0;
	return khv_pic_write(p, port, val & 0xff);
}

void khv_pic_get_state(const struct khv_pic *p, int chip,
		       struct kvm_pic_state *s)
{
	if (chip != MASTER && chip != SLAVE) {
		*s = (struct kvm_pic_state){ 0 };
		return;
	}
	*s = p->chip[chip];
}

int khv_pic_set_state(struct khv_pic *p, int chip,
		      const struct kvm_pic_state *s)
{
	struct kvm_pic_state c;

	if (chip != MASTER && chip != SLAVE)
		return -EINVAL;
	if (s->init_state > INIT_ICW4 || s->priority_add > 7 ||
	    (s->irq_base & 7) || s->read_reg_select > 1 || s->poll > 1 ||
	    s->special_mask > 1 || s->auto_eoi > 1 ||
	    s->rotate_on_auto_eoi > 1 || s->special_fully_nested_mode > 1 ||
	    s->init4 > 1)
		return -EINVAL;
	c = *s;
	c.elcr_mask = elcr_masks[chip];
	c.elcr &= c.elcr_mask;
	p->chip[chip] = c;
	p->single[chip] = false;
	pic_update(p);
	return 0;
}
