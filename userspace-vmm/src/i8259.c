// SPDX-License-Identifier: GPL-2.0
/* i8259A PIC pair and ELCR. See i8259.h. */
#include "i8259.h"

#include "util.h"

#include <string.h>

enum { MASTER, SLAVE };

static void chip_reset(struct pic_chip *c, uint8_t elcr_mask)
{
	uint8_t input = c->input, elcr = c->elcr;

	memset(c, 0, sizeof(*c));
	c->input = input;
	c->elcr = elcr & elcr_mask;
	c->elcr_mask = elcr_mask;
	c->lowest_prio = 7;
}

void i8259_init(struct i8259 *pic)
{
	memset(pic, 0, sizeof(*pic));
	/* IRQ 0, 1, 2 and 8, 13 are edge-only on a PIIX. */
	chip_reset(&pic->chip[MASTER], 0xf8);
	chip_reset(&pic->chip[SLAVE], 0xde);
}

/* The IR with the highest priority among `bits`, or -1. */
static int highest(const struct pic_chip *c, uint8_t bits)
{
	for (int n = 0; n < 8; n++) {
		int ir = (c->lowest_prio + 1 + n) & 7;

		if (bits & (1u << ir))
			return ir;
	}
	return -1;
}

/* Priority rank of an IR: 0 is the highest. */
static int rank(const struct pic_chip *c, int ir)
{
	return (ir - c->lowest_prio - 1) & 7;
}

/* The IR this chip would signal on INT now, or -1. */
static int chip_output(const struct pic_chip *c)
{
	uint8_t pending = c->irr & ~c->imr;
	int ir, in_service;

	if (c->special_mask)
		return highest(c, pending & ~c->isr);
	ir = highest(c, pending);
	if (ir < 0)
		return -1;
	in_service = highest(c, c->isr);
	if (in_service >= 0 && rank(c, in_service) <= rank(c, ir))
		return -1;
	return ir;
}

static void chip_set_input(struct pic_chip *c, int ir, int level)
{
	uint8_t bit = 1u << ir;

	if (level) {
		if (!(c->input & bit) || (c->elcr & bit))
			c->irr |= bit;
		c->input |= bit;
	} else {
		c->irr &= ~bit;
		c->input &= ~bit;
	}
}

/* Propagate the slave's INT output to master IR2. */
static void update_cascade(struct i8259 *pic)
{
	struct pic_chip *m = &pic->chip[MASTER];

	if (m->single)
		return;
	chip_set_input(m, I8259_CASCADE_IRQ, chip_output(&pic->chip[SLAVE]) >= 0);
}

void i8259_set_irq(struct i8259 *pic, unsigned int irq, int level)
{
	if (irq >= 16)
		return;
	if (irq >= 8)
		chip_set_input(&pic->chip[SLAVE], irq - 8, level);
	else if (irq != I8259_CASCADE_IRQ || pic->chip[MASTER].single)
		chip_set_input(&pic->chip[MASTER], irq, level);
	update_cascade(pic);
}

bool i8259_has_interrupt(const struct i8259 *pic)
{
	return chip_output(&pic->chip[MASTER]) >= 0;
}

int i8259_pending_irq(const struct i8259 *pic)
{
	const struct pic_chip *m = &pic->chip[MASTER];
	int ir = chip_output(m), sir;

	if (ir != I8259_CASCADE_IRQ || m->single)
		return ir;
	sir = chip_output(&pic->chip[SLAVE]);
	return sir < 0 ? -1 : 8 + sir;
}

/* The acknowledge part of an INTA cycle on one chip. */
static void chip_ack(struct pic_chip *c, int ir)
{
	uint8_t bit = 1u << ir;

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->lowest_prio = ir;
	} else {
		c->isr |= bit;
	}
}

uint8_t i8259_ack(struct i8259 *pic)
{
	struct pic_chip *m = &pic->chip[MASTER], *s = &pic->chip[SLAVE];
	int ir = chip_output(m), sir;
	uint8_t vector;

	if (ir < 0)
		return m->vector_base + 7;	/* spurious IRQ 7 */
	chip_ack(m, ir);
	if (ir == I8259_CASCADE_IRQ && !m->single) {
		sir = chip_output(s);
		if (sir < 0) {
			vector = s->vector_base + 7;	/* spurious IRQ 15 */
		} else {
			chip_ack(s, sir);
			vector = s->vector_base + sir;
		}
	} else {
		vector = m->vector_base + ir;
	}
	update_cascade(pic);
	return vector;
}

static void write_icw1(struct pic_chip *c, uint8_t val)
{
	uint8_t input = c->input;

	chip_reset(c, c->elcr_mask);
	c->irr = input & c->elcr;	/* level inputs keep requesting */
	c->icw4_needed = val & 0x01;
	c->single = val & 0x02;
	c->icw_step = 2;
}

static void write_ocw2(struct pic_chip *c, uint8_t val)
{
	int ir = val & 7;

	switch (val >> 5) {
	case 0: /* clear rotate in automatic EOI mode */
		c->rotate_on_aeoi = false;
		break;
	case 4: /* set rotate in automatic EOI mode */
		c->rotate_on_aeoi = true;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		ir = highest(c, c->isr);
		if (ir < 0)
			break;
		c->isr &= ~(1u << ir);
		if (val >> 5 == 5)
			c->lowest_prio = ir;
		break;
	case 3: /* specific EOI */
		c->isr &= ~(1u << ir);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << ir);
		c->lowest_prio = ir;
		break;
	case 6: /* set priority */
		c->lowest_prio = ir;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void write_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & 0x02)
		c->read_isr = val & 0x01;
	if (val & 0x04)
		c->poll = true;
	if (val & 0x40)
		c->special_mask = val & 0x20;
}

static void write_data(struct pic_chip *c, uint8_t val)
{
	switch (c->icw_step) {
	case 2:
		c->vector_base = val & 0xf8;
		c->icw_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
		break;
	case 3:	/* cascade wiring is fixed: master IR2 */
		c->icw_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = val & 0x02;
		c->icw_step = 0;
		break;
	default:
		c->imr = val;
		break;
	}
}

void i8259_write(struct i8259 *pic, unsigned int chip, unsigned int reg,
		 uint8_t val)
{
	struct pic_chip *c = &pic->chip[chip & 1];

	if (reg & 1)
		write_data(c, val);
	else if (val & 0x10)
		write_icw1(c, val);
	else if (val & 0x08)
		write_ocw3(c, val);
	else
		write_ocw2(c, val);
	update_cascade(pic);
}

/* A poll command read: acknowledge like INTA, report 0x80 | IR. */
static uint8_t chip_poll(struct i8259 *pic, struct pic_chip *c)
{
	int ir = chip_output(c);

	c->poll = false;
	if (ir < 0)
		return 0;
	chip_ack(c, ir);
	update_cascade(pic);
	return 0x80 | ir;
}

uint8_t i8259_read(struct i8259 *pic, unsigned int chip, unsigned int reg)
{
	struct pic_chip *c = &pic->chip[chip & 1];

	if (c->poll)
		return chip_poll(pic, c);
	if (reg & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static int chip_io(struct i8259 *pic, unsigned int chip, uint64_t off,
		   uint8_t *data, unsigned int len, bool is_write)
{
	for (unsigned int i = 0; i < len; i++) {
		if (is_write)
			i8259_write(pic, chip, (off + i) & 1, data[i]);
		else
			data[i] = i8259_read(pic, chip, (off + i) & 1);
	}
	return 0;
}

int i8259_master_io(void *opaque, uint64_t off, void *data, unsigned int len,
		    bool is_write)
{
	return chip_io(opaque, MASTER, off, data, len, is_write);
}

int i8259_slave_io(void *opaque, uint64_t off, void *data, unsigned int len,
		   bool is_write)
{
	return chip_io(opaque, SLAVE, off, data, len, is_write);
}

int i8259_elcr_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write)
{
	struct i8259 *pic = opaque;
	uint8_t *b = data;

	for (unsigned int i = 0; i < len; i++) {
		struct pic_chip *c = &pic->chip[(off + i) & 1];

		if (!is_write) {
			b[i] = c->elcr;
			continue;
		}
		c->elcr = b[i] & c->elcr_mask;
		/* A level input that is high requests at once. */
		c->irr = (c->irr & ~c->elcr) | (c->input & c->elcr);
	}
	if (is_write)
		update_cascade(pic);
	return 0;
}
