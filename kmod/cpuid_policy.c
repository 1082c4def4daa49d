// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID policy: see cpuid_policy.h. Pure. Bit positions from the Intel SDM
 * vol. 2 (CPUID) and AMD APM vol. 3 (appendix E).
 */
#include "cpuid_policy.h"

enum { EAX, EBX, ECX, EDX };

/*
 * The leaves khv reports and which bits of each register pass through
 * from the host. A bit not listed is one khv cannot give a guest (for
 * instance VMX/SVM, MONITOR, PMU, XSAVES) or that
 * describes the host only.
 */
struct khv_cpuid_rule {
	u32 leaf, subleaf;
	bool indexed;
	u32 mask[4];
	u32 set[4];
};

#define B(n)	(1u << (n))

static const struct khv_cpuid_rule khv_cpuid_rules[] = {
	/* vendor string; EAX (max basic leaf) is fixed up below */
	{ 0x0, 0, false, { 0, ~0u, ~0u, ~0u }, { 0 } },
	{ 0x1, 0, false, {
		~0u,					/* family/model/stepping */
		0x0000ffffu,				/* brand, CLFLUSH size */
		B(0) | B(1) | B(9) | B(12) | B(13) | B(17) | B(19) | B(20) |
		B(22) | B(23) | B(25) | B(26) | B(28) | B(29) | B(30),
		/* SSE3 PCLMUL SSSE3 FMA CX16 PCID SSE4.1/2 MOVBE POPCNT AES
		 * XSAVE AVX F16C RDRAND */
		B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) |
		B(9) | B(11) | B(12) | B(13) | B(14) | B(15) | B(16) | B(17) |
		B(19) | B(23) | B(24) | B(25) | B(26) | B(27),
		/* FPU ... SSE2, self-snoop; no HTT/PBE */
	  }, { 0, 0, B(21), 0 } },	/* x2APIC: the in-kernel LAPIC's, as KVM */
	/*
	 * Power management: ARAT only, as KVM, since the LAPIC timer is a host
	 * hrtimer that no guest C-state stops. HYPERVISOR (leaf 1 ECX bit 31)
	 * is not in the table either: as with KVM, the VMM sets it.
	 */
	{ 0x6, 0, false, { 0 }, { B(2), 0, 0, 0 } },
	{ 0x7, 0, true, {
		0,
		B(0) | B(3) | B(5) | B(6) | B(7) | B(8) | B(9) | B(10) |
		B(13) | B(16) | B(17) | B(18) | B(19) | B(20) | B(21) |
		B(23) | B(24) | B(28) | B(29) | B(30) | B(31),
		/* FSGSBASE BMI1 AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS INVPCID
		 * ZERO_FCS_FDS AVX512F/DQ RDSEED ADX SMAP AVX512IFMA
		 * CLFLUSHOPT CLWB AVX512CD SHA AVX512BW/VL; the two FPU bits
		 * describe the x87 the guest runs on */
		B(1) | B(2) | B(6) | B(8) | B(9) | B(10) | B(11) | B(12) |
		B(14),
		/* AVX512VBMI UMIP AVX512VBMI2 GFNI VAES VPCLMULQDQ AVX512VNNI
		 * AVX512BITALG AVX512VPOPCNTDQ */
		0 }, { 0, B(1), 0, B(29) } },
		/* TSC_ADJUST and ARCH_CAPABILITIES: khv's own MSRs (msr.c), as KVM */
	{ 0x80000000, 0, false, { 0, ~0u, ~0u, ~0u }, { 0 } },
	{ 0x80000001, 0, false, {
		~0u, 0,
		B(0) | B(5) | B(6) | B(7) | B(8),	/* LAHF_LM ABM SSE4A MISALIGNSSE 3DNOWPREFETCH */
		B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) |
		B(9) | B(11) | B(12) | B(13) | B(14) | B(15) | B(16) | B(17) |
		B(20) | B(22) | B(23) | B(24) | B(25) | B(26) | B(27) | B(29),
		/* x87..CMOV as leaf 1, SYSCALL NX MMXEXT MMX FXSR FFXSR 1G RDTSCP LM */
	  }, { 0 } },
	{ 0x80000002, 0, false, { ~0u, ~0u, ~0u, ~0u }, { 0 } },	/* brand string */
	{ 0x80000003, 0, false, { ~0u, ~0u, ~0u, ~0u }, { 0 } },
	{ 0x80000004, 0, false, { ~0u, ~0u, ~0u, ~0u }, { 0 } },
	/* L1 and L2/L3 cache and TLB descriptors: the host's, as KVM */
	{ 0x80000005, 0, false, { ~0u, ~0u, ~0u, ~0u }, { 0 } },
	{ 0x80000006, 0, false, { ~0u, ~0u, ~0u, ~0u & ~(B(16) | B(17)) }, { 0 } },
	/* invariant TSC only: a guest's TSC is the host's plus an offset */
	{ 0x80000007, 0, false, { 0, 0, 0, B(8) }, { 0 } },
	{ 0x80000008, 0, false, { 0xffffu, 0, 0, 0 }, { 0 } },	/* address sizes */
};

#define KHV_MAX_BASIC		0xdu
#define KHV_MAX_EXT		0x80000008u
#define KHV_HV_LEAF		0x40000000u

/*
 * The hypervisor leaves: signature "KhvKhvKhv\0\0\0", and in 0x40000001
 * EAX the KVM paravirtual features khv implements (@pv: kvmclock's), which
 * a VMM announces under KVM's own signature, as QEMU does.
 */
static void khv_cpuid_hv_leaves(struct kvm_cpuid_entry2 *e, u32 pv)
{
	e[0] = (struct kvm_cpuid_entry2){ .function = KHV_HV_LEAF,
		.eax = KHV_HV_LEAF + 1, .ebx = 0x4b76684b, .ecx = 0x684b7668,
		.edx = 0x00000076 };
	e[1] = (struct kvm_cpuid_entry2){ .function = KHV_HV_LEAF + 1, .eax = pv };
}

/* Leaf 1 ECX and leaf 7 EBX/ECX bits that need XSAVE-managed state. */
#define KHV_L1_XSAVE		B(26)
#define KHV_L1_AVX		B(28)
#define KHV_L1_NEED_YMM		(KHV_L1_AVX | B(12) | B(29))	/* AVX FMA F16C */
#define KHV_L7B_AVX2		B(5)
#define KHV_L7B_AVX512		(B(16) | B(17) | B(21) | B(28) | B(30) | B(31))
#define KHV_L7C_AVX512		(B(1) | B(6) | B(11) | B(12) | B(14))
#define KHV_L7C_NEED_YMM	(B(9) | B(10))			/* VAES VPCLMULQDQ */

/*
 * Size in bytes of an XSAVE area holding the components of @xcr0, from
 * the sizes and offsets of the table's leaf 0xD subleaves: standard format
 * (each component at its offset), or compacted (XSAVEC: in order, 64-byte
 * aligned where ECX bit 1 says).
 */
static u32 khv_xsave_size(const struct khv_cpuid_view *v, u64 xcr0,
			  bool compacted)
{
	u32 size = 512 + 64, i;

	for (i = 2; i < 64; i++) {
		const struct kvm_cpuid_entry2 *e;

		if (!(xcr0 & BIT_ULL(i)))
			continue;
		e = khv_cpuid_find(v, 0xd, i);
		if (!e || e->index != i || !e->eax)
			continue;
		if (!compacted) {
			if ((u64)e->ebx + e->eax > size)
				size = e->ebx + e->eax;
			continue;
		}
		if (e->ecx & B(1))
			size = (size + 63) & ~63u;
		size += e->eax;
	}
	return size;
}

/*
 * The XSAVE leaves: subleaf 0 with the components khv switches (those of
 * KHV_XCR0_SUPPORTED the host has enabled in its own XCR0), subleaf 1 with
 * XSAVEOPT, XSAVEC and XGETBV1 (no XSAVES: khv does not switch IA32_XSS),
 * and one subleaf per component. Returns the number of entries written,
 * or -E2BIG.
 */
static int khv_cpuid_xsave_leaves(khv_host_cpuid_fn host, u64 xcr0,
				  struct kvm_cpuid_entry2 *out, u32 room)
{
	struct khv_cpuid_view v;
	u32 h[4], i, k = 0;

	if (room < 2)
		return -E2BIG;
	host(0xd, 1, h);
	out[1] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 1,
		.eax = h[EAX] & (B(0) | B(1) | B(2)),
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	k = 2;
	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		if (k == room)
			return -E2BIG;
		host(0xd, i, h);
		out[k++] = (struct kvm_cpuid_entry2){ .function = 0xd,
			.index = i, .eax = h[EAX], .ebx = h[EBX],
			.ecx = h[ECX] & (B(0) | B(1)),
			.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	}
	out[0] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 0,
		.eax = (u32)xcr0, .edx = (u32)(xcr0 >> 32),
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	v = khv_cpuid_view(out, k);
	/* as KVM: EBX (enabled components) as ECX, the runtime sets it */
	out[0].ecx = khv_xsave_size(&v, xcr0, false);
	out[0].ebx = out[0].ecx;
	return k;
}

/* Drop the features whose state the switched XCR0 components lack. */
static void khv_cpuid_xsave_filter(struct kvm_cpuid_entry2 *e, u32 n, u64 xcr0)
{
	bool ymm = xcr0 & KHV_XF_YMM;
	bool avx512 = (xcr0 & KHV_XF_AVX512) == KHV_XF_AVX512;
	u32 i;

	for (i = 0; i < n; i++) {
		if (e[i].function == 1) {
			if (!(xcr0 & KHV_XF_SSE))
				e[i].ecx &= ~KHV_L1_XSAVE;
			if (!ymm || !(e[i].ecx & KHV_L1_XSAVE))
				e[i].ecx &= ~KHV_L1_NEED_YMM;
		} else if (e[i].function == 7 && e[i].index == 0) {
			if (!ymm) {
				e[i].ebx &= ~KHV_L7B_AVX2;
				e[i].ecx &= ~KHV_L7C_NEED_YMM;
			}
			if (!ymm || !avx512) {
				e[i].ebx &= ~KHV_L7B_AVX512;
				e[i].ecx &= ~KHV_L7C_AVX512;
			}
		}
	}
}

static u32 khv_clamp_max(u32 host_max, u32 ours)
{
	return host_max < ours ? host_max : ours;
}

static void khv_cpuid_apply(const struct khv_cpuid_rule *rule, const u32 h[4],
			    struct kvm_cpuid_entry2 *e)
{
	u32 r[4];
	int i;

	for (i = 0; i < 4; i++)
		r[i] = (h[i] & rule->mask[i]) | rule->set[i];
	*e = (struct kvm_cpuid_entry2){ .function = rule->leaf,
		.index = rule->subleaf, .eax = r[EAX], .ebx = r[EBX],
		.ecx = r[ECX], .edx = r[EDX],
		.flags = rule->indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0 };
}

u64 khv_supported_xcr0(khv_host_cpuid_fn host, u64 host_xcr0)
{
	u32 h[4];

	host(0, 0, h);
	if (h[EAX] < 0xd)
		return 0;
	host(1, 0, h);
	if (!(h[ECX] & KHV_L1_XSAVE))
		return 0;
	host(0xd, 0, h);
	host_xcr0 &= ((u64)h[EDX] << 32 | h[EAX]) & KHV_XCR0_SUPPORTED;
	/* x87 and SSE always, AVX-512's three components all or none */
	if ((host_xcr0 & (KHV_XF_FP | KHV_XF_SSE)) !=
	    (KHV_XF_FP | KHV_XF_SSE))
		return 0;
	if (!(host_xcr0 & KHV_XF_YMM) ||
	    (host_xcr0 & KHV_XF_AVX512) != KHV_XF_AVX512)
		host_xcr0 &= ~KHV_XF_AVX512;
	return host_xcr0;
}

int khv_cpuid_supported(khv_host_cpuid_fn host, u64 host_xcr0, u32 pv,
			struct kvm_cpuid_entry2 *out, u32 max, u32 *n)
{
	u64 xcr0 = khv_supported_xcr0(host, host_xcr0);
	u32 max_basic, max_ext, h[4], i, k = 0;
	int r;

	host(0, 0, h);
	max_basic = khv_clamp_max(h[EAX], KHV_MAX_BASIC);
	host(0x80000000, 0, h);
	max_ext = khv_clamp_max(h[EAX], KHV_MAX_EXT);
	for (i = 0; i < ARRAY_SIZE(khv_cpuid_rules); i++) {
		const struct khv_cpuid_rule *rule = &khv_cpuid_rules[i];
		bool ext = rule->leaf >= 0x80000000u;

		if (rule->leaf > (ext ? max_ext : max_basic))
			continue;
		if (k == max)
			return -E2BIG;
		host(rule->leaf, rule->subleaf, h);
		khv_cpuid_apply(rule, h, &out[k]);
		if (rule->leaf == 0)
			out[k].eax = max_basic;
		if (rule->leaf == 0x80000000u)
			out[k].eax = max_ext;
		k++;
	}
	khv_cpuid_xsave_filter(out, k, xcr0);
	if (xcr0 && max_basic >= 0xd) {
		r = khv_cpuid_xsave_leaves(host, xcr0, &out[k], max - k);
		if (r < 0)
			return r;
		k += r;
	} else if (max_basic >= 0xd) {
		/* no XSAVE: as KVM, subleaf 0 with no components, legacy sizes */
		if (k == max)
			return -E2BIG;
		out[k++] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 0,
			.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 512 + 64,
			.ecx = 512 + 64 };
	}
	if (k + 2 > max)
		return -E2BIG;
	khv_cpuid_hv_leaves(&out[k], pv);
	*n = k + 2;
	return 0;
}

const struct kvm_cpuid_entry2 *khv_cpuid_find(const struct khv_cpuid_view *v,
					      u32 leaf, u32 subleaf)
{
	u32 i;

	for (i = 0; i < v->n; i++) {
		const struct kvm_cpuid_entry2 *e = &v->e[i];

		if (e->function != leaf)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e->index == subleaf)
			return e;
	}
	return NULL;
}

static bool khv_cpuid_is_intel(const struct khv_cpuid_view *v)
{
	const struct kvm_cpuid_entry2 *e = khv_cpuid_find(v, 0, 0);

	/* "GenuineIntel" */
	return e && e->ebx == 0x756e6547 && e->edx == 0x49656e69 &&
	       e->ecx == 0x6c65746e;
}

void khv_cpuid_answer(const struct khv_cpuid_view *v, u32 leaf, u32 subleaf,
		      u32 r[4])
{
	const struct kvm_cpuid_entry2 *e = khv_cpuid_find(v, leaf, subleaf);
	const struct kvm_cpuid_entry2 *basic = khv_cpuid_find(v, 0, 0);

	if (!e && khv_cpuid_is_intel(v) && basic && leaf < 0x40000000u &&
	    leaf > basic->eax)
		e = khv_cpuid_find(v, basic->eax, subleaf);
	r[EAX] = e ? e->eax : 0;
	r[EBX] = e ? e->ebx : 0;
	r[ECX] = e ? e->ecx : 0;
	r[EDX] = e ? e->edx : 0;
}

void khv_cpuid_apply_runtime(struct kvm_cpuid_entry2 *e, u32 n,
			     const struct khv_cpuid_runtime *rt)
{
	struct khv_cpuid_view v = khv_cpuid_view(e, n);
	u32 i;

	for (i = 0; i < n; i++) {
		if (e[i].function == 1) {
			if (rt->apic_base & BIT_ULL(11))
				e[i].edx |= B(9);
			else
				e[i].edx &= ~B(9);
			if (rt->cr4 & BIT_ULL(18))	/* OSXSAVE */
				e[i].ecx |= B(27);
			else
				e[i].ecx &= ~B(27);
			if (rt->mwait_follows && rt->mwait)
				e[i].ecx |= B(3);
			else if (rt->mwait_follows)
				e[i].ecx &= ~B(3);
		} else if (e[i].function == 0xd && e[i].index == 0) {
			e[i].ebx = khv_xsave_size(&v, rt->xcr0, false);
		} else if (e[i].function == 0xd && e[i].index == 1 &&
			   (e[i].eax & B(1))) {		/* XSAVEC */
			e[i].ebx = khv_xsave_size(&v, rt->xcr0, true);
		}
	}
}

static u32 khv_cpuid_reg(const struct khv_cpuid_view *v, u32 leaf, int reg)
{
	u32 r[4];

	khv_cpuid_answer(v, leaf, 0, r);
	return r[reg];
}

u32 khv_cpuid_insns(const struct khv_cpuid_view *v)
{
	u32 insns = 0;

	if (khv_cpuid_reg(v, 7, EBX) & B(10))
		insns |= KHV_INSN_INVPCID;
	if (khv_cpuid_reg(v, 0x80000001u, EDX) & B(27))
		insns |= KHV_INSN_RDTSCP;
	return insns;
}

/*
 * CPUID 0x80000008 EAX[7:0], the guest's MAXPHYADDR. User space may put
 * any byte there; every address check shifts by it, so it is held to
 * what a CPU can have (32..52 bits); without the leaf, 36 as KVM.
 */
u32 khv_guest_maxphyaddr(const struct khv_cpuid_view *v)
{
	const struct kvm_cpuid_entry2 *e = khv_cpuid_find(v, 0x80000000u, 0);
	u32 bits = 0;

	if (e && e->eax >= 0x80000008u)
		bits = khv_cpuid_reg(v, 0x80000008u, EAX) & 0xff;
	if (!bits)
		bits = 36;
	if (bits < KHV_MIN_PHYS_BITS)
		bits = KHV_MIN_PHYS_BITS;
	if (bits > KHV_MAX_PHYS_BITS)
		bits = KHV_MAX_PHYS_BITS;
	return bits;
}

/* CR4 bits a guest may set, each with the CPUID feature it needs. */
static const struct {
	u64 bit;
	u32 leaf;
	int reg;
	u32 feature;		/* 0: always allowed */
} khv_cr4_rules[] = {
	{ BIT_ULL(0), 0, 0, 0 },		/* VME */
	{ BIT_ULL(1), 0, 0, 0 },		/* PVI */
	{ BIT_ULL(2), 0, 0, 0 },		/* TSD */
	{ BIT_ULL(3), 0, 0, 0 },		/* DE */
	{ BIT_ULL(4), 0, 0, 0 },		/* PSE */
	{ BIT_ULL(5), 0, 0, 0 },		/* PAE */
	{ BIT_ULL(6), 0, 0, 0 },		/* MCE */
	{ BIT_ULL(7), 0, 0, 0 },		/* PGE */
	{ BIT_ULL(8), 0, 0, 0 },		/* PCE */
	{ BIT_ULL(9), 0, 0, 0 },		/* OSFXSR */
	{ BIT_ULL(10), 0, 0, 0 },		/* OSXMMEXCPT */
	{ BIT_ULL(11), 7, ECX, B(2) },		/* UMIP */
	{ BIT_ULL(16), 7, EBX, B(0) },		/* FSGSBASE */
	{ BIT_ULL(17), 1, ECX, B(17) },		/* PCIDE */
	{ BIT_ULL(18), 1, ECX, B(26) },		/* OSXSAVE */
	{ BIT_ULL(20), 7, EBX, B(7) },		/* SMEP */
	{ BIT_ULL(21), 7, EBX, B(20) },		/* SMAP */
};

u64 khv_cr4_allowed(const struct khv_cpuid_view *v)
{
	u64 allowed = 0;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(khv_cr4_rules); i++)
		if (!khv_cr4_rules[i].feature ||
		    (khv_cpuid_reg(v, khv_cr4_rules[i].leaf,
				   khv_cr4_rules[i].reg) &
		     khv_cr4_rules[i].feature))
			allowed |= khv_cr4_rules[i].bit;
	return allowed;
}

bool khv_cr4_valid(const struct khv_cpuid_view *v, u64 host_allowed, u64 cr4)
{
	return !(cr4 & ~(khv_cr4_allowed(v) & host_allowed));
}

/* CR0, CR4 and EFER bits the CR0 rules look at (SDM vol. 3, 2.5) */
#define CR0_PE		BIT_ULL(0)
#define CR0_NW		BIT_ULL(29)
#define CR0_CD		BIT_ULL(30)
#define CR0_PG		BIT_ULL(31)
#define CR4_PAE		BIT_ULL(5)
#define CR4_PCIDE	BIT_ULL(17)
#define EFER_LME_BIT	BIT_ULL(8)

bool khv_cr0_valid(u64 old_cr0, u64 cr0, u64 cr4, u64 efer, bool long64)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & CR0_NW) && !(cr0 & CR0_CD))
		return false;
	if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
		return false;
	/* long mode needs PAE paging */
	if ((cr0 & CR0_PG) && !(old_cr0 & CR0_PG) && (efer & EFER_LME_BIT) &&
	    !(cr4 & CR4_PAE))
		return false;
	if (!(cr0 & CR0_PG) && (long64 || (cr4 & CR4_PCIDE)))
		return false;
	return true;
}

/*
 * IA32_APIC_BASE: BSP(8), x2APIC enable(10) only with x2APIC and only
 * together with EN(11) (EXTD without EN is the SDM's invalid state), base.
 */
bool khv_apic_base_valid(const struct khv_cpuid_view *v, u64 apic_base)
{
	u64 reserved = (~0ULL << khv_guest_maxphyaddr(v)) | 0x2ffULL;

	if (!(khv_cpuid_reg(v, 1, ECX) & B(21)))
		reserved |= BIT_ULL(10);
	if ((apic_base & (BIT_ULL(10) | BIT_ULL(11))) == BIT_ULL(10))
		return false;
	return !(apic_base & reserved);
}

u64 khv_guest_supported_xcr0(const struct khv_cpuid_view *v, u64 supported)
{
	const struct kvm_cpuid_entry2 *e = khv_cpuid_find(v, 0xd, 0);

	if (!e || !(khv_cpuid_reg(v, 1, ECX) & KHV_L1_XSAVE))
		return KHV_XF_FP;
	return (((u64)e->edx << 32 | e->eax) & supported) | KHV_XF_FP;
}

bool khv_xcr0_valid(u64 guest_supported, u64 xcr0)
{
	if (!(xcr0 & KHV_XF_FP))
		return false;
	if ((xcr0 & KHV_XF_YMM) && !(xcr0 & KHV_XF_SSE))
		return false;
	if (xcr0 & ~guest_supported)
		return false;
	if (xcr0 & KHV_XF_AVX512) {
		if (!(xcr0 & KHV_XF_YMM))
			return false;
		if ((xcr0 & KHV_XF_AVX512) != KHV_XF_AVX512)
			return false;
	}
	return true;
}
