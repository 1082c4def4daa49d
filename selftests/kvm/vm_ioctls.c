// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_VM and the VM fd: types, many VMs, caps, errors, ownership,
 * KVM_CAP_MAX_VCPU_ID.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "khv_test.h"

static int sys_fd;

static int t_vm_types(void)
{
	int vm = khv_create_vm(sys_fd);
	long r;

	CHECK(vm >= 0, "type 0: %d", vm);
	close(vm);
	r = khv_ioctl(sys_fd, KVM_CREATE_VM, 1);
	CHECK(r == -EINVAL, "type 1: %ld", r);
	return KSFT_PASS;
}

static int t_many_vms(void)
{
	int vms[8], i, r = KSFT_PASS;

	for (i = 0; i < 8; i++) {
		vms[i] = khv_create_vm(sys_fd);
		if (vms[i] < 0) {
			ksft_diag("VM %d: %d", i, vms[i]);
			r = KSFT_FAIL;
			break;
		}
	}
	while (--i >= 0)
		close(vms[i]);
	return r;
}

static int t_vm_check_extension(void)
{
	int vm = khv_create_vm(sys_fd);
	long a, b;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	a = khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM);
	b = khv_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	close(vm);
	SKIP_IF(a <= 0, "no KVM_CAP_CHECK_EXTENSION_VM");
	CHECK(b == khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
	      "VM fd says MAX_VCPUS %ld", b);
	return KSFT_PASS;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID): at most what the capability says,
 * set once (the same value again is no change), then vCPU ids from it on
 * are refused.
 */
static int t_max_vcpu_id(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID };
	int vm = khv_create_vm(sys_fd), fd;
	long max, r;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	max = khv_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	CHECK(max > 8, "KVM_CAP_MAX_VCPU_ID %ld", max);
	cap.args[0] = max + 1;
	r = khv_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap);
	CHECK(r == -EINVAL, "MAX_VCPU_ID %ld + 1: %ld", max, r);
	cap.args[0] = 4;
	r = khv_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap);
	CHECK(!r, "MAX_VCPU_ID 4: %ld", r);
	r = khv_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap);
	CHECK(!r, "MAX_VCPU_ID 4 again: %ld", r);
	cap.args[0] = 5;
	r = khv_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap);
	CHECK(r == -EINVAL, "MAX_VCPU_ID 5 after 4: %ld", r);
	r = khv_ioctl(vm, KVM_CREATE_VCPU, 4);
	CHECK(r == -EINVAL, "vCPU 4: %ld", r);
	fd = khv_ioctl(vm, KVM_CREATE_VCPU, 3);
	CHECK(fd >= 0, "vCPU 3: %d", fd);
	close(fd);
	close(vm);
	return KSFT_PASS;
}

static int t_unknown_vm_ioctl(void)
{
	int vm = khv_create_vm(sys_fd);
	long r;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	r = khv_ioctl(vm, _IO(KVMIO, 0xfe), 0);
	close(vm);
	CHECK(r == -ENOTTY, "_IO(KVMIO, 0xfe) on a VM fd: %ld", r);
	return KSFT_PASS;
}

/* A VM belongs to the process that created it: others get -EIO. */
static int t_other_process(void)
{
	int vm = khv_create_vm(sys_fd), status;
	pid_t pid;

	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	pid = fork();
	if (pid == 0)
		_exit(khv_create_vcpu(vm, 0) == -EIO ? 0 : 1);
	CHECK(pid > 0, "fork");
	waitpid(pid, &status, 0);
	close(vm);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "KVM_CREATE_VCPU from a child did not give -EIO");
	return KSFT_PASS;
}

/* Without an in-kernel irqchip, GSI routing is refused (as KVM). */
static int t_gsi_routing_without_irqchip(void)
{
	struct kvm_irq_routing routing = { .nr = 0 };
	int vm;
	long r;

	SKIP_IF(khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0,
		"no KVM_CAP_IRQ_ROUTING");
	vm = khv_create_vm(sys_fd);
	CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
	r = khv_ioctl(vm, KVM_SET_GSI_ROUTING, (unsigned long)&routing);
	close(vm);
	CHECK(r == -EINVAL, "KVM_SET_GSI_ROUTING without an irqchip: %ld", r);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "gsi_routing_without_irqchip", t_gsi_routing_without_irqchip },
	{ "vm_types", t_vm_types },
	{ "many_vms", t_many_vms },
	{ "vm_check_extension", t_vm_check_extension },
	{ "max_vcpu_id", t_max_vcpu_id },
	{ "unknown_vm_ioctl", t_unknown_vm_ioctl },
	{ "other_process", t_other_process },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
