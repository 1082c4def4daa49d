// SPDX-License-Identifier: GPL-2.0
/* Host unit test of kmod/pvclock_calc.c: kvmclock's scale and conversion. */
#include "ksft.h"
#include "pvclock_calc.h"

/* |ns(ticks) - exact| within one part per million plus a nanosecond */
static bool close_to(u64 got, u64 want)
{
	u64 d = got > want ? got - want : want - got;

	return d <= want / 1000000 + 1;
}

static int t_scale_range(void)
{
	static const u32 khz[] = { 1, 1000, 100000, 1000000, 1999999, 2000000,
				   2100000, 2999999, 3000000, 3700123, 5000000,
				   10000000, 0xffffffff };
	struct khv_pvclock_scale s;
	unsigned int i;

	CHECK(!khv_pvclock_scale(0, &s), "0 kHz refused");
	for (i = 0; i < sizeof(khz) / sizeof(khz[0]); i++) {
		CHECK(khv_pvclock_scale(khz[i], &s), "%u kHz", khz[i]);
		CHECK(s.mul >= 0x80000000u, "%u kHz: mul %#x normalised", khz[i], s.mul);
		/* one second of ticks is one second */
		CHECK(close_to(khv_pvclock_ticks_to_ns((u64)khz[i] * 1000, &s),
			       1000000000ULL),
		      "%u kHz: 1 s = %llu ns", khz[i],
		      (unsigned long long)khv_pvclock_ticks_to_ns((u64)khz[i] * 1000, &s));
	}
	return KSFT_PASS;
}

static int t_known_values(void)
{
	struct khv_pvclock_scale s;

	CHECK(khv_pvclock_scale(2000000, &s), "2 GHz");
	CHECK(s.shift == 0 && s.mul == 0x80000000u, "2 GHz: shift %d mul %#x",
	      s.shift, s.mul);
	CHECK(khv_pvclock_ticks_to_ns(2000, &s) == 1000, "2000 ticks = 1 us");
	CHECK(khv_pvclock_scale(1000000, &s), "1 GHz");
	CHECK(s.shift == 1 && s.mul == 0x80000000u, "1 GHz: shift %d mul %#x",
	      s.shift, s.mul);
	CHECK(khv_pvclock_scale(4000000, &s), "4 GHz");
	CHECK(s.shift == -1 && s.mul == 0x80000000u, "4 GHz: shift %d", s.shift);
	return KSFT_PASS;
}

/* A day of a 3 GHz TSC, and a delta with the top bits set, do not overflow. */
static int t_large_deltas(void)
{
	struct khv_pvclock_scale s;
	u64 day = 86400ULL * 3000000000ULL;

	CHECK(khv_pvclock_scale(3000000, &s), "3 GHz");
	CHECK(close_to(khv_pvclock_ticks_to_ns(day, &s), 86400ULL * 1000000000ULL),
	      "a day: %llu", (unsigned long long)khv_pvclock_ticks_to_ns(day, &s));
	CHECK(khv_pvclock_ticks_to_ns(~0ULL, &s) > 0, "2^64 - 1 ticks");
	CHECK(khv_pvclock_ticks_to_ns(0, &s) == 0, "0 ticks");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "pvclock_scale_range", t_scale_range },
	{ "pvclock_known_values", t_known_values },
	{ "pvclock_large_deltas", t_large_deltas },
};

int main(void)
{
	return KSFT_RUN(cases);
}
