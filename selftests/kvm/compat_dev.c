// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_compat=1: khv answers at /dev/kvm, the KVM misc minor (10:232), so
 * unmodified KVM clients find it. Skipped unless khv runs with kvm_compat.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "khv_test.h"

static int t_kvm_node(void)
{
	struct stat st;

	CHECK(!stat("/dev/kvm", &st), "no /dev/kvm");
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 &&
	      minor(st.st_rdev) == 232, "/dev/kvm is not char 10:232");
	return KSFT_PASS;
}

static int t_served_by_khv(void)
{
	long r0 = khv_module_refcnt("khv"), r1, v;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	CHECK(fd >= 0, "open /dev/kvm: %d", errno);
	r1 = khv_module_refcnt("khv");
	v = khv_ioctl(fd, KVM_GET_API_VERSION, 0);
	vm = khv_create_vm(fd);
	close(vm);
	close(fd);
	CHECK(r1 == r0 + 1, "opening /dev/kvm did not pin khv (%ld -> %ld)",
	      r0, r1);
	CHECK(v == 12, "KVM_GET_API_VERSION = %ld", v);
	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "kvm_node", t_kvm_node },
	{ "served_by_khv", t_served_by_khv },
};

int main(int argc, char **argv)
{
	FILE *f = fopen("/sys/module/khv/parameters/kvm_compat", "r");
	int c = f ? fgetc(f) : 0;

	if (f)
		fclose(f);
	khv_test_init(argc, argv);
	if (c != 'Y')
		ksft_exit_skip("khv is not loaded with kvm_compat=1");
	return KSFT_RUN(cases);
}
