/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPUID policy: which host CPUID bits a guest may see (what
 * KVM_GET_SUPPORTED_CPUID reports), how a guest's CPUID table answers a
 * query, and the checks that depend on the guest's CPUID (CR4, APIC base,
 * MAXPHYADDR). Pure (khv_pure.h): the host's CPUID comes from a callback.
 */
#ifndef KHV_CPUID_POLICY_H
#define KHV_CPUID_POLICY_H

#include <linux/kvm.h>
#include "khv_pure.h"

#define KHV_MAX_CPUID_ENTRIES	256	/* as KVM */

/* Executes CPUID(@leaf, @subleaf) on the host into r[0..3] = EAX..EDX. */
typedef void (*khv_host_cpuid_fn)(u32 leaf, u32 subleaf, u32 r[4]);

/*
 * Fill @out with the supported CPUID: 0 and *n, or -E2BIG when @max
 * entries are not enough. @host_xcr0: the host kernel's XCR0; @pv: KVM
 * paravirtual feature bits for leaf 0x40000001 EAX.
 */
int khv_cpuid_supported(khv_host_cpuid_fn host, u64 host_xcr0, u32 pv,
			struct kvm_cpuid_entry2 *out, u32 max, u32 *n);

/* XCR0 components (SDM vol. 1, 13.1). */
#define KHV_XF_FP		BIT_ULL(0)
#define KHV_XF_SSE		BIT_ULL(1)
#define KHV_XF_YMM		BIT_ULL(2)
#define KHV_XF_AVX512		(BIT_ULL(5) | BIT_ULL(6) | BIT_ULL(7))
/* The components khv lets a guest enable: x87, SSE, AVX, AVX-512. */
#define KHV_XCR0_SUPPORTED	(KHV_XF_FP | KHV_XF_SSE | KHV_XF_YMM | \
				 KHV_XF_AVX512)

/*
 * The XCR0 components khv offers guests on this host: KHV_XCR0_SUPPORTED
 * that the host's CPU has (CPUID 0xD) and its kernel enabled (@host_xcr0);
 * 0 without XSAVE.
 */
u64 khv_supported_xcr0(khv_host_cpuid_fn host, u64 host_xcr0);

struct khv_cpuid_view {
	const struct kvm_cpuid_entry2 *e;
	u32 n;
};

static inline struct khv_cpuid_view
khv_cpuid_view(const struct kvm_cpuid_entry2 *e, u32 n)
{
	struct khv_cpuid_view v = { e, n };

	return v;
}

/*
 * Instructions a hypervisor can make #UD that the guest's CPUID announces
 * (a guest gets #UD for the others, as with KVM): INVPCID (leaf 7.0 EBX
 * bit 10), RDTSCP (0x80000001 EDX bit 27).
 */
#define KHV_INSN_INVPCID	BIT(0)
#define KHV_INSN_RDTSCP		BIT(1)
u32 khv_cpuid_insns(const struct khv_cpuid_view *v);

/* The entry answering (@leaf, @subleaf), or NULL. */
const struct kvm_cpuid_entry2 *khv_cpuid_find(const struct khv_cpuid_view *v,
					      u32 leaf, u32 subleaf);
/*
 * What the guest's CPUID instruction returns, KVM-style: an exact entry,
 * else (Intel guests, leaf above the basic range) the highest basic leaf,
 * else zeros.
 */
void khv_cpuid_answer(const struct khv_cpuid_view *v, u32 leaf, u32 subleaf,
		      u32 r[4]);

/*
 * Bits of a guest's table that follow its state, as on hardware and as
 * KVM keeps them: leaf 1 EDX.APIC = IA32_APIC_BASE.EN, leaf 1
 * ECX.OSXSAVE = CR4.OSXSAVE, leaf 0xD EBX (subleaf 0, and subleaf 1 with
 * XSAVEC) = the XSAVE area size of the enabled components. Leaf 1
 * ECX.MONITOR = IA32_MISC_ENABLE.ENABLE_MWAIT (@mwait) only when
 * @mwait_follows, once user space disabled KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT;
 * with the quirk on it stays as user space set it.
 */
struct khv_cpuid_runtime {
	u64 apic_base, cr4, xcr0;
	bool mwait_follows, mwait;
};
void khv_cpuid_apply_runtime(struct kvm_cpuid_entry2 *e, u32 n,
			     const struct khv_cpuid_runtime *rt);

/*
 * The XCR0 values a guest may set: its CPUID leaf 0xD's components (none
 * without CPUID.1:ECX.XSAVE) within @supported, and always x87.
 */
u64 khv_guest_supported_xcr0(const struct khv_cpuid_view *v, u64 supported);
/* XSETBV's checks on XCR0 (SDM vol. 2, XSETBV): false means #GP. */
bool khv_xcr0_valid(u64 guest_supported, u64 xcr0);

/* The guest's MAXPHYADDR, held to KHV_MIN_PHYS_BITS..KHV_MAX_PHYS_BITS. */
#define KHV_MIN_PHYS_BITS	32
#define KHV_MAX_PHYS_BITS	52
u32 khv_guest_maxphyaddr(const struct khv_cpuid_view *v);
/* The CR4 bits a CPUID table allows (each with the feature it needs). */
u64 khv_cr4_allowed(const struct khv_cpuid_view *v);
/*
 * A CR4 value is valid if it sets only bits both the guest's CPUID and
 * @host_allowed (what khv supports on this host: khv_cr4_allowed() of the
 * supported CPUID) allow, as KVM checks guest CPUID and host support.
 */
bool khv_cr4_valid(const struct khv_cpuid_view *v, u64 host_allowed, u64 cr4);
bool khv_apic_base_valid(const struct khv_cpuid_view *v, u64 apic_base);
/*
 * A CR0 load from @old_cr0 (SDM vol. 3 2.5, 9.8.5; KVM's checks): no bits
 * 63:32, no NW without CD, no PG without PE, paging on with EFER.LME only
 * with CR4.PAE, paging off neither in 64-bit code (@long64) nor with
 * CR4.PCIDE.
 */
bool khv_cr0_valid(u64 old_cr0, u64 cr0, u64 cr4, u64 efer, bool long64);

#endif /* KHV_CPUID_POLICY_H */
