// SPDX-License-Identifier: GPL-2.0
/*
 * HLT without an in-kernel irqchip is a KVM_EXIT_HLT with RIP past the
 * HLT; a triple fault is a KVM_EXIT_SHUTDOWN, and the vCPU can be set up
 * and run again afterwards (what a VMM does on a guest reset).
 */
#include "guest.h"

static int sys_fd;

extern const char hlt1_next[], hlt2_next[];

GUEST_CODE static void guest_hlt(uint64_t a, uint64_t b)
{
	__asm__ volatile("hlt\nhlt1_next:");
	GUEST_SYNC(1, 0);
	/* with interrupts enabled: still an exit, nothing can wake it */
	__asm__ volatile("sti; hlt\nhlt2_next:\ncli");
	GUEST_SYNC(2, 0);
}

static int expect_hlt_at(struct gvcpu *v, const char *next)
{
	struct kvm_regs regs;

	CHECK(!gvcpu_run_expect(v, KVM_EXIT_HLT), "HLT exit");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rip == (uint64_t)next, "RIP %#llx, want %p", regs.rip, next);
	return KSFT_PASS;
}

static int t_hlt(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_hlt, 0, 0);
	CHECK(v, "vCPU");
	CHECK(expect_hlt_at(v, hlt1_next) == KSFT_PASS, "first HLT");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "runs on after HLT");
	CHECK(expect_hlt_at(v, hlt2_next) == KSFT_PASS, "HLT with IF=1");
	CHECK(v->run->if_flag == 1, "if_flag %u", v->run->if_flag);
	CHECK(!gvcpu_run_sync(v, 2, NULL), "runs on after the second HLT");
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

struct idtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* An exception with an empty IDT: #UD -> #GP -> #DF -> triple fault. */
GUEST_CODE static void guest_null_idt(uint64_t a, uint64_t b)
{
	struct idtr idtr = { 0, 0 };

	__asm__ volatile("lidt %0; ud2" : : "m"(idtr));
	GUEST_DONE();
}

static int t_triple_fault_lidt(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_null_idt, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_SHUTDOWN), "SHUTDOWN");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_int3(uint64_t a, uint64_t b)
{
	__asm__ volatile("int3");
	GUEST_DONE();
}

GUEST_CODE static void guest_done(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, a);
}

/* Reload a long-mode state (as a fresh long-mode vCPU has) into @v. */
static int reload_long_mode(struct gvm *vm, struct gvcpu *v, const void *fn,
			    uint64_t arg)
{
	struct gvcpu *ref = gvcpu_create_long(vm, 1, fn, arg, 0);
	struct kvm_sregs sr;
	struct kvm_regs regs;
	int r;

	if (!ref)
		return -1;
	r = gvcpu_get_sregs(ref, &sr) || gvcpu_get_regs(ref, &regs) ||
	    gvcpu_set_sregs(v, &sr) || gvcpu_set_regs(v, &regs);
	gvcpu_destroy(ref);
	return r ? -1 : 0;
}

/*
 * User space empties the IDT through KVM_SET_SREGS; INT3 shuts down. Then
 * the vCPU is set up again and runs: a VMM resets the guest after SHUTDOWN.
 */
static int t_triple_fault_sregs_then_rerun(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_sregs sr;
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_int3, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	sr.idt.limit = 0;
	CHECK(!gvcpu_set_sregs(v, &sr), "KVM_SET_SREGS");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_SHUTDOWN), "SHUTDOWN");
	CHECK(!reload_long_mode(vm, v, guest_done, 0x5eb007), "reload state");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0x5eb007, "rerun");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * Stock KVM on AMD INITs the vCPU on SHUTDOWN (the VMCB is undefined after
 * a shutdown intercept): KVM_GET_REGS/SREGS then show the INIT state.
 * Stock KVM on Intel keeps the state, so this is checked on AMD only.
 * INIT keeps CR0.CD/NW as they were (clear here): CR0 is just ET.
 */
static int t_shutdown_state_amd(void)
{
	struct gvm *vm;
	struct kvm_sregs sr;
	struct kvm_regs regs;
	struct gvcpu *v;

	SKIP_IF(!khv_cpu_is_amd(), "stock KVM behaves so on AMD only");
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_null_idt, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_SHUTDOWN), "SHUTDOWN");
	CHECK(!gvcpu_get_regs(v, &regs) && !gvcpu_get_sregs(v, &sr), "get");
	CHECK(regs.rip == 0xfff0 && sr.cs.selector == 0xf000 &&
	      sr.cs.base == 0xffff0000, "rip %#llx cs %#x base %#llx",
	      regs.rip, sr.cs.selector, sr.cs.base);
	CHECK(sr.cr0 == 0x10 && !(sr.efer & 0x500),
	      "cr0 %#llx efer %#llx", sr.cr0, sr.efer);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* Real mode, IDT limit 0: INT3 cannot be delivered either. */
static const uint8_t rm_int3[] = { 0xcc, 0xf4 };	/* int3; hlt */

static int t_triple_fault_real_mode(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_sregs sr;
	struct gvcpu *v;

	CHECK(vm, "VM");
	v = gvcpu_create_real(vm, 0, GUEST_FREE_GPA, rm_int3, sizeof(rm_int3));
	CHECK(v, "vCPU");
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	sr.idt.limit = 0;
	CHECK(!gvcpu_set_sregs(v, &sr), "KVM_SET_SREGS");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_SHUTDOWN), "SHUTDOWN");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "hlt", t_hlt },
	{ "triple_fault_lidt", t_triple_fault_lidt },
	{ "triple_fault_sregs_then_rerun", t_triple_fault_sregs_then_rerun },
	{ "shutdown_state_amd", t_shutdown_state_amd },
	{ "triple_fault_real_mode", t_triple_fault_real_mode },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
