// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO exits (KVM_EXIT_MMIO): the guest accesses a GPA that no memslot
 * backs. Every instruction form is checked against the exit it gives
 * (phys_addr, len, is_write, data), and load data supplied by user space
 * must land in the guest register exactly as the instruction defines it
 * (the guest asserts). Stock KVM is the reference for how string and
 * page-crossing accesses split into exits. The emulator's own page walks:
 * a guest page table that is not RAM, an instruction just before an
 * unmapped page, a read-modify-write of MMIO the guest maps read-only.
 * Coalesced MMIO and PIO: writes to a registered zone go to the ring page
 * instead of exiting.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest.h"

static int sys_fd;

static bool on_khv(void)
{
	const char *m = khv_module();

	return m && !strcmp(m, "khv");
}

#define MMIO_GPA	0xc0000000ull	/* mapped by the guest page tables */

/* One expected MMIO exit; for a read, @data is what user space answers. */
struct mmio_step {
	bool write;
	uint64_t offset;	/* from MMIO_GPA */
	uint32_t len;
	uint64_t data;
};

static int check_mmio_exit(struct gvcpu *v, const struct mmio_step *s, int i)
{
	struct kvm_run *run = v->run;
	uint64_t got = 0;

	if (gvcpu_run_expect(v, KVM_EXIT_MMIO)) {
		ksft_diag("step %d", i);
		return -1;
	}
	if (run->mmio.is_write != s->write ||
	    run->mmio.phys_addr != MMIO_GPA + s->offset ||
	    run->mmio.len != s->len) {
		gvcpu_describe_exit(v, "wrong MMIO exit");
		ksft_diag("step %d: want %s gpa %#llx len %u", i,
			  s->write ? "write" : "read", MMIO_GPA + s->offset,
			  s->len);
		return -1;
	}
	if (!s->write) {
		memcpy(run->mmio.data, &s->data, s->len);
		return 0;
	}
	memcpy(&got, run->mmio.data, s->len);
	if (got != s->data) {
		ksft_diag("step %d: write data %#lx, want %#lx", i, got, s->data);
		return -1;
	}
	return 0;
}

/* A VM running @fn, driven through @steps, then DONE. */
static int mmio_case(const void *fn, const struct mmio_step *steps, int n)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	int i, r = KSFT_PASS;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, fn, MMIO_GPA, 0);
	CHECK(v, "vCPU");
	for (i = 0; i < n && r == KSFT_PASS; i++)
		if (check_mmio_exit(v, &steps[i], i))
			r = KSFT_FAIL;
	if (r == KSFT_PASS && gvcpu_run_done(v))
		r = KSFT_FAIL;
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return r;
}

#define RAX_INIT 0x1122334455667788ull

/* ---- C accesses through volatile pointers ---- */

GUEST_CODE static void guest_c_access(uint64_t mmio, uint64_t b)
{
	volatile uint8_t *p8 = (void *)mmio;
	volatile uint16_t *p16 = (void *)(mmio + 0x10);
	volatile uint32_t *p32 = (void *)(mmio + 0x20);
	volatile uint64_t *p64 = (void *)(mmio + 0x40);

	*p8 = 0x5a;
	*p16 = 0x5a6b;
	*p32 = 0x5a6b7c8d;
	*p64 = 0x5a6b7c8d9eafb0c1ull;
	GUEST_ASSERT_EQ(*p8, 0xa1);
	GUEST_ASSERT_EQ(*p16, 0xb2b1);
	GUEST_ASSERT_EQ(*p32, 0xc4c3c2c1);
	GUEST_ASSERT_EQ(*p64, 0xd8d7d6d5d4d3d2d1ull);
	GUEST_DONE();
}

static int t_c_access(void)
{
	static const struct mmio_step steps[] = {
		{ true, 0x00, 1, 0x5a },
		{ true, 0x10, 2, 0x5a6b },
		{ true, 0x20, 4, 0x5a6b7c8d },
		{ true, 0x40, 8, 0x5a6b7c8d9eafb0c1ull },
		{ false, 0x00, 1, 0xa1 },
		{ false, 0x10, 2, 0xb2b1 },
		{ false, 0x20, 4, 0xc4c3c2c1 },
		{ false, 0x40, 8, 0xd8d7d6d5d4d3d2d1ull },
	};

	return mmio_case(guest_c_access, steps, 8);
}

/* ---- stores: register and immediate forms ---- */

GUEST_CODE static void guest_stores(uint64_t m, uint64_t b)
{
	uint64_t rax = 0x5a6b7c8d9eafb0c1ull;

	__asm__ volatile("movb %%al, (%0)" : : "r"(m), "a"(rax) : "memory");
	__asm__ volatile("movw %%ax, 2(%0)" : : "r"(m), "a"(rax) : "memory");
	__asm__ volatile("movl %%eax, 4(%0)" : : "r"(m), "a"(rax) : "memory");
	__asm__ volatile("movq %%rax, 8(%0)" : : "r"(m), "a"(rax) : "memory");
	__asm__ volatile("movb $0x7f, 0x10(%0)" : : "r"(m) : "memory");
	__asm__ volatile("movw $0x1234, 0x12(%0)" : : "r"(m) : "memory");
	__asm__ volatile("movl $0x89abcdef, 0x14(%0)" : : "r"(m) : "memory");
	__asm__ volatile("movq $-2, 0x18(%0)" : : "r"(m) : "memory");
	__asm__ volatile("movq $0x7fffffff, 0x20(%0)" : : "r"(m) : "memory");
	__asm__ volatile("movnti %1, 0x28(%0)" : : "r"(m), "r"(rax) : "memory");
	GUEST_DONE();
}

static int t_stores(void)
{
	static const struct mmio_step steps[] = {
		{ true, 0x00, 1, 0xc1 },
		{ true, 0x02, 2, 0xb0c1 },
		{ true, 0x04, 4, 0x9eafb0c1 },
		{ true, 0x08, 8, 0x5a6b7c8d9eafb0c1ull },
		{ true, 0x10, 1, 0x7f },
		{ true, 0x12, 2, 0x1234 },
		{ true, 0x14, 4, 0x89abcdef },
		{ true, 0x18, 8, 0xfffffffffffffffeull },	/* imm32 sign-extended */
		{ true, 0x20, 8, 0x7fffffff },
		{ true, 0x28, 8, 0x5a6b7c8d9eafb0c1ull },
	};

	return mmio_case(guest_stores, steps, 10);
}

/* ---- loads: MOV keeps or zero-extends, MOVZX, MOVSX ---- */

#define LOAD(insn, m, init)						\
	({								\
		uint64_t __r = (init);					\
		__asm__ volatile(insn : "+a"(__r) : "r"(m) : "memory");	\
		__r;							\
	})

GUEST_CODE static void guest_loads(uint64_t m, uint64_t b)
{
	/* 8- and 16-bit loads keep bits 63:8/63:16; 32-bit ones clear 63:32 */
	GUEST_ASSERT_EQ(LOAD("movb (%1), %%al", m, RAX_INIT), 0x11223344556677a1ull);
	GUEST_ASSERT_EQ(LOAD("movw 2(%1), %%ax", m, RAX_INIT), 0x112233445566b2b1ull);
	GUEST_ASSERT_EQ(LOAD("movl 4(%1), %%eax", m, RAX_INIT), 0xc4c3c2c1ull);
	GUEST_ASSERT_EQ(LOAD("movq 8(%1), %%rax", m, RAX_INIT), 0xd8d7d6d5d4d3d2d1ull);
	GUEST_ASSERT_EQ(LOAD("movzbl 0x11(%1), %%eax", m, RAX_INIT), 0x81);
	GUEST_ASSERT_EQ(LOAD("movzwl 0x12(%1), %%eax", m, RAX_INIT), 0x8281);
	GUEST_ASSERT_EQ(LOAD("movzbw 0x14(%1), %%ax", m, RAX_INIT), 0x1122334455660081ull);
	GUEST_ASSERT_EQ(LOAD("movsbq 0x15(%1), %%rax", m, RAX_INIT), 0xffffffffffffff81ull);
	GUEST_ASSERT_EQ(LOAD("movswq 0x16(%1), %%rax", m, RAX_INIT), 0xffffffffffff8281ull);
	GUEST_ASSERT_EQ(LOAD("movslq 0x18(%1), %%rax", m, RAX_INIT), 0xffffffff84838281ull);
	GUEST_ASSERT_EQ(LOAD("movsbl 0x1c(%1), %%eax", m, RAX_INIT), 0xffffff81ull);
	GUEST_ASSERT_EQ(LOAD("movsbq 0x1d(%1), %%rax", m, RAX_INIT), 0x71);
	GUEST_ASSERT_EQ(LOAD("movswl 0x1e(%1), %%eax", m, RAX_INIT), 0x7281);
	GUEST_DONE();
}

static int t_loads(void)
{
	static const struct mmio_step steps[] = {
		{ false, 0x00, 1, 0xa1 },
		{ false, 0x02, 2, 0xb2b1 },
		{ false, 0x04, 4, 0xc4c3c2c1 },
		{ false, 0x08, 8, 0xd8d7d6d5d4d3d2d1ull },
		{ false, 0x11, 1, 0x81 },
		{ false, 0x12, 2, 0x8281 },
		{ false, 0x14, 1, 0x81 },
		{ false, 0x15, 1, 0x81 },
		{ false, 0x16, 2, 0x8281 },
		{ false, 0x18, 4, 0x84838281 },
		{ false, 0x1c, 1, 0x81 },
		{ false, 0x1d, 1, 0x71 },
		{ false, 0x1e, 2, 0x7281 },
	};

	return mmio_case(guest_loads, steps, 13);
}

/* ---- unaligned and page-crossing accesses ---- */

GUEST_CODE static void guest_unaligned(uint64_t m, uint64_t b)
{
	*(volatile uint32_t *)(m + 3) = 0xa1b2c3d4;
	*(volatile uint64_t *)(m + 0x105) = 0x0102030405060708ull;
	*(volatile uint64_t *)(m + 4096 - 4) = 0x1122334455667788ull;
	GUEST_ASSERT_EQ(*(volatile uint64_t *)(m + 2 * 4096 - 2),
			0xa6a5a4a3a2a1b2b1ull);
	GUEST_DONE();
}

/*
 * An access within a page is one exit whatever its alignment; one that
 * crosses a page boundary is split at the boundary, one exit per part
 * (low addresses first), and a load is put together from the parts.
 */
static int t_unaligned(void)
{
	static const struct mmio_step steps[] = {
		{ true, 0x003, 4, 0xa1b2c3d4 },
		{ true, 0x105, 8, 0x0102030405060708ull },
		{ true, 4096 - 4, 4, 0x55667788 },
		{ true, 4096, 4, 0x11223344 },
		{ false, 2 * 4096 - 2, 2, 0xb2b1 },
		{ false, 2 * 4096, 6, 0xa6a5a4a3a2a1ull },
	};

	return mmio_case(guest_unaligned, steps, 6);
}

/* ---- string instructions ---- */

static volatile uint8_t ram_buf[16] = "0123456789abcdef";

GUEST_CODE static void guest_strings(uint64_t m, uint64_t b)
{
	uint64_t rsi = (uint64_t)ram_buf, rdi = m, rcx = 4;

	__asm__ volatile("rep movsb" : "+S"(rsi), "+D"(rdi), "+c"(rcx)
			 : : "memory");
	GUEST_ASSERT(rsi == (uint64_t)ram_buf + 4 && rdi == m + 4 && !rcx);
	rdi = m + 0x10;
	rcx = 3;
	__asm__ volatile("rep stosl" : "+D"(rdi), "+c"(rcx)
			 : "a"(0xdeadbeef) : "memory");
	GUEST_ASSERT(rdi == m + 0x1c && !rcx);
	rsi = m + 0x20;
	rdi = (uint64_t)ram_buf + 8;
	rcx = 4;
	__asm__ volatile("rep movsb" : "+S"(rsi), "+D"(rdi), "+c"(rcx)
			 : : "memory");
	GUEST_ASSERT(rsi == m + 0x24 && !rcx);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)&ram_buf[8], 0x6665646304030201ull);
	GUEST_DONE();
}

/* Stock KVM: one exit per element, both ways. */
static int t_strings(void)
{
	static const struct mmio_step steps[] = {
		{ true, 0x00, 1, '0' },
		{ true, 0x01, 1, '1' },
		{ true, 0x02, 1, '2' },
		{ true, 0x03, 1, '3' },
		{ true, 0x10, 4, 0xdeadbeef },
		{ true, 0x14, 4, 0xdeadbeef },
		{ true, 0x18, 4, 0xdeadbeef },
		{ false, 0x20, 1, 0x01 },
		{ false, 0x21, 1, 0x02 },
		{ false, 0x22, 1, 0x03 },
		{ false, 0x23, 1, 0x04 },
	};

	return mmio_case(guest_strings, steps, 11);
}

/* ---- read-modify-write ---- */

GUEST_CODE static void guest_rmw(uint64_t m, uint64_t b)
{
	__asm__ volatile("lock addq %1, (%0)" : : "r"(m), "r"(0x55ull)
			 : "memory", "cc");
	__asm__ volatile("orl $0x80000000, 8(%0)" : : "r"(m) : "memory", "cc");
	GUEST_DONE();
}

/* A read exit, then a write exit of the result. */
static int t_read_modify_write(void)
{
	static const struct mmio_step steps[] = {
		{ false, 0x0, 8, 0x1000000000000001ull },
		{ true, 0x0, 8, 0x1000000000000056ull },
		{ false, 0x8, 4, 0x1234 },
		{ true, 0x8, 4, 0x80001234 },
	};

	return mmio_case(guest_rmw, steps, 4);
}

/* ---- the emulator's page walks ---- */

/*
 * A 4 KiB page table of its own, in slot PT_SLOT at PT_GPA, maps the 2 MiB
 * at TABLE_GLA (the guest's other tables map it with one large page).
 */
#define PT_SLOT		1
#define PT_GPA		0x10000000ull	/* above RAM */
#define TABLE_GLA	0xd0000000ull
#define DATA_GPA	GUEST_FREE_GPA
#define CODE_GPA	(GUEST_FREE_GPA + 0x1000)
#define DATA_VALUE	0x600dda7a600dda7aull

static volatile uint64_t pf_count, pf_cr2, pf_error;

/* #PF: note it; a faulting load "mov (%rax), %rax" is skipped with RAX
 * 0x5a5a, a faulting fetch at a call's target returns to the caller. */
GUEST_CODE static void pf_handler(struct guest_frame *f)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	pf_count++;
	pf_cr2 = cr2;
	pf_error = f->error_code;
	if (f->rip == cr2) {
		f->rip = *(uint64_t *)f->rsp;
		f->rsp += 8;
	} else {
		f->rip += 3;
		f->rax = 0x5a5a;
	}
}

GUEST_CODE static uint64_t guest_load(uint64_t addr)
{
	__asm__ volatile(".byte 0x48, 0x8b, 0x00" : "+a"(addr) : : "memory");
	return addr;
}

/* Call @target with RAX = @rax, past the red zone; returns RAX. */
GUEST_CODE static uint64_t guest_call(uint64_t target, uint64_t rax)
{
	__asm__ volatile("sub $128, %%rsp; call *%1; add $128, %%rsp"
			 : "+a"(rax) : "r"(target)
			 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
			   "memory", "cc");
	return rax;
}

/* The VM with the table in its slot; *@pt is the table. */
static struct gvcpu *table_vm(struct gvm **vm, const void *fn, uint64_t **pt)
{
	uint64_t *pd;

	*vm = gvm_create(sys_fd, 0);
	if (!*vm || gvm_set_handler(*vm, 14, pf_handler))
		return NULL;
	*pt = gvm_add_slot(*vm, PT_SLOT, PT_GPA, 0x1000, 0);
	if (!*pt)
		return NULL;
	pd = gvm_hva(*vm, GUEST_PT_GPA + 0x2000 + 0x1000 * (TABLE_GLA >> 30));
	pd[(TABLE_GLA >> 21) & 511] = PT_GPA | 3;
	return gvcpu_create_long(*vm, 0, fn, TABLE_GLA, 0);
}

GUEST_CODE static void guest_table_gone(uint64_t gla, uint64_t b)
{
	GUEST_SYNC(1, guest_load(gla + 0x2010));
	GUEST_SYNC(2, 0);			/* the table's slot goes */
	GUEST_SYNC(3, guest_load(gla + 0x10));
	GUEST_SYNC(4, pf_cr2);
	GUEST_SYNC(5, pf_error);
	guest_call(gla + 0x1000, 0);
	GUEST_SYNC(6, pf_cr2);
	GUEST_SYNC(7, pf_error);
	GUEST_SYNC(8, pf_count);
	GUEST_DONE();
}

/*
 * The guest's page table is in a slot user space deletes: the walk to it
 * is a nested page fault on MMIO, and the instruction's own page walk can
 * no longer read the entry. That is a not-present #PF for the guest (as
 * KVM's walker has it), for a load and for an instruction fetch alike,
 * never an error of KVM_RUN (set_memory_region_test of Linux's selftests
 * deletes slots under a running vCPU). The load's operand is not at the
 * page offset of the entry the nested fault names: KVM then takes the
 * fault's address for the operand's (an MMIO read of the entry).
 */
static int t_table_not_ram(void)
{
	struct kvm_sregs sr;
	struct gvm *vm;
	uint64_t *pt, val, fetch_ec;
	struct gvcpu *v = table_vm(&vm, guest_table_gone, &pt);

	CHECK(v, "VM, table slot, vCPU");
	pt[0] = DATA_GPA | 3;
	pt[2] = DATA_GPA | 3;
	*(uint64_t *)gvm_hva(vm, DATA_GPA + 0x10) = DATA_VALUE;
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	/* I/D is reported with NX paging (as here: PAE) or SMEP */
	fetch_ec = (sr.efer & (1ull << 11)) ? 0x10 : 0;
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == DATA_VALUE,
	      "load through the table: %#lx", val);
	CHECK(!gvcpu_run_sync(v, 2, &val), "stage 2");
	CHECK(!gvm_delete_slot(vm, PT_SLOT), "delete the table's slot");
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0x5a5a,
	      "load without the table: RAX %#lx, not the #PF handler's", val);
	CHECK(!gvcpu_run_sync(v, 4, &val) && val == TABLE_GLA + 0x10,
	      "CR2 %#lx", val);
	CHECK(!gvcpu_run_sync(v, 5, &val) && val == 0,
	      "load's #PF error code %#lx, want 0 (not present, read)", val);
	CHECK(!gvcpu_run_sync(v, 6, &val) && val == TABLE_GLA + 0x1000,
	      "fetch's CR2 %#lx", val);
	CHECK(!gvcpu_run_sync(v, 7, &val) && val == fetch_ec,
	      "fetch's #PF error code %#lx, want %#lx", val, fetch_ec);
	CHECK(!gvcpu_run_sync(v, 8, &val) && val == 2, "%lu #PFs, want 2", val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_end_of_page(uint64_t gla, uint64_t b)
{
	GUEST_SYNC(1, guest_call(gla + 0xff8, MMIO_GPA));
	GUEST_SYNC(2, pf_count);
	GUEST_DONE();
}

/*
 * An MMIO load 8 bytes before the end of a page whose next page is not
 * mapped, its RET right after it: 15 instruction bytes cannot be read,
 * the instruction is whole all the same. No #PF.
 */
static int t_insn_before_unmapped_page(void)
{
	static const uint8_t code[] = { 0x48, 0x8b, 0x00, 0xc3 };
	static const struct mmio_step read = { false, 0, 8, 0x7777 };
	struct gvm *vm;
	uint64_t *pt, val;
	struct gvcpu *v = table_vm(&vm, guest_end_of_page, &pt);

	CHECK(v, "VM, table slot, vCPU");
	pt[0] = CODE_GPA | 3;		/* page 1 stays not present */
	memcpy((uint8_t *)gvm_hva(vm, CODE_GPA) + 0xff8, code, sizeof(code));
	CHECK(!check_mmio_exit(v, &read, 0), "the load's MMIO exit");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0x7777, "RAX %#lx", val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 0, "%lu #PFs, want none", val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_rmw_read_only(uint64_t gla, uint64_t b)
{
	uint64_t rax = gla, cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 |= 1ull << 16;			/* CR0.WP: CPL 0 obeys R/W too */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	/* add %rax, (%rax): 3 bytes, as the #PF handler skips */
	__asm__ volatile(".byte 0x48, 0x01, 0x00" : "+a"(rax) : : "memory", "cc");
	GUEST_SYNC(1, rax);
	GUEST_SYNC(2, pf_cr2);
	GUEST_SYNC(3, pf_error);
	GUEST_SYNC(4, pf_count);
	GUEST_DONE();
}

/*
 * A read-modify-write of MMIO that the guest maps read-only: a #PF for
 * the write (error code P|W), and no write exit. The CPU may report the
 * nested page fault of such an instruction as a read (QEMU's TCG does):
 * the emulator must check the write permission all the same. Stock KVM
 * (6.1) reads, then writes: its emulator takes the fault's address for
 * both without a permission check, right only where the CPU checks the
 * write before the nested fault (hardware does, TCG does not); skipped
 * there with that reason.
 */
static int t_rmw_read_only(void)
{
	struct gvm *vm;
	uint64_t *pt, val;
	struct gvcpu *v = table_vm(&vm, guest_rmw_read_only, &pt);
	struct ucall uc;
	int reads = 0;

	CHECK(v, "VM, table slot, vCPU");
	pt[0] = MMIO_GPA | 1;			/* present, read-only */
	for (;;) {
		CHECK(!gvcpu_run(v), "KVM_RUN");
		if (v->run->exit_reason != KVM_EXIT_MMIO)
			break;
		if (v->run->mmio.is_write && !on_khv()) {
			ksft_diag("stock KVM writes: it takes the nested fault's address for the write-back without a write check");
			gvcpu_destroy(v);
			gvm_destroy(vm);
			return KSFT_SKIP;
		}
		CHECK(!v->run->mmio.is_write, "a write exit to %#llx",
		      (unsigned long long)v->run->mmio.phys_addr);
		CHECK(++reads == 1, "%d read exits", reads);
		memset(v->run->mmio.data, 0, sizeof(v->run->mmio.data));
	}
	CHECK(ucall_get(v, &uc) == UCALL_SYNC && uc.args[0] == 1 &&
	      uc.args[1] == 0x5a5a, "exit %u, not SYNC 1 with RAX 0x5a5a",
	      v->run->exit_reason);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == TABLE_GLA, "CR2 %#lx", val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 3,
	      "#PF error code %#lx, want 3 (present, write)", val);
	CHECK(!gvcpu_run_sync(v, 4, &val) && val == 1, "%lu #PFs, want 1", val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* ---- coalesced MMIO and PIO (KVM_REGISTER_COALESCED_MMIO) ---- */

/* KVM_COALESCED_MMIO_MAX, for a 4 KiB page (the UAPI uses PAGE_SIZE) */
#define RING_MAX ((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / \
		  sizeof(struct kvm_coalesced_mmio))

static int zone_ioctl(int vm_fd, unsigned long cmd, uint64_t addr, uint32_t size,
		      uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = size };

	z.pio = pio;
	return ioctl(vm_fd, cmd, &z) ? -errno : 0;
}

/* The ring, mapped from the vCPU fd at its page; NULL without the cap. */
static struct kvm_coalesced_mmio_ring *map_ring(struct gvcpu *v)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO) !=
	    KVM_COALESCED_MMIO_PAGE_OFFSET)
		return NULL;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		 KVM_COALESCED_MMIO_PAGE_OFFSET * page);
	return p == MAP_FAILED ? NULL : p;
}

/* Take the ring's entries (at most @max) into @out; returns how many. */
static int drain(struct kvm_coalesced_mmio_ring *ring,
		 struct kvm_coalesced_mmio *out, int max)
{
	int n = 0;

	while (ring->first != ring->last) {
		if (n < max)
			out[n] = ring->coalesced_mmio[ring->first];
		n++;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		ring->first = (ring->first + 1) % RING_MAX;
	}
	return n;
}

/* A VM running @fn(MMIO_GPA, 0), its vCPU and the mapped ring. */
static int coalesced_vm(const void *fn, struct gvm **vm, struct gvcpu **v,
			struct kvm_coalesced_mmio_ring **ring)
{
	*vm = gvm_create(sys_fd, 0);
	CHECK(*vm, "VM");
	*v = gvcpu_create_long(*vm, 0, fn, MMIO_GPA, 0);
	CHECK(*v, "vCPU");
	*ring = map_ring(*v);
	SKIP_IF(!*ring, "no KVM_CAP_COALESCED_MMIO at page %d",
		KVM_COALESCED_MMIO_PAGE_OFFSET);
	return KSFT_PASS;
}

static bool entry_is(const struct kvm_coalesced_mmio *e, uint64_t addr,
		     uint32_t len, uint32_t pio, uint64_t data)
{
	uint64_t got = 0;

	/* the bytes past len are undefined (KVM leaves what was there) */
	memcpy(&got, e->data, e->len <= 8 ? e->len : 8);
	if (e->phys_addr == addr && e->len == len && e->pio == pio && got == data)
		return true;
	ksft_diag("entry: addr %#llx len %u pio %u data %#lx; want %#lx %u %u %#lx",
		  (unsigned long long)e->phys_addr, e->len, e->pio, got,
		  addr, len, pio, data);
	return false;
}

GUEST_CODE static void guest_coalesced(uint64_t m, uint64_t b)
{
	*(volatile uint8_t *)(m + 0) = 0x11;
	*(volatile uint16_t *)(m + 2) = 0x2222;
	*(volatile uint32_t *)(m + 4) = 0x33333333;
	*(volatile uint64_t *)(m + 8) = 0x4444444444444444ull;
	GUEST_ASSERT_EQ(*(volatile uint64_t *)(m + 0x10), 0x5555);
	*(volatile uint64_t *)(m + 0x2c) = 0x66;	/* past zone 2's end */
	GUEST_SYNC(1, 0);
	*(volatile uint32_t *)(m + 0x20) = 0x88;	/* zone 2 stays */
	*(volatile uint32_t *)(m + 0) = 0x77;		/* zone 1 is gone */
	GUEST_DONE();
}

/*
 * Writes inside a zone go to the ring, not to user space; a read of the
 * zone, a write that runs past a zone's end and, once the zone is
 * unregistered, a write there exit as MMIO always did.
 */
static int t_coalesced_mmio(void)
{
	static const struct mmio_step read = { false, 0x10, 8, 0x5555 };
	static const struct mmio_step past = { true, 0x2c, 8, 0x66 };
	static const struct mmio_step gone = { true, 0, 4, 0x77 };
	struct kvm_coalesced_mmio e[8];
	struct kvm_coalesced_mmio_ring *ring;
	struct gvm *vm;
	struct gvcpu *v;
	uint64_t val;
	int r = coalesced_vm(guest_coalesced, &vm, &v, &ring);

	if (r != KSFT_PASS)
		return r;
	CHECK(ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0) >= 3 * sysconf(_SC_PAGESIZE),
	      "the vCPU mmap size covers the ring's page");
	CHECK(zone_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 0x20, 0) == 0,
	      "zone 1");
	CHECK(zone_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA + 0x20, 0x10, 0) == 0,
	      "zone 2");
	CHECK(!check_mmio_exit(v, &read, 0), "the read exits, after four writes");
	CHECK(drain(ring, e, 8) == 4, "four writes in the ring");
	CHECK(entry_is(&e[0], MMIO_GPA, 1, 0, 0x11) &&
	      entry_is(&e[1], MMIO_GPA + 2, 2, 0, 0x2222) &&
	      entry_is(&e[2], MMIO_GPA + 4, 4, 0, 0x33333333) &&
	      entry_is(&e[3], MMIO_GPA + 8, 8, 0, 0x4444444444444444ull),
	      "the ring's entries, in order");
	CHECK(!check_mmio_exit(v, &past, 1), "a write past the zone's end exits");
	CHECK(!gvcpu_run_sync(v, 1, &val), "stage 1");
	CHECK(drain(ring, e, 8) == 0, "nothing more in the ring");
	/* as KVM: the zones that contain the range go, others stay */
	CHECK(zone_ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, MMIO_GPA - 0x10, 0x40, 0) == 0,
	      "unregister a range around both zones: none goes");
	CHECK(zone_ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, MMIO_GPA, 0x20, 1) == 0,
	      "unregister zone 1's range on the port bus: none goes");
	CHECK(zone_ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, MMIO_GPA + 4, 8, 0) == 0,
	      "unregister a range inside zone 1");
	CHECK(zone_ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, 0x1000, 0x10, 0) == 0,
	      "unregister where there is no zone");
	CHECK(!check_mmio_exit(v, &gone, 2), "zone 1 gone: the write exits");
	CHECK(drain(ring, e, 8) == 1 && entry_is(&e[0], MMIO_GPA + 0x20, 4, 0, 0x88),
	      "zone 2 still coalesces");
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

#define PIO_ZONE	0x700

GUEST_CODE static void guest_coalesced_pio(uint64_t a, uint64_t b)
{
	__asm__ volatile("outb %b0, %w1" : : "a"(0x12), "Nd"(PIO_ZONE));
	__asm__ volatile("outw %w0, %w1" : : "a"(0x3456), "Nd"(PIO_ZONE));
	__asm__ volatile("outb %b0, %w1" : : "a"(0x78), "Nd"(PIO_ZONE + 2));
	GUEST_DONE();
}

/* KVM_CAP_COALESCED_PIO: OUTs to a port zone (pio = 1) go to the ring. */
static int t_coalesced_pio(void)
{
	struct kvm_coalesced_mmio e[4];
	struct kvm_coalesced_mmio_ring *ring;
	struct gvm *vm;
	struct gvcpu *v;
	int r = coalesced_vm(guest_coalesced_pio, &vm, &v, &ring);

	if (r != KSFT_PASS)
		return r;
	SKIP_IF(ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0,
		"no KVM_CAP_COALESCED_PIO");
	CHECK(zone_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, PIO_ZONE, 2, 1) == 0,
	      "port zone");
	CHECK(zone_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, PIO_ZONE, 2, 2) == -EINVAL,
	      "pio = 2: EINVAL");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO) && v->run->io.port == PIO_ZONE + 2 &&
	      v->run->io.direction == KVM_EXIT_IO_OUT, "the OUT past the zone exits");
	CHECK(drain(ring, e, 4) == 2, "two OUTs in the ring");
	CHECK(entry_is(&e[0], PIO_ZONE, 1, 1, 0x12) && entry_is(&e[1], PIO_ZONE, 2, 1, 0x3456),
	      "the ring's port entries");
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

#define ORDER_WRITES	600

GUEST_CODE static void guest_coalesced_order(uint64_t m, uint64_t b)
{
	uint64_t i;

	for (i = 1; i <= ORDER_WRITES; i++)
		*(volatile uint64_t *)m = i;
	GUEST_DONE();
}

/*
 * More writes than the ring holds, user space draining only when a write
 * exits: every write arrives once, in order, in the ring or as an exit.
 * A ring index user space scribbled over makes the next write exit.
 */
static int t_coalesced_ring_full(void)
{
	static struct kvm_coalesced_mmio e[ORDER_WRITES];
	struct kvm_coalesced_mmio_ring *ring;
	uint64_t got[ORDER_WRITES + 1], d;
	int n = 0, exits = 0, i, k;
	struct gvm *vm;
	struct gvcpu *v;
	int r = coalesced_vm(guest_coalesced_order, &vm, &v, &ring);

	if (r != KSFT_PASS)
		return r;
	CHECK(zone_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 8, 0) == 0, "zone");
	/* hostile: last out of range; the first write must just exit */
	ring->first = 0;
	ring->last = 12345;
	CHECK(gvcpu_run(v) == 0 && v->run->exit_reason == KVM_EXIT_MMIO,
	      "with a scribbled index the write exits (reason %u)", v->run->exit_reason);
	memcpy(&d, v->run->mmio.data, 8);
	got[n++] = d;
	exits++;
	ring->last = 0;
	for (;;) {
		CHECK(gvcpu_run(v) == 0, "KVM_RUN");
		k = drain(ring, e, ORDER_WRITES);
		CHECK(n + k <= ORDER_WRITES, "%d writes too many", n + k);
		for (i = 0; i < k; i++) {
			memcpy(&d, e[i].data, 8);
			got[n++] = d;
		}
		if (v->run->exit_reason != KVM_EXIT_MMIO)
			break;
		CHECK(v->run->mmio.is_write && v->run->mmio.phys_addr == MMIO_GPA &&
		      n < ORDER_WRITES, "an MMIO write exit");
		memcpy(&d, v->run->mmio.data, 8);
		got[n++] = d;
		exits++;
	}
	CHECK(ucall_get(v, &(struct ucall){ 0 }) == UCALL_DONE, "DONE");
	CHECK(n == ORDER_WRITES, "%d of %d writes arrived", n, ORDER_WRITES);
	for (i = 0; i < n; i++)
		CHECK(got[i] == (uint64_t)i + 1, "write %d is %lu", i + 1, got[i]);
	CHECK(exits > 1 && exits < ORDER_WRITES / 2,
	      "%d of %d writes exited: the ring took the others", exits, ORDER_WRITES);
	ksft_diag("%d writes exited (the ring full, or scribbled), %d went through the ring",
		  exits, ORDER_WRITES - exits);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static volatile uint8_t movs_src[16] = "0123456789abcdef";

GUEST_CODE static void guest_coalesced_rep(uint64_t m, uint64_t b)
{
	uint64_t di = m + 0xf00, cx = 300, si;

	/* forward across the zone's two pages */
	__asm__ volatile("cld; rep stosw" : "+D"(di), "+c"(cx) : "a"(0xabcd) : "memory");
	GUEST_ASSERT_EQ(di, m + 0xf00 + 600);
	GUEST_ASSERT_EQ(cx, 0);
	di = m + 0x1800;
	cx = 5;
	__asm__ volatile("std; rep stosb; cld" : "+D"(di), "+c"(cx) : "a"(0x5a) : "memory", "cc");
	GUEST_ASSERT_EQ(di, m + 0x1800 - 5);
	di = m + 0x10;
	cx = 16;
	si = (uint64_t)movs_src;
	__asm__ volatile("rep movsb" : "+D"(di), "+c"(cx), "+S"(si) : : "memory");
	GUEST_ASSERT_EQ(di, m + 0x20);
	GUEST_DONE();
}

/*
 * REP STOS and MOVS into a coalesced zone: every element in the ring (or,
 * when it is full, as an exit), in order, the registers as the CPU leaves
 * them; forward across a page border and backward.
 */
static int t_coalesced_rep_string(void)
{
	static struct kvm_coalesced_mmio e[400];
	struct kvm_coalesced_mmio_ring *ring;
	int n = 0, k, i;
	struct gvm *vm;
	struct gvcpu *v;
	int r = coalesced_vm(guest_coalesced_rep, &vm, &v, &ring);

	if (r != KSFT_PASS)
		return r;
	CHECK(zone_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, MMIO_GPA, 0x2000, 0) == 0, "zone");
	for (;;) {
		CHECK(gvcpu_run(v) == 0, "KVM_RUN");
		k = drain(ring, e + n, 400 - n);
		n += k;
		CHECK(n <= 400, "too many writes");
		if (v->run->exit_reason != KVM_EXIT_MMIO)
			break;
		CHECK(v->run->mmio.is_write && n < 400, "an MMIO write exit");
		e[n].phys_addr = v->run->mmio.phys_addr;
		e[n].len = v->run->mmio.len;
		e[n].pio = 0;
		memcpy(e[n].data, v->run->mmio.data, 8);
		n++;
	}
	CHECK(ucall_get(v, &(struct ucall){ 0 }) == UCALL_DONE, "DONE");
	CHECK(n == 300 + 5 + 16, "%d writes", n);
	for (i = 0; i < 300; i++)
		CHECK(entry_is(&e[i], MMIO_GPA + 0xf00 + 2 * i, 2, 0, 0xabcd), "STOSW %d", i);
	for (i = 0; i < 5; i++)
		CHECK(entry_is(&e[300 + i], MMIO_GPA + 0x1800 - i, 1, 0, 0x5a), "STOSB %d", i);
	for (i = 0; i < 16; i++)
		CHECK(entry_is(&e[305 + i], MMIO_GPA + 0x10 + i, 1, 0, movs_src[i]), "MOVSB %d", i);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "c_volatile_access", t_c_access },
	{ "stores", t_stores },
	{ "loads", t_loads },
	{ "unaligned_and_page_crossing", t_unaligned },
	{ "string_instructions", t_strings },
	{ "read_modify_write", t_read_modify_write },
	{ "page_table_not_ram", t_table_not_ram },
	{ "insn_before_unmapped_page", t_insn_before_unmapped_page },
	{ "rmw_read_only", t_rmw_read_only },
	{ "coalesced_mmio", t_coalesced_mmio },
	{ "coalesced_pio", t_coalesced_pio },
	{ "coalesced_ring_full", t_coalesced_ring_full },
	{ "coalesced_rep_string", t_coalesced_rep_string },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
