// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_GUEST_DEBUG as a debugger (QEMU's gdbstub) uses it:
 * single-stepping exits with KVM_EXIT_DEBUG after every instruction,
 * including one the hypervisor completes itself (CPUID) or that exited to
 * user space (OUT): KVM_CAP_X86_ROBUST_SINGLESTEP; the guest never sees
 * the trap flag; software breakpoints (INT3) exit to user space with
 * KVM_GUESTDBG_USE_SW_BP and reach the guest's handler without it;
 * KVM_GUESTDBG_INJECT_BP raises #BP in the guest. Hardware breakpoints:
 * user space's (KVM_GUESTDBG_USE_HW_BP: instruction and data breakpoints
 * on each of DR0-3, DR7.GD) exit with the DR6 of the hit alone; the
 * guest's own (its MOV to DR0-3/DR7) reach its #DB handler; and a host
 * watchpoint on the VMM (perf) still fires after the guest ran. (Unknown
 * control bits: KVM 6.1 ignores them, later kernels and khv refuse them;
 * not tested.)
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include "guest.h"

static int sys_fd;

#define EFLAGS_TF	(1ull << 8)
#define EFLAGS_RF	(1ull << 16)
#define DR6_FIXED	0xffff0ff0ull
#define DR6_BD		(1ull << 13)
#define DR6_BS		(1ull << 14)
#define DR7_FIXED	0x400ull
#define DR7_GD		(1ull << 13)
/* DR7 enabling breakpoint @i globally; @rwlen: its R/W and LEN bits */
#define DR7_BP(i, rwlen)	((2ull << (2 * (i))) | ((uint64_t)(rwlen) << (16 + 4 * (i))))
#define RWLEN_WRITE4	0xd	/* R/W 01 (writes), LEN 11 (4 bytes) */

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

/*
 * hwbp_code: NOP (for instruction breakpoints), a 4-byte write to
 * g_watch (data breakpoints, a trap: RIP after the write), RET.
 * gd_code: a read of DR0 (DR7.GD). Global labels: user space points the
 * breakpoints at them.
 */
volatile uint32_t g_watch;
extern char hwbp_code[], hwbp_write[], hwbp_write_end[], gd_code[];
__asm__(".pushsection .text\n"
	".global hwbp_code, hwbp_write, hwbp_write_end, gd_code\n"
	"hwbp_code:\n"
	"	nop\n"
	"hwbp_write:\n"
	"	movl $1234, g_watch(%rip)\n"
	"hwbp_write_end:\n"
	"	ret\n"
	"gd_code:\n"
	"	mov %dr0, %rax\n"
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
		/* DR6 says this step and nothing else (KVM's fresh DR6) */
		if (v->run->exit_reason != KVM_EXIT_DEBUG ||
		    v->run->debug.arch.exception != 1 ||
		    v->run->debug.arch.dr6 != (DR6_FIXED | DR6_BS)) {
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

static int hw_debug(struct gvcpu *v, int i, uint64_t addr, uint64_t dr7)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	if (i >= 0)
		d.arch.debugreg[i] = addr;
	d.arch.debugreg[7] = dr7;
	return (int)khv_ioctl(v->fd, KVM_SET_GUEST_DEBUG, (unsigned long)&d);
}

#define ANY_DR7		(~0ull)

/* The exit is user space's #DB at @pc with exactly @dr6 and @dr7. */
static bool debug_exit_is(struct gvcpu *v, const char *what, uint64_t pc,
			  uint64_t dr6, uint64_t dr7)
{
	struct kvm_debug_exit_arch *a = &v->run->debug.arch;

	if (v->run->exit_reason == KVM_EXIT_DEBUG && a->exception == 1 &&
	    a->pc == pc && a->dr6 == dr6 && (dr7 == ANY_DR7 || a->dr7 == dr7))
		return true;
	gvcpu_describe_exit(v, what);
	ksft_diag("%s: exception %u pc %#llx dr6 %#llx dr7 %#llx; expected pc %#llx dr6 %#llx dr7 %#llx",
		  what, a->exception, (unsigned long long)a->pc,
		  (unsigned long long)a->dr6, (unsigned long long)a->dr7,
		  (unsigned long long)pc, (unsigned long long)dr6,
		  (unsigned long long)dr7);
	return false;
}

/* hw_breakpoints saw a breakpoint fire: this CPU arms DR7 for a guest */
static bool dr7_armed;

static bool has_hw_bp(void)
{
	long dbg2 = khv_cap(sys_fd, KVM_CAP_SET_GUEST_DEBUG2);

	return dbg2 > 0 && (dbg2 & KVM_GUESTDBG_USE_HW_BP);
}

GUEST_CODE static void guest_hwbp(uint64_t a0, uint64_t a1)
{
	__asm__ volatile("call hwbp_code" : : : "memory");
	GUEST_SYNC(1, g_watch);
	GUEST_DONE();
}

/*
 * KVM_GUESTDBG_USE_HW_BP: an instruction breakpoint on each of DR0-3
 * (a fault: PC at the instruction), then a data breakpoint on each (a
 * trap: PC after the write); each exit's DR6 has only its own B bit.
 */
static int t_hw_breakpoints(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_hwbp, 0, 0) : NULL;
	struct kvm_regs regs;
	uint64_t dr7, val;
	int i, r = KSFT_FAIL;

	if (!v)
		goto out;
	if (!has_hw_bp()) {
		ksft_diag("KVM_CAP_SET_GUEST_DEBUG2 has no KVM_GUESTDBG_USE_HW_BP");
		r = KSFT_SKIP;
		goto out;
	}
	for (i = 0; i < 4; i++) {
		dr7 = DR7_FIXED | DR7_BP(i, 0);
		if (hw_debug(v, i, (uint64_t)hwbp_code, dr7) || gvcpu_run(v))
			goto out;
		if (!i && v->run->exit_reason == KVM_EXIT_IO) {
			ksft_diag("the breakpoint did not fire: this CPU does not arm DR7 for a guest");
			r = KSFT_SKIP;
			goto out;
		}
		if (!debug_exit_is(v, "instruction breakpoint", (uint64_t)hwbp_code,
				   DR6_FIXED | (1ull << i), dr7))
			goto out;
		dr7_armed = true;
	}
	for (i = 0; i < 4; i++) {
		dr7 = DR7_FIXED | DR7_BP(i, RWLEN_WRITE4);
		if (hw_debug(v, i, (uint64_t)&g_watch, dr7) || gvcpu_run(v))
			goto out;
		if (!debug_exit_is(v, "data breakpoint", (uint64_t)hwbp_write_end,
				   DR6_FIXED | (1ull << i), dr7))
			goto out;
		/* back to the write for the next register */
		if (i < 3) {
			if (gvcpu_get_regs(v, &regs))
				goto out;
			regs.rip = (uint64_t)hwbp_write;
			if (gvcpu_set_regs(v, &regs))
				goto out;
		}
	}
	if (guest_debug(v, 0) || gvcpu_run_sync(v, 1, &val) || val != 1234)
		goto out;
	if (gvcpu_run_done(v))
		goto out;
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

GUEST_CODE static void guest_gd(uint64_t a0, uint64_t a1)
{
	__asm__ volatile("call gd_code" : : : "rax", "memory");
	GUEST_DONE();
}

/*
 * User space's DR7.GD: the guest's MOV DR exits (DR6.BD), then runs once
 * GD is clear (by the CPU's #DB, or by user space).
 */
static int t_hw_bp_gd(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_gd, 0, 0) : NULL;
	int r = KSFT_FAIL;

	if (!v)
		goto out;
	if (!has_hw_bp()) {
		r = KSFT_SKIP;
		goto out;
	}
	if (hw_debug(v, -1, 0, DR7_FIXED | DR7_GD) || gvcpu_run(v))
		goto out;
	/* stock KVM on SVM leaves GD to the CPU; QEMU's TCG has no GD */
	if (v->run->exit_reason == KVM_EXIT_IO) {
		ksft_diag("MOV DR ran: this CPU does not raise #DB for DR7.GD");
		r = KSFT_SKIP;
		goto out;
	}
	/* DR7: as the CPU leaves it after the #DB, GD cleared (not checked) */
	if (!debug_exit_is(v, "DR7.GD", (uint64_t)gd_code, DR6_FIXED | DR6_BD,
			   ANY_DR7))
		goto out;
	/*
	 * kvm_amd: the CPU's #DB cleared GD, the MOV runs now. kvm_intel
	 * emulates GD and keeps user space's DR7: the MOV exits again until
	 * user space clears GD itself; then it runs.
	 */
	if (gvcpu_run(v))
		goto out;
	if (v->run->exit_reason == KVM_EXIT_DEBUG) {
		if (!debug_exit_is(v, "DR7.GD again", (uint64_t)gd_code,
				   DR6_FIXED | DR6_BD, ANY_DR7))
			goto out;
		ksft_diag("GD stays in user space's DR7: cleared by the test");
		if (hw_debug(v, -1, 0, DR7_FIXED) || gvcpu_run(v))
			goto out;
	}
	if (ucall_get(v, &(struct ucall){ 0 }) != UCALL_DONE) {
		gvcpu_describe_exit(v, "expected DONE");
		goto out;
	}
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

static volatile uint64_t g_db, g_db_rip, g_db_dr6;

GUEST_CODE static void db_handler(struct guest_frame *f)
{
	uint64_t dr6;

	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	g_db++;
	g_db_rip = f->rip;
	g_db_dr6 = dr6;
	__asm__ volatile("mov %0, %%dr6" : : "r"(DR6_FIXED));
	/* an instruction breakpoint is a fault: RF lets the instruction run */
	f->rflags |= EFLAGS_RF;
}

static inline void guest_set_dr(int n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 7: __asm__ volatile("mov %0, %%dr7" : : "r"(v)); break;
	}
}

/*
 * The guest's own breakpoints: DR1 on the NOP (fault, B1), then DR0 on
 * g_watch for writes (trap, B0); its handler sees each once.
 */
GUEST_CODE static void guest_own_bp(uint64_t a0, uint64_t a1)
{
	guest_set_dr(1, (uint64_t)hwbp_code);
	guest_set_dr(7, DR7_FIXED | DR7_BP(1, 0));
	__asm__ volatile("call hwbp_code" : : : "memory");
	guest_set_dr(7, DR7_FIXED);
	GUEST_SYNC(1, g_db);
	GUEST_SYNC(2, g_db_rip);
	GUEST_SYNC(3, g_db_dr6);
	g_db = 0;
	guest_set_dr(0, (uint64_t)&g_watch);
	guest_set_dr(7, DR7_FIXED | DR7_BP(0, RWLEN_WRITE4));
	__asm__ volatile("call hwbp_write" : : : "memory");
	guest_set_dr(7, DR7_FIXED);
	GUEST_SYNC(4, g_db);
	GUEST_SYNC(5, g_db_rip);
	GUEST_SYNC(6, g_db_dr6);
	GUEST_DONE();
}

/* A write watchpoint on @addr for this thread (perf), or -1. */
static int host_watchpoint(volatile void *addr)
{
	struct perf_event_attr pe;

	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_BREAKPOINT;
	pe.size = sizeof(pe);
	pe.bp_type = HW_BREAKPOINT_W;
	pe.bp_addr = (uint64_t)(uintptr_t)addr;
	pe.bp_len = HW_BREAKPOINT_LEN_4;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
}

static uint64_t host_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return ~0ull;
	return n;
}

static volatile uint32_t host_watched;

/*
 * The guest's own breakpoints reach its #DB handler with the right DR6
 * and RIP. Only where user space's breakpoints fire (hw_breakpoints): QEMU
 * 7.2's TCG arms no DR7 for a nested guest, and the test machine's QEMU
 * crashes when stock KVM hands such a guest its debug registers.
 */
static int t_guest_breakpoints(void)
{
	static const char *const what[] = {
		"#DBs for the instruction breakpoint", "its RIP", "its DR6",
		"#DBs for the data breakpoint", "its RIP", "its DR6",
	};
	uint64_t want[6];
	struct gvm *vm;
	struct gvcpu *v = NULL;
	uint64_t val;
	int i, r = KSFT_FAIL;

	if (!dr7_armed) {
		ksft_diag("this CPU does not arm DR7 for a guest (see hw_breakpoints)");
		return KSFT_SKIP;
	}
	want[0] = 1;
	want[1] = (uint64_t)hwbp_code;
	want[2] = DR6_FIXED | 2;
	want[3] = 1;
	want[4] = (uint64_t)hwbp_write_end;
	want[5] = DR6_FIXED | 1;
	vm = gvm_create(sys_fd, 0);
	v = vm ? gvcpu_create_long(vm, 0, guest_own_bp, 0, 0) : NULL;
	if (!v || gvm_set_handler(vm, 1, db_handler))
		goto out;
	for (i = 0; i < 6; i++) {
		if (gvcpu_run_sync(v, i + 1, &val))
			goto out;
		if (val != want[i]) {
			ksft_diag("guest saw %s %#llx, expected %#llx", what[i],
				  (unsigned long long)val, (unsigned long long)want[i]);
			goto out;
		}
	}
	if (gvcpu_run_done(v))
		goto out;
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

GUEST_CODE static void guest_sync_loop(uint64_t n, uint64_t a1)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		GUEST_SYNC(1, i);
	GUEST_DONE();
}

/*
 * The VMM thread has a hardware watchpoint (perf, as a debugger's on
 * QEMU): a write right after each KVM_RUN, on the CPU that ran the guest,
 * still counts. The CPU clears DR7 at every exit from a guest; the host's
 * breakpoints must be put back before KVM_RUN returns.
 */
#define WATCH_RUNS	50

static int t_host_watchpoint(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_sync_loop, WATCH_RUNS, 0) : NULL;
	uint64_t n, val;
	int i, wfd = -1, r = KSFT_FAIL;

	if (!v)
		goto out;
	wfd = host_watchpoint(&host_watched);
	if (wfd < 0) {
		ksft_diag("no hardware watchpoint for this thread (perf_event_open: %s)",
			  strerror(errno));
		r = KSFT_SKIP;
		goto out;
	}
	host_watched = 1;
	if (host_count(wfd) != 1) {
		ksft_diag("the watchpoint did not count a write before any guest ran");
		r = KSFT_SKIP;
		goto out;
	}
	for (i = 0; i < WATCH_RUNS; i++) {
		if (gvcpu_run_sync(v, 1, &val) || val != (uint64_t)i)
			goto out;
		host_watched = i;
		n = host_count(wfd);
		if (n != (uint64_t)i + 2) {
			ksft_diag("after KVM_RUN %d: the watchpoint counted %llu of %d writes",
				  i + 1, (unsigned long long)n, i + 2);
			goto out;
		}
	}
	if (gvcpu_run_done(v))
		goto out;
	ksft_diag("%d writes after KVM_RUN, all counted", WATCH_RUNS);
	r = KSFT_PASS;
out:
	if (wfd >= 0)
		close(wfd);
	gvm_teardown(vm, v);
	return r;
}

static volatile uint64_t g_nmi;

GUEST_CODE static void nmi_handler(struct guest_frame *f)
{
	g_nmi++;
}

GUEST_CODE static void guest_nmi_step(uint64_t a0, uint64_t a1)
{
	GUEST_SYNC(1, 0);
	__asm__ volatile("call sstep_code" : : "a"(0), "c"(0)
			 : "rbx", "rdx", "memory");
	GUEST_SYNC(2, g_nmi);
	GUEST_SYNC(3, g_nmi);
	GUEST_DONE();
}

/*
 * KVM_GUESTDBG_BLOCKIRQ: a pending NMI stays pending while user space
 * steps through the code, and goes in once the stepping is over.
 */
static int t_blockirq(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_nmi_step, 0, 0) : NULL;
	unsigned int steps = 0;
	struct ucall uc;
	uint64_t val;
	int r = KSFT_FAIL;

	if (!v || gvm_set_handler(vm, 2, nmi_handler))
		goto out;
	if (!(khv_cap(sys_fd, KVM_CAP_SET_GUEST_DEBUG2) & KVM_GUESTDBG_BLOCKIRQ)) {
		r = KSFT_SKIP;
		goto out;
	}
	if (gvcpu_run_sync(v, 1, NULL) || khv_ioctl(v->fd, KVM_NMI, 0) ||
	    guest_debug(v, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
			   KVM_GUESTDBG_BLOCKIRQ))
		goto out;
	for (;;) {
		if (gvcpu_run(v))
			goto out;
		if (v->run->exit_reason == KVM_EXIT_IO)
			break;
		if (v->run->exit_reason != KVM_EXIT_DEBUG || ++steps > 5000) {
			gvcpu_describe_exit(v, "expected single steps up to SYNC 2");
			goto out;
		}
	}
	/* the exit is SYNC 2's OUT: its value is the NMI count */
	if (ucall_get(v, &uc) != UCALL_SYNC || uc.args[0] != 2) {
		gvcpu_describe_exit(v, "expected SYNC 2 after the steps");
		goto out;
	}
	val = uc.args[1];
	if (guest_debug(v, 0))
		goto out;
	if (val) {
		ksft_diag("the NMI went in while stepping with BLOCKIRQ (%u steps)", steps);
		goto out;
	}
	if (gvcpu_run_sync(v, 3, &val) || val != 1) {
		ksft_diag("the NMI did not go in after the stepping (%llu)",
			  (unsigned long long)val);
		goto out;
	}
	if (gvcpu_run_done(v))
		goto out;
	ksft_diag("%u steps without the pending NMI, then it went in", steps);
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

static const struct ksft_case cases[] = {
	{ "single_step", t_single_step },
	{ "breakpoints", t_breakpoints },
	{ "hw_breakpoints", t_hw_breakpoints },
	{ "hw_bp_gd", t_hw_bp_gd },
	{ "guest_breakpoints", t_guest_breakpoints },
	{ "host_watchpoint", t_host_watchpoint },
	{ "blockirq", t_blockirq },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
