// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state through the ioctls a VMM uses, checked both ways against
 * what the guest sees: KVM_GET/SET_REGS, SREGS (with apic_base), FPU and
 * MSRS (the set QEMU 7.2 always reads and writes), KVM_GET_MSR_INDEX_LIST
 * and KVM_GET_SUPPORTED_CPUID (E2BIG protocols), KVM_SET/GET_CPUID2 and
 * the guest's CPUID instruction.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"

static int sys_fd;

/* Put @fn in a fresh VM on vCPU @id; both NULL on error. */
static struct gvcpu *long_vcpu(struct gvm **vm, int id, const void *fn)
{
	*vm = gvm_create(sys_fd, 0);
	return *vm ? gvcpu_create_long(*vm, id, fn, 0, 0) : NULL;
}

static void put_vcpu(struct gvm *vm, struct gvcpu *v)
{
	gvcpu_destroy(v);
	gvm_destroy(vm);
}

/* ---- general registers ---- */

static int t_regs_roundtrip(void)
{
	struct kvm_regs set, got;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t *p = (uint64_t *)&set;
	size_t i;

	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	for (i = 0; i < sizeof(set) / 8; i++)
		p[i] = 0x0102030405060708ull * (i + 1);
	set.rflags = 0x2 | 0x1 | 0x4 | 0x40 | 0x80 | 0x800;	/* CF PF ZF SF OF */
	CHECK(!gvcpu_set_regs(v, &set), "KVM_SET_REGS");
	CHECK(!gvcpu_get_regs(v, &got), "KVM_GET_REGS");
	CHECK(!memcmp(&set, &got, sizeof(set)), "regs differ (rip %#llx/%#llx)",
	      set.rip, got.rip);
	/* RFLAGS bit 1 always reads as 1 */
	set.rflags = 0;
	CHECK(!gvcpu_set_regs(v, &set) && !gvcpu_get_regs(v, &got), "again");
	CHECK(got.rflags == 2, "rflags %#llx after setting 0", got.rflags);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static volatile uint64_t regs_seen[5];

/*
 * One asm block: set RBX, R12-R15, ucall SYNC(1), then save RBX, R12-R15:
 * the host reads the guest's values and puts its own at the exit.
 */
GUEST_CODE static void guest_regs(uint64_t a, uint64_t b)
{
	__asm__ volatile("mov $0x1111111111111111, %%rbx\n"
			 "mov $0x1212121212121212, %%r12\n"
			 "mov $0x1313131313131313, %%r13\n"
			 "mov $0x1414141414141414, %%r14\n"
			 "mov $0x1515151515151515, %%r15\n"
			 "outl %%eax, %%dx\n"
			 "mov %%rbx, 0(%%rcx)\n"
			 "mov %%r12, 8(%%rcx)\n"
			 "mov %%r13, 16(%%rcx)\n"
			 "mov %%r14, 24(%%rcx)\n"
			 "mov %%r15, 32(%%rcx)\n"
			 : : "a"(UCALL_SYNC), "D"(UCALL_SYNC), "S"(1),
			     "d"(UCALL_PORT), "c"(regs_seen)
			 : "rbx", "r12", "r13", "r14", "r15", "memory");
	GUEST_SYNC(2, 0);
}

static int t_regs_guest_view(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_regs);
	volatile uint64_t *seen;
	struct kvm_regs regs;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rbx == 0x1111111111111111ull &&
	      regs.r12 == 0x1212121212121212ull &&
	      regs.r15 == 0x1515151515151515ull,
	      "guest values: rbx %#llx r12 %#llx r15 %#llx", regs.rbx, regs.r12,
	      regs.r15);
	CHECK(regs.rcx == (uint64_t)regs_seen, "rcx %#llx", regs.rcx);
	regs.rbx = 0xa1;
	regs.r12 = 0xa2;
	regs.r13 = 0xa3;
	regs.r14 = 0xa4;
	regs.r15 = 0xffffffffffffffa5ull;
	CHECK(!gvcpu_set_regs(v, &regs), "KVM_SET_REGS");
	CHECK(!gvcpu_run_sync(v, 2, NULL), "SYNC 2");
	seen = GVM_VAR(vm, regs_seen[0]);
	CHECK(seen[0] == 0xa1 && seen[1] == 0xa2 && seen[2] == 0xa3 &&
	      seen[3] == 0xa4 && seen[4] == 0xffffffffffffffa5ull,
	      "guest saw %#lx %#lx %#lx %#lx %#lx", seen[0], seen[1], seen[2],
	      seen[3], seen[4]);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

extern const char rip_landing[];

GUEST_CODE static void guest_set_rip(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, 0);
	__asm__ volatile("ud2\nrip_landing:");
	GUEST_SYNC(2, 0);
}

/*
 * KVM_SET_REGS with a new RIP at an OUT exit: the guest resumes at that
 * RIP (the pending OUT is not "completed" by skipping past anything).
 */
static int t_set_rip_at_io_exit(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_set_rip);
	struct kvm_regs regs;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	regs.rip = (uint64_t)rip_landing;
	CHECK(!gvcpu_set_regs(v, &regs), "KVM_SET_REGS");
	CHECK(!gvcpu_run_sync(v, 2, NULL), "guest did not resume at the new RIP");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* ---- registers through kvm_run (KVM_CAP_SYNC_REGS) ---- */

#define SYNC_PORT	0x1234
#define SYNC_ALL	(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

/* OUT, then RBX + 1, forever: each KVM_RUN adds one to RBX. */
GUEST_CODE static void guest_sync_regs(uint64_t a, uint64_t b)
{
	__asm__ volatile("1: outb %%al, %%dx\n\t"
			 "add $1, %%rbx\n\t"
			 "jmp 1b" : : "d"(SYNC_PORT) : "rax", "rbx", "memory");
}

/* KVM_RUN to the next OUT: 0, or the ioctl's -errno, or 1 for another exit. */
static int sync_run(struct gvcpu *v)
{
	int r = gvcpu_run(v);

	if (r)
		return r;
	return v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == SYNC_PORT ? 0 : 1;
}

/*
 * kvm_valid_regs and kvm_dirty_regs: a bit beyond REGS, SREGS and EVENTS
 * fails KVM_RUN (-EINVAL); the valid sets come back equal to what the
 * ioctls read; a dirty set goes in before the run and loses its bit; a
 * dirty set refused (CR0.PG without PE) fails KVM_RUN and keeps its bit
 * while the one before it was taken; with no bits kvm_run's copy and the
 * vCPU's registers go their own ways.
 */
static int t_sync_regs(void)
{
	long cap = khv_cap(sys_fd, KVM_CAP_SYNC_REGS);
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	struct gvcpu *v;
	struct gvm *vm;
	uint64_t bad;
	int r;

	SKIP_IF(cap <= 0 || (cap & SYNC_ALL) != SYNC_ALL, "KVM_CAP_SYNC_REGS is %ld", cap);
	v = long_vcpu(&vm, 0, guest_sync_regs);
	CHECK(v, "VM/vCPU");
	run = v->run;
	/* bits 63:32 too on 6.1; 6.12 runs with them (not checked here) */
	for (bad = 1ull << 3; bad; bad = bad == 1ull << 3 ? 1ull << 31 : 0) {
		run->kvm_valid_regs = bad | SYNC_ALL;
		r = sync_run(v);
		CHECK(r == -EINVAL, "kvm_valid_regs %#llx: %d, exit %u",
		      (unsigned long long)bad, r, run->exit_reason);
		run->kvm_valid_regs = 0;
		run->kvm_dirty_regs = bad;
		r = sync_run(v);
		CHECK(r == -EINVAL, "kvm_dirty_regs %#llx: %d, exit %u",
		      (unsigned long long)bad, r, run->exit_reason);
		run->kvm_dirty_regs = 0;
	}

	run->kvm_valid_regs = SYNC_ALL;
	CHECK(!sync_run(v), "first OUT");
	CHECK(!gvcpu_get_regs(v, &regs) && !memcmp(&regs, &run->s.regs.regs, sizeof(regs)),
	      "kvm_run's registers are KVM_GET_REGS's");
	CHECK(!gvcpu_get_sregs(v, &sregs) &&
	      !memcmp(&sregs, &run->s.regs.sregs, sizeof(sregs)),
	      "kvm_run's special registers are KVM_GET_SREGS's");
	CHECK(!khv_ioctl(v->fd, KVM_GET_VCPU_EVENTS, (unsigned long)&ev) &&
	      !memcmp(&ev, &run->s.regs.events, sizeof(ev)),
	      "kvm_run's events are KVM_GET_VCPU_EVENTS's");

	run->s.regs.regs.rbx = 0x1000;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	CHECK(!sync_run(v) && run->s.regs.regs.rbx == 0x1001 && !run->kvm_dirty_regs,
	      "dirty RBX 0x1000: %#llx after a run, dirty %#llx",
	      (unsigned long long)run->s.regs.regs.rbx,
	      (unsigned long long)run->kvm_dirty_regs);

	run->s.regs.regs.rbx = 0x2000;
	run->s.regs.sregs.cr0 = 1ull << 31;		/* PG without PE */
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	CHECK(sync_run(v) == -EINVAL, "CR0.PG without PE through kvm_run");
	CHECK(run->kvm_dirty_regs == KVM_SYNC_X86_SREGS,
	      "dirty after the refusal: %#llx (SREGS alone expected)",
	      (unsigned long long)run->kvm_dirty_regs);
	CHECK(!gvcpu_get_regs(v, &regs) && regs.rbx == 0x2000, "RBX taken: %#llx",
	      (unsigned long long)regs.rbx);
	CHECK(run->s.regs.sregs.cr0 == sregs.cr0, "the refused CR0 still in kvm_run: %#llx",
	      (unsigned long long)run->s.regs.sregs.cr0);
	/* the special registers written back are the vCPU's own: taken again */
	CHECK(!sync_run(v) && run->s.regs.regs.rbx == 0x2001 && !run->kvm_dirty_regs,
	      "after the refusal: RBX %#llx, dirty %#llx",
	      (unsigned long long)run->s.regs.regs.rbx,
	      (unsigned long long)run->kvm_dirty_regs);

	run->s.regs.events.flags = 1u << 30;
	run->kvm_dirty_regs = KVM_SYNC_X86_EVENTS;
	CHECK(sync_run(v) == -EINVAL && run->kvm_dirty_regs == KVM_SYNC_X86_EVENTS,
	      "events with an unknown flag");
	run->kvm_dirty_regs = 0;

	run->kvm_valid_regs = 0;
	run->s.regs.regs.rbx = 0xaaaa;
	regs.rbx = 0x3000;
	CHECK(!gvcpu_set_regs(v, &regs), "KVM_SET_REGS");
	CHECK(!sync_run(v) && run->s.regs.regs.rbx == 0xaaaa, "kvm_run's RBX kept: %#llx",
	      (unsigned long long)run->s.regs.regs.rbx);
	CHECK(!gvcpu_get_regs(v, &regs) && regs.rbx == 0x3001, "the vCPU's RBX %#llx",
	      (unsigned long long)regs.rbx);

	run->s.regs.regs = regs;
	run->s.regs.regs.rbx = 0x4000;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	CHECK(!sync_run(v) && run->s.regs.regs.rbx == 0x4000 && !run->kvm_dirty_regs,
	      "dirty without valid: kvm_run's RBX %#llx",
	      (unsigned long long)run->s.regs.regs.rbx);
	CHECK(!gvcpu_get_regs(v, &regs) && regs.rbx == 0x4001, "the vCPU's RBX %#llx",
	      (unsigned long long)regs.rbx);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* ---- segment and control registers ---- */

static int t_sregs_roundtrip(void)
{
	struct kvm_sregs a, b;
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, NULL);

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_get_sregs(v, &a), "KVM_GET_SREGS");
	CHECK(!gvcpu_set_sregs(v, &a), "KVM_SET_SREGS");
	CHECK(!gvcpu_get_sregs(v, &b), "KVM_GET_SREGS");
	CHECK(!memcmp(&a, &b, sizeof(a)), "sregs changed by a round trip");
	a.cr8 = 5;
	a.fs.base = 0x123456789000ull;
	a.gs.base = 0xffff888000001000ull;
	CHECK(!gvcpu_set_sregs(v, &a), "KVM_SET_SREGS");
	CHECK(!gvcpu_get_sregs(v, &b), "KVM_GET_SREGS");
	CHECK(!memcmp(&a, &b, sizeof(a)), "cr8 %llu fs.base %#llx gs.base %#llx",
	      b.cr8, b.fs.base, b.gs.base);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static volatile uint64_t fs_area[2] = { 0xf5f5f5f5, 0xf5f5f5f6 };
static volatile uint64_t gs_area[2] = { 0x65656565, 0x65656566 };

GUEST_CODE static void guest_segments(uint64_t a, uint64_t b)
{
	uint64_t fs1, gs1;
	uint32_t lo, hi;

	__asm__ volatile("mov %%fs:8, %0" : "=r"(fs1));
	__asm__ volatile("mov %%gs:8, %0" : "=r"(gs1));
	GUEST_SYNC(1, fs1);
	GUEST_SYNC(2, gs1);
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000100));
	GUEST_SYNC(3, (uint64_t)hi << 32 | lo);
}

/* FS/GS bases set through KVM_SET_SREGS are what the guest uses. */
static int t_sregs_guest_view(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_segments);
	struct kvm_sregs sr;
	uint64_t val;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	sr.fs.base = (uint64_t)fs_area;
	sr.gs.base = (uint64_t)gs_area;
	CHECK(!gvcpu_set_sregs(v, &sr), "KVM_SET_SREGS");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0xf5f5f5f6, "%%fs:8 %#lx", val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 0x65656566, "%%gs:8 %#lx", val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == (uint64_t)fs_area,
	      "FS_BASE MSR %#lx", val);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* KVM_SET_SREGS refuses states the CPU could not be in; sregs unchanged. */
static int t_sregs_invalid(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, NULL);
	struct kvm_sregs good, bad, now;
	struct {
		const char *what;
		int reg;	/* 0 cr0, 4 cr4 */
		uint64_t set, clear;
		bool skip;
	} cases[] = {
		{ "CR4 bit 63", 4, 1ull << 63, 0, false },
		{ "CR4 bit 32", 4, 1ull << 32, 0, false },
		{ "CR4.OSXSAVE without XSAVE", 4, 1ull << 18, 0,
		  vm && cpuid_has(vm->cpuid, 1, 2, 26) },
		{ "CR4.VMXE without VMX", 4, 1ull << 13, 0,
		  vm && cpuid_has(vm->cpuid, 1, 2, 5) },
		{ "long mode without CR4.PAE", 4, 0, 1ull << 5, false },
		{ "CR0 bit 32", 0, 1ull << 32, 0, false },
		{ "CR0.PG without PE", 0, 0, 1, false },
	};
	size_t i;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_get_sregs(v, &good), "KVM_GET_SREGS");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u64 *reg;

		if (cases[i].skip)
			continue;
		bad = good;
		reg = cases[i].reg == 4 ? &bad.cr4 : &bad.cr0;
		*reg = (*reg | cases[i].set) & ~cases[i].clear;
		CHECK(gvcpu_set_sregs(v, &bad) == -EINVAL, "%s accepted",
		      cases[i].what);
		CHECK(!gvcpu_get_sregs(v, &now) && !memcmp(&now, &good, sizeof(now)),
		      "sregs changed by the refused %s", cases[i].what);
	}
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/*
 * The CR4 bits each need a CPUID feature (leaf, register, bit), as KVM's
 * reserved-bit rules have them; the ones khv and stock KVM may offer.
 */
static const struct {
	uint64_t cr4;
	uint32_t leaf;
	int reg, bit;
} cr4_features[] = {
	{ 1ull << 13, 1, 2, 5 },	/* VMXE: VMX */
	{ 1ull << 16, 7, 1, 0 },	/* FSGSBASE */
	{ 1ull << 17, 1, 2, 17 },	/* PCIDE: PCID */
	{ 1ull << 18, 1, 2, 26 },	/* OSXSAVE: XSAVE */
	{ 1ull << 20, 7, 1, 7 },	/* SMEP */
	{ 1ull << 21, 7, 1, 20 },	/* SMAP */
	{ 1ull << 22, 7, 2, 3 },	/* PKE: PKU */
};

/*
 * As KVM: before KVM_SET_CPUID2 a vCPU's CR4 takes every bit the
 * supported CPUID allows (Linux's set_sregs_test checks this first); once
 * its CPUID is set (here to no entries at all), only what that table
 * announces.
 */
static int t_cr4_before_cpuid(void)
{
	struct kvm_cpuid2 none = { .nent = 0 };
	struct kvm_cpuid2 *sup = khv_supported_cpuid(sys_fd);
	struct kvm_sregs s, got;
	uint64_t features = 0, base;
	int vm_fd, fd;
	size_t i;

	CHECK(sup, "KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++)
		if (cpuid_has(sup, cr4_features[i].leaf, cr4_features[i].reg,
			      cr4_features[i].bit))
			features |= cr4_features[i].cr4;
	free(sup);
	vm_fd = khv_create_vm(sys_fd);
	CHECK(vm_fd >= 0, "VM");
	fd = (int)khv_ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	CHECK(fd >= 0, "vCPU");
	CHECK(!khv_ioctl(fd, KVM_GET_SREGS, (unsigned long)&s), "KVM_GET_SREGS");
	base = s.cr4;
	s.cr4 |= features | 0x7ff;	/* VME..OSXMMEXCPT need no CPUID bit */
	CHECK(!khv_ioctl(fd, KVM_SET_SREGS, (unsigned long)&s),
	      "no CPUID yet: CR4 %#llx (the supported bits) refused",
	      (unsigned long long)s.cr4);
	CHECK(!khv_ioctl(fd, KVM_GET_SREGS, (unsigned long)&got) && got.cr4 == s.cr4,
	      "CR4 reads back %#llx", (unsigned long long)got.cr4);
	s.cr4 = base;
	CHECK(!khv_ioctl(fd, KVM_SET_SREGS, (unsigned long)&s), "CR4 back to %#llx",
	      (unsigned long long)base);
	CHECK(!khv_ioctl(fd, KVM_SET_CPUID2, (unsigned long)&none),
	      "KVM_SET_CPUID2 with no entries");
	for (i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
		if (!(features & cr4_features[i].cr4))
			continue;
		s.cr4 = base | cr4_features[i].cr4;
		CHECK(khv_ioctl(fd, KVM_SET_SREGS, (unsigned long)&s) == -EINVAL,
		      "an empty CPUID: CR4 bit %#llx accepted",
		      (unsigned long long)cr4_features[i].cr4);
	}
	s.cr4 = base | 0x7ff;
	CHECK(!khv_ioctl(fd, KVM_SET_SREGS, (unsigned long)&s),
	      "an empty CPUID: CR4 %#llx refused", (unsigned long long)s.cr4);
	ksft_diag("supported CR4 feature bits %#llx", (unsigned long long)features);
	close(fd);
	close(vm_fd);
	return KSFT_PASS;
}

/* ---- apic_base ---- */

#define MSR_APIC_BASE 0x1b

GUEST_CODE static void guest_apic_base(uint64_t a, uint64_t b)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_APIC_BASE));
	GUEST_SYNC(1, (uint64_t)hi << 32 | lo);
	__asm__ volatile("wrmsr" : : "a"(0xfee00800), "d"(0), "c"(MSR_APIC_BASE));
	GUEST_SYNC(2, 0);
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_APIC_BASE));
	GUEST_SYNC(3, (uint64_t)hi << 32 | lo);
}

static int check_apic_base(struct gvcpu *v, uint64_t want)
{
	struct kvm_sregs sr;

	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	CHECK(sr.apic_base == want, "sregs.apic_base %#llx, want %#lx",
	      sr.apic_base, want);
	CHECK(v->run->apic_base == want, "run->apic_base %#llx, want %#lx",
	      v->run->apic_base, want);
	return KSFT_PASS;
}

/*
 * Without an in-kernel irqchip IA32_APIC_BASE lives in sregs.apic_base
 * and is echoed in kvm_run->apic_base after every exit; stock KVM's reset
 * value is 0xfee00000 | EN, plus BSP for vCPU 0. Guest WRMSRs show there
 * too (QEMU reads it to keep its userspace LAPIC on).
 */
static int t_apic_base(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_sregs sr;
	struct gvcpu *v, *v1;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_apic_base, 0, 0);
	v1 = gvcpu_create(vm, 1);
	CHECK(v && v1, "vCPUs");
	CHECK(!gvcpu_get_sregs(v1, &sr) && sr.apic_base == 0xfee00800,
	      "vCPU 1 apic_base %#llx", sr.apic_base);
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0xfee00900, "RDMSR %#lx", val);
	CHECK(check_apic_base(v, 0xfee00900) == KSFT_PASS, "reset value");
	CHECK(!gvcpu_run_sync(v, 2, NULL), "SYNC 2");
	CHECK(check_apic_base(v, 0xfee00800) == KSFT_PASS, "after guest WRMSR");
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	sr.apic_base = 0xfed00900;
	CHECK(!gvcpu_set_sregs(v, &sr), "KVM_SET_SREGS");
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0xfed00900, "RDMSR %#lx", val);
	CHECK(check_apic_base(v, 0xfed00900) == KSFT_PASS, "after SET_SREGS");
	/* x2APIC mode (bit 10) without EN (bit 11) is invalid, as is a base
	 * above MAXPHYADDR */
	sr.apic_base = 0xfee00400;
	CHECK(gvcpu_set_sregs(v, &sr) == -EINVAL, "x2APIC without EN accepted");
	sr.apic_base = 0xfee00800 | 1ull << 52;
	CHECK(gvcpu_set_sregs(v, &sr) == -EINVAL, "base above MAXPHYADDR accepted");
	CHECK(check_apic_base(v, 0xfed00900) == KSFT_PASS, "after refusal");
	gvcpu_destroy(v1);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* ---- FPU ---- */

static volatile uint8_t fpu_seen[16 * 16 + 16];
static volatile uint8_t xmm_mine[16 * 16];

#define XMM_STORE(n) "movdqu %%xmm" #n ", " #n "*16(%%rcx)\n"
#define XMM_LOAD(n) "movdqu " #n "*16(%%rcx), %%xmm" #n "\n"
#define XMM_ALL(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
	M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)

/*
 * SYNC 1, then save XMM0-15, ST0 and FCW as the host left them; then load
 * XMM0-15 from xmm_mine and SYNC 3 so the host can read them back.
 */
GUEST_CODE static void guest_fpu(uint64_t a, uint64_t b)
{
	__asm__ volatile("outl %%eax, %%dx\n"
			 XMM_ALL(XMM_STORE)
			 "fstpt 256(%%rcx)\n"
			 "fnstcw 266(%%rcx)\n"
			 : : "a"(UCALL_SYNC), "D"(UCALL_SYNC), "S"(1),
			     "d"(UCALL_PORT), "c"(fpu_seen) : "memory");
	GUEST_SYNC(2, 0);
	__asm__ volatile(XMM_ALL(XMM_LOAD)
			 "outl %%eax, %%dx\n"
			 : : "a"(UCALL_SYNC), "D"(UCALL_SYNC), "S"(3),
			     "d"(UCALL_PORT), "c"(xmm_mine)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			   "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
			   "xmm12", "xmm13", "xmm14", "xmm15", "memory");
}

/* 1.5 as an x87 80-bit extended real */
static const uint8_t st_one_half[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f };

static void fill_fpu(struct kvm_fpu *f)
{
	int i, j;

	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			f->xmm[i][j] = (uint8_t)(i * 16 + j + 1);
	memset(f->fpr, 0, sizeof(f->fpr));
	memcpy(f->fpr[0], st_one_half, 10);
	f->fcw = 0x27f;		/* 53-bit precision */
	f->fsw = 0;		/* TOP = 0: ST0 is physical register 0 */
	f->ftwx = 0x01;		/* ... which holds a value */
}

/*
 * KVM_SET_FPU then KVM_GET_FPU gives the x87 and SSE registers back. (Stock
 * KVM ignores kvm_fpu.mxcsr both ways, GET returning 0: not checked.)
 */
static int t_fpu_roundtrip(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_fpu set, got;
	struct gvcpu *v;

	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	CHECK(!khv_ioctl(v->fd, KVM_GET_FPU, (unsigned long)&set), "KVM_GET_FPU");
	CHECK(set.fcw == 0x37f, "reset FCW %#x", set.fcw);
	fill_fpu(&set);
	CHECK(!khv_ioctl(v->fd, KVM_SET_FPU, (unsigned long)&set), "KVM_SET_FPU");
	CHECK(!khv_ioctl(v->fd, KVM_GET_FPU, (unsigned long)&got), "KVM_GET_FPU");
	CHECK(!memcmp(got.xmm, set.xmm, sizeof(set.xmm)), "XMM differ");
	CHECK(!memcmp(got.fpr[0], st_one_half, 10), "ST0 differs");
	CHECK(got.fcw == set.fcw && got.fsw == set.fsw && got.ftwx == set.ftwx,
	      "fcw %#x fsw %#x ftwx %#x", got.fcw, got.fsw, got.ftwx);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static int t_fpu_guest_view(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_fpu);
	volatile uint8_t *seen, *mine;
	struct kvm_fpu f;
	int i;

	CHECK(v, "VM/vCPU");
	mine = GVM_VAR(vm, xmm_mine[0]);
	for (i = 0; i < 256; i++)
		mine[i] = (uint8_t)(0xff - i);
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(!khv_ioctl(v->fd, KVM_GET_FPU, (unsigned long)&f), "KVM_GET_FPU");
	fill_fpu(&f);
	CHECK(!khv_ioctl(v->fd, KVM_SET_FPU, (unsigned long)&f), "KVM_SET_FPU");
	CHECK(!gvcpu_run_sync(v, 2, NULL), "SYNC 2");
	seen = GVM_VAR(vm, fpu_seen[0]);
	for (i = 0; i < 256; i++)
		CHECK(seen[i] == f.xmm[i / 16][i % 16], "guest XMM%d byte %d: %#x",
		      i / 16, i % 16, seen[i]);
	for (i = 0; i < 10; i++)
		CHECK(seen[256 + i] == st_one_half[i], "guest ST0 byte %d: %#x",
		      i, seen[256 + i]);
	CHECK(seen[266] == 0x7f && seen[267] == 0x02, "guest FCW %#x%02x",
	      seen[267], seen[266]);
	CHECK(!gvcpu_run_sync(v, 3, NULL), "SYNC 3");
	CHECK(!khv_ioctl(v->fd, KVM_GET_FPU, (unsigned long)&f), "KVM_GET_FPU");
	for (i = 0; i < 256; i++)
		CHECK(f.xmm[i / 16][i % 16] == 0xff - i, "XMM%d byte %d: %#x",
		      i / 16, i % 16, f.xmm[i / 16][i % 16]);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* ---- MSRs ---- */

#define MAX_MSRS 96

struct msr_buf {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[MAX_MSRS];
};

static void add_msr(struct msr_buf *m, uint32_t index, uint64_t data)
{
	m->e[m->hdr.nmsrs].index = index;
	m->e[m->hdr.nmsrs].data = data;
	m->hdr.nmsrs++;
}

/*
 * What QEMU 7.2 writes on every reset and reads back on every sync
 * (ABI-NOTES 1.7), with values a real guest could hold. SYSENTER_ESP/EIP
 * stay below 4 GiB: stock KVM on AMD keeps only their low 32 bits for a
 * guest whose CPUID vendor is AMD.
 */
static void qemu_msrs(struct msr_buf *m, struct kvm_cpuid2 *cpuid, bool mce)
{
	uint32_t i;

	m->hdr.nmsrs = 0;
	add_msr(m, 0x174, 0x10);			/* SYSENTER_CS */
	add_msr(m, 0x175, 0xfffff000);			/* SYSENTER_ESP */
	add_msr(m, 0x176, 0x81000000);			/* SYSENTER_EIP */
	add_msr(m, 0x277, 0x0007010600070106ull);	/* PAT */
	add_msr(m, 0xc0000081, 0x0023001000000000ull);	/* STAR */
	add_msr(m, 0xc0000082, 0xffffffff81a00000ull);	/* LSTAR */
	add_msr(m, 0xc0000083, 0xffffffff81a01000ull);	/* CSTAR */
	add_msr(m, 0xc0000084, 0x47700);		/* FMASK */
	add_msr(m, 0xc0000102, 0xffff888000000000ull);	/* KERNEL_GS_BASE */
	add_msr(m, 0xc0000080, 0x801);			/* EFER: SCE NXE */
	add_msr(m, 0xc0000100, 0x7f0000001000ull);	/* FS_BASE */
	add_msr(m, 0xc0000101, 0xffff888000002000ull);	/* GS_BASE */
	add_msr(m, 0x11, 0);				/* KVM wall clock */
	add_msr(m, 0x12, 0);				/* KVM system time */
	if (cpuid_has(cpuid, 0x80000001, 3, 27))	/* RDTSCP */
		add_msr(m, 0xc0000103, 3);		/* TSC_AUX */
	add_msr(m, 0x2ff, 0xc06);			/* MTRRdefType: E FE WB */
	add_msr(m, 0x250, 0x0606060606060606ull);	/* fix64K_00000 */
	add_msr(m, 0x258, 0x0606060606060606ull);	/* fix16K_80000 */
	add_msr(m, 0x259, 0);				/* fix16K_A0000: UC */
	for (i = 0x268; i <= 0x26f; i++)		/* fix4K_C0000.. */
		add_msr(m, i, 0x0505050505050505ull);
	add_msr(m, 0x200, 0x6);				/* PHYSBASE0: 0, WB */
	add_msr(m, 0x201, 0xff80000800ull);		/* PHYSMASK0: 2 GiB, V */
	for (i = 0x202; i <= 0x20f; i++)
		add_msr(m, i, 0);
	add_msr(m, 0x17a, 0);				/* MCG_STATUS */
	if (mce)
		add_msr(m, 0x17b, ~0ull);		/* MCG_CTL */
	for (i = 0; mce && i < 10 * 4; i++)		/* MC0_CTL..MC9_MISC */
		add_msr(m, 0x400 + i, i % 4 ? 0 : ~0ull);
}

/* QEMU's KVM_X86_SETUP_MCE: MCG_CTL_P | MCG_SER_P as supported, 10 banks. */
static int setup_mce(struct gvcpu *v)
{
	uint64_t supported = 0, cap;

	if (!khv_cap(sys_fd, KVM_CAP_MCE) ||
	    khv_ioctl(sys_fd, KVM_X86_GET_MCE_CAP_SUPPORTED,
		      (unsigned long)&supported))
		return -1;
	cap = (supported & ((1ull << 8) | (1ull << 24))) | 10;
	return (int)khv_ioctl(v->fd, KVM_X86_SETUP_MCE, (unsigned long)&cap);
}

static int t_msrs_qemu_set(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct msr_buf set, got;
	struct kvm_sregs sr;
	struct gvcpu *v;
	bool mce;
	long r;
	uint32_t i;

	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	mce = !setup_mce(v);
	if (!mce)
		ksft_diag("no KVM_CAP_MCE: MCG_CTL and the banks left out");
	qemu_msrs(&set, vm->cpuid, mce);
	r = khv_ioctl(v->fd, KVM_SET_MSRS, (unsigned long)&set);
	CHECK(r == set.hdr.nmsrs, "KVM_SET_MSRS: %ld of %u (stopped at %#x)", r,
	      set.hdr.nmsrs, r >= 0 && r < set.hdr.nmsrs ? set.e[r].index : 0);
	got = set;
	for (i = 0; i < got.hdr.nmsrs; i++)
		got.e[i].data = 0xbad;
	r = khv_ioctl(v->fd, KVM_GET_MSRS, (unsigned long)&got);
	CHECK(r == set.hdr.nmsrs, "KVM_GET_MSRS: %ld of %u", r, set.hdr.nmsrs);
	for (i = 0; i < set.hdr.nmsrs; i++)
		CHECK(got.e[i].data == set.e[i].data, "MSR %#x: %#llx, set %#llx",
		      set.e[i].index, got.e[i].data, set.e[i].data);
	ksft_diag("%u MSRs set and read back", set.hdr.nmsrs);
	/* the segment bases are one state, whichever way they are set */
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	CHECK(sr.fs.base == 0x7f0000001000ull && sr.gs.base == 0xffff888000002000ull &&
	      sr.efer == 0x801, "sregs fs %#llx gs %#llx efer %#llx", sr.fs.base,
	      sr.gs.base, sr.efer);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* KVM_SET/GET_MSRS stop at the first MSR they cannot do: the count done. */
static int t_msrs_partial(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct msr_buf m = { .hdr.nmsrs = 0 };
	struct gvcpu *v;
	uint64_t tsc;
	long r;

	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	add_msr(&m, 0xc0000081, 1);
	add_msr(&m, 0xc0000082, 0xffffffff81000000ull);
	add_msr(&m, 0x0badc0de, 2);		/* no such MSR */
	add_msr(&m, 0xc0000083, 3);
	r = khv_ioctl(v->fd, KVM_SET_MSRS, (unsigned long)&m);
	CHECK(r == 2, "KVM_SET_MSRS with an unknown third: %ld", r);
	r = khv_ioctl(v->fd, KVM_GET_MSRS, (unsigned long)&m);
	CHECK(r == 2, "KVM_GET_MSRS with an unknown third: %ld", r);
	m.hdr.nmsrs = 1;
	m.e[0] = (struct kvm_msr_entry){ .index = 0xc0000082,
					 .data = 0x8000000000000000ull };
	r = khv_ioctl(v->fd, KVM_SET_MSRS, (unsigned long)&m);
	CHECK(r == 0, "non-canonical LSTAR: %ld", r);
	m.hdr.nmsrs = 0;
	CHECK(!khv_ioctl(v->fd, KVM_SET_MSRS, (unsigned long)&m), "0 MSRs");
	/* IA32_TSC: what is set, then counting on from there */
	CHECK(gvcpu_set_msr(v, 0x10, 1ull << 40) == 1, "set TSC");
	CHECK(gvcpu_get_msr(v, 0x10, &tsc) == 1, "get TSC");
	CHECK(tsc >= 1ull << 40 && tsc < (1ull << 40) + (1ull << 38),
	      "TSC %#lx after setting 1<<40", tsc);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* The guest reads with RDMSR what the host set, and the reverse. */
struct guest_msr {
	uint32_t index;
	uint64_t host, guest;
};

static volatile struct guest_msr gmsrs[8];
static volatile uint64_t ngmsrs;

GUEST_CODE static void guest_msrs(uint64_t a, uint64_t b)
{
	uint32_t lo, hi;
	uint64_t i, tsc;

	for (i = 0; i < ngmsrs; i++) {
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi)
				 : "c"(gmsrs[i].index));
		GUEST_ASSERT_EQ((uint64_t)hi << 32 | lo, gmsrs[i].host);
		__asm__ volatile("wrmsr" : : "c"(gmsrs[i].index),
				 "a"((uint32_t)gmsrs[i].guest),
				 "d"((uint32_t)(gmsrs[i].guest >> 32)));
	}
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	tsc = (uint64_t)hi << 32 | lo;
	GUEST_ASSERT(tsc >= 1ull << 44 && tsc < (1ull << 44) + (1ull << 38));
	GUEST_DONE();
}

static const struct guest_msr msr_pairs[] = {
	{ 0x174, 0x10, 0x08 },
	{ 0x175, 0x12345678, 0x9abcdef0 },
	{ 0xc0000081, 0x0023001000000000ull, 0x001b000800000000ull },
	{ 0xc0000082, 0xffffffff81a00000ull, 0xffffffff81b00000ull },
	{ 0xc0000083, 0xffffffff81a01000ull, 0x00007fffffff0000ull },
	{ 0xc0000084, 0x47700, 0x700 },
	{ 0xc0000102, 0xffff888000000000ull, 0x1000 },
	{ 0x277, 0x0007040600070406ull, 0x0007010600070106ull },
};

static int t_msrs_guest_view(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_msrs);
	volatile struct guest_msr *g;
	uint64_t val;
	int i, n = sizeof(msr_pairs) / sizeof(msr_pairs[0]);

	CHECK(v, "VM/vCPU");
	g = GVM_VAR(vm, gmsrs[0]);
	for (i = 0; i < n; i++) {
		g[i] = msr_pairs[i];
		CHECK(gvcpu_set_msr(v, msr_pairs[i].index, msr_pairs[i].host) == 1,
		      "set MSR %#x", msr_pairs[i].index);
	}
	*GVM_VAR(vm, ngmsrs) = n;
	CHECK(gvcpu_set_msr(v, 0x10, 1ull << 44) == 1, "set TSC");
	CHECK(!gvcpu_run_done(v), "guest checks");
	for (i = 0; i < n; i++) {
		CHECK(gvcpu_get_msr(v, msr_pairs[i].index, &val) == 1, "get");
		CHECK(val == msr_pairs[i].guest, "MSR %#x: %#lx, guest wrote %#lx",
		      msr_pairs[i].index, val, msr_pairs[i].guest);
	}
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* nmsrs too small: E2BIG and the needed count written back. */
static int t_msr_index_list(void)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	uint32_t n, i, j;
	long r;

	r = khv_ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)&probe);
	CHECK(r == -E2BIG, "nmsrs 0: %ld", r);
	n = probe.nmsrs;
	CHECK(n > 0 && n < 4096, "nmsrs %u", n);
	l = calloc(1, sizeof(*l) + n * sizeof(uint32_t));
	CHECK(l, "calloc");
	l->nmsrs = n - 1;
	r = khv_ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)l);
	CHECK(r == -E2BIG && l->nmsrs == n, "nmsrs %u: %ld, nmsrs %u", n - 1, r,
	      l->nmsrs);
	r = khv_ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)l);
	CHECK(r == 0 && l->nmsrs == n, "nmsrs %u: %ld, nmsrs %u", n, r, l->nmsrs);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			CHECK(l->indices[i] != l->indices[j], "%#x listed twice",
			      l->indices[i]);
	for (i = 0; i < n; i++)	/* the basics QEMU expects, if listed */
		if (l->indices[i] == 0xc0000081)	/* STAR */
			break;
	CHECK(i < n, "STAR not listed");
	free(l);
	return KSFT_PASS;
}

/* Every MSR in the index list can be read through KVM_GET_MSRS. */
static int t_msr_list_readable(void)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t val;
	uint32_t i;

	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	khv_ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)&probe);
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(uint32_t));
	CHECK(l, "calloc");
	l->nmsrs = probe.nmsrs;
	CHECK(!khv_ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)l), "list");
	for (i = 0; i < l->nmsrs; i++)
		CHECK(gvcpu_get_msr(v, l->indices[i], &val) == 1,
		      "listed MSR %#x not readable", l->indices[i]);
	free(l);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* ---- CPUID ---- */

static int get_supported(struct kvm_cpuid2 *c, uint32_t nent)
{
	c->nent = nent;
	return (int)khv_ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, (unsigned long)c);
}

/* nent too small: E2BIG (nent not updated by stock); enough: exact nent. */
static int t_supported_cpuid(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 1024 * sizeof(c->entries[0]));
	uint32_t n, i;

	CHECK(c, "calloc");
	CHECK(get_supported(c, 0) == -E2BIG, "nent 0");
	CHECK(get_supported(c, 1) == -E2BIG, "nent 1");
	CHECK(!get_supported(c, 1024), "nent 1024: %s", strerror(errno));
	n = c->nent;
	CHECK(n > 1 && n <= 256, "nent %u", n);
	CHECK(get_supported(c, n - 1) == -E2BIG, "nent %u", n - 1);
	CHECK(!get_supported(c, n) && c->nent == n, "nent %u: got %u", n, c->nent);
	CHECK(c->entries[0].function == 0 && c->entries[0].eax >= 1,
	      "leaf 0 first, max basic leaf %#x", c->entries[0].eax);
	for (i = 0; i < n; i++)
		CHECK(!(c->entries[i].flags & ~KVM_CPUID_FLAG_SIGNIFCANT_INDEX),
		      "leaf %#x flags %#x", c->entries[i].function,
		      c->entries[i].flags);
	CHECK(cpuid_entry(c, 0x80000000, 0) && cpuid_entry(c, 0x80000001, 0),
	      "no extended leaves");
	free(c);
	return KSFT_PASS;
}

GUEST_CODE static void guest_first_sync(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, 0);
}

static int get_cpuid2(struct gvcpu *v, struct kvm_cpuid2 *c, uint32_t nent)
{
	c->nent = nent;
	return (int)khv_ioctl(v->fd, KVM_GET_CPUID2, (unsigned long)c);
}

/*
 * What KVM_GET_CPUID2 shows of leaf 0xD after a reset: EBX, the XSAVE area
 * for the XCR0 the vCPU has (x87 only: the 512-byte legacy area and the
 * 64-byte header), not the supported list's size for every feature; the
 * same for the compacted size in 0xD.1 with XSAVEC.
 */
static void cpuid_reset_xsave_size(struct kvm_cpuid_entry2 *e, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (e[i].function == 0xd && (e[i].index == 0 ||
					     (e[i].index == 1 && (e[i].eax & 2))))
			e[i].ebx = 576;
}

/* The first of @n entries that differ, described; true if there is one. */
static bool cpuid_entry_differs(const struct kvm_cpuid_entry2 *got,
				const struct kvm_cpuid_entry2 *want, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct kvm_cpuid_entry2 *g = &got[i], *w = &want[i];

		if (!memcmp(g, w, sizeof(*g)))
			continue;
		ksft_diag("entry %u: got %#x.%u flags %#x %08x %08x %08x %08x, want "
			  "%#x.%u flags %#x %08x %08x %08x %08x", i, g->function, g->index,
			  g->flags, g->eax, g->ebx, g->ecx, g->edx, w->function, w->index,
			  w->flags, w->eax, w->ebx, w->ecx, w->edx);
		return true;
	}
	return false;
}

static int t_cpuid2_set_get(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_cpuid_entry2 *want;
	struct kvm_cpuid2 *c;
	struct gvcpu *v;
	uint32_t n;

	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);	/* KVM_SET_CPUID2 of the supported list */
	CHECK(v, "vCPU");
	n = vm->cpuid->nent;
	c = calloc(1, sizeof(*c) + (n + 8) * sizeof(c->entries[0]));
	CHECK(c, "calloc");
	CHECK(get_cpuid2(v, c, n - 1) == -E2BIG, "nent %u", n - 1);
	/* stock does not write nent back on success: not checked */
	CHECK(!get_cpuid2(v, c, n + 8), "nent %u", n + 8);
	want = malloc(n * sizeof(*want));
	CHECK(want, "malloc");
	memcpy(want, vm->cpuid->entries, n * sizeof(*want));
	cpuid_reset_xsave_size(want, n);
	CHECK(!cpuid_entry_differs(c->entries, want, n),
	      "KVM_GET_CPUID2 differs from what was set");
	free(want);
	c->nent = 257;
	CHECK(khv_ioctl(v->fd, KVM_SET_CPUID2, (unsigned long)c) == -E2BIG,
	      "257 entries accepted");
	free(c);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/*
 * After the vCPU has run, KVM_SET_CPUID2 accepts only the same table:
 * changing MAXPHYADDR or a feature bit is refused.
 */
static int t_cpuid2_after_run(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_first_sync);
	struct kvm_cpuid_entry2 *e;

	CHECK(v, "VM/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "run");
	CHECK(!khv_ioctl(v->fd, KVM_SET_CPUID2, (unsigned long)vm->cpuid),
	      "the same table refused");
	e = cpuid_entry(vm->cpuid, 0x80000008, 0);
	CHECK(e, "no leaf 0x80000008");
	e->eax ^= 4;		/* MAXPHYADDR */
	CHECK(khv_ioctl(v->fd, KVM_SET_CPUID2, (unsigned long)vm->cpuid) == -EINVAL,
	      "MAXPHYADDR changed after KVM_RUN");
	e->eax ^= 4;
	e = cpuid_entry(vm->cpuid, 1, 0);
	e->ecx ^= 1;		/* SSE3 */
	CHECK(khv_ioctl(v->fd, KVM_SET_CPUID2, (unsigned long)vm->cpuid) == -EINVAL,
	      "leaf 1 changed after KVM_RUN");
	e->ecx ^= 1;
	put_vcpu(vm, v);
	return KSFT_PASS;
}

struct cpuid_query {
	uint32_t function, index;
	uint32_t regs[4];
};

static volatile struct cpuid_query cq[256];
static volatile uint64_t ncq;

GUEST_CODE static void guest_cpuid(uint64_t a, uint64_t b)
{
	uint64_t i;

	for (i = 0; i < ncq; i++)
		__asm__ volatile("cpuid"
				 : "=a"(cq[i].regs[0]), "=b"(cq[i].regs[1]),
				   "=c"(cq[i].regs[2]), "=d"(cq[i].regs[3])
				 : "a"(cq[i].function), "c"(cq[i].index));
	GUEST_SYNC(1, 0);
}

/*
 * Bits stock KVM changes at run time whatever the table says: leaf 1
 * EDX.APIC follows IA32_APIC_BASE.EN, leaf 1 ECX.OSXSAVE follows
 * CR4.OSXSAVE, leaf 7 ECX.OSPKE follows CR4.PKE, and leaf 0xD EBX (sub-
 * leaves 0 and 1) is the XSAVE area size for the current XCR0/XSS. These
 * guests keep APIC_BASE.EN and the CR4 bits as the table assumes, so only
 * 0xD's EBX is masked.
 */
static uint32_t runtime_mask(uint32_t function, uint32_t index, int reg)
{
	if (function == 0xd && index <= 1 && reg == 1)
		return 0;
	return ~0u;
}

/* Run guest CPUID over every entry of @c; report mismatches, count them. */
static int guest_cpuid_diff(struct gvm *vm, struct gvcpu *v,
			    struct kvm_cpuid2 *c, const struct kvm_cpuid_entry2 *want)
{
	volatile struct cpuid_query *q = GVM_VAR(vm, cq[0]);
	uint32_t i, regs[4];
	int r, bad = 0;

	for (i = 0; i < c->nent && i < 256; i++) {
		q[i].function = c->entries[i].function;
		q[i].index = c->entries[i].index;
	}
	*GVM_VAR(vm, ncq) = i;
	if (gvcpu_run_sync(v, 1, NULL))
		return -1;
	for (i = 0; i < c->nent && i < 256; i++) {
		const struct kvm_cpuid_entry2 *e = want ? &want[i] : &c->entries[i];

		memcpy(regs, &e->eax, sizeof(regs));	/* eax ebx ecx edx */
		for (r = 0; r < 4; r++) {
			uint32_t m = runtime_mask(e->function, e->index, r);

			if ((q[i].regs[r] & m) == (regs[r] & m))
				continue;
			ksft_diag("CPUID %#x.%u reg %d: guest %#x, table %#x",
				  e->function, e->index, r, q[i].regs[r], regs[r]);
			bad++;
		}
	}
	return bad;
}

static int t_guest_cpuid(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_cpuid);
	int bad;

	CHECK(v, "VM/vCPU");
	bad = guest_cpuid_diff(vm, v, vm->cpuid, NULL);
	CHECK(bad == 0, "%d registers differ", bad);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/* Clearing IA32_APIC_BASE.EN clears CPUID.1:EDX.APIC, guest and GET_CPUID2. */
static int t_cpuid_apic_bit(void)
{
	struct gvm *vm;
	struct gvcpu *v = long_vcpu(&vm, 0, guest_cpuid);
	struct kvm_cpuid_entry2 *want, *leaf1;
	struct kvm_cpuid2 *got;
	struct kvm_sregs sr;
	uint32_t n, i;
	int bad;

	CHECK(v, "VM/vCPU");
	n = vm->cpuid->nent;
	SKIP_IF(!cpuid_has(vm->cpuid, 1, 3, 9), "no APIC bit in CPUID");
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	sr.apic_base &= ~0x800ull;
	CHECK(!gvcpu_set_sregs(v, &sr), "KVM_SET_SREGS");
	want = malloc(n * sizeof(*want));
	got = calloc(1, sizeof(*got) + n * sizeof(got->entries[0]));
	CHECK(want && got, "malloc");
	memcpy(want, vm->cpuid->entries, n * sizeof(*want));
	for (i = 0, leaf1 = NULL; i < n; i++)
		if (want[i].function == 1)
			leaf1 = &want[i];
	leaf1->edx &= ~(1u << 9);
	cpuid_reset_xsave_size(want, n);
	bad = guest_cpuid_diff(vm, v, vm->cpuid, want);
	CHECK(bad == 0, "%d registers differ", bad);
	CHECK(!get_cpuid2(v, got, n), "KVM_GET_CPUID2");
	CHECK(!cpuid_entry_differs(got->entries, want, n),
	      "KVM_GET_CPUID2 does not show APIC cleared");
	free(want);
	free(got);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "regs_roundtrip", t_regs_roundtrip },
	{ "regs_guest_view", t_regs_guest_view },
	{ "set_rip_at_io_exit", t_set_rip_at_io_exit },
	{ "sync_regs", t_sync_regs },
	{ "sregs_roundtrip", t_sregs_roundtrip },
	{ "sregs_guest_view", t_sregs_guest_view },
	{ "sregs_invalid", t_sregs_invalid },
	{ "cr4_before_cpuid", t_cr4_before_cpuid },
	{ "apic_base", t_apic_base },
	{ "fpu_roundtrip", t_fpu_roundtrip },
	{ "fpu_guest_view", t_fpu_guest_view },
	{ "msrs_qemu_set", t_msrs_qemu_set },
	{ "msrs_partial", t_msrs_partial },
	{ "msrs_guest_view", t_msrs_guest_view },
	{ "msr_index_list", t_msr_index_list },
	{ "msr_list_readable", t_msr_list_readable },
	{ "supported_cpuid", t_supported_cpuid },
	{ "cpuid2_set_get", t_cpuid2_set_get },
	{ "cpuid2_after_run", t_cpuid2_after_run },
	{ "guest_cpuid", t_guest_cpuid },
	{ "cpuid_apic_bit", t_cpuid_apic_bit },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
