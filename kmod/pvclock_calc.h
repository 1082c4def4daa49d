/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmclock's arithmetic (pure: see khv_pure.h). A guest turns TSC ticks
 * into nanoseconds as ((delta << shift) * mul) >> 32, shift negative
 * meaning a right shift (the pvclock ABI, Documentation/virt/kvm/x86/msr.rst).
 */
#ifndef KHV_PVCLOCK_CALC_H
#define KHV_PVCLOCK_CALC_H

#include "khv_pure.h"

struct khv_pvclock_scale {
	u32 mul;
	s8 shift;
};

/*
 * The (mul, shift) that turns ticks of a @khz kHz counter into
 * nanoseconds, with mul in [2^31, 2^32) for the most precision; false for
 * a frequency of 0.
 */
bool khv_pvclock_scale(u32 khz, struct khv_pvclock_scale *s);

/* @delta ticks in nanoseconds, as the guest computes it. */
u64 khv_pvclock_ticks_to_ns(u64 delta, const struct khv_pvclock_scale *s);

#endif /* KHV_PVCLOCK_CALC_H */
