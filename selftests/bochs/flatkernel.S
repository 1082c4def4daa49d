/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protected-mode entry of a "flat" bzImage (selftests/bochs/flatkernel.py):
 * it stands where the kernel's decompressor stood, so that a slow emulator
 * (Bochs) does not spend minutes decompressing the kernel. The kernel's own
 * real-mode setup code jumps here (code32_start, 0x100000) in 32-bit
 * protected mode, paging off, with ESI = &boot_params. Behind this page-
 * aligned stub the boot loader has loaded the kernel's loadable segments,
 * already decompressed, laid out by physical address. The stub
 *   1. moves that image to KERNEL_PHYS (it overlaps its destination from
 *      below, so the copy runs backwards), zeroes up to KERNEL_END (.bss,
 *      .brk and the trailing zeros flatkernel.py cut off);
 *   2. maps the first 4 GiB 1:1 with 2 MiB pages, enables PAE, EFER.LME and
 *      paging, loads a GDT with the boot protocol's selectors (0x10 code,
 *      0x18 data);
 *   3. jumps to the kernel's 64-bit entry with RSI = &boot_params, as the
 *      64-bit boot protocol asks (Documentation/x86/boot.rst).
 * The kernel runs at its link address: no KASLR (the decompressor is what
 * randomizes, and boot_params.hdr.loadflags says it did not).
 *
 * Assembled with --defsym: IMAGE_SIZE (bytes of the flat image, a multiple
 * of 4), KERNEL_PHYS, KERNEL_END (a multiple of 4), ENTRY (physical).
 */
	.set	LOAD_ADDR, 0x100000
	.set	STUB_SIZE, 0x8000
	.set	PML4, LOAD_ADDR + 0x1000	/* then the PDPT, then 4 PDs */
	.set	PDPT, PML4 + 0x1000
	.set	PD0, PDPT + 0x1000
	.set	PTE_P_W, 0x03
	.set	PDE_P_W_PS, 0x83
	.set	CR4_PAE, 1 << 5
	.set	CR0_PG, 1 << 31
	.set	MSR_EFER, 0xc0000080
	.set	EFER_LME, 1 << 8

	.text
	.code32
	.globl	_start
_start:
	cli
	movl	%esi, %ebp			/* &boot_params, kept for the kernel */

	/* 1. the image to KERNEL_PHYS, last dword first */
	std
	movl	$(LOAD_ADDR + STUB_SIZE + IMAGE_SIZE - 4), %esi
	movl	$(KERNEL_PHYS + IMAGE_SIZE - 4), %edi
	movl	$(IMAGE_SIZE / 4), %ecx
	rep	movsl
	cld
	movl	$(KERNEL_PHYS + IMAGE_SIZE), %edi
	movl	$((KERNEL_END - KERNEL_PHYS - IMAGE_SIZE) / 4), %ecx
	xorl	%eax, %eax
	rep	stosl

	/* 2. page tables (their pages are zero in the image) */
	movl	$(PDPT + PTE_P_W), PML4
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax			/* PD n at PD0 + n * 4096 */
	shll	$12, %eax
	addl	$(PD0 + PTE_P_W), %eax
	movl	%eax, PDPT(,%ecx,8)
	incl	%ecx
	cmpl	$4, %ecx
	jne	1b
	xorl	%ecx, %ecx			/* 2048 PDEs: 4 GiB */
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$PDE_P_W_PS, %eax
	movl	%eax, PD0(,%ecx,8)
	movl	%ecx, %eax
	shrl	$11, %eax			/* bits 32+ of the address */
	movl	%eax, PD0 + 4(,%ecx,8)
	incl	%ecx
	cmpl	$2048, %ecx
	jne	2b

	lgdt	gdt_desc
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$PML4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	ljmp	$0x10, $long_mode

	.code64
long_mode:
	/* 3. the kernel's 64-bit entry */
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%ebp, %esi
	movl	$ENTRY, %eax
	jmp	*%rax

	.balign	8
gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff		/* 0x10: 64-bit code */
	.quad	0x00cf92000000ffff		/* 0x18: data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	/* the page tables' pages, then nothing up to STUB_SIZE */
	.org	STUB_SIZE
