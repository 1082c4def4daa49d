/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's interrupt output: a pin wired to one ISA interrupt line.
 * Several pins may share a line (the line is the OR of their levels).
 * The machine (vm.c) provides `set`; unit tests provide a recorder.
 */
#ifndef KHV_VMM_IRQ_H
#define KHV_VMM_IRQ_H

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

#endif
