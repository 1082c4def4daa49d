// SPDX-License-Identifier: GPL-2.0
/*
 * System fd ioctls: API version, vCPU mmap size, KVM_CHECK_EXTENSION
 * (including that every claimed capability really works) and the errno
 * for unknown ioctls, which must match stock KVM.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "khv_test.h"

static int sys_fd;

static long ext(long cap)
{
	return khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, cap);
}

static int t_api_version(void)
{
	long v = khv_ioctl(sys_fd, KVM_GET_API_VERSION, 0);

	CHECK(v == 12, "KVM_GET_API_VERSION = %ld", v);
	v = khv_ioctl(sys_fd, KVM_GET_API_VERSION, 1);
	CHECK(v == -EINVAL, "with arg 1: %ld", v);
	return KSFT_PASS;
}

static int t_vcpu_mmap_size(void)
{
	long page = sysconf(_SC_PAGESIZE);
	long sz = khv_ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	CHECK(sz >= (long)sizeof(struct kvm_run), "size %ld", sz);
	CHECK(sz % page == 0, "size %ld not page-sized", sz);
	CHECK(sz >= (KVM_PIO_PAGE_OFFSET + 1) * page,
	      "size %ld leaves out the PIO page", sz);
	sz = khv_ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 1);
	CHECK(sz == -EINVAL, "with arg 1: %ld", sz);
	return KSFT_PASS;
}

static int t_vcpu_limits(void)
{
	long nr = ext(KVM_CAP_NR_VCPUS), max = ext(KVM_CAP_MAX_VCPUS);
	long max_id = ext(KVM_CAP_MAX_VCPU_ID);
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(nr >= 1 && nr <= max, "NR_VCPUS %ld, MAX_VCPUS %ld", nr, max);
	CHECK(nr <= online, "NR_VCPUS %ld > %ld online CPUs", nr, online);
	CHECK(max_id >= max, "MAX_VCPU_ID %ld < MAX_VCPUS %ld", max_id, max);
	return KSFT_PASS;
}

static int t_unknown_caps(void)
{
	CHECK(ext(100000) == 0, "cap 100000 = %ld", ext(100000));
	CHECK(ext(-1) == 0, "cap -1 = %ld", ext(-1));
	return KSFT_PASS;
}

static int t_unknown_ioctls(void)
{
	long r = khv_ioctl(sys_fd, _IO(KVMIO, 0xfe), 0);

	CHECK(r == -EINVAL, "_IO(KVMIO, 0xfe): %ld", r);
	r = khv_ioctl(sys_fd, _IO('x', 1), 0);
	CHECK(r == -EINVAL, "_IO('x', 1): %ld", r);
	return KSFT_PASS;
}

/* Claims we can check cheaply: the capability's ioctl must work. */
static int probe_user_memory(int vm, int vcpu)
{
	static char mem[4096] __attribute__((aligned(4096)));
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = sizeof(mem),
		.userspace_addr = (unsigned long)mem,
	};

	return (int)khv_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&r);
}

static int probe_set_tss_addr(int vm, int vcpu)
{
	return (int)khv_ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000);
}

static int probe_mp_state(int vm, int vcpu)
{
	struct kvm_mp_state mp;

	return (int)khv_ioctl(vcpu, KVM_GET_MP_STATE, (unsigned long)&mp);
}

static int probe_ext_cpuid(int vm, int vcpu)
{
	struct kvm_cpuid2 c = { .nent = 0 };

	return (int)khv_ioctl(vcpu, KVM_SET_CPUID2, (unsigned long)&c);
}

static int probe_xsave(int vm, int vcpu)
{
	static struct kvm_xsave x;

	return (int)khv_ioctl(vcpu, KVM_GET_XSAVE, (unsigned long)&x);
}

static int probe_xcrs(int vm, int vcpu)
{
	struct kvm_xcrs x;

	return (int)khv_ioctl(vcpu, KVM_GET_XCRS, (unsigned long)&x);
}

static int probe_debugregs(int vm, int vcpu)
{
	struct kvm_debugregs d;

	return (int)khv_ioctl(vcpu, KVM_GET_DEBUGREGS, (unsigned long)&d);
}

static int probe_adjust_clock(int vm, int vcpu)
{
	struct kvm_clock_data c;

	memset(&c, 0, sizeof(c));
	return (int)khv_ioctl(vm, KVM_GET_CLOCK, (unsigned long)&c);
}

static int probe_tsc_khz(int vm, int vcpu)
{
	return (int)khv_ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
}

static int probe_mce(int vm, int vcpu)
{
	uint64_t cap = 10;

	return (int)khv_ioctl(vcpu, KVM_X86_SETUP_MCE, (unsigned long)&cap);
}

static int probe_guest_debug(int vm, int vcpu)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	return (int)khv_ioctl(vcpu, KVM_SET_GUEST_DEBUG, (unsigned long)&d);
}

static int probe_manual_dirty_log(int vm, int vcpu)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
	};

	return (int)khv_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap);
}

static const struct {
	const char *name;
	long cap;
	int (*probe)(int vm, int vcpu);
} claims[] = {
	{ "USER_MEMORY",	KVM_CAP_USER_MEMORY,	probe_user_memory },
	{ "SET_TSS_ADDR",	KVM_CAP_SET_TSS_ADDR,	probe_set_tss_addr },
	{ "MP_STATE",		KVM_CAP_MP_STATE,	probe_mp_state },
	{ "EXT_CPUID",		KVM_CAP_EXT_CPUID,	probe_ext_cpuid },
	{ "XSAVE",		KVM_CAP_XSAVE,		probe_xsave },
	{ "XCRS",		KVM_CAP_XCRS,		probe_xcrs },
	{ "DEBUGREGS",		KVM_CAP_DEBUGREGS,	probe_debugregs },
	{ "ADJUST_CLOCK",	KVM_CAP_ADJUST_CLOCK,	probe_adjust_clock },
	{ "GET_TSC_KHZ",	KVM_CAP_GET_TSC_KHZ,	probe_tsc_khz },
	{ "MCE",		KVM_CAP_MCE,		probe_mce },
	{ "SET_GUEST_DEBUG",	KVM_CAP_SET_GUEST_DEBUG, probe_guest_debug },
	{ "MANUAL_DIRTY_LOG_PROTECT2", KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
	  probe_manual_dirty_log },
};

static int t_claims_work(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		int vm, vcpu, r;

		if (!ext(claims[i].cap))
			continue;
		vm = khv_create_vm(sys_fd);
		CHECK(vm >= 0, "KVM_CREATE_VM: %d", vm);
		vcpu = khv_create_vcpu(vm, 0);
		CHECK(vcpu >= 0, "KVM_CREATE_VCPU: %d", vcpu);
		r = claims[i].probe(vm, vcpu);
		close(vcpu);
		close(vm);
		CHECK(r >= 0, "KVM_CAP_%s is claimed but its ioctl fails: %d",
		      claims[i].name, r);
	}
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "api_version", t_api_version },
	{ "vcpu_mmap_size", t_vcpu_mmap_size },
	{ "vcpu_limits", t_vcpu_limits },
	{ "unknown_caps", t_unknown_caps },
	{ "unknown_ioctls", t_unknown_ioctls },
	{ "claimed_caps_work", t_claims_work },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
