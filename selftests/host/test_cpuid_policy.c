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
	} else if (leaf == 0xd) {
		/* x87 SSE AVX MPX(2) AVX-512(3) PKRU; a 64-byte aligned ZMM */
		static const u32 comp[10][3] = {
			[2] = { 256, 576, 0 }, [3] = { 64, 960, 0 },
			[4] = { 64, 1024, 0 }, [5] = { 64, 1088, 0 },
			[6] = { 512, 1152, 2 }, [7] = { 1024, 1664, 0 },
			[9] = { 8, 2688, 0 },
		};

		memset(r, 0, 16);
		if (sub == 0) {
			r[0] = 0x2ff;
			r[2] = 2696;
		} else if (sub == 1) {
			r[0] = 0xf;	/* XSAVEOPT XSAVEC XGETBV1 XSAVES */
		} else if (sub < 10) {
			r[0] = comp[sub][0];
			r[1] = comp[sub][1];
			r[2] = comp[sub][2];
		}
	}
}

/* The same host without XSAVE (leaf 1 ECX bit 26). */
static void fake_host_no_xsave(u32 leaf, u32 sub, u32 r[4])
{
	fake_host(leaf, sub, r);
	if (leaf == 1)
		r[2] &= ~(1u << 26);
}

#define HOST_XCR0	0x2ffULL	/* what the fake host's kernel enabled */

static struct kvm_cpuid_entry2 e[KHV_MAX_CPUID_ENTRIES];

static int t_supported(void)
{
	const struct kvm_cpuid_entry2 *l1, *l7, *ext1;
	struct khv_cpuid_view v;
	u32 n = 0;

	CHECK(khv_cpuid_supported(fake_host, HOST_XCR0, 0x1000009, e, 3, &n) == -E2BIG, "E2BIG");
	CHECK(!khv_cpuid_supported(fake_host, HOST_XCR0, 0x1000009, e, KHV_MAX_CPUID_ENTRIES, &n),
	      "fits");
	CHECK(n < 100, "%u entries: KVM's selftests read at most 100", n);
	v = khv_cpuid_view(e, n);
	CHECK(khv_cpuid_find(&v, 0, 0)->eax == 0xd, "max basic clamped to 0xd");
	CHECK(khv_cpuid_find(&v, 0x80000000, 0)->eax == 0x80000008, "max ext");
	l1 = khv_cpuid_find(&v, 1, 0);
	CHECK(!(l1->ecx & (1u << 31)), "HYPERVISOR is the VMM's to set, as KVM");
	CHECK(khv_cpuid_find(&v, 6, 0) && khv_cpuid_find(&v, 6, 0)->eax == (1u << 2) &&
	      !khv_cpuid_find(&v, 6, 0)->ecx, "leaf 6: ARAT only");
	CHECK(!(l1->ecx & (1u << 5)), "no VMX: %#x", l1->ecx);
	CHECK((l1->ecx & ((1u << 26) | (1u << 28))) == ((1u << 26) | (1u << 28)),
	      "XSAVE, AVX: %#x", l1->ecx);
	CHECK(!(l1->ecx & (1u << 27)), "OSXSAVE is the guest's CR4's");
	/* x2APIC is the in-kernel LAPIC's, whatever the host has (as KVM) */
	CHECK(l1->ecx & (1u << 21), "x2APIC: %#x", l1->ecx);
	CHECK(!(l1->ebx >> 16), "no APIC id or thread count");
	l7 = khv_cpuid_find(&v, 7, 0);
	CHECK(l7 && (l7->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX), "leaf 7 indexed");
	CHECK(l7->ebx & (1u << 5), "AVX2");
	CHECK(l7->ebx & (1u << 16), "AVX512F");
	CHECK(!(l7->ecx & (1u << 3)), "no PKU");
	CHECK(l7->edx & (1u << 29), "ARCH_CAPABILITIES, khv's own MSR: %#x", l7->edx);
	ext1 = khv_cpuid_find(&v, 0x80000001, 0);
	CHECK(!(ext1->ecx & (1u << 2)), "no SVM");
	CHECK(khv_cpuid_find(&v, 0x80000007, 0) &&
	      khv_cpuid_find(&v, 0x80000007, 0)->edx == (1u << 8) &&
	      !khv_cpuid_find(&v, 0x80000007, 0)->eax, "0x80000007: invariant TSC only");
	CHECK(khv_cpuid_find(&v, 0x80000006, 0) &&
	      khv_cpuid_find(&v, 0x80000006, 0)->edx == ~(3u << 16), "0x80000006 as the host's");
	CHECK(l1->edx & (1u << 27), "self-snoop");
	CHECK(!(l1->edx & (1u << 28)), "no HTT");
	CHECK((l7->ebx & (1u << 6)) && (l7->ebx & (1u << 13)), "leaf 7's x87 bits");
	CHECK((l1->ecx & (1u << 17)) && (l7->ebx & (1u << 10)), "PCID, INVPCID");
	CHECK(khv_cpuid_insns(&v) == (KHV_INSN_INVPCID | KHV_INSN_RDTSCP),
	      "INVPCID and RDTSCP allowed by this table");
	((struct kvm_cpuid_entry2 *)l7)->ebx &= ~(1u << 10);
	((struct kvm_cpuid_entry2 *)ext1)->edx &= ~(1u << 27);
	CHECK(!khv_cpuid_insns(&v), "... and not without their bits");
	((struct kvm_cpuid_entry2 *)l7)->ebx |= 1u << 10;
	((struct kvm_cpuid_entry2 *)ext1)->edx |= 1u << 27;
	CHECK(ext1->edx & (1u << 29), "LM kept");
	CHECK(khv_cpuid_find(&v, 0x40000000, 0)->eax == 0x40000001, "hv leaf");
	CHECK(khv_cpuid_find(&v, 0x40000001, 0)->eax == 0x1000009,
	      "PV features as given (kvmclock)");
	CHECK(khv_guest_maxphyaddr(&v) == 40, "MAXPHYADDR");
	return KSFT_PASS;
}

/* Leaf 0xD, the components offered, runtime sizes and XCR0's rules. */
static int t_xsave(void)
{
	const struct kvm_cpuid_entry2 *d0, *d1, *d6, *l1, *l7;
	struct kvm_cpuid_entry2 *w1;
	struct khv_cpuid_runtime rt = { .apic_base = 0, .cr4 = 0, .xcr0 = 1 };
	struct khv_cpuid_view v;
	u64 sup;
	u32 n = 0;

	sup = khv_supported_xcr0(fake_host, HOST_XCR0);
	CHECK(sup == 0xe7, "x87 SSE AVX AVX-512, no MPX or PKRU: %#llx",
	      (unsigned long long)sup);
	CHECK(khv_supported_xcr0(fake_host, 0x3) == 0x3, "host kernel's XCR0 bounds it");
	CHECK(khv_supported_xcr0(fake_host, 0x63) == 0x3,
	      "AVX-512 only with all three of its components and AVX");
	CHECK(!khv_supported_xcr0(fake_host, 0), "host without OSXSAVE: none");
	CHECK(!khv_cpuid_supported(fake_host, HOST_XCR0, 0x1000009, e, KHV_MAX_CPUID_ENTRIES, &n),
	      "fits");
	v = khv_cpuid_view(e, n);
	d0 = khv_cpuid_find(&v, 0xd, 0);
	d1 = khv_cpuid_find(&v, 0xd, 1);
	CHECK(d0 && d0->eax == 0xe7 && !d0->edx, "0xD.0 components");
	CHECK(d0->ecx == 2688 && d0->ebx == d0->ecx, "0xD.0 sizes %u %u",
	      d0->ebx, d0->ecx);
	CHECK(d1 && d1->eax == 0x7, "XSAVEOPT XSAVEC XGETBV1, no XSAVES: %#x",
	      d1 ? d1->eax : 0);
	CHECK(!khv_cpuid_find(&v, 0xd, 3) || khv_cpuid_find(&v, 0xd, 3)->index != 3,
	      "no MPX subleaf");
	d6 = khv_cpuid_find(&v, 0xd, 6);
	CHECK(d6 && d6->index == 6 && d6->eax == 512 && d6->ecx == 2,
	      "component subleaf from the host");
	/* runtime: OSXSAVE follows CR4, EBX the enabled components */
	rt.cr4 = 1u << 18;
	rt.xcr0 = 0x7;
	khv_cpuid_apply_runtime(e, n, &rt);
	l1 = khv_cpuid_find(&v, 1, 0);
	CHECK(l1->ecx & (1u << 27), "OSXSAVE set with CR4.OSXSAVE");
	CHECK(d0->ebx == 832, "EBX for x87|SSE|AVX: %u", d0->ebx);
	CHECK(d1->ebx == 832, "compacted x87|SSE|AVX: %u", d1->ebx);
	rt.xcr0 = 0xe7;
	khv_cpuid_apply_runtime(e, n, &rt);
	CHECK(d0->ebx == 2688, "all: %u", d0->ebx);
	CHECK(d1->ebx == 832 + 64 + 512 + 1024, "compacted, ZMM_Hi256 aligned: %u",
	      d1->ebx);
	rt.cr4 = 0;
	khv_cpuid_apply_runtime(e, n, &rt);
	CHECK(!(l1->ecx & (1u << 27)), "OSXSAVE clear again");
	/* MONITOR follows MISC_ENABLE.ENABLE_MWAIT only without KVM's quirk */
	w1 = &e[l1 - e];
	w1->ecx |= 1u << 3;
	rt.mwait = false;
	khv_cpuid_apply_runtime(e, n, &rt);
	CHECK(l1->ecx & (1u << 3), "quirk on: MONITOR as set");
	rt.mwait_follows = true;
	khv_cpuid_apply_runtime(e, n, &rt);
	CHECK(!(l1->ecx & (1u << 3)), "quirk off: MONITOR clear");
	rt.mwait = true;
	khv_cpuid_apply_runtime(e, n, &rt);
	CHECK(l1->ecx & (1u << 3), "quirk off, ENABLE_MWAIT: MONITOR set");
	rt.mwait_follows = false;
	rt.mwait = false;
	khv_cpuid_apply_runtime(e, n, &rt);
	CHECK(l1->ecx & (1u << 3), "quirk on again: MONITOR stays");
	w1->ecx &= ~(1u << 3);
	/* XSETBV's rules against the guest's CPUID */
	sup = khv_guest_supported_xcr0(&v, 0xe7);
	CHECK(sup == 0xe7, "guest may enable its table's components");
	CHECK(khv_xcr0_valid(sup, 0x1) && khv_xcr0_valid(sup, 0x3) &&
	      khv_xcr0_valid(sup, 0x7) && khv_xcr0_valid(sup, 0xe7), "valid values");
	CHECK(!khv_xcr0_valid(sup, 0x0) && !khv_xcr0_valid(sup, 0x2), "x87 required");
	CHECK(!khv_xcr0_valid(sup, 0x5), "AVX needs SSE");
	CHECK(!khv_xcr0_valid(sup, 0x27) && !khv_xcr0_valid(sup, 0xe3),
	      "AVX-512 all or nothing, and with AVX");
	CHECK(!khv_xcr0_valid(sup, 0x207) && !khv_xcr0_valid(sup, 0x1f),
	      "PKRU, MPX: not offered");
	CHECK(khv_guest_supported_xcr0(&v, 0x7) == 0x7, "bounded by what khv offers");
	l7 = khv_cpuid_find(&v, 7, 0);
	CHECK(l7 != NULL, "leaf 7");
	/* without XSAVE in the guest's leaf 1, only x87 */
	((struct kvm_cpuid_entry2 *)l1)->ecx &= ~(1u << 26);
	CHECK(khv_guest_supported_xcr0(&v, 0xe7) == 0x1, "no XSAVE: x87 only");
	/* a host whose kernel has only x87|SSE: no AVX features at all */
	CHECK(!khv_cpuid_supported(fake_host, 0x3, 0, e, KHV_MAX_CPUID_ENTRIES, &n),
	      "fits");
	v = khv_cpuid_view(e, n);
	l1 = khv_cpuid_find(&v, 1, 0);
	l7 = khv_cpuid_find(&v, 7, 0);
	CHECK((l1->ecx & (1u << 26)) && !(l1->ecx & ((1u << 28) | (1u << 12))),
	      "XSAVE without AVX, FMA: %#x", l1->ecx);
	CHECK(!(l7->ebx & ((1u << 5) | (1u << 16))), "no AVX2, AVX512F");
	/* a host without XSAVE: leaf 0xD.0 all the same, as KVM, legacy sizes */
	CHECK(!khv_cpuid_supported(fake_host_no_xsave, 0, 0, e, KHV_MAX_CPUID_ENTRIES, &n),
	      "fits");
	v = khv_cpuid_view(e, n);
	d0 = khv_cpuid_find(&v, 0xd, 0);
	CHECK(d0 && !d0->eax && !d0->edx && d0->ebx == 576 && d0->ecx == 576 &&
	      !khv_cpuid_find(&v, 0xd, 1), "0xD.0 without components");
	CHECK(!(khv_cpuid_find(&v, 1, 0)->ecx & (1u << 26)), "no XSAVE");
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

/* CR0 loads: PE 0, NW 29, CD 30, PG 31; CR4.PAE 5, PCIDE 17; EFER.LME 8 */
static int t_cr0_rules(void)
{
	const uint64_t pe = 1, et = 0x10, nw = 1u << 29, cd = 1u << 30, pg = 1u << 31;
	const uint64_t lm_cr0 = pg | pe | et, pae = 0x20, pcide = 1u << 17, lme = 0x100;

	CHECK(khv_cr0_valid(0x60000010, 0x60000011, 0, 0, false), "reset, then PE");
	CHECK(khv_cr0_valid(et, cd | nw | et, 0, 0, false), "CD with NW");
	CHECK(!khv_cr0_valid(et, nw | et, 0, 0, false), "NW without CD");
	CHECK(!khv_cr0_valid(et, pg | et, 0, 0, false), "PG without PE");
	CHECK(khv_cr0_valid(pe, lm_cr0, 0, 0, false), "32-bit paging");
	CHECK(!khv_cr0_valid(pe, lm_cr0, 0, lme, false), "LME without PAE");
	CHECK(khv_cr0_valid(pe, lm_cr0, pae, lme, false), "long mode on");
	CHECK(khv_cr0_valid(lm_cr0, lm_cr0 | (1u << 16), 0, lme | 0x400, true),
	      "WP in long mode (PAE checked only when PG goes on)");
	CHECK(!khv_cr0_valid(lm_cr0, pe | et, pae, lme | 0x400, true),
	      "paging off in 64-bit code");
	CHECK(khv_cr0_valid(lm_cr0, pe | et, pae, lme | 0x400, false),
	      "paging off in compatibility mode");
	CHECK(!khv_cr0_valid(lm_cr0, pe | et, pae | pcide, lme, false),
	      "paging off with PCIDE");
	CHECK(!khv_cr0_valid(lm_cr0, lm_cr0 | (1ull << 32), pae, lme, true),
	      "bits 63:32");
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
	{ "cpuid_xsave", t_xsave },
	{ "cpuid_answer", t_answer },
	{ "cpuid_cr4_apic_rules", t_cr4_apic },
	{ "cr0_rules", t_cr0_rules },
	{ "cpuid_maxphyaddr_clamped", t_maxphyaddr_clamped },
};

int main(void)
{
	return KSFT_RUN(cases);
}
