/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker (pure: see khv_pure.h): guest linear address to
 * guest physical address, from the guest's control registers and a
 * callback that reads guest physical memory.
 *
 * Modes: paging off (identity), 32-bit paging (4K; 4M with CR4.PSE,
 * including the PSE-36 high address bits), PAE (4K/2M) and 4-level paging
 * (4K/2M, 1G when the guest has 1-GByte pages). 5-level paging (CR4.LA57)
 * is -EOPNOTSUPP.
 *
 * The walker is read-only: it never sets accessed or dirty bits, so it is
 * fit for looking at guest state (fetching the instruction at RIP, finding
 * a string instruction's other operand) but a caller that performs the
 * access on the guest's behalf and cares about A/D must set them itself.
 * It checks present, reserved bits, R/W (with CR0.WP for supervisor
 * writes), U/S, XD (when EFER.NXE) and SMEP; it does not check SMAP or
 * protection keys, and it reads PDPTEs from memory unless given them.
 */
#ifndef KHV_GWALK_H
#define KHV_GWALK_H

#include "khv_pure.h"

/* The access being translated; the bits sit where #PF reports them. */
#define KHV_GWALK_WRITE		BIT(1)
#define KHV_GWALK_USER		BIT(2)	/* CPL 3 (else supervisor) */
#define KHV_GWALK_FETCH		BIT(4)

/* #PF error code, as the SDM defines it. */
#define KHV_PFERR_PRESENT	BIT(0)	/* protection or reserved-bit fault */
#define KHV_PFERR_WRITE		BIT(1)
#define KHV_PFERR_USER		BIT(2)
#define KHV_PFERR_RSVD		BIT(3)
#define KHV_PFERR_FETCH		BIT(4)	/* only with SMEP, or PAE and NXE */
/*
 * Nested page faults only (SVM's EXITINFO1 bits 32 and 33; VMX's exit
 * qualification bit 8 says the same): the guest's own walk succeeded and
 * its result, the access's guest-physical address, faulted (FINAL); or a
 * guest page-table access faulted (PAGE).
 */
#define KHV_PFERR_GUEST_FINAL	BIT_ULL(32)
#define KHV_PFERR_GUEST_PAGE	BIT_ULL(33)

struct khv_gwalk_ctx {
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 efer;		/* LMA selects 4-level paging; NXE enables XD */
	/*
	 * PAE only: the four PDPTE registers (VMX keeps them in the VMCS),
	 * or NULL to read the PDPTEs at CR3 on every walk as SVM does.
	 */
	const u64 *pdptes;
	/*
	 * Reads len bytes of guest physical memory: 0 or a negative errno.
	 * Its -EFAULT is returned as -EIO, so that -EFAULT always means #PF.
	 * -ENOENT says no RAM backs gpa: the walk ends in a #PF as if the
	 * entry were not present (as KVM's walker: a table in MMIO space).
	 */
	int (*read_gpa)(void *opaque, u64 gpa, void *buf, u32 len);
	void *opaque;
	u8 phys_bits;		/* guest MAXPHYADDR (CPUID 0x80000008), 32..52 */
	u8 gbpages;		/* 1: 1-GByte pages (CPUID 0x80000001 EDX[26]) */
};

struct khv_gwalk_result {
	u64 gpa;
	u64 page_size;		/* of the page mapping gla; 4 KiB with paging off */
	u32 error_code;		/* KHV_PFERR_* when -EFAULT, else 0 */
};

/*
 * Translate gla for an access of kind `access` (KHV_GWALK_* bits).
 * Returns 0 with res->gpa filled; -EFAULT for a page fault, with
 * res->error_code set (CR2 is gla); the errno of a failed read_gpa;
 * -EOPNOTSUPP for 5-level paging; -EINVAL for a non-canonical gla in
 * 4-level paging (a #GP, not a #PF), contradictory control registers or
 * access bits, or phys_bits out of range. Outside 4-level paging only the
 * low 32 bits of gla are used.
 */
int khv_gwalk(const struct khv_gwalk_ctx *ctx, u64 gla, u32 access,
	      struct khv_gwalk_result *res);

#endif /* KHV_GWALK_H */
