// SPDX-License-Identifier: GPL-2.0
/* kvmclock's arithmetic: see pvclock_calc.h. Pure. */
#include "pvclock_calc.h"

static int khv_fls64(u64 x)
{
	int n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

bool khv_pvclock_scale(u32 khz, struct khv_pvclock_scale *s)
{
	/* nanoseconds per tick as a 32.32 fixed-point number */
	u64 ratio;
	int sh;

	if (!khz)
		return false;
	ratio = (1000000ULL << 32) / khz;
	if (!ratio)
		ratio = 1;
	sh = khv_fls64(ratio) - 32;	/* ratio >> sh in [2^31, 2^32) */
	s->shift = (s8)sh;
	s->mul = (u32)(sh >= 0 ? ratio >> sh : ratio << -sh);
	return true;
}

u64 khv_pvclock_ticks_to_ns(u64 delta, const struct khv_pvclock_scale *s)
{
	u64 hi, lo;

	if (s->shift < 0)
		delta >>= -s->shift;
	else
		delta <<= s->shift;
	/* (delta * mul) >> 32 without a 128-bit multiply */
	hi = (delta >> 32) * s->mul;
	lo = (delta & 0xffffffffULL) * s->mul;
	return hi + (lo >> 32);
}
