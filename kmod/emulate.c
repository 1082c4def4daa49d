// SPDX-License-Identifier: GPL-2.0
/*
 * String I/O and MMIO completion. Guest linear addresses are translated
 * with the guest's own page tables (gwalk.c); a guest page fault met on
 * the way is injected into the guest, as the CPU would have raised it.
 *
 * Registers change when the instruction completes, at the KVM_RUN after
 * the exit, so user space sees them as they were before the instruction.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/traps.h>
#include <asm/fpu/xcr.h>

#include "khv.h"
#include "emulate.h"
#include "gwalk.h"
#include "alu.h"
#include "cpuid_policy.h"
#include "khv_trace.h"

#define RAX 0
#define RCX 1
#define RSI 6
#define RDI 7

static enum khv_cpu_mode khv_cpu_mode(const struct khv_paging *p)
{
	if (!(p->cr0 & X86_CR0_PE))
		return KHV_MODE_REAL;
	if ((p->efer & EFER_LMA) && p->cs_l)
		return KHV_MODE_LONG64;
	return p->cs_db ? KHV_MODE_PROT32 : KHV_MODE_PROT16;
}

static int khv_gwalk_read(void *opaque, u64 gpa, void *buf, u32 len)
{
	return khv_read_guest(opaque, gpa, buf, len);
}

/* ... for a walk in khv_linear_copy(), which holds mmu_lock */
static int khv_gwalk_read_locked(void *opaque, u64 gpa, void *buf, u32 len)
{
	return khv_guest_copy_locked(opaque, gpa, buf, len, false);
}

/*
 * An access flag beside the KHV_GWALK_* bits: a fault is reported
 * (KHV_EMU_FAULTED) but no #PF raised: bytes read only in case they are
 * needed, such as the rest of 15 instruction bytes on the next page.
 */
#define KHV_ACCESS_PROBE	BIT(31)

/*
 * Linear to guest physical; injects #PF and returns KHV_EMU_FAULTED.
 * @locked: the caller holds mmu_lock.
 */
static int khv_linear_to_gpa(struct khv_vcpu *vcpu, const struct khv_paging *p,
			     u64 gla, u32 access, u64 *gpa, bool locked)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	struct khv_gwalk_ctx ctx = {
		.cr0 = p->cr0, .cr3 = p->cr3, .cr4 = p->cr4, .efer = p->efer,
		.read_gpa = locked ? khv_gwalk_read_locked : khv_gwalk_read,
		.opaque = vcpu,
		.phys_bits = khv_guest_maxphyaddr(&v), .gbpages = 1,
	};
	struct khv_gwalk_result res;
	int r;

	if (p->cpl == 3)
		access |= KHV_GWALK_USER;
	r = khv_gwalk(&ctx, gla, access & ~KHV_ACCESS_PROBE, &res);
	if (r == -EFAULT) {
		if (!(access & KHV_ACCESS_PROBE))
			khv_ops->inject_page_fault(vcpu, gla, res.error_code);
		return KHV_EMU_FAULTED;
	}
	if (r)
		return -EFAULT;
	*gpa = res.gpa;
	return 0;
}

/*
 * Copy @len bytes at linear @gla (page by page) for an @access of
 * KHV_GWALK_WRITE, KHV_GWALK_FETCH or 0 (a read), maybe with
 * KHV_ACCESS_PROBE. 0, KHV_EMU_FAULTED, < 0. The slots are held once for
 * the walks' reads and the copy (an instruction fetch is five reads).
 */
static int khv_linear_copy(struct khv_vcpu *vcpu, const struct khv_paging *p,
			   u64 gla, void *buf, u32 len, u32 access)
{
	bool write = access & KHV_GWALK_WRITE;
	int r = 0;

	mutex_lock(&vcpu->vm->mmu_lock);
	while (len) {
		u32 n = min_t(u32, len, PAGE_SIZE - (gla & ~PAGE_MASK));
		u64 gpa;

		r = khv_linear_to_gpa(vcpu, p, gla, access, &gpa, true);
		if (!r)
			r = khv_guest_copy_locked(vcpu, gpa, buf, n, write);
		if (r)
			break;
		gla += n;
		buf += n;
		len -= n;
	}
	mutex_unlock(&vcpu->vm->mmu_lock);
	return r;
}

int khv_system_rw(struct khv_vcpu *vcpu, u64 gla, void *buf, u32 len,
		  bool write)
{
	struct khv_paging p;

	khv_ops->get_paging(vcpu, &p);
	p.cpl = 0;
	return khv_linear_copy(vcpu, &p, gla, buf, len,
			       write ? KHV_GWALK_WRITE : 0);
}

/*
 * Fetch the instruction at CS:RIP: as many of 15 bytes as are mapped, in
 * *len. 0, KHV_EMU_FAULTED (the first byte's page faulted) or < 0.
 */
static int khv_fetch(struct khv_vcpu *vcpu, const struct khv_paging *p,
		     u8 *buf, int *len)
{
	u64 gla = p->seg_base[KHV_SEG_CS] + vcpu->rip;
	u32 first;
	int r;

	vcpu->stat.insn_emulation++;
	if (khv_cpu_mode(p) != KHV_MODE_LONG64)
		gla = (u32)gla;
	first = min_t(u32, KHV_INSN_MAX_LEN, PAGE_SIZE - (gla & ~PAGE_MASK));
	r = khv_linear_copy(vcpu, p, gla, buf, first, KHV_GWALK_FETCH);
	if (r)
		return r;
	*len = first;
	/*
	 * The rest may be on an unmapped page, which is no #PF: the
	 * instruction may end before it (decoding says if it matters).
	 */
	if (first < KHV_INSN_MAX_LEN &&
	    !khv_linear_copy(vcpu, p, gla + first, buf + first,
			     KHV_INSN_MAX_LEN - first,
			     KHV_GWALK_FETCH | KHV_ACCESS_PROBE))
		*len = KHV_INSN_MAX_LEN;
	return 0;
}

/*
 * A guest image made on the other vendor's CPUs calls KVM with its
 * hypercall instruction, which raises #UD here (VMCALL on AMD, VMMCALL
 * on Intel). KVM turns the three bytes into this CPU's own instruction
 * and lets the guest run them again, unless user space disabled
 * KVM_X86_QUIRK_FIX_HYPERCALL_INSN; so does khv. Only the bare
 * instruction at CS:RIP is rewritten (a prefixed one stays a #UD), and
 * the write is the guest's own: at its CPL, with its page protections.
 */
int khv_fix_hypercall(struct khv_vcpu *vcpu)
{
	static const u8 vmcall[3] = { 0x0f, 0x01, 0xc1 };
	static const u8 vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	bool svm = khv_ops == &khv_svm_ops;
	const u8 *other = svm ? vmcall : vmmcall;
	const u8 *native = svm ? vmmcall : vmcall;
	u8 insn[3], patch[3];
	struct khv_paging p;
	u64 gla;
	int r;

	if (khv_quirk_off(vcpu->vm, KVM_X86_QUIRK_FIX_HYPERCALL_INSN))
		return 0;
	khv_ops->get_paging(vcpu, &p);
	gla = p.seg_base[KHV_SEG_CS] + vcpu->rip;
	if (khv_cpu_mode(&p) != KHV_MODE_LONG64)
		gla = (u32)gla;
	/* the CPU fetched these bytes; one that no longer can is the guest's #UD */
	if (khv_linear_copy(vcpu, &p, gla, insn, sizeof(insn),
			    KHV_GWALK_FETCH | KHV_ACCESS_PROBE) ||
	    memcmp(insn, other, sizeof(insn)))
		return 0;
	memcpy(patch, native, sizeof(patch));
	r = khv_linear_copy(vcpu, &p, gla, patch, sizeof(patch), KHV_GWALK_WRITE);
	/* written, or its #PF injected (KHV_EMU_FAULTED); not RAM: the #UD stays */
	return r >= 0;
}

/* Add @delta to a register used as an address of @size bytes. */
static void khv_reg_add(u64 *reg, s64 delta, u8 size)
{
	u64 mask = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;

	*reg = (*reg & ~mask) | ((*reg + delta) & mask);
}

static u64 khv_reg_masked(u64 reg, u8 size)
{
	return size >= 8 ? reg : reg & ((1ULL << (8 * size)) - 1);
}

/* Element step of a string instruction: +size, or -size when DF is set. */
static s64 khv_string_step(struct khv_vcpu *vcpu, u8 size)
{
	return (vcpu->rflags & X86_EFLAGS_DF) ? -(s64)size : size;
}

/* Prefixes of a string I/O instruction: segment, address size, REP. */
static void khv_string_io_prefixes(struct khv_pio *pio, const u8 *b, int n,
				   enum khv_cpu_mode mode)
{
	static const u8 prefix_seg[6] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	bool asize = false;
	int i, s;

	pio->seg = KHV_SEG_DS;
	for (i = 0; i < n && (b[i] < 0x6c || b[i] > 0x6f); i++) {
		for (s = 0; s < 6; s++)
			if (b[i] == prefix_seg[s])
				pio->seg = s;
		asize |= b[i] == 0x67;
		if (b[i] == 0xf3 || b[i] == 0xf2)
			pio->rep = true;
	}
	if (mode == KHV_MODE_LONG64)
		pio->addr_size = asize ? 4 : 8;
	else if (mode == KHV_MODE_PROT32)
		pio->addr_size = asize ? 2 : 4;
	else
		pio->addr_size = asize ? 4 : 2;
}

/* Copy the elements of a string I/O between guest memory and the PIO page. */
static int khv_string_io_copy(struct khv_vcpu *vcpu, const struct khv_paging *p,
			      u64 base, u64 reg, bool to_guest)
{
	struct khv_pio *pio = &vcpu->pio;
	s64 step = khv_string_step(vcpu, pio->size);
	u32 i;
	int r;

	for (i = 0; i < pio->count; i++) {
		u64 gla = base + khv_reg_masked(reg + i * step, pio->addr_size);

		r = khv_linear_copy(vcpu, p, gla, vcpu->pio_data + i * pio->size,
				    pio->size, to_guest ? KHV_GWALK_WRITE : 0);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Elements per INS exit, as KVM: what RCX asks, at most what fits in the
 * destination page (at least one) and in 1 KiB. OUTS goes one at a time.
 */
static u32 khv_ins_count(struct khv_vcpu *vcpu, u64 rcx)
{
	struct khv_pio *pio = &vcpu->pio;
	u64 off = vcpu->gprs[RDI] & ~PAGE_MASK;
	u64 room = (vcpu->rflags & X86_EFLAGS_DF) ? off : PAGE_SIZE - off;

	room = max_t(u64, 1, room / pio->size);
	return min3(rcx, room, (u64)(1024 / pio->size));
}

/* Emulation failure: an internal error with the instruction's bytes. */
static int khv_emulation_failed(struct khv_vcpu *vcpu, u64 gpa, const u8 *insn,
				int len)
{
	struct kvm_run *run = vcpu->run;
	u64 bytes[2] = { 0, 0 };

	vcpu->stat.insn_emulation_fail++;
	if (insn)
		memcpy(bytes, insn, clamp(len, 0, 15));
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 4;
	run->internal.data[0] = gpa;
	run->internal.data[1] = vcpu->rip;
	run->internal.data[2] = bytes[0];
	run->internal.data[3] = bytes[1];
	return 0;
}

int khv_string_io_start(struct khv_vcpu *vcpu)
{
	struct khv_pio *pio = &vcpu->pio;
	u8 insn[KHV_INSN_MAX_LEN];
	struct khv_paging p;
	int r, len = 0;
	u64 n = 1;

	khv_ops->get_paging(vcpu, &p);
	r = khv_fetch(vcpu, &p, insn, &len);
	if (r)
		return r == KHV_EMU_FAULTED ? 0 : r;
	khv_string_io_prefixes(pio, insn, len, khv_cpu_mode(&p));
	if (pio->rep) {
		n = khv_reg_masked(vcpu->gprs[RCX], pio->addr_size);
		if (!n) {
			khv_skip_insn(vcpu, pio->next_rip);
			return 0;
		}
	}
	pio->count = pio->in ? khv_ins_count(vcpu, n) : 1;
	if (!pio->in) {
		r = khv_string_io_copy(vcpu, &p, p.seg_base[pio->seg],
				       vcpu->gprs[RSI], false);
		if (r)
			return r == KHV_EMU_FAULTED ? 0 : r;
	}
	vcpu->pending = KHV_PENDING_PIO;
	return 1;
}

int khv_string_io_finish(struct khv_vcpu *vcpu)
{
	struct khv_pio *pio = &vcpu->pio;
	struct khv_paging p;
	s64 total;
	int r;

	/*
	 * User space may have lowered RCX during the exit: no more elements
	 * than it now asks for are done (KVM's emulator re-executes the
	 * instruction with the RCX it finds). A raised RCX just leaves more
	 * to do: the instruction restarts for them.
	 */
	if (pio->rep)
		pio->count = min_t(u64, pio->count,
				   khv_reg_masked(vcpu->gprs[RCX], pio->addr_size));
	total = khv_string_step(vcpu, pio->size) * pio->count;

	if (pio->in) {
		khv_ops->get_paging(vcpu, &p);
		r = khv_string_io_copy(vcpu, &p, p.seg_base[KHV_SEG_ES],
				       vcpu->gprs[RDI], true);
		/* the buffer is not RAM (any more): no GPA to name */
		if (r)
			return r == KHV_EMU_FAULTED ? 1 :
			       khv_emulation_failed(vcpu, 0, NULL, 0);
		khv_reg_add(&vcpu->gprs[RDI], total, pio->addr_size);
	} else {
		khv_reg_add(&vcpu->gprs[RSI], total, pio->addr_size);
	}
	if (pio->rep)
		khv_reg_add(&vcpu->gprs[RCX], -(s64)pio->count, pio->addr_size);
	if (!pio->rep || !khv_reg_masked(vcpu->gprs[RCX], pio->addr_size))
		khv_skip_insn(vcpu, pio->next_rip);
	return 1;
}

static void khv_fill_mmio(struct khv_vcpu *vcpu, u64 gpa, u8 len, bool write,
			  const void *data)
{
	struct kvm_run *run = vcpu->run;

	vcpu->stat.mmio_exits++;
	trace_khv_mmio(vcpu->id, write ? KHV_TRACE_MMIO_WRITE : KHV_TRACE_MMIO_READ_ASK,
		       len, gpa, data);
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, data, len);
}

/*
 * An MMIO access the kernel takes (an ioeventfd, the LAPIC, the IOAPIC,
 * then, for a write no device took, a coalesced zone, as KVM orders them):
 * done here without an exit; a read's bytes land in @data.
 */
static bool khv_mmio_in_kernel(struct khv_vcpu *vcpu, u64 gpa, u8 len,
			       bool write, void *data)
{
	bool taken = (write && khv_ioeventfd_write(vcpu->vm, false, gpa, len, data)) ||
		     (vcpu->vm->irqchip_mode != KHV_IRQCHIP_NONE &&
		      khv_irqchip_mmio(vcpu, gpa, len, write, data)) ||
		     (write && khv_coalesced_write(vcpu->vm, false, gpa, len, data));

	if (!taken)
		return false;
	trace_khv_mmio(vcpu->id, write ? KHV_TRACE_MMIO_WRITE : KHV_TRACE_MMIO_READ,
		       len, gpa, data);
	return true;
}

/*
 * One element of a string instruction is done: step its registers. True
 * if a REP has elements left (the instruction stays at RIP).
 */
static bool khv_string_step_done(struct khv_vcpu *vcpu,
				 const struct khv_insn *in, bool src, bool dst)
{
	s64 step = khv_string_step(vcpu, in->size);

	if (src)
		khv_reg_add(&vcpu->gprs[RSI], step, in->addr_size);
	if (dst)
		khv_reg_add(&vcpu->gprs[RDI], step, in->addr_size);
	if (in->rep) {
		khv_reg_add(&vcpu->gprs[RCX], -1, in->addr_size);
		if (khv_reg_masked(vcpu->gprs[RCX], in->addr_size))
			return true;	/* the next element faults again */
	}
	khv_skip_insn(vcpu, vcpu->rip + in->len);
	return false;
}

/* The linear address of a string operand: @seg's base + the masked @reg. */
static u64 khv_string_gla(struct khv_vcpu *vcpu, const struct khv_paging *p,
			  const struct khv_insn *in, int seg, int reg)
{
	u64 gla = p->seg_base[seg] + khv_reg_masked(vcpu->gprs[reg], in->addr_size);

	return khv_cpu_mode(p) == KHV_MODE_LONG64 ? gla : (u32)gla;
}

/* Elements of a REP STOS/MOVS to in-kernel MMIO done per exit (as KVM's 1024). */
#define KHV_STRING_BATCH	1024

/*
 * Whether the nested page fault that started this MOV-family access gives
 * its guest-physical address, so the guest's page tables need not be
 * walked again (as KVM does): the CPU's own walk of this data access
 * succeeded, permissions included, and its final address faulted; the
 * access does not cross a page, and @gla's offset in its page is that of
 * the fault. An instruction that @writes memory needs a write fault (a
 * read-modify-write the CPU reported as a read is walked for the write).
 */
static bool khv_mmio_gpa_known(const struct khv_vcpu *vcpu, u64 gla, bool writes)
{
	const struct khv_mmio *m = &vcpu->mmio;
	u64 error = m->npf_error;

	return m->nfrag == 1 && (error & KHV_PFERR_GUEST_FINAL) &&
	       !(error & (KHV_PFERR_GUEST_PAGE | KHV_PFERR_FETCH)) &&
	       (!writes || (error & KHV_PFERR_WRITE)) &&
	       !((gla ^ m->gpa) & ~PAGE_MASK);
}

/*
 * Cut a MOV-family access at its linear page border and say which part
 * is RAM and which MMIO. 0, KHV_EMU_FAULTED or < 0.
 */
static int khv_mmio_fragments(struct khv_vcpu *vcpu, const struct khv_paging *p)
{
	struct khv_mmio *m = &vcpu->mmio;
	struct khv_insn *in = &m->insn;
	u64 gla = p->seg_base[in->seg] +
		  khv_insn_mem_offset(in, vcpu->gprs, vcpu->rip);
	u8 first = min_t(u64, in->size, PAGE_SIZE - (gla & ~PAGE_MASK));
	/* an ALU form that writes back needs a writable mapping from the start */
	bool writes = m->write || (in->kind == KHV_INSN_ALU && in->mem_write);
	int i, r;

	if (khv_cpu_mode(p) != KHV_MODE_LONG64)
		gla = (u32)gla;
	m->nfrag = first < in->size ? 2 : 1;
	m->frag[0] = (struct khv_mmio_frag){ .offset = 0, .len = first };
	m->frag[1] = (struct khv_mmio_frag){ .offset = first,
					     .len = in->size - first };
	/*
	 * The fault found no slot that takes this access there (a write
	 * fault for @writes): MMIO, as it was when the access faulted, which
	 * is when it happened, whatever slot user space adds meanwhile.
	 */
	if (khv_mmio_gpa_known(vcpu, gla, writes)) {
		m->frag[0].gpa = m->gpa;
		m->frag[0].mmio = true;
		return 0;
	}
	for (i = 0; i < m->nfrag; i++) {
		struct khv_mmio_frag *f = &m->frag[i];

		r = khv_linear_to_gpa(vcpu, p, gla + f->offset,
				      writes ? KHV_GWALK_WRITE : 0, &f->gpa, false);
		if (r)
			return r;
		f->mmio = !khv_gpa_is_ram(vcpu, f->gpa, writes);
	}
	return 0;
}

/*
 * An ALU instruction read its memory operand: compute, and return true if
 * it now writes memory back (a second round of fragments).
 */
static bool khv_mmio_alu(struct khv_vcpu *vcpu)
{
	struct khv_mmio *m = &vcpu->mmio;
	struct khv_insn *in = &m->insn;
	u64 mem = 0, reg = in->reg == KHV_REG_NONE ? 0 : vcpu->gprs[in->reg];
	u64 dst, src, result, mem_out, reg_out, rflags;

	memcpy(&mem, m->data, in->size);
	khv_insn_alu_operands(in, mem, reg, &dst, &src);
	result = khv_alu(in->alu_op, dst, src, in->size, vcpu->rflags, &rflags);
	khv_insn_alu_results(in, mem, reg, result, &mem_out, &reg_out);
	if (in->flags_write)
		vcpu->rflags = rflags;
	if (in->reg_write)
		vcpu->gprs[in->reg] = reg_out;
	if (!in->mem_write)
		return false;
	memcpy(m->data, &mem_out, sizeof(m->data));
	m->write = true;
	m->next = 0;
	return true;
}

/* The access is complete: a load writes its register; RIP moves on. */
static void khv_mmio_complete(struct khv_vcpu *vcpu)
{
	struct khv_insn *in = &vcpu->mmio.insn;
	u64 data = 0;

	memcpy(&data, vcpu->mmio.data, in->size);
	if (in->kind == KHV_INSN_LOAD)
		vcpu->gprs[in->reg] = khv_insn_reg_after_load(in,
					vcpu->gprs[in->reg], data);
	khv_skip_insn(vcpu, vcpu->rip + in->len);
}

/* Do RAM fragments, exit for the next MMIO one; 1 when all are done. */
static int khv_mmio_step(struct khv_vcpu *vcpu)
{
	struct khv_mmio *m = &vcpu->mmio;

again:
	for (; m->next < m->nfrag; m->next++) {
		struct khv_mmio_frag *f = &m->frag[m->next];
		void *bytes = m->data + f->offset;
		int r;

		if (f->mmio && khv_mmio_in_kernel(vcpu, f->gpa, f->len,
						  m->write, bytes))
			continue;
		if (f->mmio) {
			khv_fill_mmio(vcpu, f->gpa, f->len, m->write, bytes);
			m->last = m->next++;
			vcpu->pending = KHV_PENDING_MMIO;
			return 0;
		}
		r = m->write ? khv_write_guest(vcpu, f->gpa, bytes, f->len) :
			       khv_read_guest(vcpu, f->gpa, bytes, f->len);
		if (r == -ENOENT) {
			/*
			 * Its slot went away (or became read-only) since the
			 * access was split: the bytes are MMIO now, as for a
			 * fault that came after the change.
			 */
			f->mmio = true;
			goto again;
		}
		if (r)
			return -EFAULT;
	}
	if (m->insn.kind == KHV_INSN_ALU && !m->write && khv_mmio_alu(vcpu))
		goto again;
	khv_mmio_complete(vcpu);
	return 1;
}

static int khv_mmio_mov(struct khv_vcpu *vcpu, const struct khv_paging *p)
{
	struct khv_mmio *m = &vcpu->mmio;
	struct khv_insn *in = &m->insn;
	u64 value = 0;
	int r;

	/* ALU forms read first (khv_mmio_alu() turns to writing) */
	m->write = in->kind != KHV_INSN_LOAD && in->kind != KHV_INSN_ALU;
	if (m->write)
		value = khv_insn_store_value(in, in->reg == KHV_REG_NONE ?
					     0 : vcpu->gprs[in->reg]);
	memcpy(m->data, &value, sizeof(m->data));
	r = khv_mmio_fragments(vcpu, p);
	if (r)
		return r == KHV_EMU_FAULTED ? 1 : r;
	m->next = 0;
	return khv_mmio_step(vcpu);
}

static int khv_mmio_done(struct khv_vcpu *vcpu, const void *bytes);

/* SMSW m16 stores CR0's low word like a MOV of an immediate. */
static void khv_smsw_as_store(struct khv_insn *in, u64 cr0)
{
	in->kind = KHV_INSN_STORE_IMM;
	in->imm = cr0 & 0xffff;
}

/*
 * STOS, or MOVS from memory, whose destination (ES:RDI, at @gpa) is MMIO.
 * While an in-kernel device takes the elements (a coalesced zone, an
 * ioeventfd, the LAPIC) the REP goes on here, as long as its destination
 * stays on the page the exit was for (the walk's result holds for all of
 * it) and for at most KHV_STRING_BATCH elements; then the guest re-enters
 * and the next element faults again. An element that user space must see
 * exits. 1, 0 or < 0 as khv_mmio_start().
 */
static int khv_mmio_string_out(struct khv_vcpu *vcpu, const struct khv_paging *p,
			       u64 gpa, bool movs)
{
	struct khv_insn *in = &vcpu->mmio.insn;
	u64 gla = khv_string_gla(vcpu, p, in, KHV_SEG_ES, RDI), next;
	u32 n;
	int r;

	for (n = 1; ; n++, gla = next) {
		u64 data = 0;

		if (movs) {
			r = khv_linear_copy(vcpu, p,
					    khv_string_gla(vcpu, p, in, in->seg, RSI),
					    &data, in->size, 0);
			if (r)
				return r == KHV_EMU_FAULTED ? 1 : r;
		} else {
			data = khv_insn_store_value(in, vcpu->gprs[RAX]);
		}
		if (!khv_mmio_in_kernel(vcpu, gpa, in->size, true, &data)) {
			khv_fill_mmio(vcpu, gpa, in->size, true, &data);
			khv_string_step_done(vcpu, in, movs, true);
			return 0;
		}
		if (!khv_string_step_done(vcpu, in, movs, true) ||
		    n == KHV_STRING_BATCH)
			return 1;
		next = khv_string_gla(vcpu, p, in, KHV_SEG_ES, RDI);
		if ((next & PAGE_MASK) != (gla & PAGE_MASK) ||
		    (next & ~PAGE_MASK) + in->size > PAGE_SIZE)
			return 1;
		gpa = (gpa & PAGE_MASK) | (next & ~PAGE_MASK);
	}
}

/*
 * A MOVS with MMIO on one side: write if the destination is the MMIO
 * page (read the element from guest memory), else read from MMIO.
 */
static int khv_mmio_movs(struct khv_vcpu *vcpu, const struct khv_paging *p,
			 u64 gpa, bool write)
{
	struct khv_insn *in = &vcpu->mmio.insn;
	u64 data = 0;

	if (write)
		return khv_mmio_string_out(vcpu, p, gpa, true);
	vcpu->mmio.dst_gla = khv_string_gla(vcpu, p, in, KHV_SEG_ES, RDI);
	if (khv_mmio_in_kernel(vcpu, gpa, in->size, false, &data))
		return khv_mmio_done(vcpu, &data);
	vcpu->pending = KHV_PENDING_MMIO;
	khv_fill_mmio(vcpu, gpa, in->size, false, NULL);
	return 0;
}

int khv_mmio_start(struct khv_vcpu *vcpu, u64 gpa, u64 error)
{
	struct khv_insn *in = &vcpu->mmio.insn;
	bool write = error & KHV_PFERR_WRITE;
	u8 bytes[KHV_INSN_MAX_LEN] = { 0 };
	struct khv_paging p;
	u64 data;
	int len = 0, r;

	vcpu->mmio.gpa = gpa;
	vcpu->mmio.npf_error = error;
	khv_ops->get_paging(vcpu, &p);
	r = khv_fetch(vcpu, &p, bytes, &len);
	if (r == KHV_EMU_FAULTED)
		return 1;
	if (r || khv_insn_decode(bytes, len, khv_cpu_mode(&p), in))
		return khv_emulation_failed(vcpu, gpa, bytes, len);
	switch (in->kind) {
	case KHV_INSN_LOAD:
	case KHV_INSN_STORE_REG:
	case KHV_INSN_STORE_IMM:
	case KHV_INSN_ALU:
		r = khv_mmio_mov(vcpu, &p);
		break;
	case KHV_INSN_LODS:
		vcpu->mmio.write = false;
		data = 0;
		if (khv_mmio_in_kernel(vcpu, gpa, in->size, false, &data))
			return khv_mmio_done(vcpu, &data);
		vcpu->pending = KHV_PENDING_MMIO;
		khv_fill_mmio(vcpu, gpa, in->size, false, NULL);
		return 0;
	case KHV_INSN_STOS:
		return khv_mmio_string_out(vcpu, &p, gpa, false);
	case KHV_INSN_SMSW:
		khv_smsw_as_store(in, p.cr0);
		r = khv_mmio_mov(vcpu, &p);
		break;
	case KHV_INSN_MOVS:
		vcpu->mmio.write = write;
		r = khv_mmio_movs(vcpu, &p, gpa, write);
		break;
	default:
		r = -EINVAL;
	}
	/*
	 * The operand's page walk or its RAM part failed: the guest's page
	 * tables or memory are not RAM (any more: a slot went away while the
	 * instruction was fetched). Not an error of KVM_RUN.
	 */
	return r < 0 ? khv_emulation_failed(vcpu, gpa, bytes, len) : r;
}

/* User space answered an MMIO exit: take read data and carry on. */
int khv_mmio_finish(struct khv_vcpu *vcpu)
{
	struct khv_mmio *m = &vcpu->mmio;
	struct khv_insn *in = &m->insn;
	u8 data[8];
	int r;

	/* kvm_run is user space's: its bytes are read once, here */
	memcpy(data, vcpu->run->mmio.data, sizeof(data));
	if (in->kind == KHV_INSN_LOAD || in->kind == KHV_INSN_STORE_REG ||
	    in->kind == KHV_INSN_STORE_IMM || in->kind == KHV_INSN_ALU) {
		struct khv_mmio_frag *f = &m->frag[m->last];

		if (!m->write) {
			memcpy(m->data + f->offset, data, f->len);
			trace_khv_mmio(vcpu->id, KHV_TRACE_MMIO_READ, f->len, f->gpa,
				       m->data + f->offset);
		}
		r = khv_mmio_step(vcpu);
	} else {
		trace_khv_mmio(vcpu->id, KHV_TRACE_MMIO_READ, in->size, m->gpa, data);
		r = khv_mmio_done(vcpu, data);
	}
	/* as khv_mmio_start(): the rest of the access is not RAM any more */
	return r < 0 ? khv_emulation_failed(vcpu, m->gpa, NULL, 0) : r;
}

/* A string element's MMIO read (LODS, MOVS from MMIO) has its @bytes. */
static int khv_mmio_done(struct khv_vcpu *vcpu, const void *bytes)
{
	struct khv_mmio *m = &vcpu->mmio;
	struct khv_insn *in = &m->insn;
	struct khv_paging p;
	u64 data = 0;
	int r;

	memcpy(&data, bytes, in->size);
	if (in->kind == KHV_INSN_LODS) {
		vcpu->gprs[RAX] = khv_insn_reg_after_load(in, vcpu->gprs[RAX], data);
		khv_string_step_done(vcpu, in, true, false);
		return 1;
	}
	/* MOVS from MMIO: the element goes to guest memory */
	khv_ops->get_paging(vcpu, &p);
	r = khv_linear_copy(vcpu, &p, m->dst_gla, &data, in->size,
			    KHV_GWALK_WRITE);
	if (r)
		return r == KHV_EMU_FAULTED ? 1 : r;
	khv_string_step_done(vcpu, in, true, true);
	return 1;
}

/*
 * MOV to or from a control or debug register: 0F 20 (MOV r, CRn), 0F 21
 * (MOV r, DRn), 0F 22 (MOV CRn, r), 0F 23 (MOV DRn, r), ModRM.reg the
 * CR/DR (REX.R adds 8), ModRM.rm the GPR (REX.B adds 8); the operand is
 * 64 bits in 64-bit mode, else 32. Legacy prefixes change nothing. Also
 * the register forms of group 7's SMSW (0F 01 /4) and LMSW (0F 01 /6),
 * ModRM.mod 3 (op 0x01, reg the ModRM.reg), and CLTS (0F 06, op 0x06).
 */
struct khv_mov_ctl {
	u8 op;		/* 0x20 .. 0x23, 0x01 (SMSW, LMSW) or 0x06 (CLTS) */
	u8 reg;		/* CR or DR number; for op 0x01 ModRM.reg */
	u8 gpr;
	u8 len;
	u8 size;	/* SMSW: the operand size, 2, 4 or 8 */
	bool wide;	/* 64-bit operand */
};

static bool khv_legacy_prefix(u8 b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

/* Decode @len bytes in @mode: 0, or -EFAULT if they are no such instruction. */
static int khv_decode_mov_ctl_bytes(const u8 *b, int len,
				    enum khv_cpu_mode mode,
				    struct khv_mov_ctl *m)
{
	bool long64 = mode == KHV_MODE_LONG64, osize = false;
	int i = 0;
	u8 rex = 0, modrm, reg;

	while (i < len && khv_legacy_prefix(b[i]))
		osize |= b[i++] == 0x66;
	if (long64 && i < len && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 2 > len || b[i] != 0x0f)
		return -EFAULT;
	if (b[i + 1] == 0x06) {
		*m = (struct khv_mov_ctl){ .op = 0x06, .len = i + 2 };
		return 0;
	}
	if (i + 3 > len)
		return -EFAULT;
	modrm = b[i + 2];
	if (b[i + 1] == 0x01) {
		/* SMSW r and LMSW r16: the memory forms are not decoded here */
		reg = (modrm >> 3) & 7;
		if ((modrm & 0xc0) != 0xc0 || (reg != 4 && reg != 6))
			return -EFAULT;
		*m = (struct khv_mov_ctl){
			.op = 0x01,
			.reg = reg,
			.gpr = (modrm & 7) | (rex & 1 ? 8 : 0),
			.len = i + 3,
			.size = rex & 8 ? 8 :
				(mode == KHV_MODE_PROT32 || long64) != osize ? 4 : 2,
		};
		return 0;
	}
	if ((b[i + 1] & ~3) != 0x20)
		return -EFAULT;
	*m = (struct khv_mov_ctl){
		.op = b[i + 1],
		.reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0),
		.gpr = (modrm & 7) | (rex & 1 ? 8 : 0),
		.len = i + 3,
		.wide = long64,
	};
	return 0;
}

/* Decode the instruction at RIP: 0, KHV_EMU_FAULTED, or -EFAULT if it is no such MOV. */
static int khv_decode_mov_ctl(struct khv_vcpu *vcpu, const struct khv_paging *p,
			      struct khv_mov_ctl *m)
{
	u8 b[KHV_INSN_MAX_LEN];
	int len = 0, r;

	r = khv_fetch(vcpu, p, b, &len);
	if (r)
		return r;
	return khv_decode_mov_ctl_bytes(b, len, khv_cpu_mode(p), m);
}

/*
 * A guest write to DRn, checked as the CPU checks it: DR6 and DR7 take no
 * bits in 63:32 (#GP), their fixed bits keep their values. 0, or 1 when
 * the write must raise #GP.
 */
static int khv_set_dr(struct khv_vcpu *vcpu, int dr, u64 val)
{
	switch (dr) {
	case 6:
		if (val >> 32)
			return 1;
		vcpu->dr[6] = (val & KHV_DR6_VOLATILE) | KHV_DR6_FIXED;
		break;
	case 7:
		if (val >> 32)
			return 1;
		vcpu->dr[7] = (val & KHV_DR7_VOLATILE) | KHV_DR7_FIXED;
		break;
	default:
		vcpu->dr[dr] = val;
	}
	return 0;
}

/*
 * MOV DRn: the guest's debug registers live in vcpu->dr (the entry loads
 * DR0-3 and DR7 from there when DR7 enables a breakpoint). CPL > 0 gets
 * #GP; DR4/5 alias DR6/7 unless CR4.DE (then #UD), DR8-15 #UD; with
 * DR7.GD set, the access raises #DB (DR6.BD) and GD clears, as on the CPU.
 */
int khv_emulate_mov_dr(struct khv_vcpu *vcpu)
{
	struct khv_mov_ctl m;
	struct khv_paging p;
	int r, dr;

	khv_ops->get_paging(vcpu, &p);
	r = khv_decode_mov_ctl(vcpu, &p, &m);
	if (r)
		return r == KHV_EMU_FAULTED ? 0 : r;
	if (m.op != 0x21 && m.op != 0x23)
		return -EFAULT;
	dr = m.reg;
	if (dr > 7 || ((dr == 4 || dr == 5) && (p.cr4 & X86_CR4_DE))) {
		khv_ops->inject_exception(vcpu, UD_VECTOR, false, 0);
		return 0;
	}
	if (p.cpl) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	if (vcpu->dr[7] & KHV_DR7_GD) {
		vcpu->dr[6] = (vcpu->dr[6] & ~KHV_DR6_VOLATILE) | KHV_DR6_BD;
		vcpu->dr[7] &= ~KHV_DR7_GD;
		khv_ops->inject_exception(vcpu, DB_VECTOR, false, 0);
		return 0;
	}
	if (dr == 4 || dr == 5)
		dr += 2;
	if (m.op == 0x21)
		vcpu->gprs[m.gpr] = m.wide ? vcpu->dr[dr] : (u32)vcpu->dr[dr];
	else if (khv_set_dr(vcpu, dr, m.wide ? vcpu->gprs[m.gpr] :
					      (u32)vcpu->gprs[m.gpr])) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	khv_skip_insn(vcpu, vcpu->rip + m.len);
	return 0;
}

/* CR4 bits whose change makes cached translations stale. */
#define KHV_CR4_TLB_BITS	(X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE | \
				 X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP | \
				 X86_CR4_PKE | X86_CR4_LA57)

/*
 * The checks of MOV to CR4 (SDM vol. 3 2.5, KVM's): bits the guest's CPUID
 * (once set) or this host do not allow, clearing PAE in long mode, setting
 * PCIDE without PCID in the guest's CPUID (set or not, as KVM), outside
 * long mode or with CR3[11:0] set. True if @cr4 may be loaded.
 */
static bool khv_cr4_write_ok(struct khv_vcpu *vcpu, const struct khv_paging *p,
			     u64 cr4)
{
	bool lma = p->efer & EFER_LMA;

	if (!khv_vcpu_cr4_valid(vcpu, cr4))
		return false;
	if (lma && !(cr4 & X86_CR4_PAE))
		return false;
	if ((cr4 & X86_CR4_PCIDE) && !(p->cr4 & X86_CR4_PCIDE) &&
	    (!khv_cpuid_has(vcpu, 1, 2, BIT(17)) /* PCID */ || !lma ||
	     (p->cr3 & 0xfff)))
		return false;
	return true;
}

/*
 * The source of an intercepted MOV to CR@cr: the register the CPU named
 * (@gpr, decode assists; -1 if it did not) or the one decoded here, and
 * the next RIP. 0, 1 when the fetch raised #PF (nothing more to do), or
 * -EFAULT when the instruction is no such MOV.
 */
static int khv_mov_to_cr_source(struct khv_vcpu *vcpu,
				const struct khv_paging *p, int cr, int gpr,
				u64 *next_rip, u64 *val)
{
	struct khv_mov_ctl m = { .gpr = gpr };
	int r;

	if (gpr < 0 || !*next_rip) {
		r = khv_decode_mov_ctl(vcpu, p, &m);
		if (r)
			return r == KHV_EMU_FAULTED ? 1 : r;
		if (m.op != 0x22 || m.reg != cr)
			return -EFAULT;
		*next_rip = vcpu->rip + m.len;
	}
	*val = vcpu->gprs[m.gpr];
	return 0;
}

/*
 * MOV to CR8 (exits only while a TPR-blocked interrupt waits, see
 * want_cr8_exit): the new TPR class; bits 63:4 set are #GP, as CPL > 0.
 */
int khv_emulate_mov_cr8(struct khv_vcpu *vcpu, int gpr, u64 next_rip)
{
	struct khv_paging p;
	u64 val;
	int r;

	khv_ops->get_paging(vcpu, &p);
	r = khv_mov_to_cr_source(vcpu, &p, 8, gpr, &next_rip, &val);
	if (r)
		return r > 0 ? 0 : r;
	if (p.cpl || (val >> 4)) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	vcpu->tpr = val;
	if (vcpu->apic)		/* the LAPIC's TPR now: injection looks next */
		khv_vlapic_after_exit(vcpu);
	khv_skip_insn(vcpu, next_rip);
	return 0;
}

/*
 * MOV to CR4, intercepted so that a guest sets only the bits khv allows
 * (without the intercept it could set PKE or OSXSAVE on a host that has
 * them and reach host state through WRPKRU/XRSTOR). @gpr is the source
 * register when the CPU said (decode assists), else -1. 0 or < 0.
 */
int khv_emulate_mov_cr4(struct khv_vcpu *vcpu, int gpr, u64 next_rip)
{
	struct khv_paging p;
	u64 val;
	int r;

	khv_ops->get_paging(vcpu, &p);
	r = khv_mov_to_cr_source(vcpu, &p, 4, gpr, &next_rip, &val);
	if (r)
		return r > 0 ? 0 : r;
	if (p.cpl) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	if (khv_cpu_mode(&p) != KHV_MODE_LONG64)
		val = (u32)val;
	if (!khv_cr4_write_ok(vcpu, &p, val)) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	khv_ops->set_cr4(vcpu, val);
	if ((val ^ p.cr4) & X86_CR4_OSXSAVE)
		khv_cpuid_update_runtime(vcpu);
	/* as the CPU drops translations on these changes, the guest TLB goes */
	if ((val ^ p.cr4) & KHV_CR4_TLB_BITS)
		set_bit(KHV_REQ_TLB_FLUSH, &vcpu->requests);
	khv_skip_insn(vcpu, next_rip);
	return 0;
}

/* CR0 bits whose change makes cached translations stale. */
#define KHV_CR0_TLB_BITS	(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)

/*
 * LMSW m16 (@b, @len bytes at RIP): its operand, read from guest RAM, and
 * the next RIP. 0, KHV_EMU_FAULTED (#PF raised) or < 0 (not LMSW m16, or
 * an operand outside RAM: not emulated).
 */
static int khv_lmsw_mem(struct khv_vcpu *vcpu, const struct khv_paging *p,
			const u8 *b, int len, u16 *lmsw, u64 *next_rip)
{
	struct khv_insn in;
	u64 gla;
	int r;

	if (khv_insn_decode(b, len, khv_cpu_mode(p), &in) ||
	    in.kind != KHV_INSN_LMSW)
		return -EFAULT;
	gla = p->seg_base[in.seg] + khv_insn_mem_offset(&in, vcpu->gprs, vcpu->rip);
	if (khv_cpu_mode(p) != KHV_MODE_LONG64)
		gla = (u32)gla;
	r = khv_linear_copy(vcpu, p, gla, lmsw, sizeof(*lmsw), 0);
	if (!r)
		*next_rip = vcpu->rip + in.len;
	return r;
}

/*
 * Decode an intercepted CR0 write the CPU did not describe: MOV to CR0
 * (*@gpr), CLTS, LMSW with a register or memory operand (*@lmsw), as the
 * KHV_CR_* *@type. 0, KHV_EMU_FAULTED (an exception was raised) or < 0.
 */
static int khv_decode_cr0_write(struct khv_vcpu *vcpu,
				const struct khv_paging *p, int *type,
				int *gpr, u16 *lmsw, u64 *next_rip)
{
	u8 b[KHV_INSN_MAX_LEN] = { 0 };
	struct khv_mov_ctl m;
	int len = 0, r;

	r = khv_fetch(vcpu, p, b, &len);
	if (r)
		return r;
	if (khv_decode_mov_ctl_bytes(b, len, khv_cpu_mode(p), &m)) {
		/* LMSW m16; at CPL > 0 the #GP comes before the operand's read */
		if (p->cpl) {
			khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
			return KHV_EMU_FAULTED;
		}
		*type = KHV_CR_LMSW;
		return khv_lmsw_mem(vcpu, p, b, len, lmsw, next_rip);
	}
	*next_rip = vcpu->rip + m.len;
	*gpr = m.gpr;
	if (m.op == 0x01 && m.reg == 6) {
		*type = KHV_CR_LMSW;
		*lmsw = vcpu->gprs[m.gpr];
	} else if (m.op == 0x06) {
		*type = KHV_CR_CLTS;
	} else if (m.op == 0x22 && m.reg == 0) {
		*type = KHV_CR_MOV;
	} else {
		return -EFAULT;
	}
	return 0;
}

/*
 * An intercepted write to CR0 (VMX: all but TS exit; SVM: those changing
 * more than TS and MP, or all while the CPU runs the guest without its
 * CD and NW): MOV (@gpr named by the CPU), CLTS, LMSW (@lmsw, which sets
 * PE, MP, EM, TS but never clears PE), or KHV_CR_DECODE: decoded here.
 * #GP at CPL > 0 or for a value CR0 cannot take; ET reads 1.
 */
int khv_emulate_mov_cr0(struct khv_vcpu *vcpu, int type, int gpr, u16 lmsw,
			u64 next_rip)
{
	struct khv_paging p;
	u64 val;
	int r;

	khv_ops->get_paging(vcpu, &p);
	if (type == KHV_CR_DECODE) {
		r = khv_decode_cr0_write(vcpu, &p, &type, &gpr, &lmsw, &next_rip);
		if (r)
			return r == KHV_EMU_FAULTED ? 0 : r;
	}
	switch (type) {
	case KHV_CR_CLTS:
		val = p.cr0 & ~X86_CR0_TS;
		break;
	case KHV_CR_LMSW:
		val = (p.cr0 & ~0xeULL) | (lmsw & 0xf) | (p.cr0 & X86_CR0_PE);
		break;
	default:
		r = khv_mov_to_cr_source(vcpu, &p, 0, gpr, &next_rip, &val);
		if (r)
			return r > 0 ? 0 : r;
		if (khv_cpu_mode(&p) != KHV_MODE_LONG64)
			val = (u32)val;
	}
	if (p.cpl || !khv_cr0_valid(p.cr0, val, p.cr4, p.efer,
				    khv_cpu_mode(&p) == KHV_MODE_LONG64)) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	val |= X86_CR0_ET;
	khv_ops->set_cr0(vcpu, val);
	if ((val ^ p.cr0) & KHV_CR0_TLB_BITS)
		set_bit(KHV_REQ_TLB_FLUSH, &vcpu->requests);
	khv_skip_insn(vcpu, next_rip);
	return 0;
}

/* MOV from CR0 at CPL > 0, SMSW there with CR4.UMIP: #GP (true). */
static bool khv_cr0_read_faults(struct khv_vcpu *vcpu,
				const struct khv_paging *p, bool smsw)
{
	if (!p->cpl || (smsw && !(p->cr4 & X86_CR4_UMIP)))
		return false;
	khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
	return true;
}

/*
 * SMSW to memory (@b, @len bytes at RIP): CR0[15:0] stored as a 2-byte
 * MOV would be, to RAM or as an MMIO exit. 1 enter again, 0 exit to user
 * space, < 0 not emulated.
 */
static int khv_smsw_mem(struct khv_vcpu *vcpu, const struct khv_paging *p,
			const u8 *b, int len)
{
	struct khv_insn *in = &vcpu->mmio.insn;

	if (khv_insn_decode(b, len, khv_cpu_mode(p), in) ||
	    in->kind != KHV_INSN_SMSW)
		return -EFAULT;
	if (khv_cr0_read_faults(vcpu, p, true))
		return 1;
	khv_smsw_as_store(in, p->cr0);
	vcpu->mmio.gpa = 0;
	vcpu->mmio.npf_error = 0;	/* no fault names the address: walk */
	return khv_mmio_mov(vcpu, p);
}

/*
 * MOV from CR0 or SMSW, intercepted while the CPU runs the guest with
 * another CR0 than the guest's own (SVM, KVM's CD_NW_CLEARED quirk): the
 * guest reads its own value. @gpr: MOV's destination when the CPU named
 * it, else -1 (decoded here). MOV writes 64 bits in 64-bit mode, else 32;
 * SMSW to a register its operand size (16 bits merge into the register),
 * to memory 16 bits. 1 enter again, 0 exit to user space (MMIO), < 0 not
 * emulated.
 */
int khv_emulate_cr0_read(struct khv_vcpu *vcpu, int gpr, u64 next_rip)
{
	struct khv_mov_ctl m = { .op = 0x20, .gpr = gpr };
	u8 b[KHV_INSN_MAX_LEN] = { 0 };
	struct khv_paging p;
	u64 *dst;
	int len = 0, r;

	khv_ops->get_paging(vcpu, &p);
	m.wide = khv_cpu_mode(&p) == KHV_MODE_LONG64;
	if (gpr < 0 || !next_rip) {
		r = khv_fetch(vcpu, &p, b, &len);
		if (r)
			return r == KHV_EMU_FAULTED ? 1 : r;
		if (khv_decode_mov_ctl_bytes(b, len, khv_cpu_mode(&p), &m))
			return khv_smsw_mem(vcpu, &p, b, len);
		next_rip = vcpu->rip + m.len;
	}
	dst = &vcpu->gprs[m.gpr];
	if (m.op == 0x20 && m.reg == 0) {
		if (khv_cr0_read_faults(vcpu, &p, false))
			return 1;
		*dst = m.wide ? p.cr0 : (u32)p.cr0;
	} else if (m.op == 0x01 && m.reg == 4) {
		if (khv_cr0_read_faults(vcpu, &p, true))
			return 1;
		if (m.size == 2)
			*dst = (*dst & ~0xffffULL) | (p.cr0 & 0xffff);
		else
			*dst = m.size == 8 ? p.cr0 : (u32)p.cr0;
	} else {
		return -EFAULT;
	}
	khv_skip_insn(vcpu, next_rip);
	return 1;
}

/*
 * XSETBV (intercepted: XCR0 decides what XRSTOR loads into the CPU). #UD
 * without CR4.OSXSAVE, #GP at CPL > 0, for an XCR other than 0 or for a
 * value the guest's CPUID does not allow; else the guest's XCR0, loaded
 * on each entry (khv_enter()).
 */
int khv_emulate_xsetbv(struct khv_vcpu *vcpu, u64 next_rip)
{
	u64 val = (vcpu->gprs[2] << 32) | (u32)vcpu->gprs[0];
	struct khv_paging p;

	khv_ops->get_paging(vcpu, &p);
	if (!(p.cr4 & X86_CR4_OSXSAVE)) {
		khv_ops->inject_exception(vcpu, UD_VECTOR, false, 0);
		return 0;
	}
	if (p.cpl || (u32)vcpu->gprs[1] != XCR_XFEATURE_ENABLED_MASK ||
	    khv_set_xcr0(vcpu, val)) {
		khv_ops->inject_exception(vcpu, GP_VECTOR, true, 0);
		return 0;
	}
	khv_skip_insn(vcpu, next_rip);
	return 0;
}
