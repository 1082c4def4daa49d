// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN: the run loop and the core's half of exit handling.
 *
 * Exit handlers follow one contract: 1 = enter the guest again, 0 = exit
 * to user space (kvm_run filled), < 0 = error returned by KVM_RUN.
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/kvm_para.h>
#include <linux/rcupdate.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/smp.h>
#include <asm/traps.h>
#include <asm/cpufeature.h>
#include <asm/nospec-branch.h>
#include <asm/fpu/xcr.h>
#include <asm/debugreg.h>
#include <asm/tsc.h>

#include "khv.h"
#include "emulate.h"
#include "khv_trace.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3

static void khv_set_rax_sized(struct khv_vcpu *vcpu, u64 val, u8 size)
{
	u64 mask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;

	/* IN with 1 or 2 bytes merges; with 4 it zero-extends, as hardware. */
	if (size == 4)
		vcpu->gprs[RAX] = (u32)val;
	else
		vcpu->gprs[RAX] = (vcpu->gprs[RAX] & ~mask) | (val & mask);
}

/*
 * An instruction khv carried out for the guest is done: RIP moves past
 * it and, as after any instruction, an STI/MOV SS interrupt shadow ends.
 */
void khv_skip_insn(struct khv_vcpu *vcpu, u64 next_rip)
{
	vcpu->rip = next_rip;
	khv_ops->set_interrupt_shadow(vcpu, 0);
	/*
	 * An instruction khv completed traps like one the CPU ran: for user
	 * space's single-step, or with the guest's own RFLAGS.TF (#DB, BS).
	 */
	if (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP) {
		set_bit(KHV_REQ_SSTEP_EXIT, &vcpu->requests);
	} else if (vcpu->rflags & X86_EFLAGS_TF) {
		vcpu->dr[6] |= DR_STEP;
		khv_ops->inject_exception(vcpu, DB_VECTOR, false, 0);
	}
}

/*
 * User space single-steps or sets breakpoints: every #DB is its own (as
 * KVM on SVM), entries run with a fresh DR6 and the guest's stays as it was.
 */
static bool khv_user_owns_db(const struct khv_vcpu *vcpu)
{
	return vcpu->guest_debug & (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP);
}

/* KVM_EXIT_DEBUG for @vector at the current instruction. */
static int khv_debug_exit(struct khv_vcpu *vcpu, u32 vector, u64 dr6)
{
	struct kvm_run *run = vcpu->run;
	struct khv_paging p;

	khv_ops->get_paging(vcpu, &p);
	run->exit_reason = KVM_EXIT_DEBUG;
	memset(&run->debug, 0, sizeof(run->debug));
	run->debug.arch.exception = vector;
	run->debug.arch.pc = p.seg_base[1] + vcpu->rip;
	run->debug.arch.dr6 = dr6;
	run->debug.arch.dr7 = vcpu->hw_dr7;
	return 0;
}

static void khv_fill_io(struct khv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = vcpu->pio.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = vcpu->pio.size;
	run->io.port = vcpu->pio.port;
	run->io.count = vcpu->pio.count;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->stat.io_exits++;
	/* OUT: the data goes with the exit; IN: traced when it comes back */
	if (!vcpu->pio.in)
		trace_khv_pio(vcpu->id, false, vcpu->pio.port, vcpu->pio.size,
			      vcpu->pio.count, vcpu->pio_data);
}

/* A port an in-kernel device owns: done here, the instruction completes. */
static bool khv_pio_in_kernel(struct khv_vcpu *vcpu)
{
	struct khv_pio *pio = &vcpu->pio;
	u32 val = (u32)vcpu->gprs[RAX];

	/* an ioeventfd, the PIC or PIT, then a coalesced zone (as KVM) */
	bool taken = (!pio->in && khv_ioeventfd_write(vcpu->vm, true, pio->port,
						      pio->size, &val)) ||
		     (vcpu->vm->irqchip_mode != KHV_IRQCHIP_NONE &&
		      khv_irqchip_pio(vcpu, pio->port, pio->size, pio->in, &val)) ||
		     (!pio->in && khv_coalesced_write(vcpu->vm, true, pio->port,
						      pio->size, &val));

	if (!taken)
		return false;
	if (pio->in)
		khv_set_rax_sized(vcpu, val, pio->size);
	khv_skip_insn(vcpu, pio->next_rip);
	return true;
}

static int khv_emulation_failed(struct khv_vcpu *vcpu, struct khv_exit *exit);

static int khv_exit_io(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	struct khv_pio *pio = &vcpu->pio;
	int r;

	*pio = (struct khv_pio){
		.port = exit->io.port, .size = exit->io.size,
		.in = exit->io.in, .string = exit->io.string,
		.rep = exit->io.rep, .addr_size = exit->io.addr_size,
		.rip = vcpu->rip, .next_rip = exit->next_rip, .count = 1,
	};
	if (pio->string) {
		r = khv_string_io_start(vcpu);
		if (r < 0)
			return khv_emulation_failed(vcpu, exit);
		if (!r)
			return 1;	/* nothing to do (RCX = 0) */
		khv_fill_io(vcpu);
		return 0;
	}
	if (khv_pio_in_kernel(vcpu))
		return 1;
	if (!pio->in)
		memcpy(vcpu->pio_data, &vcpu->gprs[RAX], pio->size);
	/*
	 * RIP moves on when the exit completes, at the next KVM_RUN; but for
	 * OUT to port 0x7e before it, as KVM (its OUT_7E_INC_RIP quirk, on
	 * until user space disables it).
	 */
	if (!pio->in && pio->port == 0x7e &&
	    !khv_quirk_off(vcpu->vm, KVM_X86_QUIRK_OUT_7E_INC_RIP))
		khv_skip_insn(vcpu, pio->next_rip);
	else
		vcpu->pending = KHV_PENDING_PIO;
	khv_fill_io(vcpu);
	return 0;
}

/* The user-space half of an I/O exit finished: take IN data, move on. */
static int khv_complete_pio(struct khv_vcpu *vcpu)
{
	struct khv_pio *pio = &vcpu->pio;
	u64 val = 0;

	if (pio->string)
		return khv_string_io_finish(vcpu);
	/* user space moved RIP: the I/O is forgotten, as KVM does */
	if (vcpu->rip != pio->rip)
		return 1;
	if (pio->in) {
		memcpy(&val, vcpu->pio_data, pio->size);
		trace_khv_pio(vcpu->id, true, pio->port, pio->size, 1, &val);
		khv_set_rax_sized(vcpu, val, pio->size);
	}
	khv_skip_insn(vcpu, pio->next_rip);
	return 1;
}

static int khv_complete_msr(struct khv_vcpu *vcpu, bool read);

/* Finish what the last exit to user space started. */
static int khv_complete_pending(struct khv_vcpu *vcpu)
{
	enum khv_pending p = vcpu->pending;

	vcpu->pending = KHV_PENDING_NONE;
	if (p == KHV_PENDING_PIO)
		return khv_complete_pio(vcpu);
	if (p == KHV_PENDING_MMIO)
		return khv_mmio_finish(vcpu);
	if (p == KHV_PENDING_RDMSR || p == KHV_PENDING_WRMSR)
		return khv_complete_msr(vcpu, p == KHV_PENDING_RDMSR);
	return 1;
}

static int khv_exit_hlt(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	khv_skip_insn(vcpu, exit->next_rip);
	/* with an in-kernel LAPIC the vCPU sleeps in the kernel */
	if (vcpu->apic) {
		khv_vlapic_hlt(vcpu);
		return 1;
	}
	/* an interrupt the guest should have taken first ends the halt */
	if (khv_injected_irq_waits(vcpu))
		return 1;
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	vcpu->stat.halt_exits++;
	return 0;
}

static int khv_exit_xsetbv(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	return khv_emulate_xsetbv(vcpu, exit->next_rip) ?: 1;
}

static int khv_exit_cpuid(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	/* MISC_FEATURES_ENABLES.CPUID_FAULT: CPUID outside ring 0 is #GP */
	if (khv_cpuid_faulting(vcpu)) {
		struct khv_paging p;

		khv_ops->get_paging(vcpu, &p);
		if (p.cpl) {
			khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
			return 1;
		}
	}
	khv_emulate_cpuid(vcpu);
	khv_skip_insn(vcpu, exit->next_rip);
	return 1;
}

/*
 * Give the rest of this time slice to @v's thread if it waits for a host
 * CPU (runnable, not on one): a directed yield, as KVM's. Threads that
 * run, sleep or are not in this CPU's reach make yield_to() decline (0);
 * > 0 yielded; < 0 nothing else runs here.
 */
static int khv_yield_to_vcpu(struct khv_vcpu *v)
{
	struct task_struct *task;
	int r;

	if (READ_ONCE(v->cpu) >= 0)
		return 0;
	rcu_read_lock();
	task = get_pid_task(rcu_dereference(v->pid), PIDTYPE_PID);
	rcu_read_unlock();
	if (!task)
		return 0;
	r = yield_to(task, true);
	put_task_struct(task);
	return r;
}

/*
 * KVM_HC_SCHED_YIELD: the guest waits for the vCPU whose APIC ID is
 * @dest (a lock holder, the target of an IPI): yield to it if it is
 * preempted. khv's vCPU ids are their initial APIC IDs. Always 0.
 */
static u64 khv_hc_sched_yield(struct khv_vcpu *vcpu, u64 dest)
{
	struct khv_vcpu *target;

	if (single_task_running())
		return 0;
	target = xa_load(&vcpu->vm->vcpus, dest);
	if (target && target != vcpu)
		khv_yield_to_vcpu(target);
	return 0;
}

/*
 * VMMCALL/VMCALL: KVM's hypercall ABI, number in RAX, arguments in RBX,
 * RCX, RDX, RSI, result in RAX (32 bits of each outside 64-bit mode). Of
 * KVM's hypercalls khv offers KVM_HC_VAPIC_POLL_IRQ, which does nothing,
 * and KVM_HC_SCHED_YIELD; every other number gets -KVM_ENOSYS, KVM's
 * answer for a hypercall it lacks or one the guest's CPUID does not
 * announce (KVM_CAP_ENFORCE_PV_FEATURE_CPUID). From CPL > 0: -KVM_EPERM.
 * The other vendor's instruction is a #UD (khv_fix_hypercall()).
 */
static int khv_exit_hypercall(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	struct khv_paging p;
	u64 nr = vcpu->gprs[RAX], a0 = vcpu->gprs[RBX], ret;
	bool wide;

	khv_ops->get_paging(vcpu, &p);
	wide = (p.efer & EFER_LMA) && p.cs_l;
	if (!wide) {
		nr = (u32)nr;
		a0 = (u32)a0;
	}
	if (p.cpl)
		ret = -KVM_EPERM;
	else if (nr == KVM_HC_VAPIC_POLL_IRQ)
		ret = 0;
	else if (nr == KVM_HC_SCHED_YIELD &&
		 khv_pv_guest_has(vcpu, KVM_FEATURE_PV_SCHED_YIELD))
		ret = khv_hc_sched_yield(vcpu, a0);
	else
		ret = -KVM_ENOSYS;
	vcpu->gprs[RAX] = wide ? ret : (u32)ret;
	khv_skip_insn(vcpu, exit->next_rip);
	return 1;
}

/*
 * KVM_CAP_X86_USER_SPACE_MSR: a guest RDMSR or WRMSR that khv refuses
 * (-ENOENT: no such MSR; -EACCES: the VM's MSR filter; else an access the
 * MSR does not take) goes to user space when it asked for that reason, as
 * KVM_EXIT_X86_RDMSR/WRMSR; its answer completes the instruction at the
 * next KVM_RUN (khv_complete_msr()). False: the guest gets #GP.
 */
static bool khv_msr_to_user(struct khv_vcpu *vcpu, struct khv_exit *exit,
			    bool write, u32 index, u64 data, int err)
{
	u32 reason = err == -ENOENT ? KVM_MSR_EXIT_REASON_UNKNOWN :
		     err == -EACCES ? KVM_MSR_EXIT_REASON_FILTER :
				      KVM_MSR_EXIT_REASON_INVAL;
	struct kvm_run *run = vcpu->run;

	if (!(READ_ONCE(vcpu->vm->user_space_msrs) & reason))
		return false;
	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.error = 0;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.reason = reason;
	run->msr.index = index;
	run->msr.data = data;
	vcpu->pending = write ? KHV_PENDING_WRMSR : KHV_PENDING_RDMSR;
	vcpu->msr_next_rip = exit->next_rip;
	return true;
}

/* User space answered: its error byte is the guest's #GP, read once. */
static int khv_complete_msr(struct khv_vcpu *vcpu, bool read)
{
	struct kvm_run *run = vcpu->run;
	u64 data;

	if (READ_ONCE(run->msr.error)) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	if (read) {
		data = READ_ONCE(run->msr.data);
		vcpu->gprs[RAX] = (u32)data;
		vcpu->gprs[RDX] = data >> 32;
	}
	khv_skip_insn(vcpu, vcpu->msr_next_rip);
	return 1;
}

static int khv_exit_rdmsr(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	u32 index = (u32)vcpu->gprs[RCX];
	u64 data;
	int r = khv_msr_filter_allowed(vcpu, index, false) ?
		khv_guest_rdmsr(vcpu, index, &data) : -EACCES;

	if (r) {
		if (khv_msr_to_user(vcpu, exit, false, index, 0, r))
			return 0;
		if (r != -EACCES)
			pr_info_ratelimited("khv: vCPU %u: unhandled RDMSR(%#x) at %#llx: #GP\n",
					    vcpu->id, index, vcpu->rip);
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	vcpu->gprs[RAX] = (u32)data;
	vcpu->gprs[RDX] = data >> 32;
	khv_skip_insn(vcpu, exit->next_rip);
	return 1;
}

static int khv_exit_wrmsr(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	u64 data = (u32)vcpu->gprs[RAX] | (vcpu->gprs[RDX] << 32);
	u32 index = (u32)vcpu->gprs[RCX];
	int r = khv_msr_filter_allowed(vcpu, index, true) ?
		khv_guest_wrmsr(vcpu, index, data) : -EACCES;

	if (r) {
		if (khv_msr_to_user(vcpu, exit, true, index, data, r))
			return 0;
		if (r != -EACCES)
			pr_info_ratelimited("khv: vCPU %u: unhandled WRMSR(%#x) = %#llx at %#llx: #GP\n",
					    vcpu->id, index, data, vcpu->rip);
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	khv_skip_insn(vcpu, exit->next_rip);
	return 1;
}

static int khv_exit_npf(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	bool mmio = false;
	int r = khv_mmu_fault(vcpu, exit->npf.gpa, exit->npf.error, &mmio);

	if (r || !mmio)
		return r ? r : 1;
	return khv_mmio_start(vcpu, exit->npf.gpa, exit->npf.error);
}

/*
 * KVM_EXIT_INTERNAL_ERROR with @suberror and, as data, the raw exit code,
 * for an unexpected exit also its information, and the guest's RIP.
 */
static int khv_internal_error(struct khv_vcpu *vcpu, struct khv_exit *exit,
			      u32 suberror)
{
	struct kvm_run *run = vcpu->run;
	bool unexpected = suberror == KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	u32 n = 0;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.data[n++] = exit->hw_code;
	if (unexpected) {
		run->internal.data[n++] = exit->info1;
		run->internal.data[n++] = exit->info2;
	}
	run->internal.data[n++] = vcpu->rip;
	run->internal.ndata = n;
	return 0;
}

static int khv_exit_unhandled(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	return khv_internal_error(vcpu, exit,
				  KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

/*
 * An instruction khv must carry out could not be decoded (another vCPU
 * rewrote it, its page went away): KVM's emulation-failure exit.
 */
static int khv_emulation_failed(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	vcpu->stat.insn_emulation_fail++;
	return khv_internal_error(vcpu, exit, KVM_INTERNAL_ERROR_EMULATION);
}

/*
 * An emulation's 0 / -errno as an exit handler's 1 / 0: any error (no such
 * instruction, its bytes or page tables not in RAM) is an emulation failure.
 */
static int khv_emulated(struct khv_vcpu *vcpu, struct khv_exit *exit, int r)
{
	return r < 0 ? khv_emulation_failed(vcpu, exit) : 1;
}

static int khv_exit_dr(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	/*
	 * User space's DR7.GD: the guest's MOV DR is a debug exit before it
	 * executes (DR6.BD), and GD clears as the CPU clears it. The entry
	 * never loads GD, so the CPU's priority of #DB over the intercept
	 * does not matter.
	 */
	if ((vcpu->guest_debug & KVM_GUESTDBG_USE_HW_BP) &&
	    (vcpu->dbg_dr7 & KHV_DR7_GD)) {
		vcpu->dbg_dr7 &= ~KHV_DR7_GD;
		return khv_debug_exit(vcpu, DB_VECTOR, KHV_DR6_FIXED | KHV_DR6_BD);
	}
	return khv_emulated(vcpu, exit, khv_emulate_mov_dr(vcpu));
}

static int khv_exit_cr_write(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	if (exit->cr.cr == 8)
		return khv_emulated(vcpu, exit,
				    khv_emulate_mov_cr8(vcpu, exit->cr.gpr,
							exit->next_rip));
	if (exit->cr.cr == 0)
		return khv_emulated(vcpu, exit, khv_emulate_mov_cr0(vcpu, exit->cr.type,
							   exit->cr.gpr, exit->cr.lmsw,
							   exit->next_rip));
	if (exit->cr.cr != 4 || exit->cr.type != KHV_CR_MOV)
		return khv_exit_unhandled(vcpu, exit);
	return khv_emulated(vcpu, exit, khv_emulate_mov_cr4(vcpu, exit->cr.gpr,
							   exit->next_rip));
}

static int khv_exit_cr_read(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	int r;

	if (exit->cr.cr != 0)
		return khv_exit_unhandled(vcpu, exit);
	r = khv_emulate_cr0_read(vcpu, exit->cr.gpr, exit->next_rip);
	return r < 0 ? khv_emulation_failed(vcpu, exit) : r;
}

/*
 * An exception khv intercepts so that the CPU cannot loop delivering it
 * (#AC, #DB: each delivery now exits, so the host keeps its CPU) goes to
 * the guest as it would have without the intercept.
 */
static int khv_exit_exception(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	u32 vec = exit->exc.vector;

	/* user space's #DB, with the DR6 of this entry alone */
	if (vec == DB_VECTOR && khv_user_owns_db(vcpu))
		return khv_debug_exit(vcpu, DB_VECTOR, vcpu->hw_dr6);
	if (vec == BP_VECTOR && (vcpu->guest_debug & KVM_GUESTDBG_USE_SW_BP))
		return khv_debug_exit(vcpu, BP_VECTOR, 0);
	if (vec == UD_VECTOR && khv_fix_hypercall(vcpu))
		return 1;
	khv_ops->inject_exception(vcpu, vec, exit->exc.has_error,
				  exit->exc.error);
	return 1;
}

/* INT1 is a trap: #DB with RIP after the instruction, no DR6 cause bit. */
static int khv_exit_icebp(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	khv_skip_insn(vcpu, exit->next_rip);
	khv_ops->inject_exception(vcpu, DB_VECTOR, false, 0);
	return 1;
}

/* khv gives guests no performance counters: RDPMC is #GP, never the host's. */
static int khv_exit_rdpmc(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
	return 1;
}

/*
 * WBINVD would flush every cache of the host CPU at the guest's will; a
 * guest without assigned devices has nothing that needs it (as KVM).
 */
static int khv_exit_wbinvd(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	struct khv_paging p;

	khv_ops->get_paging(vcpu, &p);
	if (p.cpl)
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
	else
		khv_skip_insn(vcpu, exit->next_rip);
	return 1;
}

/*
 * MONITOR and MWAIT always exit: a guest must not park a host CPU in a
 * low-power state, nor watch host memory. As KVM, both are NOPs (KVM
 * has always run them so for guests that use them without looking at
 * CPUID), unless user space disabled KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS
 * and the guest's CPUID does not announce them: then #UD, as on a CPU
 * without them. The CPU made its own checks (CPL, ECX) before the exit.
 */
static int khv_exit_mwait(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	if (khv_quirk_off(vcpu->vm, KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS) &&
	    !khv_cpuid_has(vcpu, 1, 2, BIT(3)))		/* MONITOR */
		khv_ops->inject_exception(vcpu, UD_VECTOR, false, 0);
	else
		khv_skip_insn(vcpu, exit->next_rip);
	return 1;
}

/*
 * A PAUSE loop: the guest spins, most likely on a lock whose holder is
 * another of its vCPUs that the host preempted. Yield to such a vCPU's
 * thread; the scan starts after the last vCPU boosted, so spinners spread
 * their help.
 */
static void khv_vcpu_on_spin(struct khv_vcpu *me)
{
	struct khv_vm *vm = me->vm;
	unsigned long start = READ_ONCE(vm->spin_next), id;
	struct khv_vcpu *v;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		xa_for_each_range(&vm->vcpus, id, v, pass ? 0 : start,
				  pass ? start - 1 : ULONG_MAX) {
			int r;

			if (v == me)
				continue;
			r = khv_yield_to_vcpu(v);
			if (r > 0) {
				WRITE_ONCE(vm->spin_next, id + 1);
				return;
			}
			if (r < 0)	/* nothing else runs here: no one to help */
				return;
		}
		if (!start)
			break;
	}
}

static int khv_exit_pause(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	khv_skip_insn(vcpu, exit->next_rip);
	if (READ_ONCE(vcpu->vm->nr_vcpus) > 1)
		khv_vcpu_on_spin(vcpu);
	return 1;
}

static int khv_exit_task_switch(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	return khv_emulated(vcpu, exit, khv_task_switch(vcpu, &exit->ts));
}

static int khv_exit_irq_window(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	return 1;	/* the loop exits to user space if it asked (below) */
}

static int khv_exit_nmi_window(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	vcpu->nmi_iret_wait = true;
	vcpu->nmi_iret_rip = vcpu->rip;
	return 1;
}

/*
 * INIT: the state power-on gives, except that CR0.CD and NW stay. The
 * guest state is undefined after a shutdown: KVM on SVM INITs the vCPU,
 * and so does khv.
 */
void khv_vcpu_init_reset(struct khv_vcpu *vcpu)
{
	struct kvm_sregs s;
	u64 cache_bits, apic_base = vcpu->apic_base;
	u64 tsc_offset = khv_ops->get_tsc_offset(vcpu);

	khv_ops->get_sregs(vcpu, &s);
	cache_bits = s.cr0 & (X86_CR0_CD | X86_CR0_NW);
	khv_vcpu_reset_regs(vcpu);
	khv_ops->vcpu_init(vcpu);
	/*
	 * INIT leaves the TSC as it runs (the SDM's state after INIT; KVM
	 * keeps the offset): an AP woken by INIT-SIPI ticks with the BSP,
	 * not from the host's count. User space's debug intercepts stay too.
	 */
	khv_ops->set_tsc_offset(vcpu, tsc_offset);
	khv_ops->intercept_bp(vcpu, vcpu->guest_debug & KVM_GUESTDBG_USE_SW_BP);
	khv_cpuid_apply_controls(vcpu);		/* the table stays */
	khv_ops->get_sregs(vcpu, &s);
	s.cr0 = X86_CR0_ET | cache_bits;
	khv_ops->set_sregs(vcpu, &s);
	/* an in-kernel LAPIC keeps its base over INIT */
	if (vcpu->apic)
		vcpu->apic_base = apic_base;
	khv_cpuid_update_runtime(vcpu);		/* CR4.OSXSAVE is 0 again */
	vcpu->kvmclock_msr = 0;			/* kvmclock off, as KVM */
	khv_pv_reset(vcpu);
}

static int khv_exit_shutdown(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	khv_vcpu_init_reset(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int khv_exit_fail_entry(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = exit->hw_code;
	run->fail_entry.cpu = raw_smp_processor_id();
	/* what the ABI has no field for (VMX: the exit qualification) */
	pr_info_ratelimited("khv: vCPU %u: entry refused: reason %#llx, information %#llx, RIP %#llx\n",
			    vcpu->id, exit->hw_code, exit->info1, vcpu->rip);
	return 0;
}

static int khv_exit_resume(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	return 1;
}

typedef int (*khv_exit_fn)(struct khv_vcpu *vcpu, struct khv_exit *exit);

static const khv_exit_fn khv_exit_handlers[] = {
	[KHV_EXIT_RESUME]	= khv_exit_resume,
	[KHV_EXIT_HOST_EVENT]	= khv_exit_resume,
	[KHV_EXIT_DONE]		= khv_exit_resume,
	[KHV_EXIT_IO]		= khv_exit_io,
	[KHV_EXIT_NPF]		= khv_exit_npf,
	[KHV_EXIT_HLT]		= khv_exit_hlt,
	[KHV_EXIT_CPUID]	= khv_exit_cpuid,
	[KHV_EXIT_RDMSR]	= khv_exit_rdmsr,
	[KHV_EXIT_WRMSR]	= khv_exit_wrmsr,
	[KHV_EXIT_IRQ_WINDOW]	= khv_exit_irq_window,
	[KHV_EXIT_NMI_WINDOW]	= khv_exit_nmi_window,
	[KHV_EXIT_DR_ACCESS]	= khv_exit_dr,
	[KHV_EXIT_CR_WRITE]	= khv_exit_cr_write,
	[KHV_EXIT_CR_READ]	= khv_exit_cr_read,
	[KHV_EXIT_EXCEPTION]	= khv_exit_exception,
	[KHV_EXIT_ICEBP]	= khv_exit_icebp,
	[KHV_EXIT_RDPMC]	= khv_exit_rdpmc,
	[KHV_EXIT_XSETBV]	= khv_exit_xsetbv,
	[KHV_EXIT_WBINVD]	= khv_exit_wbinvd,
	[KHV_EXIT_MWAIT]	= khv_exit_mwait,
	[KHV_EXIT_PAUSE]	= khv_exit_pause,
	[KHV_EXIT_TASK_SWITCH]	= khv_exit_task_switch,
	[KHV_EXIT_HYPERCALL]	= khv_exit_hypercall,
	[KHV_EXIT_SHUTDOWN]	= khv_exit_shutdown,
	[KHV_EXIT_FAIL_ENTRY]	= khv_exit_fail_entry,
	[KHV_EXIT_UNHANDLED]	= khv_exit_unhandled,
};

static void khv_nop(void *unused)
{
}

/*
 * Make sure @vcpu is out of guest mode (and so sees its requests before
 * entering again). Pairs with the smp_mb() in khv_enter().
 */
void khv_vcpu_kick(struct khv_vcpu *vcpu)
{
	int cpu;

	smp_mb();
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu >= 0)
		smp_call_function_single(cpu, khv_nop, NULL, 1);
}

/*
 * The frame of every entry: preemption and interrupts off, on a CPU that
 * can run guests, the guest FPU loaded, kicks seen. Returns false (with
 * everything restored) if this CPU cannot run guests right now; else
 * *@flush says whether the guest's TLB must be flushed, and
 * khv_entry_end() closes the frame.
 */
bool khv_entry_begin(struct khv_vcpu *vcpu, bool *flush)
{
	preempt_disable();
	if (khv_ops->vcpu_load)
		khv_ops->vcpu_load(vcpu);
	local_irq_disable();
	if (!khv_this_cpu_on()) {
		local_irq_enable();
		preempt_enable();
		return false;
	}
	/* preempted since the guest FPU was loaded: load it again */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	WRITE_ONCE(vcpu->cpu, smp_processor_id());
	smp_mb();	/* pairs with khv_vcpu_kick() */
	*flush = test_and_clear_bit(KHV_REQ_TLB_FLUSH, &vcpu->requests);
	return true;
}

void khv_entry_end(struct khv_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->cpu, -1);
	/*
	 * VMSCAPE: where the host asks for it, the host's user space (the
	 * VMM first of all) gets a predictor barrier before it runs again,
	 * so it cannot be steered by what the guest trained. On the CPU that
	 * ran the guest: before preemption is enabled, as KVM.
	 */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
	local_irq_enable();
	preempt_enable();
}

/*
 * Neither SVM nor VMX switches XCR0: with CR4.OSXSAVE the guest's is
 * loaded for the entry (interrupts off) and the host's put back before
 * anything else runs, as KVM does. True when it was switched.
 */
static bool khv_load_guest_xcr0(struct khv_vcpu *vcpu)
{
	if (!vcpu->guest_osxsave || vcpu->xcr0 == khv_host_xcr0)
		return false;
	xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	return true;
}

/*
 * The debug registers of one entry (interrupts off). The VMCB/VMCS holds
 * DR6 and DR7; DR0-3 are the CPU's own, so they are loaded only when the
 * DR7 of the entry enables a breakpoint, after the host's DR7 is cleared
 * (a host breakpoint must not fire between here and the entry). DR7.GD
 * never goes in: MOV DR always exits and khv raises GD's #DB itself.
 * True when the host's breakpoints must be put back after the exit.
 */
static bool khv_load_guest_dr(struct khv_vcpu *vcpu)
{
	bool user = vcpu->guest_debug & KVM_GUESTDBG_USE_HW_BP;
	const u64 *dr = user ? vcpu->dbg_dr : vcpu->dr;
	u64 dr7 = user ? vcpu->dbg_dr7 : vcpu->dr[7];
	bool host_bp = hw_breakpoint_active();

	vcpu->hw_dr7 = (dr7 & KHV_DR7_VOLATILE & ~KHV_DR7_GD) | KHV_DR7_FIXED;
	vcpu->hw_dr6 = khv_user_owns_db(vcpu) ? KHV_DR6_FIXED : vcpu->dr[6];
	if (vcpu->hw_dr7 & KHV_DR7_BP_ENABLE) {
		set_debugreg(0, 7);
		set_debugreg(dr[0], 0);
		set_debugreg(dr[1], 1);
		set_debugreg(dr[2], 2);
		set_debugreg(dr[3], 3);
	} else if (host_bp) {
		set_debugreg(0, 7);
	}
	return host_bp;
}

/*
 * After the exit: the CPU resets DR7 at #VMEXIT (and VM exit), which
 * would silently disarm the host's breakpoints (a debugger's watchpoint
 * on the VMM, perf's): put the host's DR0-3, DR6 and DR7 back. The guest's
 * DR6 takes what the CPU set, unless user space debugs (its exit has it).
 */
static void khv_put_host_dr(struct khv_vcpu *vcpu, bool host_bp)
{
	if (host_bp)
		hw_breakpoint_restore();
	if (!khv_user_owns_db(vcpu))
		vcpu->dr[6] = vcpu->hw_dr6;
}

/* The exit just taken (a valid kind), in this vCPU's counters and the trace. */
static __always_inline void khv_stat_exit(struct khv_vcpu *vcpu,
					  const struct khv_exit *exit)
{
	u64 *counters = (u64 *)&vcpu->stat;
	u8 i = khv_exit_stat[exit->kind];

	trace_khv_exit(vcpu->id, exit->kind, exit->hw_code, vcpu->rip,
		       exit->info1, exit->info2);
	vcpu->stat.exits++;
	counters[i ? i : KHV_STAT_IDX(exits_other)]++;
}

/*
 * A request bit (other threads' interrupts, kicks and changes all set
 * one) or host work (rescheduling, a signal): the run loop's business.
 */
static __always_inline bool khv_fastpath_interrupted(struct khv_vcpu *vcpu)
{
	return READ_ONCE(vcpu->requests) || need_resched() ||
	       signal_pending(current);
}

/*
 * Nothing the run loop does around an entry has work for this exit:
 * besides the above, nothing to inject, offer or watch for, no debugging.
 * Interrupts off.
 */
static bool khv_fastpath_quiet(struct khv_vcpu *vcpu)
{
	return !khv_fastpath_interrupted(vcpu) &&
	       !vcpu->guest_debug && !(vcpu->rflags & X86_EFLAGS_TF) &&
	       vcpu->irq_offer < 0 && !vcpu->irq_pending &&
	       !vcpu->nmi_pending && !vcpu->nmi_iret_wait &&
	       (!vcpu->apic || khv_vlapic_quiet_after_exit(vcpu)) &&
	       !khv_ops->event_in_flight(vcpu);
}

/*
 * The fast path (KVM has one too): an exit whose whole handling is
 * signalling an eventfd is done here, with interrupts still off, and the
 * guest entered again without the run loop's round (whose per-entry work
 * khv_fastpath_quiet() found empty). A guest notifying a device model
 * through an ioeventfd exits this way. False: the run loop takes it.
 */
static bool khv_exit_fastpath(struct khv_vcpu *vcpu, struct khv_exit *exit)
{
	u32 val = (u32)vcpu->gprs[RAX];

	if (exit->kind != KHV_EXIT_IO || exit->io.in || exit->io.string ||
	    !khv_fastpath_quiet(vcpu) ||
	    !khv_ioeventfd_write_irqoff(vcpu->vm, exit->io.port, exit->io.size,
					&val))
		return false;
	khv_stat_exit(vcpu, exit);
	/* khv_skip_insn(), whose single-step cases are not quiet */
	vcpu->rip = exit->next_rip;
	khv_ops->set_interrupt_shadow(vcpu, 0);
	return true;
}

/*
 * guest_time_ns is counted in TSC cycles, converted at the host's
 * tsc_khz: a TSC read is one instruction, local_clock() a call chain on
 * every exit (with an unstable sched_clock, a per-CPU update besides).
 * Every CPU with NPT or EPT runs its TSC at a constant rate; without a
 * known tsc_khz (or one below 1 MHz, which would not fit) the count
 * falls back to local_clock().
 */
#define KHV_GUEST_TIME_SHIFT	22

u32 khv_guest_time_mult(void)
{
	u64 mult;

	if (!tsc_khz)
		return 0;
	mult = div_u64((u64)NSEC_PER_MSEC << KHV_GUEST_TIME_SHIFT, tsc_khz);
	return mult <= U32_MAX ? mult : 0;
}

static __always_inline u64 khv_guest_time_now(struct khv_vcpu *vcpu)
{
	return vcpu->guest_time_mult ? rdtsc() : local_clock();
}

static __always_inline void khv_guest_time_add(struct khv_vcpu *vcpu, u64 start)
{
	u64 d = khv_guest_time_now(vcpu) - start;

	vcpu->stat.guest_time_ns += vcpu->guest_time_mult ?
		mul_u64_u32_shr(d, vcpu->guest_time_mult, KHV_GUEST_TIME_SHIFT) : d;
}

/*
 * Fast-path exits in a row, interrupts off, before the run loop's round
 * (interrupts on) all the same. A host interrupt ends the guest on a CPU,
 * so this only bounds a CPU that fails to: Bochs 2.7 never interrupts a
 * guest entered with IF=0 (testing.md), and a guest looping on an
 * ioeventfd port kept the host's ticks out for 20 s there (RCU stall).
 */
#define KHV_FASTPATH_MAX	64

/*
 * One entry, and more while its exits take the fast path. Returns false
 * if this CPU cannot run guests right now.
 * @exit_at_once: leave the guest right after event delivery (a self-IPI
 * makes the entry end with a host-interrupt exit).
 * @want_window: user space waits for an interrupt window (no fast path).
 */
static bool khv_enter(struct khv_vcpu *vcpu, bool exit_at_once,
		      bool want_window, struct khv_exit *exit)
{
	bool fast = !exit_at_once && !want_window;
	bool flush, xcr0, tf, host_bp;
	unsigned int n = 0;
	u64 start;

	if (!khv_entry_begin(vcpu, &flush)) {
		/* CPU coming up or going down: let hotplug finish. */
		schedule_timeout_uninterruptible(1);
		return false;
	}
	/* an event came after injection looked: enter, leave, look again */
	if (exit_at_once || test_bit(KHV_REQ_EVENT, &vcpu->requests))
		smp_send_reschedule(smp_processor_id());
	trace_khv_entry(vcpu->id, vcpu->rip);
	vcpu->stat.tlb_flush += flush;
	start = khv_guest_time_now(vcpu);
	xcr0 = khv_load_guest_xcr0(vcpu);
	/* user space single-steps: the guest runs with TF, which it never sees */
	tf = (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP) &&
	     !(vcpu->rflags & X86_EFLAGS_TF);
	if (tf)
		vcpu->rflags |= X86_EFLAGS_TF;
	host_bp = khv_load_guest_dr(vcpu);
	for (;;) {
		khv_ops->vcpu_enter(vcpu, vcpu->vm->npt.root_pa, flush, exit);
		if (!fast || !khv_exit_fastpath(vcpu, exit))
			break;
		/* handled; only a request or host work can have come since */
		if (khv_fastpath_interrupted(vcpu) || ++n == KHV_FASTPATH_MAX) {
			exit->kind = KHV_EXIT_DONE;
			break;
		}
		flush = false;
		trace_khv_entry(vcpu->id, vcpu->rip);
	}
	khv_put_host_dr(vcpu, host_bp);
	if (tf)
		vcpu->rflags &= ~X86_EFLAGS_TF;
	if (xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, khv_host_xcr0);
	khv_guest_time_add(vcpu, start);
	khv_entry_end(vcpu);
	return true;
}

/* NMI blocking ends once the handler's IRET has executed. */
static void khv_nmi_iret_done(struct khv_vcpu *vcpu)
{
	if (vcpu->nmi_iret_wait && vcpu->rip != vcpu->nmi_iret_rip) {
		vcpu->nmi_iret_wait = false;
		vcpu->nmi_masked = false;
	}
}

static int khv_run_loop(struct khv_vcpu *vcpu, bool want_window)
{
	struct khv_exit exit;
	bool at_once, entered;
	int r;

	for (;;) {
		if (vcpu->apic) {
			r = khv_vlapic_before_entry(vcpu);
			if (r <= 0)
				return r;
		}
		if (want_window && khv_ready_for_interrupt(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			vcpu->stat.request_irq_exits++;
			return 0;
		}
		/* rare requests: a plain test first, no locked op per entry */
		if (test_bit(KHV_REQ_SSTEP_EXIT, &vcpu->requests) &&
		    test_and_clear_bit(KHV_REQ_SSTEP_EXIT, &vcpu->requests) &&
		    (vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP))
			return khv_debug_exit(vcpu, DB_VECTOR,
					      KHV_DR6_FIXED | DR_STEP);
		if (test_bit(KHV_REQ_MSR_FILTER, &vcpu->requests) &&
		    test_and_clear_bit(KHV_REQ_MSR_FILTER, &vcpu->requests))
			khv_ops->msr_filter_changed(vcpu);
		if (test_bit(KHV_REQ_TRIPLE_FAULT, &vcpu->requests) &&
		    test_and_clear_bit(KHV_REQ_TRIPLE_FAULT, &vcpu->requests)) {
			khv_vcpu_init_reset(vcpu);
			vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
			return 0;
		}
		if (signal_pending(current)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			vcpu->stat.signal_exits++;
			return -EINTR;
		}
		/*
		 * With preemptible RCU, cond_resched() does nothing more than
		 * this test; without it, it also reports a quiescent state.
		 */
		if (!IS_ENABLED(CONFIG_PREEMPT_RCU) || need_resched())
			cond_resched();
		khv_kvmclock_before_entry(vcpu);
		khv_steal_time_before_entry(vcpu);
		at_once = khv_inject_events(vcpu, want_window);
		if (vcpu->apic)
			khv_vlapic_pv_eoi_before_entry(vcpu);
		entered = khv_enter(vcpu, at_once, want_window, &exit);
		/* first: an offered vector the guest took is in service */
		if (vcpu->irq_offer >= 0)
			khv_vlapic_offer_done(vcpu);
		if (!entered)
			continue;
		khv_nmi_iret_done(vcpu);
		if (vcpu->apic)
			khv_vlapic_after_exit(vcpu);
		if (WARN_ON_ONCE(exit.kind >= ARRAY_SIZE(khv_exit_handlers)))
			exit.kind = KHV_EXIT_UNHANDLED;
		if (exit.kind != KHV_EXIT_DONE)
			khv_stat_exit(vcpu, &exit);
		r = khv_exit_handlers[exit.kind](vcpu, &exit);
		if (r <= 0)
			return r;
	}
}

/* The fields of kvm_run user space reads after every KVM_RUN. */
static void khv_fill_run_state(struct khv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(vcpu->rflags & X86_EFLAGS_IF);
	run->cr8 = vcpu->tpr;
	run->apic_base = vcpu->apic_base;
	run->ready_for_interrupt_injection = khv_ready_for_interrupt(vcpu);
	run->flags = 0;
}

/* A thread record no reader can hold any more once a grace period passed. */
struct khv_pid_drop {
	struct rcu_head rcu;
	struct pid *pid;
};

static void khv_pid_drop_rcu(struct rcu_head *head)
{
	struct khv_pid_drop *d = container_of(head, struct khv_pid_drop, rcu);

	put_pid(d->pid);
	kfree(d);
}

/*
 * Which thread runs @vcpu, for directed yields to it. It changes rarely
 * for a VMM (one moving vCPUs between threads), but at will for any
 * caller; readers hold the RCU read lock. The old record is dropped after
 * a grace period without waiting for it here: a caller that alternates
 * threads would otherwise wait one grace period per KVM_RUN (the ioctl
 * fuzzer's four threads ran 4x slower for it). The module's exit waits
 * for these callbacks (rcu_barrier()).
 */
static void khv_vcpu_note_thread(struct khv_vcpu *vcpu)
{
	struct pid *old = rcu_dereference_protected(vcpu->pid,
						    lockdep_is_held(&vcpu->lock));
	struct khv_pid_drop *d;

	if (old == task_pid(current))
		return;
	rcu_assign_pointer(vcpu->pid, get_task_pid(current, PIDTYPE_PID));
	if (!old)
		return;
	d = kmalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (d) {
		d->pid = old;
		call_rcu(&d->rcu, khv_pid_drop_rcu);
	} else {
		synchronize_rcu();
		put_pid(old);
	}
}

static void khv_sched_in(struct preempt_notifier *pn, int cpu)
{
}

static void khv_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	khv_ops->vcpu_put(container_of(pn, struct khv_vcpu, pn));
}

static struct preempt_ops khv_preempt_ops = {
	.sched_in = khv_sched_in,
	.sched_out = khv_sched_out,
};

/*
 * The thread runs @vcpu until khv_vcpu_thread_leave(): if the backend
 * leaves host state switched between entries, it is put back whenever
 * the scheduler takes the CPU, and at the end.
 */
void khv_vcpu_thread_enter(struct khv_vcpu *vcpu)
{
	if (!khv_ops->vcpu_put)
		return;
	preempt_notifier_init(&vcpu->pn, &khv_preempt_ops);
	preempt_disable();
	preempt_notifier_register(&vcpu->pn);
	preempt_enable();
}

void khv_vcpu_thread_leave(struct khv_vcpu *vcpu)
{
	if (!khv_ops->vcpu_put)
		return;
	preempt_disable();
	khv_ops->vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->pn);
	preempt_enable();
}

/*
 * KVM_CAP_SYNC_REGS: the register sets user space marked dirty in kvm_run
 * go into the vCPU before it runs, each copied out of the shared page once
 * and checked as its ioctl checks it (KVM_SET_REGS, _SREGS, _VCPU_EVENTS).
 * Each set taken loses its dirty bit; one refused fails KVM_RUN with
 * -EINVAL and stays dirty, as KVM.
 */
static noinline int khv_sync_regs_in(struct khv_vcpu *vcpu, u64 dirty)
{
	struct kvm_run *run = vcpu->run;
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_vcpu_events events;
	} u;
	int r = 0;

	if (dirty & KVM_SYNC_X86_REGS) {
		memcpy(&u.regs, &run->s.regs.regs, sizeof(u.regs));
		khv_regs_set(vcpu, &u.regs);
		dirty &= ~KVM_SYNC_X86_REGS;
	}
	if (dirty & KVM_SYNC_X86_SREGS) {
		memcpy(&u.sregs, &run->s.regs.sregs, sizeof(u.sregs));
		r = khv_sregs_set(vcpu, &u.sregs);
		if (r)
			goto out;
		dirty &= ~KVM_SYNC_X86_SREGS;
	}
	if (dirty & KVM_SYNC_X86_EVENTS) {
		memcpy(&u.events, &run->s.regs.events, sizeof(u.events));
		r = khv_events_set(vcpu, &u.events);
		if (r)
			goto out;
		dirty &= ~KVM_SYNC_X86_EVENTS;
	}
out:
	WRITE_ONCE(run->kvm_dirty_regs, dirty);
	return r;
}

/* ... and the sets it asked for come back in kvm_run after every KVM_RUN. */
static void khv_sync_regs_out(struct khv_vcpu *vcpu, u64 valid)
{
	struct kvm_run *run = vcpu->run;

	if (valid & KVM_SYNC_X86_REGS)
		khv_regs_get(vcpu, &run->s.regs.regs);
	if (valid & KVM_SYNC_X86_SREGS)
		khv_sregs_get(vcpu, &run->s.regs.sregs);
	if (valid & KVM_SYNC_X86_EVENTS)
		khv_events_get(vcpu, &run->s.regs.events);
}

long khv_vcpu_run(struct khv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 sync_valid, sync_dirty;
	sigset_t saved;
	bool want_window;
	long r;

	khv_vcpu_note_thread(vcpu);
	if (vcpu->sigmask_set)
		sigprocmask(SIG_SETMASK, &vcpu->sigmask, &saved);
	vcpu->ran = true;
	vcpu->stat.runs++;
	/* Read the user-written fields once. */
	want_window = READ_ONCE(run->request_interrupt_window);
	sync_valid = READ_ONCE(run->kvm_valid_regs);
	sync_dirty = READ_ONCE(run->kvm_dirty_regs);
	if ((sync_valid | sync_dirty) & ~(u64)KVM_SYNC_X86_VALID_FIELDS) {
		r = -EINVAL;
		goto out;
	}
	if (sync_dirty) {
		r = khv_sync_regs_in(vcpu, sync_dirty);
		if (r)
			goto out;
	}
	if (!vcpu->apic)	/* else the TPR is the in-kernel LAPIC's */
		vcpu->tpr = READ_ONCE(run->cr8) & 0xf;
	r = khv_complete_pending(vcpu);
	if (r <= 0)
		goto out;
	/* as KVM, exit_reason keeps what the last exit said */
	if (khv_run_immediate_exit(run)) {
		r = -EINTR;
		goto out;
	}
	/* as KVM's vCPU load with an unstable TSC: kvmclock from a fresh reading */
	if ((vcpu->kvmclock_msr & 1) && !READ_ONCE(vcpu->vm->clock.master))
		set_bit(KHV_REQ_CLOCK, &vcpu->requests);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	khv_vcpu_thread_enter(vcpu);
	r = khv_run_loop(vcpu, want_window);
	khv_vcpu_thread_leave(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	/* the PV EOI bit of an entry that did not happen */
	if (vcpu->pv_eoi_pending)
		khv_vlapic_pv_eoi_after_exit(vcpu);
out:
	khv_sync_regs_out(vcpu, sync_valid);
	khv_fill_run_state(vcpu);
	if (vcpu->sigmask_set)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	return r;
}
