// SPDX-License-Identifier: GPL-2.0
/* vCPU register state: KVM_GET/SET_REGS, _SREGS and _FPU, and reset. */
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/traps.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "khv.h"
#include "caps.h"
#include "cpuid_policy.h"
#include "emulate.h"

#define RDX 2
#define APIC_BASE_DEFAULT	0xfee00000ULL
#define APIC_BASE_BSP		BIT_ULL(8)
#define APIC_BASE_ENABLE	BIT_ULL(11)

/* Power-on state of what the core holds (the backend resets the rest). */
void khv_vcpu_reset_regs(struct khv_vcpu *vcpu)
{
	memset(vcpu->gprs, 0, sizeof(vcpu->gprs));
	vcpu->gprs[RDX] = 0x600;	/* family 6 signature, as KVM */
	vcpu->rip = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->apic_base = APIC_BASE_DEFAULT | APIC_BASE_ENABLE |
			  (vcpu->id == vcpu->vm->bsp_vcpu_id ? APIC_BASE_BSP : 0);
	vcpu->tpr = 0;
	memset(vcpu->dr, 0, sizeof(vcpu->dr));
	vcpu->dr[6] = 0xffff0ff0;
	vcpu->dr[7] = 0x400;
	vcpu->irq_pending = false;
	vcpu->nmi_pending = false;
	vcpu->nmi_masked = false;
	vcpu->nmi_iret_wait = false;
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	vcpu->pending = KHV_PENDING_NONE;
}

void khv_regs_get(struct khv_vcpu *vcpu, struct kvm_regs *r)
{
	*r = (struct kvm_regs){
		.rax = vcpu->gprs[0], .rcx = vcpu->gprs[1],
		.rdx = vcpu->gprs[2], .rbx = vcpu->gprs[3],
		.rsp = vcpu->gprs[4], .rbp = vcpu->gprs[5],
		.rsi = vcpu->gprs[6], .rdi = vcpu->gprs[7],
		.r8 = vcpu->gprs[8], .r9 = vcpu->gprs[9],
		.r10 = vcpu->gprs[10], .r11 = vcpu->gprs[11],
		.r12 = vcpu->gprs[12], .r13 = vcpu->gprs[13],
		.r14 = vcpu->gprs[14], .r15 = vcpu->gprs[15],
		.rip = vcpu->rip, .rflags = vcpu->rflags,
	};
}

long khv_vcpu_get_regs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_regs r;

	khv_regs_get(vcpu, &r);
	return copy_to_user((void __user *)arg, &r, sizeof(r)) ? -EFAULT : 0;
}

void khv_regs_set(struct khv_vcpu *vcpu, const struct kvm_regs *r)
{
	vcpu->gprs[0] = r->rax;
	vcpu->gprs[1] = r->rcx;
	vcpu->gprs[2] = r->rdx;
	vcpu->gprs[3] = r->rbx;
	vcpu->gprs[4] = r->rsp;
	vcpu->gprs[5] = r->rbp;
	vcpu->gprs[6] = r->rsi;
	vcpu->gprs[7] = r->rdi;
	vcpu->gprs[8] = r->r8;
	vcpu->gprs[9] = r->r9;
	vcpu->gprs[10] = r->r10;
	vcpu->gprs[11] = r->r11;
	vcpu->gprs[12] = r->r12;
	vcpu->gprs[13] = r->r13;
	vcpu->gprs[14] = r->r14;
	vcpu->gprs[15] = r->r15;
	vcpu->rip = r->rip;
	vcpu->rflags = r->rflags | X86_EFLAGS_FIXED;
}

long khv_vcpu_set_regs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_regs r;

	if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
		return -EFAULT;
	khv_regs_set(vcpu, &r);
	return 0;
}

void khv_sregs_get(struct khv_vcpu *vcpu, struct kvm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	khv_ops->get_sregs(vcpu, s);
	s->cr8 = vcpu->tpr;
	s->apic_base = vcpu->apic_base;
	if (vcpu->irq_pending)
		__set_bit(vcpu->irq_vector, (unsigned long *)s->interrupt_bitmap);
}

long khv_vcpu_get_sregs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_sregs s;

	khv_sregs_get(vcpu, &s);
	return copy_to_user((void __user *)arg, &s, sizeof(s)) ? -EFAULT : 0;
}

/* KVM's consistency rules for CR0/CR4/EFER, CR4 against guest CPUID (once set). */
static bool khv_sregs_valid(struct khv_vcpu *vcpu, const struct kvm_sregs *s)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);

	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 >> khv_guest_maxphyaddr(&v))
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	if ((s->cr0 >> 32) || ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE)))
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	return khv_vcpu_cr4_valid(vcpu, s->cr4) &&
	       khv_apic_base_valid(&v, s->apic_base);
}

/* @s is the caller's own copy, read from user memory once. */
int khv_sregs_set(struct khv_vcpu *vcpu, const struct kvm_sregs *s)
{
	int vec;

	if (!khv_sregs_valid(vcpu, s))
		return -EINVAL;
	/* an in-kernel LAPIC checks its base's mode changes too: first */
	if (vcpu->apic &&
	    khv_vlapic_wrmsr(vcpu, MSR_IA32_APICBASE, s->apic_base, true))
		return -EINVAL;
	khv_ops->set_sregs(vcpu, s);
	vcpu->tpr = s->cr8 & 0xf;
	if (vcpu->apic)
		khv_vlapic_after_exit(vcpu);	/* CR8 into the TPR */
	else
		vcpu->apic_base = s->apic_base;
	khv_cpuid_update_runtime(vcpu);		/* APIC base, CR4.OSXSAVE */
	vec = find_first_bit((unsigned long *)s->interrupt_bitmap, 256);
	vcpu->irq_pending = vec < 256;
	if (vcpu->irq_pending)
		vcpu->irq_vector = vec;
	return 0;
}

long khv_vcpu_set_sregs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_sregs s;

	if (copy_from_user(&s, (void __user *)arg, sizeof(s)))
		return -EFAULT;
	return khv_sregs_set(vcpu, &s);
}

/* KVM_GET/SET_FPU: the legacy (FXSAVE) part of the guest's FPU state. */
static struct fxregs_state *khv_fxsave(struct khv_vcpu *vcpu)
{
	return &vcpu->guest_fpu.fpstate->regs.fxsave;
}

long khv_vcpu_get_fpu(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct fxregs_state *fx = khv_fxsave(vcpu);
	struct kvm_fpu f;

	memset(&f, 0, sizeof(f));
	memcpy(f.fpr, fx->st_space, sizeof(f.fpr));
	f.fcw = fx->cwd;
	f.fsw = fx->swd;
	f.ftwx = fx->twd;
	f.last_opcode = fx->fop;
	f.last_ip = fx->rip;
	f.last_dp = fx->rdp;
	memcpy(f.xmm, fx->xmm_space, sizeof(f.xmm));
	f.mxcsr = fx->mxcsr;
	return copy_to_user((void __user *)arg, &f, sizeof(f)) ? -EFAULT : 0;
}

long khv_vcpu_set_fpu(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct fxregs_state *fx = khv_fxsave(vcpu);
	struct kvm_fpu f;

	if (copy_from_user(&f, (void __user *)arg, sizeof(f)))
		return -EFAULT;
	memcpy(fx->st_space, f.fpr, sizeof(f.fpr));
	fx->cwd = f.fcw;
	fx->swd = f.fsw;
	fx->twd = f.ftwx;
	fx->fop = f.last_opcode;
	fx->rip = f.last_ip;
	fx->rdp = f.last_dp;
	memcpy(fx->xmm_space, f.xmm, sizeof(f.xmm));
	/* a reserved MXCSR bit would make FXRSTOR fault in the host */
	fx->mxcsr = f.mxcsr & 0xffff;
	return 0;
}

/*
 * KVM_GET_XSAVE(2) / KVM_SET_XSAVE: the guest's whole FPU state in the
 * standard XSAVE layout, through the FPU core's own copy routines (which
 * check the header and MXCSR on the way in). KVM_GET_XSAVE's 4 KiB buffer
 * must hold it; KVM_GET_XSAVE2 writes KVM_CAP_XSAVE2's size.
 */
static long khv_xsave_out(struct khv_vcpu *vcpu, unsigned long arg, u32 size)
{
	void *buf = kzalloc(size, GFP_KERNEL_ACCOUNT);
	long r = 0;

	if (!buf)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, buf, size,
				       khv_xcr0_supported | XFEATURE_MASK_FPSSE,
				       0);
	if (copy_to_user((void __user *)arg, buf, size))
		r = -EFAULT;
	kfree(buf);
	return r;
}

long khv_vcpu_get_xsave(struct khv_vcpu *vcpu, unsigned long arg)
{
	if (vcpu->guest_fpu.uabi_size > sizeof(struct kvm_xsave))
		return -EINVAL;
	return khv_xsave_out(vcpu, arg, sizeof(struct kvm_xsave));
}

long khv_vcpu_get_xsave2(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_xsave_out(vcpu, arg, khv_xsave_uabi_size);
}

long khv_vcpu_set_xsave(struct khv_vcpu *vcpu, unsigned long arg)
{
	u32 pkru = 0;	/* no PKU for guests: a PKRU component is refused */
	void *buf;
	long r;

	buf = memdup_user((void __user *)arg, khv_xsave_uabi_size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu, buf,
					   khv_xcr0_supported, &pkru);
	kfree(buf);
	return r;
}

/* KVM_GET/SET_XCRS: XCR0, the one extended control register there is. */
long khv_vcpu_get_xcrs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_xcrs x;

	memset(&x, 0, sizeof(x));
	if (khv_xcr0_supported) {
		x.nr_xcrs = 1;
		x.xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		x.xcrs[0].value = vcpu->xcr0;
	}
	return copy_to_user((void __user *)arg, &x, sizeof(x)) ? -EFAULT : 0;
}

long khv_vcpu_set_xcrs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_xcrs x;
	u32 i;

	if (copy_from_user(&x, (void __user *)arg, sizeof(x)))
		return -EFAULT;
	if (!khv_xcr0_supported || x.nr_xcrs > KVM_MAX_XCRS || x.flags)
		return -EINVAL;
	for (i = 0; i < x.nr_xcrs; i++)
		if (x.xcrs[i].xcr == XCR_XFEATURE_ENABLED_MASK)
			return khv_set_xcr0(vcpu, x.xcrs[i].value);
	return 0;
}

/*
 * KVM_GET/SET_DEBUGREGS: DR0-3, DR6 and DR7 as the guest's MOV DRn sees
 * them. As KVM: no flags, and DR6/DR7 with nothing in bits 63:32.
 */
long khv_vcpu_get_debugregs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_debugregs d;

	memset(&d, 0, sizeof(d));
	memcpy(d.db, vcpu->dr, sizeof(d.db));
	d.dr6 = vcpu->dr[6];
	d.dr7 = vcpu->dr[7];
	return copy_to_user((void __user *)arg, &d, sizeof(d)) ? -EFAULT : 0;
}

long khv_vcpu_set_debugregs(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_debugregs d;

	if (copy_from_user(&d, (void __user *)arg, sizeof(d)))
		return -EFAULT;
	if (d.flags || (d.dr6 >> 32) || (d.dr7 >> 32))
		return -EINVAL;
	memcpy(vcpu->dr, d.db, sizeof(d.db));
	vcpu->dr[6] = d.dr6;
	vcpu->dr[7] = d.dr7;
	return 0;
}

/*
 * KVM_SET_GUEST_DEBUG: single-stepping (KVM_EXIT_DEBUG after every
 * instruction, those khv completes itself included: KVM's "robust"
 * single-step), software breakpoints (INT3 exits with KVM_EXIT_DEBUG),
 * hardware breakpoints (USE_HW_BP: user space's DR0-3 and DR7 replace the
 * guest's while set; every #DB is then a KVM_EXIT_DEBUG), BLOCKIRQ (no
 * interrupt or NMI goes in while set) and #DB/#BP injection.
 */
long khv_vcpu_set_guest_debug(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_guest_debug d;
	u32 control;

	if (copy_from_user(&d, (void __user *)arg, sizeof(d)))
		return -EFAULT;
	control = d.control;
	if (control & ~KHV_GUESTDBG_VALID)
		return -EINVAL;
	/* DR7 bits 63:32 would make the entry fail (KVM lets it fail) */
	if ((control & KVM_GUESTDBG_ENABLE) && (control & KVM_GUESTDBG_USE_HW_BP) &&
	    (d.arch.debugreg[7] >> 32))
		return -EINVAL;
	if (control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (khv_ops->event_in_flight(vcpu))
			return -EBUSY;
		khv_ops->inject_exception(vcpu,
					  control & KVM_GUESTDBG_INJECT_DB ?
					  DB_VECTOR : BP_VECTOR, false, 0);
	}
	if (!(control & KVM_GUESTDBG_ENABLE))
		control = 0;
	vcpu->guest_debug = control & (KVM_GUESTDBG_ENABLE |
				       KVM_GUESTDBG_SINGLESTEP |
				       KVM_GUESTDBG_USE_SW_BP |
				       KVM_GUESTDBG_USE_HW_BP |
				       KVM_GUESTDBG_BLOCKIRQ);
	if (vcpu->guest_debug & KVM_GUESTDBG_USE_HW_BP) {
		memcpy(vcpu->dbg_dr, d.arch.debugreg, sizeof(vcpu->dbg_dr));
		vcpu->dbg_dr7 = (d.arch.debugreg[7] & KHV_DR7_VOLATILE) |
				KHV_DR7_FIXED;
	}
	khv_ops->intercept_bp(vcpu, vcpu->guest_debug & KVM_GUESTDBG_USE_SW_BP);
	clear_bit(KHV_REQ_SSTEP_EXIT, &vcpu->requests);
	return 0;
}
