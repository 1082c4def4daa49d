/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host unit tests' ksft.h (selftests/lib/ksft.h) on top of KUnit, so
 * the same test files (selftests/host/test_*.c) run on the host and, in
 * khv_kunit.ko, inside a kernel with KUnit: CHECK fails the running KUnit
 * test, SKIP_IF skips it, diagnostics go to its log. The cases[] table of
 * each file becomes one parameterized KUnit case (khv_kunit.h).
 */
#ifndef KHV_KUNIT_KSFT_H
#define KHV_KUNIT_KSFT_H

#include <kunit/test.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

struct ksft_case {
	const char *name;
	int (*fn)(void);
};

/* The KUnit test running a host case (one at a time: KUnit runs serially). */
extern struct kunit *khv_kunit_test;

/* The first argument after the condition is always a string literal. */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			KUNIT_FAIL(khv_kunit_test,			\
				   "CHECK(" #cond ") failed: " __VA_ARGS__); \
			return KSFT_FAIL;				\
		}							\
	} while (0)

#define SKIP_IF(cond, ...)						\
	do {								\
		if (cond) {						\
			kunit_mark_skipped(khv_kunit_test, __VA_ARGS__); \
			return KSFT_SKIP;				\
		}							\
	} while (0)

#define ksft_diag(...)	kunit_info(khv_kunit_test, __VA_ARGS__)
#define printf(...)	kunit_info(khv_kunit_test, __VA_ARGS__)

/* The host file's main() is never called here (khv_kunit.h renames it). */
#define KSFT_RUN(cases)	((void)(cases), 0)

#endif /* KHV_KUNIT_KSFT_H */
