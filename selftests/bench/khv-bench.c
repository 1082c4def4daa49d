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
 * Each loop is first timed briefly, then run long enough to take about
 * --seconds (default 2). Results are lines "BENCH LANE WORKLOAD VALUE
 * UNIT" (LANE from $KHV_LANE), with TAP around them; exit status as
 * kselftest (0 pass, 1 fail, 4 skip).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/khv.h>

#include "guest.h"

#define BENCH_PORT		0x2000
#define BENCH_MMIO_GPA		0xd0000000ull
#define BENCH_VECTOR		0x40
#define TOUCH_GPA		(1ull << 30)
#define TOUCH_SIZE		(256ull << 20)
#define CALIBRATE_SECONDS	0.1

static int sys_fd;
static double target_seconds = 2.0;
static unsigned int watchdog_seconds = 30;	/* for one guest loop */
static const char *lane;

/* Written by the host before each guest loop (the guest's copy). */
static volatile uint64_t bench_n;
static volatile uint64_t irq_hits;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *workload, double value, const char *unit,
		   uint64_t n, double secs)
{
	ksft_diag("%s: %llu iterations in %.3f s", workload,
		  (unsigned long long)n, secs);
	printf("BENCH %s %s %.1f %s\n", lane, workload, value, unit);
	fflush(stdout);
}

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

GUEST_CODE static void guest_pio_out(void)
{
	uint64_t i, n;

	for (;;) {
		GUEST_SYNC(1, 0);
		n = bench_n;
		for (i = 0; i < n; i++)
			__asm__ volatile("outb %%al, %%dx"
					 : : "a"(i), "d"(BENCH_PORT));
	}
}

GUEST_CODE static void guest_mmio_write(void)
{
	volatile uint32_t *reg = (volatile uint32_t *)BENCH_MMIO_GPA;
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
			__asm__ volatile("sti; hlt; cli" : : : "memory");
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
		  "last exit %s, rip %#llx, rflags %#llx",
		  watchdog_seconds, (unsigned long long)count,
		  (unsigned long long)*GVM_VAR(v->vm, irq_hits),
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

struct loop {
	const char *name;
	const char *unit;
	const void *guest;
	exit_fn fn;
	bool counted;		/* every iteration is one exit @fn sees */
	bool irq;
};

/* One guest loop of @n iterations: seconds, or < 0 on error. */
static double time_loop(struct gvm *vm, struct gvcpu *v,
			const struct loop *l, uint64_t n)
{
	uint64_t count = 0;
	double t0;

	*GVM_VAR(vm, bench_n) = n;
	t0 = now();
	if (run_to_sync(v, 1, l->fn, &count))
		return -1;
	if (l->counted && count != n) {
		ksft_diag("%s: %llu exits for %llu iterations", l->name,
			  (unsigned long long)count, (unsigned long long)n);
		return -1;
	}
	return now() - t0;
}

/* Iterations that take about @seconds, given @n took @secs. */
static uint64_t scale(uint64_t n, double secs, double seconds)
{
	double want = secs > 0 ? n * seconds / secs : n * 10.0;

	if (want < 100)
		return 100;
	if (want > 1e9)
		return 1000000000;
	return (uint64_t)want;
}

static int run_loop(const struct loop *l)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = NULL;
	uint64_t n = 100;
	double secs;
	int ret = KSFT_FAIL;

	CHECK(vm, "VM");
	if (l->irq && gvm_set_handler(vm, BENCH_VECTOR, on_bench_irq))
		goto out;
	v = gvcpu_create_long(vm, 0, l->guest, 0, 0);
	if (!v || run_to_sync(v, 1, NULL, NULL))
		goto out;
	/* warm up, then grow until a loop takes a measurable time */
	for (;;) {
		secs = time_loop(vm, v, l, n);
		if (secs < 0)
			goto out;
		if (secs >= CALIBRATE_SECONDS || n >= 1000000000)
			break;
		n = scale(n, secs, CALIBRATE_SECONDS * 2);
	}
	n = scale(n, secs, target_seconds);
	secs = time_loop(vm, v, l, n);
	if (secs < 0)
		goto out;
	report(l->name, secs * 1e9 / n, l->unit, n, secs);
	ret = KSFT_PASS;
out:
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return ret;
}

static const struct loop loop_cpuid = {
	"cpuid", "ns/exit", guest_cpuid, NULL, false, false,
};
static const struct loop loop_pio = {
	"pio_out", "ns/exit", guest_pio_out, exit_pio, true, false,
};
static const struct loop loop_mmio = {
	"mmio_write", "ns/exit", guest_mmio_write, exit_mmio, true, false,
};
static const struct loop loop_irq = {
	"irq_inject", "ns/irq", guest_irq_inject, exit_hlt, true, true,
};

static int b_cpuid(void) { return run_loop(&loop_cpuid); }
static int b_pio_out(void) { return run_loop(&loop_pio); }
static int b_mmio_write(void) { return run_loop(&loop_mmio); }
static int b_irq_inject(void) { return run_loop(&loop_irq); }

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
	t0 = now();
	if (run_to_sync(v, 2, NULL, NULL))
		goto out;
	secs = now() - t0;
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
		printf("# SKIP reason: no KHV_BENCH_VMRUN on %s (%s)\n",
		       khv_dev_path(), strerror((int)-r));
		printf("BENCH %s floor n/a ns/exit\n", lane);
		ret = KSFT_SKIP;
		goto out;
	}
	for (;;) {
		if (r || !b.done) {
			ksft_diag("KHV_BENCH_VMRUN(%llu): %s, %llu done",
				  (unsigned long long)n, strerror((int)-r),
				  (unsigned long long)b.done);
			goto out;
		}
		if (b.ns >= CALIBRATE_SECONDS * 1e9 || n >= 1000000000)
			break;
		n = scale(n, b.ns / 1e9, CALIBRATE_SECONDS * 2);
		r = bench_vmrun(v, n, &b);
	}
	n = scale(b.done, b.ns / 1e9, target_seconds);
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
