// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: what a VMM process can do to the hypervisor in bulk, on stock
 * KVM and on khv. Nothing may be left behind, nothing may hang, and (on a
 * kernel with kmemleak, the debug-kernel lane) nothing may leak.
 *
 * - vm_cycles: 1,000 VMs (200 on stock KVM) created, given memory and a vCPU that runs a
 *   guest to its end, and destroyed; the live VM/vCPU counts return to
 *   where they were; kmemleak, where the kernel has it, finds nothing of
 *   the hypervisor's.
 * - sigkill_mid_run: VMM processes killed with SIGKILL while their vCPUs
 *   are inside KVM_RUN (spinning guests, halted ones, guests touching
 *   fresh memory), again and again.
 * - signal_storm_8_vcpus: eight vCPU threads under a storm of signals
 *   (each KVM_RUN returns EINTR and is retried) all finish their guests.
 * - memory_pressure: a guest touches 128 MiB of fresh memory while another
 *   process fills the host's memory (it is the OOM killer's first choice);
 *   the guest finishes or KVM_RUN fails cleanly, the host survives.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "guest.h"

static int sys_fd;

/* ------------------------------------------------------------- guests */

/* Count to @n, reporting every 1000, then DONE. */
GUEST_CODE static void guest_count(uint64_t n, uint64_t a1)
{
	uint64_t i;

	for (i = 1; i <= n; i++)
		if (!(i % 1000))
			GUEST_SYNC(1, i);
	GUEST_DONE();
}

GUEST_CODE static void guest_spin(uint64_t a0, uint64_t a1)
{
	for (;;)
		__asm__ volatile("pause");
}

GUEST_CODE static void guest_halt(uint64_t a0, uint64_t a1)
{
	for (;;)
		__asm__ volatile("hlt");
}

/* Write one byte into every page of [start, end), then DONE. */
GUEST_CODE static void guest_touch(uint64_t start, uint64_t end)
{
	uint64_t a;

	for (a = start; a < end; a += 4096)
		*(volatile uint8_t *)a = 1;
	GUEST_DONE();
}

/* ------------------------------------------------------------ helpers */

/* "scan" kmemleak, then any unreferenced object the hypervisor allocated. */
static int kmemleak_hits(const char *module)
{
	char line[512];
	int hits = 0, fd;
	FILE *f;

	fd = open("/sys/kernel/debug/kmemleak", O_WRONLY);
	if (fd < 0)
		return -1;
	if (write(fd, "scan", 4) != 4) {
		close(fd);
		return -1;
	}
	close(fd);
	f = fopen("/sys/kernel/debug/kmemleak", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, module) || strstr(line, "kvm")) {
			ksft_diag("kmemleak: %s", line);
			hits++;
		}
	fclose(f);
	return hits;
}

static void kmemleak_clear(void)
{
	int fd = open("/sys/kernel/debug/kmemleak", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "clear", 5) != 5)
			ksft_diag("kmemleak: clear failed");
		close(fd);
	}
}

/* ---------------------------------------------------------- vm_cycles */

/*
 * 1,000 on khv; the reference lane does 200, since stock KVM takes ~85 ms
 * a cycle in the TCG test machine (khv ~8 ms).
 */
static int cycles(void)
{
	const char *m = khv_module();

	return m && !strcmp(m, "khv") ? 1000 : 200;
}

static int one_cycle(int i)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_count, 10, 0) : NULL;
	int r = -1;

	if (v && !gvcpu_run_done(v))
		r = 0;
	if (r)
		ksft_diag("cycle %d failed", i);
	if (v)
		gvcpu_destroy(v);
	if (vm)
		gvm_destroy(vm);
	return r;
}

static int t_vm_cycles(void)
{
	int vms = khv_live_vms(), vcpus = khv_live_vcpus(), n = cycles(), i, leaks;
	const char *module = khv_module() ? khv_module() : "khv";
	double t0 = ksft_mono_s();

	kmemleak_clear();
	for (i = 0; i < n; i++)
		CHECK(!one_cycle(i), "cycle %d", i);
	ksft_diag("%d VM create/run/destroy cycles in %.1f s", n, ksft_mono_s() - t0);
	CHECK(khv_live_vms() == vms && khv_live_vcpus() == vcpus,
	      "live VMs %d (before %d), vCPUs %d (before %d)",
	      khv_live_vms(), vms, khv_live_vcpus(), vcpus);
	leaks = kmemleak_hits(module);
	if (leaks < 0)
		ksft_diag("kmemleak: not in this kernel");
	else
		ksft_diag("kmemleak: %d suspected leaks of %s/kvm", leaks, module);
	CHECK(leaks <= 0, "%d kmemleak reports", leaks);
	return KSFT_PASS;
}

/* ----------------------------------------------------- sigkill_mid_run */

/* The child: a VM whose vCPU runs @fn in KVM_RUN until it is killed. */
static void __attribute__((noreturn)) child_run(const void *fn, uint64_t a0,
						uint64_t a1, uint64_t ram)
{
	struct gvm *vm = gvm_create(sys_fd, ram);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, fn, a0, a1) : NULL;

	if (!v)
		_exit(2);
	for (;;)
		if (gvcpu_run(v) < 0)
			_exit(3);
}

static int t_sigkill_mid_run(void)
{
	static const struct {
		const void *fn;
		uint64_t a0, a1, ram;
	} kinds[] = {
		{ guest_spin, 0, 0, 0 },
		{ guest_halt, 0, 0, 0 },
		{ guest_touch, 32ull << 20, 96ull << 20, 128ull << 20 },
	};
	int vms = khv_live_vms(), vcpus = khv_live_vcpus(), i;

	for (i = 0; i < 30; i++) {
		pid_t pid;
		int status;

		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (!pid)
			child_run(kinds[i % 3].fn, kinds[i % 3].a0, kinds[i % 3].a1,
				  kinds[i % 3].ram);
		usleep(50000 + 20000 * (i % 7));
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child %d ended with status %#x before SIGKILL", i, status);
	}
	/* the last fds close in the dying processes: give them a moment */
	for (i = 0; i < 50 && (khv_live_vms() != vms || khv_live_vcpus() != vcpus); i++)
		usleep(100000);
	CHECK(khv_live_vms() == vms && khv_live_vcpus() == vcpus,
	      "live VMs %d (before %d), vCPUs %d (before %d)",
	      khv_live_vms(), vms, khv_live_vcpus(), vcpus);
	return KSFT_PASS;
}

/* ------------------------------------------------ signal_storm_8_vcpus */

#define STORM_VCPUS	8
#define STORM_SYNCS	200	/* exits to user space per vCPU, at least */
#define STORM_SECONDS	120

struct storm_vcpu {
	struct gvcpu *v;
	pthread_t thread;
	int result;
};

static volatile int storm_over, storm_finished, storm_started;
static unsigned long storm_eintr;

static void storm_handler(int sig)
{
}

/*
 * Run the counting guest through every EINTR until it has reported
 * STORM_SYNCS times and the storm has reached KVM_RUN at least once (in
 * any vCPU), or STORM_SECONDS have passed; -1 on anything unexpected.
 * Waiting for the first EINTR keeps the test meaningful on a slow (debug,
 * emulated) machine, where eight short guests can finish before the
 * sender thread is first scheduled.
 */
static int storm_run(struct storm_vcpu *s, time_t deadline)
{
	unsigned long syncs = 0;

	for (;;) {
		struct ucall uc;
		long r = khv_ioctl(s->v->fd, KVM_RUN, 0);

		if (r == -EINTR) {
			__atomic_add_fetch(&storm_eintr, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (r < 0)
			return -1;
		if (ucall_get(s->v, &uc) != UCALL_SYNC) {
			gvcpu_describe_exit(s->v, "storm");
			return -1;
		}
		if (++syncs >= STORM_SYNCS &&
		    (__atomic_load_n(&storm_eintr, __ATOMIC_SEQ_CST) ||
		     time(NULL) > deadline))
			return 0;
	}
}

/* Stays alive (signals keep coming) until the storm is over. */
static void *storm_vcpu_thread(void *arg)
{
	struct storm_vcpu *s = arg;

	while (!storm_started)
		usleep(1000);
	s->result = storm_run(s, time(NULL) + STORM_SECONDS);
	__atomic_add_fetch(&storm_finished, 1, __ATOMIC_SEQ_CST);
	while (!storm_over)
		usleep(1000);
	return NULL;
}

static void *storm_sender(void *arg)
{
	struct storm_vcpu *s = arg;
	unsigned long sent = 0;
	int i;

	while (!storm_over) {
		for (i = 0; i < STORM_VCPUS; i++)
			pthread_kill(s[i].thread, SIGUSR1);
		storm_started = 1;
		if (!(++sent % 64))
			usleep(100);
	}
	return NULL;
}

static int t_signal_storm(void)
{
	struct sigaction sa = { .sa_handler = storm_handler };
	struct storm_vcpu s[STORM_VCPUS] = { 0 };
	pthread_t sender;
	struct gvm *vm;
	int i, ok = 0;

	sigaction(SIGUSR1, &sa, NULL);
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	for (i = 0; i < STORM_VCPUS; i++) {
		/* counts for as long as we let it: the thread decides */
		s[i].v = gvcpu_create_long(vm, i, guest_count, UINT64_MAX, 0);
		CHECK(s[i].v, "vCPU %d", i);
	}
	storm_over = 0;
	storm_finished = 0;
	storm_started = 0;
	storm_eintr = 0;
	for (i = 0; i < STORM_VCPUS; i++)
		pthread_create(&s[i].thread, NULL, storm_vcpu_thread, &s[i]);
	/* the vCPU threads wait for the sender's first round */
	pthread_create(&sender, NULL, storm_sender, s);
	for (i = 0; i < 10 * (STORM_SECONDS + 60) && storm_finished < STORM_VCPUS; i++)
		usleep(100000);
	storm_over = 1;
	pthread_join(sender, NULL);
	for (i = 0; i < STORM_VCPUS; i++) {
		pthread_join(s[i].thread, NULL);
		ok += !s[i].result;
	}
	signal(SIGUSR1, SIG_DFL);
	ksft_diag("%d of %d vCPUs finished; KVM_RUN returned EINTR %lu times",
		  ok, STORM_VCPUS, storm_eintr);
	for (i = 0; i < STORM_VCPUS; i++)
		gvcpu_destroy(s[i].v);
	gvm_destroy(vm);
	CHECK(ok == STORM_VCPUS, "every vCPU finishes");
	CHECK(storm_eintr > 0, "the storm reached KVM_RUN");
	return KSFT_PASS;
}

/* ----------------------------------------------------- memory_pressure */

static long mem_available_mb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb / 1024;
}

/* The hog: take memory until the kernel says no (or kills it). */
static void __attribute__((noreturn)) hog(long mb)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);
	long i;

	if (fd >= 0) {
		if (write(fd, "1000", 4) != 4)
			_exit(2);
		close(fd);
	}
	for (i = 0; i < mb; i += 16) {
		void *p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		if (p == MAP_FAILED)
			break;
	}
	pause();
	_exit(0);
}

static int t_memory_pressure(void)
{
	long avail = mem_available_mb();
	uint64_t ram = 160ull << 20;
	struct gvcpu *v = NULL;
	struct gvm *vm;
	int r, status;
	pid_t pid;

	SKIP_IF(avail < 256, "only %ld MiB available", avail);
	vm = gvm_create(sys_fd, ram);
	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_touch, 16ull << 20, 144ull << 20);
	CHECK(v, "vCPU");
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (!pid)
		hog(avail + 64);
	usleep(200000);
	r = gvcpu_run_done(v);
	ksft_diag("guest touching 128 MiB under pressure: %s (%ld MiB were available)",
		  r ? "did not finish" : "finished", avail);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	/* the host is fine: a fresh VM runs */
	CHECK(!one_cycle(0), "a VM after the pressure");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "vm_cycles", t_vm_cycles },
	{ "sigkill_mid_run", t_sigkill_mid_run },
	{ "signal_storm_8_vcpus", t_signal_storm },
	{ "memory_pressure", t_memory_pressure },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
