// SPDX-License-Identifier: GPL-2.0
/*
 * Leaving KVM_RUN: a signal to the vCPU thread makes it return -EINTR with
 * KVM_EXIT_INTR while the guest spins; KVM_SET_SIGNAL_MASK is the signal
 * mask in force while in KVM_RUN; kvm_run->immediate_exit returns -EINTR
 * without entering the guest, yet first completes a pending IN or OUT.
 * Every case arms alarm(): a KVM_RUN that never returns kills the test
 * instead of hanging it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

static int sys_fd;

#define CASE_TIMEOUT_S 20

static volatile sig_atomic_t usr1_count, usr2_count;

static void on_usr1(int sig)
{
	usr1_count++;
}

static void on_usr2(int sig)
{
	usr2_count++;
}

static volatile uint64_t spins;

GUEST_CODE static void guest_spin(uint64_t a, uint64_t b)
{
	for (;;)
		spins++;
}

/* A thread sending up to two signals to @target after delays. */
struct kicker {
	pthread_t target, thread;
	int sig[2];
	int delay_ms[2];
	volatile int sent;	/* signals sent so far; set before each send */
};

static void *kick(void *arg)
{
	struct kicker *k = arg;
	int i;

	for (i = 0; i < 2 && k->sig[i]; i++) {
		usleep(k->delay_ms[i] * 1000);
		k->sent = i + 1;
		pthread_kill(k->target, k->sig[i]);
	}
	return NULL;
}

static int start_kicker(struct kicker *k)
{
	k->target = pthread_self();
	k->sent = 0;
	return pthread_create(&k->thread, NULL, kick, k);
}

/* KVM_SET_SIGNAL_MASK with the kernel's 8-byte sigset; @clear: NULL. */
static int set_vcpu_sigmask(struct gvcpu *v, const int *sigs, int n, bool clear)
{
	struct {
		struct kvm_signal_mask m;
		uint8_t set[8];		/* right after len, at offset 4 */
	} mask = { .m.len = 8 };
	uint64_t set = 0;
	int i;

	for (i = 0; i < n; i++)
		set |= 1ull << (sigs[i] - 1);
	memcpy(mask.set, &set, 8);
	return (int)khv_ioctl(v->fd, KVM_SET_SIGNAL_MASK,
			      clear ? 0 : (unsigned long)&mask);
}

static struct gvcpu *spin_vcpu(struct gvm **vm)
{
	*vm = gvm_create(sys_fd, 0);
	return *vm ? gvcpu_create_long(*vm, 0, guest_spin, 0, 0) : NULL;
}

static void put_vcpu(struct gvm *vm, struct gvcpu *v)
{
	gvcpu_destroy(v);
	gvm_destroy(vm);
	alarm(0);
}

/* Every case starts so: handler counts zero, the watchdog armed. */
static void case_start(void)
{
	usr1_count = 0;
	usr2_count = 0;
	alarm(CASE_TIMEOUT_S);
}

/* SIGUSR1 (empty handler) while the guest spins: -EINTR, KVM_EXIT_INTR. */
static int t_signal_interrupts_run(void)
{
	struct kicker k = { .sig = { SIGUSR1 }, .delay_ms = { 100 } };
	struct gvm *vm;
	struct gvcpu *v;
	double t0;
	long r;

	case_start();
	v = spin_vcpu(&vm);
	CHECK(v, "VM/vCPU");
	CHECK(!start_kicker(&k), "pthread_create");
	t0 = ksft_mono_s();
	r = khv_ioctl(v->fd, KVM_RUN, 0);
	pthread_join(k.thread, NULL);
	CHECK(r == -EINTR, "KVM_RUN: %ld", r);
	CHECK(v->run->exit_reason == KVM_EXIT_INTR, "exit %s",
	      kvm_exit_name(v->run->exit_reason));
	CHECK(usr1_count == 1, "handler ran %d times", usr1_count);
	CHECK(*GVM_VAR(vm, spins) > 0, "the guest did not run");
	ksft_diag("KVM_RUN returned after %.0f ms", (ksft_mono_s() - t0) * 1000);
	/* and it runs on afterwards */
	k.sig[0] = SIGUSR1;
	CHECK(!start_kicker(&k), "pthread_create");
	r = khv_ioctl(v->fd, KVM_RUN, 0);
	pthread_join(k.thread, NULL);
	CHECK(r == -EINTR && usr1_count == 2, "second run: %ld, %d", r,
	      usr1_count);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/*
 * SIGUSR1 blocked by the vCPU's mask is left pending: the guest runs on
 * until SIGUSR2 (not blocked) arrives; back in user space the thread's own
 * mask applies again and the SIGUSR1 handler runs too.
 */
static int t_signal_mask_blocks(void)
{
	struct kicker k = { .sig = { SIGUSR1, SIGUSR2 },
			    .delay_ms = { 100, 300 } };
	int blocked[] = { SIGUSR1 };
	struct gvm *vm;
	struct gvcpu *v;
	long r;

	case_start();
	v = spin_vcpu(&vm);
	CHECK(v, "VM/vCPU");
	CHECK(!set_vcpu_sigmask(v, blocked, 1, false), "KVM_SET_SIGNAL_MASK");
	CHECK(!start_kicker(&k), "pthread_create");
	r = khv_ioctl(v->fd, KVM_RUN, 0);
	CHECK(r == -EINTR, "KVM_RUN: %ld", r);
	CHECK(k.sent == 2, "KVM_RUN returned after the blocked signal");
	pthread_join(k.thread, NULL);
	CHECK(usr1_count == 1 && usr2_count == 1, "handlers ran %d, %d times",
	      usr1_count, usr2_count);
	/* a NULL mask: nothing blocked in KVM_RUN beyond the thread's mask */
	CHECK(!set_vcpu_sigmask(v, NULL, 0, true), "clear the mask");
	k.sig[1] = 0;
	CHECK(!start_kicker(&k), "pthread_create");
	r = khv_ioctl(v->fd, KVM_RUN, 0);
	pthread_join(k.thread, NULL);
	CHECK(r == -EINTR && k.sent == 1 && usr1_count == 2,
	      "after clearing: %ld, sent %d, SIGUSR1 handled %d times", r, k.sent,
	      usr1_count);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/*
 * The vCPU mask replaces the thread's mask inside KVM_RUN: a signal the
 * thread blocks but the vCPU mask does not still ends KVM_RUN, and stays
 * pending (blocked again) once back in user space.
 */
static int t_signal_mask_replaces(void)
{
	struct kicker k = { .sig = { SIGUSR1 }, .delay_ms = { 100 } };
	sigset_t usr1, pending;
	struct gvm *vm;
	struct gvcpu *v;
	long r;

	case_start();
	v = spin_vcpu(&vm);
	CHECK(v, "VM/vCPU");
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK(!set_vcpu_sigmask(v, NULL, 0, false), "empty KVM_SET_SIGNAL_MASK");
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	CHECK(!start_kicker(&k), "pthread_create");
	r = khv_ioctl(v->fd, KVM_RUN, 0);
	pthread_join(k.thread, NULL);
	sigpending(&pending);
	pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
	CHECK(r == -EINTR, "KVM_RUN: %ld", r);
	CHECK(sigismember(&pending, SIGUSR1), "SIGUSR1 not pending after KVM_RUN");
	CHECK(usr1_count == 1, "handler ran %d times after unblocking",
	      usr1_count);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static int t_signal_mask_bad_len(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_signal_mask m = { .len = 4 };
	struct gvcpu *v;
	case_start();

	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	CHECK(khv_ioctl(v->fd, KVM_SET_SIGNAL_MASK, (unsigned long)&m) == -EINVAL,
	      "len 4 accepted");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

GUEST_CODE static void guest_sync_first(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, 0);
}

/*
 * immediate_exit = 1: -EINTR and the guest never ran. (Stock KVM leaves
 * exit_reason as it was here, not KVM_EXIT_INTR: not checked.)
 */
static int t_immediate_exit(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_regs before, after;
	struct gvcpu *v;
	long r;
	case_start();

	SKIP_IF(!khv_cap(sys_fd, KVM_CAP_IMMEDIATE_EXIT), "no KVM_CAP_IMMEDIATE_EXIT");
	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_sync_first, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_get_regs(v, &before), "KVM_GET_REGS");
	v->run->immediate_exit = 1;
	r = khv_ioctl(v->fd, KVM_RUN, 0);
	CHECK(r == -EINTR, "KVM_RUN: %ld", r);
	CHECK(!gvcpu_get_regs(v, &after), "KVM_GET_REGS");
	CHECK(!memcmp(&before, &after, sizeof(before)), "registers changed");
	v->run->immediate_exit = 0;
	CHECK(!gvcpu_run_sync(v, 1, NULL), "then it runs");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

extern const char imm_in[], imm_in_next[], imm_out_next[];

GUEST_CODE static void guest_in_out(uint64_t a, uint64_t b)
{
	uint64_t rax = 0x1234567800000000ull;

	__asm__ volatile("imm_in: inb $0xe0, %%al\nimm_in_next:" : "+a"(rax));
	__asm__ volatile("outb %%al, $0xe1\nimm_out_next:" : : "a"(0x99));
	GUEST_SYNC(1, rax);
}

/*
 * immediate_exit after an IN exit: KVM_RUN completes the IN (register
 * written, RIP past it) and returns -EINTR without running on. Same for
 * OUT (RIP past it). KVM's own selftests rely on this to finish I/O.
 */
static int t_immediate_exit_completes_io(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_regs regs;
	struct gvcpu *v;
	uint64_t val;
	case_start();

	SKIP_IF(!khv_cap(sys_fd, KVM_CAP_IMMEDIATE_EXIT), "no KVM_CAP_IMMEDIATE_EXIT");
	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_in_out, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "IN exit");
	CHECK(v->run->io.direction == KVM_EXIT_IO_IN, "not IN");
	*(uint8_t *)gvcpu_io_data(v) = 0x5a;
	v->run->immediate_exit = 1;
	CHECK(khv_ioctl(v->fd, KVM_RUN, 0) == -EINTR, "KVM_RUN not -EINTR");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rip == (uint64_t)imm_in_next, "RIP %#llx, IN at %p", regs.rip,
	      imm_in);
	CHECK(regs.rax == 0x123456780000005aull, "RAX %#llx", regs.rax);
	v->run->immediate_exit = 0;
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "OUT exit");
	CHECK(v->run->io.direction == KVM_EXIT_IO_OUT && v->run->io.port == 0xe1,
	      "not the OUT (IN done twice?)");
	v->run->immediate_exit = 1;
	CHECK(khv_ioctl(v->fd, KVM_RUN, 0) == -EINTR, "KVM_RUN not -EINTR");
	CHECK(!gvcpu_get_regs(v, &regs) && regs.rip == (uint64_t)imm_out_next,
	      "RIP %#llx after OUT", regs.rip);
	v->run->immediate_exit = 0;
	CHECK(!gvcpu_run_sync(v, 1, &val), "SYNC 1");
	CHECK(val == 0x123456780000005aull, "guest RAX %#lx", val);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "signal_interrupts_run", t_signal_interrupts_run },
	{ "signal_mask_blocks", t_signal_mask_blocks },
	{ "signal_mask_replaces_thread_mask", t_signal_mask_replaces },
	{ "signal_mask_bad_len", t_signal_mask_bad_len },
	{ "immediate_exit", t_immediate_exit },
	{ "immediate_exit_completes_io", t_immediate_exit_completes_io },
};

static void install(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;	/* no SA_RESTART: KVM_RUN must see EINTR */
	sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	install(SIGUSR1, on_usr1);
	install(SIGUSR2, on_usr2);
	return KSFT_RUN(cases);
}
