/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types for khv's pure files: code with no kernel dependency (tables,
 * decoders, checks on register values) that is built into khv.ko and also
 * compiled on the host by selftests/host for fast unit tests.
 */
#ifndef KHV_PURE_H
#define KHV_PURE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef BIT
#define BIT(n) (1UL << (n))
#endif
#ifndef BIT_ULL
#define BIT_ULL(n) (1ULL << (n))
#endif
#endif

#endif /* KHV_PURE_H */
