// SPDX-License-Identifier: GPL-2.0
/* KVM_CREATE_VCPU and the vCPU fd: ids, limits, kvm_run mmap, errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "khv_test.h"

static int sys_fd;

static long ext(long cap)
{
	return khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, cap);
}

static int t_vcpu_ids(void)
{
	long max_id = ext(KVM_CAP_MAX_VCPU_ID);
	int vm = khv_create_vm(sys_fd), a, b, c, d;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	a = khv_create_vcpu(vm, 0);
	b = khv_create_vcpu(vm, 0);
	c = khv_create_vcpu(vm, max_id);
	d = khv_create_vcpu(vm, max_id - 1);
	close(vm);
	CHECK(a >= 0, "vCPU 0: %d", a);
	CHECK(b == -EEXIST, "vCPU 0 again: %d", b);
	CHECK(c == -EINVAL, "vCPU id MAX_VCPU_ID (%ld): %d", max_id, c);
	CHECK(d >= 0, "vCPU id MAX_VCPU_ID-1: %d", d);
	close(a);
	close(d);
	return KSFT_PASS;
}

/* Page 0 (kvm_run) and the PIO page are real pages shared by all maps. */
static int t_mmap_shared(void)
{
	long sz = khv_ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	long page = sysconf(_SC_PAGESIZE);
	int vm = khv_create_vm(sys_fd), vcpu;
	char *a, *b;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	vcpu = khv_create_vcpu(vm, 0);
	close(vm);
	CHECK(vcpu >= 0, "KVM_CREATE_VCPU: %d", vcpu);
	a = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	b = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(((struct kvm_run *)a)->exit_reason == KVM_EXIT_UNKNOWN,
	      "fresh exit_reason %u", ((struct kvm_run *)a)->exit_reason);
	a[page - 1] = 0x5a;
	a[KVM_PIO_PAGE_OFFSET * page] = 0xa5;
	CHECK(b[page - 1] == 0x5a, "kvm_run page not shared");
	CHECK(b[KVM_PIO_PAGE_OFFSET * page] == (char)0xa5, "PIO page not shared");
	CHECK(a[KVM_PIO_PAGE_OFFSET * page - 1] != (char)0xa5, "pages alias");
	munmap(a, sz);
	munmap(b, sz);
	close(vcpu);
	return KSFT_PASS;
}

static int t_unknown_vcpu_ioctl(void)
{
	int vm = khv_create_vm(sys_fd), vcpu;
	long r;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	vcpu = khv_create_vcpu(vm, 0);
	CHECK(vcpu >= 0, "KVM_CREATE_VCPU: %d", vcpu);
	/* the VM fd is closed: the vCPU keeps the VM alive */
	close(vm);
	r = khv_ioctl(vcpu, _IO(KVMIO, 0xfe), 0);
	close(vcpu);
	CHECK(r == -EINVAL, "_IO(KVMIO, 0xfe) on a vCPU fd: %ld", r);
	return KSFT_PASS;
}

static int t_other_process(void)
{
	int vm = khv_create_vm(sys_fd), vcpu, status;
	pid_t pid;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	vcpu = khv_create_vcpu(vm, 0);
	CHECK(vcpu >= 0, "KVM_CREATE_VCPU: %d", vcpu);
	pid = fork();
	if (pid == 0)
		_exit(khv_ioctl(vcpu, KVM_RUN, 0) == -EIO ? 0 : 1);
	CHECK(pid > 0, "fork");
	waitpid(pid, &status, 0);
	close(vcpu);
	close(vm);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "KVM_RUN from a child did not give -EIO");
	return KSFT_PASS;
}

/* Exactly KVM_CAP_MAX_VCPUS vCPUs fit in a VM. */
static int t_max_vcpus(void)
{
	long max = ext(KVM_CAP_MAX_VCPUS), i, n;
	struct rlimit rl = { max + 64, max + 64 };
	int vm, fd, *fds, r = KSFT_PASS;

	SKIP_IF(setrlimit(RLIMIT_NOFILE, &rl), "cannot raise RLIMIT_NOFILE");
	fds = calloc(max, sizeof(*fds));
	vm = khv_create_vm(sys_fd);
	CHECK(fds && vm >= 0, "KVM_CREATE_VM: %d", vm);
	for (n = 0; n < max; n++) {
		fds[n] = khv_create_vcpu(vm, n);
		if (fds[n] < 0) {
			ksft_diag("vCPU %ld of %ld: %d", n, max, fds[n]);
			r = KSFT_FAIL;
			break;
		}
	}
	if (r == KSFT_PASS) {
		fd = khv_create_vcpu(vm, max);
		if (fd != -EINVAL) {
			ksft_diag("vCPU beyond MAX_VCPUS: %d", fd);
			r = KSFT_FAIL;
		}
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(vm);
	free(fds);
	return r;
}

static const struct ksft_case cases[] = {
	{ "vcpu_ids", t_vcpu_ids },
	{ "mmap_shared", t_mmap_shared },
	{ "unknown_vcpu_ioctl", t_unknown_vcpu_ioctl },
	{ "other_process", t_other_process },
	{ "max_vcpus", t_max_vcpus },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
