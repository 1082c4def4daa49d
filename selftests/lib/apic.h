/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side access to the in-kernel interrupt controllers for the
 * selftests: the xAPIC page, the IOAPIC's index/data window, port I/O.
 * Register offsets from the SDM (vol. 3, chapter 10) and the 82093AA
 * datasheet.
 */
#ifndef KHV_SELFTEST_APIC_H
#define KHV_SELFTEST_APIC_H

#include <stdint.h>
#include "guest.h"

#define APIC_BASE	0xfee00000ull
#define IOAPIC_BASE	0xfec00000ull

#define APIC_ID		0x20
#define APIC_VERSION	0x30
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

/* IOAPIC redirection entry bits */
#define IOAPIC_LEVEL	(1u << 15)
#define IOAPIC_MASKED	(1u << 16)
#define IOAPIC_RTE(pin)	(0x10 + 2 * (pin))

GUEST_CODE static __attribute__((unused)) uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_BASE + reg);
}

GUEST_CODE static __attribute__((unused)) void apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_BASE + reg) = val;
}

GUEST_CODE static __attribute__((unused)) void ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(IOAPIC_BASE) = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = val;
}

GUEST_CODE static __attribute__((unused)) uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(IOAPIC_BASE) = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}

GUEST_CODE static __attribute__((unused)) void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

GUEST_CODE static __attribute__((unused)) void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* The 8259 pair masked: KVM routes GSI 0-15 to it too, vector base 0. */
GUEST_CODE static __attribute__((unused)) void pic_off(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

#endif /* KHV_SELFTEST_APIC_H */
