/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khv_kunit.ko: the host unit tests of khv's pure files as KUnit suites.
 * Each kmod/kunit/kunit_<name>.c includes selftests/host/test_<name>.c
 * (with shim/ first on the include path, so its ksft.h is KUnit's) and
 * then KHV_KUNIT_SUITE(<name>): one KUnit suite "khv_<name>" whose one
 * parameterized case runs each entry of the file's cases[] table.
 */
#ifndef KHV_KUNIT_H
#define KHV_KUNIT_H

#include <kunit/test.h>
#include <linux/string.h>

#define KHV_KUNIT_SUITE(sfx)						\
static const void *khv_##sfx##_params(const void *prev, char *desc)	\
{									\
	const struct ksft_case *c = prev ?				\
		(const struct ksft_case *)prev + 1 : cases;		\
									\
	if (c >= cases + ARRAY_SIZE(cases))				\
		return NULL;						\
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);			\
	return c;							\
}									\
									\
static void khv_##sfx##_run(struct kunit *test)			\
{									\
	const struct ksft_case *c = test->param_value;			\
									\
	khv_kunit_test = test;						\
	c->fn();							\
	khv_kunit_test = NULL;						\
}									\
									\
static struct kunit_case khv_##sfx##_cases[] = {			\
	KUNIT_CASE_PARAM(khv_##sfx##_run, khv_##sfx##_params),	\
	{}								\
};									\
									\
static struct kunit_suite khv_##sfx##_suite = {			\
	.name = "khv_" #sfx,						\
	.test_cases = khv_##sfx##_cases,				\
};									\
kunit_test_suite(khv_##sfx##_suite)

#endif /* KHV_KUNIT_H */
