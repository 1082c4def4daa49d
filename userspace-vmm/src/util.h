/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every file of khv-vmm. */
#ifndef KHV_VMM_UTIL_H
#define KHV_VMM_UTIL_H

#include <stdint.h>
#include <string.h>

#define UNUSED __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* One line on stderr, prefixed "khv-vmm: ". */
void vmm_msg(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Same, then ": strerror(-err)". Returns err (a negative errno). */
int vmm_err(int err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Printed only with --verbose (vmm_verbose set). */
extern int vmm_verbose;
void vmm_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Little-endian loads and stores of 1, 2, 4 or 8 bytes (x86 host). */
static inline uint64_t le_load(const void *p, unsigned int len)
{
	uint64_t v = 0;

	memcpy(&v, p, len > 8 ? 8 : len);
	return v;
}

static inline void le_store(void *p, uint64_t v, unsigned int len)
{
	memcpy(p, &v, len > 8 ? 8 : len);
}

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vmm_now_ns(void);

#endif
