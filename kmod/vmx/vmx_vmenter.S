/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One trip into a VMX guest and back. Mirrors svm/svm_vmrun.S.
 *
 * int vmx_vmenter(u64 *gprs, bool launched)
 *
 * gprs: the guest's general-purpose registers in KVM's order (RAX=0 ...
 * R15=15); RSP lives in the VMCS and is skipped here. The VMCS is current
 * on this CPU and holds everything else; interrupts are off. VMRESUME if
 * @launched, else VMLAUNCH. Returns 0 after a VM exit (at vmx_vmexit, the
 * VMCS's HOST_RIP, with the stack pointer this function wrote to
 * HOST_RSP), or 1 when the instruction failed (VMfailInvalid or
 * VMfailValid: the caller reads the VM-instruction error).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/alternative.h>
#include <asm/cpufeatures.h>
#include <asm/unwind_hints.h>

#include "vmcs.h"

#define GPR(n)	((n) * 8)
#define RAX	GPR(0)
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

/* Stack after the pushes below: 0 launched, 8 gprs. */
#define SP_LAUNCHED	0
#define SP_GPRS		8

	.section .noinstr.text, "ax"

/*
 * In one aligned 512-byte block, so never across a page: each page the
 * world switch touches is an iTLB entry on hardware and, under QEMU's TCG
 * (the test machine), a lookup for every jump into it after each exit.
 */
	.balign 512
SYM_FUNC_START(vmx_vmenter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi
	push	%rsi

	/* the stack as it is now is the host's at the VM exit */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfail_early

	/* CF: VMRESUME. Nothing below changes CF (VERW changes ZF only). */
	btl	$0, SP_LAUNCHED(%rsp)

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
	mov	RAX(%rax), %rax

	/* CPU buffers the host filled (MDS and kin), as the host asks */
	VM_CLEAR_CPU_BUFFERS

	UNWIND_HINT_SAVE
	jnc	.Llaunch
	vmresume
	jmp	.Lfail
.Llaunch:
	vmlaunch
	jmp	.Lfail

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* RSP and RIP are the host's again, the GPRs the guest's. */
	push	%rax
	mov	SP_GPRS + 8(%rsp), %rax
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
	popq	RAX(%rax)

	/*
	 * Speculation, as the host kernel mitigates it (its X86_FEATURE_*
	 * bits pick what the alternatives patch in, as for KVM): the guest
	 * may have filled the return stack buffer: overwrite it before the
	 * first RET (fully, or the one entry eIBRS leaves exposed); clear
	 * the branch history where the host does so at VM exit. SPEC_CTRL
	 * needs nothing: khv never lets a guest write it, so the guest runs
	 * with the host's value. Clobbers RAX, RCX.
	 */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	CLEAR_BRANCH_HISTORY_VMEXIT
	xor	%eax, %eax

.Lclear:
	/* Leave no guest values in registers. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

.Lout:
	add	$16, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	/* VMLAUNCH/VMRESUME fell through: the guest's GPRs are loaded */
.Lfail:
	mov	$1, %eax
	jmp	.Lclear

	/* HOST_RSP could not be written: nothing of the guest's was loaded */
.Lfail_early:
	mov	$1, %eax
	jmp	.Lout
SYM_FUNC_END(vmx_vmenter)
