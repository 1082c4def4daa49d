/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal kselftest-style TAP output for khv's tests (test-machine
 * selftests and host unit tests alike). Exit codes as kselftest:
 * 0 pass, 1 fail, 4 skip (KSFT_SKIP).
 */
#ifndef KHV_KSFT_H
#define KHV_KSFT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

/* A subtest returns KSFT_PASS, KSFT_FAIL or KSFT_SKIP. */
struct ksft_case {
	const char *name;
	int (*fn)(void);
};

/* Print a diagnostic and fail the current subtest. */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			printf("# %s:%d: CHECK(%s) failed: ", __FILE__,	\
			       __LINE__, #cond);			\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			return KSFT_FAIL;				\
		}							\
	} while (0)

/* Skip the current subtest, saying why. */
#define SKIP_IF(cond, ...)						\
	do {								\
		if (cond) {						\
			printf("# SKIP reason: ");			\
			printf(__VA_ARGS__);				\
			printf("\n");					\
			return KSFT_SKIP;				\
		}							\
	} while (0)

static inline void ksft_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Whole program skipped (feature or device absent). */
static inline void __attribute__((noreturn)) ksft_exit_skip(const char *why)
{
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	exit(KSFT_SKIP);
}

/*
 * Run every case, print TAP, return the exit code: fail if any failed,
 * skip if all were skipped, else pass. $KSFT_ONLY, when set, names the
 * one case to run (for debugging); the others are skipped.
 */
static inline int ksft_run(const struct ksft_case *cases, int n)
{
	const char *only = getenv("KSFT_ONLY");
	int i, failed = 0, skipped = 0;

	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		int r = only && strcmp(only, cases[i].name) ? KSFT_SKIP :
			cases[i].fn();

		if (r == KSFT_SKIP) {
			skipped++;
			printf("ok %d %s # SKIP\n", i + 1, cases[i].name);
		} else if (r == KSFT_PASS) {
			printf("ok %d %s\n", i + 1, cases[i].name);
		} else {
			failed++;
			printf("not ok %d %s\n", i + 1, cases[i].name);
		}
		fflush(stdout);
	}
	printf("# Totals: pass:%d fail:%d skip:%d\n",
	       n - failed - skipped, failed, skipped);
	if (failed)
		return KSFT_FAIL;
	return skipped == n ? KSFT_SKIP : KSFT_PASS;
}

#define KSFT_RUN(cases) ksft_run(cases, (int)(sizeof(cases) / sizeof(cases[0])))

#endif /* KHV_KSFT_H */
