/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The i8254 programmable interval timer at 0x40-0x43, input clock
 * 1.193182 MHz. Counters are computed from the time a count was loaded:
 * every function takes `now_ns` (CLOCK_MONOTONIC) so tests drive time.
 * Channel 0's OUT drives IRQ 0; channel 2's gate and OUT are bits 0 and 5
 * of system control port B (sysctl_ports.c). Binary counting only (the
 * BCD bit is stored and reported but counts are binary). Pure: the caller
 * serialises access.
 */
#ifndef KHV_VMM_I8254_H
#define KHV_VMM_I8254_H

#include "irq.h"

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182ULL

struct pit_channel {
	uint8_t mode;		/* 0-5 */
	uint8_t rw;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	uint32_t reload;	/* 1..65536 */
	bool loaded;		/* a count was written since the control word */
	bool running;		/* counting (gate allows, trigger seen) */
	bool gate;
	uint64_t start_ns;	/* when counting started from `reload` */
	uint64_t paused_ticks;	/* ticks elapsed when the gate paused mode 0/4 */
	bool null_count;
	bool write_msb;		/* rw 3: the LSB was written, the MSB is next */
	uint8_t write_lsb;
	bool read_msb;		/* rw 3: the next read returns the MSB */
	bool count_latched;
	uint16_t latch;
	uint8_t latch_reads;	/* bytes of the latched count still to read */
	bool latch_msb;		/* the next latched byte is the MSB */
	bool status_latched;
	uint8_t status;
	uint64_t edges_seen;	/* OUT rising edges already delivered (ch 0) */
};

struct i8254 {
	struct pit_channel ch[3];
	struct irq_pin irq0;	/* channel 0 OUT */
	bool irq_level;		/* what irq0 was last driven to */
};

void i8254_init(struct i8254 *pit, const struct irq_pin *irq0);

void i8254_write(struct i8254 *pit, unsigned int port, uint8_t val,
		 uint64_t now_ns);
uint8_t i8254_read(struct i8254 *pit, unsigned int port, uint64_t now_ns);

/* The counting element's value and OUT of a channel at `now_ns`. */
uint16_t i8254_count(const struct i8254 *pit, unsigned int ch, uint64_t now_ns);
bool i8254_out(const struct i8254 *pit, unsigned int ch, uint64_t now_ns);

void i8254_set_gate(struct i8254 *pit, unsigned int ch, bool gate,
		    uint64_t now_ns);

/*
 * Deliver channel 0's OUT rising edges up to `now_ns` as IRQ 0 edges
 * (edges missed in between coalesce into one, as a real PIC would) and
 * return the time of the next one, or 0 if none is due.
 */
uint64_t i8254_poll(struct i8254 *pit, uint64_t now_ns);

/* Bus handler (ports 0x40-0x43); opaque is the struct i8254. */
int i8254_io(void *opaque, uint64_t off, void *data, unsigned int len,
	     bool is_write);

/* Tick/nanosecond conversions at PIT_HZ. */
uint64_t pit_ns_to_ticks(uint64_t ns);
uint64_t pit_ticks_to_ns(uint64_t ticks);

#endif
