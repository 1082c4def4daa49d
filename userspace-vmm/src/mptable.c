// SPDX-License-Identifier: GPL-2.0
/* The MP specification 1.4 table. See mptable.h. */
#include "mptable.h"

#include "util.h"

#include <errno.h>
#include <string.h>

#define SPEC_REV_1_4 4
#define PROCESSOR_BYTES 20
#define ENTRY_BYTES 8	/* bus, I/O APIC, I/O and local interrupt entries */
#define ISA_IRQS 16

static unsigned int popcount16(uint16_t v)
{
	return (unsigned int)__builtin_popcount(v);
}

static unsigned int bus_entries(const struct mptable_config *c)
{
	return c->has_pci ? 2 : 1;
}

/* I/O interrupt entries, then the two local ones. */
static unsigned int interrupt_entries(const struct mptable_config *c)
{
	return popcount16(c->isa_irqs) + c->nr_pci_irqs + 2;
}

static size_t table_bytes(const struct mptable_config *c)
{
	return MPC_HEADER_BYTES + (size_t)c->nr_cpus * PROCESSOR_BYTES +
	       (bus_entries(c) + 1 + interrupt_entries(c)) * ENTRY_BYTES;
}

size_t mptable_size(const struct mptable_config *c)
{
	return MPF_BYTES + table_bytes(c);
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

static int config_ok(const struct mptable_config *c)
{
	if (!c->nr_cpus || c->nr_cpus > MPTABLE_MAX_CPUS ||
	    c->nr_pci_irqs > MPTABLE_MAX_PCI_IRQS ||
	    (c->nr_pci_irqs && !c->has_pci))
		return 0;
	for (unsigned int i = 0; i < c->nr_pci_irqs; i++) {
		const struct mptable_pci_irq *p = &c->pci_irqs[i];

		if (p->slot > 31 || p->pin < 1 || p->pin > 4 ||
		    p->ioapic_pin >= MPTABLE_IOAPIC_PINS)
			return 0;
	}
	return 1;
}

/* An 8-byte entry: type and seven bytes. */
static uint8_t *put8(uint8_t *p, uint8_t type, uint8_t b1, uint8_t b2,
		     uint8_t b3, uint8_t b4, uint8_t b5, uint8_t b6, uint8_t b7)
{
	const uint8_t e[ENTRY_BYTES] = { type, b1, b2, b3, b4, b5, b6, b7 };

	memcpy(p, e, sizeof(e));
	return p + ENTRY_BYTES;
}

static uint8_t *put_bus(uint8_t *p, uint8_t id, const char type[7])
{
	p[0] = MP_ENTRY_BUS;
	p[1] = id;
	memcpy(&p[2], type, 6);		/* blank-padded, not terminated */
	return p + ENTRY_BYTES;
}

static uint8_t *put_processors(uint8_t *p, const struct mptable_config *c)
{
	for (unsigned int i = 0; i < c->nr_cpus; i++) {
		memset(p, 0, PROCESSOR_BYTES);
		p[0] = MP_ENTRY_PROCESSOR;
		p[1] = (uint8_t)i;			/* local APIC ID */
		p[2] = MPTABLE_LAPIC_VERSION;
		p[3] = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0);
		/* stepping, model, family: bits 11:0 of CPUID 1 EAX */
		le_store(&p[4], c->cpu_signature & 0xfff, 4);
		le_store(&p[8], c->cpu_features, 4);
		p += PROCESSOR_BYTES;
	}
	return p;
}

static uint8_t *put_interrupts(uint8_t *p, const struct mptable_config *c,
			       uint8_t pci_bus, uint8_t isa_bus,
			       uint8_t ioapic_id)
{
	for (unsigned int irq = 0; irq < ISA_IRQS; irq++)
		if (c->isa_irqs & (1u << irq))
			p = put8(p, MP_ENTRY_IOINT, MP_INT, MP_IRQ_CONFORMING, 0,
				 isa_bus, (uint8_t)irq, ioapic_id, (uint8_t)irq);
	for (unsigned int i = 0; i < c->nr_pci_irqs; i++) {
		const struct mptable_pci_irq *q = &c->pci_irqs[i];

		/* source bus IRQ: device number in bits 6:2, INTA#..INTD# 0-3 */
		p = put8(p, MP_ENTRY_IOINT, MP_INT, MP_IRQ_LEVEL_LOW, 0, pci_bus,
			 (uint8_t)(q->slot << 2 | (q->pin - 1)), ioapic_id,
			 q->ioapic_pin);
	}
	p = put8(p, MP_ENTRY_LINT, MP_EXTINT, MP_IRQ_CONFORMING, 0, isa_bus, 0,
		 0xff, 0);
	return put8(p, MP_ENTRY_LINT, MP_NMI, MP_IRQ_CONFORMING, 0, isa_bus, 0,
		    0xff, 1);
}

int mptable_build(uint8_t *buf, size_t len, uint64_t gpa,
		  const struct mptable_config *c)
{
	size_t size = table_bytes(c);
	uint8_t *mpf = buf, *mpc = buf + MPF_BYTES, *p;
	uint8_t pci_bus = 0, isa_bus = c->has_pci ? 1 : 0;
	uint8_t ioapic_id = (uint8_t)c->nr_cpus;
	unsigned int count;

	if (!config_ok(c) || (gpa & 15) || gpa + MPF_BYTES + size > 0xffffffffull)
		return -EINVAL;
	if (len < MPF_BYTES + size)
		return -ENOSPC;
	memset(buf, 0, MPF_BYTES + size);

	/* The floating pointer: config table present, virtual wire mode. */
	memcpy(mpf, "_MP_", 4);
	le_store(&mpf[4], gpa + MPF_BYTES, 4);
	mpf[8] = 1;			/* length in 16-byte units */
	mpf[9] = SPEC_REV_1_4;
	mpf[10] = checksum(mpf, MPF_BYTES);

	p = put_processors(mpc + MPC_HEADER_BYTES, c);
	if (c->has_pci)
		p = put_bus(p, pci_bus, "PCI   ");
	p = put_bus(p, isa_bus, "ISA   ");
	p = put8(p, MP_ENTRY_IOAPIC, ioapic_id, MPTABLE_IOAPIC_VERSION, 1, 0, 0,
		 0, 0);
	le_store(p - 4, MPTABLE_IOAPIC_ADDR, 4);
	put_interrupts(p, c, pci_bus, isa_bus, ioapic_id);

	count = c->nr_cpus + bus_entries(c) + 1 + interrupt_entries(c);
	memcpy(mpc, "PCMP", 4);
	le_store(&mpc[4], size, 2);
	mpc[6] = SPEC_REV_1_4;
	memcpy(&mpc[8], "KHV     ", 8);
	memcpy(&mpc[16], "KHV-VMM     ", 12);
	le_store(&mpc[34], count, 2);
	le_store(&mpc[36], MPTABLE_LAPIC_ADDR, 4);
	mpc[7] = checksum(mpc, size);
	return 0;
}
