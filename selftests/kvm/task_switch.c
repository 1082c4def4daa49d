// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches in a 32-bit protected-mode guest: a far JMP to a
 * TSS and back, a far CALL to a TSS answered by IRET (NT and the back
 * link), INT n through a task gate, and a #GP through a task gate, whose
 * error code the new task finds on its stack. Checked: registers and
 * EFLAGS.NT as each task sees them, TR, the back link, the busy bits and
 * the EIP saved in the TSS. Stock KVM emulates task switches on AMD and
 * Intel; khv leaves them to the CPU on SVM and emulates them on VMX,
 * where every task switch exits.
 */
#include <string.h>

#include "guest.h"

static int sys_fd;

#define STR(x)	#x
#define XSTR(x)	STR(x)

/* Guest physical = linear (no paging) */
#define TS_GDT		0x10000
#define TS_TSS_A	0x11000
#define TS_TSS_B	0x11100
#define TS_TSS_C	0x11200
#define TS_TSS_D	0x11300
#define TS_IDT		0x12000
#define TS_CODE		0x13000
#define TS_STACK_B	0x15000
#define TS_STACK_C	0x16000
#define TS_STACK_D	0x17000
#define TS_FLAG		0x18000		/* nonzero: A ends with a #GP */

/* Selectors: the library's flat data and code at their usual places */
#define SEL_DATA	GDT_DATA	/* 0x10 */
#define SEL_CODE	GDT_CODE32	/* 0x18 */
#define SEL_A		0x20
#define SEL_B		0x28
#define SEL_C		0x30
#define SEL_D		0x38
#define TS_GDT_LIMIT	0x3f

#define VEC_GATE	0x80

extern const uint8_t ts_code[], ts_code_end[], ts_a_after_int[], ts_b_start[],
	ts_c_start[], ts_c_after_iret[], ts_d_start[], ts_a_fault[];

__asm__(
	".pushsection .rodata\n"
	".code32\n"
	"ts_code:\n"
	"	mov $0xa1, %eax\n"
	"	mov $0x5a5a5a5a, %esi\n"
	"	ljmp $" XSTR(SEL_B) ", $0\n"
	"	out %eax, $0x21\n"		/* back from B's JMP: 0xa1 */
	"	mov %esi, %eax\n"
	"	out %eax, $0x22\n"
	"	lcall $" XSTR(SEL_B) ", $0\n"
	"	out %eax, $0x25\n"		/* back from B's IRET */
	"	pushf\n"
	"	pop %eax\n"
	"	out %eax, $0x26\n"		/* NT clear again */
	"	int $" XSTR(VEC_GATE) "\n"
	"ts_a_after_int:\n"
	"	out %eax, $0x28\n"		/* as before the INT */
	"	str %ax\n"
	"	out %ax, $0x29\n"
	"	cmpl $0, (" XSTR(TS_FLAG) ")\n"
	"	jz 1f\n"
	"ts_a_fault:\n"
	"	mov $0x1233, %ax\n"
	"	mov %ax, %ds\n"			/* #GP(0x1230): task gate to D */
	"1:	hlt\n"

	"ts_b_start:\n"
	"	str %ax\n"
	"	out %ax, $0x23\n"
	"	pushf\n"
	"	pop %eax\n"
	"	out %eax, $0x24\n"		/* a JMP sets no NT */
	"	mov $0xb2, %eax\n"
	"	ljmp $" XSTR(SEL_A) ", $0\n"
	"	pushf\n"			/* entered again by the CALL */
	"	pop %eax\n"
	"	out %eax, $0x27\n"		/* NT set */
	"	mov (" XSTR(TS_TSS_B) "), %eax\n"
	"	out %eax, $0x2a\n"		/* back link: A */
	"	iret\n"
	"	hlt\n"

	"ts_c_start:\n"
	"	str %ax\n"
	"	out %ax, $0x2b\n"
	"	pushf\n"
	"	pop %eax\n"
	"	out %eax, $0x2c\n"
	"	iret\n"
	"ts_c_after_iret:\n"
	"	hlt\n"

	"ts_d_start:\n"
	"	pop %eax\n"			/* the #GP's error code */
	"	out %eax, $0x2d\n"
	"	mov %esp, %eax\n"
	"	out %eax, $0x2e\n"
	"	hlt\n"
	"ts_code_end:\n"
	".code64\n"
	".popsection\n");

#define ALL 0xffffffffu

struct out_step {
	uint16_t port;
	uint8_t size;
	uint32_t value;
	uint32_t mask;
};

static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access,
		     uint8_t flags)
{
	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)(limit >> 16 & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static uint32_t code_addr(const uint8_t *label)
{
	return TS_CODE + (uint32_t)(label - ts_code);
}

/* A new task: flat segments, interrupts off, its own stack. */
static void init_tss(struct gvm *vm, uint64_t gpa, const uint8_t *entry,
		     uint32_t esp)
{
	uint32_t *t = gvm_hva(vm, gpa);

	memset(t, 0, 0x68);
	t[8] = code_addr(entry);		/* EIP */
	t[9] = 0x2;				/* EFLAGS */
	t[14] = esp;				/* ESP */
	t[18] = SEL_DATA;			/* ES */
	t[19] = SEL_CODE;			/* CS */
	t[20] = SEL_DATA;			/* SS */
	t[21] = SEL_DATA;			/* DS */
	t[22] = SEL_DATA;			/* FS */
	t[23] = SEL_DATA;			/* GS */
	t[25] = 0x68 << 16;			/* no I/O bitmap */
}

static int run_outs(struct gvcpu *v, const struct out_step *steps, int n)
{
	struct kvm_run *run = v->run;
	uint32_t got;
	int i;

	for (i = 0; i < n; i++) {
		CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "OUT %d (port %#x)", i,
		      steps[i].port);
		CHECK(run->io.direction == KVM_EXIT_IO_OUT &&
		      run->io.port == steps[i].port &&
		      run->io.size == steps[i].size && run->io.count == 1,
		      "OUT %d: port %#x size %u, want port %#x", i, run->io.port,
		      run->io.size, steps[i].port);
		got = 0;
		memcpy(&got, gvcpu_io_data(v), run->io.size);
		CHECK((got & steps[i].mask) == steps[i].value,
		      "OUT %d to %#x: %#x, want %#x (mask %#x)", i,
		      steps[i].port, got, steps[i].value, steps[i].mask);
	}
	return KSFT_PASS;
}

static int run_tasks(bool fault)
{
	static const struct out_step steps[] = {
		{ 0x23, 2, SEL_B, ALL },		/* B, after A's JMP */
		{ 0x24, 4, 0, 0x4000 },			/* NT clear */
		{ 0x21, 4, 0xa1, ALL },			/* A, after B's JMP */
		{ 0x22, 4, 0x5a5a5a5a, ALL },
		{ 0x27, 4, 0x4000, 0x4000 },		/* B, called: NT set */
		{ 0x2a, 4, SEL_A, 0xffff },		/* its back link */
		{ 0x25, 4, 0x5a5a5a5a, ALL },		/* A, after B's IRET */
		{ 0x26, 4, 0, 0x4000 },			/* NT clear */
		{ 0x2b, 2, SEL_C, ALL },		/* C, from INT 0x80 */
		{ 0x2c, 4, 0x4000, 0x4000 },		/* NT set */
		{ 0x28, 4, 0x2, 0x4002 },		/* A: EAX as before INT */
		{ 0x29, 2, SEL_A, ALL },		/* TR */
		{ 0x2d, 4, 0x1230, ALL },		/* D: the #GP's code */
		{ 0x2e, 4, TS_STACK_D, ALL },		/* ... popped */
	};
#define NSTEPS	(int)(sizeof(steps) / sizeof(steps[0]))
	struct gvm *vm = gvm_create(sys_fd, 0);
	uint64_t *gdt, *idt;
	struct kvm_sregs sr;
	struct gvcpu *v;
	uint32_t *tss;

	CHECK(vm, "VM");
	v = gvcpu_create_pm32(vm, 0, TS_CODE, ts_code, ts_code_end - ts_code);
	CHECK(v, "vCPU");
	gdt = gvm_hva(vm, TS_GDT);
	memset(gdt, 0, TS_GDT_LIMIT + 1);
	gdt[SEL_DATA / 8] = desc(0, 0xfffff, 0x93, 0xc);
	gdt[SEL_CODE / 8] = desc(0, 0xfffff, 0x9b, 0xc);
	gdt[SEL_A / 8] = desc(TS_TSS_A, 0x67, 0x8b, 0);	/* busy: running */
	gdt[SEL_B / 8] = desc(TS_TSS_B, 0x67, 0x89, 0);
	gdt[SEL_C / 8] = desc(TS_TSS_C, 0x67, 0x89, 0);
	gdt[SEL_D / 8] = desc(TS_TSS_D, 0x67, 0x89, 0);
	memset(gvm_hva(vm, TS_TSS_A), 0, 0x68);
	init_tss(vm, TS_TSS_B, ts_b_start, TS_STACK_B);
	init_tss(vm, TS_TSS_C, ts_c_start, TS_STACK_C);
	init_tss(vm, TS_TSS_D, ts_d_start, TS_STACK_D);
	idt = gvm_hva(vm, TS_IDT);
	memset(idt, 0, 256 * 8);
	idt[VEC_GATE] = (uint64_t)SEL_C << 16 | (uint64_t)0x85 << 40;
	idt[13] = (uint64_t)SEL_D << 16 | (uint64_t)0x85 << 40;

	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	sr.gdt.base = TS_GDT;
	sr.gdt.limit = TS_GDT_LIMIT;
	sr.idt.base = TS_IDT;
	sr.idt.limit = 256 * 8 - 1;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = SEL_A;
	sr.tr.base = TS_TSS_A;
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	CHECK(!gvcpu_set_sregs(v, &sr), "KVM_SET_SREGS");

	*(uint32_t *)gvm_hva(vm, TS_FLAG) = fault;
	CHECK(run_outs(v, steps, fault ? NSTEPS : NSTEPS - 2) == KSFT_PASS,
	      "the tasks' reports");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_HLT), "HLT in %s", fault ? "D" : "A");

	/* busy: A, and D when its gate was taken; available: B, C */
	CHECK((gdt[SEL_A / 8] >> 40 & 0xf) == 0xb, "A's type %#llx",
	      (unsigned long long)(gdt[SEL_A / 8] >> 40 & 0xf));
	CHECK((gdt[SEL_B / 8] >> 40 & 0xf) == 0x9, "B's type %#llx",
	      (unsigned long long)(gdt[SEL_B / 8] >> 40 & 0xf));
	CHECK((gdt[SEL_C / 8] >> 40 & 0xf) == 0x9, "C's type %#llx",
	      (unsigned long long)(gdt[SEL_C / 8] >> 40 & 0xf));
	CHECK((gdt[SEL_D / 8] >> 40 & 0xf) == (fault ? 0xb : 0x9),
	      "D's type %#llx", (unsigned long long)(gdt[SEL_D / 8] >> 40 & 0xf));
	tss = gvm_hva(vm, TS_TSS_A);
	if (fault) {
		/* a fault saves the faulting instruction's EIP */
		CHECK(tss[8] == code_addr(ts_a_fault) + 4,
		      "A's saved EIP %#x, want the MOV to DS at %#x", tss[8],
		      code_addr(ts_a_fault) + 4);
		tss = gvm_hva(vm, TS_TSS_D);
		CHECK((tss[0] & 0xffff) == SEL_A, "D's back link %#x", tss[0]);
	} else {
		/* INT n saves the next instruction's */
		CHECK(tss[8] == code_addr(ts_a_after_int),
		      "A's saved EIP %#x, want %#x after its INT", tss[8],
		      code_addr(ts_a_after_int));
	}
	tss = gvm_hva(vm, TS_TSS_C);
	CHECK((tss[0] & 0xffff) == SEL_A, "C's back link %#x", tss[0]);
	CHECK(tss[8] == code_addr(ts_c_after_iret),
	      "C's saved EIP %#x, want %#x after its IRET", tss[8],
	      code_addr(ts_c_after_iret));
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	/*
	 * TR's type: busy (11) after a switch, but QEMU's TCG, switching
	 * tasks for khv's SVM guests, leaves it available (9) in TR.
	 */
	CHECK(sr.tr.selector == (fault ? SEL_D : SEL_A) &&
	      sr.tr.base == (fault ? TS_TSS_D : TS_TSS_A) &&
	      (sr.tr.type | 2) == 0xb,
	      "TR %#x base %#llx type %u", sr.tr.selector,
	      (unsigned long long)sr.tr.base, sr.tr.type);
	CHECK(sr.cr0 & 8, "CR0.TS clear after a task switch");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* JMP, CALL and IRET, INT n through a task gate */
static int t_tasks(void)
{
	return run_tasks(false);
}

/* Then a #GP through a task gate: its error code on the new stack */
static int t_exception_gate(void)
{
	return run_tasks(true);
}

static const struct ksft_case cases[] = {
	{ "tasks", t_tasks },
	{ "exception_gate", t_exception_gate },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
