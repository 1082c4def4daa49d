// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_alu.c as the KUnit suite khv_alu (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_alu
int main(void);
#include "test_alu.c"
#undef main

KHV_KUNIT_SUITE(alu);
