// SPDX-License-Identifier: GPL-2.0
/*
 * SVM vCPUs: the VMCB, guest entry, exit translation and guest state.
 * Mirrors vmx/vmx_vcpu.c. Facts: AMD APM vol. 2, chapter 15, appendix B/C.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/traps.h>
#include <asm/mce.h>
#include <asm/nospec-branch.h>
#include <asm/special_insns.h>
#include <asm/cpufeature.h>

#include "../cpuid_policy.h"
#include "svm.h"

#define SVM_EFER_GUEST_BITS	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

struct khv_vcpu *svm_vcpu_alloc(void)
{
	struct svm_vcpu *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	struct page *page;

	if (!svm)
		return NULL;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return NULL;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	return &svm->vcpu;
}

void svm_vcpu_free(struct khv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int cpu;

	/* a new VMCB at this address must still get its barrier */
	for_each_possible_cpu(cpu)
		cmpxchg(per_cpu_ptr(&svm_last_vmcb, cpu), svm->vmcb, NULL);
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
}

static void svm_seg_init(struct vmcb_seg *seg, u16 sel, u16 attrib, u64 base)
{
	seg->selector = sel;
	seg->attrib = attrib;
	seg->limit = 0xffff;
	seg->base = base;
}

/* Architectural reset state (APM 14.1.3), as KVM's vCPU reset. */
static void svm_save_reset(struct vmcb_save *s)
{
	svm_seg_init(&s->cs, 0xf000, 0x9b, 0xffff0000);	/* code, P, S */
	svm_seg_init(&s->ds, 0, 0x93, 0);			/* data, P, S */
	s->es = s->ss = s->fs = s->gs = s->ds;
	svm_seg_init(&s->gdtr, 0, 0, 0);
	svm_seg_init(&s->idtr, 0, 0, 0);
	svm_seg_init(&s->ldtr, 0, 0x82, 0);			/* LDT, P */
	svm_seg_init(&s->tr, 0, 0x8b, 0);			/* busy TSS, P */
	s->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	s->efer = EFER_SVME;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = 0x0007040600070406ULL;			/* power-on PAT */
}

/*
 * What the guest may not do without khv seeing it; the reasons are in
 * Documentation/security.md. Exceptions: #DB and #AC, whose delivery can
 * fault again forever inside the CPU (no interrupt would get the host CPU
 * back), and #MC, which belongs to the host; #UD, as KVM, for the other
 * vendor's hypercall instruction (KVM_X86_QUIRK_FIX_HYPERCALL_INSN). CR4
 * writes: only bits khv allows (PKE, OSXSAVE would reach host PKRU/XCR0).
 * CR0 writes that change more than TS and MP: checked by khv, as KVM (not
 * every CPU checks them: QEMU's TCG loads PG without PE). RDPMC (host
 * counters), WBINVD (host-wide cache flush), RDPRU, ICEBP as KVM.
 */
#define SVM_INTERCEPT_EXCEPTIONS	(BIT(DB_VECTOR) | BIT(AC_VECTOR) | \
					 BIT(MC_VECTOR) | BIT(UD_VECTOR))

/*
 * PAUSE loops exit (for a directed yield) only with the pause filter:
 * after this many PAUSEs, counted while they come at most the threshold
 * of cycles apart where the CPU has one (KVM's defaults).
 */
#define SVM_PAUSE_FILTER_COUNT		3000
#define SVM_PAUSE_FILTER_THRESH		128

static void svm_control_init(struct vmcb_control *c)
{
	c->intercept_cr = SVM_ICR_WRITE(4);
	/* MOV DR works on the guest's copy (vcpu->dr), never the CPU's DR0-3 */
	c->intercept_dr = 0xffffffff;
	c->intercept_exceptions = SVM_INTERCEPT_EXCEPTIONS;
	c->intercept_misc1 = SVM_I1_INTR | SVM_I1_NMI | SVM_I1_SMI |
			     SVM_I1_INIT | SVM_I1_CR0_SEL | SVM_I1_RDPMC | SVM_I1_CPUID |
			     SVM_I1_INVD | SVM_I1_HLT | SVM_I1_INVLPGA |
			     SVM_I1_IOIO_PROT | SVM_I1_MSR_PROT |
			     SVM_I1_SHUTDOWN;
	c->intercept_misc2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD |
			     SVM_I2_VMSAVE | SVM_I2_STGI | SVM_I2_CLGI |
			     SVM_I2_SKINIT | SVM_I2_ICEBP | SVM_I2_WBINVD |
			     SVM_I2_MONITOR | SVM_I2_MWAIT |
			     SVM_I2_MWAIT_COND | SVM_I2_XSETBV | SVM_I2_RDPRU |
			     SVM_I2_RDTSCP;
	/* RDTSCP and INVPCID #UD until the guest's CPUID says (svm_allow_insns()) */
	c->intercept_misc3 = SVM_I3_INVPCID;
	if (svm_host.pause_filter) {
		c->intercept_misc1 |= SVM_I1_PAUSE;
		c->pause_filter_count = SVM_PAUSE_FILTER_COUNT;
		if (svm_host.pause_thresh)
			c->pause_filter_thresh = SVM_PAUSE_FILTER_THRESH;
	}
	c->iopm_base_pa = svm_host.iopm_pa;
	c->msrpm_base_pa = svm_host.msrpm_pa;
	/* Guest RFLAGS.IF masks only virtual interrupts; host ones exit. */
	c->int_ctl = SVM_INT_V_INTR_MASKING;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
}

/* CR0 bits the CPU may run without while the guest has them set */
#define SVM_CR0_CACHE_BITS	(X86_CR0_CD | X86_CR0_NW)

/* The guest's CR0: the VMCB's, with the cache bits svm_load_cr0() kept back. */
static u64 svm_guest_cr0(const struct svm_vcpu *svm)
{
	return svm->vmcb->save.cr0 | svm->cr0_hidden;
}

/*
 * Give the guest CR0 @cr0. While KVM's CD_NW_CLEARED quirk is on (the
 * default; KVM_CAP_DISABLE_QUIRKS2), the CPU runs the guest with caching
 * enabled whatever CD and NW say, as KVM on AMD: firmware such as SeaBIOS
 * never clears them, and on hardware a guest with caches off crawls. So
 * that the guest still reads and changes its own value, every CR0 read
 * and write exits while the two differ (svm_exit_cr0_read(), the full
 * write intercept); otherwise only the selective write intercept stays.
 */
static void svm_load_cr0(struct svm_vcpu *svm, u64 cr0)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u64 hide = 0;

	if (!khv_quirk_off(svm->vcpu.vm, KVM_X86_QUIRK_CD_NW_CLEARED))
		hide = cr0 & SVM_CR0_CACHE_BITS;
	svm->cr0_hidden = hide;
	svm->vmcb->save.cr0 = cr0 & ~hide;
	if (hide)
		c->intercept_cr |= SVM_ICR_READ(0) | SVM_ICR_WRITE(0);
	else
		c->intercept_cr &= ~(SVM_ICR_READ(0) | SVM_ICR_WRITE(0));
}

int svm_vcpu_init(struct khv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	memset(svm->vmcb, 0, PAGE_SIZE);
	svm_control_init(&svm->vmcb->control);
	svm_save_reset(&svm->vmcb->save);
	svm_load_cr0(svm, svm->vmcb->save.cr0);
	svm->asid_cpu = -1;
	svm->tsc_aux = 0;
	return 0;
}

/* A fresh ASID on this CPU: the TLB holds nothing for it. */
static void svm_new_asid(struct svm_vcpu *svm, int cpu)
{
	struct svm_asids *a = this_cpu_ptr(&svm_asids);

	if (a->next >= svm_host.max_asid) {
		a->gen++;
		a->next = 1;
		svm->vmcb->control.tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	}
	svm->asid = a->next++;
	svm->asid_gen = a->gen;
	svm->asid_cpu = cpu;
	svm->vmcb->control.asid = svm->asid;
}

static void svm_load_state(struct svm_vcpu *svm, u64 pt_root, bool flush)
{
	struct khv_vcpu *vcpu = &svm->vcpu;
	struct vmcb *vmcb = svm->vmcb;
	int cpu = smp_processor_id();

	if (flush || svm->asid_cpu != cpu ||
	    svm->asid_gen != this_cpu_read(svm_asids.gen))
		svm_new_asid(svm, cpu);
	vmcb->control.nested_cr3 = pt_root;
	vmcb->control.clean = 0;
	/* guest CR8 accesses go to V_TPR without an exit */
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~SVM_INT_V_TPR_MASK) |
				(vcpu->tpr & 0xf);
	vmcb->save.rax = vcpu->gprs[0];
	vmcb->save.rsp = vcpu->gprs[4];
	vmcb->save.rip = vcpu->rip;
	vmcb->save.rflags = vcpu->rflags;
	/* VMRUN switches DR6 and DR7 (the CPU sets DR6 on a guest #DB) */
	vmcb->save.dr6 = vcpu->hw_dr6;
	vmcb->save.dr7 = vcpu->hw_dr7;
}

static void svm_store_state(struct svm_vcpu *svm)
{
	struct khv_vcpu *vcpu = &svm->vcpu;
	struct vmcb *vmcb = svm->vmcb;

	vcpu->gprs[0] = vmcb->save.rax;
	vcpu->gprs[4] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	vcpu->tpr = vmcb->control.int_ctl & 0xf;
	vcpu->hw_dr6 = vmcb->save.dr6;
	vmcb->control.tlb_control = 0;
}

/* TSC_AUX is not switched by VMRUN: the guest's while RDTSCP may run. */
static __always_inline u64 svm_tsc_aux_enter(struct svm_vcpu *svm)
{
	u64 host = 0;

	if (boot_cpu_has(X86_FEATURE_RDTSCP)) {
		rdmsrl(MSR_TSC_AUX, host);
		if (host != svm->tsc_aux)
			wrmsrl(MSR_TSC_AUX, svm->tsc_aux);
	}
	return host;
}

static __always_inline void svm_tsc_aux_exit(struct svm_vcpu *svm, u64 host)
{
	if (boot_cpu_has(X86_FEATURE_RDTSCP) && host != svm->tsc_aux)
		wrmsrl(MSR_TSC_AUX, host);
}

/*
 * Exit handlers: fill @exit for the core. Exits the core does not see
 * (host interrupts, instructions a guest may not use) end in RESUME.
 */
typedef void (*svm_exit_fn)(struct svm_vcpu *svm, struct khv_exit *exit);

/* The host took its interrupt (NMI, SMI, INIT) at STGI; the guest goes on. */
static void svm_exit_host(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_HOST_EVENT;
}

/* SVM instructions, RDPRU: #UD. */
static void svm_exit_ud(struct svm_vcpu *svm, struct khv_exit *exit)
{
	svm_inject_exception(&svm->vcpu, UD_VECTOR, false, 0);
	exit->kind = KHV_EXIT_RESUME;
}

/* RIP after a fixed-length instruction, when the CPU does not say. */
static u64 svm_next_rip(struct svm_vcpu *svm, u8 len)
{
	if (svm_host.nrips)
		return svm->vmcb->control.next_rip;
	return svm->vmcb->save.rip + len;
}

/* INVD: a guest has no caches of its own to drop; skip it. */
static void svm_exit_invd(struct svm_vcpu *svm, struct khv_exit *exit)
{
	khv_skip_insn(&svm->vcpu, svm_next_rip(svm, 2));
	exit->kind = KHV_EXIT_RESUME;
}

static void svm_exit_xsetbv(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_XSETBV;
	exit->next_rip = svm_next_rip(svm, 3);
}

static void svm_exit_cpuid(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_CPUID;
	exit->next_rip = svm_next_rip(svm, 2);
}

/* VMMCALL: KVM's hypercall instruction on AMD (0f 01 d9). */
static void svm_exit_vmmcall(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_HYPERCALL;
	exit->next_rip = svm_next_rip(svm, 3);
}

static void svm_exit_hlt(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_HLT;
	exit->next_rip = svm_next_rip(svm, 1);
}

static void svm_exit_msr(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = exit->info1 ? KHV_EXIT_WRMSR : KHV_EXIT_RDMSR;
	exit->next_rip = svm_next_rip(svm, 2);
}

static void svm_exit_ioio(struct svm_vcpu *svm, struct khv_exit *exit)
{
	u64 info = exit->info1;

	exit->kind = KHV_EXIT_IO;
	exit->next_rip = exit->info2;	/* always provided for IOIO */
	exit->io.port = info >> SVM_IOIO_PORT_SHIFT;
	exit->io.size = (info >> SVM_IOIO_SIZE_SHIFT) & 7;
	exit->io.addr_size = ((info >> SVM_IOIO_ASIZE_SHIFT) & 7) << 1;
	exit->io.in = info & SVM_IOIO_IN;
	exit->io.string = info & SVM_IOIO_STR;
	exit->io.rep = info & SVM_IOIO_REP;
}

static void svm_exit_dr(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_DR_ACCESS;
}

/* MOV to CR4; with decode assists the CPU names the source register. */
static void svm_exit_cr_write(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_CR_WRITE;
	exit->cr.cr = exit->hw_code - SVM_EXIT_WRITE_CR0;
	exit->cr.gpr = -1;
	exit->cr.type = KHV_CR_MOV;
	if (svm_host.decode_assists && (exit->info1 & SVM_CR_INFO_VALID))
		exit->cr.gpr = exit->info1 & SVM_CR_INFO_GPR_MASK;
	if (svm_host.nrips)
		exit->next_rip = svm->vmcb->control.next_rip;
}

/*
 * A CR0 access: with decode assists a MOV names its register; anything
 * else (SMSW, CLTS, LMSW, or any access without them) is decoded.
 */
static void svm_exit_cr0(struct svm_vcpu *svm, struct khv_exit *exit,
			 enum khv_exit_kind kind)
{
	exit->kind = kind;
	exit->cr.cr = 0;
	exit->cr.gpr = -1;
	exit->cr.type = KHV_CR_DECODE;
	if (svm_host.decode_assists && (exit->info1 & SVM_CR_INFO_VALID)) {
		exit->cr.gpr = exit->info1 & SVM_CR_INFO_GPR_MASK;
		exit->cr.type = KHV_CR_MOV;
	}
	if (svm_host.nrips)
		exit->next_rip = svm->vmcb->control.next_rip;
}

/*
 * MOV to CR0 or LMSW changing more than TS and MP or, with the full write
 * intercept (svm_load_cr0()), any MOV to CR0, CLTS or LMSW.
 */
static void svm_exit_cr0_sel(struct svm_vcpu *svm, struct khv_exit *exit)
{
	svm_exit_cr0(svm, exit, KHV_EXIT_CR_WRITE);
}

/* MOV from CR0 or SMSW while the guest's CR0 differs from the VMCB's. */
static void svm_exit_cr0_read(struct svm_vcpu *svm, struct khv_exit *exit)
{
	svm_exit_cr0(svm, exit, KHV_EXIT_CR_READ);
}

/* #DB: the CPU already updated the guest's DR6 (saved in the VMCB). */
static void svm_exit_db(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_EXCEPTION;
	exit->exc.vector = DB_VECTOR;
	exit->exc.has_error = false;
}

/* #BP, intercepted only for KVM_GUESTDBG_USE_SW_BP: RIP is the INT3's. */
static void svm_exit_bp(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_EXCEPTION;
	exit->exc.vector = BP_VECTOR;
	exit->exc.has_error = false;
}

/*
 * #UD: the core looks for the other vendor's hypercall instruction
 * (KVM_X86_QUIRK_FIX_HYPERCALL_INSN) before the guest gets it.
 */
static void svm_exit_ud_fault(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_EXCEPTION;
	exit->exc.vector = UD_VECTOR;
	exit->exc.has_error = false;
}

/* #AC always has error code 0. */
static void svm_exit_ac(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_EXCEPTION;
	exit->exc.vector = AC_VECTOR;
	exit->exc.has_error = true;
	exit->exc.error = 0;
}

/*
 * A machine check while the guest ran: the CPU gave it to us instead of
 * to the host's handler, which gets it now (interrupts still off), as if
 * it had hit user space. The guest goes on.
 */
static void svm_exit_mc(struct svm_vcpu *svm, struct khv_exit *exit)
{
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	if (IS_ENABLED(CONFIG_X86_MCE))
		do_machine_check(&regs);
	exit->kind = KHV_EXIT_RESUME;
}

static void svm_exit_icebp(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_ICEBP;
	exit->next_rip = svm_next_rip(svm, 1);
}

static void svm_exit_rdpmc(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_RDPMC;
}

static void svm_exit_wbinvd(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_WBINVD;
	exit->next_rip = svm_next_rip(svm, 2);
}

/* MONITOR, MWAIT and MWAIT with the monitor armed: the core decides. */
static void svm_exit_mwait(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_MWAIT;
	exit->next_rip = svm_next_rip(svm, 3);
}

static void svm_exit_pause(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_PAUSE;
	exit->next_rip = svm_next_rip(svm, 2);
}

static void svm_exit_vintr(struct svm_vcpu *svm, struct khv_exit *exit)
{
	svm_want_irq_window(&svm->vcpu, false);
	exit->kind = KHV_EXIT_IRQ_WINDOW;
}

static void svm_exit_iret(struct svm_vcpu *svm, struct khv_exit *exit)
{
	svm_want_nmi_window(&svm->vcpu, false);
	exit->kind = KHV_EXIT_NMI_WINDOW;
}

static void svm_exit_shutdown(struct svm_vcpu *svm, struct khv_exit *exit)
{
	exit->kind = KHV_EXIT_SHUTDOWN;
}

#define SVM_EXIT_DR_FIRST	0x020	/* reads 0x20-0x2f, writes 0x30-0x3f */
#define SVM_EXIT_DR_LAST	0x03f

static const svm_exit_fn svm_exit_table[] = {
	[SVM_EXIT_READ_CR0]	= svm_exit_cr0_read,
	[SVM_EXIT_WRITE_CR0]	= svm_exit_cr0_sel,
	[SVM_EXIT_WRITE_CR4]	= svm_exit_cr_write,
	[SVM_EXIT_WRITE_CR8]	= svm_exit_cr_write,
	[SVM_EXIT_DR_FIRST ... SVM_EXIT_DR_LAST] = svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + DB_VECTOR] = svm_exit_db,
	[SVM_EXIT_EXCP_BASE + BP_VECTOR] = svm_exit_bp,
	[SVM_EXIT_EXCP_BASE + UD_VECTOR] = svm_exit_ud_fault,
	[SVM_EXIT_EXCP_BASE + AC_VECTOR] = svm_exit_ac,
	[SVM_EXIT_EXCP_BASE + MC_VECTOR] = svm_exit_mc,
	[SVM_EXIT_INTR]		= svm_exit_host,
	[SVM_EXIT_NMI]		= svm_exit_host,
	[SVM_EXIT_SMI]		= svm_exit_host,
	[SVM_EXIT_INIT]		= svm_exit_host,
	[SVM_EXIT_VINTR]	= svm_exit_vintr,
	[SVM_EXIT_CR0_SEL_WRITE] = svm_exit_cr0_sel,
	[SVM_EXIT_RDPMC]	= svm_exit_rdpmc,
	[SVM_EXIT_CPUID]	= svm_exit_cpuid,
	[SVM_EXIT_IRET]		= svm_exit_iret,
	[SVM_EXIT_INVD]		= svm_exit_invd,
	[SVM_EXIT_PAUSE]	= svm_exit_pause,
	[SVM_EXIT_HLT]		= svm_exit_hlt,
	[SVM_EXIT_INVLPGA]	= svm_exit_ud,
	[SVM_EXIT_IOIO]		= svm_exit_ioio,
	[SVM_EXIT_MSR]		= svm_exit_msr,
	[SVM_EXIT_SHUTDOWN]	= svm_exit_shutdown,
	[SVM_EXIT_VMRUN]	= svm_exit_ud,
	[SVM_EXIT_VMMCALL]	= svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD]	= svm_exit_ud,
	[SVM_EXIT_VMSAVE]	= svm_exit_ud,
	[SVM_EXIT_STGI]		= svm_exit_ud,
	[SVM_EXIT_CLGI]		= svm_exit_ud,
	[SVM_EXIT_SKINIT]	= svm_exit_ud,
	[SVM_EXIT_RDTSCP]	= svm_exit_ud,
	[SVM_EXIT_ICEBP]	= svm_exit_icebp,
	[SVM_EXIT_WBINVD]	= svm_exit_wbinvd,
	[SVM_EXIT_MONITOR]	= svm_exit_mwait,
	[SVM_EXIT_MWAIT]	= svm_exit_mwait,
	[SVM_EXIT_MWAIT_COND]	= svm_exit_mwait,
	[SVM_EXIT_XSETBV]	= svm_exit_xsetbv,
	[SVM_EXIT_RDPRU]	= svm_exit_ud,
	[SVM_EXIT_INVPCID]	= svm_exit_ud,
};

/*
 * V_IRQ serves two purposes: without the VINTR intercept it carries an
 * injected interrupt (svm_inject_irq()), which the CPU clears when the
 * guest takes it; with the intercept it only asks for the exit that says
 * the guest can take one (svm_want_irq_window()).
 */
static bool svm_virq_injected(const struct vmcb_control *c)
{
	return (c->int_ctl & SVM_INT_V_IRQ) &&
	       !(c->intercept_misc1 & SVM_I1_VINTR);
}

/*
 * An event the exit interrupted is delivered again on the next entry; an
 * external interrupt the way svm_inject_irq() would put it in.
 */
static void svm_requeue_event(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u32 type = c->exit_int_info & SVM_EVT_TYPE_MASK;
	u8 vector = c->exit_int_info & SVM_EVT_VECTOR_MASK;

	if (!(c->exit_int_info & SVM_EVT_VALID))
		return;
	/*
	 * QEMU's TCG records an interrupt it delivered through V_IRQ as an
	 * exception, which vectors 32-255 can never be.
	 */
	if (type == SVM_EVT_TYPE_INTR ||
	    (type == SVM_EVT_TYPE_EXCEPTION && vector >= 32)) {
		svm_inject_irq(&svm->vcpu, vector);
		return;
	}
	c->event_inj = c->exit_int_info;
	c->event_inj_err = c->exit_int_info_err;
}

/*
 * Did the guest take the vector offered in V_IRQ? The CPU clears V_IRQ
 * when it does; an exit in the middle of the delivery also names it in
 * EXITINTINFO (QEMU's TCG leaves V_IRQ set then), and svm_requeue_event()
 * delivers it again, now as an injected, acknowledged interrupt. Untaken,
 * the offer is withdrawn. Before svm_requeue_event(), which reuses V_IRQ.
 */
static void svm_settle_offer(struct svm_vcpu *svm)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u8 vector = c->int_vector & 0xff;
	u32 type = c->exit_int_info & SVM_EVT_TYPE_MASK;
	bool taken;

	if (!svm->virq_offered)
		return;
	svm->virq_offered = false;
	taken = !(c->int_ctl & SVM_INT_V_IRQ);
	if ((c->exit_int_info & SVM_EVT_VALID) &&
	    (c->exit_int_info & SVM_EVT_VECTOR_MASK) == vector &&
	    (type == SVM_EVT_TYPE_INTR ||
	     (type == SVM_EVT_TYPE_EXCEPTION && vector >= 32)))
		taken = true;
	if (!taken)
		c->int_ctl &= ~SVM_INT_VIRQ_BITS;
	svm->offer_taken = taken ? vector : -1;
}

static void svm_translate_exit(struct svm_vcpu *svm, struct khv_exit *exit)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u64 code = c->exit_code;
	svm_exit_fn fn = NULL;

	exit->hw_code = code;
	exit->info1 = c->exit_info_1;
	exit->info2 = c->exit_info_2;
	exit->next_rip = 0;
	svm_settle_offer(svm);
	svm_requeue_event(svm);
	if (code == SVM_EXIT_NPF) {
		exit->kind = KHV_EXIT_NPF;
		exit->npf.gpa = c->exit_info_2;
		exit->npf.error = c->exit_info_1;
		return;
	}
	/* VMEXIT_INVALID is -1; some CPUs (QEMU's) write only 32 bits of it */
	if ((u32)code == (u32)SVM_EXIT_INVALID) {
		exit->kind = KHV_EXIT_FAIL_ENTRY;
		exit->hw_code = (u32)code;	/* what KVM reports */
		return;
	}
	if (code < ARRAY_SIZE(svm_exit_table))
		fn = svm_exit_table[code];
	if (!fn) {
		exit->kind = KHV_EXIT_UNHANDLED;
		return;
	}
	fn(svm, exit);
}

/*
 * Branch predictions one vCPU trained must not steer the next: when this
 * CPU enters a different VMCB than last time, IBPB first (unless the host
 * already issues one at every #VMEXIT), as KVM.
 */
static void svm_predictor_barrier(struct svm_vcpu *svm)
{
	if (this_cpu_read(svm_last_vmcb) == svm->vmcb)
		return;
	this_cpu_write(svm_last_vmcb, svm->vmcb);
	if (!cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT))
		indirect_branch_prediction_barrier();
}

/*
 * PKRU is not switched by VMRUN. khv guests cannot enable CR4.PKE (nor
 * OSXSAVE, for XRSTOR), so theirs is the host's; should that ever change,
 * the host's value comes back here before anything in the host runs.
 */
static __always_inline u32 svm_pkru_enter(void)
{
	return cpu_feature_enabled(X86_FEATURE_OSPKE) ? rdpkru() : 0;
}

static __always_inline void svm_pkru_exit(u32 host)
{
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) && rdpkru() != host)
		wrpkru(host);
}

void svm_vcpu_enter(struct khv_vcpu *vcpu, u64 pt_root, bool flush,
		    struct khv_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 host_aux;
	u32 host_pkru;

	svm_load_state(svm, pt_root, flush);
	svm_predictor_barrier(svm);
	host_aux = svm_tsc_aux_enter(svm);
	host_pkru = svm_pkru_enter();
	asm volatile("clgi" : : : "memory");
	/* IF=1 with GIF=0: host interrupts wait, then exit the guest. */
	raw_local_irq_enable();
	if (svm_vmrun(vcpu->gprs, svm->vmcb_pa,
		      page_to_phys(this_cpu_read(svm_vmsave_page)))) {
		raw_local_irq_disable();
		asm volatile("stgi" : : : "memory");
		svm_pkru_exit(host_pkru);
		svm_tsc_aux_exit(svm, host_aux);
		exit->kind = KHV_EXIT_RESUME;	/* SVM went off: retry */
		return;
	}
	raw_local_irq_disable();
	svm_pkru_exit(host_pkru);
	asm volatile("stgi" : : : "memory");
	svm_tsc_aux_exit(svm, host_aux);
	svm_store_state(svm);
	svm_translate_exit(svm, exit);
}

/* Segments: VMCB's packed attributes <-> struct kvm_segment. */
static void svm_seg_get(const struct vmcb_seg *v, struct kvm_segment *k)
{
	u16 a = v->attrib;

	k->base = v->base;
	k->limit = v->limit;
	k->selector = v->selector;
	k->type = a & 0xf;
	k->s = (a >> 4) & 1;
	k->dpl = (a >> 5) & 3;
	k->present = (a >> 7) & 1;
	k->avl = (a >> 8) & 1;
	k->l = (a >> 9) & 1;
	k->db = (a >> 10) & 1;
	k->g = (a >> 11) & 1;
	k->unusable = !k->present;
	k->padding = 0;
}

static void svm_seg_set(struct vmcb_seg *v, const struct kvm_segment *k)
{
	v->base = k->base;
	v->limit = k->limit;
	v->selector = k->selector;
	v->attrib = k->unusable ? 0 :
		    (k->type & 0xf) | (k->s & 1) << 4 | (k->dpl & 3) << 5 |
		    (k->present & 1) << 7 | (k->avl & 1) << 8 |
		    (k->l & 1) << 9 | (k->db & 1) << 10 | (k->g & 1) << 11;
}

static void svm_dtable_get(const struct vmcb_seg *v, struct kvm_dtable *d)
{
	d->base = v->base;
	d->limit = v->limit;
	memset(d->padding, 0, sizeof(d->padding));
}

static void svm_dtable_set(struct vmcb_seg *v, const struct kvm_dtable *d)
{
	v->base = d->base;
	v->limit = d->limit;
}

/* VMCB segments and their struct kvm_sregs counterparts. */
static const struct {
	size_t vmcb, sregs;
} svm_segs[] = {
	{ offsetof(struct vmcb_save, cs), offsetof(struct kvm_sregs, cs) },
	{ offsetof(struct vmcb_save, ds), offsetof(struct kvm_sregs, ds) },
	{ offsetof(struct vmcb_save, es), offsetof(struct kvm_sregs, es) },
	{ offsetof(struct vmcb_save, fs), offsetof(struct kvm_sregs, fs) },
	{ offsetof(struct vmcb_save, gs), offsetof(struct kvm_sregs, gs) },
	{ offsetof(struct vmcb_save, ss), offsetof(struct kvm_sregs, ss) },
	{ offsetof(struct vmcb_save, tr), offsetof(struct kvm_sregs, tr) },
	{ offsetof(struct vmcb_save, ldtr), offsetof(struct kvm_sregs, ldt) },
};

#define SVM_SEG(v, i)	((struct vmcb_seg *)((char *)(v) + svm_segs[i].vmcb))
#define KVM_SEG(s, i)	((struct kvm_segment *)((char *)(s) + svm_segs[i].sregs))

void svm_get_sregs(struct khv_vcpu *vcpu, struct kvm_sregs *s)
{
	struct vmcb_save *v = &to_svm(vcpu)->vmcb->save;
	int i;

	for (i = 0; i < ARRAY_SIZE(svm_segs); i++)
		svm_seg_get(SVM_SEG(v, i), KVM_SEG(s, i));
	svm_dtable_get(&v->gdtr, &s->gdt);
	svm_dtable_get(&v->idtr, &s->idt);
	s->cr0 = svm_guest_cr0(to_svm(vcpu));
	s->cr2 = v->cr2;
	s->cr3 = v->cr3;
	s->cr4 = v->cr4;
	s->efer = v->efer & ~EFER_SVME;
}

/* @s is validated by the core. CPL follows CS.DPL, as after a far jump. */
void svm_set_sregs(struct khv_vcpu *vcpu, const struct kvm_sregs *s)
{
	struct vmcb_save *v = &to_svm(vcpu)->vmcb->save;
	int i;

	for (i = 0; i < ARRAY_SIZE(svm_segs); i++)
		svm_seg_set(SVM_SEG(v, i), KVM_SEG(s, i));
	svm_dtable_set(&v->gdtr, &s->gdt);
	svm_dtable_set(&v->idtr, &s->idt);
	svm_load_cr0(to_svm(vcpu), s->cr0);
	v->cr2 = s->cr2;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	v->efer = (s->efer & SVM_EFER_GUEST_BITS) | EFER_SVME;
	v->cpl = (s->cr0 & X86_CR0_PE) ? s->cs.dpl : 0;
}

/* A CR0 value the core has checked (selective CR0 write intercept). */
void svm_set_cr0(struct khv_vcpu *vcpu, u64 cr0)
{
	struct vmcb_save *v = &to_svm(vcpu)->vmcb->save;

	if ((cr0 & X86_CR0_PG) && !(v->cr0 & X86_CR0_PG) && (v->efer & EFER_LME))
		v->efer |= EFER_LMA;
	if (!(cr0 & X86_CR0_PG))
		v->efer &= ~EFER_LMA;
	svm_load_cr0(to_svm(vcpu), cr0);
}

void svm_set_cr4(struct khv_vcpu *vcpu, u64 cr4)
{
	to_svm(vcpu)->vmcb->save.cr4 = cr4;
}

void svm_get_paging(struct khv_vcpu *vcpu, struct khv_paging *p)
{
	struct vmcb_save *v = &to_svm(vcpu)->vmcb->save;
	const struct vmcb_seg *segs[6] = { &v->es, &v->cs, &v->ss, &v->ds,
					   &v->fs, &v->gs };
	int i;

	p->cr0 = svm_guest_cr0(to_svm(vcpu));
	p->cr3 = v->cr3;
	p->cr4 = v->cr4;
	p->efer = v->efer & ~EFER_SVME;
	p->cs_l = (v->cs.attrib >> 9) & 1;
	p->cs_db = (v->cs.attrib >> 10) & 1;
	p->cpl = v->cpl;
	for (i = 0; i < 6; i++)
		p->seg_base[i] = segs[i]->base;
}

/* MSRs the VMCB holds (or this backend switches). */
static u64 *svm_msr_slot(struct svm_vcpu *svm, u32 index)
{
	struct vmcb_save *v = &svm->vmcb->save;

	switch (index) {
	case MSR_STAR:			return &v->star;
	case MSR_LSTAR:			return &v->lstar;
	case MSR_CSTAR:			return &v->cstar;
	case MSR_SYSCALL_MASK:		return &v->sfmask;
	case MSR_KERNEL_GS_BASE:	return &v->kernel_gs_base;
	case MSR_IA32_SYSENTER_CS:	return &v->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &v->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &v->sysenter_eip;
	case MSR_FS_BASE:		return &v->fs.base;
	case MSR_GS_BASE:		return &v->gs.base;
	case MSR_IA32_CR_PAT:		return &v->g_pat;
	case MSR_TSC_AUX:		return &svm->tsc_aux;
	default:			return NULL;
	}
}

int svm_get_msr(struct khv_vcpu *vcpu, u32 index, u64 *data)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 *slot = svm_msr_slot(svm, index);

	if (slot) {
		*data = *slot;
	} else if (index == MSR_EFER) {
		*data = svm->vmcb->save.efer & ~EFER_SVME;
	} else if (index == MSR_IA32_TSC) {
		*data = rdtsc() + svm->vmcb->control.tsc_offset;
	} else {
		return -ENOENT;
	}
	return 0;
}

void svm_set_tsc_offset(struct khv_vcpu *vcpu, u64 offset)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = offset;
}

u64 svm_get_tsc_offset(struct khv_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.tsc_offset;
}

void svm_intercept_bp(struct khv_vcpu *vcpu, bool on)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (on)
		c->intercept_exceptions |= BIT(BP_VECTOR);
	else
		c->intercept_exceptions &= ~BIT(BP_VECTOR);
}

void svm_allow_insns(struct khv_vcpu *vcpu, u32 insns)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (insns & KHV_INSN_INVPCID)
		c->intercept_misc3 &= ~SVM_I3_INVPCID;
	else
		c->intercept_misc3 |= SVM_I3_INVPCID;
	if (insns & KHV_INSN_RDTSCP)
		c->intercept_misc2 &= ~SVM_I2_RDTSCP;
	else
		c->intercept_misc2 |= SVM_I2_RDTSCP;
}

/* Values are validated by the core (msr.c). */
int svm_set_msr(struct khv_vcpu *vcpu, u32 index, u64 data)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 *slot = svm_msr_slot(svm, index);

	if (slot) {
		*slot = data;
	} else if (index == MSR_EFER) {
		svm->vmcb->save.efer = (data & SVM_EFER_GUEST_BITS) | EFER_SVME;
	} else if (index == MSR_IA32_TSC) {
		svm->vmcb->control.tsc_offset = data - rdtsc();
	} else {
		return -ENOENT;
	}
	return 0;
}

u32 svm_interrupt_shadow(struct khv_vcpu *vcpu)
{
	/* SVM has one shadow bit for both causes; KVM reports it as both */
	return to_svm(vcpu)->vmcb->control.int_state & SVM_INT_STATE_SHADOW ?
	       KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS : 0;
}

void svm_set_interrupt_shadow(struct khv_vcpu *vcpu, u32 shadow)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (shadow)
		c->int_state |= SVM_INT_STATE_SHADOW;
	else
		c->int_state &= ~SVM_INT_STATE_SHADOW;
}

bool svm_event_in_flight(struct khv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return (svm->vmcb->control.event_inj & SVM_EVT_VALID) ||
	       svm_virq_injected(&svm->vmcb->control);
}

/* The vector V_IRQ still holds for the guest, or -1; @cancel takes it back. */
int svm_queued_irq(struct khv_vcpu *vcpu, bool cancel)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;
	int vector = c->int_vector & 0xff;

	if (!svm_virq_injected(c))
		return -1;
	if (cancel)
		c->int_ctl &= ~SVM_INT_VIRQ_BITS;
	return vector;
}

static void svm_inject(struct khv_vcpu *vcpu, u32 evt, u32 err)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	c->event_inj = evt | SVM_EVT_VALID;
	c->event_inj_err = err;
}

/*
 * An external interrupt the guest can take now (IF=1, no interrupt shadow)
 * goes in as a virtual interrupt, V_IRQ with the vector: the CPU delivers
 * it at the guest's first instruction, as EVENTINJ would. Only one queued
 * while the guest cannot take it (KVM_INTERRUPT ignoring
 * ready_for_interrupt_injection, or KVM_SET_VCPU_EVENTS) is forced in
 * through EVENTINJ, as KVM does. The reason: QEMU 7.2's TCG, the test
 * machine, can deliver an EVENTINJ interrupt a second time when its
 * round-robin scheduler preempts the vCPU right after VMRUN; the guest
 * then takes it again inside its handler, with IF=0, and crashes or
 * deadlocks. V_IRQ does not go through that path.
 */
void svm_inject_irq(struct khv_vcpu *vcpu, u8 vector)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (!(vcpu->rflags & X86_EFLAGS_IF) || svm_interrupt_shadow(vcpu)) {
		svm_inject(vcpu, vector | SVM_EVT_TYPE_INTR, 0);
		return;
	}
	c->intercept_misc1 &= ~SVM_I1_VINTR;
	c->int_vector = vector;
	c->int_ctl |= SVM_INT_VIRQ_BITS;
}

void svm_inject_nmi(struct khv_vcpu *vcpu)
{
	svm_inject(vcpu, NMI_VECTOR | SVM_EVT_TYPE_NMI, 0);
}

void svm_inject_exception(struct khv_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error)
{
	vcpu->stat.exception_injections++;
	svm_inject(vcpu, vector | SVM_EVT_TYPE_EXCEPTION |
		   (has_error ? SVM_EVT_VALID_ERR : 0), error);
}

void svm_inject_page_fault(struct khv_vcpu *vcpu, u64 cr2, u32 error)
{
	to_svm(vcpu)->vmcb->save.cr2 = cr2;
	svm_inject_exception(vcpu, PF_VECTOR, true, error);
}

/* A virtual interrupt request makes the CPU exit once the guest can take it. */
/*
 * CR8 writes go to V_TPR without an exit; while an interrupt of the
 * in-kernel LAPIC waits for the TPR to drop, they exit instead, so that
 * the lowering write delivers it at once.
 */
void svm_want_cr8_exit(struct khv_vcpu *vcpu, bool on)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (on)
		c->intercept_cr |= SVM_ICR_WRITE(8);
	else
		c->intercept_cr &= ~SVM_ICR_WRITE(8);
}

void svm_want_irq_window(struct khv_vcpu *vcpu, bool on)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	/* V_IRQ is busy with an injected vector: its delivery ends the wait */
	if (svm_virq_injected(c))
		return;
	if (on) {
		c->int_ctl |= SVM_INT_VIRQ_BITS;
		c->intercept_misc1 |= SVM_I1_VINTR;
	} else {
		c->int_ctl &= ~SVM_INT_VIRQ_BITS;
		c->intercept_misc1 &= ~SVM_I1_VINTR;
	}
}

/*
 * V_IRQ without the VINTR intercept, as svm_inject_irq(), but for a guest
 * that cannot take it yet: the CPU delivers it once IF=1 and no shadow.
 * V_IGN_TPR: the core makes CR8 writes exit meanwhile and decides again.
 */
bool svm_offer_irq(struct khv_vcpu *vcpu, u8 vector)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	c->intercept_misc1 &= ~SVM_I1_VINTR;
	c->int_vector = vector;
	c->int_ctl |= SVM_INT_VIRQ_BITS;
	svm->virq_offered = true;
	svm->offer_taken = -1;
	return true;
}

/* After the exit (or instead of the entry): what became of the offer. */
int svm_offer_result(struct khv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int v = svm->offer_taken;

	if (svm->virq_offered) {	/* no entry: withdrawn */
		svm->vmcb->control.int_ctl &= ~SVM_INT_VIRQ_BITS;
		svm->virq_offered = false;
		v = -1;
	}
	svm->offer_taken = -1;
	return v;
}

/* IRET ends NMI blocking: exit on it while an NMI waits. */
void svm_want_nmi_window(struct khv_vcpu *vcpu, bool on)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (on)
		c->intercept_misc1 |= SVM_I1_IRET;
	else
		c->intercept_misc1 &= ~SVM_I1_IRET;
}
