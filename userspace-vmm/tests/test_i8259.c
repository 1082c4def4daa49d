// SPDX-License-Identifier: GPL-2.0
/* i8259A pair: initialisation, priorities, EOI, masking, cascade, ELCR. */
#include "i8259.h"
#include "tap.h"

enum { M = 0, S = 1 };

/* What Linux's init_8259A writes (vectors 0x30 and 0x38). */
static void linux_init(struct i8259 *p)
{
	i8259_init(p);
	i8259_write(p, M, 1, 0xff);
	i8259_write(p, S, 1, 0xff);
	i8259_write(p, M, 0, 0x11);	/* ICW1: edge, cascade, ICW4 */
	i8259_write(p, M, 1, 0x30);	/* ICW2: vector base */
	i8259_write(p, M, 1, 0x04);	/* ICW3: slave on IR2 */
	i8259_write(p, M, 1, 0x01);	/* ICW4: 8086, normal EOI */
	i8259_write(p, S, 0, 0x11);
	i8259_write(p, S, 1, 0x38);
	i8259_write(p, S, 1, 0x02);
	i8259_write(p, S, 1, 0x01);
	i8259_write(p, M, 1, 0xfb);	/* everything masked but the cascade */
	i8259_write(p, S, 1, 0xff);
}

static void eoi(struct i8259 *p, int chip)
{
	i8259_write(p, chip, 0, 0x20);
}

static void init_sequence(void)
{
	struct i8259 p;

	linux_init(&p);
	CHECK_EQ(p.chip[M].vector_base, 0x30);
	CHECK_EQ(p.chip[S].vector_base, 0x38);
	CHECK_EQ(p.chip[M].icw_step, 0);
	CHECK_EQ(p.chip[S].icw_step, 0);
	CHECK_EQ(i8259_read(&p, M, 1), 0xfb);
	CHECK_EQ(i8259_read(&p, S, 1), 0xff);
	CHECK(!p.chip[M].auto_eoi);
	/* ICW1 clears the mask; ICW4 absent: ICW2 is the last word. */
	i8259_write(&p, M, 0, 0x12);	/* single, no ICW4 */
	CHECK_EQ(i8259_read(&p, M, 1), 0);
	i8259_write(&p, M, 1, 0x48);
	CHECK_EQ(p.chip[M].icw_step, 0);
	CHECK_EQ(p.chip[M].vector_base, 0x48);
	i8259_write(&p, M, 1, 0x55);	/* now OCW1 */
	CHECK_EQ(i8259_read(&p, M, 1), 0x55);
}

static void edge_ack_eoi(void)
{
	struct i8259 p;

	linux_init(&p);
	i8259_write(&p, M, 1, 0xfa);	/* unmask IRQ 0 */
	CHECK(!i8259_has_interrupt(&p));
	i8259_set_irq(&p, 0, 1);
	CHECK(i8259_has_interrupt(&p));
	CHECK_EQ(i8259_pending_irq(&p), 0);
	CHECK_EQ(i8259_ack(&p), 0x30);
	CHECK_EQ(p.chip[M].isr, 0x01);
	CHECK_EQ(p.chip[M].irr & 1, 0);
	CHECK(!i8259_has_interrupt(&p));
	/* Still high: no new edge, nothing after EOI. */
	eoi(&p, M);
	CHECK_EQ(p.chip[M].isr, 0);
	CHECK(!i8259_has_interrupt(&p));
	/* A new edge is a new request. */
	i8259_set_irq(&p, 0, 0);
	i8259_set_irq(&p, 0, 1);
	CHECK(i8259_has_interrupt(&p));
}

static void edge_withdrawn(void)
{
	struct i8259 p;

	linux_init(&p);
	i8259_write(&p, M, 1, 0xea);	/* unmask 0 and 4 */
	i8259_set_irq(&p, 4, 1);
	i8259_set_irq(&p, 4, 0);	/* dropped before INTA */
	CHECK(!i8259_has_interrupt(&p));
	CHECK_EQ(i8259_ack(&p), 0x37);	/* spurious IRQ 7 */
	CHECK_EQ(p.chip[M].isr, 0);
}

static void priorities(void)
{
	struct i8259 p;

	linux_init(&p);
	i8259_write(&p, M, 1, 0x00);
	i8259_set_irq(&p, 3, 1);
	i8259_set_irq(&p, 5, 1);
	CHECK_EQ(i8259_ack(&p), 0x33);
	/* 5 is lower than 3 in service: held back. */
	CHECK(!i8259_has_interrupt(&p));
	/* 1 is higher: it nests. */
	i8259_set_irq(&p, 1, 1);
	CHECK(i8259_has_interrupt(&p));
	CHECK_EQ(i8259_ack(&p), 0x31);
	CHECK_EQ(p.chip[M].isr, 0x0a);
	eoi(&p, M);			/* non-specific: the highest, IRQ 1 */
	CHECK_EQ(p.chip[M].isr, 0x08);
	CHECK(!i8259_has_interrupt(&p));
	eoi(&p, M);
	CHECK_EQ(i8259_ack(&p), 0x35);
	i8259_write(&p, M, 0, 0x65);	/* specific EOI for IRQ 5 */
	CHECK_EQ(p.chip[M].isr, 0);
}

static void masking(void)
{
	struct i8259 p;

	linux_init(&p);
	i8259_set_irq(&p, 1, 1);
	CHECK(!i8259_has_interrupt(&p));	/* masked, but requested */
	CHECK_EQ(p.chip[M].irr & 0x02, 0x02);
	i8259_write(&p, M, 1, 0xf9);
	CHECK(i8259_has_interrupt(&p));
	CHECK_EQ(i8259_ack(&p), 0x31);
}

static void cascade(void)
{
	struct i8259 p;

	linux_init(&p);
	i8259_write(&p, S, 1, 0xfb);	/* unmask IRQ 10 */
	i8259_set_irq(&p, 10, 1);
	CHECK(i8259_has_interrupt(&p));
	CHECK_EQ(i8259_pending_irq(&p), 10);
	CHECK_EQ(i8259_ack(&p), 0x3a);
	CHECK_EQ(p.chip[S].isr, 0x04);
	CHECK_EQ(p.chip[M].isr, 0x04);
	CHECK(!i8259_has_interrupt(&p));
	eoi(&p, S);
	eoi(&p, M);
	CHECK_EQ(p.chip[S].isr | p.chip[M].isr, 0);
	/* Masking IR2 on the master hides the whole slave. */
	i8259_set_irq(&p, 10, 0);
	i8259_set_irq(&p, 10, 1);
	i8259_write(&p, M, 1, 0xff);
	CHECK(!i8259_has_interrupt(&p));
	i8259_write(&p, M, 1, 0xfb);
	CHECK_EQ(i8259_ack(&p), 0x3a);
}

static void level_elcr(void)
{
	struct i8259 p;
	uint8_t elcr[2] = { 0x00, 0x0c };	/* IRQ 10, 11 level */

	linux_init(&p);
	i8259_elcr_io(&p, 0, elcr, 2, true);
	elcr[0] = elcr[1] = 0;
	i8259_elcr_io(&p, 0, elcr, 2, false);
	CHECK_EQ(elcr[1], 0x0c);
	/* IRQ 0, 1, 2, 8, 13 cannot be level. */
	elcr[0] = 0xff;
	elcr[1] = 0xff;
	i8259_elcr_io(&p, 0, elcr, 2, true);
	CHECK_EQ(p.chip[M].elcr, 0xf8);
	CHECK_EQ(p.chip[S].elcr, 0xde);
	i8259_write(&p, S, 1, 0xf7);	/* unmask IRQ 11 */
	i8259_set_irq(&p, 11, 1);
	CHECK_EQ(i8259_ack(&p), 0x3b);
	eoi(&p, S);
	eoi(&p, M);
	CHECK(i8259_has_interrupt(&p));	/* still high: asks again */
	CHECK_EQ(i8259_ack(&p), 0x3b);
	eoi(&p, S);
	eoi(&p, M);
	i8259_set_irq(&p, 11, 0);
	CHECK(!i8259_has_interrupt(&p));
}

static void read_registers_and_poll(void)
{
	struct i8259 p;

	linux_init(&p);
	i8259_write(&p, M, 1, 0x00);
	i8259_set_irq(&p, 6, 1);
	i8259_write(&p, M, 0, 0x0a);	/* OCW3: read IRR */
	CHECK_EQ(i8259_read(&p, M, 0), 0x40);
	i8259_ack(&p);
	i8259_write(&p, M, 0, 0x0b);	/* OCW3: read ISR */
	CHECK_EQ(i8259_read(&p, M, 0), 0x40);
	eoi(&p, M);
	i8259_set_irq(&p, 6, 0);
	i8259_set_irq(&p, 6, 1);
	i8259_write(&p, M, 0, 0x0c);	/* poll */
	CHECK_EQ(i8259_read(&p, M, 0), 0x86);
	CHECK_EQ(p.chip[M].isr, 0x40);
	i8259_write(&p, M, 0, 0x0c);
	CHECK_EQ(i8259_read(&p, M, 0), 0x00);	/* nothing left */
}

static void rotation_and_auto_eoi(void)
{
	struct i8259 p;

	linux_init(&p);
	i8259_write(&p, M, 1, 0x00);
	i8259_write(&p, M, 0, 0xc3);	/* set priority: IR3 lowest */
	i8259_set_irq(&p, 3, 1);
	i8259_set_irq(&p, 5, 1);
	CHECK_EQ(i8259_ack(&p), 0x35);	/* 4 is highest, then 5 ... 3 last */
	i8259_write(&p, M, 0, 0xa0);	/* rotate on non-specific EOI */
	CHECK_EQ(p.chip[M].lowest_prio, 5);
	/* Auto-EOI: nothing stays in service. */
	i8259_write(&p, M, 0, 0x11);
	i8259_write(&p, M, 1, 0x30);
	i8259_write(&p, M, 1, 0x04);
	i8259_write(&p, M, 1, 0x03);
	i8259_write(&p, M, 1, 0x00);
	i8259_set_irq(&p, 1, 0);
	i8259_set_irq(&p, 1, 1);
	CHECK_EQ(i8259_ack(&p), 0x31);
	CHECK_EQ(p.chip[M].isr, 0);
}

int main(void)
{
	tap_begin();
	TEST(init_sequence);
	TEST(edge_ack_eoi);
	TEST(edge_withdrawn);
	TEST(priorities);
	TEST(masking);
	TEST(cascade);
	TEST(level_elcr);
	TEST(read_registers_and_poll);
	TEST(rotation_and_auto_eoi);
	return tap_done();
}
