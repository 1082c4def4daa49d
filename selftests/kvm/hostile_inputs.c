// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile user space: what a VMM can do on purpose to the hypervisor
 * through the ordinary ABI, and what must hold afterwards. The device is
 * open to any VMM, so none of this may crash, hang, leak or overrun the
 * host; each case proves one of khv's hardening fixes and would catch
 * its regression (some only as a splat on the debug kernel, whose
 * KASAN/UBSAN reports the test machine turns into failures):
 *
 *  - KVM_CREATE_VCPU that fails at the very end (no fd left: EMFILE),
 *    alone and racing a running vCPU and KVM_GET_DIRTY_LOG, whose TLB
 *    flush walks the VM's vCPUs: nothing half-created stays behind (the
 *    same id can be created at once, the live vCPU count does not grow),
 *    and no walk sees a vCPU that is then freed (a use after free);
 *  - any byte as MAXPHYADDR (CPUID 0x80000008 EAX[7:0]), with a guest that
 *    makes the hypervisor walk its page tables (an MMIO access): refusing
 *    the value, a guest exception or a failed KVM_RUN are all fine, but
 *    the run must end, a value taken must not break emulation, and no
 *    address shift may go past 63 bits (a UBSAN splat on a debug kernel,
 *    which fails the run);
 *  - khv's benchmark ioctl only for CAP_SYS_ADMIN;
 *  - guest memory khv pins is locked memory of the VMM: VmPin, held to
 *    RLIMIT_MEMLOCK without CAP_IPC_LOCK, all released at close;
 *  - a 64 GiB dirty-logged slot: its long loops (logging on, the log,
 *    deletion) end and report exactly the pages written;
 *  - MSR filters: one with a faulting bitmap refused whole, the largest
 *    one taken, and filters replaced without pause under a vCPU that
 *    exits on RDMSR.
 *
 * The khv-only cases (bench, pins) are skipped on stock KVM, which has no
 * bench ioctl and does not pin guest memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/khv.h>

#include "guest.h"

static int sys_fd;

static bool on_khv(void)
{
	const char *m = khv_module();

	return m && !strcmp(m, "khv");
}

/* The fd number the next open would get. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

static int set_nofile(rlim_t cur)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	rl.rlim_cur = cur;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/* A vCPU fd that answers: KVM_GET_REGS and a kvm_run mapping work. */
static bool vcpu_fd_works(int fd)
{
	long sz = khv_ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_regs regs;
	void *run;

	if (sz <= 0 || khv_ioctl(fd, KVM_GET_REGS, (unsigned long)&regs))
		return false;
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		return false;
	munmap(run, sz);
	return true;
}

/* ------------------------------------------------------------------ */
/* 1. KVM_CREATE_VCPU failing with EMFILE leaves nothing behind        */
/* ------------------------------------------------------------------ */

/*
 * RLIMIT_NOFILE at the lowest free fd: the vCPU is built, then its fd
 * cannot be allocated. The same id must then be created for good, and
 * the live vCPU count show exactly one more. A vCPU lives as long as its
 * VM (KVM cannot free one alone), so each VM takes EMFILE_IDS ids and
 * then goes; the counts must end where they began.
 */
#define EMFILE_VMS	10
#define EMFILE_IDS	30

static int t_vcpu_create_emfile_no_leak(void)
{
	int vms0 = khv_live_vms(), vcpus0 = khv_live_vcpus();
	struct rlimit loose;
	int i, id, vm, fd, before, after, tight;

	CHECK(vms0 >= 0 && vcpus0 >= 0, "no live VM/vCPU counts in debugfs");
	CHECK(!getrlimit(RLIMIT_NOFILE, &loose), "getrlimit");
	for (i = 0; i < EMFILE_VMS; i++) {
		vm = khv_create_vm(sys_fd);
		CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
		for (id = 0; id < EMFILE_IDS; id++) {
			before = khv_live_vcpus();
			tight = lowest_free_fd();
			CHECK(tight > 0, "F_DUPFD: %s", strerror(errno));
			CHECK(!set_nofile(tight), "RLIMIT_NOFILE %d", tight);
			fd = khv_create_vcpu(vm, id);
			CHECK(!set_nofile(loose.rlim_cur), "restoring RLIMIT_NOFILE");
			if (fd >= 0)
				close(fd);
			CHECK(fd == -EMFILE, "VM %d vCPU %d with no fd left: %d",
			      i, id, fd);
			after = khv_live_vcpus();
			CHECK(after == before,
			      "VM %d vCPU %d: %d live vCPUs after EMFILE, %d before",
			      i, id, after, before);
			fd = khv_create_vcpu(vm, id);
			CHECK(fd >= 0, "VM %d vCPU %d again after EMFILE: %d",
			      i, id, fd);
			CHECK(vcpu_fd_works(fd), "VM %d vCPU %d: fd does not work",
			      i, id);
			close(fd);
			after = khv_live_vcpus();
			CHECK(after == before + 1,
			      "VM %d vCPU %d: %d live vCPUs after creating it, %d before",
			      i, id, after, before);
		}
		close(vm);
	}
	CHECK(khv_live_vcpus() == vcpus0, "%d live vCPUs at the end, %d before",
	      khv_live_vcpus(), vcpus0);
	CHECK(khv_live_vms() == vms0, "%d live VMs at the end, %d before",
	      khv_live_vms(), vms0);
	ksft_diag("%d failed and %d good creations, counts back to %d VMs, %d vCPUs",
		  EMFILE_VMS * EMFILE_IDS, EMFILE_VMS * EMFILE_IDS, vms0, vcpus0);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------ */
/* 2. The same, racing a running vCPU and dirty-log TLB-flush walks    */
/* ------------------------------------------------------------------ */

/*
 * One thread creates vCPUs 1, 2, ... in a VM whose vCPU 0 runs a guest
 * writing to a dirty-logged slot, while another calls KVM_GET_DIRTY_LOG
 * in a loop: each call finds written pages, write-protects them and makes
 * every vCPU of the VM flush its TLB, a walk over the VM's vCPUs. The
 * creator sets RLIMIT_NOFILE itself (per process; it is the only thread
 * that opens fds): tight, so that creation fails at its last step with
 * EMFILE, then loose to create the same id for good (a leftover of the
 * failure would show as EEXIST); the good creations are paced to one
 * every RACE_SECONDS / ids, so the VM grows over the whole run.
 */
#define RACE_SLOT	1
#define RACE_GPA	0x10000000ull	/* inside the guest's 4 GiB map */
#define RACE_PAGES	64
#define RACE_SECONDS	2.5
#define RACE_MAX_IDS	1024

/* Write every page of the logged slot, again and again. */
GUEST_CODE static void guest_dirty_loop(uint64_t base, uint64_t pages)
{
	uint64_t iter, i;

	for (iter = 1;; iter++) {
		for (i = 0; i < pages; i++)
			*(volatile uint64_t *)(base + i * 4096) = iter;
		GUEST_SYNC(1, iter);
	}
}

struct race {
	struct gvm *vm;
	struct gvcpu *runner;
	volatile bool stop;		/* the creator is done */
	double start;
	rlim_t tight, loose;
	/* creator */
	int fds[RACE_MAX_IDS];
	int max_id, created, emfile, broken_fd;
	int bad_id, bad_ret;		/* the first unexpected answer */
	bool bad_tight;			/* ... under the tight limit */
	double took;
	/* runner, logger */
	long runs, logs;
	int run_err, log_err;
};

static void *race_creator(void *arg)
{
	struct race *rc = arg;
	bool tight, failed_once = false;
	int id = 1, fd;
	double t;

	while (id < rc->max_id && (t = ksft_mono_s() - rc->start) < RACE_SECONDS) {
		/*
		 * Every id fails at least once; the good creations are spread
		 * evenly over the run where creation is fast enough.
		 */
		tight = !failed_once || t < (id - 1) * RACE_SECONDS / rc->max_id;
		if (tight && set_nofile(rc->tight))
			break;
		fd = khv_create_vcpu(rc->vm->fd, id);
		if (tight)
			set_nofile(rc->loose);
		if (tight && fd == -EMFILE) {
			rc->emfile++;
			failed_once = true;
			continue;	/* the same id again */
		}
		if (fd >= 0)
			rc->fds[id] = fd;
		if (tight || fd < 0) {
			rc->bad_id = id;
			rc->bad_ret = fd;
			rc->bad_tight = tight;
			break;
		}
		rc->created++;
		if (!vcpu_fd_works(fd) && !rc->broken_fd)
			rc->broken_fd = id;
		failed_once = false;
		id++;
	}
	rc->took = ksft_mono_s() - rc->start;
	rc->stop = true;
	return NULL;
}

static void *race_runner(void *arg)
{
	struct race *rc = arg;

	while (!rc->stop) {
		if (gvcpu_run_sync(rc->runner, 1, NULL)) {
			rc->run_err = 1;
			break;
		}
		rc->runs++;
	}
	return NULL;
}

static void *race_logger(void *arg)
{
	struct race *rc = arg;
	uint64_t bits;
	struct kvm_dirty_log log = { .slot = RACE_SLOT, .dirty_bitmap = &bits };
	long r;

	while (!rc->stop) {
		r = khv_ioctl(rc->vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
		if (r) {
			rc->log_err = (int)r;
			break;
		}
		rc->logs++;
	}
	return NULL;
}

static int t_vcpu_create_race(void)
{
	int vms0 = khv_live_vms(), vcpus0 = khv_live_vcpus();
	void *(*fns[])(void *) = { race_runner, race_logger, race_creator };
	int i, n, live, vcpus1, vms1;
	pthread_t th[3];
	struct rlimit rl;
	struct race *rc;
	long max;

	CHECK(vms0 >= 0 && vcpus0 >= 0, "no live VM/vCPU counts in debugfs");
	CHECK(!getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
	rc = calloc(1, sizeof(*rc));
	CHECK(rc, "calloc");
	rc->vm = gvm_create(sys_fd, 0);
	CHECK(rc->vm, "VM");
	CHECK(gvm_add_slot(rc->vm, RACE_SLOT, RACE_GPA, RACE_PAGES * 4096,
			   KVM_MEM_LOG_DIRTY_PAGES), "logged slot");
	rc->runner = gvcpu_create_long(rc->vm, 0, guest_dirty_loop, RACE_GPA,
				       RACE_PAGES);
	CHECK(rc->runner, "vCPU 0");
	/* room for an fd per vCPU: the soft limit up to the hard one */
	rc->loose = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
	if (rc->loose < rl.rlim_cur)
		rc->loose = rl.rlim_cur;
	rc->tight = lowest_free_fd();
	max = khv_cap(sys_fd, KVM_CAP_MAX_VCPUS);
	rc->max_id = max < RACE_MAX_IDS ? (int)max : RACE_MAX_IDS;
	if ((rlim_t)rc->max_id + rc->tight + 16 > rc->loose)
		rc->max_id = (int)(rc->loose - rc->tight - 16);
	CHECK(rc->max_id > 8, "room for %d vCPUs (MAX_VCPUS %ld, %llu fds)",
	      rc->max_id, max, (unsigned long long)rc->loose);
	CHECK(!set_nofile(rc->loose), "RLIMIT_NOFILE %llu",
	      (unsigned long long)rc->loose);

	rc->start = ksft_mono_s();
	for (n = 0; n < 3; n++)
		if (pthread_create(&th[n], NULL, fns[n], rc))
			break;
	if (n < 3)
		rc->stop = true;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);

	/* counted while every fd is open: reading debugfs takes an fd too */
	live = khv_live_vcpus();
	for (i = 1; i < RACE_MAX_IDS; i++)
		if (rc->fds[i] > 0)
			close(rc->fds[i]);
	gvcpu_destroy(rc->runner);
	gvm_destroy(rc->vm);
	vcpus1 = khv_live_vcpus();
	vms1 = khv_live_vms();
	set_nofile(rl.rlim_cur);

	CHECK(n == 3, "pthread_create");
	ksft_diag("%.2f s: %d of %d vCPUs created, %d EMFILE; %ld guest rounds, %ld dirty logs",
		  rc->took, rc->created, rc->max_id - 1, rc->emfile, rc->runs,
		  rc->logs);
	CHECK(!rc->bad_id, "vCPU %d %s: %d (%s)", rc->bad_id,
	      rc->bad_tight ? "with no fd left (want EMFILE)" : "with fds left",
	      rc->bad_ret, rc->bad_ret < 0 ? strerror(-rc->bad_ret) : "an fd");
	CHECK(!rc->broken_fd, "vCPU %d: its fd does not work", rc->broken_fd);
	CHECK(!rc->run_err, "the running vCPU failed (see above)");
	CHECK(!rc->log_err, "KVM_GET_DIRTY_LOG: %s", strerror(-rc->log_err));
	CHECK(rc->created > 0 && rc->emfile > 0,
	      "want both good and EMFILE creations");
	CHECK(rc->runs > 0 && rc->logs > 0, "the guest and the log did not run");
	CHECK(live == vcpus0 + 1 + rc->created, "%d live vCPUs, want %d", live,
	      vcpus0 + 1 + rc->created);
	CHECK(vcpus1 == vcpus0, "%d live vCPUs after closing, %d before",
	      vcpus1, vcpus0);
	CHECK(vms1 == vms0, "%d live VMs after closing, %d before", vms1, vms0);
	free(rc);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------ */
/* 3. MAXPHYADDR: any byte user space puts in CPUID                    */
/* ------------------------------------------------------------------ */

/*
 * A vCPU in long mode gets the supported CPUID with EAX[7:0] of leaf
 * 0x80000008 replaced (EAX[15:8], the linear-address width, stays: KVM
 * takes only 48 and 57), its long-mode sregs set again to be checked
 * against it, and runs a guest whose MMIO access makes the hypervisor
 * walk the guest's page tables. Accepted: KVM_SET_CPUID2 or KVM_SET_SREGS
 * refusing with EINVAL, the guest reaching DONE or taking an exception,
 * KVM_RUN failing with EFAULT or EINVAL. Anything else fails: a run that
 * does not exit within RUN_TIMEOUT_S, an emulation failure (a value the
 * hypervisor accepted and then cannot walk with), other exits or errors.
 * Stock KVM refuses the sregs where CR3 or the APIC base lie above
 * MAXPHYADDR; khv holds MAXPHYADDR to 32..52 bits.
 */
#define MMIO_GPA	0xc0000000ull	/* above RAM, below 4 GiB: MMIO */
#define MMIO_DATA	0x11223344u
#define RUN_TIMEOUT_S	2

enum phys_outcome { PHYS_SETUP_FAILED, PHYS_BAD, PHYS_REFUSED, PHYS_FAULT, PHYS_DONE };

static void on_alarm(int sig)
{
}

/* One KVM_RUN, cut short by SIGALRM after RUN_TIMEOUT_S: 0 or -errno. */
static int run_bounded(struct gvcpu *v)
{
	struct itimerval it = { .it_value.tv_sec = RUN_TIMEOUT_S };
	struct itimerval off = { 0 };
	int r;

	setitimer(ITIMER_REAL, &it, NULL);
	r = (int)khv_ioctl(v->fd, KVM_RUN, 0);
	setitimer(ITIMER_REAL, &off, NULL);
	return r;
}

GUEST_CODE static void guest_mmio(uint64_t gpa, uint64_t b)
{
	volatile uint32_t *p = (volatile uint32_t *)gpa;
	uint32_t x = *p;

	*p = x + 1;
	GUEST_DONE();
}

/* Run the MMIO guest to its end, a failure or a bound; describe it. */
static enum phys_outcome run_mmio_guest(struct gvcpu *v, char *out, size_t len)
{
	struct kvm_run *run = v->run;
	struct ucall uc;
	size_t n = 0;
	int i, r;

	for (i = 0; i < 6 && n < len; i++) {
		r = run_bounded(v);
		if (r == -EINTR) {
			snprintf(out + n, len - n, "no exit in %d s", RUN_TIMEOUT_S);
			return PHYS_BAD;
		}
		if (r) {
			snprintf(out + n, len - n, "KVM_RUN %s", strerror(-r));
			return r == -EFAULT || r == -EINVAL ? PHYS_FAULT : PHYS_BAD;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			uint32_t d = MMIO_DATA;

			if (!run->mmio.is_write)
				memcpy(run->mmio.data, &d, sizeof(d));
			else
				memcpy(&d, run->mmio.data, sizeof(d));
			n += snprintf(out + n, len - n, "MMIO %s %#llx (%#x), ",
				      run->mmio.is_write ? "write" : "read",
				      (unsigned long long)run->mmio.phys_addr, d);
			continue;
		}
		switch (ucall_get(v, &uc)) {
		case UCALL_DONE:
			snprintf(out + n, len - n, "DONE");
			return PHYS_DONE;
		case UCALL_UNHANDLED:
			snprintf(out + n, len - n,
				 "guest exception %llu at %#llx, error %#llx",
				 (unsigned long long)uc.args[0],
				 (unsigned long long)uc.args[1],
				 (unsigned long long)uc.args[2]);
			return PHYS_FAULT;
		default:
			snprintf(out + n, len - n, "exit %s (%u)",
				 kvm_exit_name(run->exit_reason),
				 run->exit_reason);
			return PHYS_BAD;
		}
	}
	if (n < len)
		snprintf(out + n, len - n, "still running after %d exits", i);
	return PHYS_BAD;
}

static enum phys_outcome try_maxphyaddr(unsigned int bits)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_mmio, MMIO_GPA, 0) : NULL;
	enum phys_outcome res = PHYS_SETUP_FAILED;
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c = NULL;
	struct kvm_sregs sr;
	char what[256] = "";
	uint32_t eax = 0;
	size_t size;
	int r;

	if (!v)
		goto out;
	size = sizeof(*c) + vm->cpuid->nent * sizeof(c->entries[0]);
	c = malloc(size);
	if (!c)
		goto out;
	memcpy(c, vm->cpuid, size);
	e = cpuid_entry(c, 0x80000008, 0);
	if (!e) {
		ksft_diag("no CPUID 0x80000008 in the supported table");
		goto out;
	}
	eax = e->eax = (e->eax & ~0xffu) | bits;
	r = (int)khv_ioctl(v->fd, KVM_SET_CPUID2, (unsigned long)c);
	if (r) {
		snprintf(what, sizeof(what), "KVM_SET_CPUID2 %s", strerror(-r));
		res = r == -EINVAL ? PHYS_REFUSED : PHYS_BAD;
		goto out;
	}
	/* the long-mode state again, now checked against the new CPUID */
	r = gvcpu_get_sregs(v, &sr);
	if (!r)
		r = gvcpu_set_sregs(v, &sr);
	if (r) {
		snprintf(what, sizeof(what), "KVM_SET_SREGS %s", strerror(-r));
		res = r == -EINVAL ? PHYS_REFUSED : PHYS_BAD;
		goto out;
	}
	res = run_mmio_guest(v, what, sizeof(what));
out:
	if (res != PHYS_SETUP_FAILED)
		ksft_diag("MAXPHYADDR %3u (EAX %#x): %s%s", bits, eax, what,
			  res == PHYS_BAD ? "  <- not an accepted outcome" : "");
	free(c);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return res;
}

static int t_maxphyaddr_extremes(void)
{
	static const unsigned int values[] = { 0, 1, 31, 36, 52, 53, 63, 64, 0xff };
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int vms0 = khv_live_vms(), vcpus0 = khv_live_vcpus();
	enum phys_outcome r[sizeof(values) / sizeof(values[0])];
	int vms1, vcpus1;
	size_t i;

	sigemptyset(&sa.sa_mask);
	CHECK(!sigaction(SIGALRM, &sa, &old), "sigaction");	/* no SA_RESTART */
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		r[i] = try_maxphyaddr(values[i]);
	sigaction(SIGALRM, &old, NULL);
	vms1 = khv_live_vms();
	vcpus1 = khv_live_vcpus();
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		CHECK(r[i] != PHYS_SETUP_FAILED, "MAXPHYADDR %u: VM setup failed",
		      values[i]);
		CHECK(r[i] != PHYS_BAD, "MAXPHYADDR %u: see above", values[i]);
	}
	/* an ordinary value works: the guest and this harness are sound */
	for (i = 0; values[i] != 36; i++)
		;
	CHECK(r[i] == PHYS_DONE, "MAXPHYADDR 36 did not get the guest to DONE");
	CHECK(vcpus1 == vcpus0 && vms1 == vms0,
	      "%d VMs, %d vCPUs live after, %d, %d before", vms1, vcpus1, vms0,
	      vcpus0);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------ */
/* Capabilities and child processes                                    */
/* ------------------------------------------------------------------ */

/* Drop @cap from this process's effective, permitted and inheritable sets. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	return d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap) ? -EPERM : 0;
}

/* Run @fn in a child process: its result (KSFT_*). */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int r = fn();

		fflush(stdout);
		_exit(r);
	}
	CHECK(pid > 0, "fork: %s", strerror(errno));
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status), "child ended by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* ------------------------------------------------------------------ */
/* 4. KHV_BENCH_VMRUN needs CAP_SYS_ADMIN                              */
/* ------------------------------------------------------------------ */

/*
 * The benchmark loop keeps a host CPU in batches of guest entries with
 * interrupts off: not for an unprivileged VMM. A child without
 * CAP_SYS_ADMIN gets EPERM; this process, with it, runs the loop.
 */
static const uint8_t cpuid_insn[] = { 0x0f, 0xa2 };

/* KHV_BENCH_VMRUN of @iterations on a fresh real-mode vCPU at a CPUID. */
static long bench(uint64_t iterations, struct khv_bench_vmrun *b)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = NULL;
	long r = -ENOMEM;

	if (vm)
		v = gvcpu_create_real(vm, 0, GUEST_FREE_GPA, cpuid_insn,
				      sizeof(cpuid_insn));
	if (v) {
		*b = (struct khv_bench_vmrun){ .iterations = iterations };
		r = khv_ioctl(v->fd, KHV_BENCH_VMRUN, (unsigned long)b);
	} else {
		ksft_diag("VM setup failed");
	}
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return r;
}

static int bench_without_cap(void)
{
	struct khv_bench_vmrun b = { 0 };
	long r;
	int e = drop_cap(CAP_SYS_ADMIN);

	CHECK(!e, "dropping CAP_SYS_ADMIN: %s", strerror(-e));
	r = bench(10, &b);
	CHECK(r == -EPERM, "KHV_BENCH_VMRUN without CAP_SYS_ADMIN: %ld (%s)",
	      r, r < 0 ? strerror(-r) : "ran");
	return KSFT_PASS;
}

static int t_bench_ioctl_needs_cap_sys_admin(void)
{
	struct khv_bench_vmrun b = { 0 };
	long r;

	SKIP_IF(!on_khv(), "KHV_BENCH_VMRUN is khv's own ioctl");
	CHECK(in_child(bench_without_cap) == KSFT_PASS, "child without the capability");
	r = bench(10, &b);
	ksft_diag("with CAP_SYS_ADMIN: %ld, %llu round trips in %llu ns",
		  r, (unsigned long long)b.done, (unsigned long long)b.ns);
	CHECK(r != -EPERM, "KHV_BENCH_VMRUN with CAP_SYS_ADMIN: EPERM");
	CHECK(r == 0, "KHV_BENCH_VMRUN with CAP_SYS_ADMIN: %s", strerror(-r));
	return KSFT_PASS;
}

/* ------------------------------------------------------------------ */
/* 5. Pinned guest memory is charged to RLIMIT_MEMLOCK (khv)           */
/* ------------------------------------------------------------------ */

/*
 * In a child without CAP_IPC_LOCK and with RLIMIT_MEMLOCK at PIN_LIMIT
 * (hard limit unlimited), a guest writes one byte per page over
 * PIN_SIZE: khv must stop it with ENOMEM from KVM_RUN, VmPin never above
 * the limit, 0 again once the VM is closed. With the soft limit raised
 * the same guest finishes, VmPin covering what it wrote, 0 after close.
 */
#define PIN_RAM		(32ull << 20)
#define PIN_SLOT	1
#define PIN_GPA		0x40000000ull	/* 1 GiB: inside the guest's map */
#define PIN_SIZE	(24ull << 20)
#define PIN_LIMIT	(4ull << 20)
#define PIN_SYNC_PAGES	256		/* a SYNC every MiB */

/* One byte per page, a SYNC after every MiB. */
GUEST_CODE static void guest_touch_pages(uint64_t base, uint64_t pages)
{
	uint64_t i;

	for (i = 0; i < pages; i++) {
		*(volatile uint8_t *)(base + i * 4096) = (uint8_t)(i + 1);
		if ((i + 1) % PIN_SYNC_PAGES == 0)
			GUEST_SYNC(1, i + 1);
	}
	GUEST_DONE();
}

/* VmPin of this process, in KiB; -1 if unreadable. */
static long vmpin_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

struct pin_result {
	int run_err;		/* KVM_RUN's error, 0 if none */
	bool done;		/* the guest wrote every page */
	long pages_synced;	/* pages written at the last SYNC */
	long max_pin_kb;	/* VmPin at SYNCs and at the end, the largest */
	long live_pin_kb;	/* VmPin with the VM still open, at the end */
	long after_pin_kb;	/* VmPin after closing the VM */
};

static int pin_run(struct pin_result *res)
{
	struct gvm *vm = gvm_create(sys_fd, PIN_RAM);
	struct gvcpu *v;
	struct ucall uc;
	long kb;
	int r, cmd;

	memset(res, 0, sizeof(*res));
	CHECK(vm, "VM");
	CHECK(gvm_add_slot(vm, PIN_SLOT, PIN_GPA, PIN_SIZE, 0), "slot");
	v = gvcpu_create_long(vm, 0, guest_touch_pages, PIN_GPA, PIN_SIZE / 4096);
	CHECK(v, "vCPU");
	for (;;) {
		r = gvcpu_run(v);
		kb = vmpin_kb();
		if (kb > res->max_pin_kb)
			res->max_pin_kb = kb;
		if (r) {
			res->run_err = r;
			break;
		}
		cmd = ucall_get(v, &uc);
		if (cmd == UCALL_SYNC) {
			res->pages_synced = uc.args[1];
			continue;
		}
		if (cmd == UCALL_DONE) {
			res->done = true;
			break;
		}
		gvcpu_describe_exit(v, "pinning guest");
		break;
	}
	res->live_pin_kb = vmpin_kb();
	gvcpu_destroy(v);
	gvm_destroy(vm);
	res->after_pin_kb = vmpin_kb();
	return KSFT_PASS;
}

static int pins_in_child(void)
{
	struct rlimit rl = { PIN_LIMIT, RLIM_INFINITY };
	struct pin_result res;
	int e;

	CHECK(vmpin_kb() == 0, "VmPin %ld kB before any VM", vmpin_kb());
	CHECK(!setrlimit(RLIMIT_MEMLOCK, &rl), "RLIMIT_MEMLOCK: %s", strerror(errno));
	e = drop_cap(CAP_IPC_LOCK);
	CHECK(!e, "dropping CAP_IPC_LOCK: %s", strerror(-e));

	CHECK(pin_run(&res) == KSFT_PASS, "see above");
	ksft_diag("RLIMIT_MEMLOCK %llu KiB: KVM_RUN %s after %ld of %llu pages, VmPin up to %ld kB, %ld kB at the end, %ld kB after close",
		  PIN_LIMIT >> 10, res.run_err ? strerror(-res.run_err) : "ok",
		  res.pages_synced, PIN_SIZE / 4096, res.max_pin_kb,
		  res.live_pin_kb, res.after_pin_kb);
	CHECK(!res.done, "the guest pinned %llu MiB over a %llu MiB RLIMIT_MEMLOCK",
	      PIN_SIZE >> 20, PIN_LIMIT >> 20);
	CHECK(res.run_err == -ENOMEM, "KVM_RUN over the limit: %s, want ENOMEM",
	      res.run_err ? strerror(-res.run_err) : "no error");
	CHECK(res.max_pin_kb > 0 && res.max_pin_kb <= (long)(PIN_LIMIT >> 10),
	      "VmPin %ld kB, limit %llu kB", res.max_pin_kb, PIN_LIMIT >> 10);
	CHECK(res.after_pin_kb == 0, "VmPin %ld kB after the VM closed",
	      res.after_pin_kb);

	rl.rlim_cur = RLIM_INFINITY;	/* up to the hard limit: no capability */
	CHECK(!setrlimit(RLIMIT_MEMLOCK, &rl), "raising RLIMIT_MEMLOCK: %s",
	      strerror(errno));
	CHECK(pin_run(&res) == KSFT_PASS, "see above");
	ksft_diag("RLIMIT_MEMLOCK unlimited: KVM_RUN %s, guest %s, VmPin up to %ld kB, %ld kB at the end, %ld kB after close",
		  res.run_err ? strerror(-res.run_err) : "ok",
		  res.done ? "DONE" : "not done", res.max_pin_kb,
		  res.live_pin_kb, res.after_pin_kb);
	CHECK(res.done, "the guest did not finish without a limit");
	CHECK(res.live_pin_kb >= (long)(PIN_SIZE >> 10),
	      "VmPin %ld kB with %llu MiB written", res.live_pin_kb,
	      PIN_SIZE >> 20);
	CHECK(res.after_pin_kb == 0, "VmPin %ld kB after the VM closed",
	      res.after_pin_kb);
	return KSFT_PASS;
}

static int memlock_enforced(void)
{
	FILE *f = fopen("/sys/module/khv/parameters/enforce_memlock", "r");
	int c = 'Y';

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'Y' || c == '1';
}

static int t_pinned_memory_charged_to_memlock(void)
{
	SKIP_IF(!on_khv(), "stock KVM does not pin guest memory");
	SKIP_IF(!memlock_enforced(), "khv loaded with enforce_memlock=0");
	SKIP_IF(vmpin_kb() < 0, "no VmPin in /proc/self/status");
	return in_child(pins_in_child);
}

/* ------------------------------------------------------------------ */
/* 6. A 64 GiB dirty-logged slot                                       */
/* ------------------------------------------------------------------ */

/*
 * A MAP_NORESERVE slot of HUGE_SIZE with dirty logging, at 64 GiB (the
 * guest maps it with 2 MiB pages in page directories of its own): the
 * guest writes a handful of pages across it, KVM_GET_DIRTY_LOG reports
 * exactly those (16 Mi bits, a 2 MiB bitmap) and then none, and the slot
 * is deleted. Turning logging on, the log and the deletion loop over the
 * whole slot: they must end (and reschedule: on a debug kernel a long
 * loop without that is a soft-lockup or RCU-stall splat).
 */
#define HUGE_SLOT	1
#define HUGE_GPA	(1ull << 36)	/* 64 GiB */
#define HUGE_SIZE	(64ull << 30)
#define HUGE_PD_GPA	GUEST_FREE_GPA	/* one page directory per GiB */

/* Pages the guest writes, as offsets into the slot: spread, ends included. */
static const uint64_t huge_offsets[] = {
	0,
	0x1000,
	(1ull << 30) + 0x5000,
	(17ull << 30) + 0x7b000,
	(32ull << 30) - 0x1000,
	(40ull << 30) + (2ull << 20) + 0x7000,
	(63ull << 30) + (511ull << 21),
	HUGE_SIZE - 0x1000,
};
#define HUGE_WRITES	(sizeof(huge_offsets) / sizeof(huge_offsets[0]))

GUEST_CODE static void guest_huge_writes(uint64_t base, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		*(volatile uint64_t *)(base + huge_offsets[i]) = i + 1;
	GUEST_DONE();
}

/* Map GPA @base..+@size 1:1 with 2 MiB pages below the library's PDPT. */
static int map_high(struct gvm *vm, uint64_t base, uint64_t size)
{
	uint64_t *pdpt = gvm_hva(vm, GUEST_PT_GPA + 0x1000);
	uint64_t gib, j;

	for (gib = base >> 30; gib < (base + size) >> 30; gib++) {
		uint64_t pd_gpa = HUGE_PD_GPA + (gib - (base >> 30)) * 0x1000;
		uint64_t *pd = gvm_hva(vm, pd_gpa);

		if (gib >= 512 || pd_gpa + 0x1000 > GUEST_FREE_END || !pd)
			return -1;
		pdpt[gib] = pd_gpa | 3;
		for (j = 0; j < 512; j++)
			pd[j] = ((gib << 30) + (j << 21)) | 0x83;	/* P RW PS */
	}
	return 0;
}

static int t_huge_logged_slot(void)
{
	size_t bytes = HUGE_SIZE / 4096 / 8, i, w;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_cpuid_entry2 *e;
	struct kvm_dirty_log log = { .slot = HUGE_SLOT };
	uint64_t *bits, found = 0, bad = 0;
	struct gvcpu *v;
	uint8_t *hva;
	double t0, t1, t2, t3, t4;
	unsigned int phys;
	long r;

	CHECK(vm, "VM");
	e = cpuid_entry(vm->cpuid, 0x80000008, 0);
	phys = e ? e->eax & 0xff : 0;
	if (phys < 38)
		gvm_destroy(vm);
	SKIP_IF(phys < 38, "MAXPHYADDR %u: no GPA up to 128 GiB", phys);
	t0 = ksft_mono_s();
	hva = gvm_add_slot(vm, HUGE_SLOT, HUGE_GPA, HUGE_SIZE,
			   KVM_MEM_LOG_DIRTY_PAGES);
	t1 = ksft_mono_s();
	CHECK(hva, "a %llu GiB logged slot at %#llx", HUGE_SIZE >> 30, HUGE_GPA);
	madvise(hva, HUGE_SIZE, MADV_NOHUGEPAGE);	/* 8 pages, not 8 x 2 MiB */
	CHECK(!map_high(vm, HUGE_GPA, HUGE_SIZE), "guest page tables");
	v = gvcpu_create_long(vm, 0, guest_huge_writes, HUGE_GPA, HUGE_WRITES);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_done(v), "guest writes");
	for (i = 0; i < HUGE_WRITES; i++)
		CHECK(*(uint64_t *)(hva + huge_offsets[i]) == i + 1,
		      "write %zu at slot offset %#llx not in memory", i,
		      (unsigned long long)huge_offsets[i]);

	bits = calloc(1, bytes);
	CHECK(bits, "calloc %zu", bytes);
	log.dirty_bitmap = bits;
	t2 = ksft_mono_s();
	r = khv_ioctl(vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
	t3 = ksft_mono_s();
	CHECK(!r, "KVM_GET_DIRTY_LOG: %s", strerror(-r));
	for (w = 0; w < bytes / 8; w++) {
		while (bits[w]) {
			uint64_t page = w * 64 + __builtin_ctzll(bits[w]);
			bool want = false;

			bits[w] &= bits[w] - 1;
			for (i = 0; i < HUGE_WRITES; i++)
				want |= huge_offsets[i] >> 12 == page;
			if (want) {
				found++;
			} else if (bad++ < 4) {
				ksft_diag("page %#llx dirty, not written",
					  (unsigned long long)page);
			}
		}
	}
	CHECK(!bad && found == HUGE_WRITES, "%llu of %zu written pages dirty, %llu others",
	      (unsigned long long)found, HUGE_WRITES, (unsigned long long)bad);
	r = khv_ioctl(vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
	CHECK(!r, "KVM_GET_DIRTY_LOG again: %s", strerror(-r));
	for (w = 0; w < bytes / 8; w++)
		CHECK(!bits[w], "dirty bits %#llx at page %#zx after a clean log",
		      (unsigned long long)bits[w], w * 64);
	free(bits);
	gvcpu_destroy(v);
	t4 = ksft_mono_s();
	r = gvm_delete_slot(vm, HUGE_SLOT);
	CHECK(!r, "deleting the slot: %s", strerror(-r));
	ksft_diag("%llu GiB slot: created in %.3f s, logged in %.3f s, deleted in %.3f s",
		  HUGE_SIZE >> 30, t1 - t0, t3 - t2, ksft_mono_s() - t4);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * KVM_X86_SET_MSR_FILTER under fire: a filter whose last bitmap pointer
 * faults is refused whole (-EFAULT, the one in force stays), one of 16
 * ranges with the largest bitmaps is taken, and filters replaced as fast
 * as the VMM can while a vCPU exits on RDMSR in a loop never leave it
 * reading a filter being freed (KASAN on the debug kernel) nor lose one
 * of its reads. The two filters both allow the MSR read; the second
 * denies FS_BASE writes, so each change also switches the vCPU between
 * MSR permission maps.
 */
#define FILTER_READS	40000
#define MSR_POWER_CTL	0x1fc
#define MSR_FS_BASE	0xc0000100

static volatile uint64_t filter_progress;

GUEST_CODE static void guest_rdmsr_loop(uint64_t n, uint64_t b)
{
	uint64_t i;
	uint32_t lo, hi;

	for (i = 0; i < n; i++) {
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_POWER_CTL));
		filter_progress = i + 1;
	}
	GUEST_DONE();
}

static int t_msr_filter_churn(void)
{
	static uint8_t allow[0x600], deny[8];
	struct kvm_msr_filter big = { .flags = 0 }, a = { .flags = 0 }, b = { .flags = 0 };
	struct gvcpu_runner runner;
	struct gvm *vm;
	struct gvcpu *v;
	unsigned long flips = 0;
	double t0;
	int i, r;

	SKIP_IF(khv_cap(sys_fd, KVM_CAP_X86_MSR_FILTER) <= 0, "no KVM_CAP_X86_MSR_FILTER");
	memset(allow, 0xff, sizeof(allow));
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++)
		big.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.base = 0x10000 * i, .nmsrs = sizeof(allow) * 8, .bitmap = allow,
		};
	a.ranges[0] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_READ, .base = MSR_POWER_CTL, .nmsrs = 64,
		.bitmap = allow,
	};
	b.ranges[0] = (struct kvm_msr_filter_range){
		.flags = KVM_MSR_FILTER_WRITE, .base = MSR_FS_BASE, .nmsrs = 1,
		.bitmap = deny,
	};
	filter_progress = 0;
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	CHECK(!khv_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, (unsigned long)&big),
	      "16 ranges of 0x600-byte bitmaps");
	big.ranges[15].bitmap = (uint8_t *)8;
	r = (int)khv_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, (unsigned long)&big);
	CHECK(r == -EFAULT, "a faulting last bitmap: %d", r);
	r = (int)khv_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, 8);
	CHECK(r == -EFAULT, "a faulting filter: %d", r);

	v = gvcpu_create_long(vm, 0, guest_rdmsr_loop, FILTER_READS, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_runner_start(&runner, v, -1), "vCPU thread");
	t0 = ksft_mono_s();
	while (*GVM_VAR(vm, filter_progress) < FILTER_READS && ksft_mono_s() - t0 < 120) {
		r = (int)khv_ioctl(vm->fd, KVM_X86_SET_MSR_FILTER,
				   (unsigned long)(flips & 1 ? &b : &a));
		if (r) {
			ksft_diag("KVM_X86_SET_MSR_FILTER #%lu: %d", flips, r);
			break;
		}
		flips++;
	}
	r = gvcpu_runner_join(&runner);
	ksft_diag("%lu filters set during %llu guest RDMSRs", flips,
		  (unsigned long long)*GVM_VAR(vm, filter_progress));
	CHECK(r == KSFT_PASS, "the guest's %d RDMSRs all completed", FILTER_READS);
	CHECK(flips > 0, "no filter set while the guest ran");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "vcpu_create_emfile_no_leak", t_vcpu_create_emfile_no_leak },
	{ "vcpu_create_race", t_vcpu_create_race },
	{ "maxphyaddr_extremes", t_maxphyaddr_extremes },
	{ "bench_ioctl_needs_cap_sys_admin", t_bench_ioctl_needs_cap_sys_admin },
	{ "pinned_memory_charged_to_memlock", t_pinned_memory_charged_to_memlock },
	{ "huge_logged_slot", t_huge_logged_slot },
	{ "msr_filter_churn", t_msr_filter_churn },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
