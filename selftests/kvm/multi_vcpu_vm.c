// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs per VM and several VMs at once, each vCPU run by its own
 * thread: every vCPU reports its own results (a function of its id and
 * its VM), writes them to guest memory its VM shares, and increments a
 * shared counter with LOCK-prefixed adds. Each VM's memory must hold
 * exactly its own vCPUs' work. Two vCPUs whose threads share one host
 * CPU hand a token back and forth, each spinning with PAUSE and
 * interrupts off until the other writes it: every hand-off needs the host
 * to take the CPU from the spinner (its timer, or a PAUSE-loop exit and
 * a directed yield). KVM_SET_BOOT_CPU_ID picks the vCPU whose APIC base
 * says BSP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "guest.h"

static int sys_fd;

#define STAGES		3
#define STEPS		200	/* per stage; TCG is slow */
#define INCREMENTS	500

static volatile uint64_t results[GUEST_MAX_VCPUS];
static volatile uint64_t shared_counter;
static volatile uint64_t token;		/* spin_on_one_cpu's */

#define HANDOFFS	40

static uint64_t stage_value(uint64_t acc, uint64_t id, uint64_t stage)
{
	uint64_t i;

	for (i = 0; i < STEPS; i++)
		acc = acc * 6364136223846793005ull + id * 2 + stage;
	return acc;
}

GUEST_CODE static void guest_worker(uint64_t id, uint64_t tag)
{
	uint64_t stage, acc = tag, i;

	for (stage = 1; stage <= STAGES; stage++) {
		for (i = 0; i < STEPS; i++)
			acc = acc * 6364136223846793005ull + id * 2 + stage;
		results[id] = acc;
		GUEST_SYNC(stage, acc);
	}
	for (i = 0; i < INCREMENTS; i++)
		__atomic_fetch_add(&shared_counter, 1, __ATOMIC_SEQ_CST);
	GUEST_DONE();
}

struct worker {
	struct gvcpu *v;
	uint64_t id, tag;
	pthread_t thread;
	int result;
};

/* The host side of one vCPU: check every stage, then DONE. */
static int drive(struct worker *w)
{
	uint64_t acc = w->tag, stage, val;

	for (stage = 1; stage <= STAGES; stage++) {
		acc = stage_value(acc, w->id, stage);
		CHECK(!gvcpu_run_sync(w->v, stage, &val), "vCPU %lu stage %lu",
		      w->id, stage);
		CHECK(val == acc, "vCPU %lu stage %lu: %#lx, want %#lx", w->id,
		      stage, val, acc);
	}
	CHECK(!gvcpu_run_done(w->v), "vCPU %lu DONE", w->id);
	return KSFT_PASS;
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	w->result = drive(w);
	return NULL;
}

struct vm_set {
	struct gvm *vm;
	struct worker w[GUEST_MAX_VCPUS];
	int n;
};

/* A VM tagged @tag with vCPUs @ids[0..n). */
static int make_vm(struct vm_set *s, uint64_t tag, const int *ids, int n)
{
	int i;

	s->vm = gvm_create(sys_fd, 0);
	s->n = n;
	if (!s->vm)
		return -1;
	for (i = 0; i < n; i++) {
		s->w[i].id = ids[i];
		s->w[i].tag = tag;
		s->w[i].v = gvcpu_create_long(s->vm, ids[i], guest_worker, ids[i], tag);
		if (!s->w[i].v)
			return -1;
	}
	return 0;
}

/* Each VM's memory: its own vCPUs' final values, its own count. */
static int check_vm(struct vm_set *s)
{
	volatile uint64_t *res = GVM_VAR(s->vm, results[0]);
	uint64_t count = *GVM_VAR(s->vm, shared_counter), acc, stage;
	int i, j;

	CHECK(count == (uint64_t)s->n * INCREMENTS, "tag %lu: counter %lu, want %d",
	      s->w[0].tag, count, s->n * INCREMENTS);
	for (i = 0; i < s->n; i++) {
		for (acc = s->w[i].tag, stage = 1; stage <= STAGES; stage++)
			acc = stage_value(acc, s->w[i].id, stage);
		CHECK(res[s->w[i].id] == acc, "tag %lu vCPU %lu: %#lx in memory",
		      s->w[i].tag, s->w[i].id, res[s->w[i].id]);
	}
	for (j = 0; j < GUEST_MAX_VCPUS; j++) {	/* nobody else wrote here */
		for (i = 0; i < s->n && s->w[i].id != (uint64_t)j; i++)
			;
		CHECK(i < s->n || res[j] == 0, "tag %lu: results[%d] = %#lx",
		      s->w[0].tag, j, res[j]);
	}
	return KSFT_PASS;
}

static void free_vm(struct vm_set *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		gvcpu_destroy(s->w[i].v);
	gvm_destroy(s->vm);
}

/* Start every worker of @sets, join them all, then check each VM. */
static int run_all(struct vm_set *sets, int nsets)
{
	int i, j, r = KSFT_PASS;

	for (i = 0; i < nsets; i++)
		for (j = 0; j < sets[i].n; j++)
			CHECK(!pthread_create(&sets[i].w[j].thread, NULL,
					      worker_thread, &sets[i].w[j]),
			      "pthread_create");
	for (i = 0; i < nsets; i++)
		for (j = 0; j < sets[i].n; j++) {
			pthread_join(sets[i].w[j].thread, NULL);
			if (sets[i].w[j].result != KSFT_PASS)
				r = KSFT_FAIL;
		}
	for (i = 0; i < nsets && r == KSFT_PASS; i++)
		r = check_vm(&sets[i]);
	return r;
}

static int t_vcpus_in_threads(void)
{
	static const int ids[] = { 0, 1, 2, 3 };
	static struct vm_set s;
	int r;

	memset(&s, 0, sizeof(s));
	CHECK(!make_vm(&s, 1000, ids, 4), "VM with 4 vCPUs");
	r = run_all(&s, 1);
	free_vm(&s);
	return r;
}

/* Three VMs at once, vCPU ids not contiguous (as APIC IDs may be). */
static int t_several_vms(void)
{
	static const int ids[][2] = { { 0, 1 }, { 0, 7 }, { 3, 30 } };
	static struct vm_set s[3];
	int i, r;

	memset(s, 0, sizeof(s));
	for (i = 0; i < 3; i++)
		CHECK(!make_vm(&s[i], 2000 + i, ids[i], 2), "VM %d", i);
	r = run_all(s, 3);
	for (i = 0; i < 3; i++)
		free_vm(&s[i]);
	return r;
}

/* One thread taking turns between the vCPUs of a VM works as well. */
static int t_one_thread_many_vcpus(void)
{
	static const int ids[] = { 0, 1, 2 };
	static struct vm_set s;
	uint64_t stage, val, acc[3];
	int i;

	memset(&s, 0, sizeof(s));
	CHECK(!make_vm(&s, 3000, ids, 3), "VM with 3 vCPUs");
	for (i = 0; i < 3; i++)
		acc[i] = s.w[i].tag;
	for (stage = 1; stage <= STAGES; stage++)
		for (i = 0; i < 3; i++) {
			acc[i] = stage_value(acc[i], i, stage);
			CHECK(!gvcpu_run_sync(s.w[i].v, stage, &val) && val == acc[i],
			      "vCPU %d stage %lu: %#lx", i, stage, val);
		}
	for (i = 0; i < 3; i++)
		CHECK(!gvcpu_run_done(s.w[i].v), "vCPU %d DONE", i);
	CHECK(check_vm(&s) == KSFT_PASS, "VM memory");
	free_vm(&s);
	return KSFT_PASS;
}

/*
 * Hand-off r (from 1) is written by vCPU (r - 1) % 2 once it has seen
 * hand-off r - 1; the other spins for it. IF stays 0 throughout.
 */
GUEST_CODE static void guest_handoff(uint64_t id, uint64_t handoffs)
{
	uint64_t r;

	for (r = 1; r <= handoffs; r++) {
		if ((r - 1) % 2 == id)
			token = r;
		else
			while (token != r)
				__asm__ volatile("pause");
	}
	GUEST_DONE();
}

static int t_spin_on_one_cpu(void)
{
	struct gvcpu_runner run[2];
	double t0;
	struct gvcpu *v[2];
	struct gvm *vm;
	int i, result[2], cpu = sched_getcpu();

	CHECK(cpu >= 0, "sched_getcpu");
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	for (i = 0; i < 2; i++) {
		v[i] = gvcpu_create_long(vm, i, guest_handoff, i, HANDOFFS);
		CHECK(v[i], "vCPU %d", i);
	}
	t0 = ksft_mono_s();
	for (i = 0; i < 2; i++)
		CHECK(!gvcpu_runner_start(&run[i], v[i], cpu), "vCPU %d's thread", i);
	for (i = 0; i < 2; i++)
		result[i] = gvcpu_runner_join(&run[i]);
	ksft_diag("%d hand-offs between two vCPUs on host CPU %d in %.3f s",
		  HANDOFFS, cpu, ksft_mono_s() - t0);
	CHECK(result[0] == KSFT_PASS && result[1] == KSFT_PASS,
	      "vCPU 0 %d, vCPU 1 %d", result[0], result[1]);
	CHECK(*GVM_VAR(vm, token) == HANDOFFS, "token %lu, want %d",
	      *GVM_VAR(vm, token), HANDOFFS);
	for (i = 0; i < 2; i++)
		gvcpu_destroy(v[i]);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * KVM_SET_BOOT_CPU_ID: before any vCPU exists it picks the one whose APIC
 * base has the BSP flag (bit 8); once a vCPU exists it is EBUSY.
 */
#define MSR_APIC_BASE	0x1b
#define APIC_BASE_BSP	(1ull << 8)
#define BOOT_VCPUS	3

GUEST_CODE static void guest_apic_base(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, gmsr_read(MSR_APIC_BASE));
}

static int boot_cpu_run(uint32_t bsp)
{
	struct gvcpu *v[BOOT_VCPUS] = { 0 };
	struct gvm *vm = gvm_create(sys_fd, 0);
	int i, r = KSFT_FAIL;
	uint64_t base;
	long e;

	if (!vm)
		return KSFT_FAIL;
	e = khv_ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, bsp);
	if (e) {
		ksft_diag("KVM_SET_BOOT_CPU_ID %u: %ld", bsp, e);
		goto out;
	}
	for (i = 0; i < BOOT_VCPUS; i++) {
		v[i] = gvcpu_create_long(vm, i, guest_apic_base, 0, 0);
		if (!v[i])
			goto out;
	}
	e = khv_ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 0);
	if (e != -EBUSY) {
		ksft_diag("KVM_SET_BOOT_CPU_ID with vCPUs: %ld, not -EBUSY", e);
		goto out;
	}
	for (i = 0; i < BOOT_VCPUS; i++) {
		if (gvcpu_run_sync(v[i], 1, &base))
			goto out;
		if (!!(base & APIC_BASE_BSP) != (i == (int)bsp)) {
			ksft_diag("boot vCPU %u: vCPU %d's APIC base %#llx", bsp, i,
				  (unsigned long long)base);
			goto out;
		}
	}
	r = KSFT_PASS;
out:
	for (i = 0; i < BOOT_VCPUS; i++)
		if (v[i])
			gvcpu_destroy(v[i]);
	gvm_destroy(vm);
	return r;
}

static int t_boot_cpu_id(void)
{
	SKIP_IF(khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_BOOT_CPU_ID) <= 0,
		"no KVM_CAP_SET_BOOT_CPU_ID");
	CHECK(boot_cpu_run(0) == KSFT_PASS, "boot vCPU 0");
	CHECK(boot_cpu_run(2) == KSFT_PASS, "boot vCPU 2");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "vcpus_in_threads", t_vcpus_in_threads },
	{ "several_vms", t_several_vms },
	{ "one_thread_many_vcpus", t_one_thread_many_vcpus },
	{ "spin_on_one_cpu", t_spin_on_one_cpu },
	{ "boot_cpu_id", t_boot_cpu_id },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
