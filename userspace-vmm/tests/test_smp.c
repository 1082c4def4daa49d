// SPDX-License-Identifier: GPL-2.0
/* The vCPU count a hypervisor allows, the CPUID filter, per-vCPU APIC IDs. */
#include "smp.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct smp_caps kvm61 = { .irqchip = true, .max_vcpus = 1024,
				      .nr_vcpus = 2, .max_vcpu_id = 1024 };

/* vCPU counts against capabilities: allowed, or refused saying why. */
static const struct {
	struct smp_caps caps;
	unsigned int cpus;
	const char *refusal;	/* NULL: allowed */
} limits[] = {
	{ kvm61, 1, NULL },
	{ kvm61, 4, NULL },
	{ kvm61, 64, NULL },
	{ kvm61, 254, NULL },
	/* The MP table's 8-bit APIC IDs end before KVM's limit. */
	{ kvm61, 255, "at most 254 vCPUs" },
	/* Without an irqchip, one vCPU only. */
	{ { .max_vcpus = 1024 }, 1, NULL },
	{ { .max_vcpus = 1024 }, 2, "irqchip (KVM_CAP_IRQCHIP), which /dev/kvm" },
	/* No MAX_VCPUS: NR_VCPUS; neither: 4. */
	{ { .irqchip = true, .nr_vcpus = 8 }, 8, NULL },
	{ { .irqchip = true, .nr_vcpus = 8 }, 9, "at most 8 vCPUs" },
	{ { .irqchip = true }, 4, NULL },
	{ { .irqchip = true }, 5, "at most 4 vCPUs" },
	/* IDs 0..n-1 must be below MAX_VCPU_ID. */
	{ { .irqchip = true, .max_vcpus = 64, .max_vcpu_id = 16 }, 16, NULL },
	{ { .irqchip = true, .max_vcpus = 64, .max_vcpu_id = 16 }, 17,
	  "IDs below 16 (KVM_CAP_MAX_VCPU_ID)" },
};

static void cpu_limits(void)
{
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		char err[256] = "";
		int r = smp_check_cpus(limits[i].cpus, &limits[i].caps, "/dev/kvm",
				       err, sizeof(err));

		if (!limits[i].refusal) {
			CHECK_EQ(r, 0);
			continue;
		}
		CHECK_EQ(r, -EINVAL);
		if (!strstr(err, limits[i].refusal)) {
			printf("# case %zu: '%s' lacks '%s'\n", i, err, limits[i].refusal);
			CHECK(0);
		}
	}
}

/* A table like KVM_GET_SUPPORTED_CPUID's, with the leaves that matter. */
static struct kvm_cpuid2 *table(void)
{
	static const struct kvm_cpuid_entry2 e[] = {
		{ .function = 0, .eax = 0x1f },
		{ .function = 1, .eax = 0x00a20f12, .ebx = 0x07080800,
		  .ecx = 0xffba2203, .edx = 0x178bfbff },
		{ .function = 4, .index = 0, .eax = 0xfc004121 },
		{ .function = 4, .index = 1, .eax = 0x1c03c163 },
		{ .function = 0xb, .index = 0, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 7 },
		{ .function = 0xb, .index = 1, .eax = 4, .ebx = 16, .ecx = 0x201, .edx = 7 },
		{ .function = 0xb, .index = 2, .ecx = 2, .edx = 7 },
		{ .function = 0x1f, .index = 1, .eax = 4, .ebx = 16, .ecx = 0x201 },
		{ .function = 0x40000000, .ebx = 0x4b4d564b, .ecx = 0x564b4d56,
		  .edx = 0x4d },
		{ .function = 0x40000001, .eax = 0x01007afb },
		{ .function = 0x80000008, .eax = 0x3030, .ecx = 0x0000700f },
		{ .function = 0x8000001d, .eax = 0x00004121 },
		{ .function = 0x8000001e, .eax = 7, .ebx = 0x0103, .ecx = 0x0300 },
	};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + sizeof(e));

	c->nent = sizeof(e) / sizeof(e[0]);
	memcpy(c->entries, e, sizeof(e));
	return c;
}

static struct kvm_cpuid_entry2 *leaf(struct kvm_cpuid2 *c, uint32_t fn,
				     uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

static void filter(void)
{
	struct kvm_cpuid2 *c = table();

	cpuid_filter(c, true);
	CHECK(leaf(c, 1, 0)->ecx & 1u << 21);		/* x2APIC kept */
	free(c);
	c = table();
	leaf(c, 1, 0)->ecx &= ~(1u << 31);		/* as KVM gives it */
	cpuid_filter(c, true);
	CHECK(leaf(c, 1, 0)->ecx & 1u << 31);		/* HYPERVISOR set */
	CHECK(leaf(c, 1, 0)->edx & 1u << 9);		/* APIC kept */
	CHECK(!(leaf(c, 1, 0)->ecx & 1u << 24));	/* no TSC-deadline */
	CHECK_EQ(leaf(c, 0x40000001, 0)->eax, 0);	/* no kvmclock & co */
	free(c);
	c = table();
	cpuid_filter(c, false);
	CHECK(!(leaf(c, 1, 0)->ecx & 1u << 21));
	CHECK(!(leaf(c, 1, 0)->edx & 1u << 9));
	CHECK_EQ(leaf(c, 1, 0)->ecx, 0xffba2203 & ~(1u << 21 | 1u << 24));
	free(c);
	/* Another hypervisor's leaf 0x40000001 is left alone. */
	c = table();
	leaf(c, 0x40000000, 0)->ebx = 0x12345678;
	cpuid_filter(c, true);
	CHECK_EQ(leaf(c, 0x40000001, 0)->eax, 0x01007afb);
	free(c);
}

/* One register of one leaf after the change, and what it must be. */
struct expect {
	uint32_t fn, index;
	char reg;		/* 'a', 'b', 'c', 'd' */
	uint32_t value;
};

static uint32_t reg(const struct kvm_cpuid_entry2 *e, char r)
{
	return r == 'a' ? e->eax : r == 'b' ? e->ebx : r == 'c' ? e->ecx : e->edx;
}

static void check_leaves(struct kvm_cpuid2 *c, const struct expect *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct kvm_cpuid_entry2 *e = leaf(c, x[i].fn, x[i].index);

		if (!e || reg(e, x[i].reg) != x[i].value) {
			printf("# leaf %#x.%u e%cx: %#x, want %#x\n", x[i].fn,
			       x[i].index, x[i].reg, e ? reg(e, x[i].reg) : 0,
			       x[i].value);
			CHECK(0);
		}
	}
}

/* vCPU 3 of the table above: a package of its own, APIC ID 3. */
static const struct expect vcpu3[] = {
	{ 1, 0, 'a', 0x00a20f12 },		/* signature untouched */
	{ 1, 0, 'b', 0x03010800 },		/* ID 3, one per package */
	{ 1, 0, 'd', 0x178bfbff & ~(1u << 28) },	/* no HTT */
	{ 4, 0, 'a', 0x00000121 },		/* one core, nobody shares */
	{ 4, 1, 'a', 0x00000163 },
	/* SMT level: one thread; core level: one core; then the end. */
	{ 0xb, 0, 'a', 0 }, { 0xb, 0, 'b', 1 }, { 0xb, 0, 'c', 0x100 },
	{ 0xb, 0, 'd', 3 },
	{ 0xb, 1, 'a', 0 }, { 0xb, 1, 'b', 1 }, { 0xb, 1, 'c', 0x201 },
	{ 0xb, 1, 'd', 3 },
	{ 0xb, 2, 'b', 0 }, { 0xb, 2, 'c', 2 },	/* level type 0: invalid */
	{ 0x1f, 1, 'c', 0x201 }, { 0x1f, 1, 'd', 3 },
	{ 0x80000008, 0, 'a', 0x3030 }, { 0x80000008, 0, 'c', 0 },
	{ 0x8000001d, 0, 'a', 0x00000121 },
	{ 0x8000001e, 0, 'a', 3 }, { 0x8000001e, 0, 'b', 0 },
	{ 0x8000001e, 0, 'c', 0 },
};

/* Each vCPU its own ID; the BSP's is 0. */
static const struct expect vcpu0[] = {
	{ 1, 0, 'b', 0x00010800 }, { 0xb, 1, 'd', 0 }, { 0x8000001e, 0, 'a', 0 },
};

static const struct expect vcpu200[] = {
	{ 1, 0, 'b', 0xc8010800 }, { 0xb, 0, 'd', 200 }, { 0x8000001e, 0, 'a', 200 },
};

static void topology(void)
{
	struct kvm_cpuid2 *c = table();

	cpuid_set_topology(c, 3);
	check_leaves(c, vcpu3, sizeof(vcpu3) / sizeof(vcpu3[0]));
	cpuid_set_topology(c, 0);
	check_leaves(c, vcpu0, sizeof(vcpu0) / sizeof(vcpu0[0]));
	cpuid_set_topology(c, 200);
	check_leaves(c, vcpu200, sizeof(vcpu200) / sizeof(vcpu200[0]));
	free(c);
}

int main(void)
{
	tap_begin();
	TEST(cpu_limits);
	TEST(filter);
	TEST(topology);
	return tap_done();
}
