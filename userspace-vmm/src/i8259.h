/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The i8259A programmable interrupt controller pair of a PC: master at
 * 0x20-0x21 (IRQ 0-7), slave at 0xa0-0xa1 (IRQ 8-15) cascaded on master
 * IR2, and the PIIX edge/level control registers (ELCR) at 0x4d0-0x4d1.
 *
 * Edge-triggered inputs request on a rising edge and stop requesting when
 * the input falls before the acknowledge (as the datasheet requires the
 * input to stay high until INTA). Level-triggered inputs (ELCR bit set)
 * request while high. Pure state machine: the caller serialises access.
 */
#ifndef KHV_VMM_I8259_H
#define KHV_VMM_I8259_H

#include <stdbool.h>
#include <stdint.h>

struct pic_chip {
	uint8_t irr;		/* interrupt request register */
	uint8_t isr;		/* in-service register */
	uint8_t imr;		/* interrupt mask register (OCW1) */
	uint8_t input;		/* current level of the IR inputs */
	uint8_t elcr;		/* 1 = level-triggered input */
	uint8_t elcr_mask;	/* ELCR bits that may be set */
	uint8_t vector_base;	/* ICW2 & 0xf8 */
	uint8_t lowest_prio;	/* IR with the lowest priority (7 = no rotation) */
	uint8_t icw_step;	/* next ICW expected on the data port: 2, 3, 4 or 0 */
	bool icw4_needed;
	bool single;		/* ICW1.SNGL: no cascade */
	bool auto_eoi;		/* ICW4.AEOI */
	bool rotate_on_aeoi;
	bool read_isr;		/* OCW3.RIS: port 0 reads ISR instead of IRR */
	bool poll;		/* OCW3.P: next port 0 read is a poll */
	bool special_mask;	/* OCW3.SMM */
};

struct i8259 {
	struct pic_chip chip[2];	/* [0] master, [1] slave */
};

#define I8259_CASCADE_IRQ 2

void i8259_init(struct i8259 *pic);
/* Drive interrupt input `irq` (0-15) to `level`. */
void i8259_set_irq(struct i8259 *pic, unsigned int irq, int level);
/* True while the master's INT output is asserted. */
bool i8259_has_interrupt(const struct i8259 *pic);
/* The INTA cycle: the vector to inject (a spurious IR7 vector if nothing). */
uint8_t i8259_ack(struct i8259 *pic);
/* The IRQ (0-15) i8259_ack() would deliver now, or -1. */
int i8259_pending_irq(const struct i8259 *pic);

/* Bus handlers: opaque is the struct i8259. */
int i8259_master_io(void *opaque, uint64_t off, void *data, unsigned int len,
		    bool is_write);
int i8259_slave_io(void *opaque, uint64_t off, void *data, unsigned int len,
		   bool is_write);
int i8259_elcr_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write);

/* Byte-level register access, for tests and the handlers above. */
void i8259_write(struct i8259 *pic, unsigned int chip, unsigned int reg,
		 uint8_t val);
uint8_t i8259_read(struct i8259 *pic, unsigned int chip, unsigned int reg);

#endif
