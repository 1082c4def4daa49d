/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Intel MultiProcessor Specification 1.4 table that tells the guest
 * about its CPUs and interrupt wiring (for a machine with the in-kernel
 * irqchip): an MP floating pointer structure followed by the base
 * configuration table with
 *   - one processor entry per vCPU, local APIC ID = vCPU index, CPU 0
 *     the bootstrap processor;
 *   - the buses: PCI (bus ID 0, so that PCI interrupt entries name PCI
 *     bus 0 as Linux expects) when there is one, and ISA;
 *   - one I/O APIC, ID = the number of CPUs, at MPTABLE_IOAPIC_ADDR;
 *   - I/O interrupt entries: ISA IRQ n on I/O APIC pin n for each IRQ the
 *     caller lists (KVM's default GSI routing wires GSI n to pin n, so
 *     IRQ 0 is on pin 0, not pin 2 as on most boards), and each PCI INTx
 *     line on its pin, level-triggered and active low;
 *   - local interrupt entries: ExtINT on LINT0, NMI on LINT1, every CPU.
 * No extended entries, no OEM table. Pure: builds into a buffer.
 */
#ifndef KHV_VMM_MPTABLE_H
#define KHV_VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_LAPIC_ADDR 0xfee00000u
#define MPTABLE_IOAPIC_ADDR 0xfec00000u
#define MPTABLE_IOAPIC_PINS 24
#define MPTABLE_LAPIC_VERSION 0x14	/* what KVM's local APIC reports */
#define MPTABLE_IOAPIC_VERSION 0x11	/* what KVM's I/O APIC reports */
/* APIC IDs are 8 bits: CPUs 0..253, the I/O APIC 254, 255 is broadcast. */
#define MPTABLE_MAX_CPUS 254
#define MPTABLE_MAX_PCI_IRQS 32

/* Entry types and the fields tests look at. */
#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS 1
#define MP_ENTRY_IOAPIC 2
#define MP_ENTRY_IOINT 3
#define MP_ENTRY_LINT 4
#define MP_INT 0
#define MP_NMI 1
#define MP_EXTINT 3
#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
/* Interrupt entry flags: polarity bits 1:0, trigger mode bits 3:2. */
#define MP_IRQ_CONFORMING 0x0
#define MP_IRQ_LEVEL_LOW 0xf

#define MPF_BYTES 16
#define MPC_HEADER_BYTES 44

/* One PCI interrupt: device `slot` on bus 0, its pin (1 = INTA#), wired
 * to I/O APIC pin `ioapic_pin`. */
struct mptable_pci_irq {
	uint8_t slot;
	uint8_t pin;
	uint8_t ioapic_pin;
};

struct mptable_config {
	unsigned int nr_cpus;
	uint32_t cpu_signature;		/* CPUID 1 EAX: family, model, stepping */
	uint32_t cpu_features;		/* CPUID 1 EDX */
	uint16_t isa_irqs;		/* bit n: ISA IRQ n on I/O APIC pin n */
	int has_pci;
	const struct mptable_pci_irq *pci_irqs;
	unsigned int nr_pci_irqs;
};

/* Bytes mptable_build() writes for c: the floating pointer and the table. */
size_t mptable_size(const struct mptable_config *c);

/*
 * Write the floating pointer at buf (which the guest sees at physical
 * address gpa, 16-byte aligned) and the configuration table right after
 * it. 0, or -EINVAL (no CPUs, too many, a bad PCI entry, a misaligned or
 * too high address) or -ENOSPC (len too small).
 */
int mptable_build(uint8_t *buf, size_t len, uint64_t gpa,
		  const struct mptable_config *c);

#endif
