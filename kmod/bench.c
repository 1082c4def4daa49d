// SPDX-License-Identifier: GPL-2.0
/*
 * KHV_BENCH_VMRUN (benchmark only, see uapi/linux/khv.h): the cost of a
 * bare guest entry and exit, with nothing of khv's exit handling around
 * it, so make bench can state what an exit costs as a multiple of it.
 *
 * The backend runs the tight loop in batches, interrupts off; between
 * batches the host gets its interrupts, the scheduler and signals, and
 * requests posted to the vCPU (a TLB flush) are taken as KVM_RUN takes
 * them. The guest's FPU state is loaded as for KVM_RUN: the first entry
 * of a batch may run any guest code, which must never see the VMM's
 * registers. Entries go through the same world switch as KVM_RUN's, so
 * every speculation mitigation applies to them too.
 *
 * It is not for VMMs: only CAP_SYS_ADMIN may use it (make bench runs as
 * root), so that no VMM user can keep a host CPU busy with interrupts
 * off in batches of its choosing.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/khv.h>

#include "khv.h"

/* Round trips per batch: short enough to keep host latency low. */
#define KHV_BENCH_BATCH	1024

/* One batch on this CPU. Returns false if SVM/VMX is not on here. */
static bool khv_bench_batch(struct khv_vcpu *vcpu, u32 n, u32 *done,
			    u64 *ns, struct khv_exit *exit)
{
	bool flush;

	if (!khv_entry_begin(vcpu, &flush))
		return false;
	*done = khv_ops->bench_vmrun(vcpu, vcpu->vm->npt.root_pa, flush, n,
				     ns, exit);
	khv_entry_end(vcpu);
	return true;
}

/* What an exit outside the tight loop means: 0 to go on, or -errno. */
static int khv_bench_exit(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	bool mmio = false;
	int r;

	switch (exit->kind) {
	case KHV_EXIT_CPUID:
	case KHV_EXIT_RESUME:
	case KHV_EXIT_HOST_EVENT:	/* the host took an interrupt */
		return 0;
	case KHV_EXIT_NPF:	/* the CPUID's page is not mapped yet */
		r = khv_mmu_fault(vcpu, exit->npf.gpa, exit->npf.error, &mmio);
		return r ? r : mmio ? -EINVAL : 0;
	default:
		return -EINVAL;	/* the guest is not sitting at a CPUID */
	}
}

static long khv_bench_loop(struct khv_vcpu *vcpu, struct khv_bench_vmrun *b)
{
	struct khv_exit exit;
	u32 n, done;
	u64 ns;
	long r;

	while (b->done < b->iterations) {
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
		n = min_t(u64, b->iterations - b->done, KHV_BENCH_BATCH);
		done = 0;
		ns = 0;
		if (!khv_bench_batch(vcpu, n, &done, &ns, &exit)) {
			/* CPU coming up or going down: let hotplug finish */
			schedule_timeout_uninterruptible(1);
			continue;
		}
		b->done += done;
		b->ns += ns;
		if (done < n)
			b->breaks++;
		r = khv_bench_exit(vcpu, &exit);
		if (r)
			return r;
	}
	return 0;
}

long khv_bench_vmrun(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct khv_bench_vmrun __user *ub = (void __user *)arg;
	struct khv_bench_vmrun b;
	long r;

	if (!khv_ops->bench_vmrun)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&b, ub, sizeof(b)))
		return -EFAULT;
	if (vcpu->irq_pending || vcpu->nmi_pending)
		return -EBUSY;
	b.done = 0;
	b.ns = 0;
	b.breaks = 0;
	vcpu->ran = true;	/* the guest ran: its CPUID is frozen */
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	khv_vcpu_thread_enter(vcpu);
	r = khv_bench_loop(vcpu, &b);
	khv_vcpu_thread_leave(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	if (copy_to_user(ub, &b, sizeof(b)))
		return -EFAULT;
	return r;
}
