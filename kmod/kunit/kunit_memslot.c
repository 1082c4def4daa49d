// SPDX-License-Identifier: GPL-2.0
/* selftests/host/test_memslot.c as the KUnit suite khv_memslot (see khv_kunit.h). */
#include "khv_kunit.h"

#define main khv_kunit_main_memslot
int main(void);
#include "test_memslot.c"
#undef main

KHV_KUNIT_SUITE(memslot);
