/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's interrupt output: a pin wired to one ISA interrupt line.
 * Several pins may share a line (the line is the OR of their levels,
 * struct irq_lines). The machine (vm.c) provides `set`; unit tests
 * provide a recorder.
 */
#ifndef KHV_VMM_IRQ_H
#define KHV_VMM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct irq_pin {
	void (*set)(void *ctx, unsigned int line, unsigned int source, int level);
	void *ctx;
	unsigned int line;	/* 0..15 */
	unsigned int source;	/* bit index among the line's sources */
};

static inline void irq_pin_set(const struct irq_pin *pin, int level)
{
	if (pin->set)
		pin->set(pin->ctx, pin->line, pin->source, level);
}

/* A short low-high pulse: an edge for an edge-triggered line. */
static inline void irq_pin_pulse(const struct irq_pin *pin)
{
	irq_pin_set(pin, 0);
	irq_pin_set(pin, 1);
}

#define IRQ_LINES 16
#define IRQ_LINE_SOURCES 16

/* The ISA lines, each the OR of the sources (pins) wired to it. */
struct irq_lines {
	uint16_t high[IRQ_LINES];	/* bit s: source s holds the line high */
	uint8_t nr_sources[IRQ_LINES];	/* sources handed out on each line */
};

/* A new source on `line` (0-15): its index, or -ENOSPC. */
int irq_lines_add_source(struct irq_lines *l, unsigned int line);
/* Drive a source; true when the line's level changed. */
bool irq_lines_set(struct irq_lines *l, unsigned int line, unsigned int source,
		   int level);
bool irq_lines_level(const struct irq_lines *l, unsigned int line);

#endif
