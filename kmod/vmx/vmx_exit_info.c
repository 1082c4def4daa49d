// SPDX-License-Identifier: GPL-2.0
/* VMX exit information, decoded from raw fields: see vmx_exit_info.h. */
#include "vmx_exit_info.h"
#include "vmcs.h"
#include "../gwalk.h"

/* I/O qualification: size - 1, IN, string, REP, port (28.2.1, table 28-5) */
#define IO_SIZE_MASK		7u
#define IO_IN			BIT_ULL(3)
#define IO_STRING		BIT_ULL(4)
#define IO_REP			BIT_ULL(5)
#define IO_PORT_SHIFT		16
/* INS/OUTS instruction information: address size in bits 9:7 (0 16, 1 32, 2 64) */
#define INSN_INFO_ASIZE_SHIFT	7

void vmx_decode_io(u64 qual, u32 insn_info, bool ins_outs_info, struct vmx_io *io)
{
	io->port = (u16)(qual >> IO_PORT_SHIFT);
	io->size = (qual & IO_SIZE_MASK) + 1;
	io->in = qual & IO_IN;
	io->string = qual & IO_STRING;
	io->rep = qual & IO_REP;
	io->addr_size = 0;
	if (io->string && ins_outs_info)
		io->addr_size = 2 << ((insn_info >> INSN_INFO_ASIZE_SHIFT) & 3);
}

/* control-register access qualification (table 28-3) */
void vmx_decode_cr(u64 qual, struct vmx_cr_access *cr)
{
	cr->cr = qual & 0xf;
	cr->type = (enum vmx_cr_type)((qual >> 4) & 3);
	cr->gpr = (qual >> 8) & 0xf;
	cr->lmsw_source = (u16)(qual >> 16);
}

/* MOV DR qualification (table 28-4) */
void vmx_decode_dr(u64 qual, struct vmx_dr_access *dr)
{
	dr->dr = qual & 7;
	dr->from_dr = qual & BIT_ULL(4);
	dr->gpr = (qual >> 8) & 0xf;
}

/* EPT violation qualification (table 28-7) */
#define EPT_Q_WRITE		BIT_ULL(1)
#define EPT_Q_FETCH		BIT_ULL(2)
#define EPT_Q_PERMS		(7ULL << 3)	/* what the entry allowed */
#define EPT_Q_GLA_VALID		BIT_ULL(7)
#define EPT_Q_GLA_FINAL		BIT_ULL(8)	/* the access's own address */

u64 vmx_ept_violation_error(u64 qual)
{
	u64 error = 0;

	if (qual & EPT_Q_WRITE)
		error |= KHV_PFERR_WRITE;
	if (qual & EPT_Q_FETCH)
		error |= KHV_PFERR_FETCH;
	if (qual & EPT_Q_PERMS)
		error |= KHV_PFERR_PRESENT;
	/* without a linear address (a walk CPU-internal to the access) neither */
	if (qual & EPT_Q_GLA_VALID)
		error |= (qual & EPT_Q_GLA_FINAL) ? KHV_PFERR_GUEST_FINAL :
						    KHV_PFERR_GUEST_PAGE;
	return error;
}

/* access rights (25.4.1): type, S, DPL, P, AVL, L, D/B, G, unusable */
u32 vmx_seg_ar(const struct kvm_segment *s)
{
	if (s->unusable || !s->present)
		return VMX_AR_UNUSABLE;
	return (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
	       (s->present & 1) << 7 | (s->avl & 1) << 12 | (s->l & 1) << 13 |
	       (s->db & 1) << 14 | (s->g & 1) << 15;
}

void vmx_seg_from_ar(u32 ar, struct kvm_segment *s)
{
	s->type = ar & 0xf;
	s->s = (ar >> 4) & 1;
	s->dpl = (ar >> 5) & 3;
	s->present = (ar >> 7) & 1;
	s->avl = (ar >> 12) & 1;
	s->l = (ar >> 13) & 1;
	s->db = (ar >> 14) & 1;
	s->g = (ar >> 15) & 1;
	s->unusable = (ar & VMX_AR_UNUSABLE) ? 1 : 0;
	if (s->unusable)
		s->present = 0;
	s->padding = 0;
}

u32 vmx_intr_info(u8 vector, u8 type, bool has_error)
{
	return VMX_INTR_VALID | vector | ((u32)type << VMX_INTR_TYPE_SHIFT) |
	       (has_error ? VMX_INTR_ERROR_CODE : 0);
}
