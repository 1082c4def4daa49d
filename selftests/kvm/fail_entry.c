// SPDX-License-Identifier: GPL-2.0
/*
 * Guest state: KVM_SET_SREGS refuses what KVM's rules forbid (EINVAL);
 * state those rules allow but the CPU refuses at entry ends KVM_RUN with
 * KVM_EXIT_FAIL_ENTRY and the hardware's reason (SVM: VMEXIT_INVALID,
 * 0xffffffff as KVM reports it; VMX: the exit reason, bit 31 with basic
 * reason 33, invalid guest state); the vCPU runs again once fixed.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "khv_test.h"

#define MEM_SIZE	0x10000
#define CODE		0x1000

static int sys_fd;

struct vm {
	int fd, vcpu;
	struct kvm_run *run;
	unsigned char *mem;
};

/* A VM with 64 KiB of HLT instructions at GPA 0 and one real-mode vCPU. */
static int vm_open(struct vm *v)
{
	struct kvm_userspace_memory_region rg = { .memory_size = MEM_SIZE };
	struct kvm_regs regs = { .rip = CODE, .rflags = 2 };
	struct kvm_sregs s;

	v->fd = khv_create_vm(sys_fd);
	v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->fd < 0 || v->mem == MAP_FAILED)
		return -1;
	memset(v->mem, 0xf4, MEM_SIZE);
	rg.userspace_addr = (unsigned long)v->mem;
	if (khv_ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, (unsigned long)&rg))
		return -1;
	v->vcpu = khv_create_vcpu(v->fd, 0);
	v->run = mmap(NULL, khv_ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0),
		      PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->vcpu < 0 || v->run == MAP_FAILED ||
	    khv_ioctl(v->vcpu, KVM_GET_SREGS, (unsigned long)&s))
		return -1;
	s.cs.base = 0;
	s.cs.selector = 0;
	if (khv_ioctl(v->vcpu, KVM_SET_SREGS, (unsigned long)&s) ||
	    khv_ioctl(v->vcpu, KVM_SET_REGS, (unsigned long)&regs))
		return -1;
	return 0;
}

static void vm_close(struct vm *v)
{
	close(v->vcpu);
	close(v->fd);
	munmap(v->mem, MEM_SIZE);
}

static long set_sregs_with(struct vm *v, void (*change)(struct kvm_sregs *))
{
	struct kvm_sregs s;

	khv_ioctl(v->vcpu, KVM_GET_SREGS, (unsigned long)&s);
	change(&s);
	return khv_ioctl(v->vcpu, KVM_SET_SREGS, (unsigned long)&s);
}

static void cr0_high_bit(struct kvm_sregs *s) { s->cr0 |= 1ull << 40; }
static void nw_without_cd(struct kvm_sregs *s) { s->cr0 = 0x20000011; }
static void pg_without_pe(struct kvm_sregs *s) { s->cr0 = 0x80000010; }
static void cr4_reserved(struct kvm_sregs *s) { s->cr4 |= 1ull << 40; }
static void lma_without_paging(struct kvm_sregs *s) { s->efer |= 0x400; }

static int t_sregs_rules(void)
{
	static const struct {
		const char *name;
		void (*change)(struct kvm_sregs *s);
	} bad[] = {
		{ "CR0 bit 40", cr0_high_bit }, { "CR0.NW without CD", nw_without_cd },
		{ "CR0.PG without PE", pg_without_pe }, { "CR4 bit 40", cr4_reserved },
		{ "EFER.LMA without paging", lma_without_paging },
	};
	struct vm v;
	unsigned int i;

	CHECK(!vm_open(&v), "VM setup");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long r = set_sregs_with(&v, bad[i].change);

		CHECK(r == -EINVAL, "%s accepted: %ld", bad[i].name, r);
	}
	vm_close(&v);
	return KSFT_PASS;
}

/*
 * Long mode with CS.L and CS.D both set: KVM 6.1's rules (and khv's)
 * allow it, neither VMRUN nor VM entry (SDM 27.3.1.2); KVM 6.12 refuses it
 * in KVM_SET_SREGS.
 */
static void cs_l_and_d(struct kvm_sregs *s)
{
	s->cr0 = 0x80000011;
	s->cr4 = 0x20;
	s->efer = 0x500;
	s->cr3 = 0x2000;
	s->cs.l = 1;
	s->cs.db = 1;
}

static void real_mode(struct kvm_sregs *s)
{
	s->cr0 = 0x10;
	s->cr4 = 0;
	s->efer = 0;
	s->cs.l = 0;
	s->cs.db = 0;
}

static int t_fail_entry(void)
{
	struct kvm_regs regs = { .rip = CODE, .rflags = 2 };
	/* SVM's VMEXIT_INVALID; VMX's failed entry, invalid guest state */
	unsigned long long want = khv_cpu_is_amd() ? 0xffffffffull : 0x80000021ull;
	struct vm v;
	long r;

	CHECK(!vm_open(&v), "VM setup");
	r = set_sregs_with(&v, cs_l_and_d);
	if (r == -EINVAL)	/* KVM 6.12 refuses it already here */
		vm_close(&v);
	SKIP_IF(r == -EINVAL, "this KVM refuses CS.L+D at KVM_SET_SREGS: no entry to fail");
	CHECK(!r, "SET_SREGS of CS.L+D: %ld", r);
	r = khv_ioctl(v.vcpu, KVM_RUN, 0);
	CHECK(r == 0 && v.run->exit_reason == KVM_EXIT_FAIL_ENTRY,
	      "KVM_RUN %ld, exit %u", r, v.run->exit_reason);
	CHECK(v.run->fail_entry.hardware_entry_failure_reason == want,
	      "reason %#llx, want %#llx",
	      v.run->fail_entry.hardware_entry_failure_reason, want);
	/* fixed up, the same vCPU runs */
	CHECK(!set_sregs_with(&v, real_mode), "SET_SREGS back to real mode");
	CHECK(!khv_ioctl(v.vcpu, KVM_SET_REGS, (unsigned long)&regs), "SET_REGS");
	r = khv_ioctl(v.vcpu, KVM_RUN, 0);
	CHECK(r == 0 && v.run->exit_reason == KVM_EXIT_HLT,
	      "after the fix: KVM_RUN %ld, exit %u", r, v.run->exit_reason);
	vm_close(&v);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "sregs_rules", t_sregs_rules },
	{ "fail_entry", t_fail_entry },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
