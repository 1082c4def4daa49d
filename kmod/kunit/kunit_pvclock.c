// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_pvclock.c as the KUnit suite khv_pvclock (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_pvclock
int main(void);
#include "test_pvclock.c"
#undef main

KHV_KUNIT_SUITE(pvclock);
