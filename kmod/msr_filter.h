/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVM_X86_SET_MSR_FILTER's model (pure: see khv_pure.h): which of the
 * guest's RDMSR and WRMSR a VM's filter lets through to khv's own MSRs.
 */
#ifndef KHV_MSR_FILTER_H
#define KHV_MSR_FILTER_H

#include "khv_pure.h"

/* KVM's numbers (<linux/kvm.h>): ranges, flags and the bitmap bound */
#define KHV_MSR_FILTER_RANGES		16
#define KHV_MSR_FILTER_READ		1u
#define KHV_MSR_FILTER_WRITE		2u
#define KHV_MSR_FILTER_DEFAULT_DENY	1u
#define KHV_MSR_FILTER_MAX_BITMAP	0x600	/* bytes, whole longs */

struct khv_msr_filter_range {
	u32 flags;		/* KHV_MSR_FILTER_READ | _WRITE */
	u32 base;
	u32 nmsrs;
	const u8 *bitmap;	/* bit i set: base + i allowed */
};

struct khv_msr_filter {
	bool default_allow;
	u32 count;		/* ranges in use, in the order given */
	struct khv_msr_filter_range ranges[KHV_MSR_FILTER_RANGES];
};

/*
 * The bytes of a range's bitmap to copy in (whole 64-bit words, as KVM
 * copies them), or 0 for a range to skip (no MSRs); -EINVAL for a range
 * with unknown or no access flags, or more than KHV_MSR_FILTER_MAX_BITMAP
 * bytes of bitmap.
 */
int khv_msr_filter_range_bytes(u32 flags, u32 nmsrs);

/* KVM_X86_SET_MSR_FILTER's flags: 0, or -EINVAL. */
int khv_msr_filter_check(u32 flags, bool empty);

/*
 * Whether @f lets the guest access MSR @index (@type: KHV_MSR_FILTER_READ
 * or _WRITE): the first range holding @index for that access decides,
 * else the default. x2APIC's MSRs (0x800-0x8ff) are never filtered.
 */
bool khv_msr_filter_allows(const struct khv_msr_filter *f, u32 index, u32 type);

#endif /* KHV_MSR_FILTER_H */
