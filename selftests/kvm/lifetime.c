// SPDX-License-Identifier: GPL-2.0
/*
 * Object lifetime: open fds (and mappings) pin the module and keep VMs and
 * vCPUs alive; closing the last one frees everything. Live objects are
 * counted from debugfs (khv/ on khv, kvm/PID-FD/vcpuN on stock KVM).
 */
#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>

#include "khv_test.h"

static int sys_fd;

static int t_fds_pin_module(void)
{
	const char *mod = khv_module();
	long r0 = mod ? khv_module_refcnt(mod) : -1, r1;
	int vm, vcpu;

	SKIP_IF(r0 < 0, "KHV_MODULE unset or has no refcnt");
	CHECK(r0 >= 1, "the open device fd does not pin %s", mod);
	vm = khv_create_vm(sys_fd);
	vcpu = khv_create_vcpu(vm, 0);
	CHECK(vm >= 0 && vcpu >= 0, "vm %d vcpu %d", vm, vcpu);
	r1 = khv_module_refcnt(mod);
	close(vm);
	close(vcpu);
	CHECK(r1 > r0, "refcnt %ld with VM and vCPU fds, %ld without", r1, r0);
	CHECK(khv_module_refcnt(mod) == r0, "refcnt %ld after close, %ld before",
	      khv_module_refcnt(mod), r0);
	return KSFT_PASS;
}

static int t_last_fd_frees(void)
{
	int v0 = khv_live_vms(), c0 = khv_live_vcpus();
	int a, b, a0, a1, b0;

	SKIP_IF(v0 < 0 || c0 < 0, "no live-object counts in debugfs");
	a = khv_create_vm(sys_fd);
	b = khv_create_vm(sys_fd);
	a0 = khv_create_vcpu(a, 0);
	a1 = khv_create_vcpu(a, 1);
	b0 = khv_create_vcpu(b, 0);
	CHECK(a0 >= 0 && a1 >= 0 && b0 >= 0, "create failed");
	CHECK(khv_live_vms() == v0 + 2, "vms %d, want %d", khv_live_vms(), v0 + 2);
	CHECK(khv_live_vcpus() == c0 + 3, "vcpus %d, want %d", khv_live_vcpus(), c0 + 3);
	close(a);
	close(b);
	CHECK(khv_live_vms() == v0 + 2, "VM freed while its vCPU fds are open");
	close(a0);
	CHECK(khv_live_vms() == v0 + 2, "VM freed while a vCPU fd is open");
	close(a1);
	CHECK(khv_live_vms() == v0 + 1, "vms %d, want %d", khv_live_vms(), v0 + 1);
	CHECK(khv_live_vcpus() == c0 + 1, "vcpus %d, want %d", khv_live_vcpus(), c0 + 1);
	close(b0);
	CHECK(khv_live_vms() == v0, "vms %d, want %d", khv_live_vms(), v0);
	CHECK(khv_live_vcpus() == c0, "vcpus %d, want %d", khv_live_vcpus(), c0);
	return KSFT_PASS;
}

/* A mapping of kvm_run holds the vCPU file, and so the VM. */
static int t_mapping_keeps_vm(void)
{
	long sz = khv_ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	int v0 = khv_live_vms(), vm, vcpu;
	void *run;

	SKIP_IF(v0 < 0, "no live-object counts in debugfs");
	vm = khv_create_vm(sys_fd);
	vcpu = khv_create_vcpu(vm, 0);
	CHECK(vm >= 0 && vcpu >= 0, "vm %d vcpu %d", vm, vcpu);
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	CHECK(run != MAP_FAILED, "mmap");
	close(vcpu);
	close(vm);
	CHECK(khv_live_vms() == v0 + 1, "VM freed while kvm_run is mapped");
	munmap(run, sz);
	CHECK(khv_live_vms() == v0, "vms %d after munmap, want %d",
	      khv_live_vms(), v0);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "fds_pin_module", t_fds_pin_module },
	{ "last_fd_frees", t_last_fd_frees },
	{ "mapping_keeps_vm", t_mapping_keeps_vm },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
