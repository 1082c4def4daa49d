// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload (destructive: the module under test is gone afterwards).
 * Open fds must make delete_module fail; after the last close it must
 * succeed, remove the device, and leave SVM off on every CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "khv_test.h"

static long delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int t_busy_while_open(void)
{
	const char *mod = khv_module();
	int dev, vm, vcpu;
	long r;

	SKIP_IF(!mod, "KHV_MODULE unset");
	dev = khv_open_dev();
	vm = khv_create_vm(dev);
	vcpu = khv_create_vcpu(vm, 0);
	CHECK(vm >= 0 && vcpu >= 0, "vm %d vcpu %d", vm, vcpu);
	close(dev);
	close(vm);
	r = delete_module(mod);
	close(vcpu);
	CHECK(r == -EWOULDBLOCK, "delete_module(%s) with a vCPU fd open: %ld",
	      mod, r);
	return KSFT_PASS;
}

static int t_unload(void)
{
	const char *mod = khv_module();
	long r;

	SKIP_IF(!mod, "KHV_MODULE unset");
	r = delete_module(mod);
	CHECK(r == 0, "delete_module(%s) after the last close: %ld", mod, r);
	CHECK(access(khv_dev_path(), F_OK) != 0, "%s still exists",
	      khv_dev_path());
	return KSFT_PASS;
}

static int t_svm_off(void)
{
	int cpus[256], n = khv_online_cpus(cpus, 256), i;
	uint64_t hsave;
	bool on;

	SKIP_IF(!khv_cpu_is_amd(), "not an AMD CPU");
	SKIP_IF(khv_svm_state(0, &on, &hsave), "no /dev/cpu/0/msr");
	for (i = 0; i < n; i++) {
		CHECK(!khv_svm_state(cpus[i], &on, &hsave), "rdmsr");
		CHECK(!on, "CPU %d: EFER.SVME still set", cpus[i]);
		CHECK(hsave == 0, "CPU %d: VM_HSAVE_PA %#llx", cpus[i],
		      (unsigned long long)hsave);
	}
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "busy_while_open", t_busy_while_open },
	{ "unload", t_unload },
	{ "svm_off_after_unload", t_svm_off },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	return KSFT_RUN(cases);
}
