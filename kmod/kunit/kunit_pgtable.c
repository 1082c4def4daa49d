// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_pgtable.c as the KUnit suite khv_pgtable (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_pgtable
int main(void);
#include "test_pgtable.c"
#undef main

KHV_KUNIT_SUITE(pgtable);
