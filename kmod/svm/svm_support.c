// SPDX-License-Identifier: GPL-2.0
/*
 * Can this AMD CPU run khv, and the format of its nested page tables.
 * Pure: see hw_support.h. Facts from APM vol. 2.
 */
#include "hw_support.h"

#define CPUID_EXT1_ECX_SVM	BIT(2)		/* 0x80000001.ECX */
#define CPUID_SVM_EDX_NP	BIT(0)		/* 0x8000000A.EDX: nested paging */
#define VM_CR_SVMDIS		BIT_ULL(4)	/* SVM disabled by firmware */
#define SVM_FEATURE_LEAF	0x8000000Au

struct khv_hw_result svm_check_support(const struct svm_facts *f)
{
	struct khv_hw_result r = { KHV_HW_OK, "AMD SVM with nested paging" };

	if (!(f->ext1_ecx & CPUID_EXT1_ECX_SVM)) {
		r.verdict = KHV_HW_ABSENT;
		r.what = "CPU has no AMD SVM (CPUID 0x80000001.ECX[2])";
	} else if (f->vm_cr & VM_CR_SVMDIS) {
		r.verdict = KHV_HW_DISABLED;
		r.what = "SVM is disabled by firmware (VM_CR.SVMDIS)";
	} else if (f->max_ext_leaf < SVM_FEATURE_LEAF ||
		   !(f->svm_edx & CPUID_SVM_EDX_NP)) {
		r.verdict = KHV_HW_MISSING;
		r.what = "CPU has SVM but no nested paging (NPT)";
	}
	return r;
}

/*
 * Nested page table entries: ordinary long-mode entries. The walk counts
 * as a user access, so U/S is set everywhere; WB memory type (PAT 0).
 */
#define NPT_P	BIT_ULL(0)
#define NPT_RW	BIT_ULL(1)
#define NPT_US	BIT_ULL(2)
#define NPT_A	BIT_ULL(5)
#define NPT_D	BIT_ULL(6)
#define NPT_PS	BIT_ULL(7)	/* in a level-2 entry: a 2 MiB page */
#define NPT_AVL_RW	BIT_ULL(9)	/* software: the backing page is writable */

const struct khv_pt_format svm_npt_format = {
	.table		= NPT_P | NPT_RW | NPT_US | NPT_A,
	.leaf_ro	= NPT_P | NPT_US | NPT_A,
	.leaf_rw	= NPT_P | NPT_RW | NPT_US | NPT_A | NPT_D,
	.present	= NPT_P,
	.writable	= NPT_RW,
	.backing_rw	= NPT_AVL_RW,
	.huge		= NPT_PS,
};
