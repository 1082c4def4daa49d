// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_hw_support.c as the KUnit suite khv_hw_support (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_hw_support
int main(void);
#include "test_hw_support.c"
#undef main

KHV_KUNIT_SUITE(hw_support);
