// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs as firmware and kernels use them from inside the guest: RDMSR and
 * WRMSR of the MTRRs, PAT, MCG and machine-check banks, MISC_ENABLE and
 * APIC_BASE work and keep what was written; an MSR nobody implements
 * raises #GP in the guest. And KVM_GET_MSR_INDEX_LIST lists the
 * machine-check status and control MSRs that QEMU saves;
 * KVM_CAP_MSR_PLATFORM_INFO shows or hides MSR_PLATFORM_INFO.
 */
#include "guest.h"

static int sys_fd;
static volatile uint64_t gp_count;

GUEST_CODE static uint64_t rdmsr(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

GUEST_CODE static void wrmsr(uint32_t index, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(index), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}

static const struct {
	uint32_t index;
	uint64_t value;
} rw[] = {
	{ 0x2ff, 0xc06 },			/* MTRRdefType: E, FE, WB */
	{ 0x200, 0x80000006 },			/* MTRRphysBase0 */
	{ 0x201, 0xff80000800 },		/* MTRRphysMask0 (valid) */
	{ 0x250, 0x0606060606060606 },		/* MTRRfix64K_00000 */
	{ 0x268, 0x0505050505050505 },		/* MTRRfix4K_C0000 */
	{ 0x277, 0x0007040600070406 },		/* PAT */
	{ 0x17a, 0 },				/* MCG_STATUS */
};

#define NRW (sizeof(rw) / sizeof(rw[0]))

GUEST_CODE static void guest_msrs(uint64_t a, uint64_t b)
{
	uint64_t i;

	GUEST_ASSERT(rdmsr(0xfe) & 0xff);		/* MTRRcap: variable ranges */
	GUEST_ASSERT((rdmsr(0x179) & 0xff) >= 1);	/* MCG_CAP: banks */
	GUEST_ASSERT_EQ(rdmsr(0x1b) & 0xfffff000, 0xfee00000);	/* APIC_BASE */
	rdmsr(0x1a0);					/* MISC_ENABLE */
	rdmsr(0x401);					/* MC0_STATUS */
	for (i = 0; i < NRW; i++) {
		wrmsr(rw[i].index, rw[i].value);
		GUEST_ASSERT_EQ(rdmsr(rw[i].index), rw[i].value);
	}
	GUEST_SYNC(1, 0);
	rdmsr(0x12345678);				/* nobody has it: #GP */
	GUEST_SYNC(2, gp_count);
	GUEST_DONE();
}

/* #GP from the bad RDMSR: count it and step over the two-byte RDMSR. */
static void on_gp(struct guest_frame *f)
{
	gp_count++;
	f->rip += 2;
}

static int t_guest_msrs(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t n;

	CHECK(vm && !gvm_set_handler(vm, 13, on_gp), "VM");
	v = gvcpu_create_long(vm, 0, guest_msrs, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "MSRs read and written by the guest");
	CHECK(!gvcpu_run_sync(v, 2, &n) && n == 1, "#GP for an unknown MSR: %lu",
	      (unsigned long)n);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * KVM_CAP_MSR_PLATFORM_INFO: with it on (the default) the guest reads
 * MSR_PLATFORM_INFO (0xce) as user space set it; off, its RDMSR is #GP.
 */
#define MSR_PLATFORM_INFO	0xce
#define TURBO_RATIO		0xff00ull

GUEST_CODE static void guest_platform_info(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, rdmsr(MSR_PLATFORM_INFO));
	GUEST_SYNC(2, rdmsr(MSR_PLATFORM_INFO));	/* hidden: #GP */
	GUEST_SYNC(3, gp_count);
	GUEST_SYNC(4, rdmsr(MSR_PLATFORM_INFO));
	GUEST_DONE();
}

static int platform_info_cap(struct gvm *vm, bool on)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MSR_PLATFORM_INFO, .args = { on },
	};

	return khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap);
}

static int t_platform_info(void)
{
	struct gvm *vm;
	struct gvcpu *v;
	uint64_t pi, val, n;

	SKIP_IF(khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MSR_PLATFORM_INFO) <= 0,
		"no KVM_CAP_MSR_PLATFORM_INFO");
	vm = gvm_create(sys_fd, 0);
	CHECK(vm && !gvm_set_handler(vm, 13, on_gp), "VM");
	v = gvcpu_create_long(vm, 0, guest_platform_info, 0, 0);
	CHECK(v, "vCPU");
	CHECK(gvcpu_get_msr(v, MSR_PLATFORM_INFO, &pi) == 1, "KVM_GET_MSRS");
	CHECK(gvcpu_set_msr(v, MSR_PLATFORM_INFO, pi | TURBO_RATIO) == 1, "KVM_SET_MSRS");
	CHECK(!platform_info_cap(vm, true), "KVM_ENABLE_CAP on");
	CHECK(!gvcpu_run_sync(v, 1, &val) && (val & TURBO_RATIO) == TURBO_RATIO,
	      "the guest reads what user space wrote: %#llx", (unsigned long long)val);
	*GVM_VAR(vm, gp_count) = 0;
	CHECK(!platform_info_cap(vm, false), "KVM_ENABLE_CAP off");
	CHECK(!gvcpu_run_sync(v, 2, NULL) && !gvcpu_run_sync(v, 3, &n) && n == 1,
	      "hidden: #GP (%llu)", (unsigned long long)n);
	CHECK(!platform_info_cap(vm, true), "KVM_ENABLE_CAP on again");
	CHECK(!gvcpu_run_sync(v, 4, &val) && (val & TURBO_RATIO) == TURBO_RATIO,
	      "readable again: %#llx", (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static int t_index_list_mce(void)
{
	struct {
		struct kvm_msr_list hdr;
		uint32_t idx[512];
	} l = { .hdr.nmsrs = 512 };
	bool status = false, ctl = false;
	uint32_t i;

	CHECK(!khv_ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)&l), "list");
	for (i = 0; i < l.hdr.nmsrs; i++) {
		status |= l.idx[i] == 0x17a;
		ctl |= l.idx[i] == 0x17b;
	}
	CHECK(status && ctl, "MCG_STATUS %d, MCG_CTL %d listed", status, ctl);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "guest_rdmsr_wrmsr", t_guest_msrs },
	{ "index_list_mce", t_index_list_mce },
	{ "platform_info", t_platform_info },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
