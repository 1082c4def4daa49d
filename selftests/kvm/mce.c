// SPDX-License-Identifier: GPL-2.0
/*
 * Machine-check setup and injection as KVM: KVM_CAP_MCE's bank count,
 * KVM_X86_GET_MCE_CAP_SUPPORTED, a vCPU's default MCG_CAP (32 banks, no
 * MCG_CTL) and KVM_X86_SETUP_MCE's checks and effect on the MSRs;
 * KVM_X86_SET_MCE: a corrected error only logged, an uncorrected one
 * raising #MC in the guest with the bank filled in, and with CR4.MCE clear
 * shutting the guest down. Where MCG_CMCI_P is offered (Intel): the LAPIC's
 * CMCI entry, MCi_CTL2, and an uncorrected error that needs no action
 * (UCNA) logged and signalled by CMCI only while the bank's CMCI_EN is on.
 */
#include <errno.h>
#include <string.h>

#include "guest.h"
#include "apic.h"

static int sys_fd;

#define MSR_MCG_CAP	0x179
#define MSR_MCG_STATUS	0x17a
#define MSR_MCG_CTL	0x17b
#define MSR_MC_CTL(b)	(0x400 + 4 * (b))
#define MSR_MC_STATUS(b) (0x401 + 4 * (b))
#define MSR_MC_ADDR(b)	(0x402 + 4 * (b))
#define MCG_CTL_P	(1ull << 8)
#define MCG_CMCI_P	(1ull << 10)
#define MSR_MC_CTL2(b)	(0x280 + (b))
#define CTL2_CMCI_EN	(1ull << 30)
#define APIC_LVT_CMCI	0x2f0
#define CMCI_VECTOR	0xa9
#define MCG_SER_P	(1ull << 24)
#define MCI_VAL		(1ull << 63)
#define MCI_UC		(1ull << 61)
#define MCI_EN		(1ull << 60)
#define MCI_OVER	(1ull << 62)
#define MCG_RIPV	(1ull << 0)
#define MCG_MCIP	(1ull << 2)
#define CR4_MCE		(1ull << 6)

static volatile uint64_t g_mc, g_mc_status, g_mc_addr;

GUEST_CODE static void mc_handler(struct guest_frame *f)
{
	g_mc++;
	g_mc_status = gmsr_read(MSR_MC_STATUS(1));
	g_mc_addr = gmsr_read(MSR_MC_ADDR(1));
	gmsr_write(MSR_MCG_STATUS, 0);		/* the #MC is handled */
}

GUEST_CODE static void guest_mce(uint64_t a0, uint64_t a1)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_MCE));
	GUEST_SYNC(1, 0);			/* a corrected error is logged */
	GUEST_ASSERT_EQ(g_mc, 0);
	GUEST_SYNC(2, gmsr_read(MSR_MC_STATUS(1)));
	GUEST_SYNC(3, 0);			/* an uncorrected one: #MC */
	GUEST_ASSERT_EQ(g_mc, 1);
	GUEST_SYNC(4, g_mc_status);
	GUEST_ASSERT_EQ(g_mc_addr, 0xabc000);
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 & ~CR4_MCE));
	GUEST_SYNC(5, 0);			/* without CR4.MCE: shutdown */
	GUEST_DONE();
}

static int t_caps_and_setup(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create(vm, 0) : NULL;
	long banks = khv_cap(sys_fd, KVM_CAP_MCE);
	uint64_t sup = 0, cap, val;
	int r = KSFT_FAIL;

	if (!v)
		goto out;
	if (!banks) {
		r = KSFT_SKIP;
		goto out;
	}
	if (khv_ioctl(sys_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, (unsigned long)&sup) ||
	    !(sup & MCG_CTL_P)) {
		ksft_diag("KVM_X86_GET_MCE_CAP_SUPPORTED: %#llx", (unsigned long long)sup);
		goto out;
	}
	ksft_diag("KVM_CAP_MCE %ld, supported MCG_CAP bits %#llx", banks,
		  (unsigned long long)sup);
	/* gvcpu_get/set_msr: KVM_GET/SET_MSRS's count, 1 when done */
	if (gvcpu_get_msr(v, MSR_MCG_CAP, &val) != 1 || val != (uint64_t)banks) {
		ksft_diag("default MCG_CAP %#llx", (unsigned long long)val);
		goto out;
	}
	cap = 0;
	if (khv_ioctl(v->fd, KVM_X86_SETUP_MCE, (unsigned long)&cap) != -EINVAL)
		goto bad_setup;
	cap = banks + 1;
	if (khv_ioctl(v->fd, KVM_X86_SETUP_MCE, (unsigned long)&cap) != -EINVAL)
		goto bad_setup;
	cap = 10 | (1ull << 40);
	if (khv_ioctl(v->fd, KVM_X86_SETUP_MCE, (unsigned long)&cap) != -EINVAL)
		goto bad_setup;
	cap = 10 | MCG_CTL_P | (sup & MCG_SER_P);
	if (khv_ioctl(v->fd, KVM_X86_SETUP_MCE, (unsigned long)&cap))
		goto bad_setup;
	/* AMD's MCG_CAP has nothing above bit 8: kvm_amd drops MCG_SER_P */
	if (gvcpu_get_msr(v, MSR_MCG_CAP, &val) != 1 ||
	    val != (khv_cpu_is_amd() ? cap & 0x1ff : cap) ||
	    gvcpu_get_msr(v, MSR_MCG_CTL, &val) != 1 || val != ~0ull ||
	    gvcpu_get_msr(v, MSR_MC_CTL(9), &val) != 1 || val != ~0ull) {
		ksft_diag("after KVM_X86_SETUP_MCE: MCG_CAP/MCG_CTL/MC9_CTL wrong (%#llx)",
			  (unsigned long long)val);
		goto out;
	}
	if (gvcpu_get_msr(v, MSR_MC_CTL(10), &val) != 0) {
		ksft_diag("bank 10 of 10 readable");
		goto out;
	}
	r = KSFT_PASS;
	goto out;
bad_setup:
	ksft_diag("KVM_X86_SETUP_MCE(%#llx): wrong answer", (unsigned long long)cap);
out:
	gvm_teardown(vm, v);
	return r;
}

static int set_mce(struct gvcpu *v, uint8_t bank, uint64_t status,
		   uint64_t mcg_status)
{
	struct kvm_x86_mce m;

	memset(&m, 0, sizeof(m));
	m.bank = bank;
	m.status = status;
	m.addr = 0xabc000;
	m.mcg_status = mcg_status;
	return (int)khv_ioctl(v->fd, KVM_X86_SET_MCE, (unsigned long)&m);
}

static int t_inject(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_mce, 0, 0) : NULL;
	uint64_t cap = 10 | MCG_CTL_P, val;
	int r = KSFT_FAIL;

	if (!v || gvm_set_handler(vm, 18, mc_handler))
		goto out;
	if (!khv_cap(sys_fd, KVM_CAP_MCE)) {
		r = KSFT_SKIP;
		goto out;
	}
	if (khv_ioctl(v->fd, KVM_X86_SETUP_MCE, (unsigned long)&cap) ||
	    gvcpu_run_sync(v, 1, NULL))
		goto out;
	if (set_mce(v, 10, MCI_VAL, 0) != -EINVAL || set_mce(v, 1, MCI_EN, 0) != -EINVAL) {
		ksft_diag("KVM_X86_SET_MCE took a bank beyond the count or no VAL");
		goto out;
	}
	if (set_mce(v, 1, MCI_VAL | 0x17, 0) || gvcpu_run_sync(v, 2, &val) ||
	    val != (MCI_VAL | 0x17)) {
		ksft_diag("corrected error: MC1_STATUS %#llx", (unsigned long long)val);
		goto out;
	}
	if (set_mce(v, 1, MCI_VAL | MCI_UC | MCI_EN | 0x42, MCG_MCIP | MCG_RIPV) ||
	    gvcpu_run_sync(v, 3, NULL) || gvcpu_run_sync(v, 4, &val) ||
	    val != (MCI_VAL | MCI_UC | MCI_EN | MCI_OVER | 0x42)) {
		ksft_diag("uncorrected error: MC1_STATUS in the #MC handler %#llx",
			  (unsigned long long)val);
		goto out;
	}
	if (gvcpu_run_sync(v, 5, NULL) ||
	    set_mce(v, 1, MCI_VAL | MCI_UC | MCI_EN, MCG_MCIP | MCG_RIPV))
		goto out;
	if (gvcpu_run_expect(v, KVM_EXIT_SHUTDOWN))
		goto out;
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

/* ------------------------------------------------------- UCNA and CMCI */

static volatile uint64_t g_cmci, g_cmci_addr, g_gp;

GUEST_CODE static void cmci_handler(struct guest_frame *f)
{
	g_cmci++;
	g_cmci_addr = gmsr_read(MSR_MC_ADDR(1));
	apic_write(APIC_EOI, 0);
}

GUEST_CODE static void gp_skip_wrmsr(struct guest_frame *f)
{
	g_gp++;
	f->rip += 2;
}

GUEST_CODE static bool cmci_in_irr(void)
{
	return apic_read(APIC_IRR + (CMCI_VECTOR / 32) * 16) & (1u << (CMCI_VECTOR % 32));
}

GUEST_CODE static void guest_ucna(uint64_t a0, uint64_t a1)
{
	uint64_t ctl2 = gmsr_read(MSR_MC_CTL2(1));

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT_CMCI, CMCI_VECTOR);
	GUEST_ASSERT_EQ(apic_read(APIC_LVT_CMCI), CMCI_VECTOR);
	GUEST_SYNC(1, apic_read(APIC_VERSION));
	GUEST_ASSERT_EQ(ctl2, 0);
	gmsr_write(MSR_MC_CTL2(1), ctl2 | CTL2_CMCI_EN | 5);
	GUEST_SYNC(2, gmsr_read(MSR_MC_CTL2(1)));
	/* the host injected a UCNA: its CMCI is pending */
	GUEST_ASSERT(cmci_in_irr());
	guest_wait_irq();
	GUEST_SYNC(3, g_cmci);
	GUEST_ASSERT_EQ(g_cmci_addr, 0xabc000);
	gmsr_write(MSR_MC_CTL2(1), 5);
	GUEST_SYNC(4, 0);
	/* the second UCNA is logged, and signalled by nothing */
	GUEST_ASSERT(!cmci_in_irr());
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	GUEST_SYNC(5, g_cmci);
	/* a reserved bit of MCi_CTL2 is #GP */
	__asm__ volatile("wrmsr" : : "c"(MSR_MC_CTL2(1)), "a"(1u << 29), "d"(0) : "memory");
	GUEST_SYNC(6, g_gp);
	GUEST_DONE();
}

static int t_ucna_cmci(void)
{
	uint64_t sup = 0, cap = 4 | MCG_CMCI_P, val;
	struct gvcpu *v = NULL;
	struct gvm *vm;
	int r = KSFT_FAIL;

	SKIP_IF(khv_ioctl(sys_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, (unsigned long)&sup) ||
		!(sup & MCG_CMCI_P), "no MCG_CMCI_P in KVM_X86_GET_MCE_CAP_SUPPORTED (%#llx)",
		(unsigned long long)sup);
	vm = gvm_create(sys_fd, 0);
	CHECK(vm && !khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), "VM with an irqchip");
	v = gvcpu_create_long(vm, 0, guest_ucna, 0, 0);
	if (!v || gvm_set_handler(vm, CMCI_VECTOR, cmci_handler) ||
	    gvm_set_handler(vm, 13, gp_skip_wrmsr) ||
	    khv_ioctl(v->fd, KVM_X86_SETUP_MCE, (unsigned long)&cap))
		goto out;
	if (gvcpu_get_msr(v, MSR_MCG_CAP, &val) != 1 || val != cap) {
		ksft_diag("MCG_CAP %#llx", (unsigned long long)val);
		goto out;
	}
	if (gvcpu_run_sync(v, 1, &val))
		goto out;
	if (((val >> 16) & 0xff) != 6) {
		ksft_diag("LAPIC version %#llx: max LVT is not 6 with CMCI",
			  (unsigned long long)val);
		goto out;
	}
	if (gvcpu_run_sync(v, 2, &val) || val != (CTL2_CMCI_EN | 5)) {
		ksft_diag("MC1_CTL2 %#llx", (unsigned long long)val);
		goto out;
	}
	/* UCNA: VAL and UC, no PCC, S or AR, no MCG_STATUS */
	if (set_mce(v, 1, MCI_VAL | MCI_UC | MCI_EN | 0x23, 0) ||
	    gvcpu_run_sync(v, 3, &val) || val != 1) {
		ksft_diag("CMCI interrupts after the UCNA: %llu", (unsigned long long)val);
		goto out;
	}
	if (gvcpu_get_msr(v, MSR_MC_STATUS(1), &val) != 1 ||
	    val != (MCI_VAL | MCI_UC | MCI_EN | 0x23)) {
		ksft_diag("MC1_STATUS %#llx", (unsigned long long)val);
		goto out;
	}
	if (gvcpu_run_sync(v, 4, NULL) || set_mce(v, 1, MCI_VAL | MCI_UC | 0x24, 0) ||
	    gvcpu_run_sync(v, 5, &val) || val != 1) {
		ksft_diag("CMCI_EN off: %llu CMCI interrupts", (unsigned long long)val);
		goto out;
	}
	if (gvcpu_get_msr(v, MSR_MC_STATUS(1), &val) != 1 || val != (MCI_VAL | MCI_UC | 0x24)) {
		ksft_diag("CMCI_EN off: MC1_STATUS %#llx", (unsigned long long)val);
		goto out;
	}
	if (gvcpu_run_sync(v, 6, &val) || val != 1) {
		ksft_diag("MC1_CTL2 reserved bit: %llu #GP", (unsigned long long)val);
		goto out;
	}
	if (gvcpu_get_msr(v, MSR_MC_CTL2(4), &val) == 1) {
		ksft_diag("MC4_CTL2 of a 4-bank vCPU was read");
		goto out;
	}
	if (!gvcpu_run_done(v))
		r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

static const struct ksft_case cases[] = {
	{ "caps_and_setup", t_caps_and_setup },
	{ "inject", t_inject },
	{ "ucna_cmci", t_ucna_cmci },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
