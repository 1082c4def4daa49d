/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCB: khv's own definition of the fields it uses, with offsets from
 * AMD APM vol. 2, appendix B (asserted below). Kept apart from the kernel's
 * asm/svm.h, whose struct layout and names change between kernel versions.
 */
#ifndef KHV_SVM_VMCB_H
#define KHV_SVM_VMCB_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

struct vmcb_seg {
	u16 selector;
	u16 attrib;		/* packed: type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, DB 10, G 11 */
	u32 limit;
	u64 base;
} __packed;

struct vmcb_control {
	u32 intercept_cr;		/* 0x000: reads 15:0, writes 31:16 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008 */
	u32 intercept_misc1;		/* 0x00c: SVM_I1_* */
	u32 intercept_misc2;		/* 0x010: SVM_I2_* */
	u32 intercept_misc3;		/* 0x014 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_control;			/* 0x05c */
	u8 reserved_05d[3];
	u32 int_ctl;			/* 0x060: SVM_INT_* */
	u32 int_vector;			/* 0x064 */
	u32 int_state;			/* 0x068: bit 0 interrupt shadow */
	u8 reserved_06c[4];
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u32 exit_int_info;		/* 0x088 */
	u32 exit_int_info_err;		/* 0x08c */
	u64 nested_ctl;			/* 0x090: bit 0 NP_ENABLE */
	u64 avic_apic_bar;		/* 0x098 */
	u64 ghcb_gpa;			/* 0x0a0 */
	u32 event_inj;			/* 0x0a8 */
	u32 event_inj_err;		/* 0x0ac */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean;			/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8 */
	u8 insn_len;			/* 0x0d0 */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs;	/* 0x400 .. 0x45f */
	struct vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x460 .. 0x49f */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;				/* 0x4cb */
	u8 reserved_4cc[4];
	u64 efer;			/* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;			/* 0x548 */
	u64 cr3;			/* 0x550 */
	u64 cr0;			/* 0x558 */
	u64 dr7;			/* 0x560 */
	u64 dr6;			/* 0x568 */
	u64 rflags;			/* 0x570 */
	u64 rip;			/* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;			/* 0x5d8 */
	u8 reserved_5e0[0x5f8 - 0x5e0];
	u64 rax;			/* 0x5f8 */
	u64 star;			/* 0x600 */
	u64 lstar;			/* 0x608 */
	u64 cstar;			/* 0x610 */
	u64 sfmask;			/* 0x618 */
	u64 kernel_gs_base;		/* 0x620 */
	u64 sysenter_cs;		/* 0x628 */
	u64 sysenter_esp;		/* 0x630 */
	u64 sysenter_eip;		/* 0x638 */
	u64 cr2;			/* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;			/* 0x668 */
	u64 dbgctl;			/* 0x670 */
	u8 reserved_678[0x6e0 - 0x678];
	u64 spec_ctrl;			/* 0x6e0 */
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __packed;

#define VMCB_CHECK(s, field, off) \
	static_assert(offsetof(struct s, field) == (off))
VMCB_CHECK(vmcb_control, intercept_misc1, 0x00c);
VMCB_CHECK(vmcb_control, iopm_base_pa, 0x040);
VMCB_CHECK(vmcb_control, asid, 0x058);
VMCB_CHECK(vmcb_control, int_ctl, 0x060);
VMCB_CHECK(vmcb_control, exit_code, 0x070);
VMCB_CHECK(vmcb_control, exit_int_info, 0x088);
VMCB_CHECK(vmcb_control, nested_ctl, 0x090);
VMCB_CHECK(vmcb_control, event_inj, 0x0a8);
VMCB_CHECK(vmcb_control, nested_cr3, 0x0b0);
VMCB_CHECK(vmcb_control, next_rip, 0x0c8);
VMCB_CHECK(vmcb_control, insn_bytes, 0x0d1);
static_assert(sizeof(struct vmcb_control) == 0x400);
VMCB_CHECK(vmcb, save.es, 0x400);
VMCB_CHECK(vmcb, save.tr, 0x490);
VMCB_CHECK(vmcb, save.cpl, 0x4cb);
VMCB_CHECK(vmcb, save.efer, 0x4d0);
VMCB_CHECK(vmcb, save.cr4, 0x548);
VMCB_CHECK(vmcb, save.rip, 0x578);
VMCB_CHECK(vmcb, save.rsp, 0x5d8);
VMCB_CHECK(vmcb, save.rax, 0x5f8);
VMCB_CHECK(vmcb, save.cr2, 0x640);
VMCB_CHECK(vmcb, save.g_pat, 0x668);
VMCB_CHECK(vmcb, save.spec_ctrl, 0x6e0);
static_assert(sizeof(struct vmcb) <= 4096);

/* intercept_cr (VMCB 0x000): reads in bits 15:0, writes in 31:16 */
#define SVM_ICR_READ(n)		BIT(n)
#define SVM_ICR_WRITE(n)	BIT(16 + (n))

/* intercept_misc1 (VMCB 0x00c) */
#define SVM_I1_INTR		BIT(0)
#define SVM_I1_NMI		BIT(1)
#define SVM_I1_SMI		BIT(2)
#define SVM_I1_INIT		BIT(3)
#define SVM_I1_VINTR		BIT(4)
#define SVM_I1_CR0_SEL		BIT(5)	/* CR0 writes that change more than TS, MP */
#define SVM_I1_RDPMC		BIT(15)
#define SVM_I1_CPUID		BIT(18)
#define SVM_I1_IRET		BIT(20)
#define SVM_I1_INVD		BIT(22)
#define SVM_I1_PAUSE		BIT(23)
#define SVM_I1_HLT		BIT(24)
#define SVM_I1_INVLPGA		BIT(26)
#define SVM_I1_IOIO_PROT	BIT(27)
#define SVM_I1_MSR_PROT		BIT(28)
#define SVM_I1_SHUTDOWN		BIT(31)

/* intercept_misc2 (VMCB 0x010) */
#define SVM_I2_VMRUN		BIT(0)
#define SVM_I2_VMMCALL		BIT(1)
#define SVM_I2_VMLOAD		BIT(2)
#define SVM_I2_VMSAVE		BIT(3)
#define SVM_I2_STGI		BIT(4)
#define SVM_I2_CLGI		BIT(5)
#define SVM_I2_SKINIT		BIT(6)
#define SVM_I2_RDTSCP		BIT(7)
#define SVM_I2_ICEBP		BIT(8)
#define SVM_I2_WBINVD		BIT(9)
#define SVM_I2_MONITOR		BIT(10)
#define SVM_I2_MWAIT		BIT(11)
#define SVM_I2_MWAIT_COND	BIT(12)
#define SVM_I2_XSETBV		BIT(13)
#define SVM_I2_RDPRU		BIT(14)
/* intercept_misc3 (VMCB 0x014) */
#define SVM_I3_INVPCID		BIT(2)

/* int_ctl (VMCB 0x060) */
#define SVM_INT_V_TPR_MASK	0xffu
#define SVM_INT_V_IRQ		BIT(8)
#define SVM_INT_V_PRIO_SHIFT	16
#define SVM_INT_V_PRIO_MASK	(0xfu << SVM_INT_V_PRIO_SHIFT)
#define SVM_INT_V_IGN_TPR	BIT(20)
#define SVM_INT_V_INTR_MASKING	BIT(24)
/* a virtual interrupt above any TPR: khv's injections and window requests */
#define SVM_INT_VIRQ_BITS	(SVM_INT_V_IRQ | SVM_INT_V_IGN_TPR | \
				 SVM_INT_V_PRIO_MASK)

/* int_state (VMCB 0x068) */
#define SVM_INT_STATE_SHADOW	BIT(0)

/* event_inj / exit_int_info */
#define SVM_EVT_VECTOR_MASK	0xffu
#define SVM_EVT_TYPE_SHIFT	8
#define SVM_EVT_TYPE_MASK	(7u << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_INTR	(0u << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_NMI	(2u << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_EXCEPTION	(3u << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_SOFT	(4u << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_VALID_ERR	BIT(11)
#define SVM_EVT_VALID		BIT(31)

#define SVM_NESTED_CTL_NP_ENABLE	BIT_ULL(0)
#define SVM_TLB_CONTROL_FLUSH_ALL	1

/* CR access exit_info_1 with decode assists: the GPR operand of MOV CRn */
#define SVM_CR_INFO_VALID	BIT_ULL(63)
#define SVM_CR_INFO_GPR_MASK	0xfULL

/* IOIO exit_info_1 */
#define SVM_IOIO_IN		BIT(0)
#define SVM_IOIO_STR		BIT(2)
#define SVM_IOIO_REP		BIT(3)
#define SVM_IOIO_SIZE_SHIFT	4	/* SZ8 bit 4, SZ16 bit 5, SZ32 bit 6 */
#define SVM_IOIO_ASIZE_SHIFT	7	/* A16 bit 7, A32 bit 8, A64 bit 9 */
#define SVM_IOIO_SEG_SHIFT	10
#define SVM_IOIO_PORT_SHIFT	16

/* exit codes (AMD APM vol. 2, appendix C) */
#define SVM_EXIT_READ_CR0	0x000	/* MOV from CR0, SMSW */
#define SVM_EXIT_WRITE_CR0	0x010	/* MOV to CRn: 0x010 + n */
#define SVM_EXIT_WRITE_CR4	0x014
#define SVM_EXIT_WRITE_CR8	0x018
#define SVM_EXIT_EXCP_BASE	0x040	/* exception n: 0x040 + n */
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_CR0_SEL_WRITE	0x065
#define SVM_EXIT_RDPMC		0x06f
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_IRET		0x074
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_PAUSE		0x077
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_RDTSCP		0x087
#define SVM_EXIT_ICEBP		0x088
#define SVM_EXIT_WBINVD		0x089
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_MWAIT_COND	0x08c
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_RDPRU		0x08e
#define SVM_EXIT_INVPCID	0x0a2
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	((u64)-1)

#endif /* KHV_SVM_VMCB_H */
