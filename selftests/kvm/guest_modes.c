// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in every x86 mode: real mode, 16-bit and 32-bit protected mode
 * (raw code from the byte ranges below), long mode (a C function), and one
 * guest that switches itself real -> protected -> long mode the way boot
 * code does. Each reports values through OUT exits and ends with HLT.
 */
#include <string.h>

#include "guest.h"

static int sys_fd;

#define STR(x)	#x
#define XSTR(x)	STR(x)

#define RM_GPA		0x10000
#define PM16_GPA	0x20000
#define PM32_GPA	0x40000
#define SWITCH_GPA	0x60000

/* Code blobs: assembled here, copied into guest memory by the host. */
extern const uint8_t rm_code[], rm_code_end[];
extern const uint8_t pm16_code[], pm16_code_end[];
extern const uint8_t pm32_code[], pm32_code_end[];
extern const uint8_t switch_code[], switch_code_end[];

__asm__(
	".pushsection .rodata\n"
	".code16\n"
	"rm_code:\n"
	"	mov $0x1234, %ax\n"
	"	add $0x1111, %ax\n"
	"	mov $0x10, %dx\n"
	"	out %ax, %dx\n"			/* 0x2345 */
	"	mov $0x12345678, %eax\n"
	"	out %eax, $0x11\n"
	"	movw $0xbeef, (0x100)\n"	/* DS base = RM_GPA */
	"	mov $0x2000, %bx\n"
	"	mov %bx, %es\n"
	"	movw $0xcafe, %es:(0x10)\n"	/* GPA 0x20010 */
	"	mov (0x100), %cx\n"
	"	mov %cx, %ax\n"
	"	out %al, $0x12\n"		/* 0xef */
	"	pushw $0x4321\n"
	"	pop %ax\n"
	"	out %ax, $0x13\n"
	"	hlt\n"
	"rm_code_end:\n"

	"pm16_code:\n"
	"	mov $0x1616, %ax\n"
	"	out %ax, $0x16\n"
	"	mov $" XSTR(GDT_DATA) ", %ax\n"	/* flat 4 GiB from the GDT */
	"	mov %ax, %es\n"
	"	mov $0x30000, %ebx\n"
	"	movw $0xd00d, %es:(%ebx)\n"
	"	movw $0x5555, (0x200)\n"	/* DS base = PM16_GPA */
	"	mov %cr0, %eax\n"
	"	out %eax, $0x17\n"
	"	hlt\n"
	"pm16_code_end:\n"

	".code32\n"
	"pm32_code:\n"
	"	mov $0x32323232, %eax\n"
	"	out %eax, $0x32\n"
	"	movl $0xfeedbeef, 0x50000\n"
	"	push $0x11223344\n"
	"	pop %eax\n"
	"	out %eax, $0x34\n"
	"	mov %cr0, %eax\n"
	"	out %eax, $0x35\n"
	"	mov $0xabcd, %ax\n"
	"	out %ax, $0x36\n"
	"	hlt\n"
	"pm32_code_end:\n"

	/* real mode -> 32-bit protected mode -> long mode */
	".code16\n"
	"switch_code:\n"
	"	cli\n"
	"	lgdtl %cs:(9f - switch_code)\n"
	"	mov %cr0, %eax\n"
	"	out %eax, $0x50\n"
	"	or $1, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $" XSTR(GDT_CODE32) ", $(" XSTR(SWITCH_GPA) " + 1f - switch_code)\n"
	".code32\n"
	"1:	mov $" XSTR(GDT_DATA) ", %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %ss\n"
	"	mov $0x7fff0, %esp\n"
	"	mov %cr0, %eax\n"
	"	out %eax, $0x51\n"
	"	mov %cr4, %eax\n"
	"	or $0x20, %eax\n"		/* PAE */
	"	mov %eax, %cr4\n"
	"	mov $" XSTR(GUEST_PT_GPA) ", %eax\n"
	"	mov %eax, %cr3\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or $0x100, %eax\n"		/* EFER.LME */
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	or $0x80000000, %eax\n"		/* PG: long mode is active */
	"	mov %eax, %cr0\n"
	"	ljmpl $" XSTR(GDT_CODE64) ", $(" XSTR(SWITCH_GPA) " + 2f - switch_code)\n"
	".code64\n"
	"2:	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	out %eax, $0x52\n"
	"	lea 3f(%rip), %rax\n"
	"	out %eax, $0x53\n"		/* RIP-relative works */
	"3:	hlt\n"
	"9:	.word " XSTR(GUEST_GDT_LIMIT) "\n"
	"	.long " XSTR(GUEST_GDT_GPA) "\n"
	"switch_code_end:\n"
	".popsection\n");

#define ALL 0xffffffffu	/* compare every bit */

struct out_step {
	uint16_t port;
	uint8_t size;
	uint32_t value;
	uint32_t mask;		/* bits of value to compare */
};

/* Expect the OUT exits of @steps, then HLT with RIP == @hlt_rip. */
static int run_outs_then_hlt(struct gvcpu *v, const struct out_step *steps,
			     int n, uint64_t hlt_rip)
{
	struct kvm_run *run = v->run;
	struct kvm_regs regs;
	uint32_t got;
	int i;

	for (i = 0; i < n; i++) {
		CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "OUT %d", i);
		CHECK(run->io.direction == KVM_EXIT_IO_OUT &&
		      run->io.port == steps[i].port &&
		      run->io.size == steps[i].size && run->io.count == 1,
		      "OUT %d: port %#x size %u count %u", i, run->io.port,
		      run->io.size, run->io.count);
		got = 0;
		memcpy(&got, gvcpu_io_data(v), run->io.size);
		CHECK((got & steps[i].mask) == steps[i].value,
		      "OUT %d to %#x: %#x, want %#x (mask %#x)", i,
		      steps[i].port, got, steps[i].value, steps[i].mask);
	}
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_HLT), "HLT");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rip == hlt_rip, "RIP after HLT %#llx, want %#lx", regs.rip,
	      hlt_rip);
	return KSFT_PASS;
}

static int t_real_mode(void)
{
	static const struct out_step steps[] = {
		{ 0x10, 2, 0x2345, ALL },
		{ 0x11, 4, 0x12345678, ALL },
		{ 0x12, 1, 0xef, ALL },
		{ 0x13, 2, 0x4321, ALL },
	};
	size_t len = rm_code_end - rm_code;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_sregs sr;
	struct gvcpu *v;
	int r;

	CHECK(vm, "VM");
	v = gvcpu_create_real(vm, 0, RM_GPA, rm_code, len);
	CHECK(v, "vCPU");
	r = run_outs_then_hlt(v, steps, 4, len);	/* IP is CS-relative */
	CHECK(r == KSFT_PASS, "real-mode run");
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	CHECK(!(sr.cr0 & 1) && sr.cs.base == RM_GPA && sr.es.base == 0x20000,
	      "cr0 %#llx cs.base %#llx es.base %#llx", sr.cr0, sr.cs.base,
	      sr.es.base);
	CHECK(*(uint16_t *)gvm_hva(vm, RM_GPA + 0x100) == 0xbeef, "DS write");
	CHECK(*(uint16_t *)gvm_hva(vm, 0x20010) == 0xcafe, "ES write");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static int t_protected_16(void)
{
	static const struct out_step steps[] = {
		{ 0x16, 2, 0x1616, ALL },
		{ 0x17, 4, 0x1, 0x80000001 },	/* CR0: PE, not PG */
	};
	size_t len = pm16_code_end - pm16_code;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	int r;

	CHECK(vm, "VM");
	v = gvcpu_create_pm16(vm, 0, PM16_GPA, pm16_code, len);
	CHECK(v, "vCPU");
	r = run_outs_then_hlt(v, steps, 2, len);
	CHECK(r == KSFT_PASS, "16-bit protected-mode run");
	CHECK(*(uint16_t *)gvm_hva(vm, 0x30000) == 0xd00d, "ES (flat) write");
	CHECK(*(uint16_t *)gvm_hva(vm, PM16_GPA + 0x200) == 0x5555, "DS write");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static int t_protected_32(void)
{
	static const struct out_step steps[] = {
		{ 0x32, 4, 0x32323232, ALL },
		{ 0x34, 4, 0x11223344, ALL },
		{ 0x35, 4, 0x1, 0x80000001 },
		{ 0x36, 2, 0xabcd, ALL },
	};
	size_t len = pm32_code_end - pm32_code;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	int r;

	CHECK(vm, "VM");
	v = gvcpu_create_pm32(vm, 0, PM32_GPA, pm32_code, len);
	CHECK(v, "vCPU");
	r = run_outs_then_hlt(v, steps, 4, PM32_GPA + len);
	CHECK(r == KSFT_PASS, "32-bit protected-mode run");
	CHECK(*(uint32_t *)gvm_hva(vm, 0x50000) == 0xfeedbeef, "write");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

extern const char lm_hlt_next[];

GUEST_CODE static void guest_long(uint64_t a, uint64_t b)
{
	uint64_t cr0, cr4, cs;
	uint32_t lo, hi;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
	__asm__ volatile("outl %%eax, $0x64" : : "a"((uint32_t)cr0));
	__asm__ volatile("outl %%eax, $0x64" : : "a"((uint32_t)cr4));
	__asm__ volatile("outl %%eax, $0x64" : : "a"(lo));
	__asm__ volatile("outw %%ax, $0x64" : : "a"((uint16_t)cs));
	__asm__ volatile("hlt\nlm_hlt_next:");
	GUEST_DONE();
}

static int t_long_mode(void)
{
	static const struct out_step steps[] = {
		{ 0x64, 4, 0x80000001, 0x80000001 },	/* CR0.PG|PE */
		{ 0x64, 4, 0x20, 0x20 },		/* CR4.PAE */
		{ 0x64, 4, 0x500, 0x500 },		/* EFER.LME|LMA */
		{ 0x64, 2, GDT_CODE64, ALL },
	};
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	int r;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_long, 0, 0);
	CHECK(v, "vCPU");
	r = run_outs_then_hlt(v, steps, 4, (uint64_t)lm_hlt_next);
	CHECK(r == KSFT_PASS, "long-mode run");
	CHECK(!gvcpu_run_done(v), "runs on after HLT");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* Real mode, LGDT, CR0.PE, far jump; CR4.PAE, CR3, EFER.LME, CR0.PG. */
static int t_mode_switches(void)
{
	size_t len = switch_code_end - switch_code;
	const struct out_step steps[] = {
		{ 0x50, 4, 0, 0x80000001 },		/* real mode */
		{ 0x51, 4, 1, 0x80000001 },		/* protected */
		{ 0x52, 4, 0x500, 0x500 },		/* EFER.LME|LMA */
		{ 0x53, 4, SWITCH_GPA + len - 7, ALL },	/* label 3 */
	};
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_sregs sr;
	struct gvcpu *v;
	int r;

	CHECK(vm, "VM");
	v = gvcpu_create_real(vm, 0, SWITCH_GPA, switch_code, len);
	CHECK(v, "vCPU");
	/* HLT is followed by the 6-byte GDTR operand */
	r = run_outs_then_hlt(v, steps, 4, SWITCH_GPA + len - 6);
	CHECK(r == KSFT_PASS, "mode switches");
	CHECK(!gvcpu_get_sregs(v, &sr), "KVM_GET_SREGS");
	CHECK((sr.efer & 0x500) == 0x500 && sr.cs.l && sr.cs.selector == GDT_CODE64,
	      "efer %#llx cs.l %u cs %#x", sr.efer, sr.cs.l, sr.cs.selector);
	CHECK(sr.gdt.base == GUEST_GDT_GPA && sr.cr3 == GUEST_PT_GPA,
	      "gdt.base %#llx cr3 %#llx", sr.gdt.base, sr.cr3);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "real_mode", t_real_mode },
	{ "protected_16", t_protected_16 },
	{ "protected_32", t_protected_32 },
	{ "long_mode", t_long_mode },
	{ "mode_switches", t_mode_switches },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
