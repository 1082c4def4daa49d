// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs: one table says which MSRs a guest has, who holds each (the
 * backend's VMCB/VMCS, or khv_msrs here), and whether it is listed by
 * KVM_GET_MSR_INDEX_LIST. Guest RDMSR/WRMSR of anything else gets #GP;
 * KVM_GET/SET_MSRS stop at the first MSR they cannot do, as KVM.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>

#include "khv.h"
#include "cpuid_policy.h"

#define KHV_MCE_BANKS		10	/* what QEMU's default CPU models ask for */
#define KHV_MAX_IO_MSRS		256	/* entries per KVM_GET/SET_MSRS, as KVM */
#define MSR_KVM_WALL_CLOCK_OLD	0x11
#define MSR_KVM_SYSTEM_TIME_OLD	0x12

struct khv_msrs {
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];
	u64 mtrr_var[16];
	u64 mcg_status;
	u64 mcg_ctl;
	u64 mc_bank[KHV_MCE_BANKS * 4];
	u64 misc_enable;
	u64 hwcr;
};

enum khv_msr_kind {
	KHV_MSR_BACKEND,	/* the backend holds it */
	KHV_MSR_FIELD,		/* a u64 (or array) in struct khv_msrs */
	KHV_MSR_CONST,		/* reads .value; writes only of .value */
	KHV_MSR_APIC_BASE,
	KHV_MSR_HOST_ZERO,	/* kvmclock's old MSRs: user space writes 0 */
};

#define F_LIST		BIT(0)	/* in KVM_GET_MSR_INDEX_LIST */
#define F_GUEST		BIT(1)	/* the guest may RDMSR/WRMSR it */
#define F_CANON		BIT(2)	/* value is an address: must be canonical */

struct khv_msr_desc {
	u32 first, last;
	enum khv_msr_kind kind;
	u32 flags;
	size_t offset;		/* KHV_MSR_FIELD: of the first MSR's u64 */
	u64 value;		/* KHV_MSR_CONST */
};

/* Designated initializers only: a positional one after them shifts fields. */
#define RANGE(a, b)	.first = (a), .last = (b)
#define ONE(i)		RANGE(i, i)
#define BACKEND		.kind = KHV_MSR_BACKEND
#define FIELD(m)	.kind = KHV_MSR_FIELD, .offset = offsetof(struct khv_msrs, m)
#define CONST(v)	.kind = KHV_MSR_CONST, .value = (v)

static const struct khv_msr_desc khv_msr_table[] = {
	{ ONE(MSR_IA32_TSC), BACKEND, .flags = F_LIST | F_GUEST },
	{ ONE(MSR_KVM_WALL_CLOCK_OLD), .kind = KHV_MSR_HOST_ZERO },
	{ ONE(MSR_KVM_SYSTEM_TIME_OLD), .kind = KHV_MSR_HOST_ZERO },
	{ ONE(MSR_IA32_APICBASE), .kind = KHV_MSR_APIC_BASE, .flags = F_GUEST },
	{ ONE(MSR_MTRRcap), CONST(0x508), .flags = F_GUEST },
	{ RANGE(MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_EIP), BACKEND,
	  .flags = F_LIST | F_GUEST },
	/* MCG_CTL_P and the bank count */
	{ ONE(MSR_IA32_MCG_CAP), CONST(KHV_MCE_BANKS | BIT_ULL(8)), .flags = F_GUEST },
	{ ONE(MSR_IA32_MCG_STATUS), FIELD(mcg_status), .flags = F_LIST | F_GUEST },
	{ ONE(MSR_IA32_MCG_CTL), FIELD(mcg_ctl), .flags = F_LIST | F_GUEST },
	{ ONE(MSR_IA32_MISC_ENABLE), FIELD(misc_enable), .flags = F_LIST | F_GUEST },
	{ RANGE(0x200, 0x20f), FIELD(mtrr_var), .flags = F_GUEST },
	{ ONE(MSR_MTRRfix64K_00000), FIELD(mtrr_fixed[0]), .flags = F_GUEST },
	{ RANGE(MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000), FIELD(mtrr_fixed[1]),
	  .flags = F_GUEST },
	{ RANGE(MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_F8000), FIELD(mtrr_fixed[3]),
	  .flags = F_GUEST },
	{ ONE(MSR_IA32_CR_PAT), BACKEND, .flags = F_LIST | F_GUEST },
	{ ONE(MSR_MTRRdefType), FIELD(mtrr_def_type), .flags = F_GUEST },
	{ RANGE(MSR_IA32_MC0_CTL, MSR_IA32_MC0_CTL + KHV_MCE_BANKS * 4 - 1),
	  FIELD(mc_bank), .flags = F_GUEST },
	{ ONE(MSR_EFER), BACKEND, .flags = F_GUEST },
	{ ONE(MSR_STAR), BACKEND, .flags = F_LIST | F_GUEST },
	{ RANGE(MSR_LSTAR, MSR_CSTAR), BACKEND, .flags = F_LIST | F_GUEST | F_CANON },
	{ ONE(MSR_SYSCALL_MASK), BACKEND, .flags = F_LIST | F_GUEST },
	{ RANGE(MSR_FS_BASE, MSR_GS_BASE), BACKEND, .flags = F_GUEST | F_CANON },
	{ ONE(MSR_KERNEL_GS_BASE), BACKEND, .flags = F_LIST | F_GUEST | F_CANON },
	{ ONE(MSR_TSC_AUX), BACKEND, .flags = F_LIST | F_GUEST },
	{ ONE(MSR_K7_HWCR), FIELD(hwcr), .flags = F_GUEST },
};

static const struct khv_msr_desc *khv_msr_desc(u32 index)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khv_msr_table); i++)
		if (index >= khv_msr_table[i].first && index <= khv_msr_table[i].last)
			return &khv_msr_table[i];
	return NULL;
}

int khv_msrs_alloc(struct khv_vcpu *vcpu)
{
	vcpu->msrs = kzalloc(sizeof(*vcpu->msrs), GFP_KERNEL_ACCOUNT);
	if (!vcpu->msrs)
		return -ENOMEM;
	vcpu->msrs->mcg_ctl = ~0ULL;
	return 0;
}

static u64 *khv_msr_field(struct khv_vcpu *vcpu, const struct khv_msr_desc *d,
			  u32 index)
{
	return (u64 *)((char *)vcpu->msrs + d->offset) + (index - d->first);
}

static bool khv_cpuid_has(struct khv_vcpu *vcpu, u32 leaf, int reg, u32 bit)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	u32 r[4];

	khv_cpuid_answer(&v, leaf, 0, r);
	return r[reg] & bit;
}

/* EFER bits the guest's CPUID allows (LMA follows LME and paging). */
static bool khv_efer_valid(struct khv_vcpu *vcpu, u64 efer)
{
	u64 ok = 0;

	if (khv_cpuid_has(vcpu, 0x80000001, 3, BIT(11)))
		ok |= EFER_SCE;
	if (khv_cpuid_has(vcpu, 0x80000001, 3, BIT(29)))
		ok |= EFER_LME | EFER_LMA;
	if (khv_cpuid_has(vcpu, 0x80000001, 3, BIT(20)))
		ok |= EFER_NX;
	return !(efer & ~ok);
}

/* Each PAT entry must name a memory type: 0, 1, 4, 5, 6 or 7. */
static bool khv_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

static bool khv_msr_value_valid(struct khv_vcpu *vcpu,
				const struct khv_msr_desc *d, u32 index,
				u64 data)
{
	if ((d->flags & F_CANON) && (u64)((s64)(data << 16) >> 16) != data)
		return false;
	if (index == MSR_EFER)
		return khv_efer_valid(vcpu, data);
	if (index == MSR_IA32_CR_PAT)
		return khv_pat_valid(data);
	if (index == MSR_TSC_AUX)
		return !(data >> 32);
	return true;
}

static int khv_msr_read(struct khv_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	const struct khv_msr_desc *d = khv_msr_desc(index);

	if (!d || (!host && !(d->flags & F_GUEST)))
		return -ENOENT;
	switch (d->kind) {
	case KHV_MSR_BACKEND:
		return khv_ops->get_msr(vcpu, index, data);
	case KHV_MSR_FIELD:
		*data = *khv_msr_field(vcpu, d, index);
		return 0;
	case KHV_MSR_CONST:
		*data = d->value;
		return 0;
	case KHV_MSR_APIC_BASE:
		*data = vcpu->apic_base;
		return 0;
	case KHV_MSR_HOST_ZERO:
		*data = 0;
		return 0;
	}
	return -ENOENT;
}

static int khv_msr_write(struct khv_vcpu *vcpu, u32 index, u64 data, bool host)
{
	const struct khv_msr_desc *d = khv_msr_desc(index);
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);

	if (!d || (!host && !(d->flags & F_GUEST)))
		return -ENOENT;
	if (!khv_msr_value_valid(vcpu, d, index, data))
		return -EINVAL;
	switch (d->kind) {
	case KHV_MSR_BACKEND:
		return khv_ops->set_msr(vcpu, index, data);
	case KHV_MSR_FIELD:
		*khv_msr_field(vcpu, d, index) = data;
		return 0;
	case KHV_MSR_CONST:
		return data == d->value ? 0 : -EINVAL;
	case KHV_MSR_APIC_BASE:
		if (!khv_apic_base_valid(&v, data))
			return -EINVAL;
		khv_set_apic_base(vcpu, data);
		return 0;
	case KHV_MSR_HOST_ZERO:
		return data ? -EINVAL : 0;
	}
	return -ENOENT;
}

int khv_guest_rdmsr(struct khv_vcpu *vcpu, u32 index, u64 *data)
{
	return khv_msr_read(vcpu, index, data, false);
}

int khv_guest_wrmsr(struct khv_vcpu *vcpu, u32 index, u64 data)
{
	/* Turning long mode on or off under paging is the guest's #GP. */
	if (index == MSR_EFER) {
		u64 old = 0;
		struct khv_paging p;

		khv_ops->get_paging(vcpu, &p);
		khv_ops->get_msr(vcpu, MSR_EFER, &old);
		if ((p.cr0 & X86_CR0_PG) && ((old ^ data) & EFER_LME))
			return -EINVAL;
		data = (data & ~EFER_LMA) | (old & EFER_LMA);
	}
	return khv_msr_write(vcpu, index, data, false);
}

/* KVM_GET_MSRS / KVM_SET_MSRS: returns how many entries were done. */
static long khv_msrs_ioctl(struct khv_vcpu *vcpu, unsigned long arg, bool set)
{
	struct kvm_msrs __user *u = (void __user *)arg;
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	long r = 0;
	u32 i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= KHV_MAX_IO_MSRS)
		return -E2BIG;
	e = memdup_user(u->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++) {
		if (set ? khv_msr_write(vcpu, e[i].index, e[i].data, true) :
			  khv_msr_read(vcpu, e[i].index, &e[i].data, true))
			break;
	}
	r = i;
	if (!set && copy_to_user(u->entries, e, hdr.nmsrs * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

long khv_vcpu_get_msrs(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_msrs_ioctl(vcpu, arg, false);
}

long khv_vcpu_set_msrs(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_msrs_ioctl(vcpu, arg, true);
}

/* TSC_AUX is listed only when a guest can have RDTSCP. */
static bool khv_msr_listed(u32 index, bool rdtscp)
{
	return index != MSR_TSC_AUX || rdtscp;
}

/* KVM_GET_MSR_INDEX_LIST: nmsrs is always written back; -E2BIG if short. */
long khv_get_msr_index_list(unsigned long arg)
{
	struct kvm_msr_list __user *u = (void __user *)arg;
	bool rdtscp = boot_cpu_has(X86_FEATURE_RDTSCP);
	struct kvm_msr_list hdr;
	u32 n = 0, room, idx;
	size_t i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	for (i = 0; i < ARRAY_SIZE(khv_msr_table); i++) {
		const struct khv_msr_desc *d = &khv_msr_table[i];

		if (!(d->flags & F_LIST))
			continue;
		for (idx = d->first; idx <= d->last; idx++) {
			if (!khv_msr_listed(idx, rdtscp))
				continue;
			if (n < room && put_user(idx, &u->indices[n]))
				return -EFAULT;
			n++;
		}
	}
	hdr.nmsrs = n;
	if (copy_to_user(u, &hdr, sizeof(hdr)))
		return -EFAULT;
	return n > room ? -E2BIG : 0;
}
