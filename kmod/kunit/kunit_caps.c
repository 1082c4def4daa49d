// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_caps.c as the KUnit suite khv_caps (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_caps
int main(void);
#include "test_caps.c"
#undef main

KHV_KUNIT_SUITE(caps);
