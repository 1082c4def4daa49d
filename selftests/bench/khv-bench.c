// SPDX-License-Identifier: GPL-2.0
/*
 * khv-bench: microbenchmarks of exits, timed from user space, the same on
 * stock KVM and on khv (make bench runs them in both lanes and compares).
 *
 *   khv-bench [--device PATH] [--seconds S] [WORKLOAD...]
 *
 * Workloads (default: all):
 *   cpuid        guest CPUID loop: an exit handled in the kernel   ns/exit
 *   pio_out      guest OUT loop: every exit goes to user space     ns/exit
 *   mmio_write   guest MOV to unbacked memory: decode + user space ns/exit
 *   irq_inject   guest STI;HLT loop: HLT exit, KVM_INTERRUPT, the
 *                guest's handler runs, HLT again                   ns/round trip
 *   first_touch  guest writes one byte per 4 KiB page of a fresh
 *                256 MiB memslot (nested page faults)              MiB/s
 *   floor        KHV_BENCH_VMRUN: bare VMRUN/#VMEXIT round trips
 *                in the kernel (khv only; elsewhere skipped)       ns/round trip
 *
 * and with the in-kernel irqchip and eventfds, no exit to user space in
 * the loop:
 *   ipi          vCPU 0 sends a fixed IPI through the xAPIC ICR to
 *                vCPU 1 (halted, STI;HLT), whose handler EOIs and
 *                sends one back; vCPU 0 spins (IF=1) for it. Each
 *                vCPU in its own thread, pinned to its own CPU     ns/round trip
 *   tsc_deadline the LAPIC timer in TSC-deadline mode: arm
 *                IA32_TSC_DEADLINE at now + 1 ms, HLT; the handler
 *                reads the TSC. Median of TSC - deadline           ns
 *   ioeventfd_mmio  guest MOV to an MMIO address with a KVM_IOEVENTFD ns/write
 *   ioeventfd_pio   guest OUT to a port with a KVM_IOEVENTFD          ns/write
 *   irqfd        a host thread writes an eventfd assigned with
 *                KVM_IRQFD to an MSI route; the halted guest's
 *                handler EOIs and OUTs to an ioeventfd the host
 *                thread waits on                                   ns/round trip
 *
 * and two floors of the test machine itself, without a VM, for the above:
 *   host_timer   a thread's clock_nanosleep() to now + 1 ms: the
 *                median overshoot (tsc_deadline's wakeup)          ns
 *   host_wake    two threads pinned to two CPUs pass an eventfd
 *                signal back and forth (ipi's, irqfd's hand-offs)  ns/round trip
 *
 * Each loop is first timed briefly, then run long enough to take about
 * --seconds (default 2). Results are lines "BENCH LANE WORKLOAD VALUE
 * UNIT" (LANE from $KHV_LANE), with TAP around them; exit status as
 * kselftest (0 pass, 1 fail, 4 skip). A workload whose hypervisor lacks a
 * capability it needs (KVM_CHECK_EXTENSION) is skipped and says "BENCH
 * LANE WORKLOAD n/a UNIT"; one whose interrupts or eventfd signals do not
 * all arrive fails, and reports no number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/khv.h>

#include "guest.h"
#include "apic.h"

#define BENCH_PORT		0x2000
#define BENCH_MMIO_GPA		0xd0000000ull
#define BENCH_VECTOR		0x40
#define TOUCH_GPA		(1ull << 30)
#define TOUCH_SIZE		(256ull << 20)
#define CALIBRATE_SECONDS	0.1
#define MAX_ITERATIONS		1000000000ull

/* the in-kernel irqchip and eventfd workloads */
#define VEC_PING		0x41	/* vCPU 0 -> vCPU 1 */
#define VEC_PONG		0x42	/* vCPU 1 -> vCPU 0 */
#define VEC_TIMER		0x43
#define VEC_IRQFD		0x44
#define IRQFD_GSI		40	/* an MSI route, beyond the IOAPIC's pins */
#define EVENT_PORT		0x2004	/* ioeventfds: no exit to user space */
#define EVENT_MMIO_GPA		0xd0001000ull
#define APIC_LVT_TSC_DEADLINE	(2u << 17)
#define MSR_TSC_DEADLINE	0x6e0
#define TIMER_DELTA_US		1000
#define TIMER_MAX_SAMPLES	8192
#define TSC_CALIBRATE_US	200000

static int sys_fd;
static double target_seconds = 2.0;
static unsigned int watchdog_seconds = 30;	/* for one guest loop */
static const char *lane;

/* Written by the host before each guest loop (the guest's copy). */
static volatile uint64_t bench_n;
static volatile uint64_t irq_hits;

/*
 * ipi and irqfd: the halted vCPU is up; the host or vCPU 0 says stop
 * before its last interrupt, whose handler (and only that one: it looks
 * before it answers) sets receiver_done.
 */
static volatile uint64_t receiver_up;
static volatile uint64_t bench_stop;
static volatile uint64_t receiver_done;
static volatile uint64_t ping_hits;	/* vCPU 1's handler */
static volatile uint64_t pong_hits;	/* vCPU 0's */

/* deliveries with IF=0 in their frame: see set_irq_handler() */
static volatile uint64_t redeliveries;

/* tsc_deadline: set by the host (delta) and the guest (the rest) */
static volatile uint64_t timer_delta;
static volatile uint64_t timer_deadline;
static volatile uint64_t timer_hits;
static volatile uint64_t timer_late_arms;
static volatile int64_t timer_lat[TIMER_MAX_SAMPLES];

static void report(const char *workload, double value, const char *unit,
		   uint64_t n, double secs)
{
	ksft_diag("%s: %llu iterations in %.3f s", workload,
		  (unsigned long long)n, secs);
	printf("BENCH %s %s %.1f %s\n", lane, workload, value, unit);
	fflush(stdout);
}

/* See set_irq_handler(). */
static void note_redeliveries(struct gvm *vm)
{
	uint64_t n = *GVM_VAR(vm, redeliveries);

	if (n)
		ksft_diag("%llu interrupts delivered a second time (IF=0 in the frame), "
			  "ignored", (unsigned long long)n);
}

/* A workload this hypervisor cannot run: why, and "n/a" for its row. */
static int __attribute__((format(printf, 3, 4)))
skip(const char *workload, const char *unit, const char *fmt, ...)
{
	va_list ap;

	printf("# SKIP reason: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nBENCH %s %s n/a %s\n", lane, workload, unit);
	fflush(stdout);
	return KSFT_SKIP;
}

/* Skip @workload unless the VM has capability @cap. */
#define NEED_CAP(vm, cap, workload, unit)				\
	do {								\
		if (khv_cap((vm)->fd, cap) <= 0)			\
			return skip(workload, unit, "no " #cap " on %s",	\
				    khv_dev_path());			\
	} while (0)

/* ------------------------------------------------------------------ */
/* Guest code                                                          */
/* ------------------------------------------------------------------ */

/* Each loop guest: SYNC 1, run bench_n iterations, SYNC 1 again, ... */

GUEST_CODE static void guest_cpuid(void)
{
	uint64_t i, n;

	for (;;) {
		GUEST_SYNC(1, 0);
		n = bench_n;
		for (i = 0; i < n; i++) {
			uint32_t a = 0, b, c = 0, d;

			__asm__ volatile("cpuid"
					 : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		}
	}
}

/* OUT to @port: an exit to user space, or an ioeventfd's signal */
GUEST_CODE static void guest_pio_out(uint64_t port)
{
	uint64_t i, n;

	for (;;) {
		GUEST_SYNC(1, 0);
		n = bench_n;
		for (i = 0; i < n; i++)
			__asm__ volatile("outb %%al, %%dx"
					 : : "a"(i), "d"(port));
	}
}

/* 32-bit MOV to @gpa (no memslot): likewise */
GUEST_CODE static void guest_mmio_write(uint64_t gpa)
{
	volatile uint32_t *reg = (volatile uint32_t *)gpa;
	uint64_t i, n;

	for (;;) {
		GUEST_SYNC(1, 0);
		n = bench_n;
		for (i = 0; i < n; i++)
			*reg = (uint32_t)i;
	}
}

GUEST_CODE static void on_bench_irq(struct guest_frame *f)
{
	irq_hits++;
}

/* STI's shadow covers the HLT: the interrupt comes only after its exit. */
GUEST_CODE static void guest_irq_inject(void)
{
	uint64_t start, n;

	for (;;) {
		GUEST_SYNC(1, 0);
		n = bench_n;
		start = irq_hits;
		while (irq_hits - start < n)
			guest_wait_irq();
	}
}

GUEST_CODE static void guest_first_touch(uint64_t base, uint64_t size)
{
	uint64_t p;

	GUEST_SYNC(1, 0);
	for (p = base; p < base + size; p += 4096)
		*(volatile uint8_t *)p = 1;
	GUEST_SYNC(2, 0);
}

/*
 * The floor's guest: runs its CPUID once (so its page is mapped), then
 * the host points RIP back at bench_floor_insn for KHV_BENCH_VMRUN.
 */
extern const char bench_floor_insn[];

GUEST_CODE static void guest_floor(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile(".globl bench_floor_insn\n"
			 "bench_floor_insn: cpuid"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	GUEST_SYNC(1, 0);
}

/*
 * The second delivery of one interrupt (below): IF=0 in the frame, which
 * a maskable interrupt never has. Counted; the handler then returns.
 */
GUEST_CODE static bool redelivered(struct guest_frame *f)
{
	if (f->rflags & (1u << 9))
		return false;
	redeliveries++;
	return true;
}

/* A fixed IPI, physical destination @apic_id */
GUEST_CODE static void send_ipi(uint32_t apic_id, uint32_t vector)
{
	apic_write(APIC_ICR2, apic_id << 24);
	apic_write(APIC_ICR, vector);
}

/* vCPU 1's: EOI the ping, answer with a pong to vCPU 0. */
GUEST_CODE static void on_ping(struct guest_frame *f)
{
	if (redelivered(f))
		return;
	ping_hits++;
	apic_write(APIC_EOI, 0);
	receiver_done = bench_stop;
	send_ipi(0, VEC_PONG);
}

GUEST_CODE static void on_pong(struct guest_frame *f)
{
	if (redelivered(f))
		return;
	pong_hits++;
	apic_write(APIC_EOI, 0);
}

/*
 * The halted side of ipi and irqfd: APIC on, then STI;HLT until the last
 * interrupt (an interrupt's handler does the work).
 */
GUEST_CODE static void guest_halt_loop(void)
{
	apic_write(APIC_SVR, 0x1ff);
	receiver_up = 1;
	while (!receiver_done)
		guest_wait_irq();
	GUEST_DONE();
}

/*
 * vCPU 0 of ipi: a ping to vCPU 1, then spin with interrupts on until its
 * pong has been handled (as Linux's smp_call_function_single() waits).
 * bench_n == 0 ends it: stop, and one more ping to wake vCPU 1 to see it.
 */
GUEST_CODE static void guest_ipi_sender(void)
{
	uint64_t i, n, seen;

	apic_write(APIC_SVR, 0x1ff);
	while (!receiver_up)
		__asm__ volatile("pause");
	for (;;) {
		GUEST_SYNC(1, 0);
		n = bench_n;
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			seen = pong_hits;
			send_ipi(1, VEC_PING);
			__asm__ volatile("sti" : : : "memory");
			while (pong_hits == seen)
				__asm__ volatile("pause");
			__asm__ volatile("cli" : : : "memory");
		}
	}
	bench_stop = 1;
	send_ipi(1, VEC_PING);		/* the last: vCPU 1 says DONE */
	GUEST_DONE();
}

GUEST_CODE static void on_timer(struct guest_frame *f)
{
	uint64_t now = guest_rdtsc(), i = timer_hits;

	if (redelivered(f))
		return;
	if (i < TIMER_MAX_SAMPLES)
		timer_lat[i] = (int64_t)(now - timer_deadline);
	timer_hits = i + 1;
	apic_write(APIC_EOI, 0);
}

/*
 * tsc_deadline: two TSC stamps for the host to time, the timer LVT in
 * TSC-deadline mode, then per loop bench_n deadlines at now + delta, each
 * waited for in HLT. A deadline already passed when the guest reaches HLT
 * is counted (timer_late_arms): its latency is not the wakeup's.
 */
GUEST_CODE static void guest_tsc_deadline(void)
{
	uint64_t i, n;

	GUEST_SYNC(2, guest_rdtsc());
	GUEST_SYNC(2, guest_rdtsc());
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, VEC_TIMER | APIC_LVT_TSC_DEADLINE);
	GUEST_ASSERT_EQ(apic_read(APIC_LVTT) & (3u << 17), APIC_LVT_TSC_DEADLINE);
	for (;;) {
		GUEST_SYNC(1, 0);
		n = bench_n;
		timer_hits = 0;
		timer_late_arms = 0;
		for (i = 0; i < n; i++) {
			timer_deadline = guest_rdtsc() + timer_delta;
			gmsr_write(MSR_TSC_DEADLINE, timer_deadline);
			if (guest_rdtsc() >= timer_deadline)
				timer_late_arms++;
			while (timer_hits == i)
				guest_wait_irq();
		}
	}
}

/* irqfd's handler: EOI, then signal the host through an ioeventfd. */
GUEST_CODE static void on_irqfd(struct guest_frame *f)
{
	if (redelivered(f))
		return;
	irq_hits++;
	apic_write(APIC_EOI, 0);
	receiver_done = bench_stop;
	outb(EVENT_PORT, 1);
}

/* ------------------------------------------------------------------ */
/* Host side                                                           */
/* ------------------------------------------------------------------ */

/*
 * An exit that is part of the workload: handle it and return 0 so the
 * vCPU runs again; -1 if it is not one.
 */
typedef int (*exit_fn)(struct gvcpu *v, uint64_t *count);

static int exit_pio(struct gvcpu *v, uint64_t *count)
{
	struct kvm_run *r = v->run;

	if (r->exit_reason != KVM_EXIT_IO || r->io.port != BENCH_PORT ||
	    r->io.direction != KVM_EXIT_IO_OUT)
		return -1;
	(*count)++;
	return 0;
}

static int exit_mmio(struct gvcpu *v, uint64_t *count)
{
	struct kvm_run *r = v->run;

	if (r->exit_reason != KVM_EXIT_MMIO || !r->mmio.is_write ||
	    r->mmio.phys_addr != BENCH_MMIO_GPA || r->mmio.len != 4)
		return -1;
	(*count)++;
	return 0;
}

static int exit_hlt(struct gvcpu *v, uint64_t *count)
{
	struct kvm_interrupt irq = { .irq = BENCH_VECTOR };
	struct kvm_run *r = v->run;

	if (r->exit_reason != KVM_EXIT_HLT || !r->if_flag ||
	    !r->ready_for_interrupt_injection)
		return -1;
	if (khv_ioctl(v->fd, KVM_INTERRUPT, (unsigned long)&irq))
		return -1;
	(*count)++;
	return 0;
}

/*
 * A guest loop that never ends (a lost interrupt, say) fails with a
 * description instead of hanging: SIGALRM sets immediate_exit, so KVM_RUN
 * returns EINTR even if the guest itself never exits.
 */
static struct gvcpu *watched;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	timed_out = 1;
	if (watched)
		watched->run->immediate_exit = 1;
}

static void watchdog(struct gvcpu *v, unsigned int seconds)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	timed_out = 0;
	watched = v;
	if (v)
		v->run->immediate_exit = 0;
	alarm(seconds);
}

static void timed_out_diag(struct gvcpu *v, uint64_t count)
{
	struct kvm_regs regs = { 0 };

	gvcpu_get_regs(v, &regs);
	ksft_diag("no SYNC after %u s: %llu workload exits, guest irq_hits %llu, "
		  "pings %llu, pongs %llu, timer_hits %llu, last exit %s, rip %#llx, "
		  "rflags %#llx",
		  watchdog_seconds, (unsigned long long)count,
		  (unsigned long long)*GVM_VAR(v->vm, irq_hits),
		  (unsigned long long)*GVM_VAR(v->vm, ping_hits),
		  (unsigned long long)*GVM_VAR(v->vm, pong_hits),
		  (unsigned long long)*GVM_VAR(v->vm, timer_hits),
		  kvm_exit_name(v->run->exit_reason),
		  (unsigned long long)regs.rip, (unsigned long long)regs.rflags);
}

/* Run until the guest's SYNC @stage; other exits go to @fn. */
static int run_to_sync(struct gvcpu *v, uint64_t stage, exit_fn fn,
		       uint64_t *count)
{
	uint64_t none = 0;
	struct ucall uc;
	int r;

	if (!count)
		count = &none;
	watchdog(v, watchdog_seconds);
	for (;;) {
		r = gvcpu_run(v);
		if (r == -EINTR && timed_out) {
			timed_out_diag(v, *count);
			watchdog(NULL, 0);
			return -1;
		}
		if (r) {
			ksft_diag("KVM_RUN: %s", strerror(-r));
			watchdog(NULL, 0);
			return -1;
		}
		if (ucall_get(v, &uc) == UCALL_SYNC && uc.args[0] == stage) {
			watchdog(NULL, 0);
			return 0;
		}
		if (!fn || fn(v, count)) {
			gvcpu_describe_exit(v, "unexpected exit");
			watchdog(NULL, 0);
			return -1;
		}
	}
}

/*
 * A timed guest loop. The hooks are optional; each returns 0 on success
 * (setup may return KSFT_SKIP after skip()), anything else fails the
 * workload with a diagnostic.
 */
struct loop {
	const char *name;
	const char *unit;
	const void *guest;
	uint64_t arg;		/* the guest function's argument */
	exit_fn fn;
	bool counted;		/* every iteration is one exit @fn sees */
	bool irq;
	uint64_t max_n;		/* most iterations per loop (0: no limit) */
	/* before vCPU 0 is created: capabilities, irqchip, eventfds */
	int (*setup)(struct gvm *vm);
	/* vCPU 0 created, before its first SYNC: other vCPUs, calibration */
	int (*start)(struct gvm *vm, struct gvcpu *v);
	/* after each timed loop of @n iterations: did everything arrive? */
	int (*check)(struct gvm *vm, uint64_t n);
	/* the reported value (default: ns per iteration) */
	double (*value)(struct gvm *vm, uint64_t n, double secs);
	/* last, whatever happened (@ok: the workload passed so far) */
	int (*stop)(struct gvm *vm, struct gvcpu *v, bool ok);
};

/* One guest loop of @n iterations: seconds, or < 0 on error. */
static double time_loop(struct gvm *vm, struct gvcpu *v,
			const struct loop *l, uint64_t n)
{
	uint64_t count = 0;
	double t0, secs;

	*GVM_VAR(vm, bench_n) = n;
	t0 = ksft_mono_s();
	if (run_to_sync(v, 1, l->fn, &count))
		return -1;
	secs = ksft_mono_s() - t0;
	if (l->counted && count != n) {
		ksft_diag("%s: %llu exits for %llu iterations", l->name,
			  (unsigned long long)count, (unsigned long long)n);
		return -1;
	}
	if (l->check && l->check(vm, n))
		return -1;
	return secs;
}

/* Iterations that take about @seconds, given @n took @secs; at most @max. */
static uint64_t scale(uint64_t n, double secs, double seconds, uint64_t max)
{
	double want = secs > 0 ? n * seconds / secs : n * 10.0;

	if (want < 100)
		return 100 < max ? 100 : max;
	if (want > max)
		return max;
	return (uint64_t)want;
}

/*
 * Exits per iteration, from each watched vCPU's statistics
 * (KVM_GET_STATS_FD, the counter "exits", which stock KVM and khv both
 * have) around the last timed loop: what a loop costs in world switches,
 * printed with its result.
 */
#define MAX_WATCHED 2

static struct {
	int fd;
	off_t off;
	uint64_t before, delta;
} watched_exits[MAX_WATCHED];
static int nwatched;

/* Where counter @name's value is in stats file @fd, or -1. */
static off_t stat_offset(int fd, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	off_t off = -1;
	size_t size;
	uint32_t i;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	size = sizeof(*d) + h.name_size;
	d = calloc(1, size + 1);
	for (i = 0; d && i < h.num_desc; i++) {
		if (pread(fd, d, size, h.desc_offset + i * size) != (ssize_t)size)
			break;
		if (!strcmp(d->name, name)) {
			off = h.data_offset + d->offset;
			break;
		}
	}
	free(d);
	return off;
}

static void watch_exits(struct gvcpu *v)
{
	int fd = (int)khv_ioctl(v->fd, KVM_GET_STATS_FD, 0);
	off_t off = fd >= 0 ? stat_offset(fd, "exits") : -1;

	if (nwatched == MAX_WATCHED || off < 0) {
		ksft_diag("vCPU %d: no exits statistic", v->id);
		if (fd >= 0)
			close(fd);
		return;
	}
	watched_exits[nwatched].fd = fd;
	watched_exits[nwatched].off = off;
	nwatched++;
}

static uint64_t read_exits(int i)
{
	uint64_t val = 0;

	if (pread(watched_exits[i].fd, &val, sizeof(val), watched_exits[i].off) !=
	    sizeof(val))
		return 0;
	return val;
}

static void exits_mark(void)
{
	int i;

	for (i = 0; i < nwatched; i++)
		watched_exits[i].before = read_exits(i);
}

static void exits_take(void)
{
	int i;

	for (i = 0; i < nwatched; i++)
		watched_exits[i].delta = read_exits(i) - watched_exits[i].before;
}

static void note_exits(const char *workload, uint64_t n)
{
	char buf[128];
	int i, len = 0;

	for (i = 0; i < nwatched; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s vCPU %d %.2f",
				i ? "," : "", i, (double)watched_exits[i].delta / n);
	if (nwatched)
		ksft_diag("%s: exits per iteration:%s", workload, buf);
}

static void unwatch_exits(void)
{
	while (nwatched > 0)
		close(watched_exits[--nwatched].fd);
}

/* Something timed @n times: seconds, or < 0 on error. */
typedef double (*timed_fn)(void *ctx, uint64_t n);

/*
 * Warm up, grow @n until one run takes a measurable time, then time a run
 * sized to take about --seconds: 0 with its size and time, or -1.
 */
static int measure(timed_fn fn, void *ctx, uint64_t max, uint64_t *n_out,
		   double *secs_out)
{
	uint64_t n = 100 < max ? 100 : max;
	double secs;

	for (;;) {
		secs = fn(ctx, n);
		if (secs < 0)
			return -1;
		if (secs >= CALIBRATE_SECONDS || n >= max)
			break;
		n = scale(n, secs, CALIBRATE_SECONDS * 2, max);
	}
	n = scale(n, secs, target_seconds, max);
	exits_mark();
	secs = fn(ctx, n);
	exits_take();
	if (secs < 0)
		return -1;
	*n_out = n;
	*secs_out = secs;
	return 0;
}

struct loop_run {
	const struct loop *l;
	struct gvm *vm;
	struct gvcpu *v;
};

static double loop_once(void *ctx, uint64_t n)
{
	struct loop_run *lr = ctx;

	return time_loop(lr->vm, lr->v, lr->l, n);
}

static int run_loop(const struct loop *l)
{
	struct loop_run lr = { .l = l, .vm = gvm_create(sys_fd, 0) };
	struct gvcpu *v = NULL;
	double secs, value;
	int ret = KSFT_FAIL;
	uint64_t n;

	CHECK(lr.vm, "VM");
	if (l->irq && gvm_set_handler(lr.vm, BENCH_VECTOR, on_bench_irq))
		goto out;
	if (l->setup) {
		ret = l->setup(lr.vm);
		if (ret != KSFT_PASS)
			goto out;
		ret = KSFT_FAIL;
	}
	v = gvcpu_create_long(lr.vm, 0, l->guest, l->arg, 0);
	lr.v = v;
	if (!v)
		goto out;
	watch_exits(v);
	if ((l->start && l->start(lr.vm, v)) || run_to_sync(v, 1, NULL, NULL))
		goto out;
	if (measure(loop_once, &lr, l->max_n ? l->max_n : MAX_ITERATIONS,
		    &n, &secs))
		goto out;
	value = l->value ? l->value(lr.vm, n, secs) : secs * 1e9 / n;
	if (value != value)	/* NaN: no value, said why */
		goto out;
	note_redeliveries(lr.vm);
	note_exits(l->name, n);
	report(l->name, value, l->unit, n, secs);
	ret = KSFT_PASS;
out:
	if (l->stop && ret != KSFT_SKIP && l->stop(lr.vm, v, ret == KSFT_PASS))
		ret = KSFT_FAIL;
	unwatch_exits();
	gvcpu_destroy(v);
	gvm_destroy(lr.vm);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Other vCPU threads: ipi's vCPU 1, irqfd's vCPU                     */
/* ------------------------------------------------------------------ */

/*
 * The two sides of a cross-vCPU workload run on the test machine's two
 * CPUs, pinned, so that neither waits for the other's time slice. Without
 * a second CPU they share one.
 */
static cpu_set_t main_cpus;
static bool main_pinned;

static void pin_self(int cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) || !CPU_ISSET(cpu, &set) ||
	    CPU_COUNT(&set) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		ksft_diag("pinning to CPU %d: %s", cpu, strerror(errno));
}

static void pin_main(int cpu)
{
	if (!main_pinned && !sched_getaffinity(0, sizeof(main_cpus), &main_cpus)) {
		main_pinned = true;
		pin_self(cpu);
	}
}

static void unpin_main(void)
{
	if (main_pinned)
		sched_setaffinity(0, sizeof(main_cpus), &main_cpus);
	main_pinned = false;
}

struct vcpu_thread {
	struct gvcpu *v;
	pthread_t th;
	int cpu;
	int result;		/* 0: the guest said DONE */
	bool running;
};

static void on_stop_signal(int sig)
{
}

static void *vcpu_thread_main(void *p)
{
	struct vcpu_thread *t = p;
	sigset_t set;

	/* the watchdog's SIGALRM is for the main thread's vCPU */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pin_self(t->cpu);
	t->result = gvcpu_run_done(t->v);
	return NULL;
}

/* Run @v to its DONE in a thread on CPU @cpu. */
static int vcpu_thread_start(struct vcpu_thread *t, struct gvcpu *v, int cpu)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART */
	t->v = v;
	t->cpu = cpu;
	t->result = -1;
	if (pthread_create(&t->th, NULL, vcpu_thread_main, t)) {
		ksft_diag("pthread_create failed");
		return -1;
	}
	t->running = true;
	return 0;
}

/* The highest vector set in a struct kvm_lapic_state register (IRR, ISR), or -1. */
static int lapic_highest(const struct kvm_lapic_state *l, unsigned int reg)
{
	int i;

	for (i = 255; i >= 0; i--) {
		uint32_t w;

		memcpy(&w, l->regs + reg + (i / 32) * 0x10, sizeof(w));
		if (w & (1u << (i % 32)))
			return i;
	}
	return -1;
}

/*
 * Where a guest that never said DONE stands, once its KVM_RUN has
 * returned: registers, pending events, MP state, the LAPIC's highest
 * requested and in-service vectors, and the guest's own counters.
 */
static void describe_stuck(struct gvcpu *v)
{
	struct kvm_vcpu_events ev = { 0 };
	struct kvm_mp_state mp = { 0 };
	struct kvm_lapic_state l;
	struct kvm_regs regs = { 0 };
	int irr = -2, isr = -2;

	gvcpu_get_regs(v, &regs);
	khv_ioctl(v->fd, KVM_GET_VCPU_EVENTS, (unsigned long)&ev);
	khv_ioctl(v->fd, KVM_GET_MP_STATE, (unsigned long)&mp);
	if (!khv_ioctl(v->fd, KVM_GET_LAPIC, (unsigned long)&l)) {
		irr = lapic_highest(&l, 0x200);
		isr = lapic_highest(&l, 0x100);
	}
	ksft_diag("vCPU %d: rip %#llx rflags %#llx, mp_state %u, irq injected %u nr %#x "
		  "shadow %u, nmi pending %u; LAPIC IRR %d ISR %d; guest irq_hits %llu "
		  "receiver_done %llu redeliveries %llu", v->id,
		  (unsigned long long)regs.rip, (unsigned long long)regs.rflags,
		  mp.mp_state, ev.interrupt.injected, ev.interrupt.nr,
		  ev.interrupt.shadow, ev.nmi.pending, irr, isr,
		  (unsigned long long)*GVM_VAR(v->vm, irq_hits),
		  (unsigned long long)*GVM_VAR(v->vm, receiver_done),
		  (unsigned long long)*GVM_VAR(v->vm, redeliveries));
}

/*
 * Wait for the thread's guest to say DONE (@force: end its KVM_RUN now,
 * with immediate_exit and a signal). 0 if it did; if it did not in the
 * watchdog's time, where it stands is printed.
 */
static int vcpu_thread_stop(struct vcpu_thread *t, bool force)
{
	struct timespec until;

	if (!t->running)
		return 0;
	t->running = false;
	if (!force) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += watchdog_seconds;
		if (!pthread_timedjoin_np(t->th, NULL, &until))
			return t->result ? -1 : 0;
		ksft_diag("vCPU %d: no DONE after %u s", t->v->id, watchdog_seconds);
	}
	t->v->run->immediate_exit = 1;
	pthread_kill(t->th, SIGUSR1);
	pthread_join(t->th, NULL);
	if (!force)
		describe_stuck(t->v);
	return -1;
}

/*
 * The handlers of ipi, tsc_deadline and irqfd. Stock KVM injects these
 * interrupts through EVENTINJ, which the test machine's TCG sometimes
 * delivers a second time, at the first instruction of the handler's stub
 * with IF=0 (Documentation/qemu-libvirt.md, "Bugs these tests found").
 * On the IST stack that second frame would overwrite the first, and the
 * guest would loop in the handler for good; on the interrupted code's
 * stack (khv-bench is built with -mno-red-zone) it is a frame of its own,
 * which the handler recognizes and returns from, and the first delivery
 * goes on. Their number is printed with the result.
 */
static int set_irq_handler(struct gvm *vm, int vector, guest_handler_t fn)
{
	if (gvm_set_handler(vm, vector, fn) || gvm_set_gate_stack(vm, vector, false)) {
		ksft_diag("handler for vector %#x", vector);
		return -1;
	}
	return 0;
}

static int need_irqchip(struct gvm *vm, const char *workload, const char *unit)
{
	NEED_CAP(vm, KVM_CAP_IRQCHIP, workload, unit);
	if (khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		ksft_diag("KVM_CREATE_IRQCHIP failed");
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

/* ipi: vCPU 0 is the timed loop, vCPU 1 halts in its thread. */
static struct vcpu_thread ipi_rx;
static uint64_t ipi_total;

static int ipi_setup(struct gvm *vm)
{
	int r = need_irqchip(vm, "ipi", "ns/ipi");

	if (r != KSFT_PASS)
		return r;
	if (set_irq_handler(vm, VEC_PING, on_ping) ||
	    set_irq_handler(vm, VEC_PONG, on_pong))
		return KSFT_FAIL;
	ipi_total = 0;
	return KSFT_PASS;
}

static int ipi_start(struct gvm *vm, struct gvcpu *v)
{
	struct gvcpu *rx = gvcpu_create_long(vm, 1, guest_halt_loop, 0, 0);

	if (!rx)
		return -1;
	watch_exits(rx);
	pin_main(0);
	if (vcpu_thread_start(&ipi_rx, rx, 1)) {
		gvcpu_destroy(rx);
		return -1;
	}
	return 0;
}

static int ipi_check(struct gvm *vm, uint64_t n)
{
	uint64_t pings = *GVM_VAR(vm, ping_hits), pongs = *GVM_VAR(vm, pong_hits);

	ipi_total += n;
	if (pings == ipi_total && pongs == ipi_total)
		return 0;
	ksft_diag("ipi: %llu round trips, but vCPU 1 took %llu pings and vCPU 0 "
		  "%llu pongs", (unsigned long long)ipi_total,
		  (unsigned long long)pings, (unsigned long long)pongs);
	return -1;
}

static int ipi_stop(struct gvm *vm, struct gvcpu *v, bool ok)
{
	struct gvcpu *rx = ipi_rx.v;
	int r = 0;

	if (ok) {
		/* vCPU 0 stops vCPU 1, then says DONE */
		*GVM_VAR(vm, bench_n) = 0;
		r = gvcpu_run_done(v);
	}
	if (vcpu_thread_stop(&ipi_rx, !ok || r))
		r = -1;
	unpin_main();
	gvcpu_destroy(rx);
	ipi_rx.v = NULL;
	return r;
}

/*
 * tsc_deadline. The guest's TSC runs at KVM_GET_TSC_KHZ where the
 * hypervisor answers it; else at the rate timed here: two guest TSC stamps
 * TSC_CALIBRATE_US apart against CLOCK_MONOTONIC (each taken at an exit to
 * user space, whose own cost cancels out). Both are printed.
 */
static double tsc_khz;

static int timer_setup(struct gvm *vm)
{
	struct kvm_cpuid_entry2 *e = cpuid_entry(vm->cpuid, 1, 0);
	int r;

	NEED_CAP(vm, KVM_CAP_TSC_DEADLINE_TIMER, "tsc_deadline", "ns");
	r = need_irqchip(vm, "tsc_deadline", "ns");
	if (r != KSFT_PASS)
		return r;
	if (!e || set_irq_handler(vm, VEC_TIMER, on_timer))
		return KSFT_FAIL;
	/* not in KVM_GET_SUPPORTED_CPUID: a VMM sets it when the cap is 1 */
	e->ecx |= 1u << 24;
	return KSFT_PASS;
}

static int timer_start(struct gvm *vm, struct gvcpu *v)
{
	long khz = khv_ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	uint64_t tsc0, tsc1;
	double t0, t1, timed;

	if (gvcpu_run_sync(v, 2, &tsc0))
		return -1;
	t0 = ksft_mono_s();
	usleep(TSC_CALIBRATE_US);
	if (gvcpu_run_sync(v, 2, &tsc1))
		return -1;
	t1 = ksft_mono_s();
	timed = (tsc1 - tsc0) / ((t1 - t0) * 1e3);
	if (khz > 0) {
		tsc_khz = khz;
		ksft_diag("guest TSC: %ld kHz (KVM_GET_TSC_KHZ), timed %.0f kHz",
			  khz, timed);
	} else {
		tsc_khz = timed;
		ksft_diag("guest TSC: %.0f kHz, timed (KVM_GET_TSC_KHZ: %s)",
			  timed, strerror((int)-khz));
	}
	if (tsc_khz < 1000) {
		ksft_diag("guest TSC rate %.0f kHz: not running?", tsc_khz);
		return -1;
	}
	*GVM_VAR(vm, timer_delta) = (uint64_t)(TIMER_DELTA_US * tsc_khz / 1e3);
	return 0;
}

static int timer_check(struct gvm *vm, uint64_t n)
{
	uint64_t hits = *GVM_VAR(vm, timer_hits);

	if (hits == n)
		return 0;
	ksft_diag("tsc_deadline: %llu timer interrupts for %llu deadlines",
		  (unsigned long long)hits, (unsigned long long)n);
	return -1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Sort @n samples of @ns_per_unit ns each, say their spread: the median. */
static double spread(const char *what, int64_t *lat, uint64_t n,
		     double ns_per_unit)
{
	double med;

	qsort(lat, n, sizeof(*lat), cmp_i64);
	med = n % 2 ? lat[n / 2] : (lat[n / 2 - 1] + lat[n / 2]) / 2.0;
	ksft_diag("%s: %llu samples, %d us ahead: latency min %.0f, median %.0f, "
		  "90th %.0f, max %.0f ns", what, (unsigned long long)n,
		  TIMER_DELTA_US, lat[0] * ns_per_unit, med * ns_per_unit,
		  lat[n * 9 / 10] * ns_per_unit, lat[n - 1] * ns_per_unit);
	return med * ns_per_unit;
}

/* The median latency of the last loop's @n deadlines, in ns. */
static double timer_value(struct gvm *vm, uint64_t n, double secs)
{
	int64_t *lat = malloc(n * sizeof(*lat));
	uint64_t late = *GVM_VAR(vm, timer_late_arms), i, early = 0;
	double med;

	if (!lat)
		return NAN;
	memcpy(lat, (const void *)GVM_VAR(vm, timer_lat), n * sizeof(*lat));
	for (i = 0; i < n; i++)
		early += lat[i] < 0;
	med = spread("tsc_deadline", lat, n, 1e6 / tsc_khz);
	ksft_diag("tsc_deadline: %llu interrupts before the deadline, %llu deadlines "
		  "armed too late to halt first", (unsigned long long)early,
		  (unsigned long long)late);
	free(lat);
	return med;
}

/* ioeventfd_*: the guest's writes signal it, none exits to user space. */
static int event_fd = -1;
static uint64_t event_total;

static int event_setup(struct gvm *vm, const char *workload, uint64_t addr,
		       uint32_t len, uint32_t flags)
{
	struct kvm_ioeventfd a = { .addr = addr, .len = len, .flags = flags };

	NEED_CAP(vm, KVM_CAP_IOEVENTFD, workload, "ns/write");
	event_fd = eventfd(0, EFD_NONBLOCK);
	event_total = 0;
	a.fd = event_fd;
	if (event_fd < 0 || khv_ioctl(vm->fd, KVM_IOEVENTFD, (unsigned long)&a)) {
		ksft_diag("%s: eventfd or KVM_IOEVENTFD failed", workload);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int event_setup_mmio(struct gvm *vm)
{
	return event_setup(vm, "ioeventfd_mmio", EVENT_MMIO_GPA, 4, 0);
}

static int event_setup_pio(struct gvm *vm)
{
	return event_setup(vm, "ioeventfd_pio", EVENT_PORT, 1,
			   KVM_IOEVENTFD_FLAG_PIO);
}

/* The eventfd's count, read and cleared (0 when not signalled). */
static uint64_t drain(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static int event_check(struct gvm *vm, uint64_t n)
{
	uint64_t got = drain(event_fd);

	if (got == n)
		return 0;
	ksft_diag("ioeventfd signalled %llu times for %llu guest writes",
		  (unsigned long long)got, (unsigned long long)n);
	return -1;
}

static int event_stop(struct gvm *vm, struct gvcpu *v, bool ok)
{
	if (event_fd >= 0)
		close(event_fd);
	event_fd = -1;
	return 0;
}

static const struct loop loop_cpuid = {
	.name = "cpuid", .unit = "ns/exit", .guest = guest_cpuid,
};
static const struct loop loop_pio = {
	.name = "pio_out", .unit = "ns/exit", .guest = guest_pio_out,
	.arg = BENCH_PORT, .fn = exit_pio, .counted = true,
};
static const struct loop loop_mmio = {
	.name = "mmio_write", .unit = "ns/exit", .guest = guest_mmio_write,
	.arg = BENCH_MMIO_GPA, .fn = exit_mmio, .counted = true,
};
static const struct loop loop_irq = {
	.name = "irq_inject", .unit = "ns/irq", .guest = guest_irq_inject,
	.fn = exit_hlt, .counted = true, .irq = true,
};
static const struct loop loop_ipi = {
	.name = "ipi", .unit = "ns/ipi", .guest = guest_ipi_sender,
	.setup = ipi_setup, .start = ipi_start, .check = ipi_check,
	.stop = ipi_stop,
};
static const struct loop loop_timer = {
	.name = "tsc_deadline", .unit = "ns", .guest = guest_tsc_deadline,
	.max_n = TIMER_MAX_SAMPLES, .setup = timer_setup, .start = timer_start,
	.check = timer_check, .value = timer_value,
};
static const struct loop loop_event_mmio = {
	.name = "ioeventfd_mmio", .unit = "ns/write", .guest = guest_mmio_write,
	.arg = EVENT_MMIO_GPA, .setup = event_setup_mmio, .check = event_check,
	.stop = event_stop,
};
static const struct loop loop_event_pio = {
	.name = "ioeventfd_pio", .unit = "ns/write", .guest = guest_pio_out,
	.arg = EVENT_PORT, .setup = event_setup_pio, .check = event_check,
	.stop = event_stop,
};

static int b_cpuid(void) { return run_loop(&loop_cpuid); }
static int b_pio_out(void) { return run_loop(&loop_pio); }
static int b_mmio_write(void) { return run_loop(&loop_mmio); }
static int b_irq_inject(void) { return run_loop(&loop_irq); }
static int b_ipi(void) { return run_loop(&loop_ipi); }
static int b_tsc_deadline(void) { return run_loop(&loop_timer); }
static int b_ioeventfd_mmio(void) { return run_loop(&loop_event_mmio); }
static int b_ioeventfd_pio(void) { return run_loop(&loop_event_pio); }

/*
 * irqfd: the host side is the loop. Each round trip: write the irqfd's
 * eventfd, then wait (poll) for the ioeventfd's, which the guest's handler
 * signals. The vCPU halts in its own thread.
 */
struct irqfd_run {
	struct gvm *vm;
	int irq_fd;		/* KVM_IRQFD on IRQFD_GSI */
	int ack_fd;		/* KVM_IOEVENTFD on EVENT_PORT */
	uint64_t total;
};

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		ksft_diag("eventfd write: %s", strerror(errno));
}

/* Wait for a signal on @fd (EFD_NONBLOCK): its count, 0 after the watchdog's time. */
static uint64_t wait_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, watchdog_seconds * 1000) != 1)
		return 0;
	return drain(fd);
}

/* Signal the irqfd, wait for the guest's answer: 0 or -1. */
static int irqfd_round_trip(struct irqfd_run *r)
{
	uint64_t got;

	signal_fd(r->irq_fd);
	got = wait_fd(r->ack_fd);
	if (!got) {
		ksft_diag("irqfd: no answer from the guest after %u s "
			  "(%llu round trips done, guest irq_hits %llu)",
			  watchdog_seconds, (unsigned long long)r->total,
			  (unsigned long long)*GVM_VAR(r->vm, irq_hits));
		return -1;
	}
	r->total++;
	if (got != 1) {
		ksft_diag("irqfd: the ioeventfd counted %llu for one interrupt",
			  (unsigned long long)got);
		return -1;
	}
	return 0;
}

static double irqfd_once(void *ctx, uint64_t n)
{
	struct irqfd_run *r = ctx;
	uint64_t i, hits;
	double t0 = ksft_mono_s(), secs;

	for (i = 0; i < n; i++)
		if (irqfd_round_trip(r))
			return -1;
	secs = ksft_mono_s() - t0;
	hits = *GVM_VAR(r->vm, irq_hits);
	if (hits != r->total) {
		ksft_diag("irqfd: %llu round trips, %llu guest interrupts",
			  (unsigned long long)r->total, (unsigned long long)hits);
		return -1;
	}
	return secs;
}

static int irqfd_assign(struct irqfd_run *r)
{
	struct kvm_irqfd irqfd = { .gsi = IRQFD_GSI };
	struct kvm_ioeventfd io = { .addr = EVENT_PORT, .len = 1,
				    .flags = KVM_IOEVENTFD_FLAG_PIO };

	r->irq_fd = eventfd(0, EFD_NONBLOCK);
	r->ack_fd = eventfd(0, EFD_NONBLOCK);
	irqfd.fd = r->irq_fd;
	io.fd = r->ack_fd;
	if (r->irq_fd < 0 || r->ack_fd < 0 ||
	    /* APIC 0, fixed */
	    gvm_set_msi_route(r->vm, IRQFD_GSI, APIC_BASE, VEC_IRQFD) ||
	    khv_ioctl(r->vm->fd, KVM_IRQFD, (unsigned long)&irqfd) ||
	    khv_ioctl(r->vm->fd, KVM_IOEVENTFD, (unsigned long)&io)) {
		ksft_diag("irqfd: eventfds, MSI route, KVM_IRQFD or KVM_IOEVENTFD failed");
		return -1;
	}
	return 0;
}

/* Wait until the guest has its APIC on (an MSI before that is lost). */
static int wait_receiver(struct gvm *vm)
{
	double until = ksft_mono_s() + watchdog_seconds;

	while (!*GVM_VAR(vm, receiver_up)) {
		if (ksft_mono_s() > until) {
			ksft_diag("the halting vCPU did not start in %u s",
				  watchdog_seconds);
			return -1;
		}
		usleep(1000);
	}
	return 0;
}

static int b_irqfd(void)
{
	struct irqfd_run r = { .vm = gvm_create(sys_fd, 0), .irq_fd = -1, .ack_fd = -1 };
	struct vcpu_thread th = { 0 };
	struct gvcpu *v = NULL;
	int ret = KSFT_FAIL;
	uint64_t n;
	double secs;

	CHECK(r.vm, "VM");
	if (khv_cap(r.vm->fd, KVM_CAP_IRQFD) <= 0 ||
	    khv_cap(r.vm->fd, KVM_CAP_IOEVENTFD) <= 0) {
		ret = skip("irqfd", "ns/irq", "no KVM_CAP_IRQFD or KVM_CAP_IOEVENTFD on %s",
			   khv_dev_path());
		goto out;
	}
	ret = need_irqchip(r.vm, "irqfd", "ns/irq");
	if (ret != KSFT_PASS)
		goto out;
	ret = KSFT_FAIL;
	if (set_irq_handler(r.vm, VEC_IRQFD, on_irqfd) || irqfd_assign(&r))
		goto out;
	v = gvcpu_create_long(r.vm, 0, guest_halt_loop, 0, 0);
	if (v)
		watch_exits(v);
	pin_main(0);
	if (!v || vcpu_thread_start(&th, v, 1) || wait_receiver(r.vm) ||
	    measure(irqfd_once, &r, MAX_ITERATIONS, &n, &secs))
		goto out;
	/* one more: its handler finds bench_stop, the guest says DONE */
	*GVM_VAR(r.vm, bench_stop) = 1;
	if (!irqfd_round_trip(&r) && !vcpu_thread_stop(&th, false)) {
		note_redeliveries(r.vm);
		note_exits("irqfd", n);
		report("irqfd", secs * 1e9 / n, "ns/irq", n, secs);
		ret = KSFT_PASS;
	}
out:
	unwatch_exits();
	vcpu_thread_stop(&th, true);
	unpin_main();
	gvcpu_destroy(v);
	gvm_destroy(r.vm);
	if (r.irq_fd >= 0)
		close(r.irq_fd);
	if (r.ack_fd >= 0)
		close(r.ack_fd);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Floors of the test machine itself, no VM                           */
/* ------------------------------------------------------------------ */

static double ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1e9 + t->tv_nsec;
}

/*
 * host_timer: what tsc_deadline's wakeup costs without a guest. A thread
 * (timer slack 1 ns, as a hypervisor's hard hrtimer has none) sleeps until
 * now + 1 ms with clock_nanosleep(TIMER_ABSTIME) and reads the clock when
 * it wakes; the median overshoot.
 */
static int64_t host_lat[TIMER_MAX_SAMPLES];

static double host_timer_once(void *ctx, uint64_t n)
{
	struct timespec due, woke;
	double t0 = ksft_mono_s();
	uint64_t i;

	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &due);
		due.tv_nsec += TIMER_DELTA_US * 1000;
		if (due.tv_nsec >= 1000000000) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &woke);
		host_lat[i] = (int64_t)(ts_ns(&woke) - ts_ns(&due));
	}
	return ksft_mono_s() - t0;
}

static int b_host_timer(void)
{
	uint64_t n;
	double secs;

	CHECK(!prctl(PR_SET_TIMERSLACK, 1ul, 0, 0, 0), "PR_SET_TIMERSLACK");
	CHECK(!measure(host_timer_once, NULL, TIMER_MAX_SAMPLES, &n, &secs), "timing");
	report("host_timer", spread("host_timer", host_lat, n, 1.0), "ns", n, secs);
	return KSFT_PASS;
}

/*
 * host_wake: what ipi's and irqfd's hand-offs between the test machine's
 * two CPUs cost without a guest: a thread on each, pinned as there, pass
 * an eventfd signal back and forth, each sleeping in poll() until the
 * other's arrives. ns per round trip.
 */
struct ping_pong {
	int to_b, to_a;
	volatile bool stop;
	int result;
};

static void *pong_main(void *p)
{
	struct ping_pong *pp = p;

	pin_self(1);
	pp->result = -1;
	while (wait_fd(pp->to_b)) {
		if (pp->stop) {
			pp->result = 0;
			break;
		}
		signal_fd(pp->to_a);
	}
	return NULL;
}

static double ping_once(void *ctx, uint64_t n)
{
	struct ping_pong *pp = ctx;
	double t0 = ksft_mono_s();
	uint64_t i;

	for (i = 0; i < n; i++) {
		signal_fd(pp->to_b);
		if (wait_fd(pp->to_a) != 1) {
			ksft_diag("host_wake: no single answer in %u s", watchdog_seconds);
			return -1;
		}
	}
	return ksft_mono_s() - t0;
}

static int b_host_wake(void)
{
	struct ping_pong pp = { .to_b = eventfd(0, EFD_NONBLOCK),
				.to_a = eventfd(0, EFD_NONBLOCK) };
	int ret = KSFT_FAIL;
	pthread_t th;
	uint64_t n;
	double secs;

	CHECK(pp.to_a >= 0 && pp.to_b >= 0, "eventfds");
	pin_main(0);
	if (pthread_create(&th, NULL, pong_main, &pp)) {
		ksft_diag("pthread_create failed");
		goto out;
	}
	if (!measure(ping_once, &pp, MAX_ITERATIONS, &n, &secs))
		ret = KSFT_PASS;
	pp.stop = true;
	signal_fd(pp.to_b);
	pthread_join(th, NULL);
	if (ret == KSFT_PASS && !pp.result)
		report("host_wake", secs * 1e9 / n, "ns/rt", n, secs);
	else
		ret = KSFT_FAIL;
out:
	unpin_main();
	close(pp.to_a);
	close(pp.to_b);
	return ret;
}

/*
 * 256 MiB of fresh anonymous memory, one byte written per page: every
 * page is a nested page fault and a host page allocation. THP is off for
 * the slot, so both hypervisors map 4 KiB pages and take 65536 faults.
 */
static int b_first_touch(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = NULL;
	uint8_t *hva;
	double t0, secs;
	int ret = KSFT_FAIL;

	CHECK(vm, "VM");
	hva = gvm_add_slot(vm, 1, TOUCH_GPA, TOUCH_SIZE, 0);
	if (!hva) {
		ksft_diag("256 MiB slot");
		goto out;
	}
	if (madvise(hva, TOUCH_SIZE, MADV_NOHUGEPAGE))
		ksft_diag("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	v = gvcpu_create_long(vm, 0, guest_first_touch, TOUCH_GPA, TOUCH_SIZE);
	if (!v || run_to_sync(v, 1, NULL, NULL))
		goto out;
	t0 = ksft_mono_s();
	if (run_to_sync(v, 2, NULL, NULL))
		goto out;
	secs = ksft_mono_s() - t0;
	if (hva[0] != 1 || hva[TOUCH_SIZE - 4096] != 1) {
		ksft_diag("the guest's writes are not in the slot");
		goto out;
	}
	report("first_touch", (TOUCH_SIZE >> 20) / secs, "MiB/s",
	       TOUCH_SIZE / 4096, secs);
	ret = KSFT_PASS;
out:
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return ret;
}

static long bench_vmrun(struct gvcpu *v, uint64_t n, struct khv_bench_vmrun *b)
{
	long r;

	memset(b, 0, sizeof(*b));
	b->iterations = n;
	do
		r = khv_ioctl(v->fd, KHV_BENCH_VMRUN, (unsigned long)b);
	while (r == -EINTR && !b->done);
	return r;
}

static int b_floor(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct khv_bench_vmrun b;
	struct gvcpu *v = NULL;
	struct kvm_regs regs;
	uint64_t n = 1000;
	int ret = KSFT_FAIL;
	long r;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_floor, 0, 0);
	if (!v || run_to_sync(v, 1, NULL, NULL) || gvcpu_get_regs(v, &regs))
		goto out;
	regs.rip = (uint64_t)bench_floor_insn;
	regs.rax = 0;
	regs.rcx = 0;
	if (gvcpu_set_regs(v, &regs))
		goto out;
	r = bench_vmrun(v, n, &b);
	if (r == -EINVAL || r == -ENOTTY || r == -EOPNOTSUPP) {
		ret = skip("floor", "ns/exit", "no KHV_BENCH_VMRUN on %s (%s)",
			   khv_dev_path(), strerror((int)-r));
		goto out;
	}
	for (;;) {
		if (r || !b.done) {
			ksft_diag("KHV_BENCH_VMRUN(%llu): %s, %llu done",
				  (unsigned long long)n, strerror((int)-r),
				  (unsigned long long)b.done);
			goto out;
		}
		if (b.ns >= CALIBRATE_SECONDS * 1e9 || n >= MAX_ITERATIONS)
			break;
		n = scale(n, b.ns / 1e9, CALIBRATE_SECONDS * 2, MAX_ITERATIONS);
		r = bench_vmrun(v, n, &b);
	}
	n = scale(b.done, b.ns / 1e9, target_seconds, MAX_ITERATIONS);
	r = bench_vmrun(v, n, &b);
	if (r || !b.done) {
		ksft_diag("KHV_BENCH_VMRUN(%llu): %s", (unsigned long long)n,
			  strerror((int)-r));
		goto out;
	}
	ksft_diag("floor: %llu loops cut short by host interrupts",
		  (unsigned long long)b.breaks);
	report("floor", (double)b.ns / b.done, "ns/exit", b.done, b.ns / 1e9);
	ret = KSFT_PASS;
out:
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return ret;
}

static const struct ksft_case all_cases[] = {
	{ "cpuid", b_cpuid },
	{ "pio_out", b_pio_out },
	{ "mmio_write", b_mmio_write },
	{ "irq_inject", b_irq_inject },
	{ "first_touch", b_first_touch },
	{ "floor", b_floor },
	{ "ipi", b_ipi },
	{ "tsc_deadline", b_tsc_deadline },
	{ "ioeventfd_mmio", b_ioeventfd_mmio },
	{ "ioeventfd_pio", b_ioeventfd_pio },
	{ "irqfd", b_irqfd },
	{ "host_timer", b_host_timer },
	{ "host_wake", b_host_wake },
};

#define NCASES (int)(sizeof(all_cases) / sizeof(all_cases[0]))

int main(int argc, char **argv)
{
	struct ksft_case cases[NCASES];
	int i, j, n = 0;

	khv_test_init(argc, argv);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--device")) {
			i++;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			target_seconds = atof(argv[++i]);
			if (target_seconds <= 0) {
				fprintf(stderr, "khv-bench: bad --seconds\n");
				return KSFT_FAIL;
			}
		} else {
			for (j = 0; j < NCASES; j++)
				if (!strcmp(argv[i], all_cases[j].name))
					break;
			if (j == NCASES || n == NCASES) {
				fprintf(stderr, "khv-bench: unknown workload %s\n",
					argv[i]);
				return KSFT_FAIL;
			}
			cases[n++] = all_cases[j];
		}
	}
	if (target_seconds * 5 > watchdog_seconds)
		watchdog_seconds = (unsigned int)(target_seconds * 5);
	if (!n)
		for (n = 0; n < NCASES; n++)
			cases[n] = all_cases[n];
	lane = getenv("KHV_LANE");
	if (!lane || !*lane)
		lane = "unknown";
	sys_fd = khv_open_dev();
	return ksft_run(cases, n);
}
