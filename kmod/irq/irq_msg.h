/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An interrupt message on its way to local APICs: what an IOAPIC
 * redirection entry, an MSI or a local APIC's ICR says. The interrupt
 * controllers' pure files (lapic.c, ioapic.c, pic.c, pit.c) produce and
 * consume these; the glue (irqchip.c) routes them to vCPUs.
 */
#ifndef KHV_IRQ_MSG_H
#define KHV_IRQ_MSG_H

#include "khv_pure.h"

/* Delivery modes, as in ICR / redirection entry / MSI data bits 10:8. */
enum khv_irq_delivery {
	KHV_DM_FIXED	= 0,
	KHV_DM_LOWEST	= 1,
	KHV_DM_SMI	= 2,
	KHV_DM_NMI	= 4,
	KHV_DM_INIT	= 5,
	KHV_DM_SIPI	= 6,
	KHV_DM_EXTINT	= 7,
};

/* ICR destination shorthand, bits 19:18. */
enum khv_irq_shorthand {
	KHV_SH_NONE	= 0,
	KHV_SH_SELF	= 1,
	KHV_SH_ALL	= 2,	/* all including self */
	KHV_SH_OTHERS	= 3,	/* all excluding self */
};

struct khv_irq_msg {
	u32 dest;		/* APIC ID (physical) or MDA (logical) */
	u8 vector;
	u8 delivery;		/* enum khv_irq_delivery */
	u8 shorthand;		/* enum khv_irq_shorthand; 0 outside ICRs */
	bool logical;		/* destination mode */
	bool level;		/* trigger mode: level */
	bool assert;		/* level bit (INIT de-assert has it clear) */
	bool ipi;		/* from an ICR (the broadcast quirk spares IPIs) */
};

#endif /* KHV_IRQ_MSG_H */
