// SPDX-License-Identifier: GPL-2.0
/* Host unit test of kmod/cpuid_policy.c: filtering, lookup, CR4/APIC rules. */
#include <string.h>

#include "ksft.h"
#include "cpuid_policy.h"

/* A made-up AMD host with everything set, so filtering is visible. */
static void fake_host(u32 leaf, u32 sub, u32 r[4])
{
	memset(r, 0xff, 16);
	if (leaf == 0) {
		r[0] = 0x10;
		r[1] = 0x68747541;	/* "AuthenticAMD" */
		r[2] = 0x444d4163;
		r[3] = 0x69746e65;
	} else if (leaf == 0x80000000) {
		r[0] = 0x8000001f;
	} else if (leaf == 0x80000008) {
		r[0] = 0x3028;		/* 40 physical, 48 virtual bits */
	}
}

static struct kvm_cpuid_entry2 e[KHV_MAX_CPUID_ENTRIES];

static int t_supported(void)
{
	const struct kvm_cpuid_entry2 *l1, *l7, *ext1;
	struct khv_cpuid_view v;
	u32 n = 0;

	CHECK(khv_cpuid_supported(fake_host, e, 3, &n) == -E2BIG, "E2BIG");
	CHECK(!khv_cpuid_supported(fake_host, e, KHV_MAX_CPUID_ENTRIES, &n), "fits");
	CHECK(n < 100, "%u entries: KVM's selftests read at most 100", n);
	v = khv_cpuid_view(e, n);
	CHECK(khv_cpuid_find(&v, 0, 0)->eax == 7, "max basic clamped to 7");
	CHECK(khv_cpuid_find(&v, 0x80000000, 0)->eax == 0x80000008, "max ext");
	l1 = khv_cpuid_find(&v, 1, 0);
	CHECK(l1->ecx & (1u << 31), "HYPERVISOR set");
	CHECK(!(l1->ecx & ((1u << 5) | (1u << 26) | (1u << 28))),
	      "no VMX, XSAVE, AVX: %#x", l1->ecx);
	/* x2APIC is the in-kernel LAPIC's, whatever the host has (as KVM) */
	CHECK(l1->ecx & (1u << 21), "x2APIC: %#x", l1->ecx);
	CHECK(!(l1->ebx >> 16), "no APIC id or thread count");
	l7 = khv_cpuid_find(&v, 7, 0);
	CHECK(l7 && (l7->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX), "leaf 7 indexed");
	CHECK(!(l7->ebx & (1u << 5)), "no AVX2");
	ext1 = khv_cpuid_find(&v, 0x80000001, 0);
	CHECK(!(ext1->ecx & (1u << 2)), "no SVM");
	CHECK(ext1->edx & (1u << 29), "LM kept");
	CHECK(khv_cpuid_find(&v, 0x40000000, 0)->eax == 0x40000001, "hv leaf");
	CHECK(khv_guest_maxphyaddr(&v) == 40, "MAXPHYADDR");
	return KSFT_PASS;
}

static int t_answer(void)
{
	struct kvm_cpuid_entry2 t[3] = {
		{ .function = 0, .eax = 1, .ebx = 0x756e6547, .edx = 0x49656e69,
		  .ecx = 0x6c65746e },		/* GenuineIntel, max leaf 1 */
		{ .function = 1, .eax = 0x11, .ecx = 0x22 },
		{ .function = 4, .index = 1, .eax = 0x44,
		  .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
	};
	struct khv_cpuid_view v = khv_cpuid_view(t, 3);
	u32 r[4];

	khv_cpuid_answer(&v, 1, 99, r);
	CHECK(r[0] == 0x11 && r[2] == 0x22, "index ignored when not flagged");
	khv_cpuid_answer(&v, 4, 1, r);
	CHECK(r[0] == 0x44, "indexed hit");
	khv_cpuid_answer(&v, 4, 2, r);
	CHECK(r[0] == 0x11, "Intel: a missing leaf in range answers the top basic leaf");
	t[0].ebx = 0x68747541;		/* now AMD */
	khv_cpuid_answer(&v, 4, 2, r);
	CHECK(!r[0] && !r[1] && !r[2] && !r[3], "AMD: zeros");
	return KSFT_PASS;
}

static int t_cr4_apic(void)
{
	struct kvm_cpuid_entry2 t[2] = {
		{ .function = 0, .eax = 7 },
		{ .function = 7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .ebx = 1u << 7 },		/* SMEP only */
	};
	struct khv_cpuid_view v = khv_cpuid_view(t, 2);

	const u64 all = ~0ULL;

	CHECK(khv_cr4_valid(&v, all, 0x6f0), "PAE PGE OSFXSR ...");
	CHECK(khv_cr4_valid(&v, all, 1u << 20), "SMEP with CPUID");
	CHECK(!khv_cr4_valid(&v, ~(1ull << 20), 1u << 20), "SMEP without host support");
	CHECK(!khv_cr4_valid(&v, all, 1u << 21), "SMAP without CPUID");
	CHECK(!khv_cr4_valid(&v, all, 1u << 18), "OSXSAVE without XSAVE");
	CHECK(!khv_cr4_valid(&v, all, 1u << 22), "PKE never (no PKRU switching)");
	CHECK(!khv_cr4_valid(&v, all, 1u << 13), "VMXE never");
	CHECK(!khv_cr4_valid(&v, all, 1ull << 40), "reserved");
	CHECK(khv_cr4_allowed(&v) == (0x7ffull | (1ull << 20)), "allowed mask");
	CHECK(khv_apic_base_valid(&v, 0xfee00900), "default");
	CHECK(!khv_apic_base_valid(&v, 0xfee00d00), "x2APIC without CPUID");
	CHECK(!khv_apic_base_valid(&v, 0xfee00400), "x2APIC without EN");
	CHECK(!khv_apic_base_valid(&v, 0xfee00901), "reserved bit 0");
	CHECK(!khv_apic_base_valid(&v, 1ull << 36), "beyond MAXPHYADDR 36");
	return KSFT_PASS;
}

/* Any byte in CPUID 0x80000008 EAX[7:0] gives a MAXPHYADDR shifts can use. */
static int t_maxphyaddr_clamped(void)
{
	struct kvm_cpuid_entry2 t[2] = {
		{ .function = 0x80000000u, .eax = 0x80000008u },
		{ .function = 0x80000008u },
	};
	struct khv_cpuid_view v = khv_cpuid_view(t, 2);
	static const struct { u32 eax, bits; } c[] = {
		{ 0, 36 }, { 1, 32 }, { 31, 32 }, { 40, 40 }, { 52, 52 },
		{ 53, 52 }, { 64, 52 }, { 0xff, 52 }, { 0x3028, 40 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		t[1].eax = c[i].eax;
		CHECK(khv_guest_maxphyaddr(&v) == c[i].bits, "EAX %#x -> %u bits",
		      c[i].eax, c[i].bits);
	}
	t[1].eax = 0xff;
	CHECK(!khv_apic_base_valid(&v, 1ull << 52), "APIC base above the clamp");
	CHECK(khv_apic_base_valid(&v, 0xfee00900), "APIC base below it");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "cpuid_supported", t_supported },
	{ "cpuid_answer", t_answer },
	{ "cpuid_cr4_apic_rules", t_cr4_apic },
	{ "cpuid_maxphyaddr_clamped", t_maxphyaddr_clamped },
};

int main(void)
{
	return KSFT_RUN(cases);
}
