// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs as firmware and kernels use them from inside the guest: RDMSR and
 * WRMSR of the MTRRs, PAT, MCG and machine-check banks, MISC_ENABLE and
 * APIC_BASE work and keep what was written; an MSR nobody implements
 * raises #GP in the guest. And KVM_GET_MSR_INDEX_LIST lists the
 * machine-check status and control MSRs that QEMU saves;
 * KVM_CAP_MSR_PLATFORM_INFO shows or hides MSR_PLATFORM_INFO; the feature
 * MSRs (KVM_GET_MSR_FEATURE_INDEX_LIST) read through the system fd and
 * their values go into a vCPU; RDMSR/WRMSR exit to user space
 * (KVM_CAP_X86_USER_SPACE_MSR) where an MSR filter or khv refuses them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

#define MSR_NOBODY		0x474f4f00	/* no CPU's, no hypervisor's */

/* KVM_GET_MSRS on the system fd: how many of @idx[0..n) were read. */
static long feature_msrs_get(const uint32_t *idx, uint32_t n, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[64];
	} m = { .hdr.nmsrs = n };
	long r;
	uint32_t i;

	for (i = 0; i < n; i++)
		m.e[i].index = idx[i];
	r = khv_ioctl(sys_fd, KVM_GET_MSRS, (unsigned long)&m);
	for (i = 0; val && r > 0 && i < (uint32_t)r; i++)
		val[i] = m.e[i].data;
	return r;
}

/*
 * The feature MSRs: the list answers -E2BIG with its length when short;
 * every listed MSR reads through the system fd, alone and all together,
 * and the read stops at an index that is no MSR at all. Each value read
 * is one the vCPU takes from user space: the microcode revision always,
 * DE_CFG (AMD) only within the bits its feature value offers.
 */
static int t_feature_msrs(void)
{
	struct {
		struct kvm_msr_list hdr;
		uint32_t idx[63];
	} l = { .hdr.nmsrs = 0 };
	uint64_t val[64], back;
	bool ucode = false;
	struct gvcpu *v;
	struct gvm *vm;
	uint32_t i, n;

	if (khv_cap(sys_fd, KVM_CAP_GET_MSR_FEATURES) <= 0)
		return KSFT_SKIP;
	CHECK(khv_ioctl(sys_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, (unsigned long)&l) == -E2BIG &&
	      l.hdr.nmsrs > 0, "empty room: -E2BIG with the length (%u)", l.hdr.nmsrs);
	n = l.hdr.nmsrs;
	CHECK(n <= 63, "%u feature MSRs: more than this test has room for", n);
	CHECK(!khv_ioctl(sys_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, (unsigned long)&l) &&
	      l.hdr.nmsrs == n, "list of %u", n);
	for (i = 0; i < n; i++) {
		ucode |= l.idx[i] == 0x8b;
		CHECK(feature_msrs_get(&l.idx[i], 1, NULL) == 1, "%#x alone", l.idx[i]);
	}
	CHECK(ucode, "UCODE_REV (0x8b) is not among the %u feature MSRs", n);
	/* no MSR at all (the TSC would not do: 6.12 reads 0 for MSRs it saves) */
	l.idx[n] = MSR_NOBODY;
	CHECK(feature_msrs_get(l.idx, n + 1, val) == n, "all %u, then no MSR", n);
	CHECK(feature_msrs_get(&l.idx[n], 1, NULL) == 0, "no MSR alone");

	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	for (i = 0; i < n; i++) {
		if (l.idx[i] != 0x8b && l.idx[i] != 0xc0011029)
			continue;
		CHECK(gvcpu_set_msr(v, l.idx[i], val[i]) == 1 &&
		      gvcpu_get_msr(v, l.idx[i], &back) == 1 && back == val[i],
		      "%#x = %#llx into the vCPU (read %#llx)", l.idx[i],
		      (unsigned long long)val[i], (unsigned long long)back);
		/* DE_CFG bit 0 is no feature of any host */
		if (l.idx[i] == 0xc0011029)
			CHECK(gvcpu_set_msr(v, l.idx[i], val[i] | 1) == 0,
			      "DE_CFG %#llx: a bit beyond the feature value taken",
			      (unsigned long long)(val[i] | 1));
	}
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * ARCH_CAPABILITIES (0x10a) and PERF_CAPABILITIES (0x345), as KVM has
 * them on every host: feature MSRs; vCPU MSRs that user space reads and
 * sets (ARCH_CAPABILITIES starts at the feature value and takes any value
 * from user space; PERF_CAPABILITIES nothing beyond its feature value)
 * and the guest only reads, ARCH_CAPABILITIES where its CPUID has
 * CPUID.7.0:EDX[29], PERF_CAPABILITIES where it has CPUID.1:ECX.PDCM.
 */
#define MSR_ARCH_CAPS		0x10a
#define MSR_PERF_CAPS		0x345

GUEST_CODE static void guest_caps(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, rdmsr(MSR_ARCH_CAPS));
	wrmsr(MSR_ARCH_CAPS, 0);
	rdmsr(MSR_PERF_CAPS);
	wrmsr(MSR_PERF_CAPS, 0);
	GUEST_SYNC(2, gp_count);
	GUEST_DONE();
}

GUEST_CODE static void guest_caps_hidden(uint64_t a, uint64_t b)
{
	rdmsr(MSR_ARCH_CAPS);
	GUEST_SYNC(1, gp_count);
	GUEST_DONE();
}

/* A VM whose vCPUs get CPUID.7.0:EDX[29] as @arch_caps says, and no PDCM. */
static struct gvm *caps_vm(bool arch_caps)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	uint32_t i;

	if (!vm || gvm_set_handler(vm, 13, on_gp))
		return NULL;
	for (i = 0; i < vm->cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &vm->cpuid->entries[i];

		if (e->function == 7 && e->index == 0)
			e->edx = arch_caps ? e->edx | 1u << 29 : e->edx & ~(1u << 29);
		if (e->function == 1)
			e->ecx &= ~(1u << 15);
	}
	return vm;
}

static bool cpuid_has_arch_caps(void)
{
	struct kvm_cpuid2 *c = khv_supported_cpuid(sys_fd);
	bool has = false;
	uint32_t i;

	for (i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == 7 && c->entries[i].index == 0)
			has = c->entries[i].edx & (1u << 29);
	free(c);
	return has;
}

static int t_capabilities_msrs(void)
{
	const uint32_t idx[2] = { MSR_ARCH_CAPS, MSR_PERF_CAPS };
	struct {
		struct kvm_msr_list hdr;
		uint32_t idx[63];
	} l = { .hdr.nmsrs = 63 };
	uint64_t feat[2], val;
	bool listed[2] = { false, false };
	struct gvcpu *v;
	struct gvm *vm;
	uint32_t i;

	if (khv_cap(sys_fd, KVM_CAP_GET_MSR_FEATURES) <= 0)
		return KSFT_SKIP;
	CHECK(!khv_ioctl(sys_fd, KVM_GET_MSR_FEATURE_INDEX_LIST, (unsigned long)&l),
	      "feature list");
	for (i = 0; i < l.hdr.nmsrs; i++) {
		listed[0] |= l.idx[i] == MSR_ARCH_CAPS;
		listed[1] |= l.idx[i] == MSR_PERF_CAPS;
	}
	CHECK(listed[0] && listed[1], "feature MSRs: ARCH_CAPABILITIES %d, PERF_CAPABILITIES %d",
	      listed[0], listed[1]);
	CHECK(feature_msrs_get(idx, 2, feat) == 2, "both read through the system fd");
	CHECK(feat[0] & (1ull << 6), "ARCH_CAPABILITIES %#llx without PSCHANGE_MC_NO",
	      (unsigned long long)feat[0]);
	CHECK(cpuid_has_arch_caps(), "KVM_GET_SUPPORTED_CPUID without ARCH_CAPABILITIES");

	vm = caps_vm(true);
	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_caps, 0, 0);
	CHECK(v, "vCPU");
	CHECK(gvcpu_get_msr(v, MSR_ARCH_CAPS, &val) == 1 && val == feat[0],
	      "a new vCPU's ARCH_CAPABILITIES %#llx, the feature value %#llx",
	      (unsigned long long)val, (unsigned long long)feat[0]);
	CHECK(gvcpu_set_msr(v, MSR_ARCH_CAPS, 0) == 1 &&
	      gvcpu_get_msr(v, MSR_ARCH_CAPS, &val) == 1 && val == 0,
	      "user space sets ARCH_CAPABILITIES to 0 (read %#llx)", (unsigned long long)val);
	CHECK(gvcpu_set_msr(v, MSR_ARCH_CAPS, feat[0] | 1) == 1, "and to %#llx",
	      (unsigned long long)(feat[0] | 1));
	CHECK(gvcpu_get_msr(v, MSR_PERF_CAPS, &val) == 1 && val == feat[1],
	      "a new vCPU's PERF_CAPABILITIES %#llx, the feature value %#llx",
	      (unsigned long long)val, (unsigned long long)feat[1]);
	CHECK(gvcpu_set_msr(v, MSR_PERF_CAPS, feat[1]) == 1, "PERF_CAPABILITIES = its feature value");
	CHECK(gvcpu_set_msr(v, MSR_PERF_CAPS, ~feat[1]) == 0,
	      "PERF_CAPABILITIES %#llx beyond the feature value taken",
	      (unsigned long long)~feat[1]);
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == (feat[0] | 1),
	      "the guest reads ARCH_CAPABILITIES %#llx, user space set %#llx",
	      (unsigned long long)val, (unsigned long long)(feat[0] | 1));
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 3,
	      "%llu #GP of 3 (WRMSR ARCH_CAPABILITIES; RDMSR, WRMSR PERF_CAPABILITIES without PDCM)",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);

	vm = caps_vm(false);
	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_caps_hidden, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 1,
	      "RDMSR ARCH_CAPABILITIES without its CPUID bit: %llu #GP", (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * KVM_CAP_X86_USER_SPACE_MSR and KVM_X86_SET_MSR_FILTER: the guest's
 * RDMSR/WRMSR that the filter denies (FILTER), of an MSR nobody has
 * (UNKNOWN) or with a value the MSR refuses (INVAL) exit to user space,
 * whose answer (data, or error for #GP) completes the instruction. The
 * filter, set after the vCPU ran, also catches an MSR the guest otherwise
 * writes without an exit (FS_BASE); taken away, everything is the
 * kernel's again and an unknown MSR is the guest's #GP.
 */
#define MSR_POWER_CTL		0x1fc
#define MSR_FS_BASE		0xc0000100
#define MSR_PAT			0x277

GUEST_CODE static void guest_user_msrs(uint64_t a, uint64_t b)
{
	uint64_t fs = rdmsr(MSR_FS_BASE);

	GUEST_SYNC(1, 0);				/* the filter goes in */
	GUEST_SYNC(2, rdmsr(MSR_POWER_CTL));		/* FILTER: user space's 0x1234 */
	wrmsr(MSR_POWER_CTL, 5);			/* writes pass */
	wrmsr(MSR_FS_BASE, 0x5000);			/* FILTER: refused, #GP */
	GUEST_ASSERT_EQ(rdmsr(MSR_FS_BASE), fs);
	GUEST_SYNC(3, rdmsr(MSR_NOBODY));		/* UNKNOWN: user space's 77 */
	wrmsr(MSR_NOBODY, 88);				/* UNKNOWN: taken */
	wrmsr(MSR_PAT, 0xff);				/* INVAL: refused, #GP */
	GUEST_SYNC(4, gp_count);
	rdmsr(MSR_NOBODY);				/* the guest's #GP now */
	wrmsr(MSR_FS_BASE, 0x6000);
	GUEST_SYNC(5, rdmsr(MSR_FS_BASE));
	GUEST_SYNC(6, gp_count);
	GUEST_DONE();
}

static int set_msr_filter(int vm_fd, uint32_t flags, const struct kvm_msr_filter_range *r,
			  int n)
{
	struct kvm_msr_filter f = { .flags = flags };
	int i;

	for (i = 0; i < n; i++)
		f.ranges[i] = r[i];
	return (int)khv_ioctl(vm_fd, KVM_X86_SET_MSR_FILTER, (unsigned long)&f);
}

/* Run to the next MSR exit: it must be @reason's, for @index. */
static int run_msr_exit(struct gvcpu *v, uint32_t exit, uint32_t reason, uint32_t index)
{
	int r = gvcpu_run(v);

	if (r || v->run->exit_reason != exit || v->run->msr.reason != reason ||
	    v->run->msr.index != index) {
		ksft_diag("wanted exit %u reason %u MSR %#x: KVM_RUN %d, exit %u"
			  " reason %u MSR %#x", exit, reason, index, r,
			  v->run->exit_reason, v->run->msr.reason, v->run->msr.index);
		return -1;
	}
	return 0;
}

static int t_user_space_msrs(void)
{
	static uint8_t deny[8], allow_all[0x600];
	struct kvm_msr_filter_range ranges[] = {
		{ .flags = KVM_MSR_FILTER_READ, .base = MSR_POWER_CTL, .nmsrs = 1,
		  .bitmap = deny },
		{ .flags = KVM_MSR_FILTER_WRITE, .base = MSR_FS_BASE, .nmsrs = 1,
		  .bitmap = deny },
	};
	struct kvm_msr_filter_range bad = { .flags = 0, .base = 0, .nmsrs = 1,
					    .bitmap = allow_all };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR };
	struct gvm *vm;
	struct gvcpu *v;
	uint64_t val;

	SKIP_IF(khv_cap(sys_fd, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
		khv_cap(sys_fd, KVM_CAP_X86_MSR_FILTER) <= 0,
		"no KVM_CAP_X86_USER_SPACE_MSR or KVM_CAP_X86_MSR_FILTER");
	memset(allow_all, 0xff, sizeof(allow_all));
	gp_count = 0;
	vm = gvm_create(sys_fd, 0);
	CHECK(vm && !gvm_set_handler(vm, 13, on_gp), "VM");
	cap.args[0] = 1 << 3;
	CHECK(khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap) == -EINVAL,
	      "an unknown exit reason");
	cap.args[0] = KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN |
		      KVM_MSR_EXIT_REASON_FILTER;
	CHECK(!khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap), "KVM_ENABLE_CAP");
	CHECK(set_msr_filter(vm->fd, 2, NULL, 0) == -EINVAL, "an unknown filter flag");
	CHECK(set_msr_filter(vm->fd, KVM_MSR_FILTER_DEFAULT_DENY, NULL, 0) == -EINVAL,
	      "deny everything");
	CHECK(set_msr_filter(vm->fd, 0, &bad, 1) == -EINVAL, "a range with no flags");
	bad.flags = KVM_MSR_FILTER_READ;
	bad.nmsrs = 0x600 * 8 + 1;
	CHECK(set_msr_filter(vm->fd, 0, &bad, 1) == -EINVAL, "a bitmap of 0x601 bytes");
	bad.nmsrs = 0x600 * 8;
	CHECK(!set_msr_filter(vm->fd, 0, &bad, 1), "a bitmap of 0x600 bytes");

	v = gvcpu_create_long(vm, 0, guest_user_msrs, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(!set_msr_filter(vm->fd, 0, ranges, 2), "KVM_X86_SET_MSR_FILTER");
	CHECK(!run_msr_exit(v, KVM_EXIT_X86_RDMSR, KVM_MSR_EXIT_REASON_FILTER, MSR_POWER_CTL),
	      "RDMSR POWER_CTL");
	v->run->msr.data = 0x1234;
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 0x1234, "POWER_CTL read %#llx",
	      (unsigned long long)val);
	CHECK(!run_msr_exit(v, KVM_EXIT_X86_WRMSR, KVM_MSR_EXIT_REASON_FILTER, MSR_FS_BASE) &&
	      v->run->msr.data == 0x5000, "WRMSR FS_BASE");
	v->run->msr.error = 1;
	CHECK(!run_msr_exit(v, KVM_EXIT_X86_RDMSR, KVM_MSR_EXIT_REASON_UNKNOWN, MSR_NOBODY),
	      "RDMSR of an unknown MSR");
	v->run->msr.data = 77;
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 77, "unknown MSR read %llu",
	      (unsigned long long)val);
	CHECK(!run_msr_exit(v, KVM_EXIT_X86_WRMSR, KVM_MSR_EXIT_REASON_UNKNOWN, MSR_NOBODY) &&
	      v->run->msr.data == 88, "WRMSR of an unknown MSR");
	CHECK(!run_msr_exit(v, KVM_EXIT_X86_WRMSR, KVM_MSR_EXIT_REASON_INVAL, MSR_PAT) &&
	      v->run->msr.data == 0xff, "WRMSR of a PAT with a reserved type");
	v->run->msr.error = 1;
	CHECK(!gvcpu_run_sync(v, 4, &val) && val == 2, "%llu #GP (2: FS_BASE, PAT)",
	      (unsigned long long)val);

	CHECK(!set_msr_filter(vm->fd, 0, NULL, 0), "no filter");
	cap.args[0] = 0;
	CHECK(!khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap), "no exits");
	CHECK(!gvcpu_run_sync(v, 5, &val) && val == 0x6000, "FS_BASE %#llx",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 6, &val) && val == 3, "%llu #GP (3: the unknown MSR)",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "guest_rdmsr_wrmsr", t_guest_msrs },
	{ "index_list_mce", t_index_list_mce },
	{ "platform_info", t_platform_info },
	{ "feature_msrs", t_feature_msrs },
	{ "capabilities_msrs", t_capabilities_msrs },
	{ "user_space_msrs", t_user_space_msrs },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
