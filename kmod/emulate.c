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

#include "khv.h"
#include "emulate.h"
#include "gwalk.h"
#include "cpuid_policy.h"

#define RAX 0
#define RCX 1
#define RSI 6
#define RDI 7

/* A guest #PF was injected: the instruction does not complete now. */
#define KHV_EMU_FAULTED	1

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

/* Linear to guest physical; injects #PF and returns KHV_EMU_FAULTED. */
static int khv_linear_to_gpa(struct khv_vcpu *vcpu, const struct khv_paging *p,
			     u64 gla, u32 access, u64 *gpa)
{
	struct khv_cpuid_view v = khv_cpuid_view(vcpu->cpuid, vcpu->cpuid_nent);
	struct khv_gwalk_ctx ctx = {
		.cr0 = p->cr0, .cr3 = p->cr3, .cr4 = p->cr4, .efer = p->efer,
		.read_gpa = khv_gwalk_read, .opaque = vcpu,
		.phys_bits = khv_guest_maxphyaddr(&v), .gbpages = 1,
	};
	struct khv_gwalk_result res;
	int r;

	if (p->cpl == 3)
		access |= KHV_GWALK_USER;
	r = khv_gwalk(&ctx, gla, access, &res);
	if (r == -EFAULT) {
		khv_ops->inject_page_fault(vcpu, gla, res.error_code);
		return KHV_EMU_FAULTED;
	}
	if (r)
		return -EFAULT;
	*gpa = res.gpa;
	return 0;
}

/* Copy @len bytes at linear @gla (page by page). 0, KHV_EMU_FAULTED, < 0. */
static int khv_linear_copy(struct khv_vcpu *vcpu, const struct khv_paging *p,
			   u64 gla, void *buf, u32 len, bool write)
{
	while (len) {
		u32 n = min_t(u32, len, PAGE_SIZE - (gla & ~PAGE_MASK));
		u64 gpa;
		int r = khv_linear_to_gpa(vcpu, p, gla,
					  write ? KHV_GWALK_WRITE : 0, &gpa);

		if (!r)
			r = write ? khv_write_guest(vcpu, gpa, buf, n) :
				    khv_read_guest(vcpu, gpa, buf, n);
		if (r)
			return r;
		gla += n;
		buf += n;
		len -= n;
	}
	return 0;
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

	if (khv_cpu_mode(p) != KHV_MODE_LONG64)
		gla = (u32)gla;
	first = min_t(u32, KHV_INSN_MAX_LEN, PAGE_SIZE - (gla & ~PAGE_MASK));
	r = khv_linear_copy(vcpu, p, gla, buf, first, false);
	if (r)
		return r;
	*len = first;
	/* the rest may be on an unmapped page; decoding says if it matters */
	if (first < KHV_INSN_MAX_LEN &&
	    !khv_linear_copy(vcpu, p, gla + first, buf + first,
			     KHV_INSN_MAX_LEN - first, false))
		*len = KHV_INSN_MAX_LEN;
	return 0;
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

/*
 * The segment of an OUTS: DS unless a segment override prefix precedes
 * the opcode (6E/6F).
 */
static u8 khv_outs_segment(const u8 *b, int n)
{
	static const u8 prefix_seg[6] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	u8 seg = KHV_SEG_DS;
	int i, s;

	for (i = 0; i < n && b[i] != 0x6e && b[i] != 0x6f; i++)
		for (s = 0; s < 6; s++)
			if (b[i] == prefix_seg[s])
				seg = s;
	return seg;
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
				    pio->size, to_guest);
		if (r)
			return r;
	}
	return 0;
}

int khv_string_io_start(struct khv_vcpu *vcpu)
{
	struct khv_pio *pio = &vcpu->pio;
	struct khv_paging p;
	u64 n = 1;
	u8 insn[KHV_INSN_MAX_LEN];
	int r, len = 0;

	if (pio->rep) {
		n = khv_reg_masked(vcpu->gprs[RCX], pio->addr_size);
		if (!n) {
			vcpu->rip = pio->next_rip;
			return 0;
		}
	}
	pio->count = min_t(u64, n, PAGE_SIZE / pio->size);
	vcpu->pending = KHV_PENDING_PIO;
	if (pio->in)
		return 1;
	khv_ops->get_paging(vcpu, &p);
	pio->seg = khv_fetch(vcpu, &p, insn, &len) ? KHV_SEG_DS :
		   khv_outs_segment(insn, len);
	r = khv_string_io_copy(vcpu, &p, p.seg_base[pio->seg], vcpu->gprs[RSI],
			       false);
	if (r) {
		vcpu->pending = KHV_PENDING_NONE;
		return r == KHV_EMU_FAULTED ? 0 : r;
	}
	return 1;
}

int khv_string_io_finish(struct khv_vcpu *vcpu)
{
	struct khv_pio *pio = &vcpu->pio;
	s64 total = khv_string_step(vcpu, pio->size) * pio->count;
	struct khv_paging p;
	int r;

	if (pio->in) {
		khv_ops->get_paging(vcpu, &p);
		r = khv_string_io_copy(vcpu, &p, p.seg_base[KHV_SEG_ES],
				       vcpu->gprs[RDI], true);
		if (r)
			return r == KHV_EMU_FAULTED ? 1 : r;
		khv_reg_add(&vcpu->gprs[RDI], total, pio->addr_size);
	} else {
		khv_reg_add(&vcpu->gprs[RSI], total, pio->addr_size);
	}
	if (pio->rep)
		khv_reg_add(&vcpu->gprs[RCX], -(s64)pio->count, pio->addr_size);
	if (!pio->rep || !khv_reg_masked(vcpu->gprs[RCX], pio->addr_size))
		vcpu->rip = pio->next_rip;
	return 1;
}

/* Emulation failure: an internal error with the instruction's bytes. */
static int khv_emulation_failed(struct khv_vcpu *vcpu, u64 gpa, const u8 *insn,
				int len)
{
	struct kvm_run *run = vcpu->run;
	u64 bytes[2] = { 0, 0 };

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

static void khv_fill_mmio(struct khv_vcpu *vcpu, u64 gpa, u8 len, bool write,
			  u64 data)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, &data, len);
}

/* One element of a string instruction is done: step its registers. */
static void khv_string_step_done(struct khv_vcpu *vcpu,
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
			return;		/* the next element faults again */
	}
	vcpu->rip += in->len;
}

/*
 * A MOVS with MMIO on one side: write if the destination is the MMIO
 * page (read the element from guest memory), else read from MMIO.
 */
static int khv_mmio_movs(struct khv_vcpu *vcpu, const struct khv_paging *p,
			 u64 gpa, bool write)
{
	struct khv_insn *in = &vcpu->mmio.insn;
	u64 src = p->seg_base[in->seg] +
		  khv_reg_masked(vcpu->gprs[RSI], in->addr_size);
	u64 dst = p->seg_base[KHV_SEG_ES] +
		  khv_reg_masked(vcpu->gprs[RDI], in->addr_size);
	u64 data = 0;
	int r;

	if (write) {
		r = khv_linear_copy(vcpu, p, src, &data, in->size, false);
		if (r)
			return r == KHV_EMU_FAULTED ? 1 : r;
		khv_fill_mmio(vcpu, gpa, in->size, true, data);
		khv_string_step_done(vcpu, in, true, true);
		return 0;
	}
	vcpu->mmio.dst_gla = dst;
	vcpu->pending = KHV_PENDING_MMIO;
	khv_fill_mmio(vcpu, gpa, in->size, false, 0);
	return 0;
}

int khv_mmio_start(struct khv_vcpu *vcpu, u64 gpa, u64 error)
{
	struct khv_insn *in = &vcpu->mmio.insn;
	bool write = error & KHV_PFERR_WRITE;
	u8 bytes[KHV_INSN_MAX_LEN] = { 0 };
	struct khv_paging p;
	int len = 0, r;

	khv_ops->get_paging(vcpu, &p);
	r = khv_fetch(vcpu, &p, bytes, &len);
	if (r == KHV_EMU_FAULTED)
		return 1;
	if (r || khv_insn_decode(bytes, len, khv_cpu_mode(&p), in))
		return khv_emulation_failed(vcpu, gpa, bytes, len);
	switch (in->kind) {
	case KHV_INSN_LOAD:
	case KHV_INSN_LODS:
		vcpu->pending = KHV_PENDING_MMIO;
		khv_fill_mmio(vcpu, gpa, in->size, false, 0);
		return 0;
	case KHV_INSN_STORE_REG:
	case KHV_INSN_STORE_IMM:
		khv_fill_mmio(vcpu, gpa, in->size, true,
			      khv_insn_store_value(in, in->reg == KHV_REG_NONE ?
						   0 : vcpu->gprs[in->reg]));
		vcpu->rip += in->len;
		return 0;
	case KHV_INSN_STOS:
		khv_fill_mmio(vcpu, gpa, in->size, true,
			      khv_insn_store_value(in, vcpu->gprs[RAX]));
		khv_string_step_done(vcpu, in, false, true);
		return 0;
	case KHV_INSN_MOVS:
		return khv_mmio_movs(vcpu, &p, gpa, write);
	}
	return khv_emulation_failed(vcpu, gpa, bytes, len);
}

/* The data of an MMIO read arrived in run->mmio.data: finish the insn. */
int khv_mmio_finish(struct khv_vcpu *vcpu)
{
	struct khv_insn *in = &vcpu->mmio.insn;
	struct khv_paging p;
	u64 data = 0;
	int r;

	memcpy(&data, vcpu->run->mmio.data, in->size);
	switch (in->kind) {
	case KHV_INSN_LOAD:
		vcpu->gprs[in->reg] = khv_insn_reg_after_load(in, vcpu->gprs[in->reg],
							      data);
		vcpu->rip += in->len;
		break;
	case KHV_INSN_LODS:
		vcpu->gprs[RAX] = khv_insn_reg_after_load(in, vcpu->gprs[RAX], data);
		khv_string_step_done(vcpu, in, true, false);
		break;
	case KHV_INSN_MOVS:
		khv_ops->get_paging(vcpu, &p);
		r = khv_linear_copy(vcpu, &p, vcpu->mmio.dst_gla, &data, in->size,
				    true);
		if (r)
			return r == KHV_EMU_FAULTED ? 1 : r;
		khv_string_step_done(vcpu, in, true, true);
		break;
	}
	return 1;
}
