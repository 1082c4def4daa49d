/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced include (gcc -include) for the few programs of Debian's
 * linux-source-6.1 KVM selftests that do not build as shipped; see
 * scripts/build-kvm-selftests.sh, which only uses it for a program whose
 * plain build failed, and records that it did.
 *
 * Two holes in Debian's backports, both in the build, not in what the
 * tests check:
 *
 *  - <asm/kvm.h> uses __DECLARE_FLEX_ARRAY, which comes from the uapi
 *    <linux/stddef.h>; a program that includes <asm/kvm.h> before anything
 *    else has pulled that header in (steal_time) sees an undeclared macro,
 *    because tools/include's <linux/types.h> shadows the uapi one and does
 *    not include it.  Including the uapi header first is enough.
 *
 *  - dirty_log_test got a backported fix that asserts with TEST_ASSERT_EQ,
 *    a helper the 6.1 test library does not have yet; without it the
 *    program does not link.  Here it is in terms of the library's own
 *    TEST_ASSERT: both values must compare equal, and a failure prints
 *    both expressions and their values.
 */
#ifndef KHV_KVM_SELFTESTS_COMPAT_H
#define KHV_KVM_SELFTESTS_COMPAT_H

#include <linux/stddef.h>

#ifndef TEST_ASSERT_EQ
#define TEST_ASSERT_EQ(a, b)							\
	TEST_ASSERT((a) == (b), "%s == %s failed: %#llx != %#llx", #a, #b,	\
		    (unsigned long long)(a), (unsigned long long)(b))
#endif

#endif /* KHV_KVM_SELFTESTS_COMPAT_H */
