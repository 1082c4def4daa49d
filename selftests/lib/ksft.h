/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal kselftest-style TAP output for khv's tests (test-machine
 * selftests and host unit tests alike). Exit codes as kselftest:
 * 0 pass, 1 fail, 4 skip (KSFT_SKIP).
 */
#ifndef KHV_KSFT_H
#define KHV_KSFT_H

#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
 * A case that hangs is killed from outside (the test machine's step
 * timeout) and would leave no trace of where it stopped: every
 * KSFT_STILL_RUNNING_S seconds a timer thread says which case is still
 * running. Nothing else changes (tests keep SIGALRM and their threads).
 */
#ifndef KSFT_STILL_RUNNING_S
#define KSFT_STILL_RUNNING_S	60
#endif

static const char *volatile ksft_case_name;
static volatile time_t ksft_case_start;

static inline time_t ksft_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* CLOCK_MONOTONIC in nanoseconds, and in seconds as a double. */
static inline unsigned long long ksft_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline double ksft_mono_s(void)
{
	return ksft_mono_ns() / 1e9;
}

/* An expiry seen late (the case just changed) says nothing. */
static inline void ksft_still_running(union sigval sv)
{
	const char *name = ksft_case_name;
	time_t secs = ksft_now() - ksft_case_start;

	(void)sv;
	if (!name || secs < KSFT_STILL_RUNNING_S)
		return;
	printf("# ksft: case %s still running after %ld s\n", name, (long)secs);
	fflush(stdout);
}

/* True with the timer in @t (timer ids start at 0: no sentinel value). */
static inline int ksft_watchdog_start(timer_t *t)
{
	struct sigevent ev = {
		.sigev_notify = SIGEV_THREAD,
		.sigev_notify_function = ksft_still_running,
	};
	struct itimerspec its = {
		.it_value.tv_sec = KSFT_STILL_RUNNING_S,
		.it_interval.tv_sec = KSFT_STILL_RUNNING_S,
	};
	if (timer_create(CLOCK_MONOTONIC, &ev, t))
		return 0;
	timer_settime(*t, 0, &its, NULL);
	return 1;
}

/* (Re)arm the watchdog for the next case: it counts from now. */
static inline void ksft_watchdog_case(int on, timer_t t, const char *name)
{
	struct itimerspec its = {
		.it_value.tv_sec = KSFT_STILL_RUNNING_S,
		.it_interval.tv_sec = KSFT_STILL_RUNNING_S,
	};

	ksft_case_start = ksft_now();
	ksft_case_name = name;
	if (on)
		timer_settime(t, 0, &its, NULL);
}

/*
 * Run every case, print TAP, return the exit code: fail if any failed,
 * skip if all were skipped, else pass. $KSFT_ONLY, when set, names the
 * one case to run (for debugging); the others are skipped.
 */
/*
 * KSFT_XFAIL="case,case...": cases known to fail where this run happens,
 * on stock KVM as on khv (KSFT_XFAIL_WHY says why). Their failure is TAP's
 * expected failure (not ok ... # TODO), not a failure of the program.
 */
static inline bool ksft_xfail(const char *name)
{
	const char *l = getenv("KSFT_XFAIL");
	size_t n = strlen(name);

	while (l && *l) {
		if (!strncmp(l, name, n) && (l[n] == ',' || !l[n]))
			return true;
		l = strchr(l, ',');
		if (l)
			l++;
	}
	return false;
}

static inline int ksft_run(const struct ksft_case *cases, int n)
{
	const char *only = getenv("KSFT_ONLY");
	timer_t watchdog;
	int wd = ksft_watchdog_start(&watchdog);
	int i, failed = 0, skipped = 0;

	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		int r;

		ksft_watchdog_case(wd, watchdog, cases[i].name);
		r = only && strcmp(only, cases[i].name) ? KSFT_SKIP :
			cases[i].fn();

		if (r == KSFT_SKIP) {
			skipped++;
			printf("ok %d %s # SKIP\n", i + 1, cases[i].name);
		} else if (r == KSFT_PASS) {
			printf("ok %d %s\n", i + 1, cases[i].name);
		} else if (ksft_xfail(cases[i].name)) {
			printf("not ok %d %s # TODO %s\n", i + 1, cases[i].name,
			       getenv("KSFT_XFAIL_WHY") ?: "known to fail here");
		} else {
			failed++;
			printf("not ok %d %s\n", i + 1, cases[i].name);
		}
		fflush(stdout);
	}
	ksft_case_name = NULL;
	if (wd)
		timer_delete(watchdog);
	printf("# Totals: pass:%d fail:%d skip:%d\n",
	       n - failed - skipped, failed, skipped);
	if (failed)
		return KSFT_FAIL;
	return skipped == n ? KSFT_SKIP : KSFT_PASS;
}

#define KSFT_RUN(cases) ksft_run(cases, (int)(sizeof(cases) / sizeof(cases[0])))

#endif /* KHV_KSFT_H */
