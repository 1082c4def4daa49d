// SPDX-License-Identifier: GPL-2.0
/* Host unit test of kmod/msr_filter.c: KVM_X86_SET_MSR_FILTER's rules. */
#include <string.h>

#include "ksft.h"
#include "msr_filter.h"

#define R KHV_MSR_FILTER_READ
#define W KHV_MSR_FILTER_WRITE

static int t_range_bytes(void)
{
	CHECK(khv_msr_filter_range_bytes(R, 0) == 0, "no MSRs: skipped");
	CHECK(khv_msr_filter_range_bytes(0, 0) == 0, "no MSRs, no flags: skipped");
	CHECK(khv_msr_filter_range_bytes(0, 1) == -EINVAL, "no flags");
	CHECK(khv_msr_filter_range_bytes(4, 1) == -EINVAL, "unknown flag");
	CHECK(khv_msr_filter_range_bytes(R | W, 1) == 8, "one MSR: one word");
	CHECK(khv_msr_filter_range_bytes(W, 64) == 8, "64 MSRs: one word");
	CHECK(khv_msr_filter_range_bytes(W, 65) == 16, "65 MSRs: two words");
	CHECK(khv_msr_filter_range_bytes(R, 0x600 * 8) == 0x600, "the largest bitmap");
	CHECK(khv_msr_filter_range_bytes(R, 0x600 * 8 + 1) == -EINVAL, "one MSR too many");
	CHECK(khv_msr_filter_range_bytes(R, 0xffffffff) == -EINVAL, "2^32 - 1 MSRs");
	return KSFT_PASS;
}

static int t_check(void)
{
	CHECK(!khv_msr_filter_check(0, true), "allow, no ranges: no filter");
	CHECK(!khv_msr_filter_check(KHV_MSR_FILTER_DEFAULT_DENY, false), "deny with ranges");
	CHECK(khv_msr_filter_check(KHV_MSR_FILTER_DEFAULT_DENY, true) == -EINVAL,
	      "deny, no ranges");
	CHECK(khv_msr_filter_check(2, false) == -EINVAL, "unknown flag");
	return KSFT_PASS;
}

static int t_allows(void)
{
	static const u8 deny_first[8] = { 0xfe, 0xff };
	static const u8 allow_none[8];
	static const u8 allow_all[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct khv_msr_filter f = {
		.default_allow = true,
		.count = 4,
		.ranges = {
			{ R, 0xc0000100, 16, deny_first },	/* FS_BASE reads */
			{ R | W, 0xc0000100, 16, allow_all },	/* shadowed for reads */
			{ W, 0x10, 1, allow_none },		/* TSC writes */
			{ R | W, 0xffffffff, 64, allow_none },	/* the last index */
		},
	};

	CHECK(khv_msr_filter_allows(NULL, 0x10, W), "no filter");
	CHECK(!khv_msr_filter_allows(&f, 0xc0000100, R), "first range decides the read");
	CHECK(khv_msr_filter_allows(&f, 0xc0000100, W), "second range the write");
	CHECK(khv_msr_filter_allows(&f, 0xc0000101, R), "bit 1 of the first range");
	CHECK(khv_msr_filter_allows(&f, 0xc0000110, R), "past the range: default");
	CHECK(khv_msr_filter_allows(&f, 0xc00000ff, R), "before the range: default");
	CHECK(!khv_msr_filter_allows(&f, 0x10, W) && khv_msr_filter_allows(&f, 0x10, R),
	      "a write-only range");
	CHECK(!khv_msr_filter_allows(&f, 0xffffffff, R), "the last MSR index");
	CHECK(khv_msr_filter_allows(&f, 0, R), "no wrap past 2^32 to index 0");
	f.default_allow = false;
	CHECK(!khv_msr_filter_allows(&f, 0x1b, R), "default deny");
	CHECK(khv_msr_filter_allows(&f, 0x800, R) && khv_msr_filter_allows(&f, 0x8ff, W),
	      "x2APIC is never filtered");
	CHECK(!khv_msr_filter_allows(&f, 0x900, W), "0x900 is no x2APIC MSR");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "msr_filter_range_bytes", t_range_bytes },
	{ "msr_filter_check", t_check },
	{ "msr_filter_allows", t_allows },
};

int main(void)
{
	return KSFT_RUN(cases);
}
