/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP for the host unit tests: CHECK() records one assertion,
 * each TEST() function is one "ok N - name" line; tap_done() prints the
 * plan and returns the exit status (non-zero if anything failed).
 */
#ifndef KHV_VMM_TAP_H
#define KHV_VMM_TAP_H

#include <stdio.h>

static int tap_n, tap_failed, tap_case_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		tap_case_failed = 1; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a != _b) { \
		printf("# %s:%d: %s == %#llx, want %s == %#llx\n", __FILE__, \
		       __LINE__, #a, _a, #b, _b); \
		tap_case_failed = 1; \
	} \
} while (0)

static inline void tap_run(void (*fn)(void), const char *name)
{
	tap_case_failed = 0;
	fn();
	tap_n++;
	if (tap_case_failed)
		tap_failed++;
	printf("%s %d - %s\n", tap_case_failed ? "not ok" : "ok", tap_n, name);
}

#define TEST(fn) tap_run(fn, #fn)

static inline void tap_begin(void)
{
	printf("TAP version 13\n");
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
