// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_gwalk.c as the KUnit suite khv_gwalk (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_gwalk
int main(void);
#include "test_gwalk.c"
#undef main

KHV_KUNIT_SUITE(gwalk);
