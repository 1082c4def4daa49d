// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers: a guest's MOV to and from DR0-3, DR6 and DR7 sees its
 * own values (DR4/5 alias DR6/7), starting from the reset values, and a
 * guest's writes do not leak into another VM's.
 */
#include "guest.h"

static int sys_fd;

#define DR_VALUE(n)	(0x1000ull * ((n) + 1) + 0xabc0000)

#define GUEST_RDR(n) ({ uint64_t __v;				\
	__asm__ volatile("mov %%db" #n ", %0" : "=r"(__v)); __v; })
#define GUEST_WDR(n, v) __asm__ volatile("mov %0, %%db" #n : : "r"((uint64_t)(v)))

GUEST_CODE static void guest_dr_reset(uint64_t a0, uint64_t a1)
{
	GUEST_ASSERT_EQ(GUEST_RDR(0), 0);
	GUEST_ASSERT_EQ(GUEST_RDR(3), 0);
	GUEST_ASSERT_EQ(GUEST_RDR(6) & 0xffff0fff, 0xffff0ff0);
	GUEST_ASSERT_EQ(GUEST_RDR(7), 0x400);
	GUEST_DONE();
}

GUEST_CODE static void guest_dr_write(uint64_t a0, uint64_t a1)
{
	GUEST_WDR(0, DR_VALUE(0));
	GUEST_WDR(1, DR_VALUE(1));
	GUEST_WDR(2, DR_VALUE(2));
	GUEST_WDR(3, DR_VALUE(3));
	GUEST_ASSERT_EQ(GUEST_RDR(0), DR_VALUE(0));
	GUEST_ASSERT_EQ(GUEST_RDR(1), DR_VALUE(1));
	GUEST_ASSERT_EQ(GUEST_RDR(2), DR_VALUE(2));
	GUEST_ASSERT_EQ(GUEST_RDR(3), DR_VALUE(3));
	GUEST_SYNC(1, GUEST_RDR(2));
	/* still its own after an exit to user space */
	GUEST_ASSERT_EQ(GUEST_RDR(1), DR_VALUE(1));
	GUEST_DONE();
}

static int run_guest(const void *fn, bool sync)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, fn, 0, 0) : NULL;
	uint64_t val = 0;
	int r = KSFT_PASS;

	if (!v) {
		ksft_diag("VM setup failed");
		r = KSFT_FAIL;
	} else if (sync && (gvcpu_run_sync(v, 1, &val) || val != DR_VALUE(2))) {
		ksft_diag("SYNC with DR2 %#lx", (unsigned long)val);
		r = KSFT_FAIL;
	} else if (gvcpu_run_done(v)) {
		r = KSFT_FAIL;
	}
	if (v)
		gvcpu_destroy(v);
	if (vm)
		gvm_destroy(vm);
	return r;
}

static int t_reset_values(void)
{
	return run_guest(guest_dr_reset, false);
}

static int t_write_read(void)
{
	return run_guest(guest_dr_write, true);
}

/* A fresh VM after one that wrote its DRs sees reset values again. */
static int t_no_leak_between_vms(void)
{
	int r = run_guest(guest_dr_write, true);

	return r == KSFT_PASS ? run_guest(guest_dr_reset, false) : r;
}

static const struct ksft_case cases[] = {
	{ "reset_values", t_reset_values },
	{ "write_read", t_write_read },
	{ "no_leak_between_vms", t_no_leak_between_vms },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
