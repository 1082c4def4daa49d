// SPDX-License-Identifier: GPL-2.0
/*
 * Host state VMRUN does not restore by itself: a guest writes its own FS,
 * GS and KERNEL_GS bases, STAR, LSTAR, CSTAR, SFMASK and SYSENTER MSRs
 * (on SVM it reaches them without an exit); afterwards the host thread's
 * FS base and thread-local storage are intact, its system calls work, and
 * KVM_GET_MSRS shows the guest's values. The same holds for another thread
 * that shares the vCPU thread's CPU while the guest runs (a hypervisor may
 * keep guest values loaded between exits, but not past a context switch);
 * its RDTSCP reads the host's TSC_AUX, not the guest's.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "guest.h"

static int sys_fd;
static __thread uint64_t tls_word = 0x7715;

static const struct {
	uint32_t index;
	uint64_t value;
} guest_values[] = {
	{ 0xc0000100, 0x0000123456789000ull },	/* FS_BASE */
	{ 0xc0000101, 0x0000234567890000ull },	/* GS_BASE */
	{ 0xc0000102, 0x0000345678900000ull },	/* KERNEL_GS_BASE */
	{ 0xc0000081, 0x0023001000000000ull },	/* STAR */
	{ 0xc0000082, 0xffffffff81c00000ull },	/* LSTAR */
	{ 0xc0000083, 0xffffffff81c01000ull },	/* CSTAR */
	{ 0xc0000084, 0x47700 },		/* SFMASK */
	{ 0x174, 0x10 },			/* SYSENTER_CS */
	{ 0x175, 0x45670000 },			/* SYSENTER_ESP */
	{ 0x176, 0x56780000 },			/* SYSENTER_EIP */
};

#define NVALUES (sizeof(guest_values) / sizeof(guest_values[0]))

GUEST_CODE static void guest_wrmsrs(uint64_t a, uint64_t b)
{
	uint64_t i;

	for (i = 0; i < NVALUES; i++)
		__asm__ volatile("wrmsr" : : "c"(guest_values[i].index),
				 "a"((uint32_t)guest_values[i].value),
				 "d"((uint32_t)(guest_values[i].value >> 32)));
	GUEST_SYNC(1, 0);
	GUEST_DONE();
}

static int t_host_state(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	unsigned long fs_before = 0, fs_after = 0;
	struct gvcpu *v;
	unsigned int i;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_wrmsrs, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before), "ARCH_GET_FS");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "guest wrote its MSRs");
	/* this thread's own state, straight after the exit */
	CHECK(!syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after), "ARCH_GET_FS after");
	CHECK(fs_after == fs_before, "host FS base %#lx, was %#lx", fs_after,
	      fs_before);
	CHECK(tls_word == 0x7715, "thread-local storage reads %#lx",
	      (unsigned long)tls_word);
	CHECK(getpid() > 0 && syscall(SYS_getppid) >= 0, "system calls");
	for (i = 0; i < NVALUES; i++) {
		CHECK(gvcpu_get_msr(v, guest_values[i].index, &val) == 1, "get %#x",
		      guest_values[i].index);
		/* an AMD guest's SYSENTER MSRs are 32-bit on stock KVM */
		if (guest_values[i].index >= 0x174 && guest_values[i].index <= 0x176)
			val = (uint32_t)val;
		CHECK(val == guest_values[i].value, "MSR %#x: %#lx, guest wrote %#lx",
		      guest_values[i].index, (unsigned long)val,
		      (unsigned long)guest_values[i].value);
	}
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* while_guest_runs */
static volatile uint64_t guest_stop, guest_loops;

#define GUEST_TSC_AUX	0x5a5
#define SWITCHES	200

GUEST_CODE static void guest_wrmsrs_spin(uint64_t a, uint64_t b)
{
	uint32_t eax, ebx, ecx, edx;
	uint64_t i;

	for (i = 0; i < NVALUES; i++)
		__asm__ volatile("wrmsr" : : "c"(guest_values[i].index),
				 "a"((uint32_t)guest_values[i].value),
				 "d"((uint32_t)(guest_values[i].value >> 32)));
	eax = 0x80000001;
	ecx = 0;
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (edx & (1u << 27))	/* RDTSCP: TSC_AUX is the guest's to write */
		__asm__ volatile("wrmsr" : : "c"(0xc0000103), "a"(GUEST_TSC_AUX), "d"(0));
	/* exits the host handles without going back to user space */
	while (!guest_stop) {
		eax = 0;
		__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
		guest_loops++;
	}
	GUEST_DONE();
}

static bool host_rdtscp(unsigned int *aux)
{
	unsigned int eax, ebx, ecx, edx, lo, hi;

	if (!__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) || !(edx & (1u << 27)))
		return false;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux));
	return true;
}

static int t_while_guest_runs(void)
{
	unsigned long fs_before = 0, fs = 0;
	unsigned int aux_before = 0, aux = 0;
	volatile uint64_t *loops;
	const char *bad = NULL;
	struct gvcpu_runner run;
	cpu_set_t set, old;
	struct gvcpu *v;
	bool have_rdtscp;
	struct gvm *vm;
	int i, cpu, result;

	CHECK(!sched_getaffinity(0, sizeof(old), &old), "sched_getaffinity");
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	CHECK(!sched_setaffinity(0, sizeof(set), &set), "pin to CPU %d", cpu);
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_wrmsrs_spin, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before), "ARCH_GET_FS");
	have_rdtscp = host_rdtscp(&aux_before);
	CHECK(!gvcpu_runner_start(&run, v, cpu), "the vCPU's thread");
	loops = GVM_VAR(vm, guest_loops);
	/*
	 * While this thread sleeps the vCPU's runs the guest; when it wakes
	 * it takes the CPU back (the vCPU's thread is switched out, in the
	 * middle of KVM_RUN) and looks at its own state.
	 */
	for (i = 0; i < SWITCHES && !bad; i++) {
		usleep(500);
		if (getpid() <= 0 || syscall(SYS_getppid) < 0)
			bad = "system calls fail";
		else if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) || fs != fs_before)
			bad = "the FS base changed";
		else if (tls_word != 0x7715)
			bad = "thread-local storage changed";
		else if (have_rdtscp && (host_rdtscp(&aux), aux != aux_before))
			bad = "RDTSCP reads another TSC_AUX";
	}
	/* the guest stops either way */
	*GVM_VAR(vm, guest_stop) = 1;
	result = gvcpu_runner_join(&run);
	sched_setaffinity(0, sizeof(old), &old);
	ksft_diag("%d switches on CPU %d, the guest looped %lu times; RDTSCP %s",
		  i, cpu, (unsigned long)*loops, have_rdtscp ? "checked" : "absent");
	CHECK(!bad, "switch %d: %s (FS base %#lx, was %#lx; TSC_AUX %#x, the host's %#x)",
	      i - 1, bad, fs, fs_before, aux, aux_before);
	CHECK(result == KSFT_PASS, "the guest ran to DONE");
	CHECK(*loops > 0, "the guest ran between the switches");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "host_state_after_guest_wrmsr", t_host_state },
	{ "while_guest_runs", t_while_guest_runs },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
