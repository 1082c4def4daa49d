// SPDX-License-Identifier: GPL-2.0
/*
 * The MSR filter's rules, as KVM documents KVM_X86_SET_MSR_FILTER: up to
 * 16 ranges, each a base, a count and a bitmap for reads, writes or both;
 * an access not covered by any range takes the filter's default. Pure
 * code (khv_pure.h): the ioctl and the guest's exits are msr.c's.
 */
#include "msr_filter.h"

int khv_msr_filter_range_bytes(u32 flags, u32 nmsrs)
{
	u64 bytes;

	if (!nmsrs)
		return 0;
	if (!flags || (flags & ~(KHV_MSR_FILTER_READ | KHV_MSR_FILTER_WRITE)))
		return -EINVAL;
	bytes = ((u64)nmsrs + 63) / 64 * 8;
	return bytes > KHV_MSR_FILTER_MAX_BITMAP ? -EINVAL : (int)bytes;
}

int khv_msr_filter_check(u32 flags, bool empty)
{
	if (flags & ~KHV_MSR_FILTER_DEFAULT_DENY)
		return -EINVAL;
	/* denying everything, x2APIC aside, is no filter KVM takes */
	if (empty && (flags & KHV_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;
	return 0;
}

bool khv_msr_filter_allows(const struct khv_msr_filter *f, u32 index, u32 type)
{
	u32 i;

	if (!f || (index >= 0x800 && index <= 0x8ff))
		return true;
	for (i = 0; i < f->count; i++) {
		const struct khv_msr_filter_range *r = &f->ranges[i];
		u32 bit = index - r->base;

		if (!(r->flags & type) || index < r->base || bit >= r->nmsrs)
			continue;
		return r->bitmap[bit / 8] & (1u << (bit % 8));
	}
	return f->default_allow;
}
