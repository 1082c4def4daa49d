// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers: a guest's MOV to and from DR0-3, DR6 and DR7 sees its
 * own values (DR4/5 alias DR6/7), starting from the reset values, and a
 * guest's writes do not leak into another VM's. Writes are checked as the
 * CPU checks them: bits 63:32 of DR6/DR7 are #GP (and must never reach
 * the hardware, where they would make the next entry fail), their fixed
 * bits keep their values, and with DR7.GD set a MOV DR raises #DB with
 * DR6.BD.
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

/* MOV to DRn from RAX: 3 bytes (0F 23 /r), which the handlers skip. */
#define GUEST_WDR3(n, v) __asm__ volatile("mov %%rax, %%db" #n : : "a"((uint64_t)(v)))

/* #GP and #DB handlers: count, note DR6, skip the 3-byte MOV DR. */
static volatile uint64_t g_gp, g_db, g_db_dr6, g_db_dr7;

GUEST_CODE static void gp_skip(struct guest_frame *f)
{
	g_gp++;
	f->rip += 3;
}

GUEST_CODE static void db_note(struct guest_frame *f)
{
	g_db++;
	g_db_dr6 = GUEST_RDR(6);
	g_db_dr7 = GUEST_RDR(7);
	f->rip += 3;	/* #DB for GD is a fault: skip the MOV */
}

GUEST_CODE static void guest_dr_reserved(uint64_t a0, uint64_t a1)
{
	GUEST_WDR3(6, 1ull << 32);
	GUEST_ASSERT_EQ(g_gp, 1);
	GUEST_WDR3(7, (1ull << 32) | 1);
	GUEST_ASSERT_EQ(g_gp, 2);
	GUEST_ASSERT_EQ(GUEST_RDR(7), 0x400);
	/* fixed bits: DR6 11:4 and 31:16 read 1, DR7 bit 10 reads 1 */
	GUEST_WDR3(6, 0);
	GUEST_ASSERT_EQ(GUEST_RDR(6) & 0xffff0ff0, 0xffff0ff0);
	GUEST_WDR3(7, 0);
	GUEST_ASSERT_EQ(GUEST_RDR(7), 0x400);
	GUEST_WDR3(7, 0x401);
	GUEST_ASSERT_EQ(GUEST_RDR(7), 0x401);
	GUEST_WDR3(7, 0x400);
	GUEST_ASSERT_EQ(g_gp, 2);
	GUEST_SYNC(1, DR_VALUE(2));	/* an entry after all that: still runs */
	GUEST_DONE();
}

/*
 * DR7.GD: the next MOV DR faults with #DB, DR6.BD set, GD cleared. Stock
 * KVM leaves the guest's MOV DR to the CPU after the first one, and QEMU's
 * TCG models no GD: there the write just happens (SYNC 2, skipped).
 */
GUEST_CODE static void guest_dr_gd(uint64_t a0, uint64_t a1)
{
	GUEST_WDR3(7, 0x2400);
	GUEST_WDR3(0, 0x1234);		/* faults: not written */
	if (!g_db && GUEST_RDR(0) == 0x1234)
		GUEST_SYNC(2, 0);
	GUEST_ASSERT_EQ(g_db, 1);
	GUEST_ASSERT(g_db_dr6 & (1ull << 13));
	GUEST_ASSERT_EQ(g_db_dr7 & 0x2000, 0);
	GUEST_ASSERT_EQ(GUEST_RDR(0), 0);
	GUEST_ASSERT_EQ(GUEST_RDR(7), 0x400);
	GUEST_DONE();
}

/*
 * Run @fn with the #GP and #DB handlers above. With @sync it must first
 * SYNC(1, DR_VALUE(2)); a SYNC stage 2 means "the CPU cannot show this":
 * skipped. Then DONE.
 */
static int run_guest(const void *fn, bool sync)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, fn, 0, 0) : NULL;
	struct ucall uc;
	int r = KSFT_FAIL, cmd;

	if (!v || gvm_set_handler(vm, 13, gp_skip) || gvm_set_handler(vm, 1, db_note)) {
		ksft_diag("VM setup failed");
		goto out;
	}
	cmd = gvcpu_run_ucall(v, &uc);
	if (sync && cmd == UCALL_SYNC && uc.args[0] == 1) {
		if (uc.args[1] != DR_VALUE(2)) {
			ksft_diag("SYNC with DR2 %#lx", (unsigned long)uc.args[1]);
			goto out;
		}
		cmd = gvcpu_run_ucall(v, &uc);
	}
	if (cmd == UCALL_SYNC && uc.args[0] == 2) {
		ksft_diag("MOV DR with DR7.GD set raised no #DB: the CPU does not model GD");
		r = KSFT_SKIP;
	} else if (cmd == UCALL_DONE) {
		r = KSFT_PASS;
	}
out:
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

static int t_reserved_bits_gp(void)
{
	return run_guest(guest_dr_reserved, true);
}

static int t_general_detect(void)
{
	return run_guest(guest_dr_gd, false);
}

static const struct ksft_case cases[] = {
	{ "reset_values", t_reset_values },
	{ "reserved_bits_gp", t_reserved_bits_gp },
	{ "general_detect", t_general_detect },
	{ "write_read", t_write_read },
	{ "no_leak_between_vms", t_no_leak_between_vms },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
