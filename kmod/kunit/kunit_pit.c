// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_pit.c as the KUnit suite khv_pit (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_pit
int main(void);
#include "test_pit.c"
#undef main

KHV_KUNIT_SUITE(pit);
