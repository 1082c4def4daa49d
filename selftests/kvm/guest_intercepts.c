// SPDX-License-Identifier: GPL-2.0
/*
 * What a guest sees of the events and instructions a hypervisor must
 * intercept to keep the host safe (Documentation/security.md): the guest
 * still gets the architectural behaviour, on stock KVM as on khv.
 *
 * - #AC and #DB (intercepted so their delivery cannot loop in the CPU
 *   forever): a misaligned user access with CR0.AM and RFLAGS.AC raises
 *   #AC with error code 0 at the faulting instruction; single-stepping
 *   raises #DB with DR6.BS after the next instruction; ICEBP (INT1) is a
 *   #DB trap with RIP after it.
 * - CPUID faulting (PLATFORM_INFO, MISC_FEATURES_ENABLES): CPUID at CPL 3
 *   is #GP while it is on, at CPL 0 it still works.
 * - RDPMC gives #GP or an idle counter's 0, never another value or #UD;
 *   an invalid counter is #GP. WBINVD completes at CPL 0 and is #GP at
 *   CPL 3. RDPRU is #UD.
 * - MOV to CR4 (intercepted so a guest cannot set what the hypervisor
 *   does not switch): reserved and unsupported bits, PKE and OSXSAVE
 *   without the guest's CPUID bit, clearing PAE in long mode are #GP; a
 *   PGE toggle still flushes global translations. PCIDs where the
 *   supported CPUID has them: CR4.PCIDE, MOV to CR3 with a PCID and the
 *   no-flush bit, INVPCID (skipped where the host has no PCID). INVPCID
 *   and RDTSCP are #UD when the guest's CPUID does not announce them;
 *   RDTSCP where it does gives TSC_AUX as the VMM set it.
 * - The VMM thread's PKRU and XCR0 are the same after guests that try to
 *   change theirs.
 */
#include <string.h>
#include <unistd.h>
#include <cpuid.h>

#include "guest.h"

static int sys_fd;

#define CR0_AM		(1ull << 18)
#define RFLAGS_TF	(1ull << 8)
#define RFLAGS_AC	(1ull << 18)
#define CR0_PE		(1ull << 0)
#define CR0_TS		(1ull << 3)
#define CR0_ET		(1ull << 4)
#define CR0_WP		(1ull << 16)
#define CR0_NW		(1ull << 29)
#define CR0_PG		(1ull << 31)
#define CR4_PSE		(1ull << 4)
#define CR4_PAE		(1ull << 5)
#define CR4_PGE		(1ull << 7)
#define CR4_VMXE	(1ull << 13)
#define CR4_OSXSAVE	(1ull << 18)
#define CR4_PKE		(1ull << 22)
#define DR6_BS		(1ull << 14)

/*
 * Ring 3 for the guest: a 64-bit code and a data segment of DPL 3 in the
 * GDT slot of the last vCPU's TSS (these tests use vCPU 0 only), and the
 * user bit in every page-table entry.
 */
#define USER_GDT_SLOT	(GDT_TSS + 16 * (GUEST_MAX_VCPUS - 1))
#define USER_CS		(USER_GDT_SLOT | 3)
#define USER_DS		((USER_GDT_SLOT + 8) | 3)
#define USER_STACK	0x300000ull	/* in the free area, grows down */
#define AC_DATA		0x200000ull	/* a free page the user code reads */

/* What the last exception handler saw, in the guest's memory. */
static volatile uint64_t g_count, g_vec, g_err, g_rip, g_cs, g_dr6;
/* The kernel stack pointer to come back to from ring 3. */
static volatile uint64_t g_kernel_rsp;

/* Snippets run at CPL 3; each ends in UD2, so "no exception" shows as #UD there. */
extern const char user_misaligned[], user_misaligned_end[];
extern const char user_wbinvd[], user_cpuid[], user_back_in_kernel[];
extern const char icebp_insn[], icebp_after[], step_after[];
__asm__(".pushsection .text\n"
	".globl user_misaligned, user_misaligned_end, user_wbinvd\n"
	"user_misaligned:\n"
	"	movl 0x200001, %eax\n"	/* AC_DATA + 1: misaligned */
	"user_misaligned_end:\n"
	"	ud2\n"
	"user_wbinvd:\n"
	"	wbinvd\n"
	"	ud2\n"
	".globl user_cpuid\n"
	"user_cpuid:\n"
	"	cpuid\n"
	"	ud2\n"
	".popsection\n");

GUEST_CODE static void record(struct guest_frame *f)
{
	uint64_t dr6;

	__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
	g_count++;
	g_vec = f->vector;
	g_err = f->error_code;
	g_rip = f->rip;
	g_cs = f->cs;
	g_dr6 = dr6;
}

/* Trap-like events: record and go on. */
GUEST_CODE static void record_and_resume(struct guest_frame *f)
{
	record(f);
	f->rflags &= ~RFLAGS_TF;
}

/* Faults of a skippable instruction of known length (the host sets it). */
static volatile uint64_t g_skip;

GUEST_CODE static void record_and_skip(struct guest_frame *f)
{
	record(f);
	f->rip += g_skip;
}

/* Anything raised at CPL 3: back to ring 0, after the user entry. */
GUEST_CODE static void record_and_return_to_kernel(struct guest_frame *f)
{
	record(f);
	f->rip = (uint64_t)user_back_in_kernel;
	f->cs = GDT_CODE64;
	f->ss = GDT_DATA;
	f->rsp = g_kernel_rsp;
	f->rflags = 2;
}

/* Run the snippet at @rip in ring 3 with @rflags; returns the vector it raised. */
GUEST_CODE static uint64_t guest_user_call(const void *rip, uint64_t rflags)
{
	__asm__ volatile("mov %%rsp, %[save]\n\t"
			 "sub $128, %%rsp\n\t"	/* keep the red zone */
			 "pushq %[ss]\n\t"
			 "pushq %[usp]\n\t"
			 "pushq %[fl]\n\t"
			 "pushq %[cs]\n\t"
			 "pushq %[ip]\n\t"
			 "iretq\n"
			 ".globl user_back_in_kernel\n"
			 "user_back_in_kernel:\n\t"
			 : [save] "=m"(g_kernel_rsp)
			 : [ss] "i"(USER_DS), [usp] "r"(USER_STACK),
			   [fl] "r"(rflags), [cs] "i"(USER_CS), [ip] "r"(rip)
			 : "rax", "memory", "cc");
	return g_vec;
}

static uint64_t gdt_desc(uint8_t access, uint8_t flags)
{
	return 0xffffull | 0xfull << 48 | (uint64_t)access << 40 |
	       (uint64_t)flags << 52;
}

static void make_ring3_ready(struct gvm *vm)
{
	uint64_t *gdt = gvm_hva(vm, GUEST_GDT_GPA);
	uint64_t *pt = gvm_hva(vm, GUEST_PT_GPA);
	int i;

	gdt[USER_GDT_SLOT / 8] = gdt_desc(0xfb, 0xa);	/* code, DPL 3, L */
	gdt[USER_GDT_SLOT / 8 + 1] = gdt_desc(0xf3, 0xc); /* data, DPL 3 */
	/* PML4, PDPT and the 4 PDs are the 6 pages from GUEST_PT_GPA */
	for (i = 0; i < 6 * 512; i++)
		if (pt[i] & 1)
			pt[i] |= 4;
}

/* A VM whose vCPU 0 calls @fn, with @handler on @vectors. */
struct fixture {
	struct gvm *vm;
	struct gvcpu *v;
};

static int fixture_init(struct fixture *fx, const void *fn,
			guest_handler_t handler, const int *vectors, int n)
{
	int i;

	fx->vm = gvm_create(sys_fd, 0);
	fx->v = fx->vm ? gvcpu_create_long(fx->vm, 0, fn, 0, 0) : NULL;
	if (!fx->v)
		return -1;
	make_ring3_ready(fx->vm);
	for (i = 0; i < n; i++)
		if (gvm_set_handler(fx->vm, vectors[i], handler))
			return -1;
	return 0;
}

static void fixture_fini(struct fixture *fx)
{
	if (fx->v)
		gvcpu_destroy(fx->v);
	if (fx->vm)
		gvm_destroy(fx->vm);
}

/* Run the fixture's guest to DONE; KSFT_PASS or KSFT_FAIL. */
static int run_to_done(const void *fn, guest_handler_t handler,
		       const int *vectors, int n)
{
	struct fixture fx;
	int r = KSFT_FAIL;

	if (!fixture_init(&fx, fn, handler, vectors, n) && !gvcpu_run_done(fx.v))
		r = KSFT_PASS;
	fixture_fini(&fx);
	return r;
}

static const int all_faults[] = { 1, 6, 13, 14, 17 };

/* ------------------------------------------------------------------ #AC */

GUEST_CODE static void guest_ac_user(uint64_t a0, uint64_t a1)
{
	uint64_t cr0, vec;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_AM));
	vec = guest_user_call(user_misaligned, 2 | RFLAGS_AC);
	if (vec == 6 && g_rip == (uint64_t)user_misaligned_end)
		GUEST_SYNC(2, 0);	/* the CPU raised no #AC at all */
	GUEST_ASSERT_EQ(vec, 17);
	GUEST_ASSERT_EQ(g_err, 0);
	GUEST_ASSERT_EQ(g_rip, (uint64_t)user_misaligned);
	GUEST_ASSERT_EQ(g_cs, USER_CS);
	/* without RFLAGS.AC the same access is fine */
	g_count = 0;
	vec = guest_user_call(user_misaligned, 2);
	GUEST_ASSERT_EQ(vec, 6);
	GUEST_ASSERT_EQ(g_rip, (uint64_t)user_misaligned_end);
	GUEST_ASSERT_EQ(g_count, 1);
	GUEST_DONE();
}

static int t_ac_user(void)
{
	struct fixture fx;
	struct ucall uc;
	int r = KSFT_FAIL, cmd;

	if (fixture_init(&fx, guest_ac_user, record_and_return_to_kernel,
			 all_faults, 5))
		goto out;
	cmd = gvcpu_run_ucall(fx.v, &uc);
	if (cmd == UCALL_SYNC && uc.args[0] == 2) {
		ksft_diag("the CPU raises no #AC for a misaligned CPL-3 load "
			  "(QEMU's TCG does not model alignment checks)");
		r = KSFT_SKIP;
	} else if (cmd == UCALL_DONE) {
		r = KSFT_PASS;
	}
out:
	fixture_fini(&fx);
	return r;
}

/* ------------------------------------------------------------------ #DB */

GUEST_CODE static void guest_single_step(uint64_t a0, uint64_t a1)
{
	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "nop\n"
			 ".globl step_after\n"
			 "step_after:\n\t"
			 : : : "memory", "cc");
	GUEST_ASSERT_EQ(g_count, 1);
	GUEST_ASSERT_EQ(g_vec, 1);
	GUEST_ASSERT_EQ(g_rip, (uint64_t)step_after);
	GUEST_ASSERT(g_dr6 & DR6_BS);
	GUEST_DONE();
}

static int t_db_single_step(void)
{
	return run_to_done(guest_single_step, record_and_resume, all_faults, 5);
}

GUEST_CODE static void guest_icebp(uint64_t a0, uint64_t a1)
{
	__asm__ volatile(".globl icebp_insn, icebp_after\n"
			 "icebp_insn: .byte 0xf1\n"
			 "icebp_after:\n\t"
			 : : : "memory");
	GUEST_ASSERT_EQ(g_count, 1);
	GUEST_ASSERT_EQ(g_vec, 1);
	GUEST_ASSERT_EQ(g_rip, (uint64_t)icebp_after);
	GUEST_ASSERT(!(g_dr6 & DR6_BS));
	GUEST_DONE();
}

/* QEMU's TCG, the test machine's CPU, re-executes ICEBP forever. */
static bool cpu_is_qemu_tcg(void)
{
	char line[256];
	bool qemu = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !qemu && fgets(line, sizeof(line), f))
		qemu = !strncmp(line, "model name", 10) && strstr(line, "QEMU");
	if (f)
		fclose(f);
	return qemu;
}

static int t_icebp(void)
{
	SKIP_IF(cpu_is_qemu_tcg(),
		"QEMU's TCG loops on ICEBP (to an external debugger) instead of raising #DB");
	return run_to_done(guest_icebp, record_and_resume, all_faults, 5);
}

/* ------------------------------------------------------- CPUID faulting */

#define MSR_PLATFORM_INFO		0xce
#define MSR_MISC_FEATURES_ENABLES	0x140
#define CPUID_FAULT_SUPPORTED		(1ull << 31)

GUEST_CODE static uint64_t guest_rdmsr(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

GUEST_CODE static void guest_wrmsr(uint32_t index, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(index), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)) : "memory");
}

/*
 * PLATFORM_INFO says CPUID faulting is there (stock KVM and khv both);
 * with MISC_FEATURES_ENABLES bit 0, CPUID at CPL 3 is #GP and at CPL 0
 * still works; with it clear again, CPUID at CPL 3 completes (the UD2
 * after it is what faults).
 */
GUEST_CODE static void guest_cpuid_fault_test(uint64_t a0, uint64_t a1)
{
	uint32_t eax = 0, ebx, ecx = 0, edx;
	uint64_t vec;

	GUEST_ASSERT(guest_rdmsr(MSR_PLATFORM_INFO) & CPUID_FAULT_SUPPORTED);
	guest_wrmsr(MSR_MISC_FEATURES_ENABLES, 1);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_MISC_FEATURES_ENABLES), 1);
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	GUEST_ASSERT_EQ(g_count, 0);
	vec = guest_user_call(user_cpuid, 2);
	GUEST_ASSERT_EQ(vec, 13);
	GUEST_ASSERT_EQ(g_rip, (uint64_t)user_cpuid);
	guest_wrmsr(MSR_MISC_FEATURES_ENABLES, 0);
	vec = guest_user_call(user_cpuid, 2);
	GUEST_ASSERT_EQ(vec, 6);
	GUEST_ASSERT_EQ(g_rip, (uint64_t)user_cpuid + 2);
	GUEST_DONE();
}

static int t_cpuid_faulting(void)
{
	return run_to_done(guest_cpuid_fault_test, record_and_return_to_kernel,
			   all_faults, 5);
}

/* --------------------------------------------------- RDPMC WBINVD RDPRU */

/* RDPMC(@ecx): the value, or ~0 with g_vec set if it faulted. */
GUEST_CODE static uint64_t guest_rdpmc(uint32_t ecx)
{
	uint32_t lo = 0, hi = 0;
	uint64_t before = g_count;

	g_skip = 2;
	__asm__ volatile("rdpmc" : "+a"(lo), "+d"(hi) : "c"(ecx));
	if (g_count != before)
		return ~0ull;
	return (uint64_t)hi << 32 | lo;
}

GUEST_CODE static void guest_rdpmc_test(uint64_t a0, uint64_t a1)
{
	uint64_t v = guest_rdpmc(0);

	/* an idle counter of a virtual PMU reads 0; no PMU: #GP */
	if (v == ~0ull)
		GUEST_ASSERT_EQ(g_vec, 13);
	else
		GUEST_ASSERT_EQ(v, 0);
	g_vec = 0;
	GUEST_ASSERT_EQ(guest_rdpmc(0x12345), ~0ull);
	GUEST_ASSERT_EQ(g_vec, 13);
	GUEST_DONE();
}

static int t_rdpmc(void)
{
	return run_to_done(guest_rdpmc_test, record_and_skip, all_faults, 5);
}

GUEST_CODE static void guest_wbinvd_test(uint64_t a0, uint64_t a1)
{
	uint64_t vec;

	__asm__ volatile("wbinvd" : : : "memory");
	GUEST_ASSERT_EQ(g_count, 0);
	vec = guest_user_call(user_wbinvd, 2);
	GUEST_ASSERT_EQ(vec, 13);
	GUEST_ASSERT_EQ(g_rip, (uint64_t)user_wbinvd);
	GUEST_DONE();
}

static int t_wbinvd(void)
{
	return run_to_done(guest_wbinvd_test, record_and_return_to_kernel,
			   all_faults, 5);
}

GUEST_CODE static void guest_rdpru_test(uint64_t a0, uint64_t a1)
{
	g_skip = 3;
	__asm__ volatile(".byte 0x0f, 0x01, 0xfd"	/* RDPRU */
			 : : "c"(0) : "rax", "rdx", "memory");
	GUEST_ASSERT_EQ(g_count, 1);
	GUEST_ASSERT_EQ(g_vec, 6);
	GUEST_DONE();
}

static int t_rdpru(void)
{
	return run_to_done(guest_rdpru_test, record_and_skip, all_faults, 5);
}

/* ----------------------------------------------------------------- CR4 */

/* MOV from CR@n. */
#define GUEST_READ_CR(n) ({						\
	uint64_t __v;							\
									\
	__asm__ volatile("mov %%cr" #n ", %0" : "=r"(__v));		\
	__v;								\
})

/* MOV to CR@n from RAX (0f 22 /r, ModRM 0xc0 | n << 3); false on #GP. */
#define GUEST_WRITE_CR(n, val) ({					\
	uint64_t __before = g_count;					\
									\
	g_skip = 3;							\
	g_vec = 0;							\
	__asm__ volatile(".byte 0x0f, 0x22, %c1"			\
			 : : "a"(val), "i"(0xc0 | (n) << 3) : "memory");	\
	guest_mov_cr_took(__before);					\
})

GUEST_CODE static uint64_t guest_read_cr4(void)
{
	return GUEST_READ_CR(4);
}

/*
 * MOV to a CR, a 3-byte instruction here: the handler skips it if it
 * faults. True if it took (no fault since @before), false on #GP.
 */
GUEST_CODE static bool guest_mov_cr_took(uint64_t before)
{
	if (g_count == before)
		return true;
	GUEST_ASSERT_EQ(g_vec, 13);
	return false;
}

GUEST_CODE static bool guest_write_cr4(uint64_t val)
{
	return GUEST_WRITE_CR(4, val);
}

GUEST_CODE static bool guest_cpuid_bit(uint32_t leaf, int reg, int bit)
{
	uint32_t r[4];

	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
	return r[reg] >> bit & 1;
}

GUEST_CODE static void guest_cr4_checks(uint64_t a0, uint64_t a1)
{
	uint64_t cr4 = guest_read_cr4();
	bool pku = guest_cpuid_bit(7, 2, 3), xsave = guest_cpuid_bit(1, 2, 26);
	/* VMX in the guest's CPUID: stock kvm_intel offers nested VMX */
	bool vmx = guest_cpuid_bit(1, 2, 5);

	GUEST_ASSERT(!guest_write_cr4(cr4 | (1ull << 15)));	/* reserved */
	GUEST_ASSERT_EQ(guest_write_cr4(cr4 | CR4_VMXE), vmx);
	GUEST_ASSERT(guest_write_cr4(cr4));
	GUEST_ASSERT(!guest_write_cr4(cr4 & ~CR4_PAE));	/* long mode */
	GUEST_ASSERT_EQ(guest_write_cr4(cr4 | CR4_PKE), pku);
	GUEST_ASSERT_EQ(guest_read_cr4() & CR4_PKE, pku ? CR4_PKE : 0);
	GUEST_ASSERT(guest_write_cr4(cr4));
	GUEST_ASSERT_EQ(guest_write_cr4(cr4 | CR4_OSXSAVE), xsave);
	GUEST_ASSERT_EQ(guest_read_cr4() & CR4_OSXSAVE, xsave ? CR4_OSXSAVE : 0);
	GUEST_ASSERT(guest_write_cr4(cr4));
	GUEST_ASSERT_EQ(guest_read_cr4(), cr4);
	GUEST_DONE();
}

static int t_cr4_checks(void)
{
	return run_to_done(guest_cr4_checks, record_and_skip, all_faults, 5);
}

/* ---------------------------------------------------------- PCID */

#define CR4_PCIDE	(1ull << 17)
#define CR3_NOFLUSH	(1ull << 63)

GUEST_CODE static uint64_t guest_read_cr3(void)
{
	return GUEST_READ_CR(3);
}

GUEST_CODE static bool guest_write_cr3(uint64_t val)
{
	return GUEST_WRITE_CR(3, val);
}

/* INVPCID of @type with the descriptor (@pcid, @addr): the vector it raised, or 0. */
GUEST_CODE static uint64_t guest_invpcid(uint64_t type, uint64_t pcid, uint64_t addr)
{
	volatile uint64_t desc[2] = { pcid, addr };
	uint64_t before = g_count;

	g_skip = 5;
	g_vec = 0;
	__asm__ volatile(".byte 0x66, 0x0f, 0x38, 0x82, 0x08"	/* invpcid (%rax), %rcx */
			 : : "a"(desc), "c"(type) : "memory");
	return g_count == before ? 0 : g_vec;
}

/*
 * PCIDs where the guest's CPUID has them (SDM vol. 3, 4.10.1): CR4.PCIDE
 * only with CR3[11:0] clear, a PCID and the no-flush bit in MOV to CR3
 * (which does not keep bit 63), memory through the new PCID, INVPCID's
 * four types and its #GP cases. Without PCID, CR4.PCIDE is #GP.
 */
GUEST_CODE static void guest_pcid(uint64_t a0, uint64_t a1)
{
	uint64_t cr4 = guest_read_cr4(), cr3 = guest_read_cr3();
	volatile uint64_t *probe = (volatile uint64_t *)AC_DATA;

	if (!guest_cpuid_bit(1, 2, 17)) {
		GUEST_ASSERT(!guest_write_cr4(cr4 | CR4_PCIDE));
		GUEST_SYNC(1, 0);
		GUEST_DONE();
	}
	GUEST_ASSERT_EQ(cr3 & 0xfff, 0);
	GUEST_ASSERT(guest_write_cr3(cr3 | 0x8));	/* PWT: CR3[11:0] not clear */
	GUEST_ASSERT(!guest_write_cr4(cr4 | CR4_PCIDE));
	GUEST_ASSERT(guest_write_cr3(cr3));
	GUEST_ASSERT(guest_write_cr4(cr4 | CR4_PCIDE));
	GUEST_ASSERT_EQ(guest_read_cr4(), cr4 | CR4_PCIDE);
	GUEST_ASSERT(guest_write_cr3(cr3 | 5 | CR3_NOFLUSH));
	GUEST_ASSERT_EQ(guest_read_cr3(), cr3 | 5);
	*probe = 0x1234;
	GUEST_ASSERT(guest_write_cr3(cr3 | 6));
	GUEST_ASSERT_EQ(*probe, 0x1234);
	if (guest_cpuid_bit(7, 1, 10)) {
		GUEST_ASSERT_EQ(guest_invpcid(0, 6, AC_DATA), 0);	/* one address */
		GUEST_ASSERT_EQ(guest_invpcid(1, 5, 0), 0);		/* one PCID */
		GUEST_ASSERT_EQ(guest_invpcid(2, 0, 0), 0);		/* all, with global */
		GUEST_ASSERT_EQ(guest_invpcid(3, 0, 0), 0);		/* all but global */
		GUEST_ASSERT_EQ(guest_invpcid(4, 0, 0), 13);		/* no such type */
		GUEST_ASSERT_EQ(guest_invpcid(1, 1ull << 12, 0), 13);	/* not a PCID */
		GUEST_ASSERT_EQ(guest_invpcid(0, 6, 1ull << 62), 13);	/* non-canonical */
		GUEST_ASSERT_EQ(*probe, 0x1234);
	}
	GUEST_ASSERT(guest_write_cr3(cr3));
	GUEST_ASSERT(guest_write_cr4(cr4));
	GUEST_ASSERT_EQ(guest_read_cr4(), cr4);
	GUEST_ASSERT_EQ(*probe, 0x1234);
	GUEST_SYNC(1, 1);
	GUEST_DONE();
}

static int t_pcid(void)
{
	struct fixture fx;
	uint64_t has = 0;
	int r = KSFT_FAIL;

	if (!fixture_init(&fx, guest_pcid, record_and_skip, all_faults, 5) &&
	    !gvcpu_run_sync(fx.v, 1, &has) && !gvcpu_run_done(fx.v))
		r = has ? KSFT_PASS : KSFT_SKIP;
	if (r == KSFT_SKIP)
		ksft_diag("no PCID in the supported CPUID (CR4.PCIDE was #GP, as it must be)");
	fixture_fini(&fx);
	return r;
}

/* RDTSCP: the vector it raised, or 0 with *@aux its ECX (TSC_AUX). */
GUEST_CODE static uint64_t guest_rdtscp(uint64_t *aux)
{
	uint64_t before = g_count;
	uint32_t lo, hi, c = 0xdead;

	g_skip = 3;
	g_vec = 0;
	__asm__ volatile(".byte 0x0f, 0x01, 0xf9"	/* rdtscp */
			 : "=a"(lo), "=d"(hi), "+c"(c) : : "memory");
	*aux = c;
	return g_count == before ? 0 : g_vec;
}

/*
 * INVPCID and RDTSCP with the guest's CPUID not announcing them: #UD, as
 * KVM (intercepts on SVM, their execution controls left off on VMX),
 * even where the CPU has them; INVPCID must not reach the TLB.
 */
GUEST_CODE static void guest_insns_ud(uint64_t a0, uint64_t a1)
{
	uint64_t aux;

	GUEST_ASSERT(!guest_cpuid_bit(7, 1, 10));
	GUEST_ASSERT(!guest_cpuid_bit(0x80000001, 3, 27));
	GUEST_ASSERT_EQ(guest_invpcid(2, 0, 0), 6);
	GUEST_ASSERT_EQ(guest_invpcid(4, 0, 0), 6);	/* #UD before the type's #GP */
	GUEST_ASSERT_EQ(guest_rdtscp(&aux), 6);
	GUEST_DONE();
}

static int t_insns_need_cpuid(void)
{
	struct kvm_cpuid_entry2 *e;
	struct fixture fx = { 0 };
	int r = KSFT_FAIL, i;

	fx.vm = gvm_create(sys_fd, 0);
	CHECK(fx.vm, "VM");
	e = cpuid_entry(fx.vm->cpuid, 7, 0);
	if (e)
		e->ebx &= ~(1u << 10);
	e = cpuid_entry(fx.vm->cpuid, 0x80000001, 0);
	if (e)
		e->edx &= ~(1u << 27);
	fx.v = gvcpu_create_long(fx.vm, 0, guest_insns_ud, 0, 0);
	if (!fx.v)
		goto out;
	for (i = 0; i < 5; i++)
		if (gvm_set_handler(fx.vm, all_faults[i], record_and_skip))
			goto out;
	if (!gvcpu_run_done(fx.v))
		r = KSFT_PASS;
out:
	fixture_fini(&fx);
	return r;
}

/*
 * RDTSCP where the supported CPUID has it: no fault, and ECX is TSC_AUX
 * as the VMM set it (rdtscp_aux_want; ~0: the hypervisor refused the
 * VMM's TSC_AUX, as stock KVM and khv both do in the Bochs machine).
 */
static volatile uint64_t rdtscp_aux_want;

GUEST_CODE static void guest_rdtscp_aux(uint64_t a0, uint64_t a1)
{
	uint64_t aux = 0;

	if (!guest_cpuid_bit(0x80000001, 3, 27)) {
		GUEST_SYNC(1, 0);
		GUEST_DONE();
	}
	GUEST_ASSERT_EQ(guest_rdtscp(&aux), 0);
	if (rdtscp_aux_want != ~0ull)
		GUEST_ASSERT_EQ(aux, rdtscp_aux_want);
	GUEST_SYNC(1, 1);
	GUEST_DONE();
}

static int t_rdtscp(void)
{
	struct fixture fx;
	uint64_t has = 0;
	int r = KSFT_FAIL;

	if (!fixture_init(&fx, guest_rdtscp_aux, record_and_skip, all_faults, 5)) {
		struct kvm_cpuid_entry2 *e = cpuid_entry(fx.vm->cpuid, 0x80000001, 0);
		bool rdtscp = e && (e->edx & (1u << 27));

		*GVM_VAR(fx.vm, rdtscp_aux_want) = 0x5a5a;
		if (rdtscp && gvcpu_set_msr(fx.v, 0xc0000103, 0x5a5a)) {
			ksft_diag("KVM_SET_MSRS refuses TSC_AUX here: ECX not checked");
			*GVM_VAR(fx.vm, rdtscp_aux_want) = ~0ull;
		}
		if (!gvcpu_run_sync(fx.v, 1, &has) && !gvcpu_run_done(fx.v))
			r = has ? KSFT_PASS : KSFT_SKIP;
	}
	if (r == KSFT_SKIP)
		ksft_diag("no RDTSCP in the supported CPUID");
	fixture_fini(&fx);
	return r;
}

/* ----------------------------------------------------------------- CR0 */

GUEST_CODE static uint64_t guest_read_cr0(void)
{
	return GUEST_READ_CR(0);
}

GUEST_CODE static bool guest_write_cr0(uint64_t val)
{
	return GUEST_WRITE_CR(0, val);
}

/*
 * CR0 loads that take (on VMX, where CR0 writes exit, the hypervisor
 * carries them out): ET reads 1 whatever was written; TS and WP change;
 * CLTS clears TS; LMSW sets TS but cannot clear PE.
 */
GUEST_CODE static void guest_cr0_checks(uint64_t a0, uint64_t a1)
{
	uint64_t cr0 = guest_read_cr0();

	GUEST_ASSERT(guest_write_cr0(cr0 & ~CR0_ET));
	GUEST_ASSERT_EQ(guest_read_cr0(), cr0);
	GUEST_ASSERT(guest_write_cr0(cr0 | CR0_TS));
	GUEST_ASSERT_EQ(guest_read_cr0(), cr0 | CR0_TS);
	__asm__ volatile("clts" ::: "memory");
	GUEST_ASSERT_EQ(guest_read_cr0(), cr0 & ~CR0_TS);
	GUEST_ASSERT(guest_write_cr0(cr0 ^ CR0_WP));
	GUEST_ASSERT_EQ(guest_read_cr0(), cr0 ^ CR0_WP);
	GUEST_ASSERT(guest_write_cr0(cr0));
	/* LMSW: the low four bits; PE stays set */
	__asm__ volatile("lmsw %0" : : "r"((uint16_t)((cr0 & ~CR0_PE) | CR0_TS))
			 : "memory");
	GUEST_ASSERT_EQ(guest_read_cr0(), cr0 | CR0_TS);
	GUEST_ASSERT(guest_write_cr0(cr0));
	GUEST_ASSERT_EQ(guest_read_cr0(), cr0);
	GUEST_DONE();
}

/*
 * CR0 loads that are #GP: paging off in 64-bit code, NW without CD, PG
 * without PE; CR0 stays as it was. (Bits 63:32 are #GP too, but the QEMU
 * test machine's SVM lets them through even to stock KVM.)
 */
GUEST_CODE static void guest_cr0_invalid(uint64_t a0, uint64_t a1)
{
	uint64_t cr0 = guest_read_cr0();

	GUEST_ASSERT(!guest_write_cr0(cr0 & ~CR0_PG));
	GUEST_ASSERT(!guest_write_cr0(cr0 | CR0_NW));		/* CD is clear */
	GUEST_ASSERT(!guest_write_cr0(cr0 & ~CR0_PE));		/* PG without PE */
	GUEST_ASSERT_EQ(guest_read_cr0(), cr0);
	GUEST_DONE();
}

/*
 * Real CPUs make these checks themselves; the QEMU test machine's SVM does
 * not, so there the hypervisor's selective CR0 write intercept (stock
 * KVM's and khv's) raises the #GP. On VMX khv checks every CR0 write.
 */
static int t_cr0_invalid(void)
{
	return run_to_done(guest_cr0_invalid, record_and_skip, all_faults, 5);
}

static int t_cr0_checks(void)
{
	return run_to_done(guest_cr0_checks, record_and_skip, all_faults, 5);
}

/*
 * Two 2 MiB regions of RAM with different contents; the guest maps the
 * virtual address of the first to the second with a global entry, and
 * only a flush of global translations (a CR4.PGE toggle) makes it seen.
 */
#define REGION_A	0x1000000ull
#define REGION_B	0x1200000ull

GUEST_CODE static void guest_pge_toggle(uint64_t a0, uint64_t a1)
{
	volatile uint64_t *va = (volatile uint64_t *)REGION_A;
	uint64_t *pd0 = (uint64_t *)(GUEST_PT_GPA + 0x2000);
	uint64_t cr4 = guest_read_cr4(), pde = pd0[REGION_A >> 21];

	*(volatile uint64_t *)REGION_A = 0xaaaa;
	*(volatile uint64_t *)REGION_B = 0xbbbb;
	GUEST_ASSERT(guest_write_cr4(cr4 | CR4_PGE));
	pd0[REGION_A >> 21] = pde | (1ull << 8);	/* global */
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	GUEST_ASSERT_EQ(*va, 0xaaaa);			/* now in the TLB */
	pd0[REGION_A >> 21] = REGION_B | (pde & 0xfff) | (1ull << 8);
	GUEST_ASSERT(guest_write_cr4(cr4));		/* PGE off: flushes */
	GUEST_ASSERT_EQ(*va, 0xbbbb);
	pd0[REGION_A >> 21] = pde;
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	GUEST_ASSERT_EQ(*va, 0xaaaa);
	GUEST_DONE();
}

static int t_cr4_pge_toggle_flushes(void)
{
	return run_to_done(guest_pge_toggle, record_and_skip, all_faults, 5);
}

/* ------------------------------------------------- the VMM's PKRU, XCR0 */

static bool host_has(uint32_t leaf, int reg, int bit)
{
	unsigned int r[4] = { 0 };

	__cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]);
	return r[reg] >> bit & 1;
}

static uint32_t host_rdpkru(void)
{
	uint32_t pkru, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

static void host_wrpkru(uint32_t pkru)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(pkru), "c"(0), "d"(0));
}

static uint64_t host_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/*
 * The guest sets what it may of CR4.PKE and OSXSAVE, writes PKRU (all
 * keys access-disabled but key 0) and XCR0 (x87 only) where it could, and
 * reports; the host's values must not have moved.
 */
GUEST_CODE static void guest_touch_pkru_xcr0(uint64_t a0, uint64_t a1)
{
	uint64_t cr4 = guest_read_cr4();

	if (guest_write_cr4(cr4 | CR4_PKE))
		__asm__ volatile(".byte 0x0f, 0x01, 0xef"	/* WRPKRU */
				 : : "a"(0x55555554), "c"(0), "d"(0));
	if (guest_write_cr4(guest_read_cr4() | CR4_OSXSAVE))
		__asm__ volatile("xsetbv" : : "a"(1), "c"(0), "d"(0));
	GUEST_SYNC(1, 0);
	GUEST_DONE();
}

static int t_vmm_pkru_xcr0_unchanged(void)
{
	bool pke = host_has(7, 2, 4), osxsave = host_has(1, 2, 27);
	uint64_t xcr0 = osxsave ? host_xcr0() : 0;
	uint32_t pkru = 0x5555554c;	/* some keys write-disabled */
	uint32_t orig = pke ? host_rdpkru() : 0;
	struct fixture fx;
	int r = KSFT_FAIL;

	SKIP_IF(!pke && !osxsave, "the host has neither PKU (OSPKE) nor XSAVE (OSXSAVE)");
	if (pke)
		host_wrpkru(pkru);
	if (fixture_init(&fx, guest_touch_pkru_xcr0, record_and_skip, all_faults, 5) ||
	    gvcpu_run_sync(fx.v, 1, NULL))
		goto out;
	if (pke && host_rdpkru() != pkru) {
		ksft_diag("PKRU %#x after the exit, %#x before", host_rdpkru(), pkru);
		goto out;
	}
	if (osxsave && host_xcr0() != xcr0) {
		ksft_diag("XCR0 %#llx after the exit, %#llx before",
			  (unsigned long long)host_xcr0(), (unsigned long long)xcr0);
		goto out;
	}
	if (!gvcpu_run_done(fx.v))
		r = KSFT_PASS;
out:
	if (pke)
		host_wrpkru(orig);
	fixture_fini(&fx);
	return r;
}

static const struct ksft_case cases[] = {
	{ "ac_user", t_ac_user },
	{ "db_single_step", t_db_single_step },
	{ "icebp", t_icebp },
	{ "rdpmc", t_rdpmc },
	{ "wbinvd", t_wbinvd },
	{ "cpuid_faulting", t_cpuid_faulting },
	{ "rdpru", t_rdpru },
	{ "cr4_checks", t_cr4_checks },
	{ "pcid", t_pcid },
	{ "insns_need_cpuid", t_insns_need_cpuid },
	{ "rdtscp", t_rdtscp },
	{ "cr0_checks", t_cr0_checks },
	{ "cr0_invalid", t_cr0_invalid },
	{ "cr4_pge_toggle_flushes", t_cr4_pge_toggle_flushes },
	{ "vmm_pkru_xcr0_unchanged", t_vmm_pkru_xcr0_unchanged },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
