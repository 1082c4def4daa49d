// SPDX-License-Identifier: GPL-2.0
/* The MP table, read back as a guest's MP parser reads it: the floating
 * pointer found by a 16-byte scan, both checksums, every entry. */
#include "mptable.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AREA_GPA 0xf0000u
#define AREA_SIZE 0x10000u

static uint8_t area[AREA_SIZE];

/* What a reader of the table found. */
struct parsed {
	int ok;
	unsigned int cpus, bsp_count, bsp_id, buses, ioapics, isa_ints, pci_ints;
	unsigned int lints;
	uint8_t cpu_id[256];
	uint32_t signature, features;
	int pci_bus, isa_bus;
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
	uint8_t isa_pin[16];		/* 0xff: no entry */
	uint8_t isa_flags[16];
	uint8_t pci_srcirq[MPTABLE_MAX_PCI_IRQS], pci_pin[MPTABLE_MAX_PCI_IRQS];
	uint8_t pci_flags[MPTABLE_MAX_PCI_IRQS];
	uint8_t lint_type[2], lint_dest[2];
};

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The floating pointer: "_MP_" on a 16-byte boundary with a good checksum. */
static const uint8_t *find_mpf(const uint8_t *a, size_t size)
{
	for (size_t off = 0; off + 16 <= size; off += 16) {
		const uint8_t *f = a + off;

		if (!memcmp(f, "_MP_", 4) && f[8] == 1 && sum(f, 16) == 0 &&
		    (f[9] == 1 || f[9] == 4))
			return f;
	}
	return NULL;
}

static int parse_entry(struct parsed *r, const uint8_t *e)
{
	switch (e[0]) {
	case MP_ENTRY_PROCESSOR:
		r->cpu_id[r->cpus++] = e[1];
		if (e[2] != MPTABLE_LAPIC_VERSION || !(e[3] & MP_CPU_ENABLED))
			return -1;
		if (e[3] & MP_CPU_BSP) {
			r->bsp_count++;
			r->bsp_id = e[1];
		}
		r->signature = (uint32_t)le_load(&e[4], 4);
		r->features = (uint32_t)le_load(&e[8], 4);
		return 20;
	case MP_ENTRY_BUS:
		r->buses++;
		if (!memcmp(&e[2], "PCI   ", 6))
			r->pci_bus = e[1];
		else if (!memcmp(&e[2], "ISA   ", 6))
			r->isa_bus = e[1];
		else
			return -1;
		return 8;
	case MP_ENTRY_IOAPIC:
		r->ioapics++;
		r->ioapic_id = e[1];
		r->ioapic_addr = (uint32_t)le_load(&e[4], 4);
		if (e[2] != MPTABLE_IOAPIC_VERSION || !(e[3] & 1))
			return -1;
		return 8;
	case MP_ENTRY_IOINT:
		if (e[1] != MP_INT || e[6] != r->ioapic_id)
			return -1;
		if (e[4] == r->isa_bus && e[5] < 16) {
			r->isa_pin[e[5]] = e[7];
			r->isa_flags[e[5]] = e[2];
			r->isa_ints++;
		} else if (e[4] == r->pci_bus && r->pci_ints < MPTABLE_MAX_PCI_IRQS) {
			r->pci_srcirq[r->pci_ints] = e[5];
			r->pci_pin[r->pci_ints] = e[7];
			r->pci_flags[r->pci_ints++] = e[2];
		} else {
			return -1;
		}
		return 8;
	case MP_ENTRY_LINT:
		if (r->lints >= 2 || e[7] != r->lints)	/* LINT0 then LINT1 */
			return -1;
		r->lint_type[r->lints] = e[1];
		r->lint_dest[r->lints++] = e[6];
		return 8;
	}
	return -1;
}

/* Parse the area; r->ok only if everything checks. */
static void parse(struct parsed *r)
{
	const uint8_t *f = find_mpf(area, AREA_SIZE), *c, *e, *end;
	uint32_t phys;
	unsigned int len, count, last_type = 0;

	memset(r, 0, sizeof(*r));
	memset(r->isa_pin, 0xff, sizeof(r->isa_pin));
	r->pci_bus = r->isa_bus = -1;
	if (!f || f[11] != 0)		/* feature byte 1: a table follows */
		return;
	phys = (uint32_t)le_load(&f[4], 4);
	if (phys < AREA_GPA || phys >= AREA_GPA + AREA_SIZE - MPC_HEADER_BYTES)
		return;
	c = area + (phys - AREA_GPA);
	len = (unsigned int)le_load(&c[4], 2);
	count = (unsigned int)le_load(&c[34], 2);
	if (memcmp(c, "PCMP", 4) || c[6] != 4 || phys + len > AREA_GPA + AREA_SIZE ||
	    sum(c, len) != 0 || le_load(&c[36], 4) != MPTABLE_LAPIC_ADDR ||
	    le_load(&c[40], 2) != 0)
		return;
	end = c + len;
	for (e = c + MPC_HEADER_BYTES; e < end && count; count--) {
		int n;

		if (e[0] < last_type)	/* the spec orders entries by type */
			return;
		last_type = e[0];
		n = parse_entry(r, e);
		if (n < 0 || e + n > end)
			return;
		e += n;
	}
	r->ok = e == end && count == 0;
}

static int build(const struct mptable_config *c)
{
	memset(area, 0xa5, sizeof(area));	/* no zeros to lean on */
	return mptable_build(area, AREA_SIZE, AREA_GPA, c);
}

static void one_cpu_no_pci(void)
{
	struct mptable_config c = { .nr_cpus = 1, .cpu_signature = 0x00663,
				    .cpu_features = 0x078bfbfd, .isa_irqs = 0xfffb };
	struct parsed r;

	CHECK_EQ(build(&c), 0);
	parse(&r);
	CHECK(r.ok);
	CHECK_EQ(r.cpus, 1);
	CHECK_EQ(r.bsp_count, 1);
	CHECK_EQ(r.bsp_id, 0);
	CHECK_EQ(r.signature, 0x663);
	CHECK_EQ(r.features, 0x078bfbfd);
	CHECK_EQ(r.buses, 1);
	CHECK_EQ(r.isa_bus, 0);
	CHECK_EQ(r.pci_bus, -1);
	CHECK_EQ(r.ioapics, 1);
	CHECK_EQ(r.ioapic_id, 1);		/* after the CPUs */
	CHECK_EQ(r.ioapic_addr, 0xfec00000u);
	CHECK_EQ(r.isa_ints, 15);
	for (unsigned int irq = 0; irq < 16; irq++) {
		CHECK_EQ(r.isa_pin[irq], irq == 2 ? 0xff : irq);
		if (irq != 2)
			CHECK_EQ(r.isa_flags[irq], MP_IRQ_CONFORMING);
	}
	CHECK_EQ(r.pci_ints, 0);
	CHECK_EQ(r.lints, 2);
	CHECK_EQ(r.lint_type[0], MP_EXTINT);
	CHECK_EQ(r.lint_type[1], MP_NMI);
	CHECK_EQ(r.lint_dest[0], 0xff);
	CHECK_EQ(r.lint_dest[1], 0xff);
	CHECK_EQ(mptable_size(&c), 16 + 44 + 20 + 8 + 8 + 15 * 8 + 2 * 8);
}

static const struct mptable_pci_irq pci4[] = {
	{ 1, 1, 10 }, { 2, 1, 11 }, { 3, 1, 5 }, { 4, 1, 9 }, { 5, 2, 10 },
};

static void four_cpus_with_pci(void)
{
	struct mptable_config c = { .nr_cpus = 4, .cpu_signature = 0x00a20f12,
				    .isa_irqs = 0xf1db, .has_pci = 1,
				    .pci_irqs = pci4, .nr_pci_irqs = ARRAY_SIZE(pci4) };
	struct parsed r;
	uint8_t *f;

	CHECK_EQ(build(&c), 0);
	parse(&r);
	CHECK(r.ok);
	CHECK_EQ(r.cpus, 4);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(r.cpu_id[i], i);
	CHECK_EQ(r.bsp_count, 1);
	CHECK_EQ(r.bsp_id, 0);
	CHECK_EQ(r.signature, 0xf12);		/* only family, model, stepping */
	CHECK_EQ(r.buses, 2);
	CHECK_EQ(r.pci_bus, 0);		/* PCI interrupt entries name bus 0 */
	CHECK_EQ(r.isa_bus, 1);
	CHECK_EQ(r.ioapic_id, 4);
	/* 0xf1db: IRQs 0 1 3 4 6 7 8 12 13 14 15 (not 2, 5, 9, 10, 11) */
	CHECK_EQ(r.isa_ints, 11);
	CHECK_EQ(r.isa_pin[5], 0xff);
	CHECK_EQ(r.isa_pin[10], 0xff);
	CHECK_EQ(r.isa_pin[4], 4);
	CHECK_EQ(r.pci_ints, 5);
	for (unsigned int i = 0; i < ARRAY_SIZE(pci4); i++) {
		CHECK_EQ(r.pci_srcirq[i], pci4[i].slot << 2 | (pci4[i].pin - 1));
		CHECK_EQ(r.pci_pin[i], pci4[i].ioapic_pin);
		CHECK_EQ(r.pci_flags[i], 0x0f);	/* level, active low */
	}
	/* Any byte changed breaks a checksum: the reader then finds nothing. */
	f = area;
	f[12] ^= 0x40;
	parse(&r);
	CHECK(!r.ok);
	f[12] ^= 0x40;
	area[16 + 44 + 20 + 1] ^= 1;		/* CPU 1's APIC ID */
	parse(&r);
	CHECK(!r.ok);
}

static void most_cpus(void)
{
	struct mptable_config c = { .nr_cpus = MPTABLE_MAX_CPUS, .isa_irqs = 0xfffb };
	struct parsed r;
	int distinct = 1;

	CHECK_EQ(build(&c), 0);
	parse(&r);
	CHECK(r.ok);
	CHECK_EQ(r.cpus, MPTABLE_MAX_CPUS);
	for (unsigned int i = 0; i < r.cpus; i++)
		distinct &= r.cpu_id[i] == i;
	CHECK(distinct);
	CHECK_EQ(r.ioapic_id, 254);		/* 255 stays the broadcast ID */
	CHECK_EQ(r.bsp_count, 1);
	c.nr_cpus = MPTABLE_MAX_CPUS + 1;
	CHECK_EQ(build(&c), -EINVAL);
}

static void refusals(void)
{
	struct mptable_config c = { .nr_cpus = 2, .isa_irqs = 0xfffb, .has_pci = 1,
				    .pci_irqs = pci4, .nr_pci_irqs = 1 };
	struct mptable_pci_irq bad = { 1, 5, 10 };
	uint8_t small[64];

	CHECK_EQ(mptable_build(area, AREA_SIZE, AREA_GPA + 8, &c), -EINVAL);
	CHECK_EQ(mptable_build(area, AREA_SIZE, 0xffffff00ull, &c), -EINVAL);
	CHECK_EQ(mptable_build(small, sizeof(small), AREA_GPA, &c), -ENOSPC);
	CHECK_EQ(mptable_build(area, mptable_size(&c) - 1, AREA_GPA, &c), -ENOSPC);
	CHECK_EQ(mptable_build(area, mptable_size(&c), AREA_GPA, &c), 0);
	c.pci_irqs = &bad;			/* no INTE# */
	CHECK_EQ(build(&c), -EINVAL);
	bad = (struct mptable_pci_irq){ 32, 1, 10 };
	CHECK_EQ(build(&c), -EINVAL);
	bad = (struct mptable_pci_irq){ 1, 1, 24 };
	CHECK_EQ(build(&c), -EINVAL);
	c.has_pci = 0;				/* PCI interrupts need the bus */
	bad = (struct mptable_pci_irq){ 1, 1, 10 };
	CHECK_EQ(build(&c), -EINVAL);
	c.nr_cpus = 0;
	CHECK_EQ(build(&c), -EINVAL);
}

/* Nothing is written past mptable_size(). */
static void exact_size(void)
{
	struct mptable_config c = { .nr_cpus = 3, .isa_irqs = 0xfffb, .has_pci = 1,
				    .pci_irqs = pci4, .nr_pci_irqs = 2 };
	size_t n = mptable_size(&c);

	CHECK_EQ(build(&c), 0);
	CHECK_EQ(le_load(&area[16 + 4], 2), n - 16);
	CHECK_EQ(area[n], 0xa5);
	CHECK(area[n - 1] != 0xa5);		/* the NMI entry's LINT1 */
}

int main(void)
{
	tap_begin();
	TEST(one_cpu_no_pci);
	TEST(four_cpus_with_pci);
	TEST(most_cpus);
	TEST(refusals);
	TEST(exact_size);
	return tap_done();
}
