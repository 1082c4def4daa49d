/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding VMX exit information and encoding what VM entry reads, from raw
 * field values (vmcs.h): pure, unit-tested on the host (selftests/host/
 * test_vmx_exit_info.c), so the VMX backend only reads and writes fields.
 * Layouts: Intel SDM vol. 3C, 28.2 (exit qualifications, instruction
 * information) and 25.4.1 (segment access rights).
 */
#ifndef KHV_VMX_EXIT_INFO_H
#define KHV_VMX_EXIT_INFO_H

#include <linux/kvm.h>
#include "../khv_pure.h"

/* I/O instruction: the qualification, and for INS/OUTS the instruction information. */
struct vmx_io {
	u16 port;
	u8 size;		/* 1, 2, 4 */
	u8 addr_size;		/* 2, 4, 8: INS/OUTS only */
	bool in, string, rep;
};

/* MOV CR, CLTS, LMSW */
enum vmx_cr_type { VMX_CR_MOV_TO, VMX_CR_MOV_FROM, VMX_CR_CLTS, VMX_CR_LMSW };

struct vmx_cr_access {
	u8 cr;
	enum vmx_cr_type type;
	u8 gpr;			/* x86 register number (khv's gprs[] order) */
	u16 lmsw_source;	/* LMSW: the 16-bit operand */
};

/* MOV DR */
struct vmx_dr_access {
	u8 dr;
	bool from_dr;		/* MOV from DR (a read) */
	u8 gpr;
};

/* with @ins_outs_info (IA32_VMX_BASIC bit 54), INS/OUTS give their address size */
void vmx_decode_io(u64 qual, u32 insn_info, bool ins_outs_info, struct vmx_io *io);
void vmx_decode_cr(u64 qual, struct vmx_cr_access *cr);
void vmx_decode_dr(u64 qual, struct vmx_dr_access *dr);
/*
 * An EPT violation's qualification as the #PF-style error code the core's
 * nested page fault handling takes (gwalk.h's KHV_PFERR_*).
 */
u64 vmx_ept_violation_error(u64 qual);

/* Segment access rights <-> struct kvm_segment (base, limit, selector apart). */
u32 vmx_seg_ar(const struct kvm_segment *s);
void vmx_seg_from_ar(u32 ar, struct kvm_segment *s);

/* VM-entry interruption information for an event to inject. */
u32 vmx_intr_info(u8 vector, u8 type, bool has_error);

#endif /* KHV_VMX_EXIT_INFO_H */
