// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_GUEST_DEBUG as a debugger (QEMU's gdbstub) uses it:
 * single-stepping exits with KVM_EXIT_DEBUG after every instruction,
 * including one the hypervisor completes itself (CPUID) or that exited to
 * user space (OUT): KVM_CAP_X86_ROBUST_SINGLESTEP; the guest never sees
 * the trap flag; software breakpoints (INT3) exit to user space with
 * KVM_GUESTDBG_USE_SW_BP and reach the guest's handler without it;
 * KVM_GUESTDBG_INJECT_BP raises #BP in the guest. (Unknown control bits:
 * KVM 6.1 ignores them, later kernels and khv refuse them; not tested.)
 */
#include <errno.h>
#include <string.h>

#include "guest.h"

static int sys_fd;

#define EFLAGS_TF	(1ull << 8)
#define DR6_BS		(1ull << 14)

/* NOP NOP CPUID NOP RET: offsets 0 1 2 4 5 */
extern char sstep_code[];
__asm__(".pushsection .text\n"
	".global sstep_code\n"
	"sstep_code:\n"
	"	nop\n"
	"	nop\n"
	"	cpuid\n"
	"	nop\n"
	"	ret\n"
	".popsection\n");

/* NOP INT3 NOP RET */
extern char bp_code[];
__asm__(".pushsection .text\n"
	".global bp_code\n"
	"bp_code:\n"
	"	nop\n"
	"	int3\n"
	"	nop\n"
	"	ret\n"
	".popsection\n");

static volatile uint64_t g_bp, g_bp_rip;

GUEST_CODE static void bp_handler(struct guest_frame *f)
{
	g_bp++;
	g_bp_rip = f->rip;
}

GUEST_CODE static void guest_sstep(uint64_t a0, uint64_t a1)
{
	GUEST_SYNC(1, (uint64_t)sstep_code);
	__asm__ volatile("call sstep_code" : : "a"(0), "c"(0)
			 : "rbx", "rdx", "memory");
	GUEST_SYNC(2, 0);
	GUEST_DONE();
}

static int guest_debug(struct gvcpu *v, uint32_t control)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	d.control = control;
	return (int)khv_ioctl(v->fd, KVM_SET_GUEST_DEBUG, (unsigned long)&d);
}

static int t_single_step(void)
{
	static const uint64_t want[] = { 0, 1, 2, 4, 5 };
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_sstep, 0, 0) : NULL;
	struct kvm_regs regs;
	uint64_t code, pc;
	unsigned int steps = 0, k = 0, outs = 0;
	int r = KSFT_FAIL;

	if (!v)
		goto out;
	if (!khv_cap(sys_fd, KVM_CAP_SET_GUEST_DEBUG) ||
	    !khv_cap(sys_fd, KVM_CAP_X86_ROBUST_SINGLESTEP)) {
		r = KSFT_SKIP;
		goto out;
	}
	if (gvcpu_run_sync(v, 1, &code))
		goto out;
	if (guest_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP))
		goto out;
	/* step from the ucall's OUT to the code, then through it */
	for (;;) {
		if (gvcpu_run(v))
			goto out;
		if (v->run->exit_reason == KVM_EXIT_IO) {
			outs++;		/* SYNC 2's OUT: the stepping is over */
			break;
		}
		if (v->run->exit_reason != KVM_EXIT_DEBUG ||
		    v->run->debug.arch.exception != 1 ||
		    !(v->run->debug.arch.dr6 & DR6_BS)) {
			gvcpu_describe_exit(v, "expected a single-step KVM_EXIT_DEBUG");
			goto out;
		}
		pc = v->run->debug.arch.pc;
		if (!steps++) {
			/* the first: right after the ucall's OUT, completed by the kernel */
			ksft_diag("first step at %#llx", (unsigned long long)pc);
		}
		if (gvcpu_get_regs(v, &regs) || (regs.rflags & EFLAGS_TF) ||
		    regs.rip != pc) {
			ksft_diag("at %#llx: RIP %#llx RFLAGS %#llx (TF must not show)",
				  (unsigned long long)pc, (unsigned long long)regs.rip,
				  (unsigned long long)regs.rflags);
			goto out;
		}
		if (k < 5 && pc == code + want[k])
			k++;
		else if (k && k < 5) {
			ksft_diag("step %u in the code at +%#llx, expected +%#llx",
				  k, (unsigned long long)(pc - code),
				  (unsigned long long)want[k]);
			goto out;
		}
		if (steps > 5000) {
			ksft_diag("no end after %u steps", steps);
			goto out;
		}
	}
	ksft_diag("%u steps, the code's %u (CPUID's included)", steps, k);
	if (k != 5)
		goto out;
	if (guest_debug(v, 0) || gvcpu_run_done(v))
		goto out;
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

GUEST_CODE static void guest_bp(uint64_t a0, uint64_t a1)
{
	__asm__ volatile("call bp_code" : : : "memory");
	GUEST_SYNC(1, g_bp);		/* user space's breakpoint: no #BP here */
	__asm__ volatile("call bp_code" : : : "memory");
	GUEST_ASSERT_EQ(g_bp, 1);	/* the guest's own */
	GUEST_ASSERT_EQ(g_bp_rip, (uint64_t)bp_code + 2);
	GUEST_SYNC(2, 0);
	GUEST_ASSERT_EQ(g_bp, 2);	/* KVM_GUESTDBG_INJECT_BP */
	GUEST_DONE();
}

/* The vCPU stopped at SYNC 1 with the guest's #BP count at 1. */
static bool g_bp_seen_by_guest(struct gvcpu *v)
{
	struct ucall uc;

	return ucall_get(v, &uc) == UCALL_SYNC && uc.args[0] == 1 && uc.args[1] == 1;
}

static int t_breakpoints(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_bp, 0, 0) : NULL;
	struct kvm_regs regs;
	uint64_t val;
	int r = KSFT_FAIL;

	if (!v || gvm_set_handler(vm, 3, bp_handler))
		goto out;
	if (!khv_cap(sys_fd, KVM_CAP_SET_GUEST_DEBUG)) {
		r = KSFT_SKIP;
		goto out;
	}
	if (guest_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP) ||
	    gvcpu_run(v))
		goto out;
	/*
	 * QEMU's TCG checks INT3 against the SWINT intercept, not the #BP
	 * exception intercept, so there the guest's handler runs: a CPU that
	 * cannot show this.
	 */
	if (v->run->exit_reason == KVM_EXIT_IO && g_bp_seen_by_guest(v)) {
		ksft_diag("INT3 went to the guest: this CPU does not intercept it as #BP");
		r = KSFT_SKIP;
		goto out;
	}
	if (v->run->exit_reason != KVM_EXIT_DEBUG ||
	    v->run->debug.arch.exception != 3 ||
	    v->run->debug.arch.pc != (uint64_t)bp_code + 1) {
		gvcpu_describe_exit(v, "expected KVM_EXIT_DEBUG for the INT3");
		ksft_diag("exception %u pc %#llx, INT3 at %#llx",
			  v->run->debug.arch.exception,
			  (unsigned long long)v->run->debug.arch.pc,
			  (unsigned long long)(uint64_t)bp_code + 1);
		goto out;
	}
	/* as a debugger: step over the INT3 it planted */
	if (gvcpu_get_regs(v, &regs))
		goto out;
	regs.rip += 1;
	if (gvcpu_set_regs(v, &regs) || gvcpu_run_sync(v, 1, &val) || val != 0)
		goto out;
	if (guest_debug(v, 0) || gvcpu_run_sync(v, 2, NULL))
		goto out;
	if (guest_debug(v, KVM_GUESTDBG_INJECT_BP) || gvcpu_run_done(v)) {
		ksft_diag("KVM_GUESTDBG_INJECT_BP: no #BP in the guest");
		goto out;
	}
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

static const struct ksft_case cases[] = {
	{ "single_step", t_single_step },
	{ "breakpoints", t_breakpoints },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
