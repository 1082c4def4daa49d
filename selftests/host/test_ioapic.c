// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/irq/ioapic.c: the IOAPIC's registers and pins,
 * and MSI decoding. Expectations come from the 82093AA datasheet (the
 * indirect registers, the redirection entry layout, edge/level and remote
 * IRR), the SDM's MSI address/data formats, and KVM's documented choices
 * (version 0x11 and 24 pins, arbitration reads the ID, absent registers
 * read all ones, KVM_IRQ_LINE_STATUS results, KVM_GET/SET_IRQCHIP,
 * KVM_CAP_X2APIC_API's destination format).
 */
#include <string.h>

#include "ksft.h"
#include "irq/ioapic.h"

#define SEL	KHV_IOAPIC_IOREGSEL
#define WIN	KHV_IOAPIC_IOWIN

/* redirection entry fields, spelled out from the datasheet */
#define R_LOGICAL	BIT_ULL(11)
#define R_DELIVS	BIT_ULL(12)
#define R_POLARITY	BIT_ULL(13)
#define R_RIRR		BIT_ULL(14)
#define R_LEVEL		BIT_ULL(15)
#define R_MASK		BIT_ULL(16)
#define R_DM(m)		((u64)(m) << 8)
#define R_DEST(d)	((u64)(d) << 56)

static u32 rd(struct khv_ioapic *io, u32 index)
{
	khv_ioapic_mmio_write(io, SEL, 4, index, NULL);
	return (u32)khv_ioapic_mmio_read(io, WIN, 4);
}

/* A write through IOWIN; returns what mmio_write returned. */
static int wr(struct khv_ioapic *io, u32 index, u32 val,
	      struct khv_irq_msg *msg)
{
	khv_ioapic_mmio_write(io, SEL, 4, index, NULL);
	return khv_ioapic_mmio_write(io, WIN, 4, val, msg);
}

static u64 rte_read(struct khv_ioapic *io, u32 pin)
{
	return (u64)rd(io, 0x11 + 2 * pin) << 32 | rd(io, 0x10 + 2 * pin);
}

/* Program an entry as a guest does: high dword first, low dword last. */
static int rte_write(struct khv_ioapic *io, u32 pin, u64 e,
		     struct khv_irq_msg *msg)
{
	wr(io, 0x11 + 2 * pin, e >> 32, NULL);
	return wr(io, 0x10 + 2 * pin, (u32)e, msg);
}

static bool msg_is(const struct khv_irq_msg *m, u32 dest, u8 vector,
		   u8 delivery, bool logical, bool level)
{
	return m->dest == dest && m->vector == vector &&
	       m->delivery == delivery && m->logical == logical &&
	       m->level == level && m->assert && !m->ipi &&
	       m->shorthand == KHV_SH_NONE;
}

static int t_reset(void)
{
	struct khv_ioapic io;
	u32 pin;

	memset(&io, 0x5a, sizeof(io));
	khv_ioapic_reset(&io);
	CHECK(io.s.base_address == 0xfec00000ULL, "base %#llx",
	      (unsigned long long)io.s.base_address);
	CHECK(io.s.ioregsel == 0 && io.s.id == 0 && io.s.irr == 0,
	      "registers 0");
	for (pin = 0; pin < 24; pin++)
		CHECK(rte_read(&io, pin) == R_MASK, "pin %u: %#llx", pin,
		      (unsigned long long)rte_read(&io, pin));
	CHECK(io.pending == 0 && io.deferred == 0 && io.irr_delivered == 0,
	      "no bookkeeping");
	CHECK(rd(&io, 0) == 0, "ID 0");
	CHECK(rd(&io, 1) == 0x00170011, "version %#x", rd(&io, 1));
	CHECK(rd(&io, 2) == 0, "arbitration");
	return KSFT_PASS;
}

static int t_registers(void)
{
	struct khv_ioapic io;
	u32 i;

	khv_ioapic_reset(&io);
	/* ID: bits 27:24 only */
	CHECK(wr(&io, 0, 0xffffffff, NULL) == 0, "ID write");
	CHECK(rd(&io, 0) == 0x0f000000, "ID %#x", rd(&io, 0));
	CHECK(io.s.id == 0xf, "state id %u", io.s.id);
	wr(&io, 0, 0x05000000, NULL);
	CHECK(rd(&io, 0) == 0x05000000, "ID 5");
	/* arbitration reads the ID (KVM), both are read-only there */
	CHECK(rd(&io, 2) == 0x05000000, "arb %#x", rd(&io, 2));
	wr(&io, 2, 0x0a000000, NULL);
	wr(&io, 1, 0, NULL);
	CHECK(rd(&io, 2) == 0x05000000 && rd(&io, 0) == 0x05000000,
	      "arbitration write ignored");
	CHECK(rd(&io, 1) == 0x00170011, "version read-only");
	/* IOREGSEL is 8 bits */
	khv_ioapic_mmio_write(&io, SEL, 4, 0x12345611, NULL);
	CHECK(khv_ioapic_mmio_read(&io, SEL, 4) == 0x11, "ioregsel %#llx",
	      (unsigned long long)khv_ioapic_mmio_read(&io, SEL, 4));
	/* no register at 0x03-0x0f and 0x40-0xff: all ones, writes dropped */
	for (i = 3; i <= 0xff; i++) {
		struct khv_ioapic before;

		if (i >= 0x10 && i < 0x40)
			continue;
		CHECK(rd(&io, i) == 0xffffffff, "index %#x reads %#x", i,
		      rd(&io, i));
		before = io;
		CHECK(khv_ioapic_mmio_write(&io, WIN, 4, 0, NULL) == 0,
		      "index %#x write", i);
		CHECK(!memcmp(&before, &io, sizeof(io)),
		      "index %#x: write changed something", i);
	}
	return KSFT_PASS;
}

static int t_redirection_entries(void)
{
	struct khv_ioapic io;
	u32 pin;
	u64 e;

	khv_ioapic_reset(&io);
	for (pin = 0; pin < 24; pin++) {
		/* everything writable but delivery status and remote IRR */
		e = 0xffffffffffffffffULL;
		rte_write(&io, pin, e, NULL);
		CHECK(rte_read(&io, pin) == (e & ~(R_DELIVS | R_RIRR)),
		      "pin %u: %#llx", pin,
		      (unsigned long long)rte_read(&io, pin));
		e = R_DEST(0x80 + pin) | R_LOGICAL | R_DM(1) | (0x40 + pin);
		rte_write(&io, pin, e | R_MASK, NULL);
		CHECK(rte_read(&io, pin) == (e | R_MASK), "pin %u: %#llx",
		      pin, (unsigned long long)rte_read(&io, pin));
		/* the two halves are independent registers */
		wr(&io, 0x11 + 2 * pin, 0x12000000, NULL);
		CHECK(rte_read(&io, pin) == ((e & 0xffffffffULL) | R_MASK |
					     R_DEST(0x12)), "pin %u high", pin);
	}
	/* the other pins were untouched by each pin's writes */
	for (pin = 0; pin < 24; pin++)
		CHECK((u8)rte_read(&io, pin) == 0x40 + pin, "pin %u vector",
		      pin);
	return KSFT_PASS;
}

/* MMIO offsets and lengths. */
static int t_mmio_access(void)
{
	struct khv_ioapic io, before;
	u32 off;
	u8 len;

	khv_ioapic_reset(&io);
	rte_write(&io, 3, R_DEST(0xab) | 0x01232567, NULL);
	khv_ioapic_mmio_write(&io, SEL, 4, 0x16, NULL);
	CHECK(khv_ioapic_mmio_read(&io, WIN, 4) == 0x01232567, "dword");
	CHECK(khv_ioapic_mmio_read(&io, WIN, 1) == 0x67, "byte");
	CHECK(khv_ioapic_mmio_read(&io, WIN, 2) == 0x2567, "word");
	CHECK(khv_ioapic_mmio_read(&io, WIN, 8) == 0x01232567,
	      "qword: the dword zero-extended");
	CHECK(khv_ioapic_mmio_read(&io, SEL, 1) == 0x16, "IOREGSEL byte");
	/* a byte write to IOWIN writes the whole register, zero-extended */
	khv_ioapic_mmio_write(&io, WIN, 1, 0xffffff21, NULL);
	CHECK(rd(&io, 0x16) == 0x21, "byte write %#x", rd(&io, 0x16));
	khv_ioapic_mmio_write(&io, SEL, 4, 0x16, NULL);
	khv_ioapic_mmio_write(&io, WIN, 2, 0xffff2321, NULL);
	CHECK(rd(&io, 0x16) == 0x2321, "word write");
	khv_ioapic_mmio_write(&io, SEL, 4, 0x16, NULL);
	khv_ioapic_mmio_write(&io, WIN, 8, 0xaaaaaaaa00012345ULL, NULL);
	CHECK(rd(&io, 0x16) == 0x00012345, "qword write: low dword only");
	khv_ioapic_mmio_write(&io, SEL, 1, 0x1ff, NULL);
	CHECK(io.s.ioregsel == 0xff, "IOREGSEL byte write");

	/* bad lengths: read 0, write nothing */
	khv_ioapic_mmio_write(&io, SEL, 4, 0x16, NULL);
	before = io;
	for (len = 0; len < 255; len++) {
		if (len == 1 || len == 2 || len == 4 || len == 8)
			continue;
		CHECK(khv_ioapic_mmio_read(&io, WIN, len) == 0, "len %u", len);
		CHECK(khv_ioapic_mmio_read(&io, SEL, len) == 0, "len %u", len);
		CHECK(khv_ioapic_mmio_write(&io, WIN, len, 0, NULL) == 0 &&
		      khv_ioapic_mmio_write(&io, SEL, len, 0, NULL) == 0,
		      "len %u write", len);
	}
	CHECK(!memcmp(&before, &io, sizeof(io)), "bad lengths changed nothing");
	/* every other offset (in the window, the page, and beyond): 0 */
	for (off = 1; off < 0x2000; off++) {
		if (off == WIN)
			continue;
		CHECK(khv_ioapic_mmio_read(&io, off, 4) == 0, "off %#x", off);
		CHECK(khv_ioapic_mmio_write(&io, off, 4, 0xffffffff, NULL) == 0,
		      "off %#x write", off);
	}
	CHECK(khv_ioapic_mmio_read(&io, 0xffffffff, 4) == 0, "huge offset");
	khv_ioapic_mmio_write(&io, 0xffffffff, 8, ~0ULL, NULL);
	khv_ioapic_mmio_write(&io, 0x80000010, 4, 0, NULL);
	CHECK(!memcmp(&before, &io, sizeof(io)), "other offsets changed nothing");
	return KSFT_PASS;
}

static int t_edge(void)
{
	struct khv_ioapic io;
	struct khv_irq_msg m;
	bool co;

	khv_ioapic_reset(&io);
	rte_write(&io, 4, R_DEST(1) | 0x34, NULL);	/* edge, fixed */
	memset(&m, 0, sizeof(m));
	CHECK(khv_ioapic_set_irq(&io, 4, true, &m, &co) == 1 && !co,
	      "rising edge sends");
	CHECK(msg_is(&m, 1, 0x34, KHV_DM_FIXED, false, false), "message");
	CHECK(io.last_pin == 4, "last pin");
	CHECK(io.s.irr == 0x10, "irr follows the input");
	CHECK(!(rte_read(&io, 4) & R_RIRR), "no remote IRR on edge");
	CHECK(khv_ioapic_set_irq(&io, 4, true, &m, &co) == 0 && co,
	      "held high: coalesced");
	CHECK(khv_ioapic_set_irq(&io, 4, false, &m, &co) == 0 && !co,
	      "falling edge: nothing");
	CHECK(io.s.irr == 0, "irr low");
	CHECK(khv_ioapic_set_irq(&io, 4, true, &m, NULL) == 1,
	      "next edge sends (coalesced may be NULL)");
	khv_ioapic_set_irq(&io, 4, false, NULL, NULL);
	/* masked: an edge is lost, unmasking does not bring it back */
	rte_write(&io, 4, R_DEST(1) | 0x34 | R_MASK, NULL);
	CHECK(khv_ioapic_set_irq(&io, 4, true, &m, &co) == 0 && !co,
	      "masked: nothing, not coalesced");
	CHECK(io.s.irr == 0x10, "level recorded");
	CHECK(rte_write(&io, 4, R_DEST(1) | 0x34, &m) == 0,
	      "unmasking an edge pin sends nothing");
	CHECK(khv_ioapic_set_irq(&io, 4, true, &m, &co) == 0 && co,
	      "still high: coalesced");
	/* an edge pin has nothing to EOI */
	CHECK(khv_ioapic_eoi(&io, 0x34, &m, 1) == 0, "EOI of an edge vector");
	/* edge pins and ExtINT / NMI delivery modes pass through */
	rte_write(&io, 5, R_DEST(0xff) | R_LOGICAL | R_DM(4) | 0x02, NULL);
	CHECK(khv_ioapic_set_irq(&io, 5, true, &m, &co) == 1, "NMI");
	CHECK(msg_is(&m, 0xff, 0x02, KHV_DM_NMI, true, false), "NMI message");
	rte_write(&io, 6, R_DM(7), NULL);
	CHECK(khv_ioapic_set_irq(&io, 6, true, &m, &co) == 1 &&
	      msg_is(&m, 0, 0, KHV_DM_EXTINT, false, false), "ExtINT");
	/* polarity is stored, and ignored: the input says "asserted" */
	rte_write(&io, 7, R_POLARITY | 0x47, NULL);
	CHECK(rte_read(&io, 7) & R_POLARITY, "polarity stored");
	CHECK(khv_ioapic_set_irq(&io, 7, false, &m, &co) == 0,
	      "low input: nothing");
	CHECK(khv_ioapic_set_irq(&io, 7, true, &m, &co) == 1 &&
	      m.vector == 0x47, "asserted: sends");
	return KSFT_PASS;
}

static int t_level(void)
{
	struct khv_ioapic io;
	struct khv_irq_msg m[24];
	bool co;

	khv_ioapic_reset(&io);
	rte_write(&io, 9, R_DEST(2) | R_LEVEL | R_LOGICAL | R_DM(1) | 0x59,
		  NULL);
	CHECK(khv_ioapic_set_irq(&io, 9, true, &m[0], &co) == 1 && !co,
	      "asserted: sends");
	CHECK(msg_is(&m[0], 2, 0x59, KHV_DM_LOWEST, true, true), "message");
	CHECK(rte_read(&io, 9) & R_RIRR, "remote IRR set");
	CHECK(khv_ioapic_set_irq(&io, 9, true, &m[0], &co) == 0 && !co,
	      "again, remote IRR set: nothing, and KVM says -1 not 0");
	/* EOI while still asserted: sent again */
	CHECK(khv_ioapic_eoi(&io, 0x58, m, 24) == 0, "another vector: no");
	CHECK(rte_read(&io, 9) & R_RIRR, "remote IRR kept");
	CHECK(khv_ioapic_eoi(&io, 0x59, m, 24) == 1, "EOI re-sends");
	CHECK(msg_is(&m[0], 2, 0x59, KHV_DM_LOWEST, true, true), "same msg");
	CHECK(rte_read(&io, 9) & R_RIRR, "remote IRR set again");
	/* deasserted, then EOI: remote IRR clear, nothing sent */
	CHECK(khv_ioapic_set_irq(&io, 9, false, &m[0], &co) == 0, "low");
	CHECK(rte_read(&io, 9) & R_RIRR, "deassert keeps remote IRR");
	CHECK(khv_ioapic_eoi(&io, 0x59, m, 24) == 0, "EOI: quiet");
	CHECK(!(rte_read(&io, 9) & R_RIRR), "remote IRR clear");
	CHECK(khv_ioapic_set_irq(&io, 9, true, &m[0], &co) == 1,
	      "next assertion sends");
	/* masked while asserted; unmasking sends */
	khv_ioapic_eoi(&io, 0x59, m, 24);
	CHECK(!(rte_read(&io, 9) & R_RIRR) == false, "re-sent by EOI");
	khv_ioapic_set_irq(&io, 9, false, NULL, NULL);
	khv_ioapic_eoi(&io, 0x59, m, 24);
	wr(&io, 0x22, R_MASK | R_LEVEL | 0x59, NULL);
	CHECK(khv_ioapic_set_irq(&io, 9, true, &m[0], &co) == 0 && !co,
	      "masked: nothing");
	CHECK(!(rte_read(&io, 9) & R_RIRR), "no remote IRR while masked");
	CHECK(wr(&io, 0x22, R_LEVEL | 0x59, &m[0]) == 1,
	      "unmasking an asserted level pin sends");
	CHECK(io.last_pin == 9 && m[0].vector == 0x59 && m[0].level,
	      "from pin 9");
	CHECK(rte_read(&io, 9) & R_RIRR, "and sets remote IRR");
	CHECK(wr(&io, 0x22, R_LEVEL | 0x59, &m[0]) == 0,
	      "rewriting with remote IRR set: nothing");
	/* a write never sets or clears remote IRR of a level entry... */
	CHECK(wr(&io, 0x22, R_LEVEL | R_RIRR | R_DELIVS | 0x59, &m[0]) == 0 &&
	      (rte_read(&io, 9) & (R_RIRR | R_DELIVS)) == R_RIRR,
	      "read-only bits");
	/* ...but making it edge does (Linux's remote IRR unsticking) */
	CHECK(wr(&io, 0x22, 0x59, &m[0]) == 0, "to edge");
	CHECK(!(rte_read(&io, 9) & R_RIRR), "remote IRR cleared");
	CHECK(wr(&io, 0x22, R_LEVEL | 0x59, &m[0]) == 1,
	      "back to level, still asserted: sends");
	/* the pin's level bit is irr; a NULL msg leaves it owed */
	khv_ioapic_set_irq(&io, 9, false, NULL, NULL);
	khv_ioapic_eoi(&io, 0x59, m, 24);
	CHECK(khv_ioapic_set_irq(&io, 9, true, NULL, &co) == 0 && !co,
	      "no msg: owed");
	CHECK(io.pending == 1U << 9, "pending %#x", io.pending);
	CHECK(khv_ioapic_flush(&io, m, NULL, 24) == 1 && m[0].vector == 0x59,
	      "flushed");
	CHECK(io.pending == 0, "nothing owed");
	return KSFT_PASS;
}

/* The delivery's result: KVM sets remote IRR only when it was non-zero. */
static int t_delivered(void)
{
	struct khv_ioapic io;
	struct khv_irq_msg m;

	khv_ioapic_reset(&io);
	rte_write(&io, 10, R_LEVEL | 0x60, NULL);
	rte_write(&io, 11, 0x61, NULL);
	CHECK(khv_ioapic_set_irq(&io, 10, true, &m, NULL) == 1, "sent");
	khv_ioapic_delivered(&io, 10, 1);
	CHECK(rte_read(&io, 10) & R_RIRR, "taken by one: remote IRR");
	khv_ioapic_delivered(&io, 10, -1);
	CHECK(rte_read(&io, 10) & R_RIRR, "-1 (nobody addressed): KVM keeps it");
	khv_ioapic_delivered(&io, 10, 0);
	CHECK(!(rte_read(&io, 10) & R_RIRR), "0 (not taken): cleared");
	CHECK(khv_ioapic_set_irq(&io, 10, true, &m, NULL) == 1,
	      "so the next assertion sends");
	khv_ioapic_delivered(&io, 11, 0);
	khv_ioapic_delivered(&io, 24, 0);
	khv_ioapic_delivered(&io, 0xffffffff, 0);
	CHECK(rte_read(&io, 10) & R_RIRR, "other pins untouched");
	CHECK(rte_read(&io, 11) == 0x61, "edge pin untouched");
	return KSFT_PASS;
}

/* EOI of a vector shared by several pins; a too small array. */
static int t_eoi_shared(void)
{
	struct khv_ioapic io;
	struct khv_irq_msg m[24];
	u8 pins[24];
	u32 pin;
	int n;

	khv_ioapic_reset(&io);
	for (pin = 0; pin < 24; pin++) {
		rte_write(&io, pin, R_DEST(pin) | R_LEVEL | 0x70, NULL);
		CHECK(khv_ioapic_set_irq(&io, pin, true, &m[0], NULL) == 1,
		      "pin %u sent", pin);
		CHECK(m[0].dest == pin, "pin %u dest", pin);
	}
	CHECK(khv_ioapic_vector_pins(&io, 0x70) == 0xffffff, "vector pins");
	CHECK(khv_ioapic_vector_pins(&io, 0x71) == 0, "none");
	/* pins 0-4 went quiet, pin 5 masked: not re-sent */
	for (pin = 0; pin < 5; pin++)
		khv_ioapic_set_irq(&io, pin, false, NULL, NULL);
	wr(&io, 0x10 + 10, R_MASK | R_LEVEL | 0x70, NULL);
	n = khv_ioapic_eoi_pins(&io, 0x70, m, pins, 24);
	CHECK(n == 18, "%d re-sent", n);
	for (pin = 0; pin < 18; pin++)
		CHECK(pins[pin] == pin + 6 && m[pin].dest == pin + 6,
		      "msg %u from pin %u", pin, pins[pin]);
	for (pin = 0; pin < 24; pin++)
		CHECK(!!(rte_read(&io, pin) & R_RIRR) == (pin >= 6),
		      "pin %u remote IRR", pin);
	/* room for 4: the other 14 wait in pending */
	n = khv_ioapic_eoi_pins(&io, 0x70, m, pins, 4);
	CHECK(n == 4 && pins[3] == 9, "%d, last pin %u", n, pins[3]);
	CHECK(io.pending == (0xffffffU & ~0x3ffU), "pending %#x", io.pending);
	/* a pin owed that went quiet meanwhile is dropped */
	khv_ioapic_set_irq(&io, 23, false, NULL, NULL);
	n = khv_ioapic_flush(&io, m, pins, 24);
	CHECK(n == 13 && pins[0] == 10 && pins[12] == 22, "flushed %d", n);
	CHECK(io.pending == 0, "nothing owed");
	CHECK(khv_ioapic_flush(&io, m, pins, 24) == 0, "flush again: none");
	/* NULL arrays: all owed */
	n = khv_ioapic_eoi(&io, 0x70, NULL, 0);
	CHECK(n == 0 && io.pending == (0x7fffffU & ~0x3fU), "owed %#x",
	      io.pending);
	n = khv_ioapic_flush(&io, m, NULL, 24);
	CHECK(n == 17, "flushed %d", n);
	return KSFT_PASS;
}

/* The interrupt storm guard. */
static int t_storm(void)
{
	struct khv_ioapic io;
	struct khv_irq_msg m[24];
	u8 pins[24];
	int i;

	khv_ioapic_reset(&io);
	rte_write(&io, 3, R_LEVEL | 0x83, NULL);
	rte_write(&io, 4, R_LEVEL | 0x84, NULL);
	khv_ioapic_set_irq(&io, 3, true, &m[0], NULL);
	khv_ioapic_set_irq(&io, 4, true, &m[0], NULL);
	/* pin 4: a guest that quiets the device now and then: never held */
	for (i = 1; i < 3 * KHV_IOAPIC_STORM_EOIS; i++) {
		if (i % 5000 == 0) {
			khv_ioapic_set_irq(&io, 4, false, NULL, NULL);
			CHECK(khv_ioapic_eoi(&io, 0x84, m, 24) == 0, "quiet");
			khv_ioapic_set_irq(&io, 4, true, &m[0], NULL);
			continue;
		}
		CHECK(khv_ioapic_eoi(&io, 0x84, m, 24) == 1,
		      "EOI %d of pin 4 re-sends", i);
	}
	CHECK(io.deferred == 0, "no storm on pin 4");
	for (i = 1; i < KHV_IOAPIC_STORM_EOIS; i++)
		CHECK(khv_ioapic_eoi(&io, 0x83, m, 24) == 1,
		      "EOI %d re-sends", i);
	CHECK(khv_ioapic_eoi(&io, 0x83, m, 24) == 0, "the 10000th is held");
	CHECK(io.deferred == 1U << 3, "deferred %#x", io.deferred);
	CHECK(!(rte_read(&io, 3) & R_RIRR), "remote IRR clear meanwhile");
	/* the timer fires: every asserted level pin free to send does */
	CHECK(khv_ioapic_eoi_deferred(&io, m, pins, 24) == 1 && pins[0] == 3,
	      "sent when the timer fires");
	CHECK(io.deferred == 0, "cleared");
	CHECK(rte_read(&io, 3) & R_RIRR, "waiting for EOI again");
	/* the count restarted */
	CHECK(khv_ioapic_eoi(&io, 0x83, m, 24) == 1, "EOIs re-send again");
	/* a deferred pin that went quiet or got EOI'd is not sent twice */
	khv_ioapic_set_irq(&io, 3, false, NULL, NULL);
	CHECK(khv_ioapic_eoi_deferred(&io, m, pins, 24) == 0,
	      "pin 3 waits for its EOI, pin 4 too");
	khv_ioapic_eoi(&io, 0x83, m, 24);
	CHECK(khv_ioapic_eoi_deferred(&io, m, pins, 24) == 0, "pin 3 quiet");
	/* reset and set_state drop the guard's state */
	io.deferred = 1;
	io.eoi_resent[4] = 9999;
	khv_ioapic_reset(&io);
	CHECK(io.deferred == 0 && io.eoi_resent[4] == 0, "reset clears");
	return KSFT_PASS;
}

static int t_hostile_pins(void)
{
	static const u32 bad[] = { 24, 25, 31, 32, 63, 64, 255, 0x10000,
				   0x7fffffff, 0x80000000, 0xffffffff };
	struct khv_ioapic io, before;
	struct khv_irq_msg m;
	unsigned int i;
	bool co;

	khv_ioapic_reset(&io);
	rte_write(&io, 0, 0x20, NULL);
	before = io;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		co = true;
		CHECK(khv_ioapic_set_irq(&io, bad[i], true, &m, &co) == -EINVAL,
		      "pin %#x", bad[i]);
		CHECK(!co, "pin %#x: coalesced false", bad[i]);
		CHECK(khv_ioapic_set_irq(&io, bad[i], false, &m, NULL) ==
		      -EINVAL, "pin %#x low", bad[i]);
		khv_ioapic_delivered(&io, bad[i], 0);
		CHECK(!memcmp(&before, &io, sizeof(io)), "pin %#x: unchanged",
		      bad[i]);
	}
	return KSFT_PASS;
}

static int t_state(void)
{
	/* static: three of them exceed a kernel stack frame under KASAN */
	static struct khv_ioapic io, io2, before;
	struct kvm_ioapic_state s, t;
	struct khv_irq_msg m[24];
	u8 pins[24];
	int n;

	khv_ioapic_reset(&io);
	wr(&io, 0, 0x03000000, NULL);
	rte_write(&io, 1, R_DEST(3) | 0x31, NULL);		/* edge */
	rte_write(&io, 2, R_DEST(3) | 0x32 | R_MASK, NULL);	/* masked */
	rte_write(&io, 3, R_DEST(3) | R_LEVEL | 0x33, NULL);	/* level */
	rte_write(&io, 4, R_DEST(3) | R_LEVEL | 0x34, NULL);	/* level */
	rte_write(&io, 5, R_DEST(3) | 0x35, NULL);		/* edge */
	khv_ioapic_set_irq(&io, 1, true, &m[0], NULL);	/* sent, still high */
	khv_ioapic_set_irq(&io, 2, true, &m[0], NULL);	/* masked */
	khv_ioapic_set_irq(&io, 3, true, &m[0], NULL);	/* sent, remote IRR */
	khv_ioapic_set_irq(&io, 4, true, &m[0], NULL);
	khv_ioapic_delivered(&io, 4, 0);		/* nobody took it */
	khv_ioapic_mmio_write(&io, SEL, 4, 0x17, NULL);
	khv_ioapic_get_state(&io, &s);
	CHECK(s.irr == 0x1c, "irr %#x: pin 1 delivered is not reported",
	      s.irr);
	CHECK(s.ioregsel == 0x17 && s.id == 3 &&
	      s.base_address == 0xfec00000ULL, "registers");
	CHECK(s.redirtbl[3].bits == (R_DEST(3) | R_LEVEL | R_RIRR | 0x33),
	      "pin 3 entry");
	/* restore into a fresh IOAPIC: pins in irr rise again */
	khv_ioapic_reset(&io2);
	CHECK(khv_ioapic_set_state(&io2, &s) == 0, "set");
	khv_ioapic_get_state(&io2, &t);
	CHECK(!memcmp(&s, &t, sizeof(s)), "round trip before flush");
	n = khv_ioapic_flush(&io2, m, pins, 24);
	CHECK(n == 1 && pins[0] == 4 && m[0].vector == 0x34,
	      "only pin 4 sends (2 masked, 3 waits for EOI): %d", n);
	khv_ioapic_get_state(&io2, &t);
	CHECK(t.irr == 0x1c && (t.redirtbl[4].bits & R_RIRR), "after flush");
	CHECK(khv_ioapic_set_irq(&io2, 1, true, &m[0], NULL) == 1,
	      "pin 1 was not reported high: its next assertion is an edge");
	khv_ioapic_get_state(&io2, &t);
	CHECK(!(t.irr & 2), "pin 1 sent: not reported");
	CHECK(khv_ioapic_set_irq(&io2, 1, true, &m[0], NULL) == 0,
	      "asserted again while high: coalesced");
	khv_ioapic_get_state(&io2, &t);
	CHECK(t.irr & 2, "the merged assertion was not sent: reported (KVM)");
	CHECK(io2.s.ioregsel == 0x17 && rd(&io2, 0) == 0x03000000, "regs");
	/* an edge pin restored asserted and not yet sent is sent */
	s.irr = 1U << 5;
	CHECK(khv_ioapic_set_state(&io2, &s) == 0, "set");
	CHECK(khv_ioapic_flush(&io2, m, pins, 24) == 1 && pins[0] == 5,
	      "edge pin 5");
	CHECK(khv_ioapic_set_irq(&io2, 5, true, &m[0], NULL) == 0,
	      "and its level is known: no new edge");

	/* refused: nothing changes */
	before = io2;
	t = s;
	t.ioregsel = 0x100;
	CHECK(khv_ioapic_set_state(&io2, &t) == -EINVAL, "ioregsel 0x100");
	t = s;
	t.ioregsel = 0xffffffff;
	CHECK(khv_ioapic_set_state(&io2, &t) == -EINVAL, "ioregsel ~0");
	t = s;
	t.id = 0x10;
	CHECK(khv_ioapic_set_state(&io2, &t) == -EINVAL, "id 0x10");
	t = s;
	t.id = 0xffffffff;
	CHECK(khv_ioapic_set_state(&io2, &t) == -EINVAL, "id ~0");
	CHECK(!memcmp(&before, &io2, sizeof(io2)), "unchanged");
	/* normalized: irr above pin 23, delivery status, edge remote IRR */
	t = s;
	t.irr = 0xff000000;
	t.pad = 0x1234;
	t.redirtbl[0].bits = R_DELIVS | R_RIRR | R_MASK | 0x40;
	t.redirtbl[1].bits = R_DELIVS | R_RIRR | R_LEVEL | R_MASK | 0x41;
	t.base_address = 0x12345000;
	CHECK(khv_ioapic_set_state(&io2, &t) == 0, "accepted");
	khv_ioapic_get_state(&io2, &s);
	CHECK(s.irr == 0 && s.pad == 0, "irr %#x", s.irr);
	CHECK(s.redirtbl[0].bits == (R_MASK | 0x40), "edge %#llx",
	      (unsigned long long)s.redirtbl[0].bits);
	CHECK(s.redirtbl[1].bits == (R_RIRR | R_LEVEL | R_MASK | 0x41),
	      "level %#llx", (unsigned long long)s.redirtbl[1].bits);
	CHECK(s.base_address == 0x12345000, "base kept");
	CHECK(khv_ioapic_flush(&io2, m, pins, 24) == 0, "nothing to send");
	/* pins 24-31 of irr never become pending */
	CHECK(io2.pending == 0, "pending %#x", io2.pending);
	return KSFT_PASS;
}

static int t_msi(void)
{
	struct khv_irq_msg m, keep;
	int x;

	/* physical, fixed, edge */
	CHECK(khv_msi_to_msg(0xfee01000, 0, 0x0041, false, &m) == 0, "ok");
	CHECK(msg_is(&m, 1, 0x41, KHV_DM_FIXED, false, false), "phys fixed");
	/* logical, lowest priority, level (assert bit 14 is not needed) */
	CHECK(khv_msi_to_msg(0xfeeff004, 0, 0x8151, false, &m) == 0 &&
	      msg_is(&m, 0xff, 0x51, KHV_DM_LOWEST, true, true), "logical");
	/* every delivery mode passes */
	for (x = 0; x < 8; x++)
		CHECK(khv_msi_to_msg(0xfee00000, 0, x << 8 | 0x20, false, &m) ==
		      0 && m.delivery == x, "delivery mode %d", x);
	/* redirection hint: logical fixed becomes lowest priority */
	CHECK(khv_msi_to_msg(0xfee0300c, 0, 0x0061, false, &m) == 0 &&
	      msg_is(&m, 3, 0x61, KHV_DM_LOWEST, true, false), "RH logical");
	CHECK(khv_msi_to_msg(0xfee03008, 0, 0x0061, false, &m) == 0 &&
	      msg_is(&m, 3, 0x61, KHV_DM_FIXED, false, false),
	      "RH physical: no redirection");
	CHECK(khv_msi_to_msg(0xfee0300c, 0, 0x0461, false, &m) == 0 &&
	      m.delivery == KHV_DM_NMI, "RH leaves NMI alone");
	/* without the x2APIC API: 8-bit destination, address_hi ignored */
	CHECK(khv_msi_to_msg(0xfee12fe0, 0xabcdef12, 0x30, false, &m) == 0 &&
	      m.dest == 0x12 && !m.ipi, "xAPIC: dest %#x", m.dest);
	/* x2APIC API: dest 31:8 from address_hi */
	CHECK(khv_msi_to_msg(0xfee34000, 0x12345600, 0x30, true, &m) == 0,
	      "x2apic ok");
	CHECK(m.dest == 0x12345634 && !m.ipi, "dest %#x", m.dest);
	CHECK(khv_msi_to_msg(0xfeeff000, 0xffffff00, 0x30, true, &m) == 0 &&
	      m.dest == 0xffffffff, "broadcast");
	/* address bits 11:5 (the guest's extended destination ID) are the
	 * VMM's to move into address_hi: KVM takes no destination from them */
	CHECK(khv_msi_to_msg(0xfee34fe0, 0, 0x30, true, &m) == 0 &&
	      m.dest == 0x34, "bits 11:5 in dest %#x", m.dest);
	CHECK(khv_msi_to_msg(0xfee34fe0, 0x100, 0x30, true, &m) == 0 &&
	      m.dest == 0x134, "address_hi only: %#x", m.dest);
	CHECK(khv_msi_to_msg(0xfee34fe0, 0, 0x30, false, &m) == 0 &&
	      m.dest == 0x34, "no x2APIC API: %#x", m.dest);
	/* reserved low byte of address_hi under the x2APIC API */
	memset(&keep, 0x77, sizeof(keep));
	for (x = 1; x < 0x100; x++) {
		m = keep;
		CHECK(khv_msi_to_msg(0xfee00000, x, 0x30, true, &m) == -EINVAL,
		      "address_hi %#x", x);
		CHECK(!memcmp(&m, &keep, sizeof(m)), "msg untouched");
		CHECK(khv_msi_to_msg(0xfee00000, x, 0x30, false, &m) == 0,
		      "ignored without the API");
	}
	/*
	 * Bits 31:20 are ignored, as KVM: QEMU's APIC MMIO window passes
	 * the offset into 0xfee00000 (0x1000 for APIC 1) to KVM_SIGNAL_MSI.
	 */
	{
		static const u32 base[] = { 0, 0xfed00000, 0x7ee00000,
					    0xfff00000, 0xfee00000 ^ 0x100000 };
		for (x = 0; x < (int)ARRAY_SIZE(base); x++) {
			m = keep;
			CHECK(khv_msi_to_msg(base[x] | 0x300c, 0, 0x8161, false,
					     &m) == 0 &&
			      msg_is(&m, 3, 0x61, KHV_DM_LOWEST, true, true),
			      "base %#x decodes as 0xfee", base[x]);
		}
	}
	CHECK(khv_msi_to_msg(0xfeefffff, 0, 0xffffffff, false, &m) == 0 &&
	      m.vector == 0xff && m.delivery == 7 && m.level && m.logical &&
	      m.dest == 0xff, "all bits");
	return KSFT_PASS;
}

/* A small deterministic PRNG for the sweep (xorshift32). */
static u32 rnd_state = 0x9e3779b9;

static u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static int check_sane(const struct khv_ioapic *io, int step)
{
	u32 pin;

	CHECK(io->s.ioregsel <= 0xff && io->s.id <= 0xf && io->s.irr <= 0xffffff,
	      "step %d registers", step);
	CHECK(!(io->pending & ~0xffffffU) && !(io->deferred & ~0xffffffU),
	      "step %d bookkeeping", step);
	for (pin = 0; pin < 24; pin++) {
		u64 e = io->s.redirtbl[pin].bits;

		CHECK(!(e & R_DELIVS), "step %d pin %u delivery status", step,
		      pin);
		CHECK((e & R_LEVEL) || !(e & R_RIRR),
		      "step %d pin %u: edge with remote IRR", step, pin);
	}
	return KSFT_PASS;
}

static int t_hostile_sweep(void)
{
	struct khv_ioapic io, io2;
	struct kvm_ioapic_state s;
	struct khv_irq_msg m[24];
	u8 pins[24];
	int step, n, i;
	bool co;

	khv_ioapic_reset(&io);
	for (step = 0; step < 200000; step++) {
		u32 r = rnd(), v = rnd();
		static const u8 lens[] = { 1, 2, 4, 8, 3, 0 };

		switch (r & 7) {
		case 0:
			/* mostly real registers, sometimes anything */
			v = (r & 0x100) ? v : (v & 0x3f);
			khv_ioapic_mmio_write(&io, SEL, lens[(r >> 9) % 6], v,
					      m);
			break;
		case 1:
		case 2:
			if (khv_ioapic_mmio_write(&io, (r & 0x200) ? WIN :
						  (r >> 16) & 0xfff,
						  lens[(r >> 10) % 6],
						  (u64)rnd() << 32 | v, m) == 1)
				CHECK(io.last_pin < 24, "last pin");
			break;
		case 3:
			(void)khv_ioapic_mmio_read(&io, (r & 0x200) ? WIN :
						   (r >> 16) & 0xfff,
						   lens[(r >> 10) % 6]);
			break;
		case 4:
		case 5:
			n = khv_ioapic_set_irq(&io, (r >> 8) % 26, r & 0x10000,
					       m, &co);
			CHECK(n == -EINVAL || n == 0 || n == 1, "set_irq %d",
			      n);
			if (n == 1 && (r & 0x20000))
				khv_ioapic_delivered(&io, io.last_pin, 0);
			break;
		case 6:
			n = khv_ioapic_eoi_pins(&io, v & 0xff, m, pins,
						(r >> 8) % 25);
			CHECK(n >= 0 && n <= 24, "eoi %d", n);
			for (i = 0; i < n; i++)
				CHECK(pins[i] < 24 &&
				      m[i].vector == (v & 0xff), "eoi msg %d", i);
			n = khv_ioapic_flush(&io, m, pins, 24);
			CHECK(io.pending == 0, "flushed all");
			break;
		case 7:
			khv_ioapic_get_state(&io, &s);
			khv_ioapic_reset(&io2);
			CHECK(khv_ioapic_set_state(&io2, &s) == 0, "restore");
			khv_ioapic_get_state(&io2, &s);
			khv_ioapic_get_state(&io, &s);
			break;
		}
		if (check_sane(&io, step) != KSFT_PASS)
			return KSFT_FAIL;
	}
	/* random user states: refused, or sane */
	for (step = 0; step < 20000; step++) {
		u8 *b = (u8 *)&s;
		size_t k;

		for (k = 0; k < sizeof(s); k++)
			b[k] = rnd();
		if (rnd() & 1) {
			s.ioregsel &= 0xff;
			s.id &= 0xf;
		}
		io2 = io;
		if (khv_ioapic_set_state(&io, &s)) {
			CHECK(!memcmp(&io2, &io, sizeof(io)), "refused: kept");
			continue;
		}
		if (check_sane(&io, step) != KSFT_PASS)
			return KSFT_FAIL;
		n = khv_ioapic_flush(&io, m, pins, 24);
		CHECK(n >= 0 && n <= 24, "flush %d", n);
		n = khv_ioapic_eoi(&io, rnd(), m, 24);
		CHECK(n >= 0 && n <= 24, "eoi %d", n);
		(void)khv_ioapic_mmio_read(&io, WIN, 4);
	}
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "ioapic_reset", t_reset },
	{ "ioapic_registers", t_registers },
	{ "ioapic_redirection_entries", t_redirection_entries },
	{ "ioapic_mmio_access", t_mmio_access },
	{ "ioapic_edge", t_edge },
	{ "ioapic_level", t_level },
	{ "ioapic_delivered", t_delivered },
	{ "ioapic_eoi_shared", t_eoi_shared },
	{ "ioapic_storm", t_storm },
	{ "ioapic_hostile_pins", t_hostile_pins },
	{ "ioapic_state", t_state },
	{ "ioapic_msi", t_msi },
	{ "ioapic_hostile_sweep", t_hostile_sweep },
};

int main(void)
{
	return KSFT_RUN(cases);
}
