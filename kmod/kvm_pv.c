// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's paravirtual features besides kvmclock (kvmclock.c), with KVM's
 * MSRs and semantics, so that a guest (or a VMM's CPU model) that uses
 * them on KVM finds them here, and a guest moved here from KVM with them
 * enabled goes on:
 *   - KVM_FEATURE_NOP_IO_DELAY: a CPUID bit only (port 0x80 delays can go);
 *   - KVM_FEATURE_STEAL_TIME: MSR_KVM_STEAL_TIME, the time the vCPU's
 *     thread waited for a host CPU, in the guest's struct kvm_steal_time;
 *   - KVM_FEATURE_ASYNC_PF: MSR_KVM_ASYNC_PF_EN is kept and validated as
 *     KVM does; no asynchronous page fault is ever delivered (khv pins
 *     guest memory, so no fault waits on the host);
 *   - KVM_FEATURE_PV_EOI: MSR_KVM_PV_EOI_EN here, the EOI itself in
 *     irq/vlapic.c.
 * As KVM without KVM_CAP_ENFORCE_PV_FEATURE_CPUID, the MSRs answer
 * whatever the guest's CPUID says; with it, only those it announces
 * (khv_pv_msr_allowed()). KVM's hypercalls are run.c's.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <asm/kvm_para.h>

#include "khv.h"
#include "cpuid_policy.h"

u32 khv_pv_features(void)
{
	u32 f = BIT(KVM_FEATURE_NOP_IO_DELAY) | BIT(KVM_FEATURE_ASYNC_PF) |
		BIT(KVM_FEATURE_PV_EOI);

	if (sched_info_on())
		f |= BIT(KVM_FEATURE_STEAL_TIME);
	return f;
}

static u64 khv_run_delay(void)
{
#ifdef CONFIG_SCHED_INFO
	return READ_ONCE(current->sched_info.run_delay);
#else
	return 0;
#endif
}

/*
 * Before an entry: if steal time is on and the thread has waited since
 * the last update (or the MSR was just written), add the wait to the
 * guest's steal counter under the version protocol (odd while it
 * changes). A structure outside guest RAM is not written, as KVM.
 */
void __khv_steal_time_before_entry(struct khv_vcpu *vcpu)
{
	u64 gpa = vcpu->steal_msr & KVM_STEAL_VALID_BITS, delay;
	struct {
		u64 steal;
		u32 version;
	} st;
	u8 preempted = 0;

	delay = khv_run_delay();
	if (delay == vcpu->steal_last && !vcpu->steal_update)
		return;
	vcpu->steal_update = false;
	/* steal and version lead struct kvm_steal_time, in that order */
	BUILD_BUG_ON(offsetof(struct kvm_steal_time, version) !=
		     offsetof(typeof(st), version));
	if (khv_read_guest(vcpu, gpa, &st, sizeof(st)))
		return;
	/* odd at the first write (the guest's junk): make it even first */
	st.version += (st.version & 1) + 1;
	khv_write_guest(vcpu, gpa + offsetof(struct kvm_steal_time, version),
			&st.version, sizeof(st.version));
	smp_wmb();
	st.steal += delay - vcpu->steal_last;
	vcpu->steal_last = delay;
	khv_write_guest(vcpu, gpa, &st.steal, sizeof(st.steal));
	/*
	 * Never preempted as far as the guest knows (khv has no PV TLB
	 * flush); a state saved by KVM, which sets it, may say otherwise.
	 */
	khv_write_guest(vcpu, gpa + offsetof(struct kvm_steal_time, preempted),
			&preempted, sizeof(preempted));
	smp_wmb();
	st.version++;
	khv_write_guest(vcpu, gpa + offsetof(struct kvm_steal_time, version),
			&st.version, sizeof(st.version));
}

int khv_pv_rdmsr(struct khv_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_KVM_ASYNC_PF_EN:
		*data = vcpu->async_pf_msr;
		return 0;
	case MSR_KVM_STEAL_TIME:
		*data = vcpu->steal_msr;
		return 0;
	case MSR_KVM_PV_EOI_EN:
		*data = vcpu->pv_eoi_msr;
		return 0;
	}
	return -ENOENT;
}

/* -EINVAL: the guest gets #GP (KVM_SET_MSRS stops there), as KVM. */
int khv_pv_wrmsr(struct khv_vcpu *vcpu, u32 index, u64 data)
{
	switch (index) {
	case MSR_KVM_ASYNC_PF_EN:
		if (data & 0x30)			/* bits 5:4 reserved */
			return -EINVAL;
		if (!vcpu->apic)
			return data ? -EINVAL : 0;
		if ((data & KVM_ASYNC_PF_ENABLED) &&
		    !khv_gpa_is_ram(vcpu, data & ~0x3fULL, true))
			return -EINVAL;
		vcpu->async_pf_msr = data;
		return 0;
	case MSR_KVM_STEAL_TIME:
		if (!sched_info_on() || (data & KVM_STEAL_RESERVED_MASK))
			return -EINVAL;
		if ((data & KVM_MSR_ENABLED) && !(vcpu->steal_msr & KVM_MSR_ENABLED))
			vcpu->steal_last = khv_run_delay();
		vcpu->steal_msr = data;
		vcpu->steal_update = data & KVM_MSR_ENABLED;
		return 0;
	case MSR_KVM_PV_EOI_EN:
		if (!IS_ALIGNED(data & ~(u64)KVM_MSR_ENABLED, 4))
			return -EINVAL;
		if ((data & KVM_MSR_ENABLED) &&
		    !khv_gpa_is_ram(vcpu, data & ~(u64)KVM_MSR_ENABLED, true))
			return -EINVAL;
		vcpu->pv_eoi_msr = data;
		vcpu->pv_eoi_pending = false;
		return 0;
	}
	return -ENOENT;
}

/*
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID: with it on, each of KVM's
 * paravirtual MSRs is the guest's only where the guest's CPUID announces
 * its feature (EAX of the leaf after KVM's signature leaf, found at
 * 0x40000000 or a multiple of 0x100 above, as KVM looks for it; khv's own
 * signature counts too); else the guest's RDMSR and WRMSR are #GP. The
 * same goes for the hypercall a feature bit stands for (KVM_HC_SCHED_YIELD:
 * khv_pv_guest_has()).
 */
static const struct {
	u32 index;
	u8 feature;
} khv_pv_msr_features[] = {
	{ MSR_KVM_WALL_CLOCK,		KVM_FEATURE_CLOCKSOURCE },
	{ MSR_KVM_SYSTEM_TIME,		KVM_FEATURE_CLOCKSOURCE },
	{ MSR_KVM_WALL_CLOCK_NEW,	KVM_FEATURE_CLOCKSOURCE2 },
	{ MSR_KVM_SYSTEM_TIME_NEW,	KVM_FEATURE_CLOCKSOURCE2 },
	{ MSR_KVM_ASYNC_PF_EN,		KVM_FEATURE_ASYNC_PF },
	{ MSR_KVM_STEAL_TIME,		KVM_FEATURE_STEAL_TIME },
	{ MSR_KVM_PV_EOI_EN,		KVM_FEATURE_PV_EOI },
};

static u32 khv_guest_pv_features(struct khv_vcpu *vcpu)
{
	static const char kvm_sig[12] = "KVMKVMKVM\0\0\0";
	static const char khv_sig[12] = "KhvKhvKhv\0\0\0";
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	const struct kvm_cpuid_entry2 *e;
	u32 base, sig[3];

	for (base = KVM_CPUID_SIGNATURE; base < KVM_CPUID_SIGNATURE + 0x10000;
	     base += 0x100) {
		e = khv_cpuid_find(&v, base, 0);
		if (!e)
			continue;
		sig[0] = e->ebx;
		sig[1] = e->ecx;
		sig[2] = e->edx;
		if (memcmp(sig, kvm_sig, sizeof(sig)) &&
		    memcmp(sig, khv_sig, sizeof(sig)))
			continue;
		e = khv_cpuid_find(&v, base + KVM_CPUID_FEATURES - KVM_CPUID_SIGNATURE, 0);
		return e ? e->eax : 0;
	}
	return 0;
}

/* The guest may use PV feature @feature (KVM_FEATURE_*). */
bool khv_pv_guest_has(struct khv_vcpu *vcpu, u8 feature)
{
	return !vcpu->pv_enforce || (khv_guest_pv_features(vcpu) & BIT(feature));
}

bool khv_pv_msr_allowed(struct khv_vcpu *vcpu, u32 index)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khv_pv_msr_features); i++)
		if (khv_pv_msr_features[i].index == index)
			return khv_pv_guest_has(vcpu, khv_pv_msr_features[i].feature);
	return true;
}

/* INIT and reset turn them all off, as KVM. */
void khv_pv_reset(struct khv_vcpu *vcpu)
{
	vcpu->async_pf_msr = 0;
	vcpu->steal_msr = 0;
	vcpu->pv_eoi_msr = 0;
	vcpu->pv_eoi_pending = false;
}
