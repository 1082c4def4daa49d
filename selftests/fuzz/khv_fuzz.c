// SPDX-License-Identifier: GPL-2.0
/*
 * khv_fuzz: a fuzzer for the KVM ioctl ABI, as khv (/dev/khv) and stock
 * KVM (/dev/kvm) serve it.
 *
 *   khv_fuzz [--device PATH] [--seed N] [--ioctls N] [--seconds S]
 *            [--threads T] [--guide kcov|results|none] [--ops LIST]
 *            [--trace] [--self-test]
 *
 * Design:
 *
 * - Operations. A thread runs *sequences* of operations; each operation
 *   is one 64-bit word: its kind in the top byte, the seed of its own
 *   PRNG stream below. Kinds: a structure-aware ioctl on a system, VM or
 *   vCPU fd (fuzz_ioctl.c: every ioctl khv and x86 KVM 6.1 implement,
 *   mostly-valid arguments with targeted corruptions), a random ioctl
 *   number, memslot changes, KVM_RUN with the exit completed randomly, a
 *   guest scenario (fuzz_guest.c: random code, page tables, modes,
 *   registers, MSRs, events, then runs), and the chaos kinds: opening and
 *   closing fds (also while KVM_RUN is in flight on them), mapping and
 *   unmapping kvm_run, unmapping / replacing / mprotecting guest memory
 *   under running vCPUs, scribbling over kvm_run while it runs, fork()
 *   children that must get EIO from the parent's VM and vCPU fds, and
 *   children SIGKILLed in mid-KVM_RUN.
 * - Objects. All threads share one table of fds (objs[]): any thread may
 *   use or close any of them at any time. An fd number closed by one
 *   thread may be reused by another object while a third still uses the
 *   old number: harmless, because every fd the fuzzer opens after start
 *   is a KVM fd (kcov, eventfds and stdout are opened first and stay).
 * - Memory. See the rule in fuzz.h: the kernel and the guests only ever
 *   get to write into the arena.
 * - Bounds. Every KVM_RUN runs under a per-thread POSIX timer (SIGUSR1,
 *   every millisecond or so), so a spinning guest returns -EINTR.
 *   A watchdog thread fails the run if any ioctl takes over 20 s, or a
 *   KVM_RUN does not return within 20 s of the signals it sends.
 * - Coverage. With /sys/kernel/debug/kcov (a debug kernel, khv.ko built
 *   with KCOV_INSTRUMENT=y) each thread traces the PCs of its sequence;
 *   sequences that reach new PCs go into a small corpus, and half of the
 *   sequences are mutations of corpus entries. Without kcov the same
 *   loop is guided by result signatures (ioctl, errno, exit reason), or
 *   not at all (--guide none).
 * - Oracle. The kernel log (testvm fails a test on any splat), plus what
 *   the fuzzer sees itself: EFAULT from an ioctl whose pointers were all
 *   valid, a hang (watchdog), a signal it did not expect, a fork child
 *   that did not get EIO, and (khv) VMs, vCPUs or pinned pages left in
 *   debugfs after everything was closed.
 *
 * Reproduce: the seed is printed; --seed N --threads 1 replays the same
 * decisions (outcomes still depend on timing: timer signals, other
 * threads). --trace prints every operation.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/kcov.h>

#include "fuzz.h"
#include "khv_test.h"

struct fuzz_cfg cfg = {
	.threads = 4,
	.guide = -1,
	.op_mask = ~0u,
	.guest = -1,
};
volatile int stop_now;
static volatile int failed_hard;

struct obj objs[MAX_OBJS];
pthread_mutex_t objs_lock = PTHREAD_MUTEX_INITIALIZER;

struct kvm_cpuid2 *supported_cpuid;
uint32_t msr_list[256];
int nmsr_list;
long vcpu_mmap_size;

__thread struct fthread *self;
static struct fthread threads[MAX_THREADS];
static uint64_t n_ioctls;		/* all threads; atomic */
static uint64_t n_unexpected;		/* atomic */
static double t_start;
int eventfds[4];
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

/* Reports of fork children: one slot per thread, in shared memory. */
struct child_report {
	int fd;
	unsigned long cmd;
	long ret;
	char link[64];
};
static struct child_report *child_reports;
static volatile int *child_flags;	/* kill children: "in KVM_RUN" */

/* ------------------------------------------------------------------ */
/* PRNG helpers                                                        */
/* ------------------------------------------------------------------ */

static const uint64_t interesting[] = {
	0, 1, 2, 3, 4, 7, 8, 0xf, 0x10, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80,
	0xff, 0x100, 0x1ff, 0x200, 0x3ff, 0x400, 0x7ff, 0x800, 0xfff,
	0x1000, 0x1001, 0x7fff, 0x8000, 0xffff, 0x10000, 0xfffff, 0x100000,
	0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x100000000ull,
	0xfffffffff000ull, 0x7fffffffffffull, 0x800000000000ull,
	0xffff800000000000ull, 0xffff7fffffffffffull, 0x7fffffffffffffffull,
	0x8000000000000000ull, 0xfffffffffffffffeull, 0xffffffffffffffffull,
	0xfee00000, 0xfee00900, 0xfec00000, 0xfffff000, 0xfffffff0,
	0xc0000000, 0xd0000000, 0xe0000000, 0x000fffffffffffffull,
	1ull << 52, 1ull << 40, 1ull << 46, 1ull << 47, 1ull << 48,
	1ull << 57, 0xa0000, 0xf0000, 0xffff0, 0x4b564d00, 0x40000000,
	0xc0000080, 0xc0010000, 0x1b, 0x10, 0x174, 0x277, 0x2ff, 0x800,
};

uint64_t rnd_interesting(struct rng *r)
{
	return interesting[rnd_below(r, ARRAY_SIZE(interesting))];
}

uint64_t rnd_value(struct rng *r, int bits)
{
	uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
	uint64_t v;

	switch (rnd_below(r, 20)) {
	case 0 ... 4:
		v = rnd_interesting(r);
		break;
	case 5 ... 8:
		v = rnd_below(r, 65);
		break;
	case 9 ... 12:
		v = rnd64(r);
		break;
	case 13 ... 14:
		v = (1ull << rnd_below(r, bits)) + rnd_below(r, 3) - 1;
		break;
	case 15 ... 16:
		v = -(uint64_t)rnd_below(r, 17);
		break;
	default:
		v = rnd_interesting(r) ^ (1ull << rnd_below(r, bits));
		break;
	}
	return v & mask;
}

void rnd_fill(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;

	while (n >= 8) {
		uint64_t v = rnd64(r);

		memcpy(b, &v, 8);
		b += 8;
		n -= 8;
	}
	while (n--)
		*b++ = (uint8_t)rnd64(r);
}

int rnd_weighted(struct rng *r, const uint32_t *w, int n)
{
	uint32_t sum = 0, x;
	int i;

	for (i = 0; i < n; i++)
		sum += w[i];
	if (!sum)
		return 0;
	x = rnd_below(r, sum);
	for (i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* ------------------------------------------------------------------ */
/* Faults in memory others unmap: caught in prot_*(), fatal elsewhere  */
/* ------------------------------------------------------------------ */

static __thread sigjmp_buf *prot_jmp;
static __thread volatile int prot_active;

static void print_fatal(const char *what, int sig, void *addr)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "# khv_fuzz: %s: signal %d (%s) at %p, thread %d, op %d, sequence 0x%llx, seed 0x%llx\n"
		     "not ok 1 fuzz\n",
		     what, sig, strsignal(sig), addr, self ? self->id : -1,
		     self ? self->cur_op : -1,
		     self ? (unsigned long long)self->cur_seq_seed : 0ull,
		     (unsigned long long)cfg.seed);
	if (write(1, buf, n) < 0)
		_exit(1);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	if (prot_active) {
		prot_active = 0;
		if (self)
			self->faults_caught++;
		siglongjmp(*prot_jmp, 1);
	}
	print_fatal("unexpected fault", sig, si->si_addr);
	_exit(1);
}

static void on_unexpected_signal(int sig, siginfo_t *si, void *uc)
{
	print_fatal("unexpected signal", sig, si->si_addr);
	_exit(1);
}

static void on_kick(int sig)
{
}

bool prot_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf jb;
	bool ok = true;

	prot_jmp = &jb;
	if (sigsetjmp(jb, 0) == 0) {
		prot_active = 1;
		memcpy(dst, src, n);
		__asm__ volatile("" ::: "memory");
	} else {
		ok = false;
	}
	prot_active = 0;
	return ok;
}

/* Random bytes into arena memory, through prot_copy() (whole words). */
bool prot_fill(void *dst, struct rng *r, size_t n)
{
	uint8_t buf[256], *d = dst;

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		rnd_fill(r, buf, k);
		if (!prot_copy(d, buf, k))
			return false;
		d += k;
		n -= k;
	}
	return true;
}

static void install_signals(void)
{
	static const int unexpected_sigs[] = {
		SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGPIPE, SIGXFSZ, SIGXCPU,
		SIGUSR2, SIGALRM, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGABRT,
		SIGVTALRM, SIGPROF, SIGSTKFLT, SIGPWR,
	};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_sigaction = on_unexpected_signal;
	sa.sa_flags = SA_SIGINFO;
	for (i = 0; i < ARRAY_SIZE(unexpected_sigs); i++)
		sigaction(unexpected_sigs[i], &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sa.sa_flags = SA_RESTART;	/* KVM_RUN still returns -EINTR */
	sigaction(SIGUSR1, &sa, NULL);
}

/* ------------------------------------------------------------------ */
/* The arena                                                           */
/* ------------------------------------------------------------------ */

static uint64_t gmem_next = GMEM_BASE, runmap_next;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

void *arena_map(uint64_t addr, size_t len, int prot, bool shared)
{
	void *p = mmap((void *)addr, len, prot,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
		       MAP_FIXED | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Back to an inaccessible reservation: drops whatever was mapped. */
void arena_unmap(uint64_t addr, size_t len)
{
	if (len)
		arena_map(addr, len, PROT_NONE, false);
}

static int arena_init(void)
{
	void *p = mmap((void *)ARENA_BASE, ARENA_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		       MAP_FIXED_NOREPLACE, -1, 0);

	if (p != (void *)ARENA_BASE) {
		printf("# arena at %#llx: %s\n", ARENA_BASE, strerror(errno));
		return -1;
	}
	return 0;
}

/* Fresh guest memory, round robin over the guest area. */
uint64_t gmem_alloc(size_t len)
{
	uint64_t a;

	len = (len + PAGE - 1) & ~(PAGE - 1);
	pthread_mutex_lock(&arena_lock);
	if (gmem_next + len > GMEM_BASE + GMEM_SIZE)
		gmem_next = GMEM_BASE;
	a = gmem_next;
	/* leave a hole after each chunk: overruns fault */
	gmem_next += len + (64ul << 10);
	pthread_mutex_unlock(&arena_lock);
	return arena_map(a, len, PROT_READ | PROT_WRITE, false) ? a : 0;
}

/*
 * Where an extra kvm_run mapping goes: round robin over the half of the
 * kvm_run area that primary mappings (one per object) do not use.
 */
uint64_t runmap_alloc(void)
{
	uint64_t n = RUNMAP_SIZE / RUNMAP_STRIDE / 2, a;

	pthread_mutex_lock(&arena_lock);
	a = RUNMAP_BASE + (n + runmap_next++ % n) * RUNMAP_STRIDE;
	pthread_mutex_unlock(&arena_lock);
	return a;
}

static uint64_t runmap_primary(int obj)
{
	return RUNMAP_BASE + (uint64_t)obj * RUNMAP_STRIDE;
}

/* ------------------------------------------------------------------ */
/* Objects                                                             */
/* ------------------------------------------------------------------ */

static int count_kind(enum obj_kind k)
{
	int i, n = 0;

	for (i = 0; i < MAX_OBJS; i++)
		n += objs[i].kind == k;
	return n;
}

/*
 * Which object an operation works on comes from a stream of its own: the
 * operation's own stream (what it does to the object) stays the same
 * whatever the table holds, so --replay of an operation does the same.
 */
int obj_get(struct fthread *t, struct rng *op_rng, enum obj_kind kind, bool prefer_running)
{
	int all[MAX_OBJS], run[MAX_OBJS], n = 0, nrun = 0, i, pick;
	struct rng pr = { op_rng->s ^ 0x5851f42d4c957f2dull ^ kind }, *r = &pr;

	pthread_mutex_lock(&objs_lock);
	for (i = 0; i < MAX_OBJS; i++) {
		if (objs[i].kind != kind)
			continue;
		/* closed ones now and then: their old fd number is a race */
		if (objs[i].fd < 0 && !one_in(r, 8))
			continue;
		all[n++] = i;
		if (objs[i].running)
			run[nrun++] = i;
	}
	if (!n) {
		pthread_mutex_unlock(&objs_lock);
		return -1;
	}
	pick = prefer_running && nrun && !one_in(r, 4) ?
	       run[rnd_below(r, nrun)] : all[rnd_below(r, n)];
	objs[pick].users++;
	pthread_mutex_unlock(&objs_lock);
	return pick;
}

static void vm_release(struct obj *vm)
{
	int k;

	for (k = 0; k < vm->nchunks; k += 2)
		arena_unmap(vm->chunks[k], vm->chunks[k + 1]);
	memset(vm, 0, sizeof(*vm));
	vm->kind = OBJ_FREE;
	vm->fd = -1;
}

/* Under objs_lock: free @i if closed and unused. */
static void obj_maybe_free(int i)
{
	struct obj *o = &objs[i];

	if (o->kind == OBJ_FREE || o->fd >= 0 || o->users)
		return;
	if (o->kind == OBJ_VM && o->nvcpus)
		return;
	if (o->kind == OBJ_VCPU) {
		struct obj *vm = &objs[o->vm];

		if (vm->kind == OBJ_VM && vm->gen == o->vm_gen) {
			vm->nvcpus--;
			obj_maybe_free(o->vm);
		}
		memset(o, 0, sizeof(*o));
		o->fd = -1;
		return;
	}
	if (o->kind == OBJ_VM) {
		vm_release(o);
		return;
	}
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

void obj_put(int i)
{
	if (i < 0)
		return;
	pthread_mutex_lock(&objs_lock);
	objs[i].users--;
	obj_maybe_free(i);
	pthread_mutex_unlock(&objs_lock);
}

int obj_get_vm_of(int i)
{
	int vm = -1;

	pthread_mutex_lock(&objs_lock);
	if (objs[i].kind == OBJ_VCPU) {
		struct obj *v = &objs[objs[i].vm];

		if (v->kind == OBJ_VM && v->gen == objs[i].vm_gen) {
			vm = objs[i].vm;
			v->users++;
		}
	}
	pthread_mutex_unlock(&objs_lock);
	return vm;
}

static uint32_t gen_counter;

/* Under objs_lock: a free entry set up for @kind, or -1. */
static int obj_alloc(enum obj_kind kind, int fd)
{
	int i;

	for (i = 0; i < MAX_OBJS; i++) {
		if (objs[i].kind != OBJ_FREE)
			continue;
		memset(&objs[i], 0, sizeof(objs[i]));
		objs[i].kind = kind;
		objs[i].fd = fd;
		objs[i].old_fd = fd;
		objs[i].gen = ++gen_counter;
		return i;
	}
	return -1;
}

int obj_add_sys(int fd)
{
	int i = -1;

	pthread_mutex_lock(&objs_lock);
	if (count_kind(OBJ_SYS) < MAX_SYS)
		i = obj_alloc(OBJ_SYS, fd);
	pthread_mutex_unlock(&objs_lock);
	if (i < 0)
		close(fd);
	return i;
}

int obj_add_vm(struct fthread *t, int fd)
{
	uint64_t ram = gmem_alloc(MAIN_RAM);
	int i = -1;

	pthread_mutex_lock(&objs_lock);
	if (ram && count_kind(OBJ_VM) < MAX_VMS)
		i = obj_alloc(OBJ_VM, fd);
	if (i >= 0) {
		objs[i].ram = ram;
		objs[i].mem_used = MAIN_RAM;
		objs[i].chunks[0] = ram;
		objs[i].chunks[1] = MAIN_RAM;
		objs[i].nchunks = 2;
		objs[i].users = 1;	/* the caller's */
	}
	pthread_mutex_unlock(&objs_lock);
	if (i < 0) {
		close(fd);
		if (ram)
			arena_unmap(ram, MAIN_RAM);
	}
	return i;
}

int obj_add_vcpu(struct fthread *t, int vm, int fd, uint32_t id)
{
	int i = -1;

	pthread_mutex_lock(&objs_lock);
	if (vm >= 0 && objs[vm].kind == OBJ_VM && count_kind(OBJ_VCPU) < MAX_VCPUS)
		i = obj_alloc(OBJ_VCPU, fd);
	if (i >= 0) {
		objs[i].vm = vm;
		objs[i].vm_gen = objs[vm].gen;
		objs[i].vcpu_id = id;
		objs[i].users = 1;
		objs[vm].nvcpus++;
	}
	pthread_mutex_unlock(&objs_lock);
	if (i < 0)
		close(fd);
	return i;
}

void obj_close(int i)
{
	uint64_t run = 0, run_len = 0;
	int fd;

	pthread_mutex_lock(&objs_lock);
	fd = objs[i].fd;
	objs[i].fd = -1;
	if (fd >= 0)
		objs[i].old_fd = fd;
	if (objs[i].kind == OBJ_VCPU) {
		run = objs[i].run;
		run_len = objs[i].run_len;
		objs[i].run = 0;
	}
	pthread_mutex_unlock(&objs_lock);
	if (fd >= 0) {
		busy_begin(self, BUSY_OTHER, 0);
		close(fd);
		busy_end(self);
	}
	if (run)
		arena_unmap(run, run_len);
}

/*
 * An object's fd; once closed, the number it had, which another object
 * may have by now (the race of a thread still using a closed fd).
 */
int obj_fd(int i)
{
	int fd = __atomic_load_n(&objs[i].fd, __ATOMIC_RELAXED);

	return fd >= 0 ? fd : objs[i].old_fd;
}

/* ------------------------------------------------------------------ */
/* Calls, the watchdog's view, reports                                 */
/* ------------------------------------------------------------------ */

void busy_begin(struct fthread *t, int kind, unsigned long cmd)
{
	if (!t)
		return;
	t->busy_cmd = cmd;
	__atomic_store_n(&t->busy_seq, t->busy_seq + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&t->busy, kind, __ATOMIC_RELEASE);
}

void busy_end(struct fthread *t)
{
	if (t)
		__atomic_store_n(&t->busy, BUSY_NONE, __ATOMIC_RELEASE);
}

bool should_stop(void)
{
	return stop_now || (cfg.max_ioctls &&
			    __atomic_load_n(&n_ioctls, __ATOMIC_RELAXED) >= cfg.max_ioctls);
}

static void record(struct fthread *t, unsigned long cmd, long ret)
{
	struct hist_ent *h = &t->hist[t->hpos++ % HIST];

	h->op = (uint16_t)t->cur_op;
	h->cmd = cmd;
	h->ret = ret;
	t->ioctls++;
	__atomic_add_fetch(&n_ioctls, 1, __ATOMIC_RELAXED);
	if (cfg.guide == GUIDE_RESULTS)
		feature(t, ((uint64_t)t->cur_op << 48) ^ ((uint64_t)cmd << 8) ^
			(uint64_t)(ret < 0 ? ret : ret > 0));
}

/*
 * SIGUSR1 bounds every KVM_RUN, so no vCPU signal mask may block it (a
 * blocked kick leaves a spinning guest running for good, on KVM as on
 * khv). The generators never ask for that, but random ioctl numbers,
 * corruptions and scribbles can: here, whatever the buffer holds, the bit
 * goes before the call. process_vm_readv/writev on ourselves, so a bad
 * pointer (EFAULT is a case) is left for the kernel to refuse.
 */
static void keep_kick_unblocked(unsigned long arg)
{
	struct kvm_signal_mask m;
	uint64_t set;
	struct iovec local = { &m, sizeof(m) }, remote = { (void *)arg, sizeof(m) };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != sizeof(m) ||
	    m.len != 8)
		return;
	local = (struct iovec){ &set, 8 };
	remote = (struct iovec){ (void *)(arg + sizeof(m)), 8 };
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != 8 ||
	    !(set & (1ull << (SIGUSR1 - 1))))
		return;
	set &= ~(1ull << (SIGUSR1 - 1));
	process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
}

long fz_ioctl(struct fthread *t, int fd, unsigned long cmd, unsigned long arg)
{
	long r;

	if (cmd == KVM_SET_SIGNAL_MASK && arg)
		keep_kick_unblocked(arg);
	/*
	 * The test machine: an injected external interrupt makes khv's next
	 * VMRUN carry V_IRQ, and QEMU 7.2's VMRUN helper then updates the
	 * vCPU's interrupt-request word without the lock its APIC takes to
	 * post host interrupts: some get lost, and the CPU stays in the guest
	 * for good. Fewer V_IRQ entries, fewer losses (800,000-ioctl runs:
	 * 4 of 4 stuck with KVM_INTERRUPT, 1 of 2 without); the other
	 * windows stay. See Documentation/testing.md, "Fuzzing".
	 */
	if (cmd == KVM_INTERRUPT && cfg.guest == GUEST_TCG)
		return 0;
	busy_begin(t, BUSY_IOCTL, cmd);
	r = ioctl(fd, cmd, arg);
	if (r < 0)
		r = -errno;
	busy_end(t);
	record(t, cmd, r);
	return r;
}

static void timer_arm(struct fthread *t, struct rng *r)
{
	struct itimerspec its = {
		.it_value.tv_nsec = 100000 + rnd_below(r, 2900000),
		.it_interval.tv_nsec = 1000000,
	};

	if (t->timer_ok)
		timer_settime(t->timer, 0, &its, NULL);
}

static void timer_disarm(struct fthread *t)
{
	struct itimerspec its = { 0 };

	if (t->timer_ok)
		timer_settime(t->timer, 0, &its, NULL);
}

long fz_run_ioctl(struct fthread *t, int fd, unsigned long cmd, unsigned long arg)
{
	long r;

	timer_arm(t, &t->rng);
	busy_begin(t, BUSY_RUN, cmd);
	r = ioctl(fd, cmd, arg);
	if (r < 0)
		r = -errno;
	busy_end(t);
	timer_disarm(t);
	record(t, cmd, r);
	t->runs++;
	return r;
}

/* One diagnostic line, @head then @fmt, whole among the threads' output. */
static void print_line(const char *head, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&print_lock);
	fputs(head, stdout);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&print_lock);
}

void unexpected(struct fthread *t, const char *fmt, ...)
{
	uint64_t n = __atomic_add_fetch(&n_unexpected, 1, __ATOMIC_RELAXED);
	char head[96];
	va_list ap;

	if (t)
		t->unexpected++;
	if (n > 20)
		return;
	snprintf(head, sizeof(head), "# UNEXPECTED (thread %d, op %d, sequence 0x%llx): ",
		 t ? t->id : -1, t ? t->cur_op : -1,
		 t ? (unsigned long long)t->cur_seq_seed : 0ull);
	va_start(ap, fmt);
	print_line(head, fmt, ap);
	va_end(ap);
}

void trace(struct fthread *t, const char *fmt, ...)
{
	char head[16];
	va_list ap;

	if (!cfg.trace)
		return;
	snprintf(head, sizeof(head), "# t%d: ", t ? t->id : -1);
	va_start(ap, fmt);
	print_line(head, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Coverage: KCOV PCs or result signatures, one bitmap for all         */
/* ------------------------------------------------------------------ */

#define COV_BITS	(1u << 24)
#define KCOV_WORDS	(1u << 18)
#define MAX_FEAT	8192

static uint8_t *covmap;
static uint64_t cov_total;		/* bits set; atomic */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* Set the feature's bit: true if it was new. */
static bool cov_add(uint64_t f)
{
	uint32_t b = (uint32_t)mix64(f) & (COV_BITS - 1);
	uint8_t m = 1u << (b & 7), old;

	if (__atomic_load_n(&covmap[b >> 3], __ATOMIC_RELAXED) & m)
		return false;
	old = __atomic_fetch_or(&covmap[b >> 3], m, __ATOMIC_RELAXED);
	if (old & m)
		return false;
	__atomic_add_fetch(&cov_total, 1, __ATOMIC_RELAXED);
	return true;
}

void feature(struct fthread *t, uint64_t f)
{
	if (t && t->feat && t->nfeat < MAX_FEAT)
		t->feat[t->nfeat++] = f;
}

/* Open kcov for every thread before any KVM fd exists. 0, or -errno. */
static int kcov_open_all(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		int fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
		void *p;

		if (fd < 0)
			return -errno;
		if (ioctl(fd, KCOV_INIT_TRACE, KCOV_WORDS)) {
			int e = -errno;

			close(fd);
			return e;
		}
		p = mmap(NULL, KCOV_WORDS * 8, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return -ENOMEM;
		}
		threads[i].kcov_fd = fd;
		threads[i].kcov_area = p;
	}
	return 0;
}

static void cov_begin(struct fthread *t)
{
	t->nfeat = 0;
	if (t->kcov_area)
		__atomic_store_n(&t->kcov_area[0], 0, __ATOMIC_RELAXED);
}

/* New coverage bits of the sequence just run. */
static uint64_t cov_end(struct fthread *t)
{
	uint64_t n, i, fresh = 0;

	if (t->kcov_area) {
		n = __atomic_load_n(&t->kcov_area[0], __ATOMIC_RELAXED);
		if (n >= KCOV_WORDS)
			n = KCOV_WORDS - 1;
		for (i = 0; i < n; i++)
			fresh += cov_add(t->kcov_area[i + 1]);
	}
	if (cfg.guide == GUIDE_RESULTS)
		for (i = 0; i < t->nfeat; i++)
			fresh += cov_add(t->feat[i]);
	return fresh;
}

/* ------------------------------------------------------------------ */
/* Sequences and the corpus                                            */
/* ------------------------------------------------------------------ */

enum op_kind {
	OP_SYS_IOCTL, OP_VM_IOCTL, OP_VCPU_IOCTL, OP_RANDOM_IOCTL, OP_MEMSLOT,
	OP_RUN, OP_SCENARIO, OP_SCRIBBLE, OP_GUEST_WRITE, OP_OPEN_SYS,
	OP_CREATE_VM, OP_CREATE_VCPU, OP_CLOSE, OP_MMAP_RUN, OP_MEM_CHAOS,
	OP_FLAKY, OP_FORK, OP_KILL_CHILD, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"sys_ioctl", "vm_ioctl", "vcpu_ioctl", "random_ioctl", "memslot",
	"run", "scenario", "scribble", "guest_write", "open_sys",
	"create_vm", "create_vcpu", "close", "mmap_run", "mem_chaos",
	"flaky", "fork", "kill_child",
};

/* Per mille-ish weights, tuned for ioctl rate under TCG (see the report). */
static const uint32_t op_weight[NR_OPS] = {
	[OP_SYS_IOCTL] = 600, [OP_VM_IOCTL] = 1400, [OP_VCPU_IOCTL] = 3200,
	[OP_RANDOM_IOCTL] = 500, [OP_MEMSLOT] = 700, [OP_RUN] = 900,
	[OP_SCENARIO] = 600, [OP_SCRIBBLE] = 250, [OP_GUEST_WRITE] = 150,
	[OP_OPEN_SYS] = 40, [OP_CREATE_VM] = 80, [OP_CREATE_VCPU] = 150,
	[OP_CLOSE] = 100, [OP_MMAP_RUN] = 120, [OP_MEM_CHAOS] = 150,
	[OP_FLAKY] = 60, [OP_FORK] = 4, [OP_KILL_CHILD] = 4,
};

#define SEQ_MAX		32
#define CORPUS_MAX	256
#define OP_SEED_MASK	((1ull << 56) - 1)

struct seq {
	uint32_t n;
	uint64_t op[SEQ_MAX];
};

static struct seq corpus[CORPUS_MAX];
static uint32_t ncorpus;
static pthread_mutex_t corpus_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t new_op(struct rng *r)
{
	uint32_t w[NR_OPS];
	int i;

	for (i = 0; i < NR_OPS; i++)
		w[i] = cfg.op_mask & (1u << i) ? op_weight[i] : 0;
	return ((uint64_t)rnd_weighted(r, w, NR_OPS) << 56) | (rnd64(r) & OP_SEED_MASK);
}

static void seq_fresh(struct rng *r, struct seq *s)
{
	uint32_t i;

	s->n = 4 + rnd_below(r, 21);
	for (i = 0; i < s->n; i++)
		s->op[i] = new_op(r);
}

static void corpus_add(const struct seq *s)
{
	pthread_mutex_lock(&corpus_lock);
	if (ncorpus < CORPUS_MAX)
		corpus[ncorpus++] = *s;
	else
		corpus[mix64(s->op[0]) % CORPUS_MAX] = *s;
	pthread_mutex_unlock(&corpus_lock);
}

static bool corpus_pick(struct rng *r, struct seq *s)
{
	bool ok = false;

	pthread_mutex_lock(&corpus_lock);
	if (ncorpus) {
		*s = corpus[rnd_below(r, ncorpus)];
		ok = true;
	}
	pthread_mutex_unlock(&corpus_lock);
	return ok;
}

/*
 * Mutations keep the structure: an operation's kind and its parameters
 * (its seed) change separately.
 */
static void seq_mutate(struct rng *r, struct seq *s)
{
	int k = 1 + rnd_below(r, 4);
	struct seq other;
	uint32_t i, j;

	while (k--) {
		i = rnd_below(r, s->n);
		switch (rnd_below(r, 6)) {
		case 0:		/* new parameters, same kind */
			s->op[i] = (s->op[i] & ~OP_SEED_MASK) | (rnd64(r) & OP_SEED_MASK);
			break;
		case 1:		/* new kind, same parameters */
			s->op[i] = (new_op(r) & ~OP_SEED_MASK) | (s->op[i] & OP_SEED_MASK);
			break;
		case 2:		/* insert */
			if (s->n < SEQ_MAX) {
				memmove(&s->op[i + 1], &s->op[i], (s->n - i) * 8);
				s->op[i] = new_op(r);
				s->n++;
			}
			break;
		case 3:		/* delete */
			if (s->n > 1) {
				memmove(&s->op[i], &s->op[i + 1], (s->n - i - 1) * 8);
				s->n--;
			}
			break;
		case 4:		/* splice another entry's tail */
			if (corpus_pick(r, &other)) {
				j = rnd_below(r, other.n);
				while (i < SEQ_MAX && j < other.n)
					s->op[i++] = other.op[j++];
				s->n = i;
			}
			break;
		default:	/* repeat an operation */
			if (s->n < SEQ_MAX)
				s->op[s->n++] = s->op[i];
			break;
		}
	}
	if (!s->n)
		s->op[s->n++] = new_op(r);
}

/* ------------------------------------------------------------------ */
/* Lifecycle operations                                                */
/* ------------------------------------------------------------------ */

static void op_open_sys(struct fthread *t, struct rng *r)
{
	int fd;

	busy_begin(t, BUSY_OTHER, 0);
	fd = open(cfg.dev, O_RDWR | (one_in(r, 2) ? O_CLOEXEC : 0));
	busy_end(t);
	if (fd >= 0)
		obj_add_sys(fd);
}

static int get_sys(struct fthread *t, struct rng *r)
{
	int s = obj_get(t, r, OBJ_SYS, false);

	if (s < 0) {
		op_open_sys(t, r);
		s = obj_get(t, r, OBJ_SYS, false);
	}
	return s;
}

/* Slot 0: MAIN_RAM at GPA 0 from the VM's main chunk. */
static long set_main_slot(struct fthread *t, int vm)
{
	struct kvm_userspace_memory_region *m = (void *)t->scratch;
	long r;

	*m = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0,
		.memory_size = MAIN_RAM, .userspace_addr = objs[vm].ram,
	};
	r = fz_ioctl(t, obj_fd(vm), KVM_SET_USER_MEMORY_REGION, (unsigned long)m);
	if (r == 0) {
		pthread_mutex_lock(&objs_lock);
		objs[vm].slots[0] = (struct gslot){ .used = true, .id = 0,
			.gpa = 0, .size = MAIN_RAM, .uaddr = objs[vm].ram };
		pthread_mutex_unlock(&objs_lock);
	}
	return r;
}

void adopt_vm(struct fthread *t, struct rng *r, int sys, int fd)
{
	int vm = obj_add_vm(t, fd);

	if (vm < 0)
		return;
	trace(t, "new VM fd %d -> obj %d", fd, vm);
	if (!one_in(r, 8))
		set_main_slot(t, vm);
	if (one_in(r, 8))
		fz_ioctl(t, fd, KVM_SET_TSS_ADDR, 0xfffbd000);
	if (!cfg.is_khv && one_in(r, 6))
		fz_ioctl(t, fd, KVM_CREATE_IRQCHIP, 0);
	obj_put(vm);
}

static void op_create_vm(struct fthread *t, struct rng *r)
{
	int s, fd, vm;

	pthread_mutex_lock(&objs_lock);
	fd = count_kind(OBJ_VM) >= MAX_VMS;
	pthread_mutex_unlock(&objs_lock);
	if (fd) {		/* full: make room instead */
		vm = obj_get(t, r, OBJ_VM, false);
		if (vm >= 0) {
			obj_close(vm);
			obj_put(vm);
		}
		return;
	}
	s = get_sys(t, r);
	if (s < 0)
		return;
	fd = (int)fz_ioctl(t, obj_fd(s), KVM_CREATE_VM,
			   one_in(r, 16) ? rnd_value(r, 64) : 0);
	if (fd >= 0)
		adopt_vm(t, r, s, fd);
	obj_put(s);
}

/* Map @len bytes of vCPU fd @fd's pages from @pgoff at @addr. */
static bool map_run(int fd, uint64_t addr, size_t len, off_t pgoff, int prot)
{
	void *p = mmap((void *)addr, len, prot, MAP_SHARED | MAP_FIXED, fd,
		       pgoff * PAGE);

	if (p == MAP_FAILED) {
		arena_unmap(addr, len);
		return false;
	}
	return true;
}

void adopt_vcpu(struct fthread *t, struct rng *r, int vm, int fd, uint32_t id)
{
	uint64_t run;
	int v = obj_add_vcpu(t, vm, fd, id);

	if (v < 0)
		return;
	trace(t, "new vCPU %u fd %d -> obj %d", id, fd, v);
	run = runmap_primary(v);
	if (map_run(fd, run, vcpu_mmap_size, 0, PROT_READ | PROT_WRITE)) {
		pthread_mutex_lock(&objs_lock);
		if (objs[v].fd == fd) {
			objs[v].run = run;
			objs[v].run_len = vcpu_mmap_size;
		}
		pthread_mutex_unlock(&objs_lock);
	}
	if (!one_in(r, 10)) {
		struct kvm_cpuid2 *c = (void *)t->scratch;

		gen_cpuid(r, c, one_in(r, 6));
		fz_ioctl(t, fd, KVM_SET_CPUID2, (unsigned long)c);
	}
	fix_tr(t, fd);
	obj_put(v);
}

static void op_create_vcpu(struct fthread *t, struct rng *r)
{
	static const uint32_t odd_ids[] = { 1023, 1024, 4095, 4096, 4097,
		0xffff, 0x7fffffff, 0xffffffff };
	uint32_t id;
	int vm, fd;

	vm = obj_get(t, r, OBJ_VM, false);
	if (vm < 0) {
		op_create_vm(t, r);
		return;
	}
	id = one_in(r, 10) ? odd_ids[rnd_below(r, ARRAY_SIZE(odd_ids))] :
	     rnd_below(r, VCPUS_PER_VM + 1);
	fd = (int)fz_ioctl(t, obj_fd(vm), KVM_CREATE_VCPU, id);
	if (fd >= 0)
		adopt_vcpu(t, r, vm, fd, id);
	obj_put(vm);
}

static void op_close(struct fthread *t, struct rng *r)
{
	static const enum obj_kind kinds[] = { OBJ_VCPU, OBJ_VCPU, OBJ_VM, OBJ_VM, OBJ_SYS };
	enum obj_kind k = kinds[rnd_below(r, ARRAY_SIZE(kinds))];
	int i = obj_get(t, r, k, !one_in(r, 3));

	if (i < 0)
		return;
	trace(t, "close obj %d (kind %d fd %d running %d)", i, k, objs[i].fd,
	      objs[i].running);
	obj_close(i);
	obj_put(i);
}

/* Extra mappings of a vCPU fd: odd offsets, sizes and protections. */
static void op_mmap_run(struct fthread *t, struct rng *r)
{
	static const off_t offs[] = { 0, 0, 0, 1, 1, 2, 3, 64, 0x10000 };
	int v = obj_get(t, r, OBJ_VCPU, true);
	uint64_t addr = runmap_alloc(), i;
	size_t len = PAGE * (1 + rnd_below(r, 4));
	off_t pgoff = offs[rnd_below(r, ARRAY_SIZE(offs))];
	int prot = one_in(r, 4) ? PROT_READ : PROT_READ | PROT_WRITE;
	uint8_t buf[64];

	if (v < 0)
		return;
	busy_begin(t, BUSY_OTHER, 0);
	if (map_run(obj_fd(v), addr, len, pgoff, prot)) {
		/* touch every page: SIGBUS past the vCPU's pages, SEGV if RO */
		for (i = 0; i < len; i += PAGE) {
			prot_copy(buf, (void *)(addr + i), sizeof(buf));
			if (one_in(r, 2))
				prot_fill((void *)(addr + i + rnd_below(r, PAGE - 8)), r, 8);
		}
		if (one_in(r, 3))
			arena_unmap(addr, len);
	}
	busy_end(t);
	/* and now and then the primary mapping goes, under KVM_RUN */
	if (one_in(r, 8)) {
		uint64_t run = 0, run_len = 0;

		pthread_mutex_lock(&objs_lock);
		run = objs[v].run;
		run_len = objs[v].run_len;
		pthread_mutex_unlock(&objs_lock);
		if (run) {
			trace(t, "unmap primary kvm_run of obj %d (running %d)", v,
			      objs[v].running);
			arena_unmap(run, run_len);
			if (one_in(r, 2) && obj_fd(v) >= 0)
				map_run(obj_fd(v), run, run_len, 0,
					PROT_READ | PROT_WRITE);
		}
	}
	obj_put(v);
}

/* Scribble over a vCPU's kvm_run (and PIO page), preferably while it runs. */
static void op_scribble(struct fthread *t, struct rng *r)
{
	static const uint16_t offs[] = {
		offsetof(struct kvm_run, request_interrupt_window),
		offsetof(struct kvm_run, immediate_exit),
		offsetof(struct kvm_run, exit_reason),
		offsetof(struct kvm_run, ready_for_interrupt_injection),
		offsetof(struct kvm_run, if_flag),
		offsetof(struct kvm_run, flags),
		offsetof(struct kvm_run, cr8),
		offsetof(struct kvm_run, apic_base),
		offsetof(struct kvm_run, io),
		offsetof(struct kvm_run, io.data_offset),
		offsetof(struct kvm_run, mmio.data),
		offsetof(struct kvm_run, mmio.len),
		offsetof(struct kvm_run, kvm_valid_regs),
		offsetof(struct kvm_run, kvm_dirty_regs),
		offsetof(struct kvm_run, s),
	};
	int v = obj_get(t, r, OBJ_VCPU, true), n, k;
	uint64_t run;

	if (v < 0)
		return;
	run = objs[v].run;
	n = 1 + rnd_below(r, 64);
	for (k = 0; run && k < n; k++) {
		uint64_t off;
		size_t len = 1 + rnd_below(r, 8);

		switch (rnd_below(r, 4)) {
		case 0:
			off = offs[rnd_below(r, ARRAY_SIZE(offs))];
			break;
		case 1:
			off = offsetof(struct kvm_run, s) + rnd_below(r, 2048);
			break;
		case 2:
			off = PAGE + rnd_below(r, PAGE - 8);	/* PIO data */
			break;
		default:
			off = rnd_below(r, PAGE - 8);
			break;
		}
		if (off + len > objs[v].run_len && off + len > 2 * PAGE)
			continue;
		if (off + len > offsetof(struct kvm_run, kvm_dirty_regs) &&
		    off < offsetof(struct kvm_run, kvm_dirty_regs) + 8) {
			/* regs and events; never sregs (see sanitize_tr()) */
			uint64_t bits = rnd_below(r, 8) & ~2ull;

			prot_copy((void *)(run + offsetof(struct kvm_run, kvm_dirty_regs)),
				  &bits, 8);
			continue;
		}
		prot_fill((void *)(run + off), r, len);
	}
	obj_put(v);
}

/* Replace, protect, advise or move guest memory under running vCPUs. */
static void op_mem_chaos(struct fthread *t, struct rng *r)
{
	int vm = obj_get(t, r, OBJ_VM, true), k;
	uint64_t addr, len, sub, sublen;

	if (vm < 0)
		return;
	pthread_mutex_lock(&objs_lock);
	k = objs[vm].nchunks ? 2 * (int)rnd_below(r, objs[vm].nchunks / 2) : -1;
	addr = k >= 0 ? objs[vm].chunks[k] : 0;
	len = k >= 0 ? objs[vm].chunks[k + 1] : 0;
	pthread_mutex_unlock(&objs_lock);
	if (!addr) {
		obj_put(vm);
		return;
	}
	sub = addr + PAGE * rnd_below(r, len / PAGE);
	sublen = PAGE * (1 + rnd_below(r, (addr + len - sub) / PAGE));
	if (one_in(r, 4)) {
		sub = addr;
		sublen = len;
	}
	trace(t, "mem_chaos obj %d [%#lx +%#lx] (running %d)", vm,
	      (unsigned long)sub, (unsigned long)sublen, objs[vm].running);
	busy_begin(t, BUSY_OTHER, 0);
	switch (rnd_below(r, 9)) {
	case 0:
		arena_map(sub, sublen, PROT_READ | PROT_WRITE, false);
		break;
	case 1:
		arena_map(sub, sublen, PROT_READ | PROT_WRITE, true);
		break;
	case 2:
		mprotect((void *)sub, sublen, PROT_READ);
		break;
	case 3:
		mprotect((void *)sub, sublen, PROT_NONE);
		break;
	case 4:
		mprotect((void *)sub, sublen, PROT_READ | PROT_WRITE);
		break;
	case 5:
		madvise((void *)sub, sublen, MADV_DONTNEED);
		break;
	case 6:
		madvise((void *)sub, sublen, one_in(r, 2) ? MADV_HUGEPAGE :
			MADV_NOHUGEPAGE);
		break;
	case 7:
		munmap((void *)sub, sublen);
		break;
	default: {
		/* move the pages elsewhere in the arena, fresh ones here */
		uint64_t to = gmem_alloc(sublen);

		if (to && mremap((void *)sub, sublen, sublen,
				 MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to) != MAP_FAILED)
			arena_map(sub, sublen, PROT_READ | PROT_WRITE, false);
		if (to)
			arena_unmap(to, sublen);
		break;
	}
	}
	busy_end(t);
	obj_put(vm);
}

/* Map and unmap the page bad pointers point into now and then. */
static void op_flaky(struct fthread *t, struct rng *r)
{
	if (one_in(r, 2))
		arena_map(FLAKY_PAGE, PAGE, PROT_READ | PROT_WRITE, false);
	else
		arena_unmap(FLAKY_PAGE, PAGE);
}

/* Write random instructions over a VM's RAM, maybe while it runs. */
static void op_guest_write(struct fthread *t, struct rng *r)
{
	int vm = obj_get(t, r, OBJ_VM, true);
	uint64_t ram, off;

	if (vm < 0)
		return;
	ram = objs[vm].ram;
	off = 0x10000 + rnd_below(r, 0x12000);	/* code and data */
	if (ram)
		prot_fill((void *)(ram + off), r, 1 + rnd_below(r, 256));
	obj_put(vm);
}

/* ------------------------------------------------------------------ */
/* Children                                                            */
/* ------------------------------------------------------------------ */

static bool link_is(const char *link, const char *kind)
{
	char a[40], b[40];

	snprintf(a, sizeof(a), "anon_inode:kvm-%s", kind);
	snprintf(b, sizeof(b), "anon_inode:khv-%s", kind);
	if (!strcmp(kind, "vcpu:"))
		return !strncmp(link, a, strlen(a)) || !strncmp(link, b, strlen(b));
	return !strcmp(link, a) || !strcmp(link, b);
}

/*
 * In a fork child: every VM and vCPU fd inherited from the parent must
 * answer EIO, whatever the ioctl. Only system calls here (the parent has
 * other threads, which may have held locks at fork()).
 */
static int __attribute__((noreturn)) child_check_eio(struct fthread *t, uint64_t seed,
						     const int *fds, int nfds)
{
	static const unsigned long vm_cmds[] = {
		KVM_CHECK_EXTENSION, KVM_CREATE_VCPU, KVM_SET_USER_MEMORY_REGION,
		KVM_SET_TSS_ADDR, KVM_GET_DIRTY_LOG, KVM_SET_IDENTITY_MAP_ADDR,
		KVM_SET_GSI_ROUTING, 0xae00ff,
	};
	static const unsigned long vcpu_cmds[] = {
		KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
		KVM_INTERRUPT, KVM_NMI, KVM_GET_MSRS, KVM_SET_CPUID2,
		KVM_GET_VCPU_EVENTS, KVM_SET_SIGNAL_MASK, 0xae00ff,
	};
	struct child_report *rep = &child_reports[t->id];
	struct rng r = { seed };
	uint8_t buf[4096];
	char path[64], link[64];
	int i, k;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < nfds; i++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		for (k = 0; k < 2; k++) {
			unsigned long cmd;
			long ret;

			if (link_is(link, "vm"))
				cmd = vm_cmds[rnd_below(&r, ARRAY_SIZE(vm_cmds))];
			else if (link_is(link, "vcpu:"))
				cmd = vcpu_cmds[rnd_below(&r, ARRAY_SIZE(vcpu_cmds))];
			else
				break;
			ret = ioctl(fds[i], cmd, cmd == KVM_CREATE_VCPU ||
				    cmd == KVM_SET_TSS_ADDR ||
				    cmd == KVM_CHECK_EXTENSION ? 1ul : (unsigned long)buf);
			if (ret < 0)
				ret = -errno;
			if (ret != -EIO && ret != -EBADF) {
				rep->fd = fds[i];
				rep->cmd = cmd;
				rep->ret = ret;
				memcpy(rep->link, link, sizeof(rep->link));
				_exit(3);
			}
		}
	}
	_exit(0);
}

static void op_fork(struct fthread *t, struct rng *r)
{
	int fds[MAX_OBJS], n = 0, i, status = 0;
	uint64_t seed = rnd64(r);
	pid_t pid;

	pthread_mutex_lock(&objs_lock);
	for (i = 0; i < MAX_OBJS; i++)
		if ((objs[i].kind == OBJ_VM || objs[i].kind == OBJ_VCPU) &&
		    objs[i].fd >= 0)
			fds[n++] = objs[i].fd;
	pthread_mutex_unlock(&objs_lock);
	busy_begin(t, BUSY_OTHER, 0);
	pid = fork();
	if (pid == 0)
		child_check_eio(t, seed, fds, n);
	busy_end(t);
	if (pid < 0)
		return;
	t->forks++;
	busy_begin(t, BUSY_WAIT, 0);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	busy_end(t);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		struct child_report *rep = &child_reports[t->id];

		unexpected(t, "fork child: fd %d (%s): %s returned %ld, not EIO",
			   rep->fd, rep->link, ioctl_name(rep->cmd), rep->ret);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unexpected(t, "fork child: status %#x", status);
	}
}

/*
 * In a kill child: a VM of its own whose vCPU spins (or runs @code) in
 * KVM_RUN until the parent's SIGKILL.
 */
static void __attribute__((noreturn)) child_spin(struct fthread *t, const uint8_t *code,
						 size_t len, bool sigmask)
{
	struct kvm_userspace_memory_region m;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint8_t *mem;
	int sys, vm, vcpu;

	sys = open(cfg.dev, O_RDWR);
	vm = sys < 0 ? -1 : ioctl(sys, KVM_CREATE_VM, 0);
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		_exit(5);
	memcpy(mem + 0x1000, code, len);
	m = (struct kvm_userspace_memory_region){ .slot = 0,
		.memory_size = 1 << 20, .userspace_addr = (uint64_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m))
		_exit(5);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0 || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		_exit(5);
	mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sanitize_tr(&sregs);
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	ioctl(vcpu, KVM_SET_REGS, &regs);
	if (sigmask) {
		struct {
			struct kvm_signal_mask m;
			uint64_t set;
		} sm = { .m.len = 8, .set = ~0ull };

		ioctl(vcpu, KVM_SET_SIGNAL_MASK, &sm);
	}
	child_flags[t->id] = 1;
	for (;;)
		ioctl(vcpu, KVM_RUN, 0);
}

static void op_kill_child(struct fthread *t, struct rng *r)
{
	uint8_t code[256];
	int status = 0, i;
	pid_t pid;
	size_t len;

	/* mostly a spin; else random code, ending in a spin */
	len = rnd_below(r, 200);
	rnd_fill(r, code, len);
	if (one_in(r, 2))
		len = 0;
	code[len++] = 0xeb;
	code[len++] = 0xfe;
	child_flags[t->id] = 0;
	busy_begin(t, BUSY_OTHER, 0);
	pid = fork();
	if (pid == 0)
		child_spin(t, code, len, one_in(r, 2));
	busy_end(t);
	if (pid < 0)
		return;
	t->kills++;
	busy_begin(t, BUSY_WAIT, 0);
	/* until it runs (or gives up), then a little more */
	for (i = 0; i < 2000 && !child_flags[t->id]; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			goto reaped;
		usleep(1000);
	}
	usleep(rnd_below(r, 20000));
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
reaped:
	busy_end(t);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 5)
		return;		/* could not set up its VM (e.g. out of memory) */
	unexpected(t, "kill child: status %#x", status);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

static void run_op(struct fthread *t, uint64_t op)
{
	struct rng r = { op };
	int kind = (int)(op >> 56);

	t->cur_op = kind;
	t->cur_op_seed = op;
	if (kind >= NR_OPS)
		return;
	trace(t, "op %s %#llx", op_names[kind], (unsigned long long)op);
	switch (kind) {
	case OP_SYS_IOCTL:	op_sys_ioctl(t, &r); break;
	case OP_VM_IOCTL:	op_vm_ioctl(t, &r); break;
	case OP_VCPU_IOCTL:	op_vcpu_ioctl(t, &r); break;
	case OP_RANDOM_IOCTL:	op_random_ioctl(t, &r); break;
	case OP_MEMSLOT:	op_memslot(t, &r); break;
	case OP_RUN:		op_run(t, &r); break;
	case OP_SCENARIO:	op_scenario(t, &r); break;
	case OP_SCRIBBLE:	op_scribble(t, &r); break;
	case OP_GUEST_WRITE:	op_guest_write(t, &r); break;
	case OP_OPEN_SYS:	op_open_sys(t, &r); break;
	case OP_CREATE_VM:	op_create_vm(t, &r); break;
	case OP_CREATE_VCPU:	op_create_vcpu(t, &r); break;
	case OP_CLOSE:		op_close(t, &r); break;
	case OP_MMAP_RUN:	op_mmap_run(t, &r); break;
	case OP_MEM_CHAOS:	op_mem_chaos(t, &r); break;
	case OP_FLAKY:		op_flaky(t, &r); break;
	case OP_FORK:		op_fork(t, &r); break;
	case OP_KILL_CHILD:	op_kill_child(t, &r); break;
	}
}

/* The calling thread becomes @t: its timer for KVM_RUN. */
static void thread_setup(struct fthread *t)
{
	struct sigevent sev;

	self = t;
	t->tid = gettid();
	t->run_obj = -1;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = t->tid;
	t->timer_ok = !timer_create(CLOCK_MONOTONIC, &sev, &t->timer);
}

static void *thread_main(void *arg)
{
	struct fthread *t = arg;
	struct seq s;
	uint32_t i;

	thread_setup(t);
	if (t->kcov_fd > 0 && ioctl(t->kcov_fd, KCOV_ENABLE, KCOV_TRACE_PC)) {
		printf("# kcov: KCOV_ENABLE: %s\n", strerror(errno));
		t->kcov_area = NULL;
	}
	while (!should_stop()) {
		bool mutated = false;

		if (cfg.guide != GUIDE_NONE && one_in(&t->rng, 2) &&
		    corpus_pick(&t->rng, &s)) {
			seq_mutate(&t->rng, &s);
			mutated = true;
		} else {
			seq_fresh(&t->rng, &s);
		}
		t->cur_seq_seed = s.op[0];
		cov_begin(t);
		for (i = 0; i < s.n && !should_stop(); i++)
			run_op(t, s.op[i]);
		t->seqs++;
		if (cov_end(t)) {
			t->new_cov++;
			if (cfg.guide != GUIDE_NONE)
				corpus_add(&s);
		}
		(void)mutated;
	}
	if (t->kcov_area)
		ioctl(t->kcov_fd, KCOV_DISABLE, 0);
	if (t->timer_ok)
		timer_delete(t->timer);
	return NULL;
}

static const char *const busy_names[] = { "idle", "ioctl", "KVM_RUN", "waitpid", "syscall" };
static int hang_reported;
static uint64_t n_kicks;		/* atomic */
static uint64_t n_stuck;

/* Every thread's call and its last guest: for --replay. */
static void report_threads(void)
{
	int i;

	for (i = 0; i < cfg.threads; i++) {
		struct fthread *t = &threads[i];

		printf("#   thread %d: %s %s, op %s 0x%llx; last KVM_RUN: vCPU obj %d, mode %d, by op 0x%llx\n",
		       i, busy_names[t->busy], t->busy ? ioctl_name(t->busy_cmd) : "",
		       t->cur_op < NR_OPS ? op_names[t->cur_op] : "?",
		       (unsigned long long)t->cur_op_seed, t->run_obj, t->run_mode,
		       (unsigned long long)t->run_op_seed);
	}
}

/* Where in the kernel each fuzzing thread is (root only: else nothing). */
static void dump_kernel_stacks(void)
{
	char path[64], line[256];
	int i;

	/* $KHV_FUZZ_SYSRQ: the running CPUs' backtraces into the kernel log */
	if (getenv("KHV_FUZZ_SYSRQ")) {
		FILE *f = fopen("/proc/sysrq-trigger", "w");

		if (f) {
			fputs("l", f);
			fclose(f);
		}
	}
	for (i = 0; i < cfg.threads; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", threads[i].tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		printf("# thread %d kernel stack:\n", i);
		while (fgets(line, sizeof(line), f))
			printf("#   %s", line);
		fclose(f);
		/* its state, CPU and signal masks: can a kick reach it? */
		snprintf(path, sizeof(path), "/proc/self/task/%d/status", threads[i].tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "State:", 6) || !strncmp(line, "Sig", 3) ||
			    !strncmp(line, "ShdPnd:", 7))
				printf("#   %s", line);
		fclose(f);
	}
}

static void report_hang(struct fthread *t, double secs)
{
	unsigned int i;

	if (__atomic_exchange_n(&hang_reported, 1, __ATOMIC_ACQ_REL))
		return;
	printf("# HANG: thread %d (tid %d) in %s %s for %.1f s, op %s, sequence 0x%llx, seed 0x%llx\n",
	       t->id, t->tid, busy_names[t->busy], ioctl_name(t->busy_cmd), secs,
	       t->cur_op < NR_OPS ? op_names[t->cur_op] : "?",
	       (unsigned long long)t->cur_seq_seed, (unsigned long long)cfg.seed);
	printf("# its last ioctls:");
	for (i = 0; i < HIST; i++) {
		struct hist_ent *h = &t->hist[(t->hpos + i) % HIST];

		if (h->cmd)
			printf(" %s=%ld", ioctl_name(h->cmd), h->ret);
	}
	printf("\n");
	report_threads();
	dump_kernel_stacks();
	printf("not ok 1 fuzz\n");
	fflush(stdout);
}

struct watchdog {
	pthread_t pt;
	int cpu;		/* pinned to it, or -1 */
	bool main;		/* progress lines and the time bound */
	volatile int *running;
};

/*
 * The watchdogs, one pinned to each CPU: every 100 ms, each thread's
 * current call. A KVM_RUN older than 200 ms (its timer fires within 3 ms)
 * gets SIGUSR1 every 200 ms and must return within 20 s of the first;
 * any other call must end within 20 s (it is kicked every second too).
 *
 * The kicks also work around the test machine: its TCG (QEMU 7.2) can
 * lose a CPU's interrupt request when a VMRUN races with a timer (see
 * Documentation/qemu-libvirt.md), and that CPU then stays in the guest
 * for good unless another interrupt arrives, such as the IPI a signal
 * sends. A watchdog sleeping on the stuck CPU would never wake, hence
 * one per CPU.
 */
static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	uint64_t seen_seq[MAX_THREADS] = { 0 };
	double seen_at[MAX_THREADS] = { 0 }, kicked_at[MAX_THREADS] = { 0 };
	double first_kick[MAX_THREADS] = { 0 }, last_progress = ksft_mono_s();
	int reported[MAX_THREADS] = { 0 };

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	while (__atomic_load_n(w->running, __ATOMIC_ACQUIRE)) {
		double now = ksft_mono_s();
		int i;

		usleep(100000);
		if (w->main && cfg.max_seconds && now - t_start >= cfg.max_seconds)
			stop_now = 1;
		if (w->main && now - last_progress >= 30) {
			uint64_t n = __atomic_load_n(&n_ioctls, __ATOMIC_RELAXED);

			printf("# progress: %llu ioctls, %.0f/s, %.0f s\n",
			       (unsigned long long)n, n / (now - t_start), now - t_start);
			fflush(stdout);
			last_progress = now;
		}
		for (i = 0; i < cfg.threads; i++) {
			struct fthread *t = &threads[i];
			int busy = __atomic_load_n(&t->busy, __ATOMIC_ACQUIRE);
			uint64_t seq = __atomic_load_n(&t->busy_seq, __ATOMIC_ACQUIRE);
			double age, every = busy == BUSY_RUN ? 0.2 : 1;

			if (busy == BUSY_NONE || seq != seen_seq[i]) {
				seen_seq[i] = seq;
				seen_at[i] = now;
				kicked_at[i] = first_kick[i] = 0;
				reported[i] = 0;
				continue;
			}
			age = now - seen_at[i];
			if (age > every && now - kicked_at[i] > every) {
				__atomic_add_fetch(&n_kicks, 1, __ATOMIC_RELAXED);
				pthread_kill(t->pt, SIGUSR1);
				kicked_at[i] = now;
				if (!first_kick[i])
					first_kick[i] = now;
			}
			/* once per stuck call, by whichever watchdog sees it first */
			if (busy == BUSY_RUN && age > 2 && !reported[i] &&
			    __atomic_exchange_n(&t->stuck_seq, seq, __ATOMIC_ACQ_REL) != seq) {
				reported[i] = 1;
				n_stuck++;
				printf("# stuck: thread %d in KVM_RUN for %.1f s despite kicks\n",
				       i, age);
				report_threads();
				dump_kernel_stacks();
				fflush(stdout);
			}
			if ((busy == BUSY_RUN && first_kick[i] && now - first_kick[i] > 20) ||
			    (busy != BUSY_RUN && age > 20)) {
				failed_hard = 1;
				report_hang(t, age);
				_exit(1);
			}
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The end: close everything, look for leftovers                       */
/* ------------------------------------------------------------------ */

/* Does what @fd refers to (its /proc/self/fd link) start with @prefix? */
bool fd_link_is(int fd, const char *prefix)
{
	char path[64], link[80];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	return !strncmp(link, prefix, strlen(prefix));
}

static bool is_kvm_fd(int fd)
{
	return fd_link_is(fd, "anon_inode:kvm-") ||
	       fd_link_is(fd, "anon_inode:khv-") || fd_link_is(fd, cfg.dev);
}

static void close_everything(void)
{
	int fds[1024], n = 0, i;
	DIR *d;
	struct dirent *e;

	for (i = 0; i < MAX_OBJS; i++)
		if (objs[i].kind != OBJ_FREE && objs[i].fd >= 0)
			close(objs[i].fd);
	/* whatever the table lost track of (fd numbers raced away) */
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d)) && n < 1024)
		if (e->d_name[0] != '.')
			fds[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		if (is_kvm_fd(fds[i]))
			close(fds[i]);
	/* every kvm_run mapping, guest memory, scratch */
	munmap((void *)ARENA_BASE, ARENA_SIZE);
}

static long read_debugfs(const char *name)
{
	char path[128], buf[32];
	long v = -1;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/khv/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		v = strtol(buf, NULL, 10);
	close(fd);
	return v;
}

/* 0 if nothing is left (or nothing can tell), else 1 with a diagnostic. */
static int check_leftovers(void)
{
	long vms = -1, vcpus = -1, pages = -1;
	int i;

	for (i = 0; i < 100; i++) {
		if (cfg.is_khv) {
			vms = read_debugfs("vms");
			vcpus = read_debugfs("vcpus");
			pages = read_debugfs("pages");
		} else {
			vms = khv_live_vms();
			vcpus = khv_live_vcpus();
			pages = 0;
		}
		if (vms <= 0 && vcpus <= 0 && pages <= 0)
			break;
		usleep(100000);
	}
	if (vms < 0) {
		printf("# leftovers: debugfs unreadable, not checked\n");
		return 0;
	}
	printf("# leftovers after close: vms %ld vcpus %ld pages %ld\n", vms,
	       vcpus, cfg.is_khv ? pages : 0);
	if (vms > 0 || vcpus > 0 || pages > 0) {
		unexpected(NULL, "objects left after everything was closed: vms %ld vcpus %ld pages %ld",
			   vms, vcpus, pages);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

static int query_device(void)
{
	struct kvm_msr_list *ml;
	int fd = open(cfg.dev, O_RDWR | O_CLOEXEC);
	int n = 8;

	if (fd < 0)
		return -errno;
	vcpu_mmap_size = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu_mmap_size <= 0 || vcpu_mmap_size > (long)RUNMAP_STRIDE)
		vcpu_mmap_size = 2 * PAGE;
	for (;;) {
		supported_cpuid = calloc(1, sizeof(*supported_cpuid) +
					 n * sizeof(struct kvm_cpuid_entry2));
		supported_cpuid->nent = n;
		if (!ioctl(fd, KVM_GET_SUPPORTED_CPUID, supported_cpuid))
			break;
		free(supported_cpuid);
		supported_cpuid = NULL;
		if (errno != E2BIG || n >= 256)
			break;
		n *= 2;
	}
	ml = calloc(1, sizeof(*ml) + 256 * 4);
	ml->nmsrs = 256;
	if (!ioctl(fd, KVM_GET_MSR_INDEX_LIST, ml)) {
		nmsr_list = ml->nmsrs > 256 ? 256 : ml->nmsrs;
		memcpy(msr_list, ml->indices, nmsr_list * 4);
	}
	free(ml);
	close(fd);
	if (!supported_cpuid) {
		supported_cpuid = calloc(1, sizeof(*supported_cpuid));
		printf("# KVM_GET_SUPPORTED_CPUID failed\n");
	}
	return 0;
}

static void usage(void)
{
	printf("usage: khv_fuzz [--device PATH] [--seed N] [--ioctls N] [--seconds S]\n"
	       "                [--threads T] [--guide kcov|results|none] [--ops LIST]\n"
	       "                [--guest full|tcg] [--replay OP,OP...] [--trace] [--self-test]\n");
	exit(2);
}

static uint32_t parse_ops(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	uint32_t mask = 0;
	int i;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_OPS; i++)
			if (!strcmp(tok, op_names[i]))
				mask |= 1u << i;
		if (!strcmp(tok, "all"))
			mask = ~0u;
	}
	free(copy);
	if (!mask)
		usage();
	return mask;
}

static int self_test(void);

/* The test machine: QEMU's TCG, whose CPU model names itself. */
static bool under_qemu_tcg(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	bool qemu = false;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			qemu = strstr(line, "QEMU") != NULL;
			break;
		}
	if (f)
		fclose(f);
	return qemu;
}

static void print_summary(double secs)
{
	static const char *const ex_names[NR_EXIT_KINDS] = {
		"io", "mmio", "hlt", "shutdown", "fail_entry", "internal",
		"intr", "irq_window", "debug", "system", "other",
		"-EINTR", "-EFAULT", "-Eother",
	};
	uint64_t ex[NR_EXIT_KINDS] = { 0 }, runs = 0, forks = 0, kills = 0;
	uint64_t faults = 0, seqs = 0;
	int i, k;

	for (i = 0; i < cfg.threads; i++) {
		runs += threads[i].runs;
		forks += threads[i].forks;
		kills += threads[i].kills;
		faults += threads[i].faults_caught;
		seqs += threads[i].seqs;
		for (k = 0; k < NR_EXIT_KINDS; k++)
			ex[k] += threads[i].exits[k];
	}
	printf("# %llu sequences, %llu fork children (EIO checks), %llu SIGKILLed children, %llu faults caught in unmapped memory, %llu watchdog kicks\n",
	       (unsigned long long)seqs, (unsigned long long)forks,
	       (unsigned long long)kills, (unsigned long long)faults,
	       (unsigned long long)n_kicks);
	if (cfg.guide == GUIDE_KCOV)
		printf("# kcov: %llu PCs (hashed), corpus %u\n",
		       (unsigned long long)cov_total, ncorpus);
	else if (cfg.guide == GUIDE_RESULTS)
		printf("# kcov: unavailable; guided by %llu result signatures, corpus %u\n",
		       (unsigned long long)cov_total, ncorpus);
	else
		printf("# kcov: %s; unguided\n",
		       threads[0].kcov_area ? "tracing only" : "unavailable");
	printf("# khv_fuzz: %llu ioctls (%.0f/s), %llu KVM_RUN, exits",
	       (unsigned long long)n_ioctls, n_ioctls / secs, (unsigned long long)runs);
	for (k = 0; k < NR_EXIT_KINDS; k++)
		printf(" %s %llu", ex_names[k], (unsigned long long)ex[k]);
	printf(", %llu unexpected errors, seed 0x%llx, %.1f s\n",
	       (unsigned long long)n_unexpected, (unsigned long long)cfg.seed, secs);
}

int main(int argc, char **argv)
{
	bool seeded = false, selftest = false;
	int i, rc, running = 1, kcov_err = 0, nwd = 0, nreplay = 0;
	uint64_t replay[64];
	struct watchdog wds[8];
	double secs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cfg.dev = getenv("KHV_DEVICE");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--trace")) {
			cfg.trace = true;
			continue;
		}
		if (!strcmp(a, "--self-test")) {
			selftest = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--device"))
			cfg.dev = v;
		else if (!strcmp(a, "--seed"))
			cfg.seed = strtoull(v, NULL, 0), seeded = true;
		else if (!strcmp(a, "--ioctls"))
			cfg.max_ioctls = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--seconds"))
			cfg.max_seconds = strtod(v, NULL);
		else if (!strcmp(a, "--threads"))
			cfg.threads = atoi(v);
		else if (!strcmp(a, "--guide"))
			cfg.guide = !strcmp(v, "kcov") ? GUIDE_KCOV :
				    !strcmp(v, "results") ? GUIDE_RESULTS :
				    !strcmp(v, "none") ? GUIDE_NONE : -2;
		else if (!strcmp(a, "--guest"))
			cfg.guest = !strcmp(v, "full") ? GUEST_FULL :
				    !strcmp(v, "tcg") ? GUEST_TCG : -2;
		else if (!strcmp(a, "--handlers"))
			cfg.handlers = !strcmp(v, "halt");
		else if (!strcmp(a, "--ops"))
			cfg.op_mask = parse_ops(v);
		else if (!strcmp(a, "--replay")) {
			char *end = (char *)v;

			while (*end && nreplay < (int)ARRAY_SIZE(replay)) {
				replay[nreplay++] = strtoull(end, &end, 0);
				if (*end == ',')
					end++;
				else if (*end)
					usage();
			}
			cfg.threads = 1;
		}
		else
			usage();
	}
	if (cfg.threads < 1 || cfg.threads > MAX_THREADS || cfg.guide == -2 ||
	    cfg.guest == -2)
		usage();
	if (cfg.guest == -1)
		cfg.guest = under_qemu_tcg() ? GUEST_TCG : GUEST_FULL;
	if (selftest)
		return self_test();
	if (!cfg.dev)
		cfg.dev = "/dev/kvm";
	cfg.is_khv = (khv_module() && !strcmp(khv_module(), "khv")) ||
		     strstr(cfg.dev, "khv");
	if (!cfg.max_ioctls && !cfg.max_seconds)
		cfg.max_ioctls = 100000;
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = mix64(ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ getpid());
	}

	printf("TAP version 13\n1..1\n");
	if (query_device() < 0) {
		printf("# cannot open %s: %s\n", cfg.dev, strerror(errno));
		printf("ok 1 fuzz # SKIP no device\n");
		return KSFT_SKIP;
	}
	install_signals();
	if (arena_init()) {
		printf("not ok 1 fuzz\n");
		return 1;
	}
	covmap = calloc(1, COV_BITS / 8);
	child_reports = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	child_flags = (volatile int *)(child_reports + MAX_THREADS);
	/* every non-KVM fd is opened now, before any KVM fd can be closed */
	for (i = 0; i < (int)ARRAY_SIZE(eventfds); i++)
		eventfds[i] = eventfd(0, EFD_CLOEXEC);
	if (cfg.guide == -1 || cfg.guide == GUIDE_KCOV || cfg.guide == GUIDE_NONE)
		kcov_err = kcov_open_all(cfg.threads);
	if (cfg.guide == -1)
		cfg.guide = kcov_err ? GUIDE_RESULTS : GUIDE_KCOV;
	if (cfg.guide == GUIDE_KCOV && kcov_err) {
		printf("# kcov: unavailable (%s); guided by result signatures\n",
		       strerror(-kcov_err));
		cfg.guide = GUIDE_RESULTS;
	}
	printf("# khv_fuzz: seed 0x%llx, %s (%s), %d threads, bound %llu ioctls / %.0f s, guide %s%s\n",
	       (unsigned long long)cfg.seed, cfg.dev, cfg.is_khv ? "khv" : "kvm",
	       cfg.threads, (unsigned long long)cfg.max_ioctls, cfg.max_seconds,
	       cfg.guide == GUIDE_KCOV ? "kcov" : cfg.guide == GUIDE_RESULTS ?
	       "result signatures" : "none",
	       kcov_err ? " (kcov: unavailable)" : "");
	printf("# kvm_run mmap size %ld, %u supported CPUID entries, %d listed MSRs, guests: %s\n",
	       vcpu_mmap_size, supported_cpuid->nent, nmsr_list,
	       cfg.guest == GUEST_TCG ? "tcg (what the test machine survives)" : "full");

	for (i = 0; i < MAX_OBJS; i++)
		objs[i].fd = -1;
	for (i = 0; i < cfg.threads; i++) {
		struct fthread *t = &threads[i];

		t->id = i;
		t->rng.s = mix64(cfg.seed + 0x1000193ull * (i + 1));
		t->scratch = arena_map(SCRATCH_BASE + i * SCRATCH_STRIDE,
				       SCRATCH_SIZE, PROT_READ | PROT_WRITE, false);
		t->feat = calloc(MAX_FEAT, sizeof(*t->feat));
		if (!t->scratch) {
			printf("not ok 1 fuzz # no scratch memory\n");
			return 1;
		}
	}
	t_start = ksft_mono_s();
	{
		cpu_set_t online;

		CPU_ZERO(&online);
		sched_getaffinity(0, sizeof(online), &online);
		for (i = 0; i < CPU_SETSIZE && nwd < (int)ARRAY_SIZE(wds); i++) {
			if (!CPU_ISSET(i, &online))
				continue;
			wds[nwd] = (struct watchdog){ .cpu = i, .main = !nwd,
						      .running = &running };
			pthread_create(&wds[nwd].pt, NULL, watchdog_main, &wds[nwd]);
			nwd++;
		}
	}
	if (nreplay) {
		/* one VM with slot 0, vCPU 0, then the given operations */
		struct fthread *t = &threads[0];
		struct rng r = { 1 };
		int s;

		threads[0].pt = pthread_self();
		thread_setup(t);
		op_open_sys(t, &r);
		s = get_sys(t, &r);
		if (s >= 0) {
			int fd = (int)fz_ioctl(t, obj_fd(s), KVM_CREATE_VM, 0);

			if (fd >= 0) {
				int vm = obj_add_vm(t, fd);

				if (vm >= 0) {
					set_main_slot(t, vm);
					fd = (int)fz_ioctl(t, fd, KVM_CREATE_VCPU, 0);
					if (fd >= 0)
						adopt_vcpu(t, &r, vm, fd, 0);
					obj_put(vm);
				}
			}
			obj_put(s);
		}
		for (i = 0; i < nreplay && !should_stop(); i++) {
			printf("# replay: op %s 0x%llx\n", op_names[replay[i] >> 56 < NR_OPS ?
			       replay[i] >> 56 : 0], (unsigned long long)replay[i]);
			run_op(t, replay[i]);
		}
	} else {
		for (i = 0; i < cfg.threads; i++)
			pthread_create(&threads[i].pt, NULL, thread_main, &threads[i]);
		for (i = 0; i < cfg.threads; i++)
			pthread_join(threads[i].pt, NULL);
	}
	secs = ksft_mono_s() - t_start;
	__atomic_store_n(&running, 0, __ATOMIC_RELEASE);
	for (i = 0; i < nwd; i++)
		pthread_join(wds[i].pt, NULL);

	close_everything();
	for (i = 0; i < cfg.threads; i++)
		if (threads[i].kcov_fd > 0)
			close(threads[i].kcov_fd);
	rc = check_leftovers();
	print_summary(secs);
	rc |= n_unexpected > 0 || failed_hard;
	printf("%s 1 fuzz\n", rc ? "not ok" : "ok");
	return rc ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* --self-test: the fuzzer's own machinery, no device needed           */
/* ------------------------------------------------------------------ */

static int st_rng(void)
{
	struct rng a = { 42 }, b = { 42 }, c = { 43 };
	int i, same = 1, differ = 0;

	for (i = 0; i < 1000; i++) {
		uint64_t x = rnd64(&a), y = rnd64(&b), z = rnd64(&c);

		same &= x == y;
		differ |= x != z;
	}
	for (i = 0; i < 10000; i++)
		if (rnd_below(&a, 7) >= 7)
			return KSFT_FAIL;
	return same && differ ? KSFT_PASS : KSFT_FAIL;
}

/* Does [a, a + 1) lie in one of our own (non-arena) mappings? */
static bool in_own_mapping(uint64_t a)
{
	static uint64_t lo[512], hi[512];
	static int n = -1;
	int i;

	if (n < 0) {
		FILE *f = fopen("/proc/self/maps", "r");
		char line[512];

		n = 0;
		while (f && fgets(line, sizeof(line), f) && n < 512) {
			unsigned long s, e;

			if (sscanf(line, "%lx-%lx", &s, &e) == 2 && !in_arena(s)) {
				lo[n] = s;
				hi[n++] = e;
			}
		}
		if (f)
			fclose(f);
	}
	for (i = 0; i < n; i++)
		if (a >= lo[i] && a < hi[i])
			return true;
	return false;
}

static int st_safe_pointers(void)
{
	struct fthread t = { .id = 0 };
	struct rng r = { 7 };
	int i;

	t.scratch = (uint8_t *)SCRATCH_BASE;
	for (i = 0; i < 200000; i++) {
		bool valid;
		uint64_t v = safe_value(&r);
		uint64_t p = arg_ptr(&t, &r, 64, SCRATCH_BASE, &valid);

		if (in_own_mapping(v) || in_own_mapping(p)) {
			printf("# %#llx or %#llx points into the fuzzer\n",
			       (unsigned long long)v, (unsigned long long)p);
			return KSFT_FAIL;
		}
		if (valid && p != SCRATCH_BASE && !in_arena(p))
			return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int st_prot(void)
{
	struct fthread t = { .id = 0 };
	uint8_t buf[16] = { 0 };
	struct rng r = { 1 };

	self = &t;
	if (prot_copy(buf, (void *)HOLE_PAGE, sizeof(buf)))
		return KSFT_FAIL;
	if (prot_fill((void *)HOLE_PAGE, &r, 8))
		return KSFT_FAIL;
	if (!prot_copy((void *)SCRATCH_BASE, buf, sizeof(buf)))
		return KSFT_FAIL;
	/* and again: the handler must not stay blocked after a longjmp */
	if (prot_copy(buf, (void *)HOLE_PAGE, 1))
		return KSFT_FAIL;
	self = NULL;
	return t.faults_caught == 3 ? KSFT_PASS : KSFT_FAIL;
}

/*
 * Guidance on a synthetic target: an operation's "coverage" is a few
 * features of its kind and seed; the corpus must grow, stay bounded, and
 * mutated sequences must stay well formed.
 */
static int st_corpus(void)
{
	struct fthread t = { .id = 0 };
	struct rng r = { 99 };
	struct seq s;
	int round, guided_new = 0;
	uint32_t i;

	t.feat = calloc(MAX_FEAT, sizeof(*t.feat));
	cfg.guide = GUIDE_RESULTS;
	for (round = 0; round < 20000; round++) {
		if (one_in(&r, 2) && corpus_pick(&r, &s))
			seq_mutate(&r, &s);
		else
			seq_fresh(&r, &s);
		if (!s.n || s.n > SEQ_MAX)
			return KSFT_FAIL;
		cov_begin(&t);
		for (i = 0; i < s.n; i++) {
			if ((s.op[i] >> 56) >= NR_OPS)
				return KSFT_FAIL;
			/* "deep" features need the same kind twice in a row */
			feature(&t, (s.op[i] >> 56) * 1000 + (s.op[i] & 63));
			if (i && (s.op[i] >> 56) == (s.op[i - 1] >> 56))
				feature(&t, 1ull << 40 | (s.op[i] & 0xfff));
		}
		if (cov_end(&t)) {
			corpus_add(&s);
			guided_new++;
		}
	}
	printf("# synthetic target: %llu features, corpus %u, %d sequences with new ones\n",
	       (unsigned long long)cov_total, ncorpus, guided_new);
	free(t.feat);
	return ncorpus > 10 && ncorpus <= CORPUS_MAX && cov_total > 1000 ?
	       KSFT_PASS : KSFT_FAIL;
}

/* KCOV: say whether it is there; if it is, that a trace comes back. */
static int st_kcov(void)
{
	int err = kcov_open_all(1);
	uint64_t n;

	if (err) {
		printf("# kcov: unavailable (%s)\n", strerror(-err));
		return KSFT_PASS;
	}
	if (ioctl(threads[0].kcov_fd, KCOV_ENABLE, KCOV_TRACE_PC)) {
		printf("# kcov: KCOV_ENABLE: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	__atomic_store_n(&threads[0].kcov_area[0], 0, __ATOMIC_RELAXED);
	close(open(cfg.dev ? cfg.dev : "/dev/kvm", O_RDWR));
	n = __atomic_load_n(&threads[0].kcov_area[0], __ATOMIC_RELAXED);
	ioctl(threads[0].kcov_fd, KCOV_DISABLE, 0);
	printf("# kcov: available, %llu PCs traced for an open/close of the device\n",
	       (unsigned long long)n);
	return KSFT_PASS;
}

static int st_ioctl_table(void)
{
	return ioctl_table_check() ? KSFT_FAIL : KSFT_PASS;
}

static int st_guest_codegen(void)
{
	return guest_codegen_check() ? KSFT_FAIL : KSFT_PASS;
}

static int self_test(void)
{
	static const struct ksft_case cases[] = {
		{ "rng", st_rng },
		{ "safe_pointers", st_safe_pointers },
		{ "prot_copy", st_prot },
		{ "corpus", st_corpus },
		{ "kcov", st_kcov },
		{ "ioctl_table", st_ioctl_table },
		{ "guest_codegen", st_guest_codegen },
	};

	install_signals();
	if (arena_init())
		return KSFT_FAIL;
	covmap = calloc(1, COV_BITS / 8);
	arena_map(SCRATCH_BASE, SCRATCH_SIZE, PROT_READ | PROT_WRITE, false);
	supported_cpuid = calloc(1, sizeof(*supported_cpuid) + 4 * sizeof(struct kvm_cpuid_entry2));
	supported_cpuid->nent = 4;
	supported_cpuid->entries[1].function = 1;
	supported_cpuid->entries[2].function = 0x80000001;
	supported_cpuid->entries[3].function = 0x80000008;
	supported_cpuid->entries[3].eax = 0x3028;
	return KSFT_RUN(cases);
}
