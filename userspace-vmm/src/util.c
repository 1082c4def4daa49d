// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int vmm_verbose;

static void vmsg(const char *fmt, va_list ap, int err)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		buf[0] = '\0';
	if (err)
		fprintf(stderr, "khv-vmm: %s: %s\n", buf, strerror(-err));
	else
		fprintf(stderr, "khv-vmm: %s\n", buf);
}

void vmm_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

int vmm_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, err);
	va_end(ap);
	return err;
}

void vmm_debug(const char *fmt, ...)
{
	va_list ap;

	if (!vmm_verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

uint64_t vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
