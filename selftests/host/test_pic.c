// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/irq/pic.c: the cascaded 8259A pair. The
 * expectations come from the 8259A datasheet (ICW/OCW formats, priority
 * resolution, rotation, special masks, poll, spurious IR7), the PC's
 * wiring (slave on master IR2, ELCR at 0x4d0/0x4d1 with IRQ 0, 1, 2, 8,
 * 13 edge only) and KVM's documented choices (power-on state,
 * KVM_IRQ_LINE_STATUS results, byte-only ports). The initialization
 * sequences are the ones Linux's init_8259A() and SeaBIOS's pic_setup()
 * write.
 */
#include <string.h>

#include "ksft.h"
#include "irq/pic.h"

#define M_CMD	0x20
#define M_DATA	0x21
#define S_CMD	0xa0
#define S_DATA	0xa1
#define M_ELCR	0x4d0
#define S_ELCR	0x4d1

static void out(struct khv_pic *p, u16 port, u8 val)
{
	khv_pic_write(p, port, val);
}

static u8 in(struct khv_pic *p, u16 port)
{
	u8 v = 0x5a;

	khv_pic_read(p, port, &v);
	return v;
}

/* Linux's init_8259A(): vectors 0x30 and 0x38, ICW4 8086 (+ AEOI). */
static void init_linux(struct khv_pic *p, bool aeoi)
{
	out(p, M_DATA, 0xff);		/* mask all of 8259A-1 */
	out(p, S_DATA, 0xff);		/* and 8259A-2 */
	out(p, M_CMD, 0x11);		/* ICW1: edge, cascade, ICW4 */
	out(p, M_DATA, 0x30);		/* ICW2: IR0-7 at 0x30 */
	out(p, M_DATA, 0x04);		/* ICW3: slave on IR2 */
	out(p, M_DATA, aeoi ? 0x03 : 0x01);	/* ICW4 */
	out(p, S_CMD, 0x11);
	out(p, S_DATA, 0x38);
	out(p, S_DATA, 0x02);		/* ICW3: slave ID 2 */
	out(p, S_DATA, 0x01);		/* slave is never in AEOI */
	out(p, M_DATA, 0x00);		/* unmask everything */
	out(p, S_DATA, 0x00);
}

static struct khv_pic fresh_linux(void)
{
	struct khv_pic p;

	khv_pic_reset(&p);
	init_linux(&p, false);
	p.acked = 0;
	return p;
}

/* Raise and lower an edge input (a pulse). */
static int pulse(struct khv_pic *p, u32 irq)
{
	int r = khv_pic_set_irq(p, irq, true);

	khv_pic_set_irq(p, irq, false);
	return r;
}

static int t_reset(void)
{
	struct khv_pic p;
	struct kvm_pic_state s, zero = { 0 };
	int n;

	memset(&p, 0xa5, sizeof(p));
	khv_pic_reset(&p);
	for (n = 0; n < 2; n++) {
		khv_pic_get_state(&p, n, &s);
		CHECK(s.elcr_mask == (n ? 0xde : 0xf8), "chip %d elcr_mask %#x",
		      n, s.elcr_mask);
		s.elcr_mask = 0;
		CHECK(!memcmp(&s, &zero, sizeof(s)),
		      "chip %d: everything else is 0 after reset", n);
	}
	CHECK(!khv_pic_output(&p), "output low after reset");
	CHECK(p.acked == 0, "acked %#x", p.acked);
	/* an unprogrammed PIC still latches and reports (vector base 0) */
	CHECK(khv_pic_set_irq(&p, 3, true) == 1, "IRQ3 raised");
	CHECK(khv_pic_output(&p), "output up");
	CHECK(khv_pic_ack(&p) == 3, "vector base 0 + 3");
	/* chips other than 0 and 1 read as zeros */
	memset(&s, 0xff, sizeof(s));
	khv_pic_get_state(&p, 2, &s);
	CHECK(!memcmp(&s, &zero, sizeof(s)), "chip 2 is zeros");
	khv_pic_get_state(&p, -1, &s);
	CHECK(!memcmp(&s, &zero, sizeof(s)), "chip -1 is zeros");
	return KSFT_PASS;
}

static int t_init_linux(void)
{
	struct khv_pic p;
	int aeoi;

	for (aeoi = 0; aeoi < 2; aeoi++) {
		khv_pic_reset(&p);
		init_linux(&p, aeoi);
		CHECK(p.chip[0].irq_base == 0x30 && p.chip[1].irq_base == 0x38,
		      "bases %#x %#x", p.chip[0].irq_base, p.chip[1].irq_base);
		CHECK(p.chip[0].init_state == 0 && p.chip[1].init_state == 0,
		      "init done");
		CHECK(p.chip[0].init4 == 1 && p.chip[1].init4 == 1, "IC4");
		CHECK(p.chip[0].auto_eoi == aeoi && p.chip[1].auto_eoi == 0,
		      "aeoi %d: %d %d", aeoi, p.chip[0].auto_eoi,
		      p.chip[1].auto_eoi);
		CHECK(!p.chip[0].special_fully_nested_mode, "no SFNM");
		CHECK(in(&p, M_DATA) == 0 && in(&p, S_DATA) == 0, "IMRs 0");
		/* the timer: IRQ0 -> 0x30, in service until EOI (or AEOI) */
		CHECK(pulse(&p, 0) == 1, "IRQ0");
		CHECK(khv_pic_output(&p), "INT");
		CHECK(khv_pic_ack(&p) == 0x30, "vector 0x30");
		CHECK(p.chip[0].isr == (aeoi ? 0 : 1), "ISR %#x",
		      p.chip[0].isr);
		CHECK(p.acked == (aeoi ? 1 : 0), "acked %#x", p.acked);
		/* IRQ 14 through the slave: 0x38 + 6 */
		CHECK(pulse(&p, 14) == 1, "IRQ14");
		CHECK(khv_pic_output(&p) == !!aeoi,
		      "IRQ14 waits behind IRQ0 in service (no AEOI)");
		out(&p, M_CMD, 0x20);		/* non-specific EOI */
		CHECK(khv_pic_output(&p), "INT for the slave");
		CHECK(khv_pic_ack(&p) == 0x3e, "vector 0x3e");
		CHECK(p.chip[1].isr == 0x40, "slave ISR %#x", p.chip[1].isr);
		CHECK(p.chip[0].isr == (aeoi ? 0 : 4), "master ISR %#x",
		      p.chip[0].isr);
	}
	return KSFT_PASS;
}

/* SeaBIOS writes both chips interleaved: ICW1 to both, then ICW2s... */
static int t_init_seabios(void)
{
	struct khv_pic p;

	khv_pic_reset(&p);
	out(&p, M_CMD, 0x11);
	out(&p, S_CMD, 0x11);
	out(&p, M_DATA, 0x08);
	out(&p, S_DATA, 0x70);
	out(&p, M_DATA, 0x04);
	out(&p, S_DATA, 0x02);
	out(&p, M_DATA, 0x01);
	out(&p, S_DATA, 0x01);
	out(&p, M_DATA, 0xfb);		/* all masked but the cascade */
	out(&p, S_DATA, 0xff);
	CHECK(p.chip[0].irq_base == 0x08 && p.chip[1].irq_base == 0x70,
	      "bases %#x %#x", p.chip[0].irq_base, p.chip[1].irq_base);
	CHECK(in(&p, M_DATA) == 0xfb && in(&p, S_DATA) == 0xff, "IMRs");
	CHECK(khv_pic_set_irq(&p, 8, true) == -1, "RTC masked: -1");
	CHECK(!khv_pic_output(&p), "masked in the slave");
	out(&p, S_DATA, 0xfe);
	CHECK(khv_pic_output(&p), "unmasked: INT");
	CHECK(khv_pic_ack(&p) == 0x70, "RTC vector 0x70");
	/* ICW2 keeps only T7-T3 */
	out(&p, M_CMD, 0x11);
	out(&p, M_DATA, 0x0f);
	CHECK(p.chip[0].irq_base == 0x08, "ICW2 low bits dropped: %#x",
	      p.chip[0].irq_base);
	return KSFT_PASS;
}

/* ICW1 without IC4: ICW2, ICW3, and the next data byte is OCW1. */
static int t_icw_sequence(void)
{
	struct khv_pic p;

	khv_pic_reset(&p);
	out(&p, M_CMD, 0x11);
	out(&p, M_DATA, 0x20);
	out(&p, M_DATA, 0x04);
	out(&p, M_DATA, 0x13);		/* ICW4: AEOI, SFNM */
	CHECK(p.chip[0].auto_eoi && p.chip[0].special_fully_nested_mode,
	      "ICW4 bits");
	out(&p, M_CMD, 0x10);		/* ICW1, no IC4 */
	CHECK(p.chip[0].init_state == 1, "waits for ICW2");
	CHECK(!p.chip[0].auto_eoi && !p.chip[0].special_fully_nested_mode,
	      "no ICW4: its functions are zero");
	out(&p, M_DATA, 0x40);
	CHECK(p.chip[0].init_state == 2, "waits for ICW3");
	out(&p, M_DATA, 0x04);
	CHECK(p.chip[0].init_state == 0, "done without ICW4");
	out(&p, M_DATA, 0x5a);
	CHECK(in(&p, M_DATA) == 0x5a, "OCW1 after the sequence");
	CHECK(p.chip[0].irq_base == 0x40, "base");

	/* single mode (SNGL): no ICW3 */
	out(&p, M_CMD, 0x13);
	out(&p, M_DATA, 0x50);
	CHECK(p.chip[0].init_state == 3, "SNGL + IC4: ICW4 next");
	out(&p, M_DATA, 0x03);
	CHECK(p.chip[0].init_state == 0 && p.chip[0].auto_eoi, "ICW4 taken");
	out(&p, M_CMD, 0x12);		/* SNGL, no IC4 */
	out(&p, M_DATA, 0x58);
	CHECK(p.chip[0].init_state == 0, "SNGL alone: done after ICW2");
	out(&p, M_DATA, 0x33);
	CHECK(in(&p, M_DATA) == 0x33 && p.chip[0].irq_base == 0x58,
	      "OCW1 at once");

	/* LTIM (bit 3) is ignored: the ELCR decides */
	out(&p, M_CMD, 0x19);
	out(&p, M_DATA, 0x08);
	out(&p, M_DATA, 0x04);
	out(&p, M_DATA, 0x01);
	CHECK(in(&p, M_ELCR) == 0, "LTIM does not touch the ELCR");
	CHECK(pulse(&p, 5) == 1 && p.chip[0].irr == 0x20,
	      "IRQ5 still edge: latched after the pulse");

	/* reads of the IMR during initialization do not disturb it */
	out(&p, S_CMD, 0x11);
	(void)in(&p, S_DATA);
	(void)in(&p, S_CMD);
	out(&p, S_DATA, 0x70);
	CHECK(p.chip[1].init_state == 2 && p.chip[1].irq_base == 0x70,
	      "slave ICW2 after reads");
	return KSFT_PASS;
}

/* What ICW1 clears and what it keeps. */
static int t_icw1_effects(void)
{
	struct khv_pic p = fresh_linux();

	out(&p, M_ELCR, 0x20);			/* IRQ5 level */
	khv_pic_set_irq(&p, 5, true);
	khv_pic_set_irq(&p, 3, true);		/* edge, held high */
	khv_pic_set_irq(&p, 4, true);
	CHECK(khv_pic_ack(&p) == 0x33, "IRQ3 in service");
	out(&p, M_DATA, 0x80);
	out(&p, M_CMD, 0xc3);			/* rotate: priority_add 4 */
	out(&p, M_CMD, 0x6b);			/* special mask + read ISR */
	CHECK(p.chip[0].special_mask && p.chip[0].read_reg_select &&
	      p.chip[0].priority_add == 4, "set up");
	p.acked = 0;
	out(&p, M_CMD, 0x11);
	CHECK(p.chip[0].imr == 0, "IMR cleared");
	CHECK(p.chip[0].priority_add == 0, "IR7 lowest again");
	CHECK(!p.chip[0].special_mask, "special mask cleared");
	CHECK(!p.chip[0].read_reg_select, "status read is IRR");
	CHECK(p.chip[0].isr == 0x08, "ISR kept: %#x", p.chip[0].isr);
	CHECK(p.chip[0].irr == 0x20, "edge IRR dropped, level kept: %#x",
	      p.chip[0].irr);
	CHECK(p.acked == 0x10, "dropped IRQ4 reported: %#x", p.acked);
	CHECK(p.chip[0].last_irr == 0, "edge sense reset");
	/* IRQ3 was held high: a new rising edge is needed, not a re-report */
	khv_pic_set_irq(&p, 3, false);
	CHECK(khv_pic_set_irq(&p, 3, true) == 1 && (p.chip[0].irr & 8),
	      "new edge after ICW1");
	return KSFT_PASS;
}

/* Edge inputs and KVM_IRQ_LINE_STATUS's results. */
static int t_edge(void)
{
	struct khv_pic p = fresh_linux();

	CHECK(khv_pic_set_irq(&p, 4, true) == 1, "rising edge: new request");
	CHECK(p.chip[0].irr == 0x10, "latched");
	CHECK(khv_pic_set_irq(&p, 4, true) == 1, "still high: KVM says 1");
	CHECK(khv_pic_set_irq(&p, 4, false) == 1, "falling: 1");
	CHECK(p.chip[0].irr == 0x10, "edge request stays latched");
	CHECK(khv_pic_set_irq(&p, 4, true) == 0, "second edge: coalesced");
	CHECK(khv_pic_ack(&p) == 0x34, "one interrupt");
	CHECK(p.chip[0].irr == 0 && p.chip[0].isr == 0x10, "IRR -> ISR");
	CHECK(!khv_pic_output(&p), "nothing left");
	khv_pic_set_irq(&p, 4, false);
	CHECK(khv_pic_set_irq(&p, 4, true) == 1, "new edge while in service");
	CHECK(!khv_pic_output(&p), "held back by its own ISR bit");
	out(&p, M_CMD, 0x64);			/* specific EOI 4 */
	CHECK(khv_pic_output(&p), "then delivered");

	/* masked: -1 whatever else, but the request is still latched */
	out(&p, S_DATA, 0x08);
	CHECK(khv_pic_set_irq(&p, 11, true) == -1, "masked rising: -1");
	CHECK(khv_pic_set_irq(&p, 11, false) == -1, "masked falling: -1");
	CHECK(p.chip[1].irr == 0x08, "latched behind the mask");
	out(&p, S_DATA, 0x00);
	CHECK(p.chip[0].irr & 4, "unmasked: the slave asks the master");

	/* hostile pins */
	{
		struct khv_pic before = p;
		u32 bad[] = { 16, 17, 255, 0x10000, 0x7fffffff, 0xffffffff };
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			CHECK(khv_pic_set_irq(&p, bad[i], true) == -EINVAL,
			      "irq %#x", bad[i]);
			CHECK(!memcmp(&p, &before, sizeof(p)),
			      "irq %#x changed nothing", bad[i]);
		}
	}
	return KSFT_PASS;
}

/* The ELCR: level inputs, read-only bits. */
static int t_elcr_level(void)
{
	struct khv_pic p = fresh_linux();

	out(&p, M_ELCR, 0xff);
	out(&p, S_ELCR, 0xff);
	CHECK(in(&p, M_ELCR) == 0xf8, "master ELCR %#x", in(&p, M_ELCR));
	CHECK(in(&p, S_ELCR) == 0xde, "slave ELCR %#x", in(&p, S_ELCR));
	/* IRQ 0, 1, 2, 8, 13 stay edge: the request outlives the pulse */
	CHECK(pulse(&p, 0) == 1 && (p.chip[0].irr & 1), "IRQ0 edge");
	CHECK(pulse(&p, 1) == 1 && (p.chip[0].irr & 2), "IRQ1 edge");
	CHECK(pulse(&p, 8) == 1 && (p.chip[1].irr & 1), "IRQ8 edge");
	CHECK(pulse(&p, 13) == 1 && (p.chip[1].irr & 0x20), "IRQ13 edge");
	khv_pic_reset(&p);
	init_linux(&p, false);
	out(&p, M_ELCR, 0x20);			/* IRQ5 */
	out(&p, S_ELCR, 0x08);			/* IRQ11 */
	CHECK(khv_pic_set_irq(&p, 5, true) == 1, "level asserted");
	CHECK(khv_pic_set_irq(&p, 5, true) == 0, "again: coalesced");
	CHECK(khv_pic_ack(&p) == 0x35, "IRQ5");
	CHECK(p.chip[0].irr == 0x20 && p.chip[0].isr == 0x20,
	      "a level request is not cleared by INTA");
	CHECK(!khv_pic_output(&p), "blocked by itself in service");
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_output(&p), "still asserted after EOI: again");
	CHECK(khv_pic_set_irq(&p, 5, false) == 1, "deassert: 1");
	CHECK(p.chip[0].irr == 0, "the request follows the input");
	CHECK(!khv_pic_output(&p), "gone");
	/* on the slave, through the cascade */
	CHECK(khv_pic_set_irq(&p, 11, true) == 1, "IRQ11 level");
	CHECK(khv_pic_ack(&p) == 0x3b, "vector 0x3b");
	out(&p, S_CMD, 0x20);
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_output(&p), "IRQ11 still asserted: again");
	CHECK(khv_pic_ack(&p) == 0x3b, "vector 0x3b again");
	return KSFT_PASS;
}

/* Fully nested priorities, EOI kinds. */
static int t_priority_eoi(void)
{
	struct khv_pic p = fresh_linux();

	pulse(&p, 3);
	pulse(&p, 5);
	CHECK(khv_pic_ack(&p) == 0x33, "3 before 5");
	CHECK(!khv_pic_output(&p), "5 waits behind 3 in service");
	pulse(&p, 1);
	CHECK(khv_pic_output(&p), "1 outranks 3 in service");
	CHECK(khv_pic_ack(&p) == 0x31, "nested IRQ1");
	CHECK(p.chip[0].isr == 0x0a, "ISR %#x", p.chip[0].isr);
	out(&p, M_CMD, 0x20);
	CHECK(p.chip[0].isr == 0x08, "non-specific EOI ends the most urgent");
	CHECK(p.acked == 0x02, "acked %#x", p.acked);
	CHECK(!khv_pic_output(&p), "5 still behind 3");
	out(&p, M_CMD, 0x20);
	CHECK(p.chip[0].isr == 0 && khv_pic_output(&p), "then 5");
	CHECK(khv_pic_ack(&p) == 0x35, "IRQ5");
	/* specific EOI ends exactly the level named */
	pulse(&p, 6);
	pulse(&p, 2);				/* outside IRQ2: edge as any */
	CHECK(khv_pic_ack(&p) == 0x3f,
	      "IRQ2 with nothing in the slave: the slave's spurious 0x3f");
	CHECK(p.chip[0].isr == 0x24, "ISR %#x", p.chip[0].isr);
	p.acked = 0;
	out(&p, M_CMD, 0x65);			/* specific EOI 5 */
	CHECK(p.chip[0].isr == 0x04 && p.acked == 0x20, "5 ended only");
	p.acked = 0;
	out(&p, M_CMD, 0x65);
	out(&p, M_CMD, 0x67);
	CHECK(p.acked == 0, "EOI of a level not in service: no ack");
	out(&p, M_CMD, 0x62);
	CHECK(p.chip[0].isr == 0, "2 ended");
	/* non-specific EOI with nothing in service does nothing */
	p.acked = 0;
	out(&p, M_CMD, 0x20);
	CHECK(p.acked == 0 && p.chip[0].priority_add == 0, "no-op EOI");
	out(&p, M_CMD, 0x40);			/* OCW2 no operation */
	CHECK(p.chip[0].isr == 0 && p.chip[0].priority_add == 0, "NOP");
	CHECK(khv_pic_ack(&p) == 0x36, "IRQ6 was waiting");
	return KSFT_PASS;
}

/* Rotation: on EOI, on specific EOI, set priority, in AEOI. */
static int t_rotation(void)
{
	struct khv_pic p = fresh_linux();

	pulse(&p, 3);
	CHECK(khv_pic_ack(&p) == 0x33, "IRQ3");
	out(&p, M_CMD, 0xa0);			/* rotate on non-specific EOI */
	CHECK(p.chip[0].priority_add == 4, "3 is now lowest: %d",
	      p.chip[0].priority_add);
	CHECK(p.chip[0].isr == 0, "and ended");
	pulse(&p, 0);
	pulse(&p, 3);
	pulse(&p, 4);
	CHECK(khv_pic_ack(&p) == 0x34, "4 first");
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_ack(&p) == 0x30, "then 0");
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_ack(&p) == 0x33, "3 last");
	out(&p, M_CMD, 0x20);

	/* set priority: L becomes lowest, nothing ends */
	pulse(&p, 4);
	pulse(&p, 6);
	out(&p, M_CMD, 0xc4);
	CHECK(p.chip[0].priority_add == 5, "priority_add %d",
	      p.chip[0].priority_add);
	CHECK(khv_pic_ack(&p) == 0x36, "6 before 4 (order 5 6 7 0 1 2 3 4)");
	/* rotate on specific EOI: ends L and makes it lowest */
	p.acked = 0;
	out(&p, M_CMD, 0xe6);
	CHECK(p.chip[0].isr == 0 && p.chip[0].priority_add == 7 &&
	      p.acked == 0x40, "ended 6, 7 is highest... %d",
	      p.chip[0].priority_add);
	CHECK(khv_pic_ack(&p) == 0x34, "IRQ4");
	out(&p, M_CMD, 0x20);

	/* the highest level with rotation: non-specific EOI picks by rank */
	out(&p, M_CMD, 0xc1);			/* 2 highest: 2..7,0,1 */
	pulse(&p, 1);
	pulse(&p, 6);
	CHECK(khv_pic_ack(&p) == 0x36, "6 outranks 1 now");
	pulse(&p, 3);
	CHECK(khv_pic_ack(&p) == 0x33, "3 outranks 6 in service");
	out(&p, M_CMD, 0x20);
	CHECK(p.chip[0].isr == 0x40, "EOI ended 3, the most urgent: %#x",
	      p.chip[0].isr);
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_ack(&p) == 0x31, "1 last");
	return KSFT_PASS;
}

static int t_auto_eoi(void)
{
	struct khv_pic p;

	khv_pic_reset(&p);
	init_linux(&p, true);
	p.acked = 0;
	pulse(&p, 3);
	CHECK(khv_pic_ack(&p) == 0x33, "IRQ3");
	CHECK(p.chip[0].isr == 0 && p.acked == 0x08, "AEOI: ended at once");
	CHECK(p.chip[0].priority_add == 0, "no rotation by default");
	out(&p, M_CMD, 0x80);			/* rotate in AEOI set */
	CHECK(p.chip[0].rotate_on_auto_eoi, "set");
	pulse(&p, 3);
	pulse(&p, 1);
	CHECK(khv_pic_ack(&p) == 0x31, "IRQ1");
	CHECK(p.chip[0].priority_add == 2, "1 lowest now");
	CHECK(khv_pic_ack(&p) == 0x33, "IRQ3");
	CHECK(p.chip[0].priority_add == 4, "3 lowest now");
	out(&p, M_CMD, 0x00);			/* rotate in AEOI clear */
	CHECK(!p.chip[0].rotate_on_auto_eoi, "clear");
	pulse(&p, 5);
	CHECK(khv_pic_ack(&p) == 0x35 && p.chip[0].priority_add == 4,
	      "no rotation");
	/* the slave's interrupt: master ends at once, slave does not */
	pulse(&p, 9);
	CHECK(khv_pic_ack(&p) == 0x39, "IRQ9");
	CHECK(p.chip[0].isr == 0 && p.chip[1].isr == 0x02, "ISRs %#x %#x",
	      p.chip[0].isr, p.chip[1].isr);
	return KSFT_PASS;
}

static int t_ocw3_reads(void)
{
	struct khv_pic p = fresh_linux();

	pulse(&p, 3);
	pulse(&p, 6);
	khv_pic_ack(&p);
	out(&p, M_DATA, 0xa5);
	CHECK(in(&p, M_CMD) == 0x40, "IRR by default: %#x", in(&p, M_CMD));
	out(&p, M_CMD, 0x0b);
	CHECK(in(&p, M_CMD) == 0x08, "ISR");
	CHECK(in(&p, M_CMD) == 0x08, "the choice sticks");
	out(&p, M_CMD, 0x08);			/* RR = 0: no change */
	CHECK(in(&p, M_CMD) == 0x08, "still ISR");
	out(&p, M_CMD, 0x0a);
	CHECK(in(&p, M_CMD) == 0x40, "IRR again");
	CHECK(in(&p, M_DATA) == 0xa5, "IMR on A0 = 1");
	CHECK(in(&p, S_CMD) == 0 && in(&p, S_DATA) == 0, "slave");
	return KSFT_PASS;
}

static int t_poll(void)
{
	struct khv_pic p = fresh_linux();

	out(&p, M_CMD, 0x0c);			/* poll */
	CHECK(in(&p, M_CMD) == 0x07, "nothing: bit 7 clear");
	CHECK(!p.chip[0].poll, "one read only");
	pulse(&p, 5);
	pulse(&p, 6);
	out(&p, M_CMD, 0x0c);
	CHECK(in(&p, M_CMD) == 0x85, "level 5 requesting");
	CHECK(p.chip[0].isr == 0x20 && p.chip[0].irr == 0x40,
	      "acknowledged as by INTA: ISR %#x IRR %#x", p.chip[0].isr,
	      p.chip[0].irr);
	CHECK(in(&p, M_CMD) == 0x40, "next read is IRR again");
	out(&p, M_CMD, 0x0c);
	CHECK(in(&p, M_DATA) == 0x07, "6 is behind 5 in service (poll on A0=1)");
	out(&p, M_CMD, 0x20);
	out(&p, M_CMD, 0x0e);			/* poll and RR: poll wins */
	CHECK(in(&p, M_DATA) == 0x86, "level 6 through port 0x21");
	CHECK(p.chip[0].read_reg_select == 0, "RR=1 RIS=0 chose IRR");
	out(&p, M_CMD, 0x20);
	CHECK(p.chip[0].isr == 0 && !khv_pic_output(&p), "all served");

	/* a slave polled: its request to the master is used up */
	pulse(&p, 12);
	CHECK(p.chip[0].irr == 0x04, "cascade request");
	out(&p, S_CMD, 0x0c);
	CHECK(in(&p, S_CMD) == 0x84, "slave level 4");
	CHECK(p.chip[1].isr == 0x10 && p.chip[0].irr == 0 &&
	      p.chip[0].isr == 0, "slave ISR %#x master IRR %#x ISR %#x",
	      p.chip[1].isr, p.chip[0].irr, p.chip[0].isr);
	CHECK(!khv_pic_output(&p), "no INT left");
	/* polling the master first, then the slave */
	out(&p, S_CMD, 0x20);
	pulse(&p, 10);
	out(&p, M_CMD, 0x0c);
	CHECK(in(&p, M_CMD) == 0x82, "master says: the slave");
	out(&p, S_CMD, 0x0c);
	CHECK(in(&p, S_CMD) == 0x82, "slave level 2 (IRQ10)");
	CHECK(p.chip[0].isr == 0x04 && p.chip[1].isr == 0x04, "ISRs");
	/* poll in AEOI: acknowledged and ended */
	khv_pic_reset(&p);
	init_linux(&p, true);
	p.acked = 0;
	pulse(&p, 7);
	out(&p, M_CMD, 0x0c);
	CHECK(in(&p, M_CMD) == 0x87 && p.chip[0].isr == 0 && p.acked == 0x80,
	      "AEOI poll");
	return KSFT_PASS;
}

/* Special mask mode (OCW3 ESMM/SMM). */
static int t_special_mask(void)
{
	struct khv_pic p = fresh_linux();

	pulse(&p, 3);
	CHECK(khv_pic_ack(&p) == 0x33, "IRQ3 in service");
	pulse(&p, 5);
	CHECK(!khv_pic_output(&p), "5 held back by 3");
	out(&p, M_DATA, 0x08);			/* mask 3 */
	CHECK(!khv_pic_output(&p), "masking alone does not help");
	out(&p, M_CMD, 0x68);			/* set special mask */
	CHECK(p.chip[0].special_mask, "SMM on");
	CHECK(khv_pic_output(&p), "masked 3 no longer holds 5 back");
	CHECK(khv_pic_ack(&p) == 0x35, "IRQ5 while 3 is in service");
	CHECK(p.chip[0].isr == 0x28, "ISR %#x", p.chip[0].isr);
	/* an unmasked level in service still holds lower ones back */
	pulse(&p, 6);
	CHECK(!khv_pic_output(&p), "5 (unmasked, in service) blocks 6");
	out(&p, M_CMD, 0x65);
	CHECK(khv_pic_output(&p), "6 after 5 ends");
	out(&p, M_CMD, 0x0b);			/* ESMM clear: SMM untouched */
	CHECK(p.chip[0].special_mask, "reading ISR keeps the mode");
	out(&p, M_CMD, 0x48);
	out(&p, M_CMD, 0x28);			/* SMM=1 without ESMM */
	CHECK(!p.chip[0].special_mask, "ESMM clear: not set either");
	out(&p, M_CMD, 0x68);
	out(&p, M_CMD, 0x48);			/* reset special mask */
	CHECK(!p.chip[0].special_mask && !khv_pic_output(&p),
	      "SMM off: 3 blocks again");
	return KSFT_PASS;
}

/* Special fully nested mode on the master. */
static int t_sfnm(void)
{
	struct khv_pic p;
	int sfnm;

	for (sfnm = 0; sfnm < 2; sfnm++) {
		khv_pic_reset(&p);
		out(&p, M_CMD, 0x11);
		out(&p, M_DATA, 0x30);
		out(&p, M_DATA, 0x04);
		out(&p, M_DATA, sfnm ? 0x11 : 0x01);
		out(&p, S_CMD, 0x11);
		out(&p, S_DATA, 0x38);
		out(&p, S_DATA, 0x02);
		out(&p, S_DATA, 0x01);
		pulse(&p, 12);
		CHECK(khv_pic_ack(&p) == 0x3c, "IRQ12");
		pulse(&p, 9);		/* more urgent than 12 on the slave */
		CHECK(p.chip[0].irr & 4, "slave asks");
		CHECK(khv_pic_output(&p) == !!sfnm,
		      "sfnm %d: IR2 in service %s the slave's IRQ9", sfnm,
		      sfnm ? "lets through" : "holds back");
		if (sfnm) {
			CHECK(khv_pic_ack(&p) == 0x39, "nested IRQ9");
			CHECK(p.chip[1].isr == 0x12, "slave ISR %#x",
			      p.chip[1].isr);
		}
		/* a less urgent slave request stays behind the slave's ISR */
		pulse(&p, 15);
		CHECK(khv_pic_output(&p) == false, "IRQ15 waits");
	}
	return KSFT_PASS;
}

/* Spurious interrupts: requests gone by INTA time. */
static int t_spurious(void)
{
	struct khv_pic p = fresh_linux();

	/* level IRQ5 asserted then dropped before the CPU acknowledges */
	out(&p, M_ELCR, 0x20);
	khv_pic_set_irq(&p, 5, true);
	CHECK(khv_pic_output(&p), "INT");
	khv_pic_set_irq(&p, 5, false);
	CHECK(khv_pic_ack(&p) == 0x37, "spurious IRQ7");
	CHECK(p.chip[0].isr == 0, "IR7 not put in service");
	/* masked after INT rose */
	pulse(&p, 4);
	out(&p, M_DATA, 0x10);
	CHECK(khv_pic_ack(&p) == 0x37 && p.chip[0].isr == 0, "masked: IRQ7");
	out(&p, M_DATA, 0x00);
	CHECK(khv_pic_ack(&p) == 0x34, "IRQ4 still latched");
	out(&p, M_CMD, 0x20);
	/* the slave's request went away: IRQ15, with master IR2 in service */
	out(&p, S_ELCR, 0x04);			/* IRQ10 level */
	khv_pic_set_irq(&p, 10, true);
	CHECK(p.chip[0].irr == 0x04 && khv_pic_output(&p), "cascade up");
	khv_pic_set_irq(&p, 10, false);
	CHECK(khv_pic_ack(&p) == 0x3f, "spurious IRQ15");
	CHECK(p.chip[0].isr == 0x04 && p.chip[1].isr == 0,
	      "master IR2 in service, slave nothing");
	out(&p, M_CMD, 0x20);
	/* a real IRQ7 is in service; a spurious one is not */
	pulse(&p, 7);
	CHECK(khv_pic_ack(&p) == 0x37 && p.chip[0].isr == 0x80, "real IRQ7");
	/* acknowledging with nothing at all */
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_ack(&p) == 0x37 && p.chip[0].isr == 0, "idle INTA");
	return KSFT_PASS;
}

/* The cascade: the slave's vector, master IMR bit 2, outside IRQ2. */
static int t_cascade(void)
{
	struct khv_pic p = fresh_linux();

	pulse(&p, 12);
	CHECK(p.chip[1].irr == 0x10 && p.chip[0].irr == 0x04, "IRRs");
	CHECK(khv_pic_output(&p), "INT");
	CHECK(khv_pic_ack(&p) == 0x3c, "vector from the slave");
	CHECK(p.chip[0].isr == 0x04 && p.chip[1].isr == 0x10, "both ISRs");
	CHECK(p.chip[0].irr == 0 && p.chip[1].irr == 0, "IRRs clear");
	pulse(&p, 8);
	CHECK(p.chip[0].irr == 0x04, "slave INT up again (8 outranks 12)");
	CHECK(!khv_pic_output(&p), "master's IR2 in service holds it");
	out(&p, S_CMD, 0x20);
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_ack(&p) == 0x38, "IRQ8 after both EOIs");
	out(&p, S_CMD, 0x20);
	out(&p, M_CMD, 0x20);
	/* master IMR bit 2 masks the whole slave */
	out(&p, M_DATA, 0x04);
	pulse(&p, 9);
	CHECK(!khv_pic_output(&p), "cascade masked");
	CHECK(khv_pic_set_irq(&p, 2, true) == -1, "IRQ2 masked: -1");
	out(&p, M_DATA, 0x00);
	CHECK(khv_pic_ack(&p) == 0x39, "IRQ9");
	out(&p, S_CMD, 0x20);
	out(&p, M_CMD, 0x20);
	/* a master request outranks the slave's */
	pulse(&p, 10);
	pulse(&p, 1);
	CHECK(khv_pic_ack(&p) == 0x31, "IRQ1 before the slave");
	out(&p, M_CMD, 0x20);
	CHECK(khv_pic_ack(&p) == 0x3a, "then IRQ10");
	return KSFT_PASS;
}

static int t_ports(void)
{
	struct khv_pic p = fresh_linux(), before;
	u32 port, v32;
	u8 v;

	out(&p, M_DATA, 0x12);
	out(&p, S_DATA, 0x34);
	out(&p, M_ELCR, 0x28);
	out(&p, S_ELCR, 0x06);
	CHECK(in(&p, M_DATA) == 0x12 && in(&p, S_DATA) == 0x34, "IMRs");
	CHECK(in(&p, M_ELCR) == 0x28 && in(&p, S_ELCR) == 0x06, "ELCRs");
	before = p;
	for (port = 0; port <= 0xffff; port++) {
		if (port == 0x20 || port == 0x21 || port == 0xa0 ||
		    port == 0xa1 || port == 0x4d0 || port == 0x4d1)
			continue;
		v = 0x5a;
		CHECK(khv_pic_read(&p, port, &v) == -EINVAL && v == 0x5a,
		      "read %#x", port);
		CHECK(khv_pic_write(&p, port, 0x11) == -EINVAL,
		      "write %#x", port);
		v32 = 0x5a;
		CHECK(khv_pic_pio_read(&p, port, 1, &v32) == -EINVAL &&
		      v32 == 0x5a, "pio read %#x", port);
		CHECK(khv_pic_pio_write(&p, port, 1, 0x11) == -EINVAL,
		      "pio write %#x", port);
	}
	CHECK(!memcmp(&p, &before, sizeof(p)), "other ports changed nothing");

	/* wider accesses: dropped, reads 0, no poll side effect */
	pulse(&p, 6);
	out(&p, M_CMD, 0x0c);
	before = p;
	for (v = 0; v <= 8; v++) {
		if (v == 1)
			continue;
		v32 = 0xdeadbeef;
		CHECK(khv_pic_pio_read(&p, M_CMD, v, &v32) == 0 && v32 == 0,
		      "len %u read 0", v);
		CHECK(khv_pic_pio_write(&p, M_DATA, v, 0xff) == 0,
		      "len %u write", v);
		CHECK(khv_pic_pio_write(&p, M_CMD, v, 0x11) == 0,
		      "len %u ICW1", v);
	}
	CHECK(!memcmp(&p, &before, sizeof(p)), "wide accesses changed nothing");
	CHECK(khv_pic_pio_read(&p, M_CMD, 1, &v32) == 0 && v32 == 0x86,
	      "byte poll read: %#x", v32);
	CHECK(khv_pic_pio_write(&p, M_DATA, 1, 0x1ff) == 0 &&
	      in(&p, M_DATA) == 0xff, "byte write takes the low byte");
	CHECK(khv_pic_pio_write(&p, S_ELCR, 1, 0xff) == 0 &&
	      khv_pic_pio_read(&p, S_ELCR, 1, &v32) == 0 && v32 == 0xde,
	      "ELCR through pio");
	return KSFT_PASS;
}

static int t_state(void)
{
	struct khv_pic p = fresh_linux(), q, before;
	struct kvm_pic_state s, t;
	int n;

	/* a busy state: requests, service, rotation, modes */
	out(&p, M_ELCR, 0x20);
	khv_pic_set_irq(&p, 5, true);
	pulse(&p, 3);
	pulse(&p, 12);
	khv_pic_ack(&p);
	out(&p, M_CMD, 0xc2);
	out(&p, M_CMD, 0x0b);
	out(&p, S_CMD, 0x6c);
	out(&p, S_DATA, 0x40);
	khv_pic_reset(&q);
	for (n = 0; n < 2; n++) {
		khv_pic_get_state(&p, n, &s);
		CHECK(khv_pic_set_state(&q, n, &s) == 0, "set chip %d", n);
		khv_pic_get_state(&q, n, &t);
		CHECK(!memcmp(&s, &t, sizeof(s)), "chip %d round trip", n);
	}
	CHECK(!memcmp(q.chip, p.chip, sizeof(p.chip)), "same chips");
	CHECK(khv_pic_output(&q) == khv_pic_output(&p), "same output");
	CHECK(khv_pic_ack(&q) == khv_pic_ack(&p), "same next vector");
	CHECK(in(&q, S_CMD) == in(&p, S_CMD), "same poll answer");

	/* bad states: refused, nothing changes */
	before = q;
	khv_pic_get_state(&q, 0, &s);
#define BAD(field, val)							\
	do {								\
		t = s;							\
		t.field = val;						\
		CHECK(khv_pic_set_state(&q, 0, &t) == -EINVAL,		\
		      #field " = %d refused", val);			\
		CHECK(!memcmp(&q, &before, sizeof(q)),			\
		      #field " = %d changed nothing", val);		\
	} while (0)
	BAD(init_state, 4);
	BAD(init_state, 255);
	BAD(priority_add, 8);
	BAD(priority_add, 255);
	BAD(irq_base, 0x31);
	BAD(irq_base, 0x07);
	BAD(read_reg_select, 2);
	BAD(poll, 2);
	BAD(special_mask, 255);
	BAD(auto_eoi, 2);
	BAD(rotate_on_auto_eoi, 3);
	BAD(special_fully_nested_mode, 0x80);
	BAD(init4, 2);
#undef BAD
	CHECK(khv_pic_set_state(&q, 2, &s) == -EINVAL, "chip 2");
	CHECK(khv_pic_set_state(&q, -1, &s) == -EINVAL, "chip -1");
	CHECK(!memcmp(&q, &before, sizeof(q)), "unchanged");

	/* the ELCR's fixed bits are the chipset's, not the state's */
	t = s;
	t.elcr_mask = 0xff;
	t.elcr = 0xff;
	CHECK(khv_pic_set_state(&q, 0, &t) == 0, "accepted");
	khv_pic_get_state(&q, 0, &t);
	CHECK(t.elcr_mask == 0xf8 && t.elcr == 0xf8, "mask %#x elcr %#x",
	      t.elcr_mask, t.elcr);
	khv_pic_get_state(&q, 1, &t);
	t.elcr_mask = 0;
	t.elcr = 0xff;
	CHECK(khv_pic_set_state(&q, 1, &t) == 0, "slave accepted");
	CHECK(in(&q, S_ELCR) == 0xde && q.chip[1].elcr_mask == 0xde,
	      "slave ELCR %#x", in(&q, S_ELCR));

	/* restoring a slave with a request raises the master's IR2 */
	khv_pic_reset(&q);
	init_linux(&q, false);
	khv_pic_get_state(&q, 1, &t);
	t.irr = 0x01;
	CHECK(khv_pic_set_state(&q, 1, &t) == 0, "slave with IRQ8");
	CHECK(q.chip[0].irr == 0x04 && khv_pic_output(&q), "output up");
	CHECK(khv_pic_ack(&q) == 0x38, "IRQ8");

	/* a state mid-initialization continues there */
	khv_pic_reset(&q);
	out(&q, M_CMD, 0x11);
	khv_pic_get_state(&q, 0, &t);
	khv_pic_reset(&p);
	CHECK(khv_pic_set_state(&p, 0, &t) == 0, "mid-init state");
	out(&p, M_DATA, 0x48);
	out(&p, M_DATA, 0x04);
	out(&p, M_DATA, 0x01);
	CHECK(p.chip[0].irq_base == 0x48 && p.chip[0].init_state == 0,
	      "finished the sequence");
	return KSFT_PASS;
}

/* A small deterministic PRNG for the sweeps (xorshift32). */
static u32 rnd_state = 0x2545f491;

static u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Invariants no guest or user input may break. */
static int check_sane(const struct khv_pic *p, int step)
{
	int n;

	for (n = 0; n < 2; n++) {
		const struct kvm_pic_state *c = &p->chip[n];

		CHECK(c->elcr_mask == (n ? 0xde : 0xf8) &&
		      !(c->elcr & ~c->elcr_mask), "step %d chip %d ELCR", step,
		      n);
		CHECK(c->init_state <= 3 && c->priority_add <= 7 &&
		      !(c->irq_base & 7), "step %d chip %d ranges", step, n);
		CHECK(c->read_reg_select <= 1 && c->poll <= 1 &&
		      c->special_mask <= 1 && c->auto_eoi <= 1 &&
		      c->rotate_on_auto_eoi <= 1 &&
		      c->special_fully_nested_mode <= 1 && c->init4 <= 1,
		      "step %d chip %d flags", step, n);
	}
	return KSFT_PASS;
}

static int t_hostile_sweep(void)
{
	static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	struct khv_pic p, q;
	struct kvm_pic_state s;
	int step, n, vec;
	u8 v;

	khv_pic_reset(&p);
	init_linux(&p, false);
	for (step = 0; step < 200000; step++) {
		u32 r = rnd();
		u16 port = ports[(r >> 8) % ARRAY_SIZE(ports)];

		switch (r & 7) {
		case 0:
		case 1:
			out(&p, port, rnd());
			break;
		case 2:
			khv_pic_read(&p, port, &v);
			break;
		case 3:
		case 4:
			khv_pic_set_irq(&p, (r >> 12) & 15, r & 0x10000);
			break;
		case 5:
			if (khv_pic_output(&p)) {
				vec = khv_pic_ack(&p);
				CHECK(vec >= 0 && vec <= 255, "vector %d", vec);
				CHECK((vec & ~7) == p.chip[0].irq_base ||
				      (vec & ~7) == p.chip[1].irq_base,
				      "step %d: vector %#x from a base", step,
				      vec);
			}
			break;
		case 6:
			/* the mode bits a guest may never reach otherwise */
			out(&p, (r & 0x100) ? 0x20 : 0xa0, 0x08 | (r & 0x67));
			break;
		case 7:
			/* save and restore both chips mid-flight */
			khv_pic_reset(&q);
			for (n = 0; n < 2; n++) {
				khv_pic_get_state(&p, n, &s);
				CHECK(khv_pic_set_state(&q, n, &s) == 0,
				      "step %d restore chip %d", step, n);
			}
			CHECK(!memcmp(q.chip, p.chip, sizeof(p.chip)),
			      "step %d round trip", step);
			break;
		}
		if (check_sane(&p, step) != KSFT_PASS)
			return KSFT_FAIL;
		p.acked = 0;
	}
	/* random user states: either refused or sane afterwards */
	for (step = 0; step < 20000; step++) {
		u8 *b = (u8 *)&s;
		size_t i;

		for (i = 0; i < sizeof(s); i++)
			b[i] = (rnd() & 3) ? rnd() & 1 : rnd();
		n = rnd() & 1;
		q = p;
		if (khv_pic_set_state(&p, n, &s)) {
			CHECK(!memcmp(&p, &q, sizeof(p)), "refused: unchanged");
			continue;
		}
		if (check_sane(&p, step) != KSFT_PASS)
			return KSFT_FAIL;
		vec = khv_pic_ack(&p);
		CHECK(vec >= 0 && vec <= 255, "vector %d", vec);
	}
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "pic_reset", t_reset },
	{ "pic_init_linux", t_init_linux },
	{ "pic_init_seabios", t_init_seabios },
	{ "pic_icw_sequence", t_icw_sequence },
	{ "pic_icw1_effects", t_icw1_effects },
	{ "pic_edge", t_edge },
	{ "pic_elcr_level", t_elcr_level },
	{ "pic_priority_eoi", t_priority_eoi },
	{ "pic_rotation", t_rotation },
	{ "pic_auto_eoi", t_auto_eoi },
	{ "pic_ocw3_reads", t_ocw3_reads },
	{ "pic_poll", t_poll },
	{ "pic_special_mask", t_special_mask },
	{ "pic_sfnm", t_sfnm },
	{ "pic_spurious", t_spurious },
	{ "pic_cascade", t_cascade },
	{ "pic_ports", t_ports },
	{ "pic_state", t_state },
	{ "pic_hostile_sweep", t_hostile_sweep },
};

int main(void)
{
	return KSFT_RUN(cases);
}
