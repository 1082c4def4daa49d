// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts without an in-kernel irqchip, as QEMU's userspace PIC/LAPIC
 * drives them: KVM_INTERRUPT, request_interrupt_window and
 * KVM_EXIT_IRQ_WINDOW_OPEN, the if_flag and ready_for_interrupt_injection
 * fields, KVM_NMI, KVM_GET/SET_VCPU_EVENTS and KVM_GET/SET_MP_STATE.
 * Guest handlers are C functions entered through the library's IDT stubs.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>

#include "guest.h"

static int sys_fd;

#define STR(x)	#x
#define XSTR(x)	STR(x)

static volatile uint64_t irq_count, irq_vector, nmi_count;

GUEST_CODE static void on_irq(struct guest_frame *f)
{
	irq_count++;
	irq_vector = f->vector;
}

GUEST_CODE static void on_nmi(struct guest_frame *f)
{
	nmi_count++;
}

/* irq_count and the last vector, as one SYNC value */
#define IRQ_STATE() (irq_count | irq_vector << 8)

/* A VM with handlers for vectors 0x40-0x4f and NMI, running @fn. */
static struct gvcpu *irq_vcpu(struct gvm **vm, const void *fn)
{
	int vec;

	*vm = gvm_create(sys_fd, 0);
	if (!*vm)
		return NULL;
	for (vec = 0x40; vec < 0x50; vec++)
		gvm_set_handler(*vm, vec, on_irq);
	gvm_set_handler(*vm, 2, on_nmi);
	return gvcpu_create_long(*vm, 0, fn, 0, 0);
}

static void put_vcpu(struct gvm *vm, struct gvcpu *v)
{
	gvcpu_destroy(v);
	gvm_destroy(vm);
}

static int interrupt(struct gvcpu *v, uint32_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	return (int)khv_ioctl(v->fd, KVM_INTERRUPT, (unsigned long)&irq);
}

GUEST_CODE static void guest_sti_sync(uint64_t a, uint64_t b)
{
	__asm__ volatile("sti; nop");
	GUEST_SYNC(1, 0);
	GUEST_SYNC(2, IRQ_STATE());
}

/* With IF=1 at an exit, KVM_INTERRUPT is delivered on the next entry. */
static int t_inject(void)
{
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_sti_sync);
	uint64_t val;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(v->run->if_flag == 1 && v->run->ready_for_interrupt_injection == 1,
	      "if_flag %u ready %u", v->run->if_flag,
	      v->run->ready_for_interrupt_injection);
	CHECK(!interrupt(v, 0x41), "KVM_INTERRUPT");
	CHECK(!gvcpu_run_sync(v, 2, &val), "SYNC 2");
	CHECK(val == (0x41 << 8 | 1), "handler count %lu vector %#lx", val & 0xff,
	      val >> 8);
	CHECK(interrupt(v, 256) == -EINVAL, "vector 256 accepted");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/*
 * The test machine's emulated SVM (QEMU 7.2's TCG) keeps STI's shadow in a
 * #VMEXIT's int_state but does not load it back at VMRUN, so a host
 * interrupt that lands right after an STI erases its shadow, on stock KVM
 * as on khv. The cases that look at the shadow run again when they see
 * that loss, up to STI_TRIES times in all; a hypervisor that gets the
 * shadow wrong every time still fails.
 */
#define STI_TRIES	4
#define STI_LOST	(-1)	/* the test machine lost the shadow */

extern const char window_in_shadow[], window_open_at[];

GUEST_CODE static void guest_window(uint64_t a, uint64_t b)
{
	uint64_t i, sum = 0;

	GUEST_SYNC(1, 0);
	for (i = 0; i < 100; i++)	/* IF=0: the window stays shut */
		sum += i;
	__asm__ volatile("sti\nwindow_in_shadow:\n\tnop\nwindow_open_at:\n\tnop; cli"
			 : : : "memory");
	GUEST_SYNC(2, IRQ_STATE());
	GUEST_SYNC(3, sum);
}

/*
 * request_interrupt_window while the guest has IF=0: no exit until it
 * executes STI (and the instruction in its shadow); then
 * KVM_EXIT_IRQ_WINDOW_OPEN, where KVM_INTERRUPT is taken at once. A
 * window exit on the instruction in the shadow is the test machine's lost
 * shadow (above): STI_LOST, and the case runs again.
 */
static int irq_window_once(void)
{
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_window);
	struct kvm_run *run;
	struct kvm_regs regs;
	uint64_t val;

	CHECK(v, "VM/vCPU");
	run = v->run;
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(run->if_flag == 0 && run->ready_for_interrupt_injection == 0,
	      "IF=0: if_flag %u ready %u", run->if_flag,
	      run->ready_for_interrupt_injection);
	run->request_interrupt_window = 1;
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IRQ_WINDOW_OPEN), "window exit");
	CHECK(run->if_flag == 1 && run->ready_for_interrupt_injection == 1,
	      "window open: if_flag %u ready %u", run->if_flag,
	      run->ready_for_interrupt_injection);
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	if (regs.rip == (uint64_t)window_in_shadow) {
		put_vcpu(vm, v);
		return STI_LOST;
	}
	CHECK(regs.rip == (uint64_t)window_open_at, "RIP %#llx, want %p",
	      regs.rip, window_open_at);
	CHECK(!interrupt(v, 0x42), "KVM_INTERRUPT");
	run->request_interrupt_window = 0;
	CHECK(!gvcpu_run_sync(v, 2, &val), "SYNC 2");
	CHECK(val == (0x42 << 8 | 1), "handler count %lu vector %#lx", val & 0xff,
	      val >> 8);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 4950, "guest sum %lu", val);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* Run @once until it does not report the lost shadow (@what), STI_TRIES times at most. */
static int sti_tries(int (*once)(void), const char *what)
{
	int i, rc;

	for (i = 0; i < STI_TRIES; i++) {
		rc = once();
		if (rc != STI_LOST)
			return rc;
		ksft_diag("attempt %d: %s", i + 1, what);
	}
	CHECK(0, "%s in all %d attempts", what, STI_TRIES);
	return KSFT_FAIL;
}

static int t_irq_window(void)
{
	return sti_tries(irq_window_once, "window exit inside STI's shadow");
}

/*
 * Fill the 128-byte red zone below RSP, SYNC(1) with IF=1 (the host
 * injects an interrupt), then count the red-zone words still intact. The
 * library's IDT runs handlers on IST stacks, so all 16 must be.
 */
GUEST_CODE static void guest_red_zone(uint64_t a, uint64_t b)
{
	uint64_t intact;

	__asm__ volatile("mov $0x5a5a5a5a5a5a5a5a, %%rax\n"
			 "mov $16, %%rcx\n"
			 "1: mov %%rcx, %%rdx\n"
			 "neg %%rdx\n"
			 "mov %%rax, (%%rsp,%%rdx,8)\n"
			 "loop 1b\n"
			 "mov $" XSTR(UCALL_SYNC) ", %%edi\n"
			 "mov %%edi, %%eax\n"
			 "mov $1, %%esi\n"
			 "mov $" XSTR(UCALL_PORT) ", %%edx\n"
			 "sti\n"
			 "outl %%eax, %%dx\n"
			 "cli\n"
			 "xor %%ebx, %%ebx\n"
			 "mov $0x5a5a5a5a5a5a5a5a, %%rax\n"
			 "mov $16, %%rcx\n"
			 "2: mov %%rcx, %%rdx\n"
			 "neg %%rdx\n"
			 "cmp %%rax, (%%rsp,%%rdx,8)\n"
			 "jne 3f\n"
			 "inc %%ebx\n"
			 "3: loop 2b\n"
			 : "=b"(intact)
			 : : "rax", "rcx", "rdx", "rsi", "rdi", "memory", "cc");
	GUEST_SYNC(2, intact | IRQ_STATE() << 8);
}

static int t_red_zone_kept(void)
{
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_red_zone);
	uint64_t val;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(!interrupt(v, 0x45), "KVM_INTERRUPT");
	CHECK(!gvcpu_run_sync(v, 2, &val), "SYNC 2");
	CHECK(val >> 8 == (0x45 << 8 | 1), "handler count %lu vector %#lx",
	      (val >> 8) & 0xff, val >> 16);
	CHECK((val & 0xff) == 16, "%lu of 16 red-zone words intact", val & 0xff);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

GUEST_CODE static void guest_sti_out(uint64_t a, uint64_t b)
{
	__asm__ volatile("sti; outb %%al, $0x80; cli" : : "a"(0) : "memory");
	GUEST_SYNC(1, IRQ_STATE());
}

/*
 * An exit on the instruction right after STI: the STI shadow is in the
 * vCPU events and blocks injection (ready_for_interrupt_injection = 0).
 * (Stock KVM on AMD cannot tell STI from MOV SS shadows and reports both
 * bits; the STI bit is what must be there.) An OUT exit with no shadow is
 * the test machine's lost shadow (above STI_TRIES): run again.
 */

static int sti_shadow_once(void)
{
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_sti_out);
	struct kvm_vcpu_events ev;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "OUT exit");
	CHECK(!khv_ioctl(v->fd, KVM_GET_VCPU_EVENTS, (unsigned long)&ev),
	      "KVM_GET_VCPU_EVENTS");
	CHECK(ev.flags & KVM_VCPUEVENT_VALID_SHADOW, "flags %#x", ev.flags);
	if (!ev.interrupt.shadow) {
		put_vcpu(vm, v);
		return STI_LOST;
	}
	CHECK(ev.interrupt.shadow & KVM_X86_SHADOW_INT_STI, "shadow %#x",
	      ev.interrupt.shadow);
	CHECK(v->run->if_flag == 1 && v->run->ready_for_interrupt_injection == 0,
	      "if_flag %u ready %u", v->run->if_flag,
	      v->run->ready_for_interrupt_injection);
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static int t_sti_shadow(void)
{
	return sti_tries(sti_shadow_once, "no shadow at the OUT exit");
}

GUEST_CODE static void guest_nmi(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, nmi_count);
	GUEST_SYNC(2, nmi_count);
	GUEST_SYNC(3, nmi_count);
}

/* KVM_NMI is delivered on the next entry, IF=0 or not; IRETQ unblocks. */
static int t_nmi(void)
{
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_nmi);
	uint64_t val;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0, "SYNC 1, %lu NMIs", val);
	CHECK(!khv_ioctl(v->fd, KVM_NMI, 0), "KVM_NMI");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 1, "SYNC 2, %lu NMIs", val);
	CHECK(!khv_ioctl(v->fd, KVM_NMI, 0), "KVM_NMI");
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 2, "SYNC 3, %lu NMIs", val);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

extern const char hlt_next[];

GUEST_CODE static void guest_sti_hlt(uint64_t a, uint64_t b)
{
	__asm__ volatile("sti; hlt\nhlt_next:\n\tcli" : : : "memory");
	GUEST_SYNC(1, IRQ_STATE());
}

/* HLT exits to user space; an interrupt injected then runs the handler. */
static int t_interrupt_after_hlt(void)
{
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_sti_hlt);
	uint64_t val;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_HLT), "HLT");
	CHECK(v->run->ready_for_interrupt_injection == 1, "not ready");
	CHECK(!interrupt(v, 0x4f), "KVM_INTERRUPT");
	CHECK(!gvcpu_run_sync(v, 1, &val), "SYNC 1");
	CHECK(val == (0x4f << 8 | 1), "handler count %lu vector %#lx", val & 0xff,
	      val >> 8);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

extern const char guest_wait_irq_hlt[], guest_return[];

GUEST_CODE static void guest_after_wait(void)
{
	GUEST_SYNC(2, IRQ_STATE());
	GUEST_DONE();
	guest_halt_forever();
}

GUEST_CODE static void guest_sync_then_halt(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, 0);
	guest_halt_forever();
}

/*
 * guest_wait_irq()'s HLT reached with IF=1, no STI shadow and an interrupt
 * pending, the state the test machine's QEMU 7.2 leaves when it drops the
 * shadow at VMRUN: the interrupt comes with RIP on the HLT, and the
 * library's IDT stubs resume past it, so the wait returns (here to
 * guest_after_wait) instead of halting. Without that, the next exit is a
 * HLT.
 */
static int t_wait_irq_lost_shadow(void)
{
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_sync_then_halt);
	struct kvm_regs regs;
	uint64_t *stack, val;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	/* as if guest_after_wait() had called guest_wait_irq() */
	regs.rsp = (regs.rsp & ~0xfull) - 64;
	stack = gvm_hva(vm, regs.rsp);
	CHECK(stack, "stack at %#llx", (unsigned long long)regs.rsp);
	stack[0] = (uint64_t)guest_after_wait;
	stack[1] = (uint64_t)guest_return;
	regs.rip = (uint64_t)guest_wait_irq_hlt;
	regs.rflags |= 0x200;
	CHECK(!gvcpu_set_regs(v, &regs), "KVM_SET_REGS");
	CHECK(!interrupt(v, 0x41), "KVM_INTERRUPT");
	CHECK(!gvcpu_run_sync(v, 2, &val), "the wait did not return");
	CHECK(val == (0x41 << 8 | 1), "handler count %lu vector %#lx", val & 0xff,
	      val >> 8);
	CHECK(!gvcpu_run_done(v), "DONE");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

#define HLT_ROUNDS	20000

GUEST_CODE static void guest_hlt_rounds(uint64_t a, uint64_t b)
{
	uint64_t i, before, missed = 0;

	for (i = 0; i < HLT_ROUNDS; i++) {
		before = irq_count;
		guest_wait_irq();
		if (irq_count != before + 1)
			missed++;
	}
	GUEST_SYNC(1, missed << 32 | irq_count);
}

static struct kvm_run *volatile watchdog_run;

static void on_watchdog(int sig)
{
	if (watchdog_run)
		watchdog_run->immediate_exit = 1;
}

/*
 * Many HLT exits, each answered with KVM_INTERRUPT: every interrupt runs
 * the handler exactly once. (A khv bug delivered some a second time inside
 * their own handler, with IF=0; guests crashed or spun for ever: a
 * watchdog turns that into a failure.)
 */
static int t_hlt_inject_rounds(void)
{
	struct sigaction sa = { .sa_handler = on_watchdog };
	struct gvm *vm;
	struct gvcpu *v = irq_vcpu(&vm, guest_hlt_rounds);
	struct ucall uc;
	uint64_t n = 0;
	int r;

	CHECK(v, "VM/vCPU");
	watchdog_run = v->run;
	sigaction(SIGALRM, &sa, NULL);
	alarm(90);
	for (;;) {
		r = gvcpu_run(v);
		if (r == -EINTR)
			gvcpu_describe_exit(v, "watchdog: no HLT exit for 90 s");
		CHECK(!r, "KVM_RUN after %lu rounds: %d", n, r);
		if (v->run->exit_reason != KVM_EXIT_HLT)
			break;
		CHECK(v->run->ready_for_interrupt_injection == 1 &&
		      v->run->if_flag == 1, "round %lu: not ready", n);
		CHECK(!interrupt(v, 0x4e), "KVM_INTERRUPT");
		n++;
	}
	alarm(0);
	CHECK(ucall_get(v, &uc) == UCALL_SYNC && uc.args[0] == 1,
	      "round %lu: no SYNC", n);
	CHECK(n == HLT_ROUNDS && uc.args[1] == HLT_ROUNDS,
	      "%lu HLT exits, %lu interrupts handled, %lu rounds missed",
	      n, uc.args[1] & 0xffffffff, uc.args[1] >> 32);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

GUEST_CODE static void guest_first_sync(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, IRQ_STATE() | nmi_count << 16);
}

/*
 * An interrupt queued by KVM_INTERRUPT shows in KVM_GET_VCPU_EVENTS as
 * injected; put with KVM_SET_VCPU_EVENTS into another vCPU (a migration),
 * it is delivered there, like an NMI pending there.
 */
static int t_vcpu_events(void)
{
	struct gvm *vm;
	struct gvcpu *src = irq_vcpu(&vm, guest_first_sync), *dst;
	struct kvm_vcpu_events ev, back;
	struct kvm_regs regs;
	uint64_t val;

	CHECK(src, "VM/vCPU");
	dst = gvcpu_create_long(vm, 1, guest_first_sync, 0, 0);
	CHECK(dst, "second vCPU");
	CHECK(!khv_ioctl(src->fd, KVM_GET_VCPU_EVENTS, (unsigned long)&ev), "get");
	CHECK(!ev.interrupt.injected && !ev.nmi.pending && !ev.exception.injected,
	      "fresh vCPU has events");
	CHECK(!interrupt(src, 0x44), "KVM_INTERRUPT");
	CHECK(!khv_ioctl(src->fd, KVM_GET_VCPU_EVENTS, (unsigned long)&ev), "get");
	CHECK(ev.interrupt.injected == 1 && ev.interrupt.nr == 0x44 &&
	      !ev.interrupt.soft, "interrupt injected %u nr %#x soft %u",
	      ev.interrupt.injected, ev.interrupt.nr, ev.interrupt.soft);
	ev.nmi.pending = 1;
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	CHECK(!khv_ioctl(dst->fd, KVM_SET_VCPU_EVENTS, (unsigned long)&ev), "set");
	CHECK(!khv_ioctl(dst->fd, KVM_GET_VCPU_EVENTS, (unsigned long)&back), "get");
	CHECK(back.interrupt.injected == 1 && back.interrupt.nr == 0x44 &&
	      back.nmi.pending == 1, "round trip: injected %u nr %#x nmi %u",
	      back.interrupt.injected, back.interrupt.nr, back.nmi.pending);
	/*
	 * An external interrupt in delivery means IF was 1: VMX refuses the
	 * entry otherwise (invalid guest state; SVM injects it all the same).
	 */
	CHECK(!gvcpu_get_regs(dst, &regs), "KVM_GET_REGS");
	regs.rflags |= 1 << 9;
	CHECK(!gvcpu_set_regs(dst, &regs), "KVM_SET_REGS");
	CHECK(!gvcpu_run_sync(dst, 1, &val), "SYNC 1");
	CHECK(val == (1 << 16 | 0x44 << 8 | 1), "NMIs %lu, irqs %lu vector %#lx",
	      val >> 16, val & 0xff, (val >> 8) & 0xff);
	CHECK(!khv_ioctl(dst->fd, KVM_GET_VCPU_EVENTS, (unsigned long)&back), "get");
	CHECK(!back.interrupt.injected && !back.nmi.pending, "events left");
	gvcpu_destroy(dst);
	put_vcpu(vm, src);
	return KSFT_PASS;
}

/*
 * Without an in-kernel irqchip stock KVM reports RUNNABLE and accepts only
 * RUNNABLE (halting and INIT/SIPI are user space's business then).
 */
static int t_mp_state(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_mp_state mp;
	struct gvcpu *v;
	uint32_t s;

	SKIP_IF(!khv_cap(sys_fd, KVM_CAP_MP_STATE), "no KVM_CAP_MP_STATE");
	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	CHECK(!khv_ioctl(v->fd, KVM_GET_MP_STATE, (unsigned long)&mp), "get");
	CHECK(mp.mp_state == KVM_MP_STATE_RUNNABLE, "state %u", mp.mp_state);
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	CHECK(!khv_ioctl(v->fd, KVM_SET_MP_STATE, (unsigned long)&mp), "RUNNABLE");
	for (s = KVM_MP_STATE_UNINITIALIZED; s <= KVM_MP_STATE_SIPI_RECEIVED; s++) {
		mp.mp_state = s;
		CHECK(khv_ioctl(v->fd, KVM_SET_MP_STATE, (unsigned long)&mp) == -EINVAL,
		      "state %u accepted", s);
	}
	CHECK(!khv_ioctl(v->fd, KVM_GET_MP_STATE, (unsigned long)&mp) &&
	      mp.mp_state == KVM_MP_STATE_RUNNABLE, "state %u after", mp.mp_state);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "inject", t_inject },
	{ "hlt_inject_rounds", t_hlt_inject_rounds },
	{ "irq_window", t_irq_window },
	{ "sti_shadow", t_sti_shadow },
	{ "red_zone_kept", t_red_zone_kept },
	{ "nmi", t_nmi },
	{ "interrupt_after_hlt", t_interrupt_after_hlt },
	{ "wait_irq_lost_shadow", t_wait_irq_lost_shadow },
	{ "vcpu_events", t_vcpu_events },
	{ "mp_state", t_mp_state },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
