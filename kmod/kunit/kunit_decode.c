// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_decode.c as the KUnit suite khv_decode (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_decode
int main(void);
#include "test_decode.c"
#undef main

KHV_KUNIT_SUITE(decode);
