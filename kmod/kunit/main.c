// SPDX-License-Identifier: GPL-2.0
/*
 * khv_kunit.ko: khv's pure logic (instruction decoder, ALU flags, guest
 * page walker, nested page table, memslot rules, CPUID policy, hardware
 * checks, capabilities) under KUnit, for kernels built with it (the
 * debug-kernel lane). Loading the module runs the suites; their TAP goes
 * to the kernel log and debugfs kunit/<suite>/results.
 */
#include <linux/module.h>
#include <kunit/test.h>

struct kunit *khv_kunit_test;

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("khv: KUnit suites of the pure files");
