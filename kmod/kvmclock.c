// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: the paravirtual clock of KVM's ABI (MSR_KVM_SYSTEM_TIME(_NEW),
 * MSR_KVM_WALL_CLOCK(_NEW), Documentation/virt/kvm/x86/msr.rst), and the
 * VM's clock that KVM_GET_CLOCK / KVM_SET_CLOCK read and set.
 *
 * The VM's clock is the host's boot-time clock plus an offset, started at
 * 0 when the VM is created. Where the host's TSC is constant and stable,
 * it is read the way the guest reads it: from one reference pair (host
 * TSC, nanoseconds) for the whole VM, extrapolated with the TSC, so that
 * every vCPU (each with its own TSC offset) computes the same time and
 * the guest may trust it across vCPUs (PVCLOCK_TSC_STABLE_BIT). Without a
 * stable TSC each vCPU gets a fresh pair when it moves to another host CPU,
 * and no stable bit.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>
#include <asm/pvclock-abi.h>
#include <asm/kvm_para.h>

#include "khv.h"

/*
 * Whether the host's timekeeping runs on the TSC right now: a snapshot's
 * counter value lies between two TSC reads only if it is the TSC.
 */
static bool khv_host_clock_is_tsc(void)
{
	struct system_time_snapshot snap;
	u64 before, after;

	preempt_disable();
	before = rdtsc_ordered();
	ktime_get_snapshot(&snap);
	after = rdtsc_ordered();
	preempt_enable();
	return snap.cycles >= before && snap.cycles <= after;
}

/*
 * A TSC every vCPU may extrapolate from one reference: not marked
 * unstable, and either what the host keeps its time with (as KVM asks
 * for its master clock) or invariant (constant and non-stop).
 */
static bool khv_host_tsc_stable(void)
{
	if (check_tsc_unstable() || !tsc_khz)
		return false;
	return khv_host_clock_is_tsc() ||
	       (boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
		boot_cpu_has(X86_FEATURE_NONSTOP_TSC));
}

/*
 * kvmclock's feature bits for CPUID 0x40000001 EAX. STABLE_BIT says only
 * that the guest may look at PVCLOCK_TSC_STABLE_BIT in each update, which
 * khv sets only with a stable host TSC; KVM announces it on every host, so
 * a CPU model that asks for it (QEMU's qemu64 with enforce) starts, and a
 * guest moved from KVM keeps it, whatever this host's TSC.
 */
u32 khv_kvmclock_features(void)
{
	return BIT(KVM_FEATURE_CLOCKSOURCE) | BIT(KVM_FEATURE_CLOCKSOURCE2) |
	       BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
}

/* Take a new reference pair; the VM's clock reads @clock_ns now. Locked. */
static void khv_kvmclock_rebase(struct khv_vm *vm, u64 clock_ns)
{
	unsigned long flags;

	local_irq_save(flags);
	vm->clock.master_tsc = rdtsc();
	vm->clock.master_ns = ktime_get_boottime_ns();
	local_irq_restore(flags);
	/* without a TSC rate there is no scale, and no master clock */
	vm->clock.master = khv_pvclock_scale(tsc_khz, &vm->clock.scale) &&
			   khv_host_tsc_stable();
	vm->clock.offset = clock_ns - vm->clock.master_ns;
}

void khv_kvmclock_vm_init(struct khv_vm *vm)
{
	spin_lock_init(&vm->clock.lock);
	khv_kvmclock_rebase(vm, 0);
}

/*
 * The VM's clock at host TSC @tsc (read with interrupts off together with
 * *@boot_ns, the boot-time clock then). Locked.
 */
static u64 khv_kvmclock_at(struct khv_vm *vm, u64 tsc, u64 boot_ns)
{
	if (!vm->clock.master)
		return boot_ns + vm->clock.offset;
	return vm->clock.master_ns + vm->clock.offset +
	       khv_pvclock_ticks_to_ns(tsc - vm->clock.master_tsc,
				       &vm->clock.scale);
}

/* Request a pvclock update of every vCPU of @vm. */
static void khv_kvmclock_update_all(struct khv_vm *vm)
{
	struct khv_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu) {
		set_bit(KHV_REQ_CLOCK, &vcpu->requests);
		khv_vcpu_kick(vcpu);
	}
}

long khv_vm_get_clock(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_clock_data d;
	unsigned long flags;
	u64 boot;

	memset(&d, 0, sizeof(d));
	spin_lock_irqsave(&vm->clock.lock, flags);
	d.host_tsc = rdtsc();
	boot = ktime_get_boottime_ns();
	d.realtime = ktime_get_real_ns();
	d.clock = khv_kvmclock_at(vm, d.host_tsc, boot);
	if (vm->clock.master)
		d.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
			  KVM_CLOCK_HOST_TSC;
	spin_unlock_irqrestore(&vm->clock.lock, flags);
	if (!(d.flags & KVM_CLOCK_REALTIME))
		d.realtime = 0;
	if (!(d.flags & KVM_CLOCK_HOST_TSC))
		d.host_tsc = 0;
	return copy_to_user((void __user *)arg, &d, sizeof(d)) ? -EFAULT : 0;
}

/*
 * KVM_SET_CLOCK: the VM's clock reads d.clock now or, with
 * KVM_CLOCK_REALTIME, d.clock plus the wall-clock time since d.realtime
 * (how a migration target accounts for the time the VM was in flight).
 */
long khv_vm_set_clock(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_clock_data d;
	unsigned long flags;
	u64 now;

	if (copy_from_user(&d, (void __user *)arg, sizeof(d)))
		return -EFAULT;
	if (d.flags & ~KHV_CLOCK_VALID_FLAGS)
		return -EINVAL;
	if (d.flags & KVM_CLOCK_REALTIME) {
		now = ktime_get_real_ns();
		if (now > d.realtime)
			d.clock += now - d.realtime;
	}
	spin_lock_irqsave(&vm->clock.lock, flags);
	khv_kvmclock_rebase(vm, d.clock);
	spin_unlock_irqrestore(&vm->clock.lock, flags);
	khv_kvmclock_update_all(vm);
	return 0;
}

/*
 * Publish @len bytes at @gpa whose first u32 is a version (both kvmclock
 * structures): the version is odd while the rest changes (a reader
 * retries), even after. The guest's own version is carried on.
 */
static void khv_kvmclock_publish(struct khv_vcpu *vcpu, u64 gpa, void *data,
				 u32 len)
{
	u32 version;

	if (khv_read_guest(vcpu, gpa, &version, sizeof(version)))
		return;
	version = (version + 1) | 1;
	if (khv_write_guest(vcpu, gpa, &version, sizeof(version)))
		return;
	smp_wmb();
	*(u32 *)data = version;
	if (khv_write_guest(vcpu, gpa, data, len))
		return;
	smp_wmb();
	version++;
	khv_write_guest(vcpu, gpa, &version, sizeof(version));
}

/*
 * Before an entry: a vCPU with kvmclock on gets its pvclock structure
 * written when asked (MSR write, KVM_SET_CLOCK, a TSC change) or, without
 * a stable TSC, as KVM does at each vCPU load: when its thread moved to
 * another host CPU, was switched out and in again, or KVM_RUN began.
 * There the guest extrapolates from one TSC reading while KVM_GET_CLOCK
 * (what a migration carries) follows the host's clock; fresh readings
 * keep the two close, also for a vCPU thread that never changes CPU.
 */
void __khv_kvmclock_before_entry(struct khv_vcpu *vcpu)
{
	struct khv_vm *vm = vcpu->vm;
	struct pvclock_vcpu_time_info t;
	unsigned long flags, switches;
	u64 tsc, ns;
	int cpu;

	cpu = raw_smp_processor_id();
	switches = current->nvcsw + current->nivcsw;
	if (!test_bit(KHV_REQ_CLOCK, &vcpu->requests) &&
	    (vm->clock.master || (cpu == vcpu->kvmclock_cpu &&
				  switches == vcpu->kvmclock_switches)))
		return;
	clear_bit(KHV_REQ_CLOCK, &vcpu->requests);
	vcpu->kvmclock_cpu = cpu;
	vcpu->kvmclock_switches = switches;
	memset(&t, 0, sizeof(t));
	spin_lock_irqsave(&vm->clock.lock, flags);
	/* the VM's reference pair, or without a stable TSC a fresh one */
	if (vm->clock.master) {
		tsc = vm->clock.master_tsc;
		ns = vm->clock.master_ns;
		t.flags = PVCLOCK_TSC_STABLE_BIT;
	} else {
		tsc = rdtsc();
		ns = ktime_get_boottime_ns();
	}
	t.system_time = ns + vm->clock.offset;
	t.tsc_to_system_mul = vm->clock.scale.mul;
	t.tsc_shift = vm->clock.scale.shift;
	spin_unlock_irqrestore(&vm->clock.lock, flags);
	t.tsc_timestamp = tsc + khv_ops->get_tsc_offset(vcpu);
	khv_kvmclock_publish(vcpu, vcpu->kvmclock_msr & ~1ULL, &t, sizeof(t));
}

/* MSR_KVM_WALL_CLOCK(_NEW): the wall-clock time at which the VM's clock was 0. */
static void khv_kvmclock_wall(struct khv_vcpu *vcpu, u64 gpa)
{
	struct khv_vm *vm = vcpu->vm;
	struct pvclock_wall_clock wc;
	unsigned long flags;
	u64 real, clock;

	spin_lock_irqsave(&vm->clock.lock, flags);
	clock = khv_kvmclock_at(vm, rdtsc(), ktime_get_boottime_ns());
	real = ktime_get_real_ns();
	spin_unlock_irqrestore(&vm->clock.lock, flags);
	real -= clock;
	wc.sec = (u32)div_u64_rem(real, NSEC_PER_SEC, &wc.nsec);
	khv_kvmclock_publish(vcpu, gpa, &wc, sizeof(wc));
}

/* The four kvmclock MSRs, for guests and for KVM_GET/SET_MSRS alike. */
int khv_kvmclock_rdmsr(struct khv_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->kvmclock_msr;
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = READ_ONCE(vcpu->vm->clock.wall_msr);
		return 0;
	}
	return -ENOENT;
}

int khv_kvmclock_wrmsr(struct khv_vcpu *vcpu, u32 index, u64 data)
{
	switch (index) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		vcpu->kvmclock_msr = data;
		set_bit(KHV_REQ_CLOCK, &vcpu->requests);
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		WRITE_ONCE(vcpu->vm->clock.wall_msr, data);
		khv_kvmclock_wall(vcpu, data);
		return 0;
	}
	return -ENOENT;
}

/* KVM_GET_TSC_KHZ / KVM_SET_TSC_KHZ: the guest's TSC runs at the host's. */
long khv_vcpu_get_tsc_khz(struct khv_vcpu *vcpu, unsigned long arg)
{
	if (!tsc_khz)
		return -EIO;
	return vcpu->tsc_khz ? vcpu->tsc_khz : tsc_khz;
}

/*
 * Without TSC scaling only the host's rate can be had: 0 (meaning the
 * host's) or a rate within KVM's tolerance of 250 ppm; anything else is
 * -EINVAL, as KVM refuses a slower rate (it would make a faster one by
 * catching the TSC up at each entry, which khv does not do).
 */
long khv_vcpu_set_tsc_khz(struct khv_vcpu *vcpu, unsigned long arg)
{
	u32 khz = (u32)arg, tol = tsc_khz / 4000 + 1;	/* 250 ppm */

	if (!tsc_khz)
		return -EIO;
	if (!khz)
		khz = tsc_khz;
	if (khz < tsc_khz - tol || khz > tsc_khz + tol)
		return -EINVAL;
	vcpu->tsc_khz = khz;
	return 0;
}
