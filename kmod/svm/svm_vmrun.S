/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One trip into an SVM guest and back.
 *
 * int svm_vmrun(u64 *gprs, u64 vmcb_pa, u64 host_vmsave_pa)
 *
 * gprs: the guest's general-purpose registers in KVM's order (RAX=0 ...
 * R15=15); RAX and RSP live in the VMCB and are skipped here.
 * Called with interrupts off and GIF clear (CLGI), so nothing can run
 * between the VMLOAD of guest state and the VMLOAD of host state, when
 * the GS base is not the kernel's. Returns 0, or 1 if the first VMSAVE
 * faulted: SVM is off on this CPU. The caller checks that SVM is on with
 * interrupts off, so this is a last guard; past that VMSAVE nothing can
 * switch SVM off (IPIs and NMIs wait for STGI), and a fixup there would
 * return with the guest's GS base.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>

#define GPR(n)	((n) * 8)
#define RCX	GPR(1)
#define RDX	GPR(2)
#define RBX	GPR(3)
#define RBP	GPR(5)
#define RSI	GPR(6)
#define RDI	GPR(7)
#define R8	GPR(8)
#define R9	GPR(9)
#define R10	GPR(10)
#define R11	GPR(11)
#define R12	GPR(12)
#define R13	GPR(13)
#define R14	GPR(14)
#define R15	GPR(15)

/* Stack after the pushes below: 0 host_vmsave_pa, 8 vmcb_pa, 16 gprs. */
#define SP_HOST	0
#define SP_VMCB	8
#define SP_GPRS	16

	.section .noinstr.text, "ax"

/*
 * In one aligned 512-byte block, so never across a page: each page the
 * world switch touches is an iTLB entry on hardware and, under QEMU's TCG
 * (the test machine), a lookup for every jump into it after each exit.
 */
	.balign 512
SYM_FUNC_START(svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi
	push	%rsi
	push	%rdx

	/* Host state VMRUN leaves alone (FS/GS/TR/LDTR, STAR..., SYSENTER). */
	mov	%rdx, %rax
1:	vmsave	%rax
	mov	SP_VMCB(%rsp), %rax
	vmload	%rax

	mov	SP_GPRS(%rsp), %rax
	mov	RCX(%rax), %rcx
	mov	RDX(%rax), %rdx
	mov	RBX(%rax), %rbx
	mov	RBP(%rax), %rbp
	mov	RSI(%rax), %rsi
	mov	RDI(%rax), %rdi
	mov	R8(%rax), %r8
	mov	R9(%rax), %r9
	mov	R10(%rax), %r10
	mov	R11(%rax), %r11
	mov	R12(%rax), %r12
	mov	R13(%rax), %r13
	mov	R14(%rax), %r14
	mov	R15(%rax), %r15

	mov	SP_VMCB(%rsp), %rax
	vmrun	%rax

	/* #VMEXIT: RAX, RSP and RIP are the host's again, the rest the guest's. */
	mov	SP_GPRS(%rsp), %rax
	mov	%rcx, RCX(%rax)
	mov	%rdx, RDX(%rax)
	mov	%rbx, RBX(%rax)
	mov	%rbp, RBP(%rax)
	mov	%rsi, RSI(%rax)
	mov	%rdi, RDI(%rax)
	mov	%r8, R8(%rax)
	mov	%r9, R9(%rax)
	mov	%r10, R10(%rax)
	mov	%r11, R11(%rax)
	mov	%r12, R12(%rax)
	mov	%r13, R13(%rax)
	mov	%r14, R14(%rax)
	mov	%r15, R15(%rax)

	mov	SP_VMCB(%rsp), %rax
	vmsave	%rax
	mov	SP_HOST(%rsp), %rax
	vmload	%rax

	/*
	 * Speculation, as the host kernel mitigates it (its X86_FEATURE_*
	 * bits pick what the alternatives below patch in, as for KVM):
	 * the guest may have filled the return stack buffer: overwrite it
	 * before the first RET; untrain return predictions (retbleed, SRSO)
	 * before any RET or interrupt; a full barrier where the host wants
	 * one at every #VMEXIT. SPEC_CTRL needs nothing: khv never lets a
	 * guest write it, so the guest runs with the host's value (or, with
	 * V_SPEC_CTRL, the CPU switches it). Clobbers RAX, RCX, RDX.
	 */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT

	/* Leave no guest values in registers. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%eax, %eax

9:	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	/* The first VMSAVE faulted: SVM is off on this CPU. */
10:	mov	$1, %eax
	jmp	9b

	_ASM_EXTABLE(1b, 10b)
SYM_FUNC_END(svm_vmrun)
