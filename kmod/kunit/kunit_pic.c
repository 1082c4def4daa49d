// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_pic.c as the KUnit suite khv_pic (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_pic
int main(void);
#include "test_pic.c"
#undef main

KHV_KUNIT_SUITE(pic);
