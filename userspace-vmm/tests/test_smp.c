// SPDX-License-Identifier: GPL-2.0
/* The vCPU count a hypervisor allows, the CPUID filter, per-vCPU APIC IDs. */
#include "smp.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char err[256];

static void cpu_limits(void)
{
	struct smp_caps kvm = { .irqchip = true, .max_vcpus = 1024,
				.nr_vcpus = 2, .max_vcpu_id = 1024 };
	struct smp_caps none = { 0 };

	CHECK_EQ(smp_check_cpus(1, &kvm, "/dev/kvm", err, sizeof(err)), 0);
	CHECK_EQ(smp_check_cpus(4, &kvm, "/dev/kvm", err, sizeof(err)), 0);
	CHECK_EQ(smp_check_cpus(64, &kvm, "/dev/kvm", err, sizeof(err)), 0);
	CHECK_EQ(smp_check_cpus(254, &kvm, "/dev/kvm", err, sizeof(err)), 0);
	/* The MP table's 8-bit APIC IDs end before KVM's limit. */
	CHECK_EQ(smp_check_cpus(255, &kvm, "/dev/kvm", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "at most 254 vCPUs"));
	/* Without an irqchip, one vCPU only. */
	kvm.irqchip = false;
	CHECK_EQ(smp_check_cpus(1, &kvm, "/dev/kvm", err, sizeof(err)), 0);
	CHECK_EQ(smp_check_cpus(2, &kvm, "/dev/kvm", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "KVM_CAP_IRQCHIP") && strstr(err, "/dev/kvm"));
	/* No MAX_VCPUS: NR_VCPUS; neither: 4. */
	kvm = (struct smp_caps){ .irqchip = true, .nr_vcpus = 8 };
	CHECK_EQ(smp_check_cpus(8, &kvm, "/dev/khv", err, sizeof(err)), 0);
	CHECK_EQ(smp_check_cpus(9, &kvm, "/dev/khv", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "at most 8 vCPUs"));
	none.irqchip = true;
	CHECK_EQ(smp_check_cpus(4, &none, "/dev/khv", err, sizeof(err)), 0);
	CHECK_EQ(smp_check_cpus(5, &none, "/dev/khv", err, sizeof(err)), -EINVAL);
	/* IDs 0..n-1 must be below MAX_VCPU_ID. */
	kvm = (struct smp_caps){ .irqchip = true, .max_vcpus = 64, .max_vcpu_id = 16 };
	CHECK_EQ(smp_check_cpus(16, &kvm, "/dev/khv", err, sizeof(err)), 0);
	CHECK_EQ(smp_check_cpus(17, &kvm, "/dev/khv", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "KVM_CAP_MAX_VCPU_ID"));
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

static void topology(void)
{
	struct kvm_cpuid2 *c = table();

	cpuid_set_topology(c, 3);
	CHECK_EQ(leaf(c, 1, 0)->ebx, 0x03010800);	/* ID 3, one per package */
	CHECK(!(leaf(c, 1, 0)->edx & 1u << 28));	/* no HTT */
	CHECK_EQ(leaf(c, 1, 0)->eax, 0x00a20f12);
	CHECK_EQ(leaf(c, 4, 0)->eax, 0x00000121);
	CHECK_EQ(leaf(c, 4, 1)->eax, 0x00000163);
	/* SMT level: one thread; core level: one core; then the end. */
	CHECK_EQ(leaf(c, 0xb, 0)->eax, 0);
	CHECK_EQ(leaf(c, 0xb, 0)->ebx, 1);
	CHECK_EQ(leaf(c, 0xb, 0)->ecx, 0x100);
	CHECK_EQ(leaf(c, 0xb, 0)->edx, 3);
	CHECK_EQ(leaf(c, 0xb, 1)->ebx, 1);
	CHECK_EQ(leaf(c, 0xb, 1)->ecx, 0x201);
	CHECK_EQ(leaf(c, 0xb, 1)->edx, 3);
	CHECK_EQ(leaf(c, 0xb, 2)->ebx, 0);
	CHECK_EQ(leaf(c, 0xb, 2)->ecx, 2);		/* level type 0: invalid */
	CHECK_EQ(leaf(c, 0x1f, 1)->edx, 3);
	CHECK_EQ(leaf(c, 0x80000008, 0)->ecx, 0x00000000);
	CHECK_EQ(leaf(c, 0x80000008, 0)->eax, 0x3030);
	CHECK_EQ(leaf(c, 0x8000001d, 0)->eax, 0x00000121);
	CHECK_EQ(leaf(c, 0x8000001e, 0)->eax, 3);
	CHECK_EQ(leaf(c, 0x8000001e, 0)->ebx, 0);
	/* Each vCPU its own ID; the BSP's is 0. */
	cpuid_set_topology(c, 0);
	CHECK_EQ(leaf(c, 1, 0)->ebx >> 24, 0);
	CHECK_EQ(leaf(c, 0xb, 1)->edx, 0);
	cpuid_set_topology(c, 200);
	CHECK_EQ(leaf(c, 1, 0)->ebx >> 24, 200);
	CHECK_EQ(leaf(c, 0x8000001e, 0)->eax, 200);
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
