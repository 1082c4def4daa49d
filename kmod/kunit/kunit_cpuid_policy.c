// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_cpuid_policy.c as the KUnit suite khv_cpuid_policy (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_cpuid_policy
int main(void);
#include "test_cpuid_policy.c"
#undef main

KHV_KUNIT_SUITE(cpuid_policy);
