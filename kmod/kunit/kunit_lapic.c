// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_lapic.c as the KUnit suite khv_lapic (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_lapic
int main(void);
#include "test_lapic.c"
#undef main

KHV_KUNIT_SUITE(lapic);
