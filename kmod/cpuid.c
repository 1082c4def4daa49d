// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: KVM_GET_SUPPORTED_CPUID (system fd), KVM_SET/GET_CPUID2, and the
 * guest's CPUID instruction answered from its table. Policy: cpuid_policy.c.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/fpu/xcr.h>

#include "khv.h"
#include "cpuid_policy.h"

static void khv_host_cpuid(u32 leaf, u32 subleaf, u32 r[4])
{
	cpuid_count(leaf, subleaf, &r[0], &r[1], &r[2], &r[3]);
}

u64 khv_host_xcr0;
u64 khv_xcr0_supported;
u32 khv_xsave_uabi_size;

/* The supported CPUID in a fresh buffer; *n entries. */
struct kvm_cpuid_entry2 *khv_supported_cpuid(u32 *n)
{
	struct kvm_cpuid_entry2 *e = kvcalloc(KHV_MAX_CPUID_ENTRIES, sizeof(*e),
					      GFP_KERNEL);
	bool invpcid = khv_ops->invpcid();
	u32 i;

	if (e && khv_cpuid_supported(khv_host_cpuid, khv_host_xcr0,
				     khv_kvmclock_features() | khv_pv_features(), e,
				     KHV_MAX_CPUID_ENTRIES, n)) {
		kvfree(e);
		return NULL;
	}
	/* the backend's word on INVPCID (VMX: its execution control) */
	for (i = 0; e && !invpcid && i < *n; i++)
		if (e[i].function == 7 && e[i].index == 0)
			e[i].ebx &= ~BIT(10);
	return e;
}

/* CR4 bits khv lets guests set on this host; set once at load. */
u64 khv_host_cr4;

/* At load, on one CPU: what the supported CPUID allows in CR4. */
int khv_cpuid_init(void)
{
	struct khv_cpuid_view v;
	struct kvm_cpuid_entry2 *e;
	struct fpu_guest probe;
	u32 n;

	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		khv_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	khv_xcr0_supported = khv_supported_xcr0(khv_host_cpuid, khv_host_xcr0);
	/* what the FPU core copies for a guest: KVM_CAP_XSAVE2's answer */
	if (!fpu_alloc_guest_fpstate(&probe))
		return -ENOMEM;
	khv_xsave_uabi_size = max_t(u32, probe.uabi_size,
				    sizeof(struct kvm_xsave));
	fpu_free_guest_fpstate(&probe);
	e = khv_supported_cpuid(&n);
	if (!e)
		return -ENOMEM;
	v = khv_cpuid_view(e, n);
	khv_host_cr4 = khv_cr4_allowed(&v);
	kvfree(e);
	return 0;
}

/* KVM_GET_SUPPORTED_CPUID: -E2BIG until nent is large enough (KVM's protocol). */
long khv_get_supported_cpuid(unsigned long arg)
{
	struct kvm_cpuid2 __user *u = (void __user *)arg;
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 c;
	long r = 0;
	u32 n;

	if (copy_from_user(&c, u, sizeof(c)))
		return -EFAULT;
	e = khv_supported_cpuid(&n);
	if (!e)
		return -ENOMEM;
	if (c.nent < n)
		r = -E2BIG;
	else if (copy_to_user(u->entries, e, n * sizeof(*e)))
		r = -EFAULT;
	c.nent = n;
	if (!r && copy_to_user(u, &c, sizeof(c)))
		r = -EFAULT;
	kvfree(e);
	return r;
}

static bool khv_cpuid_equal(const struct kvm_cpuid_entry2 *a, u32 na,
			    const struct kvm_cpuid_entry2 *b, u32 nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}

/* The guest state its CPUID table's runtime bits follow. */
static struct khv_cpuid_runtime khv_cpuid_runtime_of(struct khv_vcpu *vcpu)
{
	struct khv_paging p;

	khv_ops->get_paging(vcpu, &p);
	return (struct khv_cpuid_runtime){
		.apic_base = vcpu->apic_base, .cr4 = p.cr4, .xcr0 = vcpu->xcr0,
		.mwait_follows = khv_quirk_off(vcpu->vm,
					       KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT),
		.mwait = khv_misc_enable_mwait(vcpu),
	};
}

long khv_vcpu_set_cpuid2(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_cpuid2 __user *u = (void __user *)arg;
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 c;

	if (copy_from_user(&c, u, sizeof(c)))
		return -EFAULT;
	if (c.nent > KHV_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (c.nent) {
		e = vmemdup_user(u->entries, c.nent * sizeof(*e));
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	if (e) {
		struct khv_cpuid_runtime rt = khv_cpuid_runtime_of(vcpu);

		khv_cpuid_apply_runtime(e, c.nent, &rt);
	}
	/* As KVM: after KVM_RUN only the same table may be set again. */
	if (vcpu->ran) {
		bool same = khv_cpuid_equal(e, c.nent, vcpu->cpuid, vcpu->cpuid_nent);

		kvfree(e);
		return same ? 0 : -EINVAL;
	}
	kvfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->cpuid_nent = c.nent;
	vcpu->cpuid_set = true;
	khv_vlapic_cpuid_changed(vcpu);
	khv_cpuid_apply_controls(vcpu);
	return 0;
}

long khv_vcpu_get_cpuid2(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_cpuid2 __user *u = (void __user *)arg;
	struct kvm_cpuid2 c;

	if (copy_from_user(&c, u, sizeof(c)))
		return -EFAULT;
	if (c.nent < vcpu->cpuid_nent)
		return -E2BIG;
	if (copy_to_user(u->entries, vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	c.nent = vcpu->cpuid_nent;
	return copy_to_user(u, &c, sizeof(c)) ? -EFAULT : 0;
}

/*
 * What the vCPU's CPUID table decides in the backend's controls, after
 * KVM_SET_CPUID2 and after a reset: whether INVPCID and RDTSCP run or
 * are #UD.
 */
void khv_cpuid_apply_controls(struct khv_vcpu *vcpu)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);

	khv_ops->allow_insns(vcpu, khv_cpuid_insns(&v));
}

/*
 * Does the guest's CPUID (leaf @leaf, subleaf 0) have @bit in register
 * @reg (0-3: EAX-EDX)?
 */
bool khv_cpuid_has(struct khv_vcpu *vcpu, u32 leaf, int reg, u32 bit)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	u32 r[4];

	khv_cpuid_answer(&v, leaf, 0, r);
	return r[reg] & bit;
}

/*
 * Whether CR4 may hold @cr4: bits khv supports on this host, and once
 * user space set the vCPU's CPUID, only those that table announces. As
 * KVM, a vCPU without KVM_SET_CPUID2 yet takes every supported bit
 * (Linux's set_sregs_test checks that first).
 */
bool khv_vcpu_cr4_valid(struct khv_vcpu *vcpu, u64 cr4)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);

	if (!vcpu->cpuid_set)
		return !(cr4 & ~khv_host_cr4);
	return khv_cr4_valid(&v, khv_host_cr4, cr4);
}

/*
 * The guest's APIC base, CR4 or XCR0 changed: its CPUID table follows
 * (khv_cpuid_apply_runtime), and so does whether XCR0 is switched.
 */
void khv_cpuid_update_runtime(struct khv_vcpu *vcpu)
{
	struct khv_cpuid_runtime rt = khv_cpuid_runtime_of(vcpu);

	vcpu->guest_osxsave = rt.cr4 & X86_CR4_OSXSAVE;
	khv_cpuid_apply_runtime(vcpu->cpuid, vcpu->cpuid_nent, &rt);
}

/* IA32_APIC_BASE changed: the guest's CPUID table follows. */
void khv_set_apic_base(struct khv_vcpu *vcpu, u64 apic_base)
{
	vcpu->apic_base = apic_base;
	khv_cpuid_update_runtime(vcpu);
}

/*
 * XSETBV's and KVM_SET_XCRS's write of XCR0: 0, or -EINVAL for a value
 * the guest's CPUID does not allow (#GP for XSETBV).
 */
int khv_set_xcr0(struct khv_vcpu *vcpu, u64 xcr0)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);

	if (!khv_xcr0_valid(khv_guest_supported_xcr0(&v, khv_xcr0_supported),
			    xcr0))
		return -EINVAL;
	vcpu->xcr0 = xcr0;
	khv_cpuid_update_runtime(vcpu);
	return 0;
}

void khv_emulate_cpuid(struct khv_vcpu *vcpu)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	u32 r[4];

	khv_cpuid_answer(&v, vcpu->gprs[0], vcpu->gprs[1], r);
	vcpu->gprs[0] = r[0];
	vcpu->gprs[3] = r[1];
	vcpu->gprs[1] = r[2];
	vcpu->gprs[2] = r[3];
}
