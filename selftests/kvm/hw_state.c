// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware state, read back through /dev/cpu/N/msr: while a VM exists SVM
 * is on (EFER.SVME, a host save area in VM_HSAVE_PA) on every online CPU,
 * and a CPU taken offline and back gets the same state as the others.
 */
#include <errno.h>
#include <unistd.h>

#include "khv_test.h"

static int sys_fd;

static int t_svm_on_with_vm(void)
{
	int cpus[256], n = khv_online_cpus(cpus, 256), i, vm, vcpu;
	uint64_t hsave;
	bool on;

	vm = khv_create_vm(sys_fd);
	vcpu = khv_create_vcpu(vm, 0);
	CHECK(vm >= 0 && vcpu >= 0, "vm %d vcpu %d", vm, vcpu);
	for (i = 0; i < n; i++) {
		CHECK(!khv_svm_state(cpus[i], &on, &hsave), "rdmsr on CPU %d", cpus[i]);
		CHECK(on, "CPU %d: EFER.SVME clear while a VM exists", cpus[i]);
		CHECK(hsave && !(hsave & 0xfff), "CPU %d: VM_HSAVE_PA %#llx",
		      cpus[i], (unsigned long long)hsave);
	}
	close(vcpu);
	close(vm);
	return KSFT_PASS;
}

/* Offline and online CPU 1; it must match CPU 0 afterwards. */
static int cycle_cpu1(void)
{
	uint64_t h0, h1;
	bool on0, on1;
	int r;

	r = khv_cpu_set_online(1, false);
	SKIP_IF(r == -ENOENT || r == -EACCES, "CPU 1 cannot go offline: %d", r);
	CHECK(r == 0, "offline CPU 1: %d", r);
	r = khv_cpu_set_online(1, true);
	CHECK(r == 0, "online CPU 1: %d", r);
	CHECK(!khv_svm_state(0, &on0, &h0) && !khv_svm_state(1, &on1, &h1), "rdmsr");
	CHECK(on0 == on1, "after hotplug CPU 1 SVME=%d, CPU 0 SVME=%d", on1, on0);
	CHECK(!h0 == !h1, "after hotplug CPU 1 HSAVE %#llx, CPU 0 %#llx",
	      (unsigned long long)h1, (unsigned long long)h0);
	return KSFT_PASS;
}

static int t_hotplug_idle(void)
{
	return cycle_cpu1();
}

static int t_hotplug_with_vm(void)
{
	int vm = khv_create_vm(sys_fd), r;
	uint64_t h;
	bool on;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	r = cycle_cpu1();
	if (r == KSFT_PASS && (khv_svm_state(1, &on, &h) || !on)) {
		ksft_diag("CPU 1 has SVM off after hotplug with a VM open");
		r = KSFT_FAIL;
	}
	close(vm);
	return r;
}

static const struct ksft_case cases[] = {
	{ "svm_on_with_vm", t_svm_on_with_vm },
	{ "hotplug_idle", t_hotplug_idle },
	{ "hotplug_with_vm", t_hotplug_with_vm },
};

int main(int argc, char **argv)
{
	uint64_t h;
	bool on;

	khv_test_init(argc, argv);
	if (!khv_cpu_is_amd())
		ksft_exit_skip("not an AMD CPU (SVM state is read from MSRs)");
	if (khv_svm_state(0, &on, &h))
		ksft_exit_skip("no /dev/cpu/0/msr (msr.ko)");
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
